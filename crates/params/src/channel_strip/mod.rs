//! Lathe Channel Strip's parameters. IDs are permanent once released; never rename them (the
//! README lists them).
//!
//! Module groups are nested with an ID prefix, so a module's parameters read `hp_freq`,
//! `eq_lmid_gain`, `comp_ratio`, `sat_drive`, ...

use crate::IoParams;
use crate::formatters::{is_off, s2v_pan, v2s_pan};
use lathe_dsp::ChainSettings;
use lathe_dsp::chains::channel_strip::{ChannelStripSettings, EqPhase, ModuleOrder};
use lathe_dsp::color::imager::ImagerSettings;
use lathe_dsp::color::saturator::{Character, SaturatorOversampling, SaturatorSettings};
use lathe_dsp::color::stereo::StereoSettings;
use lathe_dsp::dynamics::{CompressorSettings, DeEsserSettings, Detection, GateSettings};
use lathe_dsp::filters::design::Slope;
use lathe_dsp::filters::eq::{BandSettings, EqChannel, PassSettings};
use nice_plug::prelude::*;

use crate::builders::{float, freq, freq_or_off, gain, linear, percent, q, time_ms};
use crate::compressor::{CompressorLayout, CompressorParams};

mod presets;

pub use presets::{PRESETS, Preset, targets};

crate::choice! {
    /// Filter slope as a parameter.
    pub enum SlopeChoice mirrors Slope {
        /// 6 dB/oct.
        Db6 = ("6", "6 dB/oct") => Db6,
        /// 12 dB/oct (resonance adjustable).
        Db12 = ("12", "12 dB/oct") => Db12,
        /// 18 dB/oct.
        Db18 = ("18", "18 dB/oct") => Db18,
        /// 24 dB/oct.
        Db24 = ("24", "24 dB/oct") => Db24,
        /// 36 dB/oct.
        Db36 = ("36", "36 dB/oct") => Db36,
        /// 48 dB/oct.
        Db48 = ("48", "48 dB/oct") => Db48,
    }
}

crate::choice! {
    /// Module order as a parameter.
    pub enum OrderChoice mirrors ModuleOrder {
        /// Filters, EQ, dynamics, saturator, stereo.
        EqFirst = ("eq_first", "EQ > Dynamics") => EqFirst,
        /// Filters, dynamics, EQ, saturator, stereo.
        DynamicsFirst = ("dynamics_first", "Dynamics > EQ") => DynamicsFirst,
    }
}

crate::choice! {
    /// How the filters and EQ treat phase, as a parameter.
    pub enum EqPhaseChoice mirrors EqPhase {
        /// Minimum-phase biquads, no latency (default).
        ZeroLatency = ("zero_latency", "Zero Latency") => ZeroLatency,
        /// One linear-phase FIR, a fixed latency per sample rate.
        Linear = ("linear", "Linear") => Linear,
    }
}

crate::choice! {
    /// What an EQ band filters, as a parameter.
    pub enum EqChannelChoice mirrors EqChannel {
        /// Left and right alike.
        Stereo = ("stereo", "Stereo") => Stereo,
        /// The mid only.
        Mid = ("mid", "Mid") => Mid,
        /// The side only.
        Side = ("side", "Side") => Side,
    }
}

crate::choice! {
    /// Compressor detection as a parameter.
    pub enum DetectionChoice mirrors Detection {
        /// Peak.
        Peak = ("peak", "Peak") => Peak,
        /// RMS (10 ms).
        Rms = ("rms", "RMS") => Rms,
    }
}

crate::choice! {
    /// Saturator character as a parameter.
    pub enum CharacterChoice mirrors Character {
        /// Symmetric, odd harmonics.
        Tape = ("tape", "Tape") => Tape,
        /// Asymmetric, even and odd harmonics.
        Tube = ("tube", "Tube") => Tube,
        /// Hard clip with a narrow knee.
        HardClip = ("hard", "Hard Clip") => HardClip,
    }
}

crate::choice! {
    /// Saturator oversampling as a parameter.
    pub enum SatOversamplingChoice mirrors SaturatorOversampling {
        /// Off: zero latency.
        Off = ("off", "Off") => Off,
        /// 2x.
        X2 = ("2x", "2x") => X2,
        /// 4x (default).
        X4 = ("4x", "4x") => X4,
        /// 8x.
        X8 = ("8x", "8x") => X8,
    }
}

/// Gate key high-pass: at or below this it is off, Hz.
pub const KEY_HPF_OFF_HZ: f32 = 20.0;
/// Gate key low-pass: at or above this it is off, Hz.
pub const KEY_LPF_OFF_HZ: f32 = 20_000.0;
/// Compressor side-chain high-pass: at or below this it is off, Hz.
pub const SC_HPF_OFF_HZ: f32 = 20.0;

/// A high- or low-pass filter's parameters (`on`, `freq`, `slope`, `q`).
#[derive(Params)]
pub struct PassParams {
    /// Filter on.
    #[id = "on"]
    pub on: BoolParam,
    /// Corner frequency.
    #[id = "freq"]
    pub freq: FloatParam,
    /// Slope.
    #[id = "slope"]
    pub slope: EnumParam<SlopeChoice>,
    /// Resonance (12 dB/oct only).
    #[id = "q"]
    pub q: FloatParam,
}

impl PassParams {
    fn new(name: &str, default_hz: f32, min_hz: f32, max_hz: f32) -> Self {
        Self {
            on: BoolParam::new(format!("{name} On"), false),
            freq: freq(&format!("{name} Freq"), default_hz, min_hz, max_hz),
            slope: EnumParam::new(format!("{name} Slope"), SlopeChoice::Db12),
            q: q(
                &format!("{name} Resonance"),
                std::f32::consts::FRAC_1_SQRT_2,
                0.5,
                10.0,
            ),
        }
    }

    fn settings(&self) -> PassSettings {
        PassSettings {
            enabled: self.on.value(),
            freq_hz: self.freq.value(),
            slope: self.slope.value().into(),
            q: self.q.value(),
        }
    }
}

/// One EQ band's parameters (`on`, `freq`, `gain`, `q`, `channel`).
#[derive(Params)]
pub struct BandParams {
    /// Band on.
    #[id = "on"]
    pub on: BoolParam,
    /// Centre or corner frequency.
    #[id = "freq"]
    pub freq: FloatParam,
    /// Gain.
    #[id = "gain"]
    pub gain: FloatParam,
    /// Q (bandwidth; for shelves, the steepness/overshoot).
    #[id = "q"]
    pub q: FloatParam,
    /// What the band filters: the stereo pair, or only its mid or its side.
    #[id = "channel"]
    pub channel: EnumParam<EqChannelChoice>,
}

impl BandParams {
    fn new(name: &str, default_hz: f32, default_q: f32, max_q: f32) -> Self {
        Self {
            on: BoolParam::new(format!("{name} On"), true),
            freq: freq(&format!("{name} Freq"), default_hz, 20.0, 20_000.0),
            gain: gain(&format!("{name} Gain"), 0.0, -18.0, 18.0),
            q: q(&format!("{name} Q"), default_q, 0.3, max_q),
            channel: EnumParam::new(format!("{name} Channel"), EqChannelChoice::Stereo),
        }
    }

    fn settings(&self) -> BandSettings {
        BandSettings {
            enabled: self.on.value(),
            freq_hz: self.freq.value(),
            gain_db: self.gain.value(),
            q: self.q.value(),
        }
    }
}

/// Gate parameters.
#[derive(Params)]
pub struct GateParams {
    /// Gate on.
    #[id = "on"]
    pub on: BoolParam,
    /// Opening threshold.
    #[id = "threshold"]
    pub threshold: FloatParam,
    /// Attenuation when closed.
    #[id = "range"]
    pub range: FloatParam,
    /// Opening time.
    #[id = "attack"]
    pub attack: FloatParam,
    /// Hold before closing.
    #[id = "hold"]
    pub hold: FloatParam,
    /// Closing time.
    #[id = "release"]
    pub release: FloatParam,
    /// Closing threshold below the opening one.
    #[id = "hysteresis"]
    pub hysteresis: FloatParam,
    /// Key high-pass (Off at the bottom).
    #[id = "key_hpf"]
    pub key_hpf: FloatParam,
    /// Key low-pass (Off at the top).
    #[id = "key_lpf"]
    pub key_lpf: FloatParam,
}

impl Default for GateParams {
    fn default() -> Self {
        let d = GateSettings::default();
        Self {
            on: BoolParam::new("Gate On", false),
            threshold: gain("Gate Threshold", d.threshold_db, -80.0, 0.0),
            range: gain("Gate Range", d.range_db, 0.0, 80.0),
            attack: time_ms("Gate Attack", d.attack_ms, 0.05, 50.0),
            hold: float("Gate Hold", d.hold_ms, linear(0.0, 500.0), " ms", 1),
            release: time_ms("Gate Release", d.release_ms, 5.0, 2000.0),
            hysteresis: gain("Gate Hysteresis", d.hysteresis_db, 0.0, 12.0),
            key_hpf: freq_or_off("Gate Key HPF", KEY_HPF_OFF_HZ, KEY_HPF_OFF_HZ, 4000.0, true),
            key_lpf: freq_or_off("Gate Key LPF", KEY_LPF_OFF_HZ, 500.0, KEY_LPF_OFF_HZ, false),
        }
    }
}

impl GateParams {
    fn settings(&self) -> GateSettings {
        let hpf = self.key_hpf.value();
        let lpf = self.key_lpf.value();
        GateSettings {
            threshold_db: self.threshold.value(),
            range_db: self.range.value(),
            attack_ms: self.attack.value(),
            hold_ms: self.hold.value(),
            release_ms: self.release.value(),
            hysteresis_db: self.hysteresis.value(),
            key_hpf_hz: if is_off(hpf, KEY_HPF_OFF_HZ, true) {
                0.0
            } else {
                hpf
            },
            key_lpf_hz: if is_off(lpf, KEY_LPF_OFF_HZ, false) {
                0.0
            } else {
                lpf
            },
        }
    }
}

/// How the strip shows the compressor ("Comp Threshold", ...; its own time ranges).
pub fn compressor_layout() -> CompressorLayout {
    CompressorLayout {
        name_prefix: "Comp ",
        sc_hpf_name: "SC HPF",
        link_name: "Link",
        attack_ms: (0.05, 200.0),
        release_ms: (5.0, 3000.0),
        defaults: CompressorSettings::default(),
    }
}

/// The strip's compressor: its switch (`comp_on`) and the shared compressor parameters
/// (`comp_threshold`, ...), which it derefs to.
#[derive(Params)]
pub struct StripCompressorParams {
    /// Compressor on.
    #[id = "on"]
    pub on: BoolParam,
    /// The compressor itself.
    #[nested]
    pub params: CompressorParams,
}

impl Default for StripCompressorParams {
    fn default() -> Self {
        Self {
            on: BoolParam::new("Comp On", false),
            params: CompressorParams::new(&compressor_layout()),
        }
    }
}

impl std::ops::Deref for StripCompressorParams {
    type Target = CompressorParams;

    fn deref(&self) -> &CompressorParams {
        &self.params
    }
}

/// De-esser parameters.
#[derive(Params)]
pub struct DeEsserParams {
    /// De-esser on.
    #[id = "on"]
    pub on: BoolParam,
    /// Split frequency.
    #[id = "freq"]
    pub freq: FloatParam,
    /// Threshold of the sibilant band.
    #[id = "threshold"]
    pub threshold: FloatParam,
    /// Most reduction.
    #[id = "range"]
    pub range: FloatParam,
    /// Hear only the sibilant band.
    #[id = "listen"]
    pub listen: BoolParam,
}

impl Default for DeEsserParams {
    fn default() -> Self {
        let d = DeEsserSettings::default();
        Self {
            on: BoolParam::new("De-Ess On", false),
            freq: freq("De-Ess Freq", d.freq_hz, 2000.0, 12_000.0),
            threshold: gain("De-Ess Threshold", d.threshold_db, -60.0, 0.0),
            range: gain("De-Ess Range", d.range_db, 0.0, 24.0),
            listen: BoolParam::new("De-Ess Listen", d.listen),
        }
    }
}

/// Saturator parameters.
#[derive(Params)]
pub struct SaturatorParams {
    /// Saturator on.
    #[id = "on"]
    pub on: BoolParam,
    /// Character.
    #[id = "character"]
    pub character: EnumParam<CharacterChoice>,
    /// Drive.
    #[id = "drive"]
    pub drive: FloatParam,
    /// Dry/wet mix.
    #[id = "mix"]
    pub mix: FloatParam,
    /// Output compensation for the drive.
    #[id = "compensate"]
    pub compensate: BoolParam,
    /// Oversampling (Off = zero latency).
    #[id = "oversampling"]
    pub oversampling: EnumParam<SatOversamplingChoice>,
}

impl Default for SaturatorParams {
    fn default() -> Self {
        let d = SaturatorSettings::default();
        Self {
            on: BoolParam::new("Sat On", false),
            character: EnumParam::new("Sat Character", CharacterChoice::Tape),
            drive: gain("Sat Drive", d.drive_db, 0.0, 24.0),
            mix: percent("Sat Mix", 100.0, 0.0, 100.0),
            compensate: BoolParam::new("Sat Compensate", d.compensate),
            oversampling: EnumParam::new("Sat Oversampling", SatOversamplingChoice::X4),
        }
    }
}

impl SaturatorParams {
    fn settings(&self) -> SaturatorSettings {
        SaturatorSettings {
            character: self.character.value().into(),
            drive_db: self.drive.value(),
            mix: self.mix.value() / 100.0,
            compensate: self.compensate.value(),
            oversampling: self.oversampling.value().into(),
        }
    }
}

/// Imager parameters: `img_on`, `img_xover_low`, `img_xover_high`, `img_width_low`,
/// `img_width_mid`, `img_width_high`, `bass_mono`, `bass_mono_freq`.
#[derive(Params)]
pub struct ImagerParams {
    /// Imager on.
    #[id = "img_on"]
    pub on: BoolParam,
    /// Crossover between the low and mid bands (40 Hz to 1 kHz).
    #[id = "img_xover_low"]
    pub xover_low: FloatParam,
    /// Crossover between the mid and high bands (1 to 16 kHz).
    #[id = "img_xover_high"]
    pub xover_high: FloatParam,
    /// Low band width, % (100 = unchanged, 0 = mono).
    #[id = "img_width_low"]
    pub width_low: FloatParam,
    /// Mid band width, %.
    #[id = "img_width_mid"]
    pub width_mid: FloatParam,
    /// High band width, %.
    #[id = "img_width_high"]
    pub width_high: FloatParam,
    /// Bass mono: no side below `bass_mono_freq`.
    #[id = "bass_mono"]
    pub bass_mono: BoolParam,
    /// Bass mono corner (20-500 Hz).
    #[id = "bass_mono_freq"]
    pub bass_mono_freq: FloatParam,
}

impl Default for ImagerParams {
    fn default() -> Self {
        let d = ImagerSettings::default();
        Self {
            on: BoolParam::new("Imager On", false),
            xover_low: freq("Imager Low X-Over", d.xover_low_hz, 40.0, 1000.0),
            xover_high: freq("Imager High X-Over", d.xover_high_hz, 1000.0, 16_000.0),
            width_low: percent("Imager Low Width", 100.0, 0.0, 200.0),
            width_mid: percent("Imager Mid Width", 100.0, 0.0, 200.0),
            width_high: percent("Imager High Width", 100.0, 0.0, 200.0),
            bass_mono: BoolParam::new("Bass Mono", d.bass_mono),
            bass_mono_freq: freq("Bass Mono Freq", d.bass_mono_hz, 20.0, 500.0),
        }
    }
}

impl ImagerParams {
    fn settings(&self) -> ImagerSettings {
        ImagerSettings {
            xover_low_hz: self.xover_low.value(),
            xover_high_hz: self.xover_high.value(),
            width_low: self.width_low.value() / 100.0,
            width_mid: self.width_mid.value() / 100.0,
            width_high: self.width_high.value() / 100.0,
            bass_mono: self.bass_mono.value(),
            bass_mono_hz: self.bass_mono_freq.value(),
        }
    }
}

/// Stereo parameters (IDs without prefix: `width`, `pan`, `invert_left`, `invert_right`,
/// `mono`).
#[derive(Params)]
pub struct StereoParams {
    /// Width, % (100 = unchanged).
    #[id = "width"]
    pub width: FloatParam,
    /// Pan, -100 (left) to 100 (right).
    #[id = "pan"]
    pub pan: FloatParam,
    /// Invert the left channel's polarity.
    #[id = "invert_left"]
    pub invert_left: BoolParam,
    /// Invert the right channel's polarity.
    #[id = "invert_right"]
    pub invert_right: BoolParam,
    /// Sum to mono.
    #[id = "mono"]
    pub mono: BoolParam,
}

impl Default for StereoParams {
    fn default() -> Self {
        Self {
            width: percent("Width", 100.0, 0.0, 200.0),
            pan: FloatParam::new("Pan", 0.0, linear(-100.0, 100.0))
                .with_step_size(0.1)
                .with_value_to_string(v2s_pan())
                .with_string_to_value(s2v_pan()),
            invert_left: BoolParam::new("Invert Left", false),
            invert_right: BoolParam::new("Invert Right", false),
            mono: BoolParam::new("Mono", false),
        }
    }
}

/// All parameters of Lathe Channel Strip.
#[derive(Params)]
pub struct ChannelStripParams {
    /// Input/output trims and bypass (`input_gain`, `output_gain`, `bypass`).
    #[nested]
    pub io: IoParams,
    /// High-pass filter (`hp_on`, `hp_freq`, `hp_slope`, `hp_q`).
    #[nested(id_prefix = "hp", group = "High-Pass")]
    pub highpass: PassParams,
    /// Low-pass filter (`lp_...`).
    #[nested(id_prefix = "lp", group = "Low-Pass")]
    pub lowpass: PassParams,
    /// EQ on.
    #[id = "eq_on"]
    pub eq_on: BoolParam,
    /// Zero-latency (minimum-phase) or linear-phase filters and EQ.
    #[id = "eq_phase"]
    pub eq_phase: EnumParam<EqPhaseChoice>,
    /// Low shelf (`eq_low_on`, `eq_low_freq`, `eq_low_gain`, `eq_low_q`).
    #[nested(id_prefix = "eq_low", group = "EQ Low Shelf")]
    pub eq_low: BandParams,
    /// Low-mid bell (`eq_lmid_...`).
    #[nested(id_prefix = "eq_lmid", group = "EQ Low Mid")]
    pub eq_lmid: BandParams,
    /// Mid bell (`eq_mid_...`).
    #[nested(id_prefix = "eq_mid", group = "EQ Mid")]
    pub eq_mid: BandParams,
    /// High-mid bell (`eq_hmid_...`).
    #[nested(id_prefix = "eq_hmid", group = "EQ High Mid")]
    pub eq_hmid: BandParams,
    /// High shelf (`eq_high_...`).
    #[nested(id_prefix = "eq_high", group = "EQ High Shelf")]
    pub eq_high: BandParams,
    /// EQ before or after the dynamics.
    #[id = "order"]
    pub order: EnumParam<OrderChoice>,
    /// Gate (`gate_...`).
    #[nested(id_prefix = "gate", group = "Gate")]
    pub gate: GateParams,
    /// Compressor (`comp_...`).
    #[nested(id_prefix = "comp", group = "Compressor")]
    pub comp: StripCompressorParams,
    /// De-esser (`deess_...`).
    #[nested(id_prefix = "deess", group = "De-Esser")]
    pub deess: DeEsserParams,
    /// Saturator (`sat_...`).
    #[nested(id_prefix = "sat", group = "Saturator")]
    pub sat: SaturatorParams,
    /// Three-band imager and bass mono (`img_...`, `bass_mono...`).
    #[nested(group = "Imager")]
    pub imager: ImagerParams,
    /// Width, pan, polarity and mono.
    #[nested(group = "Stereo")]
    pub stereo: StereoParams,
}

/// Most Q a shelf accepts: above 2 the matched shelf misses the analog one near Nyquist.
pub const SHELF_MAX_Q: f32 = 2.0;
/// Most Q a bell accepts.
pub const BELL_MAX_Q: f32 = 18.0;

impl Default for ChannelStripParams {
    fn default() -> Self {
        let d = ChannelStripSettings::default();
        let eq = d.eq;
        let band = |name: &str, i: usize, max_q: f32| {
            BandParams::new(name, eq.bands[i].freq_hz, eq.bands[i].q, max_q)
        };
        Self {
            io: IoParams::new("Input Gain", -24.0, 24.0),
            highpass: PassParams::new("HP", d.highpass.freq_hz, 10.0, 8000.0),
            lowpass: PassParams::new("LP", d.lowpass.freq_hz, 200.0, 22_000.0),
            eq_on: BoolParam::new("EQ On", true),
            eq_phase: EnumParam::new("EQ Phase", EqPhaseChoice::ZeroLatency),
            eq_low: band("Low Shelf", 0, SHELF_MAX_Q),
            eq_lmid: band("Low Mid", 1, BELL_MAX_Q),
            eq_mid: band("Mid", 2, BELL_MAX_Q),
            eq_hmid: band("High Mid", 3, BELL_MAX_Q),
            eq_high: band("High Shelf", 4, SHELF_MAX_Q),
            order: EnumParam::new("Order", OrderChoice::EqFirst),
            gate: GateParams::default(),
            comp: StripCompressorParams::default(),
            deess: DeEsserParams::default(),
            sat: SaturatorParams::default(),
            imager: ImagerParams::default(),
            stereo: StereoParams::default(),
        }
    }
}

impl ChannelStripParams {
    /// The EQ bands in order (low shelf, three bells, high shelf).
    pub fn bands(&self) -> [&BandParams; 5] {
        [
            &self.eq_low,
            &self.eq_lmid,
            &self.eq_mid,
            &self.eq_hmid,
            &self.eq_high,
        ]
    }

    /// The strip settings the current parameter values describe.
    pub fn strip_settings(&self) -> ChannelStripSettings {
        let bands = self.bands();
        let mut eq = ChannelStripSettings::default().eq;
        for ((b, c), p) in eq.bands.iter_mut().zip(&mut eq.channels).zip(bands) {
            *b = p.settings();
            *c = p.channel.value().into();
        }
        ChannelStripSettings {
            highpass: self.highpass.settings(),
            lowpass: self.lowpass.settings(),
            eq_enabled: self.eq_on.value(),
            eq,
            gate_enabled: self.gate.on.value(),
            gate: self.gate.settings(),
            compressor_enabled: self.comp.on.value(),
            compressor: self.comp.settings(CompressorSettings::default()),
            deesser_enabled: self.deess.on.value(),
            deesser: DeEsserSettings {
                freq_hz: self.deess.freq.value(),
                threshold_db: self.deess.threshold.value(),
                range_db: self.deess.range.value(),
                listen: self.deess.listen.value(),
            },
            saturator_enabled: self.sat.on.value(),
            saturator: self.sat.settings(),
            imager_enabled: self.imager.on.value(),
            imager: self.imager.settings(),
            stereo: StereoSettings {
                width: self.stereo.width.value() / 100.0,
                pan: self.stereo.pan.value() / 100.0,
                invert_left: self.stereo.invert_left.value(),
                invert_right: self.stereo.invert_right.value(),
                mono: self.stereo.mono.value(),
            },
            order: self.order.value().into(),
            eq_phase: self.eq_phase.value().into(),
        }
    }

    /// The DSP settings the current parameter values describe.
    pub fn settings(&self) -> ChainSettings<ChannelStripSettings> {
        ChainSettings {
            io: self.io.settings(),
            core: self.strip_settings(),
        }
    }
}
