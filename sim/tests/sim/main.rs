//! sim's integration tests, one binary (they were six that ran one after another, each
//! ending on its longest test with a core idle). Run one suite with a filter:
//! `cargo test --release -p sim --test sim dec_core::`.

mod cosim;
mod dec_core;
mod encoder;
mod intra_pred;
mod res_dec;
mod syn_dec;
