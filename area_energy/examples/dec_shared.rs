//! Decoder cores against fronts sharing one backend: the cycle models
//! (`area_energy::core_cycles::dec_cores`, `dec_cores_shared`, equal to Verilator on the
//! streams of area_energy/tests/area_energy/cycle_model.rs) on @minilm's streams of both
//! strategies at QP 22 and 32, encoded with the configuration in FILE (give it
//! `bitstream.slice_rows = 1` or whole-row `ctus_per_slice`: several cores need
//! whole-row slices).
//!
//! `cargo run --release -p area_energy --example dec_shared FILE`
use golden::config::{Params, StrategyKind};
use golden::pipeline::{self, RateTarget};

fn main() {
    let cfg = std::env::args()
        .nth(1)
        .expect("usage: dec_shared CONFIG.toml");
    let p0 = Params::from_toml_str(&std::fs::read_to_string(&cfg).expect("config file"))
        .expect("config");
    let t = golden::sample::default_tensor();
    let v = t.data.len() as f64;
    println!("| stream | 1 core | 3 whole cores | 3 fronts, one backend | 4 fronts |");
    println!("|---|---|---|---|---|");
    for strategy in [StrategyKind::Hw, StrategyKind::Rd] {
        for qp in [22u8, 32] {
            let mut p = p0.clone();
            p.encoder.strategy = strategy;
            let enc = pipeline::encode_tensor(&t, &p, RateTarget::Qp(qp)).expect("encode");
            let c = area_energy::core_cycles::DecCoreConfig::of(&p);
            let a = &enc.encoded.annexb;
            let one = area_energy::core_cycles::dec_core(&c, a)
                .expect("model")
                .cycles;
            let whole = area_energy::core_cycles::dec_cores(&c, 3, a)
                .expect("model")
                .cycles;
            let s3 = area_energy::core_cycles::dec_cores_shared(&c, 3, a)
                .expect("model")
                .cycles;
            let s4 = area_energy::core_cycles::dec_cores_shared(&c, 4, a)
                .expect("model")
                .cycles;
            println!(
                "| {strategy:?} QP {qp} | {one} | {whole} | {s3} ({:+.1}%) | {s4} ({:.3} values/cycle) |",
                100.0 * (s3 as f64 / whole as f64 - 1.0),
                v / s4 as f64
            );
        }
    }
}
