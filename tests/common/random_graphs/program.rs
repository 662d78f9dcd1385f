//! A random program: a list of steps over numbered values `v0, v1, ...`, replayable in any
//! evaluation mode. Every step is built through the public API; `apply` returns `Err` (and the
//! generator skips the step) where NumPy's rules would refuse it.

use lazynp as np;
use lazynp::shape::broadcast_pair;
use lazynp::{Array, Axes, BinaryOp, DType, ReduceOp, SliceInfo};

/// Leaf elements: floats as f64, ints and bools as i128.
#[derive(Clone, Debug)]
pub enum LeafData {
    F(Vec<f64>),
    I(Vec<i128>),
}

/// A weak (Rust) scalar operand.
#[derive(Clone, Copy, Debug)]
pub enum Weak {
    I(i64),
    F(f64),
    B(bool),
}

/// The second operand of a binary op.
#[derive(Clone, Copy, Debug)]
pub enum Rhs {
    Node(usize),
    /// `v op scalar`.
    Weak(Weak),
    /// `scalar op v` (only `i64`/`f64` scalars have left-hand operator impls).
    WeakLeft(Weak),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Un {
    Neg,
    Not,
    Exp,
    Log,
    Log1p,
    Expm1,
    Sqrt,
    Abs,
    Tanh,
    Sin,
    Cos,
    Floor,
    Ceil,
    Round,
    Sign,
    Sigmoid,
    Relu,
    IsNan,
    IsFinite,
}

impl Un {
    pub const ALL: [Un; 19] = [
        Un::Neg,
        Un::Not,
        Un::Exp,
        Un::Log,
        Un::Log1p,
        Un::Expm1,
        Un::Sqrt,
        Un::Abs,
        Un::Tanh,
        Un::Sin,
        Un::Cos,
        Un::Floor,
        Un::Ceil,
        Un::Round,
        Un::Sign,
        Un::Sigmoid,
        Un::Relu,
        Un::IsNan,
        Un::IsFinite,
    ];
    /// Transcendental: compared with a tolerance.
    pub fn transcendental(self) -> bool {
        matches!(
            self,
            Un::Exp | Un::Log | Un::Log1p | Un::Expm1 | Un::Tanh | Un::Sin | Un::Cos | Un::Sigmoid
        )
    }
    /// Continuous (error-bounded) on inexact float input.
    pub fn continuous(self) -> bool {
        self.transcendental() || matches!(self, Un::Neg | Un::Abs | Un::Sqrt | Un::Relu)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Red {
    Sum,
    Prod,
    Max,
    Min,
    Mean,
    Std,
    Var,
    ArgMax,
    ArgMin,
    All,
    Any,
}

impl Red {
    pub const ALL: [Red; 11] = [
        Red::Sum,
        Red::Prod,
        Red::Max,
        Red::Min,
        Red::Mean,
        Red::Std,
        Red::Var,
        Red::ArgMax,
        Red::ArgMin,
        Red::All,
        Red::Any,
    ];
}

#[derive(Clone, Debug)]
pub enum Step {
    Leaf {
        dtype: DType,
        shape: Vec<usize>,
        data: LeafData,
    },
    Binary {
        op: BinaryOp,
        a: usize,
        b: Rhs,
    },
    Unary {
        op: Un,
        a: usize,
    },
    Clip {
        a: usize,
        lo: Weak,
        hi: Weak,
    },
    AsType {
        a: usize,
        dtype: DType,
    },
    Where {
        c: usize,
        a: usize,
        b: Rhs,
    },
    T {
        a: usize,
    },
    Transpose {
        a: usize,
        perm: Vec<isize>,
    },
    Slice {
        a: usize,
        info: SliceInfo,
    },
    ExpandDims {
        a: usize,
        axis: isize,
    },
    Squeeze {
        a: usize,
        axis: Option<isize>,
    },
    Reshape {
        a: usize,
        dims: Vec<isize>,
    },
    BroadcastTo {
        a: usize,
        shape: Vec<usize>,
    },
    Reduce {
        op: Red,
        a: usize,
        /// `None`: all axes.
        axes: Option<Vec<isize>>,
        keepdims: bool,
    },
    Take {
        a: usize,
        idx: Vec<i64>,
        idx_shape: Vec<usize>,
        axis: isize,
    },
    Concat {
        parts: Vec<usize>,
        axis: isize,
    },
    Matmul {
        a: usize,
        b: usize,
    },
    /// Evaluate `v` now (in the replay's mode): later graphs read it as a realised leaf.
    Eval {
        a: usize,
    },
    /// Drop the handle to `v` (its node is then only an intermediate of later graphs).
    Drop {
        a: usize,
    },
}

impl Step {
    /// The value indices this step reads.
    pub fn inputs(&self) -> Vec<usize> {
        match self {
            Step::Leaf { .. } => vec![],
            Step::Binary { a, b, .. } => match b {
                Rhs::Node(n) => vec![*a, *n],
                _ => vec![*a],
            },
            Step::Where { c, a, b } => match b {
                Rhs::Node(n) => vec![*c, *a, *n],
                _ => vec![*c, *a],
            },
            Step::Concat { parts, .. } => parts.clone(),
            Step::Matmul { a, b } => vec![*a, *b],
            Step::Unary { a, .. }
            | Step::Clip { a, .. }
            | Step::AsType { a, .. }
            | Step::T { a }
            | Step::Transpose { a, .. }
            | Step::Slice { a, .. }
            | Step::ExpandDims { a, .. }
            | Step::Squeeze { a, .. }
            | Step::Reshape { a, .. }
            | Step::BroadcastTo { a, .. }
            | Step::Reduce { a, .. }
            | Step::Take { a, .. }
            | Step::Eval { a }
            | Step::Drop { a } => vec![*a],
        }
    }

    /// The same step reading `f(i)` instead of each value `i`.
    pub fn map_inputs(&self, f: impl Fn(usize) -> usize) -> Step {
        let rhs = |b: &Rhs| match b {
            Rhs::Node(n) => Rhs::Node(f(*n)),
            w => *w,
        };
        let mut s = self.clone();
        match &mut s {
            Step::Leaf { .. } => {}
            Step::Binary { a, b, .. } => (*a, *b) = (f(*a), rhs(b)),
            Step::Where { c, a, b } => (*c, *a, *b) = (f(*c), f(*a), rhs(b)),
            Step::Concat { parts, .. } => parts.iter_mut().for_each(|p| *p = f(*p)),
            Step::Matmul { a, b } => (*a, *b) = (f(*a), f(*b)),
            Step::Unary { a, .. }
            | Step::Clip { a, .. }
            | Step::AsType { a, .. }
            | Step::T { a }
            | Step::Transpose { a, .. }
            | Step::Slice { a, .. }
            | Step::ExpandDims { a, .. }
            | Step::Squeeze { a, .. }
            | Step::Reshape { a, .. }
            | Step::BroadcastTo { a, .. }
            | Step::Reduce { a, .. }
            | Step::Take { a, .. }
            | Step::Eval { a }
            | Step::Drop { a } => *a = f(*a),
        }
        s
    }

    /// True if the step creates a new value.
    pub fn creates(&self) -> bool {
        !matches!(self, Step::Eval { .. } | Step::Drop { .. })
    }
}

macro_rules! with_weak {
    ($w:expr, |$v:ident| $body:expr) => {
        match $w {
            Weak::I($v) => $body,
            Weak::F($v) => $body,
            Weak::B($v) => $body,
        }
    };
}

fn kind_dtype(w: Weak) -> np::Kind {
    match w {
        Weak::I(_) => np::Kind::Int,
        Weak::F(_) => np::Kind::Float,
        Weak::B(_) => np::Kind::Bool,
    }
}

/// Would `array op weak` be refused (NumPy 2 raises)?
fn weak_refused(op: BinaryOp, dt: DType, w: Weak) -> bool {
    let common = np::promote_weak(dt, kind_dtype(w));
    let compute = match op {
        BinaryOp::Div => common.float_result(),
        BinaryOp::FloorDiv | BinaryOp::Mod | BinaryOp::Pow if common == DType::Bool => DType::I8,
        _ => common,
    };
    let bitwise = matches!(op, BinaryOp::And | BinaryOp::Or | BinaryOp::Xor);
    let out_of_range = match (w, compute.int_range()) {
        (Weak::I(v), Some((lo, hi))) => {
            compute != DType::Bool && ((v as i128) < lo || v as i128 > hi)
        }
        _ => false,
    };
    (op == BinaryOp::Sub && common == DType::Bool) || (bitwise && common.is_float()) || out_of_range
}

fn weak_binary(op: BinaryOp, a: &Array, w: Weak, left: bool) -> Result<Array, String> {
    if weak_refused(op, a.dtype(), w) {
        return Err("refused weak operand".into());
    }
    // `int_array ** -k` raises when the call is made (NumPy: "Integers to negative integer
    // powers are not allowed.").
    if !left && op == BinaryOp::Pow && matches!(w, Weak::I(v) if v < 0) {
        let common = np::promote_weak(a.dtype(), np::Kind::Int);
        if common.is_int() || common == DType::Bool {
            return Err("refused negative integer power".into());
        }
    }
    if left {
        return match (op, w) {
            (BinaryOp::Add, Weak::F(s)) => Ok(s + a),
            (BinaryOp::Sub, Weak::F(s)) => Ok(s - a),
            (BinaryOp::Mul, Weak::F(s)) => Ok(s * a),
            (BinaryOp::Div, Weak::F(s)) => Ok(s / a),
            (BinaryOp::Mod, Weak::F(s)) => Ok(s % a),
            (BinaryOp::Add, Weak::I(s)) => Ok(s + a),
            (BinaryOp::Sub, Weak::I(s)) => Ok(s - a),
            (BinaryOp::Mul, Weak::I(s)) => Ok(s * a),
            (BinaryOp::Div, Weak::I(s)) => Ok(s / a),
            (BinaryOp::Mod, Weak::I(s)) => Ok(s % a),
            (BinaryOp::And, Weak::I(s)) => Ok(s & a),
            (BinaryOp::Or, Weak::I(s)) => Ok(s | a),
            (BinaryOp::Xor, Weak::I(s)) => Ok(s ^ a),
            (BinaryOp::Maximum, w) => Ok(with_weak!(w, |s| np::maximum(s, a))),
            (BinaryOp::Minimum, w) => Ok(with_weak!(w, |s| np::minimum(s, a))),
            _ => Err("no left-hand scalar form".into()),
        };
    }
    Ok(with_weak!(w, |s| match op {
        BinaryOp::Add => a + s,
        BinaryOp::Sub => a - s,
        BinaryOp::Mul => a * s,
        BinaryOp::Div => a / s,
        BinaryOp::Mod => a % s,
        BinaryOp::FloorDiv => a.floor_div(s),
        BinaryOp::Pow => a.pow(s),
        BinaryOp::Maximum => np::maximum(a, s),
        BinaryOp::Minimum => np::minimum(a, s),
        BinaryOp::Eq => a.equal(s),
        BinaryOp::Ne => a.not_equal(s),
        BinaryOp::Lt => a.lt(s),
        BinaryOp::Le => a.le(s),
        BinaryOp::Gt => a.gt(s),
        BinaryOp::Ge => a.ge(s),
        BinaryOp::And => a & s,
        BinaryOp::Or => a | s,
        BinaryOp::Xor => a ^ s,
    }))
}

pub fn leaf(dtype: DType, shape: &[usize], data: &LeafData) -> Array {
    let s = shape.to_vec();
    let r = match (data, dtype) {
        (LeafData::F(v), DType::F32) => {
            Array::from_shape_vec(s, v.iter().map(|&x| x as f32).collect())
        }
        (LeafData::F(v), _) => Array::from_shape_vec(s, v.clone()),
        (LeafData::I(v), DType::Bool) => {
            Array::from_shape_vec(s, v.iter().map(|&x| x != 0).collect())
        }
        (LeafData::I(v), DType::I8) => {
            Array::from_shape_vec(s, v.iter().map(|&x| x as i8).collect())
        }
        (LeafData::I(v), DType::I32) => {
            Array::from_shape_vec(s, v.iter().map(|&x| x as i32).collect())
        }
        (LeafData::I(v), DType::U8) => {
            Array::from_shape_vec(s, v.iter().map(|&x| x as u8).collect())
        }
        (LeafData::I(v), DType::U32) => {
            Array::from_shape_vec(s, v.iter().map(|&x| x as u32).collect())
        }
        (LeafData::I(v), _) => Array::from_shape_vec(s, v.iter().map(|&x| x as i64).collect()),
    };
    r.expect("leaf data matches its shape")
}

fn get(nodes: &[Option<Array>], i: usize) -> Result<&Array, String> {
    nodes
        .get(i)
        .and_then(|n| n.as_ref())
        .ok_or_else(|| format!("v{i} is not live"))
}

fn axes_of(axes: &Option<Vec<isize>>) -> Axes {
    match axes {
        None => Axes::All,
        Some(l) => Axes::List(l.clone()),
    }
}

fn reduce(op: Red, x: &Array, axes: &Option<Vec<isize>>, keep: bool) -> Result<Array, String> {
    let ax = axes_of(axes);
    let resolved = ax.resolve(x.ndim()).map_err(|e| e.to_string())?;
    let empty = resolved.iter().any(|&a| x.shape()[a] == 0) || (axes.is_none() && x.size() == 0);
    let rop = match op {
        Red::Sum => ReduceOp::Sum,
        Red::Prod => ReduceOp::Prod,
        Red::Max => ReduceOp::Max,
        Red::Min => ReduceOp::Min,
        Red::ArgMax => ReduceOp::ArgMax,
        Red::ArgMin => ReduceOp::ArgMin,
        Red::All => ReduceOp::All,
        Red::Any => ReduceOp::Any,
        Red::Mean | Red::Var | Red::Std => {
            return Ok(match (op, keep) {
                (Red::Mean, false) => x.mean(ax),
                (Red::Mean, true) => x.mean_keepdims(ax),
                (Red::Var, false) => x.var(ax),
                (Red::Var, true) => x.var_keepdims(ax),
                (_, false) => x.std(ax),
                (_, true) => x.std_keepdims(ax),
            });
        }
    };
    if empty && matches!(op, Red::Max | Red::Min | Red::ArgMax | Red::ArgMin) {
        return Err("empty max/argmax panics by design".into());
    }
    x.try_reduce(rop, ax, keep).map_err(|e| e.to_string())
}

/// Builds the step's value from the live values (`Ok(None)` for `Eval`/`Drop`).
pub fn apply(step: &Step, nodes: &[Option<Array>]) -> Result<Option<Array>, String> {
    let e = |r: np::Result<Array>| r.map_err(|e| e.to_string());
    let out = match step {
        Step::Leaf { dtype, shape, data } => leaf(*dtype, shape, data),
        Step::Binary { op, a, b } => {
            let x = get(nodes, *a)?;
            match b {
                Rhs::Node(i) => e(x.try_binary(*op, get(nodes, *i)?))?,
                Rhs::Weak(w) => weak_binary(*op, x, *w, false)?,
                Rhs::WeakLeft(w) => weak_binary(*op, x, *w, true)?,
            }
        }
        Step::Unary { op, a } => {
            let x = get(nodes, *a)?;
            let dt = x.dtype();
            match op {
                Un::Neg if dt == DType::Bool => return Err("-bool".into()),
                Un::Not if dt.is_float() => return Err("~float".into()),
                Un::Sign if dt == DType::Bool => return Err("sign(bool)".into()),
                _ => {}
            }
            match op {
                Un::Neg => -x,
                Un::Not => !x,
                Un::Exp => x.exp(),
                Un::Log => x.log(),
                Un::Log1p => x.log1p(),
                Un::Expm1 => x.expm1(),
                Un::Sqrt => x.sqrt(),
                Un::Abs => x.abs(),
                Un::Tanh => x.tanh(),
                Un::Sin => x.sin(),
                Un::Cos => x.cos(),
                Un::Floor => x.floor(),
                Un::Ceil => x.ceil(),
                Un::Round => x.round(),
                Un::Sign => x.sign(),
                Un::Sigmoid => x.sigmoid(),
                Un::Relu => x.relu(),
                Un::IsNan => x.isnan(),
                Un::IsFinite => x.isfinite(),
            }
        }
        Step::Clip { a, lo, hi } => {
            let x = get(nodes, *a)?;
            if weak_refused(BinaryOp::Maximum, x.dtype(), *lo)
                || weak_refused(BinaryOp::Minimum, x.dtype(), *hi)
            {
                return Err("clip bounds out of range".into());
            }
            with_weak!(*lo, |l| with_weak!(*hi, |h| x.clip(l, h)))
        }
        Step::AsType { a, dtype } => get(nodes, *a)?.astype(*dtype),
        Step::Where { c, a, b } => {
            let (c, x) = (get(nodes, *c)?, get(nodes, *a)?);
            let bshape: Vec<usize> = match b {
                Rhs::Node(i) => get(nodes, *i)?.shape().to_vec(),
                _ => vec![],
            };
            let s = broadcast_pair(c.shape(), x.shape()).ok_or("where: shapes")?;
            broadcast_pair(&s, &bshape).ok_or("where: shapes")?;
            match b {
                Rhs::Node(i) => np::where_(c, x, get(nodes, *i)?),
                Rhs::Weak(w) | Rhs::WeakLeft(w) => {
                    if weak_refused(BinaryOp::Add, x.dtype(), *w) {
                        return Err("where: weak out of range".into());
                    }
                    with_weak!(*w, |s| np::where_(c, x, s))
                }
            }
        }
        Step::T { a } => get(nodes, *a)?.t(),
        Step::Transpose { a, perm } => e(get(nodes, *a)?.try_transpose(perm))?,
        Step::Slice { a, info } => e(get(nodes, *a)?.try_slice(info))?,
        Step::ExpandDims { a, axis } => {
            let x = get(nodes, *a)?;
            let n = x.ndim() as isize + 1;
            if *axis < -n || *axis >= n {
                return Err("expand_dims axis".into());
            }
            x.expand_dims(*axis)
        }
        Step::Squeeze { a, axis } => {
            let x = get(nodes, *a)?;
            match axis {
                None => x.squeeze(..),
                Some(ax) => {
                    let n = x.ndim() as isize;
                    if *ax < -n || *ax >= n || x.shape()[ax.rem_euclid(n.max(1)) as usize] != 1 {
                        return Err("squeeze axis".into());
                    }
                    x.squeeze(*ax)
                }
            }
        }
        Step::Reshape { a, dims } => e(get(nodes, *a)?.try_reshape(dims.clone()))?,
        Step::BroadcastTo { a, shape } => e(get(nodes, *a)?.try_broadcast_to(shape))?,
        Step::Reduce {
            op,
            a,
            axes,
            keepdims,
        } => reduce(*op, get(nodes, *a)?, axes, *keepdims)?,
        Step::Take {
            a,
            idx,
            idx_shape,
            axis,
        } => {
            let ind = e(Array::from_shape_vec(idx_shape.clone(), idx.clone()))?;
            e(get(nodes, *a)?.try_take(&ind, *axis))?
        }
        Step::Concat { parts, axis } => {
            let xs = parts
                .iter()
                .map(|&i| get(nodes, i))
                .collect::<Result<Vec<_>, _>>()?;
            let first = xs[0];
            let nd = first.ndim() as isize;
            if nd == 0 || *axis < -nd || *axis >= nd {
                return Err("concat axis".into());
            }
            let ax = axis.rem_euclid(nd) as usize;
            let compatible = xs.iter().all(|x| {
                x.ndim() == first.ndim()
                    && (0..x.ndim()).all(|d| d == ax || x.shape()[d] == first.shape()[d])
            });
            if !compatible {
                return Err("concat shapes".into());
            }
            np::concatenate(&xs, *axis)
        }
        Step::Matmul { a, b } => e(get(nodes, *a)?.try_matmul(get(nodes, *b)?))?,
        Step::Eval { .. } | Step::Drop { .. } => return Ok(None),
    };
    Ok(Some(out))
}
