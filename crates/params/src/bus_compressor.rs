//! Lathe Bus Compressor's parameters and factory presets. IDs are permanent once released;
//! never rename them (the README lists them).

use crate::IoParams;
use crate::builders::{float, gain, linear};
use crate::channel_strip::CharacterChoice;
use crate::compressor::{CompressorLayout, CompressorParams};
use crate::formatters::v2s_ms;
use crate::preset::{self, Target, target};
use lathe_dsp::ChainSettings;
use lathe_dsp::chains::bus_compressor::{
    BusCompressorSettings, KeySource, Listen, MAX_LOOKAHEAD_MS,
};
use lathe_dsp::color::saturator::{SaturatorOversampling, SaturatorSettings};
use lathe_dsp::dynamics::CompressorSettings;
use nice_plug::prelude::*;

pub use crate::channel_strip::SC_HPF_OFF_HZ;
/// The classic bus ratios the ratio control snaps to.
pub const RATIO_DETENTS: [f32; 3] = [2.0, 4.0, 10.0];
/// The side-chain high-pass corners offered as quick choices, Hz.
pub const SC_HPF_CHOICES: [f32; 3] = [60.0, 90.0, 150.0];

crate::choice! {
    /// Key source as a parameter.
    pub enum KeyChoice mirrors KeySource {
        /// The signal itself.
        Internal = ("internal", "Internal") => Internal,
        /// The sidechain input.
        External = ("external", "External") => External,
    }
}

crate::choice! {
    /// Listen mode as a parameter.
    pub enum ListenChoice mirrors Listen {
        /// The compressed signal.
        Off = ("off", "Off") => Off,
        /// The key after the side-chain filter.
        Sidechain = ("sidechain", "Sidechain") => Key,
        /// What the compressor removes.
        Delta = ("delta", "Delta") => Delta,
    }
}

/// How the bus shows the compressor ("Threshold", ...; its own time ranges and defaults).
pub fn compressor_layout() -> CompressorLayout {
    CompressorLayout {
        name_prefix: "",
        sc_hpf_name: "Sidechain HPF",
        link_name: "Stereo Link",
        attack_ms: (0.1, 30.0),
        release_ms: (50.0, 2000.0),
        defaults: BusCompressorSettings::default().compressor,
    }
}

/// All parameters of Lathe Bus Compressor.
#[derive(Params)]
pub struct BusCompressorParams {
    /// Input/output trims and bypass (`input_gain`, `output_gain`, `bypass`).
    #[nested]
    pub io: IoParams,
    /// The compressor (`threshold`, `ratio`, `knee`, `attack`, `release`, `detection`, `makeup`,
    /// `auto_makeup`, `mix`, `sc_hpf`, `link`).
    #[nested]
    pub comp: CompressorParams,
    /// Program-dependent two-stage release.
    #[id = "auto_release"]
    pub auto_release: BoolParam,
    /// Most gain reduction, dB.
    #[id = "range"]
    pub range: FloatParam,
    /// Mid/side detection and compression.
    #[id = "mid_side"]
    pub mid_side: BoolParam,
    /// Key source.
    #[id = "sc_source"]
    pub sc_source: EnumParam<KeyChoice>,
    /// Listen mode.
    #[id = "listen"]
    pub listen: EnumParam<ListenChoice>,
    /// Lookahead, ms.
    #[id = "lookahead"]
    pub lookahead: FloatParam,
    /// Output saturation on.
    #[id = "clip_on"]
    pub clip_on: BoolParam,
    /// Output saturation drive, dB.
    #[id = "clip_drive"]
    pub clip_drive: FloatParam,
    /// Output saturation character.
    #[id = "clip_character"]
    pub clip_character: EnumParam<CharacterChoice>,
    /// Loudness-matched compare (honest A/B).
    #[id = "compare"]
    pub compare: BoolParam,
}

impl Default for BusCompressorParams {
    fn default() -> Self {
        let d = BusCompressorSettings::default();
        let c = d.compressor;
        Self {
            io: IoParams::new("Input Gain", -24.0, 24.0),
            comp: CompressorParams::new(&compressor_layout()),
            auto_release: BoolParam::new("Auto Release", c.auto_release),
            range: gain("Range", 40.0, 0.0, 40.0),
            mid_side: BoolParam::new("Mid/Side", d.mid_side),
            sc_source: EnumParam::new("Sidechain", KeyChoice::Internal),
            listen: EnumParam::new("Listen", ListenChoice::Off),
            lookahead: float("Lookahead", 0.0, linear(0.0, MAX_LOOKAHEAD_MS), "", 3)
                .with_value_to_string(v2s_ms()),
            clip_on: BoolParam::new("Saturation", d.saturator_enabled),
            clip_drive: gain("Saturation Drive", 3.0, 0.0, 18.0),
            clip_character: EnumParam::new("Saturation Character", CharacterChoice::Tape),
            compare: BoolParam::new("Compare", false),
        }
    }
}

impl BusCompressorParams {
    /// The bus compressor settings the parameters describe.
    pub fn core_settings(&self) -> BusCompressorSettings {
        BusCompressorSettings {
            compressor: self.comp.settings(CompressorSettings {
                range_db: self.range.value(),
                auto_release: self.auto_release.value(),
                listen: false,
                ..CompressorSettings::default()
            }),
            key: self.sc_source.value().into(),
            mid_side: self.mid_side.value(),
            lookahead_ms: self.lookahead.value(),
            listen: self.listen.value().into(),
            saturator_enabled: self.clip_on.value(),
            saturator: SaturatorSettings {
                character: self.clip_character.value().into(),
                drive_db: self.clip_drive.value(),
                mix: 1.0,
                compensate: true,
                oversampling: SaturatorOversampling::X4,
            },
            compare: self.compare.value(),
            // The multiband parameters (`mb_on`, ...) come with the plugin part of issue #20.
            multiband_enabled: false,
            multiband: Default::default(),
        }
    }

    /// The DSP settings the current parameter values describe.
    pub fn settings(&self) -> ChainSettings<BusCompressorSettings> {
        ChainSettings {
            io: self.io.settings(),
            core: self.core_settings(),
        }
    }
}

/// A factory preset: the compressor's character (trims, listen and compare stay as they are).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Preset {
    /// Name shown in the editor.
    pub name: &'static str,
    /// What it is for.
    pub description: &'static str,
    /// Threshold, dB.
    pub threshold_db: f32,
    /// Ratio.
    pub ratio: f32,
    /// Knee, dB.
    pub knee_db: f32,
    /// Attack, ms.
    pub attack_ms: f32,
    /// Release, ms.
    pub release_ms: f32,
    /// Auto release.
    pub auto_release: bool,
    /// Range, dB.
    pub range_db: f32,
    /// Auto make-up.
    pub auto_makeup: bool,
    /// Mix, %.
    pub mix_percent: f32,
    /// Side-chain high-pass, Hz (0 = off).
    pub sc_hpf_hz: f32,
    /// Output saturation.
    pub saturation: bool,
    /// Keyed from the sidechain input.
    pub external_key: bool,
}

/// What most presets share: auto release and make-up, fully wet, internal key, no saturation.
const BASE: Preset = Preset {
    name: "",
    description: "",
    threshold_db: -20.0,
    ratio: 2.0,
    knee_db: 6.0,
    attack_ms: 10.0,
    release_ms: 200.0,
    auto_release: true,
    range_db: 12.0,
    auto_makeup: true,
    mix_percent: 100.0,
    sc_hpf_hz: 0.0,
    saturation: false,
    external_key: false,
};

/// The factory presets.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "Mix Bus Glue",
        description: "2:1, 10 ms attack, auto release, 90 Hz side-chain filter: a dB or two of glue",
        threshold_db: -18.0,
        ratio: 2.0,
        knee_db: 6.0,
        attack_ms: 10.0,
        release_ms: 200.0,
        range_db: 6.0,
        sc_hpf_hz: 90.0,
        ..BASE
    },
    Preset {
        name: "Drum Bus Smash",
        description: "10:1, fast attack and release, parallel at 40 %, saturated",
        threshold_db: -30.0,
        ratio: 10.0,
        knee_db: 3.0,
        attack_ms: 1.0,
        release_ms: 80.0,
        auto_release: false,
        range_db: 40.0,
        mix_percent: 40.0,
        sc_hpf_hz: 60.0,
        saturation: true,
        ..BASE
    },
    Preset {
        name: "Gentle Master",
        description: "1.5:1 with a wide knee and slow attack, auto release, range 3 dB",
        threshold_db: -16.0,
        ratio: 1.5,
        knee_db: 12.0,
        attack_ms: 30.0,
        release_ms: 400.0,
        range_db: 3.0,
        sc_hpf_hz: 90.0,
        ..BASE
    },
    Preset {
        name: "Vocal Bus",
        description: "4:1, 5 ms attack, 150 Hz side-chain filter, auto release",
        threshold_db: -24.0,
        ratio: 4.0,
        knee_db: 6.0,
        attack_ms: 5.0,
        release_ms: 150.0,
        range_db: 12.0,
        sc_hpf_hz: 150.0,
        ..BASE
    },
    Preset {
        name: "Pumping Sidechain",
        description: "External key, 10:1, fast attack, 150 ms release: ducking for EDM",
        threshold_db: -30.0,
        ratio: 10.0,
        knee_db: 0.0,
        attack_ms: 0.5,
        release_ms: 150.0,
        auto_release: false,
        range_db: 24.0,
        auto_makeup: false,
        sc_hpf_hz: 0.0,
        external_key: true,
        ..BASE
    },
];

impl Preset {
    /// The parameters this preset sets, with their normalized values.
    pub fn targets<'a>(&self, p: &'a BusCompressorParams) -> Vec<Target<'a>> {
        let f = |p: &'a FloatParam, v: f32| target(p, v);
        let b = |p: &'a BoolParam, v: bool| target(p, v);
        let hpf = if self.sc_hpf_hz <= 0.0 {
            SC_HPF_OFF_HZ
        } else {
            self.sc_hpf_hz
        };
        let mut out = vec![
            f(&p.comp.threshold, self.threshold_db),
            f(&p.comp.ratio, self.ratio),
            f(&p.comp.knee, self.knee_db),
            f(&p.comp.attack, self.attack_ms),
            f(&p.comp.release, self.release_ms),
            b(&p.auto_release, self.auto_release),
            f(&p.range, self.range_db),
            b(&p.comp.auto_makeup, self.auto_makeup),
            f(&p.comp.makeup, 0.0),
            f(&p.comp.mix, self.mix_percent),
            f(&p.comp.sc_hpf, hpf),
            b(&p.clip_on, self.saturation),
        ];
        let key = if self.external_key {
            KeyChoice::External
        } else {
            KeyChoice::Internal
        };
        out.push(target(&p.sc_source, key));
        out
    }

    /// Applies the preset through the host (one gesture per parameter).
    pub fn apply(&self, params: &BusCompressorParams, setter: &ParamSetter) {
        preset::apply(&self.targets(params), setter);
    }

    /// Whether the parameters currently hold this preset's values.
    pub fn is_active(&self, params: &BusCompressorParams) -> bool {
        preset::holds(&self.targets(params))
    }
}

/// The ratio to set when the user drags the ratio to `ratio`: a detent when within 4 % of one.
pub fn snap_ratio(ratio: f32) -> f32 {
    RATIO_DETENTS
        .iter()
        .copied()
        .find(|d| (ratio / d).ln().abs() < 0.04)
        .unwrap_or(ratio)
}
