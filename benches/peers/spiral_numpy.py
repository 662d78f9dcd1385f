#!/usr/bin/env python3
"""NumPy twin of examples/spiral.rs: the CS231n spiral-data 2-layer classifier, statement for
statement (https://cs231n.github.io/neural-networks-case-study/).

    python3 benches/peers/spiral_numpy.py [--write]

--write regenerates examples/data/spiral.npz (the data and initial weights, made with
np.random.seed(0) exactly as the case study does) and examples/data/spiral_losses.txt (the loss
every 200 iterations, which examples/spiral.rs and tests/update_examples.rs compare with).
"""
import os
import sys
import numpy as np

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
DATA = os.path.join(ROOT, "examples", "data")
ITERS = 2000
EVERY = 200


def make_data():
    np.random.seed(0)
    N, D, K = 100, 2, 3
    X = np.zeros((N * K, D))
    y = np.zeros(N * K, dtype='uint8')
    for j in range(K):
        ix = range(N * j, N * (j + 1))
        r = np.linspace(0.0, 1, N)
        t = np.linspace(j * 4, (j + 1) * 4, N) + np.random.randn(N) * 0.2
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    h = 100
    W = 0.01 * np.random.randn(D, h)
    W2 = 0.01 * np.random.randn(h, K)
    return X, y.astype(np.int64), W, W2


def train(X, y, W, W2):
    h, K = W.shape[1], W2.shape[1]
    b = np.zeros((1, h))
    b2 = np.zeros((1, K))
    step_size = 1e-0
    reg = 1e-3
    num_examples = X.shape[0]
    losses = []
    for i in range(ITERS):
        hidden_layer = np.maximum(0, np.dot(X, W) + b)
        scores = np.dot(hidden_layer, W2) + b2
        exp_scores = np.exp(scores)
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
        correct_logprobs = -np.log(probs[range(num_examples), y])
        data_loss = np.sum(correct_logprobs) / num_examples
        reg_loss = 0.5 * reg * np.sum(W * W) + 0.5 * reg * np.sum(W2 * W2)
        loss = data_loss + reg_loss
        if i % EVERY == 0:
            print("iteration %d: loss %f" % (i, loss))
            losses.append(loss)
        dscores = probs
        dscores[range(num_examples), y] -= 1
        dscores /= num_examples
        dW2 = np.dot(hidden_layer.T, dscores)
        db2 = np.sum(dscores, axis=0, keepdims=True)
        dhidden = np.dot(dscores, W2.T)
        dhidden[hidden_layer <= 0] = 0
        dW = np.dot(X.T, dhidden)
        db = np.sum(dhidden, axis=0, keepdims=True)
        dW2 += reg * W2
        dW += reg * W
        W += -step_size * dW
        b += -step_size * db
        W2 += -step_size * dW2
        b2 += -step_size * db2
    hidden_layer = np.maximum(0, np.dot(X, W) + b)
    scores = np.dot(hidden_layer, W2) + b2
    print("training accuracy: %.2f" % np.mean(np.argmax(scores, axis=1) == y))
    return losses


def main():
    X, y, W, W2 = make_data()
    losses = train(X, y, W.copy(), W2.copy())
    if "--write" in sys.argv:
        np.savez(os.path.join(DATA, "spiral.npz"), X=X, y=y, W=W, W2=W2)
        with open(os.path.join(DATA, "spiral_losses.txt"), "w") as f:
            f.write("".join("%d %.17g\n" % (i * EVERY, l) for i, l in enumerate(losses)))


if __name__ == "__main__":
    main()
