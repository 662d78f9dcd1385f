//! Writing into arrays the NumPy way, as lazy functional updates.
//!
//! | NumPy | lazynp |
//! | --- | --- |
//! | `x += y`, `m *= 0.9` | `x += &y; m *= 0.9;` |
//! | `x[:, 0] = v` | `x.assign(s![.., 0], v)` |
//! | `x[mask] = v` | `x.assign_mask(&mask, v)` |
//! | `x[idx] = v` (along `axis`) | `x.assign_index(&idx, axis, v)` |
//! | `np.add.at(x, idx, v)` | `np::add_at(&mut x, &idx, 0, v)` |
//! | JAX `x.at[i].set(v)` | `x.at(s![i]).set(v)` (returns a new array) |
//!
//! An update rebinds the handle to a new lazy value: `x.assign(..)` makes `x` point at "the old
//! `x` with these elements replaced". Nothing is copied when the update runs if no other handle
//! can see the old value: the update then writes into the old value's buffer
//! ([`Array::explain`] says so). Unlike NumPy, a view taken *before* an update keeps the old
//! values (lazy values are immutable; see the README).
//!
//! Values are cast to the target's dtype first (then combined in that dtype); compound
//! assignment follows NumPy's in-place rule: the result must cast back with `same_kind`.

use super::ops::{Operand, binary, broadcast, cast, result_dtype, weak_to};
use super::{Array, ArrayOrScalar, SliceInfo, ok};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ir::{BinaryOp, Op, UpdateMode, UpdateTarget};
use crate::runtime::Buffer;
use crate::shape::{View, broadcast_pair, normalize_axis, tuple};

/// Which elements an update writes: see [`Array::at`].
///
/// ```
/// use lazynp::{self as np, Selection};
/// // dscores[range(n), y] -= 1: one index per row, along axis 1.
/// let p = np::array([[0.2, 0.8], [0.6, 0.4]]);
/// let y = np::array([[1i64], [0]]);
/// let d = p.at(Selection::Along(y, 1)).sub(1.0);
/// assert_eq!(d.to_vec::<f64>()?, vec![0.2, 0.8 - 1.0, 0.6 - 1.0, 0.4]);
/// # Ok::<(), np::Error>(())
/// ```
#[derive(Clone)]
pub enum Selection {
    /// Basic indexing (`s![.., 0]`).
    Slice(SliceInfo),
    /// An integer index array along an axis (`x[idx]` is axis 0).
    Index(Array, usize),
    /// `np.put_along_axis` indices along an axis.
    Along(Array, usize),
    /// A boolean mask of the leading dimensions.
    Mask(Array),
}

impl From<SliceInfo> for Selection {
    fn from(s: SliceInfo) -> Self {
        Selection::Slice(s)
    }
}

/// An index array selects along axis 0 (`x[idx]`); a bool array is a mask (`x[mask]`).
impl From<&Array> for Selection {
    fn from(a: &Array) -> Self {
        if a.dtype() == DType::Bool {
            Selection::Mask(a.clone())
        } else {
            Selection::Index(a.clone(), 0)
        }
    }
}

/// NumPy's `can_cast(from, to, "same_kind")`: safe casts, or casts to a kind not lower
/// (bool < unsigned < signed < float). The rule of in-place operators (`x += y`).
///
/// ```
/// use lazynp::{can_cast_same_kind, DType};
/// assert!(can_cast_same_kind(DType::F64, DType::F32));
/// assert!(can_cast_same_kind(DType::U8, DType::I8));
/// assert!(!can_cast_same_kind(DType::F64, DType::I64));
/// assert!(!can_cast_same_kind(DType::I64, DType::U8));
/// ```
pub fn can_cast_same_kind(from: DType, to: DType) -> bool {
    let rank = |d: DType| {
        if d == DType::Bool {
            0
        } else if d.is_unsigned_int() {
            1
        } else if d.is_signed_int() {
            2
        } else {
            3
        }
    };
    rank(from) <= rank(to)
}

fn binary_of(mode: UpdateMode) -> Option<BinaryOp> {
    match mode {
        UpdateMode::Set => None,
        UpdateMode::Add => Some(BinaryOp::Add),
        UpdateMode::Sub => Some(BinaryOp::Sub),
        UpdateMode::Mul => Some(BinaryOp::Mul),
        UpdateMode::Min => Some(BinaryOp::Minimum),
        UpdateMode::Max => Some(BinaryOp::Maximum),
    }
}

/// `x op= v` (NumPy's in-place ufunc): the result of `x op v` must have `x`'s shape and cast
/// back to `x`'s dtype with `same_kind`.
pub(crate) fn compound(op: BinaryOp, x: &Array, v: Operand) -> Result<Array> {
    let r = binary(op, x, v)?;
    if r.shape() != x.shape() {
        return Err(Error::Invalid {
            op: "ValueError",
            msg: format!(
                "non-broadcastable output operand with shape {} doesn't match the broadcast shape {}",
                tuple(x.shape(), ","),
                tuple(r.shape(), ",")
            ),
        });
    }
    check_same_kind(ufunc_name_of(op), r.dtype(), x.dtype())?;
    Ok(cast(&r, x.dtype()))
}

fn ufunc_name_of(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "add",
        BinaryOp::Sub => "subtract",
        BinaryOp::Mul => "multiply",
        BinaryOp::Div => "divide",
        BinaryOp::Mod => "remainder",
        BinaryOp::And => "bitwise_and",
        BinaryOp::Or => "bitwise_or",
        BinaryOp::Xor => "bitwise_xor",
        _ => "ufunc",
    }
}

fn check_same_kind(name: &str, from: DType, to: DType) -> Result<()> {
    if can_cast_same_kind(from, to) {
        return Ok(());
    }
    Err(Error::Invalid {
        op: "UFuncTypeError",
        msg: format!(
            "Cannot cast ufunc '{name}' output from dtype('{from}') to dtype('{to}') with casting rule 'same_kind'"
        ),
    })
}

/// The values of an update as an array of `dtype` and `shape` (a scalar becomes a 0-d leaf
/// read with stride 0, so it is never materialised at the selection's size).
fn values_for(x: &Array, mode: UpdateMode, v: Operand, shape: &[usize]) -> Result<Array> {
    let dt = x.dtype();
    if mode != UpdateMode::Set {
        let common = result_dtype(&Operand::Array(x.clone()), &v);
        if mode == UpdateMode::Sub && common == DType::Bool {
            binary(BinaryOp::Sub, x, v.clone())?; // NumPy's boolean-subtract error
        }
    }
    let a = match v {
        Operand::Weak(s) => {
            let c = weak_to(s, dt, &[])?;
            let Op::Const(s) = c.node().op else {
                unreachable!("a weak scalar is a constant")
            };
            Array::from_buffer(Buffer::from_scalars(dt, std::iter::once(s)), ())?
        }
        Operand::Array(a) => cast(&a, dt),
    };
    if broadcast_pair(a.shape(), shape).as_deref() != Some(shape) {
        return Err(Error::Invalid {
            op: "ValueError",
            msg: format!(
                "could not broadcast input array from shape {} into shape {}",
                tuple(a.shape(), ","),
                tuple(shape, ",")
            ),
        });
    }
    Ok(broadcast(&a, shape))
}

/// The strided view of `x`'s C-order elements that `sel` selects (basic indexing).
fn selection_view(x: &Array, sel: &SliceInfo) -> Result<View> {
    // A stand-in node that is not a view, so slicing composes onto the identity view of `x`.
    let stand_in = Array::build(Op::Contiguous, x.dtype(), x.shape().to_vec(), &[x]);
    let s = stand_in.try_slice(sel)?;
    Ok(match &s.node().op {
        Op::View(v) => v.clone(),
        _ => View::contiguous(x.shape()),
    })
}

fn check_indices(op: &'static str, idx: &Array) -> Result<Array> {
    if !idx.dtype().is_int() {
        return Err(Error::Invalid {
            op,
            msg: "arrays used as indices must be of integer (or boolean) type".into(),
        });
    }
    Ok(cast(idx, DType::I64))
}

/// Builds the updated value of `x` (nothing is evaluated).
pub(crate) fn update(x: &Array, sel: &Selection, mode: UpdateMode, v: Operand) -> Result<Array> {
    let build = |target: UpdateTarget, extra: Option<&Array>, values: &Array| {
        let mut ins = vec![x];
        ins.extend(extra);
        ins.push(values);
        Array::build(
            Op::Update { mode, target },
            x.dtype(),
            x.shape().to_vec(),
            &ins,
        )
    };
    match sel {
        Selection::Slice(info) => {
            let view = selection_view(x, info)?;
            let values = values_for(x, mode, v, &view.shape)?;
            Ok(build(UpdateTarget::View(view), None, &values))
        }
        Selection::Index(idx, axis) => {
            let ax = normalize_axis(*axis as isize, x.ndim())?;
            let idx = check_indices("index", idx)?;
            let mut shape = x.shape()[..ax].to_vec();
            shape.extend_from_slice(idx.shape());
            shape.extend_from_slice(&x.shape()[ax + 1..]);
            let values = values_for(x, mode, v, &shape)?;
            Ok(build(UpdateTarget::Index { axis: ax }, Some(&idx), &values))
        }
        Selection::Along(idx, axis) => {
            let ax = normalize_axis(*axis as isize, x.ndim())?;
            let idx = check_indices("put_along_axis", idx)?;
            if idx.ndim() != x.ndim() {
                return Err(Error::Invalid {
                    op: "put_along_axis",
                    msg: "`indices` and `arr` must have the same number of dimensions".into(),
                });
            }
            let mut want = x.shape().to_vec();
            want[ax] = idx.shape()[ax];
            let shape = crate::shape::broadcast_shapes(&[idx.shape(), &want])?;
            let values = values_for(x, mode, v, &shape)?;
            let idx = broadcast(&idx, &shape);
            Ok(build(UpdateTarget::Along { axis: ax }, Some(&idx), &values))
        }
        Selection::Mask(mask) => update_mask(x, mask, mode, v, &build),
    }
}

fn update_mask(
    x: &Array,
    mask: &Array,
    mode: UpdateMode,
    v: Operand,
    build: &dyn Fn(UpdateTarget, Option<&Array>, &Array) -> Array,
) -> Result<Array> {
    let k = mask.ndim();
    if mask.dtype() != DType::Bool || k > x.ndim() || mask.shape() != &x.shape()[..k] {
        return Err(Error::Invalid {
            op: "index",
            msg: format!(
                "boolean index of shape {} ({}) does not match indexed array of shape {}",
                tuple(mask.shape(), ", "),
                mask.dtype(),
                tuple(x.shape(), ", "),
            ),
        });
    }
    let inner = &x.shape()[k..];
    let vshape: Vec<usize> = match &v {
        Operand::Array(a) => a.shape().to_vec(),
        Operand::Weak(_) => vec![],
    };
    // Values that do not depend on how many elements are selected: an elementwise `where`
    // (fused by the JIT), NumPy's result exactly.
    let mut padded = vec![1usize];
    padded.extend_from_slice(inner);
    if vshape.len() <= inner.len() + 1
        && broadcast_pair(&vshape, &padded).as_deref() == Some(&padded[..])
    {
        let m = mask.reshape_for_broadcast(x.ndim());
        let new = match binary_of(mode) {
            None => values_for(x, mode, v, x.shape())?,
            Some(op) => values_for(x, mode, Operand::Array(binary(op, x, v)?), x.shape())?,
        };
        return super::math::try_where(&m, Operand::Array(new), Operand::Array(x.clone()));
    }
    // One value row per selected element: the count is known at run time only.
    let rows = if vshape.len() == inner.len() + 1 {
        vshape[0]
    } else {
        1
    };
    let mut shape = vec![rows];
    shape.extend_from_slice(inner);
    let values = values_for(x, mode, v, &shape)?;
    Ok(build(UpdateTarget::Mask, Some(mask), &values))
}

impl Array {
    /// `m` with trailing axes of extent 1 so it broadcasts against `ndim` dimensions.
    fn reshape_for_broadcast(&self, ndim: usize) -> Array {
        let mut shape = self.shape().to_vec();
        shape.resize(ndim, 1);
        self.reshape(shape.iter().map(|&d| d as isize).collect::<Vec<_>>())
    }

    /// `x[sel] = v` (basic indexing: ints, ranges, steps, new axes): rebinds `x` to its
    /// updated value. `v` is an array broadcast to the selection, or a Rust scalar.
    ///
    /// ```
    /// use lazynp::{self as np, s};
    /// let mut x = np::zeros([2, 3], np::DType::F64);
    /// x.assign(s![.., 0], 1.0);
    /// x.assign(s![1, 1..], &np::array([5.0, 6.0]));
    /// assert_eq!(x.to_vec::<f64>()?, vec![1.0, 0.0, 0.0, 1.0, 5.0, 6.0]);
    /// # Ok::<(), np::Error>(())
    /// ```
    #[track_caller]
    pub fn assign(&mut self, sel: SliceInfo, v: impl ArrayOrScalar) {
        ok(self.try_assign(sel, v))
    }

    /// Non-panicking [`Array::assign`].
    ///
    /// ```
    /// use lazynp::{self as np, s};
    /// let mut x = np::zeros([3], np::DType::F64);
    /// let e = x.try_assign(s![0..2], &np::array([1.0, 2.0, 3.0])).unwrap_err();
    /// assert_eq!(e.to_string(), "ValueError: could not broadcast input array from shape (3,) into shape (2,)");
    /// ```
    pub fn try_assign(&mut self, sel: SliceInfo, v: impl ArrayOrScalar) -> Result<()> {
        *self = update(self, &Selection::Slice(sel), UpdateMode::Set, v.operand().0)?;
        Ok(())
    }

    /// `x[mask] = v`: `mask` is a bool array of `x`'s shape (or of its leading dimensions);
    /// `v` is a scalar, an array broadcast to every selected element, or one row per selected
    /// element (then the count is checked when the array is evaluated).
    ///
    /// ```
    /// use lazynp as np;
    /// let mut h = np::array([-1.0, 2.0, -3.0]);
    /// h.assign_mask(&h.le(0.0), 0.0);          // ReLU backward: dhidden[hidden <= 0] = 0
    /// assert_eq!(h.to_vec::<f64>()?, vec![0.0, 2.0, 0.0]);
    /// # Ok::<(), np::Error>(())
    /// ```
    #[track_caller]
    pub fn assign_mask(&mut self, mask: &Array, v: impl ArrayOrScalar) {
        ok(self.try_assign_mask(mask, v))
    }

    /// Non-panicking [`Array::assign_mask`].
    ///
    /// ```
    /// use lazynp as np;
    /// let mut x = np::zeros([3], np::DType::F64);
    /// let m = np::array([true, false, true]);
    /// x.try_assign_mask(&m, &np::array([1.0, 2.0, 3.0]))?; // built; checked when evaluated
    /// assert!(x.eval().is_err());
    /// # Ok::<(), np::Error>(())
    /// ```
    pub fn try_assign_mask(&mut self, mask: &Array, v: impl ArrayOrScalar) -> Result<()> {
        *self = update(
            self,
            &Selection::Mask(mask.clone()),
            UpdateMode::Set,
            v.operand().0,
        )?;
        Ok(())
    }

    /// `x[idx] = v` along `axis` (`x[:, idx] = v` for axis 1): repeated indices write again,
    /// the last write wins (as NumPy). Negative indices count from the end; an out-of-range
    /// index is an `Err` when the array is evaluated.
    ///
    /// ```
    /// use lazynp as np;
    /// let mut x = np::zeros([4], np::DType::I64);
    /// x.assign_index(&np::array([0i64, -1, 0]), 0, &np::array([1i64, 2, 3]));
    /// assert_eq!(x.to_vec::<i64>()?, vec![3, 0, 0, 2]);
    /// # Ok::<(), np::Error>(())
    /// ```
    #[track_caller]
    pub fn assign_index(&mut self, indices: &Array, axis: isize, v: impl ArrayOrScalar) {
        ok(self.try_assign_index(indices, axis, v))
    }

    /// Non-panicking [`Array::assign_index`].
    ///
    /// ```
    /// use lazynp as np;
    /// let mut x = np::zeros([3], np::DType::F64);
    /// x.try_assign_index(&np::array([5i64]), 0, 1.0)?;
    /// assert_eq!(x.eval().unwrap_err().to_string(), "index 5 is out of bounds for axis 0 with size 3");
    /// # Ok::<(), np::Error>(())
    /// ```
    pub fn try_assign_index(
        &mut self,
        indices: &Array,
        axis: isize,
        v: impl ArrayOrScalar,
    ) -> Result<()> {
        let ax = normalize_axis(axis, self.ndim())?;
        *self = update(
            self,
            &Selection::Index(indices.clone(), ax),
            UpdateMode::Set,
            v.operand().0,
        )?;
        Ok(())
    }

    /// JAX's functional update vocabulary: `x.at(sel).set(v)`, `.add(v)`, `.sub(v)`,
    /// `.mul(v)`, `.min(v)`, `.max(v)` return the updated array and leave `x` alone. `sel` is an
    /// `s![..]` expression, an integer index array (axis 0) or a bool mask. With an index array,
    /// repeated indices accumulate as in JAX and `np.add.at` (and `set`: the last write wins).
    ///
    /// ```
    /// use lazynp::{self as np, s};
    /// let x = np::zeros([3], np::DType::F64);
    /// let y = x.at(&np::array([0i64, 0, 2])).add(1.0);
    /// assert_eq!(y.to_vec::<f64>()?, vec![2.0, 0.0, 1.0]);
    /// assert_eq!(x.at(s![1..]).set(7.0).to_vec::<f64>()?, vec![0.0, 7.0, 7.0]);
    /// # Ok::<(), np::Error>(())
    /// ```
    pub fn at(&self, sel: impl Into<Selection>) -> At {
        At {
            x: self.clone(),
            sel: sel.into(),
        }
    }
}

/// A pending functional update, from [`Array::at`]: call `set`, `add`, `sub`, `mul`, `min` or
/// `max` (or their `try_` forms) to get the updated array.
///
/// ```
/// use lazynp::{self as np, s};
/// let x = np::array([1.0, 5.0, 3.0]);
/// assert_eq!(x.at(s![..]).min(2.0).to_vec::<f64>()?, vec![1.0, 2.0, 2.0]);
/// # Ok::<(), np::Error>(())
/// ```
pub struct At {
    x: Array,
    sel: Selection,
}

macro_rules! at_methods {
    ($($name:ident, $try:ident, $mode:ident, $doc:literal;)*) => {
        impl At {
            $(
                #[doc = concat!("The array with the selected elements ", $doc, " (panics with NumPy's message on a shape or dtype error).")]
                ///
                /// ```
                /// use lazynp as np;
                /// let y = np::array([1.0, 5.0]).at(&np::array([1i64])).max(3.0);
                /// assert_eq!(y.shape(), &[2]);
                /// ```
                #[track_caller]
                pub fn $name(&self, v: impl ArrayOrScalar) -> Array {
                    ok(self.$try(v))
                }

                #[doc = concat!("Non-panicking form of the update whose elements are ", $doc, ".")]
                ///
                /// ```
                /// use lazynp as np;
                /// let x = np::zeros([2], np::DType::F64);
                /// assert!(x.at(&np::array([0i64])).try_set(&np::zeros([3], np::DType::F64)).is_err());
                /// ```
                pub fn $try(&self, v: impl ArrayOrScalar) -> Result<Array> {
                    update(&self.x, &self.sel, UpdateMode::$mode, v.operand().0)
                }
            )*
        }
    };
}
at_methods! {
    set, try_set, Set, "replaced by `v`";
    add, try_add, Add, "incremented by `v`";
    sub, try_sub, Sub, "decremented by `v`";
    mul, try_mul, Mul, "multiplied by `v`";
    min, try_min, Min, "replaced by `np.minimum(x, v)`";
    max, try_max, Max, "replaced by `np.maximum(x, v)`";
}

macro_rules! ufunc_at {
    ($($name:ident, $try:ident, $mode:ident, $np:literal;)*) => {$(
        #[doc = concat!("`", $np, "(x, indices, values)` along `axis`: unbuffered, so repeated indices all apply (accumulate). `x` is rebound to the result. Values are cast to `x`'s dtype first.")]
        ///
        /// ```
        /// use lazynp as np;
        /// let mut x = np::zeros([3], np::DType::F64);
        /// np::add_at(&mut x, &np::array([0i64, 0, 2]), 0, &np::array([1.0, 2.0, 5.0]));
        /// assert_eq!(x.to_vec::<f64>()?, vec![3.0, 0.0, 5.0]);
        /// # Ok::<(), np::Error>(())
        /// ```
        #[track_caller]
        pub fn $name(x: &mut Array, indices: &Array, axis: isize, values: impl ArrayOrScalar) {
            ok($try(x, indices, axis, values))
        }

        #[doc = concat!("Non-panicking `", $np, "`.")]
        ///
        /// ```
        /// use lazynp as np;
        /// let mut x = np::zeros([3], np::DType::F64);
        /// assert!(np::try_add_at(&mut x, &np::array([0.5f64]), 0, 1.0).is_err());
        /// ```
        pub fn $try(x: &mut Array, indices: &Array, axis: isize, values: impl ArrayOrScalar) -> Result<()> {
            let ax = normalize_axis(axis, x.ndim())?;
            *x = update(x, &Selection::Index(indices.clone(), ax), UpdateMode::$mode, values.operand().0)?;
            Ok(())
        }
    )*};
}
ufunc_at! {
    add_at, try_add_at, Add, "np.add.at";
    subtract_at, try_subtract_at, Sub, "np.subtract.at";
    multiply_at, try_multiply_at, Mul, "np.multiply.at";
    maximum_at, try_maximum_at, Max, "np.maximum.at";
    minimum_at, try_minimum_at, Min, "np.minimum.at";
}

macro_rules! compound_ops {
    ($($trait:ident, $method:ident, $op:ident;)*) => {$(
        impl<B: Into<Operand>> std::ops::$trait<B> for Array {
            /// NumPy's in-place operator: panics with NumPy's message at the caller's line if
            /// the result does not cast back to the array's dtype (`same_kind`) or shape.
            #[track_caller]
            fn $method(&mut self, rhs: B) {
                *self = ok(compound(BinaryOp::$op, self, rhs.into()));
            }
        }
    )*};
}
compound_ops! {
    AddAssign, add_assign, Add;
    SubAssign, sub_assign, Sub;
    MulAssign, mul_assign, Mul;
    DivAssign, div_assign, Div;
    RemAssign, rem_assign, Mod;
    BitAndAssign, bitand_assign, And;
    BitOrAssign, bitor_assign, Or;
    BitXorAssign, bitxor_assign, Xor;
}

impl Array {
    /// `x op= v` without panicking (the `+=` family's `Result` form).
    ///
    /// ```
    /// use lazynp::{self as np, BinaryOp};
    /// let mut x = np::array([1i64, 2]);
    /// let e = x.try_op_assign(BinaryOp::Add, 1.5).unwrap_err();
    /// assert!(e.to_string().contains("Cannot cast ufunc 'add' output from dtype('float64') to dtype('int64') with casting rule 'same_kind'"));
    /// x.try_op_assign(BinaryOp::Mul, 3)?;
    /// assert_eq!(x.to_vec::<i64>()?, vec![3, 6]);
    /// # Ok::<(), np::Error>(())
    /// ```
    pub fn try_op_assign(&mut self, op: BinaryOp, v: impl ArrayOrScalar) -> Result<()> {
        *self = compound(op, self, v.operand().0)?;
        Ok(())
    }
}
