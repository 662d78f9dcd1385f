#!/usr/bin/env python3
"""NumPy peer for benches/gemm_lib.rs: sgemm/dgemm GFLOP/s and relu(X@W + b), 1 and 2 threads.

Run (from the repo root):
    python3 benches/peers/numpy_matmul.py
OpenBLAS kernel overrides in the environment (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE) force a
kernel other than the one OpenBLAS picks for the CPU; the script warns if they are set (unset
them for a like-for-like number). LAZYNP_BENCH_LARGE=1 adds n = 2048, as in the Rust bench.

The BLAS thread count is fixed by environment variables read when NumPy is imported, so each
thread count runs in its own child process. NumPy must be installed in the interpreter that
runs this (`python3 -m pip install numpy`); the script installs nothing.
"""
import os
import subprocess
import sys
import time
import timeit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
               "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def python_with_numpy():
    """This interpreter; exits with the install command if it has no NumPy."""
    try:
        import numpy  # noqa: F401
        return sys.executable
    except ImportError:
        sys.exit(f"NumPy is not installed in {sys.executable}: python3 -m pip install numpy")


def best_seconds(fn, budget=1.0, min_reps=3, max_reps=200):
    fn()
    best, reps, start = float("inf"), 0, time.perf_counter()
    while reps < min_reps or (time.perf_counter() - start < budget and reps < max_reps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
        reps += 1
    return best


def child(threads):
    for var in THREAD_VARS:
        os.environ[var] = str(threads)
    import numpy as np
    rng = np.random.default_rng(0)
    sizes = [256, 1024] + ([2048] if os.environ.get("LAZYNP_BENCH_LARGE") else [])
    for n in sizes:
        for dt, name in ((np.float32, "sgemm"), (np.float64, "dgemm")):
            a = rng.uniform(-1, 1, (n, n)).astype(dt)
            b = rng.uniform(-1, 1, (n, n)).astype(dt)
            c = np.empty((n, n), dt)
            s = best_seconds(lambda: np.matmul(a, b, out=c))
            print(f"numpy {name:<5} n={n:<5} {threads}t  {2 * n**3 / s / 1e9:8.1f} GFLOP/s"
                  f"  ({s * 1e3:.3f} ms)")
    m, k, n = 4096, 512, 512
    x = rng.uniform(-1, 1, (m, k)).astype(np.float32)
    w = rng.uniform(-1, 1, (k, n)).astype(np.float32)
    bias = rng.uniform(-1, 1, n).astype(np.float32)
    out = np.empty((m, n), np.float32)

    def in_place():
        np.matmul(x, w, out=out)
        np.add(out, bias, out=out)
        np.maximum(out, 0, out=out)

    flops = 2 * m * n * k
    for label, fn in (("bare X@W (out=)", lambda: np.matmul(x, w, out=out)),
                      ("relu(X@W+b) expression", lambda: np.maximum(x @ w + bias, 0)),
                      ("relu(X@W+b) in place", in_place)):
        s = best_seconds(fn)
        print(f"numpy {label:<24} 4096x512x512 {threads}t  {flops / s / 1e9:8.1f} GFLOP/s"
              f"  ({s * 1e3:.3f} ms)")
    # Many small products (lazynp's batched-small kernels): the median is reported too, since
    # one call is short enough for a noisy machine to disturb the best.
    for mm in (8, 16):
        a = rng.uniform(-1, 1, (10000, mm, mm)).astype(np.float32)
        b = rng.uniform(-1, 1, (10000, mm, mm)).astype(np.float32)
        np.matmul(a, b)
        ts = sorted(timeit.repeat(lambda: np.matmul(a, b), number=1, repeat=200))
        print(f"numpy batched 10000x{mm}^3 f32 {threads}t  best {ts[0] * 1e6:8.1f} us"
              f"  median {ts[len(ts) // 2] * 1e6:8.1f} us")
    cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    print(f"# numpy {np.__version__}, BLAS {cfg.get('name')} {cfg.get('version')}")


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(int(sys.argv[2]))
        return
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            print(f"# warning: {var}={os.environ[var]} is set and may slow OpenBLAS; "
                  f"run with env -u {var}", file=sys.stderr)
    py = python_with_numpy()
    for threads in (1, 2):
        sys.stdout.flush()
        subprocess.check_call([py, os.path.abspath(__file__), "--child", str(threads)])


if __name__ == "__main__":
    main()
