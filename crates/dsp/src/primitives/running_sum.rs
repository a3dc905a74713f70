//! A running sum over the last `len` values, updated per sample in O(1).
//!
//! Values are stored as `f32` and summed in `f64`: what is added is exactly what is later
//! subtracted, so the sum does not drift over hours of audio. Used for the loudness meter's
//! 400 ms / 3 s windows and the limiter's smoothing boxes.

/// Sum of the last `len` values pushed.
#[derive(Debug, Clone)]
pub struct RunningSum {
    ring: Vec<f32>,
    len: usize,
    pos: usize,
    sum: f64,
    fill: f32,
}

impl RunningSum {
    /// A window of `len` values (at least 1), all initially `fill`.
    pub fn new(len: usize, fill: f32) -> Self {
        Self::with_capacity(len, len, fill)
    }

    /// A window of `len` values that can later grow to `capacity` without allocating.
    pub fn with_capacity(capacity: usize, len: usize, fill: f32) -> Self {
        let len = len.max(1);
        Self {
            ring: vec![fill; capacity.max(len)],
            len,
            pos: 0,
            sum: fill as f64 * len as f64,
            fill,
        }
    }

    /// Refills the window with its initial value.
    pub fn reset(&mut self) {
        self.ring[..self.len].fill(self.fill);
        self.pos = 0;
        self.sum = self.fill as f64 * self.len as f64;
    }

    /// Changes the window length (clamped to 1..=capacity) and resets; never allocates.
    pub fn set_len(&mut self, len: usize) {
        self.len = len.clamp(1, self.ring.len());
        self.reset();
    }

    /// Copies another sum's window and contents (same capacity); never allocates.
    pub fn copy_from(&mut self, other: &RunningSum) {
        self.ring.copy_from_slice(&other.ring);
        self.len = other.len;
        self.pos = other.pos;
        self.sum = other.sum;
        self.fill = other.fill;
    }

    /// Window length.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: a window holds at least one value.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Current sum.
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// Pushes every value of `data` in turn and replaces it with the new sum times `scale`
    /// (a moving average when `scale` is 1 / len). Same results as [`RunningSum::push`] in a
    /// loop, with the state kept in registers.
    pub fn scaled_sums_in_place(&mut self, data: &mut [f32], scale: f64) {
        let mut w = Window::of(self);
        for x in data.iter_mut() {
            *x = (w.push(*x) * scale) as f32;
        }
        (self.pos, self.sum) = w.finish();
    }

    /// Two moving sums in cascade over `data`, in place: each value goes through
    /// `first` (scaled by `first_scale`), the result through `second` (scaled by
    /// `second_scale`). Same results as two [`RunningSum::scaled_sums_in_place`] passes; in one
    /// loop the two sums' add chains overlap instead of running one after the other.
    pub fn cascade_in_place(
        first: &mut RunningSum,
        first_scale: f64,
        second: &mut RunningSum,
        second_scale: f64,
        data: &mut [f32],
    ) {
        let mut a = Window::of(first);
        let mut b = Window::of(second);
        for x in data.iter_mut() {
            let y = (a.push(*x) * first_scale) as f32;
            *x = (b.push(y) * second_scale) as f32;
        }
        (first.pos, first.sum) = a.finish();
        (second.pos, second.sum) = b.finish();
    }

    /// Pushes every value of `xs` in order and hands each new sum to `each` (the sums
    /// [`RunningSum::push`] would return one by one), with the window's state in registers.
    #[inline(always)]
    pub fn push_each(&mut self, xs: impl Iterator<Item = f32>, mut each: impl FnMut(f64)) {
        let mut w = Window::of(self);
        for x in xs {
            each(w.push(x));
        }
        (self.pos, self.sum) = w.finish();
    }

    /// [`RunningSum::push_each`] on two windows at once, `a` and `b` each getting every value
    /// of `xs`: their sums are two independent chains of additions, which overlap in one loop
    /// (each window's sums are the ones it gives alone).
    #[inline(always)]
    pub fn push_each_pair(
        a: &mut Self,
        b: &mut Self,
        xs: impl Iterator<Item = f32>,
        mut each: impl FnMut(f64, f64),
    ) {
        let (mut wa, mut wb) = (Window::of(a), Window::of(b));
        for x in xs {
            each(wa.push(x), wb.push(x));
        }
        (a.pos, a.sum) = wa.finish();
        (b.pos, b.sum) = wb.finish();
    }

    /// Pushes a value, dropping the oldest, and returns the new sum.
    #[inline(always)]
    pub fn push(&mut self, x: f32) -> f64 {
        let old = self.ring[self.pos];
        self.ring[self.pos] = x;
        self.pos += 1;
        if self.pos == self.len {
            self.pos = 0;
        }
        self.sum += x as f64 - old as f64;
        self.sum
    }
}

/// A [`RunningSum`]'s position and sum held in locals (registers) over a block; its ring is
/// borrowed.
struct Window<'a> {
    ring: &'a mut [f32],
    pos: usize,
    sum: f64,
}

impl<'a> Window<'a> {
    #[inline(always)]
    fn of(s: &'a mut RunningSum) -> Self {
        Self {
            ring: &mut s.ring[..s.len],
            pos: s.pos,
            sum: s.sum,
        }
    }

    #[inline(always)]
    fn push(&mut self, x: f32) -> f64 {
        let old = self.ring[self.pos];
        self.ring[self.pos] = x;
        self.pos += 1;
        if self.pos == self.ring.len() {
            self.pos = 0;
        }
        self.sum += x as f64 - old as f64;
        self.sum
    }

    /// The position and sum to store back.
    #[inline(always)]
    fn finish(self) -> (usize, f64) {
        (self.pos, self.sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_the_last_values_and_resets() {
        let mut s = RunningSum::new(3, 1.0);
        assert_eq!(s.sum(), 3.0);
        assert_eq!(s.push(2.0), 4.0);
        assert_eq!(s.push(3.0), 6.0);
        assert_eq!(s.push(4.0), 9.0);
        assert_eq!(s.push(0.0), 7.0);
        s.reset();
        assert_eq!(s.sum(), 3.0);
    }

    #[test]
    fn length_changes_within_capacity() {
        let mut s = RunningSum::with_capacity(8, 2, 0.0);
        s.push(1.0);
        s.push(2.0);
        assert_eq!(s.push(3.0), 5.0);
        s.set_len(4);
        assert_eq!(s.len(), 4);
        for v in [1.0, 2.0, 3.0, 4.0, 5.0] {
            s.push(v);
        }
        assert_eq!(s.sum(), 14.0);
        s.set_len(100);
        assert_eq!(s.len(), 8);
    }
}
