//! Compile once, run many: a loop whose indices and scalars change every step reuses one plan
//! and one set of kernels (issue: plans keyed by structure, offsets and scalars as arguments).
//! One test in this binary, so the process-wide counters are this loop's alone.

use lazynp as np;
use lazynp::{DType, EvalOptions};

/// One step of a loop reading data-dependent positions: a one-hot row of `eye`, an embedding
/// row, a one-row batch slice, and a learning rate that changes every step.
fn step(
    eye: &np::Array,
    table: &np::Array,
    xs: &np::Array,
    w: &np::Array,
    k: usize,
    lr: f64,
) -> np::Array {
    let onehot = eye.i((k % 64) as isize); // (64,)
    let emb = table.i(((k * 7) % 64) as isize); // (16,)
    let row = xs.slice(np::s![k..k + 1, ..]); // (1, 16)
    let h = (&row * &emb + &onehot.slice(np::s![..16])).tanh();
    let g = (&h * w).sum(1) * lr + 0.25 * onehot.sum(..);
    &g + &(&h * 1e-3).sum(..)
}

#[test]
fn data_dependent_loop_builds_at_most_two_plans() {
    let eye = np::eye(64, DType::F32);
    let mut rng = np::random::default_rng(3);
    let table = rng
        .standard_normal_dtype([64, 16], DType::F32)
        .eval()
        .unwrap();
    let xs = rng
        .standard_normal_dtype([1000, 16], DType::F32)
        .eval()
        .unwrap();
    let w = rng
        .standard_normal_dtype([1, 16], DType::F32)
        .eval()
        .unwrap();
    let mut positions = Vec::new();
    let mut state = 12345u64;
    for _ in 0..1000 {
        // A data-dependent position: a small LCG, like the next character of a corpus.
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        positions.push((state >> 33) as usize % 999);
    }
    // Warm up: the first step builds and compiles.
    let first = step(&eye, &table, &xs, &w, positions[0], 0.1);
    first.eval().unwrap();
    let before = np::jit_stats();
    for (t, &k) in positions.iter().enumerate().skip(1) {
        let lr = 0.1 * 0.999f64.powi(t as i32); // a schedule: a new scalar every step
        let y = step(&eye, &table, &xs, &w, k, lr);
        let got = y.eval().unwrap().to_vec::<f32>().unwrap();
        if t % 97 == 0 || t < 5 {
            let want = step(&eye, &table, &xs, &w, k, lr)
                .eval_with(&EvalOptions::interpreter())
                .unwrap()
                .to_vec::<f32>()
                .unwrap();
            for (a, b) in got.iter().zip(&want) {
                assert!(
                    (a - b).abs() <= 1e-5 * b.abs().max(1.0),
                    "step {t}: {a} vs {b}"
                );
            }
        }
    }
    let after = np::jit_stats();
    let built = after.plans_built - before.plans_built;
    let compiled = after.kernels_compiled - before.kernels_compiled;
    assert!(built <= 2, "plans built after the first step: {built}");
    assert_eq!(compiled, 0, "kernels compiled after the first step");
    assert!(after.plan_hits - before.plan_hits >= 990);
}
