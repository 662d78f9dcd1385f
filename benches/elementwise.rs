//! Fused vs eager vs ndarray vs a hand-written Rust loop on the memory-bound workloads, with the
//! machine's copy bandwidth measured in the same run. `cargo bench --bench elementwise`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use lazynp::EvalOptions;
use std::hint::black_box;

#[path = "common/workloads.rs"]
mod workloads;

fn config() -> Criterion {
    Criterion::default()
        .sample_size(15)
        .warm_up_time(std::time::Duration::from_millis(300))
        .measurement_time(std::time::Duration::from_secs(2))
}

fn copy_bandwidth(c: &mut Criterion) {
    let n = 10_000_000;
    let src = vec![1.0f32; n];
    let mut dst = vec![0.0f32; n];
    let mut g = c.benchmark_group("copy");
    g.throughput(Throughput::Bytes((8 * n) as u64));
    g.bench_function("memcpy 1e7 f32", |b| {
        b.iter(|| dst.copy_from_slice(black_box(&src)))
    });
    g.finish();
}

fn run_modes(c: &mut Criterion, w: &workloads::Workload) {
    let mut g = c.benchmark_group(w.name);
    g.throughput(Throughput::Bytes(w.bytes as u64));
    for (label, opts) in [
        ("fused", EvalOptions::fused()),
        ("fused 1 thread", EvalOptions::fused().threads(1)),
        ("eager", EvalOptions::eager()),
    ] {
        g.bench_with_input(BenchmarkId::new(label, &w.size), &opts, |b, o| {
            b.iter(|| w.build().eval_with(o).expect("eval"))
        });
    }
    g.finish();
}

fn chain(c: &mut Criterion) {
    for n in [1_000usize, 100_000, 10_000_000] {
        let w = workloads::chain(n);
        run_modes(c, &w);
        let v: Vec<Vec<f32>> = w
            .inputs()
            .iter()
            .map(|a| a.to_vec::<f32>().expect("f32"))
            .collect();
        let (a, b2, cc) = (&v[0], &v[1], &v[2]);
        let mut g = c.benchmark_group(w.name);
        g.throughput(Throughput::Bytes(w.bytes as u64));
        let mut out = vec![0.0f32; n];
        g.bench_function(
            BenchmarkId::new("hand loop (reused output)", &w.size),
            |bch| {
                bch.iter(|| {
                    for i in 0..n {
                        out[i] = ((a[i] * b2[i] + cc[i]) * a[i] - b2[i]) / (cc[i] + 1.0);
                    }
                    black_box(&out);
                })
            },
        );
        let (na, nb, nc) = (
            ndarray::Array1::from(a.clone()),
            ndarray::Array1::from(b2.clone()),
            ndarray::Array1::from(cc.clone()),
        );
        g.bench_function(BenchmarkId::new("ndarray", &w.size), |bch| {
            bch.iter(|| black_box(((&na * &nb + &nc) * &na - &nb) / (&nc + 1.0)))
        });
        g.finish();
    }
}

fn others(c: &mut Criterion) {
    run_modes(c, &workloads::transcendental(1_000_000));
    run_modes(c, &workloads::softmax(4096, 1024));
    run_modes(c, &workloads::column_norm(100_000, 64));
    run_modes(c, &workloads::sumsq_rows(4096, 1024));
    run_modes(c, &workloads::one_hot(100_000));
    run_modes(c, &workloads::tiny_chain());
}

criterion_group! {
    name = benches;
    config = config();
    targets = copy_bandwidth, chain, others
}
criterion_main!(benches);
