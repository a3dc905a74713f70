//! Phase correlation and balance of a stereo signal, the readings of a correlation meter
//! (IEC 60268-18 describes the instrument; the integration follows the common 300-400 ms
//! "phase meter" ballistics, here an exponential average with a 350 ms time constant).
//!
//! Correlation is `E[L R] / sqrt(E[L^2] E[R^2])`: +1 for mono, 0 for unrelated channels, -1
//! for one channel inverted; a mix that folds down to mono without cancelling reads above 0.
//! Balance is `10 log10(E[L^2] / E[R^2])` dB (positive: louder on the left). The averages are
//! one-pole low-passes of the products, in `f64`, sample by sample, so the readings do not
//! depend on the block size.

/// Integration time constant, ms.
pub const INTEGRATION_MS: f64 = 350.0;

/// Below this mean power (about -100 dBFS) the meter shows no correlation (silence is
/// neither in phase nor out of phase).
const SILENCE_POWER: f64 = 1e-10;

/// A running correlation and balance meter for one stereo pair.
#[derive(Debug, Clone)]
pub struct CorrelationMeter {
    coefficient: f64,
    lr: f64,
    ll: f64,
    rr: f64,
}

impl CorrelationMeter {
    /// A meter at `sample_rate_hz`, reading silence.
    pub fn new(sample_rate_hz: f64) -> Self {
        Self {
            coefficient: 1.0 - crate::math::one_pole_pole(INTEGRATION_MS, sample_rate_hz),
            lr: 0.0,
            ll: 0.0,
            rr: 0.0,
        }
    }

    /// Forgets the signal.
    pub fn reset(&mut self) {
        (self.lr, self.ll, self.rr) = (0.0, 0.0, 0.0);
    }

    /// Feeds a block of the left and right channels.
    pub fn process(&mut self, left: &[f32], right: &[f32]) {
        let a = self.coefficient;
        let (mut lr, mut ll, mut rr) = (self.lr, self.ll, self.rr);
        for (&l, &r) in left.iter().zip(right) {
            let (l, r) = (l as f64, r as f64);
            lr += a * (l * r - lr);
            ll += a * (l * l - ll);
            rr += a * (r * r - rr);
        }
        (self.lr, self.ll, self.rr) = (lr, ll, rr);
    }

    /// The correlation, -1 to +1 (0 while either channel is silent: nothing to compare).
    pub fn correlation(&self) -> f64 {
        if self.ll < SILENCE_POWER || self.rr < SILENCE_POWER {
            return 0.0;
        }
        (self.lr / (self.ll * self.rr).sqrt()).clamp(-1.0, 1.0)
    }

    /// Left over right power, dB (0 while silent; clamped to +-60 dB).
    pub fn balance_db(&self) -> f64 {
        if self.ll.max(self.rr) < SILENCE_POWER {
            return 0.0;
        }
        let ratio = (self.ll + 1e-30) / (self.rr + 1e-30);
        (10.0 * ratio.log10()).clamp(-60.0, 60.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(n: usize, seed: u64) -> Vec<f32> {
        crate::analysis::reference::shaped_noise(n, 48_000.0, seed, 0.1, |_| 0.0)
    }

    #[test]
    fn mono_reads_plus_one_inverted_minus_one_unrelated_about_zero() {
        let sr = 48_000.0;
        let a = noise(48_000, 1);
        let b = noise(48_000, 2);
        let inverted: Vec<f32> = a.iter().map(|v| -v).collect();
        let half: Vec<f32> = a.iter().map(|v| 0.5 * v).collect();
        for (right, want, balance) in [(&a, 1.0, 0.0), (&inverted, -1.0, 0.0), (&half, 1.0, 6.02)] {
            let mut m = CorrelationMeter::new(sr);
            m.process(&a, right);
            assert!((m.correlation() - want).abs() < 1e-9, "{}", m.correlation());
            assert!(
                (m.balance_db() - balance).abs() < 0.01,
                "{}",
                m.balance_db()
            );
        }
        let mut m = CorrelationMeter::new(sr);
        m.process(&a, &b);
        assert!(m.correlation().abs() < 0.1, "{}", m.correlation());
        let mut silent = CorrelationMeter::new(sr);
        silent.process(&a, &vec![0.0; a.len()]);
        assert_eq!(silent.correlation(), 0.0);
    }

    #[test]
    fn it_integrates_over_350_ms_in_any_block_size() {
        let sr = 48_000.0;
        let a = noise(144_000, 3);
        let inverted: Vec<f32> = a.iter().map(|v| -v).collect();
        // One second in phase, then out of phase: after one time constant the reading has
        // moved most of the way, after three it is nearly there.
        let reading_after = |ms: f64, block: usize| {
            let mut m = CorrelationMeter::new(sr);
            m.process(&a[..48_000], &a[..48_000]);
            let n = (ms * 48.0) as usize;
            for s in (48_000..48_000 + n).step_by(block) {
                let e = (s + block).min(48_000 + n);
                m.process(&a[s..e], &inverted[s..e]);
            }
            m.correlation()
        };
        assert!(reading_after(100.0, 512) > 0.0, "too fast");
        assert!(reading_after(1050.0, 512) < -0.8, "too slow");
        assert_eq!(reading_after(400.0, 1), reading_after(400.0, 777));
    }
}
