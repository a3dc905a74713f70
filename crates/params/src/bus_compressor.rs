//! Lathe Bus Compressor's parameters and factory presets. IDs are permanent once released;
//! never rename them (the README lists them).

use crate::IoParams;
use crate::builders::freq;
use crate::builders::{float, gain, linear};
use crate::channel_strip::CharacterChoice;
use crate::compressor::{CompressorLayout, CompressorParams, curve_params};
use crate::formatters::v2s_ms;
use crate::preset::{self, Target, target};
use lathe_dsp::ChainSettings;
use lathe_dsp::chains::bus_compressor::{
    BusCompressorSettings, KeySource, Listen, MAX_LOOKAHEAD_MS,
};
use lathe_dsp::color::saturator::{SaturatorOversampling, SaturatorSettings};
use lathe_dsp::dynamics::CompressorSettings;
use lathe_dsp::dynamics::multiband::{BandSettings, MAX_BANDS, MultibandPhase, MultibandSettings};
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

crate::choice! {
    /// How the multiband mode splits, as a parameter.
    pub enum MultibandPhaseChoice mirrors MultibandPhase {
        /// Linkwitz-Riley crossovers, zero latency (default).
        Minimum = ("minimum", "Minimum") => Minimum,
        /// Linear-phase FIR crossovers, about 170 ms of latency.
        Linear = ("linear", "Linear") => Linear,
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

/// One band of the multiband mode (`mb<k>_threshold`, `_ratio`, `_attack`, `_release`,
/// `_knee`, `_makeup`, `_solo`, `_bypass`): the single-band parameters' ranges, laws and text
/// formats.
#[derive(Params)]
pub struct MultibandBandParams {
    /// Threshold, dBFS.
    #[id = "threshold"]
    pub threshold: FloatParam,
    /// Ratio (logarithmic).
    #[id = "ratio"]
    pub ratio: FloatParam,
    /// Attack, ms (logarithmic).
    #[id = "attack"]
    pub attack: FloatParam,
    /// Release, ms (logarithmic).
    #[id = "release"]
    pub release: FloatParam,
    /// Knee width, dB.
    #[id = "knee"]
    pub knee: FloatParam,
    /// Make-up gain, dB.
    #[id = "makeup"]
    pub makeup: FloatParam,
    /// Play the soloed bands only.
    #[id = "solo"]
    pub solo: BoolParam,
    /// Pass the band without gain reduction.
    #[id = "bypass"]
    pub bypass: BoolParam,
}

impl MultibandBandParams {
    fn new(band: usize) -> Self {
        let layout = CompressorLayout {
            name_prefix: ["Low ", "Low Mid ", "High Mid ", "High "][band],
            ..compressor_layout()
        };
        let [threshold, ratio, knee, attack, release, makeup] = curve_params(&layout);
        let name = |n: &str| format!("{}{n}", layout.name_prefix);
        Self {
            threshold,
            ratio,
            attack,
            release,
            knee,
            makeup,
            solo: BoolParam::new(name("Solo"), false),
            bypass: BoolParam::new(name("Bypass"), false),
        }
    }

    fn settings(&self) -> BandSettings {
        BandSettings {
            compressor: CompressorSettings {
                threshold_db: self.threshold.value(),
                ratio: self.ratio.value(),
                attack_ms: self.attack.value(),
                release_ms: self.release.value(),
                knee_db: self.knee.value(),
                makeup_db: self.makeup.value(),
                ..CompressorSettings::default()
            },
            solo: self.solo.value(),
            bypass: self.bypass.value(),
        }
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
    /// Multiband mode.
    #[id = "mb_on"]
    pub mb_on: BoolParam,
    /// Number of bands, 2-4.
    #[id = "mb_bands"]
    pub mb_bands: IntParam,
    /// Minimum-phase or linear-phase crossovers.
    #[id = "mb_phase"]
    pub mb_phase: EnumParam<MultibandPhaseChoice>,
    /// Crossover between bands 1 and 2.
    #[id = "mb_xover_1"]
    pub mb_xover_1: FloatParam,
    /// Crossover between bands 2 and 3.
    #[id = "mb_xover_2"]
    pub mb_xover_2: FloatParam,
    /// Crossover between bands 3 and 4.
    #[id = "mb_xover_3"]
    pub mb_xover_3: FloatParam,
    /// Band 1 (`mb1_...`).
    #[nested(id_prefix = "mb1", group = "Band 1")]
    pub mb1: MultibandBandParams,
    /// Band 2 (`mb2_...`).
    #[nested(id_prefix = "mb2", group = "Band 2")]
    pub mb2: MultibandBandParams,
    /// Band 3 (`mb3_...`).
    #[nested(id_prefix = "mb3", group = "Band 3")]
    pub mb3: MultibandBandParams,
    /// Band 4 (`mb4_...`).
    #[nested(id_prefix = "mb4", group = "Band 4")]
    pub mb4: MultibandBandParams,
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
            mb_on: BoolParam::new("Multiband", false),
            mb_bands: IntParam::new("Bands", 3, IntRange::Linear { min: 2, max: 4 }),
            mb_phase: EnumParam::new("Multiband Phase", MultibandPhaseChoice::Minimum),
            mb_xover_1: freq("Crossover 1", 120.0, 20.0, 20_000.0),
            mb_xover_2: freq("Crossover 2", 1_000.0, 20.0, 20_000.0),
            mb_xover_3: freq("Crossover 3", 6_000.0, 20.0, 20_000.0),
            mb1: MultibandBandParams::new(0),
            mb2: MultibandBandParams::new(1),
            mb3: MultibandBandParams::new(2),
            mb4: MultibandBandParams::new(3),
        }
    }
}

impl BusCompressorParams {
    /// The bands, lowest first.
    pub fn bands(&self) -> [&MultibandBandParams; MAX_BANDS] {
        [&self.mb1, &self.mb2, &self.mb3, &self.mb4]
    }

    /// The multiband settings the parameters describe (the crossovers as set; the DSP keeps
    /// them in order and apart).
    pub fn multiband_settings(&self) -> MultibandSettings {
        MultibandSettings {
            bands: self.mb_bands.value().clamp(2, MAX_BANDS as i32) as usize,
            crossovers_hz: [
                self.mb_xover_1.value(),
                self.mb_xover_2.value(),
                self.mb_xover_3.value(),
            ],
            band: self.bands().map(MultibandBandParams::settings),
            // Set from `listen` by the chain.
            delta: false,
            phase: self.mb_phase.value().into(),
        }
    }

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
            multiband_enabled: self.mb_on.value(),
            multiband: self.multiband_settings(),
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
    /// Multiband mode, or `None` for the single-band compressor.
    pub multiband: Option<MultibandPreset>,
}

/// A preset's multiband mode: the band count, the crossovers (Hz) and each band's threshold
/// (dB), ratio, attack and release (ms); knee 6 dB and no make-up in every band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MultibandPreset {
    /// Bands, 2-4.
    pub bands: i32,
    /// Crossovers, Hz (the unused ones at their defaults).
    pub crossovers_hz: [f32; 3],
    /// `[threshold_db, ratio, attack_ms, release_ms]` per band, lowest first.
    pub band: [[f32; 4]; 4],
}

/// A band a preset leaves alone: threshold at 0 dB.
const UNTOUCHED: [f32; 4] = [0.0, 2.0, 10.0, 200.0];
/// "Master 3-Band Glue": `[threshold_db, ratio, attack_ms, release_ms]` of its three bands.
const GLUE_LOW: [f32; 4] = [-20.0, 2.0, 30.0, 300.0];
const GLUE_MID: [f32; 4] = [-22.0, 1.5, 20.0, 250.0];
const GLUE_HIGH: [f32; 4] = [-24.0, 1.5, 10.0, 200.0];

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
    multiband: None,
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
    Preset {
        name: "Master 3-Band Glue",
        description: "Three bands at 120 Hz and 2 kHz, 1.5-2:1 with slow attacks: a dB of glue per band",
        multiband: Some(MultibandPreset {
            bands: 3,
            crossovers_hz: [120.0, 2_000.0, 6_000.0],
            // Slower in the lows, gentler above.
            band: [GLUE_LOW, GLUE_MID, GLUE_HIGH, UNTOUCHED],
        }),
        range_db: 4.0,
        ..BASE
    },
    Preset {
        name: "Tame the Low End",
        description: "Two bands at 150 Hz: the lows held at 3:1, everything above untouched",
        multiband: Some(MultibandPreset {
            bands: 2,
            crossovers_hz: [150.0, 1_000.0, 6_000.0],
            band: [[-24.0, 3.0, 20.0, 250.0], UNTOUCHED, UNTOUCHED, UNTOUCHED],
        }),
        range_db: 8.0,
        ..BASE
    },
    Preset {
        name: "De-Harsh 2-5k",
        description: "Three bands at 2 and 5 kHz: only the harsh middle band compressed, 4:1, fast",
        multiband: Some(MultibandPreset {
            bands: 3,
            crossovers_hz: [2_000.0, 5_000.0, 10_000.0],
            band: [UNTOUCHED, [-30.0, 4.0, 2.0, 80.0], UNTOUCHED, UNTOUCHED],
        }),
        range_db: 6.0,
        ..BASE
    },
    Preset {
        name: "Broadcast 4-Band",
        description: "Four bands at 120 Hz, 1 kHz, 6 kHz, 3-4:1 everywhere: dense and even",
        multiband: Some(MultibandPreset {
            bands: 4,
            crossovers_hz: [120.0, 1_000.0, 6_000.0],
            band: [
                [-28.0, 4.0, 20.0, 300.0],
                [-28.0, 3.0, 10.0, 200.0],
                [-30.0, 3.0, 5.0, 150.0],
                [-32.0, 4.0, 2.0, 100.0],
            ],
        }),
        range_db: 12.0,
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
            b(&p.mb_on, self.multiband.is_some()),
        ];
        if let Some(mb) = &self.multiband {
            out.push(target(&p.mb_bands, mb.bands));
            let xovers = [&p.mb_xover_1, &p.mb_xover_2, &p.mb_xover_3];
            for (param, &hz) in xovers.into_iter().zip(&mb.crossovers_hz) {
                out.push(f(param, hz));
            }
            for (band, &[threshold, ratio, attack, release]) in p.bands().into_iter().zip(&mb.band)
            {
                out.extend([
                    f(&band.threshold, threshold),
                    f(&band.ratio, ratio),
                    f(&band.attack, attack),
                    f(&band.release, release),
                    f(&band.knee, 6.0),
                    f(&band.makeup, 0.0),
                    b(&band.solo, false),
                    b(&band.bypass, false),
                ]);
            }
        }
        let key = if self.external_key {
            KeyChoice::External
        } else {
            KeyChoice::Internal
        };
        out.push(target(&p.sc_source, key));
        out
    }

    /// Everything the preset sets (the same as [`Preset::targets`]).
    pub fn all_targets<'a>(&self, params: &'a BusCompressorParams) -> Vec<Target<'a>> {
        self.targets(params)
    }

    /// Applies the preset through the host (one gesture per parameter).
    pub fn apply(&self, params: &BusCompressorParams, setter: &ParamSetter) {
        preset::apply(&self.all_targets(params), setter);
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
