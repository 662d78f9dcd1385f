//! Graph nodes: one op, its inputs, a static shape and dtype, and (once evaluated) a buffer.

use super::op::Op;
use crate::dtype::DType;
use crate::runtime::Buffer;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// A shared reference to a node. The user-facing `Array` wraps one.
pub type NodeRef = Arc<Node>;

/// A node's inputs: most ops have one or two, kept inline (no allocation per node).
pub type NodeInputs = smallvec::SmallVec<[NodeRef; 2]>;

/// Whether a node still needs computing or already holds its data.
pub enum State {
    /// Not yet evaluated: the inputs it is computed from.
    Pending(NodeInputs),
    /// Evaluated (or a data leaf): C-contiguous elements. Inputs were released.
    Realized(Arc<Buffer>),
}

/// One vertex of the lazy DAG.
pub struct Node {
    /// Process-unique, increasing id: stable ordering for dumps and caches.
    pub id: u64,
    /// The operation.
    pub op: Op,
    /// Element type of the result.
    pub dtype: DType,
    /// Shape of the result (checked when the node was built).
    pub shape: Vec<usize>,
    state: Mutex<State>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl Node {
    /// A pending node computed by `op` from `inputs`. Panics if the shape cannot exist
    /// ([`crate::shape::check_shape`]): builders check it before, so this only guards the
    /// invariant that every node's size arithmetic is in range.
    pub fn new(op: Op, dtype: DType, shape: Vec<usize>, inputs: NodeInputs) -> NodeRef {
        if let Err(e) = crate::shape::check_shape(&shape, dtype.size()) {
            panic!("{e}");
        }
        Arc::new(Node {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            op,
            dtype,
            shape,
            state: Mutex::new(State::Pending(inputs)),
        })
    }

    /// A data leaf holding `buffer`. Panics unless `buffer.len()` equals the shape's size (a
    /// leaf that lies about its size would let kernels read past the buffer).
    pub fn data(buffer: Buffer, shape: Vec<usize>) -> NodeRef {
        match crate::shape::check_shape(&shape, buffer.dtype().size()) {
            Ok(n) => assert_eq!(
                n,
                buffer.len(),
                "data leaf: buffer length differs from shape"
            ),
            Err(e) => panic!("{e}"),
        }
        Arc::new(Node {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            op: Op::Data,
            dtype: buffer.dtype(),
            shape,
            state: Mutex::new(State::Realized(Arc::new(buffer))),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave State half-written (assignments only).
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The buffer if the node is realised.
    pub fn buffer(&self) -> Option<Arc<Buffer>> {
        match &*self.lock() {
            State::Realized(b) => Some(b.clone()),
            State::Pending(_) => None,
        }
    }

    /// The inputs if pending (empty if realised).
    pub fn inputs(&self) -> Vec<NodeRef> {
        match &*self.lock() {
            State::Pending(inputs) => inputs.to_vec(),
            State::Realized(_) => Vec::new(),
        }
    }

    /// Calls `f` with the inputs if pending (an empty slice if realised), without copying them,
    /// and tells whether the node is realised (one lock for both).
    pub fn with_inputs(&self, f: impl FnOnce(&[NodeRef])) -> bool {
        match &*self.lock() {
            State::Pending(inputs) => {
                f(inputs);
                false
            }
            State::Realized(_) => true,
        }
    }

    /// True if the node holds its data.
    pub fn is_realized(&self) -> bool {
        matches!(&*self.lock(), State::Realized(_))
    }

    /// Number of elements.
    pub fn size(&self) -> usize {
        self.shape.iter().product()
    }

    /// Stores the computed buffer and releases the inputs.
    pub fn realize(&self, buffer: Arc<Buffer>) {
        debug_assert_eq!(buffer.len(), self.size());
        debug_assert_eq!(buffer.dtype(), self.dtype);
        let old = std::mem::replace(&mut *self.lock(), State::Realized(buffer));
        drop(old); // outside the lock; deep chains are unwound by `Drop for Node`
    }
}

impl Drop for Node {
    /// Drops the chain of inputs iteratively so a 100,000-op chain cannot overflow the stack.
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        let State::Pending(inputs) = std::mem::replace(state, State::Pending(NodeInputs::new()))
        else {
            return;
        };
        let mut stack = inputs;
        while let Some(mut node) = stack.pop() {
            // The last handle: take its inputs out in place (no move of the node), then let it
            // drop with nothing left to recurse into.
            if let Some(inner) = Arc::get_mut(&mut node) {
                let st = inner.state.get_mut().unwrap_or_else(|e| e.into_inner());
                if let State::Pending(more) =
                    std::mem::replace(st, State::Pending(NodeInputs::new()))
                {
                    stack.extend(more);
                }
            }
        }
    }
}
