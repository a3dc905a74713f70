//! The multiband compressor (issue #20, DSP part): the bands sum back flat, a compressed band
//! leaves the bands two crossovers away alone, solo and bypass, crossover ordering, and a
//! crossover sweep without clicks.

mod common;

use common::{sine, tone_level_db};
use lathe_dsp::Block;
use lathe_dsp::dynamics::multiband::{Multiband, MultibandSettings, ordered_crossovers};

const SR: f64 = 48_000.0;

/// Settings with `bands` bands and every threshold at 0 dB (no gain reduction below 0 dBFS).
fn transparent(bands: usize) -> MultibandSettings {
    let mut s = MultibandSettings {
        bands,
        ..MultibandSettings::default()
    };
    for b in &mut s.band {
        b.compressor.threshold_db = 0.0;
        b.compressor.knee_db = 0.0;
    }
    s
}

fn impulse_response(settings: &MultibandSettings, n: usize) -> Vec<f32> {
    let mut m = Multiband::new(SR);
    m.set_settings(settings);
    m.reset();
    let (mut l, mut r) = (vec![0.0f32; n], vec![0.0f32; n]);
    l[0] = 0.5;
    r[0] = 0.5;
    m.process(&mut [&mut l, &mut r]);
    l.iter().map(|v| v * 2.0).collect()
}

/// Third-octave centres from 25 Hz to 20 kHz.
fn third_octaves() -> impl Iterator<Item = f64> {
    (-16..=13).map(|k| 1000.0 * 2f64.powf(k as f64 / 3.0))
}

#[test]
fn uncompressed_bands_sum_back_flat_for_two_to_four_bands() {
    for bands in 2..=4 {
        let h = impulse_response(&transparent(bands), 1 << 16);
        let mag = common::magnitude_db(&h, SR);
        let worst = third_octaves().map(|f| mag(f).abs()).fold(0.0, f64::max);
        assert!(worst < 0.1, "{bands} bands: {worst:.3} dB off flat");
    }
}

#[test]
fn a_compressed_band_leaves_the_bands_two_crossovers_away_alone() {
    // Four bands at 120 Hz, 1 kHz, 6 kHz: band 0 squeezed by a loud 50 Hz tone, a quiet
    // 2.5 kHz tone in band 2 (two crossovers above band 0's).
    let n = 96_000;
    let low = sine(50.0, 0.7, SR, n);
    let mid = sine(2_500.0, 0.05, SR, n);
    let x: Vec<f32> = low.iter().zip(&mid).map(|(a, b)| a + b).collect();
    let mut s = transparent(4);
    s.band[0].compressor.threshold_db = -30.0;
    s.band[0].compressor.ratio = 8.0;
    let mut m = Multiband::new(SR);
    m.set_settings(&s);
    m.reset();
    let (mut l, mut r) = (x.clone(), x.clone());
    m.process(&mut [&mut l, &mut r]);
    let reduction = m.compressor_mut(0).reduction_db();
    assert!(reduction >= 6.0, "band 0 only {reduction} dB down");
    let tail = &l[48_000..];
    let moved = tone_level_db(tail, 2_500.0, SR) - tone_level_db(&mid[48_000..], 2_500.0, SR);
    assert!(moved.abs() < 0.5, "2.5 kHz moved by {moved:.3} dB");
    let squeezed = tone_level_db(tail, 50.0, SR) - tone_level_db(&low[48_000..], 50.0, SR);
    assert!(squeezed < -6.0, "50 Hz only {squeezed:.1} dB down");
}

#[test]
fn solo_plays_one_band_and_bypass_passes_it_uncompressed() {
    let n = 1 << 16;
    let mut solo = transparent(3);
    solo.band[1].solo = true;
    let h = impulse_response(&solo, n);
    let mag = common::magnitude_db(&h, SR);
    let m = Multiband::new(SR);
    let mut designed = m;
    designed.set_settings(&solo);
    for f in [40.0, 120.0, 350.0, 1_000.0, 3_000.0, 10_000.0] {
        // On the transform's grid (the slopes are steep).
        let f = (f * n as f64 / SR).round() * SR / n as f64;
        let (re, im) = designed.band_response(1, f);
        let want = 10.0 * (re * re + im * im).max(1e-24).log10();
        let got = mag(f);
        assert!(
            (got - want).abs() < 0.01,
            "{f} Hz: soloed band {got:.2} dB, designed {want:.2} dB"
        );
    }
    // Bypass: a band that would be squeezed passes as if uncompressed.
    let x = sine(50.0, 0.7, SR, 48_000);
    let run = |s: &MultibandSettings| {
        let mut m = Multiband::new(SR);
        m.set_settings(s);
        m.reset();
        let (mut l, mut r) = (x.clone(), x.clone());
        m.process(&mut [&mut l, &mut r]);
        l
    };
    let mut squeezed = transparent(3);
    squeezed.band[0].compressor.threshold_db = -30.0;
    squeezed.band[0].bypass = true;
    let worst = run(&squeezed)
        .iter()
        .zip(&run(&transparent(3)))
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-6, "the bypassed band differs by {worst}");
}

#[test]
fn crossovers_stay_in_order_and_a_third_of_an_octave_apart() {
    let third = 2f64.powf(1.0 / 3.0);
    for (bands, asked) in [
        (4, [6000.0, 1000.0, 120.0]),
        (4, [1000.0, 1000.0, 1000.0]),
        (4, [20_000.0, 20_000.0, 20_000.0]),
        (4, [1.0, f32::NAN, 5.0]),
        (3, [500.0, 400.0, 0.0]),
        (2, [-3.0, 0.0, 0.0]),
    ] {
        let f = ordered_crossovers(bands, &asked);
        for k in 0..bands - 1 {
            assert!((20.0..=20_000.0).contains(&f[k]), "{asked:?}: {f:?}");
            if k > 0 {
                assert!(f[k] >= f[k - 1] * third * 0.999_999, "{asked:?}: {f:?}");
            }
        }
    }
    // Settings already in order are kept.
    assert_eq!(
        ordered_crossovers(4, &[120.0, 1000.0, 6000.0]),
        [120.0, 1000.0, 6000.0]
    );
}

#[test]
fn a_sine_across_a_moving_crossover_does_not_click() {
    // 1 kHz while the middle crossover sweeps from 300 Hz to 3 kHz and back: above 8 kHz
    // nothing may rise above -80 dB of the tone.
    let n = 3 * 48_000;
    let x = sine(1_000.0, 0.5, SR, n);
    let mut s = transparent(3);
    let mut m = Multiband::new(SR);
    m.set_settings(&s);
    m.reset();
    let (mut l, mut r) = (x.clone(), x.clone());
    for (i, (a, b)) in l.chunks_mut(256).zip(r.chunks_mut(256)).enumerate() {
        let t = i as f32 * 256.0 / 48_000.0;
        s.crossovers_hz[1] = 300.0 * 10f32.powf(1.0 - (t / 1.5 - 1.0).abs());
        s.crossovers_hz[0] = 100.0;
        m.set_settings(&s);
        m.process(&mut [a, b]);
    }
    let worst = common::peak_above(&l, 8_000.0, SR);
    let db = 20.0 * (worst as f64 / 0.5).log10();
    eprintln!("crossover sweep: {db:.1} dB of the tone above 8 kHz");
    assert!(db < -80.0, "broadband content at {db:.1} dB of the tone");
}
