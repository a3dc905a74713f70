//! Gain/trim with click-free smoothing.
//!
//! Changes of the target gain are applied as a linear ramp of the linear gain over a fixed time
//! (default 20 ms). A linear ramp, rather than a one-pole filter, reaches the target exactly and
//! in a known number of samples, so a settled gain of 0 dB is exactly 1.0 (bit-transparent) and
//! the output does not depend on how the signal is cut into blocks.

use crate::math::db_to_gain;

/// Default time a gain change takes, in milliseconds.
pub const DEFAULT_GAIN_RAMP_MS: f32 = 20.0;

/// A linear gain that ramps smoothly to new targets.
#[derive(Debug, Clone)]
pub struct SmoothedGain {
    current: f32,
    target: f32,
    step: f32,
    remaining: u32,
    ramp_samples: u32,
    ramp_ms: f32,
}

impl SmoothedGain {
    /// Creates a smoother at unity gain for the given sample rate and ramp time.
    pub fn new(sample_rate_hz: f64, ramp_ms: f32) -> Self {
        let mut s = Self {
            current: 1.0,
            target: 1.0,
            step: 0.0,
            remaining: 0,
            ramp_samples: 1,
            ramp_ms,
        };
        s.set_sample_rate(sample_rate_hz);
        s
    }

    /// Recomputes the ramp length for a new sample rate and snaps to the target.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.ramp_samples =
            (crate::math::ms_to_samples(self.ramp_ms as f64, sample_rate_hz).round() as u32).max(1);
        self.snap();
    }

    /// Sets a new target in decibels; the gain ramps there over the ramp time.
    pub fn set_target_db(&mut self, db: f32) {
        self.set_target(db_to_gain(db));
    }

    /// Sets a new linear target; the gain ramps there over the ramp time.
    pub fn set_target(&mut self, gain: f32) {
        if gain == self.target {
            return;
        }
        self.target = gain;
        self.remaining = self.ramp_samples;
        self.step = (self.target - self.current) / self.ramp_samples as f32;
    }

    /// Jumps to the target at once (used on reset and state load).
    pub fn snap(&mut self) {
        self.current = self.target;
        self.remaining = 0;
        self.step = 0.0;
    }

    /// The linear target gain.
    pub fn target(&self) -> f32 {
        self.target
    }

    /// Whether a ramp is in progress.
    pub fn is_ramping(&self) -> bool {
        self.remaining > 0
    }

    /// Returns the next gain value, advancing the ramp by one sample.
    #[inline]
    pub fn next_gain(&mut self) -> f32 {
        if self.remaining > 0 {
            self.remaining -= 1;
            if self.remaining == 0 {
                self.current = self.target;
            } else {
                self.current += self.step;
            }
        }
        self.current
    }

    /// Multiplies a block (all channels with the same gain curve) by the smoothed gain.
    pub fn apply(&mut self, channels: &mut [&mut [f32]]) {
        let len = channels.first().map_or(0, |c| c.len());
        if !self.is_ramping() {
            let g = self.current;
            if g != 1.0 {
                for ch in channels.iter_mut() {
                    for x in ch.iter_mut() {
                        *x *= g;
                    }
                }
            }
            return;
        }
        for i in 0..len {
            let g = self.next_gain();
            for ch in channels.iter_mut() {
                ch[i] *= g;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramps_exactly_to_target_in_ramp_time() {
        let mut g = SmoothedGain::new(48_000.0, 20.0);
        g.set_target_db(-6.0);
        let n = 960; // 20 ms at 48 kHz
        let mut last = 1.0;
        for i in 0..n {
            let v = g.next_gain();
            assert!(v < last || i == n - 1, "monotonic");
            last = v;
        }
        assert_eq!(last, db_to_gain(-6.0));
        assert!(!g.is_ramping());
        assert_eq!(g.next_gain(), db_to_gain(-6.0));
    }

    #[test]
    fn unity_is_bit_transparent() {
        let mut g = SmoothedGain::new(44_100.0, 20.0);
        let mut data = vec![0.123f32, -0.77, 1e-20, 0.5];
        let orig = data.clone();
        g.apply(&mut [&mut data[..]]);
        assert_eq!(data, orig);
    }

    #[test]
    fn block_size_invariant() {
        let mut a = SmoothedGain::new(48_000.0, 20.0);
        let mut b = SmoothedGain::new(48_000.0, 20.0);
        a.set_target_db(12.0);
        b.set_target_db(12.0);
        let mut x: Vec<f32> = (0..3000).map(|i| (i as f32 * 0.01).sin()).collect();
        let mut y = x.clone();
        a.apply(&mut [&mut x[..]]);
        for chunk in y.chunks_mut(17) {
            b.apply(&mut [chunk]);
        }
        assert_eq!(x, y);
    }

    #[test]
    fn snap_jumps() {
        let mut g = SmoothedGain::new(48_000.0, 20.0);
        g.set_target_db(-20.0);
        g.snap();
        assert_eq!(g.next_gain(), db_to_gain(-20.0));
    }
}
