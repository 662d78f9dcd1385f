//! Matrix-vector products: a 2-D product one of whose operands is a single row or column
//! (`W @ h` with `h` of shape `(k, 1)`, `x @ W` with `x` of shape `(1, k)`) — the products of a
//! recurrent step. They run here, without packing, tiling or a library call: at these sizes the
//! setup of a general GEMM costs more than the arithmetic.
//!
//! Each output element is a sum in one fixed order (rows of A: eight interleaved partial sums,
//! combined pairwise, then the tail; columns of A: ascending), whatever the vector width the CPU
//! offers, so results do not depend on the machine's SIMD path or the thread count.

use std::ops::{Add, Mul};

/// Element types of matrix-vector products.
pub(crate) trait GemvElement:
    Copy + Default + Add<Output = Self> + Mul<Output = Self>
{
    /// `Σ a[j]·x[j]` over `n` contiguous elements in the fixed order of the module docs.
    ///
    /// # Safety
    /// `a[..n]` and `x[..n]` must be readable.
    unsafe fn dot_unit(a: *const Self, x: *const Self, n: usize) -> Self {
        // SAFETY: the caller's contract.
        unsafe { dot_portable(a, 1, x, 1, n) }
    }
}

impl GemvElement for f32 {
    unsafe fn dot_unit(a: *const f32, x: *const f32, n: usize) -> f32 {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has AVX (checked); the caller's contract is passed on.
            return unsafe { avx::dot_f32(a, x, n) };
        }
        // SAFETY: the caller's contract.
        unsafe { dot_portable(a, 1, x, 1, n) }
    }
}

impl GemvElement for f64 {
    unsafe fn dot_unit(a: *const f64, x: *const f64, n: usize) -> f64 {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has AVX (checked); the caller's contract is passed on.
            return unsafe { avx::dot_f64(a, x, n) };
        }
        // SAFETY: the caller's contract.
        unsafe { dot_portable(a, 1, x, 1, n) }
    }
}

/// The contiguous dot products with AVX: eight lanes (one f32 vector, two f64 vectors)
/// combined in the same order as the portable code, without FMA, so both give the same bits.
#[cfg(target_arch = "x86_64")]
mod avx {
    use std::arch::x86_64::*;

    /// # Safety
    /// AVX must be available; `a[..n]` and `x[..n]` readable.
    #[target_feature(enable = "avx")]
    pub(super) unsafe fn dot_f32(a: *const f32, x: *const f32, n: usize) -> f32 {
        let blocks = n / 8;
        let mut acc = _mm256_setzero_ps();
        for b in 0..blocks {
            // SAFETY: elements 8b..8b+8 < n of both inputs are readable (caller).
            let (va, vx) =
                unsafe { (_mm256_loadu_ps(a.add(8 * b)), _mm256_loadu_ps(x.add(8 * b))) };
            acc = _mm256_add_ps(acc, _mm256_mul_ps(va, vx));
        }
        let mut l = [0f32; 8];
        // SAFETY: `l` holds eight f32.
        unsafe { _mm256_storeu_ps(l.as_mut_ptr(), acc) };
        let mut total = ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
        for j in 8 * blocks..n {
            // SAFETY: j < n.
            total += unsafe { *a.add(j) * *x.add(j) };
        }
        total
    }

    /// # Safety
    /// AVX must be available; `a[..n]` and `x[..n]` readable.
    #[target_feature(enable = "avx")]
    pub(super) unsafe fn dot_f64(a: *const f64, x: *const f64, n: usize) -> f64 {
        let blocks = n / 8;
        let (mut lo, mut hi) = (_mm256_setzero_pd(), _mm256_setzero_pd());
        for b in 0..blocks {
            // SAFETY: elements 8b..8b+8 < n of both inputs are readable (caller).
            unsafe {
                let p = 8 * b;
                lo = _mm256_add_pd(
                    lo,
                    _mm256_mul_pd(_mm256_loadu_pd(a.add(p)), _mm256_loadu_pd(x.add(p))),
                );
                hi = _mm256_add_pd(
                    hi,
                    _mm256_mul_pd(_mm256_loadu_pd(a.add(p + 4)), _mm256_loadu_pd(x.add(p + 4))),
                );
            }
        }
        let mut l = [0f64; 8];
        // SAFETY: `l` holds eight f64.
        unsafe {
            _mm256_storeu_pd(l.as_mut_ptr(), lo);
            _mm256_storeu_pd(l.as_mut_ptr().add(4), hi);
        }
        let mut total = ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
        for j in 8 * blocks..n {
            // SAFETY: j < n.
            total += unsafe { *a.add(j) * *x.add(j) };
        }
        total
    }
}

/// `y[i] = Σ_j A[i, j] · x[j]` for `i < rows`, `j < cols`, where `A[i, j]` is at
/// `a + i·rs + j·cs`, `x[j]` at `x + j·sx` and `y[i]` at `y + i·sy` (strides in elements).
///
/// # Safety
/// Every addressed element of `a` and `x` must be readable and every `y[i]` writable, and `y`
/// must not overlap `a` or `x`.
pub(crate) unsafe fn gemv<T: GemvElement>(
    a: *const T,
    (rows, cols, rs, cs): (usize, usize, isize, isize),
    x: *const T,
    sx: isize,
    y: *mut T,
    sy: isize,
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked above); the caller's contract is passed on.
        unsafe { gemv_avx2(a, (rows, cols, rs, cs), x, sx, y, sy) };
        return;
    }
    // SAFETY: the caller's contract is passed on.
    unsafe { gemv_body(a, (rows, cols, rs, cs), x, sx, y, sy) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn gemv_avx2<T: GemvElement>(
    a: *const T,
    dims: (usize, usize, isize, isize),
    x: *const T,
    sx: isize,
    y: *mut T,
    sy: isize,
) {
    // SAFETY: as `gemv`; the body is the same code compiled for 256-bit vectors.
    unsafe { gemv_body(a, dims, x, sx, y, sy) }
}

/// Sum of `a[j·sa] · x[j·sx]` for `j < n` in the fixed order described in the module docs.
#[inline(always)]
unsafe fn dot_portable<T: GemvElement>(
    a: *const T,
    sa: isize,
    x: *const T,
    sx: isize,
    n: usize,
) -> T {
    let mut acc = [T::default(); 8];
    let blocks = n / 8;
    // SAFETY (all reads): the caller guarantees `a[j·sa]` and `x[j·sx]` are readable for j < n.
    if sa == 1 && sx == 1 {
        let (ra, rx) = unsafe {
            (
                std::slice::from_raw_parts(a, n),
                std::slice::from_raw_parts(x, n),
            )
        };
        for (ca, cx) in ra.chunks_exact(8).zip(rx.chunks_exact(8)) {
            for (s, (&p, &q)) in acc.iter_mut().zip(ca.iter().zip(cx)) {
                *s = *s + p * q;
            }
        }
    } else {
        for b in 0..blocks {
            for (l, s) in acc.iter_mut().enumerate() {
                let j = (8 * b + l) as isize;
                *s = *s + unsafe { *a.offset(j * sa) * *x.offset(j * sx) };
            }
        }
    }
    let mut total =
        ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for j in 8 * blocks..n {
        let j = j as isize;
        total = total + unsafe { *a.offset(j * sa) * *x.offset(j * sx) };
    }
    total
}

#[inline(always)]
unsafe fn gemv_body<T: GemvElement>(
    a: *const T,
    (rows, cols, rs, cs): (usize, usize, isize, isize),
    x: *const T,
    sx: isize,
    y: *mut T,
    sy: isize,
) {
    if rs == 1 && cs != 1 && sy == 1 {
        // Columns of A are contiguous: accumulate y += x[j] · A[:, j] column by column (each
        // y[i] is summed over j in ascending order).
        // SAFETY: y[0..rows] is writable (caller) and apart from A and x.
        let out = unsafe { std::slice::from_raw_parts_mut(y, rows) };
        out.fill(T::default());
        for j in 0..cols {
            let j = j as isize;
            // SAFETY: column j of A (rows contiguous elements) and x[j] are readable (caller).
            let (xj, col) = unsafe {
                (
                    *x.offset(j * sx),
                    std::slice::from_raw_parts(a.offset(j * cs), rows),
                )
            };
            for (o, &v) in out.iter_mut().zip(col) {
                *o = *o + xj * v;
            }
        }
        return;
    }
    for i in 0..rows {
        let i = i as isize;
        // SAFETY: row i of A and x are readable (caller); y[i] is writable and apart from them.
        unsafe {
            let row = a.offset(i * rs);
            *y.offset(i * sy) = if cs == 1 && sx == 1 {
                T::dot_unit(row, x, cols)
            } else {
                dot_portable(row, cs, x, sx, cols)
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::gemv;

    #[test]
    fn rows_columns_and_strides() {
        // A is 3x11 (odd tail), read row-major, transposed and with a stride-2 vector.
        let a: Vec<f64> = (0..33).map(|v| v as f64 * 0.5 - 3.0).collect();
        let x: Vec<f64> = (0..22).map(|v| 1.0 + v as f64).collect();
        let want = |i: usize, sx: usize| (0..11).map(|j| a[i * 11 + j] * x[j * sx]).sum::<f64>();
        let mut y = [0.0f64; 3];
        // SAFETY: every index is inside the arrays above.
        unsafe { gemv(a.as_ptr(), (3, 11, 11, 1), x.as_ptr(), 2, y.as_mut_ptr(), 1) };
        for (i, v) in y.iter().enumerate() {
            assert!((v - want(i, 2)).abs() < 1e-9);
        }
        // The transpose: 11 rows of A^T (row stride 1, column stride 11) times a 3-vector.
        let mut z = [0.0f64; 11];
        unsafe { gemv(a.as_ptr(), (11, 3, 1, 11), x.as_ptr(), 1, z.as_mut_ptr(), 1) };
        for (j, v) in z.iter().enumerate() {
            let w: f64 = (0..3).map(|i| a[i * 11 + j] * x[i]).sum();
            assert!((v - w).abs() < 1e-9);
        }
    }
}
