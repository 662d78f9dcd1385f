//! Property tests of the core laws: broadcasting, reshape/transpose round trips, slicing vs
//! `take`, reductions over axes, concatenate/split. Small shapes (extents 0..=3), dtypes
//! bool/i64/f32/f64, every result evaluated by the interpreter and by the default `eval()`.
//!
//! The proptest seed is fixed (printed on stderr); set `PROPTEST_RNG_SEED=<u64>` to explore
//! others. A failure prints proptest's minimal failing input.

use lazynp as np;
use lazynp::shape::broadcast_pair;
use lazynp::{Array, DType, EvalOptions, SliceArg, SliceInfo};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

const SEED: u64 = 0x5eed_1a2b_0000_0001;

fn config() -> ProptestConfig {
    let seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED);
    eprintln!("proptest seed: {seed} (override with PROPTEST_RNG_SEED)");
    ProptestConfig {
        // PROPTEST_CASES raises the count for a longer hunt.
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(256),
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

const DTYPES: [DType; 4] = [DType::Bool, DType::I64, DType::F32, DType::F64];

/// A test input: shape, dtype and small integer data (exact in every dtype).
#[derive(Clone, Debug)]
struct Input {
    shape: Vec<usize>,
    dtype: DType,
    data: Vec<i64>,
}

impl Input {
    fn array(&self) -> Array {
        let s = self.shape.clone();
        let d = &self.data;
        match self.dtype {
            DType::Bool => Array::from_shape_vec(s, d.iter().map(|&v| v % 2 != 0).collect()),
            DType::I64 => Array::from_shape_vec(s, d.clone()),
            DType::F32 => Array::from_shape_vec(s, d.iter().map(|&v| v as f32 / 4.0).collect()),
            _ => Array::from_shape_vec(s, d.iter().map(|&v| v as f64 / 4.0).collect()),
        }
        .expect("data length is the shape's size")
    }

    /// The elements as f64, as `array()` stores them.
    fn values(&self) -> Vec<f64> {
        to_f64(&self.array())
    }
}

fn size(shape: &[usize]) -> usize {
    shape.iter().product()
}

fn shape_strategy(max_ndim: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..=3, 0..=max_ndim)
}

fn input_for(shape: Vec<usize>) -> impl Strategy<Value = Input> {
    let n = size(&shape);
    (
        prop::sample::select(&DTYPES[..]),
        prop::collection::vec(-40i64..40, n),
    )
        .prop_map(move |(dtype, data)| Input {
            shape: shape.clone(),
            dtype,
            data,
        })
}

fn input(max_ndim: usize) -> impl Strategy<Value = Input> {
    shape_strategy(max_ndim).prop_flat_map(input_for)
}

/// The evaluated elements in C order as f64 (bool as 0/1), without adding graph nodes.
fn to_f64(x: &Array) -> Vec<f64> {
    let r = match x.dtype() {
        DType::Bool => x
            .to_vec::<bool>()
            .map(|v| v.into_iter().map(|b| f64::from(u8::from(b))).collect()),
        DType::I64 => x
            .to_vec::<i64>()
            .map(|v| v.into_iter().map(|i| i as f64).collect()),
        DType::F32 => x
            .to_vec::<f32>()
            .map(|v| v.into_iter().map(f64::from).collect()),
        DType::F64 => x.to_vec::<f64>(),
        other => panic!("unexpected dtype {other}"),
    };
    r.unwrap_or_else(|e| panic!("evaluation failed: {e}"))
}

/// Builds the expression once per backend, evaluates it and checks shape, dtype and values.
fn check(build: impl Fn() -> Array, shape: &[usize], dtype: DType, want: &[f64]) {
    for opts in [EvalOptions::interpreter(), EvalOptions::default()] {
        let y = build();
        assert_eq!(y.shape(), shape, "shape ({:?})", opts.mode);
        assert_eq!(y.dtype(), dtype, "dtype ({:?})", opts.mode);
        let y = y
            .eval_with(&opts)
            .unwrap_or_else(|e| panic!("{:?}: {e}", opts.mode));
        assert_eq!(to_f64(&y), want, "values ({:?})", opts.mode);
    }
}

/// C-order multi-index of flat position `i` in `shape`.
fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for (k, &d) in shape.iter().enumerate().rev() {
        idx[k] = i % d;
        i /= d;
    }
    idx
}

fn ravel(idx: &[usize], shape: &[usize]) -> usize {
    idx.iter().zip(shape).fold(0, |acc, (&i, &d)| acc * d + i)
}

/// A shape that often broadcasts with `a`: per trailing dim keep it, use 1, or another extent;
/// maybe drop leading dims or add new ones.
fn partner(a: &[usize], picks: &[(u8, usize)], extra: &[usize], drop: usize) -> Vec<usize> {
    let mut b: Vec<usize> = extra.to_vec();
    for (k, &d) in a.iter().enumerate().skip(drop.min(a.len())) {
        let (p, e) = picks[k % picks.len()];
        b.push(match p % 4 {
            0 | 1 => d,
            2 => 1,
            _ => e,
        });
    }
    b
}

/// Python's `range(*slice(start, stop, step).indices(n))`, written independently of lazynp.
fn slice_indices(start: Option<isize>, stop: Option<isize>, step: isize, n: usize) -> Vec<i64> {
    let n = n as isize;
    let (lo, hi) = if step < 0 { (-1, n - 1) } else { (0, n) };
    let fix = |v: isize| {
        if v < 0 { (v + n).max(lo) } else { v.min(hi) }
    };
    let s = start.map_or(if step < 0 { hi } else { lo }, fix);
    let e = stop.map_or(if step < 0 { lo } else { hi }, fix);
    let mut out = vec![];
    let mut i = s;
    while (step > 0 && i < e) || (step < 0 && i > e) {
        out.push(i as i64);
        i += step;
    }
    out
}

/// Divides `n` into a random compatible shape driven by `picks`.
fn factor_shape(n: usize, picks: &[usize]) -> Vec<usize> {
    let ndim = 1 + picks[0] % 4;
    if n == 0 {
        let mut s: Vec<usize> = (0..ndim)
            .map(|k| picks[(k + 1) % picks.len()] % 4)
            .collect();
        s[picks[1] % ndim] = 0;
        return s;
    }
    let mut rest = n;
    let mut s = vec![];
    for k in 1..ndim {
        let divisors: Vec<usize> = (1..=rest).filter(|d| rest.is_multiple_of(*d)).collect();
        let d = divisors[picks[k % picks.len()] % divisors.len()];
        s.push(d);
        rest /= d;
    }
    s.push(rest);
    s
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn broadcast_shape_is_commutative_and_add_is_elementwise(
        a in input(3),
        picks in prop::collection::vec((0u8..4, 0usize..=3), 1..4),
        extra in shape_strategy(2),
        drop in 0usize..3,
        b_dtype in prop::sample::select(&DTYPES[..]),
        b_data in prop::collection::vec(-40i64..40, 0..200),
    ) {
        let bshape = partner(&a.shape, &picks, &extra, drop);
        let b = Input {
            data: (0..size(&bshape)).map(|i| b_data.get(i).copied().unwrap_or(i as i64)).collect(),
            shape: bshape,
            dtype: b_dtype,
        };
        let ab = broadcast_pair(&a.shape, &b.shape);
        prop_assert_eq!(&ab, &broadcast_pair(&b.shape, &a.shape));
        let (x, y) = (a.array(), b.array());
        let Some(out) = ab else {
            prop_assert!(x.try_binary(np::BinaryOp::Add, &y).is_err());
            prop_assert!(y.try_binary(np::BinaryOp::Add, &x).is_err());
            return Ok(());
        };
        let (av, bv) = (a.values(), b.values());
        let both_bool = a.dtype == DType::Bool && b.dtype == DType::Bool;
        let want: Vec<f64> = (0..size(&out))
            .map(|i| {
                let idx = unravel(i, &out);
                // Right-align each operand; extent-1 axes repeat.
                let pick = |s: &[usize]| {
                    let off = out.len() - s.len();
                    let j: Vec<usize> = s.iter().enumerate().map(|(k, &d)| if d == 1 { 0 } else { idx[off + k] }).collect();
                    ravel(&j, s)
                };
                let (p, q) = (av[pick(&a.shape)], bv[pick(&b.shape)]);
                if both_bool { f64::from(u8::from(p != 0.0 || q != 0.0)) } else { p + q }
            })
            .collect();
        let dt = np::promote(a.dtype, b.dtype);
        check(|| &a.array() + &b.array(), &out, dt, &want);
        check(|| &b.array() + &a.array(), &out, dt, &want);
    }

    #[test]
    fn reshape_round_trips(a in input(3), picks in prop::collection::vec(0usize..64, 2..6)) {
        let target = factor_shape(size(&a.shape), &picks);
        let v = a.values();
        check(|| a.array().reshape(target.clone()), &target, a.dtype, &v);
        check(|| a.array().reshape(target.clone()).reshape(a.shape.clone()), &a.shape, a.dtype, &v);
        check(|| a.array().flatten(), &[v.len()], a.dtype, &v);
        // A non-contiguous input (reversed axes) reshapes in its own C order.
        let tv = to_f64(&a.array().t());
        let tshape: Vec<usize> = a.shape.iter().rev().copied().collect();
        check(|| a.array().t().reshape(target.clone()), &target, a.dtype, &tv);
        check(|| a.array().t().reshape(target.clone()).reshape(tshape.clone()).t(), &a.shape, a.dtype, &v);
    }

    #[test]
    fn transpose_then_inverse_is_identity(
        a in input(4),
        keys in prop::collection::vec(any::<u32>(), 4),
    ) {
        let nd = a.shape.len();
        let mut perm: Vec<usize> = (0..nd).collect();
        perm.sort_by_key(|&k| keys[k]);
        let mut inv = vec![0; nd];
        for (i, &p) in perm.iter().enumerate() {
            inv[p] = i;
        }
        let (p, q): (Vec<isize>, Vec<isize>) =
            (perm.iter().map(|&v| v as isize).collect(), inv.iter().map(|&v| v as isize).collect());
        let v = a.values();
        // y[i] = x[i permuted back]: y.shape[k] = x.shape[perm[k]].
        let yshape: Vec<usize> = perm.iter().map(|&k| a.shape[k]).collect();
        let want: Vec<f64> = (0..v.len())
            .map(|i| {
                let yi = unravel(i, &yshape);
                let mut xi = vec![0; nd];
                for (k, &pk) in perm.iter().enumerate() {
                    xi[pk] = yi[k];
                }
                v[ravel(&xi, &a.shape)]
            })
            .collect();
        check(|| a.array().try_transpose(&p).unwrap(), &yshape, a.dtype, &want);
        check(|| a.array().try_transpose(&p).unwrap().try_transpose(&q).unwrap(), &a.shape, a.dtype, &v);
        check(|| a.array().t().t(), &a.shape, a.dtype, &v);
        // Negative axes name the same permutation.
        let neg: Vec<isize> = p.iter().map(|&k| k - nd as isize).collect();
        check(|| a.array().try_transpose(&neg).unwrap(), &yshape, a.dtype, &want);
    }

    #[test]
    fn slice_equals_take_of_the_same_indices(
        a in shape_strategy(3).prop_filter("needs an axis", |s| !s.is_empty()).prop_flat_map(input_for),
        axis_pick in 0usize..3,
        start in prop::option::of(-5isize..6),
        stop in prop::option::of(-5isize..6),
        step in prop::sample::select(vec![-3isize, -2, -1, 1, 2, 3]),
    ) {
        let ax = axis_pick % a.shape.len();
        let idx = slice_indices(start, stop, step, a.shape[ax]);
        let mut args = vec![SliceArg::from(..); ax];
        args.push(SliceArg::Range { start, stop, step });
        let info = SliceInfo(args);
        let mut shape = a.shape.clone();
        shape[ax] = idx.len();
        let k = idx.len();
        let want = to_f64(&a.array().take(&Array::from_shape_vec([k], idx.clone()).unwrap(), ax as isize)
            .eval_with(&EvalOptions::interpreter()).unwrap());
        check(|| a.array().slice(info.clone()), &shape, a.dtype, &want);
        check(
            || a.array().take(&Array::from_shape_vec([k], idx.clone()).unwrap(), ax as isize),
            &shape, a.dtype, &want,
        );
        // Negative indices in take count from the end.
        let n = a.shape[ax] as i64;
        let negs: Vec<i64> = idx.iter().map(|&i| i - n).collect();
        check(|| a.array().take(&Array::from_shape_vec([k], negs.clone()).unwrap(), ax as isize), &shape, a.dtype, &want);
        // The slice of a slice is a slice of the base with composed indices.
        let again = slice_indices(None, None, -1, k);
        let composed: Vec<i64> = again.iter().map(|&j| idx[j as usize]).collect();
        let mut rev = vec![SliceArg::from(..); ax];
        rev.push(SliceArg::stepped(.., -1));
        let want2 = to_f64(&a.array().take(&Array::from_shape_vec([k], composed).unwrap(), ax as isize));
        check(|| a.array().slice(info.clone()).slice(SliceInfo(rev.clone())), &shape, a.dtype, &want2);
    }

    #[test]
    fn sum_over_all_axes_is_sum_of_sums(
        a in input(4).prop_filter("ints", |a| matches!(a.dtype, DType::I64 | DType::Bool)),
        keys in prop::collection::vec(any::<u32>(), 4),
    ) {
        let total: f64 = a.values().iter().sum();
        check(|| a.array().sum(..), &[], DType::I64, &[total]);
        // Reduce one axis at a time, in a random order.
        let nd = a.shape.len();
        let mut order: Vec<usize> = (0..nd).collect();
        order.sort_by_key(|&k| keys[k]);
        let step_by_step = || {
            let mut y = a.array();
            let mut left: Vec<usize> = (0..nd).collect();
            for &ax in &order {
                let pos = left.iter().position(|&l| l == ax).expect("axis still present");
                left.remove(pos);
                y = y.sum(pos as isize);
            }
            y
        };
        if nd > 0 {
            check(step_by_step, &[], DType::I64, &[total]);
        }
        // Summing one axis keeps the others: each output is the host sum of its lane.
        if nd > 0 {
            let ax = order[0];
            let mut oshape = a.shape.clone();
            oshape.remove(ax);
            let v = a.values();
            let mut want = vec![0.0; size(&oshape)];
            for (i, x) in v.iter().enumerate() {
                let mut idx = unravel(i, &a.shape);
                idx.remove(ax);
                want[ravel(&idx, &oshape)] += x;
            }
            check(|| a.array().sum(ax as isize), &oshape, DType::I64, &want);
        }
    }

    #[test]
    fn concatenate_then_split_is_identity(
        shape in shape_strategy(3).prop_filter("needs an axis", |s| !s.is_empty()),
        axis_pick in 0usize..3,
        parts in 1usize..4,
        dtype in prop::sample::select(&DTYPES[..]),
        seed in any::<i64>(),
    ) {
        let ax = axis_pick % shape.len();
        let pieces: Vec<Input> = (0..parts)
            .map(|p| Input {
                shape: shape.clone(),
                dtype,
                data: (0..size(&shape) as i64).map(|i| (seed.wrapping_add(i * 7 + p as i64 * 13)).rem_euclid(37) - 18).collect(),
            })
            .collect();
        let mut cshape = shape.clone();
        cshape[ax] *= parts;
        // Host concatenation: output index along `ax` picks the piece and its row.
        let want: Vec<f64> = (0..size(&cshape))
            .map(|i| {
                let mut idx = unravel(i, &cshape);
                let p = idx[ax] / shape[ax];
                idx[ax] %= shape[ax];
                pieces[p].values()[ravel(&idx, &shape)]
            })
            .collect();
        let cat = || {
            let arrays: Vec<Array> = pieces.iter().map(Input::array).collect();
            let refs: Vec<&Array> = arrays.iter().collect();
            np::concatenate(&refs, ax as isize)
        };
        check(cat, &cshape, dtype, &want);
        for (p, piece) in pieces.iter().enumerate() {
            check(|| np::split(&cat(), parts, ax as isize)[p].clone(), &shape, dtype, &piece.values());
        }
    }
}
