//! `lathe-io`: reading audio files for the CLI and the plugins. [`decode`] streams any file
//! symphonia reads (WAV, AIFF, FLAC, ALAC, MP3, AAC in MP4, Ogg Vorbis), gaplessly, at its own rate and channel count;
//! [`read_key`] decodes a whole file into memory and [`KeyFile::at_rate`] resamples it (rubato).
//! Nothing here runs on an audio thread.

#![warn(missing_docs)]

use anyhow::{Result, anyhow, bail};
use lathe_dsp::analysis::loudness::ChannelRole;
use std::fs::File;
use std::path::Path;
use symphonia::core::audio::{AudioBuffer, AudioBufferRef, Channels, Signal};
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

/// What [`decode_planar`] hands its callback.
#[derive(Debug)]
pub enum DecodedPlanar<'a> {
    /// The stream's format, once, before any audio.
    Info(&'a StreamInfo),
    /// `f32` frames, one slice per channel (all of one length).
    Audio(&'a [&'a [f32]]),
}

/// Decodes a file, calling `sink` once with [`Decoded::Info`] and then with the audio as it is
/// decoded, interleaved. Returns the number of frames decoded.
///
/// Errors name the reason: unreadable file, unsupported format or codec, corrupt data, or a
/// file shorter than its header says (truncated).
pub fn decode(path: &Path, mut sink: impl FnMut(Decoded)) -> Result<u64> {
    let mut interleaved: Vec<f32> = Vec::new();
    decode_planar(path, |event| match event {
        DecodedPlanar::Info(info) => sink(Decoded::Info(info)),
        DecodedPlanar::Audio(planes) => {
            let frames = planes.first().map_or(0, |p| p.len());
            interleaved.clear();
            interleaved.extend((0..frames).flat_map(|i| planes.iter().map(move |p| p[i])));
            sink(Decoded::Audio(&interleaved));
        }
    })
}

/// [`decode`] handing the audio on planar, as the decoder makes it (symphonia's conversion of
/// each sample to `f32`; [`decode`] interleaves these): no interleaving for a caller that
/// would take it apart again.
pub fn decode_planar(path: &Path, mut sink: impl FnMut(DecodedPlanar)) -> Result<u64> {
    let mut buffer: Option<AudioBuffer<f32>> = None;
    decode_packets(path, |packet| match packet {
        Packet::Info(info) => sink(DecodedPlanar::Info(info)),
        Packet::Audio(decoded, frames) => {
            let spec = *decoded.spec();
            let buf = match &mut buffer {
                Some(b) if b.capacity() >= decoded.capacity() && *b.spec() == spec => b,
                _ => buffer.insert(AudioBuffer::new(decoded.capacity() as u64, spec)),
            };
            decoded.convert(buf);
            let planes: Vec<&[f32]> = (0..spec.channels.count())
                .map(|c| &buf.chan(c)[frames.clone()])
                .collect();
            sink(DecodedPlanar::Audio(&planes));
        }
    })
}

/// What [`decode_packets`] hands on: the format, then each decoded packet with the frames of
/// it to keep (gapless trimming applied).
enum Packet<'a> {
    Info(&'a StreamInfo),
    Audio(AudioBufferRef<'a>, std::ops::Range<usize>),
}

/// The decoding loop of [`decode_planar`].
fn decode_packets(path: &Path, mut sink: impl FnMut(Packet)) -> Result<u64> {
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
        sink(Packet::Info(i));
    }

    let mut frames = 0u64;
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
            sink(Packet::Info(&i));
            info = Some(i);
        }
        let mut keep = 0..decoded.frames();
        if let Some(edit) = &mut edit {
            let drop = (edit.skip as usize).min(keep.len());
            edit.skip -= drop as u64;
            keep.start += drop;
            if let Some(k) = edit.keep {
                let n = (k.saturating_sub(frames) as usize).min(keep.len());
                keep.end = keep.start + n;
            }
        }
        if keep.is_empty() || decoded.spec().channels.count() == 0 {
            continue;
        }
        frames += keep.len() as u64;
        sink(Packet::Audio(decoded, keep));
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
    decode_planar(path, |event| match event {
        DecodedPlanar::Info(info) => {
            rate = info.sample_rate_hz;
            // Reserve what the container announces (capped, in case a header lies).
            expected = info.expected_frames.unwrap_or(0).min(1 << 28) as usize;
            planar = (0..info.channels)
                .map(|_| Vec::with_capacity(expected))
                .collect();
        }
        DecodedPlanar::Audio(channels) => {
            extend_planar(&mut planar, channels);
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
    progress: impl FnMut(f32),
) -> Result<(lathe_dsp::analysis::reference::Analysis, Option<KeyFile>)> {
    analyze_file_with(path, keep_audio, progress, |_, _| {})
}

/// [`analyze_file`], handing every chunk of the decoded audio (one `Vec` per channel, in
/// order) with the sample rate to `each_chunk` as well, on a thread of its own that also
/// gathers the kept audio: work on the samples that runs beside the decoding and the
/// analysis instead of after them.
pub fn analyze_file_with(
    path: &Path,
    keep_audio: bool,
    mut progress: impl FnMut(f32),
    mut each_chunk: impl FnMut(u32, &[Vec<f32>]) + Send,
) -> Result<(lathe_dsp::analysis::reference::Analysis, Option<KeyFile>)> {
    use lathe_dsp::analysis::reference::{Chunk, StreamAnalyzer};
    // The rate and the announced length, set before the first chunk is sent.
    let format: std::sync::OnceLock<(u32, usize)> = std::sync::OnceLock::new();
    std::thread::scope(|scope| {
        let (to_keeper, chunks) = std::sync::mpsc::sync_channel::<Chunk>(4);
        let format = &format;
        let keeper = scope.spawn(move || {
            let mut kept: Vec<Vec<f32>> = Vec::new();
            for chunk in chunks {
                let &(rate, expected) = format.get().expect("the format comes before the audio");
                if keep_audio {
                    if kept.is_empty() {
                        kept = (0..chunk.len())
                            .map(|_| Vec::with_capacity(expected))
                            .collect();
                    }
                    extend_planar(&mut kept, &chunk);
                }
                each_chunk(rate, &chunk);
            }
            kept
        });
        let mut analyzer: Option<StreamAnalyzer> = None;
        let mut rate = 0;
        let mut channels = 0;
        let mut expected = 0usize;
        let mut chunk: Vec<Vec<f32>> = Vec::new();
        let mut frames = 0usize;
        let hand_over = move |a: &mut StreamAnalyzer, chunk: &mut Vec<Vec<f32>>| {
            let fresh = vec![Vec::with_capacity(ANALYSIS_CHUNK); chunk.len()];
            let full: Chunk = std::sync::Arc::new(std::mem::replace(chunk, fresh));
            a.push_chunk(full.clone());
            // The keeper only goes away when it failed, which its join reports.
            let _ = to_keeper.send(full);
        };
        decode_planar(path, |event| match event {
            DecodedPlanar::Info(info) => {
                rate = info.sample_rate_hz;
                channels = info.channels.max(1);
                expected = info.expected_frames.unwrap_or(0).min(1 << 28) as usize;
                let _ = format.set((rate, expected));
                chunk = vec![Vec::with_capacity(ANALYSIS_CHUNK); channels];
                analyzer = Some(StreamAnalyzer::with_roles(rate as f64, &info.roles));
            }
            DecodedPlanar::Audio(planes) => {
                let Some(a) = analyzer.as_mut() else {
                    return;
                };
                extend_planar(&mut chunk, planes);
                frames += planes.first().map_or(0, |p| p.len());
                if chunk[0].len() >= ANALYSIS_CHUNK {
                    hand_over(a, &mut chunk);
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
        hand_over(&mut a, &mut chunk);
        // Its sender gone, the keeper finishes.
        drop(hand_over);
        let kept = keeper
            .join()
            .map_err(|_| anyhow!("the decoded audio could not be kept"))?;
        let analysis = a.finish().map_err(|e| anyhow!(e))?;
        let audio = keep_audio.then_some(KeyFile {
            sample_rate_hz: rate,
            planar: kept,
        });
        Ok((analysis, audio))
    })
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

    /// The audio at `sample_rate_hz`: as is, or resampled (rubato's FFT resampler, see
    /// [`StreamResampler`]).
    pub fn at_rate(self, sample_rate_hz: u32) -> Result<Vec<Vec<f32>>> {
        if self.sample_rate_hz == sample_rate_hz {
            return Ok(self.planar);
        }
        let channels = self.planar.len();
        let len = self.planar.first().map_or(0, |c| c.len());
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); channels];
        let mut keep = |piece: Vec<Vec<f32>>| extend_planar(&mut out, &piece);
        let mut resampler =
            StreamResampler::new(self.sample_rate_hz, sample_rate_hz, channels, len)?;
        let slices: Vec<&[f32]> = self.planar.iter().map(|c| &c[..]).collect();
        resampler.push(&slices, &mut keep)?;
        resampler.finish(&mut keep)?;
        Ok(out)
    }
}

/// Appends `piece` (one slice per channel) to the channels of `out`.
pub fn extend_planar<S: AsRef<[f32]>>(out: &mut [Vec<f32>], piece: &[S]) {
    for (o, p) in out.iter_mut().zip(piece) {
        o.extend_from_slice(p.as_ref());
    }
}

/// Input frames per call of the FFT resampler.
const RESAMPLER_CHUNK: usize = 1024;

/// Resamples a recording of known length as it comes, piece by piece, with rubato's FFT
/// resampler: the same samples as rubato's `process_all` over the whole recording (its
/// startup delay trimmed, `ceil(ratio x length)` frames out), so a pipeline can resample
/// while the stage before it still runs.
pub struct StreamResampler {
    resampler: rubato::Fft<f32>,
    channels: usize,
    /// Input not yet resampled.
    pending: Vec<Vec<f32>>,
    /// Frames of the whole input not yet resampled.
    frames_left: usize,
    /// One call's output.
    scratch: Vec<Vec<f32>>,
    /// Output frames of the startup delay still to drop.
    to_skip: usize,
    /// Output frames still to hand on.
    to_emit: usize,
}

impl std::fmt::Debug for StreamResampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamResampler")
            .field("channels", &self.channels)
            .field("frames_left", &self.frames_left)
            .field("to_emit", &self.to_emit)
            .finish_non_exhaustive()
    }
}

impl StreamResampler {
    /// A resampler from `from_hz` to `to_hz` for `channels` and `input_frames` frames in
    /// all.
    pub fn new(from_hz: u32, to_hz: u32, channels: usize, input_frames: usize) -> Result<Self> {
        use rubato::Resampler;
        let resampler = rubato::Fft::<f32>::new(
            from_hz as usize,
            to_hz as usize,
            RESAMPLER_CHUNK,
            channels,
            rubato::FixedSync::Input,
        )
        .map_err(|e| anyhow!("cannot resample: {e}"))?;
        let to_emit = (resampler.resample_ratio() * input_frames as f64).ceil() as usize;
        Ok(Self {
            to_skip: resampler.output_delay(),
            scratch: vec![vec![0.0; resampler.output_frames_max()]; channels],
            resampler,
            channels,
            pending: vec![Vec::new(); channels],
            frames_left: input_frames,
            to_emit,
        })
    }

    /// Feeds the next input frames (every channel, equal lengths); `sink` gets the output
    /// that is ready.
    pub fn push(&mut self, input: &[&[f32]], sink: &mut impl FnMut(Vec<Vec<f32>>)) -> Result<()> {
        extend_planar(&mut self.pending, input);
        // As process_all: whole chunks while more than one chunk is left, then the rest.
        let mut used = 0;
        while self.frames_left > RESAMPLER_CHUNK && self.pending[0].len() - used >= RESAMPLER_CHUNK
        {
            self.run(used, None, sink)?;
            used += RESAMPLER_CHUNK;
            self.frames_left -= RESAMPLER_CHUNK;
        }
        for p in &mut self.pending {
            p.drain(..used);
        }
        Ok(())
    }

    /// Resamples what is left (all input must have been pushed) and hands on the rest.
    pub fn finish(mut self, sink: &mut impl FnMut(Vec<Vec<f32>>)) -> Result<()> {
        if self.frames_left > 0 {
            let n = self.frames_left.min(self.pending[0].len());
            self.run(0, Some(n), sink)?;
        }
        while self.to_emit > 0 {
            self.run(0, Some(0), sink)?;
        }
        Ok(())
    }

    /// One call of the resampler on the pending input from `offset`.
    fn run(
        &mut self,
        offset: usize,
        partial: Option<usize>,
        sink: &mut impl FnMut(Vec<Vec<f32>>),
    ) -> Result<()> {
        use rubato::Resampler;
        use rubato::audioadapter_buffers::direct::SequentialSliceOfVecs;
        let err = |e: &dyn std::fmt::Display| anyhow!("cannot resample: {e}");
        let frames = self.pending[0].len().max(offset + RESAMPLER_CHUNK);
        for p in &mut self.pending {
            // Room for a whole chunk; what partial_len leaves out is never read.
            p.resize(frames, 0.0);
        }
        let valid = self.pending[0].len();
        let input =
            SequentialSliceOfVecs::new(&self.pending, self.channels, valid).map_err(|e| err(&e))?;
        let out_frames = self.scratch[0].len();
        let mut output =
            SequentialSliceOfVecs::new_mut(&mut self.scratch, self.channels, out_frames)
                .map_err(|e| err(&e))?;
        let indexing = rubato::Indexing {
            input_offset: offset,
            output_offset: 0,
            active_channels_mask: None,
            partial_len: partial,
        };
        let (_, produced) = self
            .resampler
            .process_into_buffer(&input, &mut output, Some(&indexing))
            .map_err(|e| err(&e))?;
        let skip = self.to_skip.min(produced);
        self.to_skip -= skip;
        let take = (produced - skip).min(self.to_emit);
        self.to_emit -= take;
        if take > 0 {
            sink(
                self.scratch
                    .iter()
                    .map(|c| c[skip..skip + take].to_vec())
                    .collect(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use symphonia::core::audio::SampleBuffer;

    /// Symphonia's own interleaved decoding of a whole file (`SampleBuffer`), gapless as
    /// [`decode`] asks for it: what `decode` handed on before it was built on the planar path.
    fn symphonia_interleaved(path: &Path) -> Vec<f32> {
        let stream =
            MediaSourceStream::new(Box::new(File::open(path).unwrap()), Default::default());
        let options = FormatOptions {
            enable_gapless: true,
            ..Default::default()
        };
        let probe = symphonia::default::get_probe();
        let mut format = probe
            .format(&Hint::new(), stream, &options, &MetadataOptions::default())
            .unwrap()
            .format;
        let track = format.default_track().unwrap();
        let id = track.id;
        let codecs = symphonia::default::get_codecs();
        let mut decoder = codecs
            .make(&track.codec_params, &DecoderOptions::default())
            .unwrap();
        let mut out = Vec::new();
        while let Ok(packet) = format.next_packet() {
            if packet.track_id() == id {
                let decoded = decoder.decode(&packet).unwrap();
                let mut b = SampleBuffer::<f32>::new(decoded.capacity() as u64, *decoded.spec());
                b.copy_interleaved_ref(decoded);
                out.extend_from_slice(b.samples());
            }
        }
        out
    }

    /// The planar decoding, and `decode` interleaving it, hand on exactly the samples
    /// symphonia's own interleaved decoding gives (bit for bit, same frame count): PCM (a
    /// 24-bit WAV of odd length), FLAC, MP3 (LAME gapless), Ogg Vorbis and ALAC.
    #[test]
    fn planar_decoding_is_symphonias_decoding() {
        let fixtures =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/tests/fixtures");
        // A 24-bit stereo WAV of an odd length, written out here byte by byte.
        let frames = 10_001u32;
        let mut wav = Vec::new();
        wav.extend_from_slice(b"RIFF");
        wav.extend_from_slice(&(36 + 6 * frames).to_le_bytes());
        wav.extend_from_slice(b"WAVEfmt ");
        // Chunk size, PCM + 2 channels, rate, bytes per second, block align + 24 bits.
        for v in [16u32, 0x0002_0001, 44_100, 44_100 * 6, 0x0018_0006] {
            wav.extend_from_slice(&v.to_le_bytes());
        }
        wav.extend_from_slice(b"data");
        wav.extend_from_slice(&(6 * frames).to_le_bytes());
        for i in 0..2 * frames {
            let v = ((i as i64 * 7919) % 16_000_000 - 8_000_000) as i32;
            wav.extend_from_slice(&v.to_le_bytes()[..3]);
        }
        let dir = std::env::temp_dir().join(format!("lathe-planar-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("pcm24.wav"), &wav).unwrap();
        for path in [
            dir.join("pcm24.wav"),
            fixtures.join("tone-23.flac"),
            fixtures.join("tone-23.mp3"),
            fixtures.join("tone-23.ogg"),
            fixtures.join("tone-23-alac.m4a"),
        ] {
            let name = path.display().to_string();
            let want = symphonia_interleaved(&path);
            let mut interleaved = Vec::new();
            let mut channels = 0;
            let frames = decode(&path, |e| match e {
                Decoded::Info(i) => channels = i.channels,
                Decoded::Audio(s) => interleaved.extend_from_slice(s),
            })
            .unwrap();
            let mut planar = Vec::new();
            let planar_frames = decode_planar(&path, |e| {
                if let DecodedPlanar::Audio(planes) = e {
                    assert_eq!(planes.len(), channels, "{name}");
                    let n = planes[0].len();
                    planar.extend((0..n * channels).map(|k| planes[k % channels][k / channels]));
                }
            })
            .unwrap();
            assert!(frames > 0, "{name}");
            assert_eq!(planar_frames, frames, "{name}");
            assert_eq!(want.len(), frames as usize * channels, "{name}");
            let bits = |x: &[f32]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert!(bits(&interleaved) == bits(&want), "{name}: decode");
            assert!(bits(&planar) == bits(&want), "{name}: decode_planar");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// rubato's own whole-clip driver, as `at_rate` called it before it streamed.
    fn process_all(x: &[Vec<f32>], from: u32, to: u32) -> Vec<Vec<f32>> {
        use rubato::Resampler;
        use rubato::audioadapter::Adapter;
        use rubato::audioadapter_buffers::direct::SequentialSliceOfVecs;
        let channels = x.len();
        let len = x[0].len();
        let mut r = rubato::Fft::<f32>::new(
            from as usize,
            to as usize,
            RESAMPLER_CHUNK,
            channels,
            rubato::FixedSync::Input,
        )
        .unwrap();
        let input = SequentialSliceOfVecs::new(x, channels, len).unwrap();
        let out = r.process_all(&input, len, None).unwrap();
        (0..channels)
            .map(|c| {
                (0..out.frames())
                    .map(|i| out.read_sample(c, i).unwrap())
                    .collect()
            })
            .collect()
    }

    /// Streamed in any pieces, the resampler gives exactly what rubato's `process_all` gives
    /// for the whole clip: clips shorter than a chunk, exactly whole chunks, one frame more,
    /// and long ones, up and down in rate.
    #[test]
    fn streaming_resampling_equals_rubatos_whole_clip_resampling() {
        for (from, to) in [(48_000, 44_100), (44_100, 96_000)] {
            for len in [100usize, 1024, 1025, 4096, 30_001] {
                let x: Vec<Vec<f32>> = (0..2)
                    .map(|c| {
                        (0..len)
                            .map(|i| ((i * (7 + c)) % 113) as f32 / 113.0 - 0.5)
                            .collect()
                    })
                    .collect();
                let whole = process_all(&x, from, to);
                for piece in [1usize, 333, 1024, 5000, len] {
                    let mut out: Vec<Vec<f32>> = vec![Vec::new(); 2];
                    let mut keep = |p: Vec<Vec<f32>>| extend_planar(&mut out, &p);
                    let mut r = StreamResampler::new(from, to, 2, len).unwrap();
                    let mut at = 0;
                    while at < len {
                        let n = piece.min(len - at);
                        r.push(&[&x[0][at..at + n], &x[1][at..at + n]], &mut keep)
                            .unwrap();
                        at += n;
                    }
                    r.finish(&mut keep).unwrap();
                    assert!(
                        out == whole,
                        "{from} -> {to} Hz, {len} frames in pieces of {piece}: {} frames, \
                         process_all {}",
                        out[0].len(),
                        whole[0].len()
                    );
                }
            }
        }
    }
}
