//! Ops the runtime executes directly: concatenation, gathers (`take`), and matmul dispatch.

use super::Buffer;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::interp::{Arith, for_each_index, gather_view};
use crate::ir::Op;
use crate::shape::View;
use crate::with_dtype;
use std::sync::Arc;

/// Executes a runtime op on strided inputs.
pub fn run(
    op: &Op,
    dtype: DType,
    shape: &[usize],
    ins: &[(Arc<Buffer>, View)],
    threads: usize,
    backend: super::matmul_dispatch::MatmulBackend,
) -> Result<Buffer> {
    // The input itself when it is already dense (no copy), else its view gathered.
    let dense = |i: usize| -> std::borrow::Cow<'_, Buffer> {
        let (b, v) = &ins[i];
        if v.is_contiguous() && v.offset == 0 && b.len() == v.shape.iter().product::<usize>() {
            std::borrow::Cow::Borrowed(&**b)
        } else {
            std::borrow::Cow::Owned(gather_view(b, v))
        }
    };
    match op {
        Op::Concat { axis } => {
            let parts: Vec<_> = (0..ins.len()).map(dense).collect();
            let refs: Vec<&Buffer> = parts.iter().map(|p| &**p).collect();
            let shapes: Vec<&[usize]> = ins.iter().map(|(_, v)| v.shape.as_slice()).collect();
            crate::interp::eval_node(&Op::Concat { axis: *axis }, dtype, shape, &refs, &shapes)
        }
        Op::Take { axis } => {
            let x = dense(0);
            let idx = dense(1);
            crate::interp::eval_node(
                &Op::Take { axis: *axis },
                dtype,
                shape,
                &[&x, &idx],
                &[&ins[0].1.shape, &ins[1].1.shape],
            )
        }
        Op::Matmul => {
            super::matmul_dispatch::matmul(dtype, shape, &ins[0], &ins[1], threads, backend)
        }
        other => Err(Error::Compile(format!(
            "{} is not a runtime op",
            other.name()
        ))),
    }
}

/// A plain strided matmul for every dtype (ints wrap, bools or/and): the fallback backend.
pub fn matmul_generic(
    dtype: DType,
    shape: &[usize],
    a: &(Arc<Buffer>, View),
    b: &(Arc<Buffer>, View),
) -> Buffer {
    let nd = shape.len();
    let (m, n) = (shape[nd - 2], shape[nd - 1]);
    let k = a.1.shape[nd - 1];
    let batch: Vec<usize> = shape[..nd - 2].to_vec();
    with_dtype!(dtype, T => {
        let (xa, xb) = (a.0.as_slice::<T>(), b.0.as_slice::<T>());
        let mut buf = Buffer::zeroed(dtype, shape.iter().product());
        let out = buf.as_mut_slice::<T>();
        let mut o = 0;
        let bdims = batch.len();
        let mut run_batch = |bi: &[usize]| {
            let base_a = a.1.offset + bi.iter().zip(&a.1.strides).map(|(&i, &s)| i as isize * s).sum::<isize>();
            let base_b = b.1.offset + bi.iter().zip(&b.1.strides).map(|(&i, &s)| i as isize * s).sum::<isize>();
            let (ars, acs) = (a.1.strides[bdims], a.1.strides[bdims + 1]);
            let (brs, bcs) = (b.1.strides[bdims], b.1.strides[bdims + 1]);
            for i in 0..m {
                for j in 0..n {
                    let mut acc = T::zero();
                    for p in 0..k {
                        let x = xa[(base_a + i as isize * ars + p as isize * acs) as usize];
                        let y = xb[(base_b + p as isize * brs + j as isize * bcs) as usize];
                        acc = acc.add(x.mul(y));
                    }
                    out[o] = acc;
                    o += 1;
                }
            }
        };
        if batch.is_empty() {
            run_batch(&[]);
        } else {
            for_each_index(&batch, |bi| run_batch(bi));
        }
        buf
    })
}
