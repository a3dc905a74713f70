//! The audio thread never allocates: debug builds of the plugins with nice-plug's
//! `assert_process_allocs` feature abort the process on any allocation inside `process`. This
//! drives every realtime path through both formats (block sizes, oversized blocks, sample-
//! accurate automation, bypass, NaN input, reset); an allocation kills this test binary.

use lathe_conformance::battery::*;
use lathe_conformance::clap_host::ClapTestHost;
use lathe_conformance::vst3_host::Vst3TestHost;
use lathe_conformance::{Expected, PLUGINS, TestHost, debug_alloc_checked_library};

fn realtime_paths<H: TestHost>(host: &mut H, p: &Expected) {
    check_block_sizes_and_invariance(host, p);
    // nice-plug grows its sidechain buffers when a host exceeds the block size it announced
    // (a contract violation by the host); the output is still right (checked in clap.rs and
    // vst3.rs), but that path allocates, so it is only run allocation-checked without aux ports.
    if !p.sidechain {
        check_oversized_block(host, p);
    }
    check_sample_accurate_automation(host, p);
    check_bypass(host, p);
    check_bad_input(host, p);
    check_reset_reactivate(host, p);
    check_param_fuzz(host, p);
}

#[test]
fn clap_process_does_not_allocate() {
    for p in PLUGINS {
        let mut host = ClapTestHost::load(&debug_alloc_checked_library(p), p.clap_id);
        realtime_paths(&mut host, p);
    }
}

#[test]
fn vst3_process_does_not_allocate() {
    for p in PLUGINS {
        let mut host = Vst3TestHost::load(&debug_alloc_checked_library(p), p.vst3_cid);
        realtime_paths(&mut host, p);
    }
}
