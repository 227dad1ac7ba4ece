//! `intra_pred`, the intra sample predictor, in Verilator against golden's
//! `predict::{filter_flag, filter, predict}` as the decoder calls them: known answers
//! (every mode x size x luma/chroma x strong flag over structured references), random
//! jobs, references gathered from real tensor frames; with and without backpressure;
//! cycles per block of each size. Lint (`verilator --lint-only -Wall`, zero warnings)
//! and yosys synthesis of the generated module.
//! Needs verilator and yosys (`bash scripts/setup.sh`).

use std::path::{Path, PathBuf};
use std::process::Command;

use sim::blocks::{tensor_frames, StimSet};
use sim::intra_pred::{jobs, predicted_samples, run, Job};
use sim::tb::{Rng, Timing};
use sim::{BuildOptions, Model};

fn module() -> hw::GeneratedModule {
    hw::generate(&mut hw::intra_pred::IntraPred::default(), "intra_pred")
}

fn workdir(tag: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("intra_pred").join(tag);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn check(m: &mut Model, name: &str, jobs: &[Job], timing: &Timing) -> sim::tb::Report {
    let r = run(m, jobs, timing).unwrap();
    let samples = predicted_samples(jobs);
    let strong = jobs.iter().filter(|j| j.takes_strong()).count();
    let proj = jobs.iter().filter(|j| j.projects()).count();
    eprintln!(
        "intra_pred: {name}: {} jobs ({strong} strong-smoothed, {proj} projecting), {} beats in, {} beats out, {} busy cycles, {:.3} predicted samples/cycle, first latency {:?}, {:.2} M Verilator cycles/s, {} mismatches",
        jobs.len(),
        r.beats_in,
        r.beats_out,
        r.busy_cycles,
        samples as f64 / r.busy_cycles.max(1) as f64,
        r.first_latency,
        r.cycles_per_second / 1e6,
        r.mismatches
    );
    assert_eq!(r.mismatches, 0, "intra_pred {name}: {}", r.first_mismatch.clone().unwrap_or_default());
    assert_eq!(r.units, jobs.len() as u64, "intra_pred {name}: {r:?}");
    assert_eq!(r.beats_out, samples / 4, "{name}");
    r
}

#[test]
fn intra_pred_matches_golden() {
    let mut m = Model::new(&module(), &BuildOptions::default()).unwrap();
    let p = golden::Params::default();
    let frames = tensor_frames("@minilm", &p).unwrap();
    let t = Timing::default();
    let sets = [
        ("known-answer", StimSet::KnownAnswer),
        ("random 500 per size", StimSet::Random { per_size: 500, only: None }),
        ("tensor blocks (<= 400 per size)", StimSet::Tensor { frames, limit: 400 }),
    ];
    for (k, (name, set)) in sets.iter().enumerate() {
        let j = jobs(set, 7 + k as u64);
        assert!(!j.is_empty(), "{name}");
        check(&mut m, name, &j, &t);
    }
    // cycles per block of one size, chroma planar (no filter pass) and the slowest
    // case (32x32 luma with strong smoothing and a 7-cycle projection)
    let mut rng = Rng(5);
    for log2 in 2..=5u32 {
        let mut j = sim::intra_pred::random_jobs(64, Some(log2), &mut rng);
        for x in j.iter_mut() {
            x.mode = 0;
            x.luma = false;
        }
        let n = 1u64 << log2;
        let r = check(&mut m, &format!("{n}x{n} chroma planar"), &j, &t);
        let per = r.busy_cycles as f64 / j.len() as f64;
        eprintln!("intra_pred: {n}x{n}: {per:.2} cycles per block ({} expected: N + 1 + N^2/4, + latency once)", n + 1 + n * n / 4);
        // busy cycles: every block N + 1 + N^2/4 (load, flush, predict), plus the
        // output FIFO's register once at the end
        assert_eq!(r.busy_cycles, j.len() as u64 * (n + 1 + n * n / 4) + 1, "{n}x{n}");
    }
    let mut j = sim::intra_pred::random_jobs(32, Some(5), &mut rng);
    for x in j.iter_mut() {
        x.mode = 15; // angle -17: 16 projected samples, 4 cycles
        x.luma = true;
        x.strong = true;
        x.refs = golden::predict::Refs::flat(90);
    }
    let r = check(&mut m, "32x32 luma mode 15 strong", &j, &t);
    eprintln!("intra_pred: 32x32 strong + projection: {:.2} cycles per block", r.busy_cycles as f64 / j.len() as f64);
}

#[test]
fn intra_pred_under_backpressure() {
    let mut m = Model::new(&module(), &BuildOptions::default()).unwrap();
    let t = Timing { valid_256: 160, ready_256: 160, seed: 3, ..Default::default() };
    let j = jobs(&StimSet::Random { per_size: 200, only: None }, 11);
    check(&mut m, "random 200 per size (backpressure)", &j, &t);
}

#[test]
fn intra_pred_lints_clean() {
    let dir = workdir("lint");
    let m = module();
    let f = dir.join("intra_pred.v");
    std::fs::write(&f, &m.verilog).unwrap();
    let verilator = hw::common::tool("verilator").unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(verilator).args(["--lint-only", "-Wall", "--top-module", "intra_pred"]).arg(&f).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && err.trim().is_empty(), "verilator lint:\n{err}");
    // one declaration per line
    for l in m.verilog.lines() {
        let t = l.trim_start();
        if t.starts_with("wire ") || t.starts_with("reg ") {
            let decl = t.split(['=', ';']).next().unwrap_or("");
            assert!(t.matches(';').count() <= 1 && !decl.contains(','), "one declaration per line: {l}");
        }
    }
}

/// yosys synthesizes the block (mapped onto ASAP7 when ../shared/asap7 is present:
/// the same Verilog, flow and liberty as area_energy's calibration, whose cached result
/// it then reads).
#[test]
fn intra_pred_synthesizes() {
    hw::common::tool("yosys").unwrap_or_else(|e| panic!("{e}"));
    let dir = workdir("synth");
    let m = module();
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let lib = hw::yosys::asap7_liberty(&tmp.join("hw-synth"));
    let r = hw::yosys::synth_cached("intra_pred", &m.verilog, lib.as_deref(), &dir, &tmp.join("tcgen-synth/cache")).unwrap();
    let flops: u64 = r.generic_by_type.iter().filter(|(k, _)| k.contains("DFF")).map(|(_, v)| v).sum();
    eprintln!("intra_pred: yosys: {} generic cells, {flops} flip-flops, {:.1} s; by type: {:?}", r.generic_cells, r.seconds, r.generic_by_type);
    assert!(r.generic_cells > 1000, "suspiciously small netlist: {r:?}");
    assert!(flops >= 98 * 8, "the reference register file alone holds 784 bits: {flops} flops");
}

