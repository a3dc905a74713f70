//! Output dither for delivery at 24, 20 or 16 bits.
//!
//! Requantisation with TPDF (triangular probability density) dither of 2 LSB peak-to-peak,
//! which makes the first two moments of the total error independent of the signal, so
//! truncation distortion becomes a steady, signal-independent noise floor (Lipshitz, Wannamaker
//! & Vanderkooy, "Quantization and Dither: A Theoretical Survey", JAES 40(5), 1992). The total
//! error power is `q²/4` (`q` = one LSB): `q²/12` from the rounding plus `q²/6` from the dither.
//!
//! Optional noise shaping feeds the total error back through the 3-tap F-weighted filter of
//! Wannamaker, "Psychoacoustically Optimal Noise Shaping", JAES 40(7/8), 1992. The noise transfer
//! function `1 - 1.623 z^-1 + 0.982 z^-2 - 0.109 z^-3` lowers the noise where hearing is most
//! sensitive (about 12 dB at low frequencies and 2-5 kHz at 44.1/48 kHz) and moves it above
//! 10 kHz. The design assumes 44.1-48 kHz; at higher rates it still works but helps less.
//!
//! Every output is a whole number of LSBs at the chosen depth, and no output exceeds a given
//! limit (also a whole number of LSBs), so dither never pushes a file past the ceiling.

use crate::chains::MAX_CHANNELS;

/// Output word length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DitherDepth {
    /// No requantisation: 32-bit float output passes unchanged.
    #[default]
    Off,
    /// 24-bit delivery.
    Bits24,
    /// 20-bit delivery.
    Bits20,
    /// 16-bit delivery (CD).
    Bits16,
}

impl DitherDepth {
    /// Bits of the target word length, or `None` when off.
    pub fn bits(self) -> Option<u32> {
        match self {
            DitherDepth::Off => None,
            DitherDepth::Bits24 => Some(24),
            DitherDepth::Bits20 => Some(20),
            DitherDepth::Bits16 => Some(16),
        }
    }

    /// One LSB at this depth (full scale = 1.0), or `None` when off.
    pub fn lsb(self) -> Option<f32> {
        self.bits().map(|b| (2.0f64).powi(1 - b as i32) as f32)
    }
}

/// Error-feedback coefficients of the noise-shaping filter (Wannamaker 1992, 3-tap F-weighted).
pub const SHAPING: [f32; 3] = [1.623, -0.982, 0.109];

/// A small, fast, deterministic generator (xorshift32, Marsaglia 2003). Deterministic seeding
/// makes plugin and CLI renders bit-identical.
#[derive(Debug, Clone, Copy)]
struct XorShift(u32);

impl XorShift {
    #[inline(always)]
    fn next_unit(&mut self) -> f32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        (x >> 8) as f32 * (1.0 / 16_777_216.0)
    }
}

/// Samples of noise drawn ahead at a time (without shaping).
const NOISE_CHUNK: usize = 256;

/// TPDF noise (the difference of two uniform draws, in that order) for `a` from `ra` and for
/// `b` from `rb`, the two generators stepped side by side.
#[inline]
fn draw_pair(ra: &mut XorShift, rb: &mut XorShift, a: &mut [f32], b: &mut [f32]) {
    let (mut sa, mut sb) = (*ra, *rb);
    let both = a.len().min(b.len());
    let (a_both, a_rest) = a.split_at_mut(both);
    let (b_both, b_rest) = b.split_at_mut(both);
    for (x, y) in a_both.iter_mut().zip(b_both.iter_mut()) {
        *x = sa.next_unit() - sa.next_unit();
        *y = sb.next_unit() - sb.next_unit();
    }
    for x in a_rest {
        *x = sa.next_unit() - sa.next_unit();
    }
    for y in b_rest {
        *y = sb.next_unit() - sb.next_unit();
    }
    (*ra, *rb) = (sa, sb);
}

avx_dispatch! {
    /// One channel's chunk requantised with its drawn `noise` (as long as `x`), without shaping:
    /// the same expressions as the shaped loop with no feedback, in a loop that vectorises;
    /// the error history `err` is brought up to date from the last three samples.
    fn requantise_chunk(x: &mut [f32], noise: &[f32], q: f32, max_steps: f32, err: &mut [f32; 3]) =
        requantise_chunk_generic;
}

#[inline(always)]
fn requantise_chunk_generic(
    x: &mut [f32],
    noise: &[f32],
    q: f32,
    max_steps: f32,
    err: &mut [f32; 3],
) {
    let inv_q = 1.0 / q;
    let n = x.len().min(noise.len());
    let tail = n.saturating_sub(3);
    let mut last = [0.0f32; 3];
    last[..n - tail].copy_from_slice(&x[tail..n]);
    for (x, &t) in x[..n].iter_mut().zip(noise) {
        let v = *x - 0.0;
        let steps = crate::math::round(v * inv_q + t).clamp(-max_steps, max_steps);
        *x = steps * q;
    }
    for (i, &v) in last[..n - tail].iter().enumerate() {
        let y = x[tail + i];
        let e = (y - (v - 0.0)).clamp(-4.0 * q, 4.0 * q);
        *err = [e, err[0], err[1]];
    }
}

/// Settings of [`Dither`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DitherSettings {
    /// Target word length.
    pub depth: DitherDepth,
    /// Whether the requantisation noise is shaped ([`SHAPING`]).
    pub shaping: bool,
    /// Outputs stay within `±limit`, rounded down to whole LSBs.
    pub limit: f32,
}

impl Default for DitherSettings {
    /// Off, unshaped, limited to full scale.
    fn default() -> Self {
        Self {
            depth: DitherDepth::Off,
            shaping: false,
            limit: 1.0,
        }
    }
}

/// TPDF dither with optional noise shaping, for up to [`MAX_CHANNELS`] channels.
#[derive(Debug, Clone)]
pub struct Dither {
    depth: DitherDepth,
    shaping: bool,
    limit: f32,
    rng: [XorShift; MAX_CHANNELS],
    /// Past total errors per channel, newest first.
    error: [[f32; 3]; MAX_CHANNELS],
}

impl Default for Dither {
    fn default() -> Self {
        Self::new()
    }
}

impl Dither {
    /// Dither that is off until settings turn it on.
    pub fn new() -> Self {
        let mut d = Self {
            depth: DitherDepth::Off,
            shaping: false,
            limit: 1.0,
            rng: [XorShift(1); MAX_CHANNELS],
            error: [[0.0; 3]; MAX_CHANNELS],
        };
        d.reset_state();
        d
    }

    /// The depth in use.
    pub fn depth(&self) -> DitherDepth {
        self.depth
    }

    /// Restarts the noise sequence and clears the error history.
    fn reset_state(&mut self) {
        for (c, r) in self.rng.iter_mut().enumerate() {
            *r = XorShift(0x9E37_79B9 ^ (c as u32 + 1).wrapping_mul(0x85EB_CA6B));
        }
        self.error = [[0.0; 3]; MAX_CHANNELS];
    }

    /// Requantises a block in place; outputs stay within `±limit` (rounded down to whole
    /// LSBs). Does nothing when the depth is [`DitherDepth::Off`].
    fn requantise(&mut self, channels: &mut [&mut [f32]]) {
        let Some(q) = self.depth.lsb() else {
            return;
        };
        let inv_q = 1.0 / q;
        let max_steps = (self.limit * inv_q).floor();
        if !self.shaping {
            self.requantise_flat(channels, q, max_steps);
            return;
        }
        for ((ch, rng), err) in channels
            .iter_mut()
            .zip(self.rng.iter_mut())
            .zip(self.error.iter_mut())
        {
            for x in ch.iter_mut() {
                let feedback = SHAPING[0] * err[0] + SHAPING[1] * err[1] + SHAPING[2] * err[2];
                let v = *x - feedback;
                let tpdf = rng.next_unit() - rng.next_unit();
                let steps = crate::math::round(v * inv_q + tpdf).clamp(-max_steps, max_steps);
                let y = steps * q;
                // Bound the fed-back error so a clamp at the limit cannot wind the filter up.
                let e = (y - v).clamp(-4.0 * q, 4.0 * q);
                *err = [e, err[0], err[1]];
                *x = y;
            }
        }
    }

    /// [`Dither::requantise`] without noise shaping, the same samples: each channel's noise is
    /// drawn ahead a chunk at a time (two channels' generators in one loop, so their chains of
    /// dependent operations overlap), then the chunk is requantised in a loop that vectorises.
    fn requantise_flat(&mut self, channels: &mut [&mut [f32]], q: f32, max_steps: f32) {
        let count = channels.len().min(MAX_CHANNELS);
        let mut noise = [[0.0f32; NOISE_CHUNK]; 2];
        for c in (0..count).step_by(2) {
            let pair = c + 1 < count;
            let len = if pair {
                channels[c].len().max(channels[c + 1].len())
            } else {
                channels[c].len()
            };
            let mut start = 0;
            while start < len {
                let end = (start + NOISE_CHUNK).min(len);
                let [na, nb] = &mut noise;
                let (ra, rb) = self.rng[c..].split_at_mut(1);
                let na = &mut na[..channels[c].len().clamp(start, end) - start];
                if pair {
                    let nb = &mut nb[..channels[c + 1].len().clamp(start, end) - start];
                    draw_pair(&mut ra[0], &mut rb[0], na, nb);
                } else {
                    draw_pair(&mut ra[0], &mut XorShift(1), na, &mut []);
                }
                for k in 0..if pair { 2 } else { 1 } {
                    let ch = &mut channels[c + k];
                    let to = ch.len().clamp(start, end);
                    requantise_chunk(
                        &mut ch[start.min(to)..to],
                        &noise[k][..to - start.min(to)],
                        q,
                        max_steps,
                        &mut self.error[c + k],
                    );
                }
                start = end;
            }
        }
    }

    /// Analytic magnitude (dB) of the noise transfer function at a frequency: 0 dB without
    /// shaping (flat TPDF), the shaped curve otherwise. Used by tests and the GUI.
    pub fn noise_transfer_db(shaping: bool, freq_hz: f64, sample_rate_hz: f64) -> f64 {
        if !shaping {
            return 0.0;
        }
        let w = 2.0 * std::f64::consts::PI * freq_hz / sample_rate_hz;
        let (mut re, mut im) = (1.0, 0.0);
        for (k, &c) in SHAPING.iter().enumerate() {
            let p = w * (k + 1) as f64;
            re -= c as f64 * p.cos();
            im += c as f64 * p.sin();
        }
        10.0 * (re * re + im * im).log10()
    }
}

impl crate::Block for Dither {
    type Settings = DitherSettings;

    /// Dither does not depend on the rate.
    fn set_sample_rate(&mut self, _sample_rate_hz: f64) {}

    /// A new depth or shaping clears the error history (the noise sequence runs on).
    fn set_settings(&mut self, s: &DitherSettings) {
        if s.depth != self.depth || s.shaping != self.shaping {
            self.depth = s.depth;
            self.shaping = s.shaping;
            self.error = [[0.0; 3]; MAX_CHANNELS];
        }
        self.limit = s.limit;
    }

    /// Restarts the noise sequence and clears the error history.
    fn reset(&mut self) {
        self.reset_state();
    }

    /// Requantises a block in place (nothing when the depth is [`DitherDepth::Off`]).
    fn process(&mut self, channels: &mut [&mut [f32]]) {
        self.requantise(channels);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Block;

    /// The flat TPDF path (noise drawn ahead, two channels' generators side by side, the
    /// requantising loop vectorised) gives the samples and the state of the plain per-sample
    /// loop to the bit: one to three channels of unequal length, blocks of 1 to 1000, at 16
    /// and 24 bits with a limit below full scale. (Drawing the second channel's two uniforms
    /// in the other order fails.)
    #[test]
    fn the_flat_path_is_the_per_sample_loop() {
        let signal = |seed: u32, len: usize| -> Vec<f32> {
            let mut s = seed;
            (0..len)
                .map(|i| {
                    s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    let r = (s >> 8) as f32 / 16_777_216.0 - 0.5;
                    0.9 * (i as f32 * 0.013).sin() + 0.2 * r
                })
                .collect()
        };
        for depth in [DitherDepth::Bits16, DitherDepth::Bits24] {
            let settings = DitherSettings {
                depth,
                shaping: false,
                limit: 0.891,
            };
            for lens in [vec![2000usize], vec![2000, 2000], vec![1999, 2000, 1500]] {
                for block in [1usize, 3, 256, 257, 1000] {
                    let x: Vec<Vec<f32>> = lens
                        .iter()
                        .enumerate()
                        .map(|(c, &n)| signal(c as u32 + 5, n))
                        .collect();
                    let mut fast = Dither::new();
                    fast.set_settings(&settings);
                    let mut y = x.clone();
                    let longest = lens.iter().copied().max().unwrap_or(0);
                    for start in (0..longest).step_by(block) {
                        let mut parts: Vec<&mut [f32]> = y
                            .iter_mut()
                            .map(|c| {
                                let a = start.min(c.len());
                                let b = (start + block).min(c.len());
                                &mut c[a..b]
                            })
                            .collect();
                        fast.process(&mut parts);
                    }
                    // The per-sample loop, as the shaped path runs it with no feedback.
                    let mut plain = Dither::new();
                    plain.set_settings(&settings);
                    let q = depth.lsb().expect("a depth");
                    let inv_q = 1.0 / q;
                    let max_steps = (settings.limit * inv_q).floor();
                    let mut z = x.clone();
                    for (c, ch) in z.iter_mut().enumerate() {
                        let (rng, err) = (&mut plain.rng[c], &mut plain.error[c]);
                        for x in ch.iter_mut() {
                            let v = *x - 0.0;
                            let tpdf = rng.next_unit() - rng.next_unit();
                            let steps =
                                crate::math::round(v * inv_q + tpdf).clamp(-max_steps, max_steps);
                            let y = steps * q;
                            *err = [(y - v).clamp(-4.0 * q, 4.0 * q), err[0], err[1]];
                            *x = y;
                        }
                    }
                    let what = format!("{depth:?}, lengths {lens:?}, blocks of {block}");
                    assert!(y == z, "{what}");
                    for c in 0..lens.len() {
                        assert_eq!(fast.rng[c].0, plain.rng[c].0, "{what}");
                        assert_eq!(fast.error[c], plain.error[c], "{what}");
                    }
                }
            }
        }
    }
}
