//! Realtime plumbing between the audio thread and the rest: lock-free mailboxes for settings
//! and results, and the sample ring that feeds analysis threads. Nothing here allocates or
//! locks on the audio side.

pub mod mailbox;
pub mod ring;
