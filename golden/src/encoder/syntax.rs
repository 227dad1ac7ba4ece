//! The slice data syntax writer (7.3.8.2-7.3.8.12 for intra CUs): coding_quadtree,
//! coding_unit, transform_tree and transform_unit, driven by the decisions stored in
//! [`FrameState`]. Generic over [`BinSink`], so the same code produces the bitstream
//! and the exact rates the RD search needs.

use super::frame::FrameState;
use crate::cabac::{BinSink, Contexts};
use crate::residual::{code_residual, scan_idx_for};

/// Luma intra mode signalling of one PU: an MPM index or the remaining mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModeCode {
    Mpm(u8),
    Rem(u8),
}

/// How `mode` is signalled given the MPM list.
pub fn mode_code(mode: u8, mpm: [u8; 3]) -> ModeCode {
    if let Some(i) = mpm.iter().position(|&m| m == mode) {
        return ModeCode::Mpm(i as u8);
    }
    let mut s = mpm;
    s.sort_unstable();
    let mut rem = mode;
    for &c in s.iter().rev() {
        if mode > c {
            rem -= 1;
        }
    }
    ModeCode::Rem(rem)
}

pub fn code_prev_intra_flag<S: BinSink>(s: &mut S, ctx: &mut Contexts, c: ModeCode) {
    s.bin(&mut ctx.prev_intra_luma_pred[0], matches!(c, ModeCode::Mpm(_)) as u32);
}

pub fn code_mode_rest<S: BinSink>(s: &mut S, c: ModeCode) {
    match c {
        ModeCode::Mpm(0) => s.bypass(0),
        ModeCode::Mpm(1) => s.bypass_bits(0b10, 2),
        ModeCode::Mpm(_) => s.bypass_bits(0b11, 2),
        ModeCode::Rem(r) => s.bypass_bits(r as u32, 5),
    }
}

/// split_cu_flag ctxInc (9.3.4.2.2).
pub fn split_cu_ctx(st: &FrameState, x0: usize, y0: usize, depth: u32) -> usize {
    let mut inc = 0;
    if st.available(x0, y0, x0 as i32 - 1, y0 as i32) && st.log2_ctu - st.cu_log2[st.unit(x0 - 1, y0)] as u32 > depth {
        inc += 1;
    }
    if st.available(x0, y0, x0 as i32, y0 as i32 - 1) && st.log2_ctu - st.cu_log2[st.unit(x0, y0 - 1)] as u32 > depth {
        inc += 1;
    }
    inc
}

/// The coding unit header: part_mode (8x8 only), luma modes, chroma mode. Modes are
/// read from the maps (for NxN the four 4x4 PUs in z-order).
pub fn code_cu_header<S: BinSink>(s: &mut S, ctx: &mut Contexts, st: &FrameState, x0: usize, y0: usize, log2: u32) {
    if st.bypass_enabled {
        s.bin(&mut ctx.transquant_bypass[0], st.lossless as u32);
    }
    let nxn = st.nxn[st.unit(x0, y0)];
    if log2 == 3 {
        s.bin(&mut ctx.part_mode[0], (!nxn) as u32);
    }
    let mut codes = [ModeCode::Mpm(0); 4];
    let npu = if nxn { 4 } else { 1 };
    for (i, c) in codes.iter_mut().enumerate().take(npu) {
        let (x, y) = if nxn { (x0 + 4 * (i & 1), y0 + 4 * (i >> 1)) } else { (x0, y0) };
        *c = mode_code(st.mode[st.unit(x, y)], st.mpm(x, y));
    }
    for &c in &codes[..npu] {
        code_prev_intra_flag(s, ctx, c);
    }
    for &c in &codes[..npu] {
        code_mode_rest(s, c);
    }
    if st.chroma {
        s.bin(&mut ctx.chroma_pred_mode[0], 0); // mode 4: derived from luma
    }
}

/// One transform leaf: cbf_luma and residual_coding, levels from the level plane.
pub fn code_tu_leaf<S: BinSink>(s: &mut S, ctx: &mut Contexts, st: &FrameState, x0: usize, y0: usize, log2: u32, depth: u32, lv: &mut [i32]) {
    let u = st.unit(x0, y0);
    let cbf = st.cbf[u];
    s.bin(&mut ctx.cbf_luma[if depth == 0 { 1 } else { 0 }], cbf as u32);
    if cbf {
        let n = 1usize << log2;
        st.load_levels(x0, y0, n, &mut lv[..n * n]);
        let scan = scan_idx_for(log2, 0, st.mode[u], false);
        if st.p.bitstream.transform_skip && log2 == 2 && !st.lossless {
            // transform_skip_flag, the first element of residual_coding()
            s.bin(&mut ctx.transform_skip[0], st.ts[u] as u32);
        }
        code_residual(s, ctx, &lv[..n * n], log2, 0, scan, st.p.bitstream.sign_data_hiding && !st.lossless);
    }
}

/// Whether split_transform_flag is coded, and its inferred value otherwise.
pub fn tu_split_coded(st: &FrameState, log2: u32, depth: u32, nxn: bool) -> (bool, bool) {
    let max_depth = st.p.bitstream.max_tu_depth_intra + nxn as u32;
    if log2 <= st.log2_max_tb && log2 > 2 && depth < max_depth && !(nxn && depth == 0) {
        (true, false)
    } else {
        (false, log2 > st.log2_max_tb || (nxn && depth == 0))
    }
}

/// transform_tree (7.3.8.8) from the maps.
pub fn code_transform_tree<S: BinSink>(s: &mut S, ctx: &mut Contexts, st: &FrameState, x0: usize, y0: usize, log2: u32, depth: u32, nxn: bool, lv: &mut [i32]) {
    let (coded, inferred) = tu_split_coded(st, log2, depth, nxn);
    let split = if coded {
        let split = (st.tu_log2[st.unit(x0, y0)] as u32) < log2;
        s.bin(&mut ctx.split_tu[5 - log2 as usize], split as u32);
        split
    } else {
        inferred
    };
    if st.chroma && log2 > 2 && depth == 0 {
        s.bin(&mut ctx.cbf_chroma[0], 0); // cbf_cb
        s.bin(&mut ctx.cbf_chroma[0], 0); // cbf_cr
    }
    if split {
        let h = 1usize << (log2 - 1);
        for i in 0..4 {
            code_transform_tree(s, ctx, st, x0 + h * (i & 1), y0 + h * (i >> 1), log2 - 1, depth + 1, nxn, lv);
        }
    } else {
        code_tu_leaf(s, ctx, st, x0, y0, log2, depth, lv);
    }
}

/// coding_unit (intra) from the maps.
pub fn code_cu<S: BinSink>(s: &mut S, ctx: &mut Contexts, st: &FrameState, x0: usize, y0: usize, log2: u32, lv: &mut [i32]) {
    code_cu_header(s, ctx, st, x0, y0, log2);
    let nxn = st.nxn[st.unit(x0, y0)];
    code_transform_tree(s, ctx, st, x0, y0, log2, 0, nxn, lv);
}

/// coding_quadtree from the maps.
pub fn code_quadtree<S: BinSink>(s: &mut S, ctx: &mut Contexts, st: &FrameState, x0: usize, y0: usize, log2: u32, depth: u32, lv: &mut [i32]) {
    let size = 1usize << log2;
    let split = if x0 + size <= st.w && y0 + size <= st.h && log2 > 3 {
        let split = (st.cu_log2[st.unit(x0, y0)] as u32) < log2;
        let inc = split_cu_ctx(st, x0, y0, depth);
        s.bin(&mut ctx.split_cu[inc], split as u32);
        split
    } else {
        log2 > 3
    };
    if split {
        let h = size / 2;
        for i in 0..4 {
            let (x, y) = (x0 + h * (i & 1), y0 + h * (i >> 1));
            if x < st.w && y < st.h {
                code_quadtree(s, ctx, st, x, y, log2 - 1, depth + 1, lv);
            }
        }
    } else {
        code_cu(s, ctx, st, x0, y0, log2, lv);
    }
}
