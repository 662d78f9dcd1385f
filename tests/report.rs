//! Smoke test of `examples/report.rs`: its measurement core on the quick (tiny) sizes, its
//! renderers (table, Markdown with the thread line and kernel links, the plotters chart), the
//! peers merge, the explain trimming, and the Python peer script (it names the same workloads;
//! when a Python with NumPy is found, its times reach the chart). Fast: tiny arrays, three
//! timed runs each.

#[allow(dead_code)]
#[path = "../examples/report/chart.rs"]
mod chart;
#[allow(dead_code)]
#[path = "../examples/report/measure.rs"]
mod measure;
#[allow(dead_code)]
#[path = "../examples/report/peers.rs"]
mod peers;
#[allow(dead_code)]
#[path = "../examples/report/render.rs"]
mod render;

use measure::{Config, Limits, Row, workloads};
use peers::Peers;

/// Every workload `benches/common/workloads.rs` defines, by name.
const NAMES: [&str; 9] = [
    "chain ((a*b+c)*a-b)/(c+1)",
    "tanh(x)*exp(-x*x)+log1p(|x|)",
    "row softmax",
    "column norm",
    "(x*x).sum(1)",
    "one-hot eye(10).take(labels)",
    "linear relu(X@W+b)",
    "matmul",
    "10-op chain, 16 elements",
];

fn quick_rows() -> Vec<Row> {
    let cfg = Config::quick(2);
    let mut seen = 0;
    let rows = measure::run_suite(&cfg, |i, n, _| {
        seen += 1;
        assert_eq!((i, n), (seen, measure::suite(&cfg).len()));
    })
    .expect("quick suite runs");
    assert_eq!(seen, rows.len());
    rows
}

fn limits() -> Limits {
    Limits {
        threads: 2,
        copy_1t: 10.0,
        copy_nt: 15.0,
        fma_1t: 20.0,
    }
}

#[test]
fn quick_suite_covers_every_workload_and_fusion_never_adds_kernels() {
    let rows = quick_rows();
    let table = render::table(&rows, &limits(), &Peers::default());
    let text = render::text(&table);
    for name in NAMES {
        let row = rows
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("no row for {name}"));
        assert!(
            text.lines()
                .any(|l| l.starts_with(name) && l.contains(&row.size)),
            "{name} missing from\n{text}"
        );
    }
    for r in &rows {
        assert!(
            r.fused.kernels <= r.eager.kernels,
            "{}: fused {} > eager {} kernels",
            r.name,
            r.fused.kernels,
            r.eager.kernels
        );
        assert!(r.eager.median.as_nanos() > 0 && r.fused.median.as_nanos() > 0);
        assert_eq!((r.eager.runs, r.fused.runs), (3, 3));
    }
    // An elementwise chain fuses to one kernel; eager runs one per op.
    let chain = &rows[0];
    assert_eq!((chain.eager.kernels, chain.fused.kernels), (7, 1));
    // Matmul-like rows are judged in GFLOP/s, the rest in GB/s.
    for r in &rows {
        let want = if r.name.starts_with("matmul") || r.name.starts_with("linear") {
            "GFLOP/s"
        } else {
            "GB/s"
        };
        assert_eq!(r.rate_unit(), want, "{}", r.name);
    }

    let md = render::markdown(&table);
    assert_eq!(md.lines().count(), rows.len() + 2, "{md}");
    let json = render::json(&rows, &limits(), &Peers::default());
    assert_eq!(json.matches("\"workload\"").count(), rows.len(), "{json}");
    let svg = chart::svg(&rows, &Peers::default(), "t");
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    for want in ["lazynp fused", "lazynp eager", "relative to lazynp eager"] {
        assert!(svg.contains(want), "{want} not in the chart");
    }
    assert!(
        !svg.contains("NumPy</text>"),
        "no NumPy legend without NumPy times"
    );
    for r in &rows {
        assert!(
            svg.contains(&format!("{} {}", xml(r.name), r.size)),
            "{} label",
            r.name
        );
    }

    // report.md: the thread line, the table, a link per workload to its kernel dump.
    let md = render::report_markdown(
        &[render::threads_line(1)],
        &table,
        &["notes"],
        &rows,
        "explain\n",
    );
    assert!(md.contains("- threads: 1 thread for lazynp (eager and fused) and for every peer"));
    assert!(md.contains("(chart.svg)"));
    for (i, r) in rows.iter().enumerate() {
        let f = render::kernel_file(i + 1, r);
        assert!(md.contains(&format!("](kernels/{f})")), "{f}");
        assert!(
            f.ends_with(".txt") && !f.contains(' ') && !f.contains('/'),
            "{f}"
        );
    }
    assert_eq!(render::threads_line(4).matches("4 threads").count(), 1);
}

/// The chart escapes text for XML.
fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A Python that has NumPy: `LAZYNP_PYTHON`, else `python3`; None when neither has it.
fn python_with_numpy() -> Option<String> {
    let py = std::env::var("LAZYNP_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = std::process::Command::new(&py)
        .args(["-c", "import numpy"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(py)
}

#[test]
fn numpy_times_reach_the_chart_when_numpy_is_installed() {
    let Some(py) = python_with_numpy() else {
        eprintln!("skipped: no Python with NumPy (set LAZYNP_PYTHON to one that has it)");
        return;
    };
    let out = std::env::temp_dir().join(format!("lazynp-peers-{}.json", std::process::id()));
    let status = std::process::Command::new(&py)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/peers/elementwise.py"
        ))
        .args(["--quick", "--threads", "1", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("the peers script runs");
    assert!(status.success());
    let peers = Peers::parse(&std::fs::read_to_string(&out).unwrap()).unwrap();
    std::fs::remove_file(&out).unwrap();
    assert_eq!(peers.threads, vec![1]);
    let rows = quick_rows();
    for r in &rows {
        assert!(
            peers.time(r.name, &r.size, "numpy").is_some(),
            "{} {}",
            r.name,
            r.size
        );
    }
    let svg = chart::svg(&rows, &peers, "t");
    assert!(svg.contains("NumPy"), "NumPy missing from the chart");
    assert!(svg.contains("time relative to NumPy, lower is better"));
}

#[test]
fn peers_file_adds_numpy_and_best_peer_columns() {
    let text = r#"[
      {"workload": "chain ((a*b+c)*a-b)/(c+1)", "size": "1e3", "peer": "numpy", "seconds": 2e-5},
      {"workload": "chain ((a*b+c)*a-b)/(c+1)", "size": "1e3", "peer": "jax.jit", "seconds": 1.0e-5},
      {"workload": "matmul", "size": "16^3", "peer": "numpy", "seconds": 1e-6, "note": null}
    ]"#;
    let peers = Peers::parse(text).expect("valid peers file");
    assert_eq!(
        peers.time("chain ((a*b+c)*a-b)/(c+1)", "1e3", "numpy"),
        Some(2e-5)
    );
    assert_eq!(
        peers.best("chain ((a*b+c)*a-b)/(c+1)", "1e3"),
        Some(("jax.jit", 1e-5))
    );
    assert_eq!(peers.best("chain ((a*b+c)*a-b)/(c+1)", "1e7"), None);
    assert_eq!(peers.names(), ["jax.jit", "numpy"]);
    assert!(peers.threads.is_empty());
    let p = Peers::parse(
        r#"[{"workload": "w", "size": "1", "peer": "numpy", "seconds": 1, "threads": 2}]"#,
    )
    .unwrap();
    assert_eq!(p.threads, vec![2]);
    assert!(
        Peers::parse(
            r#"[{"workload": "w", "size": "1", "peer": "numpy", "seconds": 1, "threads": 0}]"#
        )
        .is_err()
    );
    assert!(Peers::parse("[{\"workload\": 1}]").is_err());
    assert!(Peers::parse("[").is_err());

    let w = workloads::chain(1_000);
    let row = measure::measure_workload(&w, &Config::quick(1)).expect("chain runs");
    let table = render::table(std::slice::from_ref(&row), &limits(), &peers);
    assert_eq!(table.header.len(), 11);
    let fused = row.fused.median.as_secs_f64();
    let cells = &table.rows[0];
    assert!(
        cells[9].ends_with(&format!("({:.2}x)", fused / 2e-5)),
        "{cells:?}"
    );
    assert!(cells[10].starts_with("jax.jit"), "{cells:?}");
}

#[test]
fn explain_is_trimmed_to_graph_plan_and_one_kernel() {
    let text = workloads::column_norm(64, 8).build().explain();
    assert!(text.matches("Cranelift IR").count() > 1, "{text}");
    let t = render::trim_explain(&text, 10);
    assert!(t.starts_with("== graph"), "{t}");
    assert!(t.contains("== fusion plan"), "{t}");
    assert_eq!(t.matches("Cranelift IR (").count(), 1, "{t}");
    assert!(!t.contains("Kernel IR"), "{t}");
    assert!(t.contains("more lines of Cranelift IR"), "{t}");
}

#[test]
fn peer_script_names_every_workload() {
    let py = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/peers/elementwise.py"
    ))
    .expect("benches/peers/elementwise.py");
    for name in NAMES {
        assert!(
            py.contains(&format!("\"{name}\"")),
            "{name} not in the peer script"
        );
    }
}
