//! The library GEMM backend against a naive f64-accumulating reference, on every stride kind.
//!
//! Tolerance: each output is a K-term dot product. Any summation order (blocked, FMA, SIMD
//! lanes) of K products in precision `eps` has error at most `γ_K · Σ|a_ip·b_pj|` with
//! `γ_K = K·eps / (1 - K·eps) ≈ K·eps` (Higham, Accuracy and Stability, §3.1); the reference,
//! accumulated in f64 from the same inputs, is exact to far below that for f32 and within it for
//! f64. So we allow `2·K·eps·Σ|a·b|`: the bound scales with K and with the magnitudes actually
//! summed, never a fixed absolute number, and a wrong element or a missing term (≥ one |a·b|)
//! fails it.

use lazynp::runtime::gemm_lib::{
    Throughput, lib_gemm_f32, lib_gemm_f64, measure_fma_peak_f32, measured,
};
use lazynp::runtime::mat::{Epilogue, MatMut, MatRef};
use lazynp::{DType, Error, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::atomic::{AtomicU32, Ordering};

trait Float: Copy + PartialEq + std::fmt::Debug + Send + Sync + 'static {
    const EPS: f64;
    const NAN: Self;
    fn of(x: f64) -> Self;
    fn get(self) -> f64;
    fn bits(self) -> u64;
    /// # Safety
    /// As `lib_gemm_f*`.
    unsafe fn gemm(
        a: MatRef<Self>,
        b: MatRef<Self>,
        c: MatMut<Self>,
        t: usize,
        e: Option<Epilogue>,
    ) -> Result<()>;
}

impl Float for f32 {
    const EPS: f64 = f32::EPSILON as f64;
    const NAN: Self = f32::NAN;
    fn of(x: f64) -> Self {
        x as f32
    }
    fn get(self) -> f64 {
        self as f64
    }
    fn bits(self) -> u64 {
        self.to_bits() as u64
    }
    unsafe fn gemm(
        a: MatRef<f32>,
        b: MatRef<f32>,
        c: MatMut<f32>,
        t: usize,
        e: Option<Epilogue>,
    ) -> Result<()> {
        // SAFETY: forwarded.
        unsafe { lib_gemm_f32(a, b, c, t, e) }
    }
}

impl Float for f64 {
    const EPS: f64 = f64::EPSILON;
    const NAN: Self = f64::NAN;
    fn of(x: f64) -> Self {
        x
    }
    fn get(self) -> f64 {
        self
    }
    fn bits(self) -> u64 {
        self.to_bits()
    }
    unsafe fn gemm(
        a: MatRef<f64>,
        b: MatRef<f64>,
        c: MatMut<f64>,
        t: usize,
        e: Option<Epilogue>,
    ) -> Result<()> {
        // SAFETY: forwarded.
        unsafe { lib_gemm_f64(a, b, c, t, e) }
    }
}

/// A strided matrix owning its storage: element (i, j) at `base + i*rs + j*cs`.
struct Strided<T> {
    data: Vec<T>,
    base: usize,
    rows: usize,
    cols: usize,
    rs: isize,
    cs: isize,
}

impl<T: Float> Strided<T> {
    /// Random values in [-1, 1) laid out with the given strides (any sign, or 0).
    fn new(rows: usize, cols: usize, rs: isize, cs: isize, rng: &mut StdRng) -> Self {
        let (r, c) = (
            rows.saturating_sub(1) as isize,
            cols.saturating_sub(1) as isize,
        );
        let corners = [0, r * rs, c * cs, r * rs + c * cs];
        let (lo, hi) = (
            *corners.iter().min().unwrap(),
            *corners.iter().max().unwrap(),
        );
        let len = if rows == 0 || cols == 0 {
            0
        } else {
            (hi - lo + 1) as usize
        };
        let data = (0..len)
            .map(|_| T::of(rng.random_range(-1.0..1.0)))
            .collect();
        Strided {
            data,
            base: (-lo) as usize,
            rows,
            cols,
            rs,
            cs,
        }
    }
    fn at(&self, i: usize, j: usize) -> f64 {
        let off = self.base as isize + i as isize * self.rs + j as isize * self.cs;
        self.data[off as usize].get()
    }
    fn view(&self) -> MatRef<T> {
        MatRef {
            ptr: self.data.as_ptr().wrapping_add(self.base),
            rows: self.rows,
            cols: self.cols,
            rs: self.rs,
            cs: self.cs,
        }
    }
}

/// The stride kinds tested, for a rows×cols matrix: name and (rs, cs).
fn layouts(rows: usize, cols: usize) -> Vec<(&'static str, isize, isize)> {
    let (r, c) = (rows as isize, cols as isize);
    vec![
        ("row-major", c, 1),
        ("col-major (transposed)", 1, r),
        ("sliced", 2 * c + 3, 2),
        ("sliced transposed", 3, 3 * r + 1),
        ("negative rows", -c, 1),
        ("negative cols", c, -1),
        ("negative both, transposed", -1, -r),
        ("zero row stride", 0, 1),
        ("zero col stride", 1, 0),
        ("zero both", 0, 0),
    ]
}

/// Run C = A·B with C padded (ld = n + 3, NaN-filled) and check every element against the f64
/// reference, and that the padding is untouched.
fn check<T: Float>(a: &Strided<T>, b: &Strided<T>, threads: usize, what: &str) -> Vec<T> {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    let ld = n + 3;
    let mut c = vec![T::NAN; m * ld];
    let out = MatMut {
        ptr: c.as_mut_ptr(),
        rows: m,
        cols: n,
        ld,
    };
    // SAFETY: A and B views lie inside their storage; C holds m*ld elements.
    unsafe { T::gemm(a.view(), b.view(), out, threads, None) }.unwrap();
    for i in 0..m {
        for j in 0..n {
            let (mut exact, mut mag) = (0.0f64, 0.0f64);
            for p in 0..k {
                let prod = a.at(i, p) * b.at(p, j);
                exact += prod;
                mag += prod.abs();
            }
            let got = c[i * ld + j].get();
            let tol = 2.0 * k as f64 * T::EPS * mag;
            assert!(
                (got - exact).abs() <= tol,
                "{what}: {m}x{k}x{n} C[{i},{j}] = {got}, want {exact} (tol {tol})"
            );
        }
        for j in n..ld {
            assert!(
                c[i * ld + j].get().is_nan(),
                "{what}: padding C[{i},{j}] written"
            );
        }
    }
    c
}

fn all_layouts<T: Float>(m: usize, k: usize, n: usize, rng: &mut StdRng) {
    for (an, ars, acs) in layouts(m, k) {
        for (bn, brs, bcs) in layouts(k, n) {
            let a = Strided::<T>::new(m, k, ars, acs, rng);
            let b = Strided::<T>::new(k, n, brs, bcs, rng);
            check(&a, &b, 2, &format!("A {an}, B {bn}"));
        }
    }
}

#[test]
fn every_stride_kind_on_edge_shapes() {
    let mut rng = StdRng::seed_from_u64(7);
    for &(m, k, n) in &[
        (0, 3, 4),
        (3, 0, 4),
        (3, 4, 0),
        (1, 1, 1),
        (1, 17, 1),
        (1, 9, 13),
        (13, 9, 1),
        (2, 2, 2),
        (5, 7, 3),
        (17, 33, 9),
        (65, 3, 65),
        (65, 65, 65),
        (70, 80, 90), // above the one-tile threshold: tiled and threaded
    ] {
        all_layouts::<f32>(m, k, n, &mut rng);
        all_layouts::<f64>(m, k, n, &mut rng);
    }
}

#[test]
fn random_shapes_match_reference() {
    let seed = 20_240_611u64;
    println!("seed {seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let dims = [0usize, 1, 2, 3, 7, 16, 31, 64, 65, 100, 129, 257];
    for case in 0..40 {
        let pick = |rng: &mut StdRng| dims[rng.random_range(0..dims.len())];
        let (m, k, n) = (pick(&mut rng), pick(&mut rng), pick(&mut rng));
        let kinds_a = layouts(m, k);
        let kinds_b = layouts(k, n);
        let (an, ars, acs) = kinds_a[rng.random_range(0..kinds_a.len())];
        let (bn, brs, bcs) = kinds_b[rng.random_range(0..kinds_b.len())];
        let threads = rng.random_range(1..4);
        let what = format!("case {case} A {an} B {bn} threads {threads}");
        if case % 2 == 0 {
            let a = Strided::<f32>::new(m, k, ars, acs, &mut rng);
            let b = Strided::<f32>::new(k, n, brs, bcs, &mut rng);
            check(&a, &b, threads, &what);
        } else {
            let a = Strided::<f64>::new(m, k, ars, acs, &mut rng);
            let b = Strided::<f64>::new(k, n, brs, bcs, &mut rng);
            check(&a, &b, threads, &what);
        }
    }
}

#[test]
fn large_and_wide_products_match_reference() {
    let mut rng = StdRng::seed_from_u64(3);
    // 257^3: many row tiles; 40×1100: column tiles (C wider than one tile).
    for &(m, k, n) in &[(257, 257, 257), (40, 50, 1100), (300, 3, 2049)] {
        let a = Strided::<f32>::new(m, k, k as isize, 1, &mut rng);
        let b = Strided::<f32>::new(k, n, 1, k as isize, &mut rng);
        check(&a, &b, 2, "f32 large");
        let a = Strided::<f64>::new(m, k, -(k as isize), 1, &mut rng);
        let b = Strided::<f64>::new(k, n, n as isize, 1, &mut rng);
        check(&a, &b, 3, "f64 large");
    }
}

fn bits_for_threads<T: Float>(m: usize, k: usize, n: usize, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let a = Strided::<T>::new(m, k, k as isize, 1, &mut rng);
    let b = Strided::<T>::new(k, n, 1, k as isize, &mut rng);
    let one: Vec<u64> = check(&a, &b, 1, "1 thread")
        .iter()
        .map(|x| x.bits())
        .collect();
    for t in [2, 3, 8] {
        let many: Vec<u64> = check(&a, &b, t, "N threads")
            .iter()
            .map(|x| x.bits())
            .collect();
        assert!(one == many, "{m}x{k}x{n}: {t} threads differ from 1 thread");
    }
}

#[test]
fn bit_identical_for_1_2_3_threads() {
    // K large enough for several depth blocks inside the library (kc ≥ 512), shapes that tile
    // by rows, by columns, and ragged.
    bits_for_threads::<f32>(300, 1100, 70, 1);
    bits_for_threads::<f64>(300, 1100, 70, 2);
    bits_for_threads::<f32>(33, 600, 1500, 3);
    bits_for_threads::<f64>(129, 257, 65, 4);
}

/// A pointer that the epilogue closures can share (they touch disjoint tiles).
struct SyncPtr<T>(*mut T);
// SAFETY: used only to write disjoint tiles from the epilogue, per the Epilogue contract.
unsafe impl<T> Sync for SyncPtr<T> {}
impl<T> SyncPtr<T> {
    /// A method, so closures capture the whole (Sync) wrapper, not the raw field.
    fn get(&self) -> *mut T {
        self.0
    }
}

#[test]
fn epilogue_covers_each_element_once_after_it_is_final() {
    let mut rng = StdRng::seed_from_u64(11);
    // A column-major (one library call per tile) and row-major (tiles computed as several
    // column panels, the epilogue after the last one): (600, 520, 200) has 64-column panels.
    for &(m, k, n, threads, a_row_major) in &[
        (0, 4, 5, 2, false),
        (5, 0, 7, 2, false),
        (3, 4, 5, 1, false),
        (257, 65, 129, 2, false),
        (70, 90, 1500, 3, false),
        (1000, 20, 30, 2, false),
        (257, 65, 129, 2, true),
        (600, 520, 200, 2, true),
        (70, 90, 1500, 3, true),
    ] {
        let a = if a_row_major {
            Strided::<f32>::new(m, k, k as isize, 1, &mut rng)
        } else {
            Strided::<f32>::new(m, k, 1, m as isize, &mut rng)
        };
        let b = Strided::<f32>::new(k, n, n as isize, 1, &mut rng);
        let bias: Vec<f32> = (0..n).map(|j| (j % 5) as f32 * 0.1 - 0.2).collect();
        let ld = n + 1;
        let mut c = vec![f32::NAN; m * ld];
        let hits: Vec<AtomicU32> = (0..m * n).map(|_| AtomicU32::new(0)).collect();
        let cp = SyncPtr(c.as_mut_ptr());
        let epi = |r0: usize, r1: usize, c0: usize, c1: usize| {
            for i in r0..r1 {
                for j in c0..c1 {
                    hits[i * n + j].fetch_add(1, Ordering::Relaxed);
                    // SAFETY: (i, j) is inside this tile of C, which only this call touches.
                    unsafe {
                        let x = cp.get().add(i * ld + j);
                        *x = (*x + bias[j]).max(0.0);
                    }
                }
            }
        };
        let out = MatMut {
            ptr: c.as_mut_ptr(),
            rows: m,
            cols: n,
            ld,
        };
        // SAFETY: views inside their storage; C holds m*ld elements.
        unsafe { lib_gemm_f32(a.view(), b.view(), out, threads, Some(&epi)) }.unwrap();
        for (e, h) in hits.iter().enumerate() {
            assert_eq!(
                h.load(Ordering::Relaxed),
                1,
                "{m}x{k}x{n}: element {e} hit count"
            );
        }
        for i in 0..m {
            for j in 0..n {
                let (mut exact, mut mag) = (0.0f64, 0.0f64);
                for p in 0..k {
                    exact += a.at(i, p) * b.at(p, j);
                    mag += (a.at(i, p) * b.at(p, j)).abs();
                }
                let want = (exact + bias[j] as f64).max(0.0);
                let tol = 2.0 * (k + 1) as f64 * f32::EPSILON as f64 * (mag + 0.2);
                let got = c[i * ld + j] as f64;
                assert!(
                    (got - want).abs() <= tol,
                    "{m}x{k}x{n} [{i},{j}] {got} vs {want}"
                );
            }
        }
    }
}

#[test]
fn shape_errors() {
    let x = [1.0f64; 12];
    let a = MatRef {
        ptr: x.as_ptr(),
        rows: 3,
        cols: 4,
        rs: 4,
        cs: 1,
    };
    let b = MatRef {
        ptr: x.as_ptr(),
        rows: 3,
        cols: 4,
        rs: 4,
        cs: 1,
    };
    let mut y = [0.0f64; 16];
    let out = MatMut {
        ptr: y.as_mut_ptr(),
        rows: 3,
        cols: 4,
        ld: 4,
    };
    // SAFETY: rejected before any access.
    let e = unsafe { lib_gemm_f64(a, b, out, 1, None) }.unwrap_err();
    assert_eq!(e, Error::Matmul { k1: 4, k2: 3 });
    let b = MatRef {
        ptr: x.as_ptr(),
        rows: 4,
        cols: 3,
        rs: 3,
        cs: 1,
    };
    // SAFETY: rejected before any access (C is 3×4, the product is 3×3).
    let e = unsafe { lib_gemm_f64(a, b, out, 1, None) }.unwrap_err();
    assert!(matches!(e, Error::Invalid { .. }), "{e:?}");
    let out = MatMut {
        ptr: y.as_mut_ptr(),
        rows: 3,
        cols: 3,
        ld: 2,
    };
    // SAFETY: rejected before any access (ld < cols).
    let e = unsafe { lib_gemm_f64(a, b, out, 1, None) }.unwrap_err();
    assert!(matches!(e, Error::Invalid { .. }), "{e:?}");
    assert!(y.iter().all(|&v| v == 0.0));
}

#[test]
fn single_row_output_with_zero_ld() {
    let x = [1.0f32, 2.0, 3.0]; // 1×3
    let w = [1.0f32, 0.0, 2.0, 1.0, 0.5, 3.0]; // 3×2 row-major
    let mut y = [0.0f32; 2];
    let a = MatRef {
        ptr: x.as_ptr(),
        rows: 1,
        cols: 3,
        rs: 0,
        cs: 1,
    };
    let b = MatRef {
        ptr: w.as_ptr(),
        rows: 3,
        cols: 2,
        rs: 2,
        cs: 1,
    };
    let out = MatMut {
        ptr: y.as_mut_ptr(),
        rows: 1,
        cols: 2,
        ld: 0,
    };
    // SAFETY: all views inside their arrays; with one row, ld is never used to address.
    unsafe { lib_gemm_f32(a, b, out, 2, None) }.unwrap();
    assert_eq!(y, [1.0 + 4.0 + 1.5, 0.0 + 2.0 + 9.0]);
}

#[test]
fn throughput_is_measured_once_and_plausible() {
    let t: &Throughput = measured();
    for (name, v) in [
        ("f32 small", t.f32_small_gflops),
        ("f32 medium", t.f32_medium_gflops),
        ("f64 small", t.f64_small_gflops),
        ("f64 medium", t.f64_medium_gflops),
        ("copy", t.copy_gbps),
    ] {
        assert!(v.is_finite() && v > 0.01 && v < 1e5, "{name}: {v}");
    }
    assert!(t.call_overhead_s > 0.0 && t.call_overhead_s < 1e-2);
    assert!(std::ptr::eq(t, measured()));
    // The prediction grows with the work and is at least the overhead.
    let small = t.gemm_seconds(DType::F64, 4, 4, 4);
    let big = t.gemm_seconds(DType::F64, 256, 256, 256);
    assert!(small >= t.call_overhead_s && big > small);
    let peak = measure_fma_peak_f32();
    assert!(peak.is_finite() && peak > 0.1, "fma peak {peak}");
}
