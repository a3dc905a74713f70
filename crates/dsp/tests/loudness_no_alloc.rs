//! The meter allocates nothing after construction: processing (planar and interleaved, any
//! channel count), readouts, publishing, `reset_maxima` and `reset` run allocation-free.

use lathe_dsp::loudness::{LoudnessMeter, LoudnessReadouts};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

struct Counting;
static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::SeqCst) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::SeqCst) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn nothing_allocates_after_construction() {
    for channels in [1usize, 2, 6, 12] {
        let planar: Vec<Vec<f32>> = (0..channels)
            .map(|c| {
                (0..10_000)
                    .map(|i| ((i * (c + 3)) % 97) as f32 / 97.0 - 0.5)
                    .collect()
            })
            .collect();
        let interleaved: Vec<f32> = (0..10_000)
            .flat_map(|i| planar.iter().map(move |ch| ch[i]))
            .collect();
        let slices: Vec<&[f32]> = planar.iter().map(|c| c.as_slice()).collect();
        let mut meter = LoudnessMeter::for_channels(48_000.0, channels);
        let readouts = LoudnessReadouts::default();

        ALLOCATIONS.store(0, Ordering::SeqCst);
        COUNTING.store(true, Ordering::SeqCst);
        for _ in 0..50 {
            meter.process(&slices);
            meter.process_interleaved(&interleaved);
            meter.publish(&readouts);
        }
        let report = meter.report();
        meter.reset_maxima();
        meter.reset();
        COUNTING.store(false, Ordering::SeqCst);

        assert!(report.integrated_lufs.is_finite());
        assert_eq!(
            ALLOCATIONS.load(Ordering::SeqCst),
            0,
            "{channels} channels: the meter allocated after construction"
        );
    }
}
