//! Dynamics: the static curve, the level detector's parts, the shared compressor, the gate,
//! the de-esser and the true-peak limiter.
//!
//! - [`curve`]: the gain computer (threshold, ratio, soft knee);
//! - [`detector`]: one-pole time constants, the flush grid that keeps block sizes from
//!   mattering, the side-chain key filters;
//! - [`compressor`]: the feed-forward compressor shared by the channel strip and the bus
//!   compressor;
//! - [`gate`], [`deesser`]: the channel strip's gate and split-band de-esser;
//! - [`multiband`]: two to four Linkwitz-Riley bands, each through the shared compressor;
//! - [`peak_limiter`]: the look-ahead true-peak limiter.

pub mod compressor;
pub mod curve;
pub mod deesser;
pub mod detector;
pub mod gate;
pub mod multiband;
pub mod peak_limiter;

pub use compressor::{
    AUTO_FAST_RELEASE_MS, AUTO_MAKEUP_REFERENCE_DB, AUTO_SLOW_CHARGE_MS, AUTO_SLOW_RELEASE_MS,
    Compressor, CompressorSettings, Detection, RMS_WINDOW_MS,
};
pub use curve::GainComputer;
pub use deesser::{DeEsser, DeEsserSettings};
pub use detector::{PASS_SAMPLES, time_coefficient};
pub use gate::{Gate, GateSettings};
