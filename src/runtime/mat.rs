//! The contract between the graph executor and the matmul backends: strided matrices.

/// A read-only strided matrix of f32 or f64 elements (`T` is the element type).
///
/// Element `(i, j)` is at `ptr + i*rs + j*cs` (in elements). Strides may be any value, including
/// 0 (broadcast) and negative (reversed views); the backend must not assume contiguity.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<T> {
    /// Address of element (0, 0).
    pub ptr: *const T,
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Row stride in elements.
    pub rs: isize,
    /// Column stride in elements.
    pub cs: isize,
}

/// A writable row-major matrix: element `(i, j)` is at `ptr + i*ld + j`.
#[derive(Clone, Copy, Debug)]
pub struct MatMut<T> {
    /// Address of element (0, 0).
    pub ptr: *mut T,
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Leading dimension (row stride) in elements, `>= cols`.
    pub ld: usize,
}

impl<T> MatRef<T> {
    /// The same descriptor read as elements of `U` (for dispatching on a dtype known to be `U`;
    /// reading through it is only valid if the elements really are `U`s).
    ///
    /// ```
    /// use lazynp::runtime::mat::MatRef;
    /// let x = [1.0f32, 2.0];
    /// let m = MatRef { ptr: x.as_ptr(), rows: 1, cols: 2, rs: 2, cs: 1 };
    /// let bits: MatRef<u32> = m.cast();
    /// assert_eq!((bits.rows, bits.cols, bits.ptr as usize), (1, 2, x.as_ptr() as usize));
    /// ```
    pub fn cast<U>(self) -> MatRef<U> {
        MatRef {
            ptr: self.ptr.cast(),
            rows: self.rows,
            cols: self.cols,
            rs: self.rs,
            cs: self.cs,
        }
    }
}

impl<T> MatMut<T> {
    /// The same descriptor written as elements of `U` (see [`MatRef::cast`]).
    ///
    /// ```
    /// use lazynp::runtime::mat::MatMut;
    /// let mut y = [0.0f64; 4];
    /// let m = MatMut { ptr: y.as_mut_ptr(), rows: 2, cols: 2, ld: 2 };
    /// assert_eq!(m.cast::<u64>().ld, 2);
    /// ```
    pub fn cast<U>(self) -> MatMut<U> {
        MatMut {
            ptr: self.ptr.cast(),
            rows: self.rows,
            cols: self.cols,
            ld: self.ld,
        }
    }
}

// SAFETY: these are plain descriptors; whoever dereferences them must guarantee the memory is
// valid for the duration of the call and that concurrent writers touch disjoint elements.
unsafe impl<T> Send for MatRef<T> {}
// SAFETY: see above.
unsafe impl<T> Sync for MatRef<T> {}
// SAFETY: see above.
unsafe impl<T> Send for MatMut<T> {}
// SAFETY: see above.
unsafe impl<T> Sync for MatMut<T> {}

/// A callback run on a finished block of C (rows `r0..r1`, columns `c0..c1`) while it is still in
/// cache: the fused epilogue (bias, activation, scale, cast...). It may be called from several
/// threads at once on disjoint blocks.
pub type Epilogue<'a> = &'a (dyn Fn(usize, usize, usize, usize) + Sync);

/// A callback that computes a block of a matmul operand the graph never materialises (a fused
/// prologue such as `(x * 2.0).matmul(..)` or a cast): `f(r0, r1, c0, c1, out, ld)` writes operand
/// element `(r0 + i, c0 + j)` to `out[i * ld + j]` (elements of the operand's dtype). The packing
/// loop calls it for the block it is about to pack, so the operand only ever exists one cache-sized
/// block at a time. It may be called from several threads at once with different `out` buffers.
pub type Prologue<'a> = &'a (dyn Fn(usize, usize, usize, usize, *mut u8, usize) + Sync);
