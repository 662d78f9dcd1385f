//! Index maps: the affine map from a kernel's loop indices to a node's multi-index, and views
//! of computed nodes expressed as such maps (what lets a view fuse into the kernel reading it).

use crate::shape::{View, c_strides};

/// An affine map from loop indices to a node's multi-index: `idx[d] = off[d] + Σ coef[d][l]·i_l`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Map {
    pub(super) coef: Vec<Vec<isize>>,
    pub(super) off: Vec<isize>,
    /// Number of loop dims (columns of `coef`; kept explicitly for 0-d nodes with no rows).
    pub(super) loops: usize,
}

impl Map {
    /// Flat strides and offset over a C-contiguous buffer of `shape`.
    pub(super) fn flat(&self, shape: &[usize], loops: usize) -> (Vec<isize>, isize) {
        let c = c_strides(shape);
        let mut strides = vec![0isize; loops];
        let mut offset = 0;
        for (d, cd) in c.iter().enumerate() {
            offset += cd * self.off[d];
            for (l, s) in strides.iter_mut().enumerate() {
                *s += cd * self.coef[d][l];
            }
        }
        (strides, offset)
    }

    /// `A·self + b` for a map (A, b) from this node's index to another's.
    pub(super) fn then(&self, a: &[Vec<isize>], b: &[isize]) -> Map {
        let loops = self.loops;
        let coef = a
            .iter()
            .map(|row| {
                (0..loops)
                    .map(|l| row.iter().zip(&self.coef).map(|(x, r)| x * r[l]).sum())
                    .collect()
            })
            .collect();
        let off = a
            .iter()
            .zip(b)
            .map(|(row, bd)| bd + row.iter().zip(&self.off).map(|(x, o)| x * o).sum::<isize>())
            .collect();
        Map { coef, off, loops }
    }
}

/// A view of a computed node of shape `src` as an index map (A, b), if it is one.
pub(super) fn view_as_map(v: &View, src: &[usize]) -> Option<(Vec<Vec<isize>>, Vec<isize>)> {
    let c = c_strides(src);
    let nd = src.len();
    let mut b = vec![0isize; nd];
    let mut rem = v.offset;
    for d in 0..nd {
        if src[d] > 1 {
            b[d] = rem / c[d];
            rem -= b[d] * c[d];
        }
    }
    if rem != 0 {
        return None;
    }
    let mut a = vec![vec![0isize; v.shape.len()]; nd];
    for (k, (&ext, &s)) in v.shape.iter().zip(&v.strides).enumerate() {
        if ext <= 1 || s == 0 {
            continue;
        }
        let d = (0..nd).find(|&d| src[d] > 1 && s % c[d] == 0)?;
        a[d][k] = s / c[d];
    }
    for d in 0..nd {
        let (mut lo, mut hi) = (b[d], b[d]);
        for (k, &ext) in v.shape.iter().enumerate() {
            let span = a[d][k] * (ext as isize - 1).max(0);
            if span < 0 { lo += span } else { hi += span }
        }
        if lo < 0 || hi >= src[d] as isize {
            return None;
        }
    }
    Some((a, b))
}
