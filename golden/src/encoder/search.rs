//! Encoder decision strategies.
//!
//! * [`hw_ctu`]: the hardware strategy, the exact rule the RTL encoder implements:
//!   fixed CU size (split further only where the picture edge forces it), one TU per
//!   CU, intra mode = arg min over the configured mode list of the Hadamard SATD of
//!   the prediction error (first in the list wins ties), deadzone quantization with
//!   the configured rounding offset, sign hiding as signalled.
//! * [`rd_ctu`]: the rate-distortion strategy: CU quadtree, 2Nx2N/NxN, TU quadtree and
//!   intra mode chosen by J = SSE + lambda * bits, with bits counted exactly by the
//!   CABAC bit counter on the current context states; SATD pre-selection of modes;
//!   with `bitstream.transform_skip`, each 4x4 luma TU also tries transform skip and
//!   keeps it where J is lower.

use super::frame::FrameState;
use super::syntax::{code_cu_header, code_tu_leaf, mode_code, split_cu_ctx, tu_split_coded, ModeCode};
use crate::cabac::{bin_cost, BinSink, BitCounter, Contexts, ONE_BIT};
use crate::quantize::{dequantize, quantize, sign_hide};
use crate::residual::{scan_idx_for, scan_table};
use crate::transform::{forward, inverse};

/// How a TU's coefficients are quantized.
#[derive(Clone, Copy, Debug)]
pub enum Quant {
    /// Deadzone rounding with offset in 1/512 step.
    Deadzone(u32),
    /// Rate-distortion optimized quantization with this lambda.
    Rdoq(f64),
}

/// Hadamard SATD of a residual block (8x8 tiles, or 4x4 for a 4x4 block), with HM's
/// normalization ((sum+2)>>2 per 8x8, (sum+1)>>1 per 4x4).
pub fn satd(diff: &[i32], n: usize) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is present (checked above).
        return unsafe { satd_avx2(diff, n) };
    }
    satd_generic(diff, n)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn satd_avx2(diff: &[i32], n: usize) -> u64 {
    satd_generic(diff, n)
}

#[inline(always)]
fn satd_generic(diff: &[i32], n: usize) -> u64 {
    if n == 4 {
        return (satd_n::<4>(diff, 4, 0) + 1) >> 1;
    }
    let mut total = 0;
    for by in (0..n).step_by(8) {
        for bx in (0..n).step_by(8) {
            total += (satd_n::<8>(diff, n, by * n + bx) + 2) >> 2;
        }
    }
    total
}

/// Sum of absolute 2-D Hadamard coefficients of an NxN tile (rows, then columns).
#[inline(always)]
fn satd_n<const N: usize>(diff: &[i32], stride: usize, off: usize) -> u64 {
    let mut m = [[0i32; N]; N];
    for y in 0..N {
        m[y].copy_from_slice(&diff[off + y * stride..off + y * stride + N]);
    }
    // horizontal butterflies on each row, done as whole-row vector operations on
    // the transposed layout: first transform columns (vectorizes across x) ...
    let mut len = 1;
    while len < N {
        for i in (0..N).step_by(2 * len) {
            for j in i..i + len {
                for x in 0..N {
                    let (a, b) = (m[j][x], m[j + len][x]);
                    m[j][x] = a + b;
                    m[j + len][x] = a - b;
                }
            }
        }
        len *= 2;
    }
    // ... then rows (the 2-D Hadamard is separable; order does not matter)
    let mut total = 0u64;
    for row in m.iter_mut() {
        let mut len = 1;
        while len < N {
            for i in (0..N).step_by(2 * len) {
                for j in i..i + len {
                    let (a, b) = (row[j], row[j + len]);
                    row[j] = a + b;
                    row[j + len] = a - b;
                }
            }
            len *= 2;
        }
        total += row.iter().map(|v| v.unsigned_abs() as u64).sum::<u64>();
    }
    total
}

/// Work arrays of [`code_tu`] (reused per thread instead of zero-filled per call).
struct TuScratch {
    pred: [i32; 1024],
    res: [i32; 1024],
    coef: [i32; 1024],
    lv: [i32; 1024],
    du: [i32; 1024],
    rec: [i32; 1024],
    d: [i32; 1024],
}

thread_local! {
    static TU_SCRATCH: std::cell::RefCell<Box<TuScratch>> = std::cell::RefCell::new(Box::new(TuScratch {
        pred: [0; 1024], res: [0; 1024], coef: [0; 1024], lv: [0; 1024], du: [0; 1024], rec: [0; 1024], d: [0; 1024],
    }));
}

/// Predict, transform, quantize and reconstruct one luma TU with `mode`, update the
/// maps and the level plane. Returns the SSE of the reconstruction.
/// `depth` is the TU's transform depth (its cbf_luma context, for RDOQ's choice to
/// code nothing).
#[allow(clippy::too_many_arguments)]
pub fn code_tu(st: &mut FrameState, ctx: &Contexts, x0: usize, y0: usize, log2: u32, depth: u32, mode: u8, q: Quant) -> u64 {
    TU_SCRATCH.with(|s| code_tu_with(&mut s.borrow_mut(), st, ctx, x0, y0, log2, depth, mode, q, None))
}

/// [`code_tu`] with the prediction already computed (row-major n x n).
#[allow(clippy::too_many_arguments)]
fn code_tu_predicted(st: &mut FrameState, x0: usize, y0: usize, log2: u32, mode: u8, q: Quant, pred: &[i32]) -> u64 {
    let dummy = Contexts::new(st.qp as i32);
    TU_SCRATCH.with(|s| code_tu_with(&mut s.borrow_mut(), st, &dummy, x0, y0, log2, 0, mode, q, Some(pred)))
}

#[allow(clippy::too_many_arguments)]
fn code_tu_with(sc: &mut TuScratch, st: &mut FrameState, ctx: &Contexts, x0: usize, y0: usize, log2: u32, depth: u32, mode: u8, q: Quant, given: Option<&[i32]>) -> u64 {
    let cbf_ctx = if depth == 0 { 1 } else { 0 };
    let TuScratch { pred, res, coef, lv, du, rec, d } = sc;
    let n = 1usize << log2;
    match given {
        Some(p) => pred[..n * n].copy_from_slice(&p[..n * n]),
        None => {
            let r = st.refs(x0, y0, n);
            st.predict(&r, n, mode, &mut pred[..]);
        }
    }
    for y in 0..n {
        for x in 0..n {
            res[y * n + x] = st.orig[(y0 + y) * st.w + x0 + x] as i32 - pred[y * n + x];
        }
    }
    let scan_idx = scan_idx_for(log2, 0, mode, false);
    let sdh = st.p.bitstream.sign_data_hiding;
    if st.lossless {
        // cu_transquant_bypass: the residual itself is coded; reconstruction = original
        lv[..n * n].copy_from_slice(&res[..n * n]);
        for y in 0..n {
            let row = (y0 + y) * st.w + x0;
            st.recon[row..row + n].copy_from_slice(&st.orig[row..row + n]);
        }
        record_tu(st, x0, y0, log2, mode, &lv[..n * n]);
        return 0;
    }
    let cbf = transform_quantize(st.qp, log2, scan_idx, q, sdh, false, ctx, cbf_ctx, &res[..n * n], coef, lv, du, d, rec);
    let mut ts = false;
    if n == 4 && st.p.bitstream.transform_skip {
        if let Quant::Rdoq(lambda) = q {
            // transform skip: the same quantizer on the residual scaled to the 4x4
            // transform's range; kept where J = SSE + lambda * rate is lower
            let [mut alv, mut adu, mut acoef, mut ad, mut arec] = [[0i32; 16]; 5];
            let acbf = transform_quantize(st.qp, log2, scan_idx, q, sdh, true, ctx, cbf_ctx, &res[..16], &mut acoef, &mut alv, &mut adu, &mut ad, &mut arec);
            let j = |cbf: bool, lv: &[i32], rec: &[i32], ts: bool| {
                let mut c = ctx.clone();
                let mut bc = BitCounter::default();
                bc.bin(&mut c.cbf_luma[0], cbf as u32);
                if cbf {
                    bc.bin(&mut c.transform_skip[0], ts as u32);
                    crate::residual::code_residual(&mut bc, &mut c, lv, 2, 0, scan_idx, sdh);
                }
                let sse: u64 = (0..16).map(|i| {
                    let e = (pred[i] + if cbf { rec[i] } else { 0 }).clamp(0, 255) - (pred[i] + res[i]);
                    (e * e) as u64
                }).sum();
                sse as f64 + lambda * bits(&bc)
            };
            if acbf && j(acbf, &alv[..], &arec[..], true) < j(cbf, &lv[..16], &rec[..16], false) {
                lv[..16].copy_from_slice(&alv[..]);
                rec[..16].copy_from_slice(&arec[..]);
                ts = true;
            }
        }
    }
    let cbf = lv[..n * n].iter().any(|&v| v != 0);
    let mut sse = 0u64;
    for y in 0..n {
        for x in 0..n {
            let v = (pred[y * n + x] + if cbf { rec[y * n + x] } else { 0 }).clamp(0, 255);
            let o = st.orig[(y0 + y) * st.w + x0 + x] as i32;
            sse += ((v - o) * (v - o)) as u64;
            st.recon[(y0 + y) * st.w + x0 + x] = v as u8;
        }
    }
    record_tu(st, x0, y0, log2, mode, &lv[..n * n]);
    if ts {
        st.set_units(x0, y0, 4, |s, u| s.ts[u] = true);
    }
    sse
}

/// Transform (or, with `ts`, the 4x4 transform skip scaling r << 5), quantize, sign
/// hiding, dequantize and inverse one TU residual. Leaves the levels in `lv` and the
/// reconstructed residual in `rec`; returns whether any level is non-zero.
#[allow(clippy::too_many_arguments)]
fn transform_quantize(qp: u8, log2: u32, scan_idx: u32, q: Quant, sdh: bool, ts: bool, ctx: &Contexts, cbf_ctx: usize, res: &[i32], coef: &mut [i32], lv: &mut [i32], du: &mut [i32], d: &mut [i32], rec: &mut [i32]) -> bool {
    let n = 1usize << log2;
    let nn = n * n;
    if ts {
        // 8.6.4.2 with extended precision off: r = d << 7 then >> 12 in the decoder,
        // i.e. a gain of 2^-5 that the encoder undoes (HM's xTransformSkip)
        for i in 0..nn {
            coef[i] = res[i] << 5;
        }
    } else {
        forward(&res[..nn], n, n == 4, &mut coef[..nn]);
    }
    match q {
        Quant::Deadzone(off) => {
            quantize(&coef[..nn], log2, qp, off, &mut lv[..nn], &mut du[..nn]);
        }
        Quant::Rdoq(lambda) => {
            super::rdoq::rdoq(&coef[..nn], log2, qp, scan_idx, lambda, ctx, cbf_ctx, &mut lv[..nn], &mut du[..nn]);
        }
    }
    if sdh {
        sign_hide(&mut lv[..nn], &coef[..nn], &du[..nn], scan_table(log2, scan_idx));
    }
    let cbf = lv[..nn].iter().any(|&v| v != 0);
    if cbf {
        dequantize(&lv[..nn], log2, qp, &mut d[..nn]);
        if ts {
            for i in 0..nn {
                rec[i] = ((d[i] << 7) + 2048) >> 12;
            }
        } else {
            inverse(&d[..nn], n, n == 4, &mut rec[..nn]);
        }
    }
    cbf
}

/// Store a reconstructed TU's levels and mark its units (decoded, mode, size, cbf).
fn record_tu(st: &mut FrameState, x0: usize, y0: usize, log2: u32, mode: u8, lv: &[i32]) {
    let n = 1usize << log2;
    let cbf = lv.iter().any(|&v| v != 0);
    st.store_levels(x0, y0, n, lv);
    st.set_units(x0, y0, n, |s, u| {
        s.decoded[u] = true;
        s.mode[u] = mode;
        s.tu_log2[u] = log2 as u8;
        s.cbf[u] = cbf;
        s.ts[u] = false;
    });
}

fn set_cu(st: &mut FrameState, x0: usize, y0: usize, log2: u32, nxn: bool) {
    st.set_units(x0, y0, 1 << log2, |s, u| {
        s.cu_log2[u] = log2 as u8;
        s.nxn[u] = nxn;
    });
}

/// SATD of predicting the NxN block at (x0, y0) with `mode`.
fn mode_satd(st: &FrameState, r: &crate::predict::Refs, x0: usize, y0: usize, n: usize, mode: u8) -> u64 {
    // work arrays of the block's size: the search calls this 35 times per block, and
    // zeroing 32x32 arrays for a 4x4 block was most of its time
    match n {
        4 => mode_satd_n::<16>(st, r, x0, y0, n, mode),
        8 => mode_satd_n::<64>(st, r, x0, y0, n, mode),
        16 => mode_satd_n::<256>(st, r, x0, y0, n, mode),
        _ => mode_satd_n::<1024>(st, r, x0, y0, n, mode),
    }
}

fn mode_satd_n<const NN: usize>(st: &FrameState, r: &crate::predict::Refs, x0: usize, y0: usize, n: usize, mode: u8) -> u64 {
    let mut pred = [0i32; NN];
    st.predict(r, n, mode, &mut pred[..n * n]);
    pred_satd::<NN>(st, x0, y0, n, &pred)
}

/// SATD of the original block at (x0, y0) against `pred` (row-major, n x n).
fn pred_satd<const NN: usize>(st: &FrameState, x0: usize, y0: usize, n: usize, pred: &[i32]) -> u64 {
    let mut diff = [0i32; NN];
    for y in 0..n {
        for x in 0..n {
            diff[y * n + x] = st.orig[(y0 + y) * st.w + x0 + x] as i32 - pred[y * n + x];
        }
    }
    satd(&diff[..n * n], n)
}

/// SATD of predicting with `mode`, leaving the prediction in `pred`.
fn mode_satd_into(st: &FrameState, r: &crate::predict::Refs, x0: usize, y0: usize, n: usize, mode: u8, pred: &mut [i32; 1024]) -> u64 {
    st.predict(r, n, mode, &mut pred[..n * n]);
    match n {
        4 => pred_satd::<16>(st, x0, y0, n, &pred[..]),
        8 => pred_satd::<64>(st, x0, y0, n, &pred[..]),
        16 => pred_satd::<256>(st, x0, y0, n, &pred[..]),
        _ => pred_satd::<1024>(st, x0, y0, n, &pred[..]),
    }
}

// ---------------------------------------------------------------- hardware strategy

/// Hardware strategy decisions and reconstruction for the CTU at (x0, y0).
pub fn hw_ctu(st: &mut FrameState, x0: usize, y0: usize) {
    let log2 = st.log2_ctu;
    hw_quadtree(st, x0, y0, log2);
}

fn hw_quadtree(st: &mut FrameState, x0: usize, y0: usize, log2: u32) {
    let size = 1usize << log2;
    let log2_cu = st.p.encoder.hw.cu_size.trailing_zeros();
    let inside = x0 + size <= st.w && y0 + size <= st.h;
    if !inside || log2 > log2_cu {
        let h = size / 2;
        for i in 0..4 {
            let (x, y) = (x0 + h * (i & 1), y0 + h * (i >> 1));
            if x < st.w && y < st.h {
                hw_quadtree(st, x, y, log2 - 1);
            }
        }
        return;
    }
    set_cu(st, x0, y0, log2, false);
    let r = st.refs(x0, y0, size);
    let mut best = (u64::MAX, 0u8);
    let mut pred = [0i32; 1024];
    let mut best_pred = [0i32; 1024];
    for &m in &st.p.encoder.hw.modes {
        let c = mode_satd_into(st, &r, x0, y0, size, m, &mut pred);
        if c < best.0 {
            best = (c, m);
            std::mem::swap(&mut pred, &mut best_pred);
        }
    }
    // one TU per CU: the CU size is at most the largest TU (validated)
    let q = Quant::Deadzone(st.p.encoder.hw.rounding_offset);
    code_tu_predicted(st, x0, y0, log2, best.1, q, &best_pred);
}

// ---------------------------------------------------------------- RD strategy

/// The RD strategy's lambda for a QP (HM's intra lambda).
pub fn lambda(qp: u8, scale: f64) -> f64 {
    0.57 * 2f64.powf((qp as f64 - 12.0) / 3.0) * scale
}

struct Rd {
    lambda: f64,
    sqrt_lambda: f64,
    quant: Quant,
    candidates: usize,
    max_log2_cu: u32,
}

/// RD strategy decisions and reconstruction for the CTU at (x0, y0), starting from
/// the contexts `ctx` of the slice at this point.
pub fn rd_ctu(st: &mut FrameState, ctx: &Contexts, x0: usize, y0: usize) {
    let e = &st.p.encoder;
    let lambda = lambda(st.qp, e.rd.lambda_scale);
    let rd = Rd {
        lambda,
        sqrt_lambda: lambda.sqrt(),
        quant: if e.rd.rdoq { Quant::Rdoq(lambda) } else { Quant::Deadzone(171) },
        candidates: e.rd.rd_mode_candidates,
        max_log2_cu: e.rd.max_cu_size.trailing_zeros().min(5).min(st.log2_max_tb.max(3)),
    };
    let log2 = st.log2_ctu;
    rd_quadtree(st, &rd, ctx.clone(), x0, y0, log2, 0);
}

fn bits(c: &BitCounter) -> f64 {
    c.frac_bits as f64 / ONE_BIT as f64
}

fn rd_quadtree(st: &mut FrameState, rd: &Rd, ctx: Contexts, x0: usize, y0: usize, log2: u32, depth: u32) -> (f64, Contexts) {
    let size = 1usize << log2;
    let inside = x0 + size <= st.w && y0 + size <= st.h;
    let flag_coded = inside && log2 > 3;
    let can_leaf = inside && log2 <= rd.max_log2_cu;
    let can_split = log2 > 3;
    let before = st.snapshot(x0, y0, size);
    let mut best: Option<(f64, Contexts)> = None;
    let mut leaf_snap = None;
    if can_leaf {
        let mut c = ctx.clone();
        let mut bc = BitCounter::default();
        if flag_coded {
            let inc = split_cu_ctx(st, x0, y0, depth);
            bc.bin(&mut c.split_cu[inc], 0);
        }
        let (j, c) = rd_cu(st, rd, c, x0, y0, log2);
        best = Some((j + rd.lambda * bits(&bc), c));
        leaf_snap = Some(st.snapshot(x0, y0, size));
    }
    if can_split {
        if can_leaf {
            st.restore(&before);
        }
        let mut c = ctx;
        let mut j = 0.0;
        if flag_coded {
            let mut bc = BitCounter::default();
            let inc = split_cu_ctx(st, x0, y0, depth);
            bc.bin(&mut c.split_cu[inc], 1);
            j += rd.lambda * bits(&bc);
        }
        let h = size / 2;
        for i in 0..4 {
            let (x, y) = (x0 + h * (i & 1), y0 + h * (i >> 1));
            if x < st.w && y < st.h {
                let (jj, cc) = rd_quadtree(st, rd, c, x, y, log2 - 1, depth + 1);
                j += jj;
                c = cc;
            }
            // early exit: already worse than the leaf
            if let Some((bj, _)) = &best {
                if j >= *bj {
                    break;
                }
            }
        }
        match &best {
            Some((bj, _)) if *bj <= j => st.restore(leaf_snap.as_ref().unwrap()),
            _ => best = Some((j, c)),
        }
    }
    best.unwrap()
}

/// Cost of the prev_intra_luma_pred_flag + mode bins, for pre-selection.
fn mode_bits(ctx: &Contexts, mode: u8, mpm: [u8; 3]) -> f64 {
    match mode_code(mode, mpm) {
        ModeCode::Mpm(i) => bin_cost(&ctx.prev_intra_luma_pred[0], 1) as f64 / ONE_BIT as f64 + if i == 0 { 1.0 } else { 2.0 },
        ModeCode::Rem(_) => bin_cost(&ctx.prev_intra_luma_pred[0], 0) as f64 / ONE_BIT as f64 + 5.0,
    }
}

/// Modes to evaluate with full RD: the best `k` by SATD + sqrt(lambda) * mode bits,
/// plus the MPMs.
fn candidates(st: &FrameState, rd: &Rd, ctx: &Contexts, x0: usize, y0: usize, n: usize) -> Vec<u8> {
    let r = st.refs(x0, y0, n);
    let mpm = st.mpm(x0, y0);
    let mut costs: Vec<(f64, u8)> = (0..35u8)
        .map(|m| (mode_satd(st, &r, x0, y0, n, m) as f64 + rd.sqrt_lambda * mode_bits(ctx, m, mpm), m))
        .collect();
    costs.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap().then(a.1.cmp(&b.1)));
    let mut out: Vec<u8> = costs.iter().take(rd.candidates).map(|c| c.1).collect();
    for m in mpm {
        if !out.contains(&m) {
            out.push(m);
        }
    }
    out
}

fn rd_cu(st: &mut FrameState, rd: &Rd, ctx: Contexts, x0: usize, y0: usize, log2: u32) -> (f64, Contexts) {
    let n = 1usize << log2;
    let before = st.snapshot(x0, y0, n);
    let mut lv = vec![0i32; 1024];
    let mut best: Option<(f64, Contexts, super::frame::Snapshot)> = None;
    set_cu(st, x0, y0, log2, false);
    let cands = candidates(st, rd, &ctx, x0, y0, n);
    for &m in &cands {
        st.restore(&before);
        set_cu(st, x0, y0, log2, false);
        st.set_units(x0, y0, n, |s, u| s.mode[u] = m);
        let mut c = ctx.clone();
        let mut bc = BitCounter::default();
        code_cu_header(&mut bc, &mut c, st, x0, y0, log2);
        let (d, b, c) = rd_tu_tree(st, rd, c, x0, y0, log2, 0, false, m, &mut lv);
        let j = d as f64 + rd.lambda * (bits(&bc) + b);
        if best.as_ref().map_or(true, |(bj, _, _)| j < *bj) {
            best = Some((j, c, st.snapshot(x0, y0, n)));
        }
    }
    if log2 == 3 {
        // NxN: four 4x4 PUs, modes chosen greedily in z-order, then exact rate.
        st.restore(&before);
        set_cu(st, x0, y0, log2, true);
        let mut d_total = 0u64;
        for i in 0..4 {
            let (x, y) = (x0 + 4 * (i & 1), y0 + 4 * (i >> 1));
            let cands = candidates(st, rd, &ctx, x, y, 4);
            let pu_before = st.snapshot(x, y, 4);
            let mut pbest = (f64::MAX, 0u8);
            for &m in &cands {
                st.restore(&pu_before);
                st.set_units(x, y, 4, |s, u| s.mode[u] = m);
                let mpm = st.mpm(x, y);
                let d = code_tu(st, &ctx, x, y, 2, 1, m, rd.quant);
                let mut c = ctx.clone();
                let mut bc = BitCounter::default();
                code_tu_leaf(&mut bc, &mut c, st, x, y, 2, 1, &mut lv);
                let j = d as f64 + rd.lambda * (bits(&bc) + mode_bits(&ctx, m, mpm));
                if j < pbest.0 {
                    pbest = (j, m);
                }
            }
            st.restore(&pu_before);
            st.set_units(x, y, 4, |s, u| s.mode[u] = pbest.1);
            d_total += code_tu(st, &ctx, x, y, 2, 1, pbest.1, rd.quant);
        }
        let mut c = ctx.clone();
        let mut bc = BitCounter::default();
        super::syntax::code_cu(&mut bc, &mut c, st, x0, y0, log2, &mut lv);
        let j = d_total as f64 + rd.lambda * bits(&bc);
        if best.as_ref().map_or(true, |(bj, _, _)| j < *bj) {
            best = Some((j, c, st.snapshot(x0, y0, n)));
        }
    }
    let (j, c, snap) = best.unwrap();
    st.restore(&snap);
    (j, c)
}

/// Search the transform tree of a 2Nx2N CU with luma mode `mode`. Returns (SSE, bits,
/// contexts after), leaving the chosen reconstruction in place.
#[allow(clippy::too_many_arguments)]
fn rd_tu_tree(st: &mut FrameState, rd: &Rd, ctx: Contexts, x0: usize, y0: usize, log2: u32, depth: u32, nxn: bool, mode: u8, lv: &mut [i32]) -> (u64, f64, Contexts) {
    let n = 1usize << log2;
    let (coded, inferred) = tu_split_coded(st, log2, depth, nxn);
    let can_leaf = coded || !inferred;
    let can_split = (coded || inferred) && log2 > 2;
    let before = st.snapshot(x0, y0, n);
    let mut best: Option<(f64, u64, f64, Contexts)> = None;
    let mut leaf_snap = None;
    if can_leaf {
        let mut c = ctx.clone();
        let mut bc = BitCounter::default();
        if coded {
            bc.bin(&mut c.split_tu[5 - log2 as usize], 0);
        }
        if st.chroma && log2 > 2 && depth == 0 {
            bc.bin(&mut c.cbf_chroma[0], 0);
            bc.bin(&mut c.cbf_chroma[0], 0);
        }
        let d = code_tu(st, &c, x0, y0, log2, depth, mode, rd.quant);
        code_tu_leaf(&mut bc, &mut c, st, x0, y0, log2, depth, lv);
        let b = bits(&bc);
        best = Some((d as f64 + rd.lambda * b, d, b, c));
        leaf_snap = Some(st.snapshot(x0, y0, n));
    }
    if can_split {
        if can_leaf {
            st.restore(&before);
        }
        let mut c = ctx;
        let mut bc = BitCounter::default();
        if coded {
            bc.bin(&mut c.split_tu[5 - log2 as usize], 1);
        }
        if st.chroma && log2 > 2 && depth == 0 {
            bc.bin(&mut c.cbf_chroma[0], 0);
            bc.bin(&mut c.cbf_chroma[0], 0);
        }
        let mut d = 0u64;
        let mut b = bits(&bc);
        let h = n / 2;
        for i in 0..4 {
            let (x, y) = (x0 + h * (i & 1), y0 + h * (i >> 1));
            let (dd, bb, cc) = rd_tu_tree(st, rd, c, x, y, log2 - 1, depth + 1, nxn, mode, lv);
            d += dd;
            b += bb;
            c = cc;
        }
        let j = d as f64 + rd.lambda * b;
        match &best {
            Some((bj, _, _, _)) if *bj <= j => st.restore(leaf_snap.as_ref().unwrap()),
            _ => best = Some((j, d, b, c)),
        }
    }
    let (_, d, b, c) = best.unwrap();
    (d, b, c)
}
