//! The compiled update path (runtime loop, strided inputs, in-place reuse) agrees exactly with the
//! reference interpreter on random updates: every target kind and mode, values read through
//! transposed and broadcast views, index arrays read through views, negative, repeated and
//! out-of-range indices, empty selections and 0-size arrays.

use lazynp::{self as np, Array, DType, EvalOptions, Selection, SliceArg, SliceInfo};

#[derive(Clone)]
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        if hi < lo {
            return lo;
        }
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
}

fn data(r: &mut Lcg, shape: &[usize], dtype: DType) -> Array {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|_| r.int(-9, 9) as f64 * 0.5).collect();
    np::array(v)
        .reshape(shape.iter().map(|&d| d as isize).collect::<Vec<_>>())
        .astype(dtype)
}

/// A value array of `shape`, built as the transpose of a stored array (a strided view) or a
/// broadcast row.
fn values(r: &mut Lcg, shape: &[usize], dtype: DType) -> Array {
    match r.below(3) {
        0 if shape.len() >= 2 => {
            let mut rev = shape.to_vec();
            rev.reverse();
            data(r, &rev, dtype).eval().unwrap().t()
        }
        1 if !shape.is_empty() => {
            let last = [*shape.last().unwrap()];
            data(r, &last, dtype)
                .eval()
                .unwrap()
                .try_broadcast_to(shape)
                .unwrap()
        }
        _ => data(r, shape, dtype),
    }
}

fn indices(r: &mut Lcg, shape: &[usize], n: usize) -> Array {
    let size: usize = shape.iter().product();
    let lo = -(n as i64) - i64::from(r.below(20) == 0);
    let v: Vec<i64> = (0..size).map(|_| r.int(lo, n as i64 - 1)).collect();
    let a = np::array(v).reshape(shape.iter().map(|&d| d as isize).collect::<Vec<_>>());
    if shape.len() == 2 && r.below(2) == 0 {
        // Read through a transposed view.
        let t = np::array(a.to_vec::<i64>().unwrap())
            .reshape([shape[1] as isize, shape[0] as isize])
            .eval()
            .unwrap();
        return t.t();
    }
    a
}

fn case(r: &mut Lcg) -> Option<Array> {
    let dtype = [DType::F64, DType::F32, DType::I32, DType::U8, DType::Bool][r.below(5)];
    let nd = 1 + r.below(3);
    let shape: Vec<usize> = (0..nd).map(|_| r.below(5)).collect();
    // The target is computed (so the update may run in place) or a leaf.
    let x = if r.below(2) == 0 {
        (&data(r, &shape, DType::F64) * 1.0).astype(dtype)
    } else {
        data(r, &shape, dtype).eval().unwrap()
    };
    let at = |sel: Selection| x.at(sel);
    let sel = match r.below(4) {
        0 => {
            let args = shape
                .iter()
                .map(|&n| match r.below(3) {
                    0 if n > 0 => SliceArg::Index(r.int(-(n as i64), n as i64 - 1) as isize),
                    1 => SliceArg::Range {
                        start: Some(r.int(-3, 3) as isize),
                        stop: None,
                        step: [1, 2, -1, -2][r.below(4)],
                    },
                    _ => SliceArg::Range {
                        start: None,
                        stop: None,
                        step: 1,
                    },
                })
                .collect();
            Selection::Slice(SliceInfo(args))
        }
        1 => {
            let axis = r.below(nd);
            let ishape: Vec<usize> = (0..1 + r.below(2)).map(|_| r.below(4)).collect();
            Selection::Index(indices(r, &ishape, shape[axis]), axis)
        }
        2 => {
            let axis = r.below(nd);
            let mut ishape = shape.clone();
            ishape[axis] = r.below(4);
            Selection::Along(indices(r, &ishape, shape[axis]), axis)
        }
        _ => {
            let k = 1 + r.below(nd);
            let m = data(r, &shape[..k], DType::F64).gt(0.0).eval().unwrap();
            Selection::Mask(m)
        }
    };
    if let Selection::Mask(m) = &sel {
        // One row per selected element (or a wrong count: a run-time error), or one row.
        let mut vshape = vec![r.below(4)];
        vshape.extend_from_slice(&shape[m.ndim()..]);
        let v = values(r, &vshape, dtype);
        return at(sel.clone()).try_set(&v).ok();
    }
    // The selection's shape.
    let vshape = match &sel {
        Selection::Slice(info) => x.try_slice(info).ok()?.shape().to_vec(),
        Selection::Index(idx, axis) => x.try_take(idx, *axis as isize).ok()?.shape().to_vec(),
        Selection::Along(idx, _) => idx.shape().to_vec(),
        Selection::Mask(_) => unreachable!("handled above"),
    };
    let v = values(r, &vshape, dtype);
    let a = at(sel);
    let mode = r.below(6);
    if dtype == DType::Bool && mode == 2 {
        return None;
    }
    match mode {
        0 => a.try_set(&v),
        1 => a.try_add(&v),
        2 => a.try_sub(&v),
        3 => a.try_mul(&v),
        4 => a.try_min(&v),
        _ => a.try_max(&v),
    }
    .ok()
}

fn bits(a: &Array) -> Vec<i64> {
    if a.dtype().is_float() {
        a.astype(DType::F64)
            .to_vec::<f64>()
            .unwrap()
            .iter()
            .map(|f| {
                if f.is_nan() {
                    0x7ff8
                } else {
                    f.to_bits() as i64
                }
            })
            .collect()
    } else {
        a.astype(DType::I64).to_vec::<i64>().unwrap()
    }
}

#[test]
fn compiled_updates_agree_with_the_interpreter() {
    let mut r = Lcg(20261208);
    let (mut run, mut errors) = (0, 0);
    for seed in 0..600 {
        // Two independent copies of the same graph (same random draws): one per backend.
        let mut r2 = r.clone();
        let Some(y) = case(&mut r) else { continue };
        let z = case(&mut r2).expect("the same case");
        let dump = y.dump_graph();
        let reference = z.eval_with(&EvalOptions::interpreter());
        let compiled = y.eval_with(&EvalOptions::fused());
        match (reference, compiled) {
            (Ok(want), Ok(got)) => {
                assert_eq!(bits(&got), bits(&want), "case {seed}:\n{dump}");
                run += 1;
            }
            (Err(a), Err(b)) => {
                assert_eq!(a.to_string(), b.to_string(), "case {seed}");
                errors += 1;
            }
            (a, b) => panic!(
                "case {seed}: interpreter {:?} vs compiled {:?}\n{dump}",
                a.map(|_| ()),
                b.map(|_| ())
            ),
        }
    }
    assert!(
        run > 300 && errors > 5,
        "{run} agreeing results, {errors} agreeing errors"
    );
}
