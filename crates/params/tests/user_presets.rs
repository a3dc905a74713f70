//! User preset files: every parameter of every plugin survives a save and a load through the
//! same functions the editors and the CLI call; file names are safe for any preset name; a
//! corrupt file is skipped with a message, a newer format and another plugin's preset are
//! refused, unknown IDs are warned about, missing IDs stay at their defaults.

use lathe_params::param_table::ParamTable;
use lathe_params::user_presets::{
    FORMAT, apply_without_host, capture, delete, file_name, list, read, rename, save,
};
use nice_plug::prelude::Params;
use std::path::PathBuf;

fn temp(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("lathe-user-presets-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Moves every parameter to a value of its own away from the default (a different fraction
/// for each, on its steps).
fn scramble(params: &dyn Params) {
    for (i, p) in ParamTable::new(params).iter().enumerate() {
        let v = ((i as f32 * 0.618_034 + 0.27) % 1.0).clamp(0.0, 1.0);
        p.set_normalized(v);
    }
}

fn values(params: &dyn Params) -> Vec<(String, f32)> {
    ParamTable::new(params)
        .iter()
        .map(|p| (p.id().to_owned(), p.normalized()))
        .collect()
}

fn round_trip<P: Params + Default>(plugin_id: &str) {
    let dir = temp(plugin_id);
    let source = P::default();
    scramble(&source);
    let path = save(&dir, &capture(&source, plugin_id, "Round trip"), false).unwrap();
    let loaded = read(&path, plugin_id).unwrap();
    let target = P::default();
    let warnings = apply_without_host(&target, &loaded);
    assert!(warnings.is_empty(), "{plugin_id}: {warnings:?}");
    for ((id, a), (_, b)) in values(&source).iter().zip(values(&target)) {
        if id == "bypass" {
            // The host's switch: neither saved nor loaded.
            assert!(!loaded.parameters.contains_key(id));
            continue;
        }
        assert!(
            (a - b).abs() < 1e-6,
            "{plugin_id} {id}: saved {a}, loaded {b}"
        );
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn every_parameter_of_every_plugin_survives_a_save_and_a_load() {
    round_trip::<lathe_params::limiter::LimiterParams>("audio.lathe.limiter");
    round_trip::<lathe_params::channel_strip::ChannelStripParams>("audio.lathe.channel-strip");
    round_trip::<lathe_params::bus_compressor::BusCompressorParams>("audio.lathe.bus-compressor");
    round_trip::<lathe_params::reference::ReferenceParams>("audio.lathe.reference");
}

#[test]
fn file_names_are_safe_for_any_preset_name() {
    assert_eq!(file_name("My Master").unwrap(), "My Master.json");
    assert_eq!(file_name("a/b").unwrap(), "a%2Fb.json");
    assert_eq!(file_name("..").unwrap(), "%2E%2E.json");
    assert_eq!(file_name("Früh 春").unwrap(), "Früh 春.json");
    assert_eq!(file_name("v1.2: \"x\"").unwrap(), "v1%2E2%3A %22x%22.json");
    // Distinct names, distinct files: the escape character is escaped too.
    assert_ne!(file_name("a/b").unwrap(), file_name("a%2Fb").unwrap());
    for bad in ["", "   ", "a\nb", &"x".repeat(300)] {
        assert!(file_name(bad).is_err(), "{bad:?} accepted");
    }
    // Saved and listed under their own names, in the folder.
    let dir = temp("names");
    let params = lathe_params::limiter::LimiterParams::default();
    let names = ["../escape", "a/b", "Früh 春", ".hidden"];
    for name in names {
        let path = save(&dir, &capture(&params, "audio.lathe.limiter", name), false).unwrap();
        assert_eq!(path.parent().unwrap(), dir);
    }
    let (found, messages) = list(&dir, "audio.lathe.limiter");
    assert!(messages.is_empty(), "{messages:?}");
    let mut listed: Vec<&str> = found.iter().map(|f| f.preset.name.as_str()).collect();
    listed.sort();
    let mut want = names.to_vec();
    want.sort();
    assert_eq!(listed, want);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn bad_files_are_skipped_or_refused_with_a_message() {
    let id = "audio.lathe.limiter";
    let dir = temp("bad");
    let params = lathe_params::limiter::LimiterParams::default();
    save(&dir, &capture(&params, id, "Good"), false).unwrap();
    std::fs::write(dir.join("corrupt.json"), "{ not json").unwrap();
    let newer = format!(
        "{{\"format\": {}, \"plugin\": \"{id}\", \"name\": \"Future\", \"parameters\": {{}}, \
         \"curves\": [1, 2]}}",
        FORMAT + 1
    );
    std::fs::write(dir.join("future.json"), newer).unwrap();
    let other = capture(
        &lathe_params::channel_strip::ChannelStripParams::default(),
        "audio.lathe.channel-strip",
        "Strip",
    );
    save(&dir, &other, false).unwrap();
    let (found, messages) = list(&dir, id);
    assert_eq!(found.len(), 1, "{messages:?}");
    assert_eq!(found[0].preset.name, "Good");
    assert_eq!(messages.len(), 3, "{messages:?}");
    let all = messages.join("\n");
    assert!(all.contains("corrupt.json is not a preset file"), "{all}");
    assert!(all.contains("newer than this Lathe reads"), "{all}");
    assert!(all.contains("not of this plugin"), "{all}");
    // An existing name is kept unless overwriting.
    let err = save(&dir, &capture(&params, id, "Good"), false).unwrap_err();
    assert!(err.contains("exists"), "{err}");
    save(&dir, &capture(&params, id, "Good"), true).unwrap();
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn unknown_ids_are_warned_about_and_missing_ids_stay_at_their_defaults() {
    let id = "audio.lathe.limiter";
    let dir = temp("partial");
    let path = dir.join("partial.json");
    let json = format!(
        "{{\"format\": {FORMAT}, \"plugin\": \"{id}\", \"name\": \"Partial\", \"parameters\": {{\
         \"ceiling\": {{\"value\": -3.5, \"text\": \"-3.50 dBTP\"}},\
         \"oversampling\": {{\"value\": 3, \"text\": \"8x\"}},\
         \"warp_drive\": {{\"value\": 1, \"text\": \"on\"}}}}}}"
    );
    std::fs::write(&path, json).unwrap();
    let preset = read(&path, id).unwrap();
    let params = lathe_params::limiter::LimiterParams::default();
    scramble(&params);
    let warnings = apply_without_host(&params, &preset);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("warp_drive"));
    assert!((params.ceiling.value() + 3.5).abs() < 1e-4);
    assert_eq!(
        params.oversampling.value(),
        lathe_params::limiter::OversamplingChoice::X8
    );
    let defaults = lathe_params::limiter::LimiterParams::default();
    for ((pid, got), (_, want)) in values(&params).iter().zip(values(&defaults)) {
        if pid == "bypass" {
            assert_ne!(*got, want, "loading a preset changed the bypass switch");
        } else if pid != "ceiling" && pid != "oversampling" {
            assert_eq!(*got, want, "{pid} is not at its default");
        }
    }
    // Rename follows the name; delete removes the file.
    let renamed = rename(&path, id, "Renamed / v2").unwrap();
    assert!(!path.exists() && renamed.exists());
    assert_eq!(read(&renamed, id).unwrap().name, "Renamed / v2");
    delete(&renamed, id).unwrap();
    assert!(!renamed.exists());
    std::fs::remove_dir_all(dir).ok();
}
