//! Lathe Bus Compressor: Glue compression for groups and the mix bus, with an external sidechain.
//!
//! A thin wrapper: the parameters map onto the settings of [`lathe_dsp::chains::BusCompressor`],
//! which is the whole signal path (the `lathe` CLI drives the same type). The plugin adds the
//! stereo sidechain input port and the meters: in/out peaks, gain reduction and its scrolling
//! history, the compare gain and the latency.

use atomic_float::AtomicF32;
use lathe_dsp::chains::bus_compressor::BusCompressorCore;
use lathe_plugin::{ChainRunner, GainHistory, HistoryPoint, HistoryWriter, IoMeters, PeakReadout};
use nice_plug::prelude::*;
use nice_plug_egui::EguiEditor;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

mod editor;
mod params;

pub use params::*;

/// Everything the editor shows, written lock-free by the audio thread.
#[derive(Debug, Default)]
pub struct BusMeters {
    /// Input (before the trim) and output peaks.
    pub io: IoMeters,
    /// Deepest gain reduction since the editor last looked, dB.
    pub reduction_db: PeakReadout,
    /// Scrolling input/output/gain-reduction history.
    pub history: GainHistory,
    /// Gain the compare mode gives the dry signal, dB.
    pub compare_gain_db: AtomicF32,
    /// Latency reported to the host, samples.
    pub latency_samples: AtomicU32,
    /// Sample rate, Hz.
    pub sample_rate_hz: AtomicF32,
}

/// The Lathe Bus Compressor plugin.
pub struct LatheBusCompressor {
    params: Arc<BusCompressorParams>,
    meters: Arc<BusMeters>,
    runner: ChainRunner<BusCompressorCore>,
    history: Option<HistoryWriter>,
}

impl Default for LatheBusCompressor {
    fn default() -> Self {
        Self {
            params: Arc::new(BusCompressorParams::default()),
            meters: Arc::new(BusMeters::default()),
            runner: ChainRunner::default(),
            history: None,
        }
    }
}

impl Plugin for LatheBusCompressor {
    const NAME: &'static str = "Lathe Bus Compressor";
    const VENDOR: &'static str = lathe_plugin::VENDOR;
    const URL: &'static str = lathe_plugin::URL;
    const EMAIL: &'static str = lathe_plugin::EMAIL;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[AudioIOLayout {
        main_input_channels: NonZeroU32::new(2),
        main_output_channels: NonZeroU32::new(2),
        aux_input_ports: &[new_nonzero_u32(2)],
        names: PortNames {
            layout: Some("Stereo with sidechain"),
            main_input: Some("Input"),
            main_output: Some("Output"),
            aux_inputs: &["Sidechain"],
            aux_outputs: &[],
        },
        ..AudioIOLayout::const_default()
    }];

    const SAMPLE_ACCURATE_AUTOMATION: bool = true;

    type Editor = EguiEditor<editor::BusApp>;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn filter_state(state: &mut PluginState) {
        lathe_params::migrate_log_values(state, &BusCompressorParams::default(), &[]);
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
        self.history = Some(HistoryWriter::new(buffer_config.sample_rate as f64));
        self.meters
            .sample_rate_hz
            .store(buffer_config.sample_rate, Ordering::Relaxed);
        true
    }

    fn deactivate(&mut self) {
        self.history = None;
    }

    fn reset(&mut self) {
        self.runner.reset();
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        // Subnormal tails and input cost nothing (FTZ/DAZ for this call, restored on return).
        let _denormals = lathe_dsp::math::FlushDenormals::new();
        let status = self.runner.process(
            &self.params.settings(),
            buffer,
            aux.inputs.first(),
            &self.meters.io,
            context,
        );
        if let Some(chain) = self.runner.chain_mut() {
            let reduction_db = chain.core_mut().take_max_reduction_db();
            let m = &self.meters;
            m.reduction_db.raise(reduction_db);
            m.compare_gain_db
                .store(chain.core().compare_gain_db(), Ordering::Relaxed);
            m.latency_samples
                .store(lathe_dsp::Block::latency(chain), Ordering::Relaxed);
            if let Some(history) = self.history.as_mut() {
                history.add(
                    buffer.samples(),
                    HistoryPoint {
                        input: chain.input_peak(),
                        output: chain.output_peak(),
                        reduction_db,
                    },
                    &m.history,
                );
            }
        }
        status
    }
}

impl ClapPlugin for LatheBusCompressor {
    const CLAP_ID: &'static str = "audio.lathe.bus-compressor";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Glue compression for groups and the mix bus, with an external sidechain");
    const CLAP_MANUAL_URL: Option<&'static str> = Some(Self::URL);
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Stereo,
        ClapFeature::Compressor,
        ClapFeature::Mixing,
        ClapFeature::Mastering,
    ];
}

impl Vst3Plugin for LatheBusCompressor {
    const VST3_CLASS_ID: [u8; 16] = *b"LatheBusComp0001";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[
        Vst3SubCategory::Fx,
        Vst3SubCategory::Dynamics,
        Vst3SubCategory::Stereo,
    ];
}

nice_export_clap!(LatheBusCompressor);
nice_export_vst3!(LatheBusCompressor);
