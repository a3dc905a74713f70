//! `lathe-dsp`: all of Lathe's signal processing.
//!
//! Every plugin's whole signal path is one type here, driven by a plain settings struct; the
//! plugins only map their parameters onto that struct, and the `lathe` CLI drives the very same
//! type, so plugin and CLI output are identical for the same settings.
//!
//! The contract every building block follows is [`Block`]: construct it for a sample rate,
//! [`Block::set_sample_rate`] when the rate changes, [`Block::set_settings`] with its plain
//! settings struct, [`Block::reset`] to clear state, [`Block::process`] on blocks of any size,
//! and [`Block::latency`] for the delay it adds. Nothing here allocates, locks or performs I/O
//! after construction or `set_sample_rate`. `ARCHITECTURE.md` at the repository root maps the
//! layers.
//!
//! This crate never depends on the plugin framework.

#![warn(missing_docs)]

/// Defines `fn $name(args) -> ret` that runs `$generic` (an `#[inline(always)]` function of
/// the same arguments) compiled for AVX on x86_64 CPUs that have it, and as built elsewhere:
/// eight `f32` lanes per instruction instead of four. The body is the same code with nothing
/// fused, so both paths give bit-identical results.
macro_rules! avx_dispatch {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)?
        = $generic:ident;) => {
        $(#[$meta])*
        #[inline]
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx") {
                #[target_feature(enable = "avx")]
                unsafe fn avx($($arg: $ty),*) $(-> $ret)? {
                    $generic($($arg),*)
                }
                // SAFETY: the CPU supports AVX, checked just above.
                return unsafe { avx($($arg),*) };
            }
            $generic($($arg),*)
        }
    };
}

/// Implements `Debug` for a type whose state is too large or opaque to print whole: its name
/// and the named summary values, e.g. `debug_summary!(Spectrum, |s| "size": s.size)`.
macro_rules! debug_summary {
    ($ty:ident, |$s:ident| $($name:literal: $value:expr),+ $(,)?) => {
        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                let $s = self;
                f.debug_struct(stringify!($ty))
                    $(.field($name, &$value))+
                    .finish_non_exhaustive()
            }
        }
    };
}

pub mod analysis;
pub mod chains;
pub mod color;
pub mod dynamics;
pub mod filters;
pub mod math;
pub mod primitives;
pub mod rt;

pub use analysis::loudness::{LoudnessMeter, LoudnessReport, LoudnessSummary};
pub use chains::{ChainSettings, Core, IoSettings, PluginChain};
pub use primitives::delay::DelayLine;
pub use primitives::gain::SmoothedGain;

/// The contract every Lathe building block follows.
///
/// A block is driven by a plain settings struct ([`Block::Settings`]): it is constructed for a
/// sample rate, told [`Block::set_sample_rate`] when the rate changes (the only call that may
/// allocate), given its settings before every block with [`Block::set_settings`] (cheap when
/// nothing changed: coefficients are recomputed only when their inputs change), cleared with
/// [`Block::reset`], and asked for the delay it adds with [`Block::latency`].
///
/// Blocks are planar: [`Block::process`] takes one slice per channel, all of the same length,
/// and processes them in place. It accepts blocks of any length (including zero) and produces
/// the same output whether a signal arrives in one block or many (block-size invariance);
/// inside, each block keeps its own vectorised pass loops. Nothing allocates, locks or performs
/// I/O in `set_settings`, `reset`, `latency` or `process`.
///
/// ```
/// use lathe_dsp::Block;
/// use lathe_dsp::dynamics::{Compressor, CompressorSettings};
///
/// let mut comp = Compressor::new(48_000.0);
/// comp.set_settings(&CompressorSettings {
///     threshold_db: -20.0,
///     ratio: 4.0,
///     ..Default::default()
/// });
/// let mut mono = vec![0.5f32; 480];
/// comp.process(&mut [&mut mono]);
/// assert_eq!(comp.latency(), 0);
/// ```
pub trait Block: Send {
    /// The plain settings struct the block is driven by.
    type Settings: Clone + PartialEq + Default + std::fmt::Debug + Send;

    /// Prepares for a new sample rate: recomputes every coefficient and time constant and may
    /// (re)allocate; never called on the audio thread while processing.
    fn set_sample_rate(&mut self, sample_rate_hz: f64);

    /// Applies settings; takes effect from the next sample (with the block's own smoothing).
    fn set_settings(&mut self, settings: &Self::Settings);

    /// Clears all signal state (filters, envelopes, delay lines) without allocating.
    fn reset(&mut self);

    /// The delay, in samples, that this block adds to the signal.
    fn latency(&self) -> u32 {
        0
    }

    /// Processes one block in place.
    fn process(&mut self, channels: &mut [&mut [f32]]);
}
