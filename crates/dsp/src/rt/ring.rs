//! A lock-free single-producer ring the audio thread copies samples into (no allocation, no
//! locks); readers on other threads (editors, analysis workers) copy out the latest samples.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// A lock-free ring of `f32` samples with one writer (the audio thread) and any number of
/// readers. A reader that races the writer may see a few samples of the newest block mixed into
/// its copy; for analysis displays that is harmless.
#[derive(Debug)]
pub struct SampleRing {
    data: Box<[AtomicU32]>,
    mask: usize,
    written: AtomicU64,
}

impl SampleRing {
    /// A ring holding at least `capacity` samples (rounded up to a power of two).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(2).next_power_of_two();
        Self {
            data: (0..capacity).map(|_| AtomicU32::new(0)).collect(),
            mask: capacity - 1,
            written: AtomicU64::new(0),
        }
    }

    /// Capacity in samples.
    pub fn capacity(&self) -> usize {
        self.mask + 1
    }

    /// Samples written since creation.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Acquire)
    }

    /// Appends samples (call from one thread only). Non-finite samples are stored as 0.
    pub fn push(&self, samples: impl Iterator<Item = f32>) {
        let mut w = self.written.load(Ordering::Relaxed);
        for s in samples {
            let s = if s.is_finite() { s } else { 0.0 };
            self.data[w as usize & self.mask].store(s.to_bits(), Ordering::Relaxed);
            w += 1;
        }
        self.written.store(w, Ordering::Release);
    }

    /// Copies the newest `out.len()` samples (oldest first; zeros before the first write) and
    /// returns the write count they end at. `out` must not be longer than the capacity.
    pub fn read_latest(&self, out: &mut [f32]) -> u64 {
        assert!(out.len() <= self.capacity(), "read longer than the ring");
        let end = self.written();
        let n = out.len() as u64;
        for (i, o) in out.iter_mut().enumerate() {
            let pos = (end + i as u64).wrapping_sub(n);
            *o = if end + (i as u64) < n {
                0.0
            } else {
                f32::from_bits(self.data[pos as usize & self.mask].load(Ordering::Relaxed))
            };
        }
        end
    }
}

impl SampleRing {
    /// Copies the `out.len()` samples that end at write count `end` (oldest first). Returns
    /// `false`, and leaves `out` alone, if some of them have already been overwritten or not
    /// yet written. Readers that must keep two rings aligned read both at the same `end`.
    pub fn read_range(&self, end: u64, out: &mut [f32]) -> bool {
        let n = out.len() as u64;
        let written = self.written();
        if end > written || n > end || written - (end - n) > self.capacity() as u64 {
            return false;
        }
        for (i, o) in out.iter_mut().enumerate() {
            let pos = end - n + i as u64;
            *o = f32::from_bits(self.data[pos as usize & self.mask].load(Ordering::Relaxed));
        }
        // The writer may have lapped us while we copied.
        self.written() - (end - n) <= self.capacity() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_returns_the_latest_samples_in_order() {
        let ring = SampleRing::new(8);
        let mut out = [9.0f32; 4];
        assert_eq!(ring.read_latest(&mut out), 0);
        assert_eq!(out, [0.0; 4]);
        ring.push([1.0, 2.0, f32::NAN].into_iter());
        ring.read_latest(&mut out);
        assert_eq!(out, [0.0, 1.0, 2.0, 0.0]);
        ring.push((4..=12).map(|i| i as f32));
        assert_eq!(ring.read_latest(&mut out), 12);
        assert_eq!(out, [9.0, 10.0, 11.0, 12.0]);
    }

    #[test]
    fn read_range_returns_exactly_the_asked_span_or_refuses() {
        let ring = SampleRing::new(8);
        ring.push((1..=5).map(|i| i as f32));
        let mut out = [0.0f32; 3];
        assert!(ring.read_range(4, &mut out));
        assert_eq!(out, [2.0, 3.0, 4.0]);
        assert!(!ring.read_range(6, &mut out), "not written yet");
        ring.push((6..=20).map(|i| i as f32));
        assert!(!ring.read_range(5, &mut out), "overwritten");
        assert!(ring.read_range(20, &mut out));
        assert_eq!(out, [18.0, 19.0, 20.0]);
    }
}
