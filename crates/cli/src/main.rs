//! `lathe`: Lathe's DSP on the command line.

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use lathe_cli::{Analysis, Progress, analyze, format_table};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

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
}

/// Files shorter than this get no progress bar.
const PROGRESS_MIN_SECONDS: f64 = 5.0;

fn run_analyze(json: bool, files: &[PathBuf]) -> ExitCode {
    let show_progress = std::io::stderr().is_terminal();
    let mut results: Vec<Analysis> = Vec::new();
    let mut failed = false;
    for path in files {
        let name = path.display().to_string();
        let mut bar: Option<ProgressBar> = None;
        let result = analyze(path, &name, |event| match event {
            Progress::Start {
                sample_rate_hz,
                expected_frames: Some(total),
            } if show_progress && total as f64 / sample_rate_hz as f64 > PROGRESS_MIN_SECONDS => {
                let b = ProgressBar::new(total);
                b.set_style(
                    ProgressStyle::with_template("{msg} [{bar:30}] {percent}% {eta}")
                        .expect("valid template")
                        .progress_chars("=> "),
                );
                b.set_message(name.clone());
                bar = Some(b);
            }
            Progress::Start { .. } => {}
            Progress::Advance(frames) => {
                if let Some(b) = &bar {
                    b.inc(frames);
                }
            }
        });
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        match result {
            Ok(a) => {
                if !json {
                    print!("{}", format_table(&a));
                    println!();
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
        println!(
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Analyze { json, files } => run_analyze(json, &files),
    }
}
