//! Forced hash collisions: with every cache-key hash equal, plans and kernels must still be
//! told apart by comparing whole keys. Programs that differ only in ways a weak key would miss
//! (a literal, a dtype, a shape, which leaf is read, a held intermediate) run interleaved and
//! each must match the interpreter.

use lazynp as np;
use lazynp::{DType, EvalOptions};

fn check(y: &np::Array) {
    let got = y.eval().unwrap();
    let want = y.eval_with(&EvalOptions::interpreter()).unwrap();
    assert_eq!(got.shape(), want.shape());
    let (a, b) = (
        got.astype(DType::F64).to_vec::<f64>().unwrap(),
        want.astype(DType::F64).to_vec::<f64>().unwrap(),
    );
    for (x, w) in a.iter().zip(&b) {
        assert!(
            (x - w).abs() <= 1e-6 * w.abs().max(1.0) || (x.is_nan() && w.is_nan()),
            "{x} vs {w}"
        );
    }
}

#[test]
fn every_hash_equal_and_results_still_right() {
    np::hashing::force_collisions(true);
    let x = np::arange(0.0f32, 12.0, 1.0)
        .reshape([3, 4])
        .eval()
        .unwrap();
    let xi = np::arange(0i64, 12, 1).reshape([3, 4]).eval().unwrap();
    let y = np::arange(0.0f32, 1000.0, 1.0).eval().unwrap();
    for round in 0..3 {
        let k = round as isize;
        let programs: Vec<np::Array> = vec![
            &x * 2.0,
            &x + 2.0,
            &x * 1.0,
            &x - 1.0,
            x.powf(2),
            x.powf(1),
            &xi * 2,
            &xi + 2,
            (&x * 3.0).sum(1),
            (&x * 3.0).sum(0),
            (&x * 3.0).max(1),
            x.i(k) * 5.0,
            x.slice(np::s![.., 1..3]) * 5.0,
            x.t() * 5.0,
            &y * 2.0,
            (&y * 2.0).sum(..),
            np::where_(&x.gt(5.0), &x, &(-&x)),
            x.exp(),
            x.sin(),
            &x.i(0) + &x.i(1),
            &x.i(1) + &x.i(1),
        ];
        for p in &programs {
            check(p);
        }
        // A held intermediate changes what is stored, not the expression.
        let held = &x * 7.0;
        let z = (&held + 1.0).sum(1);
        check(&z);
        drop(held);
        check(&(&(&x * 7.0) + 1.0).sum(1));
    }
    np::hashing::force_collisions(false);
}
