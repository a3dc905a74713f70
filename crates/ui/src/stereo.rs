//! Stereo meters: a correlation bar with the balance, and a goniometer (vectorscope) in mid/side
//! orientation, so "check how the mix sounds in mono" has a picture.

use crate::theme::{ACCENT, METER_GREEN, METER_RED, TEXT};
use egui::{Color32, Painter, Rect, Response, Sense, Stroke, Ui, pos2, vec2};

/// Paints a correlation bar into `bar`: grey from -1 to +1, filled from 0 to `correlation`
/// (red below 0, green above), the zero line marked.
fn paint_bar(painter: &Painter, bar: Rect, correlation: f32) {
    painter.rect_filled(bar, 2.0, Color32::from_gray(40));
    let x_of = |c: f32| bar.left() + (c.clamp(-1.0, 1.0) + 1.0) / 2.0 * bar.width();
    let (zero, at) = (x_of(0.0), x_of(correlation));
    let colour = if correlation < 0.0 {
        METER_RED
    } else {
        METER_GREEN
    };
    painter.rect_filled(
        Rect::from_x_y_ranges(zero.min(at)..=zero.max(at), bar.y_range()),
        0.0,
        colour,
    );
    painter.line_segment(
        [pos2(zero, bar.top() - 2.0), pos2(zero, bar.bottom() + 2.0)],
        Stroke::new(1.0, TEXT),
    );
}

/// Text at `pos` in the meters' colour.
fn label(painter: &Painter, pos: egui::Pos2, align: egui::Align2, text: String, size: f32) {
    painter.text(pos, align, text, egui::FontId::proportional(size), TEXT);
}

/// The correlation of each imager band (low, mid, high: -1 to +1) as three labelled bars, so
/// a band that cancels in mono shows which one it is.
pub fn band_correlation_meters(ui: &mut Ui, correlations: [f32; 3], width: f32) -> Response {
    let row = 14.0;
    let (rect, response) = ui.allocate_exact_size(vec2(width, 3.0 * row + 4.0), Sense::hover());
    let painter = ui.painter_at(rect);
    for (i, (name, c)) in ["Low", "Mid", "High"].iter().zip(correlations).enumerate() {
        let top = rect.top() + 2.0 + i as f32 * row;
        let y = top + row / 2.0;
        label(
            &painter,
            pos2(rect.left() + 2.0, y),
            egui::Align2::LEFT_CENTER,
            name.to_string(),
            10.0,
        );
        let bar = Rect::from_min_max(
            pos2(rect.left() + 32.0, top + 3.0),
            pos2(rect.right() - 36.0, top + row - 3.0),
        );
        paint_bar(&painter, bar, c);
        let value = format!("{c:+.2}");
        label(
            &painter,
            pos2(rect.right() - 2.0, y),
            egui::Align2::RIGHT_CENTER,
            value,
            10.0,
        );
    }
    response
        .on_hover_text("Correlation of each imager band of the output (split at the crossovers)")
}

/// A horizontal correlation bar from -1 (left, red) to +1 (right, green) with its value and the
/// left/right balance printed under it.
pub fn correlation_meter(ui: &mut Ui, correlation: f32, balance_db: f32, width: f32) -> Response {
    let (rect, response) = ui.allocate_exact_size(vec2(width, 34.0), Sense::hover());
    let painter = ui.painter_at(rect);
    let bar = Rect::from_min_max(
        rect.min + vec2(4.0, 4.0),
        pos2(rect.max.x - 4.0, rect.min.y + 14.0),
    );
    paint_bar(&painter, bar, correlation);
    let side = if balance_db.abs() < 0.05 {
        "C".to_owned()
    } else if balance_db > 0.0 {
        format!("{balance_db:.1} dB L")
    } else {
        format!("{:.1} dB R", -balance_db)
    };
    let text = format!("correlation {correlation:+.2}   balance {side}");
    let at = pos2(rect.center().x, rect.bottom() - 8.0);
    label(&painter, at, egui::Align2::CENTER_CENTER, text, 11.0);
    response
        .on_hover_text("+1: mono-compatible, 0: unrelated channels, below 0: parts cancel in mono")
}

/// A goniometer: the latest samples of `left` and `right` as points, mid up and side across
/// (a mono signal is a vertical line, a side-only one horizontal), older points fainter.
pub fn goniometer(ui: &mut Ui, size: f32, left: &[f32], right: &[f32]) -> Response {
    let (rect, response) = ui.allocate_exact_size(vec2(size, size), Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, Color32::from_gray(22));
    let c = rect.center();
    let half = size / 2.0 - 4.0;
    let grid = Stroke::new(1.0, Color32::from_gray(50));
    painter.line_segment([pos2(c.x, rect.top()), pos2(c.x, rect.bottom())], grid);
    painter.line_segment([pos2(rect.left(), c.y), pos2(rect.right(), c.y)], grid);
    let n = left.len().min(right.len());
    for (i, (&l, &r)) in left.iter().zip(right).enumerate() {
        // M = (L + R) / 2 up, S = (L - R) / 2 across; full scale reaches the edge.
        let (m, s) = (0.5 * (l + r), 0.5 * (l - r));
        let p = pos2(
            c.x - s.clamp(-1.0, 1.0) * half,
            c.y - m.clamp(-1.0, 1.0) * half,
        );
        let age = (i + 1) as f32 / n.max(1) as f32;
        painter.circle_filled(p, 0.9, ACCENT.gamma_multiply(0.15 + 0.85 * age));
    }
    for (label, at) in [
        ("M", pos2(c.x + 8.0, rect.top() + 8.0)),
        ("S", pos2(rect.right() - 8.0, c.y - 8.0)),
    ] {
        painter.text(
            at,
            egui::Align2::CENTER_CENTER,
            label,
            egui::FontId::proportional(10.0),
            TEXT,
        );
    }
    response
}
