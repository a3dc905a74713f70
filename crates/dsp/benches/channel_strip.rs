//! Lathe Channel Strip's whole chain (`ChannelStrip`): 10 s of stereo 48 kHz programme in host
//! blocks of 512. "full" is the case: every module on (filters, four EQ bands with gain,
//! gate, compressor, de-esser, saturator at 2x, width and pan); the others show what single
//! modules cost (the imager with its widths moved, and with bass mono; the filters and EQ in
//! linear phase). Throughput is per stereo frame; the figures go to BENCHMARKS.md.

use criterion::{Criterion, criterion_group, criterion_main};
use lathe_dsp::chains::channel_strip::{ChannelStripCore, ChannelStripSettings};
use lathe_dsp::color::saturator::SaturatorOversampling;
use lathe_dsp::filters::design::Slope;

#[path = "../tests/dsp/common/mod.rs"]
mod common;
mod support;

fn full(oversampling: SaturatorOversampling) -> ChannelStripSettings {
    let mut s = ChannelStripSettings::default();
    s.highpass.enabled = true;
    s.highpass.freq_hz = 80.0;
    s.highpass.slope = Slope::Db18;
    s.lowpass.enabled = true;
    s.lowpass.freq_hz = 16_000.0;
    for (band, gain) in s.eq.bands.iter_mut().zip([2.0, -3.0, 1.5, 3.0, 0.0]) {
        band.gain_db = gain;
    }
    s.gate_enabled = true;
    s.gate.threshold_db = -60.0;
    s.compressor_enabled = true;
    s.compressor.threshold_db = -24.0;
    s.compressor.ratio = 4.0;
    s.compressor.sidechain_hpf_hz = 80.0;
    s.deesser_enabled = true;
    s.saturator_enabled = true;
    s.saturator.oversampling = oversampling;
    s.stereo.width = 1.3;
    s.stereo.pan = 0.1;
    s
}

fn bench(c: &mut Criterion) {
    let (signal, mut group) = support::programme_group(c, "channel_strip_10s_stereo_48k");
    let eq_only = {
        let mut s = full(SaturatorOversampling::Off);
        s.gate_enabled = false;
        s.compressor_enabled = false;
        s.deesser_enabled = false;
        s.saturator_enabled = false;
        s.stereo = Default::default();
        s
    };
    // The same EQ with two bands on the side and one on the mid: the cascade in mid/side.
    let eq_mid_side = {
        let mut s = eq_only;
        s.eq.channels[1] = lathe_dsp::filters::eq::EqChannel::Mid;
        s.eq.channels[3] = lathe_dsp::filters::eq::EqChannel::Side;
        s.eq.channels[4] = lathe_dsp::filters::eq::EqChannel::Side;
        s.eq.bands[4].gain_db = 1.5;
        s
    };
    // The same in linear phase (issue #19: at most 1.5x x42 fil4's CPU).
    let linear = |mut s: ChannelStripSettings| {
        s.eq_phase = lathe_dsp::chains::channel_strip::EqPhase::Linear;
        s
    };
    let compressor_only = {
        let mut s = ChannelStripSettings {
            eq_enabled: false,
            ..Default::default()
        };
        s.compressor_enabled = true;
        s.compressor.threshold_db = -24.0;
        s
    };
    // One module alone (with the full strip's settings for it), to see where the time goes.
    let only = |module: fn(&mut ChannelStripSettings)| {
        let mut s = ChannelStripSettings {
            eq_enabled: false,
            ..Default::default()
        };
        module(&mut s);
        s
    };
    let gate_only = only(|s| {
        s.gate_enabled = true;
        s.gate.threshold_db = -60.0;
    });
    let deesser_only = only(|s| s.deesser_enabled = true);
    let saturator_only = only(|s| {
        s.saturator_enabled = true;
        s.saturator.oversampling = SaturatorOversampling::X2;
    });
    // The imager with every band's width moved (issue #19: at most 15 ns per stereo frame),
    // and with bass mono as well.
    let imager_only = only(|s| {
        s.imager_enabled = true;
        s.imager.width_low = 0.7;
        s.imager.width_mid = 1.1;
        s.imager.width_high = 1.3;
    });
    let imager_bass_mono = only(|s| {
        s.imager_enabled = true;
        s.imager.width_low = 0.7;
        s.imager.width_high = 1.3;
        s.imager.bass_mono = true;
    });
    support::bench_core::<ChannelStripCore>(
        &mut group,
        "full_sat2x_denormal_input",
        full(SaturatorOversampling::X2),
        &support::subnormal(&signal),
    );
    let cases = [
        ("full_sat2x", full(SaturatorOversampling::X2)),
        ("full_sat4x", full(SaturatorOversampling::X4)),
        ("full_sat_off", full(SaturatorOversampling::Off)),
        ("filters_and_eq", eq_only),
        ("filters_and_eq_mid_side", eq_mid_side),
        ("filters_and_eq_linear", linear(eq_only)),
        ("filters_and_eq_mid_side_linear", linear(eq_mid_side)),
        ("compressor_only", compressor_only),
        ("gate_only", gate_only),
        ("deesser_only", deesser_only),
        ("saturator_2x_only", saturator_only),
        ("imager_only", imager_only),
        ("imager_bass_mono", imager_bass_mono),
        ("default_transparent", ChannelStripSettings::default()),
    ];
    for (name, core) in cases {
        support::bench_core::<ChannelStripCore>(&mut group, name, core, &signal);
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
