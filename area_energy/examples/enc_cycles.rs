//! The encoder core's cycles: Verilator's `enc_core` writing golden's hardware-strategy
//! streams of @minilm (default configuration) next to the core model
//! (`area_energy::enc_cycles::enc_core`), with where the model says the cycles went.
//!
//! `cargo run --release -p area_energy --example enc_cycles [QP...]` (needs verilator).
use area_energy::enc_cycles::{enc_core, EncCoreConfig};
use golden::config::Params;
use sim::{BuildOptions, Model};

fn main() {
    let qps: Vec<u8> = std::env::args().skip(1).map(|a| a.parse().expect("QP")).collect();
    let qps = if qps.is_empty() { vec![0, 12, 22, 27, 37, 45] } else { qps };
    let p = Params::default();
    let m = hw::block("enc_core", &p).unwrap();
    let mut model = Model::new(&m, &BuildOptions::default()).unwrap();
    let t = golden::sample::default_tensor();
    println!("| QP | enc_core cycles | model | model error | values/cycle | res_enc busy | final-probe waits | decision waits |");
    println!("|---|---|---|---|---|---|---|---|");
    for &qp in &qps {
        let job = sim::enc_core::job(&t, &p, qp, None).unwrap();
        let r = sim::enc_core::run(&mut model, &job, p.rtl.cabac_engines as usize, 0, 1, 50_000_000).unwrap();
        assert_eq!(r.mismatches, 0, "{:?}", r.first_mismatch);
        let mt = enc_core(&EncCoreConfig::of(&p), &job.annexb).unwrap();
        println!(
            "| {qp} | {} | {} | {:+.2}% | {:.3} | {:.1}% | {} | {} |",
            r.cycles,
            mt.cycles,
            (mt.cycles as f64 / r.cycles as f64 - 1.0) * 100.0,
            r.samples as f64 / r.cycles.max(1) as f64,
            100.0 * mt.res_enc_busy as f64 / mt.cycles.max(1) as f64,
            mt.final_waits,
            mt.decision_waits
        );
    }
}
