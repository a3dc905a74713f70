//! Filter design that matches the analog prototype up to Nyquist (no "cramping").
//!
//! The bilinear transform squeezes an analog response into the digital band, so a bell at
//! 16 kHz comes out narrow and a high shelf flattens near Nyquist. Lathe designs every
//! second-order section by **magnitude matching** after Martin Vicanek, "Matched Second Order
//! Digital Filters" (2016):
//!
//! - the poles are the analog poles mapped by impulse invariance, `z = e^{sT}`, which keeps
//!   their frequency and damping exactly;
//! - the zeros are chosen so that the digital magnitude equals the analog prototype's at DC,
//!   at Nyquist and at one frequency in between. With `phi1 = sin^2(w/2)`, `phi0 = 1 - phi1`,
//!   `phi2 = 4 phi0 phi1`, the squared magnitude of a second-order polynomial is linear in
//!   three numbers (`A0 phi0 + A1 phi1 + A2 phi2`), so three matching points give a linear
//!   system for the numerator, and the minimum-phase numerator follows in closed form.
//!
//! Sections whose poles would lie above the prototype's corner (a low-shelf cut, a high-shelf
//! boost) are designed as their inverse and inverted (the prototypes are reciprocal in gain),
//! so impulse invariance is only ever applied to poles below the corner frequency.
//! First-order sections are matched the same way at DC and Nyquist.
//!
//! The analog prototypes are the usual ones (Butterworth cascades for the pass filters; the
//! RBJ "Audio EQ Cookbook" shelf and peaking prototypes, which are exact inverses of each other
//! for opposite gains). Every section reports both its digital response (what it does) and
//! its analog prototype's (what it aims for).

use crate::primitives::biquad::BiquadCoefficients;
use std::f64::consts::PI;

/// Highest corner frequency a design accepts, as a fraction of the sample rate. Higher
/// settings are clamped (a 20 kHz band at 32 kHz sits at 14.4 kHz).
pub const MAX_CORNER_FRACTION: f64 = 0.45;

/// An analog transfer function `(b2 s^2 + b1 s + b0) / (a2 s^2 + a1 s + a0)` with `s`
/// normalised to the corner frequency (`s = j f / f0`). First-order sections have
/// `a2 = b2 = 0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnalogSection {
    /// Numerator coefficients `[b0, b1, b2]` (constant, s, s^2).
    pub b: [f64; 3],
    /// Denominator coefficients `[a0, a1, a2]`.
    pub a: [f64; 3],
}

impl AnalogSection {
    /// Squared magnitude at normalised frequency `u = f / f0`.
    pub fn magnitude_squared(&self, u: f64) -> f64 {
        let u2 = u * u;
        let num = (self.b[0] - self.b[2] * u2).powi(2) + (self.b[1] * u).powi(2);
        let den = (self.a[0] - self.a[2] * u2).powi(2) + (self.a[1] * u).powi(2);
        num / den
    }

    /// The reciprocal transfer function (numerator and denominator swapped).
    pub fn inverse(&self) -> Self {
        Self {
            b: self.a,
            a: self.b,
        }
    }
}

/// Second-order low-pass `1 / (s^2 + s/Q + 1)`.
pub fn analog_lowpass(q: f64) -> AnalogSection {
    AnalogSection {
        b: [1.0, 0.0, 0.0],
        a: [1.0, 1.0 / q, 1.0],
    }
}

/// Second-order high-pass `s^2 / (s^2 + s/Q + 1)`.
pub fn analog_highpass(q: f64) -> AnalogSection {
    AnalogSection {
        b: [0.0, 0.0, 1.0],
        a: [1.0, 1.0 / q, 1.0],
    }
}

/// First-order low-pass `1 / (s + 1)`.
pub fn analog_lowpass1() -> AnalogSection {
    AnalogSection {
        b: [1.0, 0.0, 0.0],
        a: [1.0, 1.0, 0.0],
    }
}

/// First-order high-pass `s / (s + 1)`.
pub fn analog_highpass1() -> AnalogSection {
    AnalogSection {
        b: [0.0, 1.0, 0.0],
        a: [1.0, 1.0, 0.0],
    }
}

/// Peaking (bell) prototype `(s^2 + s A/Q + 1) / (s^2 + s/(A Q) + 1)`, `A = 10^(gain/40)`.
pub fn analog_bell(gain_db: f64, q: f64) -> AnalogSection {
    let a = 10f64.powf(gain_db / 40.0);
    AnalogSection {
        b: [1.0, a / q, 1.0],
        a: [1.0, 1.0 / (a * q), 1.0],
    }
}

/// Low shelf `A (s^2 + s sqrt(A)/Q + A) / (A s^2 + s sqrt(A)/Q + 1)`: gain `A^2` at DC,
/// unity at high frequencies, half the gain (in dB) at the corner.
pub fn analog_low_shelf(gain_db: f64, q: f64) -> AnalogSection {
    let a = 10f64.powf(gain_db / 40.0);
    let k = a.sqrt() / q;
    AnalogSection {
        b: [a * a, a * k, a],
        a: [1.0, k, a],
    }
}

/// High shelf `A (A s^2 + s sqrt(A)/Q + 1) / (s^2 + s sqrt(A)/Q + A)`: unity at DC, gain
/// `A^2` at high frequencies.
pub fn analog_high_shelf(gain_db: f64, q: f64) -> AnalogSection {
    let a = 10f64.powf(gain_db / 40.0);
    let k = a.sqrt() / q;
    AnalogSection {
        b: [a, a * k, a * a],
        a: [a, k, 1.0],
    }
}

/// Squared magnitude of a digital second-order polynomial `c0 + c1 z^-1 + c2 z^-2` in
/// Vicanek's basis: returns `(P0, P1, P2)` with `|C|^2 = P0 phi0 + P1 phi1 + P2 phi2`.
fn basis(c0: f64, c1: f64, c2: f64) -> (f64, f64, f64) {
    (
        (c0 + c1 + c2).powi(2),
        (c0 - c1 + c2).powi(2),
        -4.0 * c0 * c2,
    )
}

/// `(phi0, phi1, phi2)` at digital frequency `w` (radians per sample).
fn phis(w: f64) -> (f64, f64, f64) {
    let p1 = (w / 2.0).sin().powi(2);
    let p0 = 1.0 - p1;
    (p0, p1, 4.0 * p0 * p1)
}

/// Corners below this (radians per sample, fs/32) use the plain three-point match.
const LOW_CORNER: f64 = PI / 16.0;

/// Matches a second-order analog section with corner `w0` (radians per sample). The poles are
/// impulse invariant; the numerator matches the prototype's magnitude at DC, Nyquist and `wm`.
fn match_second_order(proto: &AnalogSection, w0: f64, wm: f64, w_top: f64) -> BiquadCoefficients {
    // Denominator: s^2 + (a1/a2) s + a0/a2 in normalised s; natural frequency and damping.
    let wn_norm = (proto.a[0] / proto.a[2]).sqrt();
    let zeta = proto.a[1] / proto.a[2] / (2.0 * wn_norm);
    let wp = wn_norm * w0;
    let decay = (-zeta * wp).exp();
    let a1 = if zeta < 1.0 {
        -2.0 * decay * (wp * (1.0 - zeta * zeta).sqrt()).cos()
    } else {
        -2.0 * decay * (wp * (zeta * zeta - 1.0).sqrt()).cosh()
    };
    let a2 = decay * decay;
    let (big_a0, big_a1, big_a2) = basis(1.0, a1, a2);

    let h2 = |w: f64| proto.magnitude_squared(w / w0);
    let target_at = |w: f64| {
        let (p0, p1, p2) = phis(w);
        h2(w) * (big_a0 * p0 + big_a1 * p1 + big_a2 * p2)
    };
    let three_point = || {
        let b0_sq = h2(0.0) * big_a0;
        let b1_sq = h2(PI) * big_a1;
        let (p0, p1, p2) = phis(wm);
        let b2_sq = if p2 > 0.0 {
            (target_at(wm) - b0_sq * p0 - b1_sq * p1) / p2
        } else {
            0.0
        };
        (b0_sq, b1_sq, b2_sq)
    };
    if proto.b[0] == 0.0 && proto.b[1] == 0.0 {
        return highpass_numerator(proto, w0, w_top, a1, a2);
    }
    let matched = three_point();
    if w0 < LOW_CORNER {
        // Far below Nyquist the three-point match is already exact to a few hundredths of
        // a dB; the fit is only worth its cost where cramping would show.
        return numerator(matched.0, matched.1, matched.2, a1, a2);
    }
    let b0_exact = h2(0.0) * big_a0;
    let fitted = least_squares(&target_at, w0, w_top, b0_exact).map(|(b1, b2)| (b0_exact, b1, b2));
    let candidates = [Some(matched), fitted];
    let mut best = (f64::INFINITY, BiquadCoefficients::IDENTITY);
    for (b0_sq, b1_sq, b2_sq) in candidates.into_iter().flatten() {
        let c = numerator(b0_sq, b1_sq, b2_sq, a1, a2);
        let err = worst_error_db(&c, proto, w0, w_top);
        if err < best.0 {
            best = (err, c);
        }
    }
    best.1
}

/// A high-pass keeps its double zero at DC: the numerator is `k (1 - z^-1)^2`, with `k` chosen
/// to halve the largest dB error on the grid in both directions (minimax for one gain).
fn highpass_numerator(
    proto: &AnalogSection,
    w0: f64,
    w_top: f64,
    a1: f64,
    a2: f64,
) -> BiquadCoefficients {
    let unit = BiquadCoefficients {
        b0: 1.0,
        b1: -2.0,
        b2: 1.0,
        a1,
        a2,
    };
    const POINTS: usize = 32;
    let lo = (w0 / 4.0).ln();
    let hi = w_top.max(w0 * 1.01).ln();
    let (mut lo_ratio, mut hi_ratio) = (f64::INFINITY, 0.0f64);
    for i in 0..POINTS {
        let w = (lo + (hi - lo) * i as f64 / (POINTS - 1) as f64).exp();
        let ratio = proto.magnitude_squared(w / w0) / unit.magnitude_squared_at(w);
        if ratio.is_finite() && ratio > 0.0 {
            lo_ratio = lo_ratio.min(ratio);
            hi_ratio = hi_ratio.max(ratio);
        }
    }
    let k = if hi_ratio > 0.0 {
        (lo_ratio * hi_ratio).sqrt().sqrt()
    } else {
        1.0
    };
    BiquadCoefficients {
        b0: k,
        b1: -2.0 * k,
        b2: k,
        a1,
        a2,
    }
}

/// The largest difference in dB between `c` and the prototype on a grid from four octaves
/// below the corner to `w_top`, plus a point near DC.
fn worst_error_db(c: &BiquadCoefficients, proto: &AnalogSection, w0: f64, w_top: f64) -> f64 {
    const POINTS: usize = 32;
    let lo = (w0 / 16.0).min(0.5).ln();
    let hi = w_top.ln();
    let mut worst = 0.0f64;
    for i in 0..=POINTS {
        let w = if i == POINTS {
            w0 / 64.0
        } else {
            (lo + (hi - lo) * i as f64 / (POINTS - 1) as f64).exp()
        };
        let target = proto.magnitude_squared(w / w0);
        if target > 1e-4 {
            let got = c.magnitude_squared_at(w);
            let e = 10.0 * (got / target).log10();
            worst = worst.max(if e.is_finite() {
                e.abs()
            } else {
                f64::INFINITY
            });
        }
    }
    worst
}

/// The minimum-phase numerator for `(B0, B1, B2)` over the given poles.
fn numerator(b0_sq: f64, b1_sq: f64, b2_sq: f64, a1: f64, a2: f64) -> BiquadCoefficients {
    let r0 = b0_sq.max(0.0).sqrt();
    let r1 = b1_sq.max(0.0).sqrt();
    let w = 0.5 * (r0 + r1);
    let b0 = 0.5 * (w + (w * w + b2_sq).max(0.0).sqrt());
    let b1 = 0.5 * (r0 - r1);
    let b2 = if b0 != 0.0 { -b2_sq / (4.0 * b0) } else { 0.0 };
    BiquadCoefficients { b0, b1, b2, a1, a2 }
}

/// Fits the numerator's `(B1, B2)` for a given exact DC term `B0` to the target squared
/// magnitudes on points spread from four octaves below the corner up to `w_top`,
/// minimising the largest relative error (proportional to the error in dB) by Lawson's
/// iteratively reweighted least squares. Returns `None` when no fit is realisable.
fn least_squares(
    target_at: &impl Fn(f64) -> f64,
    w0: f64,
    w_top: f64,
    b0_sq: f64,
) -> Option<(f64, f64)> {
    const POINTS: usize = 24;
    const ITERATIONS: usize = 5;
    let lo = (w0 / 16.0).min(0.5).ln();
    let hi = w_top.ln();
    // Each point: relative error = (b0_sq p0 + B1 p1 + B2 p2) / t - 1 = r1 B1 + r2 B2 - c.
    let mut rows = [[0.0f64; 3]; POINTS];
    let mut count = 0;
    for i in 0..POINTS {
        let w = (lo + (hi - lo) * i as f64 / (POINTS - 1) as f64).exp();
        let t = target_at(w);
        if t > 1e-30 && t.is_finite() {
            let (p0, p1, p2) = phis(w);
            rows[count] = [p1 / t, p2 / t, 1.0 - b0_sq * p0 / t];
            count += 1;
        }
    }
    let rows = &rows[..count];
    let mut weights = [1.0f64; POINTS];
    let mut best: Option<((f64, f64), f64)> = None;
    for _ in 0..ITERATIONS {
        let (mut m11, mut m12, mut m22, mut v1, mut v2) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (row, &wt) in rows.iter().zip(&weights) {
            m11 += wt * row[0] * row[0];
            m12 += wt * row[0] * row[1];
            m22 += wt * row[1] * row[1];
            v1 += wt * row[0] * row[2];
            v2 += wt * row[1] * row[2];
        }
        let det = m11 * m22 - m12 * m12;
        if det.abs() <= 1e-300 || !det.is_finite() {
            break;
        }
        let b1_sq = (v1 * m22 - v2 * m12) / det;
        let b2_sq = (m11 * v2 - m12 * v1) / det;
        let w = 0.5 * (b0_sq.max(0.0).sqrt() + b1_sq.max(0.0).sqrt());
        let feasible = b1_sq >= 0.0 && w * w + b2_sq >= 0.0 && b2_sq.is_finite();
        let mut worst = 0.0f64;
        let mut total = 0.0;
        for (row, wt) in rows.iter().zip(weights.iter_mut()) {
            let e = (row[0] * b1_sq + row[1] * b2_sq - row[2]).abs();
            worst = worst.max(e);
            *wt *= e + 1e-12;
            total += *wt;
        }
        if total.is_nan() || total <= 0.0 {
            break;
        }
        for wt in weights.iter_mut().take(rows.len()) {
            *wt /= total;
        }
        if feasible && best.is_none_or(|(_, e)| worst < e) {
            best = Some(((b1_sq, b2_sq), worst));
        }
    }
    best.map(|(b, _)| b)
}

/// Matches a first-order low- or high-pass with corner `w0` after Vicanek, "Matched One-Pole
/// Digital Shelving Filters" (2019): the squared magnitude `(1 + beta phi) / (1 + alpha phi)`
/// (`phi = 1 - cos w`) matches the prototype's low-frequency behaviour exactly and its
/// magnitude at `wm`; then it is factored into a minimum-phase first-order section.
fn match_first_order(highpass: bool, w0: f64, wm: f64) -> BiquadCoefficients {
    let phi_m = 1.0 - wm.cos();
    let alpha = if highpass {
        2.0 / (wm * wm) + 2.0 / (w0 * w0) - 1.0 / phi_m
    } else {
        2.0 / (wm * wm) - 1.0 / phi_m + 2.0 / (w0 * w0)
    };
    // (1 + a1)^2 (1 + alpha phi) = |1 + a1 e^{-jw}|^2  =>  alpha a1^2 + 2(alpha + 1) a1 + alpha = 0.
    let a1 = if alpha.abs() < 1e-12 {
        0.0
    } else {
        (-(alpha + 1.0) + (2.0 * alpha + 1.0).max(0.0).sqrt()) / alpha
    };
    let sum = 1.0 + a1;
    if highpass {
        let b = sum / w0;
        BiquadCoefficients {
            b0: b,
            b1: -b,
            b2: 0.0,
            a1,
            a2: 0.0,
        }
    } else {
        let beta = 2.0 / (wm * wm) - 1.0 / phi_m;
        let root = (1.0 + 2.0 * beta).max(0.0).sqrt();
        BiquadCoefficients {
            b0: 0.5 * sum * (1.0 + root),
            b1: 0.5 * sum * (1.0 - root),
            b2: 0.0,
            a1,
            a2: 0.0,
        }
    }
}

/// Swaps numerator and denominator of a minimum-phase section, normalising so `a0 = 1`.
fn invert(c: &BiquadCoefficients) -> BiquadCoefficients {
    let g = c.b0;
    BiquadCoefficients {
        b0: 1.0 / g,
        b1: c.a1 / g,
        b2: c.a2 / g,
        a1: c.b1 / g,
        a2: c.b2 / g,
    }
}

/// Designs a gain section whose prototype for gain `-g` is the reciprocal of that for `g`:
/// matched at the sign whose poles lie below the corner (`boost_side`: the boost), then
/// inverted when the requested gain has the other sign. 0 dB is the identity.
fn reciprocal(
    gain_db: f64,
    boost_side: bool,
    prototype: impl Fn(f64) -> AnalogSection,
    w0: f64,
    wm: f64,
    w_top: f64,
) -> BiquadCoefficients {
    if gain_db == 0.0 {
        return BiquadCoefficients::IDENTITY;
    }
    let designed = if boost_side {
        gain_db.abs()
    } else {
        -gain_db.abs()
    };
    let c = match_second_order(&prototype(designed), w0, wm, w_top);
    if (gain_db > 0.0) == (designed > 0.0) {
        c
    } else {
        invert(&c)
    }
}

/// Digital corner in radians per sample, clamped to [`MAX_CORNER_FRACTION`].
pub(crate) fn corner(freq_hz: f64, sample_rate_hz: f64) -> f64 {
    2.0 * PI * freq_hz.clamp(1.0, MAX_CORNER_FRACTION * sample_rate_hz) / sample_rate_hz
}

/// The frequency (radians per sample) where the numerator is matched besides DC and Nyquist:
/// the corner itself, kept clear of Nyquist where the three points would coincide.
fn match_point(w0: f64) -> f64 {
    w0.min(0.9 * PI)
}

/// Top of the band the fit cares about (radians per sample): 20.5 kHz, at most 0.97 Nyquist.
/// At high sample rates nothing above the audible band is traded against accuracy in it.
fn fit_top(sample_rate_hz: f64) -> f64 {
    (2.0 * PI * 20_500.0 / sample_rate_hz).min(0.97 * PI)
}

/// Clamps Q to a sane design range.
fn clamp_q(q: f64) -> f64 {
    q.clamp(0.025, 40.0)
}

/// The kinds of section Lathe designs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SectionKind {
    /// Second-order low-pass with the given Q.
    Lowpass {
        /// Quality factor (0.7071 = Butterworth).
        q: f64,
    },
    /// Second-order high-pass with the given Q.
    Highpass {
        /// Quality factor (0.7071 = Butterworth).
        q: f64,
    },
    /// First-order low-pass.
    Lowpass1,
    /// First-order high-pass.
    Highpass1,
    /// Peaking bell.
    Bell {
        /// Gain at the centre, dB.
        gain_db: f64,
        /// Quality factor.
        q: f64,
    },
    /// Low shelf.
    LowShelf {
        /// Gain at DC, dB.
        gain_db: f64,
        /// Quality factor (0.7071: no overshoot).
        q: f64,
    },
    /// High shelf.
    HighShelf {
        /// Gain at high frequencies, dB.
        gain_db: f64,
        /// Quality factor (0.7071: no overshoot).
        q: f64,
    },
}

/// One designed section: kind and corner frequency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Section {
    /// What the section is.
    pub kind: SectionKind,
    /// Corner (or centre) frequency, Hz.
    pub freq_hz: f64,
}

impl Section {
    /// The analog prototype this section approximates.
    pub fn prototype(&self) -> AnalogSection {
        match self.kind {
            SectionKind::Lowpass { q } => analog_lowpass(clamp_q(q)),
            SectionKind::Highpass { q } => analog_highpass(clamp_q(q)),
            SectionKind::Lowpass1 => analog_lowpass1(),
            SectionKind::Highpass1 => analog_highpass1(),
            SectionKind::Bell { gain_db, q } => analog_bell(gain_db, clamp_q(q)),
            SectionKind::LowShelf { gain_db, q } => analog_low_shelf(gain_db, clamp_q(q)),
            SectionKind::HighShelf { gain_db, q } => analog_high_shelf(gain_db, clamp_q(q)),
        }
    }

    /// The same section with the gain of a bell or shelf replaced by `gain_db`.
    fn with_gain(&self, gain_db: f64) -> Section {
        let kind = match self.kind {
            SectionKind::Bell { q, .. } => SectionKind::Bell { gain_db, q },
            SectionKind::LowShelf { q, .. } => SectionKind::LowShelf { gain_db, q },
            SectionKind::HighShelf { q, .. } => SectionKind::HighShelf { gain_db, q },
            other => other,
        };
        Section { kind, ..*self }
    }

    /// The matched digital coefficients at `sample_rate_hz`.
    pub fn design(&self, sample_rate_hz: f64) -> BiquadCoefficients {
        let w0 = corner(self.freq_hz, sample_rate_hz);
        let wm = match_point(w0);
        let w_top = fit_top(sample_rate_hz);
        match self.kind {
            SectionKind::Lowpass1 | SectionKind::Highpass1 => {
                // The matching point that gives the smallest worst-case error up to the top
                // of the band (the low-frequency behaviour is exact for any of them).
                let highpass = self.kind == SectionKind::Highpass1;
                let top = (0.9 * PI).min(2.0 * PI * 20_000.0 / sample_rate_hz);
                let proto = self.prototype();
                let mut best = (f64::INFINITY, BiquadCoefficients::IDENTITY);
                for k in 0..8 {
                    let wm = top * (0.55 + 0.0643 * k as f64);
                    let c = match_first_order(highpass, w0, wm);
                    let err = worst_error_db(&c, &proto, w0, top);
                    if err < best.0 {
                        best = (err, c);
                    }
                }
                best.1
            }
            SectionKind::Lowpass { .. } | SectionKind::Highpass { .. } => {
                match_second_order(&self.prototype(), w0, wm, w_top)
            }
            // A bell and a low shelf have their poles below the corner when boosting, a high
            // shelf when cutting; the other sign is the exact reciprocal, so it is designed
            // that way and inverted.
            SectionKind::Bell { gain_db, .. }
            | SectionKind::LowShelf { gain_db, .. }
            | SectionKind::HighShelf { gain_db, .. } => {
                let boost_side = !matches!(self.kind, SectionKind::HighShelf { .. });
                let with_gain = |g: f64| self.with_gain(g).prototype();
                reciprocal(gain_db, boost_side, with_gain, w0, wm, w_top)
            }
        }
    }

    /// The analog prototype's magnitude in dB at `freq_hz` (the design target; the corner is
    /// clamped as in [`Section::design`]).
    pub fn analog_magnitude_db(&self, freq_hz: f64, sample_rate_hz: f64) -> f64 {
        let f0 = self
            .freq_hz
            .clamp(1.0, MAX_CORNER_FRACTION * sample_rate_hz);
        10.0 * self.prototype().magnitude_squared(freq_hz / f0).log10()
    }
}

/// Slopes of the pass filters, dB per octave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Slope {
    /// 6 dB/oct (first order).
    Db6,
    /// 12 dB/oct (second order; the only slope with adjustable resonance).
    #[default]
    Db12,
    /// 18 dB/oct.
    Db18,
    /// 24 dB/oct.
    Db24,
    /// 36 dB/oct.
    Db36,
    /// 48 dB/oct.
    Db48,
}

impl Slope {
    /// The filter order (6 dB/oct per order).
    pub fn order(self) -> usize {
        match self {
            Slope::Db6 => 1,
            Slope::Db12 => 2,
            Slope::Db18 => 3,
            Slope::Db24 => 4,
            Slope::Db36 => 6,
            Slope::Db48 => 8,
        }
    }
}

/// Most sections a pass filter uses (48 dB/oct = four biquads).
pub const MAX_PASS_SECTIONS: usize = 4;

/// The Butterworth sections of a high- or low-pass of the given slope at `freq_hz`, written
/// into `out`; returns how many. At 12 dB/oct, `resonance_q` replaces the Butterworth Q
/// (0.7071).
pub fn butterworth(
    highpass: bool,
    slope: Slope,
    freq_hz: f64,
    resonance_q: f64,
    out: &mut [Section; MAX_PASS_SECTIONS],
) -> usize {
    let order = slope.order();
    let mut n = 0;
    if !order.is_multiple_of(2) {
        out[n] = Section {
            kind: if highpass {
                SectionKind::Highpass1
            } else {
                SectionKind::Lowpass1
            },
            freq_hz,
        };
        n += 1;
    }
    for k in 0..order / 2 {
        // Pole pairs at angles theta_k from the negative real axis; Q = 1 / (2 cos theta).
        let theta = if order.is_multiple_of(2) {
            PI * (2 * k + 1) as f64 / (2 * order) as f64
        } else {
            PI * (k + 1) as f64 / order as f64
        };
        let q = if slope == Slope::Db12 {
            resonance_q
        } else {
            1.0 / (2.0 * theta.cos())
        };
        out[n] = Section {
            kind: if highpass {
                SectionKind::Highpass { q }
            } else {
                SectionKind::Lowpass { q }
            },
            freq_hz,
        };
        n += 1;
    }
    n
}

/// A second-order Butterworth low- or high-pass by the bilinear transform (RBJ cookbook).
/// Unlike the matched designs, a bilinear low-pass and high-pass at the same corner are exact
/// complements in the Linkwitz-Riley sense: squared, they sum to an allpass
/// ([`crate::filters::crossover`]).
pub fn bilinear_butterworth(
    highpass: bool,
    freq_hz: f64,
    sample_rate_hz: f64,
) -> BiquadCoefficients {
    let w0 = corner(freq_hz, sample_rate_hz);
    crate::filters::crossover::bilinear_section_at(highpass, w0, std::f64::consts::FRAC_1_SQRT_2)
}
