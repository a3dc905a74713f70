//! Oversampling by 2, 4, 8 or 16 with linear-phase halfband FIR stages.
//!
//! Each 2x stage is a Kaiser-windowed halfband low-pass (h[0] = 1/2, every other tap zero;
//! Harris, "Multirate Signal Processing for Communication Systems", ch. 8), run in polyphase
//! form: one phase is a pure delay, the other a short FIR, both for interpolation and for
//! decimation. The first stage, which guards the audio band, has 127 taps (about 100 dB of
//! image/alias rejection with the passband flat to 0.45 fs); later stages work on signals
//! already band-limited to a quarter of their rate and need only 31 taps.
//!
//! The round trip (up, process at the high rate, down) delays the signal by a whole number of
//! base-rate samples, [`Oversampler::latency`]: a delay of a few samples at the highest rate
//! makes up the fractional part the stages leave.

use std::f64::consts::PI;

/// Half-length (centre index) of the first stage; odd, so its delay is a whole number of
/// input samples. Total taps 2M + 1.
const FIRST_STAGE_HALF: usize = 63;
/// Half-length of the later stages.
const LATER_STAGE_HALF: usize = 15;
/// Kaiser window beta (about 100 dB stopband).
const KAISER_BETA: f64 = 10.0;

fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    for k in 1..50 {
        term *= (x / (2.0 * k as f64)).powi(2);
        sum += term;
        if term < 1e-20 * sum {
            break;
        }
    }
    sum
}

/// Causal halfband taps g[i] = h[i - M], i = 0..=2M.
fn halfband(half: usize) -> Vec<f64> {
    let m = half as f64;
    (0..=2 * half)
        .map(|i| {
            let n = i as f64 - m;
            let sinc = if n == 0.0 {
                1.0
            } else {
                (PI * n / 2.0).sin() / (PI * n / 2.0)
            };
            let r = n / m;
            let window =
                bessel_i0(KAISER_BETA * (1.0 - r * r).max(0.0).sqrt()) / bessel_i0(KAISER_BETA);
            0.5 * sinc * window
        })
        .collect()
}

/// One 2x stage: interpolator and decimator state for one channel.
#[derive(Debug, Clone)]
struct Stage {
    half: usize,
    /// Taps of the FIR phase: g[0], g[2], ..., g[2M] (M + 1 taps).
    fir: Vec<f32>,
    /// Interpolator: the last M + 1 input samples (newest last).
    up_history: Vec<f32>,
    /// Decimator: recent even-indexed and odd-indexed high-rate samples.
    down_even: Vec<f32>,
    down_odd: Vec<f32>,
}

impl Stage {
    fn new(half: usize) -> Self {
        let taps = halfband(half);
        let fir = taps.iter().step_by(2).map(|&t| t as f32).collect();
        Self {
            half,
            fir,
            up_history: vec![0.0; half + 1],
            down_even: vec![0.0; half + 1],
            down_odd: vec![0.0; half + 1],
        }
    }

    fn reset(&mut self) {
        self.up_history.fill(0.0);
        self.down_even.fill(0.0);
        self.down_odd.fill(0.0);
    }

    #[inline]
    fn push(history: &mut [f32], x: f32) {
        history.copy_within(1.., 0);
        let last = history.len() - 1;
        history[last] = x;
    }

    /// One input sample in, two output samples out (gain 2 restores the level).
    #[inline]
    fn upsample(&mut self, x: f32) -> [f32; 2] {
        Self::push(&mut self.up_history, x);
        let n = self.up_history.len();
        // y[2n] = 2 sum_k g[2k] x[n-k]; y[2n+1] = x[n - (M-1)/2].
        let mut acc = 0.0f32;
        for (k, &g) in self.fir.iter().enumerate() {
            acc += g * self.up_history[n - 1 - k];
        }
        let delayed = self.up_history[n - 1 - (self.half - 1) / 2];
        [2.0 * acc, delayed]
    }

    /// Two input samples in (even, odd), one out.
    #[inline]
    fn downsample(&mut self, pair: [f32; 2]) -> f32 {
        // y[n] = sum_k g[2k] z[2n-2k] + 0.5 z[2n-M]; with M odd, z[2n-M] is an odd sample.
        Self::push(&mut self.down_even, pair[0]);
        Self::push(&mut self.down_odd, pair[1]);
        let n = self.down_even.len();
        let mut acc = 0.0f32;
        for (k, &g) in self.fir.iter().enumerate() {
            acc += g * self.down_even[n - 1 - k];
        }
        // The pair is (z[2n], z[2n+1]); z[2n - M] = z[2(n - (M+1)/2) + 1] is the odd sample of
        // the pair (M + 1)/2 pairs back.
        acc + 0.5 * self.down_odd[n - 1 - self.half.div_ceil(2)]
    }
}

/// A multichannel oversampler by 1 (bypass), 2, 4, 8 or 16.
#[derive(Debug, Clone)]
pub struct Oversampler {
    factor: usize,
    stages: Vec<Vec<Stage>>,
    /// Extra delay at the highest rate that makes the latency a whole number of base samples.
    top_delay: Vec<Vec<f32>>,
    latency: u32,
    scratch: Vec<f32>,
}

impl Oversampler {
    /// An oversampler for `channels` channels; `factor` is rounded to 1, 2, 4, 8 or 16.
    pub fn new(channels: usize, factor: usize) -> Self {
        let factor = factor.clamp(1, 16).next_power_of_two().min(16);
        let count = factor.trailing_zeros() as usize;
        let stages: Vec<Vec<Stage>> = (0..channels)
            .map(|_| {
                (0..count)
                    .map(|s| {
                        Stage::new(if s == 0 {
                            FIRST_STAGE_HALF
                        } else {
                            LATER_STAGE_HALF
                        })
                    })
                    .collect()
            })
            .collect();
        // Stage s runs at base * 2^(s+1) and delays by M_s samples of that rate each way, so
        // 2 M_s * 2^(S-s-1) = M_s * 2^(S-s) samples of the top rate (S stages) for the round
        // trip. Pad the total to a whole number of base samples.
        let mut total_high = 0usize;
        for s in 0..count {
            let half = if s == 0 {
                FIRST_STAGE_HALF
            } else {
                LATER_STAGE_HALF
            };
            total_high += half << (count - s);
        }
        let pad = (factor - total_high % factor) % factor;
        let latency = ((total_high + pad) / factor) as u32;
        Self {
            factor,
            stages,
            top_delay: vec![vec![0.0; pad]; channels],
            latency,
            scratch: vec![0.0; factor],
        }
    }

    /// The oversampling factor.
    pub fn factor(&self) -> usize {
        self.factor
    }

    /// Round-trip latency in base-rate samples.
    pub fn latency(&self) -> u32 {
        self.latency
    }

    /// Clears all filter state.
    pub fn reset(&mut self) {
        for ch in &mut self.stages {
            for s in ch {
                s.reset();
            }
        }
        for d in &mut self.top_delay {
            d.fill(0.0);
        }
    }

    /// Runs one base-rate sample of one channel up to the high rate, through `process` (which
    /// sees `factor` consecutive high-rate samples), and back down.
    #[inline]
    pub fn process_sample(
        &mut self,
        channel: usize,
        x: f32,
        process: &mut impl FnMut(&mut [f32]),
    ) -> f32 {
        let factor = self.factor;
        if factor == 1 {
            let mut one = [x];
            process(&mut one);
            return one[0];
        }
        let stages = &mut self.stages[channel];
        let buf = &mut self.scratch;
        buf[0] = x;
        let mut len = 1;
        let mut next = [0.0f32; 16];
        for stage in stages.iter_mut() {
            // Each stage must see its input samples in time order.
            for i in 0..len {
                let [a, b] = stage.upsample(buf[i]);
                next[2 * i] = a;
                next[2 * i + 1] = b;
            }
            len *= 2;
            buf[..len].copy_from_slice(&next[..len]);
        }
        let delay = &mut self.top_delay[channel];
        if !delay.is_empty() {
            for v in buf.iter_mut() {
                let out = delay[0];
                delay.copy_within(1.., 0);
                let last = delay.len() - 1;
                delay[last] = *v;
                *v = out;
            }
        }
        process(buf);
        for stage in stages.iter_mut().rev() {
            len /= 2;
            for i in 0..len {
                buf[i] = stage.downsample([buf[2 * i], buf[2 * i + 1]]);
            }
        }
        buf[0]
    }

    /// Analytic magnitude (dB) of the first stage's halfband filter at `freq_hz`, for a stage
    /// running at `stage_rate_hz` (twice the base rate).
    pub fn first_stage_magnitude_db(freq_hz: f64, stage_rate_hz: f64) -> f64 {
        magnitude_db(&halfband(FIRST_STAGE_HALF), freq_hz, stage_rate_hz)
    }
}

/// Magnitude in dB of FIR taps at a frequency.
pub fn magnitude_db(taps: &[f64], freq_hz: f64, sample_rate_hz: f64) -> f64 {
    let w = 2.0 * PI * freq_hz / sample_rate_hz;
    let (mut re, mut im) = (0.0, 0.0);
    for (i, &t) in taps.iter().enumerate() {
        re += t * (w * i as f64).cos();
        im -= t * (w * i as f64).sin();
    }
    10.0 * (re * re + im * im).log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halfband_shape() {
        let h = halfband(FIRST_STAGE_HALF);
        assert_eq!(h.len(), 127);
        assert!((h[FIRST_STAGE_HALF] - 0.5).abs() < 1e-12);
        for i in (0..h.len()).filter(|&i| i % 2 == 1 && i != FIRST_STAGE_HALF) {
            assert!(h[i].abs() < 1e-15, "tap {i} should be zero");
        }
        let dc: f64 = h.iter().sum();
        assert!((dc - 1.0).abs() < 1e-6, "DC gain {dc}");
    }

    #[test]
    fn first_stage_passband_and_stopband() {
        let sr2 = 96_000.0; // stage rate for 48 kHz
        for f in [100.0, 1000.0, 10_000.0, 20_000.0, 21_500.0] {
            let db = Oversampler::first_stage_magnitude_db(f, sr2);
            assert!(db.abs() < 0.001, "{f} Hz: {db} dB");
        }
        for f in [26_500.0, 30_000.0, 40_000.0, 47_900.0] {
            let db = Oversampler::first_stage_magnitude_db(f, sr2);
            assert!(db < -95.0, "{f} Hz: {db} dB");
        }
    }
}
