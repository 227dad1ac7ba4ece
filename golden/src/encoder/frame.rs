//! Per-frame coding state shared by the decision strategies and the syntax writer:
//! original and reconstructed luma, the 4x4-unit maps of decisions (CU size, NxN,
//! intra mode, TU size, cbf), decoded flags for availability, the slice map, and the
//! picture-sized plane of quantized levels (TUs tile the picture, so each TU keeps
//! its levels at its own position).

use crate::config::{ChromaFormat, Params};
use crate::predict::{self, Refs};

pub struct FrameState<'a> {
    pub p: &'a Params,
    pub w: usize,
    pub h: usize,
    pub orig: &'a [u8],
    pub recon: Vec<u8>,
    pub log2_ctu: u32,
    pub ctus_w: usize,
    pub ctus_h: usize,
    pub qp: u8,
    pub chroma: bool,
    pub log2_max_tb: u32,
    /// Units of 4x4 luma samples.
    pub uw: usize,
    pub decoded: Vec<bool>,
    pub cu_log2: Vec<u8>,
    pub nxn: Vec<bool>,
    pub mode: Vec<u8>,
    pub tu_log2: Vec<u8>,
    pub cbf: Vec<bool>,
    /// transform_skip_flag of the luma TU covering the unit (4x4 TUs only).
    pub ts: Vec<bool>,
    pub levels: Vec<i32>,
    pub slice_of_ctu: Vec<u32>,
    /// The PPS enables cu_transquant_bypass (the flag is coded in every CU).
    pub bypass_enabled: bool,
    /// Every CU of this frame is lossless (cu_transquant_bypass_flag = 1).
    pub lossless: bool,
}

/// A saved rectangle of the frame state (for trying alternatives in a search).
pub struct Snapshot {
    x0: usize,
    y0: usize,
    size: usize,
    recon: Vec<u8>,
    levels: Vec<i32>,
    units: Vec<(bool, u8, bool, u8, u8, bool, bool)>,
}

impl<'a> FrameState<'a> {
    pub fn new(p: &'a Params, w: usize, h: usize, orig: &'a [u8], qp: u8, slice_of_ctu: Vec<u32>) -> Self {
        let ctu = p.bitstream.ctu_size as usize;
        let uw = w / 4;
        let units = uw * (h / 4);
        FrameState {
            p,
            w,
            h,
            orig,
            recon: vec![0; w * h],
            log2_ctu: ctu.trailing_zeros(),
            ctus_w: w.div_ceil(ctu),
            ctus_h: h.div_ceil(ctu),
            qp,
            chroma: p.bitstream.chroma != ChromaFormat::Yuv400,
            log2_max_tb: p.bitstream.max_tu_size.trailing_zeros(),
            uw,
            decoded: vec![false; units],
            cu_log2: vec![0; units],
            nxn: vec![false; units],
            mode: vec![1; units],
            tu_log2: vec![0; units],
            cbf: vec![false; units],
            ts: vec![false; units],
            levels: vec![0; w * h],
            slice_of_ctu,
            bypass_enabled: false,
            lossless: false,
        }
    }

    #[inline]
    pub fn unit(&self, x: usize, y: usize) -> usize {
        (y >> 2) * self.uw + (x >> 2)
    }

    #[inline]
    pub fn ctu_addr(&self, x: usize, y: usize) -> usize {
        (y >> self.log2_ctu) * self.ctus_w + (x >> self.log2_ctu)
    }

    /// Availability of the sample (xn, yn) for the block at (xc, yc) (6.4.1): inside
    /// the picture, already decoded, in the same slice.
    #[inline]
    pub fn available(&self, xc: usize, yc: usize, xn: i32, yn: i32) -> bool {
        if xn < 0 || yn < 0 || xn as usize >= self.w || yn as usize >= self.h {
            return false;
        }
        let (xn, yn) = (xn as usize, yn as usize);
        self.decoded[self.unit(xn, yn)] && self.slice_of_ctu[self.ctu_addr(xn, yn)] == self.slice_of_ctu[self.ctu_addr(xc, yc)]
    }

    /// Reference samples for an NxN luma TU at (x0, y0), filtered for `mode`.
    pub fn refs(&self, x0: usize, y0: usize, n: usize) -> Refs {
        predict::gather(&self.recon, self.w, x0, y0, n, 4, |x, y| self.available(x0, y0, x, y))
    }

    /// Prediction of an NxN luma TU with `mode` from unfiltered references `r`.
    pub fn predict(&self, r: &Refs, n: usize, mode: u8, out: &mut [i32]) {
        if predict::filter_flag(mode, n) {
            let f = predict::filter(r, n, self.p.bitstream.strong_intra_smoothing);
            predict::predict(&f, n, mode, true, out);
        } else {
            predict::predict(r, n, mode, true, out);
        }
    }

    /// MPM list of the PU at (x, y) (8.4.2).
    pub fn mpm(&self, x: usize, y: usize) -> [u8; 3] {
        let a = if self.available(x, y, x as i32 - 1, y as i32) { self.mode[self.unit(x - 1, y)] } else { 1 };
        let ctb_top = (y >> self.log2_ctu) << self.log2_ctu;
        let b = if y > ctb_top && self.available(x, y, x as i32, y as i32 - 1) { self.mode[self.unit(x, y - 1)] } else { 1 };
        predict::mpm_list(a, b)
    }

    /// Set the per-unit maps over a square.
    pub fn set_units(&mut self, x0: usize, y0: usize, size: usize, f: impl Fn(&mut Self, usize)) {
        for y in (y0..y0 + size).step_by(4) {
            for x in (x0..x0 + size).step_by(4) {
                let u = self.unit(x, y);
                f(self, u);
            }
        }
    }

    pub fn snapshot(&self, x0: usize, y0: usize, size: usize) -> Snapshot {
        let size_x = size.min(self.w - x0);
        let size_y = size.min(self.h - y0);
        let mut recon = Vec::with_capacity(size_x * size_y);
        let mut levels = Vec::with_capacity(size_x * size_y);
        for y in y0..y0 + size_y {
            recon.extend_from_slice(&self.recon[y * self.w + x0..y * self.w + x0 + size_x]);
            levels.extend_from_slice(&self.levels[y * self.w + x0..y * self.w + x0 + size_x]);
        }
        let mut units = Vec::new();
        for y in (y0..y0 + size_y).step_by(4) {
            for x in (x0..x0 + size_x).step_by(4) {
                let u = self.unit(x, y);
                units.push((self.decoded[u], self.cu_log2[u], self.nxn[u], self.mode[u], self.tu_log2[u], self.cbf[u], self.ts[u]));
            }
        }
        Snapshot { x0, y0, size, recon, levels, units }
    }

    pub fn restore(&mut self, s: &Snapshot) {
        let size_x = s.size.min(self.w - s.x0);
        let size_y = s.size.min(self.h - s.y0);
        for (i, y) in (s.y0..s.y0 + size_y).enumerate() {
            let row = y * self.w + s.x0;
            self.recon[row..row + size_x].copy_from_slice(&s.recon[i * size_x..(i + 1) * size_x]);
            self.levels[row..row + size_x].copy_from_slice(&s.levels[i * size_x..(i + 1) * size_x]);
        }
        let mut k = 0;
        for y in (s.y0..s.y0 + size_y).step_by(4) {
            for x in (s.x0..s.x0 + size_x).step_by(4) {
                let u = self.unit(x, y);
                let t = s.units[k];
                k += 1;
                self.decoded[u] = t.0;
                self.cu_log2[u] = t.1;
                self.nxn[u] = t.2;
                self.mode[u] = t.3;
                self.tu_log2[u] = t.4;
                self.cbf[u] = t.5;
                self.ts[u] = t.6;
            }
        }
    }

    /// Copy a TU's levels (row-major n x n) into the level plane.
    pub fn store_levels(&mut self, x0: usize, y0: usize, n: usize, lv: &[i32]) {
        for y in 0..n {
            let row = (y0 + y) * self.w + x0;
            self.levels[row..row + n].copy_from_slice(&lv[y * n..y * n + n]);
        }
    }

    /// Read a TU's levels from the level plane.
    pub fn load_levels(&self, x0: usize, y0: usize, n: usize, lv: &mut [i32]) {
        for y in 0..n {
            let row = (y0 + y) * self.w + x0;
            lv[y * n..y * n + n].copy_from_slice(&self.levels[row..row + n]);
        }
    }
}
