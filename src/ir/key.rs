//! Plan identity: an exact, canonical encoding of a lowered graph's structure.
//!
//! Two evaluations may share a plan (and its compiled kernels) exactly when their keys are
//! equal. The key holds every node's op, dtype, shape, input indices and whether it must be
//! stored, plus the roots — but not leaf data, not the start offset of a view of a leaf
//! (`x.i(k)`, `x.slice(s![t..t + 1])`, a row of `eye(n)`), and not the value of a *parameter*
//! constant. Those are bound when the plan runs (`runtime::exec`), so a loop whose indices and
//! scalars change reuses one plan and one set of kernels.
//!
//! Which constants are literals (their value is part of the key) and which are parameters is
//! decided by [`const_is_literal`]: the values the simplifier's rewrites look at (`x * 1`,
//! `x + 0`, `x ** 2`, `where(true, ..)`) and the non-finite sentinels are literals; everything
//! else (learning rates, `1e-8`, `0.9`) is a parameter, loaded by the kernel from a one-element
//! argument. A parameter view or constant is never merged with another by CSE (its value may
//! differ next time), so plans never depend on two parameters being equal.
//!
//! The key is compared in full on every cache hit; its hash only picks the bucket
//! ([`crate::hashing`]).

use super::node::Node;
use super::op::Op;
use crate::dtype::{DType, Scalar};
use std::fmt::Write;

/// True if a constant's value is part of the plan key (a literal); false for a parameter.
pub fn const_is_literal(s: Scalar) -> bool {
    match s {
        Scalar::Bool(_) => true,
        Scalar::Int(i) => (-1..=2).contains(&i),
        Scalar::UInt(u) => u <= 2,
        Scalar::Float(f) => f == 0.0 || f == 1.0 || f == -1.0 || f == 2.0 || !f.is_finite(),
    }
}

/// A node whose op carries a run-time parameter: a view of a leaf (its offset), a constant
/// that is not a literal (its value), or an update through a view (its offset: the update loop
/// reads the view from the node at every run).
pub fn is_param(op: &Op, input_realized: impl Fn() -> bool) -> bool {
    match op {
        Op::Const(s) => !const_is_literal(*s),
        Op::View(_) => input_realized(),
        Op::Data
        | Op::Unary(_)
        | Op::Binary(_)
        | Op::Where
        | Op::Cast(_)
        | Op::Contiguous
        | Op::Reduce { .. }
        | Op::Concat { .. }
        | Op::Take { .. }
        | Op::Matmul => false,
        // `x[i] = v` with `i` changing between runs: the update reads its view from the node.
        Op::Update { target, .. } => matches!(target, super::op::UpdateTarget::View(_)),
    }
}

// Node tags (low byte of a node's first word).
const LEAF: u64 = 0;
const CONST: u64 = 1;
const PARAM_CONST: u64 = 2;
const UNARY: u64 = 3;
const BINARY: u64 = 4;
const WHERE: u64 = 5;
const CAST: u64 = 6;
const VIEW: u64 = 7;
const PARAM_VIEW: u64 = 8;
const CONTIGUOUS: u64 = 9;
const REDUCE: u64 = 10;
const CONCAT: u64 = 11;
const TAKE: u64 = 12;
const MATMUL: u64 = 13;
const DATA: u64 = 14;
const ROOTS: u64 = 15;
const UPDATE: u64 = 16;

fn dtype_code(d: DType) -> u64 {
    d as u64
}

fn scalar_words(s: Scalar) -> [u64; 2] {
    match s {
        Scalar::Bool(b) => [0, b as u64],
        Scalar::Int(i) => [1, i as u64],
        Scalar::UInt(u) => [2, u],
        Scalar::Float(f) => [3, f.to_bits()],
    }
}

/// Appends node `n`'s words: `[tag | dtype << 8 | stored << 16 | ndim << 32, dims..,
/// n_inputs, inputs.., payload..]` (leaves: tag, dtype and dims only).
pub(crate) fn encode_node(
    out: &mut Vec<u64>,
    n: &Node,
    realized: bool,
    stored: bool,
    inputs: &[usize],
    param: bool,
) {
    let tag = if realized {
        LEAF
    } else {
        match &n.op {
            Op::Data => DATA,
            Op::Const(_) if param => PARAM_CONST,
            Op::Const(_) => CONST,
            Op::Unary(_) => UNARY,
            Op::Binary(_) => BINARY,
            Op::Where => WHERE,
            Op::Cast(_) => CAST,
            Op::View(_) if param => PARAM_VIEW,
            Op::View(_) => VIEW,
            Op::Contiguous => CONTIGUOUS,
            Op::Reduce { .. } => REDUCE,
            Op::Concat { .. } => CONCAT,
            Op::Take { .. } => TAKE,
            Op::Matmul => MATMUL,
            Op::Update { .. } => UPDATE,
        }
    };
    out.push(tag | dtype_code(n.dtype) << 8 | (stored as u64) << 16 | (n.shape.len() as u64) << 32);
    out.extend(n.shape.iter().map(|&d| d as u64));
    if realized {
        return;
    }
    out.push(inputs.len() as u64);
    out.extend(inputs.iter().map(|&k| k as u64));
    match &n.op {
        Op::Data | Op::Where | Op::Contiguous | Op::Matmul => {}
        Op::Const(_) if param => {}
        Op::Const(s) => out.extend(scalar_words(*s)),
        Op::Unary(u) => out.push(*u as u64),
        Op::Binary(b) => out.push(*b as u64),
        Op::Cast(d) => out.push(dtype_code(*d)),
        Op::View(v) => {
            out.extend(v.strides.iter().map(|&s| s as u64));
            if !param {
                out.push(v.offset as u64);
            }
        }
        Op::Reduce { op, axes } => {
            out.push(*op as u64);
            out.push(axes.len() as u64);
            out.extend(axes.iter().map(|&a| a as u64));
        }
        Op::Concat { axis } | Op::Take { axis } => out.push(*axis as u64),
        Op::Update { mode, target } => {
            out.push(*mode as u64);
            match target {
                super::op::UpdateTarget::View(v) => {
                    out.push(0);
                    out.extend(v.strides.iter().map(|&s| s as u64));
                    if !param {
                        out.push(v.offset as u64);
                    }
                }
                super::op::UpdateTarget::Index { axis } => out.extend([1, *axis as u64]),
                super::op::UpdateTarget::Along { axis } => out.extend([2, *axis as u64]),
                super::op::UpdateTarget::Mask => out.push(3),
            }
        }
    }
}

/// Appends the roots (the end of a key).
pub(crate) fn encode_roots(out: &mut Vec<u64>, roots: &[usize]) {
    out.push(ROOTS | (roots.len() as u64) << 32);
    out.extend(roots.iter().map(|&r| r as u64));
}

/// One decoded node of a key (for telling the user why a plan was rebuilt).
#[derive(Debug, PartialEq)]
struct Decoded<'a> {
    tag: u64,
    dtype: u64,
    stored: bool,
    dims: &'a [u64],
    rest: &'a [u64],
}

/// Splits a key into its nodes; `None` if the words are not a key this module wrote.
fn decode(words: &[u64]) -> Option<Vec<Decoded<'_>>> {
    let mut nodes = Vec::new();
    let mut at = 0;
    while at < words.len() {
        let head = words[at];
        let tag = head & 0xff;
        let nd = (head >> 32) as usize;
        if tag == ROOTS {
            return Some(nodes);
        }
        let dims = words.get(at + 1..at + 1 + nd)?;
        let mut end = at + 1 + nd;
        if tag != LEAF {
            let n_in = *words.get(end)? as usize;
            end += 1 + n_in;
            end += match tag {
                CONST => 2,
                UNARY | BINARY | CAST | CONCAT | TAKE => 1,
                VIEW => nd + 1,
                PARAM_VIEW => nd,
                REDUCE => 2 + *words.get(end + 1)? as usize,
                _ => 0,
            };
        }
        let rest = words.get(at + 1 + nd..end)?;
        nodes.push(Decoded {
            tag,
            dtype: (head >> 8) & 0xff,
            stored: (head >> 16) & 1 == 1,
            dims,
            rest,
        });
        at = end;
    }
    Some(nodes)
}

fn shape_text(dims: &[u64]) -> String {
    let d: Vec<usize> = dims.iter().map(|&x| x as usize).collect();
    crate::shape::tuple(&d, ", ")
}

fn tag_name(tag: u64) -> &'static str {
    match tag {
        LEAF => "input",
        CONST | PARAM_CONST => "constant",
        UNARY => "unary op",
        BINARY => "binary op",
        WHERE => "where",
        CAST => "cast",
        VIEW | PARAM_VIEW => "view",
        CONTIGUOUS => "copy",
        REDUCE => "reduction",
        CONCAT => "concatenate",
        TAKE => "take",
        MATMUL => "matmul",
        UPDATE => "update",
        _ => "node",
    }
}

/// How key `new` differs from `old`, in a user's words: "shape of input 2 changed (64,) →
/// (65,)", "graph has 12 nodes, the closest cached plan 11".
pub fn describe_difference(old: &[u64], new: &[u64]) -> String {
    let (Some(a), Some(b)) = (decode(old), decode(new)) else {
        return "the graph changed".into();
    };
    let mut leaf = 0;
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        if y.tag == LEAF {
            leaf += 1;
        }
        if x == y {
            continue;
        }
        let what = if y.tag == LEAF {
            format!("input {}", leaf - 1)
        } else {
            format!("node %{i} ({})", tag_name(y.tag))
        };
        let mut s = String::new();
        if x.tag != y.tag {
            let _ = write!(s, "{what} was a {} before", tag_name(x.tag));
        } else if x.dims != y.dims {
            let _ = write!(
                s,
                "shape of {what} changed {} → {}",
                shape_text(x.dims),
                shape_text(y.dims)
            );
        } else if x.dtype != y.dtype {
            let _ = write!(s, "dtype of {what} changed");
        } else if x.stored != y.stored {
            let held = if y.stored { "is" } else { "is no longer" };
            let _ = write!(s, "{what} {held} held by another handle");
        } else if y.tag == CONST {
            let _ = write!(s, "literal value of {what} changed");
        } else {
            let _ = write!(s, "inputs or parameters of {what} changed");
        }
        return s;
    }
    if a.len() != b.len() {
        return format!(
            "graph has {} nodes, the closest cached plan {}",
            b.len(),
            a.len()
        );
    }
    "the roots changed".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_the_values_rewrites_read() {
        assert!(const_is_literal(Scalar::Float(1.0)));
        assert!(const_is_literal(Scalar::Float(-0.0)));
        assert!(const_is_literal(Scalar::Float(f64::INFINITY)));
        assert!(const_is_literal(Scalar::Int(2)));
        assert!(!const_is_literal(Scalar::Float(0.01)));
        assert!(!const_is_literal(Scalar::Int(7)));
    }

    fn key_of(y: &crate::Array) -> Vec<u64> {
        crate::ir::Graph::lower(std::slice::from_ref(y.node())).key
    }

    #[test]
    fn offsets_and_parameters_are_not_in_the_key_literals_are() {
        let x = crate::array([[1.0f32, 2.0], [3.0, 4.0]]);
        assert_eq!(key_of(&(x.i(0) * 0.3)), key_of(&(x.i(1) * 0.7)));
        assert_ne!(key_of(&(&x * 1.0)), key_of(&(&x * 3.0)));
        assert_ne!(key_of(&(&x * 2.0)), key_of(&(&x + 2.0)));
    }

    #[test]
    fn an_update_at_a_changing_index_has_one_key() {
        let x = crate::zeros([6, 3], DType::F64).eval().unwrap();
        let key = |sel: crate::SliceInfo| {
            let mut y = &x * 1.0;
            y.assign(sel, 1.0);
            key_of(&y)
        };
        assert_eq!(key(crate::s![1]), key(crate::s![4]));
        assert_ne!(key(crate::s![1]), key(crate::s![1..3]));
    }

    #[test]
    fn a_miss_says_what_changed() {
        let a = crate::zeros([64], DType::F32).eval().unwrap();
        let b = crate::zeros([65], DType::F32).eval().unwrap();
        let c = crate::ones([3], DType::F32).eval().unwrap();
        let old = key_of(&(&(&c * 2.0) + &a.sum(..)));
        let new = key_of(&(&(&c * 2.0) + &b.sum(..)));
        let why = describe_difference(&old, &new);
        assert!(why.contains("(64,) → (65,)"), "{why}");
        assert!(why.starts_with("shape of input"), "{why}");
        let longer = key_of(&(&(&(&c * 2.0) + &a.sum(..)) + 1.0));
        assert!(describe_difference(&old, &longer).contains("node"));
    }
}
