//! Lathe Bus Compressor: Glue compression for groups and the mix bus, with an external sidechain.
//!
//! A thin wrapper: the parameters map onto the settings of [`lathe_dsp::plugins::BusCompressor`],
//! which is the whole signal path (the `lathe` CLI drives the same type). Until the plugin's own
//! DSP lands (issue #7), that path applies the input/output trims and the
//! latency-compensated bypass only.

use lathe_dsp::plugins::PassThrough;
use lathe_plugin::{ChainRunner, IoMeters};
use nice_plug::prelude::*;
use nice_plug_egui::EguiEditor;
use std::sync::Arc;

mod editor;
mod params;

pub use params::BusCompressorParams;

/// The Lathe Bus Compressor plugin.
pub struct LatheBusCompressor {
    params: Arc<BusCompressorParams>,
    meters: Arc<IoMeters>,
    runner: ChainRunner<PassThrough>,
}

impl Default for LatheBusCompressor {
    fn default() -> Self {
        Self {
            params: Arc::new(BusCompressorParams::default()),
            meters: Arc::new(IoMeters::default()),
            runner: ChainRunner::default(),
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

    type Editor = EguiEditor<lathe_ui::ShellApp<BusCompressorParams>>;
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
        aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        self.runner.process(
            &self.params.settings(),
            buffer,
            aux.inputs.first(),
            &self.meters,
            context,
        )
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
