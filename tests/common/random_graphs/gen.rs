//! The seeded generator: 1-3 random leaves, then 1-12 random ops that NumPy accepts.

use super::bounds::exactness;
use super::program::{LeafData, Red, Rhs, Step, Un, Weak, apply};
use lazynp::shape::broadcast_pair;
use lazynp::{Array, BinaryOp, DType, SliceArg, SliceInfo};

/// SplitMix64: tiny, and the same seed gives the same program forever.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn pick<T: Clone>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())].clone()
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: isize, hi: isize) -> isize {
        lo + self.below((hi - lo + 1) as usize) as isize
    }
}

/// A generated program: its steps and which values are exact.
pub struct Program {
    pub seed: u64,
    pub steps: Vec<Step>,
    pub exact: Vec<bool>,
}

/// Every dtype.
const DTYPES: [DType; 11] = [
    DType::Bool,
    DType::I8,
    DType::I16,
    DType::I32,
    DType::I64,
    DType::U8,
    DType::U16,
    DType::U32,
    DType::U64,
    DType::F32,
    DType::F64,
];
const EXTENTS: [usize; 7] = [0, 1, 2, 3, 4, 5, 17];
const BINOPS: [BinaryOp; 18] = [
    BinaryOp::Add,
    BinaryOp::Sub,
    BinaryOp::Mul,
    BinaryOp::Div,
    BinaryOp::FloorDiv,
    BinaryOp::Mod,
    BinaryOp::Pow,
    BinaryOp::Maximum,
    BinaryOp::Minimum,
    BinaryOp::Eq,
    BinaryOp::Ne,
    BinaryOp::Lt,
    BinaryOp::Le,
    BinaryOp::Gt,
    BinaryOp::Ge,
    BinaryOp::And,
    BinaryOp::Or,
    BinaryOp::Xor,
];

struct Gen {
    rng: Rng,
    steps: Vec<Step>,
    nodes: Vec<Option<Array>>,
    exact: Vec<bool>,
    leaves: usize,
}

pub fn random_leaf(rng: &mut Rng) -> Step {
    let dtype = rng.pick(&DTYPES);
    // Shape classes: large 1-D (odd tails past every vector width and chunk), large 2-D with
    // odd extents (threads split the outer dim, the inner has a scalar tail), and small shapes
    // with extents 0, 1 and odd tails.
    let shape: Vec<usize> = if rng.chance(0.08) {
        vec![if rng.chance(0.7) { 1023 } else { 100_000 }]
    } else if rng.chance(0.03) {
        vec![rng.pick(&[33, 129]), rng.pick(&[31, 257])]
    } else {
        let rank = rng.below(4);
        (0..rank)
            .map(|_| {
                if rng.chance(0.04) {
                    0
                } else {
                    rng.pick(&EXTENTS[1..])
                }
            })
            .collect()
    };
    let n: usize = shape.iter().product();
    let edge = rng.pick(&[0.0, 0.02, 0.2]);
    let data = if dtype.is_float() {
        LeafData::F(
            (0..n)
                .map(|_| {
                    if rng.chance(edge) {
                        rng.pick(&[0.0, -0.0, f64::NAN, f64::INFINITY, -f64::INFINITY, -1.0])
                    } else if rng.chance(0.5) {
                        (rng.below(41) as f64 - 20.0) * 0.25
                    } else {
                        rng.unit() * 20.0 - 10.0
                    }
                })
                .collect(),
        )
    } else {
        let (lo, hi) = dtype.int_range().unwrap_or((0, 1));
        LeafData::I(
            (0..n)
                .map(|_| {
                    if rng.chance(edge) {
                        rng.pick(&[0, -1, lo, hi]).clamp(lo, hi)
                    } else {
                        (rng.below(21) as i128 - 10).clamp(lo, hi)
                    }
                })
                .collect(),
        )
    };
    Step::Leaf { dtype, shape, data }
}

impl Gen {
    fn live(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].is_some())
            .collect()
    }
    fn arr(&self, i: usize) -> &Array {
        self.nodes[i].as_ref().expect("live")
    }
    fn pick_node(&mut self) -> usize {
        let live = self.live();
        if self.rng.chance(0.5) {
            *live.last().expect("a leaf")
        } else {
            self.rng.pick(&live)
        }
    }
    /// A live value broadcast-compatible with `shape`, if any.
    fn partner(&mut self, shape: &[usize]) -> Option<usize> {
        let ok: Vec<usize> = self
            .live()
            .into_iter()
            .filter(|&i| broadcast_pair(self.arr(i).shape(), shape).is_some())
            .collect();
        (!ok.is_empty()).then(|| self.rng.pick(&ok))
    }
    fn weak(&mut self, dt: DType) -> Weak {
        let r = &mut self.rng;
        match r.below(10) {
            0..=5 if dt.is_float() => Weak::F(r.pick(&[
                0.5,
                -1.5,
                2.0,
                0.0,
                -0.0,
                3.25,
                1e-3,
                100.0,
                f64::NAN,
                f64::INFINITY,
            ])),
            0..=7 => Weak::I(r.pick(&[0, 1, 2, 3, 7, -1, -2, -3, 100])),
            8 => Weak::F(r.pick(&[0.5, -2.5, 1.0])),
            _ => Weak::B(r.chance(0.5)),
        }
    }
    fn rhs(&mut self, shape: &[usize], dt: DType) -> Rhs {
        match self.rng.below(10) {
            0..=2 => Rhs::Weak(self.weak(dt)),
            3 => Rhs::WeakLeft(self.weak(dt)),
            _ => self
                .partner(shape)
                .map_or_else(|| Rhs::Weak(self.weak(dt)), Rhs::Node),
        }
    }
    fn axis(&mut self, nd: usize) -> isize {
        self.rng.range(-(nd as isize), nd as isize - 1)
    }

    fn propose(&mut self) -> Option<Step> {
        let a = self.pick_node();
        let x = self.arr(a).clone();
        let (dt, sh, nd) = (x.dtype(), x.shape().to_vec(), x.ndim());
        let r = self.rng.below(100);
        Some(match r {
            0..=27 => {
                let op = self.rng.pick(&BINOPS);
                Step::Binary {
                    op,
                    a,
                    b: self.rhs(&sh, dt),
                }
            }
            28..=45 => Step::Unary {
                op: self.rng.pick(&Un::ALL),
                a,
            },
            46..=47 => {
                let (lo, hi) = if dt.is_float() {
                    (
                        Weak::F(self.rng.pick(&[-1.0, 0.0, 0.5])),
                        Weak::F(self.rng.pick(&[1.0, 2.0, -0.5])),
                    )
                } else {
                    (
                        Weak::I(self.rng.pick(&[-1, 0, 2])),
                        Weak::I(self.rng.pick(&[1, 3, 5])),
                    )
                };
                Step::Clip { a, lo, hi }
            }
            48..=53 => Step::AsType {
                a,
                dtype: self.rng.pick(&DTYPES),
            },
            54..=57 => {
                let c = self.partner(&sh)?;
                Step::Where {
                    c,
                    a,
                    b: self.rhs(&sh, dt),
                }
            }
            58..=60 => Step::T { a },
            61..=63 => {
                let mut perm: Vec<isize> = (0..nd as isize).collect();
                for i in (1..nd).rev() {
                    perm.swap(i, self.rng.below(i + 1));
                }
                for p in perm.iter_mut() {
                    if self.rng.chance(0.3) {
                        *p -= nd as isize;
                    }
                }
                Step::Transpose { a, perm }
            }
            64..=68 => Step::Slice {
                a,
                info: self.slice(&sh),
            },
            69..=70 => Step::ExpandDims {
                a,
                axis: self.rng.range(-(nd as isize) - 1, nd as isize),
            },
            71..=72 => {
                let ones: Vec<isize> = (0..nd)
                    .filter(|&i| sh[i] == 1)
                    .map(|i| i as isize)
                    .collect();
                let axis = (!ones.is_empty() && self.rng.chance(0.6)).then(|| self.rng.pick(&ones));
                Step::Squeeze { a, axis }
            }
            73..=76 => Step::Reshape {
                a,
                dims: self.reshape(x.size()),
            },
            77..=78 => {
                let mut shape: Vec<usize> = (0..self.rng.below(2))
                    .map(|_| self.rng.pick(&[1, 2, 3]))
                    .collect();
                shape.extend(
                    sh.iter()
                        .map(|&d| if d == 1 { self.rng.pick(&[1, 2, 3]) } else { d }),
                );
                Step::BroadcastTo { a, shape }
            }
            79..=90 => {
                let op = self.rng.pick(&Red::ALL);
                let axes = match self.rng.below(10) {
                    0..=2 => None,
                    3 => Some(vec![]),
                    4..=7 if nd > 0 => Some(vec![self.axis(nd)]),
                    _ => {
                        let v: Vec<isize> =
                            (0..nd as isize).filter(|_| self.rng.chance(0.5)).collect();
                        Some(v)
                    }
                };
                Step::Reduce {
                    op,
                    a,
                    axes,
                    keepdims: self.rng.chance(0.3),
                }
            }
            91..=93 if nd > 0 => {
                let axis = self.axis(nd);
                let n = sh[axis.rem_euclid(nd as isize) as usize] as isize;
                let idx_shape: Vec<usize> = (0..self.rng.below(3))
                    .map(|_| self.rng.pick(&[1, 2, 3]))
                    .collect();
                let count: usize = idx_shape.iter().product();
                if n == 0 && count > 0 {
                    return None;
                }
                let idx = (0..count)
                    .map(|_| self.rng.range(-n, n - 1) as i64)
                    .collect();
                Step::Take {
                    a,
                    idx,
                    idx_shape,
                    axis,
                }
            }
            94..=96 if nd > 0 => {
                let axis = self.axis(nd);
                let ax = axis.rem_euclid(nd as isize) as usize;
                let same: Vec<usize> = self
                    .live()
                    .into_iter()
                    .filter(|&i| {
                        let s = self.arr(i).shape();
                        s.len() == nd && (0..nd).all(|d| d == ax || s[d] == sh[d])
                    })
                    .collect();
                let mut parts = vec![a];
                for _ in 0..1 + self.rng.below(2) {
                    parts.push(self.rng.pick(&same));
                }
                Step::Concat { parts, axis }
            }
            97..=99 if nd > 0 && dt != DType::Bool => {
                let k = sh[nd - 1];
                let fits: Vec<usize> = self
                    .live()
                    .into_iter()
                    .filter(|&i| {
                        let s = self.arr(i).shape();
                        let d = self.arr(i).dtype();
                        d != DType::Bool && !s.is_empty() && s[s.len().saturating_sub(2)] == k
                    })
                    .collect();
                if fits.is_empty() {
                    return None;
                }
                Step::Matmul {
                    a,
                    b: self.rng.pick(&fits),
                }
            }
            _ => return None,
        })
    }

    fn slice(&mut self, sh: &[usize]) -> SliceInfo {
        let mut args = Vec::new();
        for &n in sh.iter().take(self.rng.below(sh.len() + 1)) {
            let n = n as isize;
            if self.rng.chance(0.1) {
                args.push(SliceArg::NewAxis);
            }
            if n > 0 && self.rng.chance(0.2) {
                args.push(SliceArg::Index(self.rng.range(-n, n - 1)));
                continue;
            }
            let mut end = || self.rng.chance(0.6).then(|| self.rng.range(-n - 2, n + 2));
            let (start, stop) = (end(), end());
            let step = self.rng.pick(&[1, 1, 1, 2, -1, -1, -2, 3]);
            args.push(SliceArg::Range { start, stop, step });
        }
        if self.rng.chance(0.1) {
            args.push(SliceArg::NewAxis);
        }
        SliceInfo(args)
    }

    fn reshape(&mut self, size: usize) -> Vec<isize> {
        let rank = self.rng.below(4);
        if size == 0 {
            let mut d: Vec<isize> = (0..rank.max(1))
                .map(|_| self.rng.pick(&[1, 2, 3]))
                .collect();
            let i = self.rng.below(d.len());
            d[i] = 0;
            return d;
        }
        let mut left = size;
        let mut dims = Vec::new();
        for _ in 1..rank {
            let divs: Vec<usize> = (1..=left)
                .filter(|d| left.is_multiple_of(*d))
                .take(8)
                .collect();
            let d = self.rng.pick(&divs);
            dims.push(d as isize);
            left /= d;
        }
        if rank > 0 || left != 1 {
            dims.push(left as isize);
        }
        if !dims.is_empty() && self.rng.chance(0.5) {
            let i = self.rng.below(dims.len());
            dims[i] = -1;
        }
        dims
    }

    fn push(&mut self, step: Step) -> bool {
        let Ok(Some(out)) = apply(&step, &self.nodes) else {
            return false;
        };
        // Keep every program cheap: no outer products of the large leaves.
        let work = match &step {
            Step::Matmul { a, .. } => out.size() * self.arr(*a).shape().last().unwrap_or(&1),
            _ => out.size(),
        };
        if work > 300_000 {
            return false;
        }
        let Ok(exact) = exactness(&step, &self.exact, &out) else {
            return false;
        };
        self.steps.push(step);
        self.nodes.push(Some(out));
        self.exact.push(exact);
        true
    }
}

/// A program from explicit steps (exactness recomputed); None if a step is invalid.
pub fn from_steps(seed: u64, steps: Vec<Step>) -> Option<Program> {
    let mut nodes: Vec<Option<Array>> = Vec::new();
    let mut exact = Vec::new();
    for s in &steps {
        if s.inputs()
            .iter()
            .any(|&i| nodes.get(i).is_none_or(|n| n.is_none()))
        {
            return None;
        }
        match s {
            Step::Drop { a } => nodes[*a] = None,
            Step::Eval { .. } => {}
            _ => {
                let out = apply(s, &nodes).ok()??;
                exact.push(exactness(s, &exact, &out).ok()?);
                nodes.push(Some(out));
            }
        }
    }
    Some(Program { seed, steps, exact })
}

/// Shrinks a failing program: drops steps (renumbering later references) while `fails` holds.
pub fn minimize(p: Program, fails: impl Fn(&Program) -> bool) -> Program {
    let mut best = p;
    loop {
        let mut improved = false;
        for k in (0..best.steps.len()).rev() {
            let value = best.steps[..k].iter().filter(|s| s.creates()).count();
            let creates = best.steps[k].creates();
            let mut steps = Vec::new();
            for (j, s) in best.steps.iter().enumerate() {
                if j == k
                    || (creates
                        && j > k
                        && matches!(s, Step::Eval { .. } | Step::Drop { .. })
                        && s.inputs() == [value])
                {
                    continue;
                }
                if creates && j > k {
                    if s.inputs().contains(&value) {
                        steps.clear();
                        break;
                    }
                    steps.push(s.map_inputs(|i| if i > value { i - 1 } else { i }));
                } else {
                    steps.push(s.clone());
                }
            }
            if steps.is_empty() {
                continue;
            }
            if let Some(c) = from_steps(best.seed, steps)
                && fails(&c)
            {
                best = c;
                improved = true;
            }
        }
        if !improved {
            return best;
        }
    }
}

/// The program for `seed`.
pub fn generate(seed: u64) -> Program {
    let mut g = Gen {
        rng: Rng::new(seed),
        steps: vec![],
        nodes: vec![],
        exact: vec![],
        leaves: 0,
    };
    g.leaves = 1 + g.rng.below(3);
    for _ in 0..g.leaves {
        let s = random_leaf(&mut g.rng);
        g.push(s);
    }
    let n_ops = 1 + g.rng.below(12);
    let (mut done, mut tries) = (0, 0);
    while done < n_ops && tries < 400 {
        tries += 1;
        let Some(step) = g.propose() else { continue };
        let inputs = step.inputs();
        if !g.push(step) {
            continue;
        }
        done += 1;
        let newest = g.nodes.len() - 1;
        for i in inputs {
            if i >= g.leaves && g.nodes[i].is_some() && g.rng.chance(0.6) {
                g.steps.push(Step::Drop { a: i });
                g.nodes[i] = None;
            }
        }
        if g.rng.chance(0.08) {
            let cand: Vec<usize> = g
                .live()
                .into_iter()
                .filter(|&i| i >= g.leaves && i != newest)
                .collect();
            if !cand.is_empty() {
                let a = g.rng.pick(&cand);
                g.steps.push(Step::Eval { a });
            }
        }
    }
    Program {
        seed,
        steps: g.steps,
        exact: g.exact,
    }
}
