//! Shape and view ops: reshape, transpose, slicing, broadcasting, concatenation.
//! Views compose into one strided view of their base; nothing is copied unless a reshape of a
//! non-contiguous view forces an explicit `contiguous` node.

use super::ops::{broadcast, cast};
use super::{Array, ok};
use crate::dtype::promote;
use crate::error::{Error, Result};
use crate::ir::Op;
use crate::shape::{View, broadcast_pair, normalize_axis};

/// A reshape target: extents, where one may be `-1` (inferred) when given as signed ints.
pub trait IntoReshape {
    /// The extents, `-1` for inferred.
    fn dims(self) -> Vec<isize>;
}
macro_rules! impl_into_reshape {
    ($($t:ty),*) => {$(
        impl<const N: usize> IntoReshape for [$t; N] {
            fn dims(self) -> Vec<isize> { self.iter().map(|&d| d.to_isize()).collect() }
        }
        impl IntoReshape for Vec<$t> {
            fn dims(self) -> Vec<isize> { self.iter().map(|&d| d.to_isize()).collect() }
        }
        impl IntoReshape for &[$t] {
            fn dims(self) -> Vec<isize> { self.iter().map(|&d| d.to_isize()).collect() }
        }
    )*};
}
impl_into_reshape!(usize, i32, i64, isize);
// (`to_isize` saturates: an extent beyond `isize::MAX` cannot match any array's size.)

/// One entry of [`s!`](crate::s): an index, a range with optional step, or a new axis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SliceArg {
    /// `x[i]`: selects one index and removes the axis (negative counts from the end).
    Index(isize),
    /// `x[start:stop:step]`.
    Range {
        /// Start (`None` for the default).
        start: Option<isize>,
        /// Stop, exclusive (`None` for the default).
        stop: Option<isize>,
        /// Step (not 0; negative walks backwards).
        step: isize,
    },
    /// `x[None]`: a new axis of extent 1.
    NewAxis,
}

/// The marker type behind `None` in [`s!`](crate::s) (`s![None]` is `x[None]`).
#[derive(Clone, Copy, Debug)]
pub enum NewAxisMarker {}

impl From<Option<NewAxisMarker>> for SliceArg {
    fn from(_: Option<NewAxisMarker>) -> Self {
        SliceArg::NewAxis
    }
}

impl SliceArg {
    /// A range with an explicit step (`s![..;2]`).
    pub fn stepped(r: impl Into<SliceArg>, step: isize) -> SliceArg {
        match r.into() {
            SliceArg::Range { start, stop, .. } => SliceArg::Range { start, stop, step },
            other => other,
        }
    }
}

/// A bound given as any Rust integer, clamped into `isize`. Clamping keeps NumPy's meaning:
/// slice bounds are clamped to the axis anyway, and an index beyond `isize::MAX` is out of
/// bounds either way (the error then names `isize::MAX`).
trait ToIsize: Copy {
    fn to_isize(self) -> isize;
}
macro_rules! impl_to_isize {
    ($($t:ty),*) => {$(
        impl ToIsize for $t {
            fn to_isize(self) -> isize {
                isize::try_from(self).unwrap_or(if self > 0 as $t { isize::MAX } else { isize::MIN })
            }
        }
    )*};
}
impl_to_isize!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

macro_rules! impl_slice_arg {
    ($($t:ty),*) => {$(
        impl From<$t> for SliceArg {
            fn from(i: $t) -> Self { SliceArg::Index(i.to_isize()) }
        }
        impl From<std::ops::Range<$t>> for SliceArg {
            fn from(r: std::ops::Range<$t>) -> Self {
                SliceArg::Range { start: Some(r.start.to_isize()), stop: Some(r.end.to_isize()), step: 1 }
            }
        }
        impl From<std::ops::RangeFrom<$t>> for SliceArg {
            fn from(r: std::ops::RangeFrom<$t>) -> Self {
                SliceArg::Range { start: Some(r.start.to_isize()), stop: None, step: 1 }
            }
        }
        impl From<std::ops::RangeTo<$t>> for SliceArg {
            fn from(r: std::ops::RangeTo<$t>) -> Self {
                SliceArg::Range { start: None, stop: Some(r.end.to_isize()), step: 1 }
            }
        }
        impl From<std::ops::RangeInclusive<$t>> for SliceArg {
            fn from(r: std::ops::RangeInclusive<$t>) -> Self {
                // `..=-1` is not "to the end": stop -1 + 1 = 0 is NumPy's `:0`, as in Python.
                let stop = (r.end().to_isize() as i128 + 1).clamp(isize::MIN as i128, isize::MAX as i128);
                SliceArg::Range { start: Some(r.start().to_isize()), stop: Some(stop as isize), step: 1 }
            }
        }
    )*};
}
impl_slice_arg!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

impl From<std::ops::RangeFull> for SliceArg {
    fn from(_: std::ops::RangeFull) -> Self {
        SliceArg::Range {
            start: None,
            stop: None,
            step: 1,
        }
    }
}

/// A full index expression built by [`s!`](crate::s).
#[derive(Clone, Debug, PartialEq)]
pub struct SliceInfo(pub Vec<SliceArg>);

/// NumPy-style index expressions: `s![1..3]`, `s![.., 0]`, `s![..;2]`, `s![..;-1]`, `s![None]`.
///
/// ```
/// use lazynp::s;
/// let x = lazynp::arange(0i64, 6, 1).reshape([2, 3]);
/// assert_eq!(x.slice(s![.., 1..3]).to_vec::<i64>()?, vec![1, 2, 4, 5]);
/// assert_eq!(x.slice(s![.., 0]).to_vec::<i64>()?, vec![0, 3]);
/// assert_eq!(x.slice(s![..;-1]).to_vec::<i64>()?, vec![3, 4, 5, 0, 1, 2]);
/// assert_eq!(x.slice(s![None]).shape(), &[1, 2, 3]);
/// # Ok::<(), lazynp::Error>(())
/// ```
#[macro_export]
macro_rules! s {
    (@acc [$($done:expr),*]) => { $crate::SliceInfo(vec![$($done),*]) };
    (@acc [$($done:expr),*] $r:expr ; $step:expr , $($rest:tt)*) => {
        $crate::s!(@acc [$($done,)* $crate::SliceArg::stepped($r, $step)] $($rest)*)
    };
    (@acc [$($done:expr),*] $r:expr ; $step:expr) => {
        $crate::s!(@acc [$($done,)* $crate::SliceArg::stepped($r, $step)])
    };
    (@acc [$($done:expr),*] $r:expr , $($rest:tt)*) => {
        $crate::s!(@acc [$($done,)* $crate::SliceArg::from($r)] $($rest)*)
    };
    (@acc [$($done:expr),*] $r:expr) => {
        $crate::s!(@acc [$($done,)* $crate::SliceArg::from($r)])
    };
    ($($t:tt)*) => { $crate::s!(@acc [] $($t)*) };
}

/// Python's slice bounds: (start, length) for `start:stop:step` on an axis of extent `n`
/// (`PySlice_AdjustIndices`), in `i128` so no bound or step can overflow.
pub fn slice_bounds(
    start: Option<isize>,
    stop: Option<isize>,
    step: isize,
    n: usize,
) -> (usize, usize) {
    let (n, step) = (n as i128, step as i128);
    let norm = |v: isize, lo: i128, hi: i128| {
        let v = v as i128;
        let v = if v < 0 { v + n } else { v };
        v.clamp(lo, hi)
    };
    let (s, len) = if step > 0 {
        let s = start.map_or(0, |v| norm(v, 0, n));
        let e = stop.map_or(n, |v| norm(v, 0, n));
        (s, if e > s { (e - s + step - 1) / step } else { 0 })
    } else {
        let s = start.map_or(n - 1, |v| norm(v, -1, n - 1));
        let e = stop.map_or(-1, |v| norm(v, -1, n - 1));
        (s, if s > e { (s - e - step - 1) / -step } else { 0 })
    };
    // 0 <= len <= n and, when len > 0, 0 <= s < n: both fit in usize.
    (s.max(0) as usize, len as usize)
}

impl Array {
    #[track_caller]
    fn map_view(&self, f: impl FnOnce(&View) -> View) -> Array {
        let (base, view) = self.as_view();
        Array::view_of(&base, f(&view))
    }

    /// `x.reshape(shape)`; one extent may be `-1` (inferred). A view when strides allow it,
    /// otherwise an explicit copy first (as NumPy copies).
    ///
    /// ```
    /// let x = lazynp::arange(0i64, 6, 1);
    /// assert_eq!(x.reshape([2, 3]).shape(), &[2, 3]);
    /// assert_eq!(x.reshape([-1, 2]).shape(), &[3, 2]);
    /// ```
    #[track_caller]
    pub fn reshape(&self, shape: impl IntoReshape) -> Array {
        ok(self.try_reshape(shape))
    }

    /// Non-panicking [`Array::reshape`].
    ///
    /// ```
    /// let e = lazynp::arange(0i64, 6, 1).try_reshape([4, 2]).unwrap_err();
    /// assert_eq!(e.to_string(), "cannot reshape array of size 6 into shape (4, 2)");
    /// ```
    pub fn try_reshape(&self, shape: impl IntoReshape) -> Result<Array> {
        let dims = shape.dims();
        let size = self.size();
        let err = || Error::Reshape {
            size,
            shape: dims.clone(),
        };
        let inferred: Vec<usize> = dims
            .iter()
            .enumerate()
            .filter(|(_, d)| **d < 0)
            .map(|(i, _)| i)
            .collect();
        if inferred.len() > 1 || dims.iter().any(|&d| d < -1) {
            return Err(Error::Invalid {
                op: "reshape",
                msg: "can only specify one unknown dimension".into(),
            });
        }
        if dims.len() > crate::shape::MAX_DIMS {
            return Err(Error::TooManyDims { ndim: dims.len() });
        }
        // A product that overflows cannot equal (or divide) the size: the shape does not fit.
        let known = dims
            .iter()
            .filter(|&&d| d >= 0)
            .try_fold(1usize, |acc, &d| acc.checked_mul(d as usize));
        let Some(known) = known else {
            return Err(err());
        };
        let mut out: Vec<usize> = dims.iter().map(|&d| d.max(0) as usize).collect();
        if let Some(&i) = inferred.first() {
            if known == 0 || !size.is_multiple_of(known) {
                return Err(err());
            }
            out[i] = size / known;
        } else if known != size {
            return Err(err());
        }
        if out == self.shape() {
            return Ok(self.clone());
        }
        let (base, view) = self.as_view();
        Ok(match view.reshape(&out) {
            Some(v) => Array::view_of(&base, v),
            None => {
                let copy =
                    Array::build(Op::Contiguous, self.dtype(), self.shape().to_vec(), &[self]);
                Array::view_of(
                    &copy,
                    View::contiguous(self.shape())
                        .reshape(&out)
                        .expect("contiguous reshapes"),
                )
            }
        })
    }

    /// `x.T`: reverses the axes.
    ///
    /// ```
    /// assert_eq!(lazynp::zeros([2, 3], lazynp::DType::F32).t().shape(), &[3, 2]);
    /// ```
    pub fn t(&self) -> Array {
        let perm: Vec<usize> = (0..self.ndim()).rev().collect();
        self.map_view(|v| v.permute(&perm))
    }

    /// `np.transpose(x, axes)` (negative axes allowed).
    ///
    /// ```
    /// let x = lazynp::zeros([2, 3, 4], lazynp::DType::F32);
    /// assert_eq!(x.transpose([2, 0, 1]).shape(), &[4, 2, 3]);
    /// ```
    #[track_caller]
    pub fn transpose<const N: usize>(&self, axes: [isize; N]) -> Array {
        ok(self.try_transpose(&axes))
    }

    /// Non-panicking [`Array::transpose`].
    ///
    /// ```
    /// assert!(lazynp::zeros([2, 3], lazynp::DType::F32).try_transpose(&[0, 0]).is_err());
    /// ```
    pub fn try_transpose(&self, axes: &[isize]) -> Result<Array> {
        if axes.len() != self.ndim() {
            return Err(Error::Invalid {
                op: "transpose",
                msg: "axes don't match array".into(),
            });
        }
        let perm = axes
            .iter()
            .map(|&a| normalize_axis(a, self.ndim()))
            .collect::<Result<Vec<_>>>()?;
        let mut seen = perm.clone();
        seen.sort_unstable();
        if seen.windows(2).any(|w| w[0] == w[1]) {
            return Err(Error::RepeatedAxis);
        }
        Ok(self.map_view(|v| v.permute(&perm)))
    }

    /// `np.expand_dims(x, axis)`.
    ///
    /// ```
    /// assert_eq!(lazynp::zeros([3], lazynp::DType::F32).expand_dims(0).shape(), &[1, 3]);
    /// assert_eq!(lazynp::zeros([3], lazynp::DType::F32).expand_dims(-1).shape(), &[3, 1]);
    /// ```
    #[track_caller]
    pub fn expand_dims(&self, axis: isize) -> Array {
        let a = ok(normalize_axis(axis, self.ndim() + 1));
        self.map_view(|v| v.insert_axis(a))
    }

    /// `np.squeeze(x, axis)`: `..` removes every extent-1 axis.
    ///
    /// ```
    /// let x = lazynp::zeros([1, 3, 1], lazynp::DType::F32);
    /// assert_eq!(x.squeeze(..).shape(), &[3]);
    /// assert_eq!(x.squeeze(0).shape(), &[3, 1]);
    /// ```
    #[track_caller]
    pub fn squeeze(&self, axes: impl Into<super::Axes>) -> Array {
        let spec = axes.into();
        let axes: Vec<usize> = match &spec {
            super::Axes::All => (0..self.ndim()).filter(|&a| self.shape()[a] == 1).collect(),
            super::Axes::List(_) => ok(spec.resolve(self.ndim())),
        };
        if axes.iter().any(|&a| self.shape()[a] != 1) {
            panic!("cannot select an axis to squeeze out which has size not equal to one");
        }
        let shape: Vec<usize> = (0..self.ndim())
            .filter(|a| !axes.contains(a))
            .map(|a| self.shape()[a])
            .collect();
        ok(self.try_reshape(shape))
    }

    /// `x.flatten()` (`x.ravel()`): 1-D in C order.
    ///
    /// ```
    /// assert_eq!(lazynp::zeros([2, 3], lazynp::DType::F32).flatten().shape(), &[6]);
    /// ```
    pub fn flatten(&self) -> Array {
        ok(self.try_reshape([self.size()]))
    }

    /// `np.broadcast_to(x, shape)`.
    ///
    /// ```
    /// let x = lazynp::zeros([2, 3], lazynp::DType::F32);
    /// assert_eq!(x.broadcast_to([4, 2, 3]).shape(), &[4, 2, 3]);
    /// ```
    #[track_caller]
    pub fn broadcast_to<const N: usize>(&self, shape: [usize; N]) -> Array {
        ok(self.try_broadcast_to(&shape))
    }

    /// Non-panicking [`Array::broadcast_to`].
    ///
    /// ```
    /// assert!(lazynp::zeros([2, 3], lazynp::DType::F32).try_broadcast_to(&[3, 3]).is_err());
    /// ```
    pub fn try_broadcast_to(&self, shape: &[usize]) -> Result<Array> {
        crate::shape::check_shape(shape, self.dtype().size())?;
        match broadcast_pair(self.shape(), shape) {
            Some(s) if s == shape && self.ndim() <= shape.len() => Ok(broadcast(self, shape)),
            _ => Err(Error::BroadcastTo {
                from: self.shape().to_vec(),
                to: shape.to_vec(),
            }),
        }
    }

    /// `x[i]`: the sub-array at index `i` of axis 0 (negative counts from the end); `i` is
    /// any Rust integer (a `usize` from a `Vec` index needs no cast), or a range.
    ///
    /// ```
    /// let x = lazynp::array([[1, 2], [3, 4]]);
    /// assert_eq!(x.i(-1).to_vec::<i32>()?, vec![3, 4]);
    /// let t: usize = 0;
    /// assert_eq!(x.i(t).to_vec::<i32>()?, vec![1, 2]);
    /// assert_eq!(x.i(1u8).to_vec::<i32>()?, vec![3, 4]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    #[track_caller]
    pub fn i(&self, i: impl Into<SliceArg>) -> Array {
        ok(self.try_slice(&SliceInfo(vec![i.into()])))
    }

    /// `x[...]` with an index expression from [`s!`](crate::s).
    ///
    /// ```
    /// use lazynp::s;
    /// let x = lazynp::arange(0i64, 10, 1);
    /// assert_eq!(x.slice(s![1..3]).to_vec::<i64>()?, vec![1, 2]);
    /// assert_eq!(x.slice(s![..;3]).to_vec::<i64>()?, vec![0, 3, 6, 9]);
    /// assert_eq!(x.slice(s![-2..]).to_vec::<i64>()?, vec![8, 9]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    #[track_caller]
    pub fn slice(&self, info: SliceInfo) -> Array {
        ok(self.try_slice(&info))
    }

    /// Non-panicking [`Array::slice`].
    ///
    /// ```
    /// use lazynp::s;
    /// let e = lazynp::arange(0i64, 3, 1).try_slice(&s![5]).unwrap_err();
    /// assert_eq!(e.to_string(), "index 5 is out of bounds for axis 0 with size 3");
    /// ```
    pub fn try_slice(&self, info: &SliceInfo) -> Result<Array> {
        let consumed = info.0.iter().filter(|a| **a != SliceArg::NewAxis).count();
        let indexed = info
            .0
            .iter()
            .filter(|a| matches!(a, SliceArg::Index(_)))
            .count();
        let new_ndim = self.ndim() + (info.0.len() - consumed) - indexed.min(self.ndim());
        if consumed <= self.ndim() && new_ndim > crate::shape::MAX_DIMS {
            return Err(Error::TooManyDims { ndim: new_ndim });
        }
        if consumed > self.ndim() {
            return Err(Error::Invalid {
                op: "index",
                msg: format!(
                    "too many indices for array: array is {}-dimensional, but {consumed} were indexed",
                    self.ndim()
                ),
            });
        }
        let (base, mut v) = self.as_view();
        let mut axis = 0; // current axis in the partially indexed view
        let mut src_axis = 0; // axis of the original array
        for arg in &info.0 {
            match *arg {
                SliceArg::NewAxis => {
                    v = v.insert_axis(axis);
                    axis += 1;
                }
                SliceArg::Index(i) => {
                    let n = v.shape[axis];
                    let k = if i < 0 { i + n as isize } else { i };
                    if k < 0 || k >= n as isize {
                        return Err(Error::IndexOutOfBounds {
                            index: i as i128,
                            axis: src_axis,
                            size: n,
                        });
                    }
                    v = v.index_axis(axis, k as usize);
                    src_axis += 1;
                }
                SliceArg::Range { start, stop, step } => {
                    if step == 0 {
                        return Err(Error::Invalid {
                            op: "slice",
                            msg: "slice step cannot be zero".into(),
                        });
                    }
                    let (s, len) = slice_bounds(start, stop, step, v.shape[axis]);
                    v = v.slice_axis(axis, s, len, step);
                    axis += 1;
                    src_axis += 1;
                }
            }
        }
        Ok(Array::view_of(&base, v))
    }
}

/// `np.concatenate(arrays, axis)` with dtype promotion.
///
/// ```
/// let a = lazynp::array([1.0f32, 2.0]);
/// let b = lazynp::array([3.0f32]);
/// assert_eq!(lazynp::concatenate(&[&a, &b], 0).to_vec::<f32>()?, vec![1.0, 2.0, 3.0]);
/// # Ok::<(), lazynp::Error>(())
/// ```
#[track_caller]
pub fn concatenate(arrays: &[&Array], axis: isize) -> Array {
    ok(try_concatenate(arrays, axis))
}

/// Non-panicking [`concatenate`].
pub fn try_concatenate(arrays: &[&Array], axis: isize) -> Result<Array> {
    let first = arrays.first().ok_or_else(|| Error::Invalid {
        op: "concatenate",
        msg: "need at least one array to concatenate".into(),
    })?;
    if first.ndim() == 0 {
        return Err(Error::Invalid {
            op: "concatenate",
            msg: "zero-dimensional arrays cannot be concatenated".into(),
        });
    }
    let ax = normalize_axis(axis, first.ndim())?;
    let mut shape = first.shape().to_vec();
    shape[ax] = 0;
    let mut dtype = first.dtype();
    for (i, a) in arrays.iter().enumerate() {
        if a.ndim() != first.ndim() {
            return Err(Error::Invalid {
                op: "concatenate",
                msg: format!(
                    "all the input arrays must have same number of dimensions, but the array at index 0 has {} dimension(s) and the array at index {i} has {} dimension(s)",
                    first.ndim(),
                    a.ndim()
                ),
            });
        }
        for d in 0..a.ndim() {
            if d != ax && a.shape()[d] != first.shape()[d] {
                return Err(Error::Invalid {
                    op: "concatenate",
                    msg: format!(
                        "all the input array dimensions except for the concatenation axis must match exactly, but along dimension {d}, the array at index 0 has size {} and the array at index {i} has size {}",
                        first.shape()[d],
                        a.shape()[d]
                    ),
                });
            }
        }
        shape[ax] = shape[ax]
            .checked_add(a.shape()[ax])
            .ok_or_else(|| Error::TooBig {
                shape: shape.clone(),
                itemsize: a.dtype().size(),
            })?;
        dtype = promote(dtype, a.dtype());
    }
    crate::shape::check_shape(&shape, dtype.size())?;
    let inputs: Vec<Array> = arrays.iter().map(|a| cast(a, dtype)).collect();
    let refs: Vec<&Array> = inputs.iter().collect();
    if refs.len() == 1 {
        return Ok(refs[0].clone());
    }
    Ok(Array::build(Op::Concat { axis: ax }, dtype, shape, &refs))
}

/// `np.stack(arrays, axis)`: joins equal-shaped arrays along a new axis.
///
/// ```
/// let a = lazynp::array([1, 2]);
/// let b = lazynp::array([3, 4]);
/// assert_eq!(lazynp::stack(&[&a, &b], 0).shape(), &[2, 2]);
/// assert_eq!(lazynp::stack(&[&a, &b], 1).to_vec::<i32>()?, vec![1, 3, 2, 4]);
/// # Ok::<(), lazynp::Error>(())
/// ```
#[track_caller]
pub fn stack(arrays: &[&Array], axis: isize) -> Array {
    let Some(first) = arrays.first() else {
        panic!("need at least one array to stack");
    };
    if arrays.iter().any(|a| a.shape() != first.shape()) {
        panic!("all input arrays must have the same shape");
    }
    let ax = ok(normalize_axis(axis, first.ndim() + 1)) as isize;
    let expanded: Vec<Array> = arrays.iter().map(|a| a.expand_dims(ax)).collect();
    let refs: Vec<&Array> = expanded.iter().collect();
    concatenate(&refs, ax)
}

/// `np.split(x, n, axis)`: `n` equal parts (views).
///
/// ```
/// let parts = lazynp::split(&lazynp::arange(0i64, 6, 1), 3, 0);
/// assert_eq!(parts[1].to_vec::<i64>()?, vec![2, 3]);
/// # Ok::<(), lazynp::Error>(())
/// ```
#[track_caller]
pub fn split(x: &Array, sections: usize, axis: isize) -> Vec<Array> {
    let ax = ok(normalize_axis(axis, x.ndim()));
    let n = x.shape()[ax];
    if sections == 0 || !n.is_multiple_of(sections) {
        panic!("array split does not result in an equal division");
    }
    let step = n / sections;
    (0..sections)
        .map(|k| {
            let mut args = vec![SliceArg::from(..); ax];
            args.push(SliceArg::from(k * step..(k + 1) * step));
            x.slice(SliceInfo(args))
        })
        .collect()
}
