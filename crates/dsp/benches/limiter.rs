//! Lathe Limiter's whole chain (`Limiter`): 10 s of stereo 48 kHz programme driven
//! 8 dB into a -1 dBTP ceiling, in host blocks of 512, at 1x, 4x and 16x oversampling, and
//! bypassed (the cost of the chain's shared plumbing). Throughput is per stereo frame; the
//! figures go to BENCHMARKS.md.

use criterion::{Criterion, criterion_group, criterion_main};
use lathe_dsp::IoSettings;
use lathe_dsp::LoudnessMeter;
use lathe_dsp::analysis::loudness::truepeak::TruePeak;
use lathe_dsp::chains::ChainSettings;
use lathe_dsp::chains::limiter::{LimiterCore, LimiterSettings, Oversampling};
use lathe_dsp::math::FlushDenormals;
use std::hint::black_box;

#[path = "../tests/dsp/common/mod.rs"]
mod common;
mod support;

use support::SR;

fn bench(c: &mut Criterion) {
    let (signal, mut group) = support::programme_group(c, "limiter_10s_stereo_48k");
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
        support::bench_chain_with::<LimiterCore>(&mut group, name, &settings, &signal, SR, |_| {});
        if name == "4x" {
            let denormal = support::subnormal(&signal);
            let name = "4x_denormal_input";
            support::bench_chain_with::<LimiterCore>(
                &mut group,
                name,
                &settings,
                &denormal,
                SR,
                |_| {},
            );
        }
    }
    // The plugin's meters outside the chain (input true peak, output loudness) see the host's
    // samples as they are: with denormal input they are where flush-to-zero pays off. The
    // plugin runs them under `FlushDenormals`; the last case shows the cost without it.
    let tiny = support::subnormal(&signal);
    for (name, input, flush) in [
        ("meters", &signal[..], true),
        ("meters_denormal_input", &tiny[..], true),
        ("meters_denormal_input_without_ftz", &tiny[..], false),
    ] {
        let mut true_peaks = [TruePeak::new(SR), TruePeak::new(SR)];
        let mut meter = LoudnessMeter::for_channels(SR, 2);
        group.bench_function(name, |b| {
            b.iter(|| {
                let _denormals = flush.then(FlushDenormals::new);
                for (l, r) in input[0]
                    .chunks(support::BLOCK)
                    .zip(input[1].chunks(support::BLOCK))
                {
                    true_peaks[0].process(l);
                    true_peaks[1].process(r);
                    meter.process(&[l, r]);
                }
                black_box(true_peaks[0].peak())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
