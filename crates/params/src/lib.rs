//! The Lathe plugins' parameters (IDs fixed forever once released) and factory presets, and
//! their mapping to `lathe-dsp` settings. The plugins expose them to hosts; `lathe render`
//! parses values with them, so a value typed into the CLI means what it means in the plugin.
//!
//! Shared by several plugins: [`IoParams`] (the trims and bypass every plugin has),
//! [`compressor::CompressorParams`] (the compressor of the strip and of the bus),
//! [`formatters`] (value/text conversions that accept what users type), [`builders`] (the one
//! constructor per kind of range), [`choice!`] (choice enums mirroring DSP enums) and
//! [`preset`] (the one preset model).

#![warn(missing_docs)]

pub mod builders;
pub mod bus_compressor;
pub mod channel_strip;
pub mod choice;
pub mod compressor;
pub mod editor_prefs;
pub mod formatters;
mod io;
pub mod limiter;
pub mod preset;
pub mod reference;
pub mod user_presets;

pub use io::{AbState, IoParams};
pub use lathe_plugin::param_table;

use nice_plug::plugin::ParamValue;
use nice_plug::prelude::{FloatRange, Params, PluginState};

/// Whether a state saved by plugin version `version` stores each logarithmic parameter as the
/// natural log of its value: every release before 0.2.0 did (and very old states have no
/// version at all).
pub fn state_stores_log_values(version: &str) -> bool {
    let mut parts = version
        .trim()
        .split(['.', '-', '+'])
        .map(|p| p.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(major), Some(minor)) => (major, minor) < (0, 2),
        _ => true,
    }
}

/// Converts a saved state from before 0.2.0 to today's parameters: logarithmic parameters
/// (frequencies, times, Q, ratios) were stored as the natural log of their value and are now
/// stored in their unit. `stored_in_unit` names the logarithmic parameters that 0.1 already
/// stored in their unit (the limiter's release and lookahead had a skewed range then). Each
/// plugin calls this from `Plugin::filter_state`, so old projects and presets load to exactly
/// the settings they had. Newer states are left alone.
pub fn migrate_log_values(state: &mut PluginState, params: &dyn Params, stored_in_unit: &[&str]) {
    if !state_stores_log_values(&state.version) {
        return;
    }
    for param in param_table::ParamTable::new(params).iter() {
        let Some(range) = param.float_range() else {
            continue;
        };
        if stored_in_unit.contains(&param.id()) {
            continue;
        }
        if let (FloatRange::Logarithmic { .. }, Some(ParamValue::F32(value))) =
            (range, state.params.get_mut(param.id()))
        {
            *value = value.exp();
        }
    }
}
