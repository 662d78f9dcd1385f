//! Conversions to and from [`ndarray`] (cargo feature `ndarray`).
//!
//! What is copied and what is not: lazynp keeps every array in its own 64-byte aligned
//! buffer, and `ndarray` owns a `Vec`, so the *owned* conversions copy once — a single
//! `memcpy` when the source is in standard (C) order, an element walk otherwise.
//! [`Array::ndarray_view`] does not copy: it borrows the evaluated buffer in place.
//!
//! ```
//! use lazynp as np;
//! let a = ndarray::array![[1.0f32, 2.0], [3.0, 4.0]];
//! let x = np::Array::from(a.clone());             // copy in
//! let y = (&x * 2.0).to_ndarray::<f32>()?;          // evaluate, copy out
//! assert_eq!(y, (&a * 2.0).into_dyn());
//! let v = x.t().ndarray_view::<f32>()?;              // no copy
//! assert_eq!(v.view()[[0, 1]], 3.0);
//! # Ok::<(), np::Error>(())
//! ```

use super::Array;
use crate::dtype::Element;
use crate::error::{Error, Result};
use crate::runtime::Buffer;
use ndarray::{ArrayBase, ArrayViewD, Data, Dimension, IxDyn};
use std::sync::Arc;

impl<T: Element, S: Data<Elem = T>, D: Dimension> From<ArrayBase<S, D>> for Array {
    /// Copies an `ndarray` array (owned, view or shared, any layout) in logical order.
    ///
    /// ```
    /// let a = ndarray::Array::from_shape_fn((2, 3), |(i, j)| (10 * i + j) as i64);
    /// let x = lazynp::Array::from(a.t());              // a transposed view
    /// assert_eq!(x.shape(), &[3, 2]);
    /// assert_eq!(x.to_vec::<i64>()?, vec![0, 10, 1, 11, 2, 12]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    fn from(a: ArrayBase<S, D>) -> Array {
        (&a).into()
    }
}

impl<T: Element, S: Data<Elem = T>, D: Dimension> From<&ArrayBase<S, D>> for Array {
    /// Copies an `ndarray` array by reference (see the owned conversion).
    fn from(a: &ArrayBase<S, D>) -> Array {
        let shape = a.shape().to_vec();
        let buf = match a.as_slice() {
            Some(s) => Buffer::from_slice(s),
            None => {
                let mut b = Buffer::zeroed(T::DTYPE, a.len());
                for (dst, src) in b.as_mut_slice::<T>().iter_mut().zip(a.iter()) {
                    *dst = *src;
                }
                b
            }
        };
        Array::from_buffer(buf, shape).expect("ndarray's shape matches its length")
    }
}

impl Array {
    /// Evaluates and copies into an owned `ndarray::ArrayD` in standard layout; `Err` if `T`
    /// is not the dtype.
    ///
    /// ```
    /// let x = lazynp::arange(0i32, 6, 1).reshape([2, 3]);
    /// let a = x.to_ndarray::<i32>()?;
    /// assert_eq!(a.shape(), &[2, 3]);
    /// assert_eq!(a[[1, 2]], 5);
    /// assert!(x.to_ndarray::<f32>().is_err());
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    pub fn to_ndarray<T: Element>(&self) -> Result<ndarray::ArrayD<T>> {
        let v = self.to_vec::<T>()?;
        ndarray::ArrayD::from_shape_vec(IxDyn(self.shape()), v).map_err(|e| Error::Invalid {
            op: "to_ndarray",
            msg: e.to_string(),
        })
    }

    /// Evaluates and borrows the result as an `ndarray` view without copying: the returned
    /// handle keeps the buffer alive; [`NdarrayView::view`] gives the `ArrayViewD`.
    ///
    /// ```
    /// let x = lazynp::array([[1.0f64, 2.0], [3.0, 4.0]]);
    /// let h = x.matmul(&x).ndarray_view::<f64>()?;
    /// assert_eq!(h.view().sum(), 54.0);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    pub fn ndarray_view<T: Element>(&self) -> Result<NdarrayView<T>> {
        if T::DTYPE != self.dtype() {
            return Err(Error::DTypeMismatch {
                actual: self.dtype(),
                requested: T::DTYPE,
            });
        }
        Ok(NdarrayView {
            buf: self.buffer()?,
            shape: self.shape().to_vec(),
            _t: std::marker::PhantomData,
        })
    }
}

/// An evaluated array's buffer, held so that `ndarray` views of it can be lent out
/// ([`Array::ndarray_view`]).
pub struct NdarrayView<T> {
    buf: Arc<Buffer>,
    shape: Vec<usize>,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T: Element> NdarrayView<T> {
    /// The elements as an `ndarray` view in standard (C) layout, borrowed from the buffer.
    pub fn view(&self) -> ArrayViewD<'_, T> {
        ArrayViewD::from_shape(IxDyn(&self.shape), self.buf.as_slice::<T>())
            .expect("the buffer holds exactly the shape's elements")
    }
}
