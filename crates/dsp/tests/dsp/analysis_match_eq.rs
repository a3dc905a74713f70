//! Match EQ: the partitioned convolver against direct convolution, the FIR designs against
//! their curves, and matching one coloured noise to another.

use lathe_dsp::analysis::match_eq::{
    MatchPhase, MatchSettings, correction_curve, curve_at, design_fir, fir_latency,
    fir_response_db, fir_taps,
};
use lathe_dsp::analysis::reference::{GRID_POINTS, analyze_stereo, grid_hz, shaped_noise, smooth};
use lathe_dsp::filters::convolution::{FADE_SAMPLES, PartitionedConvolver, PreparedKernel};

use crate::common;

const SR: f64 = 48_000.0;

fn noise(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s as f64 / u32::MAX as f64 * 2.0 - 1.0) as f32
        })
        .collect()
}

fn direct(h: &[f32], x: &[f32]) -> Vec<f64> {
    (0..x.len())
        .map(|n| {
            h.iter()
                .enumerate()
                .take(n + 1)
                .map(|(k, &t)| t as f64 * x[n - k] as f64)
                .sum()
        })
        .collect()
}

#[test]
fn partitioned_convolution_equals_direct_convolution_in_any_blocks() {
    let taps = 8192;
    let h: Vec<f32> = noise(taps, 3)
        .iter()
        .enumerate()
        .map(|(i, v)| v * (-(i as f32) / 2000.0).exp())
        .collect();
    let x = noise(12_000, 9);
    let want = direct(&h, &x);
    let kernel = PreparedKernel::new(&h, taps);
    let mut outputs = Vec::new();
    for sizes in [vec![12_000usize], vec![1, 17, 64, 333, 1024, 5000]] {
        let mut conv = PartitionedConvolver::new(taps);
        conv.set_kernel_now(&kernel);
        let mut y = x.clone();
        let mut i = 0;
        for size in sizes.iter().cycle() {
            if i >= y.len() {
                break;
            }
            let end = (i + size).min(y.len());
            conv.process(&mut y[i..end]);
            i = end;
        }
        let err = y
            .iter()
            .zip(&want)
            .map(|(a, b)| (*a as f64 - b).abs())
            .fold(0.0, f64::max);
        println!("blocks {sizes:?}: worst error {err:.2e}");
        assert!(err < 2e-4, "{err}");
        outputs.push(y);
    }
    assert_eq!(outputs[0], outputs[1], "block-size invariance");
}

#[test]
fn a_new_kernel_fades_in_without_a_step_and_then_is_exact() {
    let taps = 4096;
    let a = PreparedKernel::new(&[1.0], taps);
    let mut hb = vec![0.0f32; taps];
    hb[0] = 0.25;
    hb[1500] = 0.25; // an echo from the partitioned stages
    let b = PreparedKernel::new(&hb, taps);
    let mut conv = PartitionedConvolver::new(taps);
    conv.set_kernel_now(&a);
    let x: Vec<f32> = (0..30_000)
        .map(|i| (std::f64::consts::TAU * 100.0 * i as f64 / SR).sin() as f32 * 0.5)
        .collect();
    let mut y = x.clone();
    conv.process(&mut y[..10_000]);
    assert!(conv.set_kernel(&b));
    assert!(!conv.set_kernel(&a), "a second kernel waits for the fade");
    conv.process(&mut y[10_000..]);
    // No step: sample-to-sample change stays within what the 100 Hz sine itself does.
    let max_step = y
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0f32, f32::max);
    let sine_step = (std::f64::consts::TAU * 100.0 / SR * 0.5) as f32;
    assert!(max_step <= sine_step * 1.01, "{max_step} vs {sine_step}");
    let want = direct(&hb, &x);
    for n in 10_000 + FADE_SAMPLES..30_000 {
        assert!((y[n] as f64 - want[n]).abs() < 1e-5, "sample {n}");
    }
}

fn test_curve() -> Vec<f32> {
    (0..GRID_POINTS)
        .map(|i| {
            let f = grid_hz(i);
            let bell = 5.0 * (-((f / 2500.0).log2() / 0.7).powi(2)).exp();
            let shelf = -4.0 / (1.0 + (f / 120.0).powi(2));
            (bell + shelf) as f32
        })
        .collect()
}

#[test]
fn fir_designs_follow_their_curve_and_have_the_stated_latency() {
    let curve = test_curve();
    let taps = fir_taps(SR);
    assert_eq!(taps, 8192);
    for phase in [MatchPhase::Linear, MatchPhase::Minimum] {
        let h = design_fir(&curve, SR, taps, phase);
        let mut worst = 0.0f64;
        let mut f = 30.0;
        while f < 20_000.0 {
            let err = fir_response_db(&h, f, SR) - curve_at(&curve, f);
            worst = worst.max(err.abs());
            f *= 2f64.powf(1.0 / 12.0);
        }
        println!("{phase:?}: worst magnitude error 30 Hz-20 kHz {worst:.3} dB");
        assert!(worst < 0.25, "{phase:?}: {worst}");
        // The impulse's peak sits at the stated latency.
        let flat = design_fir(&vec![0.0; GRID_POINTS], SR, taps, phase);
        let peak = common::peak_index(&flat);
        assert_eq!(peak as u32, fir_latency(taps, phase), "{phase:?}");
        assert!((flat[peak] - 1.0).abs() < 1e-3, "{phase:?}: {}", flat[peak]);
    }
    let lin = design_fir(&curve, SR, taps, MatchPhase::Linear);
    for i in 1..taps / 2 {
        assert!(
            (lin[taps / 2 - i] - lin[taps / 2 + i]).abs() < 1e-6,
            "symmetric"
        );
    }
    let min = design_fir(&curve, SR, taps, MatchPhase::Minimum);
    let energy: f64 = min.iter().map(|v| (*v as f64).powi(2)).sum();
    let early: f64 = min[..512].iter().map(|v| (*v as f64).powi(2)).sum();
    assert!(
        early / energy > 0.99,
        "minimum phase: {:.4} in 10 ms",
        early / energy
    );
}

#[test]
fn curve_settings_scale_limit_and_restrict_the_correction() {
    let mix = vec![-30.0f32; GRID_POINTS];
    let target: Vec<f32> = (0..GRID_POINTS)
        .map(|i| -30.0 + 20.0 * (grid_hz(i) / 1000.0).log2().clamp(-1.0, 1.0) as f32)
        .collect();
    let full = correction_curve(&mix, &target, &MatchSettings::default());
    let half = correction_curve(
        &mix,
        &target,
        &MatchSettings {
            amount_pct: 50.0,
            limit_db: 12.0,
            ..Default::default()
        },
    );
    let span = |c: &[f32]| {
        let max = c.iter().copied().fold(f32::MIN, f32::max);
        let min = c.iter().copied().fold(f32::MAX, f32::min);
        max - min
    };
    // 20 dB each way, limited to 12: a 24 dB span; half the amount: 10 each way.
    assert!((span(&full) - 24.0).abs() < 0.05, "{}", span(&full));
    assert!((span(&half) - 20.0).abs() < 0.05, "{}", span(&half));
    let narrow = correction_curve(
        &mix,
        &target,
        &MatchSettings {
            low_hz: 500.0,
            high_hz: 2000.0,
            ..Default::default()
        },
    );
    // Beyond half an octave outside the range the curve is flat (the level offset only).
    let outside: Vec<f32> = (0..GRID_POINTS)
        .filter(|&i| grid_hz(i) < 350.0 || grid_hz(i) > 2900.0)
        .map(|i| narrow[i])
        .collect();
    assert!(span(&outside) < 1e-4, "{}", span(&outside));
    assert!(span(&narrow) > 15.0);
}

fn matched(phase: MatchPhase) -> (f64, f64, f64) {
    let len = 1 << 20;
    // A: tilted down 1 dB/oct. B: a low shelf cut and a presence bell.
    let a = shaped_noise(len, SR, 1, 0.05, |f| -(f / 1000.0).log2());
    let b = shaped_noise(len, SR, 2, 0.2, |f| {
        -6.0 / (1.0 + (f / 150.0).powi(2)) + 5.0 * (-((f / 3000.0).log2() / 0.8).powi(2)).exp()
    });
    let (an, bn) = (analyze_stereo(SR, &a, &a), analyze_stereo(SR, &b, &b));
    let curve = correction_curve(
        &an.normalized_spectrum_db(),
        &bn.normalized_spectrum_db(),
        &MatchSettings {
            low_hz: 20.0,
            high_hz: 20_000.0,
            ..Default::default()
        },
    );
    let taps = fir_taps(SR);
    let kernel = PreparedKernel::new(&design_fir(&curve, SR, taps, phase), taps);
    let mut conv = PartitionedConvolver::new(taps);
    conv.set_kernel_now(&kernel);
    let mut y = a.clone();
    conv.process(&mut y);
    let lat = fir_latency(taps, phase) as usize;
    let y = &y[lat + taps..];
    let out = analyze_stereo(SR, y, y);
    let (so, sb) = (
        smooth(&out.normalized_spectrum_db(), 3.0),
        smooth(&bn.normalized_spectrum_db(), 3.0),
    );
    let before = smooth(&an.normalized_spectrum_db(), 3.0);
    let (mut worst, mut worst_before) = (0.0f64, 0.0f64);
    for i in 0..GRID_POINTS {
        let f = grid_hz(i);
        if (40.0..=16_000.0).contains(&f) {
            worst = worst.max((so[i] - sb[i]).abs() as f64);
            worst_before = worst_before.max((before[i] - sb[i]).abs() as f64);
        }
    }
    let loudness_change =
        out.loudness.integrated_lufs.unwrap() - an.loudness.integrated_lufs.unwrap();
    (worst, worst_before, loudness_change)
}

#[test]
fn matching_noise_a_to_noise_b_lands_within_1_db_in_every_third_octave() {
    for phase in [MatchPhase::Linear, MatchPhase::Minimum] {
        let (worst, before, dl) = matched(phase);
        println!(
            "{phase:?}: 1/3-octave difference 40 Hz-16 kHz {before:.2} dB before, {worst:.2} dB \
             after; loudness change {dl:+.2} LU"
        );
        assert!(before > 6.0);
        assert!(worst < 1.0, "{phase:?}: {worst}");
        assert!(dl.abs() < 0.5, "level compensation: {dl}");
    }
}
