//! `np::random`: reproducibility per seed, shapes and dtypes, validation messages, and
//! statistical checks whose tolerances come from the sample size (5 standard errors).

use lazynp as np;
use lazynp::random::{self, default_rng};
use lazynp::{DType, Error};

const N: usize = 200_000;

/// Sample mean and the central moments 2, 3, 4.
fn moments(v: &[f64]) -> (f64, f64, f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let m = |k: i32| v.iter().map(|x| (x - mean).powi(k)).sum::<f64>() / n;
    (mean, m(2), m(3), m(4))
}

/// `|got - want| <= 5 * se`, with a readable failure.
fn close(what: &str, got: f64, want: f64, se: f64) {
    assert!(
        (got - want).abs() <= 5.0 * se,
        "{what}: got {got}, want {want} ± 5·{se}"
    );
}

#[test]
fn same_seed_same_values_other_seed_other_values() {
    let draw = |s: u64| {
        let mut g = default_rng(s);
        (
            g.standard_normal([4, 5]).to_vec::<f64>().unwrap(),
            g.random(7).to_vec::<f64>().unwrap(),
            g.integers(-3, 1000, 9).to_vec::<i64>().unwrap(),
            g.permutation(20).to_vec::<i64>().unwrap(),
            g.choice(50, 5, false).to_vec::<i64>().unwrap(),
        )
    };
    assert_eq!(draw(1), draw(1));
    let (a, b) = (draw(1), draw(2));
    assert_ne!(a.0, b.0);
    assert_ne!(a.1, b.1);
    assert_ne!(a.2, b.2);
    assert_ne!(a.3, b.3);
    // Successive draws from one generator differ.
    let mut g = default_rng(1);
    assert_ne!(
        g.random(5).to_vec::<f64>().unwrap(),
        g.random(5).to_vec::<f64>().unwrap()
    );
    // A cloned generator continues the same stream.
    let mut h = g.clone();
    assert_eq!(
        g.normal(1.0, 2.0, 6).to_vec::<f64>().unwrap(),
        h.normal(1.0, 2.0, 6).to_vec::<f64>().unwrap()
    );
}

#[test]
fn shapes_and_dtypes() {
    let mut g = default_rng(0);
    let x = g.standard_normal([100, 3]);
    assert_eq!((x.shape(), x.dtype()), (&[100usize, 3][..], DType::F64));
    assert_eq!(g.standard_normal(()).shape(), &[] as &[usize]);
    assert_eq!(g.random(0).shape(), &[0]);
    assert_eq!(g.uniform(0.0, 1.0, [2, 0, 3]).shape(), &[2, 0, 3]);
    assert_eq!(g.integers(0, 5, [3, 1]).dtype(), DType::I64);
    assert_eq!(g.permutation(0).shape(), &[0]);
    assert_eq!(g.choice(4, [2, 2], true).dtype(), DType::I64);
    let f = g.standard_normal_dtype([5, 2], DType::F32);
    assert_eq!((f.shape(), f.dtype()), (&[5usize, 2][..], DType::F32));
    assert_eq!(g.random_dtype(3, DType::F32).dtype(), DType::F32);
    assert_eq!(g.random_dtype(3, DType::F64).dtype(), DType::F64);
    // Results are ordinary lazy arrays.
    let y = (&x * 2.0).sum(0);
    assert_eq!(y.shape(), &[3]);
    // f32 draws are the f64 stream rounded, so they keep the same moments.
    let v: Vec<f64> = g
        .standard_normal_dtype(N, DType::F32)
        .to_vec::<f32>()
        .unwrap()
        .into_iter()
        .map(f64::from)
        .collect();
    let (mean, var, _, _) = moments(&v);
    close("f32 normal mean", mean, 0.0, (1.0 / N as f64).sqrt());
    close("f32 normal var", var, 1.0, (2.0 / N as f64).sqrt());
    let u: Vec<f32> = g.random_dtype(1000, DType::F32).to_vec().unwrap();
    assert!(u.iter().all(|&x| (0.0..1.0).contains(&x)));
}

#[test]
fn validation_messages() {
    let mut g = default_rng(0);
    let msg = |e: Error| e.to_string();
    assert_eq!(
        msg(g.try_integers(5, 5, 3).unwrap_err()),
        "integers: low >= high"
    );
    assert_eq!(
        msg(g.try_integers(5, 4, 3).unwrap_err()),
        "integers: low >= high"
    );
    assert_eq!(g.try_integers(5, 4, 0).unwrap().shape(), &[0]); // NumPy: no draw, no error
    assert_eq!(
        msg(g.try_normal(0.0, -0.5, 3).unwrap_err()),
        "normal: scale < 0"
    );
    assert!(g.try_normal(0.0, 0.0, 3).is_ok());
    assert_eq!(
        msg(g.try_uniform(2.0, 1.0, 3).unwrap_err()),
        "uniform: high - low < 0"
    );
    assert_eq!(
        msg(g.try_uniform(0.0, f64::INFINITY, 3).unwrap_err()),
        "uniform: high - low range exceeds valid bounds"
    );
    assert_eq!(
        msg(g.try_choice(3, 4, false).unwrap_err()),
        "choice: Cannot take a larger sample than population when replace is False"
    );
    assert_eq!(
        msg(g.try_choice(0, 1, true).unwrap_err()),
        "choice: a cannot be empty unless no samples are taken"
    );
    assert_eq!(g.try_choice(0, 0, false).unwrap().shape(), &[0]);
    assert!(g.try_standard_normal_dtype(3, DType::I32).is_err());
    assert!(g.try_random_dtype(3, DType::Bool).is_err());
    assert_eq!(
        msg(g.permutation_of(&np::scalar(1.0f64)).unwrap_err()),
        "axis 0 is out of bounds for array of dimension 0"
    );
    let r = std::panic::catch_unwind(|| default_rng(0).integers(1, 0, 2));
    assert!(r.is_err(), "integers(1, 0) must panic");
}

#[test]
fn standard_normal_and_normal_moments() {
    let n = N as f64;
    let v = default_rng(11).standard_normal(N).to_vec::<f64>().unwrap();
    let (mean, var, m3, m4) = moments(&v);
    // Standard errors of the sample moments of N(0, 1): Var(z) = 1, Var(z²) = 2,
    // Var(z³) = E z⁶ = 15, Var(z⁴) = E z⁸ - 9 = 96.
    close("normal mean", mean, 0.0, (1.0 / n).sqrt());
    close("normal var", var, 1.0, (2.0 / n).sqrt());
    close("normal 3rd moment", m3, 0.0, (15.0 / n).sqrt());
    close("normal 4th moment", m4, 3.0, (96.0 / n).sqrt());
    // Tails: P(|z| > 2) = 0.0455.
    let p = v.iter().filter(|x| x.abs() > 2.0).count() as f64 / n;
    close("normal tail", p, 0.04550026, (0.0455 * 0.9545 / n).sqrt());

    let (loc, scale) = (-3.0, 0.25);
    let v = default_rng(12)
        .normal(loc, scale, [N / 100, 100])
        .to_vec::<f64>()
        .unwrap();
    let (mean, var, m3, _) = moments(&v);
    close("normal(loc) mean", mean, loc, scale / n.sqrt());
    close(
        "normal(scale) var",
        var,
        scale * scale,
        scale * scale * (2.0 / n).sqrt(),
    );
    close("normal skew", m3 / scale.powi(3), 0.0, (15.0 / n).sqrt());
    // The same statistics computed lazily by the library agree.
    let x = default_rng(12).normal(loc, scale, [N / 100, 100]);
    assert!((x.mean(..).item::<f64>().unwrap() - mean).abs() < 1e-9);
}

#[test]
fn uniform_moments() {
    let n = N as f64;
    let v = default_rng(21).random(N).to_vec::<f64>().unwrap();
    assert!(v.iter().all(|x| (0.0..1.0).contains(x)));
    let (mean, var, m3, _) = moments(&v);
    // U(0,1): mean 1/2, var 1/12, Var((u-½)²) = 1/80 - 1/144.
    close("uniform mean", mean, 0.5, (1.0 / 12.0 / n).sqrt());
    close(
        "uniform var",
        var,
        1.0 / 12.0,
        ((1.0 / 80.0 - 1.0 / 144.0) / n).sqrt(),
    );
    close("uniform 3rd moment", m3, 0.0, (1.0 / 448.0 / n).sqrt());
    // Deciles each hold 10%.
    let mut bins = [0usize; 10];
    for x in &v {
        bins[(x * 10.0) as usize] += 1;
    }
    for (i, &c) in bins.iter().enumerate() {
        close(&format!("decile {i}"), c as f64 / n, 0.1, (0.09 / n).sqrt());
    }

    let (lo, hi) = (-2.0, 6.0);
    let v = default_rng(22).uniform(lo, hi, N).to_vec::<f64>().unwrap();
    assert!(v.iter().all(|x| (lo..hi).contains(x)));
    let (mean, var, _, _) = moments(&v);
    let w = hi - lo;
    close("uniform(lo, hi) mean", mean, 2.0, w / (12.0 * n).sqrt());
    close(
        "uniform(lo, hi) var",
        var,
        w * w / 12.0,
        w * w * ((1.0 / 80.0 - 1.0 / 144.0) / n).sqrt(),
    );
}

#[test]
fn integers_in_range_every_value_hit_uniformly() {
    let n = N as f64;
    let (lo, hi) = (-7i64, 13i64);
    let k = (hi - lo) as usize;
    let v = default_rng(31).integers(lo, hi, N).to_vec::<i64>().unwrap();
    let mut counts = vec![0usize; k];
    for &x in &v {
        assert!((lo..hi).contains(&x), "{x} outside [{lo}, {hi})");
        counts[(x - lo) as usize] += 1;
    }
    let p = 1.0 / k as f64;
    for (i, &c) in counts.iter().enumerate() {
        assert!(c > 0, "value {} never drawn", lo + i as i64);
        close(
            &format!("P({})", lo + i as i64),
            c as f64 / n,
            p,
            (p * (1.0 - p) / n).sqrt(),
        );
    }
    let vf: Vec<f64> = v.iter().map(|&x| x as f64).collect();
    let (mean, var, _, _) = moments(&vf);
    let uvar = (k * k - 1) as f64 / 12.0;
    close(
        "integers mean",
        mean,
        (lo + hi - 1) as f64 / 2.0,
        (uvar / n).sqrt(),
    );
    assert!(
        (var - uvar).abs() < 0.02 * uvar,
        "integers var {var} vs {uvar}"
    );
    // A one-value range and the extreme range.
    let one = default_rng(32).integers(5, 6, 10).to_vec::<i64>().unwrap();
    assert_eq!(one, vec![5; 10]);
    let wide = default_rng(33)
        .integers(i64::MIN, i64::MAX, 1000)
        .to_vec::<i64>()
        .unwrap();
    assert!(wide.iter().any(|&x| x < 0) && wide.iter().any(|&x| x > 0));
    // Both halves of a range of 2^63 + ... are used: the high bit is not stuck.
    assert!(wide.iter().any(|&x| x > i64::MAX / 2) && wide.iter().any(|&x| x < i64::MIN / 2));
}

fn is_permutation(v: &[i64], n: usize) -> bool {
    let mut s = v.to_vec();
    s.sort_unstable();
    s == (0..n as i64).collect::<Vec<_>>()
}

#[test]
fn permutations_and_choices() {
    let mut g = default_rng(41);
    for n in [0, 1, 2, 17, 1000] {
        let p = g.permutation(n).to_vec::<i64>().unwrap();
        assert!(is_permutation(&p, n), "{p:?}");
    }
    // Every position is uniform over 0..n: the mean of p[0] over many draws is (n-1)/2.
    let n = 10;
    let trials = 4000;
    let mut first = vec![0usize; n];
    for _ in 0..trials {
        first[g.permutation(n).to_vec::<i64>().unwrap()[0] as usize] += 1;
    }
    let p = 1.0 / n as f64;
    for (i, &c) in first.iter().enumerate() {
        let se = (p * (1.0 - p) / trials as f64).sqrt();
        close(&format!("P(p[0] = {i})"), c as f64 / trials as f64, p, se);
    }
    // choice without replacement: distinct, in range; with replacement: in range, repeats.
    let c = g.choice(100, 60, false).to_vec::<i64>().unwrap();
    let mut s = c.clone();
    s.sort_unstable();
    s.dedup();
    assert_eq!(s.len(), 60);
    assert!(c.iter().all(|&x| (0..100).contains(&x)));
    assert!(!c.windows(2).all(|w| w[0] < w[1]), "sample is not shuffled");
    let all = g.choice(30, 30, false).to_vec::<i64>().unwrap();
    assert!(is_permutation(&all, 30));
    let r = g.choice(3, 1000, true).to_vec::<i64>().unwrap();
    assert!(r.iter().all(|&x| (0..3).contains(&x)));
    assert!((0..3).all(|k| r.contains(&k)));
}

#[test]
fn shuffling_arrays() {
    let mut g = default_rng(51);
    let x = np::arange(0i64, 24, 1).reshape([6, 4]);
    // permutation_of / shuffle move whole rows.
    let y = g.permutation_of(&x).unwrap();
    assert_eq!(y.shape(), &[6, 4]);
    let rows = y.to_vec::<i64>().unwrap();
    let firsts: Vec<i64> = rows.chunks(4).map(|r| r[0] / 4).collect();
    assert!(is_permutation(&firsts, 6));
    for r in rows.chunks(4) {
        assert_eq!(r, &[r[0], r[0] + 1, r[0] + 2, r[0] + 3]);
    }
    let mut z = x.clone();
    g.shuffle(&mut z);
    assert_eq!(z.shape(), x.shape());
    assert_eq!(x.to_vec::<i64>().unwrap(), (0..24).collect::<Vec<_>>());
    // permuted along axis 1: each row is a permutation of itself, rows shuffled independently.
    let p = g.permuted(&x, Some(1)).unwrap().to_vec::<i64>().unwrap();
    for (i, r) in p.chunks(4).enumerate() {
        let base: Vec<i64> = r.iter().map(|&v| v - 4 * i as i64).collect();
        assert!(is_permutation(&base, 4), "row {i}: {r:?}");
    }
    // permuted along axis 0 of a float array: each column keeps its multiset.
    let xf = np::arange(0.0f64, 24.0, 1.0).reshape([6, 4]);
    let q = g.permuted(&xf, Some(-2)).unwrap();
    assert_eq!(q.dtype(), DType::F64);
    let q = q.to_vec::<f64>().unwrap();
    for c in 0..4 {
        let col: Vec<i64> = (0..6)
            .map(|r| (q[r * 4 + c] as i64 - c as i64) / 4)
            .collect();
        assert!(is_permutation(&col, 6), "column {c}: {col:?}");
    }
    // permuted(None) shuffles every element.
    let all = g.permuted(&x, None).unwrap();
    assert_eq!(all.shape(), &[6, 4]);
    assert!(is_permutation(&all.to_vec::<i64>().unwrap(), 24));
    assert!(g.permuted(&x, Some(2)).is_err());
    assert_eq!(
        g.permuted(&np::zeros([3, 0], DType::F32), Some(1))
            .unwrap()
            .shape(),
        &[3, 0]
    );
}

/// The legacy API shares one global state, so everything touching it is in this one test.
#[test]
fn legacy_global_state() {
    random::seed(7);
    let a = (
        random::rand([2, 3]).to_vec::<f64>().unwrap(),
        random::randn(4).to_vec::<f64>().unwrap(),
        random::randint(0, 10, 5).to_vec::<i64>().unwrap(),
        random::normal(5.0, 2.0, 3).to_vec::<f64>().unwrap(),
        random::uniform(1.0, 2.0, 3).to_vec::<f64>().unwrap(),
        random::permutation(8).to_vec::<i64>().unwrap(),
        random::choice(9, 4, false).to_vec::<i64>().unwrap(),
    );
    random::seed(7);
    let b = (
        random::rand([2, 3]).to_vec::<f64>().unwrap(),
        random::randn(4).to_vec::<f64>().unwrap(),
        random::randint(0, 10, 5).to_vec::<i64>().unwrap(),
        random::normal(5.0, 2.0, 3).to_vec::<f64>().unwrap(),
        random::uniform(1.0, 2.0, 3).to_vec::<f64>().unwrap(),
        random::permutation(8).to_vec::<i64>().unwrap(),
        random::choice(9, 4, false).to_vec::<i64>().unwrap(),
    );
    assert_eq!(a, b);
    assert!(is_permutation(&a.5, 8));
    // seed(s) gives the stream of default_rng(s).
    random::seed(8);
    let c = random::randn([3, 3]).to_vec::<f64>().unwrap();
    assert_eq!(
        c,
        default_rng(8)
            .standard_normal([3, 3])
            .to_vec::<f64>()
            .unwrap()
    );
    random::seed(9);
    assert_ne!(random::randn([3, 3]).to_vec::<f64>().unwrap(), c);
    assert_eq!(random::random(5).shape(), &[5]);
    let mut x = np::arange(0i64, 5, 1);
    random::shuffle(&mut x);
    assert!(is_permutation(&x.to_vec::<i64>().unwrap(), 5));
    // A panicking call (bad arguments) leaves the state usable.
    let r = std::panic::catch_unwind(|| random::randint(3, 3, 1));
    assert!(r.is_err());
    let r = std::panic::catch_unwind(|| random::normal(0.0, -1.0, 1));
    assert!(r.is_err());
    assert_eq!(random::rand(2).shape(), &[2]);
}
