//! The NAND2 path against the ASAP7-mapped area of every block (within 15%), at the
//! configuration CI synthesizes (P=1, TU 4: minutes, where the default config takes an
//! hour). Needs yosys (`bash scripts/setup.sh`); the ASAP7 liberty comes from
//! ../shared/asap7 (the check is skipped, loudly, without it).

use area_energy::area::{block_area, node};
use std::path::Path;

#[test]
fn nand2_path_within_15_percent_of_asap7() {
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
    let Some(lib) = hw::yosys::asap7_liberty(&target.join("tmp/hw-synth")) else {
        eprintln!("SKIPPED: ../shared/asap7 absent, no liberty to calibrate against");
        return;
    };
    let mut p = golden::Params::default();
    p.rtl.samples_per_cycle = 1;
    p.bitstream.max_tu_size = 4;
    let asap7 = node("asap7").unwrap();
    let mut worst: f64 = 0.0;
    for m in hw::all_blocks(&p).unwrap() {
        let s = hw::yosys::synth_cached(
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
