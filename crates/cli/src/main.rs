//! `lathe`: Lathe's DSP on the command line.

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use lathe_cli::render::{self, DitherMode, OutputFormat, RenderPlugin};
use lathe_cli::{Analysis, Progress, analyze, format_table};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Standard output that a closed pipe (`lathe analyze ... | head -1`) silences instead of
/// panicking: the command goes on, and the files it was asked for (`--plot`, `-o`) do not
/// depend on anyone reading its text.
mod out {
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};

    static CLOSED: AtomicBool = AtomicBool::new(false);

    /// Writes `text` unless standard output has gone away.
    pub fn write(text: &str) {
        if CLOSED.load(Ordering::Relaxed) {
            return;
        }
        let mut stdout = std::io::stdout().lock();
        if stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
            .is_err()
        {
            CLOSED.store(true, Ordering::Relaxed);
        }
    }
}

/// `print!` through [`out::write`].
macro_rules! say {
    ($($arg:tt)*) => { out::write(&format!($($arg)*)) };
}

/// `println!` through [`out::write`].
macro_rules! sayln {
    ($($arg:tt)*) => { out::write(&format!("{}\n", format_args!($($arg)*))) };
}

/// Lathe's mixing and mastering DSP, offline.
#[derive(Parser)]
#[command(name = "lathe", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Measure loudness (BS.1770-5 / EBU R128) and peaks of audio files: integrated loudness,
    /// loudness range, true and sample peak, max momentary and short-term, PLR.
    Analyze {
        /// Print a JSON array instead of tables.
        #[arg(long)]
        json: bool,
        /// WAV, FLAC, MP3, Ogg Vorbis or AIFF files, any sample rate and channel count.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Render a file through a plugin's exact signal path, latency-compensated (the output
    /// lines up with the input and has the same length).
    #[command(
        override_usage = "lathe render <PLUGIN> <INPUT> -o <OUT.wav> [OPTIONS]\n       \
                                lathe render <PLUGIN> --list"
    )]
    Render {
        /// The plugin.
        plugin: RenderPlugin,
        /// Input file (WAV, FLAC, MP3, Ogg Vorbis, AIFF). Required (except with --list).
        #[arg(required_unless_present = "list", value_name = "INPUT")]
        input: Option<PathBuf>,
        /// Output WAV file. Required (except with --list).
        #[arg(short, long, required_unless_present = "list", value_name = "OUT.wav")]
        output: Option<PathBuf>,
        /// Set a parameter, parsed as the plugin parses typed-in text (e.g. ceiling=-1,
        /// oversampling=8x, dither="16 bit"). Repeatable.
        #[arg(long = "set", value_name = "ID=VALUE")]
        sets: Vec<String>,
        /// Output sample format: 32 (float), 24 or 16 (integer).
        #[arg(long, default_value_t = 32)]
        bits: u16,
        /// Requantisation of 16- and 24-bit output: tpdf (default), shaped (noise-shaped
        /// TPDF) or off (plain rounding).
        #[arg(long, value_enum, value_name = "off|tpdf|shaped")]
        dither: Option<DitherMode>,
        /// List the plugin's parameter IDs and defaults, then exit.
        #[arg(long)]
        list: bool,
        /// Feed this file to the plugin's sidechain input and key from it (bus-compressor
        /// only). Resampled if its rate differs, padded with silence if shorter.
        #[arg(long, value_name = "KEY")]
        sidechain: Option<PathBuf>,
        /// Start from a preset: a factory or user preset's name, or a preset FILE.json (then
        /// --set on top).
        #[arg(long, value_name = "NAME|FILE.json")]
        preset: Option<String>,
    },
    /// User presets, the same files the plugins' preset menus save and load
    /// ($XDG_DATA_HOME/lathe/presets/PLUGIN/, default ~/.local/share/...).
    Preset {
        #[command(subcommand)]
        action: PresetAction,
    },
    /// Hold a mix against one or more reference tracks (Lathe Reference's analysis): loudness,
    /// dynamics, width and tone side by side, master-ready checks, and the match EQ that
    /// brings the mix's tone to the references' average.
    Match {
        /// The mix (WAV, FLAC, MP3, Ogg Vorbis, AIFF).
        mix: PathBuf,
        /// Reference tracks (any sample rate; several are averaged).
        #[arg(required = true)]
        references: Vec<PathBuf>,
        /// Print the comparison as JSON instead of tables.
        #[arg(long)]
        json: bool,
        /// Write a PNG of both spectra, their difference and the match EQ.
        #[arg(long, value_name = "FILE.png")]
        plot: Option<PathBuf>,
        /// Render the mix through the match EQ into this WAV file (latency compensated).
        #[arg(short, long, value_name = "MATCHED.wav")]
        output: Option<PathBuf>,
        /// How much of the difference the match EQ applies, %.
        #[arg(long, default_value_t = 100.0)]
        amount: f64,
        /// Smoothing of the spectra before the difference: N for 1/N octave (1 to 24).
        #[arg(long, default_value_t = 3.0)]
        smoothing: f64,
        /// Largest boost or cut of the match EQ, dB (0 to 12).
        #[arg(long, default_value_t = 12.0)]
        limit: f64,
        /// Lowest frequency the match EQ corrects, Hz.
        #[arg(long, default_value_t = 30.0)]
        low: f64,
        /// Highest frequency the match EQ corrects, Hz.
        #[arg(long, default_value_t = 18_000.0)]
        high: f64,
        /// Match EQ phase: linear (exact phase, latency compensated offline) or minimum.
        #[arg(long, default_value = "linear")]
        phase: PhaseArg,
        /// Output sample format for -o: 32 (float), 24 or 16 (integer).
        #[arg(long, default_value_t = 32)]
        bits: u16,
        /// Requantisation of 16- and 24-bit output: tpdf (default), shaped (noise-shaped
        /// TPDF) or off (plain rounding).
        #[arg(long, value_enum, value_name = "off|tpdf|shaped")]
        dither: Option<DitherMode>,
    },
    /// Master a finished mix into a delivery file: master-ready checks, loudness to a target
    /// through the Limiter (true peak held under the ceiling on the delivered samples),
    /// resampling, dither, WAV or FLAC with ISRC/UPC tags, and a report; with references, a
    /// tonal match to them first. Deterministic.
    Master {
        /// The mixes (WAV, FLAC, MP3, Ogg Vorbis, AIFF), mono or stereo, in track order.
        #[arg(required = true, value_name = "MIX")]
        mixes: Vec<PathBuf>,
        /// The master of a single mix: .wav or .flac (the format follows the name).
        #[arg(
            short,
            long,
            value_name = "OUT.wav|OUT.flac",
            conflicts_with = "out_dir"
        )]
        output: Option<PathBuf>,
        /// Write the masters into this folder, each named as its mix with the extension of
        /// --format.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
        /// With --out-dir: the container of the masters.
        #[arg(long, value_enum, default_value = "wav", requires = "out_dir")]
        format: ContainerArg,
        /// The mixes are one album: one tonal correction and one drive for all, the album's
        /// loudness on the target, every track under the ceiling.
        #[arg(long)]
        album: bool,
        /// Reference tracks: the tonal match aims for their average spectrum (any rate;
        /// repeatable).
        #[arg(long = "reference", value_name = "REF")]
        references: Vec<PathBuf>,
        /// Integrated loudness target: LUFS (-40 to -5), or `reference` for the references'
        /// loudness.
        #[arg(
            long,
            default_value = "-14",
            allow_negative_numbers = true,
            value_name = "LUFS|reference"
        )]
        target: lathe_cli::master::Target,
        /// How much of the tonal correction to apply, % (0 to 100).
        #[arg(long, default_value_t = 100.0)]
        amount: f64,
        /// The tonal correction's largest boost or cut, dB (0 to 30).
        #[arg(long, default_value_t = lathe_cli::master::MATCH_LIMIT_DB)]
        limit: f64,
        /// Glue compression before the limiter (the Bus Compressor's "Gentle Master" preset).
        #[arg(long)]
        glue: bool,
        /// True-peak ceiling, dBTP (-12 to 0), held on the file as written.
        #[arg(long, default_value_t = -1.0, allow_negative_numbers = true)]
        ceiling: f64,
        /// Delivery sample rate, Hz (default: the mix's own).
        #[arg(long, value_name = "HZ")]
        rate: Option<u32>,
        /// Word length: 16 or 24 (integer, dithered) or 32 (float, WAV only).
        #[arg(long, default_value_t = 24)]
        bits: u16,
        /// Requantisation: tpdf (default), shaped (noise-shaped TPDF) or off (rounding).
        #[arg(long, value_enum, value_name = "tpdf|shaped|off")]
        dither: Option<DitherMode>,
        /// Track title tag (several mixes: one per mix in track order; default: the file
        /// names).
        #[arg(long)]
        title: Vec<String>,
        /// Artist tag.
        #[arg(long)]
        artist: Option<String>,
        /// Album title tag.
        #[arg(long = "album-title", value_name = "T")]
        album_title: Option<String>,
        /// International Standard Recording Code, CC-XXX-YY-NNNNN (validated; several mixes:
        /// one per mix in track order).
        #[arg(long, value_name = "CODE")]
        isrc: Vec<String>,
        /// UPC-A or EAN-13 barcode of the release (check digit validated).
        #[arg(long, value_name = "CODE")]
        upc: Option<String>,
        /// Write the report as JSON to this file too.
        #[arg(long, value_name = "FILE.json")]
        report: Option<PathBuf>,
        /// Draw the spectra of mix, master and references and the short-term loudness of mix
        /// and master over time into this PNG.
        #[arg(long, value_name = "FILE.png")]
        plot: Option<PathBuf>,
        /// Print the report as JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Replace the output if it exists.
        #[arg(long)]
        force: bool,
    },
}

/// `--format` values of `lathe master --out-dir`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum ContainerArg {
    /// RIFF WAVE.
    Wav,
    /// FLAC.
    Flac,
}

/// `--phase` values.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum PhaseArg {
    Linear,
    Minimum,
}

#[allow(clippy::too_many_arguments)]
fn run_match(
    mix: PathBuf,
    references: Vec<PathBuf>,
    json: bool,
    plot: Option<PathBuf>,
    output: Option<PathBuf>,
    design: anyhow::Result<lathe_dsp::chains::reference::MatchDesign>,
    smoothing: f64,
    format: anyhow::Result<OutputFormat>,
) -> ExitCode {
    use lathe_cli::matching;
    let result = (|| -> anyhow::Result<()> {
        let design = design?;
        let format = format?;
        if let Some(out) = &output {
            render::check_output(out)?;
        }
        if let Some(png) = &plot {
            render::check_output_file(png, "png", "PNG")?;
        }
        // Decode and analyse the files in parallel, two at a time.
        let paths: Vec<&std::path::Path> = std::iter::once(&mix)
            .chain(&references)
            .map(|p| p.as_path())
            .collect();
        let mut tracks = matching::analyze_tracks(&paths)?;
        let mix_track = tracks.remove(0);
        let report = matching::compare(&mix_track, &tracks, &design);
        if json {
            sayln!(
                "{}",
                serde_json::to_string_pretty(&report).expect("report serializes")
            );
        } else {
            say!("{}", matching::format_report(&report));
        }
        // The plot is moved into place only when the matched render (if asked for) has
        // succeeded too: a failed run leaves nothing behind.
        let staged_plot = match &plot {
            Some(path) => {
                let staged = render::StagedFile::new(path);
                matching::plot(&report, smoothing, staged.path())
                    .with_context(|| format!("cannot write the plot {}", path.display()))?;
                Some(staged)
            }
            None => None,
        };
        if let Some(out) = &output {
            let target = matching::target_spectrum(&tracks);
            let name = mix.display().to_string();
            let mut bar = Bar::new(&name);
            let summary =
                matching::render_matched(&mix, &mix_track, &target, &design, out, format, |e| {
                    bar.on(e)
                })
                .map_err(|e| e.context(name.clone()))?;
            drop(bar);
            let line = format!(
                "Matched mix written to {}: {} frames at {} Hz, {}, match EQ latency {} samples \
                 compensated; {:.1} LUFS, {:.2} dBTP",
                out.display(),
                summary.frames,
                summary.sample_rate_hz,
                summary.quantize.describe(),
                summary.latency_samples,
                summary.integrated_lufs,
                summary.true_peak_dbtp
            );
            // With --json, stdout holds the JSON alone; the line goes to stderr.
            if json {
                eprintln!("{line}");
            } else {
                sayln!("{line}");
            }
            if let Some(warning) = summary.quantize.clip_warning() {
                eprintln!("lathe: warning: {}: {warning}", out.display());
            }
        }
        if let (Some(staged), Some(path)) = (staged_plot, &plot) {
            staged.commit()?;
            if !json {
                sayln!("\nPlot written to {}", path.display());
            }
        }
        Ok(())
    })();
    exit_status(result)
}

/// Files shorter than this get no progress bar.
const PROGRESS_MIN_SECONDS: f64 = 5.0;

fn run_analyze(json: bool, files: &[PathBuf]) -> ExitCode {
    let mut results: Vec<Analysis> = Vec::new();
    let mut failed = false;
    for path in files {
        let name = path.display().to_string();
        let mut bar = Bar::new(&name);
        let result = analyze(path, &name, |event| bar.on(event));
        drop(bar);
        match result {
            Ok(a) => {
                if let Some(warning) = lathe_cli::non_finite_warning(&a) {
                    eprintln!("lathe: {warning}");
                }
                if !json {
                    say!("{}", format_table(&a));
                    sayln!("");
                }
                results.push(a);
            }
            Err(e) => {
                failed = true;
                eprintln!("lathe: {e:#}");
            }
        }
    }
    if json {
        sayln!(
            "{}",
            serde_json::to_string_pretty(&results).expect("analysis serializes")
        );
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// A progress bar for one file, shown on a terminal for files longer than
/// [`PROGRESS_MIN_SECONDS`]; cleared when dropped.
struct Bar {
    name: String,
    show: bool,
    bar: Option<ProgressBar>,
}

impl Bar {
    fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            show: std::io::stderr().is_terminal(),
            bar: None,
        }
    }

    fn on(&mut self, event: Progress) {
        match event {
            Progress::Start {
                sample_rate_hz,
                expected_frames: Some(total),
            } if self.show && total as f64 / sample_rate_hz as f64 > PROGRESS_MIN_SECONDS => {
                let b = ProgressBar::new(total);
                b.set_style(
                    ProgressStyle::with_template("{msg} [{bar:30}] {percent}% {eta}")
                        .expect("valid template")
                        .progress_chars("=> "),
                );
                b.set_message(self.name.clone());
                self.bar = Some(b);
            }
            Progress::Start { .. } => {}
            Progress::Advance(frames) => {
                if let Some(b) = &self.bar {
                    b.inc(frames);
                }
            }
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

/// What `lathe render` was asked to do.
struct RenderJob {
    input: Option<PathBuf>,
    output: Option<PathBuf>,
    sets: Vec<String>,
    format: anyhow::Result<OutputFormat>,
    list: bool,
    sidechain: Option<PathBuf>,
    preset: Option<String>,
}

/// `lathe preset` actions.
#[derive(Subcommand)]
enum PresetAction {
    /// List a plugin's presets: factory presets first (read-only), then the user presets.
    List {
        /// The plugin.
        plugin: RenderPlugin,
    },
    /// Save the plugin's defaults with the given values as a user preset.
    Save {
        /// The plugin.
        plugin: RenderPlugin,
        /// The preset's name (any text; the file name is made safe).
        name: String,
        /// A value, as `lathe render --set` takes it. Repeatable.
        #[arg(long = "set", value_name = "ID=VALUE")]
        sets: Vec<String>,
        /// Replace a user preset of that name.
        #[arg(long)]
        force: bool,
    },
}

fn run_preset(action: PresetAction) -> ExitCode {
    let plugin = match &action {
        PresetAction::List { plugin } | PresetAction::Save { plugin, .. } => *plugin,
    };
    exit_status(match plugin {
        RenderPlugin::Limiter => preset_as::<render::Limiter>(action),
        RenderPlugin::ChannelStrip => preset_as::<render::ChannelStrip>(action),
        RenderPlugin::BusCompressor => preset_as::<render::BusCompressor>(action),
    })
}

fn preset_as<R: render::Renderable>(action: PresetAction) -> anyhow::Result<()> {
    match action {
        PresetAction::List { .. } => {
            sayln!("factory presets of {} (read-only):", R::IDENTITY.name);
            for (name, description) in R::factory_presets() {
                sayln!("  {name:<24} {description}");
            }
            let folder = render::user_folder::<R>()?;
            let (found, messages) = lathe_params::user_presets::list(&folder, R::IDENTITY.clap_id);
            for m in messages {
                eprintln!("lathe: warning: {m}");
            }
            sayln!("user presets ({}):", folder.display());
            if found.is_empty() {
                sayln!(
                    "  (none yet: lathe preset save {} NAME --set ID=VALUE ...)",
                    R::IDENTITY.short
                );
            }
            for f in found {
                sayln!("  {:<24} {}", f.preset.name, f.path.display());
            }
            Ok(())
        }
        PresetAction::Save {
            name, sets, force, ..
        } => {
            let sets = sets
                .iter()
                .map(|s| render::parse_assignment(s))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let path = render::save_preset::<R>(&name, &sets, force)?;
            sayln!(
                "saved {} preset {name:?}: {}",
                R::IDENTITY.name,
                path.display()
            );
            Ok(())
        }
    }
}

fn run_render(plugin: RenderPlugin, job: RenderJob) -> ExitCode {
    exit_status(match plugin {
        RenderPlugin::Limiter => render_as::<render::Limiter>(job),
        RenderPlugin::ChannelStrip => render_as::<render::ChannelStrip>(job),
        RenderPlugin::BusCompressor => render_as::<render::BusCompressor>(job),
    })
}

fn render_as<R: render::Renderable>(job: RenderJob) -> anyhow::Result<()> {
    if job.list {
        say!("{}", render::describe_parameters(&R::Params::default()));
        return Ok(());
    }
    let (Some(input), Some(output)) = (job.input, job.output) else {
        anyhow::bail!("give an input file and -o OUTPUT");
    };
    let format = job.format?;
    let mut sets = job
        .sets
        .iter()
        .map(|s| render::parse_assignment(s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if job.sidechain.is_some() {
        if !R::SIDECHAIN {
            anyhow::bail!(
                "--sidechain works with {} only",
                RenderPlugin::with_sidechain().join(", ")
            );
        }
        // A key file means: key from it (the user's own --set still wins).
        sets.insert(0, ("sc_source".to_owned(), "External".to_owned()));
    }
    // Before anything else, and not under the input's name: these messages are about the
    // preset, the values and the output, not the input.
    let preset = job
        .preset
        .as_deref()
        .map(render::choose_preset::<R>)
        .transpose()?;
    let (_, warnings) = render::preset_settings::<R>(preset.as_ref(), &sets)?;
    for w in warnings {
        eprintln!("lathe: warning: {w}");
    }
    render::check_output(&output)?;
    let name = input.display().to_string();
    let mut bar = Bar::new(&name);
    let summary = render::render_preset::<R>(
        &input,
        &output,
        job.sidechain.as_deref(),
        preset.as_ref(),
        &sets,
        format,
        |e| bar.on(e),
    )
    .map_err(|e| e.context(name.clone()))?;
    sayln!(
        "{} -> {}: {} frames at {} Hz, {} channel(s), {}, latency {} samples compensated; \
         output {:.2} dBTP, {:.1} LUFS",
        name,
        output.display(),
        summary.frames,
        summary.sample_rate_hz,
        summary.channels,
        summary.quantize.describe(),
        summary.latency_samples,
        summary.true_peak_dbtp,
        summary.integrated_lufs
    );
    if let Some(warning) = summary.quantize.clip_warning() {
        eprintln!("lathe: warning: {}: {warning}", output.display());
    }
    Ok(())
}

fn run_master(
    job: &lathe_cli::master::Job,
    opts: &lathe_cli::master::MasterOptions,
    json: bool,
) -> anyhow::Result<()> {
    let run = lathe_cli::master::master_job(job, opts)?;
    let several = run.tracks.len() > 1;
    for r in &run.tracks {
        for w in &r.warnings {
            if several {
                eprintln!("lathe: warning: {}: {w}", r.mix);
            } else {
                eprintln!("lathe: warning: {w}");
            }
        }
    }
    if json {
        if several {
            sayln!("{}", serde_json::to_string_pretty(&run)?);
        } else {
            sayln!("{}", serde_json::to_string_pretty(&run.tracks[0])?);
        }
        return Ok(());
    }
    if let Some(a) = &run.album {
        let f = |v: Option<f64>| v.unwrap_or(f64::NEG_INFINITY);
        sayln!(
            "album of {} tracks: {:.1} LUFS -> {:.2} LUFS (target {:.1}), {:+.2} dBTP, LRA {:.1} LU",
            run.tracks.len(),
            f(a.before.integrated_lufs),
            f(a.after.integrated_lufs),
            run.tracks[0].target_lufs,
            f(a.after.true_peak_dbtp),
            a.after.loudness_range_lu.unwrap_or(0.0)
        );
    }
    for r in &run.tracks {
        print_master(r);
    }
    Ok(())
}

/// One master's text summary.
fn print_master(r: &lathe_cli::master::MasterReport) {
    let b = &r.before;
    let a = &r.after;
    sayln!("{} -> {} ({})", r.mix, r.output, r.format);
    sayln!(
        "  mix:    {:.1} LUFS, {:+.2} dBTP, LRA {:.1} LU, {} Hz, {:.1} s",
        b.integrated_lufs(),
        b.true_peak_dbtp(),
        b.loudness_range_lu(),
        b.sample_rate_hz,
        b.duration_s
    );
    sayln!(
        "  master: {:.2} LUFS (target {:.1}), {:+.2} dBTP (ceiling {:.1}), LRA {:.1} LU, {} Hz",
        a.integrated_lufs(),
        r.target_lufs,
        a.true_peak_dbtp(),
        r.ceiling_dbtp,
        a.loudness_range_lu(),
        a.sample_rate_hz
    );
    sayln!(
        "  limiter: drive {:+.2} dB, ceiling {:.2} dBTP, {:.1} dB of peak limiting ({} renders)",
        r.limiter.drive_db,
        r.limiter.ceiling_dbtp,
        r.limiter.peak_limiting_db,
        r.limiter.renders
    );
    sayln!("  tonal match: {}", r.tonal_stage);
    if let Some(g) = &r.glue {
        sayln!(
            "  glue: Bus Compressor \"{}\" ({}), up to {:.1} dB of gain reduction",
            g.preset,
            g.description,
            g.max_reduction_db
        );
    }
    if let (Some(c), Some(lufs)) = (&r.correction, r.references_lufs) {
        let (lo, hi) = c
            .correction_db
            .iter()
            .fold((0.0f32, 0.0f32), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        sayln!(
            "  references: {lufs:.1} LUFS; correction {lo:+.1} to {hi:+.1} dB, tilt {:+.2} dB/oct",
            c.tilt_difference_db_per_octave
        );
    }
    if r.checks.notes.is_empty() {
        sayln!("  checks: master-ready");
    }
    for note in &r.checks.notes {
        sayln!("  check: {note}");
    }
    sayln!("  sha256 {}", r.output_sha256);
}

/// Success, or the error on one line of stderr and status 1.
fn exit_status(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lathe: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Interrupted (Ctrl-C, SIGTERM, SIGHUP): remove the temporary file of a render in progress
    // and stop; an existing output file stays as it was.
    let _ = ctrlc::set_handler(|| {
        render::remove_partial_files();
        eprintln!("lathe: interrupted; no output was written");
        std::process::exit(130);
    });
    match cli.command {
        Command::Analyze { json, files } => run_analyze(json, &files),
        Command::Render {
            plugin,
            input,
            output,
            sets,
            bits,
            dither,
            list,
            sidechain,
            preset,
        } => run_render(
            plugin,
            RenderJob {
                input,
                output,
                sets,
                format: OutputFormat::from_args(bits, dither),
                list,
                sidechain,
                preset,
            },
        ),
        Command::Preset { action } => run_preset(action),
        Command::Match {
            mix,
            references,
            json,
            plot,
            output,
            amount,
            smoothing,
            limit,
            low,
            high,
            phase,
            bits,
            dither,
        } => {
            let phase = match phase {
                PhaseArg::Linear => lathe_dsp::analysis::match_eq::MatchPhase::Linear,
                PhaseArg::Minimum => lathe_dsp::analysis::match_eq::MatchPhase::Minimum,
            };
            let design = lathe_cli::matching::design(amount, smoothing, limit, low, high, phase);
            let format = OutputFormat::from_args(bits, dither);
            run_match(
                mix, references, json, plot, output, design, smoothing, format,
            )
        }
        Command::Master {
            mixes,
            output,
            out_dir,
            format,
            album,
            references,
            target,
            amount,
            limit,
            glue,
            ceiling,
            rate,
            bits,
            dither,
            title,
            artist,
            album_title,
            isrc,
            upc,
            report,
            plot,
            json,
            force,
        } => exit_status((|| {
            use lathe_cli::master::{Container, Job};
            let job = match (output, out_dir) {
                (Some(output), None) if mixes.len() == 1 => Job {
                    mixes,
                    outputs: vec![output],
                    album,
                },
                (Some(_), None) => anyhow::bail!(
                    "{} mixes: -o names one master; give --out-dir DIR for several",
                    mixes.len()
                ),
                (None, Some(dir)) => {
                    let container = match format {
                        ContainerArg::Wav => Container::Wav,
                        ContainerArg::Flac => Container::Flac,
                    };
                    Job::in_folder(mixes, &dir, container, album)?
                }
                _ => anyhow::bail!("name the master with -o OUT.wav|OUT.flac, or --out-dir DIR"),
            };
            let several = job.mixes.len() > 1;
            if !several && (title.len() > 1 || isrc.len() > 1) {
                anyhow::bail!("one mix takes one --title and one --isrc");
            }
            let mut tags = lathe_cli::master::Tags {
                artist,
                album: album_title,
                upc,
                ..Default::default()
            };
            let (titles, isrcs) = if several {
                (title, isrc)
            } else {
                tags.title = title.into_iter().next();
                tags.isrc = isrc.into_iter().next();
                (Vec::new(), Vec::new())
            };
            let opts = lathe_cli::master::MasterOptions {
                target,
                references,
                amount_pct: amount,
                match_limit_db: limit,
                glue,
                ceiling_dbtp: ceiling,
                rate_hz: rate,
                format: OutputFormat::from_args(bits, dither)?,
                tags,
                titles,
                isrcs,
                force,
                report,
                plot,
            };
            run_master(&job, &opts, json)
        })()),
    }
}
