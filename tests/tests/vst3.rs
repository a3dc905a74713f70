//! The conformance battery against the four `.vst3` bundles, through the VST3 COM interfaces.

use lathe_conformance::TestHost;
use lathe_conformance::battery::*;
use lathe_conformance::battery_tests;
use lathe_conformance::signals::noise_channels;
use lathe_conformance::vst3_host::Vst3TestHost;

/// A VST3 effect's main category.
const MAIN_CATEGORIES: &[&str] = &["Fx", "Instrument", "Analyzer"];

battery_tests!(Vst3TestHost, Vst3TestHost::for_plugin);

#[test]
fn class_info_and_subcategories() {
    each(|host, p| {
        check_descriptor(host, p, MAIN_CATEGORIES, p.vst3_subcategories);
        assert_eq!(host.descriptor().id.as_bytes(), &p.vst3_cid);
    });
}

#[test]
fn bus_arrangements() {
    each(|host, p| {
        for channels in [1usize, 2] {
            let accepted = host.set_layout(channels);
            assert_eq!(
                accepted,
                p.layouts.contains(&channels),
                "{}: {channels}-channel arrangement",
                p.name
            );
        }
        // Every accepted layout really processes.
        for &channels in p.layouts {
            assert!(host.activate(48_000.0, 512, channels));
            run_blocks(host, p, &noise_channels(channels, 2048, 3), &[512]);
        }
        host.deactivate();
    });
}

#[test]
fn in_place_equals_out_of_place() {
    each(|host, p| {
        let channels = p.layouts[0];
        let input = noise_channels(channels, 4096, 12);
        assert!(host.activate(48_000.0, 1024, channels));
        let expected = run_blocks(host, p, &input, &[1024]);
        host.reset();
        let mut buffers = input.clone();
        for start in (0..4096).step_by(1024) {
            let mut block: Vec<Vec<f32>> = buffers
                .iter()
                .map(|c| c[start..start + 1024].to_vec())
                .collect();
            assert!(host.process_in_place(&mut block));
            for (c, b) in block.iter().enumerate() {
                buffers[c][start..start + 1024].copy_from_slice(b);
            }
        }
        assert_eq!(buffers, expected, "{}: in-place output differs", p.name);
        host.deactivate();
    });
}

#[test]
fn limiter_latency_change() {
    let p = lathe_conformance::plugin("Lathe Limiter");
    let mut host = Vst3TestHost::for_plugin(p);
    let (old, new) = check_limiter_latency_change(&mut host, p);
    eprintln!("limiter latency {old} -> {new} samples");
}
