//! The JIT: one Cranelift module per compiled kernel (so evicted code can be freed), a shared
//! ISA, and the `Emitter` the other codegen files extend. Lifecycle order: declare, define,
//! clear, finalize, get.

use super::helpers;
use crate::error::{Error, Result};
use crate::kernel::Kernel;
use cranelift_codegen::ir::{AbiParam, FuncRef, InstBuilder, Signature, Type, Value, types};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module, default_libcall_names};
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The ABI of every kernel: buffer pointers, byte strides (`[arg][dim]`), and per-dim ranges.
pub type KernelFn = unsafe extern "C" fn(*const *mut u8, *const i64, *const i64, *const i64);

/// The host ISA with `opt_level=speed`, built once per process.
pub fn isa() -> Result<&'static OwnedTargetIsa> {
    static ISA: OnceLock<std::result::Result<OwnedTargetIsa, String>> = OnceLock::new();
    ISA.get_or_init(|| {
        let mut flags = settings::builder();
        let set =
            |f: &mut settings::Builder, k: &str, v: &str| f.set(k, v).map_err(|e| e.to_string());
        set(&mut flags, "opt_level", "speed")?;
        // The verifier costs 25-50% of compile time; keep it where bugs are hunted.
        set(
            &mut flags,
            "enable_verifier",
            if cfg!(debug_assertions) {
                "true"
            } else {
                "false"
            },
        )?;
        let isa_builder = cranelift_native::builder().map_err(|e| e.to_string())?;
        isa_builder
            .finish(settings::Flags::new(flags))
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| Error::Compile(e.clone()))
}

/// True if the host ISA has FMA (the vectorised math functions need it).
pub fn has_fma() -> bool {
    isa().is_ok_and(|i| super::math::isa_has_fma(i.as_ref()))
}

/// A compiled kernel. Dropping it frees its machine code.
pub struct Compiled {
    /// Entry point.
    pub func: KernelFn,
    /// The function's Cranelift IR.
    pub clif: String,
    /// Disassembly, when requested.
    pub disasm: Option<String>,
    /// Time spent compiling.
    pub compile_time: Duration,
    /// SIMD lanes of the main loop (1: scalar code).
    pub lanes: usize,
    module: Option<JITModule>,
}

// SAFETY: the module is only touched in `Drop` (exclusive access); the function pointer refers
// to immutable, finalized code that may be called from any thread.
unsafe impl Send for Compiled {}
// SAFETY: see above.
unsafe impl Sync for Compiled {}

impl Drop for Compiled {
    fn drop(&mut self) {
        if let Some(m) = self.module.take() {
            // SAFETY: `Compiled` is dropped only when the last `Arc` to it goes, so no call into
            // this code can be running or start later.
            unsafe { m.free_memory() };
        }
    }
}

/// Shared state while emitting one kernel function.
pub struct Emitter<'a, 'b> {
    /// The function builder.
    pub b: &'a mut FunctionBuilder<'b>,
    /// The module (for helper imports).
    pub module: &'a mut JITModule,
    /// The kernel.
    pub k: &'a Kernel,
    /// 1 for scalar code, else SIMD lanes.
    pub lanes: usize,
    /// The loop dim that is vectorised.
    pub vdim: usize,
    imports: HashMap<String, FuncRef>,
}

impl<'a, 'b> Emitter<'a, 'b> {
    /// Calls a registered helper (see `helpers.rs`) with scalar arguments.
    pub fn call(&mut self, name: &str, args: &[Value], ret: Type) -> Value {
        let f = match self.imports.get(name) {
            Some(f) => *f,
            None => {
                let mut sig = self.module.make_signature();
                for a in args {
                    sig.params
                        .push(AbiParam::new(self.b.func.dfg.value_type(*a)));
                }
                sig.returns.push(AbiParam::new(ret));
                let id = self
                    .module
                    .declare_function(name, Linkage::Import, &sig)
                    .expect("helper signatures are consistent");
                let f = self.module.declare_func_in_func(id, self.b.func);
                self.imports.insert(name.to_string(), f);
                f
            }
        };
        let call = self.b.ins().call(f, args);
        self.b.inst_results(call)[0]
    }
}

/// Compiles `k`, vectorised when every op supports it, else scalar.
pub fn compile(k: &Kernel, want_disasm: bool) -> Result<Compiled> {
    let start = Instant::now();
    let lanes = super::emit::vector_lanes(k);
    let mut result = compile_with(k, lanes, want_disasm);
    if lanes > 1 && result.is_err() {
        // A lowering Cranelift lacks for this vector type: scalar code is always available.
        result = compile_with(k, 1, want_disasm);
    }
    let mut c = result?;
    c.compile_time = start.elapsed();
    Ok(c)
}

fn compile_with(k: &Kernel, lanes: usize, want_disasm: bool) -> Result<Compiled> {
    let isa = isa()?.clone();
    let mut jb = JITBuilder::with_isa(isa, default_libcall_names());
    for (name, ptr) in helpers::symbols() {
        jb.symbol(name, ptr);
    }
    let mut module = JITModule::new(jb);
    let mut ctx = module.make_context();
    let ptr = types::I64;
    let mut sig = Signature::new(module.isa().default_call_conv());
    for _ in 0..4 {
        sig.params.push(AbiParam::new(ptr));
    }
    ctx.func.signature = sig.clone();
    let frontend = module.isa().frontend_config();
    let mut fbc = FunctionBuilderContext::new();
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, &mut fbc);
        let mut e = Emitter {
            b: &mut b,
            module: &mut module,
            k,
            lanes,
            vdim: 0,
            imports: HashMap::new(),
        };
        e.emit_kernel();
        b.seal_all_blocks();
        b.finalize(frontend);
    }
    let clif = ctx.func.display().to_string();
    ctx.set_disasm(want_disasm);
    let err = |e: String| Error::Compile(e);
    let id = module
        .declare_function("kernel", Linkage::Export, &sig)
        .map_err(|e| err(e.to_string()))?;
    module
        .define_function(id, &mut ctx)
        .map_err(|e| err(format!("{e:?}")))?;
    let disasm = ctx.compiled_code().and_then(|c| c.vcode.clone());
    module.clear_context(&mut ctx);
    module
        .finalize_definitions()
        .map_err(|e| err(e.to_string()))?;
    let code = module.get_finalized_function(id);
    // SAFETY: the function was declared with exactly `KernelFn`'s signature (4 pointer-sized
    // params, system call convention, no return) and stays alive as long as `module`.
    let func: KernelFn = unsafe { std::mem::transmute::<*const u8, KernelFn>(code) };
    Ok(Compiled {
        func,
        clif,
        disasm,
        compile_time: Duration::ZERO,
        lanes,
        module: Some(module),
    })
}
