//! `lathe-dsp`: all of Lathe's signal processing.
//!
//! Every plugin's whole signal path is one type here, driven by a plain settings struct; the
//! plugins only map their parameters onto that struct, and the `lathe` CLI drives the very same
//! type, so plugin and CLI output are identical for the same settings.
//!
//! The processor contract every building block follows is [`Processor`]: construct it for a sample
//! rate, [`Processor::set_sample_rate`] when the rate changes, [`Processor::reset`] to clear
//! state, [`Processor::process`] on blocks of any size, and [`Processor::latency`] for the delay
//! it adds. Nothing here allocates, locks or performs I/O after construction or
//! `set_sample_rate`.
//!
//! This crate never depends on the plugin framework.

#![warn(missing_docs)]

pub mod biquad;
pub mod bus_compressor;
pub mod chain;
pub mod channel_strip;
pub mod convolution;
pub mod delay;
pub mod dither;
pub mod dynamics;
pub mod eq;
pub mod filters;
pub mod gain;
pub mod limiter;
pub mod loudness;
pub mod mailbox;
pub mod mastering;
pub mod match_eq;
pub mod oversampling;
pub mod plugins;
pub mod reference;
pub mod reference_core;
pub mod running_sum;
pub mod saturator;
pub mod spectrum;
pub mod stereo;
pub mod util;

pub use chain::{ChainSettings, Core, IoSettings, PluginChain};
pub use delay::DelayLine;
pub use gain::SmoothedGain;
pub use loudness::{LoudnessMeter, LoudnessReport};

/// The contract every Lathe processor follows.
///
/// Blocks are planar: one slice per channel, all of the same length, processed in place.
/// Implementations must accept blocks of any length (including zero) and produce the same output
/// whether a signal arrives in one block or many (block-size invariance).
pub trait Processor {
    /// Prepares for a new sample rate. Recomputes every coefficient and time constant and may
    /// (re)allocate; never called on the audio thread while processing.
    fn set_sample_rate(&mut self, sample_rate_hz: f64);

    /// Clears all signal state (filters, envelopes, delay lines) without allocating.
    fn reset(&mut self);

    /// The delay, in samples, that this processor adds to the signal.
    fn latency(&self) -> u32;

    /// Processes one block in place.
    fn process(&mut self, channels: &mut [&mut [f32]]);
}
