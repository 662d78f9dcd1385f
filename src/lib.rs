//! # lazynp
//!
//! NumPy-shaped lazy arrays whose programs are compiled, not interpreted op by op.
//!
//! ```
//! use lazynp as np;
//! let x = np::array([[1i64, 2, 3], [4, 5, 6]]);
//! let b = np::array([10i64, 20, 30]);
//! let y = &x + &b; // builds a graph; nothing runs yet
//! assert_eq!(y.to_string(), "[[11 22 33]\n [14 25 36]]");
//! # Ok::<(), np::Error>(())
//! ```
#![warn(missing_docs)]

// The user API. Compiler and runtime internals are crate-private: the graph, the passes, the
// Kernel IR, the interpreter and the executor. What the benchmarks and the GEMM tests drive
// directly (`codegen::{math, matmul}`, `runtime::{mat, matmul, gemm_lib, matmul_dispatch}`) is
// `#[doc(hidden)]` and either safe (values, compiled code behind `unsafe fn` pointers) or an
// `unsafe fn` whose contract is written down: no safe call reaches out-of-bounds memory.
pub mod array;
#[doc(hidden)]
pub mod codegen;
pub mod debug;
pub mod dtype;
pub mod error;
pub mod eval;
mod fxhash;
pub mod hashing;
pub(crate) mod interp;
pub(crate) mod ir;
pub(crate) mod kernel;
pub(crate) mod passes;
#[doc(hidden)]
pub mod runtime;
pub mod semantics;
pub mod shape;

pub use array::io::{load, load_npz, savez, savez_compressed};
pub use array::linalg::matmul;

/// `np.linalg`: matrix inverse.
pub mod linalg {
    pub use crate::array::linalg::inv;
}
pub use array::random;
pub use array::{
    Array, Axes, IntoArrayData, IntoScalar, SliceArg, SliceInfo, arange, array, concatenate, eye,
    full, linspace, maximum, minimum, ones, scalar, split, stack, try_arange, try_concatenate,
    try_eye, try_full, try_linspace, try_zeros, where_, zeros, zeros_like,
};
pub use dtype::{DType, Element, Kind, Scalar, promote, promote_weak};
pub use error::{Error, Result};
pub use eval::{EvalOptions, MatmulBackend, Mode, eval, eval_with};
pub use ir::{BinaryOp, ReduceOp, UnaryOp};
pub use runtime::{JitStats, jit_stats, live_bytes};
pub use shape::Shape;
