//! A noise gate: a state machine (open/hold/closed) with hysteresis on a peak envelope of a
//! filtered key, gliding in dB between open and the range.

use super::detector::*;
use crate::math::{fast_gain, fast_max};

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

    fn apply(&mut self) {
        let s = &self.settings;
        let sr = self.sample_rate_hz;
        self.open_lin = from_db(s.threshold_db);
        self.close_lin = from_db(s.threshold_db - s.hysteresis_db.max(0.0));
        self.attack = time_coefficient(s.attack_ms, sr);
        self.release = time_coefficient(s.release_ms, sr);
        self.envelope_decay = time_coefficient(GATE_ENVELOPE_MS, sr);
        self.hold_samples =
            crate::math::ms_to_samples(s.hold_ms.max(0.0) as f64, sr).round() as u32;
        self.key_hpf.set(highpass_section(s.key_hpf_hz), sr);
        self.key_lpf.set(lowpass_section(s.key_lpf_hz), sr);
    }

    /// Whether the gate is open (or holding).
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Deepest attenuation (dB, >= 0) since the last call; resets it.
    pub fn take_max_attenuation_db(&mut self) -> f32 {
        std::mem::take(&mut self.max_attenuation_db)
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

impl Passes for Gate {
    fn grid(&mut self) -> &mut FlushGrid {
        &mut self.grid
    }

    fn flush(&mut self) {
        self.key_hpf.flush();
        self.key_lpf.flush();
        if self.envelope < 1e-20 {
            self.envelope = 0.0;
        }
    }
}

impl crate::Block for Gate {
    type Settings = GateSettings;

    lazy_coefficients!(GateSettings);

    /// Clears state; the gate starts open.
    fn reset(&mut self) {
        self.key_hpf.reset();
        self.key_lpf.reset();
        self.envelope = 0.0;
        self.open = true;
        self.hold_left = self.hold_samples;
        self.attenuation_db = 0.0;
        self.max_attenuation_db = 0.0;
        self.grid = FlushGrid::START;
    }

    /// Gates `main` in place, keyed by its own (filtered) signal.
    ///
    /// In passes: the key filters and the peak across channels (two channels side by side),
    /// the envelope and open/hold/closed state machine (serial), dB to gain (vectorised), apply.
    fn process(&mut self, main: &mut [&mut [f32]]) {
        run_passes(self, main, Self::process_pass);
    }
}
