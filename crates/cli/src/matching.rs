//! `lathe match`: a mix held against reference tracks. The analysis, the correction curve and
//! the match EQ are Lathe Reference's own ([`lathe_dsp::reference`],
//! [`lathe_dsp::reference_core`]).

use crate::render::{OutputFormat, RenderSummary, render_chain_with};
use anyhow::{Context, Result, anyhow};
use lathe_dsp::chain::{ChainSettings, IoSettings};
use lathe_dsp::match_eq::{MatchPhase, MatchSettings};
use lathe_dsp::reference::{
    Analysis, GRID_POINTS, NO_DATA_DB, OCTAVE_CENTRES_HZ, average_spectra, grid_hz, has_data,
    smooth,
};
use lathe_dsp::reference_core::{MatchDesign, ReferenceCore, ReferenceSettings, design_kernel};
use serde::Serialize;
use std::path::Path;

/// A decoded, analysed file.
#[derive(Debug, Clone)]
pub struct Track {
    /// The file as named on the command line.
    pub file: String,
    /// Its analysis.
    pub analysis: Analysis,
}

/// Decodes and analyses a file (the analysis runs while it decodes).
pub fn analyze_track(path: &Path) -> Result<Track> {
    let name = path.display().to_string();
    let (analysis, _) =
        lathe_io::analyze_file(path, false, |_| {}).with_context(|| name.clone())?;
    Ok(Track {
        file: name,
        analysis,
    })
}

/// One recording's readouts in the report.
#[derive(Debug, Clone, Serialize)]
pub struct TrackReport {
    /// The file.
    pub file: String,
    /// Sample rate, Hz.
    pub sample_rate_hz: f64,
    /// Duration, s.
    pub duration_s: f64,
    /// Integrated loudness, LUFS.
    pub integrated_lufs: Option<f64>,
    /// Loudness range, LU.
    pub loudness_range_lu: Option<f64>,
    /// True peak, dBTP.
    pub true_peak_dbtp: Option<f64>,
    /// Sample peak, dBFS.
    pub sample_peak_dbfs: Option<f64>,
    /// Peak-to-loudness ratio, dB.
    pub plr_db: Option<f64>,
    /// Samples at full scale.
    pub clipped_samples: u64,
    /// Left/right correlation.
    pub correlation: f64,
    /// Stereo width, %.
    pub width_pct: f64,
    /// Spectral tilt, dB per octave (0 = pink).
    pub tilt_db_per_octave: f64,
    /// Octave bands, level relative to the integrated loudness.
    pub bands: Vec<BandReport>,
    /// Loudness-normalised spectrum on [`MatchReport::grid_hz`] (power per third octave, dB
    /// re LUFS; `null` where there is no data).
    pub spectrum_db: Vec<Option<f32>>,
}

/// One octave band of one recording.
#[derive(Debug, Clone, Serialize)]
pub struct BandReport {
    /// Nominal centre, Hz.
    pub centre_hz: f64,
    /// Level relative to the integrated loudness, dB.
    pub level_db: f64,
    /// Crest factor of the band's envelope, dB.
    pub crest_db: f64,
    /// Stereo width, %.
    pub width_pct: f64,
    /// Correlation.
    pub correlation: f64,
}

impl TrackReport {
    fn new(t: &Track) -> Self {
        let a = &t.analysis;
        Self {
            file: t.file.clone(),
            sample_rate_hz: a.sample_rate_hz,
            duration_s: a.duration_s,
            integrated_lufs: a.integrated_lufs,
            loudness_range_lu: a.loudness_range_lu,
            true_peak_dbtp: a.true_peak_dbtp,
            sample_peak_dbfs: a.sample_peak_dbfs,
            plr_db: a.plr_db,
            clipped_samples: a.clipped_samples,
            correlation: a.correlation,
            width_pct: a.width_pct,
            tilt_db_per_octave: a.tilt_db_per_octave(),
            bands: a
                .bands
                .iter()
                .enumerate()
                .map(|(i, b)| BandReport {
                    centre_hz: b.centre_hz,
                    level_db: a.normalized_band_db(i),
                    crest_db: b.crest_db,
                    width_pct: b.width_pct,
                    correlation: b.correlation,
                })
                .collect(),
            spectrum_db: a
                .normalized_spectrum_db()
                .into_iter()
                .map(|v| has_data(v).then_some(v))
                .collect(),
        }
    }
}

pub use lathe_dsp::reference::{Check, DELIVERY_TARGETS, Status, checks};

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct MatchReport {
    /// The mix.
    pub mix: TrackReport,
    /// Each reference.
    pub references: Vec<TrackReport>,
    /// Frequencies of the spectrum grid, Hz.
    pub grid_hz: Vec<f64>,
    /// The references' average normalised spectrum (the target), dB.
    pub target_db: Vec<Option<f32>>,
    /// The correction the match EQ applies, dB.
    pub correction_db: Vec<f32>,
    /// Spectral tilt of the target minus the mix's, dB per octave.
    pub tilt_difference_db_per_octave: f64,
    /// Practical checks on the mix.
    pub checks: Vec<Check>,
}

/// The references' average loudness-normalised spectrum: what the match EQ aims for.
pub fn target_spectrum(references: &[Track]) -> Vec<f32> {
    average_spectra(
        &references
            .iter()
            .map(|r| r.analysis.normalized_spectrum_db())
            .collect::<Vec<_>>(),
    )
}

/// Compares a mix with references and computes the correction.
pub fn compare(mix: &Track, references: &[Track], design: &MatchDesign) -> MatchReport {
    let target = target_spectrum(references);
    let mix_norm = mix.analysis.normalized_spectrum_db();
    let correction = if design.enabled {
        lathe_dsp::match_eq::correction_curve(&mix_norm, &target, &design.settings)
    } else {
        vec![0.0; GRID_POINTS]
    };
    MatchReport {
        mix: TrackReport::new(mix),
        references: references.iter().map(TrackReport::new).collect(),
        grid_hz: (0..GRID_POINTS).map(grid_hz).collect(),
        tilt_difference_db_per_octave: lathe_dsp::reference::tilt_db_per_octave(&target)
            - mix.analysis.tilt_db_per_octave(),
        target_db: target.iter().map(|&v| has_data(v).then_some(v)).collect(),
        correction_db: correction,
        checks: checks(&mix.analysis),
    }
}

use lathe_dsp::reference::fmt_opt;

fn short_name(file: &str) -> String {
    let name = Path::new(file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.to_owned());
    if name.chars().count() > 18 {
        let s: String = name.chars().take(17).collect();
        format!("{s}~")
    } else {
        name
    }
}

/// The side-by-side table `lathe match` prints.
pub fn format_report(r: &MatchReport) -> String {
    let tracks: Vec<&TrackReport> = std::iter::once(&r.mix).chain(&r.references).collect();
    let mut out = String::new();
    let row = |out: &mut String, label: &str, cells: Vec<String>| {
        out.push_str(&format!("{label:<22}"));
        for c in cells {
            out.push_str(&format!("{c:>20}"));
        }
        out.push('\n');
    };
    row(
        &mut out,
        "",
        tracks
            .iter()
            .enumerate()
            .map(|(i, t)| {
                if i == 0 {
                    format!("mix: {}", short_name(&t.file))
                } else {
                    short_name(&t.file)
                }
            })
            .collect(),
    );
    let metric = |f: &dyn Fn(&TrackReport) -> String| tracks.iter().map(|t| f(t)).collect();
    row(
        &mut out,
        "Integrated loudness",
        metric(&|t| fmt_opt(t.integrated_lufs, "LUFS")),
    );
    row(
        &mut out,
        "Loudness range",
        metric(&|t| fmt_opt(t.loudness_range_lu, "LU")),
    );
    row(
        &mut out,
        "True peak",
        metric(&|t| fmt_opt(t.true_peak_dbtp, "dBTP")),
    );
    row(
        &mut out,
        "Sample peak",
        metric(&|t| fmt_opt(t.sample_peak_dbfs, "dBFS")),
    );
    row(&mut out, "PLR", metric(&|t| fmt_opt(t.plr_db, "dB")));
    row(
        &mut out,
        "Clipped samples",
        metric(&|t| t.clipped_samples.to_string()),
    );
    row(
        &mut out,
        "Correlation",
        metric(&|t| format!("{:+.2}", t.correlation)),
    );
    row(
        &mut out,
        "Width",
        metric(&|t| format!("{:.0} %", t.width_pct)),
    );
    row(
        &mut out,
        "Tilt",
        metric(&|t| format!("{:+.2} dB/oct", t.tilt_db_per_octave)),
    );
    row(
        &mut out,
        "Duration / rate",
        metric(&|t| format!("{:.1} s {:.1} kHz", t.duration_s, t.sample_rate_hz / 1000.0)),
    );
    out.push_str("\nOctave bands (level re integrated loudness / crest / width)\n");
    for (i, &c) in OCTAVE_CENTRES_HZ.iter().enumerate() {
        let label = if c >= 1000.0 {
            format!("{:>5} kHz", c / 1000.0)
        } else {
            format!("{c:>6} Hz")
        };
        row(
            &mut out,
            &label,
            metric(&|t| {
                let b = &t.bands[i];
                format!("{:+.1} {:.1} {:.0}%", b.level_db, b.crest_db, b.width_pct)
            }),
        );
    }
    out.push_str(&format!(
        "\nTarget tilt minus mix tilt: {:+.2} dB/oct\nCorrection (match EQ):",
        r.tilt_difference_db_per_octave
    ));
    for &c in &OCTAVE_CENTRES_HZ {
        let v = lathe_dsp::match_eq::curve_at(&r.correction_db, c);
        out.push_str(&format!(" {}:{v:+.1}", fmt_hz(c)));
    }
    out.push_str(" dB\n\nMaster-ready checks on the mix\n");
    for c in &r.checks {
        let tag = match c.status {
            Status::Pass => "ok  ",
            Status::Warn => "WARN",
            Status::Info => "info",
        };
        out.push_str(&format!("  [{tag}] {}: {}\n", c.name, c.detail));
    }
    out
}

fn fmt_hz(f: f64) -> String {
    if f >= 1000.0 {
        format!("{}k", f / 1000.0)
    } else {
        format!("{f}")
    }
}

/// Writes a PNG of both spectra (smoothed to `1/fraction` octave), their difference and the
/// correction.
pub fn plot(r: &MatchReport, fraction: f64, path: &Path) -> Result<()> {
    use plotters::prelude::*;
    use plotters::style::{FontStyle, register_font};
    // The charts' text is drawn with a font compiled into the binary.
    let _ = register_font(
        "sans-serif",
        FontStyle::Normal,
        epaint_default_fonts::UBUNTU_LIGHT,
    );
    let unwrap =
        |v: &[Option<f32>]| -> Vec<f32> { v.iter().map(|x| x.unwrap_or(NO_DATA_DB)).collect() };
    let mix = smooth(&unwrap(&r.mix.spectrum_db), fraction);
    let target = smooth(&unwrap(&r.target_db), fraction);
    let series = |v: &[f32]| -> Vec<(f64, f64)> {
        v.iter()
            .enumerate()
            .filter(|(_, x)| has_data(**x))
            .map(|(i, &x)| (grid_hz(i), x as f64))
            .collect()
    };
    let (mix_s, target_s) = (series(&mix), series(&target));
    let diff: Vec<(f64, f64)> = (0..GRID_POINTS)
        .filter(|&i| has_data(mix[i]) && has_data(target[i]))
        .map(|i| (grid_hz(i), (target[i] - mix[i]) as f64))
        .collect();
    let corr: Vec<(f64, f64)> = r
        .correction_db
        .iter()
        .enumerate()
        .map(|(i, &c)| (grid_hz(i), c as f64))
        .collect();
    let ys: Vec<f64> = mix_s.iter().chain(&target_s).map(|p| p.1).collect();
    let top = ys.iter().copied().fold(f64::MIN, f64::max).ceil() + 3.0;
    let bottom = (top - 60.0).max(ys.iter().copied().fold(f64::MAX, f64::min).floor() - 3.0);
    let err = |e: &dyn std::fmt::Display| anyhow!("cannot draw {}: {e}", path.display());
    let root = BitMapBackend::new(path, (1200, 800)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (upper, lower) = root.split_vertically(480);
    let mut chart = ChartBuilder::on(&upper)
        .caption(
            "Long-term spectrum, loudness-normalised (dB re integrated loudness)",
            ("sans-serif", 22),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d((20f64..20_000f64).log_scale(), bottom..top)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("Hz")
        .x_label_formatter(&|v| fmt_hz(v.round()))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .y_desc("dB per third octave")
        .draw()
        .map_err(|e| err(&e))?;
    let blue = RGBColor(40, 110, 200);
    let orange = RGBColor(230, 120, 20);
    chart
        .draw_series(LineSeries::new(mix_s, blue.stroke_width(2)))
        .map_err(|e| err(&e))?
        .label("mix")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], blue.stroke_width(2)));
    let label = if r.references.len() == 1 {
        "reference".to_owned()
    } else {
        format!("references (average of {})", r.references.len())
    };
    chart
        .draw_series(LineSeries::new(target_s, orange.stroke_width(2)))
        .map_err(|e| err(&e))?
        .label(label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], orange.stroke_width(2)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 16))
        .draw()
        .map_err(|e| err(&e))?;
    let span = diff
        .iter()
        .chain(&corr)
        .map(|p| p.1.abs())
        .fold(6.0f64, f64::max)
        .ceil();
    let mut chart = ChartBuilder::on(&lower)
        .caption(
            "Difference (reference - mix) and match EQ",
            ("sans-serif", 22),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d((20f64..20_000f64).log_scale(), -span..span)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("Hz")
        .x_label_formatter(&|v| fmt_hz(v.round()))
        .y_label_formatter(&|v| format!("{v:+.0}"))
        .y_desc("dB")
        .draw()
        .map_err(|e| err(&e))?;
    let grey = RGBColor(120, 120, 120);
    let green = RGBColor(30, 150, 60);
    chart
        .draw_series(LineSeries::new(diff, grey.stroke_width(1)))
        .map_err(|e| err(&e))?
        .label("difference")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], grey.stroke_width(1)));
    chart
        .draw_series(LineSeries::new(corr, green.stroke_width(3)))
        .map_err(|e| err(&e))?
        .label("match EQ")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], green.stroke_width(3)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 16))
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// The match EQ's settings from the command line's options.
pub fn design(
    amount_pct: f64,
    smoothing_fraction: f64,
    limit_db: f64,
    low_hz: f64,
    high_hz: f64,
    phase: MatchPhase,
) -> Result<MatchDesign> {
    let check = |ok: bool, what: &str| if ok { Ok(()) } else { Err(anyhow!("{what}")) };
    check(
        (0.0..=100.0).contains(&amount_pct),
        "--amount must be 0 to 100 (%)",
    )?;
    check(
        (1.0..=24.0).contains(&smoothing_fraction),
        "--smoothing must be 1 to 24 (1/N octave)",
    )?;
    check(
        (0.0..=12.0).contains(&limit_db),
        "--limit must be 0 to 12 (dB)",
    )?;
    check(
        low_hz > 0.0 && high_hz > low_hz && high_hz <= 24_000.0,
        "--low and --high must satisfy 0 < low < high <= 24000 (Hz)",
    )?;
    Ok(MatchDesign {
        enabled: true,
        phase,
        settings: MatchSettings {
            amount_pct,
            smoothing_fraction,
            limit_db,
            low_hz,
            high_hz,
        },
    })
}

/// Renders the mix through the match EQ (the plugin's chain with this kernel), latency
/// compensated.
pub fn render_matched(
    mix_path: &Path,
    mix: &Track,
    target_db: &[f32],
    design: &MatchDesign,
    output: &Path,
    format: OutputFormat,
    progress: impl FnMut(crate::Progress),
) -> Result<RenderSummary> {
    let mix_norm = mix.analysis.normalized_spectrum_db();
    let settings = ChainSettings {
        io: IoSettings::default(),
        core: ReferenceSettings {
            match_enabled: design.enabled,
            phase: design.phase,
            ..Default::default()
        },
    };
    render_chain_with::<ReferenceCore>(
        mix_path,
        output,
        &settings,
        None,
        format,
        progress,
        |chain, rate| {
            let (msg, _) = design_kernel(Some(&mix_norm), Some(target_db), design, rate as f64);
            chain.core_mut().load_kernel(&msg);
        },
    )
}
