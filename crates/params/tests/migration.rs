//! Saved state from 0.1 (logarithmic parameters stored as the natural log of their value) is
//! converted to values in the parameters' units; newer state is left alone.

use lathe_params::bus_compressor::BusCompressorParams;
use lathe_params::channel_strip::ChannelStripParams;
use lathe_params::{migrate_log_values, state_stores_log_values};
use nice_plug::plugin::ParamValue;
use nice_plug::prelude::{Params, PluginState};
use std::collections::BTreeMap;

fn state(version: &str, params: &[(&str, ParamValue)]) -> PluginState {
    PluginState {
        version: version.to_owned(),
        params: params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        fields: BTreeMap::new(),
    }
}

fn f32_of(state: &PluginState, id: &str) -> f32 {
    match state.params.get(id) {
        Some(ParamValue::F32(v)) => *v,
        other => panic!("{id}: {other:?}"),
    }
}

#[test]
fn versions_before_0_2_stored_logs() {
    assert!(state_stores_log_values("0.1.0"));
    assert!(state_stores_log_values(""));
    assert!(state_stores_log_values("0.1.7-dev"));
    assert!(!state_stores_log_values("0.2.0"));
    assert!(!state_stores_log_values("1.0.0"));
}

#[test]
fn logarithmic_values_of_old_state_come_back_in_their_unit() {
    let params = ChannelStripParams::default();
    let ids: Vec<String> = params.param_map().into_iter().map(|(id, ..)| id).collect();
    let freq_id = ids
        .iter()
        .find(|id| id.starts_with("hp") && id.ends_with("freq"))
        .expect("an HP frequency id")
        .clone();
    let gain_id = ids
        .iter()
        .find(|id| id.ends_with("gain") && id.contains("mid"))
        .expect("a mid gain id")
        .clone();
    let mut old = state(
        "0.1.0",
        &[
            (&freq_id, ParamValue::F32(123f32.ln())),
            (&gain_id, ParamValue::F32(-3.0)),
        ],
    );
    migrate_log_values(&mut old, &params, &[]);
    assert!((f32_of(&old, &freq_id) - 123.0).abs() < 1e-3);
    // Linear parameters are untouched.
    assert_eq!(f32_of(&old, &gain_id), -3.0);

    let mut new = state("0.2.0", &[(&freq_id, ParamValue::F32(123.0))]);
    migrate_log_values(&mut new, &params, &[]);
    assert_eq!(f32_of(&new, &freq_id), 123.0);
}

#[test]
fn ratio_and_times_migrate_too() {
    let params = BusCompressorParams::default();
    let mut old = state(
        "0.1.0",
        &[
            ("ratio", ParamValue::F32(4f32.ln())),
            ("release", ParamValue::F32(400f32.ln())),
            ("threshold", ParamValue::F32(-20.0)),
        ],
    );
    migrate_log_values(&mut old, &params, &[]);
    assert!((f32_of(&old, "ratio") - 4.0).abs() < 1e-5);
    assert!((f32_of(&old, "release") - 400.0).abs() < 1e-2);
    assert_eq!(f32_of(&old, "threshold"), -20.0);
}

#[test]
fn parameters_stored_in_their_unit_in_0_1_are_left_alone() {
    let params = lathe_params::limiter::LimiterParams::default();
    let mut old = state(
        "0.1.0",
        &[
            ("release", ParamValue::F32(321.0)),
            ("lookahead", ParamValue::F32(2.5)),
        ],
    );
    migrate_log_values(&mut old, &params, &["release", "lookahead"]);
    assert_eq!(f32_of(&old, "release"), 321.0);
    assert_eq!(f32_of(&old, "lookahead"), 2.5);
}
