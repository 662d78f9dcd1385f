#!/usr/bin/env python3
"""NumPy side of examples/tour.rs: the deterministic part of every snippet of the seed article
"NumPy for Deep Learning Beginners" (/work/shared/seed/numpy-for-deep-learning-beginners.txt).

    /work/venv/bin/python scripts/tour_numpy.py > tests/fixtures/tour_expected.txt

Random snippets print only what does not depend on the drawn values (shapes, dtypes,
properties such as "normalised columns have mean 0"), since lazynp's generator is not NumPy's
PCG64. PyTorch is not needed: the torch lines are interop round trips through plain lists
(`tolist()` / `np.array(list)`), which is what lazynp's `to_vec` / `from_shape_vec` do; a
`torch.Size([...])` is printed from the shape, as PyTorch shows it.
"""

import numpy as np

np.random.seed(0)


def header(title):
    print(f"## {title}")


header("1. Python lists: + concatenates")
A = [1, 2, 3, 4]
B = [10, 20, 30, 40]
print(A + B)

header("2. NumPy arrays: + adds element-wise")
A = np.array([1, 2, 3, 4])
B = np.array([10, 20, 30, 40])
print(A + B)
print(repr(A + B))

header("3. Vectorization: list + for loop")
values = [1, 2, 3, 4, 5]
squared = []
for x in values:
    squared.append(x ** 2)
print(squared)

header("4. Vectorization: values ** 2")
values = np.array([1, 2, 3, 4, 5])
squared = values ** 2
print(squared)
print(repr(squared))

header("5. Broadcasting: X + B")
X = np.array([[1, 2, 3],
              [4, 5, 6]])
B = np.array([10, 20, 30])
Y = X + B
print(Y)
print(X.shape, B.shape, Y.shape)

header("6. Broadcasting with tensors (interop round trip)")
X_t = np.array([[1, 2, 3], [4, 5, 6]]).tolist()  # torch.tensor(...) from nested lists
B_t = [10, 20, 30]
Y = np.array(X_t) + np.array(B_t)
print(Y.tolist())

header("7. Matrix product: y = W @ x")
x = np.array([1.0, 2.0, 3.0])
W = np.array([[0.1, 0.2, 0.3],
              [0.4, 0.5, 0.6]])
Y = W @ x
print(Y)
print(Y.shape)

header("8. Matrix product with float32 tensors (interop round trip)")
x = np.array([1.0, 2.0, 3.0], dtype=np.float32)  # torch.tensor default dtype
W = np.array([[0.1, 0.2, 0.3],
              [0.4, 0.5, 0.6]], dtype=np.float32)
Y = W @ x
print(Y)
print(repr(Y))

header("9. NumPy -> PyTorch -> NumPy")
np_data = np.random.randn(100, 3)
tensor_data = np_data.astype(np.float32)  # torch.from_numpy(np_data).float()
print(f"torch.Size({list(tensor_data.shape)})")
y = tensor_data.mean(axis=0)  # tensor_data.mean(dim=0)
y_np = np.array(y.tolist(), dtype=np.float32)  # y.detach().cpu().numpy()
print(y_np.shape, y_np.dtype)

header("10. Random initialization & adding noise")
W = np.random.randn(3, 3) * 0.01
x = np.array([1.0, 2.0, 3.0])
noise = np.random.normal(0, 0.1, size=x.shape)
x_noisy = x + noise
print(W.shape, W.dtype, noise.shape, x_noisy.dtype)
print(np.abs(x_noisy - x).max() < 1.0)

header("11. Data normalization (mean 0, std 1)")
X = np.random.randn(100, 3) * 10 + 50
mean = X.mean(axis=0)
std = X.std(axis=0)
X_norm = (X - mean) / (std + 1e-8)
print(mean.shape, std.shape, X_norm.shape)
print(np.abs(X_norm.mean(axis=0)).max() < 1e-9)
print(np.abs(X_norm.std(axis=0) - 1).max() < 1e-6)

header("12. One-hot encoding")
num_classes = 4
labels = np.array([0, 2, 1, 3])
one_hot = np.eye(num_classes)[labels]
print(one_hot)

header("13. Batch splitting")
X = np.random.randn(100, 3)
batch_size = 16
for i in range(0, len(X), batch_size):
    batch = X[i:i + batch_size]
    print(i, batch.shape)

header("14. Key points: ndarray basics")
x = np.array([[-1.5, 2.0, 0.5], [3.0, -0.25, 4.0]])
print(x.dtype, x.shape)
print(x.reshape(3, 2))
print(repr(x.astype(np.int32)))

header("15. Key points: indexing & slicing")
print(x[0])
print(x[1:3])
print(x[:, 0])
print(x[:, 1:3])
print(x[x > 0])

header("16. Key points: arithmetic, comparisons, reductions")
print(x + 1)
print(x - 1)
print(x * 2)
print(x / 2)
print(x ** 2)
print(x > 0)
print(np.sum(x), np.mean(x), np.max(x), np.min(x))
print(np.sum(x, axis=0))
print(np.max(x, axis=1))

header("17. Key points: linear algebra")
print(x @ x.T)
print(np.dot(x[0], x[1]))
print(x.T)

header("18. Key points: broadcasting")
print(x * 10)
print(x + np.array([1.0, 2.0, 3.0]))
print(x + np.array([[100.0], [200.0]]))

header("19. Key points: random utilities")
r = np.random.randn(2, 3)
print(r.shape, r.dtype)
k = np.random.randint(0, 10, size=5)
print(k.shape, k.dtype, ((k >= 0) & (k < 10)).all())
p = np.random.permutation(5)
print(p.shape, p.dtype, p.sum())

header("20. Key points: PyTorch interop")
t = x.tolist()  # torch.from_numpy(x)
back = np.array(t)  # tensor.numpy()
print(back.shape == x.shape, (back == x).all())
