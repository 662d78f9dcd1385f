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

fn rs_f64(f: f64) -> String {
    if f.is_nan() {
        "f64::NAN".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            "f64::INFINITY"
        } else {
            "f64::NEG_INFINITY"
        }
        .into()
    } else {
        format!("{f:?}")
    }
}

fn rs_weak(w: Weak) -> String {
    match w {
        Weak::I(i) => format!("Weak::I({i})"),
        Weak::F(f) => format!("Weak::F({})", rs_f64(f)),
        Weak::B(b) => format!("Weak::B({b})"),
    }
}

fn rs_rhs(b: &Rhs) -> String {
    match b {
        Rhs::Node(i) => format!("Rhs::Node({i})"),
        Rhs::Weak(w) => format!("Rhs::Weak({})", rs_weak(*w)),
        Rhs::WeakLeft(w) => format!("Rhs::WeakLeft({})", rs_weak(*w)),
    }
}

fn rs_opt(o: &Option<isize>) -> String {
    o.map_or("None".into(), |v| format!("Some({v})"))
}

fn rs_slice(info: &SliceInfo) -> String {
    let parts: Vec<String> = info
        .0
        .iter()
        .map(|a| match a {
            SliceArg::Index(i) => format!("SliceArg::Index({i})"),
            SliceArg::NewAxis => "SliceArg::NewAxis".into(),
            SliceArg::Range { start, stop, step } => format!(
                "SliceArg::Range {{ start: {}, stop: {}, step: {step} }}",
                rs_opt(start),
                rs_opt(stop)
            ),
        })
        .collect();
    format!("SliceInfo(vec![{}])", parts.join(", "))
}

/// One step as a Rust expression building it.
fn rs_step(s: &Step) -> String {
    match s {
        Step::Leaf { dtype, shape, data } => {
            let data = match data {
                LeafData::F(v) => {
                    let v: Vec<String> = v.iter().map(|&f| rs_f64(f)).collect();
                    format!("LeafData::F(vec![{}])", v.join(", "))
                }
                LeafData::I(v) => format!("LeafData::I(vec!{v:?})"),
            };
            format!("Step::Leaf {{ dtype: DType::{dtype:?}, shape: vec!{shape:?}, data: {data} }}")
        }
        Step::Binary { op, a, b } => {
            format!(
                "Step::Binary {{ op: BinaryOp::{op:?}, a: {a}, b: {} }}",
                rs_rhs(b)
            )
        }
        Step::Unary { op, a } => format!("Step::Unary {{ op: Un::{op:?}, a: {a} }}"),
        Step::Clip { a, lo, hi } => format!(
            "Step::Clip {{ a: {a}, lo: {}, hi: {} }}",
            rs_weak(*lo),
            rs_weak(*hi)
        ),
        Step::AsType { a, dtype } => format!("Step::AsType {{ a: {a}, dtype: DType::{dtype:?} }}"),
        Step::Where { c, a, b } => {
            format!("Step::Where {{ c: {c}, a: {a}, b: {} }}", rs_rhs(b))
        }
        Step::T { a } => format!("Step::T {{ a: {a} }}"),
        Step::Transpose { a, perm } => format!("Step::Transpose {{ a: {a}, perm: vec!{perm:?} }}"),
        Step::Slice { a, info } => format!("Step::Slice {{ a: {a}, info: {} }}", rs_slice(info)),
        Step::ExpandDims { a, axis } => format!("Step::ExpandDims {{ a: {a}, axis: {axis} }}"),
        Step::Squeeze { a, axis } => {
            format!("Step::Squeeze {{ a: {a}, axis: {} }}", rs_opt(axis))
        }
        Step::Reshape { a, dims } => format!("Step::Reshape {{ a: {a}, dims: vec!{dims:?} }}"),
        Step::BroadcastTo { a, shape } => {
            format!("Step::BroadcastTo {{ a: {a}, shape: vec!{shape:?} }}")
        }
        Step::Reduce {
            op,
            a,
            axes,
            keepdims,
        } => {
            let axes = axes
                .as_ref()
                .map_or("None".into(), |v| format!("Some(vec!{v:?})"));
            format!(
                "Step::Reduce {{ op: Red::{op:?}, a: {a}, axes: {axes}, keepdims: {keepdims} }}"
            )
        }
        Step::Take {
            a,
            idx,
            idx_shape,
            axis,
        } => format!(
            "Step::Take {{ a: {a}, idx: vec!{idx:?}, idx_shape: vec!{idx_shape:?}, axis: {axis} }}"
        ),
        Step::Concat { parts, axis } => {
            format!("Step::Concat {{ parts: vec!{parts:?}, axis: {axis} }}")
        }
        Step::Matmul { a, b } => format!("Step::Matmul {{ a: {a}, b: {b} }}"),
        Step::Eval { a } => format!("Step::Eval {{ a: {a} }}"),
        Step::Drop { a } => format!("Step::Drop {{ a: {a} }}"),
    }
}

/// The program as a regression test to paste into `tests/random_graphs.rs`: it rebuilds the
/// exact steps and runs them in every mode against the oracle.
pub fn as_test(seed: u64, steps: &[Step]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "#[test]");
    let _ = writeln!(out, "fn regression_seed_{seed}() {{");
    let _ = writeln!(out, "    let steps = vec![");
    for s in steps {
        let _ = writeln!(out, "        {},", rs_step(s));
    }
    let _ = writeln!(out, "    ];");
    let _ = writeln!(
        out,
        "    let p = generator::from_steps({seed}, steps).expect(\"a valid program\");"
    );
    let _ = writeln!(out, "    check_program(&p).unwrap();");
    let _ = writeln!(out, "}}");
    out
}
