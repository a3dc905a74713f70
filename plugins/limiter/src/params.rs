//! Lathe Limiter's parameters and factory presets.
//!
//! They are defined in `lathe-params` (`crates/params/src/limiter`), not here: the `lathe` CLI
//! parses values with the very same parameter objects, and it cannot link two plugin crates
//! because each exports the CLAP/VST3 entry symbols. IDs are permanent once released.

pub use lathe_params::limiter::*;
