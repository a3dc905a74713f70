//! Lathe Reference's signal path: the match EQ's latency and identity, the A/B switch's
//! loudness match, click-free fades and transport following, and the mailboxes.

use lathe_dsp::Block;
use lathe_dsp::analysis::match_eq::MatchPhase;
use lathe_dsp::analysis::reference::{analyze_stereo, shaped_noise};
use lathe_dsp::chains::Reference;
use lathe_dsp::chains::reference::{
    KernelMessage, MatchDesign, ReferenceAudio, ReferenceSettings, design_kernel,
};
use lathe_dsp::chains::{ChainSettings, IoSettings};
use lathe_dsp::rt::mailbox::mailbox;
use std::sync::Arc;

use crate::common;

const SR: f64 = 48_000.0;

fn chain() -> Reference {
    Reference::new(2, SR)
}

fn settings(core: ReferenceSettings) -> ChainSettings<ReferenceSettings> {
    ChainSettings {
        io: IoSettings::default(),
        core,
    }
}

/// A chain with the match EQ on or off in `phase`, running the kernel of `msg`.
fn matching_chain(match_enabled: bool, phase: MatchPhase, msg: &KernelMessage) -> Reference {
    let mut c = chain();
    c.set_settings(&settings(ReferenceSettings {
        match_enabled,
        phase,
        ..Default::default()
    }));
    c.core_mut().load_kernel(msg);
    c
}

/// White noise (the mix), its spectrum, and the spectrum of noise falling 2 dB per octave
/// above 1 kHz (a darker reference).
fn white_and_darker() -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let mix = shaped_noise(1 << 16, SR, 1, 0.1, |_| 0.0);
    let a = analyze_stereo(SR, &mix, &mix).normalized_spectrum_db();
    let b = shaped_noise(1 << 16, SR, 2, 0.1, |f| -2.0 * (f / 1000.0).log2());
    let b = analyze_stereo(SR, &b, &b).normalized_spectrum_db();
    (mix, a, b)
}

fn run(c: &mut Reference, l: &mut [f32], r: &mut [f32], block: usize) {
    let mut i = 0;
    while i < l.len() {
        let end = (i + block).min(l.len());
        c.process(&mut [&mut l[i..end], &mut r[i..end]]);
        i = end;
    }
}

fn impulse_delay(c: &mut Reference) -> usize {
    let mut l = vec![0.0f32; 20_000];
    l[100] = 1.0;
    let mut r = l.clone();
    run(c, &mut l, &mut r, 256);
    let peak = common::peak_index(&l);
    peak - 100
}

#[test]
fn latency_follows_the_kernel_and_matches_the_impulse_delay() {
    let (_, a, b) = white_and_darker();
    for phase in [MatchPhase::Linear, MatchPhase::Minimum] {
        for enabled in [false, true] {
            let design = MatchDesign {
                enabled,
                phase,
                ..Default::default()
            };
            let (msg, _) = design_kernel(Some(&a), Some(&b), &design, SR);
            let mut c = matching_chain(enabled, phase, &msg);
            let reported = c.latency() as usize;
            let measured = impulse_delay(&mut c);
            println!(
                "{phase:?} enabled={enabled}: reported {reported}, impulse peak at {measured}"
            );
            if phase == MatchPhase::Linear {
                assert_eq!(reported, 4096);
                assert_eq!(measured, reported);
            } else {
                assert_eq!(reported, 0);
                // A minimum-phase correction's peak is at (or within a few samples of) zero.
                assert!(measured < 8, "{measured}");
            }
        }
    }
}

#[test]
fn a_disabled_match_is_the_input_delayed_by_the_latency() {
    for phase in [MatchPhase::Linear, MatchPhase::Minimum] {
        let design = MatchDesign {
            enabled: false,
            phase,
            ..Default::default()
        };
        let (msg, _) = design_kernel(None, None, &design, SR);
        let mut c = matching_chain(true, phase, &msg);
        let lat = c.latency() as usize;
        let x = shaped_noise(30_000, SR, 5, 0.1, |_| 0.0);
        let (mut l, mut r) = (x.clone(), x.clone());
        run(&mut c, &mut l, &mut r, 300);
        let worst = (0..x.len() - lat)
            .map(|i| (l[i + lat] - x[i]).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-5, "{phase:?}: {worst}");
    }
}

fn reference(seconds: f64) -> Arc<ReferenceAudio> {
    let n = (seconds * SR) as usize & !1;
    let l = shaped_noise(n, SR, 11, 0.3, |f| -1.5 * (f / 1000.0).log2());
    let r = shaped_noise(n, SR, 12, 0.3, |f| -1.5 * (f / 1000.0).log2());
    Arc::new(ReferenceAudio {
        sample_rate_hz: SR,
        channels: [l, r],
    })
}

#[test]
fn ab_plays_the_reference_at_the_mix_loudness() {
    let mix_l = shaped_noise(1 << 20, SR, 21, 0.03, |_| 0.0);
    let mix_r = shaped_noise(1 << 20, SR, 22, 0.03, |_| 0.0);
    let refr = reference(20.0);
    let mix_a = analyze_stereo(SR, &mix_l, &mix_r);
    let ref_a = analyze_stereo(SR, &refr.channels[0], &refr.channels[1]);
    let gain = mix_a.loudness.integrated_lufs.unwrap() - ref_a.loudness.integrated_lufs.unwrap();
    println!(
        "mix {:.2} LUFS, reference {:.2} LUFS, gain {gain:+.2} dB",
        mix_a.loudness.integrated_lufs.unwrap(),
        ref_a.loudness.integrated_lufs.unwrap()
    );
    let mut c = chain();
    c.core_mut().load_audio(Some(refr.clone()));
    c.set_settings(&settings(ReferenceSettings {
        listen_reference: true,
        reference_gain_db: gain,
        ..Default::default()
    }));
    c.reset();
    let (mut l, mut r) = (mix_l.clone(), mix_r.clone());
    run(&mut c, &mut l, &mut r, 512);
    let out = analyze_stereo(SR, &l, &r);
    let diff = out.loudness.integrated_lufs.unwrap() - mix_a.loudness.integrated_lufs.unwrap();
    println!("A/B output {:+.3} LU from the mix", diff);
    assert!(diff.abs() < 0.5, "{diff}");
    // It is the reference (looping), not the mix.
    let corr: f64 = l[..48_000]
        .iter()
        .zip(&refr.channels[0][..48_000])
        .map(|(a, b)| (*a as f64) * (*b as f64))
        .sum::<f64>();
    assert!(corr > 0.0);
    let g = 10f32.powf(gain as f32 / 20.0);
    for i in [0usize, 1000, 960_000] {
        let want = refr.channels[0][i % refr.len()] * g;
        assert!((l[i] - want).abs() < 1e-4, "sample {i}: {} vs {want}", l[i]);
    }
}

#[test]
fn switching_between_mix_and_reference_is_click_free() {
    // Two full-scale sines 180 degrees apart: a hard switch would step by 2.
    let n = 48_000;
    let sine = |phase: f64| -> Vec<f32> {
        (0..n)
            .map(|i| (std::f64::consts::TAU * 50.0 * i as f64 / SR + phase).sin() as f32 * 0.5)
            .collect()
    };
    let refr = Arc::new(ReferenceAudio {
        sample_rate_hz: SR,
        channels: [sine(std::f64::consts::PI), sine(std::f64::consts::PI)],
    });
    let mut c = chain();
    c.core_mut().load_audio(Some(refr));
    let (mut l, mut r) = (sine(0.0), sine(0.0));
    let mut listen = false;
    for (k, (bl, br)) in l.chunks_mut(4800).zip(r.chunks_mut(4800)).enumerate() {
        if k % 2 == 1 {
            listen = !listen;
        }
        c.set_settings(&settings(ReferenceSettings {
            listen_reference: listen,
            transport_pos: Some((k * 4800) as i64),
            ..Default::default()
        }));
        c.process(&mut [bl, br]);
    }
    let max_step = l
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0f32, f32::max);
    // A 50 Hz sine at 0.5 moves at most 0.0033 per sample; the fade adds a little.
    println!("largest sample step {max_step:.4}");
    assert!(max_step < 0.01, "{max_step}");
}

#[test]
fn the_reference_follows_the_transport_shifted_by_the_latency() {
    let refr = reference(3.0);
    let (msg, _) = design_kernel(
        None,
        None,
        &MatchDesign {
            enabled: false,
            phase: MatchPhase::Linear,
            ..Default::default()
        },
        SR,
    );
    let mut c = chain();
    c.core_mut().load_kernel(&msg);
    c.core_mut().load_audio(Some(refr.clone()));
    let lat = 4096i64;
    let start = 100_000i64; // past the end once: it wraps
    let block = 480;
    let mut out = Vec::new();
    for k in 0..40 {
        let pos = if k == 20 {
            7
        } else {
            start + (k * block) as i64
        };
        c.set_settings(&settings(ReferenceSettings {
            listen_reference: true,
            reference_gain_db: 0.0,
            transport_pos: Some(pos),
            phase: MatchPhase::Linear,
            match_enabled: false,
        }));
        if k == 0 {
            c.reset();
        }
        let (mut l, mut r) = (vec![0.0f32; block], vec![0.0f32; block]);
        c.process(&mut [&mut l, &mut r]);
        out.push((pos, l));
    }
    let len = refr.len() as i64;
    for (pos, l) in &out {
        for (i, v) in l.iter().enumerate() {
            let want = refr.channels[0][((pos - lat + i as i64).rem_euclid(len)) as usize];
            assert!((v - want).abs() < 1e-6, "playhead {pos} sample {i}");
        }
    }
}

#[test]
fn kernels_and_audio_arrive_through_the_mailboxes() {
    let (_, a, b) = white_and_darker();
    let design = MatchDesign {
        phase: MatchPhase::Linear,
        ..Default::default()
    };
    let (msg, _) = design_kernel(Some(&a), Some(&b), &design, SR);
    assert!(msg.active);
    let linear_on = settings(ReferenceSettings {
        match_enabled: true,
        phase: MatchPhase::Linear,
        ..Default::default()
    });

    let (mut ktx, krx) = mailbox::<Box<KernelMessage>>();
    let (mut atx, arx) = mailbox::<Option<Arc<ReferenceAudio>>>();
    let mut c = chain();
    c.core_mut().attach(krx, arx);
    c.set_settings(&settings(ReferenceSettings::default()));
    assert_eq!(c.latency(), 0);
    // The phase setting decides the latency at once, before any correction arrives.
    c.set_settings(&linear_on);
    assert_eq!(c.latency(), 4096);
    // A direct reference: the same correction loaded from the start.
    let mut direct = chain();
    direct.set_settings(&linear_on);
    direct.core_mut().load_kernel(&msg);

    let x = shaped_noise(40_000, SR, 9, 0.1, |_| 0.0);
    let (mut l, mut r) = (x.clone(), x.clone());
    let (mut dl, mut dr) = (x.clone(), x.clone());
    c.process(&mut [&mut l[..10_000], &mut r[..10_000]]);
    direct.process(&mut [&mut dl[..10_000], &mut dr[..10_000]]);
    ktx.send(Box::new(msg)).unwrap();
    c.set_settings(&linear_on);
    run(&mut c, &mut l[10_000..], &mut r[10_000..], 512);
    run(&mut direct, &mut dl[10_000..], &mut dr[10_000..], 512);
    // After the cross-fade the mailbox path is the correction, exactly.
    let worst = (12_100..40_000)
        .map(|i| (l[i] - dl[i]).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-6, "{worst}");

    atx.send(Some(reference(1.0))).unwrap();
    c.set_settings(&settings(ReferenceSettings {
        listen_reference: true,
        ..Default::default()
    }));
    let (mut l, mut r) = (vec![0.0f32; 4096], vec![0.0f32; 4096]);
    c.process(&mut [&mut l, &mut r]);
    assert!(l.iter().any(|v| v.abs() > 0.01), "the reference plays");
    // A kernel for another sample rate is refused, not misapplied.
    let (other, _) = design_kernel(Some(&a), Some(&b), &MatchDesign::default(), 96_000.0);
    ktx.send(Box::new(other)).unwrap();
    c.set_settings(&settings(ReferenceSettings::default()));
    assert_eq!(c.latency(), 0);
    let (mut l, mut r) = (x[..4096].to_vec(), x[..4096].to_vec());
    c.set_settings(&settings(ReferenceSettings {
        match_enabled: true,
        ..Default::default()
    }));
    c.reset();
    c.process(&mut [&mut l, &mut r]);
    assert!(l.iter().all(|v| v.is_finite()));
}

#[test]
fn block_size_invariance_with_match_and_reference() {
    let (mix, a, b) = white_and_darker();
    let (msg, _) = design_kernel(Some(&a), Some(&b), &MatchDesign::default(), SR);
    let refr = reference(1.0);
    let outputs: Vec<Vec<f32>> = [64usize, 1, 333, 2048]
        .iter()
        .map(|&block| {
            let mut c = chain();
            c.core_mut().load_audio(Some(refr.clone()));
            c.set_settings(&settings(ReferenceSettings {
                reference_gain_db: -3.0,
                match_enabled: true,
                ..Default::default()
            }));
            let (mut l, mut r) = (mix[..20_000].to_vec(), mix[..20_000].to_vec());
            c.core_mut().load_kernel(&msg);
            run(&mut c, &mut l, &mut r, block);
            l
        })
        .collect();
    for o in &outputs[1..] {
        assert_eq!(o, &outputs[0]);
    }
}

#[test]
fn a_settled_reference_has_none_of_the_mix_in_it() {
    // A full-scale mix: any mix leaking into the reference shows far above float noise.
    let n = 48_000;
    let mix: Vec<f32> = (0..n).map(|i| (i as f32 * 0.07).sin() * 0.99).collect();
    let refr = reference(2.0);
    let mut c = chain();
    c.core_mut().load_audio(Some(refr.clone()));
    c.set_settings(&settings(ReferenceSettings {
        listen_reference: true,
        ..Default::default()
    }));
    c.reset();
    let (mut l, mut r) = (mix.clone(), mix.clone());
    run(&mut c, &mut l, &mut r, 256);
    let worst = (0..n)
        .map(|i| (l[i] - refr.channels[0][i % refr.len()]).abs())
        .fold(0.0f32, f32::max);
    println!("largest difference from the reference: {worst:e}");
    assert!(worst < 1e-6, "the mix leaks into the reference: {worst:e}");
}
