//! What every Lathe editor shares: the [`EditorShell`] (the window, theme, host context and frame
//! clock, set up in one place) around a plugin's [`EditorPage`], and the title bar's pieces
//! ([`title`], [`preset_menu`], [`latency_label`]).

use crate::history::History;
use crate::theme::{ACCENT, apply_theme};
use crate::widgets::FrameClock;
use crate::window::{EditorGeometry, LatheEditor};
use lathe_params::param_table::ParamTable;
use lathe_plugin::{Identity, IoMeters};
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::{ParamSetter, Params};
use nice_plug_egui::{Frame, NiceEguiApp};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

/// One plugin's editor content; the [`EditorShell`] around it does the rest.
pub trait EditorPage: Send + 'static {
    /// The window opened (the theme is applied).
    fn opened(&mut self) {}

    /// The window closed.
    fn closed(&mut self) {}

    /// The window is closing and the host can still be told things: end what the page has
    /// started (an open gesture).
    fn closing(&mut self, setter: &ParamSetter) {
        let _ = setter;
    }

    /// Draws one frame inside the central panel: `dt` is the time since the previous frame in
    /// seconds (0 on the first), `setter` changes parameters through the host.
    fn draw(&mut self, ui: &mut egui::Ui, setter: &ParamSetter, dt: f32);

    /// What the shell works on: write it with [`page_parts!`](crate::page_parts).
    fn parts(&self) -> PageParts<'_>;
}

/// What the shell needs of a page: the parameters (undo and redo watch them), the A/B slots
/// (saved with the project) and the meters whose hand-shake makes an A/B switch click-free.
pub struct PageParts<'a> {
    /// The plugin's parameters.
    pub params: &'a dyn Params,
    /// Its A/B state (the `ab` field of its `IoParams`).
    pub ab: &'a std::sync::RwLock<lathe_params::AbState>,
    /// Its input/output meters.
    pub io: &'a IoMeters,
    /// Its editor scale (the `editor_scale` field of its `IoParams`).
    pub scale: &'a Arc<atomic_float::AtomicF32>,
    /// Its editor size (the `editor_size` field of its `IoParams`).
    pub size: &'a Arc<std::sync::RwLock<Option<[f32; 2]>>>,
}

/// [`EditorPage::parts`] for a page with `params: Arc<PluginParams>` (nesting `IoParams` as
/// `io`) and `meters: Arc<M>` where `M: AsRef<IoMeters>`.
#[macro_export]
macro_rules! page_parts {
    () => {
        fn parts(&self) -> $crate::PageParts<'_> {
            $crate::PageParts {
                params: &*self.params,
                ab: &self.params.io.ab,
                io: (*self.meters).as_ref(),
                scale: &self.params.io.editor_scale,
                size: &self.params.io.editor_size,
            }
        }
    };
}

/// The A/B buttons' state, for the title bar (in the context's memory).
#[derive(Debug, Clone, Copy, Default)]
struct AbButtons {
    b_active: bool,
}

/// The scale the title bar's menu shows and the one it asks for (in the context's memory).
#[derive(Debug, Clone, Copy, Default)]
struct ScaleMenu {
    scale: f32,
    asked: Option<f32>,
}

fn grow_id() -> egui::Id {
    egui::Id::unique("lathe-grow")
}

/// The size of a page's display drawn `design` large at the editor's design size: it grows
/// (and shrinks) with the window, by as much as the window is larger than its design size, so
/// the rest of the page keeps its size (never below half of `design`).
pub fn grown(ui: &egui::Ui, design: egui::Vec2) -> egui::Vec2 {
    let grow = ui
        .ctx()
        .data(|d| d.get_temp::<egui::Vec2>(grow_id()))
        .unwrap_or_default();
    (design + grow).max(design * 0.5)
}

/// Draws `add` with every display at its design size (what [`grown`] returns inside): for
/// meters placed under a display that already takes the window's growth.
pub fn at_design_size<R>(ui: &mut egui::Ui, add: impl FnOnce(&mut egui::Ui) -> R) -> R {
    let grow = ui
        .ctx()
        .data_mut(|d| d.remove_temp::<egui::Vec2>(grow_id()));
    let r = add(ui);
    if let Some(g) = grow {
        ui.ctx().data_mut(|d| d.insert_temp(grow_id(), g));
    }
    r
}

fn scale_menu_id() -> egui::Id {
    egui::Id::unique("lathe-scale-menu")
}

fn ab_buttons_id() -> egui::Id {
    egui::Id::unique("lathe-ab-buttons")
}

fn ab_request_id() -> egui::Id {
    egui::Id::unique("lathe-ab-request")
}

/// How long the editor waits for the audio thread's silence before switching anyway (the
/// plugin is not processing), s.
const AB_WAIT_S: f64 = 0.25;

/// Whether undo and redo have steps, for the title bar's buttons (in the context's memory).
#[derive(Debug, Clone, Copy, Default)]
struct UndoButtons {
    can_undo: bool,
    can_redo: bool,
}

/// What the title bar's buttons asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
enum UndoRequest {
    Undo,
    Redo,
}

fn undo_buttons_id() -> egui::Id {
    egui::Id::unique("lathe-undo-buttons")
}

fn undo_request_id() -> egui::Id {
    egui::Id::unique("lathe-undo-request")
}

/// Every parameter's normalized value, in the plugin's order.
fn snapshot(params: &dyn Params) -> Vec<f32> {
    ParamTable::new(params)
        .iter()
        .map(|p| p.normalized())
        .collect()
}

/// Sets the named parameters whose values differ through the host, one gesture each: undo,
/// A/B and user presets all change parameters this way.
pub(crate) fn set_changed<'a>(
    params: &dyn Params,
    values: impl IntoIterator<Item = (&'a str, f32)>,
    setter: &ParamSetter,
) {
    let table = ParamTable::new(params);
    for (id, v) in values {
        if let Some(p) = table.get(id).filter(|p| (p.normalized() - v).abs() > 1e-7) {
            p.set_through_host(setter, v);
        }
    }
}

/// Sets the parameters to a [`snapshot`] (undo, redo).
fn restore(params: &dyn Params, values: &[f32], setter: &ParamSetter) {
    let table = ParamTable::new(params);
    let ids: Vec<&str> = table.ids();
    set_changed(params, ids.into_iter().zip(values.iter().copied()), setter);
}

/// The nice-plug egui app every Lathe editor is: theme, host context, frame clock and repaint,
/// around the plugin's [`EditorPage`].
pub struct EditorShell<P: EditorPage> {
    page: P,
    gui: Option<GuiContext>,
    clock: FrameClock,
    history: History,
    /// An A/B action waiting for the audio thread's silence, and since when.
    ab_pending: Option<(crate::ab::AbAction, std::time::Instant)>,
    /// When Ctrl + wheel last stepped the scale.
    scale_stepped: Option<std::time::Instant>,
    /// The instance's scale and size, and the window's.
    pub(crate) geometry: Arc<EditorGeometry>,
    /// The zoom egui had at the end of the previous frame.
    last_zoom: Option<f32>,
    /// The size (points at 100 %) the window and the instance last agreed on.
    size_known: [f32; 2],
    /// The window was resized (by the host or the corner) since its size was last kept.
    resized: bool,
    /// Frames drawn since the window opened.
    frames: u32,
    /// When the scale last changed.
    zoomed_at: Option<std::time::Instant>,
}

/// The page's margin inside the window, points (egui's central panel's).
const PAGE_MARGIN: f32 = 8.0;

/// How long after a scale change the window's size is not taken as the user's, s: the window
/// passes through a frame or two at its old pixel size in the new scale.
const SIZE_SETTLE_S: f64 = 0.3;

/// The shell as nice-plug-egui runs it: shared with the [`LatheEditor`], which makes a new
/// window for it each time the editor opens.
pub(crate) struct ShellApp<P: EditorPage>(pub(crate) Arc<Mutex<EditorShell<P>>>);

impl<P: EditorPage> ShellApp<P> {
    fn with<R>(&self, f: impl FnOnce(&mut EditorShell<P>) -> R) -> Option<R> {
        // A page that panicked once is not drawn again (the lock stays poisoned).
        self.0.lock().ok().map(|mut shell| f(&mut shell))
    }
}

impl<P: EditorPage> NiceEguiApp for ShellApp<P> {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        nice_gui_ctx: GuiContext,
        frame: &mut Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        self.with(|s| s.build(egui_ctx, nice_gui_ctx, frame))
            .unwrap_or(Ok(()))
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut Frame) {
        self.with(|s| s.ui(ui, frame));
    }

    fn resized(&mut self, new_size: nice_plug_egui::baseview::WindowSize) {
        self.with(|s| s.resized(new_size));
    }

    fn editor_closed(&mut self) {
        self.with(|s| s.editor_closed());
    }
}

impl<P: EditorPage> NiceEguiApp for EditorShell<P> {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        nice_gui_ctx: GuiContext,
        _frame: &mut Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        apply_theme(&egui_ctx);
        self.gui = Some(nice_gui_ctx);
        self.clock.reset();
        self.last_zoom = None;
        self.size_known = self.geometry.points();
        self.resized = false;
        self.frames = 0;
        self.zoomed_at = None;
        self.page.opened();
        Ok(())
    }

    fn resized(&mut self, new_size: nice_plug_egui::baseview::WindowSize) {
        let p = new_size.physical;
        self.geometry
            .window_resized(Some(nice_plug::editor::dpi::NativeSize::new(
                p.width, p.height,
            )));
        self.resized = true;
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut Frame) {
        let dt = self.clock.tick();
        let Some(gui) = self.gui.clone() else {
            return;
        };
        let setter = gui.param_setter();
        let (touched, held, undo_key, redo_key) = ui.ctx().input(|i| {
            let touched = i.events.iter().any(|e| {
                matches!(
                    e,
                    egui::Event::PointerButton { .. }
                        | egui::Event::MouseWheel { .. }
                        | egui::Event::Key { .. }
                        | egui::Event::Text(_)
                )
            });
            let z = i.modifiers.command && i.key_pressed(egui::Key::Z);
            (
                touched,
                i.pointer.any_down(),
                z && !i.modifiers.shift,
                z && i.modifiers.shift,
            )
        });
        ui.ctx().data_mut(|d| {
            d.insert_temp(
                undo_buttons_id(),
                UndoButtons {
                    can_undo: self.history.steps().0 > 0,
                    can_redo: self.history.steps().1 > 0,
                },
            )
        });
        self.scale_frame(ui.ctx());
        let b_active = self.page.parts().ab.read().is_ok_and(|s| s.b_active);
        ui.ctx()
            .data_mut(|d| d.insert_temp(ab_buttons_id(), AbButtons { b_active }));
        self.size_frame(ui.ctx(), held);
        let [w, h] = self.geometry.design;
        let grow = ui.ctx().viewport_rect().size() - egui::vec2(w, h);
        ui.ctx().data_mut(|d| d.insert_temp(grow_id(), grow));
        let [min, max] = self.geometry.limits().map(|[w, h]| egui::vec2(w, h));
        nice_plug_egui::resizable_window::ResizableWindow::new("lathe-editor")
            .min_size(min)
            .max_size(max)
            .show(ui, |ui| {
                // Rows wrap at the window's width (a horizontally scrolling area would give
                // them unbounded room and they would never wrap); taller than the window (a
                // narrow window's wrapped rows, a host that forces a size): scroll, never clip.
                // The resizable window spans the whole window: the page keeps a panel's margin.
                egui::ScrollArea::vertical()
                    .auto_shrink(false)
                    .show(ui, |ui| {
                        egui::Frame::NONE
                            .inner_margin(PAGE_MARGIN)
                            .show(ui, |ui| self.page.draw(ui, &setter, dt));
                    });
            });
        if self.ab_frame(ui.ctx(), &setter) {
            // The A/B change is not an undo step: it becomes the baseline.
            self.history
                .observe(&snapshot(self.page.parts().params), false);
            ui.ctx().request_repaint();
            return;
        }
        let clicked = ui
            .ctx()
            .data_mut(|d| d.remove_temp::<Option<UndoRequest>>(undo_request_id()))
            .flatten();
        let request = match (undo_key, redo_key) {
            (true, _) => Some(UndoRequest::Undo),
            (_, true) => Some(UndoRequest::Redo),
            _ => clicked,
        };
        let values = match request {
            Some(UndoRequest::Undo) => self.history.undo(),
            Some(UndoRequest::Redo) => self.history.redo(),
            None => None,
        };
        if let Some(values) = values {
            restore(self.page.parts().params, &values, &setter);
        } else {
            if touched {
                self.history.touch();
            }
            self.history
                .observe(&snapshot(self.page.parts().params), held);
        }
        ui.ctx().request_repaint();
    }

    fn editor_closed(&mut self) {
        if let Some(gui) = self.gui.take() {
            self.page.closing(&gui.param_setter());
        }
        self.geometry.window_resized(None);
        self.page.closed();
    }
}

impl<P: EditorPage> EditorShell<P> {
    /// The scale: Ctrl + mouse wheel steps it, the title bar's menu sets it; a new scale is
    /// egui's zoom (the window follows), saved with the instance and kept as the user's
    /// default.
    fn scale_frame(&mut self, ctx: &egui::Context) {
        use lathe_params::editor_prefs::{clamp_scale, remember_scale, step_scale};
        let zoom = ctx.zoom_factor();
        // egui turns Ctrl + wheel (and pinch) into a zoom delta.
        let wheel = ctx.input(|i| {
            let z = i.zoom_delta();
            if z > 1.0 {
                1
            } else if z < 1.0 {
                -1
            } else {
                0
            }
        });
        let asked = ctx
            .data_mut(|d| d.get_temp::<ScaleMenu>(scale_menu_id()))
            .and_then(|m| m.asked);
        // One step per wheel gesture: the zoom delta of one notch can span a few frames.
        let now = std::time::Instant::now();
        let recent = self
            .scale_stepped
            .is_some_and(|t| now.duration_since(t).as_secs_f64() < 0.15);
        let wanted = match (wheel, asked) {
            (0, Some(s)) => Some(clamp_scale(s)),
            (0, None) => None,
            (_, _) if recent => None,
            (steps, _) => {
                self.scale_stepped = Some(now);
                Some(step_scale(zoom, steps))
            }
        };
        let stored = self.page.parts().scale.load(Ordering::Relaxed);
        // The user's choice: the menu, the wheel, or egui's own Ctrl +/- zoom.
        let egui_zoomed = self.last_zoom.is_some_and(|z| (z - zoom).abs() > 1e-3);
        let chosen = wanted.or_else(|| egui_zoomed.then(|| clamp_scale(zoom)));
        // The instance's scale changed under an open window (the host loaded a state).
        let loaded = ((zoom - stored).abs() > 1e-3).then(|| clamp_scale(stored));
        if let Some(s) = chosen.or(loaded) {
            ctx.set_zoom_factor(s);
            self.zoomed_at = Some(std::time::Instant::now());
            self.page.parts().scale.store(s, Ordering::Relaxed);
        }
        if let Some(s) = chosen {
            // Only the user's choices become the default for new instances.
            let _ = remember_scale(s);
        }
        let shown = chosen.or(loaded).unwrap_or(zoom);
        self.last_zoom = Some(shown);
        ctx.data_mut(|d| {
            d.insert_temp(
                scale_menu_id(),
                ScaleMenu {
                    scale: shown,
                    asked: None,
                },
            )
        });
    }

    /// The window's size: a new size (the corner, or the host) is kept in the instance and as
    /// the user's default once the mouse is up; a new size in the instance (the host loaded a
    /// state) resizes the window. Only a resize event makes a new size: egui's first frames
    /// after opening do not know the window's size yet.
    fn size_frame(&mut self, ctx: &egui::Context, held: bool) {
        self.frames = self.frames.saturating_add(1);
        let target = self.geometry.points();
        if target != self.size_known {
            self.size_known = target;
            self.resized = false;
            ctx.send_viewport_cmd(egui::ViewportCommand::InnerSize(egui::vec2(
                target[0], target[1],
            )));
            return;
        }
        if self.resized && !held && self.frames > 2 {
            let seen = ctx.viewport_rect().size();
            if self.keep_size([seen.x, seen.y]) {
                self.resized = false;
            }
        }
    }

    /// Keeps `seen` (points at 100 %) as the instance's size and the user's default, unless it
    /// is what they hold already; `false` while the scale has just changed (try again later).
    fn keep_size(&mut self, seen: [f32; 2]) -> bool {
        let g = self.geometry.clone();
        let Some(seen) = lathe_params::editor_prefs::clamp_size(seen, g.design) else {
            return true;
        };
        let zooming = self
            .zoomed_at
            .is_some_and(|t| t.elapsed().as_secs_f64() < SIZE_SETTLE_S);
        if zooming {
            return false;
        }
        if seen == self.size_known {
            return true;
        }
        if let Ok(mut size) = g.size.write() {
            *size = Some(seen);
        }
        self.size_known = seen;
        let _ = lathe_params::editor_prefs::remember_size(g.plugin, seen);
        true
    }

    /// Takes the title bar's A/B request and finishes a pending one once the output is silent
    /// (or the plugin is not processing); `true` when the parameters were switched this frame.
    fn ab_frame(&mut self, ctx: &egui::Context, setter: &ParamSetter) -> bool {
        use lathe_plugin::switch::{APPLIED, IDLE, REQUESTED, SILENT};
        use std::sync::atomic::Ordering;
        let request = ctx
            .data_mut(|d| d.remove_temp::<Option<crate::ab::AbAction>>(ab_request_id()))
            .flatten();
        let PageParts { ab: state, io, .. } = self.page.parts();
        if let Some(action) = request.filter(|_| self.ab_pending.is_none()) {
            if action.changes_parameters() {
                io.ab_switch.store(REQUESTED, Ordering::Release);
                self.ab_pending = Some((action, std::time::Instant::now()));
            } else if let Ok(mut s) = state.write() {
                crate::ab::plan(
                    action,
                    crate::ab::slot_values(self.page.parts().params),
                    &mut s,
                );
            }
        }
        let Some((action, since)) = self.ab_pending else {
            return false;
        };
        let silent = io.ab_switch.load(Ordering::Acquire) == SILENT;
        if !silent && since.elapsed().as_secs_f64() < AB_WAIT_S {
            return false;
        }
        let params = self.page.parts().params;
        let values = state
            .write()
            .ok()
            .and_then(|mut s| crate::ab::plan(action, crate::ab::slot_values(params), &mut s));
        if let Some(values) = values {
            crate::ab::apply(params, &values, setter);
        }
        io.ab_switch
            .store(if silent { APPLIED } else { IDLE }, Ordering::Release);
        self.ab_pending = None;
        true
    }
}

/// The title bar's scale menu (75-200 %; Ctrl + mouse wheel steps it too).
fn scale_menu(ui: &mut egui::Ui) {
    let menu = ui
        .ctx()
        .data(|d| d.get_temp::<ScaleMenu>(scale_menu_id()))
        .unwrap_or(ScaleMenu {
            scale: 1.0,
            asked: None,
        });
    let mut asked = None;
    egui::ComboBox::from_id_salt("lathe-scale")
        .width(58.0)
        .selected_text(format!("{:.0} %", menu.scale * 100.0))
        .show_ui(ui, |ui| {
            for s in lathe_params::editor_prefs::SCALES {
                let label = format!("{:.0} %", s * 100.0);
                if ui
                    .selectable_label((s - menu.scale).abs() < 1e-3, label)
                    .clicked()
                {
                    asked = Some(s);
                }
            }
        })
        .response
        .on_hover_text(
            "Editor size (Ctrl + mouse wheel); new instances start at the last one chosen",
        );
    if asked.is_some() {
        ui.ctx()
            .data_mut(|d| d.insert_temp(scale_menu_id(), ScaleMenu { asked, ..menu }));
    }
}

/// The title bar's A/B buttons: A and B (the one heard selected), and the copy between them.
fn ab_buttons(ui: &mut egui::Ui) {
    use crate::ab::AbAction;
    let b_active = ui
        .ctx()
        .data(|d| d.get_temp::<AbButtons>(ab_buttons_id()))
        .unwrap_or_default()
        .b_active;
    let mut request = None;
    for (name, is_b) in [("A", false), ("B", true)] {
        let hint = format!(
            "Hear slot {name} (the other slot keeps its settings; both are saved with the project)"
        );
        if ui
            .add(egui::Button::new(name).small().selected(b_active == is_b))
            .on_hover_text(hint)
            .clicked()
            && b_active != is_b
        {
            request = Some(AbAction::Switch);
        }
    }
    let (heard, other) = if b_active { ("B", "A") } else { ("A", "B") };
    if ui
        .small_button(format!("{heard}>{other}"))
        .on_hover_text(format!(
            "Copy slot {heard} (heard) onto slot {other}; to copy {other} onto {heard}, hear \
             {other} and copy it"
        ))
        .clicked()
    {
        request = Some(AbAction::ActiveToOther);
    }
    if let Some(r) = request {
        ui.ctx()
            .data_mut(|d| d.insert_temp(ab_request_id(), Some(r)));
    }
}

/// The editor for `page`, titled and sized from the plugin's identity and the instance's saved
/// scale and size: the one place the plugins' editor windows are set up. A screenshot can ask
/// for a scale and a size (points at 100 %) with `LATHE_EDITOR_SCALE` and `LATHE_EDITOR_SIZE`
/// (`WIDTHxHEIGHT`).
pub fn create_editor<P: EditorPage>(
    identity: &'static Identity,
    page: P,
) -> Option<LatheEditor<P>> {
    let parts = page.parts();
    if let Some(scale) = std::env::var("LATHE_EDITOR_SCALE")
        .ok()
        .and_then(|s| s.parse::<f32>().ok())
    {
        parts.scale.store(
            lathe_params::editor_prefs::clamp_scale(scale),
            Ordering::Relaxed,
        );
    }
    if let Some(size) = std::env::var("LATHE_EDITOR_SIZE").ok().and_then(|s| {
        let (w, h) = s.split_once('x')?;
        Some([w.parse::<f32>().ok()?, h.parse::<f32>().ok()?])
    }) && let Ok(mut stored) = parts.size.write()
    {
        *stored = Some(size);
    }
    let geometry = Arc::new(crate::window::geometry(identity, parts));
    let size_known = geometry.points();
    Some(LatheEditor::new(
        identity,
        EditorShell {
            page,
            gui: None,
            clock: FrameClock::default(),
            history: History::default(),
            ab_pending: None,
            scale_stepped: None,
            geometry,
            last_zoom: None,
            size_known,
            resized: false,
            frames: 0,
            zoomed_at: None,
        },
    ))
}

/// The title bar's start: the plugin's name, the version and a separator.
pub fn title(ui: &mut egui::Ui, identity: &Identity) {
    // The version on hover: the title bar needs its room for the buttons.
    ui.heading(egui::RichText::new(identity.name).color(ACCENT).strong())
        .on_hover_text(format!("{} v{}", identity.name, env!("CARGO_PKG_VERSION")));
    let buttons = ui
        .ctx()
        .data(|d| d.get_temp::<UndoButtons>(undo_buttons_id()))
        .unwrap_or_default();
    let mut request = None;
    if ui
        .add_enabled(buttons.can_undo, egui::Button::new("Undo").small())
        .on_hover_text("Undo the last change made in this editor (Ctrl+Z)")
        .clicked()
    {
        request = Some(UndoRequest::Undo);
    }
    if ui
        .add_enabled(buttons.can_redo, egui::Button::new("Redo").small())
        .on_hover_text("Redo what was undone (Ctrl+Shift+Z)")
        .clicked()
    {
        request = Some(UndoRequest::Redo);
    }
    if let Some(r) = request {
        ui.ctx()
            .data_mut(|d| d.insert_temp(undo_request_id(), Some(r)));
    }
    ui.separator();
    ab_buttons(ui);
    scale_menu(ui);
    ui.separator();
}

/// "Latency N samples (x.xx ms)": the latency and sample rate the plugin's runner reports.
pub fn latency_label(ui: &mut egui::Ui, meters: &IoMeters) -> egui::Response {
    let latency_samples = meters.latency_samples.load(Ordering::Relaxed);
    let sample_rate_hz = meters.sample_rate_hz.load(Ordering::Relaxed);
    // Short, for the title bar; the samples on hover.
    ui.label(format!(
        "Latency {:.2} ms",
        latency_samples as f32 * 1000.0 / sample_rate_hz.max(1.0)
    ))
    .on_hover_text(format!(
        "{latency_samples} samples at {sample_rate_hz:.0} Hz, reported to the host"
    ))
}
