//! Checks of what only one plugin has, through the host.

use super::*;
use crate::signals::noise_channels;
use crate::{Expected, TestHost};

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

/// nice-plug's state is JSON; its CLAP wrapper puts the length (u64 LE) in front. The JSON,
/// and whether it was framed.
pub fn unframe(bytes: &[u8]) -> (bool, serde_json::Value) {
    let framed = bytes.first() != Some(&b'{');
    let json = if framed { &bytes[8..] } else { bytes };
    (framed, serde_json::from_slice(json).expect("state is JSON"))
}

/// The state bytes of `state`, framed as [`unframe`] found them.
pub fn frame(framed: bool, state: &serde_json::Value) -> Vec<u8> {
    let json = serde_json::to_vec(state).unwrap();
    let mut out = Vec::new();
    if framed {
        out.extend_from_slice(&(json.len() as u64).to_le_bytes());
    }
    out.extend_from_slice(&json);
    out
}

/// A new instance from `make` with `state` (framed as `framed`) loaded, and the persisted fields
/// it saves then; `what` names the load in the message when the plugin refuses it.
pub fn reloaded<H: TestHost>(
    make: &dyn Fn() -> H,
    framed: bool,
    state: &serde_json::Value,
    what: &str,
    p: &Expected,
) -> (H, serde_json::Value) {
    let mut b = make();
    assert!(
        b.load_state(&frame(framed, state), usize::MAX),
        "{}: {what}",
        p.name
    );
    let (_, resaved) = unframe(&b.save_state().expect("re-save"));
    (b, resaved["fields"].clone())
}

/// The editor's A/B slots (the persisted `ab` field) survive a save and a load through the
/// host: a state whose slot B holds other values and is heard loads, saves again with the same
/// slots, and a state without the field (older projects) loads with slot A heard.
pub fn check_ab_slots_persist<H: TestHost>(make: &dyn Fn() -> H, p: &Expected) {
    let mut a = make();
    let (framed, mut state) = unframe(&a.save_state().expect("save"));
    let fields = state["fields"].as_object().expect("state fields");
    let default: serde_json::Value =
        serde_json::from_str(fields["ab"].as_str().expect("an ab field")).expect("ab is JSON");
    assert_eq!(
        default["b_active"], false,
        "{}: A is heard at first",
        p.name
    );
    let slots = serde_json::json!({
        "b_active": true,
        "other": { "output_gain": 0.25, "input_gain": 0.75 },
    });
    // Loads `state` into a new instance: the `ab` field it saves then.
    let round_trip = |state: &serde_json::Value, what: &str| -> serde_json::Value {
        let (_, fields) = reloaded(make, framed, state, what, p);
        serde_json::from_str(fields["ab"].as_str().expect("ab after load")).unwrap()
    };
    state["fields"]["ab"] = serde_json::Value::String(slots.to_string());
    let got = round_trip(&state, "load");
    assert_eq!(got, slots, "{}: the A/B slots did not survive", p.name);
    state["fields"].as_object_mut().unwrap().remove("ab");
    let got = round_trip(&state, "old state");
    assert_eq!(got["b_active"], false, "{}: an old project hears A", p.name);
}

/// The editor's scale and size (issue #22) are saved with the project and, once loaded, are
/// what the host is told before it opens the editor (the window it makes room for); the editor
/// is resizable; a size out of range is brought within 80-300 % of the design size.
pub fn check_editor_geometry_persists<H: TestHost>(make: &dyn Fn() -> H, p: &Expected) {
    let mut a = make();
    let (framed, mut state) = unframe(&a.save_state().expect("save"));
    let fields = state["fields"].as_object().expect("state fields");
    assert!(
        fields.contains_key("editor-scale"),
        "{}: no editor-scale",
        p.name
    );
    assert_eq!(
        fields.get("editor-size").and_then(|v| v.as_str()),
        Some("null"),
        "{}: a new instance has no size of its own",
        p.name
    );
    let (w, h) = p.editor_size;
    let (_, resizable) = a.editor_geometry().expect("an editor");
    assert!(resizable, "{}: the host may not resize the editor", p.name);
    let load = |scale: f32, size: serde_json::Value| -> ((u32, u32), serde_json::Value) {
        let mut state = state.clone();
        state["fields"]["editor-scale"] = serde_json::Value::String(scale.to_string());
        state["fields"]["editor-size"] = serde_json::Value::String(size.to_string());
        let (mut b, fields) = reloaded(make, framed, &state, "load", p);
        let (size, _) = b.editor_geometry().expect("an editor");
        (size, fields)
    };
    let wide = [w as f32 + 300.0, h as f32 + 120.0];
    let (size, saved) = load(1.5, serde_json::json!(wide));
    let expected = (
        (wide[0] * 1.5).round() as u32,
        (wide[1] * 1.5).round() as u32,
    );
    assert_eq!(
        size, expected,
        "{}: the saved scale and size, as the host sees them",
        p.name
    );
    assert_eq!(
        saved["editor-scale"], "1.5",
        "{}: scale after a round trip",
        p.name
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(saved["editor-size"].as_str().unwrap()).unwrap(),
        serde_json::json!(wide),
        "{}: size after a round trip",
        p.name
    );
    let (size, _) = load(1.0, serde_json::json!([1.0, 1.0e6]));
    let smallest = (
        (w as f32 * 0.8).round() as u32,
        (h as f32 * 3.0).round() as u32,
    );
    assert_eq!(
        size, smallest,
        "{}: an out-of-range size is clamped",
        p.name
    );
    state["fields"]
        .as_object_mut()
        .unwrap()
        .remove("editor-size");
    reloaded(make, framed, &state, "a state from before editor-size", p);
}

/// Lathe Reference: a project's references keep their analyses through save and load even when
/// the audio files are gone (the plugin then runs, marks the audio missing and saves the
/// analysis unchanged); a damaged analysis in a state is dropped without a crash; and linear
/// phase reports the match EQ's FIR latency (after the host restarts the plugin) with an impulse
/// and bypass that follow it. Returns the linear-phase latency.
pub fn check_reference_state_and_latency<H: TestHost>(make: &dyn Fn() -> H, p: &Expected) -> u32 {
    use lathe_dsp::analysis::reference::{analyze_stereo, shaped_noise};
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
    let refs =
        |v: &serde_json::Value| -> Vec<(u64, String, lathe_dsp::analysis::reference::Analysis)> {
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
    set_text(host, "Mid Freq", "1 kHz");
    set_text(host, "Mid Gain", "+6 dB");
    set_text(host, "Mid Q", "1");
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
    set_text(host, "Sat On", "On");
    set_text(host, "Sat Oversampling", "4x");
    set_text(host, "Sat Drive", "0");
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
    set_text(host, "Sidechain", "External");
    set_text(host, "Threshold", "-30");
    set_text(host, "Ratio", "4");
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
