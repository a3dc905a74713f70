//! Saved state from the 0.1 plugins (logarithmic parameters stored as the natural log of their
//! value) loads to the same settings in today's plugins, through both hosts.
//!
//! The fixtures in `tests/fixtures/state-0.1.0/` were saved by the 0.1.0 bundles (main 18e2eb3)
//! through both hosts: `<plugin>.<format>.state` is the state, `<plugin>.<format>.texts` every
//! parameter's display text then (the VST3 text carries the unit). `write_state_fixtures` (ignored) writes them again from bundles in
//! `$LATHE_OLD_BUNDLES`.
//!
//! The fixtures in `tests/fixtures/state-0.2.0/` were saved by the 0.2.0 bundles (main 2e53cca,
//! before issue #17 rebuilt the DSP crate and the parameter model) with *every* parameter away
//! from its default (`<plugin>.<format>.state`, `.texts` as above); after loading, every
//! parameter must read exactly as it did. `write_full_state_fixtures` (ignored) writes them
//! again.

use lathe_conformance::clap_host::ClapTestHost;
use lathe_conformance::vst3_host::Vst3TestHost;
use lathe_conformance::{Expected, PLUGINS, TestHost};
use std::path::PathBuf;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/state-0.1.0")
}

fn full_fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/state-0.2.0")
}

/// Moves every parameter but bypass away from its default: to 37 % of its range (63 % or the
/// other end when that is the default), snapped to its grid.
fn set_all_away_from_default<H: TestHost>(host: &mut H) {
    for info in host.params() {
        if info.is_bypass {
            continue;
        }
        let at = |f: f64| info.snap(info.min + f * (info.max - info.min));
        let v = [at(0.37), at(0.63), info.max, info.min]
            .into_iter()
            .find(|v| (v - info.default).abs() > 1e-9)
            .expect("a parameter with one value");
        host.set_param(info.id, v);
    }
}

fn write_full<H: TestHost>(mut host: H, stem: &str, format: &str) {
    set_all_away_from_default(&mut host);
    let dir = full_fixture_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{stem}.{format}.texts")), texts(&mut host)).unwrap();
    let state = host.save_state().expect("save");
    std::fs::write(dir.join(format!("{stem}.{format}.state")), state).unwrap();
}

#[test]
#[ignore = "writes the full-settings fixtures from bundles in $LATHE_OLD_BUNDLES"]
fn write_full_state_fixtures() {
    let dir = PathBuf::from(std::env::var("LATHE_OLD_BUNDLES").expect("LATHE_OLD_BUNDLES"));
    for p in PLUGINS {
        let stem = file_stem(p);
        let clap = ClapTestHost::load(&dir.join(format!("{}.clap", p.name)), p.clap_id);
        write_full(clap, &stem, "clap");
        let so = format!("{}.vst3/Contents/x86_64-linux/{}.so", p.name, p.name);
        write_full(Vst3TestHost::load(&dir.join(so), p.vst3_cid), &stem, "vst3");
    }
}

/// Loads `p`'s `format` fixture from `dir` into a fresh instance: the instance's parameter
/// texts after loading, and the texts saved with the fixture.
fn load_fixture<H: TestHost>(
    dir: &std::path::Path,
    p: &Expected,
    format: &str,
    load: &impl Fn(&Expected) -> H,
) -> (String, String) {
    let stem = file_stem(p);
    let state = std::fs::read(dir.join(format!("{stem}.{format}.state"))).unwrap();
    let expected = std::fs::read_to_string(dir.join(format!("{stem}.{format}.texts"))).unwrap();
    let mut host = load(p);
    assert!(
        host.load_state(&state, usize::MAX),
        "{}: state refused",
        p.name
    );
    (texts(&mut host), expected)
}

/// `name=text` lines sorted by name: what a state holds does not depend on the order a
/// plugin lists its parameters in (the Bus Compressor's shared compressor block moved
/// `Auto Release`, `Range` and `Sidechain HPF` in its list).
fn by_name(texts: &str) -> String {
    let mut lines: Vec<&str> = texts.lines().collect();
    lines.sort();
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// Loads each plugin's 0.2.0 full-settings state and compares every parameter's text.
fn check_full<H: TestHost>(format: &str, load: impl Fn(&Expected) -> H) {
    for p in PLUGINS {
        let defaults = by_name(&texts(&mut load(p)));
        let (now, expected) = load_fixture(&full_fixture_dir(), p, format, &load);
        let (now, expected) = (by_name(&now), by_name(&expected));
        // Parameters added since 0.2.0 come up at their defaults; the others as saved.
        let name = |line: &str| line.split_once('=').map_or("", |(n, _)| n).to_owned();
        let saved: std::collections::BTreeSet<String> = expected.lines().map(name).collect();
        let (old, added): (Vec<&str>, Vec<&str>) =
            now.lines().partition(|l| saved.contains(&name(l)));
        assert_eq!(
            old.iter().map(|l| format!("{l}\n")).collect::<String>(),
            expected,
            "{}: the 0.2.0 state does not load to the settings it was saved with",
            p.name
        );
        for line in added {
            assert!(
                defaults.lines().any(|d| d == line),
                "{}: {line} (added after 0.2.0) is not at its default",
                p.name
            );
        }
        let defaults: String = defaults
            .lines()
            .filter(|l| saved.contains(&name(l)))
            .map(|l| format!("{l}\n"))
            .collect();
        let changed = expected
            .lines()
            .zip(defaults.lines())
            .filter(|(a, b)| a != b)
            .count();
        // Every parameter but bypass was saved away from its default.
        let total = expected.lines().count();
        assert_eq!(
            changed + 1,
            total,
            "{}: only {changed} of {total} parameters differ from the defaults in the fixture",
            p.name
        );
    }
}

#[test]
fn full_state_of_0_2_loads_to_every_saved_value() {
    check_full("clap", ClapTestHost::for_plugin);
    check_full("vst3", Vst3TestHost::for_plugin);
}

/// Non-default settings saved into the fixtures, as display text, logarithmic ones first.
fn settings(p: &Expected) -> &'static [(&'static str, &'static str)] {
    match p.name {
        "Lathe Channel Strip" => &[
            ("HP Freq", "123 Hz"),
            ("Mid Freq", "2.5 kHz"),
            ("Mid Q", "2.2"),
            ("Comp Ratio", "3.5"),
            ("Comp Attack", "7"),
            ("Gate Release", "300"),
            ("De-Ess Freq", "7 kHz"),
            ("Mid Gain", "-3"),
        ],
        "Lathe Bus Compressor" => &[
            ("Ratio", "3"),
            ("Attack", "3"),
            ("Release", "400"),
            ("Sidechain HPF", "150"),
            ("Threshold", "-15"),
        ],
        "Lathe Limiter" => &[
            ("Release", "321"),
            ("Lookahead", "2.5"),
            ("Ceiling", "-0.5"),
        ],
        "Lathe Reference" => &[("Match Low", "45"), ("Match High", "15 kHz")],
        other => panic!("no fixture settings for {other}"),
    }
}

fn file_stem(p: &Expected) -> String {
    p.name.to_lowercase().replace(' ', "-")
}

/// Every parameter's display text, one `name=text` line each.
fn texts<H: TestHost>(host: &mut H) -> String {
    let mut out = String::new();
    for info in host.params() {
        let value = host.get_param(info.id);
        let text = host.value_to_text(info.id, value).unwrap_or_default();
        out.push_str(&format!("{}={}\n", info.name, text));
    }
    out
}

#[test]
#[ignore = "writes the fixtures from old bundles in $LATHE_OLD_BUNDLES"]
fn write_state_fixtures() {
    let dir = PathBuf::from(std::env::var("LATHE_OLD_BUNDLES").expect("LATHE_OLD_BUNDLES"));
    for p in PLUGINS {
        let mut host = ClapTestHost::load(&dir.join(format!("{}.clap", p.name)), p.clap_id);
        let params = host.params();
        for (name, text) in settings(p) {
            let info = params.iter().find(|i| &i.name == name).expect(name);
            let v = host.text_to_value(info.id, text).expect(text);
            host.set_param(info.id, v);
        }
        let state = host.save_state().expect("save");
        std::fs::write(
            fixture_dir().join(format!("{}.clap.state", file_stem(p))),
            state,
        )
        .unwrap();
        let mut vst3 = Vst3TestHost::load(
            &dir.join(format!(
                "{}.vst3/Contents/x86_64-linux/{}.so",
                p.name, p.name
            )),
            p.vst3_cid,
        );
        let params = vst3.params();
        for (name, text) in settings(p) {
            let info = params.iter().find(|i| &i.name == name).expect(name);
            let v = vst3.text_to_value(info.id, text).expect(text);
            vst3.set_param(info.id, v);
        }
        std::fs::write(
            fixture_dir().join(format!("{}.vst3.texts", file_stem(p))),
            texts(&mut vst3),
        )
        .unwrap();
        let state = vst3.save_state().expect("save");
        std::fs::write(
            fixture_dir().join(format!("{}.vst3.state", file_stem(p))),
            state,
        )
        .unwrap();
        std::fs::write(
            fixture_dir().join(format!("{}.clap.texts", file_stem(p))),
            texts(&mut host),
        )
        .unwrap();
    }
}

fn check<H: TestHost>(format: &str, load: impl Fn(&Expected) -> H) {
    for p in PLUGINS {
        let (now, expected) = load_fixture(&fixture_dir(), p, format, &load);
        let now: Vec<&str> = now.lines().collect();
        for line in expected.lines() {
            assert!(
                now.contains(&line),
                "{}: after loading the 0.1.0 state, expected `{line}`; the plugin shows:\n{}",
                p.name,
                now.join("\n")
            );
        }
        // The settings really are the saved ones, not the defaults.
        let d = texts(&mut load(p));
        for (name, _) in settings(p) {
            let line = |t: &str| {
                t.lines()
                    .find(|l| l.starts_with(&format!("{name}=")))
                    .map(str::to_owned)
            };
            assert_ne!(
                line(&d),
                line(&expected),
                "{}: {name} is at its default",
                p.name
            );
        }
    }
}

#[test]
fn old_state_loads_to_the_same_settings() {
    check("clap", ClapTestHost::for_plugin);
    check("vst3", Vst3TestHost::for_plugin);
}
