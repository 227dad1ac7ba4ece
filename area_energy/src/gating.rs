//! Clock gating: which flops of a netlist a clock gate can stop, and how often they
//! must be clocked.
//!
//! An ASIC flow (Genus, Design Compiler; OpenROAD does not) turns a bank of flops that
//! share a load enable into plain flops behind one integrated clock gate (ICG): the
//! bank's clock pins toggle only in the cycles where the enable is true, and the ICG
//! itself is clocked every cycle. The energy model ([`crate::energy`]) charges flop clock
//! pins every cycle without gating; this module gives the duty with gating, from the
//! enables yosys infers and their activity measured in a gate-level simulation:
//!
//! - [`flop_enables`] reads yosys's generic netlist (`write_verilog -noattr` after
//!   `synth`: one `always @(posedge clock)` per flop bit, with `if`/`else` for its
//!   enable and synchronous reset) and turns each flop's statement into its clock
//!   condition: a flop must be clocked in a cycle where its statement assigns it.
//! - The conditions' nets are watched in the gate-level run (`sim::Model::watch`: rising
//!   edges at which each is 1); [`GatingPlan::measure`] bounds each flop's clock duty
//!   from above: `if (c) A` is clocked at most min(P(c), duty(A)), `if (c) A else B` at
//!   most min(P(c), duty(A)) + min(1 - P(c), duty(B)) (a union bound, so the duty is
//!   never understated), an assignment always.
//! - Flops whose statement assigns in every cycle (no enable, or a final unconditional
//!   `else`: a plain synchronous reset) stay ungated; every distinct gated condition is
//!   one ICG.
//!
//! - A condition that enables fewer than [`MIN_GATED_FLOPS`] flops keeps its flops
//!   ungated (a gate would cost about what it saves), as synthesis tools do.
//!
//! The enables are the ones yosys infers (`opt_dff`); a commercial flow may find more.

use serde::Serialize;
use std::collections::BTreeMap;

/// Fewest flops behind one clock gate: Design Compiler's default minimum bank width for
/// clock gating (`set_clock_gating_style -minimum_bitwidth`, default 3).
pub const MIN_GATED_FLOPS: u64 = 3;

/// A condition of an `if`: a net (or one bit of a vector), maybe negated.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Cond {
    pub net: String,
    pub bit: Option<u32>,
    pub negated: bool,
}

/// When a flop's statement assigns it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Clocked {
    /// Every cycle.
    Always,
    /// Never (an `if` without an assignment on this path).
    Never,
    /// `if (cond) then else otherwise`.
    If(Cond, Box<Clocked>, Box<Clocked>),
    /// A condition this reader does not parse: counted as every cycle.
    Unknown,
}

impl Clocked {
    fn always(&self) -> bool {
        match self {
            Clocked::Always | Clocked::Unknown => true,
            Clocked::Never => false,
            Clocked::If(_, a, b) => a.always() && b.always(),
        }
    }
    fn conds(&self, out: &mut Vec<Cond>) {
        if let Clocked::If(c, a, b) = self {
            out.push(Cond { negated: false, ..c.clone() });
            a.conds(out);
            b.conds(out);
        }
    }
    /// Upper bound of the probability that the flop is clocked, given each condition's
    /// probability of being true (`p(net, bit)`, None when not measured: then 1).
    fn duty(&self, p: &dyn Fn(&Cond) -> Option<f64>) -> f64 {
        match self {
            Clocked::Always | Clocked::Unknown => 1.0,
            Clocked::Never => 0.0,
            Clocked::If(c, a, b) => {
                let (da, db) = (a.duty(p), b.duty(p));
                match p(c) {
                    Some(pc) => {
                        let pc = if c.negated { 1.0 - pc } else { pc };
                        (pc.min(da) + (1.0 - pc).min(db)).min(1.0)
                    }
                    // unmeasured: either branch in any cycle
                    None => (da + db).min(1.0),
                }
            }
        }
    }
}

/// The flops of a netlist grouped by clock condition.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FlopEnables {
    /// Flops (one `always @(posedge clock)` each).
    pub flops: u64,
    /// Flops assigned in every cycle (no clock gate).
    pub ungated: u64,
    /// Distinct clock conditions of the other flops (one clock gate each) and their
    /// flops (at least [`MIN_GATED_FLOPS`]; smaller groups are counted in `ungated`).
    pub groups: Vec<(Clocked, u64)>,
    /// Flops whose statement this reader could not parse (counted as ungated).
    pub unparsed: u64,
}

impl FlopEnables {
    /// The distinct condition nets (as written in the netlist, bit apart, not negated),
    /// to watch in a gate-level run.
    pub fn watch_list(&self) -> Vec<Cond> {
        let mut v = Vec::new();
        for (c, _) in &self.groups {
            c.conds(&mut v);
        }
        v.sort();
        v.dedup();
        v
    }
}

// ------------------------------------------------------------------------------------
// netlist reader
// ------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Id(String),
    P(char),
    /// `<=`
    Le,
    Other(String),
}

fn tokens(s: &str) -> Vec<Tok> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i] as char;
        if c.is_whitespace() {
            i += 1;
        } else if c == '\\' {
            // escaped identifier: up to the next whitespace
            let j = s[i..].find(char::is_whitespace).map(|k| i + k).unwrap_or(b.len());
            out.push(Tok::Id(s[i..j].to_string()));
            i = j;
        } else if c.is_ascii_alphabetic() || c == '_' || c == '$' {
            let mut j = i + 1;
            while j < b.len() && ((b[j] as char).is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'$') {
                j += 1;
            }
            out.push(Tok::Id(s[i..j].to_string()));
            i = j;
        } else if c == '<' && b.get(i + 1) == Some(&b'=') {
            out.push(Tok::Le);
            i += 2;
        } else if "();![]".contains(c) {
            out.push(Tok::P(c));
            i += 1;
        } else {
            let mut j = i + 1;
            while j < b.len() && !(b[j] as char).is_whitespace() && !"();![]\\".contains(b[j] as char) {
                j += 1;
            }
            out.push(Tok::Other(s[i..j].to_string()));
            i = j;
        }
    }
    out
}

/// `name`, `name[bit]`, `!name`, `!name[bit]` followed by `)`.
fn cond(t: &[Tok], mut i: usize) -> Option<(Cond, usize)> {
    let mut negated = false;
    if t.get(i) == Some(&Tok::P('!')) {
        negated = true;
        i += 1;
    }
    let net = match t.get(i) {
        Some(Tok::Id(n)) => n.clone(),
        _ => return None,
    };
    i += 1;
    let mut bit = None;
    if t.get(i) == Some(&Tok::P('[')) {
        match (t.get(i + 1), t.get(i + 2)) {
            (Some(Tok::Other(v)), Some(Tok::P(']'))) => {
                bit = Some(v.parse().ok()?);
                i += 3;
            }
            _ => return None,
        }
    }
    if t.get(i) != Some(&Tok::P(')')) {
        return None;
    }
    Some((Cond { net, bit, negated }, i + 1))
}

/// One statement from token `i`: (when it assigns, next token).
fn statement(t: &[Tok], i: usize) -> Option<(Clocked, usize)> {
    match t.get(i) {
        Some(Tok::Id(k)) if k == "if" => {
            if t.get(i + 1) != Some(&Tok::P('(')) {
                return None;
            }
            let parsed = cond(t, i + 2);
            let (c, j) = match parsed {
                Some(x) => x,
                None => {
                    // an expression this reader does not parse: skip to the matching ')'
                    let mut depth = 0i32;
                    let mut j = i + 1;
                    loop {
                        match t.get(j)? {
                            Tok::P('(') => depth += 1,
                            Tok::P(')') => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                        j += 1;
                    }
                    let (_, k) = statement(t, j + 1)?;
                    let k = if matches!(t.get(k), Some(Tok::Id(e)) if e == "else") { statement(t, k + 1)?.1 } else { k };
                    return Some((Clocked::Unknown, k));
                }
            };
            let (a, k) = statement(t, j)?;
            if matches!(t.get(k), Some(Tok::Id(e)) if e == "else") {
                let (b, k2) = statement(t, k + 1)?;
                Some((Clocked::If(c, Box::new(a), Box::new(b)), k2))
            } else {
                Some((Clocked::If(c, Box::new(a), Box::new(Clocked::Never)), k))
            }
        }
        Some(_) => {
            // an assignment: up to its ';', with a '<=' in it
            let mut j = i;
            let mut seen = false;
            while let Some(tok) = t.get(j) {
                match tok {
                    Tok::Le => seen = true,
                    Tok::P(';') => break,
                    Tok::Id(k) if k == "if" || k == "else" || k == "always" => return None,
                    _ => {}
                }
                j += 1;
            }
            if seen && t.get(j).is_some() {
                Some((Clocked::Always, j + 1))
            } else {
                None
            }
        }
        None => None,
    }
}

/// The netlist without the memory macro's behavioural model (`module tcgen_ram` ...
/// `endmodule`, appended for simulation): a macro, not flops.
fn without_ram_models(netlist: &str) -> String {
    let mut out = String::with_capacity(netlist.len());
    let mut rest = netlist;
    while let Some(i) = rest.find("module tcgen_ram") {
        out.push_str(&rest[..i]);
        match rest[i..].find("endmodule") {
            Some(j) => rest = &rest[i + j + "endmodule".len()..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    out
}

/// The flops of yosys's generic netlist and their clock conditions (the memory
/// macros' behavioural models left out).
pub fn flop_enables(netlist: &str) -> FlopEnables {
    const KEY: &str = "always @(posedge clock)";
    let mut e = FlopEnables::default();
    let mut groups: BTreeMap<Clocked, u64> = BTreeMap::new();
    let netlist = without_ram_models(netlist);
    for part in netlist.split(KEY).skip(1) {
        e.flops += 1;
        // the statement ends before the next declaration; enough text for one flop
        let end = part.find("\n  always").or_else(|| part.find("\n  assign")).or_else(|| part.find("endmodule")).unwrap_or(part.len());
        let t = tokens(&part[..end]);
        match statement(&t, 0) {
            Some((c, _)) if c.always() => {
                e.ungated += 1;
                if c == Clocked::Unknown {
                    e.unparsed += 1;
                }
            }
            Some((c, _)) => *groups.entry(c).or_default() += 1,
            None => {
                e.ungated += 1;
                e.unparsed += 1;
            }
        }
    }
    for (c, n) in groups {
        if n >= MIN_GATED_FLOPS {
            e.groups.push((c, n));
        } else {
            e.ungated += n;
        }
    }
    e
}

/// A netlist's flops and the measured clock duty with gating.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ClockGating {
    pub flops: u64,
    pub ungated_flops: u64,
    pub gated_flops: u64,
    /// Clock gates (one per distinct gated condition).
    pub gates: u64,
    /// Mean clock duty of the gated flops (upper bound).
    pub gated_duty: f64,
    /// Mean clock duty of all flops: their clock energy with gating over without.
    pub duty: f64,
    /// Mean clock duty of the gates' outputs (each gate's duty, unweighted).
    pub gate_duty: f64,
    /// Condition nets watched, and how many of them the simulation did not have
    /// (their flops counted as clocked every cycle).
    pub watched: u64,
    pub unresolved: u64,
    /// Flop statements this reader could not parse (counted ungated).
    pub unparsed: u64,
    /// Rising edges of the run the duties come from.
    pub edges: u64,
}

impl FlopEnables {
    /// Duties from the watch counts: `counts[i]` = edges at which `watch_list()[i]` was
    /// 1 (None: not found in the simulation).
    pub fn measure(&self, edges: u64, counts: &[Option<u64>]) -> ClockGating {
        let list = self.watch_list();
        let mut prob: BTreeMap<(String, Option<u32>), Option<f64>> = BTreeMap::new();
        for (c, n) in list.iter().zip(counts.iter().chain(std::iter::repeat(&None))) {
            prob.insert((c.net.clone(), c.bit), n.map(|n| if edges > 0 { n as f64 / edges as f64 } else { 1.0 }));
        }
        let p = |c: &Cond| prob.get(&(c.net.clone(), c.bit)).copied().flatten();
        let mut g = ClockGating {
            flops: self.flops,
            ungated_flops: self.ungated,
            watched: list.len() as u64,
            unresolved: counts.iter().filter(|c| c.is_none()).count() as u64 + list.len().saturating_sub(counts.len()) as u64,
            unparsed: self.unparsed,
            edges,
            ..Default::default()
        };
        let mut sum = 0.0;
        let mut gate_sum = 0.0;
        for (c, n) in &self.groups {
            let d = c.duty(&p);
            g.gated_flops += n;
            g.gates += 1;
            sum += d * *n as f64;
            gate_sum += d;
        }
        g.gated_duty = if g.gated_flops > 0 { sum / g.gated_flops as f64 } else { 0.0 };
        g.duty = if g.flops > 0 { (g.ungated_flops as f64 + sum) / g.flops as f64 } else { 1.0 };
        g.gate_duty = if g.gates > 0 { gate_sum / g.gates as f64 } else { 0.0 };
        g
    }
}

impl FlopEnables {
    /// This netlist's flops at the duties measured on another netlist of the same block
    /// (`m`, e.g. a smaller configuration's): its gated flops at `m.gated_duty`, its
    /// gates at `m.gate_duty`.
    pub fn at_duties_of(&self, m: &ClockGating) -> ClockGating {
        let gated: u64 = self.groups.iter().map(|g| g.1).sum();
        ClockGating {
            flops: self.flops,
            ungated_flops: self.ungated,
            gated_flops: gated,
            gates: self.groups.len() as u64,
            gated_duty: m.gated_duty,
            duty: if self.flops > 0 { (self.ungated as f64 + m.gated_duty * gated as f64) / self.flops as f64 } else { 1.0 },
            gate_duty: m.gate_duty,
            watched: 0,
            unresolved: 0,
            unparsed: self.unparsed,
            edges: m.edges,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NETLIST: &str = r#"
module m(clock, reset, a, q);
  always @(posedge clock)
    if (reset) nb[0] <= 1'h0;
    else nb[0] <= rem[0];
  always @(posedge clock)
    if (reset) rng[1] <= 1'h1;
    else if (_0005_) rng[1] <= n_rng[1];
  always @(posedge clock)
    if (reset) rng[2] <= 1'h1;
    else if (_0005_) rng[2] <= n_rng[2];
  always @(posedge clock)
    if (_00015_) \acc_vmac3[0] [1] <= a_0_vmac3[1];
  always @(posedge clock)
    if (_00015_) \acc_vmac3[0] [2] <= a_0_vmac3[2];
  always @(posedge clock)
    if (_00015_) \acc_vmac3[0] [3] <= a_0_vmac3[3];
  always @(posedge clock)
    if (reset) rng[3] <= 1'h1;
    else if (_0005_) rng[3] <= n_rng[3];
  always @(posedge clock)
    if (en[2]) if (!_0007_) x <= 1'h0; else x <= y;
  always @(posedge clock)
    y <= z;
  assign q = y;
endmodule
"#;

    #[test]
    fn reads_enables_and_resets() {
        let e = flop_enables(NETLIST);
        assert_eq!(e.flops, 9);
        // plain sync reset and a plain flop: clocked every cycle; x alone behind its
        // condition: fewer than MIN_GATED_FLOPS, not gated
        assert_eq!(e.ungated, 3);
        assert_eq!(e.unparsed, 0);
        // rng[1..3] share a condition, acc[1..3] another: one gate each
        assert_eq!(e.groups.len(), 2);
        assert_eq!(e.groups.iter().map(|g| g.1).collect::<Vec<_>>(), [3, 3]);
        let w: Vec<String> = e.watch_list().iter().map(|c| format!("{}{}", c.net, c.bit.map(|b| format!("[{b}]")).unwrap_or_default())).collect();
        assert_eq!(w, ["_00015_", "_0005_", "reset"]);
        // the lone flop's condition as read
        let one = flop_enables("  always @(posedge clock)\n    if (en[2]) if (!_0007_) x <= 1'h0; else x <= y;\nendmodule\n");
        assert_eq!(one.ungated, 1, "a single flop is not gated");
    }

    #[test]
    fn duty_bounds() {
        let e = flop_enables(NETLIST);
        let list = e.watch_list();
        // 100 edges: _0005_ 30, _00015_ 10, reset 2
        let n = |net: &str| match net {
            "_0005_" => 30,
            "_00015_" => 10,
            "reset" => 2,
            _ => unreachable!(),
        };
        let counts: Vec<Option<u64>> = list.iter().map(|c| Some(n(&c.net))).collect();
        let g = e.measure(100, &counts);
        assert_eq!((g.flops, g.ungated_flops, g.gated_flops, g.gates, g.unresolved), (9, 3, 6, 2, 0));
        // rng: reset 0.02 + _0005_ 0.30 (union bound) = 0.32 each; acc 0.10
        let want = (3.0 + 0.32 * 3.0 + 0.10 * 3.0) / 9.0;
        assert!((g.duty - want).abs() < 1e-12, "{} vs {want}", g.duty);
        assert!((g.gate_duty - 0.21).abs() < 1e-12 && (g.gated_duty - 0.21).abs() < 1e-12, "{g:?}");
        // an unresolved condition: its flops clocked every cycle
        let mut c2 = counts.clone();
        let i = list.iter().position(|c| c.net == "_00015_").unwrap();
        c2[i] = None;
        let g2 = e.measure(100, &c2);
        assert_eq!(g2.unresolved, 1);
        assert!((g2.duty - (3.0 + 0.96 + 3.0) / 9.0).abs() < 1e-12);
        // a negated condition: clocked when the net is 0
        let neg = flop_enables("  always @(posedge clock)\n    if (!a) q <= d;\n  always @(posedge clock)\n    if (!a) q2 <= d;\n  always @(posedge clock)\n    if (!a) q3 <= d;\nendmodule\n");
        assert!((neg.measure(10, &[Some(3)]).duty - 0.7).abs() < 1e-12);
        // another netlist of the block at these duties
        let at = e.at_duties_of(&g);
        assert_eq!((at.flops, at.gated_flops, at.gates), (9, 6, 2));
        assert!((at.duty - g.duty).abs() < 1e-12 && at.gate_duty == g.gate_duty);
    }

    #[test]
    fn memory_macro_models_are_not_flops() {
        let ram = "module tcgen_ram #(parameter W = 32, parameter A = 4) (input clock);\n    always @(posedge clock) begin\n        if (we) mem[wa] <= wd;\n        if (re) rd_r <= mem[ra];\n    end\nendmodule\n";
        let e = flop_enables(&format!("{NETLIST}{ram}"));
        assert_eq!((e.flops, e.unparsed), (9, 0));
    }

    #[test]
    fn unknown_conditions_count_as_always() {
        let three = "  always @(posedge clock)\n    if (e) q2 <= d;\n".repeat(3);
        let e = flop_enables(&format!("  always @(posedge clock)\n    if (a & b) q <= d;\n{three}endmodule\n"));
        assert_eq!((e.flops, e.ungated, e.unparsed, e.groups.len()), (4, 1, 1, 1));
    }
}
