//! `lathe master` (issue #21, one mix without references): the delivered file lands within
//! +-0.1 LU of the target by Lathe's meter and by pyloudnorm (skipped when absent), its true
//! peak holds the ceiling after 44.1 kHz / 16-bit conversion, tags are where players read them
//! (and not in the RIFF INFO `ISRC` key), the same inputs give the same bytes, and bad input
//! is refused with nothing written.

use crate::common;

use common::{assert_ok, lathe, temp_dir, texts, write_wav};
use lathe_cli::master::{measure, validate_isrc, validate_upc};
use std::path::{Path, PathBuf};

/// A mix-like stereo signal at 48 kHz: pink-ish noise (decorrelated channels) with a bass line
/// and a quiet verse then a louder chorus, peaking well below full scale.
fn mix(seconds: f64) -> Vec<Vec<f32>> {
    let sr = 48_000.0;
    let n = (seconds * sr) as usize;
    let mut out = vec![vec![0.0f32; n]; 2];
    // Each channel its own noise generator and pink filter.
    for (channel, seed0) in out.iter_mut().zip([1u32, 7u32]) {
        let (mut seed, mut pink) = (seed0, [0.0f32; 3]);
        for (i, y) in channel.iter_mut().enumerate() {
            let t = i as f64 / sr;
            let section = if t < seconds / 2.0 { 0.5 } else { 1.0 };
            let bass = 0.08 * (std::f64::consts::TAU * 55.0 * t).sin() * section;
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let white = (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
            for (p, k) in pink.iter_mut().zip([0.02f32, 0.2, 0.9]) {
                *p += k * (white - *p);
            }
            let noise = 0.12 * (2.0 * pink[0] + pink[1] + 0.4 * pink[2]);
            *y = (noise as f64 * section + bass) as f32;
        }
    }
    out
}

/// [`mix`] with a loud 5 ms burst every half second (a drum-like crest factor: loudness
/// needs much peak limiting).
fn peaky_mix(seconds: f64) -> Vec<Vec<f32>> {
    let mut x = mix(seconds);
    for c in &mut x {
        for (i, s) in c.iter_mut().enumerate() {
            if i % 24_000 < 240 {
                *s += 0.8 * ((i % 24_000) as f32 * 0.3).sin();
            }
        }
    }
    x
}

/// A brighter, louder "commercial" reference at 44.1 kHz: white and pink noise, decorrelated.
fn bright_reference(seconds: f64) -> Vec<Vec<f32>> {
    let n = (seconds * 44_100.0) as usize;
    [3u32, 11u32]
        .map(|seed0| {
            let (mut seed, mut pink) = (seed0, 0.0f32);
            (0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    let white = (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
                    pink += 0.05 * (white - pink);
                    0.08 * white + 1.2 * pink
                })
                .collect()
        })
        .to_vec()
}

fn scratch(name: &str, seconds: f64) -> (PathBuf, PathBuf) {
    let dir = temp_dir(name);
    let input = dir.join("mix.wav");
    write_wav(&input, &mix(seconds), 48_000);
    (dir, input)
}

fn master(input: &Path, output: &Path, extra: &[&str]) -> std::process::Output {
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"master", &input, &"-o", &output];
    for e in extra {
        args.push(e);
    }
    lathe(&args)
}

/// Integrated loudness by pyloudnorm of one file, or of several played one after another
/// (an album), or why it could not be measured.
fn pyloudnorm_lufs(paths: &[&Path]) -> Result<f64, String> {
    let script = "import sys, numpy, soundfile, pyloudnorm\n\
                  parts = [soundfile.read(p) for p in sys.argv[1:]]\n\
                  x = numpy.concatenate([p[0] for p in parts])\n\
                  print(pyloudnorm.Meter(parts[0][1]).integrated_loudness(x))";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .args(paths)
        .output()
        .map_err(|e| format!("python3 not available ({e})"))?;
    if !out.status.success() {
        return Err(
            "pyloudnorm, soundfile or numpy not installed (pip install pyloudnorm soundfile)"
                .into(),
        );
    }
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|e| format!("pyloudnorm printed no number ({e})"))
}

#[test]
fn a_master_lands_on_the_target_and_holds_the_ceiling_after_44k1_16_bit() {
    let (dir, input) = scratch("target", 20.0);
    let peaky = dir.join("peaky.wav");
    write_wav(&peaky, &peaky_mix(20.0), 48_000);
    for (name, target, ceiling, extra) in [
        (
            "m.wav",
            "-14",
            "-1",
            vec!["--rate", "44100", "--bits", "16"],
        ),
        (
            "loud.flac",
            "-12",
            "-1",
            vec!["--rate", "44100", "--bits", "16"],
        ),
        (
            "hi.flac",
            "-16",
            "-2",
            vec!["--bits", "24", "--dither", "shaped"],
        ),
    ] {
        let output = dir.join(name);
        let mut args = vec!["--target", target, "--ceiling", ceiling];
        args.extend(extra);
        let mix = if name == "loud.flac" { &peaky } else { &input };
        let out = master(mix, &output, &args);
        assert_ok(&out);
        let file = lathe_io::read_key(&output).unwrap();
        let m = measure(&file.planar, file.sample_rate_hz);
        let (target, ceiling): (f64, f64) = (target.parse().unwrap(), ceiling.parse().unwrap());
        eprintln!(
            "{name}: {:.3} LUFS, {:.3} dBTP at {} Hz",
            m.integrated_lufs(),
            m.true_peak_dbtp(),
            file.sample_rate_hz
        );
        assert!(
            (m.integrated_lufs() - target).abs() <= 0.1,
            "{name}: {:.3} LUFS for a {target} target",
            m.integrated_lufs()
        );
        assert!(
            m.true_peak_dbtp() <= ceiling,
            "{name}: {:.3} dBTP over the {ceiling} ceiling",
            m.true_peak_dbtp()
        );
        match pyloudnorm_lufs(&[&output]) {
            Ok(lufs) => {
                eprintln!("{name}: pyloudnorm {lufs:.3} LUFS");
                assert!(
                    (lufs - target).abs() <= 0.1,
                    "{name}: pyloudnorm reads {lufs:.3}"
                );
            }
            Err(why) => eprintln!("skipped the pyloudnorm check: {why}"),
        }
        if name == "loud.flac" {
            let (_, stderr) = texts(&out);
            assert!(
                stderr.contains("of peak limiting"),
                "no warning for heavy limiting: {stderr}"
            );
        }
        if name != "hi.flac" {
            assert_eq!(file.sample_rate_hz, 44_100);
        }
    }
    // Out of reach: a warning with the figure, the file still written at the loudest it gets.
    let out = master(&input, &dir.join("max.wav"), &["--target", "-5"]);
    assert_ok(&out);
    let (_, stderr) = texts(&out);
    assert!(stderr.contains("out of reach"), "{stderr}");
    std::fs::remove_dir_all(dir).ok();
}

/// With a reference: the master's tone moves to the reference's (the match EQ's remaining
/// correction, as `lathe match` computes it, is small where the mix's was large), and
/// `--target reference` lands on the reference's loudness.
#[test]
fn a_master_with_a_reference_takes_its_tone_and_its_loudness() {
    use lathe_cli::matching::{analyze_track, compare, design};
    let (dir, input) = scratch("reference", 20.0);
    let reference = dir.join("ref.wav");
    write_wav(&reference, &bright_reference(20.0), 44_100);
    let (output, report) = (dir.join("m.wav"), dir.join("m.json"));
    let args = [
        "--reference",
        reference.to_str().unwrap(),
        "--target",
        "reference",
        "--rate",
        "44100",
        "--bits",
        "24",
        "--report",
        report.to_str().unwrap(),
    ];
    assert_ok(&master(&input, &output, &args));
    let design = design(100.0, 3.0, 12.0, 30.0, 18_000.0, Default::default()).unwrap();
    let r = analyze_track(&reference).unwrap();
    let worst = |file: &Path| {
        let track = analyze_track(file).unwrap();
        let c = compare(&track, std::slice::from_ref(&r), &design);
        c.grid_hz
            .iter()
            .zip(&c.correction_db)
            .filter(|(f, _)| (100.0..=16_000.0).contains(*f))
            .fold((0.0f32, 0.0f64), |m, (&f, v)| {
                if v.abs() > m.0 { (v.abs(), f) } else { m }
            })
    };
    let (before, after) = (worst(&input), worst(&output));
    eprintln!(
        "largest correction still wanted, 100 Hz-16 kHz (below, the mix's 55 Hz bass line is a tone no 1/3-octave EQ flattens): mix {before:?}, master {after:?}"
    );
    let (before, after) = (before.0, after.0);
    assert!(
        before > 3.0,
        "the test reference is too close to the mix ({before:.2} dB)"
    );
    assert!(
        after < 0.5,
        "the master is {after:.2} dB off the reference's tone"
    );
    let file = lathe_io::read_key(&output).unwrap();
    let got = measure(&file.planar, file.sample_rate_hz).integrated_lufs();
    let want = r.analysis.loudness.integrated_lufs.unwrap();
    assert!(
        (got - want).abs() <= 0.1,
        "{got:.3} LUFS, the reference is at {want:.3}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(
        json["correction"]["correction_db"]
            .as_array()
            .unwrap()
            .len()
            > 100
    );
    assert!(
        json["tonal_stage"]
            .as_str()
            .unwrap()
            .starts_with("matched to 1 reference")
    );
    // A reference target needs a reference; the amount is a percentage.
    for (bad, message) in [
        (
            vec!["--target", "reference"],
            "needs at least one --reference",
        ),
        (
            vec![
                "--reference",
                reference.to_str().unwrap(),
                "--amount",
                "150",
            ],
            "--amount",
        ),
    ] {
        let out = master(&input, &dir.join("x.wav"), &bad);
        assert_eq!(out.status.code(), Some(1));
        assert!(texts(&out).1.contains(message), "{}", texts(&out).1);
    }
    std::fs::remove_dir_all(dir).ok();
}

/// `--glue` runs the Bus Compressor's "Gentle Master" before the limiter: on a mix at a
/// mastering level it compresses (reported), the loudness still lands; on a very quiet mix it
/// says it did next to nothing.
#[test]
fn glue_compresses_a_mix_at_mastering_level_and_says_so_when_it_cannot() {
    let dir = temp_dir("glue");
    let loud: Vec<Vec<f32>> = mix(15.0)
        .into_iter()
        .map(|c| c.into_iter().map(|v| v * 8.0).collect())
        .collect();
    let (input, quiet) = (dir.join("loud.wav"), dir.join("quiet.wav"));
    write_wav(&input, &loud, 48_000);
    write_wav(&quiet, &mix(15.0), 48_000);
    let (output, report) = (dir.join("g.wav"), dir.join("g.json"));
    let out = master(
        &input,
        &output,
        &["--glue", "--report", report.to_str().unwrap()],
    );
    assert_ok(&out);
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["glue"]["preset"], "Gentle Master");
    let reduction = common::num(&r["glue"], "max_reduction_db");
    assert!(reduction > 0.1, "the glue reduced by {reduction} dB");
    assert!((common::num(&r["after"], "integrated_lufs") + 14.0).abs() <= 0.1);
    assert!(
        !texts(&out).1.contains("next to nothing"),
        "{}",
        texts(&out).1
    );
    let out = master(&quiet, &dir.join("q.wav"), &["--glue"]);
    assert_ok(&out);
    assert!(
        texts(&out).1.contains("next to nothing"),
        "{}",
        texts(&out).1
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn the_same_inputs_give_the_same_bytes_and_the_report_says_what_was_done() {
    let (dir, input) = scratch("determinism", 12.0);
    let (a, b, report) = (dir.join("a.wav"), dir.join("b.wav"), dir.join("r.json"));
    let args = ["--rate", "44100", "--bits", "16", "--report"];
    let mut first: Vec<&str> = args.to_vec();
    let report_arg = report.to_str().unwrap();
    first.push(report_arg);
    assert_ok(&master(&input, &a, &first));
    assert_ok(&master(&input, &b, &["--rate", "44100", "--bits", "16"]));
    let (x, y) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert!(x == y, "two runs wrote different bytes");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let after = &r["after"];
    assert!((common::num(after, "integrated_lufs") + 14.0).abs() <= 0.1);
    assert_eq!(r["tonal_stage"], "none: no reference given");
    assert_eq!(r["output_sha256"], hex_sha256(&x));
    assert!(common::num(&r["limiter"], "drive_db") > 0.0);
    std::fs::remove_dir_all(dir).ok();
}

/// SHA-256 of `bytes`, hex.
fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn tags_are_written_where_players_read_them() {
    use lofty::file::TaggedFileExt;
    use lofty::tag::{Accessor, ItemKey, TagType};
    let (dir, input) = scratch("tags", 11.0);
    let tags = [
        "--title",
        "Früh · \"Song\"",
        "--artist",
        "The Band",
        "--album-title",
        "First",
        "--isrc",
        "gb-aaa-26-00001",
        "--upc",
        "036000291452",
    ];
    for name in ["t.wav", "t.flac"] {
        let output = dir.join(name);
        let mut args = vec!["--bits", "16"];
        args.extend(tags);
        assert_ok(&master(&input, &output, &args));
        let file = lofty::read_from_path(&output).unwrap();
        let kinds: Vec<TagType> = file.tags().iter().map(|t| t.tag_type()).collect();
        let main = if name.ends_with(".wav") {
            assert!(kinds.contains(&TagType::RiffInfo), "{name}: {kinds:?}");
            file.tag(TagType::Id3v2).expect("an ID3v2 chunk")
        } else {
            file.tag(TagType::VorbisComments).expect("Vorbis comments")
        };
        assert_eq!(main.title().as_deref(), Some("Früh · \"Song\""), "{name}");
        assert_eq!(main.artist().as_deref(), Some("The Band"), "{name}");
        assert_eq!(main.album().as_deref(), Some("First"), "{name}");
        assert_eq!(
            main.get_string(&ItemKey::Isrc),
            Some("GBAAA2600001"),
            "{name}"
        );
        assert_eq!(
            main.get_string(&ItemKey::Barcode),
            Some("036000291452"),
            "{name}"
        );
        if name.ends_with(".wav") {
            // The RIFF INFO list carries the names but not the recording code: its `ISRC` key
            // means "source".
            let bytes = std::fs::read(&output).unwrap();
            let list = bytes.windows(4).position(|w| w == b"INFO").unwrap();
            let info = &bytes[list..(list + 80).min(bytes.len())];
            assert!(info.windows(4).any(|w| w == b"INAM"));
            assert!(
                !info.windows(4).any(|w| w == b"ISRC"),
                "RIFF INFO has an ISRC key"
            );
        }
    }
    std::fs::remove_dir_all(dir).ok();
}

/// A code validator.
type Validator = fn(&str) -> anyhow::Result<String>;

#[test]
fn isrc_and_upc_are_validated() {
    let good: [(Validator, &str, &str); 4] = [
        (validate_isrc, "US-S1Z-99-00001", "USS1Z9900001"),
        (validate_isrc, "uss1z9900001", "USS1Z9900001"),
        (validate_upc, "036000291452", "036000291452"),
        (validate_upc, "4006381333931", "4006381333931"),
    ];
    for (check, code, normal) in good {
        assert_eq!(check(code).unwrap(), normal);
    }
    // Short, a digit for a country letter, a letter in the year, a bad character; UPC check
    // digits off by one, one digit short, a letter, an EAN check digit off.
    let isrc = [
        "US-S1Z-99-0001",
        "1S-S1Z-99-00001",
        "US-S1Z-9A-00001",
        "US-S_Z-99-00001",
    ];
    let upc = [
        "036000291453",
        "400638133393",
        "03600029145x",
        "4006381333932",
    ];
    for bad in isrc {
        assert!(validate_isrc(bad).is_err(), "ISRC {bad} accepted");
    }
    for bad in upc {
        assert!(validate_upc(bad).is_err(), "UPC {bad} accepted");
    }
}

#[test]
fn bad_input_is_refused_and_nothing_is_written() {
    let (dir, input) = scratch("bad", 11.0);
    let silent = dir.join("silent.wav");
    write_wav(
        &silent,
        &[vec![0.0; 48_000 * 11], vec![0.0; 48_000 * 11]],
        48_000,
    );
    let output = dir.join("out.wav");
    let cases: Vec<(&Path, Vec<&str>, &str)> = vec![
        (&input, vec!["--isrc", "GB-AAA-26-0001"], "not an ISRC"),
        (&input, vec!["--upc", "036000291453"], "check digit"),
        (&input, vec!["--title", "a\u{7}b"], "control characters"),
        (&input, vec!["--target", "-3"], "--target"),
        (&input, vec!["--ceiling", "0.5"], "--ceiling"),
        (&input, vec!["--rate", "44000"], "--rate"),
        (&input, vec!["--limit", "31"], "--limit"),
        (&silent, vec![], "silent"),
    ];
    for (mix, args, message) in cases {
        let out = master(mix, &output, &args);
        let (_, stderr) = texts(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!output.exists(), "{args:?} wrote a file");
    }
    // A folder that takes no new file (even for root): refused with the output's name, at
    // once (the staged file is made before the mix is read).
    if cfg!(target_os = "linux") {
        let unwritable = Path::new("/proc/lathe-master-test.wav");
        let out = master(&input, unwritable, &[]);
        let (_, stderr) = texts(&out);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("cannot write /proc/lathe-master-test.wav"),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let flac = dir.join("out.flac");
    let out = master(&input, &flac, &["--bits", "32"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!flac.exists());
    // An existing output stays unless --force.
    std::fs::write(&output, b"keep me").unwrap();
    let out = master(&input, &output, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(texts(&out).1.contains("--force"));
    assert_eq!(std::fs::read(&output).unwrap(), b"keep me");
    assert_ok(&master(&input, &output, &["--force"]));
    assert_ne!(std::fs::read(&output).unwrap(), b"keep me");
    // No temporary files left behind.
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    std::fs::remove_dir_all(dir).ok();
}

/// The delivery resampler (rubato's FFT resampler, as `lathe master --rate 44100` uses it on a
/// 48 kHz mix): flat within 0.1 dB up to 20 kHz, and a tone resampled leaves nothing but
/// itself above -100 dB (images and aliases).
#[test]
fn the_delivery_resampler_is_flat_to_20_khz_and_clean() {
    let (from, to) = (48_000u32, 44_100u32);
    let tone = |freq: f64| {
        let x = common::sine(freq, 0.5, 3.0, from, 1);
        let y = lathe_io::KeyFile {
            sample_rate_hz: from,
            planar: x,
        }
        .at_rate(to)
        .unwrap();
        // One second from the middle: whole cycles of every test frequency.
        y[0][to as usize..2 * to as usize].to_vec()
    };
    let mut worst_flat = 0.0f64;
    for freq in [100.0, 1_000.0, 10_000.0, 16_000.0, 20_000.0] {
        let y = tone(freq);
        let db = 20.0 * (common::amplitude_at(&y, freq, to) / 0.5).log10();
        worst_flat = worst_flat.max(db.abs());
        assert!(db.abs() < 0.1, "{freq} Hz: {db:+.3} dB after resampling");
    }
    let mut worst_junk = f64::NEG_INFINITY;
    for freq in [1_000.0, 9_000.0, 19_000.0] {
        let y = tone(freq);
        // Fit the tone (amplitude and phase) and measure what is left.
        let w = std::f64::consts::TAU * freq / to as f64;
        let (mut re, mut im) = (0.0, 0.0);
        for (i, &v) in y.iter().enumerate() {
            re += v as f64 * (w * i as f64).cos();
            im += v as f64 * (w * i as f64).sin();
        }
        let (a, b) = (2.0 * re / y.len() as f64, 2.0 * im / y.len() as f64);
        let residual = y
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let fit = a * (w * i as f64).cos() + b * (w * i as f64).sin();
                (v as f64 - fit).powi(2)
            })
            .sum::<f64>()
            / y.len() as f64;
        let db = 10.0 * (residual / 0.125).log10();
        worst_junk = worst_junk.max(db);
        assert!(db < -100.0, "{freq} Hz: images and aliases at {db:.1} dB");
    }
    eprintln!("resampler: flat within {worst_flat:.4} dB, junk at {worst_junk:.1} dB");
}

/// `x` scaled by `gain`.
fn scaled(x: Vec<Vec<f32>>, gain: f32) -> Vec<Vec<f32>> {
    x.into_iter()
        .map(|c| c.into_iter().map(|v| v * gain).collect())
        .collect()
}

/// Album mode: one drive for every track, so a track 6 dB quieter than another stays about
/// that much quieter; the album as a whole lands on the target (Lathe's album gating and
/// pyloudnorm over the tracks in a row); every track holds the ceiling after 44.1 kHz /
/// 16-bit; ISRCs go to the tracks in order with their track numbers. Without `--album` the
/// same mixes are each mastered to the target on their own.
#[test]
fn an_album_lands_on_the_target_together_and_keeps_its_tracks_apart() {
    use lathe_dsp::LoudnessMeter;
    use lofty::file::TaggedFileExt;
    use lofty::tag::{Accessor, ItemKey, TagType};
    let dir = temp_dir("album");
    let mixes = [
        ("one.wav", mix(14.0)),
        ("two.wav", scaled(mix(12.0), 0.5)),
        ("three.wav", peaky_mix(13.0)),
    ];
    let mut paths = Vec::new();
    for (name, x) in &mixes {
        let p = dir.join(name);
        write_wav(&p, x, 48_000);
        paths.push(p);
    }
    let album_dir = dir.join("album");
    std::fs::create_dir(&album_dir).unwrap();
    let report = dir.join("album.json");
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"master"];
    for p in &paths {
        args.push(p);
    }
    let rest = [
        "--album",
        "--out-dir",
        album_dir.to_str().unwrap(),
        "--rate",
        "44100",
        "--bits",
        "16",
        "--isrc",
        "GB-AAA-26-00001",
        "--isrc",
        "GB-AAA-26-00002",
        "--isrc",
        "GB-AAA-26-00003",
        "--album-title",
        "First",
        "--report",
        report.to_str().unwrap(),
    ];
    for r in &rest {
        args.push(r);
    }
    assert_ok(&lathe(&args));
    let outputs: Vec<PathBuf> = mixes.iter().map(|(n, _)| album_dir.join(n)).collect();
    let files: Vec<lathe_io::KeyFile> = outputs
        .iter()
        .map(|p| lathe_io::read_key(p).unwrap())
        .collect();
    let meters: Vec<LoudnessMeter> = files
        .iter()
        .map(|f| {
            let mut m = LoudnessMeter::for_channels(f.sample_rate_hz as f64, 2);
            m.process(&[&f.planar[0], &f.planar[1]]);
            m
        })
        .collect();
    let album = LoudnessMeter::combined_report(&meters.iter().collect::<Vec<_>>());
    eprintln!("album: {:.3} LUFS", album.integrated_lufs);
    assert!((album.integrated_lufs + 14.0).abs() <= 0.1);
    match pyloudnorm_lufs(&outputs.iter().map(|p| p.as_path()).collect::<Vec<_>>()) {
        Ok(lufs) => {
            eprintln!("album by pyloudnorm (tracks in a row): {lufs:.3} LUFS");
            assert!((lufs + 14.0).abs() <= 0.1, "pyloudnorm: {lufs:.3} LUFS");
        }
        Err(why) => eprintln!("skipped the pyloudnorm check: {why}"),
    }
    for (f, m) in files.iter().zip(&meters) {
        assert_eq!(f.sample_rate_hz, 44_100);
        assert!(m.true_peak_dbtp() <= -1.0, "{:.3} dBTP", m.true_peak_dbtp());
    }
    // The quieter track keeps its distance (the limiter works a little harder on the loud
    // ones, so allow half a LU).
    let lufs = |x: &[Vec<f32>]| measure(x, 48_000).integrated_lufs();
    let mix_gap = lufs(&mixes[0].1) - lufs(&mixes[1].1);
    let master_gap = meters[0].integrated_lufs() - meters[1].integrated_lufs();
    eprintln!("gap between tracks one and two: mix {mix_gap:.2} LU, master {master_gap:.2} LU");
    assert!((master_gap - mix_gap).abs() <= 0.5);
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!((common::num(&r["album"]["after"], "integrated_lufs") + 14.0).abs() <= 0.1);
    let tracks = r["tracks"].as_array().unwrap();
    let drive = common::num(&tracks[0]["limiter"], "drive_db");
    for (i, (t, out)) in tracks.iter().zip(&outputs).enumerate() {
        assert_eq!(common::num(&t["limiter"], "drive_db"), drive, "one drive");
        let file = lofty::read_from_path(out).unwrap();
        let tag = file.tag(TagType::Id3v2).expect("an ID3v2 chunk");
        let isrc = format!("GBAAA260000{}", i + 1);
        assert_eq!(tag.get_string(&ItemKey::Isrc), Some(isrc.as_str()));
        assert_eq!(tag.track(), Some(i as u32 + 1));
        assert_eq!(tag.track_total(), Some(3));
        assert_eq!(tag.album().as_deref(), Some("First"));
        let stem = mixes[i].0.trim_end_matches(".wav");
        assert_eq!(
            tag.title().as_deref(),
            Some(stem),
            "title from the file name"
        );
    }
    // Each on its own: every track on the target.
    let own_dir = dir.join("own");
    std::fs::create_dir(&own_dir).unwrap();
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"master"];
    for p in &paths[..2] {
        args.push(p);
    }
    let rest = ["--out-dir", own_dir.to_str().unwrap(), "--format", "flac"];
    for r in &rest {
        args.push(r);
    }
    assert_ok(&lathe(&args));
    for (name, _) in &mixes[..2] {
        let out = own_dir.join(name.replace(".wav", ".flac"));
        let f = lathe_io::read_key(&out).unwrap();
        let got = measure(&f.planar, f.sample_rate_hz).integrated_lufs();
        assert!(
            (got + 14.0).abs() <= 0.1,
            "{name}: {got:.3} LUFS on its own"
        );
    }
    std::fs::remove_dir_all(dir).ok();
}

/// Album and several-mix mistakes are refused before anything is written.
#[test]
fn album_mistakes_are_refused_and_nothing_is_written() {
    let dir = temp_dir("album-bad");
    let (a, b) = (dir.join("a.wav"), dir.join("b.wav"));
    write_wav(&a, &mix(11.0), 48_000);
    write_wav(&b, &mix(11.0), 48_000);
    let out_dir = dir.join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let sub = dir.join("sub");
    std::fs::create_dir(&sub).unwrap();
    let twin = sub.join("a.wav");
    write_wav(&twin, &mix(11.0), 48_000);
    let od = out_dir.to_str().unwrap();
    let (a_s, b_s) = (a.to_str().unwrap(), b.to_str().unwrap());
    let album = [a_s, b_s, "--album", "--out-dir", od];
    let with = |extra: &[&'static str]| [&album[..], extra].concat();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (with(&["--isrc", "GB-AAA-26-00001"]), "one per mix"),
        (vec![a_s, "--album", "--out-dir", od], "at least two mixes"),
        (vec![a_s, b_s, "-o", "x.wav"], "--out-dir"),
        (
            vec![a_s, twin.to_str().unwrap(), "--out-dir", od],
            "rename one",
        ),
        (
            vec![a_s, b_s, "--out-dir", "/nonexistent/folder"],
            "not a folder",
        ),
        (
            with(&["--isrc", "GB-AAA-26-00001", "--isrc", "bad"]),
            "not an ISRC",
        ),
    ];
    for (args, message) in cases {
        let mut all: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"master"];
        for x in &args {
            all.push(x);
        }
        let out = lathe(&all);
        let (_, stderr) = texts(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        let written: Vec<_> = std::fs::read_dir(&out_dir).unwrap().collect();
        assert!(written.is_empty(), "{args:?} wrote {written:?}");
    }
    std::fs::remove_dir_all(dir).ok();
}

/// The width match: a wide mix against a narrower reference comes out narrower in the octave
/// bands from 125 Hz to 8 kHz, by the side-to-mid change the report shows (at most
/// `WIDTH_LIMIT_DB`), and the tonal match still holds; a mono mix stays mono and the report
/// says there is no width match.
#[test]
fn the_width_match_moves_the_side_toward_the_references() {
    use lathe_cli::master::{WIDEN_FROM_HZ, WIDTH_LIMIT_DB, width_gains_db};
    use lathe_cli::matching::analyze_track;
    let (dir, input) = scratch("width", 15.0);
    // The reference: a shared signal plus independent ones at 0.93 of its level in each
    // channel: side-to-mid ratio 0.3 (width 46 %), where the mix's is about 1 (100 %).
    let narrow: Vec<Vec<f32>> = {
        let x = bright_reference(16.0);
        let n = (15.0 * 44_100.0) as usize;
        let (c, d) = (&x[0], &x[1]);
        let k = 0.926;
        vec![
            (0..n).map(|i| 0.7 * (c[i] + k * d[i])).collect(),
            (0..n).map(|i| 0.7 * (c[i] + k * d[i + 44_100])).collect(),
        ]
    };
    let reference = dir.join("narrow.wav");
    write_wav(&reference, &narrow, 44_100);
    // Masters `mix` against the reference: the report.
    let mastered = |mix: &Path, output: &Path| -> serde_json::Value {
        let report = output.with_extension("json");
        let args = [
            "--reference",
            reference.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ];
        assert_ok(&master(mix, output, &args));
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap()
    };
    let output = dir.join("w.wav");
    let r = mastered(&input, &output);
    let (m, rf, o) = (
        analyze_track(&input).unwrap(),
        analyze_track(&reference).unwrap(),
        analyze_track(&output).unwrap(),
    );
    let width = &r["correction"]["width"];
    let list = |key: &str| -> Vec<f64> {
        width[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect()
    };
    let (mids, sides) = (list("mid_gain_db"), list("side_gain_db"));
    let change: Vec<f64> = sides.iter().zip(&mids).map(|(s, m)| s - m).collect();
    for band in 0..change.len() {
        let (wm, wr, wo) = (
            m.analysis.bands[band].width_pct,
            rf.analysis.bands[band].width_pct,
            o.analysis.bands[band].width_pct,
        );
        let centre = m.analysis.bands[band].centre_hz;
        let g = change[band];
        eprintln!(
            "{centre:>6} Hz: mix {wm:5.1} %, reference {wr:5.1} %, master {wo:5.1} %, \
             side-to-mid {g:+.2} dB (mid {:+.2}, side {:+.2})",
            mids[band], sides[band]
        );
        assert!(g.abs() <= WIDTH_LIMIT_DB + 1e-9);
        let wanted = if centre < WIDEN_FROM_HZ {
            wr.min(wm)
        } else {
            wr
        };
        let (mid, side) = width_gains_db(wm, wanted, 1.0);
        assert!((mid - mids[band]).abs() < 0.05 && (side - sides[band]).abs() < 0.05);
        if !(125.0..=8_000.0).contains(&centre) {
            continue;
        }
        assert!(
            wo < wm - 5.0 && wo > wr - 5.0,
            "{centre} Hz: {wm} -> {wo} (ref {wr})"
        );
        // Where the neighbours' changes agree (the curve is flat across the band), the width
        // the change should give.
        let flat = [band - 1, band + 1]
            .iter()
            .all(|&b| b >= change.len() || (change[b] - g).abs() < 0.5);
        if flat {
            let ratio = wm / (200.0 - wm) * 10f64.powf(g / 10.0);
            let expected = 200.0 * ratio / (1.0 + ratio);
            assert!(
                (wo - expected).abs() < 5.0,
                "{centre} Hz: {wo:.1} %, expected {expected:.1} %"
            );
        }
    }
    assert!(r["tonal_stage"].as_str().unwrap().contains("width matched"));
    // A mono mix: mono out, no width match.
    let mono = dir.join("mono.wav");
    write_wav(&mono, &mix(12.0)[..1], 48_000);
    let mono_out = dir.join("mono-m.wav");
    let r = mastered(&mono, &mono_out);
    assert_eq!(lathe_io::read_key(&mono_out).unwrap().planar.len(), 1);
    assert!(
        r["tonal_stage"]
            .as_str()
            .unwrap()
            .contains("the mix is mono")
    );
    assert!(r["correction"]["width"].is_null());
    std::fs::remove_dir_all(dir).ok();
}

/// The width of a PNG, from its IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

/// `--plot` draws the spectra and the loudness over time, for one mix with a reference and
/// for an album without one.
#[test]
fn plot_draws_spectra_and_loudness_over_time() {
    let (dir, input) = scratch("plot", 12.0);
    let reference = dir.join("ref.wav");
    write_wav(&reference, &bright_reference(12.0), 44_100);
    let plot = dir.join("p.png");
    let (r, p) = (reference.to_str().unwrap(), plot.to_str().unwrap());
    let args = ["--reference", r, "--plot", p];
    assert_ok(&master(&input, &dir.join("m.wav"), &args));
    assert_eq!(png_size(&plot), (1200, 820));
    let second = dir.join("second.wav");
    write_wav(&second, &scaled(mix(11.0), 0.7), 48_000);
    let out_dir = dir.join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let album_plot = dir.join("album.png");
    let out = lathe(&[
        &"master",
        &input,
        &second,
        &"--album",
        &"--out-dir",
        &out_dir,
        &"--plot",
        &album_plot,
    ]);
    assert_ok(&out);
    assert_eq!(png_size(&album_plot), (1200, 820));
    // A plot named anything but .png is refused before the work starts.
    let out = master(&input, &dir.join("n.wav"), &["--plot", "p.jpg"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!dir.join("n.wav").exists());
    std::fs::remove_dir_all(dir).ok();
}
