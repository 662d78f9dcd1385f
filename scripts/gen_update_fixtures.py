#!/usr/bin/env python3
"""NumPy oracle for lazynp's updates (tests/update_fixtures.rs).

Run from the repository root: python3 scripts/gen_update_fixtures.py (NumPy 2.x).
Deterministic (seeded). Writes tests/fixtures/update/arrays.npz (every array, by name) and
tests/fixtures/update/MANIFEST,
one case per line, tab-separated:

    name  form  params  inputs  expected

- form: what the test builds: `assign` (x[sel] = v), `assign_index` (x[idx] = v along axis),
  `assign_mask` (x[mask] = v), `add_at` / `subtract_at` / `multiply_at` / `maximum_at` /
  `minimum_at` (np.<ufunc>.at), `at_<mode>` (x.at(sel).<mode>(v): for an index array NumPy's
  unbuffered np.<ufunc>.at, for a slice x[sel] = ufunc(x[sel], v)), `iadd` / `isub` / `imul` /
  `idiv` / `imod` (x op= v), `put_along_axis`, `take_along_axis`, `nonzero`, `argwhere`;
- params: `key=value` separated by spaces: `sel=` a NumPy basic index (`:,0` `1,1::2` `None,1`),
  `axis=`, `scalar=` the kind of a Python scalar value (`int`, `float`, `bool`) stored as a 0-d
  array;
- inputs: the arrays x, then the index or mask file (if any), then the values (if any);
- expected: NumPy's result array, or `err:` and NumPy's error message.

Deliberate divergence built into the cases: values are cast to x's dtype before they are
combined (NumPy combines in the promoted dtype, then casts), so mixed-dtype cases use values
whose cast is exact.
"""
import os
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "update")
rng = np.random.default_rng(20261208)
lines = []
counter = [0]

DT = {"bool": np.bool_, "i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64,
      "u8": np.uint8, "u16": np.uint16, "u32": np.uint32, "u64": np.uint64,
      "f32": np.float32, "f64": np.float64}
ALL = list(DT)


def rand(dt, shape):
    t = DT[dt]
    if t is np.bool_:
        return rng.random(shape) < 0.5
    if np.issubdtype(t, np.floating):
        return (rng.standard_normal(shape) * 3).astype(t)
    if np.issubdtype(t, np.unsignedinteger):
        return rng.integers(0, 40, shape, endpoint=True).astype(t)
    return rng.integers(-20, 20, shape, endpoint=True).astype(t)


ARRAYS = {}


def save(a):
    counter[0] += 1
    name = f"a{counter[0]:04d}"
    ARRAYS[name] = np.asarray(a)
    return name


def case(name, form, params, inputs, fn):
    files = [save(a) for a in inputs]
    try:
        out = fn()
        expected = save(out)
    except Exception as e:  # NumPy's error is the expectation
        expected = "err:" + str(e)
    lines.append("\t".join([name, form, params or "-", " ".join(files), expected]))


def sel_of(text):
    parts = []
    for p in text.split(","):
        if p == "None":
            parts.append(None)
        elif ":" in p:
            bits = [int(b) if b else None for b in p.split(":")]
            parts.append(slice(*bits))
        else:
            parts.append(int(p))
    return tuple(parts)


UFUNC = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "min": np.minimum,
         "max": np.maximum}
AT_FORM = {"add": "add_at", "sub": "subtract_at", "mul": "multiply_at", "max": "maximum_at",
           "min": "minimum_at"}


def gen_assign():
    sels = [(":,0", (3, 4)), ("1,1::2", (3, 4)), ("::-1", (5,)), ("None,1", (3, 4)),
            ("-1", (3, 4)), ("2:1", (4,)), (":", (0, 3)), ("1:,::-2", (4, 5)), ("0,0", (2, 2))]
    for dt in ALL:
        for k, (sel, shape) in enumerate(sels):
            x = rand(dt, shape)
            target = x[sel_of(sel)]
            # full values, broadcast row, and a 0-d value
            for vk, vshape in enumerate([np.shape(target), np.shape(target)[-1:], ()]):
                v = rand(dt, vshape)
                def f(x=x, v=v, sel=sel):
                    y = x.copy()
                    y[sel_of(sel)] = v
                    return y
                case(f"assign_{dt}_{k}_{vk}", "assign", f"sel={sel}", [x, v], f)
        # a float value into an int array (cast as setitem casts)
        if dt.startswith("i"):
            x = rand(dt, (4,))
            v = np.array([1.75, -2.5], np.float64)
            case(f"assign_{dt}_cast", "assign", "sel=1:3", [x, v],
                 lambda x=x, v=v: _set(x, sel_of("1:3"), v))
    # Python scalars (weak)
    x = rand("f32", (3, 3))
    case("assign_scalar_f", "assign", "sel=:,1 scalar=float", [x, np.array(2.5)],
         lambda: _set(x, sel_of(":,1"), 2.5))
    x = rand("u8", (3,))
    case("assign_scalar_overflow", "assign", "sel=0 scalar=int", [x, np.array(300)],
         lambda: _set(x, sel_of("0"), 300))
    x = rand("f64", (3,))
    case("assign_bad_shape", "assign", "sel=0:2", [x, rand("f64", (3,))],
         lambda: _set(x, sel_of("0:2"), np.zeros(3)))


def _set(x, sel, v):
    y = x.copy()
    y[sel] = v
    return y


def gen_index():
    for dt in ALL:
        for axis, shape, ishape in [(0, (5,), (4,)), (0, (4, 3), (2, 2)), (1, (3, 4), (5,)),
                                    (0, (0, 2), (0,)), (1, (2, 3), (0,))]:
            x = rand(dt, shape)
            n = shape[axis]
            idx = rng.integers(-n, n, ishape) if n else np.zeros(ishape, np.int64)
            vshape = shape[:axis] + ishape + shape[axis + 1:]
            for vk, vs in enumerate([vshape, vshape[-1:], ()]):
                v = rand(dt, vs)
                def f(x=x, idx=idx, v=v, axis=axis):
                    y = x.copy()
                    key = (slice(None),) * axis + (idx,)
                    y[key] = v
                    return y
                case(f"index_{dt}_{axis}_{len(shape)}_{ishape}_{vk}", "assign_index",
                     f"axis={axis}", [x, idx, v], f)
    x = rand("f64", (3,))
    case("index_oob", "assign_index", "axis=0", [x, np.array([0, 3]), np.array(1.0)],
         lambda: _set(x, np.array([0, 3]), 1.0))
    case("index_oob_neg", "assign_index", "axis=0", [x, np.array([-4]), np.array(1.0)],
         lambda: _set(x, np.array([-4]), 1.0))


def gen_mask():
    for dt in ALL:
        for shape, k in [((6,), 1), ((3, 4), 2), ((3, 4), 1), ((0, 2), 1)]:
            x = rand(dt, shape)
            m = rng.random(shape[:k]) < 0.5
            c = int(m.sum())
            for vk, vs in enumerate([(), shape[k:], (c,) + shape[k:], (1,) + shape[k:]]):
                v = rand(dt, vs)
                case(f"mask_{dt}_{'x'.join(map(str, shape))}_{k}_{vk}", "assign_mask", None, [x, m, v],
                     lambda x=x, m=m, v=v: _set(x, m, v))
    x = rand("f64", (4,))
    m = np.array([True, False, True, False])
    case("mask_count", "assign_mask", None, [x, m, rand("f64", (3,))],
         lambda: _set(x, m, np.zeros(3)))
    x = rand("f64", (3, 2))
    m = np.array([True, False, True])
    case("mask_count_rows", "assign_mask", None, [x, m, rand("f64", (3, 2))],
         lambda: _set(x, m, np.zeros((3, 2))))


def gen_at():
    for dt in ALL:
        for mode, uf in UFUNC.items():
            if dt == "bool" and mode == "sub":
                x = rand(dt, (4,))
                case("at_bool_sub", AT_FORM[mode], "axis=0", [x, np.array([0]), rand(dt, ())],
                     lambda x=x: np.subtract.at(x.copy(), [0], True))
                continue
            for axis, shape, ishape in [(0, (4,), (7,)), (1, (2, 3), (2, 2)), (0, (0,), (0,))]:
                x = rand(dt, shape)
                n = shape[axis]
                idx = rng.integers(-n, n, ishape) if n else np.zeros(ishape, np.int64)
                vshape = shape[:axis] + ishape + shape[axis + 1:]
                v = rand(dt, vshape)
                def f(x=x, idx=idx, v=v, axis=axis, uf=uf):
                    y = x.copy()
                    key = (slice(None),) * axis + (idx,)
                    uf.at(y, key, v)
                    return y
                tag = f"{dt}_{mode}_{axis}_{'x'.join(map(str, shape))}"
                case(f"ufat_{tag}", AT_FORM[mode], f"axis={axis}", [x, idx, v], f)
                if axis == 0:
                    case(f"atidx_{tag}", f"at_{mode}", "", [x, idx, v], f)
            # x.at[slice].mode(v): x[sel] = ufunc(x[sel], v)
            x = rand(dt, (3, 4))
            v = rand(dt, (4,))
            def g(x=x, v=v, uf=uf):
                y = x.copy()
                y[1:, ::2] = uf(y[1:, ::2], v[::2]).astype(y.dtype)
                return y
            case(f"atsl_{dt}_{mode}", f"at_{mode}", "sel=1:,::2", [x, v[::2]], g)
    x = rand("i64", (3,))
    case("at_oob", "add_at", "axis=0", [x, np.array([3]), np.array(1)],
         lambda: np.add.at(x.copy(), [3], 1))


def gen_compound():
    ops = {"iadd": "__iadd__", "isub": "__isub__", "imul": "__imul__", "idiv": "__itruediv__",
           "imod": "__imod__"}
    for dt in ALL:
        for form, meth in ops.items():
            if dt == "bool" and form in ("isub", "idiv", "imod"):
                continue
            for vdt in sorted({dt, "f64", "i64"}):
                x = rand(dt, (2, 3))
                v = rand(vdt, (3,))
                if form in ("idiv", "imod") and vdt != "f64":
                    v = np.where(v == 0, 1, v).astype(v.dtype)
                def f(x=x, v=v, meth=meth):
                    y = x.copy()
                    r = getattr(y, meth)(v)
                    if r is NotImplemented:
                        raise TypeError("not implemented")
                    return r
                case(f"{form}_{dt}_{vdt}", form, None, [x, v], f)
    x = rand("f64", (3,))
    case("iadd_shape", "iadd", None, [x, rand("f64", (2, 3))],
         lambda: x.copy().__iadd__(np.zeros((2, 3))))
    x = rand("i32", (3,))
    case("iadd_scalar", "iadd", "scalar=float", [x, np.array(1.5)],
         lambda: x.copy().__iadd__(1.5))
    x = rand("f32", (3,))
    case("imul_scalar", "imul", "scalar=float", [x, np.array(0.9)],
         lambda: x.copy().__imul__(0.9))


def gen_along():
    for dt in ("f64", "i32", "u8", "bool", "f32"):
        for axis, shape, ishape in [(1, (3, 4), (3, 2)), (0, (3, 4), (2, 4)), (1, (3, 4), (1, 3)),
                                    (0, (2, 0), (1, 0))]:
            x = rand(dt, shape)
            n = shape[axis]
            idx = rng.integers(-n, n, ishape) if n else np.zeros(ishape, np.int64)
            case(f"take_along_{dt}_{axis}_{ishape}", "take_along_axis", f"axis={axis}", [x, idx],
                 lambda x=x, idx=idx, axis=axis: np.take_along_axis(x, idx, axis))
            v = rand(dt, ishape)
            def f(x=x, idx=idx, v=v, axis=axis):
                y = x.copy()
                np.put_along_axis(y, idx, v, axis)
                return y
            case(f"put_along_{dt}_{axis}_{ishape}", "put_along_axis", f"axis={axis}",
                 [x, idx, v], f)
    x = rand("f64", (3, 2))
    case("take_along_oob", "take_along_axis", "axis=0", [x, np.array([[5, 0]])],
         lambda: np.take_along_axis(x, np.array([[5, 0]]), 0))
    case("put_along_oob", "put_along_axis", "axis=0", [x, np.array([[5, 0]]), np.array(1.0)],
         lambda: np.put_along_axis(x.copy(), np.array([[5, 0]]), 1.0, 0))


def gen_nonzero():
    for dt in ("f64", "i16", "bool", "u32"):
        for shape in [(7,), (3, 4), (0, 3), (2, 2, 2)]:
            x = rand(dt, shape)
            if dt != "bool":
                x = np.where(rng.random(shape) < 0.5, 0, x).astype(x.dtype)
            case(f"argwhere_{dt}_{len(shape)}_{x.size}", "argwhere", None, [x],
                 lambda x=x: np.argwhere(x))
            case(f"nonzero_{dt}_{len(shape)}_{x.size}", "nonzero", None, [x],
                 lambda x=x: np.stack(np.nonzero(x)) if x.ndim else None)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    gen_assign()
    gen_index()
    gen_mask()
    gen_at()
    gen_compound()
    gen_along()
    gen_nonzero()
    np.savez_compressed(os.path.join(OUT, "arrays.npz"), **ARRAYS)
    with open(os.path.join(OUT, "MANIFEST"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"{len(lines)} cases")


if __name__ == "__main__":
    main()
