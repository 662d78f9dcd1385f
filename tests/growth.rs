//! Planning stays linear in graph size. The structural test runs in CI: lowering rounds stay
//! a handful however many nodes must be stored (each round lowers every kernel once). The
//! timed growth checks are `#[ignore]`d (run them with
//! `cargo test --release --test growth -- --ignored --nocapture`); the numbers live in
//! `examples/plan_scaling.rs` and `benches/planning.rs`.

use lazynp as np;
use lazynp::{DType, EvalOptions};
use std::time::Instant;

fn mean_chain(n: usize) -> np::Array {
    let mut y = np::ones([8, 16], DType::F32);
    for _ in 0..n {
        y = &y - &y.mean_keepdims(1);
    }
    y
}

fn eager_chain(n: usize) -> np::Array {
    let mut y = np::ones([64], DType::F32);
    for i in 0..n {
        y = if i % 2 == 0 { &y * 1.5 } else { &y - 0.25 };
    }
    y
}

fn add_tree(leaves: usize) -> np::Array {
    let mut level: Vec<np::Array> = (0..leaves)
        .map(|i| np::full([16], i as f32).eval().unwrap())
        .collect();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|c| {
                if c.len() == 2 {
                    &c[0] + &c[1]
                } else {
                    c[0].clone()
                }
            })
            .collect();
    }
    level.pop().unwrap()
}

#[test]
fn lowering_rounds_do_not_grow_with_the_graph() {
    for n in [50, 400] {
        let y = mean_chain(n);
        let before = np::jit_stats().plan_rounds;
        let got = y.eval().unwrap().to_vec::<f32>().unwrap();
        let rounds = np::jit_stats().plan_rounds - before;
        assert!(
            rounds <= 4,
            "{n} chained mean-subtract steps: {rounds} rounds"
        );
        assert!(got.iter().all(|v| v.abs() < 1e-6));
    }
    let y = add_tree(3000);
    let want = (0..3000).map(|i| i as f64).sum::<f64>() as f32;
    let got = y.eval().unwrap().to_vec::<f32>().unwrap();
    assert!(got.iter().all(|&v| v == want), "{} vs {want}", got[0]);
    // Wide expressions are cut into kernels of at most 64 inputs.
    let y = add_tree(3000);
    assert!(y.kernel_count(&EvalOptions::fused()) >= 3000 / 64);
}

fn seconds(y: np::Array, opts: &EvalOptions) -> f64 {
    let t = Instant::now();
    y.eval_with(opts).unwrap();
    drop(y);
    t.elapsed().as_secs_f64()
}

fn doubling(name: &str, build: impl Fn(usize) -> np::Array, n: usize, opts: &EvalOptions) {
    // Best of three: the machine is shared and noisy.
    let best = |n: usize| {
        (0..3)
            .map(|_| seconds(build(n), opts))
            .fold(f64::MAX, f64::min)
    };
    let small = best(n);
    let large = best(2 * n);
    println!("{name}: {n} {small:.3} s, {} {large:.3} s", 2 * n);
    assert!(
        large / small <= 2.6,
        "{name}: doubling took {:.2}x",
        large / small
    );
}

#[test]
#[ignore = "timed: run with --release -- --ignored"]
fn doubling_the_graph_at_most_doubles_the_time() {
    let fused = EvalOptions::fused().threads(1);
    let eager = EvalOptions::eager().threads(1);
    doubling("eager chain", eager_chain, 20_000, &eager);
    doubling("fused chain", eager_chain, 50_000, &fused);
    doubling("add tree", add_tree, 20_000, &fused);
    doubling("mean chain", mean_chain, 4_000, &fused);
}

#[test]
#[ignore = "timed: run with --release -- --ignored"]
fn huge_graphs_finish_in_seconds() {
    let t = seconds(eager_chain(200_000), &EvalOptions::eager().threads(1));
    println!("eager 200,000-op chain: {t:.2} s");
    assert!(t < 20.0);
    let t = seconds(add_tree(100_000), &EvalOptions::fused().threads(1));
    println!("fused 100,000-leaf add tree: {t:.2} s");
    assert!(t < 20.0);
}
