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

use crate::chain::MAX_CHANNELS;
use crate::delay::DelayLine;
use crate::running_sum::RunningSum;

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
    fn new(window: usize) -> Self {
        Self {
            items: vec![(0, 1.0); window.max(1) + 1],
            head: 0,
            len: 0,
            window: window.max(1) as u64,
        }
    }

    fn reset(&mut self) {
        self.head = 0;
        self.len = 0;
    }

    #[inline]
    fn push(&mut self, index: u64, value: f32) -> f32 {
        let cap = self.items.len();
        // Drop values from the back that are no smaller than the new one.
        while self.len > 0 {
            let back = (self.head + self.len - 1) % cap;
            if self.items[back].1 >= value {
                self.len -= 1;
            } else {
                break;
            }
        }
        let slot = (self.head + self.len) % cap;
        self.items[slot] = (index, value);
        self.len += 1;
        // Drop the front if it left the window.
        while self.items[self.head].0 + self.window <= index {
            self.head = (self.head + 1) % cap;
            self.len -= 1;
        }
        self.items[self.head].1
    }
}

/// Moving average over a fixed number of samples, starting at unity gain.
#[derive(Debug, Clone)]
struct MovingAverage(RunningSum);

impl MovingAverage {
    fn new(len: usize) -> Self {
        Self(RunningSum::new(len, 1.0))
    }

    fn reset(&mut self) {
        self.0.reset();
    }

    #[inline]
    fn push(&mut self, x: f32) -> f32 {
        (self.0.push(x) / self.0.len() as f64) as f32
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

/// A lookahead peak limiter for up to `channels` channels. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct PeakLimiter {
    settings: PeakLimiterSettings,
    sample_rate_hz: f64,
    channels: usize,
    lookahead: usize,
    ceiling: f32,
    fast_release: f32,
    slow_release: f32,
    sustain: f32,
    gains: Vec<ChannelGain>,
    gain_buffer: Vec<[f32; CHUNK]>,
    delay: DelayLine,
    index: u64,
    min_gain: f32,
}

fn coefficient(time_ms: f32, sample_rate_hz: f64) -> f32 {
    let samples = time_ms as f64 * 1e-3 * sample_rate_hz;
    if samples <= 0.0 {
        1.0
    } else {
        (1.0 - (-1.0 / samples).exp()) as f32
    }
}

impl PeakLimiter {
    /// A limiter for `channels` channels at a sample rate.
    pub fn new(channels: usize, sample_rate_hz: f64, settings: PeakLimiterSettings) -> Self {
        let mut l = Self {
            settings,
            sample_rate_hz,
            channels: channels.clamp(1, MAX_CHANNELS),
            lookahead: 0,
            ceiling: 1.0,
            fast_release: 1.0,
            slow_release: 1.0,
            sustain: 1.0,
            gains: Vec::new(),
            gain_buffer: vec![[1.0; CHUNK]; channels.clamp(1, MAX_CHANNELS)],
            delay: DelayLine::new(channels.clamp(1, MAX_CHANNELS), 1),
            index: 0,
            min_gain: 1.0,
        };
        l.configure();
        l
    }

    fn configure(&mut self) {
        let s = self.settings;
        let sr = self.sample_rate_hz;
        let max_lookahead = (MAX_LOOKAHEAD_MS as f64 * 1e-3 * sr).ceil() as usize;
        self.lookahead = ((s.lookahead_ms.clamp(0.0, MAX_LOOKAHEAD_MS) as f64 * 1e-3 * sr).round()
            as usize)
            .max(1);
        self.ceiling = 10f32.powf(s.ceiling_db / 20.0);
        self.slow_release = coefficient(s.release_ms, sr);
        self.fast_release = coefficient(s.release_ms / FAST_RELEASE_RATIO, sr);
        self.sustain = coefficient(SUSTAIN_MS, sr);
        // Two boxes whose spans add up to the lookahead window (lengths a + b - 1 = L + 1).
        let span = self.lookahead + 1;
        let a = span / 2 + 1;
        let b = span + 1 - a;
        self.gains = (0..self.channels)
            .map(|_| ChannelGain {
                window_min: SlidingMin::new(span),
                smooth_a: MovingAverage::new(a),
                smooth_b: MovingAverage::new(b),
                envelope: 1.0,
                sustained: 1.0,
            })
            .collect();
        if self.delay.max_delay() < max_lookahead {
            self.delay = DelayLine::new(self.channels, max_lookahead);
        }
        self.delay.set_delay(self.lookahead);
        self.reset();
    }

    /// Applies new settings. A change of lookahead changes the latency and clears the state.
    pub fn set_settings(&mut self, settings: PeakLimiterSettings) {
        if settings == self.settings {
            return;
        }
        let old = self.settings;
        self.settings = settings;
        if old.lookahead_ms != settings.lookahead_ms {
            self.configure();
        } else {
            self.ceiling = 10f32.powf(settings.ceiling_db / 20.0);
            self.slow_release = coefficient(settings.release_ms, self.sample_rate_hz);
            self.fast_release = coefficient(
                settings.release_ms / FAST_RELEASE_RATIO,
                self.sample_rate_hz,
            );
        }
    }

    /// Redesigns for a sample rate (allocates) and resets.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.sample_rate_hz = sample_rate_hz;
        self.delay = DelayLine::new(self.channels, 1);
        self.configure();
    }

    /// Clears all state.
    pub fn reset(&mut self) {
        for g in &mut self.gains {
            g.window_min.reset();
            g.smooth_a.reset();
            g.smooth_b.reset();
            g.envelope = 1.0;
            g.sustained = 1.0;
        }
        self.delay.reset();
        self.index = 0;
        self.min_gain = 1.0;
    }

    /// Latency in samples (the lookahead).
    pub fn latency(&self) -> u32 {
        self.lookahead as u32
    }

    /// The smallest gain applied since the last call (linear), for gain-reduction meters.
    pub fn take_min_gain(&mut self) -> f32 {
        std::mem::replace(&mut self.min_gain, 1.0)
    }

    /// Processes a block in place.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
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

    fn process_chunk(&mut self, block: &mut [&mut [f32]]) {
        let n = block.first().map_or(0, |c| c.len());
        let link = self.settings.link.clamp(0.0, 1.0);
        let ceiling = self.ceiling;
        // 1. The gain for each output sample, from the undelayed input.
        for i in 0..n {
            let mut linked_peak = 0.0f32;
            for ch in block.iter() {
                linked_peak = linked_peak.max(ch[i].abs());
            }
            let index = self.index + i as u64;
            for (c, g) in self.gains.iter_mut().enumerate().take(block.len()) {
                let peak = link * linked_peak + (1.0 - link) * block[c][i].abs();
                let required = if peak > ceiling { ceiling / peak } else { 1.0 };
                let target = g.window_min.push(index, required);
                // Release in two stages: quickly back to the sustained reduction, slowly beyond.
                g.sustained += self.sustain * (target.min(g.envelope) - g.sustained);
                if target < g.envelope {
                    g.envelope = target;
                } else {
                    let rate = if g.envelope < g.sustained {
                        self.fast_release
                    } else {
                        self.slow_release
                    };
                    g.envelope = (g.envelope + rate * (target - g.envelope)).min(target);
                }
                self.gain_buffer[c][i] = g.smooth_b.push(g.smooth_a.push(g.envelope));
            }
        }
        self.index += n as u64;
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
