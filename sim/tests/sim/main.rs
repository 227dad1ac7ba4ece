//! sim's integration tests, one binary (they were six that ran one after another, each
//! ending on its longest test with a core idle). Run one suite with a filter:
//! `cargo test --release -p sim --test sim dec_core::`.

mod cosim;
mod dec_core;
mod encoder;
mod intra_pred;
mod res_dec;
mod syn_dec;

use golden::config::{Params, StrategyKind};
use golden::pipeline::{encode_tensor, RateTarget};

/// The streams golden's encoder writes for `t` with both decision strategies at each
/// QP of `qps` (configuration `p0` otherwise): (strategy, QP, Annex-B bytes), in that
/// order, for the suites that run whole streams through a decoder block or core.
pub(crate) fn strategy_streams(p0: &Params, t: &golden::tensor::Tensor, qps: &[u8]) -> Vec<(StrategyKind, u8, Vec<u8>)> {
    let mut v = Vec::new();
    for strategy in [StrategyKind::Hw, StrategyKind::Rd] {
        for &qp in qps {
            let mut p = p0.clone();
            p.encoder.strategy = strategy;
            v.push((strategy, qp, encode_tensor(t, &p, RateTarget::Qp(qp)).unwrap().encoded.annexb));
        }
    }
    v
}
