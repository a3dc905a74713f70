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
//! (`out = low + g * high`); the two bands sum to an allpass, so everything below the split
//! passes with its level untouched.

use crate::biquad::BiquadCoefficients;
use crate::chain::MAX_CHANNELS;
use crate::filters::{Section, SectionKind, bilinear_butterworth};

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
fn to_db(x: f32) -> f32 {
    if x > 1e-10 {
        // `ln` is cheaper than `log10` in libm.
        DB_PER_NEPER * x.ln()
    } else {
        FLOOR_DB
    }
}

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
        let c = &self.c;
        let s = &mut self.s[ch];
        let x = x as f64;
        let y = c.b0 * x + s[0];
        s[0] = c.b1 * x - c.a1 * y + s[1];
        s[1] = c.b2 * x - c.a2 * y;
        y as f32
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
    grid: u32,
}

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
            grid: 0,
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
        self.grid = 0;
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
            let n = (len - start).min(PASS_SAMPLES);
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
        let mut levels = [[0.0f32; PASS_SAMPLES]; MAX_CHANNELS];
        let mut keys = [[0.0f32; PASS_SAMPLES]; MAX_CHANNELS];
        for j in 0..n {
            let i = start + j;
            self.grid += 1;
            if self.grid == FLUSH_GRID {
                self.grid = 0;
                self.key_hpf.flush();
                for ms in &mut self.mean_square {
                    if *ms < 1e-30 {
                        *ms = 0.0;
                    }
                }
            }
            let mut loud = 0.0f32;
            for ch in 0..channels {
                let k = match key_of[ch] {
                    Some(kc) => kc.get(i).copied().unwrap_or(0.0),
                    None => main[ch][i],
                };
                let k = self.key_hpf.tick(ch, k);
                if listen {
                    keys[ch][j] = k;
                }
                let level = if rms {
                    let ms = &mut self.mean_square[ch];
                    *ms = k * k + self.rms_coefficient * (*ms - k * k);
                    ms.sqrt()
                } else {
                    k.abs()
                };
                if per_channel {
                    levels[ch][j] = level;
                }
                loud = loud.max(level);
            }
            loudest[j] = loud;
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
            for (j, out) in lv[..n].iter_mut().enumerate() {
                let loud_db = loudest[j];
                let target = if loud_db == FLOOR_DB {
                    0.0
                } else {
                    let own = if per_channel { *out } else { 0.0 };
                    let x = link * loud_db + (1.0 - link) * own;
                    self.curve.reduction_db(x).min(range)
                };
                let coef = if target > r { self.attack } else { release };
                r = target + coef * (r - target);
                if r < 1e-6 {
                    r = 0.0;
                }
                let mut applied = r;
                if auto {
                    let c = if r > slow { slow_charge } else { slow_release };
                    slow = r + c * (slow - r);
                    if slow < 1e-6 {
                        slow = 0.0;
                    }
                    applied = applied.max(slow);
                }
                max_red = max_red.max(applied);
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
    // Round to nearest by the 1.5 * 2^23 trick (SSE2 has no vector floor); |f| <= 1/2.
    const MAGIC: f32 = 12_582_912.0;
    let y = (db * (std::f32::consts::LOG2_10 / 20.0)).clamp(-126.0, 126.0);
    let k = (y + MAGIC) - MAGIC;
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
    grid: u32,
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
            grid: 0,
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
        self.grid = 0;
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
    pub fn process(&mut self, main: &mut [&mut [f32]]) {
        let channels = main.len().min(MAX_CHANNELS);
        if channels == 0 {
            return;
        }
        let len = main[0].len();
        let range = self.settings.range_db.max(0.0);
        let mut max_att = self.max_attenuation_db;
        for i in 0..len {
            self.grid += 1;
            if self.grid == FLUSH_GRID {
                self.grid = 0;
                self.key_hpf.flush();
                self.key_lpf.flush();
                if self.envelope < 1e-20 {
                    self.envelope = 0.0;
                }
            }
            let mut peak = 0.0f32;
            for (ch, channel) in main.iter().enumerate().take(channels) {
                let k = self.key_lpf.tick(ch, self.key_hpf.tick(ch, channel[i]));
                peak = peak.max(k.abs());
            }
            self.envelope = peak.max(self.envelope * self.envelope_decay);
            if self.envelope >= self.open_lin {
                self.open = true;
            }
            if self.envelope >= self.close_lin {
                self.hold_left = self.hold_samples;
            } else if self.open {
                if self.hold_left > 0 {
                    self.hold_left -= 1;
                } else {
                    self.open = false;
                }
            }
            let (target, coef) = if self.open {
                (0.0, self.attack)
            } else {
                (range, self.release)
            };
            self.attenuation_db = target + coef * (self.attenuation_db - target);
            if (self.attenuation_db - target).abs() < 1e-4 {
                self.attenuation_db = target;
            }
            max_att = max_att.max(self.attenuation_db);
            if self.attenuation_db > 0.0 {
                let g = from_db(-self.attenuation_db);
                for channel in main.iter_mut().take(channels) {
                    channel[i] *= g;
                }
            }
        }
        self.max_attenuation_db = max_att;
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
    /// Linkwitz-Riley split: two Butterworth low-passes, two high-passes.
    low: [KeyFilter; 2],
    high: [KeyFilter; 2],
    curve: GainComputer,
    /// Below this band peak (linear) the curve does nothing: no dB conversion needed.
    knee_start_lin: f32,
    attack: f32,
    release: f32,
    reduction_db: f32,
    max_reduction_db: f32,
    grid: u32,
}

impl DeEsser {
    /// A de-esser at `sample_rate_hz` with default settings.
    pub fn new(sample_rate_hz: f64) -> Self {
        let mut d = Self {
            settings: DeEsserSettings::default(),
            sample_rate_hz,
            low: [KeyFilter::OFF; 2],
            high: [KeyFilter::OFF; 2],
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
            grid: 0,
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
        for k in &mut self.high {
            k.set_coefficients(bilinear_butterworth(true, f, sr));
        }
        for k in &mut self.low {
            k.set_coefficients(bilinear_butterworth(false, f, sr));
        }
        self.curve.threshold_db = self.settings.threshold_db;
        self.knee_start_lin = from_db(self.curve.knee_start_db());
        self.attack = time_coefficient(DEESS_ATTACK_MS, sr);
        self.release = time_coefficient(DEESS_RELEASE_MS, sr);
    }

    /// Clears state.
    pub fn reset(&mut self) {
        for k in self.low.iter_mut().chain(self.high.iter_mut()) {
            k.reset();
        }
        self.reduction_db = 0.0;
        self.max_reduction_db = 0.0;
        self.grid = 0;
    }

    /// Deepest reduction (dB) since the last call; resets it.
    pub fn take_max_reduction_db(&mut self) -> f32 {
        std::mem::take(&mut self.max_reduction_db)
    }

    /// De-esses `main` in place: `out = low + g * high` (a Linkwitz-Riley split sums to an
    /// allpass, so with no reduction the magnitude response is flat).
    #[allow(clippy::needless_range_loop)] // samples across channels, in lockstep
    pub fn process(&mut self, main: &mut [&mut [f32]]) {
        let channels = main.len().min(MAX_CHANNELS);
        if channels == 0 {
            return;
        }
        let len = main[0].len();
        let range = self.settings.range_db.max(0.0);
        let listen = self.settings.listen;
        let mut band = [0.0f32; MAX_CHANNELS];
        let mut rest = [0.0f32; MAX_CHANNELS];
        let mut max_red = self.max_reduction_db;
        for i in 0..len {
            self.grid += 1;
            if self.grid == FLUSH_GRID {
                self.grid = 0;
                for k in self.low.iter_mut().chain(self.high.iter_mut()) {
                    k.flush();
                }
            }
            let mut peak = 0.0f32;
            for ch in 0..channels {
                let x = main[ch][i];
                let [h1, h2] = &mut self.high;
                let [l1, l2] = &mut self.low;
                band[ch] = h2.tick(ch, h1.tick(ch, x));
                rest[ch] = l2.tick(ch, l1.tick(ch, x));
                peak = peak.max(band[ch].abs());
            }
            let target = if peak > self.knee_start_lin {
                self.curve.reduction_db(to_db(peak)).min(range)
            } else {
                0.0
            };
            let coef = if target > self.reduction_db {
                self.attack
            } else {
                self.release
            };
            self.reduction_db = target + coef * (self.reduction_db - target);
            if self.reduction_db < 1e-6 {
                self.reduction_db = 0.0;
            }
            max_red = max_red.max(self.reduction_db);
            let g = if self.reduction_db == 0.0 {
                1.0
            } else {
                from_db(-self.reduction_db)
            };
            for ch in 0..channels {
                main[ch][i] = if listen {
                    band[ch]
                } else {
                    rest[ch] + g * band[ch]
                };
            }
        }
        self.max_reduction_db = max_red;
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
