//! Lathe Bus Compressor's editor: presets, a gain-reduction meter and a scrolling history of
//! input, output and gain reduction, the transfer curve with the operating point, in/out
//! meters, and the controls (ratio snaps to 2, 4 and 10; side-chain high-pass quick choices);
//! under them the multiband strip: switch, phase, band count, a tab per band with its solo
//! and bypass, and the chosen band's controls.
//!
//! In multiband mode the history gives way to the band display: the live input spectrum, each
//! band's response in its colour lowered by its gain reduction, the reduction as a band-coloured
//! fill from the top, and the crossovers as handles to drag (Shift: finer); a click picks the
//! band whose controls and transfer curve are shown.

use crate::{BusCompressorParams, BusMeters, PRESETS, SC_HPF_CHOICES, snap_ratio};
use egui::{Color32, Sense, Shape, Stroke, pos2};
use lathe_dsp::chains::bus_compressor::BusCompressorCore;
use lathe_dsp::dynamics::multiband::{BandShapes, MAX_BANDS, ordered_crossovers};
use lathe_ui::{
    BACKGROUND, EditorPage, FreqPlot, GainMeters, LiveSpectrum, ReductionBallistics, TEXT,
    UserPresets, enum_combo, history_view, knob, latency_label, peak_meter, preset_menu_with_user,
    reduction_meter, title, toggle, transfer_curve,
};
use nice_plug::prelude::{BoolParam, FloatParam, ParamSetter};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Scale of the gain-reduction meter and history, dB.
const GR_RANGE_DB: f32 = 24.0;
/// The band display's level range, dBFS (bottom; the top is 0).
const SPECTRUM_FLOOR_DB: f32 = -84.0;
/// FFT size of the band display's spectrum.
const SPECTRUM_FFT: usize = 8192;
/// The bands' colours, lowest first.
const BAND_COLOURS: [Color32; MAX_BANDS] = lathe_ui::BAND_COLOURS;
/// The bands' names, lowest first.
const BAND_NAMES: [&str; MAX_BANDS] = ["Low", "Low Mid", "High Mid", "High"];
/// Pixels either side of a crossover line that grab it.
const GRAB_PX: f32 = 6.0;

/// The crossover parameters, lowest first.
fn crossover_params(p: &BusCompressorParams) -> [&FloatParam; MAX_BANDS - 1] {
    [&p.mb_xover_1, &p.mb_xover_2, &p.mb_xover_3]
}

/// The bus compressor's editor page.
pub struct BusPage {
    /// The user presets of the preset menu.
    user_presets: UserPresets,
    params: Arc<BusCompressorParams>,
    meters: Arc<BusMeters>,
    gain: GainMeters,
    /// The multiband band whose controls are shown (0 = lowest).
    band: usize,
    /// Each band's gain reduction, as the band display shows it.
    band_gr: [ReductionBallistics; MAX_BANDS],
    /// The input spectrum under the bands.
    spectrum: LiveSpectrum,
    /// The crossover being dragged and where it is, log2(Hz) (fine drags accumulate).
    drag: Option<(usize, f32)>,
    /// The screenshot build's multiband preset is still to be loaded.
    demo: bool,
}

impl BusPage {
    /// The ratio knob, snapping to the classic ratios when dragged near them.
    fn ratio_knob(&self, ui: &mut egui::Ui, setter: &ParamSetter) {
        let ratio = &self.params.comp.ratio;
        let response = knob(ui, ratio, setter, "Ratio")
            .on_hover_text("Snaps to 2:1, 4:1 and 10:1; hold Shift for fine moves");
        if response.dragged() && !ui.input(|i| i.modifiers.shift) {
            let v = ratio.value();
            let snapped = snap_ratio(v);
            if snapped != v {
                setter.set_parameter(ratio, snapped);
            }
        }
    }

    fn sidechain_panel(&self, ui: &mut egui::Ui, setter: &ParamSetter) {
        let p = &self.params;
        ui.vertical(|ui| {
            ui.label(egui::RichText::new("Sidechain").strong());
            enum_combo(ui, &p.sc_source, setter, "")
                .on_hover_text("External listens to the plugin's sidechain input; without a connection the signal keys itself");
            ui.horizontal(|ui| {
                let hpf = p.comp.sc_hpf.value();
                for hz in SC_HPF_CHOICES {
                    let on = (hpf - hz).abs() < 0.5;
                    if ui
                        .add(egui::Button::new(format!("{hz:.0}")).selected(on).small())
                        .on_hover_text(format!("Side-chain high-pass at {hz:.0} Hz"))
                        .clicked()
                    {
                        setter.begin_set_parameter(&p.comp.sc_hpf);
                        setter.set_parameter(&p.comp.sc_hpf, hz);
                        setter.end_set_parameter(&p.comp.sc_hpf);
                    }
                }
            });
            enum_combo(ui, &p.listen, setter, "Listen");
        });
    }
}

impl BusPage {
    /// The band display (see the [module documentation](self)).
    fn band_display(&mut self, ui: &mut egui::Ui, setter: &ParamSetter, size: egui::Vec2) {
        let p = self.params.clone();
        let sr = self.meters.io.sample_rate_hz.load(Ordering::Relaxed) as f64;
        let bands = p.mb_bands.value().clamp(2, MAX_BANDS as i32) as usize;
        let asked = crossover_params(&p).map(|x| x.value());
        let crossovers = ordered_crossovers(bands, &asked);
        let shapes = BandShapes::new(bands, &asked, sr);
        let (rect, response) = ui.allocate_exact_size(size, Sense::click_and_drag());
        let plot = FreqPlot::new(rect, SPECTRUM_FLOOR_DB, 0.0);
        let painter = ui.painter_at(rect);
        plot.draw_grid(&painter, 12.0, |db| format!("{db:.0}"));
        painter.extend(self.spectrum.shapes(
            &plot,
            Some(Color32::from_gray(60)),
            Stroke::new(1.0, Color32::from_gray(120)),
        ));
        // Band edges on screen: the plot's ends and the crossovers.
        let mut edges = [rect.left(); MAX_BANDS + 1];
        for (e, &f) in edges[1..].iter_mut().zip(&crossovers[..bands - 1]) {
            *e = plot.x(f as f32);
        }
        edges[bands] = rect.right();
        let gr_scale = rect.height() / GR_RANGE_DB;
        for b in 0..bands {
            let colour = BAND_COLOURS[b];
            let (left, right) = (edges[b], edges[b + 1]);
            if b == self.band {
                let span = egui::Rect::from_x_y_ranges(left..=right, rect.y_range());
                painter.rect_filled(span, 0.0, colour.gamma_multiply(0.08));
            }
            // Gain reduction: a fill from the top, GR_RANGE_DB the whole height.
            let gr = self.band_gr[b].level_db().min(GR_RANGE_DB);
            if gr > 0.05 {
                let fill = egui::Rect::from_x_y_ranges(
                    left..=right,
                    rect.top()..=rect.top() + gr * gr_scale,
                );
                painter.rect_filled(fill, 0.0, colour.gamma_multiply(0.35));
            }
            // The band's response, lowered by its reduction.
            let points: Vec<_> = plot
                .frequencies(rect.width() as usize / 3)
                .map(|hz| {
                    let mag = shapes.magnitude(b, hz as f64);
                    let db = 20.0 * mag.max(1e-9).log10() as f32 - gr;
                    plot.point(hz, db)
                })
                .collect();
            painter.add(Shape::line(points, Stroke::new(1.5, colour)));
            let band = p.bands()[b];
            let flags = match (band.solo.value(), band.bypass.value()) {
                (true, _) => " S",
                (_, true) => " B",
                _ => "",
            };
            painter.text(
                pos2(0.5 * (left + right), rect.bottom() - 14.0),
                egui::Align2::CENTER_CENTER,
                format!("{}{flags}  -{gr:.1} dB", BAND_NAMES[b]),
                egui::FontId::proportional(11.0),
                colour,
            );
        }
        // Crossover handles.
        let hover = response.hover_pos();
        let near = |x: f32| (1..bands).find(|&k| (edges[k] - x).abs() <= GRAB_PX);
        for (k, &x) in edges.iter().enumerate().take(bands).skip(1) {
            let hot =
                self.drag.map(|d| d.0) == Some(k - 1) || hover.and_then(|h| near(h.x)) == Some(k);
            let stroke = Stroke::new(if hot { 2.5 } else { 1.5 }, TEXT.gamma_multiply(0.8));
            painter.line_segment([pos2(x, rect.top()), pos2(x, rect.bottom())], stroke);
            let handle =
                egui::Rect::from_center_size(pos2(x, rect.top() + 8.0), egui::vec2(10.0, 14.0));
            painter.rect_filled(handle, 2.0, if hot { TEXT } else { lathe_ui::DIM_TEXT });
            painter.text(
                pos2(x + 7.0, rect.top() + 8.0),
                egui::Align2::LEFT_CENTER,
                crossover_params(&p)[k - 1].to_string(),
                egui::FontId::proportional(10.0),
                TEXT,
            );
        }
        if response.drag_started()
            && let Some(k) = response.interact_pointer_pos().and_then(|pos| near(pos.x))
        {
            let param = crossover_params(&p)[k - 1];
            setter.begin_set_parameter(param);
            self.drag = Some((k - 1, (crossovers[k - 1] as f32).log2()));
        }
        if let Some((k, at)) = self.drag {
            let param = crossover_params(&p)[k];
            // Pixels to octaves across the plot; Shift ten times finer.
            let octaves = (plot.max_hz / plot.min_hz).log2() / rect.width();
            let fine = if ui.input(|i| i.modifiers.shift) {
                0.1
            } else {
                1.0
            };
            let at = at + response.drag_delta().x * octaves * fine;
            setter.set_parameter(param, 2f32.powf(at));
            self.drag = Some((k, at));
            if response.drag_stopped() || !response.dragged() {
                setter.end_set_parameter(param);
                self.drag = None;
            }
        } else if response.clicked()
            && let Some(pos) = response.interact_pointer_pos()
        {
            self.band = (0..bands)
                .find(|&b| pos.x < edges[b + 1])
                .unwrap_or(bands - 1);
        }
        let tip = if near(hover.map_or(f32::NAN, |h| h.x)).is_some() {
            "Drag the crossover (Shift: finer); they stay in order and a third of an octave apart"
        } else {
            "Click a band to show its controls and transfer curve"
        };
        response.on_hover_text(tip);
    }

    /// The multiband controls: the switch, the band count and crossovers, then one band's
    /// controls at a time, chosen on its tab.
    fn multiband_strip(&mut self, ui: &mut egui::Ui, setter: &ParamSetter) {
        let p = self.params.clone();
        let bands = p.mb_bands.value().clamp(2, 4) as usize;
        self.band = self.band.min(bands - 1);
        ui.horizontal_wrapped(|ui| {
            ui.vertical(|ui| {
                toggle(ui, &p.mb_on, setter, "Multiband").on_hover_text(
                    "Bands, each with its own compressor; the controls above act on every band",
                );
                enum_combo(ui, &p.mb_phase, setter, "").on_hover_text(
                    "Minimum: Linkwitz-Riley crossovers, no latency. Linear: linear-phase crossovers, the bands sum to the input exactly, about 170 ms of latency",
                );
                ui.horizontal(|ui| {
                    ui.label("Bands");
                    for n in 2..=MAX_BANDS as i32 {
                        let on = p.mb_bands.value() == n;
                        let r = ui.add(egui::Button::new(n.to_string()).selected(on).small());
                        if r.on_hover_text(format!("{n} bands")).clicked() {
                            setter.begin_set_parameter(&p.mb_bands);
                            setter.set_parameter(&p.mb_bands, n);
                            setter.end_set_parameter(&p.mb_bands);
                        }
                    }
                });
            });
            ui.separator();
            // One row per band: its tab, then solo and bypass.
            egui::Grid::new("bands")
                .min_col_width(0.0)
                .spacing(egui::vec2(3.0, 2.0))
                .show(ui, |ui| {
                    for (k, band) in p.bands().into_iter().enumerate().take(bands) {
                        // Dark text on the selected (accent) pill, the band's colour otherwise.
                        let colour = if self.band == k {
                            BACKGROUND
                        } else {
                            BAND_COLOURS[k]
                        };
                        let name = egui::RichText::new(BAND_NAMES[k]).color(colour);
                        if ui.selectable_label(self.band == k, name).clicked() {
                            self.band = k;
                        }
                        small_toggle(ui, &band.solo, setter, "S", "Solo: play the soloed bands only");
                        small_toggle(ui, &band.bypass, setter, "B", "Bypass: pass this band without gain reduction");
                        ui.end_row();
                    }
                });
            let band = p.bands()[self.band];
            let controls = [
                (&band.threshold, "Threshold"),
                (&band.ratio, "Ratio"),
                (&band.knee, "Knee"),
                (&band.attack, "Attack"),
                (&band.release, "Release"),
                (&band.makeup, "Makeup"),
            ];
            for (param, label) in controls {
                knob(ui, param, setter, label);
            }
        });
    }
}

/// A small on/off button for a band's flag; one host gesture per click.
fn small_toggle(
    ui: &mut egui::Ui,
    param: &BoolParam,
    setter: &ParamSetter,
    label: &str,
    tip: &str,
) -> egui::Response {
    let on = param.value();
    let response = ui
        .add(egui::Button::new(label).selected(on).small())
        .on_hover_text(tip);
    if response.clicked() {
        setter.begin_set_parameter(param);
        setter.set_parameter(param, !on);
        setter.end_set_parameter(param);
    }
    response
}

impl EditorPage for BusPage {
    lathe_ui::page_parts!();

    fn opened(&mut self) {
        self.meters.analyzer_active.store(true, Ordering::Relaxed);
    }

    fn closed(&mut self) {
        self.meters.analyzer_active.store(false, Ordering::Relaxed);
    }

    fn draw(&mut self, ui: &mut egui::Ui, setter: &ParamSetter, dt: f32) {
        let m = self.meters.clone();
        self.gain.update(&m.io, &m.reduction_db, &m.history, dt);
        for (b, readout) in self.band_gr.iter_mut().zip(&m.band_reduction_db) {
            b.update(readout.take(), dt);
        }
        let sr = m.io.sample_rate_hz.load(Ordering::Relaxed);
        self.spectrum.update(&m.spectrum, sr);
        let p = self.params.clone();
        if std::mem::take(&mut self.demo)
            && let Some(preset) = PRESETS.iter().find(|pr| pr.name == "Broadcast 4-Band")
        {
            preset.apply(&p, setter);
            self.band = 1;
        }
        ui.horizontal_wrapped(|ui| {
                title(ui, &crate::IDENTITY);
                let menu = PRESETS.iter().map(|pr| (pr.name, pr.description, pr.is_active(&p)));
                if let Some(i) = preset_menu_with_user(ui, menu, &mut self.user_presets, &*p, setter) {
                    PRESETS[i].apply(&p, setter);
                }
                ui.separator();
                latency_label(ui, &m.io);
                ui.separator();
                toggle(ui, &p.compare, setter, "Compare").on_hover_text(format!(
                    "Honest A/B: the unprocessed signal at the processed signal's loudness ({:+.1} dB now)",
                    m.compare_gain_db.load(Ordering::Relaxed)
                ));
                toggle(ui, &p.io.bypass, setter, "Bypass");
            });
        ui.separator();
        let core = p.core_settings();
        let multiband = core.multiband_enabled;
        let bands = p.mb_bands.value().clamp(2, MAX_BANDS as i32) as usize;
        self.band = self.band.min(bands - 1);
        // In multiband mode the transfer curve is the selected band's.
        let (settings, curve_gr) = if multiband {
            let merged = BusCompressorCore::band_settings(&core).band[self.band].compressor;
            (merged, self.band_gr[self.band].level_db())
        } else {
            (core.compressor, self.gain.reduction.level_db())
        };
        ui.horizontal_top(|ui| {
            peak_meter(ui, &self.gain.input, "IN");
            if multiband {
                self.band_display(ui, setter, lathe_ui::grown(ui, egui::vec2(420.0, 170.0)));
            } else {
                history_view(
                    ui,
                    &self.gain.history,
                    lathe_ui::grown(ui, egui::vec2(420.0, 170.0)),
                    settings.threshold_db,
                    GR_RANGE_DB,
                );
            }
            reduction_meter(
                ui,
                self.gain.reduction.level_db(),
                self.gain.reduction.hold_db(),
                GR_RANGE_DB,
            );
            transfer_curve(
                ui,
                egui::vec2(170.0, 170.0),
                &settings,
                self.gain.input.level_db(),
                curve_gr,
            )
            .on_hover_text(if multiband {
                format!("{} band's transfer curve", BAND_NAMES[self.band])
            } else {
                "Transfer curve and operating point".to_owned()
            });
            peak_meter(ui, &self.gain.output, "OUT");
        });
        ui.separator();
        ui.horizontal_wrapped(|ui| {
            knob(ui, &p.comp.threshold, setter, "Threshold");
            self.ratio_knob(ui, setter);
            knob(ui, &p.comp.knee, setter, "Knee");
            knob(ui, &p.comp.attack, setter, "Attack");
            ui.vertical(|ui| {
                knob(ui, &p.comp.release, setter, "Release");
                toggle(ui, &p.auto_release, setter, "Auto").on_hover_text(
                    "Program-dependent release: fast after peaks, slow after long loud passages",
                );
            });
            knob(ui, &p.range, setter, "Range");
            ui.vertical(|ui| {
                knob(ui, &p.comp.makeup, setter, "Makeup");
                toggle(ui, &p.comp.auto_makeup, setter, "Auto");
            });
            knob(ui, &p.comp.mix, setter, "Mix");
            knob(ui, &p.comp.link, setter, "Link");
        });
        ui.horizontal_wrapped(|ui| {
            self.sidechain_panel(ui, setter);
            ui.separator();
            knob(ui, &p.comp.sc_hpf, setter, "SC HPF");
            knob(ui, &p.lookahead, setter, "Lookahead");
            ui.vertical(|ui| {
                toggle(ui, &p.mid_side, setter, "Mid/Side");
                enum_combo(ui, &p.comp.detection, setter, "");
            });
            ui.separator();
            ui.vertical(|ui| {
                toggle(ui, &p.clip_on, setter, "Saturate");
                enum_combo(ui, &p.clip_character, setter, "");
            });
            knob(ui, &p.clip_drive, setter, "Drive");
            ui.separator();
            knob(ui, &p.io.input_gain, setter, "Input");
            knob(ui, &p.io.output_gain, setter, "Output");
        });
        ui.separator();
        self.multiband_strip(ui, setter);
        if p.compare.value() {
            ui.label(
                    egui::RichText::new(format!(
                        "Compare on: you hear the unprocessed signal, {:+.1} dB to match the processed loudness",
                        m.compare_gain_db.load(Ordering::Relaxed)
                    ))
                    .color(TEXT),
                );
        }
    }
}

/// The Bus Compressor's page: controls, the transfer curve and the gain-reduction history.
pub(crate) fn page(plugin: &crate::LatheBusCompressor) -> BusPage {
    BusPage {
        user_presets: UserPresets::new(&crate::IDENTITY),
        params: plugin.parts.params.clone(),
        meters: plugin.parts.meters.clone(),
        gain: GainMeters::default(),
        band: 0,
        band_gr: Default::default(),
        spectrum: LiveSpectrum::new(SPECTRUM_FFT),
        drag: None,
        demo: cfg!(feature = "standalone") && std::env::var_os("LATHE_BUS_DEMO").is_some(),
    }
}
