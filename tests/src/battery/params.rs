//! Parameter, text, plain-value, fuzzing and state checks.

use super::*;
use crate::signals::noise_channels;
use crate::{Expected, TestHost};
use rand::{Rng, SeedableRng};

/// Descriptor and feature consistency.
pub fn check_descriptor<H: TestHost>(
    host: &H,
    p: &Expected,
    main_categories: &[&str],
    features: &[&str],
) {
    let d = host.descriptor();
    for f in features {
        assert!(
            d.features.iter().any(|x| x == f),
            "{}: feature {f} missing in {:?}",
            p.name,
            d.features
        );
    }
    assert_eq!(d.name, p.name);
    assert_eq!(d.vendor, "Lathe Audio");
    assert!(!d.version.is_empty(), "{}: empty version", p.name);
    assert!(
        d.version.split('.').all(|part| part.parse::<u32>().is_ok()),
        "{}: version '{}' is not dotted decimals",
        p.name,
        d.version
    );
    assert!(
        d.features
            .iter()
            .any(|f| main_categories.contains(&f.as_str())),
        "{}: no main category among {:?}",
        p.name,
        d.features
    );
    let mut unique = d.features.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        d.features.len(),
        "{}: duplicate features {:?}",
        p.name,
        d.features
    );
}

/// Parameters: names, ranges, defaults, exactly one bypass, the shared IDs present.
pub fn check_params<H: TestHost>(host: &mut H, p: &Expected) {
    let params = host.params();
    assert!(!params.is_empty());
    // One past the last index is refused, not a crash (nice-plug read past its table).
    assert!(
        !host.param_info_exists(params.len()),
        "{}: parameter info at index {} (the count) was not refused",
        p.name,
        params.len()
    );
    let mut ids: Vec<u32> = params.iter().map(|i| i.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(
        ids.len(),
        params.len(),
        "{}: duplicate parameter ids",
        p.name
    );
    for info in &params {
        assert!(!info.name.is_empty());
        assert!(
            info.min < info.max,
            "{}: {} has an empty range",
            p.name,
            info.name
        );
        assert!(
            (info.min..=info.max).contains(&info.default),
            "{}: {} default out of range",
            p.name,
            info.name
        );
        let value = host.get_param(info.id);
        assert!(
            (value - info.default).abs() <= 1e-6 * (info.max - info.min),
            "{}: {} starts at {value}, not its default {}",
            p.name,
            info.name,
            info.default
        );
    }
    let bypass: Vec<_> = params.iter().filter(|i| i.is_bypass).collect();
    assert_eq!(bypass.len(), 1, "{}: exactly one bypass parameter", p.name);
    for name in ["Input Gain", "Output Gain", "Bypass"] {
        param_by_name(&params, name);
    }
}

/// value -> text -> value round trips at min, max, default and random values.
pub fn check_text_round_trip<H: TestHost>(host: &mut H, p: &Expected) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    for info in host.params() {
        let span = info.max - info.min;
        let mut values = vec![info.min, info.max, info.default];
        values.extend((0..10).map(|_| rng.random_range(info.min..=info.max)));
        for v in values {
            let v = info.snap(v);
            let text = host
                .value_to_text(info.id, v)
                .unwrap_or_else(|| panic!("{}: no text for {} = {v}", p.name, info.name));
            assert!(!text.is_empty());
            let back = host.text_to_value(info.id, &text).unwrap_or_else(|| {
                panic!(
                    "{}: text '{text}' of {} does not parse back",
                    p.name, info.name
                )
            });
            assert!(
                (back - v).abs() <= span * 1e-3,
                "{}: {} {v} -> '{text}' -> {back}",
                p.name,
                info.name
            );
            let again = host.value_to_text(info.id, back).expect("text");
            assert_eq!(text, again, "{}: {} text not stable", p.name, info.name);
        }
        // Garbage is refused rather than mapped somewhere.
        assert!(
            host.text_to_value(info.id, "not a number").is_none() || info.step.is_some(),
            "{}: {} accepted garbage text",
            p.name,
            info.name
        );
    }
}

/// Plain values the host sees are in the parameter's unit (a host script that sets 80 for
/// 80 Hz gets 80 Hz), with the logarithmic law only in the normalized mapping; where the format
/// has no plain values (CLAP here), the text interface carries the unit.
pub fn check_plain_values_in_units<H: TestHost>(host: &mut H, p: &Expected) {
    let (name, min, max, logarithmic) = p.unit_param;
    let params = host.params();
    let info = param_by_name(&params, name).clone();
    let target = (min * max).sqrt().round();
    let value = match (
        host.value_to_plain(info.id, info.min),
        host.value_to_plain(info.id, info.max),
    ) {
        (Some(lo), Some(hi)) => {
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-3 * b.abs().max(1.0);
            assert!(
                close(lo, min) && close(hi, max),
                "{}: {name} runs {lo}..{hi} for hosts, not {min}..{max} in its unit",
                p.name
            );
            let v = host
                .plain_to_value(info.id, target)
                .expect("plain to value");
            // Logarithmic: the geometric middle sits in the middle of the travel.
            let mid = host
                .plain_to_value(info.id, (min * max).sqrt())
                .expect("plain");
            assert!(
                !logarithmic || (mid - (info.min + info.max) / 2.0).abs() < 1e-3,
                "{}: {name} is not logarithmic in its normalized mapping ({mid})",
                p.name
            );
            v
        }
        _ => value_for(host, &info, &format!("{target}")),
    };
    host.set_param(info.id, value);
    let now = host.get_param(info.id);
    let text = host.value_to_text(info.id, now).unwrap();
    let shown: f64 = text
        .trim_start()
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(f64::NAN);
    let shown = if text.contains("kHz") {
        shown * 1000.0
    } else {
        shown
    };
    assert!(
        (shown - target).abs() < 1e-3 * target,
        "{}: {name} set to {target} in its unit reads '{text}'",
        p.name
    );
}

/// Choice parameters are flagged as lists so hosts show their names, and only they are:
/// switches (Off/On), integers and continuous parameters are not.
pub fn check_choice_parameters_are_lists<H: TestHost>(host: &mut H, p: &Expected) {
    let params = host.params();
    for name in p.choices {
        assert!(
            params.iter().any(|i| &i.name == name),
            "{}: no choice parameter {name}",
            p.name
        );
    }
    for info in &params {
        let is_choice = p.choices.contains(&info.name.as_str());
        assert_eq!(
            info.is_list,
            is_choice,
            "{}: {} is_list (the host shows {})",
            p.name,
            info.name,
            if info.is_list {
                "a list"
            } else {
                "a slider or toggle"
            }
        );
        if is_choice {
            assert!(
                info.step.is_some(),
                "{}: {} is not stepped",
                p.name,
                info.name
            );
        }
    }
}

/// A host that stores every parameter's value with the project sets them all again after
/// loading the plugin's state (Ardour does): the reopened session renders the same samples, to
/// the bit, and the values read back unchanged. `digits`: the host stores the values as text
/// with that many significant digits (`None`: exactly).
pub fn check_reopened_session_renders_the_same<H: TestHost>(
    make: &dyn Fn() -> H,
    p: &Expected,
    digits: Option<usize>,
) {
    let channels = p.layouts[0];
    let input = noise_channels(channels, 8192, 31);
    let mut first = make();
    let params = first.params();
    let values: Vec<(u32, f64)> = params
        .iter()
        .map(|i| (i.id, first.get_param(i.id)))
        .collect();
    let state = first.save_state().expect("save");
    assert!(first.activate(48_000.0, 512, channels));
    let before = run_blocks(&mut first, p, &input, &[512]);
    drop(first);

    let mut reopened = make();
    assert!(reopened.load_state(&state, usize::MAX));
    let stored = |v: f64| match digits {
        Some(d) => format!("{:.*e}", d - 1, v).parse::<f64>().unwrap(),
        None => v,
    };
    for &(id, v) in &values {
        reopened.set_param(id, stored(v));
    }
    for (info, &(id, v)) in params.iter().zip(&values) {
        let text = |host: &mut H, v| host.value_to_text(id, v).unwrap_or_default();
        let now = reopened.get_param(id);
        assert_eq!(
            text(&mut reopened, now),
            text(&mut reopened, v),
            "{}: {} changed when the host set it again",
            p.name,
            info.name
        );
        if digits.is_none() {
            assert_eq!(now, v, "{}: {} moved when set again", p.name, info.name);
        }
    }
    assert!(reopened.activate(48_000.0, 512, channels));
    let after = run_blocks(&mut reopened, p, &input, &[512]);
    let bits = |b: &[Vec<f32>]| -> Vec<u32> { b.iter().flatten().map(|x| x.to_bits()).collect() };
    assert!(
        bits(&before) == bits(&after),
        "{}: the reopened session renders different samples",
        p.name
    );
}

/// Random parameter sets x 5 blocks; values read back; output clean.
pub fn check_param_fuzz<H: TestHost>(host: &mut H, p: &Expected) {
    let channels = p.layouts[0];
    let params = host.params();
    let mut rng = rand::rngs::StdRng::seed_from_u64(1234);
    assert!(host.activate(48_000.0, 512, channels));
    let input = noise_channels(channels, 512 * 5, 4);
    for _ in 0..50 {
        let mut set = Vec::new();
        for info in &params {
            let v = match rng.random_range(0..4) {
                0 => info.min,
                1 => info.max,
                _ => rng.random_range(info.min..=info.max),
            };
            let v = info.snap(v);
            host.set_param(info.id, v);
            set.push((info.clone(), v));
        }
        run_blocks(host, p, &input, &[512]);
        for (info, v) in set {
            let got = host.get_param(info.id);
            assert!(
                (got - v).abs() <= (info.max - info.min) * 1e-3,
                "{}: {} set to {v}, reads {got}",
                p.name,
                info.name
            );
        }
    }
    host.deactivate();
}

/// Save -> new instance -> load gives the same values and byte-identical re-saved state; loading
/// works when the host hands over a few bytes per read; state loaded before activation and
/// while active is really used by the DSP.
pub fn check_state_round_trip<H: TestHost>(make: &dyn Fn() -> H, p: &Expected) {
    let channels = p.layouts[0];
    let mut a = make();
    let params = a.params();
    let mut rng = rand::rngs::StdRng::seed_from_u64(77);
    for info in params.iter().filter(|i| !i.is_bypass) {
        let v = info.snap(rng.random_range(info.min..=info.max));
        a.set_param(info.id, v);
    }
    let saved = a.save_state().expect("save state");
    assert!(!saved.is_empty());
    let values: Vec<f64> = params.iter().map(|i| a.get_param(i.id)).collect();

    let chunks: &[usize] = if a.partial_state_reads() {
        &[usize::MAX, 7, 1]
    } else {
        &[usize::MAX]
    };
    for &chunk in chunks {
        let mut b = make();
        assert!(
            b.load_state(&saved, chunk),
            "{}: load (chunks of {chunk})",
            p.name
        );
        for (info, v) in params.iter().zip(&values) {
            let got = b.get_param(info.id);
            assert!(
                (got - v).abs() <= 1e-9 * (info.max - info.min).max(1.0),
                "{}: {} is {got} after load, saved {v}",
                p.name,
                info.name
            );
        }
        let resaved = b.save_state().expect("re-save");
        assert_eq!(resaved, saved, "{}: re-saved state differs", p.name);
    }

    // The DSP uses loaded state: loaded before activation, and while active.
    let input = noise_channels(channels, 4096, 31);
    let mut reference = make();
    assert!(reference.load_state(&saved, usize::MAX));
    assert!(reference.activate(48_000.0, 1024, channels));
    let expected = run_blocks(&mut reference, p, &input, &[1024]);
    let mut active = make();
    assert!(active.activate(48_000.0, 1024, channels));
    run_blocks(&mut active, p, &input, &[1024]);
    assert!(active.load_state(&saved, usize::MAX));
    active.reset();
    let got = run_blocks(&mut active, p, &input, &[1024]);
    assert_eq!(
        got, expected,
        "{}: state loaded while active is not in effect",
        p.name
    );
}

/// Empty and random (1 MB) states are refused without a crash; the instance keeps working and
/// keeps its values.
pub fn check_corrupt_state<H: TestHost>(host: &mut H, p: &Expected) {
    let channels = p.layouts[0];
    let params = host.params();
    let before: Vec<f64> = params.iter().map(|i| host.get_param(i.id)).collect();
    assert!(
        !host.load_state(&[], usize::MAX),
        "{}: empty state accepted",
        p.name
    );
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    for _ in 0..3 {
        let junk: Vec<u8> = (0..1 << 20).map(|_| rng.random()).collect();
        assert!(
            !host.load_state(&junk, usize::MAX),
            "{}: random state accepted",
            p.name
        );
    }
    // Truncated real state.
    let good = host.save_state().expect("save");
    assert!(
        !host.load_state(&good[..good.len() / 2], usize::MAX),
        "{}: truncated state accepted",
        p.name
    );
    let after: Vec<f64> = params.iter().map(|i| host.get_param(i.id)).collect();
    assert_eq!(before, after, "{}: refused state changed values", p.name);
    assert!(host.activate(44_100.0, 512, channels));
    run_blocks(host, p, &noise_channels(channels, 2048, 1), &[512]);
    host.deactivate();
}
