//! Linear-phase crossovers: the multiband compressor's `Linear` phase mode
//! ([`crate::dynamics::multiband`]). Each band is the difference of two linear-phase low-passes
//! (the lowest band the first low-pass, the highest the delayed input minus the last), so the
//! bands sum to the input delayed by half the FIR length, whatever the kernels are (the sum
//! telescopes), while each low-pass fades to a new kernel on its own.
//!
//! The low-pass up to crossover `k` has the zero-phase magnitude `1 - |H_0| |H_1| ... |H_k|`,
//! `H_j` the Linkwitz-Riley 4th-order high-pass at crossover `j` (S. H. Linkwitz, JAES 24(1),
//! 1976; digital, as [`Lr4`] is). Since `|L_j| + |H_j| = 1` for a Linkwitz-Riley pair, band `b`
//! then has the magnitude `|H_0| ... |H_{b-1}| |L_b|`: exactly the magnitude of the minimum-phase
//! mode's band (its allpass compensation only adds phase), so both modes compress the same
//! bands and only the phase differs. The FIRs are the window method
//! ([`linear_phase_fir`], a Tukey taper) run on [`LinearPhase`]: kernels designed off the audio
//! thread and cross-faded when a crossover moves.

use crate::filters::convolution::linear_phase_fir;
use crate::filters::crossover::Lr4;
use crate::filters::linear_phase::{LinearDesign, LinearPhase, power_of_two_taps};

/// Most crossovers one low-pass takes part of.
pub const MAX_CROSSOVERS: usize = 3;

/// Taper of the window (the fraction of each half that is tapered).
const TAPER: f64 = 0.5;

/// FIR length at `sample_rate_hz`, taps: about 170 ms (8192 taps at 44.1 and 48 kHz, 16 384 at
/// 88.2 and 96 kHz, 32 768 at 176.4 and 192 kHz).
pub fn crossover_taps(sample_rate_hz: f64) -> usize {
    power_of_two_taps(0.17, sample_rate_hz, 2048, 32_768)
}

/// The latency of the linear-phase crossovers at `sample_rate_hz`, samples.
pub fn crossover_latency(sample_rate_hz: f64) -> u32 {
    (crossover_taps(sample_rate_hz) / 2) as u32
}

/// The low-pass below crossover `count - 1` of a set of crossovers (a [`LinearDesign`]): the
/// sum of the bands below it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CrossoverLowpass {
    /// The crossovers, Hz, lowest first (ordered and spaced by the caller).
    pub crossovers_hz: [f64; MAX_CROSSOVERS],
    /// How many of them the low-pass includes (0: silence).
    pub count: usize,
}

impl CrossoverLowpass {
    fn splits(&self, sample_rate_hz: f64) -> Vec<Lr4> {
        self.crossovers_hz[..self.count.min(MAX_CROSSOVERS)]
            .iter()
            .map(|&f| Lr4::new(f, sample_rate_hz))
            .collect()
    }
}

/// `1 - |H_0| ... |H_k|` for the splits given.
fn lowpass_magnitude(splits: &[Lr4], freq_hz: f64, sample_rate_hz: f64) -> f64 {
    let highs: f64 = splits
        .iter()
        .map(|s| {
            let (_, (re, im)) = s.response(freq_hz, sample_rate_hz);
            re.hypot(im)
        })
        .product();
    1.0 - highs
}

impl LinearDesign for CrossoverLowpass {
    fn taps(sample_rate_hz: f64) -> usize {
        crossover_taps(sample_rate_hz)
    }

    fn design(&self, sample_rate_hz: f64) -> (Vec<f32>, Option<Vec<f32>>) {
        // Filters made once per kernel, not once per bin.
        let splits = self.splits(sample_rate_hz);
        let taps = linear_phase_fir(
            crossover_taps(sample_rate_hz),
            1,
            TAPER,
            |f| lowpass_magnitude(&splits, f, sample_rate_hz),
            sample_rate_hz,
        );
        (taps, None)
    }

    fn is_delay(&self) -> bool {
        false
    }
}

/// A linear-phase crossover low-pass (a [`Block`](crate::Block)): both channels of a pair
/// through the same kernel.
pub type LinearLowpass = LinearPhase<CrossoverLowpass>;
