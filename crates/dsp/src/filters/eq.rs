//! The channel strip's pass filters and parametric EQ: cascades of matched biquads
//! ([`crate::filters::design`]) with click-free parameter changes.
//!
//! Parameter changes glide: every [`UPDATE_SAMPLES`] samples each section moves its frequency
//! and Q (geometrically) and its gain (in dB) a step towards the target, with a time constant
//! of [`GLIDE_MS`], and is redesigned. The update grid counts samples from the last reset, not
//! from block starts, so the output does not depend on how the host cuts blocks.
//! The filters run in `f64`, transposed direct form II.
//!
//! Each EQ band filters the stereo pair ([`EqChannel::Stereo`]), or only its mid or its side
//! (`M = (L + R) / 2`, `S = (L - R) / 2`; the mid/side EQ of FabFilter Pro-Q and of
//! mastering consoles). While every band is on Stereo the cascade runs on left and right as
//! it always did (the same samples, bit for bit); once a band is on Mid or Side the whole
//! cascade runs on mid and side, its state carried over exactly (filters are linear, so a
//! stereo section's state in M/S is the half-sum and half-difference of its L/R state).

use crate::filters::design::{MAX_PASS_SECTIONS, Section, SectionKind, Slope, butterworth};
use crate::primitives::biquad::{BiquadCoefficients, tick_lanes, tick_pair, tick_state};

/// Samples between coefficient updates while a parameter glides.
pub const UPDATE_SAMPLES: usize = 32;
/// Time constant of parameter glides, ms.
pub const GLIDE_MS: f64 = 15.0;
/// Most channels an EQ processes.
const MAX_CH: usize = crate::chains::MAX_CHANNELS;

/// A high- or low-pass filter's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PassSettings {
    /// Whether the filter is in the signal path.
    pub enabled: bool,
    /// Corner frequency, Hz.
    pub freq_hz: f32,
    /// Slope.
    pub slope: Slope,
    /// Resonance (Q) at 12 dB/oct; other slopes are Butterworth.
    pub q: f32,
}

impl Default for PassSettings {
    /// Off at 1 kHz, 12 dB/oct Butterworth.
    fn default() -> Self {
        Self::off(1000.0)
    }
}

impl PassSettings {
    /// A disabled filter at `freq_hz`, 12 dB/oct Butterworth.
    pub const fn off(freq_hz: f32) -> Self {
        Self {
            enabled: false,
            freq_hz,
            slope: Slope::Db12,
            q: std::f32::consts::FRAC_1_SQRT_2,
        }
    }
}

/// The shape of an EQ band.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BandShape {
    /// Low shelf.
    LowShelf,
    /// Peaking bell.
    Bell,
    /// High shelf.
    HighShelf,
}

/// One EQ band's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandSettings {
    /// Whether the band is active (a disabled band is flat).
    pub enabled: bool,
    /// Centre or corner frequency, Hz.
    pub freq_hz: f32,
    /// Gain, dB.
    pub gain_db: f32,
    /// Q.
    pub q: f32,
}

/// Number of parametric bands: low shelf, three bells, high shelf.
pub const BANDS: usize = 5;
/// The shape of each band, in order.
pub const BAND_SHAPES: [BandShape; BANDS] = [
    BandShape::LowShelf,
    BandShape::Bell,
    BandShape::Bell,
    BandShape::Bell,
    BandShape::HighShelf,
];

/// Which part of a stereo signal an EQ band filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EqChannel {
    /// Left and right alike.
    #[default]
    Stereo,
    /// The mid, `(L + R) / 2` (a mono signal: all of it).
    Mid,
    /// The side, `(L - R) / 2` (a mono signal has none: the band does nothing).
    Side,
}

impl EqChannel {
    /// Whether the band filters the mid (`lane` 0) or the side (`lane` 1).
    fn filters_lane(self, lane: usize) -> bool {
        match self {
            EqChannel::Stereo => true,
            EqChannel::Mid => lane == 0,
            EqChannel::Side => lane == 1,
        }
    }
}

/// Settings of the parametric EQ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EqSettings {
    /// The bands, shaped as [`BAND_SHAPES`].
    pub bands: [BandSettings; BANDS],
    /// What each band filters.
    pub channels: [EqChannel; BANDS],
}

impl Default for EqSettings {
    fn default() -> Self {
        let band = |freq_hz: f32, q: f32| BandSettings {
            enabled: true,
            freq_hz,
            gain_db: 0.0,
            q,
        };
        Self {
            bands: [
                band(100.0, std::f32::consts::FRAC_1_SQRT_2),
                band(400.0, 1.0),
                band(1500.0, 1.0),
                band(5000.0, 1.0),
                band(10_000.0, std::f32::consts::FRAC_1_SQRT_2),
            ],
            channels: [EqChannel::Stereo; BANDS],
        }
    }
}

/// One section slot: target and current (gliding) design, coefficients.
#[derive(Debug, Clone, Copy)]
struct Slot {
    target: Section,
    current: Section,
    coefficients: BiquadCoefficients,
    active: bool,
    /// What the section filters.
    channel: EqChannel,
}

impl Slot {
    const EMPTY: Slot = Slot {
        target: Section {
            kind: SectionKind::Bell {
                gain_db: 0.0,
                q: 1.0,
            },
            freq_hz: 1000.0,
        },
        current: Section {
            kind: SectionKind::Bell {
                gain_db: 0.0,
                q: 1.0,
            },
            freq_hz: 1000.0,
        },
        coefficients: BiquadCoefficients::IDENTITY,
        active: false,
        channel: EqChannel::Stereo,
    };
}

/// Moves `current` a step of `alpha` (0..1) towards `target`; returns whether it arrived.
fn glide(current: &mut Section, target: &Section, alpha: f64) -> bool {
    let geo = |c: f64, t: f64| {
        let next = c * (t / c).powf(alpha);
        if (next / t - 1.0).abs() < 1e-4 {
            t
        } else {
            next
        }
    };
    let lin = |c: f64, t: f64| {
        let next = c + (t - c) * alpha;
        if (next - t).abs() < 1e-3 { t } else { next }
    };
    use SectionKind::*;
    let kind = match (current.kind, target.kind) {
        (Bell { gain_db: g, q }, Bell { gain_db: tg, q: tq }) => Bell {
            gain_db: lin(g, tg),
            q: geo(q, tq),
        },
        (LowShelf { gain_db: g, q }, LowShelf { gain_db: tg, q: tq }) => LowShelf {
            gain_db: lin(g, tg),
            q: geo(q, tq),
        },
        (HighShelf { gain_db: g, q }, HighShelf { gain_db: tg, q: tq }) => HighShelf {
            gain_db: lin(g, tg),
            q: geo(q, tq),
        },
        (Lowpass { q }, Lowpass { q: tq }) => Lowpass { q: geo(q, tq) },
        (Highpass { q }, Highpass { q: tq }) => Highpass { q: geo(q, tq) },
        (_, t) => t,
    };
    current.kind = kind;
    current.freq_hz = geo(current.freq_hz, target.freq_hz);
    current == target
}

/// A cascade of up to `N` gliding sections, for up to [`MAX_CH`] channels.
#[derive(Debug, Clone)]
pub struct Cascade<const N: usize> {
    slots: [Slot; N],
    state: [[[f64; 2]; N]; MAX_CH],
    sample_rate_hz: f64,
    alpha: f64,
    /// Samples until the next glide update.
    countdown: usize,
    gliding: bool,
    snap: bool,
    /// Channels 0 and 1 hold mid and side (some section is on Mid or Side).
    mid_side: bool,
}

impl<const N: usize> Cascade<N> {
    /// An empty (identity) cascade.
    pub fn new(sample_rate_hz: f64) -> Self {
        let mut c = Self {
            slots: [Slot::EMPTY; N],
            state: [[[0.0; 2]; N]; MAX_CH],
            sample_rate_hz,
            alpha: 0.0,
            countdown: 0,
            gliding: false,
            snap: true,
            mid_side: false,
        };
        c.set_sample_rate(sample_rate_hz);
        c
    }

    /// Recomputes every coefficient for a new sample rate (and jumps to the targets).
    pub fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.sample_rate_hz = sample_rate_hz;
        // The glide runs once every UPDATE_SAMPLES samples.
        let update_rate_hz = sample_rate_hz / UPDATE_SAMPLES as f64;
        self.alpha = 1.0 - crate::math::one_pole_pole(GLIDE_MS, update_rate_hz);
        self.snap_to_targets();
    }

    fn snap_to_targets(&mut self) {
        let sr = self.sample_rate_hz;
        for slot in &mut self.slots {
            slot.current = slot.target;
            if slot.active {
                slot.coefficients = slot.current.design(sr);
            }
        }
        self.gliding = false;
    }

    /// Clears the filter state and jumps to the target settings.
    pub fn reset(&mut self) {
        self.state = [[[0.0; 2]; N]; MAX_CH];
        self.countdown = 0;
        self.snap_to_targets();
        self.snap = false;
    }

    /// Sets the sections (at most `N`; the rest are inactive). A slot whose kind changes
    /// (a different slope) jumps; otherwise it glides. The first call after construction jumps.
    pub fn set_sections(&mut self, sections: &[Option<Section>]) {
        for (i, slot) in self.slots.iter_mut().enumerate() {
            match sections.get(i).copied().flatten() {
                Some(section) => {
                    let same_kind = std::mem::discriminant(&slot.current.kind)
                        == std::mem::discriminant(&section.kind);
                    if !slot.active || !same_kind {
                        slot.current = section;
                        slot.coefficients = section.design(self.sample_rate_hz);
                        slot.active = true;
                    }
                    if slot.target != section {
                        slot.target = section;
                        self.gliding = true;
                    }
                }
                None => slot.active = false,
            }
        }
        if self.snap {
            self.snap = false;
            self.snap_to_targets();
        }
    }

    fn update_glide(&mut self) {
        let sr = self.sample_rate_hz;
        let mut still = false;
        for slot in self.slots.iter_mut().filter(|s| s.active) {
            if slot.current != slot.target {
                let arrived = glide(&mut slot.current, &slot.target, self.alpha);
                slot.coefficients = slot.current.design(sr);
                still |= !arrived;
            }
        }
        self.gliding = still;
    }

    /// Sets what each section filters (sections past `channels` filter the stereo pair).
    pub fn set_channels(&mut self, channels: &[EqChannel]) {
        for (i, slot) in self.slots.iter_mut().enumerate() {
            slot.channel = channels.get(i).copied().unwrap_or_default();
        }
    }

    /// Whether some active section filters only the mid or only the side.
    fn wants_mid_side(&self) -> bool {
        self.slots
            .iter()
            .any(|s| s.active && s.channel != EqChannel::Stereo)
    }

    /// Carries channels 0 and 1's state between left/right and mid/side (exact: the filters
    /// are linear, so a section fed `(L + R) / 2` holds the half-sum of its L and R states).
    fn convert_state(&mut self, to_mid_side: bool) {
        let (a, b) = self.state.split_at_mut(1);
        for (x, y) in a[0].iter_mut().zip(b[0].iter_mut()) {
            for k in 0..2 {
                let (p, q) = (x[k], y[k]);
                (x[k], y[k]) = if to_mid_side {
                    (0.5 * (p + q), 0.5 * (p - q))
                } else {
                    (p + q, p - q)
                };
            }
        }
        self.mid_side = to_mid_side;
    }

    /// The magnitude response of the mid (`side` false) or side, as the cascade filters now,
    /// dB.
    pub fn lane_magnitude_db(&self, freq_hz: f64, side: bool) -> f64 {
        let lane = usize::from(side);
        self.slots
            .iter()
            .filter(|s| s.active && s.channel.filters_lane(lane))
            .map(|s| s.coefficients.magnitude_db(freq_hz, self.sample_rate_hz))
            .sum()
    }

    /// The active sections as currently designed (what the filter does now).
    pub fn coefficients(&self) -> impl Iterator<Item = &BiquadCoefficients> {
        self.slots
            .iter()
            .filter(|s| s.active)
            .map(|s| &s.coefficients)
    }

    /// The active target sections.
    pub fn sections(&self) -> impl Iterator<Item = &Section> {
        self.slots.iter().filter(|s| s.active).map(|s| &s.target)
    }

    /// The cascade's digital magnitude response as it filters now (the targets once a glide
    /// has settled), dB. Uses the coefficients in use, so drawing a curve redesigns nothing.
    pub fn magnitude_db(&self, freq_hz: f64) -> f64 {
        self.coefficients()
            .map(|c| c.magnitude_db(freq_hz, self.sample_rate_hz))
            .sum()
    }

    /// The analog prototype's magnitude at the target settings, dB.
    pub fn analog_magnitude_db(&self, freq_hz: f64) -> f64 {
        self.sections()
            .map(|s| s.analog_magnitude_db(freq_hz, self.sample_rate_hz))
            .sum()
    }

    /// Whether no section is active.
    pub fn is_identity(&self) -> bool {
        !self.slots.iter().any(|s| s.active)
    }

    /// Filters a block in place.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        let len = channels.first().map_or(0, |c| c.len());
        let mid_side = channels.len() == 2 && self.wants_mid_side();
        if mid_side != self.mid_side {
            self.convert_state(mid_side);
        }
        let mut start = 0;
        while start < len {
            if self.countdown == 0 {
                if self.gliding {
                    self.update_glide();
                }
                // Flushing on the fixed grid (not at block ends) keeps the output independent
                // of block sizes.
                for ch in self.state.iter_mut() {
                    for s in ch.iter_mut() {
                        *s = flush(*s);
                    }
                }
                self.countdown = UPDATE_SAMPLES;
            }
            let end = (start + self.countdown).min(len);
            self.run(channels, start, end);
            self.countdown -= end - start;
            start = end;
        }
    }

    fn run(&mut self, channels: &mut [&mut [f32]], start: usize, end: usize) {
        let mut coeffs = [BiquadCoefficients::IDENTITY; N];
        let mut idx = [0usize; N];
        let mut count = 0;
        for (i, slot) in self.slots.iter().enumerate() {
            if slot.active && slot.coefficients != BiquadCoefficients::IDENTITY {
                coeffs[count] = slot.coefficients;
                idx[count] = i;
                count += 1;
            }
        }
        if count == 0 {
            return;
        }
        let coeffs = &coeffs[..count];
        if self.mid_side {
            self.run_mid_side(channels, start, end, coeffs, &idx[..count]);
        } else if channels.len() == 2 {
            let (left, right) = channels.split_at_mut(1);
            let (l, r) = (&mut left[0][start..end], &mut right[0][start..end]);
            let (sl, sr) = self.state.split_at_mut(1);
            let (sl, sr) = (&mut sl[0], &mut sr[0]);
            let mut st = [[[0.0f64; 2]; 2]; N];
            for (k, &i) in idx[..count].iter().enumerate() {
                st[k] = [sl[i], sr[i]];
            }
            // A copy of the loop for each section count keeps the whole cascade's state in
            // registers (a run-time count leaves it in memory, and every sample then waits on
            // store-to-load forwarding).
            match count {
                1 => stereo_cascade::<1>(coeffs, &mut st, l, r),
                2 => stereo_cascade::<2>(coeffs, &mut st, l, r),
                3 => stereo_cascade::<3>(coeffs, &mut st, l, r),
                4 => stereo_cascade::<4>(coeffs, &mut st, l, r),
                5 => stereo_cascade::<5>(coeffs, &mut st, l, r),
                6 => stereo_cascade::<6>(coeffs, &mut st, l, r),
                7 => stereo_cascade::<7>(coeffs, &mut st, l, r),
                _ => stereo_cascade::<8>(coeffs, &mut st, l, r),
            }
            for (k, &i) in idx[..count].iter().enumerate() {
                sl[i] = st[k][0];
                sr[i] = st[k][1];
            }
        } else {
            for (ch, state) in channels.iter_mut().zip(self.state.iter_mut()) {
                for (c, &i) in coeffs.iter().zip(&idx[..count]) {
                    // A mono signal is all mid: a side band has nothing to filter.
                    if self.slots[i].channel == EqChannel::Side {
                        continue;
                    }
                    let mut s = state[i];
                    for x in ch[start..end].iter_mut() {
                        *x = tick_state(c, &mut s, *x as f64) as f32;
                    }
                    state[i] = s;
                }
            }
        }
    }
}

/// `K` sections in cascade on a stereo pair, per sample, both channels side by side (the
/// compiler pairs them into one SIMD register). `state[k][ch]` is section `k`'s (s1, s2) for
/// channel `ch`; `coeffs` holds at least `K` sections. Same arithmetic, in the same order, as
/// [`crate::primitives::biquad::Biquad::tick`].
#[inline(always)]
fn stereo_cascade<const K: usize>(
    coeffs: &[BiquadCoefficients],
    state: &mut [[[f64; 2]; 2]],
    left: &mut [f32],
    right: &mut [f32],
) {
    let c: [BiquadCoefficients; K] = std::array::from_fn(|k| coeffs[k]);
    // Per section: both channels' s1, then both channels' s2.
    let mut s: [[[f64; 2]; 2]; K] = std::array::from_fn(|k| {
        [
            [state[k][0][0], state[k][1][0]],
            [state[k][0][1], state[k][1][1]],
        ]
    });
    for (xl, xr) in left.iter_mut().zip(right.iter_mut()) {
        let mut y = [*xl as f64, *xr as f64];
        for k in 0..K {
            y = tick_pair(&c[k], &mut s[k], y);
        }
        *xl = y[0] as f32;
        *xr = y[1] as f32;
    }
    for k in 0..K {
        let [s1, s2] = s[k];
        state[k] = [[s1[0], s2[0]], [s1[1], s2[1]]];
    }
}

impl<const N: usize> Cascade<N> {
    /// [`Cascade::run`] on a stereo pair in mid/side: each of the active sections (`coeffs`,
    /// from slots `idx`) on the lanes its channel names (the identity on the other).
    fn run_mid_side(
        &mut self,
        channels: &mut [&mut [f32]],
        start: usize,
        end: usize,
        coeffs: &[BiquadCoefficients],
        idx: &[usize],
    ) {
        let (left, right) = channels.split_at_mut(1);
        let (l, r) = (&mut left[0][start..end], &mut right[0][start..end]);
        let count = idx.len();
        let mut lanes = [[BiquadCoefficients::IDENTITY; 2]; N];
        for ((lane_pair, c), &i) in lanes.iter_mut().zip(coeffs).zip(idx) {
            for (lane, slot_c) in lane_pair.iter_mut().enumerate() {
                if self.slots[i].channel.filters_lane(lane) {
                    *slot_c = *c;
                }
            }
        }
        let (sm, ss) = self.state.split_at_mut(1);
        let (sm, ss) = (&mut sm[0], &mut ss[0]);
        let mut st = [[[0.0f64; 2]; 2]; N];
        for (k, &i) in idx[..count].iter().enumerate() {
            st[k] = [[sm[i][0], ss[i][0]], [sm[i][1], ss[i][1]]];
        }
        // One loop per section count, as for the stereo cascade (state in registers).
        match count {
            0 => mid_side_cascade::<0>(&lanes, &mut st, l, r),
            1 => mid_side_cascade::<1>(&lanes, &mut st, l, r),
            2 => mid_side_cascade::<2>(&lanes, &mut st, l, r),
            3 => mid_side_cascade::<3>(&lanes, &mut st, l, r),
            4 => mid_side_cascade::<4>(&lanes, &mut st, l, r),
            _ => mid_side_cascade::<5>(&lanes, &mut st, l, r),
        }
        for (k, &i) in idx[..count].iter().enumerate() {
            let [s1, s2] = st[k];
            sm[i] = [s1[0], s2[0]];
            ss[i] = [s1[1], s2[1]];
        }
    }
}

/// `K` sections in cascade on the mid and side of a stereo pair: lane 0 runs `lanes[k][0]`,
/// lane 1 `lanes[k][1]` (the identity where a band leaves that lane alone).
#[inline(always)]
fn mid_side_cascade<const K: usize>(
    lanes: &[[BiquadCoefficients; 2]],
    state: &mut [[[f64; 2]; 2]],
    left: &mut [f32],
    right: &mut [f32],
) {
    let c: [[BiquadCoefficients; 2]; K] = std::array::from_fn(|k| lanes[k]);
    let mut s: [[[f64; 2]; 2]; K] = std::array::from_fn(|k| state[k]);
    for (xl, xr) in left.iter_mut().zip(right.iter_mut()) {
        let (a, b) = (*xl as f64, *xr as f64);
        let mut y = [0.5 * (a + b), 0.5 * (a - b)];
        for k in 0..K {
            y = tick_lanes([&c[k][0], &c[k][1]], &mut s[k], y);
        }
        *xl = (y[0] + y[1]) as f32;
        *xr = (y[0] - y[1]) as f32;
    }
    state[..K].copy_from_slice(&s);
}

/// Flushes filter state far below audibility to zero (no subnormals in long silences).
#[inline]
fn flush(s: [f64; 2]) -> [f64; 2] {
    if s[0].abs() < 1e-30 && s[1].abs() < 1e-30 {
        [0.0; 2]
    } else {
        s
    }
}

/// A high- or low-pass filter (up to 48 dB/oct). Its `enabled` flag is left to the caller
/// (the channel strip crossfades modules in and out).
#[derive(Debug, Clone)]
pub struct PassFilter {
    cascade: Cascade<MAX_PASS_SECTIONS>,
    highpass: bool,
    settings: Option<PassSettings>,
}

/// The digital and analog-prototype magnitude responses of a filter built on a `cascade`.
macro_rules! cascade_response {
    ($ty:ty) => {
        impl $ty {
            /// Digital magnitude response, dB.
            pub fn magnitude_db(&self, freq_hz: f64) -> f64 {
                self.cascade.magnitude_db(freq_hz)
            }

            /// Analog prototype magnitude, dB.
            pub fn analog_magnitude_db(&self, freq_hz: f64) -> f64 {
                self.cascade.analog_magnitude_db(freq_hz)
            }
        }
    };
}

cascade_response!(PassFilter);
cascade_response!(ParametricEq);

impl PassFilter {
    /// A high-pass (`highpass`) or low-pass at `sample_rate_hz`.
    pub fn new(highpass: bool, sample_rate_hz: f64) -> Self {
        Self {
            cascade: Cascade::new(sample_rate_hz),
            highpass,
            settings: None,
        }
    }
}

impl crate::Block for PassFilter {
    type Settings = PassSettings;

    /// Recomputes coefficients for a new sample rate.
    fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.cascade.set_sample_rate(sample_rate_hz);
    }

    /// Applies settings (only redesigns when they changed; `enabled` is ignored).
    fn set_settings(&mut self, settings: &PassSettings) {
        let mut key = *settings;
        key.enabled = true;
        if self.settings.as_ref() == Some(&key) {
            return;
        }
        self.settings = Some(key);
        let mut sections = [Section {
            kind: SectionKind::Lowpass1,
            freq_hz: 0.0,
        }; MAX_PASS_SECTIONS];
        let n = butterworth(
            self.highpass,
            key.slope,
            key.freq_hz as f64,
            key.q as f64,
            &mut sections,
        );
        let mut all = [None; MAX_PASS_SECTIONS];
        for (slot, s) in all.iter_mut().zip(&sections[..n]) {
            *slot = Some(*s);
        }
        self.cascade.set_sections(&all);
    }

    /// Clears the state.
    fn reset(&mut self) {
        self.cascade.reset();
    }

    /// Filters a block in place.
    fn process(&mut self, channels: &mut [&mut [f32]]) {
        self.cascade.process(channels);
    }
}

/// The band's section for the given settings (`None` when disabled).
pub fn band_section(shape: BandShape, band: &BandSettings) -> Option<Section> {
    if !band.enabled {
        return None;
    }
    let (gain_db, q) = (band.gain_db as f64, band.q as f64);
    let kind = match shape {
        BandShape::LowShelf => SectionKind::LowShelf { gain_db, q },
        BandShape::Bell => SectionKind::Bell { gain_db, q },
        BandShape::HighShelf => SectionKind::HighShelf { gain_db, q },
    };
    Some(Section {
        kind,
        freq_hz: band.freq_hz as f64,
    })
}

/// The five-band parametric EQ. Its analytic response is what the editor draws and what the
/// tests measure the processed signal against.
///
/// ```
/// use lathe_dsp::Block;
/// use lathe_dsp::filters::eq::{EqSettings, ParametricEq};
///
/// let mut eq = ParametricEq::new(48_000.0);
/// let mut settings = EqSettings::default();
/// settings.bands[2].enabled = true; // the middle bell
/// settings.bands[2].freq_hz = 1_000.0;
/// settings.bands[2].gain_db = 6.0;
/// settings.bands[2].q = 1.0;
/// eq.set_settings(&settings);
/// assert!((eq.magnitude_db(1_000.0) - 6.0).abs() < 0.01);
/// assert!(eq.magnitude_db(20.0).abs() < 0.1);
/// let mut left = vec![0.0f32; 256];
/// let mut right = vec![0.0f32; 256];
/// eq.process(&mut [&mut left, &mut right]);
/// assert_eq!(eq.latency(), 0);
/// ```
#[derive(Debug, Clone)]
pub struct ParametricEq {
    cascade: Cascade<BANDS>,
    settings: Option<EqSettings>,
}

impl ParametricEq {
    /// A flat EQ at `sample_rate_hz`.
    pub fn new(sample_rate_hz: f64) -> Self {
        Self {
            cascade: Cascade::new(sample_rate_hz),
            settings: None,
        }
    }

    /// The response of the mid, dB: the Stereo and Mid bands as they filter now.
    pub fn mid_magnitude_db(&self, freq_hz: f64) -> f64 {
        self.cascade.lane_magnitude_db(freq_hz, false)
    }

    /// The response of the side, dB: the Stereo and Side bands as they filter now.
    pub fn side_magnitude_db(&self, freq_hz: f64) -> f64 {
        self.cascade.lane_magnitude_db(freq_hz, true)
    }
}

impl crate::Block for ParametricEq {
    type Settings = EqSettings;

    /// Recomputes coefficients for a new sample rate.
    fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        self.cascade.set_sample_rate(sample_rate_hz);
    }

    /// Applies settings (only redesigns when they changed).
    fn set_settings(&mut self, settings: &EqSettings) {
        if self.settings.as_ref() == Some(settings) {
            return;
        }
        self.settings = Some(*settings);
        let mut sections = [None; BANDS];
        for (i, (shape, band)) in BAND_SHAPES.iter().zip(&settings.bands).enumerate() {
            sections[i] = band_section(*shape, band);
        }
        self.cascade.set_sections(&sections);
        self.cascade.set_channels(&settings.channels);
    }

    /// Clears the state.
    fn reset(&mut self) {
        self.cascade.reset();
    }

    /// Filters a block in place.
    fn process(&mut self, channels: &mut [&mut [f32]]) {
        self.cascade.process(channels);
    }
}
