//! Energy model: action counts (toggles and cycles from Verilator on real tensors)
//! times per-action energies (from the liberty's internal-power tables and pin
//! capacitances), plus leakage; pJ per value.
//!
//! Per-action table ([`CellPower`], per liberty cell, parsed by [`parse_liberty`]):
//! - `internal_fj`: internal energy per output transition: the `related_pg_pin : VDD`
//!   `rise_power`/`fall_power` tables of the output pins, read at the library's third
//!   index (20 ps input slew, 2.88 fF load in ASAP7), averaged over rise/fall and
//!   related pins;
//! - `clock_fj`: for flops, the clock pin's passive internal energy per clock cycle
//!   (rise + fall, averaged over the `when` states);
//! - `input_cap_ff` per input pin, `leakage_pw` (the state-independent VDD leakage).
//!
//! Action counts ([`Activity`]): cycles, and the mean toggle rate of the block's RTL
//! signals measured by Verilator on the stimulus (`sim::Model::toggles`: transitions per bit
//! per cycle). The model applies that rate to every mapped cell output: a zero-delay,
//! glitch-free estimate, stated as such (gate-level activity from a netlist simulation
//! is the calibration still to do).
//!
//! Switching energy of a net: 1/2 C V^2 with C = fanout x (mean input pin capacitance +
//! [`WIRE_FF_PER_FANOUT`]); the fanout is the netlist's input pins over output pins.

use crate::source::Sourced;
use serde::Serialize;
use std::collections::BTreeMap;

/// Wire capacitance per fanout branch (fF).
pub const WIRE_FF_PER_FANOUT: Sourced = Sourced::new(
    0.2,
    "fF",
    "assumption: ~1-2 um of local wire per fanout branch in dense 7 nm logic at ~0.1-0.2 fF/um",
    7.0,
    "x node/7 (capacitance per length roughly constant, lengths scale with the node)",
);

/// Per-cell power entries of a liberty.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct CellPower {
    pub area_um2: f64,
    pub leakage_pw: f64,
    pub internal_fj: f64,
    pub clock_fj: f64,
    pub input_cap_ff: f64,
    pub inputs: u32,
    pub outputs: u32,
}

/// A liberty's power view of the cells in `wanted` (all cells if empty).
#[derive(Clone, Debug, Default, Serialize)]
pub struct LibertyPower {
    pub voltage: f64,
    pub cells: BTreeMap<String, CellPower>,
}

fn num_list(s: &str) -> Vec<f64> {
    s.split(|c: char| c == ',' || c == '"' || c == '\\' || c.is_whitespace())
        .filter_map(|t| t.parse::<f64>().ok())
        .collect()
}

/// A cell being parsed: name, entries, internal / clock / leakage samples.
type CellAcc = (String, CellPower, Vec<f64>, Vec<f64>, Vec<f64>);

/// The table entry the model reads: [2][2] of an n x n table (n > 1), else the third
/// (or only) entry of a 1-D one.
fn pick(v: &[f64]) -> Option<f64> {
    let n = (v.len() as f64).sqrt() as usize;
    if n > 1 && n * n == v.len() {
        v.get(2 * n + 2).copied()
    } else {
        v.get(2).or(v.first()).copied()
    }
}

/// Parse the power-relevant parts of a liberty file.
pub fn parse_liberty(text: &str, wanted: &[&str]) -> Result<LibertyPower, String> {
    let mut lib = LibertyPower {
        voltage: 0.0,
        ..Default::default()
    };
    // a small group walker: a stack of (group kind, name) plus per-group attributes
    let mut stack: Vec<(String, String)> = Vec::new();
    // the cell being read: name, entries, and the internal, clock and leakage samples
    let mut cell: Option<CellAcc> = None;
    let mut pin_dir = String::new();
    let mut pin_clock = false;
    let mut pg_vdd = true;
    let mut has_when = false;
    let mut leak_val: Option<f64> = None;
    let mut in_values = false;
    let mut values = String::new();
    let mut pin_tables: Vec<f64> = Vec::new();
    for raw in text.lines() {
        let line = raw.trim();
        if in_values {
            values.push_str(line);
            if line.contains(");") {
                in_values = false;
                if let Some(x) = pick(&num_list(&values)) {
                    pin_tables.push(x);
                }
            }
            continue;
        }
        if line.ends_with('{') {
            let head = line.trim_end_matches('{').trim();
            let (kind, name) = match head.split_once('(') {
                Some((k, n)) => (
                    k.trim().to_string(),
                    n.trim_end_matches(')').trim().trim_matches('"').to_string(),
                ),
                None => (head.to_string(), String::new()),
            };
            match kind.as_str() {
                "cell" => {
                    if wanted.is_empty() || wanted.contains(&name.as_str()) {
                        cell = Some((
                            name.clone(),
                            CellPower::default(),
                            Vec::new(),
                            Vec::new(),
                            Vec::new(),
                        ));
                    }
                }
                "pin" => {
                    pin_dir.clear();
                    pin_clock = false;
                }
                "internal_power" => {
                    pg_vdd = true;
                    has_when = false;
                    pin_tables.clear();
                }
                "leakage_power" => {
                    pg_vdd = true;
                    has_when = false;
                    leak_val = None;
                }
                _ => {}
            }
            stack.push((kind, name));
            continue;
        }
        if line.starts_with('}') {
            if let Some((kind, _)) = stack.pop() {
                if let Some((_, cp, internal, clock, leak)) = cell.as_mut() {
                    match kind.as_str() {
                        "internal_power" if pg_vdd && !pin_tables.is_empty() => {
                            let e = pin_tables.iter().sum::<f64>() / pin_tables.len() as f64;
                            if pin_dir == "output" {
                                internal.push(e);
                            } else if pin_clock {
                                // rise + fall of one clock cycle
                                clock.push(2.0 * e);
                            }
                        }
                        "leakage_power" if pg_vdd && !has_when => {
                            if let Some(v) = leak_val {
                                leak.push(v);
                            }
                        }
                        "pin" => {
                            if pin_dir == "output" {
                                cp.outputs += 1;
                            }
                        }
                        _ => {}
                    }
                }
                if kind == "cell" {
                    if let Some((name, mut cp, internal, clock, leak)) = cell.take() {
                        let mean = |v: &[f64]| {
                            if v.is_empty() {
                                0.0
                            } else {
                                v.iter().sum::<f64>() / v.len() as f64
                            }
                        };
                        cp.internal_fj = mean(&internal);
                        cp.clock_fj = mean(&clock);
                        cp.leakage_pw = mean(&leak);
                        if cp.inputs > 0 {
                            cp.input_cap_ff /= cp.inputs as f64;
                        }
                        lib.cells.insert(name, cp);
                    }
                }
            }
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            if line.starts_with("values") {
                values = line.to_string();
                in_values = !line.contains(");");
                if !in_values {
                    if let Some(x) = pick(&num_list(&values)) {
                        pin_tables.push(x);
                    }
                }
            } else if line.starts_with("voltage_map (VDD") {
                if let Some(x) = num_list(line.trim_start_matches("voltage_map (VDD")).first() {
                    lib.voltage = *x;
                }
            }
            continue;
        };
        let (k, v) = (
            k.trim(),
            v.trim().trim_end_matches(';').trim().trim_matches('"'),
        );
        if k == "nom_voltage" && lib.voltage == 0.0 {
            lib.voltage = v.parse().unwrap_or(0.0);
        }
        let Some((_, cp, ..)) = cell.as_mut() else {
            continue;
        };
        let top = stack.last().map(|s| s.0.as_str()).unwrap_or("");
        match (top, k) {
            ("cell", "area") => cp.area_um2 = v.parse().unwrap_or(0.0),
            ("pin", "direction") => {
                pin_dir = v.to_string();
                if v == "input" {
                    cp.inputs += 1;
                }
            }
            ("pin", "clock") => pin_clock = v == "true",
            ("pin", "capacitance") if pin_dir == "input" => {
                cp.input_cap_ff += v.parse::<f64>().unwrap_or(0.0)
            }
            ("internal_power" | "leakage_power", "related_pg_pin") => pg_vdd = v == "VDD",
            ("internal_power" | "leakage_power", "when") => has_when = true,
            ("leakage_power", "value") => leak_val = v.parse().ok(),
            _ => {}
        }
    }
    if lib.voltage == 0.0 {
        return Err("liberty: no nominal voltage".into());
    }
    Ok(lib)
}

/// Action counts of one block run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Activity {
    pub cycles: u64,
    /// Units the run processed: samples for the transform blocks and dequant, bins for the CABAC engines.
    pub units: u64,
    /// Mean transitions per RTL signal bit per cycle (`sim::Model::toggles`).
    pub toggle_rate: f64,
    pub signal_bits: u64,
}

impl Activity {
    /// From per-signal (bits, transitions) sums.
    pub fn from_toggles(
        cycles: u64,
        units: u64,
        toggles: impl IntoIterator<Item = (u32, u64)>,
    ) -> Self {
        let (mut bits, mut t) = (0u64, 0u64);
        for (b, n) in toggles {
            bits += b as u64;
            t += n;
        }
        Activity {
            cycles,
            units,
            toggle_rate: if bits == 0 || cycles == 0 {
                0.0
            } else {
                t as f64 / (bits as f64 * cycles as f64)
            },
            signal_bits: bits,
        }
    }
}

/// Energy of one block per cycle and per value.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BlockEnergy {
    pub block: String,
    pub mean_fanout: f64,
    pub load_ff: f64,
    /// Logic switching (internal + load) per cycle, fJ.
    pub switching_fj_per_cycle: f64,
    /// Flop clock pins per cycle, fJ: every flop every cycle, or with clock gating
    /// (`clock_gating`) the gated duty plus the clock gates.
    pub clock_fj_per_cycle: f64,
    /// Leakage per cycle at the clock, fJ.
    pub leakage_fj_per_cycle: f64,
    pub pj_per_unit: f64,
    pub units_per_cycle: f64,
    /// Cells of the netlist missing from the liberty (costed as zero; should be empty).
    pub unknown_cells: Vec<String>,
    /// Clock gating applied ([`apply_clock_gating`]); None: every flop clocked every cycle.
    pub clock_gating: Option<GatedClock>,
}

/// The clock energy of a block with clock gating: its flops' measured duty
/// ([`crate::gating::ClockGating`]) and one integrated clock gate per gated condition.
#[derive(Clone, Debug, Default, Serialize)]
pub struct GatedClock {
    pub gating: crate::gating::ClockGating,
    /// The clock gate cell: its clock pin energy per cycle, internal energy per output
    /// transition and leakage (liberty).
    pub icg_cell: String,
    pub icg_clock_fj: f64,
    pub icg_internal_fj: f64,
    pub icg_leakage_pw: f64,
    /// Flop clock pins per cycle without gating, fJ.
    pub ungated_clock_fj_per_cycle: f64,
    /// pJ per unit without gating.
    pub pj_per_unit_ungated: f64,
    /// Where the duty comes from.
    pub how: String,
}

/// The clock-gate cell of a liberty: the smallest `ICG*` cell with a clock pin (ASAP7:
/// ICGx1_ASAP7_75t_R).
pub fn icg_cell(lib: &LibertyPower) -> Option<(&String, &CellPower)> {
    lib.cells
        .iter()
        .filter(|(n, c)| n.starts_with("ICG") && c.clock_fj > 0.0)
        .min_by(|a, b| a.1.area_um2.partial_cmp(&b.1.area_um2).unwrap_or(std::cmp::Ordering::Equal).then(a.0.cmp(b.0)))
}

/// Replace a block's every-cycle flop clock energy by its gated one: the flops' clock
/// pins at the measured duty (`g.duty` of the every-cycle energy), plus per clock gate
/// its clock pin every cycle, two output transitions per enabled cycle and its leakage.
/// The gates' area and the enable multiplexers they make redundant are left out of the
/// area (a wash, not counted). Errors when the liberty has no clock-gate cell.
pub fn apply_clock_gating(e: &mut BlockEnergy, g: &crate::gating::ClockGating, lib: &LibertyPower, activity: &Activity, clock_mhz: f64, how: &str) -> Result<(), String> {
    let (name, icg) = icg_cell(lib).ok_or("liberty has no ICG (clock gate) cell")?;
    let t_ns = 1e3 / clock_mhz;
    let ungated = e.clock_fj_per_cycle;
    let pj_ungated = e.pj_per_unit;
    let gates = g.gates as f64;
    e.clock_fj_per_cycle = ungated * g.duty + gates * (icg.clock_fj + 2.0 * g.gate_duty * icg.internal_fj);
    e.leakage_fj_per_cycle += gates * icg.leakage_pw * t_ns * 1e-6;
    e.finish(activity);
    e.clock_gating = Some(GatedClock {
        gating: g.clone(),
        icg_cell: name.clone(),
        icg_clock_fj: icg.clock_fj,
        icg_internal_fj: icg.internal_fj,
        icg_leakage_pw: icg.leakage_pw,
        ungated_clock_fj_per_cycle: ungated,
        pj_per_unit_ungated: pj_ungated,
        how: how.into(),
    });
    Ok(())
}

impl BlockEnergy {
    /// Units per cycle and pJ per unit from the per-cycle energies and the activity.
    fn finish(&mut self, activity: &Activity) {
        self.units_per_cycle = if activity.cycles > 0 { activity.units as f64 / activity.cycles as f64 } else { 0.0 };
        let total = self.switching_fj_per_cycle + self.clock_fj_per_cycle + self.leakage_fj_per_cycle;
        self.pj_per_unit = if self.units_per_cycle > 0.0 { total / self.units_per_cycle / 1e3 } else { 0.0 };
    }
}

/// Energy of a mapped netlist (`cells`: liberty cell name -> count) at `activity`,
/// clock `clock_mhz`.
pub fn block_energy(
    block: &str,
    cells: &BTreeMap<String, u64>,
    lib: &LibertyPower,
    activity: &Activity,
    clock_mhz: f64,
) -> BlockEnergy {
    let mut e = BlockEnergy {
        block: block.into(),
        ..Default::default()
    };
    let (mut pins_in, mut pins_out, mut cap_sum) = (0f64, 0f64, 0f64);
    for (c, &n) in cells {
        match lib.cells.get(c) {
            Some(p) => {
                let data_in = p.inputs.saturating_sub((p.clock_fj > 0.0) as u32) as f64;
                pins_in += n as f64 * data_in;
                pins_out += n as f64 * p.outputs as f64;
                cap_sum += n as f64 * data_in * p.input_cap_ff;
            }
            // memory macros are costed apart (SRAM), not as cells
            None if c == crate::area::MEMORY_MACRO => {}
            None => e.unknown_cells.push(c.clone()),
        }
    }
    e.mean_fanout = if pins_out > 0.0 {
        pins_in / pins_out
    } else {
        0.0
    };
    let mean_cap = if pins_in > 0.0 {
        cap_sum / pins_in
    } else {
        0.0
    };
    e.load_ff = e.mean_fanout * (mean_cap + WIRE_FF_PER_FANOUT.value);
    let v2 = lib.voltage * lib.voltage;
    let t_ns = 1e3 / clock_mhz;
    for (c, &n) in cells {
        if let Some(p) = lib.cells.get(c) {
            let n = n as f64;
            e.switching_fj_per_cycle += n
                * p.outputs as f64
                * activity.toggle_rate
                * (p.internal_fj + 0.5 * e.load_ff * v2);
            e.clock_fj_per_cycle += n * p.clock_fj;
            // pW x ns = 1e-21 J = 1e-6 fJ
            e.leakage_fj_per_cycle += n * p.leakage_pw * t_ns * 1e-6;
        }
    }
    e.finish(activity);
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIB: &str = r#"library (t) {
  nom_voltage : 0.7;
  cell (NAND2x1) {
    area : 0.08748;
    leakage_power () {
      value : 50;
      when : "(A * B)";
      related_pg_pin : VDD;
    }
    leakage_power () {
      value : 91.2;
      related_pg_pin : VDD;
    }
    pin (A) {
      direction : input;
      capacitance : 0.6;
    }
    pin (B) {
      direction : input;
      capacitance : 0.4;
    }
    pin (Y) {
      direction : output;
      function : "(!A) + (!B)";
      internal_power () {
        related_pin : "A";
        related_pg_pin : VDD;
        rise_power (power_template_7x7_x1) {
          index_1 ("5, 10, 20, 40, 80, 160, 320");
          index_2 ("0.72, 1.44, 2.88, 5.76, 11.52, 23.04, 46.08");
          values ( \
            "0, 0, 0, 0, 0, 0, 0", \
            "0, 0, 0, 0, 0, 0, 0", \
            "0, 0, 1.0, 0, 0, 0, 0", \
            "0, 0, 0, 0, 0, 0, 0", \
            "0, 0, 0, 0, 0, 0, 0", \
            "0, 0, 0, 0, 0, 0, 0", \
            "0, 0, 0, 0, 0, 0, 0" \
          );
        }
        fall_power (power_template_7x7_x1) {
          index_1 ("5, 10, 20, 40, 80, 160, 320");
          index_2 ("0.72, 1.44, 2.88, 5.76, 11.52, 23.04, 46.08");
          values ( \
            "0, 0, 0, 0, 0, 0, 0", \
            "0, 0, 0, 0, 0, 0, 0", \
            "0, 0, 3.0, 0, 0, 0, 0", \
            "0, 0, 0, 0, 0, 0, 0", \
            "0, 0, 0, 0, 0, 0, 0", \
            "0, 0, 0, 0, 0, 0, 0", \
            "0, 0, 0, 0, 0, 0, 0" \
          );
        }
      }
      internal_power () {
        related_pin : "A";
        related_pg_pin : VSS;
        rise_power (power_template_7x7_x1) {
          values ( \
            "9, 9, 9, 9, 9, 9, 9", \
            "9, 9, 9, 9, 9, 9, 9", \
            "9, 9, 9, 9, 9, 9, 9", \
            "9, 9, 9, 9, 9, 9, 9", \
            "9, 9, 9, 9, 9, 9, 9", \
            "9, 9, 9, 9, 9, 9, 9", \
            "9, 9, 9, 9, 9, 9, 9" \
          );
        }
      }
    }
  }
}
"#;

    #[test]
    fn parses_a_cell() {
        let l = parse_liberty(LIB, &[]).unwrap();
        assert_eq!(l.voltage, 0.7);
        let c = &l.cells["NAND2x1"];
        assert_eq!(c.area_um2, 0.08748);
        assert_eq!(c.leakage_pw, 91.2);
        assert_eq!((c.inputs, c.outputs), (2, 1));
        assert!((c.input_cap_ff - 0.5).abs() < 1e-12);
        assert!((c.internal_fj - 2.0).abs() < 1e-12, "{c:?}");
    }

    #[test]
    fn energy_adds_up() {
        let l = parse_liberty(LIB, &[]).unwrap();
        let mut cells = BTreeMap::new();
        cells.insert("NAND2x1".to_string(), 1000u64);
        let a = Activity {
            cycles: 100,
            units: 400,
            toggle_rate: 0.1,
            signal_bits: 10,
        };
        let e = block_energy("t", &cells, &l, &a, 1000.0);
        assert!((e.mean_fanout - 2.0).abs() < 1e-12);
        let load = 2.0 * (0.5 + WIRE_FF_PER_FANOUT.value);
        let sw = 1000.0 * 0.1 * (2.0 + 0.5 * load * 0.49);
        assert!((e.switching_fj_per_cycle - sw).abs() < 1e-9);
        assert!((e.leakage_fj_per_cycle - 1000.0 * 91.2 * 1e-6).abs() < 1e-12);
        assert!((e.pj_per_unit - (sw + e.leakage_fj_per_cycle) / 4.0 / 1e3).abs() < 1e-12);
    }

    #[test]
    fn sram_access_energy_follows_its_rule() {
        // the source point at its own node
        assert!((sram_access_fj(1024, 64, 45.0) - 10_000.0).abs() < 1e-6);
        // 4x the capacity: twice the energy; half the width: half
        assert!((sram_access_fj(4096, 64, 45.0) - 20_000.0).abs() < 1e-6);
        assert!((sram_access_fj(2048, 32, 45.0) - 5_000.0).abs() < 1e-6);
        // 7 nm: the Stillmaker-Baas factor
        let f = crate::reference::node_scale(crate::reference::Metric::Energy, 45.0, 7.0);
        assert!(f > 0.02 && f < 0.2, "{f}");
        assert!((sram_access_fj(2048, 32, 7.0) - 5_000.0 * f).abs() < 1e-9);
    }

    #[test]
    fn clock_gating_scales_flop_clocks_and_adds_the_gates() {
        let mut l = LibertyPower { voltage: 0.7, ..Default::default() };
        l.cells.insert("DFF".into(), CellPower { area_um2: 0.3, clock_fj: 1.0, inputs: 2, outputs: 1, ..Default::default() });
        l.cells.insert("ICGx2".into(), CellPower { area_um2: 0.4, clock_fj: 5.0, internal_fj: 9.0, inputs: 3, outputs: 1, leakage_pw: 9.0, ..Default::default() });
        l.cells.insert("ICGx1".into(), CellPower { area_um2: 0.3, clock_fj: 0.5, internal_fj: 0.25, inputs: 3, outputs: 1, leakage_pw: 10.0, ..Default::default() });
        assert_eq!(icg_cell(&l).unwrap().0, "ICGx1", "the smallest clock gate");
        let mut cells = BTreeMap::new();
        cells.insert("DFF".to_string(), 100u64);
        let a = Activity { cycles: 10, units: 10, toggle_rate: 0.0, signal_bits: 1 };
        let mut e = block_energy("t", &cells, &l, &a, 1000.0);
        assert_eq!(e.clock_fj_per_cycle, 100.0);
        let g = crate::gating::ClockGating { flops: 100, ungated_flops: 20, gated_flops: 80, gates: 4, gated_duty: 0.25, duty: 0.4, gate_duty: 0.5, ..Default::default() };
        apply_clock_gating(&mut e, &g, &l, &a, 1000.0, "test").unwrap();
        // 100 fJ x 0.4 + 4 gates x (0.5 + 2 x 0.5 x 0.25)
        assert!((e.clock_fj_per_cycle - (40.0 + 4.0 * 0.75)).abs() < 1e-12, "{}", e.clock_fj_per_cycle);
        let gc = e.clock_gating.as_ref().unwrap();
        assert_eq!((gc.ungated_clock_fj_per_cycle, gc.icg_cell.as_str()), (100.0, "ICGx1"));
        assert!((gc.pj_per_unit_ungated - 0.1).abs() < 1e-12);
        assert!((e.pj_per_unit - (43.0 + 4.0 * 10.0 * 1e-6) / 1e3).abs() < 1e-12);
        assert!(apply_clock_gating(&mut e, &g, &LibertyPower::default(), &a, 1000.0, "x").is_err());
    }
}

/// Energy of one access (read or write) to a memory macro: a 64-bit access of an 8 KB
/// SRAM at 45 nm. Table entries for small macros in 7 nm are not in the sources at hand
/// (the ASAP7 FakeRAM liberties give one placeholder energy for every size), so the
/// 45 nm figure is carried by the rule below.
pub const SRAM_ACCESS_PJ: Sourced = Sourced::new(
    10.0,
    "pJ per 64-bit access of an 8 KB SRAM",
    "M. Horowitz, 'Computing's energy problem (and what we can do about it)', ISSCC 2014, 45 nm: 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ per 64-bit access (recalled; NOT verified in the search corpus)",
    45.0,
    "x bits per word / 64, x sqrt(bits / 65536) (his 8 KB -> 32 KB step doubles it), x Stillmaker-Baas energy 45 nm -> node",
);

/// Energy of one access to a `words` x `width` memory macro at `node_nm`, fJ
/// ([`SRAM_ACCESS_PJ`] and its rule).
pub fn sram_access_fj(words: u64, width: u32, node_nm: f64) -> f64 {
    let bits = (words * width as u64) as f64;
    SRAM_ACCESS_PJ.value * 1e3 * (width as f64 / 64.0) * (bits / 65536.0).sqrt() * crate::reference::node_scale(crate::reference::Metric::Energy, SRAM_ACCESS_PJ.source.node_nm, node_nm)
}

/// Per-action energies of a node for the NAND2 path (no liberty): per NAND2-equivalent
/// of logic per output transition, per flop per clock cycle, leakage per NAND2-eq.
#[derive(Clone, Debug, Serialize)]
pub struct NodeEnergy {
    pub node: &'static str,
    pub logic_fj_per_nand2_toggle: Sourced,
    pub flop_clock_fj: Sourced,
    pub leakage_pw_per_nand2: Sourced,
}

/// The NAND2-path energy table of a node. ASAP7 entries come from its liberty (the
/// same tables [`parse_liberty`] reads, at fanout 2.5); other nodes scale them by
/// C V^2 (C with the node, V per node) and leakage by area.
pub fn node_energy(node: &str) -> Result<NodeEnergy, String> {
    const ASAP7: &str = "ASAP7 7.5T RVT TT liberty (0.7 V): NAND2x1 internal 0.107 fJ + 1/2 x 2.4 fF x 0.49 V^2 at fanout 2.5 incl. wire";
    // (name, energy scale, leakage scale, rule): energy with C (the node) x V^2, leakage with area
    let (name, scale_e, scale_l, rule): (&'static str, f64, f64, &'static str) = match node {
        "asap7" => ("asap7", 1.0, 1.0, "none"),
        "nangate45" => (
            "nangate45",
            (45.0 / 7.0) * (1.1f64 / 0.7).powi(2),
            (45.0f64 / 7.0).powi(2),
            "x (45/7) (1.1/0.7)^2 for energy (C with the node, 1.1 V), x (45/7)^2 for leakage",
        ),
        "sky130" => (
            "sky130",
            (130.0 / 7.0) * (1.8f64 / 0.7).powi(2),
            (130.0f64 / 7.0).powi(2),
            "x (130/7) (1.8/0.7)^2 for energy (C with the node, 1.8 V), x (130/7)^2 for leakage",
        ),
        other => return Err(format!("no energy table for node `{other}`: asap7, nangate45, sky130")),
    };
    Ok(NodeEnergy {
        node: name,
        logic_fj_per_nand2_toggle: Sourced::new(
            (0.107 + 0.5 * 2.4 * 0.49) * scale_e,
            "fJ",
            ASAP7,
            7.0,
            rule,
        ),
        flop_clock_fj: Sourced::new(
            0.556 * scale_e,
            "fJ",
            "ASAP7 liberty: DFFHQNx1 clock pin passive energy, rise + fall",
            7.0,
            rule,
        ),
        leakage_pw_per_nand2: Sourced::new(
            91.2 * scale_l,
            "pW",
            "ASAP7 liberty: NAND2x1 state-independent leakage",
            7.0,
            rule,
        ),
    })
}

/// NAND2-path energy of a block: `logic_nand2` of logic toggling at the activity's
/// rate, `flops` clocked every cycle, leakage of all NAND2 equivalents.
pub fn nand2_path_energy(
    block: &str,
    logic_nand2: f64,
    flops: u64,
    total_nand2: f64,
    activity: &Activity,
    table: &NodeEnergy,
    clock_mhz: f64,
) -> BlockEnergy {
    let t_ns = 1e3 / clock_mhz;
    let mut e = BlockEnergy {
        block: block.into(),
        ..Default::default()
    };
    e.switching_fj_per_cycle =
        logic_nand2 * activity.toggle_rate * table.logic_fj_per_nand2_toggle.value;
    e.clock_fj_per_cycle = flops as f64 * table.flop_clock_fj.value;
    e.leakage_fj_per_cycle = total_nand2 * table.leakage_pw_per_nand2.value * t_ns * 1e-6;
    e.finish(activity);
    e
}
