//! AVX-512 kernels for many small products (`batched_small`), chosen at run time.
//!
//! The Cranelift batched kernel (`codegen::matmul::batched_kernel`) is limited to 128-bit vectors;
//! on a CPU with AVX-512F these hand-written kernels use one 512-bit register per row of C instead.
//!
//! **Shape handled:** B's rows contiguous (`b.cs == 1`, or `n == 1`), `n <= 16` (f32) / `n <= 8`
//! (f64), `k >= 1` and `m * k * n <= BATCHED_MAX_MKN`. A may have any strides (and batch strides,
//! including 0), C is row-major with any `ld`. Each row of B and of C is one masked vector
//! (`mask = (1 << n) - 1`; masked-off lanes are neither read nor written, so no out-of-bounds
//! access even at the end of a buffer).
//!
//! **Kernel:** per item, rows of C in blocks of up to 16 (`M` accumulators in zmm registers, `M` a
//! const generic so they stay in registers); for each `k`: one masked load of B's row `k`, then per
//! row `i` a broadcast of `A[i, k]` (folded into the FMA as an embedded `{1to16}` broadcast) and one
//! FMA. So `C[i, :] = fma(A[i, K-1], B[K-1, :], ... fma(A[i, 0], B[0, :], 0))`: `k` ascending, one
//! rounding per term.
//!
//! **Speed** (Zen 5, 1 thread, operands in L2): 8³ ~11 ns per item (~47 cycles; 64 FMAs + 72
//! loads at 2 vector loads per cycle bound it to ~36), 16³ ~53 ns (~225 cycles against ~136 for its
//! 272 loads). LLVM computes the 16 A addresses of a `k` step as a chain of `add`s carried from one
//! step to the next; breaking it (row pointers hidden behind `black_box`) only took 16³ to ~49 ns
//! and 8³ up to ~15 ns (spilled pointers), so the plain loop stays. At 10000 16³ items (30 MB of
//! operands) one thread is memory-bound at ~100 ns per item.
//!
//! **Determinism:** the instruction sequence of an item depends only on the shape and strides of
//! the call, never on the item's index or the batch count, so splitting a batch over threads (or
//! into single-item calls) gives the same bits.

use crate::codegen::matmul::BATCHED_MAX_MKN;
use crate::runtime::mat::{MatMut, MatRef};
use crate::runtime::matmul::Batch;

/// Rows of C per register block: 16 accumulators + 1 B row of the 32 zmm registers.
#[cfg(target_arch = "x86_64")]
const MB: usize = 16;

/// True when the CPU supports AVX-512F (detected once).
#[cfg(target_arch = "x86_64")]
fn has_avx512f() -> bool {
    static HAS: std::sync::LazyLock<bool> =
        std::sync::LazyLock::new(|| std::arch::is_x86_feature_detected!("avx512f"));
    *HAS
}

/// Whether these kernels apply to the shape (any dtype; `lanes` = vector width in elements).
fn applies<T>(a: &MatRef<T>, b: &MatRef<T>, c: &MatMut<T>, lanes: usize) -> bool {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    m >= 1
        && k >= 1
        && n >= 1
        && n <= lanes
        && (b.cs == 1 || n == 1)
        && c.rows == m
        && c.cols == n
        && b.rows == k
        && m.saturating_mul(k).saturating_mul(n) <= BATCHED_MAX_MKN
}

/// `f::<R>(args)` for `R = rows` in 1..=16, else `other`.
macro_rules! const_rows {
    ($rows:expr, $f:ident, ($($arg:expr),*), $other:expr) => {
        match $rows {
            1 => $f::<1>($($arg),*),
            2 => $f::<2>($($arg),*),
            3 => $f::<3>($($arg),*),
            4 => $f::<4>($($arg),*),
            5 => $f::<5>($($arg),*),
            6 => $f::<6>($($arg),*),
            7 => $f::<7>($($arg),*),
            8 => $f::<8>($($arg),*),
            9 => $f::<9>($($arg),*),
            10 => $f::<10>($($arg),*),
            11 => $f::<11>($($arg),*),
            12 => $f::<12>($($arg),*),
            13 => $f::<13>($($arg),*),
            14 => $f::<14>($($arg),*),
            15 => $f::<15>($($arg),*),
            16 => $f::<16>($($arg),*),
            _ => $other,
        }
    };
}

macro_rules! batched_kernels {
    ($name:ident, $t:ty, $lanes:expr, $vec:ty, $mask:ty, $zero:ident, $load:ident, $set1:ident,
     $fma:ident, $store:ident, $stream:ident) => {
        /// `C_t = A_t · B_t` for every item with AVX-512F, or `false` (nothing written) when the
        /// CPU or the shape is not supported (see the module docs).
        ///
        /// # Safety
        /// As `runtime::matmul::batched_small`: every element of every item of A and B readable,
        /// of C writable, C items not overlapping each other, A or B.
        pub(crate) unsafe fn $name(
            a: MatRef<$t>,
            b: MatRef<$t>,
            c: MatMut<$t>,
            batch: Batch,
        ) -> bool {
            #[cfg(target_arch = "x86_64")]
            {
                if !has_avx512f() || !applies(&a, &b, &c, $lanes) {
                    return false;
                }
                // SAFETY: AVX-512F is available (checked above); the memory contract is the
                // caller's, and the kernel touches exactly the elements of the items.
                unsafe { x86::run(a, b, c, batch) };
                true
            }
            #[cfg(not(target_arch = "x86_64"))]
            {
                let _ = (a, b, c, batch, applies::<$t>);
                false
            }
        }

        #[cfg(target_arch = "x86_64")]
        mod x86 {
            use super::{Batch, MB, MatMut, MatRef};
            use std::arch::x86_64::*;

            /// Everything an item needs besides its base pointers.
            #[derive(Clone, Copy)]
            struct Geom {
                k: usize,
                ars: isize,
                acs: isize,
                brs: isize,
                ldc: usize,
                mask: $mask,
                /// Full, 64-byte aligned rows of a large output: written with non-temporal
                /// stores (no read for ownership of lines that are only written).
                stream: bool,
            }

            /// `M` rows of C (from `a`/`c`, the block's first row) = those rows of A · B.
            ///
            /// # Safety
            /// AVX-512F available; A rows `0..M` (all `k` columns), B rows `0..k` (first `n`
            /// elements, `n` = mask width) readable, C rows `0..M` (first `n`) writable.
            #[inline]
            #[target_feature(enable = "avx512f")]
            unsafe fn block<const M: usize>(a: *const $t, b: *const $t, c: *mut $t, g: Geom) {
                let mut acc: [$vec; M] = [$zero(); M];
                let (mut ap, mut bp) = (a, b);
                for _ in 0..g.k {
                    // SAFETY: B row `p` (first n elements; masked lanes are not accessed) and
                    // A(i, p) for i < M are in the item by the caller's contract.
                    unsafe {
                        let bv = $load(g.mask, bp);
                        for (i, acc) in acc.iter_mut().enumerate() {
                            let x = *ap.wrapping_offset(i as isize * g.ars);
                            *acc = $fma($set1(x), bv, *acc);
                        }
                    }
                    ap = ap.wrapping_offset(g.acs);
                    bp = bp.wrapping_offset(g.brs);
                }
                for (i, acc) in acc.iter().enumerate() {
                    // SAFETY: C row i (first n elements) is writable by the caller's contract;
                    // with `stream` the row is exactly one 64-byte aligned vector (checked).
                    unsafe {
                        if g.stream {
                            $stream(c.add(i * g.ldc), *acc);
                        } else {
                            $store(c.add(i * g.ldc), g.mask, *acc);
                        }
                    }
                }
            }

            /// All items, every item one block of exactly `M = m` rows.
            ///
            /// # Safety
            /// AVX-512F available; the memory contract of `batched_small`.
            #[target_feature(enable = "avx512f")]
            unsafe fn items<const M: usize>(
                a: MatRef<$t>,
                b: MatRef<$t>,
                c: MatMut<$t>,
                batch: Batch,
                g: Geom,
            ) {
                for t in 0..batch.count as isize {
                    let ai = a.ptr.wrapping_offset(t * batch.a);
                    let bi = b.ptr.wrapping_offset(t * batch.b);
                    let ci = c.ptr.wrapping_offset(t * batch.c);
                    // SAFETY: item t is valid by the caller's contract.
                    unsafe { block::<M>(ai, bi, ci, g) };
                }
            }

            /// `rows` (1..=16) rows starting at A/C row pointers `a`/`c`.
            ///
            /// # Safety
            /// As [`block`] with `M = rows`.
            #[inline]
            #[target_feature(enable = "avx512f")]
            unsafe fn rows_block(rows: usize, a: *const $t, b: *const $t, c: *mut $t, g: Geom) {
                // SAFETY: forwarded contract with M = rows.
                unsafe {
                    const_rows!(
                        rows,
                        block,
                        (a, b, c, g),
                        unreachable!("block of {rows} rows")
                    )
                }
            }

            /// All items, `m > 16`: blocks of 16 rows and one remainder block.
            ///
            /// # Safety
            /// AVX-512F available; the memory contract of `batched_small`.
            #[target_feature(enable = "avx512f")]
            unsafe fn items_tall(
                a: MatRef<$t>,
                b: MatRef<$t>,
                c: MatMut<$t>,
                batch: Batch,
                g: Geom,
            ) {
                let m = a.rows;
                for t in 0..batch.count as isize {
                    let ai = a.ptr.wrapping_offset(t * batch.a);
                    let bi = b.ptr.wrapping_offset(t * batch.b);
                    let ci = c.ptr.wrapping_offset(t * batch.c);
                    let mut i = 0;
                    while i < m {
                        let rows = (m - i).min(MB);
                        let ar = ai.wrapping_offset(i as isize * g.ars);
                        let cr = ci.wrapping_add(i * g.ldc);
                        // SAFETY: rows i..i+rows of item t are valid by the caller's contract.
                        unsafe { rows_block(rows, ar, bi, cr, g) };
                        i += rows;
                    }
                }
            }

            /// Dispatch on `m` once per call.
            ///
            /// # Safety
            /// AVX-512F available; `applies` holds; the memory contract of `batched_small`.
            #[target_feature(enable = "avx512f")]
            pub(super) unsafe fn run(a: MatRef<$t>, b: MatRef<$t>, c: MatMut<$t>, batch: Batch) {
                let n = b.cols;
                let es = size_of::<$t>();
                let out_bytes = batch.count * a.rows * n * es;
                let stream = n == $lanes
                    && (c.ptr as usize) % 64 == 0
                    && (c.ld * es) % 64 == 0
                    && batch.c >= 0
                    && (batch.c as usize * es) % 64 == 0
                    && out_bytes >= super::STREAM_BYTES;
                let g = Geom {
                    k: a.cols,
                    ars: a.rs,
                    acs: a.cs,
                    brs: b.rs,
                    ldc: c.ld,
                    mask: ((1u32 << n) - 1) as $mask,
                    stream,
                };
                // SAFETY: forwarded contract (with M = m up to 16 rows).
                unsafe {
                    const_rows!(
                        a.rows,
                        items,
                        (a, b, c, batch, g),
                        items_tall(a, b, c, batch, g)
                    )
                }
                if stream {
                    // Non-temporal stores are weakly ordered: fence before other threads read C.
                    _mm_sfence();
                }
            }
        }
    };
}

/// Outputs of at least this many bytes per call (beyond L2) are written with non-temporal stores
/// when their rows are full aligned vectors: 10000 16x16 f32 products write 10 MB that would
/// otherwise be read from memory first (read for ownership) and evict the inputs.
const STREAM_BYTES: usize = 1 << 20;

/// The f32 kernel: 16 lanes per row.
pub(crate) mod f32k {
    use super::*;
    batched_kernels!(
        try_batched_f32,
        f32,
        16,
        __m512,
        __mmask16,
        _mm512_setzero_ps,
        _mm512_maskz_loadu_ps,
        _mm512_set1_ps,
        _mm512_fmadd_ps,
        _mm512_mask_storeu_ps,
        _mm512_stream_ps
    );
}

/// The f64 kernel: 8 lanes per row.
pub(crate) mod f64k {
    use super::*;
    batched_kernels!(
        try_batched_f64,
        f64,
        8,
        __m512d,
        __mmask8,
        _mm512_setzero_pd,
        _mm512_maskz_loadu_pd,
        _mm512_set1_pd,
        _mm512_fmadd_pd,
        _mm512_mask_storeu_pd,
        _mm512_stream_pd
    );
}

pub(crate) use f32k::try_batched_f32;
pub(crate) use f64k::try_batched_f64;
