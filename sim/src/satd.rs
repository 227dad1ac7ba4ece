//! Testbench of `satd`, the Hadamard SATD unit of the encoder's mode decision: blocks of
//! every size up to the largest TU (the residual stimulus sets of the transform blocks:
//! extremes, impulses, random, tensor blocks), each split into a prediction and an
//! original sample block whose difference is the residual; golden's
//! `encoder::search::satd` of the difference, fed from the input monitor, is the
//! expected output beat.

use std::collections::VecDeque;

use crate::blocks::{stimulus, StimSet};
use crate::tb::{Beat, Expected, Reference, Rng};

/// One block: log2 size, prediction and original samples (raster).
#[derive(Clone, Debug)]
pub struct Job {
    pub log2: u32,
    pub pred: Vec<u8>,
    pub orig: Vec<u8>,
}

/// Blocks of a stimulus set (every TU of the forward-transform stimulus, as
/// prediction + residual = original with a random prediction that keeps both in 0..255).
pub fn jobs(set: &StimSet, nm: usize, seed: u64) -> Vec<Job> {
    let mut rng = Rng(seed ^ 0x7361_7464);
    let mut v = Vec::new();
    for tu in stimulus(set, false, nm, seed) {
        let mut pred = Vec::with_capacity(tu.data.len());
        let mut orig = Vec::with_capacity(tu.data.len());
        for &r in &tu.data {
            let r = r.clamp(-255, 255) as i64;
            let p = if r >= 0 { rng.range(0, 255 - r) } else { rng.range(-r, 255) };
            pred.push(p as u8);
            orig.push((p + r) as u8);
        }
        v.push(Job { log2: tu.log2, pred, orig });
    }
    v
}

/// Input beats: [pred (4 x 8), orig (4 x 8), log2].
pub fn beats(jobs: &[Job]) -> Vec<Beat> {
    let pack = |s: &[u8]| s.iter().enumerate().fold(0u64, |a, (k, &x)| a | ((x as u64) << (8 * k)));
    jobs.iter().flat_map(|j| j.pred.chunks(4).zip(j.orig.chunks(4)).map(move |(p, o)| vec![pack(p), pack(o), j.log2 as u64])).collect()
}

/// Golden's SATD of each block, from the input monitor.
pub struct SatdRef {
    cur: Vec<i32>,
    log2: u32,
    n: u64,
}

impl SatdRef {
    pub fn new() -> Self {
        SatdRef { cur: Vec::new(), log2: 0, n: 0 }
    }
}

impl Default for SatdRef {
    fn default() -> Self {
        Self::new()
    }
}

impl Reference for SatdRef {
    fn accept(&mut self, b: &Beat, out: &mut VecDeque<Expected>) {
        if self.cur.is_empty() {
            self.log2 = b[2] as u32;
        }
        for k in 0..4 {
            self.cur.push(((b[1] >> (8 * k)) & 0xff) as i32 - ((b[0] >> (8 * k)) & 0xff) as i32);
        }
        let n = 1usize << self.log2;
        if self.cur.len() == n * n {
            let s = golden::encoder::search::satd(&self.cur, n);
            out.push_back(Expected { beat: vec![s], unit: self.n, index: 0 });
            self.n += 1;
            self.cur.clear();
        }
    }
    fn locate(&self, unit: u64, _index: u32, _port: usize) -> String {
        format!("block #{unit}")
    }
    fn samples_per_beat(&self) -> usize {
        4
    }
}
