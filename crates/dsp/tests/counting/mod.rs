//! A global allocator that counts allocations and frees on the one test thread that asks
//! for it, for the realtime tests (`no_alloc.rs`, `blocks.rs`). One test at a time counts:
//! hold [`SERIAL`] while counting.

#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Held by the test that counts.
pub static SERIAL: Mutex<()> = Mutex::new(());

struct Counting;

thread_local! {
    /// Only the test thread that switched counting on is counted: the harness allocates on
    /// other threads when other tests finish.
    static THIS_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn counted() -> bool {
    COUNTING.load(Ordering::SeqCst) && THIS_THREAD.with(|t| t.get())
}

/// Switches counting on or off for this thread.
pub fn count(on: bool) {
    THIS_THREAD.with(|t| t.set(on));
    COUNTING.store(on, Ordering::SeqCst);
}
static COUNTING: AtomicBool = AtomicBool::new(false);
/// Allocations (and reallocations) `f` makes on this thread (the caller holds [`SERIAL`]).
pub fn allocations_in(f: impl FnOnce()) -> usize {
    ALLOCATIONS.store(0, Ordering::SeqCst);
    count(true);
    f();
    count(false);
    ALLOCATIONS.load(Ordering::SeqCst)
}

/// A stereo test signal of 4096 samples per channel: a sawtooth-like ramp of 101 steps,
/// `1/scale` per step, starting at `start`.
pub fn ramp_pair(scale: f32, start: f32) -> (Vec<f32>, Vec<f32>) {
    let a: Vec<f32> = (0..4096)
        .map(|i| ((i * 7) % 101) as f32 / scale + start)
        .collect();
    (a.clone(), a)
}

/// Allocations (and reallocations) counted.
pub static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
/// Frees counted.
pub static FREES: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counted() {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if counted() {
            FREES.fetch_add(1, Ordering::SeqCst);
        }
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if counted() {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;
