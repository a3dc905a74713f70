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

    /// [`Character::antiderivative`] of every `x`, into `out`: one loop per character, so
    /// that the tape and tube loops vectorise, compiled for AVX2 and FMA when the CPU has
    /// them (results then differ from the plain path in the last bits).
    pub fn antiderivatives(self, x: &[f64], out: &mut [f64]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX2 and FMA, checked just above.
            unsafe { self.antiderivatives_fma(x, out) };
            return;
        }
        self.antiderivatives_with::<false>(x, out);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn antiderivatives_fma(self, x: &[f64], out: &mut [f64]) {
        self.antiderivatives_with::<true>(x, out);
    }

    #[inline(always)]
    fn antiderivatives_with<const FMA: bool>(self, x: &[f64], out: &mut [f64]) {
        // Tape and tube: LANES values at a time (see `log_cosh_lanes`), the rest one by one
        // with the same arithmetic, so the result does not depend on where a block ends.
        let (bias, slope) = match self {
            Character::Tape => (0.0, 0.0),
            Character::Tube => (TUBE_BIAS, TUBE_BIAS.tanh()),
            Character::HardClip => {
                for (o, &x) in out.iter_mut().zip(x) {
                    *o = self.antiderivative(x);
                }
                return;
            }
        };
        let mut outs = out.chunks_exact_mut(LANES);
        let mut xs = x.chunks_exact(LANES);
        for (o, x) in (&mut outs).zip(&mut xs) {
            let x: &[f64; LANES] = x.try_into().expect("LANES values");
            let shifted = std::array::from_fn(|l| x[l] + bias);
            let f = log_cosh_lanes::<FMA, LANES>(shifted);
            for l in 0..LANES {
                o[l] = f[l] - x[l] * slope;
            }
        }
        for (o, &x) in outs.into_remainder().iter_mut().zip(xs.remainder()) {
            *o = log_cosh_with::<FMA>(x + bias) - x * slope;
        }
    }

    /// First-order ADAA over a block: `xs[0]` and `fs[0]` hold the previous input and its
    /// antiderivative, `xs[1..]` the new inputs. Fills `fs[1..]` with the antiderivatives and
    /// `wet[i]` with the difference quotient between inputs `i` and `i + 1`. Where a step is
    /// below [`ADAA_EPS`] the quotient is ill-conditioned and `wet` holds a placeholder; the
    /// result says whether that happened (the caller then uses the shaper at the midpoint).
    /// Compiled for AVX2 and FMA when the CPU has them.
    fn adaa(self, xs: &[f64], fs: &mut [f64], wet: &mut [f64]) -> bool {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX2 and FMA, checked just above.
            return unsafe { self.adaa_fma(xs, fs, wet) };
        }
        self.adaa_with::<false>(xs, fs, wet)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn adaa_fma(self, xs: &[f64], fs: &mut [f64], wet: &mut [f64]) -> bool {
        self.adaa_with::<true>(xs, fs, wet)
    }

    #[inline(always)]
    fn adaa_with<const FMA: bool>(self, xs: &[f64], fs: &mut [f64], wet: &mut [f64]) -> bool {
        let n = wet.len();
        self.antiderivatives_with::<FMA>(&xs[1..=n], &mut fs[1..=n]);
        let mut small = false;
        let steps = xs[1..=n].iter().zip(&xs[..n]);
        let diffs = fs[1..=n].iter().zip(&fs[..n]);
        for ((w, (&x1, &x0)), (&f1, &f0)) in wet.iter_mut().zip(steps).zip(diffs) {
            let d = x1 - x0;
            let tiny = d.abs() < ADAA_EPS;
            small |= tiny;
            *w = (f1 - f0) / if tiny { 1.0 } else { d };
        }
        small
    }

    /// Slope of the shaper at zero (small-signal gain).
    pub fn small_signal_gain(self) -> f64 {
        match self {
            Character::Tube => 1.0 - TUBE_BIAS.tanh().powi(2),
            _ => 1.0,
        }
    }
}

/// `ln(cosh(x)) = |x| + ln(1 + e^(-2|x|)) - ln 2`, without overflow, in branch-free
/// arithmetic that the compiler vectorises (libm's `exp` and `ln_1p` are calls it cannot).
///
/// Accuracy budget: ADAA divides a difference of two values by the input step, which is at
/// least [`ADAA_EPS`]; an absolute error `e` in the antiderivative becomes at most `2e /
/// ADAA_EPS` in the output. The series are cut where `e` stays below 3e-13 (tested against
/// libm), so the output error stays below 6e-8, under the f32 resolution of a full-scale
/// sample; longer series would cost time for nothing.
#[inline(always)]
fn log_cosh(x: f64) -> f64 {
    log_cosh_with::<false>(x)
}

/// `a * b + c`, fused when `FMA` (only inside functions compiled with the `fma` feature;
/// elsewhere `mul_add` would be a slow library call).
#[inline(always)]
fn madd<const FMA: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FMA { a.mul_add(b, c) } else { a * b + c }
}

/// One value: [`log_cosh_lanes`] with a single lane, so a block's remainder and the carried
/// previous value get exactly the arithmetic of the lanes.
#[inline(always)]
fn log_cosh_with<const FMA: bool>(x: f64) -> f64 {
    log_cosh_lanes::<FMA, 1>([x])[0]
}

/// Values per step of the block antiderivatives: four AVX registers' worth, so four
/// independent chains of multiply-adds overlap (one chain alone waits on its own latency).
const LANES: usize = 16;

/// `ln cosh` (see [`log_cosh`]) on `L` values, each step across all lanes before the next, so
/// independent chains of multiply-adds interleave.
#[inline(always)]
fn log_cosh_lanes<const FMA: bool, const L: usize>(x: [f64; L]) -> [f64; L] {
    let mut a = [0.0; L];
    let mut z = [0.0; L];
    for l in 0..L {
        a[l] = x[l].abs();
        // Past |x| = 20, ln(1 + e^(-2|x|)) < 5e-18: below an ulp of |x|.
        z[l] = -2.0 * a[l].min(20.0);
    }
    let t = exp_nonpositive::<FMA, L>(z);
    let ln = ln_1p_unit::<FMA, L>(t);
    let mut out = [0.0; L];
    for l in 0..L {
        out[l] = a[l] + ln[l] - std::f64::consts::LN_2;
    }
    out
}

/// `e^z` for `-40 <= z <= 0`, on `L` values at once, step by step across the lanes:
/// z = k ln 2 + r with |r| <= ln 2 / 2, e^r by its Taylor series to degree 10 (relative
/// truncation error below 3e-13), 2^k by building the exponent bits. Rounding to k uses the
/// 1.5 * 2^52 trick, which leaves k in the low mantissa bits.
#[inline(always)]
fn exp_nonpositive<const FMA: bool, const L: usize>(z: [f64; L]) -> [f64; L] {
    let mut kk = [0.0; L];
    let mut r = [0.0; L];
    for l in 0..L {
        kk[l] = z[l] * std::f64::consts::LOG2_E + EXP_MAGIC;
        let k = kk[l] - EXP_MAGIC;
        r[l] = (z[l] - k * LN2_HI) - k * LN2_LO;
    }
    let mut p = [EXP_SERIES[0]; L];
    for &c in &EXP_SERIES[1..] {
        for l in 0..L {
            p[l] = madd::<FMA>(p[l], r[l], c);
        }
    }
    for l in 0..L {
        let k_bits = kk[l].to_bits().wrapping_sub(EXP_MAGIC.to_bits());
        p[l] *= f64::from_bits(k_bits.wrapping_add(1023) << 52);
    }
    p
}

/// `ln(1 + t)` for `0 <= t <= 1`, on `L` values at once, step by step across the lanes:
/// `2 atanh(s)` with `s = t / (2 + t) <= 1/3`, summed to `s^23` (truncation below 1.1e-13).
#[inline(always)]
fn ln_1p_unit<const FMA: bool, const L: usize>(t: [f64; L]) -> [f64; L] {
    let mut s = [0.0; L];
    let mut s2 = [0.0; L];
    for l in 0..L {
        s[l] = t[l] / (2.0 + t[l]);
        s2[l] = s[l] * s[l];
    }
    let mut p = [LN_SERIES[0]; L];
    for &c in &LN_SERIES[1..] {
        for l in 0..L {
            p[l] = madd::<FMA>(p[l], s2[l], c);
        }
    }
    for l in 0..L {
        p[l] *= 2.0 * s[l];
    }
    p
}

/// Rounds to an integer in the low mantissa bits: 1.5 * 2^52.
const EXP_MAGIC: f64 = 6_755_399_441_055_744.0;
/// ln 2 split in two (fdlibm's): k * LN2_HI is exact for the k that occur here.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// Taylor coefficients of e^r, highest degree (10) first.
const EXP_SERIES: [f64; 11] = [
    1.0 / 3_628_800.0,
    1.0 / 362_880.0,
    1.0 / 40_320.0,
    1.0 / 5040.0,
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    0.5,
    1.0,
    1.0,
];
/// Coefficients of the atanh series in s^2, 1/23 first.
const LN_SERIES: [f64; 12] = [
    1.0 / 23.0,
    1.0 / 21.0,
    1.0 / 19.0,
    1.0 / 17.0,
    1.0 / 15.0,
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
    prev: f64,
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
    /// Drive-scaled input, its antiderivative, and the ADAA output of one block (f64 scratch).
    xs: Vec<f64>,
    fs: Vec<f64>,
    wet: Vec<f64>,
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
            fs: vec![0.0; MAX_BLOCK * 8 + 1],
            wet: vec![0.0; MAX_BLOCK * 8],
            ys: vec![0.0; RING + MAX_BLOCK * 8],
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
            // ADAA (1/2) and the FIR (3/2) delay by 2 high-rate samples; pad to `f`.
            let extra = f - 2;
            // The antiderivative at the previous sample, carried from one sample to the next
            // (recomputed per block, so a change of character cannot leave it stale).
            let mut prev_f = [0.0];
            character.antiderivatives(&[st.prev], &mut prev_f);
            let mut prev_f = prev_f[0];
            for block in channel.chunks_mut(MAX_BLOCK) {
                let n = block.len() * f;
                let high = &mut self.high[..n];
                os.upsample(ch, block, high);
                // The work is split into passes over the block so that everything except the
                // DC blocker's recursion vectorises. `xs[0]`/`fs[0]` hold the previous sample.
                let xs = &mut self.xs[..=n];
                let fs = &mut self.fs[..=n];
                xs[0] = st.prev;
                fs[0] = prev_f;
                for (x, &h) in xs[1..].iter_mut().zip(high.iter()) {
                    *x = h as f64 * drive;
                }
                let wet = &mut self.wet[..n];
                // Where consecutive inputs (nearly) coincide the quotient is ill-conditioned:
                // use the shaper at the midpoint instead (rare; a scalar fix-up pass).
                // Near every extremum of a low tone some step is tiny, so the fix-up checks
                // LANES samples at a time (vectorised) and goes sample by sample only where
                // one is.
                if character.adaa(xs, fs, wet) {
                    for (c, chunk) in wet.chunks_mut(LANES).enumerate() {
                        let x = &xs[c * LANES..=c * LANES + chunk.len()];
                        let tiny = |k: usize| (x[k + 1] - x[k]).abs() < ADAA_EPS;
                        if (0..chunk.len()).fold(false, |any, k| any | tiny(k)) {
                            for (k, w) in chunk.iter_mut().enumerate() {
                                if tiny(k) {
                                    *w = character.shape(0.5 * (x[k + 1] + x[k]));
                                }
                            }
                        }
                    }
                }
                st.prev = xs[n];
                prev_f = fs[n];
                if dc_block {
                    for w in wet.iter_mut() {
                        *w = dc_blocker(st, *w, dc);
                    }
                }
                // ys = [history (RING samples) | this block's output before the FIR].
                let ys = &mut self.ys[..RING + n];
                ys[..RING].copy_from_slice(&st.history);
                let mut prev_dry = st.prev_dry;
                for ((y, &w), &h) in ys[RING..].iter_mut().zip(wet.iter()).zip(high.iter()) {
                    let dry = 0.5 * (h as f64 + prev_dry as f64);
                    prev_dry = h;
                    *y = (mix * w * compensation + (1.0 - mix) * dry) as f32;
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

    #[test]
    fn fast_log_cosh_matches_libm() {
        let mut worst = 0.0f64;
        let mut x = -40.0f64;
        while x <= 40.0 {
            let a = x.abs();
            let reference = a + (-2.0 * a).exp().ln_1p() - std::f64::consts::LN_2;
            let err = (log_cosh(x) - reference).abs();
            worst = worst.max(err);
            x += 0.000_731;
        }
        assert!(worst < 3e-13, "worst absolute error {worst:e}");
        // The block path (AVX2/FMA on CPUs that have it) agrees too.
        let xs: Vec<f64> = (0..20_000).map(|i| -30.0 + i as f64 * 0.003).collect();
        let mut fs = vec![0.0; xs.len()];
        Character::Tape.antiderivatives(&xs, &mut fs);
        for (&x, &f) in xs.iter().zip(&fs) {
            let a = x.abs();
            let reference = a + (-2.0 * a).exp().ln_1p() - std::f64::consts::LN_2;
            assert!((f - reference).abs() < 3e-13, "{x}");
        }
        assert!(log_cosh(0.0).abs() < 3e-13);
        for z in [-40.0, -20.5, -1.0, -0.3, -1e-9, 0.0] {
            let rel = (exp_nonpositive::<false, 1>([z])[0] - z.exp()).abs() / z.exp();
            assert!(rel < 3e-13, "exp({z}): {rel:e}");
        }
    }
}
