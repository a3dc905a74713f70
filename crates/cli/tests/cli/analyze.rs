//! `lathe analyze` end to end: the real binary on files in every supported format.

use crate::common;

use common::{num, temp_dir};
use std::f64::consts::PI;
use std::path::{Path, PathBuf};
use std::process::Command;

fn lathe() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lathe"))
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Interleaved 1 kHz tone at `dbfs` peak on `channels` channels.
fn tone(dbfs: f64, seconds: f64, sr: u32, channels: usize) -> Vec<f32> {
    let amp = 10f64.powf(dbfs / 20.0);
    let n = (seconds * sr as f64) as usize;
    (0..n)
        .flat_map(|i| {
            let x = (amp * (2.0 * PI * 1000.0 * i as f64 / sr as f64).sin()) as f32;
            std::iter::repeat_n(x, channels)
        })
        .collect()
}

fn write_wav(path: &Path, samples: &[f32], sr: u32, channels: u16, bits: u16, float: bool) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: sr,
        bits_per_sample: bits,
        sample_format: if float {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &s in samples {
        if float {
            w.write_sample(s).unwrap();
        } else {
            let max = ((1i64 << (bits - 1)) - 1) as f32;
            w.write_sample((s * max).round() as i32).unwrap();
        }
    }
    w.finalize().unwrap();
}

/// A minimal 16-bit PCM AIFF writer (big-endian, 80-bit float sample rate).
fn write_aiff(path: &Path, samples: &[f32], sr: u32, channels: u16) {
    let frames = (samples.len() / channels as usize) as u32;
    let data_len = samples.len() as u32 * 2;
    let mut out = Vec::new();
    out.extend(b"FORM");
    out.extend((4 + 26 + 16 + data_len).to_be_bytes());
    out.extend(b"AIFF");
    out.extend(b"COMM");
    out.extend(18u32.to_be_bytes());
    out.extend(channels.to_be_bytes());
    out.extend(frames.to_be_bytes());
    out.extend(16u16.to_be_bytes());
    // IEEE 754 80-bit extended: exponent and 64-bit mantissa with explicit integer bit.
    let exp = 31 - sr.leading_zeros();
    out.extend(((16383 + exp) as u16).to_be_bytes());
    out.extend(((sr as u64) << (63 - exp)).to_be_bytes());
    out.extend(b"SSND");
    out.extend((8 + data_len).to_be_bytes());
    out.extend(0u32.to_be_bytes());
    out.extend(0u32.to_be_bytes());
    for &s in samples {
        out.extend(((s * 32767.0).round() as i16).to_be_bytes());
    }
    std::fs::write(path, out).unwrap();
}

fn analyze_json(files: &[&Path]) -> (serde_json::Value, String, bool) {
    let out = lathe()
        .arg("analyze")
        .arg("--json")
        .args(files)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    (
        json,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

/// The loudness figures of an analysis: null where a file has none (silence).
const LOUDNESS_KEYS: [&str; 7] = [
    "integrated_lufs",
    "loudness_range_lu",
    "true_peak_dbtp",
    "sample_peak_dbfs",
    "max_momentary_lufs",
    "max_short_term_lufs",
    "plr_db",
];

#[test]
fn json_has_exactly_the_documented_keys() {
    let dir = temp_dir("keys");
    let wav = dir.join("tone.wav");
    write_wav(&wav, &tone(-23.0, 5.0, 48_000, 2), 48_000, 2, 24, false);
    let (json, _, ok) = analyze_json(&[&wav]);
    assert!(ok);
    let obj = json[0].as_object().unwrap();
    let mut keys: Vec<&str> = obj.keys().map(|k| k.as_str()).collect();
    keys.sort();
    let mut expected = vec!["file", "sample_rate_hz", "channels", "duration_s"];
    expected.extend(LOUDNESS_KEYS);
    expected.extend(["non_finite_samples", "first_non_finite_s"]);
    expected.sort();
    assert_eq!(keys, expected);
    let a = &json[0];
    assert_eq!(a["sample_rate_hz"], 48_000);
    assert_eq!(a["channels"], 2);
    assert!((num(a, "duration_s") - 5.0).abs() < 1e-6);
    assert!((num(a, "integrated_lufs") + 23.0).abs() <= 0.1);
    assert!((num(a, "max_momentary_lufs") + 23.0).abs() <= 0.1);
    assert!((num(a, "true_peak_dbtp") + 23.0).abs() <= 0.2);
    assert!((num(a, "sample_peak_dbfs") + 23.0).abs() <= 0.01);
    assert!(num(a, "plr_db").abs() <= 0.2);
}

#[test]
fn every_format_reads_the_tone() {
    let dir = temp_dir("formats");
    let x = tone(-23.0, 4.0, 44_100, 2);
    let files = [
        (dir.join("pcm16.wav"), 0.1),
        (dir.join("pcm24_96k.wav"), 0.1),
        (dir.join("float.wav"), 0.1),
        (dir.join("tone.aiff"), 0.1),
        (fixture("tone-23.flac"), 0.1),
        (fixture("tone-23.mp3"), 0.5),
        (fixture("tone-23.ogg"), 0.5),
        (fixture("tone-23.m4a"), 0.5),
        (fixture("tone-23-alac.m4a"), 0.1),
    ];
    write_wav(&files[0].0, &x, 44_100, 2, 16, false);
    write_wav(
        &files[1].0,
        &tone(-23.0, 4.0, 96_000, 2),
        96_000,
        2,
        24,
        false,
    );
    write_wav(&files[2].0, &x, 44_100, 2, 32, true);
    write_aiff(&files[3].0, &x, 44_100, 2);
    let paths: Vec<&Path> = files.iter().map(|(p, _)| p.as_path()).collect();
    let (json, stderr, ok) = analyze_json(&paths);
    assert!(ok, "{stderr}");
    for (i, (path, tol)) in files.iter().enumerate() {
        let got = num(&json[i], "integrated_lufs");
        assert!((got + 23.0).abs() <= *tol, "{}: {got}", path.display());
    }
    assert_eq!(json[1]["sample_rate_hz"], 96_000);
}

#[test]
fn surround_weights_and_lfe() {
    // EBU Tech 3341 case 6 as a 5.1 file (L R C LFE Ls Rs): LFE at full scale must not count.
    let dir = temp_dir("surround");
    let sr = 48_000;
    let (lr, c, s, lfe) = (
        tone(-28.0, 10.0, sr, 1),
        tone(-24.0, 10.0, sr, 1),
        tone(-30.0, 10.0, sr, 1),
        tone(0.0, 10.0, sr, 1),
    );
    let mut interleaved = Vec::new();
    for i in 0..lr.len() {
        interleaved.extend([lr[i], lr[i], c[i], lfe[i], s[i], s[i]]);
    }
    let path = dir.join("five-one.wav");
    write_wav(&path, &interleaved, sr, 6, 24, false);
    let (json, stderr, ok) = analyze_json(&[&path]);
    assert!(ok, "{stderr}");
    assert_eq!(json[0]["channels"], 6);
    assert!(
        (num(&json[0], "integrated_lufs") + 23.0).abs() <= 0.1,
        "{}",
        json[0]
    );
}

#[test]
fn silence_gives_null_loudness() {
    let dir = temp_dir("silence");
    let path = dir.join("silence.wav");
    write_wav(&path, &vec![0.0; 48_000 * 2 * 3], 48_000, 2, 16, false);
    let (json, _, ok) = analyze_json(&[&path]);
    assert!(ok);
    for key in LOUDNESS_KEYS {
        assert!(json[0][key].is_null(), "{key} is {}", json[0][key]);
    }
    assert!((num(&json[0], "duration_s") - 3.0).abs() < 1e-9);
}

#[test]
fn bad_files_get_one_line_errors_and_the_rest_is_analyzed() {
    let dir = temp_dir("errors");
    let good = dir.join("good.wav");
    write_wav(&good, &tone(-20.0, 3.0, 48_000, 2), 48_000, 2, 16, false);
    let text = dir.join("notes.wav");
    std::fs::write(&text, "this is not audio").unwrap();
    let truncated = dir.join("truncated.wav");
    write_wav(
        &truncated,
        &tone(-20.0, 3.0, 48_000, 2),
        48_000,
        2,
        16,
        false,
    );
    let bytes = std::fs::read(&truncated).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let missing = dir.join("missing.flac");

    let out = lathe()
        .arg("analyze")
        .arg("--json")
        .args([&text, &good, &truncated, &missing])
        .output()
        .unwrap();
    assert!(!out.status.success(), "exit status must be non-zero");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "one line per bad file:\n{stderr}");
    assert!(lines[0].contains("notes.wav"), "{}", lines[0]);
    assert!(
        lines[1].contains("truncated.wav") && lines[1].contains("truncated"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("missing.flac") && lines[2].contains("cannot open"),
        "{}",
        lines[2]
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert!(json[0]["file"].as_str().unwrap().ends_with("good.wav"));
}

#[test]
fn table_output() {
    let out = lathe()
        .arg("analyze")
        .arg(fixture("tone-23.flac"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("tone-23.flac"));
    assert!(text.contains("44100 Hz, 2 channels, 3.00 s"), "{text}");
    assert!(text.contains("Integrated loudness    -23.0 LUFS"), "{text}");
    assert!(text.contains("True peak              -23.0 dBTP"), "{text}");
}

#[test]
fn progress_bar_only_on_a_terminal() {
    let dir = temp_dir("progress");
    let long = dir.join("long.wav");
    write_wav(&long, &tone(-20.0, 12.0, 48_000, 2), 48_000, 2, 16, false);
    // Not a terminal: nothing on stderr.
    let out = lathe().arg("analyze").arg(&long).output().unwrap();
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A terminal (util-linux `script` gives the command a pseudo-terminal): a progress bar.
    let has_script = Command::new("script").arg("--version").output().is_ok();
    if !has_script {
        eprintln!("skipped the terminal half: `script` is not installed");
        return;
    }
    let typescript = dir.join("typescript");
    let cmd = format!("{} analyze {}", env!("CARGO_BIN_EXE_lathe"), long.display());
    let status = Command::new("script")
        .args(["-qec", &cmd])
        .arg(&typescript)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let seen = String::from_utf8_lossy(&std::fs::read(&typescript).unwrap()).into_owned();
    assert!(seen.contains("long.wav ["), "no progress bar in:\n{seen}");
    assert!(seen.contains("Integrated loudness"));
}

/// NaN and infinite samples are counted, located and read as silence: the figures are those of
/// the rest of the file (they were -inf), with a warning, exit status 0.
#[test]
fn nan_and_inf_samples_are_reported_and_read_as_silence() {
    let dir = temp_dir("non-finite");
    let clean = dir.join("clean.wav");
    let broken = dir.join("broken.wav");
    let sr = 48_000;
    let samples = tone(-20.0, 10.0, sr, 2);
    write_wav(&clean, &samples, sr, 2, 32, true);
    let mut bad = samples.clone();
    // Frame 72000 (1.5 s): NaN on the left; then Inf and -Inf a little later.
    bad[2 * 72_000] = f32::NAN;
    bad[2 * 96_000 + 1] = f32::INFINITY;
    bad[2 * 96_001] = f32::NEG_INFINITY;
    write_wav(&broken, &bad, sr, 2, 32, true);
    let json = |path: &Path| {
        let (v, stderr, ok) = analyze_json(&[path]);
        assert!(ok, "{stderr}");
        (v[0].clone(), stderr)
    };
    let (c, _) = json(&clean);
    let (b, warning) = json(&broken);
    assert_eq!(b["non_finite_samples"], 3);
    assert!(
        (b["first_non_finite_s"].as_f64().unwrap() - 1.5).abs() < 1e-9,
        "{b}"
    );
    assert_eq!(c["non_finite_samples"], 0);
    for key in ["integrated_lufs", "max_momentary_lufs", "true_peak_dbtp"] {
        let (x, y) = (c[key].as_f64().unwrap(), b[key].as_f64());
        let y = y.unwrap_or_else(|| panic!("{key} is not a number: {b}"));
        assert!((x - y).abs() < 0.05, "{key}: clean {x}, with NaN/Inf {y}");
    }
    assert!(
        warning.contains("3 NaN or infinite samples") && warning.contains("1.500 s"),
        "{warning}"
    );
    let table = lathe().arg("analyze").arg(&broken).output().unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("NaN/Inf samples") && !text.contains("-inf"),
        "{text}"
    );
    std::fs::remove_dir_all(dir).ok();
}

/// A directory given as a file says so, in every command.
#[test]
fn a_directory_is_named_as_one() {
    let dir = temp_dir("a-directory");
    for args in [
        vec!["analyze"],
        vec!["render", "limiter", "-o", "/tmp/never-written.wav"],
    ] {
        let out = lathe().args(&args).arg(&dir).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("is a directory"), "{args:?}: {stderr}");
    }
    std::fs::remove_dir_all(dir).ok();
}

/// The first frame whose left sample reaches a quarter of the file's peak.
fn onset(planar: &[Vec<f32>]) -> usize {
    let peak = planar[0].iter().fold(0.0f32, |m, x| m.max(x.abs()));
    planar[0]
        .iter()
        .position(|x| x.abs() >= 0.25 * peak)
        .unwrap()
}

#[test]
fn lossy_files_decode_gaplessly() {
    // The fixtures are one 3 s tone, encoded by ffmpeg: the MP3 carries its encoder delay and
    // padding in a LAME/Info header, the Ogg Vorbis stream in its granule positions, the AAC
    // and ALAC .m4a files in their MP4 edit lists. Decoded gaplessly each has the FLAC's length
    // and starts where it starts; before, the MP3 came out 1332 frames long and 1105 late.
    let flac = lathe_io::read_key(&fixture("tone-23.flac")).unwrap();
    assert_eq!(flac.planar[0].len(), 132_300);
    let start = onset(&flac.planar);
    for name in [
        "tone-23.mp3",
        "tone-23.ogg",
        "tone-23.m4a",
        "tone-23-alac.m4a",
    ] {
        let lossy = lathe_io::read_key(&fixture(name)).unwrap();
        assert_eq!(
            lossy.planar[0].len(),
            flac.planar[0].len(),
            "{name}: length"
        );
        let lag = onset(&lossy.planar) as i64 - start as i64;
        assert!(lag.abs() <= 8, "{name}: starts {lag} frames from the FLAC");
    }
}

#[test]
fn a_codec_without_a_decoder_is_named() {
    // An Ogg Opus file (ffmpeg, libopus): symphonia 0.5 has no Opus decoder. Before, the
    // message was "unsupported codec: unsupported feature: core (codec)".
    let (_, stderr, ok) = analyze_json(&[&fixture("tone-23.opus")]);
    assert!(!ok);
    assert!(
        stderr.contains("tone-23.opus: Opus audio is not supported")
            && stderr.contains("convert it to WAV or FLAC"),
        "{stderr}"
    );
}
