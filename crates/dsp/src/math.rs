//! Small numeric helpers shared by all processors: decibel conversions, input sanitising and
//! the flush-to-zero guard.

/// Converts decibels to a linear amplitude factor. `-inf` dB gives `0.0`.
#[inline]
pub fn db_to_gain(db: f32) -> f32 {
    if db == f32::NEG_INFINITY {
        0.0
    } else {
        10f32.powf(db / 20.0)
    }
}

/// Converts a linear amplitude factor to decibels. Zero (or less) gives `-inf`.
#[inline]
pub fn gain_to_db(gain: f32) -> f32 {
    if gain > 0.0 {
        20.0 * gain.log10()
    } else {
        f32::NEG_INFINITY
    }
}

/// Makes a sample safe to feed into recursive DSP: NaN and ±Inf become silence, and so do
/// subnormals (they would only slow filters down and are far below any audible level).
///
/// Hosts do send NaN/Inf (broken upstream plugins, uninitialised buffers); without this a single
/// bad sample would latch every filter and envelope downstream forever.
///
/// Two float comparisons (NaN fails both), no integer tests or branches: loops over it
/// vectorise.
#[inline(always)]
pub fn sanitize(x: f32) -> f32 {
    let a = x.abs();
    if (f32::MIN_POSITIVE..=f32::MAX).contains(&a) {
        x
    } else {
        0.0
    }
}

/// Applies [`sanitize`] to every sample of a block.
pub fn sanitize_block(channels: &mut [&mut [f32]]) {
    for ch in channels.iter_mut() {
        for x in ch.iter_mut() {
            *x = sanitize(*x);
        }
    }
}

/// `max` without NaN handling, for sanitised values: one `maxss`/`maxps`, so loops over it
/// vectorise (`f32::max` must check for NaN).
#[inline(always)]
pub(crate) fn fast_max(a: f32, b: f32) -> f32 {
    if a > b { a } else { b }
}

/// 1.5 * 2^23: `(y + ROUND_MAGIC) - ROUND_MAGIC` rounds `|y| < 2^22` to the nearest integer
/// without a branch (SSE2 has no vector floor), and the low mantissa bits of `y +
/// ROUND_MAGIC` minus those of `ROUND_MAGIC` are that integer.
pub(crate) const ROUND_MAGIC: f32 = 12_582_912.0;

/// `min` without NaN handling, for sanitised values (see [`fast_max`]).
#[inline(always)]
pub(crate) fn fast_min(a: f32, b: f32) -> f32 {
    if a < b { a } else { b }
}

/// The largest absolute sample value in a block (0.0 for an empty block).
pub fn block_peak(channels: &[&mut [f32]]) -> f32 {
    channels.iter().fold(0.0, |acc, ch| abs_max(acc, ch))
}

/// The largest of `init` and the absolute values of `x`, NaN ignored as `f32::max` ignores it
/// (so to the bit the value of folding `f32::max`), in eight running maxima so the loop
/// vectorises (a single one is a serial chain of comparisons). The one lane-wise peak of the
/// workspace: the chains' block peaks, the true-peak meter's sample peak and the delivery's
/// quantiser scan all use it. `inline(always)`, so an AVX-dispatched caller gets AVX code.
#[inline(always)]
pub fn abs_max(init: f32, x: &[f32]) -> f32 {
    let mut lanes = [init; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for (m, &v) in lanes.iter_mut().zip(c) {
            let a = v.abs();
            // `a > m` is false for NaN: the lane keeps its value.
            *m = if a > *m { a } else { *m };
        }
    }
    let tail = chunks.remainder().iter().fold(init, |m, v| m.max(v.abs()));
    lanes.into_iter().fold(tail, f32::max)
}

/// Milliseconds to samples at a sample rate, unrounded: `ms * 1e-3 * fs`. Every time given in
/// milliseconds becomes samples through this (callers round or clamp as they need).
#[inline]
pub fn ms_to_samples(ms: f64, sample_rate_hz: f64) -> f64 {
    ms * 1e-3 * sample_rate_hz
}

/// The pole `p = exp(-1 / (t fs))` of a one-pole smoother with time constant `ms`: the one
/// convention for one-pole time constants. A step response `y[n] = x + p (y[n-1] - x)` covers
/// `1 - 1/e` of its way in `ms`. Zero for `ms <= 0` (no smoothing). Blocks whose update is
/// written `y += (1 - p) (x - y)` store `1 - p`, computed from this pole.
#[inline]
pub fn one_pole_pole(ms: f64, sample_rate_hz: f64) -> f64 {
    let samples = ms_to_samples(ms, sample_rate_hz);
    if samples <= 0.0 {
        0.0
    } else {
        (-1.0 / samples).exp()
    }
}

/// dB per natural-log unit of amplitude: 20 / ln 10.
pub const DB_PER_NEPER: f32 = 20.0 / std::f32::consts::LN_10;

/// `20 log10(x)` for normal positive `x`, branch-free so that loops over it vectorise:
/// exponent from the bits, `log2` of the mantissa by the atanh series to s^9 (error below
/// 1e-4 dB over -180..80 dB, about the resolution of f32 there).
#[inline(always)]
pub fn fast_db(x: f32) -> f32 {
    let bits = x.to_bits();
    let e = ((bits >> 23) & 0xff) as i32 - 127;
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    // m in [1, 2): centre it on sqrt(2) for a smaller series argument.
    let big = m > std::f32::consts::SQRT_2;
    let m = if big { 0.5 * m } else { m };
    let e = if big { e + 1 } else { e } as f32;
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let ln_m = 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 / 9.0))));
    DB_PER_NEPER * (ln_m + e * std::f32::consts::LN_2)
}

/// `10^(db / 20)` for `db` in about -700..700, branch-free so that loops over it vectorise:
/// `2^y` as `2^k * 2^f` with the Taylor series of `e^(f ln 2)` to degree 7 (relative error
/// about 1e-6, limited by the f32 argument).
#[inline(always)]
pub fn fast_gain(db: f32) -> f32 {
    // Round to nearest (see `ROUND_MAGIC`); |f| <= 1/2.
    let y = (db * (std::f32::consts::LOG2_10 / 20.0)).clamp(-126.0, 126.0);
    let k = (y + ROUND_MAGIC) - ROUND_MAGIC;
    let f = (y - k) * std::f32::consts::LN_2;
    let p = 1.0
        + f * (1.0
            + f * (0.5
                + f * (1.0 / 6.0
                    + f * (1.0 / 24.0 + f * (1.0 / 120.0 + f * (1.0 / 720.0 + f / 5040.0))))));
    p * f32::from_bits((((k as i32) + 127) as u32) << 23)
}

/// Rounds to the nearest integer, halves away from zero: exactly [`f32::round`] (the same
/// result, sign of zero included, for every input) without its library call, which costs a
/// function call per sample on CPUs the build does not assume SSE4.1 of. Below 2^23 the
/// truncation is a single conversion instruction and the fraction `x - trunc(x)` is exact;
/// from 2^23 on every `f32` is already whole (NaN and infinities go to `f32::round`).
#[inline(always)]
pub fn round(x: f32) -> f32 {
    if x.abs() < 8_388_608.0 {
        let t = x as i32 as f32;
        let d = x - t;
        // Selects, not branches: with dithered audio the direction is a coin toss. A whole
        // number's sign is the input's (which also gives -0.0 for -0.5 < x <= -0.0).
        let up = if d >= 0.5 { 1.0 } else { 0.0 };
        let down = if d <= -0.5 { 1.0 } else { 0.0 };
        (t + up - down).copysign(x)
    } else {
        x.round()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_round_trip() {
        for db in [-60.0f32, -6.0, 0.0, 6.0, 24.0] {
            assert!((gain_to_db(db_to_gain(db)) - db).abs() < 1e-4);
        }
        assert_eq!(db_to_gain(0.0), 1.0);
        assert!((db_to_gain(-6.0206) - 0.5).abs() < 1e-5);
        assert_eq!(db_to_gain(f32::NEG_INFINITY), 0.0);
        assert_eq!(gain_to_db(0.0), f32::NEG_INFINITY);
    }

    /// The lane-wise maximum is `f32::max` folded: NaN anywhere (lane, tail, first) ignored.
    #[test]
    fn abs_max_is_the_folded_max() {
        let base: Vec<f32> = (0..37)
            .map(|i| ((i * 37 % 23) as f32 - 11.0) * 0.1)
            .collect();
        for nan_at in [
            None,
            Some(0),
            Some(5),
            Some(8),
            Some(21),
            Some(33),
            Some(36),
        ] {
            for len in [0usize, 3, 8, 16, 37] {
                let mut x = base[..len].to_vec();
                if let Some(i) = nan_at.filter(|&i| i < len) {
                    x[i] = f32::NAN;
                }
                for init in [0.0f32, 0.5, 2.0] {
                    let folded = x.iter().fold(init, |m, v| m.max(v.abs()));
                    assert_eq!(
                        abs_max(init, &x).to_bits(),
                        folded.to_bits(),
                        "{x:?} {init}"
                    );
                }
            }
        }
    }

    #[test]
    fn sanitize_replaces_non_finite_and_subnormal() {
        assert_eq!(sanitize(f32::NAN), 0.0);
        assert_eq!(sanitize(f32::INFINITY), 0.0);
        assert_eq!(sanitize(f32::NEG_INFINITY), 0.0);
        assert_eq!(sanitize(1e-39), 0.0);
        assert_eq!(sanitize(-0.25), -0.25);
        assert_eq!(sanitize(f32::MIN_POSITIVE), f32::MIN_POSITIVE);
    }

    #[test]
    fn fast_db_conversions_match_libm() {
        let mut worst_db = 0.0f32;
        let mut x = 1e-9f32;
        while x < 1e4 {
            worst_db = worst_db.max((fast_db(x) - 20.0 * x.log10()).abs());
            x *= 1.0007;
        }
        // f32 itself resolves -180 dB to 1.5e-5 dB.
        assert!(worst_db < 1e-4, "fast_db: {worst_db} dB");
        let mut worst_rel = 0.0f32;
        let mut db = -150.0f32;
        while db < 150.0 {
            let exact = 10f32.powf(db / 20.0);
            worst_rel = worst_rel.max((fast_gain(db) - exact).abs() / exact);
            db += 0.0137;
        }
        // Past about 100 dB the f32 exponent argument itself limits it to a few 1e-6.
        assert!(worst_rel < 3e-6, "fast_gain: {worst_rel}");
        assert_eq!(fast_gain(0.0), 1.0);
    }
}

/// Flush-to-zero and denormals-are-zero for as long as it lives, restored when it drops.
///
/// Subnormal floats (below 1.18e-38) take a slow microcode path on most CPUs: a filter or
/// envelope tail decaying through them can cost tens of times the normal time per sample.
/// While a guard is alive, subnormal results are flushed to zero (FTZ) and subnormal inputs read
/// as zero (DAZ): x86-64 MXCSR bits 15 and 6 (Intel SDM vol. 1, 10.2.3), AArch64 FPCR.FZ
/// (bit 24, Arm ARM D17.2.48), which covers both on that architecture. On other targets it does
/// nothing. The previous control register value is restored on drop, so nesting is harmless and
/// the host's thread state is left as it was.
///
/// Every plugin `process` call and every [`crate::PluginChain`] block runs under one, so the
/// plugins and the CLI compute identical samples.
#[must_use = "the mode is restored when the guard drops"]
pub struct FlushDenormals {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    previous: u64,
    /// Bound to the thread whose control register it changed.
    _not_send: std::marker::PhantomData<*const ()>,
}

impl FlushDenormals {
    /// MXCSR flush-to-zero (bit 15) and denormals-are-zero (bit 6).
    #[cfg(target_arch = "x86_64")]
    const BITS: u64 = (1 << 15) | (1 << 6);
    /// FPCR flush-to-zero (bit 24; with it, subnormal inputs are treated as zero too).
    #[cfg(target_arch = "aarch64")]
    const BITS: u64 = 1 << 24;

    /// Sets FTZ and DAZ on the current thread until the guard drops.
    #[inline]
    pub fn new() -> Self {
        #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
        {
            let previous = read_fp_control();
            if previous & Self::BITS != Self::BITS {
                write_fp_control(previous | Self::BITS);
            }
            Self {
                previous,
                _not_send: std::marker::PhantomData,
            }
        }
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        Self {
            _not_send: std::marker::PhantomData,
        }
    }
}

impl Default for FlushDenormals {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for FlushDenormals {
    #[inline]
    fn drop(&mut self) {
        #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
        if self.previous & Self::BITS != Self::BITS {
            write_fp_control(self.previous);
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn read_fp_control() -> u64 {
    let mut mxcsr: u32 = 0;
    // SAFETY: stmxcsr stores the 32-bit MXCSR to the given, valid address.
    unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut mxcsr, options(nostack)) };
    mxcsr as u64
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn write_fp_control(value: u64) {
    let mxcsr = value as u32;
    // SAFETY: ldmxcsr loads MXCSR from a valid address; only rounding/exception mode bits that
    // were read from MXCSR itself, plus FTZ and DAZ, are written.
    unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &mxcsr, options(nostack, readonly)) };
}

#[cfg(target_arch = "aarch64")]
#[inline]
fn read_fp_control() -> u64 {
    let fpcr: u64;
    // SAFETY: reading FPCR has no side effects.
    unsafe { std::arch::asm!("mrs {}, fpcr", out(reg) fpcr, options(nomem, nostack)) };
    fpcr
}

#[cfg(target_arch = "aarch64")]
#[inline]
fn write_fp_control(value: u64) {
    // SAFETY: writes back a value read from FPCR with only the FZ bit changed.
    unsafe { std::arch::asm!("msr fpcr, {}", in(reg) value, options(nomem, nostack)) };
}

#[cfg(all(test, any(target_arch = "x86_64", target_arch = "aarch64")))]
mod denormal_tests {
    use super::FlushDenormals;

    /// A subnormal operand reads as zero and a subnormal result flushes to zero while the guard
    /// lives; afterwards the thread computes subnormals again.
    #[test]
    fn guard_flushes_subnormals_and_restores_the_mode() {
        let tiny = std::hint::black_box(1e-39f32);
        assert!(tiny.is_subnormal());
        let half = |x: f32| std::hint::black_box(x) * std::hint::black_box(0.5);
        assert!(half(tiny).is_subnormal());
        {
            let _guard = FlushDenormals::new();
            assert_eq!(half(tiny), 0.0, "DAZ/FTZ not in effect");
            assert_eq!(half(1.5e-38), 0.0, "FTZ not in effect");
            {
                let _nested = FlushDenormals::new();
                assert_eq!(half(tiny), 0.0);
            }
            assert_eq!(half(tiny), 0.0, "a nested guard ended the outer one");
        }
        assert!(
            half(tiny).is_subnormal(),
            "the previous mode was not restored"
        );
    }

    #[test]
    fn round_is_f32_round_for_every_kind_of_input() {
        let mut special = vec![
            0.0f32,
            -0.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            -2.5,
            0.49999997,
            -0.49999997,
            8_388_607.5,
            -8_388_607.5,
            8_388_608.0,
            16_777_217.0,
            1e30,
            -1e30,
            f32::MIN_POSITIVE,
            -f32::MIN_POSITIVE,
            1e-45,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::MAX,
            f32::MIN,
        ];
        // Every half-integer and its neighbours over a range that covers 16- and 24-bit steps.
        for k in -70_000i32..70_000 {
            let h = k as f32 + 0.5;
            special.extend([
                h,
                f32::from_bits(h.to_bits() + 1),
                f32::from_bits(h.to_bits() - 1),
            ]);
        }
        // And a spread of bit patterns over every exponent.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2_000_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            special.push(f32::from_bits(state as u32));
        }
        for x in special {
            let (a, b) = (super::round(x), x.round());
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "round({x:e}) = {a:e}, f32::round = {b:e}"
            );
        }
    }
}
