//! Lathe Bus Compressor's whole chain (`BusCompressor`): 10 s of stereo 48 kHz programme in
//! host blocks of 512, compressing by several dB. Cases: the plain compressor, auto release with
//! the side-chain high-pass (the "glue" setting), mid/side with 2 ms lookahead, and with the
//! output saturator (4x). Throughput is per stereo frame; the figures go to BENCHMARKS.md.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lathe_dsp::IoSettings;
use lathe_dsp::chains::ChainSettings;
use lathe_dsp::chains::bus_compressor::{BusCompressorCore, BusCompressorSettings};

#[path = "../tests/common/mod.rs"]
mod common;
mod support;

const SR: f64 = 48_000.0;

fn bench(c: &mut Criterion) {
    let signal = common::music_like(10.0, SR, 3);
    let frames = signal[0].len();
    let mut group = c.benchmark_group("bus_compressor_10s_stereo_48k");
    group.throughput(Throughput::Elements(frames as u64));
    group.sample_size(10);
    let plain = {
        let mut s = BusCompressorSettings::default();
        s.compressor.threshold_db = -24.0;
        s.compressor.ratio = 4.0;
        s
    };
    let glue = {
        let mut s = plain;
        s.compressor.auto_release = true;
        s.compressor.sidechain_hpf_hz = 90.0;
        s.compressor.mix = 0.8;
        s
    };
    let mid_side = {
        let mut s = glue;
        s.mid_side = true;
        s.lookahead_ms = 2.0;
        s
    };
    let saturated = {
        let mut s = glue;
        s.saturator_enabled = true;
        s
    };
    let settings = ChainSettings {
        io: IoSettings::default(),
        core: glue,
    };
    support::bench_chain::<BusCompressorCore>(
        &mut group,
        "auto_release_sc_hpf_mix_denormal_input",
        &settings,
        &support::subnormal(&signal),
        SR,
    );
    for (name, core) in [
        ("plain", plain),
        ("auto_release_sc_hpf_mix", glue),
        ("mid_side_lookahead", mid_side),
        ("with_saturation_4x", saturated),
    ] {
        let settings = ChainSettings {
            io: IoSettings::default(),
            core,
        };
        support::bench_chain::<BusCompressorCore>(&mut group, name, &settings, &signal, SR);
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
