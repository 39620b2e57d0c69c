//! Learning-curve charts (`eval --plot`, `bench`): a rolling metric against rows, one line per
//! model, drift and retraining events marked; SVG or PNG by the file's extension, drawn with
//! plotters.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use tidewater::drift::{Event, EventKind};

use super::CliError;

/// Points a curve keeps at most: past this, every other point goes and the sampling interval
/// doubles, so a curve of any length stays small and evenly spaced.
pub const MAX_POINTS: usize = 1000;

/// A metric sampled while a stream runs: `(rows scored, value)`, evenly spaced.
#[derive(Clone, Debug)]
pub struct Curve {
    every: u64,
    points: Vec<(u64, f64)>,
    last: Option<(u64, f64)>,
}

impl Default for Curve {
    fn default() -> Self {
        Curve {
            every: 1,
            points: Vec::new(),
            last: None,
        }
    }
}

impl Curve {
    /// Offers the value after `rows` rows; `value` is only computed when the row is sampled.
    pub fn offer(&mut self, rows: u64, value: impl FnOnce() -> Option<f64>) {
        if rows == 0 || !rows.is_multiple_of(self.every) {
            return;
        }
        if let Some(v) = value().filter(|v| v.is_finite()) {
            self.points.push((rows, v));
            if self.points.len() >= MAX_POINTS {
                self.every *= 2;
                let every = self.every;
                self.points.retain(|(r, _)| r.is_multiple_of(every));
            }
        }
    }

    /// Ends the curve at `rows` (so its last point is the end of the stream, sampled or not).
    pub fn finish(&mut self, rows: u64, value: Option<f64>) {
        self.last = value
            .filter(|v| v.is_finite() && rows > 0)
            .map(|v| (rows, v));
    }

    /// The points, in order of rows, the end of the stream included.
    pub fn points(&self) -> Vec<(u64, f64)> {
        let mut p = self.points.clone();
        if let Some(l) = self.last
            && p.last().is_none_or(|q| q.0 < l.0)
        {
            p.push(l);
        }
        p
    }
}

/// One model's line on a chart.
pub struct Series {
    /// The legend's text (the model's spec).
    pub label: String,
    /// `(rows, value)` points.
    pub points: Vec<(u64, f64)>,
    /// Drift and retraining events, drawn at their rows.
    pub events: Vec<Event>,
}

/// A chart: a title, the metric's name on the y axis, whether the metric lies in `[0, 1]`,
/// and the lines.
pub struct Chart<'a> {
    /// The title (model or models, and the data).
    pub title: String,
    /// The y axis's label.
    pub y_label: String,
    /// The metric is a fraction in `[0, 1]` (the axis stays inside it).
    pub unit_interval: bool,
    /// One line per model.
    pub series: &'a [Series],
}

const WIDTH: u32 = 960;
/// The plot's height; the legend below it adds a line per model and one for the events.
const PLOT_HEIGHT: u32 = 500;
const LEGEND_LINE: u32 = 22;
/// Characters that fit across the picture: in the title (20 px) and in the legend (14 px).
const TITLE_CHARS: usize = 78;
const LEGEND_CHARS: usize = 100;
const FONT: &str = "sans-serif";

/// DejaVu Sans for plotters' text, from the `dejavu` crate (no system font library needed).
fn register_font() -> Result<(), CliError> {
    static ONCE: Once = Once::new();
    let mut failed = false;
    ONCE.call_once(|| {
        failed = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
            .is_err();
    });
    if failed {
        return Err(CliError::Internal("the chart font did not load".into()));
    }
    Ok(())
}

/// Refuses a chart path whose extension is neither `.svg` nor `.png` (before any work is
/// done), naming `what`.
pub fn check_path(path: &Path, what: &str) -> Result<(), CliError> {
    match format_of(path) {
        Some(_) => Ok(()),
        None => Err(CliError::input(format!(
            "{what} {}: a chart file must end in .svg or .png",
            path.display()
        ))),
    }
}

/// The chart format a path's extension names: `svg` or `png`.
fn format_of(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "svg" => Some("svg"),
        "png" => Some("png"),
        _ => None,
    }
}

/// The picture's size: the plot, and the legend under it.
fn size(chart: &Chart<'_>) -> (u32, u32) {
    let lines = chart.series.len() + usize::from(chart.series.iter().any(|s| !s.events.is_empty()));
    let lines = u32::try_from(lines).unwrap_or(u32::MAX / 2).min(200);
    (WIDTH, PLOT_HEIGHT + 24 + LEGEND_LINE * lines)
}

/// Writes `chart` to `path`: SVG for `.svg`, PNG for `.png` (any other extension is an
/// error naming `what`, the flag or file it came from).
pub fn write(path: &Path, chart: &Chart<'_>, what: &str) -> Result<(), CliError> {
    check_path(path, what)?;
    let fail = |e: String| CliError::input(format!("{what} {}: {e}", path.display()));
    register_font()?;
    match format_of(path) {
        Some("svg") => {
            let mut text = String::new();
            {
                let root = SVGBackend::with_string(&mut text, size(chart)).into_drawing_area();
                draw(&root, chart).map_err(|e| fail(e.to_string()))?;
            }
            std::fs::write(path, text).map_err(|e| fail(e.to_string()))
        }
        Some("png") => {
            let (w, h) = size(chart);
            let mut rgb = vec![0u8; w as usize * h as usize * 3];
            {
                let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
                draw(&root, chart).map_err(|e| fail(e.to_string()))?;
            }
            let file = std::fs::File::create(path).map_err(|e| fail(e.to_string()))?;
            let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            enc.write_header()
                .and_then(|mut w| w.write_image_data(&rgb))
                .map_err(|e| fail(e.to_string()))
        }
        _ => Err(fail("a chart file must end in .svg or .png".into())),
    }
}

/// The y range: the values' span with a margin, kept inside `[0, 1]` for a fraction.
fn y_range(chart: &Chart<'_>) -> (f64, f64) {
    let values = chart
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1));
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(hi.abs().max(1e-9) * 1e-3);
    let (mut lo, mut hi) = (lo - pad, hi + pad);
    if chart.unit_interval {
        lo = lo.max(0.0);
        hi = hi.min(1.0);
    } else if lo < 0.0
        && chart
            .series
            .iter()
            .all(|s| s.points.iter().all(|p| p.1 >= 0.0))
    {
        lo = 0.0;
    }
    (lo, hi)
}

/// Rows for an axis label: `50k`, `1.5M`.
fn rows_label(v: u64) -> String {
    if v >= 1_000_000 && v.is_multiple_of(100_000) {
        format!("{}M", v as f64 / 1e6)
    } else if v >= 1000 && v.is_multiple_of(100) {
        format!("{}k", v as f64 / 1e3)
    } else {
        v.to_string()
    }
}

/// How strongly an event's line is drawn: a warning faintly, the rest fully.
fn event_alpha(kind: EventKind) -> f64 {
    if kind == EventKind::Warning {
        0.35
    } else {
        0.95
    }
}

/// Every event kind, in the legend's order.
const KINDS: [EventKind; 5] = [
    EventKind::Warning,
    EventKind::Drift,
    EventKind::Swap,
    EventKind::Reset,
    EventKind::Refit,
];

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// The colour of line `i`: ten colours that stay apart on white (Tableau's), then again.
fn color_of(i: usize) -> RGBAColor {
    const COLORS: [(u8, u8, u8); 10] = [
        (31, 119, 180),
        (255, 127, 14),
        (44, 160, 44),
        (214, 39, 40),
        (148, 103, 189),
        (140, 86, 75),
        (227, 119, 194),
        (127, 127, 127),
        (188, 189, 34),
        (23, 190, 207),
    ];
    let (r, g, b) = COLORS[i % COLORS.len()];
    RGBColor(r, g, b).to_rgba()
}

/// A text of at most `max` characters: cut with `…` when longer.
fn fit_label(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_owned()
    } else {
        let mut t: String = label.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &Chart<'_>) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let (plot, legend) = root.split_vertically(PLOT_HEIGHT);
    let x_max = chart
        .series
        .iter()
        .filter_map(|s| s.points.last().map(|p| p.0))
        .max()
        .unwrap_or(1)
        .max(1);
    let (y_lo, y_hi) = y_range(chart);
    let mut c = ChartBuilder::on(&plot)
        .caption(fit_label(&chart.title, TITLE_CHARS), (FONT, 20))
        .margin(18)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0..x_max, y_lo..y_hi)?;
    c.configure_mesh()
        .x_desc("rows")
        .y_desc(&chart.y_label)
        .x_labels(8)
        .y_labels(8)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .x_label_formatter(&|v| rows_label(*v))
        .y_label_formatter(&|v| format!("{v:.3}"))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let span = y_hi - y_lo;
    let mut kinds_seen = [false; KINDS.len()];
    for (i, s) in chart.series.iter().enumerate() {
        let color = color_of(i);
        c.draw_series(LineSeries::new(
            s.points.iter().copied(),
            color.stroke_width(2),
        ))?;
        // Events in the model's colour: a full-height line for a drift, a short tick at the
        // bottom for a warning, a dot at the top for what the wrapper did (swap, reset,
        // refit).
        for e in &s.events {
            // The event's row is 0-based among the rows learned; the axis counts rows.
            let row = e.row.saturating_add(1).min(x_max);
            kinds_seen[e.kind as usize] = true;
            match e.kind {
                EventKind::Drift | EventKind::Warning => {
                    let top = if e.kind == EventKind::Warning {
                        y_lo + span * 0.06
                    } else {
                        y_hi
                    };
                    c.draw_series(std::iter::once(PathElement::new(
                        vec![(row, y_lo), (row, top)],
                        color.mix(event_alpha(e.kind)).stroke_width(1),
                    )))?;
                }
                _ => {
                    c.draw_series(std::iter::once(Circle::new(
                        (row, y_hi - span * 0.015),
                        3,
                        color.filled(),
                    )))?;
                }
            }
        }
    }
    // The legend, under the plot: one line per model, then the event marks.
    let text = (FONT, 14)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let x0 = 90;
    let mut y = 4 + LEGEND_LINE as i32 / 2;
    for (i, s) in chart.series.iter().enumerate() {
        let color = color_of(i);
        legend.draw(&PathElement::new(
            vec![(x0, y), (x0 + 28, y)],
            color.stroke_width(3),
        ))?;
        legend.draw(&Text::new(
            fit_label(&s.label, LEGEND_CHARS),
            (x0 + 38, y - 8),
            text.clone(),
        ))?;
        y += LEGEND_LINE as i32;
    }
    let mut x = x0;
    for kind in KINDS {
        if !kinds_seen[kind as usize] {
            continue;
        }
        match kind {
            EventKind::Drift => legend.draw(&PathElement::new(
                vec![(x + 6, y - 8), (x + 6, y + 8)],
                BLACK.stroke_width(1),
            ))?,
            EventKind::Warning => legend.draw(&PathElement::new(
                vec![(x + 6, y + 2), (x + 6, y + 8)],
                BLACK.stroke_width(1),
            ))?,
            _ => legend.draw(&Circle::new((x + 6, y), 3, BLACK.filled()))?,
        }
        let name = kind.name();
        legend.draw(&Text::new(name, (x + 16, y), text.clone()))?;
        x += 26 + 9 * name.len() as i32;
    }
    root.present()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_curve_stays_bounded_and_evenly_spaced() {
        let mut c = Curve::default();
        for r in 1..=1_000_000u64 {
            c.offer(r, || Some(r as f64));
        }
        c.finish(1_000_000, Some(1.0));
        let p = c.points();
        assert!(p.len() <= MAX_POINTS + 1, "{}", p.len());
        assert!(p.len() >= MAX_POINTS / 2, "{}", p.len());
        let step = p[1].0 - p[0].0;
        assert!(
            p.windows(2)
                .take(p.len() - 2)
                .all(|w| w[1].0 - w[0].0 == step)
        );
        assert_eq!(p.last().copied(), Some((1_000_000, 1.0)));
    }

    #[test]
    fn undefined_values_leave_no_point() {
        let mut c = Curve::default();
        c.offer(1, || None);
        c.offer(2, || Some(f64::NAN));
        c.offer(3, || Some(0.5));
        c.finish(3, Some(0.5));
        assert_eq!(c.points(), vec![(3, 0.5)]);
    }

    #[test]
    fn rows_labels_are_short() {
        assert_eq!(rows_label(50_000), "50k");
        assert_eq!(rows_label(1_500_000), "1.5M");
        assert_eq!(rows_label(250), "250");
    }
}
