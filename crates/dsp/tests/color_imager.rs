//! The three-band imager: the bands sum to an allpass (flat within 0.01 dB) at 100 %, each
//! width acts on its band only, bass mono removes the side below its corner at 48 dB/oct, the
//! measured side response is the analytic one, the mid is never touched, and the output does
//! not depend on the block size.

use lathe_dsp::Block;
use lathe_dsp::color::imager::{Imager, ImagerSettings};
use realfft::RealFftPlanner;

mod common;

const N: usize = 1 << 16;

/// The imager's mid/side impulse responses: (side -> side, side -> mid, mid -> mid,
/// mid -> side).
fn responses(settings: &ImagerSettings, sr: f64) -> [Vec<f32>; 4] {
    let make = || {
        let mut im = Imager::new(sr);
        im.set_settings(settings);
        im.reset();
        im
    };
    let [mid_mid, side_side, mid_side, side_mid] = common::mid_side_responses(make, N);
    [side_side, side_mid, mid_mid, mid_side]
}

/// Magnitude (dB) of an impulse response at `freq_hz` (nearest FFT bin of N).
fn magnitude_db(h: &[f32], sr: f64) -> impl Fn(f64) -> f64 + use<> {
    let mut planner = RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(N);
    let mut x: Vec<f64> = h.iter().map(|&v| v as f64).collect();
    let mut spectrum = fft.make_output_vec();
    fft.process(&mut x, &mut spectrum).unwrap();
    move |f: f64| {
        let bin = (f * N as f64 / sr).round() as usize;
        20.0 * spectrum[bin].norm().max(1e-12).log10()
    }
}

/// 1/6-octave test frequencies from 20 Hz to 20 kHz, each moved to its FFT bin (so the
/// measurement and the design are compared at the same frequency).
fn frequencies(sr: f64) -> Vec<f64> {
    let bin = sr / N as f64;
    common::frequencies()
        .into_iter()
        .map(|f| (f / bin).round() * bin)
        .collect()
}

#[test]
fn at_full_width_the_bands_sum_to_an_allpass() {
    for sr in [44_100.0, 48_000.0, 96_000.0, 192_000.0] {
        for (low, high) in [(200.0, 4000.0), (40.0, 1000.0), (1000.0, 16_000.0)] {
            let s = ImagerSettings {
                xover_low_hz: low,
                xover_high_hz: high,
                ..ImagerSettings::default()
            };
            let [ss, sm, mm, ms] = responses(&s, sr);
            let (ss, sm, mm, ms) = (
                magnitude_db(&ss, sr),
                magnitude_db(&sm, sr),
                magnitude_db(&mm, sr),
                magnitude_db(&ms, sr),
            );
            let mut worst = 0.0f64;
            for f in frequencies(sr) {
                worst = worst.max(ss(f).abs()).max(mm(f).abs());
                assert!(sm(f) < -100.0 && ms(f) < -100.0, "{sr} Hz: leak at {f} Hz");
            }
            eprintln!("{sr} Hz, split {low}/{high} Hz: worst deviation {worst:.5} dB");
            assert!(worst < 0.01, "{sr} Hz {low}/{high}: {worst} dB");
        }
    }
}

#[test]
fn measured_side_response_is_the_analytic_one_and_the_mid_is_untouched() {
    let sr = 48_000.0;
    let cases = [
        ImagerSettings {
            width_low: 0.0,
            width_mid: 1.5,
            width_high: 2.0,
            ..ImagerSettings::default()
        },
        ImagerSettings {
            width_low: 1.0,
            width_mid: 0.3,
            width_high: 1.0,
            bass_mono: true,
            bass_mono_hz: 150.0,
            ..ImagerSettings::default()
        },
    ];
    for s in cases {
        let mut design = Imager::new(sr);
        design.set_settings(&s);
        let [ss, _, mm, ms] = responses(&s, sr);
        let (ss, mm, ms) = (
            magnitude_db(&ss, sr),
            magnitude_db(&mm, sr),
            magnitude_db(&ms, sr),
        );
        for f in frequencies(sr) {
            let want = design.side_magnitude_db(f);
            if want > -60.0 {
                assert!((ss(f) - want).abs() < 0.01, "{f} Hz: {} vs {want}", ss(f));
            }
            assert!(mm(f).abs() < 0.01, "mid at {f} Hz: {}", mm(f));
            assert!(ms(f) < -100.0, "mid leaks into the side at {f} Hz");
        }
    }
}

#[test]
fn each_width_acts_on_its_band() {
    let sr = 48_000.0;
    // The middle of each band for the default split (200 Hz, 4 kHz).
    let middles = [50.0, (200.0f64 * 4000.0).sqrt(), 16_000.0];
    // The side gain at the middle of `band` with the band widths `w`.
    let side_at = |band: usize, [width_low, width_mid, width_high]: [f32; 3]| {
        let s = ImagerSettings {
            width_low,
            width_mid,
            width_high,
            ..ImagerSettings::default()
        };
        magnitude_db(&responses(&s, sr)[0], sr)(middles[band])
    };
    for band in 0..3 {
        // This band mono: its side at least 40 dB down.
        let mut w = [1.0f32; 3];
        w[band] = 0.0;
        let at = side_at(band, w);
        eprintln!(
            "band {band} at 0 %: side {at:.1} dB at {:.0} Hz",
            middles[band]
        );
        assert!(at < -40.0, "band {band}: {at} dB");
        // This band at 100 %, the others at 0 % and 200 %: within 0.2 dB of the input.
        let mut w = [0.0f32, 2.0, 0.0];
        w[band] = 1.0;
        let at = side_at(band, w);
        eprintln!("band {band} at 100 %, others 0/200 %: side {at:+.3} dB");
        assert!(at.abs() < 0.2, "band {band}: {at} dB");
    }
}

#[test]
fn bass_mono_removes_the_side_below_its_corner_at_48_db_per_octave() {
    let sr = 48_000.0;
    for corner in [20.0f32, 120.0, 500.0] {
        let s = ImagerSettings {
            bass_mono: true,
            bass_mono_hz: corner,
            ..ImagerSettings::default()
        };
        let side = magnitude_db(&responses(&s, sr)[0], sr);
        let f = corner as f64;
        let (octave, two) = (side(f / 2.0), side(f / 4.0));
        eprintln!(
            "bass mono at {corner} Hz: side {octave:.1} dB an octave below, {two:.1} dB two below"
        );
        assert!(octave < -40.0, "{corner} Hz: {octave} dB an octave below");
        assert!(
            octave - two >= 24.0,
            "{corner} Hz: slope {} dB/oct",
            octave - two
        );
        // Two octaves above, the side is back (the -6 dB corner of an LR8).
        assert!(
            side(4.0 * f).abs() < 0.1,
            "{corner} Hz: {} above",
            side(4.0 * f)
        );
    }
}

#[test]
fn a_mono_block_passes_and_output_does_not_depend_on_the_block_size() {
    let sr = 48_000.0;
    let mut im = Imager::new(sr);
    let mut mono = vec![0.25f32; 256];
    im.process(&mut [&mut mono]);
    assert!(mono.iter().all(|&v| v == 0.25));

    let [l, r] = common::music_like(2.0, sr, 9);
    let render = |block: usize| {
        let mut im = Imager::new(sr);
        let (mut a, mut b) = (l.clone(), r.clone());
        let mut start = 0;
        let mut k = 0;
        while start < a.len() {
            // Widths and corners move while it plays.
            im.set_settings(&ImagerSettings {
                width_low: (k % 3) as f32 * 0.5,
                width_high: 2.0 - (k % 4) as f32 * 0.4,
                bass_mono: k % 2 == 1,
                xover_low_hz: 150.0 + (k % 5) as f32 * 20.0,
                ..ImagerSettings::default()
            });
            let end = (start + 4096).min(a.len());
            for s in (start..end).step_by(block) {
                let e = (s + block).min(end);
                im.process(&mut [&mut a[s..e], &mut b[s..e]]);
            }
            start = end;
            k += 1;
        }
        (a, b)
    };
    let reference = render(4096);
    for block in [1, 64, 333, 1000] {
        assert!(render(block) == reference, "block {block}");
    }
}
