//! What the chain benchmarks share: one stereo chain run over a whole signal in host blocks.

// Each bench compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput};
use lathe_dsp::chains::{ChainSettings, Core};
use lathe_dsp::{Block, PluginChain};
use std::hint::black_box;

/// Host block size, frames.
pub const BLOCK: usize = 512;

/// Sample rate of every chain benchmark, Hz.
pub const SR: f64 = 48_000.0;

/// The benchmarks' programme (10 s of music-like stereo at [`SR`]) and the group `name` that
/// measures it, throughput per stereo frame, ten samples.
pub fn programme_group<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> ([Vec<f32>; 2], BenchmarkGroup<'a, WallTime>) {
    let signal = crate::common::music_like(10.0, SR, 3);
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(signal[0].len() as u64));
    group.sample_size(10);
    (signal, group)
}

/// [`bench_chain`] of the core settings `core` with neutral trims, on [`SR`].
pub fn bench_core<C: Core>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    core: C::Settings,
    signal: &[Vec<f32>],
) {
    let settings = ChainSettings {
        io: Default::default(),
        core,
    };
    bench_chain_with::<C>(group, name, &settings, signal, SR, |_| {});
}

/// Benchmarks `settings` on the stereo `signal` as `name`: the whole signal in blocks of
/// [`BLOCK`] per iteration (the input is copied in first, as a host hands over fresh buffers).
/// `setup` runs on the chain after its settings are applied (to load data that is not a
/// setting, such as a match-EQ kernel).
pub fn bench_chain_with<C: Core>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    settings: &ChainSettings<C::Settings>,
    signal: &[Vec<f32>],
    sample_rate_hz: f64,
    setup: impl FnOnce(&mut PluginChain<C>),
) {
    let mut chain = PluginChain::<C>::new(2, sample_rate_hz);
    chain.set_settings(settings);
    setup(&mut chain);
    let mut left = signal[0].clone();
    let mut right = signal[1].clone();
    group.bench_function(name, |b| {
        b.iter(|| {
            left.copy_from_slice(&signal[0]);
            right.copy_from_slice(&signal[1]);
            for (l, r) in left.chunks_mut(BLOCK).zip(right.chunks_mut(BLOCK)) {
                chain.process(&mut [l, r]);
            }
            black_box(chain.latency())
        })
    });
}

/// `signal` scaled into the subnormal range (|x| <= 1e-39), as clap-validator's denormal test
/// feeds it: with flush-to-zero and denormals-are-zero on in every `process` call, it costs what
/// normal input costs.
pub fn subnormal(signal: &[Vec<f32>]) -> Vec<Vec<f32>> {
    signal
        .iter()
        .map(|ch| ch.iter().map(|x| x * 1e-39).collect())
        .collect()
}
