//! Fusion: decide which nodes are stored in buffers ("boundaries") and lower every other node
//! into the kernel of the boundary that consumes it.
//!
//! Rules (each a named reason in the plan):
//! - `stored`: a root, or a node another handle can still reach, is written to a buffer. When
//!   all its consumers are in one kernel over the same loop domain, it is computed inside that
//!   kernel and written as an extra output (multi-output kernel) instead of a kernel of its own.
//! - `runtime op`: concat, take, matmul are executed by the runtime; their inputs are buffers.
//! - `copy`: `contiguous` nodes are boundaries (that is their point).
//! - `shared`: a node consumed by two kernels is computed once and stored, unless it is cheap to
//!   recompute (a constant, or views and casts of a buffer: one load each).
//! - `view`: a view over a computed node fuses when it is an affine index map of that node's
//!   multi-index (transpose, slice, broadcast, expand/squeeze, splitting reshapes); a merging
//!   reshape of a computed node needs the node stored.
//! - `second reduce`, `broadcast reduce`: a kernel holds at most one reduction, and only if its
//!   output is not broadcast back (softmax's max and sum are therefore separate kernels).
//! - `broadcast`: a computed node read through a broadcasting view is stored rather than
//!   recomputed for every copy (the reduction-broadcast rule above, for any op).
//! - `eager`: in eager mode every op that is not a view or constant is a boundary.

use super::lower::{Fail, Lowering};
use super::matmul_fusion::{fuse_matmul_epilogues, fuse_matmul_prologues};
use super::simplify::Cse;
use crate::ir::{Graph, Op};
use crate::kernel::Kernel;

/// Why a node is stored in a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A root or a node held by another handle.
    Stored,
    /// Executed by the runtime (concat, take, matmul) or an input of one.
    RuntimeOp,
    /// An explicit contiguous copy.
    Copy,
    /// Consumed by several kernels.
    Shared,
    /// Read through a view that is not an index map of it.
    View,
    /// A second reduction in one kernel.
    SecondReduce,
    /// A reduction whose result is broadcast back.
    BroadcastReduce,
    /// Eager mode.
    Eager,
    /// A long chain or a very wide expression is cut so one kernel stays small enough to
    /// compile quickly.
    Size,
    /// Broadcast into a larger kernel: computed once per own element, not once per copy.
    Broadcast,
}

/// Longest chain of ops fused into one kernel (compile time grows with kernel size).
pub const MAX_DEPTH: usize = 256;

/// Most distinct buffers one fused kernel reads. The code generator keeps one pointer register
/// per argument; past about as many arguments as x86-64 has registers the loop spills (a
/// char-RNN step's 50-input gradient sum ran at 1.8 GFLOP/s), and a huge argument list compiles
/// slowly. Measured on that step (`examples/char_rnn_step`): 64 inputs 1.66 ms, 32 1.50 ms,
/// 16 1.36 ms, 8 1.32 ms; 16 keeps intermediates few.
pub const MAX_INPUTS: usize = 16;

/// One step of the plan.
#[derive(Clone, Debug)]
pub enum Step {
    /// A JIT kernel computing `root` (graph index); `inputs[i]` is the node read by arg i
    /// (outputs follow the inputs in `kernel.args`).
    Kernel {
        /// The node whose buffer the kernel writes last (the kernel's root).
        root: usize,
        /// Graph node written by each output argument, in argument order (extras, then root).
        outputs: Vec<usize>,
        /// The kernel.
        kernel: Box<Kernel>,
        /// Graph node behind each input argument.
        inputs: Vec<usize>,
        /// Graph nodes computed inside this kernel (for dumps).
        members: Vec<usize>,
        /// The matmul whose output this kernel consumes as a fused epilogue: it runs on each
        /// finished block of the product while the block is in cache (loops are then the
        /// product's (rows, columns), never collapsed).
        epilogue_of: Option<usize>,
        /// `(matmul, operand)`: this kernel computes operand 0 (A) or 1 (B) of a 2-D float
        /// matmul that is its only reader. A backend that packs operands (the JIT GEMM) calls
        /// it block by block inside packing instead of running it as a step (loops are then
        /// the operand's (rows, columns), never collapsed); other backends run it as a step.
        prologue_of: Option<(usize, usize)>,
        /// Input arguments that read a view of a leaf whose start offset is a run-time
        /// parameter: the offset is re-bound from the evaluated graph's view at every run.
        rebase: Vec<Rebase>,
    },
    /// A node executed by the runtime (concat, take, matmul).
    Runtime {
        /// The node.
        node: usize,
    },
}

/// An input argument whose offset follows a parameter view (`x.i(k)` of a leaf): at run time
/// its offset is `planned offset + (view's offset now - view's offset when planned)` (a view of
/// a leaf enters the argument's offset with coefficient one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rebase {
    /// The kernel argument.
    pub arg: usize,
    /// The view node (graph index).
    pub view: usize,
    /// The view's offset when the plan was built.
    pub planned: isize,
}

/// The fusion plan: steps in execution order and why each buffer exists.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Steps in execution order.
    pub steps: Vec<Step>,
    /// `reasons[i]`: why node i is stored (None: fused into a kernel, or already realised).
    pub reasons: Vec<Option<Reason>>,
    /// The node each node was merged into by CSE.
    pub canon: Vec<usize>,
    /// Lowering rounds the planner needed (each round lowers every kernel once; a handful for
    /// any graph, which keeps planning linear in the graph's size).
    pub rounds: usize,
}

pub(super) fn is_runtime_op(op: &Op) -> bool {
    matches!(
        op,
        Op::Concat { .. } | Op::Take { .. } | Op::Matmul | Op::Update { .. }
    )
}

/// Builds the fusion plan for `g` (`fused = false` gives one kernel per op).
pub fn plan(g: &Graph, fused: bool) -> Plan {
    let cse = Cse::new(g);
    let n = g.len();
    let mut reasons: Vec<Option<Reason>> = vec![None; n];
    let pending = |i: usize| !g.is_realized(i) && cse.canon[i] == i;
    for i in 0..n {
        if !pending(i) {
            continue;
        }
        let op = &g.nodes[i].op;
        if g.materialize[i] {
            reasons[i] = Some(Reason::Stored);
        } else if is_runtime_op(op) {
            reasons[i] = Some(Reason::RuntimeOp);
        } else if matches!(op, Op::Contiguous) {
            reasons[i] = Some(Reason::Copy);
        } else if !fused && !matches!(op, Op::View(_) | Op::Const(_)) {
            reasons[i] = Some(Reason::Eager);
        }
        if is_runtime_op(op) {
            for &k in &g.inputs[i] {
                let k = cse.canon[k];
                let base_ok = matches!(g.nodes[k].op, Op::View(_))
                    && matches!(op, Op::Matmul | Op::Update { .. })
                    && g.inputs[k].iter().all(|&b| !pending(cse.canon[b]));
                if pending(k) && !base_ok {
                    reasons[k].get_or_insert(Reason::RuntimeOp);
                }
            }
        }
    }
    // Iterate: lowering discovers nodes that must be stored. Each round lowers every kernel
    // and collects the first such node of each (and every further reduction of a kernel at
    // once), so the rounds stay few however large the graph.
    let mut no_extra = vec![false; n];
    for round in 0..=2 * n + 1 {
        let extra = mark_shared(g, &cse, &mut reasons, &no_extra);
        cut_large_kernels(g, &cse, &mut reasons);
        match lower_all(g, &cse, &reasons, &extra) {
            Ok(steps) => {
                return Plan {
                    steps,
                    reasons,
                    canon: cse.canon,
                    rounds: round + 1,
                };
            }
            Err(fails) => {
                for (node, why) in fails {
                    if reasons[node].is_some() {
                        // A stored node that cannot be an extra output becomes a kernel of its own.
                        no_extra[node] = true;
                    } else {
                        reasons[node] = Some(why);
                    }
                }
            }
        }
    }
    unreachable!("fusion did not converge: every round stores one more node")
}

/// Marks nodes consumed by several kernels as boundaries unless cheap to recompute.
fn mark_shared(
    g: &Graph,
    cse: &Cse,
    reasons: &mut [Option<Reason>],
    no_extra: &[bool],
) -> Vec<Option<usize>> {
    let n = g.len();
    let mut extra = vec![None; n];
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
    for i in 0..n {
        if cse.canon[i] != i || g.is_realized(i) {
            continue;
        }
        for &k in &g.inputs[i] {
            users[cse.canon[k]].push(i);
        }
    }
    // owner[i]: the boundary whose kernel computes node i (usize::MAX: several).
    let mut owner = vec![usize::MAX - 1; n];
    for i in (0..n).rev() {
        if cse.canon[i] != i || g.is_realized(i) {
            continue;
        }
        let mut o = usize::MAX - 1;
        // The same over readers that are kernels (runtime ops read a stored buffer).
        let mut o_kernels = usize::MAX - 1;
        for &u in &users[i] {
            let ou = owner[u];
            if ou == usize::MAX - 1 {
                continue;
            }
            let join = |o: usize| {
                if o == usize::MAX - 1 || o == ou {
                    ou
                } else {
                    usize::MAX
                }
            };
            o = join(o);
            if !is_runtime_op(&g.nodes[u].op) {
                o_kernels = join(o_kernels);
            }
        }
        if reasons[i].is_some() {
            let fusable = matches!(
                g.nodes[i].op,
                Op::Unary(_)
                    | Op::Binary(_)
                    | Op::Where
                    | Op::Cast(_)
                    | Op::View(_)
                    | Op::Const(_)
                    | Op::Reduce { .. }
            );
            if reasons[i] == Some(Reason::Stored)
                && fusable
                && !no_extra[i]
                && o < usize::MAX - 1
                && g.nodes[o].shape == g.nodes[i].shape
            {
                extra[i] = Some(o);
                owner[i] = o;
            } else if matches!(reasons[i], Some(Reason::Stored | Reason::RuntimeOp))
                && fusable
                && !no_extra[i]
                && o_kernels < usize::MAX - 1
                && g.nodes[o_kernels].shape != g.nodes[i].shape
                && users[i].iter().any(|&u| {
                    matches!(g.nodes[u].op, Op::Reduce { .. })
                        && cse.canon[g.inputs[u][0]] == i
                        && owner[u] == o_kernels
                })
                && users[i]
                    .iter()
                    .all(|&u| !is_runtime_op(&g.nodes[u].op) || !depends_on(g, cse, o_kernels, u))
            {
                // `inner output` of a reduction: a stored node that is the input of a reduction,
                // read otherwise only in that kernel or by runtime ops, is computed and written
                // inside the reducing loop (lowering checks the loop covers it; a training step's
                // dlogits is written while its column sum is taken). Runtime readers run after
                // that kernel (the plan orders steps by what they read).
                extra[i] = Some(o_kernels);
                owner[i] = o_kernels;
            } else {
                owner[i] = i;
            }
            continue;
        }
        if o == usize::MAX && !cheap(g, cse, i) {
            reasons[i] = Some(Reason::Shared);
            owner[i] = i;
            // `inner output`: a shared node that is the direct input of a reduction is written
            // from inside the reducing kernel's loop (softmax's exp, computed and summed in one
            // pass) when every other reader runs after that kernel.
            let valid = |k: usize| k < usize::MAX - 1;
            let reducer = users[i].iter().copied().find(|&u| {
                matches!(g.nodes[u].op, Op::Reduce { .. })
                    && cse.canon[g.inputs[u][0]] == i
                    && valid(owner[u])
            });
            if let Some(r) = reducer
                && !no_extra[i]
            {
                let k = owner[r];
                if users[i]
                    .iter()
                    .all(|&u| owner[u] == k || (valid(owner[u]) && owner[u] > k))
                {
                    extra[i] = Some(k);
                    owner[i] = k;
                }
            }
        } else {
            owner[i] = o;
        }
    }
    extra
}

/// True if node `from` reads node `to`, directly or through other nodes. Inputs have smaller
/// indices than their users, so the walk only visits indices between the two.
fn depends_on(g: &Graph, cse: &Cse, from: usize, to: usize) -> bool {
    if to >= from {
        return false;
    }
    let mut seen = vec![false; from - to + 1];
    let mut stack = vec![from];
    while let Some(k) = stack.pop() {
        if k == to {
            return true;
        }
        for &x in &g.inputs[k] {
            let x = cse.canon[x];
            if x >= to && x < from && !seen[x - to] {
                seen[x - to] = true;
                stack.push(x);
            }
        }
    }
    false
}

/// Stores every `MAX_DEPTH`-th node of a long fused chain, and cuts a fused expression that
/// would read more than `MAX_INPUTS` distinct buffers (a balanced sum of 10,000 arrays): its
/// widest operand is stored, so every kernel has few arguments and compiles quickly.
fn cut_large_kernels(g: &Graph, cse: &Cse, reasons: &mut [Option<Reason>]) {
    let n = g.len();
    let mut depth = vec![0usize; n];
    // The buffers (and parameters) each fused node reads, sorted, up to MAX_INPUTS + 1.
    let mut reads: Vec<smallvec::SmallVec<[u32; 4]>> = vec![Default::default(); n];
    let is_buffer = |reasons: &[Option<Reason>], k: usize| g.is_realized(k) || reasons[k].is_some();
    for i in 0..n {
        if cse.canon[i] != i || is_buffer(reasons, i) {
            continue;
        }
        let d = 1 + g.inputs[i]
            .iter()
            .map(|&k| depth[cse.canon[k]])
            .max()
            .unwrap_or(0);
        if d >= MAX_DEPTH {
            reasons[i] = Some(Reason::Size);
            continue;
        }
        depth[i] = d;
        if g.param[i] && matches!(g.nodes[i].op, Op::Const(_)) {
            reads[i].push(i as u32);
        }
        loop {
            let mut set: smallvec::SmallVec<[u32; 4]> = Default::default();
            for &k in &g.inputs[i] {
                let k = cse.canon[k];
                if is_buffer(reasons, k) {
                    merge(&mut set, &[k as u32]);
                } else {
                    merge(&mut set, &reads[k]);
                }
            }
            merge(&mut set, &reads[i]);
            if set.len() <= MAX_INPUTS {
                reads[i] = set;
                break;
            }
            // Too wide: store the fused operand reading the most buffers and count again.
            let widest = g.inputs[i]
                .iter()
                .map(|&k| cse.canon[k])
                .filter(|&k| !is_buffer(reasons, k))
                .max_by_key(|&k| reads[k].len());
            match widest {
                Some(k) => {
                    reasons[k] = Some(Reason::Size);
                    reads[k] = Default::default();
                }
                None => {
                    reads[i] = set;
                    break;
                }
            }
        }
    }
}

/// Sorted union of `set` and `more`, keeping at most `MAX_INPUTS + 1` entries.
fn merge(set: &mut smallvec::SmallVec<[u32; 4]>, more: &[u32]) {
    for &x in more {
        if let Err(p) = set.binary_search(&x) {
            if set.len() > MAX_INPUTS {
                return;
            }
            set.insert(p, x);
        }
    }
}

/// A node that costs about one load to recompute.
pub(super) fn cheap(g: &Graph, cse: &Cse, i: usize) -> bool {
    let mut k = i;
    loop {
        if g.is_realized(k) {
            return true;
        }
        match &g.nodes[k].op {
            Op::Const(_) => return true,
            Op::View(_) | Op::Cast(_) => k = cse.canon[g.inputs[k][0]],
            _ => return false,
        }
    }
}

fn lower_all(
    g: &Graph,
    cse: &Cse,
    reasons: &[Option<Reason>],
    extra: &[Option<usize>],
) -> Result<Vec<Step>, Vec<Fail>> {
    let mut steps = Vec::new();
    let mut fails = Vec::new();
    for i in 0..g.len() {
        if reasons[i].is_none() || cse.canon[i] != i || g.is_realized(i) || extra[i].is_some() {
            continue;
        }
        if is_runtime_op(&g.nodes[i].op) {
            steps.push(Step::Runtime { node: i });
        } else {
            match Lowering::new(g, cse, reasons, extra, i).run() {
                Ok(step) => steps.push(step),
                Err(f) => fails.extend(f),
            }
        }
    }
    if !fails.is_empty() {
        return Err(fails);
    }
    let mut steps = order_steps(g, cse, reasons, steps);
    fuse_matmul_epilogues(g, cse, reasons, extra, &mut steps)?;
    fuse_matmul_prologues(g, cse, reasons, extra, &mut steps)?;
    // Every extra output must have been written by its kernel.
    let mut written = vec![false; g.len()];
    for s in &steps {
        if let Step::Kernel { outputs, .. } = s {
            outputs.iter().for_each(|&o| written[o] = true);
        }
    }
    let unwritten: Vec<Fail> = (0..g.len())
        .filter(|&i| extra[i].is_some() && !written[i])
        .map(|i| (i, Reason::Stored))
        .collect();
    if unwritten.is_empty() {
        Ok(steps)
    } else {
        Err(unwritten)
    }
}

/// Nodes whose buffers a step reads: a kernel's inputs; for a runtime op, each input, or the
/// stored base of an input that is a view nobody stored.
pub fn step_reads(g: &Graph, canon: &[usize], reasons: &[Option<Reason>], s: &Step) -> Vec<usize> {
    match s {
        Step::Kernel { inputs, .. } => inputs.clone(),
        Step::Runtime { node } => g.inputs[*node]
            .iter()
            .map(|&k| {
                let k = canon[k];
                match (&g.nodes[k].op, g.is_realized(k) || reasons[k].is_some()) {
                    (Op::View(_), false) => canon[g.inputs[k][0]],
                    _ => k,
                }
            })
            .collect(),
    }
}

/// Orders steps so each runs after the steps producing what it reads, otherwise keeping the order
/// of their roots (a kernel writing an inner output moves before a runtime op reading it).
fn order_steps(g: &Graph, cse: &Cse, reasons: &[Option<Reason>], steps: Vec<Step>) -> Vec<Step> {
    let mut producer = vec![usize::MAX; g.len()];
    for (si, s) in steps.iter().enumerate() {
        match s {
            Step::Kernel { outputs, .. } => outputs.iter().for_each(|&o| producer[o] = si),
            Step::Runtime { node } => producer[*node] = si,
        }
    }
    let reads = |s: &Step| step_reads(g, &cse.canon, reasons, s);
    let deps: Vec<Vec<usize>> = steps
        .iter()
        .enumerate()
        .map(|(si, s)| {
            let mut d: Vec<usize> = reads(s)
                .into_iter()
                .map(|k| producer[k])
                .filter(|&p| p != usize::MAX && p != si)
                .collect();
            d.sort_unstable();
            d.dedup();
            d
        })
        .collect();
    if deps
        .iter()
        .enumerate()
        .all(|(si, d)| d.iter().all(|&p| p < si))
    {
        return steps;
    }
    // Kahn's algorithm, always taking the earliest ready step.
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); steps.len()];
    let mut waiting: Vec<usize> = deps.iter().map(Vec::len).collect();
    for (si, d) in deps.iter().enumerate() {
        for &p in d {
            users[p].push(si);
        }
    }
    let mut ready: std::collections::BTreeSet<usize> =
        (0..steps.len()).filter(|&s| waiting[s] == 0).collect();
    let mut order = Vec::with_capacity(steps.len());
    while let Some(s) = ready.pop_first() {
        order.push(s);
        for &u in &users[s] {
            waiting[u] -= 1;
            if waiting[u] == 0 {
                ready.insert(u);
            }
        }
    }
    assert_eq!(order.len(), steps.len(), "plan steps form a cycle");
    let mut slots: Vec<Option<Step>> = steps.into_iter().map(Some).collect();
    order
        .into_iter()
        .map(|s| slots[s].take().expect("each step once"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::index_map::view_as_map;
    use crate::shape::View;

    #[test]
    fn transpose_and_broadcast_are_maps() {
        let t = View::contiguous(&[2, 3]).permute(&[1, 0]);
        assert!(view_as_map(&t, &[2, 3]).is_some());
        let b = View::contiguous(&[3]).broadcast_to(&[4, 3]);
        assert!(view_as_map(&b, &[3]).is_some());
        let merged = View::contiguous(&[2, 3]).reshape(&[6]).unwrap();
        assert!(view_as_map(&merged, &[2, 3]).is_none());
        let split = View::contiguous(&[6]).reshape(&[2, 3]).unwrap();
        assert!(view_as_map(&split, &[6]).is_some());
        let rev = View::contiguous(&[5]).slice_axis(0, 4, 5, -1);
        let (a, b) = view_as_map(&rev, &[5]).unwrap();
        assert_eq!((a[0][0], b[0]), (-1, 4));
    }
}
