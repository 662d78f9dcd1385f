//! The DAG lowered from a set of roots for one evaluation.
//!
//! Node ids grow with creation and every input is created before its users, so sorting by id
//! is a topological order: no recursion, no cycle check needed. Realised nodes are leaves.

use super::node::NodeRef;
use super::op::Op;
use crate::fxhash::FxHashMap;
use std::sync::Arc;

/// Each node's inputs as indices, stored as one flat list: `inputs[i]` is a slice.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    offsets: Vec<usize>,
    flat: Vec<usize>,
}

impl Inputs {
    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// True if there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Each node's inputs in node order.
    pub fn iter(&self) -> impl Iterator<Item = &[usize]> {
        self.offsets.windows(2).map(|w| &self.flat[w[0]..w[1]])
    }
}

impl std::ops::Index<usize> for Inputs {
    type Output = [usize];
    fn index(&self, i: usize) -> &[usize] {
        &self.flat[self.offsets[i]..self.offsets[i + 1]]
    }
}

/// Working memory of [`Graph::lower`], reused by the next lowering on the same thread.
#[derive(Default)]
struct Scratch {
    found: FxHashMap<*const super::Node, usize>,
    ranges: Vec<(usize, usize, bool)>,
    edges: Vec<usize>,
    stack: Vec<usize>,
    order: Vec<usize>,
    position: Vec<usize>,
}

thread_local! {
    static SCRATCH: std::cell::Cell<Scratch> = std::cell::Cell::new(Scratch::default());
}

/// A lowered graph: nodes in topological order with their inputs as indices.
pub struct Graph {
    /// Nodes, inputs before users.
    pub nodes: Vec<NodeRef>,
    /// `inputs[i]`: indices of node i's inputs (empty for realised nodes).
    pub inputs: Inputs,
    /// Indices of the roots, in the order given.
    pub roots: Vec<usize>,
    /// `materialize[i]`: the node's value must be stored in the node after evaluation (a root, or
    /// a node some other handle can still reach).
    pub materialize: Vec<bool>,
    /// Number of in-graph uses of each node (edges, with multiplicity).
    pub uses: Vec<usize>,
    /// `realized[i]`: node i held data when the graph was lowered (a leaf).
    pub realized: Vec<bool>,
    /// `param[i]`: node i carries a run-time parameter (a view of a leaf: its offset; a
    /// non-literal constant: its value), bound when a plan runs instead of being in the key.
    pub param: Vec<bool>,
    /// The plan key ([`super::key`]): the exact structure, equal for two builds of the same
    /// program whatever their data, view offsets of leaves and parameter constants.
    pub key: Vec<u64>,
}

impl Graph {
    /// Collects every pending node reachable from `roots` (stopping at realised ones).
    pub fn lower(roots: &[NodeRef]) -> Graph {
        // One walk over the DAG. A node gets an entry number when first seen (one hash lookup per
        // edge); each entry's inputs are a range of one flat edge list. Then entries are sorted by
        // id, a topological order.
        // The walk's working memory is kept per thread between evaluations (a training loop
        // lowers a graph of the same size at every step).
        let mut scratch = SCRATCH.with(|s| s.take());
        let Scratch {
            found,
            ranges,
            edges,
            stack,
            order,
            position,
        } = &mut scratch;
        found.clear();
        ranges.clear();
        edges.clear();
        stack.clear();
        let mut entries: Vec<NodeRef> = Vec::with_capacity(64);
        let mut intern = |n: &NodeRef, entries: &mut Vec<NodeRef>, stack: &mut Vec<usize>| {
            *found.entry(Arc::as_ptr(n)).or_insert_with(|| {
                entries.push(n.clone());
                stack.push(entries.len() - 1);
                entries.len() - 1
            })
        };
        let root_entries: Vec<usize> = roots
            .iter()
            .map(|r| intern(r, &mut entries, stack))
            .collect();
        while let Some(e) = stack.pop() {
            let n: *const super::Node = Arc::as_ptr(&entries[e]);
            let start = edges.len();
            // SAFETY: `entries` owns an `Arc` of this node for the whole walk (pushing moves the
            // Arcs, never drops them), so the node outlives this borrow.
            let done = unsafe { &*n }.with_inputs(|ins| {
                for i in ins {
                    let k = intern(i, &mut entries, stack);
                    edges.push(k);
                }
            });
            if ranges.len() <= e {
                ranges.resize(e + 1, (0, 0, false));
            }
            ranges[e] = (start, edges.len(), done);
        }
        ranges.resize(entries.len(), (0, 0, false));
        order.clear();
        order.extend(0..entries.len());
        order.sort_unstable_by_key(|&e| entries[e].id);
        position.clear();
        position.resize(entries.len(), 0);
        for (i, &e) in order.iter().enumerate() {
            position[e] = i;
        }
        let mut uses = vec![0usize; entries.len()];
        let mut offsets = Vec::with_capacity(entries.len() + 1);
        let mut flat = Vec::with_capacity(edges.len());
        offsets.push(0);
        for &e in order.iter() {
            let (a, b, _) = ranges[e];
            for &k in &edges[a..b] {
                let k = position[k];
                uses[k] += 1;
                flat.push(k);
            }
            offsets.push(flat.len());
        }
        let inputs = Inputs { offsets, flat };
        let roots: Vec<usize> = root_entries.iter().map(|&e| position[e]).collect();
        let mut slots: Vec<Option<NodeRef>> = entries.into_iter().map(Some).collect();
        let nodes: Vec<NodeRef> = order
            .iter()
            .map(|&e| slots[e].take().expect("each entry once"))
            .collect();
        let realized: Vec<bool> = order.iter().map(|&e| ranges[e].2).collect();
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
        let mut param = vec![false; nodes.len()];
        let mut key = Vec::with_capacity(4 * nodes.len() + 2);
        for (i, n) in nodes.iter().enumerate() {
            let ins = &inputs[i];
            param[i] = !realized[i] && super::key::is_param(&n.op, || realized[ins[0]]);
            super::key::encode_node(&mut key, n, realized[i], materialize[i], ins, param[i]);
        }
        super::key::encode_roots(&mut key, &roots);
        if scratch.ranges.capacity() <= 1 << 14 {
            // Kept for the next lowering (a huge graph's memory is released instead).
            SCRATCH.with(|s| s.set(scratch));
        }
        Graph {
            nodes,
            inputs,
            roots,
            materialize,
            uses,
            realized,
            param,
            key,
        }
    }

    /// True if node `i` held data when the graph was lowered.
    pub fn is_realized(&self, i: usize) -> bool {
        self.realized[i]
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
