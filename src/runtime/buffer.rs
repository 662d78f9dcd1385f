//! 64-byte aligned, typed, owned storage for array elements.

use crate::dtype::{DType, Element, Scalar};
use crate::error::{Error, Result};
use std::alloc::Layout;
use std::ptr::NonNull;

static LIVE_BYTES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Bytes currently held by array buffers in this process (data leaves, stored results,
/// intermediates of a running evaluation).
///
/// ```
/// let before = lazynp::live_bytes();
/// let a = lazynp::zeros([1000], lazynp::DType::F64).eval()?;
/// assert!(lazynp::live_bytes() >= before + 8000 || lazynp::live_bytes() < before);
/// drop(a);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub fn live_bytes() -> usize {
    LIVE_BYTES.load(std::sync::atomic::Ordering::Relaxed)
}

/// Owned, 64-byte aligned, zero-initialised storage of `len` elements of `dtype`.
///
/// Bool elements are stored as one byte holding 0 or 1 (every writer keeps that invariant).
pub struct Buffer {
    ptr: NonNull<u8>,
    len: usize,
    dtype: DType,
    fresh: bool,
}

// SAFETY: Buffer owns its allocation exclusively; shared access only hands out `&[T]`, and
// mutable access needs `&mut self`.
unsafe impl Send for Buffer {}
// SAFETY: see above; no interior mutability.
unsafe impl Sync for Buffer {}

impl Buffer {
    fn layout(bytes: usize) -> Layout {
        super::pool::layout(bytes).expect("a live buffer's layout was valid when allocated")
    }

    /// A zero-filled buffer. If the allocation fails, unwinds with a payload that
    /// [`catch_alloc`] (around every evaluation) turns into [`Error::OutOfMemory`]; outside
    /// one, use [`Buffer::try_zeroed`].
    pub fn zeroed(dtype: DType, len: usize) -> Buffer {
        unwrap_alloc(Buffer::try_zeroed(dtype, len))
    }

    /// A zero-filled buffer, or [`Error::OutOfMemory`] (with the bytes requested).
    pub fn try_zeroed(dtype: DType, len: usize) -> Result<Buffer> {
        let mut b = Buffer::try_for_output(dtype, len)?;
        if !b.fresh {
            b.as_bytes_mut().fill(0);
        }
        Ok(b)
    }

    /// A buffer whose every element the caller will overwrite (kernel outputs): taken from the
    /// pool of freed blocks when one fits, so no page is touched for the first time. Its
    /// contents are initialised (zeros or old values of the same type size, bools 0/1 only if
    /// the previous owner wrote bools) but unspecified.
    ///
    /// An allocation failure unwinds as in [`Buffer::zeroed`].
    pub(crate) fn for_output(dtype: DType, len: usize) -> Buffer {
        unwrap_alloc(Buffer::try_for_output(dtype, len))
    }

    /// [`Buffer::for_output`], or [`Error::OutOfMemory`] if the allocator refuses.
    pub(crate) fn try_for_output(dtype: DType, len: usize) -> Result<Buffer> {
        let bytes = len
            .checked_mul(dtype.size())
            .ok_or(Error::OutOfMemory { bytes: usize::MAX })?;
        let layout = super::pool::layout(bytes)?;
        let (ptr, fresh) = super::pool::take(layout)?;
        LIVE_BYTES.fetch_add(layout.size(), std::sync::atomic::Ordering::Relaxed);
        let mut b = Buffer {
            ptr,
            len,
            dtype,
            fresh,
        };
        if dtype == DType::Bool && !fresh {
            // Keep the bool invariant even for bytes a kernel has not written yet.
            b.as_bytes_mut().fill(0);
        }
        Ok(b)
    }

    /// Copies a slice into a new buffer.
    pub fn from_slice<T: Element>(data: &[T]) -> Buffer {
        unwrap_alloc(Buffer::try_from_slice(data))
    }

    /// Copies a slice into a new buffer, or [`Error::OutOfMemory`].
    pub fn try_from_slice<T: Element>(data: &[T]) -> Result<Buffer> {
        let mut b = Buffer::try_zeroed(T::DTYPE, data.len())?;
        b.as_mut_slice::<T>().copy_from_slice(data);
        Ok(b)
    }

    /// Builds a buffer of `dtype` from scalars (cast as `astype` does).
    pub fn from_scalars(dtype: DType, values: impl ExactSizeIterator<Item = Scalar>) -> Buffer {
        let mut b = Buffer::zeroed(dtype, values.len());
        crate::with_dtype!(dtype, T => {
            for (dst, v) in b.as_mut_slice::<T>().iter_mut().zip(values) {
                *dst = T::from_scalar(v);
            }
        });
        b
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Size in bytes of the elements.
    pub fn nbytes(&self) -> usize {
        self.len * self.dtype.size()
    }

    /// The elements as a typed slice; `None` if `T` is not this buffer's dtype.
    pub fn try_slice<T: Element>(&self) -> Option<&[T]> {
        if T::DTYPE != self.dtype {
            return None;
        }
        // SAFETY: the allocation holds `len` elements of T (same dtype, hence same size and
        // alignment <= 64), initialised (zeroed or written); bool bytes are kept 0/1.
        Some(unsafe { std::slice::from_raw_parts(self.ptr.as_ptr() as *const T, self.len) })
    }

    /// The elements as a typed slice. Panics if `T` does not match (an internal bug).
    pub fn as_slice<T: Element>(&self) -> &[T] {
        self.try_slice()
            .unwrap_or_else(|| panic!("buffer is {}, not {}", self.dtype, T::DTYPE))
    }

    /// The elements as a mutable typed slice. Panics if `T` does not match (an internal bug).
    pub fn as_mut_slice<T: Element>(&mut self) -> &mut [T] {
        assert_eq!(T::DTYPE, self.dtype, "buffer dtype mismatch");
        // SAFETY: as in `try_slice`, and `&mut self` guarantees exclusive access.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr() as *mut T, self.len) }
    }

    /// Raw bytes of the elements.
    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: the allocation holds at least `nbytes` initialised bytes.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.nbytes()) }
    }

    /// Raw mutable bytes. Callers writing bool buffers must write only 0 or 1.
    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as above, exclusive by `&mut self`.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.nbytes()) }
    }

    /// Pointer to the first element (for kernels).
    pub fn as_ptr(&self) -> *const u8 {
        self.ptr.as_ptr()
    }

    /// Mutable pointer to the first element (for kernels).
    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// Element `i` as a scalar.
    pub fn get(&self, i: usize) -> Scalar {
        crate::with_dtype!(self.dtype, T => self.as_slice::<T>()[i].to_scalar())
    }
}

/// The unwinding payload that ends an evaluation with an error (a failed allocation, or an
/// error a kernel met at run time).
struct EvalAbort(Error);

/// Ends the running evaluation with `e`: unwinds (without running the panic hook, so nothing is
/// printed) to [`catch_alloc`], which returns `Err(e)`. Only called from Rust code, never from
/// inside generated code.
pub(crate) fn abort_eval(e: Error) -> ! {
    std::panic::resume_unwind(Box::new(EvalAbort(e)))
}

fn unwrap_alloc(r: Result<Buffer>) -> Buffer {
    r.unwrap_or_else(|e| abort_eval(e))
}

/// Runs `f` (an evaluation), turning an allocation failure or a kernel's run-time error anywhere
/// inside it (any thread that propagates its panic, as rayon does) into that `Err`. Other panics continue
/// unwinding. Buffers allocated before the failure are freed as the stack unwinds; nodes
/// realised before it keep their values, the rest stay pending, so later evaluations work.
pub(crate) fn catch_alloc<R>(f: impl FnOnce() -> Result<R>) -> Result<R> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => match payload.downcast::<EvalAbort>() {
            Ok(failure) => Err(failure.0),
            Err(other) => std::panic::resume_unwind(other),
        },
    }
}

impl Clone for Buffer {
    fn clone(&self) -> Self {
        let mut b = Buffer::zeroed(self.dtype, self.len);
        b.as_bytes_mut().copy_from_slice(self.as_bytes());
        b
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        let layout = Self::layout(self.nbytes());
        LIVE_BYTES.fetch_sub(layout.size(), std::sync::atomic::Ordering::Relaxed);
        // SAFETY: allocated by `pool::take` with exactly this layout, and dropped only once.
        unsafe { super::pool::give(self.ptr, layout) }
    }
}

impl std::fmt::Debug for Buffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Buffer({} x {})", self.len, self.dtype)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_and_typed() {
        let b = Buffer::from_slice(&[1.0f32, 2.0, 3.0]);
        assert_eq!(b.as_ptr() as usize % 64, 0); // one cache line, enough for any SIMD load
        assert_eq!(b.as_slice::<f32>(), &[1.0, 2.0, 3.0]);
        assert!(b.try_slice::<f64>().is_none());
        let e = Buffer::zeroed(DType::I64, 0);
        assert!(e.as_slice::<i64>().is_empty());
    }
}
