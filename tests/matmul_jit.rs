//! The JIT GEMM and batched-small kernels against a naive f64-accumulating reference.
//!
//! Tolerance: with recursive summation each C element satisfies
//! `|c - exact| <= (K + 1) * u * sum_k |a_ik| |b_kj|` (u = eps/2: one rounding per product and per
//! addition, Higham 3.1), and the f64 reference is exact to far below that. We allow
//! `(K + 2) * eps * sum |a||b|`, twice the bound, so a blocked or reordered summation passes and a
//! wrong element (a missing or doubled term of size ~|a||b|) fails.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use lazynp::runtime::mat::{MatMut, MatRef, Prologue};
use lazynp::runtime::matmul::{Batch, GemmElement, batched_small, gemm, gemm_fused};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

trait Float: GemmElement {
    const EPS: f64;
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
}
impl Float for f32 {
    const EPS: f64 = f32::EPSILON as f64;
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
}
impl Float for f64 {
    const EPS: f64 = f64::EPSILON;
    fn from_f64(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
}

#[derive(Clone, Copy, Debug)]
enum Layout {
    RowMajor,
    ColMajor,
    /// Every other column of every third row of a bigger buffer.
    Strided,
    /// Reversed rows and columns (both strides negative).
    Negative,
    /// Row stride 0: every row is row 0.
    BroadcastRows,
}

/// A logical `rows x cols` matrix stored in `buf` with the given layout.
struct Stored<T> {
    vals: Vec<f64>,
    buf: Vec<T>,
    off: usize,
    rs: isize,
    cs: isize,
    rows: usize,
    cols: usize,
}

impl<T: Float> Stored<T> {
    fn new(rows: usize, cols: usize, layout: Layout, rng: &mut StdRng) -> Self {
        let mut vals: Vec<f64> = (0..rows * cols)
            .map(|_| T::from_f64(rng.random_range(-1.0..1.0)).to_f64())
            .collect();
        let (len, off, rs, cs): (usize, usize, isize, isize) = match layout {
            Layout::RowMajor => (rows * cols, 0, cols as isize, 1),
            Layout::ColMajor => (rows * cols, 0, 1, rows as isize),
            Layout::Strided => (
                3 * rows * (2 * cols + 1) + 1,
                1,
                3 * (2 * cols + 1) as isize,
                2,
            ),
            Layout::Negative => (
                rows * cols,
                (rows * cols).saturating_sub(1),
                -(cols as isize),
                -1,
            ),
            Layout::BroadcastRows => (cols, 0, 0, 1),
        };
        if let Layout::BroadcastRows = layout {
            for i in 1..rows {
                for j in 0..cols {
                    vals[i * cols + j] = vals[j];
                }
            }
        }
        let mut buf = vec![T::from_f64(f64::NAN); len.max(1)];
        for i in 0..rows {
            for j in 0..cols {
                let p = off as isize + i as isize * rs + j as isize * cs;
                buf[p as usize] = T::from_f64(vals[i * cols + j]);
            }
        }
        Stored {
            vals,
            buf,
            off,
            rs,
            cs,
            rows,
            cols,
        }
    }
    fn mat(&self) -> MatRef<T> {
        MatRef {
            ptr: self.buf.as_ptr().wrapping_add(self.off),
            rows: self.rows,
            cols: self.cols,
            rs: self.rs,
            cs: self.cs,
        }
    }
}

fn run<T: Float>(a: &Stored<T>, b: &Stored<T>, threads: usize) -> Vec<T> {
    let (m, n) = (a.rows, b.cols);
    let ld = n + 3;
    let mut c = vec![T::from_f64(f64::NAN); m * ld];
    let cm = MatMut {
        ptr: c.as_mut_ptr(),
        rows: m,
        cols: n,
        ld,
    };
    // SAFETY: all descriptors cover live buffers; C is separate.
    unsafe { gemm(a.mat(), b.mat(), cm, threads, None) }.unwrap();
    for i in 0..m {
        for j in n..ld {
            assert!(
                c[i * ld + j].to_f64().is_nan(),
                "padding column written at ({i}, {j})"
            );
        }
    }
    (0..m)
        .flat_map(|i| c[i * ld..i * ld + n].to_vec())
        .collect()
}

fn check<T: Float>(a: &Stored<T>, b: &Stored<T>, c: &[T], what: &str) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    for i in 0..m {
        for j in 0..n {
            let (mut exact, mut mag) = (0.0, 0.0);
            for p in 0..k {
                let t = a.vals[i * k + p] * b.vals[p * n + j];
                exact += t;
                mag += t.abs();
            }
            let got = c[i * n + j].to_f64();
            let tol = (k as f64 + 2.0) * T::EPS * mag;
            assert!(
                (got - exact).abs() <= tol,
                "{what} m={m} k={k} n={n} at ({i},{j}): {got} vs {exact} (tol {tol})"
            );
        }
    }
}

const SIZES: [(usize, usize, usize); 22] = [
    (0, 3, 4),
    (3, 0, 4),
    (3, 4, 0),
    (0, 0, 0),
    (1, 1, 1),
    (2, 3, 1),
    (1, 7, 9),
    (3, 2, 8),
    (7, 9, 17),
    (8, 8, 8),
    (9, 1, 31),
    (12, 17, 4),
    (13, 33, 5),
    (17, 31, 33),
    (31, 64, 7),
    (33, 65, 64),
    (64, 127, 65),
    (65, 129, 33),
    (127, 33, 127),
    (1, 257, 1),
    (257, 9, 3),
    (24, 257, 3),
];

fn sweep<T: Float>(seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    for &(m, k, n) in &SIZES {
        let a = Stored::<T>::new(m, k, Layout::RowMajor, &mut rng);
        let b = Stored::<T>::new(k, n, Layout::RowMajor, &mut rng);
        check(&a, &b, &run(&a, &b, 1), "row-major");
    }
}

#[test]
fn f32_sizes_against_reference() {
    sweep::<f32>(1);
}

#[test]
fn f64_sizes_against_reference() {
    sweep::<f64>(2);
}

#[test]
fn layouts_transposed_strided_negative_broadcast() {
    let layouts = [
        Layout::RowMajor,
        Layout::ColMajor,
        Layout::Strided,
        Layout::Negative,
        Layout::BroadcastRows,
    ];
    let mut rng = StdRng::seed_from_u64(3);
    for &(m, k, n) in &[(17, 31, 33), (33, 130, 9), (5, 3, 7)] {
        for la in layouts {
            for lb in layouts {
                let what = format!("{la:?} x {lb:?}");
                let a = Stored::<f32>::new(m, k, la, &mut rng);
                let b = Stored::<f32>::new(k, n, lb, &mut rng);
                check(&a, &b, &run(&a, &b, 1), &what);
                let a = Stored::<f64>::new(m, k, la, &mut rng);
                let b = Stored::<f64>::new(k, n, lb, &mut rng);
                check(&a, &b, &run(&a, &b, 2), &what);
            }
        }
    }
}

#[test]
fn k_zero_writes_zeros() {
    let mut c = vec![7.0f32; 6];
    let a = [1.0f32];
    let am = MatRef {
        ptr: a.as_ptr(),
        rows: 2,
        cols: 0,
        rs: 0,
        cs: 0,
    };
    let bm = MatRef {
        ptr: a.as_ptr(),
        rows: 0,
        cols: 3,
        rs: 0,
        cs: 0,
    };
    // SAFETY: no element of A or B is read; C is 2x3.
    unsafe {
        gemm(
            am,
            bm,
            MatMut {
                ptr: c.as_mut_ptr(),
                rows: 2,
                cols: 3,
                ld: 3,
            },
            2,
            None,
        )
    }
    .unwrap();
    assert_eq!(c, vec![0.0; 6]);
}

#[test]
fn shape_mismatch_is_an_error() {
    let a = [1.0f64; 6];
    let mut c = [0.0f64; 4];
    let am = MatRef {
        ptr: a.as_ptr(),
        rows: 2,
        cols: 3,
        rs: 3,
        cs: 1,
    };
    let bm = MatRef {
        ptr: a.as_ptr(),
        rows: 2,
        cols: 2,
        rs: 2,
        cs: 1,
    };
    let cm = MatMut {
        ptr: c.as_mut_ptr(),
        rows: 2,
        cols: 2,
        ld: 2,
    };
    // SAFETY: rejected before any access.
    let err = unsafe { gemm(am, bm, cm, 1, None) }.unwrap_err();
    assert_eq!(err, lazynp::Error::Matmul { k1: 3, k2: 2 });
    let bad_c = MatMut {
        ptr: c.as_mut_ptr(),
        rows: 2,
        cols: 2,
        ld: 1,
    };
    let at = MatRef {
        ptr: a.as_ptr(),
        rows: 3,
        cols: 2,
        rs: 2,
        cs: 1,
    };
    // SAFETY: rejected before any access.
    assert!(unsafe { gemm(am, at, bad_c, 1, None) }.is_err());
}

#[test]
fn bit_identical_for_any_thread_count() {
    let mut rng = StdRng::seed_from_u64(4);
    for &(m, k, n) in &[(257, 127, 257), (129, 300, 65), (20, 260, 700)] {
        let a = Stored::<f32>::new(m, k, Layout::RowMajor, &mut rng);
        let b = Stored::<f32>::new(k, n, Layout::ColMajor, &mut rng);
        let one = run(&a, &b, 1);
        check(&a, &b, &one, "1 thread");
        for t in [2, 3] {
            let many = run(&a, &b, t);
            let same = one
                .iter()
                .zip(&many)
                .all(|(x, y)| x.to_bits() == y.to_bits());
            assert!(same, "{m}x{k}x{n}: {t} threads differ from 1");
        }
        let a = Stored::<f64>::new(m, k, Layout::Strided, &mut rng);
        let b = Stored::<f64>::new(k, n, Layout::RowMajor, &mut rng);
        let one = run(&a, &b, 1);
        let three = run(&a, &b, 3);
        assert!(
            one.iter()
                .zip(&three)
                .all(|(x, y)| x.to_bits() == y.to_bits()),
            "f64 {m}x{k}x{n}"
        );
    }
}

struct SendPtr(*mut f32);
// SAFETY: the epilogue calls write disjoint blocks.
unsafe impl Sync for SendPtr {}
impl SendPtr {
    fn at(&self, i: usize) -> *mut f32 {
        self.0.wrapping_add(i)
    }
}

#[test]
fn epilogue_runs_once_per_element_after_the_last_panel() {
    let mut rng = StdRng::seed_from_u64(5);
    // K = 300 spans three KC panels; 300 x 1100 spans two NC panels and many MC blocks.
    let (m, k, n) = (300, 300, 1100);
    let a = Stored::<f32>::new(m, k, Layout::RowMajor, &mut rng);
    let b = Stored::<f32>::new(k, n, Layout::RowMajor, &mut rng);
    let plain = run(&a, &b, 1);
    for threads in [1, 2] {
        let mut c = vec![0.0f32; m * n];
        let counts: Vec<AtomicU32> = (0..m * n).map(|_| AtomicU32::new(0)).collect();
        let thread_ids = Mutex::new(HashSet::new());
        let cp = SendPtr(c.as_mut_ptr());
        let epi = |r0: usize, r1: usize, c0: usize, c1: usize| {
            thread_ids
                .lock()
                .unwrap()
                .insert(std::thread::current().id());
            for i in r0..r1 {
                for j in c0..c1 {
                    counts[i * n + j].fetch_add(1, Ordering::Relaxed);
                    // SAFETY: (i, j) is inside C and blocks are disjoint.
                    unsafe { *cp.at(i * n + j) = *cp.at(i * n + j) * 2.0 + 1.0 };
                }
            }
        };
        let cm = MatMut {
            ptr: c.as_mut_ptr(),
            rows: m,
            cols: n,
            ld: n,
        };
        // SAFETY: buffers are live and C is separate from A and B.
        unsafe { gemm(a.mat(), b.mat(), cm, threads, Some(&epi)) }.unwrap();
        assert!(
            counts.iter().all(|x| x.load(Ordering::Relaxed) == 1),
            "{threads} threads"
        );
        let want: Vec<f32> = plain.iter().map(|x| x * 2.0 + 1.0).collect();
        assert_eq!(
            c, want,
            "epilogue saw an unfinished block ({threads} threads)"
        );
        assert_eq!(
            thread_ids.lock().unwrap().len(),
            threads,
            "work split over {threads} threads"
        );
    }
}

#[test]
fn batched_small_against_reference() {
    batched_layout_case::<f32>(
        (100, 8, 8, 8),
        0,
        Layout::RowMajor,
        Layout::RowMajor,
        false,
        6,
    );
    batched_layout_case::<f32>(
        (20, 16, 16, 16),
        0,
        Layout::RowMajor,
        Layout::RowMajor,
        false,
        7,
    );
    batched_layout_case::<f32>(
        (30, 3, 5, 7),
        0,
        Layout::RowMajor,
        Layout::RowMajor,
        true,
        8,
    );
    batched_layout_case::<f32>(
        (10, 4, 6, 9),
        0,
        Layout::RowMajor,
        Layout::ColMajor,
        false,
        9,
    );
    batched_layout_case::<f64>(
        (50, 8, 8, 8),
        0,
        Layout::RowMajor,
        Layout::RowMajor,
        false,
        10,
    );
    batched_layout_case::<f64>(
        (5, 16, 16, 16),
        0,
        Layout::RowMajor,
        Layout::ColMajor,
        true,
        11,
    );
    batched_layout_case::<f64>(
        (7, 1, 1, 1),
        0,
        Layout::RowMajor,
        Layout::RowMajor,
        false,
        12,
    );
    // Register tiles: many column groups (m = 1), vector + scalar chunks, tall and wide C.
    batched_layout_case::<f32>(
        (9, 1, 4, 64),
        0,
        Layout::RowMajor,
        Layout::RowMajor,
        false,
        14,
    );
    batched_layout_case::<f32>(
        (6, 13, 7, 30),
        0,
        Layout::RowMajor,
        Layout::RowMajor,
        false,
        15,
    );
    batched_layout_case::<f64>(
        (8, 5, 3, 11),
        0,
        Layout::RowMajor,
        Layout::ColMajor,
        false,
        16,
    );
    batched_layout_case::<f32>(
        (4, 24, 8, 24),
        0,
        Layout::RowMajor,
        Layout::RowMajor,
        true,
        17,
    );
    batched_layout_case::<f64>(
        (4, 9, 16, 10),
        0,
        Layout::RowMajor,
        Layout::RowMajor,
        false,
        18,
    );
    // Too big to unroll: falls back to the packed GEMM per item.
    batched_layout_case::<f32>(
        (3, 40, 33, 40),
        0,
        Layout::RowMajor,
        Layout::RowMajor,
        false,
        13,
    );
}

/// `count` products with A and B items in any [`Layout`] (each item its own copy of the layout's
/// buffer, laid end to end, so the batch stride is that buffer's length; `b_shared`: one B at batch
/// stride 0), C with `ld = n + pad` and a guard item after the last: padding columns and the guard
/// must stay NaN.
fn batched_layout_case<T: Float>(
    (count, m, k, n): (usize, usize, usize, usize),
    pad: usize,
    la: Layout,
    lb: Layout,
    b_shared: bool,
    seed: u64,
) {
    let mut rng = StdRng::seed_from_u64(seed);
    let items_b = if b_shared { 1 } else { count };
    let av: Vec<Stored<T>> = (0..count)
        .map(|_| Stored::new(m, k, la, &mut rng))
        .collect();
    let bv: Vec<Stored<T>> = (0..items_b)
        .map(|_| Stored::new(k, n, lb, &mut rng))
        .collect();
    let (alen, blen) = (av[0].buf.len(), bv[0].buf.len());
    let abuf: Vec<T> = av.iter().flat_map(|s| s.buf.clone()).collect();
    let bbuf: Vec<T> = bv.iter().flat_map(|s| s.buf.clone()).collect();
    let ld = n + pad;
    let citem = m * ld;
    let mut cbuf = vec![T::from_f64(f64::NAN); (count + 1) * citem];
    let am = MatRef {
        ptr: abuf.as_ptr().wrapping_add(av[0].off),
        ..av[0].mat()
    };
    let bm = MatRef {
        ptr: bbuf.as_ptr().wrapping_add(bv[0].off),
        ..bv[0].mat()
    };
    let cm = MatMut {
        ptr: cbuf.as_mut_ptr(),
        rows: m,
        cols: n,
        ld,
    };
    let batch = Batch {
        count,
        a: alen as isize,
        b: if b_shared { 0 } else { blen as isize },
        c: citem as isize,
    };
    // SAFETY: count items of each operand lie in the buffers built above; C has a spare item.
    unsafe { batched_small(am, bm, cm, batch) }.unwrap();
    let what = format!("batched {count}x({m}x{k} . {k}x{n}) A {la:?} B {lb:?} shared {b_shared}");
    for t in 0..count {
        let bt = &bv[if b_shared { 0 } else { t }];
        let item = &cbuf[t * citem..(t + 1) * citem];
        for i in 0..m {
            for j in n..ld {
                assert!(
                    item[i * ld + j].to_f64().is_nan(),
                    "{what}: item {t} padding ({i}, {j}) written"
                );
            }
        }
        let packed: Vec<T> = (0..m)
            .flat_map(|i| item[i * ld..i * ld + n].to_vec())
            .collect();
        check(&av[t], bt, &packed, &format!("{what} item {t}"));
    }
    assert!(
        cbuf[count * citem..].iter().all(|x| x.to_f64().is_nan()),
        "{what}: written past the last item"
    );
}

/// Shapes and layouts of the AVX-512 path (`runtime::batched_simd`: n <= 16 f32 / 8 f64, B rows
/// contiguous) and just outside it; on other CPUs they run the Cranelift kernel.
#[test]
fn batched_small_simd_shapes() {
    use Layout::*;
    let shapes = [
        (37, 8, 8, 8),
        (5, 16, 16, 16),
        (3, 1, 1, 1),
        (7, 3, 5, 13),
        (4, 16, 7, 16),
        (2, 17, 4, 16),
        (3, 33, 5, 9),
        (2, 4, 3, 17),
    ];
    for (s, &shape) in shapes.iter().enumerate() {
        let seed = 100 + s as u64;
        batched_layout_case::<f32>(shape, 3, RowMajor, RowMajor, false, seed);
        batched_layout_case::<f32>(shape, 3, ColMajor, RowMajor, true, seed + 10);
        batched_layout_case::<f32>(shape, 3, Strided, RowMajor, false, seed + 20);
        batched_layout_case::<f32>(shape, 3, Negative, Negative, false, seed + 30);
        batched_layout_case::<f32>(shape, 3, BroadcastRows, BroadcastRows, true, seed + 40);
        batched_layout_case::<f32>(shape, 3, RowMajor, Strided, false, seed + 50);
        batched_layout_case::<f64>(shape, 3, RowMajor, RowMajor, false, seed + 60);
        batched_layout_case::<f64>(shape, 3, Strided, RowMajor, true, seed + 70);
        batched_layout_case::<f64>(shape, 3, ColMajor, ColMajor, false, seed + 80);
    }
    batched_layout_case::<f64>((6, 8, 8, 8), 3, Negative, RowMajor, false, 200);
    batched_layout_case::<f64>((3, 20, 3, 5), 3, RowMajor, RowMajor, false, 201);
}

/// Each item is computed by the same code whatever batch it is part of (the dispatch splits
/// batches over threads): a 10-item call gives the bits of ten 1-item calls. Square items, tall C
/// (row blocks), strided A, one B per item or a broadcast one, f32 and f64.
#[test]
fn batched_small_is_independent_of_batching() {
    fn go<T: Float>((m, k, n): (usize, usize, usize), la: Layout, b_shared: bool, seed: u64) {
        let count = 10;
        let mut rng = StdRng::seed_from_u64(seed);
        let av: Vec<Stored<T>> = (0..count)
            .map(|_| Stored::new(m, k, la, &mut rng))
            .collect();
        let bv: Vec<Stored<T>> = (0..if b_shared { 1 } else { count })
            .map(|_| Stored::new(k, n, Layout::RowMajor, &mut rng))
            .collect();
        let (alen, blen) = (av[0].buf.len(), bv[0].buf.len());
        let abuf: Vec<T> = av.iter().flat_map(|s| s.buf.clone()).collect();
        let bbuf: Vec<T> = bv.iter().flat_map(|s| s.buf.clone()).collect();
        let run = |first: usize, items: usize, c: &mut [T]| {
            let am = MatRef {
                ptr: abuf[first * alen + av[0].off..].as_ptr(),
                ..av[0].mat()
            };
            let bfirst = if b_shared { 0 } else { first };
            let bm = MatRef {
                ptr: bbuf[bfirst * blen..].as_ptr(),
                ..bv[0].mat()
            };
            let cm = MatMut {
                ptr: c[first * m * n..].as_mut_ptr(),
                rows: m,
                cols: n,
                ld: n,
            };
            let batch = Batch {
                count: items,
                a: alen as isize,
                b: if b_shared { 0 } else { blen as isize },
                c: (m * n) as isize,
            };
            // SAFETY: items first..first+items of A, B (or the one shared B) and C lie in the
            // buffers.
            unsafe { batched_small(am, bm, cm, batch) }.unwrap();
        };
        let mut whole = vec![T::from_f64(0.0); count * m * n];
        run(0, count, &mut whole);
        let mut single = vec![T::from_f64(1.0); count * m * n];
        for t in 0..count {
            run(t, 1, &mut single);
        }
        let bits = |v: &[T]| v.iter().map(|x| x.to_f64().to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&whole), bits(&single), "m={m} k={k} n={n} {la:?}");
    }
    go::<f32>((8, 8, 8), Layout::RowMajor, false, 19);
    go::<f32>((17, 4, 16), Layout::RowMajor, true, 301);
    go::<f32>((16, 16, 16), Layout::Strided, true, 302);
    go::<f32>((5, 9, 3), Layout::ColMajor, true, 303);
    go::<f64>((8, 8, 8), Layout::RowMajor, true, 304);
    go::<f64>((19, 6, 7), Layout::Negative, true, 305);
}

/// A prologue that copies block `(r0..r1, c0..c1)` of a stored matrix, counting the elements it
/// produces, so `gemm_fused` must give the bits `gemm` gives on the stored matrix.
fn copy_prologue<'a, T: Float>(
    m: &'a Stored<T>,
    produced: &'a AtomicU32,
) -> impl Fn(usize, usize, usize, usize, *mut u8, usize) + Sync + 'a {
    let src = m.mat();
    let base = src.ptr as usize;
    move |r0, r1, c0, c1, out, ld| {
        assert!(
            r0 < r1 && r1 <= src.rows && c0 < c1 && c1 <= src.cols,
            "block in range"
        );
        for i in r0..r1 {
            for j in c0..c1 {
                let p =
                    (base as *const T).wrapping_offset(i as isize * src.rs + j as isize * src.cs);
                // SAFETY: (i, j) is inside the stored matrix; `out` holds the block at stride ld.
                unsafe { *out.cast::<T>().add((i - r0) * ld + (j - c0)) = *p };
            }
        }
        produced.fetch_add(((r1 - r0) * (c1 - c0)) as u32, Ordering::Relaxed);
    }
}

#[test]
fn prologues_compute_operands_block_by_block() {
    let mut rng = StdRng::seed_from_u64(9);
    for &(m, k, n, t) in &[
        (1, 1, 1, 1),
        (13, 33, 5, 1),
        (97, 129, 131, 1),
        (200, 300, 1100, 2),
        (65, 257, 33, 3),
    ] {
        let a = Stored::<f32>::new(m, k, Layout::Strided, &mut rng);
        let b = Stored::<f32>::new(k, n, Layout::ColMajor, &mut rng);
        let want = run(&a, &b, 1);
        for which in 0..3 {
            let (na, nb) = (AtomicU32::new(0), AtomicU32::new(0));
            let fa = copy_prologue(&a, &na);
            let fb = copy_prologue(&b, &nb);
            let pa: Prologue = &fa;
            let pb: Prologue = &fb;
            let pro = match which {
                0 => [Some(pa), None],
                1 => [None, Some(pb)],
                _ => [Some(pa), Some(pb)],
            };
            let blind = |s: &Stored<f32>| MatRef {
                ptr: std::ptr::null::<f32>(),
                ..s.mat()
            };
            let (am, bm) = match which {
                0 => (blind(&a), b.mat()),
                1 => (a.mat(), blind(&b)),
                _ => (blind(&a), blind(&b)),
            };
            let mut c = vec![f32::NAN; m * n];
            let cm = MatMut {
                ptr: c.as_mut_ptr(),
                rows: m,
                cols: n,
                ld: n,
            };
            // SAFETY: operands without a prologue cover live buffers; the others are never read.
            unsafe { gemm_fused(am, bm, cm, t, None, pro) }.unwrap();
            let same = c.iter().zip(&want).all(|(x, y)| x.to_bits() == y.to_bits());
            assert!(
                same,
                "{m}x{k}x{n} prologue {which}: differs from the stored operands"
            );
            if which != 1 {
                assert!(
                    na.load(Ordering::Relaxed) as usize >= m * k,
                    "all of A produced"
                );
            }
            if which != 0 {
                assert!(
                    nb.load(Ordering::Relaxed) as usize >= k * n,
                    "all of B produced"
                );
            }
        }
    }
}
