//! The loudness stage: the Limiter's own chain, its drive solved on the delivered samples
//! (after resampling and dither) for one track or a whole album.

use super::checks::{Metered, StreamMeter, combined};
use super::write::WavStream;
use super::{CEILING_RANGE_DBTP, LOUDNESS_TOLERANCE_LU, MasterOptions};
use crate::quantize::{OutputFormat, Quantizer};
use anyhow::{Context, Result};
use lathe_dsp::chains::limiter::{Detection, LimiterSettings};
use lathe_dsp::chains::{ChainSettings, Core, Limiter, PluginChain};
use lathe_dsp::{Block, IoSettings, LoudnessMeter, LoudnessSummary};
use lathe_io::StreamResampler;
use serde::Serialize;

/// Most drive the solve tries, dB.
const MAX_DRIVE_DB: f32 = 36.0;
/// Samples per processing block.
pub(super) const BLOCK: usize = 1024;
/// Renders after which the solve stops (it lands in one to three).
const MAX_RENDERS: usize = 24;

/// The delivered audio for one drive: limited, resampled and requantised, as the file holds it.
pub(super) struct Delivery {
    /// The delivered samples (empty unless the programme asked to keep them).
    pub samples: Vec<Vec<f32>>,
    pub sample_rate_hz: u32,
    /// The requantiser that made them (its format writes them; its report describes them).
    pub quantizer: Quantizer,
    pub metered: Metered,
}

/// A programme going into the limiter: one track's audio after the tonal and glue stages.
#[derive(Clone, Copy)]
pub(super) struct Programme<'a> {
    pub samples: &'a [Vec<f32>],
    pub sample_rate_hz: u32,
    /// Deliver it as a WAV file at this path (its staged file), written as the delivery is
    /// made (tags are added afterwards: [`super::write::tag_wav`]).
    pub wav: Option<&'a std::path::Path>,
    /// Keep the delivered samples ([`Delivery::samples`]: a FLAC file or a plot needs them);
    /// otherwise they are left empty.
    pub keep_samples: bool,
}

/// Blocks of the limiter's detection handed over at a time.
const DETECTION_BATCH: usize = 16;
/// Frames the limiter hands on at a time to the thread that requantises and measures.
const PIECE: usize = 16_384;

/// The mix through the Limiter at `drive_db` and `ceiling_db` (latency removed), resampled
/// to `rate_hz` and requantised to `format`, then measured. The limiter runs on a thread of
/// its own and hands its output on piece by piece, so resampling, requantising and measuring
/// run beside it (the same samples and figures as one stage after the other).
fn deliver(
    p: Programme,
    drive_db: f32,
    ceiling_db: f32,
    rate_hz: u32,
    format: OutputFormat,
) -> Result<Delivery> {
    let mut chain = Limiter::new(p.samples.len(), p.sample_rate_hz as f64);
    chain.set_settings(&ChainSettings {
        io: IoSettings {
            input_gain_db: drive_db,
            ..IoSettings::default()
        },
        core: LimiterSettings {
            ceiling_db,
            ..LimiterSettings::default()
        },
    });
    let channels = p.samples.len();
    let frames = p.samples[0].len();
    let mut post = Post::new(channels, frames, rate_hz, format, &p)?;
    let mut resampler = (rate_hz != p.sample_rate_hz)
        .then(|| StreamResampler::new(p.sample_rate_hz, rate_hz, channels, frames))
        .transpose()?;
    // The limiter's detection half (the way up, the meter-aware levels) runs ahead on a
    // thread of its own, the gain computer and the way down on the limiter's: the same
    // samples as one thread (`LimiterCore::detach_detector`).
    let mut input = chain.core_input();
    let detector = chain.core_mut().detach_detector();
    let latency = chain.latency() as usize;
    std::thread::scope(|scope| -> Result<()> {
        let (to_post, pieces) = std::sync::mpsc::sync_channel::<Vec<Vec<f32>>>(4);
        // Handed over in batches: a wake-up per block costs more than the block's work.
        let (to_limiter, batches) = std::sync::mpsc::sync_channel::<Vec<Detection>>(4);
        let (give_back, returned) = std::sync::mpsc::channel::<Detection>();
        let detached = detector.is_some();
        if let Some(mut detector) = detector {
            scope.spawn(move || {
                let mut batch = Vec::with_capacity(DETECTION_BATCH);
                blocks(p.samples, latency, |_, block| {
                    input.process(block);
                    let mut d = returned.try_recv().unwrap_or_default();
                    detector.detect(block, &mut d);
                    batch.push(d);
                    if batch.len() == DETECTION_BATCH {
                        // The receiver only goes away when the limiter thread failed.
                        let full =
                            std::mem::replace(&mut batch, Vec::with_capacity(DETECTION_BATCH));
                        let _ = to_limiter.send(full);
                    }
                });
                let _ = to_limiter.send(batch);
            });
        }
        let limiter = scope.spawn(move || {
            let mut ready = Vec::new().into_iter();
            let before = |chain: &mut Limiter| {
                if !detached {
                    return;
                }
                let d = match ready.next() {
                    Some(d) => d,
                    None => {
                        ready = batches
                            .recv()
                            .expect("the limiter's detection thread failed")
                            .into_iter();
                        ready.next().expect("a batch holds a block")
                    }
                };
                if let Some(used) = chain.core_mut().supply_detection(d) {
                    let _ = give_back.send(used);
                }
            };
            stream_chain_with(&mut chain, p.samples, PIECE, before, |piece| {
                // The receiver only goes away when this thread's caller failed.
                let _ = to_post.send(piece);
            });
        });
        for piece in pieces {
            match resampler.as_mut() {
                Some(r) => {
                    let slices: Vec<&[f32]> = piece.iter().map(|c| &c[..]).collect();
                    r.push(&slices, &mut |q| post.push(q))?;
                }
                None => post.push(piece),
            }
        }
        limiter
            .join()
            .map_err(|_| anyhow::anyhow!("the limiter stage failed"))
    })?;
    if let Some(r) = resampler {
        r.finish(&mut |q| post.push(q))?;
    }
    post.finish()
}

/// The last stage of a delivery, fed in order: requantises (any blocking gives the same
/// samples) and measures what it keeps.
struct Post {
    keep: bool,
    samples: Vec<Vec<f32>>,
    quantizer: Quantizer,
    meter: StreamMeter,
    rate_hz: u32,
    wav: Option<WavStream>,
    /// The first failure of the WAV file's writer (reported at the end).
    failed: Option<anyhow::Error>,
}

impl Post {
    fn new(
        channels: usize,
        frames: usize,
        rate_hz: u32,
        format: OutputFormat,
        p: &Programme,
    ) -> Result<Self> {
        let quantizer = Quantizer::new(format, None);
        let wav = p
            .wav
            .map(|path| WavStream::create(path, &quantizer, channels, rate_hz))
            .transpose()?;
        let kept = if p.keep_samples { frames } else { 0 };
        Ok(Self {
            keep: p.keep_samples,
            samples: (0..channels).map(|_| Vec::with_capacity(kept)).collect(),
            quantizer,
            meter: StreamMeter::new(channels, rate_hz, true),
            rate_hz,
            wav,
            failed: None,
        })
    }

    fn push(&mut self, mut piece: Vec<Vec<f32>>) {
        let mut slices: Vec<&mut [f32]> = piece.iter_mut().map(|c| &mut c[..]).collect();
        self.quantizer.process(&mut slices);
        let slices: Vec<&[f32]> = piece.iter().map(|c| &c[..]).collect();
        self.meter.push(&slices);
        if let Some(wav) = self.wav.as_mut()
            && self.failed.is_none()
            && let Err(e) = wav.push(&self.quantizer, &piece)
        {
            self.failed = Some(e);
        }
        if self.keep {
            lathe_io::extend_planar(&mut self.samples, &piece);
        }
    }

    fn finish(self) -> Result<Delivery> {
        if let Some(e) = self.failed {
            return Err(e.context("cannot write the WAV file"));
        }
        if let Some(wav) = self.wav {
            wav.finish().context("cannot write the WAV file")?;
        }
        Ok(Delivery {
            samples: self.samples,
            sample_rate_hz: self.rate_hz,
            quantizer: self.quantizer,
            metered: self.meter.finish(),
        })
    }
}

/// Every programme delivered at one drive, two at a time (the album's tracks on both cores).
fn deliver_all(
    programmes: &[Programme],
    drive_db: f32,
    ceiling_db: f32,
    opts: &MasterOptions,
) -> Result<Vec<Delivery>> {
    let one = |p: &Programme| {
        let rate = opts.rate_hz.unwrap_or(p.sample_rate_hz);
        deliver(*p, drive_db, ceiling_db, rate, opts.format)
    };
    if programmes.len() == 1 {
        return Ok(vec![one(&programmes[0])?]);
    }
    let mut out = Vec::with_capacity(programmes.len());
    for pair in programmes.chunks(2) {
        let results: Vec<Result<Delivery>> = std::thread::scope(|scope| {
            let handles: Vec<_> = pair.iter().map(|p| scope.spawn(move || one(p))).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("the limiter stage failed")))
                })
                .collect()
        });
        for r in results {
            out.push(r?);
        }
    }
    Ok(out)
}

/// The programme loudness of `deliveries` together (one track: its own; an album: gated over
/// all its tracks' blocks, EBU Tech 3343), with the highest true peak.
pub(super) fn album_loudness(deliveries: &[Delivery]) -> LoudnessSummary {
    let meters: Vec<&LoudnessMeter> = deliveries.iter().map(|d| &d.metered.meter).collect();
    combined(&meters, deliveries.iter().map(|d| &d.metered.measurement))
}

/// What the solve settled on.
pub(super) struct Solved {
    /// Each programme delivered.
    pub deliveries: Vec<Delivery>,
    /// Their loudness together.
    pub loudness: LoudnessSummary,
    /// The drive, the limiter's ceiling and the renders (the peak limiting is the caller's:
    /// it knows each programme's peak).
    pub limiter: LimiterReport,
    /// Why the target was out of reach, if it was.
    pub unreachable: Option<String>,
}

/// Solves one drive for all `programmes` (see the [module documentation](super)): their
/// delivery lands within the tolerance of `target_lufs` together and every one holds the
/// ceiling. `start_lufs` is their loudness before the limiter (the first guess).
pub(super) fn solve(
    programmes: &[Programme],
    start_lufs: f64,
    target_lufs: f64,
    opts: &MasterOptions,
) -> Result<Solved> {
    let mut ceiling = opts.ceiling_dbtp as f32;
    let mut renders = 0;
    let mut drive = (target_lufs - start_lufs) as f32;
    loop {
        let mut last: Option<(f32, f64)> = None;
        let mut unreachable = None;
        let (deliveries, loudness) = loop {
            let d = deliver_all(programmes, drive, ceiling, opts)?;
            let loudness = album_loudness(&d);
            renders += 1;
            let lufs = loudness.integrated_lufs.unwrap_or(f64::NEG_INFINITY);
            let error = target_lufs - lufs;
            if error.abs() <= LOUDNESS_TOLERANCE_LU || renders >= MAX_RENDERS {
                break (d, loudness);
            }
            // Loudness rises by at most 1 LU per dB of drive, less as the limiter works.
            let slope = match last {
                Some((d0, l0)) if (drive - d0).abs() > 1e-4 => {
                    ((lufs - l0) / (drive - d0) as f64).clamp(0.02, 1.0)
                }
                _ => 1.0,
            };
            last = Some((drive, lufs));
            let next = (drive as f64 + error / slope) as f32;
            if next > MAX_DRIVE_DB && drive >= MAX_DRIVE_DB {
                unreachable = Some(format!(
                    "the target {target_lufs:.1} LUFS is out of reach: {MAX_DRIVE_DB} dB of \
                     drive gives {lufs:.1} LUFS"
                ));
                break (d, loudness);
            }
            drive = next.clamp(-40.0, MAX_DRIVE_DB);
        };
        let peak = loudness.true_peak_dbtp.unwrap_or(f64::NEG_INFINITY);
        let over = peak - opts.ceiling_dbtp;
        if over <= 0.0 || ceiling <= CEILING_RANGE_DBTP.0 as f32 {
            return Ok(Solved {
                deliveries,
                loudness,
                limiter: LimiterReport {
                    drive_db: drive as f64,
                    ceiling_dbtp: ceiling as f64,
                    peak_limiting_db: 0.0,
                    renders,
                },
                unreachable,
            });
        }
        // Resampling or dither put a peak over the ceiling: lower the limiter's and solve
        // again from here.
        ceiling -= over as f32 + 0.02;
    }
}

/// The loudness stage of the report: what the solve settled on.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct LimiterReport {
    /// Drive into the limiter, dB.
    pub drive_db: f64,
    /// The limiter's ceiling (the asked ceiling, lowered by what resampling and dither add).
    pub ceiling_dbtp: f64,
    /// How far the true peak was pushed over the ceiling and held: the peak limiting, dB.
    pub peak_limiting_db: f64,
    /// Renders the solve took.
    pub renders: usize,
}

/// `x` through `chain`, latency removed: the output lines up with `x` and has its length.
pub(super) fn run_chain<C: Core, S: AsRef<[f32]>>(
    chain: &mut PluginChain<C>,
    x: &[S],
) -> Vec<Vec<f32>> {
    let len = x[0].as_ref().len();
    let mut out: Vec<Vec<f32>> = vec![Vec::new(); x.len()];
    // One piece of the whole length: it is the output (no second copy).
    stream_chain(chain, x, len.max(1), |piece| {
        if out[0].is_empty() {
            out = piece;
        } else {
            lathe_io::extend_planar(&mut out, &piece);
        }
    });
    out
}

/// `x` through `chain` in place, latency removed: what [`run_chain`] returns, written over
/// `x` (no second copy of the audio). Each piece of output is written behind the block being
/// read (output sample `i` needs input up to `i + latency`), so no input is overwritten
/// before it is read.
pub(super) fn run_chain_in_place<C: Core>(chain: &mut PluginChain<C>, x: &mut [Vec<f32>]) {
    let cells: Vec<Cells> = x
        .iter_mut()
        .map(|c| Cells(std::cell::Cell::from_mut(&mut c[..]).as_slice_of_cells()))
        .collect();
    let mut at = 0;
    stream_chain(chain, &cells, PIECE, |piece| {
        for (out, p) in cells.iter().zip(&piece) {
            for (cell, &v) in out.0[at..].iter().zip(p) {
                cell.set(v);
            }
        }
        at += piece[0].len();
    });
}

/// A channel a chain reads from and writes its output into ([`run_chain_in_place`]).
struct Cells<'a>(&'a [std::cell::Cell<f32>]);

/// A channel of input samples for [`blocks`].
pub(super) trait Samples {
    /// Its length, frames.
    fn frames(&self) -> usize;
    /// Copies `out.len()` samples from `from` on into `out`.
    fn read(&self, from: usize, out: &mut [f32]);
}

impl<S: AsRef<[f32]>> Samples for S {
    fn frames(&self) -> usize {
        self.as_ref().len()
    }

    fn read(&self, from: usize, out: &mut [f32]) {
        out.copy_from_slice(&self.as_ref()[from..from + out.len()]);
    }
}

impl Samples for Cells<'_> {
    fn frames(&self) -> usize {
        self.0.len()
    }

    fn read(&self, from: usize, out: &mut [f32]) {
        for (o, c) in out.iter_mut().zip(&self.0[from..]) {
            *o = c.get();
        }
    }
}

/// [`run_chain`] handing its output on as it comes: `sink` gets consecutive pieces of the
/// aligned output, `piece` frames each (the last may be shorter).
pub(super) fn stream_chain<C: Core, S: Samples>(
    chain: &mut PluginChain<C>,
    x: &[S],
    piece: usize,
    sink: impl FnMut(Vec<Vec<f32>>),
) {
    stream_chain_with(chain, x, piece, |_| {}, sink);
}

/// [`stream_chain`] with `before` called on the chain before each block it processes.
fn stream_chain_with<C: Core, S: Samples>(
    chain: &mut PluginChain<C>,
    x: &[S],
    piece: usize,
    mut before: impl FnMut(&mut PluginChain<C>),
    mut sink: impl FnMut(Vec<Vec<f32>>),
) {
    let channels = x.len();
    let len = x[0].frames();
    let latency = chain.latency() as usize;
    let fresh = || -> Vec<Vec<f32>> { (0..channels).map(|_| Vec::with_capacity(piece)).collect() };
    let mut pending = fresh();
    blocks(x, latency, |start, block| {
        let n = block[0].len();
        before(chain);
        chain.process(block);
        // Output sample start + i is input sample start + i - latency.
        let first = latency.saturating_sub(start).min(n);
        let last = (len + latency - start).min(n);
        let mut from = first;
        while from < last {
            let take = (piece - pending[0].len()).min(last - from);
            for (p, b) in pending.iter_mut().zip(block.iter()) {
                p.extend_from_slice(&b[from..from + take]);
            }
            from += take;
            if pending[0].len() == piece {
                sink(std::mem::replace(&mut pending, fresh()));
            }
        }
    });
    if !pending[0].is_empty() {
        sink(pending);
    }
}

/// Calls `each` with the start and the samples of consecutive blocks of [`BLOCK`] frames
/// (the last shorter): `x`, then `tail` frames of silence (a chain's latency).
fn blocks<S: Samples>(x: &[S], tail: usize, mut each: impl FnMut(usize, &mut [&mut [f32]])) {
    let len = x[0].frames();
    let mut block = vec![vec![0.0f32; BLOCK]; x.len()];
    let mut start = 0;
    while start < len + tail {
        let n = BLOCK.min(len + tail - start);
        for (b, m) in block.iter_mut().zip(x) {
            let from = start.min(m.frames());
            let have = (m.frames() - from).min(n);
            m.read(from, &mut b[..have]);
            b[have..n].fill(0.0);
        }
        let mut slices: Vec<&mut [f32]> = block.iter_mut().map(|b| &mut b[..n]).collect();
        each(start, &mut slices);
        start += n;
    }
}

#[cfg(test)]
mod tests {
    use super::super::checks::metered;
    use super::*;

    /// Pink noise in loud and quiet stretches (the limiter works on the loud ones).
    fn noise(frames: usize, seed: u64) -> Vec<f32> {
        let pink =
            lathe_dsp::analysis::reference::shaped_noise(frames, 44_100.0, seed, 0.3, |_| 0.0);
        pink.iter()
            .enumerate()
            .map(|(i, x)| if (i / 7_000) % 3 == 0 { 5.0 * x } else { *x })
            .collect()
    }

    /// The pipelined delivery's pieces put together are the whole-file stages' output: the
    /// limiter streamed in any piece size equals [`run_chain`], and the streaming meter fed in
    /// pieces reads what [`metered`] reads on the whole.
    #[test]
    fn pieces_give_what_the_whole_gives() {
        let sr = 44_100u32;
        let x = vec![noise(70_000, 3), noise(70_000, 9)];
        let limiter = || {
            let mut chain = Limiter::new(2, sr as f64);
            chain.set_settings(&ChainSettings {
                io: IoSettings {
                    input_gain_db: 9.0,
                    ..IoSettings::default()
                },
                core: LimiterSettings::default(),
            });
            chain
        };
        let whole = run_chain(&mut limiter(), &x);
        assert_eq!(whole[0].len(), x[0].len());
        for piece in [1usize, 1000, 16_384, 100_000] {
            let mut joined = vec![Vec::new(), Vec::new()];
            let mut sizes = Vec::new();
            stream_chain(&mut limiter(), &x, piece, |p| {
                sizes.push(p[0].len());
                lathe_io::extend_planar(&mut joined, &p);
            });
            assert!(joined == whole, "pieces of {piece}");
            assert!(sizes[..sizes.len() - 1].iter().all(|&n| n == piece));
        }
        // In place: the same output written over the input, for lengths under, at and over
        // the latency, a block and a piece.
        let latency = limiter().latency() as usize;
        for len in [1usize, latency - 1, latency + 1, BLOCK, PIECE + 3, 70_000] {
            let cut: Vec<Vec<f32>> = x.iter().map(|c| c[..len].to_vec()).collect();
            let want = run_chain(&mut limiter(), &cut);
            let mut got = cut.clone();
            run_chain_in_place(&mut limiter(), &mut got);
            assert!(got == want, "in place, {len} frames");
        }
        let reference = metered(&whole, sr);
        for piece in [1_000usize, 22_050, 65_536] {
            let mut meter = StreamMeter::new(2, sr, true);
            for at in (0..whole[0].len()).step_by(piece) {
                let end = (at + piece).min(whole[0].len());
                meter.push(&[&whole[0][at..end], &whole[1][at..end]]);
            }
            let m = meter.finish();
            assert_eq!(m.measurement, reference.measurement, "pieces of {piece}");
            assert_eq!(
                m.short_term_lufs, reference.short_term_lufs,
                "pieces of {piece}"
            );
        }
    }
}
