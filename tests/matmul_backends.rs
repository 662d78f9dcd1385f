//! Every matmul backend agrees with the interpreter (tolerance scaling with K), on edge shapes,
//! transposed and strided views and broadcast batches; each is bit-identical for 1 and 2 threads.

use lazynp as np;
use lazynp::{DType, EvalOptions, MatmulBackend, s};

#[path = "common/matmul_check.rs"]
mod matmul_check;
use matmul_check::{check, rand};

#[test]
fn edge_shapes_every_backend() {
    for dt in [DType::F32, DType::F64] {
        for &(m, k, n) in &[
            (0, 3, 2),
            (2, 0, 3),
            (1, 1, 1),
            (3, 7, 2),
            (9, 17, 8),
            (33, 31, 65),
            (64, 127, 257),
            (257, 33, 9),
        ] {
            let a = rand(&[m, k], dt, 1);
            let b = rand(&[k, n], dt, 2);
            check(
                &format!("{m}x{k}x{n} {dt}"),
                || a.matmul(&b),
                || a.abs().matmul(&b.abs()),
                k,
                dt,
            );
        }
    }
}

#[test]
fn views_and_batches_every_backend() {
    let dt = DType::F32;
    let a = rand(&[40, 30], dt, 3);
    let b = rand(&[50, 40], dt, 4);
    check(
        "A.T @ B.T",
        || a.t().matmul(&b.t()),
        || a.abs().t().matmul(&b.abs().t()),
        40,
        dt,
    );
    let sa = a.slice(s![..;2, 1..]);
    let sb = b.slice(s![28..;-1, ..7]);
    check(
        "strided",
        || sa.matmul(&sb),
        || sa.abs().matmul(&sb.abs()),
        29,
        dt,
    );
    let x = rand(&[6, 8, 8], dt, 6);
    let w = rand(&[8, 8], dt, 7);
    check(
        "batched broadcast",
        || x.matmul(&w),
        || x.abs().matmul(&w.abs()),
        8,
        dt,
    );
    let xb = rand(&[3, 1, 5, 4], dt, 8);
    let wb = rand(&[2, 4, 6], dt, 9);
    check(
        "batch dims broadcast",
        || xb.matmul(&wb),
        || xb.abs().matmul(&wb.abs()),
        4,
        dt,
    );
    let v = rand(&[30], dt, 10);
    check(
        "matrix @ vector",
        || a.matmul(&v),
        || a.abs().matmul(&v.abs()),
        30,
        dt,
    );
    check(
        "vector @ vector",
        || v.matmul(&v),
        || v.abs().matmul(&v.abs()),
        30,
        dt,
    );
}

#[test]
fn integer_matmul_is_exact() {
    let a = np::arange(-6i64, 6, 1).reshape([3, 4]);
    let b = np::arange(0i64, 8, 1).reshape([4, 2]);
    let got = a.matmul(&b).to_vec::<i64>().unwrap();
    let want = a
        .matmul(&b)
        .eval_with(&EvalOptions::interpreter())
        .unwrap()
        .to_vec::<i64>()
        .unwrap();
    assert_eq!(got, want);
}

#[test]
fn cost_model_choices() {
    use lazynp::runtime::matmul_dispatch::choose;
    let small = choose(MatmulBackend::Auto, DType::F32, 10_000, 8, 8, 8);
    assert!(small.batched_small && small.backend == MatmulBackend::Jit);
    let forced = choose(MatmulBackend::Library, DType::F32, 1, 512, 512, 512);
    assert_eq!(forced.backend, MatmulBackend::Library);
    let big = choose(MatmulBackend::Auto, DType::F32, 1, 1024, 1024, 1024);
    assert!(big.jit_seconds > 0.0 && big.lib_seconds > 0.0);
    assert_eq!(
        big.backend == MatmulBackend::Jit,
        big.jit_seconds < big.lib_seconds
    );
}

#[test]
fn linear_layer_epilogue_is_fused_on_every_backend() {
    for dt in [DType::F32, DType::F64] {
        for &(m, k, n) in &[(1, 5, 3), (37, 64, 129), (300, 70, 600)] {
            let x = rand(&[m, k], dt, 21);
            let w = rand(&[k, n], dt, 22);
            let b = rand(&[n], dt, 23);
            let layer = || (&x.matmul(&w) + &b).relu() * 2.0;
            let y = layer();
            assert_eq!(
                y.kernel_count(&EvalOptions::fused()),
                1,
                "bias + relu + scale: one epilogue kernel"
            );
            assert!(y.explain().contains("epilogue of"), "{}", y.explain());
            check(
                &format!("relu(x@w+b) {m}x{k}x{n} {dt}"),
                layer,
                || (&x.abs().matmul(&w.abs()) + &b.abs()) * 2.0,
                k,
                dt,
            );
        }
    }
}

#[test]
fn held_pre_activation_is_a_second_output_of_the_epilogue() {
    // A training step keeps `z = x@w + b` for the backward pass and `h = relu(z)` for the next
    // layer: both are written by the one epilogue kernel running inside the product.
    for backend in [MatmulBackend::Jit, MatmulBackend::Library] {
        for &(m, k, n) in &[(3, 5, 7), (32, 64, 64), (130, 70, 300)] {
            let x = rand(&[m, k], DType::F32, 31);
            let w = rand(&[k, n], DType::F32, 32);
            let b = rand(&[n], DType::F32, 33);
            let z = &x.matmul(&w) + &b;
            let h = z.relu();
            let plan = h.explain_with(&EvalOptions::fused().matmul_backend(backend), false);
            let fused = plan
                .lines()
                .find(|l| l.contains("epilogue of"))
                .unwrap_or_else(|| panic!("no epilogue: {plan}"));
            assert!(plan.contains(" + %"), "two outputs: {plan}");
            assert!(!fused.is_empty());
            h.eval_with(&EvalOptions::fused().matmul_backend(backend))
                .unwrap();
            assert!(z.is_realized(), "z stored by the epilogue");
            let (zi, hi) = (
                (&x.matmul(&w) + &b)
                    .eval_with(&EvalOptions::interpreter())
                    .unwrap(),
                (&x.matmul(&w) + &b)
                    .relu()
                    .eval_with(&EvalOptions::interpreter())
                    .unwrap(),
            );
            for (got, want) in [(&z, &zi), (&h, &hi)] {
                let (g, w) = (got.to_vec::<f32>().unwrap(), want.to_vec::<f32>().unwrap());
                for (a, e) in g.iter().zip(&w) {
                    assert!(
                        (a - e).abs() <= 1e-4 * (1.0 + e.abs()),
                        "{backend:?} {m}x{k}x{n}"
                    );
                }
            }
        }
    }
}
