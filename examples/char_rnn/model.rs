//! Karpathy's min-char-rnn, statement for statement (benches/peers/char_rnn_numpy.py is the
//! NumPy original), shared by examples/char_rnn.rs and tests/update_examples.rs.
//!
//! Every training step has the same graph structure and reuses one compiled plan: the offset of
//! `x.assign(s![i], ..)` is a run-time parameter of the plan, and the targets enter as small
//! index arrays.

use lazynp::{self as np, Array, DType, EvalOptions, Result, s};
use std::path::Path;

pub const HIDDEN: usize = 100;
pub const SEQ: usize = 25;
pub const LR: f64 = 1e-1;

/// 0.02 * (uniform hash in [-0.5, 0.5)): the NumPy twin's `init`, bit for bit.
pub fn init(rows: usize, cols: usize, seed: u64) -> Array {
    let v: Vec<f64> = (0..(rows * cols) as u64)
        .map(|k| {
            let u = ((k + seed * 1000003).wrapping_mul(2654435761)) % (1 << 32);
            0.02 * (u as f64 / 4294967296.0 - 0.5)
        })
        .collect();
    np::array(v).reshape([rows, cols])
}

pub struct Corpus {
    pub data: Vec<usize>,
    pub vocab: usize,
}

pub fn corpus(root: &Path) -> Corpus {
    let text = std::fs::read_to_string(root.join("examples/data/char_rnn.txt")).unwrap();
    let mut chars: Vec<char> = text.chars().collect();
    chars.sort_unstable();
    chars.dedup();
    let data = text
        .chars()
        .map(|c| chars.binary_search(&c).unwrap())
        .collect();
    Corpus {
        data,
        vocab: chars.len(),
    }
}

/// NumPy's loss at the first 10 iterations and every 25th of the first 500
/// (examples/data/char_rnn_losses.txt).
pub fn expected_losses(root: &Path) -> Vec<(usize, f64)> {
    let text = std::fs::read_to_string(root.join("examples/data/char_rnn_losses.txt")).unwrap();
    text.lines()
        .map(|l| {
            let (i, v) = l.split_once(' ').unwrap();
            (i.parse().unwrap(), v.parse().unwrap())
        })
        .collect()
}

pub struct Params {
    pub wxh: Array,
    pub whh: Array,
    pub why: Array,
    pub bh: Array,
    pub by: Array,
}

fn ix(i: usize) -> Array {
    np::array([i as i64])
}

/// `lossFun(inputs, targets, hprev)`: the loss, the gradients and the last hidden state.
pub fn loss_fun(
    p: &Params,
    inputs: &[usize],
    targets: &[usize],
    hprev: &Array,
) -> (Array, [Array; 5], Array) {
    let vocab = p.wxh.shape()[1];
    let (mut xs, mut hs, mut ps) = (Vec::new(), Vec::new(), Vec::new());
    let mut loss = np::zeros([], DType::F64);
    let mut h_prev = hprev.clone();
    for t in 0..inputs.len() {
        let mut x = np::zeros([vocab, 1], DType::F64);
        x.assign(s![inputs[t]], 1.0); // xs[t][inputs[t]] = 1
        let h = (&(&p.wxh.dot(&x) + &p.whh.dot(&h_prev)) + &p.bh).tanh();
        let y = &p.why.dot(&h) + &p.by;
        let e = y.exp();
        let pr = &e / &e.sum(..);
        loss = &loss - &pr.take(&ix(targets[t]), 0).log().sum(..); // loss += -log(ps[t][targets[t], 0])
        h_prev = h.clone();
        xs.push(x);
        hs.push(h);
        ps.push(pr);
    }
    let mut dwxh = np::zeros_like(&p.wxh);
    let mut dwhh = np::zeros_like(&p.whh);
    let mut dwhy = np::zeros_like(&p.why);
    let mut dbh = np::zeros_like(&p.bh);
    let mut dby = np::zeros_like(&p.by);
    let mut dhnext = np::zeros_like(&hs[0]);
    for t in (0..inputs.len()).rev() {
        let mut dy = ps[t].clone();
        np::subtract_at(&mut dy, &ix(targets[t]), 0, 1.0); // dy[targets[t]] -= 1
        dwhy += &dy.dot(&hs[t].t());
        dby += &dy;
        let dh = &p.why.t().dot(&dy) + &dhnext;
        let dhraw = &(1.0 - &(&hs[t] * &hs[t])) * &dh;
        dbh += &dhraw;
        dwxh += &dhraw.dot(&xs[t].t());
        let h_before = if t == 0 { hprev } else { &hs[t - 1] };
        dwhh += &dhraw.dot(&h_before.t());
        dhnext = p.whh.t().dot(&dhraw);
    }
    let mut grads = [dwxh, dwhh, dwhy, dbh, dby];
    for d in grads.iter_mut() {
        *d = d.clip(-5.0, 5.0); // np.clip(dparam, -5, 5, out=dparam)
    }
    (loss, grads, hs[inputs.len() - 1].clone())
}

/// Trains `iters` steps; returns (iteration, loss) for the first 10 iterations and every
/// `every`-th below `record_below`, and the mean wall time per step.
pub fn train(
    c: &Corpus,
    iters: usize,
    every: usize,
    record_below: usize,
    opts: &EvalOptions,
) -> Result<(Vec<(usize, f64)>, std::time::Duration)> {
    let mut p = Params {
        wxh: init(HIDDEN, c.vocab, 1),
        whh: init(HIDDEN, HIDDEN, 2),
        why: init(c.vocab, HIDDEN, 3),
        bh: np::zeros([HIDDEN, 1], DType::F64),
        by: np::zeros([c.vocab, 1], DType::F64),
    };
    let mut mem: [Array; 5] = [
        np::zeros_like(&p.wxh),
        np::zeros_like(&p.whh),
        np::zeros_like(&p.why),
        np::zeros_like(&p.bh),
        np::zeros_like(&p.by),
    ];
    let mut hprev = np::zeros([HIDDEN, 1], DType::F64);
    let (mut n, mut at) = (0usize, 0usize);
    let mut recorded = Vec::new();
    let start = std::time::Instant::now();
    while n < iters {
        if at + SEQ + 1 >= c.data.len() || n == 0 {
            hprev = np::zeros([HIDDEN, 1], DType::F64);
            at = 0;
        }
        let inputs = &c.data[at..at + SEQ];
        let targets = &c.data[at + 1..at + SEQ + 1];
        let (loss, grads, h) = loss_fun(&p, inputs, targets, &hprev);
        hprev = h;
        let params = [&mut p.wxh, &mut p.whh, &mut p.why, &mut p.bh, &mut p.by];
        for ((param, dparam), m) in params.into_iter().zip(&grads).zip(mem.iter_mut()) {
            *m += &(dparam * dparam); // mem += dparam * dparam
            *param += &(-LR * dparam / (&*m + 1e-8).sqrt());
        }
        // The whole step in one plan: new weights, Adagrad memories, hidden state, loss.
        np::eval_with(
            &[
                &p.wxh, &p.whh, &p.why, &p.bh, &p.by, &mem[0], &mem[1], &mem[2], &mem[3], &mem[4],
                &hprev, &loss,
            ],
            opts,
        )?;
        if n < record_below && (n < 10 || n % every == 0) {
            recorded.push((n, loss.item::<f64>()?));
        }
        at += SEQ;
        n += 1;
    }
    Ok((recorded, start.elapsed() / iters.max(1) as u32))
}
