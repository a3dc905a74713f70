//! Parameter constructors shared by the plugins' parameter sets: consistent ranges, units,
//! text formats (enough digits to read back to the same knob position) and logarithmic
//! travel for frequencies, times, Q and ratios.

use crate::formatters::{
    StringToValue, ValueToString, s2v_hz, s2v_hz_or_off, s2v_number, v2s_decimals, v2s_hz,
    v2s_hz_or_off, v2s_ms,
};
use nice_plug::prelude::*;
use std::sync::Arc;

/// A float parameter with a unit, `decimals` digits and lenient number parsing.
pub fn float(
    name: &str,
    default: f32,
    range: FloatRange,
    unit: &'static str,
    decimals: usize,
) -> FloatParam {
    FloatParam::new(name, default, range)
        .with_unit(unit)
        .with_value_to_string(v2s_decimals(decimals))
        .with_string_to_value(s2v_number())
}

/// A linear range.
pub fn linear(min: f32, max: f32) -> FloatRange {
    FloatRange::Linear { min, max }
}

/// A parameter whose knob and automation travel is logarithmic in its value (equal travel per
/// octave or decade, with no crowded end). Plain values, which hosts, scripts and saved state
/// see, are in the parameter's unit (Hz, ms, Q, ratio); the logarithmic law is in the normalized
/// mapping ([`FloatRange::Logarithmic`]). Plugins from before 0.2.0 stored the natural log of the
/// value: [`crate::migrate_log_values`] converts their saved state.
pub fn log_param(
    name: &str,
    default: f32,
    min: f32,
    max: f32,
    format: ValueToString,
    parse: StringToValue,
) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Logarithmic { min, max })
        .with_value_to_string(format)
        .with_string_to_value(Arc::new(move |text| parse(text).map(|v| v.clamp(min, max))))
}

/// A frequency, Hz, logarithmic.
pub fn freq(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    log_param(name, default, min, max, v2s_hz(), s2v_hz())
}

/// A frequency, Hz, logarithmic, that reads "Off" at its bottom (`off_below`) or top end.
pub fn freq_or_off(name: &str, default: f32, min: f32, max: f32, off_below: bool) -> FloatParam {
    let off_hz = if off_below { min } else { max };
    log_param(
        name,
        default,
        min,
        max,
        v2s_hz_or_off(off_hz, off_below),
        s2v_hz_or_off(off_hz),
    )
}

/// A level or gain, dB, in 0.01 dB steps.
pub fn gain(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    float(name, default, linear(min, max), " dB", 2).with_step_size(0.01)
}

/// A time, ms, logarithmic.
pub fn time_ms(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    log_param(name, default, min, max, v2s_ms(), s2v_number())
}

/// A percentage in 0.1 steps.
pub fn percent(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    float(name, default, linear(min, max), " %", 1).with_step_size(0.1)
}

/// A Q (bandwidth), logarithmic.
pub fn q(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    log_param(name, default, min, max, v2s_decimals(3), s2v_number())
}
