//! A three-band stereo imager with bass mono, in mid/side.
//!
//! The side `S = (L - R) / 2` is split at two [Linkwitz-Riley 4th-order
//! crossovers](crate::filters::crossover) into low, mid and high bands and each band's width
//! scales its side; bass mono removes the side below its frequency with a Linkwitz-Riley
//! 8th-order (48 dB/oct) high-pass. The mid `M = (L + R) / 2` runs through the same allpasses
//! the bands sum to, so it stays in phase with the side: `L = M' + S'`, `R = M' - S'`. The
//! approach of iZotope Ozone's Imager and of LSP's multiband stereo tools: widths per band,
//! the mono image untouched.
//!
//! Zero latency: the split is minimum phase. At 100 % in every band and bass mono off the
//! bands sum to an allpass of the input (flat magnitude, phase turned around the crossovers);
//! the channel strip then switches the imager out, so that setting is the input bit for bit.
//! With `w` the band widths, the side is
//! `AP_high(w_low * low_1 + w_mid * high_1) + (w_high - w_mid) * high_2`, where `low_1`,
//! `high_1` are the first split's bands and `high_2` the second split's high band of
//! `high_1`: one allpass carries both lower bands.

use crate::filters::convolution::linear_phase_fir;
use crate::filters::crossover::{Lr4, Lr8};
use crate::filters::linear_phase::{LinearDesign, LinearPhase, delay_taps};
use crate::primitives::biquad::BiquadLanes;
use crate::primitives::gain::SmoothedGain;

/// Ramp time of width changes, ms.
const WIDTH_RAMP_MS: f32 = 20.0;

/// Imager settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImagerSettings {
    /// Crossover between the low and mid bands, Hz.
    pub xover_low_hz: f32,
    /// Crossover between the mid and high bands, Hz.
    pub xover_high_hz: f32,
    /// Width of the low band, 0..=2 (1 = unchanged, 0 = mono).
    pub width_low: f32,
    /// Width of the mid band.
    pub width_mid: f32,
    /// Width of the high band.
    pub width_high: f32,
    /// Remove the side below `bass_mono_hz`.
    pub bass_mono: bool,
    /// Bass mono corner, Hz (-6 dB; 48 dB/oct below).
    pub bass_mono_hz: f32,
}

impl Default for ImagerSettings {
    fn default() -> Self {
        Self {
            xover_low_hz: 200.0,
            xover_high_hz: 4000.0,
            width_low: 1.0,
            width_mid: 1.0,
            width_high: 1.0,
            bass_mono: false,
            bass_mono_hz: 120.0,
        }
    }
}

impl ImagerSettings {
    /// Whether these settings change nothing but the phase (every width 100 %, no bass mono).
    pub fn is_neutral(&self) -> bool {
        self.width_low == 1.0 && self.width_mid == 1.0 && self.width_high == 1.0 && !self.bass_mono
    }
}

/// The designed crossovers for one set of frequencies (for the analytic response), packed as
/// the pipeline's lanes run them.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Design {
    low: Lr4,
    high: Lr4,
    bass: Lr8,
    /// Bass mono's first pass, `[HP_1 | AP_1 | HP_2 | AP_2]` on `[side | mid]` of two samples.
    bass_first: BiquadLanes<4>,
    /// The bass high band's second pass, `[HP_1 | HP_2]` on two samples.
    bass_second: BiquadLanes<2>,
    /// A split's two steps, `[HP | AP | HP | AP]`: the low split, then the high one.
    splits: [BiquadLanes<4>; 2],
}

impl Design {
    fn new(s: &ImagerSettings, sample_rate_hz: f64) -> Self {
        let low = Lr4::new(s.xover_low_hz as f64, sample_rate_hz);
        let high = Lr4::new(s.xover_high_hz as f64, sample_rate_hz);
        let bass = Lr8::new(s.bass_mono_hz as f64, sample_rate_hz);
        let (hp, ap) = (|k| bass.high_section(k), |k| bass.allpass_section(k));
        let twice = |x: &Lr4| {
            let (hp, ap) = (x.high_section(0), x.allpass_section(0));
            BiquadLanes::new([hp, ap, hp, ap])
        };
        Self {
            low,
            high,
            bass,
            bass_first: BiquadLanes::new([hp(0), ap(0), hp(1), ap(1)]),
            bass_second: BiquadLanes::new([hp(0), hp(1)]),
            splits: [twice(&low), twice(&high)],
        }
    }
}

/// Filter state of the mid and side paths (each crossover's allpass runs on the mid beside
/// the side's filters of the same crossover), lane by lane as [`Design`] packs them.
#[derive(Debug, Clone, Copy, Default)]
struct State {
    bass_first: [[f64; 4]; 2],
    bass_second: [[f64; 2]; 2],
    splits: [[[f64; 4]; 2]; 2],
}

/// The imager block. Stereo only: a mono block passes unchanged.
#[derive(Debug, Clone)]
pub struct Imager {
    settings: ImagerSettings,
    sample_rate_hz: f64,
    design: Design,
    state: State,
    widths: [SmoothedGain; 3],
}

impl Imager {
    /// An imager at `sample_rate_hz` with default (neutral) settings.
    pub fn new(sample_rate_hz: f64) -> Self {
        let settings = ImagerSettings::default();
        Self {
            settings,
            sample_rate_hz,
            design: Design::new(&settings, sample_rate_hz),
            state: State::default(),
            widths: std::array::from_fn(|_| SmoothedGain::new(sample_rate_hz, WIDTH_RAMP_MS)),
        }
    }

    fn set_width_targets(&mut self) {
        let s = &self.settings;
        for (w, target) in self
            .widths
            .iter_mut()
            .zip([s.width_low, s.width_mid, s.width_high])
        {
            w.set_target(target.clamp(0.0, 2.0));
        }
    }

    /// The side's gain at `freq_hz` (analytic, the settings' target widths), dB: the sum of the
    /// bands each scaled by its width, after bass mono. The mid's gain is 0 dB everywhere.
    pub fn side_magnitude_db(&self, freq_hz: f64) -> f64 {
        let s = &self.settings;
        let sr = self.sample_rate_hz;
        let d = &self.design;
        let mul = |a: (f64, f64), b: (f64, f64)| (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0);
        let scale = |a: (f64, f64), g: f32| (a.0 * g as f64, a.1 * g as f64);
        let add = |a: (f64, f64), b: (f64, f64)| (a.0 + b.0, a.1 + b.1);
        let (low1, high1) = d.low.response(freq_hz, sr);
        let (mid2, high2) = d.high.response(freq_hz, sr);
        let ap_high = d.high.allpass_response(freq_hz, sr);
        let bands = add(
            add(
                scale(mul(low1, ap_high), s.width_low),
                scale(mul(high1, mid2), s.width_mid),
            ),
            scale(mul(high1, high2), s.width_high),
        );
        let side = if s.bass_mono {
            mul(bands, d.bass.response(freq_hz, sr).1)
        } else {
            bands
        };
        10.0 * (side.0 * side.0 + side.1 * side.1).max(1e-30).log10()
    }
}

impl crate::Block for Imager {
    type Settings = ImagerSettings;

    /// Redesigns the crossovers for a new rate and jumps the widths to their targets.
    fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.sample_rate_hz = sample_rate_hz;
        self.design = Design::new(&self.settings, sample_rate_hz);
        for w in &mut self.widths {
            w.set_sample_rate(sample_rate_hz);
        }
    }

    /// Applies settings: crossovers redesigned only when a frequency changed, widths ramped.
    fn set_settings(&mut self, settings: &ImagerSettings) {
        if *settings == self.settings {
            return;
        }
        let s = *settings;
        let old = self.settings;
        self.settings = s;
        if (s.xover_low_hz, s.xover_high_hz, s.bass_mono_hz)
            != (old.xover_low_hz, old.xover_high_hz, old.bass_mono_hz)
        {
            self.design = Design::new(&s, self.sample_rate_hz);
        }
        if s.bass_mono && !old.bass_mono {
            // The bass-mono path starts clean rather than from a stale tail.
            self.state.bass_first = Default::default();
            self.state.bass_second = Default::default();
        }
        self.set_width_targets();
    }

    /// Clears the filters and jumps the widths to their targets.
    fn reset(&mut self) {
        self.state = State::default();
        for w in &mut self.widths {
            w.snap();
        }
    }

    /// Processes a stereo block in place (channels beyond the first two, and mono blocks, are
    /// left alone).
    fn process(&mut self, main: &mut [&mut [f32]]) {
        let [l, r, ..] = main else {
            return;
        };
        run_block(self, l, r);
    }
}

avx_dispatch! {
    /// One stereo block through the imager's sample loop (four lanes per SIMD step with AVX).
    fn run_block(imager: &mut Imager, l: &mut [f32], r: &mut [f32]) = run_specialised;
}

/// [`Imager::run`] specialised for this block's bass mono and ramps.
#[inline(always)]
fn run_specialised(imager: &mut Imager, l: &mut [f32], r: &mut [f32]) {
    let ramping = imager.widths.iter().any(SmoothedGain::is_ramping);
    match (imager.settings.bass_mono, ramping) {
        (false, false) => imager.run::<false, false>(l, r),
        (false, true) => imager.run::<false, true>(l, r),
        (true, false) => imager.run::<true, false>(l, r),
        (true, true) => imager.run::<true, true>(l, r),
    }
}

/// What a pipelined block keeps in flight between its steps: each stage's output for the
/// stage after it (see [`Imager::step`]).
#[derive(Clone, Copy, Default)]
struct InFlight {
    /// Bass mono's first section pair on the newest sample: `[side, mid]`.
    bass_1: [f64; 2],
    /// Its second section pair's side, one sample older.
    bass_2: f64,
    /// The second pass's first section, one sample older again.
    bass_3: f64,
    /// The bass-mono side (the second pass done), the next sample for the splits.
    bass_side: f64,
    /// The bass-mono mid of the last three samples, newest first (it waits for its side).
    bass_mid: [f64; 3],
    /// The low split's first step: `[half of the high band, allpass of the side]`.
    low_1: [f64; 2],
    /// The mid going into the low split's second step.
    mid: f64,
    /// The high split's first-step input: `[high band 1, allpassed-to-be lower bands]`.
    high_in: [f64; 2],
    /// The mid after the low split, of the last two samples, newest first.
    mid_1: [f64; 2],
    /// The high split's first step: `[half of high band 2, the lower bands allpassed]`.
    high_1: [f64; 2],
    /// `w_high - w_mid` of the last two samples through the low split, newest first.
    high_minus_mid: [f64; 2],
}

impl Imager {
    /// The sample loop, specialised for bass mono and for moving widths: a software pipeline.
    /// Each filter section of the side depends on the one before it, so one sample's path is
    /// a long chain of dependent operations; step `t` runs every stage at once, stage `d` on
    /// sample `t - d`, so the stages of one step are independent of each other (and run as
    /// four SIMD steps of four lanes). Every section sees the samples in the order and with
    /// the arithmetic of a sample-by-sample loop, so the output is the same to the bit; the
    /// first and last steps of a block run only the stages that have a sample.
    #[inline(always)]
    fn run<const BASS_MONO: bool, const RAMPING: bool>(&mut self, l: &mut [f32], r: &mut [f32]) {
        let n = l.len().min(r.len());
        let depth = if BASS_MONO { 8 } else { 4 };
        let mut gains = self.widths.each_ref().map(|w| f64::from(w.target()));
        let mut flight = InFlight::default();
        let full = (depth - 1).min(n)..n;
        for t in 0..full.start {
            self.step::<BASS_MONO, RAMPING, false>(t, l, r, &mut flight, &mut gains);
        }
        for t in full.clone() {
            self.step::<BASS_MONO, RAMPING, true>(t, l, r, &mut flight, &mut gains);
        }
        for t in full.end.max(full.start)..n + depth - 1 {
            self.step::<BASS_MONO, RAMPING, false>(t, l, r, &mut flight, &mut gains);
        }
    }

    /// Step `t` of [`Imager::run`]'s pipeline. With bass mono the stages are: 1-2 its first
    /// pass on side and mid, 3-4 its second pass on the side; then (stages 1-4 without it)
    /// the low split's two steps and the high split's two. `FULL`: every stage has a sample.
    #[inline(always)]
    fn step<const BASS_MONO: bool, const RAMPING: bool, const FULL: bool>(
        &mut self,
        t: usize,
        l: &mut [f32],
        r: &mut [f32],
        f: &mut InFlight,
        gains: &mut [f64; 3],
    ) {
        let n = l.len().min(r.len()) as isize;
        let has = |stage: usize| FULL || (0..n).contains(&(t as isize - stage as isize));
        let d = &self.design;
        let st = &mut self.state;
        // A step of two stages, two lanes each (`has` is `true` throughout when `FULL`).
        let tick4 = |c: &BiquadLanes<4>, s: &mut [[f64; 4]; 2], x, on: [bool; 2]| {
            c.tick_some(s, x, [on[0], on[0], on[1], on[1]])
        };
        let input = || {
            let (xl, xr) = (l[t] as f64, r[t] as f64);
            (0.5 * (xl - xr), 0.5 * (xl + xr))
        };
        // The side and mid going into the low split, and the splits' first stage.
        let (split_in, s0) = if BASS_MONO {
            let (side, mid) = if has(0) { input() } else { (0.0, 0.0) };
            let y = tick4(
                &d.bass_first,
                &mut st.bass_first,
                [side, mid, f.bass_1[0], f.bass_1[1]],
                [has(0), has(1)],
            );
            let z = d.bass_second.tick_some(
                &mut st.bass_second,
                [f.bass_2, f.bass_3],
                [has(2), has(3)],
            );
            let next = (f.bass_side, f.bass_mid[2]);
            f.bass_1 = [y[0], y[1]];
            f.bass_2 = y[2];
            f.bass_3 = z[0];
            f.bass_side = z[1];
            f.bass_mid = [y[3], f.bass_mid[0], f.bass_mid[1]];
            (next, 4)
        } else if has(0) {
            (input(), 0)
        } else {
            ((0.0, 0.0), 0)
        };
        let (side, mid) = split_in;
        // The low split: its first step on this sample, its second on the one before.
        let y = tick4(
            &d.splits[0],
            &mut st.splits[0],
            [side, side, f.low_1[0], f.mid],
            [has(s0), has(s0 + 1)],
        );
        let (high1, mid1) = (y[2], y[3]);
        let low1 = f.low_1[1] - high1;
        if RAMPING && has(s0 + 1) {
            let [wl, wm, wh] = &mut self.widths;
            *gains = [wl.next_gain(), wm.next_gain(), wh.next_gain()].map(f64::from);
        }
        let [gl, gm, gh] = *gains;
        let lower_in = gl * low1 + gm * high1;
        // The high split: its first step two samples back, its second three.
        let z = tick4(
            &d.splits[1],
            &mut st.splits[1],
            [f.high_in[0], f.high_in[1], f.high_1[0], f.mid_1[1]],
            [has(s0 + 2), has(s0 + 3)],
        );
        let (high2, mid2) = (z[2], z[3]);
        let side_out = f.high_1[1] + f.high_minus_mid[1] * high2;
        f.low_1 = [y[0], y[1]];
        f.mid = mid;
        f.high_in = [high1, lower_in];
        f.mid_1 = [mid1, f.mid_1[0]];
        f.high_1 = [z[0], z[1]];
        f.high_minus_mid = [gh - gm, f.high_minus_mid[0]];
        let out = s0 + 3;
        if has(out) {
            let k = t - out;
            l[k] = (mid2 + side_out) as f32;
            r[k] = (mid2 - side_out) as f32;
        }
    }
}

/// The imager in linear phase (the strip's `eq_phase = Linear`): the same band widths and bass
/// mono as zero-phase weights on the side, `w_low a_1 + (1 - a_1) (w_mid a_2 + w_high
/// (1 - a_2))` times bass mono's `|HP|`, where `a_k` is the magnitude of crossover `k`'s
/// Linkwitz-Riley low band (the zero-phase LR4 bands sum to exactly 1) and `|HP|` the LR8
/// high-pass magnitude: one linear-phase FIR on the side, the mid a pure delay
/// ([`crate::filters::linear_phase`]). The EQ's FIR length (16 384 taps at 44.1 and 48 kHz,
/// latency 8192): half of it leaves bass mono at 20 Hz 38 dB down an octave below, short of
/// the 40 dB it must reach. Switched off or neutral it is an exact delay.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LinearImagerSettings {
    /// Whether the imager is on.
    pub enabled: bool,
    /// Its settings.
    pub imager: ImagerSettings,
}

/// The side's zero-phase gain at `freq_hz` (linear) for `s` with its crossovers `d`.
fn linear_side_gain(s: &ImagerSettings, d: &Design, freq_hz: f64, sample_rate_hz: f64) -> f64 {
    let norm = |c: (f64, f64)| (c.0 * c.0 + c.1 * c.1).sqrt();
    let a1 = norm(d.low.response(freq_hz, sample_rate_hz).0);
    let a2 = norm(d.high.response(freq_hz, sample_rate_hz).0);
    let bands = s.width_low as f64 * a1
        + (1.0 - a1) * (s.width_mid as f64 * a2 + s.width_high as f64 * (1.0 - a2));
    if s.bass_mono {
        bands * norm(d.bass.response(freq_hz, sample_rate_hz).1)
    } else {
        bands
    }
}

impl LinearDesign for LinearImagerSettings {
    fn taps(sample_rate_hz: f64) -> usize {
        crate::filters::linear_eq::fir_taps(sample_rate_hz)
    }

    fn design(&self, sample_rate_hz: f64) -> (Vec<f32>, Option<Vec<f32>>) {
        let taps = Self::taps(sample_rate_hz);
        // The crossovers once, not per frequency of the grid.
        let d = Design::new(&self.imager, sample_rate_hz);
        let side = linear_phase_fir(
            taps,
            1,
            LINEAR_TAPER,
            |f| linear_side_gain(&self.imager, &d, f, sample_rate_hz),
            sample_rate_hz,
        );
        (delay_taps(taps), Some(side))
    }

    fn is_delay(&self) -> bool {
        !self.enabled || self.imager.is_neutral()
    }

    const MID_IS_DELAY: bool = true;
    const IDLE_WHEN_DELAY: bool = true;
}

/// The window tapers of the linear imager's FIR (see
/// [`linear_phase_fir`]): narrower than the EQ's, for the bass mono's steep 48 dB/oct slope
/// (at 20 Hz: 46 dB down an octave below and 77 dB two octaves below; with the EQ's 0.5, the
/// smoothing leaves 67 dB two octaves below).
const LINEAR_TAPER: f64 = 0.3;

/// The linear-phase imager (a [`Block`](crate::Block)).
pub type LinearImager = LinearPhase<LinearImagerSettings>;
