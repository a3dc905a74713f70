//! The one build script of every plugin crate (each `Cargo.toml` says `build = "../build.rs"`):
//! link the plugin library with `-z nodelete` on Linux.
//!
//! Rust's standard library registers thread-local destructors through `pthread_key_create`.
//! When a host unloads the plugin (`dlclose`) and one of its threads that ran plugin code exits
//! later, glibc calls that destructor in unmapped code and the whole DAW crashes (seen in the
//! conformance suite as SIGSEGV in `__nptl_deallocate_tsd`; rust-lang/rust#91979). With
//! `nodelete` the code stays mapped after `dlclose`, which costs nothing and cannot crash.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
    }
}
