//! The encoder core's blocks in Verilator against golden/:
//!
//! - `res_enc`, the residual binarizer, against golden's encoder
//!   (`golden::residual::code_residual` on `golden::cabac::CabacEncoder`), byte for byte.
//!   Known answers: an impulse at every position of every TU size, luma and chroma, all
//!   three scans, dense and extreme patterns, every context decided both ways, context
//!   initialization at every QP. Also random TUs with single bins and bypass runs between
//!   them, levels of real tensor blocks, and WPP context store and restore. With and
//!   without backpressure, in two configurations (4 lanes / 32x32, 1 lane / 8x8). Bad
//!   commands raise `err` and the block goes on.
//! - `syn_enc`, the slice-data writer (CU syntax + `res_enc` + emulation prevention), fed
//!   golden's hardware-strategy decisions (CU modes and levels, from golden's decoder
//!   trace of golden's stream). It writes every slice's data byte for byte as golden's
//!   encoder did. Real and synthetic tensors, several QPs, lossless QP 0, slices, WPP,
//!   several pictures per tensor, two configurations, gaps and backpressure.
//!
//! - `enc_core` and `enc_multi`, the encoder core and several of them on the stream's
//!   slices, against golden's hardware strategy: every slice data byte, every
//!   reconstructed sample (enc_core), and ffmpeg and libde265 on the stream built from
//!   the cores' bytes.
//! - `sdh`, sign data hiding, against golden's `quantize::sign_hide` on golden's
//!   quantized TUs (known answers, random, tensor blocks; random scans; hiding on and
//!   off), every largest TU and lane count, with and without backpressure.
//!
//! Needs verilator (`bash scripts/setup.sh`).

use golden::config::{Params, StrategyKind};
use golden::pipeline::{self, RateTarget};
use sim::blocks::{cosim, tensor_frames, CosimRun, StimSet};
use sim::res_enc::{beat, level_beats, Cmd, CMD_PORTS};
use sim::syn_enc::{run, slices};
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

/// Op-2 bins: bypass runs of every length 1..=5 with every value (the binarizer hands
/// its engine up to `hw::cabac_enc::KE` bypass bins per request, so runs longer than
/// that split), between decisions and terminating bins, with and without backpressure.
#[test]
fn res_enc_bypass_runs_of_every_length() {
    let p = golden::Params::default();
    let m = hw::block("res_enc", &p).unwrap();
    let mut model = Model::new(&m, &BuildOptions::default()).unwrap();
    let mut cmds = vec![Cmd::Init(27)];
    for n in 1..=5u32 {
        for val in 0..1u32 << n {
            cmds.push(Cmd::Bypass { n, val });
            cmds.push(Cmd::Bin { ctx: ((val * 7 + n) % 100) as u8, bin: val & 1 });
            if val % 5 == 0 {
                cmds.push(Cmd::Term(0));
            }
        }
    }
    cmds.push(Cmd::Term(1));
    cmds.push(Cmd::Finish);
    for pressure in [false, true] {
        let rep = sim::res_enc::run(&mut model, &cmds, 4, &timing(95, pressure)).unwrap();
        assert_eq!(rep.mismatches, 0, "backpressure {pressure}: {:?}", rep.first_mismatch);
        assert!(rep.beats_out > 20, "{rep:?}");
    }
}

#[test]
fn res_enc_bad_commands_raise_err_and_the_block_goes_on() {
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

fn check_writer(cfg: &str, tensors: &[(&str, golden::tensor::Tensor)], qps: &[u8], stall: u32) {
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

/// The writer alone on the default config's streams. The encoder core's tests run the
/// same writer on the same configurations (their bytes come out of it), so in the
/// default run this one is skipped: TCGEN_LONG=1.
#[test]
fn syn_enc_default_config_writes_golden_slice_data() {
    if std::env::var_os("TCGEN_LONG").is_none() {
        eprintln!("skipped (the encoder core's tests cover these streams): TCGEN_LONG=1 runs it");
        return;
    }
    check_writer("", &[("@minilm", golden::sample::load("@minilm", None).unwrap())], &[0, 22, 37], 0);
    check_writer("[bitstream]\nctus_per_slice = 7\n", &[("row_scaled 300x420", golden::tensor::synth::row_scaled(300, 420, 3))], &[12], 40);
}

/// CTU 16, CUs of 8, TU up to 8, one level per beat, 256-sample frames (several
/// pictures), 40 CTUs per slice, gaps and backpressure.
const SMALL: &str = "[bitstream]\nctu_size = 16\nmax_tu_size = 8\nctus_per_slice = 40\n[encoder.rd]\nmax_cu_size = 16\n[encoder.hw]\ncu_size = 8\n[rtl]\nsamples_per_cycle = 1\n[tiling]\nmax_frame_width = 256\nmax_frame_height = 256\n";

#[test]
fn syn_enc_small_config_slices_pictures_and_backpressure() {
    check_writer(SMALL, &[("row_scaled 300x420", golden::tensor::synth::row_scaled(300, 420, 3))], &[4, 27], 64);
}

/// The writer alone on WPP streams (covered by the encoder core's WPP tests; TCGEN_LONG=1).
#[test]
fn syn_enc_wpp_streams() {
    if std::env::var_os("TCGEN_LONG").is_none() {
        eprintln!("skipped (the encoder core's WPP tests cover these streams): TCGEN_LONG=1 runs it");
        return;
    }
    check_writer("[bitstream]\nwpp = true\n", &[("@minilm", golden::sample::load("@minilm", None).unwrap())], &[27], 0);
    check_writer(&SMALL.replace("[bitstream]\n", "[bitstream]\nwpp = true\n"), &[("row_scaled 300x420", golden::tensor::synth::row_scaled(300, 420, 3))], &[22], 64);
}

/// Sign data hiding against golden, at every (lanes, largest TU), with and without
/// backpressure; every level and cbf of every TU.
#[test]
fn sdh_matches_golden_sign_hiding() {
    for (lanes, nm) in [(4u32, 32u32), (1, 8), (2, 16), (4, 4)] {
        let mut p = golden::Params::default();
        p.rtl.samples_per_cycle = lanes;
        p.bitstream.max_tu_size = nm;
        let mut sets = vec![StimSet::KnownAnswer, StimSet::Random { per_size: 100, only: None }];
        if nm == 32 {
            sets.push(StimSet::Tensor { frames: tensor_frames("@minilm", &p).unwrap(), limit: 150 });
        }
        for pressure in [false, true] {
            let t = timing(31 + nm as u64 + pressure as u64, pressure);
            // backpressure on the random TUs
            let sets = if pressure { vec![StimSet::Random { per_size: 100, only: None }] } else { sets.clone() };
            let r = cosim("sdh", &p, &CosimRun { sets, timing: t, build: BuildOptions::default(), trace: None }).unwrap();
            for (name, s) in &r.sets {
                eprintln!("sdh P{lanes} TU{nm}{}: {name}: {} TUs, {} cycles, {:.3} samples/cycle, {} mismatches", if pressure { " (backpressure)" } else { "" }, s.units, s.cycles, s.samples_per_cycle, s.mismatches);
                assert_eq!(s.mismatches, 0, "sdh {name}: {}", s.first_mismatch.clone().unwrap_or_default());
                assert!(s.units > 0 && s.beats_out == s.beats_in, "sdh {name}: {s:?}");
            }
        }
    }
}

/// Run the tensors through the core; returns the streams assembled from its bytes.
fn check_core(cfg: &str, tensors: &[(&str, golden::tensor::Tensor)], qps: &[u8], stall: u32, frames: Option<usize>) -> Vec<Vec<u8>> {
    let p = Params::from_toml_str(cfg).unwrap();
    let mut streams = Vec::new();
    // several cores: enc_multi, a byte lane and an original stream per core
    let (top, lanes) = if p.rtl.encoder_cores > 1 { ("enc_multi", p.rtl.encoder_cores) } else { ("enc_core", p.rtl.cabac_engines) };
    let m = hw::block(top, &p).unwrap();
    let mut model = Model::new(&m, &BuildOptions::default()).unwrap();
    for (name, t) in tensors {
        for &qp in qps {
            let job = sim::enc_core::job(t, &p, qp, frames).unwrap();
            let r = sim::enc_core::run(&mut model, &job, lanes as usize, stall, qp as u64, 50_000_000).unwrap();
            eprintln!(
                "{top} {} {name} QP {qp}: {} pictures, {} slices, {} CUs, {} samples, {} bytes, {} bins, {} cycles: {:.3} samples/cycle, {:.2} M cycles/s, {} mismatches",
                cfg.replace('\n', " "),
                r.pictures,
                r.slices,
                r.cus,
                r.samples,
                r.bytes,
                r.bins,
                r.cycles,
                r.samples_per_cycle(),
                r.cycles as f64 / r.wall_seconds / 1e6,
                r.mismatches
            );
            assert!(!r.errored, "{name} QP {qp}: the core raised err");
            assert_eq!(r.mismatches, 0, "{cfg:?} {name} QP {qp}: {}", r.first_mismatch.unwrap_or_default());
            assert_eq!(r.pictures as usize, job.frames.len());
            // the stream with the core's slice data decodes to golden's reconstruction in
            // ffmpeg and libde265
            let stream = sim::enc_core::assemble(&job, &r.slice_bytes).unwrap();
            let chroma = p.bitstream.chroma == golden::config::ChromaFormat::Yuv420;
            let ff = sim::enc_core::decodes_to_golden(&job, &stream, chroma, false).unwrap_or_else(|e| panic!("{e}"));
            assert!(ff, "{name} QP {qp}: ffmpeg's pictures differ from golden's reconstruction");
            if chroma {
                let de = sim::enc_core::decodes_to_golden(&job, &stream, true, true).unwrap_or_else(|e| panic!("{e}"));
                assert!(de, "{name} QP {qp}: libde265's pictures differ from golden's reconstruction");
            }
            streams.push(stream);
        }
    }
    streams
}

/// The RTL loop: streams the encoder core wrote, decoded by the decoder core
/// (`dec_core`, same configuration), equal golden's decoder on every picture.
fn rtl_decodes(cfg: &str, streams: &[Vec<u8>]) {
    let p = Params::from_toml_str(cfg).unwrap();
    let mut dec = Model::new(&hw::block("dec_core", &p).unwrap(), &BuildOptions::default()).unwrap();
    for (i, s) in streams.iter().enumerate() {
        let cs = sim::dec_core::stream(s).unwrap();
        let r = sim::dec_core::run(&mut dec, &cs, 0, i as u64, 20_000_000).unwrap();
        eprintln!("dec_core on the encoder core's stream {i}: {} pictures, {} cycles, {} mismatches", r.pictures, r.cycles, r.mismatches);
        assert!(!r.errored && r.mismatches == 0 && r.pictures as usize == cs.pictures.len(), "stream {i}: {r:?}");
    }
}

fn smol() -> Option<(&'static str, golden::tensor::Tensor)> {
    let f = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/tensors/smol_L15_q.npy");
    if !f.exists() {
        eprintln!("../shared/tensors absent: the encoder core runs on the embedded sample and synthetic tensors only");
        return None;
    }
    Some(("SmolLM2 L15 q_proj", golden::sample::load(f.to_str().unwrap(), None).unwrap()))
}

/// The encoder core, default config (CTU 32, CUs of 16, modes planar/DC/H/V, 4 lanes):
/// golden's hardware-strategy bytes and reconstruction, lossless QP 0 and QP 37 on
/// MiniLM, QP 27 on SmolLM2 (../shared); ffmpeg and libde265 decode the core's stream.
/// (QP 22: `tcgen cosim --core encoder`, which the main job runs.)
#[test]
fn enc_core_default_config_matches_golden() {
    check_core("", &[("@minilm", golden::sample::load("@minilm", None).unwrap())], &[0, 37], 0, None);
    if let Some(t) = smol() {
        check_core("", &[t], &[27], 0, Some(1));
    }
}

/// CTU 16, CUs of 8, TU up to 8, one lane, two entropy engines (slices alternate):
/// several pictures, 40-CTU slices, WPP, gaps and backpressure on every stream; the
/// decoder core decodes the core's streams to golden's pictures.
#[test]
fn enc_core_small_config_two_engines_slices_wpp_pictures_backpressure() {
    let t = golden::tensor::synth::row_scaled(300, 420, 3);
    let two = SMALL.replace("[rtl]\n", "[rtl]\ncabac_engines = 2\n");
    let mut streams = check_core(&two, &[("row_scaled 300x420", t.clone())], &[4, 27], 64, None);
    streams.extend(check_core(&two.replace("[bitstream]\n", "[bitstream]\nwpp = true\n"), &[("row_scaled 300x420", t)], &[22], 64, Some(2)));
    rtl_decodes(SMALL, &streams);
}

/// CTU 64, CUs and TUs of 16, two lanes, all 35 intra modes searched, no sign hiding,
/// 4:0:0; and the default config with WPP and 7-CTU slices. (Three and four entropy
/// engines: lint, and `tcgen cosim --core encoder` with `rtl.cabac_engines`.)
#[test]
fn enc_core_all_modes_wide_ctu_and_wpp_slices() {
    let wide = "[bitstream]\nctu_size = 64\nmax_tu_size = 16\nsign_data_hiding = false\nchroma = \"yuv400\"\n[encoder.hw]\ncu_size = 16\nmodes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34]\n[rtl]\nsamples_per_cycle = 2\n";
    check_core(wide, &[("gaussian 256x256", golden::tensor::synth::gaussian(256, 256, 5))], &[32], 40, None);
    check_core("[bitstream]\nwpp = true\nctus_per_slice = 7\n", &[("@minilm", golden::sample::load("@minilm", None).unwrap())], &[27], 0, None);
}

/// A single mode (DC): no probe and no `satd` in the core (the generated Verilog has no
/// such module); CTU 16, CUs of 8, TU up to 8, one lane, with backpressure; the decoder
/// core decodes the streams. (Angular 26 alone and two cores of DC alone passed the
/// same checks once, 2026-12-07; `tcgen cosim --core encoder --config C` runs them.)
#[test]
fn enc_core_single_mode_without_satd() {
    let t = golden::tensor::synth::row_scaled(300, 420, 3);
    let dc = SMALL.replace("cu_size = 8\n", "cu_size = 8\nmodes = [1]\n");
    assert!(!hw::enc_core::has_satd(&Params::from_toml_str(&dc).unwrap()));
    assert!(!hw::block("enc_core", &Params::from_toml_str(&dc).unwrap()).unwrap().verilog.contains("module enc_core_satd"));
    let streams = check_core(&dc, &[("row_scaled 300x420", t)], &[4, 27], 64, None);
    rtl_decodes(SMALL, &streams);
}

/// Two whole encoder cores (`enc_multi`), slices alternating between them: CTU 16, CUs
/// of 8, TU up to 8, one lane, 4 pictures of 40-CTU slices with backpressure, and WPP.
#[test]
fn enc_multi_two_cores_slices_wpp_backpressure() {
    let t = golden::tensor::synth::row_scaled(300, 420, 3);
    let two = SMALL.replace("[rtl]\n", "[rtl]\nencoder_cores = 2\n");
    check_core(&two, &[("row_scaled 300x420", t.clone())], &[27], 64, None);
    check_core(&two.replace("[bitstream]\n", "[bitstream]\nwpp = true\n"), &[("row_scaled 300x420", t.clone())], &[22], 0, Some(2));
    // one-row slices: the cores have no line buffers
    let rows1 = two.replace("ctus_per_slice = 40", "slice_rows = 1");
    assert!(!hw::block("enc_multi", &Params::from_toml_str(&rows1).unwrap()).unwrap().verilog.contains(" u_lb ("));
    check_core(&rows1, &[("row_scaled 300x420", t)], &[4, 27], 64, Some(2));
}

/// Four encoder cores at the default datapath (P4, TU 32) on MiniLM cut into 12 slices
/// (a model of four default cores takes minutes to build): TCGEN_LONG=1.
#[test]
fn enc_multi_four_cores_default_datapath() {
    if std::env::var_os("TCGEN_LONG").is_none() {
        eprintln!("skipped: four default-datapath cores take minutes to build; TCGEN_LONG=1 runs them");
        return;
    }
    check_core("[bitstream]\nctus_per_slice = 12\n[rtl]\nencoder_cores = 4\n", &[("@minilm", golden::sample::load("@minilm", None).unwrap())], &[22], 0, None);
}
