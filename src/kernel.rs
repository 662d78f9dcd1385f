//! Kernel IR: the seam between the passes and the code generator.
//!
//! A kernel is a loop nest over `dims` (outer dims first; with a reduction, the last dims are
//! reduced), a list of buffer arguments read or written through per-dim strides, and a body of
//! SSA ops. With a reduction, the ops before [`KOp::ReduceResult`] run per element of the full
//! nest and feed the accumulator; the ops from it on run once per outer index (the epilogue).
//!
//! Sizes and strides are run-time values; [`Kernel::key`] (the cache key) contains only what the
//! generated code depends on: ops, dtypes, the number of dims and each access's innermost-stride
//! class. One compiled kernel therefore serves every length.

use crate::dtype::{DType, Scalar};
use crate::ir::{BinaryOp, ReduceOp, UnaryOp};
use std::fmt::Write;

/// One SSA operation of a kernel body.
#[derive(Clone, Debug, PartialEq)]
pub enum KOp {
    /// Load from argument `arg` at the current index.
    Load {
        /// Argument index.
        arg: usize,
    },
    /// A constant of the op's dtype.
    Const(Scalar),
    /// Elementwise unary op.
    Unary(UnaryOp, usize),
    /// Elementwise binary op.
    Binary(BinaryOp, usize, usize),
    /// `where(c, a, b)`.
    Where(usize, usize, usize),
    /// Conversion of op `a` to this op's dtype.
    Cast(usize),
    /// The reduction's result (only in reducing kernels; marks the start of the epilogue).
    ReduceResult,
}

impl KOp {
    /// The ops this op reads, in operand order.
    pub fn operands(&self) -> Vec<usize> {
        match self {
            KOp::Load { .. } | KOp::Const(_) | KOp::ReduceResult => vec![],
            KOp::Unary(_, a) | KOp::Cast(a) => vec![*a],
            KOp::Binary(_, a, b) => vec![*a, *b],
            KOp::Where(c, a, b) => vec![*c, *a, *b],
        }
    }

    /// This op with every operand `k` replaced by `r[k]`.
    pub fn renumbered(&self, r: &[usize]) -> KOp {
        match self {
            KOp::Load { .. } | KOp::Const(_) | KOp::ReduceResult => self.clone(),
            KOp::Unary(u, a) => KOp::Unary(*u, r[*a]),
            KOp::Cast(a) => KOp::Cast(r[*a]),
            KOp::Binary(b, x, y) => KOp::Binary(*b, r[*x], r[*y]),
            KOp::Where(c, a, b) => KOp::Where(r[*c], r[*a], r[*b]),
        }
    }
}

/// How a buffer is accessed along the innermost loop dim; decides vector code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InnerStride {
    /// Stride 0: the same element for the whole inner loop (broadcast).
    Zero,
    /// Stride 1: contiguous.
    One,
    /// Anything else: strided scalar accesses.
    Other,
}

/// How a kernel's loops are arranged (see `codegen/emit.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// No reduction.
    Elementwise,
    /// Reduced dims innermost, an accumulator per output element.
    InnerReduce,
    /// Reduced dims outermost, a scratch row of accumulators updated along a contiguous
    /// output dim (column reductions of C-ordered data). Needs one extra scratch argument.
    OuterReduce,
}

/// A buffer argument: its dtype, per-loop-dim strides (elements), and whether it is written.
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    /// Element type.
    pub dtype: DType,
    /// Stride per loop dim in elements (0 on dims it does not vary along).
    pub strides: Vec<isize>,
    /// Element offset of index 0 from the buffer start.
    pub offset: isize,
    /// True for outputs.
    pub output: bool,
}

/// The reduction of a reducing kernel.
#[derive(Clone, Debug, PartialEq)]
pub struct KReduce {
    /// The reduction.
    pub op: ReduceOp,
    /// The op whose value is reduced.
    pub value: usize,
    /// Dtype of the reduced value (and of the result, except argmax/argmin: int64).
    pub dtype: DType,
}

/// One kernel: loop nest, arguments, body, optional reduction, stores.
#[derive(Clone, Debug, PartialEq)]
pub struct Kernel {
    /// Loop extents, outer dims first (run-time values).
    pub dims: Vec<usize>,
    /// Number of outer (non-reduced) dims; equals `dims.len()` without a reduction.
    pub n_outer: usize,
    /// Buffers, inputs and outputs.
    pub args: Vec<Arg>,
    /// SSA body.
    pub ops: Vec<KOp>,
    /// Dtype of each op's value.
    pub types: Vec<DType>,
    /// The reduction, if any.
    pub reduce: Option<KReduce>,
    /// `(op, arg)`: store op's value into output arg at the current (outer) index.
    pub stores: Vec<(usize, usize)>,
    /// `(op, arg)`: stores made per element inside the reduced loops (an input of the
    /// reduction that another kernel also reads, written in the same pass).
    pub inner_stores: Vec<(usize, usize)>,
}

impl Kernel {
    /// The loop arrangement: outer reduction when the data is contiguous along the last kept
    /// dim but not along the reduced ones, inner reduction otherwise.
    pub fn strategy(&self) -> Strategy {
        let Some(r) = &self.reduce else {
            return Strategy::Elementwise;
        };
        let (nd, no) = (self.ndim(), self.n_outer);
        if matches!(r.op, ReduceOp::ArgMax | ReduceOp::ArgMin) || no == 0 || no == nd {
            return Strategy::InnerReduce;
        }
        let inputs = self.args.iter().filter(|a| !a.output);
        let strided_inner = inputs
            .clone()
            .any(|a| a.strides[nd - 1] != 1 && a.strides[nd - 1] != 0);
        let contiguous_outer = inputs
            .clone()
            .all(|a| a.strides[no - 1] == 0 || a.strides[no - 1] == 1)
            && inputs.clone().any(|a| a.strides[no - 1] == 1);
        if strided_inner && contiguous_outer {
            Strategy::OuterReduce
        } else {
            Strategy::InnerReduce
        }
    }

    /// Number of loop dims.
    pub fn ndim(&self) -> usize {
        self.dims.len()
    }

    /// The innermost-stride class of argument `a` (over the last loop dim it uses).
    pub fn inner_class(&self, a: usize) -> InnerStride {
        let d = self.vector_dim();
        match self.args[a].strides.get(d) {
            Some(0) | None => InnerStride::Zero,
            Some(1) => InnerStride::One,
            Some(_) => InnerStride::Other,
        }
    }

    /// The loop dim that is vectorised: the innermost one.
    pub fn vector_dim(&self) -> usize {
        match self.strategy() {
            Strategy::OuterReduce => self.n_outer - 1,
            _ => self.dims.len().saturating_sub(1),
        }
    }

    /// Merges adjacent loop dims that every argument walks contiguously (`stride[d] ==
    /// stride[d+1] * dims[d+1]`), and drops extent-1 dims. Never merges across the boundary
    /// between outer and reduced dims. Fewer, longer loops vectorise and amortise better.
    pub fn collapse_dims(&mut self) {
        let mut d = 0;
        while d < self.dims.len() {
            if self.dims[d] == 1 && self.dims.len() > 1 {
                self.remove_dim(d);
                continue;
            }
            d += 1;
        }
        let mut d = 0;
        while d + 1 < self.dims.len() {
            let same_side = (d + 1 < self.n_outer) || (d >= self.n_outer);
            let inner = self.dims[d + 1] as isize;
            let mergeable = same_side
                && self
                    .args
                    .iter()
                    .all(|a| a.strides[d] == a.strides[d + 1] * inner);
            if mergeable {
                self.dims[d] *= self.dims[d + 1];
                for a in &mut self.args {
                    a.strides[d] = a.strides[d + 1];
                }
                self.remove_dim(d + 1);
                // dims[d] now has the inner stride; try merging again with the next.
            } else {
                d += 1;
            }
        }
    }

    fn remove_dim(&mut self, d: usize) {
        self.dims.remove(d);
        for a in &mut self.args {
            a.strides.remove(d);
        }
        if d < self.n_outer {
            self.n_outer -= 1;
        }
    }

    /// Number of elements of the loop nest.
    pub fn iterations(&self) -> usize {
        self.dims.iter().product()
    }

    /// Bytes read and written (each argument element counted once per distinct element).
    pub fn bytes(&self) -> usize {
        self.args
            .iter()
            .map(|a| {
                let distinct: usize = self
                    .dims
                    .iter()
                    .zip(&a.strides)
                    .filter(|(_, s)| **s != 0)
                    .map(|(d, _)| *d)
                    .product();
                distinct * a.dtype.size()
            })
            .sum()
    }

    /// Arithmetic ops per loop iteration (a FLOP estimate).
    pub fn flops(&self) -> usize {
        let per = self
            .ops
            .iter()
            .filter(|o| matches!(o, KOp::Unary(..) | KOp::Binary(..) | KOp::Where(..)))
            .count()
            + usize::from(self.reduce.is_some());
        per * self.iterations()
    }

    /// The cache key: the canonical text without run-time sizes and strides.
    pub fn key(&self) -> String {
        let mut k = format!(
            "nd={} outer={} {:?}",
            self.ndim(),
            self.n_outer,
            self.strategy()
        );
        for (i, a) in self.args.iter().enumerate() {
            let _ = write!(
                k,
                " a{i}:{}{}:{:?}",
                if a.output { "out:" } else { "" },
                a.dtype,
                self.inner_class(i)
            );
        }
        k.push('|');
        k.push_str(&self.body_text());
        k
    }

    /// The body, one op per line (`%3 = add %1 %2 : float32`), reduction and stores.
    pub fn body_text(&self) -> String {
        let mut s = String::new();
        for (i, op) in self.ops.iter().enumerate() {
            let t = self.types[i];
            let text = match op {
                KOp::Load { arg } => format!("load a{arg}"),
                KOp::Const(c) => format!("const {c:?}"),
                KOp::Unary(u, a) => format!("{} %{a}", format!("{u:?}").to_lowercase()),
                KOp::Binary(b, x, y) => format!("{} %{x} %{y}", format!("{b:?}").to_lowercase()),
                KOp::Where(c, a, b) => format!("where %{c} %{a} %{b}"),
                KOp::Cast(a) => format!("cast %{a}"),
                KOp::ReduceResult => match &self.reduce {
                    Some(r) => format!(
                        "reduce.{} %{}",
                        format!("{:?}", r.op).to_lowercase(),
                        r.value
                    ),
                    None => "reduce.?".into(),
                },
            };
            let _ = writeln!(s, "  %{i} = {text} : {t}");
        }
        for (op, arg) in &self.inner_stores {
            let _ = writeln!(s, "  store.inner a{arg} <- %{op}");
        }
        for (op, arg) in &self.stores {
            let _ = writeln!(s, "  store a{arg} <- %{op}");
        }
        s
    }

    /// Human-readable description with sizes and strides (for `explain()`).
    pub fn describe(&self) -> String {
        let mut s = format!(
            "loops {:?} ({} outer{})\n",
            self.dims,
            self.n_outer,
            if self.reduce.is_some() {
                ", rest reduced"
            } else {
                ""
            }
        );
        for (i, a) in self.args.iter().enumerate() {
            let _ = writeln!(
                s,
                "  a{i}: {} {} strides {:?} offset {}",
                if a.output { "out" } else { "in " },
                a.dtype,
                a.strides,
                a.offset
            );
        }
        s.push_str(&self.body_text());
        s
    }
}
