//! The level detector's parts shared by the compressor, the gate and the de-esser: one-pole
//! time constants, dB conversion, the fixed flush grid that makes output independent of block
//! sizes, the asymmetric one-pole smoother of Giannoulis et al. (JAES 60(6), 2012, eq. 17) and
//! the side-chain key filters (RBJ Audio EQ Cookbook Butterworth sections).

use crate::chains::MAX_CHANNELS;
use crate::filters::design::{Section, SectionKind};
use crate::math::{DB_PER_NEPER, fast_max, fast_min};
use crate::primitives::biquad::{BiquadCoefficients, tick_pair, tick_state};

/// Floor for levels in dB (silence).
pub(crate) const FLOOR_DB: f32 = -200.0;

/// The one-pole coefficient (the pole, [`crate::math::one_pole_pole`]) for time constant `ms`.
pub fn time_coefficient(ms: f32, sample_rate_hz: f64) -> f32 {
    crate::math::one_pole_pole(ms as f64, sample_rate_hz) as f32
}

#[inline]
pub(crate) fn from_db(db: f32) -> f32 {
    // `exp` is several times cheaper than `powf`; no gain change is the common case.
    if db == 0.0 {
        1.0
    } else {
        (db * (1.0 / DB_PER_NEPER)).exp()
    }
}

/// Samples per pass of [`Compressor::process`].
pub const PASS_SAMPLES: usize = 64;

/// Samples between flushes of decayed state; on a fixed grid so block sizes do not matter.
pub(crate) const FLUSH_GRID: u32 = 64;

/// Cuts processing into passes that end where decayed state is flushed. The flush points lie
/// on a fixed grid of [`FLUSH_GRID`] samples from the last reset, so block sizes do not change
/// the output.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FlushGrid {
    /// Samples to process before the next flush.
    until: u32,
}

impl FlushGrid {
    pub(crate) const START: Self = Self {
        until: FLUSH_GRID - 1,
    };

    /// Whether to flush before the next pass, and that pass's length: at most `max` and
    /// `remaining`, and never across a flush point.
    #[inline]
    pub(crate) fn next_pass(&mut self, remaining: usize, max: usize) -> (bool, usize) {
        let flush = self.until == 0;
        if flush {
            self.until = FLUSH_GRID;
        }
        let n = remaining.min(max).min(self.until as usize);
        self.until -= n as u32;
        (flush, n)
    }
}

/// A block that processes in passes on a [`FlushGrid`]: where its grid is and what it flushes
/// (decayed filter and detector state set to exact zeros) at each grid point.
pub(crate) trait Passes {
    /// The block's grid.
    fn grid(&mut self) -> &mut FlushGrid;
    /// Flushes decayed state.
    fn flush(&mut self);
}

/// Runs `pass(block, main, start, n, channels)` over `main` in passes of at most
/// [`PASS_SAMPLES`] that never cross a flush point, flushing where the grid says: the one pass
/// loop of the compressor, the gate and the de-esser. Nothing happens without channels.
#[inline]
pub(crate) fn run_passes<B: Passes>(
    block: &mut B,
    main: &mut [&mut [f32]],
    mut pass: impl FnMut(&mut B, &mut [&mut [f32]], usize, usize, usize),
) {
    let channels = main.len().min(crate::chains::MAX_CHANNELS);
    if channels == 0 {
        return;
    }
    let len = main[0].len();
    let mut start = 0;
    while start < len {
        let (flush, n) = block.grid().next_pass(len - start, PASS_SAMPLES);
        if flush {
            block.flush();
        }
        pass(block, main, start, n, channels);
        start += n;
    }
}

/// Inside `impl Block`: `set_sample_rate` and `set_settings` for a block whose coefficients
/// follow from its `settings` field and `sample_rate_hz` field through its `apply` method,
/// recomputed only when one of them changes.
macro_rules! lazy_coefficients {
    ($settings:ty) => {
        /// Recomputes the coefficients for a new rate.
        fn set_sample_rate(&mut self, sample_rate_hz: f64) {
            self.sample_rate_hz = sample_rate_hz;
            self.apply();
        }

        /// Applies settings (coefficients are recomputed only when they changed).
        fn set_settings(&mut self, settings: &$settings) {
            if *settings != self.settings {
                self.settings = *settings;
                self.apply();
            }
        }
    };
}
pub(crate) use lazy_coefficients;

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
pub(crate) fn smooth_step(value: f32, target: f32, rise: f32, fall: f32, rise_faster: bool) -> f32 {
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
pub(crate) struct KeyFilter {
    pub(crate) c: BiquadCoefficients,
    on: bool,
    s: [[f64; 2]; MAX_CHANNELS],
}

impl KeyFilter {
    pub(crate) const OFF: Self = Self {
        c: BiquadCoefficients::IDENTITY,
        on: false,
        s: [[0.0; 2]; MAX_CHANNELS],
    };

    pub(crate) fn set_coefficients(&mut self, c: BiquadCoefficients) {
        self.c = c;
        self.on = true;
    }

    pub(crate) fn set(&mut self, section: Option<Section>, sample_rate_hz: f64) {
        match section {
            Some(s) => self.set_coefficients(s.design(sample_rate_hz)),
            None => self.on = false,
        }
    }

    #[inline]
    pub(crate) fn tick(&mut self, ch: usize, x: f32) -> f32 {
        if !self.on {
            return x;
        }
        tick_state(&self.c, &mut self.s[ch], x as f64) as f32
    }

    /// Channels `ch` and `ch + 1`'s state with the lanes side by side, for [`tick_pair`].
    #[inline]
    pub(crate) fn pair_state(&self, ch: usize) -> [[f64; 2]; 2] {
        let (a, b) = (self.s[ch], self.s[ch + 1]);
        [[a[0], b[0]], [a[1], b[1]]]
    }

    /// Stores what [`KeyFilter::pair_state`] returned, after filtering.
    #[inline]
    pub(crate) fn set_pair_state(&mut self, ch: usize, st: [[f64; 2]; 2]) {
        self.s[ch] = [st[0][0], st[1][0]];
        self.s[ch + 1] = [st[0][1], st[1][1]];
    }

    /// Filters one channel's block in place (identity when off), state in registers.
    pub(crate) fn run(&mut self, ch: usize, x: &mut [f32]) {
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
    pub(crate) fn run_pair(&mut self, ch: usize, a: &mut [f32], b: &mut [f32]) {
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

    pub(crate) fn reset(&mut self) {
        self.s = [[0.0; 2]; MAX_CHANNELS];
    }

    pub(crate) fn flush(&mut self) {
        for s in &mut self.s {
            if s[0].abs() < 1e-30 && s[1].abs() < 1e-30 {
                *s = [0.0; 2];
            }
        }
    }
}

/// A second-order Butterworth high-pass section at `hz`, or `None` for `hz <= 0`.
pub(crate) fn highpass_section(hz: f32) -> Option<Section> {
    let q = std::f64::consts::FRAC_1_SQRT_2;
    (hz > 0.0).then_some(Section {
        kind: SectionKind::Highpass { q },
        freq_hz: hz as f64,
    })
}

/// A second-order Butterworth low-pass section at `hz`, or `None` for `hz <= 0`.
pub(crate) fn lowpass_section(hz: f32) -> Option<Section> {
    let q = std::f64::consts::FRAC_1_SQRT_2;
    (hz > 0.0).then_some(Section {
        kind: SectionKind::Lowpass { q },
        freq_hz: hz as f64,
    })
}

/// One pass of samples for every channel (scratch of the dynamics processors).
pub(crate) type PassBuffers = [[f32; PASS_SAMPLES]; MAX_CHANNELS];
