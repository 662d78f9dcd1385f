//! The library GEMM backend: large f32/f64 products go to the pure-Rust `gemm` crate.
//!
//! `C = A·B` is cut into a grid of fixed tiles of C. A tile is computed by single-threaded
//! `gemm::gemm` calls on column panels of it (each over the full K, so no element ever shares a
//! partial sum with another call), then the epilogue runs once on the whole tile. Threads claim
//! tiles from a shared counter. The grid depends only on `(m, n, k)`, the element size, whether
//! A's rows are contiguous and the machine's L2 size, never on the thread count, and every tile
//! is computed by the same calls whoever runs it, so **the result is bit-identical for any number
//! of threads**. (The `gemm` crate's own threading also keeps K whole per micro-tile — it splits
//! only the M×N micro-tiles of each depth block across rayon tasks — but we do not rely on that:
//! the epilogue needs per-tile control anyway.)
//!
//! # The tiling model
//!
//! For row-major C the library computes `Cᵀ = Bᵀ·Aᵀ`: in one call it packs B's columns in
//! blocks of `kc × mc` (`kc` ≤ 512 deep; `mc` = 256 columns on a 1 MiB L2) and keeps that packed
//! block in L2, while the rows of A stream through unpacked (A is packed only when its rows are
//! strided and the call is wider than two micro-kernel tiles), 6 rows at a time against the
//! whole block. Two costs follow, and they set the two sizes of the grid:
//!
//! * **Panel width** (columns per call). A's rows streaming through L2 evict a big packed block
//!   of B, which then comes back from L3. A panel whose packed block is at most 1/8 of L2
//!   (`min(k, 512) × panel` elements ≤ L2/8: 64 f32 or 32 f64 columns at k ≥ 512 on 1 MiB) stays
//!   resident. Measured at 4096×512×512 f32, one thread: 64-column panels 8.4 ms, one call over
//!   the whole product 8.75 ms, 128- to 512-column calls 8.9-9.1 ms. Panels are split only when
//!   A's rows are contiguous; otherwise the library would re-pack A for every panel (+10% at
//!   256-column panels), so a tile is one call.
//! * **Tile height** (rows per tile, i.e. per packing of B). Every call re-packs its panel of B,
//!   so the packing per flop falls as 1/rows: 1024 rows (256 rows cost ~2-3% more), halved only
//!   to give two threads at least `MIN_TILES` tiles.
//!
//! The epilogue runs on the whole tile (≥ 512 columns wide unless C is narrower), not per panel:
//! the JIT's elementwise kernels pay a fixed cost per row (address setup and the loop exit),
//! which on 64-wide rows cost another 1-3% of the product. Its cost is the kernel's arithmetic,
//! not memory: `relu(x + b)` runs at ~0.16 ns per element whether the tile is in L1/L2 or in L3
//! (0.33 ms over the 4096×512 output, ~4% of the product's 8.3 ms), so the tile height is chosen
//! for the product, not to keep the tile in L2.
//!
//! Strides go to the library unchanged: it reads A and B through arbitrary element strides,
//! including 0 (broadcast) and negative (reversed) ones, so nothing is ever copied.
//!
//! [`measured`] is a once-per-process micro-benchmark of this backend (GFLOP/s for f32/f64 at a
//! small and a medium size, per-call overhead, copy bandwidth) for the cost model that chooses
//! between this backend and the JIT's own matmul.

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::runtime::mat::{Epilogue, MatMut, MatRef};
use std::hint::black_box;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Products below this many flops run as one tile on the calling thread.
const ONE_TILE_FLOPS: usize = 1 << 21;
/// Products below this many flops never wake a second thread (its wake-up costs more).
const THREADING_FLOPS: usize = 1 << 22;
/// Tile height (rows of C) before halving for parallel slack. Every library call re-packs its
/// panel of B, once per tile, so the packing cost per flop falls as 1/rows: measured at
/// 4096×512×512 f32 with 64-column panels, 256-row tiles cost ~2-3% and 512-row tiles ~1% more
/// than 1024-row ones.
const TILE_ROWS: usize = 1024;
/// Smallest tile height the halving may reach.
const MIN_TILE_ROWS: usize = 64;
/// Tile width (columns of C) when C is wider than [`FULL_WIDTH_MAX`].
const TILE_COLS: usize = 512;
/// C up to this wide is tiled by rows only.
const FULL_WIDTH_MAX: usize = 1024;
/// The grid aims for at least this many tiles so that two threads (this project's machines have
/// two cores) both get work. It cannot follow the thread count: that would change the tiles and
/// so the bits of the result. Measured at n = 256: 2×128-row tiles cost ~3% against one call,
/// 4×64-row tiles ~9%.
const MIN_TILES: usize = 2;
/// The library's depth block (`kc`) on the machines it blocks for: K is cut into blocks of at
/// most this many, so a packed panel of B holds `min(k, KC) × panel` elements.
const KC: usize = 512;
/// The packed panel of B may take this fraction (1/n) of L2: the rest holds the rows of A, which
/// the library streams through L2 unpacked, and the panel of C.
const PANEL_L2_FRACTION: usize = 8;
/// Panel widths are multiples of this many bytes: the widest micro-kernel tile (AVX-512:
/// 16 f32 lanes × 4 registers = 64 f32 = 32 f64).
const PANEL_QUANTUM_BYTES: usize = 256;
/// L2 size assumed when the OS does not report it.
const DEFAULT_L2_BYTES: usize = 1 << 20;

/// How C is cut: tiles of `rows × cols` (the unit of work and of the epilogue), each computed by
/// library calls on column panels `panel` wide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Grid {
    rows: usize,
    cols: usize,
    panel: usize,
}

/// f32 and f64: what the library backend accepts.
trait LibFloat: Copy + Send + Sync + 'static {
    const ZERO: Self;
    const ONE: Self;
}
impl LibFloat for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
}
impl LibFloat for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
}

/// `C = A·B` in f32 with the `gemm` crate; see [`lib_gemm_f64`] for the full contract.
///
/// # Safety
/// As for [`lib_gemm_f64`].
///
/// # Example
/// ```
/// use lazynp::runtime::gemm_lib::lib_gemm_f32;
/// use lazynp::runtime::mat::{MatMut, MatRef};
/// let a = [1.0f32, 2.0, 3.0, 4.0]; // [[1, 2], [3, 4]]
/// let b = [5.0f32, 6.0]; // column vector
/// let mut c = [0.0f32; 2];
/// let a = MatRef { ptr: a.as_ptr(), rows: 2, cols: 2, rs: 2, cs: 1 };
/// let b = MatRef { ptr: b.as_ptr(), rows: 2, cols: 1, rs: 1, cs: 1 };
/// let out = MatMut { ptr: c.as_mut_ptr(), rows: 2, cols: 1, ld: 1 };
/// // SAFETY: the descriptors point into live arrays of the right size.
/// unsafe { lib_gemm_f32(a, b, out, 1, None)? };
/// assert_eq!(c, [17.0, 39.0]);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub unsafe fn lib_gemm_f32(
    a: MatRef<f32>,
    b: MatRef<f32>,
    c: MatMut<f32>,
    threads: usize,
    epilogue: Option<Epilogue>,
) -> Result<()> {
    // SAFETY: forwarded contract.
    unsafe { lib_gemm(a, b, c, threads, epilogue) }
}

/// `C = A·B` in f64 with the `gemm` crate: C is overwritten (its old contents are never read).
///
/// A and B may have any element strides, including 0 and negative; C is row-major with leading
/// dimension `c.ld`. `threads` (0 is taken as 1) bounds the parallelism; the result is
/// bit-identical for every thread count. The epilogue, if given, is called exactly once for each
/// tile of C (`r0..r1`, `c0..c1`) right after the tile is final, possibly from several threads at
/// once on disjoint tiles; together the tiles cover C exactly once.
///
/// # Errors
/// [`Error::Matmul`] if `a.cols != b.rows`; [`Error::Invalid`] if C is not `a.rows × b.cols` or
/// `c.ld < c.cols` with more than one row.
///
/// # Safety
/// Every element `(i, j)` of A and B, at `ptr + i*rs + j*cs`, must be readable, and C's elements
/// writable, for the whole call; C must not overlap A or B, and nothing else may access C during
/// the call. Empty matrices are never dereferenced.
///
/// # Example
/// ```
/// use lazynp::runtime::gemm_lib::lib_gemm_f64;
/// use lazynp::runtime::mat::{MatMut, MatRef};
/// let x = [1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0]; // 2×3, row-major
/// let mut c = [0.0f64; 4];
/// let a = MatRef { ptr: x.as_ptr(), rows: 2, cols: 3, rs: 3, cs: 1 };
/// let at = MatRef { ptr: x.as_ptr(), rows: 3, cols: 2, rs: 1, cs: 3 }; // transposed view
/// let out = MatMut { ptr: c.as_mut_ptr(), rows: 2, cols: 2, ld: 2 };
/// let relu = |_r0: usize, _r1: usize, _c0: usize, _c1: usize| {}; // runs on each finished tile
/// // SAFETY: the descriptors point into live arrays of the right size.
/// unsafe { lib_gemm_f64(a, at, out, 2, Some(&relu))? };
/// assert_eq!(c, [14.0, 32.0, 32.0, 77.0]); // x @ x.T
/// # Ok::<(), lazynp::Error>(())
/// ```
pub unsafe fn lib_gemm_f64(
    a: MatRef<f64>,
    b: MatRef<f64>,
    c: MatMut<f64>,
    threads: usize,
    epilogue: Option<Epilogue>,
) -> Result<()> {
    // SAFETY: forwarded contract.
    unsafe { lib_gemm(a, b, c, threads, epilogue) }
}

/// The grid for an `m×k · k×n` product of `elem`-byte elements on a machine with `l2` bytes of
/// L2 per core. `a_rows_contiguous`: A's elements along K are adjacent (`|a.cs| == 1`). A function
/// of the shape, the layout of A and the machine only, so the result cannot depend on the
/// thread count.
fn tile_grid(
    m: usize,
    n: usize,
    k: usize,
    elem: usize,
    l2: usize,
    a_rows_contiguous: bool,
) -> Grid {
    let flops = m.saturating_mul(n).saturating_mul(k).saturating_mul(2);
    if flops < ONE_TILE_FLOPS {
        let (rows, cols) = (m.max(1), n.max(1));
        return Grid {
            rows,
            cols,
            panel: cols,
        };
    }
    let cols = if n <= FULL_WIDTH_MAX { n } else { TILE_COLS }.max(1);
    let col_tiles = n.div_ceil(cols);
    let mut rows = TILE_ROWS;
    while rows > MIN_TILE_ROWS && m.div_ceil(rows) * col_tiles < MIN_TILES {
        rows /= 2;
    }
    let panel = if a_rows_contiguous {
        let quantum = (PANEL_QUANTUM_BYTES / elem).max(1);
        let fit = l2 / PANEL_L2_FRACTION / (k.clamp(1, KC) * elem);
        (fit / quantum * quantum).max(quantum)
    } else {
        // A is packed by the library in every call whose panel is wider than two micro-kernel
        // tiles: one call per tile keeps that packing once per tile.
        cols
    };
    Grid {
        rows: rows.min(m).max(1),
        cols,
        panel: panel.min(cols),
    }
}

/// This core's L2 size in bytes, from Linux's sysfs (read once), or [`DEFAULT_L2_BYTES`].
fn l2_bytes() -> usize {
    static L2: OnceLock<usize> = OnceLock::new();
    *L2.get_or_init(|| {
        (0..8)
            .find_map(|i| {
                let dir = format!("/sys/devices/system/cpu/cpu0/cache/index{i}");
                let read = |f: &str| std::fs::read_to_string(format!("{dir}/{f}")).ok();
                if read("level")?.trim() != "2" {
                    return None;
                }
                parse_cache_size(read("size")?.trim())
            })
            .unwrap_or(DEFAULT_L2_BYTES)
    })
}

/// `"1024K"`, `"1M"` or `"524288"` to bytes.
fn parse_cache_size(s: &str) -> Option<usize> {
    let (digits, unit) = match s.as_bytes().last()? {
        b'K' | b'k' => (&s[..s.len() - 1], 1 << 10),
        b'M' | b'm' => (&s[..s.len() - 1], 1 << 20),
        b'G' | b'g' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    digits
        .parse::<usize>()
        .ok()
        .map(|v| v * unit)
        .filter(|&v| v > 0)
}

/// Check shapes, then run the tiles.
unsafe fn lib_gemm<T: LibFloat>(
    a: MatRef<T>,
    b: MatRef<T>,
    c: MatMut<T>,
    threads: usize,
    epilogue: Option<Epilogue>,
) -> Result<()> {
    if a.cols != b.rows {
        return Err(Error::Matmul {
            k1: a.cols,
            k2: b.rows,
        });
    }
    if c.rows != a.rows || c.cols != b.cols {
        return Err(Error::Invalid {
            op: "matmul",
            msg: format!(
                "output is {}x{}, expected {}x{}",
                c.rows, c.cols, a.rows, b.cols
            ),
        });
    }
    if c.rows > 1 && c.ld < c.cols {
        return Err(Error::Invalid {
            op: "matmul",
            msg: format!("output leading dimension {} < {} columns", c.ld, c.cols),
        });
    }
    // One row: `ld` is never used to address; give the library a consistent row-major stride.
    let c = MatMut {
        ld: if c.rows == 1 { c.ld.max(c.cols) } else { c.ld },
        ..c
    };
    let (m, n, k) = (a.rows, b.cols, a.cols);
    if m == 0 || n == 0 {
        return Ok(());
    }
    let grid = tile_grid(
        m,
        n,
        k,
        std::mem::size_of::<T>(),
        l2_bytes(),
        a.cs.unsigned_abs() == 1,
    );
    let (tr, tc) = (grid.rows, grid.cols);
    let (row_tiles, col_tiles) = (m.div_ceil(tr), n.div_ceil(tc));
    let tiles = row_tiles * col_tiles;
    let flops = m.saturating_mul(n).saturating_mul(k).saturating_mul(2);
    let workers = if flops < THREADING_FLOPS {
        1
    } else {
        threads.clamp(1, tiles)
    };
    let next = AtomicUsize::new(0);
    let work = || {
        loop {
            let t = next.fetch_add(1, Ordering::Relaxed);
            if t >= tiles {
                break;
            }
            let (r0, c0) = ((t / col_tiles) * tr, (t % col_tiles) * tc);
            let (r1, c1) = ((r0 + tr).min(m), (c0 + tc).min(n));
            let mut p0 = c0;
            while p0 < c1 {
                let p1 = (p0 + grid.panel).min(c1);
                // SAFETY: the panel lies inside this tile, which lies inside C (checked shapes);
                // tiles are disjoint and each is claimed by exactly one worker; A and B are
                // readable by the caller's contract.
                unsafe { gemm_tile(a, b, c, r0, r1, p0, p1) };
                p0 = p1;
            }
            if let Some(epi) = epilogue {
                epi(r0, r1, c0, c1);
            }
        }
    };
    if workers == 1 {
        work();
    } else {
        let work = &work;
        rayon::in_place_scope(|s| {
            for _ in 1..workers {
                s.spawn(move |_| work());
            }
            work();
        });
    }
    Ok(())
}

/// `C[r0..r1, c0..c1] = A[r0..r1, :] · B[:, c0..c1]` with one single-threaded library call.
///
/// # Safety
/// The ranges are inside the (shape-checked) matrices; see [`lib_gemm_f64`].
unsafe fn gemm_tile<T: LibFloat>(
    a: MatRef<T>,
    b: MatRef<T>,
    c: MatMut<T>,
    r0: usize,
    r1: usize,
    c0: usize,
    c1: usize,
) {
    let k = a.cols;
    // SAFETY: r0 < rows and c0 < cols, so these are element addresses of C and of row r0 of A /
    // column c0 of B (or, for k == 0, offsets never dereferenced; wrapping_offset keeps them
    // well-defined even for dangling empty views).
    let cp = unsafe { c.ptr.add(r0 * c.ld + c0) };
    let ap = a.ptr.wrapping_offset(r0 as isize * a.rs);
    let bp = b.ptr.wrapping_offset(c0 as isize * b.cs);
    if k == 0 {
        for i in 0..r1 - r0 {
            // SAFETY: row i of the tile, c1 - c0 elements, inside C.
            unsafe { std::slice::from_raw_parts_mut(cp.add(i * c.ld), c1 - c0) }.fill(T::ZERO);
        }
        return;
    }
    // SAFETY: gemm reads A[i, p] at ap + i*rs + p*cs and B[p, j] at bp + p*rs + j*cs for the
    // tile's ranges, all readable by the caller's contract, and writes C at cp + i*ld + j. With
    // read_dst = false, C is not read and alpha is ignored: dst = 1 * (A·B).
    unsafe {
        gemm::gemm(
            r1 - r0,
            c1 - c0,
            k,
            cp,
            1,
            c.ld as isize,
            false,
            ap,
            a.cs,
            a.rs,
            bp,
            b.cs,
            b.rs,
            T::ZERO,
            T::ONE,
            false,
            false,
            false,
            gemm::Parallelism::None,
        )
    };
}

/// Measured speed of this machine for the cost model: `time ≈ flops / rate + overhead`.
///
/// Rates are one thread, through [`lib_gemm_f32`]/[`lib_gemm_f64`] (so they include tiling).
/// With `t` threads on large products the rate scales close to `t` (see the benchmark report).
///
/// ```
/// use lazynp::runtime::gemm_lib::{Throughput, measured};
/// let t: &Throughput = measured();
/// // Cost model: seconds for a 256³ f32 product on one thread, and copying 1 MB.
/// let gemm_s = 2.0 * 256f64.powi(3) / (t.f32_medium_gflops * 1e9) + t.call_overhead_s;
/// let copy_s = 1e6 / (t.copy_gbps * 1e9);
/// assert!(gemm_s > 0.0 && copy_s > 0.0);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Throughput {
    /// Side of the "small" square product measured.
    pub small_n: usize,
    /// Side of the "medium" square product measured.
    pub medium_n: usize,
    /// f32 GFLOP/s at `small_n`.
    pub f32_small_gflops: f64,
    /// f32 GFLOP/s at `medium_n`.
    pub f32_medium_gflops: f64,
    /// f64 GFLOP/s at `small_n`.
    pub f64_small_gflops: f64,
    /// f64 GFLOP/s at `medium_n`.
    pub f64_medium_gflops: f64,
    /// Fixed cost of one backend call (a 1×1×1 product), in seconds.
    pub call_overhead_s: f64,
    /// Memory copy bandwidth in GB/s (bytes copied per second, 8 MB block, one thread).
    pub copy_gbps: f64,
}

impl Throughput {
    /// Predicted seconds for an `m×k · k×n` product on one thread: flops over a rate
    /// interpolated (in log size) between the small and medium measurements, plus the overhead.
    ///
    /// ```
    /// use lazynp::DType;
    /// let t = lazynp::runtime::gemm_lib::measured();
    /// let small = t.gemm_seconds(DType::F32, 8, 8, 8);
    /// let big = t.gemm_seconds(DType::F32, 512, 512, 512);
    /// assert!(small > 0.0 && big > small);
    /// ```
    pub fn gemm_seconds(&self, dtype: DType, m: usize, n: usize, k: usize) -> f64 {
        let (lo, hi) = match dtype {
            DType::F64 => (self.f64_small_gflops, self.f64_medium_gflops),
            _ => (self.f32_small_gflops, self.f32_medium_gflops),
        };
        let flops = 2.0 * m as f64 * n as f64 * k as f64;
        let side = flops.max(1.0).cbrt() / 2f64.cbrt();
        let (s, md) = (self.small_n as f64, self.medium_n as f64);
        let w = ((side.ln() - s.ln()) / (md.ln() - s.ln())).clamp(0.0, 1.0);
        let rate = lo + w * (hi - lo);
        flops / (rate.max(1e-3) * 1e9) + self.call_overhead_s
    }
}

/// The once-per-process measurement (a few hundred microseconds on first call, then free).
///
/// ```
/// let t = lazynp::runtime::gemm_lib::measured();
/// assert!(t.f32_medium_gflops > 0.0 && t.copy_gbps > 0.0);
/// assert!(std::ptr::eq(t, lazynp::runtime::gemm_lib::measured())); // measured once
/// ```
pub fn measured() -> &'static Throughput {
    static CELL: OnceLock<Throughput> = OnceLock::new();
    CELL.get_or_init(measure_now)
}

fn measure_now() -> Throughput {
    let (small_n, medium_n) = (32, 128);
    Throughput {
        small_n,
        medium_n,
        f32_small_gflops: gemm_rate::<f32>(small_n, 16),
        f32_medium_gflops: gemm_rate::<f32>(medium_n, 3),
        f64_small_gflops: gemm_rate::<f64>(small_n, 16),
        f64_medium_gflops: gemm_rate::<f64>(medium_n, 3),
        call_overhead_s: best_seconds(16, || run_square::<f32>(1, &[1.0], &[1.0], &mut [0.0])),
        copy_gbps: copy_rate(8 << 20),
    }
}

/// Best wall time of `reps` runs (after one warm-up).
fn best_seconds(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
        .max(1e-9)
}

fn run_square<T: LibFloat>(n: usize, a: &[T], b: &[T], c: &mut [T]) {
    let sq = |p: *const T| MatRef {
        ptr: p,
        rows: n,
        cols: n,
        rs: n as isize,
        cs: 1,
    };
    let out = MatMut {
        ptr: c.as_mut_ptr(),
        rows: n,
        cols: n,
        ld: n,
    };
    // SAFETY: a, b, c hold n*n elements each (callers allocate them so); c is distinct.
    let r = unsafe { lib_gemm(sq(black_box(a.as_ptr())), sq(b.as_ptr()), out, 1, None) };
    // Shapes are square and consistent, so `r` is Ok; keep it and C observable.
    black_box(r.is_ok());
    black_box(c);
}

fn gemm_rate<T: LibFloat + From<f32>>(n: usize, reps: usize) -> f64 {
    let a: Vec<T> = (0..n * n).map(|i| T::from((i % 7) as f32 * 0.25)).collect();
    let b: Vec<T> = (0..n * n).map(|i| T::from((i % 5) as f32 * 0.5)).collect();
    let mut c = vec![T::ZERO; n * n];
    let s = best_seconds(reps, || run_square(n, &a, &b, &mut c));
    2.0 * (n * n * n) as f64 / s / 1e9
}

fn copy_rate(bytes: usize) -> f64 {
    let src = vec![1u8; bytes];
    let mut dst = vec![2u8; bytes];
    let s = best_seconds(2, || {
        dst.copy_from_slice(black_box(&src));
        black_box(&mut dst);
    });
    bytes as f64 / s / 1e9
}

/// Single-thread 128-bit FMA peak in GFLOP/s: 12 independent `_mm_fmadd_ps` accumulators
/// (enough to hide FMA latency on two pipes) when the CPU has FMA, else a scalar multiply-add
/// loop. Takes about a millisecond; the kernel reports compare against it.
///
/// ```
/// let peak = lazynp::runtime::gemm_lib::measure_fma_peak_f32();
/// assert!(peak > 0.0);
/// ```
pub fn measure_fma_peak_f32() -> f64 {
    const ITERS: usize = 100_000;
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("fma") {
        let s = best_seconds(5, || {
            // SAFETY: the CPU supports FMA (checked just above).
            black_box(unsafe { fma128_loop(black_box(ITERS)) });
        });
        return (ITERS * 12 * 4 * 2) as f64 / s / 1e9;
    }
    let s = best_seconds(5, || {
        black_box(scalar_loop(black_box(ITERS)));
    });
    (ITERS * 8 * 2) as f64 / s / 1e9
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
fn fma128_loop(iters: usize) -> f32 {
    use std::arch::x86_64::{__m128, _mm_add_ps, _mm_cvtss_f32, _mm_fmadd_ps, _mm_set1_ps};
    let x: __m128 = _mm_set1_ps(black_box(0.999_9));
    let y: __m128 = _mm_set1_ps(black_box(1e-4));
    let mut acc = [_mm_set1_ps(1.0); 12];
    for _ in 0..iters {
        // 12 independent chains: unrolled by the compiler into 12 vfmadd per iteration.
        for v in acc.iter_mut() {
            *v = _mm_fmadd_ps(*v, x, y);
        }
    }
    let s = acc.iter().fold(_mm_set1_ps(0.0), |s, &v| _mm_add_ps(s, v));
    _mm_cvtss_f32(s)
}

fn scalar_loop(iters: usize) -> f32 {
    let (x, y) = (black_box(0.999_9f32), black_box(1e-4f32));
    let mut acc = [1.0f32; 8];
    for _ in 0..iters {
        for v in acc.iter_mut() {
            *v = *v * x + y;
        }
    }
    acc.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_sizes_parse() {
        assert_eq!(parse_cache_size("1024K"), Some(1 << 20));
        assert_eq!(parse_cache_size("2M"), Some(2 << 20));
        assert_eq!(parse_cache_size("524288"), Some(524_288));
        assert_eq!(parse_cache_size(""), None);
        assert_eq!(parse_cache_size("0K"), None);
        assert_eq!(parse_cache_size("xK"), None);
    }

    #[test]
    fn grid_follows_the_cache_model() {
        let l2 = 1 << 20;
        // The packed panel of B is at most L2/8: 64 f32 / 32 f64 columns at k >= 512.
        let g = tile_grid(4096, 512, 512, 4, l2, true);
        assert_eq!(
            g,
            Grid {
                rows: 1024,
                cols: 512,
                panel: 64
            }
        );
        assert_eq!(tile_grid(4096, 512, 2048, 8, l2, true).panel, 32);
        // Shallow K: wider panels; never wider than the tile.
        assert_eq!(tile_grid(4096, 512, 128, 4, l2, true).panel, 256);
        assert_eq!(tile_grid(4096, 100, 8, 4, l2, true).panel, 100);
        // Strided rows of A: one call per tile.
        assert_eq!(tile_grid(4096, 512, 512, 4, l2, false).panel, 512);
        // At least two tiles once threading pays; wide C tiled by columns.
        let g = tile_grid(1024, 1024, 1024, 4, l2, true);
        assert_eq!((g.rows, g.cols), (512, 1024));
        assert_eq!(tile_grid(1024, 2048, 1024, 4, l2, true).cols, 512);
        // Small products: one tile, one call.
        assert_eq!(
            tile_grid(8, 8, 8, 4, l2, true),
            Grid {
                rows: 8,
                cols: 8,
                panel: 8
            }
        );
        // A tiny or unknown L2 still gives one micro-kernel tile.
        assert_eq!(tile_grid(4096, 512, 512, 4, 0, true).panel, 64);
    }
}
