//! Lathe Bus Compressor: Glue compression for groups and the mix bus, with an external sidechain.
//!
//! A thin wrapper: the parameters map onto the settings of [`lathe_dsp::chains::BusCompressor`],
//! which is the whole signal path (the `lathe` CLI drives the same type). The plugin adds the
//! stereo sidechain input port and the meters: in/out peaks, gain reduction and its scrolling
//! history, the compare gain and the latency.

use atomic_float::AtomicF32;
use lathe_dsp::chains::bus_compressor::BusCompressorCore;
use lathe_dsp::dynamics::multiband::MAX_BANDS;
use lathe_plugin::{
    AnalyzerRing, ChainPlugin, GainHistory, HistoryPoint, HistoryWriter, IoMeters, PeakReadout,
    PluginParts, push_mono,
};
use nice_plug::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};

#[cfg(feature = "standalone")]
mod demo;
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
    /// Deepest gain reduction of each multiband band since the editor last looked, dB.
    pub band_reduction_db: [PeakReadout; MAX_BANDS],
    /// Scrolling input/output/gain-reduction history.
    pub history: GainHistory,
    /// Gain the compare mode gives the dry signal, dB.
    pub compare_gain_db: AtomicF32,
    /// Mono sum of the input, for the band display's spectrum.
    pub spectrum: AnalyzerRing,
    /// Set while an editor is open: only then does the audio thread feed the spectrum ring.
    pub analyzer_active: AtomicBool,
}

impl AsRef<IoMeters> for BusMeters {
    fn as_ref(&self) -> &IoMeters {
        &self.io
    }
}

/// The Lathe Bus Compressor plugin.
#[derive(Default)]
pub struct LatheBusCompressor {
    /// The screenshot build's synthetic input.
    #[cfg(feature = "standalone")]
    demo: demo::Demo,
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
        // The linear-phase crossovers' kernels are designed on threads of their own while the
        // host plays; the current ones are designed here.
        if let Some(chain) = self.parts.runner.chain_mut()
            && let Err(e) = chain.core_mut().attach_designers()
        {
            nice_plug::nice_log!("Lathe Bus Compressor: no crossover designer threads: {e}");
        }
    }

    fn before_process(&mut self, buffer: &mut Buffer) {
        #[cfg(feature = "standalone")]
        self.demo.fill(
            buffer,
            self.parts.meters.io.sample_rate_hz.load(Ordering::Relaxed),
        );
        // The spectrum ring is fed only while an editor shows it.
        if self.parts.meters.analyzer_active.load(Ordering::Relaxed) {
            push_mono(&self.parts.meters.spectrum, buffer);
        }
    }

    fn after_process(&mut self, buffer: &Buffer) {
        let Some(chain) = self.parts.runner.chain_mut() else {
            return;
        };
        let (reduction_db, bands) = chain.core_mut().take_reductions_db();
        let m = &self.parts.meters;
        m.reduction_db.raise(reduction_db);
        for (readout, db) in m.band_reduction_db.iter().zip(bands) {
            readout.raise(db);
        }
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
