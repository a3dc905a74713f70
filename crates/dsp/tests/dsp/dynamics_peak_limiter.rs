//! The lookahead peak limiter core: ceiling held on hard material, latency, smoothness,
//! program-dependent release, stereo link, block-size invariance, distortion.

use crate::common;

use common::gain;
use lathe_dsp::Block;
use lathe_dsp::dynamics::peak_limiter::{PeakLimiter, PeakLimiterSettings};
use rand::{Rng, SeedableRng};
use std::f64::consts::PI;

const SR: f64 = 48_000.0;

/// A stereo-linked limiter with a 0 dBFS ceiling.
fn linked_limiter(lookahead_ms: f32, release_ms: f32) -> PeakLimiter {
    let settings = PeakLimiterSettings {
        ceiling_db: 0.0,
        lookahead_ms,
        release_ms,
        link: 1.0,
    };
    PeakLimiter::new(2, SR, settings)
}

fn hard_material() -> Vec<(&'static str, Vec<f32>)> {
    let n = 48_000;
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let white: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    let mut pink = Vec::with_capacity(n);
    let (mut b0, mut b1, mut b2) = (0.0f32, 0.0f32, 0.0f32);
    for &w in &white {
        b0 = 0.99765 * b0 + w * 0.0990460;
        b1 = 0.96300 * b1 + w * 0.2965164;
        b2 = 0.57000 * b2 + w * 1.0526913;
        pink.push((b0 + b1 + b2 + w * 0.1848) * 0.3);
    }
    let square = |f: f64| common::square(f, SR, n);
    let quarter: Vec<f32> = (0..n)
        .map(|i| (2.0 * PI * 0.25 * i as f64 + PI / 4.0).sin() as f32)
        .collect();
    let impulses: Vec<f32> = (0..n)
        .map(|i| if i % 441 == 0 { 1.0 } else { 0.0 })
        .collect();
    let gain = gain(12.0) as f32;
    [
        ("white noise", white),
        ("pink noise", pink),
        ("square 1 kHz", square(1000.0)),
        ("square 5 kHz", square(5000.0)),
        ("square 11 kHz", square(11_000.0)),
        ("fs/4 sine at 45 degrees", quarter),
        ("impulse train", impulses),
    ]
    .into_iter()
    .map(|(name, x)| (name, x.into_iter().map(|v| v * gain).collect()))
    .collect()
}

fn run(l: &mut PeakLimiter, left: &mut [f32], right: &mut [f32], block: usize) {
    for (a, b) in left.chunks_mut(block).zip(right.chunks_mut(block)) {
        l.process(&mut [a, b]);
    }
}

#[test]
fn ceiling_holds_on_hard_material_at_12_db_drive() {
    for ceiling_db in [-12.0f32, -1.0, 0.0] {
        for lookahead_ms in [0.5f32, 1.5, 5.0] {
            for link in [0.0f32, 0.5, 1.0] {
                let ceiling = 10f32.powf(ceiling_db / 20.0);
                for (name, x) in hard_material() {
                    let settings = PeakLimiterSettings {
                        ceiling_db,
                        lookahead_ms,
                        release_ms: 100.0,
                        link,
                    };
                    let mut l = PeakLimiter::new(2, SR, settings);
                    let mut left = x.clone();
                    let mut right: Vec<f32> = x.iter().map(|v| -0.7 * v).collect();
                    run(&mut l, &mut left, &mut right, 512);
                    let peak = left
                        .iter()
                        .chain(right.iter())
                        .fold(0.0f32, |m, v| m.max(v.abs()));
                    assert!(
                        peak <= ceiling,
                        "{name}: peak {peak} over ceiling {ceiling} ({ceiling_db} dB, {lookahead_ms} ms, link {link})"
                    );
                }
            }
        }
    }
}

#[test]
fn below_the_ceiling_it_is_a_pure_delay_of_its_latency() {
    for lookahead_ms in [0.1f32, 1.5, 7.0] {
        let settings = PeakLimiterSettings {
            lookahead_ms,
            ..Default::default()
        };
        let mut l = PeakLimiter::new(2, SR, settings);
        let latency = l.latency() as usize;
        assert_eq!(
            latency,
            ((lookahead_ms as f64 * 48.0).round() as usize).max(1)
        );
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let x: Vec<f32> = (0..10_000)
            .map(|_| rng.random_range(-0.5f32..0.5))
            .collect();
        let (mut a, mut b) = (x.clone(), x.clone());
        run(&mut l, &mut a, &mut b, 333);
        for i in 0..x.len() {
            let expected = if i >= latency { x[i - latency] } else { 0.0 };
            assert_eq!(a[i], expected, "{lookahead_ms} ms: sample {i}");
        }
    }
}

#[test]
fn block_size_invariance() {
    let (_, x) = hard_material().remove(0);
    let mut reference: Option<Vec<f32>> = None;
    for block in [1usize, 17, 256, 257, 4096, 48_000] {
        let mut l = PeakLimiter::new(2, SR, PeakLimiterSettings::default());
        let (mut a, mut b) = (x.clone(), x.clone());
        run(&mut l, &mut a, &mut b, block);
        match &reference {
            None => reference = Some(a),
            Some(r) => assert_eq!(&a, r, "block {block}"),
        }
    }
}

/// Gain applied to a constant carrier: output / delayed input.
fn gain_curve(l: &mut PeakLimiter, input: &[f32]) -> Vec<f32> {
    let latency = l.latency() as usize;
    let (mut a, mut b) = (input.to_vec(), input.to_vec());
    run(l, &mut a, &mut b, 64);
    (latency..input.len())
        .map(|i| a[i] / input[i - latency])
        .collect()
}

#[test]
fn gain_moves_smoothly_and_arrives_before_the_peak() {
    let mut l = linked_limiter(2.0, 50.0);
    let lookahead = l.latency() as f32;
    // DC at 0.5, jumping to 2.0 (6 dB over the ceiling) for 100 ms.
    let x: Vec<f32> = (0..24_000)
        .map(|i| if (4800..9600).contains(&i) { 2.0 } else { 0.5 })
        .collect();
    let g = gain_curve(&mut l, &x);
    let max_step = g
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0f32, f32::max);
    // Two cascaded boxes over the lookahead: the steepest slope is about 1/(L/2) of the change.
    assert!(
        max_step <= 0.5 * 2.2 / lookahead,
        "gain steps by {max_step} per sample"
    );
    // At the loud part the gain is exactly what the ceiling needs.
    assert!((g[6000] - 0.5).abs() < 1e-6, "{}", g[6000]);
}

/// Samples until the gain is back within 1 dB of unity after the loud part ends.
fn recovery_samples(loud_ms: f64) -> usize {
    let mut l = linked_limiter(1.0, 200.0);
    let start = 4800;
    let end = start + (loud_ms * 48.0) as usize;
    let x: Vec<f32> = (0..end + 96_000)
        .map(|i| if (start..end).contains(&i) { 4.0 } else { 0.1 })
        .collect();
    let g = gain_curve(&mut l, &x);
    let unity = gain(-1.0) as f32;
    (end..g.len())
        .find(|&i| g[i] >= unity)
        .expect("gain recovers")
        - end
}

#[test]
fn release_is_program_dependent() {
    let burst = recovery_samples(5.0);
    let sustained = recovery_samples(2000.0);
    eprintln!(
        "recovery after a 5 ms burst: {:.1} ms; after 2 s: {:.1} ms",
        burst as f64 / 48.0,
        sustained as f64 / 48.0
    );
    assert!(
        burst * 3 < sustained,
        "burst {burst} vs sustained {sustained} samples"
    );
}

#[test]
fn stereo_link() {
    let burst: Vec<f32> = (0..9600)
        .map(|i| if (2400..2880).contains(&i) { 4.0 } else { 0.1 })
        .collect();
    let quiet = vec![0.1f32; 9600];
    for (link, right_reduced) in [(1.0f32, true), (0.0, false)] {
        let settings = PeakLimiterSettings {
            ceiling_db: 0.0,
            link,
            ..Default::default()
        };
        let mut l = PeakLimiter::new(2, SR, settings);
        let (mut a, mut b) = (burst.clone(), quiet.clone());
        l.process(&mut [&mut a, &mut b]);
        let right_min = b.iter().skip(200).fold(f32::MAX, |m, v| m.min(*v));
        if right_reduced {
            assert!(
                right_min < 0.05,
                "link 100%: right channel follows the left ({right_min})"
            );
        } else {
            assert_eq!(right_min, 0.1, "link 0%: right channel untouched");
        }
    }
}

/// THD of a sine at `freq` driven 6 dB over a 0 dBFS ceiling with a 500 ms release, measured
/// over the last 0.5 s; returns (fundamental amplitude, THD ratio).
fn thd_6_db_over(freq: f64) -> (f64, f64) {
    let mut l = linked_limiter(1.5, 500.0);
    let n = 96_000;
    let x: Vec<f32> = (0..n)
        .map(|i| (2.0 * (2.0 * PI * freq * i as f64 / SR).sin()) as f32)
        .collect();
    let (mut a, mut b) = (x.clone(), x);
    l.process(&mut [&mut a, &mut b]);
    // Analyse the last 0.5 s (whole cycles): harmonic amplitudes by correlation.
    common::thd(&a[n - 24_000..], freq, SR, 10)
}

#[test]
fn sine_6_db_over_with_slow_release_has_low_distortion() {
    // 1 kHz: the lookahead window spans more than half a period, so the gain is constant.
    let (fundamental, thd) = thd_6_db_over(1000.0);
    eprintln!(
        "1 kHz sine 6 dB into the limiter, 500 ms release: THD {:.4} % ({:.1} dB)",
        thd * 100.0,
        20.0 * thd.log10()
    );
    assert!(
        (fundamental - 1.0).abs() < 0.01,
        "fundamental {fundamental}"
    );
    assert!(thd < 0.001, "THD {thd}");
    // 40 Hz: the gain must follow the waveform between peaks; the slow release keeps it low.
    let (fundamental, thd) = thd_6_db_over(40.0);
    eprintln!(
        "40 Hz sine 6 dB into the limiter, 500 ms release: THD {:.3} % ({:.1} dB)",
        thd * 100.0,
        20.0 * thd.log10()
    );
    // Flattened peaks can carry a fundamental slightly above the 1.0 peak (a square wave's is
    // 4/pi of its peak), so the bound is two-sided around 1.
    assert!((fundamental - 1.0).abs() < 0.1, "fundamental {fundamental}");
    assert!(thd < 0.03, "THD {thd}");
}
