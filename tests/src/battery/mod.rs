//! The conformance battery, following `../shared/standards/host-conformance.md`. Each check takes
//! a factory that makes a fresh, loaded (inactive) instance, so checks that need two instances
//! (state round trips) can have them. Checks panic with a message naming the plugin and what
//! went wrong.
//!
//! - [`params`]: descriptor, parameters, text and plain values, choice lists, fuzzing, state;
//! - [`processing`]: sample rates, block sizes, trims, latency and its change rules, bypass,
//!   reset, bad input, zero-length and oversized blocks, sample-accurate automation;
//! - [`plugins`]: what only one plugin has (the limiter's and the reference's latency changes,
//!   the strip's EQ and saturator, the bus compressor's sidechain).
//!
//! Every check is generic over [`TestHost`], so the CLAP and the VST3 host run the same list
//! ([`crate::battery_tests`]).

use crate::signals::{is_clean, noise_channels};
use crate::{Expected, ParamInfo, TestHost};

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

/// The parameter named `name` of a host's plugin.
fn named_param<H: TestHost>(host: &mut H, name: &str) -> ParamInfo {
    param_by_name(&host.params(), name).clone()
}

/// Sets the parameter named `name` to the value its display text `text` stands for.
fn set_text<H: TestHost>(host: &mut H, name: &str, text: &str) {
    let info = named_param(host, name);
    let v = value_for(host, &info, text);
    host.set_param(info.id, v);
}

/// Host-side value for display text, e.g. "+6 dB".
fn value_for<H: TestHost>(host: &mut H, param: &ParamInfo, text: &str) -> f64 {
    host.text_to_value(param.id, text)
        .unwrap_or_else(|| panic!("'{text}' not accepted for {}", param.name))
}

pub mod params;
pub mod plugins;
pub mod processing;

pub use params::*;
pub use plugins::*;
pub use processing::*;

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

/// Generates the `#[test]`s of the common battery for one plugin format, plus an `each`
/// helper for format-specific tests: `battery_tests!(HostType, load_fn)`, where
/// `load_fn(&Expected) -> HostType` loads a fresh instance. Both formats run exactly the same
/// list, so it cannot drift between them.
#[macro_export]
macro_rules! battery_tests {
    // A test per check, named as the check and run by `$runner` (`each` or `instances`).
    (@tests $runner:ident; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                $runner($crate::battery::$check);
            }
        )*
    };
    ($host:ty, $load:expr) => {
        /// Runs a check on a fresh instance of every plugin.
        fn each(check: impl Fn(&mut $host, &$crate::Expected)) {
            for p in $crate::PLUGINS {
                let mut host: $host = ($load)(p);
                check(&mut host, p);
            }
        }

        #[test]
        fn channel_strip_processes_and_reports_saturator_latency() {
            let p = $crate::plugin("Lathe Channel Strip");
            let mut host: $host = ($load)(p);
            let latency = $crate::battery::check_channel_strip(&mut host, p);
            eprintln!("channel strip latency with 4x saturation: {latency} samples");
        }

        #[test]
        fn bus_compressor_is_keyed_by_the_sidechain_input() {
            let p = $crate::plugin("Lathe Bus Compressor");
            let mut host: $host = ($load)(p);
            let reduction = $crate::battery::check_bus_compressor_keying(&mut host, p);
            eprintln!("bus compressor keyed by the sidechain: {reduction:.1} dB of reduction");
        }

        #[test]
        fn reference_keeps_analyses_in_state_and_reports_fir_latency() {
            let p = $crate::plugin("Lathe Reference");
            let latency = $crate::battery::check_reference_state_and_latency(&|| ($load)(p), p);
            eprintln!("reference linear-phase latency {latency} samples");
        }

        /// Runs a check with a way to make fresh instances, for every plugin.
        fn instances(check: impl Fn(&dyn Fn() -> $host, &$crate::Expected)) {
            for p in $crate::PLUGINS {
                check(&|| ($load)(p), p);
            }
        }

        $crate::battery_tests!(@tests each;
            check_params, check_text_round_trip, check_sample_rates,
            check_block_sizes_and_invariance, check_trims, check_latency,
            check_plain_values_in_units, check_choice_parameters_are_lists, check_bypass,
            check_param_fuzz, check_corrupt_state, check_reset_reactivate, check_bad_input,
            check_zero_length_block, check_sample_accurate_automation, check_oversized_block,
        );

        $crate::battery_tests!(@tests instances;
            check_latency_change_rules, check_state_round_trip, check_ab_slots_persist,
            check_editor_geometry_persists,
        );

        #[test]
        fn reopened_session_renders_the_same() {
            for p in $crate::PLUGINS {
                $crate::battery::check_reopened_session_renders_the_same(&|| ($load)(p), p, None);
            }
            // The limiter's continuous parameters all have steps as fine as their text, so a
            // host that keeps only 6 significant digits of the normalized values (150 ms came
            // back as 150.00003 ms in Ardour) still gets exactly what was saved.
            let limiter = $crate::plugin("Lathe Limiter");
            $crate::battery::check_reopened_session_renders_the_same(
                &|| ($load)(limiter),
                limiter,
                Some(6),
            );
        }
    };
}
