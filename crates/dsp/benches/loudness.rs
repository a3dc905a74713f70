//! Loudness meter throughput: 60 s of stereo 48 kHz programme with every measurement on
//! (momentary, short-term, integrated, LRA, true peak), Lathe against the `ebur128` crate in the
//! same modes. Reported per stereo frame in BENCHMARKS.md.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ebur128::{EbuR128, Mode};
use lathe_dsp::LoudnessMeter;
use std::hint::black_box;

#[path = "../tests/dsp/common/mod.rs"]
mod common;

const SR: u32 = 48_000;
const SECONDS: f64 = 60.0;
const BLOCK: usize = 1024;

fn bench(c: &mut Criterion) {
    let signal = common::music_like(SECONDS, SR as f64, 7);
    let frames = signal[0].len();
    let mut group = c.benchmark_group("loudness_60s_stereo_48k");
    group.throughput(Throughput::Elements(frames as u64));
    group.sample_size(10);

    group.bench_function("lathe", |b| {
        b.iter(|| {
            let mut meter = LoudnessMeter::for_channels(SR as f64, 2);
            for start in (0..frames).step_by(BLOCK) {
                let end = (start + BLOCK).min(frames);
                meter.process(&[&signal[0][start..end], &signal[1][start..end]]);
            }
            black_box(meter.report())
        })
    });

    group.bench_function("ebur128", |b| {
        b.iter(|| {
            let mut meter = EbuR128::new(
                2,
                SR,
                Mode::M | Mode::S | Mode::I | Mode::LRA | Mode::TRUE_PEAK,
            )
            .unwrap();
            for start in (0..frames).step_by(BLOCK) {
                let end = (start + BLOCK).min(frames);
                meter
                    .add_frames_planar_f32(&[&signal[0][start..end], &signal[1][start..end]])
                    .unwrap();
            }
            black_box((
                meter.loudness_momentary().unwrap(),
                meter.loudness_shortterm().unwrap(),
                meter.loudness_global().unwrap(),
                meter.loudness_range().unwrap(),
                meter.true_peak(0).unwrap(),
                meter.true_peak(1).unwrap(),
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
