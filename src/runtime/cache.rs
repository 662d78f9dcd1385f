//! The process-wide kernel cache: compiled code keyed by kernel structure, bounded, thread-safe,
//! with counters. Evicted kernels free their code once no call is running (they are `Arc`s).

use crate::codegen::{Compiled, compile};
use crate::error::Result;
use crate::kernel::Kernel;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Most kernels kept at once; the least recently used is evicted past this.
pub const CAPACITY: usize = 2048;

struct Entry {
    code: Arc<Compiled>,
    last_use: u64,
}

#[derive(Default)]
struct Cache {
    map: Mutex<HashMap<String, Entry, crate::hashing::KeyHasher>>,
    clock: AtomicU64,
    hits: AtomicU64,
    compiled: AtomicU64,
    evicted: AtomicU64,
    compile_nanos: AtomicU64,
    plans_built: AtomicU64,
    plan_nanos: AtomicU64,
    plan_rounds: AtomicU64,
    plan_hits: AtomicU64,
    prologues: AtomicU64,
}

fn cache() -> &'static Cache {
    static C: OnceLock<Cache> = OnceLock::new();
    C.get_or_init(Cache::default)
}

/// Counters of the JIT, readable at any time.
///
/// ```
/// let before = lazynp::jit_stats();
/// let a = lazynp::array([1.0f32, 2.0]);
/// (&a * 3.0 + 1.0).eval()?;
/// (&a * 3.0 + 1.0).eval()?;
/// let after = lazynp::jit_stats();
/// assert!(after.cache_hits > before.cache_hits);
/// # Ok::<(), lazynp::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JitStats {
    /// Kernels compiled (cache misses).
    pub kernels_compiled: u64,
    /// Evaluations served by an already compiled kernel.
    pub cache_hits: u64,
    /// Kernels evicted from the cache.
    pub evictions: u64,
    /// Kernels currently cached.
    pub cached: u64,
    /// Total time spent compiling.
    pub compile_time: Duration,
    /// Fusion plans built (an evaluation whose program structure was not seen before).
    pub plans_built: u64,
    /// Evaluations that reused a cached plan (same structure: a training step, a loop iteration).
    pub plan_hits: u64,
    /// Total time spent building fusion plans (simplify, fuse, schedule) on plan misses.
    pub plan_time: Duration,
    /// Total lowering rounds of the plans built (each round lowers every kernel once; a few per
    /// plan whatever the graph's size).
    pub plan_rounds: u64,
    /// Elementwise prologue kernels that ran inside a matmul's packing, block by block, instead
    /// of as a step writing the whole operand (`(x * 2.0).matmul(&w)` with the JIT GEMM).
    pub prologues_in_packing: u64,
}

/// The JIT's counters (process-wide).
pub fn jit_stats() -> JitStats {
    let c = cache();
    JitStats {
        kernels_compiled: c.compiled.load(Ordering::Relaxed),
        cache_hits: c.hits.load(Ordering::Relaxed),
        evictions: c.evicted.load(Ordering::Relaxed),
        cached: c.map.lock().map(|m| m.len() as u64).unwrap_or(0),
        compile_time: Duration::from_nanos(c.compile_nanos.load(Ordering::Relaxed)),
        plans_built: c.plans_built.load(Ordering::Relaxed),
        plan_hits: c.plan_hits.load(Ordering::Relaxed),
        plan_time: Duration::from_nanos(c.plan_nanos.load(Ordering::Relaxed)),
        plan_rounds: c.plan_rounds.load(Ordering::Relaxed),
        prologues_in_packing: c.prologues.load(Ordering::Relaxed),
    }
}

/// Counts a fusion plan lookup: `hit` when a cached plan served the evaluation.
pub fn count_plan(hit: bool) {
    let c = cache();
    if hit { &c.plan_hits } else { &c.plans_built }.fetch_add(1, Ordering::Relaxed);
}

/// Adds the time one plan took to build and its lowering rounds.
pub(crate) fn count_plan_time(t: Duration, rounds: usize) {
    let c = cache();
    c.plan_nanos
        .fetch_add(t.as_nanos() as u64, Ordering::Relaxed);
    c.plan_rounds.fetch_add(rounds as u64, Ordering::Relaxed);
}

/// Counts a prologue kernel run inside a matmul's packing.
pub(crate) fn count_prologue() {
    cache().prologues.fetch_add(1, Ordering::Relaxed);
}

/// Counts a hit served from a cached plan's own slot.
pub fn count_hit() {
    cache().hits.fetch_add(1, Ordering::Relaxed);
}

/// The compiled code for `k` (compiling on a miss) and whether it was a hit.
pub fn get(k: &Kernel) -> Result<(Arc<Compiled>, bool)> {
    let c = cache();
    let key = k.key();
    let now = c.clock.fetch_add(1, Ordering::Relaxed);
    {
        let mut map = c.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = map.get_mut(&key) {
            e.last_use = now;
            c.hits.fetch_add(1, Ordering::Relaxed);
            return Ok((e.code.clone(), true));
        }
    }
    // Compile outside the lock so other threads keep evaluating.
    let code = Arc::new(compile(k, false)?);
    c.compiled.fetch_add(1, Ordering::Relaxed);
    c.compile_nanos
        .fetch_add(code.compile_time.as_nanos() as u64, Ordering::Relaxed);
    let mut map = c.map.lock().unwrap_or_else(|e| e.into_inner());
    if map.len() >= CAPACITY
        && let Some(oldest) = map
            .iter()
            .min_by_key(|(_, e)| e.last_use)
            .map(|(k, _)| k.clone())
    {
        map.remove(&oldest);
        c.evicted.fetch_add(1, Ordering::Relaxed);
    }
    let entry = map.entry(key).or_insert(Entry {
        code,
        last_use: now,
    });
    Ok((entry.code.clone(), false))
}
