#![doc = include_str!("../README.md")]
//!
//! ## Module map
//!
//! | where | what |
//! | --- | --- |
//! | crate root | [`Array`] and its constructors ([`array()`], [`zeros`], [`arange`], [`eye`], ...), [`DType`], [`EvalOptions`], [`Error`], [`jit_stats`] |
//! | [`Array`]'s methods | operators, math, reductions, views and indexing ([`s!`]), `matmul`, `eval`, `explain`, conversions (`From<Vec<T>>`, `to_vec2`, `iter`) |
//! | [`random`] | `np.random`: [`random::default_rng`] and the legacy global generator |
//! | [`linalg`] | `np.linalg`: [`linalg::inv`] |
//! | [`load`], [`load_any`], [`load_npz`], [`savez`], [`NpzOptions`] | `.npy` / `.npz` files, byte-compatible with NumPy |
//! | `safetensors` (feature `safetensors`) | `safetensors::{load, save, from_bytes, to_bytes}` |
//! | `ndarray` interop (feature `ndarray`) | `From<ndarray::ArrayBase>`, `Array::to_ndarray`, `Array::ndarray_view` |
//!
//! A first program:
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
pub(crate) mod interp_update;
pub(crate) mod ir;
pub(crate) mod kernel;
pub(crate) mod passes;
#[doc(hidden)]
pub mod runtime;
pub mod semantics;
pub mod shape;

pub use array::io::{Loaded, load, load_any};
pub use array::linalg::matmul;
pub use array::npz::{Npz, NpzOptions, load_npz, load_npz_with, savez, savez_compressed};

/// `np.linalg`: matrix inverse.
pub mod linalg {
    pub use crate::array::linalg::inv;
}
pub use array::random;
/// Safetensors files (cargo feature `safetensors`).
#[cfg(feature = "safetensors")]
pub mod safetensors {
    pub use crate::array::safetensors_io::{from_bytes, load, save, to_bytes};
}
#[cfg(feature = "ndarray")]
pub use array::ndarray_interop::NdarrayView;
pub use array::{
    Array, ArrayOrScalar, Axes, IntoArrayData, IntoScalar, SliceArg, SliceInfo, arange, array,
    concatenate, eye, full, linspace, maximum, minimum, ones, scalar, split, stack, try_arange,
    try_concatenate, try_eye, try_full, try_linspace, try_zeros, where_, zeros, zeros_like,
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
