//! Processors that colour or finish the signal: the saturator, dither and noise shaping, the
//! stereo section (width, balance, mono, phase) and the three-band imager with bass mono.

pub mod dither;
pub mod imager;
pub mod saturator;
pub mod stereo;
