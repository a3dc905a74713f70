//! Lathe Limiter's editor: presets, meters (input/output peak and true peak, gain reduction,
//! scrolling history), the limiter's controls, and the loudness panel with a target helper.

use crate::{LimiterMeters, LimiterParams, PRESETS};
use lathe_dsp::analysis::loudness::learn::{LEARN_S, LearnStep, Learner};
use lathe_ui::{
    ACCENT, EditorPage, GainMeters, TEXT, UserPresets, enum_combo, history_view, knob,
    latency_label, peak_meter, preset_menu_with_user, reduction_meter, title, toggle,
};
use nice_plug::prelude::ParamSetter;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Common loudness targets offered by the helper.
const TARGETS: &[(&str, i32)] = &[
    ("Streaming -14", -14),
    ("Apple -16", -16),
    ("EBU R128 -23", -23),
    ("Loud -9", -9),
];

/// The limiter's editor app.
pub struct LimiterPage {
    /// The user presets of the preset menu.
    user_presets: UserPresets,
    params: Arc<LimiterParams>,
    meters: Arc<LimiterMeters>,
    gain: GainMeters,
    /// While learning the drive: the learner (its changes are one host gesture).
    learner: std::cell::RefCell<Option<Learner>>,
}

fn db(x: f32) -> f32 {
    if x > 0.0 {
        20.0 * x.log10()
    } else {
        f32::NEG_INFINITY
    }
}

fn fmt(v: f32, decimals: usize) -> String {
    if v.is_finite() {
        format!("{v:.decimals$}")
    } else {
        "-inf".to_owned()
    }
}

impl LimiterPage {
    /// The Learn button and, while learning, the learner's step for this frame.
    fn learn(&self, ui: &mut egui::Ui, setter: &ParamSetter, target_lufs: f64) {
        let drive = &self.params.io.input_gain;
        let m = &self.meters;
        let mut learner = self.learner.borrow_mut();
        let label = if learner.is_some() {
            "Stop learning"
        } else {
            "Learn drive"
        };
        let clicked = ui
            .add(egui::Button::new(label).selected(learner.is_some()))
            .on_hover_text(format!(
                "Play the song: Learn measures the output and sets the input gain (drive) so \
                 the integrated loudness lands on the target. It stops by itself after \
                 {LEARN_S:.0} s of playback, or press again; one undo step."
            ))
            .clicked();
        let finish = |learner: &mut Option<Learner>, value: Option<f32>| {
            if let Some(v) = value {
                setter.set_parameter(drive, v);
            }
            setter.end_set_parameter(drive);
            m.learning.store(false, Ordering::Relaxed);
            *learner = None;
        };
        match (&mut *learner, clicked) {
            (None, true) => {
                setter.begin_set_parameter(drive);
                m.learn_restart.store(true, Ordering::Relaxed);
                m.learning.store(true, Ordering::Relaxed);
                *learner = Some(Learner::new(
                    target_lufs,
                    drive.value(),
                    lathe_params::limiter::DRIVE_RANGE_DB,
                ));
            }
            (Some(_), true) => finish(&mut learner, None),
            (Some(l), false) => {
                // A restart not yet seen by the audio thread: the readings are stale.
                if m.learn_restart.load(Ordering::Relaxed) {
                    return;
                }
                let readings = m.learn.load();
                match l.step(&readings) {
                    LearnStep::Listening => {}
                    LearnStep::Drive(d) => setter.set_parameter(drive, d),
                    LearnStep::Finished(d) => finish(&mut learner, Some(d)),
                }
                if learner.is_some() {
                    let text = if m.playing.load(Ordering::Relaxed) {
                        format!(
                            "Learning: {:.0} of {LEARN_S:.0} s, drive {:+.1} dB",
                            readings.seconds,
                            drive.value()
                        )
                    } else {
                        "Learning: start playback".to_owned()
                    };
                    ui.label(egui::RichText::new(text).color(ACCENT));
                    ui.ctx().request_repaint();
                }
            }
            (None, false) => {}
        }
    }

    fn loudness_panel(&self, ui: &mut egui::Ui, setter: &ParamSetter) {
        let l = &self.meters.loudness;
        let get = |a: &atomic_float::AtomicF32| a.load(Ordering::Relaxed);
        let integrated = get(&l.integrated_lufs);
        ui.label(egui::RichText::new("Output loudness").strong());
        egui::Grid::new("loudness").num_columns(2).show(ui, |ui| {
            for (name, value, unit) in [
                ("Momentary", get(&l.momentary_lufs), "LUFS"),
                ("Short-term", get(&l.short_term_lufs), "LUFS"),
                ("Integrated", integrated, "LUFS"),
                ("Range (LRA)", get(&l.loudness_range_lu), "LU"),
                ("True peak", get(&l.true_peak_dbtp), "dBTP"),
                ("PLR", get(&l.plr_db), "dB"),
            ] {
                ui.label(name);
                ui.monospace(format!("{:>6} {unit}", fmt(value, 1)));
                ui.end_row();
            }
        });
        ui.add_space(6.0);
        ui.label(egui::RichText::new("Target").strong());
        let target_lufs = self.params.loudness_target.value();
        let target = target_lufs as f32;
        ui.horizontal_wrapped(|ui| {
            for (name, value) in TARGETS {
                let active = target_lufs == *value;
                if ui
                    .add(egui::Button::new(*name).selected(active).small())
                    .clicked()
                {
                    let p = &self.params.loudness_target;
                    setter.begin_set_parameter(p);
                    setter.set_parameter(p, *value);
                    setter.end_set_parameter(p);
                }
            }
        });
        knob(ui, &self.params.loudness_target, setter, "Custom");
        self.learn(ui, setter, target_lufs as f64);
        let text = if integrated.is_finite() {
            let diff = integrated - target;
            let verdict = if diff.abs() <= 0.5 {
                "on target"
            } else if diff > 0.0 {
                "too loud"
            } else {
                "too quiet"
            };
            format!("{diff:+.1} LU from {target:.1} LUFS: {verdict}")
        } else {
            format!("Target {target:.1} LUFS: play audio to measure")
        };
        ui.label(egui::RichText::new(text).color(ACCENT));
        if ui
            .button("Reset meters")
            .on_hover_text("Restart integrated loudness, LRA and held true peaks")
            .clicked()
        {
            self.meters.reset_requested.store(true, Ordering::Relaxed);
        }
    }
}

impl EditorPage for LimiterPage {
    lathe_ui::page_parts!();

    /// Closing the editor stops learning: the drive keeps the value it reached, and the host's
    /// gesture ends (one undo step, as if Learn had been pressed again).
    fn closing(&mut self, setter: &ParamSetter) {
        if self.learner.get_mut().take().is_some() {
            setter.end_set_parameter(&self.params.io.input_gain);
            self.meters.learning.store(false, Ordering::Relaxed);
        }
    }

    fn draw(&mut self, ui: &mut egui::Ui, setter: &ParamSetter, dt: f32) {
        let meters = self.meters.clone();
        let m = &meters;
        self.gain.update(&m.io, &m.reduction_db, &m.history, dt);

        let p = &self.params;
        ui.horizontal_wrapped(|ui| {
            title(ui, &crate::IDENTITY);
            let menu = PRESETS
                .iter()
                .map(|pr| (pr.name, pr.description, pr.is_active(p)));
            if let Some(i) = preset_menu_with_user(ui, menu, &mut self.user_presets, &*p, setter) {
                PRESETS[i].apply(p, setter);
            }
            ui.separator();
            latency_label(ui, &m.io);
        });
        ui.separator();
        ui.horizontal_top(|ui| {
                ui.vertical(|ui| {
                    peak_meter(ui, &self.gain.input, "IN");
                    let tp = db(m.input_true_peak.load(Ordering::Relaxed));
                    ui.monospace(format!("TP {}", fmt(tp, 1)))
                        .on_hover_text("Input true peak (dBTP) since reset");
                });
                ui.vertical(|ui| {
                    ui.horizontal(|ui| {
                        history_view(
                            ui,
                            &self.gain.history,
                            lathe_ui::grown(ui, egui::vec2(440.0, 170.0)),
                            p.ceiling.value(),
                            12.0,
                        );
                        reduction_meter(
                            ui,
                            self.gain.reduction.level_db(),
                            self.gain.reduction.hold_db(),
                            12.0,
                        );
                    });
                    ui.horizontal_wrapped(|ui| {
                        knob(ui, &p.io.input_gain, setter, "Input");
                        knob(ui, &p.ceiling, setter, "Ceiling");
                        knob(ui, &p.release, setter, "Release");
                        knob(ui, &p.lookahead, setter, "Lookahead");
                        knob(ui, &p.link, setter, "Link");
                        knob(ui, &p.io.output_gain, setter, "Output");
                    });
                    ui.horizontal(|ui| {
                        enum_combo(ui, &p.oversampling, setter, "Oversampling");
                        toggle(ui, &p.soft_clip, setter, "Soft clip");
                    });
                    ui.horizontal(|ui| {
                        enum_combo(ui, &p.dither, setter, "Dither");
                        toggle(ui, &p.noise_shaping, setter, "Shaping");
                        toggle(ui, &p.unity_gain, setter, "Unity gain")
                            .on_hover_text("Loudness-matched monitoring: hear the limiting at the input's loudness. Turn off before rendering.");
                        toggle(ui, &p.io.bypass, setter, "Bypass");
                    });
                    if p.unity_gain.value() {
                        let g = m.monitor_gain_db.load(Ordering::Relaxed);
                        ui.label(
                            egui::RichText::new(format!(
                                "Unity gain monitoring on ({g:+.1} dB): for listening only"
                            ))
                            .color(TEXT),
                        );
                    }
                });
                ui.vertical(|ui| {
                    peak_meter(ui, &self.gain.output, "OUT");
                    let tp = m.loudness.true_peak_dbtp.load(Ordering::Relaxed);
                    ui.monospace(format!("TP {}", fmt(tp, 1)))
                        .on_hover_text("Output true peak (dBTP) since reset");
                });
                ui.separator();
                ui.vertical(|ui| self.loudness_panel(ui, setter));
            });
    }
}

/// The Limiter's page: controls, loudness readouts and the gain-reduction history.
pub(crate) fn page(plugin: &crate::LatheLimiter) -> LimiterPage {
    LimiterPage {
        user_presets: UserPresets::new(&crate::IDENTITY),
        params: plugin.parts.params.clone(),
        meters: plugin.parts.meters.clone(),
        gain: GainMeters::default(),
        learner: std::cell::RefCell::new(None),
    }
}
