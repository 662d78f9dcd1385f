//! The interpreter is the oracle for the JIT: every expression here is evaluated fused, eager
//! and interpreted, and the results must agree (bit-exact where the op is exact).

use lazynp as np;
use lazynp::{Array, DType, EvalOptions, s};

/// Evaluates `f()` three times (fresh graphs) and compares.
fn check(name: &str, f: impl Fn() -> Array, tol: f64) {
    let modes = [
        EvalOptions::interpreter(),
        EvalOptions::fused(),
        EvalOptions::eager(),
        EvalOptions::fused().threads(1),
    ];
    let results: Vec<(DType, Vec<f64>, Vec<usize>)> = modes
        .iter()
        .map(|m| {
            let y = f().eval_with(m).unwrap_or_else(|e| panic!("{name}: {e}"));
            let b = y
                .astype(DType::F64)
                .eval_with(&EvalOptions::interpreter())
                .unwrap();
            (y.dtype(), b.to_vec::<f64>().unwrap(), y.shape().to_vec())
        })
        .collect();
    let (dt0, v0, s0) = &results[0];
    for (mi, (dt, v, s)) in results.iter().enumerate().skip(1) {
        assert_eq!(dt, dt0, "{name}: dtype mode {mi}");
        assert_eq!(s, s0, "{name}: shape mode {mi}");
        for (i, (a, b)) in v.iter().zip(v0).enumerate() {
            let same =
                a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() <= tol * b.abs().max(1.0);
            assert!(
                same,
                "{name}: mode {mi} element {i}: {a} vs interpreter {b}"
            );
        }
    }
}

fn seq(n: usize, dt: DType) -> Array {
    let v: Vec<f64> = (0..n)
        .map(|i| ((i * 7919) % 97) as f64 / 7.0 - 6.0)
        .collect();
    Array::from_shape_vec([n], v)
        .unwrap()
        .astype(dt)
        .eval()
        .unwrap()
}

#[test]
fn elementwise_float_chains() {
    for &n in &[0usize, 1, 3, 4, 5, 17, 1023, 100_000] {
        for dt in [DType::F32, DType::F64] {
            let a = seq(n, dt);
            let b = (&seq(n, dt) * 0.5 + 1.0).eval().unwrap();
            let c = seq(n, dt).abs();
            check(
                &format!("chain {n} {dt}"),
                || ((&a * &b + &c) * &a - &b) / (&c + 1.0),
                0.0,
            );
            check(
                &format!("transc {n} {dt}"),
                || a.tanh() * (-(&a * &a)).exp() + a.abs().log1p(),
                // The JIT's polynomials are within 4 ulp of correctly rounded (math_tests.rs);
                // the interpreter uses libm. Relative 2e-6 covers a few ulp of f32 per term.
                2e-6,
            );
            check(
                &format!("cmp/where {n} {dt}"),
                || np::where_(&a.gt(&b), &a, &c - 1.0),
                0.0,
            );
            check(
                &format!("minmax {n} {dt}"),
                || np::maximum(&a, &b).clip(-1.0, 2.0) + a.sign(),
                0.0,
            );
            check(
                &format!("round {n} {dt}"),
                || a.floor() + b.ceil() * 2.0 - c.round() + a.sqrt(),
                0.0,
            );
            check(
                &format!("nan {n} {dt}"),
                || (a.log() * 0.0).isnan().astype(dt) + a.isfinite().astype(dt),
                0.0,
            );
            check(
                &format!("floordiv {n} {dt}"),
                || a.floor_div(&b) + &a % &b,
                0.0,
            );
            check(&format!("pow {n} {dt}"), || c.pow(&b) + a.powf(2.0), 2e-6);
        }
    }
}

#[test]
fn integer_ops_and_guards() {
    for &n in &[1usize, 5, 17, 1000] {
        for dt in [
            DType::I8,
            DType::I32,
            DType::I64,
            DType::U8,
            DType::U32,
            DType::U64,
            DType::I16,
        ] {
            let a = seq(n, DType::F64).astype(dt).eval().unwrap();
            let b = (seq(n, DType::F64) * 2.0).astype(dt).eval().unwrap(); // has zeros
            check(&format!("intarith {n} {dt}"), || (&a + &b) * &a - &b, 0.0);
            check(
                &format!("intdiv {n} {dt}"),
                || a.floor_div(&b) + &a % &b,
                0.0,
            );
            check(
                &format!("intbits {n} {dt}"),
                || (&a & &b) | (&a ^ 3i64),
                0.0,
            );
            check(
                &format!("intcmp {n} {dt}"),
                || np::where_(&a.ge(&b), &a, &b) + np::minimum(&a, &b),
                0.0,
            );
            check(&format!("intpow {n} {dt}"), || a.pow(b.abs()), 0.0);
            check(
                &format!("intcast {n} {dt}"),
                || a.astype(DType::F32) * 1.5 + b.astype(DType::I8).astype(DType::F32),
                0.0,
            );
        }
    }
    // INT_MIN // -1 wraps; x // 0 and x % 0 are 0: no trap.
    let m = np::array([i64::MIN, 7, -7, 5]);
    let d = np::array([-1i64, 0, 2, -3]);
    check("int edge", || m.floor_div(&d) + &m % &d, 0.0);
    let m32 = np::array([i32::MIN, 7, -7, 5]);
    let d32 = np::array([-1i32, 0, 2, -3]);
    check("int32 edge", || m32.floor_div(&d32) * 3 + &m32 % &d32, 0.0);
}

#[test]
fn casts_from_float_edge_values() {
    let v = np::array([
        f64::NAN,
        f64::INFINITY,
        -f64::INFINITY,
        1e20,
        -1e20,
        3e9,
        -2.5,
        2.5,
        300.7,
        -0.0,
        1.8e19,
    ]);
    for dt in DType::ALL {
        check(&format!("cast f64->{dt}"), || v.astype(dt), 0.0);
        check(
            &format!("cast f32->{dt}"),
            || v.astype(DType::F32).astype(dt),
            0.0,
        );
    }
    let b = np::array([true, false, true]);
    for dt in DType::ALL {
        check(&format!("cast bool->{dt}"), || b.astype(dt), 0.0);
    }
}

#[test]
fn views_fuse_as_index_maps() {
    let x = np::arange(0.0f32, 60.0, 1.0)
        .reshape([3, 4, 5])
        .eval()
        .unwrap();
    let y = (&x * 2.0).eval().unwrap();
    check("transpose", || &x.transpose([2, 0, 1]) + 1.0, 0.0);
    check("computed transpose", || (&x * 2.0 + 1.0).t() * 3.0, 0.0);
    check(
        "slices",
        || x.slice(s![..;-1, 1..3, ..;2]) * &y.slice(s![.., 1..3, ..;2]),
        0.0,
    );
    check(
        "broadcast",
        || &x + &x.slice(s![0, .., 0]).reshape([4, 1]),
        0.0,
    );
    check(
        "merge reshape of expr",
        || (&x * 3.0).t().reshape([60]) + 1.0,
        0.0,
    );
    check(
        "split reshape of expr",
        || (&x.flatten() + 1.0).reshape([5, 12]) * 2.0,
        0.0,
    );
    check(
        "expand squeeze",
        || (&x + 1.0).expand_dims(1).squeeze(..) - &y,
        0.0,
    );
    check("0-d", || np::scalar(2.0f64) * 3.0 + 1.0, 0.0);
    check("const only", || np::ones([3, 2], DType::I32) * 4, 0.0);
}

#[test]
fn reductions_every_axis() {
    let x = (np::arange(0.0f64, 120.0, 1.0).reshape([4, 5, 6]) * 0.37 - 9.0)
        .sin()
        .eval()
        .unwrap();
    let xi = np::arange(-60i64, 60, 1).reshape([4, 5, 6]).eval().unwrap();
    for axes in [
        vec![0isize],
        vec![1],
        vec![2],
        vec![0, 2],
        vec![0, 1, 2],
        vec![-1, -2],
    ] {
        for dt in [DType::F32, DType::F64] {
            let xd = x.astype(dt).eval().unwrap();
            let a = axes.clone();
            check(&format!("sum {axes:?} {dt}"), || xd.sum(a.clone()), 1e-6);
            check(
                &format!("max {axes:?} {dt}"),
                || xd.max(a.clone()) * 2.0,
                0.0,
            );
            check(&format!("min {axes:?} {dt}"), || xd.min(a.clone()), 0.0);
            check(
                &format!("prod {axes:?} {dt}"),
                || (&xd * 0.5 + 1.0).prod(a.clone()),
                1e-5,
            );
            check(
                &format!("mean {axes:?} {dt}"),
                || (&xd * &xd).mean(a.clone()),
                1e-6,
            );
            check(&format!("std {axes:?} {dt}"), || xd.std(a.clone()), 1e-5);
        }
        let a = axes.clone();
        check(&format!("int sum {axes:?}"), || xi.sum(a.clone()), 0.0);
        check(&format!("int max {axes:?}"), || xi.max(a.clone()), 0.0);
        check(
            &format!("any/all {axes:?}"),
            || {
                xi.gt(0).any(a.clone()).astype(DType::I32)
                    + xi.ne_zero().all(a.clone()).astype(DType::I32)
            },
            0.0,
        );
    }
    for ax in [0isize, 1, 2, -1] {
        check(&format!("argmax {ax}"), || x.argmax(ax), 0.0);
        check(&format!("argmin {ax}"), || xi.argmin(ax), 0.0);
    }
    check("argmax all", || x.argmax(..), 0.0);
    let nan = np::array([
        [1.0, f64::NAN, 3.0],
        [f64::NAN, 5.0, f64::NAN],
        [2.0, 2.0, 1.0],
    ]);
    check("nan max", || nan.max(1), 0.0);
    check("nan argmax", || nan.argmax(1), 0.0);
    check("nan argmin", || nan.argmin(0), 0.0);
    let empty = np::zeros([0, 3], DType::F32);
    check("empty sum", || empty.sum(0), 0.0);
    check("empty prod", || empty.prod(0), 0.0);
}

#[test]
fn large_reductions_are_accurate() {
    let n = 1_000_003;
    let x = seq(n, DType::F32);
    let exact: f64 = x.to_vec::<f32>().unwrap().iter().map(|&v| v as f64).sum();
    let fused: f64 = x.sum(..).item().unwrap();
    assert!(
        (fused - exact).abs() <= 1e-6 * exact.abs().max(1.0) * 10.0,
        "{fused} vs {exact}"
    );
    let m = seq(100_000 * 8, DType::F32).reshape([100_000, 8]);
    check("column mean", || m.mean(0), 1e-5);
    check("row sumsq", || (&m * &m).sum(1), 1e-6);
}

#[test]
fn softmax_and_normalisation() {
    let x = (np::arange(0.0f32, 4096.0, 1.0).reshape([64, 64]) * 0.01)
        .sin()
        .eval()
        .unwrap();
    check(
        "softmax",
        || {
            let e = (&x - &x.max_keepdims(-1)).exp();
            &e / &e.sum_keepdims(-1)
        },
        1e-6,
    );
    check(
        "column norm",
        || (&x - &x.mean(0)) / (x.std(0) + 1e-8),
        1e-5,
    );
}

#[test]
fn gather_concat_matmul() {
    let e = np::eye(4, DType::F32);
    let labels = np::array([0i64, 2, 1, 3, -1]);
    check("one-hot", || e.take(&labels, 0) * 2.0, 0.0);
    let a = np::arange(0.0f64, 12.0, 1.0).reshape([3, 4]);
    let b = np::arange(0.0f64, 8.0, 1.0).reshape([4, 2]);
    check("matmul", || (&a * 2.0).matmul(&b) + 1.0, 1e-12);
    check("matmul T", || a.t().matmul(&a), 1e-12);
    check(
        "concat",
        || np::concatenate(&[&(&a + 1.0), &a.slice(s![..1])], 0) * 2.0,
        0.0,
    );
    let bad = np::eye(4, DType::F32).take(&np::array([4i64]), 0);
    assert!(bad.eval().is_err());
}

trait NeZero {
    fn ne_zero(&self) -> Array;
}
impl NeZero for Array {
    fn ne_zero(&self) -> Array {
        self.not_equal(0)
    }
}

#[test]
fn comparison_masks_cast_to_float_in_vector_loops() {
    // The ReLU backward pattern `dh * (z > 0)`: a comparison cast to float inside a float
    // kernel is a SIMD lane mask ANDed with 1.0, exactly 1.0 or +0.0, NaN comparing false.
    for &n in &[0usize, 1, 3, 4, 5, 17, 1023] {
        for dt in [DType::F32, DType::F64] {
            let a = seq(n, dt);
            let b = (&seq(n, dt) * 0.5 + 1.0).eval().unwrap();
            let nan = (&a / &a).eval().unwrap(); // 0/0 = NaN where a == 0
            check(
                &format!("mask cast {n} {dt}"),
                || &b * &a.gt(0.0).astype(dt) + nan.le(&a).astype(dt) * 2.0,
                0.0,
            );
            let y = &b * &a.gt(0.0).astype(dt); // temporaries gone: one kernel, no bool output
            let kernel = y.explain();
            if n >= 4 {
                let lanes = if dt == DType::F32 { 4 } else { 2 };
                assert!(
                    kernel.contains(&format!("({lanes} lanes)")),
                    "vectorised: {kernel}"
                );
            }
        }
    }
}
