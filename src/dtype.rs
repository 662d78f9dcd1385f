//! Element types, their Rust counterparts, and NumPy 2 type promotion.
//!
//! Promotion follows NEP 50 (NumPy 2): two arrays promote by [`promote`]; a Rust scalar is
//! *weak* like a Python scalar and adopts the array's dtype unless its kind is higher
//! ([`promote_weak`]): `int_array * 2.5` is `float64`, `f32_array * 2.5` stays `float32`.

use std::fmt;

/// The element type of an array. Names and promotion follow NumPy.
///
/// ```
/// use lazynp::DType;
/// assert_eq!(DType::F32.name(), "float32");
/// assert_eq!(DType::I64.size(), 8);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// `bool`
    Bool,
    /// `int8`
    I8,
    /// `int16`
    I16,
    /// `int32`
    I32,
    /// `int64`
    I64,
    /// `uint8`
    U8,
    /// `uint16`
    U16,
    /// `uint32`
    U32,
    /// `uint64`
    U64,
    /// `float32`
    F32,
    /// `float64`
    F64,
}

/// The kind of a dtype, ordered as NumPy orders kinds for weak-scalar promotion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Booleans.
    Bool,
    /// Unsigned or signed integers.
    Int,
    /// Floating point.
    Float,
}

impl DType {
    /// Every dtype, in a fixed order.
    pub const ALL: [DType; 11] = [
        DType::Bool,
        DType::I8,
        DType::I16,
        DType::I32,
        DType::I64,
        DType::U8,
        DType::U16,
        DType::U32,
        DType::U64,
        DType::F32,
        DType::F64,
    ];

    /// Size of one element in bytes.
    pub fn size(self) -> usize {
        match self {
            DType::Bool | DType::I8 | DType::U8 => 1,
            DType::I16 | DType::U16 => 2,
            DType::I32 | DType::U32 | DType::F32 => 4,
            DType::I64 | DType::U64 | DType::F64 => 8,
        }
    }

    /// NumPy's name (`"float32"`).
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::U8 => "uint8",
            DType::U16 => "uint16",
            DType::U32 => "uint32",
            DType::U64 => "uint64",
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }

    /// The kind (bool, integer, float).
    pub fn kind(self) -> Kind {
        match self {
            DType::Bool => Kind::Bool,
            DType::F32 | DType::F64 => Kind::Float,
            _ => Kind::Int,
        }
    }

    /// True for `float32` and `float64`.
    pub fn is_float(self) -> bool {
        self.kind() == Kind::Float
    }

    /// True for signed and unsigned integers (not bool).
    pub fn is_int(self) -> bool {
        self.kind() == Kind::Int
    }

    /// True for signed integers.
    pub fn is_signed_int(self) -> bool {
        matches!(self, DType::I8 | DType::I16 | DType::I32 | DType::I64)
    }

    /// True for unsigned integers.
    pub fn is_unsigned_int(self) -> bool {
        matches!(self, DType::U8 | DType::U16 | DType::U32 | DType::U64)
    }

    /// The dtype NumPy's `sum`/`prod` accumulate in: small ints widen to the 64-bit int of the
    /// same signedness, bool to `int64`; floats keep their type.
    pub fn sum_dtype(self) -> DType {
        match self {
            DType::Bool | DType::I8 | DType::I16 | DType::I32 | DType::I64 => DType::I64,
            DType::U8 | DType::U16 | DType::U32 | DType::U64 => DType::U64,
            DType::F32 | DType::F64 => self,
        }
    }

    /// The float dtype NumPy's `mean`/`std`/`var` and true division return.
    pub fn float_result(self) -> DType {
        match self {
            DType::F32 => DType::F32,
            _ => DType::F64,
        }
    }

    /// Smallest and largest value of an integer dtype, as i128.
    pub fn int_range(self) -> Option<(i128, i128)> {
        Some(match self {
            DType::Bool => (0, 1),
            DType::I8 => (i8::MIN as i128, i8::MAX as i128),
            DType::I16 => (i16::MIN as i128, i16::MAX as i128),
            DType::I32 => (i32::MIN as i128, i32::MAX as i128),
            DType::I64 => (i64::MIN as i128, i64::MAX as i128),
            DType::U8 => (0, u8::MAX as i128),
            DType::U16 => (0, u16::MAX as i128),
            DType::U32 => (0, u32::MAX as i128),
            DType::U64 => (0, u64::MAX as i128),
            DType::F32 | DType::F64 => return None,
        })
    }

    /// The `.npy` type string without byte order (`"f4"`, `"i8"`, `"b1"`).
    pub fn npy_code(self) -> &'static str {
        match self {
            DType::Bool => "b1",
            DType::I8 => "i1",
            DType::I16 => "i2",
            DType::I32 => "i4",
            DType::I64 => "i8",
            DType::U8 => "u1",
            DType::U16 => "u2",
            DType::U32 => "u4",
            DType::U64 => "u8",
            DType::F32 => "f4",
            DType::F64 => "f8",
        }
    }

    /// Inverse of [`DType::npy_code`].
    pub fn from_npy_code(code: &str) -> Option<DType> {
        DType::ALL.into_iter().find(|d| d.npy_code() == code)
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn signed_of_size(bytes: usize) -> DType {
    match bytes {
        1 => DType::I8,
        2 => DType::I16,
        4 => DType::I32,
        _ => DType::I64,
    }
}

/// NumPy 2 promotion of two array dtypes (`np.result_type(a, b)`).
///
/// ```
/// use lazynp::{promote, DType};
/// assert_eq!(promote(DType::U8, DType::I8), DType::I16);
/// assert_eq!(promote(DType::I32, DType::F32), DType::F64);
/// assert_eq!(promote(DType::U64, DType::I64), DType::F64);
/// ```
pub fn promote(a: DType, b: DType) -> DType {
    use DType::*;
    if a == b {
        return a;
    }
    match (a.kind(), b.kind()) {
        (Kind::Bool, _) => b,
        (_, Kind::Bool) => a,
        (Kind::Float, Kind::Float) => {
            if a == F64 || b == F64 {
                F64
            } else {
                F32
            }
        }
        (Kind::Float, Kind::Int) => int_with_float(b, a),
        (Kind::Int, Kind::Float) => int_with_float(a, b),
        (Kind::Int, Kind::Int) => {
            let (sa, sb) = (a.is_signed_int(), b.is_signed_int());
            if sa == sb {
                if a.size() >= b.size() { a } else { b }
            } else {
                let (s, u) = if sa { (a, b) } else { (b, a) };
                if s.size() > u.size() {
                    s
                } else if u.size() == 8 {
                    F64
                } else {
                    signed_of_size(u.size() * 2)
                }
            }
        }
    }
}

fn int_with_float(int: DType, float: DType) -> DType {
    if float == DType::F64 || int.size() >= 4 {
        DType::F64
    } else {
        DType::F32
    }
}

/// Promotion of an array dtype with a weak (Rust/Python) scalar of `kind` (NEP 50):
/// the array's dtype wins unless the scalar's kind is higher; an int scalar with a bool
/// array gives `int64`, a float scalar with a bool or int array gives `float64`.
///
/// ```
/// use lazynp::{promote_weak, DType, Kind};
/// assert_eq!(promote_weak(DType::F32, Kind::Float), DType::F32);
/// assert_eq!(promote_weak(DType::I32, Kind::Float), DType::F64);
/// assert_eq!(promote_weak(DType::U8, Kind::Int), DType::U8);
/// ```
pub fn promote_weak(array: DType, scalar: Kind) -> DType {
    if scalar <= array.kind() {
        array
    } else {
        match scalar {
            Kind::Bool => array,
            Kind::Int => DType::I64,
            Kind::Float => DType::F64,
        }
    }
}

/// A Rust type that can be an array element.
pub trait Element: Copy + Send + Sync + PartialEq + fmt::Debug + Default + 'static {
    /// The matching dtype.
    const DTYPE: DType;
    /// Converts to a [`Scalar`].
    fn to_scalar(self) -> Scalar;
    /// Converts a [`Scalar`] with C-like cast semantics (see [`Scalar::cast`]).
    fn from_scalar(s: Scalar) -> Self;
}

/// One value of any dtype, used for constants, `item()` and casting.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A float.
    Float(f64),
}

impl Scalar {
    /// The value as f64 (integers may round).
    pub fn as_f64(self) -> f64 {
        match self {
            Scalar::Bool(b) => b as u8 as f64,
            Scalar::Int(i) => i as f64,
            Scalar::UInt(u) => u as f64,
            Scalar::Float(f) => f,
        }
    }

    /// The value as f32, rounded once (an int64 above 2^24 must not round through f64 first:
    /// `2^54 + 2^30 + 1` would round to even twice and land one ulp off NumPy).
    pub fn as_f32(self) -> f32 {
        match self {
            Scalar::Bool(b) => b as u8 as f32,
            Scalar::Int(i) => crate::semantics::i64_to_f32(i),
            Scalar::UInt(u) => crate::semantics::u64_to_f32(u),
            Scalar::Float(f) => f as f32,
        }
    }

    /// The value as i64 with NumPy's float->int conversion (truncation; NaN and out-of-range
    /// values give `i64::MIN`, as x86 NumPy does).
    pub fn as_i64(self) -> i64 {
        match self {
            Scalar::Bool(b) => b as i64,
            Scalar::Int(i) => i,
            Scalar::UInt(u) => u as i64,
            Scalar::Float(f) => float_to_i64(f),
        }
    }

    /// The value as u64 (wrapping for negative ints, like C).
    pub fn as_u64(self) -> u64 {
        match self {
            Scalar::Bool(b) => b as u64,
            Scalar::Int(i) => i as u64,
            Scalar::UInt(u) => u,
            Scalar::Float(f) => float_to_u64(f),
        }
    }

    /// True if nonzero.
    pub fn as_bool(self) -> bool {
        match self {
            Scalar::Bool(b) => b,
            Scalar::Int(i) => i != 0,
            Scalar::UInt(u) => u != 0,
            Scalar::Float(f) => f != 0.0,
        }
    }

    /// The kind of this value.
    pub fn kind(self) -> Kind {
        match self {
            Scalar::Bool(_) => Kind::Bool,
            Scalar::Int(_) | Scalar::UInt(_) => Kind::Int,
            Scalar::Float(_) => Kind::Float,
        }
    }

    /// Casts to `dtype` as NumPy's `astype` does: ints wrap, floats truncate toward zero,
    /// NaN and out-of-range floats give the target's minimum for signed types (x86 NumPy).
    pub fn cast(self, dtype: DType) -> Scalar {
        match dtype {
            DType::Bool => Scalar::Bool(self.as_bool()),
            DType::F64 => Scalar::Float(self.as_f64()),
            DType::F32 => Scalar::Float(self.as_f32() as f64),
            DType::I64 => Scalar::Int(self.as_i64()),
            DType::I32 => Scalar::Int(self.int_bits(32) as i32 as i64),
            DType::I16 => Scalar::Int(self.int_bits(32) as i16 as i64),
            DType::I8 => Scalar::Int(self.int_bits(32) as i8 as i64),
            DType::U64 => Scalar::UInt(self.as_u64()),
            DType::U32 => Scalar::UInt(match self {
                Scalar::Float(f) => float_to_u32(f) as u64,
                other => other.as_i64() as u32 as u64,
            }),
            DType::U16 => Scalar::UInt(self.int_bits(32) as u16 as u64),
            DType::U8 => Scalar::UInt(self.int_bits(32) as u8 as u64),
        }
    }

    /// Integer bits for casts to narrow ints: floats convert through a `bits`-wide signed int
    /// first (as C does on x86), ints wrap.
    fn int_bits(self, bits: u32) -> i64 {
        match self {
            Scalar::Float(f) if bits == 32 => float_to_i32(f) as i64,
            Scalar::Float(f) => float_to_i64(f),
            other => other.as_i64(),
        }
    }
}

pub(crate) use crate::semantics::{float_to_i32, float_to_i64, float_to_u32, float_to_u64};

macro_rules! impl_element {
    ($t:ty, $dt:ident, $variant:ident, $conv:ident) => {
        impl Element for $t {
            const DTYPE: DType = DType::$dt;
            fn to_scalar(self) -> Scalar {
                Scalar::$variant(self as _)
            }
            fn from_scalar(s: Scalar) -> Self {
                match s.cast(DType::$dt) {
                    Scalar::$variant(v) => v as $t,
                    other => other.$conv() as $t,
                }
            }
        }
    };
}
impl_element!(i8, I8, Int, as_i64);
impl_element!(i16, I16, Int, as_i64);
impl_element!(i32, I32, Int, as_i64);
impl_element!(i64, I64, Int, as_i64);
impl_element!(u8, U8, UInt, as_u64);
impl_element!(u16, U16, UInt, as_u64);
impl_element!(u32, U32, UInt, as_u64);
impl_element!(u64, U64, UInt, as_u64);
impl_element!(f32, F32, Float, as_f64);
impl_element!(f64, F64, Float, as_f64);

impl Element for bool {
    const DTYPE: DType = DType::Bool;
    fn to_scalar(self) -> Scalar {
        Scalar::Bool(self)
    }
    fn from_scalar(s: Scalar) -> Self {
        s.as_bool()
    }
}

/// Runs `$body` with `$T` bound to the Rust element type of `$dtype`.
#[macro_export]
#[doc(hidden)]
macro_rules! with_dtype {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            $crate::DType::Bool => {
                type $T = bool;
                $body
            }
            $crate::DType::I8 => {
                type $T = i8;
                $body
            }
            $crate::DType::I16 => {
                type $T = i16;
                $body
            }
            $crate::DType::I32 => {
                type $T = i32;
                $body
            }
            $crate::DType::I64 => {
                type $T = i64;
                $body
            }
            $crate::DType::U8 => {
                type $T = u8;
                $body
            }
            $crate::DType::U16 => {
                type $T = u16;
                $body
            }
            $crate::DType::U32 => {
                type $T = u32;
                $body
            }
            $crate::DType::U64 => {
                type $T = u64;
                $body
            }
            $crate::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::DType::F64 => {
                type $T = f64;
                $body
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promotion_table_matches_numpy() {
        use DType::*;
        let cases = [
            (Bool, I8, I8),
            (U8, I8, I16),
            (U16, I16, I32),
            (U32, I32, I64),
            (U64, I64, F64),
            (U8, I32, I32),
            (I8, F32, F32),
            (I16, F32, F32),
            (U16, F32, F32),
            (I32, F32, F64),
            (U32, F32, F64),
            (I64, F32, F64),
            (F32, F64, F64),
            (Bool, F32, F32),
            (U8, U32, U32),
        ];
        for (a, b, want) in cases {
            assert_eq!(promote(a, b), want, "{a} {b}");
            assert_eq!(promote(b, a), want, "{b} {a}");
        }
    }

    #[test]
    fn casts_follow_x86_numpy() {
        assert_eq!(
            Scalar::Float(f64::NAN).cast(DType::I64),
            Scalar::Int(i64::MIN)
        );
        assert_eq!(Scalar::Float(-1.7).cast(DType::I32), Scalar::Int(-1));
        assert_eq!(Scalar::Int(300).cast(DType::U8), Scalar::UInt(44));
        assert_eq!(Scalar::Int(-1).cast(DType::U16), Scalar::UInt(65535));
        // Float -> uint32/uint64 as NumPy 2.4 does on x86-64 (golden tests).
        let u32s: Vec<Scalar> = [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e10,
            -3e9,
            -1.5,
            3e9,
        ]
        .iter()
        .map(|&f| Scalar::Float(f).cast(DType::U32))
        .collect();
        let want = [
            1 << 31,
            0,
            1 << 31,
            0,
            1 << 31,
            u32::MAX as u64,
            3_000_000_000,
        ];
        assert_eq!(u32s, want.map(Scalar::UInt));
        let u64s: Vec<Scalar> = [
            f64::NAN,
            f64::INFINITY,
            1e300,
            18446744073709551616.0,
            9.3e18,
        ]
        .iter()
        .map(|&f| Scalar::Float(f).cast(DType::U64))
        .collect();
        let want = [1 << 63, 0, 0, 0, 9_300_000_000_000_000_000];
        assert_eq!(u64s, want.map(Scalar::UInt));
        assert_eq!(
            Scalar::Float(0.1).cast(DType::F32),
            Scalar::Float(0.1f32 as f64)
        );
    }
}
