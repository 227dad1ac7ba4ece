//! yosys synthesizes every block (`synth -top NAME; stat`), mapped onto ASAP7 when
//! ../shared/asap7 is present, at a small transform configuration (P = 1, TU up to 8,
//! the one area_energy's calibration and gate-level tests and the CLI's report test
//! use, so that they share the syntheses through the cache; the default configuration
//! takes tens of minutes: `tcgen synth`).
//! Needs yosys (`bash scripts/setup.sh`).

use std::path::Path;

#[test]
fn yosys_synthesizes_every_block() {
    hw::common::tool("yosys").unwrap_or_else(|e| panic!("{e}"));
    let mut p = golden::Params::default();
    p.rtl.samples_per_cycle = 1;
    p.bitstream.max_tu_size = 8;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hw-synth");
    let lib = hw::yosys::asap7_liberty(&dir);
    if lib.is_none() {
        eprintln!("../shared/asap7 absent: generic synthesis only (no area)");
    }
    for m in hw::all_blocks(&p).unwrap() {
        // cached per (Verilog, liberty, yosys version): area_energy's calibration test
        // reads the same results (and its gate-level test the generic netlists)
        let r = hw::yosys::synth_cached_keeping_gates(&m.name, &m.verilog, lib.as_deref(), &dir.join(&m.name), &dir.join("../tcgen-synth/cache")).unwrap();
        eprintln!("{r:?}");
        assert!(r.generic_cells > 500, "{}: suspiciously small netlist ({} cells)", m.name, r.generic_cells);
        if lib.is_some() {
            let a = r.area_um2.expect("area from stat -liberty");
            assert!(a > 0.0 && r.flops.unwrap() > 0, "{r:?}");
        }
    }
}

/// ABC's static timing of the mapped logic (`tcgen synth --timing`) on two small
/// blocks: a path through the CABAC engine's decision (table lookup, subtract, compare,
/// renormalization) and through the dequantizer's multiply and shift.
#[test]
fn critical_path_estimates_on_asap7() {
    hw::common::tool("yosys").unwrap_or_else(|e| panic!("{e}"));
    let p = golden::Params::default();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hw-timing");
    let Some(lib) = hw::yosys::asap7_liberty(&dir) else {
        eprintln!("../shared/asap7 absent: no liberty, no timing (the estimate needs its delay tables)");
        return;
    };
    for name in ["cabac_dec", "dequant"] {
        let m = hw::block(name, &p).unwrap();
        let t = hw::yosys::timing_cached(&m.name, &m.verilog, &lib, &dir.join(name), &dir.join("../tcgen-synth/cache"), 1000.0).unwrap();
        eprintln!("{name}: {t:?}, at most {:.0} MHz", t.fmax_mhz());
        // tens of ASAP7 cells of 5..100 ps each
        assert!(t.cells >= 8 && t.delay_ps > 100.0 && t.delay_ps < 5000.0, "{name}: implausible critical path {t:?}");
    }
}

// the slice-data writer (it holds the binarizer `res_enc`, flattened with it; about a
// minute) in one test and the SATD unit, sign hiding and the control in another, so
// that the test harness runs them side by side (`res_enc` alone: `tcgen synth --block
// res_enc`; the whole core: TCGEN_LONG=1, below)
#[test]
// named to sort before the other encoder blocks' tests (libtest starts tests in name
// order): the longest here, it would otherwise start last and run alone
fn encoder_slice_data_writer_synthesizes() {
    encoder_blocks(&["syn_enc"]);
}

#[test]
fn yosys_synthesizes_the_search_blocks() {
    encoder_blocks(&["satd", "sdh", "search"]);
}

/// Encoder blocks at CTU 16, TU up to 8, CUs of 8, one lane.
fn encoder_blocks(names: &[&str]) {
    hw::common::tool("yosys").unwrap_or_else(|e| panic!("{e}"));
    let mut p = golden::Params::default();
    p.rtl.samples_per_cycle = 1;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hw-synth");
    let lib = hw::yosys::asap7_liberty(&dir);
    p.bitstream.ctu_size = 16;
    p.bitstream.max_tu_size = 8;
    p.encoder.hw.cu_size = 8;
    for &name in names {
        let m = hw::block(name, &p).unwrap();
        let r = hw::yosys::synth_cached(&m.name, &m.verilog, lib.as_deref(), &dir.join(&m.name), &dir.join("../tcgen-synth/cache")).unwrap();
        eprintln!("{r:?}");
        assert!(r.generic_cells > 500, "{name}: suspiciously small netlist ({} cells)", r.generic_cells);
        if lib.is_some() {
            assert!(r.area_um2.expect("area from stat -liberty") > 0.0 && r.flops.unwrap() > 0, "{r:?}");
        }
    }
}

/// The encoder core's small configuration: CTU 16, CUs of 8, TU up to 8, one lane,
/// pictures up to 256 wide.
fn small_encoder_core() -> golden::Params {
    let mut p = golden::Params::default();
    p.rtl.samples_per_cycle = 1;
    p.bitstream.ctu_size = 16;
    p.bitstream.max_tu_size = 8;
    p.encoder.hw.cu_size = 8;
    p.tiling.max_frame_width = 256;
    p
}

/// The whole encoder core (every block flattened, about 130,000 generic cells at CTU
/// 16, TU 8, one lane; about 7 minutes of yosys and ABC): with TCGEN_LONG=1.
#[test]
fn yosys_synthesizes_the_encoder_core() {
    if std::env::var_os("TCGEN_LONG").is_none() {
        eprintln!("skipped: the encoder core's synthesis takes about 7 minutes; TCGEN_LONG=1 runs it");
        return;
    }
    hw::common::tool("yosys").unwrap_or_else(|e| panic!("{e}"));
    let p = small_encoder_core();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hw-synth");
    let lib = hw::yosys::asap7_liberty(&dir);
    let m = hw::block("enc_core", &p).unwrap();
    let r = hw::yosys::synth_cached(&m.name, &m.verilog, lib.as_deref(), &dir.join(&m.name), &dir.join("../tcgen-synth/cache")).unwrap();
    eprintln!("{r:?}");
    assert!(r.generic_cells > 50_000, "enc_core: suspiciously small netlist ({} cells)", r.generic_cells);
    if lib.is_some() {
        assert!(r.area_um2.expect("area from stat -liberty") > 0.0 && r.flops.unwrap() > 0, "{r:?}");
    }
}

/// The whole encoder core in yosys, in seconds (the same configuration): it
/// elaborates, and its memories are `tcgen_ram` black boxes, one per memory the area
/// model costs as SRAM (`hw::memories`).
#[test]
fn yosys_elaborates_the_encoder_core() {
    hw::common::tool("yosys").unwrap_or_else(|e| panic!("{e}"));
    let p = small_encoder_core();
    let m = hw::block("enc_core", &p).unwrap();
    let cells = hw::yosys::elaborate(&m.name, &m.verilog, &Path::new(env!("CARGO_TARGET_TMPDIR")).join("hw-elab/enc_core")).unwrap();
    let mems = hw::memories("enc_core", &p).unwrap();
    assert_eq!(cells.get("tcgen_ram").copied(), Some(mems.len() as u64), "one black box per memory {mems:?}: {cells:?}");
    assert!(cells.values().sum::<u64>() > 5000, "enc_core: suspiciously small design: {cells:?}");
}

// The decoder core is elaborated (and with TCGEN_LONG=1 synthesized whole, about 3
// minutes) in area_energy/tests/area_energy/area_calibration.rs, where its area is also costed.
