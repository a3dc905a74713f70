//! Lathe Reference: Compare the mix with reference tracks, loudness-matched, and match their tone.
//!
//! A thin wrapper: the parameters map onto the settings of [`lathe_dsp::chains::Reference`],
//! which is the whole signal path (`lathe match -o` drives the same type). The audio thread only
//! copies the input into two lock-free rings and runs that chain; analysis, file loading and
//! the match EQ's design run on the [`worker`] thread, which hands kernels and reference audio
//! over through mailboxes.

use lathe_dsp::chains::reference::ReferenceCore;
use lathe_dsp::rt::mailbox::mailbox;
use lathe_plugin::{ChainRunner, IoMeters};
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
pub struct LatheReference {
    params: Arc<ReferenceParams>,
    meters: Arc<IoMeters>,
    shared: Arc<Shared>,
    runner: ChainRunner<ReferenceCore>,
    worker: Option<Worker>,
}

impl Default for LatheReference {
    fn default() -> Self {
        Self {
            params: Arc::new(ReferenceParams::default()),
            meters: Arc::new(IoMeters::default()),
            shared: Arc::new(Shared::default()),
            runner: ChainRunner::default(),
            worker: None,
        }
    }
}

impl Plugin for LatheReference {
    lathe_plugin::plugin_items!(IDENTITY);

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = lathe_plugin::layouts::STEREO;

    type Editor = nice_plug_egui::EguiEditor<lathe_ui::EditorShell<editor::ReferencePage>>;

    fn filter_state(state: &mut PluginState) {
        lathe_params::migrate_log_values(state, &ReferenceParams::default(), &[]);
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(
            self.params.clone(),
            self.meters.clone(),
            self.shared.clone(),
        )
    }

    fn activate(
        &mut self,
        audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        self.shared
            .sample_rate_hz
            .store(buffer_config.sample_rate as f64, Ordering::Relaxed);
        let settings = self.params.settings(0.0, None);
        if !self.runner.activate(
            audio_io_layout,
            buffer_config,
            &settings,
            &self.meters,
            context,
        ) {
            return false;
        }
        // Fresh mailboxes for this chain; the worker sends the kernel and audio again.
        let (kernels, kernel_rx) = mailbox();
        let (audio, audio_rx) = mailbox();
        if let Some(chain) = self.runner.chain_mut() {
            chain.core_mut().attach(kernel_rx, audio_rx);
        }
        *lock(&self.shared.senders) = Some(Senders { kernels, audio });
        self.shared
            .senders_generation
            .fetch_add(1, Ordering::AcqRel);
        // One worker for the plugin's life: the mix analysis and the decoded references survive
        // a deactivation (hosts deactivate to change the rate or the block size).
        if self.worker.is_none() {
            self.worker = Some(Worker::start(self.shared.clone(), self.params.clone()));
        }
        true
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        // Subnormal tails and input cost nothing (FTZ/DAZ for this call, restored on return).
        let _denormals = lathe_dsp::math::FlushDenormals::new();
        // The mix, for the live analysis: just a copy into the rings.
        let channels = buffer.as_slice_immutable();
        if let Some(left) = channels.first() {
            let right = channels.get(1).unwrap_or(left);
            self.shared.rings[0].push(left.iter().copied());
            self.shared.rings[1].push(right.iter().copied());
        }
        let transport = context.transport();
        let position = transport.playing.then(|| transport.pos_samples()).flatten();
        let gain = self.shared.reference_gain_db.load(Ordering::Relaxed);
        let settings = self.params.settings(gain, position);
        self.runner
            .process(&settings, buffer, None, &self.meters, context)
    }
}

lathe_plugin::export_plugin!(
    LatheReference,
    IDENTITY,
    clap: [AudioEffect, Stereo, Analyzer, Equalizer, Mastering],
    vst3: [Fx, Analyzer, Mastering, Stereo],
);
