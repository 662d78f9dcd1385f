//! Smoke test of `examples/report.rs`: its measurement core on the quick (tiny) sizes, its
//! renderers, the peers merge, the explain trimming, and that the Python peer script names the
//! same workloads. Fast: tiny arrays, three timed runs each.

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

/// Every workload `benches/workloads.rs` defines, by name.
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
    let svg = render::svg(&rows, "t");
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    // Two legend swatches plus two bars per workload.
    assert_eq!(
        svg.matches("<rect").count(),
        1 + 2 + 2 * rows.len(),
        "{svg}"
    );
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
