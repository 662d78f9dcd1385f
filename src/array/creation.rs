//! Creating arrays: from Rust data, constants, ranges, identity matrices.

use super::Array;
use super::ops::constant;
use crate::dtype::{DType, Element, Scalar};
use crate::error::Result;
use crate::runtime::Buffer;
use crate::shape::Shape;

/// Rust data that [`array()`] accepts: nested fixed-size arrays, `Vec`s, slices, or a scalar.
pub trait IntoArrayData {
    /// The element type.
    type Elem: Element;
    /// Shape and C-order elements.
    fn into_data(self) -> (Vec<usize>, Vec<Self::Elem>);
}

impl<T: Element> IntoArrayData for Vec<T> {
    type Elem = T;
    fn into_data(self) -> (Vec<usize>, Vec<T>) {
        (vec![self.len()], self)
    }
}
impl<T: Element> IntoArrayData for &[T] {
    type Elem = T;
    fn into_data(self) -> (Vec<usize>, Vec<T>) {
        (vec![self.len()], self.to_vec())
    }
}
impl<T: Element, const N: usize> IntoArrayData for [T; N] {
    type Elem = T;
    fn into_data(self) -> (Vec<usize>, Vec<T>) {
        (vec![N], self.to_vec())
    }
}
impl<T: Element, const N: usize, const M: usize> IntoArrayData for [[T; N]; M] {
    type Elem = T;
    fn into_data(self) -> (Vec<usize>, Vec<T>) {
        (vec![M, N], self.iter().flatten().copied().collect())
    }
}
impl<T: Element, const N: usize, const M: usize, const L: usize> IntoArrayData
    for [[[T; N]; M]; L]
{
    type Elem = T;
    fn into_data(self) -> (Vec<usize>, Vec<T>) {
        (
            vec![L, M, N],
            self.iter().flatten().flatten().copied().collect(),
        )
    }
}

/// `np.array(data)`: the dtype comes from the Rust element type.
///
/// ```
/// use lazynp as np;
/// let a = np::array([1.0f32, 2.0, 3.0, 4.0]);
/// assert_eq!((a.shape(), a.dtype()), (&[4usize][..], np::DType::F32));
/// let x = np::array([[1i64, 2, 3], [4, 5, 6]]);
/// assert_eq!(x.shape(), &[2, 3]);
/// ```
pub fn array<D: IntoArrayData>(data: D) -> Array {
    let (shape, v) = data.into_data();
    Array::from_buffer(Buffer::from_slice(&v), shape).expect("nested data has a consistent shape")
}

impl Array {
    /// An array of `shape` from C-order data; `Err` if the length does not match.
    ///
    /// ```
    /// use lazynp::Array;
    /// let v = Array::from_shape_vec([2, 3], vec![1.0f32, 2., 3., 4., 5., 6.])?;
    /// assert_eq!(v.shape(), &[2, 3]);
    /// assert!(Array::from_shape_vec([2, 2], vec![1.0f32]).is_err());
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    pub fn from_shape_vec<T: Element>(shape: impl Into<Shape>, data: Vec<T>) -> Result<Array> {
        Array::from_buffer(Buffer::from_slice(&data), shape)
    }
}

/// A 0-d array (`np.float64(3.0)` as an array).
///
/// ```
/// let s = lazynp::scalar(3.0f64);
/// assert_eq!(s.ndim(), 0);
/// assert_eq!(s.item::<f64>()?, 3.0);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub fn scalar<T: Element>(value: T) -> Array {
    Array::from_buffer(Buffer::from_slice(&[value]), ()).expect("one element")
}

/// `np.zeros(shape, dtype)` (lazy: no memory until used).
///
/// ```
/// let z = lazynp::zeros([2, 3], lazynp::DType::F32);
/// assert_eq!(z.to_vec::<f32>()?, vec![0.0; 6]);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub fn zeros(shape: impl Into<Shape>, dtype: DType) -> Array {
    constant(Scalar::Int(0), dtype, &shape.into().0)
}

/// `np.ones(shape, dtype)`.
///
/// ```
/// assert_eq!(lazynp::ones([3], lazynp::DType::F64).to_vec::<f64>()?, vec![1.0; 3]);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub fn ones(shape: impl Into<Shape>, dtype: DType) -> Array {
    constant(Scalar::Int(1), dtype, &shape.into().0)
}

/// `np.zeros_like(x)`.
///
/// ```
/// let x = lazynp::array([1i32, 2]);
/// assert_eq!(lazynp::zeros_like(&x).to_vec::<i32>()?, vec![0, 0]);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub fn zeros_like(x: &Array) -> Array {
    zeros(x.shape().to_vec(), x.dtype())
}

/// `np.full(shape, value)` with the dtype of `value`.
///
/// ```
/// let f = lazynp::full([2, 2], 7.0f32);
/// assert_eq!(f.to_vec::<f32>()?, vec![7.0; 4]);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub fn full<T: Element>(shape: impl Into<Shape>, value: T) -> Array {
    constant(value.to_scalar(), T::DTYPE, &shape.into().0)
}

/// `np.arange(start, stop, step)` with the dtype of the arguments.
///
/// ```
/// let r = lazynp::arange(0.0f32, 2.0, 0.5);
/// assert_eq!(r.to_vec::<f32>()?, vec![0.0, 0.5, 1.0, 1.5]);
/// assert_eq!(lazynp::arange(5i64, 0, -2).to_vec::<i64>()?, vec![5, 3, 1]);
/// # Ok::<(), lazynp::Error>(())
/// ```
#[track_caller]
pub fn arange<T: Element>(start: T, stop: T, step: T) -> Array {
    let (s, e, st) = (start.to_scalar(), stop.to_scalar(), step.to_scalar());
    let dt = T::DTYPE;
    let buf = if dt.is_float() {
        let (s, e, st) = (s.as_f64(), e.as_f64(), st.as_f64());
        assert!(st != 0.0, "Maximum allowed size exceeded");
        let n = ((e - s) / st).ceil().max(0.0) as usize;
        // NumPy fills with start + i*delta, delta = (start + step) - start, in the dtype.
        if dt == DType::F32 {
            let (s32, d) = (s as f32, (s as f32 + st as f32) - s as f32);
            Buffer::from_slice(&(0..n).map(|i| s32 + i as f32 * d).collect::<Vec<f32>>())
        } else {
            let d = (s + st) - s;
            Buffer::from_slice(&(0..n).map(|i| s + i as f64 * d).collect::<Vec<f64>>())
        }
    } else {
        let (s, e, st) = (s.as_i64() as i128, e.as_i64() as i128, st.as_i64() as i128);
        assert!(st != 0, "Maximum allowed size exceeded");
        let n = if st > 0 {
            ((e - s + st - 1) / st).max(0)
        } else {
            ((s - e + (-st) - 1) / (-st)).max(0)
        } as usize;
        Buffer::from_scalars(dt, (0..n).map(|i| Scalar::Int((s + i as i128 * st) as i64)))
    };
    let n = buf.len();
    Array::from_buffer(buf, [n]).expect("1-D")
}

/// `np.linspace(start, stop, num)` (endpoint included) in the dtype of `start`.
///
/// ```
/// let l = lazynp::linspace(0.0f64, 1.0, 5);
/// assert_eq!(l.to_vec::<f64>()?, vec![0.0, 0.25, 0.5, 0.75, 1.0]);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub fn linspace<T: Element>(start: T, stop: T, num: usize) -> Array {
    let (s, e) = (start.to_scalar().as_f64(), stop.to_scalar().as_f64());
    let div = num.saturating_sub(1).max(1) as f64;
    let step = (e - s) / div;
    let mut v: Vec<Scalar> = (0..num)
        .map(|i| {
            Scalar::Float(if step != 0.0 {
                i as f64 * step + s
            } else {
                i as f64 / div * (e - s) + s
            })
        })
        .collect();
    if num > 1 {
        v[num - 1] = Scalar::Float(e);
    }
    let buf = Buffer::from_scalars(T::DTYPE, v.into_iter());
    Array::from_buffer(buf, [num]).expect("1-D")
}

/// `np.eye(n, dtype=dtype)`: the identity matrix.
///
/// ```
/// let e = lazynp::eye(2, lazynp::DType::F32);
/// assert_eq!(e.to_vec::<f32>()?, vec![1.0, 0.0, 0.0, 1.0]);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub fn eye(n: usize, dtype: DType) -> Array {
    let vals = (0..n * n).map(|i| Scalar::Bool(i / n == i % n));
    Array::from_buffer(Buffer::from_scalars(dtype, vals), [n, n]).expect("n*n")
}
