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
/// Meter colour above -6 dBFS, and error text (0xe0554a read at 4.43:1 on the background).
pub const METER_RED: Color32 = Color32::from_rgb(0xe8, 0x5f, 0x55);

/// Background of the frequency and history displays.
pub const PLOT_BACKGROUND: Color32 = Color32::from_gray(24);
/// Secondary text (axis labels, modules that are off). It was the primary text at 60 %
/// (`TEXT.gamma_multiply(0.6)`), which read at 4.16:1 on a hovered button; this grey reads at
/// 4.5:1 or more on every surface the editors draw it on.
pub const DIM_TEXT: Color32 = Color32::from_rgb(0xb4, 0xb6, 0xba);
/// The Channel Strip's five EQ bands and two filters (nodes, their labels and names).
pub const EQ_NODE_COLOURS: [Color32; 7] = [
    Color32::from_rgb(0xd9, 0x5f, 0x5f),
    Color32::from_rgb(0xe0, 0x9a, 0x3e),
    Color32::from_rgb(0xd8, 0xd0, 0x50),
    Color32::from_rgb(0x6c, 0xc6, 0x6c),
    Color32::from_rgb(0x5a, 0xa8, 0xe0),
    Color32::from_rgb(0xa8, 0x8c, 0xe0),
    Color32::from_rgb(0xa8, 0x8c, 0xe0),
];
/// The Bus Compressor's bands, lowest first (tabs, display curves).
pub const BAND_COLOURS: [Color32; 4] = [
    Color32::from_rgb(0xe0, 0x6c, 0x4a),
    Color32::from_rgb(0xe0, 0xb8, 0x3e),
    Color32::from_rgb(0x5c, 0xc2, 0x8f),
    Color32::from_rgb(0x5c, 0x9c, 0xe0),
];
/// Lathe Reference's mix (its spectrum, legend and labels; the references are the accent).
pub const MIX_COLOUR: Color32 = Color32::from_rgb(0x5a, 0x9c, 0xe6);

/// WCAG 2.x relative luminance of an opaque sRGB colour.
fn luminance(c: Color32) -> f64 {
    let lin = |v: u8| {
        let v = v as f64 / 255.0;
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c.r()) + 0.7152 * lin(c.g()) + 0.0722 * lin(c.b())
}

/// The WCAG 2.x contrast ratio (1 to 21) of `text` drawn over an opaque `background`, with
/// `text`'s alpha blended as egui blends it (premultiplied, in sRGB).
pub fn contrast_ratio(text: Color32, background: Color32) -> f64 {
    let a = text.a() as f64 / 255.0;
    let blend = |t: u8, b: u8| (t as f64 + b as f64 * (1.0 - a)).round().min(255.0) as u8;
    let shown = Color32::from_rgb(
        blend(text.r(), background.r()),
        blend(text.g(), background.g()),
        blend(text.b(), background.b()),
    );
    let (l1, l2) = (luminance(shown), luminance(background));
    (l1.max(l2) + 0.05) / (l1.min(l2) + 0.05)
}

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
    // Hovered and pressed widgets show an outline instead of a lighter fill: coloured labels
    // (the EQ nodes, the bands, the tabs of modules that are on) read at 2.8-4.4:1 on egui's
    // grey hover fill and keep their contrast on the background.
    for (w, outline) in [
        (&mut visuals.widgets.hovered, Color32::from_gray(150)),
        (&mut visuals.widgets.active, TEXT),
    ] {
        w.bg_fill = BACKGROUND;
        w.weak_bg_fill = BACKGROUND;
        w.bg_stroke = egui::Stroke::new(1.0, outline);
    }
    visuals.selection.bg_fill = ACCENT;
    visuals.selection.stroke.color = BACKGROUND;
    ctx.set_visuals(visuals);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every colour the editors draw text in, against every background it is drawn on: WCAG
    /// 2.x asks 4.5:1 for normal text (issue #22).
    #[test]
    fn text_contrast_is_at_least_4_5_to_1() {
        let ctx = Context::default();
        apply_theme(&ctx);
        let v = ctx.global_style().visuals.clone();
        // Panels; the displays; buttons and combo boxes at rest, hovered and pressed.
        let surfaces = [
            ("background", BACKGROUND),
            ("display", PLOT_BACKGROUND),
            ("button", v.widgets.inactive.weak_bg_fill),
            ("hovered button", v.widgets.hovered.weak_bg_fill),
            ("pressed button", v.widgets.active.weak_bg_fill),
        ];
        let mut texts = vec![
            ("text", TEXT),
            ("dim text", DIM_TEXT),
            ("accent", ACCENT),
            ("green", METER_GREEN),
            ("yellow", METER_YELLOW),
            ("red", METER_RED),
            ("mix", MIX_COLOUR),
        ];
        texts.extend(EQ_NODE_COLOURS.iter().map(|&c| ("EQ node", c)));
        texts.extend(BAND_COLOURS.iter().map(|&c| ("band", c)));
        let mut failures = Vec::new();
        for (what, text) in &texts {
            for (on, surface) in surfaces {
                // Resting buttons and combo boxes hold the primary and the dim text only
                // (coloured labels are selectable labels, which have no fill at rest).
                if on == "button" && !matches!(*what, "text" | "dim text") {
                    continue;
                }
                let ratio = contrast_ratio(*text, surface);
                if ratio < 4.5 {
                    failures.push(format!("{what} {text:?} on {on}: {ratio:.2}:1"));
                }
            }
        }
        // Selected buttons, tabs and menu entries: the background colour on the accent.
        let selected = contrast_ratio(BACKGROUND, ACCENT);
        if selected < 4.5 {
            failures.push(format!("selected text on the accent: {selected:.2}:1"));
        }
        assert!(failures.is_empty(), "below 4.5:1: {failures:#?}");
        // The formula against WCAG's own examples: black on white is 21:1, grey 0x76 on white
        // 4.54:1.
        assert!((contrast_ratio(Color32::BLACK, Color32::WHITE) - 21.0).abs() < 1e-9);
        let grey = contrast_ratio(Color32::from_gray(0x76), Color32::WHITE);
        assert!((grey - 4.54).abs() < 0.01, "{grey}");
    }
}
