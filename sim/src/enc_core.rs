//! The encoder core (hw `enc_core`) in Verilator against golden's hardware strategy: a
//! tensor's int8 frames are encoded by golden (`pipeline::encode_prepared`, strategy
//! `hw`); the host side takes golden's stream apart into slice commands
//! ([`crate::syn_enc::slices`]) and feeds the core the original samples CU by CU in
//! coding order (the positions of golden's CUs: if the core walked the picture in
//! another order, it would get other samples and its bytes would differ). The
//! scoreboard compares every slice data byte (escaped) with golden's NAL units, the
//! substream and last-byte marks, and every reconstructed sample with golden's
//! reconstruction. Reports cycles, samples and bins, and where the cycles go.

use crate::model::{Model, SimError};
use crate::syn_enc::{EncSlice, SL_PORTS};
use crate::tb::Rng;

/// A tensor's pictures as the encoder core's host sees them, and golden's answer.
#[derive(Clone, Debug)]
pub struct CoreJob {
    pub width: usize,
    pub height: usize,
    /// Original luma per picture.
    pub frames: Vec<Vec<u8>>,
    /// golden's reconstruction per picture.
    pub recon: Vec<Vec<u8>>,
    pub slices: Vec<EncSlice>,
    /// CABAC bins (golden's count).
    pub bins: u64,
    /// The stream (Annex-B) golden wrote: the host's parameter sets and slice headers
    /// around the core's slice data.
    pub annexb: Vec<u8>,
}

/// Encode `t` with golden's hardware strategy at `qp` (at most `frames` pictures when
/// given) and prepare the core's job.
pub fn job(t: &golden::tensor::Tensor, p: &golden::Params, qp: u8, frames: Option<usize>) -> Result<CoreJob, SimError> {
    let mut p = p.clone();
    p.encoder.strategy = golden::config::StrategyKind::Hw;
    let mut prep = golden::pipeline::prepare(t, &p).map_err(|e| SimError::Other(format!("tensor: {e}")))?;
    if let Some(n) = frames {
        prep.frames.truncate(n.max(1));
    }
    let (w, h) = (prep.layout.frame_width as usize, prep.layout.frame_height as usize);
    let qps = vec![qp; prep.frames.len()];
    let enc = golden::encoder::encode(&p, w, h, &prep.frames, &qps).map_err(|e| SimError::Other(format!("golden encoder: {e}")))?;
    let (slices, bins) = crate::syn_enc::slices(&enc.annexb)?;
    Ok(CoreJob { width: w, height: h, frames: prep.frames, recon: enc.recon, slices, bins, annexb: enc.annexb })
}

/// What a run measured.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct CoreReport {
    pub pictures: u64,
    pub slices: u64,
    pub cus: u64,
    /// Luma samples coded.
    pub samples: u64,
    pub bytes: u64,
    pub bins: u64,
    pub cycles: u64,
    /// Cycles in which the core took an original beat, wrote a byte, put out a
    /// reconstructed beat.
    pub orig_beats: u64,
    pub px_beats: u64,
    pub mismatches: u64,
    pub first_mismatch: Option<String>,
    pub errored: bool,
    pub wall_seconds: f64,
    /// The core's slice data, slice by slice.
    #[serde(skip)]
    pub slice_bytes: Vec<Vec<u8>>,
}

impl CoreReport {
    pub fn samples_per_cycle(&self) -> f64 {
        self.samples as f64 / self.cycles.max(1) as f64
    }
}

/// Run `job` through `enc_core` with `engines` entropy engines, or through `enc_multi`
/// with `engines` cores (a model without a picture output; each core takes the
/// original samples of its slices on its own lane). One reset first; slice k comes out
/// of byte lane k mod `engines`. With `stall_256` > 0 the original streams have random
/// gaps and the byte and picture outputs random backpressure (that probability in
/// 1/256 per cycle, per lane). Fails after `max_cycles` without finishing.
pub fn run(m: &mut Model, job: &CoreJob, engines: usize, stall_256: u32, seed: u64, max_cycles: u64) -> Result<CoreReport, SimError> {
    let k = engines.clamp(1, 4);
    // enc_multi: no reconstruction out, an original stream per core
    let multi = m.port("px_valid").is_err();
    let t0 = std::time::Instant::now();
    let mut rng = Rng(seed ^ 0x656e_635f_636f_7265);
    let mut names: Vec<&str> = SL_PORTS.to_vec();
    names.extend(["sl_strong", "sl_log2ctb"]);
    let sl: Vec<_> = names.iter().map(|p| m.port(p)).collect::<Result<_, _>>()?;
    let (sl_valid, sl_ready) = (m.port("sl_valid")?, m.port("sl_ready")?);
    let (or_valid, or_ready, or_data) = (m.port("or_valid")?, m.port("or_ready")?, m.port("or_data")?);
    let (bs_valid, bs_ready, bs_byte, bs_sub, bs_last) = (m.port("bs_valid")?, m.port("bs_ready")?, m.port("bs_byte")?, m.port("bs_sub")?, m.port("bs_last")?);
    let px = if multi { None } else { Some((m.port("px_valid")?, m.port("px_ready")?, m.port("px_data")?, m.port("px_last")?)) };
    let (reset, err) = (m.port("reset")?, m.port("err")?);
    for p in [sl_valid, or_valid] {
        m.set(p, 0);
    }
    crate::tb::pulse_reset(m, reset);
    let (w, h) = (job.width, job.height);
    // the original beats, CU by CU in coding order (per core with enc_multi)
    let lanes = if multi { k } else { 1 };
    let mut origs: Vec<Vec<u32>> = vec![Vec::new(); lanes];
    for (si, s) in job.slices.iter().enumerate() {
        let orig = &mut origs[si % lanes];
        let f = &job.frames[s.picture as usize];
        for c in &s.cus {
            let n = 1usize << c.log2;
            for y in 0..n {
                for x4 in (0..n).step_by(4) {
                    let i = (c.y as usize + y) * w + c.x as usize + x4;
                    orig.push(f[i..i + 4].iter().enumerate().fold(0u32, |a, (k, &v)| a | (v as u32) << (8 * k)));
                }
            }
        }
    }
    // the expected bytes of each engine: (byte, last, slice) of its slices in order
    let expected: Vec<Vec<(u8, bool, usize)>> = (0..k)
        .map(|e| {
            job.slices.iter().enumerate().filter(|(i, _)| i % k == e).flat_map(|(si, s)| s.expected.iter().enumerate().map(move |(i, &b)| (b, i + 1 == s.expected.len(), si))).collect()
        })
        .collect();
    let total_bytes: usize = expected.iter().map(|e| e.len()).sum();
    let subs_want: usize = job.slices.iter().map(|s| s.substreams).sum();
    let n_orig: usize = origs.iter().map(|o| o.len()).sum();
    let pictures = job.slices.iter().map(|s| s.picture as usize + 1).max().unwrap_or(0);
    let mut rep = CoreReport { slices: job.slices.len() as u64, pictures: pictures as u64, bins: job.bins, ..Default::default() };
    // enc_multi puts out no pictures
    let pictures = if multi { 0 } else { pictures };
    rep.cus = job.slices.iter().map(|s| s.cus.len() as u64).sum();
    rep.samples = job.slices.iter().flat_map(|s| &s.cus).map(|c| 1u64 << (2 * c.log2)).sum();
    let (mut si, mut subs) = (0usize, 0usize);
    let mut oi = vec![0usize; lanes];
    let mut bi = vec![0usize; k];
    let (mut pic, mut pxi) = (0usize, 0usize);
    // the reconstruction comes out CTU by CTU
    let log2ctb = job.slices.first().map_or(4, |s| s.log2ctb as usize);
    let order = crate::tb::ctu_order(w, 0, h, 1 << log2ctb);
    rep.slice_bytes = vec![Vec::new(); job.slices.len()];
    let start = m.cycles;
    let mismatch = |rep: &mut CoreReport, what: String| {
        rep.mismatches += 1;
        rep.first_mismatch.get_or_insert(what);
    };
    let done_bytes = |bi: &[usize]| bi.iter().sum::<usize>();
    while done_bytes(&bi) < total_bytes || pic < pictures {
        if m.cycles - start > max_cycles {
            return Err(SimError::Other(format!(
                "enc_core: not done after {max_cycles} cycles ({si} of {} slice commands taken, {} of {} original beats, {} of {} bytes, picture {pic} beat {pxi}; {} mismatches, the first: {})",
                job.slices.len(),
                oi.iter().sum::<usize>(),
                n_orig,
                done_bytes(&bi),
                total_bytes,
                rep.mismatches,
                rep.first_mismatch.as_deref().unwrap_or("-")
            )));
        }
        let gap = |r: &mut Rng| stall_256 > 0 && (r.next() & 255) < stall_256 as u64;
        if let Some(s) = job.slices.get(si) {
            for (p, v) in sl.iter().zip(s.fields.iter().copied().chain([s.strong as u64, s.log2ctb as u64])) {
                m.set(*p, v);
            }
        }
        m.set(sl_valid, (si < job.slices.len()) as u64);
        let ov: u64 = (0..lanes).fold(0, |a, c| a | ((oi[c] < origs[c].len() && !gap(&mut rng)) as u64) << c);
        let words: Vec<u32> = (0..lanes).map(|c| origs[c].get(oi[c]).copied().unwrap_or(0)).collect();
        m.set_words(or_data, &words);
        m.set(or_valid, ov);
        let brdy: u64 = (0..k).fold(0, |a, e| a | ((!gap(&mut rng)) as u64) << e);
        m.set(bs_ready, brdy);
        let prdy = !gap(&mut rng);
        if let Some((_, px_ready, _, _)) = px {
            m.set(px_ready, prdy as u64);
        }
        m.eval();
        if si < job.slices.len() && m.get(sl_ready) != 0 {
            si += 1;
        }
        let took = ov & m.get(or_ready);
        for (c, o) in oi.iter_mut().enumerate() {
            if (took >> c) & 1 != 0 {
                *o += 1;
                rep.orig_beats += 1;
            }
        }
        let (bv, bytes, lasts, subm) = (m.get(bs_valid) & brdy, m.get(bs_byte), m.get(bs_last), m.get(bs_sub));
        for e in 0..k {
            if (bv >> e) & 1 == 0 {
                continue;
            }
            let (b, last) = ((bytes >> (8 * e)) as u8, (lasts >> e) & 1 != 0);
            subs += ((subm >> e) & 1) as usize;
            match expected[e].get(bi[e]) {
                Some(&(want, wl, sl)) => {
                    rep.slice_bytes[sl].push(b);
                    if want != b || wl != last {
                        mismatch(&mut rep, format!("engine {e} byte {} (slice {sl}): got {b:#04x} last {last}, want {want:#04x} last {wl}", bi[e]));
                    }
                }
                None => mismatch(&mut rep, format!("engine {e}: a byte past its slices")),
            }
            bi[e] += 1;
        }
        if let Some((px_valid, _, px_data, px_last)) = px.filter(|_| prdy).filter(|p| m.get(p.0) != 0) {
            let _ = px_valid;
            let (d, last) = (m.get(px_data), m.get(px_last) != 0);
            rep.px_beats += 1;
            let (y, x) = order.get(pxi * 4).map_or((h, 0), |&i| (i / w, i % w));
            match job.recon.get(pic) {
                Some(r) if y < h => {
                    for k in 0..4 {
                        let got = (d >> (8 * k)) as u8;
                        if r[y * w + x + k] != got {
                            mismatch(&mut rep, format!("picture {pic} reconstruction ({}, {y}): got {got}, golden {}", x + k, r[y * w + x + k]));
                        }
                    }
                }
                _ => mismatch(&mut rep, format!("picture {pic}: a reconstructed beat past the picture")),
            }
            pxi += 1;
            if last != (pxi * 4 == w * h) {
                mismatch(&mut rep, format!("picture {pic}: px_last {last} at beat {pxi} of {}", w * h / 4));
            }
            if last {
                pic += 1;
                pxi = 0;
            }
        }
        if m.get(err) != 0 {
            rep.errored = true;
            m.tick();
            break;
        }
        m.tick();
    }
    if !rep.errored && (oi.iter().sum::<usize>() != n_orig || subs != subs_want) {
        mismatch(&mut rep, format!("{} of {n_orig} original beats taken, {subs} of {subs_want} substreams", oi.iter().sum::<usize>()));
    }
    rep.bytes = done_bytes(&bi) as u64;
    rep.cycles = m.cycles - start;
    rep.wall_seconds = t0.elapsed().as_secs_f64();
    Ok(rep)
}

/// The stream with the core's slice data: golden's parameter sets and slice headers
/// (the host's part), each slice NAL unit's data replaced by what the core wrote.
pub fn assemble(job: &CoreJob, slice_bytes: &[Vec<u8>]) -> Result<Vec<u8>, SimError> {
    const SC: [u8; 4] = [0, 0, 0, 1];
    let a = &job.annexb;
    let mut starts: Vec<usize> = (0..a.len().saturating_sub(3)).filter(|&i| a[i..i + 4] == SC).collect();
    starts.push(a.len());
    let mut out = Vec::with_capacity(a.len());
    let mut k = 0;
    for w in starts.windows(2) {
        let nal = &a[w[0]..w[1]];
        let vcl = nal.len() > 4 && (nal[4] >> 1) & 0x3f < 32;
        if !vcl {
            out.extend_from_slice(nal);
            continue;
        }
        let (Some(s), Some(b)) = (job.slices.get(k), slice_bytes.get(k)) else {
            return Err(SimError::Other(format!("slice NAL unit {k}: the core wrote {} slices", slice_bytes.len())));
        };
        let head = nal.len().checked_sub(s.expected.len()).filter(|&h| nal[h..] == s.expected[..]).ok_or_else(|| SimError::Other(format!("slice NAL unit {k} does not end in its slice data")))?;
        out.extend_from_slice(&nal[..head]);
        out.extend_from_slice(b);
        k += 1;
    }
    if k != job.slices.len() {
        return Err(SimError::Other(format!("{k} slice NAL units, {} slices", job.slices.len())));
    }
    Ok(out)
}

/// Decode `stream` (the core's slice data in golden's NAL units) with ffmpeg, or with
/// libde265 when `dec265`, and say whether its pictures are golden's reconstruction
/// (4:2:0 with flat chroma, or 4:0:0).
pub fn decodes_to_golden(job: &CoreJob, stream: &[u8], yuv420: bool, dec265: bool) -> Result<bool, SimError> {
    let dir = golden::tools::scratch_dir(if dec265 { "enc-core-dec265" } else { "enc-core-ffmpeg" });
    let f = dir.join("core.hevc");
    std::fs::write(&f, stream).map_err(|e| SimError::Other(format!("{}: {e}", f.display())))?;
    let out = dir.join("core.yuv");
    let yuv = if dec265 { golden::tools::dec265_decode(&f, &out) } else { golden::tools::ffmpeg_decode(&f, &out, if yuv420 { "yuv420p" } else { "gray" }) }.map_err(|e| SimError::Other(e.to_string()))?;
    let luma = if yuv420 { golden::tools::luma_of_yuv420(&yuv, job.width, job.height, true) } else { Some(yuv.chunks(job.width * job.height).map(|c| c.to_vec()).collect()) };
    Ok(luma.as_ref() == Some(&job.recon))
}
