//! Lowering: one boundary node and everything fused into it become one kernel (Kernel IR).
//! Nodes are visited at the index maps they are read at (views compose into the maps), each
//! (node, map) once; body ops are folded and de-duplicated as they are emitted. A node that
//! cannot be computed here (a second reduction, a reduction broadcast back, a view that is not
//! an index map, a broadcast operand) is reported so the planner stores it.

use super::fuse::{Reason, Rebase, Step, cheap};
use super::index_map::{Map, view_as_map};
use super::simplify::{Cse, fold};
use crate::dtype::DType;
use crate::ir::{Graph, Op, ReduceOp};
use crate::kernel::{Arg, KOp, KReduce, Kernel};

/// Builds the kernel of one boundary node.
pub(super) struct Lowering<'a> {
    g: &'a Graph,
    cse: &'a Cse,
    reasons: &'a [Option<Reason>],
    extra: &'a [Option<usize>],
    root: usize,
    outputs: Vec<usize>,
    stores: Vec<(usize, usize)>,
    identity: Option<Map>,
    /// Extra outputs met at a non-outer index: (node, value, map), validated after lowering.
    pending_inner: Vec<(usize, usize, Map)>,
    /// The reduction's input node and the map it is read at.
    reduce_input: Option<(usize, Map)>,
    /// Output arguments written inside the reduced loops.
    inner_args: Vec<usize>,
    loops: Vec<usize>,
    n_outer: usize,
    reduce_node: Option<usize>,
    ops: Vec<KOp>,
    types: Vec<DType>,
    memo: Memo,
    /// Body ops by their exact encoding (CSE within the kernel).
    op_index: crate::fxhash::FxHashMap<[u64; 5], usize>,
    args: Vec<Arg>,
    arg_nodes: Vec<usize>,
    /// Per argument (outputs included): the node an input argument reads and the parameter
    /// view it reads through, if any (an argument is shared only when both are equal).
    arg_source: Vec<Option<(usize, Option<usize>)>>,
    rebase: Vec<Rebase>,
    members: Vec<usize>,
    reduce: Option<KReduce>,
    collapse: bool,
}

pub(super) type Fail = (usize, Reason);

/// Ops, their types, stores and the reduction after `order_ops`.
type OrderedBody = (Vec<KOp>, Vec<DType>, Vec<(usize, usize)>, Option<KReduce>);

impl<'a> Lowering<'a> {
    pub(super) fn new(
        g: &'a Graph,
        cse: &'a Cse,
        reasons: &'a [Option<Reason>],
        extra: &'a [Option<usize>],
        root: usize,
    ) -> Self {
        Lowering {
            g,
            cse,
            reasons,
            extra,
            root,
            outputs: Vec::new(),
            stores: Vec::new(),
            identity: None,
            pending_inner: Vec::new(),
            reduce_input: None,
            inner_args: Vec::new(),
            loops: g.nodes[root].shape.clone(),
            n_outer: g.nodes[root].shape.len(),
            reduce_node: None,
            ops: Vec::new(),
            types: Vec::new(),
            memo: Memo::default(),
            op_index: Default::default(),
            args: Vec::new(),
            arg_nodes: Vec::new(),
            arg_source: Vec::new(),
            rebase: Vec::new(),
            members: Vec::new(),
            reduce: None,
            collapse: true,
        }
    }

    fn has_buffer(&self, i: usize) -> bool {
        self.g.is_realized(i)
            || (i != self.root && self.reasons[i].is_some() && self.extra[i] != Some(self.root))
    }

    /// Finds the kernel's reduction (at most one) before lowering, so maps know all loop dims.
    /// Every further reduction reachable without passing through a buffer must be stored: all
    /// of them are reported at once (each would be found by its own round otherwise).
    fn find_reduce(&mut self) -> Result<(), Vec<Fail>> {
        let mut stack = vec![self.root];
        let mut seen: crate::fxhash::FxHashSet<usize> = Default::default();
        let mut second = Vec::new();
        while let Some(i) = stack.pop() {
            let i = self.cse.canon[i];
            if self.has_buffer(i) || !seen.insert(i) {
                continue;
            }
            if let Op::Reduce { axes, .. } = &self.g.nodes[i].op {
                match self.reduce_node {
                    None => {
                        self.reduce_node = Some(i);
                        let input = self.cse.canon[self.g.inputs[i][0]];
                        for &a in axes {
                            self.loops.push(self.g.nodes[input].shape[a]);
                        }
                    }
                    Some(_) => {
                        second.push((i, Reason::SecondReduce));
                        continue;
                    }
                }
            }
            stack.extend(self.g.inputs[i].iter().copied());
        }
        if second.is_empty() {
            Ok(())
        } else {
            Err(second)
        }
    }

    pub(super) fn run(mut self) -> Result<Step, Vec<Fail>> {
        self.find_reduce()?;
        let nl = self.loops.len();
        let rshape = self.g.nodes[self.root].shape.clone();
        let identity = Map {
            coef: (0..rshape.len())
                .map(|d| (0..nl).map(|l| isize::from(l == d)).collect())
                .collect(),
            off: vec![0; rshape.len()],
            loops: nl,
        };
        let identity = self.normalize(identity, &rshape);
        self.identity = Some(identity.clone());
        let value = self
            .lower(self.root, identity.clone())
            .map_err(|f| vec![f])?;
        for (i, v, m) in std::mem::take(&mut self.pending_inner) {
            // Only when the loop nest visits every element of the node exactly once (the
            // reduction may run over a slice of it, e.g. when only one row is needed).
            let covers = self.loops.iter().product::<usize>() == self.g.nodes[i].size()
                && m.off.iter().all(|&o| o == 0)
                && m.coef
                    .iter()
                    .zip(&self.g.nodes[i].shape)
                    .all(|(row, &ext)| {
                        ext == 1
                            || row
                                .iter()
                                .zip(&self.loops)
                                .filter(|(c, _)| **c != 0)
                                .map(|(c, &l)| (*c, l))
                                .eq([(1isize, ext)])
                    });
            if !covers || self.reduce_input.as_ref() != Some(&(i, m.clone())) {
                return Err(vec![(i, Reason::Stored)]);
            }
            self.push_output(i, v, &m, true);
        }
        self.push_output(self.root, value, &identity, false);
        let stores = std::mem::take(&mut self.stores);
        let (ops, types, stores, reduce) = self.order_ops(stores);
        let (inner_stores, stores): (Vec<_>, Vec<_>) = stores
            .into_iter()
            .partition(|(_, a)| self.inner_args.contains(a));
        let mut kernel = Kernel {
            dims: self.loops,
            n_outer: self.n_outer,
            args: self.args,
            ops,
            types,
            reduce,
            stores,
            inner_stores,
        };
        if self.collapse {
            kernel.collapse_dims();
        }
        self.members.sort_unstable();
        self.members.dedup();
        Ok(Step::Kernel {
            root: self.root,
            outputs: self.outputs,
            epilogue_of: None,
            prologue_of: None,
            rebase: self.rebase,
            kernel: Box::new(kernel),
            inputs: self.arg_nodes,
            members: self.members,
        })
    }

    /// Adds an output argument writing `value` (node `node` at the identity map).
    fn push_output(&mut self, node: usize, value: usize, map: &Map, inner: bool) {
        let nl = self.loops.len();
        let (mut strides, offset) = map.flat(&self.g.nodes[node].shape, nl);
        if !inner {
            for s in strides.iter_mut().skip(self.n_outer) {
                *s = 0;
            }
        }
        self.args.push(Arg {
            dtype: self.g.nodes[node].dtype,
            strides,
            offset,
            output: true,
        });
        self.arg_source.push(None);
        self.stores.push((value, self.args.len() - 1));
        if inner {
            self.inner_args.push(self.args.len() - 1);
        }
        self.outputs.push(node);
    }

    /// Puts the reduction's inputs first, then `ReduceResult`, then the epilogue.
    fn order_ops(&mut self, stores: Vec<(usize, usize)>) -> OrderedBody {
        let Some(mut red) = self.reduce.take() else {
            return (
                std::mem::take(&mut self.ops),
                std::mem::take(&mut self.types),
                stores,
                None,
            );
        };
        let n = self.ops.len();
        let mut inner = vec![false; n];
        inner[red.value] = true;
        for i in (0..n).rev() {
            if inner[i] {
                for k in self.ops[i].operands() {
                    inner[k] = true;
                }
            }
        }
        let result = self
            .ops
            .iter()
            .position(|o| *o == KOp::ReduceResult)
            .expect("reduce lowered");
        let order: Vec<usize> = (0..n)
            .filter(|&i| inner[i])
            .chain(std::iter::once(result))
            .chain((0..n).filter(|&i| !inner[i] && i != result))
            .collect();
        let mut remap = vec![0; n];
        for (new, &old) in order.iter().enumerate() {
            remap[old] = new;
        }
        let ops = order
            .iter()
            .map(|&o| self.ops[o].renumbered(&remap))
            .collect();
        let types = order.iter().map(|&o| self.types[o]).collect();
        red.value = remap[red.value];
        let stores = stores.iter().map(|&(o, a)| (remap[o], a)).collect();
        (ops, types, stores, Some(red))
    }

    fn emit(&mut self, op: KOp, dtype: DType) -> usize {
        let (op, dtype) = match fold(&op, dtype, &self.ops, &self.types) {
            Some(super::simplify::Folded::Op(o)) => (o, dtype),
            Some(super::simplify::Folded::Same(k)) => return k,
            None => (op, dtype),
        };
        let key = op_key(&op, dtype);
        if let Some(&k) = self.op_index.get(&key) {
            return k; // CSE within the kernel
        }
        self.op_index.insert(key, self.ops.len());
        self.ops.push(op);
        self.types.push(dtype);
        self.ops.len() - 1
    }

    fn load(&mut self, node: usize, map: &Map) -> usize {
        let shape = &self.g.nodes[node].shape;
        let (strides, offset) = map.flat(shape, self.loops.len());
        let dtype = self.g.nodes[node].dtype;
        self.load_flat(node, strides, offset, dtype, None)
    }

    /// A load of `node`'s buffer; `view`: the parameter view (with its offset when planned)
    /// this access goes through, whose offset is re-bound at run time.
    fn load_flat(
        &mut self,
        node: usize,
        strides: Vec<isize>,
        offset: isize,
        dtype: DType,
        view: Option<(usize, isize)>,
    ) -> usize {
        let arg = Arg {
            dtype,
            strides,
            offset,
            output: false,
        };
        // Arguments and their sources are indexed alike (`arg_nodes` counts inputs only).
        let source = Some((node, view.map(|(v, _)| v)));
        let found =
            (0..self.args.len()).find(|&a| self.args[a] == arg && self.arg_source[a] == source);
        let a = match found {
            Some(a) => a,
            None => {
                self.args.push(arg);
                self.arg_nodes.push(node);
                self.arg_source.push(source);
                if let Some((view, planned)) = view {
                    self.rebase.push(Rebase {
                        arg: self.args.len() - 1,
                        view,
                        planned,
                    });
                }
                self.args.len() - 1
            }
        };
        self.emit(KOp::Load { arg: a }, dtype)
    }

    /// Lowers node `i` evaluated at `map` (iteratively: an explicit stack, no recursion).
    /// Canonical form of a map into a node of `shape`: extent-1 node dims and extent-1 loop
    /// dims carry no index information, so their coefficients are zeroed. Two paths to the same
    /// element then share one memo entry (one value, one reduction).
    fn normalize(&self, mut m: Map, shape: &[usize]) -> Map {
        for (d, row) in m.coef.iter_mut().enumerate() {
            if shape[d] == 1 {
                row.iter_mut().for_each(|c| *c = 0);
                m.off[d] = 0;
            }
        }
        for (l, &ext) in self.loops.iter().enumerate() {
            if ext == 1 {
                m.coef.iter_mut().for_each(|row| row[l] = 0);
            }
        }
        m
    }

    fn lower(&mut self, i: usize, map: Map) -> Result<usize, Fail> {
        let root = self.cse.canon[i];
        let map = self.normalize(map, &self.g.nodes[root].shape);
        let mut stack: Vec<(usize, Map, bool)> = vec![(root, map.clone(), false)];
        while let Some((node, m, expanded)) = stack.pop() {
            if self.memo.get(node, &m).is_some() {
                continue;
            }
            let deps: Vec<(usize, Map)> = self
                .deps(node, &m)?
                .into_iter()
                .map(|(k, mk)| {
                    let mk = self.normalize(mk, &self.g.nodes[k].shape);
                    (k, mk)
                })
                .collect();
            if !expanded && deps.iter().any(|(k, mk)| self.memo.get(*k, mk).is_none()) {
                stack.push((node, m, true));
                for d in deps.into_iter().rev() {
                    stack.push((d.0, d.1, false));
                }
                continue;
            }
            let v = self.finish(node, &m, &deps)?;
            self.memo.insert(node, m, v);
        }
        Ok(self.memo.get(root, &map).expect("root lowered"))
    }

    /// The (node, map) pairs node `i` at `m` needs first.
    fn deps(&self, i: usize, m: &Map) -> Result<Vec<(usize, Map)>, Fail> {
        if self.has_buffer(i) {
            return Ok(vec![]);
        }
        let g = self.g;
        let ins: Vec<usize> = g.inputs[i].iter().map(|&k| self.cse.canon[k]).collect();
        Ok(match &g.nodes[i].op {
            Op::Data | Op::Const(_) => vec![],
            Op::Unary(_) | Op::Binary(_) | Op::Where | Op::Cast(_) | Op::Contiguous => {
                ins.into_iter().map(|k| (k, m.clone())).collect()
            }
            Op::View(v) => {
                let x = ins[0];
                if self.has_buffer(x) {
                    vec![]
                } else {
                    match view_as_map(v, &g.nodes[x].shape) {
                        Some((a, b)) => {
                            let mx = m.then(&a, &b);
                            // Recomputing a broadcast operand would repeat its arithmetic for
                            // every copy (a column's std for every row): store it instead.
                            let broadcast = (0..self.n_outer)
                                .any(|l| self.loops[l] > 1 && mx.coef.iter().all(|r| r[l] == 0));
                            if broadcast
                                && !cheap(g, self.cse, x)
                                && !matches!(g.nodes[x].op, Op::Reduce { .. })
                            {
                                return Err((x, Reason::Broadcast));
                            }
                            vec![(x, mx)]
                        }
                        None => return Err((x, Reason::View)),
                    }
                }
            }
            Op::Reduce { axes, .. } => {
                if Some(i) != self.reduce_node {
                    return Err((i, Reason::SecondReduce));
                }
                // Broadcasting the result back would recompute the reduction per element.
                for l in 0..self.n_outer {
                    if self.loops[l] > 1 && m.coef.iter().all(|r| r[l] == 0) {
                        return Err((i, Reason::BroadcastReduce));
                    }
                }
                let input_nd = g.nodes[ins[0]].shape.len();
                let mut coef = m.coef.clone();
                let off = m.off.clone();
                for (j, &a) in axes.iter().enumerate() {
                    coef[a] = (0..self.loops.len())
                        .map(|l| isize::from(l == self.n_outer + j))
                        .collect();
                }
                debug_assert_eq!(coef.len(), input_nd);
                vec![(
                    ins[0],
                    Map {
                        coef,
                        off,
                        loops: m.loops,
                    },
                )]
            }
            Op::Concat { .. } | Op::Take { .. } | Op::Matmul | Op::Update { .. } => {
                unreachable!("runtime ops are boundaries")
            }
        })
    }

    fn finish(&mut self, i: usize, m: &Map, deps: &[(usize, Map)]) -> Result<usize, Fail> {
        let v = self.compute(i, m, deps)?;
        if i != self.root && !self.g.is_realized(i) && self.extra[i] == Some(self.root) {
            // A stored node computed here is written as an extra output, at its own index only:
            // the kernel's outer index, or (checked once the reduction is lowered) the index of
            // the reduction's input inside the reduced loops.
            // The identity map writes the node whole only if it has the kernel's shape (a
            // kernel over a slice of it also maps its first rows by the identity).
            if Some(m) == self.identity.as_ref()
                && self.g.nodes[i].shape == self.g.nodes[self.root].shape
            {
                self.push_output(i, v, &m.clone(), false);
            } else {
                self.pending_inner.push((i, v, m.clone()));
            }
        }
        Ok(v)
    }

    fn compute(&mut self, i: usize, m: &Map, deps: &[(usize, Map)]) -> Result<usize, Fail> {
        let g = self.g;
        if self.has_buffer(i) {
            return Ok(self.load(i, m));
        }
        self.members.push(i);
        let node = &g.nodes[i];
        let d: Vec<usize> = deps
            .iter()
            .map(|(k, mk)| self.memo.get(*k, mk).expect("dependency lowered"))
            .collect();
        Ok(match &node.op {
            Op::Data => unreachable!("data nodes are realised"),
            // A parameter constant is a one-element input the runtime fills at every run.
            Op::Const(_) if g.param[i] => {
                let nl = self.loops.len();
                self.load_flat(i, vec![0; nl], 0, node.dtype, None)
            }
            Op::Const(s) => self.emit(KOp::Const(*s), node.dtype),
            Op::Unary(u) => self.emit(KOp::Unary(*u, d[0]), node.dtype),
            Op::Binary(b) => self.emit(KOp::Binary(*b, d[0], d[1]), node.dtype),
            Op::Where => self.emit(KOp::Where(d[0], d[1], d[2]), node.dtype),
            Op::Cast(_) => self.emit(KOp::Cast(d[0]), node.dtype),
            Op::Contiguous => d[0],
            Op::View(v) => {
                if d.is_empty() {
                    // A view of a buffer: compose the view's strides with the map directly.
                    let x = self.cse.canon[g.inputs[i][0]];
                    let nl = self.loops.len();
                    let mut strides = vec![0isize; nl];
                    let mut offset = v.offset;
                    for (k, &vs) in v.strides.iter().enumerate() {
                        offset += vs * m.off[k];
                        for (l, s) in strides.iter_mut().enumerate() {
                            *s += vs * m.coef[k][l];
                        }
                    }
                    let view = g.param[i].then_some((i, v.offset));
                    self.load_flat(x, strides, offset, g.nodes[x].dtype, view)
                } else {
                    d[0]
                }
            }
            Op::Reduce { op, .. } => {
                if self.reduce.is_some() {
                    // The same reduction read at two different outer indices: one accumulator
                    // cannot serve both, so it gets its own kernel.
                    return Err((i, Reason::BroadcastReduce));
                }
                let value = d[0];
                self.reduce_input = Some(deps[0].clone());
                let vdt = self.types[value];
                self.reduce = Some(KReduce {
                    op: *op,
                    value,
                    dtype: vdt,
                });
                debug_assert!(
                    matches!(op, ReduceOp::ArgMax | ReduceOp::ArgMin) || vdt == node.dtype
                );
                self.ops.push(KOp::ReduceResult);
                self.types.push(node.dtype);
                self.ops.len() - 1
            }
            Op::Concat { .. } | Op::Take { .. } | Op::Matmul | Op::Update { .. } => unreachable!(),
        })
    }
}

/// The value each (node, map) pair was lowered to: most nodes are read at one map, so each
/// node keeps a short list (no map is cloned or hashed to look one up).
#[derive(Default)]
struct Memo(crate::fxhash::FxHashMap<usize, smallvec::SmallVec<[(Map, usize); 1]>>);

impl Memo {
    fn get(&self, node: usize, m: &Map) -> Option<usize> {
        self.0
            .get(&node)?
            .iter()
            .find(|(x, _)| x == m)
            .map(|(_, v)| *v)
    }

    fn insert(&mut self, node: usize, m: Map, v: usize) {
        self.0.entry(node).or_default().push((m, v));
    }
}

/// The exact encoding of a body op and its dtype (floats by their bits).
fn op_key(op: &KOp, dtype: DType) -> [u64; 5] {
    let d = dtype as u64;
    let scalar = |s: crate::dtype::Scalar| match s {
        crate::dtype::Scalar::Bool(b) => [0, b as u64],
        crate::dtype::Scalar::Int(i) => [1, i as u64],
        crate::dtype::Scalar::UInt(u) => [2, u],
        crate::dtype::Scalar::Float(f) => [3, f.to_bits()],
    };
    match *op {
        KOp::Load { arg } => [0, d, arg as u64, 0, 0],
        KOp::Const(c) => {
            let [k, v] = scalar(c);
            [1, d, k, v, 0]
        }
        KOp::Unary(u, a) => [2, d, u as u64, a as u64, 0],
        KOp::Binary(b, x, y) => [3 | (b as u64) << 8, d, x as u64, y as u64, 0],
        KOp::Where(c, a, b) => [4, d, c as u64, a as u64, b as u64],
        KOp::Cast(a) => [5, d, a as u64, 0, 0],
        KOp::ReduceResult => [6, d, 0, 0, 0],
    }
}

/// Lowers the kernel rooted at `root` again without collapsing its loops, so the runtime can
/// call it on any block of its (rows, columns).
pub(super) fn lower_uncollapsed(
    g: &Graph,
    cse: &Cse,
    reasons: &[Option<Reason>],
    extra: &[Option<usize>],
    root: usize,
) -> Result<Step, Vec<Fail>> {
    let mut low = Lowering::new(g, cse, reasons, extra, root);
    low.collapse = false;
    low.run()
}
