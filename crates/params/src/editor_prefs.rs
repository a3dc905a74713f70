//! The editor scale (75-200 %) and window size: saved with each instance's state
//! (`IoParams::editor_scale`, `IoParams::editor_size`), and the last ones chosen kept as the
//! user's defaults for new instances in `$XDG_CONFIG_HOME/lathe/editor.json` (default
//! `~/.config/lathe/editor.json`): `{"scale": 1.25, "sizes": {"limiter": [1100, 520]}}`, the
//! scale shared by all four editors, a size per plugin.

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

/// One preferences file (the user's is [`prefs_path`]).
#[derive(Debug, Clone)]
pub struct PrefsFile(pub PathBuf);

impl PrefsFile {
    /// The user's preferences file, or `None` without a config folder.
    pub fn user() -> Option<Self> {
        prefs_path().map(Self)
    }

    /// The preferences as stored (an empty object when the file is missing or corrupt).
    fn read(&self) -> serde_json::Map<String, serde_json::Value> {
        std::fs::read_to_string(&self.0)
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .and_then(|v| match v {
                serde_json::Value::Object(map) => Some(map),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// Changes the preferences, keeping what `change` does not touch.
    fn update(
        &self,
        change: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
    ) -> Result<(), String> {
        if let Some(folder) = self.0.parent() {
            std::fs::create_dir_all(folder).map_err(|e| e.to_string())?;
        }
        let mut prefs = self.read();
        change(&mut prefs);
        let json = serde_json::Value::Object(prefs);
        std::fs::write(&self.0, format!("{json:#}\n"))
            .map_err(|e| format!("{}: {e}", self.0.display()))
    }

    /// The scale stored, or 1 (100 %).
    pub fn scale(&self) -> f32 {
        self.read()
            .get("scale")
            .and_then(|v| v.as_f64())
            .map_or(1.0, |s| clamp_scale(s as f32))
    }

    /// Stores `scale`.
    pub fn remember_scale(&self, scale: f32) -> Result<(), String> {
        self.update(|p| {
            p.insert("scale".into(), serde_json::json!(clamp_scale(scale)));
        })
    }

    /// The size stored for `plugin` (its short name) within the limits of `design`, or `None`.
    pub fn size(&self, plugin: &str, design: [f32; 2]) -> Option<[f32; 2]> {
        let prefs = self.read();
        let size = prefs.get("sizes")?.get(plugin)?.as_array()?;
        let [w, h] = [size.first()?.as_f64()?, size.get(1)?.as_f64()?];
        clamp_size([w as f32, h as f32], design)
    }

    /// Stores `size` for `plugin`.
    pub fn remember_size(&self, plugin: &str, size: [f32; 2]) -> Result<(), String> {
        self.update(|p| {
            let sizes = p.entry("sizes").or_insert_with(|| serde_json::json!({}));
            if !sizes.is_object() {
                *sizes = serde_json::json!({});
            }
            sizes[plugin] = serde_json::json!(size);
        })
    }
}

const NO_CONFIG: &str = "no config folder: neither XDG_CONFIG_HOME nor HOME is set";

/// The user's default scale: the last one chosen in any editor, or 1 (100 %). An unreadable
/// or corrupt file is 100 %.
pub fn default_scale() -> f32 {
    PrefsFile::user().map_or(1.0, |f| f.scale())
}

/// Keeps `scale` as the user's default for new instances (errors are not fatal: the editor
/// only loses the default).
pub fn remember_scale(scale: f32) -> Result<(), String> {
    PrefsFile::user().ok_or(NO_CONFIG)?.remember_scale(scale)
}

/// How far an editor's window may shrink below its design size (the knob rows wrap, the
/// displays shrink), as a factor of each side.
pub const MIN_SIZE_FACTOR: f32 = 0.8;

/// How far it may grow, as a factor of each side.
pub const MAX_SIZE_FACTOR: f32 = 3.0;

/// An editor size in points (at 100 %) within [`MIN_SIZE_FACTOR`] and [`MAX_SIZE_FACTOR`] of
/// `design`, rounded to whole points; `None` for anything that is not a size.
pub fn clamp_size(size: [f32; 2], design: [f32; 2]) -> Option<[f32; 2]> {
    size.iter().all(|v| v.is_finite() && *v > 0.0).then(|| {
        [0, 1].map(|i| {
            size[i]
                .clamp(design[i] * MIN_SIZE_FACTOR, design[i] * MAX_SIZE_FACTOR)
                .round()
        })
    })
}

/// The user's default size of `plugin`'s editor (its short name), points at 100 %: the last
/// one chosen, or `None` (the design size).
pub fn default_size(plugin: &str, design: [f32; 2]) -> Option<[f32; 2]> {
    PrefsFile::user()?.size(plugin, design)
}

/// Keeps `size` as the default size of `plugin`'s editor for new instances (errors are not
/// fatal).
pub fn remember_size(plugin: &str, size: [f32; 2]) -> Result<(), String> {
    PrefsFile::user()
        .ok_or(NO_CONFIG)?
        .remember_size(plugin, size)
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

    #[test]
    fn sizes_are_kept_per_plugin_beside_the_scale() {
        let dir = std::env::temp_dir().join(format!("lathe-prefs-{}", std::process::id()));
        let f = PrefsFile(dir.join("lathe").join("editor.json"));
        let design = [900.0, 470.0];
        assert_eq!(f.size("limiter", design), None, "nothing chosen yet");
        assert_eq!(f.scale(), 1.0);
        f.remember_scale(1.5).unwrap();
        f.remember_size("limiter", [1200.0, 600.0]).unwrap();
        f.remember_size("reference", [1300.0, 800.0]).unwrap();
        assert_eq!(f.scale(), 1.5, "a size keeps the scale");
        assert_eq!(f.size("limiter", design), Some([1200.0, 600.0]));
        f.remember_scale(1.25).unwrap();
        assert_eq!(
            f.size("limiter", design),
            Some([1200.0, 600.0]),
            "a scale keeps the sizes"
        );
        assert_eq!(f.size("reference", [1080.0, 680.0]), Some([1300.0, 800.0]));
        // Out of range or not a size.
        assert_eq!(clamp_size([10.0, 10_000.0], design), Some([720.0, 1410.0]));
        assert_eq!(clamp_size([f32::NAN, 500.0], design), None);
        std::fs::write(&f.0, "{ corrupt").unwrap();
        assert_eq!(f.size("limiter", design), None);
        assert_eq!(f.scale(), 1.0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
