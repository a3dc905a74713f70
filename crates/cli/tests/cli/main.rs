//! The CLI's integration tests in one binary (as separate binaries each compiled and linked the
//! crates again). Each file is a module, `common` their shared helpers; the `lathe` binary
//! they run is `CARGO_BIN_EXE_lathe`.

mod common;

mod analyze;
mod dither;
mod golden;
mod master;
mod matching;
mod presets;
mod render;
