//! Transcendental functions emitted as branch-free Cranelift IR.
//!
//! Every function works on `F32`, `F64`, `F32X4` and `F64X2` values and emits straight-line code
//! (selects and bit operations, no blocks, no calls, no traps). The ISA must have `has_fma`
//! (check with [`isa_has_fma`]): without it Cranelift lowers `fma` to a libm libcall.
//!
//! Algorithms (see `math_tests.rs` for the measured errors):
//! - exp / expm1: `k = round(x·log2 e)` by magic-number rounding, Cody–Waite `r = x − k·ln2`
//!   (two constants), `e^r − 1 = r + r²·P(r)` (cephes minimax degree 7 for f32, Taylor degree 13
//!   for f64), `2^k` built in the exponent field; exp scales in two steps so that subnormal results
//!   and the overflow threshold are exact.
//! - tanh = sign(x)·e/(e+2) with `e = expm1(min(2|x|, cap))`.
//! - log / log1p: fdlibm's reduction `x = 2^k·m`, `m ∈ [√½, √2)`, `s = f/(2+f)`,
//!   `log(1+f) = f − f²/2 + s(f²/2 + R(s²))`; log1p reduces `1+x` exactly with one fma.
//! - sin / cos: computed in f64 (f32 inputs are widened). `j = round(x·2/π)`, four-part Cody–Waite
//!   (33+33+33+53 bits of π/2, all with fma) and fdlibm's kernels. Accurate for
//!   `|x| <= SINCOS_BOUND` (2^30); above it the result is still in [-1, 1] (the reduced argument is
//!   clamped) but not accurate. ±inf and NaN give NaN.
//! - pow: `exp(y·log|x|)` in f64 with a double-double logarithm, then C99 special cases by selects.
//!   f32 inputs are widened to f64 and the result rounded once.

#![allow(clippy::excessive_precision)] // constants are quoted as published (fdlibm, cephes)

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::types::{F32, F32X4, F64, F64X2, I8X16, I32, I32X4, I64, I64X2};
use cranelift_codegen::ir::{ConstantData, Endianness, InstBuilder, MemFlagsData, Type, Value};
use cranelift_codegen::isa::TargetIsa;
use cranelift_frontend::FunctionBuilder;
use std::collections::HashMap;

/// Inputs with `|x|` above this bound get an inaccurate (but bounded, in [-1, 1]) sin/cos.
///
/// ```
/// assert_eq!(lazynp::codegen::math::SINCOS_BOUND, 1073741824.0);
/// ```
pub const SINCOS_BOUND: f64 = (1u64 << 30) as f64;

/// Math functions the elementwise codegen needs.
///
/// ```
/// use lazynp::codegen::math::MathFn;
/// assert_ne!(MathFn::Exp, MathFn::Log);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MathFn {
    /// `e^x`
    Exp,
    /// natural logarithm
    Log,
    /// `log(1 + x)`
    Log1p,
    /// `e^x - 1`
    Expm1,
    /// hyperbolic tangent
    Tanh,
    /// sine
    Sin,
    /// cosine
    Cos,
}

/// Whether `isa` has the `has_fma` flag that [`emit_math`] and [`emit_pow`] rely on.
///
/// ```
/// use cranelift_codegen::settings;
/// let isa = cranelift_native::builder()
///     .unwrap()
///     .finish(settings::Flags::new(settings::builder()))
///     .unwrap();
/// let _ = lazynp::codegen::math::isa_has_fma(&*isa);
/// ```
pub fn isa_has_fma(isa: &dyn TargetIsa) -> bool {
    isa.isa_flags()
        .iter()
        .any(|f| f.name == "has_fma" && f.as_bool() == Some(true))
}

/// Emits `f(x)` at the builder's current position.
///
/// `x` has type `F32`, `F64`, `F32X4` or `F64X2`; the result has the same type. Only straight-line
/// code is emitted: no blocks, no traps, no libcalls (given `has_fma`).
///
/// ```
/// use cranelift_codegen::ir::{types::F64X2, AbiParam, Function, InstBuilder, Signature, UserFuncName};
/// use cranelift_codegen::isa::CallConv;
/// use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
/// use lazynp::codegen::math::{emit_math, MathFn};
/// let mut sig = Signature::new(CallConv::SystemV);
/// sig.params.push(AbiParam::new(F64X2));
/// sig.returns.push(AbiParam::new(F64X2));
/// let mut func = Function::with_name_signature(UserFuncName::default(), sig);
/// let mut ctx = FunctionBuilderContext::new();
/// let mut b = FunctionBuilder::new(&mut func, &mut ctx);
/// let entry = b.create_block();
/// b.append_block_params_for_function_params(entry);
/// b.switch_to_block(entry);
/// b.seal_block(entry);
/// let x = b.block_params(entry)[0];
/// let y = emit_math(&mut b, MathFn::Tanh, x);
/// b.ins().return_(&[y]);
/// let isa = cranelift_native::builder()
///     .unwrap()
///     .finish(cranelift_codegen::settings::Flags::new(cranelift_codegen::settings::builder()))
///     .unwrap();
/// b.finalize(isa.frontend_config());
/// assert!(func.display().to_string().contains("fma"));
/// ```
pub fn emit_math(b: &mut FunctionBuilder, f: MathFn, x: Value) -> Value {
    let ty = b.func.dfg.value_type(x);
    let mut e = Em::new(b, ty);
    match f {
        MathFn::Exp => e.exp(x),
        MathFn::Expm1 => e.expm1(x),
        MathFn::Tanh => e.tanh(x),
        MathFn::Log => e.log(x),
        MathFn::Log1p => e.log1p(x),
        MathFn::Sin => e.via_f64(&[x], |e, v| e.sincos(v[0], false)),
        MathFn::Cos => e.via_f64(&[x], |e, v| e.sincos(v[0], true)),
    }
}

/// Emits `x ** y` with C99 / NumPy `pow` semantics; `x` and `y` have the same type (`F32`, `F64`,
/// `F32X4` or `F64X2`), and so does the result.
///
/// ```
/// use cranelift_codegen::ir::{types::F32, AbiParam, Function, InstBuilder, Signature, UserFuncName};
/// use cranelift_codegen::isa::CallConv;
/// use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
/// let mut sig = Signature::new(CallConv::SystemV);
/// sig.params.extend([AbiParam::new(F32), AbiParam::new(F32)]);
/// sig.returns.push(AbiParam::new(F32));
/// let mut func = Function::with_name_signature(UserFuncName::default(), sig);
/// let mut ctx = FunctionBuilderContext::new();
/// let mut b = FunctionBuilder::new(&mut func, &mut ctx);
/// let entry = b.create_block();
/// b.append_block_params_for_function_params(entry);
/// b.switch_to_block(entry);
/// b.seal_block(entry);
/// let (x, y) = (b.block_params(entry)[0], b.block_params(entry)[1]);
/// let r = lazynp::codegen::math::emit_pow(&mut b, x, y);
/// b.ins().return_(&[r]);
/// let isa = cranelift_native::builder()
///     .unwrap()
///     .finish(cranelift_codegen::settings::Flags::new(cranelift_codegen::settings::builder()))
///     .unwrap();
/// b.finalize(isa.frontend_config());
/// assert!(func.display().to_string().contains("fdemote"));
/// ```
pub fn emit_pow(b: &mut FunctionBuilder, x: Value, y: Value) -> Value {
    let ty = b.func.dfg.value_type(x);
    Em::new(b, ty).via_f64(&[x, y], |e, v| e.pow(v[0], v[1]))
}

/// Per-type constants of the IEEE formats.
struct Fmt {
    mbits: i64,
    bias: i64,
    sign: u64,
    mant: u64,
    magic: f64,
    sqrt_half: u64,
    one: u64,
}

const F32FMT: Fmt = Fmt {
    mbits: 23,
    bias: 127,
    sign: 0x8000_0000,
    mant: 0x007f_ffff,
    magic: 12582912.0, // 1.5 * 2^23
    sqrt_half: 0x3f35_04f3,
    one: 0x3f80_0000,
};
const F64FMT: Fmt = Fmt {
    mbits: 52,
    bias: 1023,
    sign: 0x8000_0000_0000_0000,
    mant: 0x000f_ffff_ffff_ffff,
    magic: 6755399441055744.0, // 1.5 * 2^52
    sqrt_half: 0x3fe6_a09e_667f_3bcd,
    one: 0x3ff0_0000_0000_0000,
};

const LOG2E: f64 = std::f64::consts::LOG2_E;
/// fdlibm ln2 split: the high part has 32 significant bits, so `k·LN2_HI` is exact.
const LN2_HI64: f64 = 6.931_471_803_691_238_164_90e-1;
const LN2_LO64: f64 = 1.908_214_929_270_587_700_02e-10;
/// Cody–Waite ln2 split for f32 exp (cephes).
const LN2_HI32E: f64 = 0.693_359_375;
const LN2_LO32E: f64 = -2.121_944_400_546_905_827_68e-4;
/// logf's ln2 split (fdlibm 0x3f317180 / 0x3717f7d1).
const LN2_HI32L: u32 = 0x3f31_7180;
const LN2_LO32L: u32 = 0x3717_f7d1;
/// cephes expf: e^r = 1 + r + r²·P(r), highest degree first.
const EXPF_P: [f64; 6] = [
    1.987_569_150_0e-4,
    1.398_199_950_7e-3,
    8.333_451_907_3e-3,
    4.166_579_589_4e-2,
    1.666_666_545_9e-1,
    5.000_000_120_1e-1,
];
/// fdlibm log kernel Lg1..Lg7 (double).
const LG64: [f64; 7] = [
    6.666_666_666_666_735_130e-1,
    3.999_999_999_940_941_908e-1,
    2.857_142_874_366_239_149e-1,
    2.222_219_843_214_978_396e-1,
    1.818_357_216_161_805_012e-1,
    1.531_383_769_920_937_332e-1,
    1.479_819_860_511_658_591e-1,
];
/// fdlibm/musl logf kernel Lg1..Lg4 as f32 bit patterns.
const LG32: [u32; 4] = [0x3f2a_aaaa, 0x3ecc_ce13, 0x3e91_e9ee, 0x3e78_9e26];
/// fdlibm __kernel_sin S1..S6 and __kernel_cos C1..C6.
const SIN_S: [f64; 6] = [
    -1.666_666_666_666_663_243_48e-1,
    8.333_333_333_322_489_461_24e-3,
    -1.984_126_982_985_794_931_34e-4,
    2.755_731_370_707_006_767_89e-6,
    -2.505_076_025_340_686_341_95e-8,
    1.589_690_995_211_550_102_21e-10,
];
const COS_C: [f64; 6] = [
    4.166_666_666_666_660_190_37e-2,
    -1.388_888_888_887_410_957_49e-3,
    2.480_158_728_947_672_941_78e-5,
    -2.755_731_435_139_066_330_35e-7,
    2.087_572_321_298_174_827_90e-9,
    -1.135_964_755_778_819_482_65e-11,
];
/// π/2 = P1 + P2 + P3 + P4 (33, 33, 33 and 53 significant bits; generated with exact
/// rational arithmetic, equal to fdlibm's pio2_1, pio2_2, pio2_3, pio2_3t).
const PIO2: [u64; 4] = [
    0x3ff9_21fb_5440_0000,
    0x3dd0_b461_1a60_0000,
    0x3ba3_198a_2e00_0000,
    0x397b_839a_2520_49c1,
];
const TWO_OVER_PI: f64 = std::f64::consts::FRAC_2_PI;

/// Emission context: one float type, its integer twin and a constant cache (all code is emitted
/// into one block, so a cached constant dominates every later use).
struct Em<'a, 'f> {
    b: &'a mut FunctionBuilder<'f>,
    ty: Type,
    ity: Type,
    wide: bool,
    vec: bool,
    fmt: &'static Fmt,
    cache: HashMap<(Type, u64), Value>,
}

pub(crate) fn le() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little)
}

impl<'a, 'f> Em<'a, 'f> {
    fn new(b: &'a mut FunctionBuilder<'f>, ty: Type) -> Self {
        let (ity, wide, vec) = match ty {
            F32 => (I32, false, false),
            F64 => (I64, true, false),
            F32X4 => (I32X4, false, true),
            F64X2 => (I64X2, true, true),
            other => panic!("emit_math: unsupported type {other}"),
        };
        let fmt = if wide { &F64FMT } else { &F32FMT };
        Em {
            b,
            ty,
            ity,
            wide,
            vec,
            fmt,
            cache: HashMap::new(),
        }
    }

    /// Runs `body` in f64 (`F64` or `F64X2`) on widened copies of `args`, and narrows the result
    /// back to the input type. f64 inputs run directly.
    fn via_f64(&mut self, args: &[Value], body: impl Fn(&mut Em, &[Value]) -> Value) -> Value {
        match self.ty {
            F64 | F64X2 => {
                let ty = self.ty;
                body(&mut Em::new(self.b, ty), args)
            }
            F32 => {
                let w: Vec<Value> = args
                    .iter()
                    .map(|&a| self.b.ins().fpromote(F64, a))
                    .collect();
                let r = body(&mut Em::new(self.b, F64), &w);
                self.b.ins().fdemote(F32, r)
            }
            _ => {
                let swap: Vec<u8> = (8..16).chain(0..8).collect();
                let mut lo = Vec::new();
                let mut hi = Vec::new();
                for &a in args {
                    lo.push(self.b.ins().fvpromote_low(a));
                    let s = self.shuffle(a, a, &swap);
                    hi.push(self.b.ins().fvpromote_low(s));
                }
                let rl = body(&mut Em::new(self.b, F64X2), &lo);
                let rh = body(&mut Em::new(self.b, F64X2), &hi);
                let dl = self.b.ins().fvdemote(rl);
                let dh = self.b.ins().fvdemote(rh);
                let join: Vec<u8> = (0..8).chain(16..24).collect();
                self.shuffle(dl, dh, &join)
            }
        }
    }

    /// Byte shuffle of two F32X4 values.
    fn shuffle(&mut self, a: Value, b: Value, mask: &[u8]) -> Value {
        let a8 = self.b.ins().bitcast(I8X16, le(), a);
        let b8 = self.b.ins().bitcast(I8X16, le(), b);
        let imm = self
            .b
            .func
            .dfg
            .immediates
            .push(ConstantData::from(mask.to_vec()));
        let r = self.b.ins().shuffle(a8, b8, imm);
        self.b.ins().bitcast(F32X4, le(), r)
    }

    // ---- constants and casts -------------------------------------------------------------

    /// A constant of type `ty` (float or int twin) with lane bit pattern `bits`.
    fn konst(&mut self, ty: Type, bits: u64) -> Value {
        if let Some(&v) = self.cache.get(&(ty, bits)) {
            return v;
        }
        let v = if self.vec {
            let lane = if self.wide { 8 } else { 4 };
            let bytes: Vec<u8> = (0..16 / lane)
                .flat_map(|_| bits.to_le_bytes()[..lane].to_vec())
                .collect();
            let h = self.b.func.dfg.constants.insert(ConstantData::from(bytes));
            self.b.ins().vconst(ty, h)
        } else if ty == F32 {
            self.b.ins().f32const(f32::from_bits(bits as u32))
        } else if ty == F64 {
            self.b.ins().f64const(f64::from_bits(bits))
        } else {
            self.b.ins().iconst(ty, bits as i64)
        };
        self.cache.insert((ty, bits), v);
        v
    }
    /// Float constant (rounded to f32 for narrow types).
    fn c(&mut self, v: f64) -> Value {
        let bits = if self.wide {
            v.to_bits()
        } else {
            u64::from((v as f32).to_bits())
        };
        self.konst(self.ty, bits)
    }
    /// Integer constant (wrapped to the lane width).
    fn ic(&mut self, v: i64) -> Value {
        let bits = if self.wide {
            v as u64
        } else {
            u64::from(v as u32)
        };
        self.konst(self.ity, bits)
    }
    fn ibits(&mut self, x: Value) -> Value {
        self.b.ins().bitcast(self.ity, le(), x)
    }
    fn fbits(&mut self, x: Value) -> Value {
        self.b.ins().bitcast(self.ty, le(), x)
    }
    fn shl(&mut self, x: Value, n: i64) -> Value {
        let n = self.b.ins().iconst(I32, n);
        self.b.ins().ishl(x, n)
    }
    fn ushr(&mut self, x: Value, n: i64) -> Value {
        let n = self.b.ins().iconst(I32, n);
        self.b.ins().ushr(x, n)
    }

    // ---- arithmetic shorthands -----------------------------------------------------------

    fn add(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().fadd(a, b)
    }
    fn sub(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().fsub(a, b)
    }
    fn mul(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().fmul(a, b)
    }
    fn fma(&mut self, a: Value, b: Value, c: Value) -> Value {
        self.b.ins().fma(a, b, c)
    }
    /// `a·k + c` with a constant `k`.
    fn fmak(&mut self, a: Value, k: f64, c: Value) -> Value {
        let k = self.c(k);
        self.fma(a, k, c)
    }
    fn addk(&mut self, a: Value, k: f64) -> Value {
        let k = self.c(k);
        self.add(a, k)
    }
    fn mulk(&mut self, a: Value, k: f64) -> Value {
        let k = self.c(k);
        self.mul(a, k)
    }
    /// Horner evaluation of `coef[0]·z^(n-1) + … + coef[n-1]`.
    fn horner(&mut self, z: Value, coef: &[f64]) -> Value {
        let mut p = self.c(coef[0]);
        for &k in &coef[1..] {
            let k = self.c(k);
            p = self.fma(p, z, k);
        }
        p
    }

    // ---- conditions ----------------------------------------------------------------------

    fn fcmp(&mut self, cc: FloatCC, a: Value, b: Value) -> Value {
        self.b.ins().fcmp(cc, a, b)
    }
    fn fcmpk(&mut self, cc: FloatCC, a: Value, k: f64) -> Value {
        let k = self.c(k);
        self.fcmp(cc, a, k)
    }
    /// `c ? a : b` lane-wise; `c` is an `fcmp`/`icmp` result.
    fn sel(&mut self, c: Value, a: Value, b: Value) -> Value {
        if self.vec {
            let at = self.b.func.dfg.value_type(a);
            let m = if self.b.func.dfg.value_type(c) == at {
                c
            } else {
                self.b.ins().bitcast(at, le(), c)
            };
            self.b.ins().bitselect(m, a, b)
        } else {
            self.b.ins().select(c, a, b)
        }
    }
    fn selk(&mut self, c: Value, k: f64, b: Value) -> Value {
        let k = self.c(k);
        self.sel(c, k, b)
    }
    fn and(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().band(a, b)
    }
    fn or(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().bor(a, b)
    }
    /// `r` with the sign bit of `x` OR-ed in (for odd functions whose result has x's sign).
    fn or_sign(&mut self, r: Value, x: Value) -> Value {
        let xi = self.ibits(x);
        let m = self.ic(self.fmt.sign as i64);
        let s = self.b.ins().band(xi, m);
        let ri = self.ibits(r);
        let o = self.b.ins().bor(ri, s);
        self.fbits(o)
    }
    /// `min(x, hi)` keeping NaN.
    fn min_k(&mut self, x: Value, hi: f64) -> Value {
        let k = self.c(hi);
        let c = self.fcmp(FloatCC::LessThan, k, x);
        self.sel(c, k, x)
    }
    /// `max(x, lo)` keeping NaN.
    fn max_k(&mut self, x: Value, lo: f64) -> Value {
        let k = self.c(lo);
        let c = self.fcmp(FloatCC::GreaterThan, k, x);
        self.sel(c, k, x)
    }
}

/// `1/n!` for n = 13 down to 2 (Taylor coefficients of `(e^r − 1 − r)/r²`).
fn exp_taylor() -> Vec<f64> {
    (2..=13u32)
        .rev()
        .map(|n| 1.0 / (1..=n).map(f64::from).product::<f64>())
        .collect()
}

// The kernels. Each takes and returns values of `self.ty`.
impl Em<'_, '_> {
    /// `t = magic + round(x·log2 e)` (its low bits hold k) and `r = x − k·ln2`.
    fn exp_reduce(&mut self, x: Value) -> (Value, Value) {
        let magic = self.c(self.fmt.magic);
        let t = self.fmak(x, LOG2E, magic);
        let kf = self.sub(t, magic);
        let (hi, lo) = if self.wide {
            (LN2_HI64, LN2_LO64)
        } else {
            (LN2_HI32E, LN2_LO32E)
        };
        let r = self.fmak(kf, -hi, x);
        (t, self.fmak(kf, -lo, r))
    }
    /// `e^r − 1` for `|r| <= ln2/2`.
    fn expm1_poly(&mut self, r: Value) -> Value {
        let p = if self.wide {
            self.horner(r, &exp_taylor())
        } else {
            self.horner(r, &EXPF_P)
        };
        let r2 = self.mul(r, r);
        self.fma(r2, p, r)
    }
    /// `2^k` from `t = magic + k` (k must be a normal exponent).
    fn pow2(&mut self, t: Value) -> Value {
        let ti = self.ibits(t);
        let sh = self.shl(ti, self.fmt.mbits);
        let b = self.ic(self.fmt.bias << self.fmt.mbits);
        let s = self.b.ins().iadd(sh, b);
        self.fbits(s)
    }
    /// `2^k·e^r` for k from `t`, scaling in two steps so that subnormal and overflowing
    /// results are rounded once.
    fn exp_finish(&mut self, t: Value, r: Value) -> Value {
        let p = self.expm1_poly(r);
        const OFF: i64 = 4096;
        let (m, bias) = (self.fmt.mbits, self.fmt.bias);
        let ti = self.ibits(t);
        let magic_bits = if self.wide {
            self.fmt.magic.to_bits() as i64
        } else {
            i64::from((self.fmt.magic as f32).to_bits())
        };
        let off = self.ic(magic_bits - OFF);
        let kb = self.b.ins().isub(ti, off); // k + OFF
        let h = self.ushr(kb, 1); // floor(k/2) + OFF/2
        let k2 = self.b.ins().isub(kb, h); // k - floor(k/2) + OFF/2
        let adj = self.ic(bias - OFF / 2);
        let e1 = self.b.ins().iadd(h, adj);
        let e1 = self.shl(e1, m);
        let s1 = self.fbits(e1);
        let e2 = self.b.ins().iadd(k2, adj);
        let e2 = self.shl(e2, m);
        let s2 = self.fbits(e2);
        let y = self.fma(p, s1, s1);
        self.mul(y, s2)
    }

    fn exp(&mut self, x: Value) -> Value {
        let (lo, hi) = if self.wide {
            (-746.0, 710.0)
        } else {
            (-104.0, 89.0)
        };
        let xc = self.min_k(x, hi);
        let xc = self.max_k(xc, lo);
        let (t, r) = self.exp_reduce(xc);
        self.exp_finish(t, r)
    }

    /// `e^x − 1` for `x` in `[0, cap]` or NaN, with `2^k` normal: `fma(p, s, s − 1)`.
    fn expm1_small(&mut self, x: Value) -> (Value, Value) {
        let (t, r) = self.exp_reduce(x);
        let p = self.expm1_poly(r);
        let tc = self.min_k(t, self.fmt.magic + self.fmt.bias as f64);
        let s = self.pow2(tc);
        let one = self.c(1.0);
        let sm1 = self.sub(s, one);
        (self.fma(p, s, sm1), self.sub(t, tc))
    }

    fn expm1(&mut self, x: Value) -> Value {
        let (lo, hi) = if self.wide {
            (-40.0, 710.0)
        } else {
            (-20.0, 89.0)
        };
        let xc = self.min_k(x, hi);
        let xc = self.max_k(xc, lo);
        // k is capped at the largest exponent; the excess (0 or 1) doubles the result.
        let (y, extra) = self.expm1_small(xc);
        let scale = self.addk(extra, 1.0);
        let y = self.mul(y, scale);
        self.or_sign(y, x)
    }

    fn tanh(&mut self, x: Value) -> Value {
        let a = self.b.ins().fabs(x);
        let a2 = self.add(a, a);
        let a2 = self.min_k(a2, if self.wide { 40.0 } else { 20.0 });
        let (e, _) = self.expm1_small(a2);
        let d = self.addk(e, 2.0);
        let mut y = self.b.ins().fdiv(e, d);
        if self.wide {
            let two = self.c(2.0);
            let (_, d_lo) = self.two_sum(e, two);
            // One correction step removes the rounding of e + 2 and of the division.
            let ny = self.b.ins().fneg(y);
            let res = self.fma(ny, d, e);
            let res = self.fma(ny, d_lo, res);
            let corr = self.b.ins().fdiv(res, d);
            y = self.add(y, corr);
        }
        self.or_sign(y, x)
    }

    /// `k·ln2 + log(1 + f)` for `f ∈ [√½ − 1, √2 − 1]` (fdlibm).
    fn log_kernel(&mut self, f: Value, kf: Value) -> Value {
        let hf = self.mulk(f, 0.5);
        let hfsq = self.mul(hf, f);
        let d = self.addk(f, 2.0);
        let s = self.b.ins().fdiv(f, d);
        let z = self.mul(s, s);
        let p = if self.wide {
            let c: Vec<f64> = LG64.iter().rev().copied().collect();
            self.horner(z, &c)
        } else {
            let c: Vec<f64> = LG32
                .iter()
                .rev()
                .map(|&b| f64::from(f32::from_bits(b)))
                .collect();
            self.horner(z, &c)
        };
        let rr = self.mul(z, p);
        let hr = self.add(hfsq, rr);
        let (hi, lo) = if self.wide {
            (LN2_HI64, LN2_LO64)
        } else {
            (
                f64::from(f32::from_bits(LN2_HI32L)),
                f64::from(f32::from_bits(LN2_LO32L)),
            )
        };
        let klo = self.mulk(kf, lo);
        let u = self.fma(s, hr, klo);
        let w = self.sub(hfsq, u);
        let v = self.sub(f, w);
        self.fmak(kf, hi, v)
    }

    /// Float `k` from biased exponent bits `kb`, minus `off + bias`.
    fn k_float(&mut self, kb: Value, off: Value) -> Value {
        let mb = self.c(self.fmt.magic);
        let mbi = self.ibits(mb);
        let kf = self.or(kb, mbi);
        let kf = self.fbits(kf);
        self.sub(kf, off)
    }

    fn log(&mut self, x: Value) -> Value {
        let (minpos, up, ub) = if self.wide {
            (f64::MIN_POSITIVE, 2f64.powi(54), 54.0)
        } else {
            (f64::from(f32::MIN_POSITIVE), 2f64.powi(24), 24.0)
        };
        let tiny = self.fcmpk(FloatCC::LessThan, x, minpos);
        let xu = self.mulk(x, up);
        let xs = self.sel(tiny, xu, x);
        let ix = self.ibits(xs);
        let d = self.ic((self.fmt.one - self.fmt.sqrt_half) as i64);
        let ix2 = self.b.ins().iadd(ix, d);
        let kb = self.ushr(ix2, self.fmt.mbits);
        let mm = self.ic(self.fmt.mant as i64);
        let mant = self.and(ix2, mm);
        let sh = self.ic(self.fmt.sqrt_half as i64);
        let mant = self.b.ins().iadd(mant, sh);
        let m = self.fbits(mant);
        let one = self.c(1.0);
        let f = self.sub(m, one);
        let base = self.fmt.magic + self.fmt.bias as f64;
        let o1 = self.c(base + ub);
        let o0 = self.c(base);
        let off = self.sel(tiny, o1, o0);
        let kf = self.k_float(kb, off);
        let y = self.log_kernel(f, kf);
        let c = self.fcmpk(FloatCC::Equal, x, 0.0);
        let y = self.selk(c, f64::NEG_INFINITY, y);
        let c = self.fcmpk(FloatCC::UnorderedOrLessThan, x, 0.0);
        let y = self.selk(c, f64::NAN, y);
        let c = self.fcmpk(FloatCC::Equal, x, f64::INFINITY);
        self.selk(c, f64::INFINITY, y)
    }

    fn log1p(&mut self, x: Value) -> Value {
        let thr = if self.wide {
            2f64.powi(1000)
        } else {
            2f64.powi(100)
        };
        let big = self.fcmpk(FloatCC::GreaterThan, x, thr);
        let xd = self.mulk(x, 2f64.powi(-64));
        let xs = self.sel(big, xd, x);
        let u = self.addk(xs, 1.0);
        let iu = self.ibits(u);
        let d = self.ic((self.fmt.one - self.fmt.sqrt_half) as i64);
        let iu = self.b.ins().iadd(iu, d);
        let kb = self.ushr(iu, self.fmt.mbits);
        let base = self.fmt.magic + self.fmt.bias as f64;
        let o1 = self.c(base - 64.0);
        let o0 = self.c(base);
        let off = self.sel(big, o1, o0);
        let kf = self.k_float(kb, off);
        // s = 2^-k, f = (1 + x)·s − 1 rounded once.
        let tb = self.ic(2 * self.fmt.bias);
        let e = self.b.ins().isub(tb, kb);
        let e = self.shl(e, self.fmt.mbits);
        let s = self.fbits(e);
        let one = self.c(1.0);
        let sm1 = self.sub(s, one);
        let f = self.fma(xs, s, sm1);
        let y = self.log_kernel(f, kf);
        let y = self.or_sign(y, x);
        let c = self.fcmpk(FloatCC::Equal, x, -1.0);
        let y = self.selk(c, f64::NEG_INFINITY, y);
        let c = self.fcmpk(FloatCC::UnorderedOrLessThan, x, -1.0);
        let y = self.selk(c, f64::NAN, y);
        let c = self.fcmpk(FloatCC::Equal, x, f64::INFINITY);
        self.selk(c, f64::INFINITY, y)
    }

    /// sin (or cos) in f64.
    fn sincos(&mut self, x: Value, cos: bool) -> Value {
        let magic = self.c(self.fmt.magic);
        let t = self.fmak(x, TWO_OVER_PI, magic);
        let j = self.sub(t, magic);
        let mut r = x;
        for p in PIO2 {
            r = self.fmak(j, -f64::from_bits(p), r);
        }
        let r = self.min_k(r, 0.786);
        let r = self.max_k(r, -0.786);
        let z = self.mul(r, r);
        let cs: Vec<f64> = SIN_S.iter().rev().copied().collect();
        let sp = self.horner(z, &cs);
        let rz = self.mul(r, z);
        let sinp = self.fma(rz, sp, r);
        let cc: Vec<f64> = COS_C.iter().rev().copied().collect();
        let cp = self.horner(z, &cc);
        let zz = self.mul(z, z);
        let cp = self.mul(zz, cp);
        let hz = self.mulk(z, 0.5);
        let one = self.c(1.0);
        let w = self.sub(one, hz);
        let a = self.sub(one, w);
        let a = self.sub(a, hz);
        let a = self.add(a, cp);
        let cosp = self.add(w, a);
        let mut q = self.ibits(t);
        if cos {
            let one_i = self.ic(1);
            q = self.b.ins().iadd(q, one_i);
        }
        let one_i = self.ic(1);
        let low = self.and(q, one_i);
        let odd = self.b.ins().icmp(IntCC::Equal, low, one_i);
        let sinp = if cos {
            sinp
        } else {
            // keeps sin(-0) = -0 (the polynomial adds +0 to r)
            let z0 = self.fcmpk(FloatCC::Equal, x, 0.0);
            self.sel(z0, x, sinp)
        };
        let y = self.sel(odd, cosp, sinp);
        let sg = self.shl(q, 62);
        let sm = self.ic(self.fmt.sign as i64);
        let sg = self.and(sg, sm);
        let yi = self.ibits(y);
        let yi = self.b.ins().bxor(yi, sg);
        self.fbits(yi)
    }
}

// pow, f64 only (f32 goes through `via_f64`).
impl Em<'_, '_> {
    /// Error-free `a + b = s + e`.
    fn two_sum(&mut self, a: Value, b: Value) -> (Value, Value) {
        let s = self.add(a, b);
        let bb = self.sub(s, a);
        let ab = self.sub(s, bb);
        let ea = self.sub(a, ab);
        let eb = self.sub(b, bb);
        (s, self.add(ea, eb))
    }

    /// `log(ax)` as a double-double `(hi, lo)` with ~2^-63 relative error, for `ax >= 0`.
    fn log_dd(&mut self, ax: Value) -> (Value, Value) {
        let tiny = self.fcmpk(FloatCC::LessThan, ax, f64::MIN_POSITIVE);
        let xu = self.mulk(ax, 2f64.powi(54));
        let xs = self.sel(tiny, xu, ax);
        let ix = self.ibits(xs);
        let d = self.ic((F64FMT.one - F64FMT.sqrt_half) as i64);
        let ix2 = self.b.ins().iadd(ix, d);
        let kb = self.ushr(ix2, 52);
        let mm = self.ic(F64FMT.mant as i64);
        let mant = self.and(ix2, mm);
        let sh = self.ic(F64FMT.sqrt_half as i64);
        let mant = self.b.ins().iadd(mant, sh);
        let m = self.fbits(mant);
        let base = F64FMT.magic + 1023.0;
        let o1 = self.c(base + 54.0);
        let o0 = self.c(base);
        let off = self.sel(tiny, o1, o0);
        let kf = self.k_float(kb, off);
        // log(m) = 2·atanh(s), s = (m − 1)/(m + 1) carried as s_hi + s_lo.
        let one = self.c(1.0);
        let f = self.sub(m, one); // exact
        let dd = self.add(m, one);
        let d1 = self.sub(dd, one);
        let d_lo = self.sub(m, d1); // m + 1 = dd + d_lo exactly
        let s = self.b.ins().fdiv(f, dd);
        let ns = self.b.ins().fneg(s);
        let res = self.fma(ns, dd, f); // f − s·dd, exact
        let sdl = self.mul(s, d_lo);
        let res = self.sub(res, sdl);
        let s_lo = self.b.ins().fdiv(res, dd);
        // (2/3)·s³ as a double-double.
        let z = self.mul(s, s);
        let nz = self.b.ins().fneg(z);
        let z_lo = self.fma(s, s, nz);
        let c = self.mul(z, s);
        let nc = self.b.ins().fneg(c);
        let c_lo = self.fma(z, s, nc);
        let c_lo = self.fma(z_lo, s, c_lo);
        let th = 2.0f64 / 3.0;
        let th_lo = 3.700_743_415_417_188e-17; // 2/3 − fl(2/3)
        let t_hi = self.mulk(c, th);
        let nt = self.b.ins().fneg(t_hi);
        let t_lo = self.fmak(c, th, nt);
        let t_lo = self.fmak(c, th_lo, t_lo);
        let t_lo = self.fmak(c_lo, th, t_lo);
        // s³·z·Q(z), Q = Σ_{i≥2} 2/(2i+1) z^(i−2)
        let q: Vec<f64> = (2..=12).rev().map(|i| 2.0 / f64::from(2 * i + 1)).collect();
        let qv = self.horner(z, &q);
        let cz = self.mul(c, z);
        let rest = self.mul(cz, qv);
        // Sum: k·ln2_hi + 2s (exact 2Sum) + t_hi (2Sum) + the small terms.
        let a = self.mulk(kf, LN2_HI64);
        let s2 = self.add(s, s);
        let (h1, e1) = self.two_sum(a, s2);
        let (h2, e2) = self.two_sum(h1, t_hi);
        let lo = self.mulk(kf, LN2_LO64);
        let sl2 = self.add(s_lo, s_lo);
        let zs = self.mul(z, sl2); // 2z·s_lo: (2/3)s³'s derivative times s_lo
        let lo = self.add(lo, sl2);
        let lo = self.add(lo, zs);
        let lo = self.add(lo, t_lo);
        let lo = self.add(lo, rest);
        let lo = self.add(lo, e1);
        let lo = self.add(lo, e2);
        let hi = self.add(h2, lo);
        let hd = self.sub(hi, h2);
        let lo = self.sub(lo, hd);
        let c0 = self.fcmpk(FloatCC::Equal, ax, 0.0);
        let hi = self.selk(c0, f64::NEG_INFINITY, hi);
        let ci = self.fcmpk(FloatCC::Equal, ax, f64::INFINITY);
        let hi = self.selk(ci, f64::INFINITY, hi);
        let cn = self.fcmp(FloatCC::Unordered, ax, ax);
        (self.sel(cn, ax, hi), lo)
    }

    fn pow(&mut self, x: Value, y: Value) -> Value {
        let ax = self.b.ins().fabs(x);
        let (lh, ll) = self.log_dd(ax);
        let p_hi = self.mul(y, lh);
        let np = self.b.ins().fneg(p_hi);
        let p_lo = self.fma(y, lh, np);
        let yl = self.mul(y, ll);
        let p_lo = self.add(p_lo, yl);
        let ap = self.b.ins().fabs(p_hi);
        let finite = self.fcmpk(FloatCC::LessThan, ap, 1000.0);
        let zero = self.c(0.0);
        let p_lo = self.sel(finite, p_lo, zero);
        let pc = self.min_k(p_hi, 710.0);
        let pc = self.max_k(pc, -746.0);
        let (t, r) = self.exp_reduce(pc);
        let r = self.add(r, p_lo);
        let mut res = self.exp_finish(t, r);
        // Special cases (C99 Annex F / NumPy).
        let yt = self.b.ins().trunc(y);
        let yint = self.fcmp(FloatCC::Equal, yt, y);
        let yh = self.mulk(y, 0.5);
        let yht = self.b.ins().trunc(yh);
        let half_frac = self.fcmp(FloatCC::NotEqual, yht, yh);
        let yodd = self.and(yint, half_frac);
        let xi = self.ibits(x);
        let sm = self.ic(F64FMT.sign as i64);
        let xs = self.and(xi, sm);
        let z = self.ic(0);
        let xneg = self.b.ins().icmp(IntCC::NotEqual, xs, z);
        let flip = self.and(xneg, yodd);
        let nres = self.b.ins().fneg(res);
        res = self.sel(flip, nres, res);
        let lt0 = self.fcmpk(FloatCC::LessThan, x, 0.0);
        let fin = self.fcmpk(FloatCC::GreaterThan, x, f64::NEG_INFINITY);
        let ynon = self.fcmp(FloatCC::NotEqual, yt, y);
        let nanc = self.and(lt0, fin);
        let nanc = self.and(nanc, ynon);
        res = self.selk(nanc, f64::NAN, res);
        let x1 = self.fcmpk(FloatCC::Equal, x, 1.0);
        let y0 = self.fcmpk(FloatCC::Equal, y, 0.0);
        let xm1 = self.fcmpk(FloatCC::Equal, x, -1.0);
        let ay = self.b.ins().fabs(y);
        let yinf = self.fcmpk(FloatCC::Equal, ay, f64::INFINITY);
        let one = self.or(x1, y0);
        let m1 = self.and(xm1, yinf);
        let one = self.or(one, m1);
        self.selk(one, 1.0, res)
    }
}

#[cfg(test)]
#[path = "math_tests.rs"]
mod tests;
