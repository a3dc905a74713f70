//! `lathe analyze` speed: decoding plus every measurement for a 3-minute stereo 44.1 kHz file,
//! as 16-bit WAV and as FLAC (the issue asks for well under a second); and the reference
//! analyzer (`lathe match`, Lathe Reference) on the same file, decode included (issue #6 asks
//! for under 0.3 s).

use criterion::{Criterion, criterion_group, criterion_main};
use std::f64::consts::PI;
use std::hint::black_box;
use std::path::PathBuf;

const SR: u32 = 44_100;
const SECONDS: usize = 180;

fn write_programme_wav(path: &PathBuf) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: SR,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let mut seed = 12345u32;
    for i in 0..SR as usize * SECONDS {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let noise = (seed >> 8) as f64 / (1u32 << 24) as f64 - 0.5;
        let t = i as f64 / SR as f64;
        let env = 0.5 + 0.4 * (2.0 * PI * 0.05 * t).sin();
        let l = env * (0.5 * (2.0 * PI * 110.0 * t).sin() + 0.2 * noise);
        let r = env * (0.5 * (2.0 * PI * 164.8 * t).sin() - 0.2 * noise);
        w.write_sample((l * 32767.0) as i16).unwrap();
        w.write_sample((r * 32767.0) as i16).unwrap();
    }
    w.finalize().unwrap();
}

fn bench(c: &mut Criterion) {
    let dir = std::env::temp_dir().join("lathe-analyze-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let wav = dir.join("programme.wav");
    if !wav.exists() {
        write_programme_wav(&wav);
    }
    let mut group = c.benchmark_group("analyze_3min_stereo_44k1");
    group.sample_size(10);
    group.bench_function("wav", |b| {
        b.iter(|| black_box(lathe_cli::analyze(&wav, "programme.wav", |_| {}).unwrap()))
    });
    // FLAC made from the WAV by the system's sox or ffmpeg, when one is installed.
    let flac = dir.join("programme.flac");
    let have_flac = flac.exists()
        || std::process::Command::new("sox")
            .arg(&wav)
            .arg(&flac)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
    if have_flac {
        group.bench_function("flac", |b| {
            b.iter(|| black_box(lathe_cli::analyze(&flac, "programme.flac", |_| {}).unwrap()))
        });
    }
    group.finish();
    let mut group = c.benchmark_group("reference_analysis_3min_stereo_44k1");
    group.sample_size(10);
    group.bench_function("wav", |b| {
        b.iter(|| black_box(lathe_cli::matching::analyze_track(&wav).unwrap()))
    });
    if have_flac {
        group.bench_function("flac", |b| {
            b.iter(|| black_box(lathe_cli::matching::analyze_track(&flac).unwrap()))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
