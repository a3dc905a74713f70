//! `lathe render limiter|channel-strip`: the file comes out exactly as the plugin's chain makes
//! it, lined up with the input and as long; values parse as the plugin parses them; failures
//! lose nothing.

use crate::common;

use common::{
    assert_ok, read_wav, render_cli, scratch, scratch_with, set_args, temp_dir, write_wav,
};
use lathe_cli::render::{self, OutputBits, OutputFormat};
use lathe_dsp::chains::limiter::{LimiterSettings, Oversampling};
use lathe_dsp::chains::{ChainSettings, Core};
use lathe_dsp::color::dither::DitherDepth;
use lathe_dsp::{Block, IoSettings, PluginChain};
use std::f64::consts::PI;
use std::path::Path;
use std::process::Command;

/// Planar stereo programme: a 220 Hz tone with bursts, peaks well above 0 dBFS after drive.
fn programme(seconds: f64, sr: u32, channels: usize) -> Vec<Vec<f32>> {
    let n = (seconds * sr as f64) as usize;
    (0..channels)
        .map(|c| {
            (0..n)
                .map(|i| {
                    let t = i as f64 / sr as f64;
                    let burst = if (t * 2.0).fract() < 0.1 { 0.6 } else { 0.0 };
                    (0.3 * (2.0 * PI * (220.0 + 30.0 * c as f64) * t).sin()
                        + burst * (2.0 * PI * 3000.0 * t).sin()) as f32
                })
                .collect()
        })
        .collect()
}

/// The chain run directly, latency-compensated, with explicitly built settings.
fn reference<C: Core>(
    planar: &[Vec<f32>],
    sr: u32,
    s: &ChainSettings<C::Settings>,
) -> Vec<Vec<f32>> {
    let mut chain = PluginChain::<C>::new(planar.len(), sr as f64);
    chain.set_settings(s);
    let latency = chain.latency() as usize;
    let mut data: Vec<Vec<f32>> = planar
        .iter()
        .map(|c| {
            let mut v = c.clone();
            v.resize(c.len() + latency, 0.0);
            v
        })
        .collect();
    let n = data[0].len();
    for start in (0..n).step_by(1024) {
        let end = (start + 1024).min(n);
        let mut parts: Vec<&mut [f32]> = data.iter_mut().map(|c| &mut c[start..end]).collect();
        chain.process(&mut parts);
    }
    data.into_iter().map(|c| c[latency..].to_vec()).collect()
}

/// No render's temporary file (`.NAME.partial`) is left in `dir`.
fn assert_no_partial_file(dir: &Path) {
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "partial files left: {leftovers:?}");
}

fn sets(pairs: &[&str]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|p| render::parse_assignment(p).unwrap())
        .collect()
}

/// The error a limiter render of `input` to `output` with these `--set`s fails with.
fn limiter_error(input: &Path, output: &Path, assignments: &[&str]) -> anyhow::Error {
    render::render::<render::Limiter>(
        input,
        output,
        &sets(assignments),
        OutputFormat::FLOAT32,
        |_| {},
    )
    .unwrap_err()
}

#[test]
fn render_is_the_plugin_chain_with_the_parsed_settings() {
    let (dir, input, output) = scratch("identity");
    let x = programme(3.0, 44_100, 2);
    write_wav(&input, &x, 44_100);
    let summary = render::render::<render::Limiter>(
        &input,
        &output,
        &sets(&[
            "input_gain=8",
            "ceiling=-1.5 dB",
            "oversampling=8x",
            "release=80",
            "link=50",
            "soft_clip=On",
            "dither=16 bit",
            "noise_shaping=on",
        ]),
        OutputFormat::FLOAT32,
        |_| {},
    )
    .unwrap();
    let expected = reference::<lathe_dsp::chains::limiter::LimiterCore>(
        &x,
        44_100,
        &ChainSettings {
            io: IoSettings {
                input_gain_db: 8.0,
                ..IoSettings::default()
            },
            core: LimiterSettings {
                ceiling_db: -1.5,
                oversampling: Oversampling::X8,
                release_ms: 80.0,
                link: 0.5,
                soft_clip: true,
                dither: DitherDepth::Bits16,
                noise_shaping: true,
                ..LimiterSettings::default()
            },
        },
    );
    let (spec, y) = read_wav(&output);
    assert_eq!(spec.sample_format, hound::SampleFormat::Float);
    assert_eq!(spec.sample_rate, 44_100);
    assert_eq!(summary.frames as usize, x[0].len());
    assert_eq!(y[0].len(), x[0].len(), "same length as the input");
    assert_eq!(y, expected, "bit-identical to the chain");
    assert!(
        summary.true_peak_dbtp <= -1.5 + 0.005,
        "{}",
        summary.true_peak_dbtp
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn output_lines_up_with_the_input() {
    // Below the ceiling the limiter is a delay: the compensated render equals the input.
    let (dir, input, output) = scratch("align");
    // Band-limited content (two tones), 6 dB under the ceiling.
    let x: Vec<Vec<f32>> = vec![
        (0..48_000)
            .map(|i| {
                let t = i as f64 / 48_000.0;
                (0.25 * (2.0 * PI * 220.0 * t).sin() + 0.2 * (2.0 * PI * 3000.0 * t).sin()) as f32
            })
            .collect(),
    ];
    write_wav(&input, &x, 48_000);
    for os in ["1x", "4x", "16x"] {
        let s = sets(&[&format!("oversampling={os}"), "lookahead=5"]);
        render::render::<render::Limiter>(&input, &output, &s, OutputFormat::FLOAT32, |_| {})
            .unwrap();
        let (_, y) = read_wav(&output);
        assert_eq!(y[0].len(), x[0].len());
        let err = (200..x[0].len() - 200)
            .map(|i| (y[0][i] - x[0][i]).abs())
            .fold(0.0f32, f32::max);
        assert!(err < 1e-4, "{os}: misaligned by error {err}");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn integer_output_formats() {
    let (dir, input, _) = scratch_with("bits", &programme(0.5, 48_000, 2), 48_000);
    for (bits, expected) in [(16u16, 16u16), (24, 24)] {
        let output = dir.join(format!("out{bits}.wav"));
        render::render::<render::Limiter>(
            &input,
            &output,
            &[],
            OutputBits::from_bits(bits).unwrap().into(),
            |_| {},
        )
        .unwrap();
        let (spec, y) = read_wav(&output);
        assert_eq!(spec.bits_per_sample, expected);
        assert_eq!(spec.sample_format, hound::SampleFormat::Int);
        assert!(y[0].iter().any(|&v| v != 0.0));
    }
    assert!(OutputBits::from_bits(12).is_err());
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn bad_input_loses_nothing() {
    let dir = temp_dir("errors");
    let output = dir.join("out.wav");
    std::fs::write(&output, b"precious").unwrap();
    let corrupt = dir.join("corrupt.wav");
    std::fs::write(&corrupt, b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk").unwrap();
    let err =
        render::render::<render::Limiter>(&corrupt, &output, &[], OutputFormat::FLOAT32, |_| {})
            .unwrap_err();
    assert!(
        format!("{err:#}").contains("cannot read") || format!("{err:#}").contains("unsupported"),
        "{err:#}"
    );
    assert_eq!(
        std::fs::read(&output).unwrap(),
        b"precious",
        "existing output kept"
    );
    assert_no_partial_file(&dir);

    let input = dir.join("in.wav");
    write_wav(&input, &programme(0.2, 48_000, 2), 48_000);
    let e = render::render::<render::Limiter>(&input, &input, &[], OutputFormat::FLOAT32, |_| {})
        .unwrap_err();
    assert!(e.to_string().contains("overwrite the input"), "{e}");
    let e = limiter_error(&input, &output, &["celing=-1"]);
    assert!(
        e.to_string().contains("unknown parameter 'celing'") && e.to_string().contains("ceiling")
    );
    let e = limiter_error(&input, &output, &["ceiling=loud"]);
    assert!(
        e.to_string().contains("cannot read 'loud' as ceiling"),
        "{e}"
    );
    assert!(render::parse_assignment("ceiling").is_err());
    assert_eq!(std::fs::read(&output).unwrap(), b"precious");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn binary_renders_and_reports() {
    let (dir, input, output) = scratch_with("binary", &programme(0.5, 48_000, 2), 48_000);
    let extra = set_args(&["input_gain=6", "ceiling=-1"]);
    let out = render_cli(
        "limiter",
        &input,
        &output,
        &[&extra[..], &["--bits", "24"]].concat(),
    );
    assert_ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("latency") && stdout.contains("dBTP"),
        "{stdout}"
    );
    let (spec, _) = read_wav(&output);
    assert_eq!(spec.bits_per_sample, 24);
    let out = Command::new(env!("CARGO_BIN_EXE_lathe"))
        .args(["render", "limiter", "--list"])
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&out.stdout);
    for id in [
        "input_gain",
        "ceiling",
        "release",
        "lookahead",
        "oversampling",
        "dither",
    ] {
        assert!(listing.contains(id), "{listing}");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn channel_strip_render_is_the_chain_with_the_parsed_settings() {
    use lathe_dsp::chains::channel_strip::{ChannelStripCore, ChannelStripSettings, ModuleOrder};
    use lathe_dsp::color::saturator::{Character, SaturatorOversampling};
    use lathe_dsp::dynamics::Detection;
    use lathe_dsp::filters::design::Slope;
    let (dir, input, output) = scratch("strip");
    let x = programme(2.0, 48_000, 2);
    write_wav(&input, &x, 48_000);
    let assignments = sets(&[
        "hp_on=on",
        "hp_freq=100 Hz",
        // Choices also match without their capitalisation or unit.
        "hp_slope=24",
        "eq_mid_freq=2.5k",
        "eq_mid_gain=+4 dB",
        "eq_mid_q=2",
        "eq_high_gain=-3",
        "comp_on=on",
        "comp_threshold=-20",
        "comp_ratio=4:1",
        "comp_detection=RMS",
        "comp_sc_hpf=80 Hz",
        "gate_on=on",
        "gate_key_lpf=off",
        "sat_on=on",
        "sat_character=tube",
        "sat_oversampling=2X",
        "pan=30 L",
        "width=120",
        "order=Dynamics > EQ",
    ]);
    let summary = render::render::<render::ChannelStrip>(
        &input,
        &output,
        &assignments,
        OutputFormat::FLOAT32,
        |_| {},
    )
    .unwrap();
    // The values were read as meant (frequencies, Q, times and ratio are stored as logarithms,
    // so they come back within float rounding).
    let params = lathe_params::channel_strip::ChannelStripParams::default();
    render::apply_assignments(&params, &assignments).unwrap();
    let s = params.strip_settings();
    let near = |a: f32, b: f32| (a - b).abs() <= 1e-4 * b.abs().max(1.0);
    let d = ChannelStripSettings::default();
    assert!(s.highpass.enabled && s.highpass.slope == Slope::Db24);
    assert!(near(s.highpass.freq_hz, 100.0));
    assert!(near(s.eq.bands[2].freq_hz, 2500.0) && near(s.eq.bands[2].q, 2.0));
    assert!(near(s.eq.bands[2].gain_db, 4.0) && near(s.eq.bands[4].gain_db, -3.0));
    assert!(
        near(s.eq.bands[1].freq_hz, d.eq.bands[1].freq_hz),
        "defaults survive"
    );
    assert!(s.compressor_enabled && s.compressor.detection == Detection::Rms);
    assert!(near(s.compressor.threshold_db, -20.0) && near(s.compressor.ratio, 4.0));
    assert!(near(s.compressor.sidechain_hpf_hz, 80.0));
    assert!(near(s.compressor.attack_ms, d.compressor.attack_ms));
    assert!(s.gate_enabled && s.gate.key_lpf_hz == 0.0 && s.gate.key_hpf_hz == 0.0);
    assert!(s.saturator_enabled && s.saturator.character == Character::Tube);
    assert_eq!(s.saturator.oversampling, SaturatorOversampling::X2);
    assert!(near(s.stereo.pan, -0.3) && near(s.stereo.width, 1.2));
    assert_eq!(s.order, ModuleOrder::DynamicsFirst);
    // And the file is exactly the chain with those settings.
    let settings = ChainSettings {
        io: IoSettings::default(),
        core: s,
    };
    let expected = reference::<ChannelStripCore>(&x, 48_000, &settings);
    let (_, y) = read_wav(&output);
    let mut chain = PluginChain::<ChannelStripCore>::new(2, 48_000.0);
    chain.set_settings(&settings);
    assert_eq!(summary.latency_samples, chain.latency());
    assert!(summary.latency_samples > 0, "2x saturation has latency");
    assert_eq!(y[0].len(), x[0].len(), "same length as the input");
    let first_difference = y
        .iter()
        .zip(&expected)
        .flat_map(|(a, b)| a.iter().zip(b.iter()))
        .position(|(a, b)| a.to_bits() != b.to_bits());
    assert_eq!(first_difference, None, "bit-identical to the chain");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn channel_strip_presets_survive_the_parameters() {
    // Every preset's settings, written into the parameters as the editor writes them, read
    // back as the same settings: no value is out of range or lost in the mapping.
    use lathe_params::channel_strip::{ChannelStripParams, PRESETS, targets};
    for preset in PRESETS {
        let params = ChannelStripParams::default();
        let want = (preset.settings)();
        lathe_params::preset::apply_without_host(&targets(&params, &want));
        let got = params.strip_settings();
        let close = |a: f32, b: f32| (a - b).abs() <= 1e-3 * a.abs().max(1.0);
        assert_eq!(got.highpass.slope, want.highpass.slope, "{}", preset.name);
        assert_eq!(
            got.highpass.enabled, want.highpass.enabled,
            "{}",
            preset.name
        );
        assert!(
            close(got.highpass.freq_hz, want.highpass.freq_hz),
            "{}",
            preset.name
        );
        for (g, w) in got.eq.bands.iter().zip(&want.eq.bands) {
            assert!(
                close(g.freq_hz, w.freq_hz) && close(g.gain_db, w.gain_db) && close(g.q, w.q),
                "{}: {g:?} != {w:?}",
                preset.name
            );
        }
        assert_eq!(got.compressor_enabled, want.compressor_enabled);
        assert_eq!(got.compressor.detection, want.compressor.detection);
        for (g, w) in [
            (got.compressor.threshold_db, want.compressor.threshold_db),
            (got.compressor.ratio, want.compressor.ratio),
            (got.compressor.attack_ms, want.compressor.attack_ms),
            (got.compressor.release_ms, want.compressor.release_ms),
            (got.compressor.mix, want.compressor.mix),
            (
                got.compressor.sidechain_hpf_hz,
                want.compressor.sidechain_hpf_hz,
            ),
            (got.gate.threshold_db, want.gate.threshold_db),
            (got.gate.key_hpf_hz, want.gate.key_hpf_hz),
            (got.gate.key_lpf_hz, want.gate.key_lpf_hz),
            (got.gate.hold_ms, want.gate.hold_ms),
            (got.deesser.freq_hz, want.deesser.freq_hz),
            (got.saturator.drive_db, want.saturator.drive_db),
            (got.saturator.mix, want.saturator.mix),
            (got.stereo.width, want.stereo.width),
        ] {
            assert!(close(g, w), "{}: {g} != {w}", preset.name);
        }
        assert_eq!(got.saturator.character, want.saturator.character);
        assert_eq!(got.saturator_enabled, want.saturator_enabled);
        assert_eq!(got.gate_enabled, want.gate_enabled);
        assert_eq!(got.deesser_enabled, want.deesser_enabled);
        assert!(preset.is_active(&params), "{} reads as active", preset.name);
        let others = PRESETS.iter().filter(|p| p.is_active(&params)).count();
        assert_eq!(others, 1, "{} is the only active preset", preset.name);
    }
}

#[test]
fn bus_compressor_renders_keyed_by_a_sidechain_file() {
    use lathe_dsp::chains::bus_compressor::BusCompressorCore;
    let (dir, input, output) = scratch("keyed");
    let (key_same, key_other) = (dir.join("key48.wav"), dir.join("key44.wav"));
    // A steady tone under the threshold; the key is loud for its first second only.
    let n = 5 * 48_000;
    let tone: Vec<f32> = (0..n)
        .map(|i| (0.05 * (2.0 * PI * 300.0 * i as f64 / 48_000.0).sin()) as f32)
        .collect();
    write_wav(&input, &[tone.clone(), tone.clone()], 48_000);
    let burst = |sr: u32, seconds: f64| -> Vec<f32> {
        (0..(seconds * sr as f64) as usize)
            .map(|i| (0.9 * (2.0 * PI * 100.0 * i as f64 / sr as f64).sin()) as f32)
            .collect()
    };
    write_wav(&key_same, &[burst(48_000, 1.0)], 48_000);
    write_wav(&key_other, &[burst(44_100, 1.0)], 44_100);
    let sets_keyed = sets(&["sc_source=External", "threshold=-30", "ratio=4"]);
    render::render_keyed::<render::BusCompressor>(
        &input,
        &output,
        Some(&key_same),
        &sets_keyed,
        OutputFormat::FLOAT32,
        |_| {},
    )
    .unwrap();
    let (_, y) = read_wav(&output);
    // The same chain fed the key by hand, padded with silence after its end.
    let params = lathe_params::bus_compressor::BusCompressorParams::default();
    render::apply_assignments(&params, &sets_keyed).unwrap();
    let mut chain = PluginChain::<BusCompressorCore>::new(2, 48_000.0);
    chain.set_settings(&params.settings());
    let key = burst(48_000, 1.0);
    let (mut l, mut r) = (tone.clone(), tone.clone());
    for start in (0..n).step_by(1024) {
        let end = (start + 1024).min(n);
        let k: Vec<f32> = (start..end)
            .map(|i| key.get(i).copied().unwrap_or(0.0))
            .collect();
        chain.process_with_sidechain(&mut [&mut l[start..end], &mut r[start..end]], Some(&[&k]));
    }
    assert!(
        y[0] == l && y[1] == r,
        "bit-identical to the chain keyed by hand"
    );
    // The key ducked the quiet tone while it played, and the tone came back after it.
    let peak = |v: &[f32]| v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    assert!(
        peak(&y[0][24_000..48_000]) < 0.5 * 0.05,
        "ducked under the key"
    );
    // After the key ends the reduction releases (200 ms) to exactly nothing.
    let after = 4 * 48_000 + 24_000;
    assert!(y[0][after..] == tone[after..], "untouched once released");
    // A key at another rate is resampled, and ducks just the same.
    render::render_keyed::<render::BusCompressor>(
        &input,
        &output,
        Some(&key_other),
        &sets_keyed,
        OutputFormat::FLOAT32,
        |_| {},
    )
    .unwrap();
    let (_, y2) = read_wav(&output);
    assert!(peak(&y2[0][24_000..48_000]) < 0.5 * 0.05);
    assert!(y2[0][after..] == tone[after..]);
    // Through the binary: --sidechain selects the external key; other plugins refuse it.
    let key = key_other.to_str().unwrap();
    let extra = ["--sidechain", key, "--set", "threshold=-30"];
    let out = render_cli("bus-compressor", &input, &output, &extra);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, y3) = read_wav(&output);
    assert!(
        peak(&y3[0][24_000..48_000]) < 0.6 * 0.05,
        "keyed through the binary"
    );
    let out = render_cli("limiter", &input, &dir.join("x.wav"), &["--sidechain", key]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bus-compressor only"));
    // An unreadable key is a clear error and writes nothing.
    std::fs::write(dir.join("bad.wav"), b"not audio").unwrap();
    let err = render::render_keyed::<render::BusCompressor>(
        &input,
        &dir.join("never.wav"),
        Some(&dir.join("bad.wav")),
        &sets_keyed,
        OutputFormat::FLOAT32,
        |_| {},
    )
    .unwrap_err();
    assert!(format!("{err:#}").contains("sidechain"), "{err:#}");
    assert!(!dir.join("never.wav").exists());
    std::fs::remove_dir_all(dir).ok();
}

/// `--set` never clamps or ignores a value: switches take on/off, true/false, yes/no and 1/0 in
/// any case, anything else is refused naming them; numbers outside the range are refused with
/// the range; a choice that is not on the list is refused with the whole list.
#[test]
fn set_values_are_read_or_refused_never_clamped() {
    use lathe_params::channel_strip::ChannelStripParams;

    for (text, on) in [
        ("1", true),
        ("yes", true),
        ("TRUE", true),
        ("On", true),
        ("0", false),
        ("no", false),
        ("False", false),
        ("OFF", false),
    ] {
        let params = ChannelStripParams::default();
        render::apply_assignments(&params, &sets(&[&format!("comp_on={text}")])).unwrap();
        assert_eq!(params.comp.on.value(), on, "comp_on={text}");
        let params = ChannelStripParams::default();
        render::apply_assignments(&params, &sets(&[&format!("hp_on={text}")])).unwrap();
        assert_eq!(params.highpass.on.value(), on, "hp_on={text}");
    }
    let refused = |pairs: &[&str]| {
        let params = ChannelStripParams::default();
        render::apply_assignments(&params, &sets(pairs))
            .unwrap_err()
            .to_string()
    };
    let e = refused(&["comp_on=maybe"]);
    assert!(
        e.contains("comp_on") && e.contains("on or off") && e.contains("yes/no"),
        "{e}"
    );
    for (set, range) in [
        ("input_gain=30", "24"),
        ("width=300", "200"),
        ("eq_hmid_freq=30k", "kHz"),
        ("width=-1", "0.0"),
    ] {
        let e = refused(&[set]);
        assert!(
            e.contains("out of range") && e.contains(range),
            "{set}: {e}"
        );
    }
    let e = refused(&["hp_slope=7"]);
    for choice in [
        "6 dB/oct",
        "12 dB/oct",
        "18 dB/oct",
        "24 dB/oct",
        "36 dB/oct",
        "48 dB/oct",
    ] {
        assert!(e.contains(choice), "{e}");
    }
    // In range and the ends themselves are fine.
    let params = ChannelStripParams::default();
    render::apply_assignments(
        &params,
        &sets(&["width=200", "eq_hmid_freq=3k", "pan=30 L"]),
    )
    .unwrap();
    assert_eq!(params.stereo.width.value(), 200.0);

    // Through the binary: exit status 1, a sentence, nothing written.
    let (dir, input, output) = scratch_with("refused-values", &programme(0.2, 48_000, 2), 48_000);
    std::fs::write(&output, b"precious").unwrap();
    for (plugin, set, says) in [
        ("limiter", "ceiling=5", "out of range"),
        ("limiter", "soft_clip=maybe", "on or off"),
        ("limiter", "oversampling=3x", "1x, 2x, 4x, 8x, 16x"),
    ] {
        let out = render_cli(plugin, &input, &output, &["--set", set]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{set}: {stderr}");
        assert!(stderr.contains(says), "{set}: {stderr}");
        // About the value, not the input file: not under the input's name.
        assert!(!stderr.contains("in.wav"), "{set}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(std::fs::read(&output).unwrap(), b"precious", "{set}");
    }
    std::fs::remove_dir_all(dir).ok();
}

/// An output the rename-into-place write would destroy, or whose name would lie about its
/// format, is refused before anything is written, with the path as typed.
#[test]
fn outputs_that_are_not_plain_wav_files_are_refused() {
    use std::os::unix::fs::FileTypeExt;

    let (dir, input, _) = scratch_with("outputs", &programme(0.2, 48_000, 2), 48_000);
    let render_to = |output: &Path| {
        render::render::<render::Limiter>(&input, output, &[], OutputFormat::FLOAT32, |_| {})
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };

    // A FLAC name would get WAV data.
    let flac = dir.join("x.flac");
    let e = render_to(&flac);
    assert!(e.contains("x.flac") && e.contains(".wav"), "{e}");
    assert!(!flac.exists());

    // A FIFO (or a device such as /dev/null) would be replaced by a regular file.
    let fifo = dir.join("pipe.wav");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let e = render_to(&fifo);
        assert!(e.contains("not a regular file"), "{e}");
        let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(kind.is_fifo(), "the FIFO was replaced");
    } else {
        eprintln!("mkfifo not available: FIFO case skipped");
    }

    // A directory, and a folder that does not exist: the message names the path typed.
    let folder = dir.join("folder.wav");
    std::fs::create_dir_all(&folder).unwrap();
    let e = render_to(&folder);
    assert!(e.contains("is a directory"), "{e}");
    let nowhere = dir.join("missing").join("out.wav");
    let e = render_to(&nowhere);
    assert!(
        e.contains("missing/out.wav") && e.contains("does not exist") && !e.contains("partial"),
        "{e}"
    );

    // Through the binary: exit status 1, one line, nothing written.
    let out = Command::new(env!("CARGO_BIN_EXE_lathe"))
        .args(["render", "limiter"])
        .arg(&input)
        .arg("-o")
        .arg(&flac)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(".wav"), "{stderr}");
    assert!(
        stderr.starts_with(&format!("lathe: cannot write {}", flac.display())),
        "the message is about the output, not the input: {stderr}"
    );
    assert!(!flac.exists());
    assert_no_partial_file(&dir);
    std::fs::remove_dir_all(dir).ok();
}

/// `--help` shows INPUT and `-o` as required (they are, except with `--list`).
#[test]
fn help_marks_input_and_output_as_required() {
    let out = Command::new(env!("CARGO_BIN_EXE_lathe"))
        .args(["render", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("lathe render <PLUGIN> <INPUT> -o <OUT.wav>"),
        "{help}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_lathe"))
        .args(["render", "limiter"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--output") && stderr.contains("<INPUT>"),
        "{stderr}"
    );
}

/// Interrupting a render (Ctrl-C, SIGTERM) removes its temporary file and leaves an existing
/// output as it was.
#[test]
fn an_interrupted_render_leaves_nothing_behind() {
    let (dir, input, output) = scratch("interrupted");
    let partial = dir.join(".out.wav.partial");
    // Two minutes of programme at 16x oversampling: long enough to be caught in the act.
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&input, spec).unwrap();
    for i in 0..(120 * 48_000) {
        let x = (8000.0 * (i as f64 * 0.0577).sin()) as i16;
        w.write_sample(x).unwrap();
        w.write_sample(x).unwrap();
    }
    w.finalize().unwrap();
    for signal in ["INT", "TERM"] {
        std::fs::write(&output, b"precious").unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_lathe"))
            .args(["render", "limiter"])
            .arg(&input)
            .arg("-o")
            .arg(&output)
            .args(["--set", "oversampling=16x", "--set", "input_gain=12"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        while !partial.exists() && started.elapsed() < std::time::Duration::from_secs(20) {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert!(partial.exists(), "the render never started writing");
        let killed = Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "SIG{signal}: the render finished first"
        );
        assert!(stderr.contains("interrupted"), "SIG{signal}: {stderr}");
        assert!(
            !partial.exists(),
            "SIG{signal}: {} left behind",
            partial.display()
        );
        assert_eq!(std::fs::read(&output).unwrap(), b"precious", "SIG{signal}");
    }
    std::fs::remove_dir_all(dir).ok();
}

/// The mastering controls of the strip through the command line: a band on the side and bass
/// mono take a low side tone out and leave the mid alone; a channel that is not one of the
/// three is refused with the choices.
#[test]
fn strip_mid_side_eq_and_bass_mono_from_the_command_line() {
    let n = 48_000;
    let tone = |f: f64, a: f64| -> Vec<f32> {
        (0..n)
            .map(|i| (a * (2.0 * PI * f * i as f64 / 48_000.0).sin()) as f32)
            .collect()
    };
    // Mid: 1 kHz; side: 50 Hz.
    let (mid, side) = (tone(1000.0, 0.2), tone(50.0, 0.2));
    let l: Vec<f32> = mid.iter().zip(&side).map(|(m, s)| m + s).collect();
    let r: Vec<f32> = mid.iter().zip(&side).map(|(m, s)| m - s).collect();
    let (dir, input, output) = scratch_with("mastering", &[l, r], 48_000);
    let extra = set_args(&[
        "img_on=on",
        "bass_mono=on",
        "bass_mono_freq=120",
        "eq_mid_channel=side",
        "eq_mid_gain=6",
    ]);
    assert_ok(&render_cli("channel-strip", &input, &output, &extra));
    let (_, y) = read_wav(&output);
    let level = |x: &[f32], f: f64| {
        let (mut c, mut s) = (0.0, 0.0);
        for (i, &v) in x.iter().enumerate().skip(24_000) {
            let ph = 2.0 * PI * f * i as f64 / 48_000.0;
            c += v as f64 * ph.cos();
            s += v as f64 * ph.sin();
        }
        20.0 * (2.0 * (c * c + s * s).sqrt() / (x.len() - 24_000) as f64).log10()
    };
    let out_mid: Vec<f32> = y[0].iter().zip(&y[1]).map(|(a, b)| 0.5 * (a + b)).collect();
    let out_side: Vec<f32> = y[0].iter().zip(&y[1]).map(|(a, b)| 0.5 * (a - b)).collect();
    let (m, s) = (
        level(&out_mid, 1000.0) - level(&mid, 1000.0),
        level(&out_side, 50.0),
    );
    eprintln!("mid at 1 kHz {m:+.3} dB; side at 50 Hz {s:.1} dBFS");
    assert!(m.abs() < 0.1, "the mid moved by {m} dB");
    assert!(
        s < level(&side, 50.0) - 40.0,
        "the low side is still there: {s} dBFS"
    );

    let out = render_cli(
        "channel-strip",
        &input,
        &output,
        &["--set", "eq_mid_channel=up"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("Stereo") && stderr.contains("Side"),
        "{stderr}"
    );
    std::fs::remove_dir_all(dir).ok();
}

/// `eq_phase=linear` through the command line: the output lines up with the input (the
/// render compensates the FIR's latency), a flat EQ is the input itself, and a tone beside a
/// boosted bell keeps its phase (it shifts in Zero Latency) at the designed gain.
#[test]
fn strip_linear_phase_eq_is_aligned_and_keeps_the_phase() {
    let sr = 48_000u32;
    let x = common::sine(700.0, 0.25, 1.0, sr, 2);
    let (dir, input, output) = scratch_with("linear-eq", &x, sr);
    let phasor = |y: &[f32]| {
        let (mut c, mut s) = (0.0, 0.0);
        for (i, &v) in y.iter().enumerate().skip(12_000).take(24_000) {
            let ph = 2.0 * PI * 700.0 * i as f64 / sr as f64;
            c += v as f64 * ph.cos();
            s += v as f64 * ph.sin();
        }
        (2.0 * (c * c + s * s).sqrt() / 24_000.0, s.atan2(c))
    };
    let (a0, p0) = phasor(&x[0]);
    // Flat: the input, delayed and then compensated.
    assert_ok(&render_cli(
        "channel-strip",
        &input,
        &output,
        &set_args(&["eq_phase=linear"]),
    ));
    let (_, y) = read_wav(&output);
    assert_eq!(y[0].len(), x[0].len());
    let worst = common::max_difference(&y[0], &x[0]);
    assert!(
        worst < 1e-4,
        "a flat linear EQ differs from the input by {worst}"
    );
    // A +6 dB bell at 1 kHz, Q 1: 700 Hz gains what the design says, and no phase.
    let bell = ["eq_mid_freq=1000", "eq_mid_gain=6", "eq_mid_q=1"];
    let mut linear = bell.to_vec();
    linear.push("eq_phase=linear");
    for (args, keeps_phase) in [(&bell[..], false), (&linear[..], true)] {
        assert_ok(&render_cli(
            "channel-strip",
            &input,
            &output,
            &set_args(args),
        ));
        let (_, y) = read_wav(&output);
        let (a, p) = phasor(&y[0]);
        let gain_db = 20.0 * (a / a0).log10();
        let shift = (p - p0).abs();
        eprintln!("{args:?}: {gain_db:+.3} dB, phase {shift:.4} rad");
        assert!((gain_db - 3.87).abs() < 0.3, "{gain_db} dB at 700 Hz");
        if keeps_phase {
            assert!(shift < 2e-3, "linear phase shifted 700 Hz by {shift} rad");
        } else {
            assert!(
                shift > 0.05,
                "the zero-latency bell should shift the phase: {shift}"
            );
        }
    }
    std::fs::remove_dir_all(dir).ok();
}

/// The Bus Compressor's multiband mode through the command line: band 1 squeezed by a loud
/// 50 Hz tone leaves a quiet 2.5 kHz tone (band 3 of 4) alone; a band count out of range is
/// refused.
#[test]
fn bus_compressor_multiband_from_the_command_line() {
    // A loud 50 Hz tone (band 1 of 4) and a quiet 2.5 kHz one (band 3).
    let (low, high, sr) = (
        common::sine(50.0, 0.7, 2.0, 48_000, 2),
        common::sine(2_500.0, 0.05, 2.0, 48_000, 2),
        48_000u32,
    );
    let x: Vec<Vec<f32>> = low
        .iter()
        .zip(&high)
        .map(|(a, b)| a.iter().zip(b).map(|(p, q)| p + q).collect())
        .collect();
    let (dir, input, output) = scratch_with("multiband", &x, sr);
    // Band 1 squeezed, the other three above anything they get.
    let mut sets = vec!["mb_on=on", "mb_bands=4", "mb1_threshold=-40", "mb1_ratio=8"];
    sets.extend(["mb2_threshold=0", "mb3_threshold=0", "mb4_threshold=0"]);
    let args = set_args(&sets);
    assert_ok(&render_cli("bus-compressor", &input, &output, &args));
    let (_, y) = read_wav(&output);
    let tail = |v: &[f32]| v[48_000..].to_vec();
    let level = |v: &[f32], f: f64| 20.0 * common::amplitude_at(&tail(v), f, sr).log10();
    let moved = level(&y[0], 2_500.0) - level(&high[0], 2_500.0);
    let squeezed = level(&y[0], 50.0) - level(&low[0], 50.0);
    eprintln!("2.5 kHz moved {moved:+.3} dB, 50 Hz {squeezed:+.1} dB");
    assert!(moved.abs() < 0.5, "2.5 kHz moved by {moved} dB");
    assert!(squeezed < -6.0, "50 Hz only {squeezed} dB down");
    // Linear phase, nothing compressed: the input again, the latency compensated.
    let mut sets = vec!["mb_on=on", "mb_phase=linear", "mb_bands=4"];
    sets.extend(["mb1_threshold=0", "mb2_threshold=0"]);
    sets.extend(["mb3_threshold=0", "mb4_threshold=0"]);
    let out = render_cli("bus-compressor", &input, &output, &set_args(&sets));
    assert_ok(&out);
    let (stdout, stderr) = common::texts(&out);
    assert!(
        format!("{stdout}{stderr}").contains("latency 4096 samples compensated"),
        "{stdout}{stderr}"
    );
    let (_, y) = read_wav(&output);
    let worst = common::max_difference(&x[0], &y[0]).max(common::max_difference(&x[1], &y[1]));
    assert!(
        worst < 1e-5,
        "linear multiband differs from its input by {worst}"
    );
    let out = render_cli("bus-compressor", &input, &output, &["--set", "mb_bands=7"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(dir).ok();
}
