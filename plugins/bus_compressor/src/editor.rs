//! Lathe Bus Compressor's editor: presets, a gain-reduction meter and a scrolling history of
//! input, output and gain reduction, the transfer curve with the operating point, in/out
//! meters, and the controls (ratio snaps to 2, 4 and 10; side-chain high-pass quick choices);
//! under them the multiband strip: switch, band count, crossovers and one band's controls on
//! tabs.

use crate::{BusCompressorParams, BusMeters, PRESETS, SC_HPF_CHOICES, snap_ratio};
use lathe_ui::{
    EditorPage, GainMeters, TEXT, enum_combo, history_view, knob, latency_label, peak_meter,
    preset_menu, reduction_meter, title, toggle, transfer_curve,
};
use nice_plug::prelude::ParamSetter;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Scale of the gain-reduction meter and history, dB.
const GR_RANGE_DB: f32 = 24.0;

/// The bus compressor's editor page.
pub struct BusPage {
    params: Arc<BusCompressorParams>,
    meters: Arc<BusMeters>,
    gain: GainMeters,
    /// The multiband band whose controls are shown (0 = lowest).
    band: usize,
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
    /// The multiband controls: the switch, the band count and crossovers, then one band's
    /// controls at a time, chosen on its tab.
    fn multiband_strip(&mut self, ui: &mut egui::Ui, setter: &ParamSetter) {
        let p = self.params.clone();
        let bands = p.mb_bands.value().clamp(2, 4) as usize;
        self.band = self.band.min(bands - 1);
        ui.horizontal(|ui| {
            ui.vertical(|ui| {
                toggle(ui, &p.mb_on, setter, "Multiband").on_hover_text(
                    "Linkwitz-Riley bands, each with its own compressor; the controls above act on every band",
                );
                knob(ui, &p.mb_bands, setter, "Bands");
            });
            let crossovers = [&p.mb_xover_1, &p.mb_xover_2, &p.mb_xover_3];
            for (k, xover) in crossovers.into_iter().enumerate().take(bands - 1) {
                knob(ui, xover, setter, &format!("X-Over {}", k + 1))
                    .on_hover_text("Kept in order and at least a third of an octave apart");
            }
            ui.separator();
            ui.vertical(|ui| {
                for (k, band) in p.bands().into_iter().enumerate().take(bands) {
                    let name = ["Low", "Low Mid", "High Mid", "High"][k];
                    let flags = match (band.solo.value(), band.bypass.value()) {
                        (true, _) => " S",
                        (_, true) => " B",
                        _ => "",
                    };
                    if ui
                        .selectable_label(self.band == k, format!("{name}{flags}"))
                        .clicked()
                    {
                        self.band = k;
                    }
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
            ui.vertical(|ui| {
                toggle(ui, &band.solo, setter, "Solo").on_hover_text("Play the soloed bands only");
                toggle(ui, &band.bypass, setter, "Bypass")
                    .on_hover_text("Pass this band without gain reduction");
            });
        });
    }
}

impl EditorPage for BusPage {
    fn draw(&mut self, ui: &mut egui::Ui, setter: &ParamSetter, dt: f32) {
        let m = self.meters.clone();
        self.gain.update(&m.io, &m.reduction_db, &m.history, dt);
        let p = self.params.clone();
        ui.horizontal(|ui| {
                title(ui, &crate::IDENTITY);
                let menu = PRESETS.iter().map(|pr| (pr.name, pr.description, pr.is_active(&p)));
                if let Some(i) = preset_menu(ui, menu) {
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
        let settings = p.core_settings().compressor;
        ui.horizontal_top(|ui| {
            peak_meter(ui, &self.gain.input, "IN");
            history_view(
                ui,
                &self.gain.history,
                egui::vec2(420.0, 170.0),
                settings.threshold_db,
                GR_RANGE_DB,
            );
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
                self.gain.reduction.level_db(),
            );
            peak_meter(ui, &self.gain.output, "OUT");
        });
        ui.separator();
        ui.horizontal(|ui| {
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
        ui.horizontal(|ui| {
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
        params: plugin.parts.params.clone(),
        meters: plugin.parts.meters.clone(),
        gain: GainMeters::default(),
        band: 0,
    }
}
