//! Area model: yosys synthesis of the generated Verilog -> cells -> NAND2 equivalents
//! -> um2 at a node; with a liberty, the liberty-mapped area is used and reported next
//! to the NAND2 path.
//!
//! The NAND2 path (no liberty needed):
//! 1. yosys `synth` turns a block into generic cells (`$_AND_`, `$_XOR_`, `$_MUX_`,
//!    `$_SDFFE_PP0P_`, ...); counts by type come from `stat`.
//! 2. Each flip-flop costs one D flip-flop ([`DFF_NAND2`]: ASAP7 `DFFHQNx1`), its
//!    enable a 2:1 mux and its synchronous set/reset a 2-input gate; each logic cell
//!    costs the ASAP7 cell that implements its function ([`gate_weight`]), in NAND2x1
//!    units.
//! 3. The technology mapper (abc) restructures logic and uses compound cells
//!    (AO/OA/AOI/OAI) that cost what a NAND2 costs in ASAP7's 7.5-track library, so the
//!    logic total is multiplied by [`LOGIC_MAPPING`], calibrated once against the
//!    ASAP7-mapped netlists of the five blocks (see its source line); flops are not
//!    scaled (abc does not touch them).
//! 4. NAND2 equivalents times the node's NAND2 area ([`Node::nand2_um2`]) give cell
//!    area; a placement utilization turns cell area into die area.
//!
//! `area_energy/tests/area_energy/area_calibration.rs` checks the NAND2 path against the
//! ASAP7-mapped area of every block (within 15%).
//!
//! Memories (line buffers, CTU buffers, context tables) are costed in bits at a sourced
//! SRAM density ([`Node::sram_um2_per_bit`]) instead of flip-flops, unless tiny. The
//! transform blocks hold no SRAM-able memory: their buffers are register arrays
//! written N x P words per cycle (the column sweep), which no SRAM macro supports; they
//! are costed as synthesized.

use crate::source::Sourced;
use serde::Serialize;
use std::collections::BTreeMap;

/// Cells by type, as yosys `stat` lists them.
pub type CellCounts = BTreeMap<String, u64>;

/// Area of ASAP7's NAND2x1 (um2): the NAND2-equivalent unit at 7 nm.
pub const ASAP7_NAND2_UM2: f64 = 0.08748;

/// One D flip-flop in NAND2 equivalents.
pub const DFF_NAND2: Sourced = Sourced::new(
    0.2916 / 0.08748,
    "NAND2-eq",
    "ASAP7 7.5T RVT TT liberty: DFFHQNx1 area 0.2916 um2 / NAND2x1 0.08748 um2",
    7.0,
    "none: a ratio of cell areas in one library",
);

/// Factor from the generic-gate NAND2 sum to the technology-mapped logic area.
pub const LOGIC_MAPPING: Sourced = Sourced::new(
    0.612,
    "ratio",
    "calibrated on ASAP7 (yosys 0.23 `synth -noalumacc; dfflibmap; abc -liberty`): median over dequant, cabac_dec, cabac_enc, \
     fwd_tq, inv_tq at P=1, TU 4 of (mapped area - flops x DFFHQNx1) / generic logic NAND2 sum; per-block \
     values 0.570..0.653",
    7.0,
    "assumed node-independent (a mapper's restructuring gain); re-calibrate with --liberty for another library",
);

/// The memory macro black box of the generated Verilog (`hw::common::ram_module`).
pub const MEMORY_MACRO: &str = "tcgen_ram";

/// NAND2 equivalents of one generic logic cell type, from the ASAP7 cell that
/// implements its function (area / NAND2x1 area). None for flops and unknown cells.
pub fn gate_weight(cell: &str) -> Option<(f64, &'static str)> {
    Some(match cell {
        "$_NOT_" => (0.5, "INVx1 0.04374"),
        "$_BUF_" => (0.5, "BUFx2 as INVx1 pair, 0.04374 (abc removes most)"),
        "$_AND_" => (1.0, "AND2x2 0.08748"),
        "$_NAND_" => (1.0, "NAND2x1 0.08748"),
        "$_OR_" => (1.0, "OR2x2 0.08748"),
        "$_NOR_" => (1.0, "NOR2x1 0.08748"),
        "$_ANDNOT_" | "$_ORNOT_" => (1.5, "AND2x2/OR2x2 + INVx1 0.13122"),
        "$_XOR_" | "$_XNOR_" => (1.8333, "XOR2x2/XNOR2x2 0.16038"),
        "$_MUX_" => (2.0, "AO22x1 + INVx1 0.17496"),
        "$_NMUX_" => (2.5, "AO22x1 + 2 INVx1"),
        "$_AOI3_" | "$_OAI3_" => (0.8333, "AOI21xp5/OAI21xp5 0.0729"),
        "$_AOI4_" | "$_OAI4_" => (1.0, "AOI22xp5/OAI22xp5 0.08748"),
        _ => return None,
    })
}

/// A flip-flop cell type: (is a flop, has enable, has set/reset).
fn flop_kind(cell: &str) -> Option<(bool, bool)> {
    let body = cell.strip_prefix("$_")?.strip_suffix('_')?;
    let (kind, _) = body.split_once('_')?;
    match kind {
        "DFF" => Some((false, false)),
        "DFFE" => Some((true, false)),
        "SDFF" | "DFFSR" => Some((false, true)),
        "SDFFE" | "SDFFCE" | "DFFSRE" => Some((true, true)),
        _ => None,
    }
}

/// The NAND2-path estimate of a generic netlist.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Nand2Estimate {
    pub flops: u64,
    pub flop_nand2: f64,
    /// Logic cells, flop enables and set/resets included, before mapping.
    pub logic_nand2_generic: f64,
    /// After the mapping factor.
    pub logic_nand2: f64,
    pub nand2: f64,
}

/// NAND2 equivalents of a generic netlist (yosys `synth` cells by type).
pub fn nand2_estimate(generic: &CellCounts) -> Result<Nand2Estimate, String> {
    let mut e = Nand2Estimate::default();
    let mux = gate_weight("$_MUX_").unwrap().0;
    for (cell, &n) in generic {
        if cell == MEMORY_MACRO {
            // a memory macro: costed apart as SRAM ([`Memory`]), not as gates
            continue;
        }
        if let Some((w, _)) = gate_weight(cell) {
            e.logic_nand2_generic += w * n as f64;
        } else if let Some((enable, set_reset)) = flop_kind(cell) {
            e.flops += n;
            e.logic_nand2_generic +=
                n as f64 * (if enable { mux } else { 0.0 } + if set_reset { 1.0 } else { 0.0 });
        } else {
            return Err(format!(
                "no NAND2 weight for yosys cell `{cell}` (latch or memory cell?)"
            ));
        }
    }
    e.flop_nand2 = e.flops as f64 * DFF_NAND2.value;
    e.logic_nand2 = e.logic_nand2_generic * LOGIC_MAPPING.value;
    e.nand2 = e.flop_nand2 + e.logic_nand2;
    Ok(e)
}

/// A technology node's area and energy entries.
#[derive(Clone, Debug, Serialize)]
pub struct Node {
    pub name: &'static str,
    pub nm: f64,
    pub nand2_um2: Sourced,
    /// SRAM macro area per bit, periphery included.
    pub sram_um2_per_bit: Sourced,
    /// Standard-cell placement utilization: die area = cell area / utilization.
    pub utilization: Sourced,
}

/// The nodes the NAND2 path knows.
pub fn nodes() -> Vec<Node> {
    let util = Sourced::new(
        0.7,
        "fraction",
        "assumption: a typical standard-cell core utilization (OpenROAD-flow-scripts designs run 0.3..0.7)",
        0.0,
        "none",
    );
    vec![
        Node {
            name: "asap7",
            nm: 7.0,
            nand2_um2: Sourced::new(ASAP7_NAND2_UM2, "um2", "ASAP7 7.5T RVT liberty, NAND2x1_ASAP7_75t_R area", 7.0, "none"),
            sram_um2_per_bit: Sourced::new(
                0.048,
                "um2/bit",
                "ASAP7 SRAM macros, 0.036..0.061 um2/bit periphery included (tcgen issue 7); middle of the range",
                7.0,
                "x (node/7)^2 to other nodes",
            ),
            utilization: util.clone(),
        },
        Node {
            name: "nangate45",
            nm: 45.0,
            nand2_um2: Sourced::new(0.798, "um2", "NanGate FreePDK45 Open Cell Library, NAND2_X1 area", 45.0, "none"),
            sram_um2_per_bit: Sourced::new(
                0.048 * (45.0 / 7.0) * (45.0 / 7.0),
                "um2/bit",
                "ASAP7 entry scaled by (45/7)^2",
                7.0,
                "ideal area scaling (node^2); not a 45 nm macro figure",
            ),
            utilization: util.clone(),
        },
        Node {
            name: "sky130",
            nm: 130.0,
            nand2_um2: Sourced::new(3.7536, "um2", "SkyWater sky130_fd_sc_hd__nand2_1 area (1.38 x 2.72 um)", 130.0, "none"),
            sram_um2_per_bit: Sourced::new(
                0.048 * (130.0 / 7.0) * (130.0 / 7.0),
                "um2/bit",
                "ASAP7 entry scaled by (130/7)^2",
                7.0,
                "ideal area scaling (node^2); not a 130 nm macro figure",
            ),
            utilization: util,
        },
    ]
}

/// A node by name.
pub fn node(name: &str) -> Result<Node, String> {
    nodes().into_iter().find(|n| n.name == name).ok_or_else(|| {
        format!(
            "unknown node `{name}`: known are {}",
            nodes()
                .iter()
                .map(|n| n.name)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// A memory a block or core holds (costed as SRAM, not flops).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Memory {
    pub name: String,
    pub words: u64,
    pub width: u32,
}

impl Memory {
    pub fn bits(&self) -> u64 {
        self.words * self.width as u64
    }
    pub fn area_um2(&self, node: &Node) -> f64 {
        self.bits() as f64 * node.sram_um2_per_bit.value
    }
}

/// Area of one block: both paths, memories apart.
#[derive(Clone, Debug, Serialize)]
pub struct BlockArea {
    pub block: String,
    pub node: String,
    pub nand2: Nand2Estimate,
    /// NAND2 path, cell area (um2).
    pub nand2_path_um2: f64,
    /// Liberty-mapped cell area (um2), when a liberty was given.
    pub mapped_um2: Option<f64>,
    pub mapped_flops: Option<u64>,
    /// (mapped - NAND2 path) / mapped.
    pub nand2_path_error: Option<f64>,
    pub memories: Vec<Memory>,
    pub memory_um2: f64,
    /// The area used downstream: mapped when known, else the NAND2 path; plus memories.
    pub cell_um2: f64,
}

/// Area of a block from its synthesis numbers.
pub fn block_area(
    block: &str,
    generic: &CellCounts,
    mapped_um2: Option<f64>,
    mapped_flops: Option<u64>,
    memories: Vec<Memory>,
    node: &Node,
) -> Result<BlockArea, String> {
    let nand2 = nand2_estimate(generic)?;
    let nand2_path_um2 = nand2.nand2 * node.nand2_um2.value;
    let memory_um2 = memories.iter().map(|m| m.area_um2(node)).sum();
    Ok(BlockArea {
        block: block.into(),
        node: node.name.into(),
        nand2_path_error: mapped_um2.map(|m| (nand2_path_um2 - m) / m),
        cell_um2: mapped_um2.unwrap_or(nand2_path_um2) + memory_um2,
        nand2,
        nand2_path_um2,
        mapped_um2,
        mapped_flops,
        memories,
        memory_um2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flops_and_gates() {
        let mut c = CellCounts::new();
        c.insert("$_SDFFE_PP0P_".into(), 10);
        c.insert("$_DFF_P_".into(), 2);
        c.insert("$_XOR_".into(), 6);
        let e = nand2_estimate(&c).unwrap();
        assert_eq!(e.flops, 12);
        assert!((e.logic_nand2_generic - (10.0 * 3.0 + 6.0 * 1.8333)).abs() < 1e-9);
        c.insert("$_DLATCH_P_".into(), 1);
        assert!(nand2_estimate(&c).unwrap_err().contains("DLATCH"));
    }

    #[test]
    fn nodes_are_sourced() {
        for n in nodes() {
            for s in [&n.nand2_um2, &n.sram_um2_per_bit, &n.utilization] {
                assert!(!s.source.reference.is_empty() && !s.source.scaling.is_empty());
            }
        }
        assert!(node("tsmc3").is_err());
    }
}
