//! `--plot`: the spectra of the mix, the master and the references (loudness-normalised, as
//! Lathe Reference shows them), and the short-term loudness (EBU R128, 3 s) of the mix and the
//! master over time; in album mode the tracks' average spectra and their loudness one track
//! after another.

use super::checks::{SERIES_HOP_S, metered};
use super::loudness::Delivery;
use crate::matching::{Panel, Track, draw_panels, emptiest_corner, octave_ticks, short_name};
use anyhow::Result;
use lathe_dsp::analysis::reference::{
    Analysis, GRID_POINTS, analyze_stereo, average_spectra, grid_hz, has_data, smooth,
};
use plotters::style::RGBColor;
use std::path::Path;

/// Smoothing of the plotted spectra, 1/N octave.
const SMOOTHING_FRACTION: f64 = 6.0;
/// The loudness chart's floor, LUFS (quieter passages run along it).
const FLOOR_LUFS: f64 = -60.0;

/// One track as the plot needs it.
pub(super) struct PlotTrack<'a> {
    /// The mix's file, as given.
    pub name: String,
    /// The mix as it came in.
    pub mix: &'a [Vec<f32>],
    /// Its rate, Hz.
    pub mix_rate_hz: u32,
    /// Its analysis, when the run made one (with references).
    pub mix_analysis: Option<&'a Analysis>,
    /// Its master as delivered.
    pub master: &'a Delivery,
}

/// Analysis of planar audio (mono: the channel as both sides).
fn analysis_of(planar: &[Vec<f32>], sample_rate_hz: u32) -> Analysis {
    let right = planar.get(1).unwrap_or(&planar[0]);
    analyze_stereo(sample_rate_hz as f64, &planar[0], right)
}

/// The average of spectra, smoothed, as (octave re 1 kHz, dB) points.
fn spectrum_curve(spectra: &[Vec<f32>]) -> Vec<(f64, f64)> {
    let mean = smooth(&average_spectra(spectra), SMOOTHING_FRACTION);
    (0..GRID_POINTS)
        .filter(|&i| has_data(mean[i]))
        .map(|i| ((grid_hz(i) / 1000.0).log2(), mean[i] as f64))
        .collect()
}

/// Short-term loudness series one after another, as (seconds, LUFS) points at the floor in
/// silence.
fn loudness_curve(series: &[Vec<f64>]) -> Vec<(f64, f64)> {
    series
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, &l)| ((i + 1) as f64 * SERIES_HOP_S, l.max(FLOOR_LUFS)))
        .collect()
}

/// Draws the plot of `tracks` (their masters delivered) against `references` into `path`.
pub(super) fn plot(
    tracks: &[PlotTrack],
    references: &[Track],
    target_lufs: f64,
    path: &Path,
) -> Result<()> {
    // The spectra and the mixes' loudness on another thread while this one analyses the
    // masters.
    let (mixes, masters) = std::thread::scope(|scope| {
        let mixes = scope.spawn(|| {
            tracks
                .iter()
                .map(|t| {
                    let analysis = t
                        .mix_analysis
                        .cloned()
                        .unwrap_or_else(|| analysis_of(t.mix, t.mix_rate_hz));
                    let series = metered(t.mix, t.mix_rate_hz).short_term_lufs;
                    (analysis.normalized_spectrum_db(), series)
                })
                .collect::<Vec<_>>()
        });
        let masters: Vec<Vec<f32>> = tracks
            .iter()
            .map(|t| {
                analysis_of(&t.master.samples, t.master.sample_rate_hz).normalized_spectrum_db()
            })
            .collect();
        (mixes.join(), masters)
    });
    let mixes = mixes.map_err(|_| anyhow::anyhow!("the mix analysis failed"))?;
    let (mix_spectra, mix_series): (Vec<Vec<f32>>, Vec<Vec<f64>>) = mixes.into_iter().unzip();
    let master_series: Vec<Vec<f64>> = tracks
        .iter()
        .map(|t| t.master.metered.short_term_lufs.clone())
        .collect();
    let mix_curve = spectrum_curve(&mix_spectra);
    let master_curve = spectrum_curve(&masters);
    let reference_curve = spectrum_curve(
        &references
            .iter()
            .map(|r| r.analysis.normalized_spectrum_db())
            .collect::<Vec<_>>(),
    );
    let x_range = (20.0f64 / 1000.0).log2()..(20_000.0f64 / 1000.0).log2();
    let spectra: Vec<&[(f64, f64)]> = [&mix_curve, &master_curve, &reference_curve]
        .into_iter()
        .filter(|c| !c.is_empty())
        .map(|c| &c[..])
        .collect();
    let (low, high) = spectra
        .iter()
        .flat_map(|c| c.iter())
        .fold((f64::MAX, f64::MIN), |(lo, hi), p| {
            (lo.min(p.1), hi.max(p.1))
        });
    let top = (high / 5.0).ceil() * 5.0 + 5.0;
    let bottom = ((low / 5.0).floor() * 5.0 - 5.0).max(top - 90.0);
    let upper_range = (bottom, top);
    let mix_loudness = loudness_curve(&mix_series);
    let master_loudness = loudness_curve(&master_series);
    let duration_s = master_loudness.last().map_or(1.0, |p| p.0).max(1.0);
    let target_line = [(0.0, target_lufs), (duration_s, target_lufs)];
    let loudest = mix_loudness
        .iter()
        .chain(&master_loudness)
        .map(|p| p.1)
        .fold(target_lufs, f64::max);
    let lower_range = (FLOOR_LUFS, (loudest / 3.0).ceil() * 3.0 + 3.0);
    let time_range = 0.0..duration_s;
    let names = |files: &mut dyn Iterator<Item = String>| {
        let names: Vec<String> = files.map(|f| short_name(&f)).collect();
        if names.len() > 3 {
            format!("{} files", names.len())
        } else {
            names.join(", ")
        }
    };
    let mix_label = if tracks.len() > 1 {
        format!("mixes ({} tracks)", tracks.len())
    } else {
        format!("mix: {}", short_name(&tracks[0].name))
    };
    let master_label = if tracks.len() > 1 {
        "masters".to_owned()
    } else {
        "master".to_owned()
    };
    let reference_label = format!(
        "references: {}",
        names(&mut references.iter().map(|r| r.file.clone()))
    );
    let target_label = format!("target {target_lufs:.1} LUFS");
    let db_ticks = |v: &f64| format!("{v:.0}");
    let time_ticks = |v: &f64| {
        let s = v.round() as i64;
        format!("{}:{:02}", s / 60, s % 60)
    };
    let blue = RGBColor(40, 110, 200);
    let orange = RGBColor(230, 120, 20);
    let green = RGBColor(40, 150, 80);
    let mut spectrum_curves = vec![(&mix_curve[..], blue, 2, &mix_label[..])];
    spectrum_curves.push((&master_curve, orange, 2, &master_label));
    if !reference_curve.is_empty() {
        spectrum_curves.push((&reference_curve, green, 2, &reference_label));
    }
    draw_panels(
        path,
        (1200, 820),
        470,
        [
            Panel {
                caption: "Long-term spectrum, loudness-normalised (dB re integrated loudness)",
                corner: emptiest_corner(&spectra, &x_range, upper_range),
                x_range,
                x_ticks: &octave_ticks,
                x_labels: 11,
                x_desc: "Hz (octave centres)",
                y_range: upper_range,
                y_ticks: &db_ticks,
                y_desc: "dB per third octave",
                curves: spectrum_curves,
            },
            Panel {
                caption: "Short-term loudness (3 s), mix and master",
                corner: emptiest_corner(
                    &[&mix_loudness, &master_loudness],
                    &time_range,
                    lower_range,
                ),
                x_range: time_range,
                x_ticks: &time_ticks,
                x_labels: 12,
                x_desc: "time (min:s)",
                y_range: lower_range,
                y_ticks: &db_ticks,
                y_desc: "LUFS",
                curves: vec![
                    (&target_line, RGBColor(150, 150, 150), 1, &target_label),
                    (&mix_loudness, blue, 2, &mix_label),
                    (&master_loudness, orange, 2, &master_label),
                ],
            },
        ],
    )
}
