//! Saturation with three characters, oversampled and antiderivative-antialiased.
//!
//! The waveshaper runs at 2, 4 or 8 times the sample rate ([`crate::oversampling`], with the
//! sharp final decimator so nothing created just above Nyquist folds back), and each shaper is
//! evaluated by first-order antiderivative antialiasing (ADAA): `y[n] = (F(x[n]) - F(x[n-1])) /
//! (x[n] - x[n-1])` with `F` the shaper's antiderivative (J. D. Parker, V. Zavalishin and
//! E. Le Bivic, "Reducing the Aliasing of Nonlinear Waveshaping Using Continuous-Time
//! Convolution", DAFx-16; S. Bilbao, F. Esqueda, J. D. Parker and V. Välimäki,
//! "Antiderivative Antialiasing for Memoryless Nonlinearities", IEEE SPL 24(7), 2017).
//! ADAA acts as a half-sample average on the linear part, a gentle high-rate low-pass; a
//! four-tap symmetric FIR `[-1/8, 5/8, 5/8, -1/8]` after it flattens that to second order and
//! brings the delay to two high-rate samples, padded to one base sample (reported in the
//! latency). The dry signal takes the same average and FIR, so any mix is phase-coherent.
//!
//! Measured (tests): a 5 kHz full-scale sine at +12 dB drive at 48 kHz leaves aliases below
//! -80 dB relative to the fundamental at 4x and 8x for every character.
//! "Off" runs the plain shaper at the base rate: no latency, but it aliases.
//!
//! Characters: tape (`tanh`, odd harmonics), tube (`tanh(x + b) - tanh(b)`, asymmetric, so
//! even harmonics too; its DC is removed by a 5 Hz one-pole high-pass), hard clip (a clipper
//! with a narrow quadratic knee between 0.75 and 1.25, which keeps it continuous in slope).

use crate::chain::MAX_CHANNELS;
use crate::oversampling::{MAX_BLOCK, Oversampler};

/// Bias of the tube character.
const TUBE_BIAS: f64 = 0.3;
/// Half-width of the hard clipper's knee.
const HARD_KNEE: f64 = 0.25;
/// Below this input step ADAA uses the midpoint value instead of the difference quotient.
const ADAA_EPS: f64 = 1e-5;
/// Length of the per-channel ring (power of two, > 3 + 6).
const RING: usize = 16;

/// Corner of the tube character's DC blocker, Hz.
const DC_BLOCK_HZ: f64 = 5.0;

/// The shaper's character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Character {
    /// Symmetric soft saturation (odd harmonics).
    #[default]
    Tape,
    /// Asymmetric saturation (even and odd harmonics).
    Tube,
    /// Hard clipping with a narrow knee.
    HardClip,
}

/// Oversampling of the saturator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SaturatorOversampling {
    /// Base rate, plain shaper, zero latency (aliases at high drive).
    Off,
    /// 2x with ADAA.
    X2,
    /// 4x with ADAA (aliases below -80 dB at +12 dB drive).
    #[default]
    X4,
    /// 8x with ADAA.
    X8,
}

impl SaturatorOversampling {
    /// Which of the saturator's oversamplers (2x, 4x, 8x) this uses; `None` for off.
    fn index(self) -> Option<usize> {
        match self {
            Self::Off => None,
            Self::X2 => Some(0),
            Self::X4 => Some(1),
            Self::X8 => Some(2),
        }
    }

    /// The factor.
    pub fn factor(self) -> usize {
        match self {
            Self::Off => 1,
            Self::X2 => 2,
            Self::X4 => 4,
            Self::X8 => 8,
        }
    }
}

/// Saturator settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SaturatorSettings {
    /// Character.
    pub character: Character,
    /// Drive, dB (0..=24).
    pub drive_db: f32,
    /// Dry/wet mix, 0..=1.
    pub mix: f32,
    /// Divide the output by the drive (small signals keep their level).
    pub compensate: bool,
    /// Oversampling.
    pub oversampling: SaturatorOversampling,
}

impl Default for SaturatorSettings {
    fn default() -> Self {
        Self {
            character: Character::Tape,
            drive_db: 6.0,
            mix: 1.0,
            compensate: true,
            oversampling: SaturatorOversampling::X4,
        }
    }
}

impl Character {
    /// The shaper.
    #[inline]
    pub fn shape(self, x: f64) -> f64 {
        match self {
            Character::Tape => x.tanh(),
            Character::Tube => (x + TUBE_BIAS).tanh() - TUBE_BIAS.tanh(),
            Character::HardClip => {
                let a = x.abs();
                let y = if a <= 1.0 - HARD_KNEE {
                    a
                } else if a < 1.0 + HARD_KNEE {
                    a - (a - (1.0 - HARD_KNEE)).powi(2) / (4.0 * HARD_KNEE)
                } else {
                    1.0
                };
                y.copysign(x)
            }
        }
    }

    /// An antiderivative of [`Character::shape`].
    #[inline]
    pub fn antiderivative(self, x: f64) -> f64 {
        match self {
            Character::Tape => log_cosh(x),
            Character::Tube => log_cosh(x + TUBE_BIAS) - x * TUBE_BIAS.tanh(),
            Character::HardClip => {
                let a = x.abs();
                let e = 1.0 - HARD_KNEE;
                if a <= e {
                    0.5 * a * a
                } else if a < 1.0 + HARD_KNEE {
                    0.5 * a * a - (a - e).powi(3) / (12.0 * HARD_KNEE)
                } else {
                    let u = 1.0 + HARD_KNEE;
                    let at_u = 0.5 * u * u - (2.0 * HARD_KNEE).powi(3) / (12.0 * HARD_KNEE);
                    at_u + (a - u)
                }
            }
        }
    }

    /// Slope of the shaper at zero (small-signal gain).
    pub fn small_signal_gain(self) -> f64 {
        match self {
            Character::Tube => 1.0 - TUBE_BIAS.tanh().powi(2),
            _ => 1.0,
        }
    }
}

/// `ln(cosh(x))` without overflow.
#[inline]
fn log_cosh(x: f64) -> f64 {
    let a = x.abs();
    a + (-2.0 * a).exp().ln_1p() - std::f64::consts::LN_2
}

/// Per-channel state at the high rate.
#[derive(Debug, Clone, Copy, Default)]
struct ChannelState {
    /// Previous drive-scaled input (ADAA).
    prev: f64,
    /// Previous raw input (dry average).
    prev_dry: f32,
    /// Compensation FIR and alignment delay: ring of recent high-rate samples.
    ring: [f32; RING],
    pos: usize,
    /// DC blocker state.
    dc_x: f64,
    dc_y: f64,
}

/// The saturator.
#[derive(Debug, Clone)]
pub struct Saturator {
    settings: SaturatorSettings,
    sample_rate_hz: f64,
    /// One oversampler per factor (2, 4, 8), allocated up front so switching never allocates.
    oversamplers: [Oversampler; 3],
    high: Vec<f32>,
    state: [ChannelState; MAX_CHANNELS],
    dc_coefficient: f64,
}

impl Saturator {
    /// A saturator for `channels` channels at `sample_rate_hz`.
    pub fn new(channels: usize, sample_rate_hz: f64) -> Self {
        let channels = channels.clamp(1, MAX_CHANNELS);
        let mut s = Self {
            settings: SaturatorSettings::default(),
            sample_rate_hz,
            oversamplers: [
                Oversampler::with_sharp_decimation(channels, 2),
                Oversampler::with_sharp_decimation(channels, 4),
                Oversampler::with_sharp_decimation(channels, 8),
            ],
            high: vec![0.0; MAX_BLOCK * 8],
            state: [ChannelState::default(); MAX_CHANNELS],
            dc_coefficient: 0.0,
        };
        s.set_sample_rate(sample_rate_hz);
        s
    }

    /// Prepares for a new sample rate.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.sample_rate_hz = sample_rate_hz;
        self.update_dc();
    }

    fn update_dc(&mut self) {
        let rate = self.sample_rate_hz * self.settings.oversampling.factor() as f64;
        self.dc_coefficient = (-2.0 * std::f64::consts::PI * DC_BLOCK_HZ / rate).exp();
    }

    /// Applies settings. Changing the oversampling resets the state (the latency changes).
    pub fn set_settings(&mut self, settings: &SaturatorSettings) {
        let os_changed = settings.oversampling != self.settings.oversampling;
        self.settings = *settings;
        if os_changed {
            self.update_dc();
            self.reset();
        }
    }

    /// The settings in use.
    pub fn settings(&self) -> &SaturatorSettings {
        &self.settings
    }

    /// Clears all state.
    pub fn reset(&mut self) {
        for os in &mut self.oversamplers {
            os.reset();
        }
        self.state = [ChannelState::default(); MAX_CHANNELS];
    }

    /// Latency in samples for the current oversampling.
    pub fn latency(&self) -> u32 {
        Self::latency_for(&self.oversamplers, self.settings.oversampling)
    }

    /// Oversampler round trip plus one base sample (ADAA, droop FIR and alignment).
    fn latency_for(oversamplers: &[Oversampler; 3], os: SaturatorOversampling) -> u32 {
        os.index().map_or(0, |i| oversamplers[i].latency() + 1)
    }

    /// The largest latency any setting gives.
    pub fn max_latency(&self) -> u32 {
        self.oversamplers
            .iter()
            .map(|o| o.latency() + 1)
            .max()
            .unwrap_or(0)
    }

    /// Saturates a block in place.
    pub fn process(&mut self, main: &mut [&mut [f32]]) {
        let s = self.settings;
        let drive = 10f64.powf(s.drive_db as f64 / 20.0);
        let character = s.character;
        let compensation = if s.compensate {
            1.0 / (drive * character.small_signal_gain())
        } else {
            1.0
        };
        let mix = s.mix.clamp(0.0, 1.0) as f64;
        let dc_block = character == Character::Tube;
        let dc = self.dc_coefficient;
        let os_index = s.oversampling.index();
        for (ch, channel) in main.iter_mut().enumerate().take(MAX_CHANNELS) {
            let st = &mut self.state[ch];
            let Some(index) = os_index else {
                for x in channel.iter_mut() {
                    let dry = *x as f64;
                    let mut wet = character.shape(dry * drive);
                    if dc_block {
                        wet = dc_blocker(st, wet, dc);
                    }
                    *x = (mix * wet * compensation + (1.0 - mix) * dry) as f32;
                }
                continue;
            };
            let os = &mut self.oversamplers[index];
            let f = os.factor();
            // The antiderivative at the previous sample, carried from one sample to the next
            // (recomputed per block, so a change of character cannot leave it stale).
            let mut prev_f = character.antiderivative(st.prev);
            // ADAA (1/2) and the FIR (3/2) delay by 2 high-rate samples; pad to `f`.
            let extra = f - 2;
            for block in channel.chunks_mut(MAX_BLOCK) {
                let high = &mut self.high[..block.len() * f];
                os.upsample(ch, block, high);
                for v in high.iter_mut() {
                    let dry_now = *v;
                    let x = dry_now as f64 * drive;
                    let d = x - st.prev;
                    let fx = character.antiderivative(x);
                    let mut wet = if d.abs() < ADAA_EPS {
                        character.shape(0.5 * (x + st.prev))
                    } else {
                        (fx - prev_f) / d
                    };
                    st.prev = x;
                    prev_f = fx;
                    if dc_block {
                        wet = dc_blocker(st, wet, dc);
                    }
                    let dry = 0.5 * (dry_now as f64 + st.prev_dry as f64);
                    st.prev_dry = dry_now;
                    let y = (mix * wet * compensation + (1.0 - mix) * dry) as f32;
                    st.pos = (st.pos + 1) & (RING - 1);
                    st.ring[st.pos] = y;
                    // [-1/8, 5/8, 5/8, -1/8] from `extra` samples back: undoes the droop of
                    // the half-sample average; with it the high-rate delay is `factor`
                    // samples, one base sample.
                    let at = |k: usize| st.ring[(st.pos + RING - extra - k) & (RING - 1)];
                    *v = 0.625 * (at(1) + at(2)) - 0.125 * (at(0) + at(3));
                }
                os.downsample(ch, high, block);
            }
        }
    }
}

/// One-pole DC blocker `y = x - x1 + c y1`.
#[inline]
fn dc_blocker(st: &mut ChannelState, x: f64, c: f64) -> f64 {
    let mut y = x - st.dc_x + c * st.dc_y;
    if y.abs() < 1e-30 {
        y = 0.0;
    }
    st.dc_x = x;
    st.dc_y = y;
    y
}
