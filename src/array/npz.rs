//! `.npz` archives: NumPy's `np.savez`, `np.savez_compressed` and the `NpzFile` mapping that
//! `np.load` returns for them.
//!
//! Reading is bounded by what the archive can actually hold, before anything is allocated:
//! each member is parsed as it is inflated, its `.npy` header's data size is checked against
//! the member's compressed bytes (stored members hold exactly that much; deflate expands at
//! most [`DEFLATE_MAX_RATIO`] times) and against [`NpzOptions::max_member_bytes`], and the
//! member is read no further than the data it declares (plus one byte, to see that it ends).
//! A member that inflates past its header's size is an error after that one byte, not after
//! inflating it all.

use super::Array;
use super::io::{read_npy, with_path, write_npy};
use crate::error::{Error, Result};
use indexmap::IndexMap;
use std::io::{Read, Seek, Write};
use std::path::Path;

/// The arrays of an `.npz` archive by name (without the `.npy` suffix), in archive order:
/// what NumPy's `NpzFile` maps. `npz["w"]` reads one; `npz.get_index(0)` gives the first
/// `(name, array)` pair; `npz.into_iter().collect::<Vec<_>>()` gives the
/// `Vec<(String, Array)>` that `load_npz` returned before it returned a map.
pub type Npz = IndexMap<String, Array>;

/// Deflate's largest expansion: one compressed bit can stand for at most 258 bytes, so a
/// stream inflates to at most about 1032 times its size (zlib's technical note).
pub const DEFLATE_MAX_RATIO: u64 = 1032;

/// How an `.npz` archive is read.
///
/// ```
/// use lazynp::NpzOptions;
/// let o = NpzOptions::default();
/// assert_eq!(o.max_member_bytes, 4 << 30);
/// let small = NpzOptions::default().max_member_bytes(1 << 20);
/// assert_eq!(small.max_member_bytes, 1 << 20);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NpzOptions {
    /// Largest decompressed member (its `.npy` header plus data) accepted, in bytes; larger
    /// ones are an [`Error::Format`] before their data is allocated or inflated. The default is
    /// 4 GiB; `u64::MAX` lifts the cap (the bound by the archive's own bytes still holds).
    pub max_member_bytes: u64,
}

impl Default for NpzOptions {
    fn default() -> Self {
        NpzOptions {
            max_member_bytes: 4 << 30,
        }
    }
}

impl NpzOptions {
    /// Sets [`NpzOptions::max_member_bytes`].
    pub fn max_member_bytes(mut self, bytes: u64) -> Self {
        self.max_member_bytes = bytes;
        self
    }
}

/// Saves several arrays to an uncompressed `.npz` archive (like `np.savez(path, name=a, ...)`);
/// each array is stored as `name.npy`.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("lazynp-doc-savez-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("ab.npz");
/// let (a, b) = (lazynp::array([1i32, 2]), lazynp::array([0.5f64]));
/// lazynp::savez(&path, &[("a", &a), ("b", &b)])?;
/// let loaded = lazynp::load_npz(&path)?;
/// assert_eq!(loaded.keys().collect::<Vec<_>>(), ["a", "b"]);
/// assert_eq!(loaded["b"].to_vec::<f64>()?, vec![0.5]);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn savez(path: impl AsRef<Path>, arrays: &[(&str, &Array)]) -> Result<()> {
    let path = path.as_ref();
    write_npz(path, arrays, zip::CompressionMethod::Stored).map_err(|e| with_path(path, e))
}

/// Saves several arrays to a deflate-compressed `.npz` archive (like `np.savez_compressed`).
///
/// ```
/// let dir = std::env::temp_dir().join(format!("lazynp-doc-savezc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("z.npz");
/// let z = lazynp::zeros([100, 100], lazynp::DType::F64);
/// lazynp::savez_compressed(&path, &[("z", &z)])?;
/// assert!(std::fs::metadata(&path)?.len() < 10_000);
/// assert_eq!(lazynp::load_npz(&path)?["z"].shape(), &[100, 100]);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn savez_compressed(path: impl AsRef<Path>, arrays: &[(&str, &Array)]) -> Result<()> {
    let path = path.as_ref();
    write_npz(path, arrays, zip::CompressionMethod::Deflated).map_err(|e| with_path(path, e))
}

/// Loads every array of a `.npz` archive: a map by name (without the `.npy` suffix) in archive
/// order, like the `NpzFile` NumPy's `np.load` returns. Members are bounded as
/// [`NpzOptions::default`] says; [`load_npz_with`] sets the cap.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("lazynp-doc-loadz-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("m.npz");
/// lazynp::savez(&path, &[("m", &lazynp::eye(2, lazynp::DType::I64))])?;
/// let arrays = lazynp::load_npz(&path)?;
/// assert_eq!(arrays.len(), 1);
/// assert_eq!(arrays["m"].to_vec::<i64>()?, vec![1, 0, 0, 1]);
/// // By position, as the Vec it used to be:
/// let (name, m) = arrays.get_index(0).unwrap();
/// assert_eq!((name.as_str(), m.shape()), ("m", &[2, 2][..]));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_npz(path: impl AsRef<Path>) -> Result<Npz> {
    load_npz_with(path, &NpzOptions::default())
}

/// [`load_npz`] with a chosen [`NpzOptions`].
///
/// ```
/// let dir = std::env::temp_dir().join(format!("lazynp-doc-loadzw-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("big.npz");
/// lazynp::savez_compressed(&path, &[("z", &lazynp::zeros([1000], lazynp::DType::F64))])?;
/// let small = lazynp::NpzOptions::default().max_member_bytes(4096);
/// let err = lazynp::load_npz_with(&path, &small).unwrap_err();
/// assert!(matches!(err, lazynp::Error::Format(_)), "{err}");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_npz_with(path: impl AsRef<Path>, opts: &NpzOptions) -> Result<Npz> {
    let path = path.as_ref();
    let read = || -> Result<Npz> {
        let file = std::fs::File::open(path)?;
        let len = file.metadata()?.len();
        read_npz(std::io::BufReader::new(file), len, opts)
    };
    read().map_err(|e| with_path(path, e))
}

/// Reads an `.npz` archive held in memory (see [`load_npz_with`]).
///
/// ```
/// let bytes = lazynp::array::npz::to_npz_bytes(&[("x", &lazynp::array([1i8, 2]))], false)?;
/// let npz = lazynp::array::npz::from_npz_bytes(&bytes, &Default::default())?;
/// assert_eq!(npz["x"].to_vec::<i8>()?, vec![1, 2]);
/// assert!(lazynp::array::npz::from_npz_bytes(b"PK", &Default::default()).is_err());
/// # Ok::<(), lazynp::Error>(())
/// ```
pub fn from_npz_bytes(bytes: &[u8], opts: &NpzOptions) -> Result<Npz> {
    read_npz(std::io::Cursor::new(bytes), bytes.len() as u64, opts)
}

/// Reads an `.npz` archive of `len` bytes from any seekable reader (see [`load_npz_with`]).
/// Members are read only as far as their data goes, so a hostile member costs at most its
/// declared data plus one byte of inflation.
///
/// ```
/// let bytes = lazynp::array::npz::to_npz_bytes(&[("x", &lazynp::array([7u16]))], true)?;
/// let len = bytes.len() as u64;
/// let npz = lazynp::array::npz::from_reader(std::io::Cursor::new(bytes), len, &Default::default())?;
/// assert_eq!(npz["x"].to_vec::<u16>()?, vec![7]);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub fn from_reader<R: Read + Seek>(reader: R, len: u64, opts: &NpzOptions) -> Result<Npz> {
    read_npz(reader, len, opts)
}

/// The bytes of an `.npz` archive of `arrays` (deflated if `compressed`).
///
/// ```
/// let bytes = lazynp::array::npz::to_npz_bytes(&[("x", &lazynp::array([1.0f32]))], true)?;
/// assert!(bytes.starts_with(b"PK\x03\x04"));
/// # Ok::<(), lazynp::Error>(())
/// ```
pub fn to_npz_bytes(arrays: &[(&str, &Array)], compressed: bool) -> Result<Vec<u8>> {
    let method = if compressed {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let mut out = std::io::Cursor::new(Vec::new());
    write_npz_to(&mut out, arrays, method)?;
    Ok(out.into_inner())
}

fn fmt_err(msg: impl Into<String>) -> Error {
    Error::Format(msg.into())
}

fn zip_err(e: zip::result::ZipError) -> Error {
    match e {
        zip::result::ZipError::Io(io) => Error::Io(io.to_string()),
        other => fmt_err(format!("bad npz archive: {other}")),
    }
}

fn read_npz<R: Read + Seek>(reader: R, archive_len: u64, opts: &NpzOptions) -> Result<Npz> {
    let mut archive = zip::ZipArchive::new(reader).map_err(zip_err)?;
    let mut out = Npz::with_capacity(archive.len().min(1024));
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(zip_err)?;
        let full = entry.name().to_string();
        let name = full.strip_suffix(".npy").unwrap_or(&full).to_string();
        // What the member can hold, from the archive's bytes (not its declared size).
        let present = entry.compressed_size().min(archive_len);
        let bound = match entry.compression() {
            zip::CompressionMethod::Stored => present,
            _ => present.saturating_mul(DEFLATE_MAX_RATIO).saturating_add(64),
        };
        let limit = bound.min(opts.max_member_bytes);
        let array = read_npy(&mut entry, limit, false).map_err(|e| {
            let why = match e {
                Error::Format(m) | Error::Io(m) => m,
                other => other.to_string(),
            };
            let cap = if limit == opts.max_member_bytes && limit < bound {
                " (NpzOptions::max_member_bytes)"
            } else {
                ""
            };
            fmt_err(format!(
                "npz member {full:?} (at most {limit} bytes{cap}): {why}"
            ))
        })?;
        if out.insert(name.clone(), array).is_some() {
            return Err(fmt_err(format!("npz archive holds {name:?} twice")));
        }
    }
    Ok(out)
}

fn write_npz(path: &Path, arrays: &[(&str, &Array)], method: zip::CompressionMethod) -> Result<()> {
    let file = std::fs::File::create(path)?;
    let mut w = std::io::BufWriter::new(file);
    write_npz_to(&mut w, arrays, method)?;
    w.flush()?;
    Ok(())
}

fn write_npz_to<W: Write + Seek>(
    w: W,
    arrays: &[(&str, &Array)],
    method: zip::CompressionMethod,
) -> Result<()> {
    let mut zw = zip::ZipWriter::new(w);
    for (name, array) in arrays {
        let mut bytes = Vec::new();
        write_npy(&mut bytes, array)?;
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .large_file(bytes.len() as u64 >= u32::MAX as u64);
        zw.start_file(format!("{name}.npy"), opts)
            .map_err(zip_err)?;
        zw.write_all(&bytes)?;
    }
    zw.finish().map_err(zip_err)?;
    Ok(())
}
