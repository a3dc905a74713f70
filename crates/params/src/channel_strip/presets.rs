//! Factory presets: starting points for common sources. A preset sets every processing
//! parameter (not the input/output trims or bypass) through the host, as one undoable gesture
//! per parameter.

use super::{
    BandParams, ChannelStripParams, CharacterChoice, DetectionChoice, EqChannelChoice,
    KEY_HPF_OFF_HZ, KEY_LPF_OFF_HZ, PassParams, SC_HPF_OFF_HZ, SlopeChoice,
};
use crate::preset::{self, Target, target};
use lathe_dsp::chains::channel_strip::{ChannelStripSettings, EqPhase};
use lathe_dsp::color::imager::ImagerSettings;
use lathe_dsp::color::saturator::{Character, SaturatorOversampling, SaturatorSettings};
use lathe_dsp::dynamics::{CompressorSettings, DeEsserSettings, Detection, GateSettings};
use lathe_dsp::filters::design::Slope;
use lathe_dsp::filters::eq::{BandSettings, EqSettings, PassSettings};
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

fn pass(freq_hz: f32, slope: Slope) -> PassSettings {
    PassSettings {
        enabled: true,
        freq_hz,
        slope,
        q: std::f32::consts::FRAC_1_SQRT_2,
    }
}

/// The five bands, all on, from their frequencies, gains and Qs.
fn eq(freq_hz: [f32; 5], gain_db: [f32; 5], q: [f32; 5]) -> EqSettings {
    let mut eq = EqSettings::default();
    for (k, band) in eq.bands.iter_mut().enumerate() {
        *band = BandSettings {
            enabled: true,
            freq_hz: freq_hz[k],
            gain_db: gain_db[k],
            q: q[k],
        };
    }
    eq
}

/// The compressor with automatic make-up: threshold dB, ratio, knee dB, attack and release ms.
fn comp(
    [threshold_db, ratio, knee_db, attack_ms, release_ms]: [f32; 5],
    detection: Detection,
) -> CompressorSettings {
    CompressorSettings {
        threshold_db,
        ratio,
        knee_db,
        attack_ms,
        release_ms,
        detection,
        auto_makeup: true,
        ..CompressorSettings::default()
    }
}

/// The gate: threshold and range dB, attack, hold and release ms.
fn gate([threshold_db, range_db, attack_ms, hold_ms, release_ms]: [f32; 5]) -> GateSettings {
    GateSettings {
        threshold_db,
        range_db,
        attack_ms,
        hold_ms,
        release_ms,
        ..GateSettings::default()
    }
}

/// The saturator: character, drive dB, mix (0-1).
fn sat(character: Character, drive_db: f32, mix: f32) -> SaturatorSettings {
    SaturatorSettings {
        character,
        drive_db,
        mix,
        ..SaturatorSettings::default()
    }
}

fn vocal() -> ChannelStripSettings {
    ChannelStripSettings {
        highpass: pass(90.0, Slope::Db18),
        eq: eq(
            [120.0, 300.0, 3000.0, 5000.0, 10_000.0],
            [-1.5, -2.0, 1.5, 0.0, 3.0],
            [0.7, 1.2, 1.0, 1.0, 0.7],
        ),
        compressor_enabled: true,
        compressor: comp([-22.0, 3.0, 6.0, 5.0, 120.0], Detection::Rms),
        deesser_enabled: true,
        deesser: DeEsserSettings {
            freq_hz: 6500.0,
            threshold_db: -30.0,
            range_db: 8.0,
            ..DeEsserSettings::default()
        },
        ..Default::default()
    }
}

fn kick() -> ChannelStripSettings {
    ChannelStripSettings {
        highpass: pass(30.0, Slope::Db24),
        eq: eq(
            [60.0, 350.0, 1500.0, 4000.0, 10_000.0],
            [3.0, -4.0, 0.0, 3.0, -2.0],
            [0.8, 1.5, 1.0, 1.2, 0.7],
        ),
        gate_enabled: true,
        gate: gate([-30.0, 30.0, 0.1, 40.0, 120.0]),
        compressor_enabled: true,
        compressor: comp([-16.0, 4.0, 3.0, 15.0, 80.0], Detection::Peak),
        ..Default::default()
    }
}

fn snare() -> ChannelStripSettings {
    ChannelStripSettings {
        highpass: pass(80.0, Slope::Db18),
        eq: eq(
            [100.0, 200.0, 900.0, 5000.0, 12_000.0],
            [0.0, 2.5, -3.0, 2.0, 2.0],
            [0.7, 1.2, 2.0, 1.0, 0.7],
        ),
        gate_enabled: true,
        gate: GateSettings {
            key_hpf_hz: 150.0,
            ..gate([-28.0, 20.0, 0.1, 30.0, 150.0])
        },
        compressor_enabled: true,
        compressor: comp([-18.0, 4.0, 6.0, 10.0, 100.0], Detection::Peak),
        saturator_enabled: true,
        saturator: SaturatorSettings {
            oversampling: SaturatorOversampling::X4,
            ..sat(Character::Tape, 4.0, 1.0)
        },
        ..Default::default()
    }
}

fn bass() -> ChannelStripSettings {
    ChannelStripSettings {
        highpass: pass(35.0, Slope::Db24),
        eq: eq(
            [80.0, 250.0, 800.0, 2500.0, 6000.0],
            [2.0, -2.5, 1.5, 0.0, -3.0],
            [0.7, 1.0, 1.2, 1.0, 0.7],
        ),
        compressor_enabled: true,
        compressor: comp([-20.0, 4.0, 6.0, 20.0, 150.0], Detection::Rms),
        saturator_enabled: true,
        saturator: sat(Character::Tube, 6.0, 0.6),
        ..Default::default()
    }
}

fn acoustic_guitar() -> ChannelStripSettings {
    ChannelStripSettings {
        highpass: pass(80.0, Slope::Db12),
        eq: eq(
            [150.0, 250.0, 2500.0, 5000.0, 12_000.0],
            [-2.0, -2.0, 1.0, 0.0, 2.5],
            [0.7, 1.5, 1.0, 1.0, 0.7],
        ),
        compressor_enabled: true,
        compressor: comp([-20.0, 2.5, 8.0, 15.0, 200.0], Detection::Rms),
        ..Default::default()
    }
}

fn bus() -> ChannelStripSettings {
    ChannelStripSettings {
        highpass: pass(25.0, Slope::Db12),
        eq: eq(
            [60.0, 300.0, 1500.0, 5000.0, 12_000.0],
            [1.0, -1.0, 0.0, 0.0, 1.5],
            [0.7, 0.8, 1.0, 1.0, 0.7],
        ),
        compressor_enabled: true,
        compressor: comp([-16.0, 2.0, 10.0, 30.0, 300.0], Detection::Rms),
        saturator_enabled: true,
        saturator: sat(Character::Tape, 3.0, 0.5),
        ..Default::default()
    }
}

fn mono_bass_master() -> ChannelStripSettings {
    ChannelStripSettings {
        highpass: pass(20.0, Slope::Db12),
        imager_enabled: true,
        imager: ImagerSettings {
            width_low: 0.8,
            width_high: 1.15,
            bass_mono: true,
            bass_mono_hz: 120.0,
            ..ImagerSettings::default()
        },
        ..Default::default()
    }
}

/// A broad mastering tilt in linear phase: a gentle low-shelf cut and high-shelf lift pivoting
/// around 1 kHz (no phase shift to smear transients), a subsonic filter, a narrow cut of
/// low-mid mud.
fn master_broad_tilt() -> ChannelStripSettings {
    // Shelves at Q 0.5 (the broadest), the mud cut narrower.
    let shelf_cut = (250.0, -1.0, 0.5);
    let mud = (350.0, -0.5, 1.2);
    let shelf_lift = (4000.0, 1.0, 0.5);
    let [a, b, c] = [shelf_cut, mud, shelf_lift];
    let mut s = ChannelStripSettings {
        eq_phase: EqPhase::Linear,
        highpass: pass(18.0, Slope::Db12),
        ..Default::default()
    };
    s.eq = eq(
        [a.0, b.0, 1500.0, 5000.0, c.0],
        [a.1, b.1, 0.0, 0.0, c.1],
        [a.2, b.2, 1.0, 1.0, c.2],
    );
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
    Preset {
        name: "Mono Bass Master",
        description: "Master bus: subsonic filter, mono below 120 Hz, a narrower low end, airier top",
        settings: mono_bass_master,
    },
    Preset {
        name: "Master Broad Tilt",
        description: "Master bus, linear phase: -1 dB below 250 Hz, +1 dB above 4 kHz, a touch less 350 Hz",
        settings: master_broad_tilt,
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
    for ((bp, bs), &channel) in p.bands().into_iter().zip(&s.eq.bands).zip(&s.eq.channels) {
        band(o, bp, bs);
        e(o, &bp.channel, EqChannelChoice::from(channel));
    }
    e(o, &p.order, s.order.into());
    e(o, &p.eq_phase, s.eq_phase.into());
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
    let i = &s.imager;
    b(o, &p.imager.on, s.imager_enabled);
    f(o, &p.imager.xover_low, i.xover_low_hz);
    f(o, &p.imager.xover_high, i.xover_high_hz);
    f(o, &p.imager.width_low, i.width_low * 100.0);
    f(o, &p.imager.width_mid, i.width_mid * 100.0);
    f(o, &p.imager.width_high, i.width_high * 100.0);
    b(o, &p.imager.bass_mono, i.bass_mono);
    f(o, &p.imager.bass_mono_freq, i.bass_mono_hz);
    let st = &s.stereo;
    f(o, &p.stereo.width, st.width * 100.0);
    f(o, &p.stereo.pan, st.pan * 100.0);
    b(o, &p.stereo.invert_left, st.invert_left);
    b(o, &p.stereo.invert_right, st.invert_right);
    b(o, &p.stereo.mono, st.mono);
    out
}

impl Preset {
    /// Everything the preset sets (trims and bypass stay as they are).
    pub fn all_targets<'a>(&self, params: &'a ChannelStripParams) -> Vec<Target<'a>> {
        targets(params, &(self.settings)())
    }

    /// Applies the preset through the host (trims and bypass stay as they are).
    pub fn apply(&self, params: &ChannelStripParams, setter: &ParamSetter) {
        preset::apply(&self.all_targets(params), setter);
    }

    /// Whether the parameters currently hold this preset's values.
    pub fn is_active(&self, params: &ChannelStripParams) -> bool {
        preset::holds(&targets(params, &(self.settings)()))
    }
}
