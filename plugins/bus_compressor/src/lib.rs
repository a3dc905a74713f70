//! Lathe Bus Compressor: Glue compression for groups and the mix bus, with an external sidechain.
//!
//! A thin wrapper: the parameters map onto the settings of [`lathe_dsp::chains::BusCompressor`],
//! which is the whole signal path (the `lathe` CLI drives the same type). The plugin adds the
//! stereo sidechain input port and the meters: in/out peaks, gain reduction and its scrolling
//! history, the compare gain and the latency.

use atomic_float::AtomicF32;
use lathe_dsp::chains::bus_compressor::BusCompressorCore;
use lathe_plugin::{ChainRunner, GainHistory, HistoryPoint, HistoryWriter, IoMeters, PeakReadout};
use lathe_ui::EditorShell;
use nice_plug::prelude::*;
use nice_plug_egui::EguiEditor;
use std::sync::Arc;
use std::sync::atomic::Ordering;

mod editor;
mod params;

pub use params::*;

/// Who this plugin is (names, IDs, editor size).
pub const IDENTITY: lathe_plugin::Identity = lathe_plugin::lathe_identity::BUS_COMPRESSOR;

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
    lathe_plugin::plugin_items!(IDENTITY);

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = lathe_plugin::layouts::STEREO_WITH_SIDECHAIN;

    type Editor = EguiEditor<EditorShell<editor::BusPage>>;

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
            &self.meters.io,
            context,
        ) {
            return false;
        }
        self.history = Some(HistoryWriter::new(buffer_config.sample_rate as f64));
        true
    }

    fn deactivate(&mut self) {
        self.history = None;
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

lathe_plugin::export_plugin!(
    LatheBusCompressor,
    IDENTITY,
    clap: [AudioEffect, Stereo, Compressor, Mixing, Mastering],
    vst3: [Fx, Dynamics, Stereo],
);
