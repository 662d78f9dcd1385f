//! `.npy` / `.npz` I/O, byte-compatible with NumPy's `np.save`, `np.load`, `np.savez` and
//! `np.savez_compressed` (the archive side lives in [`npz`](super::npz)).
//!
//! Reading accepts format versions 1.0, 2.0 and 3.0, every dtype lazynp has in either byte
//! order, and Fortran-ordered data (converted to C order). Hostile input is an
//! [`Error::Format`], never a panic: the header's shape (at most [`MAX_DIMS`] dimensions, as in
//! NumPy) is checked against the bytes actually present, with overflow-checked arithmetic,
//! before anything of that size is allocated. Errors of functions that take a path name it.
//! Writing produces exactly what NumPy writes: version 1.0 (2.0 when the header needs it),
//! little-endian, C order, the header padded to a multiple of 64 bytes.

use super::Array;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::runtime::Buffer;
use std::io::{Read, Write};
use std::path::Path;

const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// The first bytes of a zip archive (an `.npz`): a local file header, or the end-of-directory
/// record of an empty archive.
pub(crate) const ZIP_MAGICS: [&[u8; 4]; 2] = [b"PK\x03\x04", b"PK\x05\x06"];
/// NumPy pads the header so the data starts on a multiple of this.
const ARRAY_ALIGN: usize = 64;
/// NumPy leaves room for the growth axis to reach this many digits.
const GROWTH_AXIS_MAX_DIGITS: usize = 21;
/// Longest header accepted (NumPy's `max_header_size` default is 10 000).
const MAX_HEADER_LEN: usize = 1 << 20;
/// Most dimensions a `.npy` header may declare (NumPy's `NPY_MAXDIMS`).
pub const MAX_DIMS: usize = 64;

fn fmt_err(msg: impl Into<String>) -> Error {
    Error::Format(msg.into())
}

/// What a `.npy` header says.
struct Header {
    dtype: DType,
    /// True if the data is big-endian and must be byte-swapped.
    swap: bool,
    fortran: bool,
    shape: Vec<usize>,
}

/// Loads a `.npy` file (format 1.0, 2.0 or 3.0; any byte order; C or Fortran order).
///
/// ```
/// let dir = std::env::temp_dir().join(format!("lazynp-doc-load-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("x.npy");
/// lazynp::array([[1.0f32, 2.0], [3.0, 4.0]]).save(&path)?;
/// let y = lazynp::load(&path)?;
/// assert_eq!(y.shape(), &[2, 2]);
/// assert_eq!(y.to_vec::<f32>()?, vec![1.0, 2.0, 3.0, 4.0]);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load(path: impl AsRef<Path>) -> Result<Array> {
    let path = path.as_ref();
    match open_sniffed(path)? {
        Sniffed::Npz => Err(with_path(
            path,
            fmt_err(
                "this is an .npz archive, not a .npy file: read it with lazynp::load_npz \
                 (or lazynp::load_any, which returns either, as np.load does)",
            ),
        )),
        Sniffed::Npy(mut r, len) => read_npy(&mut r, len, true).map_err(|e| with_path(path, e)),
    }
}

/// A file opened and classified by its first bytes.
enum Sniffed {
    /// Not a zip archive: read it as `.npy` (the reader, the file's length).
    Npy(Box<dyn Read>, u64),
    /// A zip archive.
    Npz,
}

fn open_sniffed(path: &Path) -> Result<Sniffed> {
    let open = || -> Result<Sniffed> {
        let mut file = std::fs::File::open(path)?;
        let len = file.metadata()?.len();
        let mut head = [0u8; 6];
        let n = read_up_to(&mut file, &mut head)?;
        if ZIP_MAGICS.iter().any(|m| head[..n].starts_with(&m[..])) {
            return Ok(Sniffed::Npz);
        }
        let head = std::io::Cursor::new(head).take(n as u64);
        let r = std::io::BufReader::new(head.chain(file));
        Ok(Sniffed::Npy(Box::new(r), len))
    };
    open().map_err(|e| with_path(path, e))
}

/// What [`load_any`] found: one array (a `.npy` file) or a mapping of named arrays (an `.npz`
/// archive), as NumPy's `np.load` returns an `ndarray` or an `NpzFile`.
#[derive(Clone, Debug)]
pub enum Loaded {
    /// A `.npy` file's array.
    Array(Array),
    /// An `.npz` archive's arrays by name, in archive order.
    Npz(super::npz::Npz),
}

impl Loaded {
    /// The array, or an error naming what the file held instead.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("lazynp-doc-loaded-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("v.npy");
    /// lazynp::array([1u8, 2]).save(&path)?;
    /// assert_eq!(lazynp::load_any(&path)?.into_array()?.to_vec::<u8>()?, vec![1, 2]);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_array(self) -> Result<Array> {
        match self {
            Loaded::Array(a) => Ok(a),
            Loaded::Npz(_) => Err(fmt_err("expected a .npy array, found an .npz archive")),
        }
    }

    /// The archive's arrays, or an error if the file was a single `.npy` array.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("lazynp-doc-loadednpz-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("w.npz");
    /// lazynp::savez(&path, &[("w", &lazynp::array([0.5f32]))])?;
    /// let npz = lazynp::load_any(&path)?.into_npz()?;
    /// assert_eq!(npz["w"].to_vec::<f32>()?, vec![0.5]);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_npz(self) -> Result<super::npz::Npz> {
        match self {
            Loaded::Npz(m) => Ok(m),
            Loaded::Array(_) => Err(fmt_err("expected an .npz archive, found a .npy array")),
        }
    }
}

/// Loads a `.npy` or `.npz` file, choosing by the file's first bytes (its magic string), as
/// NumPy's `np.load` does; an `.npz` is read with [`NpzOptions::default`](super::npz::NpzOptions).
///
/// ```
/// let dir = std::env::temp_dir().join(format!("lazynp-doc-loadany-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let (npy, npz) = (dir.join("a.npy"), dir.join("b.npz"));
/// lazynp::array([1i32, 2]).save(&npy)?;
/// lazynp::savez(&npz, &[("b", &lazynp::array([3i32]))])?;
/// assert!(matches!(lazynp::load_any(&npy)?, lazynp::Loaded::Array(_)));
/// assert!(matches!(lazynp::load_any(&npz)?, lazynp::Loaded::Npz(_)));
/// // `load` names the function to use when it is handed an archive.
/// let err = lazynp::load(&npz).unwrap_err().to_string();
/// assert!(err.contains("load_npz") && err.contains("b.npz"), "{err}");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_any(path: impl AsRef<Path>) -> Result<Loaded> {
    let path = path.as_ref();
    match open_sniffed(path)? {
        Sniffed::Npz => super::npz::load_npz(path).map(Loaded::Npz),
        Sniffed::Npy(mut r, len) => read_npy(&mut r, len, true)
            .map(Loaded::Array)
            .map_err(|e| with_path(path, e)),
    }
}

/// Reads until `buf` is full or the stream ends; returns how many bytes were read.
fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(n)
}

/// `e` with `path` in its message (I/O and format errors; others are returned as they are).
pub(crate) fn with_path(path: &Path, e: Error) -> Error {
    match e {
        Error::Io(m) => Error::Io(format!("{}: {m}", path.display())),
        Error::Format(m) => Error::Format(format!("{}: {m}", path.display())),
        other => other,
    }
}

/// Parses the bytes of a `.npy` file.
///
/// ```
/// let x = lazynp::array([1i16, -2, 3]);
/// let bytes = lazynp::array::io::to_npy_bytes(&x)?;
/// let y = lazynp::array::io::from_npy_bytes(&bytes)?;
/// assert_eq!(y.to_vec::<i16>()?, vec![1, -2, 3]);
/// assert!(lazynp::array::io::from_npy_bytes(b"not npy").is_err());
/// # Ok::<(), lazynp::Error>(())
/// ```
pub fn from_npy_bytes(bytes: &[u8]) -> Result<Array> {
    read_npy(&mut std::io::Cursor::new(bytes), bytes.len() as u64, true)
}

/// The bytes NumPy's `np.save` writes for `x` (evaluating it first).
///
/// ```
/// let bytes = lazynp::array::io::to_npy_bytes(&lazynp::array([1.0f64]))?;
/// assert!(bytes.starts_with(b"\x93NUMPY\x01\x00"));
/// assert_eq!(bytes.len(), 128 + 8);
/// # Ok::<(), lazynp::Error>(())
/// ```
pub fn to_npy_bytes(x: &Array) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    write_npy(&mut out, x)?;
    Ok(out)
}

impl Array {
    /// Saves the array as a `.npy` file, byte-identical to NumPy's `np.save`.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("lazynp-doc-save-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("a.npy");
    /// lazynp::array([true, false]).save(&path)?;
    /// assert_eq!(lazynp::load(&path)?.to_vec::<bool>()?, vec![true, false]);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let write = || -> Result<()> {
            let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
            write_npy(&mut w, self)?;
            w.flush()?;
            Ok(())
        };
        write().map_err(|e| with_path(path, e))
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

pub(crate) fn read_exact_fmt<R: Read>(r: &mut R, buf: &mut [u8], what: &str) -> Result<()> {
    r.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => fmt_err(format!("file ends inside the {what}")),
        _ => Error::Io(e.to_string()),
    })
}

/// Reads one `.npy` stream. With `exact`, the stream holds exactly `limit` bytes (a file whose
/// length is known) and the data must fill it; otherwise (an archive member being inflated)
/// `limit` bounds what the stream may hold, and the data must end the stream. Either way no
/// buffer larger than `limit` bytes is allocated, and nothing past the data is read but one
/// byte.
pub(crate) fn read_npy<R: Read>(r: &mut R, limit: u64, exact: bool) -> Result<Array> {
    let mut prefix = [0u8; 8];
    read_exact_fmt(r, &mut prefix, "magic string")?;
    if &prefix[..6] != MAGIC {
        return Err(fmt_err("not a .npy file (bad magic string)"));
    }
    let (major, minor) = (prefix[6], prefix[7]);
    let len_bytes = match (major, minor) {
        (1, 0) => 2,
        (2, 0) | (3, 0) => 4,
        _ => {
            return Err(fmt_err(format!(
                "unsupported .npy format version {major}.{minor}"
            )));
        }
    };
    let mut lb = [0u8; 4];
    read_exact_fmt(r, &mut lb[..len_bytes], "header length")?;
    let header_len = u32::from_le_bytes(lb) as usize;
    let consumed = 8 + len_bytes as u64 + header_len as u64;
    if header_len > MAX_HEADER_LEN || consumed > limit {
        return Err(fmt_err(format!(
            "header length {header_len} exceeds the {} ({limit} bytes)",
            if exact { "file" } else { "limit" }
        )));
    }
    let mut text = vec![0u8; header_len];
    read_exact_fmt(r, &mut text, "header")?;
    let text = if major == 3 {
        String::from_utf8(text).map_err(|_| fmt_err("header is not valid UTF-8"))?
    } else {
        // Versions 1 and 2 are latin-1; a valid header is pure ASCII anyway.
        text.iter().map(|&b| b as char).collect()
    };
    let h = parse_header(&text)?;

    let size = h
        .shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| fmt_err("shape overflows the address space"))?;
    let nbytes = size
        .checked_mul(h.dtype.size())
        .ok_or_else(|| fmt_err("data size overflows the address space"))?;
    let remaining = limit - consumed;
    if exact && remaining != nbytes as u64 {
        return Err(fmt_err(format!(
            "shape {:?} of {} needs {nbytes} data bytes, file has {remaining}",
            h.shape, h.dtype
        )));
    }
    if !exact && nbytes as u64 > remaining {
        return Err(fmt_err(format!(
            "shape {:?} of {} needs {nbytes} data bytes, more than the {remaining} allowed",
            h.shape, h.dtype
        )));
    }
    let mut buf = Buffer::zeroed(h.dtype, size);
    read_exact_fmt(r, buf.as_bytes_mut(), "data")?;
    if !exact {
        let mut extra = [0u8; 1];
        if read_up_to(r, &mut extra)? != 0 {
            return Err(fmt_err(format!(
                "data continues past the {nbytes} bytes the header declares"
            )));
        }
    }
    fix_up(&mut buf, &h);
    let buf = if h.fortran && h.shape.len() > 1 {
        fortran_to_c(&buf, &h.shape)
    } else {
        buf
    };
    Array::from_buffer(buf, h.shape)
}

/// Converts the raw bytes in place: byte order to native, bools to 0/1.
fn fix_up(buf: &mut Buffer, h: &Header) {
    let item = h.dtype.size();
    let bytes = buf.as_bytes_mut();
    if h.swap && item > 1 {
        for chunk in bytes.chunks_exact_mut(item) {
            chunk.reverse();
        }
    }
    if h.dtype == DType::Bool {
        for b in bytes.iter_mut() {
            *b = (*b != 0) as u8;
        }
    }
}

/// Reorders Fortran-ordered elements of `shape` into C order.
fn fortran_to_c(src: &Buffer, shape: &[usize]) -> Buffer {
    let item = src.dtype().size();
    let mut dst = Buffer::zeroed(src.dtype(), src.len());
    if src.is_empty() {
        return dst;
    }
    // Fortran strides (in elements): the first axis varies fastest.
    let mut fstrides = vec![1usize; shape.len()];
    for k in 1..shape.len() {
        fstrides[k] = fstrides[k - 1] * shape[k - 1];
    }
    let (s, d) = (src.as_bytes(), dst.as_bytes_mut());
    let mut idx = vec![0usize; shape.len()];
    let mut off = 0usize;
    for chunk in d.chunks_exact_mut(item) {
        chunk.copy_from_slice(&s[off * item..(off + 1) * item]);
        // Advance the C-order multi-index (last axis fastest), keeping the Fortran offset.
        for k in (0..shape.len()).rev() {
            idx[k] += 1;
            off += fstrides[k];
            if idx[k] < shape[k] {
                break;
            }
            off -= fstrides[k] * shape[k];
            idx[k] = 0;
        }
    }
    dst
}

/// Parses the header dict, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
fn parse_header(text: &str) -> Result<Header> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    p.expect(b'{')?;
    loop {
        p.ws();
        if p.eat(b'}') {
            break;
        }
        let key = p.string()?;
        p.expect(b':')?;
        p.ws();
        match key.as_str() {
            "descr" if descr.is_none() => {
                if p.peek() == Some(b'[') {
                    return Err(fmt_err("structured dtypes are not supported"));
                }
                descr = Some(p.string()?);
            }
            "fortran_order" if fortran.is_none() => fortran = Some(p.boolean()?),
            "shape" if shape.is_none() => shape = Some(p.tuple()?),
            other => return Err(fmt_err(format!("unexpected header key {other:?}"))),
        }
        p.ws();
        if !p.eat(b',') {
            p.expect(b'}')?;
            break;
        }
    }
    p.ws();
    if p.i != p.s.len() {
        return Err(fmt_err("trailing characters after the header dict"));
    }
    let descr = descr.ok_or_else(|| fmt_err("header has no 'descr'"))?;
    let (dtype, swap) = parse_descr(&descr)?;
    Ok(Header {
        dtype,
        swap,
        fortran: fortran.ok_or_else(|| fmt_err("header has no 'fortran_order'"))?,
        shape: shape.ok_or_else(|| fmt_err("header has no 'shape'"))?,
    })
}

/// `'<f4'` -> (F32, swap?) for a little-endian host.
fn parse_descr(descr: &str) -> Result<(DType, bool)> {
    let unsupported = || fmt_err(format!("unsupported dtype {descr:?}"));
    let (order, code) = match descr.as_bytes().first() {
        Some(c @ (b'<' | b'>' | b'|' | b'=')) => (*c, &descr[1..]),
        _ => (b'=', descr),
    };
    let code = if code == "?" { "b1" } else { code };
    if code.starts_with('O') {
        return Err(fmt_err(format!(
            "object arrays ({descr:?}) need pickle and are not supported"
        )));
    }
    let dtype = DType::from_npy_code(code).ok_or_else(unsupported)?;
    let big = match order {
        b'<' => false,
        b'>' => true,
        _ => cfg!(target_endian = "big"),
    };
    Ok((dtype, big != cfg!(target_endian = "big")))
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, c: u8) -> Result<()> {
        self.ws();
        if self.eat(c) {
            Ok(())
        } else {
            Err(fmt_err(format!(
                "malformed header: expected {:?} at byte {}",
                c as char, self.i
            )))
        }
    }
    fn string(&mut self) -> Result<String> {
        self.ws();
        let q = match self.peek() {
            Some(q @ (b'\'' | b'"')) => q,
            _ => {
                return Err(fmt_err(format!(
                    "malformed header: expected a string at byte {}",
                    self.i
                )));
            }
        };
        self.i += 1;
        let start = self.i;
        while let Some(c) = self.peek() {
            if c == q {
                let s = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
                self.i += 1;
                return Ok(s);
            }
            if c == b'\\' {
                return Err(fmt_err("escapes in header strings are not supported"));
            }
            self.i += 1;
        }
        Err(fmt_err("malformed header: unterminated string"))
    }
    fn boolean(&mut self) -> Result<bool> {
        for (word, v) in [(&b"True"[..], true), (&b"False"[..], false)] {
            if self.s[self.i..].starts_with(word) {
                self.i += word.len();
                return Ok(v);
            }
        }
        Err(fmt_err(
            "malformed header: fortran_order must be True or False",
        ))
    }
    /// A tuple of non-negative integers: `()`, `(3,)`, `(2, 3)`; more than [`MAX_DIMS`] is
    /// NumPy's error (the rest is counted, not stored).
    fn tuple(&mut self) -> Result<Vec<usize>> {
        self.expect(b'(')?;
        let mut dims = Vec::new();
        let mut count = 0usize;
        loop {
            self.ws();
            if self.eat(b')') {
                return self.check_ndim(dims, count);
            }
            let start = self.i;
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.i += 1;
            }
            if start == self.i {
                return Err(fmt_err(
                    "malformed header: shape must be a tuple of non-negative integers",
                ));
            }
            let digits = std::str::from_utf8(&self.s[start..self.i])
                .map_err(|_| fmt_err("malformed header: bad shape"))?;
            let d = digits
                .parse::<usize>()
                .map_err(|_| fmt_err(format!("shape dimension {digits} is too large")))?;
            count += 1;
            if count <= MAX_DIMS {
                dims.push(d);
            }
            self.ws();
            if !self.eat(b',') {
                self.expect(b')')?;
                if count == 1 {
                    return Err(fmt_err(
                        "malformed header: a 1-tuple needs a trailing comma",
                    ));
                }
                return self.check_ndim(dims, count);
            }
        }
    }

    fn check_ndim(&self, dims: Vec<usize>, count: usize) -> Result<Vec<usize>> {
        if count > MAX_DIMS {
            return Err(fmt_err(format!(
                "maximum supported dimension for an ndarray is currently {MAX_DIMS}, found {count}"
            )));
        }
        Ok(dims)
    }
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Python's `repr` of a shape tuple.
fn shape_repr(shape: &[usize]) -> String {
    match shape {
        [d] => format!("({d},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// The full header (magic, version, length, padded dict) exactly as NumPy writes it.
fn header_bytes(dtype: DType, shape: &[usize]) -> Vec<u8> {
    let order = if dtype.size() == 1 { '|' } else { '<' };
    let mut dict = format!(
        "{{'descr': '{order}{}', 'fortran_order': False, 'shape': {}, }}",
        dtype.npy_code(),
        shape_repr(shape)
    );
    if let Some(first) = shape.first() {
        let digits = first.to_string().len();
        dict.push_str(&" ".repeat(GROWTH_AXIS_MAX_DIGITS.saturating_sub(digits)));
    }
    let hlen = dict.len() + 1; // + the final newline
    let build = |len_bytes: usize, version: u8| {
        let pad = ARRAY_ALIGN - (MAGIC.len() + 2 + len_bytes + hlen) % ARRAY_ALIGN;
        let total = hlen + pad;
        let mut out = Vec::with_capacity(MAGIC.len() + 2 + len_bytes + total);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&[version, 0]);
        if len_bytes == 2 {
            out.extend_from_slice(&(total as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(total as u32).to_le_bytes());
        }
        out.extend_from_slice(dict.as_bytes());
        out.extend(std::iter::repeat_n(b' ', pad));
        out.push(b'\n');
        (total, out)
    };
    let (total, v1) = build(2, 1);
    if total <= u16::MAX as usize {
        v1
    } else {
        build(4, 2).1
    }
}

pub(crate) fn write_npy<W: Write>(w: &mut W, x: &Array) -> Result<()> {
    let buf = x.buffer()?;
    w.write_all(&header_bytes(x.dtype(), x.shape()))?;
    let item = buf.dtype().size();
    if cfg!(target_endian = "little") || item == 1 {
        w.write_all(buf.as_bytes())?;
    } else {
        let mut le = buf.as_bytes().to_vec();
        for chunk in le.chunks_exact_mut(item) {
            chunk.reverse();
        }
        w.write_all(&le)?;
    }
    Ok(())
}
