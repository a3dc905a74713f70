//! Lathe Limiter's signal path: drive, oversampled soft clip and true-peak lookahead limiting,
//! output trim, loudness-matched monitoring and dither.
//!
//! ```text
//! input trim (drive) -> upsample xN -> [soft clip] -> lookahead limiter -> downsample
//!   -> sample clamp at the ceiling -> output trim (<= 0 dB) -> [unity-gain monitor] -> [dither]
//! ```
//!
//! True-peak control follows ITU-R BS.1770-5 Annex 2's observation that inter-sample peaks are
//! found by oversampling: detection and gain application both run at N times the rate
//! ([`crate::oversampling`]), so the limiter sees (and holds) the reconstructed waveform, not
//! just the samples. The gain core is [`crate::limiter::PeakLimiter`]. The oversampled ceiling
//! sits a small, factor-dependent [`margin_db`] below the user's ceiling to absorb the ripple of
//! the decimation filter; the output is finally clamped to the ceiling, so no output sample can
//! ever pass it.
//!
//! Every oversampling factor has its own oversampler and limiter, allocated up front, so
//! switching the factor on the audio thread never allocates (it resets the newly chosen stage
//! and changes the latency, which the plugin reports to the host).

use crate::biquad::Biquad;
use crate::chain::{CHUNK_SAMPLES, Core, IoSettings, MAX_CHANNELS};
use crate::dither::{Dither, DitherDepth};
use crate::limiter::{PeakLimiter, PeakLimiterSettings};
use crate::loudness::kweighting;
use crate::loudness::truepeak::TruePeak;
use crate::oversampling::Oversampler;
use crate::util::db_to_gain;

/// Oversampling choices for true-peak limiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Oversampling {
    /// No oversampling: sample-peak limiting only.
    X1,
    /// 2x.
    X2,
    /// 4x (default): true peak held as a BS.1770 meter reads it.
    #[default]
    X4,
    /// 8x.
    X8,
    /// 16x.
    X16,
}

impl Oversampling {
    /// All choices, lowest first.
    pub const ALL: [Oversampling; 5] = [
        Oversampling::X1,
        Oversampling::X2,
        Oversampling::X4,
        Oversampling::X8,
        Oversampling::X16,
    ];

    /// The factor, 1 to 16.
    pub fn factor(self) -> usize {
        1 << self.index()
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Envelope samples kept for the meter-aware detector (more than any upsampling delay).
const METER_HISTORY: usize = 64;

/// What a BS.1770 4x true-peak meter will read, per base-rate sample and channel, aligned with
/// the oversampled signal. The meter's interpolation filter has up to ±0.24 dB of ripple, so it
/// can read above the true waveform; the limiter holds both.
#[derive(Debug, Clone)]
struct MeterDetector {
    meters: Vec<TruePeak>,
    /// Per channel: METER_HISTORY past envelope values, then one chunk.
    history: Vec<Vec<f32>>,
    scratch: Vec<f32>,
    /// Per channel, the aligned (and dilated) meter level of each sample of the chunk.
    levels: Vec<Vec<f32>>,
}

impl MeterDetector {
    fn new(channels: usize, sample_rate_hz: f64) -> Self {
        Self {
            meters: (0..channels)
                .map(|_| TruePeak::new(sample_rate_hz))
                .collect(),
            history: vec![vec![0.0; METER_HISTORY + CHUNK_SAMPLES]; channels],
            scratch: vec![0.0; CHUNK_SAMPLES],
            levels: vec![vec![0.0; CHUNK_SAMPLES]; channels],
        }
    }

    fn reset(&mut self) {
        for m in &mut self.meters {
            m.reset();
        }
        for h in &mut self.history {
            h.fill(0.0);
        }
    }

    /// Range of envelope lags `(min, max)` covering high-rate samples of base sample `n` for an
    /// upsampling delay `d`; `None` when the signal is not delayed enough (1x).
    fn lags(d: f64) -> Option<(usize, usize)> {
        let offset = TruePeak::ENVELOPE_OFFSET as f64;
        // Envelope k covers (k - 6, k - 5); high-rate samples of n lie in [n - d, n - d + 1).
        let lo = (-d).floor() + offset - 1.0;
        let hi = (-d + 1.0).floor() + offset + 1.0;
        (hi <= 0.0 && -lo < METER_HISTORY as f64).then(|| (-hi as usize, -lo as usize))
    }

    fn process(&mut self, main: &[&mut [f32]], lags: (usize, usize)) {
        let n = main.first().map_or(0, |c| c.len());
        let (lag_min, lag_max) = lags;
        for (c, x) in main.iter().enumerate() {
            let env = &mut self.scratch[..n];
            self.meters[c].envelope(x, env);
            let h = &mut self.history[c];
            h[METER_HISTORY..METER_HISTORY + n].copy_from_slice(env);
            for (i, level) in self.levels[c][..n].iter_mut().enumerate() {
                let now = METER_HISTORY + i;
                *level = h[now - lag_max..=now - lag_min]
                    .iter()
                    .fold(0.0f32, |m, &v| m.max(v));
            }
            h.copy_within(n..n + METER_HISTORY, 0);
        }
    }
}

/// Safety margin (dB) between the user's ceiling and the ceiling the oversampled limiter
/// holds, absorbing the decimation filter's overshoot. Measured on the hard test material of
/// `crates/dsp/tests/mastering_limiter.rs`.
pub fn margin_db(oversampling: Oversampling) -> f32 {
    match oversampling {
        Oversampling::X1 => 0.0,
        _ => 0.07,
    }
}

/// Settings of [`LimiterCore`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimiterSettings {
    /// Output ceiling, dBTP (dBFS sample peak at 1x), -12 to 0.
    pub ceiling_db: f32,
    /// Release (slow, sustained stage) time, ms.
    pub release_ms: f32,
    /// Lookahead (attack) time, ms; part of the latency.
    pub lookahead_ms: f32,
    /// Stereo link 0 (independent) to 1 (one gain for all channels).
    pub link: f32,
    /// Oversampling for true-peak detection and gain application.
    pub oversampling: Oversampling,
    /// Soft-clip peaks above the ceiling (oversampled) before the limiter.
    pub soft_clip: bool,
    /// Output word length for dither.
    pub dither: DitherDepth,
    /// Noise-shape the dither.
    pub noise_shaping: bool,
    /// Loudness-matched monitoring: output at the input's loudness, to judge the limiting
    /// without the bias of "louder sounds better". For listening only, never for rendering.
    pub unity_gain: bool,
}

impl Default for LimiterSettings {
    fn default() -> Self {
        Self {
            ceiling_db: -1.0,
            release_ms: 150.0,
            lookahead_ms: 1.5,
            link: 1.0,
            oversampling: Oversampling::X4,
            soft_clip: false,
            dither: DitherDepth::Off,
            noise_shaping: false,
            unity_gain: false,
        }
    }
}

/// The soft clipper: transparent up to `threshold`, then a tanh knee that approaches
/// `2 * threshold` (+6 dB) asymptotically, with a continuous slope at the threshold.
#[inline(always)]
pub fn soft_clip(x: f32, threshold: f32) -> f32 {
    let a = x.abs();
    if a <= threshold {
        x
    } else {
        // Width of the knee region: the asymptote minus the threshold.
        let w = threshold;
        (threshold + w * ((a - threshold) / w).tanh()).copysign(x)
    }
}

/// Time constant of the loudness trackers of the unity-gain monitor, s.
const MONITOR_TAU_S: f64 = 1.5;
/// Below this mean square (about -70 LUFS) the monitor holds its gain.
const MONITOR_GATE: f64 = 1e-7;
/// The monitor never boosts by more than this, dB.
const MONITOR_MAX_BOOST_DB: f32 = 12.0;

/// K-weighted one-pole loudness tracker for one signal point.
#[derive(Debug, Clone)]
struct LoudnessTracker {
    filters: Vec<[Biquad; 2]>,
    coefficient: f64,
    power: f64,
}

impl LoudnessTracker {
    fn new(channels: usize, sample_rate_hz: f64) -> Self {
        let shelf = kweighting::shelf(sample_rate_hz);
        let hp = kweighting::highpass(sample_rate_hz);
        Self {
            filters: (0..channels)
                .map(|_| [Biquad::new(shelf), Biquad::new(hp)])
                .collect(),
            coefficient: 1.0 - (-1.0 / (MONITOR_TAU_S * sample_rate_hz)).exp(),
            power: 0.0,
        }
    }

    fn reset(&mut self) {
        for f in &mut self.filters {
            f[0].reset();
            f[1].reset();
        }
        self.power = 0.0;
    }

    /// Mean square of the block, K-weighted and summed over channels, folded into the
    /// smoothed power with the block's length.
    fn process(&mut self, channels: &[&mut [f32]]) {
        let len = channels.first().map_or(0, |c| c.len());
        if len == 0 {
            return;
        }
        let mut sum = 0.0f64;
        for (ch, f) in channels.iter().zip(self.filters.iter_mut()) {
            for &x in ch.iter() {
                let shelved = f[0].tick(x as f64);
                let y = f[1].tick(shelved);
                sum += y * y;
            }
            f[0].flush_denormals();
            f[1].flush_denormals();
        }
        let mean = sum / len as f64;
        let k = 1.0 - (1.0 - self.coefficient).powi(len as i32);
        self.power += k * (mean - self.power);
    }
}

/// Loudness-matched monitoring: measures the loudness before the drive and after the output
/// trim and applies the difference, ramped per block.
#[derive(Debug, Clone)]
struct UnityMonitor {
    before: LoudnessTracker,
    after: LoudnessTracker,
    gain: f32,
    active: bool,
}

impl UnityMonitor {
    fn new(channels: usize, sample_rate_hz: f64) -> Self {
        Self {
            before: LoudnessTracker::new(channels, sample_rate_hz),
            after: LoudnessTracker::new(channels, sample_rate_hz),
            gain: 1.0,
            active: false,
        }
    }

    fn reset(&mut self) {
        self.before.reset();
        self.after.reset();
        self.active = false;
    }
}

/// Lathe Limiter's core. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct LimiterCore {
    settings: LimiterSettings,
    sample_rate_hz: f64,
    channels: usize,
    oversamplers: Vec<Oversampler>,
    limiters: Vec<PeakLimiter>,
    active: usize,
    high: Vec<Vec<f32>>,
    meter: MeterDetector,
    ceiling: f32,
    drive: f32,
    monitor: UnityMonitor,
    dither: Dither,
    clipped_min_gain: f32,
}

impl LimiterCore {
    fn limiter_settings(&self, os: Oversampling) -> PeakLimiterSettings {
        let s = &self.settings;
        PeakLimiterSettings {
            ceiling_db: s.ceiling_db.clamp(-12.0, 0.0) - margin_db(os),
            lookahead_ms: s.lookahead_ms,
            release_ms: s.release_ms,
            link: s.link,
        }
    }

    fn build(&mut self) {
        let sr = self.sample_rate_hz;
        let settings = self.settings;
        self.oversamplers = Oversampling::ALL
            .iter()
            .map(|os| Oversampler::new(self.channels, os.factor()))
            .collect();
        self.limiters = Oversampling::ALL
            .iter()
            .map(|&os| {
                PeakLimiter::with_quantum(
                    self.channels,
                    sr * os.factor() as f64,
                    self.limiter_settings(os),
                    os.factor(),
                )
            })
            .collect();
        self.high = vec![vec![0.0; CHUNK_SAMPLES * 16]; self.channels];
        self.meter = MeterDetector::new(self.channels, sr);
        self.monitor = UnityMonitor::new(self.channels, sr);
        self.settings = settings;
        self.apply();
    }

    fn apply(&mut self) {
        let s = self.settings;
        let index = s.oversampling.index();
        if index != self.active {
            self.active = index;
            self.oversamplers[index].reset();
            self.limiters[index].reset();
            self.meter.reset();
        }
        let ls = self.limiter_settings(s.oversampling);
        self.limiters[index].set_settings(ls);
        self.ceiling = db_to_gain(s.ceiling_db.clamp(-12.0, 0.0));
        self.dither.set(s.dither, s.noise_shaping);
    }

    /// The settings in use.
    pub fn settings(&self) -> &LimiterSettings {
        &self.settings
    }

    /// The latency the given settings produce, in samples at the current rate.
    pub fn latency_for(&self, settings: &LimiterSettings) -> u32 {
        let os = settings.oversampling;
        let i = os.index();
        let mut ls = self.limiter_settings(os);
        ls.lookahead_ms = settings.lookahead_ms;
        self.oversamplers[i].latency() + self.limiters[i].latency_for(&ls) / os.factor() as u32
    }

    /// The smallest gain the limiter applied since the last call (linear), for meters.
    pub fn take_min_gain(&mut self) -> f32 {
        let g = self.limiters[self.active].take_min_gain();
        std::mem::replace(&mut self.clipped_min_gain, 1.0).min(g)
    }

    /// The gain the unity-gain monitor currently applies, dB (0 when off).
    pub fn monitor_gain_db(&self) -> f32 {
        if self.settings.unity_gain {
            20.0 * self.monitor.gain.log10()
        } else {
            0.0
        }
    }

    fn process_chunk(&mut self, main: &mut [&mut [f32]]) {
        let n = main.first().map_or(0, |c| c.len());
        let channels = main.len().min(self.channels);
        let os = &mut self.oversamplers[self.active];
        let f = os.factor();
        let lags = MeterDetector::lags(os.upsample_delay());
        if let Some(lags) = lags {
            self.meter.process(&main[..channels], lags);
        }
        let mut high: [&mut [f32]; MAX_CHANNELS] = Default::default();
        for ((h, buf), (c, x)) in high
            .iter_mut()
            .zip(self.high.iter_mut())
            .zip(main.iter().enumerate())
            .take(channels)
        {
            os.upsample(c, x, &mut buf[..n * f]);
            *h = &mut buf[..n * f];
        }
        let high = &mut high[..channels];
        let limiter = &mut self.limiters[self.active];
        if self.settings.soft_clip {
            let threshold = db_to_gain(limiter.settings().ceiling_db);
            let mut min_gain = self.clipped_min_gain;
            for ch in high.iter_mut() {
                for x in ch.iter_mut() {
                    let a = x.abs();
                    if a > threshold {
                        let y = soft_clip(*x, threshold);
                        min_gain = min_gain.min(y.abs() / a);
                        *x = y;
                    }
                }
            }
            self.clipped_min_gain = min_gain;
        }
        let mut levels: [&[f32]; MAX_CHANNELS] = Default::default();
        for (l, v) in levels.iter_mut().zip(self.meter.levels.iter()) {
            *l = &v[..n];
        }
        limiter.process_with_detector(high, lags.map(|_| (&levels[..channels], f)));
        for (c, (x, h)) in main.iter_mut().zip(high.iter()).enumerate() {
            os.downsample(c, h, x);
        }
        let ceiling = self.ceiling;
        for ch in main.iter_mut() {
            for x in ch.iter_mut() {
                // Clamp to the ceiling; flush what filter tails leave below -600 dB (subnormals
                // would cost CPU downstream).
                let y = x.clamp(-ceiling, ceiling);
                *x = if y.abs() < 1e-30 { 0.0 } else { y };
            }
        }
    }
}

impl Core for LimiterCore {
    type Settings = LimiterSettings;

    fn new(max_channels: usize, sample_rate_hz: f64) -> Self {
        let channels = max_channels.clamp(1, MAX_CHANNELS);
        let mut core = Self {
            settings: LimiterSettings::default(),
            sample_rate_hz,
            channels,
            oversamplers: Vec::new(),
            limiters: Vec::new(),
            active: Oversampling::default().index(),
            high: Vec::new(),
            meter: MeterDetector::new(channels, sample_rate_hz),
            ceiling: 1.0,
            drive: 1.0,
            monitor: UnityMonitor::new(channels, sample_rate_hz),
            dither: Dither::new(),
            clipped_min_gain: 1.0,
        };
        core.build();
        core
    }

    fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.sample_rate_hz = sample_rate_hz;
        self.build();
    }

    fn reset(&mut self) {
        self.oversamplers[self.active].reset();
        self.limiters[self.active].reset();
        self.meter.reset();
        self.monitor.reset();
        self.dither.reset();
        self.clipped_min_gain = 1.0;
    }

    fn set_settings(&mut self, settings: &LimiterSettings) {
        if settings.unity_gain && !self.settings.unity_gain {
            self.monitor.reset();
        }
        self.settings = *settings;
        self.apply();
    }

    fn latency(&self) -> u32 {
        self.latency_for(&self.settings)
    }

    fn max_latency(&self) -> u32 {
        Oversampling::ALL
            .iter()
            .map(|os| {
                let i = os.index();
                self.oversamplers[i].latency() + self.limiters[i].max_latency() / os.factor() as u32
            })
            .max()
            .unwrap_or(0)
    }

    fn process(&mut self, main: &mut [&mut [f32]], _sidechain: Option<&[&[f32]]>) {
        let channels = main.len().min(self.channels);
        let main = &mut main[..channels];
        if self.settings.unity_gain {
            self.monitor.before.process(main);
        }
        let len = main.first().map_or(0, |c| c.len());
        let mut start = 0;
        while start < len {
            let end = (start + CHUNK_SAMPLES).min(len);
            let mut parts: [&mut [f32]; MAX_CHANNELS] = Default::default();
            for (p, ch) in parts.iter_mut().zip(main.iter_mut()) {
                *p = &mut ch[start..end];
            }
            self.process_chunk(&mut parts[..channels]);
            start = end;
        }
    }

    fn set_io(&mut self, io: &IoSettings) {
        self.drive = db_to_gain(io.input_gain_db);
    }

    fn process_output(&mut self, main: &mut [&mut [f32]]) {
        let channels = main.len().min(self.channels);
        let main = &mut main[..channels];
        if self.settings.unity_gain {
            let m = &mut self.monitor;
            m.after.process(main);
            let (before, after) = (m.before.power, m.after.power);
            if !m.active {
                // Start from the drive alone; the measurement refines it.
                m.gain = 1.0 / self.drive;
                m.active = true;
            }
            let target = if before > MONITOR_GATE && after > MONITOR_GATE {
                ((before / after).sqrt() as f32 / self.drive).min(db_to_gain(MONITOR_MAX_BOOST_DB))
            } else {
                m.gain
            };
            let len = main.first().map_or(0, |c| c.len());
            if len > 0 {
                let step = (target - m.gain) / len as f32;
                for ch in main.iter_mut() {
                    let mut g = m.gain;
                    for x in ch.iter_mut() {
                        g += step;
                        *x *= g;
                    }
                }
                m.gain = target;
            }
        }
        // With unity gain on, the output is for listening: do not clamp it to the ceiling.
        let limit = if self.settings.unity_gain {
            1.0
        } else {
            self.ceiling
        };
        self.dither.process(main, limit);
    }
}
