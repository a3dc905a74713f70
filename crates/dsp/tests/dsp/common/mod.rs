//! Deterministic test programme material shared by tests and benchmarks.

#![allow(dead_code)]

use rand::{Rng, SeedableRng};
use std::f64::consts::PI;

/// Stereo noise, low-passed and tilted towards pink, whose level moves every 2-6 s to a new
/// level between -36 and -12 dB (1 s ramps): a long signal with a real loudness range.
pub fn level_jumping_noise(seconds: f64, sr: f64, seed: u64) -> [Vec<f32>; 2] {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let n = (seconds * sr) as usize;
    let mut out = [Vec::with_capacity(n), Vec::with_capacity(n)];
    let (mut l1, mut r1, mut l2, mut r2) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let a1 = (-2.0 * PI * 8000.0 / sr).exp();
    let a2 = (-2.0 * PI * 500.0 / sr).exp();
    let mut gain = 0.1;
    let mut target = 0.1;
    let ramp = 1.0 / sr;
    let mut next_change = 0usize;
    for i in 0..n {
        if i >= next_change {
            target = 10f64.powf(rng.random_range(-36.0..-12.0) / 20.0);
            next_change = i + (rng.random_range(2.0..6.0) * sr) as usize;
        }
        // Move towards the target in dB over about a second.
        let step = (target / gain).ln() * ramp;
        gain *= step.clamp(-ramp * 3.0, ramp * 3.0).exp();
        let (wl, wr): (f64, f64) = (rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0));
        l1 = a1 * l1 + (1.0 - a1) * wl;
        r1 = a1 * r1 + (1.0 - a1) * wr;
        l2 = a2 * l2 + (1.0 - a2) * l1;
        r2 = a2 * r2 + (1.0 - a2) * r1;
        out[0].push((gain * (l1 + 2.0 * l2)) as f32);
        out[1].push((gain * (r1 + 2.0 * r2)) as f32);
    }
    out
}

/// Music-like stereo: a bass line, chords with attack/decay envelopes and noise hats, in
/// sections of different loudness.
pub fn music_like(seconds: f64, sr: f64, seed: u64) -> [Vec<f32>; 2] {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let n = (seconds * sr) as usize;
    let mut left = Vec::with_capacity(n);
    let mut right = Vec::with_capacity(n);
    let beat = (0.25 * sr) as usize;
    let section = (8.0 * sr) as usize;
    let scale = [0, 2, 3, 5, 7, 8, 10];
    let mut section_gain = 0.5;
    let mut notes = [110.0f64; 4];
    let mut hat_phase = 0.0;
    for i in 0..n {
        if i % section == 0 {
            section_gain = 10f64.powf(rng.random_range(-18.0..0.0) / 20.0);
        }
        let pos = i % beat;
        if pos == 0 {
            let root = 55.0 * 2f64.powf(scale[rng.random_range(0..7)] as f64 / 12.0);
            notes = [root, root * 4.0, root * 4.0 * 1.26, root * 4.0 * 1.5];
        }
        let t = i as f64 / sr;
        let env = (-(pos as f64) / (0.12 * sr)).exp() * (pos as f64 / (0.005 * sr)).min(1.0);
        let bass = 0.4 * (2.0 * PI * notes[0] * t).sin();
        let chord: f64 = notes[1..]
            .iter()
            .map(|f| 0.15 * (2.0 * PI * f * t).sin() + 0.05 * (4.0 * PI * f * t).sin())
            .sum();
        // Hats: a cluster of partials between 6 and 11 kHz, band-limited like real programme.
        if pos == 0 {
            hat_phase = rng.random_range(0.0..2.0 * PI);
        }
        let hat = if pos < beat / 8 {
            let decay = (-(pos as f64) / (0.01 * sr)).exp();
            decay
                * [6100.0, 7300.0, 8900.0, 10_700.0]
                    .iter()
                    .map(|f| 0.03 * (2.0 * PI * f * t + hat_phase * f / 6100.0).sin())
                    .sum::<f64>()
        } else {
            0.0
        };
        let v = section_gain * env * (bass + chord);
        left.push((v + hat * 0.7) as f32);
        right.push((0.9 * v - hat * 0.5) as f32);
    }
    [left, right]
}

/// Sine at `sr * ratio` with a phase offset and amplitude, 10 ms fades in and out, 1 s long
/// (the shape of EBU Tech 3341 cases 15-19).
pub fn faded_sine(sr: f64, ratio: f64, phase_deg: f64, amplitude: f64) -> Vec<f32> {
    let n = sr as usize;
    let fade = (0.01 * sr) as usize;
    (0..n)
        .map(|i| {
            let env = (i.min(n - 1 - i) as f64 / fade as f64).min(1.0);
            (env * amplitude * (2.0 * PI * ratio * i as f64 + phase_deg.to_radians()).sin()) as f32
        })
        .collect()
}

/// A sine of `freq_hz` and amplitude `amp` at `sr`, `len` samples, computed in f64.
pub fn sine(freq_hz: f64, amp: f64, sr: f64, len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| (amp * (std::f64::consts::TAU * freq_hz * i as f64 / sr).sin()) as f32)
        .collect()
}

/// The mid/side impulse responses of a stereo block made by `make` (fresh for each impulse),
/// `n` samples: `[mid -> mid, side -> side, mid -> side, side -> mid]`.
pub fn mid_side_responses<B: lathe_dsp::Block>(make: impl Fn() -> B, n: usize) -> [Vec<f32>; 4] {
    let run = |l0: f32, r0: f32| {
        let mut block = make();
        let (mut l, mut r) = (vec![0.0f32; n], vec![0.0f32; n]);
        l[0] = l0;
        r[0] = r0;
        block.process(&mut [&mut l, &mut r]);
        let mid: Vec<f32> = l.iter().zip(&r).map(|(a, b)| 0.5 * (a + b)).collect();
        let side: Vec<f32> = l.iter().zip(&r).map(|(a, b)| 0.5 * (a - b)).collect();
        (mid, side)
    };
    let (mid_mid, mid_side) = run(1.0, 1.0);
    let (side_mid, side_side) = run(1.0, -1.0);
    [mid_mid, side_side, mid_side, side_mid]
}

/// Index of the largest magnitude in `x` (an impulse response's peak: its delay).
pub fn peak_index(x: &[f32]) -> usize {
    x.iter()
        .enumerate()
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .map_or(0, |(i, _)| i)
}

/// A full-scale square wave at `freq_hz`, `len` samples.
pub fn square(freq_hz: f64, sr: f64, len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| {
            if (freq_hz * i as f64 / sr).fract() < 0.5 {
                1.0
            } else {
                -1.0
            }
        })
        .collect()
}

/// A constant magnitude `a` alternating in sign: peak and RMS detectors read it without ripple.
pub fn alternating(a: f32, len: usize) -> Vec<f32> {
    (0..len).map(|i| if i % 2 == 0 { a } else { -a }).collect()
}

/// `20 log10 |x|`, floored at -240 dB.
pub fn db(x: impl Into<f64>) -> f64 {
    20.0 * x.into().abs().max(1e-12).log10()
}

/// `10^(db / 20)`.
pub fn gain(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

/// Amplitude of `freq` in `x` by correlation (exact over whole periods).
pub fn tone_amplitude(x: &[f32], freq: f64, sr: f64) -> f64 {
    let (mut c, mut s) = (0.0, 0.0);
    for (i, &v) in x.iter().enumerate() {
        let ph = 2.0 * PI * freq * i as f64 / sr;
        c += v as f64 * ph.cos();
        s += v as f64 * ph.sin();
    }
    2.0 * (c * c + s * s).sqrt() / x.len() as f64
}

/// [`tone_amplitude`] in dB.
pub fn tone_level_db(x: &[f32], freq: f64, sr: f64) -> f64 {
    20.0 * tone_amplitude(x, freq, sr).log10()
}

/// The amplitude of `freq` in `x` and the total harmonic distortion (harmonics 2 to
/// `last_harmonic`, as a ratio of it).
pub fn thd(x: &[f32], freq: f64, sr: f64, last_harmonic: u32) -> (f64, f64) {
    let fundamental = tone_amplitude(x, freq, sr);
    let harmonics = (2..=last_harmonic)
        .map(|k| tone_amplitude(x, freq * k as f64, sr).powi(2))
        .sum::<f64>()
        .sqrt();
    (fundamental, harmonics / fundamental)
}

/// Test frequencies: 1/6 octave from 20 Hz to 20 kHz.
pub fn frequencies() -> Vec<f64> {
    (0..=60).map(|i| 20.0 * 2f64.powf(i as f64 / 6.0)).collect()
}

/// The largest magnitude of `x` above `freq_hz` (an 8th-order Butterworth high-pass over it),
/// after the first 4096 samples (the filter's own start): what a click adds to a tone below
/// `freq_hz`.
pub fn peak_above(x: &[f32], freq_hz: f32, sr: f64) -> f32 {
    use lathe_dsp::Block;
    let mut hp = lathe_dsp::filters::eq::PassFilter::new(true, sr);
    hp.set_settings(&lathe_dsp::filters::eq::PassSettings {
        enabled: true,
        freq_hz,
        slope: lathe_dsp::filters::design::Slope::Db48,
        q: std::f32::consts::FRAC_1_SQRT_2,
    });
    let mut high = x.to_vec();
    let mut copy = x.to_vec();
    hp.process(&mut [&mut high, &mut copy]);
    high[4096.min(high.len())..]
        .iter()
        .fold(0.0f32, |m, v| m.max(v.abs()))
}

/// The largest sample difference between `a` and `b`.
pub fn max_difference(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// The magnitude response of an impulse response `h` at `sr`, dB, read at the transform bin
/// nearest each frequency (`h.len()` points).
pub fn magnitude_db(h: &[f32], sr: f64) -> impl Fn(f64) -> f64 + use<> {
    let n = h.len();
    let fft = realfft::RealFftPlanner::<f64>::new().plan_fft_forward(n);
    let mut x: Vec<f64> = h.iter().map(|&v| v as f64).collect();
    let mut spectrum = fft.make_output_vec();
    fft.process(&mut x, &mut spectrum).unwrap();
    move |f: f64| {
        let bin = (f * n as f64 / sr).round() as usize;
        20.0 * spectrum[bin].norm().max(1e-12).log10()
    }
}
