//! hw's integration tests, one binary (they were three that ran one after another,
//! each ending on its longest test with a core idle). Run one suite with a filter:
//! `cargo test -p hw --test hw synth::`.

mod dequant;
mod lint;
mod synth;
