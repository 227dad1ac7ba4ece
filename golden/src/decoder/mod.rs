//! HEVC Main-profile intra decoder (the decoder half of golden/).
//!
//! Decodes 8-bit 4:2:0 and 4:0:0 intra-only streams: parameter sets, slice headers,
//! CABAC with all intra contexts, CU/TU quadtrees, 35 intra modes with filtering and
//! strong intra smoothing, DST/DCT 4..32, dequantization with cu_qp_delta, sign data
//! hiding, transform skip, cu_transquant_bypass, multiple slices and WPP. Streams that
//! use other tools (inter slices, deblocking, SAO, scaling lists, PCM, tiles, 10-bit,
//! 4:2:2/4:4:4) are rejected with `DecodeError::Unsupported` naming the tool. Any byte
//! string gives a picture or an error: no panics, header fields are range-checked
//! before they size an allocation, and every loop is bounded.

pub mod bits;
pub mod cabac;
pub mod ps;
pub mod slice;

use bits::BitReader;
use ps::{Pps, Sps};

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum DecodeError {
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("invalid stream: {0}")]
    Invalid(String),
    #[error("truncated stream: {0} ends early")]
    Truncated(&'static str),
    #[error("no pictures in the stream")]
    Empty,
}

/// A decoded picture: luma and (for 4:2:0) two chroma planes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Picture {
    pub width: usize,
    pub height: usize,
    pub chroma_format_idc: u32,
    pub y: Vec<u8>,
    pub cb: Vec<u8>,
    pub cr: Vec<u8>,
}

impl Picture {
    pub fn new(width: usize, height: usize, chroma_format_idc: u32) -> Self {
        let c = if chroma_format_idc == 1 { (width / 2) * (height / 2) } else { 0 };
        Picture { width, height, chroma_format_idc, y: vec![0; width * height], cb: vec![128; c], cr: vec![128; c] }
    }

    pub fn plane(&self, c: u32) -> &[u8] {
        match c {
            0 => &self.y,
            1 => &self.cb,
            _ => &self.cr,
        }
    }

    pub fn plane_mut(&mut self, c: u32) -> &mut [u8] {
        match c {
            0 => &mut self.y,
            1 => &mut self.cb,
            _ => &mut self.cr,
        }
    }

    /// The picture cropped to a conformance window (luma offsets left, right, top,
    /// bottom; even for 4:2:0).
    pub fn cropped(self, win: [usize; 4]) -> Picture {
        if win == [0; 4] {
            return self;
        }
        let (w, h) = (self.width - win[0] - win[1], self.height - win[2] - win[3]);
        let crop = |p: &[u8], pw: usize, x0: usize, y0: usize, cw: usize, ch: usize| -> Vec<u8> {
            let mut v = Vec::with_capacity(cw * ch);
            for y in y0..y0 + ch {
                v.extend_from_slice(&p[y * pw + x0..y * pw + x0 + cw]);
            }
            v
        };
        let y = crop(&self.y, self.width, win[0], win[2], w, h);
        let (cb, cr) = if self.chroma_format_idc == 1 {
            let pw = self.width / 2;
            (crop(&self.cb, pw, win[0] / 2, win[2] / 2, w / 2, h / 2), crop(&self.cr, pw, win[0] / 2, win[2] / 2, w / 2, h / 2))
        } else {
            (Vec::new(), Vec::new())
        };
        Picture { width: w, height: h, chroma_format_idc: self.chroma_format_idc, y, cb, cr }
    }

    /// Planar YUV bytes (luma only for 4:0:0).
    pub fn to_yuv(&self) -> Vec<u8> {
        let mut v = self.y.clone();
        v.extend_from_slice(&self.cb);
        v.extend_from_slice(&self.cr);
        v
    }
}

/// Decode every picture of an Annex-B stream, in decoding order.
pub fn decode(data: &[u8]) -> Result<Vec<Picture>, DecodeError> {
    decode_inner(data, None)
}

/// One transform block as the decoder parsed it (the RTL syntax decoder's scoreboard
/// reference): position and size in its component, the prediction mode, QP, whether
/// it had a coded residual, and its non-zero levels in decoding order (descending scan
/// position) with their raster positions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TuRecord {
    pub picture: u32,
    pub c_idx: u8,
    pub x: u16,
    pub y: u16,
    pub log2: u8,
    pub mode: u8,
    pub qp: u8,
    pub bypass: bool,
    pub cbf: bool,
    pub levels: Vec<(u16, i32)>,
    /// The block's references went through strong intra smoothing (32x32 luma).
    pub strong: bool,
    /// The block's references pass the strong intra smoothing test (32x32 luma, the SPS
    /// flag, both sides flat): any mode that filters would smooth them strongly (what an
    /// encoder's probes of other modes see).
    pub flat: bool,
}

/// What [`decode_traced`] returns.
#[derive(Clone, Debug)]
pub struct Traced {
    pub pictures: Vec<Picture>,
    /// Every transform block, in decoding order.
    pub records: Vec<TuRecord>,
    /// CABAC bins of all slices.
    pub bins: u64,
    /// Per slice segment in decoding order: the bins outside residual_coding (coding
    /// quadtree, coding unit, transform tree flags, end_of_slice_segment_flag,
    /// end_of_subset_one_bit), in decoding order: what a syntax decoder asks its engine
    /// for besides the residuals.
    pub syntax_bins: Vec<Vec<u8>>,
    /// Per slice segment in decoding order: every bin (kind 0 decision with the context
    /// state {valMps, pStateIdx} before it, 1 bypass, 2 terminate; the bin; the state)
    /// and a kind-3 entry at the end of each substream: the requests an encoder's
    /// arithmetic engine got (the encoder core's cycle model, `area_energy::enc_cycles`,
    /// encodes them again to find where bytes come out).
    pub cabac_bins: Vec<Vec<(u8, u8, u8)>>,
}

/// [`decode`], also returning every transform block's [`TuRecord`] in decoding order
/// and the number of bins decoded.
pub fn decode_traced(data: &[u8]) -> Result<Traced, DecodeError> {
    let mut trace = Vec::new();
    let mut bins = 0u64;
    let mut syntax_bins = Vec::new();
    let mut cabac_bins = Vec::new();
    let pictures = decode_inner(data, Some(Trace { records: &mut trace, bins: &mut bins, syntax_bins: &mut syntax_bins, cabac_bins: &mut cabac_bins }))?;
    Ok(Traced { pictures, records: trace, bins, syntax_bins, cabac_bins })
}

/// A slice segment as the host hands it to the RTL decoder core: its parameter sets
/// and header parsed (the core decodes slice data only), and its RBSP (emulation
/// prevention removed; slice data from `header.data_offset`).
#[derive(Clone, Debug)]
pub struct SliceUnit {
    pub picture: u32,
    pub sps: Sps,
    pub pps: Pps,
    pub header: ps::SliceHeader,
    pub rbsp: Vec<u8>,
}

/// The slice segments of an Annex-B stream with their parsed headers, in decoding
/// order (headers are checked as [`decode`] checks them; slice data is not decoded).
pub fn slices(data: &[u8]) -> Result<Vec<SliceUnit>, DecodeError> {
    let mut out: Vec<SliceUnit> = Vec::new();
    let mut picture = 0u32;
    walk(data, |sps, pps, sh, rbsp, _| {
        if sh.first_in_pic && !out.is_empty() {
            picture += 1;
        }
        out.push(SliceUnit { picture, sps: sps.clone(), pps: pps.clone(), header: sh, rbsp });
        Ok(())
    })?;
    Ok(out)
}

/// Walk the NAL units of an Annex-B stream: parameter sets are parsed and kept, every
/// slice segment's header parsed against them and handed to `on_slice` with its SPS,
/// PPS, RBSP and the PPS table; other NAL types (VPS, AUD, EOS, EOB, filler, SEI,
/// reserved) are ignored (7.4.2.2), as are layers other than 0.
fn walk(data: &[u8], mut on_slice: impl FnMut(&Sps, &Pps, ps::SliceHeader, Vec<u8>, &[Option<Pps>]) -> Result<(), DecodeError>) -> Result<(), DecodeError> {
    let mut spss: Vec<Option<Sps>> = vec![None; 16];
    let mut ppss: Vec<Option<Pps>> = vec![None; 64];
    for nal in bits::split_annexb(data) {
        if nal.len() < 2 {
            return Err(DecodeError::Invalid("NAL unit shorter than its header".into()));
        }
        if nal[0] & 0x80 != 0 {
            return Err(DecodeError::Invalid("forbidden_zero_bit set".into()));
        }
        let nal_type = (nal[0] >> 1) & 0x3f;
        let layer = ((nal[0] & 1) << 5) | (nal[1] >> 3);
        if layer != 0 {
            continue;
        }
        let rbsp = bits::unescape(&nal[2..]);
        let mut r = BitReader::new(&rbsp);
        match nal_type {
            33 => {
                let s = ps::parse_sps(&mut r)?;
                let id = s.id as usize;
                spss[id] = Some(s);
            }
            34 => {
                let p = ps::parse_pps(&mut r)?;
                let id = p.id as usize;
                ppss[id] = Some(p);
            }
            0..=9 | 16..=21 => {
                let sh = ps::parse_slice_header(&mut r, nal_type, &spss, &ppss)?;
                let pps = ppss[sh.pps_id as usize].as_ref().expect("checked by the slice header parser");
                let sps = spss[pps.sps_id as usize].as_ref().expect("checked by the slice header parser");
                on_slice(sps, pps, sh, rbsp, &ppss)?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Where a traced decode puts what it saw.
struct Trace<'a> {
    records: &'a mut Vec<TuRecord>,
    bins: &'a mut u64,
    syntax_bins: &'a mut Vec<Vec<u8>>,
    cabac_bins: &'a mut Vec<Vec<(u8, u8, u8)>>,
}

fn decode_inner(data: &[u8], mut trace: Option<Trace>) -> Result<Vec<Picture>, DecodeError> {
    let mut out = Vec::new();
    // the picture being decoded, its PPS id, and its conformance window
    let mut cur: Option<(slice::PicState, u32, [usize; 4])> = None;
    let finish = |cur: &mut Option<(slice::PicState, u32, [usize; 4])>, out: &mut Vec<Picture>| -> Result<(), DecodeError> {
        if let Some((st, _, win)) = cur.take() {
            if st.ctbs_decoded != st.ctbs_w * st.ctbs_h {
                return Err(DecodeError::Truncated("picture (slices missing)"));
            }
            out.push(st.pic.cropped(win));
        }
        Ok(())
    };
    walk(data, |sps, pps, sh, rbsp, ppss| {
        if sh.first_in_pic {
            finish(&mut cur, &mut out)?;
            cur = Some((slice::PicState::new(sps), sh.pps_id, sps.conf_win));
            if let (Some((st, _, _)), Some(_)) = (cur.as_mut(), trace.as_ref()) {
                st.trace = Some(Vec::new());
                st.picture = out.len() as u32;
            }
        }
        let Some((st, pps_id, _)) = cur.as_mut() else {
            return Err(DecodeError::Invalid("slice segment without a first slice of its picture".into()));
        };
        if *pps_id != sh.pps_id {
            let old = ppss[*pps_id as usize].as_ref().map(|p| p.sps_id);
            if old != Some(pps.sps_id) {
                return Err(DecodeError::Invalid("slices of one picture refer to different SPSs".into()));
            }
        }
        if st.pic.width != sps.width || st.pic.height != sps.height {
            return Err(DecodeError::Invalid("slice does not match its picture's size".into()));
        }
        slice::decode_slice(&rbsp, sps, pps, &sh, st)?;
        if let (Some(t), Some(st_t)) = (trace.as_mut(), st.trace.as_mut()) {
            t.records.append(st_t);
            *t.bins += std::mem::take(&mut st.bins);
            t.syntax_bins.append(&mut st.syntax_bins);
            t.cabac_bins.append(&mut st.cabac_bins);
        }
        Ok(())
    })?;
    finish(&mut cur, &mut out)?;
    if out.is_empty() {
        return Err(DecodeError::Empty);
    }
    Ok(out)
}
