//! The conformance battery against the four `.clap` bundles, through `clack-host`.

use lathe_conformance::battery::*;
use lathe_conformance::battery_tests;
use lathe_conformance::clap_host::ClapTestHost;
use lathe_conformance::{Expected, PLUGINS, TestHost, clap_path};

/// CLAP's main plugin categories.
const MAIN_CATEGORIES: &[&str] = &[
    "audio-effect",
    "instrument",
    "note-effect",
    "analyzer",
    "note-detector",
];

battery_tests!(ClapTestHost, ClapTestHost::for_plugin);

#[test]
fn descriptor_and_features() {
    each(|host, p| {
        check_descriptor(host, p, MAIN_CATEGORIES, p.clap_features);
        assert_eq!(host.descriptor().id, p.clap_id);
    });
}

#[test]
fn audio_ports() {
    each(|host, p| {
        let (inputs, outputs) = host.audio_ports();
        assert_eq!(outputs, vec![p.layouts[0] as u32], "{}: outputs", p.name);
        let expected_inputs: Vec<u32> = if p.sidechain {
            vec![2, 2]
        } else {
            vec![p.layouts[0] as u32]
        };
        assert_eq!(inputs, expected_inputs, "{}: inputs", p.name);
    });
}

#[test]
fn state_load_asks_host_to_rescan_values() {
    for p in PLUGINS {
        let mut a = ClapTestHost::for_plugin(p);
        let saved = a.save_state().expect("save");
        let mut b = ClapTestHost::for_plugin(p);
        let before = b.value_rescans();
        assert!(b.load_state(&saved, usize::MAX));
        assert!(
            b.value_rescans() > before,
            "{}: no rescan after state load",
            p.name
        );
    }
}

#[test]
fn sidechain_connected_or_not() {
    for p in PLUGINS.iter().filter(|p| p.sidechain) {
        let mut host = ClapTestHost::for_plugin(p);
        assert!(host.activate(48_000.0, 512, 2));
        let input = lathe_conformance::signals::noise_channels(2, 512, 1);
        let mut out = vec![vec![0.0f32; 512]; 2];
        // With a key, and with the aux port present but silent.
        let key = lathe_conformance::signals::noise_channels(2, 512, 2);
        assert!(host.process(&input, &mut out, Some(&key)));
        let silent = vec![vec![0.0f32; 512]; 2];
        assert!(host.process(&input, &mut out, Some(&silent)));
        assert!(out.iter().flatten().all(|x| x.is_finite()));
    }
}

/// A host thread that used a plugin may exit after the plugin library was unloaded; that must
/// not crash the host (thread-local destructors in unloaded code did, before `-z nodelete`).
#[test]
fn thread_exit_after_unload_does_not_crash() {
    for p in PLUGINS {
        let path = clap_path(p);
        for _ in 0..3 {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut host = ClapTestHost::load(&path, p.clap_id);
                assert!(host.activate(48_000.0, 256, p.layouts[0]));
                let input = lathe_conformance::signals::noise_channels(p.layouts[0], 256, 1);
                let mut out = vec![vec![0.0f32; 256]; p.layouts[0]];
                let sc = p.sidechain.then(|| input.clone());
                assert!(host.process(&input, &mut out, sc.as_deref()));
                drop(host);
                // The entry is gone (last reference dropped) before this thread exits.
            })
            .join()
            .expect("host thread");
        }
    }
}

fn limiter() -> &'static Expected {
    lathe_conformance::plugin("Lathe Limiter")
}

#[test]
fn limiter_reports_a_latency_change_to_the_host() {
    let p = limiter();
    let mut host = ClapTestHost::for_plugin(p);
    let before = host.latency_changes();
    let (old, new) = check_limiter_latency_change(&mut host, p);
    eprintln!("limiter latency {old} -> {new} samples");
    assert!(
        host.latency_changes() > before,
        "the host was not told that the latency changed"
    );
}

#[test]
fn plugins_with_latency_keep_the_host_processing() {
    use clack_host::process::ProcessStatus;
    for p in PLUGINS {
        let mut host = ClapTestHost::for_plugin(p);
        assert!(host.activate(48_000.0, 512, p.layouts[0]));
        let latency = host.latency();
        let input = vec![vec![0.1f32; 512]; p.layouts[0]];
        run_blocks(&mut host, p, &input, &[512]);
        let status = host.last_status();
        if latency > 0 {
            // Audio is still inside the plugin when the input stops: the host must keep
            // calling. nice-plug answers a tail with CLAP_PROCESS_CONTINUE (and the length
            // through the tail extension), never "continue if not quiet".
            assert_eq!(status, Some(ProcessStatus::Continue), "{}", p.name);
        } else {
            assert_eq!(
                status,
                Some(ProcessStatus::ContinueIfNotQuiet),
                "{}",
                p.name
            );
        }
        host.deactivate();
    }
    assert!(PLUGINS.iter().any(|p| p.name == "Lathe Limiter"));
}
