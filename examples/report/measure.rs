//! The report's measurement core: the workload suite, the eager-vs-fused timing of each
//! workload, and this machine's limits (copy bandwidth, FMA peak) measured in the same run.
//!
//! Used by `examples/report.rs` and by the smoke test `tests/report.rs` (through `#[path]`),
//! which runs [`Config::quick`] sizes.

use lazynp::{EvalOptions, jit_stats};
use std::time::{Duration, Instant};

#[path = "../../benches/common/workloads.rs"]
pub mod workloads;

use workloads::Workload;

/// What to run and how long to spend on it.
#[derive(Clone, Debug)]
pub struct Config {
    /// More sizes (chain 1e5 and 1e6, linear 4096x512x512 instead of 1024x512x512, matmul 1024).
    pub full: bool,
    /// Tiny sizes and few runs (the smoke test).
    pub quick: bool,
    /// Evaluation threads.
    pub threads: usize,
    /// Time spent on the timed runs of one workload in one mode (the run count adapts).
    pub budget: Duration,
    /// Fewest timed runs per mode.
    pub min_runs: usize,
    /// Most timed runs per mode.
    pub max_runs: usize,
}

impl Config {
    /// The default run: about 0.35 s per workload per mode.
    pub fn standard(threads: usize) -> Config {
        Config {
            full: false,
            quick: false,
            threads,
            budget: Duration::from_millis(350),
            min_runs: 5,
            max_runs: 20_000,
        }
    }

    /// Tiny sizes, three runs each: checks the machinery, not the machine.
    pub fn quick(threads: usize) -> Config {
        Config {
            full: false,
            quick: true,
            threads,
            budget: Duration::from_millis(2),
            min_runs: 3,
            max_runs: 3,
        }
    }
}

/// A workload constructor (inputs are generated only when the workload is about to run).
pub type Maker = Box<dyn Fn() -> Workload>;

/// The suite for `cfg`, in report order.
pub fn suite(cfg: &Config) -> Vec<Maker> {
    use workloads::*;
    if cfg.quick {
        return vec![
            Box::new(|| chain(1_000)),
            Box::new(|| transcendental(1_000)),
            Box::new(|| softmax(8, 16)),
            Box::new(|| column_norm(64, 8)),
            Box::new(|| sumsq_rows(16, 32)),
            Box::new(|| one_hot(100)),
            Box::new(|| linear(16, 8, 8)),
            Box::new(|| matmul(16)),
            Box::new(tiny_chain),
        ];
    }
    let chains: &[usize] = if cfg.full {
        &[1_000, 100_000, 1_000_000, 10_000_000]
    } else {
        &[1_000, 10_000_000]
    };
    let mut v: Vec<Maker> = chains
        .iter()
        .map(|&n| Box::new(move || chain(n)) as Maker)
        .collect();
    v.push(Box::new(|| transcendental(1_000_000)));
    v.push(Box::new(|| softmax(4096, 1024)));
    v.push(Box::new(|| column_norm(100_000, 64)));
    v.push(Box::new(|| sumsq_rows(4096, 1024)));
    v.push(Box::new(|| one_hot(100_000)));
    if cfg.full {
        v.push(Box::new(|| linear(4096, 512, 512)));
    } else {
        v.push(Box::new(|| linear(1024, 512, 512)));
    }
    v.push(Box::new(|| matmul(512)));
    if cfg.full {
        v.push(Box::new(|| matmul(1024)));
    }
    v.push(Box::new(tiny_chain));
    v
}

/// One mode's measurement of one workload.
#[derive(Clone, Debug)]
pub struct ModeResult {
    /// Median wall time of one `w.build().eval_with(&opts)` plus dropping the result.
    pub median: Duration,
    /// Timed runs behind the median.
    pub runs: usize,
    /// JIT kernels the plan runs (`Array::kernel_count`; runtime ops such as matmul excluded).
    pub kernels: usize,
    /// Kernels compiled during the warm-up (0 when an earlier workload already compiled them).
    pub compiled: u64,
    /// Compile time spent during the warm-up.
    pub compile: Duration,
    /// Wall time of the warm-up run (compiles included).
    pub first: Duration,
}

/// One row of the report.
#[derive(Clone, Debug)]
pub struct Row {
    /// Workload name (as in `benches/common/workloads.rs`).
    pub name: &'static str,
    /// Size label.
    pub size: String,
    /// Bytes a perfect implementation moves.
    pub bytes: usize,
    /// Arithmetic operations.
    pub flops: usize,
    /// One kernel per op.
    pub eager: ModeResult,
    /// Fused.
    pub fused: ModeResult,
}

impl Row {
    /// Eager time over fused time.
    pub fn speedup(&self) -> f64 {
        self.eager.median.as_secs_f64() / self.fused.median.as_secs_f64().max(1e-12)
    }

    /// Whether the workload is judged by FLOP/s: the matrix products (matmul, linear layer),
    /// at every size; the others are judged by GB/s. (`Workload` has no kind field, so this
    /// goes by name.)
    pub fn compute_bound(&self) -> bool {
        self.name.starts_with("matmul") || self.name.starts_with("linear")
    }

    /// The fused rate: GFLOP/s if compute bound, else GB/s.
    pub fn fused_rate(&self) -> f64 {
        let s = self.fused.median.as_secs_f64().max(1e-12);
        if self.compute_bound() {
            self.flops as f64 / s / 1e9
        } else {
            self.bytes as f64 / s / 1e9
        }
    }

    /// The unit of [`Row::fused_rate`].
    pub fn rate_unit(&self) -> &'static str {
        if self.compute_bound() {
            "GFLOP/s"
        } else {
            "GB/s"
        }
    }

    /// The fused rate as a percentage of this machine's limit for it.
    pub fn percent_of_limit(&self, limits: &Limits) -> f64 {
        let limit = if self.compute_bound() {
            limits.flops_limit()
        } else {
            limits.bandwidth_limit()
        };
        100.0 * self.fused_rate() / limit.max(1e-9)
    }
}

/// This machine's limits, measured in the same run as the workloads.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Threads the workloads ran with.
    pub threads: usize,
    /// One-thread copy bandwidth (bytes read + written), `lazynp::debug::copy_bandwidth()`.
    pub copy_1t: f64,
    /// `threads`-thread copy bandwidth on a 64 MiB block (same as `copy_1t` for one thread).
    pub copy_nt: f64,
    /// One-thread 128-bit FMA peak, GFLOP/s.
    pub fma_1t: f64,
}

impl Limits {
    /// Measures the limits for `threads` threads (about a tenth of a second).
    pub fn measure(threads: usize) -> Limits {
        let copy_1t = lazynp::debug::copy_bandwidth();
        let copy_nt = if threads > 1 {
            threaded_copy(threads, 8 << 20)
        } else {
            copy_1t
        };
        Limits {
            threads,
            copy_1t,
            copy_nt,
            fma_1t: lazynp::runtime::gemm_lib::measure_fma_peak_f32(),
        }
    }

    /// Bandwidth limit for the thread count used, GB/s (the better of the two copies).
    pub fn bandwidth_limit(&self) -> f64 {
        self.copy_1t.max(self.copy_nt)
    }

    /// Compute limit for the thread count used, GFLOP/s (128-bit FMA peak times threads).
    pub fn flops_limit(&self) -> f64 {
        self.fma_1t * self.threads as f64
    }
}

/// Copy bandwidth (bytes read + written per second, GB/s) of `threads` threads each copying
/// its share of an `n`-element f64 block; best of five after the pages are touched.
fn threaded_copy(threads: usize, n: usize) -> f64 {
    let src = vec![1.0f64; n];
    let mut dst = vec![2.0f64; n];
    let chunk = n.div_ceil(threads);
    let mut best = f64::MAX;
    for _ in 0..6 {
        let t = Instant::now();
        std::thread::scope(|s| {
            for (d, c) in dst.chunks_mut(chunk).zip(src.chunks(chunk)) {
                s.spawn(move || d.copy_from_slice(std::hint::black_box(c)));
            }
        });
        best = best.min(t.elapsed().as_secs_f64());
    }
    std::hint::black_box(&dst);
    (2 * n * 8) as f64 / best.max(1e-9) / 1e9
}

/// The median of `times` (sorted in place); zero for an empty slice.
pub fn median(times: &mut [Duration]) -> Duration {
    if times.is_empty() {
        return Duration::ZERO;
    }
    times.sort_unstable();
    let m = times.len() / 2;
    if times.len() % 2 == 1 {
        times[m]
    } else {
        (times[m - 1] + times[m]) / 2
    }
}

/// Warm-up (which compiles), one calibration run, then the median of an adaptive number of
/// timed runs of `w.build().eval_with(opts)` (graph build and dropping the result included).
pub fn measure_mode(w: &Workload, opts: &EvalOptions, cfg: &Config) -> lazynp::Result<ModeResult> {
    let kernels = w.build().kernel_count(opts);
    let before = jit_stats();
    let t = Instant::now();
    drop(w.build().eval_with(opts)?);
    let first = t.elapsed();
    let after = jit_stats();
    let t = Instant::now();
    drop(w.build().eval_with(opts)?);
    let one = t.elapsed().as_secs_f64().max(1e-9);
    // Slow workloads (one run over the whole budget) get three runs: a median still, in budget.
    let runs = if one > cfg.budget.as_secs_f64() {
        cfg.min_runs.min(3)
    } else {
        ((cfg.budget.as_secs_f64() / one) as usize).clamp(cfg.min_runs, cfg.max_runs)
    };
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let y = w.build().eval_with(opts)?;
        drop(y);
        times.push(t.elapsed());
    }
    Ok(ModeResult {
        median: median(&mut times),
        runs,
        kernels,
        compiled: after.kernels_compiled - before.kernels_compiled,
        compile: after.compile_time.saturating_sub(before.compile_time),
        first,
    })
}

/// Measures one workload in eager then fused mode.
pub fn measure_workload(w: &Workload, cfg: &Config) -> lazynp::Result<Row> {
    let eager = measure_mode(w, &EvalOptions::eager().threads(cfg.threads), cfg)?;
    let fused = measure_mode(w, &EvalOptions::fused().threads(cfg.threads), cfg)?;
    Ok(Row {
        name: w.name,
        size: w.size.clone(),
        bytes: w.bytes,
        flops: w.flops,
        eager,
        fused,
    })
}

/// Runs the whole suite, calling `progress(i, total, &row)` after each workload. Inputs of a
/// workload are generated just before it runs and dropped after.
pub fn run_suite(
    cfg: &Config,
    mut progress: impl FnMut(usize, usize, &Row),
) -> lazynp::Result<Vec<Row>> {
    let makers = suite(cfg);
    let total = makers.len();
    let mut rows = Vec::with_capacity(total);
    for (i, make) in makers.iter().enumerate() {
        let w = make();
        let row = measure_workload(&w, cfg)?;
        progress(i + 1, total, &row);
        rows.push(row);
    }
    Ok(rows)
}
