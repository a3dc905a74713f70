//! What every Lathe editor shares: [`create_app_editor`], the one place an editor window is set
//! up, and the title bar's [`preset_menu`].

use nice_plug_egui::{
    EguiEditor, EguiEditorState, EguiNiceSettings, NiceEguiApp, RepaintNotifier, create_egui_editor,
};

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
