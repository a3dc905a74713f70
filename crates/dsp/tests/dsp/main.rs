//! The DSP crate's integration tests in one binary (as separate binaries each compiled and
//! linked the crate's generic code and its dependencies again: most of the test build's time).
//! Each file is a module, `common` their shared helpers. `blocks` and `no_alloc` stay binaries
//! of their own: they install a counting global allocator.

mod common;

mod analysis_learn;
mod analysis_loudness_ebu;
mod analysis_loudness_vs_ebur128;
mod analysis_match_eq;
mod analysis_reference;
mod chains_bus_compressor;
mod chains_channel_strip;
mod chains_limiter;
mod chains_plugin_chain;
mod chains_reference;
mod color_imager;
mod color_saturator;
mod dynamics;
mod dynamics_multiband;
mod dynamics_peak_limiter;
mod filters_eq;
mod filters_linear_eq;
mod filters_oversampling;
