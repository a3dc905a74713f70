//! Match EQ: a correction curve from the difference of two long-term spectra, and its FIR.
//!
//! - The curve is the difference of the loudness-normalised, fractional-octave-smoothed spectra
//!   of the [`crate::analysis::reference`] analyzer, scaled by an amount, limited, faded out over half an
//!   octave outside a frequency range, and level-compensated so that applying it leaves the
//!   mix's K-weighted loudness (ITU-R BS.1770) where it was.
//! - Linear phase: the curve sampled on an FFT grid as a zero-phase response, inverse
//!   transformed, centred and Hann-windowed (the window method; A. V. Oppenheim & R. W. Schafer,
//!   "Discrete-Time Signal Processing", 3rd ed., sec. 7.5). Latency is half the length.
//! - Minimum phase: the same magnitude through the real cepstrum folded onto positive quefrency
//!   (the homomorphic method, Oppenheim & Schafer sec. 13.8 / 5.6), zero latency.
//!
//! Both FIRs run in [`crate::filters::convolution::PartitionedConvolver`].

use crate::analysis::loudness::kweighting;
use crate::analysis::reference::{
    GRID_POINTS, GRID_POINTS_PER_OCTAVE, NO_DATA_DB, grid_hz, has_data, smooth,
};
use crate::filters::convolution::linear_phase_fir;
use crate::primitives::biquad::BiquadCoefficients;
use realfft::RealFftPlanner;
use realfft::num_complex::Complex;
use serde::{Deserialize, Serialize};

/// The correction's phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum MatchPhase {
    /// Linear phase: no phase distortion, latency of half the FIR.
    Linear,
    /// Minimum phase: zero latency, phase shifts like an analogue EQ (the default).
    #[default]
    Minimum,
}

/// How the correction curve is computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchSettings {
    /// How much of the difference to apply, 0-100 %.
    pub amount_pct: f64,
    /// Smoothing of both spectra before the difference, as a fraction of an octave's
    /// denominator (3 = 1/3 octave; 1 to 24).
    pub smoothing_fraction: f64,
    /// Largest boost or cut, dB (0-12).
    pub limit_db: f64,
    /// Lowest frequency corrected, Hz.
    pub low_hz: f64,
    /// Highest frequency corrected, Hz.
    pub high_hz: f64,
}

impl Default for MatchSettings {
    fn default() -> Self {
        Self {
            amount_pct: 100.0,
            smoothing_fraction: 3.0,
            limit_db: 12.0,
            low_hz: 30.0,
            high_hz: 18_000.0,
        }
    }
}

/// Largest `limit_db` the plugin's "Match Limit" and `lathe match --limit` offer.
pub const MAX_LIMIT_DB: f64 = 12.0;
/// Largest `limit_db` [`correction_curve`] honours: `lathe master --limit` goes this far, for a
/// mix whose top or bottom octaves are far below a reference's.
pub const CURVE_LIMIT_CAP_DB: f64 = 30.0;

/// The correction curve on the analyzer grid, dB: what to add to `mix` (a loudness-normalised
/// spectrum) to sound like `target` (another, e.g. [`crate::analysis::reference::average_spectra`] of the
/// references). Points missing in either spectrum get the nearest defined correction.
pub fn correction_curve(mix_db: &[f32], target_db: &[f32], settings: &MatchSettings) -> Vec<f32> {
    let fraction = settings.smoothing_fraction.clamp(1.0, 24.0);
    let mix = smooth(mix_db, fraction);
    let target = smooth(target_db, fraction);
    let amount = settings.amount_pct.clamp(0.0, 100.0) / 100.0;
    let limit = settings.limit_db.clamp(0.0, CURVE_LIMIT_CAP_DB);
    let (low, high) = {
        let lo = settings.low_hz.clamp(10.0, 24_000.0);
        let hi = settings.high_hz.clamp(10.0, 24_000.0);
        (lo.min(hi), lo.max(hi))
    };
    let mut curve: Vec<Option<f64>> = (0..GRID_POINTS)
        .map(|i| {
            let (m, t) = (mix.get(i)?, target.get(i)?);
            (has_data(*m) && has_data(*t)).then(|| (t - m) as f64)
        })
        .collect();
    // Fill missing points from the nearest defined one (edges of the data).
    fill_missing(&mut curve);
    let fade_points = GRID_POINTS_PER_OCTAVE as f64 / 2.0;
    let shaped: Vec<f64> = curve
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let f = grid_hz(i);
            let outside = if f < low {
                (low / f).log2() * GRID_POINTS_PER_OCTAVE as f64
            } else if f > high {
                (f / high).log2() * GRID_POINTS_PER_OCTAVE as f64
            } else {
                0.0
            };
            let fade = if outside >= fade_points {
                0.0
            } else {
                0.5 + 0.5 * (std::f64::consts::PI * outside / fade_points).cos()
            };
            (c.unwrap_or(0.0) * amount * fade).clamp(-limit, limit)
        })
        .collect();
    // Level compensation: keep the K-weighted power of the mix.
    let k = k_weighting_db();
    let (mut before, mut after) = (0.0, 0.0);
    for (i, c) in shaped.iter().enumerate() {
        let m = mix_db.get(i).copied().unwrap_or(NO_DATA_DB);
        if !has_data(m) {
            continue;
        }
        let p = 10f64.powf((m as f64 + k[i]) / 10.0);
        before += p;
        after += p * 10f64.powf(c / 10.0);
    }
    let offset = if before > 0.0 && after > 0.0 {
        10.0 * (after / before).log10()
    } else {
        0.0
    };
    shaped.iter().map(|c| (c - offset) as f32).collect()
}

fn fill_missing(curve: &mut [Option<f64>]) {
    let Some(first) = curve.iter().position(Option::is_some) else {
        return;
    };
    let last = curve.iter().rposition(Option::is_some).unwrap_or(first);
    let (a, b) = (curve[first], curve[last]);
    for c in &mut curve[..first] {
        *c = a;
    }
    for c in &mut curve[last + 1..] {
        *c = b;
    }
    let mut prev = a;
    for c in &mut curve[first..=last] {
        match c {
            Some(_) => prev = *c,
            None => *c = prev,
        }
    }
}

/// The K-weighting's magnitude on the grid (at 48 kHz), dB.
fn k_weighting_db() -> Vec<f64> {
    let sr = 48_000.0;
    let (shelf, hp): (BiquadCoefficients, BiquadCoefficients) =
        (kweighting::shelf(sr), kweighting::highpass(sr));
    (0..GRID_POINTS)
        .map(|i| {
            let f = grid_hz(i);
            shelf.magnitude_db(f, sr) + hp.magnitude_db(f, sr)
        })
        .collect()
}

/// The curve's value at `freq_hz` (log-frequency interpolation; held beyond the grid), dB.
pub fn curve_at(curve_db: &[f32], freq_hz: f64) -> f64 {
    if curve_db.is_empty() {
        return 0.0;
    }
    let pos = (freq_hz.max(1e-3) / grid_hz(0)).log2() * GRID_POINTS_PER_OCTAVE as f64;
    if pos <= 0.0 {
        return curve_db[0] as f64;
    }
    let i = pos.floor() as usize;
    if i + 1 >= curve_db.len() {
        return curve_db[curve_db.len() - 1] as f64;
    }
    let t = pos - i as f64;
    curve_db[i] as f64 * (1.0 - t) + curve_db[i + 1] as f64 * t
}

/// FIR length for a sample rate: about 170 ms (8192 taps at 44.1 and 48 kHz), which resolves a
/// 1/3-octave correction down to 30 Hz.
pub fn fir_taps(sample_rate_hz: f64) -> usize {
    ((0.17 * sample_rate_hz).round() as usize)
        .next_power_of_two()
        .clamp(2048, 65_536)
}

/// Designs the correction's FIR (`taps` long; see [`fir_taps`]).
pub fn design_fir(
    curve_db: &[f32],
    sample_rate_hz: f64,
    taps: usize,
    phase: MatchPhase,
) -> Vec<f32> {
    match phase {
        MatchPhase::Linear => linear_phase(curve_db, sample_rate_hz, taps),
        MatchPhase::Minimum => minimum_phase(curve_db, sample_rate_hz, taps),
    }
}

/// The latency a FIR from [`design_fir`] adds, samples.
pub fn fir_latency(taps: usize, phase: MatchPhase) -> u32 {
    match phase {
        MatchPhase::Linear => (taps / 2) as u32,
        MatchPhase::Minimum => 0,
    }
}

fn magnitude_on_grid(curve_db: &[f32], sample_rate_hz: f64, n: usize) -> Vec<f64> {
    (0..=n / 2)
        .map(|k| {
            let f = k as f64 * sample_rate_hz / n as f64;
            10f64.powf(curve_at(curve_db, f) / 20.0)
        })
        .collect()
}

fn linear_phase(curve_db: &[f32], sample_rate_hz: f64, taps: usize) -> Vec<f32> {
    linear_phase_fir(
        taps,
        1,
        1.0,
        |f| 10f64.powf(curve_at(curve_db, f) / 20.0),
        sample_rate_hz,
    )
}

fn minimum_phase(curve_db: &[f32], sample_rate_hz: f64, taps: usize) -> Vec<f32> {
    let n = taps.max(16);
    // A 4x longer transform keeps the cepstrum's time aliasing negligible.
    let m = 4 * n.next_power_of_two();
    let mut planner = RealFftPlanner::<f64>::new();
    let (fwd, inv) = (planner.plan_fft_forward(m), planner.plan_fft_inverse(m));
    let mut log_mag: Vec<Complex<f64>> = magnitude_on_grid(curve_db, sample_rate_hz, m)
        .iter()
        .map(|&v| Complex::new(v.max(1e-6).ln(), 0.0))
        .collect();
    let mut cep = vec![0.0; m];
    let _ = inv.process(&mut log_mag, &mut cep);
    // Fold: c[0], 2 c[n] for 0 < n < m/2, c[m/2], zero for negative quefrency.
    for (i, c) in cep.iter_mut().enumerate() {
        let scale = match i {
            0 => 1.0,
            i if i < m / 2 => 2.0,
            i if i == m / 2 => 1.0,
            _ => 0.0,
        };
        *c *= scale / m as f64;
    }
    let mut spec = fwd.make_output_vec();
    let _ = fwd.process(&mut cep, &mut spec);
    for c in spec.iter_mut() {
        *c = c.exp();
    }
    let last = spec.len() - 1;
    spec[0].im = 0.0;
    spec[last].im = 0.0;
    let mut h = vec![0.0; m];
    let _ = inv.process(&mut spec, &mut h);
    // Keep n taps; fade the last eighth out (the tail has decayed by then).
    let fade = n / 8;
    (0..n)
        .map(|i| {
            let w = if i + fade >= n {
                let x = (i + fade - n) as f64 / fade as f64;
                0.5 + 0.5 * (std::f64::consts::PI * x).cos()
            } else {
                1.0
            };
            (h[i] / m as f64 * w) as f32
        })
        .collect()
}

/// The magnitude response of FIR taps at `freq_hz`, dB (for tests and display).
pub fn fir_response_db(taps: &[f32], freq_hz: f64, sample_rate_hz: f64) -> f64 {
    let w = std::f64::consts::TAU * freq_hz / sample_rate_hz;
    let (mut re, mut im) = (0.0, 0.0);
    for (i, &t) in taps.iter().enumerate() {
        let (s, c) = (w * i as f64).sin_cos();
        re += t as f64 * c;
        im -= t as f64 * s;
    }
    10.0 * (re * re + im * im).max(1e-30).log10()
}
