//! Runtime: buffers, and (with the JIT) the kernel cache and executor.

pub mod buffer;

pub use buffer::Buffer;
