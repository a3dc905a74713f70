//! Lathe Channel Strip: Filters, EQ, gate, compressor, de-esser, saturation and width for every track.
//!
//! A thin wrapper: the parameters map onto the settings of [`lathe_dsp::chains::ChannelStrip`],
//! which is the whole signal path (the `lathe` CLI drives the same type). This file adds the
//! meters: in/out peaks, gate/compressor/de-esser reduction, and the analyzer feeds (the audio
//! thread only copies mono sums into lock-free rings; the editor runs the FFTs).

use atomic_float::AtomicF32;
use lathe_dsp::analysis::correlation::{BandCorrelation, CorrelationMeter};
use lathe_dsp::chains::channel_strip::ChannelStripCore;
use lathe_dsp::rt::ring::SampleRing;
use lathe_plugin::{ChainPlugin, IoMeters, PeakReadout, PluginParts, push_mono};
use nice_plug::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};

mod editor;
mod params;

pub use params::*;

/// Who this plugin is (names, IDs, editor size).
pub const IDENTITY: lathe_plugin::Identity = lathe_plugin::lathe_identity::CHANNEL_STRIP;

/// Samples each goniometer ring holds (the editor draws the latest 2048).
pub const SCOPE_RING_SAMPLES: usize = 8192;

pub use lathe_plugin::ANALYZER_RING_SAMPLES;

/// Everything the editor shows, written lock-free by the audio thread.
#[derive(Debug)]
pub struct StripMeters {
    /// Input (before the trim) and output peaks.
    pub io: IoMeters,
    /// Deepest gate attenuation since the editor last looked, dB.
    pub gate_db: PeakReadout,
    /// Deepest compressor gain reduction, dB.
    pub compressor_db: PeakReadout,
    /// Deepest de-esser reduction, dB.
    pub deesser_db: PeakReadout,
    /// Mono sum of the input, for the analyzer.
    pub pre: SampleRing,
    /// Mono sum of the output, for the analyzer.
    pub post: SampleRing,
    /// Set while an editor is open: only then does the audio thread feed the analyzer rings.
    pub analyzer_active: AtomicBool,
    /// Output correlation, -1 to +1 (350 ms integration).
    pub correlation: AtomicF32,
    /// Output balance, left over right power, dB.
    pub balance_db: AtomicF32,
    /// Output correlation of each imager band (low, mid, high).
    pub band_correlation: [AtomicF32; 3],
    /// The output's left channel, for the goniometer (fed while an editor is open).
    pub scope_left: SampleRing,
    /// The output's right channel, for the goniometer.
    pub scope_right: SampleRing,
}

impl Default for StripMeters {
    fn default() -> Self {
        Self {
            io: IoMeters::default(),
            gate_db: PeakReadout::default(),
            compressor_db: PeakReadout::default(),
            deesser_db: PeakReadout::default(),
            pre: SampleRing::new(ANALYZER_RING_SAMPLES),
            post: SampleRing::new(ANALYZER_RING_SAMPLES),
            analyzer_active: AtomicBool::new(false),
            correlation: AtomicF32::new(0.0),
            balance_db: AtomicF32::new(0.0),
            band_correlation: Default::default(),
            scope_left: SampleRing::new(SCOPE_RING_SAMPLES),
            scope_right: SampleRing::new(SCOPE_RING_SAMPLES),
        }
    }
}

impl AsRef<IoMeters> for StripMeters {
    fn as_ref(&self) -> &IoMeters {
        &self.io
    }
}

/// The Lathe Channel Strip plugin.
#[derive(Default)]
pub struct LatheChannelStrip {
    parts: PluginParts<ChannelStripParams, StripMeters, ChannelStripCore>,
    /// The output's correlation meter (made in `activate`).
    stereo: Option<CorrelationMeter>,
    /// The output's correlation per imager band (made in `activate`).
    bands: Option<BandCorrelation>,
}

impl Plugin for LatheChannelStrip {
    lathe_plugin::plugin_items!(IDENTITY; layouts STEREO_OR_MONO, page editor::StripPage,
        params ChannelStripParams, migrate []);
}

impl ChainPlugin for LatheChannelStrip {
    lathe_plugin::chain_items!(ChannelStripCore, settings: params);

    fn activated(&mut self, _: &AudioIOLayout, config: &BufferConfig) {
        self.stereo = Some(CorrelationMeter::new(config.sample_rate as f64));
        self.bands = Some(BandCorrelation::new(config.sample_rate as f64));
        // Linear-phase kernels are designed on a thread of their own while the host plays;
        // the current ones are designed here, so playback starts with them.
        if let Some(chain) = self.parts.runner.chain_mut()
            && let Err(e) = chain.core_mut().attach_designer()
        {
            nice_plug::nice_log!("Lathe Channel Strip: no linear-phase designer thread: {e}");
        }
    }

    fn before_process(&mut self, buffer: &mut Buffer) {
        // The analyzer rings are fed only while an editor shows them.
        if self.parts.meters.analyzer_active.load(Ordering::Relaxed) {
            push_mono(&self.parts.meters.pre, buffer);
        }
    }

    fn after_process(&mut self, buffer: &Buffer) {
        let meters = &self.parts.meters;
        let analyzer = meters.analyzer_active.load(Ordering::Relaxed);
        if analyzer {
            push_mono(&meters.post, buffer);
        }
        // The stereo meters are read only by an open editor.
        if let ([l, r, ..], Some(stereo), true) =
            (buffer.as_slice_immutable(), self.stereo.as_mut(), analyzer)
        {
            stereo.process(l, r);
            meters
                .correlation
                .store(stereo.correlation() as f32, Ordering::Relaxed);
            meters
                .balance_db
                .store(stereo.balance_db() as f32, Ordering::Relaxed);
            meters.scope_left.push(l.iter().copied());
            meters.scope_right.push(r.iter().copied());
            if let Some(bands) = self.bands.as_mut() {
                let im = &self.parts.params.imager;
                bands.set_crossovers(im.xover_low.value(), im.xover_high.value());
                bands.process(l, r);
                for (out, c) in meters.band_correlation.iter().zip(bands.correlations()) {
                    out.store(c as f32, Ordering::Relaxed);
                }
            }
        }
        if let Some(chain) = self.parts.runner.chain_mut() {
            let r = chain.core_mut().take_readouts();
            self.parts.meters.gate_db.raise(r.gate_db);
            self.parts.meters.compressor_db.raise(r.compressor_db);
            self.parts.meters.deesser_db.raise(r.deesser_db);
        }
    }
}

lathe_plugin::export_plugin!(
    LatheChannelStrip,
    IDENTITY,
    clap: [
        AudioEffect,
        Stereo,
        Mono,
        Mixing,
        Equalizer,
        Compressor,
        Filter,
        Gate,
        Deesser,
        Distortion,
    ],
    vst3: [Fx, Eq, Dynamics],
);
