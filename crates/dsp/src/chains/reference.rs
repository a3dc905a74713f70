//! Lathe Reference's signal path: the match EQ (a FIR from [`crate::analysis::match_eq`] in a
//! zero-latency [`PartitionedConvolver`]) and the A/B switch that plays a reference track,
//! loudness-matched to the mix, in place of the mix.
//!
//! Kernels and reference audio are designed and decoded off the audio thread and handed over
//! through [`crate::rt::mailbox`]: the core never allocates or frees them. Whether the match EQ is
//! on and its phase are settings: until a correction for that phase arrives (or when the match
//! is off) the core runs the identity for the phase, so the latency (half the FIR for linear
//! phase, 0 for minimum phase) always follows the settings at once and deterministically.
//!
//! The A/B switch is an equal-power crossfade (the two signals are uncorrelated) over
//! [`AB_FADE_MS`]. The reference follows the host's playhead while the transport runs (shifted
//! by the plugin's latency, so it lines up with the delay-compensated mix) and loops from where
//! it was while the transport is stopped.

use crate::analysis::match_eq::{
    MatchPhase, MatchSettings, correction_curve, design_fir, fir_latency, fir_taps,
};
use crate::chains::Core;
use crate::filters::convolution::{PartitionedConvolver, PreparedKernel};
use crate::primitives::crossfade::Crossfade;
use crate::primitives::gain::SmoothedGain;
use crate::rt::mailbox::MailReceiver;
use std::sync::Arc;

/// Length of the mix/reference crossfade, ms.
pub const AB_FADE_MS: f64 = 30.0;

/// The settings of Lathe Reference's signal path.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ReferenceSettings {
    /// Apply the match EQ's correction (off: the identity, with the phase's latency).
    pub match_enabled: bool,
    /// The match EQ's phase, which sets the latency.
    pub phase: MatchPhase,
    /// Output the selected reference instead of the mix.
    pub listen_reference: bool,
    /// Gain applied to the reference so it plays at the mix's loudness, dB.
    pub reference_gain_db: f64,
    /// The host's playhead in samples while the transport runs; `None` when stopped.
    pub transport_pos: Option<i64>,
}

/// A match-EQ correction ready for the audio thread.
#[derive(Debug, Clone, PartialEq)]
pub struct KernelMessage {
    /// The prepared FIR.
    pub kernel: PreparedKernel,
    /// The phase it was designed for.
    pub phase: MatchPhase,
    /// `false`: there is nothing to correct (no mix analysis or no reference yet); the core
    /// runs the identity.
    pub active: bool,
}

/// Decoded reference audio at the session's sample rate (mono is played on both sides).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReferenceAudio {
    /// Sample rate, Hz.
    pub sample_rate_hz: f64,
    /// Left and right channels, equal lengths.
    pub channels: [Vec<f32>; 2],
}

impl ReferenceAudio {
    /// Length in samples.
    pub fn len(&self) -> usize {
        self.channels[0].len().min(self.channels[1].len())
    }

    /// Whether there is no audio.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What the match EQ applies: a correction from the mix and target spectra, or nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchDesign {
    /// Whether the match EQ is on (off: a unit impulse with the same latency).
    pub enabled: bool,
    /// Linear or minimum phase.
    pub phase: MatchPhase,
    /// How the curve is computed.
    pub settings: MatchSettings,
}

impl Default for MatchDesign {
    fn default() -> Self {
        Self {
            enabled: true,
            phase: MatchPhase::Minimum,
            settings: MatchSettings::default(),
        }
    }
}

/// Designs the kernel the plugin's worker and `lathe match -o` both use: the correction from
/// `mix_db` to `target_db` (loudness-normalised spectra, see
/// [`crate::analysis::reference::Analysis::normalized_spectrum_db`]), or the identity when disabled or
/// without spectra. Returns the message and the curve (dB on the analyzer grid). Allocates.
pub fn design_kernel(
    mix_db: Option<&[f32]>,
    target_db: Option<&[f32]>,
    design: &MatchDesign,
    sample_rate_hz: f64,
) -> (KernelMessage, Vec<f32>) {
    let (curve, active) = match (design.enabled, mix_db, target_db) {
        (true, Some(m), Some(t)) => (correction_curve(m, t, &design.settings), true),
        _ => (vec![0.0; crate::analysis::reference::GRID_POINTS], false),
    };
    let mut message = curve_kernel(&curve, design.phase, sample_rate_hz);
    message.active = active;
    (message, curve)
}

/// The match EQ's kernel for a correction curve given directly (dB on the analysis grid, as
/// [`design_kernel`] returns it), e.g. that curve with a side-channel width correction added.
pub fn curve_kernel(curve_db: &[f32], phase: MatchPhase, sample_rate_hz: f64) -> KernelMessage {
    let taps = fir_taps(sample_rate_hz);
    let fir = design_fir(curve_db, sample_rate_hz, taps, phase);
    KernelMessage {
        kernel: PreparedKernel::new(&fir, taps),
        phase,
        active: true,
    }
}

/// Lathe Reference's core. See the [module documentation](self).
pub struct ReferenceCore {
    sample_rate_hz: f64,
    settings: ReferenceSettings,
    convolvers: Vec<PartitionedConvolver>,
    /// The identity for minimum and linear phase.
    identity: [PreparedKernel; 2],
    /// The correction last received.
    incoming: Box<KernelMessage>,
    /// What the convolvers run (or are fading to).
    applied: Applied,
    /// A newer correction than the one applied arrived.
    fresh: bool,
    kernels: Option<MailReceiver<Box<KernelMessage>>>,
    audio_rx: Option<MailReceiver<Option<Arc<ReferenceAudio>>>>,
    audio: Option<Arc<ReferenceAudio>>,
    play_pos: usize,
    resync: bool,
    ab: Crossfade,
    gain: SmoothedGain,
}

debug_summary!(ReferenceCore, |c| "sample_rate_hz": c.sample_rate_hz,
    "latency": c.latency(), "play_pos": c.play_pos);

/// What the convolvers run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Applied {
    Identity(MatchPhase),
    Correction,
}

fn phase_index(phase: MatchPhase) -> usize {
    match phase {
        MatchPhase::Minimum => 0,
        MatchPhase::Linear => 1,
    }
}

impl ReferenceCore {
    /// Connects the mailboxes a worker thread sends kernels and reference audio through.
    pub fn attach(
        &mut self,
        kernels: MailReceiver<Box<KernelMessage>>,
        audio: MailReceiver<Option<Arc<ReferenceAudio>>>,
    ) {
        self.kernels = Some(kernels);
        self.audio_rx = Some(audio);
    }

    /// Uses `message` from the next sample on, without a fade (offline rendering, or before
    /// playback), if the settings ask for a correction of its phase. A kernel for another
    /// sample rate is ignored.
    pub fn load_kernel(&mut self, message: &KernelMessage) {
        if message.kernel.max_taps() != self.convolvers[0].max_taps() {
            return;
        }
        *self.incoming = message.clone();
        self.fresh = true;
        self.apply(true);
    }

    /// Uses `audio` as the reference (offline, or before playback).
    pub fn load_audio(&mut self, audio: Option<Arc<ReferenceAudio>>) {
        self.audio = audio;
    }

    /// The reference's playhead, samples.
    pub fn play_position(&self) -> usize {
        self.play_pos
    }

    fn poll_mail(&mut self) {
        if let Some(rx) = &mut self.kernels
            && rx.receive(&mut self.incoming)
        {
            self.fresh = true;
        }
        if let Some(rx) = &mut self.audio_rx {
            rx.receive(&mut self.audio);
        }
        self.apply(false);
    }

    /// What the settings and the last correction ask the convolvers to run.
    fn wanted(&self) -> Applied {
        let usable = self.incoming.active
            && self.incoming.phase == self.settings.phase
            && self.incoming.kernel.max_taps() == self.convolvers[0].max_taps();
        if self.settings.match_enabled && usable {
            Applied::Correction
        } else {
            Applied::Identity(self.settings.phase)
        }
    }

    /// Moves the convolvers to what is wanted: at once when `now`, else by a cross-fade once
    /// any running fade has finished.
    fn apply(&mut self, now: bool) {
        let want = self.wanted();
        let changed = want != self.applied || (want == Applied::Correction && self.fresh);
        if !changed {
            return;
        }
        if !now && self.convolvers.iter().any(|c| c.is_fading()) {
            return;
        }
        let kernel = match want {
            Applied::Correction => &self.incoming.kernel,
            Applied::Identity(phase) => &self.identity[phase_index(phase)],
        };
        for c in &mut self.convolvers {
            if now {
                c.set_kernel_now(kernel);
            } else {
                c.set_kernel(kernel);
            }
        }
        self.applied = want;
        if want == Applied::Correction {
            self.fresh = false;
        }
    }

    fn usable_audio(&self) -> Option<&ReferenceAudio> {
        self.audio
            .as_deref()
            .filter(|a| !a.is_empty() && (a.sample_rate_hz - self.sample_rate_hz).abs() < 0.5)
    }
}

impl Core for ReferenceCore {
    type Settings = ReferenceSettings;

    fn new(max_channels: usize, sample_rate_hz: f64) -> Self {
        let taps = fir_taps(sample_rate_hz);
        let mut core = Self {
            sample_rate_hz,
            settings: ReferenceSettings::default(),
            convolvers: Vec::new(),
            identity: identities(taps),
            incoming: Box::new(KernelMessage {
                kernel: PreparedKernel::identity(taps),
                phase: MatchPhase::Minimum,
                active: false,
            }),
            applied: Applied::Identity(MatchPhase::Minimum),
            fresh: false,
            kernels: None,
            audio_rx: None,
            audio: None,
            play_pos: 0,
            resync: false,
            ab: Crossfade::new(AB_FADE_MS, sample_rate_hz),
            gain: SmoothedGain::new(sample_rate_hz, 50.0),
        };
        core.convolvers = (0..max_channels.max(1))
            .map(|_| PartitionedConvolver::new(taps))
            .collect();
        core.set_sample_rate(sample_rate_hz);
        core
    }

    fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.sample_rate_hz = sample_rate_hz;
        let taps = fir_taps(sample_rate_hz);
        if self.convolvers[0].max_taps() != taps {
            let n = self.convolvers.len();
            self.convolvers = (0..n).map(|_| PartitionedConvolver::new(taps)).collect();
            self.identity = identities(taps);
            // The worker redesigns for the new rate; until then the identity runs.
            *self.incoming = KernelMessage {
                kernel: PreparedKernel::identity(taps),
                phase: MatchPhase::Minimum,
                active: false,
            };
            self.applied = Applied::Identity(MatchPhase::Minimum);
            self.fresh = false;
        }
        self.ab.set_sample_rate(sample_rate_hz);
        self.gain.set_sample_rate(sample_rate_hz);
        self.reset();
    }

    fn reset(&mut self) {
        for c in &mut self.convolvers {
            c.reset();
        }
        // After a reset nothing is faded: run what the settings ask for at once.
        self.apply(true);
        self.ab
            .set(self.settings.listen_reference && self.usable_audio().is_some());
        self.ab.snap();
        self.gain
            .set_target_db(self.settings.reference_gain_db as f32);
        self.gain.snap();
    }

    fn set_settings(&mut self, settings: &ReferenceSettings) {
        self.settings = *settings;
        let g = settings.reference_gain_db.clamp(-60.0, 60.0);
        self.gain
            .set_target_db(if g.is_finite() { g as f32 } else { 0.0 });
        // Settings arrive once per host block: that is when the playhead is re-synced.
        self.resync = settings.transport_pos.is_some();
        self.apply(false);
    }

    fn poll(&mut self) {
        // The chain polls right before asking for the latency and processing, so the latency
        // reported is the one processed with.
        self.poll_mail();
    }

    fn latency(&self) -> u32 {
        fir_latency(self.convolvers[0].max_taps(), self.settings.phase)
    }

    fn max_latency(&self) -> u32 {
        fir_latency(self.convolvers[0].max_taps(), MatchPhase::Linear)
    }

    fn process(&mut self, main: &mut [&mut [f32]], _sidechain: Option<&[&[f32]]>) {
        let n = main.first().map_or(0, |c| c.len());
        for (c, ch) in self.convolvers.iter_mut().zip(main.iter_mut()) {
            c.process(ch);
        }
        let len = self.usable_audio().map_or(0, |a| a.len());
        if len == 0 {
            // Nothing to play: fade back to the mix if the reference went away mid-listen.
            if self.ab.level() > 0.0 {
                self.ab.set(false);
                for i in 0..n {
                    let g = (self.ab.next_level() * std::f32::consts::FRAC_PI_2).cos();
                    for ch in main.iter_mut() {
                        ch[i] *= g;
                    }
                }
            }
            return;
        }
        match self.settings.transport_pos {
            Some(p) if self.resync => {
                let latency = self.latency() as i64;
                self.play_pos = (p - latency).rem_euclid(len as i64) as usize;
                self.resync = false;
            }
            _ => self.play_pos %= len,
        }
        self.ab.set(self.settings.listen_reference);
        if self.ab.is_off() {
            self.play_pos = (self.play_pos + n) % len;
            for _ in 0..n {
                self.gain.next_gain();
            }
            return;
        }
        let Some(audio) = self.audio.as_deref() else {
            return;
        };
        for i in 0..n {
            let angle = self.ab.next_level() * std::f32::consts::FRAC_PI_2;
            let (g_ref, g_mix) = angle.sin_cos();
            let g_ref = g_ref * self.gain.next_gain();
            for (c, ch) in main.iter_mut().enumerate() {
                let r = audio.channels[c.min(1)][self.play_pos];
                ch[i] = ch[i] * g_mix + r * g_ref;
            }
            self.play_pos += 1;
            if self.play_pos == len {
                self.play_pos = 0;
            }
        }
    }
}

fn identities(taps: usize) -> [PreparedKernel; 2] {
    let mut delayed = vec![0.0; taps];
    delayed[fir_latency(taps, MatchPhase::Linear) as usize] = 1.0;
    [
        PreparedKernel::identity(taps),
        PreparedKernel::new(&delayed, taps),
    ]
}
