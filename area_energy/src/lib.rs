//! area_energy: what the tensor codec costs in die area and energy.
//!
//! Accelergy's discipline: action counts (cycles, toggles, memory accesses: from the
//! cycle model or from Verilator) stay separate from per-action tables (area per cell,
//! energy per toggle, SRAM density), and every table entry carries its [`Source`]:
//! publication or library, node, and scaling rule.
//!
//! - [`source`]: provenance of table entries;
//! - [`cycle`], [`core_cycles`], [`enc_cycles`]: cycle models of the blocks, of the
//!   decoder core and of the encoder core;
//! - [`gating`]: clock gating (which flops an enable can stop, their measured duty);
//! - [`reference`]: parametric full-video-codec (H.265) encoder and decoder models.

pub mod area;
pub mod core_cycles;
pub mod cycle;
pub mod enc_cycles;
pub mod gating;
pub mod energy;
pub mod reference;
pub mod sizing;
pub mod source;

pub use source::{Source, Sourced};
