//! Testbench of `res_enc`, the encoder core's residual binarizer: command lists
//! (context initialization, residual_coding of TUs whose levels stream in on the level
//! port, single decisions, bypass runs, terminating bins, WPP context store and
//! restore, substream finish) run through the RTL and through golden's encoder
//! (`golden::residual::code_residual` on `golden::cabac::CabacEncoder`), which is fed
//! from the command monitor; the in-order scoreboard compares every byte of every
//! substream (and its last flag).

use std::collections::VecDeque;

use golden::cabac::{BinSink, CabacEncoder, Contexts};

use crate::blocks::StimSet;
use crate::model::{Model, SimError};
use crate::res_dec::{Op, ResStream};
use crate::tb::{self, Beat, Expected, Reference, Report, Rng, Stream, Timing};

/// One command of the binarizer.
#[derive(Clone, Debug)]
pub enum Cmd {
    /// Initialize every context at this QP (op 0).
    Init(u8),
    /// residual_coding of raster `levels` (op 1; at least one non-zero).
    Tu { log2: u32, chroma: bool, scan: u32, sdh: bool, levels: Vec<i32> },
    /// One decision on context `ctx` (`Contexts::flat` order).
    Bin { ctx: u8, bin: u32 },
    /// `n` (1..=5) bypass bins: the low `n` bits of `val`, most significant first.
    Bypass { n: u32, val: u32 },
    /// One terminating bin.
    Term(u32),
    /// Flush the substream (after `Term(1)`).
    Finish,
    /// Store the contexts into the WPP storage.
    Save,
    /// Restore them from it.
    Restore,
}

/// The command ports, in [`beat`]'s order.
pub const CMD_PORTS: [&str; 10] = ["cmd_op", "cmd_qp", "cmd_log2", "cmd_chroma", "cmd_scan", "cmd_sdh", "cmd_kind", "cmd_ctx", "cmd_val", "cmd_n"];

/// The command beat of `c`.
pub fn beat(c: &Cmd) -> Beat {
    match c {
        Cmd::Init(qp) => vec![0, *qp as u64, 0, 0, 0, 0, 0, 0, 0, 0],
        Cmd::Tu { log2, chroma, scan, sdh, .. } => vec![1, 0, *log2 as u64, *chroma as u64, *scan as u64, *sdh as u64, 0, 0, 0, 0],
        Cmd::Bin { ctx, bin } => vec![2, 0, 0, 0, 0, 0, 0, *ctx as u64, *bin as u64, 0],
        Cmd::Bypass { n, val } => vec![2, 0, 0, 0, 0, 0, 1, 0, *val as u64, *n as u64],
        Cmd::Term(b) => vec![2, 0, 0, 0, 0, 0, 2, 0, *b as u64, 0],
        Cmd::Finish => vec![3, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        Cmd::Restore => vec![3, 0, 0, 0, 0, 0, 1, 0, 0, 0],
        Cmd::Save => vec![3, 0, 0, 0, 0, 0, 2, 0, 0, 0],
    }
}

/// Level beats of the TUs of `cmds`: [lv_data (lanes x 16 bits), lv_log2].
pub fn level_beats(cmds: &[Cmd], lanes: usize) -> Vec<Beat> {
    let mut v = Vec::new();
    for c in cmds {
        if let Cmd::Tu { log2, levels, .. } = c {
            for chunk in levels.chunks(lanes) {
                let d = chunk.iter().enumerate().fold(0u64, |a, (l, &x)| a | ((x as i64 as u64 & 0xffff) << (16 * l)));
                v.push(vec![d, *log2 as u64]);
            }
        }
    }
    v
}

/// Golden's encoder state.
pub struct Golden {
    pub ctx: Contexts,
    saved: Contexts,
    enc: CabacEncoder,
    /// Bins coded so far.
    pub bins: u64,
}

impl Default for Golden {
    fn default() -> Self {
        Golden { ctx: Contexts::new(0), saved: Contexts::new(0), enc: CabacEncoder::new(), bins: 0 }
    }
}

impl Golden {
    /// Whether the block codes `c` (a command it flags with `err` codes nothing).
    pub fn valid(c: &Cmd) -> bool {
        match c {
            Cmd::Tu { log2, scan, levels, .. } => (2..=5).contains(log2) && *scan <= 2 && levels.len() == 1 << (2 * log2) && levels.iter().any(|&l| l != 0),
            Cmd::Bin { ctx, .. } => (*ctx as usize) < Contexts::COUNT,
            Cmd::Bypass { n, .. } => (1..=5).contains(n),
            _ => true,
        }
    }

    /// Apply one command; a finish returns the substream's bytes. Invalid commands
    /// ([`Golden::valid`]) are skipped, as the block skips them.
    pub fn apply(&mut self, c: &Cmd) -> Option<Vec<u8>> {
        if !Self::valid(c) {
            return None;
        }
        match c {
            Cmd::Init(qp) => self.ctx = Contexts::new(*qp as i32),
            Cmd::Tu { log2, chroma, scan, sdh, levels } => {
                golden::residual::code_residual(&mut self.enc, &mut self.ctx, levels, *log2, *chroma as u32, *scan, *sdh)
            }
            Cmd::Bin { ctx, bin } => self.enc.bin(self.ctx.flat_mut(*ctx as usize).expect("context index"), *bin),
            Cmd::Bypass { n, val } => self.enc.bypass_bits(*val, *n),
            Cmd::Term(b) => self.enc.terminate(*b),
            Cmd::Finish => {
                let e = std::mem::take(&mut self.enc);
                self.bins += e.bins;
                return Some(e.finish());
            }
            Cmd::Save => self.saved = self.ctx.clone(),
            Cmd::Restore => self.ctx = self.saved.clone(),
        }
        None
    }
}

/// Commands of coded substreams (`res_dec`'s stimulus): each substream starts with a
/// context initialization, or continues the previous one's contexts, or (after a
/// store somewhere earlier) restores the stored ones; bypass bins run together up to
/// five per command; every substream ends with terminate(1) and a finish. TUs larger
/// than 2^`max_log2` are left out.
pub fn commands_of(streams: &[ResStream], max_log2: u32, seed: u64) -> Vec<Cmd> {
    let mut rng = Rng(seed ^ 0x7265_735f_656e_63);
    let mut v = Vec::new();
    let mut saved = false;
    for s in streams {
        if s.init {
            v.push(Cmd::Init(s.qp));
        } else if saved && rng.next() % 2 == 0 {
            v.push(Cmd::Restore);
        }
        for op in &s.ops {
            match op {
                Op::Tu { log2, chroma, scan, sdh, levels } => {
                    if *log2 <= max_log2 {
                        v.push(Cmd::Tu { log2: *log2, chroma: *chroma, scan: *scan, sdh: *sdh, levels: levels.clone() });
                    }
                }
                Op::Bin { kind: 0, ctx, bin } => v.push(Cmd::Bin { ctx: *ctx, bin: *bin }),
                Op::Bin { kind: 1, bin, .. } => match v.last_mut() {
                    Some(Cmd::Bypass { n, val }) if *n < 5 => {
                        *val = (*val << 1) | bin;
                        *n += 1;
                    }
                    _ => v.push(Cmd::Bypass { n: 1, val: *bin }),
                },
                Op::Bin { .. } => v.push(Cmd::Term(0)),
            }
            if rng.next() % 40 == 0 {
                v.push(Cmd::Save);
                saved = true;
            }
        }
        v.push(Cmd::Term(1));
        v.push(Cmd::Finish);
    }
    v
}

/// The stimulus of a set: `res_dec`'s substreams as commands.
pub fn set_commands(set: &StimSet, max_log2: u32, seed: u64) -> Vec<Cmd> {
    commands_of(&crate::res_dec::streams(set, seed), max_log2, seed)
}

/// Golden fed from the command monitor.
struct EncRef<'a> {
    cmds: &'a [Cmd],
    g: Golden,
    n: usize,
    stream: u64,
}

impl Reference for EncRef<'_> {
    fn accept(&mut self, _b: &Beat, out: &mut VecDeque<Expected>) {
        let c = &self.cmds[self.n];
        self.n += 1;
        if let Some(bytes) = self.g.apply(c) {
            let n = bytes.len();
            for (i, &b) in bytes.iter().enumerate() {
                out.push_back(Expected { beat: vec![b as u64, (i + 1 == n) as u64], unit: self.stream, index: i as u32 });
            }
            self.stream += 1;
        }
    }
    fn locate(&self, unit: u64, index: u32, port: usize) -> String {
        format!("substream #{unit} byte #{index} {}", ["out_byte", "out_last"].get(port).unwrap_or(&"?"))
    }
    fn samples_per_beat(&self) -> usize {
        1
    }
}

/// Run `cmds` through the binarizer (one reset first); `work` of the report is bins
/// (golden's count) and `samples_per_cycle` bins per cycle.
pub fn run(m: &mut Model, cmds: &[Cmd], lanes: usize, timing: &Timing) -> Result<Report, SimError> {
    let input = Stream::new(m, "cmd_valid", "cmd_ready", &CMD_PORTS)?;
    let output = Stream::new(m, "out_valid", "out_ready", &["out_byte", "out_last"])?;
    let lv = Stream::new(m, "lv_valid", "lv_ready", &["lv_data", "lv_log2"])?;
    let reset = Some(m.port("reset")?);
    let mut r = EncRef { cmds, g: Golden::default(), n: 0, stream: 0 };
    let mut it = level_beats(cmds, lanes).into_iter();
    let mut rep = tb::run_aux(m, &input, &output, cmds.iter().map(beat), &mut r, timing, reset, Some((&lv, &mut it)))?;
    if m.get(m.port("err")?) != 0 {
        rep.mismatches += 1;
        rep.first_mismatch.get_or_insert_with(|| "res_enc raised err on a valid command list".into());
    }
    rep.work = r.g.bins;
    rep.samples_per_cycle = rep.work as f64 / rep.cycles.max(1) as f64;
    Ok(rep)
}
