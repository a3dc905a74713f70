//! The editor window: sized from the instance's saved scale and size, resizable by the host and
//! by its corner, and honest about its size to the host.
//!
//! [`LatheEditor`] wraps nice-plug-egui's editor instead of being it, for two reasons. The
//! instance's scale and size are saved with its state, which the host loads *after* it created
//! the editor, so the egui window state is made from them each time the window opens (an
//! `EguiEditorState` made once at creation would open a project's 150 % editor at the user's
//! default). And nice-plug-egui 0.6's `Editor::size()` leaves the user zoom out until the
//! window's first resize event, so a host that asks for the size of a new 150 % window gets
//! its 100 % size and clips it; [`LatheEditor`] answers from the scale and size it opens with.

use crate::app::{EditorPage, EditorShell, ShellApp};
use atomic_float::AtomicF32;
use lathe_params::editor_prefs::{
    MAX_SIZE_FACTOR, MIN_SIZE_FACTOR, SCALES, clamp_scale, clamp_size, default_size,
};
use lathe_plugin::Identity;
use nice_plug::context::gui::GuiContext;
use nice_plug::editor::dpi::{LogicalSize, NativeSize, Size};
use nice_plug::editor::{
    Editor, EditorHandle, HostMethods, Modifiers, ParentWindowHandle, ResizeHint, SizeConstraints,
    SpawnedEditor, VirtualKeyCode,
};
use nice_plug_egui::{
    EguiEditorHandle, EguiEditorState, EguiNiceSettings, NiceEguiApp, RepaintNotifier,
    create_egui_editor,
};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, RwLock};

/// An editor's size and scale: what the instance saved, and what the window is.
pub struct EditorGeometry {
    /// The plugin's short name (its default size in the preferences) and design size.
    pub(crate) plugin: &'static str,
    /// The 100 % size the pages are laid out for, points.
    pub(crate) design: [f32; 2],
    /// The size a window opens at while the instance has none of its own: the user's last one
    /// for this plugin when the instance was made, else the design size (read once, not at
    /// every frame).
    default: [f32; 2],
    /// The instance's scale (`IoParams::editor_scale`).
    pub(crate) scale: Arc<AtomicF32>,
    /// The instance's size in points at 100 % (`IoParams::editor_size`).
    pub(crate) size: Arc<RwLock<Option<[f32; 2]>>>,
    /// The host's scale (CLAP `gui.set_scale`, VST3 content scale), 1 until it gives one.
    host_scale: AtomicF32,
    /// The open window's size in native pixels, from its last resize event.
    window: Mutex<Option<NativeSize<u32>>>,
}

impl EditorGeometry {
    /// The size the window is laid out at, points at 100 %: the instance's, else the user's
    /// last one for this plugin, else the design size.
    pub fn points(&self) -> [f32; 2] {
        self.size
            .read()
            .ok()
            .and_then(|s| *s)
            .and_then(|s| clamp_size(s, self.design))
            .unwrap_or(self.default)
    }

    /// The scale, 0.75-2.
    pub fn zoom(&self) -> f32 {
        clamp_scale(self.scale.load(Ordering::Relaxed))
    }

    /// `points` at the current scale and host scale, native pixels.
    fn native(&self, points: [f32; 2]) -> NativeSize<u32> {
        let zoom = self.zoom() as f64;
        NativeSize::from_size(
            Size::Logical(LogicalSize::new(
                points[0] as f64 * zoom,
                points[1] as f64 * zoom,
            )),
            self.host_scale.load(Ordering::Relaxed) as f64,
        )
    }

    /// The window's size as the host should see it: the open window's, else the size it opens
    /// at.
    pub fn native_size(&self) -> NativeSize<u32> {
        self.window
            .lock()
            .ok()
            .and_then(|w| *w)
            .unwrap_or_else(|| self.native(self.points()))
    }

    /// The open window was resized to `size` (native pixels), or closed (`None`).
    pub(crate) fn window_resized(&self, size: Option<NativeSize<u32>>) {
        if let Ok(mut w) = self.window.lock() {
            *w = size;
        }
    }

    /// The smallest and the largest size, points at 100 % (80 % and 300 % of the design
    /// size: [`clamp_size`]'s limits).
    pub(crate) fn limits(&self) -> [[f32; 2]; 2] {
        [MIN_SIZE_FACTOR, MAX_SIZE_FACTOR].map(|f| self.design.map(|d| d * f))
    }

    /// The size the host proposes, within the limits at the current scale.
    fn adjusted(&self, proposed: NativeSize<u32>) -> NativeSize<u32> {
        let [min, max] = self.limits().map(|l| self.native(l));
        NativeSize::new(
            proposed.width.clamp(min.width, max.width),
            proposed.height.clamp(min.height, max.height),
        )
    }

    /// Whether and how the host may resize: freely, between the smallest size at the smallest
    /// scale and the largest at the largest.
    fn resize_hint(&self) -> ResizeHint {
        let [min, max] = self.limits();
        let at = |[w, h]: [f32; 2], scale: f32| LogicalSize::new(w * scale, h * scale);
        ResizeHint {
            can_resize: true,
            can_resize_horizontally: true,
            can_resize_vertically: true,
            preserve_aspect_ratio: false,
            aspect_ratio_width: 1,
            aspect_ratio_height: 1,
            size_constraints: SizeConstraints::Logical {
                min_size: Some(at(min, SCALES[0])),
                max_size: Some(at(max, SCALES[SCALES.len() - 1])),
            },
        }
    }
}

/// A Lathe editor: the [`EditorShell`] around a page, in a window made from the instance's
/// scale and size each time it opens.
pub struct LatheEditor<P: EditorPage> {
    identity: &'static Identity,
    shell: Arc<Mutex<EditorShell<P>>>,
    geometry: Arc<EditorGeometry>,
}

impl<P: EditorPage> LatheEditor<P> {
    /// The editor of `page` for the plugin `identity`.
    pub(crate) fn new(identity: &'static Identity, shell: EditorShell<P>) -> Self {
        let geometry = shell.geometry.clone();
        Self {
            identity,
            shell: Arc::new(Mutex::new(shell)),
            geometry,
        }
    }
}

impl<P: EditorPage> Editor for LatheEditor<P> {
    type Handle = LatheEditorHandle;

    fn spawn(
        &self,
        parent: Option<ParentWindowHandle>,
        wait_for_parent: bool,
        fallback_scale_factor: Option<f64>,
        gui_context: GuiContext,
        host: Option<HostMethods>,
    ) -> Result<SpawnedEditor<Self::Handle>, Box<dyn std::error::Error>> {
        let g = &self.geometry;
        if let Some(s) = fallback_scale_factor.filter(|s| s.is_finite() && *s > 0.0) {
            g.host_scale.store(s as f32, Ordering::Relaxed);
        }
        let [w, h] = g.points();
        let editor = create_egui_editor(
            EguiEditorState::from_size(LogicalSize::new(w as f64, h as f64), g.zoom()),
            RepaintNotifier::new(),
            EguiNiceSettings::new()
                .with_tile(self.identity.name)
                .with_resize_hint(g.resize_hint()),
            ShellApp(self.shell.clone()),
        )
        .ok_or("the egui editor could not be made")?;
        let spawned = editor.spawn(
            parent,
            wait_for_parent,
            fallback_scale_factor,
            gui_context,
            host,
        )?;
        let shell = self.shell.clone();
        Ok(SpawnedEditor {
            handle: LatheEditorHandle {
                inner: spawned.handle,
                geometry: g.clone(),
                on_close: Some(Box::new(move || when_idle(&shell, |s| s.editor_closed()))),
            },
            window: spawned.window,
        })
    }

    fn size(&self) -> NativeSize<u32> {
        self.geometry.native_size()
    }

    fn resize_hint(&self) -> ResizeHint {
        self.geometry.resize_hint()
    }

    unsafe fn assume_standalone_in_process(&self) {
        // SAFETY: the same contract as `Editor::assume_standalone_in_process`, which nice-plug
        // upholds when it calls this (a standalone build only).
        unsafe { nice_plug_egui::baseview::assume_standalone_in_process() }
    }
}

/// The open window's handle: nice-plug-egui's, with the host's scale and proposed sizes seen
/// by the [`EditorGeometry`].
pub struct LatheEditorHandle {
    inner: EguiEditorHandle,
    geometry: Arc<EditorGeometry>,
    /// Tells the shell the editor closed: nice-plug-egui 0.6 never calls
    /// `NiceEguiApp::editor_closed`, so without it the page never learnt it had closed (the
    /// Channel Strip's analyzer kept running, the Limiter's Learn gesture stayed open).
    on_close: Option<Box<dyn FnOnce() + Send>>,
}

impl Drop for LatheEditorHandle {
    fn drop(&mut self) {
        // The host destroys the editor by dropping this handle.
        if let Some(close) = self.on_close.take() {
            close();
        }
    }
}

/// How long closing waits for a frame the window is drawing, s; past it the page is not told
/// (rather than block the host's main thread on a window thread that may be waiting for it).
const CLOSE_WAIT_S: f64 = 0.5;

/// Runs `f` on the shell once the window's frame in flight has finished, unless that takes
/// longer than [`CLOSE_WAIT_S`] (or a page panicked).
fn when_idle<P: EditorPage>(shell: &Mutex<EditorShell<P>>, f: impl FnOnce(&mut EditorShell<P>)) {
    let start = std::time::Instant::now();
    loop {
        match shell.try_lock() {
            Ok(mut s) => return f(&mut s),
            Err(std::sync::TryLockError::WouldBlock)
                if start.elapsed().as_secs_f64() < CLOSE_WAIT_S =>
            {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            Err(_) => return,
        }
    }
}

type Window = <EguiEditorHandle as EditorHandle>::Window;
type WindowError = <EguiEditorHandle as EditorHandle>::Error;

impl EditorHandle for LatheEditorHandle {
    type Window = Window;
    type Error = WindowError;

    fn run_until_closed(window: Window) -> Result<(), WindowError> {
        EguiEditorHandle::run_until_closed(window)
    }

    fn set_parent(&self, parent: ParentWindowHandle, window: &Window) -> Result<(), WindowError> {
        self.inner.set_parent(parent, window)
    }

    fn show(&self, window: &Window) -> Result<(), WindowError> {
        self.inner.show(window)
    }

    fn hide(&self, window: &Window) -> Result<(), WindowError> {
        self.inner.hide(window)
    }

    fn set_size(&self, new_size: NativeSize<u32>, window: &Window) -> Result<(), WindowError> {
        self.inner
            .set_size(self.geometry.adjusted(new_size), window)
    }

    fn host_main_thread_callback(&self, window: &Window) {
        self.inner.host_main_thread_callback(window)
    }

    fn adjust_size(&self, new_size: NativeSize<u32>, _: &Window) -> Option<NativeSize<u32>> {
        Some(self.geometry.adjusted(new_size))
    }

    fn set_fallback_scale_factor(&self, scale: f64, window: &Window) -> Result<(), WindowError> {
        if scale.is_finite() && scale > 0.0 {
            self.geometry
                .host_scale
                .store(scale as f32, Ordering::Relaxed);
        }
        self.inner.set_fallback_scale_factor(scale, window)
    }

    fn on_virtual_key_from_host(
        &self,
        key_code: VirtualKeyCode,
        is_down: bool,
        modifiers: Modifiers,
    ) -> bool {
        self.inner
            .on_virtual_key_from_host(key_code, is_down, modifiers)
    }

    fn state_changed(&self) {
        self.inner.state_changed()
    }

    fn param_value_changed(&self, id: &str, normalized_value: f32) {
        self.inner.param_value_changed(id, normalized_value)
    }

    fn param_modulation_changed(&self, id: &str, modulation_offset: f32) {
        self.inner.param_modulation_changed(id, modulation_offset)
    }
}

/// The geometry of a page's editor for `identity`, from the page's saved scale and size.
pub(crate) fn geometry(identity: &'static Identity, parts: crate::PageParts<'_>) -> EditorGeometry {
    let (w, h) = identity.editor_size;
    let design = [w as f32, h as f32];
    EditorGeometry {
        plugin: identity.short,
        design,
        default: default_size(identity.short, design).unwrap_or(design),
        scale: parts.scale.clone(),
        size: parts.size.clone(),
        host_scale: AtomicF32::new(1.0),
        window: Mutex::new(None),
    }
}
