//! The editor shell every Lathe plugin starts from: title bar, input/output trims, bypass and
//! input/output peak meters. Plugins with more controls build their own app and reuse
//! [`io_panel`].

use crate::theme::{ACCENT, apply_theme};
use crate::widgets::{FrameClock, MeterBallistics, knob, peak_meter, toggle};
use lathe_plugin::{IoMeters, IoParams};
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::{ParamSetter, Params};
use nice_plug_egui::{
    EguiEditor, EguiEditorState, EguiNiceSettings, Frame, NiceEguiApp, RepaintNotifier,
    create_egui_editor,
};
use std::sync::Arc;

/// Default editor width in logical pixels.
pub const EDITOR_WIDTH: u32 = 420;
/// Default editor height in logical pixels.
pub const EDITOR_HEIGHT: u32 = 300;

/// Draws the input/output trims, bypass and meters for `io`.
pub fn io_panel(
    ui: &mut egui::Ui,
    io: &IoParams,
    setter: &ParamSetter,
    input_meter: &MeterBallistics,
    output_meter: &MeterBallistics,
) {
    ui.horizontal(|ui| {
        peak_meter(ui, input_meter, "IN");
        ui.vertical(|ui| {
            ui.horizontal(|ui| {
                knob(ui, &io.input_gain, setter, "Input");
                knob(ui, &io.output_gain, setter, "Output");
            });
            ui.add_space(8.0);
            toggle(ui, &io.bypass, setter, "Bypass");
        });
        peak_meter(ui, output_meter, "OUT");
    });
}

/// The shell editor app: a header with the plugin's name and a note, then [`io_panel`].
pub struct ShellApp<P: Params + 'static> {
    params: Arc<P>,
    io: fn(&P) -> &IoParams,
    meters: Arc<IoMeters>,
    title: &'static str,
    note: &'static str,
    gui: Option<GuiContext>,
    input_meter: MeterBallistics,
    output_meter: MeterBallistics,
    clock: FrameClock,
}

impl<P: Params + 'static> NiceEguiApp for ShellApp<P> {
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
        self.input_meter.update(self.meters.input.take(), dt);
        self.output_meter.update(self.meters.output.take(), dt);

        let Some(gui) = self.gui.as_ref() else {
            return;
        };
        let setter = gui.param_setter();
        let io = (self.io)(&self.params);
        egui::CentralPanel::default().show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading(egui::RichText::new(self.title).color(ACCENT).strong());
                ui.label(format!("v{}", env!("CARGO_PKG_VERSION")));
            });
            ui.label(self.note);
            ui.separator();
            io_panel(ui, io, &setter, &self.input_meter, &self.output_meter);
        });
        // Meters move continuously.
        ui.ctx().request_repaint();
    }

    fn editor_closed(&mut self) {
        self.gui = None;
    }
}

/// Creates an egui editor of `width` x `height` logical pixels titled `title` for `app`: the
/// one place the plugins' editors are set up.
pub fn create_app_editor<A: NiceEguiApp + 'static>(
    title: &str,
    width: u32,
    height: u32,
    app: A,
) -> Option<EguiEditor<A>> {
    create_egui_editor(
        EguiEditorState::from_size(
            nice_plug::editor::dpi::LogicalSize::new(width as f64, height as f64),
            1.0,
        ),
        RepaintNotifier::new(),
        EguiNiceSettings::new().with_tile(title),
        app,
    )
}

/// The title bar's preset menu over `(name, description)` pairs: shows the active preset (or
/// "(edited)") and returns the index of the one the user picked, if any.
pub fn preset_menu<'a>(
    ui: &mut egui::Ui,
    presets: impl IntoIterator<Item = (&'a str, &'a str)>,
    active: Option<usize>,
) -> Option<usize> {
    let presets: Vec<(&str, &str)> = presets.into_iter().collect();
    let mut picked = None;
    ui.label("Preset");
    egui::ComboBox::from_id_salt("preset")
        .selected_text(active.map_or("(edited)", |i| presets[i].0))
        .show_ui(ui, |ui| {
            for (i, (name, description)) in presets.iter().enumerate() {
                if ui
                    .selectable_label(active == Some(i), *name)
                    .on_hover_text(*description)
                    .clicked()
                {
                    picked = Some(i);
                }
            }
        });
    picked
}

/// Creates the shell editor for a plugin whose parameters contain an [`IoParams`] reachable
/// through `io`.
pub fn create_editor<P: Params + 'static>(
    params: Arc<P>,
    io: fn(&P) -> &IoParams,
    meters: Arc<IoMeters>,
    title: &'static str,
    note: &'static str,
) -> Option<EguiEditor<ShellApp<P>>> {
    create_app_editor(
        title,
        EDITOR_WIDTH,
        EDITOR_HEIGHT,
        ShellApp {
            params,
            io,
            meters,
            title,
            note,
            gui: None,
            input_meter: MeterBallistics::default(),
            output_meter: MeterBallistics::default(),
            clock: FrameClock::default(),
        },
    )
}
