//! Plan + evaluation time against graph size for the four graph shapes the compile-once issue
//! names: an eager chain, a fused chain, a balanced add tree and a chain of reductions
//! (`x - x.mean_keepdims(1)` repeated). Each size is built fresh (a new structure: a plan miss).
//!
//! `cargo run --release --example plan_scaling [-- max_nodes [graph name prefix]]`

use lazynp as np;
use lazynp::{DType, EvalOptions};
use std::time::Instant;

fn chain(n: usize) -> np::Array {
    let x = np::ones([64], DType::F32);
    let mut y = x.clone();
    for i in 0..n {
        y = if i % 2 == 0 { &y * 1.5 } else { &y - 0.25 };
    }
    y
}

fn tree(leaves: usize) -> np::Array {
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

fn reductions(n: usize) -> np::Array {
    let mut y = np::ones([8, 16], DType::F32);
    for _ in 0..n {
        y = &y - &y.mean_keepdims(1);
    }
    y
}

/// (nodes, plan ms, plan + eval + drop ms) of one fresh build.
fn time(build: impl Fn() -> np::Array, opts: &EvalOptions) -> (usize, f64, f64) {
    let y = build();
    let nodes = y.dump_graph().lines().count();
    let before = np::jit_stats().plan_time;
    let t = Instant::now();
    y.eval_with(opts).unwrap();
    drop(y);
    let total = t.elapsed().as_secs_f64() * 1e3;
    let plan = (np::jit_stats().plan_time - before).as_secs_f64() * 1e3;
    (nodes, plan, total)
}

fn main() {
    let max: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(8000);
    println!("| graph | n | nodes | plan ms | plan+eval+drop ms | x previous |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    let eager = EvalOptions::eager().threads(1);
    let fused = EvalOptions::fused().threads(1);
    type Case<'a> = (&'a str, &'a dyn Fn(usize) -> np::Array, &'a EvalOptions);
    let cases: [Case; 4] = [
        ("eager chain", &chain, &eager),
        ("fused chain", &chain, &fused),
        ("add tree (leaves)", &tree, &fused),
        ("mean-subtract chain", &reductions, &fused),
    ];
    let only = std::env::args().nth(2);
    for (name, build, opts) in cases {
        if only.as_ref().is_some_and(|o| !name.starts_with(o.as_str())) {
            continue;
        }
        let mut prev = None;
        let mut n = 1000;
        while n <= max {
            let (nodes, plan, ms) = time(|| build(n), opts);
            let ratio = prev.map_or(String::from("-"), |p: f64| format!("{:.2}", ms / p));
            println!("| {name} | {n} | {nodes} | {plan:.1} | {ms:.1} | {ratio} |");
            prev = Some(ms);
            n *= 2;
        }
    }
}
