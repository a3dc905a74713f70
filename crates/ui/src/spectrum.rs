//! Frequency-domain views: a log-frequency plot with grid and a live spectrum fed from a
//! [`SampleRing`] the audio thread writes. The FFTs run here, on the editor's thread.

use egui::{Color32, Painter, Pos2, Rect, Shape, Stroke, pos2};
use lathe_dsp::analysis::spectrum::{Averaging, Spectrum};
use lathe_dsp::rt::ring::SampleRing;

/// Lowest frequency the plots show, Hz.
pub const PLOT_MIN_HZ: f32 = 20.0;
/// Highest frequency the plots show, Hz.
pub const PLOT_MAX_HZ: f32 = 20_000.0;

/// Maps frequency (log) and level (linear dB) to a screen rectangle.
#[derive(Debug, Clone, Copy)]
pub struct FreqPlot {
    /// The plot area.
    pub rect: Rect,
    /// Frequency at the left edge, Hz.
    pub min_hz: f32,
    /// Frequency at the right edge, Hz.
    pub max_hz: f32,
    /// Level at the bottom edge, dB.
    pub min_db: f32,
    /// Level at the top edge, dB.
    pub max_db: f32,
}

impl FreqPlot {
    /// A 20 Hz - 20 kHz plot over `rect` from `min_db` to `max_db`.
    pub fn new(rect: Rect, min_db: f32, max_db: f32) -> Self {
        Self {
            rect,
            min_hz: PLOT_MIN_HZ,
            max_hz: PLOT_MAX_HZ,
            min_db,
            max_db,
        }
    }

    /// Screen x of a frequency.
    pub fn x(&self, hz: f32) -> f32 {
        let t = (hz.max(1.0) / self.min_hz).ln() / (self.max_hz / self.min_hz).ln();
        self.rect.left() + t * self.rect.width()
    }

    /// Frequency at screen x.
    pub fn hz(&self, x: f32) -> f32 {
        let t = (x - self.rect.left()) / self.rect.width();
        self.min_hz * (self.max_hz / self.min_hz).powf(t)
    }

    /// Screen y of a level (not clamped).
    pub fn y(&self, db: f32) -> f32 {
        let t = (db - self.min_db) / (self.max_db - self.min_db);
        self.rect.bottom() - t * self.rect.height()
    }

    /// Level at screen y.
    pub fn db(&self, y: f32) -> f32 {
        let t = (self.rect.bottom() - y) / self.rect.height();
        self.min_db + t * (self.max_db - self.min_db)
    }

    /// Screen point of (frequency, level), with y clamped to the plot.
    pub fn point(&self, hz: f32, db: f32) -> Pos2 {
        pos2(
            self.x(hz),
            self.y(db).clamp(self.rect.top(), self.rect.bottom()),
        )
    }

    /// `n` log-spaced frequencies across the plot.
    pub fn frequencies(&self, n: usize) -> impl Iterator<Item = f32> + '_ {
        let n = n.max(2);
        (0..n)
            .map(move |i| self.min_hz * (self.max_hz / self.min_hz).powf(i as f32 / (n - 1) as f32))
    }

    /// Background, frequency grid (labelled decades) and level lines every `db_step` (labelled
    /// at the left edge with `db_label`).
    pub fn draw_grid(&self, painter: &Painter, db_step: f32, db_label: impl Fn(f32) -> String) {
        painter.rect_filled(self.rect, 3.0, crate::theme::PLOT_BACKGROUND);
        let minor = Stroke::new(1.0, Color32::from_gray(38));
        let major = Stroke::new(1.0, Color32::from_gray(58));
        let font = egui::FontId::proportional(10.0);
        let label_colour = crate::theme::DIM_TEXT;
        for decade in [10.0f32, 100.0, 1000.0, 10_000.0] {
            for m in 1..10 {
                let hz = decade * m as f32;
                if hz < self.min_hz || hz > self.max_hz {
                    continue;
                }
                let x = self.x(hz);
                let labelled = matches!(m, 1 | 2 | 5);
                painter.line_segment(
                    [pos2(x, self.rect.top()), pos2(x, self.rect.bottom())],
                    if m == 1 { major } else { minor },
                );
                if labelled {
                    let text = if hz >= 1000.0 {
                        format!("{}k", hz / 1000.0)
                    } else {
                        format!("{hz}")
                    };
                    painter.text(
                        pos2(x + 2.0, self.rect.bottom() - 2.0),
                        egui::Align2::LEFT_BOTTOM,
                        text,
                        font.clone(),
                        label_colour,
                    );
                }
            }
        }
        let first = (self.min_db / db_step).ceil() as i32;
        let last = (self.max_db / db_step).floor() as i32;
        // The bottom line's label would sit on the frequency labels.
        for k in first..=last {
            let db = k as f32 * db_step;
            let labelled = k > first || db > self.min_db;
            let y = self.y(db);
            painter.line_segment(
                [pos2(self.rect.left(), y), pos2(self.rect.right(), y)],
                if k == 0 { major } else { minor },
            );
            if labelled {
                painter.text(
                    pos2(self.rect.left() + 2.0, y - 1.0),
                    egui::Align2::LEFT_BOTTOM,
                    db_label(db),
                    font.clone(),
                    label_colour,
                );
            }
        }
    }
}

/// Fraction of the way each new frame moves the live average (about 0.2 s to settle at 60 fps).
const LIVE_AVERAGING: f64 = 0.25;

/// A live spectrum of a [`SampleRing`], updated once per editor frame.
#[derive(Debug)]
pub struct LiveSpectrum {
    size: usize,
    spectrum: Spectrum,
    frame: Vec<f32>,
    last_written: u64,
}

impl LiveSpectrum {
    /// A live spectrum with `size`-sample FFTs.
    pub fn new(size: usize) -> Self {
        Self {
            size,
            spectrum: Spectrum::new(size, 48_000.0),
            frame: vec![0.0; size],
            last_written: 0,
        }
    }

    /// Takes the newest samples from `ring` into the average. When nothing new arrived (the
    /// transport stopped), the display decays as if silence came in.
    pub fn update(&mut self, ring: &SampleRing, sample_rate_hz: f32) {
        if (self.spectrum.sample_rate_hz() - sample_rate_hz as f64).abs() > 0.5 {
            self.spectrum = Spectrum::new(self.size, sample_rate_hz as f64);
        }
        let n = self.size.min(ring.capacity());
        let written = ring.read_latest(&mut self.frame[..n]);
        if written == self.last_written {
            self.frame.fill(0.0);
        }
        self.last_written = written;
        self.spectrum
            .add_frame(&self.frame, Averaging::Exponential(LIVE_AVERAGING));
    }

    /// Level of the `1/fraction`-octave band around `hz`, dBFS.
    pub fn band_db(&self, hz: f32, fraction: f64) -> f32 {
        self.spectrum.band_db(hz as f64, fraction) as f32
    }

    /// The spectrum as a shape on `plot` (levels in dBFS on the plot's scale), smoothed to
    /// 1/6 octave: filled when `fill` is given, outlined with `stroke`.
    pub fn shapes(&self, plot: &FreqPlot, fill: Option<Color32>, stroke: Stroke) -> Vec<Shape> {
        let points: Vec<Pos2> = plot
            .frequencies(plot.rect.width().max(2.0) as usize / 3)
            .map(|hz| plot.point(hz, self.band_db(hz, 6.0)))
            .collect();
        let mut shapes = Vec::new();
        if let Some(fill) = fill {
            // Vertical strips: a filled polygon under a curve that is not convex.
            let bottom = plot.rect.bottom();
            let mesh_points: Vec<[Pos2; 4]> = points
                .windows(2)
                .map(|w| [w[0], w[1], pos2(w[1].x, bottom), pos2(w[0].x, bottom)])
                .collect();
            for quad in mesh_points {
                shapes.push(Shape::convex_polygon(quad.to_vec(), fill, Stroke::NONE));
            }
        }
        shapes.push(Shape::line(points, stroke));
        shapes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::vec2;

    #[test]
    fn plot_maps_round_trip() {
        let plot = FreqPlot::new(
            Rect::from_min_size(pos2(10.0, 20.0), vec2(600.0, 200.0)),
            -18.0,
            18.0,
        );
        assert!((plot.x(20.0) - 10.0).abs() < 1e-3);
        assert!((plot.x(20_000.0) - 610.0).abs() < 1e-3);
        // 632 Hz is the geometric middle of 20 Hz..20 kHz.
        assert!((plot.x(632.456) - 310.0).abs() < 0.01);
        assert!((plot.hz(plot.x(1234.0)) - 1234.0).abs() < 0.05);
        assert!((plot.y(0.0) - 120.0).abs() < 1e-4);
        assert!((plot.db(plot.y(7.5)) - 7.5).abs() < 1e-4);
    }

    #[test]
    fn live_spectrum_shows_a_tone_and_decays_when_input_stops() {
        let ring = SampleRing::new(8192);
        let sr = 48_000.0f32;
        let mut live = LiveSpectrum::new(4096);
        let tone: Vec<f32> = (0..4096)
            .map(|i| 0.5 * (std::f32::consts::TAU * 1000.0 * i as f32 / sr).sin())
            .collect();
        for _ in 0..30 {
            ring.push(tone.iter().copied());
            live.update(&ring, sr);
        }
        let at_tone = live.band_db(1000.0, 3.0);
        assert!((at_tone + 6.02).abs() < 0.2, "{at_tone}");
        assert!(live.band_db(8000.0, 3.0) < -80.0);
        for _ in 0..60 {
            live.update(&ring, sr);
        }
        assert!(live.band_db(1000.0, 3.0) < -60.0);
    }
}
