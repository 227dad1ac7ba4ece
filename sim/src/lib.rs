//! sim: Verilator cosimulation of the hw/ blocks against golden/.
//!
//! - [`model`]: build (cached per config) and load a Verilator model through a
//!   generated `extern "C"` shim; set/get ports, clock, VCD window, toggle counts.
//! - [`tb`]: the testbench shape (driver, input/output monitors, golden reference fed
//!   from the input monitor, in-order scoreboard), cycle counts and speed.
//! - [`blocks`]: stimulus sets and references of each block; [`blocks::cosim`] is what
//!   `tcgen cosim` and the tests run.

pub mod blocks;
pub mod model;
pub mod tb;

pub use blocks::{cosim, cosim_module, CosimResult, CosimRun, StimSet};
pub use model::{BuildOptions, Model, SimError};
