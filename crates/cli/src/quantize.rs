//! The last step of every file Lathe writes: the sample format (`--bits`), requantisation to
//! integer with TPDF dither by default (`--dither off|tpdf|shaped`), and an honest count of the
//! samples that had to be clipped to full scale.
//!
//! Dither is [`lathe_dsp::color::dither::Dither`], the Limiter's own (TPDF of 2 LSB peak-to-peak,
//! Lipshitz, Wannamaker & Vanderkooy, JAES 40(5), 1992; optional F-weighted noise shaping,
//! Wannamaker, JAES 40(7/8), 1992), seeded the same way on every run, so the same input gives
//! the same bytes. Rounding without dither puts all the error of a quiet tone into harmonics
//! (a -60 dBFS tone at 16 bits: H3 at -117 dBFS); with TPDF the error is a steady noise floor.

use anyhow::{Result, bail};
use lathe_dsp::Block;
use lathe_dsp::color::dither::{Dither, DitherDepth, DitherSettings};

/// Sample format of the written file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputBits {
    /// 32-bit float WAV (default).
    Float32,
    /// 24-bit integer WAV.
    Int24,
    /// 16-bit integer WAV.
    Int16,
}

impl OutputBits {
    /// From `--bits`: 16, 24 or 32.
    pub fn from_bits(bits: u16) -> Result<Self> {
        match bits {
            32 => Ok(OutputBits::Float32),
            24 => Ok(OutputBits::Int24),
            16 => Ok(OutputBits::Int16),
            other => bail!("--bits must be 16, 24 or 32, not {other}"),
        }
    }

    /// Bits per sample.
    pub fn bits(self) -> u16 {
        match self {
            OutputBits::Float32 => 32,
            OutputBits::Int24 => 24,
            OutputBits::Int16 => 16,
        }
    }

    /// Whether samples are integers (and so clip at full scale and need dither).
    pub fn is_integer(self) -> bool {
        self != OutputBits::Float32
    }
}

/// How integer output is requantised (`--dither`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DitherMode {
    /// Plain rounding: the error follows the signal (harmonic distortion on quiet material).
    Off,
    /// TPDF dither, 2 LSB peak-to-peak: a flat, signal-independent noise floor (default).
    Tpdf,
    /// TPDF dither with F-weighted noise shaping: less noise where hearing is most sensitive.
    Shaped,
}

impl DitherMode {
    /// The name used on the command line and in summaries.
    pub fn name(self) -> &'static str {
        match self {
            DitherMode::Off => "off",
            DitherMode::Tpdf => "tpdf",
            DitherMode::Shaped => "shaped",
        }
    }
}

/// The written file's sample format and how it is requantised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputFormat {
    /// Sample format.
    pub bits: OutputBits,
    /// Requantisation (only [`DitherMode::Off`] with float output).
    pub dither: DitherMode,
}

impl OutputFormat {
    /// 32-bit float: written as computed.
    pub const FLOAT32: Self = Self {
        bits: OutputBits::Float32,
        dither: DitherMode::Off,
    };

    /// From `--bits` and `--dither`: integer output is TPDF-dithered unless told otherwise;
    /// dither on float output is refused (float is not requantised).
    pub fn new(bits: OutputBits, dither: Option<DitherMode>) -> Result<Self> {
        let dither = match (bits.is_integer(), dither) {
            (true, d) => d.unwrap_or(DitherMode::Tpdf),
            (false, None | Some(DitherMode::Off)) => DitherMode::Off,
            (false, Some(d)) => bail!(
                "--dither {} needs --bits 16 or 24: 32-bit float output is not requantised",
                d.name()
            ),
        };
        Ok(Self { bits, dither })
    }

    /// From the command line's `--bits N` and `--dither`.
    pub fn from_args(bits: u16, dither: Option<DitherMode>) -> Result<Self> {
        Self::new(OutputBits::from_bits(bits)?, dither)
    }
}

impl From<OutputBits> for OutputFormat {
    /// The default requantisation for that format (TPDF for integers).
    fn from(bits: OutputBits) -> Self {
        Self::new(bits, None).expect("the default dither suits every format")
    }
}

/// What the requantiser did, for the summary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuantizeReport {
    /// The format written.
    pub format: OutputFormat,
    /// The signal already was whole LSBs at this word length (the Limiter's own dither), so
    /// it was written unchanged instead of dithered a second time.
    pub already_quantised_bits: Option<u32>,
    /// Samples that were beyond full scale and were clipped to it (integer formats only).
    pub clipped_samples: u64,
    /// Largest absolute sample before conversion (1.0 = full scale).
    pub peak_before: f32,
}

/// Requantises blocks for the chosen format, in place, and counts what clips.
#[derive(Debug, Clone)]
pub struct Quantizer {
    format: OutputFormat,
    dither: Dither,
    /// One LSB (full scale = 1.0); 0 for float.
    lsb: f32,
    already: Option<u32>,
    clipped: u64,
    peak: f32,
}

/// A requantised sample as the 16-bit integer a file holds.
#[inline]
pub fn int16(x: f32) -> i16 {
    (x * 32_768.0) as i16
}

impl Quantizer {
    /// A requantiser for `format`. `already_bits` is the word length the signal is already
    /// quantised to, if it is (see [`lathe_dsp::chains::Core::output_word_length`]): when it is
    /// no longer than the output's, the samples are exact and are only converted.
    pub fn new(format: OutputFormat, already_bits: Option<u32>) -> Self {
        let depth = match format.bits {
            OutputBits::Float32 => DitherDepth::Off,
            OutputBits::Int24 => DitherDepth::Bits24,
            OutputBits::Int16 => DitherDepth::Bits16,
        };
        let mut dither = Dither::new();
        let lsb = depth.lsb().unwrap_or(0.0);
        dither.set_settings(&DitherSettings {
            depth,
            shaping: format.dither == DitherMode::Shaped,
            // Symmetric limit one LSB below full scale.
            limit: 1.0 - lsb,
        });
        let already = already_bits
            .filter(|&b| format.bits.is_integer() && b <= u32::from(format.bits.bits()));
        Self {
            format,
            dither,
            lsb: depth.lsb().unwrap_or(0.0),
            already,
            clipped: 0,
            peak: 0.0,
        }
    }

    /// Requantises a block in place: afterwards every sample is exactly what the file holds
    /// (a whole number of LSBs for integer formats, within the format's range).
    pub fn process(&mut self, block: &mut [&mut [f32]]) {
        let integer = self.format.bits.is_integer();
        let q = self.lsb;
        let inv_q = 1.0 / q;
        // The integer range is [-2^(b-1), 2^(b-1) - 1] LSBs.
        let top = inv_q - 1.0;
        let bottom = -inv_q;
        for ch in block.iter() {
            let (peak, clipped) = if integer {
                scan::<true>(ch, inv_q, top, bottom)
            } else {
                scan::<false>(ch, inv_q, top, bottom)
            };
            self.peak = self.peak.max(peak);
            self.clipped += clipped;
        }
        if !integer {
            return;
        }
        if self.already.is_some() || self.format.dither == DitherMode::Off {
            for ch in block.iter_mut() {
                for x in ch.iter_mut() {
                    *x = lathe_dsp::math::round(*x * inv_q).clamp(bottom, top) * q;
                }
            }
        } else {
            // The dither clamps to one LSB below full scale (its settings' limit).
            self.dither.process(block);
        }
    }

    /// Writes one (already requantised) sample.
    pub fn write<W: std::io::Write + std::io::Seek>(
        &self,
        writer: &mut hound::WavWriter<W>,
        x: f32,
    ) -> hound::Result<()> {
        match self.format.bits {
            OutputBits::Float32 => writer.write_sample(x),
            OutputBits::Int24 => writer.write_sample((x * 8_388_608.0) as i32),
            OutputBits::Int16 => writer.write_sample(int16(x)),
        }
    }

    /// The WAV header for this format.
    pub fn spec(&self, channels: u16, sample_rate_hz: u32) -> hound::WavSpec {
        hound::WavSpec {
            channels,
            sample_rate: sample_rate_hz,
            bits_per_sample: self.format.bits.bits(),
            sample_format: if self.format.bits.is_integer() {
                hound::SampleFormat::Int
            } else {
                hound::SampleFormat::Float
            },
        }
    }

    /// What was done so far.
    pub fn report(&self) -> QuantizeReport {
        QuantizeReport {
            format: self.format,
            already_quantised_bits: self.already,
            clipped_samples: self.clipped,
            peak_before: self.peak,
        }
    }
}

impl QuantizeReport {
    /// How the samples were written, for a summary line: "32-bit float", "16-bit, TPDF dither",
    /// "24-bit, no dither (already 16-bit from the Limiter's dither)".
    pub fn describe(&self) -> String {
        let bits = self.format.bits.bits();
        if !self.format.bits.is_integer() {
            return "32-bit float".to_owned();
        }
        if let Some(b) = self.already_quantised_bits {
            return format!("{bits}-bit, not dithered again (already {b}-bit dithered)");
        }
        match self.format.dither {
            DitherMode::Off => format!("{bits}-bit, rounded without dither"),
            DitherMode::Tpdf => format!("{bits}-bit, TPDF dither"),
            DitherMode::Shaped => format!("{bits}-bit, noise-shaped TPDF dither"),
        }
    }

    /// The warning for clipped samples, if any clipped.
    pub fn clip_warning(&self) -> Option<String> {
        (self.clipped_samples > 0).then(|| {
            format!(
                "{} sample(s) clipped at full scale in the {}-bit file (the signal peaked at \
                 {:+.2} dBFS before conversion); lower the output level",
                self.clipped_samples,
                self.format.bits.bits(),
                20.0 * f64::from(self.peak_before).log10()
            )
        })
    }
}

/// The peak of `x` and, when `COUNT`, how many of its samples round outside `[bottom, top]`
/// at `inv_q` steps per unit: in eight lanes (the maximum and the count do not depend on the
/// order they are taken in), so the pass is not one long chain of dependent comparisons. The
/// count only runs when the peak can round out of range (`bottom` is `-(top + 1)`, and
/// `inv_q` a power of two, so `peak * inv_q` is exact): a limited master never needs it.
fn scan<const COUNT: bool>(x: &[f32], inv_q: f32, top: f32, bottom: f32) -> (f32, u64) {
    let peak = lathe_dsp::math::abs_max(0.0, x);
    if !COUNT || peak * inv_q <= top - 1.0 {
        return (peak, 0);
    }
    let mut clips = [0u64; 8];
    let mut lane = |i: usize, v: f32| {
        let steps = lathe_dsp::math::round(v * inv_q);
        clips[i] += u64::from(steps > top || steps < bottom);
    };
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for (i, &v) in c.iter().enumerate() {
            lane(i, v);
        }
    }
    for (i, &v) in chunks.remainder().iter().enumerate() {
        lane(i, v);
    }
    (peak, clips.iter().sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lane-wise scan reads what one sample after another reads: the peak, and the samples
    /// that round outside the 16-bit range.
    #[test]
    fn scan_reads_the_peak_and_counts_the_clipped_samples() {
        let x: Vec<f32> = (0..1003)
            .map(|i| ((i * 7919 % 2001) as f32 / 1000.0 - 1.0) * 1.01)
            .collect();
        let inv_q = 32_768.0;
        let (top, bottom) = (inv_q - 1.0, -inv_q);
        let peak = x.iter().fold(0.0f32, |p, v| p.max(v.abs()));
        let clipped = x
            .iter()
            .filter(|&&v| {
                let steps = lathe_dsp::math::round(v * inv_q);
                steps > top || steps < bottom
            })
            .count() as u64;
        assert!(clipped > 0 && peak > 1.0);
        assert_eq!(scan::<true>(&x, inv_q, top, bottom), (peak, clipped));
        assert_eq!(scan::<false>(&x, inv_q, top, bottom), (peak, 0));
        // Just in range, and the first values that round out of it (either side): the count
        // is skipped only where nothing can clip.
        for (v, clips) in [
            (top / inv_q, 0),
            ((top + 0.49) / inv_q, 0),
            ((top + 0.5) / inv_q, 1),
            (-(inv_q + 0.49) / inv_q, 0),
            (-(inv_q + 0.5) / inv_q, 1),
            (f32::NAN, 0),
        ] {
            let x = [0.1, v, -0.2];
            assert_eq!(scan::<true>(&x, inv_q, top, bottom).1, clips, "{v}");
        }
    }
}
