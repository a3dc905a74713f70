//! Glue shared by the four Lathe plugins.
//!
//! - [`IoMeters`]: lock-free peak readouts the audio thread writes and the editor reads.
//! - [`ChainRunner`]: owns a `lathe-dsp` [`PluginChain`], feeds it nice-plug's buffers, and
//!   reports latency changes to the host.
//! - [`identity`]: who each plugin is ([`lathe_identity`]) in nice-plug's terms: the shared
//!   `Plugin` items ([`plugin_items!`]), the CLAP/VST3 descriptions and exports
//!   ([`export_plugin!`]), and the [`layouts`].
//! - [`param_table`]: safe by-ID access to parameters outside a host (the CLI, tests, state
//!   migration); the one place that dereferences nice-plug's raw parameter pointers.

#![warn(missing_docs)]

pub mod identity;
mod meters;
pub mod param_table;
mod runner;
pub mod switch;

pub use identity::layouts;
pub use lathe_identity::{self, Identity};
pub use meters::{
    ANALYZER_RING_SAMPLES, AnalyzerRing, GainHistory, HISTORY_SLOT_S, HISTORY_SLOTS, HistoryPoint,
    HistoryWriter, IoMeters, PeakReadout, push_mono,
};
pub use runner::{
    ChainPlugin, ChainRunner, PluginParts, activate_chain, channel_slices, process_chain,
};

#[doc(hidden)]
pub use nice_plug as __nice_plug;

/// Vendor name shown by hosts for every Lathe plugin.
pub const VENDOR: &str = "Lathe Audio";
/// Project web page.
pub const URL: &str = "https://example.invalid/lathe";
/// Contact address.
pub const EMAIL: &str = "lathe@example.invalid";

pub use lathe_dsp::PluginChain;
