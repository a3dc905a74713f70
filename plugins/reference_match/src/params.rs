//! Lathe Reference's parameters. IDs are permanent once released; never rename them.

use lathe_dsp::ChainSettings;
use lathe_plugin::IoParams;
use nice_plug::prelude::*;

/// All parameters of Lathe Reference.
#[derive(Params)]
pub struct ReferenceParams {
    /// Input/output trims and bypass (`input_gain`, `output_gain`, `bypass`).
    #[nested]
    pub io: IoParams,
}

impl Default for ReferenceParams {
    fn default() -> Self {
        Self {
            io: IoParams::new("Input Gain", -24.0, 24.0),
        }
    }
}

impl ReferenceParams {
    /// The DSP settings the current parameter values describe.
    pub fn settings(&self) -> ChainSettings<()> {
        ChainSettings {
            io: self.io.settings(),
            core: (),
        }
    }
}
