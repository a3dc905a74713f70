//! The Lathe plugins' parameters (IDs fixed forever once released) and factory presets, and
//! their mapping to `lathe-dsp` settings. The plugins expose them to hosts; `lathe render`
//! parses values with them, so a value typed into the CLI means what it means in the plugin.

#![warn(missing_docs)]

pub mod builders;
pub mod bus_compressor;
pub mod channel_strip;
pub mod limiter;
pub mod reference;
