//! The A/B comparison every editor has (title bar: **A**, **B**, and a copy of the slot you
//! hear onto the other; hear the other and copy it for the way back). The parameters hold the slot you hear; the other
//! slot's values are kept in [`AbState`], which the plugin saves with the project. A switch
//! that changes the parameters dips the output while they change ([`lathe_plugin::switch`]),
//! so it never clicks. The host's bypass is not part of a slot.

use lathe_params::AbState;
use lathe_params::param_table::ParamTable;
use lathe_params::user_presets::NOT_IN_PRESETS;
use nice_plug::prelude::{ParamSetter, Params};
use std::collections::BTreeMap;

/// What an A/B button asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbAction {
    /// Hear the other slot.
    Switch,
    /// Copy the slot heard onto the other one.
    ActiveToOther,
}

impl AbAction {
    /// Whether the action changes the parameters (and so needs the click-free dip).
    pub fn changes_parameters(self) -> bool {
        self != Self::ActiveToOther
    }
}

/// Every parameter of a slot, normalized, by ID (the host's bypass left out).
pub fn slot_values(params: &dyn Params) -> BTreeMap<String, f32> {
    ParamTable::new(params)
        .iter()
        .filter(|p| !NOT_IN_PRESETS.contains(&p.id()))
        .map(|p| (p.id().to_owned(), p.normalized()))
        .collect()
}

/// Carries out `action` on `state` given the values the parameters hold (`current`); returns
/// the values the parameters must take, if they change.
pub fn plan(
    action: AbAction,
    current: BTreeMap<String, f32>,
    state: &mut AbState,
) -> Option<BTreeMap<String, f32>> {
    match action {
        AbAction::Switch => {
            let heard = state.other.take().unwrap_or_else(|| current.clone());
            state.other = Some(current);
            state.b_active = !state.b_active;
            Some(heard)
        }
        AbAction::ActiveToOther => {
            state.other = Some(current);
            None
        }
    }
}

/// Sets the parameters that `values` names and that differ through the host.
pub fn apply(params: &dyn Params, values: &BTreeMap<String, f32>, setter: &ParamSetter) {
    crate::app::set_changed(
        params,
        values.iter().map(|(id, &v)| (id.as_str(), v)),
        setter,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, f32)]) -> BTreeMap<String, f32> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn switching_and_copying_keep_both_slots() {
        let mut state = AbState::default();
        let a = values(&[("gain", 0.2)]);
        // First switch: B starts as a copy of A.
        assert_eq!(
            plan(AbAction::Switch, a.clone(), &mut state),
            Some(a.clone())
        );
        assert!(state.b_active);
        // Edit B, switch back: A returns, B is kept.
        let b = values(&[("gain", 0.8)]);
        assert_eq!(
            plan(AbAction::Switch, b.clone(), &mut state),
            Some(a.clone())
        );
        assert!(!state.b_active);
        assert_eq!(state.other, Some(b.clone()));
        // Copy the heard (A) onto B.
        assert_eq!(plan(AbAction::ActiveToOther, a.clone(), &mut state), None);
        assert_eq!(state.other, Some(a));
        assert!(AbAction::Switch.changes_parameters());
        assert!(!AbAction::ActiveToOther.changes_parameters());
    }
}
