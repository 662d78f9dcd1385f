//! The library GEMM backend: sgemm/dgemm GFLOP/s at 1 and 2 threads, and `relu(X@W + b)` with the
//! bias + relu fused into the epilogue vs the bare product.
//!
//! `cargo bench --bench gemm_lib` (criterion's "elem/s" is flop/s here: Gelem/s = GFLOP/s).
//! `LAZYNP_BENCH_LARGE=1` adds n = 2048; `LAZYNP_BENCH_COMPARE=1` adds the `matrixmultiply`
//! crate (the alternative pure-Rust library, single-threaded) on the same products.
//! Peer: `benches/peers/numpy_matmul.py`.
//!
//! Two `relu(X@W + b)` groups: `relu_xw_b_*` calls the backend with a Rust closure as the
//! epilogue; `relu_xw_b_jit_*` goes through the public API (`(&x.matmul(&w) + &b).relu()`), so the
//! epilogue is the JIT kernel the runtime really fuses, against `x.matmul(&w)` alone.
//!
//! On a shared 2-core machine other processes (builds) halve large-size throughput and make the
//! 2-thread rows meaningless: check `uptime` (load < 2) before trusting the numbers. For a
//! bare-vs-fused comparison that survives a loaded machine, `LAZYNP_BENCH_AB=1` runs only an
//! interleaved A/B of the API pair (bare and fused alternate, 40 rounds) and prints medians of
//! the thread's CPU time (1 thread), of the process's CPU time and of wall time (2 threads),
//! then exits; `LAZYNP_BENCH_AB_ROUNDS` changes the rounds.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use lazynp as np;
use lazynp::runtime::gemm_lib::{lib_gemm_f32, lib_gemm_f64, measure_fma_peak_f32, measured};
use lazynp::runtime::mat::{MatMut, MatRef};
use lazynp::{Array, DType, EvalOptions, MatmulBackend};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn values<T: From<f32>>(len: usize, seed: u32) -> Vec<T> {
    let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            T::from((s % 2000) as f32 / 1000.0 - 1.0)
        })
        .collect()
}

fn row_major<T>(v: &[T], rows: usize, cols: usize) -> MatRef<T> {
    MatRef {
        ptr: v.as_ptr(),
        rows,
        cols,
        rs: cols as isize,
        cs: 1,
    }
}

fn sizes() -> Vec<usize> {
    let mut n = vec![256, 1024];
    if std::env::var_os("LAZYNP_BENCH_LARGE").is_some() {
        n.push(2048);
    }
    n
}

fn gemm_sizes(c: &mut Criterion) {
    let t = measured();
    println!(
        "measured(): f32 {:.1}/{:.1} GF/s, f64 {:.1}/{:.1} GF/s (n={}/{}), overhead {:.2} us, \
         copy {:.1} GB/s; 128-bit FMA peak (1 thread) {:.1} GF/s",
        t.f32_small_gflops,
        t.f32_medium_gflops,
        t.f64_small_gflops,
        t.f64_medium_gflops,
        t.small_n,
        t.medium_n,
        t.call_overhead_s * 1e6,
        t.copy_gbps,
        measure_fma_peak_f32()
    );
    for n in sizes() {
        let a32: Vec<f32> = values(n * n, 1);
        let b32: Vec<f32> = values(n * n, 2);
        let mut c32 = vec![0f32; n * n];
        let a64: Vec<f64> = values(n * n, 1);
        let b64: Vec<f64> = values(n * n, 2);
        let mut c64 = vec![0f64; n * n];
        let mut g = c.benchmark_group("gemm");
        g.throughput(Throughput::Elements(2 * (n * n * n) as u64));
        for threads in [1usize, 2] {
            g.bench_function(BenchmarkId::new(format!("sgemm/{threads}t"), n), |bch| {
                bch.iter(|| {
                    let out = MatMut {
                        ptr: c32.as_mut_ptr(),
                        rows: n,
                        cols: n,
                        ld: n,
                    };
                    // SAFETY: n×n row-major views of live n*n buffers; C is distinct.
                    unsafe {
                        lib_gemm_f32(
                            row_major(&a32, n, n),
                            row_major(&b32, n, n),
                            out,
                            threads,
                            None,
                        )
                    }
                })
            });
            g.bench_function(BenchmarkId::new(format!("dgemm/{threads}t"), n), |bch| {
                bch.iter(|| {
                    let out = MatMut {
                        ptr: c64.as_mut_ptr(),
                        rows: n,
                        cols: n,
                        ld: n,
                    };
                    // SAFETY: as above.
                    unsafe {
                        lib_gemm_f64(
                            row_major(&a64, n, n),
                            row_major(&b64, n, n),
                            out,
                            threads,
                            None,
                        )
                    }
                })
            });
        }
        if std::env::var_os("LAZYNP_BENCH_COMPARE").is_some() {
            let ni = n as isize;
            g.bench_function(BenchmarkId::new("matrixmultiply-sgemm/1t", n), |bch| {
                // SAFETY: n×n row-major buffers; C is distinct.
                bch.iter(|| unsafe {
                    matrixmultiply::sgemm(
                        n,
                        n,
                        n,
                        1.0,
                        a32.as_ptr(),
                        ni,
                        1,
                        b32.as_ptr(),
                        ni,
                        1,
                        0.0,
                        c32.as_mut_ptr(),
                        ni,
                        1,
                    )
                })
            });
            g.bench_function(BenchmarkId::new("matrixmultiply-dgemm/1t", n), |bch| {
                // SAFETY: as above.
                bch.iter(|| unsafe {
                    matrixmultiply::dgemm(
                        n,
                        n,
                        n,
                        1.0,
                        a64.as_ptr(),
                        ni,
                        1,
                        b64.as_ptr(),
                        ni,
                        1,
                        0.0,
                        c64.as_mut_ptr(),
                        ni,
                        1,
                    )
                })
            });
        }
        g.finish();
        black_box((&c32, &c64));
    }
}

/// C's address for the epilogue, which writes disjoint tiles from several threads.
struct SyncPtr(*mut f32);
// SAFETY: the epilogue contract gives each call a disjoint tile of C.
unsafe impl Sync for SyncPtr {}
impl SyncPtr {
    fn get(&self) -> *mut f32 {
        self.0
    }
}

fn relu_xw_b(c: &mut Criterion) {
    let (m, k, n) = (4096, 512, 512);
    let x: Vec<f32> = values(m * k, 3);
    let w: Vec<f32> = values(k * n, 4);
    let bias: Vec<f32> = values(n, 5);
    let mut out = vec![0f32; m * n];
    let mut g = c.benchmark_group("relu_xw_b_4096x512x512");
    g.throughput(Throughput::Elements(2 * (m * n * k) as u64));
    for threads in [1usize, 2] {
        g.bench_function(BenchmarkId::new("bare", format!("{threads}t")), |bch| {
            bch.iter(|| {
                let c = MatMut {
                    ptr: out.as_mut_ptr(),
                    rows: m,
                    cols: n,
                    ld: n,
                };
                // SAFETY: views of live buffers of the stated sizes; C is distinct.
                unsafe { lib_gemm_f32(row_major(&x, m, k), row_major(&w, k, n), c, threads, None) }
            })
        });
        g.bench_function(BenchmarkId::new("epilogue", format!("{threads}t")), |bch| {
            bch.iter(|| {
                let cp = SyncPtr(out.as_mut_ptr());
                let epi = |r0: usize, r1: usize, c0: usize, c1: usize| {
                    for i in r0..r1 {
                        // SAFETY: row i, columns c0..c1 are inside this call's tile of C.
                        let row = unsafe {
                            std::slice::from_raw_parts_mut(cp.get().add(i * n + c0), c1 - c0)
                        };
                        for (v, b) in row.iter_mut().zip(&bias[c0..c1]) {
                            *v = (*v + b).max(0.0);
                        }
                    }
                };
                let c = MatMut {
                    ptr: out.as_mut_ptr(),
                    rows: m,
                    cols: n,
                    ld: n,
                };
                // SAFETY: as above.
                unsafe {
                    lib_gemm_f32(
                        row_major(&x, m, k),
                        row_major(&w, k, n),
                        c,
                        threads,
                        Some(&epi),
                    )
                }
            })
        });
    }
    g.finish();
    black_box(&out);
}

/// The public-API pair: X 4096×512, W 512×512, b 512 (f32, standard normal).
struct Linear {
    x: Array,
    w: Array,
    b: Array,
}

impl Linear {
    const M: usize = 4096;
    const K: usize = 512;
    const N: usize = 512;

    fn new() -> Self {
        let randn = |shape: &[usize], seed| {
            np::random::default_rng(seed)
                .standard_normal_dtype(shape.to_vec(), DType::F32)
                .eval()
                .expect("random inputs")
        };
        Linear {
            x: randn(&[Self::M, Self::K], 9),
            w: randn(&[Self::K, Self::N], 10),
            b: randn(&[Self::N], 11),
        }
    }

    /// Evaluates the bare product (`fused == false`) or `relu(X@W + b)` with the library backend.
    fn run(&self, fused: bool, threads: usize) -> Array {
        let opts = EvalOptions::fused()
            .threads(threads)
            .matmul_backend(MatmulBackend::Library);
        let g = if fused {
            (&self.x.matmul(&self.w) + &self.b).relu()
        } else {
            self.x.matmul(&self.w)
        };
        g.eval_with(&opts).expect("evaluation")
    }
}

fn relu_xw_b_jit(c: &mut Criterion) {
    let lin = Linear::new();
    let mut g = c.benchmark_group("relu_xw_b_jit_4096x512x512");
    g.throughput(Throughput::Elements(
        2 * (Linear::M * Linear::N * Linear::K) as u64,
    ));
    for threads in [1usize, 2] {
        for (name, fused) in [("bare", false), ("fused", true)] {
            g.bench_function(BenchmarkId::new(name, format!("{threads}t")), |bch| {
                bch.iter(|| lin.run(fused, threads))
            });
        }
    }
    g.finish();
}

/// CPU time of the calling thread or of the whole process, in seconds.
fn cpu_seconds(process: bool) -> f64 {
    let clock = if process {
        libc::CLOCK_PROCESS_CPUTIME_ID
    } else {
        libc::CLOCK_THREAD_CPUTIME_ID
    };
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to write; both clocks exist on Linux.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `LAZYNP_BENCH_AB=1`: bare and fused alternate (the order flips every round), so load from
/// other processes falls on both alike; medians of thread CPU (1 thread), process CPU and wall
/// time (2 threads).
fn ab_report() {
    let rounds: usize = std::env::var("LAZYNP_BENCH_AB_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40)
        .max(1);
    let lin = Linear::new();
    println!(
        "relu(X@W+b) {}x{}x{} f32, library backend, bare vs fused, medians of {rounds} \
         interleaved rounds",
        Linear::M,
        Linear::K,
        Linear::N
    );
    for threads in [1usize, 2] {
        // [bare, fused] × [wall, thread cpu, process cpu], milliseconds.
        let mut t: [[Vec<f64>; 3]; 2] = Default::default();
        for round in 0..rounds + 2 {
            for i in 0..2 {
                let fused = (i + round) % 2 == 1;
                let (w0, tc0, pc0) = (Instant::now(), cpu_seconds(false), cpu_seconds(true));
                black_box(lin.run(fused, threads));
                let (pc1, tc1) = (cpu_seconds(true), cpu_seconds(false));
                let wall = w0.elapsed().as_secs_f64();
                if round >= 2 {
                    let v = &mut t[fused as usize];
                    v[0].push(wall * 1e3);
                    v[1].push((tc1 - tc0) * 1e3);
                    v[2].push((pc1 - pc0) * 1e3);
                }
            }
        }
        for (j, clock) in ["wall", "thread cpu", "process cpu"].iter().enumerate() {
            if threads > 1 && j == 1 {
                continue;
            }
            let (b, f) = (median(&mut t[0][j]), median(&mut t[1][j]));
            println!(
                "  {threads}t {clock:>11}: bare {b:7.3} ms  fused {f:7.3} ms  epilogue {:+5.1}%",
                (f / b - 1.0) * 100.0
            );
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = gemm_sizes, relu_xw_b, relu_xw_b_jit
}

fn main() {
    if std::env::var_os("LAZYNP_BENCH_AB").is_some() {
        ab_report();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
