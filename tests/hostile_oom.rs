//! Allocation failure (issue #17): buffers too large for the system are an `Error::OutOfMemory`
//! from `eval()`/`to_vec()` that says how many bytes were asked for; the process survives and
//! later evaluations work.
//!
//! The checks run in a child process (this test binary re-run with an environment variable)
//! under an address-space limit (`setrlimit(RLIMIT_AS)`), so a regression that aborts or is
//! killed fails this test instead of the whole test run, and no check depends on how much
//! memory the machine has or on its overcommit policy.

use lazynp::{self as np, DType, Error, EvalOptions};

const CHILD: &str = "LAZYNP_OOM_CHILD";
const TEST: &str = "allocation_failures_are_errors_and_the_process_survives";

#[test]
fn allocation_failures_are_errors_and_the_process_survives() {
    if std::env::var_os(CHILD).is_some() {
        child();
        return;
    }
    let exe = std::env::current_exe().expect("test binary");
    let out = std::process::Command::new(exe)
        .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .expect("run the child");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success() && stdout.contains("child: every check passed"),
        "child: {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
}

/// Virtual memory the process uses now, in bytes (Linux: /proc/self/statm, in pages).
fn vm_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("statm");
    let pages: usize = statm
        .split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .expect("pages");
    // SAFETY: sysconf has no preconditions.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize
}

fn limit_address_space(extra: usize) {
    let limit = (vm_bytes() + extra) as libc::rlim_t;
    let r = libc::rlimit {
        rlim_cur: limit,
        rlim_max: limit,
    };
    // SAFETY: a valid rlimit struct for RLIMIT_AS of this process.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_AS, &r) };
    assert_eq!(rc, 0, "setrlimit");
}

fn oom(r: Result<np::Array, Error>) -> usize {
    match r {
        Err(Error::OutOfMemory { bytes }) => bytes,
        other => panic!(
            "expected OutOfMemory, got {:?}",
            other.map(|a| a.shape().to_vec())
        ),
    }
}

fn child() {
    // Warm up the JIT, the thread pools and the kernel cache before the limit.
    let x = np::arange(0.0f64, 1000.0, 1.0);
    for opts in [
        EvalOptions::fused(),
        EvalOptions::eager(),
        EvalOptions::fused().threads(2),
    ] {
        assert_eq!(
            (&x * 2.0)
                .sum(..)
                .eval_with(&opts)
                .unwrap()
                .item::<f64>()
                .unwrap(),
            999_000.0
        );
    }
    limit_address_space(768 << 20);
    let modes = [
        EvalOptions::fused(),
        EvalOptions::eager(),
        EvalOptions::interpreter(),
        EvalOptions::fused().threads(2),
    ];
    for opts in &modes {
        // 8 TiB: more than any limit; the error names the bytes requested.
        let huge = np::zeros([1 << 40], DType::F64);
        let bytes = oom(huge.eval_with(opts));
        assert!(bytes >= 8 << 40, "{bytes}");
        let e = huge.eval_with(opts).unwrap_err();
        assert!(
            e.to_string().starts_with("Unable to allocate 8.00 TiB"),
            "{e}"
        );
        assert!(matches!(
            huge.to_vec::<f64>(),
            Err(Error::OutOfMemory { .. })
        ));
        // 2 GiB, over this process's limit, computed from an input.
        let ramp = np::arange(0.0f32, 4.0, 1.0).broadcast_to([1 << 27, 4]);
        oom((&ramp * 2.0).eval_with(opts));
        // A lazy identity held whole: 8 TiB.
        oom(np::eye(1 << 20, DType::F64).eval_with(opts));
        // A failure in the middle of a plan (the first kernel's output fits, the second's not).
        let small = (&x + 1.0).exp();
        let both = &small.broadcast_to([1 << 20, 1000]) - 1.0;
        oom(both.eval_with(opts));
        // The process survives and later evaluations work (the small part included).
        assert_eq!(
            (&x + 1.0)
                .sum(..)
                .eval_with(opts)
                .unwrap()
                .item::<f64>()
                .unwrap(),
            500_500.0
        );
        assert!(small.eval_with(opts).unwrap().to_vec::<f64>().unwrap()[0] > 2.7);
    }
    // Eager constructors that allocate: an error from their `try_` twin.
    assert!(matches!(
        np::try_arange(0.0f64, 1e10, 1.0),
        Err(Error::OutOfMemory { .. })
    ));
    assert!(matches!(
        np::try_linspace(0.0f64, 1.0, 1 << 31),
        Err(Error::OutOfMemory { .. })
    ));
    println!("child: every check passed");
}
