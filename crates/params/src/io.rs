//! Input/output trims and bypass: the parameters every Lathe plugin has.

use crate::formatters::{s2v_number, v2s_decimals};
use lathe_dsp::IoSettings;
use nice_plug::prelude::*;
use std::collections::BTreeMap;
use std::sync::RwLock;

/// The A/B comparison's state, saved with the project: which slot the parameters hold and the
/// other slot's values.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AbState {
    /// The parameters hold slot B (otherwise A).
    pub b_active: bool,
    /// The other slot's values, normalized, by parameter ID; `None` until the first switch
    /// (the other slot then starts as a copy).
    pub other: Option<BTreeMap<String, f32>>,
}

/// Trims and bypass. Nest this into a plugin's parameters with a plain `#[nested]` (no prefix),
/// so the IDs stay `input_gain`, `output_gain` and `bypass`.
#[derive(Params)]
pub struct IoParams {
    /// Gain before the processing, in dB.
    #[id = "input_gain"]
    pub input_gain: FloatParam,
    /// Gain after the processing, in dB.
    #[id = "output_gain"]
    pub output_gain: FloatParam,
    /// Host-flagged bypass: output = input delayed by the latency, crossfaded click-free.
    #[id = "bypass"]
    pub bypass: BoolParam,
    /// The editor's A/B slots (persisted as `ab`).
    #[persist = "ab"]
    pub ab: RwLock<AbState>,
    /// The editor's scale, 0.75-2 (persisted as `editor-scale`; a new instance starts at the
    /// user's default, [`crate::editor_prefs::default_scale`]).
    #[persist = "editor-scale"]
    pub editor_scale: std::sync::Arc<atomic_float::AtomicF32>,
    /// The editor window's size in points at 100 % (width, height; persisted as
    /// `editor-size`); `None` until the window is resized (a new instance then opens at the
    /// user's last size for this plugin, [`crate::editor_prefs::default_size`]).
    #[persist = "editor-size"]
    pub editor_size: std::sync::Arc<RwLock<Option<[f32; 2]>>>,
}

impl IoParams {
    /// Trims with the given input gain range in dB (e.g. -24..24 for a trim, 0..24 for a
    /// limiter's drive); the output trim is always -24..+24 dB.
    pub fn new(input_name: &str, input_min_db: f32, input_max_db: f32) -> Self {
        Self::with_output_range(input_name, input_min_db, input_max_db, -24.0, 24.0)
    }

    /// Trims with both ranges given, in dB (a limiter's output trim stops at 0 dB so it can
    /// never lift the output past the ceiling).
    pub fn with_output_range(
        input_name: &str,
        input_min_db: f32,
        input_max_db: f32,
        output_min_db: f32,
        output_max_db: f32,
    ) -> Self {
        Self {
            input_gain: db_param(input_name, input_min_db, input_max_db),
            output_gain: db_param("Output Gain", output_min_db, output_max_db),
            bypass: BoolParam::new("Bypass", false).make_bypass(),
            ab: RwLock::new(AbState::default()),
            editor_scale: std::sync::Arc::new(atomic_float::AtomicF32::new(
                crate::editor_prefs::default_scale(),
            )),
            editor_size: std::sync::Arc::new(RwLock::new(None)),
        }
    }

    /// The DSP settings these parameters describe.
    pub fn settings(&self) -> IoSettings {
        IoSettings {
            input_gain_db: self.input_gain.value(),
            output_gain_db: self.output_gain.value(),
            bypass: self.bypass.value(),
        }
    }
}

impl Default for IoParams {
    fn default() -> Self {
        Self::new("Input Gain", -24.0, 24.0)
    }
}

/// A dB parameter with 0.01 dB steps, default 0 dB (or the nearest bound).
pub fn db_param(name: &str, min_db: f32, max_db: f32) -> FloatParam {
    FloatParam::new(
        name,
        0.0f32.clamp(min_db, max_db),
        FloatRange::Linear {
            min: min_db,
            max: max_db,
        },
    )
    .with_step_size(0.01)
    .with_unit(" dB")
    .with_value_to_string(v2s_decimals(2))
    .with_string_to_value(s2v_number())
}
