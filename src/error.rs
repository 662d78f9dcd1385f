//! The one error type. Messages follow NumPy's wording and name the shapes involved.

use crate::dtype::DType;
use crate::shape::tuple;

/// Everything that can go wrong in lazynp.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// Shapes that cannot be broadcast together.
    #[error("operands could not be broadcast together with shapes {}", fmt_shapes(.shapes))]
    Broadcast {
        /// The operand shapes.
        shapes: Vec<Vec<usize>>,
    },
    /// `broadcast_to` with an incompatible target.
    #[error(
        "operands could not be broadcast together with remapped shapes [original->remapped]: {} and requested shape {}",
        tuple(.from, ","),
        tuple(.to, ",")
    )]
    BroadcastTo {
        /// The array's shape.
        from: Vec<usize>,
        /// The requested shape.
        to: Vec<usize>,
    },
    /// An axis outside `[-ndim, ndim)`.
    #[error("axis {axis} is out of bounds for array of dimension {ndim}")]
    AxisOutOfBounds {
        /// The axis given.
        axis: isize,
        /// The array's number of dimensions.
        ndim: usize,
    },
    /// An axis given twice.
    #[error("repeated axis")]
    RepeatedAxis,
    /// A reshape to a different number of elements.
    #[error("cannot reshape array of size {size} into shape {}", fmt_reshape(.shape))]
    Reshape {
        /// Number of elements.
        size: usize,
        /// Requested shape, `-1` for an inferred dimension.
        shape: Vec<isize>,
    },
    /// Data of the wrong length for a shape.
    #[error("data of length {len} does not fit shape {}", tuple(.shape, ", "))]
    DataLength {
        /// Length of the data.
        len: usize,
        /// The shape.
        shape: Vec<usize>,
    },
    /// Matmul dimension mismatch, worded as NumPy's.
    #[error(
        "matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc signature (n?,k),(k,m?)->(n?,m?) (size {k2} is different from {k1})"
    )]
    Matmul {
        /// Inner dimension of the left operand.
        k1: usize,
        /// Inner dimension of the right operand.
        k2: usize,
    },
    /// `dot` dimension mismatch.
    #[error("shapes {} and {} not aligned: {k1} (dim {d1}) != {k2} (dim {d2})", tuple(.lhs, ","), tuple(.rhs, ","))]
    DotAligned {
        /// Left shape.
        lhs: Vec<usize>,
        /// Right shape.
        rhs: Vec<usize>,
        /// Left contracted extent.
        k1: usize,
        /// Its dimension.
        d1: usize,
        /// Right contracted extent.
        k2: usize,
        /// Its dimension.
        d2: usize,
    },
    /// A 0-d operand where an operation needs at least one dimension.
    #[error("{op}: {msg}")]
    Invalid {
        /// The operation.
        op: &'static str,
        /// What is wrong.
        msg: String,
    },
    /// A dtype the operation does not accept.
    #[error("ufunc '{op}' not supported for the input types ({dtype})")]
    UnsupportedDType {
        /// The operation.
        op: &'static str,
        /// The offending dtype.
        dtype: DType,
    },
    /// `to_vec::<T>()` on an array of another dtype.
    #[error("dtype mismatch: array is {actual}, requested {requested}")]
    DTypeMismatch {
        /// The array's dtype.
        actual: DType,
        /// The requested element type's dtype.
        requested: DType,
    },
    /// A gather index outside the axis.
    #[error("index {index} is out of bounds for axis {axis} with size {size}")]
    IndexOutOfBounds {
        /// The offending index (wide enough for any `i64` or `u64` index).
        index: i128,
        /// The axis.
        axis: usize,
        /// Its extent.
        size: usize,
    },
    /// Reduction of an empty array by an operation with no identity.
    #[error("zero-size array to reduction operation {op} which has no identity")]
    EmptyReduction {
        /// `maximum`, `minimum`, `argmax`, `argmin`.
        op: &'static str,
    },
    /// `item()` on an array with more than one element.
    #[error("can only convert an array of size 1 to a Python scalar")]
    NotScalar,
    /// A singular matrix in `inv`.
    #[error("Singular matrix")]
    SingularMatrix,
    /// A bad or hostile `.npy`/`.npz` file.
    #[error("invalid npy/npz data: {0}")]
    Format(String),
    /// An I/O failure.
    #[error("I/O error: {0}")]
    Io(String),
    /// A shape whose element count or byte size does not fit in `isize` (NumPy's wording).
    #[error(
        "array is too big; `arr.size * arr.dtype.itemsize` is larger than the maximum possible size (shape {}, itemsize {itemsize})",
        tuple(.shape, ", ")
    )]
    TooBig {
        /// The requested shape.
        shape: Vec<usize>,
        /// Bytes per element.
        itemsize: usize,
    },
    /// More dimensions than NumPy supports ([`crate::shape::MAX_DIMS`]).
    #[error("maximum supported dimension for an ndarray is currently 64, found {ndim}")]
    TooManyDims {
        /// The requested number of dimensions.
        ndim: usize,
    },
    /// An allocation the system refused (NumPy's `ArrayMemoryError`).
    #[error("Unable to allocate {} for an array buffer ({bytes} bytes requested)", fmt_bytes(*.bytes))]
    OutOfMemory {
        /// Bytes requested.
        bytes: usize,
    },
    /// An integer raised to a negative integer power.
    #[error("Integers to negative integer powers are not allowed.")]
    NegativeIntegerPower,
    /// A JIT compilation failure (a bug: please report it with `LAZYNP_DEBUG=5`).
    #[error("JIT compilation failed: {0}")]
    Compile(String),
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e.to_string())
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn fmt_shapes(shapes: &[Vec<usize>]) -> String {
    let parts: Vec<String> = shapes.iter().map(|s| tuple(s, ",")).collect();
    parts.join(" ")
}

fn fmt_reshape(shape: &[isize]) -> String {
    match shape {
        [d] => format!("({d},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// NumPy's human-readable byte count (`8.00 TiB`).
fn fmt_bytes(bytes: usize) -> String {
    const UNITS: [&str; 7] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{v:.2} {}", UNITS[u])
    }
}
