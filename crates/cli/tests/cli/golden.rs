//! Golden output: every plugin chain, with its defaults and with each factory preset applied
//! through the plugin's own parameters, renders a fixed synthetic signal to the same bits as
//! recorded in `fixtures/golden-hashes.txt`. Restructuring (issue #17) must not change a single
//! sample; a deliberate change of sound re-records the file with `LATHE_BLESS_GOLDEN=1` and
//! says why in its commit.

use lathe_dsp::analysis::match_eq::MatchPhase;
use lathe_dsp::analysis::reference::{analyze_stereo, shaped_noise};
use lathe_dsp::chains::reference::{MatchDesign, ReferenceCore, design_kernel};
use lathe_dsp::chains::{ChainSettings, Core};
use lathe_dsp::{Block, PluginChain};
use lathe_params::preset::{self, Target, target};
use std::collections::BTreeMap;
use std::path::PathBuf;

const SR: u32 = 48_000;

/// 3 s of stereo programme that works every stage: a bass line, a vocal-like harmonic tone
/// with sibilant noise bursts, drum-like transients, a loud passage over full scale, a quiet
/// tail and digital silence.
fn programme() -> [Vec<f32>; 2] {
    let n = 3 * SR as usize;
    let hiss = shaped_noise(
        n,
        SR as f64,
        11,
        0.05,
        |f| if f > 5000.0 { 6.0 } else { -30.0 },
    );
    let air = shaped_noise(n, SR as f64, 12, 0.03, |_| 0.0);
    let mut out = [vec![0.0f32; n], vec![0.0f32; n]];
    for i in 0..n {
        let t = i as f64 / SR as f64;
        let tau = std::f64::consts::TAU;
        let section = t / 3.0;
        let level = if section < 0.45 {
            0.5
        } else if section < 0.6 {
            1.6
        } else if section < 0.9 {
            0.05
        } else {
            0.0
        };
        let bass = 0.4 * (tau * 55.0 * t).sin();
        let voice: f64 = (1..6)
            .map(|k| (tau * 220.0 * k as f64 * t).sin() / k as f64)
            .sum::<f64>()
            * 0.2;
        let beat = (t * 4.0).fract();
        let kick = (-beat * 30.0).exp() * (tau * 60.0 * t).sin() * 0.8;
        let burst = if (t * 1.5).fract() < 0.15 { 1.0 } else { 0.0 };
        for (c, ch) in out.iter_mut().enumerate() {
            let side = if c == 0 { 1.0 } else { -1.0 };
            let x = bass
                + voice * (1.0 + 0.3 * side)
                + kick
                + burst * hiss[i] as f64
                + side * air[i] as f64;
            ch[i] = (level * x) as f32;
        }
    }
    out
}

/// FNV-1a over the bits of every sample, channel after channel.
fn hash(planar: &[Vec<f32>]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for ch in planar {
        for x in ch {
            for b in x.to_bits().to_le_bytes() {
                h ^= b as u64;
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
    }
    format!("{h:016x}")
}

/// Runs a chain over the programme in blocks of 512 (a sidechain of the left channel delayed
/// by 100 ms when `keyed`).
fn render<C: Core>(
    settings: &ChainSettings<C::Settings>,
    setup: impl FnOnce(&mut PluginChain<C>),
) -> String {
    let x = programme();
    let mut chain = PluginChain::<C>::new(2, SR as f64);
    chain.set_settings(settings);
    setup(&mut chain);
    chain.set_settings(settings);
    let mut y = x.clone();
    let n = y[0].len();
    for start in (0..n).step_by(512) {
        let end = (start + 512).min(n);
        let [l, r] = &mut y;
        let mut parts = [&mut l[start..end], &mut r[start..end]];
        chain.process(&mut parts);
    }
    hash(&y)
}

/// Writes parameter targets (as the editor's preset menu does, minus the host round trip).
fn apply(targets: &[Target]) {
    preset::apply_without_host(targets);
}

/// Records `plugin`'s defaults and each of its `presets` (`targets`: what a preset sets on fresh
/// parameters), rendered with the settings the parameters describe.
fn record_presets<P: Default, C: Core, Preset>(
    out: &mut BTreeMap<String, String>,
    plugin: &str,
    settings: impl Fn(&P) -> ChainSettings<C::Settings>,
    presets: &[Preset],
    name: impl Fn(&Preset) -> &str,
    targets: impl for<'a> Fn(&Preset, &'a P) -> Vec<Target<'a>>,
) {
    out.insert(
        format!("{plugin}/defaults"),
        render::<C>(&settings(&P::default()), |_| {}),
    );
    for preset in presets {
        let p = P::default();
        apply(&targets(preset, &p));
        out.insert(
            format!("{plugin}/{}", name(preset)),
            render::<C>(&settings(&p), |_| {}),
        );
    }
}

fn all_hashes() -> BTreeMap<String, String> {
    use lathe_dsp::chains::{
        bus_compressor::BusCompressorCore, channel_strip::ChannelStripCore, limiter::LimiterCore,
    };
    use lathe_params::{bus_compressor as bus, channel_strip as strip, limiter};
    let mut out = BTreeMap::new();
    record_presets::<limiter::LimiterParams, LimiterCore, _>(
        &mut out,
        "limiter",
        |p| p.settings(),
        limiter::PRESETS,
        |preset| preset.name,
        // With 6 dB of drive, so the limiter works.
        |preset, p| {
            let mut targets = preset.all_targets(p);
            targets.push(target(&p.io.input_gain, 6.0));
            targets
        },
    );
    record_presets::<strip::ChannelStripParams, ChannelStripCore, _>(
        &mut out,
        "channel-strip",
        |p| p.settings(),
        strip::PRESETS,
        |preset| preset.name,
        |preset, p| strip::targets(p, &(preset.settings)()),
    );
    record_presets::<bus::BusCompressorParams, BusCompressorCore, _>(
        &mut out,
        "bus-compressor",
        |p| p.settings(),
        bus::PRESETS,
        |preset| preset.name,
        |preset, p| preset.targets(p),
    );
    {
        use lathe_params::reference::ReferenceParams;
        let p = ReferenceParams::default();
        out.insert(
            "reference/defaults".into(),
            render::<ReferenceCore>(&p.settings(0.0, None), |_| {}),
        );
        // The match EQ on, towards a darker target, in both phases.
        let x = programme();
        let mix = analyze_stereo(SR as f64, &x[0], &x[1]).normalized_spectrum_db();
        let target: Vec<f32> = mix
            .iter()
            .enumerate()
            .map(|(i, v)| v - 4.0 * (i as f32 / mix.len() as f32 - 0.5))
            .collect();
        for (name, phase) in [
            ("linear", MatchPhase::Linear),
            ("minimum", MatchPhase::Minimum),
        ] {
            let mut s = p.settings(0.0, None);
            s.core.match_enabled = true;
            s.core.phase = phase;
            let design = MatchDesign {
                enabled: true,
                phase,
                ..Default::default()
            };
            let (message, _) = design_kernel(Some(&mix), Some(&target), &design, SR as f64);
            out.insert(
                format!("reference/match {name}"),
                render::<ReferenceCore>(&s, |chain| chain.core_mut().load_kernel(&message)),
            );
        }
    }
    out
}

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden-hashes.txt")
}

#[test]
fn every_chain_and_preset_renders_the_recorded_bits() {
    let got = all_hashes();
    let text: String = got.iter().map(|(k, v)| format!("{k}\t{v}\n")).collect();
    if std::env::var_os("LATHE_BLESS_GOLDEN").is_some() {
        std::fs::write(fixture(), &text).unwrap();
        return;
    }
    let recorded = std::fs::read_to_string(fixture()).expect("fixtures/golden-hashes.txt");
    let want: BTreeMap<String, String> = recorded
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let changed: Vec<String> = want
        .keys()
        .chain(got.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|k| want.get(*k) != got.get(*k))
        .map(|k| format!("{k}: recorded {:?}, now {:?}", want.get(k), got.get(k)))
        .collect();
    assert!(
        changed.is_empty(),
        "output changed:\n{}",
        changed.join("\n")
    );
    // Sanity: the cases really differ from one another (a broken harness hashing silence or
    // the input would give equal hashes).
    let distinct: std::collections::BTreeSet<&String> = got.values().collect();
    assert!(distinct.len() + 2 >= got.len(), "{got:#?}");
}
