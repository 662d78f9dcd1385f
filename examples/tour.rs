//! A tour of lazynp through every code snippet of the article "NumPy for Deep Learning
//! Beginners: Why It Comes Before PyTorch".
//!
//! Run with `cargo run --example tour`. The first part prints exactly what the NumPy snippets
//! print (checked against NumPy by `tests/tour.rs`); the second part shows the random snippets'
//! drawn values, which come from lazynp's generator and so differ from NumPy's.

use lazynp as np;
use lazynp::s;

#[path = "tour/snippets.rs"]
mod snippets;

use snippets::py_shape;

/// The random snippets again, printing the values they draw.
fn random_values() -> np::Result<()> {
    println!("# Random snippets with their values (lazynp's stream, not NumPy's)");

    println!("## 9. NumPy -> PyTorch -> NumPy: column means of randn(100, 3) as float32");
    np::random::seed(0);
    let np_data = np::random::randn([100, 3]);
    let as_f32: Vec<f32> = np_data.to_vec::<f64>()?.iter().map(|&v| v as f32).collect();
    let tensor_data = np::Array::from_shape_vec(np_data.shape(), as_f32)?;
    println!("{}", tensor_data.mean(0));

    println!("## 10. Random initialization & adding noise");
    let w = &np::random::randn([3, 3]) * 0.01;
    let x = np::array([1.0, 2.0, 3.0]);
    let noise = np::random::normal(0.0, 0.1, x.shape());
    let x_noisy = &x + &noise;
    println!("W =\n{w}");
    println!("x_noisy = {x_noisy}");

    println!("## 11. Data normalization (mean 0, std 1)");
    let x = &(&np::random::randn([100, 3]) * 10.0) + 50.0;
    let mean = x.mean(0);
    let std = x.std(0);
    let x_norm = &(&x - &mean) / &(&std + 1e-8);
    println!("mean = {mean}\nstd = {std}");
    println!("X_norm[:3] =\n{}", x_norm.slice(s![..3]));
    println!("X_norm.mean(axis=0) = {}", x_norm.mean(0));
    println!("X_norm.std(axis=0) = {}", x_norm.std(0));

    println!("## 13. Batch splitting: the last batch");
    let x = np::random::randn([100, 3]);
    let batch_size = 16;
    let last = (0..x.len()).step_by(batch_size).next_back().unwrap_or(0);
    let batch = x.slice(s![last..last + batch_size]);
    println!(
        "X[{last}:{}] {} =\n{batch}",
        last + batch_size,
        py_shape(batch.shape())
    );

    println!("## 19. Key points: random utilities");
    println!("{}", np::random::randn([2, 3]));
    println!("{}", np::random::randint(0, 10, 5));
    println!("{}", np::random::permutation(5));

    println!("## The same with a Generator: rng = np.random.default_rng(42)");
    let mut rng = np::random::default_rng(42);
    println!(
        "rng.standard_normal((2, 3)) =\n{}",
        rng.standard_normal([2, 3])
    );
    println!("rng.normal(0, 0.1, 3) = {}", rng.normal(0.0, 0.1, [3]));
    println!("rng.random(4) = {}", rng.random([4]));
    println!("rng.integers(0, 10, 5) = {}", rng.integers(0, 10, [5]));
    println!("rng.permutation(5) = {}", rng.permutation(5));
    Ok(())
}

fn main() -> np::Result<()> {
    print!("{}", snippets::deterministic_snippets()?);
    println!();
    random_values()
}
