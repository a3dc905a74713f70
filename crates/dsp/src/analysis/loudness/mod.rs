//! Loudness and true-peak metering to ITU-R BS.1770-5 and EBU R128 (EBU Tech 3341 "EBU Mode",
//! EBU Tech 3342 loudness range).
//!
//! [`LoudnessMeter`] measures, for mono, stereo, 5.0 and 5.1 (LFE excluded, surround channels
//! weighted 1.41) at any sample rate:
//!
//! - momentary (400 ms) and short-term (3 s) loudness, and their maxima evaluated at every
//!   sample (not every 100 ms, which misses the maxima of EBU Tech 3341 cases 13 and 14);
//! - integrated loudness: 400 ms blocks every 100 ms, absolute gate -70 LUFS, relative gate
//!   -10 LU ([`histogram`] explains the constant-memory gating and its 0.01 LU error bound);
//! - loudness range: short-term values every 100 ms, gates -70 LUFS and -20 LU, P95 - P10;
//! - sample peak, true peak (4x oversampling below 96 kHz, 2x above; [`truepeak`]) and PLR.
//!
//! Streaming and real-time safe: memory is fixed at construction (ring buffers for the 400 ms
//! and 3 s windows, fixed histograms), `process` never allocates, and [`LoudnessReadouts`]
//! publishes the values through atomics for a GUI to read without locks.

pub mod histogram;
pub mod kweighting;
pub mod learn;
pub mod truepeak;

use crate::primitives::biquad::{Biquad, BiquadLanes};
use crate::primitives::running_sum::RunningSum;
use atomic_float::AtomicF32;
use histogram::{GatingHistogram, energy_to_lufs};
use std::sync::atomic::Ordering;
use truepeak::TruePeak;

/// Samples per internal pass.
const CHUNK: usize = truepeak::CHUNK;
/// Relative gate for integrated loudness, LU below the absolute-gated loudness.
const INTEGRATED_GATE_LU: f64 = 10.0;
/// Relative gate for loudness range, LU below the absolute-gated short-term loudness.
const LRA_GATE_LU: f64 = 20.0;

/// Linear amplitude to dB (`-inf` for zero).
pub fn amplitude_to_db(amplitude: f64) -> f64 {
    if amplitude > 0.0 {
        20.0 * amplitude.log10()
    } else {
        f64::NEG_INFINITY
    }
}

/// Two channels' K-weighting (shelf and high-pass each) stepped side by side: see
/// [`k_weight_pair`].
struct PairFilter {
    /// Shelf a, shelf b, high-pass a, high-pass b.
    lanes: BiquadLanes<4>,
    /// The lanes' `s1`, then their `s2`.
    state: [[f64; 4]; 2],
    /// The channels' BS.1770 weights.
    weights: [f64; 2],
}

avx_dispatch! {
    /// Two channels through the K-weighting's shelf and high-pass as a software pipeline: step
    /// `t` runs both shelves on sample `t` and both high-passes on the shelves' sample `t - 1`,
    /// so the four recursive sections are independent within a step and share SIMD operations.
    /// The first step runs only the shelves, the last only the high-passes, so the state after
    /// the block is the sample-by-sample cascade's, and each section's arithmetic is
    /// [`Biquad::tick`]'s: the same bits. Adds `w_a a^2 + w_b b^2` of the weighted samples to
    /// `z` (one per input sample).
    fn k_weight_pair(f: &mut PairFilter, x: [&[f32]; 2], z: &mut [f64]) = k_weight_pair_generic;
}

#[inline(always)]
fn k_weight_pair_generic(f: &mut PairFilter, x: [&[f32]; 2], z: &mut [f64]) {
    let [xa, xb] = x;
    let n = z.len().min(xa.len()).min(xb.len());
    if n == 0 {
        return;
    }
    let [wa, wb] = f.weights;
    let add = |z: &mut f64, y: [f64; 4]| {
        let (va, vb) = (y[2], y[3]);
        *z += wa * va * va + wb * vb * vb;
    };
    let (lanes, state) = (&f.lanes, &mut f.state);
    let mut y = lanes.tick_some(
        state,
        [f64::from(xa[0]), f64::from(xb[0]), 0.0, 0.0],
        [true, true, false, false],
    );
    for t in 1..n {
        let next = lanes.tick(state, [f64::from(xa[t]), f64::from(xb[t]), y[0], y[1]]);
        add(&mut z[t - 1], next);
        y = next;
    }
    let last = lanes.tick_some(state, [0.0, 0.0, y[0], y[1]], [false, false, true, true]);
    add(&mut z[n - 1], last);
}

/// What a channel is, which decides its BS.1770 weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelRole {
    /// Mono (weight 1.0).
    Mono,
    /// Left (1.0).
    Left,
    /// Right (1.0).
    Right,
    /// Centre (1.0).
    Center,
    /// Left surround (1.41).
    LeftSurround,
    /// Right surround (1.41).
    RightSurround,
    /// Low-frequency effects: excluded from loudness (0.0), still counted for peaks.
    Lfe,
    /// Any other channel (1.0).
    Other,
}

impl ChannelRole {
    /// The BS.1770 weighting factor G.
    pub fn weight(self) -> f64 {
        match self {
            ChannelRole::LeftSurround | ChannelRole::RightSurround => 1.41,
            ChannelRole::Lfe => 0.0,
            _ => 1.0,
        }
    }

    /// The usual roles for a channel count in WAV/SMPTE order: 1 mono, 2 L R, 5 L R C Ls Rs,
    /// 6 L R C LFE Ls Rs; other counts weight every channel 1.0.
    pub fn for_channel_count(channels: usize) -> Vec<ChannelRole> {
        use ChannelRole::*;
        match channels {
            1 => vec![Mono],
            2 => vec![Left, Right],
            5 => vec![Left, Right, Center, LeftSurround, RightSurround],
            6 => vec![Left, Right, Center, Lfe, LeftSurround, RightSurround],
            n => vec![Other; n],
        }
    }
}

/// A snapshot of every measurement. Loudness of silence is `-inf`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoudnessReport {
    /// Momentary loudness (last 400 ms), LUFS.
    pub momentary_lufs: f64,
    /// Short-term loudness (last 3 s), LUFS.
    pub short_term_lufs: f64,
    /// Integrated (programme) loudness, LUFS.
    pub integrated_lufs: f64,
    /// Loudness range, LU.
    pub loudness_range_lu: f64,
    /// Largest momentary loudness, LUFS.
    pub max_momentary_lufs: f64,
    /// Largest short-term loudness, LUFS.
    pub max_short_term_lufs: f64,
    /// True peak over all channels, dBTP.
    pub true_peak_dbtp: f64,
    /// Sample peak over all channels, dBFS.
    pub sample_peak_dbfs: f64,
    /// Peak-to-loudness ratio: true peak minus integrated loudness, dB.
    pub plr_db: f64,
}

impl LoudnessReport {
    /// The programme figures of this report, `None` where there is nothing to measure
    /// (silence; the loudness range needs an integrated loudness).
    pub fn summary(&self) -> LoudnessSummary {
        let finite = |v: f64| v.is_finite().then_some(v);
        let integrated = finite(self.integrated_lufs);
        LoudnessSummary {
            integrated_lufs: integrated,
            loudness_range_lu: integrated.map(|_| self.loudness_range_lu),
            true_peak_dbtp: finite(self.true_peak_dbtp),
            sample_peak_dbfs: finite(self.sample_peak_dbfs),
            max_momentary_lufs: finite(self.max_momentary_lufs),
            max_short_term_lufs: finite(self.max_short_term_lufs),
            plr_db: finite(self.plr_db),
        }
    }
}

/// A recording's loudness figures as every report shows them: the meter's
/// [`LoudnessReport::summary`], the reference analyzer's `Analysis`, `lathe analyze` and the
/// match report all hold one (flattened in their JSON, so the keys are these field names).
/// `None` where there is nothing to measure.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct LoudnessSummary {
    /// Integrated loudness, LUFS.
    pub integrated_lufs: Option<f64>,
    /// Loudness range, LU.
    pub loudness_range_lu: Option<f64>,
    /// True peak (BS.1770 4x oversampled), dBTP.
    pub true_peak_dbtp: Option<f64>,
    /// Sample peak, dBFS.
    pub sample_peak_dbfs: Option<f64>,
    /// Largest momentary loudness, LUFS.
    pub max_momentary_lufs: Option<f64>,
    /// Largest short-term loudness, LUFS.
    pub max_short_term_lufs: Option<f64>,
    /// Peak-to-loudness ratio (true peak minus integrated loudness), dB.
    pub plr_db: Option<f64>,
}

/// Lock-free copies of a [`LoudnessReport`] for a GUI (values as `f32`, `-inf` for silence).
#[derive(Debug)]
pub struct LoudnessReadouts {
    /// Momentary loudness, LUFS.
    pub momentary_lufs: AtomicF32,
    /// Short-term loudness, LUFS.
    pub short_term_lufs: AtomicF32,
    /// Integrated loudness, LUFS.
    pub integrated_lufs: AtomicF32,
    /// Loudness range, LU.
    pub loudness_range_lu: AtomicF32,
    /// Largest momentary loudness, LUFS.
    pub max_momentary_lufs: AtomicF32,
    /// Largest short-term loudness, LUFS.
    pub max_short_term_lufs: AtomicF32,
    /// True peak, dBTP.
    pub true_peak_dbtp: AtomicF32,
    /// Sample peak, dBFS.
    pub sample_peak_dbfs: AtomicF32,
    /// PLR, dB.
    pub plr_db: AtomicF32,
}

impl Default for LoudnessReadouts {
    fn default() -> Self {
        let silent = || AtomicF32::new(f32::NEG_INFINITY);
        Self {
            momentary_lufs: silent(),
            short_term_lufs: silent(),
            integrated_lufs: silent(),
            loudness_range_lu: AtomicF32::new(0.0),
            max_momentary_lufs: silent(),
            max_short_term_lufs: silent(),
            true_peak_dbtp: silent(),
            sample_peak_dbfs: silent(),
            plr_db: AtomicF32::new(f32::NEG_INFINITY),
        }
    }
}

impl LoudnessReadouts {
    /// Stores a report.
    pub fn store(&self, r: &LoudnessReport) {
        let set = |a: &AtomicF32, v: f64| a.store(v as f32, Ordering::Relaxed);
        set(&self.momentary_lufs, r.momentary_lufs);
        set(&self.short_term_lufs, r.short_term_lufs);
        set(&self.integrated_lufs, r.integrated_lufs);
        set(&self.loudness_range_lu, r.loudness_range_lu);
        set(&self.max_momentary_lufs, r.max_momentary_lufs);
        set(&self.max_short_term_lufs, r.max_short_term_lufs);
        set(&self.true_peak_dbtp, r.true_peak_dbtp);
        set(&self.sample_peak_dbfs, r.sample_peak_dbfs);
        set(&self.plr_db, r.plr_db);
    }
}

/// A loudness window (400 ms or 3 s of weighted power) and its largest sum so far.
#[derive(Debug, Clone)]
struct SlidingSum {
    window: RunningSum,
    max_sum: f64,
}

impl SlidingSum {
    fn new(len: usize) -> Self {
        Self {
            window: RunningSum::new(len, 0.0),
            max_sum: 0.0,
        }
    }

    fn reset(&mut self) {
        self.window.reset();
        self.max_sum = 0.0;
    }

    fn len(&self) -> usize {
        self.window.len()
    }

    fn sum(&self) -> f64 {
        self.window.sum()
    }

    /// Adds values to two windows (the momentary and the short-term one), each value rounded
    /// to f32 once (so what is added is exactly what is later removed), keeping each window's
    /// largest sum. Both in one loop: their sums are independent chains that overlap.
    #[inline(always)]
    fn push_all_both(a: &mut Self, b: &mut Self, z: &[f64]) {
        let (mut max_a, mut max_b) = (a.max_sum, b.max_sum);
        RunningSum::push_each_pair(
            &mut a.window,
            &mut b.window,
            z.iter().map(|&v| v as f32),
            |sa, sb| {
                if sa > max_a {
                    max_a = sa;
                }
                if sb > max_b {
                    max_b = sb;
                }
            },
        );
        (a.max_sum, b.max_sum) = (max_a, max_b);
    }

    fn mean(&self) -> f64 {
        self.sum().max(0.0) / self.len() as f64
    }

    fn max_mean(&self) -> f64 {
        self.max_sum / self.len() as f64
    }
}

/// A BS.1770-5 / EBU R128 loudness meter. See the [module documentation](self).
///
/// ```
/// use lathe_dsp::LoudnessMeter;
///
/// // EBU Tech 3341 test 1: a 1 kHz sine at -23 dBFS in both channels reads -23.0 LUFS.
/// let sr = 48_000.0;
/// let amplitude = 10f64.powf(-23.0 / 20.0);
/// let sine: Vec<f32> = (0..(20.0 * sr) as usize)
///     .map(|i| (amplitude * (2.0 * std::f64::consts::PI * 1_000.0 * i as f64 / sr).sin()) as f32)
///     .collect();
/// let mut meter = LoudnessMeter::for_channels(sr, 2);
/// meter.process(&[&sine, &sine]);
/// assert!((meter.integrated_lufs() + 23.0).abs() < 0.1);
/// assert!(meter.report().summary().integrated_lufs.is_some());
/// ```
#[derive(Debug, Clone)]
pub struct LoudnessMeter {
    sample_rate_hz: f64,
    roles: Vec<ChannelRole>,
    filters: Vec<[Biquad; 2]>,
    true_peaks: Vec<TruePeak>,
    measure_peaks: bool,
    z: Vec<f64>,
    deinterleaved: Vec<Vec<f32>>,
    momentary: SlidingSum,
    short_term: SlidingSum,
    step_samples: u64,
    total_samples: u64,
    next_block_end: u64,
    next_short_term_end: u64,
    blocks: GatingHistogram,
    short_terms: GatingHistogram,
}

impl LoudnessMeter {
    /// A meter for the given sample rate and channels.
    pub fn new(sample_rate_hz: f64, roles: &[ChannelRole]) -> Self {
        let mut meter = Self {
            sample_rate_hz,
            roles: roles.to_vec(),
            filters: Vec::new(),
            true_peaks: Vec::new(),
            measure_peaks: true,
            z: vec![0.0; CHUNK],
            deinterleaved: vec![vec![0.0; CHUNK]; roles.len()],
            momentary: SlidingSum::new(1),
            short_term: SlidingSum::new(1),
            step_samples: 1,
            total_samples: 0,
            next_block_end: 0,
            next_short_term_end: 0,
            blocks: GatingHistogram::new(),
            short_terms: GatingHistogram::new(),
        };
        meter.set_sample_rate(sample_rate_hz);
        meter
    }

    /// A meter for `channels` channels with the usual roles ([`ChannelRole::for_channel_count`]).
    pub fn for_channels(sample_rate_hz: f64, channels: usize) -> Self {
        Self::new(sample_rate_hz, &ChannelRole::for_channel_count(channels))
    }

    /// Redesigns the filters and windows for a sample rate (allocates) and resets.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.sample_rate_hz = sample_rate_hz;
        let shelf = kweighting::shelf(sample_rate_hz);
        let highpass = kweighting::highpass(sample_rate_hz);
        self.filters = vec![[Biquad::new(shelf), Biquad::new(highpass)]; self.roles.len()];
        self.true_peaks = vec![TruePeak::new(sample_rate_hz); self.roles.len()];
        let samples = |seconds: f64| ((seconds * sample_rate_hz).round() as usize).max(1);
        self.momentary = SlidingSum::new(samples(0.4));
        self.short_term = SlidingSum::new(samples(3.0));
        self.step_samples = samples(0.1) as u64;
        self.reset();
    }

    /// The sample rate the meter is set up for.
    pub fn sample_rate_hz(&self) -> f64 {
        self.sample_rate_hz
    }

    /// Number of channels.
    pub fn channels(&self) -> usize {
        self.roles.len()
    }

    /// Clears everything, integrated history included.
    pub fn reset(&mut self) {
        for [a, b] in &mut self.filters {
            a.reset();
            b.reset();
        }
        for tp in &mut self.true_peaks {
            tp.reset();
        }
        self.momentary.reset();
        self.short_term.reset();
        self.total_samples = 0;
        self.next_block_end = self.momentary.len() as u64;
        self.next_short_term_end = self.short_term.len() as u64;
        self.blocks.clear();
        self.short_terms.clear();
    }

    /// Clears the maxima (max momentary, max short-term, peaks), keeping integrated loudness
    /// and loudness range.
    pub fn reset_maxima(&mut self) {
        self.momentary.max_sum = self.momentary.sum().max(0.0);
        self.short_term.max_sum = self.short_term.sum().max(0.0);
        for tp in &mut self.true_peaks {
            tp.reset_peak();
        }
    }

    /// Turns true-peak and sample-peak measurement on (the default) or off. Off, the peaks read
    /// `-inf`; an offline analysis measures them on another thread ([`TruePeak`]) to halve the
    /// wall-clock time.
    pub fn set_peaks_enabled(&mut self, enabled: bool) {
        self.measure_peaks = enabled;
    }

    /// Duration measured so far, in samples.
    pub fn samples_processed(&self) -> u64 {
        self.total_samples
    }

    /// Feeds planar audio: one slice per channel, equal lengths. Extra slices are ignored.
    pub fn process(&mut self, channels: &[&[f32]]) {
        let len = channels.first().map_or(0, |c| c.len());
        let mut start = 0;
        while start < len {
            let end = (start + CHUNK).min(len);
            self.process_chunk(channels, start, end);
            start = end;
        }
    }

    /// Feeds interleaved audio with [`Self::channels`] channels per frame.
    pub fn process_interleaved(&mut self, samples: &[f32]) {
        let channels = self.roles.len();
        if channels == 0 {
            return;
        }
        let mut scratch = std::mem::take(&mut self.deinterleaved);
        for frames in samples.chunks(CHUNK * channels) {
            let n = frames.len() / channels;
            for (c, buf) in scratch.iter_mut().enumerate() {
                for (i, x) in buf[..n].iter_mut().enumerate() {
                    *x = frames[i * channels + c];
                }
            }
            self.process_chunk(&scratch, 0, n);
        }
        self.deinterleaved = scratch;
    }

    fn process_chunk<C: AsRef<[f32]>>(&mut self, channels: &[C], start: usize, end: usize) {
        let n = end - start;
        self.z[..n].fill(0.0);
        let count = channels.len().min(self.roles.len());
        if self.measure_peaks {
            for (ch, tp) in channels.iter().zip(self.true_peaks.iter_mut()) {
                tp.process(&ch.as_ref()[start..end]);
            }
        }
        // Weighted channels, filtered two at a time: the two recursive chains are independent,
        // so the CPU overlaps them (a single biquad chain is latency-bound).
        let mut active = [0usize; 2];
        let mut pending = 0;
        for c in 0..count {
            if self.roles[c].weight() == 0.0 {
                continue;
            }
            active[pending] = c;
            pending += 1;
            if pending == 2 {
                self.filter_pair(channels, active, start, end);
                pending = 0;
            }
        }
        if pending == 1 {
            let c = active[0];
            let w = self.roles[c].weight();
            let [shelf, highpass] = &mut self.filters[c];
            for (zi, &s) in self.z[..n]
                .iter_mut()
                .zip(&channels[c].as_ref()[start..end])
            {
                let y = highpass.tick(shelf.tick(s as f64));
                *zi += w * y * y;
            }
            shelf.flush_denormals();
            highpass.flush_denormals();
        }
        let m_len = self.momentary.len() as f64;
        let s_len = self.short_term.len() as f64;
        // Runs of samples up to the next block or short-term end, each window pushed over a
        // run in a tight loop (the same values in the same order as one sample at a time).
        let mut at = 0;
        while at < n {
            let until = |end: u64| match end.checked_sub(self.total_samples) {
                Some(d) if d > 0 => d,
                _ => u64::MAX,
            };
            let run = until(self.next_block_end)
                .min(until(self.next_short_term_end))
                .min((n - at) as u64) as usize;
            let z = &self.z[at..at + run];
            SlidingSum::push_all_both(&mut self.momentary, &mut self.short_term, z);
            self.total_samples += run as u64;
            at += run;
            if self.total_samples == self.next_block_end {
                self.blocks.add(self.momentary.sum().max(0.0) / m_len);
                self.next_block_end += self.step_samples;
            }
            if self.total_samples == self.next_short_term_end {
                self.short_terms.add(self.short_term.sum().max(0.0) / s_len);
                self.next_short_term_end += self.step_samples;
            }
        }
    }

    /// K-weights channels `pair[0]` and `pair[1]` together and adds their weighted squares to
    /// the chunk's power sum.
    fn filter_pair<C: AsRef<[f32]>>(
        &mut self,
        channels: &[C],
        pair: [usize; 2],
        start: usize,
        end: usize,
    ) {
        let [a, b] = pair;
        let weights = [self.roles[a].weight(), self.roles[b].weight()];
        let (fa, fb) = {
            let (lo, hi) = self.filters.split_at_mut(b);
            (&mut lo[a], &mut hi[0])
        };
        let x = [
            &channels[a].as_ref()[start..end],
            &channels[b].as_ref()[start..end],
        ];
        // Lanes: both shelves, then both high-passes.
        let sections = [&fa[0], &fb[0], &fa[1], &fb[1]];
        let states = sections.map(Biquad::state);
        let mut pair = PairFilter {
            lanes: BiquadLanes::new(sections.map(|f| &f.coefficients)),
            state: [states.map(|s| s[0]), states.map(|s| s[1])],
            weights,
        };
        k_weight_pair(&mut pair, x, &mut self.z[..end - start]);
        let ([sa, ha], [sb, hb]) = (fa, fb);
        for (i, f) in [sa, sb, ha, hb].into_iter().enumerate() {
            f.set_state([pair.state[0][i], pair.state[1][i]]);
            f.flush_denormals();
        }
    }

    /// Momentary loudness (last 400 ms), LUFS.
    pub fn momentary_lufs(&self) -> f64 {
        energy_to_lufs(self.momentary.mean())
    }

    /// Short-term loudness (last 3 s), LUFS.
    pub fn short_term_lufs(&self) -> f64 {
        energy_to_lufs(self.short_term.mean())
    }

    /// Integrated loudness, LUFS (`-inf` until a block passes the gates).
    pub fn integrated_lufs(&self) -> f64 {
        self.blocks.gated_mean_lufs(INTEGRATED_GATE_LU)
    }

    /// Loudness range, LU.
    pub fn loudness_range_lu(&self) -> f64 {
        self.short_terms.loudness_range_lu(LRA_GATE_LU)
    }

    /// Largest momentary loudness since the last reset, LUFS.
    pub fn max_momentary_lufs(&self) -> f64 {
        energy_to_lufs(self.momentary.max_mean())
    }

    /// Largest short-term loudness since the last reset, LUFS.
    pub fn max_short_term_lufs(&self) -> f64 {
        energy_to_lufs(self.short_term.max_mean())
    }

    /// True peak of one channel, dBTP.
    pub fn channel_true_peak_dbtp(&self, channel: usize) -> f64 {
        amplitude_to_db(self.true_peaks[channel].peak() as f64)
    }

    /// True peak over all channels, dBTP.
    pub fn true_peak_dbtp(&self) -> f64 {
        self.loudest_channel_db(TruePeak::peak)
    }

    /// Sample peak over all channels, dBFS.
    pub fn sample_peak_dbfs(&self) -> f64 {
        self.loudest_channel_db(TruePeak::sample_peak)
    }

    /// The largest of a peak over the channels, dB.
    fn loudest_channel_db(&self, peak: fn(&TruePeak) -> f32) -> f64 {
        let loudest = self.true_peaks.iter().map(peak).fold(0.0f32, f32::max);
        amplitude_to_db(loudest as f64)
    }

    /// Every measurement at once.
    pub fn report(&self) -> LoudnessReport {
        let integrated = self.integrated_lufs();
        let true_peak = self.true_peak_dbtp();
        LoudnessReport {
            momentary_lufs: self.momentary_lufs(),
            short_term_lufs: self.short_term_lufs(),
            integrated_lufs: integrated,
            loudness_range_lu: self.loudness_range_lu(),
            max_momentary_lufs: self.max_momentary_lufs(),
            max_short_term_lufs: self.max_short_term_lufs(),
            true_peak_dbtp: true_peak,
            sample_peak_dbfs: self.sample_peak_dbfs(),
            plr_db: if integrated.is_finite() {
                true_peak - integrated
            } else {
                f64::NEG_INFINITY
            },
        }
    }

    /// The report of several programmes measured as one (an album, EBU Tech 3343's "album
    /// loudness"): integrated loudness and loudness range gated over every meter's blocks
    /// together, as if the programmes played one after the other with no block spanning two
    /// of them; peaks and maxima the largest of any. `-inf` figures for no meters.
    pub fn combined_report(meters: &[&LoudnessMeter]) -> LoudnessReport {
        let mut blocks = GatingHistogram::new();
        let mut short_terms = GatingHistogram::new();
        for m in meters {
            blocks.merge(&m.blocks);
            short_terms.merge(&m.short_terms);
        }
        let most = |f: fn(&LoudnessMeter) -> f64| {
            meters
                .iter()
                .map(|m| f(m))
                .fold(f64::NEG_INFINITY, f64::max)
        };
        let integrated = blocks.gated_mean_lufs(INTEGRATED_GATE_LU);
        let true_peak = most(LoudnessMeter::true_peak_dbtp);
        LoudnessReport {
            momentary_lufs: f64::NEG_INFINITY,
            short_term_lufs: f64::NEG_INFINITY,
            integrated_lufs: integrated,
            loudness_range_lu: short_terms.loudness_range_lu(LRA_GATE_LU),
            max_momentary_lufs: most(LoudnessMeter::max_momentary_lufs),
            max_short_term_lufs: most(LoudnessMeter::max_short_term_lufs),
            true_peak_dbtp: true_peak,
            sample_peak_dbfs: most(LoudnessMeter::sample_peak_dbfs),
            plr_db: if integrated.is_finite() {
                true_peak - integrated
            } else {
                f64::NEG_INFINITY
            },
        }
    }

    /// Publishes every measurement to lock-free readouts (cheap enough for every 100 ms).
    pub fn publish(&self, readouts: &LoudnessReadouts) {
        readouts.store(&self.report());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pipelined K-weighting of two channels gives, to the bit, what the two cascades give
    /// one sample at a time: the same weighted squares and the same filter state after every
    /// block, for blocks of 1 (only the pipeline's partial steps) to a whole chunk. Stepping
    /// the high-passes in the first step (before they have a sample) fails.
    #[test]
    fn pipelined_pair_is_the_sample_by_sample_cascade() {
        let sr = 44_100.0;
        let (shelf, highpass) = (kweighting::shelf(sr), kweighting::highpass(sr));
        let signal = |seed| crate::analysis::reference::shaped_noise(3000, sr, seed, 0.3, |_| 0.0);
        let (xa, xb) = (signal(7), signal(99));
        let w = [1.0, 1.41];
        for block in [1usize, 2, 3, 100, CHUNK] {
            let mut plain = [[Biquad::new(shelf), Biquad::new(highpass)]; 2];
            let mut pair = PairFilter {
                lanes: BiquadLanes::new([&shelf, &shelf, &highpass, &highpass]),
                state: [[0.0f64; 4]; 2],
                weights: w,
            };
            for start in (0..xa.len()).step_by(block) {
                let end = (start + block).min(xa.len());
                let mut z = vec![0.0f64; end - start];
                k_weight_pair(&mut pair, [&xa[start..end], &xb[start..end]], &mut z);
                for (i, zi) in z.iter().enumerate() {
                    let [[sa, ha], [sb, hb]] = &mut plain;
                    let va = ha.tick(sa.tick(f64::from(xa[start + i])));
                    let vb = hb.tick(sb.tick(f64::from(xb[start + i])));
                    let expected = 0.0 + (w[0] * va * va + w[1] * vb * vb);
                    assert_eq!(
                        zi.to_bits(),
                        expected.to_bits(),
                        "block {block}, sample {start}+{i}"
                    );
                }
                let sections = [&plain[0][0], &plain[1][0], &plain[0][1], &plain[1][1]];
                for (lane, f) in sections.into_iter().enumerate() {
                    assert_eq!(
                        f.state(),
                        [pair.state[0][lane], pair.state[1][lane]],
                        "block {block}"
                    );
                }
            }
        }
    }
}
