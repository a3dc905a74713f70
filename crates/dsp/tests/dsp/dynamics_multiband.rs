//! The multiband compressor (issue #20, DSP part): the bands sum back flat, a compressed band
//! leaves the bands two crossovers away alone, solo and bypass, crossover ordering, and a
//! crossover sweep without clicks.

use crate::common;

use common::{sine, tone_level_db};
use lathe_dsp::Block;
use lathe_dsp::dynamics::multiband::{
    BandShapes, Multiband, MultibandPhase, MultibandSettings, ordered_crossovers,
};
use lathe_dsp::filters::linear_crossover::crossover_latency;

const SR: f64 = 48_000.0;

/// Settings with `bands` bands and every threshold at 0 dB (no gain reduction below 0 dBFS).
fn transparent(bands: usize) -> MultibandSettings {
    transparent_in(bands, MultibandPhase::Minimum)
}

/// [`transparent`] in phase mode `phase`.
fn transparent_in(bands: usize, phase: MultibandPhase) -> MultibandSettings {
    let mut s = MultibandSettings {
        bands,
        phase,
        ..MultibandSettings::default()
    };
    for b in &mut s.band {
        b.compressor.threshold_db = 0.0;
        b.compressor.knee_db = 0.0;
    }
    s
}

fn impulse_response(settings: &MultibandSettings, n: usize) -> Vec<f32> {
    let mut m = Multiband::new(SR);
    m.set_settings(settings);
    m.reset();
    let (mut l, mut r) = (vec![0.0f32; n], vec![0.0f32; n]);
    l[0] = 0.5;
    r[0] = 0.5;
    m.process(&mut [&mut l, &mut r]);
    l.iter().map(|v| v * 2.0).collect()
}

/// Third-octave centres from 25 Hz to 20 kHz.
fn third_octaves() -> impl Iterator<Item = f64> {
    (-16..=13).map(|k| 1000.0 * 2f64.powf(k as f64 / 3.0))
}

#[test]
fn uncompressed_bands_sum_back_flat_for_two_to_four_bands() {
    for bands in 2..=4 {
        let h = impulse_response(&transparent(bands), 1 << 16);
        let mag = common::magnitude_db(&h, SR);
        let worst = third_octaves().map(|f| mag(f).abs()).fold(0.0, f64::max);
        assert!(worst < 0.1, "{bands} bands: {worst:.3} dB off flat");
    }
}

#[test]
fn a_compressed_band_leaves_the_bands_two_crossovers_away_alone() {
    for phase in [MultibandPhase::Minimum, MultibandPhase::Linear] {
        compressed_band_in(phase);
    }
}

fn compressed_band_in(phase: MultibandPhase) {
    // Four bands at 120 Hz, 1 kHz, 6 kHz: band 0 squeezed by a loud 50 Hz tone, a quiet
    // 2.5 kHz tone in band 2 (two crossovers above band 0's).
    let n = 96_000;
    let low = sine(50.0, 0.7, SR, n);
    let mid = sine(2_500.0, 0.05, SR, n);
    let x: Vec<f32> = low.iter().zip(&mid).map(|(a, b)| a + b).collect();
    let mut s = transparent_in(4, phase);
    s.band[0].compressor.threshold_db = -30.0;
    s.band[0].compressor.ratio = 8.0;
    let mut m = Multiband::new(SR);
    m.set_settings(&s);
    m.reset();
    let (mut l, mut r) = (x.clone(), x.clone());
    m.process(&mut [&mut l, &mut r]);
    let reduction = m.compressor_mut(0).reduction_db();
    assert!(
        reduction >= 6.0,
        "{phase:?}: band 0 only {reduction} dB down"
    );
    let tail = &l[48_000..];
    let moved = tone_level_db(tail, 2_500.0, SR) - tone_level_db(&mid[48_000..], 2_500.0, SR);
    assert!(
        moved.abs() < 0.5,
        "{phase:?}: 2.5 kHz moved by {moved:.3} dB"
    );
    let squeezed = tone_level_db(tail, 50.0, SR) - tone_level_db(&low[48_000..], 50.0, SR);
    assert!(
        squeezed < -6.0,
        "{phase:?}: 50 Hz only {squeezed:.1} dB down"
    );
}

#[test]
fn solo_plays_one_band_and_bypass_passes_it_uncompressed() {
    for phase in [MultibandPhase::Minimum, MultibandPhase::Linear] {
        solo_and_bypass_in(phase);
    }
}

fn solo_and_bypass_in(phase: MultibandPhase) {
    let n = 1 << 16;
    let mut solo = transparent_in(3, phase);
    solo.band[1].solo = true;
    let h = impulse_response(&solo, n);
    let mag = common::magnitude_db(&h, SR);
    let mut designed = Multiband::new(SR);
    designed.set_settings(&solo);
    // The FIRs approximate the design: closely in the band, looser far down the slopes.
    let linear = phase == MultibandPhase::Linear;
    for f in [40.0, 120.0, 350.0, 1_000.0, 3_000.0, 10_000.0] {
        // On the transform's grid (the slopes are steep).
        let f = (f * n as f64 / SR).round() * SR / n as f64;
        let (re, im) = designed.band_response(1, f);
        let want = 10.0 * (re * re + im * im).max(1e-24).log10();
        let got = mag(f);
        let allowed = match (linear, want) {
            (false, _) => 0.01,
            (true, w) if w > -60.0 => 0.05,
            (true, _) => 1.0,
        };
        eprintln!("{phase:?} {f:.0} Hz: soloed band {got:.3} dB, designed {want:.3} dB");
        assert!(
            (got - want).abs() < allowed,
            "{phase:?} {f} Hz: soloed band {got:.2} dB, designed {want:.2} dB"
        );
    }
    // Bypass: a band that would be squeezed passes as if uncompressed.
    let x = sine(50.0, 0.7, SR, 48_000);
    let run = |s: &MultibandSettings| {
        let mut m = Multiband::new(SR);
        m.set_settings(s);
        m.reset();
        let (mut l, mut r) = (x.clone(), x.clone());
        m.process(&mut [&mut l, &mut r]);
        l
    };
    let mut squeezed = transparent_in(3, phase);
    squeezed.band[0].compressor.threshold_db = -30.0;
    squeezed.band[0].bypass = true;
    let worst = common::max_difference(&run(&squeezed), &run(&transparent_in(3, phase)));
    assert!(
        worst < 1e-6,
        "{phase:?}: the bypassed band differs by {worst}"
    );
}

#[test]
fn linear_phase_bands_sum_to_the_input_delayed_by_the_latency() {
    let latency = crossover_latency(SR) as usize;
    assert_eq!(latency, 4096, "8192 taps at 48 kHz");
    for bands in 2..=4 {
        let s = transparent_in(bands, MultibandPhase::Linear);
        let mut m = Multiband::new(SR);
        m.set_settings(&s);
        assert_eq!(m.latency() as usize, latency);
        let h = impulse_response(&s, 1 << 14);
        assert_eq!(
            common::peak_index(&h),
            latency,
            "{bands} bands: the impulse is not at the latency"
        );
        let rest = h
            .iter()
            .enumerate()
            .map(|(i, &v)| if i == latency { v - 1.0 } else { v })
            .fold(0.0f32, |a, v| a.max(v.abs()));
        let db = 20.0 * (rest.max(1e-12) as f64).log10();
        eprintln!("linear {bands} bands: the sum differs from the delayed input by {db:.1} dB");
        assert!(
            db < -100.0,
            "{bands} bands: the sum is {db:.1} dB off the delayed input"
        );
    }
    // And on programme: a signal through four bands equals itself delayed.
    let x: Vec<f32> = sine(97.0, 0.4, SR, 20_000)
        .iter()
        .zip(sine(3_100.0, 0.3, SR, 20_000))
        .map(|(a, b)| a + b)
        .collect();
    let mut m = Multiband::new(SR);
    m.set_settings(&transparent_in(4, MultibandPhase::Linear));
    m.reset();
    let (mut l, mut r) = (x.clone(), x.clone());
    m.process(&mut [&mut l, &mut r]);
    let worst = common::max_difference(&l[latency..], &x);
    let db = 20.0 * (worst.max(1e-12) as f64 / 0.7).log10();
    assert!(db < -100.0, "programme: {db:.1} dB off the delayed input");
}

/// Each band's static curve is its compressor's design: a steady tone in the middle of band k
/// at several levels comes out at the band's transfer curve of the level its band sees (the
/// tone's RMS times the band's magnitude there) plus the other bands' leakage at unity gain,
/// in both phase modes.
#[test]
fn each_band_follows_its_static_curve() {
    // Crossovers at 400 Hz, 2 kHz and 8 kHz: band 0's tone high enough for the 10 ms RMS
    // window to hold it steady.
    let centres = [140.0, 900.0, 4_000.0, 14_000.0];
    let mut worst = 0.0f64;
    for phase in [MultibandPhase::Minimum, MultibandPhase::Linear] {
        for (k, &fc) in centres.iter().enumerate() {
            let mut s = transparent_in(4, phase);
            s.crossovers_hz = [400.0, 2_000.0, 8_000.0];
            s.band[k].compressor.threshold_db = -30.0 + 4.0 * k as f32;
            s.band[k].compressor.ratio = 2.0 + k as f32;
            s.band[k].compressor.knee_db = 6.0;
            s.band[k].compressor.makeup_db = 1.5;
            // RMS detection: a steady tone is a steady level (a peak detector ripples on it).
            s.band[k].compressor.detection = lathe_dsp::dynamics::Detection::Rms;
            let mut designed = Multiband::new(SR);
            designed.set_settings(&s);
            for level in [-40.0f32, -28.0, -18.0, -8.0] {
                let amp = 10f64.powf(level as f64 / 20.0);
                let x = sine(fc, amp, SR, 48_000);
                let mut m = Multiband::new(SR);
                m.set_settings(&s);
                m.reset();
                let (mut l, mut r) = (x.clone(), x.clone());
                m.process(&mut [&mut l, &mut r]);
                let band = BandShapes::new(4, &s.crossovers_hz, SR).magnitude(k, fc);
                // The RMS of the band's tone.
                let seen = level + 20.0 * band.log10() as f32 - 3.0103;
                let band_gain = s.band[k].compressor.transfer_db(seen) - seen;
                // The output at fc: band k at its curve's gain plus the others' leakage at
                // unity, each with its own phase (zero in linear phase).
                let g = 10f64.powf(band_gain as f64 / 20.0);
                let (mut re, mut im) = (0.0, 0.0);
                for b in 0..4 {
                    let (hr, hi) = designed.band_response(b, fc);
                    let w = if b == k { g } else { 1.0 };
                    re += w * hr;
                    im += w * hi;
                }
                let gain = 10.0 * (re * re + im * im).log10();
                let got = tone_level_db(&l[24_000..], fc, SR) - tone_level_db(&x[24_000..], fc, SR);
                worst = worst.max((got - gain).abs());
                assert!(
                    (got - gain).abs() < 0.1,
                    "{phase:?} band {k} at {level} dBFS: gain {got:.2} dB, curve {gain:.2} dB"
                );
            }
        }
    }
    eprintln!("per-band static curves: worst {worst:.3} dB off the design");
}

#[test]
fn crossovers_stay_in_order_and_a_third_of_an_octave_apart() {
    let third = 2f64.powf(1.0 / 3.0);
    for (bands, asked) in [
        (4, [6000.0, 1000.0, 120.0]),
        (4, [1000.0, 1000.0, 1000.0]),
        (4, [20_000.0, 20_000.0, 20_000.0]),
        (4, [1.0, f32::NAN, 5.0]),
        (3, [500.0, 400.0, 0.0]),
        (2, [-3.0, 0.0, 0.0]),
    ] {
        let f = ordered_crossovers(bands, &asked);
        for k in 0..bands - 1 {
            assert!((20.0..=20_000.0).contains(&f[k]), "{asked:?}: {f:?}");
            if k > 0 {
                assert!(f[k] >= f[k - 1] * third * 0.999_999, "{asked:?}: {f:?}");
            }
        }
    }
    // Settings already in order are kept.
    assert_eq!(
        ordered_crossovers(4, &[120.0, 1000.0, 6000.0]),
        [120.0, 1000.0, 6000.0]
    );
}

#[test]
fn a_sine_across_a_moving_crossover_does_not_click() {
    for phase in [MultibandPhase::Minimum, MultibandPhase::Linear] {
        sweep_in(phase);
    }
}

fn sweep_in(phase: MultibandPhase) {
    // 1 kHz while the middle crossover sweeps from 300 Hz to 3 kHz and back: above 8 kHz
    // nothing may rise above -80 dB of the tone.
    let n = 3 * 48_000;
    let x = sine(1_000.0, 0.5, SR, n);
    let mut s = transparent_in(3, phase);
    let mut m = Multiband::new(SR);
    m.set_settings(&s);
    m.reset();
    let (mut l, mut r) = (x.clone(), x.clone());
    for (i, (a, b)) in l.chunks_mut(256).zip(r.chunks_mut(256)).enumerate() {
        let t = i as f32 * 256.0 / 48_000.0;
        s.crossovers_hz[1] = 300.0 * 10f32.powf(1.0 - (t / 1.5 - 1.0).abs());
        s.crossovers_hz[0] = 100.0;
        m.set_settings(&s);
        m.process(&mut [a, b]);
    }
    // From where the output starts (the latency in linear phase).
    let start = m.latency() as usize;
    let worst = common::peak_above(&l[start..], 8_000.0, SR);
    let db = 20.0 * (worst as f64 / 0.5).log10();
    eprintln!("{phase:?} crossover sweep: {db:.1} dB of the tone above 8 kHz");
    assert!(
        db < -80.0,
        "{phase:?}: broadband content at {db:.1} dB of the tone"
    );
}
