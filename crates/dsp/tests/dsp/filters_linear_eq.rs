//! The strip's linear-phase filters and EQ: the FIR against the zero-latency design's analytic
//! magnitude at every rate, symmetry and latency, mid/side isolation, the strip's latency and
//! alignment in both phase modes, and a click test while bands move.

use crate::common;

use common::{mid_side_responses, peak_index, sine};
use lathe_dsp::chains::channel_strip::{ChannelStripSettings, EqPhase};
use lathe_dsp::chains::{ChainSettings, ChannelStrip};
use lathe_dsp::filters::design::Slope;
use lathe_dsp::filters::eq::EqChannel;
use lathe_dsp::filters::linear_eq::{
    FilterResponse, FilterSettings, Lane, LinearPhaseEq, design_taps, fir_latency, fir_taps,
};
use lathe_dsp::filters::linear_phase::Designer;
use lathe_dsp::{Block, IoSettings};
use realfft::RealFftPlanner;

/// What a mastering engineer dials in: a 25 Hz high-pass, a low shelf, three bells (one
/// narrow in the low end), a high shelf and a 19 kHz low-pass.
fn mastering() -> FilterSettings {
    let mut s = FilterSettings {
        eq_enabled: true,
        ..FilterSettings::default()
    };
    s.highpass.enabled = true;
    s.highpass.freq_hz = 25.0;
    s.highpass.slope = Slope::Db12;
    s.lowpass.enabled = true;
    s.lowpass.freq_hz = 19_000.0;
    s.lowpass.slope = Slope::Db12;
    let bands = [
        (80.0, 2.5, 0.7),
        (45.0, -3.0, 4.0),
        (400.0, -2.0, 1.0),
        (3_000.0, 1.5, 0.7),
        (10_000.0, 2.0, 0.7),
    ];
    for (b, (f, g, q)) in s.eq.bands.iter_mut().zip(bands) {
        b.enabled = true;
        b.freq_hz = f;
        b.gain_db = g;
        b.q = q;
    }
    s
}

/// The magnitude of `taps` on the grid of a `4 * taps.len()`-point transform, dB, with the
/// grid's spacing.
fn spectrum_db(taps: &[f32], sr: f64) -> (Vec<f64>, f64) {
    let n = 4 * taps.len();
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
    let mut x: Vec<f64> = taps.iter().map(|&t| t as f64).collect();
    x.resize(n, 0.0);
    let mut spec = fft.make_output_vec();
    fft.process(&mut x, &mut spec).unwrap();
    let db = spec
        .iter()
        .map(|c| 20.0 * c.norm().max(1e-15).log10())
        .collect();
    (db, sr / n as f64)
}

/// Frequencies from 20 Hz to 20 kHz, 24 per octave.
fn audio_band() -> impl Iterator<Item = f64> {
    (0..240)
        .map(|i| 20.0 * 2f64.powf(i as f64 / 24.0))
        .filter(|&f| f <= 20_000.0)
}

#[test]
fn the_fir_matches_the_zero_latency_design_within_a_quarter_db_at_every_rate() {
    let settings = mastering();
    for sr in [44_100.0, 48_000.0, 88_200.0, 96_000.0, 176_400.0, 192_000.0] {
        let taps = design_taps(&settings, sr, Lane::Mid);
        assert_eq!(taps.len(), fir_taps(sr));
        let design = FilterResponse::design(&settings, sr);
        let (db, df) = spectrum_db(&taps, sr);
        let mut worst = (0.0, 0.0);
        for f in audio_band() {
            let k = (f / df).round() as usize;
            let err = (db[k] - design.lane_magnitude_db(Lane::Mid, k as f64 * df)).abs();
            if err > worst.0 {
                worst = (err, f);
            }
        }
        assert!(
            worst.0 < 0.25,
            "{sr} Hz ({} taps): {:.3} dB off at {:.0} Hz",
            taps.len(),
            worst.0,
            worst.1
        );
    }
    // The length per rate is the documented one, and so is the latency.
    for (sr, taps) in [(44_100.0, 16_384), (48_000.0, 16_384), (96_000.0, 32_768)] {
        assert_eq!(fir_taps(sr), taps);
        assert_eq!(fir_latency(sr) as usize, taps / 2);
    }
    assert_eq!(fir_taps(192_000.0), 65_536);
}

/// The stereo impulse response of a fresh linear-phase EQ, `len` samples.
fn impulse(settings: &FilterSettings, sr: f64, len: usize) -> (Vec<f32>, u32) {
    let mut eq = LinearPhaseEq::new(2, sr);
    eq.set_settings(settings);
    let (mut l, mut r) = (vec![0.0f32; len], vec![0.0f32; len]);
    l[0] = 1.0;
    r[0] = 1.0;
    // Odd block sizes: the convolver's partitions must not care.
    let mut pos = 0;
    for n in [1usize, 63, 700, 4096].into_iter().cycle() {
        if pos >= len {
            break;
        }
        let n = n.min(len - pos);
        eq.process(&mut [&mut l[pos..pos + n], &mut r[pos..pos + n]]);
        pos += n;
    }
    (l, eq.latency())
}

#[test]
fn the_impulse_response_is_symmetric_about_the_latency() {
    let sr = 48_000.0;
    let (h, latency) = impulse(&mastering(), sr, fir_taps(sr) + 512);
    let c = latency as usize;
    assert_eq!(peak_index(&h), c, "the peak is the latency");
    let peak = h[c].abs();
    let worst = (1..c)
        .map(|i| (h[c + i] - h[c - i]).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst < 1e-3 * peak,
        "asymmetry {worst:e} against a peak of {peak}"
    );
    assert!(
        h[2 * c..].iter().all(|x| x.abs() < 1e-6),
        "nothing after the kernel"
    );
    // With everything off the kernel is a pure delay of the same latency.
    let (d, latency_off) = impulse(&FilterSettings::default(), sr, fir_taps(sr) + 512);
    assert_eq!(
        latency_off, latency,
        "the latency does not depend on the bands"
    );
    assert!((d[c] - 1.0).abs() < 1e-6);
    assert!(d.iter().enumerate().all(|(i, x)| i == c || x.abs() < 1e-6));
}

#[test]
fn a_side_band_leaves_the_mid_alone_in_linear_phase() {
    let sr = 48_000.0;
    let mut settings = FilterSettings {
        eq_enabled: true,
        ..FilterSettings::default()
    };
    settings.eq.bands[2].enabled = true;
    settings.eq.bands[2].freq_hz = 1_000.0;
    settings.eq.bands[2].gain_db = 6.0;
    settings.eq.bands[2].q = 1.0;
    settings.eq.channels[2] = EqChannel::Side;
    let n = fir_taps(sr);
    let [mid, side, mid_to_side, side_to_mid] = mid_side_responses(
        || {
            let mut eq = LinearPhaseEq::new(2, sr);
            eq.set_settings(&settings);
            eq
        },
        n,
    );
    let at = |h: &[f32], f: f64| {
        let (db, df) = spectrum_db(h, sr);
        db[(f / df).round() as usize]
    };
    assert!(
        at(&mid, 1_000.0).abs() < 0.1,
        "mid {:.3} dB",
        at(&mid, 1_000.0)
    );
    assert!(
        (at(&side, 1_000.0) - 6.0).abs() < 0.1,
        "side {:.3}",
        at(&side, 1_000.0)
    );
    for f in [100.0, 1_000.0, 10_000.0] {
        assert!(at(&mid_to_side, f) < -100.0 && at(&side_to_mid, f) < -100.0);
    }
}

fn strip_settings(phase: EqPhase) -> ChainSettings<ChannelStripSettings> {
    let f = mastering();
    let mut core = ChannelStripSettings {
        highpass: f.highpass,
        lowpass: f.lowpass,
        eq_enabled: true,
        eq: f.eq,
        eq_phase: phase,
        ..ChannelStripSettings::default()
    };
    core.stereo = Default::default();
    ChainSettings {
        io: IoSettings::default(),
        core,
    }
}

#[test]
fn the_strip_reports_the_impulse_delay_in_both_phase_modes() {
    for sr in [44_100.0, 96_000.0] {
        for phase in [EqPhase::ZeroLatency, EqPhase::Linear] {
            let mut strip = ChannelStrip::new(2, sr);
            strip.set_settings(&strip_settings(phase));
            let len = 2 * fir_taps(sr);
            let (mut l, mut r) = (vec![0.0f32; len], vec![0.0f32; len]);
            l[0] = 1.0;
            r[0] = 1.0;
            strip.process(&mut [&mut l, &mut r]);
            let latency = strip.latency();
            match phase {
                EqPhase::ZeroLatency => assert_eq!(latency, 0),
                // Linear: the EQ's FIR and the imager's (here a pure delay), whatever is on;
                // the centre of a symmetric response is its delay.
                EqPhase::Linear => {
                    assert_eq!(latency, 2 * fir_latency(sr));
                    assert_eq!(peak_index(&l), latency as usize, "{sr} Hz");
                }
            }
        }
    }
}

#[test]
fn after_latency_compensation_the_linear_output_is_aligned_with_the_input() {
    // A 1 kHz tone through flat-at-1-kHz settings: shifted back by the latency it is the input.
    let sr = 48_000.0;
    let mut s = strip_settings(EqPhase::Linear);
    s.core.eq.bands[2].enabled = false;
    s.core.eq.bands[3].enabled = false;
    let mut strip = ChannelStrip::new(2, sr);
    strip.set_settings(&s);
    let len = 3 * fir_taps(sr);
    let x = sine(1_000.0, 0.5, sr, len);
    let (mut l, mut r) = (x.clone(), x.clone());
    strip.process(&mut [&mut l, &mut r]);
    let d = strip.latency() as usize;
    let gain = FilterResponse::design(&s.core.filters(), sr).lane_gain(Lane::Mid, 1_000.0);
    let worst = (d + fir_taps(sr)..len)
        .map(|i| (l[i] as f64 - gain * x[i - d] as f64).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-3, "misaligned by up to {worst}");
}

#[test]
fn moving_bands_in_linear_phase_does_not_click() {
    // A 1 kHz tone while a bell sweeps across it and its gain moves: the kernels cross-fade,
    // so the output is the tone with a smooth envelope. What a click would add is broadband:
    // above 6 kHz, nothing may rise above -80 dB of the tone.
    let sr = 48_000.0;
    let mut eq = LinearPhaseEq::new(2, sr);
    let mut s = FilterSettings {
        eq_enabled: true,
        ..FilterSettings::default()
    };
    s.eq.bands[2].enabled = true;
    s.eq.bands[2].q = 2.0;
    let len = 4 * 48_000;
    let x = sine(1_000.0, 0.5, sr, len);
    let (mut l, mut r) = (x.clone(), x.clone());
    for (i, (l, r)) in l.chunks_mut(480).zip(r.chunks_mut(480)).enumerate() {
        let t = i as f32 / 400.0;
        s.eq.bands[2].freq_hz = 500.0 * 4f32.powf(t.fract());
        s.eq.bands[2].gain_db = 12.0 * (std::f32::consts::PI * t).sin();
        eq.set_settings(&s);
        eq.process(&mut [l, r]);
    }
    let worst = common::peak_above(&l[fir_taps(sr)..], 6_000.0, sr);
    let db = 20.0 * (worst as f64 / 0.5).log10();
    assert!(db < -80.0, "broadband content at {db:.1} dB of the tone");
}

#[test]
fn a_designer_thread_delivers_the_kernels_the_inline_design_would() {
    let sr = 48_000.0;
    let settings = mastering();
    let mut offline = LinearPhaseEq::new(2, sr);
    offline.set_settings(&settings);
    let mut live = LinearPhaseEq::new(2, sr);
    live.attach(Designer::spawn().unwrap());
    live.set_settings(&settings);
    let mut waited = 0;
    let block = 512;
    let (mut a, mut b) = (vec![0.0f32; block], vec![0.0f32; block]);
    // Process silence until the designed kernels are in use (and fully faded in).
    while !live.is_current() || waited < 3 * 2048 {
        live.process(&mut [&mut a, &mut b]);
        std::thread::sleep(std::time::Duration::from_millis(1));
        waited += block;
        assert!(
            waited < 48_000 * 20,
            "no kernel from the designer after 20 s"
        );
    }
    live.reset();
    offline.reset();
    let len = fir_taps(sr) + 1024;
    let run = |eq: &mut LinearPhaseEq| {
        let (mut l, mut r) = (vec![0.0f32; len], vec![0.0f32; len]);
        l[0] = 1.0;
        r[0] = -0.5;
        eq.process(&mut [&mut l, &mut r]);
        (l, r)
    };
    assert_eq!(run(&mut live), run(&mut offline));
}
