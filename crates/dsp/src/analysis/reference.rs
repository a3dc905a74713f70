//! The reference analyzer: the long-term average spectrum, per-band dynamics and stereo image,
//! and loudness of a mix or a reference track, in a form two recordings at different levels and
//! sample rates can be compared in.
//!
//! - Spectrum: Welch's averaged periodogram (P. D. Welch, "The use of fast Fourier transform for
//!   the estimation of power spectra", IEEE Trans. Audio Electroacoust. 15(2), 1967) with a
//!   periodic Hann window and 50 % overlap, frames of about 170 ms (8192 samples at 44.1 and
//!   48 kHz), read out on a fixed grid of 1/24-octave points from 20 Hz to 20 kHz as the power
//!   per third of an octave, so pink noise reads flat and the same value at any smoothing.
//!   Fractional-octave smoothing (1/3 to 1/24) averages power over the grid.
//! - Loudness normalisation: [`Analysis::normalized_spectrum_db`] subtracts the integrated
//!   loudness (ITU-R BS.1770 / EBU R128, [`crate::LoudnessMeter`]), so tone compares
//!   independently of level.
//! - Spectral tilt: the least-squares slope of the spectrum against log-frequency from 50 Hz to
//!   16 kHz, dB per octave (0 for pink noise, +3 for white).
//! - Ten octave bands (31.5 Hz to 16 kHz, IEC 61260 nominal centres): level, crest factor of the
//!   band's envelope (its loudest 400 ms, the momentary window of EBU R128, against its mean
//!   power, dB: how much the band's level moves), stereo width
//!   (twice the side share of the energy: 0 % mono, 100 % uncorrelated, 200 % out of phase) and
//!   the correlation of left and right (Pearson, from the cross-spectrum).
//!
//! The same [`Analyzer`] runs live (fed from a lock-free ring by a background thread) and
//! offline ([`analyze_stereo`], which measures peaks on a second thread).

use crate::analysis::loudness::truepeak::TruePeak;
use crate::analysis::loudness::{LoudnessMeter, LoudnessSummary};
use crate::analysis::spectrum::{HANN_ENBW_BINS, band_span, hann_window, sum_span};
use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Points per octave of the spectrum grid.
pub const GRID_POINTS_PER_OCTAVE: usize = 24;
/// Lowest grid frequency, Hz.
pub const GRID_MIN_HZ: f64 = 20.0;
/// Number of grid points: 20 Hz to just under 20 kHz.
pub const GRID_POINTS: usize = 240;
/// The level a grid point reads where there is no data (above the file's Nyquist frequency, or
/// silence), dB.
pub const NO_DATA_DB: f32 = -200.0;
/// Grid values at or below this are treated as missing.
const MISSING_DB: f32 = -190.0;
/// Nominal centres of the ten octave bands of the band table, Hz.
pub const OCTAVE_CENTRES_HZ: [f64; 10] = [
    31.5, 63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0,
];
/// The tilt fit's range, Hz.
pub const TILT_RANGE_HZ: (f64, f64) = (50.0, 16_000.0);
/// Samples at or above this magnitude count as clipped (full scale less 0.0003 dB: the largest
/// 16-bit value and anything louder).
pub const CLIP_LEVEL: f32 = 32767.0 / 32768.0;

/// Frequency of grid point `i`, Hz.
pub fn grid_hz(i: usize) -> f64 {
    GRID_MIN_HZ * 2f64.powf(i as f64 / GRID_POINTS_PER_OCTAVE as f64)
}

/// The analysis frame size for a sample rate: about 170 ms, a power of two.
pub fn frame_size(sample_rate_hz: f64) -> usize {
    ((0.17 * sample_rate_hz).round() as usize)
        .next_power_of_two()
        .max(1024)
}

/// Statistics of one octave band.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BandStats {
    /// Nominal centre, Hz.
    pub centre_hz: f64,
    /// Power in the band (mean of the channels), dB relative to a full-scale sine.
    pub level_db: f64,
    /// The band's loudest 400 ms (mean power over the analysis frames in that time) against the
    /// band's mean power, dB.
    pub crest_db: f64,
    /// Twice the side share of the band's energy, %: 0 mono, 100 uncorrelated, 200 out of phase.
    pub width_pct: f64,
    /// Correlation of left and right in the band, -1 to 1.
    pub correlation: f64,
}

/// Everything the analyzer measures about one recording. Loudness values are `None` for
/// silence. Serialisable, so a plugin keeps the analysis of a reference whose file has moved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// Sample rate of the analysed audio, Hz.
    pub sample_rate_hz: f64,
    /// Duration, seconds.
    pub duration_s: f64,
    /// Loudness and peaks (flattened: `integrated_lufs`, `true_peak_dbtp`, ... as before;
    /// `max_momentary_lufs` is absent from analyses saved before 0.3 and reads as `None`).
    #[serde(flatten)]
    pub loudness: LoudnessSummary,
    /// Samples at or above [`CLIP_LEVEL`], all channels.
    pub clipped_samples: u64,
    /// Correlation of left and right, 20 Hz to 20 kHz.
    pub correlation: f64,
    /// Stereo width over 20 Hz to 20 kHz (see [`BandStats::width_pct`]), %.
    pub width_pct: f64,
    /// Power per third of an octave at each grid point ([`grid_hz`]), dB relative to a
    /// full-scale sine; [`NO_DATA_DB`] where there is none.
    pub spectrum_db: Vec<f32>,
    /// The ten octave bands of [`OCTAVE_CENTRES_HZ`].
    pub bands: Vec<BandStats>,
    /// Integrated loudness of the left/right pair the spectrum and stereo figures come from,
    /// LUFS, when it differs from the integrated loudness: a mono file (analysed as the
    /// pair it plays as, both speakers) or the front pair of a surround file. The spectrum is
    /// normalised by it, so a mono mix and the same mix as dual-mono stereo compare equal in
    /// tone. `None` (and absent from older saved analyses) when it is the integrated loudness.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pair_lufs: Option<f64>,
}

impl Analysis {
    /// The loudness the spectrum is relative to: [`Analysis::pair_lufs`] or the integrated.
    fn spectrum_offset_lufs(&self) -> f64 {
        self.pair_lufs
            .or(self.loudness.integrated_lufs)
            .unwrap_or(0.0)
    }

    /// The spectrum relative to the integrated loudness (dB re LUFS; of the analysed pair, see
    /// [`Analysis::pair_lufs`]), so recordings at different levels compare in tone. Missing
    /// points stay [`NO_DATA_DB`].
    pub fn normalized_spectrum_db(&self) -> Vec<f32> {
        let offset = self.spectrum_offset_lufs() as f32;
        self.spectrum_db
            .iter()
            .map(|&v| if v > MISSING_DB { v - offset } else { v })
            .collect()
    }

    /// Spectral tilt, dB per octave (0 for pink noise).
    pub fn tilt_db_per_octave(&self) -> f64 {
        tilt_db_per_octave(&self.spectrum_db)
    }

    /// A band's level relative to the integrated loudness (of the analysed pair), dB.
    pub fn normalized_band_db(&self, band: usize) -> f64 {
        self.bands[band].level_db - self.spectrum_offset_lufs()
    }

    /// Checks that the analysis is whole (a persisted one may come from a corrupt state).
    pub fn is_valid(&self) -> bool {
        self.spectrum_db.len() == GRID_POINTS
            && self.bands.len() == OCTAVE_CENTRES_HZ.len()
            && self.sample_rate_hz.is_finite()
            && self.sample_rate_hz > 0.0
            && self.spectrum_db.iter().all(|v| v.is_finite())
    }
}

/// Whether a grid value holds data.
pub fn has_data(db: f32) -> bool {
    db > MISSING_DB
}

/// Fractional-octave smoothing on the grid: each point becomes the mean power of the points
/// within `1/fraction` octave around it (missing points are skipped and stay missing).
pub fn smooth(values_db: &[f32], fraction: f64) -> Vec<f32> {
    let half = ((GRID_POINTS_PER_OCTAVE as f64 / fraction.max(0.1)) / 2.0).round() as usize;
    let power: Vec<f64> = values_db
        .iter()
        .map(|&v| {
            if has_data(v) {
                10f64.powf(v as f64 / 10.0)
            } else {
                f64::NAN
            }
        })
        .collect();
    (0..values_db.len())
        .map(|i| {
            if !has_data(values_db[i]) {
                return NO_DATA_DB;
            }
            let lo = i.saturating_sub(half);
            let hi = (i + half + 1).min(values_db.len());
            let (sum, n) = power[lo..hi]
                .iter()
                .filter(|p| p.is_finite())
                .fold((0.0, 0usize), |(s, n), p| (s + p, n + 1));
            (10.0 * (sum / n as f64).max(1e-30).log10()) as f32
        })
        .collect()
}

/// Power-averages several spectra on the grid (e.g. the normalised spectra of several
/// references); a point is missing if it is missing in all of them.
pub fn average_spectra(spectra: &[Vec<f32>]) -> Vec<f32> {
    (0..GRID_POINTS)
        .map(|i| {
            let (sum, n) = spectra
                .iter()
                .filter_map(|s| s.get(i).copied().filter(|&v| has_data(v)))
                .fold((0.0, 0usize), |(s, n), v| {
                    (s + 10f64.powf(v as f64 / 10.0), n + 1)
                });
            if n == 0 {
                NO_DATA_DB
            } else {
                (10.0 * (sum / n as f64).log10()) as f32
            }
        })
        .collect()
}

/// Least-squares slope of grid values against octaves over [`TILT_RANGE_HZ`], dB per octave.
pub fn tilt_db_per_octave(values_db: &[f32]) -> f64 {
    let (mut n, mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (i, &v) in values_db.iter().enumerate() {
        let f = grid_hz(i);
        if f < TILT_RANGE_HZ.0 || f > TILT_RANGE_HZ.1 || !has_data(v) {
            continue;
        }
        let x = (f / 1000.0).log2();
        let y = v as f64;
        n += 1.0;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    let det = n * sxx - sx * sx;
    if n < 2.0 || det.abs() < 1e-12 {
        return 0.0;
    }
    (n * sxy - sx * sy) / det
}

/// Incremental analyzer of stereo audio (mono: pass the same slice twice).
///
/// [`Analyzer::push`] allocates nothing; [`Analyzer::analysis`] may be called at any time for a
/// snapshot (it allocates the result).
pub struct Analyzer {
    sample_rate_hz: f64,
    size: usize,
    hop: usize,
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    scale: f64,
    input: [Vec<f32>; 2],
    fill: usize,
    frame: Vec<f32>,
    bins: [Vec<Complex<f32>>; 2],
    scratch: Vec<Complex<f32>>,
    power: [Vec<f64>; 2],
    cross: Vec<f64>,
    frames: u64,
    band_bins: Vec<(usize, usize)>,
    band_sum: Vec<f64>,
    band_max: Vec<f64>,
    /// The last [`Analyzer::envelope_frames`] frames' band energies, a ring per band.
    band_recent: Vec<Vec<f64>>,
    envelope_frames: usize,
    meter: LoudnessMeter,
    loudness_measured: bool,
    peaks_measured: bool,
    clipped: u64,
    samples: u64,
}

debug_summary!(Analyzer, |a| "sample_rate_hz": a.sample_rate_hz, "frames": a.frames,
    "samples": a.samples);

impl Analyzer {
    /// An analyzer for audio at `sample_rate_hz`.
    pub fn new(sample_rate_hz: f64) -> Self {
        let size = frame_size(sample_rate_hz);
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(size);
        let (window, scale) = hann_window(size);
        let bins = size / 2 + 1;
        let bin_hz = sample_rate_hz / size as f64;
        // Frames (hop size / 2 apart) spanning 400 ms.
        let envelope_frames = ((0.4 * sample_rate_hz / (size / 2) as f64).round() as usize).max(1);
        let band_bins = OCTAVE_CENTRES_HZ
            .iter()
            .map(|&c| {
                let lo = ((c / 2f64.sqrt()) / bin_hz).round() as usize;
                let hi = ((c * 2f64.sqrt()) / bin_hz).round() as usize;
                (lo.clamp(1, bins), hi.clamp(1, bins))
            })
            .collect();
        Self {
            sample_rate_hz,
            size,
            hop: size / 2,
            bins: [fft.make_output_vec(), fft.make_output_vec()],
            scratch: fft.make_scratch_vec(),
            fft,
            window,
            scale,
            input: [vec![0.0; size], vec![0.0; size]],
            fill: 0,
            frame: vec![0.0; size],
            power: [vec![0.0; bins], vec![0.0; bins]],
            cross: vec![0.0; bins],
            frames: 0,
            band_bins,
            band_sum: vec![0.0; OCTAVE_CENTRES_HZ.len()],
            band_max: vec![0.0; OCTAVE_CENTRES_HZ.len()],
            band_recent: vec![vec![0.0; envelope_frames]; OCTAVE_CENTRES_HZ.len()],
            envelope_frames,
            meter: LoudnessMeter::for_channels(sample_rate_hz, 2),
            loudness_measured: true,
            peaks_measured: true,
            clipped: 0,
            samples: 0,
        }
    }

    /// Sample rate, Hz.
    pub fn sample_rate_hz(&self) -> f64 {
        self.sample_rate_hz
    }

    /// Samples (per channel) analysed since the last reset.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// Forgets everything.
    pub fn reset(&mut self) {
        for p in &mut self.power {
            p.fill(0.0);
        }
        self.cross.fill(0.0);
        self.band_sum.fill(0.0);
        self.band_max.fill(0.0);
        for r in &mut self.band_recent {
            r.fill(0.0);
        }
        self.frames = 0;
        self.fill = 0;
        self.meter.reset();
        self.clipped = 0;
        self.samples = 0;
    }

    /// Adds audio. Non-finite samples count as silence.
    pub fn push(&mut self, left: &[f32], right: &[f32]) {
        let n = left.len().min(right.len());
        let (left, right) = (&left[..n], &right[..n]);
        if self.loudness_measured {
            self.meter.process(&[left, right]);
        }
        if self.peaks_measured {
            self.clipped += count_clipped(left) + count_clipped(right);
        }
        self.samples += n as u64;
        let mut done = 0;
        while done < n {
            let take = (self.size - self.fill).min(n - done);
            for (buf, src) in self.input.iter_mut().zip([left, right]) {
                for (d, &s) in buf[self.fill..self.fill + take]
                    .iter_mut()
                    .zip(&src[done..done + take])
                {
                    *d = if s.is_finite() { s } else { 0.0 };
                }
            }
            self.fill += take;
            done += take;
            if self.fill == self.size {
                self.add_frame();
                for buf in &mut self.input {
                    buf.copy_within(self.hop.., 0);
                }
                self.fill = self.size - self.hop;
            }
        }
    }

    fn add_frame(&mut self) {
        for c in 0..2 {
            for ((f, &x), &w) in self.frame.iter_mut().zip(&self.input[c]).zip(&self.window) {
                *f = x * w;
            }
            // The lengths come from the plan, so this cannot fail.
            let _ = self.fft.process_with_scratch(
                &mut self.frame,
                &mut self.bins[c],
                &mut self.scratch,
            );
        }
        let [l, r] = &self.bins;
        let [pl, pr] = &mut self.power;
        for k in 0..l.len() {
            let (a, b) = (l[k], r[k]);
            pl[k] += a.norm_sqr() as f64;
            pr[k] += b.norm_sqr() as f64;
            self.cross[k] += (a.re * b.re + a.im * b.im) as f64;
        }
        for (i, &(lo, hi)) in self.band_bins.iter().enumerate() {
            let e: f32 = l[lo..hi]
                .iter()
                .zip(&r[lo..hi])
                .map(|(a, b)| a.norm_sqr() + b.norm_sqr())
                .sum();
            self.band_sum[i] += e as f64;
            let recent = &mut self.band_recent[i];
            recent[self.frames as usize % self.envelope_frames] = e as f64;
            // The envelope counts once the window is full (or at once for a short recording,
            // see `analysis`).
            if self.frames + 1 >= self.envelope_frames as u64 {
                let window: f64 = recent.iter().sum();
                self.band_max[i] = self.band_max[i].max(window);
            }
        }
        self.frames += 1;
    }

    /// The analysis of everything pushed so far. With less than one frame of audio, the partial
    /// frame (zero-padded) is analysed.
    pub fn analysis(&self) -> Analysis {
        self.analysis_with(&self.meter.report())
    }

    /// The analysis with loudness and peaks taken from `r`.
    fn analysis_with(&self, r: &crate::LoudnessReport) -> Analysis {
        let mut frames = self.frames as f64;
        let mut power = self.power.clone();
        let mut cross = self.cross.clone();
        let mut band_sum = self.band_sum.clone();
        let mut band_max = self.band_max.clone();
        let mut window_frames = self.envelope_frames as f64;
        if self.frames > 0 && self.frames < self.envelope_frames as u64 {
            // Shorter than the envelope window: the whole recording is the loudest window.
            band_max = self.band_sum.clone();
            window_frames = self.frames as f64;
        }
        if self.frames == 0 && self.fill > 0 {
            // Too short for one frame: analyse what there is, zero-padded.
            let mut scratch = Self::new(self.sample_rate_hz);
            for c in 0..2 {
                scratch.input[c][..self.fill].copy_from_slice(&self.input[c][..self.fill]);
            }
            scratch.add_frame();
            power = scratch.power;
            cross = scratch.cross;
            band_sum = scratch.band_sum;
            band_max = band_sum.clone();
            window_frames = 1.0;
            frames = 1.0;
        }
        let bins = power[0].len();
        let bin_hz = self.sample_rate_hz / self.size as f64;
        let norm = if frames > 0.0 {
            self.scale / frames
        } else {
            0.0
        };
        let mean: Vec<f64> = power[0]
            .iter()
            .zip(&power[1])
            .map(|(a, b)| 0.5 * (a + b) * norm)
            .collect();
        let nyquist = 0.5 * self.sample_rate_hz;
        let spectrum_db = (0..GRID_POINTS)
            .map(|i| {
                let f = grid_hz(i);
                if f > 0.95 * nyquist || frames == 0.0 {
                    return NO_DATA_DB;
                }
                let half = 2f64.powf(0.5 / GRID_POINTS_PER_OCTAVE as f64);
                let (a, b) = band_span(bin_hz, bins, f / half, f * half);
                let octaves = (b / a.max(0.5)).log2().max(1e-9);
                let per_octave = sum_span(&mean, a, b) / HANN_ENBW_BINS / octaves;
                (10.0 * (per_octave / 3.0).max(1e-20).log10()).max(NO_DATA_DB as f64) as f32
            })
            .collect();
        let stereo = |lo: usize, hi: usize| {
            let el: f64 = power[0][lo..hi].iter().sum();
            let er: f64 = power[1][lo..hi].iter().sum();
            let x: f64 = cross[lo..hi].iter().sum();
            let mid = (el + er + 2.0 * x) / 4.0;
            let side = (el + er - 2.0 * x) / 4.0;
            let width = if mid + side > 0.0 {
                200.0 * side.max(0.0) / (mid + side)
            } else {
                0.0
            };
            let corr = if el > 0.0 && er > 0.0 {
                (x / (el * er).sqrt()).clamp(-1.0, 1.0)
            } else {
                1.0
            };
            (width, corr)
        };
        let bands = OCTAVE_CENTRES_HZ
            .iter()
            .zip(&self.band_bins)
            .enumerate()
            .map(|(i, (&centre_hz, &(lo, hi)))| {
                let (width_pct, correlation) = stereo(lo, hi);
                let (a, b) = (
                    (centre_hz / 2f64.sqrt() / bin_hz).min(bins as f64 - 0.5),
                    (centre_hz * 2f64.sqrt() / bin_hz).min(bins as f64 - 0.5),
                );
                let level = sum_span(&mean, a, b) / HANN_ENBW_BINS;
                let crest = if band_sum[i] > 0.0 {
                    10.0 * (band_max[i] / window_frames * frames / band_sum[i]).log10()
                } else {
                    0.0
                };
                BandStats {
                    centre_hz,
                    level_db: 10.0 * level.max(1e-20).log10(),
                    crest_db: crest,
                    width_pct,
                    correlation,
                }
            })
            .collect();
        let lo = ((20.0 / bin_hz).round() as usize).clamp(1, bins);
        let hi = ((20_000.0 / bin_hz).round() as usize).clamp(lo, bins);
        let (width_pct, correlation) = stereo(lo, hi);
        Analysis {
            sample_rate_hz: self.sample_rate_hz,
            duration_s: self.samples as f64 / self.sample_rate_hz,
            loudness: r.summary(),
            clipped_samples: self.clipped,
            correlation,
            width_pct,
            spectrum_db,
            bands,
            pair_lufs: None,
        }
    }
}

fn count_clipped(x: &[f32]) -> u64 {
    x.iter().filter(|s| s.abs() >= CLIP_LEVEL).count() as u64
}

/// True peak, sample peak (linear) and clipped samples of one channel.
type Peaks = (f32, f32, u64);

fn new_peaks(sample_rate_hz: f64) -> (TruePeak, u64) {
    (TruePeak::new(sample_rate_hz), 0)
}

fn feed_peaks(p: &mut (TruePeak, u64), x: &[f32]) {
    p.0.process(x);
    p.1 += count_clipped(x);
}

fn read_peaks(p: &(TruePeak, u64)) -> Peaks {
    (p.0.peak(), p.0.sample_peak(), p.1)
}

fn spectrum_only(sample_rate_hz: f64) -> Analyzer {
    let mut analyzer = Analyzer::new(sample_rate_hz);
    analyzer.loudness_measured = false;
    analyzer.peaks_measured = false;
    analyzer
}

fn loudness_only(sample_rate_hz: f64) -> LoudnessMeter {
    let mut meter = LoudnessMeter::for_channels(sample_rate_hz, 2);
    meter.set_peaks_enabled(false);
    meter
}

/// Puts the two threads' results together.
fn combine(analyzer: &Analyzer, meter: &LoudnessMeter, pl: Peaks, pr: Peaks) -> Analysis {
    combine_with_pair(analyzer, meter, None, pl, pr)
}

/// [`combine`] with the pair's own loudness meter when the file is not a plain stereo pair.
fn combine_with_pair(
    analyzer: &Analyzer,
    meter: &LoudnessMeter,
    pair: Option<&LoudnessMeter>,
    pl: Peaks,
    pr: Peaks,
) -> Analysis {
    let mut report = meter.report();
    let db = |v: f32| crate::analysis::loudness::amplitude_to_db(v as f64);
    report.true_peak_dbtp = db(pl.0.max(pr.0));
    report.sample_peak_dbfs = db(pl.1.max(pr.1));
    report.plr_db = if report.integrated_lufs.is_finite() {
        report.true_peak_dbtp - report.integrated_lufs
    } else {
        f64::NEG_INFINITY
    };
    let mut analysis = analyzer.analysis_with(&report);
    analysis.clipped_samples = pl.2 + pr.2;
    analysis.pair_lufs = pair.map(|m| m.integrated_lufs()).filter(|v| v.is_finite());
    analysis
}

/// Analyses a whole stereo recording (mono: pass the same slice twice) on two threads: this
/// one runs the loudness meter and the left channel's true peak, the other the spectrum and
/// the right channel's true peak. The result equals [`Analyzer`]'s.
pub fn analyze_stereo(sample_rate_hz: f64, left: &[f32], right: &[f32]) -> Analysis {
    let n = left.len().min(right.len());
    let (left, right) = (&left[..n], &right[..n]);
    const CHUNK: usize = 65_536;
    let spectrum = || {
        let mut analyzer = spectrum_only(sample_rate_hz);
        let mut peaks = new_peaks(sample_rate_hz);
        for (l, r) in left.chunks(CHUNK).zip(right.chunks(CHUNK)) {
            analyzer.push(l, r);
        }
        feed_peaks(&mut peaks, right);
        (analyzer, read_peaks(&peaks))
    };
    let ((analyzer, pr), (meter, pl)) = std::thread::scope(|s| {
        let other = s.spawn(spectrum);
        let mut meter = loudness_only(sample_rate_hz);
        for (l, r) in left.chunks(CHUNK).zip(right.chunks(CHUNK)) {
            meter.process(&[l, r]);
        }
        let mut peaks = new_peaks(sample_rate_hz);
        feed_peaks(&mut peaks, left);
        // A panic on the other thread is a bug; redo its part here rather than fail.
        let b = other.join().unwrap_or_else(|_| spectrum());
        (b, (meter, read_peaks(&peaks)))
    });
    combine(&analyzer, &meter, pl, pr)
}

/// A chunk of audio shared by the analysis threads: one `Vec` per channel, equal lengths.
pub type Chunk = std::sync::Arc<Vec<Vec<f32>>>;

/// Analyses a recording while it is still being decoded: the caller pushes chunks as they come,
/// and two threads analyse them as [`analyze_stereo`] splits the work, so decoding overlaps the
/// analysis. For a stereo file the result equals [`analyze_stereo`]'s on the whole recording.
///
/// Loudness and peaks are measured on every channel with its BS.1770 role (a mono file as one
/// channel, a 5.1 file with its surrounds weighted and the LFE left out), exactly as `lathe
/// analyze` measures them; the spectrum and the stereo figures come from the left/right pair
/// (mono: the channel twice; surround: the front pair), whose own loudness normalises the
/// spectrum ([`Analysis::pair_lufs`]).
#[derive(Debug)]
pub struct StreamAnalyzer {
    to: Vec<std::sync::mpsc::SyncSender<Chunk>>,
    loudness: std::thread::JoinHandle<(LoudnessMeter, Option<LoudnessMeter>, Peaks)>,
    spectrum: std::thread::JoinHandle<(Analyzer, Peaks)>,
}

impl StreamAnalyzer {
    /// Starts the two analysis threads for stereo audio at `sample_rate_hz`.
    pub fn new(sample_rate_hz: f64) -> Self {
        Self::with_roles(
            sample_rate_hz,
            &[
                crate::analysis::loudness::ChannelRole::Left,
                crate::analysis::loudness::ChannelRole::Right,
            ],
        )
    }

    /// Starts the two analysis threads for audio whose channels have these roles (at least
    /// one channel).
    pub fn with_roles(
        sample_rate_hz: f64,
        roles: &[crate::analysis::loudness::ChannelRole],
    ) -> Self {
        use crate::analysis::loudness::ChannelRole;
        use std::sync::mpsc::sync_channel;
        let roles = if roles.is_empty() {
            vec![ChannelRole::Center]
        } else {
            roles.to_vec()
        };
        // The pair: front left and right when the roles name them, else the first two
        // channels; a mono file is its channel twice.
        let find = |r: ChannelRole, fallback: usize| {
            roles
                .iter()
                .position(|&x| x == r)
                .unwrap_or(fallback.min(roles.len() - 1))
        };
        let pair = if roles.len() == 1 {
            (0, 0)
        } else {
            (find(ChannelRole::Left, 0), find(ChannelRole::Right, 1))
        };
        let plain_stereo = roles == [ChannelRole::Left, ChannelRole::Right];
        // A few chunks in flight: enough to keep both threads busy, little memory.
        let (to_loudness, from_a) = sync_channel::<Chunk>(4);
        let (to_spectrum, from_b) = sync_channel::<Chunk>(4);
        // The right channel's peaks are the spectrum thread's (it has less to do), the rest
        // the loudness thread's.
        let right_peaks_elsewhere = pair.1 != pair.0;
        let loudness_roles = roles.clone();
        let loudness = std::thread::spawn(move || {
            let mut meter = LoudnessMeter::new(sample_rate_hz, &loudness_roles);
            meter.set_peaks_enabled(false);
            let mut pair_meter = (!plain_stereo).then(|| loudness_only(sample_rate_hz));
            let mut peaks: Vec<(TruePeak, u64)> = (0..loudness_roles.len())
                .map(|_| new_peaks(sample_rate_hz))
                .collect();
            for chunk in from_a {
                let all: Vec<&[f32]> = chunk.iter().map(|c| c.as_slice()).collect();
                meter.process(&all);
                if let Some(m) = pair_meter.as_mut() {
                    m.process(&[all[pair.0], all[pair.1]]);
                }
                for (c, p) in peaks.iter_mut().enumerate() {
                    if !(right_peaks_elsewhere && c == pair.1) {
                        feed_peaks(p, all[c]);
                    }
                }
            }
            let mut total: Peaks = (0.0, 0.0, 0);
            for (c, p) in peaks.iter().enumerate() {
                if !(right_peaks_elsewhere && c == pair.1) {
                    let (tp, sp, clips) = read_peaks(p);
                    total = (total.0.max(tp), total.1.max(sp), total.2 + clips);
                }
            }
            (meter, pair_meter, total)
        });
        let spectrum = std::thread::spawn(move || {
            let mut analyzer = spectrum_only(sample_rate_hz);
            let mut peaks = new_peaks(sample_rate_hz);
            for chunk in from_b {
                analyzer.push(&chunk[pair.0], &chunk[pair.1]);
                if right_peaks_elsewhere {
                    feed_peaks(&mut peaks, &chunk[pair.1]);
                }
            }
            (analyzer, read_peaks(&peaks))
        });
        Self {
            to: vec![to_loudness, to_spectrum],
            loudness,
            spectrum,
        }
    }

    /// Hands over the next stereo chunk (equal lengths; the shorter decides). For a stream
    /// started with [`StreamAnalyzer::new`].
    pub fn push(&mut self, left: Vec<f32>, right: Vec<f32>) {
        self.push_channels(vec![left, right]);
    }

    /// Hands over the next chunk, one `Vec` per channel in the order of the roles (equal
    /// lengths; the shortest decides).
    pub fn push_channels(&mut self, mut channels: Vec<Vec<f32>>) {
        let n = channels.iter().map(|c| c.len()).min().unwrap_or(0);
        for c in &mut channels {
            c.truncate(n);
        }
        self.push_chunk(std::sync::Arc::new(channels));
    }

    /// Hands over the next chunk, shared (one `Vec` per channel in the order of the roles, of
    /// equal lengths), so the caller can hand the same chunk on elsewhere without a copy.
    pub fn push_chunk(&mut self, chunk: Chunk) {
        for to in &self.to {
            // A thread that died (a bug) is reported by `finish`.
            let _ = to.send(chunk.clone());
        }
    }

    /// Waits for the threads and returns the analysis, or an error if one of them failed.
    pub fn finish(self) -> Result<Analysis, String> {
        drop(self.to);
        let loudness = self.loudness.join();
        let spectrum = self.spectrum.join();
        match (loudness, spectrum) {
            (Ok((meter, pair, pl)), Ok((analyzer, pr))) => {
                Ok(combine_with_pair(&analyzer, &meter, pair.as_ref(), pl, pr))
            }
            _ => Err("the analysis failed".into()),
        }
    }
}

/// Noise of a given spectral shape, synthesised in the frequency domain: every bin gets the
/// amplitude `10^(gain_db(f)/20)` (relative to pink noise, whose power falls 3 dB per octave)
/// and a random phase, so the long-term spectrum is exactly the shape asked for. The result is
/// scaled to an RMS of `rms`. Deterministic for a `seed`; `len` should be even.
pub fn shaped_noise(
    len: usize,
    sample_rate_hz: f64,
    seed: u64,
    rms: f64,
    gain_db: impl Fn(f64) -> f64,
) -> Vec<f32> {
    let len = len.max(2) & !1;
    let ifft = RealFftPlanner::<f64>::new().plan_fft_inverse(len);
    let mut spectrum = ifft.make_input_vec();
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let bins = spectrum.len();
    for (k, c) in spectrum.iter_mut().enumerate() {
        if k == 0 || k == bins - 1 {
            continue;
        }
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let phase = (state >> 11) as f64 / (1u64 << 53) as f64 * std::f64::consts::TAU;
        let f = k as f64 * sample_rate_hz / len as f64;
        let amp = 10f64.powf(gain_db(f) / 20.0) / f.sqrt();
        *c = Complex::from_polar(amp, phase);
    }
    let mut out = ifft.make_output_vec();
    // The input is built to be valid (real first and last bins), so this cannot fail.
    let _ = ifft.process(&mut spectrum, &mut out);
    let mean_sq = out.iter().map(|x| x * x).sum::<f64>() / len as f64;
    let g = if mean_sq > 0.0 {
        rms / mean_sq.sqrt()
    } else {
        0.0
    };
    out.iter().map(|x| (x * g) as f32).collect()
}

pub use super::checks::{BASS_CHECK_FLOOR_DB, Check, DELIVERY_TARGETS, Status, checks, fmt_opt};
