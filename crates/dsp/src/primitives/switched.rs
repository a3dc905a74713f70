//! A block that can be switched in and out of the signal path without a click: the block, a
//! [`Crossfade`] against its own dry input, and reset-on-enable (a block switched on after it
//! was fully off starts from a clean state, not from a stale envelope or filter memory). The
//! pattern of `ctl::Bypass` in lsp-dsp-units, sized for Lathe's fixed chunks.

use crate::Block;
use crate::chains::CHUNK_SAMPLES;
use crate::primitives::crossfade::Crossfade;

/// Crossfade time when a switched block goes on or off, ms.
pub const SWITCH_FADE_MS: f32 = 10.0;

/// A [`Block`] with an on/off switch that crossfades over [`SWITCH_FADE_MS`].
///
/// ```
/// use lathe_dsp::Block;
/// use lathe_dsp::filters::eq::{EqSettings, ParametricEq};
/// use lathe_dsp::primitives::switched::Switched;
///
/// let mut eq = Switched::new(ParametricEq::new(48_000.0), 2, 48_000.0);
/// let mut settings = EqSettings::default();
/// settings.bands[2].gain_db = 6.0;
/// eq.set(true, &settings);
/// let (mut l, mut r) = (vec![0.5f32; 64], vec![0.5f32; 64]);
/// eq.process(&mut [&mut l, &mut r]); // fades the EQ in over 10 ms
/// ```
#[derive(Debug, Clone)]
pub struct Switched<B: Block> {
    block: B,
    fade: Crossfade,
    dry: Vec<[f32; CHUNK_SAMPLES]>,
}

impl<B: Block> Switched<B> {
    /// Wraps `block` (off) for up to `max_channels` channels.
    pub fn new(block: B, max_channels: usize, sample_rate_hz: f64) -> Self {
        Self {
            block,
            fade: Crossfade::new(SWITCH_FADE_MS as f64, sample_rate_hz),
            dry: vec![[0.0; CHUNK_SAMPLES]; max_channels.max(1)],
        }
    }

    /// Applies the block's settings and switches it; a block switched on from fully off is
    /// reset first.
    pub fn set(&mut self, enabled: bool, settings: &B::Settings) {
        self.block.set_settings(settings);
        if self.fade.set(enabled) {
            self.block.reset();
        }
    }

    /// Jumps to the switch's position (no fade): after a reset, or before the first block.
    pub fn snap(&mut self) {
        self.fade.snap();
    }

    /// Whether the switch is on (the fade may still be running).
    pub fn is_enabled(&self) -> bool {
        self.fade.is_on()
    }

    /// The wrapped block.
    pub fn block(&self) -> &B {
        &self.block
    }

    /// The wrapped block, mutably.
    pub fn block_mut(&mut self) -> &mut B {
        &mut self.block
    }
}

/// What a chain does alike to every switched block it holds, whatever block is inside: an
/// object-safe view of [`Switched`], so a chain can keep its switched modules in one list.
pub trait Switch: Send {
    /// [`Block::set_sample_rate`] of the block and the fade.
    fn set_sample_rate(&mut self, sample_rate_hz: f64);
    /// [`Block::reset`]: clears the block and jumps the switch to its position.
    fn reset(&mut self);
    /// [`Switched::snap`].
    fn snap(&mut self);
}

impl<B: Block> Switch for Switched<B> {
    fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        Block::set_sample_rate(self, sample_rate_hz);
    }

    fn reset(&mut self) {
        Block::reset(self);
    }

    fn snap(&mut self) {
        Switched::snap(self);
    }
}

/// Settings of a [`Switched`] block: the switch and the block's own settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SwitchedSettings<S> {
    /// Whether the block is in the signal path.
    pub enabled: bool,
    /// The block's settings.
    pub settings: S,
}

impl<B: Block> Block for Switched<B> {
    type Settings = SwitchedSettings<B::Settings>;

    fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.block.set_sample_rate(sample_rate_hz);
        self.fade.set_sample_rate(sample_rate_hz);
    }

    fn set_settings(&mut self, settings: &Self::Settings) {
        self.set(settings.enabled, &settings.settings);
    }

    /// Resets the block and jumps the switch to its position.
    fn reset(&mut self) {
        self.block.reset();
        self.fade.snap();
    }

    fn latency(&self) -> u32 {
        self.block.latency()
    }

    fn process(&mut self, block: &mut [&mut [f32]]) {
        if self.fade.is_off() {
            return;
        }
        if self.fade.is_full() {
            self.block.process(block);
            return;
        }
        let len = block.first().map_or(0, |c| c.len());
        let channels = block.len().min(self.dry.len());
        let mut start = 0;
        while start < len {
            let n = (len - start).min(CHUNK_SAMPLES);
            let mut parts: [&mut [f32]; crate::chains::MAX_CHANNELS] = Default::default();
            for (part, ch) in parts.iter_mut().zip(block.iter_mut()) {
                *part = &mut ch[start..start + n];
            }
            let parts = &mut parts[..channels];
            for (ch, d) in parts.iter().zip(self.dry.iter_mut()) {
                d[..n].copy_from_slice(ch);
            }
            self.block.process(parts);
            self.fade.blend(parts, &self.dry);
            start += n;
        }
    }
}
