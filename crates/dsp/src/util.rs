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
    channels.iter().fold(0.0, |acc, ch| peak_abs(acc, ch))
}

/// The larger of `peak` and the largest absolute value in `x`, for sanitised samples (no
/// NaN). Eight running maxima, so the loop vectorises (a single one is a serial chain).
#[inline]
pub fn peak_abs(peak: f32, x: &[f32]) -> f32 {
    let max = fast_max;
    let mut lanes = [peak; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for (l, &v) in lanes.iter_mut().zip(c) {
            *l = max(*l, v.abs());
        }
    }
    let tail = chunks
        .remainder()
        .iter()
        .fold(peak, |m, &v| max(m, v.abs()));
    lanes.iter().fold(tail, |m, &l| max(m, l))
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

    #[test]
    fn sanitize_replaces_non_finite_and_subnormal() {
        assert_eq!(sanitize(f32::NAN), 0.0);
        assert_eq!(sanitize(f32::INFINITY), 0.0);
        assert_eq!(sanitize(f32::NEG_INFINITY), 0.0);
        assert_eq!(sanitize(1e-39), 0.0);
        assert_eq!(sanitize(-0.25), -0.25);
        assert_eq!(sanitize(f32::MIN_POSITIVE), f32::MIN_POSITIVE);
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
}
