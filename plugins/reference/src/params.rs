//! Lathe Reference's parameters live in `lathe-params` (shared with the CLI); see there.

pub use lathe_params::reference::*;
