//! The strip's filters and EQ in linear phase: one FIR per lane (mid and side) whose magnitude
//! is the zero-latency filters' designed magnitude, run by the partitioned convolver with its
//! kernel cross-fade (the linear-phase mode of FabFilter Pro-Q and of mastering EQs).
//!
//! Design: the window method by frequency sampling with a Tukey window
//! ([`linear_phase_fir`](crate::filters::convolution::linear_phase_fir); Oppenheim & Schafer,
//! "Discrete-Time Signal Processing", 3rd ed., sec. 7.5; Harris 1978) of the product of the high-pass,
//! low-pass and band sections' digital magnitudes ([`FilterResponse`], the same designs the
//! zero-latency cascades run). Length about 340 ms ([`fir_taps`]: 16 384 taps at 44.1 and
//! 48 kHz, 32 768 at 88.2 and 96 kHz, 65 536 at 176.4 and 192 kHz), so the grid is 2.7-2.9 Hz
//! wide at every rate; the latency is half of it and fixed per sample rate: moving, enabling
//! or disabling bands never changes it (with everything off the kernel is a pure delay).
//!
//! The mid/side machinery, the designer thread and the kernel cross-fade are
//! [`crate::filters::linear_phase`]'s; this module is the design.

use crate::filters::convolution::linear_phase_fir;
use crate::filters::design::{MAX_PASS_SECTIONS, Section, SectionKind, butterworth};
use crate::filters::eq::{BAND_SHAPES, EqChannel, EqSettings, PassSettings, band_section};
pub use crate::filters::linear_phase::Lane;
use crate::filters::linear_phase::{LinearDesign, LinearPhase, power_of_two_taps};
use crate::primitives::biquad::BiquadCoefficients;

/// The window's cosine tapers, as a share of the FIR length: a Hann window (1) smooths a
/// Q 4 bell at 45 Hz by 0.3 dB at 48 kHz; tapers over the outer half keep it within 0.04 dB.
pub(crate) const TAPER: f64 = 0.5;

/// The settings a linear-phase kernel is designed from: the strip's pass filters and EQ.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FilterSettings {
    /// High-pass filter (its `enabled` switches it).
    pub highpass: PassSettings,
    /// Low-pass filter.
    pub lowpass: PassSettings,
    /// Whether the EQ bands are on.
    pub eq_enabled: bool,
    /// EQ bands and their channels.
    pub eq: EqSettings,
}

/// A part of the filters' frequency response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponsePart {
    /// The high-pass filter.
    Highpass,
    /// The low-pass filter.
    Lowpass,
    /// EQ band `i` (0 = low shelf .. 4 = high shelf).
    Band(usize),
}

fn filtered_by(lane: Lane, channel: EqChannel) -> bool {
    match channel {
        EqChannel::Stereo => true,
        EqChannel::Mid => lane == Lane::Mid,
        EqChannel::Side => lane == Lane::Side,
    }
}

/// The filters' and EQ's response for a set of settings, designed exactly as the strip
/// designs them but without any audio state: editors draw target curves with it (the strip
/// itself only reaches them after its parameter glide), and the linear-phase kernels are
/// designed from it.
#[derive(Debug, Clone)]
pub struct FilterResponse {
    sample_rate_hz: f64,
    parts: Vec<(ResponsePart, EqChannel, BiquadCoefficients)>,
}

impl FilterResponse {
    /// Designs the active filters and bands of `settings` at `sample_rate_hz`.
    pub fn design(settings: &FilterSettings, sample_rate_hz: f64) -> Self {
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
                    .map(|s| (part, EqChannel::Stereo, s.design(sample_rate_hz))),
            );
        }
        if settings.eq_enabled {
            let bands = BAND_SHAPES.iter().zip(&settings.eq.bands);
            for (i, (shape, band)) in bands.enumerate() {
                if let Some(section) = band_section(*shape, band) {
                    let channel = settings.eq.channels[i];
                    parts.push((
                        ResponsePart::Band(i),
                        channel,
                        section.design(sample_rate_hz),
                    ));
                }
            }
        }
        Self {
            sample_rate_hz,
            parts,
        }
    }

    /// Total magnitude of every part whatever its channel, dB (the stereo curve).
    pub fn magnitude_db(&self, freq_hz: f64) -> f64 {
        self.parts
            .iter()
            .map(|(_, _, c)| c.magnitude_db(freq_hz, self.sample_rate_hz))
            .sum()
    }

    /// Magnitude of one part, dB (0 when it is off).
    pub fn part_magnitude_db(&self, part: ResponsePart, freq_hz: f64) -> f64 {
        self.parts
            .iter()
            .filter(|(p, _, _)| *p == part)
            .map(|(_, _, c)| c.magnitude_db(freq_hz, self.sample_rate_hz))
            .sum()
    }

    /// Magnitude of what filters `lane`, dB.
    pub fn lane_magnitude_db(&self, lane: Lane, freq_hz: f64) -> f64 {
        20.0 * self.lane_gain(lane, freq_hz).max(1e-15).log10()
    }

    /// Linear gain of what filters `lane`.
    pub fn lane_gain(&self, lane: Lane, freq_hz: f64) -> f64 {
        let w = std::f64::consts::TAU * freq_hz / self.sample_rate_hz;
        self.parts
            .iter()
            .filter(|(_, ch, _)| filtered_by(lane, *ch))
            .map(|(_, _, c)| c.magnitude_squared_at(w))
            .product::<f64>()
            .sqrt()
    }

    /// Whether some band filters only the mid or only the side.
    pub fn has_mid_side(&self) -> bool {
        self.parts.iter().any(|(_, ch, _)| *ch != EqChannel::Stereo)
    }
}

/// FIR length at `sample_rate_hz`, taps (about 340 ms; see the [module documentation](self)).
pub fn fir_taps(sample_rate_hz: f64) -> usize {
    power_of_two_taps(0.34, sample_rate_hz, 4096, 65_536)
}

/// The fixed latency of the linear-phase mode at `sample_rate_hz`, samples.
pub fn fir_latency(sample_rate_hz: f64) -> u32 {
    (fir_taps(sample_rate_hz) / 2) as u32
}

/// The linear-phase taps for `lane` (symmetric about [`fir_latency`]).
pub fn design_taps(settings: &FilterSettings, sample_rate_hz: f64, lane: Lane) -> Vec<f32> {
    let response = FilterResponse::design(settings, sample_rate_hz);
    lane_taps(&response, sample_rate_hz, lane)
}

fn lane_taps(response: &FilterResponse, sample_rate_hz: f64, lane: Lane) -> Vec<f32> {
    linear_phase_fir(
        fir_taps(sample_rate_hz),
        1,
        TAPER,
        |f| response.lane_gain(lane, f),
        sample_rate_hz,
    )
}

impl FilterSettings {
    /// Whether nothing filters: no pass filter on, and the EQ off or every band at 0 dB.
    pub fn is_flat(&self) -> bool {
        !self.highpass.enabled
            && !self.lowpass.enabled
            && (!self.eq_enabled
                || self
                    .eq
                    .bands
                    .iter()
                    .all(|band| !band.enabled || band.gain_db == 0.0))
    }
}

impl LinearDesign for FilterSettings {
    fn taps(sample_rate_hz: f64) -> usize {
        fir_taps(sample_rate_hz)
    }

    fn design(&self, sample_rate_hz: f64) -> (Vec<f32>, Option<Vec<f32>>) {
        let response = FilterResponse::design(self, sample_rate_hz);
        let mid = lane_taps(&response, sample_rate_hz, Lane::Mid);
        let side = response
            .has_mid_side()
            .then(|| lane_taps(&response, sample_rate_hz, Lane::Side));
        (mid, side)
    }

    fn is_delay(&self) -> bool {
        self.is_flat()
    }
}

/// The linear-phase filters and EQ (a [`Block`](crate::Block)); see the
/// [module documentation](self).
pub type LinearPhaseEq = LinearPhase<FilterSettings>;
