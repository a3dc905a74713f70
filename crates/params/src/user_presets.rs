//! User presets: one human-readable JSON file per preset, shared by every host and the `lathe`
//! CLI (the same functions read and write them for the editors' preset menu and for
//! `lathe preset` / `lathe render --preset`).
//!
//! Where: `$XDG_DATA_HOME/lathe/presets/<plugin>/` (default `~/.local/share/lathe/presets/
//! <plugin>/`, the XDG Base Directory Specification's data home), `<plugin>` the plugin's short
//! name (`limiter`, `channel-strip`, ...). The file name is the preset's name made safe for any
//! file system ([`file_name`]): the name itself is kept inside the file.
//!
//! What:
//! ```json
//! {
//!   "format": 1,
//!   "plugin": "audio.lathe.limiter",
//!   "name": "My Master",
//!   "parameters": {
//!     "ceiling": { "value": -1.0, "text": "-1.00 dBTP" },
//!     "oversampling": { "value": 2.0, "text": "4x" }
//!   }
//! }
//! ```
//! Each parameter by its permanent ID with its plain value (a choice's index, a switch's 0/1)
//! and the text the plugin shows for it (for people reading the file; loading uses the value).
//! Loading starts from the defaults: an ID the file does not name stays at its default, an ID
//! the plugin does not know is skipped with a warning, a file of a newer format or of another
//! plugin is refused, a file that is not such JSON is an error naming it (the preset list skips
//! it with that message).

use lathe_plugin::param_table::{ParamRef, ParamTable};
use nice_plug::prelude::Params;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The format this build writes and the newest it reads.
pub const FORMAT: u32 = 1;
/// Parameters a preset neither stores nor changes: the host's bypass switch.
pub const NOT_IN_PRESETS: &[&str] = &["bypass"];
/// Longest file name written, bytes (most file systems allow 255).
const MAX_FILE_NAME_BYTES: usize = 200;

/// One parameter's value in a preset file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredValue {
    /// The plain value: the number in the parameter's unit, a choice's index, a switch's 0/1.
    pub value: f64,
    /// The plugin's text for it, for people reading the file.
    pub text: String,
}

/// A user preset as its file holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserPreset {
    /// Format version ([`FORMAT`]).
    pub format: u32,
    /// The plugin's CLAP ID.
    pub plugin: String,
    /// The name shown in the preset menu.
    pub name: String,
    /// Values by permanent parameter ID.
    pub parameters: BTreeMap<String, StoredValue>,
}

/// A preset file found in a folder.
#[derive(Debug, Clone)]
pub struct Found {
    /// The preset.
    pub preset: UserPreset,
    /// Its file.
    pub path: PathBuf,
}

/// The folder of a plugin's user presets (see the [module documentation](self)), or `None`
/// when neither `XDG_DATA_HOME` nor `HOME` is set.
pub fn folder(plugin_short: &str) -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty() && Path::new(v).is_absolute())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".local").join("share"))
        })?;
    Some(data.join("lathe").join("presets").join(plugin_short))
}

/// The file name for a preset name: letters and digits (any script), space, `-` and `_` as
/// they are, every other character (`/`, `.`, `%`, `\`, `:` ...) as `%XX` per UTF-8 byte, then
/// `.json`. Two names never share a file name; no name makes a hidden file or leaves the folder.
pub fn file_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("a preset needs a name".into());
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(format!(
            "preset name {name:?}: control characters (here U+{:04X}) are not allowed",
            c as u32
        ));
    }
    let mut out = String::with_capacity(name.len() + 5);
    for c in name.chars() {
        if c.is_alphanumeric() || c == ' ' || c == '-' || c == '_' {
            out.push(c);
        } else {
            let mut bytes = [0u8; 4];
            for b in c.encode_utf8(&mut bytes).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    if out.len() > MAX_FILE_NAME_BYTES {
        return Err(format!("preset name {name:?} is too long for a file name"));
    }
    out.push_str(".json");
    Ok(out)
}

/// The preset of `params`' current values for the plugin `plugin_id`, named `name`.
pub fn capture(params: &dyn Params, plugin_id: &str, name: &str) -> UserPreset {
    let table = ParamTable::new(params);
    UserPreset {
        format: FORMAT,
        plugin: plugin_id.to_owned(),
        name: name.trim().to_owned(),
        parameters: table
            .iter()
            .filter(|p| !NOT_IN_PRESETS.contains(&p.id()))
            .map(|p| {
                let n = p.normalized();
                let stored = StoredValue {
                    value: p.preview_plain(n) as f64,
                    text: p.text(n, true),
                };
                (p.id().to_owned(), stored)
            })
            .collect(),
    }
}

/// Writes `preset` into `folder` (created if missing); an existing preset of that name is
/// replaced only with `overwrite`. Returns the file.
pub fn save(folder: &Path, preset: &UserPreset, overwrite: bool) -> Result<PathBuf, String> {
    let path = folder.join(file_name(&preset.name)?);
    if path.exists() && !overwrite {
        return Err(format!(
            "a preset named {:?} exists ({}): overwrite it to replace it",
            preset.name,
            path.display()
        ));
    }
    std::fs::create_dir_all(folder)
        .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    let json = serde_json::to_string_pretty(preset).map_err(|e| e.to_string())? + "\n";
    // Written beside and renamed over: a crash never leaves half a preset.
    let temporary = path.with_extension("json.partial");
    std::fs::write(&temporary, json)
        .and_then(|()| std::fs::rename(&temporary, &path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&temporary);
            format!("cannot write {}: {e}", path.display())
        })?;
    Ok(path)
}

/// Reads a preset file of the plugin `plugin_id`.
pub fn read(path: &Path, plugin_id: &str) -> Result<UserPreset, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    // The version first: a newer file may not parse as this format at all.
    let version: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{shown} is not a preset file: {e}"))?;
    match version.get("format").and_then(|v| v.as_u64()) {
        Some(v) if v > FORMAT as u64 => {
            return Err(format!(
                "{shown} is a preset of format {v}, newer than this Lathe reads ({FORMAT}): \
                 update Lathe to load it"
            ));
        }
        Some(_) => {}
        None => {
            return Err(format!(
                "{shown} is not a preset file: it has no format number"
            ));
        }
    }
    let preset: UserPreset = serde_json::from_value(version)
        .map_err(|e| format!("{shown} is not a preset file: {e}"))?;
    if preset.plugin != plugin_id {
        return Err(format!(
            "{shown} is a preset of {}, not of this plugin ({plugin_id})",
            preset.plugin
        ));
    }
    Ok(preset)
}

/// Every preset file in `folder` of the plugin `plugin_id`, sorted by name (case-insensitive),
/// and a message for each file skipped. A missing folder is no presets.
pub fn list(folder: &Path, plugin_id: &str) -> (Vec<Found>, Vec<String>) {
    let mut found = Vec::new();
    let mut messages = Vec::new();
    let Ok(entries) = std::fs::read_dir(folder) else {
        return (found, messages);
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        match read(&path, plugin_id) {
            Ok(preset) => found.push(Found { preset, path }),
            Err(message) => messages.push(format!("skipped: {message}")),
        }
    }
    found.sort_by_key(|f| f.preset.name.to_lowercase());
    (found, messages)
}

/// The normalized value of `param` whose plain value is `plain` (the inverse of
/// `preview_plain`: the nearest step for stepped parameters, bisection otherwise).
fn normalized_of(param: &ParamRef, plain: f64) -> f32 {
    let plain = plain as f32;
    if let Some(steps) = param.step_count() {
        let steps = steps.max(1);
        return (0..=steps)
            .map(|i| i as f32 / steps as f32)
            .min_by(|&a, &b| {
                let da = (param.preview_plain(a) - plain).abs();
                let db = (param.preview_plain(b) - plain).abs();
                da.total_cmp(&db)
            })
            .unwrap_or(0.0);
    }
    let rising = param.preview_plain(1.0) >= param.preview_plain(0.0);
    let (mut lo, mut hi) = (0.0f32, 1.0f32);
    for _ in 0..40 {
        let mid = 0.5 * (lo + hi);
        if (param.preview_plain(mid) < plain) == rising {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    // A parameter on steps reads a staircase: the value is on whichever side of the last
    // step is closer.
    let error = |n: f32| (param.preview_plain(n) - plain).abs();
    if error(lo) < error(hi) { lo } else { hi }
}

/// The normalized value of every parameter of `params` the preset gives (the defaults for the
/// IDs it does not name; [`NOT_IN_PRESETS`] left out), in the plugin's order, and a warning for each ID the plugin does not
/// know or value out of its range (clamped to the range, said so).
pub fn resolve(params: &dyn Params, preset: &UserPreset) -> (Vec<(String, f32)>, Vec<String>) {
    let table = ParamTable::new(params);
    let mut warnings: Vec<String> = preset
        .parameters
        .keys()
        .filter(|id| table.get(id).is_none())
        .map(|id| format!("preset {:?}: unknown parameter {id:?} ignored", preset.name))
        .collect();
    let values = table
        .iter()
        .filter(|p| !NOT_IN_PRESETS.contains(&p.id()))
        .map(|p| {
            let normalized = match preset.parameters.get(p.id()) {
                Some(stored) if !stored.value.is_finite() => {
                    warnings.push(format!(
                        "preset {:?}: {} is not a number; left at its default",
                        preset.name,
                        p.id()
                    ));
                    p.default_normalized()
                }
                Some(stored) => {
                    let n = normalized_of(&p, stored.value);
                    let back = p.preview_plain(n) as f64;
                    let tolerance = 1e-3 * stored.value.abs().max(1.0);
                    if (back - stored.value).abs() > tolerance && p.step_count().is_none() {
                        warnings.push(format!(
                            "preset {:?}: {}={} is outside its range; set to {}",
                            preset.name,
                            p.id(),
                            stored.value,
                            p.text(n, true)
                        ));
                    }
                    n
                }
                None => p.default_normalized(),
            };
            (p.id().to_owned(), normalized)
        })
        .collect();
    (values, warnings)
}

/// Writes the preset into `params` without a host (the CLI, tests): every parameter it names,
/// the defaults for the rest. Returns the warnings of [`resolve`].
pub fn apply_without_host(params: &dyn Params, preset: &UserPreset) -> Vec<String> {
    let (values, warnings) = resolve(params, preset);
    let table = ParamTable::new(params);
    for (id, normalized) in values {
        if let Some(p) = table.get(&id) {
            p.set_normalized(normalized);
        }
    }
    warnings
}

/// Renames the preset in `path` to `name` (its file follows the new name); refuses a name
/// another preset has.
pub fn rename(path: &Path, plugin_id: &str, name: &str) -> Result<PathBuf, String> {
    let mut preset = read(path, plugin_id)?;
    let folder = path.parent().unwrap_or(Path::new("."));
    let new_path = folder.join(file_name(name)?);
    if new_path != path && new_path.exists() {
        return Err(format!("a preset named {name:?} exists"));
    }
    preset.name = name.trim().to_owned();
    save(folder, &preset, true)?;
    if new_path != path {
        std::fs::remove_file(path).map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
    }
    Ok(new_path)
}

/// Deletes the preset file `path` (after checking it is a preset of `plugin_id`).
pub fn delete(path: &Path, plugin_id: &str) -> Result<(), String> {
    read(path, plugin_id)?;
    std::fs::remove_file(path).map_err(|e| format!("cannot delete {}: {e}", path.display()))
}
