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

use super::simplify::{Cse, fold};
use crate::dtype::DType;
use crate::ir::{Graph, Op, ReduceOp};
use crate::kernel::{Arg, KOp, KReduce, Kernel};
use crate::shape::{View, c_strides};

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

fn is_runtime_op(op: &Op) -> bool {
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
fn cheap(g: &Graph, cse: &Cse, i: usize) -> bool {
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

/// The node of a runtime step that is a 2-D float matmul (the products epilogues and prologues
/// fuse into).
fn float_matmul_2d(g: &Graph, step: &Step) -> Option<usize> {
    let Step::Runtime { node } = *step else {
        return None;
    };
    let n = &g.nodes[node];
    (matches!(n.op, Op::Matmul) && n.shape.len() == 2 && n.dtype.is_float()).then_some(node)
}

/// Steps that read node `x`: kernels through an argument, runtime ops directly or through a
/// view of it.
fn steps_reading(g: &Graph, cse: &Cse, steps: &[Step], x: usize) -> Vec<usize> {
    (0..steps.len())
        .filter(|&s| match &steps[s] {
            Step::Kernel { inputs, .. } => inputs.contains(&x),
            Step::Runtime { node } => g.inputs[*node].iter().any(|&k| {
                let k = cse.canon[k];
                k == x || g.inputs[k].iter().any(|&b| cse.canon[b] == x)
            }),
        })
        .collect()
}

/// Lowers the kernel rooted at `root` again without collapsing its loops, so the runtime can
/// call it on any block of its (rows, columns).
fn lower_uncollapsed(
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

/// `epilogue`: an elementwise kernel whose only matmul input is a 2-D float product read at its
/// own index, and which is that product's only reader, runs block by block inside the product.
fn fuse_matmul_epilogues(
    g: &Graph,
    cse: &Cse,
    reasons: &[Option<Reason>],
    extra: &[Option<usize>],
    steps: &mut [Step],
) -> Result<(), Vec<Fail>> {
    for mi in 0..steps.len() {
        let Some(m) = float_matmul_2d(g, &steps[mi]) else {
            continue;
        };
        let mn = &g.nodes[m];
        let k_extent = g.nodes[cse.canon[g.inputs[m][0]]]
            .shape
            .last()
            .copied()
            .unwrap_or(0);
        if g.materialize[m] || k_extent == 0 {
            continue;
        }
        let [ki] = steps_reading(g, cse, steps, m)[..] else {
            continue;
        };
        let Step::Kernel {
            root,
            kernel,
            inputs,
            outputs,
            ..
        } = &steps[ki]
        else {
            continue;
        };
        let ready = inputs.iter().all(|&i| {
            i == m
                || g.is_realized(i)
                || steps[..mi].iter().any(|s| match s {
                    Step::Kernel { outputs, .. } => outputs.contains(&i),
                    Step::Runtime { node } => *node == i,
                })
        });
        if kernel.reduce.is_some()
            || outputs.iter().any(|&o| g.nodes[o].shape != mn.shape)
            || !ready
        {
            continue;
        }
        let mut step = lower_uncollapsed(g, cse, reasons, extra, *root)?;
        let Step::Kernel {
            kernel,
            inputs,
            epilogue_of,
            ..
        } = &mut step
        else {
            continue;
        };
        let n = mn.shape[1] as isize;
        let reads_at_own_index = kernel
            .args
            .iter()
            .filter(|a| !a.output)
            .zip(inputs.iter())
            .filter(|(_, i)| **i == m)
            .all(|(a, _)| {
                // Extent-1 dims carry stride 0 after normalisation: any stride reads index 0.
                let own = [n, 1];
                a.offset == 0 && (0..2).all(|d| mn.shape[d] == 1 || a.strides[d] == own[d])
            });
        if kernel.dims == mn.shape && reads_at_own_index {
            *epilogue_of = Some(m);
            steps[ki] = step;
        }
    }
    Ok(())
}

/// `prologue`: an elementwise kernel with one output, read only by a 2-D float matmul as its
/// operand A or B (the buffer itself, row-major), can be computed block by block inside the
/// matmul's packing. It is lowered over the operand's (rows, columns), not collapsed, so the
/// runtime can call it on any block and point its output at a packing scratch block.
fn fuse_matmul_prologues(
    g: &Graph,
    cse: &Cse,
    reasons: &[Option<Reason>],
    extra: &[Option<usize>],
    steps: &mut [Step],
) -> Result<(), Vec<Fail>> {
    for mi in 0..steps.len() {
        let Some(m) = float_matmul_2d(g, &steps[mi]) else {
            continue;
        };
        let mn = &g.nodes[m];
        let ops: Vec<usize> = g.inputs[m].iter().map(|&k| cse.canon[k]).collect();
        for (j, &p) in ops.iter().enumerate() {
            let pn = &g.nodes[p];
            // Read by this matmul once, directly (not through a view, not as both operands).
            let direct_reads = ops.iter().filter(|&&k| k == p).count();
            let view_reads = ops
                .iter()
                .filter(|&&k| {
                    matches!(g.nodes[k].op, Op::View(_))
                        && g.inputs[k].iter().any(|&b| cse.canon[b] == p)
                })
                .count();
            if direct_reads != 1
                || view_reads != 0
                || pn.shape.len() != 2
                || pn.dtype != mn.dtype
                || g.materialize[p]
                || g.is_realized(p)
                || extra[p].is_some()
            {
                continue;
            }
            if steps_reading(g, cse, steps, p) != [mi] {
                continue;
            }
            let Some(pi) = steps[..mi]
                .iter()
                .position(|s| matches!(s, Step::Kernel { root, .. } if *root == p))
            else {
                continue;
            };
            let Step::Kernel {
                kernel,
                outputs,
                epilogue_of: None,
                prologue_of: None,
                ..
            } = &steps[pi]
            else {
                continue;
            };
            if kernel.reduce.is_some() || outputs[..] != [p] {
                continue;
            }
            let mut step = lower_uncollapsed(g, cse, reasons, extra, p)?;
            let Step::Kernel {
                kernel,
                outputs,
                prologue_of,
                ..
            } = &mut step
            else {
                continue;
            };
            let out_ok = kernel.args.iter().filter(|a| a.output).count() == 1
                && kernel.args.iter().any(|a| a.output && a.offset == 0);
            if kernel.dims == pn.shape && kernel.reduce.is_none() && *outputs == [p] && out_ok {
                *prologue_of = Some((m, j));
                steps[pi] = step;
            }
        }
    }
    Ok(())
}

/// An affine map from loop indices to a node's multi-index: `idx[d] = off[d] + Σ coef[d][l]·i_l`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Map {
    coef: Vec<Vec<isize>>,
    off: Vec<isize>,
    /// Number of loop dims (columns of `coef`; kept explicitly for 0-d nodes with no rows).
    loops: usize,
}

impl Map {
    /// Flat strides and offset over a C-contiguous buffer of `shape`.
    fn flat(&self, shape: &[usize], loops: usize) -> (Vec<isize>, isize) {
        let c = c_strides(shape);
        let mut strides = vec![0isize; loops];
        let mut offset = 0;
        for (d, cd) in c.iter().enumerate() {
            offset += cd * self.off[d];
            for (l, s) in strides.iter_mut().enumerate() {
                *s += cd * self.coef[d][l];
            }
        }
        (strides, offset)
    }

    /// `A·self + b` for a map (A, b) from this node's index to another's.
    fn then(&self, a: &[Vec<isize>], b: &[isize]) -> Map {
        let loops = self.loops;
        let coef = a
            .iter()
            .map(|row| {
                (0..loops)
                    .map(|l| row.iter().zip(&self.coef).map(|(x, r)| x * r[l]).sum())
                    .collect()
            })
            .collect();
        let off = a
            .iter()
            .zip(b)
            .map(|(row, bd)| bd + row.iter().zip(&self.off).map(|(x, o)| x * o).sum::<isize>())
            .collect();
        Map { coef, off, loops }
    }
}

/// A view of a computed node of shape `src` as an index map (A, b), if it is one.
fn view_as_map(v: &View, src: &[usize]) -> Option<(Vec<Vec<isize>>, Vec<isize>)> {
    let c = c_strides(src);
    let nd = src.len();
    let mut b = vec![0isize; nd];
    let mut rem = v.offset;
    for d in 0..nd {
        if src[d] > 1 {
            b[d] = rem / c[d];
            rem -= b[d] * c[d];
        }
    }
    if rem != 0 {
        return None;
    }
    let mut a = vec![vec![0isize; v.shape.len()]; nd];
    for (k, (&ext, &s)) in v.shape.iter().zip(&v.strides).enumerate() {
        if ext <= 1 || s == 0 {
            continue;
        }
        let d = (0..nd).find(|&d| src[d] > 1 && s % c[d] == 0)?;
        a[d][k] = s / c[d];
    }
    for d in 0..nd {
        let (mut lo, mut hi) = (b[d], b[d]);
        for (k, &ext) in v.shape.iter().enumerate() {
            let span = a[d][k] * (ext as isize - 1).max(0);
            if span < 0 { lo += span } else { hi += span }
        }
        if lo < 0 || hi >= src[d] as isize {
            return None;
        }
    }
    Some((a, b))
}

/// Builds the kernel of one boundary node.
struct Lowering<'a> {
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

type Fail = (usize, Reason);

/// Ops, their types, stores and the reduction after `order_ops`.
type OrderedBody = (Vec<KOp>, Vec<DType>, Vec<(usize, usize)>, Option<KReduce>);

impl<'a> Lowering<'a> {
    fn new(
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

    fn run(mut self) -> Result<Step, Vec<Fail>> {
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
                for k in operands(&self.ops[i]) {
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
            .map(|&o| renumber(&self.ops[o], &remap))
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

/// Operands of a kernel op.
pub fn operands(op: &KOp) -> Vec<usize> {
    match op {
        KOp::Load { .. } | KOp::Const(_) | KOp::ReduceResult => vec![],
        KOp::Unary(_, a) | KOp::Cast(a) => vec![*a],
        KOp::Binary(_, a, b) => vec![*a, *b],
        KOp::Where(c, a, b) => vec![*c, *a, *b],
    }
}

fn renumber(op: &KOp, r: &[usize]) -> KOp {
    match op {
        KOp::Load { .. } | KOp::Const(_) | KOp::ReduceResult => op.clone(),
        KOp::Unary(u, a) => KOp::Unary(*u, r[*a]),
        KOp::Cast(a) => KOp::Cast(r[*a]),
        KOp::Binary(b, x, y) => KOp::Binary(*b, r[*x], r[*y]),
        KOp::Where(c, a, b) => KOp::Where(r[*c], r[*a], r[*b]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
