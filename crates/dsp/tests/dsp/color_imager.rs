//! The three-band imager: the bands sum to an allpass (flat within 0.01 dB) at 100 %, each
//! width acts on its band only, bass mono removes the side below its corner at 48 dB/oct, the
//! measured side response is the analytic one, the mid is never touched, and the output does
//! not depend on the block size.

use lathe_dsp::Block;
use lathe_dsp::color::imager::{Imager, ImagerSettings, LinearImager, LinearImagerSettings};

use crate::common;

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

/// [`responses`] of the linear-phase imager (the strip's `eq_phase = Linear`), delayed by its
/// latency.
fn linear_responses(settings: &ImagerSettings, sr: f64) -> [Vec<f32>; 4] {
    let make = || {
        let mut im = LinearImager::new(2, sr);
        im.set_settings(&LinearImagerSettings {
            enabled: true,
            imager: *settings,
        });
        im.reset();
        im
    };
    let [mid_mid, side_side, mid_side, side_mid] = common::mid_side_responses(make, N);
    [side_side, side_mid, mid_mid, mid_side]
}

/// Both phase modes' responses, named.
fn both_modes(settings: &ImagerSettings, sr: f64) -> [(&'static str, [Vec<f32>; 4]); 2] {
    [
        ("zero latency", responses(settings, sr)),
        ("linear", linear_responses(settings, sr)),
    ]
}

/// Magnitude (dB) of an impulse response at `freq_hz` (nearest FFT bin of N).
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
                common::magnitude_db(&ss, sr),
                common::magnitude_db(&sm, sr),
                common::magnitude_db(&mm, sr),
                common::magnitude_db(&ms, sr),
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
            common::magnitude_db(&ss, sr),
            common::magnitude_db(&mm, sr),
            common::magnitude_db(&ms, sr),
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
    for mode in [false, true] {
        let side_at = |band: usize, [width_low, width_mid, width_high]: [f32; 3]| {
            let s = ImagerSettings {
                width_low,
                width_mid,
                width_high,
                ..ImagerSettings::default()
            };
            let r = if mode {
                linear_responses(&s, sr)
            } else {
                responses(&s, sr)
            };
            common::magnitude_db(&r[0], sr)(middles[band])
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
            eprintln!("band {band} at 100 %, others 0/200 %: side {at:+.3} dB (linear: {mode})");
            assert!(at.abs() < 0.2, "band {band}: {at} dB (linear: {mode})");
        }
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
        for (mode, r) in both_modes(&s, sr) {
            let side = common::magnitude_db(&r[0], sr);
            let f = corner as f64;
            let (octave, two) = (side(f / 2.0), side(f / 4.0));
            eprintln!(
                "{mode}: bass mono at {corner} Hz: side {octave:.1} dB an octave below, {two:.1} dB two below"
            );
            assert!(
                octave < -40.0,
                "{mode}, {corner} Hz: {octave} dB an octave below"
            );
            assert!(
                octave - two >= 24.0 || two < -80.0,
                "{mode}, {corner} Hz: slope {} dB/oct",
                octave - two
            );
            // Two octaves above, the side is back (the -6 dB corner of an LR8).
            assert!(
                side(4.0 * f).abs() < 0.1,
                "{mode}, {corner} Hz: {} above",
                side(4.0 * f)
            );
        }
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

#[test]
fn the_linear_imager_is_linear_phase_and_exact_when_neutral() {
    use lathe_dsp::filters::linear_phase::LinearDesign;
    let sr = 48_000.0;
    // Widths moved: the side's impulse response is symmetric about the latency, the mid is
    // the input delayed exactly, and nothing crosses between mid and side.
    let s = ImagerSettings {
        width_low: 0.5,
        width_high: 1.5,
        bass_mono: true,
        ..ImagerSettings::default()
    };
    let [ss, sm, mm, ms] = linear_responses(&s, sr);
    let c = LinearImagerSettings::taps(sr) / 2;
    assert_eq!(common::peak_index(&ss), c);
    let peak = ss[c].abs();
    let worst = (1..c)
        .map(|i| (ss[c + i] - ss[c - i]).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-3 * peak, "asymmetry {worst:e} against {peak}");
    assert!(
        mm.iter()
            .enumerate()
            .all(|(i, &v)| v == if i == c { 1.0 } else { 0.0 })
    );
    assert!(sm.iter().chain(&ms).all(|v| v.abs() < 1e-6));
    // Neutral (every width 100 %, no bass mono) and switched off: the input delayed, to the bit.
    let mut rng = 1u32;
    let mut noise = || {
        rng = rng.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (rng >> 8) as f32 / (1u32 << 24) as f32 - 0.5
    };
    let (l, r): (Vec<f32>, Vec<f32>) = (0..20_000).map(|_| (noise(), noise())).unzip();
    for enabled in [true, false] {
        let mut im = LinearImager::new(2, sr);
        im.set_settings(&LinearImagerSettings {
            enabled,
            imager: ImagerSettings::default(),
        });
        let (mut a, mut b) = (l.clone(), r.clone());
        for (x, y) in a.chunks_mut(700).zip(b.chunks_mut(700)) {
            im.process(&mut [x, y]);
        }
        assert_eq!(&a[c..], &l[..l.len() - c]);
        assert_eq!(&b[c..], &r[..r.len() - c]);
        assert!(a[..c].iter().all(|&v| v == 0.0));
    }
}

#[test]
fn a_linear_imager_switched_on_refills_then_fades_in_the_same_way_in_any_block_size() {
    use lathe_dsp::filters::convolution::FADE_SAMPLES;
    use lathe_dsp::filters::linear_phase::LinearDesign;
    // Off, its convolvers idle (an exact delay); widths moved at `on`: the output stays the
    // delay for one FIR length while they refill, then fades over to the imager.
    let sr = 48_000.0;
    let taps = LinearImagerSettings::taps(sr);
    let (on, len) = (10_000usize, 10_000 + taps + FADE_SAMPLES + 8_000);
    let mut rng = 7u32;
    let mut noise = || {
        rng = rng.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (rng >> 8) as f32 / (1u32 << 24) as f32 - 0.5
    };
    let (l, r): (Vec<f32>, Vec<f32>) = (0..len).map(|_| (noise(), noise())).unzip();
    let wide = LinearImagerSettings {
        enabled: true,
        imager: ImagerSettings {
            width_low: 0.3,
            width_high: 1.6,
            ..ImagerSettings::default()
        },
    };
    let run = |block: usize, switch: bool| {
        let mut im = LinearImager::new(2, sr);
        im.set_settings(&if switch {
            LinearImagerSettings::default()
        } else {
            wide
        });
        let (mut a, mut b) = (l.clone(), r.clone());
        let mut pos = 0;
        while pos < len {
            if switch && pos == on {
                im.set_settings(&wide);
            }
            let end = if pos < on {
                on.min(pos + block)
            } else {
                len.min(pos + block)
            };
            im.process(&mut [&mut a[pos..end], &mut b[pos..end]]);
            pos = end;
        }
        (a, b)
    };
    let c = taps / 2;
    let (a, b) = run(len, true);
    // Until the convolvers are full: the input delayed, to the bit.
    assert_eq!(&a[c..on + taps], &l[..on + taps - c]);
    assert_eq!(&b[c..on + taps], &r[..on + taps - c]);
    // After the fade: what an imager that was on all along gives.
    let (ref_a, _) = run(len, false);
    let settled = on + taps + FADE_SAMPLES;
    let worst = (settled..len)
        .map(|i| (a[i] - ref_a[i]).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-5, "differs from the settled imager by {worst}");
    // The fade itself is smooth: no sample jumps more than the signal itself does.
    let step = |x: &[f32], i: usize| (x[i] - x[i - 1]).abs();
    let jump = (on + taps..settled)
        .map(|i| step(&a, i))
        .fold(0.0f32, f32::max);
    let normal = (settled..len)
        .map(|i| step(&ref_a, i))
        .fold(0.0f32, f32::max);
    assert!(
        jump <= 1.05 * normal,
        "a step of {jump} in the fade, {normal} elsewhere"
    );
    for block in [1usize, 100, 777] {
        assert!(
            run(block, true) == (a.clone(), b.clone()),
            "blocks of {block} differ"
        );
    }
}
