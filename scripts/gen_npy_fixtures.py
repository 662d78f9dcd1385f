#!/usr/bin/env python3
"""Writes the NumPy-made .npy/.npz fixtures that tests/npy.rs reads.

Run with /work/venv/bin/python scripts/gen_npy_fixtures.py from the repository root.
Deterministic: the data depend only on the fixed formulas below, and the .npy bytes only on
NumPy's format writer (version 1.0 headers, padded to 64 bytes).

Every file's contents are described in tests/fixtures/npy/MANIFEST as
`file dtype shape values...` where values are the C-order elements (bools 0/1, ints in
decimal, floats as the hex of their IEEE bits), so the Rust test checks them without NumPy.
"""
import os
import numpy as np
from numpy.lib import format as npf

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "npy")
DTYPES = ["b1", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f4", "f8"]
manifest = []


def data(code, shape):
    n = int(np.prod(shape, dtype=np.int64))
    k = np.arange(n, dtype=np.int64)
    if code == "b1":
        a = (k * 7 % 3) == 1
    elif code[0] == "f":
        a = ((k * 37 % 23) - 11.25) * 0.5 ** (k % 5)
        a = a.astype("f" + code[1])
        if n >= 3:
            a[1] = -0.0
            a[2] = np.inf if n % 2 else np.nan
    else:
        info = np.iinfo(code)
        span = int(info.max) - int(info.min) + 1
        a = np.array([i * 2654435761 % span + int(info.min) for i in range(n)], dtype=code)
        if n >= 2:
            a[0], a[1] = info.min, info.max
    return a.reshape(shape)


def describe(name, a):
    a = np.asarray(a, dtype=a.dtype.newbyteorder("="), order="C")
    flat = a.reshape(-1)
    code = a.dtype.str[1:]
    if code == "b1":
        vals = [str(int(v)) for v in flat]
    elif code[0] == "f":
        bits = flat.view("u" + code[1])
        vals = ["%x" % int(v) for v in bits]
    else:
        vals = [str(int(v)) for v in flat]
    shape = ",".join(str(d) for d in a.shape)
    manifest.append(" ".join([name, code, "(" + shape + ")"] + vals))


def save(name, a, **kw):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        if kw:
            npf.write_array(f, a, **kw)
        else:
            np.save(f, a)
    describe(name, a)


def main():
    os.makedirs(OUT, exist_ok=True)
    for code in DTYPES:
        save(f"{code}_2x3.npy", data(code, (2, 3)))
        save(f"{code}_0d.npy", data(code, ()))
        save(f"{code}_empty.npy", data(code, (0, 4)))
        if code not in ("b1", "i1", "u1"):
            save(f"{code}_be.npy", data(code, (5,)).astype(">" + code))
        save(f"{code}_fortran.npy", np.asfortranarray(data(code, (3, 2, 4))))
    save("f8_1d.npy", data("f8", (7,)))
    save("i4_4d.npy", data("i4", (2, 1, 3, 2)))
    save("f4_v2.npy", data("f4", (3, 2)), version=(2, 0))
    save("i8_v3.npy", data("i8", (4,)), version=(3, 0))
    # A long shape whose header needs more than 65535 bytes is not practical; version 2 above
    # covers the 4-byte length field.
    a, b, c = data("f8", (2, 3)), data("i4", (4,)), data("b1", ())
    np.savez(os.path.join(OUT, "three.npz"), alpha=a, beta=b, gamma=c)
    np.savez_compressed(os.path.join(OUT, "three_compressed.npz"), alpha=a, beta=b, gamma=c)
    for n, arr in (("alpha", a), ("beta", b), ("gamma", c)):
        describe("npz:" + n, arr)
    with open(os.path.join(OUT, "MANIFEST"), "w") as f:
        f.write("\n".join(manifest) + "\n")


if __name__ == "__main__":
    main()
