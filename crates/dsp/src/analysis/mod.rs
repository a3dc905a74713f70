//! Measurement: loudness and true peak (ITU-R BS.1770 / EBU R128, [`loudness`]), the live
//! spectrum ([`spectrum`]), the reference analyzer ([`reference`]) with its practical checks
//! ([`checks`]), and the match EQ's design ([`match_eq`]).

pub mod checks;
pub mod loudness;
pub mod match_eq;
pub mod reference;
pub mod spectrum;
