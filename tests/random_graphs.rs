//! Random-graph differential testing: the interpreter is the oracle for the JIT.
//!
//! A seeded generator builds random lazynp programs through the public API (random leaves of
//! every dtype with edge values, then elementwise ops with broadcasting and weak scalars, casts,
//! `where_`, views, reductions, `take`, `concatenate`, `matmul`, mid-way `eval()`s and dropped
//! or held handles). Each program is replayed on fresh graphs and evaluated fused, eager and
//! interpreted; results must match bit for bit where the ops are exact and within derived error
//! bounds otherwise (see `common/random_graphs/bounds.rs`). Fused with 1 and 2 threads must be
//! bit-identical. On failure the seed and the program are printed.
//!
//! `LAZYNP_SOAK=100000 cargo test --release --test random_graphs -- --ignored soak` runs a long
//! soak (`LAZYNP_SOAK_START` sets the first seed) and lists every failing seed.

#[path = "common/random_graphs/bounds.rs"]
mod bounds;
#[path = "common/random_graphs/describe.rs"]
mod describe;
#[path = "common/random_graphs/gen.rs"]
mod generator;
#[path = "common/random_graphs/program.rs"]
mod program;

use describe::{as_test, describe};
use generator::{Program, generate, minimize};
use lazynp::{Array, BinaryOp, DType, EvalOptions, MatmulBackend, SliceArg, SliceInfo};
use program::{LeafData, Red, Rhs, Step, Un, Weak, apply};

/// Element values in a comparable form.
#[derive(Clone, Debug, PartialEq)]
enum Vals {
    F(Vec<f64>),
    I(Vec<i128>),
}

/// The evaluated error bound of one output (None: exact).
type Bound = Option<Vec<f64>>;

/// One output of a replay: value index, dtype, shape and elements.
struct Output {
    index: usize,
    dtype: DType,
    shape: Vec<usize>,
    vals: Vals,
}

fn read(x: &Array) -> Result<Vals, String> {
    let e = |e: lazynp::Error| e.to_string();
    fn ints<T: Copy + Into<i128>>(v: Vec<T>) -> Vals {
        Vals::I(v.into_iter().map(Into::into).collect())
    }
    Ok(match x.dtype() {
        DType::F32 => Vals::F(
            x.to_vec::<f32>()
                .map_err(e)?
                .into_iter()
                .map(f64::from)
                .collect(),
        ),
        DType::F64 => Vals::F(x.to_vec::<f64>().map_err(e)?),
        DType::Bool => Vals::I(
            x.to_vec::<bool>()
                .map_err(e)?
                .into_iter()
                .map(i128::from)
                .collect(),
        ),
        DType::I8 => ints(x.to_vec::<i8>().map_err(e)?),
        DType::I16 => ints(x.to_vec::<i16>().map_err(e)?),
        DType::I32 => ints(x.to_vec::<i32>().map_err(e)?),
        DType::I64 => ints(x.to_vec::<i64>().map_err(e)?),
        DType::U8 => ints(x.to_vec::<u8>().map_err(e)?),
        DType::U16 => ints(x.to_vec::<u16>().map_err(e)?),
        DType::U32 => ints(x.to_vec::<u32>().map_err(e)?),
        DType::U64 => ints(x.to_vec::<u64>().map_err(e)?),
    })
}

/// Replays the program on fresh graphs in one mode. With `bounds`, also builds the error bound
/// of every inexact value (the oracle replay) and returns them evaluated per output.
fn replay(
    p: &Program,
    opts: &EvalOptions,
    with_bounds: bool,
) -> Result<(Vec<Output>, Vec<Bound>), String> {
    let mut nodes: Vec<Option<Array>> = Vec::new();
    let mut bounds: Vec<Option<Array>> = Vec::new();
    let mut leaves = 0;
    for step in &p.steps {
        match step {
            Step::Eval { a } => {
                let x = nodes[*a].as_ref().ok_or("eval of a dropped value")?;
                x.eval_with(opts)
                    .map_err(|e| format!("eval of v{a}: {e}"))?;
            }
            Step::Drop { a } => nodes[*a] = None,
            _ => {
                let out = apply(step, &nodes)?.ok_or("step built no value")?;
                if matches!(step, Step::Leaf { .. }) {
                    leaves += 1;
                }
                if with_bounds {
                    let exact = p.exact[nodes.len()];
                    bounds.push(bounds::step_bound(step, &nodes, &bounds, exact, &out)?);
                }
                nodes.push(Some(out));
            }
        }
    }
    let mut outputs = Vec::new();
    let mut bound_vals = Vec::new();
    for index in (leaves..nodes.len()).rev() {
        let Some(x) = &nodes[index] else { continue };
        x.eval_with(opts)
            .map_err(|e| format!("eval of v{index}: {e}"))?;
        let vals = read(x)?;
        outputs.push(Output {
            index,
            dtype: x.dtype(),
            shape: x.shape().to_vec(),
            vals,
        });
        if with_bounds {
            let b = match &bounds[index] {
                None => None,
                Some(b) => {
                    let b = b
                        .eval_with(&EvalOptions::interpreter())
                        .map_err(|e| e.to_string())?;
                    if b.shape() != x.shape() {
                        return Err(format!(
                            "harness: bound of v{index} has shape {:?}",
                            b.shape()
                        ));
                    }
                    Some(b.to_vec::<f64>().map_err(|e| e.to_string())?)
                }
            };
            bound_vals.push(b);
        }
    }
    Ok((outputs, bound_vals))
}

fn same_float(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Does `got` agree with the oracle's `want` given the bound `e` (None: exact)?
fn close(want: f64, got: f64, e: Option<f64>, dt: DType) -> bool {
    let Some(e) = e else {
        return same_float(want, got);
    };
    if same_float(want, got) || !e.is_finite() {
        return true;
    }
    if want.is_nan() || got.is_nan() {
        return false;
    }
    if want.is_infinite() || got.is_infinite() {
        // Near overflow a different summation order may or may not reach inf.
        let max = if dt == DType::F32 {
            f32::MAX as f64
        } else {
            f64::MAX
        };
        let finite = if want.is_infinite() { got } else { want };
        return want.signum() == got.signum() && finite.abs() + 4.0 * e >= max / 16.0;
    }
    (want - got).abs() <= 4.0 * e
}

fn compare(
    mode: &str,
    want: &[Output],
    got: &[Output],
    bounds: Option<&[Bound]>,
) -> Result<(), String> {
    for (k, (w, g)) in want.iter().zip(got).enumerate() {
        let v = w.index;
        if (w.dtype, &w.shape) != (g.dtype, &g.shape) {
            return Err(format!(
                "{mode}: v{v} is {} {:?}, oracle {} {:?}",
                g.dtype, g.shape, w.dtype, w.shape
            ));
        }
        let e = bounds.and_then(|b| b[k].as_ref());
        let bad = match (&w.vals, &g.vals) {
            (Vals::F(a), Vals::F(b)) => (0..a.len())
                .find(|&i| !close(a[i], b[i], e.map(|e| e[i]), w.dtype))
                .map(|i| {
                    format!(
                        "{:?} vs oracle {:?} (bound {:?})",
                        b[i],
                        a[i],
                        e.map(|e| e[i])
                    )
                }),
            (Vals::I(a), Vals::I(b)) => (0..a.len())
                .find(|&i| a[i] != b[i])
                .map(|i| format!("{} vs oracle {}", b[i], a[i])),
            _ => Some("value kinds differ".into()),
        };
        if let Some(msg) = bad {
            let i = match (&w.vals, &g.vals) {
                (Vals::F(a), Vals::F(b)) => {
                    (0..a.len()).position(|i| !close(a[i], b[i], e.map(|e| e[i]), w.dtype))
                }
                (Vals::I(a), Vals::I(b)) => (0..a.len()).position(|i| a[i] != b[i]),
                _ => None,
            };
            return Err(format!(
                "{mode}: v{v} ({} {:?}) element {i:?}: {msg}",
                w.dtype, w.shape
            ));
        }
    }
    Ok(())
}

/// Runs one program in every mode; Err describes the first disagreement.
fn check_program(p: &Program) -> Result<(), String> {
    let (want, bounds) = match replay(p, &EvalOptions::interpreter(), true) {
        Ok(r) => r,
        // A program the oracle rejects while evaluating (an integer to a negative power found
        // at run time) must be rejected with the same error in every mode.
        Err(e) if e.starts_with("eval of") => return check_same_error(p, &e),
        Err(e) => return Err(e),
    };
    // Programs with a matmul also run with each backend forced: the JIT's packed GEMM (which
    // computes elementwise producers of its operands inside packing) and the library.
    let has_matmul = p.steps.iter().any(|s| matches!(s, Step::Matmul { .. }));
    let mut modes = vec![
        ("fused", EvalOptions::fused()),
        ("eager", EvalOptions::eager()),
    ];
    if has_matmul {
        modes.push((
            "fused jit",
            EvalOptions::fused().matmul_backend(MatmulBackend::Jit),
        ));
        modes.push((
            "fused library",
            EvalOptions::fused().matmul_backend(MatmulBackend::Library),
        ));
    }
    for (name, opts) in modes {
        let (got, _) = replay(p, &opts, false).map_err(|e| format!("{name}: {e}"))?;
        compare(name, &want, &got, Some(&bounds))?;
    }
    let backends: &[MatmulBackend] = if has_matmul {
        &[MatmulBackend::Auto, MatmulBackend::Jit]
    } else {
        &[MatmulBackend::Auto]
    };
    for &b in backends {
        let opts = EvalOptions::fused().matmul_backend(b);
        let (t1, _) = replay(p, &opts.clone().threads(1), false)?;
        let (t2, _) = replay(p, &opts.threads(2), false)?;
        let bits = |o: &[Output]| -> Vec<Vals> {
            o.iter()
                .map(|o| match &o.vals {
                    Vals::F(v) => Vals::I(v.iter().map(|x| x.to_bits() as i128).collect()),
                    i => i.clone(),
                })
                .collect()
        };
        if bits(&t1) != bits(&t2) {
            compare(
                &format!("fused {b:?} threads(2) vs threads(1)"),
                &t1,
                &t2,
                None,
            )?;
            return Err(format!(
                "fused {b:?} threads(1) and threads(2) differ in NaN payloads"
            ));
        }
    }
    Ok(())
}

const NEGATIVE_POWER: &str = "Integers to negative integer powers are not allowed.";

/// Every JIT mode fails the program with the oracle's error `want`.
fn check_same_error(p: &Program, want: &str) -> Result<(), String> {
    for (name, opts) in [
        ("fused", EvalOptions::fused()),
        ("eager", EvalOptions::eager()),
        ("fused threads(1)", EvalOptions::fused().threads(1)),
    ] {
        match replay(p, &opts, false) {
            Err(e) if e == want => {}
            Err(e) => return Err(format!("{name}: error {e:?}, oracle {want:?}")),
            // The interpreter computes whole nodes, compiled kernels only the elements that
            // are needed: a negative exponent in an element that is sliced away is found by
            // the oracle only. (Compiled code raising where the oracle does not fails above.)
            Ok(_) if want.ends_with(NEGATIVE_POWER) => {}
            Ok(_) => return Err(format!("{name}: no error, oracle {want:?}")),
        }
    }
    Ok(())
}

thread_local! {
    /// Set while a program runs under `check_caught`: its panics are reported, not printed.
    static CAUGHT: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Checks a program, turning panics (with their location) into errors too.
fn check_caught(p: &Program) -> Result<(), String> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let caught = CAUGHT.with(|c| {
                let mut c = c.borrow_mut();
                c.as_mut().map(|s| *s = info.to_string()).is_some()
            });
            if !caught {
                default(info);
            }
        }));
    });
    CAUGHT.with(|c| *c.borrow_mut() = Some(String::new()));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check_program(p)));
    let panic = CAUGHT.with(|c| c.borrow_mut().take()).unwrap_or_default();
    match r {
        Ok(r) => r,
        Err(_) => Err(panic.replace('\n', " ")),
    }
}

/// Checks the program of `seed`; on failure reports it and a minimised program that still fails.
fn check_seed(seed: u64) -> Result<(), String> {
    let p = generate(seed);
    let Err(msg) = check_caught(&p) else {
        return Ok(());
    };
    let full = describe(&p.steps);
    let small = minimize(p, |c| check_caught(c).is_err());
    let small_msg = check_caught(&small).err().unwrap_or_default();
    Err(format!(
        "seed {seed}: {msg}\nprogram:\n{full}minimised ({small_msg}):\n{}as a test:\n{}",
        describe(&small.steps),
        as_test(seed, &small.steps)
    ))
}

/// Panic sites of known, unfixed JIT bugs (each with a regression test below). Programs failing
/// there are counted, not failed; delete an entry once its bug is fixed. Empty: the three bugs
/// this tester found (0-d maps, values shared across reduction sections, extra outputs that
/// hold a second reduction) are fixed and their regression tests run.
const KNOWN_BUGS: [&str; 0] = [];

fn run_seeds(seeds: std::ops::Range<u64>) {
    let mut known = 0;
    for seed in seeds {
        let p = generate(seed);
        match check_caught(&p) {
            Ok(()) => {}
            Err(e) if KNOWN_BUGS.iter().any(|k| e.contains(k)) => known += 1,
            Err(_) => panic!("{}", check_seed(seed).err().unwrap_or_default()),
        }
    }
    if known > 0 {
        eprintln!("{known} programs hit known JIT bugs (KNOWN_BUGS)");
    }
}

#[test]
fn random_graphs_agree_a() {
    run_seeds(0..500);
}

#[test]
fn random_graphs_agree_b() {
    run_seeds(500..1000);
}

#[test]
fn random_graphs_agree_c() {
    run_seeds(1000..1500);
}

#[test]
fn generator_is_deterministic_and_varied() {
    let a = describe(&generate(7).steps);
    assert_eq!(a, describe(&generate(7).steps));
    let distinct: std::collections::HashSet<String> =
        (0..50).map(|s| describe(&generate(s).steps)).collect();
    assert!(
        distinct.len() >= 45,
        "only {} distinct programs",
        distinct.len()
    );
    let ops: usize = (0..200).map(|s| generate(s).exact.len()).sum();
    assert!(ops > 200 * 3, "programs are too short: {ops} values in 200");
}

#[test]
#[ignore]
fn soak() {
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let (n, start) = (
        env("LAZYNP_SOAK", 100_000),
        env("LAZYNP_SOAK_START", 1_000_000),
    );
    let (mut failures, mut known) = (Vec::new(), 0);
    let prologues = lazynp::jit_stats().prologues_in_packing;
    let t0 = std::time::Instant::now();
    for seed in start..start + n {
        let done = seed - start;
        if done > 0 && done.is_multiple_of(10_000) {
            let s = t0.elapsed().as_secs_f64();
            eprintln!(
                "soak: {done} seeds from {start} in {s:.0} s ({:.1} seeds/s), {} failing",
                done as f64 / s,
                failures.len()
            );
        }
        match check_caught(&generate(seed)) {
            Ok(()) => {}
            Err(e) if KNOWN_BUGS.iter().any(|k| e.contains(k)) => known += 1,
            Err(_) => {
                eprintln!("{}\n", check_seed(seed).err().unwrap_or_default());
                failures.push(seed);
            }
        }
    }
    let s = t0.elapsed().as_secs_f64();
    eprintln!(
        "soak: {n} seeds {start}..{} in {s:.0} s ({:.1} seeds/s), {} failing",
        start + n,
        n as f64 / s,
        failures.len()
    );
    eprintln!("{known} programs hit known JIT bugs (KNOWN_BUGS)");
    eprintln!(
        "{} matmul prologues ran inside packing",
        lazynp::jit_stats().prologues_in_packing - prologues
    );
    assert!(
        failures.is_empty(),
        "{} failing seeds: {failures:?}",
        failures.len()
    );
}

// Minimised regressions. Each came from a random program (seed in the comment).

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
fn checker_is_not_vacuous() {
    // Exact comparison is bitwise (any NaN equals any NaN); bounded comparison uses 4x the bound.
    assert!(close(f64::NAN, -f64::NAN, None, DType::F64));
    assert!(!close(0.0, -0.0, None, DType::F64));
    assert!(!close(1.0, 1.0 + 1e-15, None, DType::F64));
    assert!(close(1.0, 1.0 + 1e-9, Some(1e-9), DType::F64));
    assert!(!close(1.0, 1.0 + 1e-9, Some(1e-12), DType::F64));
    assert!(!close(f64::NAN, 1.0, Some(1e-3), DType::F64));
    // Over real programs, most inexact elements get a finite bound (are really checked).
    let (mut exact, mut bounded, mut skipped) = (0usize, 0usize, 0usize);
    for seed in 0..300 {
        let p = generate(seed);
        let Ok((outs, bounds)) = replay(&p, &EvalOptions::interpreter(), true) else {
            continue;
        };
        for (o, b) in outs.iter().zip(&bounds) {
            match b {
                None => exact += o.shape.iter().product::<usize>(),
                Some(b) => {
                    let ok = b.iter().filter(|e| e.is_finite()).count();
                    bounded += ok;
                    skipped += b.len() - ok;
                }
            }
        }
    }
    eprintln!("elements: {exact} exact, {bounded} bounded, {skipped} unbounded");
    assert!(
        exact > 1000 && bounded > 1000,
        "{exact} exact, {bounded} bounded"
    );
    assert!(
        skipped * 4 < bounded,
        "{skipped} unbounded vs {bounded} bounded"
    );
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
