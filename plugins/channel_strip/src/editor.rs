//! Lathe Channel Strip's editor: an EQ curve with draggable band nodes over a live pre/post
//! spectrum, module pages with the controls, gate/compressor/de-esser reduction meters and
//! in/out meters.
//!
//! EQ display gestures: drag a node to move the band (Shift: ten times finer), scroll over it to
//! change its Q, double-click it to reset the band, right-click to switch it on or off, click to
//! select it (its knobs show below). The high- and low-pass nodes move in frequency only.

use crate::{BandParams, ChannelStripParams, EqChannelChoice, PRESETS, PassParams, StripMeters};
use egui::{Color32, Pos2, Sense, Stroke, Ui, pos2, vec2};
use lathe_dsp::chains::channel_strip::{ChannelStripSettings, FilterResponse, ResponsePart};
use lathe_dsp::filters::linear_eq::Lane;
use lathe_ui::{
    ACCENT, EditorPage, FreqPlot, LiveSpectrum, MeterBallistics, ReductionBallistics, TEXT,
    UserPresets, band_correlation_meters, correlation_meter, enum_combo, goniometer, knob,
    latency_label, peak_meter, preset_menu_with_user, reduction_meter, title, toggle,
    transfer_curve,
};
use nice_plug::prelude::{Param, ParamSetter};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// FFT size of the live analyzer (about 5.9 Hz bins at 48 kHz).
const ANALYZER_FFT: usize = 8192;
/// EQ display range, +- dB.
const EQ_RANGE_DB: f32 = 24.0;
/// Spectrum display range, dBFS (bottom).
const SPECTRUM_FLOOR_DB: f32 = -96.0;
/// Node radius, points.
const NODE_RADIUS: f32 = 7.0;
/// Shift makes a node drag this much finer.
const FINE_DRAG: f32 = 0.1;

/// Colours of the five bands and the two filters.
const NODE_COLOURS: [Color32; 7] = lathe_ui::EQ_NODE_COLOURS;
/// A node's button label: its colour, dark on the accent pill when it is selected.
fn node_label_colour(node: usize, selected: usize) -> Color32 {
    if node == selected {
        lathe_ui::BACKGROUND
    } else {
        NODE_COLOURS[node]
    }
}

/// The nodes' names.
const NODE_NAMES: [&str; 7] = [
    "Low Shelf",
    "Low Mid",
    "Mid",
    "High Mid",
    "High Shelf",
    "High-Pass",
    "Low-Pass",
];
/// The side's curve when bands filter the mid or the side (the mid's is the accent).
const SIDE_CURVE: Color32 = Color32::from_rgb(0xd8, 0x8c, 0xf0);
const HP_NODE: usize = 5;
const LP_NODE: usize = 6;

/// The module pages under the display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    Eq,
    Gate,
    Compressor,
    DeEsser,
    Saturator,
    Imager,
    Stereo,
}

/// The channel strip's editor app.
pub struct StripPage {
    /// The user presets of the preset menu.
    user_presets: UserPresets,
    params: Arc<ChannelStripParams>,
    meters: Arc<StripMeters>,
    input_meter: MeterBallistics,
    output_meter: MeterBallistics,
    gate: ReductionBallistics,
    compressor: ReductionBallistics,
    deesser: ReductionBallistics,
    pre: LiveSpectrum,
    post: LiveSpectrum,
    selected: usize,
    page: Page,
    response: Option<(ChannelStripSettings, f32, FilterResponse)>,
    /// Node being dragged and its position in plot coordinates (x in log-Hz units, y in dB) so
    /// fine drags accumulate below the parameter's step.
    drag: Option<(usize, f32, f32)>,
    /// The goniometer's latest left and right samples.
    scope: [Vec<f32>; 2],
}

/// Samples the goniometer draws.
const SCOPE_POINTS: usize = 2048;

fn set_now<P: Param>(setter: &ParamSetter, p: &P, v: P::Plain) {
    setter.begin_set_parameter(p);
    setter.set_parameter(p, v);
    setter.end_set_parameter(p);
}

fn reset_param<P: Param>(setter: &ParamSetter, p: &P) {
    setter.begin_set_parameter(p);
    setter.set_parameter_normalized(p, p.default_normalized_value());
    setter.end_set_parameter(p);
}

impl StripPage {
    fn band(&self, node: usize) -> Option<&BandParams> {
        self.params.bands().get(node).copied()
    }

    fn pass(&self, node: usize) -> Option<&PassParams> {
        match node {
            HP_NODE => Some(&self.params.highpass),
            LP_NODE => Some(&self.params.lowpass),
            _ => None,
        }
    }

    fn node_position(&self, plot: &FreqPlot, node: usize) -> Pos2 {
        match (self.band(node), self.pass(node)) {
            (Some(b), _) => plot.point(b.freq.value(), b.gain.value()),
            (_, Some(p)) => plot.point(p.freq.value(), 0.0),
            _ => plot.rect.center(),
        }
    }

    fn node_on(&self, node: usize) -> bool {
        match (self.band(node), self.pass(node)) {
            (Some(b), _) => b.on.value() && self.params.eq_on.value(),
            (_, Some(p)) => p.on.value(),
            _ => false,
        }
    }

    fn node_tooltip(&self, node: usize) -> String {
        match (self.band(node), self.pass(node)) {
            (Some(b), _) => format!(
                "{}: {}, {} dB, Q {}{}\nDrag: frequency/gain (Shift: fine) - scroll: Q\nDouble-click: reset - right-click: on/off",
                NODE_NAMES[node],
                b.freq,
                b.gain.to_string().trim_end_matches(" dB"),
                b.q,
                if b.on.value() { "" } else { " (off)" },
            ),
            (_, Some(p)) => format!(
                "{}: {}, {}{}\nDrag: frequency (Shift: fine) - scroll: resonance\nDouble-click: reset - right-click: on/off",
                NODE_NAMES[node],
                p.freq,
                p.slope,
                if p.on.value() { "" } else { " (off)" },
            ),
            _ => String::new(),
        }
    }

    fn eq_display(&mut self, ui: &mut Ui, setter: &ParamSetter, size: egui::Vec2) {
        let (rect, response) = ui.allocate_exact_size(size, Sense::click_and_drag());
        let painter = ui.painter_at(rect);
        let plot = FreqPlot::new(rect, -EQ_RANGE_DB, EQ_RANGE_DB);
        plot.draw_grid(&painter, 6.0, |db| format!("{db:+.0}"));

        // Live spectra on their own dBFS scale.
        let spectrum_plot = FreqPlot::new(rect, SPECTRUM_FLOOR_DB, 0.0);
        painter.extend(self.pre.shapes(
            &spectrum_plot,
            Some(Color32::from_gray(60).gamma_multiply(0.6)),
            Stroke::new(1.0, Color32::from_gray(95)),
        ));
        painter.extend(self.post.shapes(
            &spectrum_plot,
            None,
            Stroke::new(1.2, Color32::from_rgb(0x7f, 0xb8, 0xd8)),
        ));

        // Target response of the parameters (the audio glides to it within ~15 ms).
        let sr = self
            .meters
            .io
            .sample_rate_hz
            .load(Ordering::Relaxed)
            .max(8000.0);
        let settings = self.params.strip_settings();
        let stale = match &self.response {
            Some((s, r, _)) => *s != settings || *r != sr,
            None => true,
        };
        if stale {
            self.response = Some((
                settings,
                sr,
                FilterResponse::design(&settings.filters(), sr as f64),
            ));
        }
        let resp = &self.response.as_ref().expect("designed above").2;
        let freqs: Vec<f32> = plot.frequencies(rect.width() as usize / 2).collect();
        let selected_part = match self.selected {
            HP_NODE => ResponsePart::Highpass,
            LP_NODE => ResponsePart::Lowpass,
            i => ResponsePart::Band(i),
        };
        if self.node_on(self.selected) {
            let colour = NODE_COLOURS[self.selected];
            let zero = plot.y(0.0);
            for w in freqs.windows(2) {
                let a = plot.point(
                    w[0],
                    resp.part_magnitude_db(selected_part, w[0] as f64) as f32,
                );
                let b = plot.point(
                    w[1],
                    resp.part_magnitude_db(selected_part, w[1] as f64) as f32,
                );
                painter.add(egui::Shape::convex_polygon(
                    order_quad([a, b, pos2(b.x, zero), pos2(a.x, zero)]),
                    colour.gamma_multiply(0.18),
                    Stroke::NONE,
                ));
            }
        }
        // With a band on the mid or the side, the mid and the side each get their curve.
        let curves: &[(Option<Lane>, Color32, &str)] = if resp.has_mid_side() {
            &[
                (Some(Lane::Mid), ACCENT, "M"),
                (Some(Lane::Side), SIDE_CURVE, "S"),
            ]
        } else {
            &[(None, ACCENT, "")]
        };
        for &(lane, colour, name) in curves {
            let db = |f: f32| match lane {
                Some(lane) => resp.lane_magnitude_db(lane, f as f64) as f32,
                None => resp.magnitude_db(f as f64) as f32,
            };
            let line: Vec<Pos2> = freqs.iter().map(|&f| plot.point(f, db(f))).collect();
            if let Some(&end) = line.last() {
                painter.text(
                    end + vec2(-4.0, -8.0),
                    egui::Align2::RIGHT_BOTTOM,
                    name,
                    egui::FontId::proportional(11.0),
                    colour,
                );
            }
            painter.add(egui::Shape::line(line, Stroke::new(2.0, colour)));
        }

        // Nodes: hit test, gestures, drawing.
        let pointer = response.hover_pos().or(response.interact_pointer_pos());
        let hovered = pointer.and_then(|p| {
            (0..7)
                .map(|n| (n, self.node_position(&plot, n).distance(p)))
                .filter(|(_, d)| *d <= NODE_RADIUS + 4.0)
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(n, _)| n)
        });
        if response.drag_started()
            && let Some(n) = hovered
        {
            self.selected = n;
            let pos = self.node_position(&plot, n);
            self.drag = Some((n, pos.x, plot.db(pos.y)));
            if let Some(b) = self.band(n) {
                setter.begin_set_parameter(&b.freq);
                setter.begin_set_parameter(&b.gain);
            } else if let Some(p) = self.pass(n) {
                setter.begin_set_parameter(&p.freq);
            }
        }
        if let Some((n, x, db)) = self.drag {
            let scale = if ui.input(|i| i.modifiers.shift) {
                FINE_DRAG
            } else {
                1.0
            };
            let d = response.drag_delta() * scale;
            let x = (x + d.x).clamp(rect.left(), rect.right());
            let db =
                (db - d.y * (2.0 * EQ_RANGE_DB) / rect.height()).clamp(-EQ_RANGE_DB, EQ_RANGE_DB);
            self.drag = Some((n, x, db));
            if let Some(b) = self.band(n) {
                setter.set_parameter(&b.freq, plot.hz(x));
                setter.set_parameter(&b.gain, db);
            } else if let Some(p) = self.pass(n) {
                setter.set_parameter(&p.freq, plot.hz(x));
            }
            if response.drag_stopped() || !response.dragged() {
                if let Some(b) = self.band(n) {
                    setter.end_set_parameter(&b.freq);
                    setter.end_set_parameter(&b.gain);
                } else if let Some(p) = self.pass(n) {
                    setter.end_set_parameter(&p.freq);
                }
                self.drag = None;
            }
        }
        if let Some(n) = hovered.or(self.drag.map(|d| d.0)) {
            let scroll = ui.input(|i| i.smooth_scroll_delta.y);
            if scroll != 0.0 {
                let q = match (self.band(n), self.pass(n)) {
                    (Some(b), _) => Some(&b.q),
                    (_, Some(p)) => Some(&p.q),
                    _ => None,
                };
                if let Some(q) = q {
                    // One wheel notch (120 points) doubles or halves Q; Q is stored as ln(Q).
                    let octaves = scroll / 120.0;
                    set_now(setter, q, q.value() + octaves * std::f32::consts::LN_2);
                }
            }
            if response.clicked() {
                self.selected = n;
            }
            if response.double_clicked() {
                if let Some(b) = self.band(n) {
                    reset_param(setter, &b.freq);
                    reset_param(setter, &b.gain);
                    reset_param(setter, &b.q);
                } else if let Some(p) = self.pass(n) {
                    reset_param(setter, &p.freq);
                    reset_param(setter, &p.q);
                }
            }
            if response.secondary_clicked() {
                if let Some(b) = self.band(n) {
                    set_now(setter, &b.on, !b.on.value());
                } else if let Some(p) = self.pass(n) {
                    set_now(setter, &p.on, !p.on.value());
                }
            }
        }
        for (n, &colour) in NODE_COLOURS.iter().enumerate() {
            let pos = self.node_position(&plot, n);
            let on = self.node_on(n);
            let radius = if Some(n) == hovered || n == self.selected {
                NODE_RADIUS + 1.5
            } else {
                NODE_RADIUS
            };
            if on {
                painter.circle_filled(pos, radius, colour);
            } else {
                painter.circle_stroke(pos, radius, Stroke::new(1.5, colour.gamma_multiply(0.7)));
            }
            if n == self.selected {
                painter.circle_stroke(pos, radius + 3.0, Stroke::new(1.5, TEXT));
            }
            // A band on the mid or the side carries its letter (M, S).
            let channel = match self.band(n).map(|b| b.channel.value()) {
                Some(EqChannelChoice::Mid) => "M",
                Some(EqChannelChoice::Side) => "S",
                _ => "",
            };
            let label = match n {
                HP_NODE => "HP".to_owned(),
                LP_NODE => "LP".to_owned(),
                i => format!("{}{channel}", i + 1),
            };
            painter.text(
                pos,
                egui::Align2::CENTER_CENTER,
                label,
                egui::FontId::proportional(9.0),
                if on { Color32::BLACK } else { colour },
            );
        }
        painter.text(
            rect.right_top() + vec2(-6.0, 4.0),
            egui::Align2::RIGHT_TOP,
            "grey: input spectrum   blue: output spectrum",
            egui::FontId::proportional(10.0),
            lathe_ui::DIM_TEXT,
        );
        if let Some(n) = hovered.or(self.drag.map(|d| d.0)) {
            response.on_hover_text_at_pointer(self.node_tooltip(n));
        } else if let Some(p) = pointer.filter(|p| rect.contains(*p)) {
            response.on_hover_text_at_pointer(format!(
                "{:.0} Hz, {:+.1} dB",
                plot.hz(p.x),
                plot.db(p.y)
            ));
        }
    }

    fn page_tabs(&mut self, ui: &mut Ui) {
        let p = &self.params;
        ui.horizontal(|ui| {
            for (page, name, on) in [
                (
                    Page::Eq,
                    "Filters + EQ",
                    p.eq_on.value() || p.highpass.on.value() || p.lowpass.on.value(),
                ),
                (Page::Gate, "Gate", p.gate.on.value()),
                (Page::Compressor, "Compressor", p.comp.on.value()),
                (Page::DeEsser, "De-Esser", p.deess.on.value()),
                (Page::Saturator, "Saturator", p.sat.on.value()),
                (Page::Imager, "Imager", p.imager.on.value()),
                (Page::Stereo, "Stereo + Trim", true),
            ] {
                // Modules that are on read in the accent colour; the selected tab dark on
                // its accent pill.
                let text = if self.page == page {
                    egui::RichText::new(name)
                        .color(lathe_ui::BACKGROUND)
                        .strong()
                } else if on {
                    egui::RichText::new(name).color(ACCENT).strong()
                } else {
                    egui::RichText::new(name).color(lathe_ui::DIM_TEXT)
                };
                if ui.selectable_label(self.page == page, text).clicked() {
                    self.page = page;
                }
            }
        });
    }

    fn page(&mut self, ui: &mut Ui, setter: &ParamSetter) {
        let p = self.params.clone();
        match self.page {
            Page::Eq => {
                ui.horizontal_wrapped(|ui| {
                    ui.vertical(|ui| {
                        toggle(ui, &p.eq_on, setter, "EQ");
                        ui.add_space(4.0);
                        ui.horizontal(|ui| {
                            for (n, node_name) in NODE_NAMES.iter().enumerate().take(5) {
                                let name = egui::RichText::new((n + 1).to_string())
                                    .color(node_label_colour(n, self.selected));
                                if ui
                                    .selectable_label(self.selected == n, name)
                                    .on_hover_text(*node_name)
                                    .clicked()
                                {
                                    self.selected = n;
                                }
                            }
                        });
                        ui.horizontal(|ui| {
                            for n in [HP_NODE, LP_NODE] {
                                let name =
                                    egui::RichText::new(if n == HP_NODE { "HP" } else { "LP" })
                                        .color(node_label_colour(n, self.selected));
                                if ui.selectable_label(self.selected == n, name).clicked() {
                                    self.selected = n;
                                }
                            }
                        });
                    });
                    ui.separator();
                    if let Some(b) = self.band(self.selected) {
                        ui.vertical(|ui| {
                            ui.label(
                                egui::RichText::new(NODE_NAMES[self.selected])
                                    .color(NODE_COLOURS[self.selected])
                                    .strong(),
                            );
                            toggle(ui, &b.on, setter, "On");
                            enum_combo(ui, &b.channel, setter, "").on_hover_text(
                                "Stereo: both channels. Mid or Side: only L+R or only L-R",
                            );
                        });
                        knob(ui, &b.freq, setter, "Freq");
                        knob(ui, &b.gain, setter, "Gain");
                        knob(ui, &b.q, setter, "Q");
                    } else if let Some(f) = self.pass(self.selected) {
                        ui.vertical(|ui| {
                            ui.label(
                                egui::RichText::new(NODE_NAMES[self.selected])
                                    .color(NODE_COLOURS[self.selected])
                                    .strong(),
                            );
                            toggle(ui, &f.on, setter, "On");
                            enum_combo(ui, &f.slope, setter, "");
                        });
                        knob(ui, &f.freq, setter, "Freq");
                        knob(ui, &f.q, setter, "Resonance").on_hover_text(
                            "Resonance applies at 12 dB/oct; other slopes are Butterworth",
                        );
                    }
                    ui.separator();
                    ui.vertical(|ui| {
                        ui.label("Order");
                        enum_combo(ui, &p.order, setter, "");
                        ui.label("Phase");
                        enum_combo(ui, &p.eq_phase, setter, "").on_hover_text(
                            "Zero Latency: minimum phase. Linear: no phase shift in the \
                             filters, EQ and imager; adds about 340 ms of latency",
                        );
                    });
                });
            }
            Page::Gate => {
                let g = &p.gate;
                ui.horizontal_wrapped(|ui| {
                    toggle(ui, &g.on, setter, "Gate");
                    knob(ui, &g.threshold, setter, "Threshold");
                    knob(ui, &g.range, setter, "Range");
                    knob(ui, &g.attack, setter, "Attack");
                    knob(ui, &g.hold, setter, "Hold");
                    knob(ui, &g.release, setter, "Release");
                    knob(ui, &g.hysteresis, setter, "Hysteresis");
                    knob(ui, &g.key_hpf, setter, "Key HPF");
                    knob(ui, &g.key_lpf, setter, "Key LPF");
                });
            }
            Page::Compressor => {
                let c = &p.comp;
                ui.horizontal_wrapped(|ui| {
                    ui.vertical(|ui| {
                        toggle(ui, &c.on, setter, "Comp");
                        enum_combo(ui, &c.detection, setter, "");
                        toggle(ui, &c.auto_makeup, setter, "Auto gain");
                    });
                    knob(ui, &c.threshold, setter, "Threshold");
                    knob(ui, &c.ratio, setter, "Ratio");
                    knob(ui, &c.knee, setter, "Knee");
                    knob(ui, &c.attack, setter, "Attack");
                    knob(ui, &c.release, setter, "Release");
                    knob(ui, &c.makeup, setter, "Makeup");
                    knob(ui, &c.mix, setter, "Mix");
                    knob(ui, &c.sc_hpf, setter, "SC HPF");
                    knob(ui, &c.link, setter, "Link");
                    let settings = p.strip_settings().compressor;
                    transfer_curve(
                        ui,
                        vec2(90.0, 90.0),
                        &settings,
                        self.input_meter.level_db(),
                        self.compressor.level_db(),
                    );
                });
            }
            Page::DeEsser => {
                let d = &p.deess;
                ui.horizontal_wrapped(|ui| {
                    ui.vertical(|ui| {
                        toggle(ui, &d.on, setter, "De-Ess");
                        toggle(ui, &d.listen, setter, "Listen").on_hover_text(
                            "Hear only the band above the frequency, to find the sibilance",
                        );
                    });
                    knob(ui, &d.freq, setter, "Freq");
                    knob(ui, &d.threshold, setter, "Threshold");
                    knob(ui, &d.range, setter, "Range");
                });
            }
            Page::Saturator => {
                let s = &p.sat;
                ui.horizontal_wrapped(|ui| {
                    ui.vertical(|ui| {
                        toggle(ui, &s.on, setter, "Saturate");
                        enum_combo(ui, &s.character, setter, "");
                        toggle(ui, &s.compensate, setter, "Compensate");
                    });
                    knob(ui, &s.drive, setter, "Drive");
                    knob(ui, &s.mix, setter, "Mix");
                    ui.vertical(|ui| {
                        ui.label("Oversampling");
                        enum_combo(ui, &s.oversampling, setter, "")
                            .on_hover_text("Off: zero latency but aliasing at high drive. 4x keeps aliases below -80 dB.");
                    });
                });
            }
            Page::Imager => {
                let im = &p.imager;
                ui.horizontal_wrapped(|ui| {
                    toggle(ui, &im.on, setter, "Imager");
                    knob(ui, &im.width_low, setter, "Low Width");
                    knob(ui, &im.xover_low, setter, "Low X-Over")
                        .on_hover_text("Low/mid crossover (Linkwitz-Riley 24 dB/oct)");
                    knob(ui, &im.width_mid, setter, "Mid Width");
                    knob(ui, &im.xover_high, setter, "High X-Over")
                        .on_hover_text("Mid/high crossover (Linkwitz-Riley 24 dB/oct)");
                    knob(ui, &im.width_high, setter, "High Width");
                    ui.separator();
                    toggle(ui, &im.bass_mono, setter, "Bass Mono")
                        .on_hover_text("No side below the frequency (48 dB/oct)");
                    knob(ui, &im.bass_mono_freq, setter, "Mono Below");
                    ui.separator();
                    let bands = self
                        .meters
                        .band_correlation
                        .each_ref()
                        .map(|c| c.load(Ordering::Relaxed));
                    band_correlation_meters(ui, bands, 120.0);
                    self.stereo_meters(ui, setter);
                });
            }
            Page::Stereo => {
                let st = &p.stereo;
                ui.horizontal_wrapped(|ui| {
                    knob(ui, &p.io.input_gain, setter, "Input");
                    knob(ui, &st.width, setter, "Width");
                    knob(ui, &st.pan, setter, "Pan");
                    ui.vertical(|ui| {
                        toggle(ui, &st.invert_left, setter, "Ø Left");
                        toggle(ui, &st.invert_right, setter, "Ø Right");
                    });
                    toggle(ui, &st.mono, setter, "Mono");
                    knob(ui, &p.io.output_gain, setter, "Output");
                    ui.separator();
                    self.stereo_meters(ui, setter);
                });
            }
        }
    }
}

impl StripPage {
    /// The output's goniometer and correlation meter, with the Mono switch to listen to the
    /// fold-down.
    fn stereo_meters(&mut self, ui: &mut Ui, setter: &ParamSetter) {
        let [l, r] = &mut self.scope;
        self.meters.scope_left.read_latest(l);
        self.meters.scope_right.read_latest(r);
        goniometer(ui, 96.0, l, r);
        ui.vertical(|ui| {
            let correlation = self.meters.correlation.load(Ordering::Relaxed);
            let balance = self.meters.balance_db.load(Ordering::Relaxed);
            correlation_meter(ui, correlation, balance, 190.0);
            toggle(ui, &self.params.stereo.mono, setter, "Mono")
                .on_hover_text("Listen to the output summed to mono");
        });
    }
}

/// Orders a quad so it is convex for egui (a strip under a curve can cross the zero line).
fn order_quad(q: [Pos2; 4]) -> Vec<Pos2> {
    // If the curve crosses zero within the strip, the quad self-intersects; draw it as two
    // triangles' hull instead (visually identical at 2-pixel strips).
    let [a, b, c, d] = q;
    if (a.y - d.y).signum() != (b.y - c.y).signum() {
        vec![a, b, c]
    } else {
        vec![a, b, c, d]
    }
}

impl EditorPage for StripPage {
    lathe_ui::page_parts!();

    fn opened(&mut self) {
        self.meters.analyzer_active.store(true, Ordering::Relaxed);
    }

    fn draw(&mut self, ui: &mut Ui, setter: &ParamSetter, dt: f32) {
        let m = self.meters.clone();
        self.input_meter.update(m.io.input.take(), dt);
        self.output_meter.update(m.io.output.take(), dt);
        self.gate.update(m.gate_db.take(), dt);
        self.compressor.update(m.compressor_db.take(), dt);
        self.deesser.update(m.deesser_db.take(), dt);
        let sr = m.io.sample_rate_hz.load(Ordering::Relaxed);
        self.pre.update(&m.pre, sr);
        self.post.update(&m.post, sr);

        let p = self.params.clone();
        ui.horizontal_wrapped(|ui| {
            title(ui, &crate::IDENTITY);
            let menu = PRESETS
                .iter()
                .map(|pr| (pr.name, pr.description, pr.is_active(&p)));
            if let Some(i) = preset_menu_with_user(ui, menu, &mut self.user_presets, &*p, setter) {
                PRESETS[i].apply(&p, setter);
            }
            ui.separator();
            latency_label(ui, &m.io)
                .on_hover_text("Only the saturator's oversampling adds latency");
            ui.separator();
            toggle(ui, &p.io.bypass, setter, "Bypass");
        });
        ui.separator();
        ui.horizontal_top(|ui| {
            peak_meter(ui, &self.input_meter, "IN");
            self.eq_display(ui, setter, lathe_ui::grown(ui, vec2(760.0, 330.0)));
            peak_meter(ui, &self.output_meter, "OUT");
            for (name, b, range) in [
                ("Gate", &self.gate, p.gate.range.value().max(6.0)),
                ("Comp", &self.compressor, 24.0),
                ("De-ess", &self.deesser, p.deess.range.value().max(6.0)),
            ] {
                ui.vertical(|ui| {
                    ui.label(egui::RichText::new(name).small());
                    reduction_meter(ui, b.level_db(), b.hold_db(), range).on_hover_text(format!(
                        "{name} reduction: {:.1} dB (held {:.1} dB)",
                        b.level_db(),
                        b.hold_db()
                    ));
                });
            }
        });
        ui.separator();
        self.page_tabs(ui);
        ui.separator();
        self.page(ui, setter);
    }

    fn closed(&mut self) {
        self.meters.analyzer_active.store(false, Ordering::Relaxed);
    }
}

/// The Channel Strip's page: the module tabs, the EQ display with its analyzer and the meters.
pub(crate) fn page(plugin: &crate::LatheChannelStrip) -> StripPage {
    StripPage {
        user_presets: UserPresets::new(&crate::IDENTITY),
        params: plugin.parts.params.clone(),
        meters: plugin.parts.meters.clone(),
        input_meter: MeterBallistics::default(),
        output_meter: MeterBallistics::default(),
        gate: ReductionBallistics::default(),
        compressor: ReductionBallistics::default(),
        deesser: ReductionBallistics::default(),
        pre: LiveSpectrum::new(ANALYZER_FFT),
        post: LiveSpectrum::new(ANALYZER_FFT),
        selected: 2,
        page: Page::Eq,
        response: None,
        drag: None,
        scope: [vec![0.0; SCOPE_POINTS], vec![0.0; SCOPE_POINTS]],
    }
}
