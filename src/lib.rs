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

pub mod array;
#[doc(hidden)]
pub mod codegen;
pub mod debug;
pub mod dtype;
pub mod error;
pub mod eval;
mod fxhash;
pub mod hashing;
pub mod interp;
pub mod interp_update;
pub mod ir;
pub mod kernel;
pub mod passes;
pub mod runtime;
pub mod shape;

pub use array::io::{load, load_npz, savez, savez_compressed};
pub use array::linalg::matmul;

/// `np.linalg`: matrix inverse.
pub mod linalg {
    pub use crate::array::linalg::inv;
}
pub use array::random;
pub use array::{
    Array, ArrayOrScalar, Axes, IntoArrayData, IntoScalar, SliceArg, SliceInfo, arange, array,
    concatenate, eye, full, linspace, maximum, minimum, ones, scalar, split, stack, where_, zeros,
    zeros_like,
};
pub use array::{
    At, Selection, add_at, argwhere, can_cast_same_kind, maximum_at, minimum_at, multiply_at,
    put_along_axis, subtract_at, take_along_axis, try_add_at, try_maximum_at, try_minimum_at,
    try_multiply_at, try_put_along_axis, try_subtract_at, try_take_along_axis,
};
pub use dtype::{DType, Element, Kind, Scalar, promote, promote_weak};
pub use error::{Error, Result};
pub use eval::{EvalOptions, MatmulBackend, Mode, eval, eval_with};
pub use ir::{BinaryOp, ReduceOp, UnaryOp};
pub use runtime::{JitStats, jit_stats, live_bytes};
pub use shape::Shape;
