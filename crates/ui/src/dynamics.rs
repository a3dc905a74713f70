//! Widgets for dynamics processors: a gain-reduction bar and a scrolling history of input,
//! output and gain reduction (shared by the limiter and the bus compressor).

use crate::theme::{ACCENT, METER_RED, TEXT};
use crate::widgets::{Ballistics, BallisticsKind, MeterBallistics};
use egui::{Color32, Rect, Response, Sense, Shape, Stroke, Ui, pos2, vec2};
use lathe_plugin::{
    GainHistory, HISTORY_SLOT_S, HISTORY_SLOTS, HistoryPoint, IoMeters, PeakReadout,
};

/// Lowest level drawn in the history, dBFS.
const HISTORY_FLOOR_DB: f32 = -48.0;

/// What the editor of a gain-reduction plugin keeps of its meters (the limiter's and the bus
/// compressor's): in/out ballistics, the reduction meter's ballistics and the history.
#[derive(Debug, Clone)]
pub struct GainMeters {
    /// Input peak ballistics.
    pub input: MeterBallistics,
    /// Output peak ballistics.
    pub output: MeterBallistics,
    /// Gain-reduction ballistics.
    pub reduction: ReductionBallistics,
    /// The latest history slots, oldest first.
    pub history: Vec<HistoryPoint>,
}

impl Default for GainMeters {
    fn default() -> Self {
        Self {
            input: MeterBallistics::default(),
            output: MeterBallistics::default(),
            reduction: ReductionBallistics::default(),
            history: vec![HistoryPoint::default(); HISTORY_SLOTS],
        }
    }
}

impl GainMeters {
    /// Takes this frame's readouts from the audio thread, `dt_s` seconds after the last frame.
    pub fn update(
        &mut self,
        io: &IoMeters,
        reduction_db: &PeakReadout,
        history: &GainHistory,
        dt_s: f32,
    ) {
        self.input.update(io.input.take(), dt_s);
        self.output.update(io.output.take(), dt_s);
        self.reduction.update(reduction_db.take(), dt_s);
        history.read_latest(&mut self.history);
    }
}

/// Gain-reduction meters: a reduction in dB (positive) from 0, held 2 s.
#[derive(Debug, Clone)]
pub struct ReductionKind;

impl BallisticsKind for ReductionKind {
    const FLOOR_DB: f32 = 0.0;
    const HOLD_S: f32 = 2.0;
    fn level_db(reduction_db: f32) -> f32 {
        reduction_db
    }
}

/// Gain-reduction ballistics: instant attack, 20 dB/s return, 2 s hold (dB, positive).
pub type ReductionBallistics = Ballistics<ReductionKind>;

/// A vertical gain-reduction bar growing down from the top, 0 to `range_db`, with the held
/// maximum printed below.
/// It grows in height with the editor's window ([`crate::grown`]).
pub fn reduction_meter(ui: &mut Ui, reduction_db: f32, hold_db: f32, range_db: f32) -> Response {
    let height = crate::grown(ui, vec2(28.0, 170.0)).y;
    let (rect, response) = ui.allocate_exact_size(vec2(28.0, height), Sense::hover());
    let painter = ui.painter_at(rect);
    let bar = Rect::from_min_max(rect.min + vec2(6.0, 16.0), rect.max - vec2(6.0, 18.0));
    painter.rect_filled(bar, 2.0, Color32::from_gray(40));
    let y_of = |db: f32| bar.top() + (db / range_db).clamp(0.0, 1.0) * bar.height();
    painter.rect_filled(
        Rect::from_min_max(bar.min, pos2(bar.right(), y_of(reduction_db))),
        2.0,
        ACCENT,
    );
    let hold = y_of(hold_db);
    painter.line_segment(
        [pos2(bar.left(), hold), pos2(bar.right(), hold)],
        Stroke::new(1.5, TEXT),
    );
    painter.text(
        pos2(rect.center().x, rect.top() + 6.0),
        egui::Align2::CENTER_CENTER,
        "GR",
        egui::FontId::proportional(11.0),
        TEXT,
    );
    painter.text(
        pos2(rect.center().x, rect.bottom() - 7.0),
        egui::Align2::CENTER_CENTER,
        // No "-0.0" when nothing is reduced.
        if hold_db < 0.05 {
            "0.0".to_owned()
        } else {
            format!("{:.1}", -hold_db)
        },
        egui::FontId::monospace(10.0),
        TEXT,
    );
    response.on_hover_text(format!(
        "Gain reduction: {reduction_db:.2} dB now, {hold_db:.2} dB held"
    ))
}

fn level_db(x: f32) -> f32 {
    if x > 0.0 {
        20.0 * x.log10()
    } else {
        f32::NEG_INFINITY
    }
}

/// The scrolling history: input level (grey) and output level (accent) as mirrored waveforms
/// on a dB scale, gain reduction as a red curve hanging from the top (scale `range_db`), and
/// the ceiling as a line. The newest point is at the right edge.
pub fn history_view(
    ui: &mut Ui,
    points: &[HistoryPoint],
    size: egui::Vec2,
    ceiling_db: f32,
    range_db: f32,
) -> Response {
    let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 3.0, crate::theme::PLOT_BACKGROUND);
    let mid = rect.center().y;
    let half = rect.height() / 2.0 - 2.0;
    // Waveform: |level| in dB mapped to the distance from the centre line.
    let amp = |x: f32| {
        let db = level_db(x);
        ((db - HISTORY_FLOOR_DB) / -HISTORY_FLOOR_DB).clamp(0.0, 1.0) * half
    };
    let n = points.len().max(1);
    let dx = rect.width() / n as f32;
    for (i, p) in points.iter().enumerate() {
        let x = rect.left() + i as f32 * dx;
        let a_in = amp(p.input);
        let a_out = amp(p.output);
        painter.rect_filled(
            Rect::from_min_max(pos2(x, mid - a_in), pos2(x + dx, mid + a_in)),
            0.0,
            Color32::from_gray(70),
        );
        painter.rect_filled(
            Rect::from_min_max(pos2(x, mid - a_out), pos2(x + dx, mid + a_out)),
            0.0,
            ACCENT.gamma_multiply(0.8),
        );
    }
    // Ceiling lines.
    let c = amp(10f32.powf(ceiling_db / 20.0));
    for y in [mid - c, mid + c] {
        painter.line_segment(
            [pos2(rect.left(), y), pos2(rect.right(), y)],
            Stroke::new(1.0, Color32::from_gray(150)),
        );
    }
    // Gain reduction from the top.
    let gr: Vec<egui::Pos2> = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            pos2(
                rect.left() + (i as f32 + 0.5) * dx,
                rect.top() + (p.reduction_db / range_db).clamp(0.0, 1.0) * rect.height(),
            )
        })
        .collect();
    painter.add(Shape::line(gr, Stroke::new(1.5, METER_RED)));
    let seconds = points.len() as f64 * HISTORY_SLOT_S;
    painter.text(
        rect.left_top() + vec2(4.0, 2.0),
        egui::Align2::LEFT_TOP,
        format!("GR 0..{range_db:.0} dB, last {seconds:.0} s"),
        egui::FontId::proportional(10.0),
        TEXT,
    );
    response.on_hover_text(
        "Input (grey) and output (orange) peaks, ceiling (lines), gain reduction (red, from the top)",
    )
}

/// A compressor's static transfer curve (input dB across, output dB up, -60..0 dB, make-up and
/// range included) with the unity line, the threshold, and the current operating point: the
/// input level `input_db` and the output the applied reduction gives (`reduction_db`).
pub fn transfer_curve(
    ui: &mut Ui,
    size: egui::Vec2,
    settings: &lathe_dsp::dynamics::CompressorSettings,
    input_db: f32,
    reduction_db: f32,
) -> Response {
    let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 3.0, crate::theme::PLOT_BACKGROUND);
    let (lo, hi) = (-60.0f32, 0.0f32);
    let map = |x_db: f32, y_db: f32| {
        pos2(
            rect.left() + (x_db - lo) / (hi - lo) * rect.width(),
            rect.bottom() - ((y_db - lo) / (hi - lo)).clamp(0.0, 1.0) * rect.height(),
        )
    };
    let grid = Stroke::new(1.0, Color32::from_gray(45));
    for db in [-48.0, -36.0, -24.0, -12.0] {
        painter.line_segment([map(db, lo), map(db, hi)], grid);
        painter.line_segment([map(lo, db), map(hi, db)], grid);
    }
    painter.line_segment(
        [map(lo, lo), map(hi, hi)],
        Stroke::new(1.0, Color32::from_gray(70)),
    );
    let t = settings.threshold_db;
    painter.line_segment(
        [map(t, lo), map(t, hi)],
        Stroke::new(1.0, Color32::from_gray(90)),
    );
    let points: Vec<egui::Pos2> = (0..=120)
        .map(|i| {
            let x = lo + (hi - lo) * i as f32 / 120.0;
            map(x, settings.transfer_db(x))
        })
        .collect();
    painter.add(Shape::line(points, Stroke::new(2.0, ACCENT)));
    if input_db.is_finite() && input_db > lo {
        let out = input_db - reduction_db + settings.total_makeup_db();
        painter.circle_filled(map(input_db.min(hi), out), 4.0, TEXT);
    }
    painter.text(
        rect.left_top() + vec2(4.0, 2.0),
        egui::Align2::LEFT_TOP,
        "in -> out",
        egui::FontId::proportional(10.0),
        crate::theme::DIM_TEXT,
    );
    response.on_hover_text(format!(
        "Static curve: threshold {:.1} dB, ratio {:.2}:1, knee {:.1} dB, range {:.1} dB, make-up {:+.1} dB\nNow: input {:.1} dB, reduction {:.1} dB",
        settings.threshold_db,
        settings.ratio,
        settings.knee_db,
        settings.range_db,
        settings.total_makeup_db(),
        input_db,
        reduction_db
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduction_attacks_at_once_returns_at_20_db_per_second_and_holds_2_s() {
        let mut r = ReductionBallistics::default();
        r.update(6.0, 0.0);
        assert_eq!((r.level_db(), r.hold_db()), (6.0, 6.0));
        r.update(0.0, 0.1);
        assert!((r.level_db() - 4.0).abs() < 1e-5);
        assert_eq!(r.hold_db(), 6.0);
        for _ in 0..19 {
            r.update(0.0, 0.1);
        }
        assert_eq!(r.level_db(), 0.0);
        r.update(0.0, 0.1);
        assert_eq!(r.hold_db(), 0.0, "hold released after 2 s");
    }
}
