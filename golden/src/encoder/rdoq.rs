//! Rate-distortion optimized quantization (after HM's xRateDistOptQuant).
//!
//! For every coefficient, in coding order (sub-blocks and positions in reverse scan),
//! the level is chosen among {0, L-1, L} (L = the rounded level) by
//! J = (c - l*step)^2 / 2^(2*transformShift) + lambda * R(l), where R is estimated
//! from the current CABAC context states: sig_coeff_flag, greater1/greater2 with the
//! running ctxSet/greater1Ctx, coeff_abs_level_remaining with the running Rice
//! parameter, and one bit per sign. Then whole coefficient groups are zeroed where
//! that is cheaper (coded_sub_block_flag rate included; a group left empty costs its
//! distortion only, no significance flags), the last significant position is chosen by
//! total cost (last_sig_coeff prefix/suffix rate included), and that coding (with
//! cbf_luma 1 and the groups' flags) is weighed against coding nothing (cbf_luma 0),
//! HM's uncoded-block cost. Sign hiding is applied afterwards by the caller.

use crate::cabac::{bin_cost, Contexts, ONE_BIT};
use crate::quantize::{qbits, QUANT_SCALE};
use crate::residual::{last_ctx_offset_shift, scan_order_cached, scan_table, GROUP_IDX};

fn cost_bits(c: u32) -> f64 {
    c as f64 / ONE_BIT as f64
}

/// Bits of coeff_abs_level_remaining(value) with Rice parameter `k`.
fn remaining_bits(value: u32, k: u32) -> f64 {
    let (prefix, suffix) = crate::residual::remaining_lengths(value, k);
    (prefix + suffix) as f64
}

/// Running level-coding state inside a coefficient group.
#[derive(Clone, Copy)]
struct LevelState {
    ctx_set: usize,
    c1: u32,
    n_coded: u32,
    first_g2_done: bool,
    first_coeff2: u32,
    rice: u32,
}

impl LevelState {
    /// Rate (bits, without sig flag) of coding `level` >= 1 in this state.
    fn rate(&self, ctx: &Contexts, level: u32) -> f64 {
        let mut r = 1.0; // sign
        if self.n_coded < 8 {
            let g1 = ctx.gt1[self.ctx_set * 4 + self.c1 as usize];
            r += cost_bits(bin_cost(&g1, (level > 1) as u32));
            if level > 1 && !self.first_g2_done {
                let g2 = ctx.gt2[self.ctx_set];
                r += cost_bits(bin_cost(&g2, (level > 2) as u32));
            }
        }
        let base = if self.n_coded < 8 { 2 + self.first_coeff2 } else { 1 };
        if level >= base {
            r += remaining_bits(level - base, self.rice);
        }
        r
    }

    fn update(&mut self, level: u32) {
        if level == 0 {
            return;
        }
        let base = if self.n_coded < 8 { 2 + self.first_coeff2 } else { 1 };
        if self.n_coded < 8 {
            if level > 1 {
                self.c1 = 0;
                self.first_g2_done = true;
            } else if self.c1 > 0 && self.c1 < 3 {
                self.c1 += 1;
            }
        }
        if level >= base && level > 3 * (1 << self.rice) {
            self.rice = (self.rice + 1).min(4);
        }
        if level >= 2 {
            self.first_coeff2 = 0;
        }
        self.n_coded += 1;
    }
}

fn last_coord_bits(tab: &[crate::cabac::Ctx; 18], v: usize, log2: u32) -> f64 {
    let (off, shift) = last_ctx_offset_shift(log2, 0);
    let cmax = (log2 << 1) - 1;
    let prefix = GROUP_IDX[v] as u32;
    let mut r = 0.0;
    for i in 0..prefix {
        r += cost_bits(bin_cost(&tab[off + (i >> shift) as usize], 1));
    }
    if prefix < cmax {
        r += cost_bits(bin_cost(&tab[off + (prefix >> shift) as usize], 0));
    }
    if prefix > 3 {
        r += ((prefix >> 1) - 1) as f64;
    }
    r
}

/// Per-thread work arrays of [`rdoq`] (sized for 32x32, reused: no zero-filling).
struct Scratch {
    lmax: Vec<u32>,
    level: Vec<u32>,
    cost_coded: Vec<f64>,
    cost_as_last: Vec<f64>,
    cost_zero: Vec<f64>,
    prefix: Vec<f64>,
    suffix_zero: Vec<f64>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch {
        lmax: vec![0; 1024],
        level: vec![0; 1024],
        cost_coded: vec![0.0; 1024],
        cost_as_last: vec![0.0; 1024],
        cost_zero: vec![0.0; 1024],
        prefix: vec![0.0; 1025],
        suffix_zero: vec![0.0; 1025],
    });
}

/// RDOQ of a luma TU. Writes levels and HM's deltaU (for sign hiding). `cbf_ctx` is
/// the cbf_luma context the TU's flag is coded with (index 1 at transform depth 0, else
/// 0): the TU is left all zero (cbf 0) where that costs less than its best coding.
#[allow(clippy::too_many_arguments)]
pub fn rdoq(coef: &[i32], log2: u32, qp: u8, scan_idx: u32, lambda: f64, ctx: &Contexts, cbf_ctx: usize, lv: &mut [i32], du: &mut [i32]) {
    SCRATCH.with(|s| rdoq_with(&mut s.borrow_mut(), coef, log2, qp, scan_idx, lambda, ctx, cbf_ctx, lv, du))
}

#[allow(clippy::too_many_arguments)]
fn rdoq_with(sc: &mut Scratch, coef: &[i32], log2: u32, qp: u8, scan_idx: u32, lambda: f64, ctx: &Contexts, cbf_ctx: usize, lv: &mut [i32], du: &mut [i32]) {
    let Scratch { lmax, level, cost_coded, cost_as_last, cost_zero, prefix, suffix_zero } = sc;
    let n = 1usize << log2;
    let nn = n * n;
    let scan = scan_table(log2, scan_idx);
    let qb = qbits(qp, log2);
    let qs = QUANT_SCALE[(qp % 6) as usize];
    let step = (1u64 << qb) as f64 / qs as f64;
    let ts = 7 - log2 as i32;
    let err_scale = 1.0 / (1u64 << (2 * ts)) as f64;
    let sbw = n / 4;
    let sb_scan = scan_order_cached(sbw, scan_idx);
    let sig_tab_all = crate::residual::sig_ctx_table(log2, 0, scan_idx);
    let inner = crate::residual::inner_raster(scan_idx);

    // rounded levels
    let mut last_cand: i32 = -1;
    for (p, &r) in scan.iter().enumerate() {
        let a = coef[r as usize].unsigned_abs() as u64 * qs as u64;
        lmax[p] = ((a + (1u64 << (qb - 1))) >> qb).min(32767) as u32;
        if lmax[p] > 0 {
            last_cand = p as i32;
        }
    }
    lv[..nn].iter_mut().for_each(|v| *v = 0);
    if last_cand < 0 {
        for (p, &r) in scan.iter().enumerate() {
            let a = coef[r as usize].unsigned_abs() as i64 * qs;
            du[r as usize] = (a >> (qb - 8)) as i32;
            let _ = p;
        }
        return;
    }
    let err = |p: usize, l: u32| -> f64 {
        let c = coef[scan[p] as usize].unsigned_abs() as f64;
        let d = c - l as f64 * step;
        d * d * err_scale
    };

    let mut csbf = [0u8; 64];
    let last_sb = last_cand as usize >> 4;
    let mut c1_prev = 1u32;
    let mut cg_cost_coded = [0.0f64; 64];
    let mut cg_cost_zero = [0.0f64; 64];
    let mut cg_csbf_cost = [(0.0f64, 0.0f64); 64];

    for i in (0..=last_sb).rev() {
        let (xs, ys) = (sb_scan[i].0 as usize, sb_scan[i].1 as usize);
        let right = if xs + 1 < sbw { csbf[ys * sbw + xs + 1] } else { 0 } as u32;
        let below = if ys + 1 < sbw { csbf[(ys + 1) * sbw + xs] } else { 0 } as u32;
        let prev = right | (below << 1);
        let sig_tab = &sig_tab_all[(prev * 2) as usize + (i == 0) as usize];
        let mut st = LevelState { ctx_set: if i == 0 { 0 } else { 2 }, c1: 1, n_coded: 0, first_g2_done: false, first_coeff2: 1, rice: 0 };
        if c1_prev == 0 {
            st.ctx_set += 1;
        }
        let mut any = false;
        let top = if i == last_sb { last_cand as usize & 15 } else { 15 };
        for k in (0..=top).rev() {
            let p = i * 16 + k;
            let sc = ctx.sig[sig_tab[inner[k] as usize] as usize];
            let s0 = cost_bits(bin_cost(&sc, 0));
            let e0 = err(p, 0);
            cost_zero[p] = e0;
            let m = lmax[p];
            // (cost, level, cost without the sig flag: the cost as the last position)
            let mut best = (e0 + lambda * s0, 0u32, 0.0);
            if m > 0 {
                let s1 = cost_bits(bin_cost(&sc, 1));
                for l in [m, m - 1] {
                    if l == 0 {
                        continue;
                    }
                    let (e, rl) = (err(p, l), st.rate(ctx, l));
                    let j = e + lambda * (rl + s1);
                    if j < best.0 {
                        best = (j, l, e + lambda * rl);
                    }
                }
            }
            // only a position with a level can be the last one (the choice below skips
            // the others)
            cost_as_last[p] = best.2;
            level[p] = best.1;
            cost_coded[p] = best.0;
            st.update(best.1);
            any |= best.1 > 0;
        }
        if any {
            c1_prev = st.c1;
        }
        csbf[ys * sbw + xs] = any as u8;
        let cc = &ctx.csbf[(right + below).min(1) as usize];
        cg_csbf_cost[i] = (cost_bits(bin_cost(cc, 0)), cost_bits(bin_cost(cc, 1)));
        cg_cost_coded[i] = (i * 16..i * 16 + 16).map(|p| cost_coded[p]).sum();
        cg_cost_zero[i] = (i * 16..i * 16 + 16).map(|p| cost_zero[p]).sum();
    }

    // zero whole coefficient groups (not the first and not the last one) when cheaper
    for i in 1..last_sb {
        if csbf[sb_scan[i].1 as usize * sbw + sb_scan[i].0 as usize] == 0 {
            // a group left empty codes no significance flags (its coded_sub_block_flag
            // 0 says so): its cost is its distortion (HM's RDOQ likewise drops the
            // group's significance cost)
            cost_coded[i * 16..i * 16 + 16].copy_from_slice(&cost_zero[i * 16..i * 16 + 16]);
            continue;
        }
        let (c0, c1) = cg_csbf_cost[i];
        let coded = cg_cost_coded[i] + lambda * c1;
        let zero = cg_cost_zero[i] + lambda * c0;
        if zero < coded {
            for p in i * 16..i * 16 + 16 {
                level[p] = 0;
                cost_coded[p] = cost_zero[p];
            }
        }
    }

    // choose the last position: total(p) = sum_{q<p} cost_coded[q] + cost_as_last[p]
    //   + lambda*last_bits(p) + sum_{q>p} cost_zero[q]
    let lc = last_cand as usize;
    prefix[0] = 0.0;
    for p in 0..=lc {
        prefix[p + 1] = prefix[p] + cost_coded[p];
    }
    suffix_zero[lc + 1] = 0.0;
    for p in (0..=lc).rev() {
        suffix_zero[p] = suffix_zero[p + 1] + cost_zero[p];
    }
    // last position coordinate costs (x and y are coded independently)
    let mut cx = [0.0f64; 32];
    let mut cy = [0.0f64; 32];
    for v in 0..n {
        cx[v] = last_coord_bits(&ctx.last_x, v, log2);
        cy[v] = last_coord_bits(&ctx.last_y, v, log2);
    }
    let mut best_last: i32 = -1;
    let mut best_cost = f64::MAX;
    for p in (0..=last_cand as usize).rev() {
        if level[p] == 0 {
            continue;
        }
        let r = scan[p] as usize;
        let (mut x, mut y) = (r % n, r / n);
        if scan_idx == 2 {
            std::mem::swap(&mut x, &mut y);
        }
        let j = prefix[p] + cost_as_last[p] + lambda * (cx[x] + cy[y]) + suffix_zero[p + 1];
        if j < best_cost {
            best_cost = j;
            best_last = p as i32;
        }
    }
    // coding nothing (cbf 0) against the best coding (cbf 1, and the coded_sub_block
    // flags of the groups between the first and the last), as HM's RDOQ does
    let cbf = &ctx.cbf_luma[cbf_ctx];
    let last_sb_kept = best_last.max(0) as usize >> 4;
    let csbf_bits: f64 = (1..last_sb_kept)
        .map(|i| {
            let coded = (i * 16..i * 16 + 16).any(|p| level[p] > 0);
            if coded { cg_csbf_cost[i].1 } else { cg_csbf_cost[i].0 }
        })
        .sum();
    let coded = best_cost + lambda * (cost_bits(bin_cost(cbf, 1)) + csbf_bits);
    let uncoded = suffix_zero[0] + lambda * cost_bits(bin_cost(cbf, 0));
    if uncoded <= coded {
        best_last = -1;
    }
    for p in 0..nn {
        let r = scan[p] as usize;
        let l = if (p as i32) <= best_last { level[p] } else { 0 };
        let a = coef[r].unsigned_abs() as i64 * qs;
        du[r] = ((a - ((l as i64) << qb)) >> (qb - 8)) as i32;
        lv[r] = if coef[r] < 0 { -(l as i32) } else { l as i32 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quantize::{qbits, QUANT_SCALE};

    /// Rounded levels (the candidates' upper end) of `coef` at `qp`.
    fn rounded(coef: &[i32], log2: u32, qp: u8) -> Vec<i32> {
        let (qb, qs) = (qbits(qp, log2), QUANT_SCALE[(qp % 6) as usize]);
        coef.iter().map(|&c| (((c.unsigned_abs() as i64 * qs + (1 << (qb - 1))) >> qb) as i32) * c.signum()).collect()
    }

    fn run(coef: &[i32], log2: u32, qp: u8, lambda: f64) -> Vec<i32> {
        let nn = coef.len();
        let (mut lv, mut du) = (vec![0; nn], vec![0; nn]);
        rdoq(coef, log2, qp, 0, lambda, &Contexts::new(qp as i32), 1, &mut lv, &mut du);
        lv
    }

    /// With lambda 0 only distortion counts: every level is the rounded one.
    #[test]
    fn zero_lambda_is_rounding() {
        let mut rng = crate::tensor::synth::SplitMix64::new(3);
        for log2 in 2..=5u32 {
            let nn = 1usize << (2 * log2);
            for qp in [12u8, 27, 37] {
                let coef: Vec<i32> = (0..nn).map(|_| (rng.next_u64() % 4001) as i32 - 2000).collect();
                assert_eq!(run(&coef, log2, qp, 0.0), rounded(&coef, log2, qp), "log2 {log2} QP {qp}");
            }
        }
    }

    /// A TU whose only level is a lone 1 at (7, 7) of an 8x8: it is coded where its
    /// bits (cbf, last position, the significance flags of the first and last groups,
    /// the empty groups' flags, the level: counted by golden's bit counter) cost less
    /// than the distortion it saves, and the TU is left all zero (cbf 0) where they
    /// cost more. The level alone (sign, greater1, its significance) is worth coding
    /// either way: only the whole-TU comparison (HM's uncoded-block cost) drops it.
    #[test]
    fn a_lone_level_is_dropped_when_coding_nothing_is_cheaper() {
        use crate::cabac::{BinSink, BitCounter};
        let (log2, qp) = (3u32, 32u8);
        let mut coef = vec![0i32; 64];
        // about 0.6 of a step: rounds to 1
        let step = (1u64 << qbits(qp, log2)) as f64 / QUANT_SCALE[(qp % 6) as usize] as f64;
        coef[63] = (0.6 * step) as i32;
        let coded = run(&coef, log2, qp, 0.0);
        assert_eq!(coded.iter().filter(|&&v| v != 0).count(), 1);
        // its bits: cbf 1 and residual_coding() against cbf 0
        let mut ctx = Contexts::new(qp as i32);
        let mut bc = BitCounter::default();
        bc.bin(&mut ctx.cbf_luma[1], 1);
        crate::residual::code_residual(&mut bc, &mut ctx, &coded, log2, 0, 0, true);
        let mut bz = BitCounter::default();
        bz.bin(&mut Contexts::new(qp as i32).cbf_luma[1], 0);
        let bits = bc.bits() - bz.bits();
        // the distortion it saves, in RDOQ's units (the residual's squared error)
        let ts = 7 - log2 as i32;
        let saved = ((coef[63] as f64).powi(2) - (coef[63] as f64 - step).powi(2)) / (1u64 << (2 * ts)) as f64;
        assert!(bits > 10.0, "{bits} bits");
        assert_eq!(run(&coef, log2, qp, 0.8 * saved / bits), coded, "dropped although its {bits:.1} bits cost less than it saves");
        assert!(run(&coef, log2, qp, 1.25 * saved / bits).iter().all(|&v| v == 0), "kept although its {bits:.1} bits cost more than it saves");
    }
}
