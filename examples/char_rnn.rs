//! Karpathy's min-char-rnn written with NumPy's statements — one-hot by
//! `xs[t][inputs[t]] = 1`, 25 tanh steps, backpropagation through time, `dy[targets[t]] -= 1`,
//! `np.clip`, Adagrad's `mem += dparam * dparam` — on examples/data/char_rnn.txt, checked against
//! NumPy's losses (benches/peers/char_rnn_numpy.py) and timed per training step at one thread.
//!
//! ```text
//! cargo run --release --example char_rnn [-- --iters N]
//! OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python3 benches/peers/char_rnn_numpy.py --iters N
//! ```

use lazynp::{EvalOptions, Result};
use std::path::Path;

#[path = "char_rnn/model.rs"]
mod model;

fn main() -> Result<()> {
    let mut iters = 1000;
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--iters") {
        iters = args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .expect("--iters N");
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = model::corpus(root);
    let expected = model::expected_losses(root);
    let opts = EvalOptions::default().threads(1);
    let (losses, per_step) = model::train(&corpus, iters, 25, 500, &opts)?;
    // Rounding differences grow chaotically in the first steps (see the NumPy twin's notes):
    // the first 7 losses agree to 1e-9, later ones to 1e-2.
    let (mut first, mut worst) = (0.0f64, 0.0f64);
    for ((i, got), (j, want)) in losses.iter().zip(&expected) {
        assert_eq!(i, j, "recorded iterations");
        let rel = (got - want).abs() / want.abs();
        if *i < 7 {
            first = first.max(rel);
        }
        worst = worst.max(rel);
        if i % 100 == 0 {
            println!("iter {i}, loss: {got:.6} (NumPy {want:.6})");
        }
    }
    println!(
        "lazynp: {iters} steps, {:.3} ms per training step at 1 thread (vocab {}, hidden {}, seq {})",
        per_step.as_secs_f64() * 1e3,
        corpus.vocab,
        model::HIDDEN,
        model::SEQ
    );
    println!(
        "largest relative loss difference from NumPy: {first:.1e} over the first 7 steps, {worst:.1e} over {} recorded steps",
        losses.len().min(expected.len())
    );
    assert!(first < 1e-9 && worst < 1e-2, "losses differ from NumPy's");
    Ok(())
}
