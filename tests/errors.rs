//! Shape errors are reported when an op is built, at the caller's line, with NumPy's wording;
//! runtime failures are typed `Result` errors. One test in its own binary (it sets the panic hook).

use lazynp as np;
use std::sync::{Arc, Mutex};

#[test]
fn shape_errors_point_at_the_callers_line_and_runtime_errors_are_results() {
    let seen: Arc<Mutex<Vec<(String, u32, String)>>> = Arc::default();
    let sink = seen.clone();
    std::panic::set_hook(Box::new(move |info| {
        let loc = info.location().expect("location");
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        sink.lock()
            .unwrap()
            .push((loc.file().to_string(), loc.line(), msg));
    }));
    let x = np::array([[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    let b = np::array([1.0f64, 2.0, 3.0, 4.0]);
    let line = line!() + 1;
    let r = std::panic::catch_unwind(|| &x + &b);
    assert!(r.is_err());
    let line2 = line!() + 1;
    let r2 = std::panic::catch_unwind(|| x.reshape([4, 2]));
    assert!(r2.is_err());
    let line3 = line!() + 1;
    let r3 = std::panic::catch_unwind(|| x.sum(2));
    assert!(r3.is_err());
    let _ = std::panic::take_hook();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    assert!(
        seen[0].0.ends_with("tests/errors.rs") && seen[0].1 == line,
        "{:?}",
        seen[0]
    );
    assert_eq!(
        seen[0].2,
        "operands could not be broadcast together with shapes (2,3) (4,)"
    );
    assert!(
        seen[1].0.ends_with("tests/errors.rs") && seen[1].1 == line2,
        "{:?}",
        seen[1]
    );
    assert_eq!(
        seen[1].2,
        "cannot reshape array of size 6 into shape (4, 2)"
    );
    assert!(
        seen[2].0.ends_with("tests/errors.rs") && seen[2].1 == line3,
        "{:?}",
        seen[2]
    );
    assert_eq!(
        seen[2].2,
        "axis 2 is out of bounds for array of dimension 2"
    );

    // Runtime failures are errors, not panics.
    let bad = np::eye(3, np::DType::F32).take(&np::array([5i64]), 0);
    assert!(matches!(
        bad.eval(),
        Err(np::Error::IndexOutOfBounds { index: 5, .. })
    ));
    assert!(matches!(
        x.to_vec::<f32>(),
        Err(np::Error::DTypeMismatch { .. })
    ));
    let singular = np::array([[1.0f64, 2.0], [2.0, 4.0]]);
    assert_eq!(
        np::linalg::inv(&singular).unwrap_err(),
        np::Error::SingularMatrix
    );
}
