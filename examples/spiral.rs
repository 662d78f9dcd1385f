//! The CS231n spiral-data classifier (softmax over a 100-unit ReLU layer) written with NumPy's
//! statements — `dscores[range(n), y] -= 1`, `dhidden[hidden_layer <= 0] = 0`, `W += ...` —
//! and checked against NumPy's losses (benches/peers/spiral_numpy.py made the data, the initial
//! weights and the expected losses).
//!
//! ```text
//! cargo run --release --example spiral
//! ```

use lazynp::{EvalOptions, Result};
use std::path::Path;

#[path = "spiral/train.rs"]
mod train;

fn main() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = train::load(root)?;
    let expected = train::expected_losses(root);
    let start = std::time::Instant::now();
    let (losses, acc) = train::train(&data, 2000, 200, &EvalOptions::default())?;
    let elapsed = start.elapsed();
    let mut worst = 0.0f64;
    for ((i, want), got) in expected.iter().zip(&losses) {
        let rel = (got - want).abs() / want.abs();
        worst = worst.max(rel);
        println!("iteration {i}: loss {got:.6} (NumPy {want:.6})");
    }
    println!("training accuracy: {acc:.2}");
    println!(
        "2000 iterations in {:.1} ms ({:.1} us per step); largest relative loss difference from NumPy: {worst:.1e}",
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e6 / 2000.0
    );
    assert!(worst < 1e-9, "losses differ from NumPy's");
    Ok(())
}
