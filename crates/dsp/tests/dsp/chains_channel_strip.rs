//! Lathe Channel Strip's whole signal path: bit transparency, width and pan, block-size
//! invariance with everything on, latency, NaN recovery, the editor's response, subnormal
//! tails and module fades.

use crate::common;

use common::frequencies;
use lathe_dsp::chains::ChainSettings;
use lathe_dsp::chains::ChannelStrip;
use lathe_dsp::chains::channel_strip::{ChannelStripSettings, ModuleOrder};
use lathe_dsp::color::saturator::SaturatorOversampling;
use lathe_dsp::color::stereo::StereoSettings;
use lathe_dsp::filters::design::Slope;
use lathe_dsp::filters::eq::ParametricEq;
use lathe_dsp::{Block, IoSettings};

fn strip(settings: ChannelStripSettings, sr: f64) -> ChannelStrip {
    let mut chain = ChannelStrip::new(2, sr);
    chain.set_settings(&ChainSettings {
        io: IoSettings::default(),
        core: settings,
    });
    chain
}

fn everything_on() -> ChannelStripSettings {
    let mut s = ChannelStripSettings::default();
    s.highpass.enabled = true;
    s.highpass.freq_hz = 60.0;
    s.highpass.slope = Slope::Db24;
    s.lowpass.enabled = true;
    s.lowpass.freq_hz = 16_000.0;
    s.eq.bands[0].gain_db = 3.0;
    s.eq.bands[1].gain_db = -4.0;
    s.eq.bands[2].gain_db = 2.0;
    s.eq.bands[3].gain_db = 5.0;
    s.gate_enabled = true;
    s.compressor_enabled = true;
    s.compressor.threshold_db = -24.0;
    s.deesser_enabled = true;
    s.saturator_enabled = true;
    s.saturator.oversampling = SaturatorOversampling::X2;
    s.imager_enabled = true;
    s.imager.width_low = 0.5;
    s.imager.width_high = 1.5;
    s.imager.bass_mono = true;
    s.stereo.width = 1.4;
    s.stereo.pan = 0.2;
    s
}

#[test]
fn default_strip_is_bit_transparent_and_width_zero_is_mono() {
    let sr = 48_000.0;
    let [l, r] = common::music_like(2.0, sr, 7);
    let mut chain = strip(ChannelStripSettings::default(), sr);
    assert_eq!(chain.latency(), 0);
    let (mut a, mut b) = (l.clone(), r.clone());
    chain.process(&mut [&mut a, &mut b]);
    assert!(a == l && b == r, "default strip changed the signal");

    let s = ChannelStripSettings {
        stereo: StereoSettings {
            width: 0.0,
            ..StereoSettings::default()
        },
        ..ChannelStripSettings::default()
    };
    let mut chain = strip(s, sr);
    let (mut a, mut b) = (l.clone(), r.clone());
    chain.process(&mut [&mut a, &mut b]);
    assert!(a == b, "width 0 is not mono");
    for i in (0..a.len()).step_by(997) {
        assert!((a[i] - 0.5 * (l[i] + r[i])).abs() < 1e-6);
    }
}

#[test]
fn the_imager_at_full_width_is_the_input_and_bass_mono_takes_the_side_out() {
    let sr = 48_000.0;
    let [l, r] = common::music_like(2.0, sr, 8);
    // On, every band at 100 %, bass mono off: switched out, so the input bit for bit.
    let mut s = ChannelStripSettings {
        imager_enabled: true,
        ..ChannelStripSettings::default()
    };
    let mut chain = strip(s, sr);
    let (mut a, mut b) = (l.clone(), r.clone());
    chain.process(&mut [&mut a, &mut b]);
    assert!(a == l && b == r, "a neutral imager changed the signal");
    // Bass mono at 120 Hz: a 50 Hz tone in the side only (L = -R) is gone, one at 1 kHz stays.
    s.imager.bass_mono = true;
    let mut chain = strip(s, sr);
    let n = 48_000;
    let side = |f: f64| common::sine(f, 0.25, sr, n);
    for (f, want_db, tol) in [(50.0, -40.0, f64::INFINITY), (1000.0, 0.0, 0.05)] {
        let x = side(f);
        let (mut a, mut b) = (x.clone(), x.iter().map(|v| -v).collect::<Vec<f32>>());
        chain.reset();
        chain.process(&mut [&mut a, &mut b]);
        let out: Vec<f32> = a.iter().zip(&b).map(|(p, q)| 0.5 * (p - q)).collect();
        let level = common::tone_level_db(&out[24_000..], f, sr)
            - common::tone_level_db(&x[24_000..], f, sr);
        eprintln!("bass mono at 120 Hz: side at {f} Hz {level:+.2} dB");
        if tol.is_finite() {
            assert!((level - want_db).abs() < tol, "{f} Hz: {level} dB");
        } else {
            assert!(level < want_db, "{f} Hz: {level} dB");
        }
    }
}

#[test]
fn pan_is_constant_power() {
    for pan in [-1.0f32, -0.5, 0.0, 0.3, 1.0] {
        let (l, r) = lathe_dsp::color::stereo::pan_gains(pan);
        assert!((l * l + r * r - 2.0).abs() < 1e-5, "{pan}");
    }
}

#[test]
fn strip_is_block_size_invariant_with_everything_on() {
    let sr = 48_000.0;
    let [l, r] = common::music_like(3.0, sr, 3);
    let run = |block: usize, order| {
        let mut s = everything_on();
        s.order = order;
        let mut chain = strip(s, sr);
        let (mut a, mut b) = (l.clone(), r.clone());
        let mut start = 0;
        let mut k = 0;
        while start < a.len() {
            // Irregular block sizes around `block`.
            let len = (block + (k * 37) % (block / 2 + 1)).min(a.len() - start);
            chain.process(&mut [&mut a[start..start + len], &mut b[start..start + len]]);
            start += len;
            k += 1;
        }
        (a, b)
    };
    for order in [ModuleOrder::EqFirst, ModuleOrder::DynamicsFirst] {
        let reference = run(4096, order);
        for block in [1, 17, 64, 1000] {
            let got = run(block, order);
            let first = (0..reference.0.len())
                .find(|&i| got.0[i] != reference.0[i] || got.1[i] != reference.1[i]);
            assert!(
                first.is_none(),
                "block {block} {order:?}: differs at {first:?}"
            );
        }
    }
}

#[test]
fn strip_latency_is_the_impulse_delay() {
    let sr = 48_000.0;
    for os in [
        SaturatorOversampling::Off,
        SaturatorOversampling::X2,
        SaturatorOversampling::X4,
        SaturatorOversampling::X8,
    ] {
        let mut s = ChannelStripSettings {
            saturator_enabled: true,
            ..ChannelStripSettings::default()
        };
        s.saturator.oversampling = os;
        s.saturator.drive_db = 0.0;
        s.saturator.mix = 0.0;
        let mut chain = strip(s, sr);
        let latency = chain.latency() as usize;
        let mut x = vec![0.0f32; 4096];
        x[100] = 0.1;
        let mut y = x.clone();
        chain.process(&mut [&mut x, &mut y]);
        let peak = common::peak_index(&x);
        assert_eq!(peak - 100, latency, "{os:?}");
    }
    // Saturator off: no latency whatever the oversampling.
    let mut s = ChannelStripSettings::default();
    s.saturator.oversampling = SaturatorOversampling::X8;
    assert_eq!(strip(s, sr).latency(), 0);
}

#[test]
fn nan_input_does_not_latch() {
    let sr = 48_000.0;
    let mut chain = strip(everything_on(), sr);
    let mut a = vec![f32::NAN; 512];
    let mut b = vec![f32::INFINITY; 512];
    chain.process(&mut [&mut a, &mut b]);
    let [l, r] = common::music_like(1.0, sr, 1);
    let (mut a, mut b) = (l.clone(), r.clone());
    chain.process(&mut [&mut a, &mut b]);
    assert!(a.iter().chain(&b).all(|x| x.is_finite()));
    assert!(a.iter().any(|x| x.abs() > 0.01));
}

#[test]
fn editor_response_equals_the_settled_strip_response() {
    use lathe_dsp::chains::channel_strip::{FilterResponse, ResponsePart};
    let sr = 44_100.0;
    let settings = everything_on();
    let mut strip = strip(settings, sr);
    // Let every glide settle.
    let mut l = vec![0.0f32; 48_000];
    let mut r = l.clone();
    strip.process(&mut [&mut l[..], &mut r[..]]);
    let designed = FilterResponse::design(&settings.filters(), sr);
    let mut parts_sum_checked = 0;
    for f in frequencies() {
        let live = strip.core().magnitude_db(f);
        let want = designed.magnitude_db(f);
        assert!(
            (live - want).abs() < 1e-3,
            "{f} Hz: strip {live:.4} dB, designed {want:.4} dB"
        );
        let parts: f64 = [ResponsePart::Highpass, ResponsePart::Lowpass]
            .into_iter()
            .chain((0..5).map(ResponsePart::Band))
            .map(|p| designed.part_magnitude_db(p, f))
            .sum();
        assert!((parts - want).abs() < 1e-9);
        parts_sum_checked += 1;
    }
    assert!(parts_sum_checked > 20);
    // A band's own curve peaks at its gain.
    let band = settings.eq.bands[2];
    let peak = designed.part_magnitude_db(ResponsePart::Band(2), band.freq_hz as f64);
    assert!((peak - band.gain_db as f64).abs() < 0.05, "{peak}");
}

#[test]
fn impulse_tails_never_leave_subnormal_output() {
    // Hosts and validators reject subnormal output samples: every filter tail, including the
    // oversampling FIRs and the f64 biquads written out as f32, must end in exact zeros.
    let sr = 48_000.0;
    let mut cases = vec![everything_on()];
    let mut eq_sat = ChannelStripSettings::default();
    eq_sat.eq.bands[2].gain_db = 6.0;
    eq_sat.eq.bands[2].freq_hz = 1000.0;
    eq_sat.saturator_enabled = true;
    eq_sat.saturator.drive_db = 0.0;
    cases.push(eq_sat);
    for (n, settings) in cases.into_iter().enumerate() {
        let mut chain = strip(settings, sr);
        let len = 48_000;
        let mut l = vec![0.0f32; len];
        l[1000] = 0.5;
        let mut r = l.clone();
        for (bl, br) in l.chunks_mut(512).zip(r.chunks_mut(512)) {
            chain.process(&mut [bl, br]);
        }
        for (i, &x) in l.iter().chain(r.iter()).enumerate() {
            assert!(
                x == 0.0 || x.abs() >= f32::MIN_POSITIVE,
                "case {n}: sample {} is subnormal ({x:e})",
                i % len
            );
        }
    }
}

#[test]
fn a_module_switched_on_is_exactly_itself_once_its_fade_is_over() {
    use lathe_dsp::Core;
    use lathe_dsp::chains::channel_strip::{ChannelStripCore, MODULE_FADE_MS};
    const SR: f64 = 48_000.0;
    let mut settings = ChannelStripSettings {
        eq_enabled: false,
        ..Default::default()
    };
    settings.eq.bands[2].gain_db = 12.0;
    settings.eq.bands[2].freq_hz = 1000.0;
    let mut strip = ChannelStripCore::new(1, SR);
    strip.set_settings(&settings);
    let x: Vec<f32> = (0..4096).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
    let mut y = x.clone();
    strip.process(&mut [&mut y[..256]], None);
    // The EQ goes on at sample 256; a bare EQ started there is what it must become.
    settings.eq_enabled = true;
    strip.set_settings(&settings);
    let mut eq = ParametricEq::new(SR);
    eq.set_settings(&settings.eq);
    let mut want = x[256..].to_vec();
    eq.process(&mut [&mut want[..]]);
    for block in y[256..].chunks_mut(256) {
        strip.process(&mut [block], None);
    }
    let fade = (MODULE_FADE_MS as f64 * 1e-3 * SR) as usize;
    let differ = (fade..want.len())
        .filter(|&i| y[256 + i] != want[i])
        .count();
    assert_eq!(
        differ, 0,
        "{differ} samples after the {fade}-sample fade are not the EQ's own output"
    );
}
