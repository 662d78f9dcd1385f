//! The `.npy` / `.npz` readers' limits (issue #17): at most 64 dimensions, allocations bounded
//! by the bytes actually present before they are made, an `.npz` member's decompressed size
//! capped and checked while inflating, truncated and lying files as typed errors; and `load`'s
//! dispatch on the file's magic (issue #13).

use lazynp::array::io::from_npy_bytes;
use lazynp::array::npz::{from_npz_bytes, from_reader, to_npz_bytes};
use lazynp::{DType, Error, NpzOptions};
use std::io::{Read, Seek, Write};
use std::time::{Duration, Instant};

/// A `.npy` file with `dict` as its header and `data` after it.
fn npy_with(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut h = dict.to_string();
    h.push('\n');
    let mut out = b"\x93NUMPY\x02\x00".to_vec();
    out.extend_from_slice(&(h.len() as u32).to_le_bytes());
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    out
}

fn f8_header(shape: &str) -> String {
    format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}")
}

/// A zip archive with the given raw members (name, bytes, deflated?).
fn zip_of(members: &[(&str, &[u8], bool)]) -> Vec<u8> {
    let mut zw = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes, deflate) in members {
        let method = if *deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .large_file(bytes.len() as u64 >= u32::MAX as u64);
        zw.start_file(*name, opts).unwrap();
        zw.write_all(bytes).unwrap();
    }
    zw.finish().unwrap().into_inner()
}

fn format_msg(r: lazynp::Result<impl std::fmt::Debug>) -> String {
    match r {
        Err(Error::Format(m)) => m,
        other => panic!("expected a Format error, got {other:?}"),
    }
}

#[test]
fn more_than_64_dims_is_numpys_error_and_cheap() {
    let ones = |n: usize| format!("({})", "1, ".repeat(n));
    let ok = from_npy_bytes(&npy_with(&f8_header(&ones(64)), &[0; 8])).unwrap();
    assert_eq!(ok.ndim(), 64);
    let m = format_msg(from_npy_bytes(&npy_with(&f8_header(&ones(65)), &[0; 8])));
    assert_eq!(
        m,
        "maximum supported dimension for an ndarray is currently 64, found 65"
    );
    // 10,000 dimensions: once ~5 GB allocated quadratically; now an error at parse time.
    let t = Instant::now();
    let m = format_msg(from_npy_bytes(&npy_with(
        &f8_header(&ones(10_000)),
        &[0; 8],
    )));
    assert!(m.ends_with("found 10000"), "{m}");
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
}

#[test]
fn truncated_npy_files_are_format_errors() {
    let good = lazynp::array::io::to_npy_bytes(&lazynp::arange(0.0f64, 10.0, 1.0)).unwrap();
    for cut in [0, 3, 7, 9, 40, good.len() - 1] {
        let m = format_msg(from_npy_bytes(&good[..cut]));
        assert!(!m.is_empty());
    }
    let mut longer = good.clone();
    longer.push(0);
    format_msg(from_npy_bytes(&longer));
}

#[test]
fn stored_member_claiming_more_than_it_holds_is_rejected_before_allocating() {
    // The header claims 2^40 float64 (8 TiB); the member holds 16 bytes of data.
    let member = npy_with(&f8_header("(1099511627776,)"), &[0; 16]);
    let archive = zip_of(&[("big.npy", &member, false)]);
    let m = format_msg(from_npz_bytes(&archive, &NpzOptions::default()));
    assert!(m.contains("\"big.npy\"") && m.contains("needs"), "{m}");
    // Claiming a little more than present: the same, even with the cap lifted.
    let member = npy_with(&f8_header("(3,)"), &[0; 16]);
    let archive = zip_of(&[("m.npy", &member, false)]);
    let lifted = NpzOptions::default().max_member_bytes(u64::MAX);
    let m = format_msg(from_npz_bytes(&archive, &lifted));
    assert!(m.contains("needs 24 data bytes"), "{m}");
}

#[test]
fn deflated_member_is_bounded_by_its_compressed_size() {
    // 3 GiB claimed (under the 4 GiB default cap) by a member of a few dozen compressed bytes:
    // deflate cannot expand that far, so nothing of that size is allocated.
    let member = npy_with(&f8_header("(402653184,)"), &[0; 64]);
    let archive = zip_of(&[("x.npy", &member, true)]);
    let m = format_msg(from_npz_bytes(&archive, &NpzOptions::default()));
    assert!(
        m.contains("\"x.npy\"") && m.contains("needs 3221225472"),
        "{m}"
    );
    assert!(!m.contains("max_member_bytes"), "{m}");
}

#[test]
fn member_cap_is_configurable_and_checked_before_inflating() {
    let z = lazynp::zeros([1 << 20], DType::F64); // 8 MiB of zeros: a few KiB deflated
    let archive = to_npz_bytes(&[("z", &z)], true).unwrap();
    assert!(archive.len() < 64 << 10, "{}", archive.len());
    let small = NpzOptions::default().max_member_bytes(1 << 20);
    let m = format_msg(from_npz_bytes(&archive, &small));
    assert!(m.contains("max_member_bytes"), "{m}");
    let npz = from_npz_bytes(&archive, &NpzOptions::default()).unwrap();
    assert_eq!(npz["z"].shape(), &[1 << 20]);
}

/// A reader that counts the bytes read through it.
struct Counting<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

impl<R: Seek> Seek for Counting<R> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

#[test]
fn member_inflating_past_its_header_stops_after_one_byte() {
    // Header: 2 elements. Then 128 MiB of zeros that deflate to ~128 KiB. The reader must stop
    // at the 17th data byte, not inflate the rest.
    let mut member = npy_with(&f8_header("(2,)"), &[]);
    member.resize(member.len() + (128 << 20), 0);
    let archive = zip_of(&[("lie.npy", &member, true)]);
    drop(member);
    let len = archive.len() as u64;
    let mut r = Counting {
        inner: std::io::Cursor::new(archive),
        read: 0,
    };
    let m = format_msg(from_reader(&mut r, len, &NpzOptions::default()));
    assert!(m.contains("continues past the 16 bytes"), "{m}");
    // Of ~128 KiB of compressed data, at most a couple of read-ahead blocks were consumed.
    assert!(len > 100_000, "{len}");
    assert!(r.read < len / 2, "read {} of {len} bytes", r.read);
}

#[test]
fn truncated_and_corrupt_archives_are_typed_errors() {
    let a = lazynp::arange(0i64, 100, 1);
    for compressed in [false, true] {
        let good = to_npz_bytes(&[("a", &a)], compressed).unwrap();
        for cut in [0, 2, 10, 30, good.len() / 2, good.len() - 1] {
            let r = from_npz_bytes(&good[..cut], &NpzOptions::default());
            assert!(
                matches!(r, Err(Error::Format(_) | Error::Io(_))),
                "{cut}: {r:?}"
            );
        }
        // Flip bytes inside the member's data: the CRC (or the deflate stream) catches it.
        let mut bad = good.clone();
        let mid = 100.min(bad.len() / 3);
        for b in &mut bad[mid..mid + 8] {
            *b ^= 0x5a;
        }
        let r = from_npz_bytes(&bad, &NpzOptions::default());
        assert!(r.is_err(), "compressed {compressed}: {r:?}");
    }
    // A member that is not a .npy file.
    let archive = zip_of(&[("note.txt", b"hello", false)]);
    let m = format_msg(from_npz_bytes(&archive, &NpzOptions::default()));
    assert!(m.contains("note.txt") && m.contains("magic"), "{m}");
}

#[test]
fn load_dispatches_on_magic_and_npz_keeps_order() {
    let dir = std::env::temp_dir().join(format!("lazynp-npy-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (npy, npz) = (dir.join("a.npy"), dir.join("m.npz"));
    lazynp::array([1i32, 2]).save(&npy).unwrap();
    let names = ["zeta", "alpha", "mid"];
    let arrays: Vec<lazynp::Array> = (0..3).map(|i| lazynp::array([i as i64])).collect();
    let pairs: Vec<(&str, &lazynp::Array)> = names.iter().copied().zip(&arrays).collect();
    lazynp::savez(&npz, &pairs).unwrap();

    let map = lazynp::load_npz(&npz).unwrap();
    assert_eq!(map.keys().map(String::as_str).collect::<Vec<_>>(), names);
    for (i, name) in names.iter().enumerate() {
        assert_eq!(map[*name].to_vec::<i64>().unwrap(), vec![i as i64]);
    }
    match lazynp::load_any(&npz).unwrap() {
        lazynp::Loaded::Npz(m) => assert_eq!(m.len(), 3),
        other => panic!("{other:?}"),
    }
    match lazynp::load_any(&npy).unwrap() {
        lazynp::Loaded::Array(a) => assert_eq!(a.to_vec::<i32>().unwrap(), vec![1, 2]),
        other => panic!("{other:?}"),
    }
    let m = format_msg(lazynp::load(&npz));
    assert!(m.contains("m.npz") && m.contains("load_npz"), "{m}");
    // A .npy handed to load_npz, and a file that is neither, name their path.
    assert!(format_msg(lazynp::load_npz(&npy)).contains("a.npy"));
    let junk = dir.join("junk.bin");
    std::fs::write(&junk, b"PK\x03\x04 not really").unwrap();
    assert!(
        lazynp::load(&junk)
            .unwrap_err()
            .to_string()
            .contains("junk.bin")
    );
    std::fs::write(&junk, b"").unwrap();
    assert!(format_msg(lazynp::load(&junk)).contains("junk.bin"));
    std::fs::remove_dir_all(&dir).unwrap();
}
