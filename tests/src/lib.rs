//! Lathe's host-side conformance suite.
//!
//! Loads the built bundles in `target/bundled/` through real host APIs (CLAP through
//! `clack-host`, VST3 through its COM interfaces with the `vst3` crate) and runs the battery in
//! `battery/`, which follows `../shared/standards/host-conformance.md`. Both hosts implement
//! [`TestHost`], so every check runs identically against both formats.
//!
//! The bundles are built by `cargo xtask bundle-all --release` (the README's test command,
//! `cargo xtask test`, does that first).

pub mod battery;
pub mod clap_host;
pub mod signals;
pub mod vst3_host;

use std::path::PathBuf;

/// What a plugin must say about itself; the identities are permanent.
#[derive(Debug, Clone, Copy)]
pub struct Expected {
    /// Bundle and display name.
    pub name: &'static str,
    /// Rust crate name of the plugin library.
    pub crate_name: &'static str,
    /// CLAP plugin id.
    pub clap_id: &'static str,
    /// VST3 class id (16 ASCII bytes).
    pub vst3_cid: [u8; 16],
    /// CLAP features the descriptor must contain.
    pub clap_features: &'static [&'static str],
    /// VST3 subcategories (pipe-separated string must contain each).
    pub vst3_subcategories: &'static [&'static str],
    /// Main channel counts the plugin accepts.
    pub layouts: &'static [usize],
    /// Whether the plugin has a stereo sidechain input port.
    pub sidechain: bool,
    /// The choice parameters (lists of named values), by name.
    pub choices: &'static [&'static str],
    /// A parameter with a unit, its range in that unit and whether its travel is logarithmic:
    /// (name, min, max, logarithmic).
    pub unit_param: (&'static str, f64, f64, bool),
    /// Parameter settings (name, text) that change the latency, one set after another.
    pub latency_changes: &'static [&'static [(&'static str, &'static str)]],
    /// The editor's size at 100 % in pixels (at a host scale of 1), before any resize.
    pub editor_size: (u32, u32),
}

/// Planar audio: one `Vec` per channel.
pub type Planar = [Vec<f32>];

/// The four plugins of the suite.
pub const PLUGINS: &[Expected] = &[
    Expected {
        name: "Lathe Channel Strip",
        crate_name: "lathe_channel_strip",
        clap_id: "audio.lathe.channel-strip",
        vst3_cid: *b"LatheChanStrip01",
        clap_features: &["audio-effect", "stereo", "mono", "equalizer", "compressor"],
        vst3_subcategories: &["Fx", "EQ", "Dynamics"],
        layouts: &[2, 1],
        sidechain: false,
        choices: &[
            "HP Slope",
            "LP Slope",
            "Low Shelf Channel",
            "Low Mid Channel",
            "Mid Channel",
            "High Mid Channel",
            "High Shelf Channel",
            "Comp Detection",
            "Sat Character",
            "Sat Oversampling",
            "Order",
            "EQ Phase",
        ],
        unit_param: ("HP Freq", 10.0, 8000.0, true),
        latency_changes: &[
            &[
                ("Sat On", "On"),
                ("Sat Drive", "0"),
                ("Sat Oversampling", "8x"),
            ],
            &[("Sat Oversampling", "2x")],
            &[("EQ Phase", "Linear")],
        ],
        editor_size: (1000, 580),
    },
    Expected {
        name: "Lathe Bus Compressor",
        crate_name: "lathe_bus_compressor",
        clap_id: "audio.lathe.bus-compressor",
        vst3_cid: *b"LatheBusComp0001",
        clap_features: &["audio-effect", "stereo", "compressor"],
        vst3_subcategories: &["Fx", "Dynamics"],
        layouts: &[2],
        sidechain: true,
        choices: &[
            "Detection",
            "Sidechain",
            "Listen",
            "Saturation Character",
            "Multiband Phase",
        ],
        unit_param: ("Ratio", 1.0, 20.0, true),
        latency_changes: &[
            &[("Lookahead", "5")],
            &[("Saturation", "On")],
            &[("Multiband", "On"), ("Multiband Phase", "Linear")],
        ],
        editor_size: (1000, 590),
    },
    Expected {
        name: "Lathe Limiter",
        crate_name: "lathe_limiter",
        clap_id: "audio.lathe.limiter",
        vst3_cid: *b"LatheLimiter0001",
        clap_features: &["audio-effect", "stereo", "mono", "limiter", "mastering"],
        vst3_subcategories: &["Fx", "Dynamics", "Mastering"],
        layouts: &[2, 1],
        sidechain: false,
        choices: &["Oversampling", "Dither"],
        unit_param: ("Release", 5.0, 2000.0, false),
        latency_changes: &[&[("Oversampling", "16x")], &[("Lookahead", "5")]],
        editor_size: (900, 470),
    },
    Expected {
        name: "Lathe Reference",
        crate_name: "lathe_reference",
        clap_id: "audio.lathe.reference",
        vst3_cid: *b"LatheReference01",
        clap_features: &["audio-effect", "stereo", "analyzer"],
        vst3_subcategories: &["Fx", "Analyzer"],
        layouts: &[2],
        sidechain: false,
        choices: &["Match Phase", "Match Target"],
        unit_param: ("Match Low", 20.0, 1000.0, true),
        latency_changes: &[&[("Match Phase", "Linear")]],
        editor_size: (1080, 680),
    },
];

/// Cargo's target directory of the workspace.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// The directory holding the built bundles.
pub fn bundled_dir() -> PathBuf {
    target_dir().join("bundled")
}

/// The expectations of the plugin named `name` ("Lathe Limiter").
pub fn plugin(name: &str) -> &'static Expected {
    PLUGINS
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} is not in PLUGINS"))
}

/// Path of a plugin's `.clap` file; panics with instructions when it has not been built.
pub fn clap_path(p: &Expected) -> PathBuf {
    built(bundled_dir().join(format!("{}.clap", p.name)))
}

/// `path`, which a release bundle build makes; panics with instructions when it is missing.
fn built(path: PathBuf) -> PathBuf {
    assert!(
        path.exists(),
        "{} is missing: build the bundles with `cargo xtask bundle-all --release` \
         (or run the whole suite with `cargo xtask test`)",
        path.display()
    );
    path
}

/// Path of the shared library inside a plugin's `.vst3` bundle.
pub fn vst3_path(p: &Expected) -> PathBuf {
    let bundle = bundled_dir().join(format!("{}.vst3", p.name));
    let arch = if cfg!(target_arch = "aarch64") {
        "aarch64-linux"
    } else {
        "x86_64-linux"
    };
    built(
        bundle
            .join("Contents")
            .join(arch)
            .join(format!("{}.so", p.name)),
    )
}

/// The plugin library of a debug build with nice-plug's `assert_process_allocs` feature, which
/// aborts on any allocation inside `process`. `cargo xtask test` builds it and copies it to
/// `target/alloc-checked/lib<crate>.so`, out of the way of ordinary debug builds.
pub fn debug_alloc_checked_library(p: &Expected) -> PathBuf {
    let path = target_dir()
        .join("alloc-checked")
        .join(format!("lib{}.so", p.crate_name));
    assert!(
        path.exists(),
        "{} is missing: run the suite with `cargo xtask test`, which builds it",
        path.display(),
    );
    path
}

/// A parameter as the host sees it. Values are in the host API's own units (CLAP: the plugin's
/// declared range; VST3: normalized 0..1).
#[derive(Debug, Clone)]
pub struct ParamInfo {
    /// Host-side id.
    pub id: u32,
    /// Display name.
    pub name: String,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Default value.
    pub default: f64,
    /// Spacing of the value grid for discrete parameters, in host units (CLAP: 1.0; VST3:
    /// 1/stepCount); `None` for continuous ones.
    pub step: Option<f64>,
    /// Whether the host is told this is the bypass parameter.
    pub is_bypass: bool,
    /// Whether the host is told the values are a list of named choices (CLAP
    /// `CLAP_PARAM_IS_ENUM`, VST3 `kIsList`).
    pub is_list: bool,
}

impl ParamInfo {
    /// Snaps a value to the parameter's grid (identity for continuous parameters).
    pub fn snap(&self, v: f64) -> f64 {
        match self.step {
            Some(step) => ((v - self.min) / step).round() * step + self.min,
            None => v,
        }
    }
}

/// Descriptor as read through the host API.
#[derive(Debug, Clone)]
pub struct Descriptor {
    /// Plugin id (CLAP id, or the VST3 class id as ASCII).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Vendor.
    pub vendor: String,
    /// Version string.
    pub version: String,
    /// CLAP features or VST3 subcategories.
    pub features: Vec<String>,
}

/// The operations the battery needs from a host. All buffers are planar f32.
pub trait TestHost {
    /// Descriptor as the factory reports it.
    fn descriptor(&self) -> Descriptor;
    /// The parameters.
    fn params(&mut self) -> Vec<ParamInfo>;
    /// Whether the plugin gives parameter info for this index (CLAP `get_info`, VST3
    /// `getParameterInfo`); past the end it must refuse.
    fn param_info_exists(&mut self, index: usize) -> bool;
    /// Sets a parameter (takes effect at the next process call, or immediately when inactive).
    fn set_param(&mut self, id: u32, value: f64);
    /// Queues a parameter change at a sample offset inside the next process call (sample-
    /// accurate automation).
    fn set_param_at(&mut self, id: u32, value: f64, offset: u32);
    /// Reads a parameter's current value.
    fn get_param(&mut self, id: u32) -> f64;
    /// Value to display text.
    fn value_to_text(&mut self, id: u32, value: f64) -> Option<String>;
    /// Display text to value.
    fn text_to_value(&mut self, id: u32, text: &str) -> Option<f64>;
    /// Saves the state; `None` if the plugin refused.
    fn save_state(&mut self) -> Option<Vec<u8>>;
    /// Loads a state; `false` if the plugin refused it. `chunk` bounds how many bytes each read
    /// hands over (hosts that stream state in small pieces).
    fn load_state(&mut self, bytes: &[u8], chunk: usize) -> bool;
    /// Whether this plugin format's state loading must cope with streams that return fewer
    /// bytes than asked for (CLAP: yes, clap-validator checks it; VST3 hosts hand over the
    /// whole stream).
    fn partial_state_reads(&self) -> bool {
        false
    }
    /// Activates for a sample rate, maximum block size and main channel count.
    fn activate(&mut self, sample_rate: f64, max_block: usize, channels: usize) -> bool;
    /// Deactivates.
    fn deactivate(&mut self);
    /// The last activation's sample rate, maximum block and channel count.
    fn activation(&self) -> (f64, usize, usize);
    /// Deactivates and activates again as last time (a restart).
    fn reactivate(&mut self) {
        let (sample_rate, max_block, channels) = self.activation();
        assert!(
            self.activate(sample_rate, max_block, channels),
            "reactivation failed"
        );
    }
    /// The latency the plugin reports.
    fn latency(&mut self) -> u32;
    /// Processes one block out of place. `sidechain` is fed to the aux input if present.
    fn process(&mut self, inputs: &Planar, outputs: &mut Planar, sc: Option<&Planar>) -> bool;
    /// Resets the plugin (CLAP `reset`, VST3 `setProcessing(false/true)`).
    fn reset(&mut self);
    /// Host callbacks so far that broke the format's rules (CLAP: `latency.changed()` outside
    /// `activate()` or off the main thread; VST3: `restartComponent` from the audio thread or
    /// inside `process`).
    fn callback_violations(&mut self) -> Vec<String>;
    /// Restarts the plugin (deactivate, activate with the same configuration) if it asked for
    /// it because its latency changed, as hosts do; whether it did.
    fn restart_if_requested(&mut self) -> bool;
    /// How often the plugin told the host its latency changed (CLAP `latency.changed()`, VST3
    /// `restartComponent(kLatencyChanged)`).
    fn latency_notifications(&mut self) -> u32;
    /// Activates or deactivates the sidechain input (CLAP `audio-ports-activation`, VST3
    /// `activateBus`), as a host does when nothing is routed to it; whether the plugin accepted.
    fn set_sidechain_active(&mut self, active: bool) -> bool;
    /// Runs `process` on a separate audio thread from now on, as real hosts do (VST3 only; the
    /// CLAP host checks the activation rule instead).
    fn process_on_audio_thread(&mut self, _on: bool) {}
    /// Leaves the plugin's main-thread callback requests pending after `process` until the host
    /// next deactivates or pumps (CLAP only: a host whose main thread is busy).
    fn defer_main_thread_callbacks(&mut self, _on: bool) {}
    /// The plain value (in the parameter's unit) of a host value, where the format has plain
    /// values (VST3 `normalizedParamToPlain`); `None` where it has not (nice-plug's CLAP values
    /// are normalized; text is CLAP's plain interface).
    fn value_to_plain(&mut self, _id: u32, _value: f64) -> Option<f64> {
        None
    }
    /// The host value of a plain value (VST3 `plainParamToNormalized`); `None` as above.
    fn plain_to_value(&mut self, _id: u32, _plain: f64) -> Option<f64> {
        None
    }
    /// The editor's size in pixels as the host asks for it before opening it (CLAP
    /// `gui.get_size`, VST3 `IPlugView::getSize` of a new view), and whether the host may
    /// resize it (CLAP `gui.can_resize`, VST3 `IPlugView::canResize`); `None` without an
    /// editor.
    fn editor_geometry(&mut self) -> Option<((u32, u32), bool)>;
}
