//! The two NumPy ports written with updates (examples/spiral.rs, examples/char_rnn.rs) match
//! NumPy's losses (fixtures written by their NumPy twins in benches/peers/).

use lazynp::EvalOptions;
use std::path::Path;

#[path = "../examples/spiral/train.rs"]
#[allow(dead_code)]
mod spiral;

#[path = "../examples/char_rnn/model.rs"]
#[allow(dead_code)]
mod char_rnn;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn spiral_losses_match_numpy() {
    let data = spiral::load(root()).unwrap();
    let expected = spiral::expected_losses(root());
    let (losses, _) = spiral::train(&data, 401, 200, &EvalOptions::default()).unwrap();
    assert_eq!(losses.len(), 3);
    for ((i, want), got) in expected.iter().zip(&losses) {
        assert!(
            (got - want).abs() <= 1e-10 * want.abs(),
            "iteration {i}: {got} vs NumPy {want}"
        );
    }
}

#[test]
fn char_rnn_first_losses_match_numpy() {
    let corpus = char_rnn::corpus(root());
    let expected = char_rnn::expected_losses(root());
    for opts in [
        EvalOptions::default().threads(1),
        EvalOptions::interpreter(),
    ] {
        let (losses, _) = char_rnn::train(&corpus, 5, 25, 5, &opts).unwrap();
        assert_eq!(losses.len(), 5);
        for ((i, got), (j, want)) in losses.iter().zip(&expected) {
            assert_eq!(i, j);
            assert!(
                (got - want).abs() <= 1e-11 * want.abs(),
                "step {i}: {got} vs NumPy {want}"
            );
        }
    }
}
