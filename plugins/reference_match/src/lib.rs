//! Lathe Reference: Compare the mix with reference tracks, loudness-matched, and match their tone.
//!
//! A thin wrapper: the parameters map onto the settings of [`lathe_dsp::plugins::ReferenceMatch`],
//! which is the whole signal path (the `lathe` CLI drives the same type). Until the plugin's own
//! DSP lands (issue #6), that path applies the input/output trims and the
//! latency-compensated bypass only.

use lathe_dsp::plugins::PassThrough;
use lathe_plugin::{ChainRunner, IoMeters};
use nice_plug::prelude::*;
use nice_plug_egui::EguiEditor;
use std::sync::Arc;

mod editor;
mod params;

pub use params::ReferenceParams;

/// The Lathe Reference plugin.
pub struct LatheReference {
    params: Arc<ReferenceParams>,
    meters: Arc<IoMeters>,
    runner: ChainRunner<PassThrough>,
}

impl Default for LatheReference {
    fn default() -> Self {
        Self {
            params: Arc::new(ReferenceParams::default()),
            meters: Arc::new(IoMeters::default()),
            runner: ChainRunner::default(),
        }
    }
}

impl Plugin for LatheReference {
    const NAME: &'static str = "Lathe Reference";
    const VENDOR: &'static str = lathe_plugin::VENDOR;
    const URL: &'static str = lathe_plugin::URL;
    const EMAIL: &'static str = lathe_plugin::EMAIL;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[AudioIOLayout {
        main_input_channels: NonZeroU32::new(2),
        main_output_channels: NonZeroU32::new(2),
        ..AudioIOLayout::const_default()
    }];

    const SAMPLE_ACCURATE_AUTOMATION: bool = true;

    type Editor = EguiEditor<lathe_ui::ShellApp<ReferenceParams>>;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
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
        self.runner.activate(
            audio_io_layout,
            buffer_config,
            &self.params.settings(),
            context,
        )
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
        self.runner
            .process(&self.params.settings(), buffer, None, &self.meters, context)
    }
}

impl ClapPlugin for LatheReference {
    const CLAP_ID: &'static str = "audio.lathe.reference";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Compare the mix with reference tracks, loudness-matched, and match their tone");
    const CLAP_MANUAL_URL: Option<&'static str> = Some(Self::URL);
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Stereo,
        ClapFeature::Analyzer,
        ClapFeature::Equalizer,
        ClapFeature::Mastering,
    ];
}

impl Vst3Plugin for LatheReference {
    const VST3_CLASS_ID: [u8; 16] = *b"LatheReference01";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[
        Vst3SubCategory::Fx,
        Vst3SubCategory::Analyzer,
        Vst3SubCategory::Mastering,
        Vst3SubCategory::Stereo,
    ];
}

nice_export_clap!(LatheReference);
nice_export_vst3!(LatheReference);
