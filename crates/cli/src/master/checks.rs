//! Measurements (loudness and true peak of a signal, and its short-term loudness over time)
//! and the master-ready checks of a mix.

use lathe_dsp::analysis::loudness::truepeak::TruePeak;
use lathe_dsp::{LoudnessMeter, LoudnessReport, LoudnessSummary};
use serde::Serialize;

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
    metered(planar, sample_rate_hz).measurement
}

/// Hop of the short-term loudness series, s.
pub const SERIES_HOP_S: f64 = 0.5;

/// A signal measured: its figures, the meter (an album's loudness gates over all its tracks'
/// meters) and its short-term loudness every [`SERIES_HOP_S`] (LUFS, `-inf` in silence).
#[derive(Debug, Clone)]
pub(super) struct Metered {
    pub measurement: Measurement,
    pub meter: LoudnessMeter,
    pub short_term_lufs: Vec<f64>,
}

/// Measures `planar`: the loudness on this thread, the peaks beside it ([`peaks_db`]).
pub(super) fn metered(planar: &[Vec<f32>], sample_rate_hz: u32) -> Metered {
    std::thread::scope(|scope| {
        let peaks = scope.spawn(|| peaks_db(planar, sample_rate_hz));
        let mut meter = StreamMeter::new(planar.len(), sample_rate_hz, false);
        let slices: Vec<&[f32]> = planar.iter().map(|c| &c[..]).collect();
        meter.push(&slices);
        let (true_peak, sample_peak) = peaks.join().unwrap_or((f64::NAN, f64::NAN));
        meter.finish_with_peaks(true_peak, sample_peak)
    })
}

/// [`metered`]'s measurements made as the audio comes, block by block (any blocking gives
/// the same figures): the loudness, its short-term series and, when asked, the peaks.
pub(super) struct StreamMeter {
    sample_rate_hz: u32,
    frames: usize,
    meter: LoudnessMeter,
    hop: usize,
    /// Frames fed since the last point of the series.
    in_hop: usize,
    short_term_lufs: Vec<f64>,
    peaks: Vec<TruePeak>,
}

impl StreamMeter {
    /// A meter for `channels` at `sample_rate_hz`, with the true and sample peaks when
    /// `peaks` (else [`StreamMeter::finish_with_peaks`] is given them).
    pub(super) fn new(channels: usize, sample_rate_hz: u32, peaks: bool) -> Self {
        let sr = sample_rate_hz as f64;
        let mut meter = LoudnessMeter::for_channels(sr, channels);
        meter.set_peaks_enabled(false);
        Self {
            sample_rate_hz,
            frames: 0,
            meter,
            hop: ((SERIES_HOP_S * sr).round() as usize).max(1),
            in_hop: 0,
            short_term_lufs: Vec::new(),
            peaks: if peaks {
                (0..channels).map(|_| TruePeak::new(sr)).collect()
            } else {
                Vec::new()
            },
        }
    }

    /// Feeds a block (every channel, equal lengths).
    pub(super) fn push(&mut self, block: &[&[f32]]) {
        let n = block.first().map_or(0, |c| c.len());
        let mut at = 0;
        while at < n {
            let m = (self.hop - self.in_hop).min(n - at);
            let slices: Vec<&[f32]> = block.iter().map(|c| &c[at..at + m]).collect();
            self.meter.process(&slices);
            self.in_hop += m;
            at += m;
            if self.in_hop == self.hop {
                self.short_term_lufs.push(self.meter.short_term_lufs());
                self.in_hop = 0;
            }
        }
        for (tp, c) in self.peaks.iter_mut().zip(block) {
            tp.process(c);
        }
        self.frames += n;
    }

    /// The figures, with the peaks this meter measured.
    pub(super) fn finish(self) -> Metered {
        let (true_peak, sample_peak) = loudest(self.peaks.iter());
        self.finish_with_peaks(true_peak, sample_peak)
    }

    /// The figures, with these peaks (dBTP, dBFS).
    pub(super) fn finish_with_peaks(
        mut self,
        true_peak_dbtp: f64,
        sample_peak_dbfs: f64,
    ) -> Metered {
        if self.in_hop > 0 {
            self.short_term_lufs.push(self.meter.short_term_lufs());
        }
        let sr = self.sample_rate_hz as f64;
        Metered {
            measurement: Measurement {
                sample_rate_hz: self.sample_rate_hz,
                channels: self.meter.channels(),
                duration_s: self.frames as f64 / sr,
                loudness: with_peaks(self.meter.report(), true_peak_dbtp, sample_peak_dbfs),
            },
            meter: self.meter,
            short_term_lufs: self.short_term_lufs,
        }
    }
}

/// The true peak (BS.1770, 4x) and the sample peak of `planar`, dBTP and dBFS, each channel
/// on a thread of its own (at 4x they cost more than the loudness).
pub(super) fn peaks_db(planar: &[Vec<f32>], sample_rate_hz: u32) -> (f64, f64) {
    let peaks: Vec<TruePeak> = std::thread::scope(|scope| {
        let handles: Vec<_> = planar
            .iter()
            .map(|channel| {
                scope.spawn(move || {
                    let mut tp = TruePeak::new(sample_rate_hz as f64);
                    tp.process(channel);
                    tp
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    // A channel whose thread failed is left out (as a NaN reading was before: `max` skips it).
    loudest(peaks.iter())
}

/// The highest true peak and sample peak of these detectors, dBTP and dBFS.
fn loudest<'a>(peaks: impl Iterator<Item = &'a TruePeak>) -> (f64, f64) {
    let (true_peak, sample_peak) = peaks.fold((0.0f32, 0.0f32), |(t, s), p| {
        (t.max(p.peak()), s.max(p.sample_peak()))
    });
    let db = |a: f32| lathe_dsp::analysis::loudness::amplitude_to_db(a as f64);
    (db(true_peak), db(sample_peak))
}

/// The figures of `report` (from meters that ran without peaks) with these peaks and the PLR
/// they give.
pub(super) fn with_peaks(
    mut report: LoudnessReport,
    true_peak_dbtp: f64,
    sample_peak_dbfs: f64,
) -> LoudnessSummary {
    report.true_peak_dbtp = true_peak_dbtp;
    report.sample_peak_dbfs = sample_peak_dbfs;
    report.plr_db = if report.integrated_lufs.is_finite() {
        true_peak_dbtp - report.integrated_lufs
    } else {
        f64::NEG_INFINITY
    };
    report.summary()
}

/// Several programmes as one (an album): the loudness gated over all their `meters`' blocks
/// ([`LoudnessMeter::combined_report`]), the highest peaks of their `measured` figures.
pub(super) fn combined<'a>(
    meters: &[&LoudnessMeter],
    measured: impl Iterator<Item = &'a Measurement>,
) -> LoudnessSummary {
    let (true_peak, sample_peak) =
        measured.fold((f64::NEG_INFINITY, f64::NEG_INFINITY), |(t, s), m| {
            let sample = m.loudness.sample_peak_dbfs.unwrap_or(f64::NEG_INFINITY);
            (t.max(m.true_peak_dbtp()), s.max(sample))
        });
    with_peaks(
        LoudnessMeter::combined_report(meters),
        true_peak,
        sample_peak,
    )
}

/// An average left/right correlation below this is reported as out of phase.
pub const OUT_OF_PHASE_CORRELATION: f64 = -0.1;

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

/// Frames of the mono fold-down made at a time.
const FOLD_PIECE: usize = 16_384;

/// The checks of `mix` (see [`Checks`]).
pub fn check_mix(mix: &[Vec<f32>], sample_rate_hz: u32, before: &Measurement) -> Checks {
    MixFigures::of(mix, sample_rate_hz).checks(sample_rate_hz, before)
}

/// [`MixFigures`] taken chunk by chunk as the mix decodes (the same figures as on the whole:
/// the pairs across chunk boundaries counted, the sums taken in order, the fold-down metered
/// in any blocking).
pub struct MixFigureMeter {
    clipped_runs: u64,
    /// Each channel's last sample so far, for the pair across the next boundary (one per
    /// channel: it also tells how many channels the mix has).
    last: Vec<f32>,
    /// Left times right, left squared, right squared.
    sums: (f64, f64, f64),
    /// The fold-down's loudness alone (no peaks: they cost a 4x oversampler).
    fold: LoudnessMeter,
    mono: Vec<f32>,
}

impl MixFigureMeter {
    /// A meter for a mix at `sample_rate_hz`.
    pub fn new(sample_rate_hz: u32) -> Self {
        let mut fold = LoudnessMeter::for_channels(sample_rate_hz as f64, 2);
        fold.set_peaks_enabled(false);
        Self {
            clipped_runs: 0,
            last: Vec::new(),
            sums: (0.0, 0.0, 0.0),
            fold,
            mono: vec![0.0; FOLD_PIECE],
        }
    }

    /// The next frames of the mix, one slice per channel (all of one length, the same
    /// channels every time).
    pub fn push<S: AsRef<[f32]>>(&mut self, mix: &[S]) {
        let full = |x: f32| x.abs() >= 0.9999;
        self.last.resize(mix.len(), 0.0);
        for (c, last) in mix.iter().zip(self.last.iter_mut()) {
            let c = c.as_ref();
            let Some(&first) = c.first() else {
                continue;
            };
            // Before the first chunk `last` is 0.0, never at full scale.
            if full(*last) && full(first) {
                self.clipped_runs += 1;
            }
            self.clipped_runs += c.windows(2).filter(|w| full(w[0]) && full(w[1])).count() as u64;
            *last = c[c.len() - 1];
        }
        if let [l, r, ..] = mix {
            let (l, r) = (l.as_ref(), r.as_ref());
            let (mut lr, mut ll, mut rr) = self.sums;
            for (&a, &b) in l.iter().zip(r) {
                lr += a as f64 * b as f64;
                ll += a as f64 * a as f64;
                rr += b as f64 * b as f64;
            }
            self.sums = (lr, ll, rr);
            for (l, r) in l.chunks(FOLD_PIECE).zip(r.chunks(FOLD_PIECE)) {
                let mono = &mut self.mono[..l.len()];
                for ((m, a), b) in mono.iter_mut().zip(l).zip(r) {
                    *m = 0.5 * (a + b);
                }
                self.fold.process(&[&*mono, &*mono]);
            }
        }
    }

    /// The figures of everything pushed.
    pub fn finish(self) -> MixFigures {
        let (lr, ll, rr) = self.sums;
        let (correlation, folded_lufs) = if self.last.len() >= 2 {
            let c = if ll > 0.0 && rr > 0.0 {
                lr / (ll * rr).sqrt()
            } else {
                1.0
            };
            (c, Some(self.fold.integrated_lufs()))
        } else {
            (1.0, None)
        };
        MixFigures {
            clipped_runs: self.clipped_runs,
            correlation,
            folded_lufs,
        }
    }
}

/// What the checks measure on the mix's samples (the rest comes from its [`Measurement`]):
/// taken before the tonal stage overwrites the mix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MixFigures {
    clipped_runs: u64,
    correlation: f64,
    /// Integrated loudness of the mono fold-down (stereo only), LUFS.
    folded_lufs: Option<f64>,
}

impl MixFigures {
    /// The figures of `mix`.
    pub fn of(mix: &[Vec<f32>], sample_rate_hz: u32) -> Self {
        let mut meter = MixFigureMeter::new(sample_rate_hz);
        meter.push(mix);
        meter.finish()
    }

    /// The checks these figures and the mix's `before` measurement give.
    pub fn checks(&self, sample_rate_hz: u32, before: &Measurement) -> Checks {
        let Self {
            clipped_runs,
            correlation,
            folded_lufs,
        } = *self;
        let mut notes = Vec::new();
        let headroom_db = -before.true_peak_dbtp();
        if headroom_db < 1.0 {
            notes.push(format!(
                "little headroom: the mix peaks at {:+.2} dBTP; a master needs the mix below about \
                 -1 dBTP to keep its limiter in control",
                before.true_peak_dbtp()
            ));
        }
        if clipped_runs > 0 {
            notes.push(format!(
                "{clipped_runs} clipped sample pair(s) at full scale: the mix was clipped before \
                 mastering"
            ));
        }
        let mono_loss_lu = folded_lufs.map_or(0.0, |f| before.integrated_lufs() - f);
        // Uncorrelated channels (a very wide mix) read about 0: only a clearly negative average is
        // a phase problem.
        if correlation < OUT_OF_PHASE_CORRELATION {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chunk by chunk, the figures are those of the whole mix computed directly: clipped
    /// pairs across chunk boundaries counted once, the correlation's sums in order, the
    /// fold-down's loudness in any blocking; mono has no fold-down.
    #[test]
    fn the_figures_in_chunks_are_the_figures_of_the_whole() {
        let sr = 44_100u32;
        let mut s = 7u32;
        let mut noise = |n: usize, scale: f32| -> Vec<f32> {
            (0..n)
                .map(|_| {
                    s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (((s >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * scale).clamp(-1.0, 1.0)
                })
                .collect()
        };
        let frames = 100_003;
        let (l, r) = (noise(frames, 3.0), noise(frames, 0.5));
        for mix in [vec![l.clone(), r.clone()], vec![l.clone()]] {
            let full = |x: f32| x.abs() >= 0.9999;
            let clipped: u64 = mix
                .iter()
                .map(|c| c.windows(2).filter(|w| full(w[0]) && full(w[1])).count() as u64)
                .sum();
            assert!(clipped > 1000, "{clipped}");
            let (correlation, folded) = if let [l, r] = &mix[..] {
                let (mut lr, mut ll, mut rr) = (0.0f64, 0.0f64, 0.0f64);
                for (&a, &b) in l.iter().zip(r) {
                    lr += a as f64 * b as f64;
                    ll += a as f64 * a as f64;
                    rr += b as f64 * b as f64;
                }
                let mono: Vec<f32> = l.iter().zip(r).map(|(a, b)| 0.5 * (a + b)).collect();
                let mut meter = LoudnessMeter::for_channels(sr as f64, 2);
                meter.process(&[&mono, &mono]);
                (lr / (ll * rr).sqrt(), Some(meter.integrated_lufs()))
            } else {
                (1.0, None)
            };
            let want = MixFigures {
                clipped_runs: clipped,
                correlation,
                folded_lufs: folded,
            };
            for chunk in [1usize, 2, 7, 32_768, frames] {
                let mut meter = MixFigureMeter::new(sr);
                for at in (0..frames).step_by(chunk) {
                    let end = (at + chunk).min(frames);
                    let piece: Vec<&[f32]> = mix.iter().map(|c| &c[at..end]).collect();
                    meter.push(&piece);
                }
                assert_eq!(
                    meter.finish(),
                    want,
                    "{} channel(s), chunks of {chunk}",
                    mix.len()
                );
            }
        }
    }

    /// Uncorrelated channels (correlation just under 0) are a wide mix, not a phase problem;
    /// inverted channels are. (With the old threshold of 0 the first case was flagged.)
    #[test]
    fn only_a_clearly_negative_correlation_is_out_of_phase() {
        let sr = 48_000;
        let noise = |seed: u32| {
            let mut s = seed;
            (0..sr * 12)
                .map(|_| {
                    s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    ((s >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * 0.2
                })
                .collect::<Vec<f32>>()
        };
        let (a, b) = (noise(1), noise(2));
        let wide = vec![
            a.clone(),
            b.iter().zip(&a).map(|(b, a)| b - 0.02 * a).collect(),
        ];
        let inverted = vec![a.clone(), a.iter().map(|x| -x).collect()];
        let phase_note = |x: &[Vec<f32>]| {
            let checks = check_mix(x, sr as u32, &measure(x, sr as u32));
            (
                checks.correlation,
                checks.notes.iter().any(|n| n.contains("out of phase")),
            )
        };
        let (c, flagged) = phase_note(&wide);
        assert!(c < 0.0 && c > -0.05, "correlation {c}");
        assert!(!flagged, "uncorrelated channels reported out of phase");
        assert!(phase_note(&inverted).1, "inverted channels not reported");
    }
}
