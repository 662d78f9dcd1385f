//! Runtime: buffers, the kernel cache, plan execution and the ops it runs directly.

pub(crate) mod batched_simd;
pub(crate) mod buffer;
pub(crate) mod cache;
pub(crate) mod exec;
pub mod gemm_lib;
mod gemv;
pub mod mat;
pub mod matmul;
pub mod matmul_dispatch;
pub(crate) mod ops;
pub(crate) mod pool;
pub(crate) mod update;

pub(crate) use buffer::Buffer;
pub use buffer::live_bytes;
pub use cache::{JitStats, jit_stats};
