//! Lathe Bus Compressor's editor: presets, a gain-reduction meter and a scrolling history of
//! input, output and gain reduction, the transfer curve with the operating point, in/out
//! meters, and the controls (ratio snaps to 2, 4 and 10; side-chain high-pass quick choices).

use crate::{BusCompressorParams, BusMeters, PRESETS, SC_HPF_CHOICES, snap_ratio};
use lathe_plugin::{HISTORY_SLOTS, HistoryPoint};
use lathe_ui::{
    ACCENT, FrameClock, MeterBallistics, ReductionBallistics, TEXT, apply_theme, create_app_editor,
    enum_combo, history_view, knob, peak_meter, preset_menu, reduction_meter, toggle,
    transfer_curve,
};
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::ParamSetter;
use nice_plug_egui::{EguiEditor, Frame, NiceEguiApp};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Editor width, logical pixels.
pub const WIDTH: u32 = 940;
/// Editor height, logical pixels.
pub const HEIGHT: u32 = 470;

/// Scale of the gain-reduction meter and history, dB.
const GR_RANGE_DB: f32 = 24.0;

/// The bus compressor's editor app.
pub struct BusApp {
    params: Arc<BusCompressorParams>,
    meters: Arc<BusMeters>,
    gui: Option<GuiContext>,
    input_meter: MeterBallistics,
    output_meter: MeterBallistics,
    reduction: ReductionBallistics,
    history: Vec<HistoryPoint>,
    clock: FrameClock,
}

impl BusApp {
    /// The ratio knob, snapping to the classic ratios when dragged near them.
    fn ratio_knob(&self, ui: &mut egui::Ui, setter: &ParamSetter) {
        let ratio = &self.params.ratio;
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
                let hpf = p.sc_hpf.value();
                for hz in SC_HPF_CHOICES {
                    let on = (hpf - hz).abs() < 0.5;
                    if ui
                        .add(egui::Button::new(format!("{hz:.0}")).selected(on).small())
                        .on_hover_text(format!("Side-chain high-pass at {hz:.0} Hz"))
                        .clicked()
                    {
                        setter.begin_set_parameter(&p.sc_hpf);
                        setter.set_parameter(&p.sc_hpf, hz);
                        setter.end_set_parameter(&p.sc_hpf);
                    }
                }
            });
            enum_combo(ui, &p.listen, setter, "Listen");
        });
    }
}

impl NiceEguiApp for BusApp {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        nice_gui_ctx: GuiContext,
        _frame: &mut Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        apply_theme(&egui_ctx);
        self.gui = Some(nice_gui_ctx);
        self.clock.reset();
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut Frame) {
        let dt = self.clock.tick();
        let m = self.meters.clone();
        self.input_meter.update(m.io.input.take(), dt);
        self.output_meter.update(m.io.output.take(), dt);
        self.reduction.update(m.reduction_db.take(), dt);
        m.history.read_latest(&mut self.history);
        let Some(gui) = self.gui.clone() else {
            return;
        };
        let setter = gui.param_setter();
        let p = self.params.clone();
        egui::CentralPanel::default().show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading(egui::RichText::new("Lathe Bus Compressor").color(ACCENT).strong());
                ui.label(format!("v{}", env!("CARGO_PKG_VERSION")));
                ui.separator();
                let active = PRESETS.iter().position(|pr| pr.is_active(&p));
                let menu = PRESETS.iter().map(|pr| (pr.name, pr.description));
                if let Some(i) = preset_menu(ui, menu, active) {
                    PRESETS[i].apply(&p, &setter);
                }
                ui.separator();
                let latency = m.latency_samples.load(Ordering::Relaxed);
                let sr = m.sample_rate_hz.load(Ordering::Relaxed).max(1.0);
                ui.label(format!(
                    "Latency {latency} samples ({:.2} ms)",
                    latency as f32 * 1000.0 / sr
                ));
                ui.separator();
                toggle(ui, &p.compare, &setter, "Compare").on_hover_text(format!(
                    "Honest A/B: the unprocessed signal at the processed signal's loudness ({:+.1} dB now)",
                    m.compare_gain_db.load(Ordering::Relaxed)
                ));
                toggle(ui, &p.io.bypass, &setter, "Bypass");
            });
            ui.separator();
            let settings = p.core_settings().compressor;
            ui.horizontal_top(|ui| {
                peak_meter(ui, &self.input_meter, "IN");
                history_view(
                    ui,
                    &self.history,
                    egui::vec2(420.0, 170.0),
                    settings.threshold_db,
                    GR_RANGE_DB,
                );
                reduction_meter(
                    ui,
                    self.reduction.level_db(),
                    self.reduction.hold_db(),
                    GR_RANGE_DB,
                );
                transfer_curve(
                    ui,
                    egui::vec2(170.0, 170.0),
                    &settings,
                    self.input_meter.level_db(),
                    self.reduction.level_db(),
                );
                peak_meter(ui, &self.output_meter, "OUT");
            });
            ui.separator();
            ui.horizontal(|ui| {
                knob(ui, &p.threshold, &setter, "Threshold");
                self.ratio_knob(ui, &setter);
                knob(ui, &p.knee, &setter, "Knee");
                knob(ui, &p.attack, &setter, "Attack");
                ui.vertical(|ui| {
                    knob(ui, &p.release, &setter, "Release");
                    toggle(ui, &p.auto_release, &setter, "Auto")
                        .on_hover_text("Program-dependent release: fast after peaks, slow after long loud passages");
                });
                knob(ui, &p.range, &setter, "Range");
                ui.vertical(|ui| {
                    knob(ui, &p.makeup, &setter, "Makeup");
                    toggle(ui, &p.auto_makeup, &setter, "Auto");
                });
                knob(ui, &p.mix, &setter, "Mix");
                knob(ui, &p.link, &setter, "Link");
            });
            ui.horizontal(|ui| {
                self.sidechain_panel(ui, &setter);
                ui.separator();
                knob(ui, &p.sc_hpf, &setter, "SC HPF");
                knob(ui, &p.lookahead, &setter, "Lookahead");
                ui.vertical(|ui| {
                    toggle(ui, &p.mid_side, &setter, "Mid/Side");
                    enum_combo(ui, &p.detection, &setter, "");
                });
                ui.separator();
                ui.vertical(|ui| {
                    toggle(ui, &p.clip_on, &setter, "Saturate");
                    enum_combo(ui, &p.clip_character, &setter, "");
                });
                knob(ui, &p.clip_drive, &setter, "Drive");
                ui.separator();
                knob(ui, &p.io.input_gain, &setter, "Input");
                knob(ui, &p.io.output_gain, &setter, "Output");
            });
            if p.compare.value() {
                ui.label(
                    egui::RichText::new(format!(
                        "Compare on: you hear the unprocessed signal, {:+.1} dB to match the processed loudness",
                        m.compare_gain_db.load(Ordering::Relaxed)
                    ))
                    .color(TEXT),
                );
            }
        });
        ui.ctx().request_repaint();
    }

    fn editor_closed(&mut self) {
        self.gui = None;
    }
}

pub(crate) fn create(
    params: Arc<BusCompressorParams>,
    meters: Arc<BusMeters>,
) -> Option<EguiEditor<BusApp>> {
    create_app_editor(
        "Lathe Bus Compressor",
        WIDTH,
        HEIGHT,
        BusApp {
            params,
            meters,
            gui: None,
            input_meter: MeterBallistics::default(),
            output_meter: MeterBallistics::default(),
            reduction: ReductionBallistics::default(),
            history: vec![HistoryPoint::default(); HISTORY_SLOTS],
            clock: FrameClock::default(),
        },
    )
}
