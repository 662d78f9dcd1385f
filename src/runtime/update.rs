//! The update loop of [`Op::Update`] (`x[sel] = v`, `np.add.at`, `put_along_axis`, ...):
//! compiled by rustc, generic over the dtype, reading every input through its strided view.
//!
//! Indices are all checked before the first write, so an error leaves no half-written buffer
//! and no write is ever out of bounds. When the target's buffer is dead after this step (see
//! [`in_place_input`]) the executor hands it over and the update writes into it: no copy.
//! The reference semantics are `interp_update.rs`; this file does not use them.

use super::Buffer;
use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use crate::ir::{Graph, Op, UpdateMode, UpdateTarget};
use crate::passes::{Plan, Step};
use crate::shape::{View, c_strides};
use crate::with_dtype;
use std::sync::Arc;

/// The target node whose buffer an update step may write into instead of copying it: a node
/// computed in this evaluation, stored only for this plan (no handle can observe it), read by
/// the update exactly once and by no later step. The executor still checks at run time that
/// nothing else holds the buffer.
pub fn in_place_input(g: &Graph, plan: &Plan, node: usize) -> Option<usize> {
    if !matches!(g.nodes[node].op, Op::Update { .. }) {
        return None;
    }
    let x = plan.canon[*g.inputs[node].first()?];
    if g.materialize[x] || g.is_realized(x) || plan.reasons[x].is_none() {
        return None;
    }
    if g.nodes[x].dtype != g.nodes[node].dtype || matches!(g.nodes[x].op, Op::View(_)) {
        return None;
    }
    let si = plan
        .steps
        .iter()
        .position(|s| matches!(s, Step::Runtime { node: n } if *n == node))?;
    let reads = |s: &Step| crate::passes::fuse::step_reads(g, &plan.canon, &plan.reasons, s);
    let here = reads(&plan.steps[si]).iter().filter(|&&k| k == x).count();
    let later = plan.steps[si + 1..].iter().any(|s| {
        reads(s).contains(&x) || matches!(s, Step::Kernel { outputs, .. } if outputs.contains(&x))
    });
    (here == 1 && !later).then_some(x)
}

/// Runs an update: `ins` are (buffer, view) of the target, then the indices or mask (if any),
/// then the values. `owned`: the target's own buffer to write into (in place); otherwise the
/// target is copied first.
pub fn run(
    mode: UpdateMode,
    target: &UpdateTarget,
    dtype: DType,
    shape: &[usize],
    owned: Option<Buffer>,
    ins: &[(Arc<Buffer>, View)],
) -> Result<Buffer> {
    let values = &ins[ins.len() - 1];
    // Where each value goes (checked before any write), as offsets into the target.
    let places = places(target, shape, ins)?;
    let mut out = match owned {
        Some(b) => b,
        None => copy(&ins[0].0, &ins[0].1, dtype),
    };
    with_dtype!(dtype, T => {
        let dst = out.as_mut_slice::<T>();
        let src = values.0.as_slice::<T>();
        apply::<T>(mode, dst, src, &places);
    });
    Ok(out)
}

/// The (target offset, value offset) pairs of an update, in C order of the values.
struct Places {
    pairs: Vec<(usize, usize)>,
}

fn places(target: &UpdateTarget, shape: &[usize], ins: &[(Arc<Buffer>, View)]) -> Result<Places> {
    let (vb, vv) = &ins[ins.len() - 1];
    let _ = vb;
    let xs = c_strides(shape);
    let mut pairs = Vec::with_capacity(vv.shape.iter().product());
    match target {
        UpdateTarget::View(tv) => {
            walk(
                &vv.shape,
                [&tv.strides, &vv.strides],
                [tv.offset, vv.offset],
                |[t, v]| pairs.push((t as usize, v as usize)),
            );
        }
        UpdateTarget::Index { axis } => {
            let (ib, iv) = &ins[1];
            let idx = ib.as_slice::<i64>();
            let n = shape[*axis];
            let ni = iv.shape.len();
            check_indices(idx, iv, *axis, n)?;
            // Over the values' dims: target strides outside the index dims, index strides in.
            let nd = vv.shape.len();
            let mut ts = vec![0isize; nd];
            let mut is = vec![0isize; nd];
            for d in 0..nd {
                if d < *axis {
                    ts[d] = xs[d];
                } else if d < axis + ni {
                    is[d] = iv.strides[d - axis];
                } else {
                    ts[d] = xs[d + 1 - ni];
                }
            }
            let step = xs[*axis];
            walk(
                &vv.shape,
                [&ts, &is, &vv.strides],
                [0, iv.offset, vv.offset],
                |[t, i, v]| {
                    let k = wrap(idx[i as usize], n);
                    pairs.push(((t + k * step) as usize, v as usize));
                },
            );
        }
        UpdateTarget::Along { axis } => {
            let (ib, iv) = &ins[1];
            let idx = ib.as_slice::<i64>();
            let n = shape[*axis];
            check_indices(idx, iv, *axis, n)?;
            let mut ts = xs.clone();
            ts[*axis] = 0;
            let step = xs[*axis];
            walk(
                &vv.shape,
                [&ts, &iv.strides, &vv.strides],
                [0, iv.offset, vv.offset],
                |[t, i, v]| {
                    let k = wrap(idx[i as usize], n);
                    pairs.push(((t + k * step) as usize, v as usize));
                },
            );
        }
        UpdateTarget::Mask => {
            let (mb, mv) = &ins[1];
            let mask = mb.as_slice::<bool>();
            let mut on = Vec::new();
            walk(
                &mv.shape,
                [&c_strides(&mv.shape), &mv.strides],
                [0, mv.offset],
                |[p, m]| {
                    if mask[m as usize] {
                        on.push(p as usize);
                    }
                },
            );
            let rows = vv.shape[0];
            if rows != on.len() && rows != 1 {
                return Err(mask_count_error(&vv.shape, on.len()));
            }
            let inner: Vec<usize> = vv.shape[1..].to_vec();
            let size: usize = inner.iter().product();
            let ic = c_strides(&inner);
            for (r, &p) in on.iter().enumerate() {
                let row = if rows == 1 { 0 } else { r as isize };
                let base = vv.offset + row * vv.strides[0];
                walk(
                    &inner,
                    [&ic, &vv.strides[1..]],
                    [(p * size) as isize, base],
                    |[t, v]| pairs.push((t as usize, v as usize)),
                );
            }
        }
    }
    Ok(Places { pairs })
}

/// NumPy's message when `x[mask] = v` has the wrong number of values.
pub fn mask_count_error(values: &[usize], count: usize) -> Error {
    let msg = if values.len() == 1 {
        format!(
            "NumPy boolean array indexing assignment cannot assign {} input values to the {count} output values where the mask is true",
            values[0]
        )
    } else {
        let mut want = values.to_vec();
        want[0] = count;
        format!(
            "shape mismatch: value array of shape {} could not be broadcast to indexing result of shape {}",
            crate::shape::tuple(values, ","),
            crate::shape::tuple(&want, ",")
        )
    };
    Error::Invalid {
        op: "ValueError",
        msg,
    }
}

/// `i` in `0..n` for a checked index (negative counts from the end).
fn wrap(i: i64, n: usize) -> isize {
    if i < 0 {
        (i + n as i64) as isize
    } else {
        i as isize
    }
}

/// Every index read through `iv` must lie in `-n..n`: NumPy's IndexError otherwise.
fn check_indices(idx: &[i64], iv: &View, axis: usize, n: usize) -> Result<()> {
    let mut bad = None;
    walk(&iv.shape, [&iv.strides], [iv.offset], |[o]| {
        let i = idx[o as usize];
        if bad.is_none() && (i < -(n as i64) || i >= n as i64) {
            bad = Some(i);
        }
    });
    match bad {
        Some(index) => Err(Error::IndexOutOfBounds {
            index: index as i128,
            axis,
            size: n,
        }),
        None => Ok(()),
    }
}

/// A C-contiguous copy of the target read through its view.
fn copy(b: &Buffer, v: &View, dtype: DType) -> Buffer {
    let size: usize = v.shape.iter().product();
    if v.is_contiguous() && v.offset == 0 && b.len() == size {
        return b.clone();
    }
    with_dtype!(dtype, T => {
        let src = b.as_slice::<T>();
        let mut out = Vec::with_capacity(size);
        walk(&v.shape, [&v.strides], [v.offset], |[o]| out.push(src[o as usize]));
        Buffer::from_slice(&out)
    })
}

/// Calls `f` with the offsets of every multi-index of `shape` in C order, one offset per
/// stride set (`offsets[k] + sum(i[d] * strides[k][d])`); the last dimension is the inner loop.
fn walk<const K: usize>(
    shape: &[usize],
    strides: [&[isize]; K],
    offsets: [isize; K],
    mut f: impl FnMut([isize; K]),
) {
    if shape.contains(&0) {
        return;
    }
    let Some((&last, outer)) = shape.split_last() else {
        f(offsets);
        return;
    };
    let nd = shape.len();
    let inner: [isize; K] = std::array::from_fn(|k| strides[k][nd - 1]);
    let mut idx = vec![0usize; outer.len()];
    let mut base = offsets;
    loop {
        let mut cur = base;
        for _ in 0..last {
            f(cur);
            for k in 0..K {
                cur[k] += inner[k];
            }
        }
        // Odometer over the outer dimensions.
        let mut d = outer.len();
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            for k in 0..K {
                base[k] += strides[k][d];
            }
            if idx[d] < outer[d] {
                break;
            }
            for k in 0..K {
                base[k] -= strides[k][d] * outer[d] as isize;
            }
            idx[d] = 0;
        }
    }
}

/// Element arithmetic of an update (NumPy's ufunc loops: ints wrap, NaN propagates through
/// minimum and maximum, bool add/mul are or/and).
pub trait Combine: Element {
    /// `a + b`.
    fn add(self, b: Self) -> Self;
    /// `a - b`.
    fn sub(self, b: Self) -> Self;
    /// `a * b`.
    fn mul(self, b: Self) -> Self;
    /// `np.minimum(a, b)`.
    fn min_nan(self, b: Self) -> Self;
    /// `np.maximum(a, b)`.
    fn max_nan(self, b: Self) -> Self;
}

macro_rules! combine_int {
    ($($t:ty),*) => {$(
        impl Combine for $t {
            fn add(self, b: Self) -> Self { self.wrapping_add(b) }
            fn sub(self, b: Self) -> Self { self.wrapping_sub(b) }
            fn mul(self, b: Self) -> Self { self.wrapping_mul(b) }
            fn min_nan(self, b: Self) -> Self { Ord::min(self, b) }
            fn max_nan(self, b: Self) -> Self { Ord::max(self, b) }
        }
    )*};
}
combine_int!(i8, i16, i32, i64, u8, u16, u32, u64);

macro_rules! combine_float {
    ($($t:ty),*) => {$(
        impl Combine for $t {
            fn add(self, b: Self) -> Self { self + b }
            fn sub(self, b: Self) -> Self { self - b }
            fn mul(self, b: Self) -> Self { self * b }
            fn min_nan(self, b: Self) -> Self {
                if self.is_nan() || b.is_nan() { self + b } else if self <= b { self } else { b }
            }
            fn max_nan(self, b: Self) -> Self {
                if self.is_nan() || b.is_nan() { self + b } else if self >= b { self } else { b }
            }
        }
    )*};
}
combine_float!(f32, f64);

impl Combine for bool {
    fn add(self, b: Self) -> Self {
        self | b
    }
    fn sub(self, b: Self) -> Self {
        // Rejected by the API (NumPy has no boolean subtract); defined so the op is total.
        self ^ b
    }
    fn mul(self, b: Self) -> Self {
        self & b
    }
    fn min_nan(self, b: Self) -> Self {
        self & b
    }
    fn max_nan(self, b: Self) -> Self {
        self | b
    }
}

/// Applies every (target, value) pair in order, one loop per mode.
fn apply<T: Combine>(mode: UpdateMode, dst: &mut [T], src: &[T], places: &Places) {
    fn each<T: Combine>(dst: &mut [T], src: &[T], p: &Places, f: impl Fn(T, T) -> T) {
        for &(t, v) in &p.pairs {
            dst[t] = f(dst[t], src[v]);
        }
    }
    match mode {
        UpdateMode::Set => each(dst, src, places, |_, v| v),
        UpdateMode::Add => each(dst, src, places, T::add),
        UpdateMode::Sub => each(dst, src, places, T::sub),
        UpdateMode::Mul => each(dst, src, places, T::mul),
        UpdateMode::Min => each(dst, src, places, T::min_nan),
        UpdateMode::Max => each(dst, src, places, T::max_nan),
    }
}
