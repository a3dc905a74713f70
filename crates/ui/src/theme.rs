//! Colours and the egui style shared by all Lathe editors.

use egui::{Color32, Context, Visuals};

/// Window background.
pub const BACKGROUND: Color32 = Color32::from_rgb(0x1c, 0x1e, 0x22);
/// Primary text.
pub const TEXT: Color32 = Color32::from_rgb(0xe4, 0xe6, 0xea);
/// Accent (knob arcs, active toggles).
pub const ACCENT: Color32 = Color32::from_rgb(0xe0, 0x9a, 0x3e);
/// Meter colour below -18 dBFS.
pub const METER_GREEN: Color32 = Color32::from_rgb(0x5c, 0xc2, 0x6f);
/// Meter colour from -18 to -6 dBFS.
pub const METER_YELLOW: Color32 = Color32::from_rgb(0xe8, 0xc8, 0x4a);
/// Meter colour above -6 dBFS.
pub const METER_RED: Color32 = Color32::from_rgb(0xe0, 0x55, 0x4a);

/// Applies the Lathe look to an egui context.
pub fn apply_theme(ctx: &Context) {
    let mut visuals = Visuals::dark();
    visuals.panel_fill = BACKGROUND;
    visuals.window_fill = BACKGROUND;
    // Text is TEXT on the background everywhere, and the background colour on the accent
    // (selected buttons, tabs and menu entries): light text on the orange pill read at 1.9:1,
    // dark text reads at 7.3:1 (WCAG asks 4.5:1).
    for w in [
        &mut visuals.widgets.noninteractive,
        &mut visuals.widgets.inactive,
        &mut visuals.widgets.hovered,
        &mut visuals.widgets.active,
        &mut visuals.widgets.open,
    ] {
        w.fg_stroke.color = TEXT;
    }
    visuals.selection.bg_fill = ACCENT;
    visuals.selection.stroke.color = BACKGROUND;
    ctx.set_visuals(visuals);
}
