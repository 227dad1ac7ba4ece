//! Every generated module, at every supported transform configuration, passes
//! `verilator --lint-only -Wall` with zero warnings; unsupported configurations are
//! refused with a reason. Needs verilator (`bash scripts/setup.sh`).

use std::path::{Path, PathBuf};
use std::process::Command;

fn tool(name: &str) -> PathBuf {
    hw::common::tool(name).unwrap_or_else(|e| panic!("{e}"))
}

fn params(lanes: u32, nm: u32) -> golden::Params {
    let mut p = golden::Params::default();
    p.rtl.samples_per_cycle = lanes;
    p.bitstream.max_tu_size = nm;
    p
}

#[test]
fn every_block_every_config_lints_clean() {
    let verilator = tool("verilator");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hw-lint");
    std::fs::create_dir_all(&dir).unwrap();
    let mut n = 0;
    for lanes in [1, 2, 4] {
        for nm in [4, 8, 16, 32] {
            for m in hw::all_blocks(&params(lanes, nm)).unwrap() {
                let d = dir.join(format!("p{lanes}-n{nm}"));
                std::fs::create_dir_all(&d).unwrap();
                let f = d.join(format!("{}.v", m.name));
                std::fs::write(&f, &m.verilog).unwrap();
                let out = Command::new(&verilator).args(["--lint-only", "-Wall", "--top-module", &m.name]).arg(&f).output().unwrap();
                let err = String::from_utf8_lossy(&out.stderr);
                assert!(out.status.success() && err.trim().is_empty(), "{} (P={lanes}, max TU {nm}):\n{err}", m.name);
                n += 1;
            }
        }
    }
    eprintln!("{n} generated modules lint clean with -Wall");
}

#[test]
fn module_names_and_files_match() {
    for m in hw::all_blocks(&golden::Params::default()).unwrap() {
        assert!(m.verilog.contains(&format!("module {}(", m.name)), "{}", m.name);
        assert!(!m.verilog.contains("module top("), "{}", m.name);
    }
}

#[test]
fn unsupported_transform_configs_are_refused() {
    let e = hw::block("fwd_tq", &params(8, 32)).unwrap_err();
    assert!(e.contains("samples_per_cycle = 8"), "{e}");
    let e = hw::block("nope", &golden::Params::default()).unwrap_err();
    assert!(e.contains("unknown block") && e.contains("fwd_tq"), "{e}");
}

#[test]
fn syn_dec_lints_clean_at_every_ctu_size() {
    let verilator = tool("verilator");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hw-lint-syn");
    std::fs::create_dir_all(&dir).unwrap();
    for ctu in [16, 32, 64] {
        let mut p = golden::Params::default();
        p.bitstream.ctu_size = ctu;
        let m = hw::block("syn_dec", &p).unwrap();
        let d = dir.join(format!("ctu{ctu}"));
        std::fs::create_dir_all(&d).unwrap();
        let f = d.join("syn_dec.v");
        std::fs::write(&f, &m.verilog).unwrap();
        let out = Command::new(&verilator).args(["--lint-only", "-Wall", "--top-module", "syn_dec"]).arg(&f).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && err.trim().is_empty(), "syn_dec (CTU {ctu}):\n{err}");
    }
}

#[test]
fn decoder_core_lints_clean_in_several_configs() {
    let verilator = tool("verilator");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hw-lint-core");
    // (CTU, max TU, lanes, max width): the default, the small test config, the extremes
    for (ctu, nm, lanes, w) in [(32, 32, 4, 8192), (16, 8, 1, 1024), (64, 32, 2, 4096), (16, 16, 4, 64), (32, 4, 4, 256)] {
        let mut p = golden::Params::default();
        p.bitstream.ctu_size = ctu;
        p.bitstream.max_tu_size = nm;
        p.rtl.samples_per_cycle = lanes;
        p.tiling.max_frame_width = w;
        for name in ["recon", "dec_core"] {
            let m = hw::block(name, &p).unwrap();
            let d = dir.join(format!("ctu{ctu}-n{nm}-p{lanes}-w{w}"));
            std::fs::create_dir_all(&d).unwrap();
            let f = d.join(format!("{name}.v"));
            std::fs::write(&f, &m.verilog).unwrap();
            let out = Command::new(&verilator).args(["--lint-only", "-Wall", "--top-module", name]).arg(&f).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success() && err.trim().is_empty(), "{name} (CTU {ctu}, max TU {nm}, P {lanes}, width {w}):\n{err}");
        }
    }
}

#[test]
fn encoder_blocks_lint_clean_every_config() {
    let verilator = tool("verilator");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hw-lint-enc");
    for lanes in [1, 2, 4] {
        for nm in [4, 8, 16, 32] {
            // satd takes 4 samples per cycle whatever the lanes
            let names: &[&str] = if lanes == 4 { &["res_enc", "sdh", "satd"] } else { &["res_enc", "sdh"] };
            for name in names {
                let m = hw::block(name, &params(lanes, nm)).unwrap();
                let d = dir.join(format!("p{lanes}-n{nm}"));
                std::fs::create_dir_all(&d).unwrap();
                let f = d.join(format!("{name}.v"));
                std::fs::write(&f, &m.verilog).unwrap();
                let out = Command::new(&verilator).args(["--lint-only", "-Wall", "--top-module", name]).arg(&f).output().unwrap();
                let err = String::from_utf8_lossy(&out.stderr);
                assert!(out.status.success() && err.trim().is_empty(), "{name} (P={lanes}, max TU {nm}):\n{err}");
            }
        }
    }
    // the slice-data writer: (CTU, max TU, lanes)
    for (ctu, nm, lanes) in [(32, 32, 4), (16, 8, 1), (64, 32, 2), (16, 16, 4), (64, 8, 1)] {
        let mut p = params(lanes, nm);
        p.bitstream.ctu_size = ctu;
        let m = hw::block("syn_enc", &p).unwrap();
        let d = dir.join(format!("syn-ctu{ctu}-n{nm}-p{lanes}"));
        std::fs::create_dir_all(&d).unwrap();
        let f = d.join("syn_enc.v");
        std::fs::write(&f, &m.verilog).unwrap();
        let out = Command::new(&verilator).args(["--lint-only", "-Wall", "--top-module", "syn_enc"]).arg(&f).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && err.trim().is_empty(), "syn_enc (CTU {ctu}, max TU {nm}, P {lanes}):\n{err}");
    }
}

#[test]
fn encoder_core_lints_clean_in_several_configs_and_refuses_others() {
    let verilator = tool("verilator");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hw-lint-enc-core");
    // (CTU, max TU, lanes, CU size, modes, entropy engines): the default, the small test
    // config, the wide one with every mode, and two more
    let all: Vec<u8> = (0..35).collect();
    for (ctu, nm, lanes, cu, modes, k) in [
        (32, 32, 4, 16, vec![0, 1, 10, 26], 1),
        (16, 8, 1, 8, vec![0, 1, 10, 26], 2),
        (64, 32, 2, 32, all, 1),
        (16, 16, 4, 16, vec![1], 4),
        (32, 8, 2, 8, vec![26, 10, 2, 18, 34], 3),
    ] {
        let mut p = params(lanes, nm);
        p.bitstream.ctu_size = ctu;
        p.encoder.hw.cu_size = cu;
        p.encoder.hw.modes = modes;
        p.rtl.cabac_engines = k;
        for name in ["search", "enc_core"] {
            let m = hw::block(name, &p).unwrap();
            let d = dir.join(format!("ctu{ctu}-n{nm}-p{lanes}-cu{cu}-k{k}"));
            std::fs::create_dir_all(&d).unwrap();
            let f = d.join(format!("{name}.v"));
            std::fs::write(&f, &m.verilog).unwrap();
            let out = Command::new(&verilator).args(["--lint-only", "-Wall", "--top-module", name]).arg(&f).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success() && err.trim().is_empty(), "{name} (CTU {ctu}, max TU {nm}, P {lanes}, CU {cu}, {k} engines):\n{err}");
            // Verilator accepts a zero-width constant that yosys refuses
            let zero_width = m.verilog.match_indices("0'").any(|(i, _)| i == 0 || !m.verilog.as_bytes()[i - 1].is_ascii_digit());
            assert!(!zero_width, "{name}: a zero-width constant");
        }
    }
    // CUs larger than the largest TU (the core codes one TU per CU)
    let mut p = params(4, 8);
    p.encoder.hw.cu_size = 16;
    let e = hw::block("enc_core", &p).unwrap_err();
    assert!(e.contains("cu_size = 16") && e.contains("max_tu_size"), "{e}");
    assert!(hw::all_modules(&p).unwrap().iter().all(|m| m.name != "enc_core" && m.name != "search"));
    let mut p = golden::Params::default();
    p.rtl.cabac_engines = 5;
    let e = hw::block("enc_core", &p).unwrap_err();
    assert!(e.contains("cabac_engines = 5"), "{e}");
    // several cores: one engine each, 2..=4 of them
    p.rtl.cabac_engines = 2;
    p.rtl.encoder_cores = 2;
    let e = hw::block("enc_multi", &p).unwrap_err();
    assert!(e.contains("one entropy engine each"), "{e}");
    p.rtl.cabac_engines = 1;
    p.rtl.encoder_cores = 1;
    let e = hw::block("enc_multi", &p).unwrap_err();
    assert!(e.contains("encoder_cores = 1"), "{e}");
}

#[test]
fn several_encoder_cores_lint_clean() {
    let verilator = tool("verilator");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hw-lint-enc-multi");
    // (CTU, max TU, lanes, CU size, cores, one CTU row per slice: no line buffers)
    for (ctu, nm, lanes, cu, k, rows1) in [(16, 8, 1, 8, 2, false), (32, 16, 2, 16, 3, false), (32, 32, 4, 16, 4, false), (16, 8, 1, 8, 3, true)] {
        let mut p = params(lanes, nm);
        p.bitstream.ctu_size = ctu;
        p.bitstream.slice_rows = rows1 as u32;
        p.encoder.hw.cu_size = cu;
        p.rtl.encoder_cores = k;
        let m = hw::block("enc_multi", &p).unwrap();
        assert!(hw::all_modules(&p).unwrap().iter().any(|m| m.name == "enc_multi"));
        assert_eq!(m.verilog.contains(" u_lb ("), !rows1, "a line buffer only without one-row slices");
        let per_core = hw::memories("enc_core", &p).unwrap().len() - rows1 as usize;
        assert_eq!(hw::memories("enc_multi", &p).unwrap().len(), k as usize * per_core);
        let d = dir.join(format!("ctu{ctu}-n{nm}-p{lanes}-cu{cu}-k{k}-r{}", rows1 as u8));
        std::fs::create_dir_all(&d).unwrap();
        let f = d.join("enc_multi.v");
        std::fs::write(&f, &m.verilog).unwrap();
        let out = Command::new(&verilator).args(["--lint-only", "-Wall", "--top-module", "enc_multi"]).arg(&f).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && err.trim().is_empty(), "enc_multi (CTU {ctu}, max TU {nm}, P {lanes}, CU {cu}, {k} cores):\n{err}");
    }
}

#[test]
fn several_decoder_cores_lint_clean() {
    let verilator = tool("verilator");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hw-lint-dec-multi");
    // (CTU, max TU, lanes, cores, shared backend, one CTU row per slice: no line buffer)
    let set = [
        (16, 4, 1, 2, false, false),
        (32, 32, 4, 3, false, false),
        (64, 16, 2, 4, false, false),
        (16, 8, 1, 2, true, false),
        (32, 32, 4, 3, true, true),
        (64, 16, 2, 4, true, false),
        (16, 8, 1, 3, false, true),
    ];
    for (ctu, nm, lanes, k, shared, rows1) in set {
        let mut p = params(lanes, nm);
        p.bitstream.ctu_size = ctu;
        p.bitstream.slice_rows = rows1 as u32;
        p.rtl.decoder_cores = k;
        p.rtl.decoder_shared_backend = shared;
        let m = hw::block("dec_multi", &p).unwrap();
        assert!(hw::all_modules(&p).unwrap().iter().any(|m| m.name == "dec_multi"));
        let per_core = hw::memories("dec_core", &p).unwrap().len() - rows1 as usize;
        assert_eq!(hw::memories("dec_multi", &p).unwrap().len(), k as usize * per_core);
        assert_eq!(m.verilog.contains(" u_lb ("), !rows1, "a line buffer only without one-row slices");
        let d = dir.join(format!("ctu{ctu}-n{nm}-p{lanes}-k{k}-s{}-r{}", shared as u8, rows1 as u8));
        std::fs::create_dir_all(&d).unwrap();
        let f = d.join("dec_multi.v");
        std::fs::write(&f, &m.verilog).unwrap();
        let out = Command::new(&verilator).args(["--lint-only", "-Wall", "--top-module", "dec_multi"]).arg(&f).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && err.trim().is_empty(), "dec_multi (CTU {ctu}, max TU {nm}, P {lanes}, {k} cores, shared backend {shared}, one-row slices {rows1}):\n{err}");
        // zero-width constants pass Verilator's lint but yosys refuses them
        let zero_width = m.verilog.match_indices("0'").any(|(i, _)| i == 0 || !m.verilog.as_bytes()[i - 1].is_ascii_digit());
        assert!(!zero_width, "dec_multi: a zero-width constant");
    }
    let mut p = golden::Params::default();
    p.rtl.decoder_cores = 5;
    let e = hw::block("dec_multi", &p).unwrap_err();
    assert!(e.contains("decoder_cores = 5"), "{e}");
}
