//! Lathe Bus Compressor's editor.

use crate::BusCompressorParams;
use lathe_plugin::IoMeters;
use lathe_ui::ShellApp;
use nice_plug_egui::EguiEditor;
use std::sync::Arc;

pub(crate) fn create(
    params: Arc<BusCompressorParams>,
    meters: Arc<IoMeters>,
) -> Option<EguiEditor<ShellApp<BusCompressorParams>>> {
    lathe_ui::create_editor(
        params,
        |p| &p.io,
        meters,
        "Lathe Bus Compressor",
        "This build applies the input and output trims and bypass only;\nits processing arrives in a coming release.",
    )
}
