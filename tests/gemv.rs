//! Matrix-vector products (one operand a single row or column) take a direct path under
//! `MatmulBackend::Auto`; they must agree with the library and the interpreter for every layout:
//! row and column vectors, transposed and strided matrices, a batch of one, odd lengths,
//! f32 and f64, with and without a fused epilogue.

use lazynp as np;
use lazynp::{DType, EvalOptions, MatmulBackend};

fn close(y: &np::Array) {
    let auto = y
        .eval_with(&EvalOptions::fused().matmul_backend(MatmulBackend::Auto))
        .unwrap()
        .astype(DType::F64)
        .to_vec::<f64>()
        .unwrap();
    let want = y
        .eval_with(&EvalOptions::interpreter())
        .unwrap()
        .astype(DType::F64)
        .to_vec::<f64>()
        .unwrap();
    assert_eq!(auto.len(), want.len());
    for (a, w) in auto.iter().zip(&want) {
        assert!((a - w).abs() <= 1e-4 * w.abs().max(1.0), "{a} vs {w}");
    }
}

#[test]
fn matrix_vector_layouts_agree_with_the_interpreter() {
    let mut rng = np::random::default_rng(11);
    for dt in [DType::F32, DType::F64] {
        for (m, k) in [(1, 1), (3, 7), (17, 33), (100, 100), (65, 9)] {
            let w = rng.standard_normal_dtype([m, k], dt).eval().unwrap();
            let h = rng.standard_normal_dtype([k, 1], dt).eval().unwrap();
            let x = rng.standard_normal_dtype([1, m], dt).eval().unwrap();
            let wide = rng
                .standard_normal_dtype([2 * m, 2 * k], dt)
                .eval()
                .unwrap();
            close(&w.matmul(&h)); // column
            close(&x.matmul(&w)); // row
            close(&w.t().matmul(&x.t())); // transposed matrix, column from a row
            close(&h.t().matmul(&w.t())); // row times a transposed matrix
            let strided = wide.slice(np::s![..;2, ..;2]);
            close(&strided.matmul(&h)); // strided rows and columns
            close(&w.matmul(&h).tanh()); // fused epilogue
            close(&(&w.matmul(&h) + 1.0).sum(..));
            // A batch of one: (1, m, k) @ (1, k, 1).
            close(&w.reshape([1, m, k]).matmul(&h.reshape([1, k, 1])));
        }
    }
}
