//! residual_coding() (H.265 7.3.8.11): scan orders (6.5.3-6.5.5), context selection
//! for last position, coded_sub_block_flag, sig_coeff_flag, greater1/greater2
//! (9.3.4.2.4-9.3.4.2.7), binarization of coeff_abs_level_remaining (9.3.3.11) and
//! sign data hiding. The context derivations are public: the decoder uses them too.

use crate::cabac::{BinSink, Contexts};

/// Diagonal up-right, horizontal and vertical scans of a `size`x`size` array
/// (6.5.3-6.5.5): scan position -> (x, y).
pub fn scan_order(size: usize, scan_idx: u32) -> Vec<(u8, u8)> {
    let mut v = Vec::with_capacity(size * size);
    match scan_idx {
        0 => {
            let (mut x, mut y): (i32, i32) = (0, 0);
            while v.len() < size * size {
                while y >= 0 {
                    if (x as usize) < size && (y as usize) < size {
                        v.push((x as u8, y as u8));
                    }
                    y -= 1;
                    x += 1;
                }
                y = x;
                x = 0;
            }
        }
        1 => {
            for y in 0..size {
                for x in 0..size {
                    v.push((x as u8, y as u8));
                }
            }
        }
        _ => {
            for x in 0..size {
                for y in 0..size {
                    v.push((x as u8, y as u8));
                }
            }
        }
    }
    v
}

/// Full-TU scan: scan position -> raster index (y*N + x), for log2 2..=5, scanIdx 0..=2.
pub fn scan_table(log2: u32, scan_idx: u32) -> &'static [u16] {
    use std::sync::OnceLock;
    static T: OnceLock<Vec<Vec<u16>>> = OnceLock::new();
    let t = T.get_or_init(|| {
        let mut all = Vec::new();
        for l in 2..=5u32 {
            for s in 0..3u32 {
                let n = 1usize << l;
                let sb = scan_order(n / 4, s);
                let inner = scan_order(4, s);
                let mut tab = Vec::with_capacity(n * n);
                for &(xs, ys) in &sb {
                    for &(xp, yp) in &inner {
                        let x = xs as usize * 4 + xp as usize;
                        let y = ys as usize * 4 + yp as usize;
                        tab.push((y * n + x) as u16);
                    }
                }
                all.push(tab);
            }
        }
        all
    });
    &t[((log2 - 2) * 3 + scan_idx) as usize]
}

/// Intra scanIdx (7.4.9.11): mode-dependent for 4x4 and luma 8x8.
pub fn scan_idx_for(log2: u32, c_idx: u32, mode: u8, chroma444: bool) -> u32 {
    if log2 == 2 || (log2 == 3 && (c_idx == 0 || chroma444)) {
        if (6..=14).contains(&mode) {
            return 2;
        }
        if (22..=30).contains(&mode) {
            return 1;
        }
    }
    0
}

const CTX_IDX_MAP_4X4: [u8; 16] = [0, 1, 4, 5, 2, 3, 4, 5, 6, 6, 8, 8, 7, 7, 8, 8];

/// sig_coeff_flag ctxInc (9.3.4.2.5). `prev_csbf`: bit0 right, bit1 below.
#[inline]
pub fn sig_ctx(log2: u32, c_idx: u32, scan_idx: u32, x: usize, y: usize, prev_csbf: u32) -> usize {
    let sig = if log2 == 2 {
        CTX_IDX_MAP_4X4[(y << 2) + x] as usize
    } else if x + y == 0 {
        0
    } else {
        let (xp, yp) = (x & 3, y & 3);
        let mut s = match prev_csbf {
            0 => {
                if xp + yp == 0 {
                    2
                } else if xp + yp < 3 {
                    1
                } else {
                    0
                }
            }
            1 => {
                if yp == 0 {
                    2
                } else if yp == 1 {
                    1
                } else {
                    0
                }
            }
            2 => {
                if xp == 0 {
                    2
                } else if xp == 1 {
                    1
                } else {
                    0
                }
            }
            _ => 2,
        };
        if c_idx == 0 {
            if (x >> 2) + (y >> 2) > 0 {
                s += 3;
            }
            if log2 == 3 {
                s += if scan_idx == 0 { 9 } else { 15 };
            } else {
                s += 21;
            }
        } else if log2 == 3 {
            s += 9;
        } else {
            s += 12;
        }
        s
    };
    if c_idx == 0 {
        sig
    } else {
        27 + sig
    }
}

/// sig_coeff_flag ctxInc by [prev_csbf * 2 + (sub-block is the first one)][yP * 4 + xP]
/// for a TU of `log2` size, component class and scan (a lookup form of [`sig_ctx`]).
pub fn sig_ctx_table(log2: u32, c_idx: u32, scan_idx: u32) -> &'static [[u8; 16]; 8] {
    use std::sync::OnceLock;
    static T: OnceLock<Vec<[[u8; 16]; 8]>> = OnceLock::new();
    let t = T.get_or_init(|| {
        let mut v = Vec::new();
        for l in 2..=5u32 {
            for c in 0..2u32 {
                for s in 0..3u32 {
                    let mut tab = [[0u8; 16]; 8];
                    for prev in 0..4u32 {
                        for first in 0..2usize {
                            for yp in 0..4 {
                                for xp in 0..4 {
                                    let (x, y) = if first == 1 || l == 2 { (xp, yp) } else { (xp + 4, yp) };
                                    tab[prev as usize * 2 + first][yp * 4 + xp] = sig_ctx(l, c, s, x, y, prev) as u8;
                                }
                            }
                        }
                    }
                    v.push(tab);
                }
            }
        }
        v
    });
    &t[(((log2 - 2) * 2 + (c_idx > 0) as u32) * 3 + scan_idx) as usize]
}

/// Raster position (yP * 4 + xP) inside a 4x4 sub-block of each scan position.
pub fn inner_raster(scan_idx: u32) -> &'static [u8; 16] {
    const T: [[u8; 16]; 3] = {
        // diagonal, horizontal, vertical (6.5.3-6.5.5)
        [[0, 4, 1, 8, 5, 2, 12, 9, 6, 3, 13, 10, 7, 14, 11, 15], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15]]
    };
    &T[scan_idx as usize]
}

/// (ctxOffset, ctxShift) of last_sig_coeff_{x,y}_prefix (9.3.4.2.3).
#[inline]
pub fn last_ctx_offset_shift(log2: u32, c_idx: u32) -> (usize, u32) {
    if c_idx == 0 {
        ((3 * (log2 - 2) + ((log2 - 1) >> 2)) as usize, (log2 + 1) >> 2)
    } else {
        (15, log2 - 2)
    }
}

/// greater1Ctx / ctxSet derivation of coeff_abs_level_greater1_flag (9.3.4.2.6),
/// shared by the encoder's writer and the decoder's parser: `c1` carries over from
/// the previous sub-block that had significant coefficients.
#[derive(Clone, Copy, Debug)]
pub struct Greater1State {
    c1: u32,
}

impl Default for Greater1State {
    fn default() -> Self {
        Greater1State { c1: 1 }
    }
}

impl Greater1State {
    /// Start sub-block `i` (with significant coefficients): returns its ctxSet.
    #[inline]
    pub fn begin_subblock(&mut self, i: usize, c_idx: u32) -> usize {
        let mut set = if i == 0 || c_idx > 0 { 0 } else { 2 };
        if self.c1 == 0 {
            set += 1;
        }
        self.c1 = 1;
        set
    }

    /// gt1 context index for the next flag of sub-block with `ctx_set`.
    #[inline]
    pub fn ctx(&self, ctx_set: usize, c_idx: u32) -> usize {
        ctx_set * 4 + self.c1 as usize + if c_idx > 0 { 16 } else { 0 }
    }

    /// After coding a greater1 flag.
    #[inline]
    pub fn update(&mut self, greater1: bool) {
        if greater1 {
            self.c1 = 0;
        } else if self.c1 > 0 && self.c1 < 3 {
            self.c1 += 1;
        }
    }
}

/// cRiceParam after a coefficient of absolute value `abs` was coded with a remainder
/// (9.3.3.11, no persistent Rice adaptation).
#[inline]
pub fn next_rice(rice: u32, abs: u64) -> u32 {
    if abs > 3 * (1u64 << rice) {
        (rice + 1).min(4)
    } else {
        rice
    }
}

/// Group index of a last-position coordinate and the first coordinate of each group.
pub const GROUP_IDX: [u8; 32] =
    [0, 1, 2, 3, 4, 4, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7, 8, 8, 8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9, 9];
pub const MIN_IN_GROUP: [u8; 10] = [0, 1, 2, 3, 4, 6, 8, 12, 16, 24];

fn code_last_prefix<S: BinSink>(s: &mut S, ctxs: &mut [crate::cabac::Ctx; 18], prefix: u32, log2: u32, c_idx: u32) {
    let (off, shift) = last_ctx_offset_shift(log2, c_idx);
    let cmax = (log2 << 1) - 1;
    for i in 0..prefix {
        s.bin(&mut ctxs[off + (i >> shift) as usize], 1);
    }
    if prefix < cmax {
        s.bin(&mut ctxs[off + (prefix >> shift) as usize], 0);
    }
}

/// coeff_abs_level_remaining(`value`) with Rice parameter `rice` (prefix TR cMax
/// 4<<k, suffix EG(k+1)): (prefix bins: ones then a zero, suffix length, suffix bits).
#[inline]
pub fn remaining_binarization(value: u32, rice: u32) -> (u32, u32, u32) {
    if (value >> rice) < 3 {
        ((value >> rice) + 1, rice, value & ((1 << rice) - 1))
    } else {
        let mut len = rice;
        let mut code = value - (3 << rice);
        while code >= (1 << len) {
            code -= 1 << len;
            len += 1;
        }
        (3 + len + 1 - rice, len, code)
    }
}

/// Lengths (prefix bins, suffix bins) of coeff_abs_level_remaining(`value`).
#[inline]
pub fn remaining_lengths(value: u32, rice: u32) -> (u32, u32) {
    let (p, l, _) = remaining_binarization(value, rice);
    (p, l)
}

/// coeff_abs_level_remaining binarization ([`remaining_binarization`]).
#[inline]
pub fn code_remaining<S: BinSink>(s: &mut S, value: u32, rice: u32) {
    let (plen, len, code) = remaining_binarization(value, rice);
    // prefix: (plen-1) ones then a zero (plen <= 32 for 16-bit levels)
    if plen < 32 {
        s.bypass_bits((1u32 << plen) - 2, plen);
    } else {
        for _ in 0..plen - 1 {
            s.bypass(1);
        }
        s.bypass(0);
    }
    s.bypass_bits(code, len);
}

/// Code residual_coding() for one TU. `levels` are raster (y*N + x), at least one
/// non-zero. Sign hiding as signalled in the PPS (the levels must already satisfy
/// the parity rule; see [`crate::quantize::sign_hide`]).
pub fn code_residual<S: BinSink>(
    s: &mut S,
    ctx: &mut Contexts,
    levels: &[i32],
    log2: u32,
    c_idx: u32,
    scan_idx: u32,
    sign_hiding: bool,
) {
    let n = 1usize << log2;
    let scan = scan_table(log2, scan_idx);
    // levels in scan order, gathered once
    let mut lvs = [0i32; 1024];
    for (d, &r) in lvs.iter_mut().zip(scan) {
        *d = levels[r as usize];
    }
    let last_pos = (0..n * n).rev().find(|&p| lvs[p] != 0).expect("code_residual: all-zero TU");
    let raster = scan[last_pos] as usize;
    let (mut lx, mut ly) = (raster % n, raster / n);
    if scan_idx == 2 {
        std::mem::swap(&mut lx, &mut ly);
    }
    let px = GROUP_IDX[lx] as u32;
    let py = GROUP_IDX[ly] as u32;
    code_last_prefix(s, &mut ctx.last_x, px, log2, c_idx);
    code_last_prefix(s, &mut ctx.last_y, py, log2, c_idx);
    if px > 3 {
        s.bypass_bits(lx as u32 - MIN_IN_GROUP[px as usize] as u32, (px >> 1) - 1);
    }
    if py > 3 {
        s.bypass_bits(ly as u32 - MIN_IN_GROUP[py as usize] as u32, (py >> 1) - 1);
    }

    let sbw = n / 4; // sub-blocks per side
    let mut csbf = [0u8; 64];
    let last_sb = last_pos >> 4;
    let sb_scan = scan_order_cached(sbw, scan_idx);
    let sig_tab_all = sig_ctx_table(log2, c_idx, scan_idx);
    let inner = inner_raster(scan_idx);
    let mut g1 = Greater1State::default();
    for i in (0..=last_sb).rev() {
        let (xs, ys) = sb_scan[i];
        let (xs, ys) = (xs as usize, ys as usize);
        let sub = i * 16;
        // coded_sub_block_flag
        let right = if xs + 1 < sbw { csbf[ys * sbw + xs + 1] } else { 0 } as u32;
        let below = if ys + 1 < sbw { csbf[(ys + 1) * sbw + xs] } else { 0 } as u32;
        let mut infer_dc = false;
        if i < last_sb && i > 0 {
            let any = lvs[sub..sub + 16].iter().any(|&v| v != 0);
            let ci = (right + below).min(1) as usize + if c_idx > 0 { 2 } else { 0 };
            s.bin(&mut ctx.csbf[ci], any as u32);
            csbf[ys * sbw + xs] = any as u8;
            infer_dc = any;
        } else {
            csbf[ys * sbw + xs] = 1;
        }
        if csbf[ys * sbw + xs] == 0 {
            continue;
        }
        let prev = right | (below << 1);
        let sig_tab = &sig_tab_all[(prev * 2) as usize + (i == 0) as usize];
        // significance, highest scan position first
        let mut sig_pos = [0u8; 16]; // within-subblock scan positions, descending
        let mut nsig = 0;
        let start = if i == last_sb {
            sig_pos[0] = (last_pos & 15) as u8;
            nsig = 1;
            (last_pos & 15) as i32 - 1
        } else {
            15
        };
        for k in (0..=start).rev() {
            let sig = lvs[sub + k as usize] != 0;
            if k == 0 && infer_dc {
                // inferred 1
                sig_pos[nsig] = 0;
                nsig += 1;
                continue;
            }
            let ci = sig_tab[inner[k as usize] as usize] as usize;
            s.bin(&mut ctx.sig[ci], sig as u32);
            if sig {
                sig_pos[nsig] = k as u8;
                nsig += 1;
                infer_dc = false;
            }
        }
        if nsig == 0 {
            continue;
        }
        // greater1 / greater2
        let ctx_set = g1.begin_subblock(i, c_idx);
        let mut abs = [0u32; 16];
        for j in 0..nsig {
            abs[j] = lvs[sub + sig_pos[j] as usize].unsigned_abs();
        }
        let mut first_g2: i32 = -1;
        for j in 0..nsig.min(8) {
            let gt1 = abs[j] > 1;
            s.bin(&mut ctx.gt1[g1.ctx(ctx_set, c_idx)], gt1 as u32);
            g1.update(gt1);
            if gt1 && first_g2 < 0 {
                first_g2 = j as i32;
            }
        }
        if first_g2 >= 0 {
            let g2 = abs[first_g2 as usize] > 2;
            s.bin(&mut ctx.gt2[ctx_set + if c_idx > 0 { 4 } else { 0 }], g2 as u32);
        }
        // signs
        let sign_hidden = sign_hiding && (sig_pos[0] as i32 - sig_pos[nsig - 1] as i32) > 3;
        let nsign = if sign_hidden { nsig - 1 } else { nsig };
        // sign flags, first coded first: one bypass run (the bins are the same)
        let mut signs = 0u32;
        for &k in &sig_pos[..nsign] {
            signs = (signs << 1) | (lvs[sub + k as usize] < 0) as u32;
        }
        s.bypass_bits(signs, nsign as u32);
        // remaining levels
        let mut rice = 0u32;
        let mut first_coeff2 = 1u32;
        for j in 0..nsig {
            let a = abs[j];
            let base = if j < 8 { 2 + first_coeff2 } else { 1 };
            if a >= base {
                code_remaining(s, a - base, rice);
                rice = next_rice(rice, a as u64);
            }
            if a >= 2 {
                first_coeff2 = 0;
            }
        }
    }
}

pub fn scan_order_cached(size: usize, scan_idx: u32) -> &'static [(u8, u8)] {
    use std::sync::OnceLock;
    static T: OnceLock<Vec<Vec<(u8, u8)>>> = OnceLock::new();
    let t = T.get_or_init(|| {
        let mut all = Vec::new();
        for l in 0..=3u32 {
            for s in 0..3 {
                all.push(scan_order(1 << l, s));
            }
        }
        all
    });
    &t[(size.trailing_zeros() * 3 + scan_idx) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cabac::BitCounter;

    /// remaining_lengths counts exactly the bins code_remaining emits.
    #[test]
    fn remaining_lengths_match_the_binarization() {
        struct Count(u32);
        impl crate::cabac::BinSink for Count {
            fn bin(&mut self, _c: &mut crate::cabac::Ctx, _b: u32) {}
            fn bypass(&mut self, _b: u32) {
                self.0 += 1;
            }
            fn terminate(&mut self, _b: u32) {}
        }
        for rice in 0..=4 {
            for v in (0..3000u32).chain([32765, 65535]) {
                let mut c = Count(0);
                code_remaining(&mut c, v, rice);
                let (p, s) = remaining_lengths(v, rice);
                assert_eq!(p + s, c.0, "value {v} rice {rice}");
            }
        }
    }

    #[test]
    fn lookup_tables_match_definitions() {
        for s in 0..3 {
            let o = scan_order(4, s);
            for (k, &(x, y)) in o.iter().enumerate() {
                assert_eq!(inner_raster(s)[k] as usize, y as usize * 4 + x as usize);
            }
        }
        for log2 in 2..=5u32 {
            let n = 1usize << log2;
            for c in 0..2 {
                for s in 0..3 {
                    let t = sig_ctx_table(log2, c, s);
                    for prev in 0..4u32 {
                        for y in 0..n {
                            for x in 0..n {
                                if log2 == 2 && (x + y * 4) == 15 {
                                    continue;
                                }
                                let first = (x >> 2) + (y >> 2) == 0;
                                let v = t[prev as usize * 2 + first as usize][(y & 3) * 4 + (x & 3)];
                                assert_eq!(v as usize, sig_ctx(log2, c, s, x, y, if log2 == 2 { 0 } else { prev }), "log2 {log2} c {c} s {s} ({x},{y}) prev {prev}");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn diagonal_scan_4x4_known_answer() {
        let s = scan_order(4, 0);
        let want = [(0, 0), (0, 1), (1, 0), (0, 2), (1, 1), (2, 0), (0, 3), (1, 2), (2, 1), (3, 0), (1, 3), (2, 2), (3, 1), (2, 3), (3, 2), (3, 3)];
        assert_eq!(s, want.to_vec());
        let t = scan_table(3, 1);
        // horizontal 8x8: first sub-block (0,0) rows, then (1,0)
        assert_eq!(&t[..5], &[0, 1, 2, 3, 8]);
        assert_eq!(t[16], 4);
    }

    #[test]
    fn remaining_binarization_lengths() {
        // value 0..2 with k=0: 1..3 bins; value 3 (k=0): "1110" (4 bins);
        // value 4 (k=0): prefix 1111 + EG1 of 0 = "0" + 1 bit -> 6 bins.
        for (v, k, bins) in [(0u32, 0u32, 1u64), (2, 0, 3), (3, 0, 4), (4, 0, 6), (5, 0, 6), (6, 0, 8), (3, 1, 3), (12, 1, 9)] {
            let mut c = BitCounter::default();
            code_remaining(&mut c, v, k);
            assert_eq!(c.frac_bits / crate::cabac::ONE_BIT, bins, "v {v} k {k}");
        }
    }
}
