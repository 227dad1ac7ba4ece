//! Testbench of `sdh`, sign data hiding between `fwd_tq` and the level consumers: the
//! transform blocks' residual stimulus (extremes, impulses, random, tensor blocks) through
//! golden's forward transform and quantizer at the stimulus QP and rounding offset, with
//! a random scan (diagonal, horizontal, vertical) and hiding on for 7 TUs in 8; golden's
//! `quantize::sign_hide`, fed from the input monitor, gives the expected levels and cbf.

use std::collections::VecDeque;

use crate::blocks::{pack, pack_neg, stimulus, StimSet};
use crate::tb::{Beat, Expected, Reference, Rng};

/// One TU as `fwd_tq` delivers it: levels, remainders, coefficient signs (raster), and
/// the side information.
#[derive(Clone, Debug)]
pub struct Job {
    pub log2: u32,
    pub scan: u32,
    pub hide: bool,
    pub level: Vec<i32>,
    pub du: Vec<i32>,
    pub neg: Vec<bool>,
}

/// The TUs of a stimulus set, quantized by golden.
pub fn jobs(set: &StimSet, nm: usize, seed: u64) -> Vec<Job> {
    let mut rng = Rng(seed ^ 0x7364_6821);
    stimulus(set, false, nm, seed)
        .map(|tu| {
            let n = 1usize << tu.log2;
            let mut c = vec![0i32; n * n];
            golden::transform::forward(&tu.data, n, tu.dst, &mut c);
            let mut level = vec![0i32; n * n];
            let mut du = vec![0i32; n * n];
            golden::quantize::quantize(&c, tu.log2, tu.qp, tu.offset, &mut level, &mut du);
            Job { log2: tu.log2, scan: rng.range(0, 2) as u32, hide: rng.range(0, 7) != 0, level, du, neg: c.iter().map(|&v| v < 0).collect() }
        })
        .collect()
}

/// Input beats: [level (P x 16), du (P x 10), neg (P), last, log2, scan, hide].
pub fn beats(jobs: &[Job], lanes: usize) -> Vec<Beat> {
    let mut out = Vec::new();
    for j in jobs {
        let beats = j.level.len() / lanes;
        for b in 0..beats {
            let r = b * lanes..(b + 1) * lanes;
            let neg: Vec<i32> = j.neg[r.clone()].iter().map(|&s| -(s as i32)).collect();
            out.push(vec![pack(&j.level[r.clone()], 16), pack(&j.du[r], 10), pack_neg(&neg), (b == beats - 1) as u64, j.log2 as u64, j.scan as u64, j.hide as u64]);
        }
    }
    out
}

/// Golden's sign hiding of each TU, from the input monitor: [level, last, cbf] per beat.
pub struct SdhRef {
    lanes: usize,
    cur: Option<Job>,
    n: u64,
}

impl SdhRef {
    pub fn new(lanes: usize) -> Self {
        SdhRef { lanes, cur: None, n: 0 }
    }
}

impl Reference for SdhRef {
    fn accept(&mut self, b: &Beat, out: &mut VecDeque<Expected>) {
        let j = self.cur.get_or_insert_with(|| Job { log2: b[4] as u32, scan: b[5] as u32, hide: b[6] != 0, level: vec![], du: vec![], neg: vec![] });
        for l in 0..self.lanes {
            j.level.push(((b[0] >> (16 * l)) & 0xffff) as u16 as i16 as i32);
            j.du.push(((((b[1] >> (10 * l)) & 0x3ff) as i32) << 22) >> 22);
            j.neg.push((b[2] >> l) & 1 != 0);
        }
        let n = 1usize << j.log2;
        if j.level.len() < n * n {
            return;
        }
        let mut j = self.cur.take().unwrap();
        if j.hide {
            let signs: Vec<i32> = j.neg.iter().map(|&s| if s { -1 } else { 1 }).collect();
            golden::quantize::sign_hide(&mut j.level, &signs, &j.du, golden::residual::scan_table(j.log2, j.scan));
        }
        let cbf = j.level.iter().any(|&v| v != 0) as u64;
        let beats = n * n / self.lanes;
        for k in 0..beats {
            let lv = pack(&j.level[k * self.lanes..(k + 1) * self.lanes], 16);
            out.push_back(Expected { beat: vec![lv, (k == beats - 1) as u64, cbf], unit: self.n, index: k as u32 });
        }
        self.n += 1;
    }
    fn locate(&self, unit: u64, index: u32, port: usize) -> String {
        format!("TU #{unit} beat {index} port {}", ["out_level", "out_last", "out_cbf"].get(port).unwrap_or(&"?"))
    }
    fn samples_per_beat(&self) -> usize {
        self.lanes
    }
}
