//! Runtime: buffers, and (with the JIT) the kernel cache and executor.

pub mod buffer;
pub mod gemm_lib;
pub mod mat;

pub use buffer::Buffer;
