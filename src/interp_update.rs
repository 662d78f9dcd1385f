//! The reference meaning of [`Op::Update`](crate::ir::Op::Update), part of the interpreter
//! (kept in its own file): one value at a time, in C order of the values, through [`Scalar`]s.
//!
//! Clarity over speed. The runtime's update loop (`runtime::update`) is tested against this
//! file; NumPy fixtures (`tests/update_fixtures.rs`) test this file.

use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use crate::interp::for_each_index;
use crate::ir::{UpdateMode, UpdateTarget};
use crate::runtime::Buffer;
use crate::shape::c_strides;

/// Combines an old element with a value as `mode` says, in `dtype` (NumPy's ufunc semantics:
/// ints wrap, floats propagate NaN through minimum and maximum, bool add/mul are or/and).
pub fn combine(mode: UpdateMode, dtype: DType, old: Scalar, v: Scalar) -> Scalar {
    if mode == UpdateMode::Set {
        return v;
    }
    if dtype == DType::Bool {
        let (a, b) = (old.as_bool(), v.as_bool());
        return Scalar::Bool(match mode {
            UpdateMode::Add | UpdateMode::Max => a || b,
            UpdateMode::Mul | UpdateMode::Min => a && b,
            // Rejected by the API as NumPy rejects it; defined so the op is total.
            UpdateMode::Sub => a != b,
            UpdateMode::Set => unreachable!("handled above"),
        });
    }
    if dtype.is_float() {
        let (a, b) = (old.as_f64(), v.as_f64());
        let r = match mode {
            UpdateMode::Add => a + b,
            UpdateMode::Sub => a - b,
            UpdateMode::Mul => a * b,
            UpdateMode::Max if a.is_nan() || b.is_nan() => a + b,
            UpdateMode::Min if a.is_nan() || b.is_nan() => a + b,
            UpdateMode::Max => {
                if a >= b {
                    a
                } else {
                    b
                }
            }
            UpdateMode::Min => {
                if a <= b {
                    a
                } else {
                    b
                }
            }
            UpdateMode::Set => unreachable!("handled above"),
        };
        // f32 sums and products computed in f64 round to the f32 result exactly.
        return Scalar::Float(r).cast(dtype);
    }
    let wide = |s: Scalar| -> i128 {
        match s {
            Scalar::Int(i) => i as i128,
            Scalar::UInt(u) => u as i128,
            other => other.as_i64() as i128,
        }
    };
    let (a, b) = (wide(old), wide(v));
    let r = match mode {
        UpdateMode::Add => a + b,
        UpdateMode::Sub => a - b,
        UpdateMode::Mul => a.wrapping_mul(b),
        UpdateMode::Max => a.max(b),
        UpdateMode::Min => a.min(b),
        UpdateMode::Set => unreachable!("handled above"),
    };
    // Keep the low 64 bits, then narrow as `astype` does (wrapping).
    if dtype.is_signed_int() {
        Scalar::Int(r as i64).cast(dtype)
    } else {
        Scalar::UInt(r as u64).cast(dtype)
    }
}

/// Normalises index `i` (negative counts from the end) into `0..n`, or NumPy's IndexError.
pub fn normalize_index(i: i64, axis: usize, n: usize) -> Result<usize> {
    let k = if i < 0 { i + n as i64 } else { i };
    if k < 0 || k >= n as i64 {
        return Err(Error::IndexOutOfBounds {
            index: i as i128,
            axis,
            size: n,
        });
    }
    Ok(k as usize)
}

/// Evaluates an update from C-contiguous inputs: `ins[0]` the target, the last the values, and
/// for index and mask targets `ins[1]` the indices or mask.
pub fn update(
    mode: UpdateMode,
    target: &UpdateTarget,
    ins: &[&Buffer],
    in_shapes: &[&[usize]],
) -> Result<Buffer> {
    let x = ins[0];
    let shape = in_shapes[0];
    let dtype = x.dtype();
    let values = ins[ins.len() - 1];
    let vshape = in_shapes[ins.len() - 1];
    let xs = c_strides(shape);
    // Where each value goes, in the values' C order; every index is checked before any write.
    let mut dest: Vec<usize> = Vec::with_capacity(values.len());
    let mut source: Vec<usize> = Vec::with_capacity(values.len());
    match target {
        UpdateTarget::View(view) => {
            for_each_index(vshape, |m| dest.push(view.index(m) as usize));
            source.extend(0..values.len());
        }
        UpdateTarget::Index { axis } => {
            let idx = ins[1].as_slice::<i64>();
            let ni = in_shapes[1].len();
            // Every index is checked, even when no value reaches it (as NumPy does).
            for &i in idx {
                normalize_index(i, *axis, shape[*axis])?;
            }
            let mut err = None;
            for_each_index(vshape, |m| {
                let j = c_index(&m[*axis..*axis + ni], in_shapes[1]);
                match normalize_index(idx[j], *axis, shape[*axis]) {
                    Ok(k) => {
                        let mut p = 0isize;
                        for (d, &s) in xs.iter().enumerate() {
                            let c = match d.cmp(axis) {
                                std::cmp::Ordering::Less => m[d],
                                std::cmp::Ordering::Equal => k,
                                std::cmp::Ordering::Greater => m[d + ni - 1],
                            };
                            p += c as isize * s;
                        }
                        dest.push(p as usize);
                    }
                    Err(e) => {
                        err.get_or_insert(e);
                    }
                }
            });
            if let Some(e) = err {
                return Err(e);
            }
            source.extend(0..values.len());
        }
        UpdateTarget::Along { axis } => {
            let idx = ins[1].as_slice::<i64>();
            let mut err = None;
            let mut j = 0;
            for_each_index(vshape, |m| {
                match normalize_index(idx[j], *axis, shape[*axis]) {
                    Ok(k) => {
                        let p: isize = (0..m.len())
                            .map(|d| if d == *axis { k } else { m[d] } as isize * xs[d])
                            .sum();
                        dest.push(p as usize);
                    }
                    Err(e) => {
                        err.get_or_insert(e);
                    }
                }
                j += 1;
            });
            if let Some(e) = err {
                return Err(e);
            }
            source.extend(0..values.len());
        }
        UpdateTarget::Mask => {
            let mask = ins[1].as_slice::<bool>();
            let count = mask.iter().filter(|&&b| b).count();
            let n = vshape[0];
            if n != count && n != 1 {
                return Err(crate::runtime::update::mask_count_error(vshape, count));
            }
            let inner: usize = vshape[1..].iter().product();
            let selected = mask.iter().enumerate().filter(|(_, b)| **b);
            for (r, (p, _)) in selected.enumerate() {
                let row = if n == 1 { 0 } else { r };
                for q in 0..inner {
                    dest.push(p * inner + q);
                    source.push(row * inner + q);
                }
            }
        }
    }
    let mut out: Vec<Scalar> = (0..x.len()).map(|i| x.get(i)).collect();
    for (&d, &s) in dest.iter().zip(&source) {
        out[d] = combine(mode, dtype, out[d], values.get(s));
    }
    Ok(Buffer::from_scalars(dtype, out.into_iter()))
}

/// The C-order position of multi-index `m` in `shape`.
fn c_index(m: &[usize], shape: &[usize]) -> usize {
    m.iter().zip(shape).fold(0, |acc, (&i, &n)| acc * n + i)
}
