//! Where the encoder's binarizer (`res_enc`) spends its cycles on golden's @minilm
//! hardware-strategy streams (default configuration), per value, from its step model
//! ([`area_energy::enc_cycles::res_enc_steps`], equal to Verilator's count in
//! `area_energy/tests/area_energy/cycle_model.rs`): engine requests (each a context-coded bin or up
//! to `golden::config::RES_ENC_BYPASS_BINS` bypass bins) against cycles without one
//! (sub-block fetches, coefficients without a remaining level, sub-block checks, TU
//! start and end), next to the bins they carry. The companion of `bin_mix` (the
//! decoder's parser).
//!
//! `cargo run --release -p area_energy --example enc_steps [QP...]`
use area_energy::enc_cycles::{res_enc_steps, RStep};
use golden::config::{Params, StrategyKind};
use golden::pipeline::{self, RateTarget};

fn main() {
    let qps: Vec<u8> = std::env::args().skip(1).map(|a| a.parse().expect("QP")).collect();
    let qps = if qps.is_empty() { vec![0, 12, 22, 27, 32, 37] } else { qps };
    let t = golden::sample::default_tensor();
    let nv = t.shape.iter().product::<usize>() as f64;
    let mut p = Params::default();
    p.encoder.strategy = StrategyKind::Hw;
    println!("| QP | bits/value | bins/value | res_enc cycles/value | requests | bins/request | cycles without a request | of them fetches (5 per fetched sub-block) |");
    println!("|---|---|---|---|---|---|---|---|");
    for qp in qps {
        let enc = pipeline::encode_tensor(&t, &p, RateTarget::Qp(qp)).unwrap();
        let tr = golden::decoder::decode_traced(&enc.encoded.annexb).unwrap();
        let (mut plain, mut req, mut bins, mut fetched) = (0u64, 0u64, 0u64, 0u64);
        for r in tr.records.iter().filter(|r| r.cbf) {
            let n = 1usize << r.log2;
            let mut lv = vec![0i32; n * n];
            for &(pos, l) in &r.levels {
                lv[pos as usize] = l;
            }
            let si = golden::residual::scan_idx_for(r.log2 as u32, r.c_idx as u32, r.mode, false);
            for s in res_enc_steps(&lv, r.log2 as u32, si, p.bitstream.sign_data_hiding && !r.bypass) {
                match s {
                    RStep::Req(b) => {
                        req += 1;
                        bins += b as u64;
                    }
                    _ => plain += 1,
                }
            }
            // sub-blocks fetched: those with a non-zero level, and sub-block 0
            let sc = golden::residual::scan_table(r.log2 as u32, si);
            let lvs: Vec<i32> = sc.iter().map(|&q| lv[q as usize]).collect();
            let last = (0..n * n).rev().find(|&q| lvs[q] != 0).unwrap_or(0);
            fetched += (0..=last / 16).filter(|&sb| sb == 0 || lvs[sb * 16..sb * 16 + 16].iter().any(|&l| l != 0)).count() as u64;
        }
        let f = |v: u64| v as f64 / nv;
        println!(
            "| {qp} | {:.3} | {:.3} | {:.3} | {:.3} | {:.2} | {:.3} | {:.3} |",
            enc.encoded.annexb.len() as f64 * 8.0 / nv,
            f(bins),
            f(req + plain),
            f(req),
            bins as f64 / req.max(1) as f64,
            f(plain),
            f(5 * fetched)
        );
    }
}
