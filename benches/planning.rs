//! Plan time against graph size (1k, 10k, 100k nodes): simplify + fuse + schedule of a fresh
//! structure, through `Array::kernel_count` (which plans without the plan cache and compiles
//! nothing). Graph shapes: a fused elementwise chain, a balanced add tree, a chain of
//! mean-subtract steps (a reduction broadcast back at every step).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use lazynp as np;
use lazynp::{DType, EvalOptions};

fn chain(n: usize) -> np::Array {
    let mut y = np::ones([64], DType::F32);
    for i in 0..n {
        y = if i % 2 == 0 { &y * 1.5 } else { &y - 0.25 };
    }
    y
}

fn tree(leaves: usize) -> np::Array {
    let x = np::ones([16], DType::F32).eval().unwrap();
    let mut level: Vec<np::Array> = (0..leaves).map(|i| &x * (i as f64 + 3.0)).collect();
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

fn mean_chain(steps: usize) -> np::Array {
    let mut y = np::ones([8, 16], DType::F32);
    for _ in 0..steps {
        y = &y - &y.mean_keepdims(1);
    }
    y
}

fn planning(c: &mut Criterion) {
    let mut group = c.benchmark_group("plan");
    group.sample_size(10);
    let fused = EvalOptions::fused();
    for nodes in [1_000usize, 10_000, 100_000] {
        let cases: [(&str, np::Array); 3] = [
            ("fused chain", chain(nodes)),
            ("add tree", tree(nodes / 3)),
            ("mean chain", mean_chain(nodes / 5)),
        ];
        for (name, y) in cases {
            group.bench_with_input(BenchmarkId::new(name, nodes), &y, |b, y| {
                b.iter(|| y.kernel_count(&fused))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, planning);
criterion_main!(benches);
