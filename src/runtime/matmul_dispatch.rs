//! Matmul dispatch: one graph node, three backends, a documented cost model.
//!
//! | case | backend |
//! | --- | --- |
//! | integer and bool dtypes | a plain strided loop (exact, wrapping) |
//! | f32/f64, many small products (`m·k·n <= 4096`, batch > 1) | the JIT's unpacked batched kernel |
//! | f32/f64 otherwise, `Auto` | the cheaper of the JIT's tiled kernel and the library GEMM by the model |
//!
//! The model predicts seconds per product from rates measured once per process:
//! `library = flops / rate_lib(size) + overhead` (`gemm_lib::measured`, interpolated between a
//! small and a medium size), and `jit = flops / (0.65 · fma_peak_128)` — the best Cranelift
//! micro-kernel reaches ~85% of the 128-bit FMA peak and a whole product ~75% of that (CRANELIFT.md),
//! so 0.65 of the peak measured on this machine. The JIT's fixed overhead (packing setup) is about
//! the library's, so overheads cancel. f64 rates are half of f32's for the JIT (two lanes).
//!
//! **Fused prologues** ([`choose_fused`]): an elementwise producer of an operand (`(x * 2.0) @ w`)
//! costs `e = bytes read / (2 · copy rate) + flops / (jit rate / 2)` per element once. With the
//! library it runs once as its own kernel and the operand is written to memory and read back
//! (`+ size / copy rate` per element); with the JIT it runs inside packing, never stored, but
//! A's block is recomputed once per `NC`-column panel of B (`ceil(n / NC)` times) and B's once.

use super::Buffer;
use super::mat::{MatMut, MatRef};
use crate::dtype::DType;
use crate::error::Result;
use crate::interp::for_each_index;
use crate::kernel::Kernel;
use crate::shape::View;
use std::sync::{Arc, OnceLock};

/// Which matmul implementation evaluation uses for f32/f64 products.
///
/// ```
/// use lazynp::{EvalOptions, MatmulBackend};
/// let a = lazynp::eye(3, lazynp::DType::F32);
/// for b in [MatmulBackend::Auto, MatmulBackend::Jit, MatmulBackend::Library] {
///     let y = a.matmul(&a).eval_with(&EvalOptions::fused().matmul_backend(b))?;
///     assert_eq!(y.to_vec::<f32>()?, vec![1., 0., 0., 0., 1., 0., 0., 0., 1.]);
/// }
/// # Ok::<(), lazynp::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MatmulBackend {
    /// Choose per product by the cost model (the default).
    #[default]
    Auto,
    /// The JIT's own tiled (or batched small) Cranelift kernels.
    Jit,
    /// The library GEMM (the `gemm` crate).
    Library,
}

/// Products at most this large (`m·k·n`) are "small": unpacked batched JIT kernels.
pub const SMALL: usize = 4096;

/// The backend chosen for one product and the model's estimates (seconds per product).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Choice {
    /// The backend that runs.
    pub backend: MatmulBackend,
    /// True for the unpacked batched small-product kernel.
    pub batched_small: bool,
    /// Predicted seconds with the JIT kernel.
    pub jit_seconds: f64,
    /// Predicted seconds with the library.
    pub lib_seconds: f64,
}

impl Choice {
    /// True when the fused prologues of this product run inside the JIT's packing (the JIT's
    /// packed GEMM is chosen); otherwise each runs as a kernel of its own before the product.
    pub fn packs_prologues(&self) -> bool {
        self.backend == MatmulBackend::Jit && !self.batched_small
    }
}

/// What one full evaluation of a fused prologue costs, for the model ([`choose_fused`]).
///
/// ```
/// use lazynp::runtime::matmul_dispatch::PrologueWork;
/// let w = PrologueWork { elems: 100, bytes_read: 400, flops: 100 };
/// assert_eq!(w, PrologueWork { elems: 100, bytes_read: 400, flops: 100 });
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PrologueWork {
    /// Elements of the operand it computes.
    pub elems: usize,
    /// Bytes it reads from its inputs.
    pub bytes_read: usize,
    /// Arithmetic ops.
    pub flops: usize,
}

impl PrologueWork {
    /// The work of a prologue kernel over its whole operand.
    pub fn of(k: &Kernel) -> Self {
        let out: usize = k
            .args
            .iter()
            .filter(|a| a.output)
            .map(|a| a.dtype.size() * k.iterations())
            .sum();
        PrologueWork {
            elems: k.iterations(),
            bytes_read: k.bytes().saturating_sub(out),
            flops: k.flops(),
        }
    }
}

/// Columns of the JIT's packed B panel (`NC`): the panel takes 512 KiB of L2 at `KC` rows (the
/// same rule as `runtime::matmul`; only used for estimates here).
fn jit_panel_cols(dtype: DType) -> usize {
    (512 * 1024 / (super::matmul::KC * dtype.size())).max(1)
}

/// The rates the model uses: measured once per process, or fixed through the environment
/// variable `LAZYNP_MATMUL_MODEL="jit=<f32 GFLOP/s>,lib=<f32 GFLOP/s>,overhead_us=<µs>"` (for
/// reproducible plans in tests; f64 rates are taken as half).
pub fn model() -> &'static (f64, super::gemm_lib::Throughput) {
    static MODEL: OnceLock<(f64, super::gemm_lib::Throughput)> = OnceLock::new();
    MODEL.get_or_init(|| {
        if let Ok(spec) = std::env::var("LAZYNP_MATMUL_MODEL") {
            let get = |key: &str| {
                spec.split(',')
                    .filter_map(|kv| kv.split_once('='))
                    .find(|(k, _)| k.trim() == key)
                    .and_then(|(_, v)| v.trim().parse::<f64>().ok())
            };
            let lib = get("lib").unwrap_or(100.0);
            let fixed = super::gemm_lib::Throughput {
                small_n: 32,
                medium_n: 128,
                f32_small_gflops: lib,
                f32_medium_gflops: lib,
                f64_small_gflops: lib / 2.0,
                f64_medium_gflops: lib / 2.0,
                call_overhead_s: get("overhead_us").unwrap_or(1.0) * 1e-6,
                copy_gbps: 20.0,
            };
            return (get("jit").unwrap_or(30.0), fixed);
        }
        (
            0.65 * super::gemm_lib::measure_fma_peak_f32(),
            super::gemm_lib::measured().clone(),
        )
    })
}

fn jit_gflops(dtype: DType) -> f64 {
    let f32_rate = model().0;
    if dtype == DType::F64 {
        f32_rate / 2.0
    } else {
        f32_rate
    }
}

/// The cost model's choice for `batch` products of `m×k · k×n` (see the module docs).
pub fn choose(
    requested: MatmulBackend,
    dtype: DType,
    batch: usize,
    m: usize,
    k: usize,
    n: usize,
) -> Choice {
    choose_fused(requested, dtype, batch, m, k, n, [None, None])
}

/// [`choose`] for a product whose operand A (`prologues[0]`) or B (`prologues[1]`) is computed
/// by a fused elementwise prologue (see the module docs): the estimates include running it.
///
/// ```
/// use lazynp::DType;
/// use lazynp::runtime::matmul_dispatch::{MatmulBackend, PrologueWork, choose, choose_fused};
/// let a = PrologueWork { elems: 512 * 512, bytes_read: 4 * 512 * 512, flops: 512 * 512 };
/// let plain = choose(MatmulBackend::Auto, DType::F32, 1, 512, 512, 512);
/// let fused = choose_fused(MatmulBackend::Jit, DType::F32, 1, 512, 512, 512, [Some(a), None]);
/// assert!(fused.jit_seconds > plain.jit_seconds && fused.lib_seconds > plain.lib_seconds);
/// assert!(fused.packs_prologues());
/// ```
pub fn choose_fused(
    requested: MatmulBackend,
    dtype: DType,
    batch: usize,
    m: usize,
    k: usize,
    n: usize,
    prologues: [Option<PrologueWork>; 2],
) -> Choice {
    let flops = 2.0 * m as f64 * k as f64 * n as f64;
    let mut lib_seconds = model().1.gemm_seconds(dtype, m, n, k);
    let mut jit_seconds = flops / (jit_gflops(dtype) * 1e9);
    let copy = model().1.copy_gbps * 1e9;
    let a_times = n.div_ceil(jit_panel_cols(dtype)).max(1) as f64;
    for (w, times) in prologues.iter().zip([a_times, 1.0]) {
        let Some(w) = w else { continue };
        let once =
            w.bytes_read as f64 / (2.0 * copy) + w.flops as f64 / (jit_gflops(dtype) * 0.5e9);
        let stored = (w.elems * dtype.size()) as f64 / copy;
        lib_seconds += once + stored;
        jit_seconds += once * times;
    }
    // The unpacked kernel works in register tiles of C (codegen::matmul), so any m×n fits.
    let small = batch > 1 && m * k * n <= SMALL;
    let backend = match requested {
        MatmulBackend::Auto if small => MatmulBackend::Jit,
        MatmulBackend::Auto if jit_seconds < lib_seconds => MatmulBackend::Jit,
        MatmulBackend::Auto => MatmulBackend::Library,
        other => other,
    };
    Choice {
        backend,
        batched_small: small && backend == MatmulBackend::Jit,
        jit_seconds,
        lib_seconds,
    }
}

/// Computes a batched product `(…, m, k) @ (…, k, n)` into a new C-ordered buffer.
pub fn matmul(
    dtype: DType,
    shape: &[usize],
    a: &(Arc<Buffer>, View),
    b: &(Arc<Buffer>, View),
    threads: usize,
    requested: MatmulBackend,
) -> Result<Buffer> {
    if !dtype.is_float() {
        return Ok(super::ops::matmul_generic(dtype, shape, a, b));
    }
    let mut out = Buffer::for_output(dtype, shape.iter().product());
    matmul_into(
        dtype,
        shape,
        a,
        b,
        threads,
        requested,
        &mut out,
        None,
        [None, None],
    )?;
    Ok(out)
}

/// [`matmul`] into `out` (f32/f64), running `epilogue` on each finished block of a 2-D product.
///
/// `prologues[0]`/`[1]` compute operand A/B block by block inside the JIT's packing (the
/// operand's buffer is then never read, only its view's shape): they may only be given for a 2-D
/// product whose chosen backend packs prologues ([`Choice::packs_prologues`]; the caller resolves
/// `requested` with [`choose_fused`] and passes the backend it picked), else this is an error.
#[allow(clippy::too_many_arguments)]
pub fn matmul_into(
    dtype: DType,
    shape: &[usize],
    a: &(Arc<Buffer>, View),
    b: &(Arc<Buffer>, View),
    threads: usize,
    requested: MatmulBackend,
    out: &mut Buffer,
    epilogue: Option<super::mat::Epilogue>,
    prologues: [Option<super::mat::Prologue>; 2],
) -> Result<()> {
    let nd = shape.len();
    let (m, n) = (shape[nd - 2], shape[nd - 1]);
    let k = a.1.shape[nd - 1];
    let batch_dims = &shape[..nd - 2];
    let batch: usize = batch_dims.iter().product();
    if out.is_empty() {
        return Ok(());
    }
    let fused = prologues.iter().any(Option::is_some);
    if requested == MatmulBackend::Auto && batch == 1 && !fused && (m == 1 || n == 1) {
        // A matrix-vector product: no packing, no library setup (see `runtime::gemv`).
        gemv_into(dtype, a, b, (m, k, n), out);
        if let Some(e) = epilogue {
            e(0, m, 0, n);
        }
        return Ok(());
    }
    let choice = choose(requested, dtype, batch, m, k, n);
    if fused && (nd != 2 || !choice.packs_prologues()) {
        return Err(crate::error::Error::Invalid {
            op: "matmul",
            msg: format!("fused prologues need the JIT's 2-D packed GEMM, not {choice:?}"),
        });
    }
    // Addresses as integers so the per-item closures can run on worker threads.
    let (pa, pb, pc) = (
        a.0.as_ptr() as usize,
        b.0.as_ptr() as usize,
        out.as_mut_ptr() as usize,
    );
    // Many small products at one stride per operand go to one batched call per chunk of items
    // (items at other offsets, e.g. a broadcast along one of several batch dims, are listed).
    let uniform = match (
        uniform_stride(batch_dims, &a.1.strides[..nd - 2]),
        uniform_stride(batch_dims, &b.1.strides[..nd - 2]),
    ) {
        (Some(sa), Some(sb)) if choice.batched_small => Some((a.1.offset, b.1.offset, sa, sb)),
        _ => None,
    };
    let mut offsets: Vec<(isize, isize, isize)> =
        Vec::with_capacity(if uniform.is_some() { 0 } else { batch });
    let mut idx_c = 0isize;
    let mut push = |bi: &[usize]| {
        let off = |v: &View| {
            v.offset
                + bi.iter()
                    .zip(&v.strides)
                    .map(|(&i, &s)| i as isize * s)
                    .sum::<isize>()
        };
        offsets.push((off(&a.1), off(&b.1), idx_c));
        idx_c += (m * n) as isize;
    };
    if uniform.is_some() {
        // One stride per operand: no list needed.
    } else if batch_dims.is_empty() {
        push(&[]);
    } else {
        for_each_index(batch_dims, &mut push);
    }
    let (ars, acs) = (a.1.strides[nd - 2], a.1.strides[nd - 1]);
    let (brs, bcs) = (b.1.strides[nd - 2], b.1.strides[nd - 1]);
    macro_rules! run {
        ($t:ty, $jit:path, $lib:path, $small:path) => {{
            let mat = |p: usize, off: isize, rows, cols, rs, cs| MatRef::<$t> {
                // SAFETY: `off` is an element index inside the buffer (from its view).
                ptr: unsafe { (p as *const $t).offset(off) },
                rows,
                cols,
                rs,
                cs,
            };
            let cmat = |off: isize| MatMut::<$t> {
                // SAFETY: `off` indexes the start of one m×n block of `out`.
                ptr: unsafe { (pc as *mut $t).offset(off) },
                rows: m,
                cols: n,
                ld: n,
            };
            if let Some((oa, ob, sa, sb)) = uniform {
                // Items are independent: chunks of them run on the worker threads (each item
                // is computed by the same kernel whatever the chunking, so bits never change).
                let chunk = batch.div_ceil(4 * threads).max(1);
                let run_chunk = |c: usize| -> Result<()> {
                    let (first, count) = (c * chunk, chunk.min(batch - c * chunk));
                    let bt = super::matmul::Batch {
                        count,
                        a: sa,
                        b: sb,
                        c: (m * n) as isize,
                    };
                    let f = first as isize;
                    // SAFETY: every item's A, B (at uniform batch strides, checked) and C block
                    // lie inside their buffers; C does not alias A or B (fresh buffer); chunks
                    // write disjoint items.
                    unsafe {
                        $small(
                            mat(pa, oa + f * sa, m, k, ars, acs),
                            mat(pb, ob + f * sb, k, n, brs, bcs),
                            cmat(f * (m * n) as isize),
                            bt,
                        )
                    }
                };
                let chunks = batch.div_ceil(chunk);
                if threads > 1 && chunks > 1 {
                    use rayon::prelude::*;
                    super::exec::pool(threads)
                        .install(|| (0..chunks).into_par_iter().try_for_each(run_chunk))?;
                } else {
                    (0..chunks).try_for_each(run_chunk)?;
                }
            } else {
                let item = |&(oa, ob, oc): &(isize, isize, isize), th: usize| -> Result<()> {
                    let (am, bm, cm) = (
                        mat(pa, oa, m, k, ars, acs),
                        mat(pb, ob, k, n, brs, bcs),
                        cmat(oc),
                    );
                    // SAFETY: as above; each call writes its own C block.
                    unsafe {
                        match choice.backend {
                            MatmulBackend::Library => $lib(am, bm, cm, th, epilogue),
                            _ => $jit(am, bm, cm, th, epilogue, prologues),
                        }
                    }
                };
                if offsets.len() > 1 && threads > 1 {
                    use rayon::prelude::*;
                    super::exec::pool(threads)
                        .install(|| offsets.par_iter().try_for_each(|o| item(o, 1)))?;
                } else {
                    for o in &offsets {
                        item(o, threads)?;
                    }
                }
            }
        }};
    }
    match dtype {
        DType::F32 => run!(
            f32,
            super::matmul::gemm_fused::<f32>,
            super::gemm_lib::lib_gemm_f32,
            super::matmul::batched_small_f32
        ),
        _ => run!(
            f64,
            super::matmul::gemm_fused::<f64>,
            super::gemm_lib::lib_gemm_f64,
            super::matmul::batched_small_f64
        ),
    }
    Ok(())
}

/// A single product (batch of one) with one row (`m == 1`) or one column (`n == 1`) as matrix-vector products
/// (`runtime::gemv`): `C = A·b` for a column, `C^T = B^T·a^T` for a row.
fn gemv_into(
    dtype: DType,
    a: &(Arc<Buffer>, View),
    b: &(Arc<Buffer>, View),
    (m, k, n): (usize, usize, usize),
    out: &mut Buffer,
) {
    let (va, vb) = (&a.1, &b.1);
    // The last two dims (batch dims, all of extent 1 here, add nothing to the offsets).
    let nd = va.strides.len();
    let (ars, acs) = (va.strides[nd - 2], va.strides[nd - 1]);
    let (brs, bcs) = (vb.strides[nd - 2], vb.strides[nd - 1]);
    macro_rules! run {
        ($t:ty) => {{
            // SAFETY: the views were checked against their buffers when the product was built
            // (offsets and strides of a (m, k) and a (k, n) view), so every element read is
            // inside `a` or `b`; `out` is a fresh C-ordered (m, n) buffer apart from both.
            unsafe {
                let pa = (a.0.as_ptr() as *const $t).offset(va.offset);
                let pb = (b.0.as_ptr() as *const $t).offset(vb.offset);
                let pc = out.as_mut_ptr() as *mut $t;
                if n == 1 {
                    super::gemv::gemv(pa, (m, k, ars, acs), pb, brs, pc, 1);
                } else {
                    super::gemv::gemv(pb, (n, k, bcs, brs), pa, acs, pc, 1);
                }
            }
        }};
    }
    match dtype {
        DType::F32 => run!(f32),
        _ => run!(f64),
    }
}

/// The one element stride between consecutive items of a batch with dims `shape` and per-dim
/// `strides` (batch items in C order), if there is one: dims of extent 1 do not count; all
/// strides 0 (one broadcast operand) is stride 0.
fn uniform_stride(shape: &[usize], strides: &[isize]) -> Option<isize> {
    let mut step: Option<isize> = None;
    let mut next = 0isize;
    for (&d, &s) in shape.iter().zip(strides).rev() {
        if d == 1 {
            continue;
        }
        match step {
            None => {
                step = Some(s);
                next = s * d as isize;
            }
            Some(_) if s == next => next = s * d as isize,
            Some(_) => return None,
        }
    }
    Some(step.unwrap_or(0))
}

#[cfg(test)]
mod uniform_tests {
    use super::uniform_stride;

    #[test]
    fn batch_strides_collapse_only_when_uniform() {
        assert_eq!(uniform_stride(&[], &[]), Some(0));
        assert_eq!(uniform_stride(&[10000], &[64]), Some(64));
        assert_eq!(uniform_stride(&[2, 3], &[192, 64]), Some(64));
        assert_eq!(uniform_stride(&[2, 1, 3], &[192, 7, 64]), Some(64));
        assert_eq!(uniform_stride(&[2, 3], &[0, 0]), Some(0));
        assert_eq!(uniform_stride(&[2, 3], &[0, 64]), None);
        assert_eq!(uniform_stride(&[2, 3], &[64, 0]), None);
        assert_eq!(uniform_stride(&[2, 3], &[-192, -64]), Some(-64));
    }
}
