//! Runtime: buffers, the kernel cache, plan execution and the ops it runs directly.

pub mod batched_simd;
pub mod buffer;
pub mod cache;
pub mod exec;
pub mod gemm_lib;
mod gemv;
pub mod mat;
pub mod matmul;
pub mod matmul_dispatch;
pub mod ops;
pub mod pool;
pub mod update;

pub use buffer::{Buffer, live_bytes};
pub use cache::{JitStats, jit_stats};
