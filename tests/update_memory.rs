//! Updates do not grow memory: `mem += g * g` (Adagrad) and `np.add.at` in a 10,000-step loop
//! keep `live_bytes()` flat, and a chain of updates in one evaluation writes into one buffer.

use lazynp::{self as np, DType, EvalOptions, s};

#[test]
fn adagrad_accumulator_stays_flat_over_10000_steps() {
    let mut rng = np::random::default_rng(3);
    let g = rng
        .standard_normal_dtype([64, 64], DType::F32)
        .eval()
        .unwrap();
    let mut mem = np::zeros([64, 64], DType::F32);
    let mut emb = np::zeros([64, 64], DType::F32);
    let ix = np::array([1i64, 5, 1, 63]);
    let mut live = Vec::new();
    for step in 0..10_000 {
        mem += &(&g * &g);
        np::add_at(&mut emb, &ix, 0, g.slice(s![0..4]));
        np::eval(&[&mem, &emb]).unwrap();
        if step % 100 == 0 {
            live.push(np::live_bytes());
        }
        assert!(mem.dump_graph().lines().count() <= 1, "mem stays a leaf");
    }
    let early = live[5..15].iter().copied().min().unwrap();
    let late = live[90..].iter().copied().min().unwrap();
    // live_bytes is process-wide (other tests run concurrently): a leak of one 16 KB buffer per
    // step would add 160 MB.
    assert!(
        late <= early + (1 << 20),
        "live bytes grew from {early} to {late}"
    );
    let m = mem.to_vec::<f32>().unwrap();
    let g0 = g.to_vec::<f32>().unwrap()[0];
    let want = 10_000.0 * g0 * g0;
    assert!(
        (m[0] - want).abs() <= 1e-3 * want.abs().max(1.0),
        "{} vs {want}",
        m[0]
    );
}

#[test]
fn a_chain_of_updates_writes_into_one_buffer() {
    let mut x = np::zeros([8, 8], DType::F64);
    for t in 0..8usize {
        x.assign(s![t, t], 1.0);
        x.assign_index(&np::array([t as i64]), 1, 2.0);
    }
    let text = x.explain();
    let steps = text
        .lines()
        .filter(|l| l.contains("runtime update_"))
        .count();
    let in_place = text.lines().filter(|l| l.contains("in place")).count();
    assert_eq!(steps, 16, "{text}");
    assert_eq!(in_place, 16, "{text}");
    let jit = x
        .eval_with(&EvalOptions::fused())
        .unwrap()
        .to_vec::<f64>()
        .unwrap();
    assert!(jit.iter().all(|&v| v == 2.0));
    // A handle on an intermediate value keeps it: that update copies instead.
    let mut y = np::zeros([4], DType::F64);
    y.assign(s![0], 1.0);
    let kept = y.clone();
    y.assign(s![1], 2.0);
    let text = y.explain();
    // The first update writes into the zeros' buffer; the second copies (`kept` holds its input).
    assert_eq!(
        text.lines().filter(|l| l.contains("in place")).count(),
        1,
        "{text}"
    );
    np::eval(&[&y, &kept]).unwrap();
    assert_eq!(kept.to_vec::<f64>().unwrap(), vec![1.0, 0.0, 0.0, 0.0]);
    assert_eq!(y.to_vec::<f64>().unwrap(), vec![1.0, 2.0, 0.0, 0.0]);
}

#[test]
fn views_taken_before_an_update_keep_the_old_values() {
    let mut x = np::arange(0.0f64, 4.0, 1.0);
    let v = x.slice(s![..2]);
    x.assign(s![0], 9.0);
    assert_eq!(v.to_vec::<f64>().unwrap(), vec![0.0, 1.0]);
    assert_eq!(x.to_vec::<f64>().unwrap(), vec![9.0, 1.0, 2.0, 3.0]);
}

#[test]
fn assigning_at_a_changing_index_reuses_one_plan() {
    // The plan key of `x[t] = 1` does not depend on t (the offset is a run-time parameter; the
    // key itself is checked in `ir::key`'s unit tests), so a loop over t gives right values.
    let x = np::zeros([6, 3], DType::F64).eval().unwrap();
    let mut y = x.clone();
    for t in 0..6usize {
        let mut z = &y * 1.0;
        z.assign(s![t], t as f64); // xs[t][inputs[t]] = 1, t changing
        y = z.eval().unwrap();
    }
    let rows: Vec<f64> = y.to_vec::<f64>().unwrap().chunks(3).map(|r| r[2]).collect();
    assert_eq!(rows, vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
}
