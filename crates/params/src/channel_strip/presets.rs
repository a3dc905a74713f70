//! Factory presets: starting points for common sources. A preset sets every processing
//! parameter (not the input/output trims or bypass) through the host, as one undoable gesture
//! per parameter.

use super::{
    BandParams, ChannelStripParams, CharacterChoice, DetectionChoice, KEY_HPF_OFF_HZ,
    KEY_LPF_OFF_HZ, PassParams, SC_HPF_OFF_HZ, SlopeChoice,
};
use crate::preset::{self, Target, target};
use lathe_dsp::chains::channel_strip::ChannelStripSettings;
use lathe_dsp::color::saturator::{Character, SaturatorOversampling};
use lathe_dsp::dynamics::Detection;
use lathe_dsp::filters::design::Slope;
use lathe_dsp::filters::eq::{BandSettings, PassSettings};
use nice_plug::prelude::*;

/// A factory preset.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    /// Name shown in the editor.
    pub name: &'static str,
    /// What it is for.
    pub description: &'static str,
    /// The strip settings it stands for.
    pub settings: fn() -> ChannelStripSettings,
}

fn band(freq_hz: f32, gain_db: f32, q: f32) -> BandSettings {
    BandSettings {
        enabled: true,
        freq_hz,
        gain_db,
        q,
    }
}

fn pass(freq_hz: f32, slope: Slope) -> PassSettings {
    PassSettings {
        enabled: true,
        freq_hz,
        slope,
        q: std::f32::consts::FRAC_1_SQRT_2,
    }
}

fn vocal() -> ChannelStripSettings {
    let mut s = ChannelStripSettings {
        highpass: pass(90.0, Slope::Db18),
        compressor_enabled: true,
        deesser_enabled: true,
        ..Default::default()
    };
    s.eq.bands = [
        band(120.0, -1.5, 0.7),
        band(300.0, -2.0, 1.2),
        band(3000.0, 1.5, 1.0),
        band(5000.0, 0.0, 1.0),
        band(10_000.0, 3.0, 0.7),
    ];
    s.compressor.threshold_db = -22.0;
    s.compressor.ratio = 3.0;
    s.compressor.knee_db = 6.0;
    s.compressor.attack_ms = 5.0;
    s.compressor.release_ms = 120.0;
    s.compressor.detection = Detection::Rms;
    s.compressor.auto_makeup = true;
    s.deesser.freq_hz = 6500.0;
    s.deesser.threshold_db = -30.0;
    s.deesser.range_db = 8.0;
    s
}

fn kick() -> ChannelStripSettings {
    let mut s = ChannelStripSettings {
        highpass: pass(30.0, Slope::Db24),
        gate_enabled: true,
        compressor_enabled: true,
        ..Default::default()
    };
    s.eq.bands = [
        band(60.0, 3.0, 0.8),
        band(350.0, -4.0, 1.5),
        band(1500.0, 0.0, 1.0),
        band(4000.0, 3.0, 1.2),
        band(10_000.0, -2.0, 0.7),
    ];
    s.gate.threshold_db = -30.0;
    s.gate.range_db = 30.0;
    s.gate.attack_ms = 0.1;
    s.gate.hold_ms = 40.0;
    s.gate.release_ms = 120.0;
    s.compressor.threshold_db = -16.0;
    s.compressor.ratio = 4.0;
    s.compressor.knee_db = 3.0;
    s.compressor.attack_ms = 15.0;
    s.compressor.release_ms = 80.0;
    s.compressor.auto_makeup = true;
    s
}

fn snare() -> ChannelStripSettings {
    let mut s = ChannelStripSettings {
        highpass: pass(80.0, Slope::Db18),
        gate_enabled: true,
        compressor_enabled: true,
        saturator_enabled: true,
        ..Default::default()
    };
    s.eq.bands = [
        band(100.0, 0.0, 0.7),
        band(200.0, 2.5, 1.2),
        band(900.0, -3.0, 2.0),
        band(5000.0, 2.0, 1.0),
        band(12_000.0, 2.0, 0.7),
    ];
    s.gate.threshold_db = -28.0;
    s.gate.range_db = 20.0;
    s.gate.attack_ms = 0.1;
    s.gate.hold_ms = 30.0;
    s.gate.release_ms = 150.0;
    s.gate.key_hpf_hz = 150.0;
    s.compressor.threshold_db = -18.0;
    s.compressor.ratio = 4.0;
    s.compressor.attack_ms = 10.0;
    s.compressor.release_ms = 100.0;
    s.compressor.auto_makeup = true;
    s.saturator.character = Character::Tape;
    s.saturator.drive_db = 4.0;
    s.saturator.oversampling = SaturatorOversampling::X4;
    s
}

fn bass() -> ChannelStripSettings {
    let mut s = ChannelStripSettings {
        highpass: pass(35.0, Slope::Db24),
        compressor_enabled: true,
        saturator_enabled: true,
        ..Default::default()
    };
    s.eq.bands = [
        band(80.0, 2.0, 0.7),
        band(250.0, -2.5, 1.0),
        band(800.0, 1.5, 1.2),
        band(2500.0, 0.0, 1.0),
        band(6000.0, -3.0, 0.7),
    ];
    s.compressor.threshold_db = -20.0;
    s.compressor.ratio = 4.0;
    s.compressor.attack_ms = 20.0;
    s.compressor.release_ms = 150.0;
    s.compressor.detection = Detection::Rms;
    s.compressor.auto_makeup = true;
    s.saturator.character = Character::Tube;
    s.saturator.drive_db = 6.0;
    s.saturator.mix = 0.6;
    s
}

fn acoustic_guitar() -> ChannelStripSettings {
    let mut s = ChannelStripSettings {
        highpass: pass(80.0, Slope::Db12),
        compressor_enabled: true,
        ..Default::default()
    };
    s.eq.bands = [
        band(150.0, -2.0, 0.7),
        band(250.0, -2.0, 1.5),
        band(2500.0, 1.0, 1.0),
        band(5000.0, 0.0, 1.0),
        band(12_000.0, 2.5, 0.7),
    ];
    s.compressor.threshold_db = -20.0;
    s.compressor.ratio = 2.5;
    s.compressor.knee_db = 8.0;
    s.compressor.attack_ms = 15.0;
    s.compressor.release_ms = 200.0;
    s.compressor.detection = Detection::Rms;
    s.compressor.auto_makeup = true;
    s
}

fn bus() -> ChannelStripSettings {
    let mut s = ChannelStripSettings {
        highpass: pass(25.0, Slope::Db12),
        compressor_enabled: true,
        saturator_enabled: true,
        ..Default::default()
    };
    s.eq.bands = [
        band(60.0, 1.0, 0.7),
        band(300.0, -1.0, 0.8),
        band(1500.0, 0.0, 1.0),
        band(5000.0, 0.0, 1.0),
        band(12_000.0, 1.5, 0.7),
    ];
    s.compressor.threshold_db = -16.0;
    s.compressor.ratio = 2.0;
    s.compressor.knee_db = 10.0;
    s.compressor.attack_ms = 30.0;
    s.compressor.release_ms = 300.0;
    s.compressor.detection = Detection::Rms;
    s.compressor.auto_makeup = true;
    s.saturator.character = Character::Tape;
    s.saturator.drive_db = 3.0;
    s.saturator.mix = 0.5;
    s
}

/// The factory presets. "Init" restores the defaults.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "Init",
        description: "Everything off and flat",
        settings: ChannelStripSettings::default,
    },
    Preset {
        name: "Vocal",
        description: "Rumble off, mud down, air up, RMS compression, de-essed at 6.5 kHz",
        settings: vocal,
    },
    Preset {
        name: "Kick",
        description: "Sub and click up, box cut, gated, punchy compression",
        settings: kick,
    },
    Preset {
        name: "Snare",
        description: "Body and crack, ring cut, key-filtered gate, tape drive",
        settings: snare,
    },
    Preset {
        name: "Bass",
        description: "Tight low end, steady level, tube warmth in parallel",
        settings: bass,
    },
    Preset {
        name: "Acoustic Guitar",
        description: "Boom and mud down, sparkle up, gentle levelling",
        settings: acoustic_guitar,
    },
    Preset {
        name: "Bus",
        description: "Subsonic filter, broad tilt, 2:1 glue, light tape",
        settings: bus,
    },
];

/// Every processing parameter with the normalized value `s` gives it.
pub fn targets<'a>(p: &'a ChannelStripParams, s: &ChannelStripSettings) -> Vec<Target<'a>> {
    fn f<'a>(out: &mut Vec<Target<'a>>, p: &'a FloatParam, v: f32) {
        out.push(target(p, v));
    }
    fn b<'a>(out: &mut Vec<Target<'a>>, p: &'a BoolParam, v: bool) {
        out.push(target(p, v));
    }
    fn e<'a, T: Enum + PartialEq + 'static>(out: &mut Vec<Target<'a>>, p: &'a EnumParam<T>, v: T) {
        out.push(target(p, v));
    }
    fn pass<'a>(out: &mut Vec<Target<'a>>, p: &'a PassParams, s: &PassSettings) {
        b(out, &p.on, s.enabled);
        f(out, &p.freq, s.freq_hz);
        e(out, &p.slope, SlopeChoice::from(s.slope));
        f(out, &p.q, s.q);
    }
    fn band<'a>(out: &mut Vec<Target<'a>>, p: &'a BandParams, s: &BandSettings) {
        b(out, &p.on, s.enabled);
        f(out, &p.freq, s.freq_hz);
        f(out, &p.gain, s.gain_db);
        f(out, &p.q, s.q);
    }
    let off_or = |hz: f32, off: f32| if hz <= 0.0 { off } else { hz };
    let mut out = Vec::with_capacity(64);
    let o = &mut out;
    pass(o, &p.highpass, &s.highpass);
    pass(o, &p.lowpass, &s.lowpass);
    b(o, &p.eq_on, s.eq_enabled);
    for (bp, bs) in p.bands().into_iter().zip(&s.eq.bands) {
        band(o, bp, bs);
    }
    e(o, &p.order, s.order.into());
    let g = &s.gate;
    b(o, &p.gate.on, s.gate_enabled);
    f(o, &p.gate.threshold, g.threshold_db);
    f(o, &p.gate.range, g.range_db);
    f(o, &p.gate.attack, g.attack_ms);
    f(o, &p.gate.hold, g.hold_ms);
    f(o, &p.gate.release, g.release_ms);
    f(o, &p.gate.hysteresis, g.hysteresis_db);
    f(o, &p.gate.key_hpf, off_or(g.key_hpf_hz, KEY_HPF_OFF_HZ));
    f(o, &p.gate.key_lpf, off_or(g.key_lpf_hz, KEY_LPF_OFF_HZ));
    let c = &s.compressor;
    b(o, &p.comp.on, s.compressor_enabled);
    f(o, &p.comp.threshold, c.threshold_db);
    f(o, &p.comp.ratio, c.ratio);
    f(o, &p.comp.knee, c.knee_db);
    f(o, &p.comp.attack, c.attack_ms);
    f(o, &p.comp.release, c.release_ms);
    e(o, &p.comp.detection, DetectionChoice::from(c.detection));
    f(o, &p.comp.makeup, c.makeup_db);
    b(o, &p.comp.auto_makeup, c.auto_makeup);
    f(o, &p.comp.mix, c.mix * 100.0);
    f(o, &p.comp.sc_hpf, off_or(c.sidechain_hpf_hz, SC_HPF_OFF_HZ));
    f(o, &p.comp.link, c.link * 100.0);
    let d = &s.deesser;
    b(o, &p.deess.on, s.deesser_enabled);
    f(o, &p.deess.freq, d.freq_hz);
    f(o, &p.deess.threshold, d.threshold_db);
    f(o, &p.deess.range, d.range_db);
    b(o, &p.deess.listen, d.listen);
    let t = &s.saturator;
    b(o, &p.sat.on, s.saturator_enabled);
    e(o, &p.sat.character, CharacterChoice::from(t.character));
    f(o, &p.sat.drive, t.drive_db);
    f(o, &p.sat.mix, t.mix * 100.0);
    b(o, &p.sat.compensate, t.compensate);
    e(o, &p.sat.oversampling, t.oversampling.into());
    let st = &s.stereo;
    f(o, &p.stereo.width, st.width * 100.0);
    f(o, &p.stereo.pan, st.pan * 100.0);
    b(o, &p.stereo.invert_left, st.invert_left);
    b(o, &p.stereo.invert_right, st.invert_right);
    b(o, &p.stereo.mono, st.mono);
    out
}

impl Preset {
    /// Applies the preset through the host (trims and bypass stay as they are).
    pub fn apply(&self, params: &ChannelStripParams, setter: &ParamSetter) {
        preset::apply(&targets(params, &(self.settings)()), setter);
    }

    /// Whether the parameters currently hold this preset's values.
    pub fn is_active(&self, params: &ChannelStripParams) -> bool {
        preset::holds(&targets(params, &(self.settings)()))
    }
}
