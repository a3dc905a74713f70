//! A multichannel integer-sample delay line, used to keep dry paths (bypass, parallel mix) aligned
//! with processed paths that have latency.

/// A delay line with a fixed maximum, allocated once; changing the delay never allocates.
#[derive(Debug, Clone)]
pub struct DelayLine {
    buffers: Vec<Vec<f32>>,
    write: usize,
    delay: usize,
}

impl DelayLine {
    /// Creates a delay line for `channels` channels able to delay up to `max_delay_samples`.
    pub fn new(channels: usize, max_delay_samples: usize) -> Self {
        Self {
            buffers: vec![vec![0.0; max_delay_samples + 1]; channels],
            write: 0,
            delay: 0,
        }
    }

    /// The largest delay this line supports.
    pub fn max_delay(&self) -> usize {
        self.buffers.first().map_or(0, |b| b.len() - 1)
    }

    /// Sets the delay in samples, clamped to [`Self::max_delay`]. Contents are kept, so a change
    /// reads older or newer history at once; callers crossfade if they need it click-free.
    pub fn set_delay(&mut self, samples: usize) {
        self.delay = samples.min(self.max_delay());
    }

    /// The current delay in samples.
    pub fn delay(&self) -> usize {
        self.delay
    }

    /// Clears the history to silence.
    pub fn reset(&mut self) {
        for b in &mut self.buffers {
            b.fill(0.0);
        }
        self.write = 0;
    }

    /// Delays a block in place. Only the first `channels.len()` channels of the line are used.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        let len = channels.first().map_or(0, |c| c.len());
        if self.delay == 0 {
            // Still record history so a later delay change reads real past samples.
            self.record(channels, len);
            return;
        }
        let size = self.buffers[0].len();
        for (ch, buf) in channels.iter_mut().zip(self.buffers.iter_mut()) {
            let mut w = self.write;
            for x in ch.iter_mut() {
                buf[w] = *x;
                let r = if w >= self.delay {
                    w - self.delay
                } else {
                    w + size - self.delay
                };
                *x = buf[r];
                w += 1;
                if w == size {
                    w = 0;
                }
            }
        }
        self.write = (self.write + len) % size;
    }

    fn record(&mut self, channels: &[&mut [f32]], len: usize) {
        let size = self.buffers.first().map_or(1, |b| b.len());
        for (ch, buf) in channels.iter().zip(self.buffers.iter_mut()) {
            let mut w = self.write;
            for &x in ch.iter() {
                buf[w] = x;
                w += 1;
                if w == size {
                    w = 0;
                }
            }
        }
        self.write = (self.write + len) % size;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
