//! Saturation with three characters, oversampled and antiderivative-antialiased.
//!
//! The waveshaper runs at 2, 4 or 8 times the sample rate ([`crate::filters::oversampling`], with the
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
//! The tanh characters' quotient runs in f32 through an identity that never subtracts two
//! antiderivatives (see [`tanh_adaa`]); it is as accurate as the f64 difference quotient (a
//! few f32 ulps) at half its cost. The hard clipper's piecewise polynomial quotient is done
//! in f64.
//!
//! Measured (tests): a 5 kHz full-scale sine at +12 dB drive at 48 kHz leaves aliases below
//! -80 dB relative to the fundamental at 4x and 8x for every character.
//! "Off" runs the plain shaper at the base rate: no latency, but it aliases.
//!
//! Characters: tape (`tanh`, odd harmonics), tube (`tanh(x + b) - tanh(b)`, asymmetric, so
//! even harmonics too; its DC is removed by a 5 Hz one-pole high-pass), hard clip (a clipper
//! with a narrow quadratic knee between 0.75 and 1.25, which keeps it continuous in slope).

use crate::Block;
use crate::chains::MAX_CHANNELS;
use crate::filters::oversampling::{MAX_BLOCK, Oversampler};
use crate::math::ROUND_MAGIC;

/// Bias of the tube character.
const TUBE_BIAS: f64 = 0.3;
/// Half-width of the hard clipper's knee.
const HARD_KNEE: f64 = 0.25;
/// Below this input step the hard clipper's ADAA uses the midpoint value instead of the
/// difference quotient.
const ADAA_EPS: f64 = 1e-5;
/// High-rate history kept per channel for the compensation FIR (> 3 + 6).
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

    /// First-order ADAA over a block in f64, for the hard clipper (the tanh characters use
    /// [`tanh_adaa`]): `xs[0]` is the previous input, `xs[1..]` the new ones; `fs` is scratch
    /// for their antiderivatives. Fills `wet[i]` with the difference quotient between inputs
    /// `i` and `i + 1`. Where a step is below [`ADAA_EPS`] the quotient is ill-conditioned and
    /// `wet` gets the shaper at the midpoint instead.
    fn adaa(self, xs: &[f64], fs: &mut [f64], wet: &mut [f64]) {
        let n = wet.len();
        for (f, &x) in fs[..=n].iter_mut().zip(&xs[..=n]) {
            *f = self.antiderivative(x);
        }
        // The quotient everywhere (branch-free, so it vectorises), then the rare fix-up.
        let mut any_tiny = false;
        let steps = xs[1..=n].iter().zip(&xs[..n]);
        let diffs = fs[1..=n].iter().zip(&fs[..n]);
        for ((w, (&x1, &x0)), (&f1, &f0)) in wet.iter_mut().zip(steps).zip(diffs) {
            let d = x1 - x0;
            let tiny = d.abs() < ADAA_EPS;
            any_tiny |= tiny;
            *w = (f1 - f0) / if tiny { 1.0 } else { d };
        }
        if any_tiny {
            for (w, (&x1, &x0)) in wet.iter_mut().zip(xs[1..=n].iter().zip(&xs[..n])) {
                if (x1 - x0).abs() < ADAA_EPS {
                    *w = self.shape(0.5 * (x1 + x0));
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

/// `ln(cosh(x)) = |x| + ln(1 + e^(-2|x|)) - ln 2`, without overflow (f64, libm): the tanh
/// characters' antiderivative, as a reference; the audio path uses [`tanh_adaa`].
fn log_cosh(x: f64) -> f64 {
    let a = x.abs();
    a + (-2.0 * a).exp().ln_1p() - std::f64::consts::LN_2
}

/// First-order ADAA of `tanh` over a block, in f32: `x[0]` is the previous input, `x[1..]`
/// the new ones; `wet[i]` gets the quotient `(ln cosh x[i+1] - ln cosh x[i]) / (x[i+1] -
/// x[i])` minus `offset`. `points` is scratch of at least `x.len()`. Compiled for AVX2 and FMA
/// when the CPU has them (the results then differ from the plain path in the last bits).
///
/// The difference of antiderivatives is never formed as such: in f32 it would cancel to
/// noise for small steps, which is why ADAA is usually done in f64 (twice the time per value
/// on 256-bit vectors). Instead, with `d = x1 - x0`, `e = e^(-2|x|)` and `tanh x0 = o0 / (1 +
/// e0)` where `o0 = sign(x0) (1 - e0)`, the numerator is `ln(1 + W / (1 + e0))`:
/// - for `|d| < 1/2`, from `cosh(x0 + d) / cosh(x0) = 1 + (cosh d - 1) + tanh(x0) sinh d`,
///   `W = (cosh d - 1)(1 + e0) + o0 sinh d`, with `sinh` and `cosh - 1` by short series in
///   `d`; `W` carries a factor `d`, which is divided out before it could cancel, so the
///   quotient is accurate however small `d` is (at `d = 0` it is `tanh x0`);
/// - otherwise the numerator is `|x1| - |x0| + ln((1 + e1) / (1 + e0))`, `W = e1 - e0`, whose
///   rounding error divided by `|d| >= 1/2` stays at a few f32 ulps.
///
/// `ln(1 + w) = 2 atanh(s)` with `s = W / (2 (1 + e0) + W)`, `|s| <= 1/3`, so the only
/// division per step is the one reciprocal that gives both `s` and the quotient, and the
/// per-sample work is one `e^(-2|x|)`. Tested against the f64 quotient: absolute error below
/// 5e-7, a few f32 ulps of the full-scale output.
fn tanh_adaa(x: &[f32], points: &mut TanhPoints, wet: &mut [f32], offset: f32) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports AVX2 and FMA, checked just above.
        unsafe { tanh_adaa_fma(x, points, wet, offset) };
        return;
    }
    tanh_adaa_with::<false>(x, points, wet, offset);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn tanh_adaa_fma(x: &[f32], points: &mut TanhPoints, wet: &mut [f32], offset: f32) {
    tanh_adaa_with::<true>(x, points, wet, offset);
}

#[inline(always)]
fn tanh_adaa_with<const FMA: bool>(
    x: &[f32],
    points: &mut TanhPoints,
    wet: &mut [f32],
    offset: f32,
) {
    let n = wet.len();
    let x = &x[..=n];
    let (e, o) = (&mut points.e[..=n], &mut points.o[..=n]);
    for ((e, o), &x) in e.iter_mut().zip(o.iter_mut()).zip(x) {
        (*e, *o) = tanh_point::<FMA>(x);
    }
    for i in 0..n {
        wet[i] = tanh_quotient::<FMA>(x[i], x[i + 1], e[i], e[i + 1], o[i]) - offset;
    }
}

/// What each input contributes to the steps on either side of it (scratch of
/// [`tanh_adaa`], one value per input).
#[derive(Debug, Clone)]
struct TanhPoints {
    /// `e^(-2|x|)`.
    e: Vec<f32>,
    /// `sign(x) (1 - e)`, so that `tanh x = o / (1 + e)`.
    o: Vec<f32>,
}

impl TanhPoints {
    fn new(len: usize) -> Self {
        Self {
            e: vec![0.0; len],
            o: vec![0.0; len],
        }
    }
}

/// `a * b + c`, fused when `FMA` (only inside functions compiled with the `fma` feature;
/// elsewhere `mul_add` would be a slow library call).
#[inline(always)]
fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA { a.mul_add(b, c) } else { a * b + c }
}

/// Horner's rule, highest coefficient first.
#[inline(always)]
fn horner<const FMA: bool, const N: usize>(x: f32, coefficients: [f32; N]) -> f32 {
    coefficients[1..]
        .iter()
        .fold(coefficients[0], |p, &c| madd::<FMA>(p, x, c))
}

/// `(e^(-2|x|), sign(x) (1 - e^(-2|x|)))` (see [`TanhPoints`]). `e^z` for `z = -2|x|`
/// (clamped at -18, where `e^z` is below half an f32 ulp of 1): `z = k ln 2 + r`, `|r| <= ln
/// 2 / 2`, `e^r - 1 = r P(r)` by the Taylor series to degree 7 (truncation below 6e-9), `2^k`
/// from the exponent bits; `1 - e = -(2^k r P(r) + 2^k - 1)` keeps its precision for small
/// `x`.
#[inline(always)]
fn tanh_point<const FMA: bool>(x: f32) -> (f32, f32) {
    let a = x.abs();
    let z = -2.0 * a.min(9.0);
    let kk = madd::<FMA>(z, std::f32::consts::LOG2_E, ROUND_MAGIC);
    let k = kk - ROUND_MAGIC;
    let r = madd::<FMA>(k, -LN2_HI, z);
    let r = madd::<FMA>(k, -LN2_LO, r);
    let q = r * horner::<FMA, 7>(r, EXP_SERIES);
    let k_bits = kk.to_bits().wrapping_sub(ROUND_MAGIC.to_bits());
    let two_k = f32::from_bits(k_bits.wrapping_add(127) << 23);
    let e = madd::<FMA>(two_k, q, two_k);
    let one_minus_e = -madd::<FMA>(two_k, q, two_k - 1.0);
    (e, one_minus_e.copysign(x))
}

/// The ADAA quotient between `x0` and `x1` (see [`tanh_adaa`]).
#[inline(always)]
fn tanh_quotient<const FMA: bool>(x0: f32, x1: f32, e0: f32, e1: f32, o0: f32) -> f32 {
    let d = x1 - x0;
    let d2 = d * d;
    let small = d.abs() < 0.5;
    let p0 = 1.0 + e0;
    // sinh(d) / d and (cosh(d) - 1) / d^2 to d^6 (relative truncation below 3e-9 for
    // |d| < 1/2); `w_d` is W / d of the small-step case.
    let sinh_d = horner::<FMA, 4>(d2, SINH_SERIES);
    let cosh_d2 = horner::<FMA, 4>(d2, COSH_SERIES);
    let w_d = madd::<FMA>(d * cosh_d2, p0, o0 * sinh_d);
    let w = if small { d * w_d } else { e1 - e0 };
    let den = madd::<FMA>(2.0, p0, w);
    // Small step: quotient = 2 W/d P(s^2) / den. Otherwise: (2 W P(s^2) / den + |x1| -
    // |x0|) / d. One reciprocal serves s and the quotient.
    let m = if small { 1.0 } else { d };
    let recip = 1.0 / (den * m);
    let s = w * m * recip;
    // atanh(s) / s to s^12 (|s| <= 1/3, truncation below 1.5e-8).
    let atanh_s = horner::<FMA, 7>(s * s, LN_SERIES);
    let (w_n, outer) = if small {
        (w_d, 0.0)
    } else {
        (w, x1.abs() - x0.abs())
    };
    madd::<FMA>(2.0 * w_n, atanh_s, outer * den) * recip
}

/// ln 2 split in two (Cody and Waite): k * LN2_HI is exact for |k| < 2^9.
const LN2_HI: f32 = f32::from_bits(0x3f31_7200);
const LN2_LO: f32 = f32::from_bits(0x35bf_be8e);
/// `(e^r - 1) / r`: Taylor coefficients, degree 6 first.
const EXP_SERIES: [f32; 7] = [
    1.0 / 5040.0,
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    0.5,
    1.0,
];
/// `sinh(d) / d` in `d^2`, highest first.
const SINH_SERIES: [f32; 4] = [1.0 / 5040.0, 1.0 / 120.0, 1.0 / 6.0, 1.0];
/// `(cosh(d) - 1) / d^2` in `d^2`, highest first.
const COSH_SERIES: [f32; 4] = [1.0 / 40_320.0, 1.0 / 720.0, 1.0 / 24.0, 0.5];
/// `atanh(s) / s` in `s^2`, `1/13` first.
const LN_SERIES: [f32; 7] = [
    1.0 / 13.0,
    1.0 / 11.0,
    1.0 / 9.0,
    1.0 / 7.0,
    1.0 / 5.0,
    1.0 / 3.0,
    1.0,
];

/// Per-channel state at the high rate.
#[derive(Debug, Clone, Copy, Default)]
struct ChannelState {
    /// Previous drive-scaled input (ADAA).
    prev: f32,
    /// Previous raw input (dry average).
    prev_dry: f32,
    /// The last [`RING`] high-rate samples before the compensation FIR (its history and the
    /// alignment delay).
    history: [f32; RING],
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
    /// The previous and this block's drive-scaled inputs, and the ADAA output (f32 scratch).
    xs: Vec<f32>,
    wet: Vec<f32>,
    /// Per-input values of the tanh characters' ADAA.
    points: TanhPoints,
    /// The hard clipper's f64 scratch: inputs, antiderivatives, quotients.
    xs64: Vec<f64>,
    fs64: Vec<f64>,
    wet64: Vec<f64>,
    /// FIR history followed by one block (f32 scratch).
    ys: Vec<f32>,
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
            xs: vec![0.0; MAX_BLOCK * 8 + 1],
            wet: vec![0.0; MAX_BLOCK * 8],
            points: TanhPoints::new(MAX_BLOCK * 8 + 1),
            xs64: vec![0.0; MAX_BLOCK * 8 + 1],
            fs64: vec![0.0; MAX_BLOCK * 8 + 1],
            wet64: vec![0.0; MAX_BLOCK * 8],
            ys: vec![0.0; RING + MAX_BLOCK * 8],
            state: [ChannelState::default(); MAX_CHANNELS],
            dc_coefficient: 0.0,
        };
        s.set_sample_rate(sample_rate_hz);
        s
    }

    fn update_dc(&mut self) {
        let rate = self.sample_rate_hz * self.settings.oversampling.factor() as f64;
        self.dc_coefficient = (-2.0 * std::f64::consts::PI * DC_BLOCK_HZ / rate).exp();
    }

    /// The settings in use.
    pub fn settings(&self) -> &SaturatorSettings {
        &self.settings
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
}

impl crate::Block for Saturator {
    type Settings = SaturatorSettings;

    /// Prepares for a new sample rate.
    fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.sample_rate_hz = sample_rate_hz;
        self.update_dc();
    }

    /// Applies settings. Changing the oversampling resets the state (the latency changes).
    fn set_settings(&mut self, settings: &SaturatorSettings) {
        let os_changed = settings.oversampling != self.settings.oversampling;
        self.settings = *settings;
        if os_changed {
            self.update_dc();
            self.reset();
        }
    }

    /// Clears all state.
    fn reset(&mut self) {
        for os in &mut self.oversamplers {
            os.reset();
        }
        self.state = [ChannelState::default(); MAX_CHANNELS];
    }

    /// Latency in samples for the current oversampling.
    fn latency(&self) -> u32 {
        Self::latency_for(&self.oversamplers, self.settings.oversampling)
    }

    /// Saturates a block in place.
    fn process(&mut self, main: &mut [&mut [f32]]) {
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
        // The tanh characters' input shift and the output offset that undoes it.
        let (bias, offset) = match character {
            Character::Tube => (TUBE_BIAS as f32, TUBE_BIAS.tanh() as f32),
            _ => (0.0, 0.0),
        };
        let (drive32, wet_gain, dry_gain) = (
            drive as f32,
            (mix * compensation) as f32,
            (0.5 * (1.0 - mix)) as f32,
        );
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
            // ADAA (1/2) and the FIR (3/2) delay by 2 high-rate samples; pad to `f`.
            let extra = f - 2;
            for block in channel.chunks_mut(MAX_BLOCK) {
                let n = block.len() * f;
                let high = &mut self.high[..n];
                os.upsample(ch, block, high);
                // The work is split into passes over the block so that everything except the
                // DC blocker's recursion vectorises. `xs[0]` holds the previous sample.
                let xs = &mut self.xs[..=n];
                xs[0] = st.prev;
                for (x, &h) in xs[1..].iter_mut().zip(high.iter()) {
                    *x = h * drive32;
                }
                st.prev = xs[n];
                let wet = &mut self.wet[..n];
                if character == Character::HardClip {
                    let xs64 = &mut self.xs64[..=n];
                    for (x64, &x) in xs64.iter_mut().zip(xs.iter()) {
                        *x64 = x as f64;
                    }
                    let wet64 = &mut self.wet64[..n];
                    character.adaa(xs64, &mut self.fs64, wet64);
                    for (w, &w64) in wet.iter_mut().zip(wet64.iter()) {
                        *w = w64 as f32;
                    }
                } else {
                    if bias != 0.0 {
                        for x in xs.iter_mut() {
                            *x += bias;
                        }
                    }
                    tanh_adaa(xs, &mut self.points, wet, offset);
                }
                if dc_block {
                    for w in wet.iter_mut() {
                        *w = dc_blocker(st, *w as f64, dc) as f32;
                    }
                }
                // ys = [history (RING samples) | this block's output before the FIR].
                let ys = &mut self.ys[..RING + n];
                ys[..RING].copy_from_slice(&st.history);
                let mut prev_dry = st.prev_dry;
                for ((y, &w), &h) in ys[RING..].iter_mut().zip(wet.iter()).zip(high.iter()) {
                    *y = w * wet_gain + (h + prev_dry) * dry_gain;
                    prev_dry = h;
                }
                st.prev_dry = prev_dry;
                // [-1/8, 5/8, 5/8, -1/8] from `extra` samples back: undoes the droop of the
                // half-sample average; with it the high-rate delay is `factor` samples, one
                // base sample.
                let base = RING - extra;
                for (i, v) in high.iter_mut().enumerate() {
                    let at = |k: usize| ys[base + i - k];
                    *v = 0.625 * (at(1) + at(2)) - 0.125 * (at(0) + at(3));
                }
                st.history.copy_from_slice(&ys[n..n + RING]);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The tanh ADAA quotient in f64: the difference of libm antiderivatives where that is
    /// well conditioned, else the midpoint expansion `tanh m - d^2/12 tanh m sech^2 m`.
    fn reference_quotient(x0: f32, x1: f32) -> f64 {
        let (x0, x1) = (x0 as f64, x1 as f64);
        let d = x1 - x0;
        if d.abs() > 1e-3 {
            (log_cosh(x1) - log_cosh(x0)) / d
        } else {
            let t = (0.5 * (x0 + x1)).tanh();
            t - d * d / 12.0 * t * (1.0 - t * t)
        }
    }

    #[test]
    fn f32_tanh_adaa_matches_the_f64_quotient() {
        let steps = [
            0.0, 1e-30, 1e-9, 1e-7, 1e-5, 1e-3, 0.01, 0.1, 0.3, 0.49, 0.5, 0.51, 0.9, 1.0, 3.0,
            10.0, 40.0,
        ];
        let mut worst = (0.0f64, 0.0, 0.0);
        let mut x0 = -30.0f32;
        while x0 <= 30.0 {
            for &step in &steps {
                for x1 in [x0 + step, x0 - step] {
                    // The dispatched path (AVX2/FMA on CPUs that have it) and the plain one.
                    let mut wet = [0.0; 2];
                    let mut points = TanhPoints::new(2);
                    tanh_adaa(&[x0, x1], &mut points, &mut wet[..1], 0.0);
                    tanh_adaa_with::<false>(&[x0, x1], &mut points, &mut wet[1..], 0.0);
                    for w in wet {
                        let err = (w as f64 - reference_quotient(x0, x1)).abs();
                        if err > worst.0 {
                            worst = (err, x0, x1);
                        }
                    }
                }
            }
            x0 += 0.0137;
        }
        println!("worst error {:e} at {} -> {}", worst.0, worst.1, worst.2);
        assert!(
            worst.0 < 5e-7,
            "worst error {:e} at {} -> {}",
            worst.0,
            worst.1,
            worst.2
        );
        // A block (vector lanes and remainder) agrees, and does not depend on where it starts.
        let xs: Vec<f32> = (0..1001)
            .map(|i| 8.0 * (i as f32 * 0.01).sin() * (i as f32 * 0.37).cos())
            .collect();
        let mut points = TanhPoints::new(xs.len());
        let mut wet = vec![0.0; xs.len() - 1];
        tanh_adaa(&xs, &mut points, &mut wet, 0.0);
        let mut tail = vec![0.0; xs.len() - 8];
        tanh_adaa(&xs[7..], &mut points, &mut tail, 0.0);
        for (i, &w) in wet.iter().enumerate() {
            let err = (w as f64 - reference_quotient(xs[i], xs[i + 1])).abs();
            assert!(err < 5e-7, "sample {i}: {err:e}");
        }
        assert_eq!(&wet[7..], &tail[..], "block start changes the result");
    }

    #[test]
    fn tanh_points_are_accurate() {
        let mut x = -20.0f32;
        while x <= 20.0 {
            let (e, o) = tanh_point::<false>(x);
            let a = (x as f64).abs();
            let reference = (-2.0 * a.min(9.0)).exp();
            assert!((e as f64 - reference).abs() <= 2e-7 * reference, "e at {x}");
            let tanh = o as f64 / (1.0 + e as f64);
            assert!((tanh - (x as f64).tanh()).abs() < 1.2e-7, "tanh at {x}");
            x += 0.001_37;
        }
    }
}
