//! Slice data decoding and reconstruction (7.3.8, 8.4, 8.6): coding quadtree, intra
//! CUs (2Nx2N and NxN, cu_transquant_bypass), luma and 4:2:0 chroma intra modes,
//! transform tree with cbfs, cu_qp_delta with QP prediction, residual_coding (with
//! transform skip and sign data hiding), dequantization, inverse transforms and
//! reconstruction. WPP substreams with context synchronization.

use super::cabac::CabacDecoder;
use super::ps::{Pps, SliceHeader, Sps};
use super::{DecodeError, Picture};
use crate::cabac::{Contexts, Ctx};
use crate::predict;
use crate::quantize::dequantize;
use crate::residual::{last_ctx_offset_shift, scan_idx_for, scan_table, MIN_IN_GROUP};
use crate::transform::inverse;

/// Decoding state of one picture (shared by its slices).
pub struct PicState {
    pub pic: Picture,
    pub log2_ctb: u32,
    pub ctbs_w: usize,
    pub ctbs_h: usize,
    pub uw: usize,
    /// Per 4x4 luma unit.
    pub mode: Vec<u8>,
    pub cu_log2: Vec<u8>,
    pub qp: Vec<i8>,
    /// Slice address (first CTB, raster) of each CTB's slice; usize::MAX = not decoded.
    pub slice_of_ctb: Vec<usize>,
    pub ctbs_decoded: usize,
    /// When set, every transform block's record is appended (see `decode_traced`).
    pub trace: Option<Vec<super::TuRecord>>,
    /// With a trace: per slice segment, its bins outside residual_coding.
    pub syntax_bins: Vec<Vec<u8>>,
    /// With a trace: per slice segment, every bin with its context state and a kind-3
    /// entry at each substream's end (see `decode_traced`).
    pub cabac_bins: Vec<Vec<(u8, u8, u8)>>,
    /// Index of the picture in the stream (for the trace).
    pub picture: u32,
    /// CABAC bins decoded in this picture's slices.
    pub bins: u64,
}

impl PicState {
    pub fn new(sps: &Sps) -> Self {
        let ctb = 1usize << sps.log2_ctb;
        let (ctbs_w, ctbs_h) = (sps.width.div_ceil(ctb), sps.height.div_ceil(ctb));
        let uw = sps.width / 4;
        let units = uw * (sps.height / 4);
        PicState {
            pic: Picture::new(sps.width, sps.height, sps.chroma_format_idc),
            log2_ctb: sps.log2_ctb,
            ctbs_w,
            ctbs_h,
            uw,
            mode: vec![1; units],
            cu_log2: vec![0; units],
            qp: vec![0; units],
            slice_of_ctb: vec![usize::MAX; ctbs_w * ctbs_h],
            ctbs_decoded: 0,
            trace: None,
            syntax_bins: Vec::new(),
            cabac_bins: Vec::new(),
            picture: 0,
            bins: 0,
        }
    }

    #[inline]
    fn unit(&self, x: usize, y: usize) -> usize {
        (y >> 2) * self.uw + (x >> 2)
    }

    #[inline]
    fn ctb_of(&self, x: usize, y: usize) -> usize {
        (y >> self.log2_ctb) * self.ctbs_w + (x >> self.log2_ctb)
    }

    /// z-scan availability (6.4.1) of luma location (xn, yn) for the block at (xc, yc):
    /// inside the picture, in the same slice, and earlier in decoding (z-scan) order.
    #[inline]
    fn available(&self, xc: usize, yc: usize, xn: i32, yn: i32) -> bool {
        if xn < 0 || yn < 0 || xn as usize >= self.pic.width || yn as usize >= self.pic.height {
            return false;
        }
        let (xn, yn) = (xn as usize, yn as usize);
        let (cn, cc) = (self.ctb_of(xn, yn), self.ctb_of(xc, yc));
        if self.slice_of_ctb[cn] != self.slice_of_ctb[cc] {
            return false;
        }
        if cn != cc {
            return cn < cc;
        }
        let m = (1usize << (self.log2_ctb - 2)) - 1;
        morton((xn >> 2) & m, (yn >> 2) & m) < morton((xc >> 2) & m, (yc >> 2) & m)
    }
}

/// z-order index of a 4x4 unit inside its CTB.
#[inline]
fn morton(x: usize, y: usize) -> usize {
    let mut z = 0;
    for b in 0..4 {
        z |= ((x >> b) & 1) << (2 * b) | ((y >> b) & 1) << (2 * b + 1);
    }
    z
}

const CHROMA_QP_TABLE: [i32; 14] = [29, 30, 31, 32, 33, 33, 34, 34, 35, 35, 36, 36, 37, 37];

/// QpC of a chroma qPi (Table 8-10, 4:2:0).
pub fn chroma_qp(qpi: i32) -> i32 {
    if qpi < 30 {
        qpi
    } else if qpi <= 43 {
        CHROMA_QP_TABLE[(qpi - 30) as usize]
    } else {
        qpi - 6
    }
}

struct SliceDec<'a, 'b> {
    sps: &'a Sps,
    pps: &'a Pps,
    sh: &'a SliceHeader,
    st: &'b mut PicState,
    cabac: CabacDecoder<'a>,
    ctx: Contexts,
    // QP state
    qp_y: i32,
    qp_prev: i32,
    is_cu_qp_delta_coded: bool,
    cu_qp_delta_val: i32,
    qg: (usize, usize),
    qp_pred: i32,
    cu_transquant_bypass: bool,
    coeffs: Vec<i32>,
    tmp: Vec<i32>,
    res: Vec<i32>,
    /// With a trace: every bin outside residual_coding, in decoding order.
    log: Option<Vec<u8>>,
    /// With a trace: the block being reconstructed uses strong intra smoothing, its
    /// references pass the test.
    strong_now: bool,
    flat_now: bool,
}

type R<T> = Result<T, DecodeError>;

fn bad(m: &str) -> DecodeError {
    DecodeError::Invalid(m.to_string())
}

/// Decode the slice data of one slice segment into the picture.
pub fn decode_slice(rbsp: &[u8], sps: &Sps, pps: &Pps, sh: &SliceHeader, st: &mut PicState) -> R<()> {
    let start = sh.data_offset;
    if start >= rbsp.len() {
        return Err(DecodeError::Truncated("slice data"));
    }
    let log = st.trace.as_ref().map(|_| Vec::new());
    let mut d = SliceDec {
        sps,
        pps,
        sh,
        st,
        cabac: CabacDecoder::new(rbsp, start),
        ctx: Contexts::new(sh.qp),
        qp_y: sh.qp,
        qp_prev: sh.qp,
        is_cu_qp_delta_coded: false,
        cu_qp_delta_val: 0,
        qg: (0, 0),
        qp_pred: sh.qp,
        cu_transquant_bypass: false,
        coeffs: vec![0; 1024],
        tmp: vec![0; 1024],
        res: vec![0; 1024],
        log,
        strong_now: false,
        flat_now: false,
    };
    if !d.cabac.init_ok() {
        return Err(bad("CABAC offset initialized to 510 or 511 (9.3.2.5)"));
    }
    if d.log.is_some() {
        d.cabac.log = Some(Vec::new());
    }
    let n_ctbs = d.st.ctbs_w * d.st.ctbs_h;
    let mut addr = sh.address;
    let mut wpp_saved: Option<Contexts> = None;
    let mut substreams = 1;
    loop {
        if d.st.slice_of_ctb[addr] != usize::MAX {
            return Err(bad("CTB decoded twice (overlapping slices)"));
        }
        d.st.slice_of_ctb[addr] = sh.address;
        let (cx, cy) = (addr % d.st.ctbs_w, addr / d.st.ctbs_w);
        if pps.wpp && cx == 0 && addr != sh.address {
            // synchronize from the second CTB of the row above, if in this slice
            let t_avail = d.st.ctbs_w > 1 && d.st.slice_of_ctb[addr - d.st.ctbs_w + 1] == sh.address;
            d.ctx = if t_avail { wpp_saved.clone().ok_or_else(|| bad("WPP storage missing"))? } else { Contexts::new(sh.qp) };
        }
        if pps.wpp && cx == 0 {
            // first QG in a CTB row with WPP predicts from the slice QP
            d.qp_prev = sh.qp;
        }
        let log2 = d.st.log2_ctb;
        d.coding_quadtree(cx << log2, cy << log2, log2, 0)?;
        d.st.ctbs_decoded += 1;
        if pps.wpp && cx == 1 {
            wpp_saved = Some(d.ctx.clone());
        }
        let end = d.cabac.terminate();
        d.note(end);
        if d.cabac.overrun > 16 {
            return Err(DecodeError::Truncated("slice data"));
        }
        addr += 1;
        if end == 1 {
            d.st.bins += d.cabac.bins;
            d.cabac.finish().map_err(|m| if m.contains("truncated") { DecodeError::Truncated("slice data") } else { bad(m) })?;
            if let Some(mut l) = d.cabac.log.take() {
                l.push((3, 0, 0));
                d.st.cabac_bins.push(l);
            }
            break;
        }
        if addr >= n_ctbs {
            return Err(bad("slice data runs past the last CTB"));
        }
        if pps.wpp && addr % d.st.ctbs_w == 0 {
            let one = d.cabac.terminate();
            d.note(one);
            if one != 1 {
                return Err(bad("end_of_subset_one_bit is not 1"));
            }
            let next = d.cabac.finish().map_err(|m| if m.contains("truncated") { DecodeError::Truncated("slice data") } else { bad(m) })?;
            if next >= rbsp.len() {
                return Err(DecodeError::Truncated("slice data"));
            }
            d.st.bins += d.cabac.bins;
            let log = d.cabac.log.take().map(|mut l| {
                l.push((3, 0, 0));
                l
            });
            d.cabac = CabacDecoder::new(rbsp, next);
            d.cabac.log = log;
            if !d.cabac.init_ok() {
                return Err(bad("CABAC offset initialized to 510 or 511 (9.3.2.5)"));
            }
            substreams += 1;
        }
    }
    if pps.wpp && substreams != sh.num_entry_points + 1 {
        return Err(bad("number of WPP substreams disagrees with num_entry_point_offsets"));
    }
    if let Some(l) = d.log.take() {
        d.st.syntax_bins.push(l);
    }
    Ok(())
}

impl<'a, 'b> SliceDec<'a, 'b> {
    fn bin(&mut self, f: impl Fn(&mut Contexts) -> &mut Ctx) -> u32 {
        let c = f(&mut self.ctx);
        let b = self.cabac.decision(c);
        self.note(b);
        b
    }

    /// Log a bin outside residual_coding (traced decodes only).
    #[inline]
    fn note(&mut self, b: u32) {
        if let Some(l) = self.log.as_mut() {
            l.push(b as u8);
        }
    }

    fn byp(&mut self) -> u32 {
        let b = self.cabac.bypass();
        self.note(b);
        b
    }

    fn byp_bits(&mut self, n: u32) -> u32 {
        let mut v = 0;
        for _ in 0..n {
            v = (v << 1) | self.byp();
        }
        v
    }

    fn coding_quadtree(&mut self, x0: usize, y0: usize, log2: u32, depth: u32) -> R<()> {
        let size = 1usize << log2;
        let (w, h) = (self.sps.width, self.sps.height);
        let split = if x0 + size <= w && y0 + size <= h && log2 > self.sps.log2_min_cb {
            let mut inc = 0;
            if self.st.available(x0, y0, x0 as i32 - 1, y0 as i32) && (self.st.log2_ctb - self.st.cu_log2[self.st.unit(x0 - 1, y0)] as u32) > depth {
                inc += 1;
            }
            if self.st.available(x0, y0, x0 as i32, y0 as i32 - 1) && (self.st.log2_ctb - self.st.cu_log2[self.st.unit(x0, y0 - 1)] as u32) > depth {
                inc += 1;
            }
            self.bin(|c| &mut c.split_cu[inc]) == 1
        } else {
            log2 > self.sps.log2_min_cb
        };
        if self.pps.cu_qp_delta && log2 >= self.st.log2_ctb - self.pps.diff_cu_qp_delta_depth {
            self.is_cu_qp_delta_coded = false;
            self.cu_qp_delta_val = 0;
            self.start_qg(x0, y0);
        }
        if split {
            let hs = size / 2;
            for i in 0..4 {
                let (x, y) = (x0 + hs * (i & 1), y0 + hs * (i >> 1));
                if x < w && y < h {
                    self.coding_quadtree(x, y, log2 - 1, depth + 1)?;
                }
            }
            Ok(())
        } else {
            self.coding_unit(x0, y0, log2)
        }
    }

    /// qPY_PRED for the quantization group at (xq, yq) (8.6.1).
    fn start_qg(&mut self, xq: usize, yq: usize) {
        self.qg = (xq, yq);
        let cur_ctb = self.st.ctb_of(xq, yq);
        let qa = if self.st.available(xq, yq, xq as i32 - 1, yq as i32) && self.st.ctb_of(xq - 1, yq) == cur_ctb {
            self.st.qp[self.st.unit(xq - 1, yq)] as i32
        } else {
            self.qp_prev
        };
        let qb = if self.st.available(xq, yq, xq as i32, yq as i32 - 1) && self.st.ctb_of(xq, yq - 1) == cur_ctb {
            self.st.qp[self.st.unit(xq, yq - 1)] as i32
        } else {
            self.qp_prev
        };
        self.qp_pred = (qa + qb + 1) >> 1;
        self.qp_y = self.qp_pred;
    }

    fn set_qp(&mut self) {
        self.qp_y = ((self.qp_pred + self.cu_qp_delta_val + 52) % 52 + 52) % 52;
    }

    fn coding_unit(&mut self, x0: usize, y0: usize, log2: u32) -> R<()> {
        let size = 1usize << log2;
        self.cu_transquant_bypass = if self.pps.transquant_bypass { self.bin(|c| &mut c.transquant_bypass[0]) == 1 } else { false };
        let mut nxn = false;
        if log2 == self.sps.log2_min_cb {
            nxn = self.bin(|c| &mut c.part_mode[0]) == 0;
            if nxn && log2 <= self.sps.log2_min_tb {
                return Err(bad("NxN partition with CB at the minimum TB size"));
            }
        }
        if self.sps.pcm_enabled {
            // pcm_flag is present only for 2Nx2N with pcm size limits; a stream using
            // PCM is outside the subset.
            return Err(DecodeError::Unsupported("PCM".into()));
        }
        let npu = if nxn { 4 } else { 1 };
        let pb = if nxn { size / 2 } else { size };
        let mut prev = [false; 4];
        for p in prev.iter_mut().take(npu) {
            *p = self.bin(|c| &mut c.prev_intra_luma_pred[0]) == 1;
        }
        // set CU maps
        for y in (y0..y0 + size).step_by(4) {
            for x in (x0..x0 + size).step_by(4) {
                let k = self.st.unit(x, y);
                self.st.cu_log2[k] = log2 as u8;
            }
        }
        let mut modes = [0u8; 4];
        for i in 0..npu {
            let (x, y) = (x0 + pb * (i & 1), y0 + pb * (i >> 1));
            let a = if self.st.available(x, y, x as i32 - 1, y as i32) { self.st.mode[self.st.unit(x - 1, y)] } else { 1 };
            let ctb_top = (y >> self.st.log2_ctb) << self.st.log2_ctb;
            let b = if y > ctb_top && self.st.available(x, y, x as i32, y as i32 - 1) { self.st.mode[self.st.unit(x, y - 1)] } else { 1 };
            let mpm = predict::mpm_list(a, b);
            let m = if prev[i] {
                let idx = if self.byp() == 0 {
                    0
                } else if self.byp() == 0 {
                    1
                } else {
                    2
                };
                mpm[idx]
            } else {
                let mut m = self.byp_bits(5) as u8;
                let mut s = mpm;
                s.sort_unstable();
                for c in s {
                    if m >= c {
                        m += 1;
                    }
                }
                m
            };
            modes[i] = m;
            for yy in (y..y + pb).step_by(4) {
                for xx in (x..x + pb).step_by(4) {
                    let k = self.st.unit(xx, yy);
                    self.st.mode[k] = m;
                }
            }
        }
        let mut chroma_mode = 0;
        if self.sps.chroma_format_idc != 0 {
            let v = if self.bin(|c| &mut c.chroma_pred_mode[0]) == 0 { 4 } else { self.byp_bits(2) };
            let luma = modes[0];
            chroma_mode = match v {
                4 => luma,
                _ => {
                    let m = [0u8, 26, 10, 1][v as usize];
                    if m == luma {
                        34
                    } else {
                        m
                    }
                }
            };
        }
        self.transform_tree(x0, y0, x0, y0, log2, 0, 0, nxn, chroma_mode, [true, true])?;
        // the CU's QP (also for CUs without coded residual)
        for y in (y0..y0 + size).step_by(4) {
            for x in (x0..x0 + size).step_by(4) {
                let k = self.st.unit(x, y);
                self.st.qp[k] = self.qp_y as i8;
            }
        }
        self.qp_prev = self.qp_y;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn transform_tree(&mut self, x0: usize, y0: usize, xb: usize, yb: usize, log2: u32, depth: u32, blk: u32, nxn: bool, chroma_mode: u8, parent_cbf: [bool; 2]) -> R<()> {
        let max_depth = self.sps.max_tu_depth_intra + nxn as u32;
        let split = if log2 <= self.sps.log2_max_tb && log2 > self.sps.log2_min_tb && depth < max_depth && !(nxn && depth == 0) {
            self.bin(|c| &mut c.split_tu[5 - log2 as usize]) == 1
        } else {
            log2 > self.sps.log2_max_tb || (nxn && depth == 0)
        };
        let chroma = self.sps.chroma_format_idc != 0;
        let mut cbf_c = [false, false];
        if chroma && log2 > 2 {
            for (c, cbf) in cbf_c.iter_mut().enumerate() {
                if depth == 0 || parent_cbf[c] {
                    *cbf = self.bin(|cx| &mut cx.cbf_chroma[depth as usize]) == 1;
                }
            }
        } else if chroma {
            // 4x4 luma: chroma cbfs inherited from the parent level
            cbf_c = parent_cbf;
        }
        if split {
            let hs = 1usize << (log2 - 1);
            for i in 0..4u32 {
                self.transform_tree(x0 + hs * (i as usize & 1), y0 + hs * (i as usize >> 1), x0, y0, log2 - 1, depth + 1, i, nxn, chroma_mode, cbf_c)?;
            }
            return Ok(());
        }
        // intra CUs always signal cbf_luma
        let cbf_luma = self.bin(|c| &mut c.cbf_luma[if depth == 0 { 1 } else { 0 }]) == 1;
        // transform_unit
        let chroma_here = chroma && (log2 > 2 || blk == 3);
        let any_chroma = chroma_here && (cbf_c[0] || cbf_c[1]);
        if (cbf_luma || any_chroma) && self.pps.cu_qp_delta && !self.is_cu_qp_delta_coded {
            let mut v = 0u32;
            while v < 5 && self.bin(|c| &mut c.cu_qp_delta[if v == 0 { 0 } else { 1 }]) == 1 {
                v += 1;
            }
            if v == 5 {
                // EG0 suffix
                let mut k = 0;
                while self.byp() == 1 {
                    k += 1;
                    if k > 16 {
                        return Err(bad("cu_qp_delta_abs too long"));
                    }
                }
                v += ((1u32 << k) - 1) + self.byp_bits(k);
            }
            let mut delta = v as i32;
            if v > 0 && self.byp() == 1 {
                delta = -delta;
            }
            if !(-26..=25).contains(&delta) {
                return Err(bad("CuQpDeltaVal out of range"));
            }
            self.is_cu_qp_delta_coded = true;
            self.cu_qp_delta_val = delta;
            self.set_qp();
        }
        // luma
        let luma_mode = self.st.mode[self.st.unit(x0, y0)];
        self.recon_block(0, x0, y0, log2, luma_mode, cbf_luma)?;
        if chroma_here {
            let (xc, yc, log2c) = if log2 > 2 { (x0 / 2, y0 / 2, log2 - 1) } else { (xb / 2, yb / 2, 2) };
            for c in 0..2 {
                self.recon_block(c as u32 + 1, xc, yc, log2c, chroma_mode, cbf_c[c])?;
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn record(&mut self, c_idx: u32, x: usize, y: usize, log2: u32, mode: u8, qp: i32, cbf: bool, levels: Vec<(u16, i32)>) {
        let r = super::TuRecord {
            picture: self.st.picture,
            c_idx: c_idx as u8,
            x: x as u16,
            y: y as u16,
            log2: log2 as u8,
            mode,
            qp: qp as u8,
            bypass: self.cu_transquant_bypass,
            cbf,
            levels,
            strong: self.strong_now,
            flat: self.flat_now,
        };
        if let Some(t) = self.st.trace.as_mut() {
            t.push(r);
        }
    }

    /// Predict, parse residual (if cbf), reconstruct one block of component c_idx at
    /// (x, y) in that component's coordinates.
    fn recon_block(&mut self, c_idx: u32, x: usize, y: usize, log2: u32, mode: u8, cbf: bool) -> R<()> {
        let n = 1usize << log2;
        let (plane_w, unit) = if c_idx == 0 { (self.st.pic.width, 4) } else { (self.st.pic.width / 2, 2) };
        let sub = if c_idx == 0 { 1 } else { 2 };
        let (xl, yl) = (x * sub, y * sub);
        let refs = {
            let st = &*self.st;
            let plane = st.pic.plane(c_idx);
            predict::gather(plane, plane_w, x, y, n, unit, |xn, yn| st.available(xl, yl, xn * sub as i32, yn * sub as i32))
        };
        let mut pred = [0i32; 1024];
        self.flat_now = c_idx == 0 && self.st.trace.is_some() && predict::strong_applies(&refs, n, self.sps.strong_intra_smoothing);
        self.strong_now = false;
        if c_idx == 0 && predict::filter_flag(mode, n) {
            self.strong_now = self.flat_now;
            let f = predict::filter(&refs, n, self.sps.strong_intra_smoothing);
            predict::predict(&f, n, mode, true, &mut pred);
        } else {
            predict::predict(&refs, n, mode, c_idx == 0, &mut pred);
        }
        let mut have_res = false;
        let qp_now = if c_idx == 0 {
            self.qp_y
        } else {
            let off = if c_idx == 1 { self.sh.cb_qp_offset } else { self.sh.cr_qp_offset };
            chroma_qp((self.qp_y + off).clamp(0, 57))
        };
        if cbf {
            let scan_idx = scan_idx_for(log2, c_idx, mode, false);
            let ts_allowed = self.pps.transform_skip && !self.cu_transquant_bypass;
            let sdh = self.pps.sign_data_hiding && !self.cu_transquant_bypass;
            let nn = n * n;
            let ts = parse_residual(&mut self.cabac, &mut self.ctx, log2, c_idx, scan_idx, sdh, ts_allowed, &mut self.coeffs[..nn])?;
            if self.st.trace.is_some() {
                let st = scan_table(log2, scan_idx);
                let levels = st.iter().rev().filter(|&&r| self.coeffs[r as usize] != 0).map(|&r| (r, self.coeffs[r as usize])).collect();
                self.record(c_idx, x, y, log2, mode, qp_now, true, levels);
            }
            have_res = true;
            if self.cu_transquant_bypass {
                self.res[..nn].copy_from_slice(&self.coeffs[..nn]);
            } else {
                dequantize(&self.coeffs[..nn], log2, qp_now as u8, &mut self.tmp[..nn]);
                if ts {
                    // transform skip (4x4): r = d << 7, then (r + 2^11) >> 12
                    for i in 0..nn {
                        self.res[i] = ((self.tmp[i] << 7) + 2048) >> 12;
                    }
                } else {
                    inverse(&self.tmp[..nn], n, c_idx == 0 && n == 4, &mut self.res[..nn]);
                }
            }
        }
        if !cbf && self.st.trace.is_some() {
            self.record(c_idx, x, y, log2, mode, qp_now, false, Vec::new());
        }
        let plane = self.st.pic.plane_mut(c_idx);
        for yy in 0..n {
            let row = (y + yy) * plane_w + x;
            for xx in 0..n {
                let v = pred[yy * n + xx] + if have_res { self.res[yy * n + xx] } else { 0 };
                plane[row + xx] = v.clamp(0, 255) as u8;
            }
        }
        Ok(())
    }
}

/// residual_coding() (7.3.8.11) of one TU: parses the levels into `coeffs` (raster,
/// `(1 << log2)^2` entries, zeroed first) and returns transform_skip_flag.
/// `sign_hiding` and `ts_allowed` are the PPS flags already combined with
/// cu_transquant_bypass. Public so that the RTL residual parser (hw `res_dec`) is
/// checked against exactly this code.
#[allow(clippy::too_many_arguments)]
pub fn parse_residual(cabac: &mut CabacDecoder, ctx: &mut Contexts, log2: u32, c_idx: u32, scan_idx: u32, sign_hiding: bool, ts_allowed: bool, coeffs: &mut [i32]) -> R<bool> {
    let n = 1usize << log2;
    let nn = n * n;
    coeffs[..nn].iter_mut().for_each(|c| *c = 0);
    let mut ts = false;
    if ts_allowed && log2 <= 2 {
        ts = cabac.decision(&mut ctx.transform_skip[if c_idx == 0 { 0 } else { 1 }]) == 1;
    }
    let (off, shift) = last_ctx_offset_shift(log2, c_idx);
    let cmax = (log2 << 1) - 1;
    let mut prefix = [0u32; 2];
    for (k, p) in prefix.iter_mut().enumerate() {
        while *p < cmax {
            let ci = off + (*p >> shift) as usize;
            let b = if k == 0 { cabac.decision(&mut ctx.last_x[ci]) } else { cabac.decision(&mut ctx.last_y[ci]) };
            if b == 0 {
                break;
            }
            *p += 1;
        }
    }
    let mut pos = [0usize; 2];
    for k in 0..2 {
        let p = prefix[k];
        pos[k] = if p > 3 {
            let bits = (p >> 1) - 1;
            MIN_IN_GROUP[p as usize] as usize + cabac.bypass_bits(bits) as usize
        } else {
            p as usize
        };
    }
    let (mut lx, mut ly) = (pos[0], pos[1]);
    if scan_idx == 2 {
        std::mem::swap(&mut lx, &mut ly);
    }
    if lx >= n || ly >= n {
        return Err(bad("last significant coefficient outside the block"));
    }
    let scan = scan_table(log2, scan_idx);
    let last_raster = (ly * n + lx) as u16;
    let last_pos = scan.iter().position(|&r| r == last_raster).ok_or_else(|| bad("last position"))?;
    let sbw = n / 4;
    let sb_scan = crate::residual::scan_order_cached(sbw, scan_idx);
    let sig_tab_all = crate::residual::sig_ctx_table(log2, c_idx, scan_idx);
    let inner = crate::residual::inner_raster(scan_idx);
    let mut csbf = [0u8; 64];
    let last_sb = last_pos >> 4;
    let mut g1 = crate::residual::Greater1State::default();
    for i in (0..=last_sb).rev() {
        let (xs, ys) = (sb_scan[i].0 as usize, sb_scan[i].1 as usize);
        let sub = i * 16;
        let right = if xs + 1 < sbw { csbf[ys * sbw + xs + 1] } else { 0 } as u32;
        let below = if ys + 1 < sbw { csbf[(ys + 1) * sbw + xs] } else { 0 } as u32;
        let mut infer_dc = false;
        if i < last_sb && i > 0 {
            let ci = (right + below).min(1) as usize + if c_idx > 0 { 2 } else { 0 };
            let f = cabac.decision(&mut ctx.csbf[ci]);
            csbf[ys * sbw + xs] = f as u8;
            infer_dc = f == 1;
        } else {
            csbf[ys * sbw + xs] = 1;
        }
        if csbf[ys * sbw + xs] == 0 {
            continue;
        }
        let prev = right | (below << 1);
        let sig_tab = &sig_tab_all[(prev * 2) as usize + (i == 0) as usize];
        let mut sig_pos = [0u8; 16];
        let mut nsig = 0;
        let start: i32 = if i == last_sb {
            sig_pos[0] = (last_pos & 15) as u8;
            nsig = 1;
            (last_pos & 15) as i32 - 1
        } else {
            15
        };
        for k in (0..=start).rev() {
            if k == 0 && infer_dc {
                sig_pos[nsig] = 0;
                nsig += 1;
                continue;
            }
            let ci = sig_tab[inner[k as usize] as usize] as usize;
            if cabac.decision(&mut ctx.sig[ci]) == 1 {
                sig_pos[nsig] = k as u8;
                nsig += 1;
                infer_dc = false;
            }
        }
        if nsig == 0 {
            continue;
        }
        let ctx_set = g1.begin_subblock(i, c_idx);
        let mut abs = [1u32; 16];
        let mut first_g2: i32 = -1;
        for (j, a) in abs.iter_mut().enumerate().take(nsig.min(8)) {
            let ci = g1.ctx(ctx_set, c_idx);
            let gt1 = cabac.decision(&mut ctx.gt1[ci]) == 1;
            g1.update(gt1);
            if gt1 {
                *a = 2;
                if first_g2 < 0 {
                    first_g2 = j as i32;
                }
            }
        }
        if first_g2 >= 0 {
            let ci = ctx_set + if c_idx > 0 { 4 } else { 0 };
            if cabac.decision(&mut ctx.gt2[ci]) == 1 {
                abs[first_g2 as usize] = 3;
            }
        }
        let sign_hidden = sign_hiding && (sig_pos[0] as i32 - sig_pos[nsig - 1] as i32) > 3;
        let nsign = if sign_hidden { nsig - 1 } else { nsig };
        let signs = cabac.bypass_bits(nsign as u32);
        let mut rice = 0u32;
        let mut first_coeff2 = 1u32;
        let mut sum_abs: u64 = 0;
        for j in 0..nsig {
            let base = if j < 8 { 2 + first_coeff2 } else { 1 };
            let a = if abs[j] >= base {
                let rem = coeff_abs_level_remaining(cabac, rice)?;
                let v = base as u64 + rem as u64;
                if v > 32768 {
                    return Err(bad("coefficient level out of range"));
                }
                rice = crate::residual::next_rice(rice, v);
                v as u32
            } else {
                abs[j]
            };
            if a >= 2 {
                first_coeff2 = 0;
            }
            abs[j] = a;
            sum_abs += a as u64;
        }
        for j in 0..nsig {
            let r = scan[sub + sig_pos[j] as usize] as usize;
            let neg = if j < nsign {
                (signs >> (nsign - 1 - j)) & 1 == 1
            } else {
                // hidden sign of the first (lowest-frequency) coefficient
                sum_abs % 2 == 1
            };
            let v = abs[j] as i32;
            if !neg && v > 32767 {
                // TransCoeffLevel is constrained to -32768..32767 (7.4.9.11)
                return Err(bad("coefficient level out of range"));
            }
            coeffs[r] = if neg { -v } else { v };
        }
    }
    Ok(ts)
}

fn coeff_abs_level_remaining(cabac: &mut CabacDecoder, rice: u32) -> R<u32> {
    let mut prefix = 0u32;
    while cabac.bypass() == 1 {
        prefix += 1;
        if prefix > 32 {
            return Err(bad("coeff_abs_level_remaining prefix too long"));
        }
    }
    if prefix <= 3 {
        Ok((prefix << rice) + cabac.bypass_bits(rice))
    } else {
        let k = prefix - 3 + rice; // suffix length
        if k > 24 {
            return Err(bad("coeff_abs_level_remaining too large"));
        }
        let suffix = cabac.bypass_bits(k);
        Ok((((1u32 << (prefix - 3)) + 3 - 1) << rice) + suffix)
    }
}
