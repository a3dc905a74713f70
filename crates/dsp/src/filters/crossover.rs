//! Linkwitz-Riley crossovers: complementary low/high splits whose bands sum to an allpass, so
//! band-wise processing that changes nothing gives back the input's magnitude exactly.
//!
//! A Linkwitz-Riley crossover of order 2n squares an n-th order Butterworth low- and high-pass
//! (S. Linkwitz, "Active crossover networks for noncoincident drivers", JAES 24(1), 1976). For
//! even n the two bands sum to the allpass `D(-s)/D(s)`, D the Butterworth denominator
//! (S. Lipshitz and J. Vanderkooy, "A family of linear-phase crossover networks of high slope
//! derived by time delay", JAES 31(1), 1983, section 1). The bilinear transform keeps that
//! identity, and the digital mirror of each second-order section is its denominator with the
//! coefficients reversed. So one split costs the high-pass sections and one allpass: the low
//! band is `allpass - high`, exactly what the two low-passes would give.
//!
//! - [`Split`]: one crossover of `N` distinct Butterworth sections: [`Lr4`] (24 dB/oct, one
//!   section) or [`Lr8`] (48 dB/oct, two). Its state types keep the running filters; the
//!   section count is a constant, so the sample loops unroll.
//! - [`bilinear_section`], [`mirror_allpass`]: the sections it is built from (also the
//!   de-esser's split).

use crate::filters::design::corner;
use crate::primitives::biquad::{BiquadCoefficients, tick_pair, tick_state};

/// A second-order Butterworth-family low- or high-pass with quality `q`, by the bilinear
/// transform with the corner prewarped (RBJ cookbook). `q = 1/sqrt 2` is the Butterworth
/// second-order section; 0.5412 and 1.3066 are the two sections of the fourth order.
pub fn bilinear_section(
    highpass: bool,
    freq_hz: f64,
    q: f64,
    sample_rate_hz: f64,
) -> BiquadCoefficients {
    bilinear_section_at(highpass, corner(freq_hz, sample_rate_hz), q)
}

/// [`bilinear_section`] at the digital corner `w0` (radians per sample).
pub fn bilinear_section_at(highpass: bool, w0: f64, q: f64) -> BiquadCoefficients {
    let alpha = w0.sin() / (2.0 * q);
    let cos = w0.cos();
    let a0 = 1.0 + alpha;
    let (b0, b1) = if highpass {
        ((1.0 + cos) / 2.0, -(1.0 + cos))
    } else {
        ((1.0 - cos) / 2.0, 1.0 - cos)
    };
    BiquadCoefficients {
        b0: b0 / a0,
        b1: b1 / a0,
        b2: b0 / a0,
        a1: -2.0 * cos / a0,
        a2: (1.0 - alpha) / a0,
    }
}

/// The allpass `D~(z)/D(z)` of a section's denominator D: its mirror (coefficients reversed)
/// over itself. For bilinear Butterworth sections, `LP^2 + HP^2` of one section equals it.
pub fn mirror_allpass(section: &BiquadCoefficients) -> BiquadCoefficients {
    BiquadCoefficients {
        b0: section.a2,
        b1: section.a1,
        b2: 1.0,
        a1: section.a1,
        a2: section.a2,
    }
}

/// The Qs of the Butterworth sections of order `2 n`: `1 / (2 cos((2k + 1) pi / (4 n)))`.
fn butterworth_qs<const N: usize>() -> [f64; N] {
    std::array::from_fn(|k| {
        let angle = (2 * k + 1) as f64 * std::f64::consts::PI / (4 * N) as f64;
        1.0 / (2.0 * angle.cos())
    })
}

/// One crossover: its `N` Butterworth high-pass sections (the high band runs through each
/// twice) and their mirror allpasses (what the two bands sum to).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Split<const N: usize> {
    high: [BiquadCoefficients; N],
    allpass: [BiquadCoefficients; N],
}

/// Linkwitz-Riley 4th order: 24 dB/oct, -6 dB at the corner.
pub type Lr4 = Split<1>;
/// Linkwitz-Riley 8th order: 48 dB/oct, -6 dB at the corner.
pub type Lr8 = Split<2>;

/// The running state of one [`Split`] on one signal: what [`Split::split`] and
/// [`Split::high_band`] keep (each section's two high-pass passes in `paired`, the allpass in
/// `single`).
#[derive(Debug, Clone, Copy)]
pub struct SplitState<const N: usize> {
    paired: [[[f64; 2]; 2]; N],
    single: [[f64; 2]; N],
}

impl<const N: usize> Default for SplitState<N> {
    fn default() -> Self {
        Self {
            paired: [[[0.0; 2]; 2]; N],
            single: [[0.0; 2]; N],
        }
    }
}

/// The running state of one [`Split`] on two channels side by side ([`Split::split_pair`]):
/// each section's two high-pass passes and the allpass, both channels in one register.
#[derive(Debug, Clone, Copy)]
pub struct SplitPairState<const N: usize> {
    high: [[[[f64; 2]; 2]; 2]; N],
    allpass: [[[f64; 2]; 2]; N],
}

impl<const N: usize> Default for SplitPairState<N> {
    fn default() -> Self {
        Self {
            high: [[[[0.0; 2]; 2]; 2]; N],
            allpass: [[[0.0; 2]; 2]; N],
        }
    }
}

impl<const N: usize> Split<N> {
    /// A crossover at `freq_hz` for `sample_rate_hz`.
    pub fn new(freq_hz: f64, sample_rate_hz: f64) -> Self {
        let qs = butterworth_qs::<N>();
        let high = qs.map(|q| bilinear_section(true, freq_hz, q, sample_rate_hz));
        Self {
            high,
            allpass: high.map(|hp| mirror_allpass(&hp)),
        }
    }

    /// The high band alone of one sample.
    #[inline(always)]
    pub fn high_band(&self, state: &mut SplitState<N>, x: f64) -> f64 {
        let mut high = x;
        for pass in 0..2 {
            for k in 0..N {
                high = tick_state(&self.high[k], &mut state.paired[k][pass], high);
            }
        }
        high
    }

    /// Splits one sample: `(low, high)`, which sum to [`Split::allpass`] of `x`.
    #[inline(always)]
    pub fn split(&self, state: &mut SplitState<N>, x: f64) -> (f64, f64) {
        let high = self.high_band(state, x);
        let mut all = x;
        for k in 0..N {
            all = tick_state(&self.allpass[k], &mut state.single[k], all);
        }
        (all - high, high)
    }

    /// [`Split::split`] of two channels side by side (one SIMD register per section; the same
    /// arithmetic per channel): `(low, high)`.
    #[inline(always)]
    pub fn split_pair(&self, state: &mut SplitPairState<N>, x: [f64; 2]) -> ([f64; 2], [f64; 2]) {
        let mut high = x;
        for pass in 0..2 {
            for (c, st) in self.high.iter().zip(state.high.iter_mut()) {
                high = tick_pair(c, &mut st[pass], high);
            }
        }
        let mut all = x;
        for (c, st) in self.allpass.iter().zip(state.allpass.iter_mut()) {
            all = tick_pair(c, st, all);
        }
        ([all[0] - high[0], all[1] - high[1]], high)
    }

    /// [`Split::allpass`] of two channels side by side.
    #[inline(always)]
    pub fn allpass_two(&self, state: &mut [[[f64; 2]; 2]; N], x: [f64; 2]) -> [f64; 2] {
        let mut y = x;
        for (c, st) in self.allpass.iter().zip(state.iter_mut()) {
            y = tick_pair(c, st, y);
        }
        y
    }

    /// The allpass the two bands sum to, alone (allpass compensation of a band that does not
    /// pass this split); `state` is this use's own.
    #[inline(always)]
    pub fn allpass(&self, state: &mut [[f64; 2]; N], x: f64) -> f64 {
        let mut y = x;
        for (c, st) in self.allpass.iter().zip(state.iter_mut()) {
            y = tick_state(c, st, y);
        }
        y
    }

    /// Section `k` of the high band (it runs twice in series: `HP_k^2`).
    pub fn high_section(&self, k: usize) -> &BiquadCoefficients {
        &self.high[k]
    }

    /// Section `k` of the allpass the two bands sum to (its mirror).
    pub fn allpass_section(&self, k: usize) -> &BiquadCoefficients {
        &self.allpass[k]
    }

    /// The analytic complex responses `(low, high)` at `freq_hz`, as (re, im) pairs.
    pub fn response(&self, freq_hz: f64, sample_rate_hz: f64) -> ((f64, f64), (f64, f64)) {
        let mul = |a: (f64, f64), b: (f64, f64)| (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0);
        let mut high = (1.0, 0.0);
        let mut all = (1.0, 0.0);
        for k in 0..N {
            let h = self.high[k].response(freq_hz, sample_rate_hz);
            high = mul(mul(high, h), h);
            all = mul(all, self.allpass[k].response(freq_hz, sample_rate_hz));
        }
        ((all.0 - high.0, all.1 - high.1), high)
    }

    /// The analytic response of [`Split::allpass`] at `freq_hz`, (re, im).
    pub fn allpass_response(&self, freq_hz: f64, sample_rate_hz: f64) -> (f64, f64) {
        let (low, high) = self.response(freq_hz, sample_rate_hz);
        (low.0 + high.0, low.1 + high.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn butterworth_sections_have_the_textbook_qs() {
        assert!((butterworth_qs::<1>()[0] - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12);
        let [a, b] = butterworth_qs::<2>();
        assert!((a - 0.541_196_1).abs() < 1e-6 && (b - 1.306_563).abs() < 1e-6);
    }

    #[test]
    fn bands_sum_to_a_flat_allpass_and_cross_at_minus_6_db() {
        let sr = 48_000.0;
        for corner in [40.0, 1000.0, 16_000.0] {
            let (lr4, lr8) = (Lr4::new(corner, sr), Lr8::new(corner, sr));
            for f in [20.0, 100.0, corner, 5000.0, 20_000.0] {
                for (re, im) in [lr4.allpass_response(f, sr), lr8.allpass_response(f, sr)] {
                    assert!(
                        (re * re + im * im - 1.0).abs() < 1e-9,
                        "{corner} Hz at {f} Hz"
                    );
                }
            }
            let db = |(re, im): (f64, f64)| 10.0 * (re * re + im * im).log10();
            let (low, high) = lr8.response(corner, sr);
            assert!((db(low) + 6.02).abs() < 0.01 && (db(high) + 6.02).abs() < 0.01);
        }
    }
}
