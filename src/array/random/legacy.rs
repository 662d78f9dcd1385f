//! NumPy's legacy module-level API (`np.random.seed`, `np.random.rand`, ...): the same
//! [`Generator`] behind one global, lock-protected state, seeded from the OS until [`seed`]
//! is called. The state is shared by every thread; prefer [`default_rng`](super::default_rng)
//! in libraries and tests.

use super::Generator;
use crate::array::{Array, ok};
use crate::error::Result;
use crate::shape::Shape;
use std::sync::{Mutex, PoisonError};

static STATE: Mutex<Option<Generator>> = Mutex::new(None);

/// Runs `f` on the global generator (created from OS entropy on first use).
fn with_state<R>(f: impl FnOnce(&mut Generator) -> R) -> R {
    // The state stays valid even if a holder panicked: every draw completes or draws nothing.
    let mut state = STATE.lock().unwrap_or_else(PoisonError::into_inner);
    f(state.get_or_insert_with(Generator::from_os_rng))
}

/// `np.random.seed(s)`: resets the global state so later draws repeat.
///
/// ```
/// use lazynp::random;
/// random::seed(123);
/// let a = random::rand(3).to_vec::<f64>()?;
/// random::seed(123);
/// assert_eq!(random::rand(3).to_vec::<f64>()?, a);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub fn seed(s: u64) {
    with_state(|g| *g = super::default_rng(s));
}

/// `np.random.rand(d0, d1, ...)`: float64 uniform on `[0, 1)` of the given shape.
///
/// ```
/// assert_eq!(lazynp::random::rand([2, 5]).shape(), &[2, 5]);
/// ```
pub fn rand(shape: impl Into<Shape>) -> Array {
    let shape = shape.into();
    with_state(|g| g.random(shape))
}

/// `np.random.random(size)`: the same as [`rand`](fn@rand).
///
/// ```
/// assert_eq!(lazynp::random::random(4).dtype(), lazynp::DType::F64);
/// ```
pub fn random(shape: impl Into<Shape>) -> Array {
    rand(shape)
}

/// `np.random.randn(d0, d1, ...)`: float64 samples of N(0, 1).
///
/// ```
/// assert_eq!(lazynp::random::randn([3, 3]).shape(), &[3, 3]);
/// ```
pub fn randn(shape: impl Into<Shape>) -> Array {
    let shape = shape.into();
    with_state(|g| g.standard_normal(shape))
}

/// `np.random.normal(loc, scale, size)`; panics with "scale < 0" on a negative scale.
///
/// ```
/// let x = lazynp::random::normal(1.0, 2.0, 8);
/// assert_eq!(x.shape(), &[8]);
/// ```
#[track_caller]
pub fn normal(loc: f64, scale: f64, shape: impl Into<Shape>) -> Array {
    let shape = shape.into();
    ok(with_state(|g| g.try_normal(loc, scale, shape)))
}

/// `np.random.uniform(low, high, size)`: float64 uniform on `[low, high)`; panics if the
/// range is negative or not finite.
///
/// ```
/// let x = lazynp::random::uniform(2.0, 3.0, 5);
/// assert!(x.to_vec::<f64>()?.iter().all(|&v| (2.0..3.0).contains(&v)));
/// # Ok::<(), lazynp::Error>(())
/// ```
#[track_caller]
pub fn uniform(low: f64, high: f64, shape: impl Into<Shape>) -> Array {
    let shape = shape.into();
    ok(with_state(|g| g.try_uniform(low, high, shape)))
}

/// `np.random.randint(low, high, size)`: int64 on `[low, high)`; panics with "low >= high"
/// on an empty range.
///
/// ```
/// let x = lazynp::random::randint(0, 3, [2, 2]);
/// assert!(x.to_vec::<i64>()?.iter().all(|&v| (0..3).contains(&v)));
/// # Ok::<(), lazynp::Error>(())
/// ```
#[track_caller]
pub fn randint(low: i64, high: i64, shape: impl Into<Shape>) -> Array {
    let shape = shape.into();
    ok(with_state(|g| g.try_integers(low, high, shape)))
}

/// `np.random.permutation(n)`: `0..n` (int64) in random order.
///
/// ```
/// assert_eq!(lazynp::random::permutation(4).shape(), &[4]);
/// ```
pub fn permutation(n: usize) -> Array {
    with_state(|g| g.permutation(n))
}

/// `np.random.shuffle(x)`: rebinds `x` to `x` with its first axis shuffled (see
/// [`Generator::shuffle`]); panics on a 0-d array.
///
/// ```
/// let mut x = lazynp::arange(0i64, 3, 1);
/// lazynp::random::shuffle(&mut x);
/// assert_eq!(x.shape(), &[3]);
/// ```
#[track_caller]
pub fn shuffle(x: &mut Array) {
    *x = ok(with_state(|g| g.permutation_of(x)));
}

/// `np.random.choice(n, size, replace)`: int64 samples of `0..n`.
///
/// ```
/// let c = lazynp::random::choice(10, 3, false);
/// assert_eq!(c.shape(), &[3]);
/// ```
#[track_caller]
pub fn choice(n: usize, size: impl Into<Shape>, replace: bool) -> Array {
    let size = size.into();
    ok(with_state(|g| -> Result<Array> {
        g.try_choice(n, size, replace)
    }))
}
