//! Constant-memory gating for integrated loudness and loudness range.
//!
//! Values (400 ms block energies for integrated loudness, 3 s short-term energies for LRA) go
//! into bins 0.01 LU wide from -70 to +40 LUFS. Each bin keeps its count and the exact sum of
//! the energies that fell into it, so
//!
//! - means over whole bins are exact;
//! - a gate threshold that falls inside a bin classifies that bin's values together, by the
//!   bin's mean loudness. The result is therefore exactly what the exact algorithm gives with
//!   the relative gate moved by less than one bin (0.01 LU) — for integrated loudness that is
//!   the whole error;
//! - a percentile resolves to the mean loudness of the bin that holds it, at most 0.01 LU from
//!   the order statistic, so LRA is within 0.02 LU of the exact LRA for a gate moved by less
//!   than 0.01 LU.
//!
//! These bounds are checked against an exact, store-everything implementation in the tests.

/// Lowest value kept (the absolute gate of BS.1770 and EBU Tech 3342).
pub const FLOOR_LUFS: f64 = -70.0;
/// Bin width in LU.
pub const BIN_LU: f64 = 0.01;
/// Values above this go into the top bin (their energy is still summed exactly).
pub const CEILING_LUFS: f64 = 40.0;
const BINS: usize = ((CEILING_LUFS - FLOOR_LUFS) / BIN_LU) as usize;

/// Loudness of a mean-square energy (BS.1770: -0.691 + 10 log10 E).
#[inline]
pub fn energy_to_lufs(energy: f64) -> f64 {
    if energy > 0.0 {
        -0.691 + 10.0 * energy.log10()
    } else {
        f64::NEG_INFINITY
    }
}

/// Energy of a loudness.
#[inline]
pub fn lufs_to_energy(lufs: f64) -> f64 {
    10f64.powf((lufs + 0.691) / 10.0)
}

/// A histogram of energies by loudness.
#[derive(Debug, Clone)]
pub struct GatingHistogram {
    counts: Vec<u64>,
    energy: Vec<f64>,
    total_count: u64,
    total_energy: f64,
}

impl Default for GatingHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl GatingHistogram {
    /// An empty histogram (allocates its fixed bins once).
    pub fn new() -> Self {
        Self {
            counts: vec![0; BINS],
            energy: vec![0.0; BINS],
            total_count: 0,
            total_energy: 0.0,
        }
    }

    /// Removes every value.
    pub fn clear(&mut self) {
        self.counts.fill(0);
        self.energy.fill(0.0);
        self.total_count = 0;
        self.total_energy = 0.0;
    }

    /// Number of values kept (those at or above -70 LUFS).
    pub fn len(&self) -> u64 {
        self.total_count
    }

    /// Whether no value has been kept.
    pub fn is_empty(&self) -> bool {
        self.total_count == 0
    }

    /// Adds every value of `other` (an album's gating over all its tracks' blocks).
    pub fn merge(&mut self, other: &Self) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        for (a, b) in self.energy.iter_mut().zip(&other.energy) {
            *a += b;
        }
        self.total_count += other.total_count;
        self.total_energy += other.total_energy;
    }

    /// Adds an energy; values below -70 LUFS are dropped (absolute gate).
    pub fn add(&mut self, energy: f64) {
        let lufs = energy_to_lufs(energy);
        if lufs.is_nan() || lufs < FLOOR_LUFS {
            return;
        }
        let bin = (((lufs - FLOOR_LUFS) / BIN_LU) as usize).min(BINS - 1);
        self.counts[bin] += 1;
        self.energy[bin] += energy;
        self.total_count += 1;
        self.total_energy += energy;
    }

    fn bin_of(lufs: f64) -> usize {
        if lufs <= FLOOR_LUFS {
            0
        } else {
            (((lufs - FLOOR_LUFS) / BIN_LU) as usize).min(BINS - 1)
        }
    }

    /// Mean loudness of a bin's values.
    fn bin_mean_lufs(&self, bin: usize) -> f64 {
        energy_to_lufs(self.energy[bin] / self.counts[bin] as f64)
    }

    /// The first bin whose values are above `threshold_lufs` (the bin holding the threshold is
    /// included when its mean is above it).
    fn first_bin_above(&self, threshold_lufs: f64) -> usize {
        let b = Self::bin_of(threshold_lufs);
        if self.counts[b] > 0 && self.bin_mean_lufs(b) > threshold_lufs {
            b
        } else {
            b + 1
        }
    }

    /// Mean loudness of all kept values (the absolute-gated loudness), `-inf` if none.
    pub fn mean_lufs(&self) -> f64 {
        if self.total_count == 0 {
            f64::NEG_INFINITY
        } else {
            energy_to_lufs(self.total_energy / self.total_count as f64)
        }
    }

    /// BS.1770 integrated loudness: mean of the values above `mean - gate_lu`.
    pub fn gated_mean_lufs(&self, gate_lu: f64) -> f64 {
        if self.total_count == 0 {
            return f64::NEG_INFINITY;
        }
        let threshold = self.mean_lufs() - gate_lu;
        let first = self.first_bin_above(threshold);
        let (mut n, mut e) = (0u64, 0.0f64);
        for b in first..BINS {
            n += self.counts[b];
            e += self.energy[b];
        }
        if n == 0 {
            f64::NEG_INFINITY
        } else {
            energy_to_lufs(e / n as f64)
        }
    }

    /// EBU Tech 3342 loudness range: P95 - P10 of the values above `mean - gate_lu`, with
    /// `P(p) = sorted[round((n - 1) p + 1)]` (1-based). 0 when fewer than two values remain.
    pub fn loudness_range_lu(&self, gate_lu: f64) -> f64 {
        if self.total_count == 0 {
            return 0.0;
        }
        let threshold = self.mean_lufs() - gate_lu;
        let first = self.first_bin_above(threshold);
        let n: u64 = self.counts[first.min(BINS)..].iter().sum();
        if n < 2 {
            return 0.0;
        }
        let percentile = |p: f64| -> f64 {
            // 1-based rank of the order statistic.
            let rank = (((n - 1) as f64) * p + 1.0).round() as u64;
            let mut seen = 0u64;
            for b in first..BINS {
                seen += self.counts[b];
                if seen >= rank {
                    return self.bin_mean_lufs(b);
                }
            }
            self.bin_mean_lufs(BINS - 1)
        };
        (percentile(0.95) - percentile(0.10)).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The stored energies above the absolute floor and above `gate_lu` below their mean:
    /// exact BS.1770 / EBU Tech 3342 gating.
    fn exact_gate(values: &[f64], gate_lu: f64) -> Vec<f64> {
        let kept: Vec<f64> = values
            .iter()
            .copied()
            .filter(|&e| energy_to_lufs(e) >= FLOOR_LUFS)
            .collect();
        let mean = kept.iter().sum::<f64>() / kept.len() as f64;
        let threshold = energy_to_lufs(mean) - gate_lu;
        kept.into_iter()
            .filter(|&e| energy_to_lufs(e) > threshold)
            .collect()
    }

    /// Exact BS.1770 gating over stored values.
    fn exact_gated(values: &[f64], gate_lu: f64) -> f64 {
        let gated = exact_gate(values, gate_lu);
        energy_to_lufs(gated.iter().sum::<f64>() / gated.len() as f64)
    }

    /// Exact EBU Tech 3342 LRA over stored values.
    fn exact_lra(values: &[f64], gate_lu: f64) -> f64 {
        let mut l: Vec<f64> = exact_gate(values, gate_lu)
            .into_iter()
            .map(energy_to_lufs)
            .collect();
        l.sort_by(f64::total_cmp);
        let n = l.len();
        let p = |q: f64| l[(((n - 1) as f64) * q + 1.0).round() as usize - 1];
        p(0.95) - p(0.10)
    }

    #[test]
    fn histogram_is_within_its_stated_bound_of_exact_gating() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        for trial in 0..40 {
            let n = rng.random_range(10..5000);
            let centre = rng.random_range(-60.0..0.0);
            let spread = rng.random_range(0.5..25.0);
            let values: Vec<f64> = (0..n)
                .map(|_| lufs_to_energy(centre + rng.random_range(-spread..spread)))
                .collect();
            let mut h = GatingHistogram::new();
            for &v in &values {
                h.add(v);
            }
            // The stated bound: exact for some gate within one bin of the true one.
            let range = |f: &dyn Fn(f64) -> f64, gate: f64| {
                let v: Vec<f64> = [gate - BIN_LU, gate, gate + BIN_LU]
                    .iter()
                    .map(|&g| f(g))
                    .collect();
                (
                    v.iter().copied().fold(f64::INFINITY, f64::min),
                    v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                )
            };
            let (lo, hi) = range(&|g| exact_gated(&values, g), 10.0);
            let got = h.gated_mean_lufs(10.0);
            assert!(
                got >= lo - 1e-9 && got <= hi + 1e-9,
                "trial {trial}: integrated {got} outside exact [{lo}, {hi}]"
            );
            let (lo, hi) = range(&|g| exact_lra(&values, g), 20.0);
            let got = h.loudness_range_lu(20.0);
            assert!(
                got >= lo - 0.02 && got <= hi + 0.02,
                "trial {trial}: LRA {got} outside exact [{lo}, {hi}] +- 0.02"
            );
        }
    }

    #[test]
    fn identical_values_are_exact() {
        let mut h = GatingHistogram::new();
        for _ in 0..100 {
            h.add(lufs_to_energy(-23.456));
        }
        assert!((h.gated_mean_lufs(10.0) - -23.456).abs() < 1e-9);
        assert_eq!(h.loudness_range_lu(20.0), 0.0);
    }

    #[test]
    fn values_below_the_absolute_gate_are_dropped() {
        let mut h = GatingHistogram::new();
        h.add(lufs_to_energy(-80.0));
        h.add(0.0);
        assert!(h.is_empty());
        assert_eq!(h.gated_mean_lufs(10.0), f64::NEG_INFINITY);
    }
}
