//! The interpreter's reductions: NumPy's pairwise float sum, sum/prod/max/min folds with
//! NaN propagation, all/any, argmax/argmin (the first NaN wins).

use super::{Float, filled, gather_view};
use crate::dtype::{DType, Element, Scalar};
use crate::ir::{BinaryOp, ReduceOp};
use crate::runtime::Buffer;
use crate::shape::View;
use crate::with_dtype;

/// Moves `axes` to the end and returns (rows, row length, data gathered in that order).
fn rows_last(x: &Buffer, shape: &[usize], axes: &[usize]) -> (usize, usize, Buffer) {
    let keep: Vec<usize> = (0..shape.len()).filter(|a| !axes.contains(a)).collect();
    let perm: Vec<usize> = keep.iter().chain(axes).copied().collect();
    let view = View::contiguous(shape).permute(&perm);
    let inner: usize = axes.iter().map(|&a| shape[a]).product();
    let outer: usize = keep.iter().map(|&a| shape[a]).product();
    (outer, inner, gather_view(x, &view))
}

/// NumPy's pairwise summation (blocks of 128 with 8 accumulators, then halving).
pub fn pairwise_sum<T: Float>(v: &[T]) -> T {
    let add = |a: T, b: T| a.binary(b, BinaryOp::Add);
    let zero = T::from_scalar(Scalar::Float(0.0));
    if v.is_empty() {
        return zero; // NumPy's identity: an empty sum is +0.0
    }
    if v.len() < 8 {
        // NumPy starts from -0.0 so that a sum of negative zeros stays -0.0.
        let mut s = T::from_scalar(Scalar::Float(-0.0));
        for &x in v {
            s = add(s, x);
        }
        s
    } else if v.len() <= 128 {
        let mut r = [zero; 8];
        r.copy_from_slice(&v[..8]);
        let mut i = 8;
        while i + 8 <= v.len() {
            for j in 0..8 {
                r[j] = add(r[j], v[i + j]);
            }
            i += 8;
        }
        let mut s = add(
            add(add(r[0], r[1]), add(r[2], r[3])),
            add(add(r[4], r[5]), add(r[6], r[7])),
        );
        for &x in &v[i..] {
            s = add(s, x);
        }
        s
    } else {
        let mut half = v.len() / 2;
        half -= half % 8;
        add(pairwise_sum(&v[..half]), pairwise_sum(&v[half..]))
    }
}

pub(super) fn reduce(
    op: ReduceOp,
    x: &Buffer,
    shape: &[usize],
    axes: &[usize],
    out: DType,
) -> Buffer {
    let (outer, inner, data) = rows_last(x, shape, axes);
    match op {
        ReduceOp::All | ReduceOp::Any => {
            let v = data.as_slice::<bool>();
            let r = (0..outer).map(|o| {
                let row = &v[o * inner..(o + 1) * inner];
                if op == ReduceOp::All {
                    row.iter().all(|&b| b)
                } else {
                    row.iter().any(|&b| b)
                }
            });
            filled::<bool>(outer, r)
        }
        ReduceOp::ArgMax | ReduceOp::ArgMin => with_dtype!(data.dtype(), T => {
            let v = data.as_slice::<T>();
            let r = (0..outer)
                .map(|o| arg_extreme(&v[o * inner..(o + 1) * inner], op == ReduceOp::ArgMax));
            filled::<i64>(outer, r)
        }),
        ReduceOp::Sum | ReduceOp::Prod | ReduceOp::Max | ReduceOp::Min => {
            debug_assert_eq!(out, data.dtype());
            with_dtype!(out, T => {
                let v = data.as_slice::<T>();
                let r = (0..outer).map(|o| fold_row::<T>(op, &v[o * inner..(o + 1) * inner]));
                filled::<T>(outer, r)
            })
        }
    }
}

/// Folds one row with a sum/prod/max/min of NumPy semantics.
fn fold_row<T: Arith>(op: ReduceOp, row: &[T]) -> T {
    match op {
        ReduceOp::Sum => T::sum(row),
        ReduceOp::Prod => row.iter().fold(T::one(), |a, &x| a.mul(x)),
        // Empty max/min is rejected when the node is built.
        ReduceOp::Max => row.iter().skip(1).fold(row[0], |a, &x| a.max_nan(x)),
        ReduceOp::Min => row.iter().skip(1).fold(row[0], |a, &x| a.min_nan(x)),
        _ => unreachable!("{op:?} is not a fold"),
    }
}

/// The arithmetic reductions and matmul need, per element type.
pub trait Arith: Element {
    /// Additive identity.
    fn zero() -> Self;
    /// Multiplicative identity.
    fn one() -> Self;
    /// `+` (wrapping; `or` for bool).
    fn add(self, o: Self) -> Self;
    /// `*` (wrapping; `and` for bool).
    fn mul(self, o: Self) -> Self;
    /// `np.maximum`.
    fn max_nan(self, o: Self) -> Self;
    /// `np.minimum`.
    fn min_nan(self, o: Self) -> Self;
    /// Sum of a row (pairwise for floats).
    fn sum(row: &[Self]) -> Self {
        row.iter().fold(Self::zero(), |a, &x| a.add(x))
    }
}

macro_rules! impl_arith_int {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            fn zero() -> Self { 0 }
            fn one() -> Self { 1 }
            fn add(self, o: Self) -> Self { self.wrapping_add(o) }
            fn mul(self, o: Self) -> Self { self.wrapping_mul(o) }
            fn max_nan(self, o: Self) -> Self { self.max(o) }
            fn min_nan(self, o: Self) -> Self { self.min(o) }
        }
    )*};
}
impl_arith_int!(i8, i16, i32, i64, u8, u16, u32, u64);

macro_rules! impl_arith_float {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            fn zero() -> Self { 0.0 }
            fn one() -> Self { 1.0 }
            fn add(self, o: Self) -> Self { self + o }
            fn mul(self, o: Self) -> Self { self * o }
            fn max_nan(self, o: Self) -> Self { self.binary(o, BinaryOp::Maximum) }
            fn min_nan(self, o: Self) -> Self { self.binary(o, BinaryOp::Minimum) }
            fn sum(row: &[Self]) -> Self { pairwise_sum(row) }
        }
    )*};
}
impl_arith_float!(f32, f64);

impl Arith for bool {
    fn zero() -> Self {
        false
    }
    fn one() -> Self {
        true
    }
    fn add(self, o: Self) -> Self {
        self | o
    }
    fn mul(self, o: Self) -> Self {
        self & o
    }
    fn max_nan(self, o: Self) -> Self {
        self | o
    }
    fn min_nan(self, o: Self) -> Self {
        self & o
    }
}

/// Index of the first maximum (or minimum); the first NaN wins, as in NumPy.
fn arg_extreme<T: Element>(row: &[T], max: bool) -> i64 {
    let vals: Vec<Scalar> = row.iter().map(|x| x.to_scalar()).collect();
    let mut best = 0usize;
    for (i, v) in vals.iter().enumerate().skip(1) {
        let b = vals[best];
        if let Scalar::Float(bf) = b
            && bf.is_nan()
        {
            return best as i64;
        }
        let better = match (v, b) {
            (Scalar::Float(x), _) if x.is_nan() => true,
            (Scalar::Int(x), Scalar::Int(y)) => {
                if max {
                    x > &y
                } else {
                    x < &y
                }
            }
            (Scalar::UInt(x), Scalar::UInt(y)) => {
                if max {
                    x > &y
                } else {
                    x < &y
                }
            }
            (Scalar::Bool(x), Scalar::Bool(y)) => {
                if max {
                    *x & !y
                } else {
                    !*x & y
                }
            }
            _ => {
                let (x, y) = (v.as_f64(), b.as_f64());
                if max { x > y } else { x < y }
            }
        };
        if better {
            best = i;
        }
    }
    if let Some(Scalar::Float(f)) = vals.get(best)
        && f.is_nan()
    {
        return best as i64;
    }
    best as i64
}
