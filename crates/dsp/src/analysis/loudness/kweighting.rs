//! K-weighting filter of ITU-R BS.1770-5 for any sample rate.
//!
//! The two stages (a high shelf modelling the head, and the RLB high-pass) are designed by the
//! bilinear transform from the analog parameters below, which reproduce the 48 kHz coefficients
//! printed in BS.1770 (checked in the tests) and give the same filter at every other rate. The
//! parameters are those derived by Brecht De Man for libebur128/pyloudnorm from the published
//! 48 kHz coefficients.

use crate::primitives::biquad::BiquadCoefficients;

/// Shelf centre frequency, Hz.
const SHELF_F0_HZ: f64 = 1681.974450955533;
/// Shelf gain, dB.
const SHELF_GAIN_DB: f64 = 3.999843853973347;
/// Shelf quality factor.
const SHELF_Q: f64 = 0.7071752369554196;
/// Exponent giving the shelf's band gain Vb from its high-frequency gain Vh.
const SHELF_VB_EXPONENT: f64 = 0.4996667741545416;
/// High-pass corner frequency, Hz.
const HIGHPASS_F0_HZ: f64 = 38.13547087602444;
/// High-pass quality factor.
const HIGHPASS_Q: f64 = 0.5003270373238773;

/// Stage 1: the high shelf.
pub fn shelf(sample_rate_hz: f64) -> BiquadCoefficients {
    let k = (std::f64::consts::PI * SHELF_F0_HZ / sample_rate_hz).tan();
    let vh = 10f64.powf(SHELF_GAIN_DB / 20.0);
    let vb = vh.powf(SHELF_VB_EXPONENT);
    let a0 = 1.0 + k / SHELF_Q + k * k;
    BiquadCoefficients {
        b0: (vh + vb * k / SHELF_Q + k * k) / a0,
        b1: 2.0 * (k * k - vh) / a0,
        b2: (vh - vb * k / SHELF_Q + k * k) / a0,
        a1: 2.0 * (k * k - 1.0) / a0,
        a2: (1.0 - k / SHELF_Q + k * k) / a0,
    }
}

/// Stage 2: the RLB high-pass (numerator 1, -2, 1 as in BS.1770).
pub fn highpass(sample_rate_hz: f64) -> BiquadCoefficients {
    let k = (std::f64::consts::PI * HIGHPASS_F0_HZ / sample_rate_hz).tan();
    let a0 = 1.0 + k / HIGHPASS_Q + k * k;
    BiquadCoefficients {
        b0: 1.0,
        b1: -2.0,
        b2: 1.0,
        a1: 2.0 * (k * k - 1.0) / a0,
        a2: (1.0 - k / HIGHPASS_Q + k * k) / a0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduces_the_bs1770_48k_table() {
        let s = shelf(48_000.0);
        let expected = [
            1.53512485958697,
            -2.69169618940638,
            1.19839281085285,
            -1.69065929318241,
            0.73248077421585,
        ];
        let got = [s.b0, s.b1, s.b2, s.a1, s.a2];
        for (g, e) in got.iter().zip(expected) {
            assert!((g - e).abs() < 1e-11, "shelf {g} vs {e}");
        }
        let h = highpass(48_000.0);
        assert_eq!((h.b0, h.b1, h.b2), (1.0, -2.0, 1.0));
        assert!((h.a1 - -1.99004745483398).abs() < 1e-11, "{}", h.a1);
        assert!((h.a2 - 0.99007225036621).abs() < 1e-11, "{}", h.a2);
    }

    #[test]
    fn response_is_the_same_curve_at_every_rate() {
        // The bilinear transform warps frequencies near Nyquist; well below it, every rate must
        // give the 48 kHz curve.
        for sr in [44_100.0, 88_200.0, 96_000.0, 192_000.0] {
            for f in [20.0, 38.0, 100.0, 1000.0, 1681.0, 5000.0] {
                let reference = shelf(48_000.0).magnitude_db(f, 48_000.0)
                    + highpass(48_000.0).magnitude_db(f, 48_000.0);
                let got = shelf(sr).magnitude_db(f, sr) + highpass(sr).magnitude_db(f, sr);
                assert!(
                    (got - reference).abs() < 0.05,
                    "{sr} Hz at {f} Hz: {got} vs {reference}"
                );
            }
        }
        // The shelf's +4 dB plateau at high frequency.
        let sr = 96_000.0;
        let hf = shelf(sr).magnitude_db(15_000.0, sr);
        assert!((hf - 4.0).abs() < 0.1, "{hf}");
    }
}
