//! Lathe Limiter's parameters and factory presets. IDs are permanent once released; never
//! rename them (the README lists them).

use crate::IoParams;
use crate::builders::{float, time_ms};
use crate::preset::{self, Target, target};
use lathe_dsp::ChainSettings;
use lathe_dsp::chains::limiter::{LimiterSettings, Oversampling};
use lathe_dsp::color::dither::DitherDepth;
use nice_plug::prelude::*;

crate::choice! {
    /// Oversampling choice as a parameter.
    pub enum OversamplingChoice mirrors Oversampling {
        /// 1x: sample-peak limiting.
        X1 = ("1x", "1x") => X1,
        /// 2x.
        X2 = ("2x", "2x") => X2,
        /// 4x (default).
        X4 = ("4x", "4x") => X4,
        /// 8x.
        X8 = ("8x", "8x") => X8,
        /// 16x.
        X16 = ("16x", "16x") => X16,
    }
}

crate::choice! {
    /// Dither depth as a parameter.
    pub enum DitherChoice mirrors DitherDepth {
        /// No dither (32-bit float output).
        Off = ("off", "Off") => Off,
        /// 24-bit TPDF.
        Bits24 = ("24", "24 bit") => Bits24,
        /// 20-bit TPDF.
        Bits20 = ("20", "20 bit") => Bits20,
        /// 16-bit TPDF.
        Bits16 = ("16", "16 bit") => Bits16,
    }
}

/// The Limiter's drive (its `input_gain`) range, dB: it only pushes into the limiter.
pub const DRIVE_RANGE_DB: (f32, f32) = (0.0, 24.0);

/// All parameters of Lathe Limiter.
#[derive(Params)]
pub struct LimiterParams {
    /// Drive (`input_gain`, 0 to +24 dB), output trim (`output_gain`, -24 to 0 dB), `bypass`.
    #[nested]
    pub io: IoParams,
    /// Output ceiling, dBTP.
    #[id = "ceiling"]
    pub ceiling: FloatParam,
    /// Release time, ms.
    #[id = "release"]
    pub release: FloatParam,
    /// Lookahead (attack) time, ms.
    #[id = "lookahead"]
    pub lookahead: FloatParam,
    /// Stereo link, %.
    #[id = "link"]
    pub link: FloatParam,
    /// Oversampling for true-peak limiting.
    #[id = "oversampling"]
    pub oversampling: EnumParam<OversamplingChoice>,
    /// Oversampled soft clip before the limiter.
    #[id = "soft_clip"]
    pub soft_clip: BoolParam,
    /// Output dither depth.
    #[id = "dither"]
    pub dither: EnumParam<DitherChoice>,
    /// Noise-shaped dither.
    #[id = "noise_shaping"]
    pub noise_shaping: BoolParam,
    /// Loudness-matched (unity-gain) monitoring.
    #[id = "unity_gain"]
    pub unity_gain: BoolParam,
    /// The integrated loudness the user aims for, LUFS (display only; never changes audio).
    #[id = "loudness_target"]
    pub loudness_target: IntParam,
}

impl Default for LimiterParams {
    fn default() -> Self {
        let d = LimiterSettings::default();
        Self {
            io: IoParams::with_output_range(
                "Input Gain",
                DRIVE_RANGE_DB.0,
                DRIVE_RANGE_DB.1,
                -24.0,
                0.0,
            ),
            ceiling: float(
                "Ceiling",
                d.ceiling_db,
                FloatRange::Linear {
                    min: -12.0,
                    max: 0.0,
                },
                " dBTP",
                2,
            )
            .with_step_size(0.01),
            // Logarithmic like every other time in the suite, on steps at least as fine as the
            // text: a value a host stores (normalized, at its own precision) and sets again
            // snaps back to exactly what it was.
            release: time_ms("Release", d.release_ms, 5.0, 2000.0).with_step_size(0.01),
            lookahead: time_ms("Lookahead", d.lookahead_ms, 0.1, 10.0).with_step_size(0.0001),
            link: float(
                "Stereo Link",
                100.0,
                FloatRange::Linear {
                    min: 0.0,
                    max: 100.0,
                },
                " %",
                1,
            )
            .with_step_size(0.1),
            oversampling: EnumParam::new("Oversampling", OversamplingChoice::X4),
            soft_clip: BoolParam::new("Soft Clip", d.soft_clip),
            dither: EnumParam::new("Dither", DitherChoice::Off),
            noise_shaping: BoolParam::new("Noise Shaping", d.noise_shaping),
            unity_gain: BoolParam::new("Unity Gain Monitor", d.unity_gain),
            loudness_target: IntParam::new(
                "Loudness Target",
                -14,
                IntRange::Linear { min: -30, max: -5 },
            )
            .with_unit(" LUFS")
            .non_automatable(),
        }
    }
}

impl LimiterParams {
    /// The DSP settings the current parameter values describe.
    pub fn settings(&self) -> ChainSettings<LimiterSettings> {
        ChainSettings {
            io: self.io.settings(),
            core: LimiterSettings {
                ceiling_db: self.ceiling.value(),
                release_ms: self.release.value(),
                lookahead_ms: self.lookahead.value(),
                link: self.link.value() / 100.0,
                oversampling: self.oversampling.value().into(),
                soft_clip: self.soft_clip.value(),
                dither: self.dither.value().into(),
                noise_shaping: self.noise_shaping.value(),
                unity_gain: self.unity_gain.value(),
            },
        }
    }
}

/// A factory preset: values for the limiter's character; drive and output trim stay where the
/// user set them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Preset {
    /// Name shown in the editor.
    pub name: &'static str,
    /// What it is for.
    pub description: &'static str,
    /// Ceiling, dBTP.
    pub ceiling_db: f32,
    /// Release, ms.
    pub release_ms: f32,
    /// Lookahead, ms.
    pub lookahead_ms: f32,
    /// Stereo link, %.
    pub link_percent: f32,
    /// Oversampling.
    pub oversampling: OversamplingChoice,
    /// Soft clip before the limiter.
    pub soft_clip: bool,
    /// Dither.
    pub dither: DitherChoice,
    /// Noise shaping.
    pub noise_shaping: bool,
    /// Loudness target, LUFS.
    pub target_lufs: i32,
}

/// The factory presets.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "Transparent",
        description: "Catches peaks only: long lookahead, slow release, 8x",
        ceiling_db: -1.0,
        release_ms: 400.0,
        lookahead_ms: 3.0,
        link_percent: 100.0,
        oversampling: OversamplingChoice::X8,
        soft_clip: false,
        dither: DitherChoice::Off,
        noise_shaping: false,
        target_lufs: -14,
    },
    Preset {
        name: "Loud",
        description: "Dense and loud: soft clip into a fast limiter",
        ceiling_db: -1.0,
        release_ms: 60.0,
        lookahead_ms: 1.0,
        link_percent: 80.0,
        oversampling: OversamplingChoice::X4,
        soft_clip: true,
        dither: DitherChoice::Off,
        noise_shaping: false,
        target_lufs: -9,
    },
    Preset {
        name: "Streaming -14",
        description: "Spotify/YouTube/Tidal: -14 LUFS, -1 dBTP",
        ceiling_db: -1.0,
        release_ms: 150.0,
        lookahead_ms: 1.5,
        link_percent: 100.0,
        oversampling: OversamplingChoice::X4,
        soft_clip: false,
        dither: DitherChoice::Off,
        noise_shaping: false,
        target_lufs: -14,
    },
    Preset {
        name: "Broadcast -23",
        description: "EBU R128: -23 LUFS, -1 dBTP",
        ceiling_db: -1.0,
        release_ms: 250.0,
        lookahead_ms: 2.0,
        link_percent: 100.0,
        oversampling: OversamplingChoice::X4,
        soft_clip: false,
        dither: DitherChoice::Off,
        noise_shaping: false,
        target_lufs: -23,
    },
    Preset {
        name: "CD",
        description: "16-bit master: -0.3 dBTP, noise-shaped dither",
        ceiling_db: -0.3,
        release_ms: 150.0,
        lookahead_ms: 1.5,
        link_percent: 100.0,
        oversampling: OversamplingChoice::X8,
        soft_clip: false,
        dither: DitherChoice::Bits16,
        noise_shaping: true,
        target_lufs: -10,
    },
];

impl Preset {
    /// The parameters that make the preset, with their values (the loudness target is a
    /// suggestion the preset also sets, but changing it leaves the preset active).
    pub fn targets<'a>(&self, p: &'a LimiterParams) -> Vec<Target<'a>> {
        vec![
            target(&p.ceiling, self.ceiling_db),
            target(&p.release, self.release_ms),
            target(&p.lookahead, self.lookahead_ms),
            target(&p.link, self.link_percent),
            target(&p.oversampling, self.oversampling),
            target(&p.soft_clip, self.soft_clip),
            target(&p.dither, self.dither),
            target(&p.noise_shaping, self.noise_shaping),
        ]
    }

    /// Everything the preset sets: [`Preset::targets`] and the loudness target.
    pub fn all_targets<'a>(&self, p: &'a LimiterParams) -> Vec<Target<'a>> {
        let mut all = self.targets(p);
        all.push(target(&p.loudness_target, self.target_lufs));
        all
    }

    /// Applies the preset through the host (one gesture per parameter).
    pub fn apply(&self, params: &LimiterParams, setter: &ParamSetter) {
        preset::apply(&self.all_targets(params), setter);
    }

    /// Whether the parameters currently hold this preset's values.
    pub fn is_active(&self, p: &LimiterParams) -> bool {
        preset::holds(&self.targets(p))
    }
}
