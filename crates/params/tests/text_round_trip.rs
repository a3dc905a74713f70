//! What hosts and validators check, without building bundles: every parameter's value -> text
//! -> value round trip lands within 0.1 % of the range and prints the same text again, and a
//! value a host sets reads back within 0.1 % (step sizes must not be coarser than that).

use lathe_params::param_table::ParamTable;
use nice_plug::prelude::Params;

/// `floor`: normalized travel below which the check is skipped (see the limiter's test).
fn check(params: &dyn Params, plugin: &str, floor: f32) {
    for param in ParamTable::new(params).iter() {
        let id = param.id();
        let steps = param.step_count();
        for i in 0..=400 {
            let v = i as f32 / 400.0;
            if v < floor {
                continue;
            }
            {
                param.set_normalized(v);
                let held = param.normalized();
                if steps.is_none() {
                    assert!(
                        (held - v).abs() <= 1e-3,
                        "{plugin} {id}: set {v}, holds {held} (step size too coarse)"
                    );
                }
                let text = param.text(held, true);
                let back = param
                    .parse(&text)
                    .unwrap_or_else(|| panic!("{plugin} {id}: '{text}' does not parse back"));
                assert!(
                    (back - held).abs() <= 1e-3,
                    "{plugin} {id}: {held} -> '{text}' -> {back}"
                );
                let again = param.text(back, true);
                assert_eq!(text, again, "{plugin} {id}: text not stable");
            }
        }
    }
}

#[test]
fn channel_strip_parameters_round_trip_through_text() {
    check(
        &lathe_params::channel_strip::ChannelStripParams::default(),
        "channel strip",
        0.0,
    );
}

#[test]
fn limiter_parameters_round_trip_through_text() {
    // The limiter's release and lookahead use skewed ranges (x^(1/f), 1/f = 4 and 2), released
    // before the channel strip's logarithmic parameters existed; their saved plain values keep
    // that mapping. Below 5 % of travel the skew is so steep that f32 and any sane number of
    // printed digits lose the knob position, so the check starts there.
    check(
        &lathe_params::limiter::LimiterParams::default(),
        "limiter",
        0.05,
    );
}

#[test]
fn bus_compressor_parameters_round_trip_through_text() {
    check(
        &lathe_params::bus_compressor::BusCompressorParams::default(),
        "bus compressor",
        0.0,
    );
}

#[test]
fn bus_compressor_presets_land_on_their_values() {
    use lathe_params::bus_compressor::{BusCompressorParams, PRESETS, snap_ratio};
    for preset in PRESETS {
        let params = BusCompressorParams::default();
        lathe_params::preset::apply_without_host(&preset.targets(&params));
        assert!(preset.is_active(&params), "{}", preset.name);
        assert_eq!(
            PRESETS.iter().filter(|p| p.is_active(&params)).count(),
            1,
            "{} is the only active preset",
            preset.name
        );
        let s = params.core_settings().compressor;
        assert!(
            (s.ratio - preset.ratio).abs() < 1e-3 * preset.ratio,
            "{}",
            preset.name
        );
        assert!((s.attack_ms - preset.attack_ms).abs() < 1e-3 * preset.attack_ms);
        assert!((s.threshold_db - preset.threshold_db).abs() < 1e-3);
        assert_eq!(s.auto_release, preset.auto_release);
        assert!((s.sidechain_hpf_hz - preset.sc_hpf_hz).abs() < 0.01);
    }
    // The ratio snaps to the classic bus ratios only near them.
    assert_eq!(snap_ratio(3.9), 4.0);
    assert_eq!(snap_ratio(2.05), 2.0);
    assert_eq!(snap_ratio(10.3), 10.0);
    assert_eq!(snap_ratio(3.0), 3.0);
    assert_eq!(snap_ratio(6.0), 6.0);
}
