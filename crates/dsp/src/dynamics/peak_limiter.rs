//! Lookahead peak limiter: the gain core of Lathe Limiter.
//!
//! The design guarantees the ceiling by construction rather than by hoping the envelope is fast
//! enough (the approach of x42-dpl and of Giannoulis, Massberg & Reiss's feed-forward designs,
//! with the lookahead smoothing described by Sanfilippo & Zölzer, "Digital Audio Effects",
//! ch. 4):
//!
//! 1. per sample, the gain each input sample needs: `r[n] = min(1, ceiling / peak[n])`, where
//!    the peak is linked across channels by the stereo-link amount;
//! 2. `t[n]`: the minimum of `r` over the last `L + 1` samples (the lookahead window), kept in
//!    a monotonic deque in O(1) amortised time per sample;
//! 3. release: an envelope that follows `t` down at once and back up in two stages (fast
//!    while the reduction is brief, slow once it has lasted), never rising above `t`;
//! 4. smoothing: two cascaded moving averages whose lengths add up to `L + 1` samples of span.
//!    Every value they average covers the output sample's own required gain, so the smoothed
//!    gain never exceeds it: the output never passes the ceiling, and the gain curve has no
//!    steps (its attack is an S-shaped ramp over the lookahead time).
//!
//! The audio is delayed by `L` samples (the latency), and multiplied by the gain.

use crate::Block;
use crate::chains::MAX_CHANNELS;
use crate::math::{fast_max, fast_min};
use crate::primitives::delay::DelayLine;
use crate::primitives::running_sum::RunningSum;

/// Samples per internal pass.
const CHUNK: usize = 256;

/// Monotonic deque over a ring buffer: sliding minimum of the last `window` values.
#[derive(Debug, Clone)]
struct SlidingMin {
    /// (sample index, value), values increasing from front to back.
    items: Vec<(u64, f32)>,
    head: usize,
    len: usize,
    window: u64,
}

impl SlidingMin {
    /// A deque for windows of up to `capacity` values, initially `window` long.
    fn new(capacity: usize, window: usize) -> Self {
        let mut s = Self {
            items: vec![(0, 1.0); capacity.max(1) + 1],
            head: 0,
            len: 0,
            window: 1,
        };
        s.set_window(window);
        s
    }

    /// Changes the window (clamped to the capacity) and clears.
    fn set_window(&mut self, window: usize) {
        self.window = window.clamp(1, self.items.len() - 1) as u64;
        self.reset();
    }

    fn reset(&mut self) {
        self.head = 0;
        self.len = 0;
    }

    fn copy_from(&mut self, other: &SlidingMin) {
        self.items.copy_from_slice(&other.items);
        self.head = other.head;
        self.len = other.len;
        self.window = other.window;
    }

    #[inline]
    fn push(&mut self, index: u64, value: f32) -> f32 {
        let cap = self.items.len();
        // Drop values from the back that are no smaller than the new one.
        while self.len > 0 {
            let mut back = self.head + self.len - 1;
            if back >= cap {
                back -= cap;
            }
            if self.items[back].1 >= value {
                self.len -= 1;
            } else {
                break;
            }
        }
        let mut slot = self.head + self.len;
        if slot >= cap {
            slot -= cap;
        }
        self.items[slot] = (index, value);
        self.len += 1;
        // Drop the front if it left the window.
        while self.items[self.head].0 + self.window <= index {
            self.head += 1;
            if self.head == cap {
                self.head = 0;
            }
            self.len -= 1;
        }
        self.items[self.head].1
    }
}

/// Moving average over a window of samples, starting at unity gain.
#[derive(Debug, Clone)]
struct MovingAverage {
    sum: RunningSum,
    scale: f64,
}

impl MovingAverage {
    fn new(capacity: usize, len: usize) -> Self {
        let mut m = Self {
            sum: RunningSum::with_capacity(capacity, len, 1.0),
            scale: 1.0,
        };
        m.set_len(len);
        m
    }

    fn set_len(&mut self, len: usize) {
        self.sum.set_len(len);
        self.scale = 1.0 / self.sum.len() as f64;
    }

    fn reset(&mut self) {
        self.sum.reset();
    }
}

/// Settings of the peak limiter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeakLimiterSettings {
    /// Output ceiling, dBFS (sample peak at 1x; the oversampled stage turns it into dBTP).
    pub ceiling_db: f32,
    /// Lookahead (attack) time, ms.
    pub lookahead_ms: f32,
    /// Slow (sustained) release time constant, ms.
    pub release_ms: f32,
    /// Stereo link, 0 (independent channels) to 1 (one gain for all).
    pub link: f32,
}

impl Default for PeakLimiterSettings {
    fn default() -> Self {
        Self {
            ceiling_db: -1.0,
            lookahead_ms: 1.5,
            release_ms: 150.0,
            link: 1.0,
        }
    }
}

/// The fast release stage runs this many times faster than the slow one.
const FAST_RELEASE_RATIO: f32 = 10.0;
/// Time constant with which the slow stage learns the sustained reduction, ms.
const SUSTAIN_MS: f32 = 400.0;
/// Largest lookahead the limiter allocates for, ms.
pub const MAX_LOOKAHEAD_MS: f32 = 10.0;

#[derive(Debug, Clone)]
struct ChannelGain {
    window_min: SlidingMin,
    smooth_a: MovingAverage,
    smooth_b: MovingAverage,
    envelope: f32,
    sustained: f32,
}

impl ChannelGain {
    fn reset(&mut self) {
        self.window_min.reset();
        self.smooth_a.reset();
        self.smooth_b.reset();
        self.envelope = 1.0;
        self.sustained = 1.0;
    }

    fn copy_from(&mut self, other: &ChannelGain) {
        self.window_min.copy_from(&other.window_min);
        self.smooth_a.sum.copy_from(&other.smooth_a.sum);
        self.smooth_a.scale = other.smooth_a.scale;
        self.smooth_b.sum.copy_from(&other.smooth_b.sum);
        self.smooth_b.scale = other.smooth_b.scale;
        self.envelope = other.envelope;
        self.sustained = other.sustained;
    }

    /// The gain computer before smoothing, over a block: `block[i]` holds the gain the sample
    /// `first_index + i` requires and receives the windowed minimum with two-stage release.
    /// [`ChannelGain::smooth`] turns these into the smoothed gains for the samples `L` steps
    /// back. The envelope state stays in registers across the block.
    #[inline(always)]
    fn envelope(&mut self, first_index: u64, block: &mut [f32], k: &Coefficients) {
        let mut envelope = self.envelope;
        let mut sustained = self.sustained;
        for (i, x) in block.iter_mut().enumerate() {
            let target = self.window_min.push(first_index + i as u64, *x);
            // Release in two stages: quickly back to the sustained reduction, slowly beyond.
            sustained += k.sustain * (fast_min(target, envelope) - sustained);
            envelope = if target < envelope {
                target
            } else {
                let rate = if envelope < sustained {
                    k.fast_release
                } else {
                    k.slow_release
                };
                fast_min(envelope + rate * (target - envelope), target)
            };
            *x = envelope;
        }
        self.envelope = envelope;
        self.sustained = sustained;
    }

    /// The two moving averages, over a block of envelope values, in place.
    fn smooth(&mut self, block: &mut [f32]) {
        let (a, b) = (self.smooth_a.scale, self.smooth_b.scale);
        RunningSum::cascade_in_place(&mut self.smooth_a.sum, a, &mut self.smooth_b.sum, b, block);
    }
}

/// The gain a sample of absolute level `peak` needs to stay under `ceiling`.
#[inline(always)]
fn required_gain(peak: f32, ceiling: f32) -> f32 {
    if peak > ceiling { ceiling / peak } else { 1.0 }
}

#[derive(Debug, Clone, Copy)]
struct Coefficients {
    fast_release: f32,
    slow_release: f32,
    sustain: f32,
}

/// A lookahead peak limiter for up to `channels` channels. See the [module docs](self).
///
/// All memory is allocated at construction (and by [`PeakLimiter::set_sample_rate`]): changing
/// any setting, the lookahead included, never allocates.
///
/// ```
/// use lathe_dsp::Block;
/// use lathe_dsp::dynamics::peak_limiter::{PeakLimiter, PeakLimiterSettings};
///
/// let settings = PeakLimiterSettings { ceiling_db: -1.0, ..Default::default() };
/// let mut limiter = PeakLimiter::new(1, 48_000.0, settings);
/// // A full-scale square wave, 0.1 s.
/// let mut x: Vec<f32> = (0..4_800).map(|i| if i % 100 < 50 { 1.0 } else { -1.0 }).collect();
/// limiter.process(&mut [&mut x]);
/// let ceiling = 10f32.powf(-1.0 / 20.0);
/// assert!(x.iter().all(|v| v.abs() <= ceiling + 1e-6));
/// assert_eq!(limiter.latency(), 72); // the 1.5 ms lookahead
/// ```
#[derive(Debug, Clone)]
pub struct PeakLimiter {
    settings: PeakLimiterSettings,
    sample_rate_hz: f64,
    channels: usize,
    max_lookahead: usize,
    lookahead: usize,
    ceiling: f32,
    coefficients: Coefficients,
    gains: Vec<ChannelGain>,
    gain_buffer: Vec<[f32; CHUNK]>,
    delay: DelayLine,
    index: u64,
    min_gain: f32,
    was_linked: bool,
}

/// `1 - p` for the pole `p` of time constant `time_ms` (this limiter's update is
/// `y += (1 - p) (x - y)`); 1 (no smoothing) for `time_ms <= 0`.
fn coefficient(time_ms: f32, sample_rate_hz: f64) -> f32 {
    (1.0 - crate::math::one_pole_pole(time_ms as f64, sample_rate_hz)) as f32
}

impl PeakLimiter {
    /// A limiter for `channels` channels at a sample rate.
    pub fn new(channels: usize, sample_rate_hz: f64, settings: PeakLimiterSettings) -> Self {
        let channels = channels.clamp(1, MAX_CHANNELS);
        let mut l = Self {
            settings,
            sample_rate_hz,
            channels,
            max_lookahead: 0,
            lookahead: 0,
            ceiling: 1.0,
            coefficients: Coefficients {
                fast_release: 1.0,
                slow_release: 1.0,
                sustain: 1.0,
            },
            gains: Vec::new(),
            gain_buffer: vec![[1.0; CHUNK]; channels],
            delay: DelayLine::new(channels, 1),
            index: 0,
            min_gain: 1.0,
            was_linked: true,
        };
        l.allocate();
        l
    }

    /// Lookahead in samples for a time at this limiter's rate (at least one sample).
    fn lookahead_for(&self, ms: f32) -> usize {
        let samples =
            crate::math::ms_to_samples(ms.clamp(0.0, MAX_LOOKAHEAD_MS) as f64, self.sample_rate_hz);
        (samples.round() as usize).max(1)
    }

    fn allocate(&mut self) {
        self.max_lookahead = self.lookahead_for(MAX_LOOKAHEAD_MS);
        let span = self.max_lookahead + 1;
        self.gains = (0..self.channels)
            .map(|_| ChannelGain {
                window_min: SlidingMin::new(span, span),
                smooth_a: MovingAverage::new(span, 1),
                smooth_b: MovingAverage::new(span, 1),
                envelope: 1.0,
                sustained: 1.0,
            })
            .collect();
        self.delay = DelayLine::new(self.channels, self.max_lookahead);
        self.configure();
    }

    /// Applies the current settings to the allocated state (never allocates) and resets.
    fn configure(&mut self) {
        self.lookahead = self.lookahead_for(self.settings.lookahead_ms);
        self.update_coefficients();
        // Two boxes whose spans add up to the lookahead window (lengths a + b - 1 = L + 1).
        let span = self.lookahead + 1;
        let a = span / 2 + 1;
        let b = span + 1 - a;
        for g in &mut self.gains {
            g.window_min.set_window(span);
            g.smooth_a.set_len(a);
            g.smooth_b.set_len(b);
        }
        self.delay.set_delay(self.lookahead);
        self.reset();
    }

    fn update_coefficients(&mut self) {
        let s = self.settings;
        let sr = self.sample_rate_hz;
        self.ceiling = 10f32.powf(s.ceiling_db / 20.0);
        self.coefficients = Coefficients {
            slow_release: coefficient(s.release_ms, sr),
            fast_release: coefficient(s.release_ms / FAST_RELEASE_RATIO, sr),
            sustain: coefficient(SUSTAIN_MS, sr),
        };
    }

    /// The settings in use.
    pub fn settings(&self) -> &PeakLimiterSettings {
        &self.settings
    }

    /// The latency (lookahead) in samples that the given settings would have, at this rate.
    pub fn latency_for(&self, settings: &PeakLimiterSettings) -> u32 {
        self.lookahead_for(settings.lookahead_ms) as u32
    }

    /// The largest latency any lookahead setting can produce.
    pub fn max_latency(&self) -> u32 {
        self.max_lookahead as u32
    }

    /// The smallest gain applied since the last call (linear), for gain-reduction meters.
    pub fn take_min_gain(&mut self) -> f32 {
        std::mem::replace(&mut self.min_gain, 1.0)
    }

    /// The gain computer alone: `levels[c][i]` is the absolute level sample `i` of channel `c`
    /// must be brought under the ceiling; `gains[c][i]` receives the gain for the sample
    /// [`PeakLimiter::latency`] samples earlier. No audio is delayed or touched: an oversampled
    /// limiter computes gains at the base rate this way and applies them itself.
    pub fn compute_gains(&mut self, levels: &[&[f32]], gains: &mut [&mut [f32]]) {
        let n_ch = levels.len().min(self.channels).min(gains.len());
        let len = levels.first().map_or(0, |c| c.len());
        let mut start = 0;
        while start < len {
            let end = (start + CHUNK).min(len);
            let n = end - start;
            self.gains_chunk(n_ch, n, |c, i| levels[c][start + i]);
            let mut min_gain = self.min_gain;
            for (out, buf) in gains.iter_mut().zip(self.gain_buffer.iter()).take(n_ch) {
                out[start..end].copy_from_slice(&buf[..n]);
                for &g in &buf[..n] {
                    min_gain = fast_min(min_gain, g);
                }
            }
            self.min_gain = min_gain;
            start = end;
        }
    }

    /// Fills `gain_buffer[..channels][..n]` from per-sample levels.
    #[inline(always)]
    fn gains_chunk(&mut self, channels: usize, n: usize, level: impl Fn(usize, usize) -> f32) {
        let link = self.settings.link.clamp(0.0, 1.0);
        let ceiling = self.ceiling;
        let k = self.coefficients;
        let linked = link >= 1.0 || channels == 1;
        if !linked && self.was_linked {
            // Unlinking: every channel continues from the shared gain state.
            let (first, rest) = self.gains.split_at_mut(1);
            for g in rest {
                g.copy_from(&first[0]);
            }
        }
        self.was_linked = linked;
        if linked {
            let buf = &mut self.gain_buffer[0][..n];
            for (i, r) in buf.iter_mut().enumerate() {
                let mut peak = 0.0f32;
                for c in 0..channels {
                    peak = fast_max(peak, level(c, i));
                }
                *r = required_gain(peak, ceiling);
            }
            let g = &mut self.gains[0];
            g.envelope(self.index, buf, &k);
            g.smooth(buf);
            let (first, rest) = self.gain_buffer.split_at_mut(1);
            for other in rest.iter_mut().take(channels - 1) {
                other[..n].copy_from_slice(&first[0][..n]);
            }
        } else {
            for i in 0..n {
                let mut levels = [0.0f32; MAX_CHANNELS];
                let mut linked_peak = 0.0f32;
                for (c, l) in levels.iter_mut().enumerate().take(channels) {
                    *l = level(c, i);
                    linked_peak = fast_max(linked_peak, *l);
                }
                for (c, buf) in self.gain_buffer.iter_mut().enumerate().take(channels) {
                    let peak = link * linked_peak + (1.0 - link) * levels[c];
                    buf[i] = required_gain(peak, ceiling);
                }
            }
            for (g, buf) in self
                .gains
                .iter_mut()
                .zip(self.gain_buffer.iter_mut())
                .take(channels)
            {
                g.envelope(self.index, &mut buf[..n], &k);
                g.smooth(&mut buf[..n]);
            }
        }
        self.index += n as u64;
    }

    fn process_chunk(&mut self, block: &mut [&mut [f32]]) {
        let n = block.first().map_or(0, |c| c.len());
        let ceiling = self.ceiling;
        // 1. The gain for each output sample, from the undelayed input.
        self.gains_chunk(block.len(), n, |c, i| block[c][i].abs());
        // 2. Delay the audio by the lookahead; 3. apply the gain computed for it.
        self.delay.process(block);
        for (ch, gains) in block.iter_mut().zip(self.gain_buffer.iter()) {
            for (x, &g) in ch.iter_mut().zip(gains.iter()) {
                // The construction guarantees |y| <= ceiling up to rounding; the clamp makes the
                // last ulp certain.
                *x = (*x * g).clamp(-ceiling, ceiling);
                self.min_gain = self.min_gain.min(g);
            }
        }
    }
}

impl crate::Block for PeakLimiter {
    type Settings = PeakLimiterSettings;

    /// Redesigns for a sample rate (allocates) and resets.
    fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.sample_rate_hz = sample_rate_hz;
        self.allocate();
    }

    /// Applies new settings without allocating. A change of lookahead changes the latency and
    /// clears the state.
    fn set_settings(&mut self, settings: &PeakLimiterSettings) {
        let settings = *settings;
        if settings == self.settings {
            return;
        }
        let old = self.settings;
        self.settings = settings;
        if self.lookahead_for(old.lookahead_ms) != self.lookahead_for(settings.lookahead_ms) {
            self.configure();
        } else {
            self.update_coefficients();
        }
    }

    /// Clears all state.
    fn reset(&mut self) {
        for g in &mut self.gains {
            g.reset();
        }
        self.delay.reset();
        self.index = 0;
        self.min_gain = 1.0;
    }

    /// Latency in samples (the lookahead).
    fn latency(&self) -> u32 {
        self.lookahead as u32
    }

    /// Processes a block in place.
    fn process(&mut self, channels: &mut [&mut [f32]]) {
        let n_ch = channels.len().min(self.channels);
        let len = channels.first().map_or(0, |c| c.len());
        let mut start = 0;
        while start < len {
            let end = (start + CHUNK).min(len);
            let mut parts: [&mut [f32]; MAX_CHANNELS] = Default::default();
            for (p, ch) in parts.iter_mut().zip(channels.iter_mut()).take(n_ch) {
                *p = &mut ch[start..end];
            }
            self.process_chunk(&mut parts[..n_ch]);
            start = end;
        }
    }
}
