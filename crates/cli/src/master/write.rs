//! The delivery file: container, tags (validated ISRC and UPC/EAN), WAV and FLAC writing.

use super::loudness::Delivery;
use crate::quantize::{OutputBits, Quantizer};
use anyhow::{Result, bail};
use serde::Serialize;
use std::path::Path;

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
    /// The file extension of the container.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Wav => "wav",
            Self::Flac => "flac",
        }
    }

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

/// Metadata written into the delivery file (`null` in the JSON where absent).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tags {
    /// Track title: TITLE in Vorbis comments; INAM in a WAV file's RIFF INFO list and TIT2 in
    /// its ID3v2 chunk.
    pub title: Option<String>,
    /// Artist (ARTIST; IART and TPE1).
    pub artist: Option<String>,
    /// Album title: ALBUM in Vorbis comments; IPRD in the RIFF INFO list (its "product") and
    /// TALB in the ID3v2 chunk.
    pub album: Option<String>,
    /// International Standard Recording Code, 12 characters stored without hyphens: ISRC in
    /// Vorbis comments, TSRC in ID3v2 (never RIFF INFO, whose `ISRC` key means "source").
    pub isrc: Option<String>,
    /// UPC-A (12 digits) or EAN-13 (13 digits) barcode of the release (BARCODE; TXXX).
    pub upc: Option<String>,
    /// Track number and the album's track count (album mode; TRACKNUMBER, TRCK).
    pub track: Option<(u32, u32)>,
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

    pub(super) fn is_empty(&self) -> bool {
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
        if let Some((number, total)) = self.track {
            tag.set_track(number);
            tag.set_track_total(total);
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

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}

/// The delivered samples as the integers the file holds (16 or 24 bit).
fn integer_samples(d: &Delivery, bits: u16) -> Vec<i32> {
    let scale = (1u32 << (bits - 1)) as f32;
    let frames = d.samples[0].len();
    (0..frames)
        .flat_map(|i| d.samples.iter().map(move |c| (c[i] * scale) as i32))
        .collect()
}

/// A WAV file written while the delivery is made, piece by piece, straight into its staged
/// file (hound's streaming writer: the same bytes as writing the whole at once), so no
/// in-memory copy of the file is made and the kernel's copy into the page cache runs beside
/// the limiter instead of after it.
pub(super) struct WavStream {
    writer: hound::WavWriter<std::io::BufWriter<std::fs::File>>,
}

/// Bytes the WAV file's writer gathers per `write` call.
const WRITE_BUFFER: usize = 1 << 18;

impl WavStream {
    /// A WAV file at `path` (created or truncated) of `channels` at `sample_rate_hz` in the
    /// format of `quantizer`.
    pub(super) fn create(
        path: &Path,
        quantizer: &Quantizer,
        channels: usize,
        sample_rate_hz: u32,
    ) -> Result<Self> {
        let spec = quantizer.spec(channels as u16, sample_rate_hz);
        let file = std::fs::File::create(path)?;
        Ok(Self {
            writer: hound::WavWriter::new(
                std::io::BufWriter::with_capacity(WRITE_BUFFER, file),
                spec,
            )?,
        })
    }

    /// Appends requantised samples (planar), interleaved as the file holds them.
    pub(super) fn push(&mut self, quantizer: &Quantizer, piece: &[Vec<f32>]) -> Result<()> {
        let frames = piece.first().map_or(0, Vec::len);
        if quantizer.report().format.bits == OutputBits::Int16 {
            // hound's buffered 16-bit writer: one bounds check per frame instead of a call
            // per sample.
            let mut w16 = self.writer.get_i16_writer((frames * piece.len()) as u32);
            for i in 0..frames {
                for c in piece {
                    w16.write_sample(crate::quantize::int16(c[i]));
                }
            }
            w16.flush()?;
        } else {
            for i in 0..frames {
                for c in piece {
                    quantizer.write(&mut self.writer, c[i])?;
                }
            }
        }
        Ok(())
    }

    /// Finishes the file: its header's sizes filled in, everything flushed to it.
    pub(super) fn finish(self) -> Result<()> {
        self.writer.finalize()?;
        Ok(())
    }
}

/// Adds `tags` (RIFF INFO and ID3v2) to the finished WAV file at `path` (nothing when there
/// are none).
///
/// lofty writes a tag into a WAV file by reading the whole file into memory, appending the
/// tag's chunk at the end, adding its length to the RIFF size and writing the whole file
/// back: twice the file's size in fresh memory and two rewrites for two tags. The chunks it
/// appends do not depend on the audio, so lofty writes them into a WAV file of the same format
/// with no frames, and those bytes are appended here with the RIFF size patched: the same
/// file to the byte (a test holds it to lofty on the whole file).
pub(super) fn tag_wav(
    path: &Path,
    quantizer: &Quantizer,
    channels: usize,
    sample_rate_hz: u32,
    tags: &Tags,
) -> Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    if tags.is_empty() {
        return Ok(());
    }
    let mut empty = std::io::Cursor::new(Vec::new());
    hound::WavWriter::new(&mut empty, quantizer.spec(channels as u16, sample_rate_hz))?
        .finalize()?;
    let bare = empty.get_ref().len();
    let tagged = tag_wav_bytes(empty.into_inner(), tags)?;
    let riff_size = |b: &[u8]| u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
    let chunks = &tagged[bare..];
    if riff_size(&tagged) as usize != tagged.len() - 8 {
        bail!("the tag writer left the RIFF size inconsistent");
    }
    let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
    let len = file.seek(SeekFrom::End(0))?;
    let size = u32::try_from(len - 8 + chunks.len() as u64)
        .map_err(|_| anyhow::anyhow!("the tagged WAV file would pass 4 GiB"))?;
    file.write_all(chunks)?;
    file.seek(SeekFrom::Start(4))?;
    file.write_all(&size.to_le_bytes())?;
    file.flush()?;
    Ok(())
}

/// `bytes` (a WAV file) with `tags` written by lofty: RIFF INFO (title, artist, album only:
/// its ISRC key means "source") and ID3v2.
fn tag_wav_bytes(bytes: Vec<u8>, tags: &Tags) -> Result<Vec<u8>> {
    use lofty::config::WriteOptions;
    use lofty::tag::{Tag, TagExt, TagType};
    let mut file = std::io::Cursor::new(bytes);
    let mut info = Tag::new(TagType::RiffInfo);
    tags.fill(&mut info, false);
    if !info.is_empty() {
        file.set_position(0);
        info.save_to(&mut file, WriteOptions::default())?;
    }
    let mut id3 = Tag::new(TagType::Id3v2);
    tags.fill(&mut id3, true);
    file.set_position(0);
    id3.save_to(&mut file, WriteOptions::default())?;
    Ok(file.into_inner())
}

/// The SHA-256 of the file at `path`, hex, read back in pieces (from the page cache it was
/// just written to: no second copy of the file in memory).
pub(super) fn sha256_file(path: &Path) -> Result<String> {
    use sha2::Digest;
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of `d` as a FLAC file with `tags` (Vorbis comments).
pub(super) fn flac_bytes(d: &Delivery, tags: &Tags) -> Result<Vec<u8>> {
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
    let mut file = std::io::Cursor::new(sink.as_slice().to_vec());
    if !tags.is_empty() {
        use lofty::config::WriteOptions;
        use lofty::tag::{Tag, TagExt, TagType};
        let mut vorbis = Tag::new(TagType::VorbisComments);
        tags.fill(&mut vorbis, true);
        vorbis.save_to(&mut file, WriteOptions::default())?;
    }
    Ok(file.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quantize::{DitherMode, OutputFormat};

    /// The tag chunks appended to the streamed file make the file lofty makes when it tags the
    /// whole file, byte for byte: mono and stereo, every sample format, odd and even data
    /// lengths, each set of tags (INFO and ID3, ID3 alone).
    #[test]
    fn tags_appended_to_the_streamed_file_are_lofty_on_the_whole_file() {
        let dir = super::super::scratch("tag-wav");
        let path = dir.join("t.wav");
        let all = Tags {
            title: Some("Tïtle".into()),
            artist: Some("Artist".into()),
            album: Some("Album".into()),
            isrc: Some("GBAAA2600001".into()),
            upc: Some("036000291452".into()),
            track: Some((2, 9)),
        };
        let codes_only = Tags {
            isrc: Some("GBAAA2600001".into()),
            ..Tags::default()
        };
        let title_only = Tags {
            title: Some("odd".into()),
            ..Tags::default()
        };
        for bits in [OutputBits::Int16, OutputBits::Int24, OutputBits::Float32] {
            let dither = if bits == OutputBits::Float32 {
                DitherMode::Off
            } else {
                DitherMode::Tpdf
            };
            let quantizer = Quantizer::new(OutputFormat { bits, dither }, None);
            for channels in [1usize, 2] {
                for frames in [0usize, 1, 7, 1000] {
                    for tags in [&all, &codes_only, &title_only] {
                        let piece: Vec<Vec<f32>> = (0..channels)
                            .map(|c| {
                                (0..frames)
                                    .map(|i| ((i * 7 + c) % 13) as f32 * 0.05 - 0.3)
                                    .collect()
                            })
                            .collect();
                        let mut wav =
                            WavStream::create(&path, &quantizer, channels, 44_100).unwrap();
                        wav.push(&quantizer, &piece).unwrap();
                        wav.finish().unwrap();
                        let bare = std::fs::read(&path).unwrap();
                        let want = tag_wav_bytes(bare.clone(), tags).unwrap();
                        tag_wav(&path, &quantizer, channels, 44_100, tags).unwrap();
                        let got = std::fs::read(&path).unwrap();
                        assert!(got.len() > bare.len());
                        assert!(
                            got == want,
                            "{bits:?} {channels} ch {frames} frames {tags:?}: {} vs {} bytes",
                            got.len(),
                            want.len()
                        );
                    }
                }
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
