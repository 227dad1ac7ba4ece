//! Cycle model: latency and throughput of every block as functions of the config
//! (`rtl.samples_per_cycle` P, `bitstream.max_tu_size`, the TU-size mix, CABAC bins
//! per value measured by golden/), checked against Verilator cycle counts in
//! `area_energy/tests/area_energy/cycle_model.rs`.
//!
//! Parts:
//! - closed forms for steady streams ([`tq_period`], [`tq_values_per_cycle`],
//!   [`cabac_values_per_cycle`]) used by the sizing model;
//! - a control-level model of the transform blocks ([`tq_run`]): the handshake and
//!   occupancy registers of `hw::fwd_tq` / `hw::inv_tq` (input register, row position,
//!   row register and column sweep, output buffer and drain, 2-entry output FIFO)
//!   stepped cycle by cycle without the datapath, so that any TU-size mix (real tensors
//!   split into TUs) gets its cycle count. It is a transcription of the RTL's control
//!   equations (see the block docs); Verilator is the check, not this;
//! - the residual parser `hw::res_dec` per coded block ([`residual_events`]): its
//!   state machine's phases counted from the block's levels; `intra_pred` per job
//!   ([`intra_pred_job_cycles`]), `sdh` per TU ([`sdh_tu_cycles`]) and `satd` on a
//!   block stream ([`satd_run`]), the CABAC engines on their bin and byte streams
//!   ([`cabac_dec_substream`], [`cabac_enc_run`]). The cores are in
//!   [`crate::core_cycles`] (decoder) and [`crate::enc_cycles`] (encoder).
//!
//! Cycle convention (as `sim::tb::Report::busy_cycles`): cycle 0 is the first cycle
//! after reset, the input is valid from cycle 0 until the stream ends, the output is
//! always ready; the count ends with the cycle that delivers the last output beat.

use serde::Serialize;

/// Which transform block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Tq {
    /// `hw::fwd_tq`: row stage, column sweep, output buffer drained through quantizers.
    Forward,
    /// `hw::inv_tq`: dequant + vertical stage into the G buffer, drained per row.
    Inverse,
}

/// Cycle count of a TU stream through a transform block.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TqTiming {
    /// Cycles up to and including the last output beat (the busy-cycle convention).
    pub busy_cycles: u64,
    /// Cycle of the first output beat.
    pub first_output: u64,
    pub beats_in: u64,
    pub beats_out: u64,
}

/// Steady-state period of one N x N TU (cycles per TU) on a stream of one size:
/// N^2/P beats, plus N/P - 1 cycles where the last row waits for the single output
/// buffer to drain (both blocks).
pub fn tq_period(log2: u32, lanes: u32) -> u64 {
    let n = 1u64 << log2;
    let p = lanes as u64;
    n * n / p + (n / p).max(1) - 1
}

/// Samples per cycle on a stream of one TU size.
pub fn tq_values_per_cycle(log2: u32, lanes: u32) -> f64 {
    let n = 1u64 << log2;
    (n * n) as f64 / tq_period(log2, lanes) as f64
}

/// Control-level run of a TU stream (TU sizes as log2) through a transform block with
/// `lanes` samples per cycle.
pub fn tq_run(block: Tq, lanes: u32, tus: &[u32]) -> TqTiming {
    tq_run_impl(block, lanes, tus, None)
}

/// The cycle of every output beat of one TU of 2^`log2` alone through the block (input
/// from cycle 0, output always ready), for the core model.
pub fn tq_out_cycles(block: Tq, lanes: u32, log2: u32) -> Vec<u64> {
    let mut v = Vec::new();
    tq_run_impl(block, lanes, &[log2], Some(&mut v));
    v
}

fn tq_run_impl(block: Tq, lanes: u32, tus: &[u32], mut out: Option<&mut Vec<u64>>) -> TqTiming {
    let mut ctl = TqCtl::new(block, lanes);
    let total_out: u64 = tus.iter().map(|&l| ctl.beats(l)).sum();
    let mut t = TqTiming::default();
    // the TU presented and its next beat
    let (mut next_tu, mut next_beat) = (0usize, 0u64);
    let mut cycle = 0u64;
    while t.beats_out < total_out {
        let s = ctl.step(tus.get(next_tu).copied(), true);
        if s.out.is_some() {
            if let Some(o) = out.as_mut() {
                o.push(cycle);
            }
            t.beats_out += 1;
            if t.beats_out == 1 {
                t.first_output = cycle;
            }
            if t.beats_out == total_out {
                t.busy_cycles = cycle + 1;
                break;
            }
        }
        if s.in_fire {
            t.beats_in += 1;
            next_beat += 1;
            if next_beat == ctl.beats(tus[next_tu]) {
                next_tu += 1;
                next_beat = 0;
            }
        }
        cycle += 1;
    }
    t
}

/// The control registers of `hw::fwd_tq` / `hw::inv_tq` (input register, row register
/// and column sweep, output buffer and drain position, 2-entry output FIFO), stepped one
/// cycle at a time without the datapath: [`tq_run`]'s model, and `fwd_tq` inside the
/// encoder core model ([`crate::enc_cycles`]).
#[derive(Clone, Debug)]
pub struct TqCtl {
    block: Tq,
    p: u64,
    /// The input register: the beat held (its TU's log2, its index in the TU).
    s0: Option<(u32, u64)>,
    /// The index of the next input beat in its TU.
    in_beat: u64,
    /// Forward: the row register is busy, holds its TU's last row, the TU's log2, the
    /// sweep counter.
    tr_busy: bool,
    tr_last: bool,
    tr_log2: u32,
    sw_g: u64,
    /// The output buffer (fwd: ob, inv: G buffer) is full, its TU's log2, the drain
    /// position.
    ob_full: bool,
    ob_log2: u32,
    dr_beat: u64,
    /// The output FIFO: per entry, whether it is its TU's last beat.
    fifo: std::collections::VecDeque<bool>,
}

/// What [`TqCtl::step`] did in a cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TqStep {
    /// An input beat was taken.
    pub in_fire: bool,
    /// An output beat left (`Some(last of its TU)`).
    pub out: Option<bool>,
}

/// The control equations of a cycle, from the registers.
struct TqComb {
    in_ready: bool,
    s0_fire: bool,
    tr_load: bool,
    tu_end: bool,
    sw_adv: bool,
    sw_done: bool,
    dr_adv: bool,
    dr_end: bool,
}

impl TqCtl {
    pub fn new(block: Tq, lanes: u32) -> Self {
        TqCtl {
            block,
            p: lanes as u64,
            s0: None,
            in_beat: 0,
            tr_busy: false,
            tr_last: false,
            tr_log2: 0,
            sw_g: 0,
            ob_full: false,
            ob_log2: 0,
            dr_beat: 0,
            fifo: std::collections::VecDeque::new(),
        }
    }

    /// Beats of a TU of 2^`log2`.
    pub fn beats(&self, log2: u32) -> u64 {
        (1u64 << (2 * log2)) / self.p
    }

    fn comb(&self) -> TqComb {
        let p = self.p;
        let o_room = self.fifo.len() != 2;
        let dr_adv = self.ob_full && o_room;
        let dr_end = dr_adv && self.dr_beat + 1 == self.beats(self.ob_log2);
        // forward sweep: advances unless the last row waits for the output buffer
        let sw_adv = self.block == Tq::Forward && self.tr_busy && !(self.tr_last && self.ob_full && !dr_end);
        let sw_done = sw_adv && self.sw_g + 1 == ((1u64 << self.tr_log2) / p).max(1);
        let (s0_fire, tr_load, tu_end) = match self.s0 {
            None => (false, false, false),
            Some((l, beat)) => {
                let n = 1u64 << l;
                let per_row = (n / p).max(1);
                let row_end = beat % per_row == per_row - 1;
                let last_row = beat / per_row == n - 1;
                let tu_end = row_end && last_row;
                match self.block {
                    Tq::Forward => {
                        let fire = !row_end || !self.tr_busy || sw_done;
                        (fire, fire && row_end, tu_end)
                    }
                    Tq::Inverse => (!(last_row && self.ob_full && !dr_end), false, tu_end),
                }
            }
        };
        TqComb { in_ready: self.s0.is_none() || s0_fire, s0_fire, tr_load, tu_end, sw_adv, sw_done, dr_adv, dr_end }
    }

    /// `in_ready` this cycle (it depends on the registers only).
    pub fn in_ready(&self) -> bool {
        self.comb().in_ready
    }

    /// The output FIFO's head this cycle (`out_valid`; `Some(last of its TU)`).
    pub fn out_head(&self) -> Option<bool> {
        self.fifo.front().copied()
    }

    /// One cycle: `input` is the beat offered (its TU's log2), `out_ready` the
    /// consumer's ready.
    pub fn step(&mut self, input: Option<u32>, out_ready: bool) -> TqStep {
        let c = self.comb();
        let out = if out_ready { self.fifo.pop_front() } else { None };
        if c.dr_adv {
            self.fifo.push_back(c.dr_end);
            self.dr_beat = if c.dr_end { 0 } else { self.dr_beat + 1 };
        }
        let s0_log2 = self.s0.map_or(0, |(l, _)| l);
        match self.block {
            Tq::Forward => {
                if c.sw_adv {
                    self.sw_g = if c.sw_done { 0 } else { self.sw_g + 1 };
                }
                if c.sw_done && self.tr_last {
                    self.ob_full = true;
                    self.ob_log2 = self.tr_log2;
                } else if c.dr_end {
                    self.ob_full = false;
                }
                if c.tr_load {
                    self.tr_busy = true;
                    self.tr_last = c.tu_end;
                    self.tr_log2 = s0_log2;
                } else if c.sw_done {
                    self.tr_busy = false;
                }
            }
            Tq::Inverse => {
                if c.s0_fire && c.tu_end {
                    self.ob_full = true;
                    self.ob_log2 = s0_log2;
                } else if c.dr_end {
                    self.ob_full = false;
                }
            }
        }
        if c.in_ready {
            self.s0 = input.map(|l| {
                let b = (l, self.in_beat);
                self.in_beat += 1;
                if self.in_beat == self.beats(l) {
                    self.in_beat = 0;
                }
                b
            });
        }
        TqStep { in_fire: c.in_ready && input.is_some(), out }
    }
}

/// Values per cycle of a CABAC engine at `bins_per_value` (golden's measured bins per
/// coded value at a QP) with `engines` engines on separate WPP rows or slices and
/// `bins_per_cycle` per engine (1 for both engines, less the stalls of
/// [`cabac_dec_substream`] and [`cabac_enc_run`]: a decoder's bit buffer, an encoder's
/// multi-byte write-outs).
pub fn cabac_values_per_cycle(bins_per_value: f64, engines: u32, bins_per_cycle: f64) -> f64 {
    if bins_per_value <= 0.0 {
        return f64::INFINITY;
    }
    engines as f64 * bins_per_cycle / bins_per_value
}

/// `dequant`: one coefficient per cycle, latency 2; busy cycles of `n` coefficients.
pub fn dequant_busy_cycles(n: u64) -> u64 {
    if n == 0 {
        0
    } else {
        n + 2
    }
}

/// `cabac_dec` on one substream, after its reset: `hw::cabac_dec`'s control transcribed
/// (the bit buffer refilled a byte per cycle while it holds at most 16 bits, zeros after
/// the last byte; a request served when 9 bits are buffered; the 2-entry output FIFO,
/// which never fills with the output always ready). `used[i]` is what request i takes
/// from the buffer: 9 for the initialization, a decision's renormalization shift, 1 for
/// a bypass bin, 0 or 1 for a terminating bin (differences of golden's
/// `CabacDecoder::bit_pos`); `bytes` is the substream's length. Requests and bytes are
/// offered every cycle. Busy cycles, up to the last response (an engine given no byte
/// never serves a request: 0).
pub fn cabac_dec_substream(used: &[u32], bytes: usize) -> u64 {
    if bytes == 0 {
        return 0;
    }
    let (mut nb, mut fed, mut eos, mut fifo, mut i) = (0u32, 0usize, false, 0u32, 0usize);
    let mut last = None;
    let mut c = 0u64;
    while i < used.len() || fifo > 0 {
        let fire = i < used.len() && nb >= 9;
        let pop = fifo > 0;
        if pop {
            last = Some(c);
        }
        let rem = nb - if fire { used[i] } else { 0 };
        let refill = nb <= 16 && (eos || fed < bytes);
        if refill && !eos {
            fed += 1;
            // registered: zeros from the next refill on
            eos = fed == bytes;
        }
        nb = rem + if refill { 8 } else { 0 };
        fifo = fifo + fire as u32 - pop as u32;
        i += fire as usize;
        c += 1;
    }
    last.map_or(0, |l| l + 1)
}

/// A request to `cabac_enc` as its timing sees it: a bin with the bytes its write-out
/// resolves, or the `finish` of a substream with the bytes of its flush.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CabacEncRequest {
    /// A decision, bypass or terminating bin; the bytes golden's `CabacEncoder` wrote
    /// out on it (`bytes_written` differences: a resolved byte and its run).
    Bin(u32),
    /// The flush: the bytes `finish` adds (the buffered bytes, the tail of low with the
    /// stop bit and alignment).
    Finish(u32),
}

/// `cabac_enc` on a request stream (all substreams back to back, no reset between):
/// `hw::cabac_enc`'s control transcribed. The emission queue sends a byte per cycle to
/// the output FIFO (which never fills with the output always ready); a request goes in
/// while the queue holds nothing but the resolved byte of a write-out (the first byte
/// of what a bin resolves), so a bin that resolves `k` > 1 bytes holds the engine `k`
/// cycles and a finish until its bytes are out. Busy cycles, up to the last byte.
pub fn cabac_enc_run(requests: &[CabacEncRequest]) -> u64 {
    // the queue: the resolved byte (first out) and the bytes behind it (run or tail)
    let (mut first, mut rest, mut fifo, mut i) = (false, 0u32, 0u32, 0usize);
    let mut last = None;
    let mut c = 0u64;
    while i < requests.len() || first || rest > 0 || fifo > 0 {
        let fire = i < requests.len() && rest == 0;
        let pop = fifo > 0;
        if pop {
            last = Some(c);
        }
        let push = first || rest > 0;
        if first {
            first = false;
        } else if rest > 0 {
            rest -= 1;
        }
        if fire {
            match requests[i] {
                CabacEncRequest::Bin(0) => {}
                CabacEncRequest::Bin(k) => {
                    first = true;
                    rest = k - 1;
                }
                // the flush's bytes end with its tail: nothing goes in before they are out
                CabacEncRequest::Finish(k) => rest = k,
            }
            i += 1;
        }
        fifo = fifo + push as u32 - pop as u32;
        c += 1;
    }
    last.map_or(0, |l| l + 1)
}

/// The [`CabacEncRequest`]s of a bin stream (kind 0 decision with the context state
/// {valMps, pStateIdx} before it, 1 bypass, 2 terminate, 3 finish), grouped as the
/// engine is fed (runs of bypass bins up to `golden::config::RES_ENC_BYPASS_BINS` per
/// request, `golden::cabac::engine_requests`) and encoded by golden's `CabacEncoder`,
/// request by request, to find where bytes come out.
pub fn cabac_enc_requests(bins: &[(u8, u8, u8)]) -> Vec<CabacEncRequest> {
    use golden::cabac::{BinSink, CabacEncoder, Ctx};
    let mut e = CabacEncoder::new();
    let mut at = 0;
    golden::cabac::engine_requests(bins.iter().map(|b| b.0), golden::config::RES_ENC_BYPASS_BINS as usize)
        .into_iter()
        .map(|n| {
            let group = &bins[at..at + n];
            at += n;
            let (kind, bin, state) = group[0];
            let before = e.bytes_written();
            match kind {
                0 => e.bin(&mut Ctx { state: state & 63, mps: state >> 6 }, bin as u32),
                1 => e.bypass_bits(group.iter().fold(0u32, |v, b| (v << 1) | b.1 as u32), n as u32),
                2 => e.terminate(bin as u32),
                _ => {
                    let n = std::mem::take(&mut e).finish().len() - before;
                    return CabacEncRequest::Finish(n as u32);
                }
            }
            CabacEncRequest::Bin((e.bytes_written() - before) as u32)
        })
        .collect()
}

/// What each `cabac_dec` request of a substream takes from the bit buffer (see
/// [`cabac_dec_substream`]): requests (kind 3 initialization, 0 decision with the
/// context state, 1 bypass, 2 terminate) decoded by golden's `CabacDecoder`.
pub fn cabac_dec_used(bytes: &[u8], requests: &[(u8, u8)]) -> Vec<u32> {
    use golden::cabac::Ctx;
    use golden::decoder::cabac::CabacDecoder;
    let mut d: Option<CabacDecoder> = None;
    requests
        .iter()
        .map(|&(kind, state)| {
            let before = d.as_ref().map_or(0, |d| d.bit_pos());
            match (kind, d.as_mut()) {
                (3, _) | (_, None) => {
                    d = Some(CabacDecoder::new(bytes, 0));
                    return 9;
                }
                (0, Some(d)) => {
                    d.decision(&mut Ctx { state: state & 63, mps: state >> 6 });
                }
                (1, Some(d)) => {
                    d.bypass();
                }
                (_, Some(d)) => {
                    d.terminate();
                }
            }
            (d.as_ref().unwrap().bit_pos() - before) as u32
        })
        .collect()
}

/// `intra_pred`'s projection cycles for `mode` at N = 2^`log2`: the side references
/// of a negative angle with (N * intraPredAngle) >> 5 < -1, written 4 per cycle.
pub fn intra_projection_cycles(log2: u32, mode: u8) -> u64 {
    if !(11..=17).contains(&mode) && !(19..=25).contains(&mode) {
        return 0;
    }
    let angle = golden::predict::INTRA_PRED_ANGLE[mode as usize - 2];
    let lo = ((1i32 << log2) * angle) >> 5;
    if lo < -1 {
        ((-lo - 1) as u64).div_ceil(4)
    } else {
        0
    }
}

/// `intra_pred`: cycles of one N x N job on a stream (references every cycle, output
/// always ready): N reference beats, a flush cycle, 16 for strong intra smoothing, the
/// projection, N^2/4 prediction beats (loading does not overlap the prediction).
pub fn intra_pred_job_cycles(log2: u32, mode: u8, strong: bool) -> u64 {
    let n = 1u64 << log2;
    n + 1 + if strong { 16 } else { 0 } + intra_projection_cycles(log2, mode) + n * n / 4
}

/// Entries of `sdh`'s read-out FIFO ([`golden::config::SDH_OUT_FIFO`], the RTL's
/// `hw::sdh::OUT_FIFO`).
pub const SDH_OUT_FIFO: u64 = golden::config::SDH_OUT_FIFO as u64;

/// `sdh`: cycles of one N x N TU (`levels` raster, as `fwd_tq` gives them) at `lanes`
/// levels per beat, input every cycle and output always ready, up to its first load
/// cycle of the next TU: the load (N^2/P), with hiding and a non-zero level the walk
/// over the groups (one cycle each, plus 16/P reads and 2 cycles per group with a
/// non-zero level), and the read-out: a read only while the output FIFO
/// ([`SDH_OUT_FIFO`] entries) and the read in flight leave room, a beat per cycle.
pub fn sdh_tu_cycles(levels: &[i32], log2: u32, lanes: u32, hide: bool) -> u64 {
    let n = 1usize << log2;
    let beats = (n * n) as u64 / lanes as u64;
    // load: a beat per cycle, then the walk
    let mut c = beats + sdh_walk_cycles(levels, log2, lanes, hide);
    // read-out: a read is issued while the FIFO (`hw::sdh::OUT_FIFO` entries) and the
    // read in flight leave room (memory latency one cycle, the FIFO popped every
    // cycle); the state ends when the last beat has left the FIFO
    let (mut issued, mut inf, mut cnt) = (0u64, false, 0u64);
    loop {
        c += 1;
        let issue = issued < beats && cnt + (inf as u64) < SDH_OUT_FIFO;
        if issued == beats && !inf && cnt == 0 {
            break;
        }
        let pop = cnt > 0;
        cnt = cnt + inf as u64 - pop as u64;
        inf = issue;
        issued += issue as u64;
    }
    c
}

/// `sdh`'s walk over the groups of a TU (see [`sdh_tu_cycles`]): none without hiding
/// or for a TU of zeros, else one cycle per group and 16/P reads and 2 cycles per group
/// with a non-zero level.
pub fn sdh_walk_cycles(levels: &[i32], log2: u32, lanes: u32, hide: bool) -> u64 {
    let n = 1usize << log2;
    if !hide || levels.iter().all(|&v| v == 0) {
        return 0;
    }
    let groups = n * n / 16;
    let nonzero = (0..groups)
        .filter(|g| {
            let (gx, gy) = (g % (n / 4), g / (n / 4));
            (0..16).any(|k| levels[(gy * 4 + k / 4) * n + gx * 4 + k % 4] != 0)
        })
        .count() as u64;
    groups as u64 + nonzero * (16 / lanes as u64 + 2)
}

/// `satd`: busy cycles of a stream of blocks (sizes as log2; input every cycle, output
/// always ready), `hw::satd`'s control transcribed: 4-sample beats into band banks (a
/// band: 8 rows of an NxN block, or a whole 4x4 block), a band that would start in a
/// bank whose job is not done stalls the input; each band is a job for the column unit
/// (one column of one tile per cycle: 8 per tile, 4 for a 4x4), one job may wait for
/// it; a block's SATD goes into a 2-entry output FIFO with its last job's last column.
pub fn satd_run(blocks: &[u32]) -> u64 {
    #[derive(Clone, Copy, Default)]
    struct Job {
        bank: usize,
        is4: bool,
        last: bool,
        tiles: u32,
    }
    let mut bi = 0usize; // block being input
    let mut bcnt = 0u64;
    let mut wbank = 0usize;
    let mut busy = [false; 2];
    let mut p: Option<Job> = None;
    let (mut p_tile, mut p_col) = (0u32, 0u32);
    let mut q: Option<Job> = None;
    let mut o_count = 0u32;
    let mut out = 0usize;
    let mut cycle = 0u64;
    loop {
        // ---- input ----
        let mut job_in = None;
        let mut band_end_bank = None;
        if let Some(&lg) = blocks.get(bi) {
            let lgb = lg - 2;
            let xb = bcnt & ((1 << lgb) - 1);
            let row = bcnt >> lgb;
            let is4 = lg == 2;
            let nbeats = 1u64 << (2 * lgb + 2);
            let last = bcnt + 1 == nbeats;
            let row_end = xb == (1 << lgb) - 1;
            let band_start = bcnt == 0 || (!is4 && row.is_multiple_of(8) && xb == 0);
            let band_end = if is4 { row % 4 == 3 } else { row % 8 == 7 && row_end };
            let fire = !(band_start && busy[wbank]);
            if fire && band_end {
                job_in = Some(Job { bank: wbank, is4, last, tiles: if is4 { 0 } else { (1 << (lg - 3)) - 1 } });
                band_end_bank = Some(wbank);
            }
            if fire {
                if last {
                    bcnt = 0;
                    bi += 1;
                } else {
                    bcnt += 1;
                }
            }
        }
        // ---- column unit ----
        let o_room = o_count != 2;
        let pop = o_count != 0;
        let mut push = false;
        let mut p_free = p.is_none();
        let mut cleared = None;
        if let Some(j) = p {
            let lastcol = if j.is4 { p_col == 3 } else { p_col == 7 };
            let p_end = lastcol && p_tile == j.tiles;
            let step = !(p_end && j.last && !o_room);
            push = p_end && j.last && o_room;
            if step {
                if lastcol {
                    p_col = 0;
                    p_tile += 1;
                } else {
                    p_col += 1;
                }
                if p_end {
                    cleared = Some(j.bank);
                    p_free = true;
                }
            }
        }
        // ---- registers ----
        if let Some(b) = band_end_bank {
            wbank ^= 1;
            busy[b] = true;
        }
        if let Some(b) = cleared {
            busy[b] = false;
        }
        if p_free {
            if let Some(w) = q {
                p = Some(w);
                q = job_in;
            } else {
                p = job_in;
            }
            p_tile = 0;
            p_col = 0;
        } else if job_in.is_some() {
            q = job_in;
        }
        o_count = o_count + push as u32 - pop as u32;
        if pop {
            out += 1;
            if out == blocks.len() {
                return cycle + 1;
            }
        }
        cycle += 1;
        if cycle > 1 << 40 {
            return cycle;
        }
    }
}

/// What `residual_coding()` of one coded transform block costs the parser, counted
/// from its levels with the same traversal as golden's writer
/// (`golden::residual::code_residual`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ResidualEvents {
    /// Context-coded bins: last position prefixes, coded_sub_block_flag, sig, gt1, gt2.
    pub decisions: u64,
    /// Bypass bins of the last position suffixes.
    pub last_suffix: u64,
    /// Sign bins (bypass).
    pub signs: u64,
    /// coeff_abs_level_remaining: prefix bins and suffix bins (bypass).
    pub rem_prefix: u64,
    pub rem_suffix: u64,
    /// Coefficients with a coeff_abs_level_remaining.
    pub remaining: u64,
    /// Non-zero coefficients.
    pub coefficients: u64,
    /// Sub-blocks whose coded_sub_block_flag is inferred (the last and the first).
    pub inferred_subblocks: u64,
    /// Sub-blocks with coded_sub_block_flag 0.
    pub skipped_subblocks: u64,
    /// Cycles of `hw::res_dec` for the block (op 1, from the command cycle to the end
    /// beat), output always ready and the bit buffer never short; see
    /// [`residual_events`].
    pub res_dec_cycles: u64,
}

impl ResidualEvents {
    pub fn bins(&self) -> u64 {
        self.decisions + self.last_suffix + self.signs + self.rem_prefix + self.rem_suffix
    }
    pub fn add(&mut self, o: &ResidualEvents) {
        self.decisions += o.decisions;
        self.last_suffix += o.last_suffix;
        self.signs += o.signs;
        self.rem_prefix += o.rem_prefix;
        self.rem_suffix += o.rem_suffix;
        self.remaining += o.remaining;
        self.coefficients += o.coefficients;
        self.inferred_subblocks += o.inferred_subblocks;
        self.skipped_subblocks += o.skipped_subblocks;
        self.res_dec_cycles += o.res_dec_cycles;
    }
}

/// Bypass bins `hw::res_dec` decodes per cycle ([`golden::config::RES_DEC_BYPASS_BINS`]).
pub const KB: u64 = golden::config::RES_DEC_BYPASS_BINS as u64;

/// [`ResidualEvents`] of a block of `1 << log2` squared levels (raster, at least one
/// non-zero), scan `scan_idx`, sign hiding as signalled (and not transquant bypass).
///
/// `res_dec_cycles` follows `hw::res_dec`'s state machine phase by phase: the command
/// cycle; one cycle per last-position prefix bin and per suffix bin; one to place the
/// last position; per sub-block from the last one down: one cycle for its
/// coded_sub_block_flag (decoded or inferred), then (if coded) one per scan position
/// visited by the significance phase (the inferred DC included), one per greater1
/// flag, one for greater2, the signs [`KB`] per cycle, and per coefficient either one
/// cycle (no remaining level) or its coeff_abs_level_remaining bins (prefix and
/// suffix) [`KB`] per cycle; one end cycle.
pub fn residual_events(levels: &[i32], log2: u32, scan_idx: u32, sign_hiding: bool) -> ResidualEvents {
    walk_residual(levels, log2, scan_idx, sign_hiding, None)
}

/// [`ResidualEvents`] summed over the coded blocks of a traced stream
/// (`golden::decoder::decode_traced(..).records`), sign hiding as `sign_hiding` says
/// (never on transquant-bypass blocks).
pub fn records_events(records: &[golden::decoder::TuRecord], sign_hiding: bool) -> ResidualEvents {
    let mut ev = ResidualEvents::default();
    for rec in records.iter().filter(|r| r.cbf) {
        let n = 1usize << rec.log2;
        let mut lv = vec![0i32; n * n];
        for &(pos, l) in &rec.levels {
            lv[pos as usize] = l;
        }
        let si = golden::residual::scan_idx_for(rec.log2 as u32, rec.c_idx as u32, rec.mode, false);
        ev.add(&residual_events(&lv, rec.log2 as u32, si, sign_hiding && !rec.bypass));
    }
    ev
}

/// One cycle of `res_dec` on a block, after its command cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// No output involved.
    Plain,
    /// The coefficient phase: the engine request waits for room in the output FIFO.
    Room,
    /// An output beat (a level, or the end beat last): waits for room.
    Emit,
}

/// The cycles of `res_dec` on a block after its command cycle, in order (the count
/// is `residual_events(..).res_dec_cycles - 1`), for the core model.
pub fn residual_steps(levels: &[i32], log2: u32, scan_idx: u32, sign_hiding: bool) -> Vec<Step> {
    let mut v = Vec::new();
    walk_residual(levels, log2, scan_idx, sign_hiding, Some(&mut v));
    v
}

/// Cycle counter of [`walk_residual`], optionally recording the steps.
struct Cycles<'a> {
    n: u64,
    steps: Option<&'a mut Vec<Step>>,
}

impl Cycles<'_> {
    fn plain(&mut self, k: u64) {
        self.n += k;
        if let Some(s) = self.steps.as_mut() {
            s.extend(std::iter::repeat_n(Step::Plain, k as usize));
        }
    }
    /// A coefficient of `k` cycles: its level goes out in the last.
    fn coef(&mut self, k: u64) {
        self.n += k;
        if let Some(s) = self.steps.as_mut() {
            s.extend(std::iter::repeat_n(Step::Room, k as usize - 1));
            s.push(Step::Emit);
        }
    }
}

fn walk_residual(levels: &[i32], log2: u32, scan_idx: u32, sign_hiding: bool, steps: Option<&mut Vec<Step>>) -> ResidualEvents {
    use golden::residual::{scan_table, GROUP_IDX};
    let n = 1usize << log2;
    let scan = scan_table(log2, scan_idx);
    let lvs: Vec<i32> = scan.iter().map(|&r| levels[r as usize]).collect();
    let mut e = ResidualEvents::default();
    let Some(last_pos) = (0..n * n).rev().find(|&p| lvs[p] != 0) else { return e };
    let raster = scan[last_pos] as usize;
    let (mut lx, mut ly) = (raster % n, raster / n);
    if scan_idx == 2 {
        std::mem::swap(&mut lx, &mut ly);
    }
    let cmax = (log2 << 1) - 1;
    let mut cyc = Cycles { n: 1, steps }; // the command cycle (PH_IDLE), not a step
    for c in [lx, ly] {
        let g = GROUP_IDX[c] as u32;
        e.decisions += (g + (g < cmax) as u32) as u64;
        cyc.plain((g + (g < cmax) as u32) as u64);
        if g > 3 {
            e.last_suffix += ((g >> 1) - 1) as u64;
            cyc.plain(((g >> 1) - 1) as u64);
        }
    }
    cyc.plain(1); // PH_LAST
    let last_sb = last_pos >> 4;
    for i in (0..=last_sb).rev() {
        let sub = &lvs[i * 16..i * 16 + 16];
        let any = sub.iter().any(|&v| v != 0);
        let mut infer_dc = false;
        cyc.plain(1); // PH_CSBF
        if i < last_sb && i > 0 {
            e.decisions += 1;
            if !any {
                e.skipped_subblocks += 1;
                continue;
            }
            infer_dc = true;
        } else {
            e.inferred_subblocks += 1;
        }
        let start = if i == last_sb { (last_pos & 15) as i32 - 1 } else { 15 };
        cyc.plain((start + 1) as u64); // PH_SIG: every position visited, an inferred DC too
        let mut sig_pos = Vec::with_capacity(16);
        if i == last_sb {
            sig_pos.push(last_pos & 15);
        }
        for k in (0..=start).rev() {
            let sig = sub[k as usize] != 0;
            if k == 0 && infer_dc {
                sig_pos.push(0);
                continue;
            }
            e.decisions += 1;
            if sig {
                sig_pos.push(k as usize);
                infer_dc = false;
            }
        }
        let nsig = sig_pos.len();
        if nsig == 0 {
            continue;
        }
        e.coefficients += nsig as u64;
        let abs: Vec<u32> = sig_pos.iter().map(|&k| sub[k].unsigned_abs()).collect();
        let mut first_g2 = None;
        for (j, &a) in abs.iter().enumerate().take(8) {
            e.decisions += 1;
            cyc.plain(1);
            if a > 1 && first_g2.is_none() {
                first_g2 = Some(j);
            }
        }
        if first_g2.is_some() {
            e.decisions += 1;
            cyc.plain(1);
        }
        let hidden = sign_hiding && sig_pos[0] as i32 - sig_pos[nsig - 1] as i32 > 3;
        let nsign = (nsig - hidden as usize) as u64;
        e.signs += nsign;
        cyc.plain(nsign.div_ceil(KB));
        let mut rice = 0u32;
        let mut first_coeff2 = 1u32;
        for (j, &a) in abs.iter().enumerate() {
            let base = if j < 8 { 2 + first_coeff2 } else { 1 };
            if a >= base {
                let v = a - base;
                e.remaining += 1;
                let (prefix, suffix) = golden::residual::remaining_lengths(v, rice);
                e.rem_prefix += prefix as u64;
                e.rem_suffix += suffix as u64;
                // the codeword's bins (prefix and suffix) KB per cycle
                cyc.coef((prefix as u64 + suffix as u64).div_ceil(KB));
                rice = golden::residual::next_rice(rice, a as u64);
            } else {
                cyc.coef(1); // PH_COEF: the level is out without a bin
            }
            if a >= 2 {
                first_coeff2 = 0;
            }
        }
    }
    // PH_END: the end beat
    cyc.n += 1;
    if let Some(s) = cyc.steps.as_mut() {
        s.push(Step::Emit);
    }
    e.res_dec_cycles = cyc.n;
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cabac_enc_requests_account_for_every_byte() {
        use golden::cabac::{BinSink, CabacEncoder, Ctx};
        let mut rng = golden::tensor::synth::SplitMix64::new(5);
        let mut bins = Vec::new();
        let mut total = 0usize;
        for _ in 0..20 {
            let mut e = CabacEncoder::new();
            let mut ctx = Ctx { state: 10, mps: 0 };
            for _ in 0..(rng.next_u64() % 2000) {
                let r = rng.next_u64();
                let (kind, bin) = ((r % 3) as u8, ((r >> 8) % 5 == 0) as u8);
                let state = (ctx.mps << 6) | ctx.state;
                match kind {
                    0 => e.bin(&mut ctx, bin as u32),
                    1 => e.bypass(bin as u32),
                    _ => e.terminate(0),
                }
                bins.push((kind, if kind == 2 { 0 } else { bin }, state));
            }
            e.terminate(1);
            bins.push((2, 1, 0));
            bins.push((3, 0, 0));
            total += e.finish().len();
        }
        let req = cabac_enc_requests(&bins);
        let bytes: u32 = req.iter().map(|r| match r {
            CabacEncRequest::Bin(k) | CabacEncRequest::Finish(k) => *k,
        }).sum();
        assert_eq!(bytes as usize, total);
        assert_eq!(req.iter().filter(|r| matches!(r, CabacEncRequest::Finish(_))).count(), 20);
        // one cycle per request with no bytes and no stall
        // no byte out, no busy cycle (the convention counts up to the last output)
        assert_eq!(cabac_enc_run(&[CabacEncRequest::Bin(0); 10]), 0);
        assert!(cabac_enc_run(&req) as usize >= req.len());
    }

    #[test]
    fn uniform_streams_settle_at_the_closed_form_period() {
        for block in [Tq::Forward, Tq::Inverse] {
            for lanes in [1, 2, 4] {
                for l in 2..=5 {
                    let a = tq_run(block, lanes, &[l; 40]).busy_cycles;
                    let b = tq_run(block, lanes, &[l; 80]).busy_cycles;
                    assert_eq!(
                        b - a,
                        40 * tq_period(l, lanes),
                        "{block:?} P={lanes} log2={l}"
                    );
                }
            }
        }
    }

    #[test]
    fn four_by_four_at_four_lanes_is_one_tu_per_four_cycles() {
        assert_eq!(tq_period(2, 4), 4);
        assert!((tq_values_per_cycle(5, 4) - 1024.0 / 263.0).abs() < 1e-12);
    }
}

#[cfg(test)]
mod residual_tests {
    use super::*;
    use golden::cabac::{BinSink, Ctx};

    struct Count(u64, u64);
    impl BinSink for Count {
        fn bin(&mut self, _c: &mut Ctx, _b: u32) {
            self.0 += 1;
        }
        fn bypass(&mut self, _b: u32) {
            self.1 += 1;
        }
        fn terminate(&mut self, _b: u32) {}
    }

    /// The event counts add up to exactly the bins golden's writer emits, context-coded
    /// and bypass apart, on random blocks of every size and scan.
    #[test]
    fn events_count_the_writers_bins() {
        let mut rng = golden::tensor::synth::SplitMix64::new(5);
        for trial in 0..3000 {
            let log2 = 2 + (trial % 4) as u32;
            let scan_idx = if log2 <= 3 { (trial / 4 % 3) as u32 } else { 0 };
            let n = 1usize << (2 * log2);
            let density = rng.next_u64() % 100;
            let big = 1 + (rng.next_u64() % 200) as i64;
            let mut lv: Vec<i32> = (0..n)
                .map(|_| if rng.next_u64() % 100 < density { ((rng.next_u64() % (2 * big as u64 + 1)) as i64 - big) as i32 } else { 0 })
                .collect();
            if lv.iter().all(|&v| v == 0) {
                lv[(rng.next_u64() % n as u64) as usize] = 1;
            }
            let sdh = trial % 2 == 0;
            let mut ctx = golden::cabac::Contexts::new(30);
            let mut c = Count(0, 0);
            golden::residual::code_residual(&mut c, &mut ctx, &lv, log2, 0, scan_idx, sdh);
            let e = residual_events(&lv, log2, scan_idx, sdh);
            assert_eq!((e.decisions, e.last_suffix + e.signs + e.rem_prefix + e.rem_suffix), (c.0, c.1), "trial {trial}");
        }
    }
}
