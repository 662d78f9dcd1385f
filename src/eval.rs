//! Evaluation: lower the graph from the roots, run a backend, store results in the nodes.

use crate::error::Result;
use crate::ir::{Graph, NodeRef};
use crate::passes::Plan;
use crate::runtime::exec::{Codes, Schedule};
pub use crate::runtime::matmul_dispatch::MatmulBackend;
use std::collections::HashMap;
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
    key: Vec<u64>,
    fused: bool,
    last_use: u64,
    plan: Arc<Plan>,
    sched: Arc<Schedule>,
    codes: Arc<Codes>,
}

/// The plan cache: buckets by key hash; a hit compares the whole key.
#[derive(Default)]
struct PlanCache {
    buckets: HashMap<u64, Vec<CachedPlan>>,
    len: usize,
    clock: u64,
}

impl PlanCache {
    fn find(&mut self, hash: u64, key: &[u64], fused: bool) -> Option<&mut CachedPlan> {
        self.clock += 1;
        let now = self.clock;
        let c = self
            .buckets
            .get_mut(&hash)?
            .iter_mut()
            .find(|c| c.fused == fused && c.key == key)?;
        c.last_use = now;
        Some(c)
    }

    /// Inserts a plan, evicting the least recently used one when full.
    fn insert(&mut self, hash: u64, entry: CachedPlan) {
        if self.len >= PLAN_CACHE {
            let oldest = self
                .buckets
                .iter()
                .flat_map(|(&h, v)| v.iter().enumerate().map(move |(i, c)| (c.last_use, h, i)))
                .min();
            if let Some((_, h, i)) = oldest {
                let bucket = self.buckets.get_mut(&h).expect("bucket of a cached plan");
                bucket.swap_remove(i);
                if bucket.is_empty() {
                    self.buckets.remove(&h);
                }
                self.len -= 1;
            }
        }
        self.len += 1;
        self.buckets.entry(hash).or_default().push(entry);
    }

    /// Why `key` missed: how it differs from the cached key of the same mode sharing the longest
    /// prefix with it.
    fn why_missed(&self, key: &[u64], fused: bool) -> String {
        let common = |c: &CachedPlan| key.iter().zip(&c.key).take_while(|(a, b)| a == b).count();
        match self
            .buckets
            .values()
            .flatten()
            .filter(|c| c.fused == fused)
            .max_by_key(|c| common(c))
        {
            Some(c) => crate::ir::key::describe_difference(&c.key, key),
            None => "no plan cached yet".into(),
        }
    }
}

/// Most plans kept; past this the least recently used plan is evicted.
const PLAN_CACHE: usize = 512;

fn plans() -> &'static Mutex<PlanCache> {
    static PLANS: OnceLock<Mutex<PlanCache>> = OnceLock::new();
    PLANS.get_or_init(Default::default)
}

/// The plan for `g`: a second evaluation of the same program structure (a training step, a
/// benchmark iteration, a loop indexing a new position) skips simplification, fusion and
/// compilation entirely. Identity is the whole key ([`crate::ir::key`]), never its hash.
fn cached_plan(g: &Graph, fused: bool) -> (Arc<Plan>, Arc<Schedule>, Arc<Codes>) {
    let hash = crate::hashing::hash_words(&g.key);
    {
        let mut cache = plans().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = cache.find(hash, &g.key, fused) {
            crate::runtime::cache::count_plan(true);
            if crate::debug::level() > 0 {
                eprintln!("lazynp: plan hit ({} nodes)", g.len());
            }
            return (c.plan.clone(), c.sched.clone(), c.codes.clone());
        }
    }
    crate::runtime::cache::count_plan(false);
    let start = std::time::Instant::now();
    let plan = Arc::new(crate::passes::compile(g, fused));
    let sched = Arc::new(Schedule::new(g, &plan));
    let codes: Arc<Codes> = Arc::new((0..plan.steps.len()).map(|_| OnceLock::new()).collect());
    let took = start.elapsed();
    crate::runtime::cache::count_plan_time(took, plan.rounds);
    let mut cache = plans().lock().unwrap_or_else(|e| e.into_inner());
    if crate::debug::level() > 0 {
        eprintln!(
            "lazynp: plan miss ({} nodes, planned in {:.1} us): {}",
            g.len(),
            took.as_secs_f64() * 1e6,
            cache.why_missed(&g.key, fused)
        );
    }
    let last_use = cache.clock;
    cache.insert(
        hash,
        CachedPlan {
            key: g.key.clone(),
            fused,
            last_use,
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
