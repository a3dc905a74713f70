//! The tonal stage: Lathe Reference's match EQ (its analysis, correction curve and linear-phase
//! kernel) toward the references' average spectrum, and on a stereo mix a width match: the
//! side channel's spectrum moved toward the references' width in each octave band, by at most
//! [`WIDTH_LIMIT_DB`].
//!
//! The width of a band is the analyzer's: twice the side's share of its energy
//! ([`lathe_dsp::analysis::reference::BandStats::width_pct`]). The band's side-to-mid energy
//! ratio is moved toward the references' by at most [`WIDTH_LIMIT_DB`], scaled by `--amount`,
//! with the band's total energy kept (the mid takes the small opposite gain), so the width match
//! leaves the tonal match's spectrum as it is. The mid and the side then run through one
//! match-EQ chain each (the tonal correction plus each one's width curve), on the two cores,
//! and are summed back to left and right. Without a width match each channel runs through its
//! own chain with the tonal correction. Below [`WIDEN_FROM_HZ`] the width match only narrows.

use super::loudness::run_chain_in_place;
use crate::matching::Track;
use anyhow::Result;
use lathe_dsp::Block;
use lathe_dsp::analysis::match_eq::MatchPhase;
use lathe_dsp::analysis::reference::{Analysis, OCTAVE_CENTRES_HZ, average_spectra, grid_hz};
use lathe_dsp::chains::reference::{KernelMessage, ReferenceCore, ReferenceSettings, curve_kernel};
use lathe_dsp::chains::{ChainSettings, IoSettings, PluginChain};
use serde::Serialize;

/// Largest change of a band's side-to-mid ratio the width match makes, dB (before `--amount`).
pub const WIDTH_LIMIT_DB: f64 = 6.0;
/// Below this band centre the width match only narrows, never widens, Hz: a mastering
/// engineer keeps the low end mono-compatible, and a bass line or kick makes a low band read
/// narrow without its noise floor being so.
pub const WIDEN_FROM_HZ: f64 = 120.0;
/// References narrower than this overall (%) are mono: no width match toward them.
const MONO_WIDTH_PCT: f64 = 1.0;

/// The tonal correction of the report.
#[derive(Debug, Clone, Serialize)]
pub struct Correction {
    /// The references, as given.
    pub references: Vec<String>,
    /// Frequencies of the curve, Hz.
    pub grid_hz: Vec<f64>,
    /// The correction the match EQ applies, dB.
    pub correction_db: Vec<f32>,
    /// Spectral tilt of the references minus the mix's, dB per octave.
    pub tilt_difference_db_per_octave: f64,
    /// The width match on the side channel; absent for a mono mix or mono references.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<WidthMatch>,
}

/// The width match of the report: one value per octave band in each list.
#[derive(Debug, Clone, Serialize)]
pub struct WidthMatch {
    /// Band centres, Hz (the analyzer's octave bands, 31.5 Hz to 16 kHz).
    pub centres_hz: &'static [f64],
    /// Width of the mix, %: twice the side's share of the band's energy (in album mode the
    /// tracks' duration-weighted mean).
    pub mix_width_pct: Vec<f64>,
    /// Mean width of the references, %.
    pub reference_width_pct: Vec<f64>,
    /// Gain on the mid channel, dB: the small opposite move that keeps the band's energy, so
    /// the tonal match's spectrum stays.
    pub mid_gain_db: Vec<f64>,
    /// Gain on the side channel, dB (the side-to-mid ratio moves by side minus mid).
    pub side_gain_db: Vec<f64>,
}

/// The mid and side gains (dB) that move a band of width `mix_pct` toward `reference_pct`
/// (both the analyzer's width, %): the side-to-mid ratio changes by the difference, limited to
/// [`WIDTH_LIMIT_DB`] and scaled by `amount` (0-1); the band's energy `M + S` is kept.
pub fn width_gains_db(mix_pct: f64, reference_pct: f64, amount: f64) -> (f64, f64) {
    // Side-to-mid energy ratio of a width (200 S / (M + S)).
    let ratio = |w: f64| {
        let w = w.clamp(0.5, 199.5);
        w / (200.0 - w)
    };
    let r = ratio(mix_pct);
    let change_db = 10.0 * (ratio(reference_pct) / r).log10();
    let change_db = change_db.clamp(-WIDTH_LIMIT_DB, WIDTH_LIMIT_DB) * amount;
    let target = r * 10f64.powf(change_db / 10.0);
    // M g_m + S g_s = M + S with g_s / g_m = target / r.
    let mid = (1.0 + r) / (1.0 + target);
    let mid_db = 10.0 * mid.log10();
    (mid_db, mid_db + change_db)
}

/// The tonal stage planned once for the mix (or the whole album): what every track gets.
pub(super) struct TonalPlan {
    /// The width match's mid and side gains on the analysis grid, dB.
    width_db: Option<[Vec<f32>; 2]>,
    /// The report of the correction.
    pub correction: Correction,
    /// The stage in words.
    pub words: String,
}

/// Plans the stage for `mixes` (one mix, or an album's tracks, whose spectra are averaged)
/// against `references` at `amount_pct`, boosting or cutting at most `limit_db`.
pub(super) fn plan(
    mixes: &[&Analysis],
    references: &[Track],
    amount_pct: f64,
    limit_db: f64,
) -> Result<TonalPlan> {
    let mut design =
        crate::matching::design(amount_pct, 3.0, 12.0, 30.0, 18_000.0, MatchPhase::Linear)?;
    // Beyond the plugin's 12 dB: a master may need to lift octaves a quiet mix barely has.
    design.settings.limit_db = limit_db;
    let mix_db = average_spectra(
        &mixes
            .iter()
            .map(|a| a.normalized_spectrum_db())
            .collect::<Vec<_>>(),
    );
    let target_db = crate::matching::target_spectrum(references);
    let correction_db =
        lathe_dsp::analysis::match_eq::correction_curve(&mix_db, &target_db, &design.settings);
    let tilt = |db: &[f32]| lathe_dsp::analysis::reference::tilt_db_per_octave(db);
    // The width match: stereo mixes (in an album, the stereo tracks) against stereo references.
    let stereo: Vec<&&Analysis> = mixes.iter().filter(|a| a.pair_lufs.is_none()).collect();
    let references_width =
        references.iter().map(|r| r.analysis.width_pct).sum::<f64>() / references.len() as f64;
    let width = (!stereo.is_empty() && references_width >= MONO_WIDTH_PCT).then(|| {
        let total_s: f64 = stereo.iter().map(|a| a.duration_s).sum();
        let mixes: Vec<(&Analysis, f64)> = stereo
            .iter()
            .map(|a| (**a, a.duration_s / total_s))
            .collect();
        let n = references.len() as f64;
        let refs: Vec<(&Analysis, f64)> =
            references.iter().map(|r| (&r.analysis, 1.0 / n)).collect();
        let (mix_width_pct, reference_width_pct) = (mean_widths(&mixes), mean_widths(&refs));
        let (mid_gain_db, side_gain_db) = mix_width_pct
            .iter()
            .zip(&reference_width_pct)
            .zip(OCTAVE_CENTRES_HZ)
            .map(|((&m, &r), centre)| {
                let r = if centre < WIDEN_FROM_HZ { r.min(m) } else { r };
                width_gains_db(m, r, amount_pct / 100.0)
            })
            .unzip();
        WidthMatch {
            centres_hz: &OCTAVE_CENTRES_HZ,
            mix_width_pct,
            reference_width_pct,
            mid_gain_db,
            side_gain_db,
        }
    });
    let width_db = width.as_ref().map(|w| {
        [
            octaves_to_grid(&w.mid_gain_db),
            octaves_to_grid(&w.side_gain_db),
        ]
    });
    let words = format!(
        "matched to {} reference(s) at {:.0} % (linear phase){}",
        references.len(),
        amount_pct,
        match &width {
            Some(w) => {
                let (lo, hi) = w
                    .side_gain_db
                    .iter()
                    .zip(&w.mid_gain_db)
                    .map(|(s, m)| s - m)
                    .fold((0.0f64, 0.0f64), |(lo, hi), g| (lo.min(g), hi.max(g)));
                format!(
                    "; width matched: side-to-mid ratio {lo:+.1} to {hi:+.1} dB per octave band"
                )
            }
            None if stereo.is_empty() => "; no width match: the mix is mono".to_owned(),
            None => "; no width match: the references are mono".to_owned(),
        }
    );
    let correction = Correction {
        references: references.iter().map(|r| r.file.clone()).collect(),
        grid_hz: (0..correction_db.len()).map(grid_hz).collect(),
        tilt_difference_db_per_octave: tilt(&target_db) - tilt(&mix_db),
        correction_db,
        width,
    };
    Ok(TonalPlan {
        width_db,
        correction,
        words,
    })
}

/// Per octave band, the weighted sum of the tracks' widths (`(analysis, weight)`), %.
fn mean_widths(tracks: &[(&Analysis, f64)]) -> Vec<f64> {
    (0..OCTAVE_CENTRES_HZ.len())
        .map(|b| tracks.iter().map(|(a, w)| a.bands[b].width_pct * w).sum())
        .collect()
}

/// Octave-band values on the analysis grid: linear in log frequency between the centres, flat
/// beyond the outer ones.
fn octaves_to_grid(bands_db: &[f64]) -> Vec<f32> {
    let octave = |f: f64| (f / OCTAVE_CENTRES_HZ[0]).log2();
    (0..lathe_dsp::analysis::reference::GRID_POINTS)
        .map(|i| {
            let x = octave(grid_hz(i)).clamp(0.0, (bands_db.len() - 1) as f64);
            let k = (x.floor() as usize).min(bands_db.len() - 2);
            let t = x - k as f64;
            (bands_db[k] * (1.0 - t) + bands_db[k + 1] * t) as f32
        })
        .collect()
}

/// `channels` through match-EQ chains in place, one mono chain per channel with its kernel,
/// each on a thread of its own (nothing crosses between them), latency removed.
fn filter_channels(
    channels: &mut [&mut Vec<f32>],
    kernels: &[&KernelMessage],
    sample_rate_hz: u32,
) -> Result<()> {
    let settings = ChainSettings {
        io: IoSettings::default(),
        core: ReferenceSettings {
            match_enabled: true,
            phase: MatchPhase::Linear,
            ..ReferenceSettings::default()
        },
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = channels
            .iter_mut()
            .zip(kernels)
            .map(|(channel, kernel)| {
                let settings = &settings;
                scope.spawn(move || {
                    let mut chain = PluginChain::<ReferenceCore>::new(1, sample_rate_hz as f64);
                    chain.set_settings(settings);
                    chain.core_mut().load_kernel(kernel);
                    chain.set_settings(settings);
                    run_chain_in_place(&mut chain, std::slice::from_mut(&mut **channel));
                })
            })
            .collect();
        handles.into_iter().try_for_each(|h| h.join())
    })
    .map_err(|_| anyhow::anyhow!("the match EQ failed"))
}

/// One track through the planned stage, in place (the mix's samples become the programme's:
/// no second copy of the audio).
pub(super) fn apply(plan: &TonalPlan, audio: &mut [Vec<f32>], sample_rate_hz: u32) -> Result<()> {
    // The curve the plan computed (what `design_kernel` would compute again per track), and
    // only the kernels this track runs.
    let sr = sample_rate_hz as f64;
    let curve = &plan.correction.correction_db;
    match (&plan.width_db, audio) {
        (Some([mid_db, side_db]), [l, r]) => {
            let plus = |extra: &[f32]| -> Vec<f32> {
                curve.iter().zip(extra).map(|(c, e)| c + e).collect()
            };
            let kernel = curve_kernel(&plus(mid_db), MatchPhase::Linear, sr);
            let side_kernel = curve_kernel(&plus(side_db), MatchPhase::Linear, sr);
            // Left and right become mid and side, are filtered, and become left and right.
            for (a, b) in l.iter_mut().zip(r.iter_mut()) {
                (*a, *b) = (0.5 * (*a + *b), 0.5 * (*a - *b));
            }
            filter_channels(&mut [l, r], &[&kernel, &side_kernel], sample_rate_hz)?;
            for (m, s) in l.iter_mut().zip(r.iter_mut()) {
                (*m, *s) = (*m + *s, *m - *s);
            }
            Ok(())
        }
        (_, audio) => {
            let kernel = curve_kernel(curve, MatchPhase::Linear, sr);
            let mut channels: Vec<&mut Vec<f32>> = audio.iter_mut().collect();
            let kernels = vec![&kernel; channels.len()];
            filter_channels(&mut channels, &kernels, sample_rate_hz)
        }
    }
}
