//! The Limiter's Learn: played through the Limiter's own chain block by block, with the drive
//! changed as the editor changes it, the learned drive lands the whole programme's integrated
//! loudness on the target, and learning stops by itself.

use lathe_dsp::analysis::loudness::learn::{LEARN_S, LearnMeters, LearnStep, Learner};
use lathe_dsp::analysis::reference::shaped_noise;
use lathe_dsp::chains::limiter::LimiterSettings;
use lathe_dsp::chains::{ChainSettings, Limiter};
use lathe_dsp::{Block, IoSettings, LoudnessMeter};

const SR: f64 = 48_000.0;

/// A minute of stereo "music": pink noise whose level alternates between a verse and a chorus
/// 6 dB louder every 8 s, with a quiet bar between them.
fn programme() -> Vec<Vec<f32>> {
    let len = (60.0 * SR) as usize;
    (0..2)
        .map(|c| {
            let noise = shaped_noise(len, SR, 7 + c, 0.05, |_| 0.0);
            noise
                .iter()
                .enumerate()
                .map(|(i, &x)| {
                    let t = i as f64 / SR;
                    let section = (t / 8.0) as usize;
                    let gain = if section % 2 == 1 { 2.0 } else { 1.0 };
                    let bar = if t % 8.0 > 7.5 { 0.1 } else { 1.0 };
                    x * (gain * bar) as f32
                })
                .collect()
        })
        .collect()
}

fn limiter(drive_db: f32) -> Limiter {
    let mut chain = Limiter::new(2, SR);
    chain.set_settings(&ChainSettings {
        io: IoSettings {
            input_gain_db: drive_db,
            ..IoSettings::default()
        },
        core: LimiterSettings::default(),
    });
    chain
}

/// The whole programme through the limiter at `drive_db`: its integrated loudness.
fn output_lufs(x: &[Vec<f32>], drive_db: f32) -> f64 {
    let mut chain = limiter(drive_db);
    let mut meter = LoudnessMeter::for_channels(SR, 2);
    let (mut l, mut r) = (x[0].clone(), x[1].clone());
    for (a, b) in l.chunks_mut(512).zip(r.chunks_mut(512)) {
        chain.process(&mut [a, b]);
        meter.process(&[a, b]);
    }
    meter.integrated_lufs()
}

/// Plays `x` from the start with learning on, the editor looking ten times a second: the
/// drive it finished with and the seconds of audio it took.
fn learn(x: &[Vec<f32>], target_lufs: f64) -> (f32, f64) {
    let mut drive = 0.0f32;
    let mut chain = limiter(drive);
    let mut meters = LearnMeters::new(SR, 2);
    let mut learner = Learner::new(target_lufs, drive, (-24.0, 24.0));
    let block = 480;
    for (i, (l, r)) in x[0].chunks(block).zip(x[1].chunks(block)).enumerate() {
        let (mut a, mut b) = (l.to_vec(), r.to_vec());
        meters.process_input(&[&a, &b], drive);
        chain.process(&mut [&mut a, &mut b]);
        meters.process_output(&[&a, &b]);
        if i % 10 == 9 {
            match learner.step(&meters.readings()) {
                LearnStep::Listening => {}
                LearnStep::Drive(d) => {
                    drive = d;
                    chain.set_settings(&ChainSettings {
                        io: IoSettings {
                            input_gain_db: d,
                            ..IoSettings::default()
                        },
                        core: LimiterSettings::default(),
                    });
                }
                LearnStep::Finished(d) => return (d, meters.readings().seconds),
            }
        }
    }
    panic!("learning did not finish in {} s", x[0].len() as f64 / SR);
}

#[test]
fn learn_lands_the_programme_on_the_target_and_stops_by_itself() {
    let x = programme();
    let before = output_lufs(&x, 0.0);
    for target in [-14.0, -11.0, -18.0] {
        let (drive, seconds) = learn(&x, target);
        let after = output_lufs(&x, drive);
        eprintln!(
            "target {target}: programme at 0 dB {before:.2} LUFS, learned drive {drive:+.2} dB \
             in {seconds:.1} s -> {after:.2} LUFS"
        );
        assert!(seconds <= LEARN_S + 0.2, "learning ran {seconds:.1} s");
        assert!(
            (after - target).abs() <= 0.5,
            "target {target}: learned {drive:+.2} dB gives {after:.2} LUFS"
        );
    }
    // Out of reach (the drive stops at +24 dB): it finishes there by itself.
    let (drive, seconds) = learn(&x, -5.0);
    assert_eq!(drive, 24.0);
    assert!(seconds <= LEARN_S + 0.2, "learning ran {seconds:.1} s");
}
