//! Kernel IR → Cranelift → machine code. Never imports `array/` or `passes/`.

pub(crate) mod body;
pub(crate) mod emit;
pub(crate) mod helpers;
pub(crate) mod jit;
pub mod math;
pub mod matmul;

pub(crate) use jit::{Compiled, compile};
