//! Lock-free meter values shared between the audio thread and the editor.

use atomic_float::AtomicF32;
use std::sync::atomic::Ordering;

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

/// Input and output peak readouts of a plugin.
#[derive(Debug, Default)]
pub struct IoMeters {
    /// Peak of the input (before the input trim).
    pub input: PeakReadout,
    /// Peak of the output.
    pub output: PeakReadout,
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
}
