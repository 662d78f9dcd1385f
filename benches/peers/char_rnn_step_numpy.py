"""Karpathy's min-char-rnn training step in NumPy, timed per step (the twin of
examples/char_rnn_step.rs: same sizes, same synthetic corpus). Run with one thread:
OPENBLAS_NUM_THREADS=1 python3 benches/peers/char_rnn_step_numpy.py"""
import time

import numpy as np

VOCAB, HIDDEN, SEQ, LR = 65, 100, 25, 0.1


def corpus(n):
    s, out = 42, []
    for _ in range(n):
        s = (s * 1103515245 + 12345) % (1 << 31)
        out.append((s >> 16) % VOCAB)
    return out


def step(inputs, targets, hprev, Wxh, Whh, Why, bh, by):
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0
    for t in range(len(inputs)):
        xs[t] = np.zeros((VOCAB, 1))
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
    data = corpus(100_000)
    def init(r, c, k):  # deterministic weights both programs compute alike
        return np.sin(np.arange(r * c, dtype=np.float64).reshape(r, c) * 0.37 + k) * 0.01

    Wxh, Whh, Why = init(HIDDEN, VOCAB, 1.0), init(HIDDEN, HIDDEN, 2.0), init(VOCAB, HIDDEN, 3.0)
    bh, by = np.zeros((HIDDEN, 1)), np.zeros((VOCAB, 1))
    params = [Wxh, Whh, Why, bh, by]
    mems = [np.zeros_like(p) for p in params]
    hprev = np.zeros((HIDDEN, 1))
    warm, timed = 20, 300
    p, times, loss = 0, [], 0.0
    for it in range(warm + timed):
        if p + SEQ + 1 >= len(data):
            p = 0
        t0 = time.perf_counter()
        loss, *grads, hprev = step(data[p:p + SEQ], data[p + 1:p + SEQ + 1], hprev, *params)
        for param, dparam, mem in zip(params, grads, mems):
            mem += dparam * dparam
            param += -LR * dparam / np.sqrt(mem + 1e-8)
        if it < 3:
            print(f"step {it}: loss {loss:.6f}")
        if it >= warm:
            times.append((time.perf_counter() - t0) * 1e3)
        p += SEQ
    times.sort()
    print(f"numpy char-RNN step: median {times[timed // 2]:.3f} ms (min {times[0]:.3f}) "
          f"over {timed} steps, loss {loss:.4f}")


if __name__ == "__main__":
    main()
