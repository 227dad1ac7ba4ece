//! Testbench of `res_dec`, the decoder core's residual_coding parser: substreams coded
//! by golden's encoder (`golden::residual::code_residual` and single bins on every
//! context), parsed by the RTL and by golden's decoder (`parse_residual`), which is fed
//! from the command monitor; the in-order scoreboard compares every coefficient beat
//! (kind, level, raster position), TU end and bin. Corrupt substreams go through
//! [`corrupt_check`]: the parser must raise `err` on the TU where golden's decoder
//! returns an error, match golden before it, and never hang.

use std::collections::VecDeque;

use golden::cabac::{BinSink, CabacEncoder, Contexts};
use golden::decoder::cabac::CabacDecoder;

use crate::blocks::{stimulus, StimSet};
use crate::model::{Model, SimError};
use crate::tb::{self, Beat, Expected, Reference, Report, Rng, Stream, Timing};

/// One operation of a substream.
#[derive(Clone, Debug)]
pub enum Op {
    /// residual_coding of raster `levels` (at least one non-zero).
    Tu { log2: u32, chroma: bool, scan: u32, sdh: bool, levels: Vec<i32> },
    /// One bin: kind 0 decision on context `ctx` (`Contexts::flat` order), 1 bypass,
    /// 2 terminate (coded 0).
    Bin { kind: u8, ctx: u8, bin: u32 },
}

/// A coded substream: the operations, the QP its contexts start from, whether it
/// starts with a context initialization (op 0) or keeps the previous substream's
/// contexts (op 3, after reset: the WPP/slice case), and its bytes.
#[derive(Clone, Debug)]
pub struct ResStream {
    pub qp: u8,
    pub init: bool,
    pub ops: Vec<Op>,
    pub bytes: Vec<u8>,
}

/// Code `ops` with golden's encoder starting from `ctx` (updated in place), ending
/// with terminate(1) (which the command list decodes as a final op-2 terminate).
pub fn encode(qp: u8, init: bool, mut ops: Vec<Op>, ctx: &mut Contexts) -> ResStream {
    for op in ops.iter_mut() {
        if let Op::Tu { log2, scan, sdh: true, levels, .. } = op {
            conform_sign_hiding(levels, *log2, *scan);
        }
    }
    if init {
        *ctx = Contexts::new(qp as i32);
    }
    let mut e = CabacEncoder::new();
    for op in &ops {
        match op {
            Op::Tu { log2, chroma, scan, sdh, levels } => {
                golden::residual::code_residual(&mut e, ctx, levels, *log2, *chroma as u32, *scan, *sdh);
            }
            Op::Bin { kind: 0, ctx: c, bin } => e.bin(ctx.flat_mut(*c as usize).expect("context index"), *bin),
            Op::Bin { kind: 1, bin, .. } => e.bypass(*bin),
            Op::Bin { .. } => e.terminate(0),
        }
    }
    e.terminate(1);
    ResStream { qp, init, ops, bytes: e.finish() }
}

/// Make `levels` satisfy the sign data hiding rule (a conforming stream): in each
/// sub-block whose first and last non-zero scan positions are more than 3 apart, the
/// sign of the first (lowest-frequency) non-zero level is the parity of the sum of
/// absolute levels; where it is not, that level's magnitude moves by one.
pub fn conform_sign_hiding(levels: &mut [i32], log2: u32, scan: u32) {
    let st = golden::residual::scan_table(log2, scan);
    for sb in st.chunks(16) {
        let nz: Vec<usize> = (0..16).filter(|&k| levels[sb[k] as usize] != 0).collect();
        let (Some(&lo), Some(&hi)) = (nz.first(), nz.last()) else { continue };
        if hi - lo <= 3 {
            continue;
        }
        let sum: i64 = nz.iter().map(|&k| levels[sb[k] as usize].unsigned_abs() as i64).sum();
        let r = sb[lo] as usize;
        if (sum % 2 == 1) != (levels[r] < 0) {
            let a = levels[r].abs();
            let a = if a > 1 { a - 1 } else { a + 1 };
            levels[r] = if levels[r] < 0 { -a } else { a };
        }
    }
}

/// Command beats of a substream: [op, qp, log2, chroma, scan, sdh, kind, ctx].
pub fn commands(s: &ResStream) -> Vec<Beat> {
    let mut v = vec![vec![if s.init { 0 } else { 3 }, s.qp as u64, 0, 0, 0, 0, 0, 0]];
    for op in &s.ops {
        v.push(match op {
            Op::Tu { log2, chroma, scan, sdh, .. } => vec![1, 0, *log2 as u64, *chroma as u64, *scan as u64, *sdh as u64, 0, 0],
            Op::Bin { kind, ctx, .. } => vec![2, 0, 0, 0, 0, 0, *kind as u64, *ctx as u64],
        });
    }
    v.push(vec![2, 0, 0, 0, 0, 0, 2, 0]);
    v
}

const CMD_PORTS: [&str; 8] = ["cmd_op", "cmd_qp", "cmd_log2", "cmd_chroma", "cmd_scan", "cmd_sdh", "cmd_kind", "cmd_ctx"];
const OUT_PORTS: [&str; 3] = ["out_kind", "out_level", "out_pos"];

/// Golden's answer to one command: the output beats, or an error (kind 3).
fn golden_answer(dec: &mut Option<CabacDecoder<'static>>, bytes: &'static [u8], ctx: &mut Contexts, cmd: &Beat) -> Result<Vec<Beat>, ()> {
    match cmd[0] {
        0 | 3 => {
            if cmd[0] == 0 {
                *ctx = Contexts::new(cmd[1] as i32);
            }
            let d = CabacDecoder::new(bytes, 0);
            let ok = d.init_ok();
            *dec = Some(d);
            if ok {
                Ok(Vec::new())
            } else {
                Err(())
            }
        }
        1 => {
            let d = dec.as_mut().ok_or(())?;
            let (log2, c_idx, scan, sdh) = (cmd[2] as u32, cmd[3] as u32, cmd[4] as u32, cmd[5] != 0);
            if !(2..=5).contains(&log2) || scan > 2 {
                return Err(());
            }
            let n = 1usize << log2;
            let mut coeffs = vec![0i32; n * n];
            golden::decoder::slice::parse_residual(d, ctx, log2, c_idx, scan, sdh, false, &mut coeffs).map_err(|_| ())?;
            let st = golden::residual::scan_table(log2, scan);
            let mut beats: Vec<Beat> = st.iter().rev().filter(|&&r| coeffs[r as usize] != 0).map(|&r| vec![0, coeffs[r as usize] as i64 as u64 & 0xffff, r as u64]).collect();
            beats.push(vec![1, 0, 0]);
            Ok(beats)
        }
        _ => {
            let d = dec.as_mut().ok_or(())?;
            let bin = match cmd[6] {
                0 => d.decision(ctx.flat_mut(cmd[7] as usize).ok_or(())?),
                1 => d.bypass(),
                2 => d.terminate(),
                _ => return Err(()),
            };
            Ok(vec![vec![2, bin as u64, 0]])
        }
    }
}

/// The golden parser fed from the command monitor.
struct ResRef {
    bytes: &'static [u8],
    dec: Option<CabacDecoder<'static>>,
    ctx: Contexts,
    errored: bool,
    stream: u64,
    n: u32,
}

impl Reference for ResRef {
    fn accept(&mut self, b: &Beat, out: &mut VecDeque<Expected>) {
        let beats = if self.errored {
            if matches!(b[0], 1 | 2) {
                vec![vec![3, 0, 0]]
            } else {
                Vec::new()
            }
        } else {
            match golden_answer(&mut self.dec, self.bytes, &mut self.ctx, b) {
                Ok(v) => v,
                Err(()) => {
                    self.errored = true;
                    // initializations answer nothing, even when they fail
                    if matches!(b[0], 1 | 2) {
                        vec![vec![3, 0, 0]]
                    } else {
                        Vec::new()
                    }
                }
            }
        };
        for beat in beats {
            out.push_back(Expected { beat, unit: self.stream, index: self.n });
        }
        self.n += 1;
    }
    fn locate(&self, unit: u64, index: u32, port: usize) -> String {
        format!("substream #{unit} command #{index} port {}", OUT_PORTS.get(port).unwrap_or(&"?"))
    }
    fn samples_per_beat(&self) -> usize {
        1
    }
}

/// Run coded substreams through the parser (reset between substreams; the context
/// memory survives reset, so op-3 substreams continue from the previous one).
/// `samples_per_cycle` of the report is bins per cycle over the whole run.
pub fn run(m: &mut Model, streams: &[ResStream], timing: &Timing) -> Result<Report, SimError> {
    let input = Stream::new(m, "cmd_valid", "cmd_ready", &CMD_PORTS)?;
    let output = Stream::new(m, "out_valid", "out_ready", &OUT_PORTS)?;
    let bs = Stream::new(m, "bs_valid", "bs_ready", &["bs_byte", "bs_last"])?;
    let reset = Some(m.port("reset")?);
    let mut total = Report::default();
    let t0 = std::time::Instant::now();
    let mut ctx = Contexts::new(0);
    for (i, s) in streams.iter().enumerate() {
        let bytes: &'static [u8] = Box::leak(s.bytes.clone().into_boxed_slice());
        let mut r = ResRef { bytes, dec: None, ctx, errored: false, stream: i as u64, n: 0 };
        let n = bytes.len();
        let mut it = bytes.iter().enumerate().map(move |(k, &b)| vec![b as u64, (k + 1 == n) as u64]);
        let t = Timing { seed: timing.seed.wrapping_add(i as u64), ..timing.clone() };
        let rep = tb::run_aux(m, &input, &output, commands(s), &mut r, &t, reset, Some((&bs, &mut it)))?;
        ctx = r.ctx;
        total.absorb(rep);
    }
    total.wall_seconds = t0.elapsed().as_secs_f64();
    total.cycles_per_second = total.cycles as f64 / total.wall_seconds.max(1e-9);
    // the parser's unit of work: bins (as for the engines)
    total.work = streams.iter().map(bins_of).sum::<u64>();
    total.samples_per_cycle = total.work as f64 / total.cycles.max(1) as f64;
    Ok(total)
}

/// Bins a substream codes (decisions, bypass, terminate), by golden's bit counter
/// convention: for the bins-per-cycle figure.
pub fn bins_of(s: &ResStream) -> u64 {
    struct Count(u64);
    impl BinSink for Count {
        fn bin(&mut self, ctx: &mut golden::cabac::Ctx, bin: u32) {
            ctx.update(bin);
            self.0 += 1;
        }
        fn bypass(&mut self, _: u32) {
            self.0 += 1;
        }
        fn terminate(&mut self, _: u32) {
            self.0 += 1;
        }
    }
    let mut c = Count(0);
    let mut ctx = Contexts::new(s.qp as i32);
    for op in &s.ops {
        match op {
            Op::Tu { log2, chroma, scan, sdh, levels } => golden::residual::code_residual(&mut c, &mut ctx, levels, *log2, *chroma as u32, *scan, *sdh),
            _ => c.0 += 1,
        }
    }
    c.0 + 1
}

fn rand_levels(rng: &mut Rng, n: usize) -> Vec<i32> {
    let density = [2u64, 8, 30, 70, 100][(rng.next() % 5) as usize];
    let amp = [1i64, 2, 4, 20, 300, 32767][(rng.next() % 6) as usize];
    let mut v: Vec<i32> = (0..n * n)
        .map(|_| {
            if rng.next() % 100 < density {
                let a = rng.range(1, amp) as i32;
                if rng.next() & 1 == 0 {
                    a
                } else {
                    -a
                }
            } else {
                0
            }
        })
        .collect();
    if v.iter().all(|&x| x == 0) {
        let p = (rng.next() % (n * n) as u64) as usize;
        v[p] = 1;
    }
    v
}

fn rand_bin(rng: &mut Rng) -> Op {
    let k = rng.next() % 10;
    let kind = if k < 7 { 0u8 } else if k < 9 { 1 } else { 2 };
    let bin = if kind == 2 { 0 } else { (rng.next() % 4 == 0) as u32 };
    Op::Bin { kind, ctx: (rng.next() % Contexts::COUNT as u64) as u8, bin }
}

/// Substreams of a stimulus set (every substream after the first of a set
/// alternates between a fresh context initialization and continuing with op 3).
pub fn streams(set: &StimSet, seed: u64) -> Vec<ResStream> {
    let mut rng = Rng(seed ^ 0x7265_735f_6465_63);
    let mut groups: Vec<(u8, Vec<Op>)> = Vec::new();
    match set {
        StimSet::KnownAnswer => {
            const VALS: [i32; 12] = [1, -1, 2, -2, 3, -3, 7, -40, 1000, -32768, 32767, -5];
            for qp in [0u8, 22, 51] {
                let mut ops = Vec::new();
                // every context decided both ways, bypass and terminate bins
                for c in 0..Contexts::COUNT as u8 {
                    for b in [0, 1, 1, 0] {
                        ops.push(Op::Bin { kind: 0, ctx: c, bin: b });
                    }
                }
                ops.push(Op::Bin { kind: 1, ctx: 0, bin: 1 });
                ops.push(Op::Bin { kind: 2, ctx: 0, bin: 0 });
                groups.push((qp, ops));
            }
            // the initialization at every QP: each context decided once from its initial state
            for qp in 0..52u8 {
                let ops = (0..Contexts::COUNT as u8).map(|c| Op::Bin { kind: 0, ctx: c, bin: ((c as u32 * 7 + qp as u32) % 3 == 0) as u32 }).collect();
                groups.push((qp, ops));
            }
            let mut v = 0usize;
            for log2 in 2..=5u32 {
                let n = 1usize << log2;
                for chroma in [false, true] {
                    for scan in 0..3u32 {
                        // an impulse at every position (every last position, sub-block path)
                        let mut ops = Vec::new();
                        for p in 0..n * n {
                            let mut l = vec![0; n * n];
                            l[p] = VALS[v % VALS.len()];
                            v += 1;
                            ops.push(Op::Tu { log2, chroma, scan, sdh: v % 2 == 0, levels: l });
                        }
                        // dense patterns: flats, alternating signs, ramps, extremes
                        let pats: Vec<Vec<i32>> = vec![
                            vec![1; n * n],
                            vec![-1; n * n],
                            vec![32767; n * n],
                            vec![-32768; n * n],
                            (0..n * n).map(|i| if i % 2 == 0 { 3 } else { -2 }).collect(),
                            (0..n * n).map(|i| (i as i32 % 17) - 8).collect(),
                            (0..n * n).map(|i| if i % 5 == 0 { (i as i32) * 13 } else { 0 }).collect(),
                            (0..n * n).map(|i| if i < 3 { 1 } else { 0 }).collect(),
                        ];
                        for (k, l) in pats.into_iter().enumerate() {
                            if l.iter().any(|&x| x != 0) {
                                ops.push(Op::Tu { log2, chroma, scan, sdh: k % 2 == 1, levels: l.clone() });
                                ops.push(Op::Tu { log2, chroma, scan, sdh: k % 2 == 0, levels: l });
                            }
                        }
                        for chunk in ops.chunks(64) {
                            groups.push(([22u8, 37, 4][(log2 as usize + scan as usize) % 3], chunk.to_vec()));
                        }
                    }
                }
            }
        }
        StimSet::Random { per_size, .. } => {
            for log2 in 2..=5u32 {
                let n = 1usize << log2;
                let mut ops = Vec::new();
                for _ in 0..*per_size {
                    let chroma = rng.next() % 3 == 0;
                    let scan = if log2 <= 3 { (rng.next() % 3) as u32 } else { 0 };
                    ops.push(Op::Tu { log2, chroma, scan, sdh: rng.next() & 1 == 1, levels: rand_levels(&mut rng, n) });
                    for _ in 0..rng.next() % 4 {
                        ops.push(rand_bin(&mut rng));
                    }
                }
                for chunk in ops.chunks(40) {
                    groups.push(((rng.next() % 52) as u8, chunk.to_vec()));
                }
            }
        }
        StimSet::Tensor { .. } => {
            // levels of the forward path on tensor blocks (golden's quantizer, random QPs)
            let mut ops = Vec::new();
            for tu in stimulus(set, true, 32, seed) {
                if tu.data.iter().all(|&x| x == 0) {
                    ops.push(rand_bin(&mut rng));
                    continue;
                }
                let scan = if tu.log2 <= 3 { (rng.next() % 3) as u32 } else { 0 };
                ops.push(Op::Tu { log2: tu.log2, chroma: !tu.dst && rng.next() % 4 == 0, scan, sdh: true, levels: tu.data });
            }
            for chunk in ops.chunks(48) {
                groups.push((22, chunk.to_vec()));
            }
        }
    }
    let mut ctx = Contexts::new(0);
    groups.into_iter().enumerate().map(|(i, (qp, ops))| encode(qp, i == 0 || i % 2 == 0, ops, &mut ctx)).collect()
}

/// Outcome of a corrupt-stream run.
#[derive(Debug)]
pub struct CorruptOutcome {
    /// Command index at which golden's decoder returned an error (None: it parsed).
    pub golden_error: Option<usize>,
    /// Command index of the RTL's first kind-3 beat.
    pub rtl_error: Option<usize>,
    /// `err` port at the end.
    pub err_flag: bool,
    /// Commands answered differently before the first error.
    pub mismatches: usize,
    pub cycles: u64,
    /// The RTL's beats per command.
    pub answers: Vec<Vec<Beat>>,
}

/// Feed `bytes` (any byte string) with the TU commands `cmds` (op 0 first) to the
/// parser; fails with [`SimError`] if it does not answer every command within
/// `max_cycles`.
pub fn corrupt_check(m: &mut Model, bytes: &[u8], cmds: &[Beat], max_cycles: u64) -> Result<CorruptOutcome, SimError> {
    let cmd = Stream::new(m, "cmd_valid", "cmd_ready", &CMD_PORTS)?;
    let out = Stream::new(m, "out_valid", "out_ready", &OUT_PORTS)?;
    let bs = Stream::new(m, "bs_valid", "bs_ready", &["bs_byte", "bs_last"])?;
    let (reset, err) = (m.port("reset")?, m.port("err")?);
    m.set(cmd.valid, 0);
    m.set(bs.valid, 0);
    tb::pulse_reset(m, reset);
    let start = m.cycles;
    let (mut ci, mut bi) = (0usize, 0usize);
    let mut got: Vec<Beat> = Vec::new();
    let mut quiet = 0;
    loop {
        if m.cycles - start > max_cycles {
            return Err(SimError::Other(format!("res_dec: hung on a corrupt stream: {ci} of {} commands taken after {max_cycles} cycles", cmds.len())));
        }
        if let Some(c) = cmds.get(ci) {
            for (p, v) in cmd.data.iter().zip(c) {
                m.set(*p, *v);
            }
        }
        m.set(cmd.valid, (ci < cmds.len()) as u64);
        if bi < bytes.len() {
            m.set(bs.data[0], bytes[bi] as u64);
            m.set(bs.data[1], (bi + 1 == bytes.len()) as u64);
        }
        m.set(bs.valid, (bi < bytes.len()) as u64);
        m.set(out.ready, 1);
        m.eval();
        if ci < cmds.len() && m.get(cmd.ready) != 0 {
            ci += 1;
        }
        if bi < bytes.len() && m.get(bs.ready) != 0 {
            bi += 1;
        }
        let ov = m.get(out.valid) != 0;
        if ov {
            got.push(out.data.iter().map(|p| m.get(*p)).collect());
        }
        let idle = ci == cmds.len() && !ov && m.get(cmd.ready) != 0;
        m.tick();
        quiet = if idle { quiet + 1 } else { 0 };
        if quiet > 3 {
            break;
        }
    }
    let cycles = m.cycles - start;
    // golden's answers, command by command
    let leaked: &'static [u8] = Box::leak(bytes.to_vec().into_boxed_slice());
    let (mut dec, mut ctx) = (None, Contexts::new(0));
    let mut want: Vec<Result<Vec<Beat>, ()>> = Vec::new();
    for c in cmds {
        let a = golden_answer(&mut dec, leaked, &mut ctx, c);
        let stop = a.is_err();
        want.push(a);
        if stop {
            break;
        }
    }
    // an initialization that fails answers nothing: the error shows on the next command
    let golden_error = want.iter().position(|a| a.is_err()).and_then(|g| (g..cmds.len()).find(|&i| matches!(cmds[i][0], 1 | 2)));
    // split the RTL's beats per command
    let mut rtl_error = None;
    let mut mismatches = 0;
    let mut pos = 0usize;
    let mut answers = Vec::new();
    for (i, c) in cmds.iter().enumerate() {
        let mut group = Vec::new();
        if matches!(c[0], 1 | 2) {
            while pos < got.len() {
                let b = got[pos].clone();
                pos += 1;
                let end = b[0] != 0 || c[0] == 2;
                group.push(b);
                if end {
                    break;
                }
            }
        }
        answers.push(group.clone());
        if rtl_error.is_none() && group.last().is_some_and(|b| b[0] == 3) {
            rtl_error = Some(i);
        }
        if let Some(Ok(w)) = want.get(i) {
            if golden_error.is_none_or(|g| i < g) && *w != group {
                mismatches += 1;
            }
        }
    }
    Ok(CorruptOutcome { golden_error, rtl_error, err_flag: m.get(err) != 0, mismatches, cycles, answers })
}
