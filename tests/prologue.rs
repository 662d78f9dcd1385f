//! Matmul prologues: an elementwise producer of a matmul operand (`(x * 2.0) @ w`, a cast, a
//! broadcast add) is computed block by block inside the JIT GEMM's packing instead of as a
//! kernel writing the whole operand. Every backend (the library runs the prologue as its own
//! step) agrees with the interpreter, 1 and 2 threads are bit-identical, and the JIT's fused
//! result is bit-identical to the JIT on the stored operand.

use lazynp as np;
use lazynp::{Array, DType, EvalOptions, MatmulBackend};

#[path = "common/matmul_check.rs"]
mod matmul_check;
use matmul_check::{check, f64s, rand};

/// The JIT with the prologue fused gives the bits of the JIT on the stored operand: packing a
/// computed block is the same as packing the stored one.
fn same_as_stored(name: &str, fused: impl Fn() -> Array, stored: impl Fn() -> Array) {
    for t in [1, 2] {
        let opts = EvalOptions::fused()
            .matmul_backend(MatmulBackend::Jit)
            .threads(t);
        let (a, b) = (
            fused().eval_with(&opts).unwrap(),
            stored().eval_with(&opts).unwrap(),
        );
        let same = f64s(&a)
            .iter()
            .zip(&f64s(&b))
            .all(|(x, y)| x.to_bits() == y.to_bits());
        assert!(
            same,
            "{name}, {t} threads: fused prologue differs from stored operand"
        );
    }
}

const SHAPES: [(usize, usize, usize); 8] = [
    (1, 1, 1),
    (1, 7, 13),
    (7, 13, 1),
    (13, 97, 7),
    (97, 129, 257),
    (129, 257, 97),
    (257, 13, 129),
    // Larger than the blocking (MC = 96, KC = 128, NC = 1024 f32 columns): several A blocks,
    // K panels and B panels, each computed by the prologue.
    (300, 300, 1100),
];

#[test]
fn scaled_operand_a() {
    for dt in [DType::F32, DType::F64] {
        for &(m, k, n) in &SHAPES {
            if dt == DType::F64 && m * k * n > 5_000_000 {
                continue;
            }
            let x = rand(&[m, k], dt, 1);
            let w = rand(&[k, n], dt, 2);
            let name = format!("(x*2)@w {m}x{k}x{n} {dt}");
            check(
                &name,
                || (&x * 2.0).matmul(&w),
                || (x.abs() * 2.0).matmul(&w.abs()),
                k,
                dt,
            );
            let x2 = (&x * 2.0).eval().unwrap();
            same_as_stored(&name, || (&x * 2.0).matmul(&w), || x2.matmul(&w));
        }
    }
}

#[test]
fn cast_operand_a() {
    for &(m, k, n) in &SHAPES[..7] {
        let x = rand(&[m, k], DType::F64, 3);
        let w = rand(&[k, n], DType::F32, 4);
        check(
            &format!("x.astype(f32)@w {m}x{k}x{n}"),
            || x.astype(DType::F32).matmul(&w),
            || x.abs().astype(DType::F32).matmul(&w.abs()),
            k,
            DType::F32,
        );
        let xi = rand(&[k, m], DType::F32, 5);
        let wd = rand(&[n, k], DType::F64, 6);
        // An f32 -> f64 cast of operand B.
        check(
            &format!("w.T@x.astype(f64) {n}x{k}x{m}"),
            || wd.matmul(&xi.astype(DType::F64)),
            || wd.abs().matmul(&xi.abs().astype(DType::F64)),
            k,
            DType::F64,
        );
    }
}

#[test]
fn broadcast_add_operand_b() {
    for &(m, k, n) in &SHAPES {
        let x = rand(&[m, k], DType::F32, 7);
        let w = rand(&[k, n], DType::F32, 8);
        let row = rand(&[n], DType::F32, 9);
        let col = rand(&[k, 1], DType::F32, 10);
        let name = format!("x@(w+row+col) {m}x{k}x{n}");
        check(
            &name,
            || x.matmul(&(&(&w + &row) + &col)),
            || x.abs().matmul(&(&(w.abs() + row.abs()) + col.abs())),
            k,
            DType::F32,
        );
        let wb = (&(&w + &row) + &col).eval().unwrap();
        same_as_stored(&name, || x.matmul(&(&(&w + &row) + &col)), || x.matmul(&wb));
    }
}

#[test]
fn both_operands_and_an_epilogue() {
    for &(m, k, n) in &SHAPES {
        let x = rand(&[m, k], DType::F32, 11);
        let w = rand(&[k, n], DType::F32, 12);
        let b = rand(&[n], DType::F32, 13);
        check(
            &format!("(x*2)@(w-1) {m}x{k}x{n}"),
            || (&x * 2.0).matmul(&(&w - 1.0)),
            || (x.abs() * 2.0).matmul(&(w.abs() + 1.0)),
            k,
            DType::F32,
        );
        // Prologue, product and epilogue in one matmul step.
        check(
            &format!("relu((x*2)@w+b) {m}x{k}x{n}"),
            || (&(&x * 2.0).matmul(&w) + &b).relu(),
            || &(x.abs() * 2.0).matmul(&w.abs()) + &b.abs(),
            k,
            DType::F32,
        );
        check(
            &format!("tanh(x)@exp(w/4)*3 {m}x{k}x{n}"),
            || x.tanh().matmul(&(&w / 4.0).exp()) * 3.0,
            || x.tanh().abs().matmul(&(&w / 4.0).exp()) * 3.0,
            k,
            DType::F32,
        );
    }
}

fn plan_lines(y: &Array, b: MatmulBackend) -> String {
    y.explain_with(&EvalOptions::fused().matmul_backend(b), false)
        .lines()
        .filter(|l| l.starts_with("  ["))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_jit_computes_the_operand_inside_packing() {
    let x = rand(&[200, 300], DType::F32, 14);
    let w = rand(&[300, 400], DType::F32, 15);
    let b = rand(&[400], DType::F32, 16);
    let y = (&x * 2.0).matmul(&w);
    let jit = plan_lines(&y, MatmulBackend::Jit);
    assert!(
        jit.contains("prologue of matmul") && jit.contains("(operand A), computed inside packing"),
        "{jit}"
    );
    assert!(
        jit.contains("backend Jit with prologues in packing"),
        "{jit}"
    );
    let lib = plan_lines(&y, MatmulBackend::Library);
    assert!(lib.contains("runs as its own step"), "{lib}");
    assert!(lib.contains("backend Library after its prologues"), "{lib}");
    // The prologue kernel is lowered over the operand's (rows, columns), not collapsed.
    assert!(jit.contains("loops [200, 300] Elementwise"), "{jit}");
    // Evaluating with the JIT runs it inside packing (the counter is process-wide: other
    // tests may add to it, never subtract).
    let before = np::jit_stats().prologues_in_packing;
    let jit_opts = EvalOptions::fused().matmul_backend(MatmulBackend::Jit);
    y.eval_with(&jit_opts).unwrap();
    assert!(np::jit_stats().prologues_in_packing > before);
    // Prologues on both operands plus an epilogue: the whole layer is one matmul step.
    let layer = (&(&x * 2.0).matmul(&w.astype(DType::F32)) + &b).relu();
    let layer = layer.matmul(&(&w.t() * 0.5));
    let text = plan_lines(&layer, MatmulBackend::Jit);
    assert!(text.contains("epilogue of"), "{text}");
    assert_eq!(
        text.matches("computed inside packing").count(),
        2,
        "x*2 for the first product, w.T*0.5 for the second: {text}"
    );
    let before = np::jit_stats().prologues_in_packing;
    layer.eval_with(&jit_opts).unwrap();
    assert!(np::jit_stats().prologues_in_packing >= before + 2);
}

#[test]
fn prologues_that_must_not_fuse() {
    let x = rand(&[20, 30], DType::F32, 17);
    let w = rand(&[30, 30], DType::F32, 18);
    let jit = |y: &Array| plan_lines(y, MatmulBackend::Jit);
    // Built in blocks: the temporaries are gone before evaluation (a live handle is stored).
    // The operand is also read by another kernel: it is stored once.
    let shared = || {
        let x2 = &x * 2.0;
        &x2.matmul(&w) + &x2.sum_keepdims(1)
    };
    assert!(!jit(&shared()).contains("prologue"), "{}", jit(&shared()));
    // Both operands are the same computed node.
    let square = || {
        let s = &w * 2.0;
        s.matmul(&s)
    };
    assert!(!jit(&square()).contains("prologue"), "{}", jit(&square()));
    // A reduction is not elementwise.
    let y = x.sum_keepdims(1).matmul(&x.sum_keepdims(0));
    assert!(!jit(&y).contains("prologue"), "{}", jit(&y));
    // A batched product reads stored operands.
    let xb = rand(&[3, 20, 30], DType::F32, 19);
    let y = (&xb * 2.0).matmul(&w);
    assert!(!jit(&y).contains("prologue"), "{}", jit(&y));
    // A held handle is stored.
    let held = &x * 2.0;
    assert!(!jit(&held.matmul(&w)).contains("prologue"));
    // An integer product has no packed GEMM.
    let xi = np::arange(0i64, 600, 1).reshape([20, 30]);
    let y = (&xi * 2i64).matmul(&xi.t());
    assert!(!jit(&y).contains("prologue"), "{}", jit(&y));
    check(
        "shared operand",
        shared,
        || {
            let x2 = x.abs() * 2.0;
            &x2.matmul(&w.abs()) + &x2.sum_keepdims(1)
        },
        30,
        DType::F32,
    );
    check(
        "same operand twice",
        square,
        || {
            let s = w.abs() * 2.0;
            s.matmul(&s)
        },
        30,
        DType::F32,
    );
}

#[test]
fn transposed_computed_operands() {
    // A transposed view of a computed node is its own kernel (the view written in C order), so
    // that kernel is the operand's prologue: it reads x with transposed strides per block.
    for &(m, k, n) in &[(7, 13, 5), (129, 97, 257), (300, 300, 1100)] {
        let x = rand(&[k, m], DType::F32, 20);
        let w = rand(&[n, k], DType::F32, 21);
        let y = || (&x * 2.0).t().matmul(&(&w + 1.0).t());
        let text = plan_lines(&y(), MatmulBackend::Jit);
        assert_eq!(text.matches("computed inside packing").count(), 2, "{text}");
        check(
            &format!("(x*2).T@(w+1).T {m}x{k}x{n}"),
            y,
            || (x.abs() * 2.0).t().matmul(&(w.abs() + 1.0).t()),
            k,
            DType::F32,
        );
    }
}
