//! The benchmark report: every workload of `benches/common/workloads.rs` in eager mode (one JIT
//! kernel per op, as NumPy runs) and fused mode, beside NumPy and any other installed peer, all
//! at the same thread count, against this machine's limits measured in the same run.
//!
//! ```text
//! cargo run --release --example report [-- --threads N] [--full] [--quick] [--json]
//!                                          [--no-peers] [--python PATH]
//! ```
//!
//! Threads: 1 by default, for lazynp and for the peers; `--threads N` runs both at N. The peers
//! (`benches/peers/elementwise.py`, run with `python3` unless `--no-peers`) use whatever of NumPy,
//! numexpr and jax is installed and say what they skip; they install nothing.
//!
//! Each workload is warmed up (which compiles its kernels), then timed as the median of an
//! adaptive number of runs of `w.build().eval_with(&opts)` (graph build and dropping the result
//! included). Progress goes to stderr, the table (or `--json`) to stdout; `report.md`, the SVG
//! chart and every workload's kernels (IR and machine code, `kernels/*.txt`) go to
//! `target/lazynp-report/`. `--full` adds sizes; `--quick` runs tiny sizes.

use lazynp::Result;
use std::path::{Path, PathBuf};

#[path = "report/chart.rs"]
mod chart;
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
    peers: bool,
    python: String,
}

fn parse_args() -> std::result::Result<Args, String> {
    let mut a = Args {
        full: false,
        quick: false,
        json: false,
        threads: 1,
        peers: true,
        python: "python3".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--full" => a.full = true,
            "--quick" => a.quick = true,
            "--json" => a.json = true,
            "--no-peers" => a.peers = false,
            "--python" => a.python = it.next().ok_or("--python needs a path")?,
            "--threads" => {
                let v = it.next().ok_or("--threads needs a value")?;
                a.threads = v.parse().map_err(|e| format!("--threads {v}: {e}"))?;
                if a.threads == 0 {
                    return Err("--threads must be at least 1".into());
                }
            }
            other => {
                return Err(format!(
                    "unknown argument {other} (use --threads N, --full, --quick, --json, --no-peers, \
                     --python PATH)"
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
peers ran at the same thread count as lazynp.";

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

/// Runs the peers script at the report's thread count and sizes; returns its times (empty
/// when it could not run) and a sentence for the report saying what happened.
fn run_peers(args: &Args, dir: &Path) -> (Peers, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers/elementwise.py");
    let out = dir.join("peers.json");
    let _ = std::fs::create_dir_all(dir);
    let _ = std::fs::remove_file(&out);
    let mut cmd = std::process::Command::new(&args.python);
    cmd.arg(&script)
        .arg("--threads")
        .arg(args.threads.to_string())
        .arg("--out")
        .arg(&out);
    if args.quick {
        cmd.arg("--quick");
    } else if args.full {
        cmd.arg("--full");
    }
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_message(format!("peers: {} {}", args.python, script.display()));
    spinner.enable_steady_tick(std::time::Duration::from_millis(200));
    let result = cmd.stdin(std::process::Stdio::null()).output();
    spinner.finish_and_clear();
    let output = match result {
        Ok(o) => o,
        Err(e) => {
            return (
                Peers::default(),
                format!(
                    "No peer columns: could not run `{}` ({e}); see the README for the optional \
                     peers.",
                    args.python
                ),
            );
        }
    };
    let said: Vec<String> = String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|l| l.starts_with("peers:"))
        .map(|l| l.trim_start_matches("peers:").trim().to_string())
        .collect();
    let said = said.join("; ");
    if !output.status.success() {
        let err = String::from_utf8_lossy(&output.stderr);
        let last = err.lines().last().unwrap_or("").trim().to_string();
        return (
            Peers::default(),
            format!("No peer columns: the peers script failed ({last})."),
        );
    }
    match std::fs::read_to_string(&out)
        .map_err(|e| e.to_string())
        .and_then(|t| Peers::parse(&t))
    {
        Ok(p) if p.threads.iter().any(|&t| t != args.threads) => (
            Peers::default(),
            format!(
                "Peer times omitted: measured at {:?} threads, lazynp at {}.",
                p.threads, args.threads
            ),
        ),
        Ok(p) if p.is_empty() => (Peers::default(), format!("No peer columns: {said}.")),
        Ok(p) => (p, format!("Peers ({} thread(s)): {said}.", args.threads)),
        Err(e) => (
            Peers::default(),
            format!("No peer columns: {} is not valid ({e}).", out.display()),
        ),
    }
}

/// Writes report.md, chart.svg and kernels/*.txt under `dir`; returns the three paths.
#[allow(clippy::too_many_arguments)]
fn write_outputs(
    dir: &Path,
    cfg: &Config,
    rows: &[Row],
    table: &render::Table,
    header: &[String],
    peers: &Peers,
    peers_note: &str,
    explain: &str,
) -> std::io::Result<[PathBuf; 3]> {
    let kdir = dir.join("kernels");
    std::fs::create_dir_all(&kdir)?;
    let opts = lazynp::EvalOptions::fused().threads(cfg.threads);
    for (i, make) in measure::suite(cfg).iter().enumerate() {
        let w = make();
        let Some(r) = rows.get(i) else { break };
        let text = w.build().explain_with(&opts, true);
        std::fs::write(kdir.join(render::kernel_file(i + 1, r)), text)?;
    }
    let md = render::report_markdown(header, table, &[NOTES, peers_note], rows, explain);
    let md_path = dir.join("report.md");
    std::fs::write(&md_path, md)?;
    let svg_path = dir.join("chart.svg");
    let title = format!("lazynp vs peers, {} thread(s), {}", cfg.threads, today());
    std::fs::write(&svg_path, chart::svg(rows, peers, &title))?;
    Ok([md_path, svg_path, kdir])
}

fn run(args: &Args) -> Result<()> {
    let mut cfg = if args.quick {
        Config::quick(args.threads)
    } else {
        Config::standard(args.threads)
    };
    cfg.full = args.full && !args.quick;
    let threads = render::threads_line(args.threads);
    eprintln!("lazynp report: {}\n{threads}", machine());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/lazynp-report");
    let (peers, peers_note) = if args.peers {
        run_peers(args, &dir)
    } else {
        (
            Peers::default(),
            "No peer columns (--no-peers).".to_string(),
        )
    };
    eprintln!("{peers_note}");
    eprintln!("measuring this machine's limits ...");
    let limits = Limits::measure(args.threads);
    let n = measure::suite(&cfg).len() as u64;
    let bar = indicatif::ProgressBar::new(n).with_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed} {msg}")
            .expect("valid template"),
    );
    let rows = measure::run_suite(&cfg, |i, n, r| {
        let line = format!(
            "[{i:>2}/{n}] {:<30} {:<13} eager {:>10}  fused {:>10}  {:.2}x",
            r.name,
            r.size,
            render::fmt_time(r.eager.median),
            render::fmt_time(r.fused.median),
            r.speedup()
        );
        if bar.is_hidden() {
            eprintln!("{line}");
        } else {
            bar.println(line);
        }
        bar.inc(1);
        bar.set_message(format!("{} {}", r.name, r.size));
    })?;
    bar.finish_and_clear();

    let table = render::table(&rows, &limits, &peers);
    let explain = format!(
        "{}\n{}",
        matmul_backends(args.quick, cfg.full),
        fusion_example(args.quick)
    );
    let command = std::iter::once("cargo run --release --example report --".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    let header = vec![
        format!("date: {}", today()),
        format!("machine: {}", machine()),
        format!("command: `{command}`"),
        threads.clone(),
        limits_text(&limits),
    ];
    if args.json {
        print!("{}", render::json(&rows, &limits, &peers));
    } else {
        println!("lazynp report — {}", machine());
        println!("{threads}");
        println!("{}\n", limits_text(&limits));
        print!("{}", render::text(&table));
        println!("\n{NOTES}\n{peers_note}");
    }
    let written = write_outputs(
        &dir,
        &cfg,
        &rows,
        &table,
        &header,
        &peers,
        &peers_note,
        &explain,
    );
    match written {
        Ok(paths) => {
            let msg = paths
                .iter()
                .map(|p| format!("wrote {}", p.display()))
                .collect::<Vec<_>>()
                .join("\n");
            if args.json {
                eprintln!("{msg}");
            } else {
                println!("\n{msg}");
            }
        }
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
