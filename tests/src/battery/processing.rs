//! Processing checks: rates, block sizes and invariance, trims, latency and its change rules,
//! bypass, reset, bad input, zero-length and oversized blocks, sample-accurate automation.

use super::*;
use crate::signals::{block_pattern, noise_channels};
use crate::{Expected, TestHost};
use rand::{Rng, SeedableRng};

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
    let input_gain = named_param(host, "Input Gain");
    let output_gain = named_param(host, "Output Gain");
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
        for (name, text) in changes {
            set_text(host, name, text);
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
    let output_gain = named_param(host, "Output Gain");
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
    let gain = named_param(host, "Output Gain");
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
