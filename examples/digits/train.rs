//! Training on the 8x8 digits with the article's NumPy toolbox, written as NumPy code would be:
//! load an `.npz`, standardise with `mean(0)`/`std(0)`, one-hot with `eye(10)[labels]`, shuffle
//! with a seeded permutation, slice batches, `matmul`, a stable softmax, cross-entropy, and SGD
//! updates that reassign plain array variables (`w = w - lr * gw`).
//!
//! Shared by `examples/digits.rs` and `tests/digits.rs` (`#[path = ...] mod train;`).

use lazynp as np;
use lazynp::{Array, DType, Error, EvalOptions, Result, s};
use std::path::Path;
use std::time::{Duration, Instant};

/// Number of classes.
pub const CLASSES: usize = 10;

/// The data set split 80/20, standardised with the training set's statistics.
pub struct Data {
    /// (n_train, 64) float32.
    pub x_train: Array,
    /// (n_train,) int64.
    pub y_train: Array,
    /// (n_test, 64) float32.
    pub x_test: Array,
    /// (n_test,) int64.
    pub y_test: Array,
}

/// Finds a named array in an `.npz` archive.
fn named(arrays: &np::Npz, name: &str) -> Result<Array> {
    arrays
        .get(name)
        .cloned()
        .ok_or_else(|| Error::Format(format!("no array named '{name}' in the archive")))
}

/// Loads `digits.npz`, keeps the first `limit` samples (all if `None`), and splits them 80/20
/// after a shuffle with a fixed seed (the same split on every run).
pub fn load(path: impl AsRef<Path>, limit: Option<usize>) -> Result<Data> {
    let arrays = np::load_npz(path)?;
    let images = named(&arrays, "images")?;
    let labels = named(&arrays, "labels")?;
    let shape_ok = images.ndim() == 2 && labels.ndim() == 1 && images.len() == labels.len();
    if !shape_ok || images.dtype() != DType::F32 || labels.dtype() != DType::I64 {
        return Err(Error::Format(format!(
            "expected images (n, d) float32 and labels (n,) int64, got {:?} {} and {:?} {}",
            images.shape(),
            images.dtype(),
            labels.shape(),
            labels.dtype()
        )));
    }
    let n = limit.map_or(images.len(), |l| l.min(images.len()));
    if n < 10 {
        return Err(Error::Format(format!("{n} samples are too few to split")));
    }
    let (images, labels) = (images.slice(s![..n]), labels.slice(s![..n]));

    // A fixed 80/20 split: X[perm[:n_train]], X[perm[n_train:]].
    let perm = np::random::default_rng(0).permutation(n);
    let n_train = n * 4 / 5;
    let (tr, te) = (perm.slice(s![..n_train]), perm.slice(s![n_train..]));
    let (x_train, x_test) = (images.take(&tr, 0), images.take(&te, 0));

    // Standardise with the training statistics; constant pixels (std 0) stay 0 thanks to 1e-8.
    let mean = x_train.mean(0);
    let std = x_train.std(0);
    let x_train = (&(&x_train - &mean) / &(&std + 1e-8)).eval()?;
    let x_test = (&(&x_test - &mean) / &(&std + 1e-8)).eval()?;
    Ok(Data {
        x_train,
        y_train: labels.take(&tr, 0).eval()?,
        x_test,
        y_test: labels.take(&te, 0).eval()?,
    })
}

/// Hyperparameters.
#[derive(Clone, Debug)]
pub struct Config {
    /// Passes over the training set.
    pub epochs: usize,
    /// Mini-batch size (the last batch of an epoch may be smaller).
    pub batch_size: usize,
    /// SGD learning rate.
    pub lr: f32,
    /// Seed of the weight initialisation and of the per-epoch shuffles.
    pub seed: u64,
}

/// The two models, their weights held in plain `Array` variables.
#[derive(Clone)]
pub enum Model {
    /// `softmax(x @ w + b)`.
    Softmax {
        /// (64, 10).
        w: Array,
        /// (10,).
        b: Array,
    },
    /// `softmax(relu(x @ w1 + b1) @ w2 + b2)`.
    Mlp {
        /// (64, hidden).
        w1: Array,
        /// (hidden,).
        b1: Array,
        /// (hidden, 10).
        w2: Array,
        /// (10,).
        b2: Array,
    },
}

impl Model {
    /// Softmax regression with zero weights.
    pub fn softmax(features: usize) -> Model {
        Model::Softmax {
            w: np::zeros([features, CLASSES], DType::F32),
            b: np::zeros([CLASSES], DType::F32),
        }
    }

    /// A one-hidden-layer MLP with He-initialised weights (`randn * sqrt(2 / fan_in)`).
    pub fn mlp(features: usize, hidden: usize, seed: u64) -> Model {
        let mut rng = np::random::default_rng(seed);
        let w1 = rng.standard_normal_dtype([features, hidden], DType::F32);
        let w2 = rng.standard_normal_dtype([hidden, CLASSES], DType::F32);
        Model::Mlp {
            w1: &w1 * (2.0 / features as f32).sqrt(),
            b1: np::zeros([hidden], DType::F32),
            w2: &w2 * (2.0 / hidden as f32).sqrt(),
            b2: np::zeros([CLASSES], DType::F32),
        }
    }

    /// A short name for printing.
    pub fn name(&self) -> &'static str {
        match self {
            Model::Softmax { .. } => "softmax regression",
            Model::Mlp { .. } => "MLP",
        }
    }

    /// The weight handles (for inspecting their graphs).
    pub fn weights(&self) -> Vec<&Array> {
        match self {
            Model::Softmax { w, b } => vec![w, b],
            Model::Mlp { w1, b1, w2, b2 } => vec![w1, b1, w2, b2],
        }
    }

    /// Class probabilities for a batch.
    pub fn predict(&self, x: &Array) -> Array {
        match self {
            Model::Softmax { w, b } => softmax(&(&x.matmul(w) + b)),
            Model::Mlp { w1, b1, w2, b2 } => {
                let h = (&x.matmul(w1) + b1).relu();
                softmax(&(&h.matmul(w2) + b2))
            }
        }
    }

    /// One SGD step on a batch; returns the batch loss (pending) and reassigns the weights.
    fn step(&mut self, xb: &Array, yb: &Array, lr: f32) -> Array {
        let bs = xb.len() as f32;
        match self {
            Model::Softmax { w, b } => {
                let p = softmax(&(&xb.matmul(w) + &*b));
                let loss = cross_entropy(&p, yb);
                let dlogits = &(&p - yb) / bs;
                let gw = xb.t().matmul(&dlogits);
                let gb = dlogits.sum(0);
                *w = &*w - &(&gw * lr);
                *b = &*b - &(&gb * lr);
                loss
            }
            Model::Mlp { w1, b1, w2, b2 } => {
                let z1 = &xb.matmul(w1) + &*b1;
                let h = z1.relu();
                let p = softmax(&(&h.matmul(w2) + &*b2));
                let loss = cross_entropy(&p, yb);
                let dlogits = &(&p - yb) / bs;
                let gw2 = h.t().matmul(&dlogits);
                let gb2 = dlogits.sum(0);
                let dh = dlogits.matmul(&w2.t());
                let dz1 = &dh * &z1.gt(0.0);
                let gw1 = xb.t().matmul(&dz1);
                let gb1 = dz1.sum(0);
                *w1 = &*w1 - &(&gw1 * lr);
                *b1 = &*b1 - &(&gb1 * lr);
                *w2 = &*w2 - &(&gw2 * lr);
                *b2 = &*b2 - &(&gb2 * lr);
                loss
            }
        }
    }
}

/// Row-wise softmax, stabilised by subtracting the row maximum.
pub fn softmax(logits: &Array) -> Array {
    let e = (logits - &logits.max_keepdims(-1)).exp();
    &e / &e.sum_keepdims(-1)
}

/// Mean cross-entropy of probabilities `p` against one-hot targets.
pub fn cross_entropy(p: &Array, onehot: &Array) -> Array {
    -&(onehot * &p.log()).sum(..) / p.len() as f32
}

/// Fraction of rows whose most probable class is the label.
pub fn accuracy(model: &Model, x: &Array, labels: &Array, opts: &EvalOptions) -> Result<f64> {
    let pred = model.predict(x).argmax(1);
    pred.equal(labels).mean(..).eval_with(opts)?.item::<f64>()
}

/// What a training run produced.
pub struct Report {
    /// Mean batch loss of each epoch.
    pub losses: Vec<f32>,
    /// Wall time of each epoch.
    pub epoch_times: Vec<Duration>,
    /// Accuracy on the held-out 20%.
    pub test_accuracy: f64,
}

/// Trains `model` with mini-batch SGD, evaluating every step's loss with `opts` (fused or eager).
/// `after_step` sees the model right after each step's loss was read with `.item()`.
pub fn train(
    mut model: Model,
    data: &Data,
    cfg: &Config,
    opts: &EvalOptions,
    mut after_step: impl FnMut(&Model),
) -> Result<Report> {
    let onehot_train = np::eye(CLASSES, DType::F32).take(&data.y_train, 0);
    let n = data.x_train.len();
    let bs = cfg.batch_size.max(1);
    let mut rng = np::random::default_rng(cfg.seed.wrapping_add(1));
    let (mut losses, mut epoch_times) = (Vec::new(), Vec::new());
    for _ in 0..cfg.epochs {
        let start = Instant::now();
        let perm = rng.permutation(n);
        let x = data.x_train.take(&perm, 0);
        let y = onehot_train.take(&perm, 0);
        let (mut total, mut batches) = (0.0f32, 0usize);
        for i in (0..n).step_by(bs) {
            let (xb, yb) = (x.slice(s![i..i + bs]), y.slice(s![i..i + bs]));
            let loss = model.step(&xb, &yb, cfg.lr);
            total += loss.eval_with(opts)?.item::<f32>()?;
            batches += 1;
            after_step(&model);
        }
        for w in model.weights() {
            w.eval_with(opts)?;
        }
        epoch_times.push(start.elapsed());
        losses.push(total / batches.max(1) as f32);
    }
    let test_accuracy = accuracy(&model, &data.x_test, &data.y_test, opts)?;
    Ok(Report {
        losses,
        epoch_times,
        test_accuracy,
    })
}
