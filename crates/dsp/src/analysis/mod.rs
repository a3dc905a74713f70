//! Measurement: loudness and true peak (ITU-R BS.1770 / EBU R128, [`loudness`]), the live
//! spectrum ([`spectrum`]), the reference analyzer ([`reference`]) with its practical checks
//! ([`checks`]), the match EQ's design ([`match_eq`]) and the stereo correlation meter
//! ([`correlation`]).

pub mod checks;
pub mod correlation;
pub mod loudness;
pub mod match_eq;
pub mod reference;
pub mod spectrum;
