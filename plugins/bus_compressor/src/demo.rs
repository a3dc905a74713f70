//! Editor screenshots (`cargo xtask screenshot bus-compressor`, standalone build only, with
//! `LATHE_BUS_DEMO` set): the screenshot host plays silence, so the input is replaced by a
//! synthetic mix (pink-ish noise and a pulsing 55 Hz bass) and the editor loads a multiband
//! preset, so the band display has a spectrum and gain reduction to show.

use nice_plug::prelude::Buffer;

/// The synthetic mix's state.
#[derive(Debug)]
pub struct Demo {
    /// Whether `LATHE_BUS_DEMO` is set.
    pub on: bool,
    seed: u32,
    pink: [f32; 3],
    phase: f32,
    t: u64,
}

impl Default for Demo {
    fn default() -> Self {
        Self {
            on: std::env::var_os("LATHE_BUS_DEMO").is_some(),
            seed: 1,
            pink: [0.0; 3],
            phase: 0.0,
            t: 0,
        }
    }
}

impl Demo {
    /// Overwrites `buffer` with the next samples of the synthetic mix at `sample_rate_hz`.
    pub fn fill(&mut self, buffer: &mut Buffer, sample_rate_hz: f32) {
        if !self.on {
            return;
        }
        for mut frame in buffer.iter_samples() {
            self.seed = self
                .seed
                .wrapping_mul(1_664_525)
                .wrapping_add(1_013_904_223);
            let white = (self.seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
            // Three one-pole low-passes summed: roughly -3 dB/oct over the audio band.
            for (p, c) in self.pink.iter_mut().zip([0.02f32, 0.2, 0.9]) {
                *p += c * (white - *p);
            }
            let noise = 0.3 * (self.pink[0] * 2.0 + self.pink[1] + 0.4 * self.pink[2]);
            self.phase = (self.phase + 55.0 / sample_rate_hz).fract();
            let beat = (self.t as f32 / sample_rate_hz * 2.0).fract();
            let bass = 0.35 * (1.0 - beat).powi(3) * (std::f32::consts::TAU * self.phase).sin();
            self.t += 1;
            for s in frame.iter_mut() {
                *s = noise + bass;
            }
        }
    }
}
