//! A multichannel integer-sample delay line, used to keep dry paths (bypass, parallel mix) aligned
//! with processed paths that have latency.

/// Room beyond the maximum delay, so blocks move through the ring in large copies.
const SLACK: usize = 1024;

/// A delay line with a fixed maximum, allocated once; changing the delay never allocates.
///
/// Blocks are moved with slice copies (at most two per direction), not per sample: write the
/// block into the ring, then read the delayed block back, in pieces no longer than the ring
/// space the delay leaves free.
#[derive(Debug, Clone)]
pub struct DelayLine {
    buffers: Vec<Vec<f32>>,
    write: usize,
    delay: usize,
    max_delay: usize,
}

impl DelayLine {
    /// Creates a delay line for `channels` channels able to delay up to `max_delay_samples`.
    pub fn new(channels: usize, max_delay_samples: usize) -> Self {
        Self {
            buffers: vec![vec![0.0; max_delay_samples + 1 + SLACK]; channels],
            write: 0,
            delay: 0,
            max_delay: max_delay_samples,
        }
    }

    /// The largest delay this line supports.
    pub fn max_delay(&self) -> usize {
        self.max_delay
    }

    /// Sets the delay in samples, clamped to [`Self::max_delay`]. Contents are kept, so a change
    /// reads older or newer history at once; callers crossfade if they need it click-free.
    pub fn set_delay(&mut self, samples: usize) {
        self.delay = samples.min(self.max_delay);
    }

    /// The current delay in samples.
    pub fn delay(&self) -> usize {
        self.delay
    }
}

impl crate::Block for DelayLine {
    /// The delay in samples (at most [`DelayLine::max_delay`]).
    type Settings = usize;

    /// A delay in samples does not depend on the rate.
    fn set_sample_rate(&mut self, _sample_rate_hz: f64) {}

    fn set_settings(&mut self, samples: &usize) {
        self.set_delay(*samples);
    }

    fn latency(&self) -> u32 {
        self.delay as u32
    }

    /// Clears the history to silence.
    fn reset(&mut self) {
        for b in &mut self.buffers {
            b.fill(0.0);
        }
        self.write = 0;
    }

    /// Delays a block in place. Only the first `channels.len()` channels of the line are used.
    fn process(&mut self, channels: &mut [&mut [f32]]) {
        let len = channels.first().map_or(0, |c| c.len());
        let Some(size) = self.buffers.first().map(|b| b.len()) else {
            return;
        };
        // Writing a piece first and reading it back is safe while the piece does not overwrite
        // samples still to be read: at most `size - delay` samples at a time.
        let piece = size - self.delay;
        let mut start = 0;
        while start < len {
            let end = (start + piece).min(len);
            let n = end - start;
            let read = (self.write + size - self.delay) % size;
            for (ch, buf) in channels.iter_mut().zip(self.buffers.iter_mut()) {
                let block = &mut ch[start..end];
                ring_write(buf, self.write, block);
                if self.delay > 0 {
                    ring_read(buf, read, block);
                }
            }
            self.write = (self.write + n) % size;
            start = end;
        }
    }
}

/// Copies `data` into the ring at `at`, wrapping.
#[inline]
fn ring_write(ring: &mut [f32], at: usize, data: &[f32]) {
    let first = data.len().min(ring.len() - at);
    ring[at..at + first].copy_from_slice(&data[..first]);
    ring[..data.len() - first].copy_from_slice(&data[first..]);
}

/// Copies from the ring at `at` into `out`, wrapping.
#[inline]
fn ring_read(ring: &[f32], at: usize, out: &mut [f32]) {
    let first = out.len().min(ring.len() - at);
    out[..first].copy_from_slice(&ring[at..at + first]);
    let rest = out.len() - first;
    out[first..].copy_from_slice(&ring[..rest]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Block;

    #[test]
    fn impulse_comes_out_delayed() {
        for delay in [0usize, 1, 7, 64, 100] {
            let mut d = DelayLine::new(2, 100);
            d.set_delay(delay);
            let mut l = vec![0.0f32; 300];
            let mut r = vec![0.0f32; 300];
            l[3] = 1.0;
            r[5] = -1.0;
            for (cl, cr) in l.chunks_mut(13).zip(r.chunks_mut(13)) {
                d.process(&mut [cl, cr]);
            }
            assert_eq!(l.iter().position(|&x| x == 1.0), Some(3 + delay));
            assert_eq!(r.iter().position(|&x| x == -1.0), Some(5 + delay));
            assert_eq!(l.iter().filter(|&&x| x != 0.0).count(), 1);
        }
    }

    #[test]
    fn any_block_size_and_delay_up_to_the_maximum() {
        let x: Vec<f32> = (1..=5000).map(|i| i as f32).collect();
        for delay in [0usize, 1, 99, 100] {
            for block in [1usize, 7, 100, 1500, 5000] {
                let mut d = DelayLine::new(1, 100);
                d.set_delay(delay);
                let mut y = x.clone();
                for c in y.chunks_mut(block) {
                    d.process(&mut [c]);
                }
                for i in 0..x.len() {
                    let expected = if i >= delay { x[i - delay] } else { 0.0 };
                    assert_eq!(y[i], expected, "delay {delay} block {block} at {i}");
                }
            }
        }
    }

    #[test]
    fn delay_is_clamped_to_max() {
        let mut d = DelayLine::new(1, 10);
        d.set_delay(50);
        assert_eq!(d.delay(), 10);
    }

    #[test]
    fn change_of_delay_reads_recorded_history() {
        let mut d = DelayLine::new(1, 16);
        let mut x: Vec<f32> = (1..=8).map(|i| i as f32).collect();
        d.process(&mut [&mut x[..]]);
        d.set_delay(4);
        let mut y = vec![0.0f32; 4];
        d.process(&mut [&mut y[..]]);
        assert_eq!(y, vec![5.0, 6.0, 7.0, 8.0]);
    }
}
