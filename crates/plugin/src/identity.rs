//! A plugin's identity in nice-plug's terms: the associated items every Lathe plugin states the
//! same way ([`plugin_items!`](crate::plugin_items)), the CLAP and VST3 descriptions and exports
//! ([`export_plugin!`](crate::export_plugin)), and the audio layouts they choose from
//! ([`layouts`](crate::layouts)). Names and IDs come from [`lathe_identity`], the one table.

/// Expands, inside `impl Plugin for P`, to the items every Lathe plugin states the same way,
/// taken from its [`Identity`](lathe_identity::Identity): `NAME`, `VENDOR`, `URL`, `EMAIL`,
/// `VERSION`, sample-accurate automation, no SysEx and no background task, `params()` and `reset()`
/// (from the plugin's `parts`, a [`PluginParts`](crate::PluginParts)), and `activate()`/`process()` from
/// its [`ChainPlugin`](crate::ChainPlugin) impl.
///
/// The long form, `plugin_items!(IDENTITY; layouts STEREO, page editor::Page, params Params,
/// migrate ["id", ...])`, adds `AUDIO_IO_LAYOUTS` (one of [`layouts`](crate::layouts)),
/// `type Editor` (the page inside `lathe_ui::EditorShell`; the plugin crate depends on
/// `lathe-ui` and `nice-plug-egui`), `editor()` (the page its `editor::page(&self)` makes, sized and titled by its identity) and
/// `filter_state` (`lathe_params::migrate_log_values` with the IDs that were stored in their
/// unit before 0.2).
#[macro_export]
macro_rules! plugin_items {
    (
        $identity:expr;
        layouts $layouts:ident,
        page $page:ty,
        params $params:ty,
        migrate [$($unit_id:literal),* $(,)?] $(,)?
    ) => {
        $crate::plugin_items!($identity);

        const AUDIO_IO_LAYOUTS: &'static [$crate::__nice_plug::prelude::AudioIOLayout] =
            $crate::layouts::$layouts;

        type Editor = ::lathe_ui::LatheEditor<$page>;

        fn filter_state(state: &mut $crate::__nice_plug::prelude::PluginState) {
            ::lathe_params::migrate_log_values(state, &<$params>::default(), &[$($unit_id),*]);
        }

        fn editor(
            &mut self,
            _: $crate::__nice_plug::prelude::AsyncExecutor<Self>,
        ) -> Option<Self::Editor> {
            ::lathe_ui::create_editor(&$identity, editor::page(self))
        }
    };
    ($identity:expr) => {
        const NAME: &'static str = $identity.name;
        const VENDOR: &'static str = $crate::VENDOR;
        const URL: &'static str = $crate::URL;
        const EMAIL: &'static str = $crate::EMAIL;
        const VERSION: &'static str = env!("CARGO_PKG_VERSION");
        const SAMPLE_ACCURATE_AUTOMATION: bool = true;
        type SysExMessage = ();
        type BackgroundTask = ();

        fn params(&self) -> ::std::sync::Arc<dyn $crate::__nice_plug::prelude::Params> {
            self.parts.params.clone()
        }

        fn reset(&mut self) {
            self.parts.runner.reset();
        }

        fn activate(
            &mut self,
            layout: &$crate::__nice_plug::prelude::AudioIOLayout,
            config: &$crate::__nice_plug::prelude::BufferConfig,
            context: &mut impl $crate::__nice_plug::prelude::ActivateContext<Self>,
        ) -> bool {
            $crate::activate_chain(self, layout, config, context)
        }

        fn process(
            &mut self,
            buffer: &mut $crate::__nice_plug::prelude::Buffer,
            aux: &mut $crate::__nice_plug::prelude::AuxiliaryBuffers,
            context: &mut impl $crate::__nice_plug::prelude::ProcessContext<Self>,
        ) -> $crate::__nice_plug::prelude::ProcessStatus {
            $crate::process_chain(self, buffer, aux, context)
        }
    };
}

/// Expands, inside `impl ChainPlugin for P`, to `type Core` and `runner_and_meters()` from the
/// runner and meters in the plugin's `parts` (meters that are `AsRef<IoMeters>`); with
/// `settings: params`, also `chain_settings()` as `self.parts.params.settings()`.
#[macro_export]
macro_rules! chain_items {
    ($core:ty, settings: params) => {
        $crate::chain_items!($core);

        fn chain_settings(
            &self,
            _: Option<&$crate::__nice_plug::prelude::Transport>,
        ) -> ::lathe_dsp::chains::ChainSettings<<$core as ::lathe_dsp::chains::Core>::Settings> {
            self.parts.params.settings()
        }
    };
    ($core:ty) => {
        type Core = $core;

        fn runner_and_meters(&mut self) -> (&mut $crate::ChainRunner<$core>, &$crate::IoMeters) {
            (
                &mut self.parts.runner,
                ::std::convert::AsRef::as_ref(&*self.parts.meters),
            )
        }
    };
}

/// Implements `ClapPlugin` and `Vst3Plugin` for a plugin type from its
/// [`Identity`](lathe_identity::Identity), with its CLAP features and VST3 subcategories, and
/// exports both entry points.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty, $identity:expr, clap: [$($clap:ident),* $(,)?], vst3: [$($vst3:ident),* $(,)?] $(,)?) => {
        impl $crate::__nice_plug::prelude::ClapPlugin for $plugin {
            const CLAP_ID: &'static str = $identity.clap_id;
            const CLAP_DESCRIPTION: Option<&'static str> = Some($identity.description);
            const CLAP_MANUAL_URL: Option<&'static str> = Some($crate::URL);
            const CLAP_SUPPORT_URL: Option<&'static str> = None;
            const CLAP_FEATURES: &'static [$crate::__nice_plug::prelude::ClapFeature] =
                &[$($crate::__nice_plug::prelude::ClapFeature::$clap),*];
        }

        impl $crate::__nice_plug::prelude::Vst3Plugin for $plugin {
            const VST3_CLASS_ID: [u8; 16] = $identity.vst3_class_id;
            const VST3_SUBCATEGORIES: &'static [$crate::__nice_plug::prelude::Vst3SubCategory] =
                &[$($crate::__nice_plug::prelude::Vst3SubCategory::$vst3),*];
        }

        $crate::__nice_plug::nice_export_clap!($plugin);
        $crate::__nice_plug::nice_export_vst3!($plugin);
    };
}

/// The audio layouts Lathe plugins offer.
pub mod layouts {
    use nice_plug::prelude::{AudioIOLayout, NonZeroU32, PortNames, new_nonzero_u32};

    const STEREO_LAYOUT: AudioIOLayout = AudioIOLayout {
        main_input_channels: NonZeroU32::new(2),
        main_output_channels: NonZeroU32::new(2),
        ..AudioIOLayout::const_default()
    };

    /// Stereo in, stereo out.
    pub const STEREO: &[AudioIOLayout] = &[STEREO_LAYOUT];

    /// Stereo, or mono in and out.
    pub const STEREO_OR_MONO: &[AudioIOLayout] = &[
        STEREO_LAYOUT,
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
    ];

    /// Stereo with a stereo sidechain input.
    pub const STEREO_WITH_SIDECHAIN: &[AudioIOLayout] = &[AudioIOLayout {
        aux_input_ports: &[new_nonzero_u32(2)],
        names: PortNames {
            layout: Some("Stereo with sidechain"),
            main_input: Some("Input"),
            main_output: Some("Output"),
            aux_inputs: &["Sidechain"],
            aux_outputs: &[],
        },
        ..STEREO_LAYOUT
    }];
}
