//! Lathe Bus Compressor: Glue compression for groups and the mix bus, with an external sidechain.
//!
//! A thin wrapper: the parameters map onto the settings of [`lathe_dsp::chains::BusCompressor`],
//! which is the whole signal path (the `lathe` CLI drives the same type). The plugin adds the
//! stereo sidechain input port and the meters: in/out peaks, gain reduction and its scrolling
//! history, the compare gain and the latency.

use atomic_float::AtomicF32;
use lathe_dsp::chains::ChainSettings;
use lathe_dsp::chains::bus_compressor::{BusCompressorCore, BusCompressorSettings};
use lathe_plugin::{
    ChainPlugin, ChainRunner, GainHistory, HistoryPoint, HistoryWriter, IoMeters, PeakReadout,
};
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
#[derive(Default)]
pub struct LatheBusCompressor {
    params: Arc<BusCompressorParams>,
    meters: Arc<BusMeters>,
    runner: ChainRunner<BusCompressorCore>,
    history: Option<HistoryWriter>,
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

    fn deactivate(&mut self) {
        self.history = None;
    }
}

impl ChainPlugin for LatheBusCompressor {
    type Core = BusCompressorCore;
    const SIDECHAIN: bool = true;

    fn runner_and_meters(&mut self) -> (&mut ChainRunner<BusCompressorCore>, &IoMeters) {
        (&mut self.runner, &self.meters.io)
    }

    fn chain_settings(&self, _: Option<&Transport>) -> ChainSettings<BusCompressorSettings> {
        self.params.settings()
    }

    fn activated(&mut self, _: &AudioIOLayout, config: &BufferConfig) {
        self.history = Some(HistoryWriter::new(config.sample_rate as f64));
    }

    fn after_process(&mut self, buffer: &Buffer) {
        let Some(chain) = self.runner.chain_mut() else {
            return;
        };
        let reduction_db = chain.core_mut().take_max_reduction_db();
        let m = &self.meters;
        m.reduction_db.raise(reduction_db);
        m.compare_gain_db
            .store(chain.core().compare_gain_db(), Ordering::Relaxed);
        if let Some(history) = self.history.as_mut() {
            let point = HistoryPoint {
                input: chain.input_peak(),
                output: chain.output_peak(),
                reduction_db,
            };
            history.add(buffer.samples(), point, &m.history);
        }
    }
}

lathe_plugin::export_plugin!(
    LatheBusCompressor,
    IDENTITY,
    clap: [AudioEffect, Stereo, Compressor, Mixing, Mastering],
    vst3: [Fx, Dynamics, Stereo],
);
