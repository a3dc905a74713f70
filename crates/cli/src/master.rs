//! `lathe master`: a finished mix to a delivery file in one deterministic step (issue #21; this
//! part: one mix, with or without references).
//!
//! Stages, each Lathe's own DSP:
//! 1. Master-ready checks on the mix: headroom, clipping, mono compatibility, rate and length;
//!    a silent or empty mix is an error and nothing is written.
//! 2. Tonal match (with `--reference`): Lathe Reference's analysis of the mix and the
//!    references and its match EQ, linear phase, `--amount` of the correction
//!    ([`crate::matching`]; the same curve `lathe match` shows). Without references there is
//!    no tonal stage, and the report says so.
//! 3. Glue (with `--glue`): the Bus Compressor's own chain with its "Gentle Master" preset.
//! 4. Loudness: the mix through Lathe Limiter's signal path
//!    ([`lathe_dsp::chains::Limiter`], true-peak limiting at 4x), its drive solved (secant
//!    steps) so that the integrated loudness (ITU-R BS.1770-5, EBU R128 gating) of the
//!    *delivered* samples, after resampling and dither, is within
//!    [`LOUDNESS_TOLERANCE_LU`] of the target, and their true peak at or below the ceiling
//!    (the limiter's ceiling is lowered by what resampling and dither add, and the solve runs
//!    again).
//!    The target is `--target` LUFS, or with `--target reference` the references' loudness
//!    (their integrated loudness averaged as energy).
//! 5. Delivery: resampling with rubato's FFT resampler, requantisation with TPDF or
//!    noise-shaped dither ([`crate::quantize`]), WAV (hound) or FLAC (flacenc) by the output's
//!    extension; tags with lofty: Vorbis comments in FLAC (TITLE, ARTIST, ALBUM, ISRC,
//!    BARCODE), RIFF INFO (INAM, IART, IPRD) plus an ID3v2 chunk in WAV (TIT2, TPE1, TALB,
//!    TSRC for the ISRC, TXXX:BARCODE; the RIFF INFO key `ISRC` means "source", not the
//!    recording code, so it is not used). ISRC (ISO 3901) and UPC/EAN (GS1 check digit) are
//!    validated.
//! 6. A report: text, or JSON (`--report`, `--json`) with the settings, measurements before
//!    and after, the checks, the correction curve, the solved drive and limiting, and the
//!    output's SHA-256.
//!
//! Deterministic: the same inputs and options give the same bytes (the dither's generator has
//! a fixed seed; nothing depends on time or threads).

use crate::quantize::{OutputBits, OutputFormat, Quantizer};
use crate::render::{StagedFile, check_output_file};
use anyhow::{Context, Result, bail};
use lathe_dsp::analysis::match_eq::MatchPhase;
use lathe_dsp::chains::limiter::LimiterSettings;
use lathe_dsp::chains::reference::{ReferenceCore, ReferenceSettings, design_kernel};
use lathe_dsp::chains::{BusCompressor, ChainSettings, Core, Limiter, PluginChain};
use lathe_dsp::{Block, IoSettings, LoudnessMeter, LoudnessSummary};
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
/// Most drive the solve tries, dB.
const MAX_DRIVE_DB: f32 = 36.0;
/// Peak limiting above which the summary warns, dB.
const HEAVY_LIMITING_DB: f64 = 6.0;
/// Samples per processing block.
const BLOCK: usize = 1024;

/// The delivery file's container, from the output's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Container {
    /// RIFF WAVE.
    Wav,
    /// FLAC (16 or 24 bit).
    Flac,
}

impl Container {
    /// The container the file name asks for, or an error naming the choices.
    pub fn of(path: &Path) -> Result<Self> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match ext.as_deref() {
            Some("wav") => Ok(Self::Wav),
            Some("flac") => Ok(Self::Flac),
            _ => bail!(
                "cannot write {}: name the master .wav or .flac (the format follows the name)",
                path.display()
            ),
        }
    }
}

/// Metadata written into the delivery file (the JSON leaves out the absent ones).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tags {
    /// Track title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Artist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artist: Option<String>,
    /// Album title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub album: Option<String>,
    /// International Standard Recording Code, 12 characters (stored without hyphens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub isrc: Option<String>,
    /// UPC-A (12 digits) or EAN-13 (13 digits) barcode of the release.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upc: Option<String>,
}

impl Tags {
    /// The tags checked: no control characters, a valid ISRC and UPC/EAN (normalised: ISRC
    /// upper case without hyphens).
    pub fn validated(mut self) -> Result<Self> {
        for (name, value) in [
            ("--title", &self.title),
            ("--artist", &self.artist),
            ("--album-title", &self.album),
        ] {
            if let Some(v) = value {
                check_tag_text(name, v)?;
            }
        }
        self.isrc = self.isrc.as_deref().map(validate_isrc).transpose()?;
        self.upc = self.upc.as_deref().map(validate_upc).transpose()?;
        Ok(self)
    }

    fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// Puts the names (and with `codes`, the ISRC and barcode) into `tag`, lofty mapping each
    /// to its format's key.
    fn fill(&self, tag: &mut lofty::tag::Tag, codes: bool) {
        use lofty::tag::{Accessor, ItemKey};
        if let Some(t) = &self.title {
            tag.set_title(t.clone());
        }
        if let Some(a) = &self.artist {
            tag.set_artist(a.clone());
        }
        if let Some(a) = &self.album {
            tag.set_album(a.clone());
        }
        if !codes {
            return;
        }
        if let Some(isrc) = &self.isrc {
            tag.insert_text(ItemKey::Isrc, isrc.clone());
        }
        if let Some(upc) = &self.upc {
            tag.insert_text(ItemKey::Barcode, upc.clone());
        }
    }
}

fn check_tag_text(name: &str, value: &str) -> Result<()> {
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        bail!(
            "{name} {value:?}: control characters (here U+{:04X}) are not allowed in tags",
            c as u32
        );
    }
    if value.trim().is_empty() {
        bail!("{name} is empty");
    }
    Ok(())
}

/// An ISRC (ISO 3901) as `CC-XXX-YY-NNNNN`: country (two letters), registrant (three letters
/// or digits), year (two digits), designation (five digits); hyphens optional. Returns the
/// twelve characters, upper case.
pub fn validate_isrc(text: &str) -> Result<String> {
    let code: String = text
        .chars()
        .filter(|&c| c != '-')
        .collect::<String>()
        .to_ascii_uppercase();
    let b = code.as_bytes();
    let ok = b.len() == 12
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..5].iter().all(u8::is_ascii_alphanumeric)
        && b[5..].iter().all(u8::is_ascii_digit);
    if !ok {
        bail!(
            "--isrc {text:?} is not an ISRC: it is 12 characters, CC-XXX-YY-NNNNN (country \
             letters, registrant letters or digits, year and designation digits), e.g. \
             GB-AAA-26-00001"
        );
    }
    Ok(code)
}

/// A UPC-A (12 digits) or EAN-13 (13 digits) with a correct GS1 check digit.
pub fn validate_upc(text: &str) -> Result<String> {
    let code: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let digits: Option<Vec<u32>> = code.chars().map(|c| c.to_digit(10)).collect();
    let Some(digits) = digits.filter(|d| d.len() == 12 || d.len() == 13) else {
        bail!("--upc {text:?} is not a UPC or EAN: 12 (UPC-A) or 13 (EAN-13) digits");
    };
    let (body, check) = digits.split_at(digits.len() - 1);
    // GS1: from the right of the body, weights 3, 1, 3, ...
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| if i % 2 == 0 { 3 * d } else { d })
        .sum();
    let want = (10 - sum % 10) % 10;
    if want != check[0] {
        bail!(
            "--upc {text:?}: the check digit is {}, but it should be {want}; the code has a \
             typo",
            check[0]
        );
    }
    Ok(code)
}

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
    /// Glue compression before the limiter: the Bus Compressor with its "Gentle Master" preset.
    pub glue: bool,
    /// True-peak ceiling, dBTP.
    pub ceiling_dbtp: f64,
    /// Delivery rate (`None`: the mix's own).
    pub rate_hz: Option<u32>,
    /// Word length and dither.
    pub format: OutputFormat,
    /// Metadata.
    pub tags: Tags,
    /// Replace an existing output.
    pub force: bool,
    /// Also write the JSON report here.
    pub report: Option<PathBuf>,
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

/// Loudness and peaks of a signal (the JSON flattens the loudness: `integrated_lufs`,
/// `true_peak_dbtp`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Measurement {
    /// Sample rate, Hz.
    pub sample_rate_hz: u32,
    /// Channels.
    pub channels: usize,
    /// Duration, s.
    pub duration_s: f64,
    /// Loudness (BS.1770-5, EBU R128) and peaks; `None` for silence.
    #[serde(flatten)]
    pub loudness: LoudnessSummary,
}

impl Measurement {
    /// Integrated loudness, LUFS (`-inf` for silence).
    pub fn integrated_lufs(&self) -> f64 {
        self.loudness.integrated_lufs.unwrap_or(f64::NEG_INFINITY)
    }

    /// True peak, dBTP (`-inf` for silence).
    pub fn true_peak_dbtp(&self) -> f64 {
        self.loudness.true_peak_dbtp.unwrap_or(f64::NEG_INFINITY)
    }

    /// Loudness range, LU (0 where there is none).
    pub fn loudness_range_lu(&self) -> f64 {
        self.loudness.loudness_range_lu.unwrap_or(0.0)
    }
}

/// Measures `planar` at `sample_rate_hz`.
pub fn measure(planar: &[Vec<f32>], sample_rate_hz: u32) -> Measurement {
    let mut meter = LoudnessMeter::for_channels(sample_rate_hz as f64, planar.len());
    let slices: Vec<&[f32]> = planar.iter().map(|c| &c[..]).collect();
    meter.process(&slices);
    Measurement {
        sample_rate_hz,
        channels: planar.len(),
        duration_s: planar.first().map_or(0, |c| c.len()) as f64 / sample_rate_hz as f64,
        loudness: meter.report().summary(),
    }
}

/// Master-ready checks of the mix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Checks {
    /// Headroom to full scale by true peak, dB.
    pub headroom_db: f64,
    /// Runs of two or more consecutive samples at full scale (clipping in the mix).
    pub clipped_runs: u64,
    /// Correlation of left and right over the whole mix, -1 to +1 (mono: 1).
    pub correlation: f64,
    /// Loudness the mono fold-down loses against the stereo mix, LU.
    pub mono_loss_lu: f64,
    /// What the checks found, one line each (empty: master-ready).
    pub notes: Vec<String>,
}

/// The checks of `mix` (see [`Checks`]).
pub fn check_mix(mix: &[Vec<f32>], sample_rate_hz: u32, before: &Measurement) -> Checks {
    let mut notes = Vec::new();
    let headroom_db = -before.true_peak_dbtp();
    if headroom_db < 1.0 {
        notes.push(format!(
            "little headroom: the mix peaks at {:+.2} dBTP; a master needs the mix below about \
             -1 dBTP to keep its limiter in control",
            before.true_peak_dbtp()
        ));
    }
    let clipped_runs: u64 = mix
        .iter()
        .map(|c| {
            c.windows(2)
                .filter(|w| w[0].abs() >= 0.9999 && w[1].abs() >= 0.9999)
                .count() as u64
        })
        .sum();
    if clipped_runs > 0 {
        notes.push(format!(
            "{clipped_runs} clipped sample pair(s) at full scale: the mix was clipped before \
             mastering"
        ));
    }
    let (correlation, mono_loss_lu) = match mix {
        [l, r, ..] => {
            let (mut lr, mut ll, mut rr) = (0.0f64, 0.0f64, 0.0f64);
            for (&a, &b) in l.iter().zip(r) {
                lr += a as f64 * b as f64;
                ll += a as f64 * a as f64;
                rr += b as f64 * b as f64;
            }
            let c = if ll > 0.0 && rr > 0.0 {
                lr / (ll * rr).sqrt()
            } else {
                1.0
            };
            // The fold-down's loudness alone (no peaks: they cost a 4x oversampler).
            let mono: Vec<f32> = l.iter().zip(r).map(|(a, b)| 0.5 * (a + b)).collect();
            let mut meter = LoudnessMeter::for_channels(sample_rate_hz as f64, 2);
            meter.set_peaks_enabled(false);
            meter.process(&[&mono, &mono]);
            let folded = meter.integrated_lufs();
            (c, before.integrated_lufs() - folded)
        }
        _ => (1.0, 0.0),
    };
    if correlation < 0.0 {
        notes.push(format!(
            "the channels are out of phase on average (correlation {correlation:+.2}): check \
             the mix in mono"
        ));
    }
    if mono_loss_lu > 3.0 {
        notes.push(format!(
            "the mono fold-down is {mono_loss_lu:.1} LU quieter than the stereo mix: wide or \
             out-of-phase content disappears in mono"
        ));
    }
    if before.duration_s < 10.0 {
        notes.push(format!(
            "the mix is only {:.1} s long: integrated loudness of so short a file is not a \
             programme loudness",
            before.duration_s
        ));
    }
    if sample_rate_hz < 44_100 {
        notes.push(format!(
            "the mix is at {sample_rate_hz} Hz: below CD rate, its top octave is missing"
        ));
    }
    Checks {
        headroom_db,
        clipped_runs,
        correlation,
        mono_loss_lu,
        notes,
    }
}

/// The delivered audio for one drive: limited, resampled and requantised, as the file holds it.
struct Delivery {
    samples: Vec<Vec<f32>>,
    sample_rate_hz: u32,
    /// The requantiser that made them (its format writes them; its report describes them).
    quantizer: Quantizer,
    measured: Measurement,
}

/// The mix through the Limiter at `drive_db` and `ceiling_db` (latency removed), resampled
/// to `rate_hz` and requantised to `format`, then measured.
fn deliver(
    mix: &[Vec<f32>],
    sample_rate_hz: u32,
    drive_db: f32,
    ceiling_db: f32,
    rate_hz: u32,
    format: OutputFormat,
) -> Result<Delivery> {
    let mut chain = Limiter::new(mix.len(), sample_rate_hz as f64);
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
    let limited = run_chain(&mut chain, mix);
    let mut samples = lathe_io::KeyFile {
        sample_rate_hz,
        planar: limited,
    }
    .at_rate(rate_hz)?;
    let mut quantizer = Quantizer::new(format, None);
    let frames = samples[0].len();
    let mut at = 0;
    while at < frames {
        let n = BLOCK.min(frames - at);
        let mut slices: Vec<&mut [f32]> = samples.iter_mut().map(|c| &mut c[at..at + n]).collect();
        quantizer.process(&mut slices);
        at += n;
    }
    let measured = measure(&samples, rate_hz);
    Ok(Delivery {
        samples,
        sample_rate_hz: rate_hz,
        quantizer,
        measured,
    })
}

/// What `lathe master` did (the JSON report).
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
    /// The tonal correction applied (at `--amount`); absent without references.
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

/// The tonal correction of the report.
#[derive(Debug, Clone, Serialize)]
pub struct Correction {
    /// The references, as given.
    pub references: Vec<String>,
    /// Frequencies of the curve, Hz.
    pub grid_hz: Vec<f64>,
    /// The correction the match EQ applies, dB.
    pub correction_db: Vec<f32>,
    /// Spectral tilt of the references minus the mix's, dB per octave.
    pub tilt_difference_db_per_octave: f64,
}

/// `x` through `chain`, latency removed: the output lines up with `x` and has its length.
fn run_chain<C: Core>(chain: &mut PluginChain<C>, x: &[Vec<f32>]) -> Vec<Vec<f32>> {
    let channels = x.len();
    let len = x[0].len();
    let latency = chain.latency() as usize;
    let mut out = vec![vec![0.0f32; len]; channels];
    let mut block = vec![vec![0.0f32; BLOCK]; channels];
    let mut start = 0;
    while start < len + latency {
        let n = BLOCK.min(len + latency - start);
        for (b, m) in block.iter_mut().zip(x) {
            for (i, s) in b[..n].iter_mut().enumerate() {
                *s = m.get(start + i).copied().unwrap_or(0.0);
            }
        }
        let mut slices: Vec<&mut [f32]> = block.iter_mut().map(|b| &mut b[..n]).collect();
        chain.process(&mut slices);
        // Output sample start + i is input sample start + i - latency.
        for (o, b) in out.iter_mut().zip(&block) {
            for (i, &s) in b[..n].iter().enumerate() {
                if let Some(at) = (start + i).checked_sub(latency).filter(|&at| at < len) {
                    o[at] = s;
                }
            }
        }
        start += n;
    }
    out
}

/// Solves the drive (see the [module documentation](self)): the delivery that lands within
/// the tolerance and holds the ceiling, its drive and limiter ceiling, the renders it took, and
/// whether the target was out of reach.
fn solve(
    mix: &[Vec<f32>],
    sample_rate_hz: u32,
    start_lufs: f64,
    target_lufs: f64,
    opts: &MasterOptions,
    rate_hz: u32,
) -> Result<(Delivery, f32, f32, usize, Option<String>)> {
    let mut ceiling = opts.ceiling_dbtp as f32;
    let mut renders = 0;
    let mut drive = (target_lufs - start_lufs) as f32;
    loop {
        let mut last: Option<(f32, f64)> = None;
        let mut unreachable = None;
        let result = loop {
            let d = deliver(mix, sample_rate_hz, drive, ceiling, rate_hz, opts.format)?;
            renders += 1;
            let lufs = d.measured.integrated_lufs();
            let error = target_lufs - lufs;
            if error.abs() <= LOUDNESS_TOLERANCE_LU || renders > 24 {
                break d;
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
                break d;
            }
            drive = next.clamp(-40.0, MAX_DRIVE_DB);
        };
        let over = result.measured.true_peak_dbtp() - opts.ceiling_dbtp;
        if over <= 0.0 || ceiling <= CEILING_RANGE_DBTP.0 as f32 {
            return Ok((result, drive, ceiling, renders, unreachable));
        }
        // Resampling or dither put a peak over the ceiling: lower the limiter's and solve
        // again from here.
        ceiling -= over as f32 + 0.02;
    }
}

/// Masters `mix` into `output` (see the [module documentation](self)); nothing is written
/// unless everything succeeds.
pub fn master(mix_path: &Path, output: &Path, opts: &MasterOptions) -> Result<MasterReport> {
    opts.check()?;
    let container = Container::of(output)?;
    match container {
        Container::Wav => check_output_file(output, "wav", "WAV")?,
        Container::Flac => check_output_file(output, "flac", "FLAC")?,
    }
    if container == Container::Flac && !opts.format.bits.is_integer() {
        bail!("FLAC holds integer samples: use --bits 16 or 24 for a .flac master");
    }
    if output.exists() && !opts.force {
        bail!("{} exists: give --force to replace it", output.display());
    }
    if let Some(report) = &opts.report {
        check_output_file(report, "json", "JSON")?;
    }
    let tags = opts.tags.clone().validated()?;
    let mut warnings = Vec::new();
    // With references the mix is analysed as it decodes (the tonal match needs its spectrum),
    // and the references beside it.
    let (references, (mix_analysis, mix_file)) = std::thread::scope(|scope| {
        let references = scope.spawn(|| {
            let mut warnings = Vec::new();
            analyze_references(&opts.references, &mut warnings).map(|r| (r, warnings))
        });
        let mix = if opts.references.is_empty() {
            (None, lathe_io::read_key(mix_path))
        } else {
            match lathe_io::analyze_file(mix_path, true, |_| {}) {
                Ok((analysis, Some(audio))) => (Some(analysis), Ok(audio)),
                Ok((_, None)) => (None, Err(anyhow::anyhow!("no audio in the file"))),
                Err(e) => (None, Err(e)),
            }
        };
        let references = references
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the reference analysis failed")));
        (references, mix)
    });
    let (references, reference_warnings) = references?;
    warnings.extend(reference_warnings);
    let mix_file = mix_file.with_context(|| format!("cannot read {}", mix_path.display()))?;
    let sample_rate_hz = mix_file.sample_rate_hz;
    let mix = mix_file.planar;
    if mix.is_empty() || mix[0].is_empty() {
        bail!("{}: no audio in the file", mix_path.display());
    }
    if mix.len() > 2 {
        bail!(
            "{}: {} channels; lathe master takes mono or stereo mixes",
            mix_path.display(),
            mix.len()
        );
    }
    if let Some(bad) = mix.iter().flatten().find(|x| !x.is_finite()) {
        bail!(
            "{}: the audio holds {bad} samples; nothing to master",
            mix_path.display()
        );
    }
    let before = measure(&mix, sample_rate_hz);
    if !before.integrated_lufs().is_finite() {
        bail!(
            "{}: the mix is silent (no gated loudness); nothing to master",
            mix_path.display()
        );
    }
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
    // The tonal match: the mix through Lathe Reference's match EQ towards the references.
    let (matched, correction, tonal_stage) = match mix_analysis {
        Some(analysis) => {
            let design = crate::matching::design(
                opts.amount_pct,
                3.0,
                12.0,
                30.0,
                18_000.0,
                MatchPhase::Linear,
            )?;
            let mix_track = crate::matching::Track {
                file: mix_path.display().to_string(),
                analysis,
            };
            let compared = crate::matching::compare(&mix_track, &references, &design);
            let target_db = crate::matching::target_spectrum(&references);
            let mix_db = mix_track.analysis.normalized_spectrum_db();
            let settings = ChainSettings {
                io: IoSettings::default(),
                core: ReferenceSettings {
                    match_enabled: true,
                    phase: MatchPhase::Linear,
                    ..ReferenceSettings::default()
                },
            };
            let (kernel, _) = design_kernel(
                Some(&mix_db),
                Some(&target_db),
                &design,
                sample_rate_hz as f64,
            );
            // The match EQ filters each channel with its own convolver and nothing crosses
            // between them, so each channel runs through a mono chain of its own, on its own
            // core: the same samples as one stereo chain, in half the time.
            let matched = std::thread::scope(|scope| {
                let handles: Vec<_> = mix
                    .iter()
                    .map(|channel| {
                        let (kernel, settings) = (&kernel, &settings);
                        scope.spawn(move || {
                            let mut chain =
                                PluginChain::<ReferenceCore>::new(1, sample_rate_hz as f64);
                            chain.set_settings(settings);
                            chain.core_mut().load_kernel(kernel);
                            chain.set_settings(settings);
                            run_chain(&mut chain, std::slice::from_ref(channel)).remove(0)
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join())
                    .collect::<std::thread::Result<Vec<Vec<f32>>>>()
            })
            .map_err(|_| anyhow::anyhow!("the match EQ failed"))?;
            let words = format!(
                "matched to {} reference(s) at {:.0} % (linear phase)",
                references.len(),
                opts.amount_pct
            );
            let correction = Correction {
                references: references.iter().map(|r| r.file.clone()).collect(),
                grid_hz: compared.grid_hz,
                correction_db: compared.correction_db,
                tilt_difference_db_per_octave: compared.tilt_difference_db_per_octave,
            };
            (Some(matched), Some(correction), words)
        }
        None => (None, None, "none: no reference given".to_owned()),
    };
    let (glued, glue_report) = if opts.glue {
        let (y, report) = glue(matched.as_deref().unwrap_or(&mix), sample_rate_hz)?;
        (Some(y), Some(report))
    } else {
        (None, None)
    };
    if let Some(g) = glue_report.as_ref().filter(|g| g.max_reduction_db < 0.1) {
        warnings.push(format!(
            "--glue did next to nothing ({:.1} dB of gain reduction at most): the mix is quieter \
             than the {GLUE_PRESET} preset's threshold expects",
            g.max_reduction_db
        ));
    }
    let matched = glued.or(matched);
    let program: &[Vec<f32>] = matched.as_deref().unwrap_or(&mix);
    // What goes into the limiter: its loudness now (the first guess of the drive), its true
    // peak (the limiting figure) on the second core beside the solve, with the checks.
    let start_lufs = if matched.is_some() {
        let mut meter = LoudnessMeter::for_channels(sample_rate_hz as f64, program.len());
        meter.set_peaks_enabled(false);
        let slices: Vec<&[f32]> = program.iter().map(|c| &c[..]).collect();
        meter.process(&slices);
        meter.integrated_lufs()
    } else {
        before.integrated_lufs()
    };
    let rate_hz = opts.rate_hz.unwrap_or(sample_rate_hz);
    let (checks, solved) = std::thread::scope(|scope| {
        let checks = scope.spawn(|| {
            let peak = if matched.is_some() {
                measure(program, sample_rate_hz).true_peak_dbtp()
            } else {
                before.true_peak_dbtp()
            };
            (check_mix(&mix, sample_rate_hz, &before), peak)
        });
        let solved = solve(
            program,
            sample_rate_hz,
            start_lufs,
            target_lufs,
            opts,
            rate_hz,
        );
        (checks.join(), solved)
    });
    let (checks, limiter_in_peak) =
        checks.map_err(|_| anyhow::anyhow!("the master-ready checks failed"))?;
    let (delivery, drive, ceiling, renders, unreachable) = solved?;
    warnings.extend(unreachable);
    let peak_limiting_db = (limiter_in_peak + drive as f64 - ceiling as f64).max(0.0);
    if peak_limiting_db > HEAVY_LIMITING_DB {
        warnings.push(format!(
            "{peak_limiting_db:.1} dB of peak limiting to reach {target_lufs:.1} LUFS: expect \
             audible limiting; a quieter target or a denser mix needs less"
        ));
    }
    if let Some(w) = delivery.quantizer.report().clip_warning() {
        warnings.push(w);
    }
    let staged = StagedFile::new(output);
    match container {
        Container::Wav => write_wav(staged.path(), &delivery, &tags),
        Container::Flac => write_flac(staged.path(), &delivery, &tags),
    }
    .with_context(|| format!("cannot write {}", output.display()))?;
    let bytes = std::fs::read(staged.path())
        .with_context(|| format!("cannot read back {}", output.display()))?;
    let report = MasterReport {
        mix: mix_path.display().to_string(),
        output: output.display().to_string(),
        container,
        target_lufs,
        ceiling_dbtp: opts.ceiling_dbtp,
        format: delivery.quantizer.report().describe(),
        before,
        after: delivery.measured,
        checks,
        tonal_stage,
        references_lufs,
        correction,
        glue: glue_report,
        limiter: LimiterReport {
            drive_db: drive as f64,
            ceiling_dbtp: ceiling as f64,
            peak_limiting_db,
            renders,
        },
        warnings,
        tags,
        output_sha256: sha256_hex(&bytes),
    };
    let staged_report = opts
        .report
        .as_ref()
        .map(|path| -> Result<StagedFile> {
            let file = StagedFile::new(path);
            let json = serde_json::to_string_pretty(&report)?;
            std::fs::write(file.path(), json + "\n")
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(file)
        })
        .transpose()?;
    staged.commit()?;
    if let Some(file) = staged_report {
        file.commit()?;
    }
    Ok(report)
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

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The delivered samples as the integers the file holds (16 or 24 bit).
fn integer_samples(d: &Delivery, bits: u16) -> Vec<i32> {
    let scale = (1u32 << (bits - 1)) as f32;
    let frames = d.samples[0].len();
    (0..frames)
        .flat_map(|i| d.samples.iter().map(move |c| (c[i] * scale) as i32))
        .collect()
}

fn write_wav(path: &Path, d: &Delivery, tags: &Tags) -> Result<()> {
    let quantizer = &d.quantizer;
    let spec = quantizer.spec(d.samples.len() as u16, d.sample_rate_hz);
    let mut writer = hound::WavWriter::create(path, spec)?;
    let frames = d.samples[0].len();
    for i in 0..frames {
        for c in &d.samples {
            quantizer.write(&mut writer, c[i])?;
        }
    }
    writer.finalize()?;
    if tags.is_empty() {
        return Ok(());
    }
    use lofty::config::WriteOptions;
    use lofty::tag::{Tag, TagExt, TagType};
    // RIFF INFO: title, artist, album only (its ISRC key means "source").
    let mut info = Tag::new(TagType::RiffInfo);
    tags.fill(&mut info, false);
    if !info.is_empty() {
        info.save_to_path(path, WriteOptions::default())?;
    }
    let mut id3 = Tag::new(TagType::Id3v2);
    tags.fill(&mut id3, true);
    id3.save_to_path(path, WriteOptions::default())?;
    Ok(())
}

fn write_flac(path: &Path, d: &Delivery, tags: &Tags) -> Result<()> {
    let format = d.quantizer.report().format;
    use flacenc::component::BitRepr;
    use flacenc::error::Verify;
    let bits = format.bits.bits();
    debug_assert!(matches!(format.bits, OutputBits::Int16 | OutputBits::Int24));
    let samples = integer_samples(d, bits);
    let config = flacenc::config::Encoder::default()
        .into_verified()
        .map_err(|e| anyhow::anyhow!("FLAC encoder settings: {e:?}"))?;
    let source = flacenc::source::MemSource::from_samples(
        &samples,
        d.samples.len(),
        bits as usize,
        d.sample_rate_hz as usize,
    );
    let mut stream = flacenc::encode_with_fixed_block_size(&config, source, config.block_size)
        .map_err(|e| anyhow::anyhow!("FLAC encoding failed: {e:?}"))?;
    // A PADDING block after STREAMINFO: lofty 0.22 writes no Vorbis comments into a FLAC
    // file whose only metadata block is STREAMINFO (it returns Ok and leaves the file as is).
    let padding = flacenc::component::MetadataBlockData::new_unknown(1, &[0; 1024])
        .map_err(|e| anyhow::anyhow!("FLAC padding: {e:?}"))?;
    stream.add_metadata_block(padding);
    let mut sink = flacenc::bitsink::ByteSink::new();
    stream
        .write(&mut sink)
        .map_err(|e| anyhow::anyhow!("FLAC encoding failed: {e:?}"))?;
    std::fs::write(path, sink.as_slice())?;
    if tags.is_empty() {
        return Ok(());
    }
    use lofty::config::WriteOptions;
    use lofty::tag::{Tag, TagExt, TagType};
    let mut vorbis = Tag::new(TagType::VorbisComments);
    tags.fill(&mut vorbis, true);
    vorbis.save_to_path(path, WriteOptions::default())?;
    Ok(())
}
