#!/usr/bin/env python3
"""NumPy peer of examples/digits.rs: the same 64-64-10 ReLU MLP on examples/data/digits.npz,
same split scheme (80/20 after a seeded shuffle), same standardisation, He initialisation,
batch size 32, lr 0.1, hand-written gradients and SGD. Prints one JSON line per epoch
(loss, ms) and a summary line (median ms per epoch after the first, held-out accuracy).

    python3 benches/peers/digits_numpy.py [--epochs N]     # from the repository root

Single-threaded on purpose: OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, MKL_NUM_THREADS are set
to 1 before numpy is imported. OpenBLAS kernel overrides in the environment
(OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE) are removed from this process's environment, so NumPy
runs the kernels OpenBLAS picks for the CPU.

NumPy must be installed in the interpreter that runs this (`python3 -m pip install numpy`);
the script installs nothing.

The random streams are NumPy's (PCG64), not lazynp's, so the split and the initial weights
differ from the Rust run; losses and accuracy are comparable, not identical.
"""

import os
import sys

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"
for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(var, None)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "examples", "data", "digits.npz")

try:
    import numpy as np
except ImportError:
    sys.exit(f"NumPy is not installed in {sys.executable}: python3 -m pip install numpy")

import json  # noqa: E402
import time  # noqa: E402


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def main():
    epochs = 20
    if "--epochs" in sys.argv:
        epochs = int(sys.argv[sys.argv.index("--epochs") + 1])
    batch_size, lr, hidden = 32, np.float32(0.1), 64

    d = np.load(DATA)
    images, labels = d["images"], d["labels"]
    n = len(images)
    perm = np.random.default_rng(0).permutation(n)
    n_train = n * 4 // 5
    tr, te = perm[:n_train], perm[n_train:]
    x_train, x_test = images[tr], images[te]
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    x_train = (x_train - mean) / (std + 1e-8)
    x_test = (x_test - mean) / (std + 1e-8)
    y_train, y_test = labels[tr], labels[te]
    onehot = np.eye(10, dtype=np.float32)[y_train]

    rng = np.random.default_rng(0)
    f = x_train.shape[1]
    w1 = rng.standard_normal((f, hidden), dtype=np.float32) * np.float32(np.sqrt(2 / f))
    b1 = np.zeros(hidden, np.float32)
    w2 = rng.standard_normal((hidden, 10), dtype=np.float32) * np.float32(np.sqrt(2 / hidden))
    b2 = np.zeros(10, np.float32)

    shuffle = np.random.default_rng(1)
    times = []
    for epoch in range(epochs):
        start = time.perf_counter()
        p_idx = shuffle.permutation(n_train)
        x, y = x_train[p_idx], onehot[p_idx]
        total, batches = 0.0, 0
        for i in range(0, n_train, batch_size):
            xb, yb = x[i : i + batch_size], y[i : i + batch_size]
            bs = np.float32(len(xb))
            z1 = xb @ w1 + b1
            h = np.maximum(z1, 0)
            p = softmax(h @ w2 + b2)
            loss = -(yb * np.log(p)).sum() / bs
            dlogits = (p - yb) / bs
            gw2 = h.T @ dlogits
            gb2 = dlogits.sum(axis=0)
            dz1 = (dlogits @ w2.T) * (z1 > 0)
            gw1 = xb.T @ dz1
            gb1 = dz1.sum(axis=0)
            w1 = w1 - gw1 * lr
            b1 = b1 - gb1 * lr
            w2 = w2 - gw2 * lr
            b2 = b2 - gb2 * lr
            total += loss.item()
            batches += 1
        ms = (time.perf_counter() - start) * 1e3
        times.append(ms)
        print(json.dumps({"epoch": epoch + 1, "loss": round(total / batches, 6), "ms": round(ms, 3)}))

    pred = softmax(np.maximum(x_test @ w1 + b1, 0) @ w2 + b2).argmax(axis=1)
    acc = float((pred == y_test).mean())
    steady = sorted(times[1:] if len(times) > 1 else times)  # median, first epoch left out
    print(
        json.dumps(
            {
                "peer": "numpy",
                "numpy": np.__version__,
                "model": "mlp 64-64-10",
                "epochs": epochs,
                "batch_size": batch_size,
                "ms_per_epoch_median": round(steady[len(steady) // 2], 3),
                "held_out_accuracy": round(acc, 4),
            }
        )
    )


if __name__ == "__main__":
    main()
