//! What the chain benchmarks share: one stereo chain run over a whole signal in host blocks.

use criterion::BenchmarkGroup;
use criterion::measurement::WallTime;
use lathe_dsp::chain::{ChainSettings, Core};
use lathe_dsp::{PluginChain, Processor};
use std::hint::black_box;

/// Host block size, frames.
pub const BLOCK: usize = 512;

/// Benchmarks `settings` on the stereo `signal` as `name`: the whole signal in blocks of
/// [`BLOCK`] per iteration (the input is copied in first, as a host hands over fresh buffers).
pub fn bench_chain<C: Core>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    settings: &ChainSettings<C::Settings>,
    signal: &[Vec<f32>],
    sample_rate_hz: f64,
) {
    let mut chain = PluginChain::<C>::new(2, sample_rate_hz);
    chain.set_settings(settings);
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
