//! Loop nests and reduction strategies: Kernel IR → one Cranelift function.
//!
//! - Elementwise: loops over the output, the innermost dim as a SIMD loop plus a scalar tail.
//! - Inner reduction (reduced dims innermost): an accumulator per output element; float sums
//!   run in blocks of two SIMD accumulators whose totals are added with Kahan compensation, so
//!   the error stays near 20 ulp for any length (NumPy's pairwise sum: about the same bound).
//! - Outer reduction (reduced dims outermost, e.g. a column sum of a C-ordered matrix): the
//!   accumulators are a scratch row, updated by SIMD over the contiguous output dim, then the
//!   epilogue runs over the scratch row.

use super::jit::Emitter;
use crate::dtype::{DType, Scalar};
use crate::ir::{BinaryOp, ReduceOp, UnaryOp};
use crate::kernel::{KOp, Kernel, Strategy};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Value, types};

/// SIMD lanes the kernel can use (1 if some op or access has no vector form).
pub fn vector_lanes(k: &Kernel) -> usize {
    if k.ndim() == 0 {
        return 1;
    }
    let strategy = k.strategy();
    let vdim = match strategy {
        Strategy::OuterReduce => k.n_outer - 1,
        _ => k.ndim() - 1,
    };
    let mut size = 0;
    let mut same = |dt: DType| {
        if dt == DType::Bool {
            return true;
        }
        if size == 0 {
            size = dt.size();
        }
        size == dt.size()
    };
    for (j, a) in k.args.iter().enumerate() {
        if a.dtype == DType::Bool || !same(a.dtype) {
            return 1;
        }
        let s = a.strides[vdim];
        // Outputs stored inside the reduced loops are written by SIMD stores too.
        let inner = k.inner_stores.iter().any(|&(_, arg)| arg == j);
        let ok = if a.output {
            s == 1 || (strategy == Strategy::InnerReduce && !inner)
        } else {
            s == 0 || s == 1
        };
        if !ok {
            return 1;
        }
    }
    if !k.types.iter().all(|&t| same(t)) {
        return 1;
    }
    if let Some(r) = &k.reduce
        && (r.dtype == DType::Bool
            || matches!(
                r.op,
                ReduceOp::ArgMax | ReduceOp::ArgMin | ReduceOp::All | ReduceOp::Any
            ))
    {
        return 1;
    }
    for (i, op) in k.ops.iter().enumerate() {
        let ok = match op {
            KOp::Load { .. } | KOp::Const(_) | KOp::Where(..) | KOp::ReduceResult => true,
            KOp::Unary(u, a) => vector_unary(*u, k.types[*a]),
            KOp::Binary(b, a, _) => vector_binary(*b, k.types[*a]),
            KOp::Cast(a) => vector_cast(k.types[*a], k.types[i]),
        };
        if !ok {
            return 1;
        }
    }
    if size == 0 || !(size == 4 || size == 8) {
        return 1;
    }
    16 / size
}

fn vector_unary(u: UnaryOp, dt: DType) -> bool {
    match u {
        UnaryOp::Exp
        | UnaryOp::Log
        | UnaryOp::Log1p
        | UnaryOp::Expm1
        | UnaryOp::Tanh
        | UnaryOp::Sin
        | UnaryOp::Cos => super::jit::has_fma(),
        UnaryOp::Abs => {
            dt.is_float() || dt == DType::I32 || dt.is_unsigned_int() || dt == DType::Bool
        }
        _ => true,
    }
}

fn vector_binary(b: BinaryOp, dt: DType) -> bool {
    match b {
        BinaryOp::FloorDiv | BinaryOp::Mod => false,
        BinaryOp::Pow => dt.is_float() && super::jit::has_fma(),
        BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            dt != DType::Bool
        }
        _ => true,
    }
}

fn vector_cast(from: DType, to: DType) -> bool {
    match (from, to) {
        (_, DType::Bool) => true,
        // A lane mask ANDed with the bits of 1.0 (float targets) or 1 (ints).
        (DType::Bool, _) => true,
        (DType::F32, DType::I32) | (DType::I32, DType::F32) => true,
        (f, t) if f.is_int() && t.is_int() => f.size() == t.size(),
        _ => false,
    }
}

struct Frame {
    bases: Vec<Value>,
    strides: Vec<Vec<Value>>,
    lo: Vec<Value>,
    hi: Vec<Value>,
}

impl Emitter<'_, '_> {
    /// Emits the whole kernel function.
    pub fn emit_kernel(&mut self) {
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        let p: Vec<Value> = self.b.block_params(entry).to_vec();
        let flags = MemFlagsData::trusted().with_readonly();
        let nd = self.k.ndim();
        let nargs = self.k.args.len() + usize::from(self.k.strategy() == Strategy::OuterReduce);
        let mut f = Frame {
            bases: vec![],
            strides: vec![],
            lo: vec![],
            hi: vec![],
        };
        for j in 0..nargs {
            f.bases
                .push(self.b.ins().load(types::I64, flags, p[0], (8 * j) as i32));
            let row = (0..nd)
                .map(|d| {
                    self.b
                        .ins()
                        .load(types::I64, flags, p[1], (8 * (j * nd + d)) as i32)
                })
                .collect();
            f.strides.push(row);
        }
        for d in 0..nd {
            f.lo.push(self.b.ins().load(types::I64, flags, p[2], (8 * d) as i32));
            f.hi.push(self.b.ins().load(types::I64, flags, p[3], (8 * d) as i32));
        }
        let vector = self.lanes;
        self.vdim = match self.k.strategy() {
            Strategy::OuterReduce => self.k.n_outer - 1,
            _ => nd.saturating_sub(1),
        };
        match self.k.strategy() {
            Strategy::Elementwise => self.elementwise(&f, vector),
            Strategy::InnerReduce => self.inner_reduce(&f, vector),
            Strategy::OuterReduce => self.outer_reduce(&f, vector),
        }
        self.b.ins().return_(&[]);
    }

    /// `for i in start..end { body(i) }` as a top-tested loop.
    fn for_range(
        &mut self,
        start: Value,
        end: Value,
        step: i64,
        body: &mut dyn FnMut(&mut Self, Value),
    ) {
        let header = self.b.create_block();
        let i = self.b.append_block_param(header, types::I64);
        let body_blk = self.b.create_block();
        let exit = self.b.create_block();
        self.b.ins().jump(header, &[start.into()]);
        self.b.switch_to_block(header);
        let next_i = self.b.ins().iadd_imm_s(i, step);
        let c = self.b.ins().icmp(IntCC::SignedLessThanOrEqual, next_i, end);
        self.b.ins().brif(c, body_blk, &[], exit, &[]);
        self.b.switch_to_block(body_blk);
        body(self, i);
        let next = self.b.ins().iadd_imm_s(i, step);
        self.b.ins().jump(header, &[next.into()]);
        self.b.switch_to_block(exit);
    }

    /// Nested loops over `dims` (with their ranges) advancing every argument pointer.
    fn nest(
        &mut self,
        f: &Frame,
        dims: &[(usize, bool)],
        ptrs: Vec<Value>,
        body: &mut dyn FnMut(&mut Self, &[Value]),
    ) {
        let Some((&(d, ranged), rest)) = dims.split_first() else {
            body(self, &ptrs);
            return;
        };
        let (start, end) = self.range(f, d, ranged);
        self.for_range(start, end, 1, &mut |e, i| {
            let inner: Vec<Value> = ptrs
                .iter()
                .enumerate()
                .map(|(j, &p)| {
                    let off = e.b.ins().imul(i, f.strides[j][d]);
                    e.b.ins().iadd(p, off)
                })
                .collect();
            e.nest(f, rest, inner, body);
        });
    }

    fn range(&mut self, f: &Frame, d: usize, ranged: bool) -> (Value, Value) {
        if ranged {
            (f.lo[d], f.hi[d])
        } else {
            // Sizes are never compiled in: one kernel serves every length.
            (self.b.ins().iconst(types::I64, 0), f.hi[d])
        }
    }

    /// The innermost loop over dim `d`: SIMD steps of `lanes`, then a scalar tail.
    /// `body(e, ptrs, lanes)` emits one step at the given pointers.
    fn innermost(
        &mut self,
        f: &Frame,
        d: usize,
        ranged: bool,
        ptrs: &[Value],
        lanes: usize,
        body: &mut dyn FnMut(&mut Self, &[Value], usize),
    ) {
        let (start, end) = self.range(f, d, ranged);
        // Induction pointers: p_j = ptrs_j + start·s_j, advanced by step·s_j each iteration
        // (no multiply per argument per step).
        let vars: Vec<cranelift_frontend::Variable> = ptrs
            .iter()
            .enumerate()
            .map(|(j, &p)| {
                let v = self.b.declare_var(types::I64);
                let off = self.b.ins().imul(start, f.strides[j][d]);
                let at = self.b.ins().iadd(p, off);
                self.b.def_var(v, at);
                v
            })
            .collect();
        let mut run = |e: &mut Self, from: Value, to: Value, step: usize| {
            let incs: Vec<Value> = (0..vars.len())
                .map(|j| e.b.ins().imul_imm_s(f.strides[j][d], step as i64))
                .collect();
            e.for_range(from, to, step as i64, &mut |e, _i| {
                let at: Vec<Value> = vars.iter().map(|&v| e.b.use_var(v)).collect();
                e.lanes = step;
                body(e, &at, step);
                e.lanes = 1;
                for (j, &v) in vars.iter().enumerate() {
                    let next = e.b.ins().iadd(at[j], incs[j]);
                    e.b.def_var(v, next);
                }
            });
        };
        let tail_start = if lanes > 1 {
            let count = self.b.ins().isub(end, start);
            let vec_count = self.b.ins().band_imm_s(count, !(lanes as i64 - 1));
            let vec_end = self.b.ins().iadd(start, vec_count);
            run(self, start, vec_end, lanes);
            vec_end
        } else {
            start
        };
        self.lanes = 1;
        run(self, tail_start, end, 1);
    }

    /// Emits ops `range` of the body at pointers `ptrs`, filling `vals`.
    ///
    /// An op may use a value first computed in another section (the reduction's body and its
    /// epilogue share loads and constants that do not vary along reduced dims): such operands
    /// are emitted again here, since values do not cross loop boundaries.
    fn body_ops(
        &mut self,
        ops: std::ops::Range<usize>,
        ptrs: &[Value],
        vals: &mut [Option<Value>],
    ) {
        let needed: Vec<usize> = ops
            .clone()
            .flat_map(|i| self.k.ops[i].operands())
            .filter(|&k| k < ops.start)
            .collect();
        self.ensure(&needed, ptrs, vals);
        for i in ops {
            self.emit_at(i, ptrs, vals);
        }
    }

    /// Emits (in index order) every op in `needed` that has no value yet, with its operands.
    fn ensure(&mut self, needed: &[usize], ptrs: &[Value], vals: &mut [Option<Value>]) {
        let mut missing = vec![false; self.k.ops.len()];
        let mut stack = needed.to_vec();
        while let Some(k) = stack.pop() {
            if vals[k].is_none() && !missing[k] && self.k.ops[k] != KOp::ReduceResult {
                missing[k] = true;
                stack.extend(self.k.ops[k].operands());
            }
        }
        for i in (0..self.k.ops.len()).filter(|&i| missing[i]) {
            self.emit_at(i, ptrs, vals);
        }
    }

    fn emit_at(&mut self, i: usize, ptrs: &[Value], vals: &mut [Option<Value>]) {
        let v = match &self.k.ops[i] {
            KOp::Load { arg } => {
                let splat = self.k.args[*arg].strides.get(self.vdim) == Some(&0);
                self.load(self.k.args[*arg].dtype, ptrs[*arg], splat)
            }
            KOp::ReduceResult => return,
            _ => self.emit_op(i, vals),
        };
        vals[i] = Some(v);
    }

    /// Stores after the loop body (elementwise) or the reduction (its epilogue).
    fn stores(&mut self, ptrs: &[Value], vals: &mut [Option<Value>]) {
        let needed: Vec<usize> = self.k.stores.iter().map(|&(op, _)| op).collect();
        self.ensure(&needed, ptrs, vals);
        for &(op, arg) in &self.k.stores {
            let v = vals[op].expect("stored value emitted");
            self.store(v, ptrs[arg]);
        }
    }

    /// Stores made per element inside the reduced loops (a shared input of the reduction).
    fn inner_stores(&mut self, ptrs: &[Value], vals: &[Option<Value>]) {
        for &(op, arg) in &self.k.inner_stores {
            let v = vals[op].expect("inner stored value computed in the loop body");
            self.store(v, ptrs[arg]);
        }
    }

    fn elementwise(&mut self, f: &Frame, lanes: usize) {
        let nd = self.k.ndim();
        let n = self.k.ops.len();
        if nd == 0 {
            let mut vals = vec![None; n];
            self.lanes = 1;
            self.body_ops(0..n, &f.bases, &mut vals);
            self.stores(&f.bases, &mut vals);
            return;
        }
        let outer: Vec<(usize, bool)> = (0..nd - 1).map(|d| (d, true)).collect();
        self.nest(f, &outer, f.bases.clone(), &mut |e, ptrs| {
            e.innermost(f, nd - 1, true, ptrs, lanes, &mut |e, at, _| {
                let mut vals = vec![None; n];
                e.body_ops(0..n, at, &mut vals);
                e.stores(at, &mut vals);
            });
        });
    }

    fn reduce_info(&self) -> (ReduceOp, DType, usize, usize) {
        let r = self.k.reduce.as_ref().expect("reducing kernel");
        let result = self
            .k
            .ops
            .iter()
            .position(|o| *o == KOp::ReduceResult)
            .expect("result op");
        (r.op, r.dtype, r.value, result)
    }

    /// The identity of a reduction (for max/min: the most extreme value).
    fn identity(&mut self, op: ReduceOp, dt: DType) -> Value {
        let s = match (op, dt.is_float()) {
            (ReduceOp::Sum, true) => Scalar::Float(-0.0),
            (ReduceOp::Sum, false) | (ReduceOp::Any, _) => Scalar::Int(0),
            (ReduceOp::Prod, _) | (ReduceOp::All, _) => Scalar::Int(1),
            (ReduceOp::Max | ReduceOp::ArgMax, true) => Scalar::Float(f64::NEG_INFINITY),
            (ReduceOp::Min | ReduceOp::ArgMin, true) => Scalar::Float(f64::INFINITY),
            (ReduceOp::Max | ReduceOp::ArgMax, false) => {
                let (lo, _) = dt.int_range().expect("int");
                Scalar::Int(lo as i64)
            }
            (ReduceOp::Min | ReduceOp::ArgMin, false) => {
                let (_, hi) = dt.int_range().expect("int");
                Scalar::UInt(hi as u64)
            }
        };
        self.constant(s, dt)
    }

    /// `acc ⊕ x` in the current lane mode.
    fn combine(&mut self, op: ReduceOp, dt: DType, acc: Value, x: Value) -> Value {
        let bop = match op {
            ReduceOp::Sum => BinaryOp::Add,
            ReduceOp::Prod => BinaryOp::Mul,
            ReduceOp::Max => BinaryOp::Maximum,
            ReduceOp::Min => BinaryOp::Minimum,
            ReduceOp::All => BinaryOp::And,
            ReduceOp::Any => BinaryOp::Or,
            ReduceOp::ArgMax | ReduceOp::ArgMin => unreachable!("arg reductions track indices"),
        };
        // np.maximum(acc, x) etc.: the body's own ops, so a reduction and an elementwise
        // maximum agree bit for bit (ties and NaN included).
        self.binary(bop, acc, x, dt)
    }

    /// Reduces a vector to a scalar, lane by lane in order.
    fn horizontal(&mut self, op: ReduceOp, dt: DType, v: Value, lanes: usize) -> Value {
        let mut acc = self.b.ins().extractlane(v, 0u8);
        self.lanes = 1;
        for l in 1..lanes {
            let x = self.b.ins().extractlane(v, l as u8);
            acc = self.combine(op, dt, acc, x);
        }
        acc
    }

    /// Kahan-compensated `sum += x` on scalar variables; infinities skip the compensation.
    fn kahan_add(
        &mut self,
        sum: cranelift_frontend::Variable,
        comp: cranelift_frontend::Variable,
        x: Value,
        dt: DType,
    ) {
        let s = self.b.use_var(sum);
        let c = self.b.use_var(comp);
        let y = self.b.ins().fsub(x, c);
        let t = self.b.ins().fadd(s, y);
        let d = self.b.ins().fsub(t, s);
        let nc = self.b.ins().fsub(d, y);
        let at = self.b.ins().fabs(t);
        let inf = self.constant(Scalar::Float(f64::INFINITY), dt);
        let finite = self.b.ins().fcmp(FloatCC::LessThan, at, inf);
        let zero = self.constant(Scalar::Float(0.0), dt);
        let nc = self.b.ins().select(finite, nc, zero);
        self.b.def_var(sum, t);
        self.b.def_var(comp, nc);
    }

    fn inner_reduce(&mut self, f: &Frame, lanes: usize) {
        let nd = self.k.ndim();
        let no = self.k.n_outer;
        let n = self.k.ops.len();
        let (op, dt, value, result) = self.reduce_info();
        let outer: Vec<(usize, bool)> = (0..no).map(|d| (d, true)).collect();
        self.nest(f, &outer, f.bases.clone(), &mut |e, optrs| {
            e.lanes = 1;
            let sty = super::body::scalar_ty(dt);
            let acc = e.b.declare_var(sty);
            let comp = e.b.declare_var(sty);
            let idx = e.b.declare_var(types::I64);
            let init = e.identity(op, dt);
            e.b.def_var(acc, init);
            if dt.is_float() {
                let z = e.constant(Scalar::Float(0.0), dt);
                e.b.def_var(comp, z);
            } else {
                let z = e.b.ins().iconst(sty, 0);
                e.b.def_var(comp, z);
            }
            let z = e.b.ins().iconst(types::I64, 0);
            e.b.def_var(idx, z);
            let kahan = op == ReduceOp::Sum && dt.is_float();
            let arg = matches!(op, ReduceOp::ArgMax | ReduceOp::ArgMin);
            let inner_ops = 0..result;
            let step = |e: &mut Self, at: &[Value], i: Option<Value>| {
                let mut vals = vec![None; n];
                e.body_ops(inner_ops.clone(), at, &mut vals);
                e.inner_stores(at, &vals);
                let x = vals[value].expect("reduced value");
                if arg {
                    e.arg_step(op, dt, acc, idx, x, i.expect("index"));
                } else if kahan {
                    e.kahan_add(acc, comp, x, dt);
                } else {
                    let a = e.b.use_var(acc);
                    let r = e.combine(op, dt, a, x);
                    e.b.def_var(acc, r);
                }
            };
            if nd == no {
                step(e, optrs, Some(z));
            } else {
                let mid: Vec<(usize, bool)> = (no..nd - 1).map(|d| (d, false)).collect();
                e.nest(f, &mid, optrs.to_vec(), &mut |e, iptrs| {
                    if lanes > 1 {
                        e.vector_accumulate(
                            f,
                            nd - 1,
                            iptrs,
                            lanes,
                            op,
                            dt,
                            value,
                            result,
                            acc,
                            comp,
                        );
                    } else {
                        let (start, end) = e.range(f, nd - 1, false);
                        e.for_range(start, end, 1, &mut |e, i| {
                            let at: Vec<Value> = iptrs
                                .iter()
                                .enumerate()
                                .map(|(j, &p)| {
                                    let off = e.b.ins().imul(i, f.strides[j][nd - 1]);
                                    e.b.ins().iadd(p, off)
                                })
                                .collect();
                            step(e, &at, Some(i));
                        });
                    }
                });
            }
            e.lanes = 1;
            let mut vals = vec![None; n];
            vals[result] = Some(if arg {
                e.b.use_var(idx)
            } else {
                e.b.use_var(acc)
            });
            e.body_ops(result + 1..n, optrs, &mut vals);
            e.stores(optrs, &mut vals);
        });
    }

    /// argmax/argmin step: replace when `x` is better, or the first NaN appears.
    fn arg_step(
        &mut self,
        op: ReduceOp,
        dt: DType,
        best: cranelift_frontend::Variable,
        idx: cranelift_frontend::Variable,
        x: Value,
        i: Value,
    ) {
        let b = self.b.use_var(best);
        let better = if dt.is_float() {
            let cc = if op == ReduceOp::ArgMax {
                FloatCC::GreaterThan
            } else {
                FloatCC::LessThan
            };
            let c = self.b.ins().fcmp(cc, x, b);
            let xn = self.b.ins().fcmp(FloatCC::Unordered, x, x);
            let bn = self.b.ins().fcmp(FloatCC::Ordered, b, b);
            let c = self.b.ins().bor(c, xn);
            self.b.ins().band(c, bn)
        } else {
            let cc = match (op == ReduceOp::ArgMax, dt.is_signed_int()) {
                (true, true) => IntCC::SignedGreaterThan,
                (true, false) => IntCC::UnsignedGreaterThan,
                (false, true) => IntCC::SignedLessThan,
                (false, false) => IntCC::UnsignedLessThan,
            };
            self.b.ins().icmp(cc, x, b)
        };
        let nb = self.b.ins().select(better, x, b);
        let cur = self.b.use_var(idx);
        let ni = self.b.ins().select(better, i, cur);
        self.b.def_var(best, nb);
        self.b.def_var(idx, ni);
    }

    /// The SIMD innermost loop of an inner reduction, folded into the scalar accumulator.
    #[allow(clippy::too_many_arguments)]
    fn vector_accumulate(
        &mut self,
        f: &Frame,
        d: usize,
        ptrs: &[Value],
        lanes: usize,
        op: ReduceOp,
        dt: DType,
        value: usize,
        result: usize,
        acc: cranelift_frontend::Variable,
        comp: cranelift_frontend::Variable,
    ) {
        let n = self.k.ops.len();
        let kahan = op == ReduceOp::Sum && dt.is_float();
        let (start, end) = self.range(f, d, false);
        // Blocks of 2 vectors x 16 steps for float sums; one block = the whole run otherwise.
        let block = if kahan {
            (2 * lanes * 16) as i64
        } else {
            2 * lanes as i64
        };
        let count = self.b.ins().isub(end, start);
        let whole = self.b.ins().band_imm_s(count, !(block - 1));
        let vec_end = self.b.ins().iadd(start, whole);
        let vty = super::body::scalar_ty(dt).by(lanes as u32).expect("lanes");
        let at = |e: &mut Self, i: Value| -> Vec<Value> {
            ptrs.iter()
                .enumerate()
                .map(|(j, &p)| {
                    let off = e.b.ins().imul(i, f.strides[j][d]);
                    e.b.ins().iadd(p, off)
                })
                .collect()
        };
        let a0 = self.b.declare_var(vty);
        let a1 = self.b.declare_var(vty);
        let load_step = |e: &mut Self, i: Value| -> Value {
            let p = at(e, i);
            let mut vals = vec![None; n];
            e.body_ops(0..result, &p, &mut vals);
            e.inner_stores(&p, &vals);
            vals[value].expect("value")
        };
        let reset = |e: &mut Self| {
            e.lanes = lanes;
            let id = e.identity(op, dt);
            e.b.def_var(a0, id);
            e.b.def_var(a1, id);
        };
        let fold = |e: &mut Self| {
            e.lanes = lanes;
            let x0 = e.b.use_var(a0);
            let x1 = e.b.use_var(a1);
            let both = e.combine(op, dt, x0, x1);
            let s = e.horizontal(op, dt, both, lanes);
            if kahan {
                e.kahan_add(acc, comp, s, dt);
            } else {
                let a = e.b.use_var(acc);
                let r = e.combine(op, dt, a, s);
                e.b.def_var(acc, r);
            }
        };
        // One step: two vectors into the two accumulators.
        let pair = |e: &mut Self, i: Value| {
            e.lanes = lanes;
            let x0 = load_step(e, i);
            let j = e.b.ins().iadd_imm_s(i, lanes as i64);
            let x1 = load_step(e, j);
            let c0 = e.b.use_var(a0);
            let c1 = e.b.use_var(a1);
            let n0 = e.combine(op, dt, c0, x0);
            let n1 = e.combine(op, dt, c1, x1);
            e.b.def_var(a0, n0);
            e.b.def_var(a1, n1);
        };
        let tail_start = if kahan {
            self.for_range(start, vec_end, block, &mut |e, bi| {
                reset(e);
                let bend = e.b.ins().iadd_imm_s(bi, block);
                e.for_range(bi, bend, 2 * lanes as i64, &mut |e, i| pair(e, i));
                fold(e);
            });
            // The last partial block still runs in vectors (short rows, e.g. a softmax over 10
            // classes, would otherwise be summed one compensated scalar at a time).
            let rest = self.b.ins().isub(end, vec_end);
            let pairs = self.b.ins().band_imm_s(rest, -(2 * lanes as i64));
            let pair_end = self.b.ins().iadd(vec_end, pairs);
            reset(self);
            self.for_range(vec_end, pair_end, 2 * lanes as i64, &mut |e, i| pair(e, i));
            fold(self);
            pair_end
        } else {
            reset(self);
            self.for_range(start, vec_end, 2 * lanes as i64, &mut |e, i| pair(e, i));
            fold(self);
            vec_end
        };
        // Scalar tail.
        self.lanes = 1;
        self.for_range(tail_start, end, 1, &mut |e, i| {
            e.lanes = 1;
            let x = load_step(e, i);
            if kahan {
                e.kahan_add(acc, comp, x, dt);
            } else {
                let a = e.b.use_var(acc);
                let r = e.combine(op, dt, a, x);
                e.b.def_var(acc, r);
            }
        });
    }

    fn outer_reduce(&mut self, f: &Frame, lanes: usize) {
        let nd = self.k.ndim();
        let no = self.k.n_outer;
        let n = self.k.ops.len();
        let scratch = self.k.args.len();
        let (op, dt, value, result) = self.reduce_info();
        let outer: Vec<(usize, bool)> = (0..no - 1).map(|d| (d, true)).collect();
        // Phase 1: scratch = identity.
        self.nest(f, &outer, f.bases.clone(), &mut |e, ptrs| {
            e.innermost(f, no - 1, true, ptrs, lanes, &mut |e, at, _| {
                let id = e.identity(op, dt);
                e.store(id, at[scratch]);
            });
        });
        // Phase 2: for every reduced index, scratch ⊕= value over the outer dims.
        let mut order: Vec<(usize, bool)> = (no..nd).map(|d| (d, false)).collect();
        order.extend(outer.iter().copied());
        self.nest(f, &order, f.bases.clone(), &mut |e, ptrs| {
            e.innermost(f, no - 1, true, ptrs, lanes, &mut |e, at, _| {
                let mut vals = vec![None; n];
                e.body_ops(0..result, at, &mut vals);
                e.inner_stores(at, &vals);
                let x = vals[value].expect("value");
                let s = e.load_mut(dt, at[scratch]);
                let r = e.combine(op, dt, s, x);
                e.store(r, at[scratch]);
            });
        });
        // Phase 3: epilogue from the scratch row.
        self.nest(f, &outer, f.bases.clone(), &mut |e, ptrs| {
            e.innermost(f, no - 1, true, ptrs, lanes, &mut |e, at, _| {
                let mut vals = vec![None; n];
                vals[result] = Some(e.load_mut(dt, at[scratch]));
                e.body_ops(result + 1..n, at, &mut vals);
                e.stores(at, &mut vals);
            });
        });
    }
}
