//! "Laziness must not punish NumPy habits": a NumPy training loop ported line by line (weights
//! reassigned every step, only the loss read) runs in time linear in its steps with bounded
//! memory. Checked structurally (graph size and live bytes), not by timing.

use lazynp as np;
use lazynp::{DType, EvalOptions};

fn train(steps: usize, opts: &EvalOptions) -> (Vec<usize>, Vec<usize>, f32) {
    let mut rng = np::random::default_rng(7);
    let x = rng
        .standard_normal_dtype([256, 8], DType::F32)
        .eval()
        .unwrap();
    let true_w = np::array([[1.0f32], [-2.0], [0.5], [3.0], [0.0], [1.5], [-1.0], [2.0]]);
    let y = x.matmul(&true_w).eval().unwrap();
    let mut w = np::zeros([8, 1], DType::F32);
    let mut b = np::zeros([1], DType::F32);
    let lr = 0.05f32 as f64;
    let mut graph_sizes = Vec::new();
    let mut live = Vec::new();
    let mut loss_value = f32::NAN;
    for _ in 0..steps {
        // Exactly what the NumPy program does, one line at a time.
        let pred = &x.matmul(&w) + &b;
        let err = &pred - &y;
        let loss = (&err * &err).mean(..);
        let grad_w = x.t().matmul(&err) * (2.0 / 256.0);
        let grad_b = err.sum(0) * (2.0 / 256.0);
        w = &w - &(&grad_w * lr);
        b = &b - &(&grad_b * lr);
        loss_value = loss.eval_with(opts).unwrap().item::<f32>().unwrap();
        graph_sizes.push(w.dump_graph().lines().count() + b.dump_graph().lines().count());
        live.push(np::live_bytes());
    }
    (graph_sizes, live, loss_value)
}

#[test]
fn training_loop_graph_and_memory_stay_bounded() {
    for opts in [EvalOptions::fused(), EvalOptions::eager()] {
        let (sizes, _live, loss) = train(200, &opts);
        let max_late = sizes[100..].iter().max().copied().unwrap();
        let max_early = sizes[5..20].iter().max().copied().unwrap();
        assert!(
            max_late <= max_early,
            "graph grows: early {max_early}, late {max_late}"
        );
        assert!(
            max_late < 40,
            "graph of the weights after a step: {max_late} nodes"
        );
        assert!(loss < 1e-2, "training converges: {loss}");
    }
}

#[test]
fn live_memory_does_not_grow_with_steps() {
    // live_bytes is process-wide and other tests allocate concurrently, so compare this loop's
    // own footprint over a long run with generous slack: a leak of one 8 KB buffer per step
    // would add 2.4 MB over 300 steps.
    let (_, live, _) = train(300, &EvalOptions::fused());
    let early = live[20..40].iter().copied().min().unwrap();
    let late = live[280..].iter().copied().min().unwrap();
    assert!(
        late <= early + (1 << 20),
        "live bytes grew from {early} to {late}"
    );
}
