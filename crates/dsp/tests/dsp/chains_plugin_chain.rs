//! Behaviour of the shared plugin chain: trims, bypass alignment, latency, sanitising and
//! block-size invariance, using a test core with real latency.

use lathe_dsp::chains::{BYPASS_RAMP_MS, ChainSettings, Core, IoSettings, PluginChain};
use lathe_dsp::math::db_to_gain;
use lathe_dsp::{Block, DelayLine};
use rand::{Rng, SeedableRng};

/// A core that delays by `latency` samples and inverts polarity, so processed and bypassed
/// output are distinguishable.
struct DelayInvert {
    delay: DelayLine,
    latency: u32,
}

impl Core for DelayInvert {
    type Settings = u32;
    fn new(max_channels: usize, _sr: f64) -> Self {
        Self {
            delay: DelayLine::new(max_channels, 512),
            latency: 0,
        }
    }
    fn set_sample_rate(&mut self, _sr: f64) {}
    fn reset(&mut self) {
        self.delay.reset();
    }
    fn set_settings(&mut self, s: &u32) {
        self.latency = *s;
        self.delay.set_delay(*s as usize);
    }
    fn latency(&self) -> u32 {
        self.latency
    }
    fn max_latency(&self) -> u32 {
        512
    }
    fn process(&mut self, main: &mut [&mut [f32]], _sc: Option<&[&[f32]]>) {
        self.delay.process(main);
        for ch in main.iter_mut() {
            for x in ch.iter_mut() {
                *x = -*x;
            }
        }
    }
}

fn noise(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..len).map(|_| rng.random_range(-0.5f32..0.5)).collect()
}

fn settings(latency: u32, bypass: bool) -> ChainSettings<u32> {
    ChainSettings {
        io: IoSettings {
            bypass,
            ..IoSettings::default()
        },
        core: latency,
    }
}

fn run(chain: &mut PluginChain<DelayInvert>, l: &mut [f32], r: &mut [f32], blocks: &[usize]) {
    let mut pos = 0;
    let mut i = 0;
    while pos < l.len() {
        let n = blocks[i % blocks.len()].min(l.len() - pos);
        chain.process(&mut [&mut l[pos..pos + n], &mut r[pos..pos + n]]);
        pos += n;
        i += 1;
    }
}

#[test]
fn bypass_output_is_input_delayed_by_latency() {
    for latency in [0u32, 1, 64, 300] {
        let mut chain = PluginChain::<DelayInvert>::new(2, 48_000.0);
        chain.set_settings(&settings(latency, true));
        assert_eq!(chain.latency(), latency);
        let input = noise(5000, 1);
        let mut l = input.clone();
        let mut r = input.clone();
        run(&mut chain, &mut l, &mut r, &[17, 512, 1]);
        for i in 0..input.len() {
            let expected = if i >= latency as usize {
                input[i - latency as usize]
            } else {
                0.0
            };
            assert_eq!(l[i], expected, "latency {latency}, sample {i}");
            assert_eq!(r[i], expected);
        }
    }
}

#[test]
fn processed_output_aligns_with_bypass_and_crossfade_is_continuous() {
    let sr = 48_000.0;
    let mut chain = PluginChain::<DelayInvert>::new(2, sr);
    chain.set_settings(&settings(100, false));
    let input: Vec<f32> = (0..20_000).map(|i| (i as f32 * 0.01).sin() * 0.5).collect();
    let mut l = input.clone();
    let mut r = input.clone();
    // Process 5000 samples, then engage bypass.
    chain.process(&mut [&mut l[..5000], &mut r[..5000]]);
    chain.set_settings(&settings(100, true));
    chain.process(&mut [&mut l[5000..], &mut r[5000..]]);
    // Before the switch: inverted and delayed.
    for i in 100..5000 {
        assert_eq!(l[i], -input[i - 100]);
    }
    // After the crossfade: the dry signal, delayed by the same latency.
    let ramp = (BYPASS_RAMP_MS as f64 * 1e-3 * sr) as usize;
    for i in 5000 + ramp..20_000 {
        assert_eq!(l[i], input[i - 100]);
    }
    // During the crossfade the output moves gradually (no jump larger than the signal's own
    // slope plus the fade step).
    for i in 5000..5000 + ramp {
        assert!((l[i] - l[i - 1]).abs() < 0.02, "click at {i}");
    }
}

#[test]
fn trims_apply_and_settle_exactly() {
    let mut chain = PluginChain::<DelayInvert>::new(1, 48_000.0);
    let mut s = settings(0, false);
    s.io.input_gain_db = -6.0;
    s.io.output_gain_db = 12.0;
    chain.set_settings(&s);
    let mut x = vec![0.25f32; 4000];
    chain.process(&mut [&mut x[..]]);
    let expected = -0.25 * db_to_gain(-6.0) * db_to_gain(12.0);
    // First call after construction snaps: no ramp.
    assert!((x[0] - expected).abs() < 1e-6);
    assert!((x[3999] - expected).abs() < 1e-6);

    // A later change ramps over 20 ms.
    s.io.output_gain_db = 0.0;
    chain.set_settings(&s);
    let mut y = vec![0.25f32; 4000];
    chain.process(&mut [&mut y[..]]);
    assert!(y[0] < -0.2 * db_to_gain(6.0), "starts near the old gain");
    let settled = -0.25 * db_to_gain(-6.0);
    assert!((y[3999] - settled).abs() < 1e-6);
}

#[test]
fn block_size_invariance() {
    let input = noise(30_000, 7);
    let mut reference: Option<Vec<f32>> = None;
    for blocks in [
        vec![30_000usize],
        vec![1],
        vec![17],
        vec![2027],
        vec![4096, 3, 255, 257],
    ] {
        let mut chain = PluginChain::<DelayInvert>::new(2, 44_100.0);
        let mut s = settings(33, false);
        s.io.input_gain_db = 3.0;
        chain.set_settings(&s);
        let mut l = input.clone();
        let mut r = input.clone();
        // Change a trim mid-stream at a fixed sample position to exercise the ramps.
        let half = 15_000;
        run(&mut chain, &mut l[..half], &mut r[..half], &blocks);
        s.io.output_gain_db = -9.0;
        s.io.bypass = true;
        chain.set_settings(&s);
        run(&mut chain, &mut l[half..], &mut r[half..], &blocks);
        match &reference {
            None => reference = Some(l),
            Some(reference) => assert_eq!(&l, reference, "blocks {blocks:?}"),
        }
    }
}

#[test]
fn nan_and_inf_are_silenced_and_do_not_latch() {
    let mut chain = PluginChain::<DelayInvert>::new(2, 48_000.0);
    chain.set_settings(&settings(10, false));
    let mut l = vec![f32::NAN; 64];
    let mut r = vec![f32::INFINITY; 64];
    chain.process(&mut [&mut l, &mut r]);
    assert!(l.iter().chain(r.iter()).all(|x| x.is_finite()));
    let mut l = vec![0.5f32; 64];
    let mut r = vec![0.5f32; 64];
    chain.process(&mut [&mut l, &mut r]);
    assert!(l.iter().chain(r.iter()).all(|x| x.is_finite()));
    assert_eq!(l[63], -0.5);
}

#[test]
fn subnormal_input_gives_no_subnormal_output() {
    let mut chain = PluginChain::<DelayInvert>::new(1, 48_000.0);
    let mut s = settings(5, false);
    s.io.input_gain_db = -20.0;
    chain.set_settings(&s);
    let mut x = vec![1e-39f32; 1000];
    chain.process(&mut [&mut x[..]]);
    assert!(x.iter().all(|v| *v == 0.0 || v.is_normal()));
}

#[test]
fn peaks_are_reported() {
    let mut chain = PluginChain::<DelayInvert>::new(1, 48_000.0);
    let mut s = settings(0, false);
    s.io.output_gain_db = -6.0;
    chain.set_settings(&s);
    let mut x = vec![0.0f32; 1000];
    x[500] = 0.8;
    chain.process(&mut [&mut x[..]]);
    assert!((chain.input_peak() - 0.8).abs() < 1e-7);
    assert!((chain.output_peak() - 0.8 * db_to_gain(-6.0)).abs() < 1e-6);
}

#[test]
fn reset_clears_history() {
    let mut chain = PluginChain::<DelayInvert>::new(1, 48_000.0);
    chain.set_settings(&settings(50, false));
    let mut x = vec![1.0f32; 100];
    chain.process(&mut [&mut x[..]]);
    chain.reset();
    let mut y = vec![0.0f32; 100];
    chain.process(&mut [&mut y[..]]);
    assert!(y.iter().all(|v| *v == 0.0));
}

#[test]
fn sidechain_shorter_than_block_is_accepted() {
    let mut chain = PluginChain::<DelayInvert>::new(2, 48_000.0);
    let key = vec![0.1f32; 10];
    let mut l = vec![0.1f32; 1000];
    let mut r = vec![0.1f32; 1000];
    chain.process_with_sidechain(&mut [&mut l, &mut r], Some(&[&key, &key]));
    assert!(l.iter().all(|x| x.is_finite()));
}

#[test]
fn leaving_bypass_warms_the_core_up_then_crossfades() {
    // Bypass for a while (the core stops), then un-bypass: the output stays dry for one
    // latency, then crossfades, and after the fade it is the processed signal exactly, with no
    // stale audio from before the bypass.
    let sr = 48_000.0;
    let latency = 100usize;
    let mut chain = PluginChain::<DelayInvert>::new(1, sr);
    chain.set_settings(&settings(latency as u32, true));
    let input: Vec<f32> = (0..20_000)
        .map(|i| (i as f32 * 0.013).sin() * 0.5)
        .collect();
    let mut x = input.clone();
    chain.process(&mut [&mut x[..8000]]);
    chain.set_settings(&settings(latency as u32, false));
    chain.process(&mut [&mut x[8000..]]);
    for i in latency..8000 + latency {
        assert_eq!(x[i], input[i - latency], "dry while bypassed, {i}");
    }
    let ramp = (BYPASS_RAMP_MS as f64 * 1e-3 * sr) as usize;
    for i in 8000 + latency + ramp + 1..20_000 {
        assert_eq!(x[i], -input[i - latency], "processed after the fade, {i}");
    }
    for i in 8000..8000 + latency + ramp + 1 {
        assert!((x[i] - x[i - 1]).abs() < 0.03, "click at {i}");
    }
}
