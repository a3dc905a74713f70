//! The compressor's parameters, one set for both plugins that have one: the Channel Strip
//! nests it under the `comp` prefix (`comp_threshold`, ...; shown as "Comp Threshold") and the
//! Bus Compressor at the top level (`threshold`, ...). Each plugin keeps its own ranges for the
//! times and its own defaults; the IDs, laws and text formats are the same.

use crate::builders::{freq_or_off, gain, log_param, percent, time_ms};
use crate::channel_strip::{DetectionChoice, SC_HPF_OFF_HZ};
use crate::formatters::{is_off, s2v_ratio, v2s_ratio};
use lathe_dsp::dynamics::CompressorSettings;
use nice_plug::prelude::*;

/// How one plugin shows the compressor: names, time ranges and defaults.
#[derive(Debug, Clone, Copy)]
pub struct CompressorLayout {
    /// Put before every display name ("Comp " in the strip).
    pub name_prefix: &'static str,
    /// Display name of the side-chain high-pass, without the prefix.
    pub sc_hpf_name: &'static str,
    /// Display name of the stereo link, without the prefix.
    pub link_name: &'static str,
    /// Attack range, ms.
    pub attack_ms: (f32, f32),
    /// Release range, ms.
    pub release_ms: (f32, f32),
    /// Default values.
    pub defaults: CompressorSettings,
}

/// The compressor's parameters (IDs without the plugin's prefix).
#[derive(Params)]
pub struct CompressorParams {
    /// Threshold, dBFS.
    #[id = "threshold"]
    pub threshold: FloatParam,
    /// Ratio (logarithmic).
    #[id = "ratio"]
    pub ratio: FloatParam,
    /// Knee width, dB.
    #[id = "knee"]
    pub knee: FloatParam,
    /// Attack, ms (logarithmic).
    #[id = "attack"]
    pub attack: FloatParam,
    /// Release, ms (logarithmic).
    #[id = "release"]
    pub release: FloatParam,
    /// Peak or RMS detection.
    #[id = "detection"]
    pub detection: EnumParam<DetectionChoice>,
    /// Make-up gain, dB.
    #[id = "makeup"]
    pub makeup: FloatParam,
    /// Automatic make-up.
    #[id = "auto_makeup"]
    pub auto_makeup: BoolParam,
    /// Dry/wet mix (parallel compression), %.
    #[id = "mix"]
    pub mix: FloatParam,
    /// Side-chain high-pass (Off at the bottom; logarithmic).
    #[id = "sc_hpf"]
    pub sc_hpf: FloatParam,
    /// Stereo link, %.
    #[id = "link"]
    pub link: FloatParam,
}

/// The six parameters every compressor band has, as [`CompressorParams`] makes them (the same
/// ranges, laws and text formats): `[threshold, ratio, knee, attack, release, makeup]`.
pub fn curve_params(layout: &CompressorLayout) -> [FloatParam; 6] {
    let d = &layout.defaults;
    let name = |n: &str| format!("{}{n}", layout.name_prefix);
    let (attack_min, attack_max) = layout.attack_ms;
    let (release_min, release_max) = layout.release_ms;
    [
        gain(&name("Threshold"), d.threshold_db, -60.0, 0.0),
        log_param(&name("Ratio"), d.ratio, 1.0, 20.0, v2s_ratio(), s2v_ratio()),
        gain(&name("Knee"), d.knee_db, 0.0, 24.0),
        time_ms(&name("Attack"), d.attack_ms, attack_min, attack_max),
        time_ms(&name("Release"), d.release_ms, release_min, release_max),
        gain(&name("Makeup"), d.makeup_db, -12.0, 24.0),
    ]
}

impl CompressorParams {
    /// The parameters as `layout` shows them.
    pub fn new(layout: &CompressorLayout) -> Self {
        let d = &layout.defaults;
        let name = |n: &str| format!("{}{n}", layout.name_prefix);
        let [threshold, ratio, knee, attack, release, makeup] = curve_params(layout);
        Self {
            threshold,
            ratio,
            knee,
            attack,
            release,
            detection: EnumParam::new(name("Detection"), DetectionChoice::Peak),
            makeup,
            auto_makeup: BoolParam::new(name("Auto Makeup"), d.auto_makeup),
            mix: percent(&name("Mix"), 100.0, 0.0, 100.0),
            sc_hpf: freq_or_off(
                &name(layout.sc_hpf_name),
                SC_HPF_OFF_HZ,
                SC_HPF_OFF_HZ,
                500.0,
                true,
            ),
            link: percent(&name(layout.link_name), 100.0, 0.0, 100.0),
        }
    }

    /// `base` with every value these parameters set (the rest of `base` stays).
    pub fn settings(&self, base: CompressorSettings) -> CompressorSettings {
        let hpf = self.sc_hpf.value();
        CompressorSettings {
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
            ..base
        }
    }
}
