//! Glue shared by the four Lathe plugins.
//!
//! - [`IoParams`]: the input/output trims and the host-flagged bypass every plugin has, with IDs
//!   that are fixed forever (`input_gain`, `output_gain`, `bypass`).
//! - [`IoMeters`]: lock-free peak readouts the audio thread writes and the editor reads.
//! - [`ChainRunner`]: owns a `lathe-dsp` [`PluginChain`], feeds it nice-plug's buffers, and
//!   reports latency changes to the host.
//! - [`formatters`]: value/text conversions that accept what users type ("-6", "-6dB", "+3 dB").
//! - [`param_table`]: safe by-ID access to parameters outside a host (the CLI, tests, state
//!   migration); the one place that dereferences nice-plug's raw parameter pointers.

#![warn(missing_docs)]

pub mod formatters;
mod io;
mod meters;
pub mod param_table;
mod runner;

pub use io::IoParams;
pub use meters::{
    GainHistory, HISTORY_SLOT_S, HISTORY_SLOTS, HistoryPoint, HistoryWriter, IoMeters, PeakReadout,
};
pub use runner::ChainRunner;

/// Vendor name shown by hosts for every Lathe plugin.
pub const VENDOR: &str = "Lathe Audio";
/// Project web page.
pub const URL: &str = "https://example.invalid/lathe";
/// Contact address.
pub const EMAIL: &str = "lathe@example.invalid";

pub use lathe_dsp::PluginChain;
