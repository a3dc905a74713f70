//! Lathe Bus Compressor's whole chain (`BusCompressor`): 10 s of stereo 48 kHz programme in
//! host blocks of 512, compressing by several dB. Cases: the plain compressor, auto release with
//! the side-chain high-pass (the "glue" setting), mid/side with 2 ms lookahead, and with the
//! output saturator (4x); and the multiband block alone with 2, 3 and 4 bands (and 4 with
//! linear-phase crossovers). Throughput is per stereo frame; the figures go to BENCHMARKS.md.

use criterion::{Criterion, criterion_group, criterion_main};
use lathe_dsp::chains::bus_compressor::{BusCompressorCore, BusCompressorSettings};

#[path = "../tests/dsp/common/mod.rs"]
mod common;
mod support;

fn bench(c: &mut Criterion) {
    let (signal, mut group) = support::programme_group(c, "bus_compressor_10s_stereo_48k");
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
    support::bench_core::<BusCompressorCore>(
        &mut group,
        "auto_release_sc_hpf_mix_denormal_input",
        glue,
        &support::subnormal(&signal),
    );
    for (name, core) in [
        ("plain", plain),
        ("auto_release_sc_hpf_mix", glue),
        ("mid_side_lookahead", mid_side),
        ("with_saturation_4x", saturated),
    ] {
        support::bench_core::<BusCompressorCore>(&mut group, name, core, &signal);
    }
    // The multiband block alone (issue #20, before it joins the chain): 2, 3 and 4 bands,
    // each compressing by several dB.
    // Then 4 bands with linear-phase crossovers.
    use lathe_dsp::dynamics::multiband::MultibandPhase;
    let cases = [
        (2, MultibandPhase::Minimum),
        (3, MultibandPhase::Minimum),
        (4, MultibandPhase::Minimum),
        (4, MultibandPhase::Linear),
    ];
    for (bands, phase) in cases {
        let mut s = lathe_dsp::dynamics::multiband::MultibandSettings {
            bands,
            phase,
            ..Default::default()
        };
        for b in &mut s.band {
            b.compressor.threshold_db = -30.0;
            b.compressor.ratio = 4.0;
        }
        let mut m = lathe_dsp::dynamics::multiband::Multiband::new(support::SR);
        lathe_dsp::Block::set_settings(&mut m, &s);
        let (mut l, mut r) = (signal[0].clone(), signal[1].clone());
        let name = match phase {
            MultibandPhase::Minimum => format!("multiband_{bands}_bands"),
            MultibandPhase::Linear => format!("multiband_{bands}_bands_linear"),
        };
        group.bench_function(name, |b| {
            b.iter(|| {
                l.copy_from_slice(&signal[0]);
                r.copy_from_slice(&signal[1]);
                for (a, b) in l
                    .chunks_mut(support::BLOCK)
                    .zip(r.chunks_mut(support::BLOCK))
                {
                    lathe_dsp::Block::process(&mut m, &mut [a, b]);
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
