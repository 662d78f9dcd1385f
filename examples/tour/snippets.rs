//! The deterministic part of every snippet of the seed article, ported to lazynp. Shared (via
//! `#[path]`) by `examples/tour.rs` and `tests/tour.rs`, which checks the text against
//! `scripts/tour_numpy.py`'s NumPy output. Random snippets print only what does not depend on the
//! drawn values (lazynp's generator is not NumPy's PCG64 stream).

use lazynp as np;
use lazynp::{Array, DType, s};

/// `print(...)` into a string: every call appends one line.
macro_rules! p {
    ($out:expr, $($arg:tt)*) => {{
        $out.push_str(&format!($($arg)*));
        $out.push('\n');
    }};
}

/// Python's repr of a shape tuple: `(2, 3)`, `(3,)`.
pub fn py_shape(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Python's `str(bool)`.
pub fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// Python's repr of `x.tolist()` for a 1-d or 2-d integer array.
fn py_list_i64(x: &Array) -> np::Result<String> {
    let v = x.to_vec::<i64>()?;
    let row = |r: &[i64]| {
        let items: Vec<String> = r.iter().map(|e| e.to_string()).collect();
        format!("[{}]", items.join(", "))
    };
    Ok(match x.shape() {
        [_, cols] if *cols > 0 => {
            let rows: Vec<String> = v.chunks(*cols).map(row).collect();
            format!("[{}]", rows.join(", "))
        }
        _ => row(&v),
    })
}

/// Every snippet's header and what it prints, exactly as `scripts/tour_numpy.py` does in NumPy.
pub fn deterministic_snippets() -> np::Result<String> {
    let mut out = String::new();
    np::random::seed(0);

    p!(out, "## 1. Python lists: + concatenates");
    let a = vec![1, 2, 3, 4];
    let b = vec![10, 20, 30, 40];
    p!(out, "{:?}", [a, b].concat());

    p!(out, "## 2. NumPy arrays: + adds element-wise");
    let a = np::array([1i64, 2, 3, 4]);
    let b = np::array([10i64, 20, 30, 40]);
    p!(out, "{}", &a + &b);
    p!(out, "{}", (&a + &b).repr());

    p!(out, "## 3. Vectorization: list + for loop");
    let values = vec![1, 2, 3, 4, 5];
    let mut squared = Vec::new();
    for x in &values {
        squared.push(x * x);
    }
    p!(out, "{squared:?}");

    p!(out, "## 4. Vectorization: values ** 2");
    let values = np::array([1i64, 2, 3, 4, 5]);
    let squared = values.powf(2);
    p!(out, "{squared}");
    p!(out, "{}", squared.repr());

    p!(out, "## 5. Broadcasting: X + B");
    let x = np::array([[1i64, 2, 3], [4, 5, 6]]);
    let b = np::array([10i64, 20, 30]);
    let y = &x + &b;
    p!(out, "{y}");
    p!(
        out,
        "{} {} {}",
        py_shape(x.shape()),
        py_shape(b.shape()),
        py_shape(y.shape())
    );

    p!(out, "## 6. Broadcasting with tensors (interop round trip)");
    // torch.tensor(...) holds plain data; lazynp takes it back with from_shape_vec.
    let x_t: Vec<i64> = x.to_vec()?;
    let b_t: Vec<i64> = b.to_vec()?;
    let y = &Array::from_shape_vec([2, 3], x_t)? + &Array::from_shape_vec([3], b_t)?;
    p!(out, "{}", py_list_i64(&y)?);

    p!(out, "## 7. Matrix product: y = W @ x");
    let x = np::array([1.0, 2.0, 3.0]);
    let w = np::array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]);
    let y = w.matmul(&x);
    p!(out, "{y}");
    p!(out, "{}", py_shape(y.shape()));

    p!(
        out,
        "## 8. Matrix product with float32 tensors (interop round trip)"
    );
    let x = Array::from_shape_vec([3], vec![1.0f32, 2.0, 3.0])?;
    let w = Array::from_shape_vec([2, 3], vec![0.1f32, 0.2, 0.3, 0.4, 0.5, 0.6])?;
    let y = w.matmul(&x);
    p!(out, "{y}");
    p!(out, "{}", y.repr());

    p!(out, "## 9. NumPy -> PyTorch -> NumPy");
    let np_data = np::random::randn([100, 3]);
    let as_f32: Vec<f32> = np_data.to_vec::<f64>()?.iter().map(|&v| v as f32).collect();
    let tensor_data = Array::from_shape_vec(np_data.shape(), as_f32)?; // torch.from_numpy(..).float()
    p!(out, "torch.Size({:?})", tensor_data.shape());
    let y = tensor_data.mean(0); // tensor_data.mean(dim=0)
    let y_np = Array::from_shape_vec(y.shape(), y.to_vec::<f32>()?)?; // y.detach().cpu().numpy()
    p!(out, "{} {}", py_shape(y_np.shape()), y_np.dtype());

    p!(out, "## 10. Random initialization & adding noise");
    let w = &np::random::randn([3, 3]) * 0.01;
    let x = np::array([1.0, 2.0, 3.0]);
    let noise = np::random::normal(0.0, 0.1, x.shape());
    let x_noisy = &x + &noise;
    p!(
        out,
        "{} {} {} {}",
        py_shape(w.shape()),
        w.dtype(),
        py_shape(noise.shape()),
        x_noisy.dtype()
    );
    p!(out, "{}", (&x_noisy - &x).abs().max(..).lt(1.0));

    p!(out, "## 11. Data normalization (mean 0, std 1)");
    let x = &(&np::random::randn([100, 3]) * 10.0) + 50.0;
    let mean = x.mean(0);
    let std = x.std(0);
    let x_norm = &(&x - &mean) / &(&std + 1e-8);
    p!(
        out,
        "{} {} {}",
        py_shape(mean.shape()),
        py_shape(std.shape()),
        py_shape(x_norm.shape())
    );
    p!(out, "{}", x_norm.mean(0).abs().max(..).lt(1e-9));
    p!(out, "{}", (&x_norm.std(0) - 1.0).abs().max(..).lt(1e-6));

    p!(out, "## 12. One-hot encoding");
    let num_classes = 4;
    let labels = np::array([0i64, 2, 1, 3]);
    let one_hot = np::eye(num_classes, DType::F64).take(&labels, 0);
    p!(out, "{one_hot}");

    p!(out, "## 13. Batch splitting");
    let x = np::random::randn([100, 3]);
    let batch_size = 16;
    for i in (0..x.len()).step_by(batch_size) {
        let batch = x.slice(s![i..i + batch_size]);
        p!(out, "{i} {}", py_shape(batch.shape()));
    }

    key_points(&mut out)?;
    Ok(out)
}

/// The "Key points to master" list: each named operation on one small matrix.
fn key_points(out: &mut String) -> np::Result<()> {
    p!(out, "## 14. Key points: ndarray basics");
    let x = np::array([[-1.5, 2.0, 0.5], [3.0, -0.25, 4.0]]);
    p!(out, "{} {}", x.dtype(), py_shape(x.shape()));
    p!(out, "{}", x.reshape([3, 2]));
    p!(out, "{}", x.astype(DType::I32).repr());

    p!(out, "## 15. Key points: indexing & slicing");
    p!(out, "{}", x.i(0));
    p!(out, "{}", x.slice(s![1..3]));
    p!(out, "{}", x.slice(s![.., 0]));
    p!(out, "{}", x.slice(s![.., 1..3]));
    p!(out, "{}", x.masked(&x.gt(0.0))?);

    p!(
        out,
        "## 16. Key points: arithmetic, comparisons, reductions"
    );
    p!(out, "{}", &x + 1.0);
    p!(out, "{}", &x - 1.0);
    p!(out, "{}", &x * 2.0);
    p!(out, "{}", &x / 2.0);
    p!(out, "{}", x.powf(2));
    p!(out, "{}", x.gt(0.0));
    p!(
        out,
        "{} {} {} {}",
        x.sum(..),
        x.mean(..),
        x.max(..),
        x.min(..)
    );
    p!(out, "{}", x.sum(0));
    p!(out, "{}", x.max(1));

    p!(out, "## 17. Key points: linear algebra");
    p!(out, "{}", x.matmul(&x.t()));
    p!(out, "{}", x.i(0).dot(&x.i(1)));
    p!(out, "{}", x.t());

    p!(out, "## 18. Key points: broadcasting");
    p!(out, "{}", &x * 10.0);
    p!(out, "{}", &x + &np::array([1.0, 2.0, 3.0]));
    p!(out, "{}", &x + &np::array([[100.0], [200.0]]));

    p!(out, "## 19. Key points: random utilities");
    let r = np::random::randn([2, 3]);
    p!(out, "{} {}", py_shape(r.shape()), r.dtype());
    let k = np::random::randint(0, 10, 5);
    let in_range = k.ge(0i64).logical_and(&k.lt(10i64)).all(..);
    p!(out, "{} {} {}", py_shape(k.shape()), k.dtype(), in_range);
    let perm = np::random::permutation(5);
    p!(
        out,
        "{} {} {}",
        py_shape(perm.shape()),
        perm.dtype(),
        perm.sum(..)
    );

    p!(out, "## 20. Key points: PyTorch interop");
    let t: Vec<f64> = x.to_vec()?; // torch.from_numpy(x)
    let back = Array::from_shape_vec(x.shape(), t)?; // tensor.numpy()
    p!(
        out,
        "{} {}",
        py_bool(back.shape() == x.shape()),
        back.equal(&x).all(..)
    );
    Ok(())
}
