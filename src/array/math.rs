//! Elementwise math, comparisons and their composites (`sigmoid`, `relu`, `clip`).

use super::ops::{ArrayOrScalar, Operand, binary, broadcast, cast, result_dtype, unary};
use super::{Array, ok};
use crate::dtype::DType;
use crate::error::Result;
use crate::ir::{BinaryOp, Op, UnaryOp};
use crate::shape::broadcast_shapes;

macro_rules! unary_methods {
    ($($(#[$doc:meta])* $name:ident => $op:ident;)*) => {$(
        $(#[$doc])*
        #[track_caller]
        pub fn $name(&self) -> Array {
            ok(unary(UnaryOp::$op, self))
        }
    )*};
}

macro_rules! compare_methods {
    ($($(#[$doc:meta])* $name:ident => $op:ident;)*) => {$(
        $(#[$doc])*
        #[track_caller]
        pub fn $name(&self, other: impl ArrayOrScalar) -> Array {
            ok(binary(BinaryOp::$op, self, other.operand().0))
        }
    )*};
}

impl Array {
    unary_methods! {
        /// `np.exp`. Integer inputs compute in float (float64; float32 for 8/16-bit).
        ///
        /// ```
        /// let y = lazynp::array([0.0f64]).exp();
        /// assert_eq!(y.to_vec::<f64>()?, vec![1.0]);
        /// # Ok::<(), lazynp::Error>(())
        /// ```
        exp => Exp;
        /// `np.log` (natural logarithm; log(0) = -inf, log(-1) = nan).
        ///
        /// ```
        /// assert_eq!(lazynp::array([1.0f32]).log().to_vec::<f32>()?, vec![0.0]);
        /// # Ok::<(), lazynp::Error>(())
        /// ```
        log => Log;
        /// `np.log1p`.
        ///
        /// ```
        /// assert_eq!(lazynp::array([0.0f64]).log1p().to_vec::<f64>()?, vec![0.0]);
        /// # Ok::<(), lazynp::Error>(())
        /// ```
        log1p => Log1p;
        /// `np.expm1`.
        ///
        /// ```
        /// assert_eq!(lazynp::array([0.0f64]).expm1().to_vec::<f64>()?, vec![0.0]);
        /// # Ok::<(), lazynp::Error>(())
        /// ```
        expm1 => Expm1;
        /// `np.sqrt`.
        ///
        /// ```
        /// assert_eq!(lazynp::array([4.0f64]).sqrt().to_vec::<f64>()?, vec![2.0]);
        /// # Ok::<(), lazynp::Error>(())
        /// ```
        sqrt => Sqrt;
        /// `np.abs` (integers wrap at their minimum, as NumPy).
        ///
        /// ```
        /// assert_eq!(lazynp::array([-2i32]).abs().to_vec::<i32>()?, vec![2]);
        /// # Ok::<(), lazynp::Error>(())
        /// ```
        abs => Abs;
        /// `np.tanh`.
        ///
        /// ```
        /// assert_eq!(lazynp::array([0.0f64]).tanh().to_vec::<f64>()?, vec![0.0]);
        /// # Ok::<(), lazynp::Error>(())
        /// ```
        tanh => Tanh;
        /// `np.sin`.
        ///
        /// ```
        /// assert_eq!(lazynp::array([0.0f64]).sin().to_vec::<f64>()?, vec![0.0]);
        /// # Ok::<(), lazynp::Error>(())
        /// ```
        sin => Sin;
        /// `np.cos`.
        ///
        /// ```
        /// assert_eq!(lazynp::array([0.0f64]).cos().to_vec::<f64>()?, vec![1.0]);
        /// # Ok::<(), lazynp::Error>(())
        /// ```
        cos => Cos;
        /// `np.floor` (integers unchanged, keeping their dtype).
        ///
        /// ```
        /// assert_eq!(lazynp::array([-1.5f64]).floor().to_vec::<f64>()?, vec![-2.0]);
        /// # Ok::<(), lazynp::Error>(())
        /// ```
        floor => Floor;
        /// `np.ceil`.
        ///
        /// ```
        /// assert_eq!(lazynp::array([-1.5f64]).ceil().to_vec::<f64>()?, vec![-1.0]);
        /// # Ok::<(), lazynp::Error>(())
        /// ```
        ceil => Ceil;
        /// `np.round` / `np.rint`: half to even.
        ///
        /// ```
        /// assert_eq!(lazynp::array([0.5f64, 1.5, 2.5]).round().to_vec::<f64>()?, vec![0.0, 2.0, 2.0]);
        /// # Ok::<(), lazynp::Error>(())
        /// ```
        round => Rint;
        /// `np.sign` (-1, 0, 1; NaN stays NaN).
        ///
        /// ```
        /// assert_eq!(lazynp::array([-3i64, 0, 5]).sign().to_vec::<i64>()?, vec![-1, 0, 1]);
        /// # Ok::<(), lazynp::Error>(())
        /// ```
        sign => Sign;
        /// `np.isnan` (bool result).
        ///
        /// ```
        /// assert_eq!(lazynp::array([f64::NAN, 1.0]).isnan().to_vec::<bool>()?, vec![true, false]);
        /// # Ok::<(), lazynp::Error>(())
        /// ```
        isnan => IsNan;
        /// `np.isfinite` (bool result).
        ///
        /// ```
        /// assert_eq!(lazynp::array([f64::INFINITY, 1.0]).isfinite().to_vec::<bool>()?, vec![false, true]);
        /// # Ok::<(), lazynp::Error>(())
        /// ```
        isfinite => IsFinite;
        /// `np.logical_not` on bool, `np.invert` on integers (same as `!&x`).
        ///
        /// ```
        /// assert_eq!(lazynp::array([true, false]).logical_not().to_vec::<bool>()?, vec![false, true]);
        /// # Ok::<(), lazynp::Error>(())
        /// ```
        logical_not => Not;
    }

    compare_methods! {
        /// `self > other` (bool result).
        ///
        /// ```
        /// assert_eq!(lazynp::array([1, 5]).gt(2).to_vec::<bool>()?, vec![false, true]);
        /// # Ok::<(), lazynp::Error>(())
        /// ```
        gt => Gt;
        /// `self >= other`.
        ///
        /// ```
        /// assert_eq!(lazynp::array([1, 2]).ge(2).to_vec::<bool>()?, vec![false, true]);
        /// # Ok::<(), lazynp::Error>(())
        /// ```
        ge => Ge;
        /// `self < other`.
        ///
        /// ```
        /// assert_eq!(lazynp::array([1.0, 2.0]).lt(1.5).to_vec::<bool>()?, vec![true, false]);
        /// # Ok::<(), lazynp::Error>(())
        /// ```
        lt => Lt;
        /// `self <= other`.
        ///
        /// ```
        /// assert_eq!(lazynp::array([1.0, 2.0]).le(1.0).to_vec::<bool>()?, vec![true, false]);
        /// # Ok::<(), lazynp::Error>(())
        /// ```
        le => Le;
        /// `self == other` elementwise.
        ///
        /// ```
        /// assert_eq!(lazynp::array([1, 2]).equal(2).to_vec::<bool>()?, vec![false, true]);
        /// # Ok::<(), lazynp::Error>(())
        /// ```
        equal => Eq;
        /// `self != other` elementwise.
        ///
        /// ```
        /// assert_eq!(lazynp::array([0.0, 2.0]).not_equal(0.0).to_vec::<bool>()?, vec![false, true]);
        /// # Ok::<(), lazynp::Error>(())
        /// ```
        not_equal => Ne;
    }

    /// `self ** exponent` for a scalar exponent (`x.powf(2.0)` is `x ** 2`).
    ///
    /// ```
    /// assert_eq!(lazynp::array([1i64, 2, 3]).powf(2).to_vec::<i64>()?, vec![1, 4, 9]);
    /// assert_eq!(lazynp::array([4.0f32]).powf(0.5).to_vec::<f32>()?, vec![2.0]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    #[track_caller]
    pub fn powf(&self, exponent: impl super::IntoScalar) -> Array {
        ok(binary(BinaryOp::Pow, self, exponent.into_scalar()))
    }

    /// `self ** other` elementwise with broadcasting.
    ///
    /// ```
    /// let b = lazynp::array([2i64, 3]);
    /// assert_eq!(lazynp::array([2i64, 2]).pow(&b).to_vec::<i64>()?, vec![4, 8]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    #[track_caller]
    pub fn pow(&self, other: impl ArrayOrScalar) -> Array {
        ok(binary(BinaryOp::Pow, self, other.operand().0))
    }

    /// NumPy's `//` (floor division; integer division by zero gives 0).
    ///
    /// ```
    /// let k = lazynp::array([2i64, 0]);
    /// assert_eq!(lazynp::array([-7i64, 7]).floor_div(&k).to_vec::<i64>()?, vec![-4, 0]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    #[track_caller]
    pub fn floor_div(&self, other: impl ArrayOrScalar) -> Array {
        ok(binary(BinaryOp::FloorDiv, self, other.operand().0))
    }

    /// `np.logical_and` (inputs converted to bool).
    ///
    /// ```
    /// let m = lazynp::array([true, true]);
    /// assert_eq!(m.logical_and(&lazynp::array([1, 0])).to_vec::<bool>()?, vec![true, false]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    #[track_caller]
    pub fn logical_and(&self, other: &Array) -> Array {
        ok(binary(
            BinaryOp::And,
            self.astype(DType::Bool),
            other.astype(DType::Bool),
        ))
    }

    /// `np.logical_or` (inputs converted to bool).
    ///
    /// ```
    /// let m = lazynp::array([true, false]);
    /// assert_eq!(m.logical_or(&lazynp::array([0, 0])).to_vec::<bool>()?, vec![true, false]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    #[track_caller]
    pub fn logical_or(&self, other: &Array) -> Array {
        ok(binary(
            BinaryOp::Or,
            self.astype(DType::Bool),
            other.astype(DType::Bool),
        ))
    }

    /// `x.astype(dtype)`: C-style conversion as NumPy does it on x86 (floats truncate toward
    /// zero; NaN and out-of-range floats give the integer minimum for 32/64-bit targets).
    ///
    /// ```
    /// use lazynp::DType;
    /// let y = lazynp::array([1.7f64, -1.7]).astype(DType::I32);
    /// assert_eq!(y.to_vec::<i32>()?, vec![1, -1]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    pub fn astype(&self, dtype: DType) -> Array {
        cast(self, dtype)
    }

    /// `1 / (1 + exp(-x))`, composed from primitives.
    ///
    /// ```
    /// assert_eq!(lazynp::array([0.0f32]).sigmoid().to_vec::<f32>()?, vec![0.5]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    #[track_caller]
    pub fn sigmoid(&self) -> Array {
        let x = cast(self, super::ops::float_for(self.dtype()));
        1.0 / (1.0 + (-&x).exp())
    }

    /// `np.maximum(x, 0)`.
    ///
    /// ```
    /// assert_eq!(lazynp::array([-1.0f64, 2.0]).relu().to_vec::<f64>()?, vec![0.0, 2.0]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    #[track_caller]
    pub fn relu(&self) -> Array {
        ok(binary(BinaryOp::Maximum, self, 0i64))
    }

    /// `np.clip(x, lo, hi)` = `minimum(maximum(x, lo), hi)`.
    ///
    /// ```
    /// let y = lazynp::array([-1.0f64, 0.5, 2.0]).clip(0.0, 1.0);
    /// assert_eq!(y.to_vec::<f64>()?, vec![0.0, 0.5, 1.0]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    #[track_caller]
    pub fn clip(&self, lo: impl ArrayOrScalar, hi: impl ArrayOrScalar) -> Array {
        let lower = ok(binary(BinaryOp::Maximum, self, lo.operand().0));
        ok(binary(BinaryOp::Minimum, &lower, hi.operand().0))
    }

    /// `x ** 2` as `x * x`.
    ///
    /// ```
    /// assert_eq!(lazynp::array([3i32]).square().to_vec::<i32>()?, vec![9]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    pub fn square(&self) -> Array {
        ok(binary(BinaryOp::Mul, self, self))
    }
}

/// `np.maximum(a, b)`: elementwise maximum, NaN propagates.
///
/// ```
/// let m = lazynp::maximum(&lazynp::array([1.0, 5.0]), &lazynp::array([3.0, 2.0]));
/// assert_eq!(m.to_vec::<f64>()?, vec![3.0, 5.0]);
/// # Ok::<(), lazynp::Error>(())
/// ```
#[track_caller]
pub fn maximum(a: impl ArrayOrScalar, b: impl ArrayOrScalar) -> Array {
    ok(binary(BinaryOp::Maximum, a.operand().0, b.operand().0))
}

/// `np.minimum(a, b)`: elementwise minimum, NaN propagates.
///
/// ```
/// let m = lazynp::minimum(&lazynp::array([1.0, 5.0]), 2.0);
/// assert_eq!(m.to_vec::<f64>()?, vec![1.0, 2.0]);
/// # Ok::<(), lazynp::Error>(())
/// ```
#[track_caller]
pub fn minimum(a: impl ArrayOrScalar, b: impl ArrayOrScalar) -> Array {
    ok(binary(BinaryOp::Minimum, a.operand().0, b.operand().0))
}

/// `np.where(cond, a, b)` with broadcasting and promotion of `a` and `b`.
///
/// ```
/// let c = lazynp::array([true, false]);
/// let y = lazynp::where_(&c, &lazynp::array([1.0, 2.0]), 0.0);
/// assert_eq!(y.to_vec::<f64>()?, vec![1.0, 0.0]);
/// # Ok::<(), lazynp::Error>(())
/// ```
#[track_caller]
pub fn where_(cond: &Array, a: impl ArrayOrScalar, b: impl ArrayOrScalar) -> Array {
    ok(try_where(cond, a.operand().0, b.operand().0))
}

pub(crate) fn try_where(cond: &Array, a: Operand, b: Operand) -> Result<Array> {
    let dt = result_dtype(&a, &b);
    let to_array = |o: Operand| -> Result<Array> {
        match o {
            Operand::Array(x) => Ok(cast(&x, dt)),
            Operand::Weak(s) => Ok(super::ops::constant(s, dt, &[])),
        }
    };
    let (a, b) = (to_array(a)?, to_array(b)?);
    let c = cast(cond, DType::Bool);
    let shape = broadcast_shapes(&[c.shape(), a.shape(), b.shape()])?;
    crate::shape::check_shape(&shape, dt.size())?;
    let (c, a, b) = (
        broadcast(&c, &shape),
        broadcast(&a, &shape),
        broadcast(&b, &shape),
    );
    Ok(Array::build(Op::Where, dt, shape, &[&c, &a, &b]))
}
