//! hw: the tensor-codec blocks in rust-hdl 0.46, generating Verilog.
//!
//! One block per file; each file's docs state ports, widths, latency and throughput.
//! rust-hdl's own simulator is not trusted for arithmetic (it wraps `Signed` sums at
//! the operand width where its Verilog evaluates at 32 bits, and casts differ):
//! Verilator is the truth, and arithmetic leaves are written as Verilog wrappers
//! (rust-hdl's escape hatch) where the kernel language cannot express them cleanly.

pub mod dequant;
pub mod verilog;

pub use verilog::{generate, GeneratedModule};

/// Every block of the design, generated (name = module name = file stem).
pub fn all_blocks(_p: &golden::Params) -> Vec<GeneratedModule> {
    vec![generate(&mut dequant::Dequant::default(), "dequant")]
}
