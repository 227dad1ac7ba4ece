//! The residual bins of golden's @minilm streams per value, by kind (context-coded,
//! signs, remaining-level prefix and suffix bins) next to `res_dec`'s cycles per value
//! from the cycle model ([`area_energy::cycle::residual_events`]): where the parser's
//! cycles go.
//!
//! `cargo run --release -p area_energy --example bin_mix`
use area_energy::cycle::records_events;
use golden::config::{Params, StrategyKind};
use golden::pipeline::{self, RateTarget};

fn main() {
    let t = golden::sample::default_tensor();
    let nv = t.shape.iter().product::<usize>() as f64;
    println!("| strategy | QP | bits/value | bins/value | context-coded | signs | remaining prefix | remaining suffix | res_dec cycles/value |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for strategy in [StrategyKind::Hw, StrategyKind::Rd] {
        for qp in [12u8, 22, 27, 32, 37] {
            let mut p = Params::default();
            p.encoder.strategy = strategy;
            let enc = pipeline::encode_tensor(&t, &p, RateTarget::Qp(qp)).unwrap();
            let tr = golden::decoder::decode_traced(&enc.encoded.annexb).unwrap();
            let ev = records_events(&tr.records, p.bitstream.sign_data_hiding);
            let f = |v: u64| v as f64 / nv;
            println!(
                "| {strategy:?} | {qp} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
                enc.encoded.annexb.len() as f64 * 8.0 / nv,
                f(ev.bins()),
                f(ev.decisions),
                f(ev.signs),
                f(ev.rem_prefix),
                f(ev.rem_suffix),
                f(ev.res_dec_cycles)
            );
        }
    }
}
