//! A split-band de-esser: a Linkwitz-Riley (4th-order) crossover takes the sibilant band above
//! the split frequency, the gain computer (Giannoulis et al., JAES 60(6), 2012) limits that
//! band's level, and only the band is turned down (`out = low + g * high`, computed as
//! `allpass + (g - 1) * high`, since the two LR4 bands sum to the crossover's allpass).

use super::curve::GainComputer;
use super::detector::*;
use crate::chains::MAX_CHANNELS;
use crate::filters::crossover::mirror_allpass;
use crate::filters::design::bilinear_butterworth;
use crate::math::{fast_db, fast_gain, fast_max};
use crate::primitives::biquad::tick_pair;

/// De-esser settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeEsserSettings {
    /// Split frequency, Hz (2-12 kHz): the band above it is the sibilance.
    pub freq_hz: f32,
    /// Level of the sibilant band above which it is reduced, dBFS.
    pub threshold_db: f32,
    /// Most reduction, dB.
    pub range_db: f32,
    /// Output only the sibilant band (to tune the frequency).
    pub listen: bool,
}

impl Default for DeEsserSettings {
    fn default() -> Self {
        Self {
            freq_hz: 6000.0,
            threshold_db: -30.0,
            range_db: 12.0,
            listen: false,
        }
    }
}

/// De-esser attack and release time constants, ms.
const DEESS_ATTACK_MS: f32 = 0.5;
const DEESS_RELEASE_MS: f32 = 60.0;
/// De-esser ratio and knee: close to a limiter on the band, softly.
const DEESS_RATIO: f32 = 10.0;
const DEESS_KNEE_DB: f32 = 6.0;

/// A split-band de-esser.
#[derive(Debug, Clone)]
pub struct DeEsser {
    settings: DeEsserSettings,
    sample_rate_hz: f64,
    /// Linkwitz-Riley split: two Butterworth high-passes give the band; the rest is the
    /// crossover's allpass (what the two LR4 outputs sum to) minus the band, so one allpass
    /// section replaces the two low-passes.
    high: [KeyFilter; 2],
    allpass: KeyFilter,
    curve: GainComputer,
    /// Below this band peak (linear) the curve does nothing: no dB conversion needed.
    knee_start_lin: f32,
    attack: f32,
    release: f32,
    reduction_db: f32,
    max_reduction_db: f32,
    grid: FlushGrid,
    /// Per-pass buffer of each channel's band, kept so that a pass need not clear it.
    band: Box<PassBuffers>,
}

impl DeEsser {
    /// A de-esser at `sample_rate_hz` with default settings.
    pub fn new(sample_rate_hz: f64) -> Self {
        let mut d = Self {
            settings: DeEsserSettings::default(),
            sample_rate_hz,
            high: [KeyFilter::OFF; 2],
            allpass: KeyFilter::OFF,
            curve: GainComputer {
                threshold_db: 0.0,
                ratio: DEESS_RATIO,
                knee_db: DEESS_KNEE_DB,
            },
            knee_start_lin: 0.0,
            attack: 0.0,
            release: 0.0,
            reduction_db: 0.0,
            max_reduction_db: 0.0,
            grid: FlushGrid::START,
            band: Box::new([[0.0; PASS_SAMPLES]; MAX_CHANNELS]),
        };
        d.apply();
        d
    }

    fn apply(&mut self) {
        let sr = self.sample_rate_hz;
        let f = self.settings.freq_hz.max(20.0) as f64;
        let hp = bilinear_butterworth(true, f, sr);
        for k in &mut self.high {
            k.set_coefficients(hp);
        }
        // LP^2 + HP^2 = D~/D for the Butterworth denominator D (s^2 + sqrt 2 s + 1) and its
        // mirror D~ (s^2 - sqrt 2 s + 1), see crate::filters::crossover.
        self.allpass.set_coefficients(mirror_allpass(&hp));
        self.curve.threshold_db = self.settings.threshold_db;
        self.knee_start_lin = from_db(self.curve.knee_start_db());
        self.attack = time_coefficient(DEESS_ATTACK_MS, sr);
        self.release = time_coefficient(DEESS_RELEASE_MS, sr);
    }

    /// Deepest reduction (dB) since the last call; resets it.
    pub fn take_max_reduction_db(&mut self) -> f32 {
        std::mem::take(&mut self.max_reduction_db)
    }

    fn process_pass(&mut self, main: &mut [&mut [f32]], start: usize, n: usize, channels: usize) {
        // Pass 1: the split. The band goes to `band`, the allpassed input replaces `main`.
        let band = &mut *self.band;
        let mut peak = [0.0f32; PASS_SAMPLES];
        let peak = &mut peak[..n];
        let [h1, h2] = &mut self.high;
        let ap = &mut self.allpass;
        let mut ch = 0;
        while ch < channels {
            if ch + 1 < channels {
                let (hc1, hc2, ac) = (h1.c, h2.c, ap.c);
                let (mut sh1, mut sh2) = (h1.pair_state(ch), h2.pair_state(ch));
                let mut sa = ap.pair_state(ch);
                let (ma, mb) = main.split_at_mut(ch + 1);
                let (xa, xb) = (&mut ma[ch][start..start + n], &mut mb[0][start..start + n]);
                let (ba, bb) = band.split_at_mut(ch + 1);
                let (ba, bb) = (&mut ba[ch][..n], &mut bb[0][..n]);
                for (j, p) in peak.iter_mut().enumerate() {
                    let x = [xa[j] as f64, xb[j] as f64];
                    let hi = tick_pair(&hc2, &mut sh2, tick_pair(&hc1, &mut sh1, x));
                    let all = tick_pair(&ac, &mut sa, x);
                    xa[j] = all[0] as f32;
                    xb[j] = all[1] as f32;
                    let (b0, b1) = (hi[0] as f32, hi[1] as f32);
                    ba[j] = b0;
                    bb[j] = b1;
                    *p = fast_max(*p, fast_max(b0.abs(), b1.abs()));
                }
                h1.set_pair_state(ch, sh1);
                h2.set_pair_state(ch, sh2);
                ap.set_pair_state(ch, sa);
                ch += 2;
            } else {
                let x = &mut main[ch][start..start + n];
                for ((v, b), p) in x.iter_mut().zip(band[ch].iter_mut()).zip(peak.iter_mut()) {
                    *b = h2.tick(ch, h1.tick(ch, *v));
                    *v = ap.tick(ch, *v);
                    *p = fast_max(*p, b.abs());
                }
                ch += 1;
            }
        }
        // Pass 2: the reduction each sample's band peak asks for (nothing below the knee).
        let range = self.settings.range_db.max(0.0);
        let knee = self.knee_start_lin;
        let mut reduction = [0.0f32; PASS_SAMPLES];
        let reduction = &mut reduction[..n];
        for (r, &p) in reduction.iter_mut().zip(peak.iter()) {
            let target = self
                .curve
                .reduction_db(fast_db(fast_max(p, 1e-10)))
                .min(range);
            *r = if p > knee { target } else { 0.0 };
        }
        // Pass 3: attack and release.
        let mut r = self.reduction_db;
        let attack_faster = self.attack <= self.release;
        let mut max_red = self.max_reduction_db;
        for v in reduction.iter_mut() {
            let target = *v;
            r = smooth_step(r, target, self.attack, self.release, attack_faster);
            if r < 1e-6 {
                r = 0.0;
            }
            max_red = fast_max(max_red, r);
            *v = r;
        }
        self.reduction_db = r;
        self.max_reduction_db = max_red;
        // Passes 4 and 5: dB to gain, and the sum: low + g * band = allpass + (g - 1) * band
        // (exactly the allpassed input without reduction).
        for v in reduction.iter_mut() {
            *v = fast_gain(-*v) - 1.0;
        }
        let listen = self.settings.listen;
        for (x, b) in main.iter_mut().zip(band.iter()).take(channels) {
            let x = &mut x[start..start + n];
            if listen {
                x.copy_from_slice(&b[..n]);
            } else {
                for ((y, &b), &g) in x.iter_mut().zip(&b[..n]).zip(reduction.iter()) {
                    *y += g * b;
                }
            }
        }
    }
}

impl Passes for DeEsser {
    fn grid(&mut self) -> &mut FlushGrid {
        &mut self.grid
    }

    fn flush(&mut self) {
        for k in self.high.iter_mut().chain([&mut self.allpass]) {
            k.flush();
        }
    }
}

impl crate::Block for DeEsser {
    type Settings = DeEsserSettings;

    lazy_coefficients!(DeEsserSettings);

    /// Clears state.
    fn reset(&mut self) {
        for k in self.high.iter_mut().chain([&mut self.allpass]) {
            k.reset();
        }
        self.reduction_db = 0.0;
        self.max_reduction_db = 0.0;
        self.grid = FlushGrid::START;
    }

    /// De-esses `main` in place: `out = low + g * high` (a Linkwitz-Riley split sums to an
    /// allpass, so with no reduction the magnitude response is flat).
    ///
    /// In passes: the split (two channels side by side) and the band's peak across channels,
    /// the gain computer (vectorised), the smoothing (serial), dB to gain (vectorised), and the
    /// sum.
    fn process(&mut self, main: &mut [&mut [f32]]) {
        run_passes(self, main, Self::process_pass);
    }
}
