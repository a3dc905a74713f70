//! Lathe Channel Strip: Filters, EQ, gate, compressor, de-esser, saturation and width for every track.
//!
//! A thin wrapper: the parameters map onto the settings of [`lathe_dsp::chains::ChannelStrip`],
//! which is the whole signal path (the `lathe` CLI drives the same type). This file adds the
//! meters: in/out peaks, gate/compressor/de-esser reduction, and the analyzer feeds (the audio
//! thread only copies mono sums into lock-free rings; the editor runs the FFTs).

use atomic_float::AtomicF32;
use lathe_dsp::chains::channel_strip::ChannelStripCore;
use lathe_dsp::rt::ring::SampleRing;
use lathe_plugin::{ChainRunner, IoMeters, PeakReadout};
use nice_plug::prelude::*;
use nice_plug_egui::EguiEditor;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

mod editor;
mod params;

pub use params::*;

/// Samples each analyzer ring holds (the editor's FFT is at most half of it).
pub const ANALYZER_RING_SAMPLES: usize = 16_384;

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
    /// Sample rate, Hz.
    pub sample_rate_hz: AtomicF32,
    /// Latency reported to the host, samples.
    pub latency_samples: AtomicU32,
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
            sample_rate_hz: AtomicF32::new(48_000.0),
            latency_samples: AtomicU32::new(0),
        }
    }
}

/// Feeds a ring with the mono sum of a buffer.
fn push_mono(ring: &SampleRing, buffer: &Buffer) {
    let channels = buffer.as_slice_immutable();
    match channels {
        [l, r, ..] => ring.push(l.iter().zip(r.iter()).map(|(a, b)| 0.5 * (a + b))),
        [m] => ring.push(m.iter().copied()),
        [] => {}
    }
}

/// The Lathe Channel Strip plugin.
pub struct LatheChannelStrip {
    params: Arc<ChannelStripParams>,
    meters: Arc<StripMeters>,
    runner: ChainRunner<ChannelStripCore>,
}

impl Default for LatheChannelStrip {
    fn default() -> Self {
        Self {
            params: Arc::new(ChannelStripParams::default()),
            meters: Arc::new(StripMeters::default()),
            runner: ChainRunner::default(),
        }
    }
}

impl Plugin for LatheChannelStrip {
    const NAME: &'static str = "Lathe Channel Strip";
    const VENDOR: &'static str = lathe_plugin::VENDOR;
    const URL: &'static str = lathe_plugin::URL;
    const EMAIL: &'static str = lathe_plugin::EMAIL;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
    ];

    const SAMPLE_ACCURATE_AUTOMATION: bool = true;

    type Editor = EguiEditor<editor::StripApp>;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn filter_state(state: &mut PluginState) {
        lathe_params::migrate_log_values(state, &ChannelStripParams::default(), &[]);
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(self.params.clone(), self.meters.clone())
    }

    fn activate(
        &mut self,
        audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        if !self.runner.activate(
            audio_io_layout,
            buffer_config,
            &self.params.settings(),
            context,
        ) {
            return false;
        }
        self.meters
            .sample_rate_hz
            .store(buffer_config.sample_rate, Ordering::Relaxed);
        true
    }

    fn reset(&mut self) {
        self.runner.reset();
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        // Subnormal tails and input cost nothing (FTZ/DAZ for this call, restored on return).
        let _denormals = lathe_dsp::math::FlushDenormals::new();
        let analyzer = self.meters.analyzer_active.load(Ordering::Relaxed);
        if analyzer {
            push_mono(&self.meters.pre, buffer);
        }
        let status = self.runner.process(
            &self.params.settings(),
            buffer,
            None,
            &self.meters.io,
            context,
        );
        if analyzer {
            push_mono(&self.meters.post, buffer);
        }
        if let Some(chain) = self.runner.chain_mut() {
            let r = chain.core_mut().take_readouts();
            self.meters.gate_db.raise(r.gate_db);
            self.meters.compressor_db.raise(r.compressor_db);
            self.meters.deesser_db.raise(r.deesser_db);
            self.meters
                .latency_samples
                .store(lathe_dsp::Block::latency(chain), Ordering::Relaxed);
        }
        status
    }
}

impl ClapPlugin for LatheChannelStrip {
    const CLAP_ID: &'static str = "audio.lathe.channel-strip";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Filters, EQ, gate, compressor, de-esser, saturation and width for every track");
    const CLAP_MANUAL_URL: Option<&'static str> = Some(Self::URL);
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Stereo,
        ClapFeature::Mono,
        ClapFeature::Mixing,
        ClapFeature::Equalizer,
        ClapFeature::Compressor,
        ClapFeature::Filter,
        ClapFeature::Gate,
        ClapFeature::Deesser,
        ClapFeature::Distortion,
    ];
}

impl Vst3Plugin for LatheChannelStrip {
    const VST3_CLASS_ID: [u8; 16] = *b"LatheChanStrip01";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[
        Vst3SubCategory::Fx,
        Vst3SubCategory::Eq,
        Vst3SubCategory::Dynamics,
    ];
}

nice_export_clap!(LatheChannelStrip);
nice_export_vst3!(LatheChannelStrip);
