//! The tiled GEMM driver (BLIS loop structure) around the JIT micro-kernel, and the batched-small path.
//!
//! Loops, outermost first: thread region (rows or columns of C) → `jc` (NC columns) → `pc` (KC of K:
//! pack B) → `ic` (MC rows: pack A) → `ir` (MR rows) → `jr` (NR columns) → micro-kernel.
//!
//! **Blocking model** (this machine, AMD Zen 5: per core 48 KiB L1d, 1 MiB L2, 32 MiB shared L3):
//! - `MR x NR` = 12 x one 128-bit vector: the fastest Cranelift tile measured (see `codegen::matmul`).
//! - `KC = 128`: the pre-broadcast A micro-panel (`MR * KC * 16` B = 24 KiB) stays in L1 next to a
//!   B micro-panel (`KC * NR * size` = 2 KiB). Measured (kernel alone, panels in cache, best of 12
//!   rounds): KC = 128 and 192 (36 KiB) both 89% of the xmm FMA peak, KC = 256 (48 KiB, no longer
//!   fits L1 with B) 66%; the whole sgemm at n = 256/1024 did not change between 128, 160 and 192.
//! - `NC`: the packed B panel (`KC * NC * size`) takes half of L2 (512 KiB), so the `jr` sweep of
//!   each A micro-panel reads B from L2: NC = 1024 (f32) / 512 (f64).
//! - `MC = 96` (8 micro-panels): the packed A block (`MC * KC * 16` = 192 KiB) plus the C block the
//!   epilogue reads (`MC * NC * size` = 384 KiB) fit in the other half of L2, so the epilogue runs on
//!   a block that was just written (MC = 192 measured the same).
//!
//! **Packing**: `pack_a` runs `k` outer and the `MR` rows inner, so it writes each micro-panel
//! sequentially (one 16-byte splat store per element) from `MR` sequential read streams; `pack_b`
//! copies `NR` contiguous elements per `k` when B's rows are contiguous. Against the earlier
//! element-by-element packing (runtime-length `fill` per splat) this took n = 256 from 48.3 to 54.3
//! GFLOP/s (same process, interleaved runs).
//!
//! **Where the time goes** (f32, 1 thread, peak = `measure_fma_peak_f32`, ~70 GFLOP/s): the
//! micro-kernel alone reaches ~89% of the peak; its loop issues 13 vector loads (12 pre-broadcast A
//! rows folded into `vmulps`, 1 B vector) per 12 products, and the FP side takes ~2 vector loads per
//! cycle, so a `k` step needs 6.5 cycles against the 6 of its 12 multiplies (≤ 92%). The whole GEMM
//! then pays packing (A is written 4x inflated), a C tile load + store per KC steps, and edge rows
//! (n = 256 is 21⅓ tiles of 12: 3% padded work): ~78% of the peak at n = 256.
//!
//! **Batched small products** ([`batched_small`]): on CPUs with AVX-512F, shapes with `n <= 16`
//! (f32) / `n <= 8` (f64) and B's rows contiguous run the hand-written 512-bit kernel of
//! `runtime::batched_simd` (chosen at run time); everything else runs the Cranelift unpacked kernel
//! (128-bit vectors) or, above `BATCHED_MAX_MKN`, the packed GEMM per item.
//!
//! **Determinism:** K is never split between threads, and the blocking does not depend on the thread
//! count, so every element of C is computed by the same sequence of operations (see
//! `codegen::matmul`): results are bit-identical for any `threads`.

use std::time::Instant;

use crate::codegen::matmul::{
    BATCHED_MAX_MKN, BatchedSpec, MR, MicroKernel, batched_kernel, micro_kernel,
};
use crate::dtype::DType;
use crate::dtype::Element;
use crate::error::{Error, Result};
use crate::runtime::batched_simd;
use crate::runtime::mat::{Epilogue, MatMut, MatRef, Prologue};

/// K block (see the module docs).
pub const KC: usize = 128;
/// M block (see the module docs).
pub const MC: usize = 96;
/// Bytes of L2 given to the packed B panel.
const B_PANEL_BYTES: usize = 512 * 1024;
/// Columns of B a fused prologue computes per call (a multiple of every NR): with KC rows that is
/// a 64 KiB (f32) scratch block, small next to the packed B panel it is packed into.
const PROLOGUE_COLS: usize = 128;
/// Below this many multiply-adds per extra thread, spawning costs more than it saves.
const MIN_WORK_PER_THREAD: usize = 1 << 21;

/// f32 or f64: the element types with a JIT GEMM.
pub trait GemmElement:
    Element + std::ops::Add<Output = Self> + std::ops::Mul<Output = Self>
{
}
impl GemmElement for f32 {}
impl GemmElement for f64 {}

/// Computes `C = A · B` (overwriting C) with `f32` elements; see [`gemm()`].
///
/// # Safety
/// See [`gemm()`].
///
/// ```
/// use lazynp::runtime::mat::{MatMut, MatRef};
/// use lazynp::runtime::matmul::gemm_f32;
/// let a = [1.0f32, 2., 3., 4.]; // [[1, 2], [3, 4]]
/// let mut c = [0.0f32; 4];
/// let am = MatRef { ptr: a.as_ptr(), rows: 2, cols: 2, rs: 2, cs: 1 };
/// let at = MatRef { ptr: a.as_ptr(), rows: 2, cols: 2, rs: 1, cs: 2 }; // A transposed, no copy
/// let cm = MatMut { ptr: c.as_mut_ptr(), rows: 2, cols: 2, ld: 2 };
/// // SAFETY: the descriptors cover the live arrays above; C does not overlap A.
/// unsafe { gemm_f32(am, at, cm, 1, None)? };
/// assert_eq!(c, [5.0, 11.0, 11.0, 25.0]);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub unsafe fn gemm_f32(
    a: MatRef<f32>,
    b: MatRef<f32>,
    c: MatMut<f32>,
    threads: usize,
    epilogue: Option<Epilogue>,
) -> Result<()> {
    // SAFETY: forwarded contract.
    unsafe { gemm(a, b, c, threads, epilogue) }
}

/// Computes `C = A · B` (overwriting C) with `f64` elements; see [`gemm()`].
///
/// # Safety
/// See [`gemm()`].
///
/// ```
/// use lazynp::runtime::mat::{MatMut, MatRef};
/// use lazynp::runtime::matmul::gemm_f64;
/// let a = [1.0f64, 2., 3.];
/// let mut c = [0.0f64; 1];
/// let row = MatRef { ptr: a.as_ptr(), rows: 1, cols: 3, rs: 3, cs: 1 };
/// let col = MatRef { ptr: a.as_ptr(), rows: 3, cols: 1, rs: 1, cs: 1 };
/// // SAFETY: the descriptors cover the live arrays above.
/// unsafe { gemm_f64(row, col, MatMut { ptr: c.as_mut_ptr(), rows: 1, cols: 1, ld: 1 }, 2, None)? };
/// assert_eq!(c, [14.0]);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub unsafe fn gemm_f64(
    a: MatRef<f64>,
    b: MatRef<f64>,
    c: MatMut<f64>,
    threads: usize,
    epilogue: Option<Epilogue>,
) -> Result<()> {
    // SAFETY: forwarded contract.
    unsafe { gemm(a, b, c, threads, epilogue) }
}

/// Computes `C = A · B` (C is overwritten, never read), packing A and B from any strides, on up to
/// `threads` threads (results are bit-identical for any count). `epilogue(r0, r1, c0, c1)` is called
/// exactly once for each finished block of C, from the thread that computed it, right after its last
/// K panel; the blocks tile C. `K = 0` writes zeros; `M = 0` or `N = 0` does nothing.
///
/// Errors: [`Error::Matmul`] when `a.cols != b.rows`, [`Error::Invalid`] when C's shape or `ld`
/// does not match, [`Error::Compile`] if the kernel cannot be built.
///
/// # Safety
/// Every element `(i, j)` of `a` and `b` (`ptr + i*rs + j*cs`) must be readable, and every element of
/// `c` writable, for the duration of the call; `c` must not overlap `a` or `b`.
///
/// ```
/// use lazynp::runtime::mat::{MatMut, MatRef};
/// use lazynp::runtime::matmul::gemm;
/// let a = [2.0f32]; // broadcast: a 3x4 matrix of 2s from one element (strides 0)
/// let b = [1.0f32, 2., 3.];
/// let mut c = [0.0f32; 6];
/// let am = MatRef { ptr: a.as_ptr(), rows: 2, cols: 3, rs: 0, cs: 0 };
/// let bm = MatRef { ptr: b.as_ptr(), rows: 3, cols: 3, rs: 0, cs: 1 };
/// let cm = MatMut { ptr: c.as_mut_ptr(), rows: 2, cols: 3, ld: 3 };
/// // SAFETY: strides stay inside `a` and `b`; `c` is 2x3.
/// unsafe { gemm(am, bm, cm, 1, None)? };
/// assert_eq!(c, [6.0, 12.0, 18.0, 6.0, 12.0, 18.0]);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub unsafe fn gemm<T: GemmElement>(
    a: MatRef<T>,
    b: MatRef<T>,
    c: MatMut<T>,
    threads: usize,
    epilogue: Option<Epilogue>,
) -> Result<()> {
    // SAFETY: forwarded contract.
    unsafe { gemm_fused(a, b, c, threads, epilogue, [None, None]) }
}

/// [`gemm()`] with fused prologues: when `prologues[0]` (for A) or `prologues[1]` (for B) is given,
/// that operand is never read through its `ptr`; the packing loop asks the prologue for each block
/// it packs instead (an `MC x KC` block of A, a `KC x 128` block of B), so a computed operand only
/// exists one cache-sized block at a time. Only the operand's `rows` and `cols` are used then.
///
/// # Safety
/// As [`gemm()`], for the operands read through their pointers; a prologue must write exactly the
/// block it is asked for.
///
/// ```
/// use lazynp::runtime::mat::{MatMut, MatRef, Prologue};
/// use lazynp::runtime::matmul::gemm_fused;
/// // A = 2 * [[1, 2], [3, 4]] computed block by block, never stored whole.
/// let x = [1.0f32, 2., 3., 4.];
/// let twice = |r0: usize, r1: usize, c0: usize, c1: usize, out: *mut u8, ld: usize| {
///     for i in r0..r1 {
///         for j in c0..c1 {
///             // SAFETY: `out` holds the (r1-r0) x (c1-c0) block at stride `ld`.
///             unsafe { *out.cast::<f32>().add((i - r0) * ld + (j - c0)) = 2.0 * x[i * 2 + j] };
///         }
///     }
/// };
/// let pa: Prologue = &twice;
/// let a = MatRef { ptr: std::ptr::null::<f32>(), rows: 2, cols: 2, rs: 0, cs: 0 };
/// let id = [1.0f32, 0., 0., 1.];
/// let b = MatRef { ptr: id.as_ptr(), rows: 2, cols: 2, rs: 2, cs: 1 };
/// let mut c = [0.0f32; 4];
/// let cm = MatMut { ptr: c.as_mut_ptr(), rows: 2, cols: 2, ld: 2 };
/// // SAFETY: B and C cover live arrays; A comes from the prologue.
/// unsafe { gemm_fused(a, b, cm, 1, None, [Some(pa), None])? };
/// assert_eq!(c, [2.0, 4.0, 6.0, 8.0]);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub unsafe fn gemm_fused<T: GemmElement>(
    a: MatRef<T>,
    b: MatRef<T>,
    c: MatMut<T>,
    threads: usize,
    epilogue: Option<Epilogue>,
    prologues: [Option<Prologue>; 2],
) -> Result<()> {
    check_shapes(&a, &b, &c)?;
    let (m, k, n) = (a.rows, a.cols, b.cols);
    if m == 0 || n == 0 {
        return Ok(());
    }
    if k == 0 {
        for i in 0..m {
            // SAFETY: row i of C is writable (caller contract), `cols <= ld`.
            unsafe { std::slice::from_raw_parts_mut(c.ptr.add(i * c.ld), n).fill(T::default()) };
        }
        if let Some(f) = epilogue {
            f(0, m, 0, n);
        }
        return Ok(());
    }
    let kernel = micro_kernel(T::DTYPE)?;
    let nc = (B_PANEL_BYTES / (KC * size_of::<T>())).max(kernel.nr);
    let (tm, tn) = thread_grid(m, n, k, threads, kernel.nr);
    let regions = split(m, tm, MR)
        .into_iter()
        .flat_map(|r| split(n, tn, kernel.nr).into_iter().map(move |c| (r, c)));
    let regions: Vec<_> = regions.collect();
    let job = |((r0, r1), (c0, c1)): ((usize, usize), (usize, usize))| {
        // SAFETY: regions are disjoint blocks of C; A and B are only read (caller contract).
        unsafe {
            gemm_region(
                &kernel,
                a,
                b,
                c,
                (r0, r1),
                (c0, c1),
                nc,
                epilogue,
                prologues,
            )
        }
    };
    if regions.len() == 1 {
        job(regions[0]);
    } else {
        std::thread::scope(|s| {
            let others: Vec<_> = regions[1..]
                .iter()
                .map(|&r| s.spawn(move || job(r)))
                .collect();
            job(regions[0]);
            // Re-raise a worker's panic with its own payload (an evaluation's error, see
            // `buffer::catch_alloc`), not the scope's generic "a scoped thread panicked".
            for h in others {
                if let Err(payload) = h.join() {
                    std::panic::resume_unwind(payload);
                }
            }
        });
    }
    Ok(())
}

fn check_shapes<T>(a: &MatRef<T>, b: &MatRef<T>, c: &MatMut<T>) -> Result<()> {
    if a.cols != b.rows {
        return Err(Error::Matmul {
            k1: a.cols,
            k2: b.rows,
        });
    }
    if c.rows != a.rows || c.cols != b.cols || c.ld < c.cols {
        return Err(Error::Invalid {
            op: "matmul",
            msg: format!(
                "output is {}x{} (ld {}), expected {}x{}",
                c.rows, c.cols, c.ld, a.rows, b.cols
            ),
        });
    }
    Ok(())
}

/// Chooses `tm x tn <= threads` thread regions: enough work per thread, and the split that packs
/// least (each thread packs its rows of A, 4x inflated by pre-broadcast, and its columns of B).
fn thread_grid(m: usize, n: usize, k: usize, threads: usize, nr: usize) -> (usize, usize) {
    let by_work = (m.saturating_mul(n).saturating_mul(k) / MIN_WORK_PER_THREAD).max(1);
    let t = threads.clamp(1, 64).min(by_work);
    let mut best = (1, 1, usize::MAX);
    for tm in 1..=t {
        let tn = t / tm;
        if tm * tn != t || tm > m.div_ceil(MR) || tn > n.div_ceil(nr) {
            continue;
        }
        let cost = 4 * m.div_ceil(tm) + n.div_ceil(tn);
        if cost < best.2 {
            best = (tm, tn, cost);
        }
    }
    (best.0, best.1)
}

/// Splits `0..len` into `parts` ranges whose bounds are multiples of `align` (the last may be short).
fn split(len: usize, parts: usize, align: usize) -> Vec<(usize, usize)> {
    let units = len.div_ceil(align);
    let per = units.div_ceil(parts);
    (0..parts)
        .map(|p| ((p * per * align).min(len), ((p + 1) * per * align).min(len)))
        .filter(|(s, e)| s < e)
        .collect()
}

/// A 64-byte aligned scratch buffer of `T`.
struct Packed<T> {
    lines: Vec<[u64; 8]>,
    _t: std::marker::PhantomData<T>,
}

/// Largest packing buffer kept for reuse (the biggest one a product allocates is ~512 KiB).
const KEEP_PACKED_BYTES: usize = 1 << 20;

thread_local! {
    /// Packing buffers of finished products on this thread: a small product would otherwise
    /// spend longer zeroing fresh panels than multiplying.
    static SPARE: std::cell::RefCell<Vec<Vec<[u64; 8]>>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl<T: GemmElement> Packed<T> {
    /// At least `elems` elements: a spare buffer of this thread if one is free (its contents are
    /// stale but initialised; every panel is fully written before it is read), else a new one.
    fn new(elems: usize) -> Self {
        let n = (elems * size_of::<T>()).div_ceil(64);
        let mut lines = SPARE
            .with(|s| {
                let mut s = s.borrow_mut();
                let best = (0..s.len()).find(|&i| s[i].len() >= n);
                best.map(|i| s.swap_remove(i)).or_else(|| s.pop())
            })
            .unwrap_or_default();
        if lines.len() < n {
            lines.resize(n, [0u64; 8]);
        }
        Packed {
            lines,
            _t: std::marker::PhantomData,
        }
    }
    fn as_mut(&mut self) -> &mut [T] {
        let len = self.lines.len() * 64 / size_of::<T>();
        // SAFETY: the Vec owns `len * size_of::<T>()` initialised bytes, 64-byte aligned; f32/f64 are
        // valid for any bit pattern.
        unsafe { std::slice::from_raw_parts_mut(self.lines.as_mut_ptr().cast::<T>(), len) }
    }
}

impl<T> Drop for Packed<T> {
    fn drop(&mut self) {
        let lines = std::mem::take(&mut self.lines);
        if lines.len() * 64 <= KEEP_PACKED_BYTES {
            let _ = SPARE.try_with(|s| {
                let mut s = s.borrow_mut();
                if s.len() < 8 {
                    s.push(lines);
                }
            });
        }
    }
}

/// Element `(i, j)` of a strided matrix.
///
/// # Safety
/// `(i, j)` must be in bounds of a matrix the caller may read.
#[inline(always)]
unsafe fn at<T: Copy>(m: &MatRef<T>, i: usize, j: usize) -> T {
    // SAFETY: in bounds by the caller's contract.
    unsafe { *m.ptr.offset(i as isize * m.rs + j as isize * m.cs) }
}

/// One thread's share: the BLIS loops over C rows `r0..r1`, columns `c0..c1`.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_region<T: GemmElement>(
    kernel: &MicroKernel,
    a: MatRef<T>,
    b: MatRef<T>,
    c: MatMut<T>,
    (r0, r1): (usize, usize),
    (c0, c1): (usize, usize),
    nc: usize,
    epilogue: Option<Epilogue>,
    [pro_a, pro_b]: [Option<Prologue>; 2],
) {
    let (nr, k) = (kernel.nr, a.cols);
    let lanes = nr; // one vector of columns: NR == lanes
    // Sized for this region (a small product packs small panels).
    let (kc_max, mc_max) = (KC.min(k), MC.min(r1 - r0).next_multiple_of(MR));
    let nc_max = nc.min(c1 - c0).next_multiple_of(nr);
    let mut apack = Packed::<T>::new(mc_max * kc_max * lanes);
    let mut bpack = Packed::<T>::new(nc_max * kc_max);
    let mut tile = Packed::<T>::new(MR * nr);
    let mut a_block = pro_a.map(|_| Packed::<T>::new(MC * KC));
    let mut b_block = pro_b.map(|_| Packed::<T>::new(KC * PROLOGUE_COLS));
    for jc in (c0..c1).step_by(nc) {
        let ncur = nc.min(c1 - jc);
        for pc in (0..k).step_by(KC) {
            let kc = KC.min(k - pc);
            match (pro_b, b_block.as_mut()) {
                (Some(f), Some(blk)) => {
                    for j0 in (0..ncur).step_by(PROLOGUE_COLS) {
                        let w = PROLOGUE_COLS.min(ncur - j0);
                        let s = blk.as_mut().as_mut_ptr();
                        f(pc, pc + kc, jc + j0, jc + j0 + w, s.cast(), w);
                        let sm = MatRef {
                            ptr: s.cast_const(),
                            rows: kc,
                            cols: w,
                            rs: w as isize,
                            cs: 1,
                        };
                        let out = &mut bpack.as_mut()[j0 / nr * kc * nr..];
                        // SAFETY: the prologue filled the kc x w block at stride w.
                        unsafe { pack_b(&sm, 0, kc, 0, w, nr, out) };
                    }
                }
                // SAFETY: rows pc..pc+kc, columns jc..jc+ncur are inside B.
                _ => unsafe { pack_b(&b, pc, kc, jc, ncur, nr, bpack.as_mut()) },
            }
            for ic in (r0..r1).step_by(MC) {
                let mcur = MC.min(r1 - ic);
                match (pro_a, a_block.as_mut()) {
                    (Some(f), Some(blk)) => {
                        let s = blk.as_mut().as_mut_ptr();
                        f(ic, ic + mcur, pc, pc + kc, s.cast(), kc);
                        let sm = MatRef {
                            ptr: s.cast_const(),
                            rows: mcur,
                            cols: kc,
                            rs: kc as isize,
                            cs: 1,
                        };
                        // SAFETY: the prologue filled the mcur x kc block at stride kc.
                        unsafe { pack_a(&sm, 0, mcur, 0, kc, lanes, apack.as_mut()) };
                    }
                    // SAFETY: rows ic..ic+mcur, columns pc..pc+kc are inside A.
                    _ => unsafe { pack_a(&a, ic, mcur, pc, kc, lanes, apack.as_mut()) },
                }
                for ir in (0..mcur).step_by(MR) {
                    let rows = MR.min(mcur - ir);
                    let ap = apack.as_mut()[ir * kc * lanes..].as_ptr().cast::<u8>();
                    for jr in (0..ncur).step_by(nr) {
                        let cols = nr.min(ncur - jr);
                        let bp = bpack.as_mut()[jr * kc..].as_ptr().cast::<u8>();
                        // SAFETY: (ic+ir, jc+jr) is inside C.
                        let cp = unsafe { c.ptr.add((ic + ir) * c.ld + jc + jr) };
                        let acc = u32::from(pc > 0);
                        let es = size_of::<T>() as isize;
                        if rows == MR && cols == nr {
                            // SAFETY: full tile: MR rows of nr elements at stride ld are in C; the
                            // panels hold kc packed steps (aligned, zero-padded).
                            unsafe {
                                (kernel.func)(ap, bp, cp.cast(), c.ld as isize * es, kc, acc)
                            };
                        } else {
                            let t = tile.as_mut();
                            for i in 0..rows {
                                for j in 0..cols {
                                    // SAFETY: (i, j) < (rows, cols) is inside C.
                                    t[i * nr + j] = if acc == 1 {
                                        unsafe { *cp.add(i * c.ld + j) }
                                    } else {
                                        T::default()
                                    };
                                }
                            }
                            // SAFETY: the tile buffer holds MR x nr elements at stride nr.
                            unsafe {
                                (kernel.func)(
                                    ap,
                                    bp,
                                    t.as_mut_ptr().cast(),
                                    nr as isize * es,
                                    kc,
                                    acc,
                                )
                            };
                            for i in 0..rows {
                                for j in 0..cols {
                                    // SAFETY: as above.
                                    unsafe { *cp.add(i * c.ld + j) = t[i * nr + j] };
                                }
                            }
                        }
                    }
                }
                if pc + kc == k
                    && let Some(f) = epilogue
                {
                    f(ic, ic + mcur, jc, jc + ncur);
                }
            }
        }
    }
}

/// Stores `x` into the `lanes` (4 or 2) elements at the start of `dst` (one 16-byte store).
#[inline(always)]
fn splat_into<T: Copy>(dst: &mut [T], x: T, lanes: usize) {
    if lanes == 4 {
        let d: &mut [T; 4] = (&mut dst[..4]).try_into().expect("4 lanes");
        *d = [x; 4];
    } else {
        let d: &mut [T; 2] = (&mut dst[..2]).try_into().expect("2 lanes");
        *d = [x; 2];
    }
}

/// Packs rows `ic..ic+mc`, columns `pc..pc+kc` of A as pre-broadcast MR-row micro-panels.
///
/// For each `k` the panel holds `MR` consecutive splats, so the loop runs `k` outer and rows
/// inner: sequential writes, and `MR` sequential read streams when A's rows are contiguous.
///
/// # Safety
/// The block must be inside A.
unsafe fn pack_a<T: GemmElement>(
    a: &MatRef<T>,
    ic: usize,
    mc: usize,
    pc: usize,
    kc: usize,
    lanes: usize,
    out: &mut [T],
) {
    let step = MR * lanes;
    for (t, ir) in (0..mc).step_by(MR).enumerate() {
        let panel = &mut out[t * kc * step..(t + 1) * kc * step];
        let rows = MR.min(mc - ir);
        // Element (ic+ir+i, pc+kk) is at rows[i] + kk * cs.
        let starts: [*const T; MR] = std::array::from_fn(|i| {
            let i = i.min(rows - 1);
            a.ptr
                .wrapping_offset((ic + ir + i) as isize * a.rs + pc as isize * a.cs)
        });
        if rows < MR {
            panel.fill(T::default());
        }
        for (kk, dst) in panel.chunks_exact_mut(step).enumerate() {
            let off = kk as isize * a.cs;
            for (i, &p) in starts.iter().enumerate().take(rows) {
                // SAFETY: row i < rows and column pc+kk < pc+kc are inside the block.
                let x = unsafe { *p.offset(off) };
                splat_into(&mut dst[i * lanes..], x, lanes);
            }
        }
    }
}

/// Packs rows `pc..pc+kc`, columns `jc..jc+nc` of B as NR-column micro-panels, zero-padded.
///
/// # Safety
/// The block must be inside B.
unsafe fn pack_b<T: GemmElement>(
    b: &MatRef<T>,
    pc: usize,
    kc: usize,
    jc: usize,
    nc: usize,
    nr: usize,
    out: &mut [T],
) {
    for (t, jr) in (0..nc).step_by(nr).enumerate() {
        let panel = &mut out[t * kc * nr..(t + 1) * kc * nr];
        let cols = nr.min(nc - jr);
        if cols == nr && b.cs == 1 {
            // Contiguous rows: one nr-element copy per k.
            for (kk, dst) in panel.chunks_exact_mut(nr).enumerate() {
                // SAFETY: row pc+kk, columns jc+jr..jc+jr+nr are inside the block.
                let src = unsafe {
                    std::slice::from_raw_parts(
                        b.ptr.offset((pc + kk) as isize * b.rs + (jc + jr) as isize),
                        nr,
                    )
                };
                dst.copy_from_slice(src);
            }
            continue;
        }
        for kk in 0..kc {
            for j in 0..nr {
                // SAFETY: j < cols keeps the column inside the block.
                panel[kk * nr + j] = if j < cols {
                    unsafe { at(b, pc + kk, jc + jr + j) }
                } else {
                    T::default()
                };
            }
        }
    }
}

/// Batch layout for [`batched_small`]: item `t` of A, B and C starts `t * stride` elements after
/// item 0's `ptr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Batch {
    /// Number of products.
    pub count: usize,
    /// A's batch stride in elements (0 broadcasts one A).
    pub a: isize,
    /// B's batch stride in elements (0 broadcasts one B).
    pub b: isize,
    /// C's batch stride in elements.
    pub c: isize,
}

/// `batched_small` for `f32`.
///
/// # Safety
/// See [`batched_small`].
///
/// ```
/// use lazynp::runtime::mat::{MatMut, MatRef};
/// use lazynp::runtime::matmul::{batched_small_f32, Batch};
/// let a = [1.0f32, 2., 3., 4.]; // two 1x2 matrices
/// let b = [10.0f32, 100.];      // one 2x1 matrix, broadcast
/// let mut c = [0.0f32; 2];
/// let am = MatRef { ptr: a.as_ptr(), rows: 1, cols: 2, rs: 2, cs: 1 };
/// let bm = MatRef { ptr: b.as_ptr(), rows: 2, cols: 1, rs: 1, cs: 1 };
/// let cm = MatMut { ptr: c.as_mut_ptr(), rows: 1, cols: 1, ld: 1 };
/// // SAFETY: 2 items of A at stride 2, one B, 2 items of C at stride 1, all in bounds.
/// unsafe { batched_small_f32(am, bm, cm, Batch { count: 2, a: 2, b: 0, c: 1 })? };
/// assert_eq!(c, [210.0, 430.0]);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub unsafe fn batched_small_f32(
    a: MatRef<f32>,
    b: MatRef<f32>,
    c: MatMut<f32>,
    batch: Batch,
) -> Result<()> {
    // SAFETY: forwarded contract.
    unsafe { batched_small(a, b, c, batch) }
}

/// `batched_small` for `f64`.
///
/// # Safety
/// See [`batched_small`].
///
/// ```
/// use lazynp::runtime::mat::{MatMut, MatRef};
/// use lazynp::runtime::matmul::{batched_small_f64, Batch};
/// let a = [2.0f64; 8]; // two 2x2
/// let mut c = [0.0f64; 8];
/// let am = MatRef { ptr: a.as_ptr(), rows: 2, cols: 2, rs: 2, cs: 1 };
/// let cm = MatMut { ptr: c.as_mut_ptr(), rows: 2, cols: 2, ld: 2 };
/// // SAFETY: two 2x2 items of A (used for both operands) and C at stride 4.
/// unsafe { batched_small_f64(am, am, cm, Batch { count: 2, a: 4, b: 4, c: 4 })? };
/// assert_eq!(c, [8.0; 8]);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub unsafe fn batched_small_f64(
    a: MatRef<f64>,
    b: MatRef<f64>,
    c: MatMut<f64>,
    batch: Batch,
) -> Result<()> {
    // SAFETY: forwarded contract.
    unsafe { batched_small(a, b, c, batch) }
}

/// `C_t = A_t · B_t` for `t in 0..batch.count` (C overwritten), unpacked: for many small products
/// where packing would dominate. On x86-64 CPUs with AVX-512F, when `n <= 16` (f32) / `n <= 8` (f64),
/// B's rows are contiguous (`b.cs == 1`) and `m*k*n <= 32768`, a hand-written 512-bit kernel runs
/// (one masked vector per row of C, see `runtime::batched_simd`); otherwise a Cranelift kernel
/// specialised for the exact `(m, k, n)` and strides (128-bit vectors). Shapes with
/// `m*k*n > 32768` (or huge strides) fall back to one single-threaded [`gemm()`] per item. Which
/// kernel runs depends only on the shapes and strides, never on `batch.count`, so splitting a batch
/// gives the same bits.
///
/// # Safety
/// Every element of every item of A and B must be readable and every element of every item of C
/// writable for the duration of the call; C items must not overlap each other, A or B.
///
/// ```
/// use lazynp::runtime::mat::{MatMut, MatRef};
/// use lazynp::runtime::matmul::{batched_small, Batch};
/// let a = [1.0f32, 2.];
/// let mut c = [9.0f32; 2];
/// let am = MatRef { ptr: a.as_ptr(), rows: 2, cols: 0, rs: 1, cs: 1 };
/// let bm = MatRef { ptr: a.as_ptr(), rows: 0, cols: 1, rs: 1, cs: 1 };
/// // SAFETY: K = 0: only C (two 2x1 items... here one) is touched.
/// unsafe { batched_small(am, bm, MatMut { ptr: c.as_mut_ptr(), rows: 2, cols: 1, ld: 1 }, Batch { count: 1, a: 0, b: 0, c: 2 })? };
/// assert_eq!(c, [0.0, 0.0]);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub unsafe fn batched_small<T: GemmElement>(
    a: MatRef<T>,
    b: MatRef<T>,
    c: MatMut<T>,
    batch: Batch,
) -> Result<()> {
    check_shapes(&a, &b, &c)?;
    let (m, k, n) = (a.rows, a.cols, b.cols);
    if m == 0 || n == 0 || batch.count == 0 {
        return Ok(());
    }
    // SAFETY (both): T is the dtype the cast names (checked), and the memory contract is ours.
    let done = match T::DTYPE {
        DType::F32 => unsafe { batched_simd::try_batched_f32(a.cast(), b.cast(), c.cast(), batch) },
        DType::F64 => unsafe { batched_simd::try_batched_f64(a.cast(), b.cast(), c.cast(), batch) },
        _ => false,
    };
    if done {
        return Ok(());
    }
    let item = |t: usize| {
        let off = |s: isize| t as isize * s;
        (
            MatRef {
                ptr: a.ptr.wrapping_offset(off(batch.a)),
                ..a
            },
            MatRef {
                ptr: b.ptr.wrapping_offset(off(batch.b)),
                ..b
            },
            MatMut {
                ptr: c.ptr.wrapping_offset(off(batch.c)),
                ..c
            },
        )
    };
    let spec = BatchedSpec {
        dtype: T::DTYPE,
        m,
        k,
        n,
        a_rs: a.rs,
        a_cs: a.cs,
        b_rs: b.rs,
        b_cs: b.cs,
        ldc: c.ld,
    };
    let kernel = if k > 0 && m * k * n <= BATCHED_MAX_MKN {
        match batched_kernel(&spec) {
            Ok(f) => Some(f),
            Err(Error::Invalid { .. }) => None,
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    match kernel {
        Some(f) => {
            let es = size_of::<T>() as isize;
            // SAFETY: the kernel reads exactly the elements of the A and B items and writes the C
            // items, which the caller guarantees are valid.
            unsafe {
                f(
                    a.ptr.cast(),
                    b.ptr.cast(),
                    c.ptr.cast(),
                    batch.count,
                    batch.a * es,
                    batch.b * es,
                    batch.c * es,
                )
            };
        }
        None => {
            for t in 0..batch.count {
                let (ai, bi, ci) = item(t);
                // SAFETY: item t is valid by the caller's contract.
                unsafe { gemm(ai, bi, ci, 1, None)? };
            }
        }
    }
    Ok(())
}

/// Measures the single-thread 128-bit FMA peak in GFLOP/s (12 independent `vfmadd231ps xmm`
/// chains, best of 10 runs of ~10 ms after a ~50 ms warm-up). Returns 0.0 where x86-64 AVX + FMA is unavailable.
///
/// ```
/// let peak = lazynp::runtime::matmul::measure_fma_peak_f32();
/// assert!(peak >= 0.0);
/// ```
pub fn measure_fma_peak_f32() -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        if !(std::arch::is_x86_feature_detected!("avx")
            && std::arch::is_x86_feature_detected!("fma"))
        {
            return 0.0;
        }
        let iters: u64 = 4_000_000;
        fma_loop(iters * 5); // ~50 ms: let the clock ramp up
        let mut best = f64::INFINITY;
        for _ in 0..10 {
            let t = Instant::now();
            fma_loop(iters);
            best = best.min(t.elapsed().as_secs_f64());
        }
        // 12 FMAs x 4 lanes x 2 flops per iteration.
        (iters * 12 * 4 * 2) as f64 / best / 1e9
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = Instant::now;
        0.0
    }
}

#[cfg(target_arch = "x86_64")]
fn fma_loop(iters: u64) {
    // SAFETY: only registers are touched (all declared clobbered); the caller checked AVX + FMA.
    unsafe {
        std::arch::asm!(
            "vxorps xmm0, xmm0, xmm0", "vxorps xmm1, xmm1, xmm1", "vxorps xmm2, xmm2, xmm2",
            "vxorps xmm3, xmm3, xmm3", "vxorps xmm4, xmm4, xmm4", "vxorps xmm5, xmm5, xmm5",
            "vxorps xmm6, xmm6, xmm6", "vxorps xmm7, xmm7, xmm7", "vxorps xmm8, xmm8, xmm8",
            "vxorps xmm9, xmm9, xmm9", "vxorps xmm10, xmm10, xmm10", "vxorps xmm11, xmm11, xmm11",
            "vxorps xmm12, xmm12, xmm12", "vxorps xmm13, xmm13, xmm13",
            "2:",
            "vfmadd231ps xmm0, xmm12, xmm13", "vfmadd231ps xmm1, xmm12, xmm13",
            "vfmadd231ps xmm2, xmm12, xmm13", "vfmadd231ps xmm3, xmm12, xmm13",
            "vfmadd231ps xmm4, xmm12, xmm13", "vfmadd231ps xmm5, xmm12, xmm13",
            "vfmadd231ps xmm6, xmm12, xmm13", "vfmadd231ps xmm7, xmm12, xmm13",
            "vfmadd231ps xmm8, xmm12, xmm13", "vfmadd231ps xmm9, xmm12, xmm13",
            "vfmadd231ps xmm10, xmm12, xmm13", "vfmadd231ps xmm11, xmm12, xmm13",
            "dec {n}",
            "jnz 2b",
            n = inout(reg) iters => _,
            out("xmm0") _, out("xmm1") _, out("xmm2") _, out("xmm3") _, out("xmm4") _,
            out("xmm5") _, out("xmm6") _, out("xmm7") _, out("xmm8") _, out("xmm9") _,
            out("xmm10") _, out("xmm11") _, out("xmm12") _, out("xmm13") _,
            options(nomem, nostack),
        );
    }
}
