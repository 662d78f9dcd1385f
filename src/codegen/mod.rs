//! Kernel IR → Cranelift → machine code. Never imports `array/` or `passes/`.

pub mod body;
pub mod emit;
pub mod helpers;
pub mod jit;
pub mod math;
pub mod matmul;

pub use jit::{Compiled, KernelFn, compile};
