//! area_energy's integration tests, one binary: the suites below used to be four test
//! binaries that ran one after another, each ending on its longest test with a core
//! idle; in one binary libtest keeps both threads busy across them (and the build links
//! one binary instead of four). Run one suite with a filter:
//! `cargo test --release -p area_energy --test area_energy cycle_model::`.

mod area_calibration;
mod cycle_model;
mod gate_activity;
mod liberty_asap7;
