#!/usr/bin/env python3
"""Generates tests/fixtures/display_cases.txt: NumPy's str() and repr() of many arrays.

Run with /work/venv/bin/python (NumPy 2.x, default print options):
    /work/venv/bin/python scripts/gen_display_fixtures.py > tests/fixtures/display_cases.txt

Each case is written as
    case <name>
    dtype <numpy dtype name>
    shape <dims separated by spaces; empty for 0-d>
    data <elements in C order: ints in decimal, bools as 0/1, floats as hex bit patterns>
    str <n>
    <n lines of str(x)>
    repr <n>
    <n lines of repr(x)>
so the Rust test rebuilds bit-identical arrays with Array::from_shape_vec.
"""

import os

import numpy as np

rng = np.random.default_rng(20240607)
cases = []


def add(name, a):
    cases.append((name, np.asarray(a)))


def encode(a):
    flat = a.reshape(-1)
    if a.dtype == np.bool_:
        return " ".join("1" if v else "0" for v in flat)
    if a.dtype == np.float64:
        return " ".join(f"{v:016x}" for v in flat.view(np.uint64))
    if a.dtype == np.float32:
        return " ".join(f"{v:08x}" for v in flat.view(np.uint32))
    return " ".join(str(int(v)) for v in flat)


INT_TYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
FLOAT_TYPES = [np.float32, np.float64]

# Integers: every dtype, extremes, shapes.
for t in INT_TYPES:
    info = np.iinfo(t)
    n = np.dtype(t).name
    add(f"{n}_small", np.array([1, 2, 3], dtype=t))
    add(f"{n}_extremes", np.array([info.min, 0, info.max], dtype=t))
    add(f"{n}_0d", np.array(info.max, dtype=t))
    add(f"{n}_empty", np.zeros((0,), dtype=t))
    add(f"{n}_2x3", rng.integers(0, 100, size=(2, 3)).astype(t))
    add(f"{n}_wrap", np.arange(40).astype(t))
    add(f"{n}_summary", np.arange(1001).astype(t))
add("int64_neg_2x2x3", rng.integers(-1000, 1000, size=(2, 2, 3)))
add("int64_40x40", rng.integers(-50, 50, size=(40, 40)))
add("int64_4d", np.arange(120).reshape(2, 3, 4, 5))
add("int64_4d_summary", np.arange(2000).reshape(10, 10, 10, 2))
add("int64_3x1001", np.arange(3003).reshape(3, 1001))
add("int64_1001x2", np.arange(2002).reshape(1001, 2))
add("int64_0x3", np.zeros((0, 3), dtype=np.int64))
add("int64_2x0", np.zeros((2, 0), dtype=np.int64))
add("int64_0d_neg", np.array(-7))
add("int32_wrap_long", np.arange(100000, 100030, dtype=np.int32))
add("int8_repr_suffix_wrap", np.arange(22, dtype=np.int8) * 5)
add("int64_2x30", rng.integers(-10**6, 10**6, size=(2, 30)))

# Booleans.
add("bool_1d", np.array([True, False, True]))
add("bool_0d_true", np.array(True))
add("bool_0d_false", np.array(False))
add("bool_2x3", rng.random((2, 3)) > 0.5)
add("bool_empty", np.zeros((0,), dtype=bool))
add("bool_wrap", rng.random(40) > 0.5)
add("bool_summary", rng.random(1500) > 0.5)
add("bool_2x2x3", rng.random((2, 2, 3)) > 0.5)

# Floats: hand-picked edge values for both widths.
edge_sets = {
    "integral": [1.0, 2.0, 3.0],
    "half": [1.0, 2.5, -3.0, 4.0],
    "thirds": [1 / 3, 2 / 3, 1.0],
    "pi_e": [np.pi, np.e, -np.sqrt(2)],
    "tenths": [0.1, 0.2, 0.3, 0.7],
    "tie_2pow": [2.0 ** -9, 1.0],
    "tie_2pow_b": [0.001953125, 0.005859375, 0.009765625],
    "neg_zero": [-0.0],
    "zeros_mixed": [0.0, -0.0, 1.0],
    "all_zero": [0.0, 0.0],
    "small_exp": [1e-5, 2e-5],
    "boundary_1e-4": [1e-4, 1.0],
    "below_1e-4": [9.99e-5, 1.0],
    "ratio_1000": [1.0, 1000.0],
    "ratio_1000_1": [1.0, 1000.5],
    "max_1e8": [99999999.0, 1.0],
    "max_1e8_b": [1e8, 1.0],
    "max_1e6": [999999.0, 1.0],
    "max_1e6_b": [1e6, 1.0],
    "big_1e16": [1e16, 2e16],
    "huge": [1e300, -1e-300, 1.0],
    "mixed_sci": [1e-5, 1.5e10, -3.25],
    "nan_inf": [np.nan, np.inf, -np.inf, 1.5],
    "nan_only": [np.nan, np.nan],
    "inf_only": [np.inf, np.inf],
    "neginf_only": [-np.inf, 1.0],
    "nan_with_sci": [np.nan, 1e-10, 1e10],
    "nan_integral": [np.nan, 1.0, 2.0],
    "round_up_9": [0.999999999, 9.9999999999],
    "round_cut": [0.123456785, 0.123456775, 1.000000005],
    "long_int_part": [12345678.9, 0.5],
    "sci_round": [1.23456789012e-7, 9.99999999999e-7],
    # float32 values exactly halfway between two shortest candidates (Dragon4 takes the even)
    "shortest_tie": [191997.625, 263557.125],
}
for t in FLOAT_TYPES:
    n = np.dtype(t).name
    with np.errstate(over="ignore"):
        for k, v in edge_sets.items():
            add(f"{n}_{k}", np.array(v, dtype=t))
    add(f"{n}_empty", np.zeros((0,), dtype=t))
    add(f"{n}_0x3", np.zeros((0, 3), dtype=t))
    add(f"{n}_0d", np.array(3.0, dtype=t))
    add(f"{n}_5", rng.standard_normal(5).astype(t))
    add(f"{n}_2x3", rng.standard_normal((2, 3)).astype(t))
    add(f"{n}_2x2x3", rng.standard_normal((2, 2, 3)).astype(t))
    add(f"{n}_1001", rng.standard_normal(1001).astype(t))
    add(f"{n}_40x40", rng.standard_normal((40, 40)).astype(t))
    add(f"{n}_wrap", rng.standard_normal(30).astype(t))
    add(f"{n}_wrap_sci", (rng.standard_normal(30) * 1e-6).astype(t))
    add(f"{n}_mixed_mag", (rng.standard_normal(12) * 10.0 ** rng.integers(-3, 4, 12)).astype(t))
    add(f"{n}_4x3x2", np.arange(24, dtype=t).reshape(4, 3, 2) / 4)
    add(f"{n}_summary_2d", rng.standard_normal((50, 50)).astype(t))
    add(f"{n}_onehot", np.eye(4, dtype=t)[[0, 2, 1, 3]])

# 0-d scalars: str is the scalar's str (its own positional/scientific rule).
scalar_vals = [0.0, -0.0, 1.0, 3.0, 0.1, 1e-4, 9.99e-5, 1e-5, 1.5e-5, 123456.7, 999999.0, 1e6,
               1234567.8, 1e15, 9.9e15, 1e16, 1.2345678901234567e17, 1e300, 5e-324,
               np.nan, np.inf, -np.inf, -2.5, 1 / 3, 191997.625, 263557.125]
for t in FLOAT_TYPES:
    with np.errstate(over="ignore"):
        for i, v in enumerate(scalar_vals):
            add(f"{np.dtype(t).name}_scalar_{i}", np.array(v, dtype=t))

# Random fuzz: short rows with random digit counts and magnitudes, both widths.
# DISPLAY_FUZZ=k multiplies the fuzz cases (for a one-off deeper check; commit the default).
FUZZ = int(os.environ.get("DISPLAY_FUZZ", "1"))
for i in range(150 * FUZZ):
    t = FLOAT_TYPES[i % 2]
    size = int(rng.integers(1, 7))
    mant = rng.standard_normal(size)
    digits = rng.integers(0, 12, size)
    if i % 3 == 0:
        mant = np.array([round(float(m), int(d)) for m, d in zip(mant, digits)])
    scale = 10.0 ** rng.integers(-9, 10, size) if i % 4 == 0 else 10.0 ** rng.integers(-2, 3)
    with np.errstate(over="ignore"):
        add(f"fuzz_{i}_{np.dtype(t).name}", (mant * scale).astype(t))
for i in range(100 * FUZZ):
    t = FLOAT_TYPES[i % 2]
    v = rng.standard_normal() * 10.0 ** rng.integers(-8, 20)
    with np.errstate(over="ignore"):
        add(f"fuzz_scalar_{i}_{np.dtype(t).name}", np.array(v, dtype=t))


def lines(s):
    parts = s.split("\n")
    return [f"{len(parts)}"] + parts


out = []
for name, a in cases:
    out.append(f"case {name}")
    out.append(f"dtype {a.dtype.name}")
    out.append("shape " + " ".join(str(d) for d in a.shape))
    out.append("data " + encode(a))
    s = lines(str(a))
    out.append("str " + s[0])
    out.extend(s[1:])
    r = lines(repr(a))
    out.append("repr " + r[0])
    out.extend(r[1:])
print("\n".join(out))
