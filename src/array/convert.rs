//! Conversions between [`Array`] and Rust's own containers: `From<Vec<T>>`, `From<&[T]>`,
//! `TryFrom<Vec<Vec<T>>>` (ragged rows are NumPy's "inhomogeneous shape" error),
//! `FromIterator`, and back with [`Array::to_vec2`], [`Array::iter`] and `TryFrom<&Array>` for
//! `Vec<T>`. The `ndarray` and `safetensors` cargo features add those crates' types (modules
//! `array::ndarray_interop` and `lazynp::safetensors`).

use super::Array;
use crate::dtype::Element;
use crate::error::{Error, Result};
use crate::runtime::Buffer;
use std::sync::Arc;

impl<T: Element> From<Vec<T>> for Array {
    /// A 1-d array of the vector's elements (`np.array(list)`).
    ///
    /// ```
    /// let a = lazynp::Array::from(vec![1.0f32, 2.0, 3.0]);
    /// assert_eq!((a.shape(), a.dtype()), (&[3usize][..], lazynp::DType::F32));
    /// ```
    fn from(v: Vec<T>) -> Array {
        super::array(v)
    }
}

impl<T: Element> From<&[T]> for Array {
    /// A 1-d array copied from the slice.
    ///
    /// ```
    /// let data = [1i64, 2, 3, 4];
    /// let a = lazynp::Array::from(&data[1..]);
    /// assert_eq!(a.to_vec::<i64>()?, vec![2, 3, 4]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    fn from(v: &[T]) -> Array {
        super::array(v)
    }
}

impl<T: Element> FromIterator<T> for Array {
    /// A 1-d array of the iterator's items (`np.fromiter`).
    ///
    /// ```
    /// let a: lazynp::Array = (0..5).map(|i| i as f64 * 0.5).collect();
    /// assert_eq!(a.to_vec::<f64>()?, vec![0.0, 0.5, 1.0, 1.5, 2.0]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Array {
        super::array(iter.into_iter().collect::<Vec<T>>())
    }
}

/// NumPy's error for rows of different lengths (`np.array([[1, 2], [3]])`).
fn inhomogeneous(rows: usize) -> Error {
    Error::Invalid {
        op: "array",
        msg: format!(
            "setting an array element with a sequence. The requested array has an \
             inhomogeneous shape after 1 dimensions. The detected shape was ({rows},) + \
             inhomogeneous part."
        ),
    }
}

impl<T: Element> TryFrom<Vec<Vec<T>>> for Array {
    type Error = Error;

    /// A 2-d array from rows of equal length; ragged rows are NumPy's error.
    ///
    /// ```
    /// use lazynp::Array;
    /// let a = Array::try_from(vec![vec![1u8, 2, 3], vec![4, 5, 6]])?;
    /// assert_eq!(a.shape(), &[2, 3]);
    /// assert_eq!(a.to_vec2::<u8>()?, vec![vec![1, 2, 3], vec![4, 5, 6]]);
    /// let ragged = Array::try_from(vec![vec![1.0f64, 2.0], vec![3.0]]).unwrap_err();
    /// assert!(ragged.to_string().contains("inhomogeneous shape after 1 dimensions"));
    /// // No rows: shape (0, 0), as np.array([[]]).reshape(0, 0).
    /// assert_eq!(Array::try_from(Vec::<Vec<f32>>::new())?.shape(), &[0, 0]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    fn try_from(rows: Vec<Vec<T>>) -> Result<Array> {
        let cols = rows.first().map_or(0, Vec::len);
        if rows.iter().any(|r| r.len() != cols) {
            return Err(inhomogeneous(rows.len()));
        }
        let n = rows.len();
        let mut data = Vec::new();
        data.try_reserve_exact(n.saturating_mul(cols))
            .map_err(|e| Error::Invalid {
                op: "array",
                msg: e.to_string(),
            })?;
        for r in rows {
            data.extend_from_slice(&r);
        }
        Array::from_shape_vec([n, cols], data)
    }
}

impl<T: Element> TryFrom<&Array> for Vec<T> {
    type Error = Error;

    /// The C-order elements (evaluating first), as [`Array::to_vec`].
    ///
    /// ```
    /// let x = lazynp::array([[1i32, 2], [3, 4]]);
    /// let v: Vec<i32> = (&x.t()).try_into()?;
    /// assert_eq!(v, vec![1, 3, 2, 4]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    fn try_from(a: &Array) -> Result<Vec<T>> {
        a.to_vec()
    }
}

impl Array {
    /// The rows of a 2-d array as vectors (evaluating first), like NumPy's `x.tolist()`.
    /// `Err` for another number of dimensions or another dtype.
    ///
    /// ```
    /// let x = lazynp::array([[1.0f32, 2.0], [3.0, 4.0]]);
    /// assert_eq!(x.t().to_vec2::<f32>()?, vec![vec![1.0, 3.0], vec![2.0, 4.0]]);
    /// assert!(lazynp::array([1.0f32]).to_vec2::<f32>().is_err());
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    pub fn to_vec2<T: Element>(&self) -> Result<Vec<Vec<T>>> {
        let &[_, cols] = self.shape() else {
            return Err(Error::Invalid {
                op: "to_vec2",
                msg: format!("needs a 2-d array, this one has {} dimensions", self.ndim()),
            });
        };
        let flat = self.to_vec::<T>()?;
        if cols == 0 {
            return Ok(vec![Vec::new(); self.shape()[0]]);
        }
        Ok(flat.chunks_exact(cols).map(<[T]>::to_vec).collect())
    }

    /// An iterator over the elements in C order, evaluating first; it reads the evaluated
    /// buffer in place (no copy) and keeps it alive. `Err` if `T` is not the dtype.
    ///
    /// ```
    /// let x = lazynp::array([[1i64, 2], [3, 4]]);
    /// let total: i64 = (&x * 10).iter::<i64>()?.sum();
    /// assert_eq!(total, 100);
    /// let back: Vec<i64> = x.t().iter()?.rev().collect();
    /// assert_eq!(back, vec![4, 2, 3, 1]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    pub fn iter<T: Element>(&self) -> Result<Iter<T>> {
        if T::DTYPE != self.dtype() {
            return Err(Error::DTypeMismatch {
                actual: self.dtype(),
                requested: T::DTYPE,
            });
        }
        let buf = self.buffer()?;
        let end = buf.len();
        Ok(Iter {
            buf,
            front: 0,
            back: end,
            _t: std::marker::PhantomData,
        })
    }
}

/// The elements of an evaluated array, in C order ([`Array::iter`]).
pub struct Iter<T> {
    buf: Arc<Buffer>,
    front: usize,
    back: usize,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T: Element> Iterator for Iter<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        if self.front == self.back {
            return None;
        }
        let v = self.buf.as_slice::<T>()[self.front];
        self.front += 1;
        Some(v)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.back - self.front;
        (n, Some(n))
    }
}

impl<T: Element> DoubleEndedIterator for Iter<T> {
    fn next_back(&mut self) -> Option<T> {
        if self.front == self.back {
            return None;
        }
        self.back -= 1;
        Some(self.buf.as_slice::<T>()[self.back])
    }
}

impl<T: Element> ExactSizeIterator for Iter<T> {}

impl<T: Element> std::iter::FusedIterator for Iter<T> {}
