use lazynp as np;
use lazynp::{DType, EvalOptions};
fn main() {
    let x = (np::arange(0.0f64, 120.0, 1.0).reshape([4, 5, 6]) * 0.37 - 9.0)
        .sin()
        .astype(DType::F32)
        .eval()
        .unwrap();
    for axes in [vec![2isize], vec![1, 2]] {
        let a = x
            .sum(axes.clone())
            .eval_with(&EvalOptions::fused())
            .unwrap()
            .to_vec::<f32>()
            .unwrap();
        let b = x
            .sum(axes.clone())
            .eval_with(&EvalOptions::interpreter())
            .unwrap()
            .to_vec::<f32>()
            .unwrap();
        println!("{axes:?}\n{a:?}\n{b:?}");
        let g = lazynp::ir::Graph::lower(&[x.sum(axes.clone()).node_for_debug()]);
        let plan = lazynp::passes::compile(&g, true);
        for s in &plan.steps {
            if let lazynp::passes::Step::Kernel { kernel, .. } = s {
                println!(
                    "{}\n{}",
                    kernel.describe(),
                    lazynp::codegen::compile(kernel, false).unwrap().clif
                );
            }
        }
    }
}
#[allow(dead_code)]
fn clif() {}
