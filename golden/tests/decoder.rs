//! golden's decoder against ffmpeg and libde265: streams from golden's encoder (both
//! strategies, WPP, slices) and from x265 (intra-only presets), unsupported tools,
//! round trips of tensors, and bad input that must give errors, never panics.

use golden::config::{Params, StrategyKind};
use golden::decoder::{self, DecodeError};
use golden::pipeline::{self, RateTarget};
use golden::tensor::synth;
use golden::tools;
use std::path::Path;

fn ffmpeg_planes(stream: &[u8], pix_fmt: &str) -> Vec<u8> {
    let dir = tools::scratch_dir("dec");
    let p = dir.join("s.hevc");
    std::fs::write(&p, stream).unwrap();
    let v = tools::ffmpeg_decode(&p, &dir.join("o.yuv"), pix_fmt).unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_dir_all(&dir);
    v
}

fn dec265_planes(stream: &[u8]) -> Vec<u8> {
    let dir = tools::scratch_dir("dec");
    let p = dir.join("s.hevc");
    std::fs::write(&p, stream).unwrap();
    let v = tools::dec265_decode(&p, &dir.join("o.yuv")).unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_dir_all(&dir);
    v
}

fn ours(stream: &[u8]) -> Vec<u8> {
    decoder::decode(stream).unwrap_or_else(|e| panic!("golden decoder: {e}")).iter().flat_map(|p| p.to_yuv()).collect()
}

fn assert_same(a: &[u8], b: &[u8], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: sizes");
    if let Some(i) = a.iter().zip(b).position(|(x, y)| x != y) {
        panic!("{what}: first difference at byte {i}");
    }
}

#[test]
fn golden_encoder_streams() {
    let t = synth::row_scaled(300, 420, 3);
    let cfgs = ["", "[bitstream]\nwpp = true\n", "[bitstream]\nctus_per_slice = 6\n", "[bitstream]\nwpp = true\nctus_per_slice = 9\nctu_size = 16\nmax_tu_size = 16\n[encoder.rd]\nmax_cu_size = 16\n", "[bitstream]\nchroma = \"yuv400\"\nctu_size = 64\n"];
    for c in cfgs {
        for strategy in [StrategyKind::Hw, StrategyKind::Rd] {
            let mut p = Params::from_toml_str(c).unwrap();
            p.encoder.strategy = strategy;
            for qp in [0u8, 22, 40] {
                let r = pipeline::encode_tensor(&t, &p, RateTarget::Qp(qp)).unwrap();
                let what = format!("{c:?} {strategy:?} QP {qp}");
                let mine = ours(&r.encoded.annexb);
                let pix = if c.contains("yuv400") { "gray" } else { "yuv420p" };
                assert_same(&mine, &ffmpeg_planes(&r.encoded.annexb, pix), &format!("{what} vs ffmpeg"));
                assert_same(&mine, &dec265_planes(&r.encoded.annexb), &format!("{what} vs dec265"));
            }
        }
    }
}

/// Planar 4:2:0 frames (flat chroma) of a tensor, as the codec lays them out.
fn frames_of(t: &golden::tensor::Tensor) -> (Vec<u8>, usize, usize) {
    let prep = pipeline::prepare(t, &Params::default()).unwrap();
    let (w, h) = (prep.layout.frame_width as usize, prep.layout.frame_height as usize);
    (tools::yuv420_flat(&prep.frames, w, h), w, h)
}

fn x265_stream(yuv: &[u8], w: usize, h: usize, preset: &str, qp: u8, extra: &[&str]) -> Result<Vec<u8>, tools::ToolError> {
    let dir = tools::scratch_dir("x265");
    let inp = dir.join("in.yuv");
    std::fs::write(&inp, yuv).unwrap();
    let r = tools::x265_encode(&inp, w, h, qp, preset, &dir.join("o.hevc"), extra);
    let _ = std::fs::remove_dir_all(&dir);
    r
}

const X265_INTRA: [&str; 3] = ["--no-deblock", "--no-sao", "--wpp"];

#[test]
fn x265_streams_real_and_synthetic() {
    let mut inputs = vec![("@minilm", golden::sample::default_tensor()), ("laplace", synth::laplacian(200, 300, 2))];
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/tensors/smol_L15_k.npy");
    if shared.exists() {
        inputs.push(("smol_L15_k", golden::tensor::load(&shared, None).unwrap()));
    }
    for (name, t) in &inputs {
        let (yuv, w, h) = frames_of(t);
        for preset in ["ultrafast", "medium", "veryslow"] {
            for qp in [2u8, 22, 37] {
                let s = x265_stream(&yuv, w, h, preset, qp, &X265_INTRA).unwrap_or_else(|e| panic!("{e}"));
                let what = format!("x265 {preset} QP {qp} on {name}");
                let mine = ours(&s);
                assert_same(&mine, &ffmpeg_planes(&s, "yuv420p"), &format!("{what} vs ffmpeg"));
                assert_same(&mine, &dec265_planes(&s), &format!("{what} vs dec265"));
            }
        }
    }
}

#[test]
fn x265_stream_options_we_decode() {
    // sign hiding off, transform skip on, slices, CU QP deltas (AQ under CRF), lossless CUs
    let (yuv, w, h) = frames_of(&synth::gaussian_outliers(256, 256, 5));
    let cases: &[&[&str]] = &[
        &["--no-signhide", "--tskip"],
        &["--slices", "4"],
        &["--lossless"],
        &["--cu-lossless", "--tskip", "--rdoq-level", "2"],
    ];
    for extra in cases {
        let mut args = X265_INTRA.to_vec();
        args.extend_from_slice(extra);
        let s = x265_stream(&yuv, w, h, "medium", 22, &args).unwrap_or_else(|e| panic!("{e}"));
        let mine = ours(&s);
        assert_same(&mine, &ffmpeg_planes(&s, "yuv420p"), &format!("x265 {extra:?} vs ffmpeg"));
    }
}

/// CU QP deltas: x265 with CRF rate control and adaptive quantization.
#[test]
fn x265_cu_qp_delta() {
    let (yuv, w, h) = frames_of(&synth::row_scaled(256, 320, 8));
    let dir = tools::scratch_dir("x265");
    std::fs::write(dir.join("in.yuv"), &yuv).unwrap();
    let out = dir.join("o.hevc");
    tools::X265
        .run(&[
            "--input", &dir.join("in.yuv").to_string_lossy(), "--input-res", &format!("{w}x{h}"), "--fps", "1", "--preset", "medium", "--keyint", "1",
            "--crf", "24", "--aq-mode", "2", "--qg-size", "8", "--no-deblock", "--no-sao", "--log-level", "error", "-o", &out.to_string_lossy(),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
    let s = std::fs::read(&out).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    // the stream really uses cu_qp_delta
    let pps_nal = golden::decoder::bits::split_annexb(&s).into_iter().find(|n| (n[0] >> 1) & 0x3f == 34).unwrap();
    let rbsp = golden::decoder::bits::unescape(&pps_nal[2..]);
    let pps = golden::decoder::ps::parse_pps(&mut golden::decoder::bits::BitReader::new(&rbsp)).unwrap();
    assert!(pps.cu_qp_delta, "x265 did not enable cu_qp_delta");
    assert_same(&ours(&s), &ffmpeg_planes(&s, "yuv420p"), "x265 AQ/CRF vs ffmpeg");
}

#[test]
fn unsupported_tools_are_named() {
    let (yuv, w, h) = frames_of(&synth::gaussian(144, 144, 1));
    let expect = |extra: &[&str], tool: &str| {
        let s = x265_stream(&yuv, w, h, "medium", 27, extra).unwrap_or_else(|e| panic!("{e}"));
        match decoder::decode(&s) {
            Err(DecodeError::Unsupported(m)) => assert!(m.contains(tool), "{extra:?}: {m}"),
            other => panic!("{extra:?}: expected unsupported {tool}, got {:?}", other.map(|p| p.len())),
        }
    };
    expect(&["--no-sao"], "deblocking");
    expect(&["--no-deblock"], "SAO");
    expect(&["--no-deblock", "--no-sao", "--scaling-list", "default"], "scaling lists");
    expect(&["--no-deblock", "--no-sao", "--output-depth", "10"], "bit depth");
    // inter slices: a second frame predicted from the first
    let two: Vec<u8> = [yuv.clone(), yuv.clone()].concat();
    let dir = tools::scratch_dir("x265");
    std::fs::write(dir.join("in.yuv"), &two).unwrap();
    let s = tools::X265
        .run(&[
            "--input", &dir.join("in.yuv").to_string_lossy(), "--input-res", &format!("{w}x{h}"), "--fps", "1", "--preset", "ultrafast", "--keyint", "10",
            "--no-deblock", "--no-sao", "--log-level", "error", "-o", &dir.join("o.hevc").to_string_lossy(),
        ])
        .map(|_| std::fs::read(dir.join("o.hevc")).unwrap())
        .unwrap_or_else(|e| panic!("{e}"));
    match decoder::decode(&s) {
        Err(DecodeError::Unsupported(m)) => assert!(m.contains("inter"), "{m}"),
        other => panic!("expected unsupported inter, got {:?}", other.map(|p| p.len())),
    }
}

#[test]
fn tensor_round_trips() {
    let t = golden::sample::default_tensor();
    let dir = tools::scratch_dir("rt");
    for (qp, strategy) in [(0u8, StrategyKind::Hw), (22, StrategyKind::Rd), (32, StrategyKind::Hw)] {
        let mut p = Params::default();
        p.encoder.strategy = strategy;
        let r = pipeline::encode_tensor(&t, &p, RateTarget::Qp(qp)).unwrap();
        let back = pipeline::decode_container(&r.container).unwrap();
        assert_eq!(back.header.shape, t.shape);
        assert_eq!(back.q, r.q_recon, "decoded int8 equals the encoder's reconstruction");
        let (mse, maxe) = pipeline::float_errors(&t.data, &back.values);
        assert!((mse - r.metrics.mse_float).abs() <= 1e-12 + 1e-9 * mse, "MSE {mse} vs encoder's {}", r.metrics.mse_float);
        assert!((maxe - r.metrics.max_abs_err).abs() < 1e-12);
        if qp == 0 {
            // QP 0 without rotation loses nothing beyond the int8 step: the decoded int8
            // is within one level of RTN, so every value is within 1.5 steps
            for (i, (&a, &b)) in back.q.iter().zip(&r.prepared.quantized.q).enumerate() {
                assert!((a as i32 - b as i32).abs() <= 1, "int8 error > 1 at {i}");
            }
            for row in 0..384 {
                let s = r.header.scales[row] as f64;
                for c in 0..384 {
                    let e = (t.data[row * 384 + c] as f64 - back.values[row * 384 + c] as f64).abs();
                    assert!(e <= 1.5 * s * (1.0 + 1e-6), "row {row} col {c}: {e} > 1.5 steps");
                }
            }
        }
    }
    // N-D shape and f16 dtype restored exactly
    let mut t3 = synth::gaussian(24, 50, 4);
    t3.shape = vec![2, 12, 50];
    t3.dtype = golden::tensor::DType::F16;
    let r = pipeline::encode_tensor(&t3, &Params::default(), RateTarget::Qp(10)).unwrap();
    let back = pipeline::decode_container(&r.container).unwrap();
    assert_eq!(back.header.shape, vec![2, 12, 50]);
    assert_eq!(back.header.dtype, golden::tensor::DType::F16);
    let _ = std::fs::remove_dir_all(&dir);
}

fn must_not_panic(data: &[u8]) -> Result<Vec<decoder::Picture>, DecodeError> {
    match std::panic::catch_unwind(|| decoder::decode(data)) {
        Ok(r) => r,
        Err(_) => panic!("decoder panicked on {} bytes", data.len()),
    }
}

fn nal_starts(s: &[u8]) -> Vec<usize> {
    (0..s.len().saturating_sub(3)).filter(|&i| s[i..i + 4] == [0, 0, 0, 1]).collect()
}

#[test]
fn truncations_error_never_panic() {
    let t = synth::gaussian(200, 200, 9);
    let mut p = Params::default();
    p.encoder.strategy = StrategyKind::Hw;
    p.bitstream.wpp = true;
    p.bitstream.ctus_per_slice = 20;
    let r = pipeline::encode_tensor(&t, &p, RateTarget::Qp(20)).unwrap();
    let s = &r.encoded.annexb;
    // at every NAL boundary: all slices of the picture are needed
    for &b in &nal_starts(s)[1..] {
        assert!(must_not_panic(&s[..b]).is_err(), "truncated at NAL boundary {b} decoded");
    }
    // mid-slice: every byte of the first 2 KB of slice data, then every 7th (a prime
    // stride, so the cuts fall at every phase of the CTUs); every byte with TCGEN_LONG=1
    // (each cut decodes up to itself: CI time); the cuts shared between threads
    let first = nal_starts(s)[3] + 8;
    let long = std::env::var_os("TCGEN_LONG").is_some();
    let cuts: Vec<usize> = (first..s.len()).filter(|&c| long || c < first + 2048 || (c - first) % 7 == 0).collect();
    let n = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    std::thread::scope(|sc| {
        for i in 0..n {
            let cuts = &cuts;
            sc.spawn(move || {
                for &cut in cuts.iter().skip(i).step_by(n) {
                    assert!(must_not_panic(&s[..cut]).is_err(), "truncated at {cut} decoded");
                }
            });
        }
    });
    assert!(matches!(must_not_panic(&[]), Err(DecodeError::Empty)));
    // container: every truncation errors (header bytes all, the stream as above)
    let hdr = r.container.len() - s.len();
    for cut in (0..r.container.len()).filter(|&c| long || c < hdr + 2048 || c % 7 == 0) {
        assert!(pipeline::decode_container(&r.container[..cut]).is_err(), "container cut at {cut}");
    }
}

#[test]
fn bit_flips_never_panic() {
    let t = synth::laplacian(160, 160, 3);
    for strategy in [StrategyKind::Hw, StrategyKind::Rd] {
        let mut p = Params::default();
        p.encoder.strategy = strategy;
        p.bitstream.wpp = strategy == StrategyKind::Hw;
        let r = pipeline::encode_tensor(&t, &p, RateTarget::Qp(25)).unwrap();
        let s = r.encoded.annexb.clone();
        let mut rng = golden::tensor::synth::SplitMix64::new(42);
        // 1000 corruptions per strategy by default, 3000 with TCGEN_LONG=1 (CI time)
        let n = if std::env::var_os("TCGEN_LONG").is_some() { 3000 } else { 1000 };
        for _ in 0..n {
            let mut m = s.clone();
            let flips = 1 + (rng.next_u64() % 4) as usize;
            for _ in 0..flips {
                let i = (rng.next_u64() as usize) % m.len();
                m[i] ^= 1 << (rng.next_u64() % 8);
            }
            let _ = must_not_panic(&m);
            let mut c = r.container.clone();
            let i = (rng.next_u64() as usize) % c.len();
            c[i] ^= 1 << (rng.next_u64() % 8);
            let _ = std::panic::catch_unwind(|| pipeline::decode_container(&c)).expect("container decode panicked");
        }
    }
}

#[test]
fn hostile_headers() {
    // a huge declared picture size is refused before any allocation
    let mut p = Params::default();
    p.encoder.strategy = StrategyKind::Hw;
    let r = pipeline::encode_tensor(&synth::gaussian(144, 144, 1), &p, RateTarget::Qp(30)).unwrap();
    let mut b = golden::bitstream::BitWriter::new();
    // SPS with 65535 x 65535
    b.put(0, 4);
    b.put(0, 3);
    b.flag(true);
    b.put(0, 32);
    b.put(0, 32);
    b.put(0, 32);
    b.ue(0);
    b.ue(1);
    b.ue(65535);
    b.ue(65535);
    b.trailing_bits();
    let mut s = Vec::new();
    golden::bitstream::push_nal(&mut s, 33, &b.into_bytes());
    assert!(matches!(must_not_panic(&s), Err(DecodeError::Invalid(m)) if m.contains("pic_width")));
    // random garbage and all-zero / all-ones data
    let mut rng = golden::tensor::synth::SplitMix64::new(7);
    for len in [1usize, 2, 5, 100, 4096] {
        let g: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        let _ = must_not_panic(&g);
        let _ = must_not_panic(&vec![0u8; len]);
        let _ = must_not_panic(&vec![0xffu8; len]);
        let mut sc = vec![0, 0, 1];
        sc.extend_from_slice(&g);
        let _ = must_not_panic(&sc);
    }
    // container with a wrong magic, and one whose shape disagrees with its layout
    let mut c = r.container.clone();
    c[0] = b'X';
    assert!(pipeline::decode_container(&c).unwrap_err().to_string().to_lowercase().contains("magic"));
    let (mut h, stream) = golden::container::read(&r.container).unwrap();
    h.shape = vec![145, 144];
    let bad = golden::container::write(&h, stream);
    assert!(pipeline::decode_container(&bad).is_err());
}

/// Every input that once crashed a fuzz target must now decode or error cleanly.
#[test]
fn fuzz_regressions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut n = 0;
    for target in ["decode_hevc", "decode_t265"] {
        let Ok(rd) = std::fs::read_dir(root.join(target)) else { continue };
        for e in rd.flatten() {
            let data = std::fs::read(e.path()).unwrap();
            if target == "decode_hevc" {
                let _ = must_not_panic(&data);
            } else {
                let _ = std::panic::catch_unwind(|| pipeline::decode_container(&data)).unwrap_or_else(|_| panic!("{} panics", e.path().display()));
            }
            n += 1;
        }
    }
    eprintln!("{n} fuzz regression inputs replayed");
}

/// The trace the RTL syntax decoder is checked against: same pictures as `decode`,
/// luma blocks tile each picture exactly once, levels only where cbf, and `slices`
/// lists every slice segment with its header.
#[test]
fn traced_decoding_and_slice_listing() {
    let t = synth::row_scaled(300, 420, 3);
    for (c, slices_per_pic) in [("", 1usize), ("[bitstream]\nctus_per_slice = 6\n", 0)] {
        let p = Params::from_toml_str(c).unwrap();
        let r = pipeline::encode_tensor(&t, &p, RateTarget::Qp(22)).unwrap();
        let pics = decoder::decode(&r.encoded.annexb).unwrap();
        let tr = decoder::decode_traced(&r.encoded.annexb).unwrap();
        let (tp, trace) = (tr.pictures, tr.records);
        assert_eq!(pics, tp);
        // bins: at least one per transform block's cbf and one end_of_slice flag per CTB
        assert!(tr.bins as usize > trace.len(), "{} bins", tr.bins);
        let sl = decoder::slices(&r.encoded.annexb).unwrap();
        let npics = sl.last().unwrap().picture as usize + 1;
        assert_eq!(npics, pics.len());
        if slices_per_pic == 1 {
            assert_eq!(sl.len(), pics.len());
        } else {
            assert!(sl.len() > pics.len(), "{} slices for {} pictures", sl.len(), pics.len());
        }
        for (i, pic) in pics.iter().enumerate() {
            let (w, h) = (sl[0].sps.width, sl[0].sps.height);
            let mut cover = vec![0u8; w * h];
            for rec in trace.iter().filter(|r| r.picture as usize == i && r.c_idx == 0) {
                let n = 1usize << rec.log2;
                for y in rec.y as usize..rec.y as usize + n {
                    for x in rec.x as usize..rec.x as usize + n {
                        cover[y * w + x] += 1;
                    }
                }
                assert_eq!(rec.cbf, !rec.levels.is_empty());
                assert!(rec.levels.iter().all(|&(pos, l)| (pos as usize) < n * n && l != 0));
            }
            assert!(cover.iter().all(|&c| c == 1), "picture {i}: luma blocks do not tile it ({}x{})", pic.width, pic.height);
        }
    }
}
