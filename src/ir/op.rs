//! The closed set of primitive operations. Everything else is composed from these in `array/`.
//!
//! Conventions that keep passes and backends simple:
//! - elementwise inputs already have the node's shape (broadcasting is an explicit `View`)
//!   and a common dtype (promotion is an explicit `Cast`);
//! - `Reduce` keeps reduced axes with extent 1 (keepdims); dropping them is a `View`;
//! - `View` reads its input as a C-contiguous flat array through strides and an offset.

use crate::dtype::{DType, Scalar};
use crate::shape::View;

/// Elementwise operations of one input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x` (wrapping for ints).
    Neg,
    /// `abs(x)` (wrapping for `MIN`).
    Abs,
    /// `sqrt(x)`.
    Sqrt,
    /// `exp(x)`.
    Exp,
    /// Natural log.
    Log,
    /// `log(1 + x)`.
    Log1p,
    /// `exp(x) - 1`.
    Expm1,
    /// Hyperbolic tangent.
    Tanh,
    /// Sine.
    Sin,
    /// Cosine.
    Cos,
    /// Round toward -inf.
    Floor,
    /// Round toward +inf.
    Ceil,
    /// Round half to even (`np.round`, `np.rint`).
    Rint,
    /// -1, 0, 1 (NaN stays NaN).
    Sign,
    /// Logical not on bool, bitwise not on ints.
    Not,
    /// NaN test (bool result).
    IsNan,
    /// Finite test (bool result).
    IsFinite,
}

/// Elementwise operations of two inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `a + b` (wrapping for ints; logical or on bool).
    Add,
    /// `a - b` (wrapping for ints).
    Sub,
    /// `a * b` (wrapping for ints; logical and on bool).
    Mul,
    /// True division (floats only: the API casts ints to float first).
    Div,
    /// NumPy `//`: floor division; int division by zero gives 0, `MIN // -1` wraps.
    FloorDiv,
    /// NumPy `%`: result has the divisor's sign; int modulo by zero gives 0.
    Mod,
    /// `a ** b`.
    Pow,
    /// `np.maximum` (NaN propagates).
    Maximum,
    /// `np.minimum` (NaN propagates).
    Minimum,
    /// `==` (bool result).
    Eq,
    /// `!=` (bool result).
    Ne,
    /// `<` (bool result).
    Lt,
    /// `<=` (bool result).
    Le,
    /// `>` (bool result).
    Gt,
    /// `>=` (bool result).
    Ge,
    /// Bitwise and (logical on bool).
    And,
    /// Bitwise or (logical on bool).
    Or,
    /// Bitwise xor (logical on bool).
    Xor,
}

impl BinaryOp {
    /// True for comparisons, whose result is bool.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        )
    }
}

impl UnaryOp {
    /// True for predicates, whose result is bool.
    pub fn is_predicate(self) -> bool {
        matches!(self, UnaryOp::IsNan | UnaryOp::IsFinite)
    }
}

/// Reductions over a set of axes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    /// Sum (pairwise for floats).
    Sum,
    /// Product.
    Prod,
    /// Maximum (NaN propagates; empty has no identity).
    Max,
    /// Minimum (NaN propagates; empty has no identity).
    Min,
    /// Index of the first maximum (first NaN wins) over one axis, as int64.
    ArgMax,
    /// Index of the first minimum (first NaN wins) over one axis, as int64.
    ArgMin,
    /// Logical and.
    All,
    /// Logical or.
    Any,
}

/// One primitive operation: the node's `op`. Matching on `Op` never uses `_ =>`.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// A leaf holding data (the node is realised from creation).
    Data,
    /// Every element equals the scalar (already converted to the node's dtype). No storage.
    Const(Scalar),
    /// Elementwise, one input.
    Unary(UnaryOp),
    /// Elementwise, two inputs of the same dtype and the node's shape.
    Binary(BinaryOp),
    /// `where(cond, a, b)`: inputs bool, T, T, all of the node's shape.
    Where,
    /// Elementwise dtype conversion with `astype` semantics.
    Cast(DType),
    /// A strided view of the input's C-order elements.
    View(View),
    /// A C-contiguous copy of the input (where a view cannot be expressed).
    Contiguous,
    /// Reduction over `axes`; reduced axes keep extent 1.
    Reduce {
        /// The reduction.
        op: ReduceOp,
        /// Sorted, distinct axes.
        axes: Vec<usize>,
    },
    /// Concatenation of all inputs along `axis`.
    Concat {
        /// The axis.
        axis: usize,
    },
    /// `take(x, indices, axis)`: input 0 is the data, input 1 int64 indices (any shape).
    /// Negative indices count from the end; out-of-range indices are a runtime error.
    Take {
        /// The axis of `x` indexed.
        axis: usize,
    },
    /// Batched matrix product: inputs `(..., m, k)` and `(..., k, n)` with equal batch dims.
    Matmul,
    /// A functional scatter: a copy of input 0 (the target, of the node's dtype and shape) with
    /// the elements chosen by `target` combined with the values (the last input, of the node's
    /// dtype) by `mode`, one value at a time in C order of the values (a repeated index is
    /// written again: last write wins for `Set`, updates accumulate for the others). Indices
    /// are checked at run time (a typed error, never a write out of bounds).
    Update {
        /// How an old element and a value combine.
        mode: UpdateMode,
        /// Which elements are written.
        target: UpdateTarget,
    },
}

/// How [`Op::Update`] combines the old element `x` with the value `v`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UpdateMode {
    /// `v` (`x[i] = v`).
    Set,
    /// `x + v` (wrapping for ints; logical or on bool).
    Add,
    /// `x - v` (wrapping for ints; not for bool).
    Sub,
    /// `x * v` (wrapping for ints; logical and on bool).
    Mul,
    /// `np.minimum(x, v)` (NaN propagates).
    Min,
    /// `np.maximum(x, v)` (NaN propagates).
    Max,
}

/// Which elements of the target [`Op::Update`] writes.
#[derive(Clone, Debug, PartialEq, Hash)]
pub enum UpdateTarget {
    /// Basic indexing: the elements of a strided view of the target's C-order elements (the
    /// view never repeats an element). Inputs: target, values (of the view's shape).
    View(View),
    /// `x[.., idx, ..] = v` along `axis`: input 1 holds int64 indices (any shape); the values
    /// have shape `x.shape[:axis] + idx.shape + x.shape[axis+1:]`.
    Index {
        /// The axis indexed.
        axis: usize,
    },
    /// `np.put_along_axis`: input 1 holds int64 indices of the values' shape (with the
    /// target's number of dimensions); value `i` goes to `x[i]` with coordinate `axis`
    /// replaced by `idx[i]`.
    Along {
        /// The axis indexed.
        axis: usize,
    },
    /// `x[mask] = v`: input 1 is a bool mask of the target's leading `k` dimensions; the values
    /// have shape `(n,) + x.shape[k:]` where `n` is the number of true elements or 1
    /// (broadcast), checked at run time.
    Mask,
}

impl UpdateMode {
    /// Lower-case name used in dumps (`set`, `add`, ...).
    pub fn name(self) -> &'static str {
        match self {
            UpdateMode::Set => "set",
            UpdateMode::Add => "add",
            UpdateMode::Sub => "sub",
            UpdateMode::Mul => "mul",
            UpdateMode::Min => "min",
            UpdateMode::Max => "max",
        }
    }
}

impl Op {
    /// Short name used in dumps.
    pub fn name(&self) -> String {
        match self {
            Op::Data => "data".into(),
            Op::Const(s) => format!("const({})", fmt_scalar(*s)),
            Op::Unary(u) => format!("{u:?}").to_lowercase(),
            Op::Binary(b) => format!("{b:?}").to_lowercase(),
            Op::Where => "where".into(),
            Op::Cast(d) => format!("cast({d})"),
            Op::View(v) => format!(
                "view(shape={:?}, strides={:?}, offset={})",
                v.shape, v.strides, v.offset
            ),
            Op::Contiguous => "contiguous".into(),
            Op::Reduce { op, axes } => {
                format!("{}(axes={axes:?})", format!("{op:?}").to_lowercase())
            }
            Op::Concat { axis } => format!("concat(axis={axis})"),
            Op::Take { axis } => format!("take(axis={axis})"),
            Op::Matmul => "matmul".into(),
            Op::Update { mode, target } => match target {
                UpdateTarget::View(v) => format!(
                    "update_{}(view shape={:?}, strides={:?}, offset={})",
                    mode.name(),
                    v.shape,
                    v.strides,
                    v.offset
                ),
                UpdateTarget::Index { axis } => {
                    format!("update_{}(index axis={axis})", mode.name())
                }
                UpdateTarget::Along { axis } => {
                    format!("update_{}(along axis={axis})", mode.name())
                }
                UpdateTarget::Mask => format!("update_{}(mask)", mode.name()),
            },
        }
    }
}

fn fmt_scalar(s: Scalar) -> String {
    match s {
        Scalar::Bool(b) => b.to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::UInt(u) => u.to_string(),
        Scalar::Float(f) => format!("{f:?}"),
    }
}
