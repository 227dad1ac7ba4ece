//! The cycle model against Verilator: every transform block at three configurations,
//! on known-answer TUs (mixed sizes), random TUs and blocks of real tensors (the
//! embedded MiniLM sample, ../shared SmolLM2 when present); `intra_pred`, `sdh`,
//! `satd`, `res_dec` and the CABAC engines on their own streams; whole decoder and
//! encoder cores on whole streams. Needs verilator (`bash scripts/setup.sh`).

use area_energy::cycle::{dequant_busy_cycles, tq_run, Tq};
use sim::blocks::{cosim, stimulus, tensor_frames, CosimRun, StimSet};
use sim::tb::Timing;
use sim::BuildOptions;
use std::path::Path;

fn params(lanes: u32, nm: u32) -> golden::Params {
    let mut p = golden::Params::default();
    p.rtl.samples_per_cycle = lanes;
    p.bitstream.max_tu_size = nm;
    p
}

fn sets(p: &golden::Params) -> Vec<(String, StimSet)> {
    let mut v = vec![
        ("known-answer".to_string(), StimSet::KnownAnswer),
        (
            "random 40 per size".to_string(),
            StimSet::Random {
                per_size: 40,
                only: None,
            },
        ),
        (
            "@minilm blocks".to_string(),
            StimSet::Tensor {
                frames: tensor_frames("@minilm", p).unwrap(),
                limit: 300,
            },
        ),
    ];
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/tensors/smol_L15_q.npy");
    if shared.exists() {
        v.push((
            "smol_L15_q blocks".into(),
            StimSet::Tensor {
                frames: tensor_frames(shared.to_str().unwrap(), p).unwrap(),
                limit: 300,
            },
        ));
    } else {
        eprintln!("../shared/tensors absent: real-tensor blocks from the embedded sample only");
    }
    v
}

fn check_tq(block: &str, lanes: u32, nm: u32) {
    let p = params(lanes, nm);
    let tq = if block == "fwd_tq" {
        Tq::Forward
    } else {
        Tq::Inverse
    };
    for (name, set) in sets(&p) {
        let timing = Timing {
            seed: 11,
            ..Default::default()
        };
        let tus: Vec<u32> = stimulus(&set, tq == Tq::Inverse, nm as usize, timing.seed)
            .map(|t| t.log2)
            .collect();
        let r = cosim(
            block,
            &p,
            &CosimRun {
                sets: vec![set],
                timing,
                build: BuildOptions::default(),
                trace: None,
            },
        )
        .unwrap();
        let rep = &r.sets[0].1;
        assert_eq!(rep.mismatches, 0);
        let model = tq_run(tq, lanes, &tus);
        let err = model.busy_cycles as f64 / rep.busy_cycles as f64 - 1.0;
        eprintln!(
            "{block} P={lanes} max TU {nm}: {name}: {} TUs, Verilator {} busy cycles, model {} ({:+.3}%), first output {} vs {:?}",
            tus.len(),
            rep.busy_cycles,
            model.busy_cycles,
            100.0 * err,
            model.first_output,
            rep.first_latency
        );
        assert_eq!(model.beats_in, rep.beats_in);
        assert!(
            err.abs() <= 0.02,
            "{block} P={lanes} TU {nm} {name}: model {} vs Verilator {}",
            model.busy_cycles,
            rep.busy_cycles
        );
    }
}

#[test]
fn fwd_tq_default_config() {
    check_tq("fwd_tq", 4, 32);
}

#[test]
fn inv_tq_default_config() {
    check_tq("inv_tq", 4, 32);
}

#[test]
fn transform_blocks_small_configs() {
    for (lanes, nm) in [(1, 8), (2, 16)] {
        check_tq("fwd_tq", lanes, nm);
        check_tq("inv_tq", lanes, nm);
    }
}

#[test]
fn dequant_one_per_cycle() {
    let p = golden::Params::default();
    let timing = Timing {
        seed: 5,
        ..Default::default()
    };
    let set = StimSet::Random {
        per_size: 20,
        only: None,
    };
    let n: u64 = stimulus(&set, true, 32, timing.seed)
        .map(|t| t.data.len() as u64)
        .sum();
    let r = cosim(
        "dequant",
        &p,
        &CosimRun {
            sets: vec![set],
            timing,
            build: BuildOptions::default(),
            trace: None,
        },
    )
    .unwrap();
    let rep = &r.sets[0].1;
    eprintln!(
        "dequant: {n} coefficients, Verilator {} busy cycles, model {}",
        rep.busy_cycles,
        dequant_busy_cycles(n)
    );
    assert_eq!(rep.busy_cycles, dequant_busy_cycles(n));
}

/// `res_dec`: the residual parser's cycles per transform block (the phase-by-phase
/// count of `area_energy::cycle::residual_events`) equal Verilator's exactly: the
/// cycles of a substream of real blocks (every coded luma block of golden's @minilm
/// streams: hardware strategy at QP 27, rd at QP 12 and 37) minus those of the same
/// substream without its blocks (initialization, the closing terminate bin, reset)
/// are the sum of the per-block model.
#[test]
fn res_dec_blocks() {
    use golden::pipeline::{encode_tensor, RateTarget};
    use sim::res_dec::{encode, run, Op};
    let p0 = golden::Params::default();
    let m = hw::block("res_dec", &p0).unwrap();
    let mut model = sim::Model::new(&m, &BuildOptions::default()).unwrap();
    let t = golden::sample::default_tensor();
    for (strategy, qp) in [(golden::config::StrategyKind::Hw, 27u8), (golden::config::StrategyKind::Rd, 12), (golden::config::StrategyKind::Rd, 37)] {
        let mut p = p0.clone();
        p.encoder.strategy = strategy;
        let e = encode_tensor(&t, &p, RateTarget::Qp(qp)).unwrap();
        let tr = golden::decoder::decode_traced(&e.encoded.annexb).unwrap();
        let mut ops = Vec::new();
        let mut predicted = 0u64;
        for r in tr.records.iter().filter(|r| r.cbf).take(3000) {
            let n = 1usize << r.log2;
            let mut levels = vec![0i32; n * n];
            for &(pos, l) in &r.levels {
                levels[pos as usize] = l;
            }
            let scan = golden::residual::scan_idx_for(r.log2 as u32, r.c_idx as u32, r.mode, false);
            let sdh = p.bitstream.sign_data_hiding && !r.bypass;
            predicted += area_energy::cycle::residual_events(&levels, r.log2 as u32, scan, sdh).res_dec_cycles;
            ops.push(Op::Tu { log2: r.log2 as u32, chroma: r.c_idx > 0, scan, sdh, levels });
        }
        let blocks = ops.len();
        let mut cycles = |ops: Vec<Op>| {
            let mut ctx = golden::cabac::Contexts::new(qp as i32);
            let s = encode(qp, true, ops, &mut ctx);
            let r = run(&mut model, &[s], &Timing::default()).unwrap();
            assert_eq!(r.mismatches, 0);
            r.cycles
        };
        let (with, without) = (cycles(ops), cycles(Vec::new()));
        eprintln!("res_dec {strategy:?} QP {qp}: {blocks} blocks, Verilator {} cycles for them, model {predicted}", with - without);
        assert_eq!(with - without, predicted, "{strategy:?} QP {qp}");
    }
}

/// The configuration of sim/tests/sim/dec_core.rs's small tests (CTU 16, TU 8, one lane,
/// frames up to 256 wide), so that the Verilator builds are shared.
const SMALL: &str = "[bitstream]\nctu_size = 16\nmax_tu_size = 8\nctus_per_slice = 40\n[encoder.rd]\nmax_cu_size = 16\n[encoder.hw]\ncu_size = 8\n[rtl]\nsamples_per_cycle = 1\n[tiling]\nmax_frame_width = 256\nmax_frame_height = 256\n";

/// The decoder core model (`area_energy::core_cycles::dec_core`) against Verilator's
/// `dec_core` on whole streams of golden's encoder: real and synthetic tensors, both
/// strategies, QPs from lossless to 51, slices and WPP, several pictures, three
/// configurations (the default CTU 32 / P = 4 / TU 32, CTU 16 / P = 1 / TU 8, CTU 64 /
/// P = 2 / TU 16).
#[test]
fn dec_core_whole_streams() {
    use golden::config::StrategyKind::{Hw, Rd};
    use golden::pipeline::{encode_tensor, RateTarget};
    let minilm = golden::sample::default_tensor();
    let rows = golden::tensor::synth::row_scaled(200, 328, 3);
    let lap = golden::tensor::synth::laplacian(144, 400, 9);
    type Run<'a> = (&'a str, &'a str, &'a golden::tensor::Tensor, golden::config::StrategyKind, u8);
    let small_wpp = SMALL.replace("ctus_per_slice = 40", "ctus_per_slice = 11\nwpp = true");
    let cases: Vec<(&str, Vec<Run>)> = vec![
        (
            "",
            vec![
                ("", "@minilm", &minilm, Hw, 22),
                ("", "@minilm", &minilm, Rd, 37),
                ("", "@minilm", &minilm, Rd, 51),
                ("", "row_scaled", &rows, Rd, 0),
                ("[bitstream]\nctus_per_slice = 7\nwpp = true\n", "@minilm", &minilm, Rd, 27),
                ("[bitstream]\nctus_per_slice = 7\nwpp = true\n", "laplacian", &lap, Hw, 12),
            ],
        ),
        (SMALL, vec![(SMALL, "row_scaled", &rows, Hw, 30), (&small_wpp, "row_scaled", &rows, Rd, 17), (&small_wpp, "laplacian", &lap, Rd, 42)]),
        (
            "[bitstream]\nctu_size = 64\nmax_tu_size = 16\n[rtl]\nsamples_per_cycle = 2\n[encoder.hw]\ncu_size = 16\n",
            vec![("[bitstream]\nctu_size = 64\nmax_tu_size = 16\n[encoder.hw]\ncu_size = 16\n[rtl]\nsamples_per_cycle = 2\n", "row_scaled", &rows, Hw, 25), ("[bitstream]\nctu_size = 64\nmax_tu_size = 16\n[rtl]\nsamples_per_cycle = 2\n", "laplacian", &lap, Rd, 32)],
        ),
    ];
    let mut worst = 0f64;
    for (rtl, runs) in cases {
        let m = hw::block("dec_core", &golden::Params::from_toml_str(rtl).unwrap()).unwrap();
        let mut model = sim::Model::new(&m, &BuildOptions::default()).unwrap();
        for (cfg, name, t, strategy, qp) in runs {
            let mut p = golden::Params::from_toml_str(cfg).unwrap();
            p.encoder.strategy = strategy;
            let e = encode_tensor(t, &p, RateTarget::Qp(qp)).unwrap();
            let s = sim::dec_core::stream(&e.encoded.annexb).unwrap();
            let r = sim::dec_core::run(&mut model, &s, 0, 1, 50_000_000).unwrap();
            assert_eq!(r.mismatches, 0);
            let mt = area_energy::core_cycles::dec_core(&area_energy::core_cycles::DecCoreConfig::of(&p), &e.encoded.annexb).unwrap();
            let err = mt.cycles as f64 / r.cycles as f64 - 1.0;
            worst = worst.max(err.abs());
            eprintln!(
                "dec_core {:?} {name} {strategy:?} QP {qp}: {} slices, {} pictures, Verilator {} cycles, model {} ({:+.3}%)",
                cfg.replace('\n', " "),
                s.slices.len(),
                r.pictures,
                r.cycles,
                mt.cycles,
                100.0 * err
            );
            assert!(err.abs() <= 0.02, "{cfg:?} {name} {strategy:?} QP {qp}: model {} vs Verilator {}", mt.cycles, r.cycles);
        }
    }
    eprintln!("dec_core model: largest difference {:.3}%", 100.0 * worst);
}

/// The same model with several cores (`dec_multi`, slice k on core k mod K, the
/// cores' independent `recon`) against Verilator: three cores (sim's configuration)
/// on one-row slices, and two-row slices with WPP.
#[test]
fn dec_multi_whole_streams() {
    use golden::config::StrategyKind::{Hw, Rd};
    use golden::pipeline::{encode_tensor, RateTarget};
    let t = golden::tensor::synth::row_scaled(400, 512, 3);
    let three = SMALL.replace("ctus_per_slice = 40", "ctus_per_slice = 16").replace("[rtl]\n", "[rtl]\ndecoder_cores = 3\n");
    let p0 = golden::Params::from_toml_str(&three).unwrap();
    let m = hw::block("dec_multi", &p0).unwrap();
    let mut model = sim::Model::new(&m, &BuildOptions::default()).unwrap();
    let wpp = three.replace("ctus_per_slice = 16", "ctus_per_slice = 32\nwpp = true");
    for (cfg, strategy, qp) in [(&three, Hw, 27u8), (&three, Rd, 4), (&wpp, Rd, 22)] {
        let mut p = golden::Params::from_toml_str(cfg).unwrap();
        p.encoder.strategy = strategy;
        let e = encode_tensor(&t, &p, RateTarget::Qp(qp)).unwrap();
        let s = sim::dec_core::stream(&e.encoded.annexb).unwrap();
        let r = sim::dec_core::run_multi(&mut model, &s, 0, 1, 20_000_000).unwrap();
        assert_eq!(r.mismatches, 0);
        let dc = area_energy::core_cycles::DecCoreConfig::of(&p);
        let mt = area_energy::core_cycles::dec_cores(&dc, 3, &e.encoded.annexb).unwrap();
        let one = area_energy::core_cycles::dec_core(&dc, &e.encoded.annexb).unwrap();
        let err = mt.cycles as f64 / r.cycles as f64 - 1.0;
        eprintln!(
            "dec_multi 3 cores {strategy:?} QP {qp}{}: {} slices, Verilator {} cycles, model {} ({:+.3}%); model of one core {} ({:.2}x)",
            if cfg.contains("wpp") { " WPP" } else { "" },
            s.slices.len(),
            r.cycles,
            mt.cycles,
            100.0 * err,
            one.cycles,
            one.cycles as f64 / mt.cycles as f64
        );
        assert!(err.abs() <= 0.02, "{strategy:?} QP {qp}: model {} vs Verilator {}", mt.cycles, r.cycles);
    }
}

/// `dec_multi` with a shared backend (`rtl.decoder_shared_backend`: three fronts, one
/// `inv_tq` and one `intra_pred`, `core_cycles::dec_cores_shared`) against Verilator on
/// the streams of [`dec_multi_whole_streams`], and the stepped run against the
/// closed-form one ([`area_energy::core_cycles::dec_core`]) on one front.
#[test]
fn dec_multi_shared_whole_streams() {
    use golden::config::StrategyKind::{Hw, Rd};
    use golden::pipeline::{encode_tensor, RateTarget};
    let t = golden::tensor::synth::row_scaled(400, 512, 3);
    let three = SMALL
        .replace("ctus_per_slice = 40", "ctus_per_slice = 16")
        .replace(
            "[rtl]\n",
            "[rtl]\ndecoder_cores = 3\ndecoder_shared_backend = true\n",
        );
    let rows1 = three.replace("ctus_per_slice = 16", "slice_rows = 1");
    let wpp = three.replace("ctus_per_slice = 16", "ctus_per_slice = 32\nwpp = true");
    let mut models = std::collections::HashMap::new();
    for (cfg, strategy, qp) in [
        (&three, Hw, 27u8),
        (&three, Rd, 4),
        (&wpp, Rd, 22),
        (&rows1, Hw, 22),
    ] {
        let mut p = golden::Params::from_toml_str(cfg).unwrap();
        p.encoder.strategy = strategy;
        let model = models.entry(p.bitstream.slice_rows).or_insert_with(|| {
            sim::Model::new(
                &hw::block("dec_multi", &p).unwrap(),
                &BuildOptions::default(),
            )
            .unwrap()
        });
        let e = encode_tensor(&t, &p, RateTarget::Qp(qp)).unwrap();
        let s = sim::dec_core::stream(&e.encoded.annexb).unwrap();
        let r = sim::dec_core::run_multi(model, &s, 0, 1, 20_000_000).unwrap();
        assert_eq!(r.mismatches, 0);
        let dc = area_energy::core_cycles::DecCoreConfig::of(&p);
        let mt = area_energy::core_cycles::dec_cores_shared(&dc, 3, &e.encoded.annexb).unwrap();
        let whole = area_energy::core_cycles::dec_cores(&dc, 3, &e.encoded.annexb).unwrap();
        let err = mt.cycles as f64 / r.cycles as f64 - 1.0;
        eprintln!(
            "dec_multi 3 fronts, shared backend, {strategy:?} QP {qp}{}: {} slices, Verilator {} cycles, model {} ({:+.3}%); three whole cores (model) {}",
            if cfg.contains("wpp") { " WPP" } else if cfg.contains("slice_rows") { " one-row slices, no line buffers" } else { "" },
            s.slices.len(),
            r.cycles,
            mt.cycles,
            100.0 * err,
            whole.cycles
        );
        assert!(
            err.abs() <= 0.02,
            "{strategy:?} QP {qp}: model {} vs Verilator {}",
            mt.cycles,
            r.cycles
        );
        let one = area_energy::core_cycles::dec_core(&dc, &e.encoded.annexb).unwrap();
        let front = area_energy::core_cycles::dec_cores_shared(&dc, 1, &e.encoded.annexb).unwrap();
        assert_eq!(
            one.cycles, front.cycles,
            "one front stepped against the closed form"
        );
    }
}

/// The shared-backend model at the default datapath (P 4, TU 32, CTU 32, CUs of 16):
/// four fronts on @minilm's one-row slices, both strategies, against Verilator;
/// TCGEN_LONG=1 (the four-front model takes minutes to build).
#[test]
fn dec_multi_shared_default_config_when_long() {
    use golden::config::StrategyKind::{Hw, Rd};
    if std::env::var_os("TCGEN_LONG").is_none() {
        eprintln!("skipped: the default-configuration fronts take minutes to build; TCGEN_LONG=1 runs them");
        return;
    }
    let t = golden::sample::load("@minilm", None).unwrap();
    let p0 = golden::Params::from_toml_str("[bitstream]\nslice_rows = 1\n[rtl]\ndecoder_cores = 4\ndecoder_shared_backend = true\n").unwrap();
    let mut model = sim::Model::new(&hw::block("dec_multi", &p0).unwrap(), &BuildOptions::default()).unwrap();
    for (strategy, qp) in [(Hw, 22u8), (Rd, 32)] {
        let mut p = p0.clone();
        p.encoder.strategy = strategy;
        let e = golden::pipeline::encode_tensor(&t, &p, golden::pipeline::RateTarget::Qp(qp)).unwrap();
        let s = sim::dec_core::stream(&e.encoded.annexb).unwrap();
        let r = sim::dec_core::run_multi(&mut model, &s, 0, 1, 50_000_000).unwrap();
        assert_eq!(r.mismatches, 0);
        let mt = area_energy::core_cycles::dec_cores_shared(&area_energy::core_cycles::DecCoreConfig::of(&p), 4, &e.encoded.annexb).unwrap();
        let err = mt.cycles as f64 / r.cycles as f64 - 1.0;
        eprintln!("dec_multi 4 fronts, default datapath, {strategy:?} QP {qp}: {} slices, Verilator {} cycles, model {} ({:+.3}%)", s.slices.len(), r.cycles, mt.cycles, 100.0 * err);
        assert!(err.abs() <= 0.02, "{strategy:?} QP {qp}: model {} vs Verilator {}", mt.cycles, r.cycles);
    }
}

/// `intra_pred` on job streams (known-answer, random, real-tensor blocks): the busy
/// cycles are the sum of `cycle::intra_pred_job_cycles` and one.
#[test]
fn intra_pred_jobs() {
    let p = golden::Params::default();
    let m = hw::block("intra_pred", &p).unwrap();
    let mut model = sim::Model::new(&m, &BuildOptions::default()).unwrap();
    for (name, set) in sets(&p) {
        let jobs = sim::intra_pred::jobs(&set, 3);
        let r = sim::intra_pred::run(&mut model, &jobs, &Timing::default()).unwrap();
        assert_eq!(r.mismatches, 0);
        // the jobs back to back, and one cycle for the last beat through the output FIFO
        let sum: u64 = jobs.iter().map(|j| area_energy::cycle::intra_pred_job_cycles(j.log2, j.mode, j.takes_strong())).sum::<u64>() + 1;
        eprintln!("intra_pred {name}: {} jobs, Verilator {} busy cycles, model {sum}", jobs.len(), r.busy_cycles);
        assert!((r.busy_cycles as f64 / sum as f64 - 1.0).abs() <= 0.02);
    }
}

/// `sdh` on TU streams (known-answer, random, tensor blocks; hiding on for 7 TUs in 8)
/// at P = 4 / TU 32 and P = 1 / TU 8: the busy cycles against the sum of
/// `cycle::sdh_tu_cycles`.
#[test]
fn sdh_tus() {
    // the models' read-out FIFO is the RTL's
    assert_eq!(area_energy::cycle::SDH_OUT_FIFO, hw::sdh::OUT_FIFO as u64);
    for (lanes, nm) in [(4u32, 32u32), (1, 8)] {
        let p = params(lanes, nm);
        for (name, set) in sets(&p) {
            let timing = Timing { seed: 9, ..Default::default() };
            let jobs = sim::sdh::jobs(&set, nm as usize, timing.seed);
            // back to back; the last TU's cycle that returns to loading is not busy
            let sum: u64 = jobs.iter().map(|j| area_energy::cycle::sdh_tu_cycles(&j.level, j.log2, lanes, j.hide)).sum::<u64>() - 1;
            let r = cosim("sdh", &p, &CosimRun { sets: vec![set], timing, build: BuildOptions::default(), trace: None }).unwrap();
            let rep = &r.sets[0].1;
            assert_eq!(rep.mismatches, 0);
            eprintln!("sdh P={lanes} TU {nm} {name}: {} TUs, Verilator {} busy cycles, model {sum}", jobs.len(), rep.busy_cycles);
            assert!((rep.busy_cycles as f64 / sum as f64 - 1.0).abs() <= 0.02);
        }
    }
}

/// `satd` on block streams (known-answer with mixed sizes, random, real-tensor blocks)
/// at TU 32 and TU 8: busy cycles against `cycle::satd_run`.
#[test]
fn satd_blocks() {
    for nm in [32u32, 8] {
        let p = params(4, nm);
        for (name, set) in sets(&p) {
            let timing = Timing { seed: 13, ..Default::default() };
            let jobs = sim::satd::jobs(&set, nm as usize, timing.seed);
            let sizes: Vec<u32> = jobs.iter().map(|j| j.log2).collect();
            let model = area_energy::cycle::satd_run(&sizes);
            let r = cosim("satd", &p, &CosimRun { sets: vec![set], timing, build: BuildOptions::default(), trace: None }).unwrap();
            let rep = &r.sets[0].1;
            assert_eq!(rep.mismatches, 0);
            eprintln!("satd TU {nm} {name}: {} blocks, Verilator {} busy cycles, model {model}", jobs.len(), rep.busy_cycles);
            assert!((rep.busy_cycles as f64 / model as f64 - 1.0).abs() <= 0.02);
        }
    }
}

/// The CABAC engines on known-answer and random substreams (`sim::blocks::cabac_streams`:
/// decisions, bypass and terminating bins, skewed as a tensor's are; whole slices of
/// real tensors run through them in `dec_core_whole_streams`): busy cycles against
/// `cycle::cabac_dec_substream` (per substream, the engine reset before each) and
/// `cycle::cabac_enc_run` (the substreams back to back).
#[test]
fn cabac_engines() {
    use area_energy::cycle::{cabac_dec_substream, cabac_dec_used, cabac_enc_requests, cabac_enc_run};
    let p = golden::Params::default();
    for (name, set) in [("known-answer", StimSet::KnownAnswer), ("random 60 substreams", StimSet::Random { per_size: 60, only: None })] {
        let timing = Timing { seed: 21, ..Default::default() };
        let streams = sim::blocks::cabac_streams(&set, timing.seed);
        let dec: u64 = streams.iter().map(|s| cabac_dec_substream(&cabac_dec_used(&s.bytes, &s.requests), s.bytes.len())).sum();
        let mut bins = Vec::new();
        for s in &streams {
            bins.extend(s.bins.iter().copied());
            bins.push((3, 0, 0));
        }
        let enc = cabac_enc_run(&cabac_enc_requests(&bins));
        for (block, model) in [("cabac_dec", dec), ("cabac_enc", enc)] {
            let r = cosim(block, &p, &CosimRun { sets: vec![set.clone()], timing: timing.clone(), build: BuildOptions::default(), trace: None }).unwrap();
            let rep = &r.sets[0].1;
            assert_eq!(rep.mismatches, 0, "{block} {name}: {:?}", rep.first_mismatch);
            eprintln!("{block} {name}: {} substreams, {} bins, Verilator {} busy cycles, model {model}", streams.len(), bins.len() - streams.len(), rep.busy_cycles);
            assert!((rep.busy_cycles as f64 / model as f64 - 1.0).abs() <= 0.02, "{block} {name}: Verilator {} model {model}", rep.busy_cycles);
        }
    }
}

/// The encoder core's model (`area_energy::enc_cycles`) against Verilator's `enc_core`
/// on golden's hardware-strategy streams, stall 0 (original samples every cycle, bytes
/// and pictures always taken), one test per configuration so that the harness builds
/// their models side by side. The configurations are the sim tests' (their Verilator
/// models are cached). The model's count equals Verilator's on every stream (asserted
/// within 2%).
fn enc_core_streams(rtl: &str, runs: &[(&str, &str, &golden::tensor::Tensor, u8, Option<usize>)]) {
    let p0 = golden::Params::from_toml_str(rtl).unwrap();
    let mut model = sim::Model::new(&hw::block("enc_core", &p0).unwrap(), &BuildOptions::default()).unwrap();
    for &(cfg, name, t, qp, frames) in runs {
        let p = golden::Params::from_toml_str(cfg).unwrap();
        let job = sim::enc_core::job(t, &p, qp, frames).unwrap();
        let r = sim::enc_core::run(&mut model, &job, p.rtl.cabac_engines as usize, 0, 1, 50_000_000).unwrap();
        assert_eq!(r.mismatches, 0, "{:?}", r.first_mismatch);
        let mt = area_energy::enc_cycles::enc_core(&area_energy::enc_cycles::EncCoreConfig::of(&p), &job.annexb).unwrap();
        let err = mt.cycles as f64 / r.cycles as f64 - 1.0;
        eprintln!(
            "enc_core {:?} {name} QP {qp}: {} slices, {} CUs, Verilator {} cycles, model {} ({:+.3}%)",
            cfg.replace('\n', " "),
            r.slices,
            r.cus,
            r.cycles,
            mt.cycles,
            100.0 * err
        );
        assert!(err.abs() <= 0.02, "{cfg:?} {name} QP {qp}: model {} vs Verilator {}", mt.cycles, r.cycles);
    }
}

/// The default configuration (CTU 32, CUs of 16, modes planar/DC/H/V, 4 lanes) on
/// @minilm at QP 0 (lossless), 27 and 37, and with WPP and 7-CTU slices at 27.
#[test]
fn enc_core_default_config_streams() {
    let minilm = golden::sample::default_tensor();
    let wpp = "[bitstream]\nwpp = true\nctus_per_slice = 7\n";
    enc_core_streams("", &[("", "@minilm", &minilm, 27, None), ("", "@minilm", &minilm, 0, None), ("", "@minilm", &minilm, 37, None), (wpp, "@minilm", &minilm, 27, None)]);
}

/// CTU 16 / CUs of 8 / TU 8 / 1 lane with two entropy engines: 40-CTU slices, two
/// pictures, with and without WPP; the same with one engine and a single mode (DC: no
/// probe, no `satd`); CTU 64 / CUs of 16 / 2 lanes / all 35 modes.
#[test]
fn enc_core_small_and_wide_config_streams() {
    let rows = golden::tensor::synth::row_scaled(300, 420, 3);
    let dc = SMALL.replace("cu_size = 8\n", "cu_size = 8\nmodes = [1]\n");
    enc_core_streams(&dc, &[(&dc, "row_scaled", &rows, 27, Some(2))]);
    let two = SMALL.replace("[rtl]\n", "[rtl]\ncabac_engines = 2\n");
    let two_wpp = two.replace("[bitstream]\n", "[bitstream]\nwpp = true\n");
    enc_core_streams(&two, &[(&two, "row_scaled", &rows, 27, Some(2)), (&two_wpp, "row_scaled", &rows, 22, Some(2))]);
    let gauss = golden::tensor::synth::gaussian(256, 256, 5);
    let wide = "[bitstream]\nctu_size = 64\nmax_tu_size = 16\nsign_data_hiding = false\nchroma = \"yuv400\"\n[encoder.hw]\ncu_size = 16\nmodes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34]\n[rtl]\nsamples_per_cycle = 2\n";
    enc_core_streams(wide, &[(wide, "gaussian", &gauss, 32, None)]);
}

/// The same model with two whole cores (`enc_multi`, slice k on core k mod 2, the
/// cores' independent `recon` without a picture read-out) against Verilator, stall 0:
/// CTU 16 / CUs of 8 / TU 8 / 1 lane (the sim test's configuration), 40-CTU slices in two
/// pictures, with and without WPP (equal to Verilator; asserted within 2%).
#[test]
fn enc_multi_whole_streams() {
    let rows = golden::tensor::synth::row_scaled(300, 420, 3);
    let two = SMALL.replace("[rtl]\n", "[rtl]\nencoder_cores = 2\n");
    let wpp = two.replace("[bitstream]\n", "[bitstream]\nwpp = true\n");
    // one-row slices: cores without line buffers
    let rows1 = two.replace("ctus_per_slice = 40", "slice_rows = 1");
    let mut models = std::collections::HashMap::new();
    for (cfg, qp, frames) in [(&two, 27u8, Some(2)), (&wpp, 22, Some(2)), (&rows1, 22, Some(2))] {
        let p = golden::Params::from_toml_str(cfg).unwrap();
        let model = models.entry(p.bitstream.slice_rows).or_insert_with(|| sim::Model::new(&hw::block("enc_multi", &p).unwrap(), &BuildOptions::default()).unwrap());
        let job = sim::enc_core::job(&rows, &p, qp, frames).unwrap();
        let r = sim::enc_core::run(model, &job, 2, 0, 1, 50_000_000).unwrap();
        assert_eq!(r.mismatches, 0, "{:?}", r.first_mismatch);
        let ec = area_energy::enc_cycles::EncCoreConfig::of(&p);
        let mt = area_energy::enc_cycles::enc_cores(&ec, 2, &job.annexb).unwrap();
        let one = area_energy::enc_cycles::enc_core(&ec, &job.annexb).unwrap();
        let err = mt.cycles as f64 / r.cycles as f64 - 1.0;
        eprintln!(
            "enc_multi 2 cores QP {qp}{}: {} slices, Verilator {} cycles, model {} ({:+.3}%); model of one core {} ({:.2}x)",
            if cfg.contains("wpp") { " WPP" } else if cfg.contains("slice_rows") { " one-row slices, no line buffers" } else { "" },
            r.slices,
            r.cycles,
            mt.cycles,
            100.0 * err,
            one.cycles,
            one.cycles as f64 / mt.cycles as f64
        );
        assert!(err.abs() <= 0.02, "QP {qp}: model {} vs Verilator {}", mt.cycles, r.cycles);
    }
}
