//! Runtime: buffers, and (with the JIT) the kernel cache and executor.

pub mod buffer;
pub mod mat;
pub mod matmul;

pub use buffer::Buffer;
