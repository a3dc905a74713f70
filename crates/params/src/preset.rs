//! The one preset model: a preset is data (a settings struct or a table of values), and
//! applying it is a list of [`Target`]s, each a typed parameter with the normalized value the
//! preset gives it. Applying sets each through the host as one gesture; [`holds`] tells an
//! editor whether the parameters still hold the preset. No raw parameter pointers, no `unsafe`.

use nice_plug::prelude::{Param, ParamSetter};

/// A parameter that a preset can set and read back, whatever its type.
pub trait PresetParam {
    /// Sets the parameter to `normalized` through the host, as one gesture.
    fn set_through_host(&self, setter: &ParamSetter, normalized: f32);
    /// The parameter's current normalized value, without modulation.
    fn normalized(&self) -> f32;
    /// Sets the parameter without a host (tests, the CLI), snapped to its steps.
    fn set_without_host(&self, normalized: f32);
}

impl<P: Param> PresetParam for P {
    fn set_through_host(&self, setter: &ParamSetter, normalized: f32) {
        setter.begin_set_parameter(self);
        setter.set_parameter_normalized(self, normalized);
        setter.end_set_parameter(self);
    }

    fn normalized(&self) -> f32 {
        self.unmodulated_normalized_value()
    }

    fn set_without_host(&self, normalized: f32) {
        lathe_plugin::param_table::set_normalized(self, normalized);
    }
}

/// One parameter of a preset and the normalized value the preset gives it.
pub struct Target<'a> {
    /// The parameter.
    pub param: &'a dyn PresetParam,
    /// Its normalized value in the preset.
    pub normalized: f32,
}

/// The target that sets `param` to the plain value `plain`.
pub fn target<P: Param>(param: &P, plain: P::Plain) -> Target<'_> {
    Target {
        normalized: param.preview_normalized(plain),
        param,
    }
}

/// Sets every target through the host, one gesture each.
pub fn apply(targets: &[Target], setter: &ParamSetter) {
    for t in targets {
        t.param.set_through_host(setter, t.normalized);
    }
}

/// Writes every target into its parameter without a host (tests, the CLI).
pub fn apply_without_host(targets: &[Target]) {
    for t in targets {
        t.param.set_without_host(t.normalized);
    }
}

/// Whether every target's parameter holds its value (within 1e-4 normalized): the preset is
/// active.
pub fn holds(targets: &[Target]) -> bool {
    targets
        .iter()
        .all(|t| (t.param.normalized() - t.normalized).abs() < 1e-4)
}
