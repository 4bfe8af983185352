//! Server-rendered SVG charts for project pages and dashboards.
//!
//! Every function here is pure: it takes data and returns a self-contained SVG
//! document as a `String` (no I/O, no scripts, no external resources). The SVG
//! carries `width`, `height` and `viewBox`, so a page can scale it with CSS
//! (e.g. `svg { max-width: 100%; height: auto; }`).
//!
//! Drawing uses `plotters` with only its SVG backend and without any font
//! rasteriser: text is written as `<text>` elements and rendered by the
//! browser, which picks a CJK-capable font from [`FONT_FAMILY`]. Because the
//! backend cannot measure text, label widths are estimated here
//! ([`text_width`]): CJK characters count as one em, others as ~0.6 em.
//!
//! Values are integers (`i64`): counts, or money in fen (分). Money labels are
//! formatted in yuan with integer arithmetic only ("12,345" or "12,345.67");
//! `f64` appears only where values become drawing coordinates.
//!
//! Inputs are never trusted to be well-behaved: empty data renders a small
//! "暂无数据" placeholder, degenerate ranges are widened, plotting coordinates
//! are clamped to ±[`MAX_PLOT_ABS`], and any drawing failure (or panic inside
//! `plotters`) falls back to a placeholder instead of propagating.

use std::collections::HashMap;
use std::error::Error;
use std::panic::{catch_unwind, AssertUnwindSafe};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A time series: x labels (e.g. "2027-03-31") with a value each, for one named series.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(String, i64)>,
}

impl Series {
    pub fn new(name: impl Into<String>, points: Vec<(String, i64)>) -> Self {
        Self {
            name: name.into(),
            points,
        }
    }
}

/// Text shown instead of a chart when there is nothing to draw.
pub const NO_DATA_TEXT: &str = "暂无数据";
/// Text shown if drawing fails unexpectedly.
const FAILED_TEXT: &str = "图表生成失败";

/// CSS font stack written into every `<text>`; browsers fall back along it.
pub const FONT_FAMILY: &str =
    "PingFang SC, Hiragino Sans GB, Microsoft YaHei, Noto Sans CJK SC, Source Han Sans SC, sans-serif";

/// Plot coordinates are clamped to this magnitude (10^15, i.e. 10^13 yuan in
/// fen) so that range arithmetic and plotters' tick computation cannot
/// overflow. Labels always show the exact, unclamped value.
pub const MAX_PLOT_ABS: i64 = 1_000_000_000_000_000;

const MIN_WIDTH: u32 = 240;
const MIN_HEIGHT: u32 = 160;
const MAX_SIDE: u32 = 4000;

const TITLE_PX: f64 = 16.0;
const LABEL_PX: f64 = 12.0;
const SMALL_PX: f64 = 11.0;
const LEGEND_ROW_H: i32 = 20;

const TEXT_COLOR: RGBColor = RGBColor(0x33, 0x33, 0x33);
const AXIS_COLOR: RGBColor = RGBColor(0x88, 0x88, 0x88);
const GRID_COLOR: RGBColor = RGBColor(0xe3, 0xe3, 0xe3);
const PLANNED_COLOR: RGBColor = RGBColor(0x9e, 0xca, 0xe1);
const ACTUAL_COLOR: RGBColor = RGBColor(0x21, 0x71, 0xb5);
const PALETTE: [RGBColor; 8] = [
    RGBColor(0x21, 0x71, 0xb5),
    RGBColor(0xe6, 0x55, 0x0d),
    RGBColor(0x31, 0xa3, 0x54),
    RGBColor(0x75, 0x6b, 0xb1),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x17, 0xbe, 0xcf),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0x63, 0x63, 0x63),
];

type DrawResult = Result<(), Box<dyn Error>>;
type Root<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Line chart of one or more series over the same ordered x labels (e.g. cumulative
/// beneficiaries per report date). `title` drawn at the top; y axis starts at 0
/// (or below it if a value is negative).
///
/// Points whose label is not in `x_labels` are ignored; a series may skip
/// labels (its line joins the points it has). With no x labels or no usable
/// point, a "暂无数据" placeholder is returned.
pub fn line_chart(
    title: &str,
    x_labels: &[String],
    series: &[Series],
    width: u32,
    height: u32,
) -> String {
    let (width, height) = clamp_size(width, height);

    let mut index: HashMap<&str, usize> = HashMap::with_capacity(x_labels.len());
    for (i, label) in x_labels.iter().enumerate() {
        index.entry(label.as_str()).or_insert(i);
    }
    let mapped: Vec<Vec<(usize, i64)>> = series
        .iter()
        .map(|s| {
            let mut pts: Vec<(usize, i64)> = s
                .points
                .iter()
                .filter_map(|(label, v)| index.get(label.as_str()).map(|&i| (i, clamp_plot(*v))))
                .collect();
            pts.sort_by_key(|&(i, _)| i);
            pts
        })
        .collect();
    if x_labels.is_empty() || mapped.iter().all(Vec::is_empty) {
        return placeholder(title, NO_DATA_TEXT, width, height);
    }

    let values = mapped.iter().flatten().map(|&(_, v)| v);
    let (lo, hi) = value_axis_range(
        values.clone().min().unwrap_or(0),
        values.max().unwrap_or(0),
        0.0,
    );

    let legend: Vec<LegendItem> = series
        .iter()
        .enumerate()
        .map(|(i, s)| LegendItem {
            label: s.name.clone(),
            color: PALETTE[i % PALETTE.len()],
            swatch: Swatch::Line,
        })
        .collect();

    let svg = render(title, width, height, |root| {
        let top = draw_title_and_legend(root, title, &legend, width)?;
        let y_label_w = axis_label_width(&[format_count(lo), format_count(hi)]);
        let x_label_h = (LABEL_PX * 2.0) as i32;
        let n = x_labels.len();

        let mut chart = ChartBuilder::on(root)
            .margin_top(top)
            .margin_right(24)
            .margin_bottom(6)
            .margin_left(8)
            .x_label_area_size(x_label_h)
            .y_label_area_size(y_label_w)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), lo..hi)?;

        let y_fmt = |v: &i64| format_count(*v);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(6)
            .y_label_formatter(&y_fmt)
            .y_label_style(font(SMALL_PX).color(&TEXT_COLOR))
            .bold_line_style(GRID_COLOR)
            .light_line_style(TRANSPARENT)
            .axis_style(AXIS_COLOR)
            .draw()?;

        // Categorical x labels, thinned out when they would overlap.
        let plot_w = plot_width(&chart);
        let max_label_w = x_labels
            .iter()
            .map(|l| text_width(l, SMALL_PX))
            .fold(0.0, f64::max);
        let slot_w = plot_w / n as f64;
        let step = ((max_label_w + 8.0) / slot_w.max(1.0)).ceil().max(1.0) as usize;
        let x_style = font(SMALL_PX)
            .color(&TEXT_COLOR)
            .pos(Pos::new(HPos::Center, VPos::Top));
        for (i, label) in x_labels.iter().enumerate().step_by(step) {
            let (px, py) = chart.backend_coord(&(i as f64, lo));
            let text = truncate_to_width(label, (slot_w * step as f64 - 4.0).max(20.0), SMALL_PX);
            root.draw(&Text::new(text, (px, py + 6), x_style.clone()))?;
        }

        let show_markers = n <= 60;
        for (i, pts) in mapped.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let coords: Vec<(f64, i64)> = pts.iter().map(|&(x, v)| (x as f64, v)).collect();
            if coords.len() > 1 {
                chart.draw_series(LineSeries::new(coords.clone(), color.stroke_width(2)))?;
            }
            if show_markers || coords.len() == 1 {
                chart.draw_series(coords.iter().map(|&c| Circle::new(c, 3, color.filled())))?;
            }
        }
        Ok(())
    });
    svg.unwrap_or_else(|| placeholder(title, FAILED_TEXT, width, height))
}

/// Grouped horizontal bar chart: per category label (one row each, in the given
/// order, top to bottom), a planned and an actual value, each bar labelled with
/// its value. With `value_is_money` the values are fen and are shown in yuan
/// ("12,345", or "12,345.67" when there are cents); otherwise as plain counts
/// with thousands separators. No rows gives a "暂无数据" placeholder.
pub fn planned_vs_actual(
    title: &str,
    rows: &[(String, i64, i64)],
    planned_label: &str,
    actual_label: &str,
    value_is_money: bool,
    width: u32,
    height: u32,
) -> String {
    let (width, height) = clamp_size(width, height);
    if rows.is_empty() {
        return placeholder(title, NO_DATA_TEXT, width, height);
    }
    let fmt = |v: i64| {
        if value_is_money {
            format_yuan(v)
        } else {
            format_count(v)
        }
    };
    let n = rows.len();
    let legend = [
        LegendItem {
            label: planned_label.to_string(),
            color: PLANNED_COLOR,
            swatch: Swatch::Box,
        },
        LegendItem {
            label: actual_label.to_string(),
            color: ACTUAL_COLOR,
            swatch: Swatch::Box,
        },
    ];

    let svg = render(title, width, height, |root| {
        let top = draw_title_and_legend(root, title, &legend, width)?;

        // Left area for category names: as wide as needed, at most 35% of the chart.
        let max_cat_w = (f64::from(width) * 0.35).max(40.0);
        let cat_w = rows
            .iter()
            .map(|(l, _, _)| text_width(l, LABEL_PX))
            .fold(0.0, f64::max)
            .min(max_cat_w)
            + 10.0;

        // Leave room right of the longest bar for its value label.
        let value_label_w = rows
            .iter()
            .flat_map(|(_, p, a)| [*p, *a])
            .map(|v| text_width(&fmt(v), SMALL_PX))
            .fold(0.0, f64::max)
            + 8.0;
        let values = rows
            .iter()
            .flat_map(|(_, p, a)| [clamp_plot(*p), clamp_plot(*a)]);
        let (vmin, vmax) = (values.clone().min().unwrap_or(0), values.max().unwrap_or(0));
        // Tick labels are centred on their tick, so the last one needs half its
        // width of right margin.
        let (lo0, hi0) = value_axis_range(vmin, vmax, 0.0);
        let tick_w = axis_label_width(&[fmt(lo0), fmt(hi0)]);
        let margin_right = (tick_w / 2 + 4).max(16);
        let approx_plot_w = (f64::from(width) - cat_w - 8.0 - f64::from(margin_right)).max(40.0);
        let (lo, hi) = value_axis_range(vmin, vmax, value_label_w / approx_plot_w);

        let n_ticks = ((approx_plot_w / (f64::from(tick_w) + 16.0)) as usize).clamp(2, 6);
        let x_label_h = (LABEL_PX * 2.0) as i32;

        let mut chart = ChartBuilder::on(root)
            .margin_top(top)
            .margin_right(margin_right)
            .margin_bottom(6)
            .margin_left(8)
            .x_label_area_size(x_label_h)
            .y_label_area_size(cat_w as i32)
            .build_cartesian_2d(lo..hi, -0.5f64..(n as f64 - 0.5))?;

        let x_fmt = |v: &i64| fmt(*v);
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(n_ticks)
            .x_label_formatter(&x_fmt)
            .x_label_style(font(SMALL_PX).color(&TEXT_COLOR))
            .bold_line_style(GRID_COLOR)
            .light_line_style(TRANSPARENT)
            .axis_style(AXIS_COLOR)
            .draw()?;

        let band_h = plot_height(&chart) / n as f64;
        let cat_step = (16.0 / band_h.max(1.0)).ceil().max(1.0) as usize;
        let cat_style = font(LABEL_PX)
            .color(&TEXT_COLOR)
            .pos(Pos::new(HPos::Right, VPos::Center));
        let show_values = band_h >= 2.0 * SMALL_PX + 4.0;

        for (i, (label, planned, actual)) in rows.iter().enumerate() {
            // First row at the top.
            let yc = (n - 1 - i) as f64;
            let bars = [
                (*planned, yc + 0.04, yc + 0.38, PLANNED_COLOR),
                (*actual, yc - 0.38, yc - 0.04, ACTUAL_COLOR),
            ];
            for (value, y0, y1, color) in bars {
                let v = clamp_plot(value);
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(0, y0), (v, y1)],
                    color.filled(),
                )))?;
                if show_values {
                    let (px, py) = chart.backend_coord(&(v, (y0 + y1) / 2.0));
                    let (dx, h) = if v < 0 {
                        (-4, HPos::Right)
                    } else {
                        (4, HPos::Left)
                    };
                    let style = font(SMALL_PX)
                        .color(&TEXT_COLOR)
                        .pos(Pos::new(h, VPos::Center));
                    root.draw(&Text::new(fmt(value), (px + dx, py), style))?;
                }
            }
            if i.is_multiple_of(cat_step) {
                let (px, py) = chart.backend_coord(&(lo, yc));
                let text = truncate_to_width(label, cat_w - 10.0, LABEL_PX);
                root.draw(&Text::new(text, (px - 6, py), cat_style.clone()))?;
            }
        }
        Ok(())
    });
    svg.unwrap_or_else(|| placeholder(title, FAILED_TEXT, width, height))
}

// ---------------------------------------------------------------------------
// Rendering helpers
// ---------------------------------------------------------------------------

/// Run `draw` on a fresh SVG canvas and return the document, or `None` if
/// drawing failed or panicked.
fn render<F>(title: &str, width: u32, height: u32, draw: F) -> Option<String>
where
    F: FnOnce(&Root<'_>) -> DrawResult,
{
    let mut buf = String::new();
    let ok = catch_unwind(AssertUnwindSafe(|| -> DrawResult {
        let root = SVGBackend::with_string(&mut buf, (width, height)).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
        Ok(())
    }));
    match ok {
        Ok(Ok(())) => Some(add_svg_attributes(&buf, title)),
        _ => None,
    }
}

/// Put the font stack once on the root `<svg>` (instead of on every `<text>`,
/// which inherits it) and add accessibility attributes.
fn add_svg_attributes(svg: &str, title: &str) -> String {
    let family = format!(" font-family=\"{}\"", escape_xml(FONT_FAMILY));
    let attrs = format!(
        "<svg role=\"img\" aria-label=\"{}\"{family} ",
        escape_xml(title)
    );
    svg.replace(&family, "").replacen("<svg ", &attrs, 1)
}

fn font(px: f64) -> TextStyle<'static> {
    font_styled(px, FontStyle::Normal)
}

fn font_styled(px: f64, style: FontStyle) -> TextStyle<'static> {
    // The SVG backend writes `font-size = size / 1.24`; compensate so `px` is the
    // real CSS pixel size.
    TextStyle::from((FONT_FAMILY, px * 1.24).into_font().style(style))
}

#[derive(Clone, Copy)]
enum Swatch {
    Line,
    Box,
}

struct LegendItem {
    label: String,
    color: RGBColor,
    swatch: Swatch,
}

/// Draw the title (centered, top) and a centered, wrapping legend below it.
/// Returns the height used, i.e. the top margin for the plot.
fn draw_title_and_legend(
    root: &Root<'_>,
    title: &str,
    legend: &[LegendItem],
    width: u32,
) -> Result<i32, Box<dyn Error>> {
    let w = f64::from(width);
    let mut y = 8;
    if !title.is_empty() {
        let style = font_styled(TITLE_PX, FontStyle::Bold)
            .color(&TEXT_COLOR)
            .pos(Pos::new(HPos::Center, VPos::Top));
        let text = truncate_to_width(title, w - 20.0, TITLE_PX);
        root.draw(&Text::new(text, ((width / 2) as i32, y), style))?;
        y += TITLE_PX as i32 + 10;
    }
    if legend.is_empty() {
        return Ok(y + 4);
    }

    // Lay items out in rows that fit the width.
    const SWATCH_W: f64 = 18.0;
    const GAP: f64 = 16.0;
    let max_item_w = (w - 20.0).max(40.0);
    let items: Vec<(String, f64)> = legend
        .iter()
        .map(|it| {
            let label = truncate_to_width(&it.label, max_item_w - SWATCH_W - 6.0, LABEL_PX);
            let iw = SWATCH_W + 6.0 + text_width(&label, LABEL_PX);
            (label, iw)
        })
        .collect();
    let mut rows: Vec<Vec<usize>> = vec![vec![]];
    let mut row_w = 0.0;
    for (i, (_, iw)) in items.iter().enumerate() {
        let needed = if row_w > 0.0 { row_w + GAP + iw } else { *iw };
        if needed > max_item_w && row_w > 0.0 {
            rows.push(vec![i]);
            row_w = *iw;
        } else {
            rows.last_mut().expect("non-empty").push(i);
            row_w = needed;
        }
    }

    let text_style = font(LABEL_PX)
        .color(&TEXT_COLOR)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for row in rows {
        let total: f64 =
            row.iter().map(|&i| items[i].1).sum::<f64>() + GAP * (row.len() as f64 - 1.0);
        let mut x = (w - total) / 2.0;
        let cy = y + LEGEND_ROW_H / 2;
        for i in row {
            let (label, iw) = &items[i];
            let it = &legend[i];
            let x0 = x as i32;
            match it.swatch {
                Swatch::Line => {
                    root.draw(&PathElement::new(
                        vec![(x0, cy), (x0 + SWATCH_W as i32, cy)],
                        it.color.stroke_width(2),
                    ))?;
                    root.draw(&Circle::new(
                        (x0 + SWATCH_W as i32 / 2, cy),
                        3,
                        it.color.filled(),
                    ))?;
                }
                Swatch::Box => {
                    root.draw(&Rectangle::new(
                        [(x0 + 2, cy - 6), (x0 + SWATCH_W as i32 - 2, cy + 6)],
                        it.color.filled(),
                    ))?;
                }
            }
            root.draw(&Text::new(
                label.clone(),
                (x0 + SWATCH_W as i32 + 6, cy),
                text_style.clone(),
            ))?;
            x += iw + GAP;
        }
        y += LEGEND_ROW_H;
    }
    Ok(y + 6)
}

fn plot_width<DB: DrawingBackend, X: Ranged, Y: Ranged>(
    chart: &ChartContext<'_, DB, Cartesian2d<X, Y>>,
) -> f64 {
    let r = chart.plotting_area().get_pixel_range();
    f64::from(r.0.end - r.0.start)
}

fn plot_height<DB: DrawingBackend, X: Ranged, Y: Ranged>(
    chart: &ChartContext<'_, DB, Cartesian2d<X, Y>>,
) -> f64 {
    let r = chart.plotting_area().get_pixel_range();
    f64::from(r.1.end - r.1.start)
}

/// Width of the value-axis label area for the given extreme labels.
fn axis_label_width(labels: &[String]) -> i32 {
    let w = labels
        .iter()
        .map(|l| text_width(l, SMALL_PX))
        .fold(0.0, f64::max);
    (w + 14.0).max(30.0) as i32
}

/// A small standalone SVG with the title and a message (used for empty data
/// and as a fallback). Hand-written so it cannot fail.
fn placeholder(title: &str, message: &str, width: u32, height: u32) -> String {
    let (w, h) = (width, height);
    let font = escape_xml(FONT_FAMILY);
    let title_el = if title.is_empty() {
        String::new()
    } else {
        format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"{}\" font-weight=\"bold\" fill=\"#333333\">{}</text>\n",
            w / 2,
            8 + TITLE_PX as u32,
            TITLE_PX,
            escape_xml(&truncate_to_width(title, f64::from(w) - 20.0, TITLE_PX))
        )
    };
    format!(
        "<svg role=\"img\" aria-label=\"{label}\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         xmlns=\"http://www.w3.org/2000/svg\" font-family=\"{font}\">\n\
         <rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#FFFFFF\"/>\n\
         {title_el}\
         <text x=\"{cx}\" y=\"{cy}\" text-anchor=\"middle\" dominant-baseline=\"middle\" font-size=\"14\" \
         fill=\"#888888\">{msg}</text>\n</svg>\n",
        label = escape_xml(title),
        cx = w / 2,
        cy = h / 2,
        msg = escape_xml(message),
    )
}

fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters not allowed in XML 1.0 documents.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Numbers, ranges and text measurement
// ---------------------------------------------------------------------------

fn clamp_size(width: u32, height: u32) -> (u32, u32) {
    (
        width.clamp(MIN_WIDTH, MAX_SIDE),
        height.clamp(MIN_HEIGHT, MAX_SIDE),
    )
}

fn clamp_plot(v: i64) -> i64 {
    v.clamp(-MAX_PLOT_ABS, MAX_PLOT_ABS)
}

/// Value-axis range that always includes 0, is never empty and ends on a
/// "nice" tick step. `label_frac` is the fraction of the plot width that a
/// label drawn past the end of a bar needs: that much room is kept free on
/// each side that has values. Inputs must already be clamped with
/// [`clamp_plot`], so nothing overflows.
fn value_axis_range(min: i64, max: i64, label_frac: f64) -> (i64, i64) {
    let lo = min.min(0);
    let hi = max.max(0);
    let span = (hi - lo).max(1);
    let sides = f64::from(u8::from(hi > 0) + u8::from(lo < 0)).max(1.0);
    let f = label_frac.clamp(0.0, 0.3);
    // extra / (span + sides * extra) >= f; at least a tenth of the span.
    let extra = ((span as f64 * f / (1.0 - sides * f)).ceil() as i64)
        .max(span / 10)
        .max(1);
    let step = nice_step((span + extra) / 5);
    let hi = if hi > 0 || lo == 0 {
        round_up(hi + extra, step).max(step)
    } else {
        0
    };
    let lo = if lo < 0 {
        -round_up(-lo + extra, step)
    } else {
        0
    };
    (lo, hi)
}

/// Smallest 1/2/5 × 10^k that is ≥ `raw` (and ≥ 1).
fn nice_step(raw: i64) -> i64 {
    let raw = raw.max(1);
    let mut p: i64 = 1;
    loop {
        for m in [1, 2, 5] {
            if m * p >= raw {
                return m * p;
            }
        }
        p *= 10;
    }
}

fn round_up(v: i64, step: i64) -> i64 {
    (v + step - 1) / step * step
}

/// "12,345" / "-12,345".
pub fn format_count(v: i64) -> String {
    let sign = if v < 0 { "-" } else { "" };
    format!(
        "{sign}{}",
        crate::domain::money::group_thousands(v.unsigned_abs())
    )
}

/// Fen to yuan with integer arithmetic: 1234500 → "12,345", 1234567 → "12,345.67".
pub fn format_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    let (yuan, cents) = (abs / 100, abs % 100);
    if cents == 0 {
        format!("{sign}{}", crate::domain::money::group_thousands(yuan))
    } else {
        format!(
            "{sign}{}.{cents:02}",
            crate::domain::money::group_thousands(yuan)
        )
    }
}

/// Estimated rendered width in px: wide (CJK, full-width) characters count as
/// 1 em, everything else as 0.62 em. Good enough for layout; the SVG backend
/// has no way to measure text.
fn text_width(s: &str, px: f64) -> f64 {
    s.chars()
        .map(|c| if is_wide(c) { 1.0 } else { 0.62 })
        .sum::<f64>()
        * px
}

fn is_wide(c: char) -> bool {
    let c = c as u32;
    (0x1100..=0x115f).contains(&c)
        || (0x2e80..=0xa4cf).contains(&c)
        || (0xac00..=0xd7a3).contains(&c)
        || (0xf900..=0xfaff).contains(&c)
        || (0xfe30..=0xfe4f).contains(&c)
        || (0xff00..=0xff60).contains(&c)
        || (0xffe0..=0xffe6).contains(&c)
        || (0x20000..=0x3fffd).contains(&c)
}

/// Cut `s` so its estimated width fits `max_px`, ending with "…" if cut.
fn truncate_to_width(s: &str, max_px: f64, px: f64) -> String {
    if text_width(s, px) <= max_px {
        return s.to_string();
    }
    let budget = max_px - px; // room for the ellipsis
    let mut out = String::new();
    let mut used = 0.0;
    for c in s.chars() {
        let cw = if is_wide(c) { px } else { 0.62 * px };
        if used + cw > budget {
            break;
        }
        used += cw;
        out.push(c);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    fn series(name: &str, pts: &[(&str, i64)]) -> Series {
        Series::new(name, pts.iter().map(|(l, v)| (l.to_string(), *v)).collect())
    }

    /// Minimal well-formedness checks: one root element with size and viewBox,
    /// balanced tags, no raw `<` or `&` in text, no scripts or external refs.
    fn assert_valid_svg(svg: &str) {
        assert_eq!(svg.matches("<svg").count(), 1, "{svg}");
        assert_eq!(svg.matches("</svg>").count(), 1, "{svg}");
        assert!(svg.trim_start().starts_with("<svg"), "{svg}");
        assert!(svg.trim_end().ends_with("</svg>"), "{svg}");
        assert!(svg.contains("viewBox=\"0 0 "), "{svg}");
        assert!(svg.contains(" width=\"") && svg.contains(" height=\""));
        assert!(!svg.contains("<script"));
        assert!(!svg.contains(FAILED_TEXT), "drawing failed");
        assert!(!svg.contains("href"));
        assert!(!svg.contains("NaN") && !svg.contains("inf\""), "{svg}");
        assert_eq!(
            svg.matches("<text").count(),
            svg.matches("</text>").count(),
            "unbalanced <text>"
        );
        // Every '<' starts a tag and every '&' starts a known entity.
        for (i, _) in svg.match_indices('<') {
            let next = svg[i + 1..].chars().next().unwrap();
            assert!(
                next.is_ascii_alphabetic() || next == '/',
                "stray '<' at {i}"
            );
        }
        for (i, _) in svg.match_indices('&') {
            let rest = &svg[i..];
            assert!(
                ["&lt;", "&gt;", "&amp;", "&quot;", "&apos;"]
                    .iter()
                    .any(|e| rest.starts_with(e)),
                "stray '&' at {i}"
            );
        }
    }

    fn dates() -> Vec<String> {
        labels(&["2027-03-31", "2027-06-30", "2027-09-30", "2027-12-31"])
    }

    #[test]
    fn line_chart_typical() {
        let s = [
            series(
                "老年人",
                &[
                    ("2027-03-31", 120),
                    ("2027-06-30", 260),
                    ("2027-09-30", 410),
                    ("2027-12-31", 530),
                ],
            ),
            series(
                "儿童",
                &[("2027-03-31", 40), ("2027-06-30", 95), ("2027-12-31", 210)],
            ),
        ];
        let svg = line_chart("累计受益人数", &dates(), &s, 640, 320);
        assert_valid_svg(&svg);
        assert!(svg.contains("累计受益人数"));
        assert!(svg.contains("老年人"));
        assert!(svg.contains("儿童"));
        assert!(svg.contains("2027-03-31"));
        assert!(svg.contains("width=\"640\"") && svg.contains("viewBox=\"0 0 640 320\""));
        assert!(svg.contains("<polyline"), "line drawn: {svg}");
        assert!(svg.contains("aria-label=\"累计受益人数\""));
        assert!(!svg.contains(NO_DATA_TEXT));
    }

    #[test]
    fn line_chart_empty() {
        for svg in [
            line_chart("受益人", &[], &[], 640, 320),
            line_chart("受益人", &dates(), &[], 640, 320),
            line_chart("受益人", &dates(), &[series("老年人", &[])], 640, 320),
            line_chart(
                "受益人",
                &[],
                &[series("老年人", &[("2027-03-31", 5)])],
                640,
                320,
            ),
            // Points whose labels are not on the x axis.
            line_chart(
                "受益人",
                &dates(),
                &[series("老年人", &[("2030-01-01", 5)])],
                640,
                320,
            ),
        ] {
            assert_valid_svg(&svg);
            assert!(svg.contains(NO_DATA_TEXT));
            assert!(svg.contains("受益人"));
        }
        // Degenerate sizes are clamped, not trusted.
        let svg = line_chart("", &[], &[], 0, 0);
        assert_valid_svg(&svg);
        assert!(svg.contains(NO_DATA_TEXT));
    }

    #[test]
    fn line_chart_single_point_and_flat() {
        let x = labels(&["2027-03-31"]);
        let svg = line_chart(
            "单点",
            &x,
            &[series("老年人", &[("2027-03-31", 7)])],
            400,
            240,
        );
        assert_valid_svg(&svg);
        assert!(svg.contains("<circle"), "single point shown as marker");
        assert!(svg.contains("2027-03-31"));

        let zero = line_chart(
            "零",
            &x,
            &[series("老年人", &[("2027-03-31", 0)])],
            400,
            240,
        );
        assert_valid_svg(&zero);
        let flat = line_chart(
            "平",
            &dates(),
            &[series(
                "老年人",
                &dates().iter().map(|d| (d.as_str(), 0)).collect::<Vec<_>>(),
            )],
            400,
            240,
        );
        assert_valid_svg(&flat);
        let neg = line_chart(
            "负",
            &x,
            &[series("老年人", &[("2027-03-31", -3)])],
            400,
            240,
        );
        assert_valid_svg(&neg);
        // Tiny canvas must not panic either.
        let tiny = line_chart("小", &x, &[series("老年人", &[("2027-03-31", 1)])], 1, 1);
        assert_valid_svg(&tiny);
    }

    #[test]
    fn line_chart_huge_values_and_many_labels() {
        let x: Vec<String> = (0..200).map(|i| format!("2027-{i:03}")).collect();
        let pts: Vec<(String, i64)> = x
            .iter()
            .enumerate()
            .map(|(i, l)| (l.clone(), i as i64 * 5_000_000_000))
            .collect();
        let extremes = Series::new(
            "极值",
            vec![
                (x[0].clone(), i64::MIN),
                (x[1].clone(), i64::MAX),
                (x[2].clone(), 0),
            ],
        );
        let svg = line_chart("大数", &x, &[Series::new("大", pts), extremes], 800, 300);
        assert_valid_svg(&svg);
        // Axis labels are grouped integers.
        assert!(svg.contains(",000,000,000"), "{svg}");
        // Labels were thinned: far fewer than 200 x labels.
        assert!(svg.matches(">\n2027-").count() < 50);
    }

    #[test]
    fn line_chart_escapes_xml() {
        let x = labels(&["<&>", "a\"b'c"]);
        let s = [series("系列<&>", &[("<&>", 1), ("a\"b'c", 2)])];
        let svg = line_chart("标题 <&> \"x\"", &x, &s, 500, 300);
        assert_valid_svg(&svg);
        assert!(!svg.contains("<&>"));
        assert!(svg.contains("&lt;&amp;&gt;"));
        assert!(svg.contains("系列&lt;&amp;&gt;"));
        let empty = line_chart("<&>", &[], &[], 500, 300);
        assert_valid_svg(&empty);
        assert!(!empty.contains("<&>"));
    }

    fn budget_rows() -> Vec<(String, i64, i64)> {
        vec![
            ("场地租赁".to_string(), 1_200_000, 1_150_000),
            ("人员劳务".to_string(), 3_450_000, 2_000_050),
            ("物资采购".to_string(), 800_000, 950_000),
            ("宣传与培训".to_string(), 0, 12_345),
        ]
    }

    #[test]
    fn planned_vs_actual_typical_money() {
        let svg = planned_vs_actual("预算执行", &budget_rows(), "计划", "实际", true, 640, 360);
        assert_valid_svg(&svg);
        for s in ["预算执行", "计划", "实际", "场地租赁", "宣传与培训"] {
            assert!(svg.contains(s), "missing {s}");
        }
        // Values in yuan: 1,200,000 fen = 12,000 yuan; 2,000,050 fen = 20,000.50.
        assert!(svg.contains("12,000"), "{svg}");
        assert!(svg.contains("20,000.50"), "{svg}");
        assert!(svg.contains("123.45"), "{svg}");
        assert!(svg.matches("<rect").count() >= 8);
        assert!(svg.contains("viewBox=\"0 0 640 360\""));
    }

    #[test]
    fn planned_vs_actual_counts() {
        let rows = vec![
            ("老年人".to_string(), 500, 530),
            ("儿童".to_string(), 1200, 980),
        ];
        let svg = planned_vs_actual("服务人次", &rows, "目标", "完成", false, 500, 240);
        assert_valid_svg(&svg);
        for s in ["老年人", "儿童", "目标", "完成", "1,200", "980"] {
            assert!(svg.contains(s), "missing {s}");
        }
    }

    #[test]
    fn planned_vs_actual_empty() {
        let svg = planned_vs_actual("预算执行", &[], "计划", "实际", true, 640, 360);
        assert_valid_svg(&svg);
        assert!(svg.contains(NO_DATA_TEXT));
        assert!(svg.contains("预算执行"));
        assert!(svg.contains("viewBox=\"0 0 640 360\""));
    }

    #[test]
    fn planned_vs_actual_single_and_degenerate() {
        let one = vec![("唯一".to_string(), 0, 0)];
        let svg = planned_vs_actual("单行", &one, "计划", "实际", true, 400, 200);
        assert_valid_svg(&svg);
        assert!(svg.contains("唯一"));
        let one = vec![("唯一".to_string(), 100, 100)];
        assert_valid_svg(&planned_vs_actual(
            "单行", &one, "计划", "实际", true, 400, 200,
        ));
        let neg = vec![("退款".to_string(), 0, -5_000)];
        let svg = planned_vs_actual("负值", &neg, "计划", "实际", true, 400, 200);
        assert_valid_svg(&svg);
        assert!(svg.contains("-50"));
        // Many rows on a small canvas, zero size.
        let many: Vec<_> = (0..300).map(|i| (format!("科目{i}"), i, 300 - i)).collect();
        assert_valid_svg(&planned_vs_actual("多", &many, "计划", "实际", false, 0, 0));
    }

    #[test]
    fn planned_vs_actual_huge_values() {
        let rows = vec![
            ("大额".to_string(), 1_000_000_000_000, 999_999_999_999),
            ("极值".to_string(), i64::MAX, i64::MIN),
        ];
        let svg = planned_vs_actual("大数", &rows, "计划", "实际", true, 800, 300);
        assert_valid_svg(&svg);
        // 10^12 fen = 10,000,000,000 yuan, exact.
        assert!(svg.contains("10,000,000,000"), "{svg}");
        assert!(svg.contains("9,999,999,999.99"), "{svg}");
        // Exact label for i64::MAX, computed without floats.
        assert!(svg.contains("92,233,720,368,547,758.07"), "{svg}");
        assert!(svg.contains("-92,233,720,368,547,758.08"), "{svg}");
    }

    #[test]
    fn planned_vs_actual_escapes_xml() {
        let rows = vec![("A<&>B".to_string(), 100, 200)];
        let svg = planned_vs_actual("<&>", &rows, "计划<&>", "实际'\"", true, 500, 240);
        assert_valid_svg(&svg);
        assert!(!svg.contains("<&>"));
        assert!(svg.contains("A&lt;&amp;&gt;B"));
        assert!(svg.contains("计划&lt;&amp;&gt;"));
        assert!(svg.contains("实际&apos;&quot;"));
    }

    #[test]
    fn number_formatting() {
        assert_eq!(format_count(0), "0");
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(1000), "1,000");
        assert_eq!(format_count(-1_234_567), "-1,234,567");
        assert_eq!(format_count(i64::MIN), "-9,223,372,036,854,775,808");
        assert_eq!(format_yuan(0), "0");
        assert_eq!(format_yuan(1_234_500), "12,345");
        assert_eq!(format_yuan(1_234_567), "12,345.67");
        assert_eq!(format_yuan(5), "0.05");
        assert_eq!(format_yuan(-150), "-1.50");
        assert_eq!(format_yuan(100_000_000_000_000), "1,000,000,000,000");
    }

    #[test]
    fn ranges_are_never_empty() {
        assert_eq!(value_axis_range(0, 0, 0.0), (0, 1));
        let (lo, hi) = value_axis_range(7, 7, 0.0);
        assert!(lo == 0 && hi > 7);
        let (lo, hi) = value_axis_range(-5, -5, 0.0);
        assert!(lo < -5 && hi == 0);
        let (lo, hi) = value_axis_range(-MAX_PLOT_ABS, MAX_PLOT_ABS, 1.0);
        assert!(lo < -MAX_PLOT_ABS && hi > MAX_PLOT_ABS);
        // Room for labels: 25% of the axis kept free past the largest value.
        let (lo, hi) = value_axis_range(0, 1000, 0.25);
        assert_eq!(lo, 0);
        assert!((hi - 1000) * 4 >= hi, "{hi}");
        assert_eq!(nice_step(0), 1);
        assert_eq!(nice_step(3), 5);
        assert_eq!(nice_step(11), 20);
    }

    #[test]
    fn text_measurement_and_truncation() {
        assert_eq!(text_width("老年人", 10.0), 30.0);
        assert!((text_width("abc", 10.0) - 18.6).abs() < 1e-9);
        let t = truncate_to_width("一二三四五六七八九十", 50.0, 10.0);
        assert!(t.ends_with('…'));
        assert!(text_width(&t, 10.0) <= 50.0);
        assert_eq!(truncate_to_width("短", 50.0, 10.0), "短");
    }
}
