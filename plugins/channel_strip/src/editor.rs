//! Lathe Channel Strip's editor.

use crate::ChannelStripParams;
use lathe_plugin::IoMeters;
use lathe_ui::ShellApp;
use nice_plug_egui::EguiEditor;
use std::sync::Arc;

pub(crate) fn create(
    params: Arc<ChannelStripParams>,
    meters: Arc<IoMeters>,
) -> Option<EguiEditor<ShellApp<ChannelStripParams>>> {
    lathe_ui::create_editor(
        params,
        |p| &p.io,
        meters,
        "Lathe Channel Strip",
        "This build applies the input and output trims and bypass only;\nits processing arrives in a coming release.",
    )
}
