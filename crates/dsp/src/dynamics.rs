//! Dynamics: the shared compressor, the gate and the de-esser.
//!
//! The compressor follows D. Giannoulis, M. Massberg and J. D. Reiss, "Digital Dynamic Range
//! Compressor Design — A Tutorial and Analysis", JAES 60(6), 2012:
//!
//! - level detection in the log domain (peak, or RMS over [`RMS_WINDOW_MS`]);
//! - the static gain computer with a quadratic soft knee (their eq. 4), see [`GainComputer`];
//! - the "smooth branching" peak detector applied to the gain reduction (their eq. 17, in the
//!   log domain), so attack and release are true time constants: after a step, the gain
//!   reduction covers `1 - 1/e` of its way in one attack (or release) time;
//! - make-up gain after the detector, and a dry/wet mix for parallel compression;
//! - a range (most gain reduction), and an automatic, program-dependent release in two stages
//!   as classic bus compressors have it (the "auto" release of SSL-style bus compressors): a
//!   fast stage follows the gain computer with [`AUTO_FAST_RELEASE_MS`], a slow stage charges
//!   from it over [`AUTO_SLOW_CHARGE_MS`] and releases over [`AUTO_SLOW_RELEASE_MS`]; the larger
//!   of the two is applied. A short peak barely charges the slow stage and recovers fast; a long
//!   loud passage charges it and recovers slowly, without pumping.
//!
//! The gate is a state machine (open/hold/closed) with hysteresis on a peak envelope of a
//! filtered key, gliding in dB between open and the range. The de-esser is split-band: a
//! Linkwitz-Riley (4th-order) crossover takes the sibilant band above the split frequency, the
//! gain computer limits that band's level, and only the band is turned down
//! (`out = low + g * high`, computed as `allpass + (g - 1) * high`, since the two LR4 bands
//! sum to the crossover's allpass); so everything below the split
//! passes with its level untouched.

use crate::biquad::{BiquadCoefficients, tick_pair, tick_state};
use crate::chain::MAX_CHANNELS;
use crate::filters::{Section, SectionKind, bilinear_butterworth};
use crate::util::{ROUND_MAGIC, fast_max, fast_min};

/// Averaging time of RMS detection, ms.
pub const RMS_WINDOW_MS: f32 = 10.0;
/// Level, dBFS, at which auto make-up restores the level (the EBU alignment level): a steady
/// signal at -18 dBFS comes out at -18 dBFS.
pub const AUTO_MAKEUP_REFERENCE_DB: f32 = -18.0;
/// Auto release: release of the fast stage, ms.
pub const AUTO_FAST_RELEASE_MS: f32 = 80.0;
/// Auto release: charge time of the slow stage, ms.
pub const AUTO_SLOW_CHARGE_MS: f32 = 1500.0;
/// Auto release: release of the slow stage, ms.
pub const AUTO_SLOW_RELEASE_MS: f32 = 1200.0;
/// Floor for levels in dB (silence).
const FLOOR_DB: f32 = -200.0;

/// `exp(-1 / (t fs))`: the one-pole coefficient for time constant `ms`.
pub fn time_coefficient(ms: f32, sample_rate_hz: f64) -> f32 {
    if ms <= 0.0 {
        0.0
    } else {
        (-1.0 / (ms as f64 * 1e-3 * sample_rate_hz)).exp() as f32
    }
}

/// dB per natural-log unit of amplitude: 20 / ln 10.
const DB_PER_NEPER: f32 = 20.0 / std::f32::consts::LN_10;

#[inline]
fn from_db(db: f32) -> f32 {
    // `exp` is several times cheaper than `powf`; no gain change is the common case.
    if db == 0.0 {
        1.0
    } else {
        (db * (1.0 / DB_PER_NEPER)).exp()
    }
}

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

/// How the compressor measures level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detection {
    /// Instantaneous peak.
    #[default]
    Peak,
    /// RMS over [`RMS_WINDOW_MS`].
    Rms,
}

/// Compressor settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompressorSettings {
    /// Threshold, dBFS.
    pub threshold_db: f32,
    /// Ratio, 1..=100.
    pub ratio: f32,
    /// Knee width, dB.
    pub knee_db: f32,
    /// Attack time constant, ms.
    pub attack_ms: f32,
    /// Release time constant, ms.
    pub release_ms: f32,
    /// Level detection.
    pub detection: Detection,
    /// Make-up gain, dB (added to the automatic make-up when that is on).
    pub makeup_db: f32,
    /// Automatic make-up: restores a steady signal at [`AUTO_MAKEUP_REFERENCE_DB`].
    pub auto_makeup: bool,
    /// Dry/wet mix, 0..=1 (parallel compression).
    pub mix: f32,
    /// Side-chain high-pass corner, Hz; 0 = off.
    pub sidechain_hpf_hz: f32,
    /// Stereo link, 0..=1: 1 = all channels get the same gain (from the loudest).
    pub link: f32,
    /// Most gain reduction, dB.
    pub range_db: f32,
    /// Program-dependent two-stage release instead of `release_ms`.
    pub auto_release: bool,
    /// Output the (filtered) key instead of the compressed signal, to hear what the detector
    /// hears. The detector keeps running.
    pub listen: bool,
}

impl Default for CompressorSettings {
    fn default() -> Self {
        Self {
            threshold_db: -18.0,
            ratio: 3.0,
            knee_db: 6.0,
            attack_ms: 10.0,
            release_ms: 120.0,
            detection: Detection::Peak,
            makeup_db: 0.0,
            auto_makeup: false,
            mix: 1.0,
            sidechain_hpf_hz: 0.0,
            link: 1.0,
            range_db: 96.0,
            auto_release: false,
            listen: false,
        }
    }
}

impl CompressorSettings {
    /// The static curve (without the range).
    pub fn curve(&self) -> GainComputer {
        GainComputer {
            threshold_db: self.threshold_db,
            ratio: self.ratio.max(1.0),
            knee_db: self.knee_db.max(0.0),
        }
    }

    /// Total make-up gain, dB.
    pub fn total_makeup_db(&self) -> f32 {
        let auto = if self.auto_makeup {
            self.curve()
                .reduction_db(AUTO_MAKEUP_REFERENCE_DB)
                .min(self.range_db.max(0.0))
        } else {
            0.0
        };
        auto + self.makeup_db
    }

    /// The steady-state output level (dB) for a steady input level (dB), make-up included
    /// and mix at 100 %: the transfer curve the editor draws.
    pub fn transfer_db(&self, x: f32) -> f32 {
        x - self.curve().reduction_db(x).min(self.range_db.max(0.0)) + self.total_makeup_db()
    }
}

/// Samples between flushes of decayed state; on a fixed grid so block sizes do not matter.
const FLUSH_GRID: u32 = 64;

/// Cuts processing into passes that end where decayed state is flushed. The flush points lie
/// on a fixed grid of [`FLUSH_GRID`] samples from the last reset, so block sizes do not change
/// the output.
#[derive(Debug, Clone, Copy)]
struct FlushGrid {
    /// Samples to process before the next flush.
    until: u32,
}

impl FlushGrid {
    const START: Self = Self {
        until: FLUSH_GRID - 1,
    };

    /// Whether to flush before the next pass, and that pass's length: at most `max` and
    /// `remaining`, and never across a flush point.
    #[inline]
    fn next_pass(&mut self, remaining: usize, max: usize) -> (bool, usize) {
        let flush = self.until == 0;
        if flush {
            self.until = FLUSH_GRID;
        }
        let n = remaining.min(max).min(self.until as usize);
        self.until -= n as u32;
        (flush, n)
    }
}

/// One step of a one-pole smoother towards `target` with one coefficient for rising (`rise`)
/// and one for falling (`fall`): `target + coef * (value - target)`.
///
/// Without a comparison: when rising (`value < target`) the faster of the two coefficients
/// (the smaller) gives the larger result, and when falling the slower gives the larger, so
/// with `rise <= fall` the step is the larger of the two candidates; with `rise > fall`, by the
/// same argument, the smaller. `rise_faster` is `rise <= fall`, decided once per block. The
/// recursion's critical path is then a subtract, a multiply, an add and a max, with no
/// compare-and-pick on it.
#[inline(always)]
fn smooth_step(value: f32, target: f32, rise: f32, fall: f32, rise_faster: bool) -> f32 {
    let d = value - target;
    let rising = target + rise * d;
    let falling = target + fall * d;
    if rise_faster {
        fast_max(rising, falling)
    } else {
        fast_min(rising, falling)
    }
}

/// A biquad with per-channel state, for side-chain filters.
#[derive(Debug, Clone, Copy)]
struct KeyFilter {
    c: BiquadCoefficients,
    on: bool,
    s: [[f64; 2]; MAX_CHANNELS],
}

impl KeyFilter {
    const OFF: Self = Self {
        c: BiquadCoefficients::IDENTITY,
        on: false,
        s: [[0.0; 2]; MAX_CHANNELS],
    };

    fn set_coefficients(&mut self, c: BiquadCoefficients) {
        self.c = c;
        self.on = true;
    }

    fn set(&mut self, section: Option<Section>, sample_rate_hz: f64) {
        match section {
            Some(s) => self.set_coefficients(s.design(sample_rate_hz)),
            None => self.on = false,
        }
    }

    #[inline]
    fn tick(&mut self, ch: usize, x: f32) -> f32 {
        if !self.on {
            return x;
        }
        tick_state(&self.c, &mut self.s[ch], x as f64) as f32
    }

    /// Channels `ch` and `ch + 1`'s state with the lanes side by side, for [`tick_pair`].
    #[inline]
    fn pair_state(&self, ch: usize) -> [[f64; 2]; 2] {
        let (a, b) = (self.s[ch], self.s[ch + 1]);
        [[a[0], b[0]], [a[1], b[1]]]
    }

    /// Stores what [`KeyFilter::pair_state`] returned, after filtering.
    #[inline]
    fn set_pair_state(&mut self, ch: usize, st: [[f64; 2]; 2]) {
        self.s[ch] = [st[0][0], st[1][0]];
        self.s[ch + 1] = [st[0][1], st[1][1]];
    }

    /// Filters one channel's block in place (identity when off), state in registers.
    fn run(&mut self, ch: usize, x: &mut [f32]) {
        if !self.on {
            return;
        }
        let mut st = self.s[ch];
        let c = self.c;
        for v in x.iter_mut() {
            *v = tick_state(&c, &mut st, *v as f64) as f32;
        }
        self.s[ch] = st;
    }

    /// Filters two channels' blocks in place, side by side (identity when off).
    fn run_pair(&mut self, ch: usize, a: &mut [f32], b: &mut [f32]) {
        if !self.on {
            return;
        }
        let mut st = self.pair_state(ch);
        let c = self.c;
        for (x, y) in a.iter_mut().zip(b.iter_mut()) {
            let out = tick_pair(&c, &mut st, [*x as f64, *y as f64]);
            *x = out[0] as f32;
            *y = out[1] as f32;
        }
        self.set_pair_state(ch, st);
    }

    fn reset(&mut self) {
        self.s = [[0.0; 2]; MAX_CHANNELS];
    }

    fn flush(&mut self) {
        for s in &mut self.s {
            if s[0].abs() < 1e-30 && s[1].abs() < 1e-30 {
                *s = [0.0; 2];
            }
        }
    }
}

/// A second-order Butterworth high-pass section at `hz`, or `None` for `hz <= 0`.
fn highpass_section(hz: f32) -> Option<Section> {
    let q = std::f64::consts::FRAC_1_SQRT_2;
    (hz > 0.0).then_some(Section {
        kind: SectionKind::Highpass { q },
        freq_hz: hz as f64,
    })
}

/// A second-order Butterworth low-pass section at `hz`, or `None` for `hz <= 0`.
fn lowpass_section(hz: f32) -> Option<Section> {
    let q = std::f64::consts::FRAC_1_SQRT_2;
    (hz > 0.0).then_some(Section {
        kind: SectionKind::Lowpass { q },
        freq_hz: hz as f64,
    })
}

/// The shared feed-forward compressor.
#[derive(Debug, Clone)]
pub struct Compressor {
    settings: CompressorSettings,
    curve: GainComputer,
    sample_rate_hz: f64,
    attack: f32,
    release: f32,
    rms_coefficient: f32,
    knee_start_lin: f32,
    makeup: f32,
    key_hpf: KeyFilter,
    /// Auto release coefficients: fast release, slow charge, slow release.
    auto: [f32; 3],
    /// Per channel: mean square (RMS detection), smoothed gain reduction (dB; the fast stage
    /// with auto release), the slow stage, and the reduction applied.
    mean_square: [f32; MAX_CHANNELS],
    reduction: [f32; MAX_CHANNELS],
    slow: [f32; MAX_CHANNELS],
    applied: [f32; MAX_CHANNELS],
    max_reduction_db: f32,
    grid: FlushGrid,
    /// Per-pass buffers: each channel's level (then its reduction) and filtered key. Kept
    /// here so that a pass need not clear them (every pass writes what it reads).
    levels: Box<PassBuffers>,
    keys: Box<PassBuffers>,
}

/// One pass of samples for every channel (scratch of the dynamics processors).
type PassBuffers = [[f32; PASS_SAMPLES]; MAX_CHANNELS];

impl Compressor {
    /// A compressor at `sample_rate_hz` with default settings.
    pub fn new(sample_rate_hz: f64) -> Self {
        let mut c = Self {
            settings: CompressorSettings::default(),
            curve: CompressorSettings::default().curve(),
            sample_rate_hz,
            attack: 0.0,
            release: 0.0,
            rms_coefficient: 0.0,
            knee_start_lin: 0.0,
            makeup: 1.0,
            key_hpf: KeyFilter::OFF,
            auto: [0.0; 3],
            mean_square: [0.0; MAX_CHANNELS],
            reduction: [0.0; MAX_CHANNELS],
            slow: [0.0; MAX_CHANNELS],
            applied: [0.0; MAX_CHANNELS],
            max_reduction_db: 0.0,
            grid: FlushGrid::START,
            levels: Box::new([[0.0; PASS_SAMPLES]; MAX_CHANNELS]),
            keys: Box::new([[0.0; PASS_SAMPLES]; MAX_CHANNELS]),
        };
        c.apply();
        c
    }

    /// Recomputes time constants and filters for a new rate.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.sample_rate_hz = sample_rate_hz;
        self.apply();
    }

    /// Applies settings.
    pub fn set_settings(&mut self, settings: &CompressorSettings) {
        if *settings != self.settings {
            self.settings = *settings;
            self.apply();
        }
    }

    fn apply(&mut self) {
        let s = &self.settings;
        let sr = self.sample_rate_hz;
        self.curve = s.curve();
        self.attack = time_coefficient(s.attack_ms, sr);
        self.release = time_coefficient(s.release_ms, sr);
        self.rms_coefficient = time_coefficient(RMS_WINDOW_MS, sr);
        self.auto = [
            time_coefficient(AUTO_FAST_RELEASE_MS, sr),
            time_coefficient(AUTO_SLOW_CHARGE_MS, sr),
            time_coefficient(AUTO_SLOW_RELEASE_MS, sr),
        ];
        self.knee_start_lin = from_db(self.curve.knee_start_db());
        self.makeup = from_db(s.total_makeup_db());
        self.key_hpf.set(highpass_section(s.sidechain_hpf_hz), sr);
    }

    /// Clears detector and filter state.
    pub fn reset(&mut self) {
        self.mean_square = [0.0; MAX_CHANNELS];
        self.reduction = [0.0; MAX_CHANNELS];
        self.slow = [0.0; MAX_CHANNELS];
        self.applied = [0.0; MAX_CHANNELS];
        self.key_hpf.reset();
        self.max_reduction_db = 0.0;
        self.grid = FlushGrid::START;
    }

    /// The settings in use.
    pub fn settings(&self) -> &CompressorSettings {
        &self.settings
    }

    /// Deepest gain reduction (dB, >= 0) since the last call; resets it.
    pub fn take_max_reduction_db(&mut self) -> f32 {
        std::mem::take(&mut self.max_reduction_db)
    }

    /// Current gain reduction of the most reduced channel, dB.
    pub fn reduction_db(&self) -> f32 {
        self.applied.iter().fold(0.0f32, |m, &r| m.max(r))
    }

    /// Compresses `main` in place, keyed by `key` (the same channels, or another signal; a
    /// key with fewer channels is reused cyclically; `None` keys from `main` itself).
    ///
    /// Works in passes over sub-blocks of [`PASS_SAMPLES`]: detection (serial: filters and RMS
    /// recursions), level to dB (vectorised), gain computer and smoothing (serial, plain
    /// arithmetic), dB to gain (vectorised), apply. Every sample sees the same arithmetic
    /// whatever the sub-block boundaries, so block sizes do not change the output.
    pub fn process(&mut self, main: &mut [&mut [f32]], key: Option<&[&[f32]]>) {
        let channels = main.len().min(MAX_CHANNELS);
        if channels == 0 {
            return;
        }
        let len = main[0].len();
        let mut start = 0;
        while start < len {
            let (flush, n) = self.grid.next_pass(len - start, PASS_SAMPLES);
            if flush {
                self.key_hpf.flush();
                for ms in &mut self.mean_square {
                    if *ms < 1e-30 {
                        *ms = 0.0;
                    }
                }
            }
            self.process_pass(main, key, start, n, channels);
            start += n;
        }
    }

    fn process_pass(
        &mut self,
        main: &mut [&mut [f32]],
        key: Option<&[&[f32]]>,
        start: usize,
        n: usize,
        channels: usize,
    ) {
        let link = self.settings.link.clamp(0.0, 1.0);
        let mix = self.settings.mix.clamp(0.0, 1.0);
        let rms = self.settings.detection == Detection::Rms;
        let range = self.settings.range_db.max(0.0);
        let auto = self.settings.auto_release;
        let listen = self.settings.listen;
        let per_channel = link < 1.0;
        let release = if auto { self.auto[0] } else { self.release };
        let [_, slow_charge, slow_release] = self.auto;
        // Pass 1: detection. `levels` holds the loudest channel's level, then per channel
        // (only without full link); `keys` the filtered key (only for listening).
        // The key channel each main channel listens to (`None`: itself).
        let mut key_of: [Option<&[f32]>; MAX_CHANNELS] = [None; MAX_CHANNELS];
        if let Some(k) = key.filter(|k| !k.is_empty()) {
            for (ch, slot) in key_of.iter_mut().enumerate().take(channels) {
                *slot = Some(k[ch % k.len()]);
            }
        }
        let mut loudest = [0.0f32; PASS_SAMPLES];
        let levels = &mut *self.levels;
        let keys = &mut *self.keys;
        for (ch, k) in keys.iter_mut().enumerate().take(channels) {
            let k = &mut k[..n];
            match key_of[ch] {
                Some(kc) => {
                    for (j, v) in k.iter_mut().enumerate() {
                        *v = kc.get(start + j).copied().unwrap_or(0.0);
                    }
                }
                None => k.copy_from_slice(&main[ch][start..start + n]),
            }
        }
        // The side-chain filter, two channels at a time side by side.
        let mut ch = 0;
        while ch < channels {
            if ch + 1 < channels {
                let (a, b) = keys.split_at_mut(ch + 1);
                self.key_hpf.run_pair(ch, &mut a[ch][..n], &mut b[0][..n]);
                ch += 2;
            } else {
                self.key_hpf.run(ch, &mut keys[ch][..n]);
                ch += 1;
            }
        }
        for (ch, k) in keys.iter().enumerate().take(channels) {
            let level = &mut levels[ch][..n];
            if rms {
                let mut ms = self.mean_square[ch];
                let c = self.rms_coefficient;
                for (l, &x) in level.iter_mut().zip(&k[..n]) {
                    ms = x * x + c * (ms - x * x);
                    *l = ms;
                }
                self.mean_square[ch] = ms;
                for l in level.iter_mut() {
                    *l = l.sqrt();
                }
            } else {
                for (l, &x) in level.iter_mut().zip(&k[..n]) {
                    *l = x.abs();
                }
            }
            for (m, &l) in loudest[..n].iter_mut().zip(level.iter()) {
                *m = fast_max(*m, l);
            }
        }
        // Pass 2: levels to dB; below the knee the curve does nothing, so the floor will do.
        let knee = self.knee_start_lin;
        let to_db_pass = |v: &mut [f32]| {
            for x in v.iter_mut() {
                let d = fast_db(x.max(1e-10));
                *x = if *x > knee { d } else { FLOOR_DB };
            }
        };
        to_db_pass(&mut loudest[..n]);
        if per_channel {
            for lv in levels.iter_mut().take(channels) {
                for x in lv[..n].iter_mut() {
                    *x = if *x > 1e-10 { fast_db(*x) } else { FLOOR_DB };
                }
            }
        }
        // Pass 3: gain computer and smoothing, per channel; the result (dB) goes to `levels`.
        let mut max_red = self.max_reduction_db;
        // Fully linked channels in the same state stay in the same state: compute one.
        let shared = !per_channel
            && (1..channels)
                .all(|c| self.reduction[c] == self.reduction[0] && self.slow[c] == self.slow[0]);
        let computed = if shared { 1 } else { channels };
        for (ch, lv) in levels.iter_mut().enumerate().take(computed) {
            let mut r = self.reduction[ch];
            let mut slow = self.slow[ch];
            // The curve first (no recursion: vectorises), then the smoothing.
            for (out, &loud_db) in lv[..n].iter_mut().zip(&loudest[..n]) {
                let own = if per_channel { *out } else { 0.0 };
                let x = link * loud_db + (1.0 - link) * own;
                let target = self.curve.reduction_db(x).min(range);
                *out = if loud_db == FLOOR_DB { 0.0 } else { target };
            }
            let attack_faster = self.attack <= release;
            let charge_faster = slow_charge <= slow_release;
            for out in lv[..n].iter_mut() {
                r = smooth_step(r, *out, self.attack, release, attack_faster);
                if r < 1e-6 {
                    r = 0.0;
                }
                let mut applied = r;
                if auto {
                    slow = smooth_step(slow, r, slow_charge, slow_release, charge_faster);
                    if slow < 1e-6 {
                        slow = 0.0;
                    }
                    applied = fast_max(applied, slow);
                }
                max_red = fast_max(max_red, applied);
                *out = applied;
            }
            self.reduction[ch] = r;
            self.slow[ch] = slow;
            self.applied[ch] = lv[n - 1];
        }
        if shared {
            let (first, rest) = levels.split_at_mut(1);
            for (ch, lv) in rest.iter_mut().enumerate().take(channels - 1) {
                lv[..n].copy_from_slice(&first[0][..n]);
                self.reduction[ch + 1] = self.reduction[0];
                self.slow[ch + 1] = self.slow[0];
                self.applied[ch + 1] = self.applied[0];
            }
        }
        self.max_reduction_db = max_red;
        if listen {
            for (ch, k) in keys.iter().enumerate().take(channels) {
                main[ch][start..start + n].copy_from_slice(&k[..n]);
            }
            return;
        }
        // Passes 4 and 5: dB to gain (make-up and mix included), applied.
        let makeup = self.makeup;
        for (ch, lv) in levels.iter_mut().enumerate().take(channels) {
            for x in lv[..n].iter_mut() {
                let g = if *x == 0.0 {
                    makeup
                } else {
                    fast_gain(-*x) * makeup
                };
                *x = if mix < 1.0 { 1.0 - mix + mix * g } else { g };
            }
            for (y, g) in main[ch][start..start + n].iter_mut().zip(&lv[..n]) {
                *y *= g;
            }
        }
    }
}

/// Samples per pass of [`Compressor::process`].
pub const PASS_SAMPLES: usize = 64;

/// `20 log10(x)` for normal positive `x`, branch-free so that loops over it vectorise:
/// exponent from the bits, `log2` of the mantissa by the atanh series to s^9 (error below
/// 1e-4 dB over -180..80 dB, about the resolution of f32 there).
#[inline(always)]
pub fn fast_db(x: f32) -> f32 {
    let bits = x.to_bits();
    let e = ((bits >> 23) & 0xff) as i32 - 127;
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    // m in [1, 2): centre it on sqrt(2) for a smaller series argument.
    let big = m > std::f32::consts::SQRT_2;
    let m = if big { 0.5 * m } else { m };
    let e = if big { e + 1 } else { e } as f32;
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let ln_m = 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 / 9.0))));
    DB_PER_NEPER * (ln_m + e * std::f32::consts::LN_2)
}

/// `10^(db / 20)` for `db` in about -700..700, branch-free so that loops over it vectorise:
/// `2^y` as `2^k * 2^f` with the Taylor series of `e^(f ln 2)` to degree 7 (relative error
/// about 1e-6, limited by the f32 argument).
#[inline(always)]
pub fn fast_gain(db: f32) -> f32 {
    // Round to nearest (see `ROUND_MAGIC`); |f| <= 1/2.
    let y = (db * (std::f32::consts::LOG2_10 / 20.0)).clamp(-126.0, 126.0);
    let k = (y + ROUND_MAGIC) - ROUND_MAGIC;
    let f = (y - k) * std::f32::consts::LN_2;
    let p = 1.0
        + f * (1.0
            + f * (0.5
                + f * (1.0 / 6.0
                    + f * (1.0 / 24.0 + f * (1.0 / 120.0 + f * (1.0 / 720.0 + f / 5040.0))))));
    p * f32::from_bits((((k as i32) + 127) as u32) << 23)
}

/// Gate settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GateSettings {
    /// Opening threshold, dBFS.
    pub threshold_db: f32,
    /// Attenuation when closed, dB (positive).
    pub range_db: f32,
    /// Opening time constant, ms.
    pub attack_ms: f32,
    /// Time the key must stay below the closing threshold before the gate closes, ms.
    pub hold_ms: f32,
    /// Closing time constant, ms.
    pub release_ms: f32,
    /// The gate closes this many dB below the threshold.
    pub hysteresis_db: f32,
    /// Key high-pass corner, Hz (0 = off).
    pub key_hpf_hz: f32,
    /// Key low-pass corner, Hz (0 = off).
    pub key_lpf_hz: f32,
}

impl Default for GateSettings {
    fn default() -> Self {
        Self {
            threshold_db: -50.0,
            range_db: 40.0,
            attack_ms: 1.0,
            hold_ms: 20.0,
            release_ms: 100.0,
            hysteresis_db: 4.0,
            key_hpf_hz: 0.0,
            key_lpf_hz: 0.0,
        }
    }
}

/// Decay time of the gate's peak envelope, ms.
const GATE_ENVELOPE_MS: f32 = 10.0;

/// A noise gate with hold and hysteresis.
#[derive(Debug, Clone)]
pub struct Gate {
    settings: GateSettings,
    sample_rate_hz: f64,
    open_lin: f32,
    close_lin: f32,
    attack: f32,
    release: f32,
    envelope_decay: f32,
    hold_samples: u32,
    key_hpf: KeyFilter,
    key_lpf: KeyFilter,
    envelope: f32,
    open: bool,
    hold_left: u32,
    /// Current attenuation, dB (>= 0).
    attenuation_db: f32,
    max_attenuation_db: f32,
    grid: FlushGrid,
}

impl Gate {
    /// A gate at `sample_rate_hz` with default settings, open.
    pub fn new(sample_rate_hz: f64) -> Self {
        let mut g = Self {
            settings: GateSettings::default(),
            sample_rate_hz,
            open_lin: 0.0,
            close_lin: 0.0,
            attack: 0.0,
            release: 0.0,
            envelope_decay: 0.0,
            hold_samples: 0,
            key_hpf: KeyFilter::OFF,
            key_lpf: KeyFilter::OFF,
            envelope: 0.0,
            open: true,
            hold_left: 0,
            attenuation_db: 0.0,
            max_attenuation_db: 0.0,
            grid: FlushGrid::START,
        };
        g.apply();
        g
    }

    /// Recomputes coefficients for a new rate.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.sample_rate_hz = sample_rate_hz;
        self.apply();
    }

    /// Applies settings.
    pub fn set_settings(&mut self, settings: &GateSettings) {
        if *settings != self.settings {
            self.settings = *settings;
            self.apply();
        }
    }

    fn apply(&mut self) {
        let s = &self.settings;
        let sr = self.sample_rate_hz;
        self.open_lin = from_db(s.threshold_db);
        self.close_lin = from_db(s.threshold_db - s.hysteresis_db.max(0.0));
        self.attack = time_coefficient(s.attack_ms, sr);
        self.release = time_coefficient(s.release_ms, sr);
        self.envelope_decay = time_coefficient(GATE_ENVELOPE_MS, sr);
        self.hold_samples = (s.hold_ms.max(0.0) as f64 * 1e-3 * sr).round() as u32;
        self.key_hpf.set(highpass_section(s.key_hpf_hz), sr);
        self.key_lpf.set(lowpass_section(s.key_lpf_hz), sr);
    }

    /// Clears state; the gate starts open.
    pub fn reset(&mut self) {
        self.key_hpf.reset();
        self.key_lpf.reset();
        self.envelope = 0.0;
        self.open = true;
        self.hold_left = self.hold_samples;
        self.attenuation_db = 0.0;
        self.max_attenuation_db = 0.0;
        self.grid = FlushGrid::START;
    }

    /// Whether the gate is open (or holding).
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Deepest attenuation (dB, >= 0) since the last call; resets it.
    pub fn take_max_attenuation_db(&mut self) -> f32 {
        std::mem::take(&mut self.max_attenuation_db)
    }

    /// Gates `main` in place, keyed by its own (filtered) signal.
    ///
    /// In passes: the key filters and the peak across channels (two channels side by side),
    /// the envelope and open/hold/closed state machine (serial), dB to gain (vectorised), apply.
    pub fn process(&mut self, main: &mut [&mut [f32]]) {
        let channels = main.len().min(MAX_CHANNELS);
        if channels == 0 {
            return;
        }
        let len = main[0].len();
        let mut start = 0;
        while start < len {
            let (flush, n) = self.grid.next_pass(len - start, PASS_SAMPLES);
            if flush {
                self.key_hpf.flush();
                self.key_lpf.flush();
                if self.envelope < 1e-20 {
                    self.envelope = 0.0;
                }
            }
            self.process_pass(main, start, n, channels);
            start += n;
        }
    }

    fn process_pass(&mut self, main: &mut [&mut [f32]], start: usize, n: usize, channels: usize) {
        // Pass 1: the key's peak across channels.
        let mut peak = [0.0f32; PASS_SAMPLES];
        let peak = &mut peak[..n];
        let mut key = [[0.0f32; PASS_SAMPLES]; 2];
        let mut ch = 0;
        while ch < channels {
            let pair = ch + 1 < channels;
            let [a, b] = &mut key;
            let (a, b) = (&mut a[..n], &mut b[..n]);
            a.copy_from_slice(&main[ch][start..start + n]);
            if pair {
                b.copy_from_slice(&main[ch + 1][start..start + n]);
                self.key_hpf.run_pair(ch, a, b);
                self.key_lpf.run_pair(ch, a, b);
            } else {
                self.key_hpf.run(ch, a);
                self.key_lpf.run(ch, a);
                b.fill(0.0);
            }
            for ((p, &x), &y) in peak.iter_mut().zip(a.iter()).zip(b.iter()) {
                *p = fast_max(*p, fast_max(x.abs(), y.abs()));
            }
            ch += if pair { 2 } else { 1 };
        }
        // Pass 2: envelope, state machine and the attenuation (dB) per sample.
        let range = self.settings.range_db.max(0.0);
        let mut max_att = self.max_attenuation_db;
        let mut envelope = self.envelope;
        let mut open = self.open;
        let mut hold_left = self.hold_left;
        let mut att = self.attenuation_db;
        let mut gains = [0.0f32; PASS_SAMPLES];
        let gains = &mut gains[..n];
        for (g, &p) in gains.iter_mut().zip(peak.iter()) {
            envelope = fast_max(p, envelope * self.envelope_decay);
            if envelope >= self.open_lin {
                open = true;
            }
            if envelope >= self.close_lin {
                hold_left = self.hold_samples;
            } else if open {
                if hold_left > 0 {
                    hold_left -= 1;
                } else {
                    open = false;
                }
            }
            let (target, coef) = if open {
                (0.0, self.attack)
            } else {
                (range, self.release)
            };
            att = target + coef * (att - target);
            if (att - target).abs() < 1e-4 {
                att = target;
            }
            max_att = fast_max(max_att, att);
            *g = att;
        }
        self.envelope = envelope;
        self.open = open;
        self.hold_left = hold_left;
        self.attenuation_db = att;
        self.max_attenuation_db = max_att;
        // Passes 3 and 4: dB to gain (exactly 1 where open), applied.
        for g in gains.iter_mut() {
            *g = fast_gain(-*g);
        }
        for channel in main.iter_mut().take(channels) {
            for (x, &g) in channel[start..start + n].iter_mut().zip(gains.iter()) {
                *x *= g;
            }
        }
    }
}

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

    /// Recomputes coefficients for a new rate.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.sample_rate_hz = sample_rate_hz;
        self.apply();
    }

    /// Applies settings.
    pub fn set_settings(&mut self, settings: &DeEsserSettings) {
        if *settings != self.settings {
            self.settings = *settings;
            self.apply();
        }
    }

    fn apply(&mut self) {
        let sr = self.sample_rate_hz;
        let f = self.settings.freq_hz.max(20.0) as f64;
        let hp = bilinear_butterworth(true, f, sr);
        for k in &mut self.high {
            k.set_coefficients(hp);
        }
        // LP^2 + HP^2 = D~/D for the Butterworth denominator D (s^2 + sqrt 2 s + 1) and its
        // mirror D~ (s^2 - sqrt 2 s + 1); the bilinear transform keeps the identity, and D~'s
        // digital coefficients are D's reversed.
        self.allpass.set_coefficients(BiquadCoefficients {
            b0: hp.a2,
            b1: hp.a1,
            b2: 1.0,
            a1: hp.a1,
            a2: hp.a2,
        });
        self.curve.threshold_db = self.settings.threshold_db;
        self.knee_start_lin = from_db(self.curve.knee_start_db());
        self.attack = time_coefficient(DEESS_ATTACK_MS, sr);
        self.release = time_coefficient(DEESS_RELEASE_MS, sr);
    }

    /// Clears state.
    pub fn reset(&mut self) {
        for k in self.high.iter_mut().chain([&mut self.allpass]) {
            k.reset();
        }
        self.reduction_db = 0.0;
        self.max_reduction_db = 0.0;
        self.grid = FlushGrid::START;
    }

    /// Deepest reduction (dB) since the last call; resets it.
    pub fn take_max_reduction_db(&mut self) -> f32 {
        std::mem::take(&mut self.max_reduction_db)
    }

    /// De-esses `main` in place: `out = low + g * high` (a Linkwitz-Riley split sums to an
    /// allpass, so with no reduction the magnitude response is flat).
    ///
    /// In passes: the split (two channels side by side) and the band's peak across channels,
    /// the gain computer (vectorised), the smoothing (serial), dB to gain (vectorised), and the
    /// sum.
    pub fn process(&mut self, main: &mut [&mut [f32]]) {
        let channels = main.len().min(MAX_CHANNELS);
        if channels == 0 {
            return;
        }
        let len = main[0].len();
        let mut start = 0;
        while start < len {
            let (flush, n) = self.grid.next_pass(len - start, PASS_SAMPLES);
            if flush {
                for k in self.high.iter_mut().chain([&mut self.allpass]) {
                    k.flush();
                }
            }
            self.process_pass(main, start, n, channels);
            start += n;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_db_conversions_match_libm() {
        let mut worst_db = 0.0f32;
        let mut x = 1e-9f32;
        while x < 1e4 {
            worst_db = worst_db.max((fast_db(x) - 20.0 * x.log10()).abs());
            x *= 1.0007;
        }
        // f32 itself resolves -180 dB to 1.5e-5 dB.
        assert!(worst_db < 1e-4, "fast_db: {worst_db} dB");
        let mut worst_rel = 0.0f32;
        let mut db = -150.0f32;
        while db < 150.0 {
            let exact = 10f32.powf(db / 20.0);
            worst_rel = worst_rel.max((fast_gain(db) - exact).abs() / exact);
            db += 0.0137;
        }
        // Past about 100 dB the f32 exponent argument itself limits it to a few 1e-6.
        assert!(worst_rel < 3e-6, "fast_gain: {worst_rel}");
        assert_eq!(fast_gain(0.0), 1.0);
    }
}
