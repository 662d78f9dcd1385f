//! Interop round trips: Rust containers always; `ndarray` and `safetensors` with their cargo
//! features (`cargo test --features ndarray,safetensors --test interop`, as CI runs it).

use lazynp::{Array, DType, Error};

/// A small deterministic array of every dtype, 2x3.
#[cfg(any(feature = "ndarray", feature = "safetensors"))]
fn sample(dtype: DType) -> Array {
    lazynp::arange(-2.0f64, 4.0, 1.0)
        .reshape([2, 3])
        .astype(dtype)
        .eval()
        .unwrap()
}

#[test]
fn vec_slice_iter_and_nested_vec_round_trip() {
    let v = vec![3.5f32, -1.0, 0.25];
    let a = Array::from(v.clone());
    assert_eq!(a.to_vec::<f32>().unwrap(), v);
    assert_eq!(a.iter::<f32>().unwrap().collect::<Vec<_>>(), v);
    let b = Array::from(&v[1..]);
    assert_eq!(Vec::<f32>::try_from(&b).unwrap(), v[1..]);
    let c: Array = v.iter().copied().collect();
    assert_eq!(c.to_vec::<f32>().unwrap(), v);

    let rows = vec![vec![1u16, 2, 3], vec![4, 5, 6]];
    let m = Array::try_from(rows.clone()).unwrap();
    assert_eq!((m.shape(), m.dtype()), (&[2usize, 3][..], DType::U16));
    assert_eq!(m.to_vec2::<u16>().unwrap(), rows);
    // A lazy, strided result: iter and to_vec2 evaluate and read C order.
    let t = &m.t() + &m.t();
    assert_eq!(
        t.to_vec2::<u16>().unwrap(),
        vec![vec![2, 8], vec![4, 10], vec![6, 12]]
    );
    let it = t.iter::<u16>().unwrap();
    assert_eq!(it.len(), 6);
    assert_eq!(it.rev().collect::<Vec<_>>(), vec![12, 6, 10, 4, 8, 2]);
    // Zero columns keep their rows.
    let empty = Array::try_from(vec![Vec::<i8>::new(), Vec::new()]).unwrap();
    assert_eq!(empty.shape(), &[2, 0]);
    assert_eq!(empty.to_vec2::<i8>().unwrap(), vec![Vec::<i8>::new(); 2]);
}

#[test]
fn ragged_rows_and_wrong_requests_are_errors() {
    let e = Array::try_from(vec![vec![1i64, 2], vec![3], vec![4, 5]]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "array: setting an array element with a sequence. The requested array has an \
         inhomogeneous shape after 1 dimensions. The detected shape was (3,) + inhomogeneous \
         part."
    );
    let x = lazynp::array([1.0f64, 2.0]);
    assert!(matches!(x.iter::<f32>(), Err(Error::DTypeMismatch { .. })));
    assert!(x.to_vec2::<f64>().is_err());
    assert!(
        lazynp::zeros([2, 2, 2], DType::F64)
            .to_vec2::<f64>()
            .is_err()
    );
}

#[cfg(feature = "ndarray")]
#[test]
fn ndarray_round_trips_every_dtype_and_layout() {
    fn check<T: lazynp::Element + std::fmt::Debug>(dtype: DType) {
        let x = sample(dtype);
        let nd = x.to_ndarray::<T>().unwrap();
        assert_eq!(nd.shape(), &[2, 3]);
        assert_eq!(
            nd.iter().copied().collect::<Vec<T>>(),
            x.to_vec::<T>().unwrap()
        );
        let back = Array::from(nd.clone());
        assert_eq!(back.to_vec::<T>().unwrap(), x.to_vec::<T>().unwrap());
        // A transposed (non-standard layout) view copies in logical order.
        let back_t = Array::from(nd.t());
        assert_eq!(back_t.to_vec::<T>().unwrap(), x.t().to_vec::<T>().unwrap());
        let view = x.ndarray_view::<T>().unwrap();
        assert_eq!(view.view(), nd.view());
    }
    check::<bool>(DType::Bool);
    check::<i8>(DType::I8);
    check::<i16>(DType::I16);
    check::<i32>(DType::I32);
    check::<i64>(DType::I64);
    check::<u8>(DType::U8);
    check::<u16>(DType::U16);
    check::<u32>(DType::U32);
    check::<u64>(DType::U64);
    check::<f32>(DType::F32);
    check::<f64>(DType::F64);
    // A sliced ndarray view with a negative stride.
    let a = ndarray::Array::from_shape_fn((4, 5), |(i, j)| (i * 5 + j) as f64);
    let s = a.slice(ndarray::s![1..4;2, ..;-2]);
    let x = Array::from(s);
    assert_eq!(x.shape(), &[2, 3]);
    assert_eq!(
        x.to_vec::<f64>().unwrap(),
        vec![9.0, 7.0, 5.0, 19.0, 17.0, 15.0]
    );
    // The view is zero-copy: it points into the evaluated buffer, stable across calls.
    let y = (&x * 2.0).eval().unwrap();
    let (v1, v2) = (
        y.ndarray_view::<f64>().unwrap(),
        y.ndarray_view::<f64>().unwrap(),
    );
    assert_eq!(v1.view().as_ptr(), v2.view().as_ptr());
    assert!(y.ndarray_view::<f32>().is_err());
}

#[cfg(feature = "safetensors")]
#[test]
fn safetensors_round_trips_every_dtype_and_rejects_others() {
    let arrays: Vec<(String, Array)> = DType::ALL
        .iter()
        .map(|&d| (format!("t_{}", d.name()), sample(d)))
        .collect();
    let refs: Vec<(&str, &Array)> = arrays.iter().map(|(n, a)| (n.as_str(), a)).collect();
    let bytes = lazynp::safetensors::to_bytes(&refs).unwrap();
    let back = lazynp::safetensors::from_bytes(&bytes).unwrap();
    assert_eq!(back.len(), arrays.len());
    for (name, a) in &arrays {
        let b = &back[name.as_str()];
        assert_eq!((b.dtype(), b.shape()), (a.dtype(), a.shape()), "{name}");
        assert_eq!(
            lazynp::array::io::to_npy_bytes(b).unwrap(),
            lazynp::array::io::to_npy_bytes(a).unwrap(),
            "{name}"
        );
    }
    // A float16 tensor written by hand: a typed error naming it.
    let header = br#"{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#;
    let mut f16 = (header.len() as u64).to_le_bytes().to_vec();
    f16.extend_from_slice(header);
    f16.extend_from_slice(&[0, 60, 0, 64]);
    let e = lazynp::safetensors::from_bytes(&f16).unwrap_err();
    assert!(
        matches!(&e, Error::Format(m) if m.contains("\"h\"") && m.contains("F16")),
        "{e}"
    );
    // Truncated data and duplicate names.
    assert!(lazynp::safetensors::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    let x = lazynp::array([1.0f32]);
    assert!(lazynp::safetensors::to_bytes(&[("a", &x), ("a", &x)]).is_err());
}
