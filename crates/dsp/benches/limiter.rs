//! Lathe Limiter's whole chain (`MasteringLimiter`): 10 s of stereo 48 kHz programme driven
//! 8 dB into a -1 dBTP ceiling, in host blocks of 512, at 1x, 4x and 16x oversampling, and
//! bypassed (the cost of the chain's shared plumbing). Throughput is per stereo frame; the
//! figures go to BENCHMARKS.md.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lathe_dsp::IoSettings;
use lathe_dsp::chain::ChainSettings;
use lathe_dsp::mastering::{LimiterSettings, Oversampling};

#[path = "../tests/common/mod.rs"]
mod common;
mod support;

const SR: f64 = 48_000.0;

fn bench(c: &mut Criterion) {
    let signal = common::music_like(10.0, SR, 3);
    let frames = signal[0].len();
    let mut group = c.benchmark_group("limiter_10s_stereo_48k");
    group.throughput(Throughput::Elements(frames as u64));
    group.sample_size(10);
    let cases = [
        ("1x", Oversampling::X1, false),
        ("4x", Oversampling::X4, false),
        ("16x", Oversampling::X16, false),
        ("bypassed", Oversampling::X4, true),
    ];
    for (name, oversampling, bypass) in cases {
        let settings = ChainSettings {
            io: IoSettings {
                input_gain_db: 8.0,
                bypass,
                ..IoSettings::default()
            },
            core: LimiterSettings {
                oversampling,
                ..LimiterSettings::default()
            },
        };
        support::bench_chain::<lathe_dsp::mastering::LimiterCore>(
            &mut group, name, &settings, &signal, SR,
        );
        if name == "4x" {
            support::bench_chain::<lathe_dsp::mastering::LimiterCore>(
                &mut group,
                "4x_denormal_input",
                &settings,
                &support::subnormal(&signal),
                SR,
            );
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
