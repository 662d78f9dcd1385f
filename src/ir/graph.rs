//! The DAG lowered from a set of roots for one evaluation.
//!
//! Node ids grow with creation and every input is created before its users, so sorting by id
//! is a topological order: no recursion, no cycle check needed. Realised nodes are leaves.

use super::node::NodeRef;
use super::op::Op;
use crate::fxhash::{FxHashMap, FxHasher};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// A lowered graph: nodes in topological order with their inputs as indices.
pub struct Graph {
    /// Nodes, inputs before users.
    pub nodes: Vec<NodeRef>,
    /// `inputs[i]`: indices of node i's inputs (empty for realised nodes).
    pub inputs: Vec<Vec<usize>>,
    /// Indices of the roots, in the order given.
    pub roots: Vec<usize>,
    /// `materialize[i]`: the node's value must be stored in the node after evaluation (a root, or
    /// a node some other handle can still reach).
    pub materialize: Vec<bool>,
    /// Number of in-graph uses of each node (edges, with multiplicity).
    pub uses: Vec<usize>,
    /// `realized[i]`: node i held data when the graph was lowered (a leaf).
    pub realized: Vec<bool>,
    /// Structural fingerprint: one hash per node (op, dtype, shape, leaf or not, stored or not,
    /// input indices) — equal for two builds of the same program, whatever their data.
    pub structure: Vec<u64>,
}

impl Graph {
    /// Collects every pending node reachable from `roots` (stopping at realised ones).
    pub fn lower(roots: &[NodeRef]) -> Graph {
        let mut found: FxHashMap<*const super::Node, NodeRef> = FxHashMap::default();
        let mut pending_inputs: FxHashMap<*const super::Node, Vec<NodeRef>> = FxHashMap::default();
        found.reserve(256);
        pending_inputs.reserve(256);
        let mut stack: Vec<NodeRef> = roots.to_vec();
        while let Some(n) = stack.pop() {
            let key = Arc::as_ptr(&n);
            if found.contains_key(&key) {
                continue;
            }
            let inputs = n.inputs();
            stack.extend(inputs.iter().cloned());
            pending_inputs.insert(key, inputs);
            found.insert(key, n);
        }
        let mut nodes: Vec<NodeRef> = found.into_values().collect();
        nodes.sort_by_key(|n| n.id);
        let index: FxHashMap<*const super::Node, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (Arc::as_ptr(n), i))
            .collect();
        let mut uses = vec![0usize; nodes.len()];
        let inputs: Vec<Vec<usize>> = nodes
            .iter()
            .map(|n| {
                let ins = pending_inputs.remove(&Arc::as_ptr(n)).unwrap_or_default();
                ins.iter()
                    .map(|i| {
                        let k = index[&Arc::as_ptr(i)];
                        uses[k] += 1;
                        k
                    })
                    .collect()
            })
            .collect();
        drop(pending_inputs); // release the temporary clones before counting references
        let roots: Vec<usize> = roots.iter().map(|r| index[&Arc::as_ptr(r)]).collect();
        let realized: Vec<bool> = nodes.iter().map(|n| n.buffer().is_some()).collect();
        let mut materialize = vec![false; nodes.len()];
        for (i, n) in nodes.iter().enumerate() {
            if realized[i] {
                continue;
            }
            // References: ours in `nodes`, one per in-graph use; anything more is a handle the
            // user (or another graph) still holds, so the value must outlive this evaluation.
            // Nodes that cost nothing to recompute are left pending even then: a constant, and a
            // view of stored data (a batch slice `x.slice(s![i..i + 32])` held in a loop
            // variable would otherwise be copied at every step).
            let free = match &n.op {
                Op::Const(_) => true,
                Op::View(_) => inputs[i].iter().all(|&k| realized[k]),
                _ => false,
            };
            let known = 1 + uses[i];
            materialize[i] = !free && Arc::strong_count(n) > known;
        }
        for &r in &roots {
            materialize[r] = !realized[r];
        }
        let structure = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let mut h = FxHasher::default();
                if realized[i] {
                    (0u8, n.dtype, &n.shape).hash(&mut h);
                } else {
                    hash_op(&n.op, &mut h);
                    (1u8, n.dtype, &n.shape, materialize[i], &inputs[i]).hash(&mut h);
                }
                h.finish()
            })
            .collect();
        Graph {
            nodes,
            inputs,
            roots,
            materialize,
            uses,
            realized,
            structure,
        }
    }

    /// True if node `i` held data when the graph was lowered.
    pub fn is_realized(&self, i: usize) -> bool {
        self.realized[i]
    }

    /// One hash of the whole structure and the roots (see [`Graph::structure`]).
    pub fn fingerprint(&self) -> u64 {
        let mut h = FxHasher::default();
        (&self.structure, &self.roots).hash(&mut h);
        h.finish()
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True if there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

/// Hashes an op structurally (floats by their bits).
fn hash_op(op: &Op, h: &mut FxHasher) {
    std::mem::discriminant(op).hash(h);
    match op {
        Op::Data | Op::Where | Op::Contiguous | Op::Matmul => {}
        Op::Const(s) => match s {
            crate::dtype::Scalar::Bool(b) => (0u8, *b as u64).hash(h),
            crate::dtype::Scalar::Int(i) => (1u8, *i as u64).hash(h),
            crate::dtype::Scalar::UInt(u) => (2u8, *u).hash(h),
            crate::dtype::Scalar::Float(f) => (3u8, f.to_bits()).hash(h),
        },
        Op::Unary(u) => u.hash(h),
        Op::Binary(b) => b.hash(h),
        Op::Cast(d) => d.hash(h),
        Op::View(v) => v.hash(h),
        Op::Reduce { op, axes } => (op, axes).hash(h),
        Op::Concat { axis } | Op::Take { axis } => axis.hash(h),
    }
}
