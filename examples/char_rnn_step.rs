//! A character-level RNN training step (Karpathy's min-char-rnn: one-hot inputs by index, 25
//! tanh steps, backpropagation through time, clipped gradients, Adagrad), ported line by line
//! from NumPy, timed per step at one thread. The NumPy original is
//! `benches/peers/char_rnn_step_numpy.py` (same sizes, same synthetic corpus); run both:
//!
//! `cargo run --release --example char_rnn_step` and
//! `OPENBLAS_NUM_THREADS=1 python3 benches/peers/char_rnn_step_numpy.py`
//!
//! Each step has the same structure and new data (a new position in the corpus), so it plans
//! and compiles once: the step is one `np::eval` of the loss, the parameters, the Adagrad
//! memories and the hidden state.

use lazynp as np;
use lazynp::{DType, EvalOptions};
use std::time::Instant;

const VOCAB: usize = 65;
const HIDDEN: usize = 100;
const SEQ: usize = 25;
const LR: f64 = 0.1;

/// The synthetic corpus both programs use: a linear congruential sequence of character ids.
fn corpus(n: usize) -> Vec<usize> {
    let mut s: u64 = 42;
    (0..n)
        .map(|_| {
            s = (s * 1103515245 + 12345) % (1 << 31);
            ((s >> 16) % VOCAB as u64) as usize
        })
        .collect()
}

struct Model {
    params: [np::Array; 5], // wxh, whh, why, bh, by
    mem: [np::Array; 5],
    hprev: np::Array,
}

/// One training step; returns the loss (lazy).
fn step(m: &mut Model, eye: &np::Array, inputs: &[usize], targets: &[usize]) -> np::Array {
    let [wxh, whh, why, bh, by] = &m.params;
    let onehot = |i: usize| eye.i(i as isize).reshape([VOCAB, 1]);
    let (mut xs, mut hs, mut ps) = (Vec::new(), vec![m.hprev.clone()], Vec::new());
    let mut loss = np::scalar(0.0f64);
    for t in 0..SEQ {
        xs.push(onehot(inputs[t]));
        let h = (&(&wxh.matmul(&xs[t]) + &whh.matmul(&hs[t])) + bh).tanh();
        let y = &why.matmul(&h) + by;
        let e = y.exp();
        let p = &e / &e.sum(..);
        // loss += -np.log(ps[t][targets[t], 0])
        loss = &loss - &(&p.log() * &onehot(targets[t])).sum(..);
        hs.push(h);
        ps.push(p);
    }
    let zeros = |a: &np::Array| np::zeros_like(a);
    let (mut dwxh, mut dwhh, mut dwhy) = (zeros(wxh), zeros(whh), zeros(why));
    let (mut dbh, mut dby) = (zeros(bh), zeros(by));
    let mut dhnext = zeros(&hs[0]);
    for t in (0..SEQ).rev() {
        let dy = &ps[t] - &onehot(targets[t]); // dy[targets[t]] -= 1
        dwhy = &dwhy + &dy.matmul(&hs[t + 1].t());
        dby = &dby + &dy;
        let dh = &why.t().matmul(&dy) + &dhnext;
        let dhraw = &(1.0 - &(&hs[t + 1] * &hs[t + 1])) * &dh;
        dbh = &dbh + &dhraw;
        dwxh = &dwxh + &dhraw.matmul(&xs[t].t());
        dwhh = &dwhh + &dhraw.matmul(&hs[t].t());
        dhnext = whh.t().matmul(&dhraw);
    }
    let grads = [dwxh, dwhh, dwhy, dbh, dby].map(|d| d.clip(-5.0, 5.0));
    for ((p, mem), d) in m.params.iter_mut().zip(m.mem.iter_mut()).zip(&grads) {
        *mem = &*mem + &(d * d);
        *p = &*p + &(&(d * -LR) / &(&*mem + 1e-8).sqrt());
    }
    m.hprev = hs[SEQ].clone();
    loss
}

fn main() {
    let opts = EvalOptions::fused().threads(1);
    let data = corpus(100_000);
    // Deterministic weights both programs compute alike: 0.01 * sin(0.37 * i + k).
    let init = |r: usize, c: usize, k: f64| {
        let i = np::arange(0.0f64, (r * c) as f64, 1.0).reshape([r, c]);
        ((&i * 0.37 + k).sin() * 0.01).eval().unwrap()
    };
    let params = [
        init(HIDDEN, VOCAB, 1.0),
        init(HIDDEN, HIDDEN, 2.0),
        init(VOCAB, HIDDEN, 3.0),
        np::zeros([HIDDEN, 1], DType::F64),
        np::zeros([VOCAB, 1], DType::F64),
    ];
    let mem = params.each_ref().map(np::zeros_like);
    let mut m = Model {
        params,
        mem,
        hprev: np::zeros([HIDDEN, 1], DType::F64),
    };
    let eye = np::eye(VOCAB, DType::F64);
    let (warm, timed) = (20, 300);
    let mut p = 0;
    let mut times = Vec::new();
    let mut last = 0.0;
    let before = np::jit_stats();
    for it in 0..warm + timed {
        if p + SEQ + 1 >= data.len() {
            p = 0;
        }
        let t0 = Instant::now();
        let loss = step(&mut m, &eye, &data[p..p + SEQ], &data[p + 1..p + SEQ + 1]);
        let mut outs: Vec<&np::Array> = vec![&loss, &m.hprev];
        outs.extend(m.params.iter().chain(m.mem.iter()));
        np::eval_with(&outs, &opts).unwrap();
        last = loss.item::<f64>().unwrap();
        if it < 3 {
            println!("step {it}: loss {last:.6}");
        }
        if it >= warm {
            times.push(t0.elapsed().as_secs_f64() * 1e3);
        }
        p += SEQ;
    }
    let stats = np::jit_stats();
    times.sort_by(f64::total_cmp);
    println!(
        "lazynp char-RNN step: median {:.3} ms (min {:.3}) over {timed} steps, loss {last:.4}",
        times[timed / 2],
        times[0]
    );
    println!(
        "  plans built {}, plan hits {}, kernels compiled {}",
        stats.plans_built - before.plans_built,
        stats.plan_hits - before.plan_hits,
        stats.kernels_compiled - before.kernels_compiled
    );
}
