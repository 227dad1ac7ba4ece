//! `syn_dec`, the decoder core's syntax decoder, in Verilator against golden's decoder
//! records (`golden::decoder::decode_traced`): streams of golden's encoder (hw and rd
//! strategies) on real and synthetic tensors at several QPs, lossless QP 0
//! (cu_transquant_bypass), several slices per picture, two CTU sizes; with output
//! backpressure; every record and every level compared. Needs verilator.

use golden::config::Params;
use golden::pipeline::{self, RateTarget};
use sim::syn_dec::{jobs, run};
use sim::{BuildOptions, Model};

fn check(cfg: &str, tensors: &[(&str, golden::tensor::Tensor)], qps: &[u8], stall: u32) {
    let p0 = Params::from_toml_str(cfg).unwrap();
    let m = hw::block("syn_dec", &p0).unwrap();
    let mut model = Model::new(&m, &BuildOptions::default()).unwrap();
    for (name, t) in tensors {
        for (strategy, qp, annexb) in crate::strategy_streams(&p0, t, qps) {
            let (js, want) = jobs(&annexb).unwrap();
            let r = run(&mut model, &js, &want, stall, qp as u64, 5_000_000).unwrap();
            eprintln!(
                "{cfg:?} {name} {strategy:?} QP {qp}: {} slices, {} records, {} levels, {} cycles ({:.1} cycles/record), {:.2} M cycles/s, {} mismatches",
                r.slices,
                r.records,
                r.levels,
                r.cycles,
                r.cycles as f64 / r.records.max(1) as f64,
                r.cycles as f64 / r.wall_seconds / 1e6,
                r.mismatches
            );
            assert!(!r.errored, "{name} {strategy:?} QP {qp}: the core raised err");
            assert_eq!(r.mismatches, 0, "{cfg:?} {name} {strategy:?} QP {qp}: {}", r.first_mismatch.unwrap_or_default());
            assert_eq!(r.records as usize, want.len());
        }
    }
}

fn tensors() -> Vec<(&'static str, golden::tensor::Tensor)> {
    let mut v = vec![("row_scaled 300x420", golden::tensor::synth::row_scaled(300, 420, 3))];
    v.push(("@minilm", golden::sample::load("@minilm", None).unwrap()));
    v
}

#[test]
fn default_config_streams_match_golden_records() {
    check("", &tensors(), &[0, 22, 37], 0);
}

/// WPP (one substream per CTU row, contexts stored after each row's second CTB and
/// restored at the next row): alone, with slices that start mid-row (the CTB
/// above-right in another slice: contexts initialized instead), and at CTU 16.
#[test]
fn wpp_streams_match_golden_records() {
    let t = vec![("row_scaled 300x420", golden::tensor::synth::row_scaled(300, 420, 3))];
    check("[bitstream]\nwpp = true\n", &t, &[22], 0);
    check("[bitstream]\nwpp = true\nctus_per_slice = 17\n", &t, &[30], 64);
    check("[bitstream]\nwpp = true\nctu_size = 16\nmax_tu_size = 16\n[encoder.rd]\nmax_cu_size = 16\n[encoder.hw]\ncu_size = 8\n", &t, &[27], 0);
}

#[test]
fn slices_and_ctu16_with_backpressure() {
    let t = vec![("row_scaled 300x420", golden::tensor::synth::row_scaled(300, 420, 3))];
    check("[bitstream]\nctus_per_slice = 7\n", &t, &[12, 30], 64);
    check("[bitstream]\nctu_size = 16\nmax_tu_size = 16\nctus_per_slice = 40\n[encoder.rd]\nmax_cu_size = 16\n[encoder.hw]\ncu_size = 8\n", &t, &[4, 27], 0);
}

#[test]
fn corrupt_slice_data_ends_every_slice_without_hanging() {
    let p = Params::default();
    let m = hw::block("syn_dec", &p).unwrap();
    let mut model = Model::new(&m, &BuildOptions::default()).unwrap();
    let t = golden::tensor::synth::row_scaled(300, 420, 3);
    let enc = pipeline::encode_tensor(&t, &p, RateTarget::Qp(27)).unwrap();
    let (js, want) = jobs(&enc.encoded.annexb).unwrap();
    let mut rng = sim::tb::Rng(0xc0ff);
    let mut errored = 0;
    for case in 0..12 {
        let mut j = js.clone();
        let b = &mut j[0].bytes;
        match case % 4 {
            0 => b.iter_mut().for_each(|x| *x = 0xff),
            1 => {
                for _ in 0..8 {
                    let i = (rng.next() as usize) % b.len();
                    b[i] ^= 1 << (rng.next() % 8);
                }
            }
            2 => b.truncate(1 + (rng.next() as usize) % b.len().min(400)),
            _ => b.iter_mut().for_each(|x| *x = rng.next() as u8),
        }
        if case == 5 {
            j[0].fields[14] = 6; // sl_log2ctb not the generated CTU size: out of subset
        }
        // no hang: every slice ends (end-of-slice or error record) within the bound
        let r = run(&mut model, &j, &want, 0, case, 3_000_000).unwrap_or_else(|e| panic!("case {case}: {e}"));
        eprintln!("case {case}: {} records, err {}, {} cycles", r.records, r.errored, r.cycles);
        errored += r.errored as u32;
        if case == 0 || case == 5 {
            assert!(r.errored, "case {case}: no error flag");
        }
    }
    assert!(errored >= 3, "only {errored} corrupt cases raised err");
}

// x265 streams (CTU 64): sim/tests/sim/dec_core.rs decodes them whole, picture for picture.
