//! `lathe match`: the side-by-side report, JSON, plot and matched render, against coloured
//! noises whose spectra are known by construction; bad input gets a clear error.

use crate::common::temp_dir;
use lathe_dsp::analysis::reference::{GRID_POINTS, analyze_stereo, grid_hz, shaped_noise, smooth};
use std::path::Path;
use std::process::Command;

fn write_wav(path: &Path, planar: &[Vec<f32>], sr: u32, bits: u16) {
    let spec = hound::WavSpec {
        channels: planar.len() as u16,
        sample_rate: sr,
        bits_per_sample: bits,
        sample_format: if bits == 32 {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..planar[0].len() {
        for ch in planar {
            if bits == 32 {
                w.write_sample(ch[i]).unwrap();
            } else {
                w.write_sample((ch[i] * 32767.0).round() as i16).unwrap();
            }
        }
    }
    w.finalize().unwrap();
}

fn read_wav(path: &Path) -> (u32, Vec<Vec<f32>>) {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let x: Vec<f32> = r.samples::<f32>().map(|s| s.unwrap()).collect();
    let ch = spec.channels as usize;
    (
        spec.sample_rate,
        (0..ch)
            .map(|c| x.iter().skip(c).step_by(ch).copied().collect())
            .collect(),
    )
}

/// Writes [`noise`] at 48 kHz as a float WAV file.
fn write_noise(path: &Path, seconds: f64, seed: u64, rms: f64, shape: fn(f64) -> f64) {
    write_wav(path, &noise(seconds, 48_000, seed, rms, shape), 48_000, 32);
}

/// Stereo noise of a given shape (relative to pink), independent channels.
fn noise(seconds: f64, sr: u32, seed: u64, rms: f64, shape: fn(f64) -> f64) -> Vec<Vec<f32>> {
    let n = (seconds * sr as f64) as usize & !1;
    vec![
        shaped_noise(n, sr as f64, seed, rms, shape),
        shaped_noise(n, sr as f64, seed + 1000, rms, shape),
    ]
}

fn mix_shape(f: f64) -> f64 {
    -(f / 1000.0).log2()
}

fn reference_shape(f: f64) -> f64 {
    -6.0 / (1.0 + (f / 150.0).powi(2)) + 5.0 * (-((f / 3000.0).log2() / 0.8).powi(2)).exp()
}

fn lathe(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lathe"))
        .arg("match")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn json_report_and_matched_render_bring_the_mix_to_the_reference() {
    let dir = temp_dir("json");
    let (mix, reference, out, png) = (
        dir.join("mix.wav"),
        dir.join("ref.wav"),
        dir.join("matched.wav"),
        dir.join("plot.png"),
    );
    // Different rates and levels: 48 kHz float mix, 44.1 kHz 16-bit reference 12 dB louder.
    let mix_audio = noise(20.0, 48_000, 1, 0.03, mix_shape);
    write_wav(&mix, &mix_audio, 48_000, 32);
    write_wav(
        &reference,
        &noise(20.0, 44_100, 2, 0.12, reference_shape),
        44_100,
        16,
    );
    let o = lathe(&[
        mix.to_str().unwrap(),
        reference.to_str().unwrap(),
        "--json",
        "--plot",
        png.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--low",
        "20",
        "--high",
        "20000",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // stdout is the JSON alone; the matched file's line, with its true peak, is on stderr.
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains(&format!("Matched mix written to {}", out.display()))
            && stderr.contains("dBTP")
            && stderr.contains("32-bit float"),
        "{stderr}"
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for key in [
        "mix",
        "references",
        "grid_hz",
        "target_db",
        "correction_db",
        "tilt_difference_db_per_octave",
        "checks",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["grid_hz"].as_array().unwrap().len(), GRID_POINTS);
    assert_eq!(v["references"].as_array().unwrap().len(), 1);
    let mix_tilt = v["mix"]["tilt_db_per_octave"].as_f64().unwrap();
    assert!((mix_tilt + 1.0).abs() < 0.1, "{mix_tilt}");
    assert_eq!(v["mix"]["sample_rate_hz"].as_f64().unwrap(), 48_000.0);
    assert_eq!(
        v["references"][0]["sample_rate_hz"].as_f64().unwrap(),
        44_100.0
    );
    let lufs_diff = v["references"][0]["integrated_lufs"].as_f64().unwrap()
        - v["mix"]["integrated_lufs"].as_f64().unwrap();
    assert!(lufs_diff > 10.0, "{lufs_diff}");
    assert_eq!(v["mix"]["bands"].as_array().unwrap().len(), 10);
    let names: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Clipping") && names.contains(&"Mono compatibility"));
    // The PNG exists and is a PNG.
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert!(bytes.len() > 20_000);
    // The matched file lines up with the mix, as long, and has the reference's tone.
    let (sr, y) = read_wav(&out);
    assert_eq!(sr, 48_000);
    assert_eq!(y[0].len(), mix_audio[0].len());
    let skip = 8192; // the FIR's own start-up
    let matched = analyze_stereo(48_000.0, &y[0][skip..], &y[1][skip..]);
    let refs = {
        let r = noise(20.0, 44_100, 2, 0.12, reference_shape);
        analyze_stereo(44_100.0, &r[0], &r[1])
    };
    let before = analyze_stereo(48_000.0, &mix_audio[0], &mix_audio[1]);
    let (a, b, c) = (
        smooth(&matched.normalized_spectrum_db(), 3.0),
        smooth(&refs.normalized_spectrum_db(), 3.0),
        smooth(&before.normalized_spectrum_db(), 3.0),
    );
    let (mut worst, mut worst_before) = (0.0f32, 0.0f32);
    for i in 0..GRID_POINTS {
        if (40.0..=16_000.0).contains(&grid_hz(i)) {
            worst = worst.max((a[i] - b[i]).abs());
            worst_before = worst_before.max((c[i] - b[i]).abs());
        }
    }
    println!("1/3-octave distance to the reference: {worst_before:.2} dB before, {worst:.2} after");
    assert!(worst_before > 5.0);
    assert!(worst < 1.0, "{worst}");
    // Level compensation: the match keeps the mix's loudness.
    let dl = matched.loudness.integrated_lufs.unwrap() - before.loudness.integrated_lufs.unwrap();
    assert!(dl.abs() < 0.5, "{dl}");
}

#[test]
fn zero_amount_renders_the_mix_unchanged_and_aligned() {
    let dir = temp_dir("zero");
    let (mix, reference, out) = (dir.join("mix.wav"), dir.join("ref.wav"), dir.join("o.wav"));
    let audio = noise(3.0, 48_000, 5, 0.1, mix_shape);
    write_wav(&mix, &audio, 48_000, 32);
    write_noise(&reference, 3.0, 6, 0.1, reference_shape);
    for phase in ["linear", "minimum"] {
        let o = lathe(&[
            mix.to_str().unwrap(),
            reference.to_str().unwrap(),
            "--amount",
            "0",
            "--phase",
            phase,
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let (_, y) = read_wav(&out);
        let worst = y[0]
            .iter()
            .zip(&audio[0])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-5, "{phase}: {worst}");
    }
}

#[test]
fn several_references_are_averaged_and_the_table_shows_each() {
    let dir = temp_dir("multi");
    let mix = dir.join("mix.wav");
    write_noise(&mix, 5.0, 7, 0.1, |_| 0.0);
    let up = dir.join("bright.wav");
    // A long name (shortened in the middle) must not push its column out of line.
    let down = dir.join("dark-reference-from-the-label-master-folder-final-v2.wav");
    write_noise(&up, 5.0, 8, 0.1, |f| 2.0 * (f / 1000.0).log2());
    write_noise(&down, 5.0, 9, 0.1, |f| -2.0 * (f / 1000.0).log2());
    let o = lathe(&[
        mix.to_str().unwrap(),
        up.to_str().unwrap(),
        down.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    println!("{text}");
    for needle in [
        "mix",
        "reference 1",
        "reference 2",
        "mix.wav",
        "bright.wav",
        "dark-reference-fro...folder-final-v2.wav",
        "Integrated loudness",
        "level  crest  width",
        "match EQ",
        "correction",
        "Level: relative to the integrated loudness",
        "Master-ready checks",
    ] {
        assert!(text.contains(needle), "{needle}");
    }
    // Every row of each table ends at the same column.
    let lines: Vec<&str> = text.lines().collect();
    let summary: Vec<&str> = lines
        .iter()
        .take_while(|l| !l.is_empty())
        .copied()
        .collect();
    let bands: Vec<&str> = lines
        .iter()
        .skip_while(|l| !l.starts_with("Octave bands"))
        .take_while(|l| !l.is_empty())
        .copied()
        .collect();
    assert_eq!((summary.len(), bands.len()), (13, 13), "{text}");
    for table in [&summary, &bands] {
        let width = table[0].chars().count();
        for l in table.iter() {
            assert_eq!(l.chars().count(), width, "out of line: {l:?}");
        }
    }
    let j = lathe(&[
        mix.to_str().unwrap(),
        up.to_str().unwrap(),
        down.to_str().unwrap(),
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    let tilts: Vec<f64> = v["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["tilt_db_per_octave"].as_f64().unwrap())
        .collect();
    assert!(
        (tilts[0] - 2.0).abs() < 0.1 && (tilts[1] + 2.0).abs() < 0.1,
        "{tilts:?}"
    );
    // The target is the power average of the references' normalised spectra.
    let spectrum = |x: &serde_json::Value| -> Vec<f64> {
        x.as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap_or(f64::NAN))
            .collect()
    };
    let a = spectrum(&v["references"][0]["spectrum_db"]);
    let b = spectrum(&v["references"][1]["spectrum_db"]);
    let t = spectrum(&v["target_db"]);
    let mut checked = 0;
    for i in 0..GRID_POINTS {
        if a[i].is_finite() && b[i].is_finite() {
            let want = 10.0 * ((10f64.powf(a[i] / 10.0) + 10f64.powf(b[i] / 10.0)) / 2.0).log10();
            assert!(
                (t[i] - want).abs() < 0.01,
                "{}: {} vs {want}",
                grid_hz(i),
                t[i]
            );
            checked += 1;
        }
    }
    assert!(checked > 230);
}

#[test]
fn practical_checks_flag_clipping_headroom_and_phase() {
    let dir = temp_dir("checks");
    let reference = dir.join("ref.wav");
    write_noise(&reference, 3.0, 10, 0.1, |_| 0.0);
    let check = |name: &str, audio: &[Vec<f32>]| -> serde_json::Value {
        let p = dir.join(name);
        write_wav(&p, audio, 48_000, 32);
        let o = lathe(&[p.to_str().unwrap(), reference.to_str().unwrap(), "--json"]);
        assert!(o.status.success());
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["checks"].clone()
    };
    let status = |checks: &serde_json::Value, name: &str| -> String {
        checks
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // Peaks at -4.5 dBFS, independent channels: ready.
    let mut good = noise(3.0, 48_000, 11, 0.1, |_| 0.0);
    let peak = good.iter().flatten().fold(0.0f32, |m, x| m.max(x.abs()));
    let g = 10f32.powf(-4.5 / 20.0) / peak;
    good.iter_mut().flatten().for_each(|x| *x *= g);
    // Make the bass mono, as it should be.
    let c = check("good.wav", &good);
    assert_eq!(status(&c, "Headroom for mastering"), "pass");
    assert_eq!(status(&c, "Clipping"), "pass");
    // Clipped.
    let clipped: Vec<Vec<f32>> = good
        .iter()
        .map(|ch| ch.iter().map(|x| (x * 4.0).clamp(-1.0, 1.0)).collect())
        .collect();
    let c = check("clipped.wav", &clipped);
    assert_eq!(status(&c, "Clipping"), "warn");
    assert_eq!(status(&c, "Headroom for mastering"), "warn");
    // Right = -left: cancels in mono.
    let inverted = vec![good[0].clone(), good[0].iter().map(|x| -x).collect()];
    let c = check("inverted.wav", &inverted);
    assert_eq!(status(&c, "Mono compatibility"), "warn");
    let mono = vec![good[0].clone(), good[0].clone()];
    let c = check("mono.wav", &mono);
    assert_eq!(status(&c, "Mono compatibility"), "pass");
    let detail = |checks: &serde_json::Value, name: &str| -> String {
        checks
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()["detail"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // Independent noise: the worst bass octave is named with its value.
    let c = check("good.wav", &good);
    let d = detail(&c, "Mono compatibility");
    assert!(
        d.contains("lowest in the bass") && d.contains("octave"),
        "{d}"
    );
    // A 1 kHz tone in both channels, 0.01 % uncorrelated dust under it: the bass octaves hold
    // only the noise floor, whose correlation says nothing (this read "-0.05 at worst below
    // 180 Hz" and warned).
    let tone: Vec<f32> = (0..3 * 48_000)
        .map(|i| 0.3 * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 48_000.0).sin())
        .collect();
    let dust = noise(3.0, 48_000, 12, 1e-5, |_| 0.0);
    let toned: Vec<Vec<f32>> = dust
        .iter()
        .map(|d| d.iter().zip(&tone).map(|(a, b)| a + b).collect())
        .collect();
    let c = check("tone.wav", &toned);
    assert_eq!(status(&c, "Mono compatibility"), "pass");
    assert!(detail(&c, "Mono compatibility").contains("no bass below 180 Hz to check"));
}

#[test]
fn bad_files_and_options_get_clear_errors_and_write_nothing() {
    let dir = temp_dir("bad");
    let mix = dir.join("mix.wav");
    write_noise(&mix, 2.0, 12, 0.1, |_| 0.0);
    let corrupt = dir.join("corrupt.wav");
    std::fs::write(&corrupt, b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk").unwrap();
    let text = dir.join("notes.mp3");
    std::fs::write(&text, "not audio at all").unwrap();
    let out = dir.join("out.wav");
    for bad in [&corrupt, &text, &dir.join("missing.flac")] {
        let o = lathe(&[
            mix.to_str().unwrap(),
            bad.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        println!("{err}");
        assert!(
            err.contains(bad.file_name().unwrap().to_str().unwrap()),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(!out.exists(), "nothing written");
    }
    for args in [
        vec!["--amount", "150"],
        vec!["--smoothing", "0"],
        vec!["--limit", "20"],
        vec!["--low", "500", "--high", "100"],
    ] {
        let mut all = vec![mix.to_str().unwrap(), mix.to_str().unwrap()];
        all.extend(args.iter());
        let o = lathe(&all);
        assert!(!o.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("--"),
            "{args:?}"
        );
    }
    let o = lathe(&[
        mix.to_str().unwrap(),
        mix.to_str().unwrap(),
        "-o",
        dir.join("x.flac").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
}

/// A closed standard output (`lathe ... | head -1`) ends the text quietly: no panic, no
/// backtrace, and the files asked for are written all the same.
#[test]
fn a_closed_stdout_is_no_panic_and_loses_no_file() {
    use std::process::Stdio;

    let dir = temp_dir("closed-stdout");
    let (mix, reference, out, png) = (
        dir.join("mix.wav"),
        dir.join("ref.wav"),
        dir.join("matched.wav"),
        dir.join("plot.png"),
    );
    write_wav(&mix, &noise(3.0, 48_000, 1, 0.05, mix_shape), 48_000, 16);
    write_wav(
        &reference,
        &noise(3.0, 48_000, 7, 0.1, reference_shape),
        48_000,
        16,
    );
    let run = |args: &[&std::ffi::OsStr]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lathe"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Nobody reads: the pipe is closed before the first line is written.
        drop(child.stdout.take());
        child.wait_with_output().unwrap()
    };
    let analyze = run(&["analyze".as_ref(), mix.as_os_str(), reference.as_os_str()]);
    let stderr = String::from_utf8_lossy(&analyze.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(analyze.status.code(), Some(101), "{stderr}");
    let matched = run(&[
        "match".as_ref(),
        mix.as_os_str(),
        reference.as_os_str(),
        "--plot".as_ref(),
        png.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    let stderr = String::from_utf8_lossy(&matched.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(matched.status.success(), "{stderr}");
    assert!(png.exists(), "the plot was not written");
    assert!(out.exists(), "the matched file was not written");
    std::fs::remove_dir_all(dir).ok();
}

/// `--plot` into a folder that does not exist, or with a name that is not .png, is refused with a
/// sentence before any work, not with Rust debug text after it.
#[test]
fn a_plot_that_cannot_be_written_is_refused_with_a_sentence() {
    let dir = temp_dir("plot-path");
    let (mix, reference) = (dir.join("mix.wav"), dir.join("ref.wav"));
    write_wav(&mix, &noise(2.0, 48_000, 1, 0.05, mix_shape), 48_000, 16);
    write_wav(
        &reference,
        &noise(2.0, 48_000, 7, 0.1, reference_shape),
        48_000,
        16,
    );
    for (plot, says) in [
        (dir.join("missing").join("plot.png"), "does not exist"),
        (dir.join("plot.jpg"), ".png"),
    ] {
        let o = lathe(&[
            mix.to_str().unwrap(),
            reference.to_str().unwrap(),
            "--plot",
            plot.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
        assert!(
            !stderr.contains("Error(") && !stderr.contains("Os {"),
            "{stderr}"
        );
        assert!(o.stdout.is_empty(), "the report ran before the refusal");
    }
    std::fs::remove_dir_all(dir).ok();
}

/// `lathe analyze --json FILE`'s integrated loudness.
fn analyzed_lufs(path: &Path) -> f64 {
    let o = Command::new(env!("CARGO_BIN_EXE_lathe"))
        .args(["analyze", "--json"])
        .arg(path)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v[0]["integrated_lufs"].as_f64().unwrap()
}

#[test]
fn match_reads_mono_and_surround_as_analyze_does() {
    // Before, match fed every file to the analyzer as a left/right pair: a mono mix read 3 LU
    // louder than `lathe analyze` reads it (dual mono), and a 5.1 mix only its front pair.
    let dir = temp_dir("channels");
    let sr = 48_000;
    let reference = dir.join("ref.wav");
    write_wav(&reference, &noise(8.0, sr, 2, 0.1, reference_shape), sr, 32);
    let voice = shaped_noise(8 * sr as usize, sr as f64, 5, 0.05, mix_shape);
    let mono = dir.join("mono.wav");
    write_wav(&mono, std::slice::from_ref(&voice), sr, 32);
    let dual = dir.join("dual.wav");
    write_wav(&dual, &[voice.clone(), voice.clone()], sr, 32);
    // 5.1 (L R C LFE Ls Rs): the centre and surrounds carry most of the loudness.
    let other = |seed| shaped_noise(8 * sr as usize, sr as f64, seed, 0.08, mix_shape);
    let surround = dir.join("five-one.wav");
    write_wav(
        &surround,
        &[
            voice.clone(),
            voice.clone(),
            other(7),
            other(8),
            other(9),
            other(10),
        ],
        sr,
        32,
    );
    let report = |mix: &Path| -> serde_json::Value {
        let o = lathe(&[mix.to_str().unwrap(), reference.to_str().unwrap(), "--json"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let lufs = |v: &serde_json::Value| v["mix"]["integrated_lufs"].as_f64().unwrap();
    let mut corrections = Vec::new();
    for mix in [&mono, &dual, &surround] {
        let v = report(mix);
        let (got, analyzed) = (lufs(&v), analyzed_lufs(mix));
        assert!(
            (got - analyzed).abs() < 0.01,
            "{}: match reads {got:.2} LUFS, analyze {analyzed:.2}",
            mix.display()
        );
        corrections.push(v["correction_db"].clone());
    }
    // A mono mix plays as dual mono: its tone compares exactly as the dual-mono file's does,
    // although BS.1770 reads it 3.01 LU quieter.
    assert!((analyzed_lufs(&dual) - analyzed_lufs(&mono) - 3.01).abs() < 0.02);
    let (a, b) = (
        corrections[0].as_array().unwrap(),
        corrections[1].as_array().unwrap(),
    );
    for (x, y) in a.iter().zip(b) {
        assert!(
            (x.as_f64().unwrap() - y.as_f64().unwrap()).abs() < 0.02,
            "{x} vs {y}"
        );
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn the_plot_labels_every_octave_and_keeps_curves_and_legends_apart() {
    use lathe_cli::matching::{analyze_track, compare, design, octave_label, plot_layout};
    let dir = temp_dir("plot-layout");
    // A mix falling 6 dB per octave from the low end (its curve runs through the lower right,
    // where the legend used to sit) against two references.
    let mix = dir.join("falling-mix.wav");
    write_noise(&mix, 4.0, 21, 0.1, |f| -3.0 * (f / 100.0).log2());
    let refs = [dir.join("ref-a.wav"), dir.join("ref-b.wav")];
    for (i, r) in refs.iter().enumerate() {
        write_noise(r, 4.0, 22 + i as u64, 0.1, reference_shape);
    }
    let phase = lathe_dsp::analysis::match_eq::MatchPhase::Linear;
    let d = design(100.0, 3.0, 12.0, 30.0, 18_000.0, phase).unwrap();
    let tracks: Vec<_> = refs.iter().map(|r| analyze_track(r).unwrap()).collect();
    let report = compare(&analyze_track(&mix).unwrap(), &tracks, &d);
    let layout = plot_layout(&report, 3.0);

    // Every octave of the axis gets its nominal centre as a label.
    let whole = (layout.x_range.start.ceil() as i32)..=(layout.x_range.end.floor() as i32);
    let labels: Vec<String> = whole.map(|x| octave_label(x as f64)).collect();
    assert_eq!(
        labels,
        [
            "31.5", "63", "125", "250", "500", "1k", "2k", "4k", "8k", "16k"
        ]
    );
    assert_eq!(octave_label(0.5), "");
    // Every curve inside its frame, and no curve under either legend.
    let charts = [
        (
            vec![&layout.mix, &layout.target],
            layout.upper_range,
            layout.upper_corner,
        ),
        (
            vec![&layout.difference, &layout.correction],
            layout.lower_range,
            layout.lower_corner,
        ),
    ];
    for (curves, (lo, hi), corner) in charts {
        let ((fx0, fx1), (fy0, fy1)) = corner.region();
        let (x0, x1) = (layout.x_range.start, layout.x_range.end);
        for &(x, y) in curves.iter().flat_map(|c| c.iter()) {
            assert!(
                x >= x0 && x <= x1 && y > lo && y < hi,
                "({x}, {y}) outside {lo}..{hi}"
            );
            let (fx, fy) = ((x - x0) / (x1 - x0), (y - lo) / (hi - lo));
            assert!(
                !((fx0..=fx1).contains(&fx) && (fy0..=fy1).contains(&fy)),
                "a curve runs under the {corner:?} legend at ({x}, {y})"
            );
        }
        assert!(curves.iter().all(|c| !c.is_empty()));
    }
    // The legends name the files.
    assert_eq!(layout.mix_label, "mix: falling-mix.wav");
    assert_eq!(
        layout.target_label,
        "references, average of 2: ref-a.wav, ref-b.wav"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_failed_render_leaves_no_plot_behind() {
    // A 10-channel mix: analysed fine, but no plugin chain renders more than 8 channels, so
    // `-o` fails after the plot was drawn. Before, the new plot stayed; now the run leaves
    // nothing, and a plot already there stays as it was.
    let dir = temp_dir("late-failure");
    let mix = dir.join("mix.wav");
    let wide: Vec<Vec<f32>> = (0..10)
        .map(|c| shaped_noise(96_000, 48_000.0, 30 + c, 0.05, mix_shape))
        .collect();
    write_wav(&mix, &wide, 48_000, 32);
    let reference = dir.join("ref.wav");
    write_noise(&reference, 2.0, 7, 0.1, reference_shape);
    let (png, out) = (dir.join("plot.png"), dir.join("matched.wav"));
    let run = || {
        lathe(&[
            mix.to_str().unwrap(),
            reference.to_str().unwrap(),
            "--plot",
            png.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
    };
    let o = run();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("10 channels"), "{stderr}");
    assert!(!png.exists() && !out.exists());
    std::fs::write(&png, b"an older plot").unwrap();
    assert_eq!(run().status.code(), Some(1));
    assert_eq!(std::fs::read(&png).unwrap(), b"an older plot");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains("partial")), "{names:?}");
    std::fs::remove_dir_all(dir).ok();
}
