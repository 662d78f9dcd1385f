//! Emitting one kernel op as CLIF, for scalars or for SIMD vectors of `lanes` lanes.
//!
//! Value representation: numbers use their natural type (`f32`, `i64`, `f32x4`, ...); bools are
//! `i8` 0/1 as scalars and all-ones/zero lane masks of the kernel's lane width as vectors.
//! Every integer division is guarded (no trap is reachable), and float-to-int conversions use the
//! saturating instructions patched to NumPy's x86 results.

use super::jit::Emitter;
use crate::dtype::{DType, Scalar};
use crate::ir::{BinaryOp, UnaryOp};
use crate::kernel::KOp;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Type, Value, types};

/// The scalar CLIF type of a dtype (bools are `i8`).
pub fn scalar_ty(dt: DType) -> Type {
    match dt {
        DType::Bool | DType::I8 | DType::U8 => types::I8,
        DType::I16 | DType::U16 => types::I16,
        DType::I32 | DType::U32 => types::I32,
        DType::I64 | DType::U64 => types::I64,
        DType::F32 => types::F32,
        DType::F64 => types::F64,
    }
}

impl Emitter<'_, '_> {
    /// The CLIF type of a value of `dt` in the current lane mode.
    pub fn value_ty(&self, dt: DType) -> Type {
        if self.lanes == 1 {
            return scalar_ty(dt);
        }
        if dt == DType::Bool {
            return self.mask_ty();
        }
        scalar_ty(dt)
            .by(self.lanes as u32)
            .expect("lane count fits")
    }

    /// The lane-mask type in vector mode.
    pub fn mask_ty(&self) -> Type {
        if self.lanes == 4 {
            types::I32X4
        } else {
            types::I64X2
        }
    }

    /// A constant of `dt` (splatted in vector mode).
    pub fn constant(&mut self, s: Scalar, dt: DType) -> Value {
        let s = s.cast(dt);
        let v = if dt == DType::Bool && self.lanes > 1 {
            let lane = self.mask_ty().lane_type();
            let bits = if s.as_bool() { -1i64 } else { 0 };
            self.b.ins().iconst(lane, bits)
        } else {
            match dt {
                DType::F32 => self.b.ins().f32const(s.as_f64() as f32),
                DType::F64 => self.b.ins().f64const(s.as_f64()),
                _ => self.b.ins().iconst(scalar_ty(dt), s.as_u64() as i64),
            }
        };
        if self.lanes > 1 {
            let ty = self.value_ty(dt);
            self.b.ins().splat(ty, v)
        } else {
            v
        }
    }

    /// Loads a value of `dt` at `ptr` (contiguous vector, or broadcast when `splat`) from a
    /// buffer the kernel never writes.
    pub fn load(&mut self, dt: DType, ptr: Value, splat: bool) -> Value {
        self.load_with(
            dt,
            ptr,
            splat,
            MemFlagsData::new().with_notrap().with_readonly(),
        )
    }

    /// Loads from memory the kernel itself writes (the scratch row of outer reductions).
    pub fn load_mut(&mut self, dt: DType, ptr: Value) -> Value {
        self.load_with(dt, ptr, false, MemFlagsData::new().with_notrap())
    }

    fn load_with(&mut self, dt: DType, ptr: Value, splat: bool, flags: MemFlagsData) -> Value {
        if self.lanes > 1 && !splat {
            let ty = self.value_ty(dt);
            return self.b.ins().load(ty, flags, ptr, 0);
        }
        let v = self.b.ins().load(scalar_ty(dt), flags, ptr, 0);
        if self.lanes > 1 {
            let ty = self.value_ty(dt);
            self.b.ins().splat(ty, v)
        } else {
            v
        }
    }

    /// Stores `v` of `dt` at `ptr`.
    pub fn store(&mut self, v: Value, ptr: Value) {
        let flags = MemFlagsData::new().with_notrap();
        self.b.ins().store(flags, v, ptr, 0);
    }

    /// `select(c, a, b)` for bool-valued `c` in the current mode.
    pub fn select(&mut self, c: Value, a: Value, b: Value) -> Value {
        if self.lanes == 1 {
            return self.b.ins().select(c, a, b);
        }
        let ty = self.b.func.dfg.value_type(a);
        let m = if self.b.func.dfg.value_type(c) == ty {
            c
        } else {
            self.b.ins().bitcast(ty, MemFlagsData::new(), c)
        };
        self.b.ins().bitselect(m, a, b)
    }

    fn fconst(&mut self, dt: DType, v: f64) -> Value {
        self.constant(Scalar::Float(v), dt)
    }

    fn is_nan(&mut self, x: Value) -> Value {
        self.b.ins().fcmp(FloatCC::Unordered, x, x)
    }

    fn or(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().bor(a, b)
    }

    /// Emits op `i` of the kernel given the values of earlier ops.
    pub fn emit_op(&mut self, i: usize, vals: &[Option<Value>]) -> Value {
        let k = self.k;
        let dt = k.types[i];
        let v = |j: usize| vals[j].expect("operand emitted before use");
        match &k.ops[i] {
            KOp::Load { .. } | KOp::ReduceResult => unreachable!("handled by the loop emitter"),
            KOp::Const(s) => self.constant(*s, dt),
            KOp::Unary(u, a) => self.unary(*u, v(*a), k.types[*a]),
            KOp::Binary(op, a, b) => self.binary(*op, v(*a), v(*b), k.types[*a]),
            KOp::Where(c, a, b) => self.select(v(*c), v(*a), v(*b)),
            KOp::Cast(a) => self.cast(v(*a), k.types[*a], dt),
        }
    }

    fn unary(&mut self, op: UnaryOp, x: Value, dt: DType) -> Value {
        if dt.is_float() {
            return match op {
                UnaryOp::Neg => self.b.ins().fneg(x),
                UnaryOp::Abs => self.b.ins().fabs(x),
                UnaryOp::Sqrt => self.b.ins().sqrt(x),
                UnaryOp::Floor => self.b.ins().floor(x),
                UnaryOp::Ceil => self.b.ins().ceil(x),
                UnaryOp::Rint => self.b.ins().nearest(x),
                // fcmp/icmp already give i8 0/1 as scalars and lane masks as vectors.
                UnaryOp::IsNan => self.is_nan(x),
                UnaryOp::IsFinite => {
                    let a = self.b.ins().fabs(x);
                    let inf = self.fconst(dt, f64::INFINITY);
                    self.b.ins().fcmp(FloatCC::LessThan, a, inf)
                }
                UnaryOp::Sign => {
                    let zero = self.fconst(dt, 0.0);
                    let one = self.fconst(dt, 1.0);
                    let m1 = self.fconst(dt, -1.0);
                    let gt = self.b.ins().fcmp(FloatCC::GreaterThan, x, zero);
                    let lt = self.b.ins().fcmp(FloatCC::LessThan, x, zero);
                    let eq = self.b.ins().fcmp(FloatCC::Equal, x, zero);
                    let r = self.select(eq, zero, x);
                    let r = self.select(lt, m1, r);
                    self.select(gt, one, r)
                }
                UnaryOp::Exp
                | UnaryOp::Log
                | UnaryOp::Log1p
                | UnaryOp::Expm1
                | UnaryOp::Tanh
                | UnaryOp::Sin
                | UnaryOp::Cos => self.math(op, x, dt),
                UnaryOp::Not => unreachable!("invert of float rejected by the API"),
            };
        }
        if dt == DType::Bool {
            return match op {
                UnaryOp::Not if self.lanes == 1 => self.b.ins().bxor_imm_s(x, 1),
                UnaryOp::Not => self.b.ins().bnot(x),
                UnaryOp::IsNan => self.constant(Scalar::Bool(false), DType::Bool),
                UnaryOp::IsFinite => self.constant(Scalar::Bool(true), DType::Bool),
                _ => x,
            };
        }
        let signed = dt.is_signed_int();
        match op {
            UnaryOp::Neg => self.b.ins().ineg(x),
            UnaryOp::Abs if signed => self.b.ins().iabs(x),
            UnaryOp::Not => self.b.ins().bnot(x),
            UnaryOp::Sign => {
                let zero = self.constant(Scalar::Int(0), dt);
                let one = self.constant(Scalar::Int(1), dt);
                let m1 = self.constant(Scalar::Int(-1), dt);
                let eq = self.b.ins().icmp(IntCC::Equal, x, zero);
                let pos = if signed {
                    let gt = self.b.ins().icmp(IntCC::SignedGreaterThan, x, zero);
                    self.select(gt, one, m1)
                } else {
                    one
                };
                self.select(eq, zero, pos)
            }
            UnaryOp::IsNan => self.constant(Scalar::Bool(false), DType::Bool),
            UnaryOp::IsFinite => self.constant(Scalar::Bool(true), DType::Bool),
            UnaryOp::Abs | UnaryOp::Floor | UnaryOp::Ceil | UnaryOp::Rint => x,
            UnaryOp::Sqrt
            | UnaryOp::Exp
            | UnaryOp::Log
            | UnaryOp::Log1p
            | UnaryOp::Expm1
            | UnaryOp::Tanh
            | UnaryOp::Sin
            | UnaryOp::Cos => unreachable!("integer math is cast to float by the API"),
        }
    }

    /// Emits a binary op on values of `dt` (shared by the body and reduction combines).
    pub fn binary(&mut self, op: BinaryOp, a: Value, b: Value, dt: DType) -> Value {
        if dt.is_float() {
            return self.float_binary(op, a, b, dt);
        }
        if dt == DType::Bool {
            let ins = self.b.ins();
            return match op {
                BinaryOp::Add | BinaryOp::Or | BinaryOp::Maximum => ins.bor(a, b),
                BinaryOp::Mul | BinaryOp::And | BinaryOp::Minimum => ins.band(a, b),
                BinaryOp::Xor | BinaryOp::Sub => ins.bxor(a, b),
                BinaryOp::Eq
                | BinaryOp::Ne
                | BinaryOp::Lt
                | BinaryOp::Le
                | BinaryOp::Gt
                | BinaryOp::Ge => self.int_compare(op, a, b, false),
                BinaryOp::Div | BinaryOp::FloorDiv | BinaryOp::Mod | BinaryOp::Pow => {
                    unreachable!("{op:?} on bool is promoted by the API")
                }
            };
        }
        let signed = dt.is_signed_int();
        match op {
            BinaryOp::Add => self.b.ins().iadd(a, b),
            BinaryOp::Sub => self.b.ins().isub(a, b),
            BinaryOp::Mul => self.b.ins().imul(a, b),
            BinaryOp::And => self.b.ins().band(a, b),
            BinaryOp::Or => self.b.ins().bor(a, b),
            BinaryOp::Xor => self.b.ins().bxor(a, b),
            BinaryOp::Maximum | BinaryOp::Minimum => {
                let cc = match (op == BinaryOp::Maximum, signed) {
                    (true, true) => IntCC::SignedGreaterThan,
                    (true, false) => IntCC::UnsignedGreaterThan,
                    (false, true) => IntCC::SignedLessThan,
                    (false, false) => IntCC::UnsignedLessThan,
                };
                let c = self.b.ins().icmp(cc, a, b);
                self.select(c, a, b)
            }
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => self.int_compare(op, a, b, signed),
            BinaryOp::FloorDiv | BinaryOp::Mod => self.int_divmod(op, a, b, dt),
            BinaryOp::Pow => {
                let ty = scalar_ty(dt);
                let wide = |e: &mut Self, x: Value| {
                    if ty == types::I64 {
                        x
                    } else if signed {
                        e.b.ins().sextend(types::I64, x)
                    } else {
                        e.b.ins().uextend(types::I64, x)
                    }
                };
                let (x, y) = (wide(self, a), wide(self, b));
                let r = self.call(
                    if signed { "lazynp_ipow" } else { "lazynp_upow" },
                    &[x, y],
                    types::I64,
                );
                if ty == types::I64 {
                    r
                } else {
                    self.b.ins().ireduce(ty, r)
                }
            }
            BinaryOp::Div => unreachable!("true division of ints is cast to float by the API"),
        }
    }

    fn int_compare(&mut self, op: BinaryOp, a: Value, b: Value, signed: bool) -> Value {
        let cc = match (op, signed) {
            (BinaryOp::Eq, _) => IntCC::Equal,
            (BinaryOp::Ne, _) => IntCC::NotEqual,
            (BinaryOp::Lt, true) => IntCC::SignedLessThan,
            (BinaryOp::Le, true) => IntCC::SignedLessThanOrEqual,
            (BinaryOp::Gt, true) => IntCC::SignedGreaterThan,
            (BinaryOp::Ge, true) => IntCC::SignedGreaterThanOrEqual,
            (BinaryOp::Lt, false) => IntCC::UnsignedLessThan,
            (BinaryOp::Le, false) => IntCC::UnsignedLessThanOrEqual,
            (BinaryOp::Gt, false) => IntCC::UnsignedGreaterThan,
            (BinaryOp::Ge, false) => IntCC::UnsignedGreaterThanOrEqual,
            _ => unreachable!(),
        };
        // Vector kernels use one lane width, so the mask already has the kernel's mask type.
        self.b.ins().icmp(cc, a, b)
    }

    /// Integer `//` and `%` with NumPy's results and no reachable trap (scalars only).
    fn int_divmod(&mut self, op: BinaryOp, a: Value, b: Value, dt: DType) -> Value {
        let ty = scalar_ty(dt);
        let zero = self.b.ins().iconst(ty, 0);
        let one = self.b.ins().iconst(ty, 1);
        let b_zero = self.b.ins().icmp(IntCC::Equal, b, zero);
        if !dt.is_signed_int() {
            let safe = self.b.ins().select(b_zero, one, b);
            let r = if op == BinaryOp::FloorDiv {
                self.b.ins().udiv(a, safe)
            } else {
                self.b.ins().urem(a, safe)
            };
            return self.b.ins().select(b_zero, zero, r);
        }
        let (lo, _) = dt.int_range().expect("integer dtype");
        let min = self.b.ins().iconst(ty, lo as i64);
        let m1 = self.b.ins().iconst(ty, -1);
        let a_min = self.b.ins().icmp(IntCC::Equal, a, min);
        let b_m1 = self.b.ins().icmp(IntCC::Equal, b, m1);
        let overflow = self.b.ins().band(a_min, b_m1);
        let bad = self.b.ins().bor(b_zero, overflow);
        let safe = self.b.ins().select(bad, one, b);
        let q = self.b.ins().sdiv(a, safe);
        let r = self.b.ins().srem(a, safe);
        // Floor semantics: adjust when the remainder is nonzero and signs differ.
        let r_nz = self.b.ins().icmp(IntCC::NotEqual, r, zero);
        let r_neg = self.b.ins().icmp(IntCC::SignedLessThan, r, zero);
        let b_neg = self.b.ins().icmp(IntCC::SignedLessThan, safe, zero);
        let differ = self.b.ins().bxor(r_neg, b_neg);
        let adjust = self.b.ins().band(r_nz, differ);
        if op == BinaryOp::FloorDiv {
            let q1 = self.b.ins().isub(q, one);
            let q = self.b.ins().select(adjust, q1, q);
            // x // 0 -> 0; MIN // -1 -> MIN (wraps; q already equals a when divided by 1).
            self.b.ins().select(b_zero, zero, q)
        } else {
            let r1 = self.b.ins().iadd(r, safe);
            let r = self.b.ins().select(adjust, r1, r);
            self.b.ins().select(bad, zero, r)
        }
    }

    fn float_binary(&mut self, op: BinaryOp, a: Value, b: Value, dt: DType) -> Value {
        let cmp = |op| match op {
            BinaryOp::Eq => FloatCC::Equal,
            BinaryOp::Ne => FloatCC::NotEqual,
            BinaryOp::Lt => FloatCC::LessThan,
            BinaryOp::Le => FloatCC::LessThanOrEqual,
            BinaryOp::Gt => FloatCC::GreaterThan,
            _ => FloatCC::GreaterThanOrEqual,
        };
        match op {
            BinaryOp::Add => self.b.ins().fadd(a, b),
            BinaryOp::Sub => self.b.ins().fsub(a, b),
            BinaryOp::Mul => self.b.ins().fmul(a, b),
            BinaryOp::Div => self.b.ins().fdiv(a, b),
            BinaryOp::Maximum | BinaryOp::Minimum => {
                // NumPy: (a > b || isnan(a)) ? a : b (< for minimum): on ties (±0) the second
                // operand wins, and NaN propagates from either side.
                let cc = if op == BinaryOp::Maximum {
                    FloatCC::GreaterThan
                } else {
                    FloatCC::LessThan
                };
                let c = self.b.ins().fcmp(cc, a, b);
                let n = self.is_nan(a);
                let take_a = self.or(c, n);
                self.select(take_a, a, b)
            }
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => self.b.ins().fcmp(cmp(op), a, b),
            BinaryOp::FloorDiv | BinaryOp::Mod | BinaryOp::Pow => {
                if op == BinaryOp::Pow && super::jit::has_fma() {
                    return super::math::emit_pow(self.b, a, b);
                }
                let base = match op {
                    BinaryOp::FloorDiv => "lazynp_floor_div",
                    BinaryOp::Mod => "lazynp_mod",
                    _ => "lazynp_pow",
                };
                let name = if dt == DType::F32 {
                    format!("{base}_f32")
                } else {
                    format!("{base}_f64")
                };
                let ty = scalar_ty(dt);
                self.call(&name, &[a, b], ty)
            }
            BinaryOp::And | BinaryOp::Or | BinaryOp::Xor => {
                unreachable!("bitwise ops on floats rejected")
            }
        }
    }

    /// A transcendental function: the vectorised polynomial of `math.rs` (scalars use the same
    /// code, so a value never depends on whether it fell in a SIMD step or the tail), or the
    /// Rust helper where the host lacks FMA.
    fn math(&mut self, op: UnaryOp, x: Value, dt: DType) -> Value {
        use super::math::MathFn;
        let f = match op {
            UnaryOp::Exp => MathFn::Exp,
            UnaryOp::Log => MathFn::Log,
            UnaryOp::Log1p => MathFn::Log1p,
            UnaryOp::Expm1 => MathFn::Expm1,
            UnaryOp::Tanh => MathFn::Tanh,
            UnaryOp::Sin => MathFn::Sin,
            _ => MathFn::Cos,
        };
        let base = format!("{f:?}").to_lowercase();
        let helper = format!(
            "lazynp_{base}_{}",
            if dt == DType::F32 { "f32" } else { "f64" }
        );
        if !super::jit::has_fma() {
            return self.call(&helper, &[x], scalar_ty(dt));
        }
        let v = super::math::emit_math(self.b, f, x);
        if !matches!(f, MathFn::Sin | MathFn::Cos) {
            return v;
        }
        // The polynomial's range reduction is exact only for |x| <= SINCOS_BOUND; larger
        // arguments (rare) take a cold path through libm, lane by lane.
        let ax = self.b.ins().fabs(x);
        let bound = self.fconst(dt, super::math::SINCOS_BOUND);
        let big = self.b.ins().fcmp(FloatCC::GreaterThan, ax, bound);
        let any = if self.lanes > 1 {
            self.b.ins().vany_true(big)
        } else {
            big
        };
        let ty = self.b.func.dfg.value_type(v);
        let slow = self.b.create_block();
        let join = self.b.create_block();
        let result = self.b.append_block_param(join, ty);
        self.b.ins().brif(any, slow, &[], join, &[v.into()]);
        self.b.set_cold_block(slow);
        self.b.switch_to_block(slow);
        let fixed = if self.lanes > 1 {
            let mut acc = v;
            for l in 0..self.lanes as u8 {
                let xl = self.b.ins().extractlane(x, l);
                let r = self.call(&helper, &[xl], scalar_ty(dt));
                acc = self.b.ins().insertlane(acc, r, l);
            }
            self.select(big, acc, v)
        } else {
            self.call(&helper, &[x], scalar_ty(dt))
        };
        self.b.ins().jump(join, &[fixed.into()]);
        self.b.switch_to_block(join);
        result
    }

    /// Conversion with `astype` semantics.
    pub fn cast(&mut self, x: Value, from: DType, to: DType) -> Value {
        if from == to {
            return x;
        }
        if to == DType::Bool {
            return if from.is_float() {
                let z = self.fconst(from, 0.0);
                self.b.ins().fcmp(FloatCC::NotEqual, x, z)
            } else {
                let z = self.constant(Scalar::Int(0), from);
                self.b.ins().icmp(IntCC::NotEqual, x, z)
            };
        }
        if from == DType::Bool && self.lanes > 1 && to.is_float() {
            // A lane mask (all ones or zeros, as wide as the float lanes) ANDed with the bits
            // of 1.0 is exactly 1.0 or +0.0.
            let t = self.mask_ty();
            let one = if to == DType::F64 {
                1.0f64.to_bits() as i64
            } else {
                i64::from(1.0f32.to_bits())
            };
            let c = self.b.ins().iconst(t.lane_type(), one);
            let ones = self.b.ins().splat(t, c);
            let v = self.b.ins().band(x, ones);
            let ty = self.value_ty(to);
            return self.b.ins().bitcast(ty, crate::codegen::math::le(), v);
        }
        if from == DType::Bool {
            // 0/1 (scalar) or a lane mask (vector): normalise to 0/1 in the target type.
            let v = if self.lanes > 1 {
                let lane1 = {
                    let t = self.mask_ty();
                    let c = self.b.ins().iconst(t.lane_type(), 1);
                    self.b.ins().splat(t, c)
                };
                self.b.ins().band(x, lane1)
            } else {
                x
            };
            return self.int_to(
                v,
                if self.lanes > 1 {
                    mask_dtype(self.lanes)
                } else {
                    DType::U8
                },
                to,
            );
        }
        if from.is_float() && to.is_float() {
            return if to == DType::F64 {
                self.b.ins().fpromote(types::F64, x)
            } else {
                self.b.ins().fdemote(types::F32, x)
            };
        }
        if from.is_float() {
            return self.float_to_int(x, from, to);
        }
        self.int_to(x, from, to)
    }

    fn int_to(&mut self, x: Value, from: DType, to: DType) -> Value {
        let ty = self.value_ty(to);
        if to.is_float() {
            return if from.is_signed_int() {
                self.b.ins().fcvt_from_sint(ty, x)
            } else {
                self.b.ins().fcvt_from_uint(ty, x)
            };
        }
        let (fs, ts) = (from.size(), to.size());
        if self.lanes > 1 || fs == ts {
            return x; // same width in vector kernels: a reinterpretation
        }
        if ts < fs {
            self.b.ins().ireduce(ty, x)
        } else if from.is_signed_int() {
            self.b.ins().sextend(ty, x)
        } else {
            self.b.ins().uextend(ty, x)
        }
    }

    /// Float to int as x86 NumPy does: truncate; NaN and out-of-range give the minimum of the
    /// 32- or 64-bit intermediate; narrower targets wrap that intermediate.
    fn float_to_int(&mut self, x: Value, from: DType, to: DType) -> Value {
        if self.lanes > 1 {
            // Vector kernels only convert f32x4 -> i32x4 (same lane width).
            let v = self.b.ins().fcvt_to_sint_sat(types::I32X4, x);
            let lim = self.fconst(from, 2147483648.0);
            let neg = self.fconst(from, -2147483648.0);
            let too_big = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, x, lim);
            let too_small = self.b.ins().fcmp(FloatCC::LessThan, x, neg);
            let nan = self.is_nan(x);
            let bad = self.or(too_big, too_small);
            let bad = self.or(bad, nan);
            let min = self.constant(Scalar::Int(i32::MIN as i64), DType::I32);
            return self.select(bad, min, v);
        }
        let xf = if from == DType::F32 {
            self.b.ins().fpromote(types::F64, x)
        } else {
            x
        };
        let wide = matches!(to, DType::I64 | DType::U64);
        let (ity, bits) = if wide {
            (types::I64, 63)
        } else {
            (types::I32, 31)
        };
        let v = if to.is_unsigned_int() && matches!(to, DType::U32 | DType::U64) {
            // [2^b, ...): convert x - 2^b and set the top bit (>= 2^(b+1) and +inf give 0).
            let top_f = self.b.ins().f64const((1u64 << bits) as f64);
            let high = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, xf, top_f);
            let shifted = self.b.ins().fsub(xf, top_f);
            let arg = self.b.ins().select(high, shifted, xf);
            let c = self.x86_cvt(arg, ity, bits);
            let top = self.b.ins().iconst(ity, i64::MIN >> (63 - bits));
            let flipped = self.b.ins().bxor(c, top);
            self.b.ins().select(high, flipped, c)
        } else {
            self.x86_cvt(xf, ity, bits)
        };
        let ty = scalar_ty(to);
        if ty.bits() < ity.bits() {
            self.b.ins().ireduce(ty, v)
        } else {
            v
        }
    }

    /// `cvttsd2si` of an f64 into `ity` (`bits` = 31 or 63): truncation, and NaN or out of
    /// range gives the minimum.
    fn x86_cvt(&mut self, xf: Value, ity: Type, bits: u32) -> Value {
        let bound = (1u64 << bits) as f64;
        let sat = self.b.ins().fcvt_to_sint_sat(ity, xf);
        let hi = self.b.ins().f64const(bound);
        let lo = self.b.ins().f64const(-bound);
        let too_big = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, xf, hi);
        let too_small = self.b.ins().fcmp(FloatCC::LessThan, xf, lo);
        let nan = self.b.ins().fcmp(FloatCC::Unordered, xf, xf);
        let bad = self.b.ins().bor(too_big, too_small);
        let bad = self.b.ins().bor(bad, nan);
        let min = self.b.ins().iconst(ity, i64::MIN >> (63 - bits));
        self.b.ins().select(bad, min, sat)
    }
}

/// The integer dtype matching a lane mask (for bool -> number casts in vector mode).
fn mask_dtype(lanes: usize) -> DType {
    if lanes == 4 { DType::I32 } else { DType::I64 }
}
