//! yosys synthesizes every block (`synth -top NAME; stat`), mapped onto ASAP7 when
//! ../shared/asap7 is present, at a small transform configuration (P = 1, TU up to 4;
//! the default configuration takes tens of minutes: `tcgen synth`).
//! Needs yosys (`bash scripts/setup.sh`).

use std::path::Path;

#[test]
fn yosys_synthesizes_every_block() {
    hw::common::tool("yosys").unwrap_or_else(|e| panic!("{e}"));
    let mut p = golden::Params::default();
    p.rtl.samples_per_cycle = 1;
    p.bitstream.max_tu_size = 4;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hw-synth");
    let lib = hw::yosys::asap7_liberty(&dir);
    if lib.is_none() {
        eprintln!("../shared/asap7 absent: generic synthesis only (no area)");
    }
    for m in hw::all_blocks(&p).unwrap() {
        // cached per (Verilog, liberty, yosys version): area_energy's calibration test
        // reads the same results
        let r = hw::yosys::synth_cached(&m.name, &m.verilog, lib.as_deref(), &dir.join(&m.name), &dir.join("../tcgen-synth/cache")).unwrap();
        eprintln!("{r:?}");
        assert!(r.generic_cells > 500, "{}: suspiciously small netlist ({} cells)", m.name, r.generic_cells);
        if lib.is_some() {
            let a = r.area_um2.expect("area from stat -liberty");
            assert!(a > 0.0 && r.flops.unwrap() > 0, "{r:?}");
        }
    }
}

/// The decoder core (syntax decoder with its residual parser, reconstruction,
/// inv_tq, intra_pred) in its smallest configuration (CTU 16, TU up to 4, one residual
/// lane, 256-sample lines; about 2 minutes): yosys synthesizes the whole core, its
/// memories stay `tcgen_ram` black boxes (SRAM macros, sized by
/// `hw::memories`).
#[test]
fn yosys_synthesizes_the_decoder_core() {
    hw::common::tool("yosys").unwrap_or_else(|e| panic!("{e}"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hw-synth");
    let lib = hw::yosys::asap7_liberty(&dir);
    let mut p = golden::Params::default();
    p.bitstream.ctu_size = 16;
    p.bitstream.max_tu_size = 4;
    p.rtl.samples_per_cycle = 1;
    p.tiling.max_frame_width = 256;
    let m = hw::block("dec_core", &p).unwrap();
    let r = hw::yosys::synth_cached(&m.name, &m.verilog, lib.as_deref(), &dir.join(&m.name), &dir.join("../tcgen-synth/cache")).unwrap();
    eprintln!("{r:?}");
    let mems = hw::memories("dec_core", &p).unwrap();
    assert_eq!(mems.len(), 4, "two CTU-row banks, the coefficient memory, the WPP context storage: {mems:?}");
    assert_eq!(r.generic_by_type.get("tcgen_ram"), Some(&4), "the core's memories are black boxes: {:?}", r.generic_by_type);
    assert!(r.generic_cells > 10000, "dec_core: suspiciously small netlist ({} cells)", r.generic_cells);
    assert_eq!(mems[0].1 * mems[0].2 as u64, 16 * 256 * 8, "a bank: 16 lines of 256 samples");
}
