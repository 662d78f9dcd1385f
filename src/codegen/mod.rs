//! Cranelift code generation helpers shared by the JIT.

pub mod math;
