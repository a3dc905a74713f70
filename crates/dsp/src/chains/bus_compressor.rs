//! Lathe Bus Compressor's signal path: the shared compressor ([`crate::dynamics::Compressor`],
//! after Giannoulis, Massberg & Reiss, JAES 2012) with what a bus needs around it.
//!
//! Order: key selection (internal, or the external sidechain input) -> optional mid/side
//! encoding of key and signal -> lookahead delay of the signal (the key is not delayed) ->
//! compressor (threshold, ratio, knee, attack, release or program-dependent auto release, range,
//! make-up, mix, side-chain high-pass, link) -> mid/side decoding -> optional saturator (output
//! soft clip) -> listen (key or delta) -> loudness-matched compare.
//!
//! - **External key:** selected with [`KeySource::External`]; when the host does not connect
//!   the sidechain port, or sends no channels, the internal key is used instead. The detector's
//!   smoothing makes the switch glitch-free.
//! - **Delta listen** outputs what the compression (and saturation) removes: the dry signal,
//!   delayed to line up, minus the processed one. In multiband mode it is what each audible
//!   band's compression removes (per band when bands are soloed), then the saturator.
//! - **Compare** is the honest A/B: the output becomes the dry signal (latency-aligned), with
//!   its level matched to the processed signal's (mean squares over about 1.5 s), so louder does
//!   not sound better. The processing keeps running, so switching back is seamless; both
//!   directions crossfade over 10 ms.
//! - **Linear-phase multiband** adds its crossovers' latency (about 170 ms) while multiband is
//!   on; the single-band path is not delayed, so the 10 ms switch between the two (which
//!   changes the latency, and so restarts the plugin in a host) is not aligned.

use crate::Block;
use crate::chains::{CHUNK_SAMPLES, Core, MAX_CHANNELS};
use crate::color::saturator::{Saturator, SaturatorSettings};
use crate::dynamics::multiband::{MAX_BANDS, Multiband, MultibandSettings};
use crate::dynamics::{Compressor, CompressorSettings, time_coefficient};
use crate::filters::linear_crossover::crossover_latency;
use crate::primitives::crossfade::Crossfade;
use crate::primitives::delay::DelayLine;

/// Longest lookahead, ms.
pub const MAX_LOOKAHEAD_MS: f32 = 5.0;
/// Averaging time of the compare level match, ms.
pub const COMPARE_WINDOW_MS: f32 = 1500.0;
/// Most gain the compare level match applies, dB either way.
pub const COMPARE_MAX_DB: f32 = 24.0;
/// Crossfade time of compare and listen switches, ms.
const SWITCH_FADE_MS: f64 = 10.0;

/// Where the detector listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeySource {
    /// The signal itself.
    #[default]
    Internal,
    /// The sidechain input (falls back to the signal when it is not connected).
    External,
}

/// What the output carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Listen {
    /// The compressed signal.
    #[default]
    Off,
    /// The key as the detector hears it (after the side-chain high-pass).
    Key,
    /// The difference between input and output: what the compressor takes away.
    Delta,
}

/// The complete settings of the bus compressor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BusCompressorSettings {
    /// The compressor.
    pub compressor: CompressorSettings,
    /// Key source.
    pub key: KeySource,
    /// Detect (and compress) mid and side instead of left and right.
    pub mid_side: bool,
    /// Lookahead, ms (0..=[`MAX_LOOKAHEAD_MS`]); adds the same latency.
    pub lookahead_ms: f32,
    /// Listen mode.
    pub listen: Listen,
    /// Whether the output saturator (soft clip) is on.
    pub saturator_enabled: bool,
    /// The output saturator.
    pub saturator: SaturatorSettings,
    /// Loudness-matched compare: output the dry signal at the processed signal's level.
    pub compare: bool,
    /// Multiband mode: the compressor's place taken by [`Multiband`] (off: the single-band
    /// compressor, exactly as without it).
    pub multiband_enabled: bool,
    /// The bands. Each band's threshold, ratio, knee, attack, release and make-up are its
    /// own; detection, mix, side-chain high-pass, link, range, auto release and auto make-up
    /// come from [`Self::compressor`], the global controls.
    pub multiband: MultibandSettings,
}

impl Default for BusCompressorSettings {
    fn default() -> Self {
        Self {
            compressor: CompressorSettings {
                threshold_db: -20.0,
                ratio: 4.0,
                knee_db: 6.0,
                attack_ms: 10.0,
                release_ms: 200.0,
                ..CompressorSettings::default()
            },
            key: KeySource::Internal,
            mid_side: false,
            lookahead_ms: 0.0,
            listen: Listen::Off,
            saturator_enabled: false,
            saturator: SaturatorSettings::default(),
            compare: false,
            multiband_enabled: false,
            multiband: MultibandSettings::default(),
        }
    }
}

/// The bus compressor core (wrapped in a [`crate::PluginChain`] as
/// [`crate::chains::BusCompressor`]).
pub struct BusCompressorCore {
    settings: BusCompressorSettings,
    sample_rate_hz: f64,
    compressor: Compressor,
    multiband: Multiband,
    /// The switch between the single-band compressor (off) and the multiband one (on).
    multiband_fade: Crossfade,
    /// The multiband path's output while the switch fades.
    multiband_out: Vec<Vec<f32>>,
    /// Nothing processed since construction or reset: the switch jumps instead of fading.
    fresh: bool,
    saturator: Saturator,
    lookahead: DelayLine,
    /// Delays the dry copy by the whole latency (delta and compare).
    dry_delay: DelayLine,
    key: Vec<Vec<f32>>,
    dry: Vec<Vec<f32>>,
    /// Compare: mean squares of dry and processed, the applied match gain, the crossfade (0 =
    /// processed, 1 = matched dry) and its step, and the one-pole coefficients.
    matcher: LevelMatch,
    compare: Crossfade,
}

/// The compare mode's level match: mean squares of the dry and processed signals, and the gain
/// that brings the dry one to the processed one's level.
#[derive(Debug, Clone, Default)]
struct LevelMatch {
    ms_dry: f64,
    ms_wet: f64,
    gain: f32,
    ms_coefficient: f64,
    gain_coefficient: f32,
    /// Sums of squares of the current segment, and the samples in it.
    sum_dry: f32,
    sum_wet: f32,
    grid: usize,
}

impl LevelMatch {
    fn reset(&mut self) {
        self.ms_dry = 0.0;
        self.ms_wet = 0.0;
        self.gain = 1.0;
        self.sum_dry = 0.0;
        self.sum_wet = 0.0;
        self.grid = 0;
    }

    /// Adds one sample's squares (summed over channels).
    #[inline]
    fn add(&mut self, dry_sq: f32, wet_sq: f32) {
        self.sum_dry += dry_sq;
        self.sum_wet += wet_sq;
        self.grid += 1;
        if self.grid == LEVEL_GRID {
            self.segment_end();
        }
    }

    /// Ends a level segment: smooths the mean squares and moves the gain towards
    /// sqrt(wet / dry), within [`COMPARE_MAX_DB`].
    fn segment_end(&mut self) {
        let c = self.ms_coefficient;
        let (pd, pw) = (
            self.sum_dry as f64 / LEVEL_GRID as f64,
            self.sum_wet as f64 / LEVEL_GRID as f64,
        );
        self.ms_dry = pd + c * (self.ms_dry - pd);
        self.ms_wet = pw + c * (self.ms_wet - pw);
        if self.ms_dry < 1e-30 {
            self.ms_dry = 0.0;
        }
        if self.ms_wet < 1e-30 {
            self.ms_wet = 0.0;
        }
        let limit = 10f32.powf(COMPARE_MAX_DB / 20.0);
        let want = if self.ms_dry > 1e-12 {
            ((self.ms_wet / self.ms_dry).sqrt() as f32).clamp(1.0 / limit, limit)
        } else {
            self.gain
        };
        self.gain = want + self.gain_coefficient * (self.gain - want);
        self.sum_dry = 0.0;
        self.sum_wet = 0.0;
        self.grid = 0;
    }
}

/// Samples per level-measurement segment of the compare match.
const LEVEL_GRID: usize = 32;

impl BusCompressorCore {
    /// The settings in use.
    pub fn settings(&self) -> &BusCompressorSettings {
        &self.settings
    }

    /// Current gain reduction, dB (the most reduced channel; in multiband mode, band).
    pub fn reduction_db(&self) -> f32 {
        if self.settings.multiband_enabled {
            self.multiband.reduction_db()
        } else {
            self.compressor.reduction_db()
        }
    }

    /// Deepest gain reduction since the last call, dB; resets it.
    pub fn take_max_reduction_db(&mut self) -> f32 {
        self.take_reductions_db().0
    }

    /// Deepest gain reduction since the last call, dB, overall and per multiband band (zeros
    /// while multiband is off); resets them.
    pub fn take_reductions_db(&mut self) -> (f32, [f32; MAX_BANDS]) {
        let single = self.compressor.take_max_reduction_db();
        let bands = self.multiband.take_band_reductions_db();
        if self.settings.multiband_enabled {
            (bands.into_iter().fold(0.0, f32::max), bands)
        } else {
            (single, [0.0; MAX_BANDS])
        }
    }

    /// The multiband compressor (per-band readouts, crossovers, band responses).
    pub fn multiband_mut(&mut self) -> &mut Multiband {
        &mut self.multiband
    }

    /// The bands' settings with the global controls merged in (see
    /// [`BusCompressorSettings::multiband`]; editors draw each band's curve from it).
    pub fn band_settings(settings: &BusCompressorSettings) -> MultibandSettings {
        let global = CompressorSettings {
            listen: settings.listen == Listen::Key,
            ..settings.compressor
        };
        let mut mb = settings.multiband;
        mb.delta = settings.listen == Listen::Delta;
        for band in &mut mb.band {
            let own = band.compressor;
            band.compressor = CompressorSettings {
                threshold_db: own.threshold_db,
                ratio: own.ratio,
                knee_db: own.knee_db,
                attack_ms: own.attack_ms,
                release_ms: own.release_ms,
                makeup_db: own.makeup_db,
                ..global
            };
        }
        mb
    }

    /// Gain the compare mode applies to the dry signal, dB.
    pub fn compare_gain_db(&self) -> f32 {
        20.0 * self.matcher.gain.max(1e-6).log10()
    }

    fn lookahead_samples(&self) -> usize {
        let ms = self.settings.lookahead_ms.clamp(0.0, MAX_LOOKAHEAD_MS) as f64;
        crate::math::ms_to_samples(ms, self.sample_rate_hz).round() as usize
    }

    fn saturator_latency(&self) -> u32 {
        if self.settings.saturator_enabled {
            self.saturator.latency()
        } else {
            0
        }
    }

    fn max_lookahead_samples(sample_rate_hz: f64) -> usize {
        crate::math::ms_to_samples(MAX_LOOKAHEAD_MS as f64, sample_rate_hz).ceil() as usize + 1
    }

    /// The multiband compressor's latency while it is on (its linear-phase crossovers).
    fn multiband_latency(&self) -> u32 {
        if self.settings.multiband_enabled {
            self.multiband.latency()
        } else {
            0
        }
    }

    fn update_delays(&mut self) {
        let look = self.lookahead_samples();
        self.lookahead.set_delay(look);
        self.dry_delay.set_delay(
            look + self.saturator_latency() as usize + self.multiband_latency() as usize,
        );
    }

    /// Designs the linear-phase crossovers' kernels on threads of their own from now on (call
    /// from `activate`; see [`Multiband::attach_designers`]).
    pub fn attach_designers(&mut self) -> std::io::Result<()> {
        self.multiband.attach_designers()
    }
}

/// Mid/side encoding in place: (L, R) -> ((L+R)/2, (L-R)/2).
fn encode_mid_side(ch: &mut [&mut [f32]]) {
    if let [l, r, ..] = ch {
        for (a, b) in l.iter_mut().zip(r.iter_mut()) {
            let (m, s) = (0.5 * (*a + *b), 0.5 * (*a - *b));
            *a = m;
            *b = s;
        }
    }
}

/// Mid/side decoding in place: (M, S) -> (M+S, M-S).
fn decode_mid_side(ch: &mut [&mut [f32]]) {
    if let [m, s, ..] = ch {
        for (a, b) in m.iter_mut().zip(s.iter_mut()) {
            let (l, r) = (*a + *b, *a - *b);
            *a = l;
            *b = r;
        }
    }
}

impl Core for BusCompressorCore {
    type Settings = BusCompressorSettings;

    fn new(max_channels: usize, sample_rate_hz: f64) -> Self {
        let channels = max_channels.clamp(1, MAX_CHANNELS);
        let mut core = Self {
            settings: BusCompressorSettings::default(),
            sample_rate_hz,
            compressor: Compressor::new(sample_rate_hz),
            multiband: Multiband::new(sample_rate_hz),
            multiband_fade: Crossfade::new(SWITCH_FADE_MS, sample_rate_hz),
            multiband_out: vec![vec![0.0; CHUNK_SAMPLES]; channels],
            fresh: true,
            saturator: Saturator::new(channels, sample_rate_hz),
            lookahead: DelayLine::new(channels, Self::max_lookahead_samples(sample_rate_hz)),
            dry_delay: DelayLine::new(channels, 1),
            key: vec![vec![0.0; CHUNK_SAMPLES]; channels],
            dry: vec![vec![0.0; CHUNK_SAMPLES]; channels],
            matcher: LevelMatch {
                gain: 1.0,
                ..LevelMatch::default()
            },
            compare: Crossfade::new(SWITCH_FADE_MS, sample_rate_hz),
        };
        core.set_sample_rate(sample_rate_hz);
        core.compressor.set_settings(&core.settings.compressor);
        core
    }

    fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.sample_rate_hz = sample_rate_hz;
        let channels = self.key.len();
        self.compressor.set_sample_rate(sample_rate_hz);
        self.multiband.set_sample_rate(sample_rate_hz);
        self.multiband_fade.set_sample_rate(sample_rate_hz);
        self.saturator.set_sample_rate(sample_rate_hz);
        self.lookahead = DelayLine::new(channels, Self::max_lookahead_samples(sample_rate_hz));
        self.dry_delay = DelayLine::new(
            channels,
            Self::max_lookahead_samples(sample_rate_hz)
                + self.saturator.max_latency() as usize
                + crossover_latency(sample_rate_hz) as usize,
        );
        self.compare.set_sample_rate(sample_rate_hz);
        // Per segment of LEVEL_GRID samples.
        let per_segment = sample_rate_hz / LEVEL_GRID as f64;
        self.matcher.ms_coefficient = time_coefficient(COMPARE_WINDOW_MS, per_segment) as f64;
        self.matcher.gain_coefficient = time_coefficient(50.0, per_segment);
        self.update_delays();
    }

    fn reset(&mut self) {
        self.compressor.reset();
        self.multiband.reset();
        self.multiband_fade.set(self.settings.multiband_enabled);
        self.multiband_fade.snap();
        self.fresh = true;
        self.saturator.reset();
        self.lookahead.reset();
        self.dry_delay.reset();
        self.matcher.reset();
        self.compare.set(self.settings.compare);
        self.compare.snap();
    }

    fn set_settings(&mut self, settings: &BusCompressorSettings) {
        if *settings == self.settings {
            return;
        }
        let mut comp = settings.compressor;
        comp.listen = settings.listen == Listen::Key;
        self.compressor.set_settings(&comp);
        self.multiband.set_settings(&Self::band_settings(settings));
        // The path switched in starts from a clean state, and the output cross-fades to it.
        if settings.multiband_enabled != self.settings.multiband_enabled {
            if settings.multiband_enabled {
                self.multiband.reset();
            } else {
                self.compressor.reset();
            }
            self.multiband_fade.set(settings.multiband_enabled);
            if self.fresh {
                self.multiband_fade.snap();
            }
        }
        self.saturator.set_settings(&settings.saturator);
        self.settings = *settings;
        self.update_delays();
    }

    fn latency(&self) -> u32 {
        self.lookahead_samples() as u32 + self.saturator_latency() + self.multiband_latency()
    }

    fn max_latency(&self) -> u32 {
        Self::max_lookahead_samples(self.sample_rate_hz) as u32
            + self.saturator.max_latency()
            + crossover_latency(self.sample_rate_hz)
    }

    fn process(&mut self, main: &mut [&mut [f32]], sidechain: Option<&[&[f32]]>) {
        self.fresh = false;
        let channels = main.len().min(self.key.len());
        if channels == 0 {
            return;
        }
        let main = &mut main[..channels];
        let n = main[0].len().min(CHUNK_SAMPLES);
        let s = self.settings;
        // The dry copy feeds delta listen and compare; the level match runs all the time, so
        // compare is matched the moment it is switched on.
        for (d, m) in self.dry.iter_mut().zip(main.iter()) {
            d[..n].copy_from_slice(&m[..n]);
        }
        // The key: the sidechain when chosen and connected, else the signal itself.
        let external = match sidechain {
            Some(sc) if s.key == KeySource::External && !sc.is_empty() => Some(sc),
            _ => None,
        };
        for (ch, k) in self.key.iter_mut().enumerate().take(channels) {
            match external {
                Some(sc) => {
                    let src = sc[ch % sc.len()];
                    let m = src.len().min(n);
                    k[..m].copy_from_slice(&src[..m]);
                    k[m..n].fill(0.0);
                }
                None => k[..n].copy_from_slice(&main[ch][..n]),
            }
        }
        let mut key: [&mut [f32]; MAX_CHANNELS] = Default::default();
        for (slot, k) in key.iter_mut().zip(self.key.iter_mut()) {
            *slot = &mut k[..n];
        }
        let key = &mut key[..channels];
        let ms = s.mid_side && channels == 2;
        if ms {
            encode_mid_side(key);
            encode_mid_side(main);
        }
        self.lookahead.process(main);
        {
            let mut key_ref: [&[f32]; MAX_CHANNELS] = Default::default();
            for (slot, k) in key_ref.iter_mut().zip(key.iter()) {
                *slot = k;
            }
            let fade = &self.multiband_fade;
            let (single, multi) = (!fade.is_full(), !fade.is_off());
            if multi {
                // Keyed by itself unless the key differs from the signal (external, or
                // leading it by the lookahead): then each band by its band of the key.
                let keyed = external.is_some() || self.lookahead.delay() > 0;
                let key = keyed.then_some(&key_ref[..channels]);
                let mut out: [&mut [f32]; MAX_CHANNELS] = Default::default();
                for ((slot, o), m) in out.iter_mut().zip(&mut self.multiband_out).zip(&*main) {
                    o[..n].copy_from_slice(&m[..n]);
                    *slot = &mut o[..n];
                }
                self.multiband.process_keyed(&mut out[..channels], key);
            }
            if single {
                self.compressor
                    .process_keyed(main, Some(&key_ref[..channels]));
            }
            if multi {
                // `main` holds the single-band output (or the multiband's alone, once the
                // fade is over).
                let mut out: [&mut [f32]; MAX_CHANNELS] = Default::default();
                for (slot, o) in out.iter_mut().zip(&mut self.multiband_out) {
                    *slot = &mut o[..n];
                }
                if single {
                    self.multiband_fade.blend(&mut out[..channels], main);
                }
                for (m, o) in main.iter_mut().zip(out.iter()) {
                    m[..n].copy_from_slice(&o[..n]);
                }
            } else if !fade.is_settled() {
                // Fading to off: advance the switch along with the samples.
                for _ in 0..n {
                    self.multiband_fade.next_level();
                }
            }
        }
        if ms {
            decode_mid_side(main);
        }
        // Multiband delta comes out of the bands themselves (what each one's compression
        // removes; the dry input would differ from the bands' allpass sum). The saturator
        // still runs on it when on, so the latency stays the one reported.
        let band_delta = s.multiband_enabled && s.listen == Listen::Delta;
        if s.saturator_enabled {
            self.saturator.process(main);
        }
        let mut dry: [&mut [f32]; MAX_CHANNELS] = Default::default();
        for (slot, d) in dry.iter_mut().zip(self.dry.iter_mut()) {
            *slot = &mut d[..n];
        }
        let dry = &mut dry[..channels];
        self.dry_delay.process(dry);
        if s.listen == Listen::Delta && !band_delta {
            for (m, d) in main.iter_mut().zip(dry.iter()) {
                for (y, &x) in m.iter_mut().zip(d.iter()) {
                    *y = x - *y;
                }
            }
        }
        // Compare: match the dry level to the processed one and crossfade to it. The levels
        // are mean squares over segments of LEVEL_GRID samples on a grid counted from reset
        // (so block sizes do not matter), smoothed per segment.
        for i in 0..n {
            let (mut dq, mut wq) = (0.0f32, 0.0f32);
            for (m, d) in main.iter().zip(dry.iter()) {
                dq += d[i] * d[i];
                wq += m[i] * m[i];
            }
            self.matcher.add(dq, wq);
        }
        self.compare.set(s.compare);
        if self.compare.is_off() {
            return;
        }
        for i in 0..n {
            let a = self.compare.next_level();
            let g = a * self.matcher.gain;
            for (m, d) in main.iter_mut().zip(dry.iter()) {
                m[i] = (1.0 - a) * m[i] + g * d[i];
            }
        }
    }
}
