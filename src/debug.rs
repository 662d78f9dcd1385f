//! Seeing inside: `explain()` text and the `LAZYNP_DEBUG` ladder.
//!
//! | level | prints on every evaluation (stderr) |
//! | --- | --- |
//! | 1 | one summary line: nodes, kernels, wall time |
//! | 2 | per-step wall time, GB/s, GFLOP/s, % of this machine's copy bandwidth |
//! | 3 | the graph and the fusion plan |
//! | 4 | each kernel's Kernel IR |
//! | 5 | each kernel's Cranelift IR |
//! | 6 | each kernel's machine code |

use crate::ir::{Graph, dump};
use crate::passes::{Plan, Reason, Step};
use crate::runtime::exec::StepTiming;
use std::fmt::Write;
use std::sync::OnceLock;
use std::time::Duration;

/// The `LAZYNP_DEBUG` level (0 when unset), read once.
pub fn level() -> u32 {
    static L: OnceLock<u32> = OnceLock::new();
    *L.get_or_init(|| {
        std::env::var("LAZYNP_DEBUG")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    })
}

/// Single-thread copy bandwidth in GB/s (bytes read + written), measured once on 32 MiB.
pub fn copy_bandwidth() -> f64 {
    static BW: OnceLock<f64> = OnceLock::new();
    *BW.get_or_init(|| {
        let n = 4 << 20;
        let src = vec![1.0f64; n];
        let mut dst = vec![0.0f64; n];
        let mut best = f64::MAX;
        for _ in 0..3 {
            let t = std::time::Instant::now();
            dst.copy_from_slice(&src);
            best = best.min(t.elapsed().as_secs_f64());
        }
        std::hint::black_box(&dst);
        (2 * n * 8) as f64 / best / 1e9
    })
}

fn reason_text(r: Reason) -> &'static str {
    match r {
        Reason::Stored => "stored: a root or held by a handle",
        Reason::RuntimeOp => "runtime op or its input",
        Reason::Copy => "explicit contiguous copy",
        Reason::Shared => "shared by several kernels",
        Reason::View => "read through a non-affine view",
        Reason::SecondReduce => "second reduction",
        Reason::BroadcastReduce => "reduction broadcast back",
        Reason::Eager => "eager: one kernel per op",
        Reason::Size => "long chain or wide expression cut",
        Reason::Broadcast => "broadcast operand, computed once",
    }
}

/// The fusion plan as text: one block per step with its nodes, loops, bytes and FLOPs.
pub(crate) fn plan_text(g: &Graph, plan: &Plan, backend: crate::eval::MatmulBackend) -> String {
    let kernels = plan
        .steps
        .iter()
        .filter(|s| matches!(s, Step::Kernel { .. }))
        .count();
    let mut s = format!(
        "fusion plan: {} steps ({kernels} kernels, {} runtime ops)\n",
        plan.steps.len(),
        plan.steps.len() - kernels
    );
    for (i, step) in plan.steps.iter().enumerate() {
        match step {
            Step::Kernel {
                root,
                outputs,
                kernel,
                inputs,
                members,
                epilogue_of,
                prologue_of,
                rebase: _,
            } => {
                if let Some(mm) = epilogue_of {
                    let _ = writeln!(
                        s,
                        "  [{i}] (epilogue of %{mm}, runs inside the matmul per finished block)"
                    );
                }
                if let Some((mm, j)) = prologue_of {
                    let c = prologue_choice(g, plan, *mm, backend);
                    let operand = ["A", "B"][*j];
                    let _ = writeln!(
                        s,
                        "  [{i}] (prologue of matmul %{mm} (operand {operand}), {})",
                        if c.packs_prologues() {
                            "computed inside packing, block by block"
                        } else {
                            "runs as its own step: the chosen backend reads stored operands"
                        }
                    );
                }
                let extra: Vec<String> = outputs
                    .iter()
                    .filter(|&&o| o != *root)
                    .map(|k| format!("%{k}"))
                    .collect();
                let m: Vec<String> = members.iter().map(|k| format!("%{k}")).collect();
                let ins: Vec<String> = inputs.iter().map(|k| format!("%{k}")).collect();
                let _ = writeln!(
                    s,
                    "  [{i}] kernel -> %{root}{} ({}) | nodes {} | reads {} | loops {:?} {:?} | {} B moved, {} flops",
                    if extra.is_empty() {
                        String::new()
                    } else {
                        format!(" + {}", extra.join(" "))
                    },
                    plan.reasons[*root].map_or("root", reason_text),
                    if m.is_empty() {
                        "-".into()
                    } else {
                        m.join(" ")
                    },
                    if ins.is_empty() {
                        "-".into()
                    } else {
                        ins.join(" ")
                    },
                    kernel.dims,
                    kernel.strategy(),
                    kernel.bytes(),
                    kernel.flops()
                );
            }
            Step::Runtime { node } => {
                let n = &g.nodes[*node];
                let mut line = format!(
                    "  [{i}] runtime {} -> %{node} {}{}",
                    n.op.name(),
                    n.dtype,
                    crate::shape::tuple(&n.shape, ", ")
                );
                if let Some(x) = crate::runtime::update::in_place_input(g, plan, *node) {
                    let _ = write!(line, " | in place: writes into %{x}'s buffer (no copy)");
                }
                if matches!(n.op, crate::ir::Op::Matmul) && n.dtype.is_float() {
                    let a = &g.nodes[g.inputs[*node][0]].shape;
                    let nd = n.shape.len();
                    let batch: usize = n.shape[..nd - 2].iter().product();
                    let (m, k, nn) = (n.shape[nd - 2], a[nd - 1], n.shape[nd - 1]);
                    let has_prologue = plan.steps.iter().any(|s| {
                        matches!(s, Step::Kernel { prologue_of: Some((mm, _)), .. } if mm == node)
                    });
                    let c = if has_prologue {
                        prologue_choice(g, plan, *node, backend)
                    } else {
                        crate::runtime::matmul_dispatch::choose(backend, n.dtype, batch, m, k, nn)
                    };
                    let _ = write!(
                        line,
                        " | backend {:?}{}{} (model: jit {:.1} us, library {:.1} us per product)",
                        c.backend,
                        if c.batched_small {
                            " batched-small"
                        } else {
                            ""
                        },
                        match (has_prologue, c.packs_prologues()) {
                            (false, _) => "",
                            (true, true) => " with prologues in packing",
                            (true, false) => " after its prologues",
                        },
                        c.jit_seconds * 1e6,
                        c.lib_seconds * 1e6
                    );
                }
                let _ = writeln!(s, "{line}");
            }
        }
    }
    s
}

/// The cost model's choice for matmul `node` with its fused prologue kernels.
fn prologue_choice(
    g: &Graph,
    plan: &Plan,
    node: usize,
    backend: crate::eval::MatmulBackend,
) -> crate::runtime::matmul_dispatch::Choice {
    let mut steps = [None, None];
    for (i, s) in plan.steps.iter().enumerate() {
        if let Step::Kernel {
            prologue_of: Some((m, j)),
            ..
        } = s
            && *m == node
        {
            steps[*j] = Some(i);
        }
    }
    crate::runtime::exec::prologue_choice(g, plan, node, steps, backend)
}

/// Full explanation: graph, plan, each kernel's IR and CLIF (and machine code if asked).
pub(crate) fn explain(
    g: &Graph,
    plan: &Plan,
    disasm: bool,
    backend: crate::eval::MatmulBackend,
) -> String {
    let mut s = format!("== graph ({} nodes) ==\n{}", g.len(), dump::text(g));
    s.push_str("== ");
    s.push_str(&plan_text(g, plan, backend));
    for (i, step) in plan.steps.iter().enumerate() {
        if let Step::Kernel { kernel, .. } = step {
            let _ = write!(s, "== kernel [{i}]: Kernel IR ==\n{}", kernel.describe());
            match crate::codegen::compile(kernel, disasm) {
                Ok(c) => {
                    let _ = write!(
                        s,
                        "== kernel [{i}]: Cranelift IR ({} lanes) ==\n{}",
                        c.lanes, c.clif
                    );
                    if let Some(d) = &c.disasm {
                        let _ = write!(s, "== kernel [{i}]: machine code ==\n{d}");
                    }
                }
                Err(e) => {
                    let _ = writeln!(s, "== kernel [{i}]: compile error: {e}");
                }
            }
        }
    }
    s
}

/// Prints what `LAZYNP_DEBUG` asks for after an evaluation.
pub(crate) fn report(
    g: &Graph,
    plan: &Plan,
    timings: &[StepTiming],
    total: Duration,
    backend: crate::eval::MatmulBackend,
) {
    let lvl = level();
    if lvl >= 3 {
        eprint!("{}", dump::text(g));
        eprint!("{}", plan_text(g, plan, backend));
    }
    if lvl >= 2 {
        let bw = copy_bandwidth();
        for t in timings {
            let secs = t.time.as_secs_f64().max(1e-9);
            let gbs = t.bytes as f64 / secs / 1e9;
            eprintln!(
                "lazynp: step {:>3} {:>10.1} us {:>7.2} GB/s ({:>3.0}% of copy bw) {:>7.2} GFLOP/s lanes {} {}",
                t.step,
                secs * 1e6,
                gbs,
                100.0 * gbs / bw,
                t.flops as f64 / secs / 1e9,
                t.lanes,
                if t.cache_hit { "cached" } else { "compiled" }
            );
        }
    }
    if lvl >= 4 {
        for (i, step) in plan.steps.iter().enumerate() {
            if let Step::Kernel { kernel, .. } = step {
                eprint!("kernel [{i}]\n{}", kernel.describe());
                if lvl >= 5
                    && let Ok(c) = crate::codegen::compile(kernel, lvl >= 6)
                {
                    eprint!("{}", c.clif);
                    if let Some(d) = &c.disasm {
                        eprint!("{d}");
                    }
                }
            }
        }
    }
    if lvl >= 1 {
        eprintln!(
            "lazynp: eval {} nodes -> {} steps in {:.1} us",
            g.len(),
            plan.steps.len(),
            total.as_secs_f64() * 1e6
        );
    }
}
