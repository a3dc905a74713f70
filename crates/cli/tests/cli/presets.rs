//! `lathe preset` and `lathe render --preset` (issue #22): user presets saved by the CLI are
//! the files the plugins' preset menus read (`$XDG_DATA_HOME/lathe/presets/PLUGIN/`), listed
//! after the factory presets; a preset rendered by name or by file gives the same samples as
//! its values given with `--set`, `--set` goes on top of a preset, and bad names are refused.

use crate::common;

use common::{assert_ok, sine, temp_dir, texts, write_wav};
use std::path::Path;
use std::process::{Command, Output};

/// A scratch folder with a presets home (`data`) and a short stereo tone (`in.wav`).
fn setup(name: &str, seconds: f64) -> (std::path::PathBuf, std::path::PathBuf, String) {
    let dir = temp_dir(name);
    let input = dir.join("in.wav");
    write_wav(&input, &sine(440.0, 0.9, seconds, 48_000, 2), 48_000);
    let data = dir.join("data");
    (dir, data, input.to_str().unwrap().to_owned())
}

/// `lathe ARGS` with `XDG_DATA_HOME` at `data`.
fn lathe_in(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lathe"))
        .env("XDG_DATA_HOME", data)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_saved_preset_renders_as_its_values_and_is_listed_after_the_factory_ones() {
    let (dir, data, input) = setup("presets", 2.0);
    let i = input.as_str();
    let values = [
        "--set",
        "ceiling=-3",
        "--set",
        "release=300 ms",
        "--set",
        "oversampling=8x",
    ];
    let name = "Loud / v2.1 ü";
    let mut save = vec!["preset", "save", "limiter", name];
    save.extend(values);
    assert_ok(&lathe_in(&data, &save));
    let file = data.join("lathe/presets/limiter/Loud %2F v2%2E1 ü.json");
    assert!(file.exists(), "no {}", file.display());
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(json["format"], 1);
    assert_eq!(json["plugin"], "audio.lathe.limiter");
    assert_eq!(json["name"], name);
    assert_eq!(json["parameters"]["ceiling"]["value"], -3.0);
    assert_eq!(json["parameters"]["ceiling"]["text"], "-3.00 dBTP");
    // Saving over it needs --force.
    let again = lathe_in(&data, &save);
    assert_eq!(again.status.code(), Some(1));
    assert!(texts(&again).1.contains("--force"), "{}", texts(&again).1);
    save.push("--force");
    assert_ok(&lathe_in(&data, &save));
    // Listed after the factory presets.
    let out = lathe_in(&data, &["preset", "list", "limiter"]);
    assert_ok(&out);
    let listing = texts(&out).0;
    let (factory, user) = (
        listing.find("Transparent").unwrap(),
        listing.find(name).unwrap(),
    );
    assert!(factory < user, "{listing}");
    // By name, by file, and as --set: the same bytes.
    let render = |out: &str, extra: &[&str]| {
        let mut args = vec!["render", "limiter", i, "-o", out];
        args.extend(extra);
        assert_ok(&lathe_in(&data, &args));
        std::fs::read(out).unwrap()
    };
    let (a, b, c) = (dir.join("a.wav"), dir.join("b.wav"), dir.join("c.wav"));
    let by_name = render(a.to_str().unwrap(), &["--preset", &name.to_uppercase()]);
    let by_file = render(b.to_str().unwrap(), &["--preset", file.to_str().unwrap()]);
    let by_set = render(c.to_str().unwrap(), &values);
    assert!(by_name == by_set, "--preset NAME differs from --set");
    assert!(by_file == by_set, "--preset FILE.json differs from --set");
    // --set on top of a preset; a factory preset by name equals its values.
    let d = dir.join("d.wav");
    let on_top = render(
        d.to_str().unwrap(),
        &["--preset", name, "--set", "ceiling=-1"],
    );
    assert!(on_top != by_set);
    let e = dir.join("e.wav");
    let changed = [
        "--set",
        "ceiling=-1",
        "--set",
        "release=300 ms",
        "--set",
        "oversampling=8x",
    ];
    assert!(render(e.to_str().unwrap(), &changed) == on_top);
    let f = dir.join("f.wav");
    let factory = render(f.to_str().unwrap(), &["--preset", "transparent"]);
    let g = dir.join("g.wav");
    let transparent = [
        "--set",
        "ceiling=-1",
        "--set",
        "release=400",
        "--set",
        "lookahead=3",
        "--set",
        "link=100",
        "--set",
        "oversampling=8x",
        "--set",
        "loudness_target=-14",
    ];
    assert!(
        render(g.to_str().unwrap(), &transparent) == factory,
        "factory preset by name"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn bad_preset_names_and_files_are_refused_with_a_message() {
    let (dir, data, input) = setup("presets-bad", 1.0);
    let i = input.as_str();
    let out = dir.join("o.wav");
    let o = out.to_str().unwrap();
    let corrupt = dir.join("corrupt.json");
    std::fs::write(&corrupt, "{").unwrap();
    let strip = dir.join("strip.json");
    assert_ok(&lathe_in(
        &data,
        &["preset", "save", "channel-strip", "Mine"],
    ));
    std::fs::copy(data.join("lathe/presets/channel-strip/Mine.json"), &strip).unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["render", "limiter", i, "-o", o, "--preset", "Nope"],
            "has no preset",
        ),
        (
            vec![
                "render",
                "limiter",
                i,
                "-o",
                o,
                "--preset",
                corrupt.to_str().unwrap(),
            ],
            "not a preset file",
        ),
        (
            vec![
                "render",
                "limiter",
                i,
                "-o",
                o,
                "--preset",
                strip.to_str().unwrap(),
            ],
            "not of this plugin",
        ),
        (
            vec!["preset", "save", "limiter", "Transparent"],
            "factory preset",
        ),
        (vec!["preset", "save", "limiter", "  "], "needs a name"),
        (
            vec!["preset", "save", "limiter", "x", "--set", "ceiling=5"],
            "out of range",
        ),
    ];
    for (args, message) in cases {
        let run = lathe_in(&data, &args);
        let (_, stderr) = texts(&run);
        assert_eq!(run.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(!out.exists(), "{args:?} wrote a file");
    }
    // A corrupt file in the folder is skipped with a message by the list.
    std::fs::write(data.join("lathe/presets/limiter-corrupt.json"), "x").ok();
    std::fs::create_dir_all(data.join("lathe/presets/limiter")).unwrap();
    std::fs::write(data.join("lathe/presets/limiter/broken.json"), "{").unwrap();
    let run = lathe_in(&data, &["preset", "list", "limiter"]);
    assert_ok(&run);
    assert!(texts(&run).1.contains("broken.json"), "{}", texts(&run).1);
    std::fs::remove_dir_all(dir).ok();
}
