//! The static gain computer of D. Giannoulis, M. Massberg and J. D. Reiss, "Digital Dynamic
//! Range Compressor Design — A Tutorial and Analysis", JAES 60(6), 2012, eq. 4: threshold,
//! ratio and a quadratic soft knee, in dB.

/// The static curve: threshold, ratio and a quadratic soft knee (Giannoulis et al., eq. 4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GainComputer {
    /// Threshold, dBFS.
    pub threshold_db: f32,
    /// Ratio (1 = no compression).
    pub ratio: f32,
    /// Knee width, dB (0 = hard knee).
    pub knee_db: f32,
}

impl GainComputer {
    /// Output level (dB) for an input level (dB).
    #[inline]
    pub fn output_db(&self, x: f32) -> f32 {
        let over = x - self.threshold_db;
        let slope = 1.0 / self.ratio - 1.0;
        if 2.0 * over < -self.knee_db {
            x
        } else if self.knee_db > 0.0 && 2.0 * over.abs() <= self.knee_db {
            let k = over + 0.5 * self.knee_db;
            x + slope * k * k / (2.0 * self.knee_db)
        } else {
            self.threshold_db + over / self.ratio
        }
    }

    /// Gain reduction (dB, >= 0) for an input level (dB).
    #[inline]
    pub fn reduction_db(&self, x: f32) -> f32 {
        x - self.output_db(x)
    }

    /// Level (dB) below which the curve is the identity.
    pub fn knee_start_db(&self) -> f32 {
        self.threshold_db - 0.5 * self.knee_db
    }
}
