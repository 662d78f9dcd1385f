//! Evaluation: lower the graph from the roots, run a backend, store results in the nodes.

use crate::error::Result;
use crate::fxhash::FxHashMap;
use crate::ir::{Graph, NodeRef};
use crate::passes::Plan;
use crate::runtime::exec::{Codes, Schedule};
pub use crate::runtime::matmul_dispatch::MatmulBackend;
use std::sync::{Arc, Mutex, OnceLock};

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
/// nodes still reachable from other handles), and stores the results in the nodes. A failed
/// buffer allocation is an `Err` ([`crate::Error::OutOfMemory`]), never an abort.
pub(crate) fn evaluate(roots: &[NodeRef], opts: &EvalOptions) -> Result<()> {
    crate::runtime::buffer::catch_alloc(|| evaluate_inner(roots, opts))
}

fn evaluate_inner(roots: &[NodeRef], opts: &EvalOptions) -> Result<()> {
    let g = Graph::lower(roots);
    if !g.materialize.iter().any(|&m| m) {
        return Ok(());
    }
    let values = match opts.mode {
        Mode::Interpreter => crate::interp::run(&g)?,
        Mode::Fused | Mode::Eager => {
            let start = std::time::Instant::now();
            let (plan, sched, codes) = cached_plan(&g, opts.mode == Mode::Fused);
            let threads = opts.threads.unwrap_or_else(default_threads);
            let (values, timings) =
                crate::runtime::exec::run(&g, &plan, &sched, &codes, threads, opts.matmul)?;
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

/// A compiled plan for one graph structure, with each kernel's code once compiled.
struct CachedPlan {
    structure: Vec<u64>,
    roots: Vec<usize>,
    plan: Arc<Plan>,
    sched: Arc<Schedule>,
    codes: Arc<Codes>,
}

/// Most plans kept; the cache is cleared when full (plans are cheap to rebuild).
const PLAN_CACHE: usize = 512;

/// The plan for `g`: a second evaluation of the same program structure (a training step, a
/// benchmark iteration) skips simplification, fusion and kernel-key hashing entirely.
fn cached_plan(g: &Graph, fused: bool) -> (Arc<Plan>, Arc<Schedule>, Arc<Codes>) {
    static PLANS: OnceLock<Mutex<FxHashMap<(u64, bool), CachedPlan>>> = OnceLock::new();
    let plans = PLANS.get_or_init(Default::default);
    let key = (g.fingerprint(), fused);
    {
        let map = plans.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = map.get(&key)
            && c.structure == g.structure
            && c.roots == g.roots
        {
            crate::runtime::cache::count_plan(true);
            return (c.plan.clone(), c.sched.clone(), c.codes.clone());
        }
    }
    crate::runtime::cache::count_plan(false);
    let plan = Arc::new(crate::passes::compile(g, fused));
    let sched = Arc::new(Schedule::new(g, &plan));
    let codes: Arc<Codes> = Arc::new((0..plan.steps.len()).map(|_| OnceLock::new()).collect());
    let mut map = plans.lock().unwrap_or_else(|e| e.into_inner());
    if map.len() >= PLAN_CACHE {
        map.clear();
    }
    map.insert(
        key,
        CachedPlan {
            structure: g.structure.clone(),
            roots: g.roots.clone(),
            plan: plan.clone(),
            sched: sched.clone(),
            codes: codes.clone(),
        },
    );
    (plan, sched, codes)
}

/// All cores (`std::thread::available_parallelism`, read once: it reads cgroup files).
pub fn default_threads() -> usize {
    static N: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *N.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Realises several arrays in one plan (`np.eval`-style multi-output evaluation): shared
/// subexpressions are computed once and every array is stored in place, so a training step
/// that updates many parameters is one plan, not one per parameter.
///
/// ```
/// use lazynp as np;
/// let x = np::array([1.0f32, 2.0, 3.0]);
/// let s = (&x * 2.0).exp();
/// let (a, b) = (&s + 1.0, s.sum(..));
/// np::eval(&[&a, &b])?;
/// assert!(a.is_realized() && b.is_realized());
/// # Ok::<(), np::Error>(())
/// ```
pub fn eval(arrays: &[&crate::Array]) -> Result<()> {
    eval_with(arrays, &EvalOptions::default())
}

/// [`eval`] with explicit options.
///
/// ```
/// use lazynp as np;
/// let x = np::array([1i64, 2]);
/// let (a, b) = (&x + 1, &x * 3);
/// np::eval_with(&[&a, &b], &np::EvalOptions::interpreter())?;
/// assert_eq!(b.to_vec::<i64>()?, vec![3, 6]);
/// # Ok::<(), np::Error>(())
/// ```
pub fn eval_with(arrays: &[&crate::Array], opts: &EvalOptions) -> Result<()> {
    let roots: Vec<NodeRef> = arrays.iter().map(|a| a.node().clone()).collect();
    evaluate(&roots, opts)
}
