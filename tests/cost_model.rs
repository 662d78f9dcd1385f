//! The matmul cost model's choices pinned in an `explain()` snapshot, with the measured
//! throughputs replaced by fixed ones (so the plan does not depend on this machine's speed).
//! One test in its own binary: the model is read once per process from the environment.

use lazynp as np;
use lazynp::{DType, EvalOptions, MatmulBackend};

#[test]
fn backend_choices_with_fixed_throughputs() {
    // SAFETY of set_var: this binary has a single test, nothing else reads the environment yet.
    unsafe { std::env::set_var("LAZYNP_MATMUL_MODEL", "jit=30,lib=150,overhead_us=2") };
    let ones = |s: &[usize]| np::ones(s.to_vec(), DType::F32).eval().unwrap();
    let cases: Vec<(&str, np::Array)> = vec![
        (
            "batched 8x8",
            ones(&[1000, 8, 8]).matmul(&ones(&[1000, 8, 8])),
        ),
        ("tiny 4x4", ones(&[4, 4]).matmul(&ones(&[4, 4]))),
        ("square 512", ones(&[512, 512]).matmul(&ones(&[512, 512]))),
        (
            "skinny 1024x8x1024",
            ones(&[1024, 8]).matmul(&ones(&[8, 1024])),
        ),
    ];
    // Fused prologues: the library pays for writing and re-reading the operand, the JIT for
    // recomputing A once per 1024-column panel of B (twice here: n = 2048).
    let scaled = |m: usize, k: usize, n: usize| (ones(&[m, k]) * 2.0).matmul(&ones(&[k, n]));
    let cases: Vec<(&str, np::Array, MatmulBackend)> = cases
        .into_iter()
        .map(|(n, y)| (n, y, MatmulBackend::Auto))
        .chain([
            ("prologue A 512", scaled(512, 512, 512), MatmulBackend::Auto),
            (
                "prologue A 256x64x2048 jit",
                scaled(256, 64, 2048),
                MatmulBackend::Jit,
            ),
        ])
        .collect();
    let mut got = String::new();
    for (name, y, backend) in &cases {
        let e = y.explain_with(&EvalOptions::fused().matmul_backend(*backend), false);
        let line = e
            .lines()
            .find(|l| l.contains("runtime matmul"))
            .expect("a matmul step");
        let backend = line.split(" | ").nth(1).expect("backend column");
        got.push_str(&format!("{name}: {backend}\n"));
    }
    let want = "\
batched 8x8: backend Jit batched-small (model: jit 0.0 us, library 2.0 us per product)
tiny 4x4: backend Jit (model: jit 0.0 us, library 2.0 us per product)
square 512: backend Library (model: jit 8947.8 us, library 1791.6 us per product)
skinny 1024x8x1024: backend Library (model: jit 559.2 us, library 113.8 us per product)
prologue A 512: backend Library after its prologues (model: jit 8991.5 us, library 1887.7 us per product)
prologue A 256x64x2048 jit: backend Jit with prologues in packing (model: jit 2242.4 us, library 455.4 us per product)
";
    assert_eq!(got, want);
}
