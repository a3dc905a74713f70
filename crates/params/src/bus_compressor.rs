//! Lathe Bus Compressor's parameters and factory presets. IDs are permanent once released;
//! never rename them (the README lists them).

use crate::builders::{float, freq_or_off, gain, linear, log_param, percent, time_ms};
use crate::channel_strip::{CharacterChoice, DetectionChoice};
use crate::preset::{self, Target, target};
use lathe_dsp::ChainSettings;
use lathe_dsp::chains::bus_compressor::{
    BusCompressorSettings, KeySource, Listen, MAX_LOOKAHEAD_MS,
};
use lathe_dsp::color::saturator::{SaturatorOversampling, SaturatorSettings};
use lathe_dsp::dynamics::CompressorSettings;
use lathe_plugin::IoParams;
use lathe_plugin::formatters::{is_off, s2v_ratio, v2s_ms, v2s_ratio};
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

/// All parameters of Lathe Bus Compressor.
#[derive(Params)]
pub struct BusCompressorParams {
    /// Input/output trims and bypass (`input_gain`, `output_gain`, `bypass`).
    #[nested]
    pub io: IoParams,
    /// Threshold, dBFS.
    #[id = "threshold"]
    pub threshold: FloatParam,
    /// Ratio (logarithmic; the editor snaps to 2, 4 and 10).
    #[id = "ratio"]
    pub ratio: FloatParam,
    /// Knee width, dB.
    #[id = "knee"]
    pub knee: FloatParam,
    /// Attack, ms (logarithmic).
    #[id = "attack"]
    pub attack: FloatParam,
    /// Release, ms (logarithmic); ignored with auto release.
    #[id = "release"]
    pub release: FloatParam,
    /// Program-dependent two-stage release.
    #[id = "auto_release"]
    pub auto_release: BoolParam,
    /// Most gain reduction, dB.
    #[id = "range"]
    pub range: FloatParam,
    /// Peak or RMS detection.
    #[id = "detection"]
    pub detection: EnumParam<DetectionChoice>,
    /// Make-up gain, dB.
    #[id = "makeup"]
    pub makeup: FloatParam,
    /// Automatic make-up.
    #[id = "auto_makeup"]
    pub auto_makeup: BoolParam,
    /// Dry/wet mix, %.
    #[id = "mix"]
    pub mix: FloatParam,
    /// Stereo link, %.
    #[id = "link"]
    pub link: FloatParam,
    /// Mid/side detection and compression.
    #[id = "mid_side"]
    pub mid_side: BoolParam,
    /// Key source.
    #[id = "sc_source"]
    pub sc_source: EnumParam<KeyChoice>,
    /// Side-chain high-pass (Off at the bottom; logarithmic).
    #[id = "sc_hpf"]
    pub sc_hpf: FloatParam,
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
            threshold: gain("Threshold", c.threshold_db, -60.0, 0.0),
            ratio: log_param("Ratio", c.ratio, 1.0, 20.0, v2s_ratio(), s2v_ratio()),
            knee: gain("Knee", c.knee_db, 0.0, 24.0),
            attack: time_ms("Attack", c.attack_ms, 0.1, 30.0),
            release: time_ms("Release", c.release_ms, 50.0, 2000.0),
            auto_release: BoolParam::new("Auto Release", c.auto_release),
            range: gain("Range", 40.0, 0.0, 40.0),
            detection: EnumParam::new("Detection", DetectionChoice::Peak),
            makeup: gain("Makeup", c.makeup_db, -12.0, 24.0),
            auto_makeup: BoolParam::new("Auto Makeup", c.auto_makeup),
            mix: percent("Mix", 100.0, 0.0, 100.0),
            link: percent("Stereo Link", 100.0, 0.0, 100.0),
            mid_side: BoolParam::new("Mid/Side", d.mid_side),
            sc_source: EnumParam::new("Sidechain", KeyChoice::Internal),
            sc_hpf: freq_or_off("Sidechain HPF", SC_HPF_OFF_HZ, SC_HPF_OFF_HZ, 500.0, true),
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
        let hpf = self.sc_hpf.value();
        BusCompressorSettings {
            compressor: CompressorSettings {
                threshold_db: self.threshold.value(),
                ratio: self.ratio.value(),
                knee_db: self.knee.value(),
                attack_ms: self.attack.value(),
                release_ms: self.release.value(),
                detection: self.detection.value().into(),
                makeup_db: self.makeup.value(),
                auto_makeup: self.auto_makeup.value(),
                mix: self.mix.value() / 100.0,
                sidechain_hpf_hz: if is_off(hpf, SC_HPF_OFF_HZ, true) {
                    0.0
                } else {
                    hpf
                },
                link: self.link.value() / 100.0,
                range_db: self.range.value(),
                auto_release: self.auto_release.value(),
                listen: false,
            },
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
        auto_release: true,
        range_db: 6.0,
        auto_makeup: true,
        mix_percent: 100.0,
        sc_hpf_hz: 90.0,
        saturation: false,
        external_key: false,
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
        auto_makeup: true,
        mix_percent: 40.0,
        sc_hpf_hz: 60.0,
        saturation: true,
        external_key: false,
    },
    Preset {
        name: "Gentle Master",
        description: "1.5:1 with a wide knee and slow attack, auto release, range 3 dB",
        threshold_db: -16.0,
        ratio: 1.5,
        knee_db: 12.0,
        attack_ms: 30.0,
        release_ms: 400.0,
        auto_release: true,
        range_db: 3.0,
        auto_makeup: true,
        mix_percent: 100.0,
        sc_hpf_hz: 90.0,
        saturation: false,
        external_key: false,
    },
    Preset {
        name: "Vocal Bus",
        description: "4:1, 5 ms attack, 150 Hz side-chain filter, auto release",
        threshold_db: -24.0,
        ratio: 4.0,
        knee_db: 6.0,
        attack_ms: 5.0,
        release_ms: 150.0,
        auto_release: true,
        range_db: 12.0,
        auto_makeup: true,
        mix_percent: 100.0,
        sc_hpf_hz: 150.0,
        saturation: false,
        external_key: false,
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
        mix_percent: 100.0,
        sc_hpf_hz: 0.0,
        saturation: false,
        external_key: true,
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
            f(&p.threshold, self.threshold_db),
            f(&p.ratio, self.ratio),
            f(&p.knee, self.knee_db),
            f(&p.attack, self.attack_ms),
            f(&p.release, self.release_ms),
            b(&p.auto_release, self.auto_release),
            f(&p.range, self.range_db),
            b(&p.auto_makeup, self.auto_makeup),
            f(&p.makeup, 0.0),
            f(&p.mix, self.mix_percent),
            f(&p.sc_hpf, hpf),
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
