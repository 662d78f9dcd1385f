#!/usr/bin/env python3
"""NumPy twin of examples/char_rnn.rs: Karpathy's min-char-rnn (a vanilla RNN trained with
BPTT over 25 characters and Adagrad), statement for statement, on examples/data/char_rnn.txt.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python3 benches/peers/char_rnn_numpy.py [--iters N] [--write]

Differences from the original, so that both programs start from the same numbers: the
vocabulary is sorted (the original's set order varies between runs), the initial weights come
from a deterministic integer hash (`init` below, also in examples/char_rnn/model.rs) instead of
np.random.randn, and sampling is left out. Prints the loss every 100 iterations and the time
per training step; --write stores the loss of the first 10 iterations and of every 25th of the
first 500 in examples/data/char_rnn_losses.txt.

The training is chaotic in its first steps (Adagrad's first update moves every weight by about
the learning rate): a rounding difference of 1e-16 (summation order, an exp or tanh one ulp
apart) grows to ~1e-14 by step 4, ~1e-8 by step 7 and ~1e-3 by step 450, so a port matches
these losses to 1e-9 over the first 7 steps and to ~1e-2 afterwards.
"""
import os
import sys
import time
import numpy as np

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
DATA = os.path.join(ROOT, "examples", "data")

data = open(os.path.join(DATA, "char_rnn.txt"), "r").read()
chars = sorted(set(data))
data_size, vocab_size = len(data), len(chars)
char_to_ix = {ch: i for i, ch in enumerate(chars)}

hidden_size = 100
seq_length = 25
learning_rate = 1e-1


def init(rows, cols, seed):
    """0.02 * (uniform hash in [-0.5, 0.5)), exactly reproducible in Rust."""
    k = np.arange(rows * cols, dtype=np.uint64) + np.uint64(seed * 1000003)
    u = (k * np.uint64(2654435761)) % np.uint64(1 << 32)
    return (0.02 * (u.astype(np.float64) / 4294967296.0 - 0.5)).reshape(rows, cols)


Wxh = init(hidden_size, vocab_size, 1)
Whh = init(hidden_size, hidden_size, 2)
Why = init(vocab_size, hidden_size, 3)
bh = np.zeros((hidden_size, 1))
by = np.zeros((vocab_size, 1))


def lossFun(inputs, targets, hprev):
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab_size, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
        ys[t] = np.dot(Why, hs[t]) + by
        ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))
        loss += -np.log(ps[t][targets[t], 0])
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        dWhy += np.dot(dy, hs[t].T)
        dby += dy
        dh = np.dot(Why.T, dy) + dhnext
        dhraw = (1 - hs[t] * hs[t]) * dh
        dbh += dhraw
        dWxh += np.dot(dhraw, xs[t].T)
        dWhh += np.dot(dhraw, hs[t - 1].T)
        dhnext = np.dot(Whh.T, dhraw)
    for dparam in [dWxh, dWhh, dWhy, dbh, dby]:
        np.clip(dparam, -5, 5, out=dparam)
    return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]


def main():
    iters = 1000
    if "--iters" in sys.argv:
        iters = int(sys.argv[sys.argv.index("--iters") + 1])
    n, p = 0, 0
    mWxh, mWhh, mWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    mbh, mby = np.zeros_like(bh), np.zeros_like(by)
    smooth_loss = -np.log(1.0 / vocab_size) * seq_length
    recorded = []
    start = time.perf_counter()
    while n < iters:
        if p + seq_length + 1 >= len(data) or n == 0:
            hprev = np.zeros((hidden_size, 1))
            p = 0
        inputs = [char_to_ix[ch] for ch in data[p:p + seq_length]]
        targets = [char_to_ix[ch] for ch in data[p + 1:p + seq_length + 1]]
        loss, dWxh, dWhh, dWhy, dbh, dby, hprev = lossFun(inputs, targets, hprev)
        smooth_loss = smooth_loss * 0.999 + loss * 0.001
        if n % 100 == 0:
            print('iter %d, loss: %f, smooth loss: %f' % (n, loss, smooth_loss))
        if n < 10 or (n % 25 == 0 and n < 500):
            recorded.append((n, loss))
        for param, dparam, mem in zip([Wxh, Whh, Why, bh, by],
                                      [dWxh, dWhh, dWhy, dbh, dby],
                                      [mWxh, mWhh, mWhy, mbh, mby]):
            mem += dparam * dparam
            param += -learning_rate * dparam / np.sqrt(mem + 1e-8)
        p += seq_length
        n += 1
    elapsed = time.perf_counter() - start
    print('numpy %s: %d steps, %.3f ms per training step (vocab %d, hidden %d, seq %d)'
          % (np.__version__, iters, elapsed * 1e3 / iters, vocab_size, hidden_size, seq_length))
    if "--write" in sys.argv:
        with open(os.path.join(DATA, "char_rnn_losses.txt"), "w") as f:
            f.write("".join("%d %.17g\n" % r for r in recorded))


if __name__ == "__main__":
    main()
