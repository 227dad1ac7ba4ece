//! The NAND2 path against the ASAP7-mapped area of every block (within 15%), at the
//! configuration CI synthesizes (P=1, TU 8: minutes, where the default config takes an
//! hour; the CLI's report test and gate_activity.rs take these syntheses from the
//! shared cache); the decoder core elaborated (and with TCGEN_LONG=1 synthesized
//! whole). Needs yosys (`bash scripts/setup.sh`); the ASAP7 liberty comes from
//! ../shared/asap7 (the check is skipped, loudly, without it).

use area_energy::area::{block_area, node};
use std::path::Path;

// the blocks in two halves of about equal synthesis time (yosys and ABC on a cold
// cache, `tcgen synth` on this VM 2026-12-07: fwd_tq 34 s, intra_pred 21 s; inv_tq
// 26 s, res_dec 12 s, cabac_enc 3 s, dequant and cabac_dec 2 s each), so that the test
// harness synthesizes them side by side
#[test]
fn nand2_path_within_15_percent_of_asap7_forward_transform_and_prediction() {
    check(&["fwd_tq", "intra_pred"]);
}

#[test]
fn nand2_path_within_15_percent_of_asap7_inverse_transform_parser_and_cabac() {
    check(&["inv_tq", "res_dec", "cabac_enc", "dequant", "cabac_dec"]);
}

#[test]
fn the_halves_cover_every_block() {
    let mut all: Vec<&str> = ["fwd_tq", "intra_pred", "inv_tq", "res_dec", "cabac_enc", "dequant", "cabac_dec"].to_vec();
    all.sort();
    let mut b = hw::BLOCKS.to_vec();
    b.sort();
    assert_eq!(all, b, "a block was added: put it in one of the halves");
}

/// The decoder core's smallest configuration (CTU 16, TU up to 4, one residual lane,
/// 256-sample lines).
fn small_decoder_core() -> (golden::Params, hw::GeneratedModule) {
    let mut p = golden::Params::default();
    p.bitstream.ctu_size = 16;
    p.bitstream.max_tu_size = 4;
    p.rtl.samples_per_cycle = 1;
    p.tiling.max_frame_width = 256;
    let m = hw::block("dec_core", &p).unwrap();
    (p, m)
}

/// The decoder core (syntax decoder with its residual parser, reconstruction, inv_tq,
/// intra_pred) in yosys, in seconds: it elaborates, its memories are `tcgen_ram` black
/// boxes, one per memory the area model costs as SRAM (`hw::memories`). The whole
/// core's synthesis is the next test.
#[test]
fn decoder_core_elaborates_with_memories_as_black_boxes() {
    hw::common::tool("yosys").unwrap_or_else(|e| panic!("{e}"));
    let (p, m) = small_decoder_core();
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
    let cells = hw::yosys::elaborate(&m.name, &m.verilog, &target.join("tmp/ae-elab").join(&m.name)).unwrap();
    let mems = hw::memories("dec_core", &p).unwrap();
    assert_eq!(mems.len(), 6, "two CTU banks, the line buffer, the coefficient memory, the WPP context storage, syn_dec's depth line buffer: {mems:?}");
    assert_eq!(cells.get("tcgen_ram"), Some(&6), "the core's memories are black boxes: {cells:?}");
    assert_eq!(mems[0].1 * mems[0].2 as u64, 16 * 16 * 8, "a CTU bank: 16 lines of 16 samples");
    assert_eq!(mems[2].1 * mems[2].2 as u64, 256 * 8, "a line buffer: 256 samples");
    assert!(cells.values().sum::<u64>() > 1000, "dec_core: suspiciously small design: {cells:?}");
}

/// The same decoder core synthesized whole (about 3 minutes of yosys and ABC, so with
/// TCGEN_LONG=1): its logic mapped, its memories costed as SRAM beside it.
#[test]
fn decoder_core_synthesizes_with_memories_as_sram() {
    if std::env::var_os("TCGEN_LONG").is_none() {
        eprintln!("skipped: the decoder core's synthesis takes about 3 minutes; TCGEN_LONG=1 runs it (the test above elaborates it)");
        return;
    }
    hw::common::tool("yosys").unwrap_or_else(|e| panic!("{e}"));
    let (p, m) = small_decoder_core();
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
    let lib = hw::yosys::asap7_liberty(&target.join("tmp/hw-synth"));
    let s = hw::yosys::synth_cached(&m.name, &m.verilog, lib.as_deref(), &target.join("tmp/ae-synth").join(&m.name), &target.join("tmp/tcgen-synth/cache")).unwrap();
    let mems = hw::memories("dec_core", &p).unwrap();
    assert_eq!(s.generic_by_type.get("tcgen_ram"), Some(&6), "the core's memories are black boxes: {:?}", s.generic_by_type);
    assert!(s.generic_cells > 10000, "dec_core: suspiciously small netlist ({} cells)", s.generic_cells);
    let a = block_area(&m.name, &s.generic_by_type, s.area_um2, s.flops, mems.into_iter().map(|(name, words, width)| area_energy::area::Memory { name, words, width }).collect(), &node("asap7").unwrap()).unwrap();
    let mem_um2 = a.memory_um2;
    eprintln!(
        "dec_core (CTU 16, TU 4, P 1, 256 wide): {} generic cells, {:?} flops, logic {:.1} um2 (mapped {:?}), memories {} bits = {mem_um2:.1} um2, total {:.1} um2",
        s.generic_cells,
        s.flops,
        a.nand2_path_um2,
        s.area_um2,
        a.memories.iter().map(|m| m.bits()).sum::<u64>(),
        a.cell_um2
    );
    assert!(mem_um2 > 0.0 && a.cell_um2 > mem_um2);
}

fn check(blocks: &[&str]) {
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
    let Some(lib) = hw::yosys::asap7_liberty(&target.join("tmp/hw-synth")) else {
        eprintln!("SKIPPED: ../shared/asap7 absent, no liberty to calibrate against");
        return;
    };
    let mut p = golden::Params::default();
    p.rtl.samples_per_cycle = 1;
    p.bitstream.max_tu_size = 8;
    let asap7 = node("asap7").unwrap();
    let mut worst: f64 = 0.0;
    for m in blocks.iter().map(|b| hw::block(b, &p).unwrap()) {
        // the generic netlists stay in the cache for gate_activity.rs
        let s = hw::yosys::synth_cached_keeping_gates(
            &m.name,
            &m.verilog,
            Some(&lib),
            &target.join("tmp/ae-synth").join(&m.name),
            &target.join("tmp/tcgen-synth/cache"),
        )
        .unwrap();
        let a = block_area(
            &m.name,
            &s.generic_by_type,
            s.area_um2,
            s.flops,
            vec![],
            &asap7,
        )
        .unwrap();
        let err = a.nand2_path_error.unwrap();
        eprintln!(
            "{}: {} generic cells, {} flops: NAND2 path {:.1} um2 ({:.0} NAND2-eq), ASAP7 mapped {:.1} um2: {:+.1}%",
            m.name,
            s.generic_cells,
            a.nand2.flops,
            a.nand2_path_um2,
            a.nand2.nand2,
            a.mapped_um2.unwrap(),
            100.0 * err
        );
        worst = worst.max(err.abs());
    }
    assert!(
        worst <= 0.15,
        "NAND2 path off by {:.1}% somewhere",
        100.0 * worst
    );
}
