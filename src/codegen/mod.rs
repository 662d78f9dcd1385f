//! Kernel IR to Cranelift: emitters for the JIT backends.

pub mod matmul;
