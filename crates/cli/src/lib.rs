//! The `lathe` command line's library: decoding audio files and running Lathe's DSP on them.
//!
//! [`decode`] streams any file symphonia can read (WAV, FLAC, MP3, Ogg Vorbis, AIFF) at its own
//! sample rate and channel count; [`analyze`] measures it with [`lathe_dsp::LoudnessMeter`];
//! [`render`] runs a file through a plugin's signal path; [`matching`] holds a mix against
//! references (`lathe match`).

#![warn(missing_docs)]

pub mod matching;
pub mod render;

use anyhow::{Context, Result, anyhow, bail};
use lathe_dsp::LoudnessMeter;
use lathe_dsp::loudness::ChannelRole;
use serde::Serialize;
use std::fs::File;
use std::path::Path;
use symphonia::core::audio::{Channels, SampleBuffer};
use symphonia::core::codecs::{CODEC_TYPE_NULL, DecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

/// What a decoder learned about a stream before decoding it.
#[derive(Debug, Clone)]
pub struct StreamInfo {
    /// Sample rate.
    pub sample_rate_hz: u32,
    /// Channel count.
    pub channels: usize,
    /// BS.1770 roles of the channels (from the file's channel mask when it has one).
    pub roles: Vec<ChannelRole>,
    /// Frames the container announces, if it does.
    pub expected_frames: Option<u64>,
}

fn roles_from_mask(mask: Channels) -> Vec<ChannelRole> {
    let count = mask.count();
    if count <= 2 {
        return ChannelRole::for_channel_count(count);
    }
    mask.iter()
        .map(|c| {
            if c == Channels::FRONT_LEFT {
                ChannelRole::Left
            } else if c == Channels::FRONT_RIGHT {
                ChannelRole::Right
            } else if c == Channels::FRONT_CENTRE {
                ChannelRole::Center
            } else if c == Channels::LFE1 || c == Channels::LFE2 {
                ChannelRole::Lfe
            } else if c == Channels::REAR_LEFT || c == Channels::SIDE_LEFT {
                ChannelRole::LeftSurround
            } else if c == Channels::REAR_RIGHT || c == Channels::SIDE_RIGHT {
                ChannelRole::RightSurround
            } else {
                ChannelRole::Other
            }
        })
        .collect()
}

/// What [`decode`] hands its callback.
#[derive(Debug)]
pub enum Decoded<'a> {
    /// The stream's format, once, before any audio.
    Info(&'a StreamInfo),
    /// Interleaved `f32` frames.
    Audio(&'a [f32]),
}

/// Decodes a file, calling `sink` once with [`Decoded::Info`] and then with the audio as it is
/// decoded. Returns the number of frames decoded.
///
/// Errors name the reason: unreadable file, unsupported format or codec, corrupt data, or a
/// file shorter than its header says (truncated).
pub fn decode(path: &Path, mut sink: impl FnMut(Decoded)) -> Result<u64> {
    let file = File::open(path).map_err(|e| anyhow!("cannot open: {e}"))?;
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            stream,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .map_err(|e| match e {
            SymphoniaError::Unsupported(_) => anyhow!("unsupported or unrecognised format"),
            other => anyhow!("cannot read: {other}"),
        })?;
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| anyhow!("no audio track"))?;
    let track_id = track.id;
    let params = track.codec_params.clone();
    let mut decoder = symphonia::default::get_codecs()
        .make(&params, &DecoderOptions::default())
        .map_err(|e| anyhow!("unsupported codec: {e}"))?;

    let mut info: Option<StreamInfo> =
        params
            .sample_rate
            .zip(params.channels)
            .map(|(sr, ch)| StreamInfo {
                sample_rate_hz: sr,
                channels: ch.count(),
                roles: roles_from_mask(ch),
                expected_frames: params.n_frames,
            });
    if let Some(i) = &info {
        sink(Decoded::Info(i));
    }

    let mut frames = 0u64;
    let mut buffer: Option<SampleBuffer<f32>> = None;
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                break;
            }
            Err(SymphoniaError::ResetRequired) => bail!("stream changes format midway"),
            Err(e) => bail!("corrupt data: {e}"),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(d) => d,
            // A damaged packet in a lossy stream: skip it as players do.
            Err(SymphoniaError::DecodeError(_)) => continue,
            Err(e) => bail!("cannot decode: {e}"),
        };
        if info.is_none() {
            let spec = decoded.spec();
            let i = StreamInfo {
                sample_rate_hz: spec.rate,
                channels: spec.channels.count(),
                roles: roles_from_mask(spec.channels),
                expected_frames: params.n_frames,
            };
            sink(Decoded::Info(&i));
            info = Some(i);
        }
        let spec = *decoded.spec();
        let needed = decoded.capacity() as u64;
        let buf = match &mut buffer {
            Some(b) if b.capacity() as u64 >= needed => b,
            _ => buffer.insert(SampleBuffer::new(needed, spec)),
        };
        buf.copy_interleaved_ref(decoded);
        frames += (buf.samples().len() / spec.channels.count().max(1)) as u64;
        sink(Decoded::Audio(buf.samples()));
    }
    let info = info.ok_or_else(|| anyhow!("no audio in the file"))?;
    if let Some(expected) = info.expected_frames {
        // Lossy codecs may report a few frames of padding; PCM must be complete.
        let missing = expected.saturating_sub(frames);
        if missing > expected / 1000 + 4096 {
            bail!(
                "truncated: the header announces {expected} frames but only {frames} are present"
            );
        }
    }
    Ok(frames)
}

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
    /// Integrated loudness, LUFS.
    pub integrated_lufs: Option<f64>,
    /// Loudness range, LU.
    pub loudness_range_lu: Option<f64>,
    /// True peak, dBTP.
    pub true_peak_dbtp: Option<f64>,
    /// Sample peak, dBFS.
    pub sample_peak_dbfs: Option<f64>,
    /// Largest momentary loudness, LUFS.
    pub max_momentary_lufs: Option<f64>,
    /// Largest short-term loudness, LUFS.
    pub max_short_term_lufs: Option<f64>,
    /// Peak-to-loudness ratio, dB.
    pub plr_db: Option<f64>,
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
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
    let frames = decode(path, |event| match event {
        Decoded::Info(info) => {
            rate = info.sample_rate_hz;
            channels = info.channels;
            meter = Some(LoudnessMeter::new(info.sample_rate_hz as f64, &info.roles));
            progress(Progress::Start {
                sample_rate_hz: info.sample_rate_hz,
                expected_frames: info.expected_frames,
            });
        }
        Decoded::Audio(samples) => {
            if let Some(m) = meter.as_mut() {
                m.process_interleaved(samples);
                progress(Progress::Advance((samples.len() / channels.max(1)) as u64));
            }
        }
    })
    .with_context(|| display_name.to_owned())?;
    let meter = meter.ok_or_else(|| anyhow!("{display_name}: no audio"))?;
    let r = meter.report();
    let integrated = finite(r.integrated_lufs);
    Ok(Analysis {
        file: display_name.to_owned(),
        sample_rate_hz: rate,
        channels,
        duration_s: frames as f64 / rate as f64,
        integrated_lufs: integrated,
        loudness_range_lu: integrated.map(|_| r.loudness_range_lu),
        true_peak_dbtp: finite(r.true_peak_dbtp),
        sample_peak_dbfs: finite(r.sample_peak_dbfs),
        max_momentary_lufs: finite(r.max_momentary_lufs),
        max_short_term_lufs: finite(r.max_short_term_lufs),
        plr_db: finite(r.plr_db),
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
        v(a.integrated_lufs, "LUFS"),
        match a.loudness_range_lu {
            Some(x) => format!("{x:>7.1} LU"),
            None => format!("{:>7} LU", "-"),
        },
        v(a.true_peak_dbtp, "dBTP"),
        v(a.sample_peak_dbfs, "dBFS"),
        v(a.max_momentary_lufs, "LUFS"),
        v(a.max_short_term_lufs, "LUFS"),
        match a.plr_db {
            Some(x) => format!("{x:>7.1} dB"),
            None => format!("{:>7} dB", "-"),
        },
    )
}
