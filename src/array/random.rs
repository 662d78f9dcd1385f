//! Random numbers, NumPy style: a seedable [`Generator`] ([`default_rng`]) and the legacy
//! module-level functions ([`seed`], [`rand`](fn@rand), [`randn`], [`randint`], ...) on a global state.
//!
//! Numbers are drawn eagerly on the host, as NumPy does, and returned as data leaves; the
//! graph only starts at the arrays they produce. The stream is ChaCha12 (`rand`'s `StdRng`),
//! normals come from `rand_distr`'s ziggurat: reproducible for a given seed and lazynp
//! version, but not bit-identical to NumPy's PCG64.
//!
//! ```
//! use lazynp as np;
//! let mut rng = np::random::default_rng(42);
//! let w = rng.normal(0.0, 0.1, [3, 2]);
//! let x = rng.random([4, 3]);
//! assert_eq!(x.matmul(&w).shape(), &[4, 2]);
//! assert_eq!(np::random::default_rng(42).normal(0.0, 0.1, [3, 2]).to_vec::<f64>()?,
//!            w.to_vec::<f64>()?);
//! # Ok::<(), np::Error>(())
//! ```

mod legacy;

pub use legacy::{
    choice, normal, permutation, rand, randint, randn, random, seed, shuffle, uniform,
};

use super::{Array, ok};
use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use crate::runtime::Buffer;
use crate::shape::{Shape, normalize_axis};
use ::rand::rngs::StdRng;
use ::rand::seq::SliceRandom;
use ::rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

/// NumPy's `np.random.default_rng(seed)`: a [`Generator`] whose stream depends only on `seed`.
///
/// ```
/// let a = lazynp::random::default_rng(7).integers(0, 10, 5);
/// let b = lazynp::random::default_rng(7).integers(0, 10, 5);
/// assert_eq!(a.to_vec::<i64>()?, b.to_vec::<i64>()?);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub fn default_rng(seed: u64) -> Generator {
    Generator {
        rng: StdRng::seed_from_u64(seed),
    }
}

/// A source of random arrays (NumPy's `np.random.Generator`). Every draw advances its state.
///
/// ```
/// let mut rng = lazynp::random::default_rng(0);
/// let a = rng.standard_normal(3);
/// let b = rng.standard_normal(3);
/// assert_ne!(a.to_vec::<f64>()?, b.to_vec::<f64>()?);
/// # Ok::<(), lazynp::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Generator {
    rng: StdRng,
}

/// A data leaf holding `v` with `shape` (the caller drew exactly `shape.size()` values).
fn leaf<T: Element>(v: &[T], shape: Shape) -> Array {
    Array::from_buffer(Buffer::from_slice(v), shape).expect("one value per element")
}

fn unsupported(op: &'static str, dtype: DType) -> Error {
    Error::Invalid {
        op,
        msg: format!("Unsupported dtype dtype('{dtype}') for {op}"),
    }
}

impl Generator {
    /// A generator seeded from the operating system (`np.random.default_rng()` without a
    /// seed), falling back to the clock if the OS has no entropy source.
    ///
    /// ```
    /// let x = lazynp::random::Generator::from_os_rng().random(2);
    /// assert_eq!(x.shape(), &[2]);
    /// ```
    pub fn from_os_rng() -> Generator {
        let rng = StdRng::try_from_os_rng().unwrap_or_else(|_| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            StdRng::seed_from_u64(nanos ^ u64::from(std::process::id()))
        });
        Generator { rng }
    }

    fn draw<T: Element>(&mut self, shape: Shape, mut f: impl FnMut(&mut StdRng) -> T) -> Array {
        let v: Vec<T> = (0..shape.size()).map(|_| f(&mut self.rng)).collect();
        leaf(&v, shape)
    }

    /// `rng.random(shape)`: float64 uniform on `[0, 1)` (53 random bits each).
    ///
    /// ```
    /// let x = lazynp::random::default_rng(1).random([2, 3]);
    /// assert_eq!((x.shape(), x.dtype()), (&[2usize, 3][..], lazynp::DType::F64));
    /// assert!(x.to_vec::<f64>()?.iter().all(|&v| (0.0..1.0).contains(&v)));
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    pub fn random(&mut self, shape: impl Into<Shape>) -> Array {
        self.draw(shape.into(), |r| r.random::<f64>())
    }

    /// `rng.random(shape, dtype=...)` for float32 or float64; panics on other dtypes.
    ///
    /// ```
    /// let x = lazynp::random::default_rng(1).random_dtype(4, lazynp::DType::F32);
    /// assert_eq!(x.dtype(), lazynp::DType::F32);
    /// ```
    #[track_caller]
    pub fn random_dtype(&mut self, shape: impl Into<Shape>, dtype: DType) -> Array {
        ok(self.try_random_dtype(shape, dtype))
    }

    /// Non-panicking [`Generator::random_dtype`].
    ///
    /// ```
    /// let e = lazynp::random::default_rng(1).try_random_dtype(4, lazynp::DType::I32);
    /// assert_eq!(e.unwrap_err().to_string(), "random: Unsupported dtype dtype('int32') for random");
    /// ```
    pub fn try_random_dtype(&mut self, shape: impl Into<Shape>, dtype: DType) -> Result<Array> {
        match dtype {
            DType::F64 => Ok(self.random(shape)),
            DType::F32 => Ok(self.draw(shape.into(), |r| r.random::<f32>())),
            _ => Err(unsupported("random", dtype)),
        }
    }

    /// `rng.uniform(low, high, shape)`: float64 uniform on `[low, high)`.
    /// Panics with NumPy's message if `high < low` or the range is not finite.
    ///
    /// ```
    /// let x = lazynp::random::default_rng(2).uniform(-1.0, 1.0, 100);
    /// assert!(x.to_vec::<f64>()?.iter().all(|&v| (-1.0..1.0).contains(&v)));
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    #[track_caller]
    pub fn uniform(&mut self, low: f64, high: f64, shape: impl Into<Shape>) -> Array {
        ok(self.try_uniform(low, high, shape))
    }

    /// Non-panicking [`Generator::uniform`].
    ///
    /// ```
    /// let e = lazynp::random::default_rng(2).try_uniform(1.0, 0.0, 3).unwrap_err();
    /// assert_eq!(e.to_string(), "uniform: high - low < 0");
    /// ```
    pub fn try_uniform(&mut self, low: f64, high: f64, shape: impl Into<Shape>) -> Result<Array> {
        let range = high - low;
        let msg = if range < 0.0 {
            "high - low < 0"
        } else if !range.is_finite() {
            "high - low range exceeds valid bounds"
        } else {
            return Ok(self.draw(shape.into(), |r| low + range * r.random::<f64>()));
        };
        Err(Error::Invalid {
            op: "uniform",
            msg: msg.into(),
        })
    }

    /// `rng.standard_normal(shape)`: float64 samples of N(0, 1).
    ///
    /// ```
    /// let z = lazynp::random::default_rng(3).standard_normal([1000]);
    /// assert!(z.mean(..).item::<f64>()?.abs() < 0.2);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    pub fn standard_normal(&mut self, shape: impl Into<Shape>) -> Array {
        self.draw(shape.into(), |r| -> f64 { StandardNormal.sample(r) })
    }

    /// `rng.standard_normal(shape, dtype=...)` for float32 or float64; panics on other dtypes.
    ///
    /// ```
    /// let z = lazynp::random::default_rng(3).standard_normal_dtype([2, 2], lazynp::DType::F32);
    /// assert_eq!(z.dtype(), lazynp::DType::F32);
    /// ```
    #[track_caller]
    pub fn standard_normal_dtype(&mut self, shape: impl Into<Shape>, dtype: DType) -> Array {
        ok(self.try_standard_normal_dtype(shape, dtype))
    }

    /// Non-panicking [`Generator::standard_normal_dtype`].
    ///
    /// ```
    /// let mut rng = lazynp::random::default_rng(3);
    /// assert!(rng.try_standard_normal_dtype(2, lazynp::DType::I64).is_err());
    /// ```
    pub fn try_standard_normal_dtype(
        &mut self,
        shape: impl Into<Shape>,
        dtype: DType,
    ) -> Result<Array> {
        match dtype {
            DType::F64 => Ok(self.standard_normal(shape)),
            DType::F32 => Ok(self.draw(shape.into(), |r| -> f32 { StandardNormal.sample(r) })),
            _ => Err(unsupported("standard_normal", dtype)),
        }
    }

    /// `rng.normal(loc, scale, shape)`: float64 samples of N(loc, scale²).
    /// Panics with "scale < 0" if `scale` is negative.
    ///
    /// ```
    /// let x = lazynp::random::default_rng(4).normal(10.0, 0.5, [2, 2]);
    /// assert!(x.to_vec::<f64>()?.iter().all(|&v| (5.0..15.0).contains(&v)));
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    #[track_caller]
    pub fn normal(&mut self, loc: f64, scale: f64, shape: impl Into<Shape>) -> Array {
        ok(self.try_normal(loc, scale, shape))
    }

    /// Non-panicking [`Generator::normal`].
    ///
    /// ```
    /// let e = lazynp::random::default_rng(4).try_normal(0.0, -1.0, 3).unwrap_err();
    /// assert_eq!(e.to_string(), "normal: scale < 0");
    /// ```
    pub fn try_normal(&mut self, loc: f64, scale: f64, shape: impl Into<Shape>) -> Result<Array> {
        if scale < 0.0 {
            return Err(Error::Invalid {
                op: "normal",
                msg: "scale < 0".into(),
            });
        }
        Ok(self.draw(shape.into(), |r| {
            let z: f64 = StandardNormal.sample(r);
            loc + scale * z
        }))
    }

    /// `rng.integers(low, high, shape)`: int64, uniform on `[low, high)` without modulo bias.
    /// Panics with "low >= high" on an empty range (unless no values are drawn, as NumPy).
    ///
    /// ```
    /// let d = lazynp::random::default_rng(5).integers(1, 7, 10);
    /// assert_eq!(d.dtype(), lazynp::DType::I64);
    /// assert!(d.to_vec::<i64>()?.iter().all(|&v| (1..7).contains(&v)));
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    #[track_caller]
    pub fn integers(&mut self, low: i64, high: i64, shape: impl Into<Shape>) -> Array {
        ok(self.try_integers(low, high, shape))
    }

    /// Non-panicking [`Generator::integers`].
    ///
    /// ```
    /// let e = lazynp::random::default_rng(5).try_integers(3, 3, 2).unwrap_err();
    /// assert_eq!(e.to_string(), "integers: low >= high");
    /// ```
    pub fn try_integers(&mut self, low: i64, high: i64, shape: impl Into<Shape>) -> Result<Array> {
        let shape = shape.into();
        if shape.size() == 0 {
            return Ok(leaf::<i64>(&[], shape));
        }
        if low >= high {
            return Err(Error::Invalid {
                op: "integers",
                msg: "low >= high".into(),
            });
        }
        Ok(self.draw(shape, |r| r.random_range(low..high)))
    }

    /// A random ordering of `0..n` as a host vector.
    fn perm_indices(&mut self, n: usize) -> Vec<i64> {
        let mut v: Vec<i64> = (0..n as i64).collect();
        v.shuffle(&mut self.rng);
        v
    }

    /// `rng.permutation(n)`: the int64 values `0..n` in random order.
    ///
    /// ```
    /// let mut p = lazynp::random::default_rng(6).permutation(5).to_vec::<i64>()?;
    /// p.sort();
    /// assert_eq!(p, vec![0, 1, 2, 3, 4]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    pub fn permutation(&mut self, n: usize) -> Array {
        let v = self.perm_indices(n);
        leaf(&v, Shape(vec![n]))
    }

    /// `rng.permutation(x)` for an array: `x` with its first axis shuffled. Lazy: the result is
    /// `x.take(perm, 0)`, nothing is evaluated. `Err` for a 0-d array.
    ///
    /// ```
    /// let x = lazynp::arange(0i64, 6, 1).reshape([3, 2]);
    /// let y = lazynp::random::default_rng(6).permutation_of(&x)?;
    /// let mut rows: Vec<Vec<i64>> = (0..3).map(|i| y.i(i).to_vec::<i64>()).collect::<Result<_, _>>()?;
    /// rows.sort();
    /// assert_eq!(rows, vec![vec![0, 1], vec![2, 3], vec![4, 5]]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    pub fn permutation_of(&mut self, x: &Array) -> Result<Array> {
        if x.ndim() == 0 {
            return Err(Error::AxisOutOfBounds { axis: 0, ndim: 0 });
        }
        let perm = self.permutation(x.shape()[0]);
        x.try_take(&perm, 0)
    }

    /// `rng.shuffle(x)`: shuffles the first axis. Arrays are immutable graph nodes, so this
    /// rebinds the handle `x` to the shuffled array (other clones keep the old order).
    /// Panics on a 0-d array.
    ///
    /// ```
    /// let mut x = lazynp::arange(0i64, 4, 1);
    /// lazynp::random::default_rng(8).shuffle(&mut x);
    /// let mut v = x.to_vec::<i64>()?;
    /// v.sort();
    /// assert_eq!(v, vec![0, 1, 2, 3]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    #[track_caller]
    pub fn shuffle(&mut self, x: &mut Array) {
        *x = ok(self.permutation_of(x));
    }

    /// `rng.permuted(x, axis)`: every 1-d slice along `axis` shuffled independently (`None`:
    /// all elements shuffled as one flat array, then given `x`'s shape). Evaluates `x` (a
    /// synchronisation point) and returns new data.
    ///
    /// ```
    /// let x = lazynp::arange(0i64, 6, 1).reshape([2, 3]);
    /// let y = lazynp::random::default_rng(9).permuted(&x, Some(1))?;
    /// let mut row = y.i(1).to_vec::<i64>()?;
    /// row.sort();
    /// assert_eq!(row, vec![3, 4, 5]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    pub fn permuted(&mut self, x: &Array, axis: Option<isize>) -> Result<Array> {
        let Some(axis) = axis else {
            let flat = self.permuted(&x.flatten(), Some(0))?;
            return flat.try_reshape(x.shape().to_vec());
        };
        let ax = normalize_axis(axis, x.ndim())?;
        // Move `axis` last so every lane is contiguous, shuffle the lanes, move it back.
        let mut order: Vec<usize> = (0..x.ndim()).filter(|&a| a != ax).collect();
        order.push(ax);
        let to_last: Vec<isize> = order.iter().map(|&a| a as isize).collect();
        let moved = x.try_transpose(&to_last)?;
        let src = moved.buffer()?;
        let (n, es) = (x.shape()[ax], x.dtype().size());
        let mut out = Buffer::zeroed(x.dtype(), x.size());
        let (from, to) = (src.as_bytes(), out.as_bytes_mut());
        for lane in 0..x.size().checked_div(n).unwrap_or(0) {
            let base = lane * n * es;
            let perm = self.perm_indices(n);
            for (j, &p) in perm.iter().enumerate() {
                let (d, s) = (base + j * es, base + p as usize * es);
                to[d..d + es].copy_from_slice(&from[s..s + es]);
            }
        }
        let shuffled = Array::from_buffer(out, moved.shape().to_vec())?;
        let mut back = vec![0isize; x.ndim()];
        for (i, &a) in order.iter().enumerate() {
            back[a] = i as isize;
        }
        shuffled.try_transpose(&back)
    }

    /// `rng.choice(n, size, replace)`: int64 samples from `0..n`, with or without
    /// replacement (without: distinct values in random order). Panics with NumPy's message
    /// on an impossible request.
    ///
    /// ```
    /// let c = lazynp::random::default_rng(10).choice(5, 5, false);
    /// let mut v = c.to_vec::<i64>()?;
    /// v.sort();
    /// assert_eq!(v, vec![0, 1, 2, 3, 4]);
    /// # Ok::<(), lazynp::Error>(())
    /// ```
    #[track_caller]
    pub fn choice(&mut self, n: usize, size: impl Into<Shape>, replace: bool) -> Array {
        ok(self.try_choice(n, size, replace))
    }

    /// Non-panicking [`Generator::choice`].
    ///
    /// ```
    /// let e = lazynp::random::default_rng(10).try_choice(3, 4, false).unwrap_err();
    /// assert_eq!(e.to_string(),
    ///            "choice: Cannot take a larger sample than population when replace is False");
    /// ```
    pub fn try_choice(&mut self, n: usize, size: impl Into<Shape>, replace: bool) -> Result<Array> {
        let shape = size.into();
        let k = shape.size();
        let invalid = |msg: &str| Error::Invalid {
            op: "choice",
            msg: msg.into(),
        };
        if n == 0 && k > 0 {
            return Err(invalid("a cannot be empty unless no samples are taken"));
        }
        if replace {
            return Ok(self.draw(shape, |r| r.random_range(0..n) as i64));
        }
        if k > n {
            return Err(invalid(
                "Cannot take a larger sample than population when replace is False",
            ));
        }
        // A uniform subset in uniformly random order is a uniform ordered sample.
        let mut v: Vec<i64> = ::rand::seq::index::sample(&mut self.rng, n, k)
            .iter()
            .map(|i| i as i64)
            .collect();
        v.shuffle(&mut self.rng);
        Ok(leaf(&v, shape))
    }
}
