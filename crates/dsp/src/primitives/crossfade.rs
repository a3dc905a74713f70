//! The one crossfade every switch in Lathe uses: module on/off in the channel strip, the
//! chain's bypass, the bus compressor's compare, the reference's A/B.
//!
//! A [`Crossfade`] is a position between 0 (off, "A") and 1 (on, "B") that moves towards its
//! target by a fixed step per sample, so a fade takes the same time from any starting point
//! and its course does not depend on block sizes. Once it arrives it stays exactly at 0 or 1,
//! so a settled switch is bit-transparent. The curve applied to the position is the caller's:
//! linear for correlated signals (a module against its own dry input), equal-power for
//! uncorrelated ones (`sin`/`cos` of `position * pi/2`).

use crate::math::ms_to_samples;

/// A linear fade position that moves towards on (1) or off (0) over a fixed time.
#[derive(Debug, Clone, Copy)]
pub struct Crossfade {
    on: bool,
    level: f32,
    step: f32,
    time_ms: f64,
}

impl Crossfade {
    /// A fade of `time_ms`, off and settled.
    pub fn new(time_ms: f64, sample_rate_hz: f64) -> Self {
        let mut f = Self {
            on: false,
            level: 0.0,
            step: 1.0,
            time_ms,
        };
        f.set_sample_rate(sample_rate_hz);
        f
    }

    /// Recomputes the step for a new sample rate (a fade takes at least one sample).
    pub fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.step = 1.0 / ms_to_samples(self.time_ms, sample_rate_hz).max(1.0) as f32;
    }

    /// Sets the target; returns `true` when the fade leaves a fully-off position (the faded
    /// signal starts now, so whatever produces it should start from a clean state).
    pub fn set(&mut self, on: bool) -> bool {
        let starts = on && !self.on && self.level == 0.0;
        self.on = on;
        starts
    }

    /// Jumps to the target.
    pub fn snap(&mut self) {
        self.level = if self.on { 1.0 } else { 0.0 };
    }

    /// Whether the target is on.
    pub fn is_on(&self) -> bool {
        self.on
    }

    /// The current position: 0 off, 1 on.
    pub fn level(&self) -> f32 {
        self.level
    }

    /// Off and arrived: the faded signal is not heard at all.
    pub fn is_off(&self) -> bool {
        !self.on && self.level == 0.0
    }

    /// On and arrived: only the faded signal is heard.
    pub fn is_full(&self) -> bool {
        self.on && self.level == 1.0
    }

    /// Arrived at the target, either way.
    pub fn is_settled(&self) -> bool {
        self.is_off() || self.is_full()
    }

    /// Advances one sample and returns the new position.
    #[inline]
    pub fn next_level(&mut self) -> f32 {
        self.level = if self.on {
            (self.level + self.step).min(1.0)
        } else {
            (self.level - self.step).max(0.0)
        };
        self.level
    }

    /// Linear crossfade of a block: each sample of `wet` becomes `dry + level * (wet - dry)`,
    /// advancing one step per sample (exactly `dry` at 0, exactly `wet` at 1). `dry` holds at
    /// least as many samples per channel as `wet`.
    pub fn blend<D: AsRef<[f32]>>(&mut self, wet: &mut [&mut [f32]], dry: &[D]) {
        let len = wet.first().map_or(0, |c| c.len());
        for i in 0..len {
            let level = self.next_level();
            if level == 0.0 {
                for (ch, d) in wet.iter_mut().zip(dry) {
                    ch[i] = d.as_ref()[i];
                }
            } else if level < 1.0 {
                for (ch, d) in wet.iter_mut().zip(dry) {
                    let d = d.as_ref()[i];
                    ch[i] = d + level * (ch[i] - d);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_its_time_and_stays_where_it_arrives() {
        let mut f = Crossfade::new(10.0, 48_000.0);
        assert!(f.set(true), "leaving off starts the faded signal");
        let mut n = 0;
        while f.next_level() < 1.0 {
            n += 1;
        }
        assert_eq!(n + 1, 480);
        for _ in 0..1000 {
            assert_eq!(f.next_level(), 1.0);
        }
        assert!(f.is_full());
        assert!(!f.set(false));
        f.next_level();
        assert!(!f.set(true), "mid-fade is not a fresh start");
    }

    #[test]
    fn blend_is_exact_at_both_ends() {
        let mut f = Crossfade::new(1.0, 48_000.0);
        let dry = [vec![0.25f32; 100]];
        let mut wet = vec![1.0f32; 100];
        f.blend(&mut [&mut wet[..]], &dry);
        assert_eq!(wet[0], 0.25);
        f.set(true);
        let mut wet = vec![1.0f32; 100];
        f.blend(&mut [&mut wet[..]], &dry);
        assert!(wet[0] > 0.25 && wet[0] < 1.0);
        assert_eq!(wet[99], 1.0);
    }
}
