//! Test signals.

use rand::{Rng, SeedableRng};

/// Deterministic white noise at the given peak amplitude.
pub fn white_noise(len: usize, amplitude: f32, seed: u64) -> Vec<f32> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..len)
        .map(|_| rng.random_range(-amplitude..=amplitude))
        .collect()
}

/// `channels` channels of independent noise.
pub fn noise_channels(channels: usize, len: usize, seed: u64) -> Vec<Vec<f32>> {
    (0..channels)
        .map(|c| white_noise(len, 0.5, seed + c as u64))
        .collect()
}

/// Block sizes from the conformance list plus random sizes up to 2048.
pub fn block_pattern(seed: u64) -> Vec<usize> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut sizes = vec![1, 17, 64, 512, 2027, 4096, 10, 256, 1024, 1536];
    sizes.extend((0..8).map(|_| rng.random_range(1..=2048)));
    sizes
}

/// Whether a sample is acceptable output: finite and not subnormal.
pub fn is_clean(x: f32) -> bool {
    x.is_finite() && (x == 0.0 || x.is_normal())
}
