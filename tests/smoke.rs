use lazynp as np;
use lazynp::{DType, EvalOptions, s};

#[test]
fn smoke() {
    let x = np::array([[1i64, 2, 3], [4, 5, 6]]);
    let b = np::array([10i64, 20, 30]);
    let y = &x + &b;
    assert_eq!(y.to_vec::<i64>().unwrap(), vec![11, 22, 33, 14, 25, 36]);
    let a = np::array([1.0f32, 2.0, 3.0, 4.0]);
    let z = (&a * 2.0 - 1.0).exp().sum(..);
    println!("{}", z.dump_graph());
    let v: f32 = z.item().unwrap();
    assert!((v - [1f32, 3., 5., 7.].iter().map(|x| x.exp()).sum::<f32>()).abs() < 1e-2);
    let t = x.t().reshape([6]);
    println!("{}", t.dump_graph());
    assert_eq!(t.to_vec::<i64>().unwrap(), vec![1, 4, 2, 5, 3, 6]);
    assert_eq!(
        x.slice(s![.., 1..3]).to_vec::<i64>().unwrap(),
        vec![2, 3, 5, 6]
    );
    assert_eq!(
        x.slice(s![..;-1, ..;2]).to_vec::<i64>().unwrap(),
        vec![4, 6, 1, 3]
    );
    let e = np::eye(4, DType::F32).take(&np::array([0i64, 2, 1, 3]), 0);
    assert_eq!(e.i(1).to_vec::<f32>().unwrap(), vec![0., 0., 1., 0.]);
    let w = np::array([[0.1f64, 0.2, 0.3], [0.4, 0.5, 0.6]]);
    let xx = np::array([1.0f64, 2.0, 3.0]);
    let yy = w
        .matmul(&xx)
        .eval_with(&EvalOptions::interpreter())
        .unwrap();
    let v = yy.to_vec::<f64>().unwrap();
    assert!((v[0] - 1.4).abs() < 1e-12 && (v[1] - 3.2).abs() < 1e-12);
    assert_eq!(x.mean(0).to_vec::<f64>().unwrap(), vec![2.5, 3.5, 4.5]);
    assert_eq!(x.argmax(..).item::<i64>().unwrap(), 5);
}

#[test]
fn deep_chain_builds_evals_drops() {
    let mut y = np::array([1.0f64]);
    for _ in 0..100_000 {
        y = &y + 1.0;
    }
    assert_eq!(y.item::<f64>().unwrap(), 100_001.0);
    let mut z = np::array([1.0f64]);
    for _ in 0..100_000 {
        z = &z * 1.0;
    }
    drop(z);
}

#[test]
fn arrays_are_send_sync_and_evaluate_concurrently() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<np::Array>();
    let x = np::arange(0.0f32, 4096.0, 1.0)
        .reshape([64, 64])
        .eval()
        .unwrap();
    let want = ((&x * 0.5).tanh() + 1.0)
        .sum(1)
        .eval_with(&EvalOptions::interpreter())
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
    std::thread::scope(|s| {
        for t in 0..4 {
            let (x, want) = (&x, &want);
            s.spawn(move || {
                for i in 0..20 {
                    // Shared inputs, separate graphs, the same kernel structure from every thread.
                    let y = ((x * 0.5).tanh() + 1.0)
                        .sum(1)
                        .eval_with(&EvalOptions::fused().threads(1 + (t + i) % 2))
                        .unwrap();
                    let got = y.to_vec::<f32>().unwrap();
                    for (a, b) in got.iter().zip(want) {
                        assert!((a - b).abs() <= 1e-4 * b.abs().max(1.0));
                    }
                }
            });
        }
    });
}
