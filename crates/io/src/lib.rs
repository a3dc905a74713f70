//! `lathe-io`: reading audio files for the CLI and the plugins. [`decode`] streams any file
//! symphonia reads (WAV, AIFF, FLAC, ALAC, MP3, AAC in MP4, Ogg Vorbis), gaplessly, at its own rate and channel count;
//! [`read_key`] decodes a whole file into memory and [`KeyFile::at_rate`] resamples it (rubato).
//! Nothing here runs on an audio thread.

#![warn(missing_docs)]

use anyhow::{Result, anyhow, bail};
use lathe_dsp::analysis::loudness::ChannelRole;
use std::fs::File;
use std::path::Path;
use symphonia::core::audio::{Channels, SampleBuffer};
use symphonia::core::codecs::{self as codecs, CODEC_TYPE_NULL, CodecType, DecoderOptions};
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

/// The part of an MP4 audio track its edit list presents: the encoder's priming frames to drop
/// and the frames to keep after them (AAC's delay and padding; ISO 14496-12 § 8.6.6).
struct Mp4Edit {
    skip: u64,
    keep: Option<u64>,
}

/// Reads the edit list of an MP4/M4A file's first audio track with mp4parse (symphonia 0.5
/// parses it but does not apply it). `None` for other files, or when the track has no edit
/// or a timescale that is not the sample rate.
fn mp4_edit(path: &Path, sample_rate_hz: Option<u32>) -> Option<Mp4Edit> {
    use std::io::Read;
    let mut file = std::io::BufReader::new(File::open(path).ok()?);
    let mut head = [0u8; 8];
    file.read_exact(&mut head).ok()?;
    if &head[4..8] != b"ftyp" {
        return None;
    }
    let mut file = std::io::BufReader::new(File::open(path).ok()?);
    let context = mp4parse::read_mp4(&mut file).ok()?;
    let track = context
        .tracks
        .iter()
        .find(|t| t.track_type == mp4parse::TrackType::Audio)?;
    let timescale = track.timescale?.0;
    if Some(timescale) != sample_rate_hz.map(u64::from) {
        return None;
    }
    let skip = track.media_time.map_or(0, |t| t.0);
    let keep = track.duration.map(|d| d.0.saturating_sub(skip));
    Some(Mp4Edit { skip, keep })
}

/// What Lathe reads, for messages about what it does not.
const READABLE: &str = "WAV, AIFF, FLAC, ALAC, MP3, AAC (in .m4a/.mp4) and Ogg Vorbis";

/// The sentence for a stream whose codec has no decoder here, naming the codec.
fn unsupported_codec(codec: CodecType) -> anyhow::Error {
    let name = match codec {
        codecs::CODEC_TYPE_OPUS => "Opus",
        codecs::CODEC_TYPE_SPEEX => "Speex",
        codecs::CODEC_TYPE_MP1 => "MPEG-1 Layer I",
        codecs::CODEC_TYPE_MP2 => "MPEG-1 Layer II (MP2)",
        codecs::CODEC_TYPE_WMA => "Windows Media Audio",
        codecs::CODEC_TYPE_WAVPACK => "WavPack",
        codecs::CODEC_TYPE_MONKEYS_AUDIO => "Monkey's Audio",
        codecs::CODEC_TYPE_TTA => "TTA",
        codecs::CODEC_TYPE_MUSEPACK => "Musepack",
        codecs::CODEC_TYPE_EAC3 => "E-AC-3",
        codecs::CODEC_TYPE_AC4 => "AC-4",
        codecs::CODEC_TYPE_DCA => "DTS",
        codecs::CODEC_TYPE_ATRAC1
        | codecs::CODEC_TYPE_ATRAC3
        | codecs::CODEC_TYPE_ATRAC3PLUS
        | codecs::CODEC_TYPE_ATRAC9 => "ATRAC",
        codecs::CODEC_TYPE_ADPCM_G722
        | codecs::CODEC_TYPE_ADPCM_G726
        | codecs::CODEC_TYPE_ADPCM_G726LE
        | codecs::CODEC_TYPE_ADPCM_MS
        | codecs::CODEC_TYPE_ADPCM_IMA_WAV
        | codecs::CODEC_TYPE_ADPCM_IMA_QT => "ADPCM",
        _ => "",
    };
    if name.is_empty() {
        anyhow!(
            "its audio codec is not supported (Lathe reads {READABLE}); convert it to WAV or FLAC first"
        )
    } else {
        anyhow!(
            "{name} audio is not supported (Lathe reads {READABLE}); convert it to WAV or FLAC first"
        )
    }
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
    if path.is_dir() {
        bail!("is a directory, not an audio file");
    }
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
            // Gapless: drop the encoder delay and padding an MP3's LAME/Xing header or an Ogg
            // stream's granule positions announce, as ffmpeg does.
            &FormatOptions {
                enable_gapless: true,
                ..Default::default()
            },
            &MetadataOptions::default(),
        )
        .map_err(|e| match e {
            SymphoniaError::Unsupported(_) => {
                anyhow!("unsupported or unrecognised format (Lathe reads {READABLE})")
            }
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
        .map_err(|_| unsupported_codec(params.codec))?;

    let mut edit = mp4_edit(path, params.sample_rate);
    let expected_frames = edit.as_ref().and_then(|e| e.keep).or(params.n_frames);
    let mut info: Option<StreamInfo> =
        params
            .sample_rate
            .zip(params.channels)
            .map(|(sr, ch)| StreamInfo {
                sample_rate_hz: sr,
                channels: ch.count(),
                roles: roles_from_mask(ch),
                expected_frames,
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
                expected_frames,
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
        let ch = spec.channels.count().max(1);
        let mut samples = buf.samples();
        if let Some(edit) = &mut edit {
            let drop = (edit.skip as usize).min(samples.len() / ch);
            edit.skip -= drop as u64;
            samples = &samples[drop * ch..];
            if let Some(keep) = edit.keep {
                let n = (keep.saturating_sub(frames) as usize).min(samples.len() / ch);
                samples = &samples[..n * ch];
            }
        }
        if samples.is_empty() {
            continue;
        }
        frames += (samples.len() / ch) as u64;
        sink(Decoded::Audio(samples));
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

/// A file decoded into memory (a sidechain key, a reference track).
#[derive(Debug, Clone)]
pub struct KeyFile {
    /// Its sample rate, Hz.
    pub sample_rate_hz: u32,
    /// Its channels.
    pub planar: Vec<Vec<f32>>,
}

/// Decodes a whole file into memory, planar.
pub fn read_key(path: &Path) -> Result<KeyFile> {
    read_audio(path, |_| {})
}

/// [`read_key`], reporting progress (0 to 1) as it decodes when the container announces its
/// length.
pub fn read_audio(path: &Path, mut progress: impl FnMut(f32)) -> Result<KeyFile> {
    let mut rate = 0;
    let mut planar: Vec<Vec<f32>> = Vec::new();
    let mut expected = 0usize;
    decode(path, |event| match event {
        Decoded::Info(info) => {
            rate = info.sample_rate_hz;
            // Reserve what the container announces (capped, in case a header lies).
            expected = info.expected_frames.unwrap_or(0).min(1 << 28) as usize;
            planar = (0..info.channels)
                .map(|_| Vec::with_capacity(expected))
                .collect();
        }
        Decoded::Audio(samples) => {
            let channels = planar.len().max(1);
            let frames = samples.len() / channels;
            for (c, p) in planar.iter_mut().enumerate() {
                let start = p.len();
                p.resize(start + frames, 0.0);
                for (d, frame) in p[start..].iter_mut().zip(samples.chunks_exact(channels)) {
                    *d = frame[c];
                }
            }
            if expected > 0 {
                progress((planar[0].len() as f32 / expected as f32).min(1.0));
            }
        }
    })?;
    if planar.is_empty() || rate == 0 {
        bail!("no audio in the file");
    }
    Ok(KeyFile {
        sample_rate_hz: rate,
        planar,
    })
}

/// Frames per chunk handed to the analysis threads.
const ANALYSIS_CHUNK: usize = 32_768;

/// Decodes a file and analyses it ([`lathe_dsp::analysis::reference`], as Lathe Reference does) while it
/// decodes: the two analysis threads work on what is decoded so far. Loudness and peaks are
/// measured on every channel with its BS.1770 role, as `lathe analyze` measures them (mono as
/// one channel, 5.1 with weighted surrounds and no LFE); the spectrum and stereo figures on the
/// left/right pair (mono: the channel twice; surround: the front pair). With `keep_audio`, the
/// decoded audio is returned too, every channel as the file holds it
/// ([`KeyFile::into_stereo`] makes the pair). `progress` gets 0 to 1 when the container announces
/// its length.
pub fn analyze_file(
    path: &Path,
    keep_audio: bool,
    mut progress: impl FnMut(f32),
) -> Result<(lathe_dsp::analysis::reference::Analysis, Option<KeyFile>)> {
    use lathe_dsp::analysis::reference::StreamAnalyzer;
    let mut analyzer: Option<StreamAnalyzer> = None;
    let mut rate = 0;
    let mut channels = 0;
    let mut expected = 0usize;
    let mut chunk: Vec<Vec<f32>> = Vec::new();
    let mut kept: Vec<Vec<f32>> = Vec::new();
    let mut frames = 0usize;
    let hand_over = |a: &mut StreamAnalyzer,
                     chunk: &mut Vec<Vec<f32>>,
                     kept: &mut Vec<Vec<f32>>| {
        if keep_audio {
            for (k, c) in kept.iter_mut().zip(chunk.iter()) {
                k.extend_from_slice(c);
            }
        }
        let full = std::mem::replace(chunk, vec![Vec::with_capacity(ANALYSIS_CHUNK); chunk.len()]);
        a.push_channels(full);
    };
    decode(path, |event| match event {
        Decoded::Info(info) => {
            rate = info.sample_rate_hz;
            channels = info.channels.max(1);
            expected = info.expected_frames.unwrap_or(0).min(1 << 28) as usize;
            if keep_audio {
                kept = vec![Vec::with_capacity(expected); channels];
            }
            chunk = vec![Vec::with_capacity(ANALYSIS_CHUNK); channels];
            analyzer = Some(StreamAnalyzer::with_roles(rate as f64, &info.roles));
        }
        Decoded::Audio(samples) => {
            let Some(a) = analyzer.as_mut() else {
                return;
            };
            for frame in samples.chunks_exact(channels) {
                for (c, &x) in chunk.iter_mut().zip(frame) {
                    c.push(x);
                }
            }
            frames += samples.len() / channels;
            if chunk[0].len() >= ANALYSIS_CHUNK {
                hand_over(a, &mut chunk, &mut kept);
            }
            if expected > 0 {
                progress((frames as f32 / expected as f32).min(1.0));
            }
        }
    })?;
    let mut a = analyzer.ok_or_else(|| anyhow!("no audio in the file"))?;
    if frames == 0 {
        bail!("no audio in the file");
    }
    hand_over(&mut a, &mut chunk, &mut kept);
    let analysis = a.finish().map_err(|e| anyhow!(e))?;
    let audio = keep_audio.then_some(KeyFile {
        sample_rate_hz: rate,
        planar: kept,
    });
    Ok((analysis, audio))
}

impl KeyFile {
    /// Left and right: mono is doubled; of more channels, the first two (front left and
    /// right) are kept.
    pub fn into_stereo(self) -> [Vec<f32>; 2] {
        let mut planar = self.planar;
        let right = if planar.len() > 1 {
            planar.swap_remove(1)
        } else {
            planar[0].clone()
        };
        [planar.swap_remove(0), right]
    }

    /// The audio at `sample_rate_hz`: as is, or resampled (rubato's FFT resampler).
    pub fn at_rate(self, sample_rate_hz: u32) -> Result<Vec<Vec<f32>>> {
        use rubato::Resampler;
        use rubato::audioadapter::Adapter;
        use rubato::audioadapter_buffers::direct::SequentialSliceOfVecs;
        if self.sample_rate_hz == sample_rate_hz {
            return Ok(self.planar);
        }
        let channels = self.planar.len();
        let len = self.planar[0].len();
        let mut resampler = rubato::Fft::<f32>::new(
            self.sample_rate_hz as usize,
            sample_rate_hz as usize,
            1024,
            channels,
            rubato::FixedSync::Input,
        )
        .map_err(|e| anyhow!("cannot resample: {e}"))?;
        let input = SequentialSliceOfVecs::new(&self.planar, channels, len)
            .map_err(|e| anyhow!("cannot resample: {e}"))?;
        let out = resampler
            .process_all(&input, len, None)
            .map_err(|e| anyhow!("cannot resample: {e}"))?;
        let frames = out.frames();
        Ok((0..channels)
            .map(|c| {
                (0..frames)
                    .map(|i| out.read_sample(c, i).unwrap_or(0.0))
                    .collect()
            })
            .collect())
    }
}
