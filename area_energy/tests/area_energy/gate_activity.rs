//! Gate-level cosimulation: yosys's generic netlist of every block (P=1, TU 8) simulated
//! by Verilator under the RTL's testbench must match golden/ exactly (a check of
//! synthesis, and of the area and timing figures that come from those netlists; the
//! netlists are verilated at -O0, since Verilator 5.006's optimizations mis-simulated
//! some of them, `sim::model::build`). With `TCGEN_LONG=1` it also counts toggles and
//! prints the per-net toggle rate (what the energy model uses for logic switching)
//! beside the RTL signal rate. Needs yosys and verilator.

use area_energy::energy::Activity;
use sim::blocks::{cosim, cosim_module, tensor_frames, CosimRun, StimSet};
use sim::tb::Timing;
use sim::BuildOptions;
use std::path::Path;

// one test per block, so that the test harness runs them side by side
#[test]
fn gate_level_dequant() {
    check("dequant");
}
#[test]
fn gate_level_fwd_tq() {
    check("fwd_tq");
}
#[test]
fn gate_level_inv_tq() {
    check("inv_tq");
}
#[test]
fn gate_level_cabac_dec() {
    check("cabac_dec");
}
#[test]
fn gate_level_cabac_enc() {
    check("cabac_enc");
}
#[test]
fn gate_level_res_dec() {
    check("res_dec");
}
#[test]
fn gate_level_intra_pred() {
    check("intra_pred");
}

/// Clock gating's action counts: the enables yosys infers in `cabac_dec`'s generic
/// netlist (P=1), watched in a gate-level run (toggle build), all found in the model,
/// `reset` high at exactly the testbench's reset edges, and a duty below every-cycle.
#[test]
fn clock_gating_duty_from_the_gate_level_run() {
    use area_energy::gating::flop_enables;
    let p = params();
    let (m, gates) = netlist("cabac_dec", &p);
    let e = flop_enables(&gates.verilog);
    assert_eq!(e.unparsed, 0, "every flop statement of the netlist read");
    assert!(e.flops > 50 && !e.groups.is_empty(), "{e:?}");
    let list = e.watch_list();
    assert!(list.iter().any(|c| c.net == "reset" && c.bit.is_none()), "{list:?}");
    let watch: Vec<(String, u32)> = list.iter().map(|c| (c.net.clone(), c.bit.unwrap_or(0))).collect();
    let run = CosimRun { sets: vec![StimSet::Random { per_size: 100, only: None }], timing: Timing { seed: 9, ..Default::default() }, build: BuildOptions { trace: false, toggles: true, quick_compile: true }, trace: None };
    let r = sim::cosim_watching(&m.name, &gates, &p, &run, &watch).unwrap();
    assert_eq!(r.sets[0].1.mismatches, 0);
    let (edges, counts) = r.watched.clone().unwrap();
    assert_eq!(counts.len(), watch.len());
    assert!(counts.iter().all(|c| c.is_some()), "every condition net found in the model: {:?}", list.iter().zip(&counts).filter(|(_, c)| c.is_none()).collect::<Vec<_>>());
    let reset = list.iter().position(|c| c.net == "reset").unwrap();
    // the engine's testbench resets before each of its 100 random substreams, holding
    // reset for two edges (sim::tb::pulse_reset)
    assert_eq!(counts[reset], Some(2 * 100), "reset edges");
    assert!(edges >= r.sets[0].1.cycles, "{edges} edges, {} cycles", r.sets[0].1.cycles);
    let g = e.measure(edges, &counts);
    eprintln!("cabac_dec clock gating: {g:?}");
    assert_eq!(g.unresolved, 0);
    assert!(g.duty > 0.0 && g.duty < 1.0 && g.gated_duty < 1.0, "{g:?}");
}

/// The core parts the report's `--core-parts` rows synthesize that have a block
/// testbench of their own (`syn_dec` with its `res_dec`, `res_enc`, `satd`, `sdh`), at the
/// configuration the CLI's report tests use (P = 1, TU 8, hw CU 8, CTU 32): their
/// generic netlists against golden (TCGEN_LONG: a minute of yosys and Verilator more;
/// `recon`, `search` and `syn_enc` have no block testbench, only the cores': see
/// `gate_level_cores_when_long`). `satd`'s
/// netlist is the one whose -O3 simulation showed Verilator's mis-evaluation.
#[test]
fn gate_level_core_parts_when_long() {
    if std::env::var_os("TCGEN_LONG").is_none() {
        eprintln!("skipped: gate-level runs of syn_dec, res_enc, satd and sdh (a minute); TCGEN_LONG=1 runs them");
        return;
    }
    for block in ["syn_dec", "res_enc", "satd", "sdh"] {
        core_part(block);
    }
}

/// Whole cores at gate level (TCGEN_LONG): yosys's generic netlist of `enc_core` and
/// `dec_core` (memories stay `tcgen_ram` black boxes, simulated behaviourally) under
/// the cores' own testbenches (`sim::enc_core::run`, `sim::dec_core::run`), in a small
/// configuration (CTU 16, TU 8, one lane, CUs of 8, frames up to 256 wide). The encoder core's bytes and
/// reconstruction must equal golden's, and its stream decode to golden's pictures in
/// ffmpeg; the decoder core's pictures must equal golden's on golden's stream of the
/// same tensor. This covers the parts no block testbench reaches: `recon`, `search`
/// and `syn_enc`.
#[test]
fn gate_level_cores_when_long() {
    if std::env::var_os("TCGEN_LONG").is_none() {
        eprintln!("skipped: gate-level runs of the whole encoder and decoder cores (minutes of yosys and Verilator); TCGEN_LONG=1 runs them");
        return;
    }
    let mut p = golden::Params::default();
    p.bitstream.ctu_size = 16;
    p.bitstream.max_tu_size = 8;
    p.encoder.hw.cu_size = 8;
    p.encoder.rd.max_cu_size = 16;
    p.encoder.strategy = golden::config::StrategyKind::Hw;
    p.rtl.samples_per_cycle = 1;
    p.tiling.max_frame_width = 256;
    // real weights, the smallest picture (144 x 144 of @minilm's 384 x 384): a netlist
    // runs at 2,000 (encoder) to 4,300 (decoder) cycles per second at -O0
    let full = golden::sample::load("@minilm", None).unwrap();
    let (rows, cols) = full.as_matrix().unwrap();
    assert!(rows >= 144 && cols >= 144);
    let data: Vec<f32> = (0..144).flat_map(|r| full.data[r * cols..r * cols + 144].to_vec()).collect();
    let t = golden::tensor::Tensor::new(vec![144, 144], data, full.dtype).unwrap();
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
    let build = BuildOptions { trace: false, toggles: false, quick_compile: true };
    let qp = 22;
    let gates = |top: &str| {
        let m = hw::block(top, &p).unwrap();
        let t0 = std::time::Instant::now();
        let g = hw::yosys::generic_netlist_cached(&m.name, &m.verilog, &target.join("tmp/ae-gates").join(&m.name), &target.join("tmp/tcgen-synth/cache")).unwrap();
        eprintln!("{top}: generic netlist {} bytes in {:.0} s", g.verilog.len(), t0.elapsed().as_secs_f64());
        g
    };
    // the encoder core: its first picture
    let job = sim::enc_core::job(&t, &p, qp, Some(1)).unwrap();
    let mut enc = sim::Model::new(&gates("enc_core"), &build).unwrap();
    let r = sim::enc_core::run(&mut enc, &job, 1, 0, 1, 50_000_000).unwrap();
    eprintln!("enc_core gate level: {} CUs, {} bytes, {} cycles, {:.0} cycles/s, {} mismatches", r.cus, r.bytes, r.cycles, r.cycles as f64 / r.wall_seconds, r.mismatches);
    assert!(!r.errored, "enc_core netlist raised err");
    assert_eq!(r.mismatches, 0, "enc_core netlist differs from golden: {}", r.first_mismatch.unwrap_or_default());
    assert_eq!(r.pictures, 1);
    let stream = sim::enc_core::assemble(&job, &r.slice_bytes).unwrap();
    assert!(sim::enc_core::decodes_to_golden(&job, &stream, true, false).unwrap(), "ffmpeg's picture of the netlist's stream differs from golden's");
    // the decoder core: golden's stream of the same picture
    let cs = sim::dec_core::stream(&job.annexb).unwrap();
    let mut dec = sim::Model::new(&gates("dec_core"), &build).unwrap();
    let r = sim::dec_core::run(&mut dec, &cs, 0, 1, 50_000_000).unwrap();
    eprintln!("dec_core gate level: {} pictures, {} cycles, {:.0} cycles/s, {} mismatches", r.pictures, r.cycles, r.cycles as f64 / r.wall_seconds, r.mismatches);
    assert!(!r.errored && r.mismatches == 0 && r.pictures as usize == cs.pictures.len(), "dec_core netlist: {r:?}");
}

fn core_part(block: &str) {
    let p = params();
    let (m, gates) = netlist(block, &p);
    let set = match block {
        "syn_dec" => StimSet::Random { per_size: 2, only: None },
        "res_enc" => StimSet::Random { per_size: 20, only: None },
        _ => StimSet::Tensor { frames: tensor_frames("@minilm", &p).unwrap(), limit: 200 },
    };
    let run = CosimRun { sets: vec![set], timing: Timing { seed: 9, ..Default::default() }, build: BuildOptions { trace: false, toggles: false, quick_compile: true }, trace: None };
    let gl = cosim_module(&m.name, &gates, &p, &run).unwrap();
    let g = &gl.sets[0].1;
    assert_eq!(g.mismatches, 0, "{}: gate-level netlist differs from golden: {:?}", m.name, g.first_mismatch);
    assert!(g.units > 0, "{}", m.name);
    eprintln!("{}: gate-level netlist matches golden on {} units", m.name, g.units);
}

#[test]
fn every_block_has_a_gate_level_test() {
    assert_eq!(hw::BLOCKS, ["dequant", "fwd_tq", "inv_tq", "cabac_dec", "cabac_enc", "res_dec", "intra_pred"], "a block was added: give it a gate_level_ test");
}

/// The configuration of every run here: P = 1, TU 8, hw CU 8 (the CLI report test's).
fn params() -> golden::Params {
    let mut p = golden::Params::default();
    p.rtl.samples_per_cycle = 1;
    p.bitstream.max_tu_size = 8;
    p.encoder.hw.cu_size = 8;
    p
}

/// A block's RTL and its generic netlist (for the blocks, the one area_calibration.rs
/// kept in the shared cache when it synthesized them).
fn netlist(block: &str, p: &golden::Params) -> (hw::GeneratedModule, hw::GeneratedModule) {
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
    let m = hw::block(block, p).unwrap();
    let gates = hw::yosys::generic_netlist_cached(&m.name, &m.verilog, &target.join("tmp/ae-gates").join(&m.name), &target.join("tmp/tcgen-synth/cache")).unwrap();
    (m, gates)
}

/// A block's generic netlist against golden (and with TCGEN_LONG its activity).
fn check(block: &str) {
    let p = params();
    let frames = tensor_frames("@minilm", &p).unwrap();
    {
        let (m, gates) = netlist(block, &p);
        let set = || match m.name.as_str() {
            "cabac_dec" | "cabac_enc" => StimSet::Random { per_size: 100, only: None },
            "res_dec" => StimSet::Random { per_size: 20, only: None },
            "intra_pred" => StimSet::Tensor { frames: frames.clone(), limit: 60 },
            _ => StimSet::Tensor { frames: frames.clone(), limit: 400 },
        };
        let long = std::env::var("TCGEN_LONG").is_ok();
        // cabac_dec's netlist is built with toggle counting either way: the clock-gating
        // test below watches it, and so shares the one build (CI time)
        let toggles = long || m.name == "cabac_dec";
        let run = |s| CosimRun { sets: vec![s], timing: Timing { seed: 9, ..Default::default() }, build: BuildOptions { trace: false, toggles, quick_compile: !long }, trace: None };
        let gl = cosim_module(&m.name, &gates, &p, &run(set())).unwrap();
        if !long {
            let g = &gl.sets[0].1;
            assert_eq!(g.mismatches, 0, "{}: gate-level netlist differs from golden: {:?}", m.name, g.first_mismatch);
            assert!(g.units > 0);
            eprintln!("{}: gate-level netlist matches golden on {} units", m.name, g.units);
            return;
        }
        let rtl = cosim(&m.name, &p, &run(set())).unwrap();
        let (r, g) = (&rtl.sets[0].1, &gl.sets[0].1);
        assert_eq!(g.mismatches, 0, "{}: gate-level netlist differs from golden: {:?}", m.name, g.first_mismatch);
        assert_eq!(g.busy_cycles, r.busy_cycles, "{}: netlist and RTL cycle counts differ", m.name);
        let ar = Activity::from_toggles(r.busy_cycles, r.beats_in, rtl.toggles.iter().map(|t| (t.bits, t.toggles)));
        let ag = Activity::from_toggles(g.busy_cycles, g.beats_in, gl.toggles.iter().map(|t| (t.bits, t.toggles)));
        eprintln!(
            "{}: RTL {:.4} toggles/bit/cycle over {} bits; gate-level {:.4} over {} net bits; ratio {:.2}",
            m.name,
            ar.toggle_rate,
            ar.signal_bits,
            ag.toggle_rate,
            ag.signal_bits,
            ag.toggle_rate / ar.toggle_rate
        );
        assert!(ag.toggle_rate > 0.0);
    }
}

