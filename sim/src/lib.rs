//! sim: Verilator cosimulation of the hw/ blocks against golden/.
//!
//! - [`model`]: build (cached per config) and load a Verilator model through a
//!   generated `extern "C"` shim; set/get ports, clock, VCD window, toggle counts.
//! - [`tb`]: the testbench shape (driver, input/output monitors, golden reference fed
//!   from the input monitor, in-order scoreboard), cycle counts and speed.
//! - [`blocks`]: stimulus sets and references of each block; [`blocks::cosim`] is what
//!   `tcgen cosim` and the tests run.
//! - [`res_dec`]: the residual parser's substreams, golden reference and corrupt-stream check.
//! - [`res_enc`]: the encoder core's residual binarizer: command lists and golden's encoder.
//! - [`enc_core`]: the encoder core against golden's hardware strategy.
//! - [`satd`]: the SATD unit's blocks and golden's SATD.
//! - [`sdh`]: quantized TUs for sign data hiding and golden's `sign_hide`.
//! - [`syn_enc`]: the encoder core's slice-data writer on golden's CU decisions.
//! - [`syn_dec`], [`intra_pred`]: the syntax decoder's slice jobs, the predictor's jobs.
//! - [`dec_core`]: the decoder core on whole streams against golden's pictures.

pub mod blocks;
pub mod dec_core;
pub mod model;
pub mod intra_pred;
pub mod res_dec;
pub mod res_enc;
pub mod enc_core;
pub mod satd;
pub mod sdh;
pub mod syn_dec;
pub mod syn_enc;
pub mod tb;

pub use blocks::{cosim, cosim_module, cosim_watching, CosimResult, CosimRun, StimSet};
pub use model::{BuildOptions, Model, RamInstance, SimError};
