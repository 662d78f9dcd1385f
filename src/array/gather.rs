//! Reading helpers used around updates: `nonzero`, `argwhere`, `take_along_axis`, and
//! `put_along_axis` (an update).

use super::ops::{Operand, broadcast, cast, constant};
use super::update::{Selection, update};
use super::{Array, ArrayOrScalar, ok};
use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use crate::ir::UpdateMode;
use crate::runtime::Buffer;
use crate::shape::{broadcast_shapes, c_strides, normalize_axis};

impl Array {
    /// `x.nonzero()`: one int64 array per dimension with the coordinates of the nonzero
    /// elements in C order. The count depends on the data, so `x` is evaluated now (a
    /// synchronisation point, like [`Array::masked`]); 0-d arrays are refused as NumPy 2 does.
    ///
    /// ```
    /// let x = lazynp::array([[0, 3], [4, 0]]);
    /// let nz = x.nonzero()?;
    /// assert_eq!(nz[0].to_vec::<i64>()?, vec![0, 1]);
    /// assert_eq!(nz[1].to_vec::<i64>()?, vec![1, 0]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    pub fn nonzero(&self) -> Result<Vec<Array>> {
        if self.ndim() == 0 {
            return Err(Error::Invalid {
                op: "ValueError",
                msg: "Calling nonzero on 0d arrays is not allowed. Use np.atleast_1d(scalar).nonzero() instead. If the context of this error is of the form `arr[nonzero(cond)]`, just use `arr[cond]`.".into(),
            });
        }
        let coords = nonzero_coords(self)?;
        let nd = self.ndim();
        let n = coords.len() / nd.max(1);
        (0..nd)
            .map(|d| {
                let col: Vec<i64> = (0..n).map(|r| coords[r * nd + d]).collect();
                Array::from_buffer(Buffer::from_slice(&col), [n])
            })
            .collect()
    }
}

/// Coordinates of the nonzero elements, row-major `(count, ndim)`.
fn nonzero_coords(x: &Array) -> Result<Vec<i64>> {
    let buf = x.buffer()?;
    let shape = x.shape();
    let strides = c_strides(shape);
    let mut out = Vec::new();
    for i in 0..buf.len() {
        if buf.get(i).as_bool() {
            for (&s, &n) in strides.iter().zip(shape) {
                out.push(((i as isize / s) as usize % n.max(1)) as i64);
            }
        }
    }
    Ok(out)
}

/// `np.argwhere(x)`: the coordinates of the nonzero elements as an int64 array of shape
/// `(count, x.ndim)`. Evaluates `x` now (the count depends on the data).
///
/// ```
/// let x = lazynp::array([[0.0, 1.5], [2.0, 0.0]]);
/// let w = lazynp::argwhere(&x)?;
/// assert_eq!(w.shape(), &[2, 2]);
/// assert_eq!(w.to_vec::<i64>()?, vec![0, 1, 1, 0]);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub fn argwhere(x: &Array) -> Result<Array> {
    let nd = x.ndim();
    if nd == 0 {
        let n = usize::from(x.buffer()?.get(0).as_bool());
        return Array::from_buffer(Buffer::from_slice::<i64>(&[]), [n, 0]);
    }
    let coords = nonzero_coords(x)?;
    let n = coords.len() / nd;
    Array::from_buffer(Buffer::from_slice(&coords), [n, nd])
}

/// `np.take_along_axis(x, indices, axis)`: `out[i] = x[i with coordinate axis replaced by
/// indices[i]]`; `indices` has `x`'s number of dimensions and broadcasts against it on the other
/// axes. Lazy (a gather of flat positions). An index outside `-n..n` is an `Err` when the
/// result is evaluated (reported as a flat position one past the end).
///
/// ```
/// use lazynp as np;
/// let x = np::array([[10, 30, 20], [60, 40, 50]]);
/// let i = x.argmax(1).reshape([2, 1]);
/// assert_eq!(np::take_along_axis(&x, &i, 1).to_vec::<i32>()?, vec![30, 60]);
/// # Ok::<(), np::Error>(())
/// ```
#[track_caller]
pub fn take_along_axis(x: &Array, indices: &Array, axis: isize) -> Array {
    ok(try_take_along_axis(x, indices, axis))
}

/// Non-panicking [`take_along_axis`].
///
/// ```
/// use lazynp as np;
/// let x = np::zeros([2, 3], np::DType::F64);
/// assert!(np::try_take_along_axis(&x, &np::array([0i64]), 1).is_err());
/// ```
pub fn try_take_along_axis(x: &Array, indices: &Array, axis: isize) -> Result<Array> {
    let ax = normalize_axis(axis, x.ndim())?;
    if !indices.dtype().is_int() {
        return Err(Error::Invalid {
            op: "IndexError",
            msg: "`indices` must be an integer array".into(),
        });
    }
    if indices.ndim() != x.ndim() {
        return Err(Error::Invalid {
            op: "ValueError",
            msg: "`indices` and `arr` must have the same number of dimensions".into(),
        });
    }
    let mut xs = x.shape().to_vec();
    xs[ax] = indices.shape()[ax];
    let shape = broadcast_shapes(&[&xs, indices.shape()])?;
    let strides = c_strides(x.shape());
    let n = x.shape()[ax] as i64;
    let idx = broadcast(&cast(indices, DType::I64), &shape);
    // Flat position: the other coordinates (0 where x broadcasts) plus the checked index.
    let mut flat = constant(Scalar::Int(0), DType::I64, &shape);
    for (d, (&len, &s)) in shape.iter().zip(&strides).enumerate() {
        if d == ax || x.shape()[d] == 1 {
            continue;
        }
        let mut dims = vec![1usize; shape.len()];
        dims[d] = len;
        let coord = crate::arange(0i64, len as i64, 1)
            .reshape(dims.iter().map(|&v| v as isize).collect::<Vec<_>>());
        flat = &flat + &(coord * s as i64);
    }
    let k = crate::where_(&idx.lt(0i64), &idx + n, &idx);
    let valid = &k.ge(0i64) & &k.lt(n);
    let size = x.size() as i64;
    let pos = crate::where_(&valid, &flat + &(k * strides[ax] as i64), size);
    let flat_x = x.reshape([-1]);
    flat_x.try_take(&pos, 0)
}

/// `np.put_along_axis(x, indices, values, axis)`: `x[i with coordinate axis replaced by
/// indices[i]] = values[i]`; `indices` has `x`'s number of dimensions and broadcasts against it
/// on the other axes, `values` broadcasts to the indices. `x` is rebound to the result.
///
/// ```
/// use lazynp as np;
/// let mut x = np::zeros([2, 3], np::DType::F64);
/// np::put_along_axis(&mut x, &np::array([[2i64], [0]]), 1.0, 1);
/// assert_eq!(x.to_vec::<f64>()?, vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
/// # Ok::<(), np::Error>(())
/// ```
#[track_caller]
pub fn put_along_axis(x: &mut Array, indices: &Array, values: impl ArrayOrScalar, axis: isize) {
    ok(try_put_along_axis(x, indices, values, axis))
}

/// Non-panicking [`put_along_axis`].
///
/// ```
/// use lazynp as np;
/// let mut x = np::zeros([2, 3], np::DType::F64);
/// assert!(np::try_put_along_axis(&mut x, &np::array([1i64]), 1.0, 1).is_err());
/// ```
pub fn try_put_along_axis(
    x: &mut Array,
    indices: &Array,
    values: impl ArrayOrScalar,
    axis: isize,
) -> Result<()> {
    let ax = normalize_axis(axis, x.ndim())?;
    let v: Operand = values.operand().0;
    *x = update(
        x,
        &Selection::Along(indices.clone(), ax),
        UpdateMode::Set,
        v,
    )?;
    Ok(())
}
