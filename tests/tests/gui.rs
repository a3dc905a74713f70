//! The editors' windows through CLAP's `gui` extension, as a host opens, scales, resizes and
//! closes them (issue #22), on an X server of its own (Xvfb). Skips with one line without Xvfb.

use clack_extensions::gui::{GuiApiType, GuiConfiguration, GuiSize};
use lathe_conformance::battery::{reloaded, unframe};
use lathe_conformance::clap_host::ClapTestHost;
use lathe_conformance::{Expected, PLUGINS, TestHost};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Starts Xvfb on a free display it picks itself and points `DISPLAY` at it once it accepts
/// connections (it prints the display number then, `-displayfd`). The server outlives this
/// process by a moment: a shell stops it once the process has gone. Stopping it from the test
/// would pull the X server from under connections the plugins' libraries still hold (egui's
/// clipboard), and Xlib ends the process on a lost connection.
fn start_xvfb() -> bool {
    use std::io::BufRead;
    let script = "Xvfb -displayfd 1 -noreset -screen 0 3200x2400x24 -nolisten tcp 2>/dev/null & \
                  x=$!; while kill -0 \"$0\" 2>/dev/null; do sleep 0.2; done; kill $x; wait $x";
    let Ok(mut child) = Command::new("sh")
        .args(["-c", script, &std::process::id().to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    else {
        return false;
    };
    let Some(stdout) = child.stdout.take() else {
        return false;
    };
    let mut stdout = std::io::BufReader::new(stdout);
    let mut line = String::new();
    let display: Option<u32> = stdout
        .read_line(&mut line)
        .ok()
        .and_then(|_| line.trim().parse().ok());
    // The pipe stays open for the server's lifetime (a closed one would be a SIGPIPE).
    std::mem::forget(stdout);
    let Some(display) = display else {
        return false;
    };
    let config = std::env::temp_dir().join(format!("lathe-gui-test-{}", std::process::id()));
    // SAFETY: the only test in this binary, before any plugin (or thread) reads the variables.
    // The editors keep the user's default scale and sizes under XDG_CONFIG_HOME: a folder of
    // this run's own, so the test neither depends on nor changes the user's.
    unsafe {
        std::env::set_var("DISPLAY", format!(":{display}"));
        std::env::set_var("XDG_CONFIG_HOME", &config);
    }
    true
}

const EMBEDDED_X11: GuiConfiguration<'static> = GuiConfiguration {
    api_type: GuiApiType::X11,
    is_floating: false,
};

/// The size the editor reports, polled until it equals `want` (the window learns its new
/// size from the X server a moment later) or 5 s have passed.
fn settled_size(host: &mut ClapTestHost, want: (u32, u32)) -> (u32, u32) {
    let start = Instant::now();
    loop {
        let got = host
            .with_gui(|gui, plugin| gui.get_size(plugin))
            .flatten()
            .map(|s| (s.width, s.height))
            .expect("gui.get_size");
        if got == want || start.elapsed() > Duration::from_secs(5) {
            return got;
        }
        host.pump_main_thread();
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Asserts that the editor's size settles at `want` ([`settled_size`]).
fn assert_settles(host: &mut ClapTestHost, want: (u32, u32), what: &str, p: &Expected) {
    assert_eq!(settled_size(host, want), want, "{}: {what}", p.name);
}

fn open_resize_close(p: &Expected) {
    let mut host = ClapTestHost::for_plugin(p);
    let (w, h) = p.editor_size;
    let design = (w, h);
    host.with_gui(|gui, plugin| {
        assert!(
            gui.is_api_supported(plugin, EMBEDDED_X11),
            "{}: X11 embedding",
            p.name
        );
        gui.create(plugin, EMBEDDED_X11)
            .unwrap_or_else(|e| panic!("{}: gui.create: {e:?}", p.name));
        let hints = gui.get_resize_hints(plugin).expect("resize hints");
        assert!(
            hints.can_resize_horizontally && hints.can_resize_vertically,
            "{}: both axes resizable",
            p.name
        );
        // The host proposes sizes; the editor answers with the nearest it accepts.
        let tiny = gui
            .adjust_size(
                plugin,
                GuiSize {
                    width: 10,
                    height: 10,
                },
            )
            .expect("adjust_size");
        let huge = gui
            .adjust_size(
                plugin,
                GuiSize {
                    width: 100_000,
                    height: 100_000,
                },
            )
            .expect("adjust_size");
        let scaled = |f: f32| ((w as f32 * f).round() as u32, (h as f32 * f).round() as u32);
        assert_eq!(
            (tiny.width, tiny.height),
            scaled(0.8),
            "{}: smallest",
            p.name
        );
        assert_eq!(
            (huge.width, huge.height),
            scaled(3.0),
            "{}: largest",
            p.name
        );
        gui.show(plugin).expect("show");
    });
    assert_settles(&mut host, design, "opened", p);
    // The host resizes the window (a host-drawn handle): the editor takes the new size and
    // reports it back.
    let bigger = (w + 240, h + 130);
    host.with_gui(|gui, plugin| {
        gui.set_size(
            plugin,
            GuiSize {
                width: bigger.0,
                height: bigger.1,
            },
        )
        .unwrap_or_else(|e| panic!("{}: gui.set_size: {e:?}", p.name))
    });
    assert_settles(&mut host, bigger, "resized by the host", p);
    // The host resized it: the instance keeps the new size (in points at 100 %) from the
    // window's next frame on.
    let kept = serde_json::json!([bigger.0 as f32, bigger.1 as f32]);
    let start = Instant::now();
    let (framed, mut state) = loop {
        let (framed, state) = unframe(&host.save_state().expect("save"));
        let size: serde_json::Value =
            serde_json::from_str(state["fields"]["editor-size"].as_str().unwrap()).unwrap();
        if size == kept || start.elapsed() > Duration::from_secs(5) {
            assert_eq!(size, kept, "{}: size kept", p.name);
            break (framed, state);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    host.with_gui(|gui, plugin| gui.destroy(plugin));

    // A project saved at 125 % and 1100 x 640 points opens so, and stays so.
    state["fields"]["editor-scale"] = "1.25".into();
    state["fields"]["editor-size"] = "[1100.0,640.0]".into();
    let (mut project, _) = reloaded(
        &|| ClapTestHost::for_plugin(p),
        framed,
        &state,
        "the project",
        p,
    );
    project.with_gui(|gui, plugin| {
        gui.create(plugin, EMBEDDED_X11).expect("create");
        gui.show(plugin).expect("show");
    });
    let want = (1375, 800);
    assert_settles(&mut project, want, "the project's size", p);
    std::thread::sleep(Duration::from_millis(600));
    let (_, reopened) = unframe(&project.save_state().expect("save"));
    assert_eq!(
        reopened["fields"]["editor-scale"], "1.25",
        "{}: the project's scale held",
        p.name
    );
    assert_settles(&mut project, want, "and its size", p);
    project.with_gui(|gui, plugin| gui.destroy(plugin));
}

#[test]
fn editor_windows_open_resize_and_close() {
    let have_xvfb = Command::new("sh")
        .args(["-c", "command -v Xvfb"])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !have_xvfb {
        eprintln!("skipped: Xvfb is not installed (Debian package xvfb)");
        return;
    }
    assert!(start_xvfb(), "Xvfb did not start");
    for p in PLUGINS {
        open_resize_close(p);
    }
    // A new instance opens at the last size chosen (above): at a host scale of 2 as well.
    host_scale_is_followed(lathe_conformance::plugin("Lathe Limiter"));
    vst3_view_scales_and_resizes(lathe_conformance::plugin("Lathe Bus Compressor"));
    // The last size the host chose for each editor is the default for new instances.
    // Under the XDG_CONFIG_HOME `start_xvfb` set for this run.
    let prefs =
        std::path::PathBuf::from(std::env::var_os("XDG_CONFIG_HOME").expect("set")).join("lathe");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(prefs.join("editor.json")).unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(prefs.parent().unwrap());
    for p in PLUGINS {
        let (w, h) = p.editor_size;
        let short = p.clap_id.trim_start_matches("audio.lathe.");
        assert_eq!(
            saved["sizes"][short],
            serde_json::json!([(w + 240) as f32, (h + 130) as f32]),
            "{}: the default size for new instances",
            p.name
        );
    }
}

/// The host's scale (CLAP `gui.set_scale`, given after `create` and before it asks the size):
/// the window is that many times larger in pixels, on top of the editor's own scale; `p`'s
/// default size is the one `open_resize_close` left.
fn host_scale_is_followed(p: &Expected) {
    let mut host = ClapTestHost::for_plugin(p);
    let (w, h) = p.editor_size;
    host.with_gui(|gui, plugin| {
        gui.create(plugin, EMBEDDED_X11).expect("create");
        gui.set_scale(plugin, 2.0)
            .unwrap_or_else(|e| panic!("{}: gui.set_scale: {e:?}", p.name));
        gui.show(plugin).expect("show");
    });
    let want = ((w + 240) * 2, (h + 130) * 2);
    assert_settles(&mut host, want, "at a host scale of 2", p);
    host.with_gui(|gui, plugin| gui.destroy(plugin));
}

/// The root window of the X server's first screen, read from the connection setup (X11
/// protocol, chapter 8): the parent a test host embeds the VST3 view in.
fn x_root_window(display: &str) -> Option<u32> {
    use std::io::{Read, Write};
    let n = display.trim_start_matches(':');
    let mut x = std::os::unix::net::UnixStream::connect(format!("/tmp/.X11-unix/X{n}")).ok()?;
    // Little-endian, protocol 11.0, no authorisation.
    x.write_all(&[b'l', 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        .ok()?;
    let mut head = [0u8; 8];
    x.read_exact(&mut head).ok()?;
    if head[0] != 1 {
        return None;
    }
    let mut setup = vec![0u8; u16::from_le_bytes([head[6], head[7]]) as usize * 4];
    x.read_exact(&mut setup).ok()?;
    let vendor = u16::from_le_bytes([setup[16], setup[17]]) as usize;
    let formats = setup[21] as usize;
    let screen = 32 + vendor.div_ceil(4) * 4 + 8 * formats;
    let root = setup.get(screen..screen + 4)?;
    Some(u32::from_le_bytes(root.try_into().ok()?))
}

/// The VST3 view through `IPlugView` and `IPlugViewContentScaleSupport` (a host's content
/// scale, then a host resize with `onSize`), embedded in the root window.
fn vst3_view_scales_and_resizes(p: &Expected) {
    use vst3::Steinberg::{
        IPlugViewContentScaleSupport, IPlugViewContentScaleSupportTrait, IPlugViewTrait, ViewRect,
        kPlatformTypeX11EmbedWindowID, kResultOk,
    };
    let display = std::env::var("DISPLAY").expect("DISPLAY");
    let root = x_root_window(&display).expect("the X server's root window");
    let host = lathe_conformance::vst3_host::Vst3TestHost::for_plugin(p);
    let view = host.create_view().expect("a view");
    let (w, h) = p.editor_size;
    let size = |view: &vst3::ComPtr<vst3::Steinberg::IPlugView>| {
        let mut r = ViewRect {
            left: 0,
            top: 0,
            right: 0,
            bottom: 0,
        };
        // SAFETY: a live view.
        assert_eq!(unsafe { view.getSize(&mut r) }, kResultOk);
        ((r.right - r.left) as u32, (r.bottom - r.top) as u32)
    };
    let settle = |view: &vst3::ComPtr<vst3::Steinberg::IPlugView>, want: (u32, u32)| {
        let start = Instant::now();
        loop {
            let got = size(view);
            if got == want || start.elapsed() > Duration::from_secs(5) {
                return got;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let scale = view
        .cast::<IPlugViewContentScaleSupport>()
        .expect("content scale support");
    // SAFETY: live COM objects of the plugin's; the parent is the server's root window.
    unsafe {
        assert_eq!(scale.setContentScaleFactor(1.5), kResultOk, "{}", p.name);
        let attached = view.attached(root as usize as *mut _, kPlatformTypeX11EmbedWindowID);
        assert_eq!(attached, kResultOk, "{}: attached", p.name);
    }
    let scaled = (
        (w as f32 * 1.5).round() as u32,
        (h as f32 * 1.5).round() as u32,
    );
    // A new instance opens at the last size chosen: the CLAP checks above left the design
    // size plus 240 x 130 points.
    let (dw, dh) = (240.0 * 1.5, 130.0 * 1.5);
    let want = (scaled.0 + dw as u32, scaled.1 + dh as u32);
    assert_eq!(
        settle(&view, want),
        want,
        "{}: at a content scale of 1.5",
        p.name
    );
    let mut bigger = ViewRect {
        left: 0,
        top: 0,
        right: want.0 as i32 + 150,
        bottom: want.1 as i32 + 90,
    };
    // SAFETY: as above.
    unsafe {
        assert_eq!(view.onSize(&mut bigger), kResultOk, "{}: onSize", p.name);
    }
    let resized = (want.0 + 150, want.1 + 90);
    assert_eq!(
        settle(&view, resized),
        resized,
        "{}: resized by the host",
        p.name
    );
    // SAFETY: as above.
    unsafe {
        assert_eq!(view.removed(), kResultOk, "{}: removed", p.name);
    }
}
