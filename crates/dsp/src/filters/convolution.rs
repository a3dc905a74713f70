//! Zero-latency FIR convolution: a direct-form head and uniformly partitioned overlap-save
//! stages of growing block size (W. G. Gardner, "Efficient convolution without input-output
//! delay", JAES 43(3), 1995; the uniform partitions and frequency-domain delay line as in
//! F. Wefers, "Partitioned convolution algorithms for real-time auralization", 2015).
//!
//! Layout for a kernel of `n` taps: taps `0..64` run directly; taps `64..1024` in 64-sample
//! partitions; taps `1024..n` in 1024-sample partitions. A stage whose block is `B` produces its
//! output `B` samples late, which is exactly where its taps start, so the sum is the exact
//! convolution with no delay.
//!
//! A new kernel is cross-faded in over [`FADE_SAMPLES`] without a click: the convolver keeps
//! two states, copies the running one (input history and spectra do not depend on the kernel)
//! and recomputes only the pending outputs with the new kernel, so both run exactly from the
//! first sample of the fade. Nothing allocates after construction.

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// Taps convolved directly.
pub const HEAD_TAPS: usize = 64;
/// The stages' block sizes and where their taps start.
const STAGES: [(usize, usize); 2] = [(64, 64), (1024, 1024)];
const LARGEST_BLOCK: usize = 1024;
/// Length of the cross-fade to a new kernel, samples.
pub const FADE_SAMPLES: usize = 2048;

/// A kernel prepared for [`PartitionedConvolver`]: the head taps (reversed) and each stage's
/// partition spectra.
#[derive(Clone, Debug, PartialEq)]
pub struct PreparedKernel {
    taps: usize,
    head: Vec<f32>,
    stages: Vec<Vec<Vec<Complex<f32>>>>,
}

struct Plans {
    fwd: Arc<dyn RealToComplex<f32>>,
    inv: Arc<dyn ComplexToReal<f32>>,
}

fn stage_partitions(taps: usize, stage: usize) -> usize {
    let (block, start) = STAGES[stage];
    let end = STAGES.get(stage + 1).map_or(taps, |&(_, s)| s.min(taps));
    end.saturating_sub(start).div_ceil(block)
}

impl PreparedKernel {
    /// Transforms FIR taps for a convolver of `max_taps` (shorter kernels are zero-padded,
    /// longer ones truncated). Allocates: call off the audio thread.
    pub fn new(taps: &[f32], max_taps: usize) -> Self {
        let max_taps = max_taps.max(HEAD_TAPS);
        let tap = |i: usize| {
            if i < max_taps {
                taps.get(i).copied().unwrap_or(0.0)
            } else {
                0.0
            }
        };
        let head = (0..HEAD_TAPS).rev().map(tap).collect();
        let mut planner = RealFftPlanner::<f32>::new();
        let stages = STAGES
            .iter()
            .enumerate()
            .map(|(s, &(block, start))| {
                let fft = planner.plan_fft_forward(2 * block);
                (0..stage_partitions(max_taps, s))
                    .map(|p| {
                        let mut time = vec![0.0; 2 * block];
                        for (j, t) in time[..block].iter_mut().enumerate() {
                            *t = tap(start + p * block + j);
                        }
                        let mut spec = fft.make_output_vec();
                        let _ = fft.process(&mut time, &mut spec);
                        spec
                    })
                    .collect()
            })
            .collect();
        Self {
            taps: max_taps,
            head,
            stages,
        }
    }

    /// The identity (a unit impulse) for a convolver of `max_taps`.
    pub fn identity(max_taps: usize) -> Self {
        Self::new(&[1.0], max_taps)
    }

    /// The convolver size it was prepared for.
    pub fn max_taps(&self) -> usize {
        self.taps
    }

    /// Copies `other` (prepared for the same size) into `self` without allocating.
    fn copy_from(&mut self, other: &Self) {
        self.head.copy_from_slice(&other.head);
        for (a, b) in self.stages.iter_mut().zip(&other.stages) {
            for (pa, pb) in a.iter_mut().zip(b) {
                pa.copy_from_slice(pb);
            }
        }
    }
}

#[derive(Clone)]
struct Stage {
    block: usize,
    /// The previous and the current input block.
    input: Vec<f32>,
    /// Input spectra, newest at `fdl_pos`.
    fdl: Vec<Vec<Complex<f32>>>,
    fdl_pos: usize,
    /// This stage's output for the current block.
    out: Vec<f32>,
}

#[derive(Clone)]
struct State {
    /// The last `HEAD_TAPS - 1` inputs followed by the current chunk.
    history: Vec<f32>,
    stages: Vec<Stage>,
}

impl State {
    /// Copies `other` (of the same layout) into `self` without allocating.
    fn copy_from(&mut self, other: &Self) {
        self.history.copy_from_slice(&other.history);
        for (a, b) in self.stages.iter_mut().zip(&other.stages) {
            a.input.copy_from_slice(&b.input);
            for (fa, fb) in a.fdl.iter_mut().zip(&b.fdl) {
                fa.copy_from_slice(fb);
            }
            a.fdl_pos = b.fdl_pos;
            a.out.copy_from_slice(&b.out);
        }
    }
}

/// One channel of zero-latency FIR convolution. See the [module documentation](self).
pub struct PartitionedConvolver {
    taps: usize,
    plans: Vec<Plans>,
    kernels: [PreparedKernel; 2],
    states: [State; 2],
    active: usize,
    fade_left: usize,
    /// Samples into the largest stage's block.
    block_pos: usize,
    time: Vec<f32>,
    acc: Vec<Complex<f32>>,
    scratch_fwd: Vec<Complex<f32>>,
    scratch_inv: Vec<Complex<f32>>,
    head_out: Vec<f32>,
    other: Vec<f32>,
}

debug_summary!(PartitionedConvolver, |c| "taps": c.taps, "fading": c.fade_left > 0);

impl PartitionedConvolver {
    /// A convolver for kernels of up to `max_taps`, starting with the identity.
    pub fn new(max_taps: usize) -> Self {
        let kernel = PreparedKernel::identity(max_taps);
        let max_taps = kernel.taps;
        let mut planner = RealFftPlanner::<f32>::new();
        let plans: Vec<Plans> = STAGES
            .iter()
            .map(|&(block, _)| Plans {
                fwd: planner.plan_fft_forward(2 * block),
                inv: planner.plan_fft_inverse(2 * block),
            })
            .collect();
        let largest = STAGES.iter().map(|s| s.0).max().unwrap_or(64);
        let scratch = |p: &Plans| (p.fwd.get_scratch_len(), p.inv.get_scratch_len());
        let (sf, si) = plans
            .iter()
            .map(scratch)
            .fold((0, 0), |(a, b), (c, d)| (a.max(c), b.max(d)));
        let state = State {
            history: vec![0.0; HEAD_TAPS - 1 + STAGES[0].0],
            stages: STAGES
                .iter()
                .enumerate()
                .map(|(s, &(block, _))| Stage {
                    block,
                    input: vec![0.0; 2 * block],
                    fdl: vec![
                        vec![Complex::default(); block + 1];
                        stage_partitions(max_taps, s).max(1)
                    ],
                    fdl_pos: 0,
                    out: vec![0.0; block],
                })
                .collect(),
        };
        Self {
            taps: max_taps,
            plans,
            kernels: [kernel.clone(), kernel],
            states: [state.clone(), state],
            active: 0,
            fade_left: 0,
            block_pos: 0,
            time: vec![0.0; 2 * largest],
            acc: vec![Complex::default(); largest + 1],
            scratch_fwd: vec![Complex::default(); sf],
            scratch_inv: vec![Complex::default(); si],
            head_out: vec![0.0; STAGES[0].0],
            other: vec![0.0; STAGES[0].0],
        }
    }

    /// The largest kernel, taps.
    pub fn max_taps(&self) -> usize {
        self.taps
    }

    /// Clears the signal state (keeps the kernel).
    pub fn reset(&mut self) {
        for state in &mut self.states {
            state.history.fill(0.0);
            for s in &mut state.stages {
                s.input.fill(0.0);
                s.out.fill(0.0);
                s.fdl_pos = 0;
                for f in &mut s.fdl {
                    f.fill(Complex::default());
                }
            }
        }
        self.fade_left = 0;
        self.block_pos = 0;
    }

    /// Switches to `kernel` at once, without a fade (e.g. before processing starts).
    pub fn set_kernel_now(&mut self, kernel: &PreparedKernel) {
        if kernel.taps != self.taps {
            return;
        }
        self.kernels[self.active].copy_from(kernel);
        self.recompute_outputs(self.active);
        self.fade_left = 0;
    }

    /// Cross-fades to `kernel` over [`FADE_SAMPLES`]. Does not allocate. Returns `false`, and
    /// changes nothing, while a fade is still running (try again later) or for a kernel prepared
    /// for another size.
    pub fn set_kernel(&mut self, kernel: &PreparedKernel) -> bool {
        if kernel.taps != self.taps || self.fade_left > 0 {
            return false;
        }
        let next = 1 - self.active;
        self.kernels[next].copy_from(kernel);
        let (a, b) = self.states.split_at_mut(1);
        if next == 1 {
            b[0].copy_from(&a[0]);
        } else {
            a[0].copy_from(&b[0]);
        }
        self.recompute_outputs(next);
        self.active = next;
        self.fade_left = FADE_SAMPLES;
        true
    }

    /// Whether a cross-fade is running.
    pub fn is_fading(&self) -> bool {
        self.fade_left > 0
    }

    /// Samples left in the running cross-fade (0 when none runs).
    pub fn fade_remaining(&self) -> usize {
        self.fade_left
    }

    /// Recomputes each stage's pending output of state `which` with its kernel, from the input
    /// spectra already in its delay lines.
    fn recompute_outputs(&mut self, which: usize) {
        for s in 0..STAGES.len() {
            let newest = {
                let st = &self.states[which].stages[s];
                (st.fdl_pos + st.fdl.len() - 1) % st.fdl.len()
            };
            self.stage_output(which, s, newest);
        }
    }

    /// Computes stage `s`'s output block of state `which` from its delay line, whose newest
    /// spectrum is at `newest`.
    fn stage_output(&mut self, which: usize, s: usize, newest: usize) {
        let stage = &mut self.states[which].stages[s];
        let kernel = &self.kernels[which].stages[s];
        let block = stage.block;
        let acc = &mut self.acc[..block + 1];
        acc.fill(Complex::default());
        let len = stage.fdl.len();
        // Partition p pairs with the input spectrum p blocks old, in groups (each bin summed
        // over a group in a register, in partition order: the same sums as one at a time).
        let mut p = 0;
        while p < kernel.len() {
            let group = (kernel.len() - p).min(GROUP);
            let parts: [Part; GROUP] = std::array::from_fn(|j| {
                if j < group {
                    (
                        &kernel[p + j][..],
                        &stage.fdl[(newest + len - p - j) % len][..],
                    )
                } else {
                    (&[][..], &[][..])
                }
            });
            multiply_add(acc, &parts[..group]);
            p += group;
        }
        acc[0].im = 0.0;
        acc[block].im = 0.0;
        let time = &mut self.time[..2 * block];
        let _ = self.plans[s]
            .inv
            .process_with_scratch(acc, time, &mut self.scratch_inv);
        let scale = 1.0 / (2 * block) as f32;
        for (o, &t) in stage.out.iter_mut().zip(&time[block..]) {
            *o = t * scale;
        }
    }

    /// Convolves `x` in place.
    pub fn process(&mut self, x: &mut [f32]) {
        let small = STAGES[0].0;
        let mut done = 0;
        while done < x.len() {
            let n = (small - self.block_pos % small).min(x.len() - done);
            let chunk = &mut x[done..done + n];
            self.run_chunk(chunk);
            done += n;
        }
    }

    /// A chunk that does not cross a block boundary of the smallest stage.
    fn run_chunk(&mut self, chunk: &mut [f32]) {
        let n = chunk.len();
        let fading = self.fade_left > 0;
        let count = if fading { 2 } else { 1 };
        let order = [self.active, 1 - self.active];
        for (slot, &w) in order.iter().enumerate().take(count) {
            let out = if slot == 0 {
                &mut self.head_out[..n]
            } else {
                &mut self.other[..n]
            };
            let state = &mut self.states[w];
            state.history[HEAD_TAPS - 1..HEAD_TAPS - 1 + n].copy_from_slice(chunk);
            crate::filters::oversampling::fir(
                &self.kernels[w].head,
                &state.history[..HEAD_TAPS - 1 + n],
                out,
            );
            state.history.copy_within(n..n + HEAD_TAPS - 1, 0);
            for st in &mut state.stages {
                let at = self.block_pos % st.block;
                for (o, &t) in out.iter_mut().zip(&st.out[at..at + n]) {
                    *o += t;
                }
                st.input[st.block + at..st.block + at + n].copy_from_slice(chunk);
            }
        }
        if fading {
            for (i, c) in chunk.iter_mut().enumerate() {
                let left = self.fade_left.saturating_sub(i);
                // Raised-cosine (equal-gain) fade: the two kernels' outputs are correlated.
                let g = 0.5
                    - 0.5
                        * (std::f32::consts::PI * (1.0 - left as f32 / FADE_SAMPLES as f32)).cos();
                *c = self.other[i] * (1.0 - g) + self.head_out[i] * g;
            }
            self.fade_left = self.fade_left.saturating_sub(n);
        } else {
            chunk.copy_from_slice(&self.head_out[..n]);
        }
        self.block_pos += n;
        if self.block_pos.is_multiple_of(STAGES[0].0) {
            for (s, &(block, _)) in STAGES.iter().enumerate() {
                if self.block_pos.is_multiple_of(block) {
                    for &w in order.iter().take(count) {
                        self.finish_block(w, s);
                    }
                }
            }
            if self.block_pos == LARGEST_BLOCK {
                self.block_pos = 0;
            }
        }
    }

    /// Stage `s` of state `w` has a full block: transform it into the delay line and compute
    /// the stage's next output block.
    fn finish_block(&mut self, w: usize, s: usize) {
        let st = &mut self.states[w].stages[s];
        let block = st.block;
        let time = &mut self.time[..2 * block];
        time.copy_from_slice(&st.input);
        let newest = st.fdl_pos;
        let _ = self.plans[s].fwd.process_with_scratch(
            time,
            &mut st.fdl[newest],
            &mut self.scratch_fwd,
        );
        st.fdl_pos = (newest + 1) % st.fdl.len();
        st.input.copy_within(block.., 0);
        self.stage_output(w, s, newest);
    }
}

/// A linear-phase FIR of `taps` (even) taps whose magnitude follows `magnitude(freq_hz)`
/// (linear gain), delayed by `taps / 2`: the window method by frequency sampling (the
/// magnitude on a grid of `grid * taps` points with zero phase, its inverse transform cut to
/// the `taps` around the centre, a Tukey window with cosine tapers over `taper` of the length
/// (1 is the periodic Hann window); A. V. Oppenheim and R. W. Schafer, "Discrete-Time Signal
/// Processing", 3rd ed., 2010, sec. 7.5; F. J. Harris, "On the use of windows for harmonic
/// analysis with the discrete Fourier transform", Proc. IEEE 66(1), 1978). The taps are
/// symmetric about `taps / 2`. Allocates: call off the audio thread.
pub fn linear_phase_fir(
    taps: usize,
    grid: usize,
    taper: f64,
    magnitude: impl Fn(f64) -> f64,
    sample_rate_hz: f64,
) -> Vec<f32> {
    let n = taps.max(16) & !1;
    let m = n * grid.max(1);
    let ifft = RealFftPlanner::<f64>::new().plan_fft_inverse(m);
    // Zero phase, delayed by m/2: multiply bin k by e^{-i pi k} = (-1)^k.
    let mut spec: Vec<Complex<f64>> = (0..=m / 2)
        .map(|k| {
            let g = magnitude(k as f64 * sample_rate_hz / m as f64);
            Complex::new(if k % 2 == 0 { g } else { -g }, 0.0)
        })
        .collect();
    let mut h = vec![0.0; m];
    // The first and last bins are real by construction, so this cannot fail.
    let _ = ifft.process(&mut spec, &mut h);
    let taper = taper.clamp(1e-6, 1.0);
    let start = m / 2 - n / 2;
    h[start..start + n]
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            // Distance from the centre in half-lengths: 0 at n/2, 1 at tap 0.
            let x = (i as f64 - (n / 2) as f64).abs() / (n / 2) as f64;
            let edge = 1.0 - taper;
            let w = if x <= edge {
                1.0
            } else {
                0.5 + 0.5 * (std::f64::consts::PI * (x - edge) / taper).cos()
            };
            (v / m as f64 * w) as f32
        })
        .collect()
}

/// Partitions [`multiply_add`] takes at a time.
const GROUP: usize = 8;

/// One partition's spectrum and the input spectrum it pairs with.
type Part<'a> = (&'a [Complex<f32>], &'a [Complex<f32>]);

/// `acc[k] += h[k] * x[k]` for each `(h, x)` of `parts` in turn, over `acc`'s length (every
/// `h` and `x` at least as long): on x86_64 CPUs with AVX four complex products per
/// instruction on the interleaved numbers as they are (the real and imaginary parts of `h`
/// duplicated, the pairs of `x` swapped, one subtract-add), each bin's sum kept in a register
/// across the parts; elsewhere the plain loops. Per bin both add the same products, each
/// `Complex`'s `h * x` (re: `h.re x.re - h.im x.im`, im: `h.re x.im + h.im x.re`), in the
/// order of `parts`, nothing fused: bit-identical results.
#[inline]
fn multiply_add(acc: &mut [Complex<f32>], parts: &[Part]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU supports AVX, checked just above.
        return unsafe { multiply_add_avx(acc, parts) };
    }
    for (h, x) in parts {
        multiply_add_generic(acc, h, x);
    }
}

/// [`multiply_add`] with AVX.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn multiply_add_avx(acc: &mut [Complex<f32>], parts: &[Part]) {
    use std::arch::x86_64::{
        _mm256_add_ps, _mm256_addsub_ps, _mm256_loadu_ps, _mm256_movehdup_ps, _mm256_moveldup_ps,
        _mm256_mul_ps, _mm256_permute_ps, _mm256_storeu_ps,
    };
    let n = acc.len();
    assert!(parts.iter().all(|(h, x)| h.len() >= n && x.len() >= n));
    let wide = n - n % 4;
    // `Complex<f32>` is `#[repr(C)]` (re, im): four of them are eight floats.
    let pa = acc.as_mut_ptr().cast::<f32>();
    for k in (0..wide).step_by(4) {
        // SAFETY: k + 4 <= n, within `acc` and (asserted above) every `h` and `x`.
        unsafe {
            let mut sum = _mm256_loadu_ps(pa.add(2 * k));
            for (h, x) in parts {
                let hv = _mm256_loadu_ps(h.as_ptr().cast::<f32>().add(2 * k));
                let xv = _mm256_loadu_ps(x.as_ptr().cast::<f32>().add(2 * k));
                let p1 = _mm256_mul_ps(_mm256_moveldup_ps(hv), xv);
                let p2 =
                    _mm256_mul_ps(_mm256_movehdup_ps(hv), _mm256_permute_ps::<0b1011_0001>(xv));
                sum = _mm256_add_ps(sum, _mm256_addsub_ps(p1, p2));
            }
            _mm256_storeu_ps(pa.add(2 * k), sum);
        }
    }
    for (h, x) in parts {
        multiply_add_generic(&mut acc[wide..], &h[wide..n], &x[wide..n]);
    }
}

/// [`multiply_add`]'s plain loop for one part.
#[inline(always)]
fn multiply_add_generic(acc: &mut [Complex<f32>], h: &[Complex<f32>], x: &[Complex<f32>]) {
    for ((a, h), x) in acc.iter_mut().zip(h).zip(x) {
        *a += h * x;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `multiply_add` (the AVX path on CPUs that have it) gives the plain loops' bits, for
    /// lengths with and without a tail past a multiple of four and any number of parts.
    #[test]
    fn multiply_add_gives_the_plain_loops_bits() {
        let mut seed = 0x1234_5678u32;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed as f32 / u32::MAX as f32 - 0.5
        };
        for n in [1, 3, 4, 5, 65, 1025] {
            for count in [1, 2, GROUP] {
                let mut spectrum = || -> Vec<Complex<f32>> {
                    (0..n).map(|_| Complex::new(next(), next())).collect()
                };
                let spectra: Vec<Vec<Complex<f32>>> = (0..2 * count).map(|_| spectrum()).collect();
                let start = spectrum();
                let parts: Vec<Part> = spectra.chunks(2).map(|p| (&p[0][..], &p[1][..])).collect();
                let mut plain = start.clone();
                for (h, x) in &parts {
                    multiply_add_generic(&mut plain, h, x);
                }
                let mut fast = start;
                multiply_add(&mut fast, &parts);
                let bits = |v: &[Complex<f32>]| -> Vec<(u32, u32)> {
                    v.iter().map(|c| (c.re.to_bits(), c.im.to_bits())).collect()
                };
                assert_eq!(bits(&fast), bits(&plain), "{n} bins, {count} parts");
            }
        }
    }
}
