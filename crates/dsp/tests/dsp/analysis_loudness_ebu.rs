//! EBU Tech 3341 (cases 1-6, 9-19) and Tech 3342 (cases 1-4), synthesized from the tables in
//! `../shared/standards/loudness.md`, plus the official test WAVs in `../shared/ebu/` when that
//! folder is present (cases 20-23 exist only as files).
//!
//! Tolerances are the standard's: +-0.1 LU for loudness, +0.2/-0.4 dB for true peak, +-1 LU for
//! loudness range.

use lathe_dsp::analysis::loudness::{ChannelRole, LoudnessMeter};
use std::f64::consts::PI;
use std::path::PathBuf;

use crate::common;

const SR: f64 = 48_000.0;

/// 1 kHz sine at `dbfs` peak.
fn tone(dbfs: f64, seconds: f64) -> Vec<f32> {
    let amp = 10f64.powf(dbfs / 20.0);
    let n = (seconds * SR).round() as usize;
    (0..n)
        .map(|i| (amp * (2.0 * PI * 1000.0 * i as f64 / SR).sin()) as f32)
        .collect()
}

fn silence(seconds: f64) -> Vec<f32> {
    vec![0.0; (seconds * SR).round() as usize]
}

fn concat(parts: &[Vec<f32>]) -> Vec<f32> {
    parts.concat()
}

fn stereo_meter() -> LoudnessMeter {
    LoudnessMeter::for_channels(SR, 2)
}

/// Feeds a signal to both channels in blocks of `block`, calling `each` after every block.
fn feed(meter: &mut LoudnessMeter, x: &[f32], block: usize, mut each: impl FnMut(&LoudnessMeter)) {
    for chunk in x.chunks(block) {
        meter.process(&[chunk, chunk]);
        each(meter);
    }
}

fn assert_near(got: f64, expected: f64, tol: f64, what: &str) {
    assert!(
        (got - expected).abs() <= tol,
        "{what}: {got:.3}, expected {expected} +-{tol}"
    );
}

fn assert_true_peak(got: f64, expected: f64, what: &str) {
    assert!(
        got >= expected - 0.4 && got <= expected + 0.2,
        "{what}: {got:.3} dBTP, expected {expected} (+0.2/-0.4)"
    );
}

#[test]
fn case_1_and_2_tones_read_their_level() {
    for level in [-23.0, -33.0] {
        let mut m = stereo_meter();
        feed(&mut m, &tone(level, 20.0), 4096, |_| {});
        assert_near(m.momentary_lufs(), level, 0.1, "M");
        assert_near(m.short_term_lufs(), level, 0.1, "S");
        assert_near(m.integrated_lufs(), level, 0.1, "I");
    }
}

#[test]
fn case_3_to_5_gating() {
    let cases = [
        concat(&[tone(-36.0, 10.0), tone(-23.0, 60.0), tone(-36.0, 10.0)]),
        concat(&[
            tone(-72.0, 10.0),
            tone(-36.0, 10.0),
            tone(-23.0, 60.0),
            tone(-36.0, 10.0),
            tone(-72.0, 10.0),
        ]),
        concat(&[tone(-26.0, 20.0), tone(-20.0, 20.1), tone(-26.0, 20.0)]),
    ];
    for (i, x) in cases.iter().enumerate() {
        let mut m = stereo_meter();
        feed(&mut m, x, 1000, |_| {});
        assert_near(m.integrated_lufs(), -23.0, 0.1, &format!("case {}", i + 3));
    }
}

#[test]
fn case_6_five_channels() {
    use ChannelRole::*;
    let mut m = LoudnessMeter::new(SR, &[Left, Right, Center, LeftSurround, RightSurround]);
    let (lr, c, s) = (tone(-28.0, 20.0), tone(-24.0, 20.0), tone(-30.0, 20.0));
    for start in (0..lr.len()).step_by(2048) {
        let end = (start + 2048).min(lr.len());
        m.process(&[
            &lr[start..end],
            &lr[start..end],
            &c[start..end],
            &s[start..end],
            &s[start..end],
        ]);
    }
    assert_near(m.integrated_lufs(), -23.0, 0.1, "case 6");
}

#[test]
fn case_6_lfe_is_excluded() {
    use ChannelRole::*;
    let x = tone(-23.0, 5.0);
    let loud = tone(0.0, 5.0);
    let mut with_lfe =
        LoudnessMeter::new(SR, &[Left, Right, Center, Lfe, LeftSurround, RightSurround]);
    let zero = vec![0.0f32; x.len()];
    with_lfe.process(&[&x, &x, &zero, &loud, &zero, &zero]);
    let mut stereo = stereo_meter();
    stereo.process(&[&x, &x]);
    assert_near(
        with_lfe.integrated_lufs(),
        stereo.integrated_lufs(),
        1e-9,
        "LFE",
    );
    // ...but its peak counts.
    assert!(with_lfe.sample_peak_dbfs() > -0.01);
}

/// The meter's two sliding windows (Tech 3341 cases 9-11 test short-term, 12-14 momentary).
#[derive(Debug, Clone, Copy)]
enum Window {
    /// 400 ms.
    Momentary,
    /// 3 s.
    ShortTerm,
}

impl Window {
    fn now(self, m: &LoudnessMeter) -> f64 {
        match self {
            Self::Momentary => m.momentary_lufs(),
            Self::ShortTerm => m.short_term_lufs(),
        }
    }

    fn max(self, m: &LoudnessMeter) -> f64 {
        match self {
            Self::Momentary => m.max_momentary_lufs(),
            Self::ShortTerm => m.max_short_term_lufs(),
        }
    }
}

/// Cases 9 and 12: alternating -20/-30 dBFS tones (`periods` of `high_s` and `low_s`) read
/// -23 LUFS in `window` at every block once `settled_s` have passed.
fn check_constant(
    window: Window,
    periods: usize,
    (high_s, low_s): (f64, f64),
    settled_s: f64,
    block: usize,
) {
    let parts: Vec<Vec<f32>> = (0..periods)
        .flat_map(|_| [tone(-20.0, high_s), tone(-30.0, low_s)])
        .collect();
    let mut m = stereo_meter();
    let mut t = 0usize;
    feed(&mut m, &concat(&parts), block, |m| {
        t += block;
        if t as f64 >= settled_s * SR {
            let what = format!("{window:?} at {:.3} s", t as f64 / SR);
            assert_near(window.now(m), -23.0, 0.1, &what);
        }
    });
}

/// Cases 10 and 13: a -23 dBFS tone of `tone_s`, after 20 different lengths of silence
/// (`step_s` apart), reads -23 LUFS as the window's maximum.
fn check_max(window: Window, step_s: f64, tone_s: f64, block: usize) {
    for i in 0..20 {
        let x = concat(&[
            silence(i as f64 * step_s),
            tone(-23.0, tone_s),
            silence(1.0),
        ]);
        let mut m = stereo_meter();
        feed(&mut m, &x, block, |_| {});
        assert_near(window.max(&m), -23.0, 0.1, &format!("{window:?} {}", i + 1));
    }
}

/// Cases 11 and 14: 20 segments of one meter, each a tone 1 dB louder than the last and placed
/// `step_s` later in its `segment_s`, read their level as the maximum since the maxima reset.
fn check_max_per_segment(window: Window, step_s: f64, tone_s: f64, segment_s: f64, block: usize) {
    let mut m = stereo_meter();
    for i in 0..20 {
        let level = -38.0 + i as f64;
        let lead = i as f64 * step_s;
        let x = concat(&[
            silence(lead),
            tone(level, tone_s),
            silence(segment_s - lead),
        ]);
        m.reset_maxima();
        feed(&mut m, &x, block, |_| {});
        assert_near(
            window.max(&m),
            level,
            0.1,
            &format!("{window:?} segment {i}"),
        );
    }
}

/// Cases 9-11 (short-term) and 12-14 (momentary): constant after settling, the maximum, and
/// the maximum per segment after a reset of the maxima.
#[test]
fn cases_9_to_14_sliding_windows() {
    check_constant(Window::ShortTerm, 5, (1.34, 1.66), 3.0, 480);
    check_constant(Window::Momentary, 25, (0.18, 0.22), 1.0, 48);
    check_max(Window::ShortTerm, 0.15, 3.0, 1024);
    check_max(Window::Momentary, 0.02, 0.4, 4096);
    check_max_per_segment(Window::ShortTerm, 0.15, 3.0, 3.0, 777);
    check_max_per_segment(Window::Momentary, 0.02, 0.4, 0.4, 4096);
}

/// Sine at `fs * ratio` with phase offset, amplitude, 10 ms fades in and out, 1 s long.
fn faded_sine(ratio: f64, phase_deg: f64, amplitude: f64) -> Vec<f32> {
    common::faded_sine(SR, ratio, phase_deg, amplitude)
}

#[test]
fn case_15_to_19_true_peak() {
    let cases = [
        (0.25, 0.0, 0.5, -6.0),
        (0.25, 45.0, 0.5, -6.0),
        (1.0 / 6.0, 60.0, 0.5, -6.0),
        (0.125, 67.5, 0.5, -6.0),
        (0.25, 45.0, 1.41, 3.0),
    ];
    for (i, (ratio, phase, amp, expected)) in cases.into_iter().enumerate() {
        let x = faded_sine(ratio, phase, amp);
        let mut m = stereo_meter();
        feed(&mut m, &x, 333, |_| {});
        assert_true_peak(m.true_peak_dbtp(), expected, &format!("case {}", i + 15));
    }
}

#[test]
fn tech_3342_loudness_range() {
    let cases: [(&[f64], f64); 4] = [
        (&[-20.0, -30.0], 10.0),
        (&[-20.0, -15.0], 5.0),
        (&[-40.0, -20.0], 20.0),
        (&[-50.0, -35.0, -20.0, -35.0, -50.0], 15.0),
    ];
    for (levels, expected) in cases {
        let x = concat(&levels.iter().map(|&l| tone(l, 20.0)).collect::<Vec<_>>());
        let mut m = stereo_meter();
        feed(&mut m, &x, 4096, |_| {});
        assert_near(
            m.loudness_range_lu(),
            expected,
            1.0,
            &format!("LRA of {levels:?}"),
        );
    }
}

#[test]
fn silence_reads_minus_infinity_and_no_range() {
    let mut m = stereo_meter();
    feed(&mut m, &silence(5.0), 4096, |_| {});
    let r = m.report();
    assert_eq!(r.integrated_lufs, f64::NEG_INFINITY);
    assert_eq!(r.momentary_lufs, f64::NEG_INFINITY);
    assert_eq!(r.true_peak_dbtp, f64::NEG_INFINITY);
    assert_eq!(r.loudness_range_lu, 0.0);
    assert_eq!(r.plr_db, f64::NEG_INFINITY);
}

#[test]
fn block_size_does_not_change_any_reading() {
    let x = concat(&[tone(-20.0, 4.0), silence(0.3), tone(-30.0, 3.3)]);
    let mut reference = None;
    for block in [1usize, 17, 256, 4096, 100_000] {
        let mut m = stereo_meter();
        feed(&mut m, &x, block, |_| {});
        let r = m.report();
        match reference {
            None => reference = Some(r),
            Some(expected) => assert_eq!(r, expected, "block {block}"),
        }
    }
}

#[test]
fn any_sample_rate_reads_the_same_tone() {
    for sr in [
        8_000.0, 22_050.0, 44_100.0, 88_200.0, 96_000.0, 192_000.0, 384_000.0, 12_345.678,
    ] {
        let n = (10.0 * sr) as usize;
        let amp = 10f64.powf(-23.0 / 20.0);
        let x: Vec<f32> = (0..n)
            .map(|i| (amp * (2.0 * PI * 997.0 * i as f64 / sr).sin()) as f32)
            .collect();
        let mut m = LoudnessMeter::for_channels(sr, 2);
        m.process(&[&x, &x]);
        assert_near(m.integrated_lufs(), -23.0, 0.1, &format!("{sr} Hz"));
    }
}

#[test]
fn mono_weighs_one_channel() {
    let x = tone(-23.0, 10.0);
    let mut m = LoudnessMeter::for_channels(SR, 1);
    m.process(&[&x]);
    // One channel carries half the power of the stereo calibration signal: 3 dB less.
    assert_near(m.integrated_lufs(), -26.01, 0.1, "mono");
}

#[test]
fn reset_and_reset_maxima() {
    let mut m = stereo_meter();
    feed(&mut m, &tone(-10.0, 2.0), 4096, |_| {});
    feed(&mut m, &tone(-30.0, 4.0), 4096, |_| {});
    assert_near(m.max_momentary_lufs(), -10.0, 0.1, "max before");
    m.reset_maxima();
    assert!(m.max_momentary_lufs() < -29.0);
    assert!(m.integrated_lufs() > -30.0, "integrated kept");
    m.reset();
    assert_eq!(m.integrated_lufs(), f64::NEG_INFINITY);
}

// ---- Official EBU files ----------------------------------------------------------------------

fn ebu_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/ebu");
    dir.is_dir().then_some(dir)
}

/// Reads a WAV as planar f32, or `None` when the file is not there.
fn read_wav(name: &str) -> Option<(f64, Vec<Vec<f32>>)> {
    let path = ebu_dir()?.join(name);
    if !path.exists() {
        return None;
    }
    let mut reader = hound::WavReader::open(&path).expect("readable EBU file");
    let spec = reader.spec();
    let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Int => reader
            .samples::<i32>()
            .map(|s| s.expect("sample") as f32 * scale)
            .collect(),
        hound::SampleFormat::Float => reader
            .samples::<f32>()
            .map(|s| s.expect("sample"))
            .collect(),
    };
    let channels = spec.channels as usize;
    let planar = (0..channels)
        .map(|c| {
            interleaved
                .iter()
                .skip(c)
                .step_by(channels)
                .copied()
                .collect()
        })
        .collect();
    Some((spec.sample_rate as f64, planar))
}

fn measure(name: &str) -> Option<LoudnessMeter> {
    let (sr, planar) = read_wav(name)?;
    let mut m = LoudnessMeter::for_channels(sr, planar.len());
    let slices: Vec<&[f32]> = planar.iter().map(|c| c.as_slice()).collect();
    m.process(&slices);
    Some(m)
}

#[test]
fn official_ebu_files() {
    if ebu_dir().is_none() {
        eprintln!("skipped: ../shared/ebu is not present");
        return;
    }
    let mut checked = 0;
    for (name, level) in [
        ("seq-3341-1-16bit.wav", -23.0),
        ("seq-3341-2-16bit.wav", -33.0),
    ] {
        if let Some(m) = measure(name) {
            assert_near(m.integrated_lufs(), level, 0.1, name);
            assert_near(m.momentary_lufs(), level, 0.1, name);
            assert_near(m.short_term_lufs(), level, 0.1, name);
            checked += 1;
        }
    }
    for i in 1..=20 {
        let name = format!("seq-3341-10-{i}-24bit.wav");
        if let Some(m) = measure(&name) {
            assert_near(m.max_short_term_lufs(), -23.0, 0.1, &name);
            checked += 1;
        }
        let name = format!("seq-3341-13-{i}-24bit.wav");
        if let Some(m) = measure(&name) {
            assert_near(m.max_momentary_lufs(), -23.0, 0.1, &name);
            checked += 1;
        }
    }
    for (case, expected) in [
        (15, -6.0),
        (16, -6.0),
        (17, -6.0),
        (18, -6.0),
        (19, 3.0),
        (20, 0.0),
        (21, 0.0),
        (22, 0.0),
        (23, 0.0),
    ] {
        let name = format!("seq-3341-{case}-24bit.wav");
        if let Some(m) = measure(&name) {
            assert_true_peak(m.true_peak_dbtp(), expected, &name);
            checked += 1;
        }
    }
    // Case 12: momentary constant after 1 s.
    if let Some((sr, planar)) = read_wav("seq-3341-12-24bit.wav") {
        let mut m = LoudnessMeter::for_channels(sr, planar.len());
        let step = (sr / 100.0) as usize;
        for start in (0..planar[0].len()).step_by(step) {
            let end = (start + step).min(planar[0].len());
            let slices: Vec<&[f32]> = planar.iter().map(|c| &c[start..end]).collect();
            m.process(&slices);
            if end as f64 >= sr && end + step <= planar[0].len() {
                assert_near(m.momentary_lufs(), -23.0, 0.1, "seq-3341-12");
            }
        }
        checked += 1;
    }
    eprintln!("checked {checked} official EBU files");
    assert!(
        checked > 0,
        "../shared/ebu exists but held none of the expected files"
    );
}

#[test]
fn interleaved_input_measures_the_same_as_planar() {
    use ChannelRole::*;
    let roles = [Left, Right, Center, Lfe, LeftSurround, RightSurround];
    let planar: Vec<Vec<f32>> = (0..6)
        .map(|c| {
            tone(-30.0 + 2.0 * c as f64, 4.0)
                .iter()
                .map(|x| x * (1.0 + c as f32 * 0.1))
                .collect()
        })
        .collect();
    let slices: Vec<&[f32]> = planar.iter().map(|c| c.as_slice()).collect();
    let interleaved: Vec<f32> = (0..planar[0].len())
        .flat_map(|i| planar.iter().map(move |c| c[i]))
        .collect();
    let mut a = LoudnessMeter::new(SR, &roles);
    let mut b = LoudnessMeter::new(SR, &roles);
    a.process(&slices);
    for chunk in interleaved.chunks(6 * 999) {
        b.process_interleaved(chunk);
    }
    assert_eq!(a.report(), b.report());
}

/// EBU Tech 3343 album loudness: the gating runs over every track's blocks together, so a
/// quiet track under the album's relative gate does not count, and the album reads what one
/// meter reads over the tracks played one after another.
#[test]
fn an_album_is_gated_over_all_its_tracks_blocks() {
    let measured = |x: &[f32]| {
        let mut m = stereo_meter();
        m.process(&[x, x]);
        m
    };
    let (loud, quiet, very_quiet) = (tone(-20.0, 20.0), tone(-30.0, 20.0), tone(-45.0, 20.0));
    let (a, b, c) = (measured(&loud), measured(&quiet), measured(&very_quiet));
    // Equal durations, both above the gate: the energy mean of the two loudnesses.
    let both = LoudnessMeter::combined_report(&[&a, &b]);
    let expected = 10.0 * ((1e-2 + 1e-3) / 2.0f64).log10();
    assert_near(
        both.integrated_lufs,
        expected,
        0.01,
        "album of -20 and -30 LUFS",
    );
    let one_after_another = measured(&concat(&[loud.clone(), quiet]));
    assert_near(
        both.integrated_lufs,
        one_after_another.integrated_lufs(),
        0.05,
        "album against the tracks played in a row",
    );
    assert_near(
        both.true_peak_dbtp,
        a.true_peak_dbtp(),
        1e-9,
        "album true peak",
    );
    // -45 LUFS is more than 10 LU under the album's ungated mean: gated out.
    let gated = LoudnessMeter::combined_report(&[&a, &c]);
    assert_near(
        gated.integrated_lufs,
        -20.0,
        0.01,
        "album with a track under the gate",
    );
    assert!(LoudnessMeter::combined_report(&[]).integrated_lufs == f64::NEG_INFINITY);
}
