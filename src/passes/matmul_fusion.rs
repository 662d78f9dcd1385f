//! Matmul fusion: elementwise kernels that run inside a 2-D float product — epilogues on each
//! finished block of the product, prologues inside the JIT GEMM's packing. Runs after the
//! kernels are lowered (`fuse`), on the ordered steps.

use super::fuse::{Reason, Step};
use super::lower::{Fail, lower_uncollapsed};
use super::simplify::Cse;
use crate::ir::{Graph, Op};

/// The node of a runtime step that is a 2-D float matmul (the products epilogues and prologues
/// fuse into).
fn float_matmul_2d(g: &Graph, step: &Step) -> Option<usize> {
    let Step::Runtime { node } = *step else {
        return None;
    };
    let n = &g.nodes[node];
    (matches!(n.op, Op::Matmul) && n.shape.len() == 2 && n.dtype.is_float()).then_some(node)
}

/// Steps that read node `x`: kernels through an argument, runtime ops directly or through a
/// view of it.
fn steps_reading(g: &Graph, cse: &Cse, steps: &[Step], x: usize) -> Vec<usize> {
    (0..steps.len())
        .filter(|&s| match &steps[s] {
            Step::Kernel { inputs, .. } => inputs.contains(&x),
            Step::Runtime { node } => g.inputs[*node].iter().any(|&k| {
                let k = cse.canon[k];
                k == x || g.inputs[k].iter().any(|&b| cse.canon[b] == x)
            }),
        })
        .collect()
}

/// `epilogue`: an elementwise kernel whose only matmul input is a 2-D float product read at its
/// own index, and which is that product's only reader, runs block by block inside the product.
pub(super) fn fuse_matmul_epilogues(
    g: &Graph,
    cse: &Cse,
    reasons: &[Option<Reason>],
    extra: &[Option<usize>],
    steps: &mut [Step],
) -> Result<(), Vec<Fail>> {
    for mi in 0..steps.len() {
        let Some(m) = float_matmul_2d(g, &steps[mi]) else {
            continue;
        };
        let mn = &g.nodes[m];
        let k_extent = g.nodes[cse.canon[g.inputs[m][0]]]
            .shape
            .last()
            .copied()
            .unwrap_or(0);
        if g.materialize[m] || k_extent == 0 {
            continue;
        }
        let [ki] = steps_reading(g, cse, steps, m)[..] else {
            continue;
        };
        let Step::Kernel {
            root,
            kernel,
            inputs,
            outputs,
            ..
        } = &steps[ki]
        else {
            continue;
        };
        let ready = inputs.iter().all(|&i| {
            i == m
                || g.is_realized(i)
                || steps[..mi].iter().any(|s| match s {
                    Step::Kernel { outputs, .. } => outputs.contains(&i),
                    Step::Runtime { node } => *node == i,
                })
        });
        if kernel.reduce.is_some()
            || outputs.iter().any(|&o| g.nodes[o].shape != mn.shape)
            || !ready
        {
            continue;
        }
        let mut step = lower_uncollapsed(g, cse, reasons, extra, *root)?;
        let Step::Kernel {
            kernel,
            inputs,
            epilogue_of,
            ..
        } = &mut step
        else {
            continue;
        };
        let n = mn.shape[1] as isize;
        let reads_at_own_index = kernel
            .args
            .iter()
            .filter(|a| !a.output)
            .zip(inputs.iter())
            .filter(|(_, i)| **i == m)
            .all(|(a, _)| {
                // Extent-1 dims carry stride 0 after normalisation: any stride reads index 0.
                let own = [n, 1];
                a.offset == 0 && (0..2).all(|d| mn.shape[d] == 1 || a.strides[d] == own[d])
            });
        if kernel.dims == mn.shape && reads_at_own_index {
            *epilogue_of = Some(m);
            steps[ki] = step;
        }
    }
    Ok(())
}

/// `prologue`: an elementwise kernel with one output, read only by a 2-D float matmul as its
/// operand A or B (the buffer itself, row-major), can be computed block by block inside the
/// matmul's packing. It is lowered over the operand's (rows, columns), not collapsed, so the
/// runtime can call it on any block and point its output at a packing scratch block.
pub(super) fn fuse_matmul_prologues(
    g: &Graph,
    cse: &Cse,
    reasons: &[Option<Reason>],
    extra: &[Option<usize>],
    steps: &mut [Step],
) -> Result<(), Vec<Fail>> {
    for mi in 0..steps.len() {
        let Some(m) = float_matmul_2d(g, &steps[mi]) else {
            continue;
        };
        let mn = &g.nodes[m];
        let ops: Vec<usize> = g.inputs[m].iter().map(|&k| cse.canon[k]).collect();
        for (j, &p) in ops.iter().enumerate() {
            let pn = &g.nodes[p];
            // Read by this matmul once, directly (not through a view, not as both operands).
            let direct_reads = ops.iter().filter(|&&k| k == p).count();
            let view_reads = ops
                .iter()
                .filter(|&&k| {
                    matches!(g.nodes[k].op, Op::View(_))
                        && g.inputs[k].iter().any(|&b| cse.canon[b] == p)
                })
                .count();
            if direct_reads != 1
                || view_reads != 0
                || pn.shape.len() != 2
                || pn.dtype != mn.dtype
                || g.materialize[p]
                || g.is_realized(p)
                || extra[p].is_some()
            {
                continue;
            }
            if steps_reading(g, cse, steps, p) != [mi] {
                continue;
            }
            let Some(pi) = steps[..mi]
                .iter()
                .position(|s| matches!(s, Step::Kernel { root, .. } if *root == p))
            else {
                continue;
            };
            let Step::Kernel {
                kernel,
                outputs,
                epilogue_of: None,
                prologue_of: None,
                ..
            } = &steps[pi]
            else {
                continue;
            };
            if kernel.reduce.is_some() || outputs[..] != [p] {
                continue;
            }
            let mut step = lower_uncollapsed(g, cse, reasons, extra, p)?;
            let Step::Kernel {
                kernel,
                outputs,
                prologue_of,
                ..
            } = &mut step
            else {
                continue;
            };
            let out_ok = kernel.args.iter().filter(|a| a.output).count() == 1
                && kernel.args.iter().any(|a| a.output && a.offset == 0);
            if kernel.dims == pn.shape && kernel.reduce.is_none() && *outputs == [p] && out_ok {
                *prologue_of = Some((m, j));
                steps[pi] = step;
            }
        }
    }
    Ok(())
}
