//! `res_enc`, the encoder core's residual binarizer, in Verilator against golden's
//! encoder (`golden::residual::code_residual` on `golden::cabac::CabacEncoder`), byte
//! for byte: known answers (an impulse at every position of every TU size, luma and
//! chroma, all three scans, dense and extreme patterns, every context decided both ways,
//! context initialization at every QP), random TUs with single bins and bypass runs
//! between them, levels of real tensor blocks, WPP context store and restore; with and
//! without backpressure; two configurations (4 lanes / 32x32, 1 lane / 8x8). Bad
//! commands raise `err` and the block goes on. Needs verilator (`bash scripts/setup.sh`).

use sim::blocks::{cosim, tensor_frames, CosimRun, StimSet};
use sim::res_enc::{beat, level_beats, Cmd, CMD_PORTS};
use sim::tb::{self, Timing};
use sim::{BuildOptions, Model};

fn timing(seed: u64, pressure: bool) -> Timing {
    Timing { valid_256: if pressure { 160 } else { 256 }, ready_256: if pressure { 100 } else { 256 }, seed, ..Default::default() }
}

fn check(p: &golden::Params, sets: Vec<StimSet>, pressure: bool, seed: u64) {
    let r = cosim("res_enc", p, &CosimRun { sets, timing: timing(seed, pressure), build: BuildOptions::default(), trace: None }).unwrap();
    for (name, s) in &r.sets {
        eprintln!(
            "res_enc P{} TU{}{}: {name}: {} commands, {} bytes, {} bins in {} busy cycles = {:.3} bins/cycle, {:.2} M cycles/s, {} mismatches",
            r.lanes,
            r.max_tu,
            if pressure { " (backpressure)" } else { "" },
            s.beats_in,
            s.beats_out,
            s.work,
            s.busy_cycles,
            s.work as f64 / s.busy_cycles.max(1) as f64,
            s.cycles_per_second / 1e6,
            s.mismatches
        );
        assert_eq!(s.mismatches, 0, "res_enc {name}: {}", s.first_mismatch.clone().unwrap_or_default());
        assert!(s.units > 0 && s.beats_out > 0, "res_enc {name}: {s:?}");
    }
}

#[test]
fn res_enc_matches_golden_encoder_default_config() {
    let p = golden::Params::default();
    let mut sets = vec![StimSet::KnownAnswer, StimSet::Random { per_size: 150, only: None }];
    sets.push(StimSet::Tensor { frames: tensor_frames("@minilm", &p).unwrap(), limit: 200 });
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/tensors/smol_L15_q.npy");
    if shared.exists() {
        sets.push(StimSet::Tensor { frames: tensor_frames(shared.to_str().unwrap(), &p).unwrap(), limit: 150 });
    }
    check(&p, sets, false, 91);
    check(&p, vec![StimSet::Random { per_size: 40, only: None }], true, 92);
}

#[test]
fn res_enc_matches_golden_encoder_one_lane_8x8() {
    let mut p = golden::Params::default();
    p.rtl.samples_per_cycle = 1;
    p.bitstream.max_tu_size = 8;
    check(&p, vec![StimSet::Random { per_size: 150, only: None }], false, 93);
    check(&p, vec![StimSet::Random { per_size: 60, only: None }], true, 94);
}

#[test]
fn bad_commands_raise_err_and_the_block_goes_on() {
    let p = golden::Params::default();
    let m = hw::block("res_enc", &p).unwrap();
    let mut model = Model::new(&m, &BuildOptions::default()).unwrap();
    let err = model.port("err").unwrap();
    let good = vec![
        Cmd::Init(30),
        Cmd::Tu { log2: 3, chroma: false, scan: 1, sdh: true, levels: (0..64).map(|i| if i % 9 == 0 { i - 20 } else { 0 }).collect() },
        Cmd::Bin { ctx: 5, bin: 1 },
        Cmd::Term(1),
        Cmd::Finish,
    ];
    let bad_cases: Vec<Vec<Cmd>> = vec![
        // an all-zero TU (cbf 0 is not residual_coding)
        vec![Cmd::Init(22), Cmd::Tu { log2: 2, chroma: false, scan: 0, sdh: false, levels: vec![0; 16] }],
        // a context index past the last
        vec![Cmd::Init(22), Cmd::Bin { ctx: 200, bin: 0 }],
        // a bypass run of 0 bins
        vec![Cmd::Init(22), Cmd::Bypass { n: 0, val: 0 }],
    ];
    for (i, bad) in bad_cases.iter().enumerate() {
        let cmds: Vec<Cmd> = bad.iter().cloned().chain(good.iter().cloned()).collect();
        let rep = sim::res_enc::run(&mut model, &cmds, 4, &Timing::default());
        // the bad command codes nothing: the stream is golden's for the good commands
        let rep = rep.unwrap();
        assert_eq!(rep.mismatches, 1, "case {i}: only the err flag differs from golden's stream: {rep:?}");
        assert!(rep.first_mismatch.as_deref().unwrap_or("").contains("raised err"), "case {i}: {rep:?}");
        assert_eq!(model.get(err), 1, "case {i}");
    }
    // a TU whose size differs from the loaded one: err, the bank is consumed
    let input = tb::Stream::new(&model, "cmd_valid", "cmd_ready", &CMD_PORTS).unwrap();
    let lv = tb::Stream::new(&model, "lv_valid", "lv_ready", &["lv_data", "lv_log2"]).unwrap();
    let reset = model.port("reset").unwrap();
    tb::pulse_reset(&mut model, reset);
    let tu8 = Cmd::Tu { log2: 3, chroma: false, scan: 0, sdh: false, levels: vec![1; 64] };
    let mut lvb = level_beats(&[tu8], 4).into_iter();
    let cmd = beat(&Cmd::Tu { log2: 4, chroma: false, scan: 0, sdh: false, levels: vec![] });
    let mut sent = false;
    let mut pending = lvb.next();
    for _ in 0..200 {
        for (p, v) in input.data.iter().zip(&cmd) {
            model.set(*p, *v);
        }
        model.set(input.valid, !sent as u64);
        if let Some(b) = &pending {
            model.set(lv.data[0], b[0]);
            model.set(lv.data[1], b[1]);
        }
        model.set(lv.valid, pending.is_some() as u64);
        model.eval();
        if !sent && model.get(input.ready) != 0 {
            sent = true;
        }
        if pending.is_some() && model.get(lv.ready) != 0 {
            pending = lvb.next();
        }
        model.tick();
    }
    model.set(input.valid, 0);
    model.set(lv.valid, 0);
    assert!(sent && pending.is_none());
    assert_eq!(model.get(err), 1, "size mismatch raises err");
    model.eval();
    assert_eq!(model.get(input.ready), 1, "the block is idle again");
}
