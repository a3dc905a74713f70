//! Phase correlation and balance of a stereo signal, the readings of a correlation meter
//! (IEC 60268-18 describes the instrument; the integration follows the common 300-400 ms
//! "phase meter" ballistics, here an exponential average with a 350 ms time constant).
//!
//! Correlation is `E[L R] / sqrt(E[L^2] E[R^2])`: +1 for mono, 0 for unrelated channels, -1
//! for one channel inverted; a mix that folds down to mono without cancelling reads above 0.
//! Balance is `10 log10(E[L^2] / E[R^2])` dB (positive: louder on the left). The averages are
//! one-pole low-passes of the products, in `f64`, sample by sample, so the readings do not
//! depend on the block size.

use crate::filters::crossover::{Lr4, SplitState};

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

/// The correlation of three bands of a stereo pair, split at two frequencies by
/// Linkwitz-Riley 4th-order crossovers as the imager splits them (its per-band readings): the
/// low band, the band between, and the high band, each through its own [`CorrelationMeter`].
#[derive(Debug, Clone)]
pub struct BandCorrelation {
    sample_rate_hz: f64,
    xovers_hz: (f32, f32),
    low: Lr4,
    high: Lr4,
    /// Split states: [channel][crossover].
    states: [[SplitState<1>; 2]; 2],
    meters: [CorrelationMeter; 3],
}

/// Samples split per step (the bands are buffered this many at a time).
const BAND_CHUNK: usize = 64;

impl BandCorrelation {
    /// Meters at `sample_rate_hz` for the imager's default split (200 Hz, 4 kHz).
    pub fn new(sample_rate_hz: f64) -> Self {
        Self {
            sample_rate_hz,
            xovers_hz: (200.0, 4000.0),
            low: Lr4::new(200.0, sample_rate_hz),
            high: Lr4::new(4000.0, sample_rate_hz),
            states: Default::default(),
            meters: std::array::from_fn(|_| CorrelationMeter::new(sample_rate_hz)),
        }
    }

    /// Moves the split to `low_hz` and `high_hz` (keeps the readings).
    pub fn set_crossovers(&mut self, low_hz: f32, high_hz: f32) {
        if (low_hz, high_hz) != self.xovers_hz {
            self.xovers_hz = (low_hz, high_hz);
            self.low = Lr4::new(low_hz as f64, self.sample_rate_hz);
            self.high = Lr4::new(high_hz as f64, self.sample_rate_hz);
        }
    }

    /// Feeds a block of the left and right channels.
    pub fn process(&mut self, left: &[f32], right: &[f32]) {
        let mut bands = [[[0.0f32; BAND_CHUNK]; 2]; 3];
        for (l, r) in left.chunks(BAND_CHUNK).zip(right.chunks(BAND_CHUNK)) {
            let n = l.len().min(r.len());
            for (c, x) in [l, r].into_iter().enumerate() {
                let [s_low, s_high] = &mut self.states[c];
                for (i, &v) in x[..n].iter().enumerate() {
                    let (low, upper) = self.low.split(s_low, v as f64);
                    let (mid, high) = self.high.split(s_high, upper);
                    bands[0][c][i] = low as f32;
                    bands[1][c][i] = mid as f32;
                    bands[2][c][i] = high as f32;
                }
            }
            for (m, [bl, br]) in self.meters.iter_mut().zip(&bands) {
                m.process(&bl[..n], &br[..n]);
            }
        }
    }

    /// Forgets the signal.
    pub fn reset(&mut self) {
        self.states = Default::default();
        for m in &mut self.meters {
            m.reset();
        }
    }

    /// The correlation of the low, middle and high bands, -1 to +1 each.
    pub fn correlations(&self) -> [f64; 3] {
        std::array::from_fn(|k| self.meters[k].correlation())
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

    #[test]
    fn each_band_reads_its_own_correlation() {
        // The low band in phase (50 Hz), the high band inverted (12 kHz).
        let sr = 48_000.0;
        let n = 96_000;
        let tone =
            |f: f64, i: usize| (0.2 * (std::f64::consts::TAU * f * i as f64 / sr).sin()) as f32;
        let a = noise(n, 5);
        let b = noise(n, 6);
        let left: Vec<f32> = (0..n).map(|i| tone(50.0, i) + tone(12_000.0, i)).collect();
        let right: Vec<f32> = (0..n).map(|i| tone(50.0, i) - tone(12_000.0, i)).collect();
        let mut m = BandCorrelation::new(sr);
        m.process(&left, &right);
        let [low, _, high] = m.correlations();
        assert!(low > 0.99, "low {low}");
        assert!(high < -0.99, "high {high}");
        // Unrelated noise in the middle band only reads about 0 there.
        let (l, r): (Vec<f32>, Vec<f32>) = (0..n).map(|i| (a[i], b[i])).unzip();
        let mut m = BandCorrelation::new(sr);
        m.set_crossovers(300.0, 3_000.0);
        m.process(&l, &r);
        assert!(m.correlations()[1].abs() < 0.1, "{:?}", m.correlations());
        // Any block size gives the same readings.
        let mut k = BandCorrelation::new(sr);
        for (x, y) in left.chunks(100).zip(right.chunks(100)) {
            k.process(x, y);
        }
        let mut whole = BandCorrelation::new(sr);
        whole.process(&left, &right);
        assert_eq!(k.correlations(), whole.correlations());
    }
}
