//! The editor scale (75-200 %): saved with each instance's state (`IoParams::editor_scale`),
//! and the last one chosen kept as the user's default for new instances in
//! `$XDG_CONFIG_HOME/lathe/editor.json` (default `~/.config/lathe/editor.json`).

use std::path::PathBuf;

/// The scales the editors offer, as factors of their 100 % size.
pub const SCALES: [f32; 6] = [0.75, 1.0, 1.25, 1.5, 1.75, 2.0];

/// `scale` within 75-200 % (1 for anything that is not a number).
pub fn clamp_scale(scale: f32) -> f32 {
    if scale.is_finite() {
        scale.clamp(SCALES[0], SCALES[SCALES.len() - 1])
    } else {
        1.0
    }
}

/// The offered scale `steps` away from `scale` (Ctrl + mouse wheel: one step per notch).
pub fn step_scale(scale: f32, steps: i32) -> f32 {
    let here = SCALES
        .iter()
        .enumerate()
        .min_by(|a, b| (a.1 - scale).abs().total_cmp(&(b.1 - scale).abs()))
        .map_or(1, |(i, _)| i) as i32;
    SCALES[(here + steps).clamp(0, SCALES.len() as i32 - 1) as usize]
}

/// The preferences file, or `None` without `XDG_CONFIG_HOME` and `HOME`.
pub fn prefs_path() -> Option<PathBuf> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty() && std::path::Path::new(v).is_absolute())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })?;
    Some(config.join("lathe").join("editor.json"))
}

/// The user's default scale: the last one chosen in any editor, or 1 (100 %). An unreadable
/// or corrupt file is 100 %.
pub fn default_scale() -> f32 {
    prefs_path()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|v| v.get("scale")?.as_f64())
        .map_or(1.0, |s| clamp_scale(s as f32))
}

/// Keeps `scale` as the user's default for new instances (errors are not fatal: the editor
/// only loses the default).
pub fn remember_scale(scale: f32) -> Result<(), String> {
    let path = prefs_path().ok_or("no config folder: neither XDG_CONFIG_HOME nor HOME is set")?;
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).map_err(|e| e.to_string())?;
    }
    let json = serde_json::json!({ "scale": clamp_scale(scale) });
    std::fs::write(&path, format!("{json:#}\n")).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_are_clamped_and_stepped() {
        assert_eq!(clamp_scale(5.0), 2.0);
        assert_eq!(clamp_scale(0.1), 0.75);
        assert_eq!(clamp_scale(f32::NAN), 1.0);
        assert_eq!(step_scale(1.0, 1), 1.25);
        assert_eq!(step_scale(1.0, -1), 0.75);
        assert_eq!(step_scale(2.0, 3), 2.0);
        assert_eq!(step_scale(1.3, 0), 1.25);
    }
}
