//! Which values are exact, and absolute error bounds for the others.
//!
//! Tolerances (u = unit roundoff: 2^-24 for f32, 2^-53 for f64; eta = the smallest normal, which
//! covers the absolute error of one rounding in the subnormal range):
//! - Exact ops (integer and bool ops, movement, comparisons, casts, where, max/min/argmax, IEEE
//!   `+ - * /` and sqrt, floor/ceil/round, float `//` and `%`) are compared bit for bit (any NaN
//!   equals any NaN): the JIT and the interpreter must compute the same correctly rounded value.
//! - Transcendentals and float `pow` may differ by a few ulp between implementations; we allow a
//!   relative `rtol` of 1e-5 (f32, ~170 ulp) and 1e-12 (f64, ~4500 ulp).
//! - Float reductions sum in a different order: a recursive or pairwise sum of n terms has error
//!   at most (n-1)·u·Σ|x| (Higham, Accuracy and Stability, §4.2), so the bound is n·u·Σ|x|.
//!   Mean divides that by n (plus one rounding). For var = mean((x-m)²) an error δ in m changes
//!   Σ(x-m)² by only nδ² (Σ(x-m) = 0), and each d = x - m carries E = e_x + e_m + 2u(|x|+|m|),
//!   so e_var = mean(2|d|E + E²) + (n+3)·u·var; std = sqrt(var) has error ≤ min(e/√var, √e).
//!   Products have no cancellation: n·u·|z|, unless some order may over- or underflow (then
//!   0, inf and NaN = 0·inf are all legitimate and the element is not compared).
//!   Matmul with inner length k: k·u·(|A|@|B|) (the same dot-product bound).
//! - Once a value is inexact, later ops carry a running bound (a f64 array computed by the
//!   interpreter from the oracle's values): add/sub add the bounds, mul uses |x|e_y + |y|e_x +
//!   e_x e_y, div (e_x + |z| e_y)/(|y| - e_y), max/min take the larger bound, exp/log/sqrt/... use
//!   their derivative on the interval, movement ops move the bound with the value, plus one
//!   rounding u|z| + eta per op. Discontinuous ops (comparisons, floor, casts to int, argmax, ...)
//!   are never applied to inexact values: the generator only feeds them exact ones.
//! - Two computed values may each be off by the bound, so they must agree within 2x the bound;
//!   the comparison allows 4x for the first-order terms dropped above.

use super::program::{Red, Rhs, Step, Un, Weak, apply};
use lazynp as np;
use lazynp::{Array, BinaryOp, DType, ReduceOp};

/// Unit roundoff, subnormal floor and transcendental tolerance of a float dtype.
pub fn units(dt: DType) -> (f64, f64, f64) {
    if dt == DType::F32 {
        (2f64.powi(-24), f32::MIN_POSITIVE as f64, 1e-5)
    } else {
        (2f64.powi(-53), f64::MIN_POSITIVE, 1e-12)
    }
}

/// Err if the step may not take inexact inputs; else whether its result is exact.
pub fn exactness(step: &Step, exact: &[bool], out: &Array) -> Result<bool, String> {
    let all = step.inputs().iter().all(|&i| exact[i]);
    let deny = |ok: bool| {
        if all || ok {
            Ok(())
        } else {
            Err("inexact input".to_string())
        }
    };
    let float = out.dtype().is_float();
    Ok(match step {
        Step::Leaf { .. } => true,
        Step::Binary { op, .. } => {
            use BinaryOp::*;
            deny(matches!(op, Add | Sub | Mul | Div | Maximum | Minimum))?;
            all && !(*op == Pow && float)
        }
        Step::Unary { op, .. } => {
            deny(op.continuous())?;
            all && !op.transcendental()
        }
        Step::AsType { dtype, .. } => {
            deny(dtype.is_float())?;
            all
        }
        Step::Where { c, .. } => {
            if !exact[*c] {
                return Err("inexact condition".into());
            }
            all
        }
        Step::Reduce { op, .. } => {
            deny(matches!(
                op,
                Red::Sum | Red::Max | Red::Min | Red::Mean | Red::Var | Red::Std
            ))?;
            all && match op {
                Red::Sum | Red::Prod => !float,
                Red::Mean | Red::Var | Red::Std => false,
                _ => true,
            }
        }
        Step::Matmul { .. } => all && !float,
        _ => all,
    })
}

fn f(x: &Array) -> Array {
    x.astype(DType::F64)
}
fn abs(x: &Array) -> Array {
    f(x).abs()
}
fn plus(a: Option<Array>, b: Option<Array>) -> Option<Array> {
    match (a, b) {
        (Some(a), Some(b)) => Some(&a + &b),
        (a, None) => a,
        (None, b) => b,
    }
}
fn or0(e: &Option<Array>, like: &Array) -> Array {
    e.clone()
        .unwrap_or_else(|| np::zeros(like.shape().to_vec(), DType::F64))
}
/// One rounding of `z`.
fn rnd(z: &Array) -> Array {
    let (u, eta, _) = units(z.dtype());
    &abs(z) * u + eta
}
fn r(x: np::Result<Array>) -> Result<Array, String> {
    x.map_err(|e| format!("bound: {e}"))
}

fn unary_bound(op: Un, x: &Array, ex: Option<Array>, z: &Array) -> Result<Array, String> {
    let (u, eta, rtol) = units(z.dtype());
    let az = abs(z);
    let Some(ex) = ex else {
        let rel = if op == Un::Sigmoid {
            rtol + 3.0 * u
        } else {
            rtol
        };
        return Ok(&az * rel + eta);
    };
    let x64 = f(x);
    let inf = f64::INFINITY;
    Ok(match op {
        Un::Neg | Un::Abs | Un::Relu => ex,
        Un::Sqrt => {
            let lo = &x64 - &ex;
            let inside = np::minimum(&ex / &lo.sqrt(), ex.sqrt());
            let outside = np::where_(&(&x64 + &ex).lt(0.0), 0.0, inf);
            np::where_(&lo.ge(0.0), &inside, &outside) + rnd(z)
        }
        Un::Exp => &az * &(ex.expm1() * (1.0 + rtol) + rtol) + eta,
        Un::Expm1 => (&az + 1.0) * ex.expm1() * (1.0 + rtol) + &az * rtol + eta,
        Un::Log | Un::Log1p => {
            let xs = if op == Un::Log { x64 } else { &x64 + 1.0 };
            let lo = &xs - &ex;
            let outside = np::where_(&(&xs + &ex).lt(0.0), 0.0, inf);
            np::where_(&lo.gt(0.0), &(&ex / &lo), &outside) + &az * rtol + eta
        }
        // Bounded outputs, but an unbounded input may be ±inf on one side (sin/cos give NaN).
        Un::Tanh | Un::Sin | Un::Cos => {
            np::where_(&ex.isfinite(), np::minimum(&ex, 2.0), inf) + &az * rtol + eta
        }
        Un::Sigmoid => &ex * 0.25 + &az * (rtol + 3.0 * u) + eta,
        _ => return Err(format!("bound: {op:?} on inexact input")),
    })
}

fn weak_array(w: Weak) -> Array {
    np::scalar(match w {
        Weak::I(i) => i as f64,
        Weak::F(v) => v,
        Weak::B(b) => b as i32 as f64,
    })
}

fn binary_bound(
    step: &Step,
    nodes: &[Option<Array>],
    bounds: &[Option<Array>],
    z: &Array,
) -> Result<Array, String> {
    let Step::Binary { op, a, b } = step else {
        unreachable!()
    };
    let node = |i: usize| nodes[i].clone().ok_or("dead input");
    let (mut x, mut ex) = (node(*a)?, bounds[*a].clone());
    let (mut y, mut ey) = match b {
        Rhs::Node(i) => (node(*i)?, bounds[*i].clone()),
        Rhs::Weak(w) | Rhs::WeakLeft(w) => (weak_array(*w), None),
    };
    if let Rhs::WeakLeft(_) = b {
        std::mem::swap(&mut x, &mut y);
        std::mem::swap(&mut ex, &mut ey);
    }
    let (_, eta, rtol) = units(z.dtype());
    let none = || "bound: exact operands".to_string();
    Ok(match op {
        BinaryOp::Add | BinaryOp::Sub => plus(ex, ey).ok_or_else(none)? + rnd(z),
        BinaryOp::Mul => {
            let t = plus(
                ey.as_ref().map(|e| &abs(&x) * e),
                ex.as_ref().map(|e| &abs(&y) * e),
            );
            let t = plus(t, ex.zip(ey).map(|(a, b)| &a * &b));
            t.ok_or_else(none)? + rnd(z)
        }
        BinaryOp::Div => {
            let num = plus(ex, ey.as_ref().map(|e| &abs(z) * e)).ok_or_else(none)?;
            let den = match &ey {
                Some(e) => np::maximum(&abs(&y) - e, 0.0),
                None => abs(&y),
            };
            &num / &den + rnd(z)
        }
        BinaryOp::Maximum | BinaryOp::Minimum => match (ex, ey) {
            (Some(a), Some(b)) => np::maximum(&a, &b),
            (a, b) => a.or(b).ok_or_else(none)?,
        },
        BinaryOp::Pow => &abs(z) * rtol + eta,
        other => return Err(format!("bound: {other:?} on inexact input")),
    })
}

fn reduce_bound(
    x: &Array,
    ex: Option<Array>,
    op: Red,
    axes: &Option<Vec<isize>>,
    keep: bool,
    z: &Array,
) -> Result<Array, String> {
    let ax = || match axes {
        None => np::Axes::All,
        Some(l) => np::Axes::List(l.clone()),
    };
    let resolved = ax().resolve(x.ndim()).map_err(|e| e.to_string())?;
    let n = resolved.iter().map(|&a| x.shape()[a]).product::<usize>() as f64;
    let (u, eta, _) = units(z.dtype());
    let sum = |a: &Array, k: bool| r(a.try_reduce(ReduceOp::Sum, ax(), k));
    let ex0 = or0(&ex, x);
    let to_out = |a: Array| r(a.try_reshape(z.shape().to_vec()));
    Ok(match op {
        Red::Sum => sum(&ex0, keep)? + sum(&abs(x), keep)? * (n * u) + (n + 1.0) * eta,
        Red::Prod => {
            // Without over/underflow a product has error ≤ n·u·|z| in any order. If some order
            // may leave the normal range (partial products lie within [e^lo, e^hi]), results
            // legitimately differ (0, inf or NaN = 0·inf): unbounded.
            let (emin, emax) = if z.dtype() == DType::F32 {
                (-126.0, 128.0)
            } else {
                (-1022.0, 1024.0)
            };
            let lg = np::where_(&abs(x).equal(0.0), 0.0, abs(x).log());
            let hi = sum(&np::maximum(&lg, 0.0), keep)?;
            let lo = sum(&np::minimum(&lg, 0.0), keep)?;
            let ln2 = std::f64::consts::LN_2;
            let safe = hi.lt((emax - 1.0) * ln2) & lo.gt((emin + 1.0) * ln2);
            np::where_(
                &safe,
                &abs(z) * (2.0 * n * u) + (n + 1.0) * eta,
                f64::INFINITY,
            )
        }
        Red::Max | Red::Min => r(ex0.try_reduce(ReduceOp::Max, ax(), keep))?,
        Red::Mean => (sum(&ex0, keep)? + sum(&abs(x), keep)? * (n * u)) / n + rnd(z) + eta,
        Red::Var | Red::Std => {
            let x64 = f(x);
            let m = x64.mean_keepdims(ax());
            let d = &x64 - &m;
            let em = (sum(&ex0, true)? + sum(&abs(x), true)? * (n * u)) / n + &m.abs() * u + eta;
            let big_e = &ex0 + &em + (abs(x) + m.abs()) * (2.0 * u) + eta;
            let var = (&d * &d).mean_keepdims(ax());
            let ev = (&d.abs() * &big_e * 2.0 + &big_e * &big_e).mean_keepdims(ax())
                + &var * ((n + 3.0) * u)
                + eta;
            if op == Red::Var {
                to_out(ev)?
            } else {
                to_out(np::minimum(&ev / &var.sqrt(), ev.sqrt()) + var.sqrt() * u + eta)?
            }
        }
        Red::ArgMax | Red::ArgMin | Red::All | Red::Any => {
            return Err(format!("bound: {op:?} is exact"));
        }
    })
}

/// The error bound of the value `z` that `step` just built (None: exact).
///
/// One exception to "exact means bitwise": the sign of a zero that a float max/min reduction picks
/// among ±0 ties depends on the order of its comparisons (in NumPy too: `np.min([0., -0.])` is
/// -0.0 and `np.min([-0., 0.])` is 0.0), and a vectorised loop compares in another order than the
/// interpreter. Such a result gets a zero bound (equal but for the sign of zero), carried through
/// later exact steps where they can take it.
pub fn step_bound(
    step: &Step,
    nodes: &[Option<Array>],
    bounds: &[Option<Array>],
    exact: bool,
    z: &Array,
) -> Result<Option<Array>, String> {
    if exact {
        let zero_tie = matches!(
            step,
            Step::Reduce {
                op: Red::Max | Red::Min,
                ..
            }
        ) && z.dtype().is_float();
        if zero_tie {
            return Ok(Some(np::zeros(z.shape().to_vec(), DType::F64)));
        }
        if step.inputs().iter().all(|&i| bounds[i].is_none()) || !z.dtype().is_float() {
            return Ok(None);
        }
        return Ok(inexact_bound(step, nodes, bounds, z).ok().flatten());
    }
    inexact_bound(step, nodes, bounds, z)
}

fn inexact_bound(
    step: &Step,
    nodes: &[Option<Array>],
    bounds: &[Option<Array>],
    z: &Array,
) -> Result<Option<Array>, String> {
    let node = |i: usize| {
        nodes[i]
            .clone()
            .ok_or_else(|| "bound: dead input".to_string())
    };
    let moved = |a: usize, s: Step| -> Result<Array, String> {
        let e = or0(&bounds[a], &node(a)?);
        apply(&s, &[Some(e)])?.ok_or_else(|| "bound: no value".into())
    };
    let e = match step {
        Step::Binary { .. } => binary_bound(step, nodes, bounds, z)?,
        Step::Unary { op, a } => unary_bound(*op, &node(*a)?, bounds[*a].clone(), z)?,
        Step::Clip { a, .. } => or0(&bounds[*a], &node(*a)?),
        Step::AsType { a, .. } => or0(&bounds[*a], &node(*a)?) + rnd(z),
        Step::Where { c, a, b } => {
            let ea = or0(&bounds[*a], &node(*a)?);
            match b {
                Rhs::Node(i) => np::where_(&node(*c)?, &ea, or0(&bounds[*i], &node(*i)?)),
                _ => np::where_(&node(*c)?, &ea, 0.0),
            }
        }
        Step::T { a } => moved(*a, Step::T { a: 0 })?,
        Step::Transpose { a, perm } => moved(
            *a,
            Step::Transpose {
                a: 0,
                perm: perm.clone(),
            },
        )?,
        Step::Slice { a, info } => moved(
            *a,
            Step::Slice {
                a: 0,
                info: info.clone(),
            },
        )?,
        Step::ExpandDims { a, axis } => moved(*a, Step::ExpandDims { a: 0, axis: *axis })?,
        Step::Squeeze { a, axis } => moved(*a, Step::Squeeze { a: 0, axis: *axis })?,
        Step::Reshape { a, dims } => moved(
            *a,
            Step::Reshape {
                a: 0,
                dims: dims.clone(),
            },
        )?,
        Step::BroadcastTo { a, shape } => moved(
            *a,
            Step::BroadcastTo {
                a: 0,
                shape: shape.clone(),
            },
        )?,
        Step::Take {
            a,
            idx,
            idx_shape,
            axis,
        } => moved(
            *a,
            Step::Take {
                a: 0,
                idx: idx.clone(),
                idx_shape: idx_shape.clone(),
                axis: *axis,
            },
        )?,
        Step::Concat { parts, axis } => {
            let es = parts
                .iter()
                .map(|&i| Ok(Some(or0(&bounds[i], &node(i)?))))
                .collect::<Result<Vec<_>, String>>()?;
            let s = Step::Concat {
                parts: (0..parts.len()).collect(),
                axis: *axis,
            };
            apply(&s, &es)?.ok_or("bound: no value")?
        }
        Step::Reduce {
            op,
            a,
            axes,
            keepdims,
        } => reduce_bound(&node(*a)?, bounds[*a].clone(), *op, axes, *keepdims, z)?,
        Step::Matmul { a, b } => {
            let (x, y) = (node(*a)?, node(*b)?);
            let (u, eta, _) = units(z.dtype());
            let k = *x.shape().last().unwrap_or(&1) as f64;
            let mm = |p: &Array, q: &Array| r(p.try_matmul(q));
            let mut e = mm(&abs(&x), &abs(&y))? * (k * u) + (k + 1.0) * eta;
            if let Some(ey) = &bounds[*b] {
                e += mm(&abs(&x), ey)?;
            }
            if let Some(ex) = &bounds[*a] {
                e += mm(ex, &abs(&y))?;
                if let Some(ey) = &bounds[*b] {
                    e += mm(ex, ey)?;
                }
            }
            e
        }
        Step::Leaf { .. } | Step::Eval { .. } | Step::Drop { .. } => {
            return Err("bound: not a value step".into());
        }
    };
    let e = if e.shape() == z.shape() {
        e
    } else {
        r(e.try_broadcast_to(z.shape()))?
    };
    Ok(Some(e))
}
