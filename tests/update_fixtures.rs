//! Every update form against NumPy (fixtures from scripts/gen_update_fixtures.py): results and
//! error messages, through the reference interpreter and through the compiled path.

use lazynp::{self as np, Array, BinaryOp, DType, EvalOptions, Result, SliceArg, SliceInfo};
use std::collections::HashMap;
use std::path::Path;

fn dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/update")
}

/// A NumPy basic index such as `:,0`, `1,1::2`, `None,1`, `::-1`.
fn parse_sel(text: &str) -> SliceInfo {
    let int = |s: &str| -> Option<isize> { (!s.is_empty()).then(|| s.parse().unwrap()) };
    SliceInfo(
        text.split(',')
            .map(|p| {
                if p == "None" {
                    SliceArg::NewAxis
                } else if p.contains(':') {
                    let b: Vec<&str> = p.split(':').collect();
                    SliceArg::Range {
                        start: int(b[0]),
                        stop: int(b[1]),
                        step: b.get(2).and_then(|s| int(s)).unwrap_or(1),
                    }
                } else {
                    SliceArg::Index(p.parse().unwrap())
                }
            })
            .collect(),
    )
}

/// A value operand: the array, or (with `scalar=`) a Rust scalar (weak, as a Python scalar).
enum Value {
    Array(Array),
    Float(f64),
    Int(i64),
}

macro_rules! with_value {
    ($v:expr, $x:ident => $body:expr) => {
        match $v {
            Value::Array(a) => {
                let $x = a;
                $body
            }
            Value::Float(f) => {
                let $x = *f;
                $body
            }
            Value::Int(i) => {
                let $x = *i;
                $body
            }
        }
    };
}

struct Case<'a> {
    form: &'a str,
    params: HashMap<&'a str, &'a str>,
    inputs: Vec<Array>,
}

impl Case<'_> {
    fn axis(&self) -> isize {
        self.params["axis"].parse().unwrap()
    }

    fn value(&self) -> Value {
        let v = self.inputs.last().unwrap();
        match self.params.get("scalar") {
            Some(&"float") => Value::Float(v.item::<f64>().unwrap()),
            Some(&"int") => Value::Int(v.item::<i64>().unwrap()),
            _ => Value::Array(v.clone()),
        }
    }

    /// Builds the case's result (nothing evaluated except data-dependent forms).
    fn build(&self) -> Result<Array> {
        let mut x = self.inputs[0].clone();
        let v = self.value();
        let mode = self.form.strip_prefix("at_");
        match self.form {
            "assign" => with_value!(&v, v => x.try_assign(parse_sel(self.params["sel"]), v))?,
            "assign_index" => {
                with_value!(&v, v => x.try_assign_index(&self.inputs[1], self.axis(), v))?
            }
            "assign_mask" => with_value!(&v, v => x.try_assign_mask(&self.inputs[1], v))?,
            "add_at" => {
                with_value!(&v, v => np::try_add_at(&mut x, &self.inputs[1], self.axis(), v))?
            }
            "subtract_at" => {
                with_value!(&v, v => np::try_subtract_at(&mut x, &self.inputs[1], self.axis(), v))?
            }
            "multiply_at" => {
                with_value!(&v, v => np::try_multiply_at(&mut x, &self.inputs[1], self.axis(), v))?
            }
            "maximum_at" => {
                with_value!(&v, v => np::try_maximum_at(&mut x, &self.inputs[1], self.axis(), v))?
            }
            "minimum_at" => {
                with_value!(&v, v => np::try_minimum_at(&mut x, &self.inputs[1], self.axis(), v))?
            }
            "iadd" | "isub" | "imul" | "idiv" | "imod" => {
                let op = match self.form {
                    "iadd" => BinaryOp::Add,
                    "isub" => BinaryOp::Sub,
                    "imul" => BinaryOp::Mul,
                    "idiv" => BinaryOp::Div,
                    _ => BinaryOp::Mod,
                };
                with_value!(&v, v => x.try_op_assign(op, v))?
            }
            "put_along_axis" => {
                with_value!(&v, v => np::try_put_along_axis(&mut x, &self.inputs[1], v, self.axis()))?
            }
            "take_along_axis" => {
                return np::try_take_along_axis(&x, &self.inputs[1], self.axis());
            }
            "argwhere" => return np::argwhere(&x),
            "nonzero" => {
                let parts = x.nonzero()?;
                let refs: Vec<&Array> = parts.iter().collect();
                return Ok(np::stack(&refs, 0));
            }
            _ => {
                let at = match self.params.get("sel") {
                    Some(s) => x.at(parse_sel(s)),
                    None => x.at(&self.inputs[1]),
                };
                return with_value!(&v, v => match mode.expect("an at_ form") {
                    "set" => at.try_set(v),
                    "add" => at.try_add(v),
                    "sub" => at.try_sub(v),
                    "mul" => at.try_mul(v),
                    "min" => at.try_min(v),
                    "max" => at.try_max(v),
                    other => panic!("unknown form at_{other}"),
                });
            }
        }
        Ok(x)
    }
}

/// Equal elements: ints and bools exactly, floats within a few ulps of their dtype (NaN equal).
fn check_equal(name: &str, got: &Array, want: &Array) {
    assert_eq!(got.shape(), want.shape(), "{name}: shape");
    assert_eq!(got.dtype(), want.dtype(), "{name}: dtype");
    if want.dtype().is_float() {
        let g = got.astype(DType::F64).to_vec::<f64>().unwrap();
        let w = want.astype(DType::F64).to_vec::<f64>().unwrap();
        let eps = if want.dtype() == DType::F32 {
            1e-6
        } else {
            1e-14
        };
        for (i, (a, b)) in g.iter().zip(&w).enumerate() {
            let ok = (a.is_nan() && b.is_nan()) || (a - b).abs() <= eps * (1.0 + b.abs());
            assert!(ok, "{name}: element {i}: got {a}, NumPy {b}");
        }
    } else {
        let g = got.astype(DType::I64).to_vec::<i64>().unwrap();
        let w = want.astype(DType::I64).to_vec::<i64>().unwrap();
        assert_eq!(g, w, "{name}");
    }
}

#[test]
fn every_form_matches_numpy() {
    let arrays: HashMap<String, Array> = np::load_npz(dir().join("arrays.npz"))
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k.trim_end_matches(".npy").to_string(), v))
        .collect();
    let manifest = std::fs::read_to_string(dir().join("MANIFEST")).unwrap();
    let mut count = 0;
    for line in manifest.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let (name, form, params, inputs, expected) = (f[0], f[1], f[2], f[3], f[4]);
        let params: HashMap<&str, &str> = params
            .split(' ')
            .filter_map(|p| p.split_once('='))
            .collect();
        let inputs = inputs.split(' ').map(|k| arrays[k].clone()).collect();
        let case = Case {
            form,
            params,
            inputs,
        };
        for opts in [EvalOptions::interpreter(), EvalOptions::fused()] {
            let got = case.build().and_then(|a| a.eval_with(&opts));
            match expected.strip_prefix("err:") {
                Some(msg) => {
                    let e = got
                        .err()
                        .unwrap_or_else(|| panic!("{name}: NumPy raises {msg}"));
                    // take_along_axis reports the flat position of a bad index (documented).
                    let same = if form == "take_along_axis" {
                        e.to_string().contains("is out of bounds")
                    } else {
                        e.to_string().ends_with(msg)
                    };
                    assert!(same, "{name}: {e} vs NumPy's {msg}");
                }
                None => {
                    let got = got.unwrap_or_else(|e| panic!("{name} ({:?}): {e}", opts.mode));
                    check_equal(name, &got, &arrays[expected]);
                }
            }
        }
        count += 1;
    }
    assert!(count > 1000, "{count} cases");
}
