//! "One chain type per plugin, driven by a settings struct."
//!
//! A plugin's signal path is a [`Core`] (the processing that makes the plugin what it is) wrapped
//! in a [`PluginChain`], which adds what every Lathe plugin shares:
//!
//! - input sanitising (NaN/Inf/subnormals become silence, so nothing downstream latches);
//! - smoothed input and output trims ([`IoSettings`]);
//! - a latency-compensated, click-free bypass: the dry signal runs through a delay equal to the
//!   core's latency, and bypass crossfades to it over [`BYPASS_RAMP_MS`]; once the fade is done,
//!   the output is exactly the input delayed by the reported latency and the core stops running
//!   (a bypassed plugin costs almost nothing). Leaving bypass resets the core and runs it for
//!   one latency's worth of samples, still outputting the dry signal, so its lookahead holds
//!   fresh audio before the crossfade back starts;
//! - input/output peak readouts for meters;
//! - splitting arbitrarily large host blocks into fixed chunks, so nothing allocates on the
//!   audio thread and no block size can overrun an internal buffer.
//!
//! The plugin maps its parameters to [`ChainSettings`] and calls [`PluginChain::set_settings`]
//! before every block; the CLI does the same from a file of settings, so both produce identical
//! output.

pub mod bus_compressor;
pub mod channel_strip;
pub mod limiter;
pub mod reference;

use crate::Block;
use crate::math::{abs_max, sanitize};
use crate::primitives::crossfade::Crossfade;
use crate::primitives::delay::DelayLine;
use crate::primitives::gain::{DEFAULT_GAIN_RAMP_MS, SmoothedGain};

/// Lathe Channel Strip's signal path: filters, EQ, gate, compressor, de-esser, saturator,
/// stereo.
pub type ChannelStrip = PluginChain<channel_strip::ChannelStripCore>;
/// Lathe Bus Compressor's signal path: keyed compressor with lookahead, auto release, mid/side,
/// output saturation, listen modes and a loudness-matched compare.
pub type BusCompressor = PluginChain<bus_compressor::BusCompressorCore>;
/// Lathe Limiter's signal path: drive, oversampled soft clip and true-peak limiting, dither.
pub type Limiter = PluginChain<limiter::LimiterCore>;
/// Lathe Reference's signal path: match EQ and the loudness-matched A/B with a reference.
pub type Reference = PluginChain<reference::ReferenceCore>;

/// The most channels (main or sidechain) a chain processes.
pub const MAX_CHANNELS: usize = 8;
/// Samples per internal chunk; host blocks of any size are processed in chunks of at most this.
pub const CHUNK_SAMPLES: usize = 256;
/// Duration of the bypass crossfade in milliseconds.
pub const BYPASS_RAMP_MS: f32 = 10.0;

/// The plugin-specific part of a signal path.
pub trait Core: Send {
    /// Plain settings struct the core is driven by.
    type Settings: Clone + PartialEq + Default + Send + std::fmt::Debug;

    /// Creates the core for up to `max_channels` main channels at the given sample rate.
    fn new(max_channels: usize, sample_rate_hz: f64) -> Self;
    /// Recomputes all coefficients for a new sample rate; may allocate.
    fn set_sample_rate(&mut self, sample_rate_hz: f64);
    /// Clears signal state without allocating.
    fn reset(&mut self);
    /// Applies new settings; coefficients are recomputed only for what changed.
    fn set_settings(&mut self, settings: &Self::Settings);
    /// Current latency in samples.
    fn latency(&self) -> u32;
    /// The largest latency any settings can produce at the current sample rate.
    fn max_latency(&self) -> u32;
    /// Processes a block in place. `sidechain` is the external key input, if connected.
    fn process(&mut self, main: &mut [&mut [f32]], sidechain: Option<&[&[f32]]>);

    /// Sees the chain's trims and bypass whenever settings are applied (a limiter needs its
    /// drive for loudness-matched monitoring). Default: ignored.
    fn set_io(&mut self, _io: &IoSettings) {}

    /// Called on every [`PluginChain::set_settings`], even when the settings did not change,
    /// before the latency is read: takes values other threads handed over (see
    /// [`crate::rt::mailbox`]). Default: nothing.
    fn poll(&mut self) {}

    /// Runs after the output trim and before the bypass crossfade, for stages that must be
    /// last in the signal path (dither). Default: nothing.
    fn process_output(&mut self, _main: &mut [&mut [f32]]) {}

    /// The word length [`Core::process_output`] requantises to (the limiter's dither), if any:
    /// every output sample is then a whole number of LSBs at that many bits. Default: `None`.
    fn output_word_length(&self) -> Option<u32> {
        None
    }
}

/// Settings shared by every plugin: trims and bypass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IoSettings {
    /// Gain applied before the core, in dB.
    pub input_gain_db: f32,
    /// Gain applied after the core, in dB.
    pub output_gain_db: f32,
    /// Whether the plugin is bypassed (output = input delayed by the latency).
    pub bypass: bool,
}

impl Default for IoSettings {
    fn default() -> Self {
        Self {
            input_gain_db: 0.0,
            output_gain_db: 0.0,
            bypass: false,
        }
    }
}

/// The complete settings of a plugin chain.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChainSettings<S> {
    /// Trims and bypass.
    pub io: IoSettings,
    /// The core's own settings.
    pub core: S,
}

/// The input side of a [`PluginChain`] ([`PluginChain::core_input`]): the same sanitising
/// and input trim, in the same chunks, so its output is the core's input sample for sample.
#[derive(Debug, Clone)]
pub struct CoreInput {
    gain: SmoothedGain,
}

impl CoreInput {
    /// Turns a block of the chain's input into the core's input, in place.
    pub fn process(&mut self, block: &mut [&mut [f32]]) {
        let len = block.first().map_or(0, |c| c.len());
        let channels = block.len().min(MAX_CHANNELS);
        let mut start = 0;
        while start < len {
            let end = (start + CHUNK_SAMPLES).min(len);
            let mut parts: [&mut [f32]; MAX_CHANNELS] = Default::default();
            for (part, ch) in parts.iter_mut().zip(block.iter_mut()) {
                *part = &mut ch[start..end];
                for x in part.iter_mut() {
                    *x = sanitize(*x);
                }
            }
            self.gain.apply(&mut parts[..channels]);
            start = end;
        }
    }
}

/// A plugin's whole signal path: a [`Core`] plus trims, sanitising and bypass.
pub struct PluginChain<C: Core> {
    core: C,
    settings: ChainSettings<C::Settings>,
    sample_rate_hz: f64,
    max_channels: usize,
    input_gain: SmoothedGain,
    output_gain: SmoothedGain,
    /// Towards on (1.0) = dry (bypassed) signal, off (0.0) = processed signal.
    bypass_mix: Crossfade,
    dry_delay: DelayLine,
    dry: Vec<Vec<f32>>,
    snap_pending: bool,
    input_peak: f32,
    output_peak: f32,
    /// Fully bypassed: the core is not running.
    core_idle: bool,
    /// Samples the core still runs (output dry) after leaving bypass, before the crossfade.
    warmup_left: usize,
}

impl<C: Core> PluginChain<C> {
    /// Creates a chain for up to `max_channels` main channels (at most [`MAX_CHANNELS`]).
    pub fn new(max_channels: usize, sample_rate_hz: f64) -> Self {
        let max_channels = max_channels.clamp(1, MAX_CHANNELS);
        let core = C::new(max_channels, sample_rate_hz);
        let max_latency = core.max_latency() as usize;
        let mut chain = Self {
            core,
            settings: ChainSettings::default(),
            sample_rate_hz,
            max_channels,
            input_gain: SmoothedGain::new(sample_rate_hz, DEFAULT_GAIN_RAMP_MS),
            output_gain: SmoothedGain::new(sample_rate_hz, DEFAULT_GAIN_RAMP_MS),
            bypass_mix: Crossfade::new(BYPASS_RAMP_MS as f64, sample_rate_hz),
            dry_delay: DelayLine::new(max_channels, max_latency),
            dry: vec![vec![0.0; CHUNK_SAMPLES]; max_channels],
            snap_pending: true,
            input_peak: 0.0,
            output_peak: 0.0,
            core_idle: false,
            warmup_left: 0,
        };
        chain.bypass_mix.set(false);
        chain.bypass_mix.snap();
        let settings = chain.settings.clone();
        chain.set_settings(&settings);
        // The caller's first settings are applied at once, not ramped to from the defaults.
        chain.snap_pending = true;
        chain
    }

    /// The sample rate the chain is prepared for.
    pub fn sample_rate_hz(&self) -> f64 {
        self.sample_rate_hz
    }

    /// The most main channels this chain processes.
    pub fn max_channels(&self) -> usize {
        self.max_channels
    }

    /// The settings last applied.
    pub fn settings(&self) -> &ChainSettings<C::Settings> {
        &self.settings
    }

    /// Read access to the core (for meters and analysis readouts).
    pub fn core(&self) -> &C {
        &self.core
    }

    /// Write access to the core, for readouts that are taken (reset on read).
    pub fn core_mut(&mut self) -> &mut C {
        &mut self.core
    }

    /// What the chain will feed its core from here on (the input sanitised and times the
    /// input trim), as a stage of its own: for running part of a core ahead of it on another
    /// thread (offline, settings fixed and bypass off; see
    /// [`crate::chains::limiter::LimiterCore::detach_detector`]).
    pub fn core_input(&self) -> CoreInput {
        CoreInput {
            gain: self.input_gain.clone(),
        }
    }

    /// The word length the chain's output is already quantised to (see
    /// [`Core::output_word_length`]); `None` while bypass is on or moving, when the output is
    /// (partly) the dry signal.
    pub fn output_word_length(&self) -> Option<u32> {
        let processed = !self.settings.io.bypass
            && !self.core_idle
            && self.warmup_left == 0
            && self.bypass_mix.is_off();
        processed.then(|| self.core.output_word_length()).flatten()
    }

    /// Peak absolute input sample (after sanitising, before trims) of the last `process` call.
    pub fn input_peak(&self) -> f32 {
        self.input_peak
    }

    /// Peak absolute output sample of the last `process` call.
    pub fn output_peak(&self) -> f32 {
        self.output_peak
    }

    /// Processes a block with an optional sidechain (key) input. Sidechain slices shorter than
    /// the main block are treated as silence past their end.
    pub fn process_with_sidechain(
        &mut self,
        main: &mut [&mut [f32]],
        sidechain: Option<&[&[f32]]>,
    ) {
        let _denormals = crate::math::FlushDenormals::new();
        let channels = main.len().min(self.max_channels);
        let len = main.first().map_or(0, |c| c.len());
        self.input_peak = 0.0;
        self.output_peak = 0.0;
        let mut start = 0;
        while start < len {
            let end = (start + CHUNK_SAMPLES).min(len);
            let mut parts: [&mut [f32]; MAX_CHANNELS] = Default::default();
            for (part, ch) in parts.iter_mut().zip(main.iter_mut()).take(channels) {
                *part = &mut ch[start..end];
            }
            let mut sc_parts: [&[f32]; MAX_CHANNELS] = Default::default();
            let sc_count = sidechain.map_or(0, |sc| sc.len().min(MAX_CHANNELS));
            if let Some(sc) = sidechain {
                for (part, ch) in sc_parts.iter_mut().zip(sc.iter()) {
                    let s = start.min(ch.len());
                    let e = end.min(ch.len());
                    *part = &ch[s..e];
                }
            }
            let sc = sidechain.map(|_| &sc_parts[..sc_count]);
            self.process_chunk(&mut parts[..channels], sc);
            start = end;
        }
    }

    fn process_chunk(&mut self, block: &mut [&mut [f32]], sidechain: Option<&[&[f32]]>) {
        let len = block.first().map_or(0, |c| c.len());
        let mut in_peak = self.input_peak;
        for (ch, dry) in block.iter_mut().zip(self.dry.iter_mut()) {
            for (x, d) in ch.iter_mut().zip(dry.iter_mut()) {
                let s = sanitize(*x);
                *x = s;
                *d = s;
            }
            in_peak = abs_max(in_peak, ch);
        }
        self.input_peak = in_peak;

        {
            let mut dry_parts: [&mut [f32]; MAX_CHANNELS] = Default::default();
            for (part, d) in dry_parts.iter_mut().zip(self.dry.iter_mut()) {
                *part = &mut d[..len];
            }
            self.dry_delay.process(&mut dry_parts[..block.len()]);
        }

        let bypass = self.settings.io.bypass;
        if bypass && self.bypass_mix.is_full() {
            self.core_idle = true;
            self.warmup_left = 0;
        } else if bypass {
            self.warmup_left = 0;
        } else if self.core_idle {
            self.core.reset();
            self.core_idle = false;
            self.warmup_left = self.core.latency() as usize;
            if self.warmup_left == 0 {
                self.bypass_mix.set(false);
            }
        }

        if self.core_idle {
            for (ch, dry) in block.iter_mut().zip(self.dry.iter()) {
                ch.copy_from_slice(&dry[..len]);
            }
        } else {
            self.input_gain.apply(block);
            self.core.process(block, sidechain);
            self.output_gain.apply(block);
            self.core.process_output(block);
            // Filter tails decay into subnormals (an f64 biquad's 1e-39 written as f32, an
            // FIR's last products); hosts and validators reject them, so they end here.
            crate::math::sanitize_block(block);
        }

        if self.core_idle {
            // Output is the dry signal already.
        } else if self.warmup_left > 0 {
            // The core is warming up after bypass: dry until its lookahead is fresh, then the
            // crossfade back to the processed signal starts, at that exact sample.
            for i in 0..len {
                if self.warmup_left > 0 {
                    for (ch, dry) in block.iter_mut().zip(self.dry.iter()) {
                        ch[i] = dry[i];
                    }
                    self.warmup_left -= 1;
                    if self.warmup_left == 0 {
                        self.bypass_mix.set(false);
                    }
                } else {
                    let m = self.bypass_mix.next_level();
                    for (ch, dry) in block.iter_mut().zip(self.dry.iter()) {
                        ch[i] = ch[i] * (1.0 - m) + dry[i] * m;
                    }
                }
            }
        } else if !self.bypass_mix.is_settled() {
            for i in 0..len {
                let m = self.bypass_mix.next_level();
                for (ch, dry) in block.iter_mut().zip(self.dry.iter()) {
                    ch[i] = ch[i] * (1.0 - m) + dry[i] * m;
                }
            }
        } else if self.bypass_mix.is_full() {
            for (ch, dry) in block.iter_mut().zip(self.dry.iter()) {
                ch.copy_from_slice(&dry[..len]);
            }
        }

        let mut out_peak = self.output_peak;
        for ch in block.iter() {
            out_peak = abs_max(out_peak, ch);
        }
        self.output_peak = out_peak;
    }
}

impl<C: Core> crate::Block for PluginChain<C> {
    type Settings = ChainSettings<C::Settings>;

    /// Applies settings. Trims and bypass ramp smoothly, except for the first call after
    /// construction or [`crate::Block::reset`], which jumps straight to the new values.
    fn set_settings(&mut self, settings: &ChainSettings<C::Settings>) {
        self.core.poll();
        if settings.core != self.settings.core || self.snap_pending {
            self.core.set_settings(&settings.core);
        }
        if settings.io != self.settings.io || self.snap_pending {
            self.core.set_io(&settings.io);
        }
        self.input_gain.set_target_db(settings.io.input_gain_db);
        self.output_gain.set_target_db(settings.io.output_gain_db);
        // Leaving bypass waits for the core's warm-up (see `process_chunk`).
        let hold_dry = settings.io.bypass || self.core_idle || self.warmup_left > 0;
        self.bypass_mix.set(hold_dry);
        self.dry_delay.set_delay(self.core.latency() as usize);
        if settings != &self.settings {
            self.settings = settings.clone();
        }
        if self.snap_pending {
            self.input_gain.snap();
            self.output_gain.snap();
            self.bypass_mix.snap();
            self.snap_pending = false;
        }
    }

    fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.sample_rate_hz = sample_rate_hz;
        self.core.set_sample_rate(sample_rate_hz);
        self.input_gain.set_sample_rate(sample_rate_hz);
        self.output_gain.set_sample_rate(sample_rate_hz);
        self.bypass_mix.set_sample_rate(sample_rate_hz);
        self.dry_delay = DelayLine::new(self.max_channels, self.core.max_latency() as usize);
        self.snap_pending = true;
        let settings = self.settings.clone();
        self.set_settings(&settings);
    }

    fn reset(&mut self) {
        self.core.reset();
        self.core_idle = false;
        self.warmup_left = 0;
        self.dry_delay.reset();
        self.input_gain.snap();
        self.output_gain.snap();
        self.bypass_mix.snap();
        self.snap_pending = true;
        self.input_peak = 0.0;
        self.output_peak = 0.0;
    }

    fn latency(&self) -> u32 {
        self.core.latency()
    }

    fn process(&mut self, channels: &mut [&mut [f32]]) {
        self.process_with_sidechain(channels, None);
    }
}
