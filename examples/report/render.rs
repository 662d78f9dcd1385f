//! Turning measured rows into text: the aligned table, Markdown, JSON, and the SVG bar chart.

use super::measure::{Limits, Row};
use super::peers::{Peers, json_string};
use std::fmt::Write;
use std::time::Duration;

/// A table of strings: header and rows.
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// Cells, one `Vec` per row.
    pub rows: Vec<Vec<String>>,
}

/// `d` with a unit that keeps three significant digits readable (ns, µs, ms, s).
pub fn fmt_time(d: Duration) -> String {
    fmt_secs(d.as_secs_f64())
}

/// Seconds with an automatic unit.
pub fn fmt_secs(s: f64) -> String {
    if s < 1e-6 {
        format!("{:.0} ns", s * 1e9)
    } else if s < 1e-3 {
        format!("{:.1} us", s * 1e6)
    } else if s < 1.0 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

/// The report table; peer columns appear when `peers` has times.
pub fn table(rows: &[Row], limits: &Limits, peers: &Peers) -> Table {
    let mut header: Vec<String> = [
        "workload",
        "size",
        "eager",
        "fused",
        "speed-up",
        "kernels e/f",
        "fused rate",
        "% limit",
        "compile e/f",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let with_peers = !peers.is_empty();
    if with_peers {
        header.push("NumPy (fused/NumPy)".into());
        header.push("best peer (fused/peer)".into());
    }
    let rows = rows
        .iter()
        .map(|r| {
            let mut cells = vec![
                r.name.to_string(),
                r.size.clone(),
                fmt_time(r.eager.median),
                fmt_time(r.fused.median),
                format!("{:.2}x", r.speedup()),
                format!("{}/{}", r.eager.kernels, r.fused.kernels),
                format!("{} {}", fmt_sig(r.fused_rate()), r.rate_unit()),
                format!("{:.0}%", r.percent_of_limit(limits)),
                format!(
                    "{}/{} ({}+{} k)",
                    fmt_ms(r.eager.compile),
                    fmt_ms(r.fused.compile),
                    r.eager.compiled,
                    r.fused.compiled
                ),
            ];
            if with_peers {
                let fused = r.fused.median.as_secs_f64();
                cells.push(match peers.time(r.name, &r.size, "numpy") {
                    Some(t) => format!("{} ({:.2}x)", fmt_secs(t), fused / t),
                    None => "-".into(),
                });
                cells.push(match peers.best(r.name, &r.size) {
                    Some((p, t)) => format!("{p} {} ({:.2}x)", fmt_secs(t), fused / t),
                    None => "-".into(),
                });
            }
            cells
        })
        .collect();
    Table { header, rows }
}

/// `v` with three significant digits (at most one decimal above 100).
pub fn fmt_sig(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else if v >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn fmt_ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// The table as aligned plain text (text columns left, numbers right).
pub fn text(t: &Table) -> String {
    let n = t.header.len();
    let width: Vec<usize> = (0..n)
        .map(|c| {
            t.rows
                .iter()
                .map(|r| r[c].chars().count())
                .chain([t.header[c].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (c, cell) in cells.iter().enumerate() {
            let pad = width[c] - cell.chars().count();
            if c < 2 {
                s.push_str(cell);
                s.push_str(&" ".repeat(pad));
            } else {
                s.push_str(&" ".repeat(pad));
                s.push_str(cell);
            }
            s.push_str(if c + 1 < n { "  " } else { "\n" });
        }
        s
    };
    let mut s = line(&t.header);
    let total: usize = width.iter().sum::<usize>() + 2 * (n - 1);
    s.push_str(&"-".repeat(total));
    s.push('\n');
    for r in &t.rows {
        s.push_str(&line(r));
    }
    s
}

/// The table as GitHub Markdown.
pub fn markdown(t: &Table) -> String {
    let esc = |c: &str| c.replace('|', "\\|");
    let mut s = format!(
        "| {} |\n|{}\n",
        t.header
            .iter()
            .map(|h| esc(h))
            .collect::<Vec<_>>()
            .join(" | "),
        (0..t.header.len())
            .map(|c| if c < 2 { " --- |" } else { " ---: |" })
            .collect::<String>()
    );
    for r in &t.rows {
        let cells: Vec<String> = r.iter().map(|c| esc(c)).collect();
        let _ = writeln!(s, "| {} |", cells.join(" | "));
    }
    s
}

/// A JSON array with one object per workload (times in seconds).
pub fn json(rows: &[Row], limits: &Limits, peers: &Peers) -> String {
    let mut s = String::from("[\n");
    for (i, r) in rows.iter().enumerate() {
        let _ = write!(
            s,
            "  {{\"workload\": {}, \"size\": {}, \"threads\": {}, \"bytes\": {}, \"flops\": {}, \
             \"eager_s\": {:e}, \"fused_s\": {:e}, \"speedup\": {:.4}, \"eager_runs\": {}, \
             \"fused_runs\": {}, \"eager_kernels\": {}, \"fused_kernels\": {}, \
             \"rate\": {:.4}, \"rate_unit\": {}, \"percent_of_limit\": {:.2}, \
             \"eager_compile_s\": {:e}, \"fused_compile_s\": {:e}, \
             \"eager_kernels_compiled\": {}, \"fused_kernels_compiled\": {}, \
             \"eager_warmup_s\": {:e}, \"fused_warmup_s\": {:e}",
            json_string(r.name),
            json_string(&r.size),
            limits.threads,
            r.bytes,
            r.flops,
            r.eager.median.as_secs_f64(),
            r.fused.median.as_secs_f64(),
            r.speedup(),
            r.eager.runs,
            r.fused.runs,
            r.eager.kernels,
            r.fused.kernels,
            r.fused_rate(),
            json_string(r.rate_unit()),
            r.percent_of_limit(limits),
            r.eager.compile.as_secs_f64(),
            r.fused.compile.as_secs_f64(),
            r.eager.compiled,
            r.fused.compiled,
            r.eager.first.as_secs_f64(),
            r.fused.first.as_secs_f64(),
        );
        if let Some(t) = peers.time(r.name, &r.size, "numpy") {
            let _ = write!(s, ", \"numpy_s\": {t:e}");
        }
        if let Some((p, t)) = peers.best(r.name, &r.size) {
            let _ = write!(
                s,
                ", \"best_peer\": {}, \"best_peer_s\": {t:e}",
                json_string(p)
            );
        }
        s.push_str(if i + 1 < rows.len() { "},\n" } else { "}\n" });
    }
    s.push_str("]\n");
    s
}

/// The line that says which thread count every number was measured at (the terminal output,
/// report.md and the chart title all carry it).
pub fn threads_line(threads: usize) -> String {
    let s = if threads == 1 { "" } else { "s" };
    format!(
        "threads: {threads} thread{s} for lazynp (eager and fused) and for every peer \
         (like for like; `--threads N` sets both)"
    )
}

/// A file name for a workload's kernel dump: `03-row-softmax-4096x1024.txt`.
pub fn kernel_file(index: usize, r: &Row) -> String {
    let mut slug = String::new();
    for c in format!("{} {}", r.name, r.size).chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    format!("{index:02}-{}.txt", slug.trim_matches('-'))
}

/// The Markdown report: header lines (as bullets), the table, notes, the chart, links to the
/// per-workload kernel dumps (`kernels/<file>`), and the trimmed fusion example.
pub fn report_markdown(
    header: &[String],
    table: &Table,
    notes: &[&str],
    rows: &[Row],
    explain: &str,
) -> String {
    let mut md = String::from("# lazynp benchmark report\n\n");
    for h in header {
        let _ = writeln!(md, "- {h}");
    }
    md.push('\n');
    md.push_str(&markdown(table));
    for n in notes {
        let _ = write!(md, "\n{n}\n");
    }
    md.push_str("\n![time relative to NumPy, lower is better](chart.svg)\n\n");
    md.push_str(
        "## Kernels\n\nEach workload's fused plan, Kernel IR, Cranelift IR and machine code \
         (`w.build().explain_with(&opts, true)`):\n\n",
    );
    for (i, r) in rows.iter().enumerate() {
        let f = kernel_file(i + 1, r);
        let _ = writeln!(md, "- [{} {}](kernels/{f})", r.name, r.size);
    }
    let _ = write!(md, "\n## Fusion, shown\n\n```text\n{explain}```\n");
    md
}

/// The parts of `explain()` a reader wants first: the graph, the fusion plan, and the first
/// kernel's Cranelift IR (cut to `max_clif_lines`). Sections start with lines `== `.
pub fn trim_explain(text: &str, max_clif_lines: usize) -> String {
    let mut out = String::new();
    let mut keep = false;
    let mut clif_seen = false;
    let mut clif_lines = 0usize;
    let mut clif_cut = 0usize;
    for line in text.lines() {
        if line.starts_with("== ") {
            let is_clif = line.contains("Cranelift IR");
            keep = line.starts_with("== graph")
                || line.starts_with("== fusion plan")
                || (is_clif && !clif_seen);
            clif_seen |= is_clif;
            if keep {
                out.push_str(line);
                out.push('\n');
            }
            continue;
        }
        if !keep {
            continue;
        }
        if clif_seen {
            clif_lines += 1;
            if clif_lines > max_clif_lines {
                clif_cut += 1;
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    if clif_cut > 0 {
        let _ = writeln!(out, "... ({clif_cut} more lines of Cranelift IR)");
    }
    out
}
