//! Reading and writing the [safetensors](https://github.com/huggingface/safetensors) format
//! (cargo feature `safetensors`), the tensor files of the Hugging Face ecosystem.
//!
//! Tensors come back in file order (by data offset) in the same ordered map `.npz` archives
//! use ([`Npz`]). Dtypes lazynp has (bool, int8–64, uint8–64, float32, float64) round-trip;
//! the others (float16, bfloat16, 8-bit floats, ...) are an [`Error::Format`] naming the tensor.
//!
//! ```
//! use lazynp as np;
//! let w = np::array([[1.0f32, 2.0], [3.0, 4.0]]);
//! let b = np::array([0.5f32, -0.5]);
//! let bytes = np::safetensors::to_bytes(&[("w", &w), ("b", &b)])?;
//! let back = np::safetensors::from_bytes(&bytes)?;
//! assert_eq!(back["w"].to_vec::<f32>()?, vec![1.0, 2.0, 3.0, 4.0]);
//! assert_eq!(back.keys().collect::<Vec<_>>(), ["b", "w"]); // data order: sorted by the writer
//! # Ok::<(), np::Error>(())
//! ```

use super::Array;
use super::io::with_path;
use super::npz::Npz;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::runtime::Buffer;
use safetensors::tensor::{Dtype, TensorView};
use std::path::Path;

fn fmt_err(msg: impl Into<String>) -> Error {
    Error::Format(msg.into())
}

fn to_st(d: DType) -> Dtype {
    match d {
        DType::Bool => Dtype::BOOL,
        DType::I8 => Dtype::I8,
        DType::I16 => Dtype::I16,
        DType::I32 => Dtype::I32,
        DType::I64 => Dtype::I64,
        DType::U8 => Dtype::U8,
        DType::U16 => Dtype::U16,
        DType::U32 => Dtype::U32,
        DType::U64 => Dtype::U64,
        DType::F32 => Dtype::F32,
        DType::F64 => Dtype::F64,
    }
}

fn from_st(d: Dtype) -> Option<DType> {
    Some(match d {
        Dtype::BOOL => DType::Bool,
        Dtype::I8 => DType::I8,
        Dtype::I16 => DType::I16,
        Dtype::I32 => DType::I32,
        Dtype::I64 => DType::I64,
        Dtype::U8 => DType::U8,
        Dtype::U16 => DType::U16,
        Dtype::U32 => DType::U32,
        Dtype::U64 => DType::U64,
        Dtype::F32 => DType::F32,
        Dtype::F64 => DType::F64,
        _ => return None,
    })
}

/// Parses a safetensors file held in memory: its tensors by name, in file order.
///
/// ```
/// assert!(lazynp::safetensors::from_bytes(b"\x02\x00\x00\x00\x00\x00\x00\x00{}").unwrap().is_empty());
/// assert!(lazynp::safetensors::from_bytes(b"\xff\xff\xff\xff\xff\xff\xff\x7f{}").is_err());
/// ```
pub fn from_bytes(bytes: &[u8]) -> Result<Npz> {
    let st = safetensors::SafeTensors::deserialize(bytes)
        .map_err(|e| fmt_err(format!("bad safetensors data: {e}")))?;
    let mut tensors: Vec<(&str, TensorView<'_>)> = st.iter().collect();
    tensors.sort_by_key(|(_, v)| v.data().as_ptr() as usize);
    let mut out = Npz::with_capacity(tensors.len());
    for (name, v) in tensors {
        let dtype = from_st(v.dtype()).ok_or_else(|| {
            fmt_err(format!(
                "tensor {name:?}: dtype {:?} is not supported",
                v.dtype()
            ))
        })?;
        // The crate has checked that the data is exactly the shape's size in bytes.
        let mut buf = Buffer::zeroed(dtype, v.data().len() / dtype.size());
        buf.as_bytes_mut().copy_from_slice(v.data());
        if cfg!(target_endian = "big") && dtype.size() > 1 {
            for c in buf.as_bytes_mut().chunks_exact_mut(dtype.size()) {
                c.reverse();
            }
        }
        if dtype == DType::Bool {
            for b in buf.as_bytes_mut() {
                *b = (*b != 0) as u8;
            }
        }
        out.insert(
            name.to_string(),
            Array::from_buffer(buf, v.shape().to_vec())?,
        );
    }
    Ok(out)
}

/// The safetensors bytes of `tensors` (evaluating them). Names must be distinct.
///
/// ```
/// let bytes = lazynp::safetensors::to_bytes(&[("x", &lazynp::array([true, false]))])?;
/// let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
/// assert!(std::str::from_utf8(&bytes[8..8 + n]).unwrap().contains("\"BOOL\""));
/// # Ok::<(), lazynp::Error>(())
/// ```
pub fn to_bytes(tensors: &[(&str, &Array)]) -> Result<Vec<u8>> {
    let mut bufs = Vec::with_capacity(tensors.len());
    for (name, a) in tensors {
        let buf = a.buffer()?;
        let bytes = if cfg!(target_endian = "big") && a.dtype().size() > 1 {
            let mut le = buf.as_bytes().to_vec();
            for c in le.chunks_exact_mut(a.dtype().size()) {
                c.reverse();
            }
            std::borrow::Cow::Owned(le)
        } else {
            std::borrow::Cow::Borrowed(buf.as_bytes())
        };
        bufs.push((*name, a.dtype(), a.shape().to_vec(), bytes.into_owned()));
    }
    let mut views = Vec::with_capacity(bufs.len());
    for (name, dtype, shape, bytes) in &bufs {
        let v = TensorView::new(to_st(*dtype), shape.clone(), bytes)
            .map_err(|e| fmt_err(format!("tensor {name:?}: {e}")))?;
        views.push((*name, v));
    }
    let mut names: Vec<&str> = views.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(fmt_err(format!("tensor name {:?} given twice", w[0])));
    }
    safetensors::serialize(views, None).map_err(|e| fmt_err(format!("safetensors: {e}")))
}

/// Loads a `.safetensors` file: its tensors by name, in file order.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("lazynp-doc-st-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("m.safetensors");
/// lazynp::safetensors::save(&path, &[("w", &lazynp::eye(3, lazynp::DType::F64))])?;
/// let m = lazynp::safetensors::load(&path)?;
/// assert_eq!(m["w"].shape(), &[3, 3]);
/// assert!(lazynp::safetensors::load(dir.join("missing")).unwrap_err().to_string().contains("missing"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load(path: impl AsRef<Path>) -> Result<Npz> {
    let path = path.as_ref();
    let read = || -> Result<Npz> { from_bytes(&std::fs::read(path)?) };
    read().map_err(|e| with_path(path, e))
}

/// Saves `tensors` as a `.safetensors` file (evaluating them).
pub fn save(path: impl AsRef<Path>, tensors: &[(&str, &Array)]) -> Result<()> {
    let path = path.as_ref();
    let write = || -> Result<()> { Ok(std::fs::write(path, to_bytes(tensors)?)?) };
    write().map_err(|e| with_path(path, e))
}
