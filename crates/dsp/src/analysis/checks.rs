//! The practical "master-ready" checks on a mix, drawn from common mastering practice (see
//! [`checks`]), and the delivery targets they compare the loudness with.

use super::reference::Analysis;
use serde::{Deserialize, Serialize};

/// How a practical check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Fine.
    Pass,
    /// Worth a look.
    Warn,
    /// For information.
    Info,
}

/// A "master-ready" check on the mix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// What is checked.
    pub name: String,
    /// The outcome.
    pub status: Status,
    /// The numbers behind it.
    pub detail: String,
}

/// Common delivery targets, integrated LUFS.
pub const DELIVERY_TARGETS: [(&str, f64); 4] = [
    ("Spotify, YouTube, Tidal", -14.0),
    ("Apple Music", -16.0),
    ("EBU R128 broadcast", -23.0),
    ("ATSC A/85 broadcast", -24.0),
];

/// Bass octaves more than this far below the integrated loudness are left out of the mono
/// compatibility check (their correlation is the noise floor's), dB.
pub const BASS_CHECK_FLOOR_DB: f64 = -40.0;

/// The practical checks on a mix before mastering, drawn from common mastering practice:
/// peaks between -6 and -3 dBFS (headroom for the mastering chain), no samples at full scale
/// and a true peak at or under 0 dBTP, a positive correlation overall and a near-mono low end
/// (mono compatibility), and the integrated loudness against common delivery targets.
pub fn checks(mix: &Analysis) -> Vec<Check> {
    let mut out = Vec::new();
    let peak = mix.loudness.sample_peak_dbfs;
    out.push(match peak {
        Some(p) if p > -3.0 => Check {
            name: "Headroom for mastering".into(),
            status: Status::Warn,
            detail: format!("peaks at {p:.1} dBFS; leave 3-6 dB (peaks between -6 and -3 dBFS)"),
        },
        Some(p) if p >= -6.0 => Check {
            name: "Headroom for mastering".into(),
            status: Status::Pass,
            detail: format!("peaks at {p:.1} dBFS (between -6 and -3 dBFS)"),
        },
        Some(p) => Check {
            name: "Headroom for mastering".into(),
            status: Status::Info,
            detail: format!("peaks at {p:.1} dBFS: more headroom than needed, which is harmless"),
        },
        None => Check {
            name: "Headroom for mastering".into(),
            status: Status::Info,
            detail: "silence".into(),
        },
    });
    let tp = mix.loudness.true_peak_dbtp.unwrap_or(f64::NEG_INFINITY);
    out.push(Check {
        name: "Clipping".into(),
        status: if mix.clipped_samples == 0 && tp <= 0.0 {
            Status::Pass
        } else {
            Status::Warn
        },
        detail: format!(
            "{} sample(s) at full scale, true peak {}",
            mix.clipped_samples,
            fmt_opt(mix.loudness.true_peak_dbtp, "dBTP")
        ),
    });
    // The bass octaves (31.5-125 Hz, up to 180 Hz) that carry programme: a band more than
    // BASS_CHECK_FLOOR_DB below the integrated loudness is noise floor, whose correlation
    // means nothing.
    let worst_bass = mix
        .bands
        .iter()
        .enumerate()
        .filter(|(i, b)| b.centre_hz <= 125.0 && mix.normalized_band_db(*i) >= BASS_CHECK_FLOOR_DB)
        .map(|(_, b)| (b.correlation, b.centre_hz))
        .min_by(|a, b| a.0.total_cmp(&b.0));
    // Wide but positive (above +0.3) is fine; bass should stay near mono.
    let status = if mix.correlation < 0.3 || worst_bass.is_some_and(|(c, _)| c < 0.5) {
        Status::Warn
    } else {
        Status::Pass
    };
    let bass = match worst_bass {
        Some((c, hz)) => format!(
            "lowest in the bass {c:+.2} (the {} octave; bass should be near +1, below 0 cancels \
             in mono)",
            if hz < 100.0 {
                format!("{hz} Hz")
            } else {
                format!("{hz:.0} Hz")
            }
        ),
        None => "no bass below 180 Hz to check".into(),
    };
    out.push(Check {
        name: "Mono compatibility".into(),
        status,
        detail: format!("correlation {:+.2} overall, {bass}", mix.correlation),
    });
    for (name, target) in DELIVERY_TARGETS {
        out.push(Check {
            name: format!("Loudness for {name} ({target:.0} LUFS)"),
            status: Status::Info,
            detail: match mix.loudness.integrated_lufs {
                Some(l) => format!("{:+.1} LU from the target", l - target),
                None => "no loudness (silence)".into(),
            },
        });
    }
    out
}

/// A value with one decimal and its unit, or "-" when there is none.
pub fn fmt_opt(v: Option<f64>, unit: &str) -> String {
    match v {
        Some(v) => format!("{v:.1} {unit}"),
        None => format!("- {unit}"),
    }
}
