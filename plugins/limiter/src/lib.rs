//! Lathe Limiter: true-peak mastering limiter with loudness metering.
//!
//! A thin wrapper: the parameters map onto the settings of [`lathe_dsp::chains::Limiter`],
//! which is the whole signal path (the `lathe` CLI drives the same type). This file adds the
//! meters: input true peak, gain reduction and its history, and the output loudness meter.

use atomic_float::AtomicF32;
use lathe_dsp::analysis::loudness::learn::{LearnMeters, LearnReadouts};
use lathe_dsp::analysis::loudness::truepeak::TruePeak;
use lathe_dsp::analysis::loudness::{LoudnessMeter, LoudnessReadouts};
use lathe_dsp::chains::limiter::LimiterCore;
use lathe_plugin::{
    ChainPlugin, GainHistory, HistoryPoint, HistoryWriter, IoMeters, PeakReadout, PluginParts,
};
use nice_plug::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};

mod editor;
mod params;

pub use params::{DitherChoice, LimiterParams, OversamplingChoice, PRESETS, Preset};

/// Who this plugin is (names, IDs, editor size).
pub const IDENTITY: lathe_plugin::Identity = lathe_plugin::lathe_identity::LIMITER;

/// Everything the editor shows, written lock-free by the audio thread.
#[derive(Debug, Default)]
pub struct LimiterMeters {
    /// Input (before drive) and output sample peaks.
    pub io: IoMeters,
    /// Deepest gain reduction since the editor last looked, dB (positive).
    pub reduction_db: PeakReadout,
    /// Input true peak (BS.1770 4x) since the last meter reset, linear.
    pub input_true_peak: AtomicF32,
    /// Output loudness, true peak and PLR since the last meter reset.
    pub loudness: LoudnessReadouts,
    /// Scrolling input/output/gain-reduction history.
    pub history: GainHistory,
    /// Gain the unity-gain monitor applies, dB.
    pub monitor_gain_db: AtomicF32,
    /// Set by the editor's reset button; the audio thread clears the meters and this flag.
    pub reset_requested: AtomicBool,
    /// Set by the editor while it learns the drive: the audio thread runs the learn meters
    /// while the transport plays.
    pub learning: AtomicBool,
    /// Set by the editor when learning starts; the audio thread restarts the learn meters and
    /// clears it.
    pub learn_restart: AtomicBool,
    /// What the learn meters read.
    pub learn: LearnReadouts,
    /// Whether the host's transport is playing.
    pub playing: AtomicBool,
}

/// Meter state owned by the audio thread (allocated in `activate`).
struct MeterState {
    loudness: LoudnessMeter,
    input_true_peak: Vec<TruePeak>,
    history: HistoryWriter,
    learn: LearnMeters,
    /// Whether the learn meters measure this block (learning, transport playing).
    learning_now: bool,
    samples_since_publish: usize,
    publish_every: usize,
}

/// The Lathe Limiter plugin.
#[derive(Default)]
pub struct LatheLimiter {
    parts: PluginParts<LimiterParams, LimiterMeters, LimiterCore>,
    state: Option<MeterState>,
}

impl LatheLimiter {
    fn update_meters(&mut self, buffer: &Buffer) {
        let Some(state) = self.state.as_mut() else {
            return;
        };
        let meters = &self.parts.meters;
        if meters.reset_requested.swap(false, Ordering::Relaxed) {
            state.loudness.reset();
            for tp in &mut state.input_true_peak {
                tp.reset();
            }
        }
        let (slices, channels) = lathe_plugin::channel_slices(buffer);
        state.loudness.process(&slices[..channels]);
        if state.learning_now {
            state.learn.process_output(&slices[..channels]);
        }
        state.samples_since_publish += buffer.samples();
        if state.samples_since_publish >= state.publish_every {
            state.samples_since_publish = 0;
            state.loudness.publish(&meters.loudness);
            // Only while the editor learns (playing or not, so a restart's empty readings
            // reach it): the readings' gating costs the audio thread nothing otherwise.
            if meters.learning.load(Ordering::Relaxed) {
                state.learn.publish(&meters.learn);
            }
        }
        let input_tp = state
            .input_true_peak
            .iter()
            .fold(0.0f32, |m, tp| m.max(tp.peak()));
        meters.input_true_peak.store(input_tp, Ordering::Relaxed);
        if let Some(chain) = self.parts.runner.chain_mut() {
            let gain = chain.core_mut().take_min_gain();
            let reduction_db = if gain > 0.0 {
                -20.0 * gain.log10()
            } else {
                0.0
            };
            meters.reduction_db.raise(reduction_db);
            meters
                .monitor_gain_db
                .store(chain.core().monitor_gain_db(), Ordering::Relaxed);
            state.history.add(
                buffer.samples(),
                HistoryPoint {
                    input: chain.input_peak(),
                    output: chain.output_peak(),
                    reduction_db,
                },
                &meters.history,
            );
        }
    }
}

impl AsRef<IoMeters> for LimiterMeters {
    fn as_ref(&self) -> &IoMeters {
        &self.io
    }
}

impl Plugin for LatheLimiter {
    // 0.1 stored release and lookahead in ms already (skewed ranges then, logarithmic now).
    lathe_plugin::plugin_items!(IDENTITY; layouts STEREO_OR_MONO, page editor::LimiterPage,
        params LimiterParams, migrate ["release", "lookahead"]);

    fn deactivate(&mut self) {
        self.state = None;
    }
}

impl ChainPlugin for LatheLimiter {
    lathe_plugin::chain_items!(LimiterCore, settings: params);

    fn activated(&mut self, layout: &AudioIOLayout, config: &BufferConfig) {
        let sr = config.sample_rate as f64;
        let channels = layout.main_output_channels.map_or(2, |c| c.get() as usize);
        self.state = Some(MeterState {
            loudness: LoudnessMeter::for_channels(sr, channels),
            input_true_peak: (0..channels).map(|_| TruePeak::new(sr)).collect(),
            history: HistoryWriter::new(sr),
            learn: LearnMeters::new(sr, channels),
            learning_now: false,
            samples_since_publish: 0,
            publish_every: (sr * 0.05) as usize,
        });
    }

    fn transport(&mut self, transport: &Transport) {
        let meters = &self.parts.meters;
        meters.playing.store(transport.playing, Ordering::Relaxed);
    }

    fn before_process(&mut self, buffer: &mut Buffer) {
        let meters = &self.parts.meters;
        let drive_db = self.parts.params.io.input_gain.value();
        if let Some(state) = self.state.as_mut() {
            let (channels, n) = lathe_plugin::channel_slices(buffer);
            for (tp, ch) in state.input_true_peak.iter_mut().zip(&channels[..n]) {
                tp.process(ch);
            }
            state.learning_now =
                meters.learning.load(Ordering::Relaxed) && meters.playing.load(Ordering::Relaxed);
            if meters.learn_restart.swap(false, Ordering::Relaxed) {
                state.learn.restart();
            }
            if state.learning_now {
                state.learn.process_input(&channels[..n], drive_db);
            }
        }
    }

    fn after_process(&mut self, buffer: &Buffer) {
        self.update_meters(buffer);
    }
}

lathe_plugin::export_plugin!(
    LatheLimiter,
    IDENTITY,
    clap: [AudioEffect, Stereo, Mono, Limiter, Mastering],
    vst3: [Fx, Dynamics, Mastering],
);
