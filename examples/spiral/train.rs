//! The CS231n spiral-data 2-layer classifier, statement for statement (see
//! benches/peers/spiral_numpy.py for the NumPy original), shared by examples/spiral.rs and
//! tests/update_examples.rs.

use lazynp::{self as np, Array, EvalOptions, Result, Selection};
use std::path::Path;

/// The data and initial weights NumPy made (examples/data/spiral.npz).
pub struct Data {
    pub x: Array,
    pub y: Array,
    pub w: Array,
    pub w2: Array,
}

pub fn load(root: &Path) -> Result<Data> {
    let mut d = np::load_npz(root.join("examples/data/spiral.npz"))?;
    let mut get = |k: &str| -> Array { d.shift_remove(k).expect(k) };
    Ok(Data {
        x: get("X"),
        y: get("y"),
        w: get("W"),
        w2: get("W2"),
    })
}

/// NumPy's losses every `every` iterations (examples/data/spiral_losses.txt).
pub fn expected_losses(root: &Path) -> Vec<(usize, f64)> {
    let text = std::fs::read_to_string(root.join("examples/data/spiral_losses.txt")).unwrap();
    text.lines()
        .map(|l| {
            let (i, v) = l.split_once(' ').unwrap();
            (i.parse().unwrap(), v.parse().unwrap())
        })
        .collect()
}

/// Trains `iters` iterations; returns the loss every `every` iterations and the accuracy.
pub fn train(
    data: &Data,
    iters: usize,
    every: usize,
    opts: &EvalOptions,
) -> Result<(Vec<f64>, f64)> {
    let (x, y) = (&data.x, &data.y);
    let (mut w, mut w2) = (data.w.clone(), data.w2.clone());
    let (h, k) = (w.shape()[1], w2.shape()[1]);
    let mut b = np::zeros([1, h], np::DType::F64);
    let mut b2 = np::zeros([1, k], np::DType::F64);
    let step_size = 1e-0;
    let reg = 1e-3;
    let num_examples = x.shape()[0];
    // probs[range(num_examples), y]: one index per row, along axis 1.
    let rows_y = y.reshape([-1, 1]);
    let mut losses = Vec::new();
    for i in 0..iters {
        let hidden_layer = np::maximum(0.0, &x.dot(&w) + &b);
        let scores = &hidden_layer.dot(&w2) + &b2;
        let exp_scores = scores.exp();
        let probs = &exp_scores / &exp_scores.sum_keepdims(1);
        let correct_logprobs = -np::take_along_axis(&probs, &rows_y, 1).log();
        let data_loss = correct_logprobs.sum(..) / num_examples as f64;
        let reg_loss = 0.5 * reg * (&w * &w).sum(..) + 0.5 * reg * (&w2 * &w2).sum(..);
        let loss = &data_loss + &reg_loss;
        let mut dscores = probs;
        dscores = dscores.at(Selection::Along(rows_y.clone(), 1)).sub(1.0); // dscores[range(n), y] -= 1
        dscores /= num_examples as f64;
        let dw2 = hidden_layer.t().dot(&dscores);
        let db2 = dscores.sum_keepdims(0);
        let mut dhidden = dscores.dot(&w2.t());
        dhidden.assign_mask(&hidden_layer.le(0.0), 0.0); // dhidden[hidden_layer <= 0] = 0
        let mut dw = x.t().dot(&dhidden);
        let db = dhidden.sum_keepdims(0);
        let mut dw2 = dw2;
        dw2 += &(reg * &w2);
        dw += &(reg * &w);
        w += &(-step_size * &dw);
        b += &(-step_size * &db);
        w2 += &(-step_size * &dw2);
        b2 += &(-step_size * &db2);
        // One plan for the whole step: the new weights and the loss.
        np::eval_with(&[&w, &b, &w2, &b2, &loss], opts)?;
        if i % every == 0 {
            losses.push(loss.item::<f64>()?);
        }
    }
    let hidden_layer = np::maximum(0.0, &x.dot(&w) + &b);
    let scores = &hidden_layer.dot(&w2) + &b2;
    let acc = scores
        .argmax(1)
        .equal(y)
        .astype(np::DType::F64)
        .mean(..)
        .item::<f64>()?;
    Ok((losses, acc))
}
