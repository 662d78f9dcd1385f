//! Gathering: `take` (fancy indexing along an axis) and boolean masks (`x[x > 0]`).

use super::ops::cast;
use super::{Array, ok};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ir::Op;
use crate::runtime::Buffer;
use crate::shape::normalize_axis;

impl Array {
    /// `np.take(x, indices, axis)`, i.e. `x[indices]` for `axis = 0`: the result's shape is
    /// `x.shape[:axis] + indices.shape + x.shape[axis+1:]`. Negative indices count from the
    /// end; an out-of-range index is an `Err` when the result is evaluated.
    ///
    /// ```
    /// use lazynp as np;
    /// let labels = np::array([0i64, 2, 1, 3]);
    /// let one_hot = np::eye(4, np::DType::F64).take(&labels, 0);
    /// assert_eq!(one_hot.shape(), &[4, 4]);
    /// assert_eq!(one_hot.i(1).to_vec::<f64>()?, vec![0.0, 0.0, 1.0, 0.0]);
    /// assert!(np::eye(4, np::DType::F64).take(&np::array([4i64]), 0).eval().is_err());
    /// # Ok::<(), np::Error>(())
    /// ```
    #[track_caller]
    pub fn take(&self, indices: &Array, axis: isize) -> Array {
        ok(self.try_take(indices, axis))
    }

    /// Non-panicking [`Array::take`].
    ///
    /// ```
    /// let x = lazynp::array([1.0f64, 2.0]);
    /// assert!(x.try_take(&lazynp::array([0.5f64]), 0).is_err());
    /// ```
    pub fn try_take(&self, indices: &Array, axis: isize) -> Result<Array> {
        if !indices.dtype().is_int() {
            return Err(Error::Invalid {
                op: "take",
                msg: format!(
                    "Cannot cast array data from dtype('{}') to dtype('int64') according to the rule 'safe'",
                    indices.dtype()
                ),
            });
        }
        let ax = normalize_axis(axis, self.ndim())?;
        // uint64 indices stay uint64 (the gather reads both): a cast would wrap 2^64 - 1 to -1.
        let idx = if indices.dtype() == DType::U64 {
            indices.clone()
        } else {
            cast(indices, DType::I64)
        };
        let mut shape = self.shape()[..ax].to_vec();
        shape.extend_from_slice(indices.shape());
        shape.extend_from_slice(&self.shape()[ax + 1..]);
        crate::shape::check_shape(&shape, self.dtype().size())?;
        Ok(Array::build(
            Op::Take { axis: ax },
            self.dtype(),
            shape,
            &[self, &idx],
        ))
    }

    /// Boolean indexing `x[mask]`: the elements where `mask` is true, in C order.
    ///
    /// The result's length depends on the data, so this is a synchronisation point: `x` and
    /// `mask` are evaluated now, and the result is a new leaf. `mask` must have `x`'s shape or
    /// that of its leading dimensions (then whole sub-arrays are selected).
    ///
    /// ```
    /// let x = lazynp::array([-1.0f64, 2.0, -3.0, 4.0]);
    /// assert_eq!(x.masked(&x.gt(0.0))?.to_vec::<f64>()?, vec![2.0, 4.0]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    pub fn masked(&self, mask: &Array) -> Result<Array> {
        let k = mask.ndim();
        if mask.dtype() != DType::Bool || k > self.ndim() || mask.shape() != &self.shape()[..k] {
            return Err(Error::Invalid {
                op: "index",
                msg: format!(
                    "boolean index of shape {} ({}) does not match indexed array of shape {}",
                    crate::shape::tuple(mask.shape(), ", "),
                    mask.dtype(),
                    crate::shape::tuple(self.shape(), ", "),
                ),
            });
        }
        crate::eval::evaluate(
            &[self.node().clone(), mask.node().clone()],
            &Default::default(),
        )?;
        let (data, m) = (self.buffer()?, mask.buffer()?);
        let inner: usize = self.shape()[k..].iter().product();
        let es = self.dtype().size();
        let sel: Vec<usize> = m
            .as_slice::<bool>()
            .iter()
            .enumerate()
            .filter(|(_, b)| **b)
            .map(|(i, _)| i)
            .collect();
        let mut out = Buffer::try_zeroed(self.dtype(), sel.len() * inner)?;
        let (src, dst) = (data.as_bytes(), out.as_bytes_mut());
        for (j, &i) in sel.iter().enumerate() {
            dst[j * inner * es..(j + 1) * inner * es]
                .copy_from_slice(&src[i * inner * es..(i + 1) * inner * es]);
        }
        let mut shape = vec![sel.len()];
        shape.extend_from_slice(&self.shape()[k..]);
        Array::from_buffer(out, shape)
    }
}
