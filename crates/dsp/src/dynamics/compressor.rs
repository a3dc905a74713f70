//! The shared feed-forward compressor.
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

use super::curve::GainComputer;
use super::detector::*;
use crate::chains::MAX_CHANNELS;
use crate::math::{fast_db, fast_gain, fast_max};

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
    pub fn process_keyed(&mut self, main: &mut [&mut [f32]], key: Option<&[&[f32]]>) {
        run_passes(self, main, |c, main, start, n, channels| {
            c.process_pass(main, key, start, n, channels)
        });
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

impl Passes for Compressor {
    fn grid(&mut self) -> &mut FlushGrid {
        &mut self.grid
    }

    fn flush(&mut self) {
        self.key_hpf.flush();
        for ms in &mut self.mean_square {
            if *ms < 1e-30 {
                *ms = 0.0;
            }
        }
    }
}

impl crate::Block for Compressor {
    type Settings = CompressorSettings;

    lazy_coefficients!(CompressorSettings);

    /// Clears detector and filter state.
    fn reset(&mut self) {
        self.mean_square = [0.0; MAX_CHANNELS];
        self.reduction = [0.0; MAX_CHANNELS];
        self.slow = [0.0; MAX_CHANNELS];
        self.applied = [0.0; MAX_CHANNELS];
        self.key_hpf.reset();
        self.max_reduction_db = 0.0;
        self.grid = FlushGrid::START;
    }

    /// Compresses `main` in place, keyed by itself (see [`Compressor::process_keyed`]).
    fn process(&mut self, main: &mut [&mut [f32]]) {
        self.process_keyed(main, None);
    }
}
