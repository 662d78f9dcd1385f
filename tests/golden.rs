//! Golden tests: NumPy is the oracle. `scripts/gen_golden.py` wrote inputs and NumPy's outputs
//! under tests/fixtures/golden with a MANIFEST; every case is rebuilt here with the lazynp API,
//! evaluated with the reference interpreter AND with the default `eval()`, and both results
//! must match NumPy's (same dtype, same shape, values per the tolerance of the op).
//!
//! Tolerances (floats only; integers, bools, movement, casts, comparisons and every op that
//! IEEE 754 defines as correctly rounded, such as + - * / sqrt, are compared bit for bit,
//! with any NaN equal to any NaN):
//! - `exp log log1p expm1 tanh sin cos sigmoid` and float `pow`: within 4 ulp of NumPy. Neither
//!   side is correctly rounded: NumPy's float32 (and some float64) loops use SIMD
//!   approximations documented to within a few ulp, and libm is within 1 ulp.
//! - `sum mean prod var std matmul dot`: within `2 * n * eps * scale`, the textbook bound for
//!   recursive or pairwise summation, where `n` is the number of input elements (a conservative
//!   stand-in for the reduced length) and `scale` is the same op on |inputs| (NumPy's sum is
//!   pairwise in blocks; lazynp's accumulation order may differ).
//! - `inv`: within `1000 * eps * max|inv|` (the generated matrices have condition number < 10).
//! - `linspace`: 4 ulp (NumPy computes `start + i * step` with a final fix-up).
//!
//! Non-finite expected values must be matched exactly (NaN by NaN, inf by the same inf).

use lazynp::{Array, DType, EvalOptions, Scalar, SliceArg, SliceInfo};
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden")
}

struct Case {
    name: String,
    op: String,
    params: HashMap<String, String>,
    inputs: Vec<(String, Option<String>)>,
    expected: String,
    scale: Option<String>,
}

fn manifest() -> Vec<Case> {
    let text = std::fs::read_to_string(dir().join("MANIFEST")).expect("golden MANIFEST");
    text.lines()
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 6, "bad manifest line {line:?}");
            let params = if f[2] == "-" {
                HashMap::new()
            } else {
                f[2].split(' ')
                    .map(|kv| {
                        let (k, v) = kv.split_once('=').expect("key=value");
                        (k.to_string(), v.to_string())
                    })
                    .collect()
            };
            let inputs = if f[3] == "-" {
                vec![]
            } else {
                f[3].split(' ')
                    .map(|s| match s.split_once('@') {
                        Some((file, v)) => (file.to_string(), Some(v.to_string())),
                        None => (s.to_string(), None),
                    })
                    .collect()
            };
            Case {
                name: f[0].to_string(),
                op: f[1].to_string(),
                params,
                inputs,
                expected: f[4].to_string(),
                scale: (f[5] != "-").then(|| f[5].to_string()),
            }
        })
        .collect()
}

fn load(file: &str) -> Array {
    lazynp::load(dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Applies a view spec: `T` or a NumPy index like `::-1,1::2` / `0`.
fn view(x: &Array, spec: &Option<String>) -> Array {
    let Some(spec) = spec else { return x.clone() };
    if spec == "T" {
        return x.t();
    }
    let args = spec
        .split(',')
        .map(|part| {
            let num = |s: &str| (!s.is_empty()).then(|| s.parse::<isize>().expect("int"));
            let bits: Vec<&str> = part.split(':').collect();
            match bits.len() {
                1 => SliceArg::Index(bits[0].parse().expect("index")),
                _ => SliceArg::Range {
                    start: num(bits[0]),
                    stop: num(bits[1]),
                    step: bits.get(2).and_then(|s| num(s)).unwrap_or(1),
                },
            }
        })
        .collect();
    x.slice(SliceInfo(args))
}

fn scalar(s: &str) -> Scalar {
    match s {
        "true" => Scalar::Bool(true),
        "false" => Scalar::Bool(false),
        _ if s.contains(['.', 'e', 'n']) => Scalar::Float(s.parse().expect("float")),
        _ => Scalar::Int(s.parse().expect("int")),
    }
}

/// Calls `$x.$m(scalar)` with the scalar as its natural Rust type (weak promotion).
macro_rules! with_scalar {
    ($s:expr, $v:ident => $e:expr) => {
        match scalar($s) {
            Scalar::Bool($v) => $e,
            Scalar::Int($v) => $e,
            Scalar::UInt($v) => $e,
            Scalar::Float($v) => $e,
        }
    };
}

fn dtype(name: &str) -> DType {
    let code = match name {
        "bool" => "b1",
        "i8" => "i1",
        "i16" => "i2",
        "i32" => "i4",
        "i64" => "i8",
        "u8" => "u1",
        "u16" => "u2",
        "u32" => "u4",
        "u64" => "u8",
        "f32" => "f4",
        "f64" => "f8",
        other => panic!("dtype {other}"),
    };
    DType::from_npy_code(code).expect("known code")
}

fn ints(s: &str) -> Vec<isize> {
    s.split(',')
        .filter(|d| !d.is_empty())
        .map(|d| d.parse().expect("int"))
        .collect()
}

fn axes(p: &HashMap<String, String>) -> lazynp::Axes {
    match p.get("axis").map(String::as_str) {
        None | Some("none") => lazynp::Axes::All,
        Some(a) => lazynp::Axes::List(ints(a)),
    }
}

/// Builds the case's expression over fresh views of the inputs.
fn build(c: &Case, leaves: &[Array]) -> Array {
    let xs: Vec<Array> = leaves
        .iter()
        .zip(&c.inputs)
        .map(|(x, (_, v))| view(x, v))
        .collect();
    let p = &c.params;
    let get = |k: &str| {
        p.get(k)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("param {k}"))
    };
    let keep = p.get("keepdims").is_some_and(|k| k == "1");
    let x = xs.first();
    let x0 = || x.expect("an input");
    let y = || xs.get(1).expect("a second input");
    let bin = |op: &str| -> Array {
        if let Some(s) = p.get("s") {
            let x = x0();
            return match op {
                "add" => with_scalar!(s, v => x + v),
                "sub" => with_scalar!(s, v => x - v),
                "mul" => with_scalar!(s, v => x * v),
                "div" => with_scalar!(s, v => x / v),
                "mod" => with_scalar!(s, v => x % v),
                "floor_div" => with_scalar!(s, v => x.floor_div(v)),
                "pow" => with_scalar!(s, v => x.pow(v)),
                "maximum" => with_scalar!(s, v => lazynp::maximum(x, v)),
                "minimum" => with_scalar!(s, v => lazynp::minimum(x, v)),
                "gt" => with_scalar!(s, v => x.gt(v)),
                "ge" => with_scalar!(s, v => x.ge(v)),
                "lt" => with_scalar!(s, v => x.lt(v)),
                "le" => with_scalar!(s, v => x.le(v)),
                "eq" => with_scalar!(s, v => x.equal(v)),
                "ne" => with_scalar!(s, v => x.not_equal(v)),
                other => panic!("scalar op {other}"),
            };
        }
        let (a, b) = (x0(), y());
        match op {
            "add" => a + b,
            "sub" => a - b,
            "mul" => a * b,
            "div" => a / b,
            "mod" => a % b,
            "floor_div" => a.floor_div(b),
            "pow" => a.pow(b),
            "maximum" => lazynp::maximum(a, b),
            "minimum" => lazynp::minimum(a, b),
            "gt" => a.gt(b),
            "ge" => a.ge(b),
            "lt" => a.lt(b),
            "le" => a.le(b),
            "eq" => a.equal(b),
            "ne" => a.not_equal(b),
            "and" => a & b,
            "or" => a | b,
            "xor" => a ^ b,
            "logical_and" => a.logical_and(b),
            "logical_or" => a.logical_or(b),
            other => panic!("binary op {other}"),
        }
    };
    let red = |f: fn(&Array, lazynp::Axes) -> Array, fk: fn(&Array, lazynp::Axes) -> Array| {
        if keep {
            fk(x0(), axes(p))
        } else {
            f(x0(), axes(p))
        }
    };
    let refs: Vec<&Array> = xs.iter().collect();
    match c.op.as_str() {
        "exp" => x0().exp(),
        "log" => x0().log(),
        "log1p" => x0().log1p(),
        "expm1" => x0().expm1(),
        "sqrt" => x0().sqrt(),
        "tanh" => x0().tanh(),
        "sin" => x0().sin(),
        "cos" => x0().cos(),
        "round" => x0().round(),
        "abs" => x0().abs(),
        "floor" => x0().floor(),
        "ceil" => x0().ceil(),
        "sign" => x0().sign(),
        "isnan" => x0().isnan(),
        "isfinite" => x0().isfinite(),
        "neg" => -x0(),
        "square" => x0().square(),
        "relu" => x0().relu(),
        "logical_not" => x0().logical_not(),
        "sigmoid" => x0().sigmoid(),
        "sum" => red(|x, a| x.sum(a), |x, a| x.sum_keepdims(a)),
        "prod" => red(|x, a| x.prod(a), |x, a| x.prod_keepdims(a)),
        "mean" => red(|x, a| x.mean(a), |x, a| x.mean_keepdims(a)),
        "max" => red(|x, a| x.max(a), |x, a| x.max_keepdims(a)),
        "min" => red(|x, a| x.min(a), |x, a| x.min_keepdims(a)),
        "all" => red(|x, a| x.all(a), |x, a| x.all_keepdims(a)),
        "any" => red(|x, a| x.any(a), |x, a| x.any_keepdims(a)),
        "argmax" => red(|x, a| x.argmax(a), |x, a| x.argmax_keepdims(a)),
        "argmin" => red(|x, a| x.argmin(a), |x, a| x.argmin_keepdims(a)),
        "var" | "std" if p.contains_key("ddof") => {
            let ddof = get("ddof").parse().expect("ddof");
            if c.op == "var" {
                x0().var_ddof(axes(p), ddof)
            } else {
                x0().std_ddof(axes(p), ddof)
            }
        }
        "var" => red(|x, a| x.var(a), |x, a| x.var_keepdims(a)),
        "std" => red(|x, a| x.std(a), |x, a| x.std_keepdims(a)),
        "astype" => x0().astype(dtype(get("dtype"))),
        "clip" if xs.len() == 3 => x0().clip(&xs[1], &xs[2]),
        "clip" => with_scalar!(get("lo"), lo => with_scalar!(get("hi"), hi => x0().clip(lo, hi))),
        "where" => lazynp::where_(x0(), y(), &xs[2]),
        "matmul" => x0().matmul(y()),
        "dot" => x0().dot(y()),
        "take" => x0().take(y(), get("axis").parse().expect("axis")),
        "masked" => x0().masked(y()).expect("mask"),
        "concatenate" => lazynp::concatenate(&refs, get("axis").parse().expect("axis")),
        "stack" => lazynp::stack(&refs, get("axis").parse().expect("axis")),
        "split" => {
            let parts = lazynp::split(
                x0(),
                get("sections").parse().expect("sections"),
                get("axis").parse().expect("axis"),
            );
            parts[get("part").parse::<usize>().expect("part")].clone()
        }
        "reshape" => x0().reshape(ints(get("shape"))),
        "transpose" => x0().try_transpose(&ints(get("axes"))).expect("transpose"),
        "expand_dims" => x0().expand_dims(get("axis").parse().expect("axis")),
        "squeeze" => x0().squeeze(axes(p)),
        "flatten" => x0().flatten(),
        "broadcast_to" => {
            let shape: Vec<usize> = ints(get("shape")).iter().map(|&d| d as usize).collect();
            x0().try_broadcast_to(&shape).expect("broadcast")
        }
        "index" => x0().i(get("i").parse::<isize>().expect("i")),
        "copy" => x0().clone(),
        "inv" => lazynp::linalg::inv(x0()).expect("inv"),
        "arange" => match (
            scalar(get("start")),
            scalar(get("stop")),
            scalar(get("step")),
        ) {
            (Scalar::Int(a), Scalar::Int(b), Scalar::Int(s)) => lazynp::arange(a, b, s),
            (a, b, s) => lazynp::arange(a.as_f64(), b.as_f64(), s.as_f64()),
        },
        "linspace" => lazynp::linspace(
            scalar(get("start")).as_f64(),
            scalar(get("stop")).as_f64(),
            get("num").parse().expect("num"),
        ),
        "eye" => lazynp::eye(get("n").parse().expect("n"), dtype(get("dtype"))),
        other => bin(other),
    }
}

#[derive(Clone, Copy, Debug)]
enum Tol {
    Exact,
    Ulp(u64),
    Accum,
    Inv,
}

fn tolerance(op: &str) -> Tol {
    match op {
        "exp" | "log" | "log1p" | "expm1" | "tanh" | "sin" | "cos" | "sigmoid" | "pow" => {
            Tol::Ulp(4)
        }
        "linspace" => Tol::Ulp(4),
        "sum" | "mean" | "prod" | "var" | "std" | "matmul" | "dot" => Tol::Accum,
        "inv" => Tol::Inv,
        _ => Tol::Exact,
    }
}

/// Elements as f64 (floats) or exact integers.
enum Vals {
    F(Vec<f64>, f64),
    I(Vec<i128>),
}

fn vals(a: &Array) -> Result<Vals, lazynp::Error> {
    let i = |v: Vec<i128>| Ok(Vals::I(v));
    match a.dtype() {
        DType::F32 => Ok(Vals::F(
            a.to_vec::<f32>()?.into_iter().map(f64::from).collect(),
            f32::EPSILON as f64,
        )),
        DType::F64 => Ok(Vals::F(a.to_vec::<f64>()?, f64::EPSILON)),
        DType::Bool => i(a.to_vec::<bool>()?.into_iter().map(i128::from).collect()),
        DType::I8 => i(a.to_vec::<i8>()?.into_iter().map(i128::from).collect()),
        DType::I16 => i(a.to_vec::<i16>()?.into_iter().map(i128::from).collect()),
        DType::I32 => i(a.to_vec::<i32>()?.into_iter().map(i128::from).collect()),
        DType::I64 => i(a.to_vec::<i64>()?.into_iter().map(i128::from).collect()),
        DType::U8 => i(a.to_vec::<u8>()?.into_iter().map(i128::from).collect()),
        DType::U16 => i(a.to_vec::<u16>()?.into_iter().map(i128::from).collect()),
        DType::U32 => i(a.to_vec::<u32>()?.into_iter().map(i128::from).collect()),
        DType::U64 => i(a.to_vec::<u64>()?.into_iter().map(i128::from).collect()),
    }
}

/// Distance to the next representable value above |x| in the dtype with epsilon `eps`.
fn ulp(x: f64, eps: f64) -> f64 {
    let (min_normal, tiny) = if eps == f64::EPSILON {
        (f64::MIN_POSITIVE, f64::from_bits(1))
    } else {
        (f32::MIN_POSITIVE as f64, f32::from_bits(1) as f64)
    };
    if x.abs() < min_normal {
        tiny
    } else {
        let e = x.abs().log2().floor();
        eps * 2f64.powf(e)
    }
}

/// Compares `got` with NumPy's `want`; `bound[i]` is the allowed error for Accum/Inv.
fn compare(
    got: &Array,
    want: &Array,
    tol: Tol,
    scale: Option<&[f64]>,
    n: usize,
) -> Result<(), String> {
    if got.dtype() != want.dtype() || got.shape() != want.shape() {
        return Err(format!(
            "dtype/shape {} {:?}, NumPy {} {:?}",
            got.dtype(),
            got.shape(),
            want.dtype(),
            want.shape()
        ));
    }
    match (
        vals(got).map_err(|e| e.to_string())?,
        vals(want).map_err(|e| e.to_string())?,
    ) {
        (Vals::I(g), Vals::I(w)) => {
            if g != w {
                return Err(format!("got {g:?}\n   NumPy {w:?}"));
            }
        }
        (Vals::F(g, eps), Vals::F(w, _)) => {
            let max_w = w
                .iter()
                .filter(|v| v.is_finite())
                .fold(0f64, |m, v| m.max(v.abs()));
            for (k, (&a, &b)) in g.iter().zip(&w).enumerate() {
                let ok = if b.is_nan() || a.is_nan() {
                    a.is_nan() && b.is_nan()
                } else if !b.is_finite() || !a.is_finite() {
                    a == b
                } else {
                    match tol {
                        Tol::Exact => a.to_bits() == b.to_bits(),
                        Tol::Ulp(u) => (a - b).abs() <= u as f64 * ulp(b, eps),
                        Tol::Accum => {
                            let s = scale.map_or(b.abs(), |s| s[k]);
                            (a - b).abs() <= 2.0 * n as f64 * eps * s + ulp(b, eps)
                        }
                        Tol::Inv => (a - b).abs() <= 1000.0 * eps * max_w,
                    }
                };
                if !ok {
                    return Err(format!(
                        "element {k}: got {a:e}, NumPy {b:e} ({tol:?})\n   got {g:?}\n   NumPy {w:?}"
                    ));
                }
            }
        }
        _ => unreachable!("same dtype"),
    }
    Ok(())
}

fn run_case(c: &Case) -> Result<(), String> {
    let leaves: Vec<Array> = c.inputs.iter().map(|(f, _)| load(f)).collect();
    let want = load(&c.expected);
    let scale = match &c.scale {
        Some(f) => Some(
            load(f)
                .astype(DType::F64)
                .to_vec::<f64>()
                .map_err(|e| e.to_string())?,
        ),
        None => None,
    };
    let n = leaves.iter().map(Array::size).max().unwrap_or(1).max(1);
    for (label, opts) in [
        ("interpreter", Some(EvalOptions::interpreter())),
        ("eval()", None),
    ] {
        // A fresh graph per backend: an evaluated node keeps its result.
        let built = catch_unwind(AssertUnwindSafe(|| build(c, &leaves)))
            .map_err(|e| format!("{label}: build panicked: {}", panic_msg(&e)))?;
        let result = match &opts {
            Some(o) => built.eval_with(o),
            None => built.eval(),
        };
        let got = result.map_err(|e| format!("{label}: {e}"))?;
        compare(&got, &want, tolerance(&c.op), scale.as_deref(), n)
            .map_err(|e| format!("{label}: {e}"))?;
    }
    Ok(())
}

fn panic_msg(e: &Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn golden_numpy_cases() {
    let cases = manifest();
    assert!(cases.len() > 1500, "only {} cases", cases.len());
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut failures = Vec::new();
    for c in &cases {
        let r = catch_unwind(AssertUnwindSafe(|| run_case(c)))
            .unwrap_or_else(|e| Err(format!("panicked: {}", panic_msg(&e))));
        if let Err(e) = r {
            let inputs: Vec<String> = c
                .inputs
                .iter()
                .map(|(f, v)| {
                    format!(
                        "{f}{}",
                        v.as_ref().map_or(String::new(), |v| format!("@{v}"))
                    )
                })
                .collect();
            failures.push(format!(
                "{} [{} {:?} {:?}]: {e}",
                c.name, c.op, c.params, inputs
            ));
        }
    }
    std::panic::set_hook(hook);
    let ops: std::collections::BTreeSet<&str> = cases.iter().map(|c| c.op.as_str()).collect();
    assert!(ops.len() >= 60, "ops covered: {ops:?}");
    if !failures.is_empty() {
        let shown: Vec<&String> = failures.iter().take(60).collect();
        panic!(
            "{} of {} golden cases differ from NumPy:\n{}",
            failures.len(),
            cases.len(),
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
