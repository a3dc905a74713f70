//! Lathe Limiter's signal path: drive, oversampled soft clip and true-peak lookahead limiting,
//! output trim, loudness-matched monitoring and dither.
//!
//! ```text
//! input trim (drive) -> upsample xN -> [soft clip] -> lookahead limiter -> downsample
//!   -> sample clamp at the ceiling -> output trim (<= 0 dB) -> [unity-gain monitor] -> [dither]
//! ```
//!
//! True-peak control follows ITU-R BS.1770-5 Annex 2's observation that inter-sample peaks are
//! found by oversampling: detection and gain application both run at N times the rate
//! ([`crate::filters::oversampling`]), so the limiter sees (and holds) the reconstructed waveform, not
//! just the samples. The gain core is [`crate::dynamics::peak_limiter::PeakLimiter`]. The oversampled ceiling
//! sits a small, factor-dependent [`margin_db`] below the user's ceiling to absorb the ripple of
//! the decimation filter; the output is finally clamped to the ceiling, so no output sample can
//! ever pass it.
//!
//! Every oversampling factor has its own oversampler and limiter, allocated up front, so
//! switching the factor on the audio thread never allocates (it resets the newly chosen stage
//! and changes the latency, which the plugin reports to the host).

use crate::Block;
use crate::analysis::loudness::kweighting;
use crate::analysis::loudness::truepeak::TruePeak;
use crate::chains::{CHUNK_SAMPLES, Core, IoSettings, MAX_CHANNELS};
use crate::color::dither::{Dither, DitherDepth, DitherSettings};
use crate::dynamics::peak_limiter::{PeakLimiter, PeakLimiterSettings};
use crate::filters::oversampling::Oversampler;
use crate::math::{db_to_gain, fast_max};
use crate::primitives::biquad::Biquad;
use crate::primitives::delay::DelayLine;

/// Oversampling choices for true-peak limiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Oversampling {
    /// No oversampling: sample-peak limiting only.
    X1,
    /// 2x.
    X2,
    /// 4x (default): true peak held as a BS.1770 meter reads it.
    #[default]
    X4,
    /// 8x.
    X8,
    /// 16x.
    X16,
}

impl Oversampling {
    /// All choices, lowest first.
    pub const ALL: [Oversampling; 5] = [
        Oversampling::X1,
        Oversampling::X2,
        Oversampling::X4,
        Oversampling::X8,
        Oversampling::X16,
    ];

    /// The factor, 1 to 16.
    pub fn factor(self) -> usize {
        1 << self.index()
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Envelope samples kept for the meter-aware detector (more than any upsampling delay plus
/// the reach).
const METER_HISTORY: usize = 64;
/// Base samples on each side of a meter point over which its requirement applies: the half
/// span of the BS.1770 interpolation filter (12 taps), plus one.
const METER_REACH: usize = 7;

/// What a BS.1770 4x true-peak meter will read, per base-rate sample and channel, aligned with
/// the oversampled signal. The meter's interpolation filter has up to ±0.24 dB of ripple, so it
/// can read above the true waveform; the limiter holds both.
#[derive(Debug, Clone)]
struct MeterDetector {
    meters: Vec<TruePeak>,
    /// Per channel: METER_HISTORY past envelope values, then one chunk.
    history: Vec<Vec<f32>>,
    scratch: Vec<f32>,
    /// Sliding-maximum workspaces (passes alternate between them).
    work: Vec<f32>,
    work_b: Vec<f32>,
    /// Per channel, the aligned (and dilated) meter level of each sample of the chunk.
    levels: Vec<Vec<f32>>,
}

impl MeterDetector {
    fn new(channels: usize, sample_rate_hz: f64) -> Self {
        Self {
            meters: (0..channels)
                .map(|_| TruePeak::new(sample_rate_hz))
                .collect(),
            history: vec![vec![0.0; METER_HISTORY + CHUNK_SAMPLES]; channels],
            scratch: vec![0.0; CHUNK_SAMPLES],
            work: vec![0.0; CHUNK_SAMPLES + METER_HISTORY],
            work_b: vec![0.0; CHUNK_SAMPLES + METER_HISTORY],
            levels: vec![vec![0.0; CHUNK_SAMPLES]; channels],
        }
    }

    fn reset(&mut self) {
        for m in &mut self.meters {
            m.reset();
        }
        for h in &mut self.history {
            h.fill(0.0);
        }
    }

    /// Range of envelope lags `(min, max)` whose meter points lie within the meter filter's
    /// reach of the high-rate samples of base sample `n`, for an upsampling delay `d`; `None`
    /// when the signal is not delayed enough (1x).
    ///
    /// Why the reach: a meter point is a weighted sum of the 12 samples around it. If the gain
    /// varied across them, the output's meter reading would not be the gain times the input's.
    /// Requiring the meter's level from every period within [`METER_REACH`] samples makes the
    /// limiter's gain flat across the filter, so the output reads exactly the gain times the
    /// input's reading, which the gain holds under the ceiling.
    fn lags(d: f64) -> Option<(usize, usize)> {
        let offset = TruePeak::ENVELOPE_OFFSET as f64;
        let reach = METER_REACH as f64;
        // Envelope k covers (k - 6, k - 5); high-rate samples of n lie in [n - d, n - d + 1).
        let lo = (-d).floor() + offset - 1.0 - reach;
        let hi = (-d + 1.0).floor() + offset + 1.0 + reach;
        (hi <= 0.0 && -lo < METER_HISTORY as f64).then(|| (-hi as usize, -lo as usize))
    }

    fn process<X: AsRef<[f32]>>(&mut self, main: &[X], lags: (usize, usize)) {
        let n = main.first().map_or(0, |c| c.as_ref().len());
        let (lag_min, lag_max) = lags;
        for (c, x) in main.iter().enumerate() {
            let env = &mut self.scratch[..n];
            self.meters[c].envelope(x.as_ref(), env);
            let h = &mut self.history[c];
            h[METER_HISTORY..METER_HISTORY + n].copy_from_slice(env);
            // levels[i] = max(h[base + i .. base + i + w]): a sliding maximum by doubling
            // (after each pass, work[i] is the maximum of the next `k` values), then two
            // overlapping windows of `k` cover `w`.
            let w = lag_max - lag_min + 1;
            let base = METER_HISTORY - lag_max;
            let len = n + w - 1;
            // Each pass reads one buffer and writes the other: with distinct slices the loop
            // vectorises (in place, the compiler cannot prove the shifted reads safe).
            let (mut cur, mut next) = (&mut self.work[..], &mut self.work_b[..]);
            cur[..len].copy_from_slice(&h[base..base + len]);
            let mut valid = len;
            let mut k = 1;
            while 2 * k <= w {
                valid -= k;
                for ((d, &a), &b) in next[..valid].iter_mut().zip(&cur[..valid]).zip(&cur[k..]) {
                    *d = fast_max(a, b);
                }
                std::mem::swap(&mut cur, &mut next);
                k *= 2;
            }
            for ((level, &a), &b) in self.levels[c][..n]
                .iter_mut()
                .zip(&cur[..n])
                .zip(&cur[w - k..])
            {
                *level = fast_max(a, b);
            }
            h.copy_within(n..n + METER_HISTORY, 0);
        }
    }
}

/// Safety margin (dB) between the user's ceiling and the ceiling the oversampled limiter
/// holds. It absorbs what the limiter cannot see from the oversampled domain: the decimation
/// filter's overshoot and the BS.1770 meter's own interpolation error under fast gain changes.
/// Set from measurement (`crates/dsp/tests/dsp/chains_limiter.rs`): with 0.07 dB, 20 s of pink
/// noise limited by 8-12 dB still read +0.085 dB on a 4x meter; with 0.17 dB the worst reading
/// on all test material is -0.015 dB (pink noise) and +0.000 dB (EBU and synthetic cases).
pub fn margin_db(oversampling: Oversampling) -> f32 {
    match oversampling {
        Oversampling::X1 => 0.0,
        _ => 0.17,
    }
}

/// Settings of [`LimiterCore`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimiterSettings {
    /// Output ceiling, dBTP (dBFS sample peak at 1x), -12 to 0.
    pub ceiling_db: f32,
    /// Release (slow, sustained stage) time, ms.
    pub release_ms: f32,
    /// Lookahead (attack) time, ms; part of the latency.
    pub lookahead_ms: f32,
    /// Stereo link 0 (independent) to 1 (one gain for all channels).
    pub link: f32,
    /// Oversampling for true-peak detection and gain application.
    pub oversampling: Oversampling,
    /// Soft-clip peaks above the ceiling (oversampled) before the limiter.
    pub soft_clip: bool,
    /// Output word length for dither.
    pub dither: DitherDepth,
    /// Noise-shape the dither.
    pub noise_shaping: bool,
    /// Loudness-matched monitoring: output at the input's loudness, to judge the limiting
    /// without the bias of "louder sounds better". For listening only, never for rendering.
    pub unity_gain: bool,
}

impl Default for LimiterSettings {
    fn default() -> Self {
        Self {
            ceiling_db: -1.0,
            release_ms: 150.0,
            lookahead_ms: 1.5,
            link: 1.0,
            oversampling: Oversampling::X4,
            soft_clip: false,
            dither: DitherDepth::Off,
            noise_shaping: false,
            unity_gain: false,
        }
    }
}

/// The soft clipper: transparent up to `threshold`, then a tanh knee that approaches
/// `2 * threshold` (+6 dB) asymptotically, with a continuous slope at the threshold.
#[inline(always)]
pub fn soft_clip(x: f32, threshold: f32) -> f32 {
    let a = x.abs();
    if a <= threshold {
        x
    } else {
        // Width of the knee region: the asymptote minus the threshold.
        let w = threshold;
        (threshold + w * ((a - threshold) / w).tanh()).copysign(x)
    }
}

/// Time constant of the loudness trackers of the unity-gain monitor, s.
const MONITOR_TAU_S: f64 = 1.5;
/// Below this mean square (about -70 LUFS) the monitor holds its gain.
const MONITOR_GATE: f64 = 1e-7;
/// The monitor never boosts by more than this, dB.
const MONITOR_MAX_BOOST_DB: f32 = 12.0;

/// K-weighted one-pole loudness tracker for one signal point.
#[derive(Debug, Clone)]
struct LoudnessTracker {
    filters: Vec<[Biquad; 2]>,
    coefficient: f64,
    power: f64,
}

impl LoudnessTracker {
    fn new(channels: usize, sample_rate_hz: f64) -> Self {
        let shelf = kweighting::shelf(sample_rate_hz);
        let hp = kweighting::highpass(sample_rate_hz);
        Self {
            filters: (0..channels)
                .map(|_| [Biquad::new(shelf), Biquad::new(hp)])
                .collect(),
            coefficient: 1.0 - crate::math::one_pole_pole(MONITOR_TAU_S * 1e3, sample_rate_hz),
            power: 0.0,
        }
    }

    fn reset(&mut self) {
        for f in &mut self.filters {
            f[0].reset();
            f[1].reset();
        }
        self.power = 0.0;
    }

    /// Mean square of the block, K-weighted and summed over channels, folded into the
    /// smoothed power with the block's length.
    fn process(&mut self, channels: &[&mut [f32]]) {
        let len = channels.first().map_or(0, |c| c.len());
        if len == 0 {
            return;
        }
        let mut sum = 0.0f64;
        for (ch, f) in channels.iter().zip(self.filters.iter_mut()) {
            for &x in ch.iter() {
                let shelved = f[0].tick(x as f64);
                let y = f[1].tick(shelved);
                sum += y * y;
            }
            f[0].flush_denormals();
            f[1].flush_denormals();
        }
        let mean = sum / len as f64;
        let k = 1.0 - (1.0 - self.coefficient).powi(len as i32);
        self.power += k * (mean - self.power);
    }
}

/// Loudness-matched monitoring: measures the loudness before the drive and after the output
/// trim and applies the difference, ramped per block.
#[derive(Debug, Clone)]
struct UnityMonitor {
    before: LoudnessTracker,
    after: LoudnessTracker,
    gain: f32,
    active: bool,
}

impl UnityMonitor {
    fn new(channels: usize, sample_rate_hz: f64) -> Self {
        Self {
            before: LoudnessTracker::new(channels, sample_rate_hz),
            after: LoudnessTracker::new(channels, sample_rate_hz),
            gain: 1.0,
            active: false,
        }
    }

    fn reset(&mut self) {
        self.before.reset();
        self.after.reset();
        self.active = false;
    }
}

/// Lathe Limiter's core. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct LimiterCore {
    settings: LimiterSettings,
    sample_rate_hz: f64,
    channels: usize,
    oversamplers: Vec<Oversampler>,
    /// At 1x the whole limiter; above, the gain computer at the base rate.
    limiter: PeakLimiter,
    active: usize,
    high: Vec<Vec<f32>>,
    /// Delays the oversampled audio by the gain computer's latency plus one base period.
    high_delay: DelayLine,
    levels: Vec<Vec<f32>>,
    gains: Vec<Vec<f32>>,
    previous_gain: [f32; MAX_CHANNELS],
    front: Front,
    /// Set by [`LimiterCore::detach_detector`]: the detection half runs elsewhere and each
    /// block's result arrives through [`LimiterCore::supply_detection`].
    detached: bool,
    supplied: Option<Detection>,
    ceiling: f32,
    drive: f32,
    monitor: UnityMonitor,
    dither: Dither,
    clipped_min_gain: f32,
}

impl LimiterCore {
    fn limiter_settings(&self, os: Oversampling) -> PeakLimiterSettings {
        let s = &self.settings;
        PeakLimiterSettings {
            ceiling_db: s.ceiling_db.clamp(-12.0, 0.0) - margin_db(os),
            lookahead_ms: s.lookahead_ms,
            release_ms: s.release_ms,
            link: s.link,
        }
    }

    fn build(&mut self) {
        let sr = self.sample_rate_hz;
        let ch = self.channels;
        self.oversamplers = Oversampling::ALL
            .iter()
            .map(|os| Oversampler::new(ch, os.factor()))
            .collect();
        self.limiter = PeakLimiter::new(ch, sr, self.limiter_settings(self.settings.oversampling));
        let max_high_delay = (self.limiter.max_latency() as usize + 1) * 16;
        self.high_delay = DelayLine::new(ch, max_high_delay);
        self.high = vec![vec![0.0; CHUNK_SAMPLES * 16]; ch];
        self.levels = vec![vec![0.0; CHUNK_SAMPLES]; ch];
        self.gains = vec![vec![1.0; CHUNK_SAMPLES]; ch];
        self.front.meter = MeterDetector::new(ch, sr);
        self.monitor = UnityMonitor::new(ch, sr);
        self.clear_paths();
        self.apply();
    }

    /// Clears the oversampled path's state (on reset and when the factor changes).
    fn clear_paths(&mut self) {
        self.oversamplers[self.active].reset();
        self.limiter.reset();
        self.high_delay.reset();
        self.front.meter.reset();
        self.front.previous_level = [0.0; MAX_CHANNELS];
        self.previous_gain = [1.0; MAX_CHANNELS];
    }

    fn apply(&mut self) {
        let s = self.settings;
        let index = s.oversampling.index();
        let ls = self.limiter_settings(s.oversampling);
        self.limiter.set_settings(&ls);
        if index != self.active {
            self.active = index;
            self.clear_paths();
        }
        let f = s.oversampling.factor();
        self.high_delay
            .set_delay((self.limiter.latency() as usize + 1) * f);
        self.ceiling = db_to_gain(s.ceiling_db.clamp(-12.0, 0.0));
        // With unity gain on, the output is for listening: do not clamp it to the ceiling.
        let limit = if s.unity_gain { 1.0 } else { self.ceiling };
        self.dither.set_settings(&DitherSettings {
            depth: s.dither,
            shaping: s.noise_shaping,
            limit,
        });
    }

    /// The settings in use.
    pub fn settings(&self) -> &LimiterSettings {
        &self.settings
    }

    /// The latency the given settings produce, in samples at the current rate.
    pub fn latency_for(&self, settings: &LimiterSettings) -> u32 {
        let os = settings.oversampling;
        let mut ls = self.limiter_settings(os);
        ls.lookahead_ms = settings.lookahead_ms;
        let lookahead = self.limiter.latency_for(&ls);
        if os.factor() == 1 {
            lookahead
        } else {
            // Oversampling filters, lookahead, and one base period for gain interpolation.
            self.oversamplers[os.index()].latency() + lookahead + 1
        }
    }

    /// The smallest gain the limiter (or the soft clipper) applied since the last call
    /// (linear), for meters.
    pub fn take_min_gain(&mut self) -> f32 {
        let g = self.limiter.take_min_gain();
        std::mem::replace(&mut self.clipped_min_gain, 1.0).min(g)
    }

    /// The gain the unity-gain monitor currently applies, dB (0 when off).
    pub fn monitor_gain_db(&self) -> f32 {
        if self.settings.unity_gain {
            20.0 * self.monitor.gain.log10()
        } else {
            0.0
        }
    }

    fn process_chunk(&mut self, main: &mut [&mut [f32]]) {
        let n = main.first().map_or(0, |c| c.len());
        let channels = main.len().min(self.channels);
        let ceiling = self.ceiling;
        let f = self.oversamplers[self.active].factor();
        if f == 1 {
            self.limiter.process(main);
        } else if self.detached {
            let mut d = self
                .supplied
                .take()
                .expect("a detached limiter runs only on supplied detections");
            let at = d.used;
            assert!(
                at + n <= d.frames,
                "the supplied detection is shorter than the block"
            );
            let mut high: [&mut [f32]; MAX_CHANNELS] = Default::default();
            for (h, v) in high.iter_mut().zip(d.high.iter_mut()) {
                *h = &mut v[at * f..(at + n) * f];
            }
            let mut gains: [&[f32]; MAX_CHANNELS] = Default::default();
            for (g, v) in gains.iter_mut().zip(d.gains.iter()) {
                *g = &v[at..at + n];
            }
            self.apply_gains(main, &mut high[..channels], &gains[..channels]);
            d.used += n;
            // The smallest gain the soft clip and the gain computer applied (the detector's
            // gain computer ran on the other thread): what `take_min_gain` reports.
            self.clipped_min_gain = self.clipped_min_gain.min(d.min_gain[at / CHUNK_SAMPLES]);
            self.supplied = Some(d);
        } else {
            let mut high_v = std::mem::take(&mut self.high);
            let mut levels_v = std::mem::take(&mut self.levels);
            let mut high: [&mut [f32]; MAX_CHANNELS] = Default::default();
            for (h, v) in high.iter_mut().zip(high_v.iter_mut()) {
                *h = &mut v[..n * f];
            }
            let mut levels: [&mut [f32]; MAX_CHANNELS] = Default::default();
            for (l, v) in levels.iter_mut().zip(levels_v.iter_mut()) {
                *l = &mut v[..n];
            }
            let internal = db_to_gain(self.limiter.settings().ceiling_db);
            let clip = self.front.detect(
                &mut self.oversamplers[self.active],
                self.settings.soft_clip,
                internal,
                &main[..channels],
                &mut high[..channels],
                &mut levels[..channels],
            );
            self.clipped_min_gain = self.clipped_min_gain.min(clip);
            let levels: [&[f32]; MAX_CHANNELS] = levels.map(|l| &*l);
            let mut gains_v = std::mem::take(&mut self.gains);
            let mut gains: [&mut [f32]; MAX_CHANNELS] = Default::default();
            for (g, v) in gains.iter_mut().zip(gains_v.iter_mut()) {
                *g = &mut v[..n];
            }
            self.limiter
                .compute_gains(&levels[..channels], &mut gains[..channels]);
            let gains: [&[f32]; MAX_CHANNELS] = gains.map(|g| &*g);
            self.apply_gains(main, &mut high[..channels], &gains[..channels]);
            self.high = high_v;
            self.levels = levels_v;
            self.gains = gains_v;
        }
        for ch in main.iter_mut() {
            for x in ch.iter_mut() {
                // Clamp to the ceiling; flush what filter tails leave below -600 dB (subnormals
                // would cost CPU downstream).
                let y = fast_clamp(*x, ceiling);
                *x = if y.abs() < 1e-30 { 0.0 } else { y };
            }
        }
    }

    /// The second half of an oversampled chunk: the gain computer's `gains` (one per base
    /// period) applied to the oversampled audio `high` after the lookahead delay, and the way
    /// down to `main`.
    fn apply_gains(&mut self, main: &mut [&mut [f32]], high: &mut [&mut [f32]], gains: &[&[f32]]) {
        let channels = high.len();
        let internal = db_to_gain(self.limiter.settings().ceiling_db);
        let os = &mut self.oversamplers[self.active];
        let f = os.factor();
        self.high_delay.process(high);
        for (c, out) in main.iter_mut().enumerate().take(channels) {
            let gains = gains[c];
            let high = &mut *high[c];
            let g0 = self.previous_gain[c];
            match f {
                2 => apply_gains::<2>(high, g0, gains, internal),
                4 => apply_gains::<4>(high, g0, gains, internal),
                8 => apply_gains::<8>(high, g0, gains, internal),
                _ => apply_gains::<16>(high, g0, gains, internal),
            }
            self.previous_gain[c] = gains.last().copied().unwrap_or(g0);
            os.downsample(c, high, out);
        }
    }

    /// For offline rendering on two threads: hands out the detection half of the oversampled
    /// path (the way up, the soft clip, the meter-aware levels and the gain computer) in its
    /// current state, to run ahead of this core on another thread. From then on each `process` call must be
    /// preceded by [`LimiterCore::supply_detection`] with the detector's result for exactly
    /// that block, and the settings must not change. The output is the same, sample for
    /// sample, as the core running both halves itself. `None` at 1x (nothing to split).
    pub fn detach_detector(&mut self) -> Option<LimiterDetector> {
        let os = &self.oversamplers[self.active];
        if os.factor() == 1 {
            return None;
        }
        self.detached = true;
        Some(LimiterDetector {
            front: self.front.clone(),
            oversampler: os.clone(),
            limiter: self.limiter.clone(),
            levels: vec![vec![0.0; CHUNK_SAMPLES]; self.channels],
            soft_clip: self.settings.soft_clip,
            internal: db_to_gain(self.limiter.settings().ceiling_db),
            channels: self.channels,
        })
    }

    /// Gives a detached core ([`LimiterCore::detach_detector`]) the detection of the next
    /// block; returns the previous one (used up) for its buffers to be reused.
    pub fn supply_detection(&mut self, detection: Detection) -> Option<Detection> {
        self.supplied.replace(detection)
    }
}

/// The detection half's state between chunks.
#[derive(Debug, Clone)]
struct Front {
    meter: MeterDetector,
    previous_level: [f32; MAX_CHANNELS],
}

impl Front {
    /// The first half of an oversampled chunk: `main` up to `high` (soft-clipped if asked),
    /// and per base period the level the gain must hold (the oversampled peak or what the
    /// meter will read, whichever is higher, and the larger of it and the previous period's,
    /// so that a gain interpolated across a period boundary still satisfies both periods).
    /// Returns the smallest gain the soft clip applied (1 without clipping).
    fn detect<X: AsRef<[f32]>>(
        &mut self,
        os: &mut Oversampler,
        clips: bool,
        internal: f32,
        main: &[X],
        high: &mut [&mut [f32]],
        levels: &mut [&mut [f32]],
    ) -> f32 {
        let f = os.factor();
        // What a BS.1770 meter will read, aligned with the oversampled signal.
        let lags = MeterDetector::lags(os.upsample_delay());
        if let Some(lags) = lags {
            self.meter.process(main, lags);
        }
        let mut min_clip = 1.0f32;
        for (c, ((x, high), levels)) in main.iter().zip(high).zip(levels).enumerate() {
            let high = &mut **high;
            os.upsample(c, x.as_ref(), high);
            if clips {
                for x in high.iter_mut() {
                    let a = x.abs();
                    if a > internal {
                        let y = soft_clip(*x, internal);
                        min_clip = min_clip.min(y.abs() / a);
                        *x = y;
                    }
                }
            }
            let levels = &mut **levels;
            match f {
                2 => period_peaks::<2>(high, levels),
                4 => period_peaks::<4>(high, levels),
                8 => period_peaks::<8>(high, levels),
                _ => period_peaks::<16>(high, levels),
            }
            if lags.is_some() {
                for (l, &m) in levels.iter_mut().zip(&self.meter.levels[c]) {
                    *l = fast_max(*l, m);
                }
            }
            let mut previous = self.previous_level[c];
            for l in levels.iter_mut() {
                let peak = *l;
                *l = fast_max(peak, previous);
                previous = peak;
            }
            self.previous_level[c] = previous;
        }
        min_clip
    }
}

/// The detection half of an oversampled [`LimiterCore`], detached to run ahead of it on
/// another thread ([`LimiterCore::detach_detector`]).
#[derive(Debug, Clone)]
pub struct LimiterDetector {
    front: Front,
    oversampler: Oversampler,
    /// The gain computer (the core's, continued here).
    limiter: PeakLimiter,
    /// Per channel, one chunk's levels.
    levels: Vec<Vec<f32>>,
    soft_clip: bool,
    internal: f32,
    channels: usize,
}

impl LimiterDetector {
    /// Detects one block of the core's input (the chain's sanitised, trimmed input, as the
    /// core will see it) into `into`, in the chunks the core will process it in: the
    /// oversampled audio and the gain for each base period.
    pub fn detect<X: AsRef<[f32]>>(&mut self, block: &[X], into: &mut Detection) {
        let channels = block.len().min(self.channels);
        let len = block.first().map_or(0, |c| c.as_ref().len());
        let f = self.oversampler.factor();
        into.high.resize(channels, Vec::new());
        into.gains.resize(channels, Vec::new());
        for (h, g) in into.high.iter_mut().zip(into.gains.iter_mut()) {
            h.resize(len * f, 0.0);
            g.resize(len, 0.0);
        }
        into.min_gain.clear();
        into.frames = len;
        into.used = 0;
        let mut start = 0;
        while start < len {
            let end = (start + CHUNK_SAMPLES).min(len);
            let n = end - start;
            let mut parts: [&[f32]; MAX_CHANNELS] = Default::default();
            for (p, c) in parts.iter_mut().zip(block) {
                *p = &c.as_ref()[start..end];
            }
            let mut high: [&mut [f32]; MAX_CHANNELS] = Default::default();
            for (h, v) in high.iter_mut().zip(into.high.iter_mut()) {
                *h = &mut v[start * f..end * f];
            }
            let mut levels: [&mut [f32]; MAX_CHANNELS] = Default::default();
            for (l, v) in levels.iter_mut().zip(self.levels.iter_mut()) {
                *l = &mut v[..n];
            }
            let clip = self.front.detect(
                &mut self.oversampler,
                self.soft_clip,
                self.internal,
                &parts[..channels],
                &mut high[..channels],
                &mut levels[..channels],
            );
            let levels: [&[f32]; MAX_CHANNELS] = levels.map(|l| &*l);
            let mut gains: [&mut [f32]; MAX_CHANNELS] = Default::default();
            for (g, v) in gains.iter_mut().zip(into.gains.iter_mut()) {
                *g = &mut v[start..end];
            }
            self.limiter
                .compute_gains(&levels[..channels], &mut gains[..channels]);
            into.min_gain.push(clip.min(self.limiter.take_min_gain()));
            start = end;
        }
    }
}

/// One block's detection ([`LimiterDetector::detect`]), for [`LimiterCore::supply_detection`].
#[derive(Debug, Clone, Default)]
pub struct Detection {
    /// Frames of the block, and how many of them the core has processed.
    frames: usize,
    used: usize,
    /// Per channel, the oversampled (and soft-clipped) block.
    high: Vec<Vec<f32>>,
    /// Per channel, the gain computer's gain for each base period.
    gains: Vec<Vec<f32>>,
    /// Per chunk of the block, the smallest gain the soft clip or the gain computer applied.
    min_gain: Vec<f32>,
}

/// Clamp to `[-limit, limit]` without NaN handling.
#[inline(always)]
fn fast_clamp(x: f32, limit: f32) -> f32 {
    let y = if x > limit { limit } else { x };
    if y < -limit { -limit } else { y }
}

/// The absolute peak of each period of `F` samples.
#[inline(always)]
fn period_peaks<const F: usize>(high: &[f32], out: &mut [f32]) {
    for (o, period) in out.iter_mut().zip(high.chunks_exact(F)) {
        let period: &[f32; F] = period.try_into().expect("F samples");
        let mut m = 0.0f32;
        for &x in period {
            m = fast_max(m, x.abs());
        }
        *o = m;
    }
}

/// Multiplies each period of `F` samples by a gain moving linearly from the previous period's
/// gain to this one's (`g0` before the first), and clamps to `limit`.
#[inline(always)]
fn apply_gains<const F: usize>(high: &mut [f32], mut g0: f32, gains: &[f32], limit: f32) {
    let ramp: [f32; F] = std::array::from_fn(|k| k as f32 / F as f32);
    for (period, &g1) in high.chunks_exact_mut(F).zip(gains) {
        let period: &mut [f32; F] = period.try_into().expect("F samples");
        let slope = g1 - g0;
        for (x, &r) in period.iter_mut().zip(&ramp) {
            let y = *x * (g0 + slope * r);
            *x = fast_clamp(y, limit);
        }
        g0 = g1;
    }
}

impl Core for LimiterCore {
    type Settings = LimiterSettings;

    fn new(max_channels: usize, sample_rate_hz: f64) -> Self {
        let channels = max_channels.clamp(1, MAX_CHANNELS);
        let settings = LimiterSettings::default();
        let mut core = Self {
            settings,
            sample_rate_hz,
            channels,
            oversamplers: Vec::new(),
            limiter: PeakLimiter::new(channels, sample_rate_hz, PeakLimiterSettings::default()),
            active: settings.oversampling.index(),
            high: Vec::new(),
            high_delay: DelayLine::new(channels, 1),
            levels: Vec::new(),
            gains: Vec::new(),
            previous_gain: [1.0; MAX_CHANNELS],
            front: Front {
                meter: MeterDetector::new(channels, sample_rate_hz),
                previous_level: [0.0; MAX_CHANNELS],
            },
            detached: false,
            supplied: None,
            ceiling: 1.0,
            drive: 1.0,
            monitor: UnityMonitor::new(channels, sample_rate_hz),
            dither: Dither::new(),
            clipped_min_gain: 1.0,
        };
        core.build();
        core
    }

    fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.sample_rate_hz = sample_rate_hz;
        self.build();
    }

    fn reset(&mut self) {
        self.clear_paths();
        self.monitor.reset();
        self.dither.reset();
        self.clipped_min_gain = 1.0;
    }

    fn set_settings(&mut self, settings: &LimiterSettings) {
        if settings.unity_gain && !self.settings.unity_gain {
            self.monitor.reset();
        }
        self.settings = *settings;
        self.apply();
    }

    fn latency(&self) -> u32 {
        self.latency_for(&self.settings)
    }

    fn max_latency(&self) -> u32 {
        let x16 = Oversampling::X16;
        self.oversamplers[x16.index()].latency() + self.limiter.max_latency() + 1
    }

    fn process(&mut self, main: &mut [&mut [f32]], _sidechain: Option<&[&[f32]]>) {
        let channels = main.len().min(self.channels);
        let main = &mut main[..channels];
        if self.settings.unity_gain {
            self.monitor.before.process(main);
        }
        let len = main.first().map_or(0, |c| c.len());
        let mut start = 0;
        while start < len {
            let end = (start + CHUNK_SAMPLES).min(len);
            let mut parts: [&mut [f32]; MAX_CHANNELS] = Default::default();
            for (p, ch) in parts.iter_mut().zip(main.iter_mut()) {
                *p = &mut ch[start..end];
            }
            self.process_chunk(&mut parts[..channels]);
            start = end;
        }
    }

    fn set_io(&mut self, io: &IoSettings) {
        self.drive = db_to_gain(io.input_gain_db);
    }

    fn output_word_length(&self) -> Option<u32> {
        self.dither.depth().bits()
    }

    fn process_output(&mut self, main: &mut [&mut [f32]]) {
        let channels = main.len().min(self.channels);
        let main = &mut main[..channels];
        if self.settings.unity_gain {
            let m = &mut self.monitor;
            m.after.process(main);
            let (before, after) = (m.before.power, m.after.power);
            if !m.active {
                // Start from the drive alone; the measurement refines it.
                m.gain = 1.0 / self.drive;
                m.active = true;
            }
            let target = if before > MONITOR_GATE && after > MONITOR_GATE {
                ((before / after).sqrt() as f32 / self.drive).min(db_to_gain(MONITOR_MAX_BOOST_DB))
            } else {
                m.gain
            };
            let len = main.first().map_or(0, |c| c.len());
            if len > 0 {
                let step = (target - m.gain) / len as f32;
                for ch in main.iter_mut() {
                    let mut g = m.gain;
                    for x in ch.iter_mut() {
                        g += step;
                        *x *= g;
                    }
                }
                m.gain = target;
            }
        }
        self.dither.process(main);
    }
}
