//! Core-level cycle model of the decoder core `hw::dec_core`, checked against
//! Verilator in `area_energy/tests/area_energy/cycle_model.rs`.
//!
//! A control-level transcription, stepped cycle by cycle without any datapath:
//! - `syn_dec`'s state machine, driven by the stream's syntax bins (golden's
//!   `decode_traced().syntax_bins`): each state it passes is a cycle; a CU-level bin is
//!   the asking state's cycle (or none when the bin before asks it), a command slot to
//!   `res_dec` (taken when the parser is idle and its output FIFO has room) and the
//!   wait for the bin to come back through that FIFO;
//! - `res_dec` per command: initializations and WPP storage moves one context per
//!   cycle, a bin in one cycle, a coded block as [`crate::cycle::residual_steps`]
//!   (its phases; the coefficient phase needs room in the 2-entry output FIFO);
//! - the record FIFO (2) into `recon`'s record queue (4), the levels into its
//!   coefficient memory (held until the block before has read its own);
//! - `recon` per luma block: one cycle for the record, the reference gather (2N + N/2 + 1
//!   slots, 2 pipeline cycles), then the run: N reference beats into `intra_pred`
//!   (first prediction beat 3 cycles after the last, plus its projection cycles for
//!   negative angles), the levels read P per cycle into `inv_tq` (its output times from
//!   [`crate::cycle::tq_run`]'s control model), one 4-sample sum per cycle when both are
//!   there; chroma records take one cycle;
//! - the CTU banks and their read-out (one word of 4 samples per cycle), and the
//!   core's slice sequencing (drain, one reset cycle of `syn_dec`, next slice).
//!
//! Strong intra smoothing (16 cycles) is taken from golden's trace (it depends on the
//! reconstructed references). Simplifications: the read-out's conflicts with the
//! gather's reads of the same bank are ignored, bytes are assumed to arrive every
//! cycle (the engine never waits for bits).

use crate::cycle::{residual_steps, tq_out_cycles, Step, Tq};
use golden::decoder::TuRecord;
use std::collections::VecDeque;

/// What the model needs of the core's configuration.
#[derive(Clone, Copy, Debug)]
pub struct DecCoreConfig {
    /// `rtl.samples_per_cycle` (inv_tq's lanes).
    pub lanes: u32,
    /// log2 of the largest TU the core is generated for (`bitstream.max_tu_size`).
    pub log2_max_tu: u32,
}

impl DecCoreConfig {
    pub fn of(p: &golden::Params) -> Self {
        DecCoreConfig { lanes: p.rtl.samples_per_cycle, log2_max_tu: p.bitstream.max_tu_size.trailing_zeros() }
    }
}

/// The model's cycle count of a stream and what it saw.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct DecCoreTiming {
    /// Cycles from the first after reset to the last picture's last output beat
    /// (Verilator's `sim::dec_core::run` count).
    pub cycles: u64,
    pub slices: u64,
    pub luma_blocks: u64,
    /// Cycles `res_dec` was busy (commands included).
    pub res_dec_busy: u64,
    /// Cycles `recon` was in its run phase.
    pub recon_run: u64,
}

const CTX_COUNT: u64 = golden::cabac::Contexts::COUNT as u64;

/// res_dec commands.
#[derive(Clone, Debug)]
enum Cmd {
    /// Context initialization and engine start (op 0; op 3 kinds 1 and 2 add the
    /// alignment cycle, restore adds one more).
    Steps(Vec<Step>),
    /// One bin (op 2).
    Bin,
}

/// syn_dec micro-operations (each is one or more states' cycles).
#[derive(Clone, Debug)]
enum Uop {
    /// A state's cycle without any handshake.
    Cyc,
    /// A CU-level bin: the asking state's cycle unless `chained`, the command slot,
    /// the wait for the bin.
    Ask { chained: bool },
    /// S_SEND of a command set up by the state before (which is its own Uop).
    Send(Cmd),
    /// S_REC: wait for room in the record FIFO, push the record (index into the
    /// slice's blocks); a coded block then sends its residual command.
    Rec(usize),
    /// S_ENDB: the end-of-slice record.
    End,
}

/// One block as the core carries it.
#[derive(Clone, Debug)]
struct Block {
    luma: bool,
    log2: u32,
    mode: u8,
    cbf: bool,
    bypass: bool,
    strong: bool,
    x: usize,
    y: usize,
    steps: Vec<Step>,
}

/// A slice as the model runs it.
struct SliceProg {
    uops: Vec<Uop>,
    blocks: Vec<Block>,
    /// The slice's first CTB (0 starts a picture).
    first_ctb: usize,
    /// log2 of the CTU size.
    log2_ctb: u32,
    pic_w: usize,
    pic_h: usize,
}

/// Walks a slice's syntax (bins from golden's trace) the way `syn_dec` does and
/// writes its micro-operations.
struct Walker<'a> {
    bins: &'a [u8],
    bi: usize,
    uops: Vec<Uop>,
    recs: &'a [&'a TuRecord],
    ri: usize,
    blocks: Vec<Block>,
    w: usize,
    h: usize,
    max_tb: u32,
    tu_depth: u32,
    chroma: bool,
    tqb: bool,
    sdh: bool,
}

impl Walker<'_> {
    fn bin(&mut self) -> Result<u8, String> {
        let b = *self.bins.get(self.bi).ok_or("syntax bins run out")?;
        self.bi += 1;
        Ok(b)
    }
    fn ask(&mut self, chained: bool) -> Result<u8, String> {
        self.uops.push(Uop::Ask { chained });
        self.bin()
    }
    fn cyc(&mut self, n: usize) {
        for _ in 0..n {
            self.uops.push(Uop::Cyc);
        }
    }

    /// The next record: must be the block at (x, y) of component `c`.
    fn record(&mut self, c: u8, x: usize, y: usize, log2: u32) -> Result<(), String> {
        let r = *self.recs.get(self.ri).ok_or("records run out")?;
        self.ri += 1;
        if r.c_idx != c || r.x as usize != x || r.y as usize != y || r.log2 as u32 != log2 {
            return Err(format!("record order: expected c{c} ({x},{y}) log2 {log2}, got c{} ({},{}) log2 {}", r.c_idx, r.x, r.y, r.log2));
        }
        let steps = if r.cbf {
            let n = 1usize << log2;
            let mut lv = vec![0i32; n * n];
            for &(pos, l) in &r.levels {
                lv[pos as usize] = l;
            }
            let scan = golden::residual::scan_idx_for(log2, c as u32, r.mode, false);
            residual_steps(&lv, log2, scan, self.sdh && !r.bypass)
        } else {
            Vec::new()
        };
        self.blocks.push(Block { luma: c == 0, log2, mode: r.mode, cbf: r.cbf, bypass: r.bypass, strong: r.strong, x, y, steps });
        self.uops.push(Uop::Rec(self.blocks.len() - 1));
        Ok(())
    }

    /// coding_quadtree from S_CQT (the node at (x, y) of 2^log2, inside the picture at
    /// least at its first sample); returns after the node's last CU (S_ADVT/S_ADVC
    /// cycles are added by the caller).
    fn cqt(&mut self, x: usize, y: usize, log2: u32) -> Result<(), String> {
        let size = 1usize << log2;
        let in_pic = x + size <= self.w && y + size <= self.h;
        let split = if in_pic && log2 > 3 {
            self.ask(false)? == 1
        } else if log2 > 3 {
            self.cyc(1); // implicit split
            true
        } else {
            self.cyc(1); // S_CQT at the minimum size
            false
        };
        if !split {
            return self.cu(x, y, log2);
        }
        let h = size / 2;
        for i in 0..4 {
            let (cx, cy) = (x + h * (i & 1), y + h * (i >> 1));
            if i > 0 {
                // S_ADVC: to the next sibling (one cycle each, skipped ones too)
                self.cyc(1);
            }
            if cx < self.w && cy < self.h {
                self.cqt(cx, cy, log2 - 1)?;
            }
        }
        // S_ADVC: the last child done, up one level
        self.cyc(1);
        Ok(())
    }

    fn cu(&mut self, x: usize, y: usize, log2: u32) -> Result<(), String> {
        // S_CU (asks cu_transquant_bypass_flag when enabled)
        if self.tqb {
            self.ask(false)?;
        } else {
            self.cyc(1);
        }
        // S_PART
        let nxn = if log2 == 3 { self.ask(false)? == 0 } else {
            self.cyc(1);
            false
        };
        let npu = if nxn { 4 } else { 1 };
        let mut prev = [0u8; 4];
        for p in prev.iter_mut().take(npu) {
            *p = self.ask(false)?; // S_PREV
        }
        for (i, &pf) in prev.iter().enumerate().take(npu) {
            // S_PU asks the first bin; the rest chain from the wait
            if pf == 1 {
                if self.ask(false)? == 1 {
                    self.ask(true)?;
                }
            } else {
                self.ask(false)?;
                for _ in 0..4 {
                    self.ask(true)?;
                }
                self.cyc(1); // S_REMFIX
            }
            // S_PUW: the next PU, or the chroma mode (asked here), or the tree
            if i + 1 < npu {
                self.cyc(1);
            } else if self.chroma {
                if self.ask(false)? == 1 {
                    self.ask(true)?;
                    self.ask(true)?;
                    self.cyc(1); // S_CHR
                }
            } else {
                self.cyc(1);
            }
        }
        self.tt(x, y, x, y, log2, 0, 0, nxn, [false; 2])?;
        // S_ADVT at depth 0 -> S_ADVC
        self.cyc(1);
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn tt(&mut self, x: usize, y: usize, xb: usize, yb: usize, log2: u32, depth: u32, blk: u32, nxn: bool, pcbf: [bool; 2]) -> Result<(), String> {
        let max_depth = self.tu_depth + nxn as u32;
        // S_TT
        let split = if log2 <= self.max_tb && log2 > 2 && depth < max_depth && !(nxn && depth == 0) {
            self.ask(false)? == 1
        } else {
            self.cyc(1);
            log2 > self.max_tb || (nxn && depth == 0)
        };
        // S_CBFC
        let mut cbf = [false; 2];
        if !self.chroma || log2 == 2 {
            self.cyc(1);
            if self.chroma {
                cbf = pcbf;
            }
        } else {
            for (c, v) in cbf.iter_mut().enumerate() {
                if depth == 0 || pcbf[c] {
                    *v = self.ask(false)? == 1;
                } else {
                    self.cyc(1);
                }
            }
        }
        if cbf[0] || cbf[1] {
            return Err("chroma residual: outside the decoder core's subset".into());
        }
        // S_LEAF
        if split {
            self.cyc(1);
            let h = 1usize << (log2 - 1);
            for i in 0..4u32 {
                if i > 0 {
                    self.cyc(1); // S_ADVT: the next sibling
                }
                self.tt(x + h * (i as usize & 1), y + h * (i as usize >> 1), x, y, log2 - 1, depth + 1, i, nxn, cbf)?;
            }
            self.cyc(1); // S_ADVT: up one level
            return Ok(());
        }
        self.ask(false)?; // cbf_luma
        self.record(0, x, y, log2)?;
        self.cyc(1); // S_RNEXT
        let chroma_here = self.chroma && (log2 > 2 || blk == 3);
        if chroma_here {
            let (xc, yc, lc) = if log2 > 2 { (x / 2, y / 2, log2 - 1) } else { (xb / 2, yb / 2, 2) };
            for c in 1..3u8 {
                self.record(c, xc, yc, lc)?;
                self.cyc(1); // S_RNEXT
            }
        }
        Ok(())
    }
}

/// Contexts initialization (op 0): PH_CINIT per context, PH_EINIT.
fn init_steps(align: bool) -> Vec<Step> {
    vec![Step::Plain; CTX_COUNT as usize + 1 + align as usize]
}

/// The slices of `annexb` as programs for the model.
fn programs(annexb: &[u8]) -> Result<Vec<SliceProg>, String> {
    let units = golden::decoder::slices(annexb).map_err(|e| e.to_string())?;
    let tr = golden::decoder::decode_traced(annexb).map_err(|e| e.to_string())?;
    if tr.syntax_bins.len() != units.len() {
        return Err(format!("{} slices, {} syntax bin logs", units.len(), tr.syntax_bins.len()));
    }
    let mut out = Vec::new();
    let mut ri = 0usize;
    for (si, u) in units.iter().enumerate() {
        let (sps, pps, sh) = (&u.sps, &u.pps, &u.header);
        let log2_ctb = sps.log2_ctb;
        let ctb = 1usize << log2_ctb;
        let (cw, ch) = (sps.width.div_ceil(ctb), sps.height.div_ceil(ctb));
        let n_ctb = cw * ch;
        let end_addr = units.get(si + 1).filter(|n| n.picture == u.picture).map(|n| n.header.address).unwrap_or(n_ctb);
        // this slice's records: those of its CTBs, in order
        let mut recs = Vec::new();
        while let Some(r) = tr.records.get(ri) {
            let sub = if r.c_idx == 0 { 0 } else { 1 };
            let a = ((r.y as usize) << sub >> log2_ctb) * cw + ((r.x as usize) << sub >> log2_ctb);
            if r.picture != u.picture || a < sh.address || a >= end_addr {
                break;
            }
            recs.push(r);
            ri += 1;
        }
        let mut wk = Walker {
            bins: &tr.syntax_bins[si],
            bi: 0,
            uops: Vec::new(),
            recs: &recs,
            ri: 0,
            blocks: Vec::new(),
            w: sps.width,
            h: sps.height,
            max_tb: sps.log2_max_tb,
            tu_depth: sps.max_tu_depth_intra,
            chroma: sps.chroma_format_idc != 0,
            tqb: pps.transquant_bypass,
            sdh: pps.sign_data_hiding,
        };
        // S_IDLE takes the slice, S_SEND the initialization
        wk.cyc(1);
        wk.uops.push(Uop::Send(Cmd::Steps(init_steps(false))));
        let mut addr = sh.address;
        loop {
            let (cx, cy) = (addr % cw, addr / cw);
            wk.cyc(1); // S_CTU
            wk.cqt(cx << log2_ctb, cy << log2_ctb, log2_ctb)?;
            // S_ADVC at depth 0 -> S_CTUEND
            wk.cyc(1);
            let end = wk.ask(false)?; // end_of_slice_segment_flag
            if end == 1 {
                wk.uops.push(Uop::End);
                break;
            }
            addr += 1;
            let row_end = addr % cw == 0;
            if pps.wpp && cx == 1 {
                // the WPP storage after the second CTB of a row
                wk.uops.push(Uop::Send(Cmd::Steps(vec![Step::Plain; CTX_COUNT as usize])));
            }
            if pps.wpp && row_end {
                wk.ask(false)?; // S_WEOSS: end_of_subset_one_bit
                let tr_avail = cw > 1 && addr + 1 >= cw && addr + 1 - cw >= sh.address;
                // align, then restore (and one wait cycle) or initialize, then the engine
                let steps = if tr_avail { vec![Step::Plain; CTX_COUNT as usize + 3] } else { init_steps(true) };
                wk.uops.push(Uop::Send(Cmd::Steps(steps)));
            }
        }
        if wk.bi != wk.bins.len() || wk.ri != recs.len() {
            return Err(format!("slice {si}: {} of {} syntax bins, {} of {} records walked", wk.bi, wk.bins.len(), wk.ri, recs.len()));
        }
        out.push(SliceProg { uops: wk.uops, blocks: wk.blocks, first_ctb: sh.address, log2_ctb, pic_w: sps.width, pic_h: sps.height });
    }
    Ok(out)
}

/// Items in res_dec's output FIFO.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Item {
    Bin,
    Level,
    End,
}

/// What `recon`'s run of a luma block depends on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RunJob {
    pub log2: u32,
    pub mode: u8,
    pub cbf: bool,
    pub bypass: bool,
    pub strong: bool,
}

/// `recon`'s gather of a 2^`log2` block: 2N left slots, the corner, N/2 top words, and
/// the cycle of the last sample stored; the run may start after it.
fn gather_slots(log2: u32) -> u64 {
    let n = 1u64 << log2;
    2 * n + n / 2 + 1
}

/// One luma block's run in `recon` (cycles from the first cycle of R_RUN): when its
/// coefficient memory is free again (all words read), and when it is done (the
/// cycle of the last sum). `lanes` is `inv_tq`'s P.
pub(crate) fn run_schedule(lanes: u32, b: &RunJob, tq_cache: &mut std::collections::HashMap<u32, Vec<u64>>) -> (u64, u64) {
    let n = 1u64 << b.log2;
    let p = lanes as u64;
    // intra_pred: N reference beats from the first cycle, the first prediction 3 cycles
    // after the last, plus the projection of the side references (negative angles)
    let extra = if b.strong { 16 } else { 0 } + crate::cycle::intra_projection_cycles(b.log2, b.mode);
    let beats = n * n / 4;
    let pred0 = n - 1 + 3 + extra;
    let words = n * n / p;
    // residual beats (P samples): read from the coefficient memory from cycle 0, valid
    // into inv_tq from cycle 1
    // (transquant bypass: the levels are the residual, read only as the gearbox takes
    // them, so each word's read waits for the one before to be taken)
    let res: Vec<u64> = if !b.cbf || b.bypass {
        Vec::new()
    } else {
        let o = tq_cache.entry(b.log2).or_insert_with(|| tq_out_cycles(Tq::Inverse, lanes, b.log2));
        o.iter().map(|&c| 1 + c).collect()
    };
    let k = (4 / p).max(1) as usize;
    let mut add = vec![0u64; beats as usize];
    let mut acc_prev = 0u64;
    let mut pred_prev = 0u64;
    let mut last_read = 0u64;
    for i in 0..beats as usize {
        // the prediction beat: its nominal time, one per cycle, two ahead of the sums
        let mut pr = (pred0 + i as u64).max(if i > 0 { pred_prev + 1 } else { 0 });
        if i >= 2 {
            pr = pr.max(add[i - 2] + 1);
        }
        pred_prev = pr;
        let mut t = pr;
        if b.cbf {
            // K residual beats into the gearbox, one per cycle, once the sum before freed it
            for j in 0..k {
                let idx = i * k + j;
                let mut a = if b.bypass {
                    // read when the word before is taken (the first at cycle 0)
                    let read = if idx == 0 { 0 } else { acc_prev };
                    last_read = read;
                    read + 1
                } else {
                    res[idx]
                };
                if idx > 0 {
                    a = a.max(acc_prev + 1);
                }
                if j == 0 && i > 0 {
                    a = a.max(add[i - 1]);
                }
                acc_prev = a;
            }
            t = t.max(acc_prev + 1);
        }
        if i > 0 {
            t = t.max(add[i - 1] + 1);
        }
        add[i] = t;
    }
    let freed = if !b.cbf {
        0
    } else if b.bypass {
        last_read + 1
    } else {
        words
    };
    (freed, *add.last().unwrap())
}

#[derive(PartialEq, Clone, Copy, Debug)]
enum D {
    Idle,
    Run,
    Drain,
    Srst,
}

#[derive(PartialEq, Clone, Copy, Debug)]
enum R {
    Init(u64),
    Slice,
    Rec,
    Row,
    Gath(u64),
    Run(u64, u64, u64),
    /// The run stepped against a shared backend (`dec_multi` with
    /// `rtl.decoder_shared_backend`): `recon`'s run registers.
    SRun(RunRegs),
}

/// `recon`'s run registers: reference beats sent (`rb`, `rdone`), coefficient words
/// read (`cr_n`) and the read word held (`cr_dv`), residual beats in the gearbox.
#[derive(PartialEq, Clone, Copy, Debug, Default)]
struct RunRegs {
    rb: u64,
    rdone: bool,
    cr_n: u64,
    cr_dv: bool,
    gbc: u64,
}

/// What a front of the shared backend sees of it in a cycle (registers only: the
/// arbiter's grant, the owner's input readies, the outputs at the head of the tag
/// FIFOs).
#[derive(Clone, Copy, Debug, Default)]
struct BkIn {
    gnt: bool,
    ip_ready: bool,
    it_ready: bool,
    /// `intra_pred`'s output for this front: valid, last beat of the job.
    pp_valid: bool,
    pp_last: bool,
    ir_valid: bool,
}

/// What a front did to the shared backend in a cycle.
#[derive(Clone, Copy, Debug, Default)]
struct BkOut {
    /// A run started (granted): whether it sends levels to `inv_tq`.
    start: Option<bool>,
    /// A reference beat taken (the job's log2, mode, strong smoothing).
    ip_fire: Option<(u32, u8, bool)>,
    /// A level beat offered to `inv_tq` (its TU's log2).
    it_offer: Option<u32>,
    pp_ready: bool,
    ir_ready: bool,
}

/// One decoder core's control state (dec_core's sequencer, syn_dec, res_dec, recon),
/// stepped one cycle at a time.
struct Core<'a> {
    cfg: DecCoreConfig,
    progs: &'a [SliceProg],
    /// `recon`'s independent variant (a core of `dec_multi`).
    independent: bool,
    ctb: usize,
    dst: D,
    cur_slice: Option<usize>,
    // syn_dec
    su: usize,
    s_phase: u8,
    s_idle: bool,
    tu_fifo: VecDeque<Option<usize>>,
    // res_dec
    r_steps: VecDeque<Step>,
    r_fifo: VecDeque<Item>,
    r_pending_bin: bool,
    // recon
    rst: R,
    rq: VecDeque<Option<usize>>,
    cfull: bool,
    cur_block: Option<usize>,
    need_bank: bool,
    /// The CTU being reconstructed (row, column).
    ctu: (usize, usize),
    cur_bank: usize,
    out: RowReadout,
    pic_open: bool,
    pic_w: usize,
    pic_h: usize,
    tq_cache: std::collections::HashMap<u32, Vec<u64>>,
    t: DecCoreTiming,
    /// A front of the shared backend: this cycle's view of it, and what it did.
    bk_in: Option<BkIn>,
    bk_out: BkOut,
    /// The stepped run read the block's last coefficient word this cycle.
    sfreed: bool,
}

impl<'a> Core<'a> {
    fn new(cfg: DecCoreConfig, progs: &'a [SliceProg], ctb: usize, independent: bool) -> Self {
        let coef_words = (1u64 << (2 * cfg.log2_max_tu)) / cfg.lanes as u64;
        Core {
            cfg,
            progs,
            independent,
            ctb,
            dst: D::Idle,
            cur_slice: None,
            su: 0,
            s_phase: 0,
            s_idle: true,
            tu_fifo: VecDeque::new(),
            r_steps: VecDeque::new(),
            r_fifo: VecDeque::new(),
            r_pending_bin: false,
            rst: R::Init(coef_words),
            rq: VecDeque::new(),
            cfull: false,
            cur_block: None,
            need_bank: true,
            ctu: (0, 0),
            cur_bank: 0,
            out: Default::default(),
            pic_open: false,
            pic_w: 0,
            pic_h: 0,
            tq_cache: std::collections::HashMap::new(),
            t: DecCoreTiming::default(),
            bk_in: None,
            bk_out: BkOut::default(),
            sfreed: false,
        }
    }

    fn block(&self) -> &Block {
        &self.progs[self.cur_slice.unwrap()].blocks[self.cur_block.unwrap()]
    }

    /// `bk_req`: the gather is done and the block's levels are in.
    fn bk_req(&self) -> bool {
        match self.rst {
            R::Gath(g) => {
                let b = self.block();
                g > gather_slots(b.log2) && (!b.cbf || self.cfull)
            }
            _ => false,
        }
    }

    /// The block's last sum (the run's end, either model): count it, and read the
    /// picture's last CTU out. `recon`'s next state.
    fn block_done(&mut self, ctu_words: u64) -> R {
        self.t.luma_blocks += 1;
        let b = self.block();
        let n = 1usize << b.log2;
        if b.x + n >= self.pic_w && b.y + n >= self.pic_h {
            // the picture's last CTU: read it out
            self.out.full[self.cur_bank] = ctu_words;
            self.cur_bank ^= 1;
            self.need_bank = true;
            self.pic_open = false;
        }
        R::Rec
    }

    /// `bk_done`: the run's inputs (references, levels) have all been taken.
    fn bk_done(&self) -> bool {
        match self.rst {
            R::SRun(r) => {
                let b = self.block();
                let words = (1u64 << (2 * b.log2)) / self.cfg.lanes as u64;
                r.rdone && (!b.cbf || b.bypass || (r.cr_n == words && !r.cr_dv))
            }
            _ => false,
        }
    }

    /// Ready for a slice command (`sl_ready`).
    fn sl_ready(&self) -> bool {
        self.dst == D::Idle && self.s_idle && self.rst == R::Slice
    }

    /// Nothing left inside: no slice, nothing to read out.
    fn quiet(&self) -> bool {
        self.sl_ready() && self.rq.is_empty() && self.out.idle()
    }

    /// One cycle; `offer` is the slice command presented to this core (taken when
    /// ready: returns whether it was).
    fn step(&mut self, cycle: u64, offer: Option<usize>) -> bool {
        let progs = self.progs;
        let ctb = self.ctb;
        // ---------- start-of-cycle views ----------
        let r_idle = self.r_steps.is_empty() && !self.r_pending_bin;
        let r_room = self.r_fifo.len() != 2;
        let r_cmd_ready = r_idle && r_room;
        let tu_room = self.tu_fifo.len() != 2;
        let co_ready = !matches!(self.rst, R::Init(_)) && !self.cfull;
        let r_sl_ready = self.rst == R::Slice;
        let sl_fire = offer.is_some() && self.sl_ready();

        // ---------- res_dec output FIFO head ----------
        let head = self.r_fifo.front().copied();
        let mut pop_bin = false;
        let pop_level = matches!(head, Some(Item::Level) | Some(Item::End)) && co_ready;

        // ---------- syn_dec ----------
        let mut r_start: Option<Cmd> = None;
        let mut tu_push: Option<Option<usize>> = None;
        let mut s_next_idle = self.s_idle;
        if let Some(sl) = self.cur_slice.filter(|_| !self.s_idle) {
            let prog = &progs[sl];
            if self.su < prog.uops.len() {
                let mut advance = false;
                match &prog.uops[self.su] {
                    Uop::Cyc => advance = true,
                    Uop::Ask { chained } => {
                        if self.s_phase == 0 && !chained {
                            self.s_phase = 1;
                        } else if self.s_phase <= 1 {
                            self.s_phase = 1;
                            if r_cmd_ready {
                                r_start = Some(Cmd::Bin);
                                self.s_phase = 2;
                            }
                        } else if head == Some(Item::Bin) {
                            pop_bin = true;
                            advance = true;
                        }
                    }
                    Uop::Send(c) => {
                        if r_cmd_ready {
                            r_start = Some(c.clone());
                            advance = true;
                        }
                    }
                    Uop::Rec(bi) => {
                        if self.s_phase == 0 {
                            if tu_room {
                                tu_push = Some(Some(*bi));
                                if prog.blocks[*bi].cbf {
                                    self.s_phase = 1;
                                } else {
                                    advance = true;
                                }
                            }
                        } else if r_cmd_ready {
                            r_start = Some(Cmd::Steps(prog.blocks[*bi].steps.clone()));
                            advance = true;
                        }
                    }
                    Uop::End => {
                        if tu_room {
                            tu_push = Some(None);
                            advance = true;
                        }
                    }
                }
                if advance {
                    self.su += 1;
                    self.s_phase = 0;
                    if self.su == prog.uops.len() {
                        s_next_idle = true; // S_IDLE after the end record (reset follows)
                    }
                }
            }
        }
        if sl_fire {
            // S_IDLE takes the slice this cycle: its first uop (S_IDLE's cycle) is this one
            let k = offer.unwrap();
            self.cur_slice = Some(k);
            self.su = 1;
            self.s_phase = 0;
            s_next_idle = false;
            self.pic_w = progs[k].pic_w;
            self.pic_h = progs[k].pic_h;
            self.t.slices += 1;
        }

        // ---------- res_dec ----------
        let mut r_push: Option<Item> = None;
        let mut r_busy = false;
        if self.r_pending_bin {
            r_busy = true;
            if r_room {
                r_push = Some(Item::Bin);
                self.r_pending_bin = false;
            }
        } else if let Some(st) = self.r_steps.front().copied() {
            r_busy = true;
            match st {
                Step::Plain => {
                    self.r_steps.pop_front();
                }
                Step::Room => {
                    if r_room {
                        self.r_steps.pop_front();
                    }
                }
                Step::Emit => {
                    if r_room {
                        self.r_steps.pop_front();
                        r_push = Some(if self.r_steps.is_empty() { Item::End } else { Item::Level });
                    }
                }
            }
        }
        if r_busy {
            self.t.res_dec_busy += 1;
        }

        // ---------- read-out (one word per cycle), from the banks as registered ----------
        let full0 = self.out.step(cycle);

        // ---------- recon ----------
        let tu_xfer = !self.tu_fifo.is_empty() && self.rq.len() != 4;
        let mut rq_pop = false;
        let mut r_next = self.rst;
        let ctu_words = ctu_words(self.pic_w, self.pic_h, ctb, self.ctu);
        match self.rst {
            R::Init(n) => r_next = if n <= 1 { R::Slice } else { R::Init(n - 1) },
            R::Slice => {
                if sl_fire {
                    r_next = R::Rec;
                    let k = offer.unwrap();
                    if self.independent {
                        // every slice stands alone: a new bank at its first row
                        self.pic_open = true;
                        self.need_bank = true;
                    } else if progs[k].first_ctb == 0 {
                        self.pic_open = true;
                        self.need_bank = true;
                    }
                }
            }
            R::Rec => {
                if let Some(h) = self.rq.front().copied() {
                    rq_pop = true;
                    match h {
                        None => {
                            r_next = R::Slice;
                            if self.independent && self.pic_open {
                                // the slice ends before the picture does: read its last CTU out
                                self.out.full[self.cur_bank] = ctu_words;
                                self.cur_bank ^= 1;
                                self.pic_open = false;
                                self.need_bank = true;
                            }
                        }
                        Some(bi) => {
                            let b = &progs[self.cur_slice.unwrap()].blocks[bi];
                            if b.luma {
                                self.cur_block = Some(bi);
                                let t = (b.y / ctb, b.x / ctb);
                                if self.need_bank {
                                    self.ctu = t;
                                    r_next = R::Row;
                                } else if t == self.ctu {
                                    r_next = R::Gath(0);
                                } else {
                                    // the CTU before is complete: read it out
                                    self.out.full[self.cur_bank] = ctu_words;
                                    self.cur_bank ^= 1;
                                    self.ctu = t;
                                    r_next = R::Row;
                                }
                            }
                        }
                    }
                }
            }
            R::Row => {
                if full0[self.cur_bank] == 0 {
                    self.need_bank = false;
                    r_next = R::Gath(0);
                }
            }
            R::Gath(g) => {
                let b = &progs[self.cur_slice.unwrap()].blocks[self.cur_block.unwrap()];
                if g <= gather_slots(b.log2) {
                    r_next = R::Gath(g + 1);
                } else if let Some(bk) = self.bk_in {
                    if bk.gnt && (!b.cbf || self.cfull) {
                        r_next = R::SRun(RunRegs::default());
                        self.bk_out.start = Some(b.cbf && !b.bypass);
                    }
                } else if !b.cbf || self.cfull {
                    let job = RunJob { log2: b.log2, mode: b.mode, cbf: b.cbf, bypass: b.bypass, strong: b.strong };
                    let (freed, done) = run_schedule(self.cfg.lanes, &job, &mut self.tq_cache);
                    r_next = R::Run(0, freed, done);
                }
            }
            R::SRun(r) => {
                // hw/src/recon.rs's run equations, the backend's side from `bk_in`
                self.t.recon_run += 1;
                let bk = self.bk_in.expect("a stepped run is a front's");
                let b = &progs[self.cur_slice.unwrap()].blocks[self.cur_block.unwrap()];
                let n = 1u64 << b.log2;
                let words = n * n / self.cfg.lanes as u64;
                let kg = (4 / self.cfg.lanes as u64).max(1);
                let ip_fire = !r.rdone && bk.ip_ready;
                let cr_more = r.cr_n < words;
                let gb_full = r.gbc == kg;
                let res_ok = !b.cbf || gb_full;
                let add_fire = bk.pp_valid && res_ok;
                let acc_ok = !gb_full || add_fire;
                let src_valid = if b.bypass { r.cr_dv } else { bk.ir_valid };
                let acc = b.cbf && src_valid && acc_ok;
                let cr_take = r.cr_dv && if b.bypass { acc_ok } else { bk.it_ready };
                let cr_re = b.cbf && cr_more && (!r.cr_dv || cr_take);
                self.bk_out.ip_fire = ip_fire.then_some((b.log2, b.mode, b.strong));
                self.bk_out.it_offer = (b.cbf && !b.bypass && r.cr_dv).then_some(b.log2);
                self.bk_out.pp_ready = res_ok;
                self.bk_out.ir_ready = b.cbf && !b.bypass && acc_ok;
                let mut nr = r;
                if ip_fire {
                    nr.rb += 1;
                    nr.rdone |= r.rb + 1 == n;
                }
                if cr_re {
                    nr.cr_n += 1;
                    if r.cr_n + 1 == words {
                        self.sfreed = true;
                    }
                }
                nr.cr_dv = cr_re || (r.cr_dv && !cr_take);
                nr.gbc = if add_fire { 0 } else { r.gbc } + acc as u64;
                r_next = R::SRun(nr);
                if add_fire && bk.pp_last {
                    r_next = self.block_done(ctu_words);
                }
            }
            R::Run(k, freed, done) => {
                self.t.recon_run += 1;
                if k == done {
                    r_next = self.block_done(ctu_words);
                } else {
                    r_next = R::Run(k + 1, freed, done);
                }
            }
        }
        // cfull: set by the end beat taken, cleared when the run has read the last word
        let mut cfull_next = self.cfull;
        if let R::Run(k, freed, _) = self.rst {
            if freed > 0 && k + 1 == freed {
                cfull_next = false;
            }
        }
        if std::mem::take(&mut self.sfreed) {
            cfull_next = false;
        }
        if pop_level && head == Some(Item::End) {
            cfull_next = true;
        }

        // ---------- dec_core sequencing ----------
        let t_end = tu_xfer && self.tu_fifo.front() == Some(&None);
        let mut srst = false;
        self.dst = match self.dst {
            D::Idle if sl_fire => D::Run,
            D::Run if t_end => D::Drain,
            D::Drain if r_sl_ready => D::Srst,
            D::Srst => {
                srst = true;
                D::Idle
            }
            d => d,
        };

        // ---------- register updates ----------
        if pop_bin || pop_level {
            self.r_fifo.pop_front();
        }
        if let Some(i) = r_push {
            self.r_fifo.push_back(i);
        }
        if tu_xfer {
            let x = self.tu_fifo.pop_front().unwrap();
            self.rq.push_back(x);
        }
        if rq_pop {
            self.rq.pop_front();
        }
        if let Some(x) = tu_push {
            self.tu_fifo.push_back(x);
        }
        if let Some(c) = r_start {
            match c {
                Cmd::Bin => self.r_pending_bin = true,
                Cmd::Steps(st) => self.r_steps.extend(st),
            }
        }
        self.cfull = cfull_next;
        self.rst = r_next;
        self.s_idle = s_next_idle;
        if srst {
            // syn_dec's reset: S_IDLE, res_dec idle with an empty FIFO
            self.s_idle = true;
            self.r_steps.clear();
            self.r_pending_bin = false;
            self.r_fifo.clear();
            self.tu_fifo.clear();
        }
        sl_fire
    }
}

/// Words of 4 samples that `recon` reads out of CTU `(row, col)` of a `pic_w` x `pic_h`
/// picture (cut at its right and bottom edges).
pub(crate) fn ctu_words(pic_w: usize, pic_h: usize, ctb: usize, (row, col): (usize, usize)) -> u64 {
    let lines = pic_h.saturating_sub(row * ctb).min(ctb);
    let cols = pic_w.saturating_sub(col * ctb).min(ctb);
    (lines * cols / 4) as u64
}

/// The CTU banks' read-out of `recon` (the decoder core's and the single encoder
/// core's): a word of 4 samples per cycle from the banks as registered, two cycles from
/// the read to the output (issue, register, FIFO).
#[derive(Clone, Debug, Default)]
pub(crate) struct RowReadout {
    /// Words left to read in each bank (`recon` fills a bank when its CTU is done).
    pub(crate) full: [u64; 2],
    /// The bank being read.
    ob: usize,
    /// Words read and not yet out.
    o_cnt: u64,
    /// The cycle count once the last word is out.
    pub(crate) last_out: u64,
}

impl RowReadout {
    /// One cycle; returns the banks' fill at its start.
    pub(crate) fn step(&mut self, cycle: u64) -> [u64; 2] {
        let full0 = self.full;
        let ob = self.ob;
        if self.full[ob] > 0 {
            self.full[ob] -= 1;
            self.o_cnt += 1;
            if self.full[ob] == 0 {
                self.ob ^= 1;
            }
        }
        if self.o_cnt > 0 {
            self.o_cnt -= 1;
            self.last_out = cycle + 3;
        }
        full0
    }

    /// Nothing left to read or in flight.
    pub(crate) fn idle(&self) -> bool {
        self.full == [0, 0] && self.o_cnt == 0
    }
}

/// A core model that the slice dispatcher steps (the decoder's and the encoder's).
pub(crate) trait Stepped {
    /// One cycle; `offer` is the slice command on offer to this core. True when the
    /// core takes it.
    fn step(&mut self, cycle: u64, offer: Option<usize>) -> bool;
    /// Nothing left to do or in flight.
    fn quiet(&self) -> bool;
}

impl Stepped for Core<'_> {
    fn step(&mut self, cycle: u64, offer: Option<usize>) -> bool {
        Core::step(self, cycle, offer)
    }
    fn quiet(&self) -> bool {
        Core::quiet(self)
    }
}

/// The in-order slice dispatcher of `dec_multi` and `enc_multi` (and of one core):
/// slice command k is offered to core k mod K until that core takes it; every core
/// steps once per cycle until all `slices` commands are taken and every core is quiet.
pub(crate) fn dispatch<C: Stepped>(cores: &mut [C], slices: usize) -> Result<(), String> {
    let k = cores.len();
    let (mut next, mut cycle) = (0usize, 0u64);
    loop {
        if cycle > 4_000_000_000 {
            return Err("the model did not finish".into());
        }
        let target = next % k;
        for (i, c) in cores.iter_mut().enumerate() {
            let offer = (next < slices && i == target).then_some(next);
            if c.step(cycle, offer) {
                next += 1;
            }
        }
        cycle += 1;
        if next == slices && cores.iter().all(|c| c.quiet()) {
            return Ok(());
        }
    }
}

/// Model cycle count of the decoder core on an Annex-B stream inside its subset: one
/// `dec_core` with `cores` = 1, else `dec_multi` with `cores` whole cores (slice k on
/// core k mod K, each command waiting for its core; the cores' `recon` is the
/// independent variant).
pub fn dec_cores(cfg: &DecCoreConfig, cores: usize, annexb: &[u8]) -> Result<DecCoreTiming, String> {
    let progs = programs(annexb)?;
    let ctb = 1usize << progs.first().ok_or("no slices")?.log2_ctb;
    let k = cores.max(1);
    let mut cs: Vec<Core> = (0..k).map(|_| Core::new(*cfg, &progs, ctb, k > 1)).collect();
    dispatch(&mut cs, progs.len())?;
    Ok(timing(&cs))
}

/// The cores' counts together: the last output beat's cycle, the sums.
fn timing(cs: &[Core]) -> DecCoreTiming {
    let mut t = DecCoreTiming { cycles: cs.iter().map(|c| c.out.last_out).max().unwrap_or(0).max(1), ..Default::default() };
    for c in cs {
        t.slices += c.t.slices;
        t.luma_blocks += c.t.luma_blocks;
        t.res_dec_busy += c.t.res_dec_busy;
        t.recon_run += c.t.recon_run;
    }
    t
}

/// Model cycle count of `dec_multi` with `rtl.decoder_shared_backend`: `cores` fronts
/// (each `syn_dec` and `recon`, slice k on front k mod K as in [`dec_cores`]) sharing
/// one `inv_tq` ([`crate::cycle::TqCtl`]) and one `intra_pred`
/// ([`crate::enc_cycles`]'s stepped model) through hw/src/dec_multi.rs's arbiter: a
/// free backend is granted in the cycle a front asks (the first asking after the last
/// owner) and held until the owner's run has sent its inputs; the outputs go back in
/// grant order. Each front's run is stepped against the units (`recon`'s run
/// equations), not taken from [`run_schedule`]'s idle-backend closed form.
pub fn dec_cores_shared(cfg: &DecCoreConfig, cores: usize, annexb: &[u8]) -> Result<DecCoreTiming, String> {
    let progs = programs(annexb)?;
    let ctb = 1usize << progs.first().ok_or("no slices")?.log2_ctb;
    let k = cores.max(1);
    let mut cs: Vec<Core> = (0..k).map(|_| Core::new(*cfg, &progs, ctb, true)).collect();
    let slices = progs.len();
    let mut ip = crate::enc_cycles::Ip::new();
    let mut tq = crate::cycle::TqCtl::new(Tq::Inverse, cfg.lanes);
    let (mut held, mut own) = (false, k - 1);
    let (mut p_tags, mut t_tags) = (VecDeque::new(), VecDeque::new());
    let (mut next, mut cycle) = (0usize, 0u64);
    loop {
        if cycle > 4_000_000_000 {
            return Err("the model did not finish".into());
        }
        // start-of-cycle views: requests, the arbiter's grant, the units' handshakes
        let reqs: Vec<bool> = cs.iter().map(|c| c.bk_req()).collect();
        let done = held && cs[own].bk_done();
        let pick = (1..=k).map(|j| (own + j) % k).find(|&i| reqs[i]);
        let gnt = if held { Some(own) } else { pick };
        let (ip_ready, it_ready) = (ip.ready(), tq.in_ready());
        let (pp, ir) = (ip.head(), tq.out_head());
        let (ph, th) = (p_tags.front().copied(), t_tags.front().copied());
        let target = next % k;
        for (i, c) in cs.iter_mut().enumerate() {
            let sel = held && own == i;
            c.bk_in = Some(BkIn {
                gnt: gnt == Some(i),
                ip_ready: sel && ip_ready,
                it_ready: sel && it_ready,
                pp_valid: pp.is_some() && ph == Some(i),
                pp_last: pp == Some(true),
                ir_valid: ir.is_some() && th == Some(i),
            });
            c.bk_out = BkOut::default();
            let offer = (next < slices && i == target).then_some(next);
            if c.step(cycle, offer) {
                next += 1;
            }
        }
        // the units: the owner's inputs, the outputs to the fronts at the tag heads
        let o = if held { cs[own].bk_out } else { BkOut::default() };
        let pp_ready = ph.is_some_and(|h| cs[h].bk_out.pp_ready);
        let ir_ready = th.is_some_and(|h| cs[h].bk_out.ir_ready);
        if ip.step(o.ip_fire, pp_ready) == Some(true) {
            p_tags.pop_front();
        }
        if tq.step(o.it_offer, ir_ready).out == Some(true) {
            t_tags.pop_front();
        }
        // the arbiter's registers
        if held {
            held = !done;
        } else if let Some(p) = pick {
            held = true;
            own = p;
            p_tags.push_back(p);
            if cs[p].bk_out.start == Some(true) {
                t_tags.push_back(p);
            }
        }
        cycle += 1;
        if next == slices && cs.iter().all(|c| c.quiet()) {
            break;
        }
    }
    Ok(timing(&cs))
}

/// [`dec_cores`] with one core (`hw::dec_core`).
pub fn dec_core(cfg: &DecCoreConfig, annexb: &[u8]) -> Result<DecCoreTiming, String> {
    dec_cores(cfg, 1, annexb)
}
