//! Elementwise building blocks with NumPy promotion and broadcasting, and `std::ops`.
//!
//! | Rust | NumPy | notes |
//! | --- | --- | --- |
//! | `&a + &b`, `a + 1.0`, `2 - &a` | `a + b` | Rust scalars are weak (NEP 50) |
//! | `&a * &b`, `&a / &b` | `*`, `/` | int / int gives float64 |
//! | `&a % &b` | `%` | sign of the divisor; int % 0 gives 0 |
//! | `-&a`, `!&m` | `-a`, `~m` | `-` on bool panics as NumPy raises |
//! | `&m & &n`, `&m \| &n`, `&m ^ &n` | `&`, `\|`, `^` | bool and integer only |

use super::{Array, ok};
use crate::dtype::{DType, Kind, Scalar, promote, promote_weak};
use crate::error::{Error, Result};
use crate::ir::{BinaryOp, Op, UnaryOp};
use crate::shape::broadcast_shapes;

/// A Rust scalar usable as a weak operand (`&a * 2.0`). Implemented for the numeric types.
pub trait IntoScalar: Copy {
    /// The value.
    fn into_scalar(self) -> Scalar;
}

macro_rules! impl_into_scalar {
    ($variant:ident: $($t:ty),*) => {$(
        impl IntoScalar for $t {
            fn into_scalar(self) -> Scalar {
                Scalar::$variant(self as _)
            }
        }
    )*};
}
impl_into_scalar!(Int: i8, i16, i32, i64, isize);
impl_into_scalar!(UInt: u8, u16, u32, u64, usize);
impl_into_scalar!(Float: f32, f64);
impl IntoScalar for Scalar {
    fn into_scalar(self) -> Scalar {
        self
    }
}
impl IntoScalar for bool {
    fn into_scalar(self) -> Scalar {
        Scalar::Bool(self)
    }
}

/// An operand of a binary op: an array, or a weak scalar.
#[derive(Clone)]
pub(crate) enum Operand {
    Array(Array),
    Weak(Scalar),
}

impl From<&Array> for Operand {
    fn from(a: &Array) -> Self {
        Operand::Array(a.clone())
    }
}

impl<S: IntoScalar> From<S> for Operand {
    fn from(s: S) -> Self {
        Operand::Weak(s.into_scalar())
    }
}

/// Something that can stand on the right of a comparison or `maximum`: an array or a scalar.
pub trait ArrayOrScalar {
    /// Converts to an operand.
    #[doc(hidden)]
    fn operand(&self) -> OperandRef;
}

/// Opaque operand handle (see [`ArrayOrScalar`]).
#[doc(hidden)]
pub struct OperandRef(pub(crate) Operand);

impl ArrayOrScalar for Array {
    fn operand(&self) -> OperandRef {
        OperandRef(Operand::Array(self.clone()))
    }
}
impl ArrayOrScalar for &Array {
    fn operand(&self) -> OperandRef {
        OperandRef(Operand::Array((*self).clone()))
    }
}
macro_rules! impl_array_or_scalar {
    ($($t:ty),*) => {$(
        impl ArrayOrScalar for $t {
            fn operand(&self) -> OperandRef {
                OperandRef(Operand::Weak(self.into_scalar()))
            }
        }
    )*};
}
impl_array_or_scalar!(
    i8, i16, i32, i64, isize, u8, u16, u32, u64, usize, f32, f64, bool
);

/// A constant array of `shape` (no storage).
pub(crate) fn constant(value: Scalar, dtype: DType, shape: &[usize]) -> Array {
    Array::build(Op::Const(value.cast(dtype)), dtype, shape.to_vec(), &[])
}

/// A weak scalar as a constant of `dtype` and `shape`, refusing out-of-range ints as NumPy 2
/// does.
pub(crate) fn weak_to(s: Scalar, dtype: DType, shape: &[usize]) -> Result<Array> {
    if let (Some((lo, hi)), Scalar::Int(_) | Scalar::UInt(_)) = (dtype.int_range(), s) {
        let v = match s {
            Scalar::Int(i) => i as i128,
            Scalar::UInt(u) => u as i128,
            _ => unreachable!(),
        };
        if dtype != DType::Bool && (v < lo || v > hi) {
            return Err(Error::Invalid {
                op: "OverflowError",
                msg: format!("Python integer {v} out of bounds for {dtype}"),
            });
        }
    }
    Ok(constant(s, dtype, shape))
}

/// The dtype an operand has, and whether it is weak.
fn operand_dtype(o: &Operand) -> (DType, Option<Kind>) {
    match o {
        Operand::Array(a) => (a.dtype(), None),
        Operand::Weak(s) => (
            match s.kind() {
                Kind::Bool => DType::Bool,
                Kind::Int => DType::I64,
                Kind::Float => DType::F64,
            },
            Some(s.kind()),
        ),
    }
}

/// NumPy's result dtype of two operands (NEP 50 weak scalars).
pub(crate) fn result_dtype(a: &Operand, b: &Operand) -> DType {
    match (operand_dtype(a), operand_dtype(b)) {
        ((da, None), (db, None)) => promote(da, db),
        ((da, None), (_, Some(k))) => promote_weak(da, k),
        ((_, Some(k)), (db, None)) => promote_weak(db, k),
        ((da, Some(_)), (db, Some(_))) => promote(da, db),
    }
}

/// Casts an array to `dtype` (no node if it already has it).
pub(crate) fn cast(a: &Array, dtype: DType) -> Array {
    if a.dtype() == dtype {
        return a.clone();
    }
    Array::build(Op::Cast(dtype), dtype, a.shape().to_vec(), &[a])
}

/// Broadcasts an array to `shape` through a view (no node if it already has it).
pub(crate) fn broadcast(a: &Array, shape: &[usize]) -> Array {
    if a.shape() == shape {
        return a.clone();
    }
    if let Op::Const(s) = a.node().op
        && !a.is_realized()
    {
        return constant(s, a.dtype(), shape);
    }
    let (base, view) = a.as_view();
    Array::view_of(&base, view.broadcast_to(shape))
}

fn materialize(o: &Operand, dtype: DType) -> Result<Array> {
    match o {
        Operand::Array(a) => Ok(cast(a, dtype)),
        Operand::Weak(s) => weak_to(*s, dtype, &[]),
    }
}

fn name(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "add",
        BinaryOp::Sub => "subtract",
        BinaryOp::Mul => "multiply",
        BinaryOp::Div => "divide",
        BinaryOp::FloorDiv => "floor_divide",
        BinaryOp::Mod => "remainder",
        BinaryOp::Pow => "power",
        BinaryOp::Maximum => "maximum",
        BinaryOp::Minimum => "minimum",
        BinaryOp::Eq => "equal",
        BinaryOp::Ne => "not_equal",
        BinaryOp::Lt => "less",
        BinaryOp::Le => "less_equal",
        BinaryOp::Gt => "greater",
        BinaryOp::Ge => "greater_equal",
        BinaryOp::And => "bitwise_and",
        BinaryOp::Or => "bitwise_or",
        BinaryOp::Xor => "bitwise_xor",
    }
}

/// Builds `a op b` with NumPy promotion and broadcasting.
pub(crate) fn binary(op: BinaryOp, a: impl Into<Operand>, b: impl Into<Operand>) -> Result<Array> {
    let (a, b) = (a.into(), b.into());
    let common = result_dtype(&a, &b);
    let compute = match op {
        BinaryOp::Div => common.float_result(),
        BinaryOp::FloorDiv | BinaryOp::Mod | BinaryOp::Pow if common == DType::Bool => DType::I8,
        BinaryOp::Sub if common == DType::Bool => {
            return Err(Error::Invalid {
                op: "subtract",
                msg: "numpy boolean subtract, the `-` operator, is not supported, use the bitwise_xor, the `^` operator, or the logical_xor function instead.".into(),
            });
        }
        BinaryOp::And | BinaryOp::Or | BinaryOp::Xor if common.is_float() => {
            return Err(Error::UnsupportedDType {
                op: name(op),
                dtype: common,
            });
        }
        _ => common,
    };
    fn dims(o: &Operand) -> &[usize] {
        match o {
            Operand::Array(arr) => arr.shape(),
            Operand::Weak(_) => &[],
        }
    }
    if op == BinaryOp::Pow
        && compute.is_int()
        && let Operand::Weak(Scalar::Int(e)) = b
        && e < 0
    {
        // NumPy raises when the call is made; array exponents are checked when evaluated.
        return Err(Error::NegativeIntegerPower);
    }
    let shape = broadcast_shapes(&[dims(&a), dims(&b)])?;
    // Each operand, and the result, must exist at its dtype's size.
    crate::shape::check_shape(&shape, compute.size())?;
    // A weak scalar becomes one constant node of the result's shape (no storage).
    let at = |o: &Operand| -> Result<Array> {
        match o {
            Operand::Weak(s) => weak_to(*s, compute, &shape),
            Operand::Array(_) => Ok(broadcast(&materialize(o, compute)?, &shape)),
        }
    };
    let (x, y) = (at(&a)?, at(&b)?);
    let out = if op.is_comparison() {
        DType::Bool
    } else {
        compute
    };
    Ok(Array::build(Op::Binary(op), out, shape, &[&x, &y]))
}

/// Builds a unary op; `float` casts bool/int inputs to the float type NumPy's loops use.
pub(crate) fn unary(op: UnaryOp, a: &Array) -> Result<Array> {
    let dt = a.dtype();
    let input = match op {
        UnaryOp::Sqrt
        | UnaryOp::Exp
        | UnaryOp::Log
        | UnaryOp::Log1p
        | UnaryOp::Expm1
        | UnaryOp::Tanh
        | UnaryOp::Sin
        | UnaryOp::Cos
        | UnaryOp::Rint => cast(a, float_for(dt)),
        UnaryOp::Neg if dt == DType::Bool => {
            return Err(Error::Invalid {
                op: "negative",
                msg: "The numpy boolean negative, the `-` operator, is not supported, use the `~` operator or the logical_not function instead.".into(),
            });
        }
        UnaryOp::Not if dt.is_float() => {
            return Err(Error::UnsupportedDType {
                op: "invert",
                dtype: dt,
            });
        }
        UnaryOp::Sign if dt == DType::Bool => {
            return Err(Error::UnsupportedDType {
                op: "sign",
                dtype: dt,
            });
        }
        _ => a.clone(),
    };
    let out = if op.is_predicate() {
        DType::Bool
    } else {
        input.dtype()
    };
    Ok(Array::build(
        Op::Unary(op),
        out,
        a.shape().to_vec(),
        &[&input],
    ))
}

/// The float type NumPy computes math functions of `dt` in (float16 is float32 here).
pub(crate) fn float_for(dt: DType) -> DType {
    match dt {
        DType::F32 | DType::F64 => dt,
        DType::Bool | DType::I8 | DType::U8 | DType::I16 | DType::U16 => DType::F32,
        _ => DType::F64,
    }
}

macro_rules! impl_binop {
    ($trait:ident, $method:ident, $op:expr) => {
        impl<B: Into<Operand>> std::ops::$trait<B> for &Array {
            type Output = Array;
            #[track_caller]
            fn $method(self, rhs: B) -> Array {
                ok(binary($op, self, rhs))
            }
        }
        impl<B: Into<Operand>> std::ops::$trait<B> for Array {
            type Output = Array;
            #[track_caller]
            fn $method(self, rhs: B) -> Array {
                ok(binary($op, &self, rhs))
            }
        }
        impl std::ops::$trait<&Array> for f64 {
            type Output = Array;
            #[track_caller]
            fn $method(self, rhs: &Array) -> Array {
                ok(binary($op, self, rhs))
            }
        }
        impl std::ops::$trait<Array> for f64 {
            type Output = Array;
            #[track_caller]
            fn $method(self, rhs: Array) -> Array {
                ok(binary($op, self, &rhs))
            }
        }
        impl std::ops::$trait<&Array> for i64 {
            type Output = Array;
            #[track_caller]
            fn $method(self, rhs: &Array) -> Array {
                ok(binary($op, self, rhs))
            }
        }
        impl std::ops::$trait<Array> for i64 {
            type Output = Array;
            #[track_caller]
            fn $method(self, rhs: Array) -> Array {
                ok(binary($op, self, &rhs))
            }
        }
    };
}

impl From<Array> for Operand {
    fn from(a: Array) -> Self {
        Operand::Array(a)
    }
}

impl_binop!(Add, add, BinaryOp::Add);
impl_binop!(Sub, sub, BinaryOp::Sub);
impl_binop!(Mul, mul, BinaryOp::Mul);
impl_binop!(Div, div, BinaryOp::Div);
impl_binop!(Rem, rem, BinaryOp::Mod);
impl_binop!(BitAnd, bitand, BinaryOp::And);
impl_binop!(BitOr, bitor, BinaryOp::Or);
impl_binop!(BitXor, bitxor, BinaryOp::Xor);

impl std::ops::Neg for &Array {
    type Output = Array;
    #[track_caller]
    fn neg(self) -> Array {
        ok(unary(UnaryOp::Neg, self))
    }
}
impl std::ops::Neg for Array {
    type Output = Array;
    #[track_caller]
    fn neg(self) -> Array {
        ok(unary(UnaryOp::Neg, &self))
    }
}
impl std::ops::Not for &Array {
    type Output = Array;
    #[track_caller]
    fn not(self) -> Array {
        ok(unary(UnaryOp::Not, self))
    }
}
impl std::ops::Not for Array {
    type Output = Array;
    #[track_caller]
    fn not(self) -> Array {
        ok(unary(UnaryOp::Not, &self))
    }
}

impl Array {
    /// `self op other` without panicking: the shape or dtype error is returned instead.
    ///
    /// ```
    /// use lazynp::{array, BinaryOp};
    /// let a = array([[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    /// let e = a.try_binary(BinaryOp::Add, &array([1.0f64, 2.0, 3.0, 4.0])).unwrap_err();
    /// assert_eq!(e.to_string(), "operands could not be broadcast together with shapes (2,3) (4,)");
    /// ```
    pub fn try_binary(&self, op: BinaryOp, other: &Array) -> Result<Array> {
        binary(op, self, other)
    }
}
