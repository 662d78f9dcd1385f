//! NumPy's scalar rules, written once: floor division, remainder, integer power, float → int
//! casts, int → float32 rounding and NaN propagation in `maximum`/`minimum`.
//!
//! A base module: it imports nothing from the crate, so the interpreter (`interp.rs`), the
//! dtype casts (`dtype.rs`) and the functions generated code calls (`codegen/helpers.rs`) all
//! share these definitions and the compiler does not import its oracle for them.
//!
//! Integer rules are given on `i128` operands widened from any 8–64-bit integer; the caller
//! truncates the result to its width (`as i32`, ...), which gives NumPy's wrapping (for
//! example `i64::MIN // -1 == i64::MIN`).

/// 2^63 as f64.
pub(crate) const TWO63: f64 = 9_223_372_036_854_775_808u64 as f64;

/// NumPy's `npy_floor_divide` for floats (computed in f64, exact for f32 inputs).
///
/// ```
/// use lazynp::semantics::float_floor_div;
/// assert_eq!(float_floor_div(-7.0, 2.0), -4.0);
/// assert!(float_floor_div(1.0, 0.0).is_infinite());
/// ```
pub fn float_floor_div(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        return a / b;
    }
    let m = a % b;
    let mut div = (a - m) / b;
    if m != 0.0 && ((b < 0.0) != (m < 0.0)) {
        div -= 1.0;
    }
    if div == 0.0 {
        return (0.0f64).copysign(a / b);
    }
    let mut fl = div.floor();
    if div - fl > 0.5 {
        fl += 1.0;
    }
    fl
}

/// NumPy's `npy_remainder` for floats: the result has the divisor's sign.
///
/// ```
/// use lazynp::semantics::float_mod;
/// assert_eq!(float_mod(-7.0, 2.0), 1.0);
/// assert_eq!(float_mod(7.0, -2.0), -1.0);
/// ```
pub fn float_mod(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        return a % b; // NaN
    }
    let m = a % b;
    if m != 0.0 {
        if (b < 0.0) != (m < 0.0) { m + b } else { m }
    } else {
        (0.0f64).copysign(b)
    }
}

/// NumPy's integer `//`: rounds toward -inf; division by zero gives 0 (NumPy warns).
///
/// ```
/// use lazynp::semantics::int_floor_div;
/// assert_eq!(int_floor_div(-7, 2), -4);
/// assert_eq!(int_floor_div(7, 0), 0);
/// assert_eq!(int_floor_div(i64::MIN as i128, -1) as i64, i64::MIN); // wraps in the width
/// ```
pub fn int_floor_div(a: i128, b: i128) -> i128 {
    if b == 0 {
        return 0;
    }
    let q = a / b;
    if a % b != 0 && ((a < 0) != (b < 0)) {
        q - 1
    } else {
        q
    }
}

/// NumPy's integer `%`: the result has the divisor's sign; modulo zero gives 0.
///
/// ```
/// use lazynp::semantics::int_mod;
/// assert_eq!(int_mod(-7, 2), 1);
/// assert_eq!(int_mod(7, -2), -1);
/// assert_eq!(int_mod(7, 0), 0);
/// ```
pub fn int_mod(a: i128, b: i128) -> i128 {
    if b == 0 {
        return 0;
    }
    let r = a % b;
    if r != 0 && ((r < 0) != (b < 0)) {
        r + b
    } else {
        r
    }
}

/// Integer power by squaring, wrapping modulo 2^128 (the caller truncates to its width).
/// `None` for a negative exponent: NumPy raises "Integers to negative integer powers are not
/// allowed." whatever the base.
///
/// ```
/// use lazynp::semantics::int_pow;
/// assert_eq!(int_pow(3, 4), Some(81));
/// assert_eq!(int_pow(2, 64).map(|v| v as u64), Some(0)); // wraps in 64 bits
/// assert_eq!(int_pow(1, -1), None);
/// ```
pub fn int_pow(a: i128, e: i128) -> Option<i128> {
    if e < 0 {
        return None;
    }
    let (mut base, mut e, mut acc) = (a as u128, e as u128, 1u128);
    while e > 0 {
        if e & 1 == 1 {
            acc = acc.wrapping_mul(base);
        }
        base = base.wrapping_mul(base);
        e >>= 1;
    }
    Some(acc as i128)
}

/// int64 → float32 rounded once (to nearest, ties to even), as NumPy's C cast does. Going
/// through f64 rounds twice: `2^54 + 2^30 + 1` would become `2^54` instead of `2^54 + 2^31`.
///
/// ```
/// use lazynp::semantics::i64_to_f32;
/// let x = (1i64 << 54) + (1 << 30) + 1;
/// assert_eq!(i64_to_f32(x), ((1u64 << 54) + (1 << 31)) as f32);
/// assert_ne!(i64_to_f32(x), x as f64 as f32);
/// ```
pub fn i64_to_f32(x: i64) -> f32 {
    x as f32
}

/// uint64 → float32 rounded once (see [`i64_to_f32`]).
///
/// ```
/// assert_eq!(lazynp::semantics::u64_to_f32(u64::MAX), 18446744073709551616.0f32);
/// ```
pub fn u64_to_f32(x: u64) -> f32 {
    x as f32
}

/// x86 `cvttsd2si` semantics, as NumPy on x86: truncation; NaN and out-of-range values give
/// `i64::MIN`.
///
/// ```
/// use lazynp::semantics::float_to_i64;
/// assert_eq!(float_to_i64(-2.7), -2);
/// assert_eq!(float_to_i64(f64::NAN), i64::MIN);
/// ```
pub fn float_to_i64(f: f64) -> i64 {
    if f.is_nan() || !(-TWO63..TWO63).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

/// x86 `cvttsd2si` 32-bit semantics (see [`float_to_i64`]).
///
/// ```
/// assert_eq!(lazynp::semantics::float_to_i32(3e9), i32::MIN);
/// ```
pub fn float_to_i32(f: f64) -> i32 {
    if f.is_nan() || !(-2147483648.0..2147483648.0).contains(&f) {
        i32::MIN
    } else {
        f as i32
    }
}

/// NumPy's float → uint64 on x86: values below 2^63 (and NaN) go through i64, larger ones
/// subtract 2^63 first and set the top bit (so +inf and values >= 2^64 give 0).
///
/// ```
/// use lazynp::semantics::float_to_u64;
/// assert_eq!(float_to_u64(1e19), 10_000_000_000_000_000_000);
/// assert_eq!(float_to_u64(-1.0), u64::MAX);
/// ```
pub fn float_to_u64(f: f64) -> u64 {
    if f >= TWO63 {
        float_to_i64(f - TWO63) as u64 ^ (1u64 << 63)
    } else {
        float_to_i64(f) as u64
    }
}

/// NumPy's float → uint32 on x86, the 32-bit analogue of [`float_to_u64`]: NaN and values
/// below -2^31 give 2^31; +inf and values >= 2^32 give 0.
///
/// ```
/// assert_eq!(lazynp::semantics::float_to_u32(f64::NAN), 1 << 31);
/// ```
pub fn float_to_u32(f: f64) -> u32 {
    if f >= 2147483648.0 {
        float_to_i32(f - 2147483648.0) as u32 ^ (1u32 << 31)
    } else {
        float_to_i32(f) as u32
    }
}

/// `np.maximum` for floats: NaN propagates (the first NaN wins); when the operands compare
/// equal the second is returned (`maximum(-0.0, 0.0)` is `0.0`, `maximum(0.0, -0.0)` is `-0.0`).
///
/// ```
/// use lazynp::semantics::maximum;
/// assert!(maximum(f64::NAN, 1.0).is_nan() && maximum(1.0, f64::NAN).is_nan());
/// assert!(maximum(0.0f32, -0.0).is_sign_negative());
/// ```
pub fn maximum<T: PartialOrd + Copy>(a: T, b: T) -> T {
    #[allow(clippy::eq_op)]
    let a_nan = a != a;
    if a > b || a_nan { a } else { b }
}

/// `np.minimum` for floats (see [`maximum`]).
///
/// ```
/// use lazynp::semantics::minimum;
/// assert!(minimum(f64::NAN, 1.0).is_nan() && minimum(1.0, f64::NAN).is_nan());
/// assert_eq!(minimum(2.0, 1.0), 1.0);
/// ```
pub fn minimum<T: PartialOrd + Copy>(a: T, b: T) -> T {
    #[allow(clippy::eq_op)]
    let a_nan = a != a;
    if a < b || a_nan { a } else { b }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_rules_match_numpy_tables() {
        // (a, b, a // b, a % b) from NumPy 2.x int64.
        for (a, b, q, r) in [
            (7, 2, 3, 1),
            (-7, 2, -4, 1),
            (7, -2, -4, -1),
            (-7, -2, 3, -1),
            (0, 5, 0, 0),
            (5, 0, 0, 0),
        ] {
            assert_eq!((int_floor_div(a, b), int_mod(a, b)), (q, r), "{a} {b}");
        }
        assert_eq!(int_mod(i64::MIN as i128, -1), 0);
        assert_eq!(int_pow(-2, 3), Some(-8));
        assert_eq!(int_pow(0, 0), Some(1));
        assert_eq!(int_pow(2, -3), None);
        assert_eq!(int_pow(-1, -2), None);
    }

    #[test]
    fn f32_rounds_once() {
        // 2^54 + 2^30 + 1 is just above the midpoint between two f32 neighbours.
        let x = (1i64 << 54) + (1 << 30) + 1;
        assert_eq!(i64_to_f32(x) as f64, ((1u64 << 54) + (1 << 31)) as f64);
        assert_eq!(x as f64 as f32 as f64, (1u64 << 54) as f64);
        assert_eq!(u64_to_f32(x as u64), i64_to_f32(x));
    }
}
