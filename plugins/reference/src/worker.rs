//! Everything Lathe Reference does off the audio thread, on one worker thread (plus a thread
//! per file being loaded):
//!
//! - reads the mix from the two lock-free rings the audio thread fills and runs the
//!   [`Analyzer`] on it (while Learn is on; off, the analysis is frozen into the saved state);
//! - loads references (decode, analyse at the file's rate, resample for playback with rubato),
//!   reporting progress and clear errors, and reloads the audio of saved references when a
//!   project opens (saying so when a file has moved);
//! - designs the match EQ when its inputs change and posts it, and the selected reference's
//!   audio, to the audio thread through mailboxes;
//! - computes the A/B loudness-matching gain.

use atomic_float::AtomicF64;
use lathe_dsp::analysis::reference::{Analysis, Analyzer, average_spectra};
use lathe_dsp::chains::reference::{KernelMessage, MatchDesign, ReferenceAudio, design_kernel};
use lathe_dsp::rt::mailbox::MailSender;
use lathe_dsp::rt::ring::SampleRing;
use lathe_params::reference::{
    MAX_REFERENCES, ReferenceLibrary, ReferenceParams, StoredReference, TargetChoice,
};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Samples each ring holds (about 2.7 s at 48 kHz; the worker reads every 30 ms).
pub const RING_SAMPLES: usize = 1 << 17;
/// How often the worker wakes.
const TICK: Duration = Duration::from_millis(30);
/// How often the live mix analysis is published and the match EQ may be redesigned.
const REFRESH: Duration = Duration::from_millis(300);
/// Messages kept for the editor.
const MAX_MESSAGES: usize = 4;

/// What the editor asks the worker to do.
#[derive(Debug, Clone)]
pub enum Request {
    /// Load a reference file.
    Load(PathBuf),
    /// Remove a reference by ID.
    Remove(u64),
    /// Forget the live mix analysis and start again.
    ResetMix,
}

/// A file being loaded.
#[derive(Debug, Clone)]
pub struct Job {
    /// Its file name.
    pub name: String,
    /// 0 to 1.
    pub progress: f32,
}

/// Whether a reference's audio is available for A/B.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioState {
    /// Decoded and ready.
    Ready,
    /// Being decoded.
    Loading,
    /// The file is gone or unreadable; the analysis is still there.
    Missing,
}

/// What the editor shows.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// The mix analysis (live, or frozen).
    pub mix: Option<Analysis>,
    /// The match EQ curve in use, dB on the analyzer grid.
    pub curve_db: Vec<f32>,
    /// Files being loaded.
    pub jobs: Vec<Job>,
    /// Recent errors, newest last.
    pub messages: Vec<String>,
    /// Audio availability per reference ID.
    pub audio: HashMap<u64, AudioState>,
}

/// State shared by the plugin, its editor and the worker.
pub struct Shared {
    /// The mix (the plugin's input), left and right, written by the audio thread.
    pub rings: [SampleRing; 2],
    /// The session's sample rate.
    pub sample_rate_hz: AtomicF64,
    /// The A/B loudness-matching gain, dB (read by the audio thread).
    pub reference_gain_db: AtomicF64,
    /// What the editor shows.
    pub view: Mutex<View>,
    /// The editor's requests.
    pub requests: Mutex<Vec<Request>>,
    /// Mailboxes to the audio thread, replaced when the plugin is activated again.
    pub senders: Mutex<Option<Senders>>,
    /// Counts replacements of `senders`: the worker sends everything again to new ones.
    pub senders_generation: AtomicU64,
}

/// The sending ends of the audio thread's mailboxes.
pub struct Senders {
    /// Match-EQ kernels.
    pub kernels: MailSender<Box<KernelMessage>>,
    /// Reference audio for A/B.
    pub audio: MailSender<Option<Arc<ReferenceAudio>>>,
}

impl Default for Shared {
    fn default() -> Self {
        Self {
            rings: [SampleRing::new(RING_SAMPLES), SampleRing::new(RING_SAMPLES)],
            sample_rate_hz: AtomicF64::new(48_000.0),
            reference_gain_db: AtomicF64::new(0.0),
            view: Mutex::new(View::default()),
            requests: Mutex::new(Vec::new()),
            senders: Mutex::new(None),
            senders_generation: AtomicU64::new(0),
        }
    }
}

/// Locks a mutex, recovering the data if a panic poisoned it (the data stays consistent:
/// every writer replaces whole values).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    /// Queues a request for the worker.
    pub fn request(&self, r: Request) {
        lock(&self.requests).push(r);
    }

    fn message(&self, text: String) {
        let mut view = lock(&self.view);
        view.messages.push(text);
        let n = view.messages.len();
        if n > MAX_MESSAGES {
            view.messages.drain(..n - MAX_MESSAGES);
        }
    }
}

/// The worker thread; stopped and joined when dropped.
pub struct Worker {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts the worker.
    pub fn start(shared: Arc<Shared>, params: Arc<ReferenceParams>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("lathe-reference".into())
            .spawn(move || {
                let mut state = WorkerState::new(shared, params);
                #[cfg(feature = "standalone")]
                state.demo();
                while !flag.load(Ordering::Relaxed) {
                    // A bug in one tick must not take the host down; the next tick retries.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        state.tick();
                    }));
                    std::thread::sleep(TICK);
                }
            })
            .ok();
        Self { stop, handle }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// A finished load.
enum Loaded {
    /// A new reference: its analysis and audio at the session rate.
    New(StoredReference, Arc<ReferenceAudio>),
    /// The audio of a saved reference.
    Audio(u64, Arc<ReferenceAudio>),
    /// Progress of a job.
    Progress(String, f32),
    /// A failure: the job's name and the message.
    Failed(String, Option<u64>, String),
}

struct WorkerState {
    shared: Arc<Shared>,
    params: Arc<ReferenceParams>,
    sample_rate_hz: f64,
    analyzer: Analyzer,
    read_pos: u64,
    buffers: [Vec<f32>; 2],
    learning: bool,
    audio: HashMap<u64, Arc<ReferenceAudio>>,
    attempted: HashMap<u64, AudioState>,
    loaded_tx: Sender<Loaded>,
    loaded_rx: Receiver<Loaded>,
    last_refresh: Instant,
    /// What the last kernel was designed from.
    designed: Option<DesignKey>,
    sent_audio: Option<(u64, f64)>,
    mix_version: u64,
    /// The mix analysis as of the last refresh (what the editor shows and the match EQ and
    /// A/B gain use): computed once per refresh, not per use.
    mix: Option<Analysis>,
    generation: u64,
    /// The screenshot demo analysed a synthetic mix: the (silent) rings are not read.
    demo_mix: bool,
}

#[derive(Debug, Clone, PartialEq)]
struct DesignKey {
    design: MatchDesign,
    mix_version: u64,
    target: Vec<u64>,
    sample_rate_hz: f64,
}

impl WorkerState {
    fn new(shared: Arc<Shared>, params: Arc<ReferenceParams>) -> Self {
        let sample_rate_hz = shared.sample_rate_hz.load(Ordering::Relaxed);
        let (loaded_tx, loaded_rx) = channel();
        Self {
            read_pos: shared.rings[0].written(),
            shared,
            params,
            sample_rate_hz,
            analyzer: Analyzer::new(sample_rate_hz),
            buffers: [vec![0.0; RING_SAMPLES], vec![0.0; RING_SAMPLES]],
            learning: true,
            audio: HashMap::new(),
            attempted: HashMap::new(),
            loaded_tx,
            loaded_rx,
            last_refresh: Instant::now() - REFRESH,
            designed: None,
            sent_audio: None,
            mix_version: 0,
            mix: None,
            generation: u64::MAX,
            demo_mix: false,
        }
    }

    /// Editor screenshots (`cargo xtask screenshot reference`, standalone build only): two
    /// synthetic references and a synthetic mix, since the screenshot host plays silence.
    #[cfg(feature = "standalone")]
    fn demo(&mut self) {
        use lathe_dsp::analysis::reference::shaped_noise;
        if std::env::var_os("LATHE_REFERENCE_DEMO").is_none() {
            return;
        }
        let sr = self.sample_rate_hz;
        let n = ((sr * 12.0) as usize).next_power_of_two();
        let noise = |seed: u64, rms: f64, shape: fn(f64) -> f64| {
            [
                shaped_noise(n, sr, seed, rms, shape),
                shaped_noise(n, sr, seed + 100, rms, shape),
            ]
        };
        let mix = noise(1, 0.06, |f| {
            -0.6 * (f / 1000.0).log2() + 3.0 * (-((f / 250.0).log2() / 0.7).powi(2)).exp()
        });
        self.analyzer.push(&mix[0], &mix[1]);
        self.demo_mix = true;
        self.mix_version += 1;
        let refs: [(&str, fn(f64) -> f64, f64); 2] = [
            (
                "/music/references/Reference A.flac",
                |f| -1.6 * (f / 1000.0).log2() + 2.5 * (-((f / 3500.0).log2() / 0.8).powi(2)).exp(),
                0.25,
            ),
            (
                "/music/references/Reference B.wav",
                |f| -1.2 * (f / 1000.0).log2(),
                0.2,
            ),
        ];
        for (i, (path, shape, rms)) in refs.into_iter().enumerate() {
            let [l, r] = noise(10 + i as u64, rms, shape);
            let analysis = lathe_dsp::analysis::reference::analyze_stereo(sr, &l, &r);
            let id = i as u64 + 1;
            self.edit_library(|lib| {
                lib.references.push(StoredReference {
                    id,
                    path: path.into(),
                    analysis,
                })
            });
            self.audio.insert(
                id,
                Arc::new(ReferenceAudio {
                    sample_rate_hz: sr,
                    channels: [l, r],
                }),
            );
            self.attempted.insert(id, AudioState::Ready);
            lock(&self.shared.view).audio.insert(id, AudioState::Ready);
        }
    }

    fn library(&self) -> ReferenceLibrary {
        self.params.library_snapshot()
    }

    fn edit_library(&self, f: impl FnOnce(&mut ReferenceLibrary)) {
        let mut guard = self
            .params
            .library
            .write()
            .unwrap_or_else(|e| e.into_inner());
        f(&mut guard);
    }

    fn tick(&mut self) {
        let sr = self.shared.sample_rate_hz.load(Ordering::Relaxed);
        if sr != self.sample_rate_hz && sr > 0.0 {
            // New session rate: analyse afresh and resample every reference again.
            self.sample_rate_hz = sr;
            self.analyzer = Analyzer::new(sr);
            self.audio.clear();
            self.attempted.clear();
            self.designed = None;
            self.sent_audio = None;
            self.read_pos = self.shared.rings[0].written();
        }
        let generation = self.shared.senders_generation.load(Ordering::Acquire);
        if generation != self.generation {
            // New mailboxes: the audio thread has nothing yet.
            self.generation = generation;
            self.designed = None;
            self.sent_audio = None;
            self.last_refresh = Instant::now() - REFRESH;
        }
        self.read_mix();
        self.handle_requests();
        self.collect_loads();
        self.load_missing_audio();
        if self.last_refresh.elapsed() >= REFRESH {
            self.last_refresh = Instant::now();
            self.publish_mix();
            self.update_match();
        }
        self.update_ab();
    }

    /// Moves new mix samples from the rings into the analyzer.
    fn read_mix(&mut self) {
        let learn = self.params.learn.value();
        if learn != self.learning {
            self.learning = learn;
            if learn {
                self.edit_library(|l| l.frozen_mix = None);
                self.analyzer.reset();
            } else {
                let frozen = (self.analyzer.samples() > 0).then(|| self.analyzer.analysis());
                self.edit_library(|l| l.frozen_mix = frozen);
            }
            self.mix_version += 1;
            // Show and use the new state at once.
            self.last_refresh = Instant::now() - REFRESH;
        }
        let [l, r] = &self.shared.rings;
        let end = l.written().min(r.written());
        let mut start = self.read_pos.min(end);
        if end - start > (RING_SAMPLES / 2) as u64 {
            // The worker fell behind (or the host ran faster than real time): skip ahead.
            start = end - (RING_SAMPLES / 2) as u64;
        }
        let n = (end - start) as usize;
        self.read_pos = end;
        if n == 0 || !learn || self.demo_mix {
            return;
        }
        let [bl, br] = &mut self.buffers;
        if l.read_range(end, &mut bl[..n]) && r.read_range(end, &mut br[..n]) {
            self.analyzer.push(&bl[..n], &br[..n]);
            self.mix_version += 1;
        }
    }

    fn mix_analysis(&self) -> Option<Analysis> {
        if self.learning {
            (self.analyzer.samples() > 0).then(|| self.analyzer.analysis())
        } else {
            self.library().frozen_mix
        }
    }

    fn publish_mix(&mut self) {
        self.mix = self.mix_analysis();
        lock(&self.shared.view).mix = self.mix.clone();
    }

    fn handle_requests(&mut self) {
        let requests = std::mem::take(&mut *lock(&self.shared.requests));
        for r in requests {
            match r {
                Request::Load(path) => {
                    if self.library().references.len() + lock(&self.shared.view).jobs.len()
                        >= MAX_REFERENCES
                    {
                        self.shared.message(format!(
                            "At most {MAX_REFERENCES} references: remove one first"
                        ));
                        continue;
                    }
                    self.spawn_load(path, None);
                }
                Request::Remove(id) => {
                    self.edit_library(|l| l.references.retain(|r| r.id != id));
                    self.audio.remove(&id);
                    self.attempted.remove(&id);
                    lock(&self.shared.view).audio.remove(&id);
                }
                Request::ResetMix => {
                    self.analyzer.reset();
                    self.mix_version += 1;
                    self.last_refresh = Instant::now() - REFRESH;
                }
            }
        }
    }

    /// Decodes (and for a new reference, analyses) a file on its own thread.
    fn spawn_load(&mut self, path: PathBuf, existing: Option<u64>) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        if existing.is_none() {
            lock(&self.shared.view).jobs.push(Job {
                name: name.clone(),
                progress: 0.0,
            });
        }
        let tx = self.loaded_tx.clone();
        let sr = self.sample_rate_hz;
        let _ = std::thread::Builder::new()
            .name("lathe-reference-load".into())
            .spawn(move || {
                let job = name.clone();
                let progress_tx = tx.clone();
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    load_file(&path, sr, existing.is_none(), |p| {
                        let _ = progress_tx.send(Loaded::Progress(job.clone(), p));
                    })
                }))
                .unwrap_or_else(|_| Err("the decoder failed".into()));
                let msg = match (result, existing) {
                    (Ok((Some(analysis), audio)), None) => Loaded::New(
                        StoredReference {
                            id: 0,
                            path: path.display().to_string(),
                            analysis,
                        },
                        audio,
                    ),
                    (Ok((_, audio)), Some(id)) => Loaded::Audio(id, audio),
                    (Ok((None, _)), None) => Loaded::Failed(name, None, "no analysis".into()),
                    (Err(e), id) => Loaded::Failed(name, id, e),
                };
                let _ = tx.send(msg);
            });
    }

    fn collect_loads(&mut self) {
        while let Ok(msg) = self.loaded_rx.try_recv() {
            match msg {
                Loaded::Progress(name, p) => {
                    if let Some(j) = lock(&self.shared.view)
                        .jobs
                        .iter_mut()
                        .find(|j| j.name == name)
                    {
                        j.progress = p;
                    }
                }
                Loaded::New(mut reference, audio) => {
                    let name = reference.name();
                    let mut id = 0;
                    self.edit_library(|l| {
                        id = l.next_id();
                        reference.id = id;
                        if l.references.len() < MAX_REFERENCES {
                            l.references.push(reference);
                        }
                    });
                    self.finish_job(&name);
                    if audio.sample_rate_hz == self.sample_rate_hz {
                        self.audio.insert(id, audio);
                    }
                    self.attempted.insert(id, AudioState::Ready);
                    lock(&self.shared.view).audio.insert(id, AudioState::Ready);
                }
                Loaded::Audio(id, audio) => {
                    if audio.sample_rate_hz == self.sample_rate_hz {
                        self.audio.insert(id, audio);
                        self.attempted.insert(id, AudioState::Ready);
                        lock(&self.shared.view).audio.insert(id, AudioState::Ready);
                    } else {
                        // Loaded for a rate the session has left: load again.
                        self.attempted.remove(&id);
                    }
                }
                Loaded::Failed(name, id, e) => match id {
                    None => {
                        self.finish_job(&name);
                        self.shared.message(format!("{name}: {e}"));
                    }
                    Some(id) => {
                        self.attempted.insert(id, AudioState::Missing);
                        lock(&self.shared.view)
                            .audio
                            .insert(id, AudioState::Missing);
                    }
                },
            }
        }
    }

    fn finish_job(&self, name: &str) {
        let mut view = lock(&self.shared.view);
        if let Some(i) = view.jobs.iter().position(|j| j.name == name) {
            view.jobs.remove(i);
        }
    }

    /// Reloads the audio of references restored from a saved project (or resampled for a new
    /// rate); a file that is gone is marked missing, its analysis stays.
    fn load_missing_audio(&mut self) {
        let mut library = self.library();
        let before = library.clone();
        library.sanitize();
        if library != before {
            let clean = library.clone();
            self.edit_library(|l| *l = clean);
        }
        let ids: Vec<u64> = library.references.iter().map(|r| r.id).collect();
        self.audio.retain(|id, _| ids.contains(id));
        self.attempted.retain(|id, _| ids.contains(id));
        lock(&self.shared.view)
            .audio
            .retain(|id, _| ids.contains(id));
        for r in &library.references {
            if self.attempted.contains_key(&r.id) {
                continue;
            }
            let path = PathBuf::from(&r.path);
            let state = if path.is_file() {
                self.spawn_load(path, Some(r.id));
                AudioState::Loading
            } else {
                AudioState::Missing
            };
            self.attempted.insert(r.id, state);
            lock(&self.shared.view).audio.insert(r.id, state);
        }
    }

    /// The references the match EQ aims for, as IDs.
    fn target_ids(&self, library: &ReferenceLibrary) -> Vec<u64> {
        match self.params.target.value() {
            TargetChoice::Average => library.references.iter().map(|r| r.id).collect(),
            TargetChoice::Selected => library
                .references
                .get(self.params.selected_index())
                .map(|r| vec![r.id])
                .unwrap_or_default(),
        }
    }

    fn update_match(&mut self) {
        let library = self.library();
        let design = self.params.match_design();
        let target_ids = self.target_ids(&library);
        // Designed even while the match is off, so the editor can show the curve; the core
        // applies it only when the match is on.
        let design = MatchDesign {
            enabled: true,
            ..design
        };
        let key = DesignKey {
            design,
            mix_version: self.mix_version,
            target: target_ids.clone(),
            sample_rate_hz: self.sample_rate_hz,
        };
        if self.designed.as_ref() == Some(&key) {
            return;
        }
        let mix = self.mix.as_ref().map(|a| a.normalized_spectrum_db());
        let target = (!target_ids.is_empty()).then(|| {
            average_spectra(
                &library
                    .references
                    .iter()
                    .filter(|r| target_ids.contains(&r.id))
                    .map(|r| r.analysis.normalized_spectrum_db())
                    .collect::<Vec<_>>(),
            )
        });
        let (msg, curve) = design_kernel(
            mix.as_deref(),
            target.as_deref(),
            &design,
            self.sample_rate_hz,
        );
        let sent = match lock(&self.shared.senders).as_mut() {
            Some(s) => s.kernels.send(Box::new(msg)).is_ok(),
            None => false,
        };
        if sent {
            self.designed = Some(key);
            lock(&self.shared.view).curve_db = curve;
        }
    }

    fn update_ab(&mut self) {
        let library = self.library();
        let selected = library.references.get(self.params.selected_index());
        let mix_lufs = self.mix.as_ref().and_then(|a| a.loudness.integrated_lufs);
        let gain = match (
            selected.and_then(|r| r.analysis.loudness.integrated_lufs),
            mix_lufs,
        ) {
            (Some(r), Some(m)) => (m - r).clamp(-40.0, 40.0),
            _ => 0.0,
        };
        self.shared.reference_gain_db.store(gain, Ordering::Relaxed);
        let id = selected.map(|r| r.id);
        let audio = id.and_then(|id| self.audio.get(&id).cloned());
        let want = id
            .filter(|_| audio.is_some())
            .map(|id| (id, self.sample_rate_hz));
        if want == self.sent_audio {
            return;
        }
        let sent = match lock(&self.shared.senders).as_mut() {
            Some(s) => s.audio.send(audio).is_ok(),
            None => false,
        };
        if sent {
            self.sent_audio = want;
        }
    }
}

/// Decodes a file, analyses it at its own rate if `analyse`, and resamples it to
/// `sample_rate_hz` for playback.
pub fn load_file(
    path: &std::path::Path,
    sample_rate_hz: f64,
    analyse: bool,
    mut progress: impl FnMut(f32),
) -> Result<(Option<Analysis>, Arc<ReferenceAudio>), String> {
    // A new reference is analysed while it decodes; a saved one only needs its audio.
    let (analysis, file) = if analyse {
        let (a, file) = lathe_io::analyze_file(path, true, |p| progress(p * 0.8))
            .map_err(|e| format!("{e:#}"))?;
        (Some(a), file.ok_or("no audio in the file")?)
    } else {
        let file =
            lathe_io::read_audio(path, |p| progress(p * 0.8)).map_err(|e| format!("{e:#}"))?;
        (None, file)
    };
    if file.planar.first().is_none_or(|c| c.is_empty()) {
        return Err("no audio in the file".into());
    }
    let rate = file.sample_rate_hz;
    let [left, right] = file.into_stereo();
    progress(0.85);
    let resampled = lathe_io::KeyFile {
        sample_rate_hz: rate,
        planar: vec![left, right],
    }
    .at_rate(sample_rate_hz.round() as u32)
    .map_err(|e| format!("{e:#}"))?;
    let mut it = resampled.into_iter();
    let (l, r) = (it.next().unwrap_or_default(), it.next().unwrap_or_default());
    progress(1.0);
    Ok((
        analysis,
        Arc::new(ReferenceAudio {
            sample_rate_hz: sample_rate_hz.round(),
            channels: [l, r],
        }),
    ))
}
