//! A bounded, size-bucketed pool of freed buffer blocks.
//!
//! Fresh pages cost a page fault on first touch (~1.9 µs per 4 KiB here: more than the arithmetic
//! of a fused loop), so kernel outputs reuse recently freed blocks of the same size. Blocks of at
//! least 2 MiB are 2 MiB aligned and advised as transparent huge pages. The pool keeps at most
//! [`POOL_LIMIT`] bytes of large blocks; anything beyond goes back to the allocator (and the OS).
//!
//! Small blocks are pooled too, within their own budget of [`SMALL_LIMIT`] bytes: a training step
//! on small batches allocates a few dozen outputs of a few KiB, and a fresh zeroed allocation
//! (malloc + memset) of each cost ~10% of such a step; a pooled block is a lock and a pop.

use crate::error::{Error, Result};
use crate::fxhash::FxHashMap as HashMap;
use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::ptr::NonNull;
use std::sync::Mutex;

/// Blocks at least this large are page aligned and count against [`POOL_LIMIT`]; smaller ones
/// against [`SMALL_LIMIT`].
pub const POOL_MIN: usize = 64 << 10;
/// Most bytes of large blocks kept in the pool.
pub const POOL_LIMIT: usize = 512 << 20;
/// Most bytes of small blocks kept in the pool.
pub const SMALL_LIMIT: usize = 16 << 20;
/// Blocks this large get huge-page alignment and advice.
pub const HUGE: usize = 2 << 20;

struct Pool {
    free: HashMap<usize, Vec<usize>>,
    /// Bytes of pooled large blocks.
    bytes: usize,
    /// Bytes of pooled small blocks.
    small: usize,
}

impl Pool {
    fn budget(&mut self, size: usize) -> (&mut usize, usize) {
        if size >= POOL_MIN {
            (&mut self.bytes, POOL_LIMIT)
        } else {
            (&mut self.small, SMALL_LIMIT)
        }
    }
}

static POOL: Mutex<Option<Pool>> = Mutex::new(None);

/// The layout used for a block of at least `bytes` bytes; `Err` if rounding it up to its
/// alignment does not fit in `isize`.
pub fn layout(bytes: usize) -> Result<Layout> {
    let too_big = || Error::OutOfMemory { bytes };
    let (size, align) = if bytes >= HUGE {
        (
            bytes.checked_next_multiple_of(HUGE).ok_or_else(too_big)?,
            HUGE,
        )
    } else if bytes >= POOL_MIN {
        (bytes.next_multiple_of(4096), 4096)
    } else {
        (bytes.max(64).next_multiple_of(64), 64)
    };
    Layout::from_size_align(size, align).map_err(|_| too_big())
}

/// A block for `layout`: a pooled one (holding old, initialised data) if available, else a fresh
/// zeroed allocation. Returns the pointer and whether its contents are zero, or
/// [`Error::OutOfMemory`] if the allocator refuses (after returning the pool's blocks to it and
/// trying once more).
pub fn take(layout: Layout) -> Result<(NonNull<u8>, bool)> {
    {
        let mut guard = POOL.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(pool) = guard.as_mut()
            && let Some(list) = pool.free.get_mut(&layout.size())
            && let Some(addr) = list.pop()
        {
            *pool.budget(layout.size()).0 -= layout.size();
            return Ok((
                NonNull::new(addr as *mut u8).expect("pooled pointers are non-null"),
                false,
            ));
        }
    }
    let fresh = || {
        // SAFETY: the layout has non-zero size (at least 64 bytes).
        NonNull::new(unsafe { alloc_zeroed(layout) })
    };
    let ptr = match fresh() {
        Some(p) => p,
        None => {
            trim();
            fresh().ok_or(Error::OutOfMemory {
                bytes: layout.size(),
            })?
        }
    };
    if layout.size() >= HUGE {
        advise_huge(ptr, layout.size());
    }
    Ok((ptr, true))
}

/// Returns a block to the pool, or frees it when the pool is full or the block is small.
///
/// # Safety
/// `ptr` must come from [`take`] with the same `layout` and not be used afterwards.
pub unsafe fn give(ptr: NonNull<u8>, layout: Layout) {
    {
        let mut guard = POOL.lock().unwrap_or_else(|e| e.into_inner());
        let pool = guard.get_or_insert_with(|| Pool {
            free: HashMap::default(),
            bytes: 0,
            small: 0,
        });
        let (used, limit) = pool.budget(layout.size());
        if *used + layout.size() <= limit {
            *used += layout.size();
            pool.free
                .entry(layout.size())
                .or_default()
                .push(ptr.as_ptr() as usize);
            return;
        }
    }
    // SAFETY: allocated by `take` with this layout (caller's contract).
    unsafe { dealloc(ptr.as_ptr(), layout) }
}

/// Frees every pooled block (returns the memory to the allocator).
pub fn trim() {
    let mut guard = POOL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(pool) = guard.as_mut() {
        for (size, list) in pool.free.drain() {
            let l = layout(size).expect("pooled sizes came from valid layouts");
            for addr in list {
                // SAFETY: pooled blocks were allocated with `layout(size)` and are unused.
                unsafe { dealloc(addr as *mut u8, l) }
            }
        }
        pool.bytes = 0;
        pool.small = 0;
    }
}

/// Bytes currently held by the pool (large and small blocks).
#[cfg(test)]
fn pooled_bytes() -> usize {
    POOL.lock()
        .map(|g| g.as_ref().map_or(0, |p| p.bytes + p.small))
        .unwrap_or(0)
}

#[cfg(target_os = "linux")]
fn advise_huge(ptr: NonNull<u8>, len: usize) {
    // SAFETY: the range is one live allocation of `len` bytes; MADV_HUGEPAGE only changes how the
    // kernel backs it. Failure (THP disabled) is harmless and ignored.
    unsafe {
        libc::madvise(ptr.as_ptr() as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge(_ptr: NonNull<u8>, _len: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_that_cannot_be_laid_out_are_errors() {
        assert!(matches!(
            layout(usize::MAX),
            Err(Error::OutOfMemory { bytes: usize::MAX })
        ));
        assert!(layout(isize::MAX as usize).is_err());
        assert_eq!(layout(1).unwrap().size(), 64);
        assert_eq!(layout(HUGE + 1).unwrap().align(), HUGE);
    }

    #[test]
    fn blocks_are_reused_and_trimmed() {
        let l = layout(POOL_MIN).unwrap();
        let (p, _) = take(l).unwrap();
        // SAFETY: from `take` with this layout, not used afterwards.
        unsafe { give(p, l) };
        assert!(pooled_bytes() >= l.size());
        let (q, fresh) = take(l).unwrap();
        // Another test may have taken the block in between; then this one is fresh.
        assert!(q == p || fresh);
        // SAFETY: as above.
        unsafe { give(q, l) };
        trim();
    }
}
