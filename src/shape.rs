//! Shapes, NumPy broadcasting, axis normalisation and strided views (pure index math).

use crate::error::{Error, Result};
use std::fmt;

/// The shape of an array: one extent per dimension. `()` is a 0-d array.
#[derive(Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Shape(pub Vec<usize>);

impl Shape {
    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.0.len()
    }
    /// Number of elements (1 for a 0-d array).
    pub fn size(&self) -> usize {
        self.0.iter().product()
    }
    /// The extents.
    pub fn dims(&self) -> &[usize] {
        &self.0
    }
    /// C-order (row-major) strides in elements.
    pub fn c_strides(&self) -> Vec<isize> {
        c_strides(&self.0)
    }
}

/// Most dimensions an array may have (NumPy's `NPY_MAXDIMS`).
pub const MAX_DIMS: usize = 64;

/// Checks that an array of `dims` and `itemsize`-byte elements can exist: at most
/// [`MAX_DIMS`] dimensions and a byte size (`size * itemsize`) that fits in `isize`, as NumPy
/// requires. Returns the element count. Every node is built from a checked shape, so index and
/// stride arithmetic on views of it cannot overflow.
///
/// ```
/// use lazynp::shape::check_shape;
/// assert_eq!(check_shape(&[2, 3], 8), Ok(6));
/// assert!(check_shape(&[1 << 32, 1 << 32], 1).is_err());
/// assert!(check_shape(&[0, usize::MAX >> 1], 8).is_ok()); // empty arrays have no bytes
/// assert!(check_shape(&[0, usize::MAX], 8).is_err()); // but extents must fit in isize
/// assert!(check_shape(&[1; 65], 1).is_err());
/// ```
pub fn check_shape(dims: &[usize], itemsize: usize) -> Result<usize> {
    if dims.len() > MAX_DIMS {
        return Err(Error::TooManyDims { ndim: dims.len() });
    }
    let too_big = || Error::TooBig {
        shape: dims.to_vec(),
        itemsize,
    };
    if dims.contains(&0) {
        // NumPy still requires each extent to fit in isize.
        return if dims.iter().all(|&d| d <= isize::MAX as usize) {
            Ok(0)
        } else {
            Err(too_big())
        };
    }
    let mut size = 1usize;
    for &d in dims {
        size = size.checked_mul(d).ok_or_else(too_big)?;
    }
    match size.checked_mul(itemsize.max(1)) {
        Some(b) if b <= isize::MAX as usize => Ok(size),
        _ => Err(too_big()),
    }
}

/// C-order strides in elements for `dims`.
pub fn c_strides(dims: &[usize]) -> Vec<isize> {
    let mut strides = vec![0isize; dims.len()];
    let mut acc = 1isize;
    for (s, &d) in strides.iter_mut().zip(dims).rev() {
        *s = acc;
        acc = acc.saturating_mul(d.max(1) as isize);
    }
    strides
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Prints as NumPy prints a shape tuple: `(2, 3)`, `(4,)`, `()`.
impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&tuple(&self.0, ", "))
    }
}

/// Formats dims as a Python tuple with the given separator (`(2,3)` in broadcast errors).
pub(crate) fn tuple(dims: &[usize], sep: &str) -> String {
    match dims {
        [] => "()".into(),
        [d] => format!("({d},)"),
        _ => {
            let parts: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
            format!("({})", parts.join(sep))
        }
    }
}

impl From<Vec<usize>> for Shape {
    fn from(v: Vec<usize>) -> Self {
        Shape(v)
    }
}
impl From<&[usize]> for Shape {
    fn from(v: &[usize]) -> Self {
        Shape(v.to_vec())
    }
}
impl<const N: usize> From<[usize; N]> for Shape {
    fn from(v: [usize; N]) -> Self {
        Shape(v.to_vec())
    }
}
impl From<usize> for Shape {
    fn from(v: usize) -> Self {
        Shape(vec![v])
    }
}
impl From<()> for Shape {
    fn from(_: ()) -> Self {
        Shape(vec![])
    }
}

/// NumPy's broadcast of two shapes, or `None` if incompatible.
pub fn broadcast_pair(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for (i, o) in out.iter_mut().enumerate() {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        *o = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(out)
}

/// Broadcasts several shapes; the error names every shape as NumPy does.
pub fn broadcast_shapes(shapes: &[&[usize]]) -> Result<Vec<usize>> {
    let err = || Error::Broadcast {
        shapes: shapes.iter().map(|s| s.to_vec()).collect(),
    };
    match shapes {
        [] => Ok(vec![]),
        [a] => Ok(a.to_vec()),
        [a, rest @ ..] => {
            let mut out = a.to_vec();
            for s in rest {
                out = broadcast_pair(&out, s).ok_or_else(err)?;
            }
            // Two shapes that exist can broadcast to one that cannot ([n, 1] with [1, n]).
            check_shape(&out, 1)?;
            Ok(out)
        }
    }
}

/// Normalises a possibly negative axis against `ndim` (NumPy's `normalize_axis_index`).
pub fn normalize_axis(axis: isize, ndim: usize) -> Result<usize> {
    let n = ndim as isize;
    if axis < -n || axis >= n {
        return Err(Error::AxisOutOfBounds { axis, ndim });
    }
    Ok(if axis < 0 { axis + n } else { axis } as usize)
}

/// A view's extents, inline up to 4 dims.
pub type Dims = smallvec::SmallVec<[usize; 4]>;
/// A view's strides, inline up to 4 dims.
pub type Strides = smallvec::SmallVec<[isize; 4]>;

/// A strided view over a C-contiguous flat buffer: `out[i] = base[offset + Σ i_k·strides_k]`.
///
/// Views compose: transpose, slice, broadcast, expand/squeeze always; reshape when the strides
/// allow it (NumPy's no-copy reshape rule), otherwise the caller materialises a copy first.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct View {
    /// Extent of each output dimension (inline up to 4 dims: views are built on every op).
    pub shape: Dims,
    /// Stride of each output dimension in elements of the base (may be 0 or negative).
    pub strides: Strides,
    /// Offset of element `[0, 0, ...]` in the base, in elements.
    pub offset: isize,
}

impl View {
    /// The identity view of a C-contiguous array of `shape`.
    pub fn contiguous(shape: &[usize]) -> View {
        View {
            shape: Dims::from_slice(shape),
            strides: Strides::from_vec(c_strides(shape)),
            offset: 0,
        }
    }

    /// True if this view reads a C-contiguous base of the same size in order from its start.
    pub fn is_contiguous(&self) -> bool {
        if self.shape.contains(&0) {
            return true;
        }
        if self.offset != 0 {
            return false;
        }
        let want = c_strides(&self.shape);
        self.shape
            .iter()
            .zip(self.strides.iter().zip(&want))
            .all(|(&d, (&s, &w))| d == 1 || s == w)
    }

    /// True if every element this view reads lies in a base of `len` elements (an empty view
    /// reads nothing). Computed in `i128`, so no stride or extent can overflow it: this is the
    /// check that makes a lying view an error instead of an out-of-bounds read.
    ///
    /// ```
    /// use lazynp::shape::View;
    /// let v = View::contiguous(&[2, 3]);
    /// assert!(v.fits(6) && !v.fits(5));
    /// let mut rev = v.clone();
    /// rev.strides[1] = -1;
    /// assert!(!rev.fits(6)); // reads index -1
    /// rev.offset = 2;
    /// assert!(rev.fits(6));
    /// ```
    pub fn fits(&self, len: usize) -> bool {
        if self.shape.len() != self.strides.len() {
            return false;
        }
        if self.shape.contains(&0) {
            return true;
        }
        let (mut lo, mut hi) = (self.offset as i128, self.offset as i128);
        for (&d, &s) in self.shape.iter().zip(&self.strides) {
            let span = (d as i128 - 1) * s as i128;
            if span < 0 {
                lo += span;
            } else {
                hi += span;
            }
        }
        lo >= 0 && hi < len as i128
    }

    /// The base index of multi-index `idx`.
    pub fn index(&self, idx: &[usize]) -> isize {
        self.offset
            + idx
                .iter()
                .zip(&self.strides)
                .map(|(&i, &s)| i as isize * s)
                .sum::<isize>()
    }

    /// Permutes the dimensions (`perm` must be a permutation).
    pub fn permute(&self, perm: &[usize]) -> View {
        View {
            shape: perm.iter().map(|&p| self.shape[p]).collect(),
            strides: perm.iter().map(|&p| self.strides[p]).collect(),
            offset: self.offset,
        }
    }

    /// Selects `start, start+step, ...` (`len` elements) along `axis`; `step` may be negative.
    pub fn slice_axis(&self, axis: usize, start: usize, len: usize, step: isize) -> View {
        let mut v = self.clone();
        if len > 0 {
            v.offset += start as isize * v.strides[axis];
        }
        v.shape[axis] = len;
        // With two or more elements |stride * step| spans at most the base; with fewer the
        // stride is never used (a huge step must not overflow it).
        v.strides[axis] = v.strides[axis].checked_mul(step).unwrap_or(0);
        v
    }

    /// Removes `axis` by fixing its index to `i`.
    pub fn index_axis(&self, axis: usize, i: usize) -> View {
        let mut v = self.clone();
        v.offset += i as isize * v.strides[axis];
        v.shape.remove(axis);
        v.strides.remove(axis);
        v
    }

    /// Inserts a new dimension of extent 1 at `axis`.
    pub fn insert_axis(&self, axis: usize) -> View {
        let mut v = self.clone();
        v.shape.insert(axis, 1);
        v.strides.insert(axis, 0);
        v
    }

    /// Broadcasts to `shape` (caller has checked compatibility): new leading dims and
    /// extent-1 dims get stride 0.
    pub fn broadcast_to(&self, shape: &[usize]) -> View {
        let lead = shape.len() - self.shape.len();
        let mut strides = Strides::from_elem(0, shape.len());
        for (i, (&d, &s)) in self.shape.iter().zip(&self.strides).enumerate() {
            strides[lead + i] = if d == 1 && shape[lead + i] != 1 { 0 } else { s };
        }
        View {
            shape: Dims::from_slice(shape),
            strides,
            offset: self.offset,
        }
    }

    /// Reshapes without copying if the strides allow it (NumPy's `_attempt_nocopy_reshape`).
    pub fn reshape(&self, new_shape: &[usize]) -> Option<View> {
        if self.shape.iter().product::<usize>() == 0 {
            return Some(View {
                shape: Dims::from_slice(new_shape),
                strides: Strides::from_vec(c_strides(new_shape)),
                offset: self.offset,
            });
        }
        // Drop extent-1 dims of the old view; they carry no stride information.
        let old: Vec<(usize, isize)> = self
            .shape
            .iter()
            .zip(&self.strides)
            .filter(|(d, _)| **d != 1)
            .map(|(&d, &s)| (d, s))
            .collect();
        let mut new_strides = vec![0isize; new_shape.len()];
        let (mut oi, mut ni) = (0usize, 0usize);
        while ni < new_shape.len() {
            if new_shape[ni] == 1 {
                new_strides[ni] = 0;
                ni += 1;
                continue;
            }
            // Group old dims [oi, oj) and new dims [ni, nj) with equal products.
            let (mut op, mut np) = (old.get(oi)?.0, new_shape[ni]);
            let (mut oj, mut nj) = (oi + 1, ni + 1);
            while op != np {
                if op < np {
                    op *= old.get(oj)?.0;
                    oj += 1;
                } else {
                    np *= new_shape[nj];
                    nj += 1;
                }
            }
            // The old group must be contiguous among itself.
            for k in oi..oj - 1 {
                if old[k].1 != old[k + 1].1 * old[k + 1].0 as isize {
                    return None;
                }
            }
            // Assign new strides from the innermost old stride outward.
            let mut st = old[oj - 1].1;
            for k in (ni..nj).rev() {
                new_strides[k] = st;
                st *= new_shape[k] as isize;
            }
            oi = oj;
            ni = nj;
        }
        if oi != old.len() {
            return None;
        }
        Some(View {
            shape: Dims::from_slice(new_shape),
            strides: Strides::from_vec(new_strides),
            offset: self.offset,
        })
    }

    /// Composes `outer` (a view over this view's logical C-order output) onto this view,
    /// if the result is itself a strided view of this view's base. Works for any outer view
    /// by first reshaping this view to 1-D (`None` if that needs a copy).
    pub fn compose(&self, outer: &View) -> Option<View> {
        if *self == View::contiguous(&self.shape) {
            return Some(outer.clone());
        }
        // Express outer's strides (over C-order of self.shape) via self's strides: only
        // possible directly when self is 1-D; otherwise reshape self to 1-D first.
        let flat = self.reshape(&[self.shape.iter().product()])?;
        let s = flat.strides[0];
        Some(View {
            shape: outer.shape.clone(),
            strides: outer.strides.iter().map(|&o| o * s).collect(),
            offset: flat.offset + outer.offset * s,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_rules() {
        assert_eq!(broadcast_pair(&[2, 3], &[3]), Some(vec![2, 3]));
        assert_eq!(broadcast_pair(&[4, 1], &[1, 5]), Some(vec![4, 5]));
        assert_eq!(broadcast_pair(&[2, 3], &[4]), None);
        assert_eq!(broadcast_pair(&[0, 1], &[3]), Some(vec![0, 3]));
        assert_eq!(broadcast_pair(&[], &[2]), Some(vec![2]));
    }

    #[test]
    fn reshape_of_transpose_needs_copy() {
        let v = View::contiguous(&[2, 3]).permute(&[1, 0]);
        assert!(v.reshape(&[6]).is_none());
        assert!(v.reshape(&[3, 2, 1]).is_some());
        let sliced = View::contiguous(&[4, 6]).slice_axis(1, 0, 3, 1);
        assert!(sliced.reshape(&[12]).is_none());
        // Every other column of a 4x6 matrix is one uniform stride-2 walk.
        let every_other = View::contiguous(&[4, 6]).slice_axis(1, 0, 3, 2);
        assert_eq!(every_other.reshape(&[12]).unwrap().strides.as_slice(), &[2]);
        let rows = View::contiguous(&[4, 6]).slice_axis(0, 1, 2, 1);
        assert_eq!(rows.reshape(&[12]).unwrap().strides.as_slice(), &[1]);
        assert_eq!(rows.reshape(&[3, 4]).unwrap().offset, 6);
    }

    #[test]
    fn shape_display_is_python_tuple() {
        assert_eq!(Shape(vec![]).to_string(), "()");
        assert_eq!(Shape(vec![4]).to_string(), "(4,)");
        assert_eq!(Shape(vec![2, 3]).to_string(), "(2, 3)");
    }
}
