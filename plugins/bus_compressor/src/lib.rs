//! Lathe Bus Compressor: Glue compression for groups and the mix bus, with an external sidechain.
//!
//! A thin wrapper: the parameters map onto the settings of [`lathe_dsp::chains::BusCompressor`],
//! which is the whole signal path (the `lathe` CLI drives the same type). The plugin adds the
//! stereo sidechain input port and the meters: in/out peaks, gain reduction and its scrolling
//! history, the compare gain and the latency.

use atomic_float::AtomicF32;
use lathe_dsp::chains::bus_compressor::BusCompressorCore;
use lathe_plugin::{
    ChainPlugin, GainHistory, HistoryPoint, HistoryWriter, IoMeters, PeakReadout, PluginParts,
};
use nice_plug::prelude::*;
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

impl AsRef<IoMeters> for BusMeters {
    fn as_ref(&self) -> &IoMeters {
        &self.io
    }
}

/// The Lathe Bus Compressor plugin.
#[derive(Default)]
pub struct LatheBusCompressor {
    parts: PluginParts<BusCompressorParams, BusMeters, BusCompressorCore>,
    history: Option<HistoryWriter>,
}

impl Plugin for LatheBusCompressor {
    lathe_plugin::plugin_items!(IDENTITY; layouts STEREO_WITH_SIDECHAIN, page editor::BusPage,
        params BusCompressorParams, migrate []);

    fn deactivate(&mut self) {
        self.history = None;
    }
}

impl ChainPlugin for LatheBusCompressor {
    lathe_plugin::chain_items!(BusCompressorCore, settings: params);
    const SIDECHAIN: bool = true;

    fn activated(&mut self, _: &AudioIOLayout, config: &BufferConfig) {
        self.history = Some(HistoryWriter::new(config.sample_rate as f64));
    }

    fn after_process(&mut self, buffer: &Buffer) {
        let Some(chain) = self.parts.runner.chain_mut() else {
            return;
        };
        let reduction_db = chain.core_mut().take_max_reduction_db();
        let m = &self.parts.meters;
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
