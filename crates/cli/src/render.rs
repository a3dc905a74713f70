//! `lathe render PLUGIN IN -o OUT [--set ID=VALUE]...`: a file through exactly a plugin's
//! signal path.
//!
//! The plugin's own parameter objects parse the values (so `--set ceiling=-1` means what typing
//! "-1" into the plugin's ceiling field means) and map them to the same `lathe-dsp` chain the
//! plugin runs. The output is latency-compensated (it lines up with the input and has the same
//! length) and written through a temporary file that replaces `OUT` only when everything
//! succeeded, so a failure never leaves a partial file or destroys an existing one.
//!
//! Later plugins join by implementing [`Renderable`] (with their identity from `lathe-identity`)
//! and adding a [`RenderPlugin`] variant.

use crate::{Decoded, decode};
use anyhow::{Context, Result, anyhow, bail};
use lathe_dsp::chains::{ChainSettings, Core, MAX_CHANNELS};
use lathe_dsp::{Block, LoudnessMeter, PluginChain};
use lathe_identity::Identity;
use lathe_params::param_table::{ParamKind, ParamRef, ParamTable};
use nice_plug::prelude::Params;
use std::path::{Path, PathBuf};

/// A plugin the render front end can run: who it is, its parameters and how they map to its
/// chain.
pub trait Renderable {
    /// The plugin's identity (its command-line name is `IDENTITY.short`).
    const IDENTITY: &'static Identity;
    /// Whether it has a sidechain input (`--sidechain`).
    const SIDECHAIN: bool = false;
    /// The plugin's DSP core.
    type Core: Core;
    /// The plugin's parameters (the very type the plugin exposes to hosts).
    type Params: Params + Default;
    /// The chain settings the parameters describe.
    fn settings(params: &Self::Params) -> ChainSettings<<Self::Core as Core>::Settings>;
    /// The factory presets' names and descriptions, in the editor's order.
    fn factory_presets() -> Vec<(&'static str, &'static str)>;
    /// Sets `params` to the factory preset `name` as the editor's preset menu does (on top of
    /// what they hold); `false` if there is none of that name.
    fn apply_factory(params: &Self::Params, name: &str) -> bool;
}

/// A unit type for a plugin whose parameters describe its chain with `settings()`.
macro_rules! renderable {
    ($(#[$doc:meta])* $name:ident: $identity:ident, $core:ty, $params:ty, $presets:expr,
     sidechain: $sidechain:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl Renderable for $name {
            const IDENTITY: &'static Identity = &lathe_identity::$identity;
            const SIDECHAIN: bool = $sidechain;
            type Core = $core;
            type Params = $params;
            fn settings(params: &Self::Params) -> ChainSettings<<Self::Core as Core>::Settings> {
                params.settings()
            }
            fn factory_presets() -> Vec<(&'static str, &'static str)> {
                $presets.iter().map(|p| (p.name, p.description)).collect()
            }
            fn apply_factory(params: &Self::Params, name: &str) -> bool {
                let Some(preset) = $presets.iter().find(|p| p.name.eq_ignore_ascii_case(name))
                else {
                    return false;
                };
                lathe_params::preset::apply_without_host(&preset.all_targets(params));
                true
            }
        }
    };
}

use lathe_dsp::chains::{bus_compressor, channel_strip, limiter};
use lathe_params::{bus_compressor as bus_params, channel_strip as strip_params};

renderable!(
    /// Lathe Limiter.
    Limiter: LIMITER, limiter::LimiterCore, lathe_params::limiter::LimiterParams,
    lathe_params::limiter::PRESETS, sidechain: false
);
renderable!(
    /// Lathe Channel Strip.
    ChannelStrip: CHANNEL_STRIP, channel_strip::ChannelStripCore,
    strip_params::ChannelStripParams, strip_params::PRESETS, sidechain: false
);
renderable!(
    /// Lathe Bus Compressor.
    BusCompressor: BUS_COMPRESSOR, bus_compressor::BusCompressorCore,
    bus_params::BusCompressorParams, bus_params::PRESETS, sidechain: true
);

use lathe_params::user_presets::{self, UserPreset};

/// A preset named on the command line (`--preset`).
#[derive(Debug, Clone)]
pub enum ChosenPreset {
    /// A factory preset, by its name.
    Factory(&'static str),
    /// A user preset (from the presets folder or a file).
    User(UserPreset),
}

/// The folder of plugin `R`'s user presets, or an error saying why there is none.
pub fn user_folder<R: Renderable>() -> Result<PathBuf> {
    user_presets::folder(R::IDENTITY.short)
        .ok_or_else(|| anyhow!("no presets folder: neither XDG_DATA_HOME nor HOME is set"))
}

/// The preset `spec` names for plugin `R`: a `.json` file, else a factory preset, else a user
/// preset of that name (case-insensitive); an error lists the presets there are.
pub fn choose_preset<R: Renderable>(spec: &str) -> Result<ChosenPreset> {
    let path = Path::new(spec);
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        return user_presets::read(path, R::IDENTITY.clap_id)
            .map(ChosenPreset::User)
            .map_err(|e| anyhow!(e));
    }
    let factory = R::factory_presets();
    if let Some((name, _)) = factory.iter().find(|(n, _)| n.eq_ignore_ascii_case(spec)) {
        return Ok(ChosenPreset::Factory(name));
    }
    let folder = user_folder::<R>()?;
    let (found, _) = user_presets::list(&folder, R::IDENTITY.clap_id);
    let wanted = spec.trim().to_lowercase();
    if let Some(f) = found
        .iter()
        .find(|f| f.preset.name.to_lowercase() == wanted)
    {
        return Ok(ChosenPreset::User(f.preset.clone()));
    }
    let names: Vec<String> = factory
        .iter()
        .map(|(n, _)| n.to_string())
        .chain(found.iter().map(|f| f.preset.name.clone()))
        .collect();
    bail!(
        "{} has no preset {spec:?}; its presets are: {} (or give a preset FILE.json)",
        R::IDENTITY.name,
        names.join(", ")
    )
}

/// The chain settings of plugin `R`.
pub type SettingsOf<R> = ChainSettings<<<R as Renderable>::Core as Core>::Settings>;

/// Plugin `R`'s parameters at their defaults with `preset` applied, then `sets` on top; and
/// the preset's warnings (unknown IDs). Unknown IDs and values the plugin would not take in
/// `sets` are refused ([`apply_assignments`]).
pub fn preset_settings<R: Renderable>(
    preset: Option<&ChosenPreset>,
    sets: &[(String, String)],
) -> Result<(SettingsOf<R>, Vec<String>)> {
    let params = R::Params::default();
    let warnings = match preset {
        Some(ChosenPreset::Factory(name)) => {
            R::apply_factory(&params, name);
            Vec::new()
        }
        Some(ChosenPreset::User(p)) => user_presets::apply_without_host(&params, p),
        None => Vec::new(),
    };
    apply_assignments(&params, sets)?;
    Ok((R::settings(&params), warnings))
}

/// Saves plugin `R`'s defaults with `sets` on top as the user preset `name` (a factory
/// preset's name is refused; an existing user preset is replaced only with `overwrite`).
pub fn save_preset<R: Renderable>(
    name: &str,
    sets: &[(String, String)],
    overwrite: bool,
) -> Result<PathBuf> {
    if R::factory_presets()
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
    {
        bail!("{name:?} is a factory preset (read-only): choose another name");
    }
    let params = R::Params::default();
    apply_assignments(&params, sets)?;
    let preset = user_presets::capture(&params, R::IDENTITY.clap_id, name);
    user_presets::save(&user_folder::<R>()?, &preset, overwrite).map_err(|e| {
        if e.contains("exists") {
            anyhow!("{e} (give --force)")
        } else {
            anyhow!(e)
        }
    })
}

/// The plugins `lathe render` knows, named on the command line by their identity's short name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenderPlugin {
    /// Lathe Limiter.
    Limiter,
    /// Lathe Channel Strip.
    ChannelStrip,
    /// Lathe Bus Compressor (takes `--sidechain`).
    BusCompressor,
}

impl RenderPlugin {
    /// Every plugin `lathe render` knows.
    pub const ALL: [RenderPlugin; 3] = [Self::Limiter, Self::ChannelStrip, Self::BusCompressor];

    /// The plugin's identity.
    pub fn identity(self) -> &'static Identity {
        match self {
            Self::Limiter => Limiter::IDENTITY,
            Self::ChannelStrip => ChannelStrip::IDENTITY,
            Self::BusCompressor => BusCompressor::IDENTITY,
        }
    }

    /// Whether it takes `--sidechain`.
    pub fn has_sidechain(self) -> bool {
        match self {
            Self::Limiter => Limiter::SIDECHAIN,
            Self::ChannelStrip => ChannelStrip::SIDECHAIN,
            Self::BusCompressor => BusCompressor::SIDECHAIN,
        }
    }

    /// The short names of the plugins that take `--sidechain`.
    pub fn with_sidechain() -> Vec<&'static str> {
        Self::ALL
            .into_iter()
            .filter(|p| p.has_sidechain())
            .map(|p| p.identity().short)
            .collect()
    }
}

impl clap::ValueEnum for RenderPlugin {
    fn value_variants<'a>() -> &'a [Self] {
        &Self::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let identity = self.identity();
        Some(clap::builder::PossibleValue::new(identity.short).help(identity.description))
    }
}

pub use crate::quantize::{DitherMode, OutputBits, OutputFormat, QuantizeReport};

/// What a render did.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderSummary {
    /// Frames written (equal to the input's).
    pub frames: u64,
    /// Sample rate.
    pub sample_rate_hz: u32,
    /// Channel count.
    pub channels: usize,
    /// Latency the chain had, compensated in the output, samples.
    pub latency_samples: u32,
    /// True peak of the written samples, dBTP.
    pub true_peak_dbtp: f64,
    /// Integrated loudness of the written samples, LUFS.
    pub integrated_lufs: f64,
    /// How the samples were written: format, dither, clipping.
    pub quantize: QuantizeReport,
}

/// Splits `ID=VALUE`.
pub fn parse_assignment(text: &str) -> Result<(String, String)> {
    let (id, value) = text
        .split_once('=')
        .ok_or_else(|| anyhow!("--set expects ID=VALUE, got '{text}'"))?;
    let id = id.trim();
    if id.is_empty() {
        bail!("--set expects ID=VALUE, got '{text}'");
    }
    Ok((id.to_owned(), value.trim().to_owned()))
}

/// Sets parameters by ID from text, as the plugin parses typed-in values. Unknown IDs,
/// unparsable values, switch values other than on/off, true/false, yes/no or 1/0, choices that
/// are not on the parameter's list and numbers outside the parameter's range are errors that
/// say what is accepted: nothing is ever clamped or ignored silently.
pub fn apply_assignments<P: Params>(params: &P, sets: &[(String, String)]) -> Result<()> {
    let table = ParamTable::new(params);
    for (id, text) in sets {
        let Some(param) = table.get(id) else {
            bail!(
                "unknown parameter '{id}'; parameters are: {}",
                table.ids().join(", ")
            );
        };
        let normalized = match param.kind() {
            ParamKind::Bool => switch_value(text)
                .map(|on| if on { 1.0 } else { 0.0 })
                .ok_or_else(|| {
                    anyhow!(
                        "'{text}' is not a value for {id}, which is a switch: use on or off \
                         (or true/false, yes/no, 1/0)"
                    )
                })?,
            ParamKind::Enum => stepped_choice(&param, text).ok_or_else(|| {
                anyhow!(
                    "'{text}' is not a choice for {id}; the choices are: {}",
                    choices(&param).join(", ")
                )
            })?,
            ParamKind::Float | ParamKind::Int => {
                let normalized = param
                    .parse(text)
                    .or_else(|| stepped_choice(&param, text))
                    .ok_or_else(|| {
                        let example = param.text(param.default_normalized(), true);
                        anyhow!("cannot read '{text}' as {id} (for example: {id}={example})")
                    })?;
                check_range(&param, id, text)?;
                normalized
            }
        };
        param.set_normalized(normalized);
    }
    Ok(())
}

/// A switch value as the command line accepts it: on/off, true/false, yes/no, 1/0, any case.
fn switch_value(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Some(true),
        "off" | "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// Every step's text of a stepped parameter.
fn choices(param: &ParamRef) -> Vec<String> {
    let steps = param.step_count().unwrap_or(1);
    (0..=steps)
        .map(|i| param.text(i as f32 / steps.max(1) as f32, true))
        .collect()
}

/// The number a value's text starts with, in the parameter's unit: "30k" and "1.5 kHz" are
/// thousands, "30 L" (pan) is negative. `None` for words such as "Off".
fn leading_number(text: &str) -> Option<f64> {
    let t = text.trim();
    let end = t
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_digit()
                || c == '.'
                || ((c == '-' || c == '+') && i == 0)
                || ((c == 'e' || c == 'E') && i > 0))
        })
        .map_or(t.len(), |(i, _)| i);
    let mut value: f64 = t[..end].parse().ok()?;
    let rest = t[end..].trim_start();
    if rest.starts_with(['k', 'K']) {
        value *= 1000.0;
    } else if rest.eq_ignore_ascii_case("l") {
        value = -value;
    }
    Some(value)
}

/// Refuses a number outside the parameter's range (the plugin's own parser would clamp it).
fn check_range(param: &ParamRef, id: &str, text: &str) -> Result<()> {
    let Some(value) = leading_number(text) else {
        return Ok(());
    };
    let (lo, hi) = (
        param.preview_plain(0.0) as f64,
        param.preview_plain(1.0) as f64,
    );
    let (lo, hi) = (lo.min(hi), lo.max(hi));
    let tolerance = 1e-4 * lo.abs().max(hi.abs()).max(1.0);
    if value < lo - tolerance || value > hi + tolerance {
        let (lo_text, hi_text) = (param.text(0.0, true), param.text(1.0, true));
        bail!("{id}={text} is out of range: {id} takes {lo_text} to {hi_text}");
    }
    Ok(())
}

/// For a stepped parameter (a choice or switch), the step whose text matches `text` ignoring
/// case, or whose text starts with it followed by a space (`18` for "18 dB/oct", `off` for
/// "Off"): on the command line nobody should need the exact capitalisation of a menu entry.
fn stepped_choice(param: &ParamRef, text: &str) -> Option<f32> {
    let steps = param.step_count()?;
    let want = text.trim().to_lowercase();
    (0..=steps).find_map(|i| {
        let normalized = i as f32 / steps.max(1) as f32;
        let name = param.text(normalized, true).to_lowercase();
        let prefix = name
            .strip_prefix(want.as_str())
            .is_some_and(|rest| rest.starts_with(' '));
        (name == want || prefix).then_some(normalized)
    })
}

/// Describes every parameter with its current value, for `--list`.
pub fn describe_parameters<P: Params>(params: &P) -> String {
    let mut out = String::new();
    for param in ParamTable::new(params).iter() {
        let (id, name) = (param.id(), param.name());
        let value = param.text(param.normalized(), true);
        out.push_str(&format!("  {id:<16} {name:<20} {value}\n"));
    }
    out
}

/// Renders `input` through plugin `R` with the given assignments into `output`.
pub fn render<R: Renderable>(
    input: &Path,
    output: &Path,
    sets: &[(String, String)],
    format: OutputFormat,
    progress: impl FnMut(crate::Progress),
) -> Result<RenderSummary> {
    render_keyed::<R>(input, output, None, sets, format, progress)
}

/// [`render`] with a key file fed to the plugin's sidechain input (resampled to the input's
/// rate if it differs, padded with silence if shorter, cut if longer).
pub fn render_keyed<R: Renderable>(
    input: &Path,
    output: &Path,
    key: Option<&Path>,
    sets: &[(String, String)],
    format: OutputFormat,
    progress: impl FnMut(crate::Progress),
) -> Result<RenderSummary> {
    render_preset::<R>(input, output, key, None, sets, format, progress)
}

/// [`render_keyed`] from a preset (then `sets` on top).
pub fn render_preset<R: Renderable>(
    input: &Path,
    output: &Path,
    key: Option<&Path>,
    preset: Option<&ChosenPreset>,
    sets: &[(String, String)],
    format: OutputFormat,
    progress: impl FnMut(crate::Progress),
) -> Result<RenderSummary> {
    let (settings, _) = preset_settings::<R>(preset, sets)?;
    let key = key
        .map(|k| read_key(k).with_context(|| format!("sidechain {}", k.display())))
        .transpose()?;
    render_chain::<R::Core>(input, output, &settings, key, format, progress)
}

pub use lathe_io::{KeyFile, read_key};

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Refuses an output that the write (to a temporary file, renamed over the output at the end)
/// would destroy or that would lie about its format: a name that does not end in `.wav` (FLAC
/// output is not written yet; `-o -` for standard output neither), a directory, a device, FIFO
/// or socket (renaming would replace the node itself, `/dev/null` included), or a folder that
/// does not exist. Messages name the path as the user typed it.
pub fn check_output(output: &Path) -> Result<()> {
    check_output_file(output, "wav", "WAV")
}

/// [`check_output`] for a file of another kind: `extension` is what its name must end in,
/// `kind` how the message names the format (`lathe match --plot` writes PNG).
pub fn check_output_file(output: &Path, extension: &str, kind: &str) -> Result<()> {
    let shown = output.display();
    let named_right = output
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(extension));
    if !named_right {
        bail!("cannot write {shown}: Lathe writes {kind} files here, so name it .{extension}");
    }
    match std::fs::metadata(output) {
        Ok(m) if m.is_dir() => bail!("cannot write {shown}: it is a directory"),
        Ok(m) if !m.is_file() => bail!(
            "cannot write {shown}: it is not a regular file (a device, FIFO or socket), and \
             Lathe only replaces regular files"
        ),
        _ => {}
    }
    if let Some(folder) = output.parent().filter(|p| !p.as_os_str().is_empty())
        && !folder.is_dir()
    {
        bail!(
            "cannot write {shown}: the folder {} does not exist",
            folder.display()
        );
    }
    Ok(())
}

/// Temporary files of renders in progress, for [`remove_partial_files`].
static PARTIAL_FILES: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// A render's temporary file, listed in [`PARTIAL_FILES`] while it exists.
struct PartialFile(PathBuf);

impl PartialFile {
    fn new(path: PathBuf) -> Self {
        PARTIAL_FILES
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(path.clone());
        Self(path)
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        PARTIAL_FILES
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|p| p != &self.0);
    }
}

/// Removes the temporary files of every render in progress. The binary calls it when it is
/// interrupted (Ctrl-C, SIGTERM, SIGHUP), so no `.NAME.partial` is left behind; the outputs
/// themselves are untouched, since a render only replaces its output when it has finished.
pub fn remove_partial_files() {
    for path in PARTIAL_FILES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .drain(..)
    {
        let _ = std::fs::remove_file(path);
    }
}

/// A file written under a temporary name beside its target (`.NAME.partial.EXT`, same
/// extension so writers that go by it still work) and moved into place by
/// [`StagedFile::commit`] once everything else the command was asked for has succeeded.
/// Dropped without a commit (a later step failed) or interrupted, the temporary file is
/// removed and an existing target stays as it was.
pub struct StagedFile {
    partial: PartialFile,
    target: PathBuf,
}

impl StagedFile {
    /// Stages a file for `target`.
    pub fn new(target: &Path) -> Self {
        let ext = target
            .extension()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut temp = temporary_path(target).into_os_string();
        temp.push(format!(".{ext}"));
        Self {
            partial: PartialFile::new(PathBuf::from(temp)),
            target: target.to_owned(),
        }
    }

    /// Where to write the file now.
    pub fn path(&self) -> &Path {
        &self.partial.0
    }

    /// Moves the file into place.
    pub fn commit(self) -> Result<()> {
        std::fs::rename(self.path(), &self.target)
            .with_context(|| format!("cannot write {}", self.target.display()))
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        // After a commit the temporary name no longer exists; otherwise this discards it.
        let _ = std::fs::remove_file(self.path());
    }
}

fn temporary_path(output: &Path) -> PathBuf {
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output.wav".to_owned());
    output.with_file_name(format!(".{name}.partial"))
}

/// Renders through a chain with explicit settings (what [`render`] does after parsing).
pub fn render_chain<C: Core>(
    input: &Path,
    output: &Path,
    settings: &ChainSettings<C::Settings>,
    key: Option<KeyFile>,
    format: OutputFormat,
    progress: impl FnMut(crate::Progress),
) -> Result<RenderSummary> {
    render_chain_with::<C>(input, output, settings, key, format, progress, |_, _| {})
}

/// [`render_chain`] with `setup` run on the new chain (with the input's sample rate) before
/// processing: loads data that is not a setting, such as Lathe Reference's match-EQ kernel.
pub fn render_chain_with<C: Core>(
    input: &Path,
    output: &Path,
    settings: &ChainSettings<C::Settings>,
    key: Option<KeyFile>,
    format: OutputFormat,
    mut progress: impl FnMut(crate::Progress),
    setup: impl FnOnce(&mut PluginChain<C>, u32),
) -> Result<RenderSummary> {
    let mut setup = Some(setup);
    if same_file(input, output) {
        bail!("the output would overwrite the input; choose another -o");
    }
    check_output(output)?;
    let partial = PartialFile::new(temporary_path(output));
    let temp = partial.0.clone();
    let result = (|| -> Result<RenderSummary> {
        let mut state: Option<Render<C>> = None;
        let mut failure: Option<anyhow::Error> = None;
        let mut key = key;
        decode(input, |event| {
            if failure.is_some() {
                return;
            }
            let step = match event {
                Decoded::Info(info) => {
                    progress(crate::Progress::Start {
                        sample_rate_hz: info.sample_rate_hz,
                        expected_frames: info.expected_frames,
                    });
                    let key = key
                        .take()
                        .map(|k| k.at_rate(info.sample_rate_hz))
                        .transpose();
                    key.and_then(|key| {
                        Render::<C>::start(
                            &temp,
                            output,
                            info.sample_rate_hz,
                            info.channels,
                            settings,
                            key,
                            format,
                            setup.take(),
                        )
                    })
                    .map(|r| state = Some(r))
                }
                Decoded::Audio(samples) => match state.as_mut() {
                    Some(r) => {
                        let frames = (samples.len() / r.channels) as u64;
                        progress(crate::Progress::Advance(frames));
                        r.feed(samples)
                    }
                    None => Err(anyhow!("audio before the stream format")),
                },
            };
            if let Err(e) = step {
                failure = Some(e);
            }
        })?;
        if let Some(e) = failure {
            return Err(e);
        }
        let r = state.ok_or_else(|| anyhow!("no audio in the file"))?;
        r.finish()
    })();
    match result {
        Ok(summary) => {
            std::fs::rename(&temp, output)
                .with_context(|| format!("cannot write {}", output.display()))?;
            Ok(summary)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            Err(e)
        }
    }
}

/// Samples per processing block.
const BLOCK: usize = 1024;

struct Render<C: Core> {
    chain: PluginChain<C>,
    writer: hound::WavWriter<std::io::BufWriter<std::fs::File>>,
    quantizer: crate::quantize::Quantizer,
    channels: usize,
    sample_rate_hz: u32,
    latency: u64,
    /// Output frames still to drop at the start (the latency).
    to_skip: u64,
    frames_in: u64,
    planar: Vec<Vec<f32>>,
    meter: LoudnessMeter,
    /// The sidechain signal (at the input's rate), how much of it is used, and a block of it.
    key: Option<Vec<Vec<f32>>>,
    key_pos: usize,
    key_block: Vec<Vec<f32>>,
}

impl<C: Core> Render<C> {
    /// Starts writing to `path` (the temporary file); messages name `shown`, the output as the
    /// user typed it.
    #[allow(clippy::too_many_arguments)]
    fn start(
        path: &Path,
        shown: &Path,
        sample_rate_hz: u32,
        channels: usize,
        settings: &ChainSettings<C::Settings>,
        key: Option<Vec<Vec<f32>>>,
        format: OutputFormat,
        setup: Option<impl FnOnce(&mut PluginChain<C>, u32)>,
    ) -> Result<Self> {
        if channels == 0 || channels > MAX_CHANNELS {
            bail!("{channels} channels: Lathe renders 1 to {MAX_CHANNELS}");
        }
        let mut chain = PluginChain::<C>::new(channels, sample_rate_hz as f64);
        chain.set_settings(settings);
        if let Some(setup) = setup {
            setup(&mut chain, sample_rate_hz);
            chain.set_settings(settings);
        }
        let latency = chain.latency() as u64;
        let quantizer = crate::quantize::Quantizer::new(format, chain.output_word_length());
        let spec = quantizer.spec(channels as u16, sample_rate_hz);
        let writer = hound::WavWriter::create(path, spec)
            .with_context(|| format!("cannot write {}", shown.display()))?;
        Ok(Self {
            chain,
            writer,
            quantizer,
            channels,
            sample_rate_hz,
            latency,
            to_skip: latency,
            frames_in: 0,
            planar: vec![vec![0.0; BLOCK]; channels],
            meter: LoudnessMeter::for_channels(sample_rate_hz as f64, channels),
            key_block: vec![vec![0.0; BLOCK]; key.as_ref().map_or(0, |k| k.len())],
            key,
            key_pos: 0,
        })
    }

    fn feed(&mut self, interleaved: &[f32]) -> Result<()> {
        for block in interleaved.chunks(BLOCK * self.channels) {
            let frames = block.len() / self.channels;
            for (c, plane) in self.planar.iter_mut().enumerate() {
                for (i, s) in plane[..frames].iter_mut().enumerate() {
                    *s = block[i * self.channels + c];
                }
            }
            self.frames_in += frames as u64;
            self.process(frames)?;
        }
        Ok(())
    }

    fn process(&mut self, frames: usize) -> Result<()> {
        {
            let mut parts: Vec<&mut [f32]> =
                self.planar.iter_mut().map(|p| &mut p[..frames]).collect();
            match &self.key {
                Some(key) => {
                    // Past its end the key is silence.
                    for (b, k) in self.key_block.iter_mut().zip(key) {
                        let from = self.key_pos.min(k.len());
                        let to = (self.key_pos + frames).min(k.len());
                        b[..to - from].copy_from_slice(&k[from..to]);
                        b[to - from..frames].fill(0.0);
                    }
                    self.key_pos += frames;
                    let sc: Vec<&[f32]> = self.key_block.iter().map(|b| &b[..frames]).collect();
                    self.chain.process_with_sidechain(&mut parts, Some(&sc));
                }
                None => self.chain.process(&mut parts),
            }
        }
        let skip = (self.to_skip as usize).min(frames);
        self.to_skip -= skip as u64;
        if skip == frames {
            return Ok(());
        }
        let mut out: Vec<&mut [f32]> = self
            .planar
            .iter_mut()
            .map(|p| &mut p[skip..frames])
            .collect();
        // Requantise first: the meter and the summary see exactly the written samples.
        self.quantizer.process(&mut out);
        let out: Vec<&[f32]> = out.into_iter().map(|p| &*p).collect();
        self.meter.process(&out);
        for i in 0..frames - skip {
            for plane in &out {
                self.quantizer.write(&mut self.writer, plane[i])?;
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<RenderSummary> {
        // Flush the audio still inside the chain with silence.
        let mut left = self.latency;
        while left > 0 {
            let frames = (left as usize).min(BLOCK);
            for plane in &mut self.planar {
                plane[..frames].fill(0.0);
            }
            self.process(frames)?;
            left -= frames as u64;
        }
        self.writer.finalize()?;
        let report = self.meter.report();
        Ok(RenderSummary {
            frames: self.frames_in,
            sample_rate_hz: self.sample_rate_hz,
            channels: self.channels,
            latency_samples: self.latency as u32,
            true_peak_dbtp: report.true_peak_dbtp,
            integrated_lufs: report.integrated_lufs,
            quantize: self.quantizer.report(),
        })
    }
}
