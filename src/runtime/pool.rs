//! A bounded, size-bucketed pool of freed large allocations.
//!
//! Fresh pages cost a page fault on first touch (~1.9 µs per 4 KiB here: more than the arithmetic
//! of a fused loop), so kernel outputs reuse recently freed blocks of the same size. Blocks of at
//! least 2 MiB are 2 MiB aligned and advised as transparent huge pages. The pool keeps at most
//! [`POOL_LIMIT`] bytes; anything beyond goes back to the allocator (and the OS).

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::collections::HashMap;
use std::ptr::NonNull;
use std::sync::Mutex;

/// Smallest block that is pooled (smaller ones are cheap to allocate).
pub const POOL_MIN: usize = 64 << 10;
/// Most bytes kept in the pool.
pub const POOL_LIMIT: usize = 512 << 20;
/// Blocks this large get huge-page alignment and advice.
pub const HUGE: usize = 2 << 20;

struct Pool {
    free: HashMap<usize, Vec<usize>>,
    bytes: usize,
}

static POOL: Mutex<Option<Pool>> = Mutex::new(None);

/// The layout used for a block of at least `bytes` bytes.
pub fn layout(bytes: usize) -> Layout {
    let (size, align) = if bytes >= HUGE {
        (bytes.next_multiple_of(HUGE), HUGE)
    } else if bytes >= POOL_MIN {
        (bytes.next_multiple_of(4096), 4096)
    } else {
        (bytes.max(64).next_multiple_of(64), 64)
    };
    Layout::from_size_align(size, align).expect("buffer size overflows isize")
}

/// A block for `layout`: a pooled one (holding old, initialised data) if available, else a fresh
/// zeroed allocation. Returns the pointer and whether its contents are zero.
pub fn take(layout: Layout) -> (NonNull<u8>, bool) {
    if layout.size() >= POOL_MIN {
        let mut guard = POOL.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(pool) = guard.as_mut()
            && let Some(list) = pool.free.get_mut(&layout.size())
            && let Some(addr) = list.pop()
        {
            pool.bytes -= layout.size();
            return (
                NonNull::new(addr as *mut u8).expect("pooled pointers are non-null"),
                false,
            );
        }
    }
    // SAFETY: the layout has non-zero size.
    let raw = unsafe { alloc_zeroed(layout) };
    let Some(ptr) = NonNull::new(raw) else {
        std::alloc::handle_alloc_error(layout)
    };
    if layout.size() >= HUGE {
        advise_huge(ptr, layout.size());
    }
    (ptr, true)
}

/// Returns a block to the pool, or frees it when the pool is full or the block is small.
///
/// # Safety
/// `ptr` must come from [`take`] with the same `layout` and not be used afterwards.
pub unsafe fn give(ptr: NonNull<u8>, layout: Layout) {
    if layout.size() >= POOL_MIN {
        let mut guard = POOL.lock().unwrap_or_else(|e| e.into_inner());
        let pool = guard.get_or_insert_with(|| Pool {
            free: HashMap::new(),
            bytes: 0,
        });
        if pool.bytes + layout.size() <= POOL_LIMIT {
            pool.bytes += layout.size();
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
            let l = layout(size);
            for addr in list {
                // SAFETY: pooled blocks were allocated with `layout(size)` and are unused.
                unsafe { dealloc(addr as *mut u8, l) }
            }
        }
        pool.bytes = 0;
    }
}

/// Bytes currently held by the pool.
pub fn pooled_bytes() -> usize {
    POOL.lock()
        .map(|g| g.as_ref().map_or(0, |p| p.bytes))
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
