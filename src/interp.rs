//! The reference interpreter: the meaning of every op, in plain Rust, for every dtype.
//!
//! Clarity over speed: every node produces a fresh C-contiguous buffer; views are gathered.
//! The compiled backends are tested against this file; NumPy fixtures test this file.

use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use crate::ir::{BinaryOp, Graph, Op, UnaryOp};
use crate::runtime::Buffer;
use crate::semantics;
use crate::shape::View;
use crate::with_dtype;
use std::sync::Arc;

mod reduce;
pub use reduce::Arith;
use reduce::reduce;

/// Evaluates `g`; returns the value of every node marked `materialize` (others are `None`).
pub fn run(g: &Graph) -> Result<Vec<Option<Arc<Buffer>>>> {
    let mut values: Vec<Option<Arc<Buffer>>> = vec![None; g.len()];
    let mut remaining = g.uses.clone();
    let mut out = vec![None; g.len()];
    for i in 0..g.len() {
        let node = &g.nodes[i];
        let value = match node.buffer() {
            Some(b) => b,
            None => {
                let ins: Vec<&Buffer> = g.inputs[i]
                    .iter()
                    .map(|&k| values[k].as_deref().expect("input evaluated before use"))
                    .collect();
                let in_shapes: Vec<&[usize]> = g.inputs[i]
                    .iter()
                    .map(|&k| g.nodes[k].shape.as_slice())
                    .collect();
                Arc::new(eval_node(
                    &node.op,
                    node.dtype,
                    &node.shape,
                    &ins,
                    &in_shapes,
                )?)
            }
        };
        if g.materialize[i] {
            out[i] = Some(value.clone());
        }
        values[i] = Some(value);
        for &k in &g.inputs[i] {
            remaining[k] -= 1;
            if remaining[k] == 0 {
                values[k] = None;
            }
        }
    }
    Ok(out)
}

/// Computes one op from its evaluated (C-contiguous) inputs.
pub fn eval_node(
    op: &Op,
    dtype: DType,
    shape: &[usize],
    ins: &[&Buffer],
    in_shapes: &[&[usize]],
) -> Result<Buffer> {
    let size: usize = shape.iter().product();
    Ok(match op {
        Op::Data => unreachable!("data nodes are realised"),
        Op::Const(s) => Buffer::from_scalars(dtype, std::iter::repeat_n(*s, size)),
        Op::Unary(u) => unary(*u, ins[0], dtype),
        Op::Binary(b) => {
            if *b == BinaryOp::Pow && dtype.is_int() {
                check_int_pow(ins[1])?;
            }
            binary(*b, ins[0], ins[1], dtype)
        }
        Op::Where => with_dtype!(dtype, T => {
            let (c, a, b) = (ins[0].as_slice::<bool>(), ins[1].as_slice::<T>(), ins[2].as_slice::<T>());
            filled::<T>(size, (0..size).map(|i| if c[i] { a[i] } else { b[i] }))
        }),
        Op::Cast(d) => cast(ins[0], *d),
        Op::View(v) => gather_view(ins[0], v),
        Op::Contiguous => (*ins[0]).clone(),
        Op::Reduce { op, axes } => reduce(*op, ins[0], in_shapes[0], axes, dtype),
        Op::Concat { axis } => concat(ins, in_shapes, *axis, dtype, shape),
        Op::Take { axis } => take(ins[0], in_shapes[0], ins[1], *axis)?,
        Op::Matmul => matmul(ins[0], ins[1], in_shapes[0], in_shapes[1], dtype),
        Op::Update { mode, target } => crate::interp_update::update(*mode, target, ins, in_shapes)?,
    })
}

/// Calls `f` with every multi-index of `shape` in C order.
pub fn for_each_index(shape: &[usize], mut f: impl FnMut(&[usize])) {
    if shape.contains(&0) {
        return;
    }
    let mut idx = vec![0usize; shape.len()];
    loop {
        f(&idx);
        let mut d = shape.len();
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

/// Reads `base` through a strided view into a new contiguous buffer.
pub fn gather_view(base: &Buffer, v: &View) -> Buffer {
    with_dtype!(base.dtype(), T => {
        let src = base.as_slice::<T>();
        let mut out = Buffer::zeroed(T::DTYPE, v.shape.iter().product());
        let dst = out.as_mut_slice::<T>();
        let mut k = 0;
        for_each_index(&v.shape, |idx| {
            dst[k] = src[v.index(idx) as usize];
            k += 1;
        });
        out
    })
}

fn cast(x: &Buffer, to: DType) -> Buffer {
    with_dtype!(to, T => {
        filled::<T>(x.len(), (0..x.len()).map(|i| T::from_scalar(x.get(i))))
    })
}

fn map<T: Element, U: Element>(x: &Buffer, f: impl Fn(T) -> U) -> Buffer {
    filled::<U>(x.len(), x.as_slice::<T>().iter().map(|&a| f(a)))
}

/// A new buffer of `n` elements from `values`. Allocated as a buffer, not a `Vec` first: a
/// failed allocation ends the evaluation with `Error::OutOfMemory` instead of aborting.
fn filled<T: Element>(n: usize, values: impl Iterator<Item = T>) -> Buffer {
    let mut out = Buffer::zeroed(T::DTYPE, n);
    for (dst, v) in out.as_mut_slice::<T>().iter_mut().zip(values) {
        *dst = v;
    }
    out
}

fn zip<T: Element, U: Element>(a: &Buffer, b: &Buffer, f: impl Fn(T, T) -> U) -> Buffer {
    let (a, b) = (a.as_slice::<T>(), b.as_slice::<T>());
    filled::<U>(a.len(), a.iter().zip(b).map(|(&x, &y)| f(x, y)))
}

/// Float arithmetic shared by f32 and f64 (NumPy's C loops, in Rust).
pub trait Float: Element + PartialOrd + std::ops::Neg<Output = Self> {
    /// Applies a unary op.
    fn unary(self, op: UnaryOp) -> Self;
    /// Applies an arithmetic binary op.
    fn binary(self, other: Self, op: BinaryOp) -> Self;
}

macro_rules! impl_float {
    ($t:ty) => {
        impl Float for $t {
            fn unary(self, op: UnaryOp) -> $t {
                let x = self;
                match op {
                    UnaryOp::Neg => -x,
                    UnaryOp::Abs => x.abs(),
                    UnaryOp::Sqrt => x.sqrt(),
                    UnaryOp::Exp => x.exp(),
                    UnaryOp::Log => x.ln(),
                    UnaryOp::Log1p => x.ln_1p(),
                    UnaryOp::Expm1 => x.exp_m1(),
                    UnaryOp::Tanh => x.tanh(),
                    UnaryOp::Sin => x.sin(),
                    UnaryOp::Cos => x.cos(),
                    UnaryOp::Floor => x.floor(),
                    UnaryOp::Ceil => x.ceil(),
                    UnaryOp::Rint => x.round_ties_even(),
                    UnaryOp::Sign => {
                        if x > 0.0 {
                            1.0
                        } else if x < 0.0 {
                            -1.0
                        } else if x == 0.0 {
                            0.0
                        } else {
                            x
                        }
                    }
                    UnaryOp::Not | UnaryOp::IsNan | UnaryOp::IsFinite => {
                        unreachable!("{op:?} on float is rejected by the API or bool-valued")
                    }
                }
            }
            fn binary(self, b: $t, op: BinaryOp) -> $t {
                let a = self;
                match op {
                    BinaryOp::Add => a + b,
                    BinaryOp::Sub => a - b,
                    BinaryOp::Mul => a * b,
                    BinaryOp::Div => a / b,
                    BinaryOp::FloorDiv => float_floor_div(a as f64, b as f64) as $t,
                    BinaryOp::Mod => float_mod(a as f64, b as f64) as $t,
                    BinaryOp::Pow => a.powf(b),
                    // NumPy returns the second operand when the two compare equal
                    // (maximum(-0.0, 0.0) is 0.0, maximum(0.0, -0.0) is -0.0).
                    BinaryOp::Maximum => semantics::maximum(a, b),
                    BinaryOp::Minimum => semantics::minimum(a, b),
                    _ => unreachable!("{op:?} is not float arithmetic"),
                }
            }
        }
    };
}
impl_float!(f32);
impl_float!(f64);

pub use crate::semantics::{float_floor_div, float_mod};

/// Integer arithmetic shared by the eight integer types, widened to i128 where it helps.
pub trait Int: Element + Ord {
    /// Applies a binary op with NumPy's wrapping and zero-division rules.
    fn binary(self, other: Self, op: BinaryOp) -> Self;
    /// Applies a unary op.
    fn unary(self, op: UnaryOp) -> Self;
}

macro_rules! impl_int {
    ($t:ty, $signed:expr) => {
        #[allow(unused_comparisons)]
        impl Int for $t {
            fn binary(self, b: $t, op: BinaryOp) -> $t {
                let a = self;
                match op {
                    BinaryOp::Add => a.wrapping_add(b),
                    BinaryOp::Sub => a.wrapping_sub(b),
                    BinaryOp::Mul => a.wrapping_mul(b),
                    // Widened to i128, truncated back: NumPy's wrapping (MIN // -1 == MIN).
                    BinaryOp::FloorDiv => semantics::int_floor_div(a as i128, b as i128) as $t,
                    BinaryOp::Mod => semantics::int_mod(a as i128, b as i128) as $t,
                    // Negative exponents are rejected before (`check_int_pow`).
                    BinaryOp::Pow => semantics::int_pow(a as i128, b as i128).unwrap_or(0) as $t,
                    BinaryOp::Maximum => a.max(b),
                    BinaryOp::Minimum => a.min(b),
                    BinaryOp::And => a & b,
                    BinaryOp::Or => a | b,
                    BinaryOp::Xor => a ^ b,
                    BinaryOp::Div
                    | BinaryOp::Eq
                    | BinaryOp::Ne
                    | BinaryOp::Lt
                    | BinaryOp::Le
                    | BinaryOp::Gt
                    | BinaryOp::Ge => unreachable!("{op:?} is not integer arithmetic"),
                }
            }
            fn unary(self, op: UnaryOp) -> $t {
                let x = self;
                match op {
                    UnaryOp::Neg => x.wrapping_neg(),
                    UnaryOp::Abs => {
                        if $signed && x < (0 as $t) {
                            x.wrapping_neg()
                        } else {
                            x
                        }
                    }
                    UnaryOp::Sign => {
                        if x > 0 {
                            1
                        } else if x == 0 {
                            0
                        } else {
                            (0 as $t).wrapping_sub(1)
                        }
                    }
                    UnaryOp::Not => !x,
                    UnaryOp::Floor | UnaryOp::Ceil | UnaryOp::Rint => x,
                    _ => unreachable!("{op:?} on integers is cast to float by the API"),
                }
            }
        }
    };
}
impl_int!(i8, true);
impl_int!(i16, true);
impl_int!(i32, true);
impl_int!(i64, true);
impl_int!(u8, false);
impl_int!(u16, false);
impl_int!(u32, false);
impl_int!(u64, false);

/// NumPy raises for an integer power with any negative exponent: checks the exponents of an
/// integer `Pow` before it is computed.
fn check_int_pow(exponents: &Buffer) -> Result<()> {
    let negative = match exponents.dtype() {
        DType::I8 => exponents.as_slice::<i8>().iter().any(|&e| e < 0),
        DType::I16 => exponents.as_slice::<i16>().iter().any(|&e| e < 0),
        DType::I32 => exponents.as_slice::<i32>().iter().any(|&e| e < 0),
        DType::I64 => exponents.as_slice::<i64>().iter().any(|&e| e < 0),
        _ => false,
    };
    if negative {
        Err(Error::NegativeIntegerPower)
    } else {
        Ok(())
    }
}

fn unary(op: UnaryOp, x: &Buffer, out: DType) -> Buffer {
    let dt = x.dtype();
    match op {
        UnaryOp::IsNan => match dt {
            DType::F32 => map(x, |a: f32| a.is_nan()),
            DType::F64 => map(x, |a: f64| a.is_nan()),
            _ => filled::<bool>(x.len(), std::iter::repeat(false)),
        },
        UnaryOp::IsFinite => match dt {
            DType::F32 => map(x, |a: f32| a.is_finite()),
            DType::F64 => map(x, |a: f64| a.is_finite()),
            _ => filled::<bool>(x.len(), std::iter::repeat(true)),
        },
        _ => {
            debug_assert_eq!(out, dt);
            match dt {
                DType::F32 => map(x, |a: f32| a.unary(op)),
                DType::F64 => map(x, |a: f64| a.unary(op)),
                DType::Bool => map(x, |a: bool| match op {
                    UnaryOp::Not => !a,
                    UnaryOp::Abs
                    | UnaryOp::Floor
                    | UnaryOp::Ceil
                    | UnaryOp::Rint
                    | UnaryOp::Sign => a,
                    _ => unreachable!("{op:?} on bool is rejected by the API"),
                }),
                _ => with_int!(dt, T => map(x, |a: T| Int::unary(a, op))),
            }
        }
    }
}

fn compare<T: Element + PartialOrd>(op: BinaryOp, a: T, b: T) -> bool {
    match op {
        BinaryOp::Eq => a == b,
        BinaryOp::Ne => a != b,
        BinaryOp::Lt => a < b,
        BinaryOp::Le => a <= b,
        BinaryOp::Gt => a > b,
        BinaryOp::Ge => a >= b,
        _ => unreachable!(),
    }
}

fn binary(op: BinaryOp, a: &Buffer, b: &Buffer, out: DType) -> Buffer {
    let dt = a.dtype();
    if op.is_comparison() {
        return with_dtype!(dt, T => zip(a, b, |x: T, y: T| compare(op, x, y)));
    }
    debug_assert_eq!(out, dt);
    match dt {
        DType::F32 => zip(a, b, |x: f32, y: f32| x.binary(y, op)),
        DType::F64 => zip(a, b, |x: f64, y: f64| x.binary(y, op)),
        DType::Bool => zip(a, b, |x: bool, y: bool| match op {
            BinaryOp::Add | BinaryOp::Or | BinaryOp::Maximum => x | y,
            BinaryOp::Mul | BinaryOp::And | BinaryOp::Minimum => x & y,
            BinaryOp::Xor | BinaryOp::Sub => x ^ y,
            _ => unreachable!("{op:?} on bool is rejected by the API"),
        }),
        _ => with_int!(dt, T => zip(a, b, |x: T, y: T| Int::binary(x, y, op))),
    }
}

/// Like `with_dtype!` for the integer dtypes only.
macro_rules! with_int {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            DType::I8 => {
                type $T = i8;
                $body
            }
            DType::I16 => {
                type $T = i16;
                $body
            }
            DType::I32 => {
                type $T = i32;
                $body
            }
            DType::I64 => {
                type $T = i64;
                $body
            }
            DType::U8 => {
                type $T = u8;
                $body
            }
            DType::U16 => {
                type $T = u16;
                $body
            }
            DType::U32 => {
                type $T = u32;
                $body
            }
            DType::U64 => {
                type $T = u64;
                $body
            }
            other => unreachable!("{other} is not an integer dtype"),
        }
    };
}
use with_int;

fn concat(
    ins: &[&Buffer],
    shapes: &[&[usize]],
    axis: usize,
    dtype: DType,
    shape: &[usize],
) -> Buffer {
    let outer: usize = shape[..axis].iter().product();
    let mut out = Buffer::zeroed(dtype, shape.iter().product());
    let es = dtype.size();
    let dst = out.as_bytes_mut();
    let mut pos = 0;
    for o in 0..outer {
        for (b, s) in ins.iter().zip(shapes) {
            let block: usize = s[axis..].iter().product::<usize>() * es;
            dst[pos..pos + block].copy_from_slice(&b.as_bytes()[o * block..(o + 1) * block]);
            pos += block;
        }
    }
    out
}

fn take(x: &Buffer, shape: &[usize], idx: &Buffer, axis: usize) -> Result<Buffer> {
    let n = shape[axis];
    let outer: usize = shape[..axis].iter().product();
    let inner: usize = shape[axis + 1..].iter().product::<usize>() * x.dtype().size();
    // Indices arrive as int64, or as uint64 (not cast: 2^64 - 1 must not become -1).
    let indices: Vec<i128> = match idx.dtype() {
        DType::U64 => idx.as_slice::<u64>().iter().map(|&i| i as i128).collect(),
        _ => idx.as_slice::<i64>().iter().map(|&i| i as i128).collect(),
    };
    let mut norm = Vec::with_capacity(indices.len());
    for &i in &indices {
        let k = if i < 0 { i + n as i128 } else { i };
        if k < 0 || k >= n as i128 {
            return Err(Error::IndexOutOfBounds {
                index: i,
                axis,
                size: n,
            });
        }
        norm.push(k as usize);
    }
    let mut out = Buffer::try_zeroed(
        x.dtype(),
        outer * indices.len() * inner / x.dtype().size().max(1),
    )?;
    let dst = out.as_bytes_mut();
    let src = x.as_bytes();
    let mut pos = 0;
    for o in 0..outer {
        for &k in &norm {
            let at = (o * n + k) * inner;
            dst[pos..pos + inner].copy_from_slice(&src[at..at + inner]);
            pos += inner;
        }
    }
    Ok(out)
}

fn matmul(a: &Buffer, b: &Buffer, sa: &[usize], sb: &[usize], dtype: DType) -> Buffer {
    let nd = sa.len();
    let (m, k, n) = (sa[nd - 2], sa[nd - 1], sb[nd - 1]);
    let batch: usize = sa[..nd - 2].iter().product();
    with_dtype!(dtype, T => {
        let (x, y) = (a.as_slice::<T>(), b.as_slice::<T>());
        let mut buf = Buffer::zeroed(T::DTYPE, batch * m * n);
        let out = buf.as_mut_slice::<T>();
        for bi in 0..batch {
            let (xo, yo, oo) = (bi * m * k, bi * k * n, bi * m * n);
            for i in 0..m {
                for j in 0..n {
                    let terms = (0..k).map(|p| (x[xo + i * k + p], y[yo + p * n + j]));
                    out[oo + i * n + j] = dot_terms::<T>(terms);
                }
            }
        }
        buf
    })
}

/// Sum of products in k order, with the element type's arithmetic (wrapping ints, bool or/and).
fn dot_terms<T: Arith>(terms: impl Iterator<Item = (T, T)>) -> T {
    terms.fold(T::zero(), |acc, (x, y)| acc.add(x.mul(y)))
}
