//! Lathe Limiter's editor: presets, meters (input/output peak and true peak, gain reduction,
//! scrolling history), the limiter's controls, and the loudness panel with a target helper.

use crate::{LimiterMeters, LimiterParams, PRESETS};
use lathe_ui::{
    ACCENT, EditorPage, GainMeters, TEXT, enum_combo, history_view, knob, latency_label,
    peak_meter, preset_menu, reduction_meter, title, toggle,
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
    params: Arc<LimiterParams>,
    meters: Arc<LimiterMeters>,
    gain: GainMeters,
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
    fn draw(&mut self, ui: &mut egui::Ui, setter: &ParamSetter, dt: f32) {
        let m = &self.meters;
        self.gain.update(&m.io, &m.reduction_db, &m.history, dt);

        let p = &self.params;
        ui.horizontal(|ui| {
            title(ui, &crate::IDENTITY);
            let menu = PRESETS
                .iter()
                .map(|pr| (pr.name, pr.description, pr.is_active(p)));
            if let Some(i) = preset_menu(ui, menu) {
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
                            egui::vec2(440.0, 170.0),
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
                    ui.horizontal(|ui| {
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
        params: plugin.parts.params.clone(),
        meters: plugin.parts.meters.clone(),
        gain: GainMeters::default(),
    }
}
