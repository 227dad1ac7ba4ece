//! Testbench of `syn_dec`, the decoder core's syntax decoder: an HEVC stream is split
//! by the host model (golden's `slices`: parameter sets and slice headers parsed,
//! subset checked) into slice commands and slice-data bytes; the RTL's transform-block
//! records and level groups are compared, in order, with golden's `decode_traced`
//! records (position, size, component, intra mode, QP, bypass, cbf, every level and its
//! position). A reset precedes each slice.

use std::collections::VecDeque;

use golden::decoder::{SliceUnit, TuRecord};

use crate::model::{Model, SimError};
use crate::tb::Rng;

/// One slice as the host hands it to the core.
#[derive(Clone, Debug)]
pub struct SliceJob {
    /// Values of the `sl_*` ports, in [`SL_PORTS`] order.
    pub fields: Vec<u64>,
    pub bytes: Vec<u8>,
}

pub const SL_PORTS: [&str; 18] = [
    "sl_w", "sl_h", "sl_ctbx", "sl_ctby", "sl_addr", "sl_wctb", "sl_nctb", "sl_qp", "sl_qpc", "sl_sdh", "sl_tqb", "sl_chroma", "sl_maxtb", "sl_tudepth", "sl_log2ctb",
    "sl_wpp", "sl_valid", "sl_ready",
];
/// The slice command's fields (the ports before `sl_valid`, `sl_ready`).
pub const SL_FIELDS: usize = 16;
const TU_PORTS: [&str; 9] = ["tu_kind", "tu_x", "tu_y", "tu_log2", "tu_cidx", "tu_mode", "tu_qp", "tu_bypass", "tu_cbf"];

/// The slice command of a slice segment, or why it is outside the core's subset.
pub fn slice_job(s: &SliceUnit) -> Result<SliceJob, String> {
    let (sps, pps, h) = (&s.sps, &s.pps, &s.header);
    let out = |m: &str| Err(format!("slice at CTB {}: {m}: outside the decoder core's subset", h.address));
    if !pps.wpp && h.num_entry_points != 0 {
        return out("entry points without WPP (tiles)");
    }
    if pps.transform_skip {
        return out("transform_skip_enabled_flag");
    }
    if pps.cu_qp_delta {
        return out("cu_qp_delta_enabled_flag");
    }
    if sps.pcm_enabled {
        return out("PCM");
    }
    if sps.log2_min_cb != 3 || sps.log2_min_tb != 2 {
        return out("min CB other than 8 or min TB other than 4");
    }
    if sps.chroma_format_idc > 1 {
        return out("4:2:2/4:4:4");
    }
    if h.cb_qp_offset != h.cr_qp_offset {
        return out("different Cb and Cr QP offsets");
    }
    let ctb = 1usize << sps.log2_ctb;
    let wctb = sps.width.div_ceil(ctb);
    let nctb = wctb * sps.height.div_ceil(ctb);
    let qpc = golden::decoder::slice::chroma_qp((h.qp + h.cb_qp_offset).clamp(0, 57));
    let fields = vec![
        sps.width as u64,
        sps.height as u64,
        (h.address % wctb) as u64,
        (h.address / wctb) as u64,
        h.address as u64,
        wctb as u64,
        nctb as u64,
        h.qp as u64,
        qpc as u64,
        pps.sign_data_hiding as u64,
        pps.transquant_bypass as u64,
        (sps.chroma_format_idc == 1) as u64,
        sps.log2_max_tb as u64,
        sps.max_tu_depth_intra as u64,
        sps.log2_ctb as u64,
        pps.wpp as u64,
    ];
    Ok(SliceJob { fields, bytes: s.rbsp[h.data_offset.min(s.rbsp.len())..].to_vec() })
}

/// Slice jobs of an Annex-B stream and golden's records of it.
pub fn jobs(annexb: &[u8]) -> Result<(Vec<SliceJob>, Vec<TuRecord>), SimError> {
    let (j, t) = jobs_traced(annexb)?;
    Ok((j, t.records))
}

/// [`jobs`] with golden's whole trace (records, pictures, bins).
pub fn jobs_traced(annexb: &[u8]) -> Result<(Vec<SliceJob>, golden::decoder::Traced), SimError> {
    let sl = golden::decoder::slices(annexb).map_err(|e| SimError::Other(format!("stream: {e}")))?;
    let jobs = sl.iter().map(slice_job).collect::<Result<Vec<_>, _>>().map_err(SimError::Other)?;
    let t = golden::decoder::decode_traced(annexb).map_err(|e| SimError::Other(format!("golden decoder: {e}")))?;
    Ok((jobs, t))
}

/// What a run of slices measured.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct SynReport {
    pub slices: u64,
    /// Cycles of each slice, from its reset to its end-of-slice record (slices are
    /// independent: what K engines on slices would each spend, see [`makespan`]).
    pub slice_cycles: Vec<u64>,
    pub records: u64,
    pub levels: u64,
    pub mismatches: u64,
    pub first_mismatch: Option<String>,
    pub cycles: u64,
    /// Whether the core raised `err` (and ended a slice with an error record).
    pub errored: bool,
    pub wall_seconds: f64,
}

fn rec_of(r: &TuRecord) -> Vec<u64> {
    vec![0, r.x as u64, r.y as u64, r.log2 as u64, r.c_idx as u64, r.mode as u64, r.qp as u64, r.bypass as u64, r.cbf as u64]
}

/// Run `jobs` through the core; compare with `want` (golden's records). Backpressure
/// on both outputs with probability `stall_256`/256 per cycle. Fails if a slice takes
/// more than `max_cycles`.
pub fn run(m: &mut Model, jobs: &[SliceJob], want: &[TuRecord], stall_256: u32, seed: u64, max_cycles: u64) -> Result<SynReport, SimError> {
    let t0 = std::time::Instant::now();
    let sl: Vec<_> = SL_PORTS.iter().map(|p| m.port(p)).collect::<Result<_, _>>()?;
    let tu: Vec<_> = TU_PORTS.iter().map(|p| m.port(p)).collect::<Result<_, _>>()?;
    let (tu_valid, tu_ready) = (m.port("tu_valid")?, m.port("tu_ready")?);
    let (co_valid, co_ready, co_level, co_pos, co_end) = (m.port("co_valid")?, m.port("co_ready")?, m.port("co_level")?, m.port("co_pos")?, m.port("co_end")?);
    let (bs_valid, bs_ready, bs_byte, bs_last) = (m.port("bs_valid")?, m.port("bs_ready")?, m.port("bs_byte")?, m.port("bs_last")?);
    let (reset, err) = (m.port("reset")?, m.port("err")?);
    let mut rng = Rng(seed ^ 0x5359_4e44);
    let mut rep = SynReport::default();
    let mut want_it = want.iter().enumerate();
    // records with cbf waiting for their level group, and groups waiting for a record
    let mut pending_rec: VecDeque<(usize, &TuRecord)> = VecDeque::new();
    let mut groups: VecDeque<Vec<(u16, i32)>> = VecDeque::new();
    let mut cur: Vec<(u16, i32)> = Vec::new();
    let start = m.cycles;
    let note = |rep: &mut SynReport, msg: String| {
        rep.mismatches += 1;
        rep.first_mismatch.get_or_insert(msg);
    };
    for (si, job) in jobs.iter().enumerate() {
        m.set(sl[SL_FIELDS], 0);
        m.set(bs_valid, 0);
        crate::tb::pulse_reset(m, reset);
        for (p, v) in sl.iter().zip(&job.fields) {
            m.set(*p, *v);
        }
        let mut cmd_sent = false;
        let mut bi = 0usize;
        let slice_start = m.cycles;
        loop {
            if m.cycles - slice_start > max_cycles {
                return Err(SimError::Other(format!("syn_dec: slice #{si} not finished after {max_cycles} cycles ({} records so far): hang", rep.records)));
            }
            m.set(sl[SL_FIELDS], !cmd_sent as u64);
            if bi < job.bytes.len() {
                m.set(bs_byte, job.bytes[bi] as u64);
                m.set(bs_last, (bi + 1 == job.bytes.len()) as u64);
            }
            m.set(bs_valid, (bi < job.bytes.len()) as u64);
            let rt = stall_256 == 0 || (rng.next() & 255) >= stall_256 as u64;
            let rc = stall_256 == 0 || (rng.next() & 255) >= stall_256 as u64;
            m.set(tu_ready, rt as u64);
            m.set(co_ready, rc as u64);
            m.eval();
            if !cmd_sent && m.get(sl[SL_FIELDS + 1]) != 0 {
                cmd_sent = true;
            }
            if bi < job.bytes.len() && m.get(bs_ready) != 0 {
                bi += 1;
            }
            if rc && m.get(co_valid) != 0 {
                if m.get(co_end) != 0 {
                    groups.push_back(std::mem::take(&mut cur));
                } else {
                    cur.push((m.get(co_pos) as u16, m.get(co_level) as u16 as i16 as i32));
                }
            }
            let mut slice_done = false;
            if rt && m.get(tu_valid) != 0 {
                let got: Vec<u64> = tu.iter().map(|p| m.get(*p)).collect();
                match got[0] {
                    0 => {
                        rep.records += 1;
                        match want_it.next() {
                            Some((k, w)) => {
                                let wv = rec_of(w);
                                if wv != got {
                                    note(&mut rep, format!("slice #{si} record #{k}: got {got:?} want {wv:?} (kind, x, y, log2, cIdx, mode, qp, bypass, cbf)"));
                                }
                                if w.cbf {
                                    pending_rec.push_back((k, w));
                                }
                            }
                            None => note(&mut rep, format!("slice #{si}: extra record {got:?}")),
                        }
                    }
                    1 => slice_done = true,
                    _ => {
                        rep.errored = true;
                        slice_done = true;
                    }
                }
            }
            while !pending_rec.is_empty() && !groups.is_empty() {
                let (k, w) = pending_rec.pop_front().unwrap();
                let g = groups.pop_front().unwrap();
                rep.levels += g.len() as u64;
                if g != w.levels {
                    let i = g.iter().zip(&w.levels).position(|(a, b)| a != b).unwrap_or(g.len().min(w.levels.len()));
                    note(&mut rep, format!("slice #{si} record #{k} ({}x{} cIdx {} at {},{}): level #{i}: got {:?} want {:?} ({} vs {} levels)", 1 << w.log2, 1 << w.log2, w.c_idx, w.x, w.y, g.get(i), w.levels.get(i), g.len(), w.levels.len()));
                }
            }
            m.tick();
            if slice_done {
                break;
            }
        }
        rep.slices += 1;
        rep.slice_cycles.push(m.cycles - slice_start + 2);
        if m.get(err) != 0 {
            rep.errored = true;
            break;
        }
    }
    if !rep.errored {
        if let Some((k, _)) = want_it.next() {
            let msg = format!("record #{k} and later never came ({} of {} records)", rep.records, want.len());
            note(&mut rep, msg);
        }
        if !pending_rec.is_empty() || !groups.is_empty() {
            note(&mut rep, format!("{} records without levels, {} level groups without a record", pending_rec.len(), groups.len()));
        }
    }
    rep.cycles = m.cycles - start;
    rep.wall_seconds = t0.elapsed().as_secs_f64();
    Ok(rep)
}

/// Cycles for `engines` independent syntax decoders to finish slices of the given
/// cycle counts, each slice taken by the engine that frees first, in stream order
/// (slices are independent substreams: contexts, neighbours and intra references
/// never cross a slice boundary).
pub fn makespan(slice_cycles: &[u64], engines: usize) -> u64 {
    let mut free = vec![0u64; engines.max(1)];
    for &c in slice_cycles {
        let e = (0..free.len()).min_by_key(|&i| free[i]).unwrap_or(0);
        free[e] += c;
    }
    free.into_iter().max().unwrap_or(0)
}

/// Streams of a stimulus set for the syntax decoder, coded by golden's encoder with
/// `p` (its strategy, CTU size, slices): known answers = a synthetic row-scaled matrix
/// at QP 0 (lossless), 22 and 37; random = up to 4 Gaussian and Laplacian matrices at
/// random QPs; tensor = the set's frames (up to `limit`) at the configured QP.
pub fn set_streams(set: &crate::StimSet, p: &golden::Params, seed: u64) -> Result<Vec<(String, Vec<u8>)>, SimError> {
    use golden::pipeline::{encode_tensor, RateTarget};
    use golden::tensor::synth;
    let enc = |t: &golden::tensor::Tensor, qp: u8| -> Result<Vec<u8>, SimError> {
        Ok(encode_tensor(t, p, RateTarget::Qp(qp)).map_err(|e| SimError::Other(format!("golden encoder: {e}")))?.encoded.annexb)
    };
    let mut rng = Rng(seed);
    let mut v = Vec::new();
    match set {
        crate::StimSet::KnownAnswer => {
            let t = synth::row_scaled(300, 420, 3);
            for qp in [0u8, 22, 37] {
                v.push((format!("row_scaled 300x420 QP {qp}"), enc(&t, qp)?));
            }
        }
        crate::StimSet::Random { per_size, .. } => {
            for k in 0..(*per_size).min(4) {
                let (r, c) = (144 + (rng.next() % 200) as usize, 144 + (rng.next() % 200) as usize);
                let t = if k % 2 == 0 { synth::gaussian(r, c, rng.next()) } else { synth::laplacian(r, c, rng.next()) };
                let qp = (rng.next() % 52) as u8;
                v.push((format!("random {r}x{c} QP {qp}"), enc(&t, qp)?));
            }
        }
        crate::StimSet::Tensor { frames, limit } => {
            let n = frames.len().min((*limit).max(1) as usize);
            if n > 0 {
                let (w, h) = (frames[0].0, frames[0].1);
                let fr: Vec<Vec<u8>> = frames[..n].iter().map(|f| f.2.clone()).collect();
                let qps = vec![p.encoder.qp; n];
                let e = golden::encoder::encode(p, w, h, &fr, &qps).map_err(|e| SimError::Other(format!("golden encoder: {e}")))?;
                v.push((format!("{n} tensor frame(s) {w}x{h} QP {}", p.encoder.qp), e.annexb));
            }
        }
    }
    Ok(v)
}

/// Cosimulate streams, summed into one [`crate::tb::Report`] (beats in = records,
/// beats out = levels, units = slices, samples per cycle = coded samples per cycle).
pub fn run_streams(m: &mut Model, streams: &[(String, Vec<u8>)], seed: u64) -> Result<crate::tb::Report, SimError> {
    Ok(run_streams_sliced(m, streams, seed)?.0)
}

/// [`run_streams`], also returning the bins golden decoded, the coded samples and
/// every slice's cycles.
pub fn run_streams_sliced(m: &mut Model, streams: &[(String, Vec<u8>)], seed: u64) -> Result<(crate::tb::Report, u64, u64, Vec<u64>), SimError> {
    let mut total = crate::tb::Report::default();
    let mut samples = 0u64;
    let mut bins = 0u64;
    let mut slice_cycles = Vec::new();
    let t0 = std::time::Instant::now();
    for (name, s) in streams {
        let (js, tr) = jobs_traced(s).map_err(|e| SimError::Other(format!("{name}: {e}")))?;
        bins += tr.bins;
        let r = run(m, &js, &tr.records, 0, seed, 50_000_000)?;
        slice_cycles.extend_from_slice(&r.slice_cycles);
        // coded samples: pictures x the coded size (sl_w, sl_h of the slice command)
        samples += tr.pictures.len() as u64 * js.first().map(|j| j.fields[0] * j.fields[1]).unwrap_or(0);
        total.beats_in += r.records;
        total.beats_out += r.levels;
        total.units += r.slices;
        total.cycles += r.cycles;
        total.busy_cycles += r.cycles;
        total.mismatches += r.mismatches + r.errored as u64;
        if total.first_mismatch.is_none() {
            total.first_mismatch = r.first_mismatch.map(|f| format!("{name}: {f}")).or_else(|| r.errored.then(|| format!("{name}: the core raised err")));
        }
    }
    total.wall_seconds = t0.elapsed().as_secs_f64();
    total.cycles_per_second = total.cycles as f64 / total.wall_seconds.max(1e-9);
    total.samples_per_cycle = samples as f64 / total.cycles.max(1) as f64;
    total.work = samples;
    Ok((total, bins, samples, slice_cycles))
}

#[cfg(test)]
mod tests {
    #[test]
    fn makespan_takes_the_engine_that_frees_first() {
        assert_eq!(super::makespan(&[10, 10, 10, 10], 2), 20);
        assert_eq!(super::makespan(&[30, 10, 10, 10], 2), 30);
        assert_eq!(super::makespan(&[5, 7], 1), 12);
        assert_eq!(super::makespan(&[], 3), 0);
    }

    /// A stream whose PPS enables transform skip (golden's RD option) is refused
    /// with the reason, before any simulation.
    #[test]
    fn transform_skip_streams_are_refused() {
        let p = golden::config::Params::from_toml_str("[bitstream]\ntransform_skip = true\n").unwrap();
        let t = golden::tensor::synth::laplacian(144, 144, 3);
        let r = golden::pipeline::encode_tensor(&t, &p, golden::pipeline::RateTarget::Qp(12)).unwrap();
        let e = super::jobs(&r.encoded.annexb).err().expect("refused").to_string();
        assert!(e.contains("transform_skip_enabled_flag") && e.contains("outside the decoder core's subset"), "{e}");
    }
}
