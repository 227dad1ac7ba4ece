//! The decoder core (`dec_core`: syntax decoder + reconstruction + inv_tq +
//! intra_pred) in Verilator on whole streams: every picture equals golden's decoder
//! output (golden's pictures are compared with ffmpeg's here too). Streams from
//! golden's encoder (both strategies, slices) on real and synthetic tensors at
//! several QPs, lossless QP 0, x265 streams, two configurations; corrupt and
//! out-of-subset streams raise err within a cycle bound. Needs verilator.

use golden::config::Params;
use golden::pipeline::{self, RateTarget};
use sim::dec_core::{run, stream};
use sim::{BuildOptions, Model};

fn ffmpeg_luma_matches(annexb: &[u8], pics: &[golden::decoder::Picture]) {
    let dir = golden::tools::scratch_dir("dec-core");
    let p = dir.join("s.hevc");
    std::fs::write(&p, annexb).unwrap();
    let v = golden::tools::ffmpeg_decode(&p, &dir.join("o.yuv"), "yuv420p").unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_dir_all(&dir);
    let ours: Vec<u8> = pics.iter().flat_map(|p| p.to_yuv()).collect();
    assert!(v == ours, "golden's pictures differ from ffmpeg's");
}

fn check(cfg: &str, tensors: &[(&str, golden::tensor::Tensor)], qps: &[u8], stall: u32) {
    let p0 = Params::from_toml_str(cfg).unwrap();
    let m = hw::block("dec_core", &p0).unwrap();
    let mut model = Model::new(&m, &BuildOptions::default()).unwrap();
    for (name, t) in tensors {
        for (strategy, qp, annexb) in crate::strategy_streams(&p0, t, qps) {
            let s = stream(&annexb).unwrap();
            ffmpeg_luma_matches(&annexb, &s.pictures);
            let r = run(&mut model, &s, stall, qp as u64, 20_000_000).unwrap();
            eprintln!(
                "{cfg:?} {name} {strategy:?} QP {qp}: {} slices, {} pictures, {} samples, {} cycles: {:.3} samples/cycle, {:.2} bins/sample, {:.2} M cycles/s, {} mismatches",
                r.slices,
                r.pictures,
                r.samples,
                r.cycles,
                r.samples_per_cycle(),
                r.bins as f64 / r.samples.max(1) as f64,
                r.cycles as f64 / r.wall_seconds / 1e6,
                r.mismatches
            );
            assert!(!r.errored, "{name} {strategy:?} QP {qp}: the core raised err");
            assert_eq!(r.mismatches, 0, "{cfg:?} {name} {strategy:?} QP {qp}: {}", r.first_mismatch.unwrap_or_default());
            assert_eq!(r.pictures as usize, s.pictures.len());
        }
    }
}

#[test]
fn default_config_streams_match_golden_pictures() {
    check("", &[("row_scaled 300x420", golden::tensor::synth::row_scaled(300, 420, 3))], &[0, 37], 0);
    check("", &[("@minilm", golden::sample::load("@minilm", None).unwrap())], &[22], 0);
}

/// The second configuration: CTU 16, TU up to 8, one residual sample per cycle,
/// 256-sample frames (a tensor over several pictures), 40 CTUs per slice; output
/// backpressure and byte gaps.
const SMALL: &str = "[bitstream]\nctu_size = 16\nmax_tu_size = 8\nctus_per_slice = 40\n[encoder.rd]\nmax_cu_size = 16\n[encoder.hw]\ncu_size = 8\n[rtl]\nsamples_per_cycle = 1\n[tiling]\nmax_frame_width = 256\nmax_frame_height = 256\n";

#[test]
fn small_config_slices_pictures_and_backpressure() {
    let t = vec![("row_scaled 300x420", golden::tensor::synth::row_scaled(300, 420, 3))];
    check(SMALL, &t, &[4, 27], 64);
}

/// WPP streams (one parser decoding the rows' substreams in order), with and without
/// slices, both configurations.
#[test]
fn wpp_streams_match_golden_pictures() {
    let t = vec![("@minilm", golden::sample::load("@minilm", None).unwrap())];
    check("[bitstream]\nwpp = true\n", &t, &[27], 0);
    let t = vec![("row_scaled 300x420", golden::tensor::synth::row_scaled(300, 420, 3))];
    check(&format!("{SMALL}").replace("[bitstream]\n", "[bitstream]\nwpp = true\n"), &t, &[22], 64);
}

#[test]
fn default_config_with_slices_and_backpressure() {
    let t = vec![("@minilm", golden::sample::load("@minilm", None).unwrap())];
    check("[bitstream]\nctus_per_slice = 7\n", &t, &[12, 30], 64);
}

/// The scoreboard itself: a picture one sample off is a mismatch, not a pass.
#[test]
fn a_wrong_expected_picture_is_a_mismatch() {
    let p = Params::from_toml_str(SMALL).unwrap();
    let m = hw::block("dec_core", &p).unwrap();
    let mut model = Model::new(&m, &BuildOptions::default()).unwrap();
    let t = golden::tensor::synth::row_scaled(150, 160, 5);
    let enc = pipeline::encode_tensor(&t, &p, RateTarget::Qp(22)).unwrap();
    let mut s = stream(&enc.encoded.annexb).unwrap();
    s.pictures[0].y[1234] ^= 1;
    let r = run(&mut model, &s, 0, 1, 5_000_000).unwrap();
    assert_eq!(r.mismatches, 1, "{r:?}");
    assert!(r.first_mismatch.unwrap().contains("picture 0: luma"));
}

/// Corrupt slice data and out-of-subset streams: the core raises err, ends the
/// stream inside a picture (reported), or decodes something; it never hangs (a cycle
/// bound), and the clean stream afterwards still decodes bit-exactly (after reset).
#[test]
fn corrupt_and_out_of_subset_streams_raise_err_without_hanging() {
    let p = Params::default();
    let m = hw::block("dec_core", &p).unwrap();
    let mut model = Model::new(&m, &BuildOptions::default()).unwrap();
    let t = golden::tensor::synth::row_scaled(300, 420, 3);
    let mut pq = p.clone();
    pq.bitstream.ctus_per_slice = 20;
    let enc = pipeline::encode_tensor(&t, &pq, RateTarget::Qp(27)).unwrap();
    let good = stream(&enc.encoded.annexb).unwrap();
    let mut rng = sim::tb::Rng(0xdec0);
    let (mut errored, mut truncated) = (0, 0);
    for case in 0..14 {
        let mut s = good.clone();
        let k = (rng.next() as usize) % s.slices.len();
        let b = &mut s.slices[k].bytes;
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
        match case {
            // out of subset: a CTU size other than the generated one
            5 => s.slices[k].fields[14] = 6,
            // a slice that does not continue the picture (a picture's first slice twice)
            9 => s.slices[1].fields[2..5].iter_mut().for_each(|f| *f = 0),
            // a picture wider than the core's memory is refused
            13 => {
                s.slices[0].fields[0] = 8192 + 64;
            }
            _ => {}
        }
        let r = run(&mut model, &s, 0, case, 4_000_000).unwrap_or_else(|e| panic!("case {case}: {e}"));
        eprintln!("case {case} (slice {k}): err {}, truncated {}, {} pictures, {} mismatches, {} cycles", r.errored, r.truncated, r.pictures, r.mismatches, r.cycles);
        errored += r.errored as u32;
        truncated += r.truncated as u32;
        if matches!(case, 0 | 5 | 9 | 13) {
            assert!(r.errored, "case {case}: no error flag");
        }
    }
    assert!(errored >= 5, "only {errored} corrupt cases raised err ({truncated} truncated)");
    let r = run(&mut model, &good, 0, 99, 4_000_000).unwrap();
    assert!(!r.errored && r.mismatches == 0 && r.pictures == 1, "{r:?}");
}

/// A foreign encoder: x265 all-intra in the small configuration (CTU 16, TBs up to 8:
/// its own RDO, RDOQ and sign hiding; WPP, AQ, deblocking and SAO off so that the
/// stream is in the subset) on a 256x256 crop of the MiniLM frame, flat chroma; and
/// with textured chroma, which the core refuses (a chroma residual).
#[test]
fn x265_streams_decode_bit_exactly_and_chroma_residuals_raise_err() {
    let p = Params::from_toml_str(SMALL).unwrap();
    let t = golden::sample::load("@minilm", None).unwrap();
    let prep = golden::pipeline::prepare(&t, &Params::default()).unwrap();
    let fw = prep.layout.frame_width as usize;
    let (w, h) = (256usize, 256usize);
    let mut yuv: Vec<u8> = (0..h).flat_map(|y| prep.frames[0][y * fw..y * fw + w].to_vec()).collect();
    yuv.extend(std::iter::repeat_n(128u8, w * h / 2));
    let dir = golden::tools::scratch_dir("core-x265");
    std::fs::write(dir.join("in.yuv"), &yuv).unwrap();
    let m = hw::block("dec_core", &p).unwrap();
    let mut model = Model::new(&m, &BuildOptions::default()).unwrap();
    let x265 = |qp: u8| {
        golden::tools::x265_encode(&dir.join("in.yuv"), w, h, qp, "slow", &dir.join("o.hevc"), &["--ctu", "16", "--max-tu-size", "8", "--no-deblock", "--no-sao", "--aq-mode", "0"]).unwrap_or_else(|e| panic!("{e}"))
    };
    for qp in [12u8, 37] {
        let a = x265(qp);
        let s = stream(&a).unwrap();
        ffmpeg_luma_matches(&a, &s.pictures);
        let r = run(&mut model, &s, 0, 1, 10_000_000).unwrap();
        eprintln!("x265 QP {qp}: {} samples, {} cycles: {:.3} samples/cycle, {:.2} bins/sample, {} mismatches", r.samples, r.cycles, r.samples_per_cycle(), r.bins as f64 / r.samples as f64, r.mismatches);
        assert!(!r.errored && r.mismatches == 0 && r.pictures == 1, "x265 QP {qp}: {r:?}");
    }
    // chroma with texture: chroma residuals, outside the core's subset
    let mut rng = sim::tb::Rng(7);
    for v in yuv[w * h..].iter_mut() {
        *v = rng.next() as u8;
    }
    std::fs::write(dir.join("in.yuv"), &yuv).unwrap();
    let s = stream(&x265(22)).unwrap();
    let r = run(&mut model, &s, 0, 1, 10_000_000).unwrap();
    assert!(r.errored, "a chroma residual must raise err: {r:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Several decoder cores (`dec_multi`) on slices of whole CTU rows: every picture
/// equals golden's, the cores share the work (cycles against one core on the same
/// stream, `against_one`), and a slice that starts inside a CTU row is refused by the
/// host and raises `err` in the RTL.
fn check_multi(cfg: &str, t: &golden::tensor::Tensor, qps: &[u8], stall: u32, against_one: bool) -> Vec<(u64, u64)> {
    let p0 = Params::from_toml_str(cfg).unwrap();
    let m = hw::block("dec_multi", &p0).unwrap();
    let mut model = Model::new(&m, &BuildOptions::default()).unwrap();
    let mut one = if against_one { Some(Model::new(&hw::block("dec_core", &p0).unwrap(), &BuildOptions::default()).unwrap()) } else { None };
    let mut cycles = Vec::new();
    for (strategy, qp, annexb) in crate::strategy_streams(&p0, t, qps) {
        let s = stream(&annexb).unwrap();
        sim::dec_core::multi_check(&s).unwrap();
        let r = sim::dec_core::run_multi(&mut model, &s, stall, qp as u64, 20_000_000).unwrap();
        let r1 = match one.as_mut() {
            Some(one) => run(one, &s, stall, qp as u64, 20_000_000).unwrap(),
            None => sim::dec_core::CoreReport { cycles: 0, samples: r.samples, ..Default::default() },
        };
        let vs = if r1.cycles > 0 { format!(" vs one core {} ({:.2}x)", r1.cycles, r1.cycles as f64 / r.cycles as f64) } else { String::new() };
        eprintln!(
            "{cfg:?} {strategy:?} QP {qp}: {} cores, {} slices, {} pictures, {} cycles ({:.3} samples/cycle){vs}, {} mismatches",
            p0.rtl.decoder_cores,
            r.slices,
            r.pictures,
            r.cycles,
            r.samples_per_cycle(),
            r.mismatches
        );
        assert!(!r.errored, "{strategy:?} QP {qp}: a core raised err");
        assert_eq!(r.mismatches, 0, "{cfg:?} {strategy:?} QP {qp}: {}", r.first_mismatch.unwrap_or_default());
        assert_eq!((r.pictures as usize, r.samples), (s.pictures.len(), r1.samples));
        assert!(!r1.errored && r1.mismatches == 0);
        cycles.push((r.cycles, r1.cycles));
    }
    cycles
}

#[test]
fn several_cores_on_row_slices_match_golden_pictures() {
    // CTU 16 on 256-wide frames: 16 CTUs per row; three cores (the dispatcher wraps at a
    // count that is not a power of two) on slices of one row, then of two rows with WPP
    let t = golden::tensor::synth::row_scaled(400, 512, 3);
    let three = SMALL.replace("ctus_per_slice = 40", "ctus_per_slice = 16").replace("[rtl]\n", "[rtl]\ndecoder_cores = 3\n");
    for (a, b) in check_multi(&three, &t, &[4, 27], 64, true) {
        assert!(2 * a < b, "three cores took {a} cycles, one {b}");
    }
    check_multi(&three.replace("ctus_per_slice = 16", "ctus_per_slice = 32\nwpp = true"), &t, &[22], 0, false);
    // a slice that starts inside a CTU row: the host refuses it; fed anyway, the RTL raises err
    let p = Params::from_toml_str(&three.replace("ctus_per_slice = 16", "ctus_per_slice = 7")).unwrap();
    let enc = pipeline::encode_tensor(&golden::tensor::synth::row_scaled(150, 160, 5), &p, RateTarget::Qp(22)).unwrap();
    let s = stream(&enc.encoded.annexb).unwrap();
    let e = sim::dec_core::multi_check(&s).unwrap_err();
    assert!(e.contains("whole CTU rows"), "{e}");
    let mut model = Model::new(&hw::block("dec_multi", &p).unwrap(), &BuildOptions::default()).unwrap();
    let r = sim::dec_core::run_multi(&mut model, &s, 0, 1, 2_000_000).unwrap();
    assert!(r.errored, "{r:?}");
}

/// Three fronts sharing one `inv_tq` and one `intra_pred` (`rtl.decoder_shared_backend`)
/// on the same one-row slices (`bitstream.slice_rows = 1`: no line buffers) and
/// two-row WPP slices as the whole cores: every picture equals golden's, with
/// backpressure on the outputs, and the fronts still share the work (cycles against
/// one core). Fronts without a line buffer raise `err` on a slice of two rows.
#[test]
fn shared_backend_cores_match_golden_pictures() {
    let t = golden::tensor::synth::row_scaled(400, 512, 3);
    let shared = SMALL.replace(
        "[rtl]\n",
        "[rtl]\ndecoder_cores = 3\ndecoder_shared_backend = true\n",
    );
    let rows1 = shared.replace("ctus_per_slice = 40", "slice_rows = 1");
    for (a, b) in check_multi(&rows1, &t, &[4, 27], 64, true) {
        assert!(2 * a < b, "three fronts took {a} cycles, one core {b}");
    }
    check_multi(
        &shared.replace("ctus_per_slice = 40", "ctus_per_slice = 32\nwpp = true"),
        &t,
        &[22],
        0,
        false,
    );
    // two-row slices into fronts generated for one-row slices
    let p =
        Params::from_toml_str(&shared.replace("ctus_per_slice = 40", "slice_rows = 2")).unwrap();
    let enc = pipeline::encode_tensor(
        &golden::tensor::synth::row_scaled(150, 160, 5),
        &p,
        RateTarget::Qp(22),
    )
    .unwrap();
    let s = stream(&enc.encoded.annexb).unwrap();
    sim::dec_core::multi_check(&s).unwrap();
    let mut model = Model::new(
        &hw::block("dec_multi", &Params::from_toml_str(&rows1).unwrap()).unwrap(),
        &BuildOptions::default(),
    )
    .unwrap();
    let r = sim::dec_core::run_multi(&mut model, &s, 0, 1, 2_000_000).unwrap();
    assert!(
        r.errored,
        "a two-row slice without a line buffer must raise err: {r:?}"
    );
}

/// Four cores at the default configuration on @minilm (12 one-row slices), against one
/// core; TCGEN_LONG=1 (the default-configuration cores take minutes to build).
#[test]
fn four_default_cores_when_long() {
    if std::env::var_os("TCGEN_LONG").is_none() {
        eprintln!("skipped: set TCGEN_LONG=1 for four decoder cores at the default configuration");
        return;
    }
    let t = golden::sample::load("@minilm", None).unwrap();
    for (a, b) in check_multi("[bitstream]\nctus_per_slice = 12\n[rtl]\ndecoder_cores = 4\n", &t, &[27], 0, true) {
        // at least 3.2x on 12 slices of unequal size
        assert!(16 * a < 5 * b, "four cores took {a} cycles, one {b}");
    }
    // four fronts sharing the default datapath's backend (P 4, TU 32), one-row slices,
    // both strategies
    let shared = "[bitstream]\nslice_rows = 1\n[rtl]\ndecoder_cores = 4\ndecoder_shared_backend = true\n";
    for (a, b) in check_multi(shared, &t, &[22], 64, true) {
        assert!(2 * a < b, "four fronts took {a} cycles, one core {b}");
    }
}
