//! Who each Lathe plugin is, written once.
//!
//! Every place that names a plugin reads it from here: the plugin crate (`Plugin::NAME`, the CLAP
//! ID and description, the VST3 class ID, the editor size), the `lathe` CLI's render table,
//! xtask's plugin list and screenshot geometry, and the conformance suite. `bundler.toml` cannot
//! read Rust, so a test here checks that it names every bundle as this table does.
//!
//! The IDs are forever once released: changing one makes hosts treat the plugin as a new one and
//! lose every saved session that used it.

#![warn(missing_docs)]

/// Everything that names one plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    /// Cargo package of the plugin crate, and its `bundler.toml` section.
    pub package: &'static str,
    /// Name hosts show, the editor's title and the bundle's file name.
    pub name: &'static str,
    /// Short name on the command line (`lathe render limiter`, `cargo xtask screenshot limiter`).
    pub short: &'static str,
    /// One line on what it is for (CLAP description, CLI help).
    pub description: &'static str,
    /// CLAP plugin ID.
    pub clap_id: &'static str,
    /// VST3 class ID.
    pub vst3_class_id: [u8; 16],
    /// Editor size at 100 %, logical pixels (width, height).
    pub editor_size: (u32, u32),
}

impl Identity {
    /// The package name as Rust spells the library (`lathe_limiter`).
    pub fn library_name(&self) -> String {
        self.package.replace('-', "_")
    }
}

/// The table: `CONST: short, display name, VST3 class ID, editor size, description;`. The
/// package is `lathe-<short>`, the CLAP ID `audio.lathe.<short>`.
macro_rules! identities {
    ($($constant:ident: $short:literal, $name:literal, $vst3:literal, $size:expr, $description:literal;)*) => {
        $(
            #[doc = $name]
            pub const $constant: Identity = Identity {
                package: concat!("lathe-", $short),
                name: $name,
                short: $short,
                description: $description,
                clap_id: concat!("audio.lathe.", $short),
                vst3_class_id: *$vst3,
                editor_size: $size,
            };
        )*
    };
}

identities! {
    CHANNEL_STRIP: "channel-strip", "Lathe Channel Strip", b"LatheChanStrip01", (1000, 580), "Filters, EQ, gate, compressor, de-esser, saturation and width for every track";
    BUS_COMPRESSOR: "bus-compressor", "Lathe Bus Compressor", b"LatheBusComp0001", (1000, 590), "Glue compression for groups and the mix bus, with an external sidechain";
    LIMITER: "limiter", "Lathe Limiter", b"LatheLimiter0001", (900, 470), "True-peak mastering limiter with loudness metering";
    REFERENCE: "reference", "Lathe Reference", b"LatheReference01", (1080, 680), "Compare the mix with reference tracks, loudness-matched, and match their tone";
}

/// The suite, in the order the README lists it.
pub const ALL: [&Identity; 4] = [&CHANNEL_STRIP, &BUS_COMPRESSOR, &LIMITER, &REFERENCE];

/// The plugin with this short name, package name or display name.
pub fn find(name: &str) -> Option<&'static Identity> {
    ALL.into_iter()
        .find(|i| i.short == name || i.package == name || i.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn workspace_file(path: &str) -> String {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("reading {path}: {e}"))
    }

    /// `bundler.toml`'s sections, in order: (package, bundle name).
    fn bundler_entries() -> Vec<(String, String)> {
        let mut entries = Vec::new();
        let mut section: Option<String> = None;
        for line in workspace_file("bundler.toml").lines().map(str::trim) {
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = Some(name.to_owned());
            } else if let Some(value) = line.strip_prefix("name") {
                let value = value.trim_start().trim_start_matches('=').trim();
                let package = section.take().expect("a name outside a section");
                entries.push((package, value.trim_matches('"').to_owned()));
            }
        }
        entries
    }

    #[test]
    fn bundler_toml_names_every_bundle_as_the_table_does() {
        let expected: Vec<(String, String)> = ALL
            .iter()
            .map(|i| (i.package.to_owned(), i.name.to_owned()))
            .collect();
        let mut found = bundler_entries();
        found.sort();
        let mut expected_sorted = expected.clone();
        expected_sorted.sort();
        assert_eq!(found, expected_sorted);
    }

    #[test]
    fn every_package_is_a_plugin_crate_of_the_workspace() {
        let members = workspace_file("Cargo.toml");
        for identity in ALL {
            let folder = identity
                .package
                .trim_start_matches("lathe-")
                .replace('-', "_");
            let manifest = format!("plugins/{folder}/Cargo.toml");
            assert!(
                members.contains(&format!("\"plugins/{folder}\"")),
                "{manifest}"
            );
            let text = workspace_file(&manifest);
            assert!(
                text.contains(&format!("name = \"{}\"", identity.package)),
                "{manifest} does not declare {}",
                identity.package
            );
        }
    }

    #[test]
    fn names_and_ids_are_unique() {
        for (i, a) in ALL.iter().enumerate() {
            for b in &ALL[i + 1..] {
                assert_ne!(a.package, b.package);
                assert_ne!(a.name, b.name);
                assert_ne!(a.short, b.short);
                assert_ne!(a.clap_id, b.clap_id);
                assert_ne!(a.vst3_class_id, b.vst3_class_id);
            }
        }
        for identity in ALL {
            assert_eq!(find(identity.short), Some(identity));
            assert_eq!(find(identity.package), Some(identity));
        }
        assert_eq!(find("nope"), None);
    }
}
