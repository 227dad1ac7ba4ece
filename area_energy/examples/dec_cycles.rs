//! The decoder core's cycles: Verilator's `dec_core` on golden's @minilm streams next
//! to the core model (`area_energy::core_cycles::dec_core`) and the residual parser's
//! exact share (the sum of `cycle::residual_events(..).res_dec_cycles`), with the
//! CU-level bins that `syn_dec` asks for one at a time.
//!
//! `cargo run --release -p area_energy --example dec_cycles [QP...]` (needs verilator).
use area_energy::cycle::records_events;
use golden::config::{Params, StrategyKind};
use golden::pipeline::{self, RateTarget};
use sim::{BuildOptions, Model};

fn main() {
    let qps: Vec<u8> = std::env::args().skip(1).map(|a| a.parse().expect("QP")).collect();
    let qps = if qps.is_empty() { vec![12, 22, 27, 37, 45] } else { qps };
    let p0 = Params::default();
    let m = hw::block("dec_core", &p0).unwrap();
    let mut model = Model::new(&m, &BuildOptions::default()).unwrap();
    let t = golden::sample::default_tensor();
    println!("| strategy | QP | dec_core cycles | model | model error | res_dec cycles | CU-level bins | luma TUs |");
    println!("|---|---|---|---|---|---|---|---|");
    for strategy in [StrategyKind::Hw, StrategyKind::Rd] {
        for &qp in &qps {
            let mut p = p0.clone();
            p.encoder.strategy = strategy;
            let enc = pipeline::encode_tensor(&t, &p, RateTarget::Qp(qp)).unwrap();
            let s = sim::dec_core::stream(&enc.encoded.annexb).unwrap();
            let r = sim::dec_core::run(&mut model, &s, 0, 1, 50_000_000).unwrap();
            assert_eq!(r.mismatches, 0);
            let tr = golden::decoder::decode_traced(&enc.encoded.annexb).unwrap();
            let ev = records_events(&tr.records, p.bitstream.sign_data_hiding);
            let cu_bins = tr.bins - ev.bins();
            let luma = tr.records.iter().filter(|r| r.c_idx == 0).count();
            let mt = area_energy::core_cycles::dec_core(&area_energy::core_cycles::DecCoreConfig::of(&p), &enc.encoded.annexb).unwrap();
            println!(
                "| {strategy:?} | {qp} | {} | {} | {:+.2}% | {} | {cu_bins} | {luma} |",
                r.cycles,
                mt.cycles,
                (mt.cycles as f64 / r.cycles as f64 - 1.0) * 100.0,
                ev.res_dec_cycles
            );
        }
    }
}
