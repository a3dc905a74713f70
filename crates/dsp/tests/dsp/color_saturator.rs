//! The saturator against numbers: harmonics per character, aliasing at 4x, flatness for small
//! signals, block-size invariance.

use crate::common;

use common::{sine, tone_level_db};
use lathe_dsp::Block;
use lathe_dsp::color::saturator::{Character, Saturator, SaturatorOversampling, SaturatorSettings};
use realfft::RealFftPlanner;
use std::f64::consts::PI;

/// Harmonic levels (dB re the fundamental) and the worst non-harmonic component, from a
/// 1 s Blackman-Harris-windowed DFT at integer-Hz bins.
fn spectrum_report(x: &[f32], fundamental: f64, sr: f64) -> (Vec<f64>, f64) {
    let n = x.len();
    let mut planner = RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(n);
    let mut input: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let t = 2.0 * PI * i as f64 / n as f64;
            v as f64
                * (0.35875 - 0.48829 * t.cos() + 0.14128 * (2.0 * t).cos()
                    - 0.01168 * (3.0 * t).cos())
        })
        .collect();
    let mut spectrum = fft.make_output_vec();
    fft.process(&mut input, &mut spectrum).unwrap();
    let hz = |f: f64| (f * n as f64 / sr).round() as usize;
    let mag = |bin: usize| {
        (bin.saturating_sub(3)..=(bin + 3).min(spectrum.len() - 1))
            .map(|b| spectrum[b].norm())
            .fold(0.0, f64::max)
    };
    let fund = mag(hz(fundamental));
    let harmonics: Vec<f64> = (2..=4)
        .map(|k| 20.0 * (mag(hz(fundamental * k as f64)) / fund).log10())
        .collect();
    let mut worst = 0.0f64;
    for (bin, c) in spectrum.iter().enumerate().skip(hz(20.0)) {
        let f = bin as f64 * sr / n as f64;
        let nearest = (f / fundamental).round() * fundamental;
        if (f - nearest).abs() > 8.0 {
            worst = worst.max(c.norm());
        }
    }
    (harmonics, 20.0 * (worst / fund).log10())
}

fn saturate(settings: SaturatorSettings, input: &[f32], sr: f64) -> Vec<f32> {
    let mut sat = Saturator::new(1, sr);
    sat.set_settings(&settings);
    let mut out = input.to_vec();
    for block in out.chunks_mut(256) {
        sat.process(&mut [block]);
    }
    out
}

#[test]
fn saturator_aliasing_stays_below_minus_80_db_at_4x() {
    // The case: 5 kHz full scale, +12 dB drive, 48 kHz.
    let sr = 48_000.0;
    let input = sine(5000.0, 1.0, sr, 96_000);
    for os in [SaturatorOversampling::X4, SaturatorOversampling::X8] {
        for character in [Character::Tape, Character::Tube, Character::HardClip] {
            let out = saturate(
                SaturatorSettings {
                    character,
                    drive_db: 12.0,
                    mix: 1.0,
                    compensate: false,
                    oversampling: os,
                },
                &input,
                sr,
            );
            let (_, alias) = spectrum_report(&out[48_000..], 5000.0, sr);
            println!("{character:?} {os:?}: worst alias {alias:.1} dB");
            assert!(alias < -80.0, "{character:?} {os:?}: alias {alias:.1} dB");
        }
    }
}

#[test]
fn saturator_is_block_size_invariant_for_every_character() {
    // The ADAA carries the previous input across blocks; the result must not depend on where
    // the host cuts them.
    let sr = 48_000.0;
    let input: Vec<f32> = sine(310.0, 0.9, sr, 6000)
        .iter()
        .zip(sine(7300.0, 0.3, sr, 6000))
        .map(|(a, b)| a + b)
        .collect();
    for character in [Character::Tape, Character::Tube, Character::HardClip] {
        for os in [SaturatorOversampling::Off, SaturatorOversampling::X2] {
            let settings = SaturatorSettings {
                character,
                drive_db: 18.0,
                mix: 0.7,
                compensate: true,
                oversampling: os,
            };
            let run = |block: usize| {
                let mut sat = Saturator::new(1, sr);
                sat.set_settings(&settings);
                let mut out = input.clone();
                for chunk in out.chunks_mut(block) {
                    sat.process(&mut [chunk]);
                }
                out
            };
            let whole = run(4096);
            for block in [1, 7, 64, 1000] {
                assert_eq!(
                    run(block),
                    whole,
                    "{character:?} {os:?} in blocks of {block}"
                );
            }
        }
    }
}

#[test]
fn saturator_characters_have_their_harmonics() {
    let sr = 48_000.0;
    let input = sine(200.0, 0.5, sr, 96_000);
    let report = |character| {
        let out = saturate(
            SaturatorSettings {
                character,
                drive_db: 12.0,
                mix: 1.0,
                compensate: true,
                oversampling: SaturatorOversampling::X4,
            },
            &input,
            sr,
        );
        spectrum_report(&out[48_000..], 200.0, sr).0
    };
    for character in [Character::Tape, Character::HardClip] {
        let h = report(character);
        println!(
            "{character:?}: H2 {:.1} H3 {:.1} H4 {:.1} dB",
            h[0], h[1], h[2]
        );
        assert!(h[1] > -30.0, "{character:?} has a strong third");
        assert!(
            h[0] < -80.0 && h[2] < -80.0,
            "{character:?} has no even harmonics"
        );
    }
    let h = report(Character::Tube);
    println!("Tube: H2 {:.1} H3 {:.1} H4 {:.1} dB", h[0], h[1], h[2]);
    assert!(h[0] > -30.0, "tube has a strong second harmonic");
}

#[test]
fn saturator_is_flat_for_small_signals() {
    // At -40 dBFS the shaper is linear: the ADAA droop compensation keeps 20 kHz within
    // 0.1 dB at 48 kHz, with compensation on the level is unchanged.
    let sr = 48_000.0;
    for f in [100.0, 1000.0, 10_000.0, 20_000.0] {
        let input = sine(f, 0.01, sr, 48_000);
        let out = saturate(
            SaturatorSettings {
                drive_db: 6.0,
                compensate: true,
                ..SaturatorSettings::default()
            },
            &input,
            sr,
        );
        let change = tone_level_db(&out[24_000..], f, sr) - tone_level_db(&input[24_000..], f, sr);
        assert!(change.abs() < 0.1, "{f} Hz: {change:.3} dB");
    }
}
