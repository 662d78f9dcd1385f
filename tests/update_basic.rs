//! Updates: the forms, their errors, in-place reuse in `explain()`, JIT vs interpreter.

use lazynp::{self as np, DType, EvalOptions, s};

fn both(a: &np::Array) -> (Vec<f64>, Vec<f64>) {
    let f = a.astype(DType::F64);
    let jit = f
        .eval_with(&EvalOptions::fused())
        .unwrap()
        .to_vec::<f64>()
        .unwrap();
    let g = a.astype(DType::F64);
    let rebuilt = g
        .eval_with(&EvalOptions::interpreter())
        .unwrap()
        .to_vec::<f64>()
        .unwrap();
    (jit, rebuilt)
}

#[test]
fn assign_forms() {
    let mut x = np::zeros([3, 4], DType::F64);
    x.assign(s![.., 0], 1.0);
    x.assign(s![1, 1..;2], np::array([5.0, 6.0]));
    x.assign(s![-1], np::array([7.0, 8.0, 9.0, 10.0]));
    assert_eq!(
        x.to_vec::<f64>().unwrap(),
        vec![1.0, 0.0, 0.0, 0.0, 1.0, 5.0, 0.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    );
    let mut y = np::arange(0i64, 6, 1);
    y.assign_index(&np::array([0i64, -1, 0]), 0, np::array([10i64, 20, 30]));
    assert_eq!(y.to_vec::<i64>().unwrap(), vec![30, 1, 2, 3, 4, 20]);
    let mut z = np::arange(0.0f64, 6.0, 1.0);
    z.assign_mask(&z.gt(2.5), -1.0);
    assert_eq!(
        z.to_vec::<f64>().unwrap(),
        vec![0.0, 1.0, 2.0, -1.0, -1.0, -1.0]
    );
    let mut w = np::arange(0.0f64, 6.0, 1.0);
    w.assign_mask(&w.gt(3.5), np::array([40.0, 50.0]));
    assert_eq!(
        w.to_vec::<f64>().unwrap(),
        vec![0.0, 1.0, 2.0, 3.0, 40.0, 50.0]
    );
    let mut a = np::zeros([3], DType::F32);
    np::add_at(&mut a, &np::array([0i64, 0, 2, 0]), 0, 1.0);
    assert_eq!(a.to_vec::<f32>().unwrap(), vec![3.0, 0.0, 1.0]);
    let (j, r) = both(&a);
    assert_eq!(j, r);
}

#[test]
fn compound_assignment() {
    let mut m = np::array([1.0f32, 2.0]);
    m += &np::array([1.0f32, 1.0]);
    m *= 0.5;
    assert_eq!(m.to_vec::<f32>().unwrap(), vec![1.0, 1.5]);
    let mut i = np::array([1i64, 2]);
    let e = i.try_op_assign(np::BinaryOp::Add, 1.5).unwrap_err();
    assert_eq!(
        e.to_string(),
        "UFuncTypeError: Cannot cast ufunc 'add' output from dtype('float64') to dtype('int64') with casting rule 'same_kind'"
    );
    i += 3;
    assert_eq!(i.to_vec::<i64>().unwrap(), vec![4, 5]);
}

#[test]
fn in_place_in_explain() {
    let a = np::array([1.0f64, 2.0, 3.0]);
    let mut x = (&a * 2.0).exp();
    x.assign_index(&np::array([1i64]), 0, 0.0);
    let text = x.explain();
    assert!(text.contains("in place"), "{text}");
    let held = (&a * 2.0).exp();
    let mut y = held.clone();
    y.assign_index(&np::array([1i64]), 0, 0.0);
    assert!(!y.explain().contains("in place"), "{}", y.explain());
    assert_eq!(y.to_vec::<f64>().unwrap()[1], 0.0);
    assert_ne!(held.to_vec::<f64>().unwrap()[1], 0.0);
}
