//! Executing a plan: allocate outputs, call compiled kernels (split over threads), run the
//! runtime ops, and free each intermediate buffer after its last reader.
//!
//! Thread split: a kernel's first loop dim is cut into chunks whose size depends only on the
//! problem (never on the thread count), and each output element is computed by exactly one
//! chunk with the same code path, so results are bit-identical for any number of threads.

use super::Buffer;
use super::cache;
use super::matmul_dispatch::{Choice, MatmulBackend, PrologueWork, choose_fused};
use crate::codegen::Compiled;
use crate::dtype::DType;
use crate::error::Result;
use crate::ir::{Graph, Op};
use crate::kernel::{Kernel, Strategy};
use crate::passes::{Plan, Rebase, Step};
use crate::shape::{View, c_strides};
use smallvec::SmallVec;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The value of each graph node that was stored (indexed like the graph).
pub type Values = Vec<Option<Arc<Buffer>>>;

/// Loop iterations per chunk a thread takes at a time.
const CHUNK_WORK: usize = 1 << 16;

/// What happened in one step (for `LAZYNP_DEBUG=2` and the report).
#[derive(Clone, Debug)]
pub struct StepTiming {
    /// Step index in the plan.
    pub step: usize,
    /// Wall time.
    pub time: Duration,
    /// Bytes moved (kernel estimate).
    pub bytes: usize,
    /// Arithmetic ops (kernel estimate).
    pub flops: usize,
    /// Was the kernel already compiled?
    pub cache_hit: bool,
    /// SIMD lanes of the kernel's main loop (0 for runtime ops).
    pub lanes: usize,
}

/// What `run` needs to know about a plan that does not change between evaluations of the same
/// program structure: computed once per cached plan, so a training step that reuses its plan
/// does no bookkeeping beyond running its steps.
#[derive(Debug)]
pub struct Schedule {
    /// Nodes whose buffers each step reads.
    reads: Vec<Vec<usize>>,
    /// How many steps read each node.
    readers: Vec<usize>,
    /// For a runtime matmul step: the kernel step fused into it as an epilogue.
    epilogue: Vec<Option<usize>>,
    /// For each kernel step and output: the input node whose buffer may become that output
    /// (passes every check that depends only on the plan; the buffer's run-time state is checked
    /// when the step runs).
    in_place: Vec<Vec<Option<usize>>>,
    /// Nodes holding data before the evaluation.
    realized: Vec<usize>,
    /// Each matmul's prologue kernel steps (operand A, operand B).
    prologues: HashMap<usize, [Option<usize>; 2]>,
    /// Parameter constants read by kernels: each gets a one-element buffer holding the value
    /// of the evaluated graph's constant at every run.
    params: Vec<usize>,
}

impl Schedule {
    /// Precomputes the schedule of `plan` over `g`.
    pub fn new(g: &Graph, plan: &Plan) -> Schedule {
        let reads: Vec<Vec<usize>> = plan
            .steps
            .iter()
            .map(|s| crate::passes::fuse::step_reads(g, &plan.canon, &plan.reasons, s))
            .collect();
        let mut readers = vec![0usize; g.len()];
        for r in &reads {
            for &k in r {
                readers[k] += 1;
            }
        }
        let epilogue = plan
            .steps
            .iter()
            .map(|s| match s {
                Step::Runtime { node } => plan.steps.iter().position(
                    |t| matches!(t, Step::Kernel { epilogue_of: Some(m), .. } if m == node),
                ),
                Step::Kernel { .. } => None,
            })
            .collect();
        let in_place = plan
            .steps
            .iter()
            .map(|s| match s {
                Step::Kernel {
                    kernel,
                    inputs,
                    outputs,
                    ..
                } => (0..outputs.len())
                    .map(|j| in_place_candidate(g, plan, kernel, inputs, j, outputs[j]))
                    .collect(),
                Step::Runtime { .. } => Vec::new(),
            })
            .collect();
        let realized = (0..g.len()).filter(|&i| g.is_realized(i)).collect();
        let params = (0..g.len())
            .filter(|&i| g.param[i] && matches!(g.nodes[i].op, Op::Const(_)) && readers[i] > 0)
            .collect();
        Schedule {
            reads,
            readers,
            epilogue,
            in_place,
            realized,
            prologues: prologue_steps(plan),
            params,
        }
    }
}

/// Runs `plan`; returns the value of every node marked `materialize` and per-step timings.
pub fn run(
    g: &Graph,
    plan: &Plan,
    sched: &Schedule,
    codes: &Codes,
    threads: usize,
    backend: MatmulBackend,
) -> Result<(Values, Vec<StepTiming>)> {
    let n = g.len();
    let canon = &plan.canon;
    let mut values: Vec<Option<Arc<Buffer>>> = vec![None; n];
    for &i in &sched.realized {
        values[i] = g.nodes[i].buffer();
    }
    for &i in &sched.params {
        if let Op::Const(c) = g.nodes[i].op {
            let dt = g.nodes[i].dtype;
            values[i] = Some(Arc::new(Buffer::from_scalars(dt, std::iter::once(c))));
        }
    }
    // Readers left per node, to free intermediates early.
    let mut readers = sched.readers.clone();
    // Timings are only read by LAZYNP_DEBUG (no allocation per evaluation otherwise).
    let record = crate::debug::level() > 0;
    let mut timings = Vec::new();
    let mut done = vec![false; plan.steps.len()];
    // Prologue kernels the matmul computes inside its packing on this run (the backend is a
    // run-time option): skipped at their own step, run (and their reads released) at the
    // matmul's step. `resolved`: each such matmul's backend, chosen with the prologues' cost.
    let prologues = &sched.prologues;
    let mut inside = vec![false; plan.steps.len()];
    let mut resolved: HashMap<usize, MatmulBackend> = HashMap::new();
    for (&node, &ps) in prologues {
        let c = prologue_choice(g, plan, node, ps, backend);
        if c.packs_prologues() {
            for p in ps.into_iter().flatten() {
                inside[p] = true;
            }
        }
        resolved.insert(node, c.backend);
    }
    for (si, step) in plan.steps.iter().enumerate() {
        // Step timings are only read by LAZYNP_DEBUG >= 2 (a clock read per step otherwise).
        let t0 = (crate::debug::level() >= 2).then(Instant::now);
        let mut released: smallvec::SmallVec<[usize; 3]> = smallvec::smallvec![si];
        let (written, info) = match step {
            _ if inside[si] => {
                released.clear();
                (vec![], (0, 0, true, 0))
            }
            _ if done[si] => (vec![], (0, 0, true, 0)),
            Step::Kernel {
                kernel,
                inputs,
                outputs,
                rebase,
                ..
            } => {
                let (code, hit) = code_for(&codes[si], kernel)?;
                let buf = |k: usize| values[k].as_ref().expect("kernel input computed earlier");
                let mut ins: SmallVec<[*const u8; 8]> =
                    inputs.iter().map(|&k| buf(k).as_ptr()).collect();
                let in_meta: SmallVec<[(usize, DType); 8]> = inputs
                    .iter()
                    .map(|&k| (buf(k).len(), buf(k).dtype()))
                    .collect();
                bind_offsets(g, kernel, inputs, rebase, &values, &mut ins)?;
                let outs: Vec<Buffer> = outputs
                    .iter()
                    .enumerate()
                    .map(|(j, &o)| {
                        sched.in_place[si][j]
                            .and_then(|x| take_if_last(x, &readers, &mut values))
                            .unwrap_or_else(|| {
                                Buffer::for_output(g.nodes[o].dtype, g.nodes[o].size())
                            })
                    })
                    .collect();
                let out_meta: SmallVec<[(usize, DType); 4]> =
                    outs.iter().map(|b| (b.len(), b.dtype())).collect();
                check_extents(kernel, rebase, &in_meta, &out_meta)?;
                let outs = run_kernel(&code, kernel, &ins, outs, threads);
                let written: Vec<(usize, Buffer)> = outputs.iter().copied().zip(outs).collect();
                (written, (kernel.bytes(), kernel.flops(), hit, code.lanes))
            }
            Step::Runtime { node } => {
                let node = *node;
                // Operands computed inside packing have no buffer: an empty stand-in with the
                // operand's shape (the GEMM reads only its shape).
                let taken = prologues
                    .get(&node)
                    .map(|ps| ps.map(|p| p.filter(|&p| inside[p])))
                    .unwrap_or([None, None]);
                let ins: Vec<(Arc<Buffer>, View)> = g.inputs[node]
                    .iter()
                    .enumerate()
                    .map(|(j, &k)| match taken.get(j).copied().flatten() {
                        Some(_) => {
                            let k = canon[k];
                            let empty = Buffer::for_output(g.nodes[k].dtype, 0);
                            (Arc::new(empty), View::contiguous(&g.nodes[k].shape))
                        }
                        None => input_view(g, canon, &values, k),
                    })
                    .collect();
                let n = &g.nodes[node];
                let backend = resolved.get(&node).copied().unwrap_or(backend);
                let epilogue = sched.epilogue[si];
                released.extend(taken.into_iter().flatten());
                if epilogue.is_some() || taken.iter().any(Option::is_some) {
                    if let Some(ki) = epilogue {
                        done[ki] = true;
                    }
                    let written = run_fused_matmul(
                        g, plan, codes, node, epilogue, taken, &ins, &values, threads, backend,
                    )?;
                    let bytes = written.iter().map(|(_, b)| b.nbytes()).sum::<usize>();
                    let k = g.nodes[g.inputs[node][0]].shape[1];
                    (written, (bytes, 2 * n.size() * k, true, 0))
                } else if let Op::Update { mode, target } = &n.op {
                    // In place: the target's buffer when this step is its last reader.
                    let mut ins = ins;
                    let owned = super::update::in_place_input(g, plan, node).and_then(|x| {
                        ins[0].0 = Arc::new(Buffer::for_output(n.dtype, 0));
                        take_if_last(x, &readers, &mut values)
                    });
                    if owned.is_none() {
                        ins[0] = input_view(g, canon, &values, g.inputs[node][0]);
                    }
                    let out = super::update::run(*mode, target, n.dtype, &n.shape, owned, &ins)?;
                    let bytes = out.nbytes();
                    (vec![(node, out)], (bytes, 0, true, 0))
                } else {
                    let out = super::ops::run(&n.op, n.dtype, &n.shape, &ins, threads, backend)?;
                    let bytes = out.nbytes() + ins.iter().map(|(b, _)| b.nbytes()).sum::<usize>();
                    (vec![(node, out)], (bytes, 0, true, 0))
                }
            }
        };
        for (node, buf) in written {
            values[node] = Some(Arc::new(buf));
        }
        if record {
            timings.push(StepTiming {
                step: si,
                time: t0.map(|t| t.elapsed()).unwrap_or_default(),
                bytes: info.0,
                flops: info.1,
                cache_hit: info.2,
                lanes: info.3,
            });
        }
        for k in released
            .iter()
            .flat_map(|&s| sched.reads[s].iter().copied())
        {
            readers[k] -= 1;
            if readers[k] == 0 && !g.materialize[k] && plan.reasons[k].is_some() {
                values[k] = None;
            }
        }
    }
    let out = (0..n)
        .map(|i| {
            if g.materialize[i] {
                values[canon[i]].clone()
            } else {
                None
            }
        })
        .collect();
    Ok((out, timings))
}

/// Each plan step's compiled kernel, filled on first use (shared by every evaluation of the
/// same cached plan).
pub type Codes = Vec<std::sync::OnceLock<Arc<Compiled>>>;

/// The code of a kernel step: from the plan's slot, else the kernel cache (filling the slot).
fn code_for(
    slot: &std::sync::OnceLock<Arc<Compiled>>,
    kernel: &Kernel,
) -> Result<(Arc<Compiled>, bool)> {
    if let Some(c) = slot.get() {
        cache::count_hit();
        return Ok((c.clone(), true));
    }
    let (c, hit) = cache::get(kernel)?;
    let _ = slot.set(c.clone());
    Ok((c, hit))
}

/// Each matmul's prologue kernel steps (operand A, operand B).
fn prologue_steps(plan: &Plan) -> HashMap<usize, [Option<usize>; 2]> {
    let mut map: HashMap<usize, [Option<usize>; 2]> = HashMap::new();
    for (i, s) in plan.steps.iter().enumerate() {
        if let Step::Kernel {
            prologue_of: Some((m, j)),
            ..
        } = s
        {
            map.entry(*m).or_default()[*j] = Some(i);
        }
    }
    map
}

/// The cost model's choice for the 2-D matmul `node` whose operands are computed by the prologue
/// kernel steps `steps` (A, B): when it packs prologues they run inside the JIT's packing.
pub(crate) fn prologue_choice(
    g: &Graph,
    plan: &Plan,
    node: usize,
    steps: [Option<usize>; 2],
    backend: MatmulBackend,
) -> Choice {
    let work = steps.map(|s| {
        s.map(|i| match &plan.steps[i] {
            Step::Kernel { kernel, .. } => PrologueWork::of(kernel),
            Step::Runtime { .. } => unreachable!("prologues are kernels"),
        })
    });
    let n = &g.nodes[node];
    let k = g.nodes[plan.canon[g.inputs[node][0]]].shape[1];
    choose_fused(backend, n.dtype, 1, n.shape[0], k, n.shape[1], work)
}

/// A 2-D float matmul with fused kernels: the `epilogue` step's kernel runs on each finished
/// block of the product, and each `prologues` step's kernel computes its operand block by block
/// inside packing (the caller decided the backend packs prologues).
#[allow(clippy::too_many_arguments)]
fn run_fused_matmul(
    g: &Graph,
    plan: &Plan,
    codes: &Codes,
    m: usize,
    epilogue: Option<usize>,
    prologues: [Option<usize>; 2],
    ins: &[(Arc<Buffer>, View)],
    values: &[Option<Arc<Buffer>>],
    threads: usize,
    backend: MatmulBackend,
) -> Result<Vec<(usize, Buffer)>> {
    let mn = &g.nodes[m];
    let mut product = Buffer::for_output(mn.dtype, mn.size());
    let input_ptrs = |inputs: &[usize], product: *const u8| -> Vec<*const u8> {
        inputs
            .iter()
            .map(|&i| {
                if i == m {
                    product
                } else {
                    values[i]
                        .as_ref()
                        .expect("fused kernel input ready")
                        .as_ptr()
                }
            })
            .collect()
    };
    // Prologues: their output argument is pointed at the packing scratch block on each call.
    let mut pro_codes = Vec::new();
    for p in prologues.iter().flatten() {
        pro_codes.push((*p, code_for(&codes[*p], step_kernel(&plan.steps[*p]))?.0));
        cache::count_prologue();
    }
    let pro_preps: Vec<(Prepared, usize, usize)> = pro_codes
        .iter()
        .map(|(p, code)| {
            let Step::Kernel { kernel, inputs, .. } = &plan.steps[*p] else {
                unreachable!("prologues are kernels")
            };
            let out_arg = kernel.args.iter().position(|a| a.output).expect("output");
            let es = kernel.args[out_arg].dtype.size();
            let mut ptrs = input_ptrs(inputs, std::ptr::null());
            bind_offsets(
                g,
                kernel,
                inputs,
                step_rebase(&plan.steps[*p]),
                values,
                &mut ptrs,
            )?;
            let prep = Prepared::new(code, kernel, &ptrs, &[std::ptr::null_mut()], None);
            Ok((prep, out_arg, es))
        })
        .collect::<Result<_>>()?;
    let pro_fns: Vec<_> = pro_preps
        .iter()
        .map(|(prep, out_arg, es)| {
            let (out_arg, es) = (*out_arg, *es);
            move |r0: usize, r1: usize, c0: usize, c1: usize, out: *mut u8, ld: usize| {
                // Element (r, c) goes to out + ((r - r0)·ld + c - c0)·es: a base r0·ld + c0
                // elements before `out`, with row stride ld (never dereferenced outside the block).
                let base = out.wrapping_sub((r0 * ld + c0) * es);
                let strides = [(ld * es) as i64, es as i64];
                prep.call_redirected(
                    out_arg,
                    base,
                    &strides,
                    &[r0 as i64, c0 as i64],
                    &[r1 as i64, c1 as i64],
                );
            }
        })
        .collect();
    let mut pro: [Option<super::mat::Prologue>; 2] = [None, None];
    let mut fns = pro_fns.iter();
    for (j, p) in prologues.iter().enumerate() {
        if p.is_some() {
            pro[j] = Some(fns.next().expect("one closure per prologue"));
        }
    }
    let multiply = |product: &mut Buffer, epi: Option<super::mat::Epilogue>| {
        super::matmul_dispatch::matmul_into(
            mn.dtype, &mn.shape, &ins[0], &ins[1], threads, backend, product, epi, pro,
        )
    };
    let Some(ki) = epilogue else {
        multiply(&mut product, None)?;
        return Ok(vec![(m, product)]);
    };
    let Step::Kernel {
        kernel,
        inputs,
        outputs,
        rebase,
        ..
    } = &plan.steps[ki]
    else {
        unreachable!("epilogues are kernels")
    };
    let (code, _) = code_for(&codes[ki], kernel)?;
    // One output may be written in place into the product: one of the product's dtype at the
    // product's own index, when the kernel reads the product once (each element is loaded
    // before it is overwritten, in the same call). Other outputs (held intermediates of the
    // product's shape) get buffers of their own.
    let product_args: Vec<_> = kernel
        .args
        .iter()
        .filter(|a| !a.output)
        .zip(inputs)
        .filter(|(_, i)| **i == m)
        .map(|(a, _)| a)
        .collect();
    let in_place = kernel.args.iter().filter(|a| a.output).position(|a| {
        a.dtype == mn.dtype
            && product_args.len() == 1
            && product_args[0].strides == a.strides
            && product_args[0].offset == a.offset
    });
    let pp = product.as_mut_ptr();
    let mut outs: Vec<Buffer> = outputs
        .iter()
        .enumerate()
        .map(|(j, &o)| {
            let len = if in_place == Some(j) {
                0
            } else {
                g.nodes[o].size()
            };
            Buffer::for_output(g.nodes[o].dtype, len)
        })
        .collect();
    let out_ptrs: SmallVec<[*mut u8; 4]> = outs
        .iter_mut()
        .enumerate()
        .map(|(j, b)| {
            if in_place == Some(j) {
                pp
            } else {
                b.as_mut_ptr()
            }
        })
        .collect();
    let mut in_ptrs = input_ptrs(inputs, pp.cast_const());
    bind_offsets(g, kernel, inputs, rebase, values, &mut in_ptrs)?;
    let prep = Prepared::new(&code, kernel, &in_ptrs, &out_ptrs, None);
    let epi = |r0: usize, r1: usize, c0: usize, c1: usize| {
        prep.call(&[r0 as i64, c0 as i64], &[r1 as i64, c1 as i64]);
    };
    multiply(&mut product, Some(&epi))?;
    let mut written = Vec::with_capacity(outputs.len() + 1);
    let mut product = Some(product);
    for (j, (&o, b)) in outputs.iter().zip(outs).enumerate() {
        if in_place == Some(j) {
            written.push((o, product.take().expect("one output in place")));
        } else {
            written.push((o, b));
        }
    }
    if let Some(p) = product {
        written.push((m, p));
    }
    Ok(written)
}

fn step_rebase(s: &Step) -> &[Rebase] {
    match s {
        Step::Kernel { rebase, .. } => rebase,
        Step::Runtime { .. } => &[],
    }
}

/// Binds the offsets of parameter views (`x.i(k)` of a leaf) for this run: each such input
/// pointer moves by the difference between the view's offset now and when the plan was built,
/// after checking that every element the loop nest reads through it lies inside the buffer.
fn bind_offsets(
    g: &Graph,
    k: &Kernel,
    inputs: &[usize],
    rebase: &[Rebase],
    values: &[Option<Arc<Buffer>>],
    ptrs: &mut [*const u8],
) -> Result<()> {
    for r in rebase {
        let Op::View(v) = &g.nodes[r.view].op else {
            unreachable!("a rebased argument reads through a view")
        };
        let a = &k.args[r.arg];
        let j = k.args[..r.arg].iter().filter(|x| !x.output).count();
        let len = values[inputs[j]].as_ref().map_or(0, |b| b.len()) as i128;
        let offset = a.offset as i128 + v.offset as i128 - r.planned as i128;
        let (mut lo, mut hi) = (offset, offset);
        for (&d, &s) in k.dims.iter().zip(&a.strides) {
            let span = s as i128 * (d as i128 - 1).max(0);
            if span < 0 { lo += span } else { hi += span }
        }
        if k.iterations() > 0 && (lo < 0 || hi >= len) {
            return Err(crate::Error::Invalid {
                op: "bind",
                msg: format!(
                    "view offset {} reads elements {lo}..={hi} of a buffer of {len}",
                    v.offset
                ),
            });
        }
        let delta = (v.offset - r.planned) * a.dtype.size() as isize;
        ptrs[j] = ptrs[j].wrapping_offset(delta);
    }
    Ok(())
}

fn step_kernel(s: &Step) -> &Kernel {
    match s {
        Step::Kernel { kernel, .. } => kernel,
        Step::Runtime { .. } => unreachable!("a kernel step"),
    }
}

/// `in-place`: the buffer of an input that dies at this step, read once at exactly the index
/// the `j`-th output is written, of the same dtype and size, may become that output's buffer (an
/// elementwise kernel reads each element before writing it, and no other argument reads it).
/// This checks what the plan decides; [`take_if_last`] checks the buffer when the step runs.
fn in_place_candidate(
    g: &Graph,
    plan: &Plan,
    kernel: &Kernel,
    inputs: &[usize],
    j: usize,
    out: usize,
) -> Option<usize> {
    if kernel.strategy() != Strategy::Elementwise {
        return None;
    }
    let out_arg = kernel.args.iter().filter(|a| a.output).nth(j)?;
    let in_args: Vec<_> = kernel.args.iter().filter(|a| !a.output).collect();
    let (_, &x) = inputs.iter().enumerate().find(|&(p, &x)| {
        let a = in_args[p];
        inputs.iter().filter(|&&y| y == x).count() == 1
            && !g.materialize[x]
            && !g.is_realized(x)
            && plan.reasons[x].is_some()
            && a.dtype == out_arg.dtype
            && a.strides == out_arg.strides
            && a.offset == out_arg.offset
            && g.nodes[x].size() == g.nodes[out].size()
    })?;
    Some(x)
}

/// The buffer of `x` if this step is its last reader and nothing else holds it.
fn take_if_last(x: usize, readers: &[usize], values: &mut [Option<Arc<Buffer>>]) -> Option<Buffer> {
    if readers[x] != 1 || values[x].as_ref().is_none_or(|b| Arc::strong_count(b) != 1) {
        return None;
    }
    Arc::try_unwrap(values[x].take()?).ok()
}

/// The buffer and strided view a runtime op reads for input node `k`.
fn input_view(
    g: &Graph,
    canon: &[usize],
    values: &[Option<Arc<Buffer>>],
    k: usize,
) -> (Arc<Buffer>, View) {
    let k = canon[k];
    if let Some(b) = &values[k] {
        return (b.clone(), View::contiguous(&g.nodes[k].shape));
    }
    match &g.nodes[k].op {
        Op::View(v) => {
            let base = canon[g.inputs[k][0]];
            (
                values[base].clone().expect("view base computed earlier"),
                v.clone(),
            )
        }
        _ => unreachable!("runtime op inputs are buffers or views of buffers"),
    }
}

/// A kernel's argument table, ready to call with any loop ranges.
pub struct Prepared<'a> {
    code: &'a Compiled,
    ptrs: SmallVec<[*mut u8; 8]>,
    strides: SmallVec<[i64; 24]>,
}

// SAFETY: the pointers refer to buffers that outlive every call (the caller keeps them alive);
// concurrent calls cover disjoint ranges, so they write disjoint elements.
unsafe impl Sync for Prepared<'_> {}

impl<'a> Prepared<'a> {
    /// Points every argument of `k` at its buffer: `inputs` in argument order, then `outputs`,
    /// plus a scratch row for outer reductions.
    pub fn new(
        code: &'a Compiled,
        k: &Kernel,
        inputs: &[*const u8],
        outputs: &[*mut u8],
        scratch: Option<*mut u8>,
    ) -> Self {
        let nd = k.ndim();
        let mut ptrs = SmallVec::with_capacity(k.args.len() + 1);
        let mut strides = SmallVec::with_capacity((k.args.len() + 1) * nd);
        let (mut ni, mut no) = (0, 0);
        for a in &k.args {
            let es = a.dtype.size() as isize;
            let base = if a.output {
                no += 1;
                outputs[no - 1]
            } else {
                ni += 1;
                inputs[ni - 1] as *mut u8
            };
            // SAFETY: the plan computed `offset` and strides from views of this very buffer, so
            // every element the loop nest visits (offset + Σ i·stride) is inside it.
            ptrs.push(unsafe { base.offset(a.offset * es) });
            strides.extend(a.strides.iter().map(|&s| (s * es) as i64));
        }
        if let Some(sp) = scratch {
            let r = k
                .reduce
                .as_ref()
                .expect("outer reductions have a reduction");
            let es = r.dtype.size() as isize;
            let cs = c_strides(&k.dims[..k.n_outer]);
            ptrs.push(sp);
            strides.extend((0..nd).map(|d| {
                if d < k.n_outer {
                    (cs[d] * es) as i64
                } else {
                    0
                }
            }));
        }
        Prepared {
            code,
            ptrs,
            strides,
        }
    }

    /// [`Prepared::call`] with argument `arg` pointed at `ptr` with byte `strides` (one per loop
    /// dim) for this call only: a fused prologue writes its block into a packing scratch buffer.
    /// Several threads may call it at once (the table is copied, onto the stack when small).
    /// Index `i` of the ranges is addressed at `ptr + Σ i[d]·strides[d]`, so a block starting at
    /// `lo` is written from its first element when `ptr` is the block minus `Σ lo[d]·strides[d]`.
    /// (Example: `tests::call_redirected_writes_one_block`.)
    pub fn call_redirected(
        &self,
        arg: usize,
        ptr: *mut u8,
        strides: &[i64],
        lo: &[i64],
        hi: &[i64],
    ) {
        const MAX_ARGS: usize = 16;
        const MAX_STRIDES: usize = 64;
        let nd = lo.len();
        debug_assert_eq!(strides.len(), nd);
        let (na, ns) = (self.ptrs.len(), self.strides.len());
        let run = |ptrs: &mut [*mut u8], st: &mut [i64]| {
            ptrs.copy_from_slice(&self.ptrs);
            st.copy_from_slice(&self.strides);
            ptrs[arg] = ptr;
            st[arg * nd..(arg + 1) * nd].copy_from_slice(strides);
            // SAFETY: as in `call`; the caller guarantees `ptr` with `strides` addresses writable
            // memory for every index in the ranges.
            unsafe { (self.code.func)(ptrs.as_ptr(), st.as_ptr(), lo.as_ptr(), hi.as_ptr()) };
            crate::codegen::helpers::check_fault();
        };
        if na <= MAX_ARGS && ns <= MAX_STRIDES {
            let mut ptrs = [std::ptr::null_mut(); MAX_ARGS];
            let mut st = [0i64; MAX_STRIDES];
            run(&mut ptrs[..na], &mut st[..ns]);
        } else {
            run(&mut vec![std::ptr::null_mut(); na], &mut vec![0; ns]);
        }
    }

    /// Runs the kernel over `lo[d]..hi[d]` on every loop dim.
    pub fn call(&self, lo: &[i64], hi: &[i64]) {
        // SAFETY: `ptrs`, `strides`, `lo`, `hi` have the lengths the kernel reads (one entry per
        // argument, per argument and dim, per dim), and ranges lie within the dims.
        unsafe {
            (self.code.func)(
                self.ptrs.as_ptr(),
                self.strides.as_ptr(),
                lo.as_ptr(),
                hi.as_ptr(),
            )
        }
        crate::codegen::helpers::check_fault();
    }
}

/// Checks every argument of `k` against the buffer it will address: the dtype matches and every
/// element the loop nest visits (offset + Σ i·stride over the kernel's dims) lies inside the
/// buffer. Generated code trusts these extents; a plan that does not fit its buffers (an
/// internal bug) is an error here instead of an out-of-bounds access.
fn check_extents(
    k: &Kernel,
    rebase: &[Rebase],
    ins: &[(usize, DType)],
    outs: &[(usize, DType)],
) -> Result<()> {
    let (mut i, mut o) = (ins.iter(), outs.iter());
    for (n, a) in k.args.iter().enumerate() {
        let b = if a.output { o.next() } else { i.next() };
        if rebase.iter().any(|r| r.arg == n) {
            continue; // its offset is bound (and checked) per run by `bind_offsets`
        }
        let view = View {
            shape: k.dims.iter().copied().collect(),
            strides: a.strides.iter().copied().collect(),
            offset: a.offset,
        };
        if !b.is_some_and(|&(len, dt)| dt == a.dtype && view.fits(len)) {
            return Err(crate::error::Error::Compile(format!(
                "kernel argument {view:?} does not fit its buffer (length, dtype) {b:?}"
            )));
        }
    }
    Ok(())
}

/// A persistent worker pool per thread count (spawning threads per kernel costs more than a
/// small kernel).
pub fn pool(threads: usize) -> &'static rayon::ThreadPool {
    static POOLS: std::sync::OnceLock<std::sync::Mutex<Vec<(usize, &'static rayon::ThreadPool)>>> =
        std::sync::OnceLock::new();
    let pools = POOLS.get_or_init(Default::default);
    let mut list = pools.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&(_, p)) = list.iter().find(|(n, _)| *n == threads) {
        return p;
    }
    let p: &'static rayon::ThreadPool = Box::leak(Box::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("lazynp-{i}"))
            .build()
            .expect("thread pool"),
    ));
    list.push((threads, p));
    p
}

/// Runs one compiled kernel writing into `outs` (one buffer per output argument, in order).
pub fn run_kernel(
    code: &Compiled,
    k: &Kernel,
    inputs: &[*const u8],
    mut outs: Vec<Buffer>,
    threads: usize,
) -> Vec<Buffer> {
    if outs.iter().all(|b| b.is_empty())
        || k.iterations() == 0 && k.strategy() == Strategy::Elementwise
    {
        return outs;
    }
    let nd = k.ndim();
    let mut scratch = (k.strategy() == Strategy::OuterReduce).then(|| {
        let r = k.reduce.as_ref().expect("reducing kernel");
        Buffer::for_output(r.dtype, k.dims[..k.n_outer].iter().product())
    });
    let outputs: SmallVec<[*mut u8; 4]> = outs.iter_mut().map(|b| b.as_mut_ptr()).collect();
    let prep = Prepared::new(
        code,
        k,
        inputs,
        &outputs,
        scratch.as_mut().map(|s| s.as_mut_ptr()),
    );
    let lo: SmallVec<[i64; 4]> = smallvec::smallvec![0i64; nd];
    let hi: SmallVec<[i64; 4]> = k.dims.iter().map(|&d| d as i64).collect();
    let splittable = nd > 0 && (k.strategy() == Strategy::Elementwise || k.n_outer > 0);
    let total = k.iterations().max(1);
    let d0 = if nd > 0 { k.dims[0] } else { 1 };
    // Chunks along dim 0: a multiple of 64 when dim 0 is the vectorised dim.
    let align = if nd > 0 && k.vector_dim() == 0 { 64 } else { 1 };
    let per_row = total / d0.max(1);
    let rows_per_chunk = (CHUNK_WORK / per_row.max(1)).max(1).next_multiple_of(align);
    let chunks = d0.div_ceil(rows_per_chunk);
    if !splittable || chunks <= 1 || threads <= 1 {
        prep.call(&lo, &hi);
        return outs;
    }
    let chunk = |c: usize| {
        let mut l = lo.clone();
        let mut h = hi.clone();
        l[0] = (c * rows_per_chunk) as i64;
        h[0] = ((c + 1) * rows_per_chunk).min(d0) as i64;
        prep.call(&l, &h);
    };
    pool(threads).install(|| {
        use rayon::prelude::*;
        (0..chunks).into_par_iter().for_each(chunk);
    });
    outs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::{DType, Scalar};
    use crate::ir::BinaryOp;
    use crate::kernel::{Arg, KOp};

    #[test]
    fn call_redirected_writes_one_block() -> crate::error::Result<()> {
        // out = 2 * x over a 2x3 array, C order.
        let arg = |output| Arg {
            dtype: DType::F32,
            strides: vec![3, 1],
            offset: 0,
            output,
        };
        let k = Kernel {
            dims: vec![2, 3],
            n_outer: 2,
            args: vec![arg(false), arg(true)],
            ops: vec![
                KOp::Load { arg: 0 },
                KOp::Const(Scalar::Float(2.0)),
                KOp::Binary(BinaryOp::Mul, 0, 1),
            ],
            types: vec![DType::F32; 3],
            reduce: None,
            stores: vec![(2, 1)],
            inner_stores: vec![],
        };
        let code = crate::codegen::compile(&k, false)?;
        let x = [1.0f32, 2., 3., 4., 5., 6.];
        let mut out = [0.0f32; 6];
        let prep = Prepared::new(
            &code,
            &k,
            &[x.as_ptr().cast()],
            &[out.as_mut_ptr().cast()],
            None,
        );
        // Rows 1..2, columns 1..3 into a 1x2 block instead of `out` (4-byte elements, ld 2).
        let mut block = [0.0f32; 2];
        let base = block.as_mut_ptr().cast::<u8>().wrapping_sub((2 + 1) * 4);
        prep.call_redirected(1, base, &[8, 4], &[1, 1], &[2, 3]);
        assert_eq!(block, [10.0, 12.0]);
        assert_eq!(out, [0.0; 6]);
        Ok(())
    }

    #[test]
    fn arguments_that_do_not_fit_their_buffers_are_refused() {
        let arg = |strides: Vec<isize>, offset, output| Arg {
            dtype: DType::F32,
            strides,
            offset,
            output,
        };
        let kernel = |input: Arg| Kernel {
            dims: vec![2, 3],
            n_outer: 2,
            args: vec![input, arg(vec![3, 1], 0, true)],
            ops: vec![KOp::Load { arg: 0 }],
            types: vec![DType::F32],
            reduce: None,
            stores: vec![(0, 1)],
            inner_stores: vec![],
        };
        let out = [(6, DType::F32)];
        let fits = |k: &Kernel, ins: &[(usize, DType)]| check_extents(k, &[], ins, &out).is_ok();
        let good = kernel(arg(vec![3, 1], 0, false));
        assert!(fits(&good, &[(6, DType::F32)]));
        assert!(!fits(&good, &[(5, DType::F32)])); // one element short
        assert!(!fits(&good, &[(6, DType::F64)])); // another dtype
        assert!(!fits(
            &kernel(arg(vec![3, 1], 1, false)),
            &[(6, DType::F32)]
        )); // offset past
        assert!(!fits(
            &kernel(arg(vec![-3, 1], 0, false)),
            &[(6, DType::F32)]
        )); // before start
        assert!(fits(
            &kernel(arg(vec![-3, 1], 3, false)),
            &[(6, DType::F32)]
        )); // reversed rows
        assert!(fits(&kernel(arg(vec![0, 0], 5, false)), &[(6, DType::F32)])); // broadcast
        assert!(check_extents(&good, &[], &[(6, DType::F32)], &[(5, DType::F32)]).is_err());
    }
}
