//! Second-order IIR sections (biquads) in transposed direct form II, in `f64`.
//!
//! Every biquad reports its analytic frequency response ([`Biquad::magnitude_db`]), which GUI
//! curves and tests use.

use std::f64::consts::PI;

/// Normalised biquad coefficients (a0 = 1): `y = b0 x + b1 x1 + b2 x2 - a1 y1 - a2 y2`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BiquadCoefficients {
    /// Feed-forward coefficient for x[n].
    pub b0: f64,
    /// Feed-forward coefficient for x[n-1].
    pub b1: f64,
    /// Feed-forward coefficient for x[n-2].
    pub b2: f64,
    /// Feedback coefficient for y[n-1].
    pub a1: f64,
    /// Feedback coefficient for y[n-2].
    pub a2: f64,
}

impl BiquadCoefficients {
    /// The identity filter.
    pub const IDENTITY: Self = Self {
        b0: 1.0,
        b1: 0.0,
        b2: 0.0,
        a1: 0.0,
        a2: 0.0,
    };

    /// Complex response H(e^{jw}) at `freq_hz` for `sample_rate_hz`, as (re, im).
    pub fn response(&self, freq_hz: f64, sample_rate_hz: f64) -> (f64, f64) {
        let w = 2.0 * PI * freq_hz / sample_rate_hz;
        // z^-1 = e^{-jw}
        let (c1, s1) = (w.cos(), -w.sin());
        let (c2, s2) = ((2.0 * w).cos(), -(2.0 * w).sin());
        let num = (
            self.b0 + self.b1 * c1 + self.b2 * c2,
            self.b1 * s1 + self.b2 * s2,
        );
        let den = (
            1.0 + self.a1 * c1 + self.a2 * c2,
            self.a1 * s1 + self.a2 * s2,
        );
        let d = den.0 * den.0 + den.1 * den.1;
        (
            (num.0 * den.0 + num.1 * den.1) / d,
            (num.1 * den.0 - num.0 * den.1) / d,
        )
    }

    /// Squared magnitude at digital frequency `w` (radians per sample).
    pub fn magnitude_squared_at(&self, w: f64) -> f64 {
        let (c1, s1) = (w.cos(), -w.sin());
        let (c2, s2) = ((2.0 * w).cos(), -(2.0 * w).sin());
        let nr = self.b0 + self.b1 * c1 + self.b2 * c2;
        let ni = self.b1 * s1 + self.b2 * s2;
        let dr = 1.0 + self.a1 * c1 + self.a2 * c2;
        let di = self.a1 * s1 + self.a2 * s2;
        (nr * nr + ni * ni) / (dr * dr + di * di)
    }

    /// Magnitude response in dB at `freq_hz`.
    pub fn magnitude_db(&self, freq_hz: f64, sample_rate_hz: f64) -> f64 {
        let (re, im) = self.response(freq_hz, sample_rate_hz);
        10.0 * (re * re + im * im).log10()
    }
}

/// One biquad with its state.
#[derive(Debug, Clone, Copy)]
pub struct Biquad {
    /// The coefficients in use.
    pub coefficients: BiquadCoefficients,
    s1: f64,
    s2: f64,
}

impl Biquad {
    /// A biquad with the given coefficients and cleared state.
    pub fn new(coefficients: BiquadCoefficients) -> Self {
        Self {
            coefficients,
            s1: 0.0,
            s2: 0.0,
        }
    }

    /// Clears the state.
    pub fn reset(&mut self) {
        self.s1 = 0.0;
        self.s2 = 0.0;
    }

    /// Filters one sample.
    #[inline(always)]
    pub fn tick(&mut self, x: f64) -> f64 {
        let mut state = [self.s1, self.s2];
        let y = tick_state(&self.coefficients, &mut state, x);
        [self.s1, self.s2] = state;
        y
    }

    /// The state `(s1, s2)`, for a caller that steps several sections side by side
    /// ([`BiquadLanes`]).
    pub fn state(&self) -> [f64; 2] {
        [self.s1, self.s2]
    }

    /// Sets the state `(s1, s2)` (see [`Biquad::state`]).
    pub fn set_state(&mut self, state: [f64; 2]) {
        [self.s1, self.s2] = state;
    }

    /// Flushes state that has decayed below the smallest normal `f32` to zero, so long silence
    /// never leaves the filter running on subnormals.
    #[inline]
    pub fn flush_denormals(&mut self) {
        if self.s1.abs() < 1e-30 {
            self.s1 = 0.0;
        }
        if self.s2.abs() < 1e-30 {
            self.s2 = 0.0;
        }
    }
}

/// One step of a biquad in transposed direct form II whose state `(s1, s2)` is kept
/// elsewhere (per channel, or in registers over a block).
#[inline(always)]
pub fn tick_state(c: &BiquadCoefficients, state: &mut [f64; 2], x: f64) -> f64 {
    let y = c.b0 * x + state[0];
    state[0] = c.b1 * x - c.a1 * y + state[1];
    state[1] = c.b2 * x - c.a2 * y;
    y
}

/// One step of the same biquad on two channels side by side (the compiler pairs the lanes
/// in one SIMD register). `state[0]` holds both channels' `s1`, `state[1]` their `s2`; the
/// arithmetic is [`tick_state`]'s, in the same order ([`BiquadLanes::tick`] with `c` twice).
#[inline(always)]
pub fn tick_pair(c: &BiquadCoefficients, state: &mut [[f64; 2]; 2], x: [f64; 2]) -> [f64; 2] {
    BiquadLanes::new([c, c]).tick(state, x)
}

/// One step of two different biquads side by side (lane `i` runs `c[i]`), as [`tick_pair`]
/// does for one: for two independent paths of a processor that the compiler can pair.
#[inline(always)]
pub fn tick_lanes(c: [&BiquadCoefficients; 2], state: &mut [[f64; 2]; 2], x: [f64; 2]) -> [f64; 2] {
    BiquadLanes::new(c).tick(state, x)
}

/// `L` different biquads side by side, lane `i` running section `i` (what [`tick_pair`] and
/// [`tick_lanes`] run for two): the coefficients packed per lane so a step is a handful of SIMD operations, for
/// independent sections of a processor, e.g. the stages of a software pipeline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BiquadLanes<const L: usize> {
    b0: [f64; L],
    b1: [f64; L],
    b2: [f64; L],
    a1: [f64; L],
    a2: [f64; L],
}

impl<const L: usize> BiquadLanes<L> {
    /// The sections `c`, lane by lane.
    #[inline(always)]
    pub fn new(c: [&BiquadCoefficients; L]) -> Self {
        Self {
            b0: c.map(|c| c.b0),
            b1: c.map(|c| c.b1),
            b2: c.map(|c| c.b2),
            a1: c.map(|c| c.a1),
            a2: c.map(|c| c.a2),
        }
    }

    /// One step of every lane: `state[0]` holds the lanes' `s1`, `state[1]` their `s2`; the
    /// arithmetic is [`tick_state`]'s, in the same order, so each lane gives its bits.
    #[inline(always)]
    pub fn tick(&self, state: &mut [[f64; L]; 2], x: [f64; L]) -> [f64; L] {
        let [s1, s2] = *state;
        let y: [f64; L] = std::array::from_fn(|i| self.b0[i] * x[i] + s1[i]);
        state[0] = std::array::from_fn(|i| self.b1[i] * x[i] - self.a1[i] * y[i] + s2[i]);
        state[1] = std::array::from_fn(|i| self.b2[i] * x[i] - self.a2[i] * y[i]);
        y
    }

    /// [`BiquadLanes::tick`] where only the lanes marked in `active` step: the others keep
    /// their state (their outputs are meaningless). For the ends of a pipelined block; with
    /// `active` all `true` at compile time it is `tick`.
    #[inline(always)]
    pub fn tick_some(&self, state: &mut [[f64; L]; 2], x: [f64; L], active: [bool; L]) -> [f64; L] {
        let before = *state;
        let y = self.tick(state, x);
        for (i, on) in active.into_iter().enumerate() {
            if !on {
                state[0][i] = before[0][i];
                state[1][i] = before[1][i];
            }
        }
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_is_flat() {
        for f in [10.0, 1000.0, 20_000.0] {
            assert!(BiquadCoefficients::IDENTITY.magnitude_db(f, 48_000.0).abs() < 1e-12);
        }
    }

    #[test]
    fn measured_sine_gain_matches_analytic_response() {
        // A simple resonant low-pass; measure steady-state sine gain.
        let c = BiquadCoefficients {
            b0: 0.0200833656,
            b1: 0.0401667311,
            b2: 0.0200833656,
            a1: -1.5610180758,
            a2: 0.6413515381,
        };
        let sr = 48_000.0;
        for f in [100.0, 2000.0, 6000.0] {
            // RMS over whole cycles after the transient: amplitude = sqrt(2) * RMS exactly.
            let mut bq = Biquad::new(c);
            let mut energy = 0.0;
            let mut count = 0;
            for n in 0..48_000 {
                let y = bq.tick((2.0 * PI * f * n as f64 / sr).sin());
                if n >= 24_000 {
                    energy += y * y;
                    count += 1;
                }
            }
            let measured = 10.0 * (2.0 * energy / count as f64).log10();
            assert!((measured - c.magnitude_db(f, sr)).abs() < 0.01, "{f} Hz");
        }
    }
}
