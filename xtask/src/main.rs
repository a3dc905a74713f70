//! `cargo xtask`: Lathe's build helper.
//!
//! - `bundle-all [cargo args]`: builds all four plugins as `.clap` and `.vst3` bundles into
//!   `target/bundled/` (names from `bundler.toml`).
//! - `install` / `uninstall`: copies the bundles to `~/.clap` and `~/.vst3`, or removes them.
//! - `screenshot PLUGIN [OUT.png]`: renders a plugin's editor under Xvfb to a PNG.
//! - `test`: bundles the suite in release, runs the CLAP validator on the four `.clap` bundles
//!   (`../shared/tools/clap-validator`, skipped with a message when absent) and every test of the
//!   workspace against them.
//! - anything else is passed to `nice_plug_xtask` (e.g. `bundle <package> --release`).

use anyhow::{Context, Result, bail};
use lathe_identity::Identity;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The suite, from the one identity table (package, bundle name, short name, editor size).
const PLUGINS: [&Identity; 4] = lathe_identity::ALL;

/// The editor's size at `scale`, pixels: its design size, or `size` (points at 100 %).
fn editor_size(identity: &Identity, size: Option<(u32, u32)>, scale: f64) -> (u32, u32) {
    let (width, height) = size.unwrap_or(identity.editor_size);
    (
        (width as f64 * scale).round() as u32,
        (height as f64 * scale).round() as u32,
    )
}

/// That size as an ImageMagick crop geometry.
fn editor_geometry(identity: &Identity, size: Option<(u32, u32)>, scale: f64) -> String {
    let (width, height) = editor_size(identity, size, scale);
    format!("{width}x{height}+0+0")
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(command) = args.next() else {
        print_usage();
        bail!("missing command");
    };
    let rest: Vec<String> = args.collect();
    nice_plug_xtask::chdir_workspace_root()?;
    match command.as_str() {
        "bundle-all" => bundle_all(&rest),
        "install" => install(),
        "uninstall" => uninstall(),
        "screenshot" => screenshot(&rest),
        "test" => test(&rest),
        "help" | "--help" | "-h" => {
            print_usage();
            Ok(())
        }
        _ => nice_plug_xtask::main_with_args("cargo xtask", std::iter::once(command).chain(rest)),
    }
}

fn print_usage() {
    eprintln!(
        "Usage:
  cargo xtask bundle-all [--release]      build all plugins as .clap and .vst3 into target/bundled/
  cargo xtask install                     copy the bundles to ~/.clap and ~/.vst3
  cargo xtask uninstall                   remove them from ~/.clap and ~/.vst3
  cargo xtask screenshot PLUGIN [OUT.png] [--scale S] [--size WxH]
                                          PNG of a plugin's editor at S (0.75-2, default 1)
                                          times its size (needs xvfb, imagemagick,
                                          libasound2-dev, libjack-jackd2-dev); PLUGIN is one of
                                          channel-strip, bus-compressor, limiter, reference
  cargo xtask test                        bundle in release, then run the whole test suite
  cargo xtask <anything else>             passed to nice-plug's xtask (e.g. bundle <pkg> --release)"
    );
}

fn bundle_all(extra: &[String]) -> Result<()> {
    let mut args = vec!["bundle".to_owned()];
    for plugin in PLUGINS {
        args.push("-p".to_owned());
        args.push(plugin.package.to_owned());
    }
    // The shipped reference plugin has the native file dialog; the test builds leave it (and
    // its D-Bus stack) out, which keeps the test suite's compile time down.
    args.push("--features".to_owned());
    args.push("lathe-reference/file-dialog".to_owned());
    args.extend(extra.iter().cloned());
    nice_plug_xtask::main_with_args("cargo xtask", args)
}

/// Cargo's target directory (xtask runs from the workspace root).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
}

fn bundled_dir() -> PathBuf {
    target_dir().join("bundled")
}

fn home() -> Result<PathBuf> {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .context("HOME is not set")
}

fn install() -> Result<()> {
    let bundled = bundled_dir();
    let home = home()?;
    for Identity { name, .. } in PLUGINS {
        for (ext, dest) in [("clap", ".clap"), ("vst3", ".vst3")] {
            let src = bundled.join(format!("{name}.{ext}"));
            if !src.exists() {
                bail!(
                    "{} is missing: run `cargo xtask bundle-all --release` first",
                    src.display()
                );
            }
            let dest_dir = home.join(dest);
            std::fs::create_dir_all(&dest_dir)?;
            let dst = dest_dir.join(format!("{name}.{ext}"));
            remove_path(&dst)?;
            copy_recursively(&src, &dst)?;
            println!("installed {}", dst.display());
        }
    }
    Ok(())
}

fn uninstall() -> Result<()> {
    let home = home()?;
    for Identity { name, .. } in PLUGINS {
        for (ext, dest) in [("clap", ".clap"), ("vst3", ".vst3")] {
            let dst = home.join(dest).join(format!("{name}.{ext}"));
            if dst.exists() {
                remove_path(&dst)?;
                println!("removed {}", dst.display());
            }
        }
    }
    Ok(())
}

fn remove_path(path: &Path) -> Result<()> {
    if path.is_dir() {
        std::fs::remove_dir_all(path)?;
    } else if path.exists() {
        std::fs::remove_file(path)?;
    }
    Ok(())
}

fn copy_recursively(src: &Path, dst: &Path) -> Result<()> {
    if src.is_dir() {
        std::fs::create_dir_all(dst)?;
        for entry in std::fs::read_dir(src)? {
            let entry = entry?;
            copy_recursively(&entry.path(), &dst.join(entry.file_name()))?;
        }
    } else {
        std::fs::copy(src, dst)
            .with_context(|| format!("copying {} to {}", src.display(), dst.display()))?;
    }
    Ok(())
}

fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("could not run {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

/// Where the CLAP project's validator is kept, beside the checkout (see ../shared/tools/README.md).
const CLAP_VALIDATOR: &str = "../shared/tools/clap-validator";

/// clap-validator's one timing test: it times 50 blocks of normal input against 50 of
/// denormal input in one process and warns above a 2x ratio. A few milliseconds each, so any
/// other process taking the core for a moment (the validator runs its other tests in parallel)
/// can double one side. It runs apart from the rest, alone, and up to three times.
const TIMING_TEST: &str = "process-audio-denormals";

/// Plugins whose [`TIMING_TEST`] warning is the validator's own cost, not the plugin's: the
/// test's timed region includes the validator filling every input channel with subnormal
/// noise (`random_range(-MIN_POSITIVE..MIN_POSITIVE)`, a subnormal multiply per sample without
/// flush-to-zero), 2.2-2.4 ms per two channels for its 50 blocks of 512 on this machine
/// against 0.1 ms for white noise. The Bus Compressor has four input channels (main and
/// sidechain) and processes 50 blocks in about 1.5 ms, so the ratio reads 1.6-4.4x whatever
/// it does with the samples (it runs under FTZ/DAZ like the others; its criterion benchmark
/// `*_denormal_input` costs what normal input costs). Its warning is printed, not fatal.
const FILL_BOUND: &[&str] = &["Lathe Bus Compressor"];

/// Runs clap-validator on a bundle with extra arguments and returns its `--json` results.
fn validator_results(bundle: &Path, args: &[&str]) -> Result<Vec<serde_json::Value>> {
    let output = Command::new(CLAP_VALIDATOR)
        .arg("validate")
        .arg("--json")
        .args(args)
        .arg(bundle)
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("could not run {CLAP_VALIDATOR}"))?;
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).with_context(|| {
        format!(
            "{CLAP_VALIDATOR} on {} printed no JSON report (exit status {})",
            bundle.display(),
            output.status
        )
    })?;
    report["results"]
        .as_array()
        .cloned()
        .context("clap-validator's report has no results list")
}

/// A result's status code and its test's name.
fn status_and_test(result: &serde_json::Value) -> (&str, &str) {
    let code = result["status"]["code"].as_str().unwrap_or("missing");
    // {"plugin-instance": {"test": NAME, ...}} or {"plugin-library": {...}}
    let test = result["test"]
        .as_object()
        .and_then(|kind| kind.values().next())
        .and_then(|t| t["test"].as_str())
        .unwrap_or("?");
    (code, test)
}

/// Runs clap-validator on every `.clap` bundle and reads its `--json` report ([`TIMING_TEST`]
/// apart, see there). Returns one line per plugin; `Err` lists every failed test and warning.
/// A missing validator is not an error: the caller prints why it was skipped.
fn validate_clap_bundles() -> Result<Option<Vec<String>>> {
    if !Path::new(CLAP_VALIDATOR).is_file() {
        return Ok(None);
    }
    let mut summary = Vec::new();
    let mut problems = Vec::new();
    for Identity { name, .. } in PLUGINS {
        let bundle = bundled_dir().join(format!("{name}.clap"));
        let mut results = validator_results(&bundle, &["-x", TIMING_TEST])?;
        let mut timing = Vec::new();
        for _attempt in 0..3 {
            timing = validator_results(&bundle, &["-t", TIMING_TEST])?;
            if timing.iter().all(|r| status_and_test(r).0 != "warning") {
                break;
            }
        }
        results.extend(timing);
        let (mut passed, mut skipped, mut failed, mut warnings, mut known) = (0, 0, 0, 0, 0);
        for result in &results {
            match status_and_test(result) {
                ("success", _) => passed += 1,
                ("skipped", _) => skipped += 1,
                (code, test) => {
                    let details = result["status"]["details"].as_str().unwrap_or("");
                    let line = format!("{name}: {test} {code}: {}", details.replace('\n', " / "));
                    if code == "warning" && test == TIMING_TEST && FILL_BOUND.contains(name) {
                        // Known: the validator's own subnormal generation (see FILL_BOUND).
                        println!("{line} (the validator's subnormal fill of 4 input channels)");
                        known += 1;
                        continue;
                    }
                    if code == "warning" {
                        warnings += 1;
                    } else {
                        failed += 1;
                    }
                    problems.push(line);
                }
            }
        }
        let known = if known > 0 {
            format!(", {known} known validator warning")
        } else {
            String::new()
        };
        summary.push(format!(
            "{name}: {} tests, {passed} passed, {failed} failed, {warnings} warnings, {skipped} skipped{known}",
            results.len()
        ));
    }
    if problems.is_empty() {
        Ok(Some(summary))
    } else {
        bail!(
            "clap-validator found problems:\n  {}\n{}",
            problems.join("\n  "),
            summary.join("\n")
        )
    }
}

fn test(extra: &[String]) -> Result<()> {
    // The shipped bundles, which the conformance suite loads.
    bundle_all(&["--release".to_owned()])?;
    // The CLAP project's own validator on the shipped bundles. Its verdict is reported after the
    // test suite, so one run shows everything.
    let validation = validate_clap_bundles();
    match &validation {
        Ok(Some(summary)) => {
            for line in summary {
                println!("clap-validator: {line}");
            }
        }
        Ok(None) => println!(
            "clap-validator skipped: {CLAP_VALIDATOR} not found (it ships with ../shared, see \
             ../shared/tools/README.md)"
        ),
        Err(_) => {}
    }
    // Everything else in one debug build: the tests, and plugin libraries built with nice-plug's
    // `assert_process_allocs` (abort on any allocation in `process`) for tests/realtime.rs. One
    // cargo invocation with one feature set resolves the dependencies once; separate builds
    // with different features would compile many of them twice.
    let features: Vec<String> = PLUGINS
        .iter()
        .map(|plugin| format!("{}/assert_process_allocs", plugin.package))
        .collect();
    let cargo = |command: &str| {
        let mut c = Command::new("cargo");
        c.args([command, "--workspace", "--features", &features.join(",")]);
        c
    };
    // --all-targets resolves features with the dev-dependencies, exactly as `cargo test` does,
    // and --profile test builds every library with the test profile's settings, so the test
    // run below reuses this build (nothing is compiled twice); and unlike `cargo test --no-run`
    // it also builds the plugin libraries themselves (their test harness is off). The test
    // profile writes to target/debug like the dev profile.
    run(cargo("build").args(["--all-targets", "--profile", "test"]))?;
    // Keep the checked libraries apart: any later debug build of the plugins without the
    // feature would overwrite target/debug/lib*.so, and the realtime test would prove nothing.
    let target = target_dir();
    let checked = target.join("alloc-checked");
    std::fs::create_dir_all(&checked)?;
    for plugin in PLUGINS {
        let lib = format!("lib{}.so", plugin.library_name());
        std::fs::copy(target.join("debug").join(&lib), checked.join(&lib))
            .with_context(|| format!("copying {lib}"))?;
    }
    let tests = run(cargo("test").args(extra));
    match check_scaled_screenshot().and_then(|shot| {
        Ok(match shot {
            Some(line) => Some(format!(
                "{line}; {}; {}",
                check_resized_screenshot()?,
                check_narrow_screenshot()?
            )),
            None => None,
        })
    }) {
        Ok(Some(line)) => println!("screenshot: {line}"),
        Ok(None) => println!(
            "screenshot at 150 % skipped: needs Xvfb, ImageMagick and the standalone build's \
             libraries (xvfb imagemagick libasound2-dev libjack-jackd2-dev)"
        ),
        Err(e) => {
            validation?;
            tests?;
            return Err(e.context("the editor at 150 %"));
        }
    }
    validation?;
    tests
}

/// The editor at 150 % under Xvfb (issue #22), where the screenshot tools and the standalone
/// build's libraries are installed: the window really is 1.5 times the editor's size (its
/// bottom-right corner, outside a 100 % window, holds the editor's background colour).
fn check_scaled_screenshot() -> Result<Option<String>> {
    let have = |cmd: &str| {
        Command::new("sh")
            .args(["-c", cmd])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !(have("command -v Xvfb")
        && have("command -v import")
        && have("pkg-config --exists alsa jack"))
    {
        return Ok(None);
    }
    let out = target_dir().join("screenshot-150.png");
    let plugin = &lathe_identity::LIMITER;
    screenshot(&[
        plugin.short.to_owned(),
        out.display().to_string(),
        "--scale".to_owned(),
        "1.5".to_owned(),
    ])?;
    let (w, h) = editor_size(plugin, None, 1.5);
    // The editor's background (lathe_ui::BACKGROUND, 0x1c1e22).
    let corner = probe(&out, w - 4, h - 4)?;
    if corner != "srgb(28,30,34)" {
        bail!("{w}x{h} wanted; the corner reads {corner}, not the editor's background");
    }
    Ok(Some(format!("{} at 150 % is {w}x{h}", plugin.name)))
}

/// The Bus Compressor in a window 800 points wide (80 % of its design width): its knob rows
/// wrap instead of running off the window's edge. The slot the band row's last knob (Makeup)
/// takes at the design size holds only the editor's background: the knob moved to a new line.
fn check_narrow_screenshot() -> Result<String> {
    let plugin = &lathe_identity::BUS_COMPRESSOR;
    let (w, h) = plugin.editor_size;
    let size = ((w as f32 * 0.8) as u32, h);
    let out = shoot_at_size(plugin, size, "screenshot-narrow.png")?;
    // The share of pixels in that slot that are not the background (0x1c1e22).
    let o = Command::new("convert")
        .arg(&out)
        .args([
            "-crop",
            "60x70+735+505",
            // The scroll area's faint fade at the bottom edge is not a knob.
            "-fuzz",
            "4%",
            "-fill",
            "black",
            "-opaque",
            "srgb(28,30,34)",
            "-fill",
            "white",
            "+opaque",
            "black",
            "-format",
            "%[fx:mean]",
            "info:",
        ])
        .output()
        .context("running ImageMagick's convert")?;
    let drawn: f64 = String::from_utf8_lossy(&o.stdout)
        .trim()
        .parse()
        .context("reading ImageMagick's mean")?;
    if drawn > 0.001 {
        bail!(
            "{:.1} % of the band row's end at {}x{} is drawn: its knobs did not wrap",
            drawn * 100.0,
            size.0,
            size.1
        );
    }
    Ok(format!(
        "{} at {}x{} wraps its knob rows",
        plugin.name, size.0, size.1
    ))
}

/// `plugin`'s editor in a window of `size` points, shot to `file` in the target folder.
fn shoot_at_size(plugin: &Identity, size: (u32, u32), file: &str) -> Result<PathBuf> {
    let out = target_dir().join(file);
    screenshot(&[
        plugin.short.to_owned(),
        out.display().to_string(),
        "--size".to_owned(),
        format!("{}x{}", size.0, size.1),
    ])?;
    Ok(out)
}

/// One pixel of a PNG as ImageMagick prints it (`srgb(28,30,34)`).
fn probe(image: &Path, x: u32, y: u32) -> Result<String> {
    let o = Command::new("convert")
        .arg(image)
        .args(["-format", &format!("%[pixel:p{{{x},{y}}}]"), "info:"])
        .output()
        .context("running ImageMagick's convert")?;
    Ok(String::from_utf8_lossy(&o.stdout).trim().to_owned())
}

/// The Channel Strip in a window 300 x 150 points larger than its design size: the EQ display
/// takes the room (its plot background, grey 24, reaches where the meters stood at the design
/// size), so the layout follows the window instead of sitting in its top-left corner.
fn check_resized_screenshot() -> Result<String> {
    let plugin = &lathe_identity::CHANNEL_STRIP;
    let (w, h) = plugin.editor_size;
    let size = (w + 300, h + 150);
    let out = shoot_at_size(plugin, size, "screenshot-resized.png")?;
    // At the design size the display ends near x = 800; these points lie past it, in the
    // upper third of the grown display (away from the 0 dB line and the spectra).
    let y = 200;
    let mut plot = 0;
    for x in [880, 930, 975, 1020, 1060] {
        let pixel = probe(&out, x, y)?;
        if pixel == "srgb(28,30,34)" {
            bail!("({x}, {y}) holds the editor's background: the EQ display did not grow");
        }
        plot += usize::from(pixel == "srgb(24,24,24)");
    }
    if plot == 0 {
        bail!("no plot background at y = {y} past x = 880: the EQ display did not grow");
    }
    Ok(format!(
        "{} at {}x{} grows its EQ display",
        plugin.name, size.0, size.1
    ))
}

fn screenshot(args: &[String]) -> Result<()> {
    let mut args = args.to_vec();
    let scale = match args.iter().position(|a| a == "--scale") {
        Some(i) => {
            let value = args
                .get(i + 1)
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|s| (0.75..=2.0).contains(s))
                .ok_or_else(|| anyhow::anyhow!("--scale takes 0.75 to 2 (1.5 = 150 %)"))?;
            args.drain(i..i + 2);
            value
        }
        None => 1.0,
    };
    let size = match args.iter().position(|a| a == "--size") {
        Some(i) => {
            let value = args
                .get(i + 1)
                .and_then(|v| {
                    let (w, h) = v.split_once('x')?;
                    Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?))
                })
                .filter(|(w, h)| *w > 0 && *h > 0)
                .ok_or_else(|| anyhow::anyhow!("--size takes WIDTHxHEIGHT in points (1300x730)"))?;
            args.drain(i..i + 2);
            Some(value)
        }
        None => None,
    };
    let Some(short) = args.first() else {
        bail!("usage: cargo xtask screenshot PLUGIN [OUT.png] [--scale S] [--size WxH]");
    };
    let Some(plugin) = lathe_identity::find(short) else {
        bail!("unknown plugin '{short}'");
    };
    let out = args
        .get(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(format!("docs/screenshots/{}.png", plugin.short)));
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    for tool in ["Xvfb", "import"] {
        if Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .stdout(Stdio::null())
            .status()
            .map(|s| !s.success())
            .unwrap_or(true)
        {
            bail!(
                "`{tool}` not found: install the packages xvfb and imagemagick (and \
                 libasound2-dev libjack-jackd2-dev for the standalone build)"
            );
        }
    }
    let package = plugin.package;
    let bin = format!("{package}-standalone");
    // As shipped: the reference plugin with its file dialog.
    let features = if package == lathe_identity::REFERENCE.package {
        "standalone,file-dialog"
    } else {
        "standalone"
    };
    run(Command::new("cargo").args([
        "build",
        "--release",
        "-p",
        package,
        "--features",
        features,
        "--bin",
        &bin,
    ]))?;
    let exe = target_dir().join("release").join(&bin);

    let display = ":87";
    let mut xvfb = Command::new("Xvfb")
        // Larger than the editor, so the pointer (centred by Xvfb) does not hover over it and
        // raise a tooltip; the shot is cropped to the editor at the top-left corner.
        .args([display, "-screen", "0", "2400x1600x24", "-nolisten", "tcp"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting Xvfb")?;
    std::thread::sleep(Duration::from_secs(1));
    // A preferences folder of its own: the shot does not depend on (or change) the user's
    // default scale and sizes.
    let config = target_dir().join("screenshot-config");
    let _ = std::fs::remove_dir_all(&config);
    let result = (|| -> Result<()> {
        let mut app = Command::new(&exe)
            .env("XDG_CONFIG_HOME", &config)
            .args(["--backend", "dummy"])
            .env("DISPLAY", display)
            // Lathe Reference's standalone build shows synthetic references and mix for this.
            .env("LATHE_REFERENCE_DEMO", "1")
            // Lathe Bus Compressor's shows a synthetic mix through a multiband preset.
            .env("LATHE_BUS_DEMO", "1")
            .env("LATHE_EDITOR_SCALE", scale.to_string())
            .envs(size.map(|(w, h)| ("LATHE_EDITOR_SIZE", format!("{w}x{h}"))))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", exe.display()))?;
        std::thread::sleep(Duration::from_secs(4));
        let shot = run(Command::new("import")
            .args([
                "-display",
                display,
                "-window",
                "root",
                "-crop",
                &editor_geometry(plugin, size, scale),
            ])
            .arg(&out));
        let _ = app.kill();
        let _ = app.wait();
        shot
    })();
    let _ = xvfb.kill();
    let _ = xvfb.wait();
    result?;
    println!("wrote {}", out.display());
    Ok(())
}
