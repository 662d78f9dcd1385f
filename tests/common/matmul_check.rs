//! Shared by the matmul test files: random operands and the backend-agreement check.

use lazynp as np;
use lazynp::{Array, DType, EvalOptions, MatmulBackend};

/// Every backend a product can be forced onto.
pub const BACKENDS: [MatmulBackend; 3] = [
    MatmulBackend::Auto,
    MatmulBackend::Jit,
    MatmulBackend::Library,
];

/// Standard normal values of `shape` and `dt`, evaluated.
pub fn rand(shape: &[usize], dt: DType, seed: u64) -> Array {
    np::random::default_rng(seed)
        .standard_normal(shape.to_vec())
        .astype(dt)
        .eval()
        .unwrap()
}

/// The values of `x` as f64.
pub fn f64s(x: &Array) -> Vec<f64> {
    x.astype(DType::F64).to_vec::<f64>().unwrap()
}

/// The values of `x` computed by the interpreter, as f64.
pub fn interp(x: Array) -> Vec<f64> {
    x.astype(DType::F64)
        .eval_with(&EvalOptions::interpreter())
        .unwrap()
        .to_vec::<f64>()
        .unwrap()
}

/// Every backend agrees with the interpreter, and each is bit-identical for 1 and 2 threads.
///
/// |got - want| <= (K + 2) * eps * sum|a||b| (`abs` builds the magnitude product): any summation
/// order of K products is within about K * eps of the magnitude sum, so the bound grows with K and
/// still catches a wrong or missing term (which is of the size of one product, far above
/// eps * K * magnitude).
pub fn check(name: &str, f: impl Fn() -> Array, abs: impl Fn() -> Array, k: usize, dt: DType) {
    let want = interp(f());
    let scale = interp(abs());
    let eps = if dt == DType::F32 {
        f32::EPSILON as f64
    } else {
        f64::EPSILON
    };
    for b in BACKENDS {
        let opts = EvalOptions::fused().matmul_backend(b);
        let one = f().eval_with(&opts.clone().threads(1)).unwrap();
        let two = f().eval_with(&opts.threads(2)).unwrap();
        assert_eq!(one.dtype(), dt, "{name}");
        assert_eq!(one.shape(), two.shape(), "{name}");
        let (v1, v2) = (f64s(&one), f64s(&two));
        assert_eq!(v1.len(), want.len(), "{name}");
        for (i, ((x, y), (w, sc))) in v1.iter().zip(&v2).zip(want.iter().zip(&scale)).enumerate() {
            assert_eq!(
                x.to_bits(),
                y.to_bits(),
                "{name} {b:?}: 1 vs 2 threads differ at {i}"
            );
            let tol = (k as f64 + 2.0) * eps * sc + 1e-300;
            assert!(
                (x - w).abs() <= tol,
                "{name} {b:?} element {i}: {x} vs {w} (tol {tol})"
            );
        }
    }
}
