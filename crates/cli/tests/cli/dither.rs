//! Integer output is requantised honestly: TPDF dither by default (`--dither off|tpdf|shaped`),
//! clipped samples counted and warned about, and the printed peak and loudness are those of the
//! samples in the file (issue #18, "honest output").

use crate::common;

use common::{amplitude_at, lathe, num, read_wav, render_cli, scratch_with, sine, texts};
use lathe_dsp::color::dither::Dither;
use std::path::Path;

const SR: u32 = 48_000;
/// One LSB at 16 bits.
const Q16: f64 = 1.0 / 32_768.0;

/// Renders `input` through the channel strip at its defaults (bit-transparent) into `output`
/// with extra arguments; returns stdout and stderr, asserting success.
fn strip(input: &Path, output: &Path, extra: &[&str]) -> (String, String) {
    let out = render_cli("channel-strip", input, output, extra);
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    (stdout, stderr)
}

/// Mean power (amplitude², full scale = 1) of `x` over 40 bins at 0.5 Hz spacing around
/// `centre_hz`, in dB.
fn band_power_db(x: &[f32], centre_hz: f64) -> f64 {
    let bins: Vec<f64> = (0..40).map(|k| centre_hz - 10.0 + 0.5 * k as f64).collect();
    let mean = bins
        .iter()
        .map(|&f| amplitude_at(x, f, SR).powi(2))
        .sum::<f64>()
        / bins.len() as f64;
    10.0 * mean.log10()
}

/// Asserts that the error's power around `f_hz` is `expected_db` within 2 dB.
fn assert_band_power(what: &str, e: &[f32], f_hz: f64, expected_db: f64) {
    let got = band_power_db(e, f_hz);
    eprintln!("{what} {f_hz} Hz: {got:.1} dB, expected {expected_db:.1}");
    assert!(
        (got - expected_db).abs() < 2.0,
        "{what} {f_hz} Hz: {got:.1} dB, expected {expected_db:.1}"
    );
}

/// The requantisation error of channel 0: file minus input.
fn error(output: &Path, input: &[Vec<f32>]) -> Vec<f32> {
    let (spec, y) = read_wav(output);
    assert_eq!(spec.bits_per_sample, 16);
    y[0].iter().zip(&input[0]).map(|(a, b)| a - b).collect()
}

#[test]
fn sixteen_bit_output_is_tpdf_dithered_by_default() {
    // A -60 dBFS 1 kHz tone: 32.8 LSB at 16 bits, the case where rounding distorts.
    let x = sine(1000.0, 0.001, 2.0, SR, 2);
    let (dir, input, _) = scratch_with("dither-tpdf", &x, SR);
    let n = x[0].len() as f64;

    // Plain rounding (what every integer render did before): the error is harmonic.
    let rounded = dir.join("rounded.wav");
    let (stdout, _) = strip(&input, &rounded, &["--bits", "16", "--dither", "off"]);
    assert!(
        stdout.contains("16-bit, rounded without dither"),
        "{stdout}"
    );
    let h3 = 20.0 * amplitude_at(&error(&rounded, &x), 3000.0, SR).log10();
    eprintln!("rounding: H3 {h3:.1} dBFS");
    assert!(h3 > -125.0, "rounding: H3 {h3:.1} dBFS");

    // The default: TPDF. No harmonic stands out of a flat floor whose level is the theory's:
    // total error power q²/4 (rounding q²/12 + dither q²/6), so 4·(q²/4)/N per bin.
    let dithered = dir.join("dithered.wav");
    let (stdout, stderr) = strip(&input, &dithered, &["--bits", "16"]);
    assert!(stdout.contains("16-bit, TPDF dither"), "{stdout}");
    assert!(!stderr.contains("clipped"), "{stderr}");
    let e = error(&dithered, &x);
    let h3 = 20.0 * amplitude_at(&e, 3000.0, SR).log10();
    eprintln!("TPDF: H3 {h3:.1} dBFS");
    assert!(h3 < -130.0, "TPDF: H3 {h3:.1} dBFS");
    let rms = (e.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / n).sqrt();
    assert!((rms / (Q16 / 2.0) - 1.0).abs() < 0.05, "error rms {rms:e}");
    let floor_db = 10.0 * (Q16 * Q16 / n).log10();
    for f in [300.0, 3000.0, 15_000.0] {
        assert_band_power("TPDF (flat floor)", &e, f, floor_db);
    }

    // The same input gives the same bytes (the dither's sequence is seeded the same way).
    let again = dir.join("again.wav");
    strip(&input, &again, &["--bits", "16"]);
    assert_eq!(
        std::fs::read(&dithered).unwrap(),
        std::fs::read(&again).unwrap()
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn shaped_dither_follows_the_noise_transfer_function() {
    let x = sine(1000.0, 0.001, 2.0, SR, 1);
    let (dir, input, _) = scratch_with("dither-shaped", &x, SR);
    let shaped = dir.join("shaped.wav");
    let (stdout, _) = strip(&input, &shaped, &["--bits", "16", "--dither", "shaped"]);
    assert!(stdout.contains("noise-shaped TPDF dither"), "{stdout}");
    let e = error(&shaped, &x);
    let floor_db = 10.0 * (Q16 * Q16 / x[0].len() as f64).log10();
    for f in [3000.0, 15_000.0] {
        let expected = floor_db + Dither::noise_transfer_db(true, f, SR as f64);
        assert_band_power("shaped", &e, f, expected);
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn clipping_is_counted_and_the_printed_peak_is_the_files() {
    // A float file peaking at +2.9 dBFS: a 16-bit file cannot hold it.
    let x = sine(997.0, 1.4, 1.0, SR, 2);
    let (dir, input, output) = scratch_with("clipping", &x, SR);
    let over = x
        .iter()
        .flatten()
        .filter(|&&v| {
            (v as f64 * 32_768.0).round() > 32_767.0 || (v as f64 * 32_768.0).round() < -32_768.0
        })
        .count();
    let (stdout, stderr) = strip(&input, &output, &["--bits", "16"]);
    assert!(
        stderr.contains(&format!(
            "warning: {}: {over} sample(s) clipped",
            output.display()
        )) && stderr.contains("+2.92 dBFS before conversion"),
        "{over}: {stderr}"
    );
    // The summary's true peak and loudness are the file's, as `lathe analyze` reads them.
    let analyzed = lathe(&[&"analyze", &"--json", &output]);
    let json: serde_json::Value = serde_json::from_slice(&analyzed.stdout).unwrap();
    let tp = num(&json[0], "true_peak_dbtp");
    let lufs = num(&json[0], "integrated_lufs");
    assert!(
        stdout.contains(&format!("output {tp:.2} dBTP, {lufs:.1} LUFS")),
        "{stdout} vs {tp} {lufs}"
    );
    assert!(tp < 0.8, "the file is clipped: {tp}");

    // Float output holds it: nothing clips, nothing is said.
    let float = dir.join("float.wav");
    let (stdout, stderr) = strip(&input, &float, &[]);
    assert!(!stderr.contains("clipped"), "{stderr}");
    assert!(stdout.contains("32-bit float"), "{stdout}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn dither_values_are_checked() {
    let (dir, input, output) = scratch_with("dither-args", &sine(440.0, 0.1, 0.1, SR, 2), SR);
    let out = render_cli("limiter", &input, &output, &["--dither", "tpdf"]);
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("--dither tpdf needs --bits 16 or 24"),
        "{stderr}"
    );
    let out = render_cli(
        "limiter",
        &input,
        &output,
        &["--bits", "16", "--dither", "maybe"],
    );
    let (_, stderr) = texts(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains("off") && stderr.contains("tpdf") && stderr.contains("shaped"),
        "{stderr}"
    );
    assert!(!output.exists());
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn the_limiters_own_dither_is_not_doubled() {
    // With the limiter dithering to 16 bit itself, a 16-bit file holds its samples exactly:
    // the float render and the 16-bit render are the same numbers.
    let (dir, input, _) = scratch_with("dither-limiter", &sine(440.0, 0.5, 0.5, SR, 2), SR);
    let float = dir.join("float.wav");
    let int = dir.join("int.wav");
    for (out, bits) in [(&float, "32"), (&int, "16")] {
        let extra = [
            "--set",
            "dither=16 bit",
            "--set",
            "input_gain=6",
            "--bits",
            bits,
        ];
        let run = render_cli("limiter", &input, out, &extra);
        let (stdout, stderr) = texts(&run);
        assert!(run.status.success(), "{stderr}");
        if bits == "16" {
            assert!(
                stdout.contains("16-bit, not dithered again (already 16-bit dithered)"),
                "{stdout}"
            );
        }
    }
    let (_, a) = read_wav(&float);
    let (_, b) = read_wav(&int);
    assert_eq!(a, b);
    std::fs::remove_dir_all(dir).ok();
}
