//! Multiband compression: the signal split into two to four bands by Linkwitz-Riley 4th-order
//! crossovers (S. H. Linkwitz, "Active crossover networks for noncoincident drivers", JAES
//! 24(1), 1976), each band compressed by the suite's one compressor
//! ([`crate::dynamics::Compressor`]), the bands summed back (the multiband compressors of
//! FabFilter Pro-MB and LSP).
//!
//! Minimum phase, zero latency: a tree of splits, the lowest first; every band below a split
//! it does not pass through gets that split's allpass (allpass compensation, as in
//! [`crate::filters::crossover`]), so every band carries the same phase and, uncompressed,
//! they sum to one allpass of the input: flat magnitude. A key (the external sidechain) is
//! split by the same crossovers, so each band is keyed by its own band of the key.
//!
//! Linear phase ([`MultibandPhase::Linear`]): the bands come from linear-phase FIR
//! crossovers ([`crate::filters::linear_crossover`]) with the same band magnitudes; they sum to
//! the input delayed by half the FIR length (the latency, about 170 ms), and a moving crossover
//! cross-fades its kernels instead of gliding. A phase change switches at once (the latency
//! changes, so the host restarts the plugin).
//!
//! Crossover frequencies are kept in order and at least a third of an octave apart
//! ([`ordered_crossovers`]) however they are set, and glide there (every 16 samples a step
//! with a [`crate::filters::eq::GLIDE_MS`] time constant) so automation does not click. Solo and
//! bypass of a band cross-fade over 10 ms. The update grid counts samples from the last
//! reset, so the output does not depend on how the host cuts blocks.

use crate::Block;
use crate::dynamics::{Compressor, CompressorSettings};
use crate::filters::crossover::{Lr4, SplitPairState};
use crate::filters::eq::{GLIDE_MS, UPDATE_SAMPLES};
use crate::filters::linear_crossover::{CrossoverLowpass, LinearLowpass, crossover_latency};
use crate::filters::linear_phase::Designer;
use crate::primitives::crossfade::Crossfade;
use crate::primitives::delay::DelayLine;
use crate::primitives::gain::SmoothedGain;

/// Most bands.
pub const MAX_BANDS: usize = 4;
/// Crossovers of the most bands.
pub const MAX_CROSSOVERS: usize = MAX_BANDS - 1;
/// Lowest and highest crossover frequency, Hz.
pub const CROSSOVER_RANGE_HZ: (f32, f32) = (20.0, 20_000.0);
/// Least distance between neighbouring crossovers, octaves.
pub const MIN_SPACING_OCTAVES: f64 = 1.0 / 3.0;
/// Channels the bands are split for (the bus compressor is stereo; more pass through).
const CHANNELS: usize = 2;
/// Samples between crossover updates while they glide (half the EQ's [`UPDATE_SAMPLES`]: a
/// tone under a sweeping crossover kept its junk above 8 kHz at -79 dB with 32).
const UPDATE: usize = UPDATE_SAMPLES / 2;
/// Samples per internal chunk (the band buffers; each band's compressor runs a chunk at once).
const CHUNK: usize = 256;
/// Cross-fade of solo and bypass, ms.
const SWITCH_MS: f64 = 10.0;

/// One band's allpass-compensation states, one per crossover.
type AllpassStates = [[[[f64; 2]; 2]; 1]; MAX_CROSSOVERS];

/// How the bands are split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MultibandPhase {
    /// Linkwitz-Riley crossovers with allpass compensation: zero latency, the sum an allpass of
    /// the input.
    #[default]
    Minimum,
    /// Linear-phase FIR crossovers: the sum is the input delayed by the latency.
    Linear,
}

/// One band's settings.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BandSettings {
    /// The band's compressor.
    pub compressor: CompressorSettings,
    /// Play the soloed bands only.
    pub solo: bool,
    /// Pass the band without gain reduction.
    pub bypass: bool,
}

/// Settings of the multiband compressor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MultibandSettings {
    /// Number of bands, 2..=[`MAX_BANDS`].
    pub bands: usize,
    /// Crossover frequencies, Hz, lowest first (the first `bands - 1` are used).
    pub crossovers_hz: [f32; MAX_CROSSOVERS],
    /// The bands, lowest first.
    pub band: [BandSettings; MAX_BANDS],
    /// Output what each audible band's compression removes (its band minus its compressed
    /// band) instead of the bands: delta listen, per band when bands are soloed.
    pub delta: bool,
    /// Minimum-phase or linear-phase crossovers.
    pub phase: MultibandPhase,
}

impl Default for MultibandSettings {
    /// Three bands at 120 Hz and 1 kHz (the third crossover, 6 kHz, waits for a fourth band).
    fn default() -> Self {
        Self {
            bands: 3,
            crossovers_hz: [120.0, 1000.0, 6000.0],
            band: [BandSettings::default(); MAX_BANDS],
            delta: false,
            phase: MultibandPhase::Minimum,
        }
    }
}

/// The crossovers `settings` ask for, in order, inside [`CROSSOVER_RANGE_HZ`] and at least
/// [`MIN_SPACING_OCTAVES`] apart (the lower ones give way first when they crowd the top).
/// Only the first `bands - 1` are meaningful.
pub fn ordered_crossovers(
    bands: usize,
    crossovers_hz: &[f32; MAX_CROSSOVERS],
) -> [f64; MAX_CROSSOVERS] {
    let n = bands.clamp(2, MAX_BANDS) - 1;
    let step = 2f64.powf(MIN_SPACING_OCTAVES);
    let (lo, hi) = (CROSSOVER_RANGE_HZ.0 as f64, CROSSOVER_RANGE_HZ.1 as f64);
    let mut f = crossovers_hz.map(|x| if x.is_finite() { x as f64 } else { lo });
    for (k, fk) in f.iter_mut().enumerate().take(n) {
        // Room for the ones below and above.
        let min = lo * step.powi(k as i32);
        let max = hi / step.powi((n - 1 - k) as i32);
        *fk = fk.clamp(min, max);
    }
    for k in 1..n {
        f[k] = f[k].max(f[k - 1] * step);
    }
    for k in (0..n.saturating_sub(1)).rev() {
        f[k] = f[k].min(f[k + 1] / step);
    }
    f
}

/// The bands' shapes for a set of settings, for drawing and tests: the crossovers designed once
/// (ordered as [`ordered_crossovers`] does), each band's magnitude then at any frequency: the
/// same in both phase modes.
#[derive(Debug, Clone)]
pub struct BandShapes {
    splits: [Lr4; MAX_CROSSOVERS],
    bands: usize,
    sample_rate_hz: f64,
}

impl BandShapes {
    /// The shapes of `bands` bands split at `crossovers_hz` at `sample_rate_hz`.
    pub fn new(bands: usize, crossovers_hz: &[f32; MAX_CROSSOVERS], sample_rate_hz: f64) -> Self {
        let bands = bands.clamp(2, MAX_BANDS);
        Self {
            splits: ordered_crossovers(bands, crossovers_hz).map(|f| Lr4::new(f, sample_rate_hz)),
            bands,
            sample_rate_hz,
        }
    }

    /// The magnitude of band `band` alone (uncompressed) at `freq_hz`.
    pub fn magnitude(&self, band: usize, freq_hz: f64) -> f64 {
        let splits = &self.splits[..self.bands - 1];
        let (re, im) = band_response_of(splits, band, freq_hz, self.sample_rate_hz);
        re.hypot(im)
    }
}

/// Band `band`'s complex response through the minimum-phase tree of `splits`.
fn band_response_of(splits: &[Lr4], band: usize, freq_hz: f64, sr: f64) -> (f64, f64) {
    let mul = |a: (f64, f64), b: (f64, f64)| (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0);
    let mut h = (1.0, 0.0);
    for (k, split) in splits.iter().enumerate() {
        let (low, high) = split.response(freq_hz, sr);
        h = match band {
            b if b == k => mul(h, low),
            b if b > k => mul(h, high),
            _ => mul(h, split.allpass_response(freq_hz, sr)),
        };
    }
    h
}

/// A multiband compressor (a [`Block`]). See the [module documentation](self).
pub struct Multiband {
    sample_rate_hz: f64,
    settings: MultibandSettings,
    /// The crossovers as they glide, and where they are going.
    current_hz: [f64; MAX_CROSSOVERS],
    target_hz: [f64; MAX_CROSSOVERS],
    glide: f64,
    splits: [Lr4; MAX_CROSSOVERS],
    /// Split states, both channels side by side: [signal or key][crossover], and the allpass
    /// compensation states [signal or key][band][crossover].
    split_states: [[SplitPairState<1>; MAX_CROSSOVERS]; 2],
    allpass_states: [[AllpassStates; MAX_BANDS]; 2],
    compressors: [Compressor; MAX_BANDS],
    bypass: [Crossfade; MAX_BANDS],
    solo_gain: [SmoothedGain; MAX_BANDS],
    /// Band buffers: [band][channel][sample], for the signal, its uncompressed copy and the key.
    bands: Box<[[[f32; CHUNK]; CHANNELS]; MAX_BANDS]>,
    dry: Box<[[[f32; CHUNK]; CHANNELS]; MAX_BANDS]>,
    keys: Box<[[[f32; CHUNK]; CHANNELS]; MAX_BANDS]>,
    /// The linear-phase crossovers.
    linear: Box<LinearSplit>,
    /// Samples since the last reset, modulo [`UPDATE`].
    phase: usize,
    fresh: bool,
}

/// Zeros: the right channel of a mono signal.
const ZEROS: [f32; CHUNK] = [0.0; CHUNK];

/// The linear-phase crossovers of the signal and of the key: a low-pass per crossover and the
/// input delayed exactly (the top band is the delayed input minus the last low-pass).
struct LinearSplit {
    /// [signal or key][crossover].
    lows: [[LinearLowpass; MAX_CROSSOVERS]; 2],
    delays: [DelayLine; 2],
    lowpassed: Box<[[[f32; CHUNK]; CHANNELS]; MAX_CROSSOVERS]>,
    delayed: Box<[[f32; CHUNK]; CHANNELS]>,
}

impl LinearSplit {
    fn new(sample_rate_hz: f64) -> Self {
        let latency = crossover_latency(sample_rate_hz) as usize;
        Self {
            lows: std::array::from_fn(|_| {
                std::array::from_fn(|_| LinearLowpass::new(CHANNELS, sample_rate_hz))
            }),
            delays: std::array::from_fn(|_| Self::delay(latency)),
            lowpassed: Box::new([[[0.0; CHUNK]; CHANNELS]; MAX_CROSSOVERS]),
            delayed: Box::new([[0.0; CHUNK]; CHANNELS]),
        }
    }

    fn delay(samples: usize) -> DelayLine {
        let mut d = DelayLine::new(CHANNELS, samples);
        d.set_delay(samples);
        d
    }

    fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        for low in self.lows.iter_mut().flatten() {
            low.set_sample_rate(sample_rate_hz);
        }
        let latency = crossover_latency(sample_rate_hz) as usize;
        self.delays = std::array::from_fn(|_| Self::delay(latency));
    }

    fn reset(&mut self) {
        for low in self.lows.iter_mut().flatten() {
            low.reset();
        }
        for d in &mut self.delays {
            d.reset();
        }
    }

    /// Splits `src` (both channels, one chunk) of the signal (`which` = 0) or the key (1) into
    /// `n` bands in `out`.
    fn split(
        &mut self,
        which: usize,
        src: [&[f32]; CHANNELS],
        n: usize,
        out: &mut [[[f32; CHUNK]; CHANNELS]; MAX_BANDS],
    ) {
        let m = src[0].len();
        for (d, s) in self.delayed.iter_mut().zip(src) {
            d[..m].copy_from_slice(s);
        }
        let [d0, d1] = &mut *self.delayed;
        self.delays[which].process(&mut [&mut d0[..m], &mut d1[..m]]);
        for (low, buf) in self.lows[which]
            .iter_mut()
            .zip(&mut *self.lowpassed)
            .take(n - 1)
        {
            for (b, s) in buf.iter_mut().zip(src) {
                b[..m].copy_from_slice(s);
            }
            let [a, b] = buf;
            low.process(&mut [&mut a[..m], &mut b[..m]]);
        }
        // Band b is the low-pass up to crossover b minus the one below it: the sum telescopes
        // to the delayed input.
        for ch in 0..CHANNELS {
            let delayed = &self.delayed[ch][..m];
            let mut below: &[f32] = &ZEROS[..m];
            for (b, band) in out.iter_mut().enumerate().take(n) {
                let up_to = if b + 1 < n {
                    &self.lowpassed[b][ch][..m]
                } else {
                    delayed
                };
                for ((o, &u), &l) in band[ch][..m].iter_mut().zip(up_to).zip(below) {
                    *o = u - l;
                }
                below = up_to;
            }
        }
    }
}

debug_summary!(Multiband, |m| "bands": m.settings.bands, "crossovers_hz": m.current_hz);

impl Multiband {
    /// A multiband compressor at `sample_rate_hz` with default settings.
    pub fn new(sample_rate_hz: f64) -> Self {
        let start = ordered_crossovers(3, &MultibandSettings::default().crossovers_hz);
        let mut m = Self {
            sample_rate_hz,
            settings: MultibandSettings::default(),
            current_hz: start,
            target_hz: start,
            glide: 0.0,
            splits: start.map(|f| Lr4::new(f, sample_rate_hz)),
            split_states: Default::default(),
            allpass_states: Default::default(),
            compressors: std::array::from_fn(|_| Compressor::new(sample_rate_hz)),
            bypass: std::array::from_fn(|_| Crossfade::new(SWITCH_MS, sample_rate_hz)),
            solo_gain: std::array::from_fn(|_| SmoothedGain::new(sample_rate_hz, SWITCH_MS as f32)),
            bands: Box::new([[[0.0; CHUNK]; CHANNELS]; MAX_BANDS]),
            dry: Box::new([[[0.0; CHUNK]; CHANNELS]; MAX_BANDS]),
            keys: Box::new([[[0.0; CHUNK]; CHANNELS]; MAX_BANDS]),
            linear: Box::new(LinearSplit::new(sample_rate_hz)),
            phase: 0,
            fresh: true,
        };
        m.set_sample_rate(sample_rate_hz);
        m
    }

    /// The number of bands in use.
    pub fn band_count(&self) -> usize {
        self.settings.bands.clamp(2, MAX_BANDS)
    }

    /// The crossovers in use now (gliding towards the settings'), Hz.
    pub fn crossovers_hz(&self) -> &[f64] {
        &self.current_hz[..self.band_count() - 1]
    }

    /// The deepest gain reduction of any band since the last call, dB; resets them all.
    pub fn take_max_reduction_db(&mut self) -> f32 {
        self.take_band_reductions_db()
            .into_iter()
            .fold(0.0, f32::max)
    }

    /// The deepest gain reduction of each band since the last call, dB (0 for bands not in
    /// use); resets them.
    pub fn take_band_reductions_db(&mut self) -> [f32; MAX_BANDS] {
        let n = self.band_count();
        let mut out = [0.0; MAX_BANDS];
        for (b, (o, c)) in out.iter_mut().zip(&mut self.compressors).enumerate() {
            let db = c.take_max_reduction_db();
            if b < n {
                *o = db;
            }
        }
        out
    }

    /// The current gain reduction of the most reduced band, dB.
    pub fn reduction_db(&self) -> f32 {
        self.compressors[..self.band_count()]
            .iter()
            .map(Compressor::reduction_db)
            .fold(0.0, f32::max)
    }

    /// Band `band`'s compressor (gain reduction readouts, its settings).
    pub fn compressor_mut(&mut self, band: usize) -> &mut Compressor {
        &mut self.compressors[band.min(MAX_BANDS - 1)]
    }

    /// The analytic complex response of band `band` alone (uncompressed) at `freq_hz`, as
    /// (re, im): its low-pass and high-pass parts times the allpasses it is compensated by. In
    /// linear phase, the same magnitude with the phase of the latency taken out (real).
    pub fn band_response(&self, band: usize, freq_hz: f64) -> (f64, f64) {
        let h = self.minimum_band_response(band, freq_hz);
        if self.is_linear() {
            (h.0.hypot(h.1), 0.0)
        } else {
            h
        }
    }

    /// Whether the bands come from the linear-phase crossovers.
    pub fn is_linear(&self) -> bool {
        self.settings.phase == MultibandPhase::Linear
    }

    /// Designs the linear-phase crossovers' kernels on threads of their own from now on (call
    /// from `activate`: spawns them once and designs the current kernels at once). Offline,
    /// without them, kernels are designed inline when the settings change.
    pub fn attach_designers(&mut self) -> std::io::Result<()> {
        for low in self.linear.lows.iter_mut().flatten() {
            if low.has_designer() {
                low.settle();
            } else {
                low.attach(Designer::spawn()?);
            }
        }
        Ok(())
    }

    fn minimum_band_response(&self, band: usize, freq_hz: f64) -> (f64, f64) {
        let n = self.band_count();
        band_response_of(&self.splits[..n - 1], band, freq_hz, self.sample_rate_hz)
    }

    fn redesign(&mut self) {
        for (split, &f) in self.splits.iter_mut().zip(&self.current_hz) {
            *split = Lr4::new(f, self.sample_rate_hz);
        }
    }

    /// One glide step of the crossovers (at the update grid).
    fn glide_step(&mut self) {
        if self.current_hz == self.target_hz {
            return;
        }
        for (c, &t) in self.current_hz.iter_mut().zip(&self.target_hz) {
            let ratio = t / *c;
            *c = if (ratio - 1.0).abs() < 1e-4 {
                t
            } else {
                *c * ratio.powf(self.glide)
            };
        }
        self.redesign();
    }

    /// Splits `x` (both channels of the signal, `which` = 0, or of the key, 1) into the band
    /// buffers at sample `i`.
    #[inline(always)]
    fn split_sample(&mut self, which: usize, i: usize, x: [f64; 2], n: usize) {
        let mut rest = x;
        let mut band = [[0.0f64; 2]; MAX_BANDS];
        let states = &mut self.split_states[which];
        for ((b, split), state) in band.iter_mut().zip(&self.splits).zip(states).take(n - 1) {
            let (low, high) = split.split_pair(state, rest);
            *b = low;
            rest = high;
        }
        band[n - 1] = rest;
        // Compensation: band b passes the allpass of every split above its own.
        for (b, value) in band.iter_mut().enumerate().take(n - 1) {
            for k in b + 1..n - 1 {
                let st = &mut self.allpass_states[which][b][k];
                *value = self.splits[k].allpass_two(st, *value);
            }
        }
        let out = if which == 0 {
            &mut self.bands
        } else {
            &mut self.keys
        };
        for (o, v) in out.iter_mut().zip(&band).take(n) {
            o[0][i] = v[0] as f32;
            o[1][i] = v[1] as f32;
        }
    }
}

impl Block for Multiband {
    type Settings = MultibandSettings;

    /// Redesigns the crossovers and the compressors for a new rate.
    fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.sample_rate_hz = sample_rate_hz;
        // A step per update towards the target, with a GLIDE_MS time constant.
        self.glide = 1.0 - (-(UPDATE as f64) / (GLIDE_MS * 1e-3 * sample_rate_hz)).exp();
        for c in &mut self.compressors {
            c.set_sample_rate(sample_rate_hz);
        }
        for (x, g) in self.bypass.iter_mut().zip(&mut self.solo_gain) {
            x.set_sample_rate(sample_rate_hz);
            g.set_sample_rate(sample_rate_hz);
        }
        self.linear.set_sample_rate(sample_rate_hz);
        self.redesign();
    }

    /// Applies settings: crossovers glide to their ordered targets, compressors take theirs.
    fn set_settings(&mut self, settings: &MultibandSettings) {
        let n = settings.bands.clamp(2, MAX_BANDS);
        if n != self.band_count() || settings.phase != self.settings.phase {
            // Another tree: start its filters clean (the host hears a switch of layout).
            self.split_states = Default::default();
            self.allpass_states = Default::default();
            self.linear.reset();
        }
        self.settings = *settings;
        self.target_hz = ordered_crossovers(n, &settings.crossovers_hz);
        let linear = self.is_linear();
        if linear {
            // Kernels cross-fade instead of gliding.
            self.current_hz = self.target_hz;
        }
        let [signal, key] = &mut self.linear.lows;
        for (k, pair) in signal.iter_mut().zip(key).enumerate().take(n - 1) {
            // With designer threads the kernels are kept up to date in either mode (so a
            // switch to linear finds them ready); offline they are designed when used.
            if linear || pair.0.has_designer() {
                // Only the crossovers it includes: the others moving leave it alone.
                let mut crossovers_hz = [0.0; MAX_CROSSOVERS];
                crossovers_hz[..=k].copy_from_slice(&self.target_hz[..=k]);
                let design = CrossoverLowpass {
                    crossovers_hz,
                    count: k + 1,
                };
                pair.0.set_settings(&design);
                pair.1.set_settings(&design);
            }
        }
        let any_solo = settings.band[..n].iter().any(|b| b.solo);
        for b in 0..MAX_BANDS {
            let band = &settings.band[b];
            self.compressors[b].set_settings(&band.compressor);
            // The cross-fade's "on" is the compressed signal.
            self.bypass[b].set(!band.bypass);
            let audible = b < n && (!any_solo || band.solo);
            self.solo_gain[b].set_target(if audible { 1.0 } else { 0.0 });
        }
        if self.fresh {
            self.current_hz = self.target_hz;
            self.redesign();
            for (x, g) in self.bypass.iter_mut().zip(&mut self.solo_gain) {
                x.snap();
                g.snap();
            }
        }
    }

    /// Clears every filter and detector; the crossovers jump to their targets.
    fn reset(&mut self) {
        self.split_states = Default::default();
        self.allpass_states = Default::default();
        self.linear.reset();
        for c in &mut self.compressors {
            c.reset();
        }
        self.current_hz = self.target_hz;
        self.redesign();
        for (x, g) in self.bypass.iter_mut().zip(&mut self.solo_gain) {
            x.snap();
            g.snap();
        }
        self.phase = 0;
        self.fresh = true;
    }

    /// Half the linear-phase crossovers' FIR length in linear phase, else none.
    fn latency(&self) -> u32 {
        if self.is_linear() {
            crossover_latency(self.sample_rate_hz)
        } else {
            0
        }
    }

    /// Compresses a block in place, each band keyed by itself.
    fn process(&mut self, main: &mut [&mut [f32]]) {
        self.process_keyed(main, None);
    }
}

impl Multiband {
    /// Compresses `main` in place; with `key` (the external sidechain) each band is keyed by
    /// the same band of the key (a key with fewer channels is reused cyclically).
    pub fn process_keyed(&mut self, main: &mut [&mut [f32]], key: Option<&[&[f32]]>) {
        self.fresh = false;
        let len = main.first().map_or(0, |c| c.len());
        let channels = main.len().min(CHANNELS);
        let n = self.band_count();
        let mut done = 0;
        while done < len {
            let m = CHUNK.min(len - done);
            let at = |ch: &[f32], i: usize| ch.get(done + i).map_or(0.0, |&v| v as f64);
            let key = key.filter(|k| !k.is_empty());
            if self.is_linear() {
                let right = main.get(1).map_or(&ZEROS[..m], |r| &r[done..done + m]);
                self.linear
                    .split(0, [&main[0][done..done + m], right], n, &mut self.bands);
                if let Some(key) = key {
                    let (k0, k1) = (key[0], key[1 % key.len()]);
                    let (k0, k1) = (k0.get(done..done + m), k1.get(done..done + m));
                    if let (Some(k0), Some(k1)) = (k0, k1) {
                        self.linear.split(1, [k0, k1], n, &mut self.keys);
                    }
                }
                self.phase = (self.phase + m) % UPDATE;
            }
            let per_sample = if self.is_linear() { 0 } else { m };
            for i in 0..per_sample {
                // The signal and the key see the same coefficients at every sample.
                if self.phase == 0 {
                    self.glide_step();
                }
                let x = [at(&main[0][..], i), main.get(1).map_or(0.0, |r| at(r, i))];
                self.split_sample(0, i, x, n);
                if let Some(key) = key {
                    let (k0, k1) = (key[0], key[1 % key.len()]);
                    self.split_sample(1, i, [at(k0, i), at(k1, i)], n);
                }
                self.phase = (self.phase + 1) % UPDATE;
            }
            for b in 0..n {
                for ch in 0..channels {
                    self.dry[b][ch][..m].copy_from_slice(&self.bands[b][ch][..m]);
                }
                let [c0, c1] = &mut self.bands[b];
                let mut signal: [&mut [f32]; CHANNELS] = [&mut c0[..m], &mut c1[..m]];
                let [k0, k1] = &self.keys[b];
                let band_key: [&[f32]; CHANNELS] = [&k0[..m], &k1[..m]];
                let keyed = key
                    .is_some_and(|k| !k.is_empty())
                    .then_some(&band_key[..channels]);
                self.compressors[b].process_keyed(&mut signal[..channels], keyed);
                let dry: [&[f32]; CHANNELS] = [&self.dry[b][0][..m], &self.dry[b][1][..m]];
                self.bypass[b].blend(&mut signal[..channels], &dry[..channels]);
                if self.settings.delta {
                    for (y, d) in signal.iter_mut().zip(&dry).take(channels) {
                        for (y, &d) in y.iter_mut().zip(d.iter()) {
                            *y = d - *y;
                        }
                    }
                }
                self.solo_gain[b].apply(&mut signal[..channels]);
            }
            for (ch, out) in main.iter_mut().enumerate().take(channels) {
                let out = &mut out[done..done + m];
                out.fill(0.0);
                for band in &self.bands[..n] {
                    for (o, &v) in out.iter_mut().zip(&band[ch][..m]) {
                        *o += v;
                    }
                }
            }
            done += m;
        }
    }
}
