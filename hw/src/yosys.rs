//! yosys synthesis of a generated module: generic `synth -top NAME; stat` (cells by
//! type), optionally mapped onto a liberty (ASAP7) for area and NAND2 equivalents.
//! [`synth_cached`] keeps results per hash of (Verilog, liberty, yosys version): the
//! default config's transform blocks take tens of minutes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What yosys reported.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Synth {
    pub module: String,
    /// Cells of the generic netlist (`synth; stat`).
    pub generic_cells: u64,
    /// The generic netlist's cells by type (`$_AND_`, `$_SDFFE_PP0P_`, ...).
    pub generic_by_type: BTreeMap<String, u64>,
    /// The mapped netlist's cells by liberty cell name.
    pub mapped_by_type: BTreeMap<String, u64>,
    /// With a liberty: mapped cells, area (um2) and NAND2x1 equivalents.
    pub mapped_cells: Option<u64>,
    pub area_um2: Option<f64>,
    pub nand2_eq: Option<f64>,
    /// Flip-flops of the mapped netlist (cells whose name starts with DFF).
    pub flops: Option<u64>,
    pub seconds: f64,
}

/// Area of ASAP7's NAND2x1 in um2 (the NAND2-equivalent unit).
pub const ASAP7_NAND2_UM2: f64 = 0.08748;

/// The generic synthesis command: yosys's `synth` with `-flatten` (blocks that
/// instantiate others, `syn_dec` holding `res_dec`, are counted whole), `-noalumacc`
/// and `-nofsm`. Those two were adopted when gate-level cosimulations of `inv_tq` and
/// `res_dec` failed with them on, blamed on yosys 0.23; on 2026-12-07 the failures
/// (and the same kind with `wreduce` at TU 8, and in `satd` with any flow) turned out
/// to be Verilator 5.006 mis-simulating the netlists at `-O3` (see
/// `sim::model::build`: netlists are verilated at `-O0` now, and every block's netlist
/// from yosys's plain `synth -flatten` matches golden/). They stay so that the area
/// figures keep one flow across sessions: at P = 1, TU 8 the plain script gives within
/// -2.7%..+3.1% of these (`res_dec` +2.6%, one-hot state flops; `intra_pred` +3.1%;
/// `cabac_dec` -2.7%). Every netlist is checked against golden/ at gate level.
pub fn synth_cmd(name: &str) -> String {
    format!("synth -top {name} -flatten -noalumacc -nofsm")
}

fn by_type(text: &str) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    let mut on = false;
    for l in text.lines() {
        if l.trim().starts_with("Number of cells:") {
            on = true;
            m.clear();
            continue;
        }
        let mut it = l.split_whitespace();
        match (on, it.next(), it.next(), it.next()) {
            (true, Some(c), Some(n), None) => {
                if let Ok(n) = n.parse::<u64>() {
                    m.insert(c.to_string(), n);
                }
            }
            (true, None, _, _) => {}
            _ => on = false,
        }
    }
    m
}

fn stat_cells(text: &str) -> Option<u64> {
    text.lines().filter_map(|l| l.trim().strip_prefix("Number of cells:")).last().and_then(|v| v.trim().parse().ok())
}

/// The ABC command of the liberty mapping: `abc`, except `abc -fast` for `satd` and the
/// encoder core that holds it (flattened), on whose Hadamard/absolute-value datapath
/// the default script's SAT sweeping (`&fraig -x`, `scorr`) ran for over ten minutes
/// (the fast script maps it in seconds).
pub fn abc_cmd(name: &str) -> &'static str {
    if name == "satd" || name == "enc_core" {
        "abc -fast"
    } else {
        "abc"
    }
}

/// Synthesize `verilog` (module `name`) with yosys; `liberty` maps it onto cells.
pub fn synth(name: &str, verilog: &str, liberty: Option<&Path>, workdir: &Path) -> Result<Synth, String> {
    synth_run(name, verilog, liberty, workdir, None)
}

/// [`synth`], also writing the generic netlist to `gates` as [`generic_netlist`] does
/// (from a copy of the design: the liberty mapping that follows is unchanged).
fn synth_run(name: &str, verilog: &str, liberty: Option<&Path>, workdir: &Path, gates: Option<&Path>) -> Result<Synth, String> {
    std::fs::create_dir_all(workdir).map_err(|e| e.to_string())?;
    let v = workdir.join(format!("{name}.v"));
    std::fs::write(&v, verilog).map_err(|e| e.to_string())?;
    let generic = workdir.join("generic.stat");
    let mapped = workdir.join("mapped.stat");
    let mut script = format!("read_verilog -sv {}; {}; tee -q -o {} stat;", v.display(), synth_cmd(name), generic.display());
    if let Some(g) = gates {
        script += &format!(" design -save tcgen_generic; {GATES_CMD} {}; design -load tcgen_generic;", g.display());
    }
    if let Some(lib) = liberty {
        let l = lib.display();
        script += &format!(" dfflibmap -liberty {l}; {} -liberty {l}; opt_clean; tee -q -o {} stat -liberty {l};", abc_cmd(name), mapped.display());
    }
    let yosys = crate::common::tool("yosys")?;
    let t = std::time::Instant::now();
    let out = Command::new(yosys).args(["-q", "-p", &script]).output().map_err(|e| format!("yosys: {e}"))?;
    if !out.status.success() {
        return Err(format!("yosys failed on {name}:\n{}", String::from_utf8_lossy(&out.stderr)));
    }
    let g = std::fs::read_to_string(&generic).map_err(|e| e.to_string())?;
    let generic_cells = stat_cells(&g).ok_or("no cell count in yosys stat")?;
    let generic_by_type = by_type(&g);
    let mut mapped_by_type = BTreeMap::new();
    let (mut mapped_cells, mut area, mut flops) = (None, None, None);
    if liberty.is_some() {
        let m = std::fs::read_to_string(&mapped).map_err(|e| e.to_string())?;
        mapped_by_type = by_type(&m);
        mapped_cells = stat_cells(&m);
        area = m.lines().filter_map(|l| l.trim().strip_prefix("Chip area for module")).last().and_then(|l| l.rsplit(':').next()).and_then(|v| v.trim().parse::<f64>().ok());
        flops = Some(
            m.lines()
                .filter_map(|l| {
                    let mut it = l.split_whitespace();
                    match (it.next(), it.next()) {
                        (Some(c), Some(n)) if c.starts_with("DFF") || c.starts_with("DHL") || c.starts_with("DLL") => n.parse::<u64>().ok(),
                        _ => None,
                    }
                })
                .sum(),
        );
    }
    Ok(Synth {
        module: name.into(),
        generic_cells,
        generic_by_type,
        mapped_by_type,
        mapped_cells,
        area_um2: area,
        nand2_eq: area.map(|a| a / ASAP7_NAND2_UM2),
        flops,
        seconds: t.elapsed().as_secs_f64(),
    })
}

/// yosys reads and elaborates a module without synthesizing it (`hierarchy -check`,
/// `proc`, `flatten`): seconds where a whole core's synthesis takes minutes. Returns the
/// flattened design's coarse cells by type (`$add`, `$dff`, `$memrd`, and the black
/// boxes such as `tcgen_ram`). It proves yosys accepts every construct of the Verilog
/// and resolves every instance.
pub fn elaborate(name: &str, verilog: &str, workdir: &Path) -> Result<BTreeMap<String, u64>, String> {
    std::fs::create_dir_all(workdir).map_err(|e| e.to_string())?;
    let v = workdir.join(format!("{name}.v"));
    std::fs::write(&v, verilog).map_err(|e| e.to_string())?;
    let stat = workdir.join("elaborated.stat");
    let script = format!("read_verilog -sv {}; hierarchy -check -top {name}; proc; flatten; opt_clean; tee -q -o {} stat", v.display(), stat.display());
    let yosys = crate::common::tool("yosys")?;
    let out = Command::new(yosys).args(["-q", "-p", &script]).output().map_err(|e| format!("yosys: {e}"))?;
    if !out.status.success() {
        return Err(format!("yosys failed to elaborate {name}:\n{}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(by_type(&std::fs::read_to_string(&stat).map_err(|e| e.to_string())?))
}

/// The generic gate-level netlist of a module (`synth -top NAME; write_verilog
/// -noattr`): the same ports as the RTL, simple gates as expressions and flops as
/// always blocks, so Verilator simulates it with the RTL's testbench (gate-level
/// activity for the energy model, and a check of synthesis against golden/).
pub fn generic_netlist(name: &str, verilog: &str, workdir: &Path) -> Result<crate::GeneratedModule, String> {
    std::fs::create_dir_all(workdir).map_err(|e| e.to_string())?;
    let v = workdir.join(format!("{name}.rtl.v"));
    let n = workdir.join(format!("{name}.gates.v"));
    std::fs::write(&v, verilog).map_err(|e| e.to_string())?;
    let script = format!("read_verilog -sv {}; {}; {GATES_CMD} {}", v.display(), synth_cmd(name), n.display());
    let yosys = crate::common::tool("yosys")?;
    let out = Command::new(yosys).args(["-q", "-p", &script]).output().map_err(|e| format!("yosys: {e}"))?;
    if !out.status.success() {
        return Err(format!("yosys failed on {name}:\n{}", String::from_utf8_lossy(&out.stderr)));
    }
    gates_module(name, verilog, &n)
}

/// What turns the generic design into the netlist [`generic_netlist`] returns.
const GATES_CMD: &str = "opt_clean -purge; write_verilog -noattr";

/// A written generic netlist as a module Verilator simulates (`sim` recognizes it by
/// yosys's header line and verilates it at -O0, `sim::model::build`).
fn gates_module(name: &str, verilog: &str, netlist: &Path) -> Result<crate::GeneratedModule, String> {
    let mut text = std::fs::read_to_string(netlist).map_err(|e| e.to_string())?;
    // memory macros stay black boxes in the netlist: simulate them behaviourally
    if verilog.contains("module tcgen_ram") {
        text.push_str(&crate::common::ram_module());
    }
    Ok(crate::GeneratedModule { name: name.into(), verilog: text })
}

/// Generic netlists larger than this are not kept in the synthesis cache: about
/// 200,000 cells (a netlist takes about 60 bytes per cell: 0.9 MB for `fwd_tq`'s
/// 16,026 cells at P 1, TU 4).
pub const CACHED_GATES_MAX_BYTES: u64 = 12_000_000;

/// Cache key of the generic netlist: (module name, Verilog, yosys version, flow).
fn gates_key(name: &str, verilog: &str) -> Result<u64, String> {
    Ok(fnv(&[name, verilog, &version()?, &synth_cmd(name), GATES_CMD]))
}

fn fnv(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0xffu8]) {
            h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    h
}

/// [`generic_netlist`], read from `cache` where a synthesis run of the same Verilog
/// kept it ([`synth_cached_keeping_gates`]) and kept there otherwise (up to
/// [`CACHED_GATES_MAX_BYTES`]).
pub fn generic_netlist_cached(name: &str, verilog: &str, workdir: &Path, cache: &Path) -> Result<crate::GeneratedModule, String> {
    let file = cache.join(format!("{name}-{:016x}.gates.v", gates_key(name, verilog)?));
    if file.is_file() {
        return gates_module(name, verilog, &file);
    }
    let m = generic_netlist(name, verilog, workdir)?;
    keep(&workdir.join(format!("{name}.gates.v")), &file)?;
    Ok(m)
}

/// Copy the netlist `from` into the cache as `to` (through a temporary name: tests fill
/// the cache side by side), unless it is larger than [`CACHED_GATES_MAX_BYTES`].
fn keep(from: &Path, to: &Path) -> Result<(), String> {
    if std::fs::metadata(from).map_err(|e| e.to_string())?.len() > CACHED_GATES_MAX_BYTES {
        return Ok(());
    }
    let dir = to.parent().ok_or("cache path")?;
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let tmp = dir.join(format!(".{}-{}-{:?}", to.file_name().unwrap_or_default().to_string_lossy(), std::process::id(), std::thread::current().id()));
    std::fs::copy(from, &tmp).map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, to).map_err(|e| e.to_string())
}

/// yosys's version line (part of the cache key).
pub fn version() -> Result<String, String> {
    let y = crate::common::tool("yosys")?;
    let out = Command::new(y).arg("-V").output().map_err(|e| format!("yosys: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// [`synth`], with the result kept under `cache` per hash of (module name, Verilog,
/// liberty file name and size, yosys version, flow); `workdir` holds the run's files.
/// The liberty is keyed by name and size, not path, so that every test and the report
/// share results for the same unpacked library.
pub fn synth_cached(name: &str, verilog: &str, liberty: Option<&Path>, workdir: &Path, cache: &Path) -> Result<Synth, String> {
    synth_cached_run(name, verilog, liberty, workdir, cache, false)
}

/// [`synth_cached`] that also keeps the generic netlist in `cache` (up to
/// [`CACHED_GATES_MAX_BYTES`]), where [`generic_netlist_cached`] finds it: the
/// gate-level runs then skip a second synthesis.
pub fn synth_cached_keeping_gates(name: &str, verilog: &str, liberty: Option<&Path>, workdir: &Path, cache: &Path) -> Result<Synth, String> {
    synth_cached_run(name, verilog, liberty, workdir, cache, true)
}

fn synth_cached_run(name: &str, verilog: &str, liberty: Option<&Path>, workdir: &Path, cache: &Path, keep_gates: bool) -> Result<Synth, String> {
    let h = fnv(&[name, verilog, &liberty.map(liberty_key).unwrap_or_default(), &version()?, &synth_cmd(name)]);
    cached_json(&cache.join(format!("{name}-{h:016x}.json")), || {
        let gates = workdir.join(format!("{name}.gates.v"));
        let s = synth_run(name, verilog, liberty, workdir, keep_gates.then_some(gates.as_path()))?;
        if keep_gates {
            keep(&gates, &cache.join(format!("{name}-{:016x}.gates.v", gates_key(name, verilog)?)))?;
        }
        Ok(s)
    })
}

/// A liberty's part of a cache key: its file name and size, not its path, so that every
/// test and the report share results for the same unpacked library.
fn liberty_key(l: &Path) -> String {
    format!("{}:{}", l.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(), std::fs::metadata(l).map(|m| m.len()).unwrap_or(0))
}

/// The result kept as JSON in `file`, or `compute`d and kept there (written through a
/// temporary name: tests fill the cache side by side).
fn cached_json<T: serde::Serialize + serde::de::DeserializeOwned>(file: &Path, compute: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    if let Ok(text) = std::fs::read_to_string(file) {
        if let Ok(s) = serde_json::from_str::<T>(&text) {
            return Ok(s);
        }
    }
    let s = compute()?;
    let dir = file.parent().ok_or("cache path")?;
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let tmp = dir.join(format!(".{}-{}-{:?}", file.file_name().unwrap_or_default().to_string_lossy(), std::process::id(), std::thread::current().id()));
    std::fs::write(&tmp, serde_json::to_string_pretty(&s).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, file).map_err(|e| e.to_string())?;
    Ok(s)
}

/// The ASAP7 liberty of ../shared, unpacked once under `cache` (None when absent).
pub fn asap7_liberty(cache: &Path) -> Option<PathBuf> {
    let xz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/asap7/asap7sc7p5t_RVT_TT_merged.lib.xz");
    if !xz.is_file() {
        return None;
    }
    let lib = cache.join("asap7sc7p5t_RVT_TT_merged.lib");
    if lib.is_file() {
        return Some(lib);
    }
    std::fs::create_dir_all(cache).ok()?;
    // per process and thread: tests in one binary unpack it side by side
    let thread = format!("{:?}", std::thread::current().id()).chars().filter(|c| c.is_ascii_digit()).collect::<String>();
    let tmp = cache.join(format!(".lib-{}-{thread}", std::process::id()));
    let out = Command::new("xz").arg("-dc").arg(&xz).output().ok()?;
    if !out.status.success() {
        return None;
    }
    std::fs::write(&tmp, &out.stdout).ok()?;
    if std::fs::rename(&tmp, &lib).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    lib.is_file().then_some(lib)
}

/// A critical-path estimate of a module mapped onto a liberty ([`timing`]).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Timing {
    pub module: String,
    /// Arrival time at the end of the longest path of the mapped logic, ps: from a
    /// register output, memory-macro output or input port (time 0) to a register
    /// input or output port. No clock-to-q, setup or wire delay.
    pub delay_ps: f64,
    /// Cells on that path (`stime -p`'s Path 0 is its start point, not a cell).
    pub cells: u32,
    /// The delay target given to the mapper and sizer, ps.
    pub target_ps: f64,
    pub seconds: f64,
}

impl Timing {
    /// The clock this logic delay alone allows, MHz (an upper bound: registers and
    /// wires come on top).
    pub fn fmax_mhz(&self) -> f64 {
        1e6 / self.delay_ps
    }
}

/// The ABC script of [`timing`]: delay-oriented mapping (`&nf`) to the target, then
/// buffering of high fanout, gate up- and down-sizing, and `stime -p` (the critical
/// path with the liberty's delay tables). `{D}` is yosys's placeholder for `-D`.
pub const TIMING_SCRIPT: &str = "+strash;&get,-n;&dch,-f;&nf,{D};&put;buffer,-p;upsize,{D};dnsize,{D};topo;stime,-p";

/// Critical-path estimate of `verilog` (module `name`) on `liberty`: the generic
/// synthesis of [`synth`], `dfflibmap`, then ABC with [`TIMING_SCRIPT`] at a target of
/// `target_ps`; the result is ABC's static timing of the mapped, buffered and sized
/// combinational logic between registers (the last `Path` line of `stime -p`). An
/// estimate, not sign-off: no wires, no clock tree, no setup or clock-to-q, memory
/// macro outputs arrive at time 0.
pub fn timing(name: &str, verilog: &str, liberty: &Path, workdir: &Path, target_ps: f64) -> Result<Timing, String> {
    std::fs::create_dir_all(workdir).map_err(|e| e.to_string())?;
    let v = workdir.join(format!("{name}.v"));
    std::fs::write(&v, verilog).map_err(|e| e.to_string())?;
    let l = liberty.display();
    let script = format!(
        "read_verilog -sv {}; {}; dfflibmap -liberty {l}; abc -D {} -liberty {l} -script {TIMING_SCRIPT}",
        v.display(),
        synth_cmd(name),
        target_ps.round() as u64
    );
    let yosys = crate::common::tool("yosys")?;
    let t = std::time::Instant::now();
    let out = Command::new(yosys).args(["-p", &script]).output().map_err(|e| format!("yosys: {e}"))?;
    let log = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let tail: Vec<&str> = log.lines().rev().take(5).collect();
        return Err(format!("yosys/abc timing failed on {name}: {}\n{}", String::from_utf8_lossy(&out.stderr), tail.into_iter().rev().collect::<Vec<_>>().join("\n")));
    }
    parse_stime(name, &log, target_ps, t.elapsed().as_secs_f64())
}

/// The last critical-path report of ABC's `stime -p` in a yosys log: lines
/// `ABC: Path  N --  node : fanin fanout CELL  A = .. Df = DELAY  slack ps ...`.
fn parse_stime(name: &str, log: &str, target_ps: f64, seconds: f64) -> Result<Timing, String> {
    let mut last = None;
    for l in log.lines() {
        let Some(rest) = l.trim().strip_prefix("ABC: Path") else { continue };
        let Some((n, tail)) = rest.split_once("--") else { continue };
        let Ok(n) = n.trim().parse::<u32>() else { continue };
        let Some(df) = tail.split("Df =").nth(1) else { continue };
        let Some(d) = df.split_whitespace().next().and_then(|d| d.parse::<f64>().ok()) else { continue };
        last = Some((n, d));
    }
    let (n, d) = last.ok_or_else(|| format!("no critical path in ABC's report for {name} (stime -p printed no Path lines)"))?;
    Ok(Timing { module: name.into(), delay_ps: d, cells: n, target_ps, seconds })
}

/// Part of [`timing_cached`]'s key: results kept by an earlier reading of `stime -p`
/// (which counted its start point as a cell) are not reused.
const TIMING_RESULT_VERSION: &str = "timing-2";

/// [`timing`], kept under `cache` per hash of (module name, Verilog, liberty name and
/// size, yosys version, flow, target).
pub fn timing_cached(name: &str, verilog: &str, liberty: &Path, workdir: &Path, cache: &Path, target_ps: f64) -> Result<Timing, String> {
    let h = fnv(&[name, verilog, &liberty_key(liberty), &version()?, &synth_cmd(name), TIMING_SCRIPT, &format!("{target_ps}"), TIMING_RESULT_VERSION]);
    cached_json(&cache.join(format!("{name}-{h:016x}.timing.json")), || timing(name, verilog, liberty, workdir, target_ps))
}

#[cfg(test)]
mod timing_tests {
    #[test]
    fn stime_report_is_parsed() {
        let log = "ABC: Path  0 --       5 : 0    3 pi  A =   0.00  Df =   0.0   -0.0 ps  S =   0.0 ps  Cin =  0.0 ff  Cout =   2.2 ff  Cmax =   0.0 ff  G =    0  \n\
ABC: Path  1 --    1399 : 3    1 AOI21x1_ASAP7_75t_R A =   0.12  Df = 960.6  -53.4 ps  S =  20.1 ps\n\
ABC: Start-point = pi1 (x).  End-point = po2 (y).\n";
        let t = super::parse_stime("x", log, 1000.0, 0.0).unwrap();
        assert_eq!((t.delay_ps, t.cells), (960.6, 1));
        assert!(super::parse_stime("x", "nothing", 1000.0, 0.0).is_err());
    }
}
