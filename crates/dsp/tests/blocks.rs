//! The generic harnesses every [`Block`] runs through: block-size invariance (the same signal
//! cut into blocks of 1, 17, 64, 300, 4096 samples and random sizes gives the same bits as one
//! block, with a settings change at the same sample in every run) and realtime safety (after
//! construction and `set_sample_rate`, nothing in `set_settings`, `process`, `reset` or
//! `latency` allocates or frees, while settings change).
//!
//! A new block joins by adding one line to `every_block!`.

use lathe_dsp::Block;
use lathe_dsp::DelayLine;
use lathe_dsp::chains::{BusCompressor, ChainSettings, ChannelStrip, Limiter};
use lathe_dsp::color::dither::{Dither, DitherDepth, DitherSettings};
use lathe_dsp::color::imager::{Imager, ImagerSettings};
use lathe_dsp::color::saturator::{Character, Saturator, SaturatorOversampling, SaturatorSettings};
use lathe_dsp::color::stereo::{Stereo, StereoSettings};
use lathe_dsp::dynamics::peak_limiter::{PeakLimiter, PeakLimiterSettings};
use lathe_dsp::dynamics::{
    Compressor, CompressorSettings, DeEsser, DeEsserSettings, Detection, Gate, GateSettings,
};
use lathe_dsp::filters::design::Slope;
use lathe_dsp::filters::eq::{EqSettings, ParametricEq, PassFilter, PassSettings};
use lathe_dsp::filters::linear_eq::{FilterSettings, LinearPhaseEq};
use lathe_dsp::filters::linear_phase::Designer;
use lathe_dsp::primitives::switched::{Switched, SwitchedSettings};
use rand::{Rng, SeedableRng};
use std::sync::atomic::Ordering;

const SR: f64 = 48_000.0;
/// Length of the test signal; the settings change at [`CHANGE_AT`].
const LEN: usize = 24_000;
const CHANGE_AT: usize = 9_001;

mod counting;

use counting::{ALLOCATIONS, FREES, SERIAL, count};

// ---- the harnesses ----

/// Stereo test programme: noise bursts with silent gaps (so gates close and envelopes
/// release), a loud passage (so dynamics work hard) and a quiet tail.
fn programme() -> [Vec<f32>; 2] {
    let mut rng = rand::rngs::StdRng::seed_from_u64(17);
    let mut ch = || -> Vec<f32> {
        (0..LEN)
            .map(|i| {
                let level = match (i / 3000) % 4 {
                    0 => 0.3,
                    1 => 0.0,
                    2 => 0.9,
                    _ => 0.02,
                };
                level * (rng.random::<f32>() * 2.0 - 1.0)
            })
            .collect()
    };
    [ch(), ch()]
}

/// Runs the programme through a fresh block in blocks of `sizes` (cycled), with `a` before the
/// first sample and `b` from [`CHANGE_AT`] on.
fn render<B: Block>(
    make: &dyn Fn() -> B,
    a: &B::Settings,
    b: &B::Settings,
    sizes: &[usize],
) -> [Vec<f32>; 2] {
    let mut block = make();
    block.set_settings(a);
    block.reset();
    let [mut l, mut r] = programme();
    let mut pos = 0;
    let mut k = 0;
    while pos < LEN {
        if pos == CHANGE_AT {
            block.set_settings(b);
        }
        let limit = if pos < CHANGE_AT { CHANGE_AT } else { LEN };
        let n = sizes[k % sizes.len()].min(limit - pos);
        k += 1;
        block.process(&mut [&mut l[pos..pos + n], &mut r[pos..pos + n]]);
        pos += n;
    }
    [l, r]
}

fn check_block_size_invariance<B: Block>(
    name: &str,
    make: &dyn Fn() -> B,
    a: &B::Settings,
    b: &B::Settings,
) {
    let whole = render(make, a, b, &[LEN]);
    let [dry, _] = programme();
    assert!(
        whole[0] != dry || a == b,
        "{name}: the settings under test leave the signal untouched"
    );
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let random: Vec<usize> = (0..64).map(|_| rng.random_range(1..=700)).collect();
    for sizes in [&[1usize][..], &[17], &[64], &[300], &[4096], &random] {
        let cut = render(make, a, b, sizes);
        let first = (0..LEN).find(|&i| cut[0][i] != whole[0][i] || cut[1][i] != whole[1][i]);
        assert_eq!(
            first,
            None,
            "{name}: blocks of {:?} differ from one block (first at sample {first:?})",
            &sizes[..sizes.len().min(4)]
        );
    }
}

fn check_no_allocation<B: Block>(
    name: &str,
    make: &dyn Fn() -> B,
    a: &B::Settings,
    b: &B::Settings,
) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut block = make();
    block.set_sample_rate(44_100.0);
    block.set_sample_rate(SR);
    let [mut l, mut r] = programme();
    let (a, b) = (a.clone(), b.clone());
    ALLOCATIONS.store(0, Ordering::SeqCst);
    FREES.store(0, Ordering::SeqCst);
    count(true);
    for (i, (l, r)) in l.chunks_mut(512).zip(r.chunks_mut(512)).enumerate() {
        block.set_settings(if i % 3 == 0 { &a } else { &b });
        if i % 11 == 5 {
            block.reset();
        }
        std::hint::black_box(block.latency());
        block.process(&mut [l, r]);
    }
    count(false);
    let events = ALLOCATIONS.load(Ordering::SeqCst) + FREES.load(Ordering::SeqCst);
    assert_eq!(
        events, 0,
        "{name}: {events} allocations or frees on the audio thread"
    );
}

fn check<B: Block>(name: &str, make: &dyn Fn() -> B, a: B::Settings, b: B::Settings) {
    check_block_size_invariance(name, make, &a, &b);
    check_no_allocation(name, make, &a, &b);
}

// ---- every block ----

fn compressor(threshold_db: f32, detection: Detection) -> CompressorSettings {
    CompressorSettings {
        threshold_db,
        ratio: 4.0,
        detection,
        ..Default::default()
    }
}

fn eq(gain_db: f32) -> EqSettings {
    let mut s = EqSettings::default();
    s.bands[2].enabled = true;
    s.bands[2].gain_db = gain_db;
    s.bands[0].enabled = true;
    s.bands[0].gain_db = -gain_db / 2.0;
    s
}

fn pass(freq_hz: f32, slope: Slope) -> PassSettings {
    PassSettings {
        enabled: true,
        freq_hz,
        slope,
        q: 0.9,
    }
}

fn saturator(drive_db: f32, oversampling: SaturatorOversampling) -> SaturatorSettings {
    SaturatorSettings {
        character: Character::Tube,
        drive_db,
        mix: 0.8,
        compensate: true,
        oversampling,
    }
}

#[test]
fn filters() {
    check(
        "high-pass",
        &|| PassFilter::new(true, SR),
        pass(120.0, Slope::Db24),
        pass(400.0, Slope::Db12),
    );
    check(
        "low-pass",
        &|| PassFilter::new(false, SR),
        pass(5000.0, Slope::Db36),
        pass(2000.0, Slope::Db18),
    );
    check(
        "parametric EQ",
        &|| ParametricEq::new(SR),
        eq(6.0),
        eq(-9.0),
    );
    // The same with the bell on the side: the switch into mid/side happens mid-signal.
    let side = |gain_db| {
        let mut s = eq(gain_db);
        s.channels[2] = lathe_dsp::filters::eq::EqChannel::Side;
        s
    };
    check(
        "mid/side EQ",
        &|| ParametricEq::new(SR),
        eq(6.0),
        side(-9.0),
    );
    // Linear phase: kernels designed inline (offline) for the bit comparison, on a designer
    // thread for the realtime check (inline design allocates by nature).
    let linear = |eq: EqSettings, hp: bool| FilterSettings {
        highpass: PassSettings {
            enabled: hp,
            ..pass(120.0, Slope::Db24)
        },
        lowpass: PassSettings::default(),
        eq_enabled: true,
        eq,
    };
    let (a, b) = (linear(eq(6.0), false), linear(side(-9.0), true));
    check_block_size_invariance("linear-phase EQ", &|| LinearPhaseEq::new(2, SR), &a, &b);
    let live = || {
        let mut e = LinearPhaseEq::new(2, SR);
        e.attach(Designer::spawn().unwrap());
        e
    };
    check_no_allocation("linear-phase EQ", &live, &a, &b);
}

#[test]
fn dynamics() {
    check(
        "compressor",
        &|| Compressor::new(SR),
        compressor(-30.0, Detection::Peak),
        compressor(-20.0, Detection::Rms),
    );
    let gate = |threshold_db| GateSettings {
        threshold_db,
        ..Default::default()
    };
    check("gate", &|| Gate::new(SR), gate(-30.0), gate(-12.0));
    let deess = |threshold_db| DeEsserSettings {
        threshold_db,
        ..Default::default()
    };
    check("de-esser", &|| DeEsser::new(SR), deess(-30.0), deess(-20.0));
    let limit = |ceiling_db, lookahead_ms| PeakLimiterSettings {
        ceiling_db,
        lookahead_ms,
        ..Default::default()
    };
    check(
        "peak limiter",
        &|| PeakLimiter::new(2, SR, PeakLimiterSettings::default()),
        limit(-6.0, 1.5),
        limit(-3.0, 3.0),
    );
    // Three bands squeezed, then four with the crossovers moved (they glide) and a band
    // soloed, another bypassed.
    use lathe_dsp::dynamics::multiband::{Multiband, MultibandSettings};
    let mut three = MultibandSettings::default();
    for b in &mut three.band {
        b.compressor = compressor(-30.0, Detection::Peak);
    }
    let mut four = three;
    four.bands = 4;
    four.crossovers_hz = [200.0, 2_000.0, 8_000.0];
    four.band[1].solo = true;
    four.band[2].solo = true;
    four.band[2].bypass = true;
    check("multiband", &|| Multiband::new(SR), three, four);
    // Linear phase: kernels designed inline for the bit comparison, on designer threads for
    // the allocation check.
    use lathe_dsp::dynamics::multiband::MultibandPhase;
    let (mut three, mut four) = (three, four);
    three.phase = MultibandPhase::Linear;
    four.phase = MultibandPhase::Linear;
    check_block_size_invariance("linear multiband", &|| Multiband::new(SR), &three, &four);
    let live = || {
        let mut m = Multiband::new(SR);
        m.attach_designers().unwrap();
        m
    };
    check_no_allocation("linear multiband", &live, &three, &four);
}

#[test]
fn colour() {
    check(
        "saturator",
        &|| Saturator::new(2, SR),
        saturator(12.0, SaturatorOversampling::X2),
        saturator(18.0, SaturatorOversampling::X4),
    );
    let stereo = |width| StereoSettings {
        width,
        ..Default::default()
    };
    check("stereo", &|| Stereo::new(SR), stereo(1.5), stereo(0.3));
    let imager = |width_low, bass_mono| ImagerSettings {
        width_low,
        width_high: 1.4,
        bass_mono,
        ..Default::default()
    };
    check(
        "imager",
        &|| Imager::new(SR),
        imager(0.5, false),
        imager(1.5, true),
    );
    let dither = |shaping| DitherSettings {
        depth: DitherDepth::Bits16,
        shaping,
        limit: 1.0,
    };
    check("dither", &Dither::new, dither(false), dither(true));
}

#[test]
fn primitives() {
    check("delay line", &|| DelayLine::new(2, 200), 37, 150);
    let on = |gain_db, enabled| SwitchedSettings {
        enabled,
        settings: eq(gain_db),
    };
    check(
        "switched EQ",
        &|| Switched::new(ParametricEq::new(SR), 2, SR),
        on(6.0, true),
        on(6.0, false),
    );
    let comp = |enabled| SwitchedSettings {
        enabled,
        settings: compressor(-30.0, Detection::Peak),
    };
    check(
        "switched compressor",
        &|| Switched::new(Compressor::new(SR), 2, SR),
        comp(false),
        comp(true),
    );
}

#[test]
fn chains() {
    let strip = |comp: bool| {
        let mut s =
            ChainSettings::<lathe_dsp::chains::channel_strip::ChannelStripSettings>::default();
        s.core.compressor_enabled = comp;
        s.core.compressor = compressor(-30.0, Detection::Rms);
        s.core.eq = eq(4.0);
        s
    };
    check(
        "channel strip",
        &|| ChannelStrip::new(2, SR),
        strip(false),
        strip(true),
    );
    let linear = |comp| {
        let mut s = strip(comp);
        s.core.eq_phase = lathe_dsp::chains::channel_strip::EqPhase::Linear;
        s
    };
    let (a, b) = (linear(false), linear(true));
    check_block_size_invariance("linear strip", &|| ChannelStrip::new(2, SR), &a, &b);
    let live = || {
        let mut c = ChannelStrip::new(2, SR);
        c.core_mut().attach_designer().unwrap();
        c
    };
    check_no_allocation("linear strip", &live, &a, &b);
    let bus = |threshold_db| {
        let mut s =
            ChainSettings::<lathe_dsp::chains::bus_compressor::BusCompressorSettings>::default();
        s.core.compressor.threshold_db = threshold_db;
        s
    };
    check(
        "bus compressor",
        &|| BusCompressor::new(2, SR),
        bus(-30.0),
        bus(-12.0),
    );
    // Multiband, switched on mid-signal with the lookahead on.
    let mut multiband = bus(-30.0);
    multiband.core.multiband_enabled = true;
    multiband.core.lookahead_ms = 1.0;
    multiband.core.multiband.bands = 4;
    let mut single = bus(-30.0);
    single.core.lookahead_ms = 1.0;
    check(
        "multiband bus compressor",
        &|| BusCompressor::new(2, SR),
        single,
        multiband,
    );
    let limiter = |drive_db| {
        let mut s = ChainSettings::<lathe_dsp::chains::limiter::LimiterSettings>::default();
        s.io.input_gain_db = drive_db;
        s
    };
    check(
        "limiter",
        &|| Limiter::new(2, SR),
        limiter(6.0),
        limiter(12.0),
    );
}
