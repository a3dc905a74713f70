//! Lathe Bus Compressor's signal path (`BusCompressor`): static curve and range, program-
//! dependent auto release, external keying and its fallback, stereo link, mix 0 %
//! transparency, lookahead latency, delta and key listen, the loudness-matched compare, and
//! block-size invariance.

use lathe_dsp::chains::BusCompressor;
use lathe_dsp::chains::ChainSettings;
use lathe_dsp::chains::bus_compressor::{BusCompressorSettings, KeySource, Listen};
use lathe_dsp::{Block, IoSettings};

use crate::common;

use common::{alternating, db};

const SR: f64 = 48_000.0;

fn chain(settings: BusCompressorSettings) -> BusCompressor {
    let mut c = BusCompressor::new(2, SR);
    c.set_settings(&ChainSettings {
        io: IoSettings::default(),
        core: settings,
    });
    c
}

fn sine(freq: f64, amp: f64, len: usize) -> Vec<f32> {
    common::sine(freq, amp, SR, len)
}

/// Runs stereo input through in blocks of `block`, returning the output and the reduction
/// (dB) after each block.
fn run(c: &mut BusCompressor, l: &[f32], r: &[f32], block: usize) -> (Vec<Vec<f32>>, Vec<f64>) {
    let (mut l, mut r) = (l.to_vec(), r.to_vec());
    let mut reduction = Vec::new();
    for (bl, br) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
        c.process(&mut [bl, br]);
        reduction.push(c.core().reduction_db() as f64);
    }
    (vec![l, r], reduction)
}

#[test]
fn static_curve_and_range_hold_in_steady_state() {
    let mut s = BusCompressorSettings::default();
    s.compressor.threshold_db = -20.0;
    s.compressor.ratio = 4.0;
    s.compressor.knee_db = 6.0;
    s.compressor.range_db = 9.0;
    let mut worst = 0.0f64;
    for level in [-40.0f32, -30.0, -23.0, -20.0, -17.0, -10.0, -5.0, 0.0] {
        let mut c = chain(s);
        let a = 10f32.powf(level / 20.0);
        let x = alternating(a, 48_000);
        let (y, _) = run(&mut c, &x, &x, 512);
        let out_db = db(y[0][47_000].abs() as f64);
        let want = s.compressor.transfer_db(level) as f64;
        let want_unlimited = (level - s.compressor.curve().reduction_db(level)) as f64;
        worst = worst.max((out_db - want).abs());
        assert!(
            (out_db - want).abs() < 0.2,
            "{level} dBFS: out {out_db:.2} dB, curve {want:.2} dB"
        );
        if level >= -5.0 {
            assert!(
                out_db > want_unlimited + 1.0,
                "the range limits the reduction"
            );
        }
    }
    eprintln!("static curve with range: worst {worst:.3} dB");
}

/// Time from the end of a burst until the reduction is back under 2 dB, ms.
fn recovery_ms(settings: BusCompressorSettings, burst_s: f64) -> f64 {
    let mut c = chain(settings);
    let quiet = 10f32.powf(-40.0 / 20.0);
    let lead = (0.5 * SR) as usize;
    let burst = (burst_s * SR) as usize;
    let tail = (10.0 * SR) as usize;
    let mut x = alternating(quiet, lead + burst + tail);
    for v in &mut x[lead..lead + burst] {
        *v *= 100.0; // 0 dBFS
    }
    let block = 32;
    let (_, red) = run(&mut c, &x, &x, block);
    let end_block = (lead + burst) / block;
    assert!(red[end_block - 1] > 6.0, "the burst was compressed");
    let back = red[end_block..]
        .iter()
        .position(|&r| r < 2.0)
        .expect("recovers");
    back as f64 * block as f64 / SR * 1000.0
}

#[test]
fn auto_release_recovers_fast_after_a_peak_and_slowly_after_a_long_passage() {
    let mut s = BusCompressorSettings::default();
    s.compressor.threshold_db = -30.0;
    s.compressor.ratio = 4.0;
    s.compressor.knee_db = 0.0;
    s.compressor.attack_ms = 1.0;
    s.compressor.auto_release = true;
    let short = recovery_ms(s, 0.05);
    let long = recovery_ms(s, 3.0);
    eprintln!("auto release: recovery after 50 ms burst {short:.0} ms, after 3 s {long:.0} ms");
    assert!(short < 400.0, "{short}");
    assert!(long > 3.0 * short, "short {short} ms, long {long} ms");
    // A fixed release recovers in the same time whatever came before.
    s.compressor.auto_release = false;
    s.compressor.release_ms = 200.0;
    let (a, b) = (recovery_ms(s, 0.05), recovery_ms(s, 3.0));
    assert!((a - b).abs() < 0.1 * b, "manual release: {a} vs {b} ms");
}

#[test]
fn external_key_drives_the_reduction_and_missing_key_falls_back() {
    let mut s = BusCompressorSettings::default();
    s.compressor.threshold_db = -30.0;
    s.key = KeySource::External;
    let main = sine(220.0, 0.3, 24_000); // -10 dBFS: over the threshold
    let silent = vec![0.0f32; 24_000];
    let loud = alternating(0.9, 24_000);
    // Silent key: the loud main is untouched.
    let mut c = chain(s);
    let (mut l, mut r) = (main.clone(), main.clone());
    for (i, (bl, br)) in l.chunks_mut(512).zip(r.chunks_mut(512)).enumerate() {
        let k = &silent[i * 512..i * 512 + bl.len()];
        c.process_with_sidechain(&mut [bl, br], Some(&[k, k]));
    }
    assert_eq!(l, main, "silent key: no compression of a loud signal");
    // Loud key: the reduction follows the key.
    let mut c = chain(s);
    let (mut l, mut r) = (main.clone(), main.clone());
    for (i, (bl, br)) in l.chunks_mut(512).zip(r.chunks_mut(512)).enumerate() {
        let k = &loud[i * 512..i * 512 + bl.len()];
        c.process_with_sidechain(&mut [bl, br], Some(&[k, k]));
    }
    let red = c.core().reduction_db();
    assert!(red > 15.0, "loud key: reduction {red} dB");
    let gain = db(l[20_000..].iter().fold(0.0f32, |m, v| m.max(v.abs())) as f64 / 0.3);
    assert!(
        (gain + red as f64).abs() < 0.5,
        "gain {gain} vs reduction {red}"
    );
    // No sidechain connected: the signal keys itself.
    let mut c = chain(s);
    run(&mut c, &main, &main, 512);
    assert!(c.core().reduction_db() > 5.0);
}

#[test]
fn link_decides_whether_a_left_only_burst_ducks_the_right() {
    let mut s = BusCompressorSettings::default();
    s.compressor.threshold_db = -30.0;
    let left = alternating(0.9, 24_000);
    let right = sine(300.0, 0.01, 24_000); // -40 dBFS, under the threshold
    for (link, want_ducked) in [(1.0, true), (0.0, false)] {
        s.compressor.link = link;
        let mut c = chain(s);
        let (y, _) = run(&mut c, &left, &right, 512);
        let ratio = y[1][20_000..]
            .iter()
            .zip(&right[20_000..])
            .map(|(a, b)| (a / b) as f64)
            .filter(|r| r.is_finite())
            .fold(f64::MAX, f64::min);
        if want_ducked {
            assert!(
                db(ratio) < -10.0,
                "link 100 %: right ducked by {}",
                db(ratio)
            );
        } else {
            assert_eq!(&y[1][..], &right[..], "link 0 %: right untouched");
        }
    }
}

#[test]
fn mix_zero_is_the_input_delayed_by_the_latency() {
    let mut s = BusCompressorSettings::default();
    s.compressor.threshold_db = -40.0;
    s.compressor.mix = 0.0;
    s.lookahead_ms = 2.0;
    let mut c = chain(s);
    let latency = c.latency() as usize;
    assert_eq!(latency, 96);
    let x = sine(440.0, 0.8, 20_000);
    let (y, _) = run(&mut c, &x, &x, 333);
    assert!(y[0][..latency].iter().all(|&v| v == 0.0));
    assert_eq!(&y[0][latency..], &x[..x.len() - latency], "bit-transparent");
}

#[test]
fn latency_is_the_impulse_delay_and_blocks_do_not_matter() {
    use lathe_dsp::color::saturator::SaturatorOversampling;
    use lathe_dsp::dynamics::multiband::MultibandPhase;
    let linear = Some(MultibandPhase::Linear);
    for (look, sat, mb) in [
        (0.0, false, None),
        (1.0, false, None),
        (5.0, false, None),
        (2.0, true, None),
        (0.0, false, Some(MultibandPhase::Minimum)),
        (0.0, false, linear),
        (1.0, false, linear),
        (2.0, true, linear),
    ] {
        let mut s = BusCompressorSettings {
            lookahead_ms: look,
            saturator_enabled: sat,
            multiband_enabled: mb.is_some(),
            ..Default::default()
        };
        s.multiband.phase = mb.unwrap_or_default();
        s.saturator.drive_db = 0.0;
        s.saturator.oversampling = SaturatorOversampling::X4;
        let mut c = chain(s);
        let latency = c.latency() as usize;
        let fir = if mb == linear { 4096 } else { 0 };
        let look_samples = (look as f64 * 48.0).round() as usize;
        assert!(
            latency >= fir + look_samples,
            "{latency} for {look} ms, {mb:?}"
        );
        let mut x = vec![0.0f32; 8000];
        x[1000] = 0.1;
        let (y, _) = run(&mut c, &x, &x, 64);
        let peak = y[0]
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .unwrap()
            .0;
        assert_eq!(
            peak,
            1000 + latency,
            "lookahead {look} ms, saturator {sat}, multiband {mb:?}"
        );
    }
    // Everything on: any block size gives the same output.
    let mut s = BusCompressorSettings::default();
    s.compressor.threshold_db = -30.0;
    s.compressor.auto_release = true;
    s.compressor.sidechain_hpf_hz = 90.0;
    s.compressor.mix = 0.7;
    s.mid_side = true;
    s.lookahead_ms = 1.5;
    s.saturator_enabled = true;
    let x = sine(150.0, 0.7, 30_000);
    let x2 = sine(2000.0, 0.4, 30_000);
    let reference = run(&mut chain(s), &x, &x2, 30_000).0;
    for block in [1, 17, 256, 2027] {
        assert_eq!(
            run(&mut chain(s), &x, &x2, block).0,
            reference,
            "block {block}"
        );
    }
}

#[test]
fn delta_is_what_the_compressor_removes() {
    let mut s = BusCompressorSettings::default();
    s.compressor.threshold_db = -30.0;
    s.lookahead_ms = 1.0;
    let x = sine(200.0, 0.5, 24_000);
    let processed = run(&mut chain(s), &x, &x, 512).0;
    s.listen = Listen::Delta;
    let mut c = chain(s);
    let latency = c.latency() as usize;
    let delta = run(&mut c, &x, &x, 512).0;
    for i in latency..x.len() {
        let sum = processed[0][i] + delta[0][i];
        assert!((sum - x[i - latency]).abs() < 1e-6, "sample {i}");
    }
}

#[test]
fn key_listen_plays_the_filtered_key() {
    let mut s = BusCompressorSettings {
        listen: Listen::Key,
        ..Default::default()
    };
    s.compressor.sidechain_hpf_hz = 150.0;
    let low = sine(40.0, 0.5, 48_000);
    let high = sine(2000.0, 0.5, 48_000);
    let (y_low, _) = run(&mut chain(s), &low, &low, 512);
    let (y_high, _) = run(&mut chain(s), &high, &high, 512);
    let peak = |v: &[f32]| v[40_000..].iter().fold(0.0f32, |m, x| m.max(x.abs())) as f64;
    assert!(
        db(peak(&y_low[0]) / 0.5) < -20.0,
        "40 Hz under the 150 Hz HPF"
    );
    assert!(
        db(peak(&y_high[0]) / 0.5).abs() < 0.1,
        "2 kHz passes unchanged"
    );
}

#[test]
fn compare_plays_the_dry_signal_at_the_processed_level() {
    let mut s = BusCompressorSettings::default();
    s.compressor.threshold_db = -30.0;
    s.compressor.ratio = 4.0;
    let x = sine(500.0, 0.5, 4 * 48_000);
    let processed = run(&mut chain(s), &x, &x, 512).0;
    s.compare = true;
    let compared = run(&mut chain(s), &x, &x, 512).0;
    let rms = |v: &[f32]| {
        let t = &v[3 * 48_000..];
        (t.iter().map(|&x| (x as f64).powi(2)).sum::<f64>() / t.len() as f64).sqrt()
    };
    let (p, c) = (rms(&processed[0]), rms(&compared[0]));
    assert!(
        db(p / rms(&x)) < -10.0,
        "compressed by {} dB",
        db(p / rms(&x))
    );
    assert!(
        (db(c) - db(p)).abs() < 0.5,
        "compare {:.2} dB vs processed {:.2} dB",
        db(c),
        db(p)
    );
    // And it is the dry waveform (a scaled copy of the input), not the compressed one.
    let g = c / rms(&x);
    let err = compared[0][3 * 48_000..]
        .iter()
        .zip(&x[3 * 48_000..])
        .fold(0.0f64, |m, (a, b)| m.max((*a as f64 - g * *b as f64).abs()));
    assert!(err < 0.01 * c, "max deviation from the scaled input {err}");
}

/// Multiband mode in the chain: each band keyed by its own band of an external key (a loud
/// 50 Hz key squeezes the low band only), with the lookahead's latency, and the global mix
/// still working: it mixes within each band, so mix 0 % is the bands uncompressed (their
/// allpass sum, no comb filter near the crossovers); off, the single-band compressor runs as
/// without it (the golden renders pin that to the bit).
#[test]
fn multiband_bands_are_keyed_by_their_band_of_the_key_and_the_globals_still_work() {
    use lathe_dsp::dynamics::multiband::MultibandPhase;
    for phase in [MultibandPhase::Minimum, MultibandPhase::Linear] {
        keyed_bands_in(phase);
    }
}

fn keyed_bands_in(phase: lathe_dsp::dynamics::multiband::MultibandPhase) {
    let n = 96_000;
    let mut s = BusCompressorSettings {
        multiband_enabled: true,
        key: KeySource::External,
        lookahead_ms: 2.0,
        ..BusCompressorSettings::default()
    };
    s.multiband.phase = phase;
    s.multiband.bands = 4;
    for b in &mut s.multiband.band {
        b.compressor.threshold_db = -30.0;
        b.compressor.ratio = 8.0;
    }
    let program = sine(2_500.0, 0.05, n);
    let key = sine(50.0, 0.7, n);
    let mut c = chain(s);
    let latency = c.latency() as usize;
    let fir = c.core_mut().multiband_mut().latency() as usize;
    assert_eq!(
        latency,
        96 + fir,
        "2 ms at 48 kHz, and the crossovers' {fir}"
    );
    let (mut l, mut r) = (program.clone(), program.clone());
    for ((bl, br), k) in l
        .chunks_mut(512)
        .zip(r.chunks_mut(512))
        .zip(key.chunks(512))
    {
        c.process_with_sidechain(&mut [bl, br], Some(&[k, k]));
    }
    assert!(
        c.core().reduction_db() >= 6.0,
        "the low band is squeezed by the key"
    );
    let moved = common::tone_level_db(&l[48_000..], 2_500.0, SR)
        - common::tone_level_db(&program[48_000..], 2_500.0, SR);
    assert!(moved.abs() < 0.5, "2.5 kHz moved by {moved:.3} dB");
    // Mix 0 %: what the bands give uncompressed (every threshold at 0 dB), whatever they do.
    s.key = KeySource::Internal;
    let x = sine(300.0, 0.9, 20_000);
    let mut dry = s;
    for b in &mut dry.multiband.band {
        b.compressor.threshold_db = 0.0;
        b.compressor.knee_db = 0.0;
    }
    s.compressor.mix = 0.0;
    let (out, _) = run(&mut chain(s), &x, &x, 512);
    let (want, _) = run(&mut chain(dry), &x, &x, 512);
    let worst = common::max_difference(&out[0], &want[0]);
    assert!(
        worst < 1e-6,
        "mix 0 % differs from the uncompressed bands by {worst}"
    );
}

/// Switching multiband on and off cross-fades between the two paths (10 ms, linear, as every
/// module switch in the suite): a 1 kHz tone keeps nothing above 8 kHz over -70 dB of it
/// (measured -77.7 dB; the bands' allpass phase differs from the single-band path's, so the
/// hard switch this replaced left -22.5 dB).
#[test]
fn switching_multiband_does_not_click() {
    let n = 48_000;
    let x = sine(1_000.0, 0.5, n);
    let mut s = BusCompressorSettings::default();
    s.compressor.threshold_db = 0.0;
    for b in &mut s.multiband.band {
        b.compressor.threshold_db = 0.0;
    }
    let mut c = chain(s);
    let (mut l, mut r) = (x.clone(), x.clone());
    for (i, (a, b)) in l.chunks_mut(500).zip(r.chunks_mut(500)).enumerate() {
        s.multiband_enabled = (i / 24) % 2 == 1;
        c.set_settings(&ChainSettings {
            io: IoSettings::default(),
            core: s,
        });
        c.process(&mut [a, b]);
    }
    let db = 20.0 * (common::peak_above(&l, 8_000.0, SR) as f64 / 0.5).log10();
    assert!(db < -70.0, "switching left {db:.1} dB of broadband junk");
}

/// Delta listen in multiband mode is what the compression removes, band by band: with no gain
/// reduction it is silence (not the difference between the input and the bands' allpass
/// sum), and with a band soloed it is that band's delta alone.
#[test]
fn multiband_delta_is_what_the_bands_remove() {
    let n = 24_000;
    let x: Vec<f32> = sine(50.0, 0.6, n)
        .iter()
        .zip(&sine(3_000.0, 0.3, n))
        .map(|(a, b)| a + b)
        .collect();
    let mut s = BusCompressorSettings {
        multiband_enabled: true,
        listen: Listen::Delta,
        ..BusCompressorSettings::default()
    };
    for b in &mut s.multiband.band {
        b.compressor.threshold_db = 0.0;
        b.compressor.knee_db = 0.0;
    }
    let (out, _) = run(&mut chain(s), &x, &x, 512);
    let loudest = out[0].iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(
        loudest < 1e-6,
        "delta without gain reduction reads {loudest}"
    );
    // Band 1 squeezed and soloed: its delta carries 50 Hz and no 3 kHz.
    s.multiband.band[0].compressor.threshold_db = -30.0;
    s.multiband.band[0].solo = true;
    let (out, _) = run(&mut chain(s), &x, &x, 512);
    let tail = &out[0][12_000..];
    let low = common::tone_level_db(tail, 50.0, SR);
    let high = common::tone_level_db(tail, 3_000.0, SR);
    assert!(low > -20.0, "the squeezed band's delta is {low:.1} dB");
    assert!(high < low - 60.0, "3 kHz in the delta at {high:.1} dB");
}
