//! Lathe Channel Strip's signal path: filters, EQ, gate, compressor, de-esser, saturator,
//! stereo, with a selectable order of EQ and dynamics and a click-free bypass per module.
//!
//! Order: high-pass and low-pass, then either EQ -> dynamics or dynamics -> EQ (dynamics =
//! gate -> compressor -> de-esser), then the saturator, then the stereo stage. Switching a
//! module on or off crossfades over [`MODULE_FADE_MS`]; a module switched on starts from a
//! clean state. The strip has no latency unless the saturator is on with oversampling.

use crate::biquad::BiquadCoefficients;
use crate::chain::{CHUNK_SAMPLES, Core, MAX_CHANNELS};
use crate::dynamics::{
    Compressor, CompressorSettings, DeEsser, DeEsserSettings, Gate, GateSettings,
};
use crate::eq::{BAND_SHAPES, EqSettings, ParametricEq, PassFilter, PassSettings, band_section};
use crate::filters::{MAX_PASS_SECTIONS, Section, SectionKind, butterworth};
use crate::saturator::{Saturator, SaturatorSettings};
use crate::stereo::{Stereo, StereoSettings};

/// Crossfade time when a module is switched on or off, ms.
pub const MODULE_FADE_MS: f32 = 10.0;

/// Where the EQ sits relative to the dynamics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ModuleOrder {
    /// Filters -> EQ -> dynamics -> saturator -> stereo.
    #[default]
    EqFirst,
    /// Filters -> dynamics -> EQ -> saturator -> stereo.
    DynamicsFirst,
}

/// The complete settings of the channel strip.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChannelStripSettings {
    /// High-pass filter (its `enabled` switches it).
    pub highpass: PassSettings,
    /// Low-pass filter.
    pub lowpass: PassSettings,
    /// Whether the EQ is on.
    pub eq_enabled: bool,
    /// EQ bands.
    pub eq: EqSettings,
    /// Whether the gate is on.
    pub gate_enabled: bool,
    /// Gate.
    pub gate: GateSettings,
    /// Whether the compressor is on.
    pub compressor_enabled: bool,
    /// Compressor.
    pub compressor: CompressorSettings,
    /// Whether the de-esser is on.
    pub deesser_enabled: bool,
    /// De-esser.
    pub deesser: DeEsserSettings,
    /// Whether the saturator is on.
    pub saturator_enabled: bool,
    /// Saturator.
    pub saturator: SaturatorSettings,
    /// Stereo stage (always on; transparent at its defaults).
    pub stereo: StereoSettings,
    /// EQ before or after the dynamics.
    pub order: ModuleOrder,
}

impl Default for ChannelStripSettings {
    fn default() -> Self {
        Self {
            highpass: PassSettings {
                enabled: false,
                ..PassSettings::off(30.0)
            },
            lowpass: PassSettings::off(18_000.0),
            eq_enabled: true,
            eq: EqSettings::default(),
            gate_enabled: false,
            gate: GateSettings::default(),
            compressor_enabled: false,
            compressor: CompressorSettings::default(),
            deesser_enabled: false,
            deesser: DeEsserSettings::default(),
            saturator_enabled: false,
            saturator: SaturatorSettings::default(),
            stereo: StereoSettings::default(),
            order: ModuleOrder::EqFirst,
        }
    }
}

/// On/off crossfade of one module.
#[derive(Debug, Clone, Copy)]
struct Fade {
    on: bool,
    /// 0 = bypassed, 1 = fully on.
    level: f32,
    step: f32,
}

impl Fade {
    fn new(sample_rate_hz: f64) -> Self {
        let mut f = Self {
            on: false,
            level: 0.0,
            step: 0.0,
        };
        f.set_sample_rate(sample_rate_hz);
        f
    }

    fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.step = 1.0 / (MODULE_FADE_MS as f64 * 1e-3 * sample_rate_hz).max(1.0) as f32;
    }

    /// Switches; returns true when the module must be reset (it was fully off).
    fn set(&mut self, on: bool) -> bool {
        let reset = on && !self.on && self.level == 0.0;
        self.on = on;
        reset
    }

    fn snap(&mut self) {
        self.level = if self.on { 1.0 } else { 0.0 };
    }

    fn idle(&self) -> bool {
        !self.on && self.level == 0.0
    }

    fn full(&self) -> bool {
        self.on && self.level == 1.0
    }

    /// Runs `module` on `block` with the crossfade; `dry` is scratch space.
    fn run(
        &mut self,
        block: &mut [&mut [f32]],
        dry: &mut [Vec<f32>],
        module: impl FnOnce(&mut [&mut [f32]]),
    ) {
        if self.idle() {
            return;
        }
        if self.full() {
            module(block);
            return;
        }
        let len = block.first().map_or(0, |c| c.len());
        for (ch, d) in block.iter().zip(dry.iter_mut()) {
            d[..len].copy_from_slice(ch);
        }
        module(block);
        let target = if self.on { 1.0 } else { 0.0 };
        let mut level = self.level;
        for i in 0..len {
            level = if target > level {
                (level + self.step).min(1.0)
            } else {
                (level - self.step).max(0.0)
            };
            if level == 0.0 {
                for (ch, d) in block.iter_mut().zip(dry.iter()) {
                    ch[i] = d[i];
                }
            } else if level < 1.0 {
                for (ch, d) in block.iter_mut().zip(dry.iter()) {
                    ch[i] = d[i] + level * (ch[i] - d[i]);
                }
            }
        }
        self.level = level;
    }
}

/// A part of the strip's frequency response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponsePart {
    /// The high-pass filter.
    Highpass,
    /// The low-pass filter.
    Lowpass,
    /// EQ band `i` (0 = low shelf .. 4 = high shelf).
    Band(usize),
}

/// The filters' and EQ's response for a set of settings, designed exactly as the strip designs
/// them but without any audio state: editors draw target curves with it (the strip itself only
/// reaches them after its parameter glide).
#[derive(Debug, Clone)]
pub struct StripResponse {
    sample_rate_hz: f64,
    parts: Vec<(ResponsePart, BiquadCoefficients)>,
}

impl StripResponse {
    /// Designs the active filters and bands of `settings` at `sample_rate_hz`.
    pub fn design(settings: &ChannelStripSettings, sample_rate_hz: f64) -> Self {
        let mut parts = Vec::new();
        for (part, pass, highpass) in [
            (ResponsePart::Highpass, &settings.highpass, true),
            (ResponsePart::Lowpass, &settings.lowpass, false),
        ] {
            if !pass.enabled {
                continue;
            }
            let mut sections = [Section {
                kind: SectionKind::Lowpass1,
                freq_hz: 0.0,
            }; MAX_PASS_SECTIONS];
            let n = butterworth(
                highpass,
                pass.slope,
                pass.freq_hz as f64,
                pass.q as f64,
                &mut sections,
            );
            parts.extend(
                sections[..n]
                    .iter()
                    .map(|s| (part, s.design(sample_rate_hz))),
            );
        }
        if settings.eq_enabled {
            for (i, (shape, band)) in BAND_SHAPES.iter().zip(&settings.eq.bands).enumerate() {
                if let Some(section) = band_section(*shape, band) {
                    parts.push((ResponsePart::Band(i), section.design(sample_rate_hz)));
                }
            }
        }
        Self {
            sample_rate_hz,
            parts,
        }
    }

    /// Total magnitude, dB.
    pub fn magnitude_db(&self, freq_hz: f64) -> f64 {
        self.parts
            .iter()
            .map(|(_, c)| c.magnitude_db(freq_hz, self.sample_rate_hz))
            .sum()
    }

    /// Magnitude of one part, dB (0 when it is off).
    pub fn part_magnitude_db(&self, part: ResponsePart, freq_hz: f64) -> f64 {
        self.parts
            .iter()
            .filter(|(p, _)| *p == part)
            .map(|(_, c)| c.magnitude_db(freq_hz, self.sample_rate_hz))
            .sum()
    }
}

/// Deepest reductions since the editor last looked, dB.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StripReadouts {
    /// Gate attenuation.
    pub gate_db: f32,
    /// Compressor gain reduction.
    pub compressor_db: f32,
    /// De-esser reduction.
    pub deesser_db: f32,
}

/// The channel strip core (wrapped in a [`crate::PluginChain`] as
/// [`crate::plugins::ChannelStrip`]).
pub struct ChannelStripCore {
    settings: ChannelStripSettings,
    sample_rate_hz: f64,
    highpass: PassFilter,
    lowpass: PassFilter,
    eq: ParametricEq,
    gate: Gate,
    compressor: Compressor,
    deesser: DeEsser,
    saturator: Saturator,
    stereo: Stereo,
    fades: [Fade; 6],
    dry: Vec<Vec<f32>>,
    /// Nothing processed since construction or reset: settings apply without fades.
    fresh: bool,
}

const HP: usize = 0;
const LP: usize = 1;
const EQ: usize = 2;
const GATE: usize = 3;
const COMP: usize = 4;
const DEESS: usize = 5;

impl ChannelStripCore {
    /// The settings in use.
    pub fn settings(&self) -> &ChannelStripSettings {
        &self.settings
    }

    /// The high-pass filter (analytic response for the editor).
    pub fn highpass(&self) -> &PassFilter {
        &self.highpass
    }

    /// The low-pass filter.
    pub fn lowpass(&self) -> &PassFilter {
        &self.lowpass
    }

    /// The EQ.
    pub fn eq(&self) -> &ParametricEq {
        &self.eq
    }

    /// Takes the deepest gate, compressor and de-esser reductions since the last call.
    pub fn take_readouts(&mut self) -> StripReadouts {
        StripReadouts {
            gate_db: self.gate.take_max_attenuation_db(),
            compressor_db: self.compressor.take_max_reduction_db(),
            deesser_db: self.deesser.take_max_reduction_db(),
        }
    }

    /// Magnitude response of the filters and EQ that are on, dB (digital, exact).
    pub fn magnitude_db(&self, freq_hz: f64) -> f64 {
        let s = &self.settings;
        let mut db = 0.0;
        if s.highpass.enabled {
            db += self.highpass.magnitude_db(freq_hz);
        }
        if s.lowpass.enabled {
            db += self.lowpass.magnitude_db(freq_hz);
        }
        if s.eq_enabled {
            db += self.eq.magnitude_db(freq_hz);
        }
        db
    }

    fn dynamics(&mut self, block: &mut [&mut [f32]]) {
        let (gate, comp, deess) = (&mut self.gate, &mut self.compressor, &mut self.deesser);
        let [.., f_gate, f_comp, f_deess] = &mut self.fades;
        f_gate.run(block, &mut self.dry, |b| gate.process(b));
        f_comp.run(block, &mut self.dry, |b| comp.process(b, None));
        f_deess.run(block, &mut self.dry, |b| deess.process(b));
    }

    fn equaliser(&mut self, block: &mut [&mut [f32]]) {
        let eq = &mut self.eq;
        self.fades[EQ].run(block, &mut self.dry, |b| eq.process(b));
    }
}

impl Core for ChannelStripCore {
    type Settings = ChannelStripSettings;

    fn new(max_channels: usize, sample_rate_hz: f64) -> Self {
        let max_channels = max_channels.clamp(1, MAX_CHANNELS);
        let mut core = Self {
            settings: ChannelStripSettings::default(),
            sample_rate_hz,
            highpass: PassFilter::new(true, sample_rate_hz),
            lowpass: PassFilter::new(false, sample_rate_hz),
            eq: ParametricEq::new(sample_rate_hz),
            gate: Gate::new(sample_rate_hz),
            compressor: Compressor::new(sample_rate_hz),
            deesser: DeEsser::new(sample_rate_hz),
            saturator: Saturator::new(max_channels, sample_rate_hz),
            stereo: Stereo::new(sample_rate_hz),
            fades: [Fade::new(sample_rate_hz); 6],
            dry: vec![vec![0.0; CHUNK_SAMPLES]; max_channels],
            fresh: true,
        };
        let s = core.settings;
        core.set_settings(&s);
        core.reset();
        core
    }

    fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.sample_rate_hz = sample_rate_hz;
        self.highpass.set_sample_rate(sample_rate_hz);
        self.lowpass.set_sample_rate(sample_rate_hz);
        self.eq.set_sample_rate(sample_rate_hz);
        self.gate.set_sample_rate(sample_rate_hz);
        self.compressor.set_sample_rate(sample_rate_hz);
        self.deesser.set_sample_rate(sample_rate_hz);
        self.saturator.set_sample_rate(sample_rate_hz);
        self.stereo.set_sample_rate(sample_rate_hz);
        for f in &mut self.fades {
            f.set_sample_rate(sample_rate_hz);
        }
    }

    fn reset(&mut self) {
        self.highpass.reset();
        self.lowpass.reset();
        self.eq.reset();
        self.gate.reset();
        self.compressor.reset();
        self.deesser.reset();
        self.saturator.reset();
        self.stereo.snap();
        for f in &mut self.fades {
            f.snap();
        }
        self.fresh = true;
    }

    fn set_settings(&mut self, s: &ChannelStripSettings) {
        self.highpass.set_settings(&s.highpass);
        self.lowpass.set_settings(&s.lowpass);
        self.eq.set_settings(&s.eq);
        self.gate.set_settings(&s.gate);
        self.compressor.set_settings(&s.compressor);
        self.deesser.set_settings(&s.deesser);
        self.stereo.set_settings(&s.stereo);
        let switches = [
            s.highpass.enabled,
            s.lowpass.enabled,
            s.eq_enabled,
            s.gate_enabled,
            s.compressor_enabled,
            s.deesser_enabled,
        ];
        for (i, on) in switches.into_iter().enumerate() {
            if self.fades[i].set(on) {
                match i {
                    HP => self.highpass.reset(),
                    LP => self.lowpass.reset(),
                    EQ => self.eq.reset(),
                    GATE => self.gate.reset(),
                    COMP => self.compressor.reset(),
                    DEESS => self.deesser.reset(),
                    _ => {}
                }
            }
        }
        if s.saturator_enabled && !self.settings.saturator_enabled {
            self.saturator.reset();
        }
        self.saturator.set_settings(&s.saturator);
        self.settings = *s;
        if self.fresh {
            for f in &mut self.fades {
                f.snap();
            }
            self.stereo.snap();
        }
    }

    fn latency(&self) -> u32 {
        if self.settings.saturator_enabled {
            self.saturator.latency()
        } else {
            0
        }
    }

    fn max_latency(&self) -> u32 {
        self.saturator.max_latency()
    }

    fn process(&mut self, main: &mut [&mut [f32]], _sidechain: Option<&[&[f32]]>) {
        self.fresh = false;
        {
            let (hp, lp) = (&mut self.highpass, &mut self.lowpass);
            let [f_hp, f_lp, ..] = &mut self.fades;
            f_hp.run(main, &mut self.dry, |b| hp.process(b));
            f_lp.run(main, &mut self.dry, |b| lp.process(b));
        }
        match self.settings.order {
            ModuleOrder::EqFirst => {
                self.equaliser(main);
                self.dynamics(main);
            }
            ModuleOrder::DynamicsFirst => {
                self.dynamics(main);
                self.equaliser(main);
            }
        }
        if self.settings.saturator_enabled {
            self.saturator.process(main);
        }
        self.stereo.process(main);
    }
}
