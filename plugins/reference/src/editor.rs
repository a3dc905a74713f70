//! Lathe Reference's editor: the reference list (add from a file dialog or a typed path, with
//! progress and clear errors), the A/B switch, both spectra and their difference with the match
//! EQ curve, the side-by-side loudness/dynamics/width table and the master-ready checks.
//!
//! Drag-and-drop of files is not offered: the windowing layer (baseview through
//! egui-baseview) does not pass dropped files on to egui.

use crate::ReferenceParams;
use crate::worker::{AudioState, Request, Shared, View, lock};
use egui::{Color32, Stroke, pos2};
use lathe_dsp::analysis::match_eq::curve_at;
use lathe_dsp::analysis::reference::{
    Analysis, GRID_POINTS, OCTAVE_CENTRES_HZ, Status, average_spectra, checks, fmt_opt, grid_hz,
    has_data, smooth,
};
use lathe_params::reference::{ReferenceLibrary, TargetChoice};
use lathe_plugin::IoMeters;
use lathe_ui::{
    ACCENT, EditorPage, FreqPlot, METER_GREEN, METER_RED, METER_YELLOW, MeterBallistics, TEXT,
    enum_combo, knob, peak_meter, title, toggle,
};
use nice_plug::prelude::ParamSetter;
use std::sync::Arc;

const MIX_COLOUR: Color32 = lathe_ui::MIX_COLOUR;
const REF_COLOUR: Color32 = ACCENT;
const CURVE_COLOUR: Color32 = METER_GREEN;

/// A table row's readout of an analysis.
type Readout = dyn Fn(&Analysis) -> String;

/// The reference editor app.
pub struct ReferencePage {
    params: Arc<ReferenceParams>,
    meters: Arc<IoMeters>,
    shared: Arc<Shared>,
    input_meter: MeterBallistics,
    output_meter: MeterBallistics,
    path: String,
}

/// The Reference's page: the reference list, the A/B switch, the comparison and the match EQ.
pub(crate) fn page(plugin: &crate::LatheReference) -> ReferencePage {
    ReferencePage {
        params: plugin.parts.params.clone(),
        meters: plugin.parts.meters.clone(),
        shared: plugin.shared.clone(),
        input_meter: MeterBallistics::default(),
        output_meter: MeterBallistics::default(),
        path: String::new(),
    }
}

impl ReferencePage {
    fn references_panel(
        &mut self,
        ui: &mut egui::Ui,
        setter: &ParamSetter,
        lib: &ReferenceLibrary,
        view: &View,
    ) {
        let p = &self.params;
        ui.label(egui::RichText::new("References").strong());
        let selected = p.selected_index();
        let mut remove = None;
        for (i, r) in lib.references.iter().enumerate() {
            ui.horizontal(|ui| {
                if ui
                    .radio(i == selected, "")
                    .on_hover_text(
                        "Select for A/B (and as the match target when Target is Selected)",
                    )
                    .clicked()
                {
                    setter.begin_set_parameter(&p.selected);
                    setter.set_parameter(&p.selected, i as i32 + 1);
                    setter.end_set_parameter(&p.selected);
                }
                let state = view.audio.get(&r.id).copied();
                let (tag, colour) = match state {
                    Some(AudioState::Ready) => ("", TEXT),
                    Some(AudioState::Loading) | None => (" (loading audio)", TEXT),
                    Some(AudioState::Missing) => (" (audio missing)", METER_YELLOW),
                };
                ui.label(egui::RichText::new(format!("{}{tag}", r.name())).color(colour))
                    .on_hover_text(if state == Some(AudioState::Missing) {
                        format!(
                            "{}\nThe file is gone or unreadable: its analysis is kept, but A/B \
                             cannot play it. Load it again from its new place.",
                            r.path
                        )
                    } else {
                        r.path.clone()
                    });
                ui.label(fmt_opt(r.analysis.loudness.integrated_lufs, "LUFS"));
                if ui.small_button("x").on_hover_text("Remove").clicked() {
                    remove = Some(r.id);
                }
            });
        }
        if lib.references.is_empty() {
            ui.label("No reference yet: add a commercial track to compare with.");
        }
        if let Some(id) = remove {
            self.shared.request(Request::Remove(id));
        }
        for job in &view.jobs {
            ui.add(
                egui::ProgressBar::new(job.progress)
                    .text(format!("Loading {}", job.name))
                    .desired_width(300.0),
            );
        }
        ui.horizontal(|ui| {
            #[cfg(feature = "file-dialog")]
            if ui
                .button("Add...")
                .on_hover_text("Open WAV, FLAC, MP3, Ogg or AIFF files (native file dialog)")
                .clicked()
            {
                let shared = self.shared.clone();
                // The dialog blocks: keep it off the editor's thread.
                let _ = std::thread::Builder::new()
                    .name("lathe-reference-dialog".into())
                    .spawn(move || {
                        let files = rfd::FileDialog::new()
                            .set_title("Add reference tracks")
                            .add_filter("Audio", &["wav", "flac", "mp3", "ogg", "aif", "aiff"])
                            .pick_files();
                        for f in files.unwrap_or_default() {
                            shared.request(Request::Load(f));
                        }
                    });
            }
            let field = ui.add(
                egui::TextEdit::singleline(&mut self.path)
                    .hint_text("or type a path")
                    .desired_width(220.0),
            );
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui.button("Load").clicked() || enter) && !self.path.trim().is_empty() {
                let path = self.path.trim().trim_matches('"').to_owned();
                self.shared.request(Request::Load(path.into()));
                self.path.clear();
            }
        });
        for m in &view.messages {
            ui.label(egui::RichText::new(m).color(METER_RED));
        }
    }

    fn spectra(&self, ui: &mut egui::Ui, mix: Option<&[f32]>, target: Option<&[f32]>, view: &View) {
        let fraction = self.params.smoothing.value() as f64;
        let mix = mix.map(|m| smooth(m, fraction));
        let target = target.map(|t| smooth(t, fraction));
        // Both plots share the window's growth: 200 and 120 points high at the design size.
        let size = lathe_ui::grown(ui, egui::vec2(640.0, 320.0));
        let width = ui.available_width().min(size.x);
        let heights = [size.y * 200.0 / 320.0, size.y * 120.0 / 320.0];
        // Spectra, dB re integrated loudness.
        let (rect, _) = ui.allocate_exact_size(egui::vec2(width, heights[0]), egui::Sense::hover());
        let plot = FreqPlot::new(rect, -50.0, 0.0);
        let painter = ui.painter_at(rect);
        plot.draw_grid(&painter, 10.0, |db| format!("{db:.0}"));
        let line = |values: &[f32], colour: Color32, plot: &FreqPlot| {
            let pts: Vec<egui::Pos2> = (0..GRID_POINTS)
                .filter(|&i| has_data(values[i]))
                .map(|i| plot.point(grid_hz(i) as f32, values[i]))
                .collect();
            egui::Shape::line(pts, Stroke::new(2.0, colour))
        };
        if let Some(m) = &mix {
            painter.add(line(m, MIX_COLOUR, &plot));
        }
        if let Some(t) = &target {
            painter.add(line(t, REF_COLOUR, &plot));
        }
        for (label, colour, y) in [("mix", MIX_COLOUR, 4.0), ("reference", REF_COLOUR, 18.0)] {
            let at = pos2(rect.right() - 6.0, rect.top() + y);
            let font = egui::FontId::proportional(12.0);
            painter.text(at, egui::Align2::RIGHT_TOP, label, font, colour);
        }
        // Difference and match EQ.
        let (rect, _) = ui.allocate_exact_size(egui::vec2(width, heights[1]), egui::Sense::hover());
        let plot = FreqPlot::new(rect, -15.0, 15.0);
        let painter = ui.painter_at(rect);
        plot.draw_grid(&painter, 5.0, |db| format!("{db:+.0}"));
        if let (Some(m), Some(t)) = (&mix, &target) {
            let diff: Vec<f32> = m
                .iter()
                .zip(t)
                .map(|(a, b)| {
                    if has_data(*a) && has_data(*b) {
                        b - a
                    } else {
                        lathe_dsp::analysis::reference::NO_DATA_DB
                    }
                })
                .collect();
            painter.add(line(&diff, Color32::from_gray(150), &plot));
        }
        let on = self.params.match_on.value();
        if view.curve_db.len() == GRID_POINTS {
            let colour = if on {
                CURVE_COLOUR
            } else {
                CURVE_COLOUR.gamma_multiply(0.4)
            };
            painter.add(line(&view.curve_db, colour, &plot));
        }
        painter.text(
            pos2(rect.right() - 6.0, rect.top() + 4.0),
            egui::Align2::RIGHT_TOP,
            "difference",
            egui::FontId::proportional(12.0),
            Color32::from_gray(170),
        );
        painter.text(
            pos2(rect.right() - 6.0, rect.top() + 18.0),
            egui::Align2::RIGHT_TOP,
            if on { "match EQ" } else { "match EQ (off)" },
            egui::FontId::proportional(12.0),
            CURVE_COLOUR,
        );
    }

    fn table(ui: &mut egui::Ui, mix: Option<&Analysis>, reference: Option<(&str, &Analysis)>) {
        egui::Grid::new("table")
            .striped(true)
            .num_columns(3)
            .show(ui, |ui| {
                ui.label("");
                ui.label(egui::RichText::new("Mix").color(MIX_COLOUR));
                ui.label(
                    egui::RichText::new(reference.map_or("Reference", |r| r.0)).color(REF_COLOUR),
                );
                ui.end_row();
                let rows: [(&str, &Readout); 9] = [
                    ("Integrated", &|a| {
                        fmt_opt(a.loudness.integrated_lufs, "LUFS")
                    }),
                    ("Loudness range", &|a| {
                        fmt_opt(a.loudness.loudness_range_lu, "LU")
                    }),
                    ("Max short-term", &|a| {
                        fmt_opt(a.loudness.max_short_term_lufs, "LUFS")
                    }),
                    ("True peak", &|a| fmt_opt(a.loudness.true_peak_dbtp, "dBTP")),
                    ("PLR", &|a| fmt_opt(a.loudness.plr_db, "dB")),
                    ("Correlation", &|a| format!("{:+.2}", a.correlation)),
                    ("Width", &|a| format!("{:.0} %", a.width_pct)),
                    ("Tilt", &|a| {
                        format!("{:+.2} dB/oct", a.tilt_db_per_octave())
                    }),
                    ("Clipped samples", &|a| a.clipped_samples.to_string()),
                ];
                for (label, f) in rows {
                    ui.label(label);
                    ui.label(mix.map_or("-".into(), f));
                    ui.label(reference.map_or("-".into(), |r| f(r.1)));
                    ui.end_row();
                }
            });
        ui.add_space(4.0);
        egui::Grid::new("bands")
            .striped(true)
            .num_columns(5)
            .show(ui, |ui| {
                for h in [
                    "Band",
                    "Level mix/ref",
                    "Crest mix/ref",
                    "Width mix/ref",
                    "",
                ] {
                    ui.label(egui::RichText::new(h).small());
                }
                ui.end_row();
                for (i, &c) in OCTAVE_CENTRES_HZ.iter().enumerate() {
                    let hz = if c >= 1000.0 {
                        format!("{}k", c / 1000.0)
                    } else {
                        format!("{c}")
                    };
                    ui.label(egui::RichText::new(hz).small());
                    let pair = |f: &dyn Fn(&Analysis, usize) -> String| {
                        format!(
                            "{} / {}",
                            mix.map_or("-".into(), |a| f(a, i)),
                            reference.map_or("-".into(), |r| f(r.1, i))
                        )
                    };
                    ui.label(
                        egui::RichText::new(pair(&|a, i| {
                            format!("{:+.1}", a.normalized_band_db(i))
                        }))
                        .small(),
                    );
                    ui.label(
                        egui::RichText::new(pair(&|a, i| format!("{:.1}", a.bands[i].crest_db)))
                            .small(),
                    );
                    ui.label(
                        egui::RichText::new(pair(&|a, i| format!("{:.0}", a.bands[i].width_pct)))
                            .small(),
                    );
                    ui.label("");
                    ui.end_row();
                }
            });
    }

    fn checks_panel(ui: &mut egui::Ui, mix: Option<&Analysis>) {
        ui.label(egui::RichText::new("Master-ready checks (mix)").strong());
        let Some(mix) = mix else {
            ui.label("Play the mix to analyse it.");
            return;
        };
        for c in checks(mix) {
            let (tag, colour) = match c.status {
                Status::Pass => ("ok", METER_GREEN),
                Status::Warn => ("check", METER_YELLOW),
                Status::Info => ("info", TEXT),
            };
            ui.horizontal_wrapped(|ui| {
                ui.label(egui::RichText::new(format!("[{tag}]")).color(colour));
                ui.label(egui::RichText::new(format!("{}: {}", c.name, c.detail)).small());
            });
        }
    }
}

impl EditorPage for ReferencePage {
    lathe_ui::page_parts!();

    fn draw(&mut self, ui: &mut egui::Ui, setter: &ParamSetter, dt: f32) {
        self.input_meter.update(self.meters.input.take(), dt);
        self.output_meter.update(self.meters.output.take(), dt);
        let p = self.params.clone();
        let lib = p.library_snapshot();
        let view = lock(&self.shared.view).clone();
        let selected = lib.references.get(p.selected_index());
        let mix_spec = view.mix.as_ref().map(|a| a.normalized_spectrum_db());
        let target_refs: Vec<&lathe_params::reference::StoredReference> = match p.target.value() {
            TargetChoice::Average => lib.references.iter().collect(),
            TargetChoice::Selected => selected.into_iter().collect(),
        };
        let target = (!target_refs.is_empty()).then(|| {
            average_spectra(
                &target_refs
                    .iter()
                    .map(|r| r.analysis.normalized_spectrum_db())
                    .collect::<Vec<_>>(),
            )
        });
        ui.horizontal_wrapped(|ui| {
            title(ui, &crate::IDENTITY);
            let listen = toggle(ui, &p.listen, setter, "Listen to reference");
            let gain = self
                .shared
                .reference_gain_db
                .load(std::sync::atomic::Ordering::Relaxed);
            listen.on_hover_text(format!(
                "A/B: hear the selected reference instead of the mix, at the mix's \
                     loudness ({gain:+.1} dB), following the transport (looping when stopped)"
            ));
            if p.listen.value() {
                let text = match selected {
                    Some(r) if view.audio.get(&r.id) == Some(&AudioState::Ready) => {
                        format!("Playing {} at {gain:+.1} dB", r.name())
                    }
                    Some(_) => "The selected reference's audio is not available".into(),
                    None => "No reference selected".into(),
                };
                ui.label(egui::RichText::new(text).color(REF_COLOUR));
            }
            ui.separator();
            toggle(ui, &p.io.bypass, setter, "Bypass");
        });
        ui.separator();
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.set_width(380.0);
                self.references_panel(ui, setter, &lib, &view);
                ui.separator();
                Self::table(
                    ui,
                    view.mix.as_ref(),
                    selected
                        .map(|r| (r.name(), &r.analysis))
                        .as_ref()
                        .map(|(n, a)| (n.as_str(), *a)),
                );
            });
            ui.separator();
            ui.vertical(|ui| {
                self.spectra(ui, mix_spec.as_deref(), target.as_deref(), &view);
                ui.horizontal_wrapped(|ui| {
                    ui.vertical(|ui| {
                        toggle(ui, &p.match_on, setter, "Match EQ");
                        toggle(ui, &p.learn, setter, "Learn").on_hover_text(
                            "On: the mix analysis follows the input. Off: it is frozen (and \
                                 saved with the project), so the match curve stops moving.",
                        );
                        if ui
                            .small_button("Reset")
                            .on_hover_text("Forget the mix analysis and start again")
                            .clicked()
                        {
                            self.shared.request(Request::ResetMix);
                        }
                    });
                    knob(ui, &p.amount, setter, "Amount");
                    knob(ui, &p.smoothing, setter, "Smoothing");
                    knob(ui, &p.limit, setter, "Limit");
                    knob(ui, &p.low_freq, setter, "Low");
                    knob(ui, &p.high_freq, setter, "High");
                    ui.vertical(|ui| {
                        ui.set_width(150.0);
                        ui.label(egui::RichText::new("Phase").small());
                        enum_combo(ui, &p.phase, setter, "").on_hover_text(
                            "Minimum: zero latency. Linear: no phase shift, 85 ms of latency \
                                 (reported to the host)",
                        );
                        ui.label(egui::RichText::new("Target").small());
                        enum_combo(ui, &p.target, setter, "").on_hover_text(
                            "Match the average of all references, or the selected one",
                        );
                    });
                });
                if view.curve_db.len() == GRID_POINTS {
                    let summary: Vec<String> = [100.0, 1000.0, 10_000.0]
                        .iter()
                        .map(|&f| {
                            format!(
                                "{}: {:+.1} dB",
                                if f >= 1000.0 {
                                    format!("{}k", f / 1000.0)
                                } else {
                                    format!("{f}")
                                },
                                curve_at(&view.curve_db, f)
                            )
                        })
                        .collect();
                    ui.label(
                        egui::RichText::new(format!("Match EQ {}", summary.join(", "))).small(),
                    );
                }
                ui.separator();
                ui.horizontal_top(|ui| {
                    ui.vertical(|ui| {
                        ui.set_width(440.0);
                        Self::checks_panel(ui, view.mix.as_ref());
                    });
                    lathe_ui::at_design_size(ui, |ui| {
                        peak_meter(ui, &self.input_meter, "IN");
                        peak_meter(ui, &self.output_meter, "OUT");
                    });
                    ui.vertical(|ui| {
                        knob(ui, &p.io.input_gain, setter, "Input");
                        knob(ui, &p.io.output_gain, setter, "Output");
                    });
                });
            });
        });
        // Analysis and loading progress arrive from the worker: the shell redraws every frame.
    }
}
