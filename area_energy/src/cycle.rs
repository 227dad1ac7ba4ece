//! Cycle model: latency and throughput of every block as functions of the config
//! (`rtl.samples_per_cycle` P, `bitstream.max_tu_size`, the TU-size mix, CABAC bins
//! per value measured by golden/), checked against Verilator cycle counts in
//! `sim/tests/cycle_model.rs`.
//!
//! Two levels:
//! - closed forms for steady streams ([`tq_period`], [`tq_values_per_cycle`],
//!   [`cabac_values_per_cycle`]) used by the sizing model;
//! - a control-level model of the transform blocks ([`tq_run`]): the handshake and
//!   occupancy registers of `hw::fwd_tq` / `hw::inv_tq` (input register, row position,
//!   row register and column sweep, output buffer and drain, 2-entry output FIFO)
//!   stepped cycle by cycle without the datapath, so that any TU-size mix (real tensors
//!   split into TUs) gets its cycle count. It is a transcription of the RTL's control
//!   equations (see the block docs); Verilator is the check, not this.
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
    let p = lanes as u64;
    let beats_of = |l: u32| (1u64 << (2 * l)) / p;
    let total_out: u64 = tus.iter().map(|&l| beats_of(l)).sum();
    let mut t = TqTiming::default();
    // input register: index of the beat held (TU index, beat in TU)
    let mut next_tu = 0usize; // next TU to present
    let mut next_beat = 0u64; // next beat of it
    let mut s0: Option<(usize, u64)> = None;
    // row stage (fwd): row register busy, its TU, last row of a TU, sweep counter
    let mut tr_busy = false;
    let mut tr_last = false;
    let mut tr_log2 = 0u32;
    let mut sw_g = 0u64;
    // output buffer (fwd: ob, inv: G buffer) and drain position
    let mut ob_full = false;
    let mut ob_log2 = 0u32;
    let mut dr_beat = 0u64;
    let mut o_count = 0u32;
    let mut cycle = 0u64;
    while t.beats_out < total_out {
        // ---- combinational view of this cycle (registers as they are) ----
        let o_room = o_count != 2;
        let o_pop = o_count != 0;
        let dr_adv = ob_full && o_room;
        let dr_end = dr_adv && dr_beat + 1 == beats_of(ob_log2);
        // forward sweep: advances unless the last row waits for the output buffer
        let sw_adv_now = block == Tq::Forward && tr_busy && !(tr_last && ob_full && !dr_end);
        let sw_done_now = sw_adv_now && sw_g + 1 == ((1u64 << tr_log2) / p).max(1);
        let (s0_fire, tr_load, tu_end, s0_log2) = match s0 {
            None => (false, false, false, 0),
            Some((tu, beat)) => {
                let l = tus[tu];
                let n = 1u64 << l;
                let per_row = (n / p).max(1);
                let row_end = beat % per_row == per_row - 1;
                let last_row = beat / per_row == n - 1;
                let tu_end = row_end && last_row;
                match block {
                    Tq::Forward => {
                        let fire = !row_end || !tr_busy || sw_done_now;
                        (fire, fire && row_end, tu_end, l)
                    }
                    Tq::Inverse => (!(last_row && ob_full && !dr_end), false, tu_end, l),
                }
            }
        };
        let in_ready = s0.is_none() || s0_fire;
        if o_pop {
            t.beats_out += 1;
            if t.beats_out == 1 {
                t.first_output = cycle;
            }
            if t.beats_out == total_out {
                t.busy_cycles = cycle + 1;
                break;
            }
        }
        // ---- registers ----
        o_count = o_count + dr_adv as u32 - o_pop as u32;
        if dr_adv {
            dr_beat = if dr_end { 0 } else { dr_beat + 1 };
        }
        match block {
            Tq::Forward => {
                if sw_adv_now {
                    sw_g = if sw_done_now { 0 } else { sw_g + 1 };
                }
                if sw_done_now && tr_last {
                    ob_full = true;
                    ob_log2 = tr_log2;
                } else if dr_end {
                    ob_full = false;
                }
                if tr_load {
                    tr_busy = true;
                    tr_last = tu_end;
                    tr_log2 = s0_log2;
                } else if sw_done_now {
                    tr_busy = false;
                }
            }
            Tq::Inverse => {
                if s0_fire && tu_end {
                    ob_full = true;
                    ob_log2 = s0_log2;
                } else if dr_end {
                    ob_full = false;
                }
            }
        }
        if in_ready {
            s0 = if next_tu < tus.len() {
                t.beats_in += 1;
                let b = (next_tu, next_beat);
                next_beat += 1;
                if next_beat == beats_of(tus[next_tu]) {
                    next_tu += 1;
                    next_beat = 0;
                }
                Some(b)
            } else {
                None
            };
        }
        cycle += 1;
    }
    t
}

/// Values per cycle of a CABAC engine at `bins_per_value` (golden's measured bins per
/// coded value at a QP) with `engines` engines on separate WPP rows or slices and
/// `bins_per_cycle` per engine (1 for both engines; `cabac_enc` loses a cycle per byte
/// beyond the first of a carry write-out).
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

#[cfg(test)]
mod tests {
    use super::*;

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
