//! `.npy` / `.npz` I/O against files written by NumPy (tests/fixtures/npy, made by
//! scripts/gen_npy_fixtures.py), hostile inputs, and a save -> load round trip property.

use lazynp::array::io::{from_npy_bytes, to_npy_bytes};
use lazynp::savez_compressed;
use lazynp::{Array, DType, Error};
use proptest::prelude::*;
use std::io::Read;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/npy")
        .join(name)
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lazynp-npy-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// One manifest line: `file code (shape) values...`.
struct Expected {
    file: String,
    dtype: DType,
    shape: Vec<usize>,
    values: Vec<String>,
}

fn manifest() -> Vec<Expected> {
    let text = std::fs::read_to_string(fixture("MANIFEST")).unwrap();
    text.lines()
        .map(|line| {
            let mut parts = line.split(' ');
            let file = parts.next().unwrap().to_string();
            let dtype = DType::from_npy_code(parts.next().unwrap()).unwrap();
            let shape = parts.next().unwrap();
            let shape = shape[1..shape.len() - 1]
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().unwrap())
                .collect();
            let values = parts.map(str::to_string).collect();
            Expected {
                file,
                dtype,
                shape,
                values,
            }
        })
        .collect()
}

/// The elements formatted as the manifest writes them (floats as hex bits).
fn describe(a: &Array) -> Vec<String> {
    fn ints<T: lazynp::Element + ToString>(a: &Array) -> Vec<String> {
        a.to_vec::<T>().unwrap().iter().map(T::to_string).collect()
    }
    match a.dtype() {
        DType::Bool => a
            .to_vec::<bool>()
            .unwrap()
            .iter()
            .map(|&b| (b as u8).to_string())
            .collect(),
        DType::I8 => ints::<i8>(a),
        DType::I16 => ints::<i16>(a),
        DType::I32 => ints::<i32>(a),
        DType::I64 => ints::<i64>(a),
        DType::U8 => ints::<u8>(a),
        DType::U16 => ints::<u16>(a),
        DType::U32 => ints::<u32>(a),
        DType::U64 => ints::<u64>(a),
        DType::F32 => a
            .to_vec::<f32>()
            .unwrap()
            .iter()
            .map(|v| format!("{:x}", v.to_bits()))
            .collect(),
        DType::F64 => a
            .to_vec::<f64>()
            .unwrap()
            .iter()
            .map(|v| format!("{:x}", v.to_bits()))
            .collect(),
    }
}

fn check(a: &Array, e: &Expected) {
    assert_eq!(a.dtype(), e.dtype, "{}", e.file);
    assert_eq!(a.shape(), &e.shape[..], "{}", e.file);
    assert_eq!(describe(a), e.values, "{}", e.file);
}

#[test]
fn loads_every_numpy_fixture() {
    let all = manifest();
    let files: Vec<&Expected> = all.iter().filter(|e| e.file.ends_with(".npy")).collect();
    assert!(files.len() >= 50, "manifest has {} files", files.len());
    for e in files {
        let a = lazynp::load(fixture(&e.file)).unwrap_or_else(|err| panic!("{}: {err}", e.file));
        check(&a, e);
    }
}

#[test]
fn save_is_byte_identical_to_numpy() {
    let mut compared = 0;
    for e in manifest() {
        // Big-endian, Fortran, v2 and v3 files are written by NumPy in a form `np.save`
        // of a C-order native array would not produce; they are checked by the next test.
        let special = ["_be", "_fortran", "_v2", "_v3", "npz:"];
        if special.iter().any(|s| e.file.contains(s)) {
            continue;
        }
        let numpy_bytes = std::fs::read(fixture(&e.file)).unwrap();
        let a = from_npy_bytes(&numpy_bytes).unwrap();
        assert_eq!(to_npy_bytes(&a).unwrap(), numpy_bytes, "{}", e.file);
        // The same through a file, and for a computed (non-leaf) array with the same data.
        let path = tmp(&e.file);
        let shape: Vec<isize> = a.shape().iter().map(|&d| d as isize).collect();
        a.flatten().reshape(shape).save(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), numpy_bytes, "{}", e.file);
        compared += 1;
    }
    assert!(compared >= 30);
}

#[test]
fn big_endian_fortran_and_v2_v3_resave_as_numpy_c_order() {
    for e in manifest() {
        if !["_be", "_fortran", "_v2", "_v3"]
            .iter()
            .any(|s| e.file.contains(s))
        {
            continue;
        }
        let a = lazynp::load(fixture(&e.file)).unwrap();
        let b = from_npy_bytes(&to_npy_bytes(&a).unwrap()).unwrap();
        check(&b, &e);
        let bytes = to_npy_bytes(&a).unwrap();
        assert_eq!(&bytes[6..8], &[1, 0], "{}: saved as version 1.0", e.file);
        let text = String::from_utf8_lossy(&bytes[10..bytes.len() - a.size() * e.dtype.size()]);
        assert!(text.contains("'fortran_order': False"), "{}", e.file);
        assert!(!text.contains('>'), "{}: saved little-endian", e.file);
    }
}

#[test]
fn npz_from_numpy_stored_and_compressed() {
    let all = manifest();
    let expect: Vec<&Expected> = all.iter().filter(|e| e.file.starts_with("npz:")).collect();
    for file in ["three.npz", "three_compressed.npz"] {
        let arrays = lazynp::load_npz(fixture(file)).unwrap();
        let names: Vec<&str> = arrays.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["alpha", "beta", "gamma"], "{file}");
        for ((_, a), e) in arrays.iter().zip(&expect) {
            check(a, e);
        }
    }
}

fn zip_members(path: &Path) -> Vec<(String, Vec<u8>, zip::CompressionMethod)> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).unwrap();
            (f.name().to_string(), bytes, f.compression())
        })
        .collect()
}

#[test]
fn savez_members_match_numpy() {
    let numpy = lazynp::load_npz(fixture("three.npz")).unwrap();
    let refs: Vec<(&str, &Array)> = numpy.iter().map(|(n, a)| (n.as_str(), a)).collect();
    let numpy_members = zip_members(&fixture("three.npz"));
    for (compressed, name) in [(false, "ours.npz"), (true, "ours_c.npz")] {
        let path = tmp(name);
        if compressed {
            savez_compressed(&path, &refs).unwrap();
        } else {
            lazynp::savez(&path, &refs).unwrap();
        }
        let ours = zip_members(&path);
        assert_eq!(ours.len(), numpy_members.len());
        for (o, n) in ours.iter().zip(&numpy_members) {
            assert_eq!(o.0, n.0);
            assert_eq!(o.1, n.1, "member {} bytes", o.0);
            let want = if compressed {
                zip::CompressionMethod::Deflated
            } else {
                zip::CompressionMethod::Stored
            };
            assert_eq!(o.2, want);
        }
        let back = lazynp::load_npz(&path).unwrap();
        assert_eq!(back.len(), 3);
        for ((bn, ba), (nn, na)) in back.iter().zip(&numpy) {
            assert_eq!(bn, nn);
            assert_eq!(describe(ba), describe(na));
        }
    }
}

/// Builds a `.npy` file with an arbitrary header dict and data.
fn npy_with(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    let mut h = dict.to_string();
    h.push('\n');
    out.extend_from_slice(&(h.len() as u16).to_le_bytes());
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    out
}

fn format_err(bytes: &[u8]) -> String {
    match from_npy_bytes(bytes) {
        Err(Error::Format(m)) => m,
        Err(other) => panic!("expected a Format error, got {other}"),
        Ok(a) => panic!("expected an error, got {a:?}"),
    }
}

#[test]
fn hostile_headers_are_format_errors() {
    let d = |descr: &str, shape: &str| {
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}")
    };
    // The claimed size is never allocated: these would need exabytes.
    let m = format_err(&npy_with(&d("<f8", "(1152921504606846976,)"), &[0; 8]));
    assert!(m.contains("needs"), "{m}");
    let m = format_err(&npy_with(&d("<f8", "(4294967296, 4294967296, 16)"), &[]));
    assert!(m.contains("overflow"), "{m}");
    assert!(format_err(&npy_with(&d("<f8", "(99999999999999999999999,)"), &[])).contains("large"));
    for shape in [
        "(-1,)", "(2, -3)", "(a,)", "(1.5,)", "(3)", "[3]", "(,)", "3", "(None,)",
    ] {
        format_err(&npy_with(&d("<i4", shape), &[0; 12]));
    }
    // Pickled objects, structured and unsupported dtypes.
    assert!(format_err(&npy_with(&d("|O", "(1,)"), &[0; 8])).contains("pickle"));
    let structured = "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,), }";
    assert!(format_err(&npy_with(structured, &[0; 4])).contains("structured"));
    for descr in [
        "<U3", "|S4", "<c16", "<f2", "<M8[s]", "|V8", "<f16", "", "<",
    ] {
        format_err(&npy_with(&d(descr, "(1,)"), &[0; 16]));
    }
    // Truncated and oversized data, missing and repeated keys, garbage.
    format_err(&npy_with(&d("<i4", "(3,)"), &[0; 11]));
    format_err(&npy_with(&d("<i4", "(3,)"), &[0; 13]));
    format_err(&npy_with("{'descr': '<i4', 'shape': (1,), }", &[0; 4]));
    format_err(&npy_with(
        "{'descr': '<i4', 'descr': '<i4', 'fortran_order': False, 'shape': (1,), }",
        &[0; 4],
    ));
    format_err(&npy_with(
        "{'descr': '<i4', 'fortran_order': 1, 'shape': (1,), }",
        &[0; 4],
    ));
    format_err(&npy_with(
        "{'descr': '<i4', 'fortran_order': False, 'shape': (1,), 'x': 1}",
        &[0; 4],
    ));
    format_err(&npy_with(
        "{'descr': '<i4', 'fortran_order': False, 'shape': (1,)} extra",
        &[0; 4],
    ));
    format_err(&npy_with("not a dict", &[]));
    // Bad magic, unknown version, header length beyond the file.
    let good = npy_with(&d("<i4", "(1,)"), &[1, 0, 0, 0]);
    assert_eq!(
        from_npy_bytes(&good).unwrap().to_vec::<i32>().unwrap(),
        vec![1]
    );
    let mut bad = good.clone();
    bad[1] = b'X';
    assert!(format_err(&bad).contains("magic"));
    let mut bad = good.clone();
    bad[6] = 4;
    assert!(format_err(&bad).contains("version"));
    let mut bad = good.clone();
    bad[8..10].copy_from_slice(&60000u16.to_le_bytes());
    assert!(format_err(&bad).contains("exceeds"));
    format_err(b"");
    format_err(b"\x93NUMPY");
}

#[test]
fn every_truncation_and_header_mutation_is_handled() {
    let bytes = std::fs::read(fixture("f8_fortran.npy")).unwrap();
    for len in 0..bytes.len() {
        format_err(&bytes[..len]);
    }
    // Mutate every header byte to a few values: any result is fine except a panic, and a
    // success must describe exactly the bytes present.
    let header_end = 128;
    for i in 0..header_end {
        for v in [
            0u8, b' ', b'(', b')', b',', b'9', b'\'', b'>', b'|', 0x80, 0xff,
        ] {
            let mut m = bytes.clone();
            m[i] = v;
            if let Ok(a) = from_npy_bytes(&m) {
                assert_eq!(a.size() * a.dtype().size(), bytes.len() - header_end);
            }
        }
    }
}

#[test]
fn bool_bytes_are_normalised() {
    let dict = "{'descr': '|b1', 'fortran_order': False, 'shape': (4,), }";
    let a = from_npy_bytes(&npy_with(dict, &[0, 1, 2, 255])).unwrap();
    assert_eq!(a.to_vec::<bool>().unwrap(), vec![false, true, true, true]);
    // The normalised bytes are what is saved again.
    let saved = to_npy_bytes(&a).unwrap();
    assert_eq!(&saved[saved.len() - 4..], &[0, 1, 1, 1]);
    assert_eq!(a.sum(..).item::<i64>().unwrap(), 3);
}

#[test]
fn native_and_unmarked_byte_orders() {
    for descr in ["=i4", "i4", "|i4"] {
        let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (2,), }}");
        let a = from_npy_bytes(&npy_with(&dict, &[1, 0, 0, 0, 2, 0, 0, 0])).unwrap();
        assert_eq!(a.to_vec::<i32>().unwrap(), vec![1, 2], "{descr}");
    }
    let dict = "{'descr': '?', 'fortran_order': True, 'shape': (1, 2), }";
    let a = from_npy_bytes(&npy_with(dict, &[1, 0])).unwrap();
    assert_eq!(a.to_vec::<bool>().unwrap(), vec![true, false]);
}

#[test]
fn huge_header_is_written_as_version_2() {
    // A header past 65535 bytes needed 25,000 dimensions; arrays are capped at NumPy's 64
    // (issue #17), so such an array cannot be built and the largest header is version 1.
    let shape = vec![1usize; 25_000];
    assert!(matches!(
        Array::from_shape_vec(shape, vec![7u8]),
        Err(lazynp::Error::TooManyDims { ndim: 25_000 })
    ));
    let a = Array::from_shape_vec(vec![1usize; 64], vec![7u8]).unwrap();
    let bytes = to_npy_bytes(&a).unwrap();
    assert_eq!(&bytes[6..8], &[1, 0]);
    let b = from_npy_bytes(&bytes).unwrap();
    assert_eq!(b.shape(), &[1usize; 64][..]);
    assert_eq!(b.to_vec::<u8>().unwrap(), vec![7]);
}

#[test]
fn io_errors_are_io() {
    let missing = tmp("does-not-exist.npy");
    assert!(matches!(lazynp::load(&missing), Err(Error::Io(_))));
    assert!(matches!(lazynp::load_npz(&missing), Err(Error::Io(_))));
    // Every error of a function given a path names the path.
    for e in [
        lazynp::load(&missing).unwrap_err(),
        lazynp::load_npz(&missing).unwrap_err(),
        lazynp::load_any(&missing).unwrap_err(),
        lazynp::load_npz(fixture("f8_1d.npy")).unwrap_err(),
        lazynp::array([1.0f32])
            .save(missing.join("x.npy"))
            .unwrap_err(),
    ] {
        assert!(
            e.to_string().contains("does-not-exist") || e.to_string().contains("f8_1d"),
            "{e}"
        );
    }
    // A .npy file is not a zip archive.
    assert!(matches!(
        lazynp::load_npz(fixture("f8_1d.npy")),
        Err(Error::Format(_))
    ));
}

fn random_array(dtype: DType, shape: Vec<usize>, seed: u64) -> Array {
    let n: usize = shape.iter().product();
    let mut s = seed | 1;
    let mut bytes = Vec::with_capacity(n * dtype.size());
    for _ in 0..n * dtype.size() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        bytes.push(s as u8);
    }
    let dict = format!(
        "{{'descr': '<{}', 'fortran_order': False, 'shape': ({}), }}",
        dtype.npy_code(),
        shape.iter().map(|d| format!("{d},")).collect::<String>()
    );
    from_npy_bytes(&npy_with(&dict, &bytes)).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn save_load_round_trip(
        dt in 0usize..11,
        shape in prop::collection::vec(0usize..5, 0..4),
        seed in any::<u64>(),
    ) {
        let dtype = DType::ALL[dt];
        let a = random_array(dtype, shape.clone(), seed);
        let bytes = to_npy_bytes(&a).unwrap();
        prop_assert_eq!(bytes.len() % 64, (a.size() * dtype.size()) % 64);
        let b = from_npy_bytes(&bytes).unwrap();
        prop_assert_eq!(b.dtype(), dtype);
        prop_assert_eq!(b.shape(), &shape[..]);
        prop_assert_eq!(describe(&b), describe(&a));
        prop_assert_eq!(to_npy_bytes(&b).unwrap(), bytes);
    }
}
