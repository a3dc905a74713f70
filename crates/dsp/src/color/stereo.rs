//! Stereo tools: width (mid/side), constant-power pan, polarity and mono.
//!
//! Width scales the side signal: `M = (L + R) / 2`, `S = (L - R) / 2 * width`, `L = M + S`,
//! `R = M - S`; 0 % is mono, 200 % doubles the side. Pan is a constant-power balance with
//! unity gain in the centre: the left gain is `sqrt(2) cos(theta)` and the right
//! `sqrt(2) sin(theta)`, `theta = (pan + 1) pi / 4`, so the summed power is constant and hard
//! left lifts the left by 3 dB. At 100 % width, centre pan, no inversion and mono off, the
//! stage is skipped and the signal passes bit for bit.

use crate::primitives::gain::SmoothedGain;

/// Stereo settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StereoSettings {
    /// Width, 0..=2 (1 = unchanged).
    pub width: f32,
    /// Pan, -1 (left) ..= 1 (right).
    pub pan: f32,
    /// Invert the left (or mono) channel's polarity.
    pub invert_left: bool,
    /// Invert the right channel's polarity.
    pub invert_right: bool,
    /// Sum to mono.
    pub mono: bool,
}

impl Default for StereoSettings {
    fn default() -> Self {
        Self {
            width: 1.0,
            pan: 0.0,
            invert_left: false,
            invert_right: false,
            mono: false,
        }
    }
}

/// Ramp time of width, pan, polarity and mono changes, ms.
const RAMP_MS: f32 = 20.0;

/// Constant-power pan gains (left, right), unity at the centre.
pub fn pan_gains(pan: f32) -> (f32, f32) {
    if pan == 0.0 {
        return (1.0, 1.0);
    }
    let theta = (pan.clamp(-1.0, 1.0) + 1.0) * std::f32::consts::FRAC_PI_4;
    (
        std::f32::consts::SQRT_2 * theta.cos(),
        std::f32::consts::SQRT_2 * theta.sin(),
    )
}

/// The stereo stage.
#[derive(Debug, Clone)]
pub struct Stereo {
    settings: StereoSettings,
    /// Effective side gain (width, 0 when mono).
    side: SmoothedGain,
    left: SmoothedGain,
    right: SmoothedGain,
}

impl Stereo {
    /// A transparent stereo stage.
    pub fn new(sample_rate_hz: f64) -> Self {
        let mut s = Self {
            settings: StereoSettings::default(),
            side: SmoothedGain::new(sample_rate_hz, RAMP_MS),
            left: SmoothedGain::new(sample_rate_hz, RAMP_MS),
            right: SmoothedGain::new(sample_rate_hz, RAMP_MS),
        };
        s.apply();
        s.snap();
        s
    }

    fn apply(&mut self) {
        let s = &self.settings;
        self.side
            .set_target(if s.mono { 0.0 } else { s.width.clamp(0.0, 2.0) });
        let (l, r) = pan_gains(s.pan);
        self.left.set_target(if s.invert_left { -l } else { l });
        self.right.set_target(if s.invert_right { -r } else { r });
    }

    /// Jumps to the targets.
    pub fn snap(&mut self) {
        self.side.snap();
        self.left.snap();
        self.right.snap();
    }
}

impl crate::Block for Stereo {
    type Settings = StereoSettings;

    /// The stereo stage holds no signal state: jumps its smoothed gains to their targets.
    fn reset(&mut self) {
        self.snap();
    }

    /// Prepares for a new rate (jumps to the targets).
    fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.side.set_sample_rate(sample_rate_hz);
        self.left.set_sample_rate(sample_rate_hz);
        self.right.set_sample_rate(sample_rate_hz);
    }

    /// Applies settings (ramped).
    fn set_settings(&mut self, settings: &StereoSettings) {
        if *settings != self.settings {
            self.settings = *settings;
            self.apply();
        }
    }

    /// Processes a block in place (mono blocks get polarity only).
    fn process(&mut self, main: &mut [&mut [f32]]) {
        let ramping = self.side.is_ramping() || self.left.is_ramping() || self.right.is_ramping();
        if main.len() < 2 {
            if let Some(ch) = main.first_mut() {
                let invert = self.settings.invert_left;
                self.left.set_target(if invert { -1.0 } else { 1.0 });
                if self.left.is_ramping() {
                    for x in ch.iter_mut() {
                        *x *= self.left.next_gain();
                    }
                } else if invert {
                    for x in ch.iter_mut() {
                        *x = -*x;
                    }
                }
            }
            return;
        }
        if !ramping
            && self.side.target() == 1.0
            && self.left.target() == 1.0
            && self.right.target() == 1.0
        {
            return;
        }
        let (l, rest) = main.split_at_mut(1);
        let (l, r) = (&mut *l[0], &mut *rest[0]);
        for (xl, xr) in l.iter_mut().zip(r.iter_mut()) {
            let w = self.side.next_gain();
            let gl = self.left.next_gain();
            let gr = self.right.next_gain();
            let (a, b) = if w == 1.0 {
                (*xl, *xr)
            } else {
                let m = 0.5 * (*xl + *xr);
                let s = 0.5 * (*xl - *xr) * w;
                (m + s, m - s)
            };
            *xl = a * gl;
            *xr = b * gr;
        }
    }
}
