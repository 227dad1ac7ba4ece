//! The decoder core (hw `dec_core`) in Verilator against golden's decoder: the host
//! side parses parameter sets and slice headers (`golden::decoder::slices`), drives
//! one slice command and the slice data bytes per slice segment, and collects the
//! luma output (CTU by CTU, put back in raster order here); each picture, cropped to its conformance window with flat
//! (128) chroma planes, must equal golden's decoded picture (which the tests also
//! compare with ffmpeg's). Reports cycles, bins, samples and what bounds throughput.

use crate::model::{Model, SimError};
use crate::syn_dec::{slice_job, SL_FIELDS, SL_PORTS};
use crate::tb::Rng;
use golden::decoder::Picture;

/// One slice command: the `sl_*` port values ([`SL_PORTS`] order, then `sl_strong`)
/// and its slice data bytes.
#[derive(Clone, Debug)]
pub struct CoreSlice {
    pub fields: Vec<u64>,
    pub bytes: Vec<u8>,
    pub picture: u32,
}

/// A stream as the core's host sees it, and golden's answer.
#[derive(Clone, Debug)]
pub struct CoreStream {
    pub slices: Vec<CoreSlice>,
    /// Per picture: decoded width, height, conformance window, chroma_format_idc.
    pub geometry: Vec<(usize, usize, [usize; 4], u32)>,
    /// golden's pictures (cropped).
    pub pictures: Vec<Picture>,
    /// CABAC bins of the stream (golden's count).
    pub bins: u64,
    /// log2 of the CTU size and of the largest transform block (of the first SPS).
    pub log2_ctb: u32,
    pub log2_max_tb: u32,
}

/// Parse `annexb` for the core: slice commands, or why a slice is outside the core's
/// subset; golden's pictures.
pub fn stream(annexb: &[u8]) -> Result<CoreStream, SimError> {
    let units = golden::decoder::slices(annexb).map_err(|e| SimError::Other(format!("stream: {e}")))?;
    let first = units.first().ok_or_else(|| SimError::Other("stream: no slices".into()))?;
    let (log2_ctb, log2_max_tb) = (first.sps.log2_ctb, first.sps.log2_max_tb);
    let mut slices = Vec::new();
    let mut geometry = Vec::new();
    for u in &units {
        let j = slice_job(u).map_err(SimError::Other)?;
        let mut fields = j.fields;
        fields.push(u.sps.strong_intra_smoothing as u64);
        if geometry.len() <= u.picture as usize {
            geometry.push((u.sps.width, u.sps.height, u.sps.conf_win, u.sps.chroma_format_idc));
        }
        slices.push(CoreSlice { fields, bytes: j.bytes, picture: u.picture });
    }
    let t = golden::decoder::decode_traced(annexb).map_err(|e| SimError::Other(format!("golden decoder: {e}")))?;
    if t.pictures.len() != geometry.len() {
        return Err(SimError::Other(format!("{} pictures decoded, {} pictures in the slice list", t.pictures.len(), geometry.len())));
    }
    Ok(CoreStream { slices, geometry, pictures: t.pictures, bins: t.bins, log2_ctb, log2_max_tb })
}

/// What a run measured.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct CoreReport {
    pub slices: u64,
    pub pictures: u64,
    /// Luma samples output (decoded size, before cropping).
    pub samples: u64,
    pub bins: u64,
    pub cycles: u64,
    /// Cycle of each picture's last output beat, from the start of the run.
    pub picture_done: Vec<u64>,
    pub mismatches: u64,
    pub first_mismatch: Option<String>,
    /// Whether the core raised `err`.
    pub errored: bool,
    /// Whether the slices ran out inside a picture (the core waiting for a slice with
    /// `pic_open` high): a truncated or corrupt stream, reported, not a hang.
    pub truncated: bool,
    pub wall_seconds: f64,
}

impl CoreReport {
    /// Count a mismatch (the first one's description is kept).
    fn note(&mut self, msg: String) {
        self.mismatches += 1;
        self.first_mismatch.get_or_insert(msg);
    }

    pub fn samples_per_cycle(&self) -> f64 {
        self.samples as f64 / self.cycles.max(1) as f64
    }
}

/// The slice, byte and output ports of `dec_core` and `dec_multi`.
struct Ports {
    /// The slice command's fields ([`SL_PORTS`] order, then `sl_strong`).
    sl: Vec<crate::model::PortId>,
    sl_valid: crate::model::PortId,
    sl_ready: crate::model::PortId,
    bs_valid: crate::model::PortId,
    bs_ready: crate::model::PortId,
    bs_byte: crate::model::PortId,
    bs_last: crate::model::PortId,
    px_valid: crate::model::PortId,
    px_ready: crate::model::PortId,
    px_data: crate::model::PortId,
    px_last: crate::model::PortId,
}

impl Ports {
    fn of(m: &Model) -> Result<Ports, SimError> {
        let sl = SL_PORTS[..SL_FIELDS].iter().chain(["sl_strong"].iter()).map(|p| m.port(p)).collect::<Result<_, _>>()?;
        Ok(Ports {
            sl,
            sl_valid: m.port("sl_valid")?,
            sl_ready: m.port("sl_ready")?,
            bs_valid: m.port("bs_valid")?,
            bs_ready: m.port("bs_ready")?,
            bs_byte: m.port("bs_byte")?,
            bs_last: m.port("bs_last")?,
            px_valid: m.port("px_valid")?,
            px_ready: m.port("px_ready")?,
            px_data: m.port("px_data")?,
            px_last: m.port("px_last")?,
        })
    }
}

/// The core's luma plane `y` (decoded size), cropped with flat chroma, against golden's
/// picture: where they first differ, if they do.
fn differs(y: Vec<u8>, (w, h, win, cf): (usize, usize, [usize; 4], u32), want: &Picture) -> Option<String> {
    let mut got = Picture::new(w, h, cf);
    got.y = y;
    let got = got.cropped(win);
    if got == *want {
        return None;
    }
    Some(match got.y.iter().zip(&want.y).position(|(a, b)| a != b) {
        Some(i) => format!("luma ({}, {}) (cropped): got {} want {}", i % want.width, i / want.width, got.y[i], want.y[i]),
        None => "chroma: golden's chroma planes are not flat 128".to_string(),
    })
}

/// Run `s` through the core: slice commands and bytes as fast as it takes them (a byte
/// gap with probability `stall_256`/256 per cycle, output backpressure with the same
/// probability). Fails with a hang error after `max_cycles` without finishing. Stops
/// at `err` (the report says so).
pub fn run(m: &mut Model, s: &CoreStream, stall_256: u32, seed: u64, max_cycles: u64) -> Result<CoreReport, SimError> {
    let t0 = std::time::Instant::now();
    let Ports { sl, sl_valid, sl_ready, bs_valid, bs_ready, bs_byte, bs_last, px_valid, px_ready, px_data, px_last } = Ports::of(m)?;
    let (reset, err, pic_open) = (m.port("reset")?, m.port("err")?, m.port("pic_open")?);
    let mut rng = Rng(seed ^ 0x4445_4352);
    let mut rep = CoreReport { slices: s.slices.len() as u64, bins: s.bins, ..Default::default() };
    m.set(sl_valid, 0);
    m.set(bs_valid, 0);
    m.set(px_ready, 0);
    crate::tb::pulse_reset(m, reset);
    let start = m.cycles;
    let (mut ci, mut bsl, mut bb) = (0usize, 0usize, 0usize);
    let mut pic: Vec<u8> = Vec::new();
    let mut pi = 0usize;
    while pi < s.pictures.len() {
        if m.cycles - start > max_cycles {
            return Err(SimError::Other(format!(
                "dec_core: not finished after {max_cycles} cycles (slice command {ci} of {}, picture {pi} of {}, {} samples of it out): hang",
                s.slices.len(),
                s.pictures.len(),
                pic.len()
            )));
        }
        if ci < s.slices.len() {
            for (p, v) in sl.iter().zip(&s.slices[ci].fields) {
                m.set(*p, *v);
            }
        }
        m.set(sl_valid, (ci < s.slices.len()) as u64);
        while bsl < s.slices.len() && bb >= s.slices[bsl].bytes.len() {
            bsl += 1;
            bb = 0;
        }
        let bytes_on = bsl < s.slices.len() && (stall_256 == 0 || (rng.next() & 255) >= stall_256 as u64);
        if bytes_on {
            let b = &s.slices[bsl].bytes;
            m.set(bs_byte, b[bb] as u64);
            m.set(bs_last, (bb + 1 == b.len()) as u64);
        }
        m.set(bs_valid, bytes_on as u64);
        let pr = stall_256 == 0 || (rng.next() & 255) >= stall_256 as u64;
        m.set(px_ready, pr as u64);
        m.eval();
        if ci < s.slices.len() && m.get(sl_ready) != 0 {
            ci += 1;
        } else if ci == s.slices.len() && m.get(sl_ready) != 0 && m.get(pic_open) != 0 {
            rep.truncated = true;
            break;
        }
        if bytes_on && m.get(bs_ready) != 0 {
            bb += 1;
        }
        if pr && m.get(px_valid) != 0 {
            let d = m.get(px_data);
            pic.extend((0..4).map(|k| (d >> (8 * k)) as u8));
            if m.get(px_last) != 0 {
                let (w, h, win, cf) = s.geometry[pi];
                rep.samples += pic.len() as u64;
                rep.picture_done.push(m.cycles - start + 1);
                if pic.len() != w * h {
                    rep.note(format!("picture {pi}: {} samples out, {} expected ({w}x{h})", pic.len(), w * h));
                } else if let Some(what) = differs(crate::tb::ctu_to_raster(&pic, w, 0, h, 1 << s.log2_ctb), (w, h, win, cf), &s.pictures[pi]) {
                    rep.note(format!("picture {pi}: {what}"));
                }
                pic.clear();
                pi += 1;
            }
        }
        m.tick();
        if m.get(err) != 0 {
            rep.errored = true;
            break;
        }
    }
    rep.pictures = pi as u64;
    rep.cycles = m.cycles - start;
    rep.wall_seconds = t0.elapsed().as_secs_f64();
    Ok(rep)
}

/// Why `s` cannot run on several decoder cores (`dec_multi`), if it cannot: every slice
/// must start a CTU row.
pub fn multi_check(s: &CoreStream) -> Result<(), String> {
    let ctbx = SL_PORTS.iter().position(|p| *p == "sl_ctbx").expect("sl_ctbx");
    match s.slices.iter().position(|c| c.fields[ctbx] != 0) {
        Some(i) => Err(format!(
            "slice {i} starts at CTU column {}: several decoder cores need slices of whole CTU rows (bitstream.slice_rows, or bitstream.ctus_per_slice a multiple of the picture width in CTUs)",
            s.slices[i].fields[ctbx]
        )),
        None => Ok(()),
    }
}

/// Run `s` on `dec_multi` (K = the width of its `bs_valid`): slice commands in stream
/// order (slice k goes to core k mod K), each core's bytes on its own lane, each core's
/// output rows placed by slice (a slice's rows start at its first CTU row) and every
/// picture compared with golden's once all of its slices are out. Stalls, hang bound
/// and `err` as in [`run`]; `picture_done` is the cycle each picture's last slice ended.
pub fn run_multi(m: &mut Model, s: &CoreStream, stall_256: u32, seed: u64, max_cycles: u64) -> Result<CoreReport, SimError> {
    let t0 = std::time::Instant::now();
    let Ports { sl, sl_valid, sl_ready, bs_valid, bs_ready, bs_byte, bs_last, px_valid, px_ready, px_data, px_last } = Ports::of(m)?;
    let (reset, err) = (m.port("reset")?, m.port("err")?);
    let k = m.ports[bs_valid.0].width as usize;
    let field = |name: &str| SL_PORTS.iter().position(|p| *p == name).expect("slice field");
    let (fw, fh, fy) = (field("sl_w"), field("sl_h"), field("sl_ctby"));
    let c = 1usize << s.log2_ctb;
    let mut rng = Rng(seed ^ 0x4d55_4c54);
    let mut rep = CoreReport { slices: s.slices.len() as u64, bins: s.bins, ..Default::default() };
    // per core: its slices in order, the next byte, the output of its current slice
    let lane: Vec<Vec<usize>> = (0..k).map(|i| (i..s.slices.len()).step_by(k).collect()).collect();
    let (mut bpos, mut opos) = (vec![(0usize, 0usize); k], vec![0usize; k]);
    let mut obuf: Vec<Vec<u8>> = vec![Vec::new(); k];
    let npics = s.pictures.len();
    let mut left: Vec<usize> = (0..npics).map(|p| s.slices.iter().filter(|x| x.picture as usize == p).count()).collect();
    let mut planes: Vec<Vec<u8>> = s.geometry.iter().map(|(w, h, _, _)| vec![0u8; w * h]).collect();
    let mut lines: Vec<usize> = vec![0; npics];
    let mut done = 0usize;
    m.set(sl_valid, 0);
    m.set(bs_valid, 0);
    m.set(px_ready, 0);
    crate::tb::pulse_reset(m, reset);
    let start = m.cycles;
    let mut ci = 0usize;
    while done < s.slices.len() {
        if m.cycles - start > max_cycles {
            return Err(SimError::Other(format!(
                "dec_multi: not finished after {max_cycles} cycles (slice command {ci} of {}, {done} slices out): hang",
                s.slices.len()
            )));
        }
        if ci < s.slices.len() {
            for (p, v) in sl.iter().zip(&s.slices[ci].fields) {
                m.set(*p, *v);
            }
        }
        m.set(sl_valid, (ci < s.slices.len()) as u64);
        let (mut bv, mut bl, mut by) = (0u64, 0u64, 0u64);
        for i in 0..k {
            let (li, bi) = bpos[i];
            if li < lane[i].len() && (stall_256 == 0 || (rng.next() & 255) >= stall_256 as u64) {
                let b = &s.slices[lane[i][li]].bytes;
                bv |= 1 << i;
                bl |= ((bi + 1 == b.len()) as u64) << i;
                by |= (b[bi] as u64) << (8 * i);
            }
        }
        m.set(bs_valid, bv);
        m.set(bs_last, bl);
        m.set(bs_byte, by);
        let pr: u64 = (0..k).map(|i| ((stall_256 == 0 || (rng.next() & 255) >= stall_256 as u64) as u64) << i).sum();
        m.set(px_ready, pr);
        m.eval();
        if ci < s.slices.len() && m.get(sl_ready) != 0 {
            ci += 1;
        }
        let br = m.get(bs_ready) & bv;
        for (i, bp) in bpos.iter_mut().enumerate() {
            if br >> i & 1 != 0 {
                bp.1 += 1;
                if bp.1 == s.slices[lane[i][bp.0]].bytes.len() {
                    *bp = (bp.0 + 1, 0);
                }
            }
        }
        let (pv, pl) = (m.get(px_valid) & pr, m.get(px_last));
        if pv != 0 {
            let data = m.get_words(px_data);
            for i in (0..k).filter(|i| pv >> i & 1 != 0) {
                let d = data[i];
                obuf[i].extend((0..4).map(|j| (d >> (8 * j)) as u8));
                if pl >> i & 1 == 0 {
                    continue;
                }
                // core i's slice is out: place its rows
                let Some(&si) = lane[i].get(opos[i]) else {
                    rep.note(format!("core {i}: output after its last slice"));
                    obuf[i].clear();
                    continue;
                };
                opos[i] += 1;
                done += 1;
                let f = &s.slices[si].fields;
                let (w, h, y0) = (f[fw] as usize, f[fh] as usize, f[fy] as usize * c);
                let pic = s.slices[si].picture as usize;
                let out = std::mem::take(&mut obuf[i]);
                rep.samples += out.len() as u64;
                if out.len() % w != 0 || y0 + out.len() / w > h {
                    rep.note(format!("slice {si} (core {i}): {} samples out from line {y0} of a {w}x{h} picture", out.len()));
                } else {
                    let n = out.len() / w;
                    planes[pic][y0 * w..y0 * w + out.len()].copy_from_slice(&crate::tb::ctu_to_raster(&out, w, y0, y0 + n, c));
                    lines[pic] += out.len() / w;
                }
                left[pic] -= 1;
                if left[pic] == 0 {
                    rep.pictures += 1;
                    rep.picture_done.push(m.cycles - start + 1);
                    let (w, h, win, cf) = s.geometry[pic];
                    if lines[pic] != h {
                        rep.note(format!("picture {pic}: {} lines out, {h} expected", lines[pic]));
                    } else if let Some(what) = differs(std::mem::take(&mut planes[pic]), (w, h, win, cf), &s.pictures[pic]) {
                        rep.note(format!("picture {pic}: {what}"));
                    }
                }
            }
        }
        m.tick();
        if m.get(err) != 0 {
            rep.errored = true;
            break;
        }
    }
    rep.cycles = m.cycles - start;
    rep.wall_seconds = t0.elapsed().as_secs_f64();
    Ok(rep)
}
