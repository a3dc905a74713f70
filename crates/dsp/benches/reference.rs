//! Lathe Reference: 10 s of stereo 48 kHz programme in host blocks of 512.
//!
//! - `audio_thread_share`: what the plugin's audio thread adds for live analysis (copying the
//!   input into the two lock-free rings); issue #6 asks for under 1 % of a core.
//! - `analyzer`: the live analysis itself, on the worker thread (spectrum and loudness).
//! - `match_eq_minimum` / `match_eq_linear`: the whole chain with an 8192-tap match EQ in the
//!   zero-latency partitioned convolver.
//! - `ab_reference`: the chain playing the reference instead of the mix.

use criterion::{Criterion, criterion_group, criterion_main};
use lathe_dsp::analysis::match_eq::MatchPhase;
use lathe_dsp::analysis::reference::{Analyzer, analyze_stereo};
use lathe_dsp::chains::reference::{
    MatchDesign, ReferenceAudio, ReferenceCore, ReferenceSettings, design_kernel,
};
use lathe_dsp::chains::{ChainSettings, IoSettings};
use lathe_dsp::rt::ring::SampleRing;
use std::hint::black_box;
use std::sync::Arc;

#[path = "../tests/dsp/common/mod.rs"]
mod common;
mod support;

use support::{BLOCK, SR};

fn bench(c: &mut Criterion) {
    let (signal, mut group) = support::programme_group(c, "reference_10s_stereo_48k");

    let rings = [SampleRing::new(1 << 17), SampleRing::new(1 << 17)];
    group.bench_function("audio_thread_share", |b| {
        b.iter(|| {
            for (l, r) in signal[0].chunks(BLOCK).zip(signal[1].chunks(BLOCK)) {
                rings[0].push(l.iter().copied());
                rings[1].push(r.iter().copied());
            }
            black_box(rings[0].written())
        })
    });
    let mut analyzer = Analyzer::new(SR);
    group.bench_function("analyzer", |b| {
        b.iter(|| {
            analyzer.reset();
            for (l, r) in signal[0].chunks(4096).zip(signal[1].chunks(4096)) {
                analyzer.push(l, r);
            }
            black_box(analyzer.samples())
        })
    });

    let mix = analyze_stereo(SR, &signal[0], &signal[1]).normalized_spectrum_db();
    let target: Vec<f32> = mix
        .iter()
        .enumerate()
        .map(|(i, v)| v + 4.0 * ((i as f32 / 30.0).sin()))
        .collect();
    let reference = Arc::new(ReferenceAudio {
        sample_rate_hz: SR,
        channels: [signal[1].clone(), signal[0].clone()],
    });
    for (name, phase, listen) in [
        ("match_eq_minimum", MatchPhase::Minimum, false),
        ("match_eq_linear", MatchPhase::Linear, false),
        ("ab_reference", MatchPhase::Minimum, true),
    ] {
        let design = MatchDesign {
            phase,
            ..Default::default()
        };
        let (msg, _) = design_kernel(Some(&mix), Some(&target), &design, SR);
        let settings = ChainSettings {
            io: IoSettings::default(),
            core: ReferenceSettings {
                match_enabled: true,
                phase,
                listen_reference: listen,
                reference_gain_db: -2.0,
                transport_pos: None,
            },
        };
        support::bench_chain_with::<ReferenceCore>(&mut group, name, &settings, &signal, SR, |c| {
            c.core_mut().load_audio(Some(reference.clone()));
            c.core_mut().load_kernel(&msg);
        });
        if phase == MatchPhase::Linear {
            let tiny = support::subnormal(&signal);
            let name = "match_eq_linear_denormal_input";
            support::bench_chain_with::<ReferenceCore>(
                &mut group,
                name,
                &settings,
                &tiny,
                SR,
                |c| {
                    c.core_mut().load_audio(Some(reference.clone()));
                    c.core_mut().load_kernel(&msg);
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
