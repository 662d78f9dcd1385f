#!/usr/bin/env python3
"""NumPy oracle for the lazynp golden tests (tests/golden.rs).

Run from the repository root with /work/venv/bin/python scripts/gen_golden.py.
Deterministic (seeded). Writes tests/fixtures/golden/*.npy and tests/fixtures/golden/MANIFEST,
one case per line, tab-separated:

    name  op  params  inputs  expected  scale

- op / params: what tests/golden.rs builds with the lazynp API (params are `key=value`
  separated by spaces; lists use commas, `none` is Python's None);
- inputs: space-separated input files, each optionally followed by `@view`, where view is
  `T` (transpose) or a NumPy slice like `::-1,1::2` applied before the op;
- expected: NumPy's result;
- scale: for accumulating float ops, the same op applied to |inputs| (the bound
  n*eps*scale of the rounding error), else `-`.

Deliberate divergences built into the expectations (documented, not bugs):
- math functions of bool and 8/16-bit ints compute in float32 in lazynp (NumPy: float16),
  so the oracle casts such inputs to float32 first.
- integer ** negative integer raises in NumPy; it is never generated.
"""
import os
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "golden")
rng = np.random.default_rng(20240611)
lines = []
counter = [0]

DT = {"bool": np.bool_, "i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64,
      "u8": np.uint8, "u16": np.uint16, "u32": np.uint32, "u64": np.uint64,
      "f32": np.float32, "f64": np.float64}
MAIN = ["bool", "i8", "i32", "i64", "u8", "f32", "f64"]


def rand(dt, shape, lo=-20, hi=20):
    t = DT[dt]
    if t is np.bool_:
        return rng.random(shape) < 0.5
    if np.issubdtype(t, np.floating):
        return (rng.standard_normal(shape) * 3).astype(t)
    if np.issubdtype(t, np.unsignedinteger):
        lo = max(lo, 0) if lo >= 0 else 0
        hi = hi if hi > lo else lo + 40
    return rng.integers(lo, hi, shape, endpoint=True).astype(t)


def fname():
    counter[0] += 1
    return "g%04d" % counter[0]


def save(a):
    name = fname() + ".npy"
    np.save(os.path.join(OUT, name), np.asarray(a))
    return name


def view(a, spec):
    if spec is None:
        return a
    if spec == "T":
        return a.T
    idx = []
    for part in spec.split(","):
        if ":" in part:
            bits = [int(b) if b else None for b in part.split(":")]
            idx.append(slice(*bits))
        else:
            idx.append(int(part))
    return a[tuple(idx)]


def float_for(dt):
    if dt in (np.float32, np.float64):
        return dt
    if dt in (np.bool_, np.int8, np.uint8, np.int16, np.uint16):
        return np.float32
    return np.float64


def num(s):
    if s in ("nan", "inf", "-inf") or "." in s or "e" in s:
        return float(s)
    if s in ("true", "false"):
        return s == "true"
    return int(s)


def axes(p):
    a = p.get("axis", "none")
    if a == "none":
        return None
    v = [int(x) for x in a.split(",")]
    return v[0] if len(v) == 1 and "," not in a else tuple(v)


UNARY = {"exp": np.exp, "log": np.log, "log1p": np.log1p, "expm1": np.expm1, "sqrt": np.sqrt,
         "tanh": np.tanh, "sin": np.sin, "cos": np.cos, "round": np.rint}
PLAIN_UNARY = {"abs": np.abs, "floor": np.floor, "ceil": np.ceil, "sign": np.sign,
               "isnan": np.isnan, "isfinite": np.isfinite, "neg": np.negative,
               "square": lambda x: x * x, "relu": lambda x: np.maximum(x, 0)}
BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
          "floor_div": np.floor_divide, "mod": np.remainder, "pow": np.power,
          "maximum": np.maximum, "minimum": np.minimum, "gt": np.greater,
          "ge": np.greater_equal, "lt": np.less, "le": np.less_equal, "eq": np.equal,
          "ne": np.not_equal, "and": np.bitwise_and, "or": np.bitwise_or,
          "xor": np.bitwise_xor, "logical_and": np.logical_and, "logical_or": np.logical_or}
REDUCE = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "max": np.max, "min": np.min,
          "all": np.all, "any": np.any, "argmax": np.argmax, "argmin": np.argmin}


def apply(op, p, xs):
    x = xs[0] if xs else None
    if op in UNARY:
        return UNARY[op](x.astype(float_for(x.dtype.type)))
    if op in PLAIN_UNARY:
        return PLAIN_UNARY[op](x)
    if op == "logical_not":
        return np.logical_not(x) if x.dtype == np.bool_ else np.invert(x)
    if op == "sigmoid":
        y = x.astype(float_for(x.dtype.type))
        return 1.0 / (1.0 + np.exp(-y))
    if op in BINARY:
        other = xs[1] if len(xs) > 1 else num(p["s"])
        return BINARY[op](x, other)
    if op in REDUCE:
        kw = {"keepdims": p.get("keepdims") == "1"}
        return REDUCE[op](x, axis=axes(p), **kw)
    if op in ("var", "std"):
        f = np.var if op == "var" else np.std
        return f(x, axis=axes(p), ddof=int(p.get("ddof", "0")), keepdims=p.get("keepdims") == "1")
    if op == "astype":
        return x.astype(DT[p["dtype"]])
    if op == "clip":
        lo = xs[1] if len(xs) > 1 else num(p["lo"])
        hi = xs[2] if len(xs) > 2 else num(p["hi"])
        return np.minimum(np.maximum(x, lo), hi)
    if op == "where":
        return np.where(x, xs[1], xs[2])
    if op == "matmul":
        return np.matmul(x, xs[1])
    if op == "dot":
        return np.dot(x, xs[1])
    if op == "take":
        return np.take(x, xs[1], axis=int(p["axis"]))
    if op == "concatenate":
        return np.concatenate(xs, axis=int(p["axis"]))
    if op == "stack":
        return np.stack(xs, axis=int(p["axis"]))
    if op == "split":
        return np.split(x, int(p["sections"]), axis=int(p["axis"]))[int(p["part"])]
    if op == "reshape":
        return x.reshape([int(d) for d in p["shape"].split(",") if d])
    if op == "transpose":
        return np.transpose(x, [int(d) for d in p["axes"].split(",")])
    if op == "expand_dims":
        return np.expand_dims(x, int(p["axis"]))
    if op == "squeeze":
        return np.squeeze(x, axes(p))
    if op == "flatten":
        return x.flatten()
    if op == "broadcast_to":
        return np.broadcast_to(x, [int(d) for d in p["shape"].split(",") if d])
    if op == "index":
        return x[int(p["i"])]
    if op == "copy":  # the (view) input itself
        return x
    if op == "masked":
        return x[xs[1]]
    if op == "inv":
        return np.linalg.inv(x)
    if op == "arange":
        return np.arange(num(p["start"]), num(p["stop"]), num(p["step"]))
    if op == "linspace":
        return np.linspace(num(p["start"]), num(p["stop"]), int(p["num"]))
    if op == "eye":
        return np.eye(int(p["n"]), dtype=DT[p["dtype"]])
    raise ValueError(op)


SCALED = {"sum", "mean", "prod", "var", "std", "matmul", "dot"}


def case(op, inputs=(), **p):
    """inputs: arrays or (array, view) pairs."""
    files, vals = [], []
    for item in inputs:
        a, spec = item if isinstance(item, tuple) else (item, None)
        f = save(a)
        files.append(f + ("@" + spec if spec else ""))
        vals.append(view(np.asarray(a), spec))
    params = {k: str(v) for k, v in p.items()}
    with np.errstate(all="ignore"):
        want = np.asarray(apply(op, params, vals))
        scale = "-"
        if op in SCALED and want.dtype.kind == "f":
            absx = [np.abs(v.astype(np.float64) if v.dtype.kind in "iu" else v) for v in vals]
            if op in ("var", "std"):
                m = np.mean(vals[0], axis=axes(params), keepdims=True)
                s = apply("mean", params, [np.abs(vals[0] - m) ** 2 + m * m])
                scale = save(np.sqrt(s) if op == "std" else s)
            else:
                scale = save(np.asarray(apply(op, params, absx)))
    name = "%s_%d" % (op, len(lines))
    ps = " ".join("%s=%s" % kv for kv in params.items()) or "-"
    lines.append("\t".join([name, op, ps, " ".join(files) or "-", save(want), scale]))


EDGE_F = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-310, 1e300, -1.5, 0.5, 2.5, -2.5, 3.5,
          1e10, -3e9, 300.7, 255.9, 2.0 ** 63, 2.0 ** 64, -1.0, 7.0]


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    # Unary ops over every main dtype, plain and through views.
    for op in list(UNARY) + list(PLAIN_UNARY) + ["logical_not", "sigmoid"]:
        for dt in MAIN:
            if (op == "neg" and dt == "bool") or (op == "sign" and dt == "bool"):
                continue
            if op == "logical_not" and dt.startswith("f"):
                continue
            case(op, [rand(dt, (3, 4))])
        vdt = ("i64", "i32") if op == "logical_not" else ("f64", "f32")
        case(op, [(rand(vdt[0], (4, 3)), "T")])
        case(op, [(rand(vdt[1], (5, 6)), "::-1,1::2")])
        if op not in ("logical_not",):
            for dt in ("f32", "f64"):
                case(op, [np.array(EDGE_F, dtype=DT[dt])])
    # Round half to even.
    case("round", [np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999999999999994, 4.5, -0.0])])
    # Binary ops: same dtype, mixed dtypes, broadcasting patterns, views, scalars.
    pairs = [(d, d) for d in MAIN] + [("i8", "u8"), ("i32", "f32"), ("u8", "i64"),
                                      ("bool", "i32"), ("f32", "f64"), ("u8", "f32"),
                                      ("i8", "i64"), ("u16", "i16"), ("u32", "i32"),
                                      ("u64", "i64"), ("i16", "f32")]
    shapes = [((2, 3), (3,)), ((4, 1), (1, 5)), ((0, 3), (3,)), ((), (2, 2)), ((2, 3), (2, 3))]
    for op in BINARY:
        for da, db in pairs:
            isf = np.result_type(DT[da], DT[db]).kind == "f"
            if op in ("and", "or", "xor") and isf:
                continue
            if op == "sub" and da == db == "bool":
                continue
            for sa, sb in shapes[:2] if (da, db) != ("f64", "f64") else shapes:
                lo, hi = (0, 4) if op == "pow" else (-20, 20)
                a, b = rand(da, sa), rand(db, sb, lo, hi)
                case(op, [a, b])
        case(op, [(rand("i32", (4, 3)), "T"), (rand("i32", (4,), 0 if op == "pow" else -20, 4), "::-1")])
        vdt = "i64" if op in ("and", "or", "xor") else "f64"
        case(op, [(rand(vdt, (6, 5)), "::2,::-2"), rand(vdt, (3, 1))])
    for op in ["add", "sub", "mul", "div", "floor_div", "mod", "pow", "maximum", "minimum",
               "gt", "eq", "ne", "le"]:
        for dt, s in [("i8", "3"), ("u8", "2"), ("i32", "2.5"), ("f32", "2.5"), ("f64", "-3"),
                      ("bool", "2"), ("bool", "1.5"), ("i64", "-7")]:
            if op == "pow" and s.startswith("-") and not dt.startswith("f"):
                continue
            case(op, [rand(dt, (2, 3), 1, 6) if op == "pow" else rand(dt, (2, 3))], s=s)
    # Integer edge cases: INT_MIN // -1, x // 0, x % 0, negative operands.
    for dt in ("i8", "i16", "i32", "i64"):
        info = np.iinfo(DT[dt])
        a = np.array([info.min, info.min, 7, -7, 7, -7, 0, info.max, -1, 5], dtype=DT[dt])
        b = np.array([-1, 1, 2, 2, -2, -2, 0, 0, 0, -3], dtype=DT[dt])
        for op in ("floor_div", "mod", "mul", "add", "sub", "div"):
            case(op, [a, b])
        case("abs", [a])
        case("neg", [a])
    for dt in ("u8", "u32", "u64"):
        info = np.iinfo(DT[dt])
        a = np.array([info.max, 7, 0, 5, 3], dtype=DT[dt])
        b = np.array([0, 2, 0, 3, 5], dtype=DT[dt])
        for op in ("floor_div", "mod", "sub", "add"):
            case(op, [a, b])
    for dt in ("f32", "f64"):
        e = np.array(EDGE_F, dtype=DT[dt])
        z = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 3.0, -2.0, 0.5] * 2,
                     dtype=DT[dt])
        for op in ("floor_div", "mod", "div", "pow", "maximum", "minimum", "lt", "eq", "ne"):
            case(op, [e, z])
    # Casts: every main dtype to every dtype, and float edge values to every int type.
    for src in MAIN:
        for dst in DT:
            case("astype", [rand(src, (2, 5), -300, 300)], dtype=dst)
    for src in ("f32", "f64"):
        for dst in DT:
            case("astype", [np.array(EDGE_F, dtype=DT[src])], dtype=dst)
    # Reductions.
    red = list(REDUCE) + ["var", "std"]
    for op in red:
        for dt in MAIN:
            for ax in ["none", "0", "-1", "0,2", "-2"]:
                if op.startswith("arg") and "," in ax:
                    continue
                for kd in ("0", "1"):
                    x = rand(dt, (2, 3, 4), -4, 4) if op == "prod" else rand(dt, (2, 3, 4))
                    case(op, [x], axis=ax, keepdims=kd)
        case(op, [(rand("f64", (4, 5)), "T")], axis="0")
        case(op, [(rand("i32", (5, 6)), "::-2,1::2")], axis="-1")
        xn = rand("f64", (3, 4))
        xn[1, 2] = np.nan
        xn[2, 0] = np.inf
        case(op, [xn], axis="1")
        case(op, [xn], axis="none")
        case(op, [np.float32(1.5)], axis="none")
        if op in ("sum", "prod", "mean", "all", "any"):
            case(op, [rand("f64", (0, 3))], axis="0")
            case(op, [rand("i32", (0, 3))], axis="none")
        if op in ("var", "std"):
            case(op, [rand("f64", (3, 5))], axis="1", ddof="1")
            case(op, [rand("i8", (3, 5))], axis="none", ddof="2")
    # Matmul / dot.
    mm = [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)),
          ((2, 1, 3, 4), (5, 4, 2)), ((0, 3), (3, 2)), ((3, 0), (0, 2))]
    for sa, sb in mm:
        for da, db in [("f64", "f64"), ("f32", "f32"), ("i32", "i32"), ("i64", "f32"),
                       ("bool", "bool"), ("u8", "i8")]:
            case("matmul", [rand(da, sa), rand(db, sb)])
            if len(sb) <= 2:
                case("dot", [rand(da, sa), rand(db, sb)])
    case("dot", [rand("f64", (2, 3, 4)), rand("f64", (4,))])
    case("dot", [rand("f64", (2, 3)), rand("f64", (4, 3, 5))])
    case("dot", [rand("i64", (2, 3)), rand("i64", ())])
    case("matmul", [(rand("f64", (4, 3)), "T"), (rand("f64", (8, 2)), "::2")])
    # Take (negative indices), masks, concatenate/stack/split.
    for dt in ("f32", "i64", "bool", "u8"):
        x = rand(dt, (4, 5))
        case("take", [x, np.array([0, -1, 2, -4])], axis="0")
        case("take", [x, np.array([[1, -2], [4, 0]], dtype=np.int32)], axis="-1")
        case("masked", [x, rand("bool", (4,))])
        case("masked", [x, rand("bool", (4, 5))])
    case("take", [(rand("i32", (6, 3)), "::-1"), np.array([5, 0, 2], dtype=np.uint8)], axis="0")
    for axis in ("0", "1", "-1"):
        case("concatenate", [rand("f32", (2, 3)), rand("f32", (2, 3)), rand("f32", (2, 3))],
             axis=axis)
        case("concatenate", [rand("i8", (2, 3)), rand("u8", (2, 3))], axis=axis)
        case("concatenate", [rand("i32", (2, 3)), rand("f32", (2, 3))], axis=axis)
        case("stack", [rand("bool", (2, 3)), rand("i64", (2, 3))], axis=axis)
        for part in range(2):
            case("split", [rand("f64", (4, 6))], sections="2", axis=axis, part=str(part))
    case("concatenate", [rand("f64", (0, 3)), rand("f64", (2, 3))], axis="0")
    case("concatenate", [(rand("i64", (3, 2)), "T"), rand("i64", (2, 1))], axis="-1")
    # where, clip.
    for da, db in [("f64", "f64"), ("i32", "f32"), ("u8", "i8"), ("bool", "i64")]:
        case("where", [rand("bool", (2, 3)), rand(da, (3,)), rand(db, (2, 1))])
    case("where", [rand("bool", ()), rand("f32", (2, 2)), rand("f32", (2, 2))])
    for dt in ("i32", "u8", "f32", "f64", "i8"):
        case("clip", [rand(dt, (3, 4))], lo="1" if dt == "u8" else "-3", hi="5")
        case("clip", [rand(dt, (3, 4))], lo="0.5", hi="2.5")
    xc = np.array([np.nan, -np.inf, 1.0, 10.0, -0.0])
    case("clip", [xc], lo="0.0", hi="5.0")
    case("clip", [rand("f64", (3, 4)), rand("f64", (4,)), rand("f64", (3, 1)) + 5])
    # Movement ops (values of views), creation.
    x = rand("i32", (2, 3, 4))
    case("reshape", [x], shape="4,6")
    case("reshape", [(x, "T")], shape="24")
    case("reshape", [(x, "::-1,1:,::2")], shape="-1,2")
    case("transpose", [x], axes="2,0,1")
    case("transpose", [x], axes="-1,-3,-2")
    case("expand_dims", [x], axis="-1")
    case("squeeze", [rand("f32", (1, 3, 1))], axis="0")
    case("squeeze", [rand("f32", (1, 3, 1))], axis="none")
    case("flatten", [(x, "T")])
    case("broadcast_to", [rand("u8", (3, 1))], shape="2,3,4")
    case("index", [x], i="-1")
    for spec in ["::-1", "1:,::-2", "-2:,:,1:3", "::2,1,::-3", "5:,:", "0"]:
        case("copy", [(x, spec)])
    case("arange", start="0", stop="10", step="3")
    case("arange", start="0.0", stop="1.0", step="0.1")
    case("arange", start="5", stop="-5", step="-2")
    case("linspace", start="0.0", stop="1.0", num="7")
    case("linspace", start="-3.0", stop="2.0", num="1")
    case("eye", n="3", dtype="f32")
    # Inverse.
    m = rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    case("inv", [m])
    case("inv", [m[0].astype(np.float32)])
    case("inv", [np.array([[2, 1], [1, 3]], dtype=np.int32)])
    with open(os.path.join(OUT, "MANIFEST"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
