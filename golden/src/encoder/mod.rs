//! The HEVC intra encoder: parameter sets, then per frame the slices (one IDR picture
//! per frame), CTUs in raster order with WPP substreams and entry points, decisions by
//! the configured strategy ([`search`]), and the syntax writer ([`syntax`]).

pub mod frame;
pub mod rdoq;
pub mod search;
pub mod syntax;

use crate::bitstream::{self, nal_type};
use crate::cabac::{BinSink, CabacEncoder, Contexts};
use crate::config::{ChromaFormat, Params, StrategyKind};
use frame::FrameState;

/// Encoder errors (bad input; the configuration is validated too).
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("frame size {w}x{h}: sides must be multiples of 8, at least {min} and at most 8192")]
    FrameSize { w: usize, h: usize, min: usize },
    #[error("frame {index} has {got} samples, expected {want}")]
    FrameLength { index: usize, got: usize, want: usize },
    #[error("{qps} QPs given for {frames} frames")]
    QpCount { qps: usize, frames: usize },
    #[error("QP {0} out of range 0..=51")]
    Qp(u8),
    #[error("hardware strategy: hw.cu_size {cu} is larger than bitstream.max_tu_size {tu}")]
    HwCuTu { cu: u32, tu: u32 },
    #[error("no frames to encode")]
    NoFrames,
}

/// Statistics of one encoded frame.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct FrameStats {
    pub qp: u8,
    pub bytes: usize,
    pub bins: u64,
    pub slices: usize,
    pub substreams: usize,
    /// Luma TUs coded with transform_skip_flag = 1.
    pub transform_skip_tus: u64,
}

/// An encoded sequence: the Annex-B stream and the encoder's reconstruction.
#[derive(Clone, Debug)]
pub struct Encoded {
    pub annexb: Vec<u8>,
    /// Reconstructed luma planes, one per frame.
    pub recon: Vec<Vec<u8>>,
    pub frames: Vec<FrameStats>,
}

/// Slice start CTU addresses (documented rule: `ctus_per_slice` CTUs per slice; with
/// WPP a slice that starts inside a CTU row also ends at that row's end, as the
/// standard requires).
pub fn slice_starts(n_ctus: usize, ctus_w: usize, ctus_per_slice: u32, wpp: bool) -> Vec<usize> {
    let mut starts = vec![0];
    if ctus_per_slice == 0 {
        return starts;
    }
    let mut a = 0;
    loop {
        let mut end = a + ctus_per_slice as usize;
        if wpp && a % ctus_w != 0 {
            end = end.min((a / ctus_w + 1) * ctus_w);
        }
        if end >= n_ctus {
            return starts;
        }
        starts.push(end);
        a = end;
    }
}

/// Check a frame geometry against the profile.
pub fn check_geometry(p: &Params, w: usize, h: usize) -> Result<(), EncodeError> {
    let min = match p.bitstream.chroma {
        ChromaFormat::Yuv420 => 144,
        ChromaFormat::Yuv400 => 8,
    };
    if w % 8 != 0 || h % 8 != 0 || w < min || h < min || w > 8192 || h > 8192 {
        return Err(EncodeError::FrameSize { w, h, min });
    }
    Ok(())
}

/// Encode luma frames (`w`x`h`, 8-bit) as one HEVC stream, each frame an IDR
/// picture coded at its QP.
pub fn encode(p: &Params, w: usize, h: usize, frames: &[Vec<u8>], qps: &[u8]) -> Result<Encoded, EncodeError> {
    p.validate()?;
    check_geometry(p, w, h)?;
    if frames.is_empty() {
        return Err(EncodeError::NoFrames);
    }
    if qps.len() != frames.len() {
        return Err(EncodeError::QpCount { qps: qps.len(), frames: frames.len() });
    }
    if p.encoder.strategy == StrategyKind::Hw && p.encoder.hw.cu_size > p.bitstream.max_tu_size {
        return Err(EncodeError::HwCuTu { cu: p.encoder.hw.cu_size, tu: p.bitstream.max_tu_size });
    }
    for (i, f) in frames.iter().enumerate() {
        if f.len() != w * h {
            return Err(EncodeError::FrameLength { index: i, got: f.len(), want: w * h });
        }
    }
    if let Some(&q) = qps.iter().find(|&&q| q > 51) {
        return Err(EncodeError::Qp(q));
    }
    let mut out = Vec::new();
    bitstream::push_nal(&mut out, nal_type::VPS, &bitstream::vps(&p.bitstream, w as u32, h as u32));
    bitstream::push_nal(&mut out, nal_type::SPS, &bitstream::sps(&p.bitstream, w as u32, h as u32));
    let bypass = p.encoder.lossless_qp0 && qps.contains(&0);
    bitstream::push_nal(&mut out, nal_type::PPS, &bitstream::pps(&p.bitstream, bypass));
    let mut recon = Vec::with_capacity(frames.len());
    let mut stats = Vec::with_capacity(frames.len());
    for (f, &qp) in frames.iter().zip(qps) {
        let (r, s) = encode_frame(p, w, h, f, qp, bypass, &mut out);
        recon.push(r);
        stats.push(s);
    }
    Ok(Encoded { annexb: out, recon, frames: stats })
}

/// Encode one frame as an IDR picture, appending its slice NAL units to `out`.
/// `bypass`: the PPS enables cu_transquant_bypass (the frame is lossless if its QP is 0).
pub fn encode_frame(p: &Params, w: usize, h: usize, orig: &[u8], qp: u8, bypass: bool, out: &mut Vec<u8>) -> (Vec<u8>, FrameStats) {
    let ctu = p.bitstream.ctu_size as usize;
    let (cw, ch) = (w.div_ceil(ctu), h.div_ceil(ctu));
    let n_ctus = cw * ch;
    let wpp = p.bitstream.wpp;
    let per_slice = match p.bitstream.slice_rows {
        0 => p.bitstream.ctus_per_slice,
        rows => rows * cw as u32,
    };
    let starts = slice_starts(n_ctus, cw, per_slice, wpp);
    let mut slice_of_ctu = vec![0u32; n_ctus];
    for (i, &s) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(n_ctus);
        slice_of_ctu[s..end].iter_mut().for_each(|v| *v = i as u32);
    }
    let mut st = FrameState::new(p, w, h, orig, qp, slice_of_ctu);
    st.bypass_enabled = bypass;
    st.lossless = bypass && qp == 0;
    let before = out.len();
    let mut stats = FrameStats { qp, slices: starts.len(), ..Default::default() };
    let mut lv = vec![0i32; 1024];
    let mut ctx = Contexts::new(qp as i32);
    let mut wpp_saved: Option<Contexts> = None;
    let mut enc = CabacEncoder::new();
    let mut substreams: Vec<Vec<u8>> = Vec::new();
    let mut slice_idx = 0;
    for addr in 0..n_ctus {
        let (cx, cy) = (addr % cw, addr / cw);
        let (x0, y0) = (cx * ctu, cy * ctu);
        if addr == starts[slice_idx] {
            ctx = Contexts::new(qp as i32);
        } else if wpp && cx == 0 {
            // sync from the CTU above-right (the second CTU of the row above)
            let t_avail = cw > 1 && st.slice_of_ctu[addr - cw + 1] == st.slice_of_ctu[addr];
            ctx = if t_avail { wpp_saved.clone().expect("WPP storage") } else { Contexts::new(qp as i32) };
        }
        match p.encoder.strategy {
            StrategyKind::Hw => search::hw_ctu(&mut st, x0, y0),
            StrategyKind::Rd => search::rd_ctu(&mut st, &ctx, x0, y0),
        }
        syntax::code_quadtree(&mut enc, &mut ctx, &st, x0, y0, st.log2_ctu, 0, &mut lv);
        if wpp && cx == 1 {
            wpp_saved = Some(ctx.clone());
        }
        let slice_end = starts.get(slice_idx + 1).copied().unwrap_or(n_ctus);
        let last_in_slice = addr + 1 == slice_end;
        enc.terminate(last_in_slice as u32); // end_of_slice_segment_flag
        if last_in_slice {
            stats.bins += enc.bins;
            substreams.push(std::mem::take(&mut enc).finish());
            stats.substreams += substreams.len();
            bitstream::slice_nal(out, &p.bitstream, n_ctus as u32, starts[slice_idx] as u32, qp, &substreams);
            substreams.clear();
            slice_idx += 1;
        } else if wpp && (addr + 1) % cw == 0 {
            enc.terminate(1); // end_of_subset_one_bit
            stats.bins += enc.bins;
            substreams.push(std::mem::take(&mut enc).finish());
        }
    }
    stats.bytes = out.len() - before;
    stats.transform_skip_tus = st.ts.iter().filter(|&&t| t).count() as u64;
    (st.recon, stats)
}
