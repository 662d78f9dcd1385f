//! Linear algebra: `matmul` (NumPy's `@`), `dot`, and `linalg::inv`.

use super::ops::{broadcast, cast};
use super::{Array, ok};
use crate::dtype::{DType, promote};
use crate::error::{Error, Result};
use crate::ir::Op;
use crate::runtime::Buffer;
use crate::shape::broadcast_pair;

impl Array {
    /// `self @ other` with NumPy's rules: 1-D operands are promoted (and the extra axis removed
    /// after), batch dimensions broadcast, 1-D @ 1-D is a 0-d inner product.
    ///
    /// ```
    /// use lazynp as np;
    /// let x = np::array([1.0f64, 2.0, 3.0]);
    /// let w = np::array([[0.1f64, 0.2, 0.3], [0.4, 0.5, 0.6]]);
    /// let y = w.matmul(&x);
    /// assert_eq!(y.shape(), &[2]);
    /// assert_eq!(x.matmul(&x).ndim(), 0);
    /// ```
    #[track_caller]
    pub fn matmul(&self, other: &Array) -> Array {
        ok(self.try_matmul(other))
    }

    /// Non-panicking [`Array::matmul`].
    ///
    /// ```
    /// let a = lazynp::zeros([2, 3], lazynp::DType::F32);
    /// assert!(a.try_matmul(&a).is_err());
    /// ```
    pub fn try_matmul(&self, other: &Array) -> Result<Array> {
        for (i, a) in [self, other].iter().enumerate() {
            if a.ndim() == 0 {
                return Err(Error::Invalid {
                    op: "matmul",
                    msg: format!(
                        "Input operand {i} does not have enough dimensions (has 0, gufunc core with signature (n?,k),(k,m?)->(n?,m?) requires 1)"
                    ),
                });
            }
        }
        let a = if self.ndim() == 1 {
            self.expand_dims(0)
        } else {
            self.clone()
        };
        let b = if other.ndim() == 1 {
            other.expand_dims(-1)
        } else {
            other.clone()
        };
        let (na, nb) = (a.ndim(), b.ndim());
        let (m, k1, k2, n) = (
            a.shape()[na - 2],
            a.shape()[na - 1],
            b.shape()[nb - 2],
            b.shape()[nb - 1],
        );
        if k1 != k2 {
            return Err(Error::Matmul { k1, k2 });
        }
        let batch =
            broadcast_pair(&a.shape()[..na - 2], &b.shape()[..nb - 2]).ok_or_else(|| {
                Error::Broadcast {
                    shapes: vec![self.shape().to_vec(), other.shape().to_vec()],
                }
            })?;
        let dtype = promote(a.dtype(), b.dtype());
        for (r, c) in [(m, k1), (k1, n), (m, n)] {
            let mut s = batch.clone();
            s.extend([r, c]);
            crate::shape::check_shape(&s, dtype.size())?;
        }
        let with = |x: &Array, r: usize, c: usize| {
            let mut s = batch.clone();
            s.extend([r, c]);
            broadcast(&cast(x, dtype), &s)
        };
        let (a, b) = (with(&a, m, k1), with(&b, k1, n));
        let mut shape = batch.clone();
        shape.extend([m, n]);
        // With k == 1 each element is one product: the broadcast multiply `a * b` of the
        // column and the row is the same value and fuses with what reads it (a sum of outer
        // products in backpropagation never stores them).
        let out = if k1 == 1 {
            &a * &b
        } else {
            Array::build(Op::Matmul, dtype, shape.clone(), &[&a, &b])
        };
        let mut final_shape = batch;
        if self.ndim() > 1 {
            final_shape.push(m);
        }
        if other.ndim() > 1 {
            final_shape.push(n);
        }
        out.try_reshape(final_shape)
    }

    /// `np.dot(self, other)`: like `matmul` for 1-D and 2-D operands; for N-D it contracts the
    /// last axis of `self` with the second-to-last of `other` (no batch broadcasting); a 0-d
    /// operand multiplies.
    ///
    /// ```
    /// let a = lazynp::ones([2, 3, 4], lazynp::DType::F64);
    /// let b = lazynp::ones([5, 4, 6], lazynp::DType::F64);
    /// assert_eq!(a.dot(&b).shape(), &[2, 3, 5, 6]);
    /// ```
    #[track_caller]
    pub fn dot(&self, other: &Array) -> Array {
        ok(self.try_dot(other))
    }

    /// Non-panicking [`Array::dot`].
    ///
    /// ```
    /// let e = lazynp::zeros([2, 3], lazynp::DType::F64).try_dot(&lazynp::zeros([4], lazynp::DType::F64));
    /// assert_eq!(e.unwrap_err().to_string(), "shapes (2,3) and (4,) not aligned: 3 (dim 1) != 4 (dim 0)");
    /// ```
    pub fn try_dot(&self, other: &Array) -> Result<Array> {
        if self.ndim() == 0 || other.ndim() == 0 {
            return super::ops::binary(crate::ir::BinaryOp::Mul, self, other);
        }
        let ka = self.shape()[self.ndim() - 1];
        let db = if other.ndim() == 1 {
            0
        } else {
            other.ndim() - 2
        };
        let kb = other.shape()[db];
        if ka != kb {
            return Err(Error::DotAligned {
                lhs: self.shape().to_vec(),
                rhs: other.shape().to_vec(),
                k1: ka,
                d1: self.ndim() - 1,
                k2: kb,
                d2: db,
            });
        }
        if other.ndim() <= 2 {
            return self.try_matmul(other);
        }
        // (..., k) x (B..., k, n): move k first, flatten the rest, one 2-D product.
        let nb = other.ndim();
        let mut perm: Vec<isize> = vec![(nb - 2) as isize];
        perm.extend((0..nb - 2).map(|a| a as isize));
        perm.push((nb - 1) as isize);
        let b2 = other.try_transpose(&perm)?.try_reshape([kb as isize, -1])?;
        let a2 = self.try_reshape([-1, ka as isize])?;
        let mut shape = self.shape()[..self.ndim() - 1].to_vec();
        shape.extend_from_slice(&other.shape()[..nb - 2]);
        shape.push(other.shape()[nb - 1]);
        a2.try_matmul(&b2)?.try_reshape(shape)
    }
}

/// `np.matmul(a, b)`.
///
/// ```
/// let a = lazynp::eye(2, lazynp::DType::F64);
/// assert_eq!(lazynp::matmul(&a, &a).to_vec::<f64>()?, vec![1.0, 0.0, 0.0, 1.0]);
/// # Ok::<(), lazynp::Error>(())
/// ```
#[track_caller]
pub fn matmul(a: &Array, b: &Array) -> Array {
    a.matmul(b)
}

/// `np.linalg.inv(m)` for a square matrix or a stack of them (`(..., n, n)`). Integer input
/// gives float64. Evaluates `m` (a synchronisation point: singularity depends on the data)
/// and inverts by Gauss-Jordan elimination with partial pivoting in f64.
///
/// ```
/// let m = lazynp::array([[2.0f64, 0.0], [0.0, 4.0]]);
/// assert_eq!(lazynp::linalg::inv(&m)?.to_vec::<f64>()?, vec![0.5, 0.0, 0.0, 0.25]);
/// let s = lazynp::array([[1.0f64, 2.0], [2.0, 4.0]]);
/// assert!(lazynp::linalg::inv(&s).is_err());
/// # Ok::<(), lazynp::Error>(())
/// ```
pub fn inv(m: &Array) -> Result<Array> {
    let nd = m.ndim();
    if nd < 2 || m.shape()[nd - 1] != m.shape()[nd - 2] {
        return Err(Error::Invalid {
            op: "inv",
            msg: format!(
                "Last 2 dimensions of the array must be square (shape {})",
                crate::shape::tuple(m.shape(), ", ")
            ),
        });
    }
    let n = m.shape()[nd - 1];
    let out_dt = if m.dtype() == DType::F32 {
        DType::F32
    } else {
        DType::F64
    };
    if n == 0 {
        return Ok(cast(m, out_dt));
    }
    let data = cast(m, DType::F64).to_vec::<f64>()?;
    let mut out = Vec::with_capacity(data.len());
    for mat in data.chunks(n * n) {
        out.extend(invert(mat, n)?);
    }
    let buf = Buffer::try_from_slice(&out)?;
    Ok(cast(&Array::from_buffer(buf, m.shape().to_vec())?, out_dt))
}

fn invert(a: &[f64], n: usize) -> Result<Vec<f64>> {
    let mut a = a.to_vec();
    let mut inv: Vec<f64> = (0..n * n).map(|i| (i / n == i % n) as u8 as f64).collect();
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))
            .expect("non-empty range");
        if a[pivot * n + col] == 0.0 {
            return Err(Error::SingularMatrix);
        }
        for c in 0..n {
            a.swap(col * n + c, pivot * n + c);
            inv.swap(col * n + c, pivot * n + c);
        }
        let p = a[col * n + col];
        for c in 0..n {
            a[col * n + c] /= p;
            inv[col * n + c] /= p;
        }
        for r in 0..n {
            if r != col {
                let f = a[r * n + col];
                if f != 0.0 {
                    for c in 0..n {
                        a[r * n + c] -= f * a[col * n + c];
                        inv[r * n + c] -= f * inv[col * n + c];
                    }
                }
            }
        }
    }
    Ok(inv)
}
