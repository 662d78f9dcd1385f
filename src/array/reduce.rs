//! Reductions: `sum`, `prod`, `max`, `min`, `mean`, `var`, `std`, `argmax`, `argmin`, `all`,
//! `any`, each over one axis, several axes, or `..` (all), with `_keepdims` variants.

use super::ops::{cast, constant};
use super::{Array, ok};
use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use crate::ir::{BinaryOp, Op, ReduceOp};
use crate::shape::normalize_axis;
use std::ops::RangeFull;

/// Which axes a reduction runs over: `..` for all, an axis (negative counts from the end),
/// or several axes (`[0, 1]`).
///
/// ```
/// let x = lazynp::ones([2, 3], lazynp::DType::F64);
/// assert_eq!(x.sum(..).shape(), &[] as &[usize]);
/// assert_eq!(x.sum(-1).shape(), &[2]);
/// assert_eq!(x.sum([0, 1]).shape(), &[] as &[usize]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Axes {
    /// Every axis (`axis=None`).
    All,
    /// The listed axes.
    List(Vec<isize>),
}

impl From<RangeFull> for Axes {
    fn from(_: RangeFull) -> Self {
        Axes::All
    }
}
macro_rules! axes_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Axes {
            fn from(a: $t) -> Self {
                Axes::List(vec![a as isize])
            }
        }
        impl<const N: usize> From<[$t; N]> for Axes {
            fn from(a: [$t; N]) -> Self {
                Axes::List(a.iter().map(|&x| x as isize).collect())
            }
        }
        impl From<Vec<$t>> for Axes {
            fn from(a: Vec<$t>) -> Self {
                Axes::List(a.iter().map(|&x| x as isize).collect())
            }
        }
    )*};
}
axes_from_int!(i32, i64, isize, usize);

impl Axes {
    /// Sorted, distinct, non-negative axes for an array of `ndim` dimensions.
    pub fn resolve(&self, ndim: usize) -> Result<Vec<usize>> {
        match self {
            Axes::All => Ok((0..ndim).collect()),
            Axes::List(list) => {
                let mut out = list
                    .iter()
                    .map(|&a| normalize_axis(a, ndim))
                    .collect::<Result<Vec<_>>>()?;
                out.sort_unstable();
                if out.windows(2).any(|w| w[0] == w[1]) {
                    return Err(Error::RepeatedAxis);
                }
                Ok(out)
            }
        }
    }
}

fn reduce_node(x: &Array, op: ReduceOp, axes: &[usize], dtype: DType) -> Array {
    let mut shape = x.shape().to_vec();
    for &a in axes {
        shape[a] = 1;
    }
    if op == ReduceOp::Sum && dtype.is_float() && axes.iter().any(|&a| x.shape()[a] == 0) {
        // An empty sum is the identity +0.0, as in NumPy (a non-empty float sum starts from
        // -0.0 so that summed negative zeros stay -0.0). Shapes are static, so it is a constant.
        return super::ops::constant(crate::dtype::Scalar::Float(0.0), dtype, &shape);
    }
    Array::build(
        Op::Reduce {
            op,
            axes: axes.to_vec(),
        },
        dtype,
        shape,
        &[x],
    )
}

/// Drops the reduced (extent-1) axes unless `keepdims`.
fn finish(r: Array, x_shape: &[usize], axes: &[usize], keepdims: bool) -> Array {
    if keepdims {
        return r;
    }
    let shape: Vec<usize> = x_shape
        .iter()
        .enumerate()
        .filter(|(i, _)| !axes.contains(i))
        .map(|(_, &d)| d)
        .collect();
    ok(r.try_reshape(shape))
}

impl Array {
    /// A reduction with explicit `keepdims`; the building block of the named methods.
    ///
    /// ```
    /// use lazynp::ReduceOp;
    /// let x = lazynp::array([[1i64, 2], [3, 4]]);
    /// let y = x.try_reduce(ReduceOp::Sum, 1, true)?;
    /// assert_eq!(y.shape(), &[2, 1]);
    /// assert_eq!(y.to_vec::<i64>()?, vec![3, 7]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    pub fn try_reduce(&self, op: ReduceOp, axes: impl Into<Axes>, keepdims: bool) -> Result<Array> {
        let axes_spec = axes.into();
        if matches!(op, ReduceOp::ArgMax | ReduceOp::ArgMin) {
            return self.arg_reduce(op, axes_spec, keepdims);
        }
        let axes = axes_spec.resolve(self.ndim())?;
        let empty = axes.iter().any(|&a| self.shape()[a] == 0);
        let (input, dtype) = match op {
            ReduceOp::Sum | ReduceOp::Prod => {
                let d = self.dtype().sum_dtype();
                (cast(self, d), d)
            }
            ReduceOp::Max | ReduceOp::Min => {
                if empty {
                    let name = if op == ReduceOp::Max {
                        "maximum"
                    } else {
                        "minimum"
                    };
                    return Err(Error::EmptyReduction { op: name });
                }
                (self.clone(), self.dtype())
            }
            ReduceOp::All | ReduceOp::Any => (cast(self, DType::Bool), DType::Bool),
            ReduceOp::ArgMax | ReduceOp::ArgMin => unreachable!(),
        };
        let r = reduce_node(&input, op, &axes, dtype);
        Ok(finish(r, self.shape(), &axes, keepdims))
    }

    fn arg_reduce(&self, op: ReduceOp, axes: Axes, keepdims: bool) -> Result<Array> {
        let name = if op == ReduceOp::ArgMax {
            "argmax"
        } else {
            "argmin"
        };
        let (x, axis) = match axes {
            Axes::All => (self.flatten(), 0),
            Axes::List(l) if l.len() == 1 => (self.clone(), normalize_axis(l[0], self.ndim())?),
            Axes::List(_) => {
                return Err(Error::Invalid {
                    op: name,
                    msg: "takes one axis or all axes".into(),
                });
            }
        };
        if x.shape()[axis] == 0 {
            return Err(Error::Invalid {
                op: name,
                msg: format!("attempt to get {name} of an empty sequence"),
            });
        }
        let r = reduce_node(&x, op, &[axis], DType::I64);
        Ok(if keepdims && x.ndim() != self.ndim() {
            ok(r.try_reshape(vec![1; self.ndim()]))
        } else {
            finish(r, x.shape(), &[axis], keepdims)
        })
    }

    fn mean_impl(&self, axes: Axes, keepdims: bool) -> Result<Array> {
        let resolved = axes.resolve(self.ndim())?;
        let n: usize = resolved.iter().map(|&a| self.shape()[a]).product();
        let dt = self.dtype().float_result();
        let s = cast(self, dt).try_reduce(ReduceOp::Sum, axes, keepdims)?;
        super::ops::binary(BinaryOp::Div, &s, Scalar::UInt(n as u64))
    }

    fn var_impl(&self, axes: Axes, keepdims: bool, ddof: usize) -> Result<Array> {
        let resolved = axes.resolve(self.ndim())?;
        let n: usize = resolved.iter().map(|&a| self.shape()[a]).product();
        let dt = self.dtype().float_result();
        let x = cast(self, dt);
        let m = x.mean_impl(axes.clone(), true)?;
        let d = super::ops::binary(BinaryOp::Sub, &x, &m)?;
        let sq = super::ops::binary(BinaryOp::Mul, &d, &d)?;
        let s = sq.try_reduce(ReduceOp::Sum, axes, keepdims)?;
        let denom = constant(Scalar::Float(n.saturating_sub(ddof) as f64), dt, &[]);
        super::ops::binary(BinaryOp::Div, &s, &denom)
    }
}

macro_rules! reductions {
    ($($(#[$doc:meta])* $name:ident, $keep:ident => $body:expr;)*) => {
        impl Array {$(
            $(#[$doc])*
            #[track_caller]
            pub fn $name(&self, axes: impl Into<Axes>) -> Array {
                let f: fn(&Array, Axes, bool) -> Result<Array> = $body;
                ok(f(self, axes.into(), false))
            }
            /// The same reduction keeping reduced axes with extent 1 (`keepdims=True`).
            #[track_caller]
            pub fn $keep(&self, axes: impl Into<Axes>) -> Array {
                let f: fn(&Array, Axes, bool) -> Result<Array> = $body;
                ok(f(self, axes.into(), true))
            }
        )*}
    };
}

reductions! {
    /// `np.sum`: ints and bools accumulate in 64-bit; floats use pairwise summation.
    ///
    /// ```
    /// let x = lazynp::array([[1i32, 2, 3], [4, 5, 6]]);
    /// assert_eq!(x.sum(0).to_vec::<i64>()?, vec![5, 7, 9]);
    /// assert_eq!(x.sum(..).item::<i64>()?, 21);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    sum, sum_keepdims => |x, a, k| x.try_reduce(ReduceOp::Sum, a, k);
    /// `np.prod` (identity 1 for empty axes).
    ///
    /// ```
    /// assert_eq!(lazynp::array([[1i64, 2], [3, 4]]).prod(0).to_vec::<i64>()?, vec![3, 8]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    prod, prod_keepdims => |x, a, k| x.try_reduce(ReduceOp::Prod, a, k);
    /// `np.max` (NaN propagates; panics on an empty axis as NumPy raises).
    ///
    /// ```
    /// assert_eq!(lazynp::array([[1, 5], [7, 2]]).max([0, 1]).item::<i32>()?, 7);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    max, max_keepdims => |x, a, k| x.try_reduce(ReduceOp::Max, a, k);
    /// `np.min` (NaN propagates; panics on an empty axis).
    ///
    /// ```
    /// assert_eq!(lazynp::array([3.0, -1.0]).min(..).item::<f64>()?, -1.0);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    min, min_keepdims => |x, a, k| x.try_reduce(ReduceOp::Min, a, k);
    /// `np.argmax` over one axis or all (flattened); the first maximum, or the first NaN.
    ///
    /// ```
    /// assert_eq!(lazynp::array([[1, 9], [8, 2]]).argmax(1).to_vec::<i64>()?, vec![1, 0]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    argmax, argmax_keepdims => |x, a, k| x.try_reduce(ReduceOp::ArgMax, a, k);
    /// `np.argmin` over one axis or all (flattened).
    ///
    /// ```
    /// assert_eq!(lazynp::array([[1, 9], [0, 2]]).argmin(..).item::<i64>()?, 2);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    argmin, argmin_keepdims => |x, a, k| x.try_reduce(ReduceOp::ArgMin, a, k);
    /// `np.all`.
    ///
    /// ```
    /// assert!(!lazynp::array([true, false]).all(..).item::<bool>()?);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    all, all_keepdims => |x, a, k| x.try_reduce(ReduceOp::All, a, k);
    /// `np.any`.
    ///
    /// ```
    /// assert!(lazynp::array([0, 3]).any(0).item::<bool>()?);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    any, any_keepdims => |x, a, k| x.try_reduce(ReduceOp::Any, a, k);
    /// `np.mean`: float64 for integer input, float32 stays float32.
    ///
    /// ```
    /// assert_eq!(lazynp::array([1i32, 2]).mean(..).item::<f64>()?, 1.5);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    mean, mean_keepdims => |x, a, k| x.mean_impl(a, k);
    /// `np.var` with `ddof=0`.
    ///
    /// ```
    /// assert_eq!(lazynp::array([1.0, 3.0]).var(0).item::<f64>()?, 1.0);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    var, var_keepdims => |x, a, k| x.var_impl(a, k, 0);
    /// `np.std` with `ddof=0`.
    ///
    /// ```
    /// assert_eq!(lazynp::array([1.0, 3.0]).std(0).item::<f64>()?, 1.0);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    std, std_keepdims => |x, a, k| Ok(x.var_impl(a, k, 0)?.sqrt());
}

impl Array {
    /// `np.std(x, axis, ddof=ddof)`.
    ///
    /// ```
    /// let s = lazynp::array([1.0, 3.0]).std_ddof(.., 1).item::<f64>()?;
    /// assert!((s - 2f64.sqrt()).abs() < 1e-15);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    #[track_caller]
    pub fn std_ddof(&self, axes: impl Into<Axes>, ddof: usize) -> Array {
        ok(self.var_impl(axes.into(), false, ddof)).sqrt()
    }

    /// `np.var(x, axis, ddof=ddof)`.
    ///
    /// ```
    /// assert_eq!(lazynp::array([1.0, 3.0]).var_ddof(.., 1).item::<f64>()?, 2.0);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    #[track_caller]
    pub fn var_ddof(&self, axes: impl Into<Axes>, ddof: usize) -> Array {
        ok(self.var_impl(axes.into(), false, ddof))
    }
}
