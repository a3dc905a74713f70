//! Processors that colour or finish the signal: the saturator, dither and noise shaping, and
//! the stereo section (width, balance, mono, phase).

pub mod dither;
pub mod saturator;
pub mod stereo;
