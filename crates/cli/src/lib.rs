//! The `lathe` command line's library: decoding audio files and running Lathe's DSP on them.
//!
//! [`decode`] streams any file symphonia can read (WAV, FLAC, MP3, Ogg Vorbis, AIFF) at its own
//! sample rate and channel count; [`analyze`] measures it with [`lathe_dsp::LoudnessMeter`];
//! [`render`] runs a file through a plugin's signal path; [`matching`] holds a mix against
//! references (`lathe match`); [`master`] turns a mix into a delivery file (`lathe master`).

#![warn(missing_docs)]

pub mod master;
pub mod matching;
pub mod quantize;
pub mod render;

use anyhow::{Context, Result, anyhow};
use lathe_dsp::{LoudnessMeter, LoudnessSummary};
use serde::Serialize;
use std::path::Path;

pub use lathe_io::{Decoded, DecodedPlanar, StreamInfo, decode, decode_planar};

/// The result of `lathe analyze` for one file. Loudness values are `None` for silence.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Analysis {
    /// The file as given on the command line.
    pub file: String,
    /// Sample rate.
    pub sample_rate_hz: u32,
    /// Channel count.
    pub channels: usize,
    /// Duration in seconds.
    pub duration_s: f64,
    /// Loudness and peaks (flattened into the JSON: `integrated_lufs`, `loudness_range_lu`,
    /// `true_peak_dbtp`, `sample_peak_dbfs`, `max_momentary_lufs`, `max_short_term_lufs`,
    /// `plr_db`).
    #[serde(flatten)]
    pub loudness: LoudnessSummary,
    /// Samples that were NaN or infinite. They are read as silence, so the figures describe
    /// the rest of the file, and the table and a warning say so.
    pub non_finite_samples: u64,
    /// Where the first NaN or infinite sample is, seconds from the start.
    pub first_non_finite_s: Option<f64>,
}

/// Progress of a long operation on a file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Progress {
    /// Decoding starts: the stream's rate and, if the container says, its length.
    Start {
        /// Sample rate.
        sample_rate_hz: u32,
        /// Frames announced by the container.
        expected_frames: Option<u64>,
    },
    /// This many more frames were processed.
    Advance(u64),
}

/// Decodes and measures a file, reporting [`Progress`].
pub fn analyze(
    path: &Path,
    display_name: &str,
    mut progress: impl FnMut(Progress),
) -> Result<Analysis> {
    let mut meter: Option<LoudnessMeter> = None;
    let mut rate = 0;
    let mut channels = 0;
    let mut frames_seen: u64 = 0;
    let mut non_finite: u64 = 0;
    let mut first_non_finite: Option<u64> = None;
    let mut cleaned: Vec<Vec<f32>> = Vec::new();
    let frames = decode_planar(path, |event| match event {
        DecodedPlanar::Info(info) => {
            rate = info.sample_rate_hz;
            channels = info.channels;
            meter = Some(LoudnessMeter::new(info.sample_rate_hz as f64, &info.roles));
            progress(Progress::Start {
                sample_rate_hz: info.sample_rate_hz,
                expected_frames: info.expected_frames,
            });
        }
        DecodedPlanar::Audio(planes) => {
            if let Some(m) = meter.as_mut() {
                let chunk_frames = planes.first().map_or(0, |p| p.len()) as u64;
                let first = planes
                    .iter()
                    .filter_map(|p| p.iter().position(|x| !x.is_finite()))
                    .min();
                match first {
                    // NaN or Inf would make every figure NaN or -inf: read them as silence.
                    Some(first) => {
                        first_non_finite.get_or_insert(frames_seen + first as u64);
                        cleaned.resize_with(planes.len(), Vec::new);
                        for (c, p) in cleaned.iter_mut().zip(planes.iter()) {
                            c.clear();
                            c.extend(p.iter().map(|&x| {
                                if x.is_finite() {
                                    x
                                } else {
                                    non_finite += 1;
                                    0.0
                                }
                            }));
                        }
                        let views: Vec<&[f32]> = cleaned.iter().map(|c| &c[..]).collect();
                        m.process(&views);
                    }
                    None => m.process(planes),
                }
                frames_seen += chunk_frames;
                progress(Progress::Advance(chunk_frames));
            }
        }
    })
    .with_context(|| display_name.to_owned())?;
    let meter = meter.ok_or_else(|| anyhow!("{display_name}: no audio"))?;
    Ok(Analysis {
        file: display_name.to_owned(),
        sample_rate_hz: rate,
        channels,
        duration_s: frames as f64 / rate as f64,
        loudness: meter.report().summary(),
        non_finite_samples: non_finite,
        first_non_finite_s: first_non_finite.map(|f| f as f64 / rate as f64),
    })
}

/// Formats an analysis as the readable table `lathe analyze` prints.
pub fn format_table(a: &Analysis) -> String {
    let v = |x: Option<f64>, unit: &str| match x {
        Some(x) => format!("{x:>7.1} {unit}"),
        None => format!("{:>7} {unit}", "-inf"),
    };
    format!(
        "{}\n  {} Hz, {} channel{}, {:.2} s\n  Integrated loudness  {}\n  Loudness range       {}\n  \
         True peak            {}\n  Sample peak          {}\n  Max momentary        {}\n  \
         Max short-term       {}\n  PLR                  {}\n",
        a.file,
        a.sample_rate_hz,
        a.channels,
        if a.channels == 1 { "" } else { "s" },
        a.duration_s,
        v(a.loudness.integrated_lufs, "LUFS"),
        match a.loudness.loudness_range_lu {
            Some(x) => format!("{x:>7.1} LU"),
            None => format!("{:>7} LU", "-"),
        },
        v(a.loudness.true_peak_dbtp, "dBTP"),
        v(a.loudness.sample_peak_dbfs, "dBFS"),
        v(a.loudness.max_momentary_lufs, "LUFS"),
        v(a.loudness.max_short_term_lufs, "LUFS"),
        match a.loudness.plr_db {
            Some(x) => format!("{x:>7.1} dB"),
            None => format!("{:>7} dB", "-"),
        },
    ) + &non_finite_line(a)
}

/// The table's line about NaN or infinite samples, empty when there were none.
fn non_finite_line(a: &Analysis) -> String {
    match a.first_non_finite_s {
        Some(at) => format!(
            "  NaN/Inf samples      {} (first at {at:.3} s), read as silence\n",
            a.non_finite_samples
        ),
        None => String::new(),
    }
}

/// A one-line warning about NaN or infinite samples, if the file had any.
pub fn non_finite_warning(a: &Analysis) -> Option<String> {
    a.first_non_finite_s.map(|at| {
        format!(
            "warning: {}: {} NaN or infinite samples (the first at {at:.3} s) were read as \
             silence; the figures describe the rest",
            a.file, a.non_finite_samples
        )
    })
}
