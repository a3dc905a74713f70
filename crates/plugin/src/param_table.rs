//! Safe access to a plugin's parameters by ID outside a host: the `lathe` CLI sets `--set`
//! values with it, tests and the state migration read ranges and texts with it.
//!
//! nice-plug hands out parameters by ID only as raw [`ParamPtr`]s, whose every method is
//! `unsafe` (the pointer must still point into a live parameter struct). A [`ParamTable`]
//! borrows the parameter struct for its whole life, so each pointer it holds is live while it
//! can be used: this module is the one place that dereferences them, and the crates above it
//! (`lathe-params`, `lathe-cli`) need no `unsafe`.

use nice_plug::params::internals::ParamPtr;
use nice_plug::prelude::{FloatRange, Params};
use std::marker::PhantomData;

/// The parameters of one plugin by ID, borrowed from the parameter struct.
pub struct ParamTable<'a> {
    entries: Vec<(String, ParamPtr)>,
    _params: PhantomData<&'a dyn Params>,
}

/// What kind of parameter an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// A continuous (or finely stepped) float.
    Float,
    /// An integer.
    Int,
    /// An on/off switch.
    Bool,
    /// A choice from a list of names.
    Enum,
}

/// One parameter of a [`ParamTable`].
#[derive(Clone, Copy)]
pub struct ParamRef<'t> {
    id: &'t str,
    ptr: ParamPtr,
}

impl<'a> ParamTable<'a> {
    /// The table of `params`, in the plugin's parameter order.
    pub fn new(params: &'a dyn Params) -> Self {
        Self {
            entries: params
                .param_map()
                .into_iter()
                .map(|(id, ptr, _)| (id, ptr))
                .collect(),
            _params: PhantomData,
        }
    }

    /// The parameter with this ID.
    pub fn get(&self, id: &str) -> Option<ParamRef<'_>> {
        self.iter().find(|p| p.id == id)
    }

    /// Every parameter, in order.
    pub fn iter(&self) -> impl Iterator<Item = ParamRef<'_>> {
        self.entries
            .iter()
            .map(|(id, ptr)| ParamRef { id, ptr: *ptr })
    }

    /// Every ID, in order.
    pub fn ids(&self) -> Vec<&str> {
        self.entries.iter().map(|(id, _)| id.as_str()).collect()
    }
}

// SAFETY (for every `unsafe` block below): a `ParamRef` only comes from a `ParamTable<'a>`,
// which borrows the parameter struct the pointers point into for `'a`, and a `ParamRef` cannot
// outlive its table; so the struct is alive whenever a pointer is used.
impl ParamRef<'_> {
    /// The parameter's ID.
    pub fn id(&self) -> &str {
        self.id
    }

    /// The parameter's display name.
    pub fn name(&self) -> String {
        unsafe { self.ptr.name() }.to_owned()
    }

    /// What kind of parameter it is.
    pub fn kind(&self) -> ParamKind {
        match self.ptr {
            ParamPtr::FloatParam(_) => ParamKind::Float,
            ParamPtr::IntParam(_) => ParamKind::Int,
            ParamPtr::BoolParam(_) => ParamKind::Bool,
            ParamPtr::EnumParam(_) => ParamKind::Enum,
        }
    }

    /// The float range, for float parameters.
    pub fn float_range(&self) -> Option<FloatRange> {
        match self.ptr {
            ParamPtr::FloatParam(p) => Some(unsafe { (*p).range() }),
            _ => None,
        }
    }

    /// Number of steps for discrete parameters (`None` for continuous ones).
    pub fn step_count(&self) -> Option<usize> {
        unsafe { self.ptr.step_count() }
    }

    /// The current normalized value, without modulation.
    pub fn normalized(&self) -> f32 {
        unsafe { self.ptr.unmodulated_normalized_value() }
    }

    /// The default normalized value.
    pub fn default_normalized(&self) -> f32 {
        unsafe { self.ptr.default_normalized_value() }
    }

    /// The display text of a normalized value.
    pub fn text(&self, normalized: f32, include_unit: bool) -> String {
        unsafe {
            self.ptr
                .normalized_value_to_string(normalized, include_unit)
        }
    }

    /// The normalized value the parameter's own parser reads from `text`.
    pub fn parse(&self, text: &str) -> Option<f32> {
        unsafe { self.ptr.string_to_normalized_value(text) }
    }

    /// The plain value (as a float) of a normalized value.
    pub fn preview_plain(&self, normalized: f32) -> f32 {
        unsafe { self.ptr.preview_plain(normalized) }
    }

    /// Sets the parameter to a normalized value, as a host's automation would (snapped to the
    /// parameter's steps). For parameters that no plugin instance is processing with: the CLI
    /// and tests, before rendering.
    pub fn set_normalized(&self, normalized: f32) {
        unsafe {
            self.ptr._internal_set_normalized_value(normalized);
        }
    }

    /// Sets the parameter through the host from an editor, as one gesture (what a typed
    /// parameter's `ParamSetter` calls do, for a parameter known by ID: user presets).
    pub fn set_through_host(&self, setter: &nice_plug::prelude::ParamSetter, normalized: f32) {
        let context = setter.raw_context;
        unsafe {
            context.raw_begin_set_parameter(self.ptr);
            context.raw_set_parameter_normalized(self.ptr, normalized);
            context.raw_end_set_parameter(self.ptr);
        }
    }
}

/// Sets one parameter to a normalized value without a host (see [`ParamRef::set_normalized`]):
/// for presets written into parameters that no plugin instance is processing with.
pub fn set_normalized<P: nice_plug::prelude::Param>(param: &P, normalized: f32) {
    // SAFETY: the pointer comes from a live reference, used before the call returns.
    unsafe {
        param.as_ptr()._internal_set_normalized_value(normalized);
    }
}
