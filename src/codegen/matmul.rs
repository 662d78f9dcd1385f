//! Matmul kernels emitted as CLIF: the packed GEMM micro-kernel and the unpacked batched-small kernel.
//!
//! Both are compiled once per key into a process-wide JIT module and live for the process.
//!
//! **Micro-kernel** ([`micro_kernel`]): an `MR x NR` tile of `C` from packed panels, following the
//! fastest shape measured on this machine (see `CRANELIFT.md`, "Matmul micro-kernel ceiling"):
//! 12 rows x one 128-bit vector of columns (12x4 for f32, 12x2 for f64), `A` pre-broadcast (each
//! element stored as a 16-byte splat, so every `A` load folds into a `vmulps [mem]`), `fmul` +
//! `fadd` (3-operand VEX keeps the 12 accumulators in place; Cranelift only emits the 213/132 FMA
//! forms, which cost a register copy each), `k` not unrolled, a top-tested loop (so the last `k`
//! step folds its loads too), and panel loads marked `readonly + notrap + can_move + aligned`.
//!
//! Packed layouts (bytes, `L = 16 / size_of::<T>()` lanes):
//! - `A` micro-panel: for each `k`, `MR` vectors `[a(i,k); L]` (stride `MR * 16` per `k`).
//! - `B` micro-panel: for each `k`, `NV` vectors holding `b(k, 0..NV*L)` (stride `NV * 16` per `k`).
//!
//! Accumulation order, which makes results independent of threading: for each `k` of the panel in
//! increasing order `acc = acc + a*b` starting from `+0.0`; then `C = acc` (first panel) or
//! `C = C + acc` (later panels).
//!
//! **Batched small kernel** ([`batched_kernel`]): `C_t = A_t B_t` for `t in 0..batch`, with the exact
//! `(m, k, n)` and element strides baked into the code as immediates, fully unrolled, no packing.
//! C is computed in register tiles of up to 4 column chunks (a vector when B's columns are
//! contiguous, else one scalar column) by `rows` rows, with `rows` as large as lets the tile's
//! accumulators, its held B vectors, one broadcast and one copy fit in the 16 xmm registers
//! (8x8 f32: 2 tiles of 4 rows x 2 vectors; 16x16 f32: 8 tiles of 2 rows x 4 vectors). For each `k`
//! the tile loads its row of B once into registers, then broadcasts each `a(i, k)` once and uses it
//! for all of the tile's columns; accumulators start from the first product and use `fma` when the
//! host has FMA (else `fmul` + `fadd`). No spills. The kernel is compiled with `opt_level=none`
//! in a module of its own, so the emitted order is the schedule (the e-graph would otherwise
//! re-order loads and merge or move them).
//!
//! Measured choices (10000 items, f32, 1 thread, same process): one row at a time with B reloaded
//! for every row (the previous kernel) 362 µs for 8x8x8; B loaded per product and folded into
//! `vmulps [mem]` (4-row tiles) 246 µs; B held per `k` with `fmul`+`fadd` 198 µs, with `fma` 169 µs;
//! a separate folded `vbroadcastss [mem]` per product (no register copies) 198 µs — it doubles the
//! vector loads, and this core takes ~2 per cycle. A broadcast used by several products is not
//! folded into `vbroadcastss m32` (Cranelift counts the load's uses transitively through the
//! `splat`), so it costs `vmovss` + `vbroadcastss xmm` (an FP-pipe shuffle), and each `fma`
//! but the last one using it needs a `movdqa` copy (only the 213/132 forms exist). 8x8x8 then runs
//! at ~78 cycles per item against the 64 of its 128 FMAs; 16x16x16 at ~75% of the FMA peak.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use cranelift_codegen::Context;
use cranelift_codegen::ir::{self, AbiParam, InstBuilder, MemFlagsData, Type, Value, types};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Module, default_libcall_names};

use crate::dtype::DType;
use crate::error::{Error, Result};

/// Rows of the micro-kernel tile.
pub const MR: usize = 12;

/// Signature of a compiled micro-kernel:
/// `(a_panel, b_panel, c, ldc_bytes, kc, accumulate)`.
///
/// Computes the `MR x NR` tile `c[i*ldc_bytes + j*size]` from `kc >= 1` packed steps; overwrites
/// `c` when `accumulate == 0`, else adds to it.
pub type MicroKernelFn = unsafe extern "C" fn(*const u8, *const u8, *mut u8, isize, usize, u32);

/// Signature of a compiled batched-small kernel: `(a, b, c, batch, a_bs, b_bs, c_bs)`, batch
/// strides in bytes.
pub type BatchedFn =
    unsafe extern "C" fn(*const u8, *const u8, *mut u8, usize, isize, isize, isize);

/// A compiled micro-kernel and its tile shape.
///
/// ```
/// use lazynp::codegen::matmul::{micro_kernel, MR};
/// use lazynp::DType;
/// let k = micro_kernel(DType::F32)?;
/// assert_eq!((k.mr, k.nr), (MR, 4));
/// # Ok::<(), lazynp::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct MicroKernel {
    /// The entry point.
    pub func: MicroKernelFn,
    /// Tile rows.
    pub mr: usize,
    /// Tile columns (one 128-bit vector).
    pub nr: usize,
}

/// The exact shape and element strides a batched-small kernel is specialised for.
///
/// ```
/// use lazynp::codegen::matmul::BatchedSpec;
/// use lazynp::DType;
/// let s = BatchedSpec { dtype: DType::F32, m: 8, k: 8, n: 8, a_rs: 8, a_cs: 1, b_rs: 8, b_cs: 1, ldc: 8 };
/// assert_eq!(s.m * s.k * s.n, 512);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BatchedSpec {
    /// `F32` or `F64`.
    pub dtype: DType,
    /// Rows of A and C.
    pub m: usize,
    /// Columns of A, rows of B.
    pub k: usize,
    /// Columns of B and C.
    pub n: usize,
    /// Row stride of A in elements.
    pub a_rs: isize,
    /// Column stride of A in elements.
    pub a_cs: isize,
    /// Row stride of B in elements.
    pub b_rs: isize,
    /// Column stride of B in elements.
    pub b_cs: isize,
    /// Row stride of C in elements (C columns are contiguous).
    pub ldc: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key {
    Micro(DType),
    Batched(BatchedSpec),
}

struct Jit {
    module: JITModule,
    ctx: Context,
    fctx: FunctionBuilderContext,
    cache: HashMap<Key, usize>,
}

fn compile_err(e: impl std::fmt::Display) -> Error {
    Error::Compile(e.to_string())
}

/// The JIT module for `key`: the micro-kernel is compiled with `opt_level=speed`, batched kernels with
/// `none` (their instruction order is the schedule; see [`batched_kernel`]).
fn jit(key: &Key) -> Result<&'static Mutex<Jit>> {
    static SPEED: OnceLock<std::result::Result<Mutex<Jit>, Error>> = OnceLock::new();
    static NONE: OnceLock<std::result::Result<Mutex<Jit>, Error>> = OnceLock::new();
    let (cell, opt) = match key {
        Key::Micro(_) => (&SPEED, "speed"),
        Key::Batched(..) => (&NONE, "none"),
    };
    cell.get_or_init(|| {
        let mut flags = settings::builder();
        flags.set("opt_level", opt).map_err(compile_err)?;
        let verify = if cfg!(debug_assertions) {
            "true"
        } else {
            "false"
        };
        flags.set("enable_verifier", verify).map_err(compile_err)?;
        let isa = cranelift_native::builder()
            .map_err(compile_err)?
            .finish(settings::Flags::new(flags))
            .map_err(compile_err)?;
        let module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
        let ctx = module.make_context();
        Ok(Mutex::new(Jit {
            module,
            ctx,
            fctx: FunctionBuilderContext::new(),
            cache: HashMap::new(),
        }))
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// Returns the cached code address for `key`, compiling it with `emit` on first use.
fn get_or_compile(
    key: Key,
    n_params: usize,
    emit: impl FnOnce(&mut FunctionBuilder, Type, &[Value]) -> Result<()>,
) -> Result<usize> {
    let mut guard = jit(&key)?
        .lock()
        .map_err(|_| Error::Compile("JIT cache poisoned".into()))?;
    let jit = &mut *guard;
    if let Some(&addr) = jit.cache.get(&key) {
        return Ok(addr);
    }
    let target = jit.module.target_config();
    let ptr_ty = target.pointer_type();
    jit.module.clear_context(&mut jit.ctx);
    for i in 0..n_params {
        // The micro-kernel's last parameter is the u32 `accumulate` flag.
        let ty = if matches!(key, Key::Micro(_)) && i == n_params - 1 {
            types::I32
        } else {
            ptr_ty
        };
        jit.ctx.func.signature.params.push(AbiParam::new(ty));
    }
    {
        let mut b = FunctionBuilder::new(&mut jit.ctx.func, &mut jit.fctx);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let params = b.block_params(entry).to_vec();
        emit(&mut b, ptr_ty, &params)?;
        b.seal_all_blocks();
        b.finalize(target);
    }
    let id = jit
        .module
        .declare_anonymous_function(&jit.ctx.func.signature)
        .map_err(compile_err)?;
    // LAZYNP_DEBUG >= 7 prints each kernel's machine code (the project's DEBUG ladder).
    let disasm = std::env::var("LAZYNP_DEBUG")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .is_some_and(|l| l >= 7);
    jit.ctx.set_disasm(disasm);
    jit.module
        .define_function(id, &mut jit.ctx)
        .map_err(compile_err)?;
    if let Some(code) = jit
        .ctx
        .compiled_code()
        .and_then(|c| c.vcode.as_ref())
        .filter(|_| disasm)
    {
        eprintln!("matmul kernel {key:?}:\n{code}");
    }
    jit.module.clear_context(&mut jit.ctx);
    jit.module.finalize_definitions().map_err(compile_err)?;
    let addr = jit.module.get_finalized_function(id) as usize;
    jit.cache.insert(key, addr);
    Ok(addr)
}

fn vector_type(dtype: DType) -> Result<(Type, Type)> {
    match dtype {
        DType::F32 => Ok((types::F32X4, types::F32)),
        DType::F64 => Ok((types::F64X2, types::F64)),
        other => Err(Error::UnsupportedDType {
            op: "matmul",
            dtype: other,
        }),
    }
}

/// Flags for loads from packed panels: in bounds, 16-byte aligned, never written by the kernel.
fn panel_flags() -> MemFlagsData {
    MemFlagsData::new()
        .with_notrap()
        .with_aligned()
        .with_readonly()
        .with_can_move()
}

/// The packed micro-kernel for `dtype` (`F32` or `F64`), compiled on first use.
///
/// ```
/// use lazynp::codegen::matmul::micro_kernel;
/// use lazynp::DType;
/// let k = micro_kernel(DType::F64)?;
/// assert_eq!(k.nr, 2);
/// assert!(micro_kernel(DType::I32).is_err());
/// # Ok::<(), lazynp::Error>(())
/// ```
pub fn micro_kernel(dtype: DType) -> Result<MicroKernel> {
    let (vty, _) = vector_type(dtype)?;
    let addr = get_or_compile(Key::Micro(dtype), 6, |b, ptr, p| {
        emit_micro_kernel(b, ptr, vty, p);
        Ok(())
    })?;
    // SAFETY: `addr` is a finalized function of the signature `MicroKernelFn` (6 params built in
    // `get_or_compile`), owned by a module that is never freed.
    let func = unsafe { std::mem::transmute::<usize, MicroKernelFn>(addr) };
    Ok(MicroKernel {
        func,
        mr: MR,
        nr: 16 / dtype.size(),
    })
}

fn emit_micro_kernel(b: &mut FunctionBuilder, ptr: Type, vty: Type, p: &[Value]) {
    let (a0, b0, c, ldc, kc, accumulate) = (p[0], p[1], p[2], p[3], p[4], p[5]);
    let zero_const = b.func.dfg.constants.insert(vec![0u8; 16].into());
    let zero = b.ins().vconst(vty, zero_const);
    let hdr = b.create_block();
    let body = b.create_block();
    let exit = b.create_block();
    for _ in 0..3 {
        b.append_block_param(hdr, ptr);
    }
    for _ in 0..MR {
        b.append_block_param(hdr, vty);
    }
    let mut args: Vec<ir::BlockArg> = vec![a0.into(), b0.into(), kc.into()];
    args.extend((0..MR).map(|_| ir::BlockArg::Value(zero)));
    b.ins().jump(hdr, &args);

    // hdr(ap, bp, cnt, acc..): brif cnt, body, exit
    b.switch_to_block(hdr);
    let hp = b.block_params(hdr).to_vec();
    b.ins().brif(hp[2], body, &[], exit, &[]);

    // body: acc_i += a_i * b ; advance pointers
    b.switch_to_block(body);
    let (ap, bp, cnt) = (hp[0], hp[1], hp[2]);
    let bv = b.ins().load(vty, panel_flags(), bp, 0);
    let mut next: Vec<ir::BlockArg> = Vec::with_capacity(3 + MR);
    let ap2 = b.ins().iadd_imm_s(ap, (MR * 16) as i64);
    let bp2 = b.ins().iadd_imm_s(bp, 16);
    let cnt2 = b.ins().iadd_imm_s(cnt, -1);
    next.extend([
        ir::BlockArg::Value(ap2),
        ir::BlockArg::Value(bp2),
        ir::BlockArg::Value(cnt2),
    ]);
    for i in 0..MR {
        let av = b.ins().load(vty, panel_flags(), ap, (16 * i) as i32);
        let prod = b.ins().fmul(av, bv);
        next.push(b.ins().fadd(hp[3 + i], prod).into());
    }
    b.ins().jump(hdr, &next);

    // exit: store (or add into) the C tile, row by row.
    b.switch_to_block(exit);
    let add_blk = b.create_block();
    let store_blk = b.create_block();
    b.ins().brif(accumulate, add_blk, &[], store_blk, &[]);
    let c_flags = MemFlagsData::new().with_notrap();
    for (blk, add) in [(add_blk, true), (store_blk, false)] {
        b.switch_to_block(blk);
        let mut row = c;
        for i in 0..MR {
            let mut v = hp[3 + i];
            if add {
                let old = b.ins().load(vty, c_flags, row, 0);
                v = b.ins().fadd(old, v);
            }
            b.ins().store(c_flags, v, row, 0);
            if i + 1 < MR {
                row = b.ins().iadd(row, ldc);
            }
        }
        b.ins().return_(&[]);
    }
}

/// Largest `m * k * n` the batched kernel unrolls; beyond it callers should use the packed GEMM.
pub const BATCHED_MAX_MKN: usize = 32 * 32 * 32;

/// The batched-small kernel for `spec`, compiled on first use.
///
/// Fails with [`Error::Invalid`] when `m * k * n` exceeds [`BATCHED_MAX_MKN`] or an element
/// offset does not fit the 32-bit immediate, and for non-float dtypes.
///
/// ```
/// use lazynp::codegen::matmul::{batched_kernel, BatchedSpec};
/// use lazynp::DType;
/// let s = BatchedSpec { dtype: DType::F64, m: 2, k: 3, n: 2, a_rs: 3, a_cs: 1, b_rs: 2, b_cs: 1, ldc: 2 };
/// let f = batched_kernel(&s)?;
/// let (a, b, mut c) = ([1.0f64, 2., 3., 4., 5., 6.], [1.0f64, 0., 0., 1., 1., 1.], [0.0f64; 4]);
/// // SAFETY: the pointers cover one 2x3, 3x2 and 2x2 matrix with the strides in `s`.
/// unsafe { f(a.as_ptr().cast(), b.as_ptr().cast(), c.as_mut_ptr().cast(), 1, 0, 0, 0) };
/// assert_eq!(c, [4.0, 5.0, 10.0, 11.0]);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub fn batched_kernel(spec: &BatchedSpec) -> Result<BatchedFn> {
    let (vty, sty) = vector_type(spec.dtype)?;
    if spec.m * spec.k * spec.n > BATCHED_MAX_MKN || spec.m * spec.k * spec.n == 0 {
        return Err(Error::Invalid {
            op: "matmul",
            msg: format!(
                "batched kernel shape {}x{}x{} out of range",
                spec.m, spec.k, spec.n
            ),
        });
    }
    let es = spec.dtype.size() as i64;
    let fits = |rows: usize, cols: usize, rs: isize, cs: isize| {
        let r = (rows.saturating_sub(1) as i64)
            .saturating_mul(rs as i64)
            .saturating_mul(es);
        let c = (cols.saturating_sub(1) as i64)
            .saturating_mul(cs as i64)
            .saturating_mul(es);
        r.abs().saturating_add(c.abs()) < i32::MAX as i64 / 2
    };
    if !fits(spec.m, spec.k, spec.a_rs, spec.a_cs)
        || !fits(spec.k, spec.n, spec.b_rs, spec.b_cs)
        || !fits(spec.m, spec.n, spec.ldc as isize, 1)
    {
        return Err(Error::Invalid {
            op: "matmul",
            msg: "batched kernel strides too large".into(),
        });
    }
    let s = *spec;
    let addr = get_or_compile(Key::Batched(s), 7, |b, ptr, p| {
        emit_batched(b, ptr, vty, sty, &s, p);
        Ok(())
    })?;
    // SAFETY: `addr` is a finalized function with the 7 pointer-sized params of `BatchedFn`,
    // owned by a module that is never freed.
    Ok(unsafe { std::mem::transmute::<usize, BatchedFn>(addr) })
}

/// Rows of C per register group of the batched kernel for `m` rows and `nv` column chunks: the
/// group's `rows * nv` accumulators, the `nv` held B vectors, a broadcast and a copy of it fit in
/// the 16 xmm registers; the rows are spread evenly over the groups.
fn batched_group_rows(m: usize, nv: usize) -> usize {
    let max_rows = (14 / nv).saturating_sub(1).max(1);
    m.div_ceil(m.div_ceil(max_rows))
}

/// True when the host has FMA (Cranelift then emits `vfmadd`; without it `fma` is a libcall).
fn has_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

fn emit_batched(
    b: &mut FunctionBuilder,
    ptr: Type,
    vty: Type,
    sty: Type,
    s: &BatchedSpec,
    p: &[Value],
) {
    let use_fma = has_fma();
    let (a0, b0, c0, batch, a_bs, b_bs, c_bs) = (p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
    let lanes = 16 / s.dtype.size();
    let hdr = b.create_block();
    let body = b.create_block();
    let exit = b.create_block();
    for _ in 0..4 {
        b.append_block_param(hdr, ptr);
    }
    b.ins()
        .jump(hdr, &[a0.into(), b0.into(), c0.into(), batch.into()]);
    b.switch_to_block(hdr);
    let hp = b.block_params(hdr).to_vec();
    b.ins().brif(hp[3], body, &[], exit, &[]);

    b.switch_to_block(body);
    let (ap, bp, cp) = (hp[0], hp[1], hp[2]);
    // Column chunks: full vectors when B's columns are contiguous, scalars for the rest.
    let mut chunks: Vec<(usize, bool)> = Vec::new();
    let mut j = 0;
    while j < s.n {
        if s.b_cs == 1 && j + lanes <= s.n {
            chunks.push((j, true));
            j += lanes;
        } else {
            chunks.push((j, false));
            j += 1;
        }
    }
    // Register tiles: up to 4 column chunks x as many rows as fit (see `batched_group_rows`).
    for cols in chunks.chunks(4) {
        let nv = cols.len();
        let rows_per = batched_group_rows(s.m, nv);
        for g0 in (0..s.m).step_by(rows_per) {
            let g1 = (g0 + rows_per).min(s.m);
            emit_batched_tile(b, vty, sty, s, (ap, bp, cp), (g0, g1), cols, use_fma);
        }
    }
    let ap2 = b.ins().iadd(ap, a_bs);
    let bp2 = b.ins().iadd(bp, b_bs);
    let cp2 = b.ins().iadd(cp, c_bs);
    let cnt2 = b.ins().iadd_imm_s(hp[3], -1);
    b.ins()
        .jump(hdr, &[ap2.into(), bp2.into(), cp2.into(), cnt2.into()]);
    b.switch_to_block(exit);
    b.ins().return_(&[]);
}

/// One register tile of the batched kernel: rows `g0..g1` of C, the column chunks `cols`
/// (`(first column, is a vector)`), accumulated over all of `k` in registers, then stored.
#[allow(clippy::too_many_arguments)]
fn emit_batched_tile(
    b: &mut FunctionBuilder,
    vty: Type,
    sty: Type,
    s: &BatchedSpec,
    (ap, bp, cp): (Value, Value, Value),
    (g0, g1): (usize, usize),
    cols: &[(usize, bool)],
    use_fma: bool,
) {
    let es = s.dtype.size() as isize;
    let rd = MemFlagsData::new().with_notrap().with_readonly();
    let wr = MemFlagsData::new().with_notrap();
    let mut accs: Vec<Vec<Option<Value>>> = vec![vec![None; cols.len()]; g1 - g0];
    for k in 0..s.k {
        // Row k of B (the group's columns), loaded once and kept in registers for all rows.
        let held: Vec<Value> = cols
            .iter()
            .map(|&(j, vector)| {
                let off = (k as isize * s.b_rs + j as isize * s.b_cs) * es;
                b.ins()
                    .load(if vector { vty } else { sty }, rd, bp, off as i32)
            })
            .collect();
        for (i, row) in (g0..g1).zip(accs.iter_mut()) {
            let a_off = (i as isize * s.a_rs + k as isize * s.a_cs) * es;
            let a = b.ins().load(sty, rd, ap, a_off as i32);
            let av = if cols.iter().any(|c| c.1) {
                b.ins().splat(vty, a)
            } else {
                a
            };
            for ((acc, &(_, vector)), &y) in row.iter_mut().zip(cols).zip(&held) {
                let x = if vector { av } else { a };
                *acc = Some(match *acc {
                    None => b.ins().fmul(x, y),
                    Some(old) if use_fma => b.ins().fma(x, y, old),
                    Some(old) => {
                        let prod = b.ins().fmul(x, y);
                        b.ins().fadd(old, prod)
                    }
                });
            }
        }
    }
    for (i, row) in (g0..g1).zip(&accs) {
        for (acc, &(j, _)) in row.iter().zip(cols) {
            if let Some(v) = *acc {
                let c_off = ((i * s.ldc + j) as isize * es) as i32;
                b.ins().store(wr, v, cp, c_off);
            }
        }
    }
}
