//! Shared egui widgets and theme for the Lathe plugin editors.
//!
//! Widgets bind directly to nice-plug parameters through a [`ParamSetter`], so every gesture is
//! reported to the host as one automation gesture (begin, set..., end).

#![warn(missing_docs)]

pub mod ab;
mod app;
pub mod describe;
mod dynamics;
pub mod history;
mod presets;
mod spectrum;
mod stereo;
mod theme;
mod widgets;
mod window;

pub use app::{
    EditorPage, EditorShell, PageParts, at_design_size, create_editor, grown, latency_label, title,
};
pub use dynamics::{
    GainMeters, ReductionBallistics, history_view, reduction_meter, transfer_curve,
};
pub use presets::{UserPresets, preset_menu_with_user};
pub use spectrum::{FreqPlot, LiveSpectrum, PLOT_MAX_HZ, PLOT_MIN_HZ};
pub use stereo::{band_correlation_meters, correlation_meter, goniometer};
pub use theme::{
    ACCENT, BACKGROUND, BAND_COLOURS, DIM_TEXT, EQ_NODE_COLOURS, METER_GREEN, METER_RED,
    METER_YELLOW, MIX_COLOUR, PLOT_BACKGROUND, TEXT, apply_theme, contrast_ratio,
};
pub use widgets::{
    Ballistics, BallisticsKind, FrameClock, MeterBallistics, PeakKind, enum_combo, knob,
    peak_meter, toggle,
};
pub use window::{EditorGeometry, LatheEditor, LatheEditorHandle};

pub use nice_plug::prelude::ParamSetter;
