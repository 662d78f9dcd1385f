//! Scalar Rust functions that generated code calls for operations with no short CLIF lowering
//! (NumPy's float floor-division and remainder, integer powers), with the rules of
//! [`crate::semantics`] (shared with the interpreter). They are registered as JIT symbols by name.
//!
//! Generated code cannot return an error, so a helper that meets one (an integer to a negative
//! power) records it in a per-thread flag and returns a placeholder; the code that called the
//! kernel checks the flag right after the call ([`take_fault`]) and reports the error.

use crate::error::Error;
use crate::semantics::{float_floor_div, float_mod, int_pow};
use std::cell::Cell;

thread_local! {
    /// An error met by a helper during the current kernel call on this thread.
    static FAULT: Cell<Option<Error>> = const { Cell::new(None) };
}

/// The error a helper met since the last call on this thread, if any (and clears it). Called
/// after every kernel call, on the thread that ran it.
pub(crate) fn take_fault() -> Option<Error> {
    FAULT.with(|f| f.take())
}

/// After a kernel call: a helper's error ends the evaluation with that error (unwinding to
/// [`crate::runtime::buffer::catch_alloc`] around it, never through generated code).
pub(crate) fn check_fault() {
    if let Some(e) = take_fault() {
        crate::runtime::buffer::abort_eval(e);
    }
}

/// Integer power with NumPy's rule; a negative exponent is recorded as an error.
fn checked_pow(a: i128, b: i128) -> i128 {
    int_pow(a, b).unwrap_or_else(|| {
        FAULT.with(|f| f.set(Some(Error::NegativeIntegerPower)));
        0
    })
}

extern "C" fn floor_div_f64(a: f64, b: f64) -> f64 {
    float_floor_div(a, b)
}
extern "C" fn floor_div_f32(a: f32, b: f32) -> f32 {
    float_floor_div(a as f64, b as f64) as f32
}
extern "C" fn mod_f64(a: f64, b: f64) -> f64 {
    float_mod(a, b)
}
extern "C" fn mod_f32(a: f32, b: f32) -> f32 {
    float_mod(a as f64, b as f64) as f32
}
extern "C" fn pow_f64(a: f64, b: f64) -> f64 {
    a.powf(b)
}
extern "C" fn pow_f32(a: f32, b: f32) -> f32 {
    a.powf(b)
}
/// Signed integer power, wrapping (the caller truncates to its width).
extern "C" fn ipow(a: i64, b: i64) -> i64 {
    checked_pow(a as i128, b as i128) as i64
}
/// Unsigned integer power, wrapping.
extern "C" fn upow(a: u64, b: u64) -> u64 {
    checked_pow(a as i128, b as i128) as u64
}

macro_rules! math_helpers {
    ($($name32:ident, $name64:ident => $f:ident;)*) => {
        $(
            extern "C" fn $name32(x: f32) -> f32 { x.$f() }
            extern "C" fn $name64(x: f64) -> f64 { x.$f() }
        )*
        /// Every helper: (symbol name, address).
        pub fn symbols() -> Vec<(&'static str, *const u8)> {
            vec![
                ("lazynp_floor_div_f64", floor_div_f64 as *const u8),
                ("lazynp_floor_div_f32", floor_div_f32 as *const u8),
                ("lazynp_mod_f64", mod_f64 as *const u8),
                ("lazynp_mod_f32", mod_f32 as *const u8),
                ("lazynp_pow_f64", pow_f64 as *const u8),
                ("lazynp_pow_f32", pow_f32 as *const u8),
                ("lazynp_ipow", ipow as *const u8),
                ("lazynp_upow", upow as *const u8),
                $(
                    (concat!("lazynp_", stringify!($name32)), $name32 as *const u8),
                    (concat!("lazynp_", stringify!($name64)), $name64 as *const u8),
                )*
            ]
        }
    };
}

math_helpers! {
    exp_f32, exp_f64 => exp;
    log_f32, log_f64 => ln;
    log1p_f32, log1p_f64 => ln_1p;
    expm1_f32, expm1_f64 => exp_m1;
    tanh_f32, tanh_f64 => tanh;
    sin_f32, sin_f64 => sin;
    cos_f32, cos_f64 => cos;
}
