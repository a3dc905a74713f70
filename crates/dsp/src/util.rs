//! Small numeric helpers shared by all processors: decibel conversions and input sanitising.

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
