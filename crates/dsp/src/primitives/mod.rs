//! The smallest building blocks every processor is made of: biquad sections, delay lines,
//! running sums, smoothed gains, the one crossfade and the
//! switch that fades a block in and out.

pub mod biquad;
pub mod crossfade;
pub mod delay;
pub mod gain;
pub mod running_sum;
pub mod switched;
