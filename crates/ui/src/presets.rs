//! The preset menu every editor shows: the factory presets first (read-only), then the user's
//! own presets from the folder every host and the CLI share
//! ([`lathe_params::user_presets`]), with save (a new name, or over an existing one after a
//! confirmation), rename and delete. A user preset loads through the host, one gesture per
//! parameter, starting from the defaults for what it does not name.

use crate::ACCENT;
use lathe_params::param_table::ParamTable;
use lathe_params::user_presets::{self, Found};
use lathe_plugin::Identity;
use nice_plug::prelude::{ParamSetter, Params};
use std::path::PathBuf;

/// What the preset dialog is doing.
#[derive(Debug, Clone, PartialEq)]
enum Dialog {
    Closed,
    /// Saving under the typed name.
    Save,
    /// The typed name exists: replace it?
    Overwrite,
    /// Renaming this file to the typed name.
    Rename(PathBuf),
    /// Deleting this file?
    Delete(PathBuf, String),
}

/// The user-preset state of one editor.
pub struct UserPresets {
    plugin_id: &'static str,
    folder: Option<PathBuf>,
    found: Vec<Found>,
    messages: Vec<String>,
    scanned: bool,
    dialog: Dialog,
    name: String,
    /// What the last action said (a warning, an error, or where it saved).
    status: Option<String>,
}

impl UserPresets {
    /// The user presets of the plugin `identity` (read when the menu first opens).
    pub fn new(identity: &Identity) -> Self {
        Self {
            plugin_id: identity.clap_id,
            folder: user_presets::folder(identity.short),
            found: Vec::new(),
            messages: Vec::new(),
            scanned: false,
            dialog: Dialog::Closed,
            name: String::new(),
            status: None,
        }
    }

    fn rescan(&mut self) {
        if let Some(folder) = &self.folder {
            (self.found, self.messages) = user_presets::list(folder, self.plugin_id);
        }
        self.scanned = true;
    }

    /// The user preset `params` hold now, if any.
    fn active(&self, params: &dyn Params) -> Option<usize> {
        let table = ParamTable::new(params);
        self.found.iter().position(|f| {
            let (values, _) = user_presets::resolve(params, &f.preset);
            values.iter().all(|(id, n)| {
                table
                    .get(id)
                    .is_none_or(|p| (p.normalized() - n).abs() < 1e-4)
            })
        })
    }

    fn load(&mut self, i: usize, params: &dyn Params, setter: &ParamSetter) {
        let (values, warnings) = user_presets::resolve(params, &self.found[i].preset);
        crate::app::set_changed(
            params,
            values.iter().map(|(id, v)| (id.as_str(), *v)),
            setter,
        );
        self.status = (!warnings.is_empty()).then(|| warnings.join("; "));
    }

    fn save(&mut self, params: &dyn Params, overwrite: bool) {
        let Some(folder) = self.folder.clone() else {
            self.status = Some("no presets folder: neither XDG_DATA_HOME nor HOME is set".into());
            return;
        };
        let preset = user_presets::capture(params, self.plugin_id, &self.name);
        match user_presets::save(&folder, &preset, overwrite) {
            Ok(path) => {
                self.status = Some(format!("saved {}", path.display()));
                self.dialog = Dialog::Closed;
            }
            Err(e) if e.contains("exists") && !overwrite => self.dialog = Dialog::Overwrite,
            Err(e) => self.status = Some(e),
        }
        self.rescan();
    }
}

/// The preset menu: factory presets (`(name, description, active)`), then the user presets
/// and the save/rename/delete actions. Returns the factory preset picked (the editor applies
/// it); user presets load here.
pub fn preset_menu_with_user<'a>(
    ui: &mut egui::Ui,
    factory: impl IntoIterator<Item = (&'a str, &'a str, bool)>,
    user: &mut UserPresets,
    params: &dyn Params,
    setter: &ParamSetter,
) -> Option<usize> {
    if !user.scanned {
        user.rescan();
    }
    let factory: Vec<(&str, &str, bool)> = factory.into_iter().collect();
    let active_factory = factory.iter().position(|p| p.2);
    let active_user = active_factory
        .is_none()
        .then(|| user.active(params))
        .flatten();
    let selected = match (active_factory, active_user) {
        (Some(i), _) => factory[i].0.to_owned(),
        (None, Some(i)) => user.found[i].preset.name.clone(),
        (None, None) => "(edited)".to_owned(),
    };
    let mut picked = None;
    let mut load = None;
    let combo = egui::ComboBox::from_id_salt("preset")
        .selected_text(selected)
        .show_ui(ui, |ui| {
            ui.label(egui::RichText::new("Factory").small().color(ACCENT));
            for (i, (name, description, _)) in factory.iter().enumerate() {
                let r = ui.selectable_label(active_factory == Some(i), *name);
                if r.on_hover_text(*description).clicked() {
                    picked = Some(i);
                }
            }
            ui.separator();
            ui.label(egui::RichText::new("User").small().color(ACCENT));
            if user.found.is_empty() {
                ui.label(egui::RichText::new("(none saved yet)").small());
            }
            for (i, f) in user.found.iter().enumerate() {
                let r = ui.selectable_label(active_user == Some(i), &f.preset.name);
                if r.on_hover_text(f.path.display().to_string()).clicked() {
                    load = Some(i);
                }
            }
            for m in &user.messages {
                ui.label(egui::RichText::new(m).small());
            }
        });
    let combo_response = combo
        .response
        .on_hover_text("Preset: factory presets, then your own (saved for every DAW and the CLI)");
    if combo_response.clicked() {
        user.rescan();
    }
    if let Some(i) = load {
        user.load(i, params, setter);
    }
    if ui
        .small_button("Save")
        .on_hover_text(
            "Save the current settings as a user preset (every DAW and the lathe CLI see it)",
        )
        .clicked()
    {
        user.name = active_user.map_or_else(String::new, |i| user.found[i].preset.name.clone());
        user.dialog = Dialog::Save;
    }
    if let Some(i) = active_user {
        let path = user.found[i].path.clone();
        let name = user.found[i].preset.name.clone();
        if ui.small_button("Rename").clicked() {
            user.name = name.clone();
            user.dialog = Dialog::Rename(path.clone());
        }
        if ui.small_button("Delete").clicked() {
            user.dialog = Dialog::Delete(path, name);
        }
    }
    dialog(ui, user, params);
    if let Some(status) = &user.status {
        ui.label(egui::RichText::new(status).small());
    }
    picked
}

/// The save/overwrite/rename/delete dialog, when one is open.
fn dialog(ui: &mut egui::Ui, user: &mut UserPresets, params: &dyn Params) {
    let title = match &user.dialog {
        Dialog::Closed => return,
        Dialog::Save | Dialog::Overwrite => "Save preset",
        Dialog::Rename(_) => "Rename preset",
        Dialog::Delete(..) => "Delete preset",
    };
    let mut close = false;
    egui::Window::new(title)
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::vec2(0.0, 0.0))
        .show(ui.ctx(), |ui| match user.dialog.clone() {
            Dialog::Save => {
                ui.label("Name");
                let edit = ui.text_edit_singleline(&mut user.name);
                let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                ui.horizontal(|ui| {
                    if ui.button("Save").clicked() || enter {
                        user.save(params, false);
                    }
                    close = ui.button("Cancel").clicked();
                });
            }
            Dialog::Overwrite => {
                ui.label(format!(
                    "A preset named \"{}\" exists. Replace it?",
                    user.name
                ));
                ui.horizontal(|ui| {
                    if ui.button("Replace").clicked() {
                        user.save(params, true);
                    }
                    close = ui.button("Cancel").clicked();
                });
            }
            Dialog::Rename(path) => {
                ui.label("New name");
                ui.text_edit_singleline(&mut user.name);
                ui.horizontal(|ui| {
                    if ui.button("Rename").clicked() {
                        match user_presets::rename(&path, user.plugin_id, &user.name) {
                            Ok(_) => close = true,
                            Err(e) => user.status = Some(e),
                        }
                        user.rescan();
                    }
                    close |= ui.button("Cancel").clicked();
                });
            }
            Dialog::Delete(path, name) => {
                ui.label(format!(
                    "Delete the preset \"{name}\"? This cannot be undone."
                ));
                ui.horizontal(|ui| {
                    if ui.button("Delete").clicked() {
                        if let Err(e) = user_presets::delete(&path, user.plugin_id) {
                            user.status = Some(e);
                        }
                        user.rescan();
                        close = true;
                    }
                    close |= ui.button("Cancel").clicked();
                });
            }
            Dialog::Closed => {}
        });
    if close {
        user.dialog = Dialog::Closed;
    }
}
