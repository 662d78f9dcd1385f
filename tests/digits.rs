//! A short run of `examples/digits.rs` (same training code, `examples/digits/train.rs`):
//! the models learn, fused and eager evaluation agree, and reassigning weight variables every
//! step, as NumPy code does, does not make the lazy graphs grow.

use lazynp::EvalOptions;
use std::path::PathBuf;

#[path = "../examples/digits/train.rs"]
mod train;

use train::{Config, Model};

fn data(limit: usize) -> train::Data {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/data/digits.npz");
    train::load(&path, Some(limit)).expect("examples/data/digits.npz loads")
}

fn config(epochs: usize) -> Config {
    Config {
        epochs,
        batch_size: 32,
        lr: 0.1,
        seed: 0,
    }
}

/// Graph sizes (lines of `dump_graph`) of every weight handle, after every step.
fn train_recording(model: Model, d: &train::Data, cfg: &Config) -> (train::Report, Vec<usize>) {
    let mut sizes = Vec::new();
    let report = train::train(model, d, cfg, &EvalOptions::fused(), |m| {
        let lines: usize = m
            .weights()
            .iter()
            .map(|w| w.dump_graph().lines().count())
            .sum();
        sizes.push(lines);
    })
    .expect("training runs");
    (report, sizes)
}

#[test]
fn data_is_split_and_standardised() {
    let d = data(1797);
    assert_eq!(d.x_train.shape(), &[1437, 64]);
    assert_eq!(d.x_test.shape(), &[360, 64]);
    assert_eq!(d.y_train.len() + d.y_test.len(), 1797);
    let labels = d.y_train.to_vec::<i64>().expect("int64 labels");
    assert!(labels.iter().all(|l| (0..10).contains(l)));
    // Every class appears in the training set.
    assert!((0..10).all(|c| labels.contains(&c)));
    // Standardised columns: mean 0, std 1, except the constant pixels, which stay 0.
    let mean = d.x_train.mean(0).to_vec::<f32>().expect("f32");
    let std = d.x_train.std(0).to_vec::<f32>().expect("f32");
    assert!(mean.iter().all(|m| m.abs() < 1e-4), "{mean:?}");
    assert!(
        std.iter().all(|s| (s - 1.0).abs() < 1e-3 || *s == 0.0),
        "{std:?}"
    );
    assert!(std.iter().filter(|&&s| s == 0.0).count() < 8);
}

#[test]
fn mlp_learns_and_graphs_stay_bounded() {
    let d = data(800);
    let cfg = config(4);
    let (report, sizes) = train_recording(Model::mlp(64, 64, 0), &d, &cfg);
    let losses = &report.losses;
    assert_eq!(losses.len(), 4);
    assert_eq!(report.epoch_times.len(), 4);
    assert!(losses.iter().all(|l| l.is_finite()), "{losses:?}");
    assert!(losses[3] < losses[0] * 0.5, "loss did not fall: {losses:?}");
    assert!(
        report.test_accuracy > 0.8,
        "held-out accuracy {} is not far above chance",
        report.test_accuracy
    );

    // 4 epochs of ceil(640 / 32) = 20 steps. Each pending weight is one update away from
    // realised arrays, so its graph has the same size at step 80 as at step 2.
    assert_eq!(sizes.len(), 80);
    assert!(
        sizes.iter().all(|&s| s > 4),
        "updates should be pending: {sizes:?}"
    );
    let early = sizes[..2].iter().copied().max().unwrap_or(0);
    let late = sizes[60..].iter().copied().max().unwrap_or(0);
    assert!(late <= early, "graphs grew with the step count: {sizes:?}");
}

#[test]
fn softmax_regression_learns_and_eager_matches_fused() {
    let d = data(600);
    let cfg = config(3);
    let (fused, sizes) = train_recording(Model::softmax(64), &d, &cfg);
    assert!(fused.losses[2] < fused.losses[0], "{:?}", fused.losses);
    let name = Model::softmax(64).name();
    assert!(
        fused.test_accuracy > 0.8,
        "{name}: accuracy {}",
        fused.test_accuracy
    );
    let early = sizes[..2].iter().copied().max().unwrap_or(0);
    assert!(sizes.iter().all(|&s| s <= early), "{sizes:?}");

    let eager = train::train(Model::softmax(64), &d, &cfg, &EvalOptions::eager(), |_| {})
        .expect("eager training runs");
    for (f, e) in fused.losses.iter().zip(&eager.losses) {
        assert!(
            (f - e).abs() <= 1e-4 * f.abs().max(1.0),
            "fused {f} vs eager {e}"
        );
    }
    assert!((fused.test_accuracy - eager.test_accuracy).abs() < 0.02);
}

#[test]
fn missing_array_is_an_error() {
    let dir = std::env::temp_dir().join(format!("lazynp-digits-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("bad.npz");
    lazynp::savez(
        &path,
        &[("images", &lazynp::zeros([20, 64], lazynp::DType::F32))],
    )
    .expect("savez");
    let err = train::load(&path, None).err().map(|e| e.to_string());
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        err.as_deref().is_some_and(|e| e.contains("labels")),
        "got {err:?}"
    );
}
