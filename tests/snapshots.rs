//! Golden snapshots of the fusion plan and Kernel IR of representative programs. Dumps are
//! deterministic (local ids, no addresses), so any change to fusion shows up here. Re-bless
//! with `LAZYNP_BLESS=1 cargo test --test snapshots` after checking the diff is intended.

use lazynp as np;
use lazynp::{Array, DType, EvalOptions};

/// The explain text up to the first Cranelift IR section (CLIF depends on the host's ISA
/// features, the plan and Kernel IR do not).
fn plan_and_kernel_ir(x: &Array) -> String {
    let text = x.explain_with(&EvalOptions::fused(), false);
    let mut out = String::new();
    let mut skip = false;
    for line in text.lines() {
        if line.starts_with("== ") {
            skip = line.contains("Cranelift IR") || line.contains("machine code");
        }
        // The matmul line carries measured throughputs: keep only the backend-free prefix.
        let line = line.split(" | backend").next().unwrap_or(line);
        if !skip {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn check(name: &str, x: &Array) {
    let got = plan_and_kernel_ir(x);
    let path = format!("{}/tests/snapshots/{name}.txt", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("LAZYNP_BLESS").is_some() {
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing {path}: run with LAZYNP_BLESS=1"));
    assert_eq!(
        got, want,
        "snapshot {name} changed; re-bless with LAZYNP_BLESS=1 if intended"
    );
}

fn x(shape: &[usize]) -> Array {
    np::ones(shape.to_vec(), DType::F32).eval().unwrap()
}

#[test]
fn elementwise_chain() {
    let (a, b, c) = (x(&[1000]), x(&[1000]), x(&[1000]));
    let y = ((&a * &b + &c) * &a - &b) / (&c + 1.0);
    check("chain", &y);
}

#[test]
fn sum_of_squares_rows() {
    let m = x(&[64, 32]);
    let y = (&m * &m).sum(1);
    check("sumsq_rows", &y);
}

#[test]
fn softmax_rows() {
    let m = x(&[64, 32]);
    let y = {
        let e = (&m - &m.max_keepdims(-1)).exp();
        &e / &e.sum_keepdims(-1)
    };
    check("softmax", &y);
}

#[test]
fn column_normalisation() {
    let m = x(&[1000, 16]);
    let y = {
        let mean = m.mean(0);
        let std = m.std(0);
        (&m - &mean) / (&std + 1e-8)
    };
    check("column_norm", &y);
}

#[test]
fn linear_layer() {
    let (xx, w, b) = (x(&[64, 32]), x(&[32, 16]), x(&[16]));
    let y = (&xx.matmul(&w) + &b).relu();
    check("linear", &y);
}
