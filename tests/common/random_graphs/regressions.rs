//! Minimised regressions of the random-graph tester (a child module of `tests/random_graphs.rs`,
//! sharing its harness). Each came from a random program (seed in the comment).

use super::*;

fn modes_agree(f: impl Fn() -> Array) {
    let want = read(
        &f().eval_with(&EvalOptions::interpreter())
            .expect("interpreter"),
    )
    .expect("read");
    for opts in [EvalOptions::fused(), EvalOptions::eager()] {
        let got = read(&f().eval_with(&opts).expect("jit")).expect("read");
        assert_eq!(got, want, "{:?}", opts.mode);
    }
}

/// Seeds 2, 26, 323, ...: a full reduction (0-d), an elementwise op on it, then broadcast
/// against a 1-D array. Fused panics at src/passes/fuse.rs:584 (index out of bounds).
#[test]
fn regression_reduce_all_then_elementwise_then_broadcast() {
    let a = lazynp::array([1.0f64, 2.0, 4.0]);
    let b = lazynp::array([1.0f64, 2.0, 5.0]);
    modes_agree(|| (a.sum(..) + 1.0) * &b); // [8, 16, 40]
}

/// Seeds 244, 407, ...: a reduction over an empty axis list (`axis=()`) consumed by `where`.
/// Fused panics at src/codegen/body.rs:143 ("operand emitted before use").
#[test]
fn regression_reduce_over_no_axes_feeding_where() {
    let x = lazynp::scalar(0.5f32);
    modes_agree(|| lazynp::where_(&x, x.sum(Vec::<isize>::new()), 2.0)); // 0.5
}

/// Seed 1021: argmin over an axis of extent 1, then squeeze to 0-d. Fused panics at
/// src/passes/fuse.rs:256 (index out of bounds).
#[test]
fn regression_argmin_of_extent_one_axis_then_squeeze() {
    let m = lazynp::array([[8i32]]);
    modes_agree(|| m.argmin(0).squeeze(0)); // 0
}

#[test]
fn regression_one_reduction_reached_through_two_maps() {
    // seed 1025663: the same reduction read directly and through a 0-d view + broadcast gave two
    // accumulators; maps are now normalised so both paths share one.
    modes_agree(|| {
        let v0 = lazynp::array([4i32]);
        let v1 = &v0 & &v0;
        let v2 = v1.any(-1);
        lazynp::where_(&v2, &v2, &v1)
    });
}

#[test]
fn regression_inner_output_only_when_the_reduction_covers_it() {
    // seed 413792: a shared input of a reduction is written from inside the reducing kernel's
    // loop only if that loop visits all of it; here only one row of the reduction is needed.
    modes_agree(|| {
        // All true: an element the kernel failed to write would read as false, giving 1/0.
        let v0 = Array::from_shape_vec([5, 3, 5], vec![true; 75]).unwrap();
        let v1 = v0.abs();
        let v3 = v1.any(-3).slice(lazynp::s![..-2;-1]);
        &v3 / &v1
    });
}

#[test]
fn regression_outer_extra_output_read_inside_an_empty_reduction() {
    // seed 400495: a held 0-d cast also feeds a reduction over an empty domain; its store must
    // be an outer store, not one inside the (zero-trip) reduced loop.
    modes_agree(|| {
        let v1 = lazynp::scalar(6u8);
        let v2 = v1.astype(DType::I8);
        let v4 = lazynp::zeros([0, 2], DType::I32);
        let v5 = v1.argmax(..);
        let v7 = lazynp::where_(&v2, &v4, &v5);
        let _ = v7.prod([0, 1]);
        v2
    });
}

#[test]
fn regression_held_reduction_input_is_stored_whole_when_only_a_slice_is_reduced() {
    // seed 9011901: a held node read by a reduction (over no axes) of which only the first rows
    // are needed; its map in that kernel is the identity over the slice, which must not make it
    // an outer output written for those rows only.
    let v0 = Array::from_shape_vec([6, 4], (1..25).map(|i| i as f64).collect()).unwrap();
    let v4 = &(v0.tanh() / &v0) - 0.5;
    let v6 = v4.max(Vec::<isize>::new()).slice(lazynp::s![..2]);
    v6.eval().expect("eval");
    let want = read(
        &((v0.tanh() / &v0) - 0.5)
            .eval_with(&EvalOptions::interpreter())
            .expect("interpreter"),
    )
    .expect("read");
    assert_eq!(read(&v4).expect("read"), want);
}

#[test]
fn regression_extra_output_does_not_shift_input_arguments() {
    // seed 1133310: `abs(v) - (((ceil(c) - ceil(c)) > (c == v)) | c)` with every intermediate
    // held. The held `abs(v)` became an output argument before `c` was loaded; the lookup of an
    // existing input argument paired all arguments with the input list, so the broadcast `c`
    // of `| c` matched the argument of `ceil(c) - ceil(c)` (a 0-d int32 buffer with the same
    // strides) and read 0 instead of 7.
    let run = |opts: &EvalOptions| {
        let c = lazynp::scalar(7i32);
        let v = Array::from_shape_vec([5, 4], (0..20).map(|i| i as f32 * 0.5 - 3.0).collect())
            .expect("20 values");
        let eq = c.equal(&v);
        let ceil = c.ceil();
        let zero = &ceil - &ceil;
        let gt = zero.gt(&eq);
        let or = &gt | &c;
        let abs = v.abs();
        let out = &abs - &or;
        out.eval_with(opts).expect("eval");
        let held = [&eq, &ceil, &zero, &gt, &or, &abs].map(|x| read(x).expect("read"));
        (read(&out).expect("read"), held)
    };
    let want = run(&EvalOptions::interpreter());
    // Every element is |v| - 7 (c == v never holds for v != 7; 0 > false is false; 0 | 7 = 7).
    let expect: Vec<f64> = (0..20)
        .map(|i| (i as f64 * 0.5 - 3.0).abs() - 7.0)
        .collect();
    assert_eq!(want.0, Vals::F(expect));
    assert_eq!(run(&EvalOptions::fused()), want);
    assert_eq!(run(&EvalOptions::eager()), want);
}

#[test]
fn minimised_programs_print_as_runnable_tests() {
    // The printer's output for a small program (every kind of operand), pasted back: it builds
    // the same program, which passes.
    let steps = vec![
        Step::Leaf {
            dtype: DType::F32,
            shape: vec![2, 3],
            data: LeafData::F(vec![1.5, -0.0, f64::NAN, f64::INFINITY, 2.0, -3.25]),
        },
        Step::Leaf {
            dtype: DType::I16,
            shape: vec![3],
            data: LeafData::I(vec![-2, 0, 7]),
        },
        Step::Binary {
            op: BinaryOp::Mul,
            a: 0,
            b: Rhs::Node(1),
        },
        Step::Binary {
            op: BinaryOp::Sub,
            a: 2,
            b: Rhs::WeakLeft(Weak::F(0.5)),
        },
        Step::Unary { op: Un::Abs, a: 3 },
        Step::Slice {
            a: 4,
            info: SliceInfo(vec![
                SliceArg::Range {
                    start: None,
                    stop: Some(-1),
                    step: -1,
                },
                SliceArg::NewAxis,
            ]),
        },
        Step::Eval { a: 5 },
        Step::Reduce {
            op: Red::Sum,
            a: 5,
            axes: Some(vec![-1]),
            keepdims: false,
        },
        Step::Drop { a: 4 },
    ];
    let text = as_test(7, &steps);
    assert!(text.contains("fn regression_seed_7()"), "{text}");
    assert!(text.contains("f64::NAN, f64::INFINITY"), "{text}");
    assert!(
        text.contains("Step::Binary { op: BinaryOp::Sub, a: 2, b: Rhs::WeakLeft(Weak::F(0.5)) }"),
        "{text}"
    );
    assert!(
        text.contains("SliceArg::Range { start: None, stop: Some(-1), step: -1 }"),
        "{text}"
    );
    let p = generator::from_steps(7, steps).expect("a valid program");
    check_program(&p).unwrap();
}
