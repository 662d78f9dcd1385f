//! Simplification: common-subexpression elimination over the graph, and constant folding and
//! exact algebraic identities applied while kernel bodies are built.
//!
//! Rules (each exact under IEEE 754; `x*0 -> 0` is *not* one, since `inf*0` is NaN):
//! - `cse`: two nodes with the same op, dtype, shape and inputs are one node.
//! - `fold`: an op whose operands are all constants is a constant (computed by the interpreter,
//!   so folding can never change a result).
//! - `mul-one`: `x * 1 -> x`, `1 * x -> x`.
//! - `add-zero`: `x + 0 -> x` for integers; `x + (-0.0) -> x` for floats (`-0.0 + 0.0` is `+0.0`).
//! - `sub-zero`: `x - 0 -> x` (integers, and floats with `+0.0`).
//! - `div-one`: `x / 1 -> x`.
//! - `pow-two`: `x ** 2 -> x * x` (NumPy's fast path; both are correctly rounded).
//! - `pow-one`: `x ** 1 -> x`.
//! - `where-const`: `where(true, a, b) -> a`, `where(false, a, b) -> b`.

use crate::dtype::{DType, Scalar};
use crate::ir::{BinaryOp, Graph, Op};
use crate::kernel::KOp;
use crate::runtime::Buffer;
use std::collections::HashMap;
use std::sync::Arc;

/// Graph CSE: `canon[i]` is the representative of node i.
pub struct Cse {
    /// Representative of each node (itself if unique).
    pub canon: Vec<usize>,
}

impl Cse {
    /// Hash-conses the graph's pending nodes (realised nodes are distinct by identity, and so
    /// are parameter nodes: their values may differ at the next run of the same plan). The key
    /// of a node is its exact encoding with canonical inputs ([`crate::ir::key`]).
    pub fn new(g: &Graph) -> Cse {
        let mut canon: Vec<usize> = (0..g.len()).collect();
        let mut seen: HashMap<Box<[u64]>, usize, crate::hashing::KeyHasher> = HashMap::default();
        let mut words = Vec::new();
        let mut ins = Vec::new();
        for i in 0..g.len() {
            if g.is_realized(i) || g.materialize[i] || g.param[i] {
                continue;
            }
            ins.clear();
            ins.extend(g.inputs[i].iter().map(|&k| canon[k]));
            words.clear();
            crate::ir::key::encode_node(&mut words, &g.nodes[i], false, false, &ins, false);
            match seen.get(words.as_slice()) {
                Some(&k) => canon[i] = k,
                None => {
                    seen.insert(words.as_slice().into(), i);
                }
            }
        }
        Cse { canon }
    }
}

/// Result of folding a kernel op.
pub enum Folded {
    /// Replace by this op.
    Op(KOp),
    /// The value of an existing op.
    Same(usize),
}

fn constant(ops: &[KOp], i: usize) -> Option<Scalar> {
    match ops[i] {
        KOp::Const(s) => Some(s),
        _ => None,
    }
}

fn is_value(s: Option<Scalar>, v: f64, negative_zero: bool) -> bool {
    match s {
        Some(Scalar::Float(f)) => f == v && (v != 0.0 || f.is_sign_negative() == negative_zero),
        Some(Scalar::Int(i)) => i as f64 == v,
        Some(Scalar::UInt(u)) => u as f64 == v,
        Some(Scalar::Bool(b)) => (b as u8) as f64 == v,
        None => false,
    }
}

/// Evaluates one op on constant operands with the interpreter's semantics.
fn eval_const(op: &KOp, dtype: DType, args: &[(Scalar, DType)]) -> Option<Scalar> {
    let bufs: Vec<Buffer> = args
        .iter()
        .map(|(s, d)| Buffer::from_scalars(*d, std::iter::once(*s)))
        .collect();
    let refs: Vec<&Buffer> = bufs.iter().collect();
    let shapes: Vec<&[usize]> = args.iter().map(|_| &[1usize][..]).collect();
    let node_op = match op {
        KOp::Unary(u, _) => Op::Unary(*u),
        KOp::Binary(b, _, _) => Op::Binary(*b),
        KOp::Where(..) => Op::Where,
        KOp::Cast(_) => Op::Cast(dtype),
        KOp::Load { .. } | KOp::Const(_) | KOp::ReduceResult => return None,
    };
    let out = crate::interp::eval_node(&node_op, dtype, &[1], &refs, &shapes).ok()?;
    Some(Arc::new(out).get(0))
}

/// Folds `op` (of result `dtype`) given the ops built so far, or `None` to keep it.
pub fn fold(op: &KOp, dtype: DType, ops: &[KOp], types: &[DType]) -> Option<Folded> {
    let operands = op.operands();
    if !operands.is_empty() && operands.iter().all(|&k| constant(ops, k).is_some()) {
        let args: Vec<(Scalar, DType)> = operands
            .iter()
            .map(|&k| (constant(ops, k).expect("checked"), types[k]))
            .collect();
        return eval_const(op, dtype, &args).map(|s| Folded::Op(KOp::Const(s)));
    }
    let float = dtype.is_float();
    match *op {
        KOp::Binary(BinaryOp::Mul, a, b) if !op_is_cmp(op) => {
            if is_value(constant(ops, b), 1.0, false) {
                return Some(Folded::Same(a));
            }
            if is_value(constant(ops, a), 1.0, false) {
                return Some(Folded::Same(b));
            }
        }
        KOp::Binary(BinaryOp::Add, a, b) if dtype != DType::Bool => {
            let zero = |k| {
                is_value(constant(ops, k), 0.0, true)
                    || (!float && is_value(constant(ops, k), 0.0, false))
            };
            if zero(b) {
                return Some(Folded::Same(a));
            }
            if zero(a) {
                return Some(Folded::Same(b));
            }
        }
        KOp::Binary(BinaryOp::Sub, a, b) if is_value(constant(ops, b), 0.0, false) => {
            return Some(Folded::Same(a));
        }
        KOp::Binary(BinaryOp::Div, a, b) if is_value(constant(ops, b), 1.0, false) => {
            return Some(Folded::Same(a));
        }
        KOp::Binary(BinaryOp::Pow, a, b) if dtype.is_float() => {
            if is_value(constant(ops, b), 2.0, false) {
                return Some(Folded::Op(KOp::Binary(BinaryOp::Mul, a, a)));
            }
            if is_value(constant(ops, b), 1.0, false) {
                return Some(Folded::Same(a));
            }
        }
        KOp::Where(c, a, b) => {
            if let Some(s) = constant(ops, c) {
                return Some(Folded::Same(if s.as_bool() { a } else { b }));
            }
        }
        _ => {}
    }
    None
}

fn op_is_cmp(op: &KOp) -> bool {
    matches!(op, KOp::Binary(b, _, _) if b.is_comparison())
}
