//! Tests for `codegen::math`: a small JIT harness, special values, ULP sweeps and timings.
//!
//! References: f32 results are compared with the f64 Rust std (glibc) value of the same input,
//! which is far more precise than an f32 ULP, so the measured error is the error against the
//! exact value (fractional ULP). f64 results are compared with glibc's f64 functions, whose
//! documented error is < 1 ULP (exp, log, sin, cos and pow are correctly rounded in practice):
//! the error against the exact value is at most the measured integer ULP distance + 1.

use super::*;
use cranelift_codegen::ir::types::I64;
use cranelift_codegen::ir::{AbiParam, Function, Signature, UserFuncName};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::FunctionBuilderContext;
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module, default_libcall_names};
use std::time::Instant;

const ALL: [MathFn; 7] = [
    MathFn::Exp,
    MathFn::Log,
    MathFn::Log1p,
    MathFn::Expm1,
    MathFn::Tanh,
    MathFn::Sin,
    MathFn::Cos,
];
const TOL: f64 = 4.0;

/// The element types under test.
trait Flt: Copy + Default + PartialEq + std::fmt::Debug + 'static {
    const TY: Type;
    const VTY: Type;
    fn to64(self) -> f64;
    fn from64(v: f64) -> Self;
    fn bits(self) -> u64;
    /// Error of `got` against the reference `r` in ULP; non-finite or zero references (and
    /// non-finite results) must match exactly, else the error is infinite.
    fn ulp_err(got: Self, r: f64) -> f64;
}
impl Flt for f32 {
    const TY: Type = F32;
    const VTY: Type = F32X4;
    fn to64(self) -> f64 {
        f64::from(self)
    }
    fn from64(v: f64) -> Self {
        v as f32
    }
    fn bits(self) -> u64 {
        u64::from(self.to_bits())
    }
    fn ulp_err(got: f32, r: f64) -> f64 {
        let r32 = r as f32;
        if r.is_nan() || got.is_nan() {
            return if r.is_nan() && got.is_nan() {
                0.0
            } else {
                f64::INFINITY
            };
        }
        if !r32.is_finite() || !got.is_finite() || r == 0.0 {
            return if got.to_bits() == r32.to_bits() {
                0.0
            } else {
                f64::INFINITY
            };
        }
        let e = ((r32.abs().to_bits() >> 23) as i32 - 127).max(-126);
        (f64::from(got) - r).abs() / 2f64.powi(e - 23)
    }
}
impl Flt for f64 {
    const TY: Type = F64;
    const VTY: Type = F64X2;
    fn to64(self) -> f64 {
        self
    }
    fn from64(v: f64) -> Self {
        v
    }
    fn bits(self) -> u64 {
        self.to_bits()
    }
    fn ulp_err(got: f64, r: f64) -> f64 {
        if r.is_nan() || got.is_nan() {
            return if r.is_nan() && got.is_nan() {
                0.0
            } else {
                f64::INFINITY
            };
        }
        if !r.is_finite() || !got.is_finite() || r == 0.0 {
            return if got.to_bits() == r.to_bits() {
                0.0
            } else {
                f64::INFINITY
            };
        }
        let key = |v: f64| {
            let b = v.to_bits() as i64;
            if b < 0 { -(b & i64::MAX) } else { b }
        };
        (key(got) - key(r)).unsigned_abs() as f64
    }
}

fn reference(f: MathFn, x: f64) -> f64 {
    match f {
        MathFn::Exp => x.exp(),
        MathFn::Log => x.ln(),
        MathFn::Log1p => x.ln_1p(),
        MathFn::Expm1 => x.exp_m1(),
        MathFn::Tanh => x.tanh(),
        MathFn::Sin => x.sin(),
        MathFn::Cos => x.cos(),
    }
}

/// A JIT-compiled `extern "C" fn(a, b, out, n)` applying an elementwise expression.
struct Kernel {
    module: Option<JITModule>,
    code: *const u8,
}
impl Drop for Kernel {
    fn drop(&mut self) {
        if let Some(m) = self.module.take() {
            // SAFETY: no pointer into the module outlives the kernel.
            unsafe { m.free_memory() };
        }
    }
}
impl Kernel {
    fn run<T: Flt>(&self, a: &[T], b: &[T]) -> Vec<T> {
        assert_eq!(a.len(), b.len());
        let mut out = vec![T::default(); a.len()];
        // SAFETY: the kernel reads a.len() elements of a and b and writes as many to out.
        unsafe {
            let f: extern "C" fn(*const T, *const T, *mut T, usize) =
                std::mem::transmute(self.code);
            f(a.as_ptr(), b.as_ptr(), out.as_mut_ptr(), a.len());
        }
        out
    }
}

/// Compiles a loop over `T::VTY` vectors (or scalars only if `!vector`) with a scalar tail.
fn compile<T: Flt>(
    vector: bool,
    opt: &str,
    body: impl Fn(&mut FunctionBuilder, Value, Value) -> Value,
) -> Kernel {
    let mut flags = settings::builder();
    flags.set("opt_level", opt).unwrap();
    let isa = cranelift_native::builder()
        .unwrap()
        .finish(settings::Flags::new(flags))
        .unwrap();
    assert!(isa_has_fma(&*isa), "host without FMA");
    let mut module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
    let mut sig = Signature::new(module.isa().default_call_conv());
    for _ in 0..4 {
        sig.params.push(AbiParam::new(I64));
    }
    let id = module.declare_function("k", Linkage::Local, &sig).unwrap();
    let mut func = Function::with_name_signature(UserFuncName::default(), sig);
    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut fctx);
    let (entry, vh, vb, sh, sb, exit) = (
        b.create_block(),
        b.create_block(),
        b.create_block(),
        b.create_block(),
        b.create_block(),
        b.create_block(),
    );
    b.append_block_params_for_function_params(entry);
    b.append_block_param(vh, I64);
    b.append_block_param(sh, I64);
    b.switch_to_block(entry);
    let p = b.block_params(entry).to_vec();
    let (pa, pb, po, n) = (p[0], p[1], p[2], p[3]);
    let zero = b.ins().iconst(I64, 0);
    b.ins().jump(vh, &[zero.into()]);
    let esz = T::TY.bytes() as i64;
    let mf = MemFlagsData::new().with_notrap();
    let step = |b: &mut FunctionBuilder, i: Value, ty: Type| {
        let off = b.ins().imul_imm_s(i, esz);
        let (aa, ab, ao) = (
            b.ins().iadd(pa, off),
            b.ins().iadd(pb, off),
            b.ins().iadd(po, off),
        );
        let x = b.ins().load(ty, mf, aa, 0);
        let y = b.ins().load(ty, mf, ab, 0);
        let r = body(b, x, y);
        b.ins().store(mf, r, ao, 0);
    };
    let lanes = if vector {
        T::VTY.lane_count() as i64
    } else {
        1
    };
    let vty = if vector { T::VTY } else { T::TY };
    b.switch_to_block(vh);
    let i = b.block_params(vh)[0];
    let end = b.ins().iadd_imm_s(i, lanes);
    let c = b.ins().icmp(IntCC::UnsignedLessThanOrEqual, end, n);
    b.ins().brif(c, vb, &[], sh, &[i.into()]);
    b.switch_to_block(vb);
    step(&mut b, i, vty);
    b.ins().jump(vh, &[end.into()]);
    b.switch_to_block(sh);
    let j = b.block_params(sh)[0];
    let c = b.ins().icmp(IntCC::UnsignedLessThan, j, n);
    b.ins().brif(c, sb, &[], exit, &[]);
    b.switch_to_block(sb);
    step(&mut b, j, T::TY);
    let j1 = b.ins().iadd_imm_s(j, 1);
    b.ins().jump(sh, &[j1.into()]);
    b.switch_to_block(exit);
    b.ins().return_(&[]);
    b.seal_all_blocks();
    b.finalize(module.target_config());
    let mut ctx = module.make_context();
    ctx.func = func;
    ctx.set_disasm(std::env::var_os("MATH_DISASM").is_some());
    module.define_function(id, &mut ctx).unwrap();
    if let Some(code) = ctx.compiled_code().and_then(|c| c.vcode.as_ref()) {
        let spills = code
            .lines()
            .filter(|l| l.contains("rsp") || l.contains("rbp"))
            .count();
        println!("{} disasm lines, {spills} stack refs", code.lines().count());
    }
    module.finalize_definitions().unwrap();
    let code = module.get_finalized_function(id);
    Kernel {
        module: Some(module),
        code,
    }
}

fn unary<T: Flt>(f: MathFn, vector: bool) -> Kernel {
    compile::<T>(vector, "none", move |b, x, _| emit_math(b, f, x))
}
fn pow_kernel<T: Flt>(vector: bool) -> Kernel {
    compile::<T>(vector, "none", emit_pow)
}

/// Deterministic xorshift generator.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Max error of `k` over `xs` for `f`; sin/cos above `SINCOS_BOUND` are only range-checked.
fn max_err<T: Flt>(f: MathFn, k: &Kernel, xs: &[T]) -> (f64, T) {
    let out = k.run(xs, xs);
    let mut worst = (0.0, T::default());
    for (&x, &y) in xs.iter().zip(&out) {
        let xv = x.to64();
        let e = if matches!(f, MathFn::Sin | MathFn::Cos) && xv.abs() > SINCOS_BOUND {
            let yv = y.to64();
            let ok = if xv.is_finite() {
                (-1.0..=1.0).contains(&yv)
            } else {
                yv.is_nan()
            };
            if ok { 0.0 } else { f64::INFINITY }
        } else {
            T::ulp_err(y, reference(f, xv))
        };
        if e > worst.0 || e.is_nan() {
            worst = (e, x);
        }
    }
    worst
}

fn special_inputs<T: Flt>() -> Vec<T> {
    let mut v: Vec<f64> = vec![
        0.0,
        1.0,
        0.5,
        2.0,
        1e-300,
        1e-30,
        1e-8,
        0.1,
        0.7,
        10.0,
        20.0,
        50.0,
        100.0,
        1e10,
        1e30,
        1e300,
        88.72283,
        88.72284,
        89.0,
        -87.33654,
        -87.33655,
        -103.97207,
        -103.97208,
        -104.0,
        709.782712893384,
        709.7827128933841,
        -708.3964185322641,
        -745.1332191019411,
        -745.1332191019412,
        -746.0,
        0.99999994,
        1.0000001,
        1e-45,
        1e-40,
        f64::from(f32::MIN_POSITIVE),
        f64::from(f32::MAX),
        f64::MIN_POSITIVE,
        5e-324,
        f64::MAX,
        f64::INFINITY,
        f64::NAN,
        std::f64::consts::PI,
        std::f64::consts::FRAC_PI_2,
        1e6,
        1e9,
    ];
    v.extend(v.clone().into_iter().map(|x| -x));
    v.extend((-40..=40).map(|i| f64::from(i) * 0.25));
    v.into_iter().map(T::from64).collect()
}

/// Whether `r` must be matched exactly: non-finite, or at most 24 significant bits (0, ±1, 2^k,
/// small integers...).
fn short(r: f64) -> bool {
    !r.is_finite() || f64::from(r as f32) == r
}

/// Special values: exact where `short(reference)`, within `TOL` elsewhere,
/// and the vector loop and the scalar loop agree bit for bit.
fn check_specials<T: Flt>() {
    let xs = special_inputs::<T>();
    for f in ALL {
        let (kv, ks) = (unary::<T>(f, true), unary::<T>(f, false));
        let (ov, os) = (kv.run(&xs, &xs), ks.run(&xs, &xs));
        for ((&x, &a), &s) in xs.iter().zip(&ov).zip(&os) {
            assert!(
                a.bits() == s.bits() || (a.to64().is_nan() && s.to64().is_nan()),
                "{f:?}({x:?}): vector {a:?} != scalar {s:?}"
            );
            let xv = x.to64();
            if matches!(f, MathFn::Sin | MathFn::Cos) && xv.abs() > SINCOS_BOUND {
                continue;
            }
            let r = reference(f, xv);
            let exact = short(r);
            let e = T::ulp_err(a, r);
            if exact {
                assert!(
                    a.bits() == T::from64(r).bits() || (r.is_nan() && a.to64().is_nan()),
                    "{f:?}({x:?}) = {a:?}, want {r:?}"
                );
            } else {
                assert!(e <= TOL, "{f:?}({x:?}) = {a:?}, want {r:?} ({e} ulp)");
            }
        }
    }
}

#[test]
fn specials_f32() {
    check_specials::<f32>();
}

#[test]
fn specials_f64() {
    check_specials::<f64>();
}

/// f32 inputs: every 2^stride-th bit pattern (jittered) plus ±2048 patterns around thresholds.
fn f32_sample(stride_log2: u32) -> Vec<f32> {
    let step = 1u64 << stride_log2;
    let mut v: Vec<f32> = (0..(1u64 << 32) / step)
        .map(|k| f32::from_bits((k * step + (k * 37) % step) as u32))
        .collect();
    let centres = [
        0.0f32,
        1.0,
        0.5,
        2.0,
        0.35,
        88.72283,
        -87.33654,
        -103.97208,
        20.0,
        9.0,
        1e30,
        1.2e-38,
        std::f32::consts::FRAC_PI_2,
        std::f32::consts::PI,
        1e-4,
        0.1,
        std::f32::consts::LN_2,
    ];
    for c in centres {
        for s in [c, -c] {
            let b = s.to_bits() as i64;
            v.extend((-2048..=2048).map(|d| f32::from_bits((b + d) as u32)));
        }
    }
    v
}

#[test]
fn ulp_sweep_f32_sampled() {
    let xs = f32_sample(8);
    for f in ALL {
        let (e, x) = max_err(f, &unary::<f32>(f, true), &xs);
        println!("f32 {f:?}: max {e:.3} ULP at {x:e} ({} inputs)", xs.len());
        assert!(e <= TOL, "{f:?}: {e} ULP at {x:e}");
    }
}

/// f64 inputs: random bit patterns plus a function-specific range.
fn f64_sample(f: MathFn, n: usize, seed: u64) -> Vec<f64> {
    let mut rng = Rng(seed);
    let mut v: Vec<f64> = (0..n).map(|_| f64::from_bits(rng.next())).collect();
    let (lo, hi) = match f {
        MathFn::Exp | MathFn::Expm1 => (-750.0, 712.0),
        MathFn::Tanh => (-25.0, 25.0),
        MathFn::Log => (0.0, 4.0),
        MathFn::Log1p => (-1.0, 3.0),
        MathFn::Sin | MathFn::Cos => (-20.0, 20.0),
    };
    v.extend((0..n).map(|_| lo + (hi - lo) * rng.unit()));
    // log-uniform magnitudes 2^-40 .. 2^31 (sin/cos up to past the bound), both signs
    v.extend((0..n).map(|_| {
        let m = 2f64.powf(-40.0 + 71.0 * rng.unit());
        if rng.next() & 1 == 0 { m } else { -m }
    }));
    v
}

#[test]
fn ulp_sweep_f64_sampled() {
    for (i, f) in ALL.into_iter().enumerate() {
        let xs = f64_sample(f, 700_000, 0x9e37_79b9_7f4a_7c15 + i as u64);
        let (e, x) = max_err(f, &unary::<f64>(f, true), &xs);
        println!(
            "f64 {f:?}: max {e} ULP (vs glibc) at {x:e} ({} inputs)",
            xs.len()
        );
        assert!(e <= TOL, "{f:?}: {e} ULP at {x:e}");
    }
}

fn pow_ref(x: f64, y: f64) -> f64 {
    x.powf(y)
}

fn pow_pairs(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = Rng(seed);
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for i in 0..n {
        let (x, y) = match i % 4 {
            0 => (f64::from_bits(rng.next()), f64::from_bits(rng.next())),
            1 | 2 => {
                // |y·log2 x| in [-1100, 1100]: the whole finite result range
                let x = 2f64.powf(-1074.0 + 2098.0 * rng.unit());
                let t = -1100.0 + 2200.0 * rng.unit();
                (x, t / x.log2())
            }
            _ => (
                -(1.0 + 20.0 * rng.unit()),
                ((rng.next() % 401) as f64) - 200.0,
            ),
        };
        xs.push(x);
        ys.push(y);
    }
    (xs, ys)
}

fn pow_specials() -> Vec<(f64, f64)> {
    let v = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        -0.5,
        2.0,
        -2.0,
        3.0,
        -3.0,
        0.25,
        1.5,
        1e300,
        -1e300,
        1e-310,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        1024.0,
        -1075.0,
        0.9999999999999999,
    ];
    v.iter()
        .flat_map(|&x| v.iter().map(move |&y| (x, y)))
        .collect()
}

fn check_pow<T: Flt>(xs: &[f64], ys: &[f64], exact: bool) -> (f64, f64, f64) {
    let (a, b): (Vec<T>, Vec<T>) = (
        xs.iter().map(|&x| T::from64(x)).collect(),
        ys.iter().map(|&y| T::from64(y)).collect(),
    );
    let (kv, ks) = (pow_kernel::<T>(true), pow_kernel::<T>(false));
    let (ov, os) = (kv.run(&a, &b), ks.run(&a, &b));
    let mut worst = (0.0, 0.0, 0.0);
    for i in 0..a.len() {
        let (x, y) = (a[i].to64(), b[i].to64());
        assert!(
            ov[i].bits() == os[i].bits() || (ov[i].to64().is_nan() && os[i].to64().is_nan()),
            "pow({x}, {y}): vector != scalar"
        );
        let r = pow_ref(x, y);
        let e = T::ulp_err(ov[i], r);
        if exact && short(r) {
            assert!(e == 0.0, "pow({x:e}, {y:e}) = {:?}, want {r:e}", ov[i]);
        }
        if e > worst.0 || e.is_nan() {
            worst = (e, x, y);
        }
    }
    worst
}

#[test]
fn pow_specials_and_sweep() {
    let (sx, sy): (Vec<f64>, Vec<f64>) = pow_specials().into_iter().unzip();
    check_pow::<f32>(&sx, &sy, true);
    check_pow::<f64>(&sx, &sy, true);
    let (xs, ys) = pow_pairs(400_000, 7);
    for (name, (e, x, y)) in [
        ("f32", check_pow::<f32>(&xs, &ys, false)),
        ("f64", check_pow::<f64>(&xs, &ys, false)),
    ] {
        println!(
            "{name} pow: max {e} ULP at ({x:e}, {y:e}) ({} pairs)",
            xs.len()
        );
        assert!(e <= TOL, "{name} pow: {e} ULP at ({x:e}, {y:e})");
    }
}

/// All 2^32 f32 inputs (run with `cargo test --release -- --ignored`).
#[test]
#[ignore]
fn ulp_sweep_f32_full() {
    for f in ALL {
        let k = unary::<f32>(f, true);
        let mut worst = (0.0, 0.0f32);
        for chunk in 0..256u64 {
            let xs: Vec<f32> = (0..1u64 << 24)
                .map(|i| f32::from_bits(((chunk << 24) | i) as u32))
                .collect();
            let w = max_err(f, &k, &xs);
            if w.0 > worst.0 || w.0.is_nan() {
                worst = w;
            }
        }
        println!(
            "f32 {f:?}: max {:.3} ULP at {:e} (all 2^32 inputs)",
            worst.0, worst.1
        );
        assert!(worst.0 <= TOL);
    }
}

/// Throughput of 1M f32 elements (run with `cargo test --release -- --ignored --nocapture`).
#[test]
#[ignore]
fn timing_f32() {
    let mut rng = Rng(12345);
    let n = 1 << 20;
    let xs: Vec<f32> = (0..n)
        .map(|_| {
            let (u, v) = (rng.unit().max(1e-300), rng.unit());
            ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
        })
        .collect();
    let ax: Vec<f32> = xs.iter().map(|x| x.abs()).collect();
    type Body = Box<dyn Fn(&mut FunctionBuilder, Value, Value) -> Value>;
    let fused: fn() -> Body = || {
        Box::new(|b, x, _| {
            let t = emit_math(b, MathFn::Tanh, x);
            let xx = b.ins().fmul(x, x);
            let nx = b.ins().fneg(xx);
            let e = emit_math(b, MathFn::Exp, nx);
            let a = b.ins().fabs(x);
            let l = emit_math(b, MathFn::Log1p, a);
            b.ins().fma(t, e, l)
        })
    };
    type Case<'a> = (&'a str, fn() -> Body, &'a Vec<f32>);
    let cases: Vec<Case> = vec![
        (
            "exp",
            || Box::new(|b, x, _| emit_math(b, MathFn::Exp, x)),
            &xs,
        ),
        (
            "log",
            || Box::new(|b, x, _| emit_math(b, MathFn::Log, x)),
            &ax,
        ),
        (
            "tanh",
            || Box::new(|b, x, _| emit_math(b, MathFn::Tanh, x)),
            &xs,
        ),
        (
            "log1p",
            || Box::new(|b, x, _| emit_math(b, MathFn::Log1p, x)),
            &ax,
        ),
        (
            "sin",
            || Box::new(|b, x, _| emit_math(b, MathFn::Sin, x)),
            &xs,
        ),
        ("fused", fused, &xs),
    ];
    for opt in ["none", "speed"] {
        for (name, mk, input) in &cases {
            let k = compile::<f32>(true, opt, mk());
            let mut times: Vec<f64> = (0..9)
                .map(|_| {
                    let t = Instant::now();
                    std::hint::black_box(k.run(input, input));
                    t.elapsed().as_secs_f64()
                })
                .collect();
            times.sort_by(f64::total_cmp);
            println!(
                "opt={opt} {name}: {:.3} G elem/s",
                n as f64 / times[4] / 1e9
            );
        }
    }
}
