//! Lathe Reference's parameters and persisted reference library. IDs are permanent once
//! released; never rename them (the README lists them).

use crate::IoParams;
use crate::builders::{freq, gain, percent};
use lathe_dsp::ChainSettings;
use lathe_dsp::analysis::match_eq::{MAX_LIMIT_DB, MatchPhase, MatchSettings};
use lathe_dsp::analysis::reference::Analysis;
use lathe_dsp::chains::reference::{MatchDesign, ReferenceSettings};
use nice_plug::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, RwLock};

/// The most references a project holds.
pub const MAX_REFERENCES: usize = 8;

crate::choice! {
    /// The match EQ's phase as a parameter.
    pub enum PhaseChoice mirrors MatchPhase {
        /// Zero latency.
        Minimum = ("minimum", "Minimum") => Minimum,
        /// Exact phase, latency of half the FIR (about 85 ms).
        Linear = ("linear", "Linear") => Linear,
    }
}

crate::choice! {
    /// What the match EQ aims for.
    pub enum TargetChoice {
        /// The average of every loaded reference.
        Average = ("average", "Average"),
        /// The reference selected for A/B.
        Selected = ("selected", "Selected"),
    }
}

/// One reference in the project: where it came from and its analysis (kept, so the
/// comparison survives a moved or deleted file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredReference {
    /// A number unique within the project.
    pub id: u64,
    /// The file it was loaded from.
    pub path: String,
    /// Its analysis.
    pub analysis: Analysis,
}

impl StoredReference {
    /// The file name for display.
    pub fn name(&self) -> String {
        std::path::Path::new(&self.path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.path.clone())
    }
}

/// The persisted part of Lathe Reference's state besides the parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReferenceLibrary {
    /// The references, in the order they were added.
    pub references: Vec<StoredReference>,
    /// The mix analysis frozen when Learn was switched off.
    pub frozen_mix: Option<Analysis>,
}

impl ReferenceLibrary {
    /// Drops entries a damaged or hand-edited state could bring (invalid analyses, too many,
    /// duplicate IDs), so nothing downstream has to guard against them.
    pub fn sanitize(&mut self) {
        let mut seen = std::collections::HashSet::new();
        self.references
            .retain(|r| r.analysis.is_valid() && seen.insert(r.id));
        self.references.truncate(MAX_REFERENCES);
        if self.frozen_mix.as_ref().is_some_and(|a| !a.is_valid()) {
            self.frozen_mix = None;
        }
    }

    /// An ID not yet used.
    pub fn next_id(&self) -> u64 {
        self.references.iter().map(|r| r.id + 1).max().unwrap_or(1)
    }
}

/// All parameters of Lathe Reference.
#[derive(Params)]
pub struct ReferenceParams {
    /// Input/output trims and bypass (`input_gain`, `output_gain`, `bypass`).
    #[nested]
    pub io: IoParams,
    /// Output the selected reference, loudness-matched, instead of the mix.
    #[id = "listen"]
    pub listen: BoolParam,
    /// The reference A/B plays and the "Selected" match target uses (1-8).
    #[id = "selected"]
    pub selected: IntParam,
    /// Match EQ on.
    #[id = "match_on"]
    pub match_on: BoolParam,
    /// Match EQ amount, %.
    #[id = "amount"]
    pub amount: FloatParam,
    /// Spectrum smoothing before the difference: 1/N octave.
    #[id = "smoothing"]
    pub smoothing: IntParam,
    /// Largest boost or cut, dB.
    #[id = "limit"]
    pub limit: FloatParam,
    /// Lowest frequency corrected, Hz (logarithmic).
    #[id = "low_freq"]
    pub low_freq: FloatParam,
    /// Highest frequency corrected, Hz (logarithmic).
    #[id = "high_freq"]
    pub high_freq: FloatParam,
    /// Match EQ phase.
    #[id = "phase"]
    pub phase: EnumParam<PhaseChoice>,
    /// What the match EQ aims for.
    #[id = "target"]
    pub target: EnumParam<TargetChoice>,
    /// On: the mix analysis follows the input. Off: it is frozen (and saved), so the match
    /// curve stops moving.
    #[id = "learn"]
    pub learn: BoolParam,
    /// The references and their analyses, and the frozen mix analysis.
    #[persist = "library"]
    pub library: Arc<RwLock<ReferenceLibrary>>,
}

impl Default for ReferenceParams {
    fn default() -> Self {
        Self {
            io: IoParams::new("Input Gain", -24.0, 24.0),
            listen: BoolParam::new("Listen to Reference", false),
            selected: IntParam::new(
                "Selected Reference",
                1,
                IntRange::Linear {
                    min: 1,
                    max: MAX_REFERENCES as i32,
                },
            ),
            match_on: BoolParam::new("Match EQ", false),
            amount: percent("Match Amount", 100.0, 0.0, 100.0),
            smoothing: IntParam::new("Smoothing", 3, IntRange::Linear { min: 1, max: 24 })
                .with_value_to_string(Arc::new(|v| format!("1/{v} oct")))
                .with_string_to_value(Arc::new(|s| {
                    let s = s.trim().trim_end_matches("oct").trim();
                    let s = s.strip_prefix("1/").unwrap_or(s);
                    s.trim().parse().ok()
                })),
            limit: gain("Match Limit", 12.0, 0.0, MAX_LIMIT_DB as f32),
            low_freq: freq("Match Low", 30.0, 20.0, 1000.0),
            high_freq: freq("Match High", 18_000.0, 1000.0, 20_000.0),
            phase: EnumParam::new("Match Phase", PhaseChoice::Minimum),
            target: EnumParam::new("Match Target", TargetChoice::Average),
            learn: BoolParam::new("Learn", true),
            library: Arc::new(RwLock::new(ReferenceLibrary::default())),
        }
    }
}

impl ReferenceParams {
    /// The match EQ design the parameters describe (built off the audio thread).
    pub fn match_design(&self) -> MatchDesign {
        MatchDesign {
            enabled: self.match_on.value(),
            phase: self.phase.value().into(),
            settings: MatchSettings {
                amount_pct: self.amount.value() as f64,
                smoothing_fraction: self.smoothing.value() as f64,
                limit_db: self.limit.value() as f64,
                low_hz: self.low_freq.value() as f64,
                high_hz: self.high_freq.value() as f64,
            },
        }
    }

    /// The DSP settings: the parameters plus the loudness-matching gain and the playhead,
    /// which the plugin supplies.
    pub fn settings(
        &self,
        reference_gain_db: f64,
        transport_pos: Option<i64>,
    ) -> ChainSettings<ReferenceSettings> {
        ChainSettings {
            io: self.io.settings(),
            core: ReferenceSettings {
                match_enabled: self.match_on.value(),
                phase: self.match_design().phase,
                listen_reference: self.listen.value(),
                reference_gain_db,
                transport_pos,
            },
        }
    }

    /// A copy of the reference library (readable even if a panic poisoned its lock: writers
    /// replace whole values).
    pub fn library_snapshot(&self) -> ReferenceLibrary {
        self.library
            .read()
            .map(|l| l.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    /// The selected reference's index (0-based).
    pub fn selected_index(&self) -> usize {
        (self.selected.value().max(1) - 1) as usize
    }
}
