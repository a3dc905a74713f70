//! The compressor's static curve and time constants, the gate's threshold, hysteresis and
//! range, and the de-esser's selectivity, against numbers.

use crate::common;

use common::{alternating, db, sine, tone_level_db};
use lathe_dsp::Block;
use lathe_dsp::dynamics::{
    Compressor, CompressorSettings, DeEsser, DeEsserSettings, Detection, Gate, GateSettings,
};
use std::f64::consts::PI;

#[test]
fn compressor_static_curve_matches_the_design_including_the_knee() {
    let sr = 48_000.0;
    let settings = CompressorSettings {
        threshold_db: -20.0,
        ratio: 4.0,
        knee_db: 10.0,
        attack_ms: 1.0,
        release_ms: 50.0,
        makeup_db: 0.0,
        ..CompressorSettings::default()
    };
    for detection in [Detection::Peak, Detection::Rms] {
        for level in (-40..=0).step_by(2) {
            let mut comp = Compressor::new(sr);
            comp.set_settings(&CompressorSettings {
                detection,
                ..settings
            });
            let amp = 10f32.powf(level as f32 / 20.0);
            let mut x = alternating(amp, 48_000);
            comp.process(&mut [&mut x]);
            let out_db = db(x[47_999]);
            let expected = settings.curve().output_db(level as f32) as f64;
            assert!(
                (out_db - expected).abs() < 0.2,
                "{detection:?} {level} dB in: {out_db:.3} out, designed {expected:.3}"
            );
        }
    }
    // Auto make-up restores the reference level.
    let mut comp = Compressor::new(sr);
    comp.set_settings(&CompressorSettings {
        auto_makeup: true,
        ..settings
    });
    let mut x = alternating(10f32.powf(-18.0 / 20.0), 48_000);
    comp.process(&mut [&mut x]);
    assert!((db(x[47_999]) + 18.0).abs() < 0.05, "{}", db(x[47_999]));
}

/// Time for the gain reduction (dB) to cover 1 - 1/e of a step, in ms.
fn time_constant_ms(reduction: &[f64], sr: f64) -> f64 {
    let start = reduction[0];
    let end = *reduction.last().unwrap();
    let target = start + (end - start) * (1.0 - (-1.0f64).exp());
    let i = reduction
        .iter()
        .position(|&r| {
            if end > start {
                r >= target
            } else {
                r <= target
            }
        })
        .unwrap();
    i as f64 / sr * 1000.0
}

#[test]
fn compressor_attack_and_release_are_time_constants() {
    let sr = 48_000.0;
    for (attack, release) in [(1.0f32, 50.0f32), (10.0, 200.0), (30.0, 1000.0)] {
        let mut comp = Compressor::new(sr);
        comp.set_settings(&CompressorSettings {
            threshold_db: -30.0,
            ratio: 10.0,
            knee_db: 0.0,
            attack_ms: attack,
            release_ms: release,
            ..CompressorSettings::default()
        });
        // Quiet (no reduction) -> loud -> quiet; read the gain reduction per sample.
        let quiet = 10f32.powf(-40.0 / 20.0);
        let loud = 10f32.powf(-10.0 / 20.0);
        let n = (sr * 5.0 * (release as f64 / 1000.0 + attack as f64 / 1000.0)) as usize + 4800;
        let mut input = alternating(quiet, 4800);
        input.extend(alternating(loud, n));
        input.extend(alternating(quiet, n));
        let mut out = input.clone();
        comp.process(&mut [&mut out]);
        let reduction: Vec<f64> = input
            .iter()
            .zip(&out)
            .map(|(i, o)| db(*i) - db(*o))
            .collect();
        let attack_measured = time_constant_ms(&reduction[4800..4800 + n], sr);
        let release_measured = time_constant_ms(&reduction[4800 + n..], sr);
        println!(
            "attack {attack} ms -> {attack_measured:.2} ms; release {release} ms -> \
             {release_measured:.2} ms"
        );
        assert!((attack_measured / attack as f64 - 1.0).abs() < 0.1);
        assert!((release_measured / release as f64 - 1.0).abs() < 0.1);
    }
}

#[test]
fn compressor_mix_zero_is_transparent_and_sidechain_hpf_ignores_bass() {
    let sr = 48_000.0;
    let input: Vec<f32> = (0..48_000)
        .map(|i| 0.8 * (2.0 * PI * 50.0 * i as f64 / sr).sin() as f32)
        .collect();
    let mut comp = Compressor::new(sr);
    comp.set_settings(&CompressorSettings {
        threshold_db: -30.0,
        mix: 0.0,
        ..CompressorSettings::default()
    });
    let mut x = input.clone();
    comp.process(&mut [&mut x]);
    assert_eq!(x, input);
    // A 50 Hz tone well over the threshold: with the side-chain high-pass at 300 Hz, the
    // detector hardly sees it.
    let reduction = |hpf: f32| {
        let mut comp = Compressor::new(sr);
        comp.set_settings(&CompressorSettings {
            threshold_db: -20.0,
            ratio: 4.0,
            sidechain_hpf_hz: hpf,
            ..CompressorSettings::default()
        });
        let mut x = input.clone();
        comp.process(&mut [&mut x]);
        comp.reduction_db()
    };
    assert!(reduction(0.0) > 8.0, "{}", reduction(0.0));
    assert!(reduction(300.0) < 0.5, "{}", reduction(300.0));
}

#[test]
fn gate_opens_at_threshold_and_closes_below_it_by_the_hysteresis() {
    let sr = 48_000.0;
    let settings = GateSettings {
        threshold_db: -30.0,
        range_db: 60.0,
        attack_ms: 0.1,
        hold_ms: 10.0,
        release_ms: 5.0,
        hysteresis_db: 6.0,
        ..GateSettings::default()
    };
    let mut gate = Gate::new(sr);
    gate.set_settings(&settings);
    gate.reset();
    // Start closed: a little silence longer than the hold.
    let mut silence = vec![0.0f32; 4800];
    gate.process(&mut [&mut silence]);
    assert!(!gate.is_open());
    // A 1 kHz tone sweeping from -50 to -10 dB and back down over 4 s each way (10 dB/s):
    // record the level where the gate's state flips.
    let samples = 4 * 48_000;
    let level_at = |i: usize| {
        if i < samples {
            -50.0 + 40.0 * i as f64 / samples as f64
        } else {
            -10.0 - 40.0 * (i - samples) as f64 / samples as f64
        }
    };
    let mut opened = None;
    let mut closed = None;
    let mut was_open = false;
    for i in 0..2 * samples {
        let amp = 10f64.powf(level_at(i) / 20.0);
        let mut x = [(amp * (2.0 * PI * 1000.0 * i as f64 / sr).sin()) as f32];
        gate.process(&mut [&mut x]);
        let open = gate.is_open();
        if open && !was_open && opened.is_none() {
            opened = Some(level_at(i));
        }
        if !open && was_open && i > samples {
            closed = Some(level_at(i));
        }
        was_open = open;
    }
    let (opened, closed) = (opened.unwrap(), closed.unwrap());
    println!("gate opened at {opened:.2} dB, closed at {closed:.2} dB");
    assert!((opened - -30.0).abs() < 0.2, "opened at {opened}");
    // It closes once the level has been under -36 dB for the hold time (10 ms = 0.1 dB of
    // this sweep).
    assert!((closed - -36.0).abs() < 0.4, "closed at {closed}");
}

#[test]
fn gate_attenuates_by_its_range_when_closed() {
    let sr = 48_000.0;
    let mut gate = Gate::new(sr);
    gate.set_settings(&GateSettings {
        threshold_db: -30.0,
        range_db: 20.0,
        ..GateSettings::default()
    });
    let mut x = alternating(10f32.powf(-50.0 / 20.0), 48_000);
    gate.process(&mut [&mut x]);
    assert!((db(x[47_999]) - (-70.0)).abs() < 0.05, "{}", db(x[47_999]));
}

#[test]
fn deesser_reduces_the_sibilant_band_and_leaves_500_hz_alone() {
    let sr = 48_000.0;
    let n = 96_000;
    let low = sine(500.0, 0.3, sr, n);
    let ess = sine(7000.0, 0.3, sr, n);
    let mix: Vec<f32> = low.iter().zip(&ess).map(|(a, b)| a + b).collect();
    let mut deesser = DeEsser::new(sr);
    deesser.set_settings(&DeEsserSettings {
        freq_hz: 5000.0,
        threshold_db: -30.0,
        range_db: 12.0,
        listen: false,
    });
    let mut out = mix.clone();
    deesser.process(&mut [&mut out]);
    let tail = &out[48_000..];
    let ess_change = tone_level_db(tail, 7000.0, sr) - tone_level_db(&ess[48_000..], 7000.0, sr);
    let low_change = tone_level_db(tail, 500.0, sr) - tone_level_db(&low[48_000..], 500.0, sr);
    println!("de-esser: 7 kHz {ess_change:.2} dB, 500 Hz {low_change:.3} dB");
    assert!(ess_change < -6.0, "sibilance reduced by {ess_change}");
    assert!(low_change.abs() < 0.1, "500 Hz changed by {low_change}");
    // Below the threshold the split sums to an allpass: levels do not change.
    let quiet: Vec<f32> = mix.iter().map(|x| x * 0.01).collect();
    let mut out = quiet.clone();
    deesser.reset();
    deesser.process(&mut [&mut out]);
    for f in [500.0, 7000.0] {
        let change = tone_level_db(&out[48_000..], f, sr) - tone_level_db(&quiet[48_000..], f, sr);
        assert!(
            change.abs() < 0.01,
            "{f} Hz changed by {change} below threshold"
        );
    }
}
