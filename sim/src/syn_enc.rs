//! Testbench of `syn_enc`, the encoder core's slice-data writer: a stream of golden's
//! encoder is taken apart by golden's decoder into slice commands and the coding-unit
//! decisions (`decode_traced`'s luma records: position, size, intra mode, cbf and
//! levels); the RTL writes each slice's data from them, and the scoreboard compares
//! every byte with golden's slice data after emulation prevention (and that escaping
//! the data alone equals the NAL unit's tail), the last-byte flag, and the number of
//! substreams (WPP rows) with the slice header's entry points.

use golden::decoder::SliceUnit;

use crate::model::{Model, SimError};
use crate::tb::Rng;

/// One coding unit as the search hands it to the writer.
#[derive(Clone, Debug)]
pub struct CuRec {
    pub x: u32,
    pub y: u32,
    pub log2: u32,
    pub mode: u8,
    pub cbf: bool,
    /// Raster levels (N x N) when `cbf`.
    pub levels: Vec<i32>,
}

/// One slice segment: the command, its CUs, golden's escaped slice data.
#[derive(Clone, Debug)]
pub struct EncSlice {
    /// Values of the `sl_*` ports, in [`SL_PORTS`] order.
    pub fields: Vec<u64>,
    pub cus: Vec<CuRec>,
    pub expected: Vec<u8>,
    pub substreams: usize,
    /// Picture (decode order), strong_intra_smoothing_enabled_flag, log2 CTB size: what
    /// the encoder core needs beside the writer's fields.
    pub picture: u32,
    pub strong: bool,
    pub log2ctb: u32,
}

/// The slice command's ports.
pub const SL_PORTS: [&str; 15] = [
    "sl_w", "sl_h", "sl_ctbx", "sl_ctby", "sl_addr", "sl_end", "sl_wctb", "sl_qp", "sl_sdh", "sl_tqb", "sl_byp", "sl_chroma", "sl_maxtb", "sl_tudepth", "sl_wpp",
];
const CU_PORTS: [&str; 5] = ["cu_x", "cu_y", "cu_log2", "cu_mode", "cu_cbf"];

fn fields(s: &SliceUnit, end: usize, byp: bool) -> Vec<u64> {
    let (sps, pps, h) = (&s.sps, &s.pps, &s.header);
    let wctb = sps.width.div_ceil(1 << sps.log2_ctb);
    vec![
        sps.width as u64,
        sps.height as u64,
        (h.address % wctb) as u64,
        (h.address / wctb) as u64,
        h.address as u64,
        end as u64,
        wctb as u64,
        h.qp as u64,
        pps.sign_data_hiding as u64,
        pps.transquant_bypass as u64,
        byp as u64,
        (sps.chroma_format_idc == 1) as u64,
        sps.log2_max_tb as u64,
        sps.max_tu_depth_intra as u64,
        pps.wpp as u64,
    ]
}

/// The slices of an Annex-B stream of golden's encoder and the bins it codes, or why
/// the stream is outside the writer's subset.
pub fn slices(annexb: &[u8]) -> Result<(Vec<EncSlice>, u64), SimError> {
    let sl = golden::decoder::slices(annexb).map_err(|e| SimError::Other(format!("stream: {e}")))?;
    let t = golden::decoder::decode_traced(annexb).map_err(|e| SimError::Other(format!("golden decoder: {e}")))?;
    let mut recs = t.records.iter().peekable();
    let mut out = Vec::new();
    for (k, s) in sl.iter().enumerate() {
        let (sps, h) = (&s.sps, &s.header);
        let ctb = 1usize << sps.log2_ctb;
        let wctb = sps.width.div_ceil(ctb);
        let nctb = wctb * sps.height.div_ceil(ctb);
        let end = sl.get(k + 1).filter(|n| n.picture == s.picture).map(|n| n.header.address).unwrap_or(nctb);
        let mut cus = Vec::new();
        let mut byp = None;
        while let Some(r) = recs.peek() {
            let addr = (r.y as usize / ctb) * wctb + r.x as usize / ctb;
            if r.picture != s.picture || addr >= end {
                break;
            }
            let r = recs.next().unwrap();
            if r.c_idx != 0 {
                if r.cbf {
                    return Err(SimError::Other("a chroma residual: outside the writer's subset".into()));
                }
                continue;
            }
            if r.log2 < 3 {
                return Err(SimError::Other(format!(
                    "a 4x4 luma block at ({}, {}) (an NxN CU or a split transform tree): outside the writer's subset (one TU per 2Nx2N CU, as the hardware strategy codes)",
                    r.x, r.y
                )));
            }
            if *byp.get_or_insert(r.bypass) != r.bypass {
                return Err(SimError::Other("lossless and lossy CUs in one slice: outside the writer's subset".into()));
            }
            let n = 1usize << r.log2;
            let mut levels = vec![0i32; n * n];
            for &(pos, l) in &r.levels {
                levels[pos as usize] = l;
            }
            cus.push(CuRec { x: r.x as u32, y: r.y as u32, log2: r.log2 as u32, mode: r.mode, cbf: r.cbf, levels });
        }
        let data = &s.rbsp[h.data_offset.min(s.rbsp.len())..];
        let (expected, _) = golden::bitstream::escape_rbsp(data, &[]);
        // escaping the slice data alone is exact: it is the tail of the escaped NAL unit
        let (whole, _) = golden::bitstream::escape_rbsp(&s.rbsp, &[]);
        if !whole.ends_with(&expected) {
            return Err(SimError::Other(format!("slice {k}: the escaped slice data is not the escaped NAL unit's tail")));
        }
        out.push(EncSlice {
            fields: fields(s, end, byp.unwrap_or(false)),
            cus,
            expected,
            substreams: h.num_entry_points + 1,
            picture: s.picture,
            strong: sps.strong_intra_smoothing,
            log2ctb: sps.log2_ctb,
        });
    }
    Ok((out, t.bins))
}

/// What a run measured.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct EncReport {
    pub slices: u64,
    pub cus: u64,
    /// Luma samples of the CUs written.
    pub samples: u64,
    pub bytes: u64,
    /// Cycles of each slice, from its command to its last byte.
    pub slice_cycles: Vec<u64>,
    pub cycles: u64,
    pub mismatches: u64,
    pub first_mismatch: Option<String>,
    pub errored: bool,
    pub wall_seconds: f64,
}

impl EncReport {
    pub fn samples_per_cycle(&self) -> f64 {
        self.samples as f64 / self.cycles.max(1) as f64
    }
}

/// Run `slices` through the writer (one reset first): random gaps on the CU and level
/// streams and backpressure on the bytes with probability `stall_256`/256 per cycle.
/// Fails if a slice takes more than `max_cycles`.
pub fn run(m: &mut Model, slices: &[EncSlice], lanes: usize, stall_256: u32, seed: u64, max_cycles: u64) -> Result<EncReport, SimError> {
    let t0 = std::time::Instant::now();
    let mut rng = Rng(seed ^ 0x7379_6e5f_656e_63);
    let sl: Vec<_> = SL_PORTS.iter().map(|p| m.port(p)).collect::<Result<_, _>>()?;
    let cu: Vec<_> = CU_PORTS.iter().map(|p| m.port(p)).collect::<Result<_, _>>()?;
    let (sl_valid, sl_ready) = (m.port("sl_valid")?, m.port("sl_ready")?);
    let (cu_valid, cu_ready) = (m.port("cu_valid")?, m.port("cu_ready")?);
    let (lv_valid, lv_ready, lv_data, lv_log2) = (m.port("lv_valid")?, m.port("lv_ready")?, m.port("lv_data")?, m.port("lv_log2")?);
    let (bs_valid, bs_ready, bs_byte, bs_sub, bs_last) = (m.port("bs_valid")?, m.port("bs_ready")?, m.port("bs_byte")?, m.port("bs_sub")?, m.port("bs_last")?);
    let (reset, err) = (m.port("reset")?, m.port("err")?);
    for p in [sl_valid, cu_valid, lv_valid] {
        m.set(p, 0);
    }
    crate::tb::pulse_reset(m, reset);
    let mut rep = EncReport::default();
    let start_all = m.cycles;
    for (k, s) in slices.iter().enumerate() {
        let lv: Vec<(u64, u64)> = s
            .cus
            .iter()
            .filter(|c| c.cbf)
            .flat_map(|c| {
                c.levels.chunks(lanes).map(move |ch| (ch.iter().enumerate().fold(0u64, |a, (l, &x)| a | ((x as i64 as u64 & 0xffff) << (16 * l))), c.log2 as u64))
            })
            .collect();
        let start = m.cycles;
        let (mut sent, mut ci, mut li, mut bi, mut subs) = (false, 0usize, 0usize, 0usize, 0usize);
        let mut done = false;
        while !done {
            if m.cycles - start > max_cycles {
                return Err(SimError::Other(format!(
                    "syn_enc: slice {k} not written after {max_cycles} cycles ({ci} of {} CUs, {li} of {} level beats taken, {bi} of {} bytes out)",
                    s.cus.len(),
                    lv.len(),
                    s.expected.len()
                )));
            }
            let gap = |r: &mut Rng| stall_256 > 0 && (r.next() & 255) < stall_256 as u64;
            for (p, v) in sl.iter().zip(&s.fields) {
                m.set(*p, *v);
            }
            m.set(sl_valid, !sent as u64);
            let cv = ci < s.cus.len() && !gap(&mut rng);
            if let Some(c) = s.cus.get(ci) {
                for (p, v) in cu.iter().zip([c.x as u64, c.y as u64, c.log2 as u64, c.mode as u64, c.cbf as u64]) {
                    m.set(*p, v);
                }
            }
            m.set(cu_valid, cv as u64);
            let lvv = li < lv.len() && !gap(&mut rng);
            if let Some(&(d, l)) = lv.get(li) {
                m.set(lv_data, d);
                m.set(lv_log2, l);
            }
            m.set(lv_valid, lvv as u64);
            let rdy = !gap(&mut rng);
            m.set(bs_ready, rdy as u64);
            m.eval();
            if !sent && m.get(sl_ready) != 0 {
                sent = true;
            }
            if cv && m.get(cu_ready) != 0 {
                ci += 1;
            }
            if lvv && m.get(lv_ready) != 0 {
                li += 1;
            }
            if rdy && m.get(bs_valid) != 0 {
                let (b, last) = (m.get(bs_byte) as u8, m.get(bs_last) != 0);
                subs += (m.get(bs_sub) != 0) as usize;
                let want = s.expected.get(bi).copied();
                if want != Some(b) || last != (bi + 1 == s.expected.len()) {
                    rep.mismatches += 1;
                    rep.first_mismatch.get_or_insert_with(|| {
                        format!("slice {k} byte {bi} of {}: got {b:#04x} last {last}, want {want:x?} last {}", s.expected.len(), bi + 1 == s.expected.len())
                    });
                }
                bi += 1;
                done = last;
            }
            if m.get(err) != 0 {
                rep.errored = true;
                done = true;
            }
            m.tick();
        }
        if !rep.errored && (ci != s.cus.len() || li != lv.len() || bi != s.expected.len() || subs != s.substreams) {
            rep.mismatches += 1;
            rep.first_mismatch.get_or_insert_with(|| {
                format!(
                    "slice {k}: {ci} of {} CUs, {li} of {} level beats, {bi} of {} bytes, {subs} of {} substreams",
                    s.cus.len(),
                    lv.len(),
                    s.expected.len(),
                    s.substreams
                )
            });
        }
        rep.slices += 1;
        rep.cus += ci as u64;
        rep.samples += s.cus.iter().map(|c| 1u64 << (2 * c.log2)).sum::<u64>();
        rep.bytes += bi as u64;
        rep.slice_cycles.push(m.cycles - start);
        if rep.errored {
            break;
        }
    }
    rep.cycles = m.cycles - start_all;
    rep.wall_seconds = t0.elapsed().as_secs_f64();
    Ok(rep)
}
