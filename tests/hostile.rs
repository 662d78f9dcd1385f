//! Hostile and edge-case input (issue #17): sizes that overflow, extreme slices, indices out of
//! range for every integer type, casts that must round once, empty sums, negative integer
//! powers found at build time and at run time inside a kernel. Every failure is a typed error
//! (or, for panicking builders, NumPy's message), never a wrong value or a crash.
//!
//! Cases that could kill the process on a regression (allocation failure) run in a child
//! process: see `tests/hostile_oom.rs`.

use lazynp::{self as np, Array, DType, Error, EvalOptions, s};

const BIG: usize = 6_148_914_691_236_517_206; // 3 * BIG wraps to 2 in usize

fn modes() -> [EvalOptions; 4] {
    [
        EvalOptions::interpreter(),
        EvalOptions::fused(),
        EvalOptions::eager(),
        EvalOptions::fused().threads(2),
    ]
}

fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let e = std::panic::catch_unwind(f).expect_err("must panic");
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn element_counts_that_overflow_are_errors_not_wrapped_sizes() {
    let too_big = |r: Result<Array, Error>| matches!(r, Err(Error::TooBig { .. }));
    assert!(too_big(np::try_zeros([3, BIG], DType::F64)));
    assert!(too_big(np::try_zeros([1 << 32, 1 << 32], DType::U8)));
    assert!(too_big(np::try_full([1usize << 62, 2], 1.0f32))); // bytes overflow, count not
    assert!(too_big(np::try_eye(1 << 32, DType::F32)));
    assert!(too_big(Array::from_shape_vec([3, BIG], vec![1.0f64, 2.0])));
    let msg = panic_message(|| {
        np::ones([3, BIG], DType::F64);
    });
    assert!(
        msg.starts_with("array is too big; `arr.size * arr.dtype.itemsize` is larger than"),
        "{msg}"
    );
    // Shapes whose product fits are fine even when huge, as long as nothing is allocated.
    assert_eq!(np::zeros([0, usize::MAX >> 1], DType::F64).size(), 0);

    let x = np::array([1.0f64, 2.0]);
    assert!(matches!(
        x.try_reshape([3, BIG]),
        Err(Error::Reshape { .. })
    ));
    assert!(x.try_reshape([usize::MAX, 2]).is_err());
    let col = np::zeros([3, 1], DType::F64);
    assert!(too_big(col.try_broadcast_to(&[3, BIG])));
    // Two shapes that exist can broadcast to one that cannot.
    let (a, b) = (
        np::zeros([1 << 33, 1], DType::U8),
        np::zeros([1, 1 << 33], DType::U8),
    );
    let msg = panic_message(std::panic::AssertUnwindSafe(|| {
        let _ = &a + &b;
    }));
    assert!(msg.starts_with("array is too big"), "{msg}");
    assert!(too_big(a.try_matmul(&b.astype(DType::U8))));
    let half = np::zeros([(isize::MAX as usize) / 2 + 1], DType::U8);
    assert!(too_big(np::try_concatenate(&[&half, &half, &half], 0)));
    let idx = np::zeros([1 << 40], DType::I64);
    assert!(too_big(
        np::zeros([1 << 30, 1 << 30], DType::U8).try_take(&idx, 0)
    ));
}

#[test]
fn more_than_64_dimensions_is_numpys_error() {
    let e = np::try_zeros(vec![1usize; 65], DType::F32).unwrap_err();
    assert_eq!(
        e.to_string(),
        "maximum supported dimension for an ndarray is currently 64, found 65"
    );
    assert!(np::try_zeros(vec![1usize; 64], DType::F32).is_ok());
    let x = np::zeros(vec![1usize; 60], DType::F32);
    let mut many = vec![np::SliceArg::NewAxis; 5];
    many.push(np::SliceArg::from(..));
    assert!(matches!(
        x.try_slice(&np::SliceInfo(many)),
        Err(Error::TooManyDims { ndim: 65 })
    ));
    assert!(matches!(
        np::scalar(1.0f32).try_reshape(vec![1usize; 65]),
        Err(Error::TooManyDims { ndim: 65 })
    ));
}

#[test]
fn eye_is_lazy_when_large() {
    let before = np::live_bytes();
    let e = np::eye(1 << 20, DType::F64); // 8 TiB if it were built
    assert_eq!(e.shape(), &[1 << 20, 1 << 20]);
    assert!(np::live_bytes() < before + (64 << 20));
    // (A held handle would be stored whole: drop it and keep only the view.)
    let corner = e.slice(s![(1 << 20) - 2.., (1 << 20) - 2..]);
    drop(e);
    // Compiled kernels compute only the corner (the interpreter would compute all 8 TiB: an
    // `OutOfMemory` error, checked under an address-space limit in tests/hostile_oom.rs).
    for opts in &modes()[1..] {
        let v = corner.eval_with(opts).unwrap().to_vec::<f64>().unwrap();
        assert_eq!(v, vec![1.0, 0.0, 0.0, 1.0]);
    }
    // Small identities are unchanged (and still data).
    assert_eq!(
        np::eye(3, DType::I32).to_vec::<i32>().unwrap(),
        vec![1, 0, 0, 0, 1, 0, 0, 0, 1]
    );
}

#[test]
fn extreme_slices_match_numpy() {
    let x = np::arange(0i64, 10, 1);
    let get = |info: np::SliceInfo| x.slice(info).to_vec::<i64>().unwrap();
    // NumPy: x[::2**63-1] -> [0]; x[::-(2**63-1)] -> [9]; x[0:2**64-1] -> all;
    // x[2**63-1:] -> []; x[-2**63:] -> all; x[:-2**63] -> []; x[::-2**63] -> [9].
    assert_eq!(get(s![..;isize::MAX]), vec![0]);
    assert_eq!(get(s![..;-isize::MAX]), vec![9]);
    assert_eq!(get(s![..;isize::MIN]), vec![9]);
    assert_eq!(get(s![0..usize::MAX]), (0..10).collect::<Vec<_>>());
    assert_eq!(get(s![isize::MAX..]), Vec::<i64>::new());
    assert_eq!(get(s![isize::MIN..]), (0..10).collect::<Vec<_>>());
    assert_eq!(get(s![..isize::MIN]), Vec::<i64>::new());
    assert_eq!(get(s![3..=isize::MAX]), (3..10).collect::<Vec<_>>());
    assert_eq!(get(s![isize::MIN..isize::MAX;3]), vec![0, 3, 6, 9]);
    let backwards = np::SliceArg::Range {
        start: Some(isize::MAX),
        stop: Some(isize::MIN),
        step: -4,
    };
    assert_eq!(get(np::SliceInfo(vec![backwards])), vec![9, 5, 1]);
    // An index beyond the axis is an error for every integer width, never wrapped.
    assert!(matches!(
        x.try_slice(&s![usize::MAX]),
        Err(Error::IndexOutOfBounds { .. })
    ));
    assert!(x.try_slice(&s![isize::MIN]).is_err());
    assert!(x.try_slice(&s![10usize]).is_err());
    assert!(x.try_slice(&s![-11i32]).is_err());
    assert_eq!(get(s![-10i64..-9]), vec![0]);
    // Views built from extreme steps evaluate identically in every mode.
    let y = np::arange(0.0f32, 7.0, 1.0).slice(s![..;isize::MAX]);
    for opts in modes() {
        let v = (&y * 2.0)
            .eval_with(&opts)
            .unwrap()
            .to_vec::<f32>()
            .unwrap();
        assert_eq!(v, vec![0.0]);
    }
}

#[test]
fn take_indices_out_of_range_are_errors_for_every_integer_type() {
    let x = np::arange(0i32, 4, 1);
    let bad: Vec<Array> = vec![
        np::array([4i8]),
        np::array([-5i16]),
        np::array([4i32]),
        np::array([i64::MIN]),
        np::array([4u8]),
        np::array([u16::MAX]),
        np::array([u32::MAX]),
        np::array([u64::MAX]), // not wrapped to -1 (which would be the last element)
        np::array([1u64 << 63]),
    ];
    for idx in &bad {
        for opts in modes() {
            let r = x.take(idx, 0).eval_with(&opts);
            assert!(
                matches!(r, Err(Error::IndexOutOfBounds { size: 4, .. })),
                "{:?} {:?}: {:?}",
                idx.dtype(),
                opts.mode,
                r.map(|_| ())
            );
        }
    }
    let e = x.take(&np::array([u64::MAX]), 0).eval().err().unwrap();
    assert_eq!(
        e.to_string(),
        "index 18446744073709551615 is out of bounds for axis 0 with size 4"
    );
    let ok = x.take(&np::array([3u64, 0]), 0);
    assert_eq!(ok.to_vec::<i32>().unwrap(), vec![3, 0]);
    assert_eq!(
        x.take(&np::array([-1i8]), 0).to_vec::<i32>().unwrap(),
        vec![3]
    );
}

#[test]
fn int64_and_uint64_to_float32_round_once_in_every_mode() {
    // 2^54 + 2^30 + 1: through f64 it rounds to 2^54 (ties to even), directly to 2^54 + 2^31.
    let v = (1i64 << 54) + (1 << 30) + 1;
    let want = ((1u64 << 54) + (1 << 31)) as f32;
    assert_ne!(v as f64 as f32, want);
    for opts in modes() {
        let data = np::array([v, -v]).astype(DType::F32);
        let got = data.eval_with(&opts).unwrap().to_vec::<f32>().unwrap();
        assert_eq!(got, vec![want, -want], "{:?}", opts.mode);
        // A constant operand is folded while the kernel is built: the same rounding.
        let folded = (np::full([2], v).astype(DType::F32) + 0.0f32).eval_with(&opts);
        assert_eq!(folded.unwrap().to_vec::<f32>().unwrap(), vec![want; 2]);
        let u = np::array([v as u64]).astype(DType::F32);
        assert_eq!(
            u.eval_with(&opts).unwrap().to_vec::<f32>().unwrap(),
            vec![want]
        );
    }
    assert_eq!(np::scalar(v).item::<f32>().unwrap(), want);
}

#[test]
fn empty_sums_are_positive_zero_and_negative_zeros_stay_negative() {
    for opts in modes() {
        let e = np::zeros([0, 3], DType::F64)
            .sum(0)
            .eval_with(&opts)
            .unwrap();
        for z in e.to_vec::<f64>().unwrap() {
            assert!(z == 0.0 && z.is_sign_positive(), "{:?}", opts.mode);
        }
        let f = np::zeros([2, 0], DType::F32)
            .sum_keepdims(-1)
            .eval_with(&opts);
        let f = f.unwrap().to_vec::<f32>().unwrap();
        assert!(f.iter().all(|z| z.to_bits() == 0), "{:?}", opts.mode);
        let n = np::array([-0.0f64, -0.0]).sum(..).eval_with(&opts).unwrap();
        assert!(
            n.item::<f64>().unwrap().is_sign_negative(),
            "{:?}",
            opts.mode
        );
    }
}

#[test]
fn integers_to_negative_integer_powers_are_errors() {
    let x = np::array([2i64, 3]);
    let msg = panic_message(|| {
        np::array([2i64, 3]).powf(-1);
    });
    assert_eq!(msg, "Integers to negative integer powers are not allowed.");
    assert!(x.powf(2).to_vec::<i64>().unwrap() == vec![4, 9]);
    // Float bases or exponents are fine.
    let y = np::array([2i64, 4]);
    assert_eq!(y.powf(-1.0).to_vec::<f64>().unwrap(), vec![0.5, 0.25]);
    // Found at run time, inside a kernel: reported after it, never a trap or a zero.
    let e = np::array([2i32, -1]);
    for opts in modes() {
        let r = x.astype(DType::I32).pow(&e).eval_with(&opts);
        assert_eq!(
            r.err(),
            Some(Error::NegativeIntegerPower),
            "{:?}",
            opts.mode
        );
        // The process and later evaluations are fine.
        let ok = x.astype(DType::I32).pow(e.abs()).eval_with(&opts).unwrap();
        assert_eq!(ok.to_vec::<i32>().unwrap(), vec![4, 3]);
    }
    // A large multi-threaded kernel with one negative exponent in the middle.
    let n = 200_000i64;
    let exps = np::arange(0i64, n, 1).equal(n / 2).astype(DType::I64) * -1;
    let big = np::ones([n as usize], DType::I64).pow(&exps);
    for opts in [EvalOptions::fused().threads(2), EvalOptions::eager()] {
        assert_eq!(
            (&big + 1).eval_with(&opts).err(),
            Some(Error::NegativeIntegerPower)
        );
    }
    let fine = np::ones([n as usize], DType::I64).pow(exps.abs()).sum(..);
    assert_eq!(fine.item::<i64>().unwrap(), n);
}

#[test]
fn negative_integer_powers_inside_matmul_prologues_and_epilogues_are_errors() {
    let n = 192;
    let ramp = np::arange(0i32, (n * n) as i32, 1).reshape([n, n]);
    // -1 at one element in the last rows (computed by another thread than the caller), else 0.
    let one_negative = ramp.equal((n * n - 5) as i32).astype(DType::I32) * -1;
    let w = np::ones([n, n], DType::F32);
    for opts in [
        EvalOptions::fused(),
        EvalOptions::fused().threads(2),
        EvalOptions::fused().matmul_backend(np::MatmulBackend::Jit),
        EvalOptions::eager(),
    ] {
        // Producer of an operand (a packing prologue when the JIT GEMM is chosen).
        let a = (&ramp % 3 + 1).pow(&one_negative).astype(DType::F32);
        let r = a.matmul(&w).eval_with(&opts);
        assert_eq!(r.err(), Some(Error::NegativeIntegerPower), "{:?}", opts);
        // Consumer of the product (an epilogue).
        let p = w.matmul(&w).astype(DType::I32).pow(&one_negative);
        assert_eq!(
            (&p + 1).eval_with(&opts).err(),
            Some(Error::NegativeIntegerPower)
        );
        // Without the negative exponent both work.
        let fine = (&ramp % 3 + 1)
            .pow(one_negative.abs())
            .astype(DType::F32)
            .matmul(&w);
        assert!(fine.eval_with(&opts).is_ok());
    }
}
