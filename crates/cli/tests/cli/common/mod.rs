//! Helpers shared by the CLI's test files: temporary folders, WAV files, the binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh folder for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    // The test's own name too: the test files are modules of one binary, and two of them may
    // pick the same `name` while they run side by side.
    let test = std::thread::current()
        .name()
        .unwrap_or("main")
        .replace("::", "-");
    let dir = std::env::temp_dir().join(format!("lathe-cli-{}-{test}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A fresh scratch folder for test `name` and the `in.wav` and `out.wav` paths in it.
pub fn scratch(name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = temp_dir(name);
    let (input, output) = (dir.join("in.wav"), dir.join("out.wav"));
    (dir, input, output)
}

/// [`scratch`] with `x` written to its `in.wav` at `sr`.
pub fn scratch_with(name: &str, x: &[Vec<f32>], sr: u32) -> (PathBuf, PathBuf, PathBuf) {
    let (dir, input, output) = scratch(name);
    write_wav(&input, x, sr);
    (dir, input, output)
}

/// A sine of `amplitude` (1.0 = full scale) on every channel, planar.
pub fn sine(freq_hz: f64, amplitude: f64, seconds: f64, sr: u32, channels: usize) -> Vec<Vec<f32>> {
    let n = (seconds * sr as f64) as usize;
    let one: Vec<f32> = (0..n)
        .map(|i| {
            (amplitude * (2.0 * std::f64::consts::PI * freq_hz * i as f64 / sr as f64).sin()) as f32
        })
        .collect();
    vec![one; channels]
}

/// Writes planar audio as a 32-bit float WAV.
pub fn write_wav(path: &Path, planar: &[Vec<f32>], sr: u32) {
    let spec = hound::WavSpec {
        channels: planar.len() as u16,
        sample_rate: sr,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..planar[0].len() {
        for ch in planar {
            w.write_sample(ch[i]).unwrap();
        }
    }
    w.finalize().unwrap();
}

/// Reads a WAV, planar, integers scaled to full scale = 1.0.
pub fn read_wav(path: &Path) -> (hound::WavSpec, Vec<Vec<f32>>) {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => r.samples::<f32>().map(|s| s.unwrap()).collect(),
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
            r.samples::<i32>()
                .map(|s| s.unwrap() as f32 * scale)
                .collect()
        }
    };
    let ch = spec.channels as usize;
    let planar = (0..ch)
        .map(|c| interleaved.iter().skip(c).step_by(ch).copied().collect())
        .collect();
    (spec, planar)
}

/// Runs `lathe` with these arguments.
pub fn lathe(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lathe"))
        .args(args.iter().map(|a| a.as_ref()))
        .output()
        .unwrap()
}

/// `lathe render PLUGIN INPUT -o OUTPUT EXTRA...`.
pub fn render_cli(plugin: &str, input: &Path, output: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lathe"))
        .args(["render", plugin])
        .arg(input)
        .arg("-o")
        .arg(output)
        .args(extra)
        .output()
        .unwrap()
}

/// `--set ID=VALUE` for each assignment.
pub fn set_args<'a>(assignments: &[&'a str]) -> Vec<&'a str> {
    assignments.iter().flat_map(|a| ["--set", *a]).collect()
}

/// Asserts that a run succeeded, showing its stderr if not.
pub fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// stdout and stderr of a run, as text.
pub fn texts(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The amplitude (1.0 = full scale) of the component at `freq_hz` (Goertzel over the whole
/// signal, rectangular window; exact for whole cycles).
pub fn amplitude_at(x: &[f32], freq_hz: f64, sr: u32) -> f64 {
    let w = 2.0 * std::f64::consts::PI * freq_hz / sr as f64;
    let (mut re, mut im) = (0.0, 0.0);
    for (i, &v) in x.iter().enumerate() {
        re += v as f64 * (w * i as f64).cos();
        im -= v as f64 * (w * i as f64).sin();
    }
    2.0 * (re * re + im * im).sqrt() / x.len() as f64
}

/// A number from a JSON object.
pub fn num(v: &serde_json::Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {v}"))
}

/// The largest sample difference between `a` and `b`.
pub fn max_difference(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}
