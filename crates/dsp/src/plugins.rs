//! The signal path of each Lathe plugin, one type per plugin.
//!
//! Until a plugin's own DSP lands (see the project's issues), its core is [`PassThrough`]: the
//! chain then applies only the shared trims, sanitising and bypass of [`PluginChain`]. The type
//! names are final, so the plugins and the CLI already drive the type they will keep.

use crate::chain::{Core, PluginChain};

/// A core that leaves the signal unchanged and adds no latency.
#[derive(Debug, Default, Clone)]
pub struct PassThrough;

impl Core for PassThrough {
    type Settings = ();

    fn new(_max_channels: usize, _sample_rate_hz: f64) -> Self {
        PassThrough
    }
    fn set_sample_rate(&mut self, _sample_rate_hz: f64) {}
    fn reset(&mut self) {}
    fn set_settings(&mut self, _settings: &()) {}
    fn latency(&self) -> u32 {
        0
    }
    fn max_latency(&self) -> u32 {
        0
    }
    fn process(&mut self, _main: &mut [&mut [f32]], _sidechain: Option<&[&[f32]]>) {}
}

/// Lathe Channel Strip's signal path: filters, EQ, gate, compressor, de-esser, saturator,
/// stereo.
pub type ChannelStrip = PluginChain<crate::channel_strip::ChannelStripCore>;
/// Lathe Bus Compressor's signal path: keyed compressor with lookahead, auto release, mid/side,
/// output saturation, listen modes and a loudness-matched compare.
pub type BusCompressor = PluginChain<crate::bus_compressor::BusCompressorCore>;
/// Lathe Limiter's signal path: drive, oversampled soft clip and true-peak limiting, dither.
pub type MasteringLimiter = PluginChain<crate::mastering::LimiterCore>;
/// Lathe Reference's signal path: match EQ and the loudness-matched A/B with a reference.
pub type ReferenceMatch = PluginChain<crate::reference_core::ReferenceCore>;
