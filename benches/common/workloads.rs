//! The workloads shared by `cargo bench` (criterion) and `examples/report.rs`, so the report's
//! numbers are reproduced by the benchmarks. Each workload owns its inputs (evaluated once) and
//! builds a fresh graph per run, as a NumPy user's code would.
#![allow(dead_code)]

use lazynp as np;
use lazynp::{Array, DType};

/// One benchmarkable program.
pub struct Workload {
    /// Short name.
    pub name: &'static str,
    /// Size label (e.g. `1e7`, `4096x1024`).
    pub size: String,
    /// Bytes a perfect implementation must move (inputs read once, output written once).
    pub bytes: usize,
    /// Arithmetic operations (for GFLOP/s); 0 where bandwidth is the measure.
    pub flops: usize,
    inputs: Vec<Array>,
    build: fn(&[Array]) -> Array,
}

impl Workload {
    /// Builds the graph for one run (cheap; nothing is evaluated).
    pub fn build(&self) -> Array {
        (self.build)(&self.inputs)
    }

    /// The evaluated inputs.
    pub fn inputs(&self) -> &[Array] {
        &self.inputs
    }
}

fn randn(shape: &[usize], seed: u64) -> Array {
    np::random::default_rng(seed)
        .standard_normal_dtype(shape.to_vec(), DType::F32)
        .eval()
        .expect("random inputs")
}

fn label(n: usize) -> String {
    let e = (n as f64).log10();
    if (e - e.round()).abs() < 1e-9 {
        format!("1e{}", e.round() as i32)
    } else {
        n.to_string()
    }
}

/// `((a*b + c)*a - b)/(c + 1)` on f32.
pub fn chain(n: usize) -> Workload {
    Workload {
        name: "chain ((a*b+c)*a-b)/(c+1)",
        size: label(n),
        bytes: 16 * n,
        flops: 6 * n,
        inputs: vec![randn(&[n], 1), randn(&[n], 2), randn(&[n], 3).abs()],
        build: |x| ((&x[0] * &x[1] + &x[2]) * &x[0] - &x[1]) / (&x[2] + 1.0),
    }
}

/// `tanh(x)*exp(-x*x) + log1p(abs(x))` on f32.
pub fn transcendental(n: usize) -> Workload {
    Workload {
        name: "tanh(x)*exp(-x*x)+log1p(|x|)",
        size: label(n),
        bytes: 8 * n,
        flops: 0,
        inputs: vec![randn(&[n], 4)],
        build: |x| x[0].tanh() * (-(&x[0] * &x[0])).exp() + x[0].abs().log1p(),
    }
}

/// Row softmax of an (r, c) f32 matrix.
pub fn softmax(r: usize, c: usize) -> Workload {
    Workload {
        name: "row softmax",
        size: format!("{r}x{c}"),
        bytes: 8 * r * c,
        flops: 0,
        inputs: vec![randn(&[r, c], 5)],
        build: |x| {
            let e = (&x[0] - &x[0].max_keepdims(-1)).exp();
            &e / &e.sum_keepdims(-1)
        },
    }
}

/// Column normalisation `(X - X.mean(0)) / (X.std(0) + 1e-8)`.
pub fn column_norm(r: usize, c: usize) -> Workload {
    Workload {
        name: "column norm",
        size: format!("{r}x{c}"),
        bytes: 8 * r * c,
        flops: 0,
        inputs: vec![randn(&[r, c], 6)],
        build: |x| {
            let m = x[0].mean(0);
            let s = x[0].std(0);
            (&x[0] - &m) / (&s + 1e-8)
        },
    }
}

/// `(x*x).sum(1)` on an (r, c) f32 matrix.
pub fn sumsq_rows(r: usize, c: usize) -> Workload {
    Workload {
        name: "(x*x).sum(1)",
        size: format!("{r}x{c}"),
        bytes: 4 * r * c + 4 * r,
        flops: 2 * r * c,
        inputs: vec![randn(&[r, c], 7)],
        build: |x| (&x[0] * &x[0]).sum(1),
    }
}

/// One-hot of `n` labels: `eye(10)[labels]`.
pub fn one_hot(n: usize) -> Workload {
    let labels = np::random::default_rng(8)
        .integers(0, 10, [n])
        .eval()
        .expect("labels");
    Workload {
        name: "one-hot eye(10).take(labels)",
        size: label(n),
        bytes: 8 * n + 40 * n,
        flops: 0,
        inputs: vec![labels],
        build: |x| np::eye(10, DType::F32).take(&x[0], 0),
    }
}

/// A linear layer `relu(X@W + b)`.
pub fn linear(m: usize, k: usize, n: usize) -> Workload {
    Workload {
        name: "linear relu(X@W+b)",
        size: format!("{m}x{k}x{n}"),
        bytes: 4 * (m * k + k * n + m * n),
        flops: 2 * m * k * n,
        inputs: vec![randn(&[m, k], 9), randn(&[k, n], 10), randn(&[n], 11)],
        build: |x| (&x[0].matmul(&x[1]) + &x[2]).relu(),
    }
}

/// A square f32 matmul.
pub fn matmul(n: usize) -> Workload {
    Workload {
        name: "matmul",
        size: format!("{n}^3"),
        bytes: 12 * n * n,
        flops: 2 * n * n * n,
        inputs: vec![randn(&[n, n], 12), randn(&[n, n], 13)],
        build: |x| x[0].matmul(&x[1]),
    }
}

/// A 10-op chain on 16 elements: the per-eval overhead (graph build, cache lookup, call).
pub fn tiny_chain() -> Workload {
    Workload {
        name: "10-op chain, 16 elements",
        size: "16".into(),
        bytes: 128,
        flops: 10 * 16,
        inputs: vec![randn(&[16], 14), randn(&[16], 15)],
        build: |x| {
            let (a, b) = (&x[0], &x[1]);
            ((((a * b + 1.0) * a - b) / 2.0 + a) * b - 3.0) * a + b
        },
    }
}
