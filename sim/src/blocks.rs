//! Per-block testbenches: stimulus sets, the beat packing of each block's streams, and
//! the golden/ reference fed from the input monitor.

use std::collections::VecDeque;

use crate::model::{BuildOptions, Model, SimError};
use crate::tb::{self, Beat, Expected, Reference, Report, Rng, Stream, Timing};

/// One transform unit of stimulus: the block's input values (residuals for `fwd_tq`,
/// levels for `inv_tq`) in raster order, with its side information.
#[derive(Clone, Debug)]
pub struct Tu {
    pub log2: u32,
    pub dst: bool,
    pub qp: u8,
    pub offset: u32,
    pub data: Vec<i32>,
}

/// Which inputs to generate.
#[derive(Clone, Debug)]
pub enum StimSet {
    /// Hand-picked extremes for every size and QP class: zeros, +-255 flats,
    /// checkerboards, ramps and an impulse at every position.
    KnownAnswer,
    /// `per_size` random TUs of each transform (DST 4x4, DCT 4..max), sizes interleaved;
    /// `only` restricts to one transform (log2, dst): a uniform stream for throughput.
    Random { per_size: u64, only: Option<(u32, bool)> },
    /// Every N x N block of the int8 frames of a tensor (as residuals against a flat
    /// 128 prediction and against the row above), up to `limit` blocks per size.
    Tensor { frames: Vec<(usize, usize, Vec<u8>)>, limit: u64 },
}

/// Transforms available at a largest TU of `nm`: (log2, dst).
pub fn transforms(nm: usize) -> Vec<(u32, bool)> {
    let mut v = vec![(2, true), (2, false)];
    let mut l = 3;
    while (1usize << l) <= nm {
        v.push((l, false));
        l += 1;
    }
    v
}

const QPS: [u8; 8] = [0, 1, 4, 12, 22, 27, 37, 51];
const OFFSETS: [u32; 4] = [171, 0, 511, 85];

fn known_answer(nm: usize) -> Vec<(u32, bool, Vec<i32>)> {
    let mut out = Vec::new();
    for (log2, dst) in transforms(nm) {
        let n = 1usize << log2;
        let mut pats: Vec<Vec<i32>> = vec![
            vec![0; n * n],
            vec![255; n * n],
            vec![-255; n * n],
            vec![-256; n * n],
            (0..n * n).map(|i| if (i / n + i % n) % 2 == 0 { 255 } else { -255 }).collect(),
            (0..n * n).map(|i| if (i / n) % 2 == 0 { 255 } else { -255 }).collect(),
            (0..n * n).map(|i| if (i % n) % 2 == 0 { -255 } else { 255 }).collect(),
            (0..n * n).map(|i| ((i % n) as i32 * 510 / (n as i32 - 1)) - 255).collect(),
            (0..n * n).map(|i| ((i / n) as i32 * 510 / (n as i32 - 1)) - 255).collect(),
        ];
        for pos in 0..n * n {
            let mut v = vec![0; n * n];
            v[pos] = if pos % 2 == 0 { 255 } else { -255 };
            pats.push(v);
        }
        for p in pats {
            out.push((log2, dst, p));
        }
    }
    out
}

/// Turn a residual pattern into the block's input for `inv`: the levels that the
/// forward path produces at `qp` (realistic), unchanged for `fwd`.
fn to_input(inv: bool, log2: u32, dst: bool, qp: u8, off: u32, res: Vec<i32>) -> Vec<i32> {
    if !inv {
        return res;
    }
    let n = 1usize << log2;
    let mut c = vec![0; n * n];
    golden::transform::forward(&res, n, dst, &mut c);
    let mut l = vec![0; n * n];
    let mut du = vec![0; n * n];
    golden::quantize::quantize(&c, log2, qp, off, &mut l, &mut du);
    l
}

/// The stimulus TUs of a set, lazily (random sets can be large).
pub fn stimulus(set: &StimSet, inv: bool, nm: usize, seed: u64) -> Box<dyn Iterator<Item = Tu>> {
    match set {
        StimSet::KnownAnswer => {
            let ka = known_answer(nm);
            let mut k = 0usize;
            let mut out = Vec::new();
            for (log2, dst, p) in ka {
                // every pattern at a few QPs; impulses rotate through all QPs
                let reps = if p.iter().filter(|&&v| v != 0).count() == 1 { 1 } else { QPS.len() };
                for r in 0..reps {
                    let qp = QPS[(k + r) % QPS.len()];
                    let off = OFFSETS[(k + r) % OFFSETS.len()];
                    let data = to_input(inv, log2, dst, qp, off, p.clone());
                    out.push(Tu { log2, dst, qp, offset: off, data });
                    if inv {
                        // the same pattern scaled to full-range levels (clipping paths)
                        let big: Vec<i32> = p.iter().map(|&v| v.signum() * 32768.min(v.abs() * 129)).map(|v| v.clamp(-32768, 32767)).collect();
                        out.push(Tu { log2, dst, qp, offset: off, data: big });
                    }
                }
                k += 1;
            }
            Box::new(out.into_iter())
        }
        StimSet::Random { per_size, only } => {
            let tf: Vec<(u32, bool)> = match only {
                Some(t) => vec![*t],
                None => transforms(nm),
            };
            let mut left: Vec<u64> = vec![*per_size; tf.len()];
            let mut rng = Rng(seed);
            Box::new(std::iter::from_fn(move || {
                let total: u64 = left.iter().sum();
                if total == 0 {
                    return None;
                }
                let mut pick = rng.next() % total;
                let mut i = 0;
                while pick >= left[i] {
                    pick -= left[i];
                    i += 1;
                }
                left[i] -= 1;
                let (log2, dst) = tf[i];
                let n = 1usize << log2;
                let qp = (rng.next() % 52) as u8;
                let offset = match rng.next() % 4 {
                    0 => 171,
                    1 => 85,
                    _ => (rng.next() % 512) as u32,
                };
                let kind = rng.next() % 8;
                let amp = [255i64, 255, 255, 64, 16, 4, 255, 1][kind as usize];
                let mut data: Vec<i32> = (0..n * n)
                    .map(|_| {
                        if kind == 6 {
                            // extremes only
                            if rng.next() & 1 == 0 { 255 } else { -255 }
                        } else {
                            rng.range(-amp, amp) as i32
                        }
                    })
                    .collect();
                if inv && kind == 7 {
                    // raw 16-bit levels, the dequantizer's and first stage's clipping
                    data = (0..n * n).map(|_| rng.range(-32768, 32767) as i32).collect();
                    return Some(Tu { log2, dst, qp, offset, data });
                }
                let data = to_input(inv, log2, dst, qp, offset, data);
                Some(Tu { log2, dst, qp, offset, data })
            }))
        }
        StimSet::Tensor { frames, limit } => {
            let mut out = Vec::new();
            let mut rng = Rng(seed);
            for (log2, dst) in transforms(nm) {
                let n = 1usize << log2;
                let mut count = 0u64;
                'f: for (w, h, px) in frames {
                    let (w, h) = (*w, *h);
                    for by in (0..h.saturating_sub(n) + 1).step_by(n) {
                        for bx in (0..w.saturating_sub(n) + 1).step_by(n) {
                            if count >= *limit {
                                break 'f;
                            }
                            let vertical = count % 2 == 1 && by > 0;
                            let res: Vec<i32> = (0..n * n)
                                .map(|i| {
                                    let (y, x) = (by + i / n, bx + i % n);
                                    let v = px[y * w + x] as i32;
                                    if vertical { v - px[(by - 1) * w + x] as i32 } else { v - 128 }
                                })
                                .collect();
                            let qp = (rng.next() % 52) as u8;
                            let data = to_input(inv, log2, dst, qp, 171, res);
                            out.push(Tu { log2, dst, qp, offset: 171, data });
                            count += 1;
                        }
                    }
                }
            }
            Box::new(out.into_iter())
        }
    }
}

pub(crate) fn pack(vals: &[i32], bits: u32) -> u64 {
    let mask = (1u64 << bits) - 1;
    vals.iter().enumerate().fold(0u64, |a, (l, &v)| a | ((v as i64 as u64) & mask) << (bits * l as u32))
}

/// One bit per lane: the value is negative (`fwd_tq`'s `out_neg`).
pub(crate) fn pack_neg(vals: &[i32]) -> u64 {
    vals.iter().enumerate().fold(0u64, |a, (l, &v)| a | ((v < 0) as u64) << l)
}

/// Input beats of a TU stream: `lanes` values per beat packed at `bits` per lane, plus
/// the side-band ports (`fwd`: log2, dst, qp, offset; `inv`: log2, dst, qp).
pub fn beats(tus: impl Iterator<Item = Tu>, lanes: usize, bits: u32, fwd: bool) -> impl Iterator<Item = Beat> {
    tus.flat_map(move |t| {
        let side = (t.log2 as u64, t.dst as u64, t.qp as u64, t.offset as u64);
        let chunks: Vec<Beat> = t
            .data
            .chunks(lanes)
            .map(|c| {
                let mut b = vec![pack(c, bits), side.0, side.1, side.2];
                if fwd {
                    b.push(side.3);
                }
                b
            })
            .collect();
        chunks.into_iter()
    })
}

/// The golden reference of a TU block, assembled from input beats.
struct TuRef {
    fwd: bool,
    lanes: usize,
    cur: Vec<i32>,
    side: Option<(u32, bool, u8, u32)>,
    units: Vec<(u32, bool, u8)>,
}

fn unpack(v: u64, bits: u32, lanes: usize) -> impl Iterator<Item = i32> {
    (0..lanes).map(move |l| {
        let x = (v >> (bits * l as u32)) & ((1u64 << bits) - 1);
        ((x << (64 - bits)) as i64 >> (64 - bits)) as i32
    })
}

impl Reference for TuRef {
    fn accept(&mut self, beat: &Beat, out: &mut VecDeque<Expected>) {
        let in_bits = if self.fwd { 9 } else { 16 };
        if self.side.is_none() {
            self.side = Some((beat[1] as u32, beat[2] != 0, beat[3] as u8, if self.fwd { beat[4] as u32 } else { 0 }));
        }
        self.cur.extend(unpack(beat[0], in_bits, self.lanes));
        let (log2, dst, qp, off) = self.side.unwrap();
        let n = 1usize << log2;
        if self.cur.len() < n * n {
            return;
        }
        let unit = self.units.len() as u64;
        self.units.push((log2, dst, qp));
        let mut a = vec![0i32; n * n];
        if self.fwd {
            golden::transform::forward(&self.cur, n, dst, &mut a);
            let mut lv = vec![0i32; n * n];
            let mut du = vec![0i32; n * n];
            golden::quantize::quantize(&a, log2, qp, off, &mut lv, &mut du);
            let beats = n * n / self.lanes;
            for b in 0..beats {
                let r = b * self.lanes..(b + 1) * self.lanes;
                out.push_back(Expected {
                    beat: vec![pack(&lv[r.clone()], 16), pack(&du[r.clone()], 10), pack_neg(&a[r]), (b == beats - 1) as u64],
                    unit,
                    index: b as u32,
                });
            }
        } else {
            golden::quantize::dequantize(&self.cur, log2, qp, &mut a);
            let mut res = vec![0i32; n * n];
            golden::transform::inverse(&a, n, dst, &mut res);
            let beats = n * n / self.lanes;
            for b in 0..beats {
                let r = b * self.lanes..(b + 1) * self.lanes;
                out.push_back(Expected { beat: vec![pack(&res[r], 16), (b == beats - 1) as u64], unit, index: b as u32 });
            }
        }
        self.cur.clear();
        self.side = None;
    }

    fn locate(&self, unit: u64, index: u32, port: usize) -> String {
        let (log2, dst, qp) = self.units[unit as usize];
        let n = 1usize << log2;
        let first = index as usize * self.lanes;
        let names: &[&str] = if self.fwd { &["out_level", "out_du", "out_neg", "out_last"] } else { &["out_res", "out_last"] };
        format!(
            "TU #{unit} ({n}x{n} {}, QP {qp}) row {} columns {}..{} port {}",
            if dst { "DST" } else { "DCT" },
            first / n,
            first % n,
            first % n + self.lanes - 1,
            names.get(port).unwrap_or(&"?")
        )
    }

    fn samples_per_beat(&self) -> usize {
        self.lanes
    }
}

/// The dequant block's reference (one level per beat).
struct DequantRef {
    n: u64,
}

impl Reference for DequantRef {
    fn accept(&mut self, beat: &Beat, out: &mut VecDeque<Expected>) {
        let lvl = beat[0] as u16 as i16 as i32;
        let mut o = [0i32];
        golden::quantize::dequantize(&[lvl], beat[2] as u32, beat[1] as u8, &mut o);
        out.push_back(Expected { beat: vec![o[0] as i64 as u64 & 0xffff], unit: self.n, index: 0 });
        self.n += 1;
    }
    fn locate(&self, unit: u64, _index: u32, _port: usize) -> String {
        format!("coefficient #{unit}")
    }
    fn samples_per_beat(&self) -> usize {
        1
    }
}

/// What to run and how.
#[derive(Clone, Debug)]
pub struct CosimRun {
    pub sets: Vec<StimSet>,
    pub timing: Timing,
    pub build: BuildOptions,
    /// VCD window (cycles from..to) and file.
    pub trace: Option<(std::path::PathBuf, u64, u64)>,
}

/// Result of a cosimulation: the report per stimulus set, toggles if requested.
#[derive(Debug, serde::Serialize)]
pub struct CosimResult {
    pub block: String,
    pub lanes: usize,
    pub max_tu: usize,
    pub sets: Vec<(String, Report)>,
    pub toggles: Vec<crate::model::Toggle>,
    /// Watched bits ([`cosim_watching`]): rising edges sampled and each bit's count of
    /// edges at which it was 1 (None: the model has no such signal or bit).
    pub watched: Option<(u64, Vec<Option<u64>>)>,
}

impl CosimResult {
    pub fn mismatches(&self) -> u64 {
        self.sets.iter().map(|(_, r)| r.mismatches).sum()
    }
}

/// Names of the blocks with a testbench.
pub const BENCHED: [&str; 11] = ["dequant", "fwd_tq", "inv_tq", "cabac_dec", "cabac_enc", "res_dec", "intra_pred", "syn_dec", "res_enc", "satd", "sdh"];

/// Build the block for `params`, run every stimulus set through it against golden/.
pub fn cosim(block: &str, params: &golden::Params, run: &CosimRun) -> Result<CosimResult, SimError> {
    let module = hw::block(block, params).map_err(SimError::Other)?;
    cosim_module(block, &module, params, run)
}

/// [`cosim`] of a given implementation of `block`: the generated RTL, or a netlist of
/// it with the same ports (yosys's gate-level output, for gate-level activity).
pub fn cosim_module(block: &str, module: &hw::GeneratedModule, params: &golden::Params, run: &CosimRun) -> Result<CosimResult, SimError> {
    cosim_watching(block, module, params, run, &[])
}

/// [`cosim_module`] counting, for each watched bit (signal named as in the toggle
/// counts, bit index), the rising clock edges at which it is 1 (`sim::Model::watch`;
/// the build must count toggles).
pub fn cosim_watching(block: &str, module: &hw::GeneratedModule, params: &golden::Params, run: &CosimRun, watch: &[(String, u32)]) -> Result<CosimResult, SimError> {
    let (lanes, nm) = if matches!(block, "dequant" | "cabac_dec" | "cabac_enc" | "res_dec" | "syn_dec") { (1, 32) } else if block == "intra_pred" { (crate::intra_pred::LANES, 32) } else if block == "satd" { (4, hw::tu_params(params).map_err(SimError::Other)?.1) } else { hw::tu_params(params).map_err(SimError::Other)? };
    let mut m = Model::new(&module, &run.build)?;
    if !watch.is_empty() {
        // bare net names (no '.', or an escaped identifier, which may hold dots) are the
        // top module's, as the netlist spells them
        let is_bare = |n: &str| n.starts_with('\\') || !n.contains('.');
        let names = if watch.iter().any(|(n, _)| is_bare(n)) { Some(m.top_signals()?) } else { None };
        let resolved: Vec<(String, u32)> = watch
            .iter()
            .map(|(n, b)| {
                let bare = n.trim_start_matches('\\').trim_end();
                match &names {
                    Some(map) if is_bare(n) => (map.get(bare).cloned().unwrap_or_else(|| format!("top.{}.{bare}", module.name)), *b),
                    _ => (n.clone(), *b),
                }
            })
            .collect();
        m.watch(&resolved)?;
    }
    if let Some((path, from, to)) = &run.trace {
        m.trace_window(path, *from, *to)?;
    }
    let reset = Some(m.port("reset")?);
    let mut sets = Vec::new();
    for (k, set) in run.sets.iter().enumerate() {
        let name = match set {
            StimSet::KnownAnswer => "known-answer".to_string(),
            StimSet::Random { per_size, only: None } => format!("random {per_size} per size"),
            StimSet::Random { per_size, only: Some((l, d)) } => {
                format!("random {per_size} {}x{} {}", 1 << l, 1 << l, if *d { "DST" } else { "DCT" })
            }
            StimSet::Tensor { limit, .. } => format!("tensor blocks (<= {limit} per size)"),
        };
        let timing = Timing { seed: run.timing.seed.wrapping_add(k as u64 * 0x1000), ..run.timing.clone() };
        let rep = match block {
            "cabac_enc" => {
                let streams = cabac_streams(set, timing.seed);
                if streams.is_empty() {
                    continue;
                }
                let input = Stream::new(&m, "rq_valid", "rq_ready", &["rq_kind", "rq_bin", "rq_state", "rq_nb", "rq_bins"])?;
                let output = Stream::new(&m, "out_valid", "out_ready", &["out_byte", "out_last"])?;
                let mut bins = Vec::new();
                for s in &streams {
                    bins.extend(s.bins.iter().copied());
                    bins.push((3, 0, 0));
                }
                let beats = cabac_enc_beats(&bins);
                let mut r = CabacEncRef { enc: golden::cabac::CabacEncoder::new(), stream: 0 };
                let mut rep = tb::run(&mut m, &input, &output, beats, &mut r, &timing, reset)?;
                // the engine's unit of work: bins (a bypass request carries up to KE)
                rep.work = bins.len() as u64 - streams.len() as u64;
                rep.samples_per_cycle = rep.work as f64 / rep.cycles.max(1) as f64;
                rep
            }
            "cabac_dec" => {
                let streams = cabac_streams(set, timing.seed);
                if streams.is_empty() {
                    continue;
                }
                cabac_run(&mut m, &streams, &timing)?
            }
            "intra_pred" => {
                let jobs = crate::intra_pred::jobs(set, timing.seed);
                if jobs.is_empty() {
                    continue;
                }
                crate::intra_pred::run(&mut m, &jobs, &timing)?
            }
            "syn_dec" => {
                let streams = crate::syn_dec::set_streams(set, params, timing.seed)?;
                if streams.is_empty() {
                    continue;
                }
                crate::syn_dec::run_streams(&mut m, &streams, timing.seed)?
            }
            "satd" => {
                let jobs = crate::satd::jobs(set, nm, timing.seed);
                if jobs.is_empty() {
                    continue;
                }
                let input = Stream::new(&m, "in_valid", "in_ready", &["in_pred", "in_orig", "in_log2"])?;
                let output = Stream::new(&m, "out_valid", "out_ready", &["out_satd"])?;
                let mut r = crate::satd::SatdRef::new();
                tb::run(&mut m, &input, &output, crate::satd::beats(&jobs), &mut r, &timing, reset)?
            }
            "sdh" => {
                let jobs = crate::sdh::jobs(set, nm, timing.seed);
                if jobs.is_empty() {
                    continue;
                }
                let input = Stream::new(&m, "in_valid", "in_ready", &["in_level", "in_du", "in_neg", "in_last", "in_log2", "in_scan", "in_hide"])?;
                let output = Stream::new(&m, "out_valid", "out_ready", &["out_level", "out_last", "out_cbf"])?;
                let mut r = crate::sdh::SdhRef::new(lanes);
                tb::run(&mut m, &input, &output, crate::sdh::beats(&jobs, lanes), &mut r, &timing, reset)?
            }
            "res_enc" => {
                let cmds = crate::res_enc::set_commands(set, nm.trailing_zeros(), timing.seed);
                if cmds.is_empty() {
                    continue;
                }
                crate::res_enc::run(&mut m, &cmds, lanes, &timing)?
            }
            "res_dec" => {
                let streams = crate::res_dec::streams(set, timing.seed);
                if streams.is_empty() {
                    continue;
                }
                crate::res_dec::run(&mut m, &streams, &timing)?
            }
            "dequant" => {
                let input = Stream::new(&m, "in_valid", "in_ready", &["in_level", "in_qp", "in_log2"])?;
                let output = Stream::new(&m, "out_valid", "out_ready", &["out_coeff"])?;
                let tus = stimulus(set, true, 32, timing.seed);
                let beats = tus.flat_map(|t| {
                    let (qp, log2) = (t.qp as u64, t.log2 as u64);
                    t.data.into_iter().map(move |l| vec![l as i64 as u64 & 0xffff, qp, log2])
                });
                tb::run(&mut m, &input, &output, beats, &mut DequantRef { n: 0 }, &timing, reset)?
            }
            "fwd_tq" | "inv_tq" => {
                let fwd = block == "fwd_tq";
                let (dname, bits) = if fwd { ("in_res", 9) } else { ("in_level", 16) };
                let mut side = vec![dname, "in_log2", "in_dst", "in_qp"];
                if fwd {
                    side.push("in_offset");
                }
                let input = Stream::new(&m, "in_valid", "in_ready", &side)?;
                let outs: &[&str] = if fwd { &["out_level", "out_du", "out_neg", "out_last"] } else { &["out_res", "out_last"] };
                let output = Stream::new(&m, "out_valid", "out_ready", outs)?;
                let tus = stimulus(set, !fwd, nm, timing.seed);
                let mut r = TuRef { fwd, lanes, cur: Vec::new(), side: None, units: Vec::new() };
                tb::run(&mut m, &input, &output, beats(tus, lanes, bits, fwd), &mut r, &timing, reset)?
            }
            other => return Err(SimError::Other(format!("no testbench for block `{other}`"))),
        };
        sets.push((name, rep));
    }
    m.trace_flush();
    let toggles = if run.build.toggles { m.toggles()? } else { Vec::new() };
    let watched = if watch.is_empty() { None } else { Some(m.watch_counts()?) };
    Ok(CosimResult { block: block.into(), lanes, max_tu: nm, sets, toggles, watched })
}

/// Int8 frames of a tensor (path or built-in name like `@minilm`) for [`StimSet::Tensor`].
pub fn tensor_frames(spec: &str, params: &golden::Params) -> Result<Vec<(usize, usize, Vec<u8>)>, SimError> {
    let t = golden::sample::load(spec, None).map_err(|e| SimError::Other(format!("{spec}: {e}")))?;
    let prep = golden::pipeline::prepare(&t, params).map_err(|e| SimError::Other(format!("{spec}: {e}")))?;
    let (w, h) = (prep.layout.frame_width as usize, prep.layout.frame_height as usize);
    Ok(prep.frames.into_iter().map(|f| (w, h, f)).collect())
}

/// One CABAC substream for `cabac_dec`: its bytes and the engine requests that decode
/// it, (kind, {valMps, pStateIdx}) as the parser would issue them.
pub struct CabacStream {
    pub bytes: Vec<u8>,
    pub requests: Vec<(u8, u8)>,
    /// The encoder side: (kind, bin, context state before the bin), ending with the
    /// terminating bin 1.
    pub bins: Vec<(u8, u8, u8)>,
}

fn pack_ctx(c: &golden::cabac::Ctx) -> u8 {
    (c.mps << 6) | c.state
}

/// Encode `ops` (kind 0 decision on context `ci`, 1 bypass, 2 terminate 0) with the
/// golden encoder; the requests carry the context state before each decision.
fn cabac_stream(qp: i32, ops: &[(u8, usize, u32)]) -> CabacStream {
    use golden::cabac::{BinSink, CabacEncoder, Contexts};
    let mut ctx = Contexts::new(qp).sig;
    let mut e = CabacEncoder::new();
    let mut requests = vec![(3u8, 0u8)];
    let mut bins = Vec::new();
    for &(kind, ci, b) in ops {
        let ci = ci % ctx.len();
        match kind {
            0 => {
                requests.push((0, pack_ctx(&ctx[ci])));
                bins.push((0, b as u8, pack_ctx(&ctx[ci])));
                e.bin(&mut ctx[ci], b);
            }
            1 => {
                requests.push((1, 0));
                bins.push((1, b as u8, 0));
                e.bypass(b);
            }
            _ => {
                requests.push((2, 0));
                bins.push((2, 0, 0));
                e.terminate(0);
            }
        }
    }
    requests.push((2, 0));
    bins.push((2, 1, 0));
    e.terminate(1);
    CabacStream { bytes: e.finish(), requests, bins }
}

/// Substreams of a stimulus set for `cabac_dec`.
pub fn cabac_streams(set: &StimSet, seed: u64) -> Vec<CabacStream> {
    let mut rng = Rng(seed);
    match set {
        StimSet::KnownAnswer => {
            let mut v = Vec::new();
            // every state decided both ways from a fresh context (each op on its own context)
            for qp in [0, 26, 51] {
                let mut ops = Vec::new();
                for ci in 0..44usize {
                    for b in 0..2 {
                        for _ in 0..40 {
                            ops.push((0u8, ci, b));
                        }
                    }
                }
                v.push(cabac_stream(qp, &ops));
            }
            // LPS after LPS (largest renormalizations), MPS runs to state 62
            let lps: Vec<_> = (0..3000).map(|i| (0u8, 0usize, (i % 2) as u32)).collect();
            v.push(cabac_stream(22, &lps));
            let mps: Vec<_> = (0..3000).map(|_| (0u8, 1usize, 0)).collect();
            v.push(cabac_stream(22, &mps));
            // bypass runs of zeros, ones, alternating; terminate(0) runs
            for pat in 0..3u32 {
                let ops: Vec<_> = (0..4000).map(|i| (1u8, 0usize, if pat == 2 { (i % 2) as u32 } else { pat })).collect();
                v.push(cabac_stream(22, &ops));
            }
            let term: Vec<_> = (0..600).map(|i| if i % 3 == 0 { (2u8, 0usize, 0) } else { (1u8, 0usize, (i % 2) as u32) }).collect();
            v.push(cabac_stream(22, &term));
            v.push(cabac_stream(22, &[]));
            v
        }
        StimSet::Random { per_size, .. } => (0..*per_size)
            .map(|_| {
                let qp = (rng.next() % 52) as i32;
                let n = 1 + (rng.next() % 3000) as usize;
                let ops: Vec<_> = (0..n)
                    .map(|_| {
                        let k = rng.next() % 10;
                        let kind = if k < 6 { 0u8 } else if k < 9 { 1 } else { 2 };
                        let skew = rng.next() % 8;
                        let bin = if kind == 2 { 0 } else { (skew == 0) as u32 ^ (rng.next() % 16 == 0) as u32 };
                        (kind, (rng.next() % 44) as usize, bin)
                    })
                    .collect();
                cabac_stream(qp, &ops)
            })
            .collect(),
        StimSet::Tensor { .. } => Vec::new(),
    }
}

/// The golden decoding engine fed from the request monitor.
struct CabacRef {
    bytes: &'static [u8],
    dec: Option<golden::decoder::cabac::CabacDecoder<'static>>,
    stream: u64,
    n: u32,
}

impl Reference for CabacRef {
    fn accept(&mut self, b: &Beat, out: &mut VecDeque<Expected>) {
        let (kind, state) = (b[0] as u8, b[1] as u8);
        let mut ctx = golden::cabac::Ctx { state: state & 63, mps: state >> 6 };
        let bin = match (kind, self.dec.as_mut()) {
            (3, _) | (_, None) => {
                self.dec = Some(golden::decoder::cabac::CabacDecoder::new(self.bytes, 0));
                0
            }
            (0, Some(d)) => d.decision(&mut ctx),
            (1, Some(d)) => d.bypass(),
            (_, Some(d)) => d.terminate(),
        };
        out.push_back(Expected { beat: vec![bin as u64, pack_ctx(&ctx) as u64], unit: self.stream, index: self.n });
        self.n += 1;
    }
    fn locate(&self, unit: u64, index: u32, port: usize) -> String {
        format!("substream #{unit} request #{index} port {}", ["rs_bin", "rs_state"].get(port).unwrap_or(&"?"))
    }
    fn samples_per_beat(&self) -> usize {
        1
    }
}

fn cabac_run(m: &mut Model, streams: &[CabacStream], timing: &Timing) -> Result<Report, SimError> {
    let input = Stream::new(m, "rq_valid", "rq_ready", &["rq_kind", "rq_state"])?;
    let output = Stream::new(m, "rs_valid", "rs_ready", &["rs_bin", "rs_state"])?;
    let bs = Stream::new(m, "bs_valid", "bs_ready", &["bs_byte", "bs_last"])?;
    let reset = Some(m.port("reset")?);
    let mut total = Report::default();
    let t0 = std::time::Instant::now();
    for (i, s) in streams.iter().enumerate() {
        let bytes: &'static [u8] = Box::leak(s.bytes.clone().into_boxed_slice());
        let mut r = CabacRef { bytes, dec: None, stream: i as u64, n: 0 };
        let n = bytes.len();
        let mut it = bytes.iter().enumerate().map(move |(k, &b)| vec![b as u64, (k + 1 == n) as u64]);
        let beats = s.requests.iter().map(|&(k, st)| vec![k as u64, st as u64]);
        let t = Timing { seed: timing.seed.wrapping_add(i as u64), ..timing.clone() };
        let rep = tb::run_aux(m, &input, &output, beats, &mut r, &t, reset, Some((&bs, &mut it)))?;
        total.absorb(rep);
    }
    total.wall_seconds = t0.elapsed().as_secs_f64();
    total.cycles_per_second = total.cycles as f64 / total.wall_seconds.max(1e-9);
    total.samples_per_cycle = total.beats_in as f64 / total.cycles.max(1) as f64;
    Ok(total)
}

/// `cabac_enc`'s request beats (`rq_kind`, `rq_bin`, `rq_state`, `rq_nb`, `rq_bins`) of
/// a bin stream (kind, bin, state; kind 3 a substream's finish), fed as `res_enc` feeds
/// its engine: runs of bypass bins up to KE per request
/// (`golden::cabac::engine_requests`).
pub fn cabac_enc_beats(bins: &[(u8, u8, u8)]) -> Vec<Beat> {
    let mut beats = Vec::new();
    let mut at = 0;
    for n in golden::cabac::engine_requests(bins.iter().map(|b| b.0), hw::cabac_enc::KE as usize) {
        let group = &bins[at..at + n];
        at += n;
        let (kind, bin, state) = group[0];
        if kind == 1 {
            let value = group.iter().fold(0u64, |v, b| (v << 1) | b.1 as u64);
            beats.push(vec![1, 0, 0, n as u64, value]);
        } else {
            beats.push(vec![kind as u64, bin as u64, state as u64, 0, 0]);
        }
    }
    beats
}

/// The golden encoding engine fed from the request monitor: the bytes of a substream
/// are expected when its `finish` request is accepted.
struct CabacEncRef {
    enc: golden::cabac::CabacEncoder,
    stream: u64,
}

impl Reference for CabacEncRef {
    fn accept(&mut self, b: &Beat, out: &mut VecDeque<Expected>) {
        use golden::cabac::BinSink;
        let (kind, bin, state) = (b[0] as u8, b[1] as u32, b[2] as u8);
        match kind {
            0 => {
                let mut ctx = golden::cabac::Ctx { state: state & 63, mps: state >> 6 };
                self.enc.bin(&mut ctx, bin);
            }
            1 => self.enc.bypass_bits(b[4] as u32, b[3] as u32),
            2 => self.enc.terminate(bin),
            _ => {
                let bytes = std::mem::take(&mut self.enc).finish();
                let n = bytes.len();
                for (i, byte) in bytes.into_iter().enumerate() {
                    out.push_back(Expected { beat: vec![byte as u64, (i + 1 == n) as u64], unit: self.stream, index: i as u32 });
                }
                self.stream += 1;
            }
        }
    }
    fn locate(&self, unit: u64, index: u32, port: usize) -> String {
        format!("substream #{unit} byte #{index} port {}", ["out_byte", "out_last"].get(port).unwrap_or(&"?"))
    }
    fn samples_per_beat(&self) -> usize {
        1
    }
}
