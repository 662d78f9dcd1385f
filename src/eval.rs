//! Evaluation: lower the graph from the roots, run a backend, store results in the nodes.

use crate::error::Result;
use crate::ir::{Graph, NodeRef};
pub use crate::runtime::matmul_dispatch::MatmulBackend;

/// How to evaluate: the backend and the number of threads.
///
/// ```
/// use lazynp::EvalOptions;
/// let a = lazynp::array([1.0f32, 2.0]);
/// for opts in [EvalOptions::fused(), EvalOptions::eager(), EvalOptions::interpreter().threads(1)] {
///     let y = (&a * 2.0).eval_with(&opts)?;
///     assert_eq!(y.to_vec::<f32>()?, vec![2.0, 4.0]);
/// }
/// # Ok::<(), lazynp::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct EvalOptions {
    /// The backend.
    pub mode: Mode,
    /// Worker threads (`None`: all cores).
    pub threads: Option<usize>,
    /// The matmul backend for f32/f64 products.
    pub matmul: MatmulBackend,
}

/// Evaluation backends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Fuse into as few kernels as possible and JIT-compile them (the default).
    Fused,
    /// The same JIT, one kernel per op, every intermediate materialised (like NumPy).
    Eager,
    /// The reference interpreter (the oracle).
    Interpreter,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions::fused()
    }
}

impl EvalOptions {
    /// Fused JIT (what `eval()` does).
    pub fn fused() -> Self {
        EvalOptions {
            mode: Mode::Fused,
            threads: None,
            matmul: MatmulBackend::Auto,
        }
    }
    /// One JIT kernel per op.
    pub fn eager() -> Self {
        EvalOptions {
            mode: Mode::Eager,
            threads: None,
            matmul: MatmulBackend::Auto,
        }
    }
    /// The reference interpreter.
    pub fn interpreter() -> Self {
        EvalOptions {
            mode: Mode::Interpreter,
            threads: None,
            matmul: MatmulBackend::Auto,
        }
    }
    /// Forces a matmul backend (default [`MatmulBackend::Auto`]: the cost model decides).
    pub fn matmul_backend(mut self, backend: MatmulBackend) -> Self {
        self.matmul = backend;
        self
    }

    /// Sets the number of worker threads (at least 1).
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = Some(n.max(1));
        self
    }
}

/// Evaluates every pending node reachable from `roots` that must be stored (the roots and
/// nodes still reachable from other handles), and stores the results in the nodes.
pub fn evaluate(roots: &[NodeRef], opts: &EvalOptions) -> Result<()> {
    let g = Graph::lower(roots);
    if !g.materialize.iter().any(|&m| m) {
        return Ok(());
    }
    let values = match opts.mode {
        Mode::Interpreter => crate::interp::run(&g)?,
        Mode::Fused | Mode::Eager => {
            let start = std::time::Instant::now();
            let plan = crate::passes::compile(&g, opts.mode == Mode::Fused);
            let threads = opts.threads.unwrap_or_else(default_threads);
            let (values, timings) = crate::runtime::exec::run(&g, &plan, threads, opts.matmul)?;
            if crate::debug::level() > 0 {
                crate::debug::report(&g, &plan, &timings, start.elapsed(), opts.matmul);
            }
            values
        }
    };
    for (i, v) in values.into_iter().enumerate() {
        if let Some(buf) = v {
            g.nodes[i].realize(buf);
        }
    }
    Ok(())
}

/// All cores (`std::thread::available_parallelism`).
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
