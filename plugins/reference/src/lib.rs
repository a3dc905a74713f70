//! Lathe Reference: Compare the mix with reference tracks, loudness-matched, and match their tone.
//!
//! A thin wrapper: the parameters map onto the settings of [`lathe_dsp::chains::Reference`],
//! which is the whole signal path (`lathe match -o` drives the same type). The audio thread only
//! copies the input into two lock-free rings and runs that chain; analysis, file loading and
//! the match EQ's design run on the [`worker`] thread, which hands kernels and reference audio
//! over through mailboxes.

use lathe_dsp::chains::ChainSettings;
use lathe_dsp::chains::reference::{ReferenceCore, ReferenceSettings};
use lathe_dsp::rt::mailbox::mailbox;
use lathe_plugin::{ChainPlugin, IoMeters, PluginParts};
use nice_plug::prelude::*;
use std::sync::Arc;
use std::sync::atomic::Ordering;

mod editor;
mod params;
pub mod worker;

pub use params::ReferenceParams;

/// Who this plugin is (names, IDs, editor size).
pub const IDENTITY: lathe_plugin::Identity = lathe_plugin::lathe_identity::REFERENCE;
use worker::{Senders, Shared, Worker, lock};

/// The Lathe Reference plugin.
#[derive(Default)]
pub struct LatheReference {
    parts: PluginParts<ReferenceParams, IoMeters, ReferenceCore>,
    shared: Arc<Shared>,
    worker: Option<Worker>,
}

impl Plugin for LatheReference {
    lathe_plugin::plugin_items!(IDENTITY; layouts STEREO, page editor::ReferencePage,
        params ReferenceParams, migrate []);
}

impl ChainPlugin for LatheReference {
    lathe_plugin::chain_items!(ReferenceCore);

    /// The reference's loudness-matching gain and the transport position (while playing) come
    /// with the parameters; at activation neither.
    fn chain_settings(&self, transport: Option<&Transport>) -> ChainSettings<ReferenceSettings> {
        match transport {
            Some(t) => {
                let position = t.playing.then(|| t.pos_samples()).flatten();
                let gain = self.shared.reference_gain_db.load(Ordering::Relaxed);
                self.parts.params.settings(gain, position)
            }
            None => self.parts.params.settings(0.0, None),
        }
    }

    fn activated(&mut self, _: &AudioIOLayout, config: &BufferConfig) {
        self.shared
            .sample_rate_hz
            .store(config.sample_rate as f64, Ordering::Relaxed);
        // Fresh mailboxes for this chain; the worker sends the kernel and audio again.
        let (kernels, kernel_rx) = mailbox();
        let (audio, audio_rx) = mailbox();
        if let Some(chain) = self.parts.runner.chain_mut() {
            chain.core_mut().attach(kernel_rx, audio_rx);
        }
        *lock(&self.shared.senders) = Some(Senders { kernels, audio });
        self.shared
            .senders_generation
            .fetch_add(1, Ordering::AcqRel);
        // One worker for the plugin's life: the mix analysis and the decoded references survive
        // a deactivation (hosts deactivate to change the rate or the block size).
        if self.worker.is_none() {
            self.worker = Some(Worker::start(
                self.shared.clone(),
                self.parts.params.clone(),
            ));
        }
    }

    /// The mix, for the live analysis: just a copy into the rings.
    fn before_process(&mut self, buffer: &mut Buffer) {
        let channels = buffer.as_slice_immutable();
        if let Some(left) = channels.first() {
            let right = channels.get(1).unwrap_or(left);
            self.shared.rings[0].push(left.iter().copied());
            self.shared.rings[1].push(right.iter().copied());
        }
    }
}

lathe_plugin::export_plugin!(
    LatheReference,
    IDENTITY,
    clap: [AudioEffect, Stereo, Analyzer, Equalizer, Mastering],
    vst3: [Fx, Analyzer, Mastering, Stereo],
);
