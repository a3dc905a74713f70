//! Lathe Limiter's whole signal path (`Limiter`): the ceiling holds in sample peak, in
//! BS.1770 4x true peak and in a 16x reconstruction on hard material at +12 dB drive; latency is
//! the impulse delay for every oversampling choice; block-size invariance; distortion; dither;
//! loudness-matched monitoring.

use lathe_dsp::analysis::loudness::LoudnessMeter;
use lathe_dsp::analysis::loudness::truepeak::TruePeak;
use lathe_dsp::chains::ChainSettings;
use lathe_dsp::chains::Limiter;
use lathe_dsp::chains::limiter::{LimiterSettings, Oversampling, soft_clip};
use lathe_dsp::color::dither::{Dither, DitherDepth, DitherSettings};
use lathe_dsp::{Block, IoSettings};
use rand::{Rng, SeedableRng};
use std::f64::consts::PI;
use std::path::PathBuf;

use crate::common;

use common::{db, gain};

const SR: f64 = 48_000.0;

fn settings(drive_db: f32, core: LimiterSettings) -> ChainSettings<LimiterSettings> {
    ChainSettings {
        io: IoSettings {
            input_gain_db: drive_db,
            ..IoSettings::default()
        },
        core,
    }
}

/// Runs stereo audio through a fresh chain in host blocks of `block`, latency-compensated:
/// the output lines up with the input and has the same length.
fn render(
    s: &ChainSettings<LimiterSettings>,
    input: &[Vec<f32>; 2],
    block: usize,
) -> [Vec<f32>; 2] {
    let mut chain = Limiter::new(2, SR);
    chain.set_settings(s);
    let latency = chain.latency() as usize;
    let n = input[0].len();
    let mut l = input[0].clone();
    let mut r = input[1].clone();
    l.resize(n + latency, 0.0);
    r.resize(n + latency, 0.0);
    for (a, b) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
        chain.process(&mut [a, b]);
    }
    [l[latency..].to_vec(), r[latency..].to_vec()]
}

fn stereo(x: Vec<f32>) -> [Vec<f32>; 2] {
    [x.clone(), x]
}

/// Sine at `fs * ratio` with a phase, amplitude and 10 ms fades, 1 s (EBU Tech 3341 15-19).
fn faded_sine(ratio: f64, phase_deg: f64, amplitude: f64) -> Vec<f32> {
    common::faded_sine(SR, ratio, phase_deg, amplitude)
}

fn square(freq: f64) -> Vec<f32> {
    common::square(freq, SR, SR as usize)
}

/// Stereo noise, 1 s: white (uniform in -1..1) or pink (Paul Kellet's economy filter).
fn noise(pink: bool, seed: u64) -> [Vec<f32>; 2] {
    if pink {
        pink_noise(SR as usize, seed, 0.3)
    } else {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut make = || -> Vec<f32> {
            (0..SR as usize)
                .map(|_| rng.random_range(-1.0f32..1.0))
                .collect()
        };
        [make(), make()]
    }
}

/// Stereo pink noise, `n` frames, scaled by `scale` (peaks near `3 * scale`).
fn pink_noise(n: usize, seed: u64, scale: f32) -> [Vec<f32>; 2] {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut make = || -> Vec<f32> {
        let (mut b0, mut b1, mut b2) = (0.0f32, 0.0f32, 0.0f32);
        (0..n)
            .map(|_| {
                let w = rng.random_range(-1.0f32..1.0);
                b0 = 0.99765 * b0 + w * 0.0990460;
                b1 = 0.96300 * b1 + w * 0.2965164;
                b2 = 0.57000 * b2 + w * 1.0526913;
                (b0 + b1 + b2 + w * 0.1848) * scale
            })
            .collect()
    };
    [make(), make()]
}

fn ebu_file(name: &str) -> Option<[Vec<f32>; 2]> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/ebu")
        .join(name);
    let mut reader = hound::WavReader::open(&path).ok()?;
    let spec = reader.spec();
    assert_eq!(spec.sample_rate, 48_000, "{name}");
    let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
    let interleaved: Vec<f32> = reader
        .samples::<i32>()
        .map(|s| s.expect("sample") as f32 * scale)
        .collect();
    let ch = spec.channels as usize;
    let plane = |c: usize| {
        interleaved
            .iter()
            .skip(c.min(ch - 1))
            .step_by(ch)
            .copied()
            .collect()
    };
    Some([plane(0), plane(1)])
}

/// The hard material of the issue, before drive.
fn hard_material() -> Vec<(String, [Vec<f32>; 2])> {
    let mut m: Vec<(String, [Vec<f32>; 2])> = vec![
        (
            "3341-15 fs/4 0deg".into(),
            stereo(faded_sine(0.25, 0.0, 0.5)),
        ),
        (
            "3341-16 fs/4 45deg".into(),
            stereo(faded_sine(0.25, 45.0, 0.5)),
        ),
        (
            "3341-17 fs/6 60deg".into(),
            stereo(faded_sine(1.0 / 6.0, 60.0, 0.5)),
        ),
        (
            "3341-18 fs/8 67.5deg".into(),
            stereo(faded_sine(0.125, 67.5, 0.5)),
        ),
        (
            "3341-19 fs/4 1.41".into(),
            stereo(faded_sine(0.25, 45.0, 1.41)),
        ),
        ("square 1 kHz".into(), stereo(square(1000.0))),
        ("square 5 kHz".into(), stereo(square(5000.0))),
        ("square 11 kHz".into(), stereo(square(11_000.0))),
        (
            "fs/4 sine 45deg full scale".into(),
            stereo(faded_sine(0.25, 45.0, 1.0)),
        ),
        (
            "impulse train".into(),
            stereo(
                (0..SR as usize)
                    .map(|i| if i % 441 == 0 { 1.0 } else { 0.0 })
                    .collect(),
            ),
        ),
        ("white noise".into(), noise(false, 1)),
        ("pink noise".into(), noise(true, 2)),
    ];
    for case in 20..=23 {
        if let Some(x) = ebu_file(&format!("seq-3341-{case}-24bit.wav")) {
            m.push((format!("3341-{case} (official file)"), x));
        }
    }
    m
}

/// 16x reconstruction by windowed sinc (64 taps each side, Kaiser beta 12, kernels tabulated
/// per phase), evaluated only around samples within 3 dB of the ceiling, where an overshoot
/// could be (a reconstructed peak is at most 3 dB above its neighbouring samples here).
struct Reconstruction {
    /// kernels[phase][j] for sample offsets -HALF+1..=HALF.
    kernels: Vec<Vec<f32>>,
}

const HALF: usize = 64;

impl Reconstruction {
    fn new() -> Self {
        let bessel_i0 = |v: f64| {
            let (mut sum, mut term) = (1.0f64, 1.0f64);
            for k in 1..60 {
                term *= (v / (2.0 * k as f64)).powi(2);
                sum += term;
            }
            sum
        };
        let kernel = |t: f64| -> f64 {
            if t.abs() >= HALF as f64 {
                return 0.0;
            }
            let sinc = if t == 0.0 {
                1.0
            } else {
                (PI * t).sin() / (PI * t)
            };
            let r = t / HALF as f64;
            sinc * bessel_i0(12.0 * (1.0 - r * r).sqrt()) / bessel_i0(12.0)
        };
        // Output at i + phase/16 from x[i - HALF + 1 + j], j = 0..2*HALF.
        let kernels = (0..16)
            .map(|phase| {
                (0..2 * HALF)
                    .map(|j| {
                        let offset = j as f64 - (HALF as f64 - 1.0);
                        kernel(phase as f64 / 16.0 - offset) as f32
                    })
                    .collect()
            })
            .collect();
        Self { kernels }
    }

    fn peak(&self, x: &[f32], near: f32) -> f64 {
        let mut padded = vec![0.0f32; HALF];
        padded.extend_from_slice(x);
        padded.extend(std::iter::repeat_n(0.0, HALF));
        let mut peak = 0.0f64;
        for i in 0..x.len().saturating_sub(1) {
            if x[i].abs().max(x[i + 1].abs()) < near {
                continue;
            }
            let window = &padded[i + 1..i + 1 + 2 * HALF];
            for k in &self.kernels {
                let mut lanes = [0.0f32; 8];
                for (a, b) in k.chunks_exact(8).zip(window.chunks_exact(8)) {
                    for l in 0..8 {
                        lanes[l] += a[l] * b[l];
                    }
                }
                let acc: f32 = lanes.iter().sum();
                peak = peak.max(acc.abs() as f64);
            }
        }
        peak
    }
}

struct Peaks {
    sample_db: f64,
    meter_db: f64,
    recon_db: f64,
}

fn peaks(y: &[Vec<f32>; 2], ceiling_db: f64, reconstruct: bool) -> Peaks {
    let mut sample = 0.0f32;
    let mut meter = 0.0f32;
    let mut recon = 0.0f64;
    let near = gain(ceiling_db - 6.0) as f32;
    let reconstruction = Reconstruction::new();
    for ch in y {
        sample = ch.iter().fold(sample, |m, &v| m.max(v.abs()));
        let mut tp = TruePeak::new(SR);
        tp.process(ch);
        meter = meter.max(tp.peak());
        if reconstruct {
            recon = recon.max(reconstruction.peak(ch, near));
        }
    }
    Peaks {
        sample_db: db(sample as f64),
        meter_db: db(meter as f64),
        recon_db: db(recon),
    }
}

#[test]
fn ceiling_holds_on_hard_material_at_12_db_drive() {
    let material = hard_material();
    let mut worst_meter = f64::MIN;
    let mut worst_recon = f64::MIN;
    let mut failures = Vec::new();
    for ceiling_db in [-1.0f32, 0.0] {
        for os in Oversampling::ALL {
            let s = settings(
                12.0,
                LimiterSettings {
                    ceiling_db,
                    oversampling: os,
                    ..LimiterSettings::default()
                },
            );
            for (name, x) in &material {
                let y = render(&s, x, 512);
                let p = peaks(&y, ceiling_db as f64, os.factor() >= 4);
                let c = ceiling_db as f64;
                eprintln!(
                    "ceiling {c:+.1} {:>2}x {name:<28} sample {:+.3} 4x-meter {:+.3} 16x {:+.3} (over ceiling, dB)",
                    os.factor(),
                    p.sample_db - c,
                    p.meter_db - c,
                    p.recon_db - c
                );
                // No output sample above the ceiling, ever, at any factor.
                assert!(
                    p.sample_db <= c + 1e-6,
                    "{name} {}x: sample peak {}",
                    os.factor(),
                    p.sample_db
                );
                if os.factor() >= 4 {
                    worst_meter = worst_meter.max(p.meter_db - c);
                    worst_recon = worst_recon.max(p.recon_db - c);
                    // 0.00 dB overshoot on a BS.1770 4x meter (two decimals).
                    if p.meter_db - c >= 0.005 {
                        failures.push(format!(
                            "{name} {}x: 4x true peak {:+.4} dB over",
                            os.factor(),
                            p.meter_db - c
                        ));
                    }
                    if p.recon_db - c > 0.1 {
                        failures.push(format!(
                            "{name} {}x: 16x reconstruction {:+.4} dB over",
                            os.factor(),
                            p.recon_db - c
                        ));
                    }
                }
            }
        }
    }
    eprintln!(
        "worst over the ceiling at 4x and above: 4x meter {worst_meter:+.4} dB, 16x reconstruction {worst_recon:+.4} dB"
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Position of the largest absolute sample.
fn argmax(x: &[f32]) -> usize {
    x.iter()
        .enumerate()
        .fold((0, 0.0f32), |(bi, bv), (i, &v)| {
            if v.abs() > bv { (i, v.abs()) } else { (bi, bv) }
        })
        .0
}

#[test]
fn latency_is_the_impulse_delay_for_every_factor_and_lookahead() {
    for os in Oversampling::ALL {
        for lookahead_ms in [0.5f32, 1.5, 5.0] {
            let s = settings(
                0.0,
                LimiterSettings {
                    oversampling: os,
                    lookahead_ms,
                    ..LimiterSettings::default()
                },
            );
            let mut chain = Limiter::new(2, SR);
            chain.set_settings(&s);
            let latency = chain.latency() as usize;
            let mut a = vec![0.0f32; 4096];
            a[100] = 0.5;
            let mut b = a.clone();
            chain.process(&mut [&mut a, &mut b]);
            let at = argmax(&a);
            eprintln!(
                "{:>2}x lookahead {lookahead_ms} ms: latency {latency}, impulse at +{}",
                os.factor(),
                at - 100
            );
            assert_eq!(at, 100 + latency, "{}x {lookahead_ms} ms", os.factor());
            // Below the ceiling the limiter is a delay: the impulse comes out whole.
            assert!((a[at] - 0.5).abs() < 0.01, "impulse height {}", a[at]);
        }
    }
}

#[test]
fn below_the_ceiling_the_chain_is_a_delay() {
    // A 1 kHz tone 6 dB under the ceiling passes unchanged apart from the latency.
    for os in [Oversampling::X1, Oversampling::X4, Oversampling::X16] {
        let s = settings(
            0.0,
            LimiterSettings {
                oversampling: os,
                ..LimiterSettings::default()
            },
        );
        let x: Vec<f32> = (0..24_000)
            .map(|i| (0.4 * (2.0 * PI * 1000.0 * i as f64 / SR).sin()) as f32)
            .collect();
        let y = render(&s, &stereo(x.clone()), 256);
        let err = (1000..23_000)
            .map(|i| (y[0][i] - x[i]).abs())
            .fold(0.0f32, f32::max);
        assert!(err < 2e-5, "{}x: error {err}", os.factor());
        if os == Oversampling::X1 {
            assert_eq!(&y[0][..], &x[..], "1x below the ceiling is bit-exact");
        }
    }
}

/// One second of pink noise three times as loud as [`noise`]'s: peaks near 0.9, into the
/// limiter at any drive.
fn loud_pink(seed: u64) -> [Vec<f32>; 2] {
    noise(true, seed).map(|c| c.iter().map(|v| v * 3.0).collect())
}

#[test]
fn block_size_invariance() {
    let x = loud_pink(7);
    for core in [
        LimiterSettings::default(),
        LimiterSettings {
            oversampling: Oversampling::X16,
            soft_clip: true,
            dither: DitherDepth::Bits16,
            noise_shaping: true,
            link: 0.5,
            ..LimiterSettings::default()
        },
    ] {
        let s = settings(6.0, core);
        let reference = render(&s, &x, 48_000);
        for block in [1usize, 31, 256, 1000, 4096] {
            let y = render(&s, &x, block);
            assert_eq!(y[0], reference[0], "block {block}");
            assert_eq!(y[1], reference[1], "block {block}");
        }
    }
}

/// The detection half detached to run ahead (offline, `LimiterCore::detach_detector`; run
/// here on one thread, block by block) gives the chain's output to the bit, for every
/// factor, with the soft clip, unlinked channels and dither, in blocks of 1 to 4096 (the
/// chain and the core chunk them the same way), and the meters read the same gain reduction
/// after every block. Detecting on the input before its trim fails.
#[test]
fn the_detached_detector_gives_the_same_output() {
    use lathe_dsp::chains::limiter::Detection;
    let x = loud_pink(11);
    for (oversampling, soft_clip, link) in [
        (Oversampling::X2, false, 1.0),
        (Oversampling::X4, false, 1.0),
        (Oversampling::X4, true, 0.3),
        (Oversampling::X8, false, 1.0),
        (Oversampling::X16, true, 1.0),
    ] {
        let core = LimiterSettings {
            oversampling,
            soft_clip,
            link,
            dither: DitherDepth::Bits16,
            ..LimiterSettings::default()
        };
        let s = settings(9.0, core);
        let reference = render(&s, &x, 1024);
        for block in [1usize, 300, 1024, 4096] {
            let mut chain = Limiter::new(2, SR);
            chain.set_settings(&s);
            let latency = chain.latency() as usize;
            let mut input = chain.core_input();
            let mut detector = chain.core_mut().detach_detector().expect("oversampled");
            // A chain running both halves itself, for the gain reduction the meters read.
            let mut whole = Limiter::new(2, SR);
            whole.set_settings(&s);
            let mut l = x[0].clone();
            let mut r = x[1].clone();
            l.resize(x[0].len() + latency, 0.0);
            r.resize(x[1].len() + latency, 0.0);
            for (k, (a, b)) in l.chunks_mut(block).zip(r.chunks_mut(block)).enumerate() {
                let (mut ca, mut cb) = (a.to_vec(), b.to_vec());
                let (mut wa, mut wb) = (ca.clone(), cb.clone());
                whole.process(&mut [&mut wa, &mut wb]);
                input.process(&mut [&mut ca, &mut cb]);
                let mut d = Detection::default();
                detector.detect(&[&ca, &cb], &mut d);
                chain.core_mut().supply_detection(d);
                chain.process(&mut [a, b]);
                assert_eq!(
                    chain.core_mut().take_min_gain(),
                    whole.core_mut().take_min_gain(),
                    "{oversampling:?}, blocks of {block}, block {k}: the gain reduction read"
                );
            }
            let what = format!("{oversampling:?}, soft clip {soft_clip}, blocks of {block}");
            assert!(l[latency..] == reference[0][..], "{what}");
            assert!(r[latency..] == reference[1][..], "{what}");
        }
    }
    let mut chain = Limiter::new(1, SR);
    chain.set_settings(&settings(
        0.0,
        LimiterSettings {
            oversampling: Oversampling::X1,
            ..LimiterSettings::default()
        },
    ));
    assert!(
        chain.core_mut().detach_detector().is_none(),
        "nothing to detach at 1x"
    );
}

#[test]
fn changing_lookahead_or_oversampling_changes_the_latency() {
    let mut chain = Limiter::new(2, SR);
    let mut s = settings(0.0, LimiterSettings::default());
    let mut seen = Vec::new();
    for os in Oversampling::ALL {
        for lookahead_ms in [1.0f32, 2.0] {
            s.core.oversampling = os;
            s.core.lookahead_ms = lookahead_ms;
            chain.set_settings(&s);
            seen.push(chain.latency());
        }
    }
    eprintln!("latencies (1x..16x, 1 ms / 2 ms): {seen:?}");
    // 1 ms of lookahead is 48 samples at any factor; the filters add more as the factor grows.
    for pair in seen.chunks(2) {
        assert_eq!(pair[1] - pair[0], 48);
    }
    assert_eq!(seen[0], 48);
    assert!(seen.windows(2).step_by(2).all(|w| w[0] < w[1]));
}

/// THD of a 1 kHz sine driven 6 dB over the ceiling with a slow release.
#[test]
fn sine_6_db_over_has_bounded_distortion() {
    for os in [Oversampling::X1, Oversampling::X4] {
        let s = settings(
            6.0,
            LimiterSettings {
                ceiling_db: 0.0,
                release_ms: 1000.0,
                oversampling: os,
                ..LimiterSettings::default()
            },
        );
        let n = 96_000;
        let x: Vec<f32> = (0..n)
            .map(|i| (0.999 * (2.0 * PI * 1000.0 * i as f64 / SR).sin()) as f32)
            .collect();
        let y = render(&s, &stereo(x), 512);
        let (fundamental, thd) = common::thd(&y[0][n - 24_000..], 1000.0, SR, 20);
        eprintln!(
            "1 kHz sine 6 dB over, 1 s release, {}x: fundamental {:.2} dBFS, THD {:.4} % ({:.1} dB)",
            os.factor(),
            db(fundamental),
            thd * 100.0,
            db(thd)
        );
        assert!(thd < 1e-3, "THD {thd}");
        let margin = lathe_dsp::chains::limiter::margin_db(os) as f64;
        assert!(
            (db(fundamental) + margin).abs() < 0.05,
            "fundamental {} dB",
            db(fundamental)
        );
    }
}

#[test]
fn soft_clip_is_transparent_below_the_threshold_and_smooth_above() {
    let t = 0.5f32;
    for x in [-0.5f32, -0.1, 0.0, 0.3, 0.5] {
        assert_eq!(soft_clip(x, t), x);
    }
    // Continuous with slope 1 at the threshold, monotonic, below the +6 dB asymptote.
    let eps = 1e-3f32;
    let slope = (soft_clip(t + eps, t) - soft_clip(t, t)) / eps;
    assert!((slope - 1.0).abs() < 0.01, "slope {slope}");
    let mut last = soft_clip(t, t);
    for i in 1..1000 {
        let y = soft_clip(t + i as f32 * 0.01, t);
        assert!(y >= last && y <= 2.0 * t);
        last = y;
    }
    assert!(soft_clip(100.0, t) > 0.999 * 2.0 * t);
    assert_eq!(soft_clip(-0.8, t), -soft_clip(0.8, t));
}

#[test]
fn soft_clip_takes_peaks_off_before_the_limiter() {
    // Drums-like material: a 100 Hz tone with sharp transients 12 dB above it.
    let x: Vec<f32> = (0..48_000)
        .map(|i| {
            let tone = 0.2 * (2.0 * PI * 100.0 * i as f64 / SR).sin();
            let hit = if i % 12_000 < 48 { 0.8 } else { 0.0 };
            (tone + hit) as f32
        })
        .collect();
    let mut min_gain = [1.0f32; 2];
    for (k, soft_clip) in [false, true].into_iter().enumerate() {
        let s = settings(
            12.0,
            LimiterSettings {
                soft_clip,
                ..LimiterSettings::default()
            },
        );
        let mut chain = Limiter::new(2, SR);
        chain.set_settings(&s);
        let (mut a, mut b) = (x.clone(), x.clone());
        chain.process(&mut [&mut a, &mut b]);
        let _ = chain.core_mut().take_min_gain();
        let y = render(&s, &stereo(x.clone()), 512);
        let p = peaks(&y, -1.0, false);
        assert!(p.sample_db <= -1.0 + 1e-6 && p.meter_db < -1.0 + 0.005);
        // The deepest limiter gain reduction (the clipper's share shows in the meter too).
        let mut chain = Limiter::new(2, SR);
        chain.set_settings(&s);
        let (mut a, mut b) = (x.clone(), x.clone());
        chain.process(&mut [&mut a, &mut b]);
        min_gain[k] = chain.core_mut().take_min_gain();
    }
    eprintln!(
        "deepest reduction: limiter only {:.1} dB, with soft clip {:.1} dB",
        db(min_gain[0] as f64),
        db(min_gain[1] as f64)
    );
    assert!(min_gain[0] < 0.3 && min_gain[1] < 0.3);
}

#[test]
fn dither_lands_on_the_grid_with_the_expected_noise() {
    let x: Vec<f32> = (0..96_000)
        .map(|i| (0.25 * (2.0 * PI * 997.0 * i as f64 / SR).sin()) as f32)
        .collect();
    for (depth, bits) in [
        (DitherDepth::Bits16, 16),
        (DitherDepth::Bits20, 20),
        (DitherDepth::Bits24, 24),
    ] {
        let q = 2f64.powi(1 - bits);
        let mut d = Dither::new();
        d.set_settings(&DitherSettings {
            depth,
            shaping: false,
            limit: 1.0,
        });
        let mut y = x.clone();
        d.process(&mut [&mut y]);
        let mut power = 0.0f64;
        for (&a, &b) in x.iter().zip(y.iter()) {
            let steps = b as f64 / q;
            assert_eq!(steps, steps.round(), "{bits}-bit output off the grid");
            power += (b as f64 - a as f64).powi(2);
        }
        let rms_lsb = (power / x.len() as f64).sqrt() / q;
        eprintln!("{bits}-bit TPDF: error RMS {rms_lsb:.3} LSB (theory 0.500)");
        // Total error power q^2/4: rounding q^2/12 plus TPDF dither q^2/6.
        assert!((rms_lsb - 0.5).abs() < 0.02, "{bits}-bit: {rms_lsb} LSB");
    }
    // Off leaves the signal bit-identical.
    let mut d = Dither::new();
    let mut y = x.clone();
    d.process(&mut [&mut y]);
    assert_eq!(y, x);
}

/// Noise power (dB re 1 LSB^2 per bin, averaged) of the dither error in a band.
fn error_band_db(shaping: bool, lo_hz: f64, hi_hz: f64) -> f64 {
    let n = 1 << 16;
    // A low-level signal, so the error is dither plus rounding only.
    let x: Vec<f32> = (0..n)
        .map(|i| (0.01 * (2.0 * PI * 440.0 * i as f64 / SR).sin()) as f32)
        .collect();
    let mut d = Dither::new();
    d.set_settings(&DitherSettings {
        depth: DitherDepth::Bits16,
        shaping,
        limit: 1.0,
    });
    let mut y = x.clone();
    d.process(&mut [&mut y]);
    let q = 2f64.powi(-15);
    let e: Vec<f64> = x
        .iter()
        .zip(y.iter())
        .map(|(&a, &b)| (b as f64 - a as f64) / q)
        .collect();
    // Averaged periodograms of 1024-sample Hann frames.
    let frame = 1024;
    let bins: Vec<usize> = (0..frame / 2)
        .filter(|&k| {
            let f = k as f64 * SR / frame as f64;
            f >= lo_hz && f < hi_hz
        })
        .collect();
    let mut total = 0.0;
    let mut count = 0;
    for start in (0..n - frame).step_by(frame) {
        for &k in bins.iter().step_by(4) {
            let (mut re, mut im) = (0.0, 0.0);
            for j in 0..frame {
                let w = 0.5 - 0.5 * (2.0 * PI * j as f64 / frame as f64).cos();
                let ph = 2.0 * PI * k as f64 * j as f64 / frame as f64;
                re += w * e[start + j] * ph.cos();
                im += w * e[start + j] * ph.sin();
            }
            total += re * re + im * im;
            count += 1;
        }
    }
    10.0 * (total / count as f64).log10()
}

#[test]
fn noise_shaping_moves_the_noise_out_of_the_sensitive_band() {
    let flat_mid = error_band_db(false, 2000.0, 5000.0);
    let shaped_mid = error_band_db(true, 2000.0, 5000.0);
    let flat_high = error_band_db(false, 15_000.0, 22_000.0);
    let shaped_high = error_band_db(true, 15_000.0, 22_000.0);
    let analytic_mid = Dither::noise_transfer_db(true, 3500.0, SR);
    eprintln!(
        "dither noise 2-5 kHz: flat {flat_mid:.1}, shaped {shaped_mid:.1} dB (analytic at 3.5 kHz {analytic_mid:+.1}); 15-22 kHz: flat {flat_high:.1}, shaped {shaped_high:.1}"
    );
    assert!(
        shaped_mid < flat_mid - 6.0,
        "shaping must lower the 2-5 kHz band"
    );
    assert!(shaped_high > flat_high + 3.0, "the noise goes above 15 kHz");
    // The flat dither is flat: the two bands agree within 1 dB.
    assert!((flat_mid - flat_high).abs() < 1.0);
}

#[test]
fn dither_never_exceeds_the_ceiling() {
    let s = settings(
        12.0,
        LimiterSettings {
            ceiling_db: -0.1,
            dither: DitherDepth::Bits16,
            noise_shaping: true,
            ..LimiterSettings::default()
        },
    );
    let y = render(&s, &noise(false, 3), 512);
    let ceiling = gain(-0.1) as f32;
    let q = 2f32.powi(-15);
    for ch in &y {
        for &v in ch {
            assert!(v.abs() <= ceiling);
            assert_eq!((v / q).round() * q, v, "off the 16-bit grid");
        }
    }
}

#[test]
fn unity_gain_monitoring_matches_the_input_loudness() {
    // 20 s of pink noise at about -20 LUFS, driven 12 dB into the limiter.
    let n = 20 * SR as usize;
    let x = pink_noise(n, 11, 0.1);
    let loudness = |y: &[Vec<f32>; 2]| -> f64 {
        let mut m = LoudnessMeter::for_channels(SR, 2);
        // Judge the last 10 s, after the monitor has settled.
        let h = n / 2;
        m.process(&[&y[0][h..], &y[1][h..]]);
        m.integrated_lufs()
    };
    let input = loudness(&x);
    for unity_gain in [false, true] {
        let s = settings(
            12.0,
            LimiterSettings {
                unity_gain,
                ..LimiterSettings::default()
            },
        );
        let y = render(&s, &x, 512);
        let out = loudness(&y);
        eprintln!("input {input:.2} LUFS, output {out:.2} LUFS with unity gain {unity_gain}");
        if unity_gain {
            assert!((out - input).abs() < 0.5, "{out} vs {input}");
        } else {
            assert!(out > input + 3.0, "the drive makes it louder");
        }
    }
}

/// Twenty seconds of pink noise at 8 dB and 12 dB drive: over a long stretch of dense limiting
/// the BS.1770 4x meter still reads no more than the ceiling at 4x, 8x and 16x.
#[test]
fn long_pink_noise_holds_the_true_peak_ceiling() {
    let x = pink_noise(20 * SR as usize, 21, 0.25);
    let mut failures = Vec::new();
    for drive in [8.0f32, 12.0] {
        for os in [Oversampling::X4, Oversampling::X8, Oversampling::X16] {
            let s = settings(
                drive,
                LimiterSettings {
                    oversampling: os,
                    ..LimiterSettings::default()
                },
            );
            let y = render(&s, &x, 512);
            let mut meter = 0.0f32;
            for ch in &y {
                let mut tp = TruePeak::new(SR);
                tp.process(ch);
                meter = meter.max(tp.peak());
            }
            let over = db(meter as f64) + 1.0;
            eprintln!(
                "pink noise 20 s, drive {drive} dB, {:>2}x: 4x meter {over:+.4} dB over",
                os.factor()
            );
            if over >= 0.005 {
                failures.push(format!("drive {drive} {}x: {over:+.4} dB", os.factor()));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
