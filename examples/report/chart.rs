//! The report's SVG chart (plotters, SVG back-end): for every workload, lazynp fused, lazynp
//! eager, NumPy and each other peer that ran, as horizontal bars on a linear axis of time
//! relative to NumPy (lower is better). Without NumPy times the reference is lazynp eager.

use super::measure::Row;
use super::peers::Peers;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One bar series: its legend name, colour and the time of each row (None: not measured).
struct Series {
    name: String,
    color: RGBColor,
    times: Vec<Option<f64>>,
}

const COLORS: [RGBColor; 6] = [
    RGBColor(27, 158, 119),  // fused
    RGBColor(217, 95, 2),    // eager
    RGBColor(117, 112, 179), // NumPy
    RGBColor(231, 41, 138),
    RGBColor(102, 166, 30),
    RGBColor(230, 171, 2),
];

/// The peer names in the chart's order: NumPy first, then the rest alphabetically.
pub fn peer_names(peers: &Peers) -> Vec<String> {
    let mut names = peers.names();
    names.sort_by_key(|n| (n != "numpy", n.clone()));
    names
}

/// Display name of a peer.
fn pretty(peer: &str) -> String {
    match peer {
        "numpy" => "NumPy".into(),
        other => other.into(),
    }
}

/// NumPy's time for a row (the reference of its ratios when any row has one).
fn reference(r: &Row, peers: &Peers) -> Option<f64> {
    peers.time(r.name, &r.size, "numpy")
}

/// The chart as SVG text. `title` goes on top; the axis names its reference.
pub fn svg(rows: &[Row], peers: &Peers, title: &str) -> String {
    let mut series = vec![
        Series {
            name: "lazynp fused".into(),
            color: COLORS[0],
            times: rows
                .iter()
                .map(|r| Some(r.fused.median.as_secs_f64()))
                .collect(),
        },
        Series {
            name: "lazynp eager".into(),
            color: COLORS[1],
            times: rows
                .iter()
                .map(|r| Some(r.eager.median.as_secs_f64()))
                .collect(),
        },
    ];
    for (i, p) in peer_names(peers).iter().enumerate() {
        series.push(Series {
            name: pretty(p),
            color: COLORS[(2 + i).min(COLORS.len() - 1)],
            times: rows
                .iter()
                .map(|r| peers.time(r.name, &r.size, p))
                .collect(),
        });
    }
    let with_numpy = rows.iter().any(|r| reference(r, peers).is_some());
    let ratio = |i: usize, t: f64| {
        let r = &rows[i];
        let base = if with_numpy {
            reference(r, peers)
        } else {
            Some(r.eager.median.as_secs_f64())
        };
        base.filter(|b| *b > 0.0).map(|b| t / b)
    };
    let axis = if with_numpy {
        "time relative to NumPy, lower is better (NumPy = 1)"
    } else {
        "time relative to lazynp eager, lower is better (NumPy not measured)"
    };
    // A linear axis up to the largest ratio, capped so one outlier cannot flatten the rest;
    // clipped bars carry their value.
    let largest = series
        .iter()
        .flat_map(|s| s.times.iter().enumerate())
        .filter_map(|(i, t)| t.and_then(|t| ratio(i, t)))
        .fold(1.0f64, f64::max);
    let xmax = (largest * 1.1).clamp(1.2, 4.0);

    let per_row = series.len() as f64 + 1.0; // one bar slot of gap between rows
    let bar_px = 11.0;
    let height = (90.0 + rows.len() as f64 * per_row * bar_px + 60.0) as u32;
    let width = 1000u32;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        draw(&root, rows, &series, &ratio, xmax, per_row, title, axis)
            .expect("drawing to a string cannot fail");
        root.present().expect("drawing to a string cannot fail");
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn draw(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    rows: &[Row],
    series: &[Series],
    ratio: &dyn Fn(usize, f64) -> Option<f64>,
    xmax: f64,
    per_row: f64,
    title: &str,
    axis: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    root.fill(&WHITE)?;
    let ytop = rows.len() as f64 * per_row;
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(280)
        .build_cartesian_2d(0f64..xmax, 0f64..ytop)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(10)
        .x_desc(axis)
        .x_label_formatter(&|v| format!("{v:.1}"))
        .draw()?;
    // Row i occupies [ytop - (i+1)*per_row, ytop - i*per_row): the first row on top.
    let slot = |i: usize, k: usize| ytop - i as f64 * per_row - 0.5 - k as f64;
    for (k, s) in series.iter().enumerate() {
        let color = s.color;
        let bars: Vec<(f64, f64)> = s
            .times
            .iter()
            .enumerate()
            .filter_map(|(i, t)| ratio(i, (*t)?).map(|r| (r, slot(i, k))))
            .collect();
        chart
            .draw_series(bars.iter().map(|&(r, y)| {
                Rectangle::new([(0.0, y - 0.42), (r.min(xmax), y + 0.42)], color.filled())
            }))?
            .label(s.name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
        // Bars past the axis end say their value.
        chart.draw_series(bars.iter().filter(|b| b.0 > xmax).map(|&(r, y)| {
            Text::new(
                format!("{r:.1}x"),
                (xmax * 0.93, y),
                ("sans-serif", 10).into_font().color(&WHITE),
            )
        }))?;
    }
    // NumPy's line at 1.
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(1.0, 0.0), (1.0, ytop)],
        BLACK.stroke_width(1),
    )))?;
    // Row labels, centred on each group, right-aligned against the axis.
    let style =
        TextStyle::from(("sans-serif", 12).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
    for (i, r) in rows.iter().enumerate() {
        let y = ytop - i as f64 * per_row - (per_row - 1.0) / 2.0;
        let (px, py) = chart.backend_coord(&(0.0, y));
        root.draw(&Text::new(
            format!("{} {}", r.name, r.size),
            (px - 8, py),
            &style,
        ))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}
