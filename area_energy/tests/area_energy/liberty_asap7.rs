//! The liberty power parser on the real ASAP7 library (../shared/asap7; skipped,
//! loudly, without it): the per-action entries the energy model reads for the cells
//! every block maps to.

use area_energy::energy::parse_liberty;
use std::path::Path;

#[test]
fn asap7_power_entries() {
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
    let Some(libpath) = hw::yosys::asap7_liberty(&target.join("tmp/hw-synth")) else {
        eprintln!("SKIPPED: ../shared/asap7 absent");
        return;
    };
    let lib = parse_liberty(&std::fs::read_to_string(&libpath).unwrap(), &[]).unwrap();
    assert_eq!(lib.voltage, 0.7);
    assert!(lib.cells.len() > 150, "{} cells", lib.cells.len());
    for (name, c) in &lib.cells {
        if name.starts_with("TIE")
            || name.starts_with("DECAP")
            || name.starts_with("FILLER")
            || name.starts_with("TAP")
        {
            continue;
        }
        assert!(c.area_um2 > 0.0 && c.outputs >= 1, "{name}: {c:?}");
        assert!(
            c.input_cap_ff > 0.0 && c.input_cap_ff < 20.0,
            "{name}: {c:?}"
        );
        assert!(c.internal_fj > 0.0 && c.internal_fj < 20.0, "{name}: {c:?}");
        assert!(c.leakage_pw > 0.0, "{name}: {c:?}");
    }
    // the clock gate the energy model's clock gating uses
    let (icg, ip) = area_energy::energy::icg_cell(&lib).unwrap();
    eprintln!("clock gate {icg}: {ip:?}");
    assert_eq!(icg, "ICGx1_ASAP7_75t_R");
    assert!(ip.clock_fj > 0.0 && ip.internal_fj > 0.0 && ip.leakage_pw > 0.0, "{ip:?}");
    let nand = &lib.cells["NAND2x1_ASAP7_75t_R"];
    let dff = &lib.cells["DFFHQNx1_ASAP7_75t_R"];
    eprintln!("NAND2x1 {nand:?}\nDFFHQNx1 {dff:?}");
    assert_eq!((nand.area_um2, nand.inputs, nand.outputs), (0.08748, 2, 1));
    assert!((nand.leakage_pw - 91.2355).abs() < 1e-9);
    // the node table's ASAP7 entries are these liberty values
    let t = area_energy::energy::node_energy("asap7").unwrap();
    assert!(
        (t.flop_clock_fj.value - dff.clock_fj).abs() < 0.01,
        "{} vs {}",
        t.flop_clock_fj.value,
        dff.clock_fj
    );
    assert!((t.leakage_pw_per_nand2.value - nand.leakage_pw).abs() < 0.1);
    assert!((0.107 - nand.internal_fj).abs() < 0.001);
}
