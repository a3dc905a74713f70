//! Lathe Reference as a standalone application (used for editor screenshots).

fn main() {
    nice_plug::nice_export_standalone::<lathe_reference::LatheReference>();
}
