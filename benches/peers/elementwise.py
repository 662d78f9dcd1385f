#!/usr/bin/env python3
"""Peers of examples/report.rs: the workloads of benches/common/workloads.rs at the same sizes,
timed with NumPy (eager, like lazynp's eager mode), numexpr (chain and transcendental) and
jax.jit (every workload), at a given thread count (1 by default). Writes a JSON list of
{workload, size, peer, seconds, threads} that the report merges as its NumPy and peer columns.

    python3 benches/peers/elementwise.py [--threads N] [--full | --quick] [--out FILE]

The report runs this itself (same --threads and sizes); running it by hand is for checking.
It uses whatever is installed in the Python that runs it and installs nothing: without NumPy
it writes an empty list and says so; without numexpr or jax it skips that peer and says so.
To add the optional peers: `python3 -m pip install numpy numexpr "jax[cpu]"` (in a venv if you
like: `python3 -m venv .venv && .venv/bin/pip install ...`, then `--python .venv/bin/python`
for the report). Lines meant for the report's summary start with "peers:" on stderr.

Workload names and size labels are the Rust side's (tests/report.rs checks that this file
names every workload). Timing: one warm-up call (jax compiles there), one calibration call,
then the median of an adaptive number of calls (about 0.35 s per workload and peer). Inputs
are created once; each timed call computes the result from them (NumPy allocates the result
and intermediates; jax calls are followed by block_until_ready()).

Threads: the BLAS, OpenMP and numexpr thread counts are set to N and XLA's intra-op pool to N
before any import, and on Linux the process is pinned to N CPUs, so every library runs at the
thread count lazynp runs at. OpenBLAS kernel overrides in the environment (OPENBLAS_CORETYPE,
OPENBLAS_L2_SIZE) are removed, so NumPy runs the kernels OpenBLAS picks for the CPU; the
script says when it removes one.
"""

import os
import sys


def arg_value(flag, default):
    if flag in sys.argv:
        i = sys.argv.index(flag)
        if i + 1 >= len(sys.argv):
            sys.exit(f"{flag} needs a value")
        return sys.argv[i + 1]
    return default


THREADS = int(arg_value("--threads", "1"))
if THREADS < 1:
    sys.exit("--threads must be at least 1")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = arg_value("--out", os.path.join(ROOT, "target", "lazynp-report", "peers.json"))

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
            "NUMEXPR_MAX_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[var] = str(THREADS)
os.environ["XLA_FLAGS"] = (
    ("--xla_cpu_multi_thread_eigen=false " if THREADS == 1 else "")
    + f"intra_op_parallelism_threads={THREADS}"
)
os.environ["JAX_PLATFORMS"] = "cpu"
for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    if var in os.environ:
        print(f"peers: removed {var}={os.environ.pop(var)} from the environment", file=sys.stderr)
if hasattr(os, "sched_setaffinity"):
    cpus = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, set(cpus[:THREADS]))

import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

INSTALL = 'python3 -m pip install numpy numexpr "jax[cpu]"'
try:
    import numpy as np  # noqa: E402
except ImportError:
    np = None
try:
    import numexpr as ne  # noqa: E402

    ne.set_num_threads(THREADS)
except ImportError:
    ne = None
try:
    import jax  # noqa: E402
    import jax.numpy as jnp  # noqa: E402
except ImportError:
    jax = None

BUDGET = 0.35


def label(n):
    """The Rust `label`: 1e{k} for powers of ten, else the number."""
    s = str(n)
    if s[0] == "1" and set(s[1:]) <= {"0"} and len(s) > 1:
        return f"1e{len(s) - 1}"
    return "1e0" if n == 1 else s


def randn(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape, dtype=np.float32)


def time_call(f):
    """Median seconds of f() after a warm-up and a calibration call."""
    f()
    t = time.perf_counter()
    f()
    one = max(time.perf_counter() - t, 1e-9)
    runs = 3 if one > BUDGET else min(max(int(BUDGET / one), 5), 20000)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def jitted(fn, *args):
    """A zero-argument call of jax.jit(fn) on device copies of args, waiting for the result."""
    g = jax.jit(fn)
    dev = [jnp.asarray(a) for a in args]
    return lambda: g(*dev).block_until_ready()


def fmt(s):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if s >= scale:
            return f"{s / scale:8.2f} {unit}"
    return f"{s * 1e9:8.0f} ns"


def check(name, peer, got, want):
    """Warns when a peer's result differs from NumPy's (so a timing is of the same thing)."""
    got = np.asarray(got)
    if got.shape != want.shape or not np.allclose(got, want, rtol=1e-3, atol=1e-4):
        print(f"warning: {peer} result differs from numpy on {name}", file=sys.stderr)


# Each workload: (name, size label, inputs, numpy/jax function, numexpr expression or None).
# The same function body serves NumPy and jax (xp is the array module).


def chain_fn(xp):
    return lambda a, b, c: ((a * b + c) * a - b) / (c + 1.0)


def transcendental_fn(xp):
    return lambda x: xp.tanh(x) * xp.exp(-x * x) + xp.log1p(xp.abs(x))


def softmax_fn(xp):
    def f(x):
        e = xp.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    return f


def column_norm_fn(xp):
    return lambda x: (x - x.mean(0)) / (x.std(0) + 1e-8)


def sumsq_fn(xp):
    return lambda x: (x * x).sum(1)


def one_hot_fn(xp):
    return lambda labels: xp.eye(10, dtype=xp.float32)[labels]


def linear_fn(xp):
    return lambda x, w, b: xp.maximum(x @ w + b, 0.0)


def matmul_fn(xp):
    return lambda a, b: a @ b


def tiny_fn(xp):
    return lambda a, b: ((((a * b + 1.0) * a - b) / 2.0 + a) * b - 3.0) * a + b


def workloads(full, quick):
    w = []
    chains = [1000] if quick else ([1000, 100_000, 1_000_000, 10_000_000] if full
                                   else [1000, 10_000_000])
    for n in chains:
        w.append(("chain ((a*b+c)*a-b)/(c+1)", label(n),
                  [randn(n, 1), randn(n, 2), np.abs(randn(n, 3))], chain_fn,
                  "((a*b+c)*a-b)/(c+1)"))
    n = 1000 if quick else 1_000_000
    w.append(("tanh(x)*exp(-x*x)+log1p(|x|)", label(n), [randn(n, 4)], transcendental_fn,
              "tanh(a)*exp(-a*a)+log1p(abs(a))"))
    r, c = (8, 16) if quick else (4096, 1024)
    w.append(("row softmax", f"{r}x{c}", [randn((r, c), 5)], softmax_fn, None))
    r, c = (64, 8) if quick else (100_000, 64)
    w.append(("column norm", f"{r}x{c}", [randn((r, c), 6)], column_norm_fn, None))
    r, c = (16, 32) if quick else (4096, 1024)
    w.append(("(x*x).sum(1)", f"{r}x{c}", [randn((r, c), 7)], sumsq_fn, None))
    n = 100 if quick else 100_000
    labels = np.random.default_rng(8).integers(0, 10, n)
    w.append(("one-hot eye(10).take(labels)", label(n), [labels], one_hot_fn, None))
    m, k, nn = (16, 8, 8) if quick else ((4096, 512, 512) if full else (1024, 512, 512))
    w.append(("linear relu(X@W+b)", f"{m}x{k}x{nn}",
              [randn((m, k), 9), randn((k, nn), 10), randn(nn, 11)], linear_fn, None))
    for n in [16] if quick else ([512, 1024] if full else [512]):
        w.append(("matmul", f"{n}^3", [randn((n, n), 12), randn((n, n), 13)], matmul_fn, None))
    w.append(("10-op chain, 16 elements", "16", [randn(16, 14), randn(16, 15)], tiny_fn, None))
    return w


def write(results):
    os.makedirs(os.path.dirname(os.path.abspath(OUT)), exist_ok=True)
    with open(OUT, "w") as fh:
        fh.write("[\n" + ",\n".join("  " + json.dumps(r) for r in results) + "\n]\n")
    print(f"wrote {OUT}", file=sys.stderr)


def main():
    full, quick = "--full" in sys.argv, "--quick" in sys.argv
    results = []
    if np is None:
        print(f"peers: NumPy is not installed in {sys.executable}; no peer times "
              f"(to add them: {INSTALL})", file=sys.stderr)
        write(results)
        return
    have = [f"numpy {np.__version__}"]
    have += [f"numexpr {ne.__version__}"] if ne else []
    have += [f"jax {jax.__version__}"] if jax else []
    skipped = ([] if ne else ["numexpr"]) + ([] if jax else ["jax"])
    print(f"peers: {', '.join(have)} at {THREADS} thread(s)"
          + (f"; skipped (not installed): {', '.join(skipped)}" if skipped else ""),
          file=sys.stderr)
    for name, size, inputs, make, expr in workloads(full, quick):
        peers = {}
        f = make(np)
        want = f(*inputs)
        peers["numpy"] = time_call(lambda: f(*inputs))
        if expr is not None and ne is not None:
            env = dict(zip("abc", inputs))
            check(name, "numexpr", ne.evaluate(expr, local_dict=env), want)
            peers["numexpr"] = time_call(lambda: ne.evaluate(expr, local_dict=env))
        if jax is not None:
            g = jitted(make(jnp), *inputs)
            check(name, "jax.jit", g(), want)
            peers["jax.jit"] = time_call(g)
        line = "  ".join(f"{p} {fmt(t)}" for p, t in peers.items())
        print(f"{name:<30} {size:<13} {line}", flush=True)
        for p, t in peers.items():
            results.append({"workload": name, "size": size, "peer": p, "seconds": t,
                            "threads": THREADS})
    write(results)


if __name__ == "__main__":
    main()
