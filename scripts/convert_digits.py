#!/usr/bin/env python3
"""Writes examples/data/digits.npz from scikit-learn's bundled copy of the UCI ML hand-written
digits data set (1,797 grey-scale 8x8 images, labels 0-9; CC BY 4.0, see
examples/data/README.md).

    python3 scripts/convert_digits.py          # any Python 3; run from the repository root

`sklearn.datasets.load_digits()` reads the data from a file shipped inside the scikit-learn
package, so no network is needed once scikit-learn is installed. If the running interpreter
cannot import scikit-learn, the script creates a venv at target/venv-digits (installing numpy
and scikit-learn from PyPI with pip) and re-runs itself there.

Output: `images` (1797, 64) float32 with the pixel intensities 0..16 as in the source, and
`labels` (1797,) int64, written with `np.savez` (uncompressed) in the data set's own order.
"""

import os
import subprocess
import sys
import venv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, "target", "venv-digits")
OUT = os.path.join(ROOT, "examples", "data", "digits.npz")


def venv_python():
    return os.path.join(VENV, "bin", "python")


def ensure_sklearn():
    """Returns normally if scikit-learn imports; otherwise re-executes in target/venv-digits."""
    try:
        import sklearn  # noqa: F401

        return
    except ImportError:
        pass
    if os.path.abspath(sys.prefix) == os.path.abspath(VENV):
        sys.exit("scikit-learn is still missing inside " + VENV)
    if not os.path.exists(venv_python()):
        print(f"creating {VENV} (numpy, scikit-learn from PyPI)", file=sys.stderr)
        venv.create(VENV, with_pip=True)
    subprocess.check_call(
        [venv_python(), "-m", "pip", "install", "--quiet", "numpy", "scikit-learn"]
    )
    os.execv(venv_python(), [venv_python(), os.path.abspath(__file__)] + sys.argv[1:])


def main():
    ensure_sklearn()
    import numpy as np
    from sklearn.datasets import load_digits

    d = load_digits()
    images = np.ascontiguousarray(d.data, dtype=np.float32)
    labels = np.ascontiguousarray(d.target, dtype=np.int64)
    assert images.shape == (1797, 64), images.shape
    assert labels.shape == (1797,), labels.shape
    assert images.min() == 0 and images.max() == 16
    assert sorted(set(labels.tolist())) == list(range(10))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    np.savez(OUT, images=images, labels=labels)
    print(f"wrote {OUT}: images {images.shape} {images.dtype}, labels {labels.shape} {labels.dtype}")


if __name__ == "__main__":
    main()
