//! Programs as readable NumPy-like text, for failure reports.

use super::program::{LeafData, Rhs, Step, Weak};
use lazynp::{SliceArg, SliceInfo};
use std::fmt::Write;

fn fmt_rhs(b: &Rhs) -> String {
    match b {
        Rhs::Node(i) => format!("v{i}"),
        Rhs::Weak(w) | Rhs::WeakLeft(w) => fmt_weak(*w),
    }
}

fn fmt_weak(w: Weak) -> String {
    match w {
        Weak::I(i) => format!("{i}"),
        Weak::F(f) => format!("{f:?}"),
        Weak::B(b) => format!("{b}"),
    }
}

fn fmt_slice(info: &SliceInfo) -> String {
    let parts: Vec<String> = info
        .0
        .iter()
        .map(|a| match a {
            SliceArg::Index(i) => format!("{i}"),
            SliceArg::NewAxis => "None".into(),
            SliceArg::Range { start, stop, step } => {
                let f = |o: &Option<isize>| o.map_or(String::new(), |v| v.to_string());
                format!("{}:{}:{step}", f(start), f(stop))
            }
        })
        .collect();
    parts.join(", ")
}

/// The program as NumPy-like text, one line per step.
pub fn describe(steps: &[Step]) -> String {
    let mut out = String::new();
    let mut next = 0;
    for s in steps {
        let lhs = format!("v{next} = ");
        let line = match s {
            Step::Leaf { dtype, shape, data } => {
                let body = match data {
                    LeafData::F(v) if v.len() <= 40 => format!("{v:?}"),
                    LeafData::I(v) if v.len() <= 40 => format!("{v:?}"),
                    LeafData::F(v) => format!("[{} floats: {:?}, ...]", v.len(), &v[..8]),
                    LeafData::I(v) => format!("[{} ints: {:?}, ...]", v.len(), &v[..8]),
                };
                format!("{lhs}np.array({body}, {dtype}).reshape({shape:?})")
            }
            Step::Binary { op, a, b } => match b {
                Rhs::WeakLeft(_) => format!("{lhs}{op:?}({}, v{a})", fmt_rhs(b)),
                _ => format!("{lhs}{op:?}(v{a}, {})", fmt_rhs(b)),
            },
            Step::Unary { op, a } => format!("{lhs}{op:?}(v{a})"),
            Step::Clip { a, lo, hi } => {
                format!("{lhs}clip(v{a}, {}, {})", fmt_weak(*lo), fmt_weak(*hi))
            }
            Step::AsType { a, dtype } => format!("{lhs}v{a}.astype({dtype})"),
            Step::Where { c, a, b } => format!("{lhs}where(v{c}, v{a}, {})", fmt_rhs(b)),
            Step::T { a } => format!("{lhs}v{a}.T"),
            Step::Transpose { a, perm } => format!("{lhs}v{a}.transpose({perm:?})"),
            Step::Slice { a, info } => format!("{lhs}v{a}[{}]", fmt_slice(info)),
            Step::ExpandDims { a, axis } => format!("{lhs}expand_dims(v{a}, {axis})"),
            Step::Squeeze { a, axis } => format!("{lhs}v{a}.squeeze({axis:?})"),
            Step::Reshape { a, dims } => format!("{lhs}v{a}.reshape({dims:?})"),
            Step::BroadcastTo { a, shape } => format!("{lhs}broadcast_to(v{a}, {shape:?})"),
            Step::Reduce {
                op,
                a,
                axes,
                keepdims,
            } => {
                format!("{lhs}{op:?}(v{a}, axis={axes:?}, keepdims={keepdims})")
            }
            Step::Take {
                a,
                idx,
                idx_shape,
                axis,
            } => {
                format!("{lhs}take(v{a}, np.array({idx:?}).reshape({idx_shape:?}), axis={axis})")
            }
            Step::Concat { parts, axis } => {
                let p: Vec<String> = parts.iter().map(|i| format!("v{i}")).collect();
                format!("{lhs}concatenate([{}], axis={axis})", p.join(", "))
            }
            Step::Matmul { a, b } => format!("{lhs}v{a} @ v{b}"),
            Step::Eval { a } => format!("v{a}.eval()"),
            Step::Drop { a } => format!("del v{a}"),
        };
        if s.creates() {
            next += 1;
        }
        let _ = writeln!(out, "  {line}");
    }
    out
}
