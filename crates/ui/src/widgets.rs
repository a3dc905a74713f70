//! Parameter widgets (knob, toggle) and a peak meter.

use crate::theme::{ACCENT, METER_GREEN, METER_RED, METER_YELLOW, TEXT};
use egui::{Color32, Pos2, Rect, Response, Sense, Shape, Stroke, Ui, Vec2, pos2, vec2};
use nice_plug::prelude::{BoolParam, Enum, EnumParam, Param, ParamSetter};
use std::f32::consts::PI;

const KNOB_SIZE: f32 = 56.0;
/// Drag distance (points) for the full range; Shift makes it ten times finer.
const DRAG_RANGE_PT: f32 = 200.0;

/// A rotary knob for any parameter. Drag vertically to change it (hold Shift for fine control),
/// double-click to reset to the default, hover for the exact value; the value is printed below.
pub fn knob<P: Param>(ui: &mut Ui, param: &P, setter: &ParamSetter, label: &str) -> Response {
    let (rect, response) = ui.allocate_exact_size(
        vec2(KNOB_SIZE + 24.0, KNOB_SIZE + 34.0),
        Sense::click_and_drag(),
    );
    let knob_rect = Rect::from_center_size(
        pos2(rect.center().x, rect.top() + 12.0 + KNOB_SIZE / 2.0),
        Vec2::splat(KNOB_SIZE),
    );

    if response.double_clicked() {
        setter.begin_set_parameter(param);
        setter.set_parameter_normalized(param, param.default_normalized_value());
        setter.end_set_parameter(param);
    } else {
        if response.drag_started() {
            setter.begin_set_parameter(param);
        }
        if response.dragged() {
            let fine = ui.input(|i| i.modifiers.shift);
            let scale = if fine {
                DRAG_RANGE_PT * 10.0
            } else {
                DRAG_RANGE_PT
            };
            let delta = -response.drag_delta().y / scale;
            let value = (param.unmodulated_normalized_value() + delta).clamp(0.0, 1.0);
            setter.set_parameter_normalized(param, value);
        }
        if response.drag_stopped() {
            setter.end_set_parameter(param);
        }
    }

    let value = param.unmodulated_normalized_value();
    let painter = ui.painter_at(rect);
    let center = knob_rect.center();
    let radius = KNOB_SIZE / 2.0 - 4.0;
    let start = 0.75 * PI;
    let sweep = 1.5 * PI;
    let arc = |from: f32, to: f32| -> Vec<Pos2> {
        let n = 32;
        (0..=n)
            .map(|i| {
                let a = from + (to - from) * i as f32 / n as f32;
                center + radius * vec2(a.cos(), a.sin())
            })
            .collect()
    };
    painter.add(Shape::line(
        arc(start, start + sweep),
        Stroke::new(4.0, Color32::from_gray(70)),
    ));
    painter.add(Shape::line(
        arc(start, start + sweep * value),
        Stroke::new(4.0, ACCENT),
    ));
    let a = start + sweep * value;
    painter.line_segment(
        [center, center + (radius - 6.0) * vec2(a.cos(), a.sin())],
        Stroke::new(2.0, TEXT),
    );
    painter.text(
        pos2(rect.center().x, rect.top() + 5.0),
        egui::Align2::CENTER_CENTER,
        label,
        egui::FontId::proportional(12.0),
        TEXT,
    );
    painter.text(
        pos2(rect.center().x, rect.bottom() - 8.0),
        egui::Align2::CENTER_CENTER,
        param.normalized_value_to_string(value, true),
        egui::FontId::monospace(11.0),
        TEXT,
    );
    response.on_hover_text(format!(
        "{}: {}\n{}Drag to change, Shift for fine, double-click to reset",
        param.name(),
        param.normalized_value_to_string(value, true),
        sentence(param.name())
    ))
}

/// The parameter's sentence with a line break after it, or nothing.
fn sentence(name: &str) -> String {
    crate::describe::what_it_does(name).map_or_else(String::new, |s| format!("{s}\n"))
}

/// A toggle button for a boolean parameter.
pub fn toggle(ui: &mut Ui, param: &BoolParam, setter: &ParamSetter, label: &str) -> Response {
    let on = param.value();
    // On: dark text on the accent (7.3:1); off: the usual light text on grey.
    let text = if on {
        egui::RichText::new(label).color(crate::BACKGROUND)
    } else {
        egui::RichText::new(label)
    };
    let button = egui::Button::new(text)
        .fill(if on { ACCENT } else { Color32::from_gray(60) })
        .min_size(vec2(64.0, 24.0));
    let response = ui.add(button);
    if response.clicked() {
        setter.begin_set_parameter(param);
        setter.set_parameter(param, !on);
        setter.end_set_parameter(param);
    }
    response.on_hover_text(format!(
        "{}: {}\n{}",
        param.name(),
        if on { "on" } else { "off" },
        sentence(param.name())
    ))
}

/// A drop-down for an enum parameter; each choice is one host gesture.
pub fn enum_combo<T: Enum + PartialEq + Copy + 'static>(
    ui: &mut Ui,
    param: &EnumParam<T>,
    setter: &ParamSetter,
    label: &str,
) -> Response {
    let current = param.value();
    let names = T::variants();
    let mut chosen = None;
    let response = egui::ComboBox::from_label(label)
        .selected_text(names[current.to_index()])
        .width(72.0)
        .show_ui(ui, |ui| {
            for (i, name) in names.iter().enumerate() {
                if ui
                    .selectable_label(current.to_index() == i, *name)
                    .clicked()
                {
                    chosen = Some(T::from_index(i));
                }
            }
        })
        .response;
    if let Some(v) = chosen.filter(|v| *v != current) {
        setter.begin_set_parameter(param);
        setter.set_parameter(param, v);
        setter.end_set_parameter(param);
    }
    response.on_hover_text(format!(
        "{}: {}\n{}",
        param.name(),
        names[current.to_index()],
        sentence(param.name())
    ))
}

/// Time between editor frames, for meter ballistics.
#[derive(Debug, Clone, Default)]
pub struct FrameClock(Option<std::time::Instant>);

impl FrameClock {
    /// Forgets the last frame (the editor was reopened): the next tick reads 0 s.
    pub fn reset(&mut self) {
        self.0 = None;
    }

    /// Seconds since the previous tick (0 on the first).
    pub fn tick(&mut self) -> f32 {
        let now = std::time::Instant::now();
        let dt = self.0.map_or(0.0, |t| now.duration_since(t).as_secs_f32());
        self.0 = Some(now);
        dt
    }
}

/// What a meter's [`Ballistics`] read and how long they hold.
pub trait BallisticsKind {
    /// The lowest level shown, dB (also where a fresh meter starts).
    const FLOOR_DB: f32;
    /// How long a peak is held, s.
    const HOLD_S: f32;
    /// The level, dB, of what the audio thread reported.
    fn level_db(reading: f32) -> f32;
}

/// Level ballistics kept by an editor: instant attack, a 20 dB/s fall and a held peak.
#[derive(Debug, Clone)]
pub struct Ballistics<K> {
    level_db: f32,
    hold_db: f32,
    hold_age_s: f32,
    kind: std::marker::PhantomData<K>,
}

impl<K: BallisticsKind> Default for Ballistics<K> {
    fn default() -> Self {
        Self {
            level_db: K::FLOOR_DB,
            hold_db: K::FLOOR_DB,
            hold_age_s: 0.0,
            kind: std::marker::PhantomData,
        }
    }
}

impl<K: BallisticsKind> Ballistics<K> {
    /// Feeds what was observed since the last frame, `dt_s` seconds ago.
    pub fn update(&mut self, reading: f32, dt_s: f32) {
        let db = K::level_db(reading);
        self.level_db = db.max(self.level_db - 20.0 * dt_s).max(K::FLOOR_DB);
        self.hold_age_s += dt_s;
        if db >= self.hold_db || self.hold_age_s > K::HOLD_S {
            self.hold_db = db.max(self.level_db);
            self.hold_age_s = 0.0;
        }
    }

    /// The displayed level, dB.
    pub fn level_db(&self) -> f32 {
        self.level_db
    }

    /// The held level, dB.
    pub fn hold_db(&self) -> f32 {
        self.hold_db
    }
}

/// Peak meters: a linear peak shown in dBFS from -100, held 1.5 s.
#[derive(Debug, Clone)]
pub struct PeakKind;

impl BallisticsKind for PeakKind {
    const FLOOR_DB: f32 = -100.0;
    const HOLD_S: f32 = 1.5;
    fn level_db(peak: f32) -> f32 {
        if peak > 0.0 {
            20.0 * peak.log10()
        } else {
            -100.0
        }
    }
}

/// Peak meter ballistics: instant attack, 20 dB/s fall, 1.5 s peak hold (dBFS).
pub type MeterBallistics = Ballistics<PeakKind>;

/// A vertical peak meter from -60 to +6 dBFS with a peak-hold line and its value printed below.
/// It grows with the editor's window ([`crate::grown`]).
pub fn peak_meter(ui: &mut Ui, ballistics: &MeterBallistics, label: &str) -> Response {
    let height = crate::grown(ui, vec2(28.0, 170.0)).y;
    let (rect, response) = ui.allocate_exact_size(vec2(28.0, height), Sense::hover());
    let painter = ui.painter_at(rect);
    let bar = Rect::from_min_max(rect.min + vec2(6.0, 16.0), rect.max - vec2(6.0, 18.0));
    painter.rect_filled(bar, 2.0, Color32::from_gray(40));
    let y_of = |db: f32| {
        let t = ((db + 60.0) / 66.0).clamp(0.0, 1.0);
        bar.bottom() - t * bar.height()
    };
    let level = ballistics.level_db();
    let colour = if level > -6.0 {
        METER_RED
    } else if level > -18.0 {
        METER_YELLOW
    } else {
        METER_GREEN
    };
    painter.rect_filled(
        Rect::from_min_max(pos2(bar.left(), y_of(level)), bar.max),
        2.0,
        colour,
    );
    let hold = y_of(ballistics.hold_db());
    painter.line_segment(
        [pos2(bar.left(), hold), pos2(bar.right(), hold)],
        Stroke::new(1.5, TEXT),
    );
    let zero = y_of(0.0);
    painter.line_segment(
        [pos2(bar.left() - 3.0, zero), pos2(bar.left(), zero)],
        Stroke::new(1.0, TEXT),
    );
    painter.text(
        pos2(rect.center().x, rect.top() + 6.0),
        egui::Align2::CENTER_CENTER,
        label,
        egui::FontId::proportional(11.0),
        TEXT,
    );
    let text = if ballistics.hold_db() <= -99.0 {
        "-inf".to_owned()
    } else {
        format!("{:.1}", ballistics.hold_db())
    };
    painter.text(
        pos2(rect.center().x, rect.bottom() - 7.0),
        egui::Align2::CENTER_CENTER,
        text,
        egui::FontId::monospace(10.0),
        TEXT,
    );
    response.on_hover_text(format!("{label} peak (dBFS), hold 1.5 s"))
}
