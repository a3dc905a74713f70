//! `lathe match`: a mix held against reference tracks. The analysis, the correction curve and
//! the match EQ are Lathe Reference's own ([`lathe_dsp::analysis::reference`],
//! [`lathe_dsp::chains::reference`]).

use crate::render::{OutputFormat, RenderSummary, render_chain_with};
use anyhow::{Context, Result, anyhow};
use lathe_dsp::LoudnessSummary;
use lathe_dsp::analysis::match_eq::{MatchPhase, MatchSettings};
use lathe_dsp::analysis::reference::{
    Analysis, GRID_POINTS, NO_DATA_DB, OCTAVE_CENTRES_HZ, average_spectra, grid_hz, has_data,
    smooth,
};
use lathe_dsp::chains::reference::{MatchDesign, ReferenceCore, ReferenceSettings, design_kernel};
use lathe_dsp::chains::{ChainSettings, IoSettings};
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

/// Decodes and analyses `paths` in order, two at a time (each analysis uses two threads
/// itself); the first failure is the error.
pub fn analyze_tracks(paths: &[&Path]) -> Result<Vec<Track>> {
    let mut tracks = Vec::new();
    for pair in paths.chunks(2) {
        let results: Vec<Result<Track>> = std::thread::scope(|s| {
            let handles: Vec<_> = pair
                .iter()
                .map(|p| s.spawn(move || analyze_track(p)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err(anyhow!("analysis failed"))))
                .collect()
        });
        for r in results {
            tracks.push(r?);
        }
    }
    Ok(tracks)
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
    /// Loudness and peaks (flattened into the JSON: `integrated_lufs`, `true_peak_dbtp`, ...).
    #[serde(flatten)]
    pub loudness: LoudnessSummary,
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
            loudness: a.loudness,
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

pub use lathe_dsp::analysis::reference::{Check, DELIVERY_TARGETS, Status, checks};

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
        lathe_dsp::analysis::match_eq::correction_curve(&mix_norm, &target, &design.settings)
    } else {
        vec![0.0; GRID_POINTS]
    };
    MatchReport {
        mix: TrackReport::new(mix),
        references: references.iter().map(TrackReport::new).collect(),
        grid_hz: (0..GRID_POINTS).map(grid_hz).collect(),
        tilt_difference_db_per_octave: lathe_dsp::analysis::reference::tilt_db_per_octave(&target)
            - mix.analysis.tilt_db_per_octave(),
        target_db: target.iter().map(|&v| has_data(v).then_some(v)).collect(),
        correction_db: correction,
        checks: checks(&mix.analysis),
    }
}

use lathe_dsp::analysis::reference::fmt_opt;

/// File names longer than this are shortened in the middle in the text report.
const MAX_NAME_CHARS: usize = 40;
/// Width of the text report's label column.
const LABEL_CHARS: usize = 24;

/// The file's name (no folder), shortened in the middle when very long.
pub(crate) fn short_name(file: &str) -> String {
    let name = Path::new(file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.to_owned());
    let chars: Vec<char> = name.chars().collect();
    if chars.len() > MAX_NAME_CHARS {
        let keep = MAX_NAME_CHARS - 3;
        let head: String = chars[..keep / 2].iter().collect();
        let tail: String = chars[chars.len() - (keep - keep / 2)..].iter().collect();
        format!("{head}...{tail}")
    } else {
        name
    }
}

/// The side-by-side table `lathe match` prints: one column per recording, as wide as its
/// longest name, so the columns stay aligned; the octave bands with a header and units.
pub fn format_report(r: &MatchReport) -> String {
    let tracks: Vec<&TrackReport> = std::iter::once(&r.mix).chain(&r.references).collect();
    let names: Vec<String> = tracks.iter().map(|t| short_name(&t.file)).collect();
    // Each column is wide enough for its name and for the band table's three sub-columns;
    // the last, the match EQ's, for its header.
    let widths: Vec<usize> = names
        .iter()
        .map(|n| n.chars().count().max(22) + 2)
        .chain([12])
        .collect();
    let mut out = String::new();
    let row = |out: &mut String, label: &str, cells: Vec<String>| {
        let line = cells
            .iter()
            .zip(&widths)
            .fold(format!("{label:<LABEL_CHARS$}"), |l, (c, &w)| {
                l + &format!("{c:>w$}")
            });
        out.push_str(line.trim_end());
        out.push('\n');
    };
    let roles: Vec<String> = (0..tracks.len())
        .map(|i| match (i, r.references.len()) {
            (0, _) => "mix".to_owned(),
            (_, 1) => "reference".to_owned(),
            (i, _) => format!("reference {i}"),
        })
        .collect();
    row(&mut out, "", roles.clone());
    row(&mut out, "", names.clone());
    type Metric = (&'static str, fn(&TrackReport) -> String);
    let metrics: [Metric; 11] = [
        ("Integrated loudness", |t| {
            fmt_opt(t.loudness.integrated_lufs, "LUFS")
        }),
        ("Loudness range", |t| {
            fmt_opt(t.loudness.loudness_range_lu, "LU")
        }),
        ("True peak", |t| fmt_opt(t.loudness.true_peak_dbtp, "dBTP")),
        ("Sample peak", |t| {
            fmt_opt(t.loudness.sample_peak_dbfs, "dBFS")
        }),
        ("PLR", |t| fmt_opt(t.loudness.plr_db, "dB")),
        ("Clipped samples", |t| t.clipped_samples.to_string()),
        ("Correlation", |t| format!("{:+.2}", t.correlation)),
        ("Width", |t| format!("{:.0} %", t.width_pct)),
        ("Tilt", |t| format!("{:+.2} dB/oct", t.tilt_db_per_octave)),
        ("Duration", |t| format!("{:.1} s", t.duration_s)),
        ("Sample rate", |t| {
            format!("{:.1} kHz", t.sample_rate_hz / 1000.0)
        }),
    ];
    for (label, metric) in metrics {
        row(&mut out, label, tracks.iter().map(|t| metric(t)).collect());
    }

    // The octave bands: level (re the integrated loudness), crest factor and width of each
    // recording, and the match EQ's correction at the band's centre.
    let sub = |a: &str, b: &str, c: &str| format!("{a:>8}{b:>7}{c:>7}");
    let with_eq = |mut cells: Vec<String>, eq: String| {
        cells.push(eq);
        cells
    };
    out.push('\n');
    row(
        &mut out,
        "Octave bands",
        with_eq(names.clone(), "match EQ".into()),
    );
    row(
        &mut out,
        "",
        with_eq(
            tracks
                .iter()
                .map(|_| sub("level", "crest", "width"))
                .collect(),
            "correction".into(),
        ),
    );
    row(
        &mut out,
        "",
        with_eq(
            tracks.iter().map(|_| sub("dB", "dB", "%")).collect(),
            "dB".into(),
        ),
    );
    for (i, &c) in OCTAVE_CENTRES_HZ.iter().enumerate() {
        let label = if c >= 1000.0 {
            format!("{:>6} kHz", c / 1000.0)
        } else {
            format!("{c:>6} Hz")
        };
        let eq = lathe_dsp::analysis::match_eq::curve_at(&r.correction_db, c);
        row(
            &mut out,
            &format!("  {label}"),
            with_eq(
                tracks
                    .iter()
                    .map(|t| {
                        let b = &t.bands[i];
                        format!(
                            "{:>+8.1}{:>7.1}{:>7.0}",
                            b.level_db, b.crest_db, b.width_pct
                        )
                    })
                    .collect(),
                format!("{eq:+.1}"),
            ),
        );
    }
    out.push_str(&format!(
        "\nLevel: relative to the integrated loudness. Crest: how far the band's loudest \
         400 ms rise over its\nmean. Width: 0 % mono, 100 % uncorrelated, 200 % out of phase.\n\
         \nTarget tilt minus mix tilt: {:+.2} dB/oct\n\nMaster-ready checks on the mix\n",
        r.tilt_difference_db_per_octave
    ));
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

/// A corner of a chart, where its legend goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corner {
    /// Top left.
    UpperLeft,
    /// Top right.
    UpperRight,
    /// Bottom left.
    LowerLeft,
    /// Bottom right.
    LowerRight,
}

impl Corner {
    /// The part of the plot area a legend in this corner covers, as fractions of the width
    /// and height from the lower left: `((x0, x1), (y0, y1))`.
    pub fn region(self) -> ((f64, f64), (f64, f64)) {
        let (left, right, low, high) = ((0.0, 0.35), (0.65, 1.0), (0.0, 0.22), (0.78, 1.0));
        match self {
            Corner::UpperLeft => (left, high),
            Corner::UpperRight => (right, high),
            Corner::LowerLeft => (left, low),
            Corner::LowerRight => (right, low),
        }
    }
}

/// What [`plot`] draws, computed apart from the drawing so it can be checked: the curves on a
/// log2 frequency axis (octaves from 1 kHz, so every octave is labelled), value ranges that hold
/// every curve, and legend corners the curves leave empty.
#[derive(Debug, Clone)]
pub struct PlotLayout {
    /// The frequency axis, octaves re 1 kHz (20 Hz to 20 kHz).
    pub x_range: std::ops::Range<f64>,
    /// The mix's smoothed normalised spectrum, (octave, dB).
    pub mix: Vec<(f64, f64)>,
    /// The references' average, (octave, dB).
    pub target: Vec<(f64, f64)>,
    /// Target minus mix, (octave, dB).
    pub difference: Vec<(f64, f64)>,
    /// The match EQ's correction, (octave, dB).
    pub correction: Vec<(f64, f64)>,
    /// The upper chart's dB range.
    pub upper_range: (f64, f64),
    /// The lower chart's dB range.
    pub lower_range: (f64, f64),
    /// Where the upper chart's legend goes.
    pub upper_corner: Corner,
    /// Where the lower chart's legend goes.
    pub lower_corner: Corner,
    /// The legend's name for the mix curve (with the file name).
    pub mix_label: String,
    /// The legend's name for the target curve (with the file names).
    pub target_label: String,
}

/// The frequency axis label at `x` octaves from 1 kHz: the nominal octave centre ("31.5",
/// "1k") at whole octaves, nothing between.
pub fn octave_label(x: f64) -> String {
    if (x - x.round()).abs() > 1e-6 {
        return String::new();
    }
    let f = 1000.0 * 2f64.powf(x.round());
    OCTAVE_CENTRES_HZ
        .iter()
        .find(|&&c| (c / f - 1.0).abs() < 0.05)
        .map(|&c| fmt_hz(c))
        .unwrap_or_default()
}

/// The corner of a chart spanning `x_range` and `(lo, hi)` that `curves` leave emptiest: where
/// its legend goes.
pub fn emptiest_corner(
    curves: &[&[(f64, f64)]],
    x_range: &std::ops::Range<f64>,
    (lo, hi): (f64, f64),
) -> Corner {
    let (x0, x1) = (x_range.start, x_range.end);
    [
        Corner::UpperLeft,
        Corner::UpperRight,
        Corner::LowerLeft,
        Corner::LowerRight,
    ]
    .into_iter()
    .min_by_key(|c| {
        let ((fx0, fx1), (fy0, fy1)) = c.region();
        curves
            .iter()
            .flat_map(|c| c.iter())
            .filter(|(x, y)| {
                let fx = (x - x0) / (x1 - x0);
                let fy = (y - lo) / (hi - lo);
                (fx0..=fx1).contains(&fx) && (fy0..=fy1).contains(&fy)
            })
            .count()
    })
    .unwrap_or(Corner::UpperRight)
}

/// Lays out [`plot`]'s charts for a report, spectra smoothed to `1/fraction` octave.
pub fn plot_layout(r: &MatchReport, fraction: f64) -> PlotLayout {
    let octave = |f: f64| (f / 1000.0).log2();
    let x_range = octave(20.0)..octave(20_000.0);
    let unwrap =
        |v: &[Option<f32>]| -> Vec<f32> { v.iter().map(|x| x.unwrap_or(NO_DATA_DB)).collect() };
    let mix = smooth(&unwrap(&r.mix.spectrum_db), fraction);
    let target = smooth(&unwrap(&r.target_db), fraction);
    let series = |v: &[f32]| -> Vec<(f64, f64)> {
        v.iter()
            .enumerate()
            .filter(|(_, x)| has_data(**x))
            .map(|(i, &x)| (octave(grid_hz(i)), x as f64))
            .collect()
    };
    let (mut mix_s, mut target_s) = (series(&mix), series(&target));
    let difference: Vec<(f64, f64)> = (0..GRID_POINTS)
        .filter(|&i| has_data(mix[i]) && has_data(target[i]))
        .map(|i| (octave(grid_hz(i)), (target[i] - mix[i]) as f64))
        .collect();
    let correction: Vec<(f64, f64)> = r
        .correction_db
        .iter()
        .enumerate()
        .map(|(i, &c)| (octave(grid_hz(i)), c as f64))
        .collect();
    // Every curve inside its frame: the range holds all of it with a margin (at most 90 dB,
    // below which a curve runs along the floor).
    let ys: Vec<f64> = mix_s.iter().chain(&target_s).map(|p| p.1).collect();
    let (high, low) = if ys.is_empty() {
        (0.0, -60.0)
    } else {
        (
            ys.iter().copied().fold(f64::MIN, f64::max),
            ys.iter().copied().fold(f64::MAX, f64::min),
        )
    };
    let top = (high / 5.0).ceil() * 5.0 + 5.0;
    let bottom = ((low / 5.0).floor() * 5.0 - 5.0).max(top - 90.0);
    for p in mix_s.iter_mut().chain(target_s.iter_mut()) {
        p.1 = p.1.max(bottom);
    }
    let span = (difference
        .iter()
        .chain(&correction)
        .map(|p| p.1.abs())
        .fold(4.0f64, f64::max)
        / 2.0)
        .ceil()
        * 2.0
        + 2.0;
    let upper_range = (bottom, top);
    let lower_range = (-span, span);
    let names: Vec<String> = r.references.iter().map(|t| short_name(&t.file)).collect();
    PlotLayout {
        upper_corner: emptiest_corner(&[&mix_s, &target_s], &x_range, upper_range),
        lower_corner: emptiest_corner(&[&difference, &correction], &x_range, lower_range),
        x_range,
        mix: mix_s,
        target: target_s,
        difference,
        correction,
        upper_range,
        lower_range,
        mix_label: format!("mix: {}", short_name(&r.mix.file)),
        target_label: if names.len() == 1 {
            format!("reference: {}", names[0])
        } else {
            format!(
                "references, average of {}: {}",
                names.len(),
                names.join(", ")
            )
        },
    }
}

/// Points, colour, line width and legend name of a curve.
pub type Curve<'a> = (&'a [(f64, f64)], plotters::style::RGBColor, u32, &'a str);

/// One chart of a two-chart plot ([`draw_panels`]).
pub struct Panel<'a> {
    /// Title above the chart.
    pub caption: &'a str,
    /// The horizontal axis's range.
    pub x_range: std::ops::Range<f64>,
    /// Its tick labels.
    pub x_ticks: &'a dyn Fn(&f64) -> String,
    /// How many ticks it has.
    pub x_labels: usize,
    /// Its name.
    pub x_desc: &'a str,
    /// The vertical axis's range.
    pub y_range: (f64, f64),
    /// Its tick labels.
    pub y_ticks: &'a dyn Fn(&f64) -> String,
    /// Its name.
    pub y_desc: &'a str,
    /// The curves, drawn in order.
    pub curves: Vec<Curve<'a>>,
    /// Where the legend goes.
    pub corner: Corner,
}

/// Draws two charts, one above the other (the upper `split` pixels high), into a PNG of `size`
/// pixels, its text in a font compiled into the binary.
pub fn draw_panels(path: &Path, size: (u32, u32), split: u32, panels: [Panel; 2]) -> Result<()> {
    use plotters::prelude::*;
    use plotters::style::{FontStyle, register_font};
    let _ = register_font(
        "sans-serif",
        FontStyle::Normal,
        epaint_default_fonts::UBUNTU_LIGHT,
    );
    let position = |c: Corner| match c {
        Corner::UpperLeft => SeriesLabelPosition::UpperLeft,
        Corner::UpperRight => SeriesLabelPosition::UpperRight,
        Corner::LowerLeft => SeriesLabelPosition::LowerLeft,
        Corner::LowerRight => SeriesLabelPosition::LowerRight,
    };
    // The caller names the file (this one may be its temporary name).
    let err = |e: &dyn std::fmt::Display| anyhow!("{e}");
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (upper, lower) = root.split_vertically(split);
    for (area, panel) in [&upper, &lower].into_iter().zip(panels) {
        let (bottom, top) = panel.y_range;
        let mut chart = ChartBuilder::on(area)
            .caption(panel.caption, ("sans-serif", 22))
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(panel.x_range.clone(), bottom..top)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_labels(panel.x_labels)
            .x_label_formatter(panel.x_ticks)
            .x_desc(panel.x_desc)
            .y_label_formatter(panel.y_ticks)
            .y_desc(panel.y_desc)
            .label_style(("sans-serif", 15))
            .draw()
            .map_err(|e| err(&e))?;
        for (points, colour, width, name) in panel.curves {
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    colour.stroke_width(width),
                ))
                .map_err(|e| err(&e))?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(width))
                });
        }
        chart
            .configure_series_labels()
            .position(position(panel.corner))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 16))
            .draw()
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// The octave axis of a spectrum chart: tick labels at the octave centres.
pub fn octave_ticks(x: &f64) -> String {
    octave_label(*x)
}

/// Writes a PNG of both spectra (smoothed to `1/fraction` octave), their difference and the
/// correction.
pub fn plot(r: &MatchReport, fraction: f64, path: &Path) -> Result<()> {
    use plotters::style::RGBColor;
    let PlotLayout {
        x_range,
        mix,
        target,
        difference,
        correction,
        upper_range,
        lower_range,
        upper_corner,
        lower_corner,
        mix_label,
        target_label,
    } = plot_layout(r, fraction);
    let upper_ticks = |v: &f64| format!("{v:.0}");
    let lower_ticks = |v: &f64| format!("{v:+.0}");
    draw_panels(
        path,
        (1200, 820),
        490,
        [
            Panel {
                caption: "Long-term spectrum, loudness-normalised (dB re integrated loudness)",
                x_range: x_range.clone(),
                x_ticks: &octave_ticks,
                x_labels: 11,
                x_desc: "Hz (octave centres)",
                y_range: upper_range,
                y_ticks: &upper_ticks,
                y_desc: "dB per third octave",
                curves: vec![
                    (&mix, RGBColor(40, 110, 200), 2, &mix_label),
                    (&target, RGBColor(230, 120, 20), 2, &target_label),
                ],
                corner: upper_corner,
            },
            Panel {
                caption: "Difference (reference - mix) and the match EQ's correction",
                x_range,
                x_ticks: &octave_ticks,
                x_labels: 11,
                x_desc: "Hz (octave centres)",
                y_range: lower_range,
                y_ticks: &lower_ticks,
                y_desc: "dB",
                // The match EQ underneath, broad and light; the difference on top, thin and
                // dark, so where they agree both stay visible.
                curves: vec![
                    (
                        &correction,
                        RGBColor(120, 200, 140),
                        6,
                        "match EQ correction",
                    ),
                    (&difference, RGBColor(40, 40, 40), 1, "difference"),
                ],
                corner: lower_corner,
            },
        ],
    )
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
