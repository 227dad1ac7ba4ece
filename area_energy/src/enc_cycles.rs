//! Core-level cycle model of the encoder core `hw::enc_core` (and of `hw::enc_multi`'s
//! cores), checked against Verilator in `area_energy/tests/area_energy/cycle_model.rs`.
//!
//! Its input is what golden's hardware strategy decided, read back from golden's
//! stream (`golden::decoder::slices` and `decode_traced`'s luma records: each CU's
//! position, size, mode, cbf and levels after sign hiding). A control-level
//! transcription, stepped cycle by cycle without any datapath:
//! - `search`'s state machine: the walk over the CTU's 8x8 units (one cycle per CU and
//!   per unit outside the picture), the record to `recon` (its 4-entry queue), the
//!   CU's original beats (N^2/4, offered every cycle), the wait for the decision of the
//!   CU before, one probe per configured mode (none with a single mode; the next probe starts when this one's
//!   last prediction beat is in `satd`), the wait for the last SATD, the final probe
//!   (only when the forwarder is idle) and the residual, P per beat through the
//!   gearbox, into `fwd_tq` or (lossless) `sdh`;
//! - the forwarder: `sdh`'s first beat starts it, the CU decision to `syn_enc` and to
//!   `recon` (the decision probe has the probe port's priority), then each beat held
//!   until `syn_enc` took it and `recon` took its non-zero levels one per cycle (and
//!   the end mark after the last beat); a CU without levels drops its beats;
//! - `recon`'s probe variant: record queue, CTU bank hand-over, the gather (2N +
//!   N/2 + 1 slots + 2 cycles), the probe state (a probe's N reference beats, `pb_ready`
//!   again two cycles after the last), the decision, and the run of the decoder model
//!   (`crate::core_cycles`: references, `inv_tq`'s output times, the sums); the
//!   coefficient memory held until the run read its last word; the CTU read-out (a
//!   word of 4 samples per cycle) in the single core;
//! - `intra_pred`: N reference beats, a flush cycle, strong intra smoothing (16 cycles
//!   for a 32x32 job of a mode that filters, when golden's trace says the CU's
//!   references pass the test), the projection of negative angles
//!   ([`crate::cycle::intra_projection_cycles`]), N^2/4 prediction beats into its
//!   2-entry output FIFO;
//! - `satd`: a block's result [`satd_latency`] cycles after its last beat (its banks
//!   never stall on one CU's blocks of one size, which come at most one beat a cycle);
//! - `fwd_tq`: [`crate::cycle::TqCtl`], the transform blocks' control model;
//! - `sdh`: the load, the walk over the groups ([`crate::cycle::sdh_walk_cycles`]),
//!   the read-out (a read while the FIFO and the read in flight leave room) and the
//!   return to the load state the cycle after the FIFO is empty;
//! - `syn_enc` per engine: its state machine's cycles per CTU, quadtree node and CU
//!   (split flags need the CU on `cu_*`, the CU state takes it), every CU-level bin a
//!   command to `res_enc` (the send state waits until the binarizer is idle), the WPP
//!   storage, row ends, synchronization and the slice's drain;
//! - `res_enc` per engine: context initialization, storage and restoration one context
//!   per cycle, bins one request per cycle (bypass runs [`KE`] per request), and each TU's
//!   residual_coding() phase by phase ([`res_enc_steps`]); its two level banks (the
//!   forwarder's beats load the next TU while one is coded);
//! - the arithmetic engine (`cabac_enc`): a request per cycle, except that a request
//!   whose write-out resolves k > 1 bytes holds it k cycles and a flush holds it until
//!   its bytes are out; the bytes of every request come from the slice's bins
//!   (golden's `decode_traced().cabac_bins`, encoded again by golden's encoder request
//!   by request), which also checks that the model issues exactly the stream's bins;
//!   the output FIFO (2 entries) and emulation prevention (after two zero bytes a byte
//!   of at most 3 waits a cycle behind the inserted 0x03).
//!
//! The count ends with the last byte or reconstructed beat out, as `sim::enc_core::run`
//! counts with stall 0 (original samples offered every cycle, bytes and pictures always
//! taken). Simplification: the read-out's conflicts with the gather's reads of the same
//! bank are ignored (as in the decoder model); on the streams checked the count equals
//! Verilator's.

use crate::core_cycles::{run_schedule, RunJob};
use crate::cycle::{intra_projection_cycles, satd_run, sdh_walk_cycles, Tq, TqCtl};
use std::collections::{HashMap, VecDeque};

/// What the model needs of the core's configuration.
#[derive(Clone, Debug)]
pub struct EncCoreConfig {
    /// `rtl.samples_per_cycle` (`fwd_tq`, `sdh`, `inv_tq` and the level beats).
    pub lanes: u32,
    /// log2 of the largest TU the core is generated for (`bitstream.max_tu_size`).
    pub log2_max_tu: u32,
    /// log2 of `encoder.hw.cu_size`.
    pub log2_cu: u32,
    /// `encoder.hw.modes`: the probes, in order.
    pub modes: Vec<u8>,
    /// `rtl.cabac_engines` (one for `enc_multi`'s cores).
    pub engines: usize,
}

impl EncCoreConfig {
    pub fn of(p: &golden::Params) -> Self {
        EncCoreConfig {
            lanes: p.rtl.samples_per_cycle,
            log2_max_tu: p.bitstream.max_tu_size.trailing_zeros(),
            log2_cu: p.encoder.hw.cu_size.trailing_zeros(),
            modes: p.encoder.hw.modes.clone(),
            engines: p.rtl.cabac_engines.clamp(1, 4) as usize,
        }
    }
}

/// The model's cycle count of a stream and what it saw.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct EncCoreTiming {
    /// Cycles from the first after reset to the last byte or reconstructed beat out
    /// (Verilator's `sim::enc_core::run` count with stall 0).
    pub cycles: u64,
    pub slices: u64,
    pub cus: u64,
    /// Cycles `res_enc` was busy (all engines).
    pub res_enc_busy: u64,
    /// Cycles the search waited with the final probe for the forwarder (the back end).
    pub final_waits: u64,
    /// Cycles the search waited for the CU before's decision to reach `recon`.
    pub decision_waits: u64,
}

/// `satd`: cycles from a block's last input beat to its result, blocks of 2^`log2`.
pub fn satd_latency(log2: u32) -> u64 {
    satd_run(&[log2]) - (1u64 << (2 * log2)) / 4
}

/// One cycle of `res_enc` on a command, after its command cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RStep {
    /// No engine request.
    Plain,
    /// An engine request of one bin, or of up to [`KE`] bypass bins.
    Req(u8),
    /// The flush request (op 3 kind 0).
    Flush,
    /// PH_TUW: waits for a loaded level bank.
    Bank,
    /// PH_END: the TU's bank is freed.
    Free,
}

/// `res_enc`'s cycles for residual_coding() of a TU (raster `levels` with a non-zero
/// one, scanIdx `scan`, sign hiding `sdh`), phase by phase as its state machine: the
/// bank wait, the first sub-block's fetch (5 cycles) and the last position (its
/// prefixes one bin per request, each suffix one request); per sub-block from the last one
/// down: the check (a fetch of 5 cycles for a coded one and for sub-block 0), its
/// coded_sub_block_flag, one cycle per significance position (the inferred DC too),
/// greater1 flags, greater2, signs [`KE`] per request, per coefficient one cycle without
/// a remaining level, else its codeword (prefix, closing zero, suffix) [`KE`] bins per
/// request; the end cycle.
pub fn res_enc_steps(levels: &[i32], log2: u32, scan: u32, sdh: bool) -> Vec<RStep> {
    use golden::residual::{next_rice, remaining_lengths, scan_table, GROUP_IDX};
    use RStep::Plain;
    let n = 1usize << log2;
    let sc = scan_table(log2, scan);
    let lvs: Vec<i32> = sc.iter().map(|&r| levels[r as usize]).collect();
    let Some(last_pos) = (0..n * n).rev().find(|&p| lvs[p] != 0) else { return Vec::new() };
    let raster = sc[last_pos] as usize;
    let (mut lx, mut ly) = (raster % n, raster / n);
    if scan == 2 {
        std::mem::swap(&mut lx, &mut ly);
    }
    let mut v = vec![RStep::Bank];
    let rep = |v: &mut Vec<RStep>, s: RStep, k: u64| v.extend(std::iter::repeat_n(s, k as usize));
    let one = RStep::Req(1);
    rep(&mut v, Plain, 5); // PH_FETCH
    v.push(Plain); // PH_LAST
    let cmax = 2 * log2 - 1;
    let gs = [GROUP_IDX[lx] as u32, GROUP_IDX[ly] as u32];
    for g in gs {
        rep(&mut v, one, (g + (g < cmax) as u32) as u64);
    }
    for g in gs {
        if g > 3 {
            bypass_run(&mut v, ((g >> 1) - 1) as u64);
        }
    }
    let last_sb = last_pos >> 4;
    for sb in (0..=last_sb).rev() {
        let sub = &lvs[sb * 16..sb * 16 + 16];
        let any = sub.iter().any(|&l| l != 0);
        // PH_CSBF (with a fetch first where needed), then PH_SIG's positions
        let mut sig_pos = Vec::with_capacity(16);
        if sb == last_sb {
            v.push(Plain);
            sig_pos.push(last_pos & 15);
            rep(&mut v, one, (last_pos & 15) as u64);
            sig_pos.extend((0..last_pos & 15).rev().filter(|&k| sub[k] != 0));
        } else if sb > 0 {
            if !any {
                v.push(one);
                continue;
            }
            v.push(Plain);
            rep(&mut v, Plain, 5);
            v.push(one);
            let mut infer_dc = true;
            for k in (0..16).rev() {
                if k == 0 && infer_dc {
                    v.push(Plain);
                    sig_pos.push(0);
                    continue;
                }
                v.push(one);
                if sub[k] != 0 {
                    sig_pos.push(k);
                    infer_dc = false;
                }
            }
        } else {
            v.push(Plain);
            rep(&mut v, Plain, 5);
            v.push(Plain);
            rep(&mut v, one, 16);
            sig_pos.extend((0..16).rev().filter(|&k| sub[k] != 0));
        }
        let nsig = sig_pos.len();
        if nsig == 0 {
            continue;
        }
        let abs: Vec<u32> = sig_pos.iter().map(|&k| sub[k].unsigned_abs()).collect();
        rep(&mut v, one, nsig.min(8) as u64);
        if abs.iter().take(8).any(|&a| a > 1) {
            v.push(one);
        }
        let hidden = sdh && sig_pos[0] - sig_pos[nsig - 1] > 3;
        bypass_run(&mut v, (nsig - hidden as usize) as u64);
        let (mut rice, mut first_c2) = (0u32, 1u32);
        for (j, &a) in abs.iter().enumerate() {
            let base = if j < 8 { 2 + first_c2 } else { 1 };
            if a >= base {
                let (prefix, suffix) = remaining_lengths(a - base, rice);
                // the codeword (prefix ones, its closing zero, the suffix) KE bins per
                // request, the first request in the coefficient's own cycle
                bypass_run(&mut v, (prefix + suffix) as u64);
                rice = next_rice(rice, a as u64);
            } else {
                v.push(Plain);
            }
            if a >= 2 {
                first_c2 = 0;
            }
        }
    }
    v.push(RStep::Free);
    v
}

/// Bypass bins `hw::res_enc` hands its engine in one request
/// ([`golden::config::RES_ENC_BYPASS_BINS`]).
pub const KE: u64 = golden::config::RES_ENC_BYPASS_BINS as u64;

/// A run of `n` bypass bins: [`KE`] per request, the rest in a last one.
fn bypass_run(v: &mut Vec<RStep>, n: u64) {
    v.extend(std::iter::repeat_n(RStep::Req(KE as u8), (n / KE) as usize));
    if n % KE != 0 {
        v.push(RStep::Req((n % KE) as u8));
    }
}

/// A `res_enc` command from `syn_enc`.
#[derive(Clone, Debug)]
enum Cmd {
    /// Initialization (137 cycles), storage (137) or restoration (138): no requests.
    Plain(u64),
    /// Op 2: one decision or terminating bin (1), or a run of `n` bypass bins.
    Bins(u64),
    /// The substream's flush.
    Flush,
    /// residual_coding() of the slice's CU `ci`.
    Tu(usize),
}

/// `res_enc`'s cycles on a command (after its command cycle).
fn cmd_steps(c: &Cmd, cus: &[Cu]) -> Vec<RStep> {
    match c {
        Cmd::Plain(k) => vec![RStep::Plain; *k as usize],
        Cmd::Bins(n) => {
            let mut v = Vec::new();
            bypass_run(&mut v, *n);
            v
        }
        Cmd::Flush => vec![RStep::Flush],
        Cmd::Tu(ci) => cus[*ci].res.clone(),
    }
}

/// The bytes each engine request of a slice resolves (its flushes: the bytes they put
/// out), in the order `syn_enc` and `res_enc` issue them: the slice's bins from
/// golden's decoder (`decode_traced().cabac_bins`) encoded by golden's encoder one
/// request at a time, a request of several bypass bins folded in one step as the
/// engine does (`bypass_bits(.., n)`: its write-out can resolve other bytes than n
/// single bins would). Fails when the model's requests do not cover the slice's bins exactly.
fn request_bytes(uops: &[Uop], cus: &[Cu], bins: &[(u8, u8, u8)]) -> Result<Vec<u32>, String> {
    use golden::cabac::{BinSink, CabacEncoder, Ctx};
    let mut e = CabacEncoder::new();
    let mut it = bins.iter();
    let mut out = Vec::new();
    for u in uops {
        let Uop::Send(c) = u else { continue };
        for st in cmd_steps(c, cus) {
            let before = e.bytes_written();
            let bad = |i: usize| format!("request {i}: the bins do not match the model's requests");
            match st {
                RStep::Req(n) if n > 1 => {
                    let mut value = 0u32;
                    for _ in 0..n {
                        match it.next() {
                            Some(&(1, b, _)) => value = (value << 1) | b as u32,
                            _ => return Err(bad(out.len())),
                        }
                    }
                    e.bypass_bits(value, n as u32)
                }
                RStep::Req(_) => match it.next() {
                    Some(&(0, b, state)) => e.bin(&mut Ctx { state: state & 63, mps: state >> 6 }, b as u32),
                    Some(&(1, b, _)) => e.bypass(b as u32),
                    Some(&(2, b, _)) => e.terminate(b as u32),
                    _ => return Err(bad(out.len())),
                },
                RStep::Flush => match it.next() {
                    Some(&(3, _, _)) => {
                        out.push((std::mem::take(&mut e).finish().len() - before) as u32);
                        continue;
                    }
                    _ => return Err(bad(out.len())),
                },
                _ => continue,
            }
            out.push((e.bytes_written() - before) as u32);
        }
    }
    if it.next().is_some() {
        return Err(format!("{} bins left after the model's {} requests", it.count() + 1, out.len()));
    }
    Ok(out)
}

/// `syn_enc`'s micro-operations.
#[derive(Clone, Debug)]
enum Uop {
    /// A state's cycle.
    Cyc,
    /// S_SEND: waits for `res_enc` to be idle, then hands it the command.
    Send(Cmd),
    /// S_CQT of a node inside the picture: waits for the next CU on `cu_*` (its size
    /// decides the split flag it sends).
    WaitCu,
    /// S_CU: takes the CU.
    TakeCu,
    /// S_DRAIN: waits for the slice's last byte.
    Drain,
}

/// A CU as the core carries it.
#[derive(Clone, Debug)]
struct Cu {
    x: usize,
    y: usize,
    log2: u32,
    mode: u8,
    cbf: bool,
    /// The references pass the strong intra smoothing test (golden's trace): a probe
    /// of a mode that filters takes 16 more cycles in `intra_pred` (32x32).
    flat: bool,
    /// Non-zero levels per beat of P (raster).
    nz: Vec<u8>,
    /// `sdh`'s walk cycles.
    walk: u64,
    /// `res_enc`'s residual steps (cbf).
    res: Vec<RStep>,
}

/// A slice as the model runs it.
struct SliceProg {
    cus: Vec<Cu>,
    uops: Vec<Uop>,
    /// Bytes resolved per engine request ([`request_bytes`]).
    reqs: Vec<u32>,
    /// The slice data (before emulation prevention).
    data: Vec<u8>,
    w: usize,
    h: usize,
    addr: usize,
    end: usize,
    wctb: usize,
    log2_ctb: u32,
    bypass: bool,
}

/// Writes a slice's `syn_enc` micro-operations from its CUs.
struct Writer<'a> {
    cus: &'a [Cu],
    ci: usize,
    uops: Vec<Uop>,
    w: usize,
    h: usize,
    tqb: bool,
    chroma: bool,
    tu_depth: u32,
    /// Intra modes per 8x8 unit of the picture, for the most probable modes.
    modes: Vec<u8>,
    slice_addr: usize,
    wctb: usize,
    log2_ctb: u32,
}

impl Writer<'_> {
    fn cyc(&mut self) {
        self.uops.push(Uop::Cyc);
    }
    /// A state that sends a command: its cycle, then S_SEND.
    fn send(&mut self, c: Cmd) {
        self.uops.push(Uop::Cyc);
        self.uops.push(Uop::Send(c));
    }

    fn cqt(&mut self, x: usize, y: usize, log2: u32) -> Result<(), String> {
        let size = 1usize << log2;
        let in_pic = x + size <= self.w && y + size <= self.h;
        let split = if log2 > 3 && !in_pic {
            self.cyc(); // the implicit split
            true
        } else if log2 > 3 {
            let next = self.cus.get(self.ci).ok_or("CUs run out in the quadtree")?;
            self.uops.push(Uop::WaitCu);
            self.uops.push(Uop::Send(Cmd::Bins(1)));
            next.log2 < log2
        } else {
            self.cyc();
            false
        };
        if !split {
            return self.cu(x, y, log2);
        }
        let h = size / 2;
        for i in 0..4 {
            let (cx, cy) = (x + h * (i & 1), y + h * (i >> 1));
            if i > 0 {
                self.cyc(); // S_ADVC: to the next sibling
            }
            if cx < self.w && cy < self.h {
                self.cqt(cx, cy, log2 - 1)?;
            }
        }
        self.cyc(); // S_ADVC: up one level
        Ok(())
    }

    /// The most probable modes of the CU at (x, y), from `syn_enc`'s neighbour state.
    fn mpm(&self, x: usize, y: usize) -> [u8; 3] {
        let c = 1usize << self.log2_ctb;
        let w8 = self.w.div_ceil(8);
        let (ctbx, ctby) = (x / c, y / c);
        let addr = ctby * self.wctb + ctbx;
        let left_in = x > 0 && (!x.is_multiple_of(c) || (ctbx > 0 && addr > self.slice_addr));
        let a = if left_in { self.modes[(y / 8) * w8 + (x - 1) / 8] } else { 1 };
        let b = if y.is_multiple_of(c) { 1 } else { self.modes[((y - 1) / 8) * w8 + x / 8] };
        golden::predict::mpm_list(a, b)
    }

    fn cu(&mut self, x: usize, y: usize, log2: u32) -> Result<(), String> {
        let cu = self.cus.get(self.ci).ok_or("CUs run out")?.clone();
        if (cu.x, cu.y, cu.log2) != (x, y, log2) {
            return Err(format!("CU order: the quadtree is at ({x},{y}) log2 {log2}, the CU at ({},{}) log2 {}", cu.x, cu.y, cu.log2));
        }
        self.uops.push(Uop::TakeCu);
        if self.tqb {
            self.send(Cmd::Bins(1));
        } else {
            self.cyc();
        }
        if log2 == 3 {
            self.send(Cmd::Bins(1)); // part_mode
        } else {
            self.cyc();
        }
        let mpm = self.mpm(x, y);
        self.send(Cmd::Bins(1)); // prev_intra_luma_pred_flag
        let bypass: u64 = if cu.mode == mpm[0] {
            1
        } else if mpm.contains(&cu.mode) {
            2
        } else {
            5
        };
        self.send(Cmd::Bins(bypass));
        let w8 = self.w.div_ceil(8);
        for yy in (y / 8)..((y + (1 << log2)) / 8) {
            for xx in (x / 8)..((x + (1 << log2)) / 8) {
                self.modes[yy * w8 + xx] = cu.mode;
            }
        }
        if self.chroma {
            self.send(Cmd::Bins(1)); // intra_chroma_pred_mode
        } else {
            self.cyc();
        }
        if self.tu_depth != 0 {
            self.send(Cmd::Bins(1)); // split_transform_flag
        } else {
            self.cyc();
        }
        if self.chroma {
            self.send(Cmd::Bins(1));
            self.send(Cmd::Bins(1));
        } else {
            self.cyc();
        }
        self.send(Cmd::Bins(1)); // cbf_luma
        if cu.cbf {
            self.send(Cmd::Tu(self.ci));
        }
        self.ci += 1;
        Ok(())
    }
}

const CTX: u64 = golden::cabac::Contexts::COUNT as u64;

/// `search`'s walk at the 8x8 unit `unit` (z-order) of CTU `addr`: the CU that starts
/// there (the largest size up to 2^`log2_cu` aligned there that fits in the picture),
/// none outside the picture; and the units it covers.
fn walk_unit(prog: &SliceProg, log2_cu: u32, addr: usize, unit: usize) -> (Option<(usize, usize, u32)>, usize) {
    let l = prog.log2_ctb;
    let (mut ux, mut uy) = (0usize, 0usize);
    for i in 0..(l - 3) as usize {
        ux |= ((unit >> (2 * i)) & 1) << i;
        uy |= ((unit >> (2 * i + 1)) & 1) << i;
    }
    let x = ((addr % prog.wctb) << l) + 8 * ux;
    let y = ((addr / prog.wctb) << l) + 8 * uy;
    if x >= prog.w || y >= prog.h {
        return (None, 1);
    }
    let mut size = 3u32;
    for s in 4..=log2_cu {
        let m = (1usize << (s - 3)) - 1;
        if ux & m == 0 && uy & m == 0 && x + (1 << s) <= prog.w && y + (1 << s) <= prog.h {
            size = s;
        }
    }
    (Some((x, y, size)), 1 << (2 * (size - 3)))
}

/// Whether the slice's CUs are those of `search`'s walk (golden's hardware strategy at
/// this CU size: 2Nx2N CUs with one TU each).
fn walk_matches(prog: &SliceProg, log2_cu: u32) -> bool {
    let units = 1usize << (2 * (prog.log2_ctb - 3));
    let mut cus = prog.cus.iter();
    for addr in prog.addr..prog.end {
        let mut u = 0;
        while u < units {
            let (cu, step) = walk_unit(prog, log2_cu, addr, u);
            if let Some(c) = cu {
                if cus.next().map(|k| (k.x, k.y, k.log2)) != Some(c) {
                    return false;
                }
            }
            u += step;
        }
    }
    cus.next().is_none()
}

/// The slices of `annexb` as programs for the model.
fn programs(cfg: &EncCoreConfig, annexb: &[u8]) -> Result<Vec<SliceProg>, String> {
    let units = golden::decoder::slices(annexb).map_err(|e| e.to_string())?;
    let tr = golden::decoder::decode_traced(annexb).map_err(|e| e.to_string())?;
    let p = cfg.lanes as usize;
    let mut recs = tr.records.iter().peekable();
    let mut out = Vec::new();
    for (k, u) in units.iter().enumerate() {
        let (sps, pps, sh) = (&u.sps, &u.pps, &u.header);
        let log2_ctb = sps.log2_ctb;
        let ctb = 1usize << log2_ctb;
        let wctb = sps.width.div_ceil(ctb);
        let nctb = wctb * sps.height.div_ceil(ctb);
        let end = units.get(k + 1).filter(|n| n.picture == u.picture).map(|n| n.header.address).unwrap_or(nctb);
        let mut cus = Vec::new();
        let mut bypass = false;
        while let Some(r) = recs.peek() {
            if r.picture != u.picture || (r.y as usize / ctb) * wctb + r.x as usize / ctb >= end {
                break;
            }
            let r = recs.next().unwrap();
            if r.c_idx != 0 {
                if r.cbf {
                    return Err(format!("slice {k}: a chroma residual, outside the encoder core's subset"));
                }
                continue;
            }
            let log2 = r.log2 as u32;
            let n = 1usize << log2;
            let mut lv = vec![0i32; n * n];
            for &(pos, l) in &r.levels {
                lv[pos as usize] = l;
            }
            bypass = r.bypass;
            let hide = pps.sign_data_hiding && !r.bypass;
            let nz: Vec<u8> = lv.chunks(p).map(|b| b.iter().filter(|&&l| l != 0).count() as u8).collect();
            let walk = sdh_walk_cycles(&lv, log2, cfg.lanes, hide);
            let res = if r.cbf { res_enc_steps(&lv, log2, golden::residual::scan_idx_for(log2, 0, r.mode, false), hide) } else { Vec::new() };
            cus.push(Cu { x: r.x as usize, y: r.y as usize, log2, mode: r.mode, cbf: r.cbf, flat: r.flat, nz, walk, res });
        }
        let mut wr = Writer {
            cus: &cus,
            ci: 0,
            uops: vec![Uop::Send(Cmd::Plain(CTX))],
            w: sps.width,
            h: sps.height,
            tqb: pps.transquant_bypass,
            chroma: sps.chroma_format_idc != 0,
            tu_depth: sps.max_tu_depth_intra,
            modes: vec![1; sps.width.div_ceil(8) * sps.height.div_ceil(8)],
            slice_addr: sh.address,
            wctb,
            log2_ctb,
        };
        for addr in sh.address..end {
            let (cx, cy) = (addr % wctb, addr / wctb);
            wr.cyc(); // S_CTU
            wr.cqt(cx << log2_ctb, cy << log2_ctb, log2_ctb)?;
            wr.cyc(); // S_ADVC at depth 0
            wr.send(Cmd::Bins(1)); // S_CTUEND: end_of_slice_segment_flag
            if addr + 1 == end {
                wr.send(Cmd::Flush); // S_FIN
                wr.uops.push(Uop::Drain);
                break;
            }
            // S_NEXT: the WPP storage after a row's second CTB
            if pps.wpp && cx == 1 {
                wr.send(Cmd::Plain(CTX));
            } else {
                wr.cyc();
            }
            // S_ROW: end_of_subset_one_bit, the flush (S_ROWFIN), the sync (S_SYNC)
            if pps.wpp && cx + 1 == wctb {
                wr.send(Cmd::Bins(1));
                wr.send(Cmd::Flush);
                let next = addr + 1;
                let tr_avail = wctb > 1 && next + 1 >= wctb && next + 1 - wctb >= sh.address;
                wr.send(Cmd::Plain(if tr_avail { CTX + 1 } else { CTX }));
            } else {
                wr.cyc();
            }
        }
        if wr.ci != cus.len() {
            return Err(format!("slice {k}: {} of {} CUs written", wr.ci, cus.len()));
        }
        let uops = wr.uops;
        let bins = tr.cabac_bins.get(k).ok_or("fewer bin logs than slices")?;
        let reqs = request_bytes(&uops, &cus, bins).map_err(|e| format!("slice {k}: {e}"))?;
        let data = u.rbsp[sh.data_offset.min(u.rbsp.len())..].to_vec();
        if reqs.iter().map(|&b| b as usize).sum::<usize>() != data.len() {
            return Err(format!("slice {k}: the requests resolve other than the slice's {} bytes", data.len()));
        }
        let prog = SliceProg { cus, uops, reqs, data, w: sps.width, h: sps.height, addr: sh.address, end, wctb, log2_ctb, bypass };
        if !walk_matches(&prog, cfg.log2_cu) {
            return Err(format!("slice {k}: the CUs are not the search's walk at CUs of {} (golden's hardware strategy)", 1 << cfg.log2_cu));
        }
        out.push(prog);
    }
    Ok(out)
}

/// `intra_pred`'s strong intra smoothing cycles for a job of `mode` at 2^`log2` whose
/// references are `flat` (they pass the test): 16 when the mode filters a 32x32 block.
fn strong_cycles(log2: u32, mode: u8, flat: bool) -> u64 {
    if flat && log2 == 5 && golden::predict::filter_flag(mode, 32) {
        16
    } else {
        0
    }
}

/// `intra_pred`'s phases.
#[derive(Clone, Copy, Debug, PartialEq)]
enum IpPh {
    /// PH_LOAD, with the beats taken.
    Load(u64),
    Flush,
    /// PH_STRONG / PH_PROJ: cycles left.
    Extra(u64),
    /// PH_PRED, with the beats pushed.
    Pred(u64),
}

/// `intra_pred` on the probes (and behind the shared decoder backend,
/// [`crate::core_cycles`]): its phases and its 2-entry output FIFO (whether each beat
/// is the job's last).
pub(crate) struct Ip {
    ph: IpPh,
    log2: u32,
    extra: u64,
    fifo: VecDeque<bool>,
}

impl Ip {
    pub(crate) fn new() -> Self {
        Ip { ph: IpPh::Load(0), log2: 3, extra: 0, fifo: VecDeque::new() }
    }

    /// `ref_ready` this cycle.
    pub(crate) fn ready(&self) -> bool {
        matches!(self.ph, IpPh::Load(_))
    }

    /// The output FIFO's head (`out_valid`; `Some(last of its job)`).
    pub(crate) fn head(&self) -> Option<bool> {
        self.fifo.front().copied()
    }

    /// One cycle: `fire` a reference beat taken (with its job's log2, mode and whether
    /// its references are flat), `out_ready` the consumer's ready. Returns the beat
    /// popped (`Some(last)`).
    pub(crate) fn step(&mut self, fire: Option<(u32, u8, bool)>, out_ready: bool) -> Option<bool> {
        let room = self.fifo.len() != 2;
        let pop = if out_ready { self.fifo.pop_front() } else { None };
        let n = 1u64 << self.log2;
        self.ph = match self.ph {
            IpPh::Load(k) => match fire {
                Some((log2, mode, flat)) => {
                    if k == 0 {
                        self.log2 = log2;
                        self.extra = strong_cycles(log2, mode, flat) + intra_projection_cycles(log2, mode);
                    }
                    if k + 1 == 1u64 << self.log2 {
                        IpPh::Flush
                    } else {
                        IpPh::Load(k + 1)
                    }
                }
                None => IpPh::Load(k),
            },
            IpPh::Flush if self.extra > 0 => IpPh::Extra(self.extra),
            IpPh::Flush => IpPh::Pred(0),
            IpPh::Extra(1) => IpPh::Pred(0),
            IpPh::Extra(k) => IpPh::Extra(k - 1),
            IpPh::Pred(k) if room => {
                let last = k + 1 == n * n / 4;
                self.fifo.push_back(last);
                if last {
                    IpPh::Load(0)
                } else {
                    IpPh::Pred(k + 1)
                }
            }
            ph => ph,
        };
        pop
    }
}

/// `sdh`'s states.
#[derive(Clone, Debug, PartialEq)]
enum Sd {
    /// S_LOAD, with the beats taken.
    Load(u64),
    /// S_WALK .. S_EVAL: cycles left.
    Walk(u64),
    /// S_OUT: reads issued, a read in flight.
    Out(u64, bool),
}

/// `search`'s states.
#[derive(Clone, Copy, Debug, PartialEq)]
enum S {
    Slice,
    Walk,
    Rec,
    Orig(u64),
    PWait,
    Probe,
    Pair,
    SatdWait,
    Final,
    Res,
    End,
}

/// The forwarder's states.
#[derive(Clone, Copy, Debug, PartialEq)]
enum F {
    Idle,
    Cmd { cu_done: bool, pd_done: bool },
    Lv,
    Drop,
}

/// `recon`'s states.
#[derive(Clone, Copy, Debug, PartialEq)]
enum R {
    Init(u64),
    Slice,
    Rec,
    Row,
    Gath(u64),
    Probe,
    Run(u64, u64, u64),
}

/// One entropy engine: `syn_enc` and its `res_enc`.
#[derive(Default)]
struct Engine {
    slice: Option<usize>,
    su: usize,
    steps: VecDeque<RStep>,
    /// The next request's index in the slice's [`SliceProg::reqs`].
    rq_i: usize,
    /// Loaded level banks, and the beats of the TU loading.
    banks: u32,
    lcnt: u64,
    /// `cabac_enc`'s emission queue: the resolved byte of a write-out, the bytes
    /// behind it (its run, or a flush's bytes); its 2-entry output FIFO.
    q1: bool,
    q_rest: u64,
    o_count: u32,
    /// The output: the index of the slice data's next byte, the zeros before it
    /// (emulation prevention), the cycle of the last byte out.
    bi: usize,
    zc: u8,
    last_byte: Option<u64>,
}

impl Engine {
    fn idle(&self) -> bool {
        self.slice.is_none()
    }

    /// One cycle of the engine: the output (a byte per cycle, emulation prevention),
    /// `syn_enc`'s micro-operation (`cu_valid`: the forwarder offers this engine a CU),
    /// `res_enc`'s step and `cabac_enc`'s emission queue, the level banks (`lv_beats`:
    /// a level beat loads, of a TU of that many beats). Returns whether `res_enc` was
    /// busy.
    fn step(&mut self, cycle: u64, progs: &[SliceProg], cu_valid: bool, lv_beats: Option<u64>) -> bool {
        let mut busy = false;
        // the output: a byte per cycle from the FIFO; after two zeros a byte of at
        // most 3 waits a cycle behind the inserted 0x03
        let o_room = self.o_count != 2;
        if self.o_count > 0 {
            let data = &progs[self.slice.expect("bytes outside a slice")].data;
            let b = data[self.bi];
            if self.zc == 2 && b <= 3 {
                self.zc = 0;
            } else {
                self.zc = if b != 0 { 0 } else { (self.zc + 1).min(2) };
                self.bi += 1;
                self.o_count -= 1;
                if self.bi == data.len() {
                    self.last_byte = Some(cycle);
                }
            }
        }
        let mut start = None;
        if let Some(s) = self.slice {
            let uops = &progs[s].uops;
            let adv = match &uops[self.su] {
                Uop::Cyc => true,
                Uop::Send(c) => {
                    let go = self.steps.is_empty();
                    if go {
                        start = Some((s, c.clone()));
                    }
                    go
                }
                Uop::WaitCu | Uop::TakeCu => cu_valid,
                Uop::Drain => self.last_byte == Some(cycle),
            };
            if adv {
                self.su += 1;
                if self.su == uops.len() {
                    self.slice = None;
                }
            }
        }
        // cabac_enc: a request goes in while its queue is empty, or holds only a
        // resolved byte that leaves for the output FIFO in this cycle
        let rq_ready = self.q_rest == 0 && (!self.q1 || o_room);
        if (self.q1 || self.q_rest > 0) && o_room {
            if self.q1 {
                self.q1 = false;
            } else {
                self.q_rest -= 1;
            }
            self.o_count += 1;
        }
        // res_enc
        let mut free = false;
        if let Some(&stp) = self.steps.front() {
            busy = true;
            let go = match stp {
                RStep::Plain => true,
                RStep::Req(_) | RStep::Flush if !rq_ready => false,
                RStep::Req(_) => {
                    let k = progs[self.slice.expect("a request outside a slice")].reqs[self.rq_i] as u64;
                    self.rq_i += 1;
                    if k > 0 {
                        self.q1 = true;
                        self.q_rest = k - 1;
                    }
                    true
                }
                RStep::Flush => {
                    // the flush's bytes: nothing goes in before they are out
                    self.q_rest = progs[self.slice.expect("a request outside a slice")].reqs[self.rq_i] as u64;
                    self.rq_i += 1;
                    true
                }
                RStep::Bank => self.banks > 0,
                RStep::Free => {
                    free = true;
                    true
                }
            };
            if go {
                self.steps.pop_front();
            }
        }
        if let Some(beats) = lv_beats {
            self.lcnt += 1;
            if self.lcnt == beats {
                self.lcnt = 0;
                self.banks += 1;
            }
        }
        if free {
            self.banks -= 1;
        }
        if let Some((s, c)) = start {
            self.steps.extend(cmd_steps(&c, &progs[s].cus));
        }
        busy
    }
}

/// The forwarder's holding register.
#[derive(Clone, Copy, Default)]
struct Hold {
    v: bool,
    lv: bool,
    mask: u8,
    last: bool,
    end: bool,
}

/// A cycle's start-of-cycle views: the combinational outputs of the registers that the
/// blocks' steps read (so that every step sees the registers as they were).
struct Views {
    sl_fire: bool,
    /// `recon`'s `pb_ready`; the search's own probe fires (the forwarder's decision has
    /// the port's priority).
    pb_ready: bool,
    pb_main: bool,
    /// The engine of the forwarder's CU; its `cu_valid`, that engine's `cu_ready` and
    /// `lv_ready`; `recon`'s `co_ready`.
    f_eng: usize,
    cu_valid: bool,
    cu_ready: bool,
    lv_ready: bool,
    co_ready: bool,
    /// `sdh` loads; the slice is lossless (the residual goes to `sdh`).
    sh_ready: bool,
    byp: bool,
    /// The search's residual: the gearbox's last sub-beat, a residual beat offered, its
    /// destination's ready; the prediction port's ready, a beat taken, the job's last.
    glast: bool,
    r_act: bool,
    r_dst_ready: bool,
    po_ready: bool,
    consume: bool,
    po_last: bool,
    /// `sdh`'s output FIFO has a beat.
    so_valid: bool,
    /// The search's CU size and probe mode.
    cur_log2: u32,
    pb_mode: u8,
}

/// The forwarder's holding register after this cycle's hand-overs.
struct HoldStep {
    hold: Hold,
    so_ready: bool,
    lv_fire: bool,
    co_end: bool,
    free: bool,
}

/// One encoder core, stepped one cycle at a time.
struct Core<'a> {
    cfg: &'a EncCoreConfig,
    progs: &'a [SliceProg],
    independent: bool,
    // search
    st: S,
    slice: usize,
    unit: usize,
    addr: usize,
    ci: usize,
    mi: usize,
    ri: usize,
    sat: VecDeque<u64>,
    dec_pending: bool,
    gsub: u64,
    // the back end: fwd_tq, sdh, the forwarder (the CU of the final probe)
    f_cu: (usize, usize),
    ftq: TqCtl,
    sd: Sd,
    /// `sdh`'s output FIFO: the beat index of each entry.
    sd_fifo: VecDeque<u64>,
    fst: F,
    hold: Hold,
    ip: Ip,
    // recon
    rst: R,
    rq: VecDeque<Option<(usize, usize)>>,
    r_cu: (usize, usize),
    decided: bool,
    pact: bool,
    rb_left: u64,
    rdone: bool,
    r_mode: u8,
    r_cbf: bool,
    cfull: bool,
    need_bank: bool,
    /// The CTU being reconstructed (row, column).
    ctu: (usize, usize),
    cur_bank: usize,
    out: crate::core_cycles::RowReadout,
    pic_w: usize,
    tq_cache: HashMap<u32, Vec<u64>>,
    eng: Vec<Engine>,
    /// The next slice's engine.
    sl_eng: usize,
    t: EncCoreTiming,
}

impl crate::core_cycles::Stepped for Core<'_> {
    fn step(&mut self, cycle: u64, offer: Option<usize>) -> bool {
        Core::step(self, cycle, offer)
    }
    fn quiet(&self) -> bool {
        Core::quiet(self)
    }
}

impl<'a> Core<'a> {
    fn new(cfg: &'a EncCoreConfig, progs: &'a [SliceProg], independent: bool) -> Self {
        let coef_words = (1u64 << (2 * cfg.log2_max_tu)) / cfg.lanes as u64;
        Core {
            cfg,
            progs,
            independent,
            st: S::Slice,
            slice: 0,
            unit: 0,
            addr: 0,
            ci: 0,
            mi: 0,
            ri: 0,
            sat: VecDeque::new(),
            dec_pending: false,
            gsub: 0,
            f_cu: (0, 0),
            ftq: TqCtl::new(Tq::Forward, cfg.lanes),
            sd: Sd::Load(0),
            sd_fifo: VecDeque::new(),
            fst: F::Idle,
            hold: Hold::default(),
            ip: Ip::new(),
            rst: R::Init(coef_words),
            rq: VecDeque::new(),
            r_cu: (0, 0),
            decided: false,
            pact: false,
            rb_left: 0,
            rdone: false,
            r_mode: 0,
            r_cbf: false,
            cfull: false,
            need_bank: true,
            ctu: (0, 0),
            cur_bank: 0,
            out: Default::default(),
            pic_w: 0,
            tq_cache: HashMap::new(),
            eng: (0..cfg.engines).map(|_| Engine::default()).collect(),
            sl_eng: 0,
            t: EncCoreTiming::default(),
        }
    }

    fn cu(&self, (s, c): (usize, usize)) -> &'a Cu {
        &self.progs[s].cus[c]
    }

    /// Ready for a slice command (`sl_ready`).
    fn sl_ready(&self) -> bool {
        self.st == S::Slice && self.rst == R::Slice && self.eng[self.sl_eng].idle()
    }

    /// Nothing left inside: every engine idle, nothing to read out.
    fn quiet(&self) -> bool {
        self.sl_ready() && self.eng.iter().all(|e| e.idle()) && self.rq.is_empty() && self.out.idle()
    }

    /// The last byte or picture beat out (the count's end).
    fn end(&self) -> u64 {
        self.eng.iter().filter_map(|e| e.last_byte).map(|c| c + 1).max().unwrap_or(0).max(self.out.last_out)
    }

    /// The start-of-cycle views of this cycle (the registers' combinational outputs).
    fn views(&self, offer: Option<usize>) -> Views {
        let progs = self.progs;
        let cfg = self.cfg;
        let p = cfg.lanes as u64;
        let f_eng = self.f_cu.0 % cfg.engines;
        let pb_ready = self.rst == R::Probe && !self.pact;
        let f_pb = matches!(self.fst, F::Cmd { pd_done: false, .. });
        let byp = progs[self.slice].bypass;
        let sh_ready = matches!(self.sd, Sd::Load(_));
        let po_valid = self.rst == R::Probe && !self.ip.fifo.is_empty();
        let search_pb = self.st == S::Probe || (self.st == S::Final && self.fst == F::Idle);
        let glast = p == 4 || self.gsub + 1 == 4 / p;
        let r_dst_ready = if byp { sh_ready } else { self.ftq.in_ready() };
        let po_ready = match self.st {
            S::Pair => true,
            S::Res => glast && r_dst_ready,
            _ => false,
        };
        let e = &self.eng[f_eng];
        Views {
            sl_fire: offer.is_some() && self.sl_ready(),
            pb_ready,
            pb_main: search_pb && pb_ready && !f_pb,
            f_eng,
            cu_valid: matches!(self.fst, F::Cmd { cu_done: false, .. }),
            cu_ready: e.slice.is_some_and(|s| matches!(progs[s].uops.get(e.su), Some(Uop::TakeCu))),
            lv_ready: e.banks < 2,
            co_ready: !matches!(self.rst, R::Init(_)) && !self.cfull,
            sh_ready,
            byp,
            glast,
            r_act: self.st == S::Res && po_valid,
            r_dst_ready,
            po_ready,
            consume: po_valid && po_ready,
            po_last: self.ip.fifo.front() == Some(&true),
            so_valid: !self.sd_fifo.is_empty(),
            cur_log2: progs[self.slice].cus.get(self.ci).map_or(3, |c| c.log2),
            pb_mode: if self.st == S::Final { progs[self.slice].cus[self.ci].mode } else { cfg.modes[self.mi] },
        }
    }

    /// The forwarder's holding register in this cycle: the level beat to `syn_enc`
    /// (`lv_ready`), its non-zero levels to `recon` one per cycle and the end mark after
    /// the last beat (`co_ready`).
    fn hold_step(&self, lv_ready: bool, co_ready: bool) -> HoldStep {
        let mut h = HoldStep { hold: self.hold, so_ready: false, lv_fire: false, co_end: false, free: false };
        match self.fst {
            F::Lv if h.hold.v => {
                let hold = &mut h.hold;
                h.lv_fire = hold.lv && lv_ready;
                let co_fire = (hold.mask > 0 || (hold.last && !hold.end)) && co_ready;
                h.co_end = co_fire && hold.mask == 0;
                if co_fire && hold.mask > 0 {
                    hold.mask -= 1;
                }
                hold.lv &= !h.lv_fire;
                hold.end |= h.co_end;
                h.free = !hold.lv && hold.mask == 0 && (!hold.last || hold.end);
                h.so_ready = h.free && !hold.last;
            }
            F::Lv | F::Drop => h.so_ready = true,
            _ => {}
        }
        h
    }

    /// `sdh` in this cycle: `sd_in` a beat of the CU `f_cu` (of `beats`) comes in,
    /// `so_pop` the forwarder takes the output FIFO's head. Returns the index of the beat
    /// taken.
    fn sdh_step(&mut self, f_cu: &Cu, beats: u64, sd_in: bool, so_pop: bool) -> Option<u64> {
        let sd_room = self.sd_fifo.len() + matches!(self.sd, Sd::Out(_, true)) as usize;
        let sd_popped = if so_pop { self.sd_fifo.pop_front() } else { None };
        self.sd = match self.sd.clone() {
            Sd::Load(k) if sd_in => {
                if k + 1 == beats {
                    if f_cu.walk > 0 {
                        Sd::Walk(f_cu.walk)
                    } else {
                        Sd::Out(0, false)
                    }
                } else {
                    Sd::Load(k + 1)
                }
            }
            Sd::Walk(1) => Sd::Out(0, false),
            Sd::Walk(k) => Sd::Walk(k - 1),
            Sd::Out(issued, inf) => {
                if issued == beats && !inf && self.sd_fifo.is_empty() && sd_popped.is_none() {
                    Sd::Load(0)
                } else {
                    if inf {
                        self.sd_fifo.push_back(issued - 1);
                    }
                    let issue = issued < beats && (sd_room as u64) < crate::cycle::SDH_OUT_FIFO;
                    Sd::Out(issued + issue as u64, issue)
                }
            }
            s => s,
        };
        sd_popped
    }

    /// The forwarder's state machine in this cycle (`sd_popped`: the beat `sdh` gave).
    /// Returns whether the decision went to `recon`.
    fn forwarder_step(&mut self, v: &Views, f_cu: &Cu, beats: u64, sd_popped: Option<u64>, h: &HoldStep) -> bool {
        let mut f_pb_fire = false;
        self.fst = match self.fst {
            F::Idle if v.so_valid => F::Cmd { cu_done: false, pd_done: false },
            F::Idle => F::Idle,
            F::Cmd { cu_done, pd_done } => {
                let cu_fire = !cu_done && v.cu_ready;
                f_pb_fire = !pd_done && v.pb_ready;
                if (cu_done || v.cu_ready) && (pd_done || v.pb_ready) {
                    if f_cu.cbf {
                        F::Lv
                    } else {
                        F::Drop
                    }
                } else {
                    F::Cmd { cu_done: cu_done || cu_fire, pd_done: pd_done || f_pb_fire }
                }
            }
            F::Lv => {
                let mut next = F::Lv;
                let mut hold = h.hold;
                if hold.v && h.free {
                    hold.v = false;
                    if hold.last {
                        next = F::Idle;
                    }
                }
                if let Some(b) = sd_popped {
                    hold = Hold { v: true, lv: true, mask: f_cu.nz[b as usize], last: b + 1 == beats, end: false };
                }
                self.hold = hold;
                next
            }
            F::Drop if sd_popped.is_some_and(|b| b + 1 == beats) => F::Idle,
            F::Drop => F::Drop,
        };
        f_pb_fire
    }

    /// `search`'s state machine in this cycle. Returns the record it hands `recon`
    /// (`Some(None)`: the slice's end).
    fn search_step(&mut self, cycle: u64, offer: Option<usize>, v: &Views) -> Option<Option<(usize, usize)>> {
        let progs = self.progs;
        let cfg = self.cfg;
        let nmodes = cfg.modes.len();
        let (sl_fire, pb_main, consume, po_last, r_act, r_dst_ready, glast, cur_log2) = (v.sl_fire, v.pb_main, v.consume, v.po_last, v.r_act, v.r_dst_ready, v.glast, v.cur_log2);
        let prog = &progs[self.slice];
        let mut rq_push = None;
        match self.st {
            S::Slice => {
                if sl_fire {
                    let k = offer.unwrap();
                    self.slice = k;
                    self.unit = 0;
                    self.addr = progs[k].addr;
                    self.ci = 0;
                    self.st = S::Walk;
                }
            }
            S::Walk => {
                if self.addr == prog.end {
                    self.st = S::End;
                } else {
                    let l = prog.log2_ctb;
                    let (cu, step) = walk_unit(prog, cfg.log2_cu, self.addr, self.unit);
                    if cu.is_some() {
                        // programs() checked the walk against the stream's CUs
                        self.st = S::Rec;
                    }
                    self.unit += step;
                    if self.unit == 1 << (2 * (l - 3)) {
                        self.unit = 0;
                        self.addr += 1;
                    }
                }
            }
            S::Rec => {
                if self.rq.len() != 4 {
                    rq_push = Some(Some((self.slice, self.ci)));
                    self.st = S::Orig(0);
                }
            }
            S::Orig(k) => self.st = if k + 1 == 1 << (2 * cur_log2 - 2) { S::PWait } else { S::Orig(k + 1) },
            S::PWait => {
                if self.dec_pending {
                    self.t.decision_waits += 1;
                } else {
                    self.mi = 0;
                    self.ri = 0;
                    // a single mode: no probe, straight to the final one
                    self.st = if nmodes == 1 { S::Final } else { S::Probe };
                }
            }
            S::Probe => {
                if pb_main {
                    self.st = S::Pair;
                }
            }
            S::Pair => {
                if consume && po_last {
                    self.sat.push_back(cycle + satd_latency(cur_log2));
                    if self.mi + 1 == nmodes {
                        self.st = S::SatdWait;
                    } else {
                        self.mi += 1;
                        self.st = S::Probe;
                    }
                }
            }
            S::SatdWait => {
                if self.ri == nmodes {
                    self.st = S::Final;
                }
            }
            S::Final => {
                if pb_main {
                    self.f_cu = (self.slice, self.ci);
                    self.dec_pending = true;
                    self.st = S::Res;
                } else {
                    self.t.final_waits += 1;
                }
            }
            S::Res => {
                if r_act && r_dst_ready {
                    self.gsub = if glast { 0 } else { self.gsub + 1 };
                }
                if consume && po_last {
                    self.ci += 1;
                    self.t.cus += 1;
                    self.st = S::Walk;
                }
            }
            S::End => {
                if self.rq.len() != 4 {
                    rq_push = Some(None);
                    self.st = S::Slice;
                }
            }
        }
        rq_push
    }

    /// `recon`'s state machine in this cycle (`pb_fire`: a probe or, `f_pb_fire`, the
    /// decision on its probe port; `full0`: the banks at the start of the cycle).
    /// Returns whether it took a record from its queue.
    fn recon_step(&mut self, v: &Views, offer: Option<usize>, pb_fire: bool, f_pb_fire: bool, full0: [u64; 2]) -> bool {
        let progs = self.progs;
        let cfg = self.cfg;
        let (sl_fire, pb_mode) = (v.sl_fire, v.pb_mode);
        let r_log2 = self.cu(self.r_cu).log2;
        let r_flat = self.cu(self.r_cu).flat;
        let rprog = &progs[self.r_cu.0];
        let ctb = 1usize << rprog.log2_ctb;
        let ctu_words = crate::core_cycles::ctu_words(self.pic_w, rprog.h, ctb, self.ctu);
        let mut rq_pop = false;
        self.rst = match self.rst {
            R::Init(n) if n <= 1 => R::Slice,
            R::Init(n) => R::Init(n - 1),
            R::Slice if sl_fire => {
                let k = offer.unwrap();
                self.pic_w = progs[k].w;
                if self.independent || progs[k].addr == 0 {
                    self.need_bank = true;
                }
                R::Rec
            }
            R::Slice => R::Slice,
            R::Rec => match self.rq.front().copied() {
                None => R::Rec,
                Some(h) => {
                    rq_pop = true;
                    match h {
                        None => R::Slice,
                        Some(c) => {
                            self.r_cu = c;
                            self.decided = false;
                            self.pact = false;
                            let cu = self.cu(c);
                            let ctb = 1usize << progs[c.0].log2_ctb;
                            let t = (cu.y / ctb, cu.x / ctb);
                            if self.need_bank {
                                self.ctu = t;
                                R::Row
                            } else if t == self.ctu {
                                R::Gath(0)
                            } else {
                                // the CTU before is complete: read it out
                                if !self.independent {
                                    self.out.full[self.cur_bank] = ctu_words;
                                }
                                self.cur_bank ^= 1;
                                self.ctu = t;
                                R::Row
                            }
                        }
                    }
                }
            },
            R::Row if full0[self.cur_bank] == 0 => {
                self.need_bank = false;
                R::Gath(0)
            }
            R::Row => R::Row,
            R::Gath(g) => {
                let n = 1u64 << r_log2;
                if g < 2 * n + n / 2 + 2 {
                    R::Gath(g + 1)
                } else if !self.decided {
                    R::Probe
                } else if !self.r_cbf || self.cfull {
                    let strong = strong_cycles(r_log2, self.r_mode, r_flat) > 0;
                    let job = RunJob { log2: r_log2, mode: self.r_mode, cbf: self.r_cbf, bypass: rprog.bypass, strong };
                    let (freed, done) = run_schedule(cfg.lanes, &job, &mut self.tq_cache);
                    R::Run(0, freed, done)
                } else {
                    R::Gath(g)
                }
            }
            R::Probe => {
                let mut next = R::Probe;
                if pb_fire {
                    let cu = self.cu(self.r_cu);
                    self.rb_left = 1 << r_log2;
                    self.rdone = false;
                    if f_pb_fire {
                        self.r_mode = cu.mode;
                        self.r_cbf = cu.cbf;
                        self.decided = true;
                        let n = 1u64 << r_log2;
                        next = R::Gath(2 * n + n / 2 + 2);
                    } else {
                        self.r_mode = pb_mode;
                        self.pact = true;
                    }
                } else if self.pact && self.rdone {
                    self.pact = false;
                }
                next
            }
            R::Run(k, freed, done) => {
                if freed > 0 && k + 1 == freed {
                    // (an end mark cannot come before the run has freed the memory)
                    self.cfull = false;
                }
                if k == done {
                    let cu = self.cu(self.r_cu);
                    let n = 1usize << cu.log2;
                    if cu.x + n >= rprog.w && cu.y + n >= rprog.h {
                        // the picture's last row: read it out
                        if !self.independent {
                            self.out.full[self.cur_bank] = ctu_words;
                        }
                        self.cur_bank ^= 1;
                        self.need_bank = true;
                    }
                    R::Rec
                } else {
                    R::Run(k + 1, freed, done)
                }
            }
        };
        rq_pop
    }

    /// One cycle; `offer` is the slice command presented to this core (taken when
    /// ready: returns whether it was). Every step reads this cycle's start-of-cycle
    /// views; the hand-overs between the blocks take effect at the cycle's end.
    fn step(&mut self, cycle: u64, offer: Option<usize>) -> bool {
        let progs = self.progs;
        let cfg = self.cfg;
        let v = self.views(offer);
        let h = self.hold_step(v.lv_ready, v.co_ready);
        let so_pop = h.so_ready && !self.sd_fifo.is_empty();
        // fwd_tq and sdh (the back end of the CU of the final probe)
        let f_cu = &progs[self.f_cu.0].cus[self.f_cu.1];
        let beats = (1u64 << (2 * f_cu.log2)) / cfg.lanes as u64;
        let ft = self.ftq.step((v.r_act && !v.byp).then_some(v.cur_log2), v.sh_ready && !v.byp);
        let sd_in = if v.byp { v.r_act && v.sh_ready } else { ft.out.is_some() };
        let sd_popped = self.sdh_step(f_cu, beats, sd_in, so_pop);
        let f_pb_fire = self.forwarder_step(&v, f_cu, beats, sd_popped, &h);
        // intra_pred on recon's probe references
        let ip_fire = self.rst == R::Probe && self.pact && !self.rdone && self.ip.ready();
        let r_cu = self.cu(self.r_cu);
        let popped = self.ip.step(ip_fire.then_some((r_cu.log2, self.r_mode, r_cu.flat)), self.rst == R::Probe && v.po_ready);
        debug_assert_eq!(popped.is_some(), v.consume);
        let rq_push = self.search_step(cycle, offer, &v);
        if self.sat.front() == Some(&cycle) {
            // satd's result: registered
            self.sat.pop_front();
            self.ri += 1;
        }
        if f_pb_fire {
            self.dec_pending = false;
        }
        let full0 = self.out.step(cycle);
        let rq_pop = self.recon_step(&v, offer, v.pb_main || f_pb_fire, f_pb_fire, full0);
        if h.co_end {
            self.cfull = true;
        }
        if ip_fire {
            self.rb_left -= 1;
            if self.rb_left == 0 {
                self.rdone = true;
            }
        }
        if rq_pop {
            self.rq.pop_front();
        }
        if let Some(r) = rq_push {
            self.rq.push_back(r);
        }
        for (e, en) in self.eng.iter_mut().enumerate() {
            let mine = v.f_eng == e;
            if en.step(cycle, progs, v.cu_valid && mine, (h.lv_fire && mine).then_some(beats)) {
                self.t.res_enc_busy += 1;
            }
        }
        if v.sl_fire {
            let k = offer.unwrap();
            let en = &mut self.eng[self.sl_eng];
            en.slice = Some(k);
            en.rq_i = 0;
            en.bi = 0;
            en.zc = 0;
            en.su = 0;
            self.sl_eng = (self.sl_eng + 1) % cfg.engines;
            self.t.slices += 1;
        }
        v.sl_fire
    }
}

/// Model cycle count of the encoder core on golden's hardware-strategy stream `annexb`
/// (inside the core's subset): one `enc_core` with `cfg.engines` entropy engines when
/// `cores` = 1, else `enc_multi` with `cores` whole cores of one engine (slice k on
/// core k mod K, each command waiting for its core; the cores' `recon` is the
/// independent variant, without a picture read-out).
pub fn enc_cores(cfg: &EncCoreConfig, cores: usize, annexb: &[u8]) -> Result<EncCoreTiming, String> {
    let k = cores.max(1);
    let cfg = EncCoreConfig { engines: if k > 1 { 1 } else { cfg.engines.clamp(1, 4) }, ..cfg.clone() };
    let progs = programs(&cfg, annexb)?;
    if progs.is_empty() {
        return Err("no slices".into());
    }
    let mut cs: Vec<Core> = (0..k).map(|_| Core::new(&cfg, &progs, k > 1)).collect();
    crate::core_cycles::dispatch(&mut cs, progs.len())?;
    let mut t = EncCoreTiming { cycles: cs.iter().map(|c| c.end()).max().unwrap_or(0), ..Default::default() };
    for c in &cs {
        t.slices += c.t.slices;
        t.cus += c.t.cus;
        t.res_enc_busy += c.t.res_enc_busy;
        t.final_waits += c.t.final_waits;
        t.decision_waits += c.t.decision_waits;
    }
    Ok(t)
}

/// [`enc_cores`] with one core (`hw::enc_core`).
pub fn enc_core(cfg: &EncCoreConfig, annexb: &[u8]) -> Result<EncCoreTiming, String> {
    enc_cores(cfg, 1, annexb)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `res_enc`'s requests carry exactly the bins of residual_coding() (golden's
    /// count), several bins in a request only where they are bypass bins in a row.
    #[test]
    fn res_enc_steps_carry_every_bin() {
        let mut rng = golden::tensor::synth::SplitMix64::new(11);
        for log2 in 2..=5u32 {
            let n = 1usize << log2;
            for trial in 0..40 {
                let density = 1 + trial % 7;
                let lv: Vec<i32> = (0..n * n)
                    .map(|_| {
                        let r = rng.next_u64();
                        if r % 8 < density as u64 {
                            ((r >> 8) % 40) as i32 - 20
                        } else {
                            0
                        }
                    })
                    .collect();
                if lv.iter().all(|&v| v == 0) {
                    continue;
                }
                for scan in 0..3 {
                    for sdh in [false, true] {
                        let steps = res_enc_steps(&lv, log2, scan, sdh);
                        let bins: u64 = steps.iter().map(|s| if let RStep::Req(b) = s { *b as u64 } else { 0 }).sum();
                        assert_eq!(bins, crate::cycle::residual_events(&lv, log2, scan, sdh).bins(), "log2 {log2} scan {scan} sdh {sdh}");
                        assert_eq!((steps.first(), steps.last()), (Some(&RStep::Bank), Some(&RStep::Free)));
                    }
                }
            }
        }
    }

    /// The model runs golden's stream through to the end: every CU, every slice, and
    /// two entropy engines are no slower than one.
    #[test]
    fn model_runs_whole_streams() {
        let cfg = "[bitstream]\nctu_size = 16\nmax_tu_size = 8\nctus_per_slice = 6\nwpp = true\n[encoder.rd]\nmax_cu_size = 16\n[encoder.hw]\ncu_size = 8\n[rtl]\nsamples_per_cycle = 1\n";
        let mut p = golden::Params::from_toml_str(cfg).unwrap();
        p.encoder.strategy = golden::config::StrategyKind::Hw;
        let t = golden::tensor::synth::laplacian(64, 96, 3);
        let e = golden::pipeline::encode_tensor(&t, &p, golden::pipeline::RateTarget::Qp(22)).unwrap();
        let one = enc_core(&EncCoreConfig::of(&p), &e.encoded.annexb).unwrap();
        let recs = golden::decoder::decode_traced(&e.encoded.annexb).unwrap().records.iter().filter(|r| r.c_idx == 0).count() as u64;
        assert_eq!(one.cus, recs);
        assert_eq!(one.slices as usize, golden::decoder::slices(&e.encoded.annexb).unwrap().len());
        let two = enc_core(&EncCoreConfig { engines: 2, ..EncCoreConfig::of(&p) }, &e.encoded.annexb).unwrap();
        assert!(two.cycles <= one.cycles && one.cycles > 0, "{} vs {}", two.cycles, one.cycles);
        let multi = enc_cores(&EncCoreConfig::of(&p), 2, &e.encoded.annexb).unwrap();
        assert!(multi.cycles < one.cycles, "{} vs {}", multi.cycles, one.cycles);
        // the RD strategy's CUs are not the search's walk: refused, not modelled
        p.encoder.strategy = golden::config::StrategyKind::Rd;
        let rd = golden::pipeline::encode_tensor(&t, &p, golden::pipeline::RateTarget::Qp(22)).unwrap();
        assert!(enc_core(&EncCoreConfig::of(&p), &rd.encoded.annexb).is_err());
    }
}
