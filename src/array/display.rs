//! NumPy-compatible printing (placeholder until the printing module lands).

use super::Array;
use crate::error::Result;

/// `str(x)` as NumPy prints it.
pub fn str(x: &Array) -> Result<String> {
    let b = x.buffer()?;
    Ok(format!(
        "{:?}",
        (0..b.len()).map(|i| b.get(i)).collect::<Vec<_>>()
    ))
}

/// `repr(x)`.
pub fn repr(x: &Array) -> Result<String> {
    str(x)
}
