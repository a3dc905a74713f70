//! Lathe Reference's worker thread, driven as the plugin drives it: the mix arrives through the
//! rings, references load from files (a bad one gets a clear message and changes nothing), the
//! A/B gain and audio and the match EQ reach the audio thread's chain, Learn off freezes the mix
//! analysis into the saved state, and a saved reference whose file is gone keeps its analysis.

use lathe_dsp::Block;
use lathe_dsp::analysis::reference::{analyze_stereo, shaped_noise};
use lathe_dsp::chains::Reference;
use lathe_dsp::rt::mailbox::mailbox;
use lathe_reference::ReferenceParams;
use lathe_reference::worker::{AudioState, Request, Senders, Shared, Worker, lock};
use nice_plug::prelude::Param;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

const SR: f64 = 48_000.0;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lathe-ref-worker-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_wav(path: &Path, l: &[f32], r: &[f32], sr: u32) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: sr,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for (a, b) in l.iter().zip(r) {
        w.write_sample(*a).unwrap();
        w.write_sample(*b).unwrap();
    }
    w.finalize().unwrap();
}

fn set(param: &impl Param, normalized: f32) {
    // SAFETY: the parameter lives for the whole test.
    unsafe { param.as_ptr()._internal_set_normalized_value(normalized) };
}

struct Rig {
    params: Arc<ReferenceParams>,
    shared: Arc<Shared>,
    chain: Reference,
    worker: Option<Worker>,
    mix: [Vec<f32>; 2],
    pos: usize,
}

impl Rig {
    fn new() -> Self {
        let params = Arc::new(ReferenceParams::default());
        let shared = Arc::new(Shared::default());
        shared.sample_rate_hz.store(SR, Ordering::Relaxed);
        let mut chain = Reference::new(2, SR);
        let (kernels, krx) = mailbox();
        let (audio, arx) = mailbox();
        chain.core_mut().attach(krx, arx);
        *lock(&shared.senders) = Some(Senders { kernels, audio });
        shared.senders_generation.fetch_add(1, Ordering::AcqRel);
        let worker = Some(Worker::start(shared.clone(), params.clone()));
        let n = 1 << 20;
        let mix = [
            shaped_noise(n, SR, 1, 0.05, |_| 0.0),
            shaped_noise(n, SR, 2, 0.05, |_| 0.0),
        ];
        Self {
            params,
            shared,
            chain,
            worker,
            mix,
            pos: 0,
        }
    }

    /// Plays `seconds` of the mix through the rings and the chain as the plugin does; returns
    /// the output.
    fn play(&mut self, seconds: f64) -> [Vec<f32>; 2] {
        let n = (seconds * SR) as usize;
        let mut out = [Vec::with_capacity(n), Vec::with_capacity(n)];
        let mut done = 0;
        while done < n {
            let len = 512.min(n - done);
            let start = self.pos % (self.mix[0].len() - 512);
            let mut l = self.mix[0][start..start + len].to_vec();
            let mut r = self.mix[1][start..start + len].to_vec();
            self.shared.rings[0].push(l.iter().copied());
            self.shared.rings[1].push(r.iter().copied());
            let gain = self.shared.reference_gain_db.load(Ordering::Relaxed);
            self.chain.set_settings(&self.params.settings(gain, None));
            self.chain.process(&mut [&mut l, &mut r]);
            out[0].extend_from_slice(&l);
            out[1].extend_from_slice(&r);
            self.pos += len;
            done += len;
            // Roughly ten times real time: the worker sees the mix arrive in pieces.
            if done % (512 * 10) == 0 {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        out
    }

    fn until(&mut self, what: &str, mut f: impl FnMut(&Self) -> bool) {
        let start = Instant::now();
        while !f(self) {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "timed out: {what}"
            );
            self.play(0.2);
        }
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.worker.take();
    }
}

#[test]
fn worker_loads_references_matches_loudness_and_feeds_the_match_eq() {
    let dir = temp_dir("load");
    let good = dir.join("good.wav");
    let bad = dir.join("bad.wav");
    let n = 44_100 * 8;
    let shape = |f: f64| -1.5 * (f / 1000.0).log2();
    write_wav(
        &good,
        &shaped_noise(n, 44_100.0, 3, 0.5, shape),
        &shaped_noise(n, 44_100.0, 4, 0.5, shape),
        44_100,
    );
    std::fs::write(&bad, b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk").unwrap();
    let mut rig = Rig::new();
    rig.shared.request(Request::Load(bad));
    rig.shared.request(Request::Load(good.clone()));
    rig.until("both loads finish", |r| {
        let lib = r.params.library.read().unwrap();
        let view = lock(&r.shared.view);
        lib.references.len() == 1
            && view.jobs.is_empty()
            && !view.messages.is_empty()
            && view.audio.values().all(|s| *s == AudioState::Ready)
    });
    let (lib, view) = (
        rig.params.library.read().unwrap().clone(),
        lock(&rig.shared.view).clone(),
    );
    println!("messages: {:?}", view.messages);
    assert_eq!(view.messages.len(), 1);
    assert!(
        view.messages[0].starts_with("bad.wav: "),
        "{}",
        view.messages[0]
    );
    let reference = &lib.references[0];
    assert_eq!(reference.name(), "good.wav");
    assert_eq!(reference.analysis.sample_rate_hz, 44_100.0);
    assert!((reference.analysis.tilt_db_per_octave() + 1.5).abs() < 0.15);

    // A/B: once the mix has an integrated loudness, the reference plays at it.
    rig.until("the mix is measured", |r| {
        lock(&r.shared.view)
            .mix
            .as_ref()
            .is_some_and(|m| m.loudness.integrated_lufs.is_some())
    });
    rig.play(1.0);
    let mix_lufs = lock(&rig.shared.view)
        .mix
        .as_ref()
        .unwrap()
        .loudness
        .integrated_lufs
        .unwrap();
    set(&rig.params.listen, 1.0);
    rig.play(0.5);
    let out = rig.play(6.0);
    let heard = analyze_stereo(SR, &out[0], &out[1]);
    let gain = rig.shared.reference_gain_db.load(Ordering::Relaxed);
    println!(
        "mix {mix_lufs:.2} LUFS, reference {:.2} LUFS, gain {gain:+.2} dB, heard {:.2} LUFS",
        reference.analysis.loudness.integrated_lufs.unwrap(),
        heard.loudness.integrated_lufs.unwrap()
    );
    assert!(gain < -6.0, "the reference is louder than the mix");
    assert!((heard.loudness.integrated_lufs.unwrap() - mix_lufs).abs() < 0.5);
    // What is heard is the reference's tone, not the mix's.
    assert!(
        (heard.tilt_db_per_octave() + 1.5).abs() < 0.3,
        "{}",
        heard.tilt_db_per_octave()
    );
    set(&rig.params.listen, 0.0);

    // The match EQ: on, the output takes the reference's tilt.
    set(&rig.params.match_on, 1.0);
    rig.until("a correction is designed", |r| {
        lathe_dsp::analysis::match_eq::curve_at(&lock(&r.shared.view).curve_db, 10_000.0) < -3.0
    });
    rig.play(1.0);
    let out = rig.play(6.0);
    let matched = analyze_stereo(SR, &out[0], &out[1]);
    println!("matched tilt {:+.2} dB/oct", matched.tilt_db_per_octave());
    assert!((matched.tilt_db_per_octave() + 1.5).abs() < 0.3);
    assert!(
        (matched.loudness.integrated_lufs.unwrap() - mix_lufs).abs() < 0.5,
        "level-compensated"
    );
    // Linear phase: the latency follows the parameter at once.
    set(&rig.params.phase, 1.0);
    rig.play(0.1);
    assert_eq!(rig.chain.latency(), 4096);
    set(&rig.params.phase, 0.0);

    // Learn off freezes the mix analysis into the saved state.
    set(&rig.params.learn, 0.0);
    rig.until("the mix analysis is frozen", |r| {
        r.params.library.read().unwrap().frozen_mix.is_some()
    });
    let frozen = rig.params.library.read().unwrap().frozen_mix.clone();
    rig.play(1.0);
    assert_eq!(rig.params.library.read().unwrap().frozen_mix, frozen);
    set(&rig.params.learn, 1.0);
    rig.until("learning again", |r| {
        r.params.library.read().unwrap().frozen_mix.is_none()
    });

    // Remove.
    let id = reference.id;
    rig.shared.request(Request::Remove(id));
    rig.until("removed", |r| {
        r.params.library.read().unwrap().references.is_empty()
    });
}

#[test]
fn a_saved_reference_whose_file_is_gone_keeps_its_analysis() {
    let mut rig = Rig::new();
    let x = shaped_noise(1 << 16, 44_100.0, 9, 0.1, |_| 0.0);
    let analysis = analyze_stereo(44_100.0, &x, &x);
    rig.params
        .library
        .write()
        .unwrap()
        .references
        .push(lathe_params::reference::StoredReference {
            id: 3,
            path: "/nonexistent/lathe/ref.wav".into(),
            analysis: analysis.clone(),
        });
    rig.until("marked missing", |r| {
        lock(&r.shared.view).audio.get(&3) == Some(&AudioState::Missing)
    });
    rig.play(0.5);
    let lib = rig.params.library.read().unwrap().clone();
    assert_eq!(lib.references.len(), 1);
    assert_eq!(lib.references[0].analysis, analysis);
    // Listening to a reference without audio leaves the mix playing.
    set(&rig.params.listen, 1.0);
    let out = rig.play(0.5);
    assert!(out[0].iter().any(|v| v.abs() > 0.01));
}
