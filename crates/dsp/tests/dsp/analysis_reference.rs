//! The reference analyzer against signals whose spectra, levels and stereo image are known by
//! construction.

use lathe_dsp::analysis::reference::{
    Analysis, Analyzer, GRID_POINTS, OCTAVE_CENTRES_HZ, StreamAnalyzer, analyze_stereo, grid_hz,
    has_data, shaped_noise, smooth,
};

const SR: f64 = 48_000.0;
/// 2^20 samples: about 22 s at 48 kHz.
const LEN: usize = 1 << 20;

fn pink(seed: u64, rms: f64) -> Vec<f32> {
    shaped_noise(LEN, SR, seed, rms, |_| 0.0)
}

fn analyse_mono(x: &[f32], sr: f64) -> Analysis {
    analyze_stereo(sr, x, x)
}

/// The largest deviation from the mean over the grid points between `lo` and `hi` Hz.
fn spread(values: &[f32], lo: f64, hi: f64) -> (f64, f64) {
    let pts: Vec<f64> = (0..GRID_POINTS)
        .filter(|&i| grid_hz(i) >= lo && grid_hz(i) <= hi)
        .map(|i| values[i] as f64)
        .collect();
    let mean = pts.iter().sum::<f64>() / pts.len() as f64;
    let dev = pts.iter().map(|v| (v - mean).abs()).fold(0.0, f64::max);
    (mean, dev)
}

#[test]
fn pink_noise_reads_flat_in_octave_bands_and_on_the_smoothed_grid() {
    let a = analyse_mono(&pink(1, 0.1), SR);
    let levels: Vec<f64> = a.bands.iter().map(|b| b.level_db).collect();
    let mean = levels.iter().sum::<f64>() / levels.len() as f64;
    for (b, l) in a.bands.iter().zip(&levels) {
        println!("{:>7} Hz {:7.2} dB", b.centre_hz, l);
        assert!(
            (l - mean).abs() < 0.5,
            "{} Hz band reads {l:.2} dB, mean {mean:.2}",
            b.centre_hz
        );
    }
    for fraction in [1.0, 3.0, 6.0, 24.0] {
        let (_, dev) = spread(&smooth(&a.spectrum_db, fraction), 31.5, 16_000.0);
        println!("1/{fraction} octave smoothing: worst deviation {dev:.2} dB");
        let tol = if fraction >= 24.0 { 1.5 } else { 0.5 };
        assert!(dev < tol, "1/{fraction}: {dev:.2} dB");
    }
    assert!(
        a.tilt_db_per_octave().abs() < 0.05,
        "{}",
        a.tilt_db_per_octave()
    );
}

#[test]
fn a_tilted_noise_reads_its_tilt() {
    for tilt in [-4.5, -1.5, 3.0] {
        let x = shaped_noise(LEN, SR, 7, 0.1, |f| tilt * (f / 1000.0).log2());
        let a = analyse_mono(&x, SR);
        let got = a.tilt_db_per_octave();
        println!("tilt {tilt:+.1} dB/oct reads {got:+.3}");
        assert!((got - tilt).abs() < 0.1, "{tilt}: read {got}");
        // The octave bands step by the tilt too.
        let step = a.bands[6].level_db - a.bands[5].level_db;
        assert!((step - tilt).abs() < 0.3, "{tilt}: 1k->2k step {step}");
    }
}

#[test]
fn white_noise_reads_plus_3_db_per_octave() {
    let x = shaped_noise(LEN, SR, 3, 0.1, |f| 10.0 * (f / 1000.0).log10());
    let got = analyse_mono(&x, SR).tilt_db_per_octave();
    assert!((got - 3.01).abs() < 0.1, "{got}");
}

#[test]
fn loudness_normalisation_makes_level_irrelevant() {
    let loud = pink(11, 0.2);
    let quiet: Vec<f32> = loud.iter().map(|x| x * 0.05).collect();
    let (a, b) = (analyse_mono(&loud, SR), analyse_mono(&quiet, SR));
    let la = a.loudness.integrated_lufs.unwrap();
    let lb = b.loudness.integrated_lufs.unwrap();
    assert!((la - lb - 26.02).abs() < 0.05, "{la} {lb}");
    let (na, nb) = (a.normalized_spectrum_db(), b.normalized_spectrum_db());
    let worst = na
        .iter()
        .zip(&nb)
        .filter(|(x, _)| has_data(**x))
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 0.01, "normalised spectra differ by {worst} dB");
    for i in 0..OCTAVE_CENTRES_HZ.len() {
        assert!((a.normalized_band_db(i) - b.normalized_band_db(i)).abs() < 0.01);
        assert!((a.bands[i].crest_db - b.bands[i].crest_db).abs() < 0.01);
    }
}

#[test]
fn different_sample_rates_give_the_same_normalised_spectrum() {
    let shape = |f: f64| -2.0 * (f / 1000.0).log2() + 6.0 * (-(f / 3000.0 - 1.0).powi(2)).exp();
    let a = analyse_mono(&shaped_noise(LEN, 44_100.0, 5, 0.1, shape), 44_100.0);
    let b = analyse_mono(&shaped_noise(LEN, 96_000.0, 6, 0.1, shape), 96_000.0);
    let sa = smooth(&a.normalized_spectrum_db(), 6.0);
    let sb = smooth(&b.normalized_spectrum_db(), 6.0);
    let mut worst = 0.0f32;
    for i in 0..GRID_POINTS {
        let f = grid_hz(i);
        if (31.5..=16_000.0).contains(&f) {
            worst = worst.max((sa[i] - sb[i]).abs());
        }
    }
    println!("44.1 vs 96 kHz: worst 1/6-octave difference {worst:.2} dB");
    assert!(worst < 0.5, "{worst}");
    assert!(has_data(a.spectrum_db[GRID_POINTS - 1]));
    // Above 0.95 x Nyquist of a 32 kHz file there is no data, not a fake roll-off.
    let c = analyse_mono(&shaped_noise(1 << 16, 32_000.0, 7, 0.1, shape), 32_000.0);
    let top = (0..GRID_POINTS)
        .filter(|&i| has_data(c.spectrum_db[i]))
        .map(grid_hz)
        .fold(0.0, f64::max);
    assert!((14_500.0..15_200.0).contains(&top), "{top}");
}

#[test]
fn a_full_scale_sine_reads_0_db_in_its_band_and_is_counted_as_clipping() {
    let x: Vec<f32> = (0..SR as usize * 5)
        .map(|i| (std::f64::consts::TAU * 1000.0 * i as f64 / SR).sin() as f32)
        .collect();
    let a = analyse_mono(&x, SR);
    assert!(a.bands[5].level_db.abs() < 0.05, "{}", a.bands[5].level_db);
    assert!(a.bands[3].level_db < -60.0);
    assert!((a.loudness.true_peak_dbtp.unwrap()).abs() < 0.01);
    // The sine touches full scale only at its crests (every ms, both channels).
    assert!(a.clipped_samples >= 2 * 4000, "{}", a.clipped_samples);
    let half: Vec<f32> = x.iter().map(|s| s * 0.5).collect();
    assert_eq!(analyse_mono(&half, SR).clipped_samples, 0);
}

#[test]
fn width_and_correlation_per_band() {
    let n = 1 << 19;
    let l = pink(21, 0.1);
    let r_independent = pink(22, 0.1);
    let a = analyze_stereo(SR, &l[..n], &l[..n]);
    assert!(a.width_pct < 0.01 && (a.correlation - 1.0).abs() < 1e-6);
    let b = analyze_stereo(SR, &l[..n], &r_independent[..n]);
    assert!((b.width_pct - 100.0).abs() < 5.0, "{}", b.width_pct);
    assert!(b.correlation.abs() < 0.05, "{}", b.correlation);
    // Right = left below 1 kHz, inverted above: each band reads its own image.
    let low = shaped_noise(n, SR, 31, 0.1, |f| if f < 1000.0 { 0.0 } else { -200.0 });
    let high = shaped_noise(n, SR, 32, 0.1, |f| if f < 1000.0 { -200.0 } else { 0.0 });
    let left: Vec<f32> = low.iter().zip(&high).map(|(a, b)| a + b).collect();
    let right: Vec<f32> = low.iter().zip(&high).map(|(a, b)| a - b).collect();
    let c = analyze_stereo(SR, &left, &right);
    for band in &c.bands {
        println!(
            "{:>7} Hz width {:6.1} % corr {:+.3}",
            band.centre_hz, band.width_pct, band.correlation
        );
        if band.centre_hz <= 500.0 {
            assert!(band.width_pct < 1.0 && band.correlation > 0.98);
        } else if band.centre_hz >= 2000.0 {
            assert!(band.width_pct > 199.0 && band.correlation < -0.98);
        }
    }
}

#[test]
fn crest_factor_follows_the_band_envelope() {
    let steady = analyse_mono(&pink(41, 0.1), SR);
    // Bursts: 1 s on, 3 s off, in the 1 kHz band only over a steady pink bed 40 dB down.
    let tone = shaped_noise(LEN, SR, 42, 0.1, |f| {
        if (700.0..1400.0).contains(&f) {
            0.0
        } else {
            -200.0
        }
    });
    let bed = pink(43, 0.001);
    let x: Vec<f32> = (0..LEN)
        .map(|i| {
            let on = (i as f64 / SR) % 4.0 < 1.0;
            bed[i] + if on { tone[i] } else { 0.0 }
        })
        .collect();
    let bursts = analyse_mono(&x, SR);
    for (s, b) in steady.bands.iter().zip(&bursts.bands) {
        println!(
            "{:>7} Hz crest steady {:5.2} dB, bursts {:5.2} dB",
            s.centre_hz, s.crest_db, b.crest_db
        );
    }
    // Steady noise still has an envelope: a band B Hz wide holds about 0.4 B independent
    // values per 400 ms, so the narrow low bands fluctuate more (chi-square spread).
    for s in &steady.bands {
        let tol = match s.centre_hz {
            f if f < 100.0 => 3.5,
            f if f < 300.0 => 2.0,
            _ => 1.0,
        };
        assert!(s.crest_db < tol, "{}: {}", s.centre_hz, s.crest_db);
    }
    // Peak over mean of a 1-in-4 duty cycle: 10 log10(4) = 6 dB.
    assert!(
        (bursts.bands[5].crest_db - 6.02).abs() < 0.5,
        "{}",
        bursts.bands[5].crest_db
    );
}

#[test]
fn analysis_is_block_size_invariant_and_the_threaded_path_agrees() {
    let l = pink(51, 0.1);
    let r = pink(52, 0.1);
    let n = 300_000;
    let whole = {
        let mut a = Analyzer::new(SR);
        a.push(&l[..n], &r[..n]);
        a.analysis()
    };
    let pieces = {
        let mut a = Analyzer::new(SR);
        let mut i = 0;
        for size in [1usize, 17, 256, 4095, 8193].iter().cycle() {
            if i >= n {
                break;
            }
            let end = (i + size).min(n);
            a.push(&l[i..end], &r[i..end]);
            i = end;
        }
        a.analysis()
    };
    assert_eq!(whole, pieces);
    let threaded = analyze_stereo(SR, &l[..n], &r[..n]);
    assert_eq!(whole, threaded);
    // Streamed in uneven chunks while "decoding".
    let mut stream = StreamAnalyzer::new(SR);
    let mut i = 0;
    for size in [5000usize, 1, 65_536, 777].iter().cycle() {
        if i >= n {
            break;
        }
        let end = (i + size).min(n);
        stream.push(l[i..end].to_vec(), r[i..end].to_vec());
        i = end;
    }
    assert_eq!(whole, stream.finish().unwrap());
}

#[test]
fn a_recording_shorter_than_one_frame_is_still_analysed() {
    let x: Vec<f32> = pink(61, 0.1)[..3000].to_vec();
    let a = analyse_mono(&x, SR);
    assert!(
        a.loudness.integrated_lufs.is_none(),
        "shorter than one 400 ms block"
    );
    assert!(has_data(a.spectrum_db[100]));
    let silence = analyse_mono(&[0.0; 10], SR);
    assert!(silence.loudness.true_peak_dbtp.is_none() && silence.loudness.plr_db.is_none());
}

#[test]
fn non_finite_samples_count_as_silence() {
    let mut x = pink(71, 0.1)[..200_000].to_vec();
    let clean = analyse_mono(&x, SR);
    x[1000] = f32::NAN;
    x[2000] = f32::INFINITY;
    let dirty = analyse_mono(&x, SR);
    assert!(dirty.spectrum_db.iter().all(|v| v.is_finite()));
    let worst = clean
        .spectrum_db
        .iter()
        .zip(&dirty.spectrum_db)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 0.5, "{worst}");
}

#[test]
fn an_analysis_round_trips_through_json() {
    let a = analyse_mono(&pink(81, 0.1)[..200_000], SR);
    let json = serde_json::to_string(&a).unwrap();
    let back: Analysis = serde_json::from_str(&json).unwrap();
    assert_eq!(a, back);
    assert!(back.is_valid());
    let mut broken = back.clone();
    broken.spectrum_db.pop();
    assert!(!broken.is_valid());
}

#[test]
fn a_saved_analysis_keeps_its_json_keys_and_older_ones_still_load() {
    let x = pink(7, 0.1);
    let a = analyse_mono(&x[..(4.0 * SR) as usize], SR);
    let json = serde_json::to_value(&a).unwrap();
    let obj = json.as_object().unwrap();
    // The keys analyses were saved with before the loudness summary was shared (0.2), at the
    // top level of the object, plus the summary's one new figure.
    for key in [
        "sample_rate_hz",
        "duration_s",
        "integrated_lufs",
        "loudness_range_lu",
        "max_short_term_lufs",
        "true_peak_dbtp",
        "sample_peak_dbfs",
        "plr_db",
        "clipped_samples",
        "correlation",
        "width_pct",
        "spectrum_db",
        "bands",
        "max_momentary_lufs",
    ] {
        assert!(obj.contains_key(key), "{key} missing from {:?}", obj.keys());
    }
    assert!(!obj.contains_key("loudness"), "the summary is flattened");
    assert_eq!(obj.len(), 14, "{:?}", obj.keys());
    // A 0.2 analysis has no max_momentary_lufs: it loads with everything else as saved.
    let mut old = json.clone();
    old.as_object_mut().unwrap().remove("max_momentary_lufs");
    let loaded: Analysis = serde_json::from_value(old).unwrap();
    assert_eq!(loaded.loudness.max_momentary_lufs, None);
    assert_eq!(loaded.loudness.integrated_lufs, a.loudness.integrated_lufs);
    assert_eq!(loaded.spectrum_db, a.spectrum_db);
    let back: Analysis = serde_json::from_value(json).unwrap();
    assert_eq!(back, a);
}
