//! `.npy` / `.npz` I/O (placeholder until the I/O module lands).

use super::Array;
use crate::error::{Error, Result};

/// Loads a `.npy` file.
pub fn load(_path: impl AsRef<std::path::Path>) -> Result<Array> {
    Err(Error::Io("not yet".into()))
}
/// Loads a `.npz` file.
pub fn load_npz(_path: impl AsRef<std::path::Path>) -> Result<Vec<(String, Array)>> {
    Err(Error::Io("not yet".into()))
}
/// Saves several arrays to a `.npz` file.
pub fn savez(_path: impl AsRef<std::path::Path>, _arrays: &[(&str, &Array)]) -> Result<()> {
    Err(Error::Io("not yet".into()))
}
