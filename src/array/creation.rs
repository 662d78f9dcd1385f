//! Creating arrays: from Rust data, constants, ranges, identity matrices.

use super::ops::constant;
use super::{Array, ok};
use crate::dtype::{DType, Element, Scalar};
use crate::error::{Error, Result};
use crate::runtime::Buffer;
use crate::shape::{Shape, check_shape};

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
        Array::from_buffer(Buffer::try_from_slice(&data)?, shape)
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
#[track_caller]
pub fn zeros(shape: impl Into<Shape>, dtype: DType) -> Array {
    ok(try_full_of(shape.into(), Scalar::Int(0), dtype))
}

/// Non-panicking [`zeros`]: `Err` if the shape has more than 64 dimensions or its byte size
/// does not fit in `isize` (NumPy's "array is too big").
///
/// ```
/// use lazynp as np;
/// assert!(np::try_zeros([1usize << 32, 1 << 32], np::DType::F64).is_err());
/// assert_eq!(np::try_zeros([2], np::DType::F64)?.to_vec::<f64>()?, vec![0.0; 2]);
/// # Ok::<(), np::Error>(())
/// ```
pub fn try_zeros(shape: impl Into<Shape>, dtype: DType) -> Result<Array> {
    try_full_of(shape.into(), Scalar::Int(0), dtype)
}

fn try_full_of(shape: Shape, value: Scalar, dtype: DType) -> Result<Array> {
    check_shape(&shape.0, dtype.size())?;
    Ok(constant(value, dtype, &shape.0))
}

/// `np.ones(shape, dtype)`.
///
/// ```
/// assert_eq!(lazynp::ones([3], lazynp::DType::F64).to_vec::<f64>()?, vec![1.0; 3]);
/// # Ok::<(), lazynp::Error>(())
/// ```
#[track_caller]
pub fn ones(shape: impl Into<Shape>, dtype: DType) -> Array {
    ok(try_full_of(shape.into(), Scalar::Int(1), dtype))
}

/// `np.zeros_like(x)`.
///
/// ```
/// let x = lazynp::array([1i32, 2]);
/// assert_eq!(lazynp::zeros_like(&x).to_vec::<i32>()?, vec![0, 0]);
/// # Ok::<(), lazynp::Error>(())
/// ```
#[track_caller]
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
#[track_caller]
pub fn full<T: Element>(shape: impl Into<Shape>, value: T) -> Array {
    ok(try_full(shape, value))
}

/// Non-panicking [`full`] (errors as [`try_zeros`]).
///
/// ```
/// assert!(lazynp::try_full([3, usize::MAX / 2], 1u8).is_err());
/// assert_eq!(lazynp::try_full([2], 7u8)?.to_vec::<u8>()?, vec![7, 7]);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub fn try_full<T: Element>(shape: impl Into<Shape>, value: T) -> Result<Array> {
    try_full_of(shape.into(), value.to_scalar(), T::DTYPE)
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
    ok(try_arange(start, stop, step))
}

/// Non-panicking [`arange`]: `Err` for a zero step or a length NumPy could not allocate either
/// ("Maximum allowed size exceeded", "array is too big", out of memory).
///
/// ```
/// assert!(lazynp::try_arange(0.0f64, 1.0, 0.0).is_err());
/// assert!(lazynp::try_arange(0.0f64, 1e300, 1.0).is_err());
/// assert_eq!(lazynp::try_arange(0u8, 3, 1)?.to_vec::<u8>()?, vec![0, 1, 2]);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub fn try_arange<T: Element>(start: T, stop: T, step: T) -> Result<Array> {
    let (s, e, st) = (start.to_scalar(), stop.to_scalar(), step.to_scalar());
    let dt = T::DTYPE;
    let max_size = || Error::Invalid {
        op: "arange",
        msg: "Maximum allowed size exceeded".into(),
    };
    let mut buf;
    if dt.is_float() {
        let (s, e, st) = (s.as_f64(), e.as_f64(), st.as_f64());
        let n = ((e - s) / st).ceil();
        if st == 0.0 || n.is_nan() || n >= isize::MAX as f64 {
            return Err(max_size());
        }
        let n = n.max(0.0) as usize;
        check_shape(&[n], dt.size())?;
        buf = Buffer::try_zeroed(dt, n)?;
        // NumPy fills with start + i*delta, delta = (start + step) - start, in the dtype.
        if dt == DType::F32 {
            let (s32, d) = (s as f32, (s as f32 + st as f32) - s as f32);
            for (i, v) in buf.as_mut_slice::<f32>().iter_mut().enumerate() {
                *v = s32 + i as f32 * d;
            }
        } else {
            let d = (s + st) - s;
            for (i, v) in buf.as_mut_slice::<f64>().iter_mut().enumerate() {
                *v = s + i as f64 * d;
            }
        }
    } else {
        let int = |v: Scalar| match v {
            Scalar::UInt(u) => u as i128,
            v => v.as_i64() as i128,
        };
        let (s, e, st) = (int(s), int(e), int(st));
        if st == 0 {
            return Err(max_size());
        }
        let n = if st > 0 {
            ((e - s + st - 1) / st).max(0)
        } else {
            ((s - e + (-st) - 1) / (-st)).max(0)
        };
        let n = usize::try_from(n).map_err(|_| max_size())?;
        check_shape(&[n], dt.size())?;
        buf = Buffer::try_zeroed(dt, n)?;
        crate::with_dtype!(dt, U => {
            for (i, v) in buf.as_mut_slice::<U>().iter_mut().enumerate() {
                let x = s + i as i128 * st;
                *v = U::from_scalar(match i64::try_from(x) {
                    Ok(x) => Scalar::Int(x),
                    Err(_) => Scalar::UInt(x as u64),
                });
            }
        });
    }
    let n = buf.len();
    Array::from_buffer(buf, [n])
}

/// `np.linspace(start, stop, num)` (endpoint included) in the dtype of `start`. Panics if `num`
/// elements cannot be allocated.
///
/// ```
/// let l = lazynp::linspace(0.0f64, 1.0, 5);
/// assert_eq!(l.to_vec::<f64>()?, vec![0.0, 0.25, 0.5, 0.75, 1.0]);
/// # Ok::<(), lazynp::Error>(())
/// ```
#[track_caller]
pub fn linspace<T: Element>(start: T, stop: T, num: usize) -> Array {
    ok(try_linspace(start, stop, num))
}

/// Non-panicking [`linspace`].
///
/// ```
/// assert!(lazynp::try_linspace(0.0f64, 1.0, usize::MAX).is_err());
/// # Ok::<(), lazynp::Error>(())
/// ```
pub fn try_linspace<T: Element>(start: T, stop: T, num: usize) -> Result<Array> {
    check_shape(&[num], T::DTYPE.size())?;
    let (s, e) = (start.to_scalar().as_f64(), stop.to_scalar().as_f64());
    let div = num.saturating_sub(1).max(1) as f64;
    let step = (e - s) / div;
    let mut buf = Buffer::try_zeroed(T::DTYPE, num)?;
    let slice = buf.as_mut_slice::<T>();
    for (i, v) in slice.iter_mut().enumerate() {
        *v = T::from_scalar(Scalar::Float(if step != 0.0 {
            i as f64 * step + s
        } else {
            i as f64 / div * (e - s) + s
        }));
    }
    if num > 1 {
        slice[num - 1] = T::from_scalar(Scalar::Float(e));
    }
    Array::from_buffer(buf, [num])
}

/// `np.eye(n, dtype=dtype)`: the identity matrix.
///
/// ```
/// let e = lazynp::eye(2, lazynp::DType::F32);
/// assert_eq!(e.to_vec::<f32>()?, vec![1.0, 0.0, 0.0, 1.0]);
/// # Ok::<(), lazynp::Error>(())
/// ```
///
/// Small identities are stored; larger ones are lazy (`arange(n)[:, None] == arange(n)`), so
/// `eye(1 << 20)` costs `n` elements until it is evaluated, and a size that cannot exist
/// panics with NumPy's message (see [`try_eye`]).
#[track_caller]
pub fn eye(n: usize, dtype: DType) -> Array {
    ok(try_eye(n, dtype))
}

/// Non-panicking [`eye`]: `Err` if `n * n` elements of `dtype` do not fit in `isize` bytes.
///
/// ```
/// assert!(lazynp::try_eye(1 << 32, lazynp::DType::F32).is_err());
/// let e = lazynp::try_eye(3000, lazynp::DType::U8)?; // lazy: nothing of 9 MB yet
/// assert_eq!(e.slice(lazynp::s![2999, 2998..]).to_vec::<u8>()?, vec![0, 1]);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub fn try_eye(n: usize, dtype: DType) -> Result<Array> {
    let size = check_shape(&[n, n], dtype.size())?;
    if size * dtype.size() <= EAGER_EYE_BYTES {
        let vals = (0..size).map(|i| Scalar::Bool(i / n == i % n));
        return Array::from_buffer(Buffer::from_scalars(dtype, vals), [n, n]);
    }
    let i = arange(0i64, n as i64, 1);
    let rows = i.try_reshape([n, 1])?;
    Ok(rows.equal(&i).astype(dtype))
}

/// Identities up to this many bytes are built as data; larger ones lazily.
const EAGER_EYE_BYTES: usize = 1 << 20;
