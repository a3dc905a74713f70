//! Lock-free meter values shared between the audio thread and the editor.

use atomic_float::AtomicF32;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

/// A peak readout: the audio thread raises it with [`PeakReadout::raise`], the editor takes it
/// with [`PeakReadout::take`] (which resets it), so no peak between two frames is missed and the
/// editor owns the ballistics. Values are linear amplitudes.
#[derive(Debug, Default)]
pub struct PeakReadout(AtomicF32);

impl PeakReadout {
    /// Records a peak (keeps the larger of the stored and the new value).
    pub fn raise(&self, peak: f32) {
        let mut current = self.0.load(Ordering::Relaxed);
        while peak > current {
            match self
                .0
                .compare_exchange_weak(current, peak, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
    }

    /// Returns the largest peak since the last call and resets it.
    pub fn take(&self) -> f32 {
        self.0.swap(0.0, Ordering::Relaxed)
    }
}

/// What every plugin's editor reads of the audio thread: input and output peaks, the latency
/// reported to the host and the sample rate. [`ChainRunner`](crate::ChainRunner) writes them.
#[derive(Debug)]
pub struct IoMeters {
    /// Peak of the input (before the input trim).
    pub input: PeakReadout,
    /// Peak of the output.
    pub output: PeakReadout,
    /// Latency reported to the host, samples.
    pub latency_samples: AtomicU32,
    /// Sample rate, Hz (48 kHz until the plugin is activated).
    pub sample_rate_hz: AtomicF32,
    /// The A/B switch's hand-shake between the editor and the audio thread
    /// ([`crate::switch`]).
    pub ab_switch: std::sync::atomic::AtomicU8,
}

impl AsRef<IoMeters> for IoMeters {
    fn as_ref(&self) -> &IoMeters {
        self
    }
}

impl Default for IoMeters {
    fn default() -> Self {
        Self {
            input: PeakReadout::default(),
            output: PeakReadout::default(),
            latency_samples: AtomicU32::new(0),
            sample_rate_hz: AtomicF32::new(48_000.0),
            ab_switch: std::sync::atomic::AtomicU8::new(crate::switch::IDLE),
        }
    }
}

/// Slots of a [`GainHistory`]: 512 slots of about 10 ms show the last five seconds.
pub const HISTORY_SLOTS: usize = 512;
/// Duration of one history slot, seconds.
pub const HISTORY_SLOT_S: f64 = 0.01;

/// One column of the scrolling history: input and output peaks (linear) and gain reduction (dB,
/// positive).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HistoryPoint {
    /// Input peak over the slot, linear.
    pub input: f32,
    /// Output peak over the slot, linear.
    pub output: f32,
    /// Deepest gain reduction over the slot, dB (0 = none).
    pub reduction_db: f32,
}

#[derive(Debug, Default)]
struct Slot {
    input: AtomicF32,
    output: AtomicF32,
    reduction_db: AtomicF32,
}

/// A lock-free ring of [`HistoryPoint`]s: the audio thread appends, the editor reads the most
/// recent ones. A reader may see one slot mid-update, which only affects one column of a frame.
#[derive(Debug)]
pub struct GainHistory {
    slots: Box<[Slot]>,
    written: AtomicUsize,
}

impl Default for GainHistory {
    fn default() -> Self {
        Self {
            slots: (0..HISTORY_SLOTS).map(|_| Slot::default()).collect(),
            written: AtomicUsize::new(0),
        }
    }
}

impl GainHistory {
    /// Appends a point (audio thread).
    pub fn push(&self, p: HistoryPoint) {
        let n = self.written.load(Ordering::Relaxed);
        let slot = &self.slots[n % HISTORY_SLOTS];
        slot.input.store(p.input, Ordering::Relaxed);
        slot.output.store(p.output, Ordering::Relaxed);
        slot.reduction_db.store(p.reduction_db, Ordering::Relaxed);
        self.written.store(n.wrapping_add(1), Ordering::Release);
    }

    /// How many points were ever written (wrapping).
    pub fn written(&self) -> usize {
        self.written.load(Ordering::Acquire)
    }

    /// Copies the last `out.len()` points (at most [`HISTORY_SLOTS`]), oldest first; slots
    /// never written read as silence.
    pub fn read_latest(&self, out: &mut [HistoryPoint]) {
        let n = self.written();
        let count = out.len().min(HISTORY_SLOTS);
        for (k, o) in out.iter_mut().take(count).enumerate() {
            let back = count - k; // 1 = newest
            *o = if back > n {
                HistoryPoint::default()
            } else {
                let slot = &self.slots[(n - back) % HISTORY_SLOTS];
                HistoryPoint {
                    input: slot.input.load(Ordering::Relaxed),
                    output: slot.output.load(Ordering::Relaxed),
                    reduction_db: slot.reduction_db.load(Ordering::Relaxed),
                }
            };
        }
    }
}

/// Audio-thread accumulator that turns per-block peaks into fixed-duration history slots.
#[derive(Debug, Clone, Default)]
pub struct HistoryWriter {
    samples_per_slot: usize,
    count: usize,
    current: HistoryPoint,
}

impl HistoryWriter {
    /// A writer for a sample rate.
    pub fn new(sample_rate_hz: f64) -> Self {
        Self {
            samples_per_slot: ((sample_rate_hz * HISTORY_SLOT_S) as usize).max(1),
            count: 0,
            current: HistoryPoint::default(),
        }
    }

    /// Adds a block's peaks; pushes a slot to `history` whenever one is complete.
    pub fn add(&mut self, samples: usize, point: HistoryPoint, history: &GainHistory) {
        let c = &mut self.current;
        c.input = c.input.max(point.input);
        c.output = c.output.max(point.output);
        c.reduction_db = c.reduction_db.max(point.reduction_db);
        self.count += samples;
        if self.count >= self.samples_per_slot {
            history.push(*c);
            // Carry the remainder, so slots keep their duration on average for any block size
            // (a block longer than a slot still makes one slot).
            self.count = (self.count - self.samples_per_slot).min(self.samples_per_slot - 1);
            *c = HistoryPoint::default();
        }
    }
}

/// Samples each analyzer ring holds (an editor's FFT is at most half of it).
pub const ANALYZER_RING_SAMPLES: usize = 16_384;

/// An analyzer's sample ring of [`ANALYZER_RING_SAMPLES`] (the default), fed with
/// [`push_mono`] while an editor shows it.
#[derive(Debug)]
pub struct AnalyzerRing(pub lathe_dsp::rt::ring::SampleRing);

impl Default for AnalyzerRing {
    fn default() -> Self {
        Self(lathe_dsp::rt::ring::SampleRing::new(ANALYZER_RING_SAMPLES))
    }
}

impl std::ops::Deref for AnalyzerRing {
    type Target = lathe_dsp::rt::ring::SampleRing;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// Feeds an analyzer ring with the mono sum of a buffer (wait-free; call only while an editor
/// shows it).
pub fn push_mono(ring: &lathe_dsp::rt::ring::SampleRing, buffer: &nice_plug::buffer::Buffer) {
    let channels = buffer.as_slice_immutable();
    match channels {
        [l, r, ..] => ring.push(l.iter().zip(r.iter()).map(|(a, b)| 0.5 * (a + b))),
        [m] => ring.push(m.iter().copied()),
        [] => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raise_keeps_max_and_take_resets() {
        let p = PeakReadout::default();
        p.raise(0.5);
        p.raise(0.25);
        assert_eq!(p.take(), 0.5);
        assert_eq!(p.take(), 0.0);
    }

    #[test]
    fn history_returns_the_latest_points_oldest_first() {
        let h = GainHistory::default();
        let mut out = [HistoryPoint::default(); 3];
        h.read_latest(&mut out);
        assert_eq!(out, [HistoryPoint::default(); 3]);
        for i in 0..(HISTORY_SLOTS + 5) {
            h.push(HistoryPoint {
                input: i as f32,
                output: 0.0,
                reduction_db: 1.0,
            });
        }
        h.read_latest(&mut out);
        let last = (HISTORY_SLOTS + 4) as f32;
        assert_eq!(
            out.map(|p| p.input),
            [last - 2.0, last - 1.0, last],
            "wrapped ring"
        );
    }

    #[test]
    fn writer_makes_slots_of_the_set_duration() {
        let h = GainHistory::default();
        let mut w = HistoryWriter::new(48_000.0);
        for _ in 0..15 {
            // 15 blocks of 64 = 960 samples = two 10 ms slots.
            w.add(
                64,
                HistoryPoint {
                    input: 0.5,
                    output: 0.25,
                    reduction_db: 3.0,
                },
                &h,
            );
        }
        assert_eq!(h.written(), 2);
    }
}
