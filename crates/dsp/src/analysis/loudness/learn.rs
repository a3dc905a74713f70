//! The Limiter's "Learn": the drive that lands a programme's integrated loudness (ITU-R
//! BS.1770-5 with EBU R128 gating, as [`LoudnessMeter`] measures it) on a target, learned while
//! the programme plays.
//!
//! Three meters run on the audio thread ([`LearnMeters`], no peaks): the input before the
//! drive over the whole time learning, and the input and the output over the current
//! *segment*, since the drive last changed. On a segment, `input + drive - output` is what the
//! limiter takes away at that drive (its loss, in LU), a figure far steadier than the loudness
//! of the programme itself from one passage to the next. The whole programme heard so far at
//! drive `d` would come out at `whole_input + d - loss(d)`, so the next drive is
//! `target - whole_input + loss`: a fixed-point step, which converges because the loss grows
//! more slowly than the drive (a limiter never makes a louder input come out quieter).
//! [`Learner`] takes a step whenever a segment holds [`SEGMENT_S`] of audio with a gated
//! loudness, and finishes when a step is smaller than [`SETTLED_DB`] after at least
//! [`MIN_LEARN_S`], or after [`LEARN_S`] in any case.
//!
//! The meters are real-time safe (fixed memory, no allocation in `process_*`); the learner is
//! plain arithmetic for the editor's thread, which owns the host gesture.

use super::LoudnessMeter;
use atomic_float::AtomicF32;
use std::sync::atomic::Ordering;

/// Audio a segment needs before the learner steps, s.
pub const SEGMENT_S: f64 = 3.0;
/// Shortest learning, s of audio.
pub const MIN_LEARN_S: f64 = 10.0;
/// Longest learning: it finishes by itself after this much audio, s.
pub const LEARN_S: f64 = 30.0;
/// A step smaller than this (dB) means the drive has settled.
pub const SETTLED_DB: f64 = 0.1;

/// What the learn meters read (plain values, copied to the editor).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LearnReadings {
    /// Audio measured since learning started, s.
    pub seconds: f64,
    /// Integrated loudness of the input (before the drive) since learning started, LUFS.
    pub whole_input_lufs: f64,
    /// Integrated loudness of the input over the segment, LUFS.
    pub segment_input_lufs: f64,
    /// Integrated loudness of the output over the segment, LUFS.
    pub segment_output_lufs: f64,
    /// The drive the segment ran at, dB.
    pub segment_drive_db: f32,
    /// Audio in the segment, s.
    pub segment_seconds: f64,
}

/// The audio thread's meters (see the [module documentation](self)).
#[derive(Debug, Clone)]
pub struct LearnMeters {
    whole_input: LoudnessMeter,
    segment_input: LoudnessMeter,
    segment_output: LoudnessMeter,
    segment_drive_db: f32,
    sample_rate_hz: f64,
}

impl LearnMeters {
    /// Meters for `channels` channels at `sample_rate_hz` (allocates).
    pub fn new(sample_rate_hz: f64, channels: usize) -> Self {
        let meter = || {
            let mut m = LoudnessMeter::for_channels(sample_rate_hz, channels.max(1));
            m.set_peaks_enabled(false);
            m
        };
        Self {
            whole_input: meter(),
            segment_input: meter(),
            segment_output: meter(),
            segment_drive_db: 0.0,
            sample_rate_hz,
        }
    }

    /// Starts learning afresh.
    pub fn restart(&mut self) {
        self.whole_input.reset();
        self.segment_input.reset();
        self.segment_output.reset();
    }

    /// The input of a block, before the drive, and the drive it is processed with; a new drive
    /// starts a new segment.
    pub fn process_input(&mut self, input: &[&[f32]], drive_db: f32) {
        if drive_db != self.segment_drive_db {
            self.segment_drive_db = drive_db;
            self.segment_input.reset();
            self.segment_output.reset();
        }
        self.whole_input.process(input);
        self.segment_input.process(input);
    }

    /// The output of the block whose input [`LearnMeters::process_input`] had.
    pub fn process_output(&mut self, output: &[&[f32]]) {
        self.segment_output.process(output);
    }

    /// What the meters read now.
    pub fn readings(&self) -> LearnReadings {
        let seconds = |m: &LoudnessMeter| m.samples_processed() as f64 / self.sample_rate_hz;
        LearnReadings {
            seconds: seconds(&self.whole_input),
            whole_input_lufs: self.whole_input.integrated_lufs(),
            segment_input_lufs: self.segment_input.integrated_lufs(),
            segment_output_lufs: self.segment_output.integrated_lufs(),
            segment_drive_db: self.segment_drive_db,
            segment_seconds: seconds(&self.segment_input),
        }
    }

    /// Publishes the readings for the editor.
    pub fn publish(&self, readouts: &LearnReadouts) {
        readouts.store(&self.readings());
    }
}

/// Lock-free copies of [`LearnReadings`] (audio thread to editor), in the order of the
/// struct's fields.
#[derive(Debug, Default)]
pub struct LearnReadouts([AtomicF32; 6]);

impl LearnReadouts {
    /// Stores `r`.
    pub fn store(&self, r: &LearnReadings) {
        let values = [
            r.seconds,
            r.whole_input_lufs,
            r.segment_input_lufs,
            r.segment_output_lufs,
            r.segment_drive_db as f64,
            r.segment_seconds,
        ];
        for (a, v) in self.0.iter().zip(values) {
            a.store(v as f32, Ordering::Relaxed);
        }
    }

    /// The readings last stored.
    pub fn load(&self) -> LearnReadings {
        let [seconds, whole, input, output, drive, segment] =
            self.0.each_ref().map(|a| a.load(Ordering::Relaxed));
        LearnReadings {
            seconds: seconds as f64,
            whole_input_lufs: whole as f64,
            segment_input_lufs: input as f64,
            segment_output_lufs: output as f64,
            segment_drive_db: drive,
            segment_seconds: segment as f64,
        }
    }
}

/// What the learner asks for after looking at the readings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LearnStep {
    /// Keep playing: not enough audio since the last change.
    Listening,
    /// Set the drive to this, dB.
    Drive(f32),
    /// Done: the drive to keep, dB.
    Finished(f32),
}

/// The editor's side of learning (see the [module documentation](self)).
#[derive(Debug, Clone)]
pub struct Learner {
    target_lufs: f64,
    range_db: (f32, f32),
    /// The drive last asked for (its segment has not started until the meters run at it).
    requested_db: f32,
}

impl Learner {
    /// Learning toward `target_lufs` from drive `start_db`, the drive kept within `range_db`
    /// (the parameter's range).
    pub fn new(target_lufs: f64, start_db: f32, range_db: (f32, f32)) -> Self {
        Self {
            target_lufs,
            range_db,
            requested_db: start_db,
        }
    }

    /// The next step for the readings `r`.
    pub fn step(&mut self, r: &LearnReadings) -> LearnStep {
        let (lo, hi) = self.range_db;
        let ready = (r.segment_drive_db - self.requested_db).abs() < 1e-3
            && r.segment_seconds >= SEGMENT_S
            && r.whole_input_lufs.is_finite()
            && r.segment_input_lufs.is_finite()
            && r.segment_output_lufs.is_finite();
        if !ready {
            return if r.seconds >= LEARN_S {
                LearnStep::Finished(self.requested_db)
            } else {
                LearnStep::Listening
            };
        }
        let loss = r.segment_input_lufs + r.segment_drive_db as f64 - r.segment_output_lufs;
        let next = ((self.target_lufs - r.whole_input_lufs + loss) as f32).clamp(lo, hi);
        let step = (next - r.segment_drive_db).abs() as f64;
        if r.seconds >= LEARN_S || (step < SETTLED_DB && r.seconds >= MIN_LEARN_S) {
            return LearnStep::Finished(next);
        }
        if step < 0.005 {
            return LearnStep::Listening;
        }
        self.requested_db = next;
        LearnStep::Drive(next)
    }
}
