//! Lathe Channel Strip's signal path: filters, EQ, gate, compressor, de-esser, saturator,
//! stereo, with a selectable order of EQ and dynamics and a click-free bypass per module.
//!
//! Order: high-pass and low-pass, then either EQ -> dynamics or dynamics -> EQ (dynamics =
//! gate -> compressor -> de-esser), then the saturator, the imager, then the stereo stage.
//! Switching a module on or off crossfades over [`MODULE_FADE_MS`]; a module switched on starts
//! from a clean state. The imager is switched out (crossfaded) while its settings are neutral,
//! so at 100 % in every band it passes the input bit for bit. The strip has no latency unless
//! the saturator is on with oversampling, or the filters and EQ are in [`EqPhase::Linear`]:
//! then one linear-phase FIR ([`crate::filters::linear_eq`]) takes the EQ's place with the
//! pass filters in it (so with dynamics first, the pass filters follow the dynamics too), the
//! imager becomes a linear-phase FIR on the side ([`LinearImagerSettings`]), and the two add
//! their fixed latencies (16 384 samples at 44.1 and 48 kHz), whatever is switched on.

use crate::Block;
use crate::chains::{Core, MAX_CHANNELS};
use crate::color::imager::{Imager, ImagerSettings, LinearImager, LinearImagerSettings};
use crate::color::saturator::{Saturator, SaturatorSettings};
use crate::color::stereo::{Stereo, StereoSettings};
use crate::dynamics::{
    Compressor, CompressorSettings, DeEsser, DeEsserSettings, Gate, GateSettings,
};
use crate::filters::eq::{EqSettings, ParametricEq, PassFilter, PassSettings};
use crate::filters::linear_eq::LinearPhaseEq;
pub use crate::filters::linear_eq::{FilterResponse, FilterSettings, ResponsePart};
use crate::filters::linear_phase::Designer;
use crate::primitives::switched::{SWITCH_FADE_MS, Switch, Switched};

/// Crossfade time when a module is switched on or off, ms.
pub const MODULE_FADE_MS: f32 = SWITCH_FADE_MS;

/// How the filters and EQ treat phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EqPhase {
    /// Matched minimum-phase biquads, no latency.
    #[default]
    ZeroLatency,
    /// One linear-phase FIR for the pass filters and the bands
    /// ([`crate::filters::linear_eq`]), with a fixed latency per sample rate.
    Linear,
}

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
    /// Zero-latency or linear-phase filters and EQ.
    pub eq_phase: EqPhase,
}

impl ChannelStripSettings {
    /// The pass filters' and EQ's settings.
    pub fn filters(&self) -> FilterSettings {
        FilterSettings {
            highpass: self.highpass,
            lowpass: self.lowpass,
            eq_enabled: self.eq_enabled,
            eq: self.eq,
        }
    }
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
            eq_phase: EqPhase::ZeroLatency,
        }
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
    /// The filters and EQ in [`EqPhase::Linear`].
    linear: LinearPhaseEq,
    /// The imager in [`EqPhase::Linear`].
    linear_imager: LinearImager,
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

    /// The linear-phase filters and EQ.
    pub fn linear_eq(&self) -> &LinearPhaseEq {
        &self.linear
    }

    /// Designs linear-phase kernels on a thread of their own from now on (call from
    /// `activate`: it spawns the thread once and designs the current kernels at once). Offline,
    /// without it, kernels are designed inline when the settings change.
    pub fn attach_designer(&mut self) -> std::io::Result<()> {
        if self.linear.has_designer() {
            self.linear.settle();
        } else {
            self.linear.attach(Designer::spawn()?);
        }
        if self.linear_imager.has_designer() {
            self.linear_imager.settle();
        } else {
            self.linear_imager.attach(Designer::spawn()?);
        }
        Ok(())
    }

    /// The linear-phase imager.
    pub fn linear_imager(&self) -> &LinearImager {
        &self.linear_imager
    }

    fn is_linear(&self) -> bool {
        self.settings.eq_phase == EqPhase::Linear
    }

    /// The EQ at its place in the signal path: the cascade, or the linear-phase FIR with the
    /// pass filters in it.
    fn run_eq(&mut self, block: &mut [&mut [f32]]) {
        if self.is_linear() {
            self.linear.process(block);
        } else {
            self.eq.process(block);
        }
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
            linear: LinearPhaseEq::new(max_channels, sr),
            linear_imager: LinearImager::new(max_channels, sr),
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
        self.linear.set_sample_rate(sample_rate_hz);
        self.linear_imager.set_sample_rate(sample_rate_hz);
    }

    fn reset(&mut self) {
        for m in self.switched() {
            m.reset();
        }
        self.saturator.reset();
        self.stereo.reset();
        self.linear.reset();
        self.linear_imager.reset();
        self.fresh = true;
    }

    fn set_settings(&mut self, s: &ChannelStripSettings) {
        // A change of phase mode changes the latency: the host realigns, so it switches at
        // once, the new path from a clean state.
        let linear = s.eq_phase == EqPhase::Linear;
        let mode_changed = s.eq_phase != self.settings.eq_phase;
        self.highpass
            .set(s.highpass.enabled && !linear, &s.highpass);
        self.lowpass.set(s.lowpass.enabled && !linear, &s.lowpass);
        self.eq.set(s.eq_enabled && !linear, &s.eq);
        if linear {
            self.linear.set_settings(&s.filters());
            self.linear_imager.set_settings(&LinearImagerSettings {
                enabled: s.imager_enabled,
                imager: s.imager,
            });
        }
        if mode_changed {
            Block::reset(&mut self.highpass);
            Block::reset(&mut self.lowpass);
            Block::reset(&mut self.eq);
            Block::reset(&mut self.imager);
            self.linear.reset();
            self.linear_imager.reset();
        }
        self.gate.set(s.gate_enabled, &s.gate);
        self.compressor.set(s.compressor_enabled, &s.compressor);
        self.deesser.set(s.deesser_enabled, &s.deesser);
        let imager_active = s.imager_enabled && !s.imager.is_neutral() && !linear;
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
        let saturator = if self.settings.saturator_enabled {
            self.saturator.latency()
        } else {
            0
        };
        let linear = if self.is_linear() {
            self.linear.latency() + self.linear_imager.latency()
        } else {
            0
        };
        saturator + linear
    }

    fn max_latency(&self) -> u32 {
        self.saturator.max_latency() + self.linear.latency() + self.linear_imager.latency()
    }

    fn process(&mut self, main: &mut [&mut [f32]], _sidechain: Option<&[&[f32]]>) {
        self.fresh = false;
        self.highpass.process(main);
        self.lowpass.process(main);
        match self.settings.order {
            ModuleOrder::EqFirst => {
                self.run_eq(main);
                self.dynamics(main);
            }
            ModuleOrder::DynamicsFirst => {
                self.dynamics(main);
                self.run_eq(main);
            }
        }
        if self.settings.saturator_enabled {
            self.saturator.process(main);
        }
        if self.is_linear() {
            self.linear_imager.process(main);
        } else {
            self.imager.process(main);
        }
        self.stereo.process(main);
    }
}
