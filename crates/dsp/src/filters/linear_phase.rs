//! Linear-phase processing of a stereo pair in mid/side: one FIR per lane (mid and side) run by
//! the partitioned convolver with its kernel cross-fade, the kernels designed off the audio
//! thread. The strip's linear-phase EQ ([`crate::filters::linear_eq`]) and its linear-phase
//! imager ([`crate::color::imager::LinearImagerSettings`]) are two designs for it.
//!
//! Lanes: a mono signal runs through the mid kernel (its mid is all of it); a stereo pair is
//! split into `M = (L + R) / 2` and `S = (L - R) / 2`, each through its kernel, and
//! `L = M + S`, `R = M - S` after. A design that is a pure delay (an EQ with nothing on, an
//! imager at 100 % everywhere) passes its input delayed exactly, bit for bit, once no fade
//! runs. The latency is half the FIR length, fixed per sample rate whatever the design.
//!
//! Kernels are designed off the audio thread: a [`Designer`] thread takes the newest design
//! the audio thread asked for (woken by `unpark`, wait-free for the caller) and hands the
//! prepared kernels back through a [`mailbox`](crate::rt::mailbox). Without a designer
//! (offline rendering, tests) the kernels are designed inline when the settings change, so
//! the output depends only on the settings. A design may ask for its convolvers to stop while
//! it is a delay ([`LinearDesign::IDLE_WHEN_DELAY`], the imager: usually off): the block then
//! costs a delay line; when a design arrives they restart from silence, fill their history
//! for one FIR length while the output stays the exact delay, and then the output fades over
//! to them (so such a stage switched on is heard after one FIR length plus the fade). A new kernel cross-fades in over
//! [`FADE_SAMPLES`](crate::filters::convolution::FADE_SAMPLES); one that arrives during a fade
//! starts exactly where that fade ends, so the output does not depend on how the host cuts
//! blocks.

use crate::filters::convolution::{FADE_SAMPLES, PartitionedConvolver, PreparedKernel};
use crate::rt::mailbox::{MailReceiver, MailSender, mailbox};
use crate::{Block, DelayLine};
use std::time::Duration;

/// Samples processed per M/S chunk.
const CHUNK: usize = 256;

/// A lane of a stereo signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// `(L + R) / 2` (a mono signal: all of it).
    Mid,
    /// `(L - R) / 2`.
    Side,
}

/// What a [`LinearPhase`] block runs: the taps of each lane for a set of settings.
pub trait LinearDesign: Copy + PartialEq + Default + Send + std::fmt::Debug + 'static {
    /// The FIR length at `sample_rate_hz`, taps (even; the latency is half of it).
    fn taps(sample_rate_hz: f64) -> usize;
    /// The mid's taps and the side's (`None`: the same as the mid's), each
    /// [`Self::taps`] long and symmetric about its centre.
    fn design(&self, sample_rate_hz: f64) -> (Vec<f32>, Option<Vec<f32>>);
    /// Whether the design is a pure delay of half the FIR length.
    fn is_delay(&self) -> bool;
    /// Whether the mid is always a pure delay (then it is delayed exactly and only the side
    /// runs through a convolver).
    const MID_IS_DELAY: bool = false;
    /// Whether the convolvers stop while the design is a delay (saves their cost; a design
    /// that arrives then is heard after one FIR length, while they refill). For stages that
    /// are usually off.
    const IDLE_WHEN_DELAY: bool = false;
}

/// An FIR length for `seconds` at `sample_rate_hz`: the next power of two, within
/// `min_taps..=max_taps` (the designs' [`LinearDesign::taps`]).
pub fn power_of_two_taps(
    seconds: f64,
    sample_rate_hz: f64,
    min_taps: usize,
    max_taps: usize,
) -> usize {
    ((seconds * sample_rate_hz).round() as usize)
        .next_power_of_two()
        .clamp(min_taps, max_taps)
}

/// A unit impulse at the centre of `taps` taps: a pure delay of `taps / 2`.
pub fn delay_taps(taps: usize) -> Vec<f32> {
    let mut t = vec![0.0; taps];
    t[taps / 2] = 1.0;
    t
}

/// Kernels for both lanes, prepared for the convolver.
#[derive(Debug, Clone)]
pub struct LinearKernels<D> {
    /// The sample rate they were designed for.
    pub sample_rate_hz: f64,
    /// The settings they were designed from.
    pub design: D,
    /// The mid kernel and the side kernel.
    pub lanes: [PreparedKernel; 2],
}

impl<D: LinearDesign> LinearKernels<D> {
    /// Designs and prepares both lanes' kernels (allocates; milliseconds: call off the audio
    /// thread).
    pub fn new(design: &D, sample_rate_hz: f64) -> Self {
        let taps = D::taps(sample_rate_hz);
        let (mid, side) = if design.is_delay() {
            (delay_taps(taps), None)
        } else {
            design.design(sample_rate_hz)
        };
        let mid = PreparedKernel::new(&mid, taps);
        let side = side.map_or_else(|| mid.clone(), |s| PreparedKernel::new(&s, taps));
        Self {
            sample_rate_hz,
            design: *design,
            lanes: [mid, side],
        }
    }
}

/// The audio thread's end of a designer thread: requests go out through a wait-free ring
/// (the thread is woken with `unpark`), kernels come back through a mailbox. Dropping it ends
/// the thread.
pub struct Designer<D> {
    requests: rtrb::Producer<(D, f64)>,
    kernels: MailReceiver<Box<LinearKernels<D>>>,
    thread: std::thread::Thread,
}

impl<D> std::fmt::Debug for Designer<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Designer")
    }
}

impl<D: LinearDesign> Designer<D> {
    /// Starts a designer thread (allocates; call from `activate` or the main thread).
    pub fn spawn() -> std::io::Result<Self> {
        let (requests, mut incoming) = rtrb::RingBuffer::<(D, f64)>::new(4);
        let (mut sender, kernels): (MailSender<Box<LinearKernels<D>>>, _) = mailbox();
        let handle = std::thread::Builder::new()
            .name("lathe-linear-phase".into())
            .spawn(move || {
                let mut unsent: Option<Box<LinearKernels<D>>> = None;
                loop {
                    let mut newest = None;
                    while let Ok(request) = incoming.pop() {
                        newest = Some(request);
                    }
                    if let Some((design, sample_rate_hz)) = newest {
                        unsent = Some(Box::new(LinearKernels::new(&design, sample_rate_hz)));
                    }
                    match unsent.take() {
                        Some(k) => unsent = sender.send(k).err(),
                        None => sender.collect(),
                    }
                    if incoming.is_abandoned() && incoming.is_empty() {
                        break;
                    }
                    // Woken by a request; retried soon while the audio thread has not taken
                    // the last kernels; now and then to notice the block is gone.
                    let wait = if unsent.is_some() { 5 } else { 200 };
                    std::thread::park_timeout(Duration::from_millis(wait));
                }
            })?;
        Ok(Self {
            requests,
            kernels,
            thread: handle.thread().clone(),
        })
    }
}

/// A linear-phase mid/side FIR (a [`Block`](crate::Block)) running design `D`. See the
/// [module documentation](self).
pub struct LinearPhase<D: LinearDesign> {
    sample_rate_hz: f64,
    convolvers: Vec<PartitionedConvolver>,
    /// The input, delayed exactly by the latency (the output while the design is a delay).
    delay: DelayLine,
    settings: D,
    /// The design of the kernels running (or fading in).
    applied: Option<D>,
    /// The newest designed kernels; `pending` while they wait for a running fade to end.
    incoming: Box<LinearKernels<D>>,
    pending: bool,
    designer: Option<Designer<D>>,
    /// The design last sent to the designer.
    requested: Option<(D, f64)>,
    /// Nothing processed since construction or reset: kernels apply without a fade.
    fresh: bool,
    /// The design is a delay and the convolvers are not running (their history is stale).
    cold: bool,
    /// Samples until restarted convolvers have a full history (the output stays the delay).
    warm_left: usize,
    /// Samples left of the fade from the exact delay to restarted convolvers.
    fade_in_left: usize,
    mid: Box<[f32; CHUNK]>,
    side: Box<[f32; CHUNK]>,
    dry: Vec<Vec<f32>>,
}

impl<D: LinearDesign> std::fmt::Debug for LinearPhase<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinearPhase")
            .field("sample_rate_hz", &self.sample_rate_hz)
            .field("taps", &D::taps(self.sample_rate_hz))
            .field("settings", &self.settings)
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

impl<D: LinearDesign> LinearPhase<D> {
    /// A block for up to `max_channels` at `sample_rate_hz`, a pure delay of half the FIR
    /// until settings arrive.
    pub fn new(max_channels: usize, sample_rate_hz: f64) -> Self {
        let channels = max_channels.max(2);
        let mut block = Self {
            sample_rate_hz,
            convolvers: Vec::new(),
            delay: DelayLine::new(0, 0),
            settings: D::default(),
            applied: None,
            incoming: Box::new(LinearKernels::new(&D::default(), sample_rate_hz)),
            pending: true,
            designer: None,
            requested: None,
            fresh: true,
            cold: false,
            warm_left: 0,
            fade_in_left: 0,
            mid: Box::new([0.0; CHUNK]),
            side: Box::new([0.0; CHUNK]),
            dry: vec![vec![0.0; CHUNK]; channels],
        };
        block.build(channels);
        block
    }

    fn build(&mut self, channels: usize) {
        let taps = D::taps(self.sample_rate_hz);
        self.convolvers = (0..channels)
            .map(|_| PartitionedConvolver::new(taps))
            .collect();
        self.delay = DelayLine::new(channels, taps / 2);
        self.delay.set_delay(taps / 2);
        self.apply(true);
    }

    /// Designs kernels on `designer`'s thread from now on, and brings the kernels in use up to
    /// the current settings at once (allocates: call from `activate`, not the audio thread).
    pub fn attach(&mut self, designer: Designer<D>) {
        self.designer = Some(designer);
        self.requested = None;
        self.settle();
    }

    /// Whether a designer thread is attached.
    pub fn has_designer(&self) -> bool {
        self.designer.is_some()
    }

    /// Designs and applies the kernels for the current settings now, without a fade, unless
    /// they are already in use (allocates: call off the audio thread).
    pub fn settle(&mut self) {
        if self.is_current() {
            return;
        }
        *self.incoming = LinearKernels::new(&self.settings, self.sample_rate_hz);
        self.pending = true;
        self.apply(true);
    }

    /// Whether kernels for the current settings are running (fully or still fading in).
    pub fn is_current(&self) -> bool {
        self.applied == Some(self.settings) && !self.pending
    }

    /// The settings asked for.
    pub fn settings(&self) -> &D {
        &self.settings
    }

    /// Moves the convolvers to `incoming`: at once when `now`, else cross-faded.
    fn apply(&mut self, now: bool) {
        self.pending = false;
        if self.incoming.sample_rate_hz != self.sample_rate_hz {
            return;
        }
        for (i, c) in self.convolvers.iter_mut().enumerate() {
            let kernel = &self.incoming.lanes[usize::from(i == 1)];
            if now {
                c.set_kernel_now(kernel);
            } else {
                c.set_kernel(kernel);
            }
        }
        self.applied = Some(self.incoming.design);
    }

    /// Takes kernels the designer finished and asks it for the current settings.
    fn poll(&mut self) {
        let Some(designer) = &mut self.designer else {
            return;
        };
        if designer.kernels.receive(&mut self.incoming) {
            self.pending = self.incoming.sample_rate_hz == self.sample_rate_hz
                && Some(self.incoming.design) != self.applied;
        }
        let wanted = (self.settings, self.sample_rate_hz);
        let designed = self.incoming.design == self.settings
            && self.incoming.sample_rate_hz == self.sample_rate_hz;
        if !designed && self.requested != Some(wanted) && designer.requests.push(wanted).is_ok() {
            self.requested = Some(wanted);
            designer.thread.unpark();
        }
        if self.pending && self.fresh {
            self.apply(true);
        }
    }

    /// Runs the convolvers over `channels[from..from + n]` (after [`Self::run_delay`]).
    fn run(&mut self, channels: &mut [&mut [f32]], from: usize, n: usize) {
        if D::MID_IS_DELAY {
            self.run_side_only(channels, from, n);
            return;
        }
        match channels {
            [] => {}
            [mono] => self.convolvers[0].process(&mut mono[from..from + n]),
            [left, right, rest @ ..] => {
                let (l, r) = (&mut left[from..from + n], &mut right[from..from + n]);
                let (mid, side) = (&mut self.mid[..n], &mut self.side[..n]);
                for (((m, s), &l), &r) in mid.iter_mut().zip(side.iter_mut()).zip(&*l).zip(&*r) {
                    *m = 0.5 * (l + r);
                    *s = 0.5 * (l - r);
                }
                self.convolvers[0].process(mid);
                self.convolvers[1].process(side);
                for (((l, r), &m), &s) in l.iter_mut().zip(r.iter_mut()).zip(&*mid).zip(&*side) {
                    *l = m + s;
                    *r = m - s;
                }
                for (ch, c) in rest.iter_mut().zip(&mut self.convolvers[2..]) {
                    c.process(&mut ch[from..from + n]);
                }
            }
        }
    }

    /// The mid delayed exactly (from `self.dry`), the side through its convolver; any other
    /// channel delayed exactly.
    fn run_side_only(&mut self, channels: &mut [&mut [f32]], from: usize, n: usize) {
        match channels {
            [left, right, rest @ ..] => {
                let (l, r) = (&mut left[from..from + n], &mut right[from..from + n]);
                let side = &mut self.side[..n];
                for ((s, &l), &r) in side.iter_mut().zip(&*l).zip(&*r) {
                    *s = 0.5 * (l - r);
                }
                self.convolvers[1].process(side);
                let (dl, dr) = (&self.dry[0][..n], &self.dry[1][..n]);
                for ((((l, r), &s), &a), &b) in
                    l.iter_mut().zip(r.iter_mut()).zip(&*side).zip(dl).zip(dr)
                {
                    let m = 0.5 * (a + b);
                    *l = m + s;
                    *r = m - s;
                }
                for (ch, dry) in rest.iter_mut().zip(&self.dry[2..]) {
                    ch[from..from + n].copy_from_slice(&dry[..n]);
                }
            }
            _ => {
                for (ch, dry) in channels.iter_mut().zip(&self.dry) {
                    ch[from..from + n].copy_from_slice(&dry[..n]);
                }
            }
        }
    }

    /// The input of `channels[from..from + n]` delayed exactly, into `self.dry`.
    fn run_delay(&mut self, channels: &[&mut [f32]], from: usize, n: usize) {
        let mut dry: [&mut [f32]; crate::chains::MAX_CHANNELS] = Default::default();
        let count = channels.len().min(self.dry.len()).min(dry.len());
        for ((d, buf), ch) in dry.iter_mut().zip(&mut self.dry).zip(channels) {
            buf[..n].copy_from_slice(&ch[from..from + n]);
            *d = &mut buf[..n];
        }
        self.delay.process(&mut dry[..count]);
    }
}

impl<D: LinearDesign> crate::Block for LinearPhase<D> {
    type Settings = D;

    /// Rebuilds the convolvers for the rate's FIR length (allocates) and designs the current
    /// settings' kernels inline.
    fn set_sample_rate(&mut self, sample_rate_hz: f64) {
        if sample_rate_hz == self.sample_rate_hz {
            return;
        }
        self.sample_rate_hz = sample_rate_hz;
        *self.incoming = LinearKernels::new(&D::default(), sample_rate_hz);
        self.applied = None;
        self.requested = None;
        self.build(self.convolvers.len());
        self.settle();
    }

    /// Asks for kernels for `settings`: designed inline without a designer (allocates), else
    /// requested from the designer thread (wait-free).
    fn set_settings(&mut self, settings: &D) {
        self.settings = *settings;
        if self.designer.is_some() {
            self.poll();
        } else if !self.is_current() {
            *self.incoming = LinearKernels::new(settings, self.sample_rate_hz);
            self.pending = true;
            if self.fresh {
                self.apply(true);
            }
        }
    }

    /// Clears the signal state; the kernels stay.
    fn reset(&mut self) {
        for c in &mut self.convolvers {
            c.reset();
        }
        Block::reset(&mut self.delay);
        self.fresh = true;
        // Cleared convolvers are the right history for what follows a reset (silence).
        self.cold = false;
        self.warm_left = 0;
        self.fade_in_left = 0;
        if self.pending {
            self.apply(true);
        }
    }

    /// Half the FIR length, whatever the settings.
    fn latency(&self) -> u32 {
        (D::taps(self.sample_rate_hz) / 2) as u32
    }

    /// Filters a block in place.
    fn process(&mut self, channels: &mut [&mut [f32]]) {
        self.poll();
        self.fresh = false;
        let len = channels.first().map_or(0, |c| c.len());
        let taps = D::taps(self.sample_rate_hz);
        let mut done = 0;
        while done < len {
            let fading = self.convolvers[0].is_fading();
            if self.pending && self.cold {
                if self.incoming.design.is_delay() {
                    // Still a delay: stay cold.
                    self.applied = Some(self.incoming.design);
                    self.pending = false;
                } else {
                    // The convolvers start from silence and fill their history while the
                    // output stays the exact delay; then it fades over to them.
                    for c in &mut self.convolvers {
                        c.reset();
                    }
                    self.apply(true);
                    self.cold = false;
                    self.warm_left = taps;
                }
            } else if self.pending && !fading {
                self.apply(false);
            }
            let delay_design = self.applied.is_some_and(|d| d.is_delay());
            let fading = self.convolvers[0].is_fading();
            if D::IDLE_WHEN_DELAY && !self.cold && delay_design && !fading && self.warm_left == 0 {
                // Nothing to convolve: the output is the exact delay until a design arrives.
                self.cold = true;
                self.fade_in_left = 0;
            }
            let mut n = (len - done).min(CHUNK);
            if self.pending {
                n = n.min(self.convolvers[0].fade_remaining().max(1));
            }
            for left in [self.warm_left, self.fade_in_left] {
                if left > 0 {
                    n = n.min(left);
                }
            }
            self.run_delay(channels, done, n);
            if !self.cold {
                self.run(channels, done, n);
            }
            let exact = self.cold || (delay_design && !fading) || self.warm_left > 0;
            if exact {
                for (ch, dry) in channels.iter_mut().zip(&self.dry) {
                    ch[done..done + n].copy_from_slice(&dry[..n]);
                }
            } else if self.fade_in_left > 0 {
                // Raised-cosine fade from the exact delay to the convolvers (the two agree
                // but for the new design, so an equal-gain fade).
                let start = FADE_SAMPLES - self.fade_in_left;
                for (ch, dry) in channels.iter_mut().zip(&self.dry) {
                    for (i, (y, &d)) in ch[done..done + n].iter_mut().zip(&dry[..n]).enumerate() {
                        let t = (start + i) as f32 / FADE_SAMPLES as f32;
                        let g = 0.5 - 0.5 * (std::f32::consts::PI * t).cos();
                        *y = d * (1.0 - g) + *y * g;
                    }
                }
            }
            if self.warm_left > 0 {
                self.warm_left -= n;
                if self.warm_left == 0 {
                    self.fade_in_left = FADE_SAMPLES;
                }
            } else {
                self.fade_in_left = self.fade_in_left.saturating_sub(n);
            }
            done += n;
        }
    }
}
