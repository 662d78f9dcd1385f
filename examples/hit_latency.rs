//! Per-evaluation cost of a cached plan: a 10-op chain on 16 elements (graph build included,
//! like NumPy's ten ufunc calls) and a 1x100 @ 100x100 product, at one thread.
//!
//! `cargo run --release --example hit_latency` (`-- profile-chain` / `profile-mm` / `profile-mv`: one case
//! many times, for `valgrind --tool=callgrind`)

use lazynp as np;
use lazynp::{DType, EvalOptions};
use std::time::Instant;

fn median_us(mut f: impl FnMut(), reps: usize) -> f64 {
    let mut t: Vec<f64> = (0..15)
        .map(|_| {
            let s = Instant::now();
            for _ in 0..reps {
                f();
            }
            s.elapsed().as_secs_f64() * 1e6 / reps as f64
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn main() {
    let opts = EvalOptions::fused().threads(1);
    let mut rng = np::random::default_rng(1);
    let mode = std::env::args().nth(1).unwrap_or_default();
    if mode == "profile-mm" || mode == "profile-mv" {
        // For `valgrind --tool=callgrind`: one product, many times.
        let x = rng
            .standard_normal_dtype([1, 100], DType::F32)
            .eval()
            .unwrap();
        let w = rng
            .standard_normal_dtype([100, 100], DType::F32)
            .eval()
            .unwrap();
        let h = rng
            .standard_normal_dtype([100, 1], DType::F32)
            .eval()
            .unwrap();
        for _ in 0..5_000 {
            let y = if mode == "profile-mm" {
                x.matmul(&w)
            } else {
                w.matmul(&h).tanh()
            };
            y.eval_with(&opts).unwrap();
        }
        return;
    }
    let a = rng.standard_normal_dtype([16], DType::F32).eval().unwrap();
    let b = rng.standard_normal_dtype([16], DType::F32).eval().unwrap();
    let chain = || {
        let y = ((((&a * &b + 1.0) * &a - &b) / 2.0 + &a) * &b - 3.0) * &a + &b;
        y.eval_with(&opts).unwrap();
    };
    chain();
    if mode == "profile-chain" {
        // For `valgrind --tool=callgrind`: the chain alone, many times.
        for _ in 0..5_000 {
            chain();
        }
        return;
    }
    let us = median_us(chain, 20_000);
    println!("10-op chain, 16 f32, build + eval: {us:.2} us");
    let build = || {
        let y = ((((&a * &b + 1.0) * &a - &b) / 2.0 + &a) * &b - 3.0) * &a + &b;
        std::hint::black_box(y);
    };
    println!(
        "  of which building the 10 nodes: {:.2} us",
        median_us(build, 20_000)
    );

    let x = rng
        .standard_normal_dtype([1, 100], DType::F32)
        .eval()
        .unwrap();
    let w = rng
        .standard_normal_dtype([100, 100], DType::F32)
        .eval()
        .unwrap();
    let mm = || {
        x.matmul(&w).eval_with(&opts).unwrap();
    };
    mm();
    println!(
        "1x100 @ 100x100 f32, build + eval: {:.2} us",
        median_us(mm, 5_000)
    );
    let h = rng
        .standard_normal_dtype([100, 1], DType::F32)
        .eval()
        .unwrap();
    let mv = || {
        w.matmul(&h).tanh().eval_with(&opts).unwrap();
    };
    mv();
    println!(
        "tanh(100x100 @ 100x1) f32, build + eval: {:.2} us",
        median_us(mv, 5_000)
    );
}
