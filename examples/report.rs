//! The benchmark report: every workload of `benches/workloads.rs` in eager mode (one JIT kernel
//! per op, as NumPy runs) and fused mode, against this machine's limits measured in the same run.
//!
//! ```text
//! cargo run --release --example report [-- --full] [--json] [--threads N] [--quick]
//! python3 benches/peers/elementwise.py [--full]    # optional: NumPy, numexpr, jax.jit columns
//! ```
//!
//! Each workload is warmed up (which compiles its kernels), then timed as the median of an
//! adaptive number of runs of `w.build().eval_with(&opts)` (graph build and dropping the result
//! included). Progress goes to stderr, the table (or `--json`) to stdout; the Markdown report and
//! an SVG chart go to `target/lazynp-report/`. `--full` adds sizes; `--quick` runs tiny sizes.

use lazynp::Result;
use std::fmt::Write;
use std::path::{Path, PathBuf};

#[path = "report/measure.rs"]
mod measure;
#[path = "report/peers.rs"]
mod peers;
#[path = "report/render.rs"]
mod render;

use measure::{Config, Limits, Row, workloads};
use peers::Peers;

struct Args {
    full: bool,
    quick: bool,
    json: bool,
    threads: usize,
}

fn parse_args() -> std::result::Result<Args, String> {
    let mut a = Args {
        full: false,
        quick: false,
        json: false,
        threads: lazynp::eval::default_threads(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--full" => a.full = true,
            "--quick" => a.quick = true,
            "--json" => a.json = true,
            "--threads" => {
                let v = it.next().ok_or("--threads needs a value")?;
                a.threads = v.parse().map_err(|e| format!("--threads {v}: {e}"))?;
                if a.threads == 0 {
                    return Err("--threads must be at least 1".into());
                }
            }
            other => {
                return Err(format!(
                    "unknown argument {other} (use --full, --quick, --json, --threads N)"
                ));
            }
        }
    }
    Ok(a)
}

/// `nproc` and the CPU model (from /proc/cpuinfo when readable).
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{model}, nproc {cores}, {}", std::env::consts::ARCH)
}

/// Today's UTC date as YYYY-MM-DD (days-to-civil, no date crate needed).
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn limits_text(l: &Limits) -> String {
    let nt = if l.threads > 1 {
        format!(
            ", {:.1} GB/s on {} threads (64 MiB block)",
            l.copy_nt, l.threads
        )
    } else {
        String::new()
    };
    format!(
        "threads {}; copy bandwidth {:.1} GB/s on 1 thread (lazynp::debug::copy_bandwidth){nt}; \
         128-bit FMA peak {:.1} GFLOP/s per thread, limit used for GFLOP/s rows {:.1} GFLOP/s",
        l.threads,
        l.copy_1t,
        l.fma_1t,
        l.flops_limit()
    )
}

const NOTES: &str = "Times are medians of `w.build().eval_with(&opts)` including graph build and \
dropping the result. speed-up = eager / fused. kernels e/f = JIT kernels eager/fused (matmul is a \
runtime op, not counted). fused rate is GB/s (bytes a perfect implementation moves) or GFLOP/s \
for matmul-like rows; % limit compares it with the copy bandwidth or threads x 128-bit FMA peak \
measured above (in-cache sizes can exceed 100%, and the matmul backend may use wider vectors). \
compile e/f = JIT compile time during warm-up (kernels compiled); 0 when an earlier row already \
compiled the same kernels. Peer ratios are fused time / peer time (below 1: lazynp is faster); \
peers run single-threaded, so compare with `--threads 1` for like-for-like.";

/// The column-norm explanation trimmed to graph, plan and one kernel's CLIF (column norm
/// rather than softmax: its plan shows more of what fusion does, 11 eager kernels into 3).
fn fusion_example(quick: bool) -> String {
    let w = if quick {
        workloads::column_norm(64, 8)
    } else {
        workloads::column_norm(100_000, 64)
    };
    let text = w.build().explain();
    format!(
        "What fusion did to `{} {}` (`w.build().explain()`, trimmed):\n\n{}",
        w.name,
        w.size,
        render::trim_explain(&text, 60)
    )
}

/// Which backend each matmul workload used, with the cost model's estimates (from `explain()`).
fn matmul_backends(quick: bool, full: bool) -> String {
    let ws = if quick {
        vec![workloads::linear(16, 8, 8), workloads::matmul(16)]
    } else if full {
        vec![
            workloads::linear(4096, 512, 512),
            workloads::matmul(512),
            workloads::matmul(1024),
        ]
    } else {
        vec![workloads::linear(1024, 512, 512), workloads::matmul(512)]
    };
    let mut s = String::from("Matmul backends (`explain()`):\n");
    for w in &ws {
        let text = w.build().explain();
        for line in text
            .lines()
            .filter(|l| l.contains("runtime matmul") || l.contains("epilogue of"))
        {
            s.push_str(&format!("  {} {}: {}\n", w.name, w.size, line.trim()));
        }
    }
    s
}

fn write_outputs(
    dir: &Path,
    rows: &[Row],
    table: &render::Table,
    limits: &Limits,
    explain: &str,
    peers_note: &str,
) -> std::io::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir)?;
    let command = std::iter::once("cargo run --release --example report --".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    let mut md = format!(
        "# lazynp benchmark report\n\n- date: {}\n- machine: {}\n- command: `{command}`\n- {}\n\n",
        today(),
        machine(),
        limits_text(limits)
    );
    md.push_str(&render::markdown(table));
    let _ = write!(
        md,
        "\n{NOTES}\n\n{peers_note}\n\n![chart](chart.svg)\n\n## Fusion, shown\n\n```text\n{explain}```\n"
    );
    let md_path = dir.join("report.md");
    std::fs::write(&md_path, md)?;
    let svg_path = dir.join("chart.svg");
    let title = format!(
        "lazynp eager vs fused, {} threads, {}",
        limits.threads,
        today()
    );
    std::fs::write(&svg_path, render::svg(rows, &title))?;
    Ok((md_path, svg_path))
}

fn run(args: &Args) -> Result<()> {
    let mut cfg = if args.quick {
        Config::quick(args.threads)
    } else {
        Config::standard(args.threads)
    };
    cfg.full = args.full && !args.quick;
    eprintln!("lazynp report: {}", machine());
    eprintln!("measuring this machine's limits ...");
    let limits = Limits::measure(args.threads);
    eprintln!("{}", limits_text(&limits));
    let rows = measure::run_suite(&cfg, |i, n, r| {
        eprintln!(
            "[{i:>2}/{n}] {:<30} {:<13} eager {:>10} ({:>5} runs)  fused {:>10} ({:>5} runs)  {:.2}x",
            r.name,
            r.size,
            render::fmt_time(r.eager.median),
            r.eager.runs,
            render::fmt_time(r.fused.median),
            r.fused.runs,
            r.speedup()
        )
    })?;

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/lazynp-report");
    let peers_path = dir.join("peers.json");
    let (peers, peers_note) = match std::fs::read_to_string(&peers_path) {
        Ok(text) => match Peers::parse(&text) {
            Ok(p) => (p, format!("Peer times read from {}.", peers_path.display())),
            Err(e) => (
                Peers::default(),
                format!(
                    "{} is not valid ({e}); peer columns omitted.",
                    peers_path.display()
                ),
            ),
        },
        Err(_) => (
            Peers::default(),
            "No peer times: run `python3 benches/peers/elementwise.py` (add `--full` to match \
             `--full`) to add NumPy / numexpr / jax.jit columns."
                .to_string(),
        ),
    };

    let table = render::table(&rows, &limits, &peers);
    let explain = format!(
        "{}\n{}",
        matmul_backends(args.quick, cfg.full),
        fusion_example(args.quick)
    );
    if args.json {
        print!("{}", render::json(&rows, &limits, &peers));
    } else {
        println!("lazynp report — {}", machine());
        println!("{}\n", limits_text(&limits));
        print!("{}", render::text(&table));
        println!("\n{NOTES}\n{peers_note}\n");
        print!("{explain}");
    }
    match write_outputs(&dir, &rows, &table, &limits, &explain, &peers_note) {
        Ok((md, svg)) if args.json => eprintln!("wrote {}\nwrote {}", md.display(), svg.display()),
        Ok((md, svg)) => println!("\nwrote {}\nwrote {}", md.display(), svg.display()),
        Err(e) => eprintln!("could not write {}: {e}", dir.display()),
    }
    Ok(())
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("report: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&args) {
        eprintln!("report: {e}");
        std::process::exit(1);
    }
}
