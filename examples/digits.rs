//! Hand-written digit recognition on scikit-learn's 8x8 digits (examples/data/digits.npz) with
//! the NumPy toolbox of the seed article: softmax regression and a 64-64-10 ReLU MLP, trained
//! with hand-written gradients and SGD.
//!
//! ```text
//! cargo run --release --example digits [-- --epochs N] [--quick] [--threads N]
//! ```
//!
//! Each model is trained twice from the same seed: with the default fused JIT and with
//! `EvalOptions::eager()` (one kernel per op, every intermediate stored, as NumPy does), and
//! the wall time per epoch of both is printed. `--quick` trains 3 epochs on 600 samples;
//! `--threads N` sets the evaluation threads (default: all cores).

use lazynp::{EvalOptions, Result};
use std::path::PathBuf;
use std::time::Duration;

#[path = "digits/train.rs"]
mod train;

use train::{Config, Model, Report};

struct Args {
    epochs: usize,
    limit: Option<usize>,
    threads: Option<usize>,
}

fn parse_args() -> std::result::Result<Args, String> {
    let mut args = Args {
        epochs: 20,
        limit: None,
        threads: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => {
                args.epochs = 3;
                args.limit = Some(600);
            }
            "--epochs" => {
                let v = it.next().ok_or("--epochs needs a value")?;
                args.epochs = v.parse().map_err(|e| format!("--epochs {v}: {e}"))?;
            }
            "--threads" => {
                let v = it.next().ok_or("--threads needs a value")?;
                args.threads = Some(v.parse().map_err(|e| format!("--threads {v}: {e}"))?);
            }
            other => {
                return Err(format!(
                    "unknown argument {other} (use --epochs N, --quick, --threads N)"
                ));
            }
        }
    }
    Ok(args)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Median epoch time in ms, leaving out the first epoch (which compiles the kernels) if there
/// are others. The median resists the noise of a busy machine better than the mean.
fn steady_ms(r: &Report) -> f64 {
    let skip = usize::from(r.epoch_times.len() > 1);
    let mut t: Vec<f64> = r.epoch_times[skip..].iter().map(|&d| ms(d)).collect();
    t.sort_by(f64::total_cmp);
    t.get(t.len() / 2).copied().unwrap_or(f64::NAN)
}

fn run(model: &Model, data: &train::Data, cfg: &Config, threads: Option<usize>) -> Result<()> {
    let with_threads = |o: EvalOptions| match threads {
        Some(n) => o.threads(n),
        None => o,
    };
    println!(
        "\n== {} ({} epochs, batch {}, lr {}) ==",
        model.name(),
        cfg.epochs,
        cfg.batch_size,
        cfg.lr
    );
    let fused = train::train(
        model.clone(),
        data,
        cfg,
        &with_threads(EvalOptions::fused()),
        |_| {},
    )?;
    for (e, l) in fused.losses.iter().enumerate() {
        println!("epoch {:3}  loss {l:.4}", e + 1);
    }
    println!("held-out accuracy: {:.2}%", fused.test_accuracy * 100.0);

    let eager = train::train(
        model.clone(),
        data,
        cfg,
        &with_threads(EvalOptions::eager()),
        |_| {},
    )?;
    let first = |r: &Report| r.epoch_times.first().map_or(0.0, |&d| ms(d));
    println!(
        "time per epoch: fused {:.2} ms, eager {:.2} ms (first epoch, with compilation: fused {:.1} ms, eager {:.1} ms)",
        steady_ms(&fused),
        steady_ms(&eager),
        first(&fused),
        first(&eager)
    );
    let last = |r: &Report| r.losses.last().copied().unwrap_or(f32::NAN);
    println!(
        "eager run: final loss {:.4}, held-out accuracy {:.2}%",
        last(&eager),
        eager.test_accuracy * 100.0
    );
    Ok(())
}

fn main() -> Result<()> {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/data/digits.npz");
    let data = train::load(&path, args.limit)?;
    println!(
        "digits: {} training and {} held-out images of {} pixels",
        data.x_train.len(),
        data.x_test.len(),
        data.x_train.shape()[1]
    );
    let features = data.x_train.shape()[1];
    let base = Config {
        epochs: args.epochs,
        batch_size: 32,
        lr: 0.1,
        seed: 0,
    };
    run(&Model::softmax(features), &data, &base, args.threads)?;
    run(
        &Model::mlp(features, 64, base.seed),
        &data,
        &base,
        args.threads,
    )?;
    Ok(())
}
