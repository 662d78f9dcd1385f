//! Deterministic text and Graphviz dumps of a lowered graph (local ids, no addresses).

use super::graph::Graph;
use crate::shape::tuple;
use std::fmt::Write;

/// One line per node: `%3 = add f32(2, 3) %1 %2`, marking realised leaves and stored nodes.
pub fn text(g: &Graph) -> String {
    let mut out = String::new();
    for (i, n) in g.nodes.iter().enumerate() {
        let ins: Vec<String> = g.inputs[i].iter().map(|k| format!("%{k}")).collect();
        let op = if g.is_realized(i) {
            "realized".to_string()
        } else {
            n.op.name()
        };
        let mut line = format!("%{i} = {op} {}{}", n.dtype, tuple(&n.shape, ", "));
        if !ins.is_empty() {
            let _ = write!(line, " {}", ins.join(" "));
        }
        if g.roots.contains(&i) {
            line.push_str("  [root]");
        } else if g.materialize[i] {
            line.push_str("  [stored: held by a handle]");
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Graphviz DOT of the graph; `clusters` (kernel name, node indices) draws kernels as boxes.
pub fn dot(g: &Graph, clusters: &[(String, Vec<usize>)]) -> String {
    let mut pg = petgraph::graph::DiGraph::<String, ()>::new();
    let ids: Vec<_> = g
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let op = if g.is_realized(i) {
                "realized".to_string()
            } else {
                n.op.name()
            };
            pg.add_node(format!("%{i} {op}\\n{} {}", n.dtype, tuple(&n.shape, ", ")))
        })
        .collect();
    for (i, ins) in g.inputs.iter().enumerate() {
        for &k in ins {
            pg.add_edge(ids[k], ids[i], ());
        }
    }
    let mut out = String::from(
        "digraph lazynp {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\"];\n",
    );
    for (c, (name, members)) in clusters.iter().enumerate() {
        let _ = writeln!(
            out,
            "  subgraph cluster_{c} {{\n    label=\"{name}\"; style=rounded;"
        );
        for &m in members {
            let _ = writeln!(out, "    n{m};");
        }
        out.push_str("  }\n");
    }
    for idx in pg.node_indices() {
        let _ = writeln!(out, "  n{} [label=\"{}\"];", idx.index(), pg[idx]);
    }
    for e in pg.raw_edges() {
        let _ = writeln!(out, "  n{} -> n{};", e.source().index(), e.target().index());
    }
    out.push_str("}\n");
    out
}
