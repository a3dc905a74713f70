//! `lathe master`: finished mixes to delivery files in one deterministic step (issue #21).
//!
//! Stages, each Lathe's own DSP:
//! 1. Master-ready checks on each mix: headroom, clipping, mono compatibility, rate and
//!    length; a silent or empty mix is an error and nothing is written ([`checks`]).
//! 2. Tonal match (with `--reference`): Lathe Reference's analysis of the mix and the
//!    references and its match EQ, linear phase, `--amount` of the correction (the curve
//!    `lathe match` shows), and on a stereo mix a width match on the side channel per octave
//!    band ([`tonal`]). Without references there is no tonal stage, and the report says so.
//! 3. Glue (with `--glue`): the Bus Compressor's own chain with its "Gentle Master" preset.
//! 4. Loudness: the mix through Lathe Limiter's signal path
//!    ([`lathe_dsp::chains::Limiter`], true-peak limiting at 4x), its drive solved (secant
//!    steps) so that the integrated loudness (ITU-R BS.1770-5, EBU R128 gating) of the
//!    *delivered* samples, after resampling and dither, is within
//!    [`LOUDNESS_TOLERANCE_LU`] of the target, and their true peak at or below the ceiling
//!    (the limiter's ceiling is lowered by what resampling and dither add, and the solve runs
//!    again) ([`loudness`]). The target is `--target` LUFS, or with `--target reference` the
//!    references' loudness (their integrated loudness averaged as energy).
//! 5. Delivery: resampling with rubato's FFT resampler, requantisation with TPDF or
//!    noise-shaped dither ([`crate::quantize`]), WAV (hound) or FLAC (flacenc); tags with
//!    lofty ([`write`]).
//! 6. A report: text, or JSON (`--report`, `--json`) with the settings, measurements before
//!    and after, the checks, the correction curve, the solved drive and limiting, and the
//!    output's SHA-256; `--plot` draws the spectra and the short-term loudness ([`plot`]).
//!
//! Album mode (`--album`, several mixes): one tonal correction (the tracks' average spectrum
//! and width against the references), the same chain and one drive for every track, so their
//! relative loudness is kept; the album's loudness, gated over all its tracks' blocks (EBU Tech
//! 3343), lands within the tolerance, and every track holds the ceiling. Several mixes without
//! `--album` are mastered each on its own. Nothing is written unless every file succeeds.
//!
//! Deterministic: the same inputs and options give the same bytes (the dither's generator has
//! a fixed seed; nothing depends on time or threads).

mod checks;
mod loudness;
mod plot;
mod tonal;
mod write;

pub use checks::{
    Checks, Measurement, MixFigureMeter, MixFigures, SERIES_HOP_S, check_mix, measure,
};
pub use loudness::LimiterReport;
pub use tonal::{Correction, WIDEN_FROM_HZ, WIDTH_LIMIT_DB, WidthMatch, width_gains_db};
pub use write::{Container, Tags, validate_isrc, validate_upc};

use crate::quantize::OutputFormat;
use crate::render::{StagedFile, check_output_file};
use anyhow::{Context, Result, bail};
use lathe_dsp::analysis::reference::Analysis;
use lathe_dsp::chains::BusCompressor;
use lathe_dsp::{Block, LoudnessMeter, LoudnessSummary};
use loudness::{Programme, run_chain};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// How close the delivered integrated loudness must come to the target, LU (the issue asks
/// +-0.1; the solve stops well inside it, so another meter's small offset keeps it inside).
pub const LOUDNESS_TOLERANCE_LU: f64 = 0.03;
/// Sample rates `--rate` accepts, Hz.
pub const RATES_HZ: [u32; 6] = [44_100, 48_000, 88_200, 96_000, 176_400, 192_000];
/// Accepted loudness targets, LUFS.
pub const TARGET_RANGE_LUFS: (f64, f64) = (-40.0, -5.0);
/// Accepted true-peak ceilings, dBTP (the Limiter's own range).
pub const CEILING_RANGE_DBTP: (f64, f64) = (-12.0, 0.0);
/// `--limit`'s range, dB, and its default: the match EQ's largest boost or cut. Higher than
/// the plugin's 12 dB: a quiet orchestral mix against a dense reference needs its top octaves
/// lifted 20-30 dB to come near it (Matchering lifts them that far; BENCHMARKS.md).
pub const MATCH_LIMIT_RANGE_DB: (f64, f64) = (0.0, 30.0);
/// The default `--limit`, dB.
pub const MATCH_LIMIT_DB: f64 = 24.0;
/// Peak limiting above which the summary warns, dB.
const HEAVY_LIMITING_DB: f64 = 6.0;

/// The loudness to aim for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// This integrated loudness, LUFS.
    Lufs(f64),
    /// The references' loudness.
    Reference,
}

impl std::str::FromStr for Target {
    type Err = String;
    /// `-14` or `reference`.
    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("reference") {
            return Ok(Self::Reference);
        }
        s.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(Self::Lufs)
            .ok_or_else(|| format!("{s:?} is neither a loudness in LUFS nor \"reference\""))
    }
}

/// What `lathe master` is asked to do.
#[derive(Debug, Clone)]
pub struct MasterOptions {
    /// The loudness to aim for.
    pub target: Target,
    /// Reference tracks for the tonal match (and `--target reference`).
    pub references: Vec<PathBuf>,
    /// How much of the tonal correction to apply, %.
    pub amount_pct: f64,
    /// The tonal correction's largest boost or cut, dB ([`MATCH_LIMIT_RANGE_DB`], default
    /// [`MATCH_LIMIT_DB`]).
    pub match_limit_db: f64,
    /// Glue compression before the limiter: the Bus Compressor with its "Gentle Master" preset.
    pub glue: bool,
    /// True-peak ceiling, dBTP.
    pub ceiling_dbtp: f64,
    /// Delivery rate (`None`: the mix's own).
    pub rate_hz: Option<u32>,
    /// Word length and dither.
    pub format: OutputFormat,
    /// Tags every file gets (artist, album title, UPC/EAN; one mix: also its title and ISRC).
    pub tags: Tags,
    /// Several mixes: the titles in track order (default: the file names).
    pub titles: Vec<String>,
    /// Several mixes: the ISRCs in track order.
    pub isrcs: Vec<String>,
    /// Replace an existing output.
    pub force: bool,
    /// Also write the JSON report here.
    pub report: Option<PathBuf>,
    /// Also draw the spectra and the short-term loudness into this PNG.
    pub plot: Option<PathBuf>,
}

impl MasterOptions {
    /// Refuses values out of range (never clamps them).
    pub fn check(&self) -> Result<()> {
        let (lo, hi) = TARGET_RANGE_LUFS;
        match self.target {
            Target::Lufs(t) if !(lo..=hi).contains(&t) => {
                bail!("--target {t}: choose {lo} to {hi} LUFS (streaming services use -14)")
            }
            Target::Reference if self.references.is_empty() => {
                bail!("--target reference needs at least one --reference")
            }
            _ => {}
        }
        if !(0.0..=100.0).contains(&self.amount_pct) {
            bail!("--amount {}: choose 0 to 100 (%)", self.amount_pct);
        }
        let (lo, hi) = MATCH_LIMIT_RANGE_DB;
        if !(lo..=hi).contains(&self.match_limit_db) {
            bail!("--limit {}: choose {lo} to {hi} dB", self.match_limit_db);
        }
        let (lo, hi) = CEILING_RANGE_DBTP;
        if !(lo..=hi).contains(&self.ceiling_dbtp) {
            bail!("--ceiling {}: choose {lo} to {hi} dBTP", self.ceiling_dbtp);
        }
        if let Some(rate) = self.rate_hz
            && !RATES_HZ.contains(&rate)
        {
            bail!("--rate {rate}: choose one of {RATES_HZ:?} Hz");
        }
        Ok(())
    }
}

/// What `lathe master` did for one mix (the JSON report).
#[derive(Debug, Clone, Serialize)]
pub struct MasterReport {
    /// The mix, as given.
    pub mix: String,
    /// The master written.
    pub output: String,
    /// Container of the master.
    pub container: Container,
    /// Target, LUFS.
    pub target_lufs: f64,
    /// True-peak ceiling asked for, dBTP.
    pub ceiling_dbtp: f64,
    /// Word length and dither, as a phrase ("16-bit, TPDF dither").
    pub format: String,
    /// The mix measured.
    pub before: Measurement,
    /// The master measured on its delivered samples.
    pub after: Measurement,
    /// Master-ready checks of the mix.
    pub checks: Checks,
    /// The tonal stage, in words ("none: no reference given").
    pub tonal_stage: String,
    /// The references' loudness, LUFS (energy average); absent without references.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub references_lufs: Option<f64>,
    /// The tonal correction applied (at `--amount`; an album's, the same for every track);
    /// absent without references.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correction: Option<Correction>,
    /// The glue stage (`--glue`); absent without it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub glue: Option<GlueReport>,
    /// The loudness stage as solved.
    pub limiter: LimiterReport,
    /// Warnings (also printed).
    pub warnings: Vec<String>,
    /// Tags written.
    pub tags: Tags,
    /// SHA-256 of the master file, hex.
    pub output_sha256: String,
}

/// The glue stage of the report.
#[derive(Debug, Clone, Serialize)]
pub struct GlueReport {
    /// The Bus Compressor preset used.
    pub preset: String,
    /// What it does.
    pub description: String,
    /// Its deepest gain reduction over the track, dB.
    pub max_reduction_db: f64,
}

/// The preset `--glue` runs.
pub const GLUE_PRESET: &str = "Gentle Master";

/// The glue stage: `x` through the Bus Compressor with the [`GLUE_PRESET`] (its parameters
/// set as the plugin's preset menu sets them), and its report.
fn glue(x: &[Vec<f32>], sample_rate_hz: u32) -> Result<(Vec<Vec<f32>>, GlueReport)> {
    use lathe_params::bus_compressor::{BusCompressorParams, PRESETS};
    let preset = PRESETS
        .iter()
        .find(|p| p.name == GLUE_PRESET)
        .ok_or_else(|| anyhow::anyhow!("the Bus Compressor has no preset {GLUE_PRESET:?}"))?;
    let params = BusCompressorParams::default();
    lathe_params::preset::apply_without_host(&preset.targets(&params));
    let mut chain = BusCompressor::new(x.len(), sample_rate_hz as f64);
    chain.set_settings(&params.settings());
    let y = run_chain(&mut chain, x);
    let report = GlueReport {
        preset: preset.name.to_owned(),
        description: preset.description.to_owned(),
        max_reduction_db: chain.core_mut().take_max_reduction_db() as f64,
    };
    Ok((y, report))
}

/// What to master and where to: the mixes, their outputs in the same order, and whether they
/// are one album.
#[derive(Debug, Clone)]
pub struct Job {
    /// The mixes, in track order.
    pub mixes: Vec<PathBuf>,
    /// The master of each mix.
    pub outputs: Vec<PathBuf>,
    /// One correction and one drive for all (album mode).
    pub album: bool,
}

impl Job {
    /// The masters of `mixes` in `dir`: each mix's file name with the extension of
    /// `container`. Two mixes with one name are refused (one master would replace the other).
    pub fn in_folder(
        mixes: Vec<PathBuf>,
        dir: &Path,
        container: Container,
        album: bool,
    ) -> Result<Self> {
        if !dir.is_dir() {
            bail!("--out-dir {}: not a folder", dir.display());
        }
        let mut outputs: Vec<PathBuf> = Vec::with_capacity(mixes.len());
        for mix in &mixes {
            let stem = mix
                .file_stem()
                .ok_or_else(|| anyhow::anyhow!("{}: not a file name", mix.display()))?;
            let out = dir.join(stem).with_extension(container.extension());
            if let Some(other) = outputs.iter().position(|o| o == &out) {
                bail!(
                    "{} and {} would both be mastered to {}: rename one",
                    mixes[other].display(),
                    mix.display(),
                    out.display()
                );
            }
            outputs.push(out);
        }
        Ok(Self {
            mixes,
            outputs,
            album,
        })
    }
}

/// The album as a whole, in an album's report.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct AlbumReport {
    /// The mixes together (gated over all their blocks, EBU Tech 3343).
    pub before: LoudnessSummary,
    /// The masters together, as delivered.
    pub after: LoudnessSummary,
}

/// What a run of several mixes did (the JSON report): the album as a whole (album mode) and
/// each track.
#[derive(Debug, Clone, Serialize)]
pub struct MasterRun {
    /// The album; absent when the mixes were mastered each on its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub album: Option<AlbumReport>,
    /// Each track, in order.
    pub tracks: Vec<MasterReport>,
}

/// A decoded, checked mix.
struct Loaded {
    path: PathBuf,
    sample_rate_hz: u32,
    audio: Vec<Vec<f32>>,
    /// Lathe Reference's analysis (with references only).
    analysis: Option<Analysis>,
    before: Measurement,
    /// What the master-ready checks measured on the mix's samples.
    figures: MixFigures,
}

/// Decodes `path` (and analyses it while it decodes when `analyse`) and refuses what cannot be
/// mastered: no audio, more than two channels, NaN or infinite samples, silence.
fn load(path: &Path, analyse: bool) -> Result<Loaded> {
    let shown = path.display();
    // The checks' figures of the mix's own samples are taken here, before the tonal stage
    // overwrites them: chunk by chunk as the mix decodes, or beside the meter.
    let (analysis, file, figures) = if analyse {
        let mut figures: Option<MixFigureMeter> = None;
        let (a, file) = lathe_io::analyze_file_with(
            path,
            true,
            |_| {},
            |rate_hz, chunk| {
                figures
                    .get_or_insert_with(|| MixFigureMeter::new(rate_hz))
                    .push(chunk)
            },
        )
        .with_context(|| format!("cannot read {shown}"))?;
        (
            Some(a),
            file.ok_or_else(|| anyhow::anyhow!("{shown}: no audio in the file"))?,
            figures.map(MixFigureMeter::finish),
        )
    } else {
        let file = lathe_io::read_key(path).with_context(|| format!("cannot read {shown}"))?;
        (None, file, None)
    };
    let sample_rate_hz = file.sample_rate_hz;
    let audio = file.planar;
    if audio.is_empty() || audio[0].is_empty() {
        bail!("{shown}: no audio in the file");
    }
    if audio.len() > 2 {
        bail!(
            "{shown}: {} channels; lathe master takes mono or stereo mixes (fold a surround \
             mix down first)",
            audio.len()
        );
    }
    if let Some(bad) = audio.iter().flatten().find(|x| !x.is_finite()) {
        bail!("{shown}: the audio holds {bad} samples; nothing to master");
    }
    // The analysis measured the loudness and peaks as `measure` does (the same meter and
    // true-peak detector over every channel): take its figures rather than measure again.
    let (before, figures) = match (&analysis, figures) {
        (Some(a), Some(figures)) => (
            Measurement {
                sample_rate_hz,
                channels: audio.len(),
                duration_s: a.duration_s,
                loudness: a.loudness,
            },
            figures,
        ),
        _ => std::thread::scope(|scope| {
            let figures = scope.spawn(|| MixFigures::of(&audio, sample_rate_hz));
            let before = measure(&audio, sample_rate_hz);
            figures
                .join()
                .map(|f| (before, f))
                .map_err(|_| anyhow::anyhow!("the master-ready checks failed"))
        })?,
    };
    if !before.integrated_lufs().is_finite() {
        bail!("{shown}: the mix is silent (no gated loudness); nothing to master");
    }
    Ok(Loaded {
        path: path.to_owned(),
        sample_rate_hz,
        audio,
        analysis,
        before,
        figures,
    })
}

/// Masters `mix` into `output` (see the [module documentation](self)); nothing is written
/// unless everything succeeds.
pub fn master(mix: &Path, output: &Path, opts: &MasterOptions) -> Result<MasterReport> {
    let job = Job {
        mixes: vec![mix.to_owned()],
        outputs: vec![output.to_owned()],
        album: false,
    };
    Ok(master_job(&job, opts)?.tracks.remove(0))
}

/// Loudness meters (no peaks) that measured each programme.
fn meters_of(programmes: &[Programme]) -> Vec<LoudnessMeter> {
    programmes
        .iter()
        .map(|p| {
            let mut meter = LoudnessMeter::for_channels(p.sample_rate_hz as f64, p.samples.len());
            meter.set_peaks_enabled(false);
            let slices: Vec<&[f32]> = p.samples.iter().map(|c| &c[..]).collect();
            meter.process(&slices);
            meter
        })
        .collect()
}

/// Masters every mix of `job` (see the [module documentation](self)); nothing is written
/// unless every file succeeds.
pub fn master_job(job: &Job, opts: &MasterOptions) -> Result<MasterRun> {
    opts.check()?;
    let n = job.mixes.len();
    if n == 0 || n != job.outputs.len() {
        bail!("nothing to master: name at least one mix and its output");
    }
    if job.album && n < 2 {
        bail!("--album needs at least two mixes");
    }
    for (what, given) in [("--title", &opts.titles), ("--isrc", &opts.isrcs)] {
        if !given.is_empty() && given.len() != n {
            bail!(
                "{} {what} value(s) for {n} mixes: give one per mix, in track order",
                given.len()
            );
        }
    }
    let containers: Vec<Container> = job
        .outputs
        .iter()
        .map(|o| Container::of(o))
        .collect::<Result<_>>()?;
    for (output, &container) in job.outputs.iter().zip(&containers) {
        let ext = container.extension();
        check_output_file(output, ext, &ext.to_uppercase())?;
        if container == Container::Flac && !opts.format.bits.is_integer() {
            bail!("FLAC holds integer samples: use --bits 16 or 24 for a .flac master");
        }
        if output.exists() && !opts.force {
            bail!("{} exists: give --force to replace it", output.display());
        }
    }
    if let Some(report) = &opts.report {
        check_output_file(report, "json", "JSON")?;
    }
    if let Some(plot) = &opts.plot {
        check_output_file(plot, "png", "PNG")?;
    }
    let tags: Vec<Tags> = (0..n)
        .map(|i| {
            let stem = || {
                job.mixes[i]
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
            };
            let mut t = opts.tags.clone();
            if n > 1 {
                t.title = opts.titles.get(i).cloned().or_else(stem);
                t.isrc = opts.isrcs.get(i).cloned();
            }
            if job.album {
                t.track = Some((i as u32 + 1, n as u32));
            }
            t.validated()
        })
        .collect::<Result<_>>()?;
    // The masters' staged files (moved into place at the very end; a WAV master is written
    // into its own during the delivery), created now: an output that cannot be written fails
    // before any work is done.
    let outputs: Vec<StagedFile> = job
        .outputs
        .iter()
        .map(|o| {
            let file = StagedFile::new(o);
            std::fs::File::create(file.path())
                .with_context(|| format!("cannot write {}", o.display()))?;
            Ok(file)
        })
        .collect::<Result<_>>()?;
    let mut warnings = Vec::new();
    // The references analysed on one thread while the mixes decode (and are analysed, when
    // there are references) on this one.
    let analyse = !opts.references.is_empty();
    let (references, tracks) = std::thread::scope(|scope| {
        let references = scope.spawn(|| {
            let mut warnings = Vec::new();
            analyze_references(&opts.references, &mut warnings).map(|r| (r, warnings))
        });
        let tracks: Result<Vec<Loaded>> = job.mixes.iter().map(|m| load(m, analyse)).collect();
        let references = references
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the reference analysis failed")));
        (references, tracks)
    });
    let (references, reference_warnings) = references?;
    let mut tracks = tracks?;
    warnings.extend(reference_warnings);
    let references_lufs = energy_mean_lufs(
        references
            .iter()
            .filter_map(|r| r.analysis.loudness.integrated_lufs),
    );
    let target_lufs = match opts.target {
        Target::Lufs(t) => t,
        Target::Reference => {
            let t = references_lufs.ok_or_else(|| anyhow::anyhow!("the references are silent"))?;
            let (lo, hi) = TARGET_RANGE_LUFS;
            if !(lo..=hi).contains(&t) {
                bail!(
                    "--target reference: the references are at {t:.1} LUFS, outside {lo} to {hi}"
                );
            }
            t
        }
    };
    // The tonal stage: one plan for an album, one per mix otherwise.
    let plan_for = |ts: &[&Loaded]| -> Result<Option<tonal::TonalPlan>> {
        if references.is_empty() {
            return Ok(None);
        }
        let analyses: Vec<&Analysis> = ts.iter().filter_map(|t| t.analysis.as_ref()).collect();
        tonal::plan(&analyses, &references, opts.amount_pct, opts.match_limit_db).map(Some)
    };
    let groups: Vec<Vec<usize>> = if job.album {
        vec![(0..n).collect()]
    } else {
        (0..n).map(|i| vec![i]).collect()
    };
    let mut reports: Vec<Option<MasterReport>> = (0..n).map(|_| None).collect();
    let mut deliveries: Vec<Option<loudness::Delivery>> = (0..n).map(|_| None).collect();
    let mut album = None;
    let mut before_album = None;
    // The plot shows the mixes as they came: a copy is kept only for it, since the tonal
    // stage works in place.
    let tonal = !references.is_empty();
    let plot_mixes: Vec<Option<Vec<Vec<f32>>>> = tracks
        .iter()
        .map(|t| (tonal && opts.plot.is_some()).then(|| t.audio.clone()))
        .collect();
    for group in &groups {
        let plan = {
            let members: Vec<&Loaded> = group.iter().map(|&i| &tracks[i]).collect();
            // The album's loudness before, on the mixes as they came.
            if job.album {
                before_album = Some(album_before(&members));
            }
            plan_for(&members)?
        };
        let mut glue_reports = Vec::new();
        let mut processed: Vec<Option<Vec<Vec<f32>>>> = Vec::new();
        for &k in group {
            let t = &mut tracks[k];
            if let Some(p) = plan.as_ref() {
                tonal::apply(p, &mut t.audio, t.sample_rate_hz)?;
            }
            let (glued, glue_report) = if opts.glue {
                let (y, r) = glue(&t.audio, t.sample_rate_hz)?;
                (Some(y), Some(r))
            } else {
                (None, None)
            };
            if let Some(g) = glue_report.as_ref().filter(|g| g.max_reduction_db < 0.1) {
                warnings.push(format!(
                    "{}: --glue did next to nothing ({:.1} dB of gain reduction at most): the \
                     mix is quieter than the {GLUE_PRESET} preset's threshold expects",
                    t.path.display(),
                    g.max_reduction_db
                ));
            }
            glue_reports.push(glue_report);
            processed.push(glued);
        }
        let members: Vec<&Loaded> = group.iter().map(|&i| &tracks[i]).collect();
        let programmes: Vec<Programme> = members
            .iter()
            .zip(&processed)
            .zip(group)
            .map(|((t, p), &k)| Programme {
                samples: p.as_deref().unwrap_or(&t.audio),
                sample_rate_hz: t.sample_rate_hz,
                wav: (containers[k] == Container::Wav).then(|| outputs[k].path()),
                keep_samples: containers[k] != Container::Wav || opts.plot.is_some(),
            })
            .collect();
        let staged = plan.is_some() || opts.glue;
        // The checks and the limiter's input peaks on another thread beside the first guess's
        // measurement and the solve.
        let (checks, solved) = std::thread::scope(|scope| {
            let checks = scope.spawn(|| {
                members
                    .iter()
                    .zip(&programmes)
                    .map(|(t, p)| {
                        let peak = if staged {
                            checks::peaks_db(p.samples, p.sample_rate_hz).0
                        } else {
                            t.before.true_peak_dbtp()
                        };
                        (t.figures.checks(t.sample_rate_hz, &t.before), peak)
                    })
                    .collect::<Vec<_>>()
            });
            let start_lufs = if staged || members.len() > 1 {
                let meters = meters_of(&programmes);
                LoudnessMeter::combined_report(&meters.iter().collect::<Vec<_>>()).integrated_lufs
            } else {
                members[0].before.integrated_lufs()
            };
            let solved = loudness::solve(&programmes, start_lufs, target_lufs, opts);
            (checks.join(), solved)
        });
        let checks = checks.map_err(|_| anyhow::anyhow!("the master-ready checks failed"))?;
        let solved = solved?;
        warnings.extend(solved.unreachable.clone());
        if job.album {
            album = Some(AlbumReport {
                before: before_album
                    .take()
                    .ok_or_else(|| anyhow::anyhow!("the album was not measured"))?,
                after: solved.loudness,
            });
        }
        let limiter_base = solved.limiter;
        for (((k, (check, limiter_in_peak)), delivery), glue_report) in group
            .iter()
            .zip(checks)
            .zip(solved.deliveries)
            .zip(glue_reports)
        {
            let t = &tracks[*k];
            let mut limiter = limiter_base;
            limiter.peak_limiting_db =
                (limiter_in_peak + limiter.drive_db - limiter.ceiling_dbtp).max(0.0);
            let mut track_warnings = Vec::new();
            if limiter.peak_limiting_db > HEAVY_LIMITING_DB {
                track_warnings.push(format!(
                    "{:.1} dB of peak limiting to reach {target_lufs:.1} LUFS: expect audible \
                     limiting; a quieter target or a denser mix needs less",
                    limiter.peak_limiting_db
                ));
            }
            if let Some(w) = delivery.quantizer.report().clip_warning() {
                track_warnings.push(w);
            }
            reports[*k] = Some(MasterReport {
                mix: t.path.display().to_string(),
                output: job.outputs[*k].display().to_string(),
                container: containers[*k],
                target_lufs,
                ceiling_dbtp: opts.ceiling_dbtp,
                format: delivery.quantizer.report().describe(),
                before: t.before,
                after: delivery.metered.measurement,
                checks: check,
                tonal_stage: plan.as_ref().map_or_else(
                    || "none: no reference given".to_owned(),
                    |p| p.words.clone(),
                ),
                references_lufs,
                correction: plan.as_ref().map(|p| p.correction.clone()),
                glue: glue_report,
                limiter,
                warnings: track_warnings,
                tags: tags[*k].clone(),
                output_sha256: String::new(),
            });
            deliveries[*k] = Some(delivery);
        }
    }
    let mut reports: Vec<MasterReport> = reports.into_iter().flatten().collect();
    let deliveries: Vec<loudness::Delivery> = deliveries.into_iter().flatten().collect();
    // Run-wide warnings go to the first track's report (a single mix has only that).
    if let Some(first) = reports.first_mut() {
        let own = std::mem::take(&mut first.warnings);
        first.warnings = warnings;
        first.warnings.extend(own);
    }
    let mut staged = Vec::with_capacity(n + 2);
    for (((report, delivery), output), file) in reports
        .iter_mut()
        .zip(&deliveries)
        .zip(&job.outputs)
        .zip(outputs)
    {
        let cannot = || format!("cannot write {}", output.display());
        report.output_sha256 = match report.container {
            Container::Wav => {
                write::tag_wav(
                    file.path(),
                    &delivery.quantizer,
                    delivery.metered.measurement.channels,
                    delivery.sample_rate_hz,
                    &report.tags,
                )
                .with_context(cannot)?;
                write::sha256_file(file.path()).with_context(cannot)?
            }
            Container::Flac => {
                let bytes = write::flac_bytes(delivery, &report.tags)
                    .with_context(|| format!("cannot encode {}", output.display()))?;
                // Hashed on another thread while the file is written.
                let (written, hash) = std::thread::scope(|scope| {
                    let hash = scope.spawn(|| write::sha256_hex(&bytes));
                    (std::fs::write(file.path(), &bytes), hash.join())
                });
                written.with_context(cannot)?;
                hash.map_err(|_| anyhow::anyhow!("hashing the master failed"))?
            }
        };
        staged.push(file);
    }
    if let Some(path) = &opts.plot {
        let file = StagedFile::new(path);
        let inputs: Vec<plot::PlotTrack> = tracks
            .iter()
            .zip(&deliveries)
            .zip(&plot_mixes)
            .map(|((t, d), mix)| plot::PlotTrack {
                name: t.path.display().to_string(),
                mix: mix.as_deref().unwrap_or(&t.audio),
                mix_rate_hz: t.sample_rate_hz,
                mix_analysis: t.analysis.as_ref(),
                master: d,
            })
            .collect();
        plot::plot(&inputs, &references, target_lufs, file.path())
            .with_context(|| format!("cannot draw {}", path.display()))?;
        staged.push(file);
    }
    let run = MasterRun {
        album,
        tracks: reports,
    };
    if let Some(path) = &opts.report {
        let file = StagedFile::new(path);
        let json = if n == 1 {
            serde_json::to_string_pretty(&run.tracks[0])?
        } else {
            serde_json::to_string_pretty(&run)?
        };
        std::fs::write(file.path(), json + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
        staged.push(file);
    }
    for file in staged {
        file.commit()?;
    }
    Ok(run)
}

/// The mixes' loudness together, as the album's "before".
fn album_before(members: &[&Loaded]) -> LoudnessSummary {
    let mixes: Vec<Programme> = members
        .iter()
        .map(|t| Programme {
            samples: &t.audio,
            sample_rate_hz: t.sample_rate_hz,
            wav: None,
            keep_samples: false,
        })
        .collect();
    let meters = meters_of(&mixes);
    checks::combined(
        &meters.iter().collect::<Vec<_>>(),
        members.iter().map(|t| &t.before),
    )
}

/// Integrated loudnesses averaged as energy, LUFS (`None` for none).
fn energy_mean_lufs(lufs: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = lufs.fold((0.0, 0usize), |(s, n), l| (s + 10f64.powf(l / 10.0), n + 1));
    (n > 0).then(|| 10.0 * (sum / n as f64).log10())
}

/// Decodes and analyses the references (see [`crate::matching::analyze_tracks`]); a short
/// reference is a warning, an unreadable or silent one an error.
fn analyze_references(
    paths: &[PathBuf],
    warnings: &mut Vec<String>,
) -> Result<Vec<crate::matching::Track>> {
    let paths: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
    let tracks = crate::matching::analyze_tracks(&paths)?;
    for track in &tracks {
        if track.analysis.loudness.integrated_lufs.is_none() {
            bail!("reference {}: silent (no gated loudness)", track.file);
        }
        if track.analysis.duration_s < 10.0 {
            warnings.push(format!(
                "reference {} is only {:.1} s long: its spectrum and loudness are a snapshot, \
                 not a track's",
                track.file, track.analysis.duration_s
            ));
        }
    }
    Ok(tracks)
}

/// A fresh folder for a test's files, named for the test and this process.
#[cfg(test)]
pub(super) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lathe-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With references the mix's figures come from its analysis instead of a second pass of
    /// the meters: they must be exactly what [`measure`] reads, for stereo and mono; and the
    /// checks' figures are the same on both ways of loading.
    #[test]
    fn the_analysed_mix_reads_what_measure_reads() {
        let dir = scratch("load");
        let sr = 44_100u32;
        for channels in [2u16, 1] {
            let planar: Vec<Vec<f32>> = (0..channels)
                .map(|c| {
                    let noise = lathe_dsp::analysis::reference::shaped_noise(
                        sr as usize * 7,
                        sr as f64,
                        u64::from(c) + 1,
                        0.1,
                        |_| 0.0,
                    );
                    noise
                        .iter()
                        .enumerate()
                        .map(|(i, n)| 0.3 * (i as f32 * 0.031 * (c + 1) as f32).sin() + n)
                        .collect()
                })
                .collect();
            let path = dir.join(format!("mix{channels}.wav"));
            let spec = hound::WavSpec {
                channels,
                sample_rate: sr,
                bits_per_sample: 32,
                sample_format: hound::SampleFormat::Float,
            };
            let mut w = hound::WavWriter::create(&path, spec).unwrap();
            for i in 0..planar[0].len() {
                for c in &planar {
                    w.write_sample(c[i]).unwrap();
                }
            }
            w.finalize().unwrap();
            let loaded = load(&path, true).unwrap();
            assert!(loaded.analysis.is_some());
            assert_eq!(loaded.before, measure(&planar, sr), "{channels} channel(s)");
            // The checks' figures, taken beside the analysis threads or beside the meter, are
            // those of the samples (which the tonal stage later overwrites).
            let plain = load(&path, false).unwrap();
            assert_eq!(
                loaded.figures,
                MixFigures::of(&planar, sr),
                "{channels} channel(s)"
            );
            assert_eq!(plain.figures, loaded.figures, "{channels} channel(s)");
            assert_eq!(plain.before, loaded.before, "{channels} channel(s)");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
