//! golden: the bit-exact reference HEVC-intra tensor codec of tcgen.
//!
//! Tensor -> int8 (per-channel RTN, optional Hadamard rotation) -> luma frames ->
//! HEVC Main (4:2:0, flat chroma) intra bitstream that any HEVC decoder reconstructs
//! exactly as [`encoder`] does. Modules follow the standard: [`bitstream`] (bit writer,
//! NAL framing, parameter sets), [`cabac`] (arithmetic coder and context tables),
//! [`predict`] (intra prediction), [`transform`] (DST/DCT), [`quantize`], [`residual`]
//! (residual_coding syntax), [`encoder`] (CTU coding with pluggable decision strategies).

pub mod config;
pub mod container;
pub mod tensor;

pub use config::Params;
pub mod bitstream;
pub mod cabac;
pub mod quantize;
pub mod residual;
pub mod transform;
pub mod predict;
pub mod encoder;
pub mod tools;
pub mod pipeline;
pub mod eval;
pub mod sample;
pub mod decoder;
