//! The compiler pipeline, top to bottom: simplify (CSE, folding) → fuse (kernels) → schedule.

pub mod fuse;
mod index_map;
mod lower;
mod matmul_fusion;
pub mod simplify;

pub use fuse::{Plan, Reason, Rebase, Step};

use crate::ir::Graph;

/// Lowers a graph to a plan of kernels and runtime steps (`fused = false`: one kernel per op).
pub fn compile(g: &Graph, fused: bool) -> Plan {
    fuse::plan(g, fused)
}

/// Kernel membership of each node, for drawing kernels as clusters in DOT dumps.
pub fn kernel_clusters(g: &Graph) -> Vec<(String, Vec<usize>)> {
    compile(g, true)
        .steps
        .iter()
        .enumerate()
        .map(|(k, s)| match s {
            Step::Kernel { root, members, .. } => {
                let mut m = members.clone();
                if !m.contains(root) {
                    m.push(*root);
                }
                (format!("kernel {k}"), m)
            }
            Step::Runtime { node } => (format!("runtime {k}"), vec![*node]),
        })
        .collect()
}
