//! Lathe Channel Strip's signal path: filters, EQ, gate, compressor, de-esser, saturator,
//! stereo, with a selectable order of EQ and dynamics and a click-free bypass per module.
//!
//! Order: high-pass and low-pass, then either EQ -> dynamics or dynamics -> EQ (dynamics =
//! gate -> compressor -> de-esser), then the saturator, the imager, then the stereo stage.
//! Switching a module on or off crossfades over [`MODULE_FADE_MS`]; a module switched on starts
//! from a clean state. The imager is switched out (crossfaded) while its settings are neutral,
//! so at 100 % in every band it passes the input bit for bit. The strip has no latency unless
//! the saturator is on with oversampling.

use crate::Block;
use crate::chains::{Core, MAX_CHANNELS};
use crate::color::imager::{Imager, ImagerSettings};
use crate::color::saturator::{Saturator, SaturatorSettings};
use crate::color::stereo::{Stereo, StereoSettings};
use crate::dynamics::{
    Compressor, CompressorSettings, DeEsser, DeEsserSettings, Gate, GateSettings,
};
use crate::filters::design::{MAX_PASS_SECTIONS, Section, SectionKind, butterworth};
use crate::filters::eq::{
    BAND_SHAPES, EqSettings, ParametricEq, PassFilter, PassSettings, band_section,
};
use crate::primitives::biquad::BiquadCoefficients;
use crate::primitives::switched::{SWITCH_FADE_MS, Switch, Switched};

/// Crossfade time when a module is switched on or off, ms.
pub const MODULE_FADE_MS: f32 = SWITCH_FADE_MS;

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
    /// Whether the three-band imager is on.
    pub imager_enabled: bool,
    /// Imager (band widths, bass mono).
    pub imager: ImagerSettings,
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
            imager_enabled: false,
            imager: ImagerSettings::default(),
            stereo: StereoSettings::default(),
            order: ModuleOrder::EqFirst,
        }
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
/// [`crate::chains::ChannelStrip`]).
pub struct ChannelStripCore {
    settings: ChannelStripSettings,
    sample_rate_hz: f64,
    highpass: Switched<PassFilter>,
    lowpass: Switched<PassFilter>,
    eq: Switched<ParametricEq>,
    gate: Switched<Gate>,
    compressor: Switched<Compressor>,
    deesser: Switched<DeEsser>,
    saturator: Saturator,
    imager: Switched<Imager>,
    stereo: Stereo,
    /// Nothing processed since construction or reset: settings apply without fades.
    fresh: bool,
}

impl ChannelStripCore {
    /// The settings in use.
    pub fn settings(&self) -> &ChannelStripSettings {
        &self.settings
    }

    /// The high-pass filter (analytic response for the editor).
    pub fn highpass(&self) -> &PassFilter {
        self.highpass.block()
    }

    /// The low-pass filter.
    pub fn lowpass(&self) -> &PassFilter {
        self.lowpass.block()
    }

    /// The EQ.
    pub fn eq(&self) -> &ParametricEq {
        self.eq.block()
    }

    /// Takes the deepest gate, compressor and de-esser reductions since the last call.
    pub fn take_readouts(&mut self) -> StripReadouts {
        StripReadouts {
            gate_db: self.gate.block_mut().take_max_attenuation_db(),
            compressor_db: self.compressor.block_mut().take_max_reduction_db(),
            deesser_db: self.deesser.block_mut().take_max_reduction_db(),
        }
    }

    /// Magnitude response of the filters and EQ that are on, dB (digital, exact).
    pub fn magnitude_db(&self, freq_hz: f64) -> f64 {
        let s = &self.settings;
        let mut db = 0.0;
        if s.highpass.enabled {
            db += self.highpass().magnitude_db(freq_hz);
        }
        if s.lowpass.enabled {
            db += self.lowpass().magnitude_db(freq_hz);
        }
        if s.eq_enabled {
            db += self.eq().magnitude_db(freq_hz);
        }
        db
    }

    /// The imager (analytic side response for the editor).
    pub fn imager(&self) -> &Imager {
        self.imager.block()
    }

    /// The seven switched modules, in signal order.
    fn switched(&mut self) -> [&mut dyn Switch; 7] {
        [
            &mut self.highpass,
            &mut self.lowpass,
            &mut self.eq,
            &mut self.gate,
            &mut self.compressor,
            &mut self.deesser,
            &mut self.imager,
        ]
    }

    fn dynamics(&mut self, block: &mut [&mut [f32]]) {
        self.gate.process(block);
        self.compressor.process(block);
        self.deesser.process(block);
    }
}

impl Core for ChannelStripCore {
    type Settings = ChannelStripSettings;

    fn new(max_channels: usize, sample_rate_hz: f64) -> Self {
        let max_channels = max_channels.clamp(1, MAX_CHANNELS);
        let sr = sample_rate_hz;
        let mut core = Self {
            settings: ChannelStripSettings::default(),
            sample_rate_hz,
            highpass: Switched::new(PassFilter::new(true, sr), max_channels, sr),
            lowpass: Switched::new(PassFilter::new(false, sr), max_channels, sr),
            eq: Switched::new(ParametricEq::new(sr), max_channels, sr),
            gate: Switched::new(Gate::new(sr), max_channels, sr),
            compressor: Switched::new(Compressor::new(sr), max_channels, sr),
            deesser: Switched::new(DeEsser::new(sr), max_channels, sr),
            saturator: Saturator::new(max_channels, sr),
            imager: Switched::new(Imager::new(sr), max_channels, sr),
            stereo: Stereo::new(sr),
            fresh: true,
        };
        let s = core.settings;
        core.set_settings(&s);
        core.reset();
        core
    }

    fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.sample_rate_hz = sample_rate_hz;
        for m in self.switched() {
            m.set_sample_rate(sample_rate_hz);
        }
        self.saturator.set_sample_rate(sample_rate_hz);
        self.stereo.set_sample_rate(sample_rate_hz);
    }

    fn reset(&mut self) {
        for m in self.switched() {
            m.reset();
        }
        self.saturator.reset();
        self.stereo.reset();
        self.fresh = true;
    }

    fn set_settings(&mut self, s: &ChannelStripSettings) {
        self.highpass.set(s.highpass.enabled, &s.highpass);
        self.lowpass.set(s.lowpass.enabled, &s.lowpass);
        self.eq.set(s.eq_enabled, &s.eq);
        self.gate.set(s.gate_enabled, &s.gate);
        self.compressor.set(s.compressor_enabled, &s.compressor);
        self.deesser.set(s.deesser_enabled, &s.deesser);
        let imager_active = s.imager_enabled && !s.imager.is_neutral();
        self.imager.set(imager_active, &s.imager);
        self.stereo.set_settings(&s.stereo);
        if s.saturator_enabled && !self.settings.saturator_enabled {
            self.saturator.reset();
        }
        self.saturator.set_settings(&s.saturator);
        self.settings = *s;
        if self.fresh {
            for m in self.switched() {
                m.snap();
            }
            self.stereo.reset();
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
        self.highpass.process(main);
        self.lowpass.process(main);
        match self.settings.order {
            ModuleOrder::EqFirst => {
                self.eq.process(main);
                self.dynamics(main);
            }
            ModuleOrder::DynamicsFirst => {
                self.dynamics(main);
                self.eq.process(main);
            }
        }
        if self.settings.saturator_enabled {
            self.saturator.process(main);
        }
        self.imager.process(main);
        self.stereo.process(main);
    }
}
