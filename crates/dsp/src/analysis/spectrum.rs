//! Spectrum analysis shared by the editors' live analyzers and the reference analyzer.
//!
//! The samples come from a [`crate::rt::ring::SampleRing`] the audio thread fills.
//!
//! - [`Spectrum`]: a Hann-windowed real FFT (realfft) of fixed-size frames, averaged either
//!   linearly (Welch's method: P. D. Welch, "The use of fast Fourier transform for the estimation
//!   of power spectra", IEEE Trans. Audio Electroacoust. 15(2), 1967) or exponentially (a live
//!   display), read out in fractional-octave bands.
//!
//! Calibration: a full-scale sine reads 0 dB in a band that contains it. Band levels sum the
//! power in the band, so pink noise reads flat in any fractional-octave display and white noise
//! rises 3 dB per octave.

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// How [`Spectrum::add_frame`] averages frames.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Averaging {
    /// The mean of all frames since the last reset (Welch).
    Mean,
    /// Exponential: each frame moves the average this fraction (0..=1) of the way.
    Exponential(f64),
}

/// Equivalent noise bandwidth of the Hann window, bins.
pub const HANN_ENBW_BINS: f64 = 1.5;

/// Narrowest band [`Spectrum::band_power`] sums, bins: the Hann main lobe's core (a sine's
/// power lies within +-1.5 bins of it).
pub const MIN_BAND_BINS: f64 = 3.0;

/// A windowed-FFT power spectrum of fixed-size frames.
pub struct Spectrum {
    size: usize,
    sample_rate_hz: f64,
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    frame: Vec<f32>,
    bins: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    power: Vec<f64>,
    frames: u64,
    /// Converts |X|^2 to the power a sine of that peak amplitude has (1 for full scale).
    scale: f64,
}

debug_summary!(Spectrum, |s| "size": s.size, "sample_rate_hz": s.sample_rate_hz,
    "frames": s.frames);

impl Spectrum {
    /// A spectrum of `size`-sample frames (even, at least 16) at `sample_rate_hz`.
    pub fn new(size: usize, sample_rate_hz: f64) -> Self {
        let size = size.max(16) & !1;
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(size);
        let (window, scale) = hann_window(size);
        Self {
            size,
            sample_rate_hz,
            bins: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            frame: vec![0.0; size],
            power: vec![0.0; size / 2 + 1],
            fft,
            window,
            frames: 0,
            scale,
        }
    }

    /// Frame size, samples.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Sample rate, Hz.
    pub fn sample_rate_hz(&self) -> f64 {
        self.sample_rate_hz
    }

    /// Frames averaged since the last reset.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Forgets the average.
    pub fn reset(&mut self) {
        self.power.fill(0.0);
        self.frames = 0;
    }

    /// Centre frequency of bin `k`, Hz.
    pub fn bin_hz(&self, k: usize) -> f64 {
        k as f64 * self.sample_rate_hz / self.size as f64
    }

    /// The averaged power per bin (a full-scale sine's peak bin reads 1).
    pub fn power(&self) -> &[f64] {
        &self.power
    }

    /// Windows and transforms one frame of exactly [`Spectrum::size`] samples (shorter input is
    /// zero-padded) and adds it to the average.
    pub fn add_frame(&mut self, samples: &[f32], averaging: Averaging) {
        for (i, (f, w)) in self.frame.iter_mut().zip(&self.window).enumerate() {
            let x = samples.get(i).copied().unwrap_or(0.0);
            *f = if x.is_finite() { x * w } else { 0.0 };
        }
        // The lengths come from the plan, so this cannot fail.
        let _ = self
            .fft
            .process_with_scratch(&mut self.frame, &mut self.bins, &mut self.scratch);
        self.frames += 1;
        let weight = match averaging {
            Averaging::Mean => 1.0 / self.frames as f64,
            // The first frame sets the average.
            Averaging::Exponential(_) if self.frames == 1 => 1.0,
            Averaging::Exponential(a) => a.clamp(0.0, 1.0),
        };
        for (p, c) in self.power.iter_mut().zip(&self.bins) {
            let mut v = c.norm_sqr() as f64 * self.scale;
            if !v.is_finite() {
                v = 0.0;
            }
            *p += weight * (v - *p);
        }
    }

    /// Power in the band `[lo_hz, hi_hz]`, linear (1 = a full-scale sine). The power density is
    /// taken as constant across each bin; a band narrower than the window's main lobe
    /// ([`MIN_BAND_BINS`]) is widened to it around its centre, so a sine reads its level at any
    /// resolution (noise then reads the level of the wider band).
    pub fn band_power(&self, lo_hz: f64, hi_hz: f64) -> f64 {
        let bin_hz = self.sample_rate_hz / self.size as f64;
        let (a, b) = band_span(bin_hz, self.power.len(), lo_hz, hi_hz);
        sum_span(&self.power, a, b) / HANN_ENBW_BINS
    }

    /// Level of the `1/fraction`-octave band centred on `freq_hz`, dB (floored at -200).
    pub fn band_db(&self, freq_hz: f64, fraction: f64) -> f64 {
        let half = 2f64.powf(0.5 / fraction.max(1e-3));
        let p = self.band_power(freq_hz / half, freq_hz * half);
        10.0 * p.max(1e-20).log10()
    }
}

/// A periodic Hann window of `size` samples (exact for Welch overlap-add at 50 %) and the
/// factor converting a windowed frame's `|X|^2` to the power of a sine of that peak amplitude
/// (1 for full scale).
pub fn hann_window(size: usize) -> (Vec<f32>, f64) {
    let window: Vec<f32> = (0..size)
        .map(|i| {
            let x = std::f64::consts::TAU * i as f64 / size as f64;
            (0.5 - 0.5 * x.cos()) as f32
        })
        .collect();
    let sum: f64 = window.iter().map(|&w| w as f64).sum();
    (window, 1.0 / (sum / 2.0).powi(2))
}

/// The band `[lo_hz, hi_hz]` in (fractional) bin positions of a spectrum with `bins` bins
/// `bin_hz` apart, widened around its centre to at least [`MIN_BAND_BINS`] and clamped to the
/// spectrum.
pub fn band_span(bin_hz: f64, bins: usize, lo_hz: f64, hi_hz: f64) -> (f64, f64) {
    let (mut a, mut b) = (lo_hz / bin_hz, hi_hz / bin_hz);
    if b - a < MIN_BAND_BINS {
        let c = 0.5 * (a + b);
        a = c - 0.5 * MIN_BAND_BINS;
        b = c + 0.5 * MIN_BAND_BINS;
    }
    let last = bins.saturating_sub(1) as f64;
    (a.clamp(0.0, last + 0.5), b.clamp(0.0, last + 0.5))
}

/// Sums per-bin `values` over the bin positions `[a, b]`, each bin counted by the fraction of
/// it the span covers (the density is taken as constant across a bin).
pub fn sum_span(values: &[f64], a: f64, b: f64) -> f64 {
    let first = (a + 0.5).floor().max(0.0) as usize;
    let end = ((b + 0.5).ceil().max(0.0) as usize).min(values.len());
    let mut sum = 0.0;
    for (k, v) in values.iter().enumerate().take(end).skip(first) {
        let (lo, hi) = (k as f64 - 0.5, k as f64 + 0.5);
        sum += v * (hi.min(b) - lo.max(a)).max(0.0);
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq_hz: f64, amp: f64, sr: f64, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (amp * (std::f64::consts::TAU * freq_hz * i as f64 / sr).sin()) as f32)
            .collect()
    }

    #[test]
    fn sine_reads_its_level_at_any_band_width() {
        let sr = 48_000.0;
        let mut s = Spectrum::new(4096, sr);
        for (f, amp) in [(50.0, 1.0), (1000.0, 0.5), (10_000.0, 0.1)] {
            s.reset();
            s.add_frame(&sine(f, amp, sr, 4096), Averaging::Mean);
            let want = 20.0 * f64::log10(amp);
            for fraction in [1.0, 3.0, 24.0] {
                let got = s.band_db(f, fraction);
                // A Hann window's scalloping loss is at most 1.42 dB between bins; band sums
                // that contain the whole main lobe read the exact level.
                let half = 2f64.powf(0.5 / fraction);
                let bin = sr / 4096.0;
                let holds_lobe = f / half < f - 2.0 * bin && f * half > f + 2.0 * bin;
                let tol = if holds_lobe { 0.05 } else { 1.5 };
                assert!(
                    (got - want).abs() < tol,
                    "{f} Hz 1/{fraction} oct: {got:.2} dB, want {want:.2}"
                );
            }
        }
    }

    #[test]
    fn welch_mean_of_white_noise_rises_3_db_per_octave() {
        let sr = 48_000.0;
        let mut s = Spectrum::new(2048, sr);
        let mut state = 1u32;
        let mut frame = vec![0.0f32; 2048];
        for _ in 0..400 {
            for x in frame.iter_mut() {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                *x = (state as f64 / u32::MAX as f64 * 2.0 - 1.0) as f32 * 0.5;
            }
            s.add_frame(&frame, Averaging::Mean);
        }
        let a = s.band_db(1000.0, 1.0);
        let b = s.band_db(2000.0, 1.0);
        let c = s.band_db(4000.0, 1.0);
        assert!((b - a - 3.01).abs() < 0.3, "{a:.2} {b:.2}");
        assert!((c - b - 3.01).abs() < 0.3, "{b:.2} {c:.2}");
    }

    #[test]
    fn exponential_average_follows_a_level_change() {
        let sr = 48_000.0;
        let mut s = Spectrum::new(1024, sr);
        let loud = sine(1000.0, 1.0, sr, 1024);
        let quiet = sine(1000.0, 0.1, sr, 1024);
        s.add_frame(&loud, Averaging::Exponential(0.5));
        assert!(
            s.band_db(1000.0, 3.0).abs() < 0.1,
            "first frame sets the average"
        );
        for _ in 0..40 {
            s.add_frame(&quiet, Averaging::Exponential(0.5));
        }
        assert!((s.band_db(1000.0, 3.0) + 20.0).abs() < 0.1);
    }
}
