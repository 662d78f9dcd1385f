//! Matmul prologue fusion, measured: `(x * 2.0) @ w` and `relu((x * 2.0) @ w + b)` for X 4096×512,
//! W 512×512 f32, one thread. "fused" evaluates the whole expression (with the JIT GEMM the
//! prologue runs inside packing); "separate" first evaluates `x * 2.0` into a buffer, then the
//! product (the previous plan: one kernel writing the operand, then the GEMM reading it).
//!
//! `cargo run --release --example prologue_bench` (`REPS=n` sets the number of timed runs).

use lazynp as np;
use lazynp::{Array, DType, EvalOptions, MatmulBackend};
use std::time::Instant;

/// Medians of `a` and `b` timed alternately (so both see the same machine load).
fn medians(mut a: impl FnMut(), mut b: impl FnMut(), reps: usize) -> (f64, f64) {
    a();
    b();
    let time = |f: &mut dyn FnMut()| {
        let s = Instant::now();
        f();
        s.elapsed().as_secs_f64()
    };
    let (mut ta, mut tb): (Vec<f64>, Vec<f64>) =
        (0..reps).map(|_| (time(&mut a), time(&mut b))).unzip();
    ta.sort_by(f64::total_cmp);
    tb.sort_by(f64::total_cmp);
    (ta[reps / 2], tb[reps / 2])
}

fn rand(shape: &[usize], seed: u64) -> Array {
    np::random::default_rng(seed)
        .standard_normal(shape.to_vec())
        .astype(DType::F32)
        .eval()
        .unwrap()
}

fn backend_line(y: &Array, opts: &EvalOptions) -> String {
    y.explain_with(opts, false)
        .lines()
        .filter(|l| l.contains("runtime matmul") || l.contains("prologue of"))
        .map(|l| l.trim().to_string())
        .collect::<Vec<_>>()
        .join("\n    ")
}

fn main() {
    let reps: usize = std::env::var("REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(21);
    let threads: usize = std::env::var("THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let x = rand(&[4096, 512], 1);
    let w = rand(&[512, 512], 2);
    let b = rand(&[512], 3);
    let flops = 2.0 * 4096.0 * 512.0 * 512.0;
    let scale = || &x * 2.0;
    let plain = |x2: &Array| x2.matmul(&w);
    let layer = |x2: &Array| (&x2.matmul(&w) + &b).relu();
    type Build<'a> = &'a dyn Fn(&Array) -> Array;
    let cases: [(&str, Build); 2] = [("(x*2)@w", &plain), ("relu((x*2)@w+b)", &layer)];
    println!("X 4096x512, W 512x512 f32, {threads} thread(s), median of {reps}");
    for (name, f) in cases {
        for backend in [MatmulBackend::Jit, MatmulBackend::Auto] {
            let opts = EvalOptions::fused()
                .matmul_backend(backend)
                .threads(threads);
            // Built in a `let`: the temporary `x * 2.0` is gone before evaluation (a live handle
            // would be stored).
            let build = || f(&scale());
            let (fused, separate) = medians(
                || {
                    let y = build();
                    y.eval_with(&opts).unwrap();
                },
                || {
                    let x2 = scale().eval_with(&opts).unwrap();
                    f(&x2).eval_with(&opts).unwrap();
                },
                reps,
            );
            let y = build();
            let a = y.eval_with(&opts).unwrap().to_vec::<f32>().unwrap();
            let x2 = scale().eval_with(&opts).unwrap();
            let s = f(&x2).eval_with(&opts).unwrap().to_vec::<f32>().unwrap();
            let same = a.iter().zip(&s).all(|(p, q)| p.to_bits() == q.to_bits());
            println!(
                "{name:>16} {backend:?}: fused {:7.2} ms ({:5.1} GFLOP/s), separate {:7.2} ms ({:5.1} GFLOP/s), bit-identical {same}\n    {}",
                fused * 1e3,
                flops / fused / 1e9,
                separate * 1e3,
                flops / separate / 1e9,
                backend_line(&build(), &opts)
            );
        }
    }
}
