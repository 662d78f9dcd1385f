//! The DAG lowered from a set of roots for one evaluation.
//!
//! Node ids grow with creation and every input is created before its users, so sorting by id
//! is a topological order: no recursion, no cycle check needed. Realised nodes are leaves.

use super::node::NodeRef;
use std::collections::HashMap;
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
}

impl Graph {
    /// Collects every pending node reachable from `roots` (stopping at realised ones).
    pub fn lower(roots: &[NodeRef]) -> Graph {
        let mut found: HashMap<*const super::Node, NodeRef> = HashMap::new();
        let mut pending_inputs: HashMap<*const super::Node, Vec<NodeRef>> = HashMap::new();
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
        let index: HashMap<*const super::Node, usize> = nodes
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
        let mut materialize = vec![false; nodes.len()];
        for (i, n) in nodes.iter().enumerate() {
            if n.buffer().is_some() {
                continue;
            }
            // References: ours in `nodes`, one per in-graph use; anything more is a handle the
            // user (or another graph) still holds, so the value must outlive this evaluation.
            let known = 1 + uses[i];
            materialize[i] = Arc::strong_count(n) > known;
        }
        for &r in &roots {
            materialize[r] = nodes[r].buffer().is_none();
        }
        Graph {
            nodes,
            inputs,
            roots,
            materialize,
            uses,
        }
    }

    /// True if node `i` already holds data.
    pub fn is_realized(&self, i: usize) -> bool {
        matches!(self.state_kind(i), Kind::Realized)
    }

    fn state_kind(&self, i: usize) -> Kind {
        match self.nodes[i].buffer() {
            Some(_) => Kind::Realized,
            None => Kind::Pending,
        }
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

enum Kind {
    Realized,
    Pending,
}
