//! JIT GEMM throughput vs the measured 128-bit FMA peak and ndarray, plus batched small products.
//!
//! `cargo bench --bench matmul` (add `LAZYNP_BENCH_2048=1` for n = 2048; `-- batched` for the
//! batched small products only). Prints GFLOP/s and % of the single-thread xmm FMA peak measured in
//! the same run, and `SUMMARY` lines with best-of times.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use lazynp::runtime::mat::{MatMut, MatRef};
use lazynp::runtime::matmul::{Batch, GemmElement, batched_small, gemm, measure_fma_peak_f32};
use lazynp::{Array, EvalOptions, MatmulBackend};

fn fill<T: GemmElement>(len: usize, f: impl Fn(f64) -> T) -> Vec<T> {
    (0..len)
        .map(|i| f(((i * 7919) % 1000) as f64 / 1000.0 - 0.5))
        .collect()
}

/// Best-of-several wall time of one `C = A B` (for the summary line).
fn best_time(mut run: impl FnMut(), reps: usize) -> f64 {
    run();
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            run();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn square<T: GemmElement + ndarray::LinalgScalar>(
    c: &mut Criterion,
    name: &str,
    conv: fn(f64) -> T,
    peak: f64,
    sizes: &[usize],
) {
    let mut group = c.benchmark_group(format!("gemm_{name}"));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for &n in sizes {
        let a = fill(n * n, conv);
        let b = fill(n * n, conv);
        let mut out = vec![T::default(); n * n];
        let am = MatRef {
            ptr: a.as_ptr(),
            rows: n,
            cols: n,
            rs: n as isize,
            cs: 1,
        };
        let bm = MatRef {
            ptr: b.as_ptr(),
            rows: n,
            cols: n,
            rs: n as isize,
            cs: 1,
        };
        let cm = MatMut {
            ptr: out.as_mut_ptr(),
            rows: n,
            cols: n,
            ld: n,
        };
        let flops = 2.0 * (n as f64).powi(3);
        group.throughput(Throughput::Elements(2 * (n as u64).pow(3)));
        for threads in [1, 2] {
            // SAFETY: the descriptors cover the live vectors above.
            let mut go =
                || unsafe { gemm(am, bm, cm, threads, None) }.unwrap_or_else(|e| panic!("{e}"));
            group.bench_function(BenchmarkId::new(format!("jit_t{threads}"), n), |bench| {
                bench.iter(&mut go)
            });
            let gf = flops / best_time(&mut go, 5) / 1e9;
            let scale = if name == "f64" { 2.0 } else { 1.0 };
            println!(
                "SUMMARY {name} n={n} threads={threads}: {gf:.1} GFLOP/s = {:.0}% of 1-thread xmm peak",
                100.0 * gf * scale / peak
            );
        }
        let (an, bn) = (
            ndarray::Array2::from_shape_vec((n, n), a.clone()),
            ndarray::Array2::from_shape_vec((n, n), b.clone()),
        );
        if let (Ok(an), Ok(bn)) = (an, bn) {
            group.bench_function(BenchmarkId::new("ndarray", n), |bench| {
                bench.iter(|| black_box(an.dot(&bn)))
            });
            let gf = flops / best_time(|| drop(black_box(an.dot(&bn))), 5) / 1e9;
            println!("SUMMARY {name} n={n} ndarray: {gf:.1} GFLOP/s");
        }
    }
    group.finish();
}

fn batched(c: &mut Criterion) {
    for m in [8usize, 16] {
        batched_case(c, m);
    }
}

/// 10000 products of m x m f32 matrices: the batched kernel called directly (1 thread), through
/// the array API (dispatch, fresh output buffer) on 1 and 2 threads, and an ndarray loop.
fn batched_case(c: &mut Criterion, m: usize) {
    let count = 10_000usize;
    let a = fill::<f32>(count * m * m, |x| x as f32);
    let b = fill::<f32>(count * m * m, |x| x as f32 + 0.25);
    let mut out = vec![0.0f32; count * m * m];
    let mat = |p: *const f32| MatRef {
        ptr: p,
        rows: m,
        cols: m,
        rs: m as isize,
        cs: 1,
    };
    let cm = MatMut {
        ptr: out.as_mut_ptr(),
        rows: m,
        cols: m,
        ld: m,
    };
    let bs = (m * m) as isize;
    let batch = Batch {
        count,
        a: bs,
        b: bs,
        c: bs,
    };
    let mut group = c.benchmark_group("batched_f32");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(1));
    let flops = 2 * count * m * m * m;
    group.throughput(Throughput::Elements(flops as u64));
    // SAFETY: 10000 items of each operand are in the vectors above.
    let mut go = || {
        unsafe { batched_small(mat(a.as_ptr()), mat(b.as_ptr()), cm, batch) }
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let name = format!("{count}x{m}x{m}x{m}");
    group.bench_function(format!("jit_{name}"), |bench| bench.iter(&mut go));
    let t = best_time(&mut go, 20);
    println!(
        "SUMMARY batched {count}x({m}x{m} . {m}x{m}) f32 kernel, 1 thread: {:.1} us, {:.1} GFLOP/s",
        t * 1e6,
        flops as f64 / t / 1e9
    );
    let arr = |v: &[f32]| {
        Array::from_shape_vec(vec![count, m, m], v.to_vec())
            .and_then(|x| x.eval())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let (aa, ba) = (arr(&a), arr(&b));
    for threads in [1, 2] {
        let opts = EvalOptions::fused()
            .threads(threads)
            .matmul_backend(MatmulBackend::Jit);
        let run = || {
            black_box(
                aa.matmul(&ba)
                    .eval_with(&opts)
                    .unwrap_or_else(|e| panic!("{e}")),
            );
        };
        group.bench_function(format!("array_t{threads}_{name}"), |bench| bench.iter(run));
        println!(
            "SUMMARY batched {count}x({m}x{m} . {m}x{m}) f32 array API, {threads} threads: {:.1} us",
            best_time(run, 20) * 1e6
        );
    }
    let an: Vec<ndarray::ArrayView2<f32>> = a
        .chunks(m * m)
        .filter_map(|s| ndarray::ArrayView2::from_shape((m, m), s).ok())
        .collect();
    let bn: Vec<ndarray::ArrayView2<f32>> = b
        .chunks(m * m)
        .filter_map(|s| ndarray::ArrayView2::from_shape((m, m), s).ok())
        .collect();
    let nd = || {
        for (x, y) in an.iter().zip(&bn) {
            black_box(x.dot(y));
        }
    };
    group.bench_function(format!("ndarray_{name}"), |bench| bench.iter(nd));
    println!(
        "SUMMARY batched {count}x{m}^3 ndarray loop: {:.1} us",
        best_time(nd, 10) * 1e6
    );
    group.finish();
}

fn all(c: &mut Criterion) {
    let peak = measure_fma_peak_f32();
    println!("SUMMARY measured 1-thread xmm FMA peak: {peak:.1} GFLOP/s (f32)");
    let mut sizes = vec![64, 128, 256, 512, 1024];
    if std::env::var_os("LAZYNP_BENCH_2048").is_some() {
        sizes.push(2048);
    }
    square::<f32>(c, "f32", |x| x as f32, peak, &sizes);
    square::<f64>(c, "f64", |x| x, peak, &sizes);
    batched(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
