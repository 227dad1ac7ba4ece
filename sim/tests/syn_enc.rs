//! `syn_enc`, the encoder core's slice-data writer (CU syntax + `res_enc` + emulation
//! prevention), in Verilator: fed golden's hardware-strategy decisions (CU modes and
//! levels, from golden's decoder trace of golden's stream), it writes every slice's
//! data byte for byte as golden's encoder did. Real and synthetic tensors, several QPs,
//! lossless QP 0, slices, WPP, several pictures per tensor, two configurations, gaps
//! and backpressure. Needs verilator (`bash scripts/setup.sh`).

use golden::config::{Params, StrategyKind};
use golden::pipeline::{self, RateTarget};
use sim::syn_enc::{run, slices};
use sim::{BuildOptions, Model};

fn check(cfg: &str, tensors: &[(&str, golden::tensor::Tensor)], qps: &[u8], stall: u32) {
    let mut p0 = Params::from_toml_str(cfg).unwrap();
    p0.encoder.strategy = StrategyKind::Hw;
    let m = hw::block("syn_enc", &p0).unwrap();
    let mut model = Model::new(&m, &BuildOptions::default()).unwrap();
    for (name, t) in tensors {
        for &qp in qps {
            let enc = pipeline::encode_tensor(t, &p0, RateTarget::Qp(qp)).unwrap();
            let (s, bins) = slices(&enc.encoded.annexb).unwrap();
            let r = run(&mut model, &s, p0.rtl.samples_per_cycle as usize, stall, qp as u64, 20_000_000).unwrap();
            eprintln!(
                "syn_enc {} {name} QP {qp}: {} slices, {} CUs, {} samples, {} bytes, {} bins, {} cycles: {:.3} samples/cycle, {:.3} bins/cycle, {:.2} M cycles/s, {} mismatches",
                cfg.replace('\n', " "),
                r.slices,
                r.cus,
                r.samples,
                r.bytes,
                bins,
                r.cycles,
                r.samples_per_cycle(),
                bins as f64 / r.cycles.max(1) as f64,
                r.cycles as f64 / r.wall_seconds / 1e6,
                r.mismatches
            );
            assert!(!r.errored, "{name} QP {qp}: the writer raised err");
            assert_eq!(r.mismatches, 0, "{cfg:?} {name} QP {qp}: {}", r.first_mismatch.unwrap_or_default());
            assert_eq!(r.slices as usize, s.len());
        }
    }
}

#[test]
fn default_config_writes_golden_slice_data() {
    check("", &[("@minilm", golden::sample::load("@minilm", None).unwrap())], &[0, 22, 37], 0);
    check("[bitstream]\nctus_per_slice = 7\n", &[("row_scaled 300x420", golden::tensor::synth::row_scaled(300, 420, 3))], &[12], 40);
}

/// CTU 16, CUs of 8, TU up to 8, one level per beat, 256-sample frames (several
/// pictures), 40 CTUs per slice, gaps and backpressure.
const SMALL: &str = "[bitstream]\nctu_size = 16\nmax_tu_size = 8\nctus_per_slice = 40\n[encoder.rd]\nmax_cu_size = 16\n[encoder.hw]\ncu_size = 8\n[rtl]\nsamples_per_cycle = 1\n[tiling]\nmax_frame_width = 256\nmax_frame_height = 256\n";

#[test]
fn small_config_slices_pictures_and_backpressure() {
    check(SMALL, &[("row_scaled 300x420", golden::tensor::synth::row_scaled(300, 420, 3))], &[4, 27], 64);
}

#[test]
fn wpp_streams() {
    check("[bitstream]\nwpp = true\n", &[("@minilm", golden::sample::load("@minilm", None).unwrap())], &[27], 0);
    check(&SMALL.replace("[bitstream]\n", "[bitstream]\nwpp = true\n"), &[("row_scaled 300x420", golden::tensor::synth::row_scaled(300, 420, 3))], &[22], 64);
}
