//! A click-free A/B switch: the output fades to silence, the editor sets every parameter of
//! the other slot while nothing is heard, the chain settles on them, and the output fades back.
//! A change of many parameters at once (EQ coefficients, filter modes) would otherwise jump in
//! one sample.
//!
//! The hand-shake runs through one atomic ([`crate::IoMeters::ab_switch`]): the editor sets
//! [`REQUESTED`]; the audio thread fades out over [`FADE_MS`] and sets [`SILENT`]; the editor
//! sets the parameters and [`APPLIED`]; the audio thread stays silent for [`SETTLE_MS`] more,
//! fades in and sets [`IDLE`]. An editor that sees no [`SILENT`] within a moment (the plugin is
//! not processing) switches at once. Idle, the fade costs one atomic load per block.

use std::sync::atomic::{AtomicU8, Ordering};

/// Nothing to do.
pub const IDLE: u8 = 0;
/// The editor wants to switch.
pub const REQUESTED: u8 = 1;
/// The output is silent: the editor may switch.
pub const SILENT: u8 = 2;
/// The editor has switched: settle and fade back in.
pub const APPLIED: u8 = 3;
/// Fade-out and fade-in time, ms.
pub const FADE_MS: f32 = 5.0;
/// Silence kept after the switch while the chain settles on the new settings, ms.
pub const SETTLE_MS: f32 = 10.0;

/// The audio thread's side of the switch.
#[derive(Debug, Clone)]
pub struct SwitchFade {
    gain: f32,
    step: f32,
    settle_samples: usize,
    settle_left: usize,
}

impl SwitchFade {
    /// The fade for `sample_rate_hz`.
    pub fn new(sample_rate_hz: f64) -> Self {
        let samples = |ms: f32| (ms as f64 * 1e-3 * sample_rate_hz).round().max(1.0);
        Self {
            gain: 1.0,
            step: 1.0 / samples(FADE_MS) as f32,
            settle_samples: samples(SETTLE_MS) as usize,
            settle_left: 0,
        }
    }

    /// Applies the fade to a processed block, following `state`.
    pub fn process(&mut self, state: &AtomicU8, channels: &mut [&mut [f32]]) {
        let now = state.load(Ordering::Acquire);
        if now == IDLE && self.gain >= 1.0 {
            return;
        }
        let len = channels.first().map_or(0, |c| c.len());
        let g0 = self.gain;
        let (mut g, mut settle) = (g0, self.settle_left);
        // The gain for every sample of the block, computed once, applied to each channel.
        let mut gains = [0.0f32; 64];
        let mut at = 0;
        while at < len {
            let n = (len - at).min(gains.len());
            for slot in gains[..n].iter_mut() {
                match now {
                    REQUESTED | SILENT => g = (g - self.step).max(0.0),
                    APPLIED if settle > 0 => settle -= 1,
                    _ => g = (g + self.step).min(1.0),
                }
                *slot = g;
            }
            for c in channels.iter_mut() {
                for (x, &k) in c[at..at + n].iter_mut().zip(&gains[..n]) {
                    *x *= k;
                }
            }
            at += n;
        }
        self.gain = g;
        self.settle_left = settle;
        match now {
            REQUESTED if g <= 0.0 => {
                self.settle_left = self.settle_samples;
                state.store(SILENT, Ordering::Release);
            }
            APPLIED if g >= 1.0 => state.store(IDLE, Ordering::Release),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A full switch on a full-scale tone in blocks of `block`: no step between samples larger
    /// than the tone's own plus the fade's, silence while the editor switches, back to unity.
    #[test]
    fn the_switch_dips_smoothly_and_comes_back() {
        for block in [1usize, 64, 100, 512] {
            let sr = 48_000.0;
            let mut fade = SwitchFade::new(sr);
            let state = AtomicU8::new(REQUESTED);
            let tone: Vec<f32> = (0..48_000)
                .map(|i| (i as f32 * 2.0 * std::f32::consts::PI * 1000.0 / sr as f32).sin())
                .collect();
            let mut out = tone.clone();
            let mut saw_silent = false;
            for (k, chunk) in out.chunks_mut(block).enumerate() {
                fade.process(&state, &mut [chunk]);
                if state.load(Ordering::Relaxed) == SILENT {
                    saw_silent = true;
                    // The editor switches a few blocks later.
                    if k % 7 == 0 {
                        state.store(APPLIED, Ordering::Relaxed);
                    }
                }
            }
            assert!(saw_silent, "block {block}: never silent");
            assert_eq!(state.load(Ordering::Relaxed), IDLE, "block {block}");
            let tone_step = (2.0 * std::f32::consts::PI * 1000.0 / 48_000.0) * 1.001;
            let fade_step = 1.0 / 240.0;
            for w in out.windows(2) {
                assert!((w[1] - w[0]).abs() <= tone_step + fade_step + 1e-6);
            }
            assert_eq!(
                out[47_999], tone[47_999],
                "block {block}: not back to unity"
            );
            let silent = out.iter().filter(|x| **x == 0.0).count();
            assert!(silent >= 480, "block {block}: {silent} silent samples");
        }
    }
}
