//! The graph: a closed op set, nodes, the DAG lowered from roots, and its dumps.

pub mod dump;
pub mod graph;
pub mod key;
pub mod node;
pub mod op;

pub use graph::Graph;
pub use node::{Node, NodeRef};
pub use op::{BinaryOp, Op, ReduceOp, UnaryOp, UpdateMode, UpdateTarget};
