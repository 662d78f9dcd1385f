//! NumPy 2.x-exact `str(x)` and `repr(x)` under NumPy's default print options.
//!
//! A port of `numpy/_core/arrayprint.py` with precision 8, floatmode `'maxprec'`, suppress off,
//! linewidth 75, threshold 1000 and edgeitems 3. Float digits come from Rust's shortest
//! round-trip formatting, which yields the digits of NumPy's Dragon4 in unique mode; when those
//! need more than `precision` digits, the exact binary value is rounded (half to even), as
//! Dragon4's cutoff does.

use super::Array;
use crate::dtype::{DType, Scalar};
use crate::error::Result;

const LINEWIDTH: usize = 75;
const THRESHOLD: usize = 1000;
const EDGEITEMS: usize = 3;
const PRECISION: usize = 8;

/// `str(x)` as NumPy prints it (what `print(x)` shows); `Display` for [`Array`] uses it.
///
/// ```
/// use lazynp as np;
/// let x = np::array([[1.0f64, 2.5], [-3.0, 4.0]]);
/// assert_eq!(np::array::display::str(&x)?, "[[ 1.   2.5]\n [-3.   4. ]]");
/// assert_eq!(np::scalar(3.0f64).to_string(), "3.0");
/// # Ok::<(), np::Error>(())
/// ```
pub fn str(x: &Array) -> Result<String> {
    if x.ndim() == 0 {
        return Ok(scalar_str(x.item_scalar()?, x.dtype()));
    }
    array2string(x, " ", "", LINEWIDTH)
}

/// `repr(x)` as NumPy prints it, e.g. `array([1., 2.], dtype=float32)` (evaluating first);
/// [`Array::repr`] formats it. The dtype is named unless it is `bool`, `int64` or `float64` (or the array is empty).
///
/// ```
/// use lazynp as np;
/// let x = np::array([1.0f32, 2.0]);
/// assert_eq!(np::array::display::repr(&x)?, "array([1., 2.], dtype=float32)");
/// assert_eq!(np::array([1i64, 2, 3]).repr().to_string(), "array([1, 2, 3])");
/// # Ok::<(), np::Error>(())
/// ```
pub fn repr(x: &Array) -> Result<String> {
    let prefix = "array(";
    // NumPy reserves room for the closing ")" on every line.
    let lst = array2string(x, ", ", prefix, LINEWIDTH - 1)?;
    let mut extras = Vec::new();
    if (x.size() == 0 && x.shape() != [0]) || x.size() > THRESHOLD {
        extras.push(format!("shape={}", shape_tuple(x.shape())));
    }
    let implied = matches!(x.dtype(), DType::Bool | DType::I64 | DType::F64);
    if !implied || x.size() == 0 {
        extras.push(format!("dtype={}", x.dtype().name()));
    }
    if extras.is_empty() {
        return Ok(format!("{prefix}{lst})"));
    }
    let arr_str = format!("{prefix}{lst},");
    let extra_str = format!("{})", extras.join(", "));
    let last_line_len = arr_str.len() - arr_str.rfind('\n').map_or(0, |i| i + 1);
    let spacer = if last_line_len + extra_str.len() + 1 > LINEWIDTH {
        format!("\n{}", " ".repeat(prefix.len()))
    } else {
        " ".to_string()
    };
    Ok(format!("{arr_str}{spacer}{extra_str}"))
}

impl Array {
    /// NumPy's `repr(x)`, formatted when displayed (which evaluates, as `Display` does):
    /// `println!("{}", x.repr())` prints what Python's prompt shows for `x`.
    ///
    /// ```
    /// let x = lazynp::array([[1.0f32, 2.0], [3.0, 4.0]]);
    /// assert_eq!(
    ///     (&x * 2.0).repr().to_string(),
    ///     "array([[2., 4.],\n       [6., 8.]], dtype=float32)"
    /// );
    /// ```
    pub fn repr(&self) -> Repr<'_> {
        Repr(self)
    }
}

/// [`Array::repr`]'s result: NumPy's `repr` when displayed.
pub struct Repr<'a>(&'a Array);

impl std::fmt::Display for Repr<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match repr(self.0) {
            Ok(s) => f.write_str(&s),
            Err(e) => write!(f, "<array: {e}>"),
        }
    }
}

impl std::fmt::Debug for Array {
    /// Graph-level facts, never evaluating: `Array(shape=(3, 4), dtype=float32, lazy)`, or
    /// `realized` once the array holds its data. NumPy's `repr` is [`Array::repr`]; its `str`
    /// is `Display`.
    ///
    /// ```
    /// let x = lazynp::zeros([3, 4], lazynp::DType::F32);
    /// let y = &x + 1.0;
    /// assert_eq!(format!("{y:?}"), "Array(shape=(3, 4), dtype=float32, lazy)");
    /// y.eval()?;
    /// assert_eq!(format!("{y:?}"), "Array(shape=(3, 4), dtype=float32, realized)");
    /// assert_eq!(format!("{:?}", lazynp::array([1u8])), "Array(shape=(1,), dtype=uint8, realized)");
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = if self.is_realized() {
            "realized"
        } else {
            "lazy"
        };
        write!(
            f,
            "Array(shape={}, dtype={}, {state})",
            shape_tuple(self.shape()),
            self.dtype().name()
        )
    }
}

/// Python's tuple repr of a shape: `(5,)`, `(2, 3)`.
fn shape_tuple(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => {
            let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", dims.join(", "))
        }
    }
}

/// `str` of a NumPy scalar (what `str` of a 0-d array shows).
fn scalar_str(v: Scalar, dtype: DType) -> String {
    match v {
        Scalar::Bool(b) => (if b { "True" } else { "False" }).to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::UInt(u) => u.to_string(),
        Scalar::Float(f) => {
            let is_f32 = dtype == DType::F32;
            if let Some(s) = non_finite(f) {
                return s.to_string();
            }
            let cutoff = if is_f32 { 1e6 } else { 1e16 };
            let a = f.abs();
            if a == 0.0 || (1e-4..cutoff).contains(&a) {
                let (int, frac) = positional(f, is_f32, usize::MAX);
                let frac = if frac.is_empty() { "0" } else { &frac };
                format!("{int}.{frac}")
            } else {
                let (int, frac, exp) = scientific(f, is_f32, usize::MAX);
                let dot = if frac.is_empty() { "" } else { "." };
                format!("{int}{dot}{frac}e{}", exponent(exp, 2))
            }
        }
    }
}

fn non_finite(f: f64) -> Option<&'static str> {
    if f.is_nan() {
        Some("nan")
    } else if f == f64::INFINITY {
        Some("inf")
    } else if f == f64::NEG_INFINITY {
        Some("-inf")
    } else {
        None
    }
}

/// Exponent with sign and at least `digits` digits: `+05`, `-100`.
fn exponent(e: i32, digits: usize) -> String {
    let sign = if e < 0 { '-' } else { '+' };
    format!("{sign}{:0digits$}", e.unsigned_abs())
}

/// Decimal digits `d0 d1 d2 ...` (ASCII) of `d0.d1d2... × 10^exp`.
struct Decimal {
    digits: Vec<u8>,
    exp: i32,
}

/// Parses Rust's `{:e}` output of a non-negative value (`1.5e10`, `0e0`).
fn parse_sci(s: &str) -> Decimal {
    let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
    let digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    Decimal {
        digits,
        exp: exp.parse().unwrap_or(0),
    }
}

/// Shortest round-trip digits of `|v|` (float32 digits when `is_f32`).
///
/// When the value lies exactly halfway between two shortest candidates, Dragon4 takes the one
/// with the even last digit (Rust may take the other); half-even exact rounding finds it.
fn shortest(v: f64, is_f32: bool) -> Decimal {
    let a = v.abs();
    let d = if is_f32 {
        parse_sci(&format!("{:e}", a as f32))
    } else {
        parse_sci(&format!("{:e}", a))
    };
    let k = d.digits.len();
    let next = format!("{a:.k$e}");
    if next.split('e').next().is_some_and(|m| m.ends_with('5')) {
        // Exactly halfway iff nothing but zeros follows that 5 in the exact expansion.
        let exact = format!("{a:.1100e}");
        let mant = exact.split('e').next().unwrap_or("");
        let tail = mant.bytes().filter(u8::is_ascii_digit).skip(k + 1);
        if tail.clone().all(|c| c == b'0') && k > 0 {
            return parse_sci(&format!("{:.*e}", k - 1, a));
        }
    }
    d
}

fn sign(v: f64) -> &'static str {
    if v.is_sign_negative() { "-" } else { "" }
}

/// Dragon4 positional, unique, at most `precision` fractional digits, trailing zeros trimmed:
/// returns the integer part (with sign) and the fractional digits.
fn positional(v: f64, is_f32: bool, precision: usize) -> (String, String) {
    let d = shortest(v, is_f32);
    let nfrac = (d.digits.len() as i64 - 1 - d.exp as i64).max(0) as usize;
    if nfrac > precision {
        let s = format!("{:.*}", precision, v.abs());
        let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
        return (
            format!("{}{int}", sign(v)),
            frac.trim_end_matches('0').to_string(),
        );
    }
    let digits = std::str::from_utf8(&d.digits).unwrap_or("0");
    let (int, frac) = if d.exp >= 0 {
        let e = d.exp as usize + 1;
        if digits.len() <= e {
            (
                format!("{digits}{}", "0".repeat(e - digits.len())),
                String::new(),
            )
        } else {
            (digits[..e].to_string(), digits[e..].to_string())
        }
    } else {
        let zeros = "0".repeat((-d.exp - 1) as usize);
        ("0".to_string(), format!("{zeros}{digits}"))
    };
    let frac = frac.trim_end_matches('0').to_string();
    (format!("{}{int}", sign(v)), frac)
}

/// Dragon4 scientific, unique, at most `precision` mantissa fraction digits, trailing zeros
/// trimmed: returns (signed leading digit, fraction digits, exponent).
fn scientific(v: f64, is_f32: bool, precision: usize) -> (String, String, i32) {
    let mut d = shortest(v, is_f32);
    if d.digits.len() > precision.saturating_add(1) {
        d = parse_sci(&format!("{:.*e}", precision, v.abs()));
    }
    let digits = std::str::from_utf8(&d.digits).unwrap_or("0");
    let (lead, frac) = digits.split_at(1.min(digits.len()));
    (
        format!("{}{lead}", sign(v)),
        frac.trim_end_matches('0').to_string(),
        d.exp,
    )
}

/// NumPy's `FloatingFormat` after `fillFormat`.
struct FloatFormat {
    is_f32: bool,
    exp_format: bool,
    pad_left: usize,
    pad_right: usize,
    /// Mantissa digits (scientific mode).
    precision: usize,
    /// Exponent digits (scientific mode).
    exp_size: usize,
}

impl FloatFormat {
    fn new(data: &[f64], is_f32: bool) -> FloatFormat {
        let finite: Vec<f64> = data.iter().copied().filter(|v| v.is_finite()).collect();
        let abs_nz: Vec<f64> = finite
            .iter()
            .filter(|&&v| v != 0.0)
            .map(|v| v.abs())
            .collect();
        let mut exp_format = false;
        if !abs_nz.is_empty() {
            let max = abs_nz.iter().copied().fold(f64::MIN, f64::max);
            let min = abs_nz.iter().copied().fold(f64::MAX, f64::min);
            // NumPy compares float32 data in float32 (Python floats are weak scalars).
            exp_format = if is_f32 {
                let (max, min) = (max as f32, min as f32);
                max >= 1e6 || min < 1e-4 || max / min > 1000.0
            } else {
                max >= 1e8 || min < 1e-4 || max / min > 1000.0
            };
        }
        let mut f = FloatFormat {
            is_f32,
            exp_format,
            pad_left: 0,
            pad_right: 0,
            precision: 0,
            exp_size: 0,
        };
        if finite.is_empty() {
        } else if exp_format {
            for &v in &finite {
                let (int, frac, exp) = scientific(v, is_f32, PRECISION);
                f.exp_size = f.exp_size.max(exponent(exp, 2).len() - 1);
                f.precision = f.precision.max(frac.len());
                f.pad_left = f.pad_left.max(int.len());
            }
            f.pad_right = f.exp_size + 2 + f.precision;
        } else {
            for &v in &finite {
                let (int, frac) = positional(v, is_f32, PRECISION);
                f.pad_left = f.pad_left.max(int.len());
                f.pad_right = f.pad_right.max(frac.len());
            }
        }
        if finite.len() != data.len() {
            let neginf = data.contains(&f64::NEG_INFINITY) as isize;
            let offset = f.pad_right as isize + 1;
            let need = (3 - offset).max(3 + neginf - offset);
            f.pad_left = f.pad_left.max(need.max(0) as usize);
        }
        f
    }

    fn format(&self, v: f64) -> String {
        if let Some(s) = non_finite(v) {
            let width = self.pad_left + self.pad_right + 1;
            return format!("{s:>width$}");
        }
        let pl = self.pad_left;
        if self.exp_format {
            // Dragon4's `min_digits` prints real digits, not zeros: the exact value rounded to
            // `precision` fraction digits (which is the shortest digits when they fit).
            let d = parse_sci(&format!("{:.*e}", self.precision, v.abs()));
            let digits = std::str::from_utf8(&d.digits).unwrap_or("0");
            let (lead, frac) = digits.split_at(1.min(digits.len()));
            let int = format!("{}{lead}", sign(v));
            format!("{int:>pl$}.{frac}e{}", exponent(d.exp, self.exp_size))
        } else {
            let (int, frac) = positional(v, self.is_f32, PRECISION);
            let pr = self.pad_right;
            format!("{int:>pl$}.{frac:<pr$}")
        }
    }
}

/// The element formatter NumPy picks for the (summarised) data.
enum Format {
    Bool { truestr: &'static str },
    Int { width: usize },
    Float(FloatFormat),
}

impl Format {
    fn new(dtype: DType, data: &[Scalar], zero_d: bool) -> Format {
        match dtype.kind() {
            crate::dtype::Kind::Bool => Format::Bool {
                truestr: if zero_d { "True" } else { " True" },
            },
            crate::dtype::Kind::Float => {
                let vals: Vec<f64> = data.iter().map(|s| s.as_f64()).collect();
                Format::Float(FloatFormat::new(&vals, dtype == DType::F32))
            }
            _ => {
                let ints = data.iter().map(|&s| int_value(s));
                let (min, max) =
                    ints.fold((i128::MAX, i128::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
                let width = if data.is_empty() {
                    0
                } else {
                    min.to_string().len().max(max.to_string().len())
                };
                Format::Int { width }
            }
        }
    }

    fn format(&self, v: Scalar) -> String {
        match self {
            Format::Bool { truestr } => (if v.as_bool() { truestr } else { "False" }).to_string(),
            Format::Int { width } => format!("{:>width$}", int_value(v)),
            Format::Float(f) => f.format(v.as_f64()),
        }
    }
}

fn int_value(s: Scalar) -> i128 {
    match s {
        Scalar::UInt(u) => u as i128,
        Scalar::Int(i) => i as i128,
        Scalar::Bool(b) => b as i128,
        Scalar::Float(f) => f as i128,
    }
}

/// `np.array2string(x, separator=sep, prefix=prefix)` with `linewidth` already reduced by the
/// suffix length.
fn array2string(x: &Array, sep: &str, prefix: &str, linewidth: usize) -> Result<String> {
    if x.size() == 0 {
        return Ok("[]".to_string());
    }
    let buf = x.buffer()?;
    let shape = x.shape();
    let mut strides = vec![1usize; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * shape[i + 1];
    }
    let summarize = x.size() > THRESHOLD;
    let mut shown = Vec::new();
    leading_trailing(shape, &strides, summarize, 0, 0, &mut shown);
    let data: Vec<Scalar> = shown.iter().map(|&i| buf.get(i)).collect();
    let format = Format::new(x.dtype(), &data, shape.is_empty());
    let printer = Printer {
        shape,
        strides: &strides,
        sep,
        summarize,
        element: &|i| format.format(buf.get(i)),
    };
    let hanging = format!(" {}", " ".repeat(prefix.len()));
    Ok(printer.recurse(0, 0, &hanging, linewidth))
}

/// Flat offsets of the elements NumPy keeps when summarising (`_leading_trailing`).
fn leading_trailing(
    shape: &[usize],
    strides: &[usize],
    summarize: bool,
    axis: usize,
    offset: usize,
    out: &mut Vec<usize>,
) {
    if axis == shape.len() {
        out.push(offset);
        return;
    }
    let n = shape[axis];
    let idx: Vec<usize> = if summarize && n > 2 * EDGEITEMS {
        (0..EDGEITEMS).chain(n - EDGEITEMS..n).collect()
    } else {
        (0..n).collect()
    };
    for i in idx {
        leading_trailing(
            shape,
            strides,
            summarize,
            axis + 1,
            offset + i * strides[axis],
            out,
        );
    }
}

/// NumPy's `_formatArray`.
struct Printer<'a> {
    shape: &'a [usize],
    strides: &'a [usize],
    sep: &'a str,
    summarize: bool,
    element: &'a dyn Fn(usize) -> String,
}

impl Printer<'_> {
    fn recurse(&self, axis: usize, offset: usize, hanging: &str, width: usize) -> String {
        let axes_left = self.shape.len() - axis;
        if axes_left == 0 {
            return (self.element)(offset);
        }
        let next_hanging = format!("{hanging} ");
        let next_width = width.saturating_sub(1);
        let n = self.shape[axis];
        let show_summary = self.summarize && 2 * EDGEITEMS < n;
        let (leading, trailing) = if show_summary {
            (EDGEITEMS, EDGEITEMS)
        } else {
            (0, n)
        };
        // Indices in print order: the leading items, then (after "...") the trailing ones.
        let tail: Vec<usize> = (1..=trailing).rev().map(|i| n - i).collect();
        let sub = |i: usize| {
            self.recurse(
                axis + 1,
                offset + i * self.strides[axis],
                &next_hanging,
                next_width,
            )
        };
        let mut s = String::new();
        if axes_left == 1 {
            let elem_width = width.saturating_sub(self.sep.trim_end().len().max(1));
            let mut line = hanging.to_string();
            for i in 0..leading {
                extend_line(&mut s, &mut line, &sub(i), elem_width, hanging);
                line.push_str(self.sep);
            }
            if show_summary {
                extend_line(&mut s, &mut line, "...", elem_width, hanging);
                line.push_str(self.sep);
            }
            for (k, &i) in tail.iter().enumerate() {
                extend_line(&mut s, &mut line, &sub(i), elem_width, hanging);
                if k + 1 < tail.len() {
                    line.push_str(self.sep);
                }
            }
            s.push_str(&line);
        } else {
            let line_sep = format!("{}{}", self.sep.trim_end(), "\n".repeat(axes_left - 1));
            let mut rows: Vec<String> = (0..leading).map(sub).collect();
            if show_summary {
                rows.push("...".to_string());
            }
            rows.extend(tail.iter().map(|&i| sub(i)));
            for (k, row) in rows.iter().enumerate() {
                s.push_str(hanging);
                s.push_str(row);
                if k + 1 < rows.len() {
                    s.push_str(&line_sep);
                }
            }
        }
        format!("[{}]", &s[hanging.len()..])
    }
}

/// NumPy's `_extendLine`: wraps before `word` if it would pass `width` (unless that cannot help).
fn extend_line(s: &mut String, line: &mut String, word: &str, width: usize, prefix: &str) {
    let needs_wrap = line.len() + word.len() > width && line.len() > prefix.len();
    if needs_wrap {
        s.push_str(line.trim_end());
        s.push('\n');
        *line = prefix.to_string();
    }
    line.push_str(word);
}
