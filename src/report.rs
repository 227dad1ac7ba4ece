//! `tcgen report`: the area-energy report (report.json, report.md, SVG plots).
//!
//! Measures, then models: yosys synthesis of every generated block (cached), Verilator
//! cosimulation with toggle counts on blocks of the input tensor (action counts),
//! golden/'s hardware strategy for bins/value and bits/value at several QPs; then the
//! area_energy models (NAND2 path and liberty-mapped area, liberty energy, cycle model,
//! sizing, full-video-codec reference).

use crate::{git_hash, load_params, synth_cache, tool_version, write_atomic, CodecArgs};
use anyhow::{anyhow, Context, Result};
use area_energy::{area, cycle, energy, reference, sizing};
use clap::Args;
use golden::config::StrategyKind;
use golden::pipeline::{self, RateTarget};
use plotters::prelude::*;
use serde::Serialize;
use serde_json::json;
use std::path::PathBuf;

#[derive(Args, Clone)]
pub struct ReportArgs {
    /// Configuration file (TOML); missing fields take the embedded defaults.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Liberty for cell mapping and power tables (default: ../shared/asap7 when present and --node asap7).
    #[arg(long)]
    pub liberty: Option<PathBuf>,
    /// NAND2 path only (no liberty), area and energy from the node tables.
    #[arg(long)]
    pub no_liberty: bool,
    /// Node of the NAND2 path and of the comparisons: asap7, nangate45, sky130.
    #[arg(long, default_value = "asap7")]
    pub node: String,
    /// Tensor for activity and bits/value (.npy, .safetensors or a built-in).
    #[arg(long, default_value = "@minilm")]
    pub input: String,
    /// Tensor blocks per TU size (transform blocks) and random units (CABAC) simulated for toggles.
    #[arg(long, default_value_t = 2000)]
    pub vectors: u64,
    /// QPs of the bits/value sweep (the config's QP is the operating point).
    #[arg(long, value_delimiter = ',', default_value = "17,22,27,32,37")]
    pub qps: Vec<u8>,
    /// Largest generic netlist (cells) simulated at gate level for activity; larger blocks
    /// use their RTL toggle rate times the gate/RTL ratio measured on the same block at
    /// P=1, TU 4.
    #[arg(long, default_value_t = 60_000)]
    pub gate_level_max_cells: u64,
    /// Activity of the logic: `gate` (gate-level simulation, the default) or `rtl` (the RTL
    /// signals' rate only: fast, and low by the gate/RTL ratios the README lists).
    #[arg(long, default_value = "gate", value_parser = ["gate", "rtl"])]
    pub activity: String,
    /// Output directory.
    #[arg(long, default_value = "target/tcgen-report")]
    pub out: PathBuf,
    /// Compile the Verilator models at -O0: builds about a third shorter, simulation
    /// slower (for short runs, such as the CI test's).
    #[arg(long)]
    pub quick_build: bool,
    /// Also synthesize the cores' other parts (decoder: syn_dec with its res_dec, recon;
    /// encoder: syn_enc with its res_enc and cabac_enc, search, satd, sdh, recon), so
    /// that the whole-core rows count every part's logic, and run the whole cores in
    /// Verilator on the operating point's stream to count their memory macros' accesses
    /// (the cores' memory energy). Minutes of yosys and Verilator more the first time
    /// (cached); `tcgen run` sets it.
    #[arg(long)]
    pub core_parts: bool,
    /// Also estimate every counted part's critical path on the liberty (`tcgen synth
    /// --timing`: ABC's static timing, no wires or register overhead) and size the whole
    /// cores again at the clock their slowest part allows (at most `rtl.clock_mhz`).
    /// Needs a liberty; about as long as the parts' synthesis the first time (cached).
    #[arg(long)]
    pub timing: bool,
}

/// A timed part: `hw::yosys::Timing` and the clock its logic allows.
#[derive(Serialize)]
struct TimedPart {
    #[serde(flatten)]
    timing: hw::yosys::Timing,
    fmax_mhz: f64,
}

/// The timing estimates of a report (`--timing`).
#[derive(Serialize)]
struct TimingSection {
    parts: Vec<TimedPart>,
    /// The clock the decoder and encoder cores' slowest counted part allows, capped at
    /// `rtl.clock_mhz` (None: no such core in this configuration).
    decoder_clock_mhz: Option<f64>,
    encoder_clock_mhz: Option<f64>,
    how: &'static str,
}

/// The modules whose logic a whole core's area row counts (as `dec_core_row` /
/// `enc_core_row` pick them).
fn counted_parts(core: &str, core_parts: bool, p: &golden::Params) -> Vec<&'static str> {
    let v: &[&str] = match (core, core_parts) {
        ("decoder", true) => &["syn_dec", "recon", "inv_tq", "intra_pred"],
        ("decoder", false) => &["res_dec", "inv_tq", "intra_pred"],
        (_, true) => &["syn_enc", "search", "satd", "sdh", "recon", "fwd_tq", "inv_tq", "intra_pred"],
        (_, false) => &["fwd_tq", "inv_tq", "intra_pred", "cabac_enc"],
    };
    // an encoder core for a single mode has no satd (hw::enc_core::has_satd)
    v.iter().copied().filter(|n| *n != "satd" || hw::enc_core::has_satd(p)).collect()
}

/// Where a block's logic activity comes from.
#[derive(Serialize, Clone)]
struct ActivitySource {
    /// Mean transitions per bit per cycle of the RTL's signals (`sim::Model::toggles`).
    rtl_toggle_rate: f64,
    /// Same over the nets of yosys's generic netlist simulated at gate level.
    gate_toggle_rate: Option<f64>,
    /// The rate used for logic switching.
    used: f64,
    how: String,
}

/// Run a block's stimulus on the RTL or on its generic netlist, counting toggles.
/// Blocks whose unit of work is a CABAC bin (the others count samples).
fn per_bin(block: &str) -> bool {
    block.starts_with("cabac") || block == "res_dec"
}

fn toggle_run(block: &str, module: Option<&hw::GeneratedModule>, p: &golden::Params, frames: &[(usize, usize, Vec<u8>)], vectors: u64, quick: bool) -> Result<(energy::Activity, u64)> {
    toggle_run_watching(block, module, p, frames, vectors, quick, &[]).map(|(a, u, _)| (a, u))
}

/// [`toggle_run`] also counting the edges at which each watched bit is 1
/// (`sim::cosim_watching`).
type Watched = Option<(u64, Vec<Option<u64>>)>;
fn toggle_run_watching(block: &str, module: Option<&hw::GeneratedModule>, p: &golden::Params, frames: &[(usize, usize, Vec<u8>)], vectors: u64, quick: bool, watch: &[(String, u32)]) -> Result<(energy::Activity, u64, Watched)> {
    let cabac = block.starts_with("cabac");
    // the residual parser runs on the levels of tensor blocks; the engines on random bins
    let set = if cabac { sim::StimSet::Random { per_size: vectors.min(2000), only: None } } else { sim::StimSet::Tensor { frames: frames.to_vec(), limit: vectors } };
    let run = sim::CosimRun { sets: vec![set], timing: sim::tb::Timing { seed: 1, ..Default::default() }, build: sim::BuildOptions { trace: false, toggles: true, quick_compile: quick }, trace: None };
    let r = match module {
        Some(m) => sim::cosim_watching(block, m, p, &run, watch)?,
        None => sim::cosim(block, p, &run)?,
    };
    let rep = &r.sets[0].1;
    if rep.mismatches > 0 {
        return Err(anyhow!("{block}{}: {} mismatches against golden/ during the activity run: {:?}", if module.is_some() { " (gate-level netlist)" } else { "" }, rep.mismatches, rep.first_mismatch));
    }
    let units = if rep.work > 0 {
        // the block's own unit: bins a parser decoded, samples a predictor produced
        rep.work
    } else if cabac {
        rep.beats_in
    } else {
        rep.beats_in * r.lanes as u64
    };
    Ok((energy::Activity::from_toggles(rep.busy_cycles, units, r.toggles.iter().map(|t| (t.bits, t.toggles))), rep.units, r.watched))
}

/// Gate-level toggle rate of a block's generic netlist (yosys), under the RTL's stimulus.
/// `f(0..n)` on up to 4 threads (each job is one yosys or Verilator process or more),
/// results in job order.
fn in_parallel<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 4).min(n.max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut got: Vec<(usize, T)> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..workers)
            .map(|_| {
                sc.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if k >= n {
                            break;
                        }
                        out.push((k, f(k)));
                    }
                    out
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().expect("report worker panicked")).collect()
    });
    got.sort_by_key(|(k, _)| *k);
    got.into_iter().map(|(_, t)| t).collect()
}

/// The logic area of a core's part (`--core-parts`), synthesized like the blocks (same
/// cache); its memories are counted with the core's.
fn core_part_logic(name: &str, p: &golden::Params, liberty: Option<&std::path::Path>, out: &std::path::Path, cache: &std::path::Path, node: &area::Node) -> Result<(String, f64)> {
    let m = hw::block(name, p).map_err(|e| anyhow!(e))?;
    eprintln!("synth {name} (a core part, --core-parts; cached under {}) ...", cache.display());
    let s = hw::yosys::synth_cached(&m.name, &m.verilog, liberty, &out.join("synth").join(&m.name), cache).map_err(|e| anyhow!(e))?;
    let ba = area::block_area(&m.name, &s.generic_by_type, s.area_um2, s.flops, Vec::new(), node).map_err(|e| anyhow!(e))?;
    Ok((name.to_string(), ba.cell_um2 - ba.memory_um2))
}

/// Gate-level toggle rate of a block's generic netlist under the RTL's stimulus, and its
/// clock gating: the flops' enables (area_energy::gating) watched in the same run, their
/// duty per busy cycle (the unit the toggle rate uses).
fn gate_rate(block: &str, verilog: &str, p: &golden::Params, frames: &[(usize, usize, Vec<u8>)], vectors: u64, work: &std::path::Path, cache: &std::path::Path, quick: bool) -> Result<(f64, area_energy::gating::ClockGating)> {
    let gates = hw::yosys::generic_netlist_cached(block, verilog, work, cache).map_err(|e| anyhow!(e))?;
    let fe = area_energy::gating::flop_enables(&gates.verilog);
    let watch: Vec<(String, u32)> = fe.watch_list().into_iter().map(|c| (c.net, c.bit.unwrap_or(0))).collect();
    let (act, _, watched) = toggle_run_watching(block, Some(&gates), p, frames, vectors, quick, &watch)?;
    let counts = watched.map(|w| w.1).unwrap_or_default();
    Ok((act.toggle_rate, fe.measure(act.cycles, &counts)))
}

/// One block, measured.
#[derive(Serialize)]
struct BlockRow {
    block: String,
    area: area::BlockArea,
    activity: energy::Activity,
    activity_source: ActivitySource,
    energy: energy::BlockEnergy,
    /// Units (samples or bins) per cycle, measured by Verilator on the stimulus.
    units_per_cycle_measured: f64,
    unit: &'static str,
    synth_seconds: f64,
}

/// Golden's hardware strategy at one QP.
#[derive(Serialize, Clone)]
struct RatePoint {
    qp: u8,
    bits_per_value: f64,
    mse_int8: f64,
    /// CABAC bins per coded sample (frames include padding).
    bins_per_value: f64,
}

/// The decoder core as a whole: its cycle model on the input's hardware-strategy
/// stream at the operating point (area_energy::core_cycles, equal to Verilator's
/// dec_core count on every stream of area_energy/tests/area_energy/cycle_model.rs).
#[derive(Serialize, Clone)]
struct DecoderCoreRow {
    /// The unit replicated: `dec_core`, or `dec_multi` (`rtl.decoder_cores` > 1).
    unit: &'static str,
    /// Cores (fronts with a shared backend) in the unit.
    cores: usize,
    /// `rtl.decoder_shared_backend`: the unit's cores share one `inv_tq` and one
    /// `intra_pred`.
    shared_backend: bool,
    qp: u8,
    cycles: u64,
    /// Tensor values decoded (the frames' padding excluded).
    values: u64,
    /// Luma samples of the frames (padding included).
    frame_samples: u64,
    values_per_cycle: f64,
    /// Share of the cycles the residual parser (res_dec) is busy.
    res_dec_busy_share: f64,
    /// Logic of the synthesized blocks inside the core (res_dec, inv_tq, intra_pred; with
    /// --core-parts syn_dec, which holds res_dec, recon, inv_tq, intra_pred) plus the
    /// core's memories (CTU banks, line buffer, coefficient memory, WPP storage), um2.
    area_um2: f64,
    memory_um2: f64,
    /// What the area leaves out.
    area_scope: &'static str,
    /// The memory macros' access energy (--core-parts).
    memory_energy: Option<CoreMemoryEnergy>,
}

/// The encoder core as a whole: its cycle model (area_energy::enc_cycles, equal to
/// Verilator's enc_core count on every stream of area_energy/tests/area_energy/cycle_model.rs) on
/// the hardware-strategy stream of the input at the operating point, which is the
/// stream the core writes.
#[derive(Serialize, Clone)]
struct EncoderCoreRow {
    /// The unit replicated: `enc_core`, or `enc_multi` (`rtl.encoder_cores` > 1).
    unit: &'static str,
    /// Cores in the unit.
    cores: usize,
    qp: u8,
    cycles: u64,
    /// Tensor values encoded (the frames' padding excluded).
    values: u64,
    /// Luma samples of the frames (padding included).
    frame_samples: u64,
    values_per_cycle: f64,
    /// Share of the cycles the binarizer (res_enc) is busy.
    res_enc_busy_share: f64,
    /// Logic of the synthesized blocks inside the core (fwd_tq, inv_tq, intra_pred,
    /// cabac_enc; with --core-parts every part) plus the core's memories, um2.
    area_um2: f64,
    memory_um2: f64,
    /// What the area leaves out.
    area_scope: &'static str,
    /// The memory macros' access energy (--core-parts).
    memory_energy: Option<CoreMemoryEnergy>,
}

/// One memory macro's accesses in a whole core's Verilator run.
#[derive(Serialize, Clone)]
struct MacroAccesses {
    scope: String,
    words: u64,
    width: u32,
    reads: u64,
    writes: u64,
    fj_per_access: f64,
}

/// The memory macros' access energy of a whole core: accesses counted in Verilator
/// (each macro's read and write enables at the rising edges) on the operating point's
/// stream, times the energy per access (`area_energy::energy::sram_access_fj`).
#[derive(Serialize, Clone)]
struct CoreMemoryEnergy {
    macros: Vec<MacroAccesses>,
    cycles: u64,
    values: u64,
    pj_per_value: f64,
    energy_per_access: area_energy::Sourced,
}

/// Count the memory macros' accesses of `model` (a toggle build) during `run`, which
/// returns the run's cycles.
fn core_memory_energy(model: &mut sim::Model, values: u64, node_nm: f64, run: impl FnOnce(&mut sim::Model) -> Result<u64>) -> Result<CoreMemoryEnergy> {
    let rams = model.ram_instances()?;
    let watch: Vec<(String, u32)> = rams.iter().flat_map(|r| [(format!("{}.re", r.scope), 0), (format!("{}.we", r.scope), 0)]).collect();
    model.watch(&watch)?;
    let cycles = run(model)?;
    let (_, counts) = model.watch_counts()?;
    let mut macros = Vec::new();
    for (i, r) in rams.iter().enumerate() {
        let (reads, writes) = match (counts[2 * i], counts[2 * i + 1]) {
            (Some(a), Some(b)) => (a, b),
            _ => return Err(anyhow!("{}: the macro's enables are not in the model", r.scope)),
        };
        macros.push(MacroAccesses { scope: r.scope.clone(), words: r.words, width: r.width, reads, writes, fj_per_access: energy::sram_access_fj(r.words, r.width, node_nm) });
    }
    let fj: f64 = macros.iter().map(|m| (m.reads + m.writes) as f64 * m.fj_per_access).sum();
    Ok(CoreMemoryEnergy { macros, cycles, values, pj_per_value: fj / 1e3 / values.max(1) as f64, energy_per_access: energy::SRAM_ACCESS_PJ })
}

/// The Markdown of a core's memory energy (or why there is none).
fn memory_energy_md(m: Option<&CoreMemoryEnergy>) -> String {
    let Some(m) = m else {
        return "\nMemory macros' access energy: not measured (`--core-parts` runs the core in Verilator to count the accesses); the core's pJ/value is its blocks' logic only.\n".into();
    };
    let mut s = format!(
        "\nMemory macros' accesses in the core's Verilator run ({} cycles; energy per access: {} {} ({}), {}): {:.3} pJ/value, in the core rows' pJ/value.\n\n| macro | words x bits | reads | writes | fJ/access | pJ/value |\n|---|---|---|---|---|---|\n",
        m.cycles, m.energy_per_access.value, m.energy_per_access.unit, m.energy_per_access.source.reference, m.energy_per_access.source.scaling, m.pj_per_value
    );
    for a in &m.macros {
        s += &format!("| {} | {} x {} | {} | {} | {:.2} | {:.4} |\n", a.scope, a.words, a.width, a.reads, a.writes, a.fj_per_access, (a.reads + a.writes) as f64 * a.fj_per_access / 1e3 / m.values.max(1) as f64);
    }
    s
}

/// A core built from measured blocks, each replicated to the target rate.
#[derive(Serialize)]
struct CoreSizing {
    core: &'static str,
    target: String,
    values_per_s: f64,
    clock_mhz: f64,
    blocks: Vec<(String, f64, u64)>,
    area_mm2: f64,
    power_w: f64,
    pj_per_value: f64,
}

/// The operating point's encoding (the configuration's QP): its stream, the tensor's
/// value count and the frames' sample count, for the decoder core model.
struct OpStream {
    annexb: Vec<u8>,
    values: u64,
    frame_samples: u64,
}

/// Golden at the report's QPs (and the configuration's); with the operating point's
/// stream.
fn rate_points(
    a: &ReportArgs,
    t: &golden::tensor::Tensor,
    p: &golden::Params,
    strategy: StrategyKind,
) -> Result<(Vec<RatePoint>, Option<OpStream>)> {
    let mut q = p.clone();
    q.encoder.strategy = strategy;
    let mut qps = a.qps.clone();
    if !qps.contains(&p.encoder.qp) {
        qps.push(p.encoder.qp);
    }
    qps.sort_unstable();
    let mut out = Vec::new();
    let mut op = None;
    for qp in qps {
        let e = pipeline::encode_tensor(t, &q, RateTarget::Qp(qp))
            .map_err(|e| anyhow!("{}: {e}", a.input))?;
        let bins: u64 = e.encoded.frames.iter().map(|f| f.bins).sum();
        let samples = (e.prepared.layout.frame_width as u64
            * e.prepared.layout.frame_height as u64)
            * e.prepared.frames.len() as u64;
        if qp == p.encoder.qp {
            op = Some(OpStream { annexb: e.encoded.annexb.clone(), values: t.data.len() as u64, frame_samples: samples });
        }
        out.push(RatePoint {
            qp,
            bits_per_value: e.metrics.bits_per_value,
            mse_int8: e.metrics.mse_int8,
            bins_per_value: bins as f64 / samples.max(1) as f64,
        });
    }
    Ok((out, op))
}

/// Run the report; writes report.json, report.md and the SVGs under `a.out` and
/// returns the JSON.
pub fn report(a: &ReportArgs) -> Result<serde_json::Value> {
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let p = load_params(&CodecArgs {
        config: a.config.clone(),
        strategy: None,
        rotate: None,
        tensor: None,
    })?;
    let node = area::node(&a.node).map_err(|e| anyhow!(e))?;
    let cache = synth_cache();
    let liberty = if a.no_liberty {
        None
    } else if let Some(l) = &a.liberty {
        if !l.is_file() {
            return Err(anyhow!("liberty {} not found", l.display()));
        }
        Some(l.clone())
    } else if a.node == "asap7" {
        let l = hw::yosys::asap7_liberty(&cache);
        if l.is_none() {
            eprintln!("note: no ASAP7 liberty (../shared/asap7 absent): NAND2 path only. ASAP7 (BSD-3) is at github.com/The-OpenROAD-Project/asap7; pass --liberty FILE");
        }
        l
    } else {
        None
    };
    let lib = match &liberty {
        Some(l) => Some(
            energy::parse_liberty(
                &std::fs::read_to_string(l).with_context(|| format!("reading {}", l.display()))?,
                &[],
            )
            .map_err(|e| anyhow!(e))?,
        ),
        None => None,
    };
    let table = energy::node_energy(&a.node).map_err(|e| anyhow!(e))?;

    // golden: bins/value and bits/value of the hardware strategy (and rd for the plot)
    eprintln!(
        "golden: hardware strategy at QPs {:?} on {} ...",
        a.qps, a.input
    );
    let t = golden::sample::load(&a.input, None).map_err(|e| anyhow!("{}: {e}", a.input))?;
    let (hw_points, op_stream) = rate_points(a, &t, &p, StrategyKind::Hw)?;
    let (rd_points, _) = rate_points(a, &t, &p, StrategyKind::Rd)?;
    let op = hw_points
        .iter()
        .find(|r| r.qp == p.encoder.qp)
        .cloned()
        .ok_or_else(|| anyhow!("no operating point"))?;

    // blocks: synthesis, toggles, energy
    let frames = sim::blocks::tensor_frames(&a.input, &p)?;
    // the configuration of the gate/RTL activity ratio for blocks too big to simulate at gate level
    let mut small = p.clone();
    small.rtl.samples_per_cycle = 1;
    small.bitstream.max_tu_size = 4;
    let small_frames = sim::blocks::tensor_frames(&a.input, &small)?;
    // one row per block: synthesis, toggle run, energy; blocks are independent, so they
    // run on the available cores (each Verilator build and yosys run is one process)
    let block_row = |m: &hw::GeneratedModule| -> Result<BlockRow> {
        eprintln!("synth {} (yosys; cached under {}; the default config's transform blocks take tens of minutes the first time) ...", m.name, cache.display());
        // with gate-level activity, the generic netlist comes from this run
        let synth = if a.activity == "gate" { hw::yosys::synth_cached_keeping_gates } else { hw::yosys::synth_cached };
        let s = synth(
            &m.name,
            &m.verilog,
            liberty.as_deref(),
            &a.out.join("synth").join(&m.name),
            &cache,
        )
        .map_err(|e| anyhow!(e))?;
        let ba = area::block_area(
            &m.name,
            &s.generic_by_type,
            s.area_um2,
            s.flops,
            hw::memories(&m.name, &p).map_err(|e| anyhow!(e))?.into_iter().map(|(name, words, width)| area::Memory { name, words, width }).collect(),
            &node,
        )
        .map_err(|e| anyhow!(e))?;
        let cabac = per_bin(&m.name);
        eprintln!("cosim {} counting toggles ...", m.name);
        let (mut act, _) = toggle_run(&m.name, None, &p, &frames, a.vectors, a.quick_build)?;
        let work = a.out.join("gates").join(&m.name);
        // clock gating: measured with the gate-level activity (None with --activity rtl)
        let (src, gating) = if a.activity == "rtl" {
            (ActivitySource { rtl_toggle_rate: act.toggle_rate, gate_toggle_rate: None, used: act.toggle_rate, how: "RTL signal rate (--activity rtl): no gate-level run".into() }, None)
        } else if s.generic_cells <= a.gate_level_max_cells {
            eprintln!("gate-level activity of {} ({} generic cells) ...", m.name, s.generic_cells);
            let (g, gating) = gate_rate(&m.name, &m.verilog, &p, &frames, a.vectors, &work, &cache, a.quick_build)?;
            (
                ActivitySource { rtl_toggle_rate: act.toggle_rate, gate_toggle_rate: Some(g), used: g, how: "gate-level: yosys generic netlist in Verilator, same stimulus".into() },
                Some((gating, "the enables of yosys's generic netlist, their duty from the same gate-level run".to_string())),
            )
        } else {
            let sm = hw::block(&m.name, &small).map_err(|e| anyhow!(e))?;
            eprintln!("{}: {} generic cells > --gate-level-max-cells: gate/RTL activity ratio from P=1, TU 4 ...", m.name, s.generic_cells);
            let (rs, _) = toggle_run(&m.name, None, &small, &small_frames, a.vectors, a.quick_build)?;
            let (g, gs) = gate_rate(&m.name, &sm.verilog, &small, &small_frames, a.vectors, &work, &cache, a.quick_build)?;
            let ratio = if rs.toggle_rate > 0.0 { g / rs.toggle_rate } else { 1.0 };
            // this block's flops and enables, at the duties measured at P=1, TU 4
            let big = hw::yosys::generic_netlist_cached(&m.name, &m.verilog, &work, &cache).map_err(|e| anyhow!(e))?;
            let gating = area_energy::gating::flop_enables(&big.verilog).at_duties_of(&gs);
            (
                ActivitySource {
                    rtl_toggle_rate: act.toggle_rate,
                    gate_toggle_rate: None,
                    used: act.toggle_rate * ratio,
                    how: format!("RTL rate x gate/RTL ratio {ratio:.3} measured on the same block at P=1, TU 4"),
                },
                Some((gating, "this block's enables, at the gated duty measured on the same block at P=1, TU 4".to_string())),
            )
        };
        act.toggle_rate = src.used;
        let e = match &lib {
            Some(l) if !s.mapped_by_type.is_empty() => {
                let mut e = energy::block_energy(&m.name, &s.mapped_by_type, l, &act, p.rtl.clock_mhz);
                if let Some((g, how)) = &gating {
                    energy::apply_clock_gating(&mut e, g, l, &act, p.rtl.clock_mhz, how).map_err(|e| anyhow!(e))?;
                }
                e
            }
            _ => energy::nand2_path_energy(
                &m.name,
                ba.nand2.logic_nand2,
                ba.nand2.flops,
                ba.nand2.nand2,
                &act,
                &table,
                p.rtl.clock_mhz,
            ),
        };
        Ok(BlockRow {
            block: m.name.clone(),
            units_per_cycle_measured: act.units as f64 / act.cycles.max(1) as f64,
            unit: if cabac { "bin" } else { "sample" },
            area: ba,
            activity: act,
            activity_source: src,
            energy: e,
            synth_seconds: s.seconds,
        })
    };
    let modules = hw::all_blocks(&p).map_err(|e| anyhow!(e))?;
    // longest rows first, so that the last block to start is a short one (the rows stay
    // in block order): the order of the CLI test's run (P 1, TU 8, --quick-build, two
    // workers), where the transform blocks' synthesis is most of the time (fwd_tq 110 s
    // and inv_tq 76 s of yosys and ABC on a cold cache; their toggle builds and runs
    // about 20 s each), then res_dec's and intra_pred's toggle runs (about 12 s each)
    const LONGEST_FIRST: [&str; 7] = ["fwd_tq", "inv_tq", "res_dec", "intra_pred", "dequant", "cabac_enc", "cabac_dec"];
    let mut schedule: Vec<usize> = (0..modules.len()).collect();
    schedule.sort_by_key(|&i| LONGEST_FIRST.iter().position(|b| *b == modules[i].name).unwrap_or(LONGEST_FIRST.len()));
    let mut done: Vec<(usize, Result<BlockRow>)> = in_parallel(schedule.len(), |k| {
        let i = schedule[k];
        (i, block_row(&modules[i]))
    });
    done.sort_by_key(|(i, _)| *i);
    let rows = done.into_iter().map(|(_, r)| r).collect::<Result<Vec<_>>>()?;
    // the cores' other parts (--core-parts): logic only, their memories are in the
    // cores' memory lists
    let core_parts: Vec<(String, f64)> = if a.core_parts {
        // what the cores' rows count beyond the blocks above, for the cores this
        // configuration has
        let mut names: Vec<&str> = [("decoder", hw::dec_core::generate(&p).is_ok()), ("encoder", hw::enc_core::generate(&p).is_ok())]
            .into_iter()
            .filter(|(_, on)| *on)
            .flat_map(|(core, _)| counted_parts(core, true, &p))
            .filter(|n| modules.iter().all(|m| m.name != *n))
            .collect();
        names.sort_unstable();
        names.dedup();
        let got = in_parallel(names.len(), |k| core_part_logic(names[k], &p, liberty.as_deref(), &a.out, &cache, &node));
        got.into_iter().collect::<Result<Vec<_>>>()?
    } else {
        Vec::new()
    };
    let row = |n: &str| {
        rows.iter()
            .find(|r| r.block == n)
            .ok_or_else(|| anyhow!("block {n} missing"))
    };
    // a counted part's logic: a core part's (--core-parts), else the block row's
    let logic = |n: &str| -> Result<f64> {
        match core_parts.iter().find(|(b, _)| b == n) {
            Some((_, um2)) => Ok(*um2),
            None => row(n).map(|r| r.area.cell_um2 - r.area.memory_um2),
        }
    };

    // the decoder core as a whole (its cycle model on the operating point's stream);
    // with rtl.decoder_cores > 1 the unit is dec_multi: K whole cores, or K fronts
    // sharing one inv_tq and one intra_pred (rtl.decoder_shared_backend)
    let dec_core_row = {
        let e = op_stream.as_ref().ok_or_else(|| anyhow!("no operating-point stream"))?;
        let k = p.rtl.decoder_cores.max(1) as usize;
        let shared = k > 1 && p.rtl.decoder_shared_backend;
        let unit = if k > 1 { "dec_multi" } else { "dec_core" };
        let can = if k > 1 { hw::dec_multi::check(&p) } else { hw::dec_core::generate(&p).map(|_| ()) };
        match can {
            Err(why) => {
                eprintln!("note: no decoder core for this configuration ({why}): no core row");
                None
            }
            Ok(()) => {
                let st = sim::dec_core::stream(&e.annexb)?;
                let cfg = area_energy::core_cycles::DecCoreConfig::of(&p);
                let m = if k == 1 {
                    area_energy::core_cycles::dec_core(&cfg, &e.annexb)
                } else {
                    sim::dec_core::multi_check(&st).map_err(|w| anyhow!("rtl.decoder_cores = {k}: the operating point's stream: {w}"))?;
                    if shared {
                        area_energy::core_cycles::dec_cores_shared(&cfg, k, &e.annexb)
                    } else {
                        area_energy::core_cycles::dec_cores(&cfg, k, &e.annexb)
                    }
                }
                .map_err(|e| anyhow!("decoder core model: {e}"))?;
                let (values, frame_samples) = (e.values, e.frame_samples);
                let mems: Vec<area::Memory> = hw::memories(unit, &p)
                    .map_err(|e| anyhow!(e))?
                    .into_iter()
                    .map(|(name, words, width)| area::Memory { name, words, width })
                    .collect();
                let memory_um2: f64 = mems.iter().map(|m| m.area_um2(&node)).sum();
                // every core's parts, the shared backend's once
                let copies = |n: &str| if shared && matches!(n, "inv_tq" | "intra_pred") { 1.0 } else { k as f64 };
                let logic_um2 = counted_parts("decoder", a.core_parts, &p).iter().map(|n| logic(n).map(|l| l * copies(n))).sum::<Result<f64>>()?;
                let area_scope = match (a.core_parts, k > 1, shared) {
                    // syn_dec holds res_dec
                    (true, false, _) => "logic of every part as synthesized here (syn_dec with its res_dec, recon, inv_tq, intra_pred; the core's wiring between them is not a separate netlist), plus the core's memories",
                    (true, true, false) => "dec_multi's whole cores: every core's parts as synthesized here (syn_dec with its res_dec, recon, inv_tq, intra_pred; the dispatcher and the wiring are not a separate netlist), plus every core's memories",
                    (true, true, true) => "dec_multi with a shared backend: every front's syn_dec (with its res_dec) and recon (its single-core variant standing for the front's, which adds the grant) and one inv_tq and one intra_pred, as synthesized here (the arbiter, its tag FIFOs and the wiring are not a separate netlist), plus every front's memories",
                    (false, false, _) => "logic of res_dec, inv_tq and intra_pred as synthesized here, plus the core's memories; syn_dec's CU-level state machine and recon's control and adders are not synthesized by the report (--core-parts synthesizes them)",
                    (false, true, false) => "dec_multi's whole cores: every core's res_dec, inv_tq and intra_pred as synthesized here, plus every core's memories; syn_dec's CU-level state machine and recon are not synthesized by the report (--core-parts synthesizes them)",
                    (false, true, true) => "dec_multi with a shared backend: every front's res_dec and one inv_tq and one intra_pred as synthesized here, plus every front's memories; syn_dec's CU-level state machine and recon are not synthesized by the report (--core-parts synthesizes them)",
                };
                let memory_energy = if a.core_parts {
                    eprintln!("cosim {unit} (toggle build) counting its memory macros' accesses ...");
                    let dm = hw::block(unit, &p).map_err(|e| anyhow!(e))?;
                    let mut model = sim::Model::new(&dm, &sim::BuildOptions { trace: false, toggles: true, quick_compile: a.quick_build })?;
                    Some(core_memory_energy(&mut model, values, node.nm, |m| {
                        let r = if k > 1 { sim::dec_core::run_multi(m, &st, 0, 1, 500_000_000)? } else { sim::dec_core::run(m, &st, 0, 1, 500_000_000)? };
                        if r.mismatches > 0 || r.errored {
                            return Err(anyhow!("{unit} differs from golden on the operating point's stream: {:?}", r.first_mismatch));
                        }
                        Ok(r.cycles)
                    })?)
                } else {
                    None
                };
                Some(DecoderCoreRow {
                    unit,
                    cores: k,
                    shared_backend: shared,
                    qp: op.qp,
                    cycles: m.cycles,
                    values,
                    frame_samples,
                    values_per_cycle: values as f64 / m.cycles.max(1) as f64,
                    res_dec_busy_share: m.res_dec_busy as f64 / (m.cycles.max(1) * k as u64) as f64,
                    area_um2: logic_um2 + memory_um2,
                    memory_um2,
                    area_scope,
                    memory_energy,
                })
            }
        }
    };

    // the encoder core as a whole (its cycle model on the operating point's stream)
    let enc_core_row = {
        let e = op_stream.as_ref().ok_or_else(|| anyhow!("no operating-point stream"))?;
        // with rtl.encoder_cores > 1 the unit is enc_multi's K whole cores
        let k = p.rtl.encoder_cores.max(1) as usize;
        let unit = if k > 1 { "enc_multi" } else { "enc_core" };
        let can = if k > 1 { hw::enc_multi::check(&p) } else { hw::enc_core::generate(&p).map(|_| ()) };
        match can {
            Err(why) => {
                eprintln!("note: no encoder core for this configuration ({why}): no core row");
                None
            }
            Ok(()) => {
                let m = area_energy::enc_cycles::enc_cores(&area_energy::enc_cycles::EncCoreConfig::of(&p), k, &e.annexb)
                    .map_err(|e| anyhow!("encoder core model: {e}"))?;
                let memory_um2: f64 = hw::memories(unit, &p)
                    .map_err(|e| anyhow!(e))?
                    .into_iter()
                    .map(|(name, words, width)| area::Memory { name, words, width }.area_um2(&node))
                    .sum();
                let logic_um2 = k as f64 * counted_parts("encoder", a.core_parts, &p).iter().map(|n| logic(n)).sum::<Result<f64>>()?;
                let area_scope = if k > 1 {
                    if a.core_parts {
                        "enc_multi's whole cores: every core's parts as synthesized here (syn_enc with its res_enc and cabac_enc, search, satd where the modes need it, sdh, recon in its decoder variant, fwd_tq, inv_tq, intra_pred; the dispatcher and the wiring are not a separate netlist), plus every core's memories"
                    } else {
                        "enc_multi's whole cores: every core's fwd_tq, inv_tq, intra_pred and cabac_enc as synthesized here, plus every core's memories; search, satd, sdh, recon and the binarizer are not synthesized by the report (--core-parts synthesizes them)"
                    }
                } else if a.core_parts {
                    // syn_enc holds res_enc and cabac_enc; recon's decoder variant stands
                    // for the encoder's probe variant (one more state)
                    if hw::enc_core::has_satd(&p) {
                        "logic of every part as synthesized here (syn_enc with its res_enc and cabac_enc, search, satd, sdh, recon in its decoder variant, fwd_tq, inv_tq, intra_pred; the core's wiring between them is not a separate netlist), plus the core's memories"
                    } else {
                        "logic of every part as synthesized here (syn_enc with its res_enc and cabac_enc, search, sdh, recon in its decoder variant, fwd_tq, inv_tq, intra_pred; a single mode: no satd; the core's wiring between them is not a separate netlist), plus the core's memories"
                    }
                } else {
                    "logic of fwd_tq, inv_tq, intra_pred and cabac_enc as synthesized here, plus the core's memories; search, satd, sdh, recon and the binarizer (res_enc, syn_enc) are not synthesized by the report (--core-parts synthesizes them)"
                };
                let memory_energy = if a.core_parts {
                    eprintln!("cosim {unit} (toggle build) counting its memory macros' accesses ...");
                    let em = hw::block(unit, &p).map_err(|e| anyhow!(e))?;
                    let mut model = sim::Model::new(&em, &sim::BuildOptions { trace: false, toggles: true, quick_compile: a.quick_build })?;
                    let t = golden::sample::load(&a.input, None).map_err(|e| anyhow!("{}: {e}", a.input))?;
                    let job = sim::enc_core::job(&t, &p, op.qp, None)?;
                    Some(core_memory_energy(&mut model, e.values, node.nm, |m| {
                        let lanes = if k > 1 { k } else { p.rtl.cabac_engines as usize };
                        let r = sim::enc_core::run(m, &job, lanes, 0, 1, 500_000_000)?;
                        if r.mismatches > 0 {
                            return Err(anyhow!("{unit} differs from golden on the operating point: {:?}", r.first_mismatch));
                        }
                        Ok(r.cycles)
                    })?)
                } else {
                    None
                };
                Some(EncoderCoreRow {
                    unit,
                    cores: k,
                    qp: op.qp,
                    cycles: m.cycles,
                    values: e.values,
                    frame_samples: e.frame_samples,
                    values_per_cycle: e.values as f64 / m.cycles.max(1) as f64,
                    res_enc_busy_share: m.res_enc_busy as f64 / (m.cycles.max(1) * k as u64) as f64,
                    area_um2: logic_um2 + memory_um2,
                    memory_um2,
                    area_scope,
                    memory_energy,
                })
            }
        }
    };

    // --timing: every counted part's critical path, the clock each core's slowest
    // part allows
    let timing = if a.timing {
        let lib = liberty.as_deref().ok_or_else(|| anyhow!("--timing needs a liberty (--liberty FILE, or ../shared/asap7 with --node asap7)"))?;
        let cores: Vec<(&str, bool)> = [("decoder", dec_core_row.is_some()), ("encoder", enc_core_row.is_some())].into_iter().filter(|(_, on)| *on).collect();
        let mut names: Vec<&str> = cores.iter().flat_map(|(c, _)| counted_parts(c, a.core_parts, &p)).collect();
        names.sort_unstable();
        names.dedup();
        let target_ps = 1e6 / p.rtl.clock_mhz;
        let got = in_parallel(names.len(), |k| -> Result<hw::yosys::Timing> {
            let m = hw::block(names[k], &p).map_err(|e| anyhow!(e))?;
            eprintln!("timing {} (ABC static timing; cached under {}) ...", names[k], cache.display());
            hw::yosys::timing_cached(&m.name, &m.verilog, lib, &a.out.join("timing").join(&m.name), &cache, target_ps).map_err(|e| anyhow!(e))
        });
        let got = got.into_iter().collect::<Result<Vec<_>>>()?;
        let clock = |core: &str| -> Option<f64> {
            cores.iter().any(|(c, _)| *c == core).then(|| {
                counted_parts(core, a.core_parts, &p)
                    .iter()
                    .filter_map(|n| got.iter().find(|t| t.module == *n))
                    .map(|t| t.fmax_mhz())
                    .fold(p.rtl.clock_mhz, f64::min)
            })
        };
        let (decoder_clock_mhz, encoder_clock_mhz) = (clock("decoder"), clock("encoder"));
        Some(TimingSection {
            parts: got.into_iter().map(|t| TimedPart { fmax_mhz: t.fmax_mhz(), timing: t }).collect(),
            decoder_clock_mhz,
            encoder_clock_mhz,
            how: "ABC static timing on the liberty after delay-oriented mapping to the clock period, buffering and gate sizing (hw::yosys::TIMING_SCRIPT): the longest path between registers, memory-macro outputs and ports, without wires, clock-to-q or setup; fmax = 1e6 / delay, an upper bound",
        })
    } else {
        None
    };

    // cycle model: values per cycle of each block at the operating point
    let lanes = p.rtl.samples_per_cycle;
    let tu_log2 = p
        .encoder
        .hw
        .cu_size
        .min(p.bitstream.max_tu_size)
        .trailing_zeros();
    let tq_vpc = cycle::tq_values_per_cycle(tu_log2, lanes);
    let vpc = |n: &str| -> Result<f64> {
        Ok(match n {
            "fwd_tq" | "inv_tq" => tq_vpc,
            "intra_pred" => row(n)?.units_per_cycle_measured,
            "cabac_dec" | "cabac_enc" | "res_dec" => cycle::cabac_values_per_cycle(
                op.bins_per_value,
                1,
                row(n)?.units_per_cycle_measured,
            ),
            _ => 1.0,
        })
    };
    let per_value = |n: &str| -> Result<f64> {
        Ok(if per_bin(n) {
            op.bins_per_value
        } else {
            1.0
        })
    };

    // sizing of the measured datapaths
    let cores: [(&str, &[&str]); 2] = [
        ("decoder", &["res_dec", "inv_tq", "intra_pred"]),
        ("encoder", &["fwd_tq", "inv_tq", "cabac_enc"]),
    ];
    let mut sizings = Vec::new();
    for t in sizing::targets() {
        let v = t.values_per_s(op.bits_per_value);
        for (core, blocks) in cores {
            let mut cs = CoreSizing {
                core,
                target: t.name.into(),
                values_per_s: v,
                clock_mhz: p.rtl.clock_mhz,
                blocks: vec![],
                area_mm2: 0.0,
                power_w: 0.0,
                pj_per_value: 0.0,
            };
            for b in blocks {
                let r = row(b)?;
                let s = sizing::size(
                    &t,
                    op.bits_per_value,
                    vpc(b)?,
                    p.rtl.clock_mhz,
                    r.area.cell_um2,
                    node.utilization.value,
                    r.energy.pj_per_unit * per_value(b)?,
                );
                cs.area_mm2 += s.area_mm2;
                cs.power_w += s.power_w;
                cs.pj_per_value += s.pj_per_value;
                cs.blocks.push((b.to_string(), vpc(b)?, s.instances));
            }
            sizings.push(cs);
        }
        // whole cores at their models' rates; energy as their blocks' sum
        let whole = [
            ("decoder core (cycle model)", "decoder", dec_core_row.as_ref().map_or("dec_core", |d| d.unit), dec_core_row.as_ref().map(|d| (d.values_per_cycle, d.area_um2, d.memory_energy.as_ref().map_or(0.0, |m| m.pj_per_value)))),
            ("encoder core (cycle model)", "encoder", enc_core_row.as_ref().map_or("enc_core", |d| d.unit), enc_core_row.as_ref().map(|d| (d.values_per_cycle, d.area_um2, d.memory_energy.as_ref().map_or(0.0, |m| m.pj_per_value)))),
        ];
        for (core, blocks_core, module, model) in whole {
            let Some((vpc, area_um2, memory_pj)) = model else { continue };
            // the measured blocks' energy per value, plus the memory macros' (--core-parts)
            let pj = sizings.iter().find(|z| z.core == blocks_core && z.target == t.name).map(|z| z.pj_per_value).unwrap_or(0.0) + memory_pj;
            // at the configured clock, and (--timing) at the clock the core's slowest
            // part allows
            let timed = timing.as_ref().and_then(|tm| if blocks_core == "decoder" { tm.decoder_clock_mhz } else { tm.encoder_clock_mhz });
            let timed_name: &'static str = if blocks_core == "decoder" { "decoder core (cycle model, timed clock)" } else { "encoder core (cycle model, timed clock)" };
            for (name, clock) in std::iter::once((core, p.rtl.clock_mhz)).chain(timed.map(|c| (timed_name, c))) {
                let s = sizing::size(&t, op.bits_per_value, vpc, clock, area_um2, node.utilization.value, pj);
                sizings.push(CoreSizing {
                    core: name,
                    target: t.name.into(),
                    values_per_s: v,
                    clock_mhz: clock,
                    blocks: vec![(module.into(), vpc, s.instances)],
                    area_mm2: s.area_mm2,
                    power_w: s.power_w,
                    pj_per_value: s.pj_per_value,
                });
            }
        }
    }
    let design = &sizing::targets()[0];
    let dv = design.values_per_s(op.bits_per_value);
    let h265_enc = reference::h265_encoder(dv, node.nm);
    let h265_dec = reference::h265_decoder(dv, node.nm);
    let at_design = |core: &str| {
        sizings
            .iter()
            .find(|s| s.core == core && s.target == design.name)
            .unwrap()
    };
    let (dec, enc) = (at_design("decoder"), at_design("encoder"));
    let scale = dv / reference::TABLE_II_VALUES_PER_S;

    // plots
    let area_items = vec![
        ("H.265 enc (model)".to_string(), h265_enc.area_mm2()),
        ("H.265 enc kept parts".to_string(), h265_enc.kept_area_mm2()),
        (
            "Table II H.265 enc".to_string(),
            reference::TABLE_II[0].area_mm2 * scale,
        ),
        (
            "Table II T.265 enc".to_string(),
            reference::TABLE_II[2].area_mm2 * scale,
        ),
        ("tcgen enc blocks".to_string(), enc.area_mm2),
        ("H.265 dec (model)".to_string(), h265_dec.area_mm2()),
        ("H.265 dec kept parts".to_string(), h265_dec.kept_area_mm2()),
        (
            "Table II H.265 dec".to_string(),
            reference::TABLE_II[1].area_mm2 * scale,
        ),
        (
            "Table II T.265 dec".to_string(),
            reference::TABLE_II[3].area_mm2 * scale,
        ),
        ("tcgen dec blocks".to_string(), dec.area_mm2),
    ];
    let dec_core_z = sizings.iter().find(|z| z.core == "decoder core (cycle model)" && z.target == design.name);
    let mut area_items = area_items;
    if let Some(z) = dec_core_z {
        area_items.push(("tcgen dec cores (model)".to_string(), z.area_mm2));
    }
    if let Some(z) = sizings.iter().find(|z| z.core == "encoder core (cycle model)" && z.target == design.name) {
        area_items.push(("tcgen enc cores (model)".to_string(), z.area_mm2));
    }
    let energy_items = vec![
        ("H.265 enc (model)".to_string(), h265_enc.pj_per_value()),
        (
            "Table II H.265 enc".to_string(),
            reference::TABLE_II[0].pj_per_element,
        ),
        (
            "Table II T.265 enc".to_string(),
            reference::TABLE_II[2].pj_per_element,
        ),
        ("tcgen enc blocks".to_string(), enc.pj_per_value),
        ("H.265 dec (model)".to_string(), h265_dec.pj_per_value()),
        (
            "Table II H.265 dec".to_string(),
            reference::TABLE_II[1].pj_per_element,
        ),
        (
            "Table II T.265 dec".to_string(),
            reference::TABLE_II[3].pj_per_element,
        ),
        ("tcgen dec blocks".to_string(), dec.pj_per_value),
    ];
    write_atomic(
        &a.out.join("area.svg"),
        bar_plot(
            &format!(
                "die area at {:.1} G values/s, {} (mm2, log)",
                dv / 1e9,
                node.name
            ),
            &area_items,
        )?
        .as_bytes(),
    )?;
    write_atomic(
        &a.out.join("energy.svg"),
        bar_plot("energy per value (pJ, log)", &energy_items)?.as_bytes(),
    )?;
    let curve = |name: &str, pts: &[RatePoint]| golden::eval::Curve {
        name: name.into(),
        points: pts
            .iter()
            .map(|r| golden::eval::Point {
                qp: Some(r.qp),
                bits_per_value: r.bits_per_value,
                mse_int8: r.mse_int8,
                mse_float: 0.0,
            })
            .collect(),
    };
    // beside them, what a scalar quantizer with a perfect entropy coder reaches on the
    // same int8 values (golden::eval::ecsq_curve), over the strategies' MSE range
    let strategies = [
        curve("hw strategy (the RTL's rule)", &hw_points),
        curve("rd strategy", &rd_points),
    ];
    let (lo, hi) = golden::eval::mse_range(&strategies);
    let prep = pipeline::prepare(&t, &p).map_err(|e| anyhow!("{}: {e}", a.input))?;
    let ecsq = golden::eval::ecsq_curve(&prep).around(lo, hi);
    write_atomic(
        &a.out.join("bits_vs_mse.svg"),
        crate::plot::rd_plot(
            &format!("{}: golden strategies", a.input),
            &[strategies[0].clone(), strategies[1].clone(), ecsq.clone()],
        )?
        .as_bytes(),
    )?;
    let dec_vpc = ["res_dec", "inv_tq", "intra_pred"]
        .iter()
        .map(|b| vpc(b))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .fold(f64::MAX, f64::min);
    let enc_vpc = ["fwd_tq", "inv_tq", "cabac_enc"]
        .iter()
        .map(|b| vpc(b))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .fold(f64::MAX, f64::min);
    write_atomic(
        &a.out.join("throughput.svg"),
        throughput_plot(
            p.rtl.clock_mhz,
            dec_vpc,
            enc_vpc,
            &sizing::targets(),
            op.bits_per_value,
        )?
        .as_bytes(),
    )?;

    // JSON
    let j = json!({
        "version": 1,
        "manifest": {
            "tool": format!("tcgen {}", env!("CARGO_PKG_VERSION")),
            "git": git_hash(),
            "yosys": tool_version("yosys", "-V"),
            "verilator": tool_version("verilator", "--version"),
            "liberty": liberty.as_ref().map(|l| l.display().to_string()),
            "node": node.name,
            "input": a.input,
            "seed": 1,
            "vectors": a.vectors,
            "config_toml": p.to_toml_string(),
        },
        "node": node,
        "energy_table": if lib.is_some() { json!("liberty internal power and pin capacitance (area_energy::energy::parse_liberty)") } else { json!(table) },
        "area_tables": { "dff_nand2": area::DFF_NAND2, "logic_mapping": area::LOGIC_MAPPING, "wire_ff_per_fanout": energy::WIRE_FF_PER_FANOUT },
        "blocks": rows,
        "operating_point": op,
        "hw_strategy": hw_points,
        "rd_strategy": rd_points,
        "ideal_ecsq": {
            "about": "golden::eval::ecsq_curve: a uniform scalar quantizer with RD thresholds and ideal zeroth-order entropy coding on the input's int8 values, over the strategies' MSE range; ratios are bits at equal MSE (geometric mean over each strategy's points)",
            "curve": ecsq.points,
            "hw_strategy_ratio": golden::eval::ratio_at_equal_mse(&strategies[0], &ecsq).1,
            "rd_strategy_ratio": golden::eval::ratio_at_equal_mse(&strategies[1], &ecsq).1,
        },
        "cycle_model": { "tu_log2": tu_log2, "lanes": lanes, "transform_values_per_cycle": tq_vpc, "decoder_values_per_cycle": dec_vpc, "encoder_values_per_cycle": enc_vpc },
        "sizing": sizings,
        "decoder_core_model": dec_core_row,
        "encoder_core_model": enc_core_row,
        "timing": timing,
        "reference": { "h265_encoder": h265_enc, "h265_decoder": h265_dec, "table_ii": reference::TABLE_II, "table_ii_values_per_s": reference::TABLE_II_VALUES_PER_S },
        "scope": "'decoder core (cycle model)' and 'encoder core (cycle model)' rows are whole dec_cores and enc_cores (or, with rtl.decoder_cores / rtl.encoder_cores > 1, dec_multi / enc_multi units: K cores, or K decoder fronts sharing one inv_tq and intra_pred with rtl.decoder_shared_backend) at the rate of the unit's cycle model on the input (see decoder_core_model, encoder_core_model: unit, cores); the other tcgen rows are the blocks built so far (decoder: res_dec, the residual parser with its engine and contexts, + inv_tq + intra_pred; encoder: fwd_tq + inv_tq + cabac_enc), each replicated to the target rate; the CU-level parser (syn_dec's state machine), reconstruction, line buffers, the encoder's intra search, binarizer and bit packing are not in them yet",
    });
    write_atomic(
        &a.out.join("report.json"),
        serde_json::to_string_pretty(&j)?.as_bytes(),
    )?;
    let md = markdown(
        a,
        &p,
        &node,
        &rows,
        &op,
        &hw_points,
        &sizings,
        dec_core_row.as_ref(),
        enc_core_row.as_ref(),
        &h265_enc,
        &h265_dec,
        dv,
        liberty.is_some(),
    );
    let md = match &timing {
        Some(tm) => md + &timing_markdown(tm, &sizings, p.rtl.clock_mhz),
        None => md,
    };
    write_atomic(&a.out.join("report.md"), md.as_bytes())?;
    println!("{md}");
    println!(
        "wrote report.json, report.md, area.svg, energy.svg, bits_vs_mse.svg, throughput.svg to {}",
        a.out.display()
    );
    Ok(j)
}

/// The report's timing section (`--timing`).
fn timing_markdown(tm: &TimingSection, sizings: &[CoreSizing], clock_mhz: f64) -> String {
    let mut s = format!("\n## Timing (estimate)\n\n{}.\n\n| part | critical path ps | cells on it | at most MHz |\n|---|---|---|---|\n", tm.how);
    for t in &tm.parts {
        s += &format!("| {} | {:.1} | {} | {:.0} |\n", t.timing.module, t.timing.delay_ps, t.timing.cells, t.fmax_mhz);
    }
    s += &format!("\nWhole cores at the clock their slowest counted part allows (at most the configured {clock_mhz:.0} MHz):\n\n| target | core | clock MHz | instances | area mm2 |\n|---|---|---|---|---|\n");
    for z in sizings.iter().filter(|z| z.core.ends_with("timed clock)")) {
        let inst = z.blocks.first().map(|b| b.2).unwrap_or(0);
        s += &format!("| {} | {} | {:.0} | {inst} | {:.4} |\n", z.target, z.core, z.clock_mhz, z.area_mm2);
    }
    s
}

#[allow(clippy::too_many_arguments)]
fn markdown(
    a: &ReportArgs,
    p: &golden::Params,
    node: &area::Node,
    rows: &[BlockRow],
    op: &RatePoint,
    hw_points: &[RatePoint],
    sizings: &[CoreSizing],
    dec_core: Option<&DecoderCoreRow>,
    enc_core: Option<&EncoderCoreRow>,
    enc: &reference::CodecModel,
    dec: &reference::CodecModel,
    dv: f64,
    liberty: bool,
) -> String {
    let mut s = String::new();
    s += "# tcgen area-energy report\n\n";
    s += &format!(
        "Config: P = {} samples/cycle, largest TU {}, hw CU {}, QP {}, {} CABAC engine(s), {} MHz. Node {} ({}). Activity: Verilator toggle counts on `{}`. Git {}.\n\n",
        p.rtl.samples_per_cycle,
        p.bitstream.max_tu_size,
        p.encoder.hw.cu_size,
        p.encoder.qp,
        p.rtl.cabac_engines,
        p.rtl.clock_mhz,
        node.name,
        if liberty { "liberty-mapped area and liberty power tables" } else { "NAND2 path: no liberty" },
        a.input,
        git_hash()
    );
    s += "## Blocks\n\nToggle rate: transitions per net per cycle used for logic switching (gate-level where simulated, see `activity_source` in report.json), the RTL signal rate in parentheses. Clock duty: with clock gating (gate-level activity only: an integrated clock gate per enable yosys infers, the flops clocked only when their enable is true, area_energy::gating), the flops' clock energy over every-cycle clocking; pJ/unit uses it, and the last column is without gating.\n\n| block | NAND2 path um2 | mapped um2 | NAND2 vs mapped | flops | toggle rate (RTL) | units/cycle | clock duty (gates) | pJ/unit | pJ/unit ungated |\n|---|---|---|---|---|---|---|---|---|---|\n";
    for r in rows {
        s += &format!(
            "| {} | {:.1} | {} | {} | {} | {:.4} ({:.4}) | {:.3} {}s | {} | {:.3} | {:.3} |\n",
            r.block,
            r.area.nand2_path_um2,
            r.area
                .mapped_um2
                .map(|v| format!("{v:.1}"))
                .unwrap_or("-".into()),
            r.area
                .nand2_path_error
                .map(|e| format!("{:+.1}%", 100.0 * e))
                .unwrap_or("-".into()),
            r.area.nand2.flops,
            r.activity.toggle_rate,
            r.activity_source.rtl_toggle_rate,
            r.units_per_cycle_measured,
            r.unit,
            r.energy.clock_gating.as_ref().map(|g| format!("{:.3} ({})", g.gating.duty, g.gating.gates)).unwrap_or("1 (not gated)".into()),
            r.energy.pj_per_unit,
            r.energy.clock_gating.as_ref().map(|g| g.pj_per_unit_ungated).unwrap_or(r.energy.pj_per_unit)
        );
    }
    s += "\n## Bits per value (golden hardware strategy)\n\n| QP | bits/value | MSE (int8) | CABAC bins/value |\n|---|---|---|---|\n";
    for r in hw_points {
        s += &format!(
            "| {}{} | {:.3} | {:.3} | {:.3} |\n",
            r.qp,
            if r.qp == op.qp { " (op)" } else { "" },
            r.bits_per_value,
            r.mse_int8,
            r.bins_per_value
        );
    }
    s += "\n## Sizing (blocks replicated to the target rate at the operating point)\n\n| target | core | G values/s | instances per block | area mm2 | power W | pJ/value |\n|---|---|---|---|---|---|---|\n";
    for z in sizings {
        s += &format!(
            "| {} | {} | {:.2} | {} | {:.4} | {:.3} | {:.2} |\n",
            z.target,
            z.core,
            z.values_per_s / 1e9,
            z.blocks
                .iter()
                .map(|(b, v, n)| format!("{b} {n} ({v:.2}/cycle)"))
                .collect::<Vec<_>>()
                .join(", "),
            z.area_mm2,
            z.power_w,
            z.pj_per_value
        );
    }
    if let Some(d) = dec_core {
        s += &format!(
            "\n## Decoder core (cycle model)\n\nThe whole {} on the input's hardware-strategy stream at QP {}: {} cycles for {} values ({} frame samples): {:.4} values/cycle, the residual parser{} busy {:.1}% of the cycles (area_energy::core_cycles, equal to Verilator's count on the streams of area_energy/tests/area_energy/cycle_model.rs). Area {:.1} um2 ({:.1} um2 memories): {}.\n",
            match (d.cores, d.shared_backend) {
                (1, _) => "`dec_core`".to_string(),
                (k, false) => format!("`dec_multi` ({k} whole cores, slice i on core i mod {k})"),
                (k, true) => format!("`dec_multi` ({k} fronts sharing one `inv_tq` and one `intra_pred`, slice i on front i mod {k})"),
            },
            d.qp,
            d.cycles,
            d.values,
            d.frame_samples,
            d.values_per_cycle,
            if d.cores > 1 { "s (mean over the cores)" } else { "" },
            100.0 * d.res_dec_busy_share,
            d.area_um2,
            d.memory_um2,
            d.area_scope
        );
        s += &memory_energy_md(d.memory_energy.as_ref());
    }
    if let Some(d) = enc_core {
        s += &format!(
            "\n## Encoder core (cycle model)\n\nThe whole {} writing the input's hardware-strategy stream at QP {}: {} cycles for {} values ({} frame samples): {:.4} values/cycle, the binarizer{} busy {:.1}% of the cycles (area_energy::enc_cycles, equal to Verilator's count on the streams of area_energy/tests/area_energy/cycle_model.rs). Area {:.1} um2 ({:.1} um2 memories): {}.\n",
            if d.cores > 1 { format!("`enc_multi` ({} whole cores, slice i on core i mod {})", d.cores, d.cores) } else { "`enc_core`".to_string() },
            d.qp,
            d.cycles,
            d.values,
            d.frame_samples,
            d.values_per_cycle,
            if d.cores > 1 { "s (mean over the cores)" } else { "" },
            100.0 * d.res_enc_busy_share,
            d.area_um2,
            d.memory_um2,
            d.area_scope
        );
        s += &memory_energy_md(d.memory_energy.as_ref());
    }
    let scale = dv / reference::TABLE_II_VALUES_PER_S;
    s += &format!(
        "\n## Against the full video codec at {:.2} G values/s\n\nTable II rows scaled linearly from {:.2} G elements/s.\n\n| | area mm2 | pJ/value |\n|---|---|---|\n",
        dv / 1e9,
        reference::TABLE_II_VALUES_PER_S / 1e9
    );
    for (i, row) in reference::TABLE_II.iter().enumerate() {
        let _ = i;
        s += &format!(
            "| Table II {} | {:.2} | {:.1} |\n",
            row.codec,
            row.area_mm2 * scale,
            row.pj_per_element
        );
    }
    s += &format!(
        "| H.265 encoder model (all parts / kept parts) | {:.2} / {:.2} | {:.1} |\n",
        enc.area_mm2(),
        enc.kept_area_mm2(),
        enc.pj_per_value()
    );
    s += &format!(
        "| H.265 decoder model (all parts / kept parts) | {:.2} / {:.2} | {:.1} |\n",
        dec.area_mm2(),
        dec.kept_area_mm2(),
        dec.pj_per_value()
    );
    for core in ["encoder", "encoder core (cycle model)", "decoder", "decoder core (cycle model)"] {
        if let Some(z) = sizings
            .iter()
            .find(|z| z.core == core && z.values_per_s == dv)
        {
            let what = if core.ends_with("model)") { format!("tcgen {core}") } else { format!("tcgen {core} blocks built so far") };
            s += &format!("| {what} | {:.4} | {:.2} |\n", z.area_mm2, z.pj_per_value);
        }
    }
    s += "\nTargets (100 Gbit/s, ASAP7): decoder <= 0.1 mm2 and 5 pJ/value, encoder <= 0.5 mm2 and 20 pJ/value. The 'blocks built so far' rows replicate each block on its own (see `scope` in report.json); the 'core (cycle model)' rows are whole cores, memories included, at the rate the core's cycle model gives on the input.\n";
    s
}

fn bar_plot(title: &str, items: &[(String, f64)]) -> Result<String> {
    let vals: Vec<f64> = items
        .iter()
        .map(|i| i.1)
        .filter(|v| *v > 0.0 && v.is_finite())
        .collect();
    if vals.is_empty() {
        return Err(anyhow!("nothing to plot"));
    }
    let (lo, hi) = vals
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 520)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        let n = items.len();
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(150)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..n as f64, (lo / 3.0..hi * 3.0).log_scale())
            .map_err(|e| anyhow!("{e}"))?;
        let labels: Vec<String> = items.iter().map(|i| i.0.clone()).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n * 2 + 1)
            .x_label_formatter(&|x| {
                let k = (x - 0.5).round();
                if (x - 0.5 - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < labels.len() {
                    labels[k as usize].clone()
                } else {
                    String::new()
                }
            })
            .x_label_style(
                ("sans-serif", 12)
                    .into_font()
                    .transform(FontTransform::Rotate90),
            )
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        let colors = [
            RGBColor(150, 150, 150),
            RGBColor(200, 120, 60),
            RGBColor(120, 120, 200),
            RGBColor(60, 160, 90),
            RGBColor(200, 30, 30),
        ];
        chart
            .draw_series(
                items
                    .iter()
                    .enumerate()
                    .filter(|(_, i)| i.1 > 0.0)
                    .map(|(k, i)| {
                        let c = if i.0.starts_with("tcgen") {
                            colors[4]
                        } else if i.0.contains("T.265") {
                            colors[3]
                        } else if i.0.contains("kept") {
                            colors[1]
                        } else if i.0.starts_with("Table") {
                            colors[2]
                        } else {
                            colors[0]
                        };
                        Rectangle::new(
                            [(k as f64 + 0.15, lo / 3.0), (k as f64 + 0.85, i.1)],
                            c.filled(),
                        )
                    }),
            )
            .map_err(|e| anyhow!("{e}"))?;
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    Ok(svg)
}

fn throughput_plot(
    clock_mhz: f64,
    dec_vpc: f64,
    enc_vpc: f64,
    targets: &[sizing::Target],
    bpv: f64,
) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (800, 520)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        let max_inst = 256u32;
        let ymax = dec_vpc.max(enc_vpc) * clock_mhz * 1e6 * max_inst as f64 / 1e9;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("throughput vs instances at {clock_mhz} MHz (G values/s, log-log)"),
                ("sans-serif", 20),
            )
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(
                (1f64..max_inst as f64).log_scale(),
                (0.1f64..ymax * 2.0).log_scale(),
            )
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .x_desc("instances of the slowest block")
            .y_desc("G values/s")
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        for (name, vpc, col) in [
            ("decoder blocks", dec_vpc, RGBColor(30, 90, 200)),
            ("encoder blocks", enc_vpc, RGBColor(200, 30, 30)),
        ] {
            let pts: Vec<(f64, f64)> = (0..=8)
                .map(|k| (2f64.powi(k), 2f64.powi(k) * vpc * clock_mhz * 1e6 / 1e9))
                .collect();
            chart
                .draw_series(LineSeries::new(pts, col.stroke_width(2)))
                .map_err(|e| anyhow!("{e}"))?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], col.stroke_width(2))
                });
        }
        for t in targets {
            let v = t.values_per_s(bpv) / 1e9;
            let col = RGBColor(120, 120, 120);
            chart
                .draw_series(LineSeries::new(
                    vec![(1.0, v), (max_inst as f64, v)],
                    col.stroke_width(1),
                ))
                .map_err(|e| anyhow!("{e}"))?
                .label(format!("{} ({v:.1} G/s)", t.name))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], col.stroke_width(1))
                });
        }
        chart
            .configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE.mix(0.8))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    Ok(svg)
}
