//! The conformance battery, following `../shared/standards/host-conformance.md`. Each check takes
//! a factory that makes a fresh, loaded (inactive) instance, so checks that need two instances
//! (state round trips) can have them. Checks panic with a message naming the plugin and what
//! went wrong.

use crate::signals::{block_pattern, is_clean, noise_channels};
use crate::{Expected, ParamInfo, TestHost};
use rand::{Rng, SeedableRng};

/// Sample rates every plugin must activate and process at (standard and odd ones).
pub const SAMPLE_RATES: &[f64] = &[
    8000.0, 22050.0, 44100.0, 48000.0, 88200.0, 96000.0, 192000.0, 384000.0, 1234.5678, 12345.678,
    45678.901, 123456.78,
];

/// Maximum block size announced at activation in most checks.
pub const MAX_BLOCK: usize = 4096;

fn sidechain_for(p: &Expected, len: usize) -> Option<Vec<Vec<f32>>> {
    p.sidechain.then(|| noise_channels(2, len, 99))
}

/// Processes `input` through the host in blocks following `pattern` (cycled), filling every
/// output with a NaN canary first and checking each block was fully written and clean.
pub fn run_blocks<H: TestHost>(
    host: &mut H,
    p: &Expected,
    input: &[Vec<f32>],
    pattern: &[usize],
) -> Vec<Vec<f32>> {
    run_blocks_with(host, p, input, pattern, |_, _, _| {})
}

/// [`run_blocks`], calling `before_block(host, position, length)` before each block (to queue
/// the parameter events that fall inside it).
pub fn run_blocks_with<H: TestHost>(
    host: &mut H,
    p: &Expected,
    input: &[Vec<f32>],
    pattern: &[usize],
    mut before_block: impl FnMut(&mut H, usize, usize),
) -> Vec<Vec<f32>> {
    let channels = input.len();
    let len = input[0].len();
    let mut output = vec![vec![0.0f32; len]; channels];
    let sc_all = sidechain_for(p, len);
    let mut pos = 0;
    let mut i = 0;
    while pos < len {
        let n = pattern[i % pattern.len()].min(len - pos);
        i += 1;
        before_block(host, pos, n);
        let block_in: Vec<Vec<f32>> = input.iter().map(|c| c[pos..pos + n].to_vec()).collect();
        let sc: Option<Vec<Vec<f32>>> = sc_all
            .as_ref()
            .map(|s| s.iter().map(|c| c[pos..pos + n].to_vec()).collect());
        let mut block_out = vec![vec![f32::NAN; n]; channels];
        assert!(
            host.process(&block_in, &mut block_out, sc.as_deref()),
            "{}: process failed on a block of {n}",
            p.name
        );
        for (c, ch) in block_out.iter().enumerate() {
            for (j, &x) in ch.iter().enumerate() {
                assert!(
                    is_clean(x),
                    "{}: output ch {c} sample {} of a {n}-sample block is {x} (unwritten, \
                     non-finite or subnormal)",
                    p.name,
                    pos + j
                );
            }
            output[c][pos..pos + n].copy_from_slice(ch);
        }
        pos += n;
    }
    output
}

fn param_by_name<'a>(params: &'a [ParamInfo], name: &str) -> &'a ParamInfo {
    params
        .iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("no parameter named {name}"))
}

/// Host-side value for display text, e.g. "+6 dB".
fn value_for<H: TestHost>(host: &mut H, param: &ParamInfo, text: &str) -> f64 {
    host.text_to_value(param.id, text)
        .unwrap_or_else(|| panic!("'{text}' not accepted for {}", param.name))
}

/// Descriptor and feature consistency.
pub fn check_descriptor<H: TestHost>(host: &H, p: &Expected, main_categories: &[&str]) {
    let d = host.descriptor();
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

/// Activation and processing at every sample rate in [`SAMPLE_RATES`].
pub fn check_sample_rates<H: TestHost>(host: &mut H, p: &Expected) {
    let channels = p.layouts[0];
    let input = noise_channels(channels, 3000, 11);
    for &sr in SAMPLE_RATES {
        assert!(
            host.activate(sr, MAX_BLOCK, channels),
            "{}: activate at {sr} Hz",
            p.name
        );
        run_blocks(host, p, &input, &[1024]);
    }
    host.deactivate();
}

/// Block sizes 1, 17, 64, 512, 2027, 4096 and random ones: every sample written and clean, and
/// the output identical to processing the same signal in one block of the maximum size.
pub fn check_block_sizes_and_invariance<H: TestHost>(host: &mut H, p: &Expected) {
    let channels = p.layouts[0];
    let params = host.params();
    let input_gain = param_by_name(&params, "Input Gain").clone();
    let output_gain = param_by_name(&params, "Output Gain").clone();
    let len = 40_000;
    let input = noise_channels(channels, len, 3);
    let mut reference: Option<Vec<Vec<f32>>> = None;
    let big = [MAX_BLOCK];
    let patterns: Vec<Vec<usize>> = vec![
        big.to_vec(),
        vec![1],
        vec![17],
        vec![64],
        vec![512],
        vec![2027],
        block_pattern(17),
    ];
    for pattern in &patterns {
        // Non-default settings so the trims do real work.
        let g = value_for(host, &input_gain, "3.5");
        host.set_param(input_gain.id, g);
        let g = value_for(host, &output_gain, "-2.25");
        host.set_param(output_gain.id, g);
        assert!(host.activate(48_000.0, MAX_BLOCK, channels));
        let out = run_blocks(host, p, &input, pattern);
        match &reference {
            None => reference = Some(out),
            Some(r) => {
                for c in 0..channels {
                    for i in 0..len {
                        assert!(
                            (out[c][i] - r[c][i]).abs() <= 1e-6,
                            "{}: blocks {:?} differ from one block at ch {c} sample {i}: {} vs {}",
                            p.name,
                            &pattern[..pattern.len().min(4)],
                            out[c][i],
                            r[c][i]
                        );
                    }
                }
            }
        }
    }
    host.deactivate();
}

/// The trims do what they say, measured through the host.
pub fn check_trims<H: TestHost>(host: &mut H, p: &Expected) {
    let channels = p.layouts[0];
    let params = host.params();
    let input_gain = param_by_name(&params, "Input Gain").clone();
    let output_gain = param_by_name(&params, "Output Gain").clone();
    let limiter = p.name == "Lathe Limiter";
    let in_db = if limiter { 6.0 } else { -6.0 };
    if limiter {
        // Stay under the ceiling and at 1x, where the limiter is an exact delay: then only
        // the trims change the level.
        let os = param_by_name(&params, "Oversampling").clone();
        let v = value_for(host, &os, "1x");
        host.set_param(os.id, v);
    }
    if p.name == "Lathe Bus Compressor" {
        // The compressor works at its defaults; at 0 % mix it is exactly transparent.
        let mix = param_by_name(&params, "Mix").clone();
        let v = value_for(host, &mix, "0");
        host.set_param(mix.id, v);
    }
    let v = value_for(host, &input_gain, &format!("{in_db}"));
    host.set_param(input_gain.id, v);
    let v = value_for(host, &output_gain, "-12");
    host.set_param(output_gain.id, v);
    assert!(host.activate(48_000.0, 1024, channels));
    let mut input = noise_channels(channels, 8192, 8);
    if limiter {
        for x in input.iter_mut().flatten() {
            *x *= 0.25;
        }
    }
    let out = run_blocks(host, p, &input, &[1024]);
    let latency = host.latency() as usize;
    let expected_gain = 10f32.powf((in_db as f32 - 12.0) / 20.0);
    for c in 0..channels {
        for i in 2048..8192 {
            let expected = input[c][i - latency] * expected_gain;
            assert!(
                (out[c][i] - expected).abs() <= 1e-5,
                "{}: trims give {} instead of {expected} at {i}",
                p.name,
                out[c][i]
            );
        }
    }
    host.deactivate();
}

/// The reported latency equals the delay of an impulse.
pub fn check_latency<H: TestHost>(host: &mut H, p: &Expected) {
    let channels = p.layouts[0];
    assert!(host.activate(48_000.0, 512, channels));
    let latency = host.latency() as usize;
    let len = 8192 + latency;
    let mut input = vec![vec![0.0f32; len]; channels];
    for ch in input.iter_mut() {
        ch[1000] = 0.5;
    }
    let out = run_blocks(host, p, &input, &[512]);
    for ch in &out {
        let peak = ch
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .map(|(i, _)| i)
            .unwrap();
        assert_eq!(
            peak,
            1000 + latency,
            "{}: impulse came out at {peak}, reported latency {latency}",
            p.name
        );
    }
    host.deactivate();
}

/// Where an impulse comes out, with the plugin as it is activated now (reset first).
fn impulse_delay<H: TestHost>(host: &mut H, p: &Expected, expected: usize) -> usize {
    let channels = p.layouts[0];
    host.reset();
    let len = 4096 + expected;
    let mut input = vec![vec![0.0f32; len]; channels];
    for ch in input.iter_mut() {
        ch[1000] = 0.5;
    }
    let out = run_blocks(host, p, &input, &[512]);
    out[0]
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .map(|(i, _)| i - 1000.min(i))
        .unwrap()
}

fn assert_no_violations<H: TestHost>(host: &mut H, p: &Expected, when: &str) {
    let violations = host.callback_violations();
    assert!(
        violations.is_empty(),
        "{}: {when}: the plugin broke the host rules:\n  {}",
        p.name,
        violations.join("\n  ")
    );
}

/// Latency changes follow the format's rules in every order a host may choose (CLAP: host
/// `latency.changed()` only inside `activate()`, a restart request otherwise; VST3:
/// `restartComponent(kLatencyChanged)` never from the audio thread or inside `process`):
/// - while active, several changes before the host restarts, with the host going on processing
///   for a while first (as a host that never restarts would): the plugin asks for a restart, and
///   after it the latency the host reads equals the measured impulse delay;
/// - while inactive: the new latency is there at the next activation, and correct.
pub fn check_latency_change_rules<H: TestHost>(make: &dyn Fn() -> H, p: &Expected) {
    let channels = p.layouts[0];
    let input = noise_channels(channels, 2048, 5);
    let set_all = |host: &mut H, changes: &[(&str, &str)]| {
        let params = host.params();
        for (name, text) in changes {
            let info = param_by_name(&params, name).clone();
            let v = value_for(host, &info, text);
            host.set_param(info.id, v);
        }
    };
    // While active: every change set in turn, processed between, then one restart.
    let mut host = make();
    host.process_on_audio_thread(true);
    assert!(host.activate(48_000.0, 512, channels));
    let before = host.latency();
    let notified = host.latency_notifications();
    for changes in p.latency_changes {
        set_all(&mut host, changes);
        run_blocks(&mut host, p, &input, &[512]);
    }
    // A host that does not restart at once: processing goes on, no rule broken meanwhile.
    run_blocks(&mut host, p, &input, &[256]);
    assert_no_violations(&mut host, p, "changes while active");
    assert!(
        host.restart_if_requested(),
        "{}: latency changed while active but no restart was requested",
        p.name
    );
    let after = host.latency();
    assert_ne!(
        before, after,
        "{}: the settings did not change the latency",
        p.name
    );
    assert!(
        host.latency_notifications() > notified,
        "{}: the host was never told the latency changed",
        p.name
    );
    assert_eq!(
        impulse_delay(&mut host, p, after as usize),
        after as usize,
        "{}: latency read after the restart is not the impulse delay",
        p.name
    );
    assert_no_violations(&mut host, p, "restart after changes while active");
    host.deactivate();
    drop(host);

    // While active, but the host stops and deactivates the plugin before its main thread gets
    // to the plugin's callback (clap-validator's order): the change must wait for the next
    // activation.
    let mut host = make();
    host.defer_main_thread_callbacks(true);
    assert!(host.activate(48_000.0, 512, channels));
    for changes in p.latency_changes {
        set_all(&mut host, changes);
        run_blocks(&mut host, p, &input, &[512]);
    }
    host.deactivate();
    host.defer_main_thread_callbacks(false);
    assert_no_violations(
        &mut host,
        p,
        "changes while active, deactivated before the callback",
    );
    assert!(host.activate(48_000.0, 512, channels));
    assert_eq!(
        host.latency(),
        after,
        "{}: latency after the reactivation",
        p.name
    );
    assert_no_violations(&mut host, p, "reactivation after deactivating");
    drop(host);

    // While inactive: set everything, then activate.
    let mut host = make();
    host.process_on_audio_thread(true);
    assert!(host.activate(48_000.0, 512, channels));
    host.deactivate();
    for changes in p.latency_changes {
        set_all(&mut host, changes);
    }
    assert!(host.activate(48_000.0, 512, channels));
    let latency = host.latency();
    assert_eq!(
        latency, after,
        "{}: latency after changes while inactive",
        p.name
    );
    assert_eq!(
        impulse_delay(&mut host, p, latency as usize),
        latency as usize,
        "{}: latency after changes while inactive is not the impulse delay",
        p.name
    );
    run_blocks(&mut host, p, &input, &[512]);
    // Nothing changed since the activation. A VST3 plugin may still ask for one restart (its
    // latency changed when it was activated); after it, the latency is the same and nothing is
    // asked for again (no restart loop). A CLAP plugin reported it inside `activate()`.
    if host.restart_if_requested() {
        assert_eq!(
            host.latency(),
            latency,
            "{}: latency after the extra restart",
            p.name
        );
        run_blocks(&mut host, p, &input, &[512]);
        assert!(
            !host.restart_if_requested(),
            "{}: the plugin keeps asking for restarts",
            p.name
        );
    }
    assert_no_violations(&mut host, p, "changes while inactive");
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

/// Lathe Limiter: changing lookahead and oversampling while processing reports the new latency
/// (after the host restarts the plugin, as hosts do), and an impulse follows it; bypass then
/// stays aligned with the processed signal.
pub fn check_limiter_latency_change<H: TestHost>(host: &mut H, p: &Expected) -> (u32, u32) {
    let channels = p.layouts[0];
    let params = host.params();
    assert!(host.activate(48_000.0, 512, channels));
    let before = host.latency();
    let input = noise_channels(channels, 2048, 3);
    run_blocks(host, p, &input, &[512]);
    let lookahead = param_by_name(&params, "Lookahead").clone();
    let os = param_by_name(&params, "Oversampling").clone();
    let v = value_for(host, &lookahead, "5");
    host.set_param(lookahead.id, v);
    let v = value_for(host, &os, "16x");
    host.set_param(os.id, v);
    run_blocks(host, p, &input, &[512]);
    host.deactivate();
    assert!(host.activate(48_000.0, 512, channels));
    let after = host.latency();
    // 16x: 77 samples of filters + 5 ms (240 samples) of lookahead at 48 kHz + 1 sample for
    // the gain interpolation of the oversampled path.
    assert_eq!(after, 77 + 240 + 1, "{}: latency after the change", p.name);
    assert_ne!(before, after);
    host.deactivate();
    check_latency(host, p);
    check_bypass(host, p);
    (before, after)
}

/// Lathe Reference: a project's references keep their analyses through save and load even when
/// the audio files are gone (the plugin then runs, marks the audio missing and saves the
/// analysis unchanged); a damaged analysis in a state is dropped without a crash; and linear
/// phase reports the match EQ's FIR latency (after the host restarts the plugin) with an impulse
/// and bypass that follow it. Returns the linear-phase latency.
pub fn check_reference_state_and_latency<H: TestHost>(make: &dyn Fn() -> H, p: &Expected) -> u32 {
    use lathe_dsp::reference::{analyze_stereo, shaped_noise};
    let channels = p.layouts[0];
    let noise = shaped_noise(1 << 16, 44_100.0, 5, 0.1, |f| -(f / 1000.0).log2());
    let analysis = serde_json::to_value(analyze_stereo(44_100.0, &noise, &noise)).unwrap();
    let library = |analysis: serde_json::Value| {
        serde_json::json!({
            "references": [{
                "id": 7,
                "path": "/nonexistent/lathe-conformance/reference.flac",
                "analysis": analysis,
            }],
            "frozen_mix": null,
        })
    };
    // nice-plug's state is JSON; its CLAP wrapper puts the length (u64 LE) in front.
    let unframe = |bytes: &[u8]| -> (bool, serde_json::Value) {
        let framed = bytes.first() != Some(&b'{');
        let json = if framed { &bytes[8..] } else { bytes };
        (framed, serde_json::from_slice(json).expect("state is JSON"))
    };
    let frame = |framed: bool, state: &serde_json::Value| -> Vec<u8> {
        let json = serde_json::to_vec(state).unwrap();
        let mut out = Vec::new();
        if framed {
            out.extend_from_slice(&(json.len() as u64).to_le_bytes());
        }
        out.extend_from_slice(&json);
        out
    };
    let with_library = |lib: &serde_json::Value| -> Vec<u8> {
        let mut a = make();
        let (framed, mut state) = unframe(&a.save_state().expect("save"));
        state["fields"]["library"] = serde_json::Value::String(lib.to_string());
        frame(framed, &state)
    };
    let saved_library = |h: &mut H| -> serde_json::Value {
        let (_, state) = unframe(&h.save_state().expect("save"));
        serde_json::from_str(state["fields"]["library"].as_str().expect("library field"))
            .expect("library is JSON")
    };
    let run_a_while = |h: &mut H| {
        let input = noise_channels(channels, 4096, 5);
        for _ in 0..6 {
            run_blocks(h, p, &input, &[512]);
            // The plugin's worker thread looks at the library every 30 ms.
            std::thread::sleep(std::time::Duration::from_millis(60));
        }
    };
    let good = library(analysis.clone());
    let mut b = make();
    assert!(
        b.load_state(&with_library(&good), usize::MAX),
        "{}: load",
        p.name
    );
    assert!(b.activate(48_000.0, 512, channels));
    run_a_while(&mut b);
    b.deactivate();
    let kept = saved_library(&mut b);
    let refs = |v: &serde_json::Value| -> Vec<(u64, String, lathe_dsp::reference::Analysis)> {
        v["references"]
            .as_array()
            .expect("references")
            .iter()
            .map(|r| {
                (
                    r["id"].as_u64().unwrap(),
                    r["path"].as_str().unwrap().to_owned(),
                    serde_json::from_value(r["analysis"].clone()).expect("an analysis"),
                )
            })
            .collect()
    };
    assert_eq!(
        refs(&kept),
        refs(&good),
        "{}: the persisted analysis did not survive a missing file",
        p.name
    );
    // A damaged analysis (a truncated spectrum) is dropped; the plugin keeps working.
    let mut broken = analysis.clone();
    broken["spectrum_db"].as_array_mut().unwrap().truncate(10);
    let mut c = make();
    assert!(c.load_state(&with_library(&library(broken)), usize::MAX));
    assert!(c.activate(48_000.0, 512, channels));
    run_a_while(&mut c);
    c.deactivate();
    assert_eq!(saved_library(&mut c)["references"], serde_json::json!([]));

    // Linear phase: the FIR's latency.
    let mut host = make();
    let params = host.params();
    assert!(host.activate(48_000.0, 512, channels));
    assert_eq!(
        host.latency(),
        0,
        "{}: minimum phase is zero latency",
        p.name
    );
    let phase = param_by_name(&params, "Match Phase").clone();
    let v = value_for(&mut host, &phase, "Linear");
    host.set_param(phase.id, v);
    run_blocks(&mut host, p, &noise_channels(channels, 2048, 3), &[512]);
    host.deactivate();
    assert!(host.activate(48_000.0, 512, channels));
    let latency = host.latency();
    // 8192 taps at 48 kHz, centred.
    assert_eq!(latency, 4096, "{}: linear-phase latency", p.name);
    host.deactivate();
    check_latency(&mut host, p);
    check_bypass(&mut host, p);
    latency
}

/// Lathe Channel Strip: the built plugin really runs its EQ (a +6 dB bell at 1 kHz lifts a
/// 1 kHz tone by 6 dB and leaves 100 Hz alone), reports the saturator's oversampling latency
/// after a restart with an impulse that follows it, and its bypass stays aligned.
pub fn check_channel_strip<H: TestHost>(host: &mut H, p: &Expected) -> u32 {
    let channels = p.layouts[0];
    let params = host.params();
    let set = |host: &mut H, name: &str, text: &str| {
        let info = param_by_name(&params, name).clone();
        let v = value_for(host, &info, text);
        host.set_param(info.id, v);
    };
    set(host, "Mid Freq", "1 kHz");
    set(host, "Mid Gain", "+6 dB");
    set(host, "Mid Q", "1");
    assert!(host.activate(48_000.0, 512, channels));
    assert_eq!(
        host.latency(),
        0,
        "{}: no latency without the saturator",
        p.name
    );
    let gain_db = |host: &mut H, freq: f64| {
        let len = 24_000;
        let tone: Vec<f32> = (0..len)
            .map(|i| (0.25 * (std::f64::consts::TAU * freq * i as f64 / 48_000.0).sin()) as f32)
            .collect();
        let input = vec![tone.clone(); channels];
        let out = run_blocks(host, p, &input, &[512]);
        let rms = |x: &[f32]| {
            (x[12_000..].iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / 12_000.0).sqrt()
        };
        20.0 * (rms(&out[0]) / rms(&tone)).log10()
    };
    let at_1k = gain_db(host, 1000.0);
    let at_100 = gain_db(host, 100.0);
    assert!(
        (at_1k - 6.0).abs() < 0.1,
        "{}: 1 kHz gain {at_1k:.2} dB",
        p.name
    );
    assert!(at_100.abs() < 0.3, "{}: 100 Hz gain {at_100:.2} dB", p.name);
    host.deactivate();
    set(host, "Sat On", "On");
    set(host, "Sat Oversampling", "4x");
    set(host, "Sat Drive", "0");
    assert!(host.activate(48_000.0, 512, channels));
    let latency = host.latency();
    assert!(latency > 0, "{}: 4x saturation must report latency", p.name);
    host.deactivate();
    check_latency(host, p);
    check_bypass(host, p);
    latency
}

/// Lathe Bus Compressor through the host: with the sidechain selected, a loud key ducks a quiet
/// signal that is under the threshold and a silent key leaves it alone; with the aux port
/// carrying nothing (inactive), the signal keys itself. Returns the reduction measured, dB.
pub fn check_bus_compressor_keying<H: TestHost>(host: &mut H, p: &Expected) -> f64 {
    let params = host.params();
    let set = |host: &mut H, name: &str, text: &str| {
        let info = param_by_name(&params, name).clone();
        let v = value_for(host, &info, text);
        host.set_param(info.id, v);
    };
    set(host, "Sidechain", "External");
    set(host, "Threshold", "-30");
    set(host, "Ratio", "4");
    assert!(host.activate(48_000.0, 512, 2));
    let len = 96 * 512;
    let tone: Vec<f32> = (0..len)
        .map(|i| (0.02 * (std::f64::consts::TAU * 300.0 * i as f64 / 48_000.0).sin()) as f32)
        .collect();
    let loud: Vec<f32> = (0..len)
        .map(|i| (0.9 * (std::f64::consts::TAU * 100.0 * i as f64 / 48_000.0).sin()) as f32)
        .collect();
    let run = |host: &mut H, key: Option<&Vec<f32>>| {
        let mut out = vec![vec![0.0f32; len]; 2];
        for start in (0..len).step_by(512) {
            let input = vec![tone[start..start + 512].to_vec(); 2];
            let mut block = vec![vec![0.0f32; 512]; 2];
            let sc = key.map(|k| vec![k[start..start + 512].to_vec(); 2]);
            assert!(host.process(&input, &mut block, sc.as_deref()));
            for (o, b) in out.iter_mut().zip(&block) {
                o[start..start + 512].copy_from_slice(b);
            }
        }
        out
    };
    let peak = |v: &[f32]| v[len / 2..].iter().fold(0.0f32, |m, x| m.max(x.abs())) as f64;
    let silent = vec![0.0f32; len];
    let quiet = run(host, Some(&silent));
    assert!(
        (peak(&quiet[0]) - 0.02).abs() < 1e-4,
        "{}: a silent key must leave the signal alone ({})",
        p.name,
        peak(&quiet[0])
    );
    let ducked = run(host, Some(&loud));
    let reduction_db = -20.0 * (peak(&ducked[0]) / 0.02).log10();
    assert!(
        reduction_db > 15.0,
        "{}: a loud key must duck the signal (reduction {reduction_db:.1} dB)",
        p.name
    );
    // Nothing routed to the sidechain: hosts (Ardour) deactivate the bus and pass silence or no
    // channels. That is "not connected", so a loud signal keys itself.
    assert!(
        host.set_sidechain_active(false),
        "{}: deactivating the sidechain input was refused",
        p.name
    );
    let loud_in: Vec<f32> = tone.iter().map(|x| x * 40.0).collect();
    let run_loud = |host: &mut H| {
        let mut peak_out = 0.0f32;
        for start in (0..len).step_by(512) {
            let input = vec![loud_in[start..start + 512].to_vec(); 2];
            let mut block = vec![vec![0.0f32; 512]; 2];
            let silence = vec![vec![0.0f32; 512]; 2];
            assert!(host.process(&input, &mut block, Some(&silence)));
            if start >= len / 2 {
                peak_out = block[0].iter().fold(peak_out, |m, x| m.max(x.abs()));
            }
        }
        -20.0 * (peak_out as f64 / 0.8).log10()
    };
    let self_keyed_db = run_loud(host);
    assert!(
        self_keyed_db > 10.0,
        "{}: with the sidechain bus inactive the signal must key itself (reduction \
         {self_keyed_db:.1} dB)",
        p.name
    );
    // Active again: a silent key is silence, no reduction.
    assert!(host.set_sidechain_active(true));
    let keyed_by_silence_db = run_loud(host);
    assert!(
        keyed_by_silence_db.abs() < 0.1,
        "{}: with the sidechain active and silent the signal must pass ({keyed_by_silence_db:.1} \
         dB)",
        p.name
    );
    host.deactivate();
    reduction_db
}

/// Bypass: output = input delayed by the reported latency; the parameter persists in state.
pub fn check_bypass<H: TestHost>(host: &mut H, p: &Expected) {
    let channels = p.layouts[0];
    let params = host.params();
    let bypass = params.iter().find(|i| i.is_bypass).expect("bypass").clone();
    let output_gain = param_by_name(&params, "Output Gain").clone();
    // With a trim that would change the signal, bypass must still give the input.
    let v = value_for(host, &output_gain, "-12");
    host.set_param(output_gain.id, v);
    host.set_param(bypass.id, bypass.max);
    assert!(host.activate(48_000.0, 1024, channels));
    let input = noise_channels(channels, 10_000, 21);
    let out = run_blocks(host, p, &input, &[700]);
    let latency = host.latency() as usize;
    for c in 0..channels {
        for i in latency..10_000 {
            assert_eq!(
                out[c][i],
                input[c][i - latency],
                "{}: bypassed output differs from the input at {i}",
                p.name
            );
        }
    }
    assert!((host.get_param(bypass.id) - bypass.max).abs() < 1e-9);
    let state = host.save_state().expect("save");
    host.deactivate();
    host.set_param(bypass.id, bypass.min);
    assert!(host.load_state(&state, usize::MAX));
    assert!(
        (host.get_param(bypass.id) - bypass.max).abs() < 1e-9,
        "{}: bypass did not persist",
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

/// Reset and reactivation at another rate keep working; output after reset does not depend on
/// what came before.
pub fn check_reset_reactivate<H: TestHost>(host: &mut H, p: &Expected) {
    let channels = p.layouts[0];
    let input = noise_channels(channels, 4096, 2);
    assert!(host.activate(48_000.0, 1024, channels));
    let first = run_blocks(host, p, &input, &[1024]);
    host.reset();
    let second = run_blocks(host, p, &input, &[1024]);
    assert_eq!(
        first, second,
        "{}: output after reset depends on history",
        p.name
    );
    assert!(host.activate(96_000.0, 256, channels));
    run_blocks(host, p, &input, &[256]);
    assert!(host.activate(44_100.0, 2048, channels));
    run_blocks(host, p, &input, &[2048, 1]);
    host.deactivate();
}

/// NaN/Inf input: the output is finite again within one block. Denormal input gives no
/// subnormal output.
pub fn check_bad_input<H: TestHost>(host: &mut H, p: &Expected) {
    let channels = p.layouts[0];
    assert!(host.activate(48_000.0, 512, channels));
    let sc = sidechain_for(p, 512);
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let input = vec![vec![bad; 512]; channels];
        let mut out = vec![vec![0.0f32; 512]; channels];
        assert!(host.process(&input, &mut out, sc.as_deref()));
        // The block after must be clean (run_blocks asserts that).
        run_blocks(host, p, &noise_channels(channels, 512, 6), &[512]);
    }
    let tiny = vec![vec![1e-39f32; 4096]; channels];
    run_blocks(host, p, &tiny, &[512]);
    host.deactivate();
}

/// A zero-length process call (parameter flush) succeeds and applies its events.
pub fn check_zero_length_block<H: TestHost>(host: &mut H, p: &Expected) {
    let channels = p.layouts[0];
    let params = host.params();
    let output_gain = param_by_name(&params, "Output Gain").clone();
    assert!(host.activate(48_000.0, 512, channels));
    let v = value_for(host, &output_gain, "-3");
    host.set_param(output_gain.id, v);
    let empty = vec![Vec::<f32>::new(); channels];
    let mut out = vec![Vec::<f32>::new(); channels];
    let sc = p.sidechain.then(|| vec![Vec::<f32>::new(); 2]);
    assert!(
        host.process(&empty, &mut out, sc.as_deref()),
        "{}: zero-length process",
        p.name
    );
    assert!(
        (host.get_param(output_gain.id) - v).abs() < 1e-9,
        "{}: flush not applied",
        p.name
    );
    host.deactivate();
}

/// Sample-accurate automation: the output gain automated every 10, 100 and 1000 samples gives
/// the same output however the host cuts the blocks (events land at their sample, not at the
/// block start), and differs from the unautomated output.
pub fn check_sample_accurate_automation<H: TestHost>(host: &mut H, p: &Expected) {
    let channels = p.layouts[0];
    let params = host.params();
    let gain = param_by_name(&params, "Output Gain").clone();
    let len = 24_000;
    let input = noise_channels(channels, len, 41);
    for every in [10usize, 100, 1000] {
        // (absolute sample position, value)
        let mut rng = rand::rngs::StdRng::seed_from_u64(every as u64);
        let events: Vec<(usize, f64)> = (0..len)
            .step_by(every)
            .map(|pos| (pos, gain.snap(rng.random_range(gain.min..=gain.max))))
            .collect();
        let mut reference: Option<Vec<Vec<f32>>> = None;
        for pattern in [vec![MAX_BLOCK], vec![17], vec![1000, 3, 512], vec![2027]] {
            assert!(host.activate(48_000.0, MAX_BLOCK, channels));
            let mut next_event = 0;
            let out = run_blocks_with(host, p, &input, &pattern, |host, pos, n| {
                while next_event < events.len() && events[next_event].0 < pos + n {
                    let (at, v) = events[next_event];
                    host.set_param_at(gain.id, v, (at - pos) as u32);
                    next_event += 1;
                }
            });
            match &reference {
                None => {
                    let differs = (0..len).any(|j| (out[0][j] - input[0][j]).abs() > 1e-3);
                    assert!(differs, "{}: automation had no effect", p.name);
                    reference = Some(out);
                }
                Some(r) => {
                    for c in 0..channels {
                        for j in 0..len {
                            assert!(
                                (out[c][j] - r[c][j]).abs() <= 1e-6,
                                "{}: automation every {every} samples with blocks {:?}: sample {j} is {} instead of {}",
                                p.name,
                                pattern,
                                out[c][j],
                                r[c][j]
                            );
                        }
                    }
                }
            }
        }
    }
    host.deactivate();
}

/// A block larger than the maximum announced at activation is processed completely and gives
/// the same output as blocks within the limit (hosts do this; the plugin must not overrun).
pub fn check_oversized_block<H: TestHost>(host: &mut H, p: &Expected) {
    let channels = p.layouts[0];
    let input = noise_channels(channels, 8192, 51);
    assert!(host.activate(48_000.0, 256, channels));
    let expected = run_blocks(host, p, &input, &[256]);
    host.reset();
    let got = run_blocks(host, p, &input, &[8192]);
    assert_eq!(got, expected, "{}: oversized block output differs", p.name);
    host.deactivate();
}

/// Generates the `#[test]`s of the common battery for one plugin format, plus an `each`
/// helper for format-specific tests: `battery_tests!(HostType, load_fn)`, where
/// `load_fn(&Expected) -> HostType` loads a fresh instance. Both formats run exactly the same
/// list, so it cannot drift between them.
#[macro_export]
macro_rules! battery_tests {
    ($host:ty, $load:expr) => {
        /// Runs a check on a fresh instance of every plugin.
        fn each(check: impl Fn(&mut $host, &$crate::Expected)) {
            for p in $crate::PLUGINS {
                let mut host: $host = ($load)(p);
                check(&mut host, p);
            }
        }

        #[test]
        fn parameters() {
            each($crate::battery::check_params);
        }

        #[test]
        fn value_text_round_trip() {
            each($crate::battery::check_text_round_trip);
        }

        #[test]
        fn sample_rates() {
            each($crate::battery::check_sample_rates);
        }

        #[test]
        fn block_sizes_and_invariance() {
            each($crate::battery::check_block_sizes_and_invariance);
        }

        #[test]
        fn trims() {
            each($crate::battery::check_trims);
        }

        #[test]
        fn latency_equals_impulse_delay() {
            each($crate::battery::check_latency);
        }

        #[test]
        fn plain_values_are_in_the_parameter_unit() {
            each($crate::battery::check_plain_values_in_units);
        }

        #[test]
        fn choice_parameters_are_lists() {
            each($crate::battery::check_choice_parameters_are_lists);
        }

        #[test]
        fn reopened_session_renders_the_same() {
            for p in $crate::PLUGINS {
                $crate::battery::check_reopened_session_renders_the_same(&|| ($load)(p), p, None);
            }
            // The limiter's continuous parameters all have steps as fine as their text, so a
            // host that keeps only 6 significant digits of the normalized values (150 ms came
            // back as 150.00003 ms in Ardour) still gets exactly what was saved.
            let limiter = $crate::PLUGINS
                .iter()
                .find(|p| p.name == "Lathe Limiter")
                .unwrap();
            $crate::battery::check_reopened_session_renders_the_same(
                &|| ($load)(limiter),
                limiter,
                Some(6),
            );
        }

        #[test]
        fn latency_changes_follow_the_host_rules() {
            for p in $crate::PLUGINS {
                $crate::battery::check_latency_change_rules(&|| ($load)(p), p);
            }
        }

        #[test]
        fn bypass() {
            each($crate::battery::check_bypass);
        }

        #[test]
        fn parameter_fuzz() {
            each($crate::battery::check_param_fuzz);
        }

        #[test]
        fn state_round_trip() {
            for p in $crate::PLUGINS {
                $crate::battery::check_state_round_trip(&|| ($load)(p), p);
            }
        }

        #[test]
        fn corrupt_state_is_refused() {
            each($crate::battery::check_corrupt_state);
        }

        #[test]
        fn reset_and_reactivate() {
            each($crate::battery::check_reset_reactivate);
        }

        #[test]
        fn nan_inf_and_denormal_input() {
            each($crate::battery::check_bad_input);
        }

        #[test]
        fn zero_length_block() {
            each($crate::battery::check_zero_length_block);
        }

        #[test]
        fn sample_accurate_automation() {
            each($crate::battery::check_sample_accurate_automation);
        }

        #[test]
        fn oversized_block() {
            each($crate::battery::check_oversized_block);
        }
    };
}
