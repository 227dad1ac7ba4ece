//! Testbench of `intra_pred`, the intra sample predictor: jobs (mode, size, luma or
//! chroma, strong intra smoothing flag, the 4N + 1 reference samples) driven as
//! reference beats (top[0..2N) then left[0..2N), 4 samples per beat, the header and
//! the corner with every beat); the reference model is fed from the input monitor and
//! calls golden exactly as the decoder's `recon_block` does (`filter_flag`, `filter`,
//! `predict`); the in-order scoreboard compares every predicted sample (4 per beat)
//! and the `out_last` flag.
//!
//! Stimulus: known answers (every mode x every size x luma/chroma x strong on/off over
//! structured references: flats, ramps, steps, 0/255 extremes, alternating, smooth
//! ramps that take the strong filter and ones just at its threshold, random), random
//! jobs, and references gathered (`golden::predict::gather`, with substitution) from
//! blocks of real tensor frames.

use std::collections::VecDeque;

use golden::predict::{self, Refs};

use crate::blocks::StimSet;
use crate::model::{Model, SimError};
use crate::tb::{self, Beat, Expected, Reference, Report, Rng, Stream, Timing};

/// Samples per beat, in and out.
pub const LANES: usize = hw::intra_pred::LANES;

/// Input stream data ports, in beat order.
pub const IN_PORTS: [&str; 6] = ["ref_data", "in_mode", "in_log2", "in_luma", "in_strong", "in_corner"];
/// Output stream data ports, in beat order.
pub const OUT_PORTS: [&str; 2] = ["out_sample", "out_last"];

/// One prediction job: an N x N block (N = 2^`log2`) of `mode`, luma (cIdx 0: filtering
/// and edge filters) or chroma, with strong_intra_smoothing_enabled_flag `strong`.
#[derive(Clone, Debug)]
pub struct Job {
    pub mode: u8,
    pub log2: u32,
    pub luma: bool,
    pub strong: bool,
    pub refs: Refs,
}

impl Job {
    pub fn n(&self) -> usize {
        1 << self.log2
    }

    /// golden's prediction of the job, raster order.
    pub fn predict(&self) -> Vec<i32> {
        golden_predict(&self.refs, self.n(), self.mode, self.luma, self.strong)
    }

    /// Whether golden's filter takes the strong intra smoothing path (8.4.4.2.3).
    pub fn takes_strong(&self) -> bool {
        let (r, n) = (&self.refs, self.n());
        self.luma
            && self.strong
            && n == 32
            && predict::filter_flag(self.mode, n)
            && (r.corner + r.top[63] - 2 * r.top[31]).abs() < 8
            && (r.corner + r.left[63] - 2 * r.left[31]).abs() < 8
    }

    /// Whether the angular prediction projects side samples (8.4.4.2.6: a negative
    /// intraPredAngle with (N * intraPredAngle) >> 5 < -1).
    pub fn projects(&self) -> bool {
        self.mode >= 2 && {
            let a = predict::INTRA_PRED_ANGLE[self.mode as usize - 2];
            a < 0 && ((self.n() as i32 * a) >> 5) < -1
        }
    }
}

/// The prediction as `golden::decoder::slice` computes it (`recon_block`).
pub fn golden_predict(refs: &Refs, n: usize, mode: u8, luma: bool, strong: bool) -> Vec<i32> {
    let mut out = vec![0i32; n * n];
    if luma && predict::filter_flag(mode, n) {
        let f = predict::filter(refs, n, strong);
        predict::predict(&f, n, mode, true, &mut out);
    } else {
        predict::predict(refs, n, mode, luma, &mut out);
    }
    out
}

fn pack(v: &[i32]) -> u64 {
    v.iter().enumerate().fold(0u64, |a, (l, &s)| {
        assert!((0..=255).contains(&s), "sample {s} outside 8 bits");
        a | (s as u64) << (8 * l)
    })
}

/// Input beats of a job: [ref_data, mode, log2, luma, strong, corner].
pub fn beats(job: &Job) -> Vec<Beat> {
    let n2 = 2 * job.n();
    let samples: Vec<i32> = job.refs.top[..n2].iter().chain(&job.refs.left[..n2]).copied().collect();
    samples
        .chunks(LANES)
        .map(|c| vec![pack(c), job.mode as u64, job.log2 as u64, job.luma as u64, job.strong as u64, job.refs.corner as u64])
        .collect()
}

/// The reference: rebuilds each job from the accepted beats and predicts it with golden.
#[derive(Default)]
struct PredRef {
    header: Option<(u8, u32, bool, bool, i32)>,
    samples: Vec<i32>,
    jobs: Vec<(u8, u32, bool, bool)>,
}

impl Reference for PredRef {
    fn accept(&mut self, b: &Beat, out: &mut VecDeque<Expected>) {
        let (mode, log2, luma, strong, corner) =
            *self.header.get_or_insert((b[1] as u8, b[2] as u32, b[3] != 0, b[4] != 0, b[5] as i32));
        self.samples.extend((0..LANES).map(|l| ((b[0] >> (8 * l)) & 0xff) as i32));
        let n = 1usize << log2;
        if self.samples.len() < 4 * n {
            return;
        }
        let mut r = Refs::flat(0);
        r.corner = corner;
        r.top[..2 * n].copy_from_slice(&self.samples[..2 * n]);
        r.left[..2 * n].copy_from_slice(&self.samples[2 * n..4 * n]);
        let pred = golden_predict(&r, n, mode, luma, strong);
        let unit = self.jobs.len() as u64;
        self.jobs.push((mode, log2, luma, strong));
        let nb = n * n / LANES;
        for (k, c) in pred.chunks(LANES).enumerate() {
            out.push_back(Expected { beat: vec![pack(c), (k + 1 == nb) as u64], unit, index: k as u32 });
        }
        self.samples.clear();
        self.header = None;
    }

    fn locate(&self, unit: u64, index: u32, port: usize) -> String {
        let (mode, log2, luma, strong) = self.jobs[unit as usize];
        let n = 1usize << log2;
        let first = index as usize * LANES;
        format!(
            "job #{unit} ({n}x{n} mode {mode} {}{}) row {} columns {}..{} port {}",
            if luma { "luma" } else { "chroma" },
            if strong { ", strong smoothing on" } else { "" },
            first / n,
            first % n,
            first % n + LANES - 1,
            OUT_PORTS.get(port).unwrap_or(&"?")
        )
    }

    fn samples_per_beat(&self) -> usize {
        LANES
    }
}

/// Run `jobs` through the block (one reset at the start). `samples_per_cycle` of the
/// report counts reference samples in; `work` is the predicted samples, `sum N^2` (see
/// [`predicted_samples`]).
pub fn run(m: &mut Model, jobs: &[Job], timing: &Timing) -> Result<Report, SimError> {
    let input = Stream::new(m, "ref_valid", "ref_ready", &IN_PORTS)?;
    let output = Stream::new(m, "out_valid", "out_ready", &OUT_PORTS)?;
    let reset = Some(m.port("reset")?);
    let mut r = PredRef::default();
    let mut rep = tb::run(m, &input, &output, jobs.iter().flat_map(beats), &mut r, timing, reset)?;
    rep.work = predicted_samples(jobs);
    Ok(rep)
}

/// Predicted samples of a job list.
pub fn predicted_samples(jobs: &[Job]) -> u64 {
    jobs.iter().map(|j| (j.n() * j.n()) as u64).sum()
}

// ---------------------------------------------------------------- stimulus

fn clamp8(v: i32) -> i32 {
    v.clamp(0, 255)
}

/// References with `corner`, and top/left from functions of the index 0..64.
fn refs_from(corner: i32, top: impl Fn(usize) -> i32, left: impl Fn(usize) -> i32) -> Refs {
    let mut r = Refs::flat(0);
    r.corner = clamp8(corner);
    for i in 0..64 {
        r.top[i] = clamp8(top(i));
        r.left[i] = clamp8(left(i));
    }
    r
}

/// Number of structured known-answer reference patterns.
pub const KNOWN_PATTERNS: usize = 19;

/// Linear ramps (corner 100, top rising, left falling: c + p[63] - 2 p[31] = 0) with
/// p[63] moved so that c + p[63] - 2 p[31] is `dt` on top and `dl` on the left.
fn threshold_refs(dt: i32, dl: i32) -> Refs {
    refs_from(100, |i| 100 + i as i32 + 1 + if i == 63 { dt } else { 0 }, |i| 100 - i as i32 - 1 + if i == 63 { dl } else { 0 })
}

/// Structured reference pattern `k` for an N x N block.
pub fn known_refs(k: usize, n: usize, rng: &mut Rng) -> Refs {
    let n2 = 2 * n as i32;
    match k {
        0 => Refs::flat(0),
        1 => Refs::flat(255),
        2 => Refs::flat(128),
        // ramps over the 2N samples (up on top, down on the left, and reversed)
        3 => refs_from(128, |i| (i as i32 * 255) / (n2 - 1), |i| 255 - (i as i32 * 255) / (n2 - 1)),
        4 => refs_from(0, |i| 255 - (i as i32 * 255) / (n2 - 1), |i| (i as i32 * 255) / (n2 - 1)),
        // steps at N and N/2
        5 => refs_from(0, |i| if (i as i32) < n2 / 2 { 0 } else { 255 }, |i| if (i as i32) < n2 / 4 { 255 } else { 0 }),
        // extremes: one side 255, the other 0, the corner at either end
        6 => refs_from(255, |_| 255, |_| 0),
        7 => refs_from(0, |_| 0, |_| 255),
        8 => refs_from(0, |_| 255, |_| 255),
        9 => refs_from(255, |_| 0, |_| 0),
        // alternating 0/255 (opposite phases on the two sides)
        10 => refs_from(255, |i| if i % 2 == 0 { 0 } else { 255 }, |i| if i % 2 == 0 { 255 } else { 0 }),
        // smooth linear ramps: the strong filter applies (32x32 luma)
        11 => refs_from(100, |i| 100 + ((i as i32 + 1) * 3) / 2, |i| 100 - ((i as i32 + 1) * 6) / 5),
        // at the strong filter threshold: |c + p[63] - 2 p[31]| = 7 on both sides (strong),
        // 8 on one side (not), each bound of each side
        12 => threshold_refs(7, -7),
        13 => threshold_refs(-7, 7),
        14 => threshold_refs(8, 0),
        15 => threshold_refs(-8, 0),
        16 => threshold_refs(0, 8),
        17 => threshold_refs(0, -8),
        // random
        _ => random_refs(0, rng),
    }
}

/// Random references of a kind: 0 uniform, 1 smooth (a random walk with small steps:
/// mostly takes the strong filter), 2 random at the strong-filter threshold, 3 noisy
/// ramps with extremes.
pub fn random_refs(kind: u64, rng: &mut Rng) -> Refs {
    match kind {
        0 => {
            let mut r = Refs::flat(rng.range(0, 255) as i32);
            for i in 0..64 {
                r.top[i] = rng.range(0, 255) as i32;
                r.left[i] = rng.range(0, 255) as i32;
            }
            r
        }
        1 | 2 => {
            let c = rng.range(40, 215) as i32;
            let mut r = Refs::flat(c);
            for side in 0..2 {
                let step = rng.range(-3, 3) as i32;
                let mut v = c;
                for i in 0..64 {
                    v = clamp8(v + step + rng.range(-1, 1) as i32);
                    if side == 0 {
                        r.top[i] = v;
                    } else {
                        r.left[i] = v;
                    }
                }
            }
            if kind == 2 {
                // move p[31] so that |c + p[63] - 2 p[31]| lands on 6..9
                for side in 0..2 {
                    let want = rng.range(6, 9) as i32 * if rng.next() & 1 == 0 { 1 } else { -1 };
                    let s = if side == 0 { &mut r.top } else { &mut r.left };
                    // c + s63 - 2 s31 = want: s31 = (c + s63 - want) / 2 (parity fixed on s63)
                    let mut s63 = s[63];
                    if (c + s63 - want) % 2 != 0 {
                        s63 = if s63 < 255 { s63 + 1 } else { s63 - 1 };
                    }
                    let s31 = (c + s63 - want) / 2;
                    if (0..=255).contains(&s31) {
                        s[63] = s63;
                        s[31] = s31;
                    }
                }
            }
            r
        }
        _ => {
            let c = if rng.next() & 1 == 0 { 0 } else { 255 };
            let a = rng.range(-8, 8) as i32;
            let b = rng.range(-8, 8) as i32;
            let t0 = rng.range(0, 255) as i32;
            let l0 = rng.range(0, 255) as i32;
            let mut r = refs_from(c, |i| t0 + a * i as i32, |i| l0 + b * i as i32);
            for i in 0..64 {
                if rng.next().is_multiple_of(8) {
                    r.top[i] = if rng.next() & 1 == 0 { 0 } else { 255 };
                }
                if rng.next().is_multiple_of(8) {
                    r.left[i] = if rng.next() & 1 == 0 { 0 } else { 255 };
                }
            }
            r
        }
    }
}

/// Known-answer jobs: every mode 0..34 x every N 4..32 x luma/chroma x strong on/off x
/// every structured pattern.
pub fn known_answer_jobs(seed: u64) -> Vec<Job> {
    let mut rng = Rng(seed ^ 0x6b61);
    let mut v = Vec::new();
    for log2 in 2..=5u32 {
        for mode in 0..35u8 {
            for luma in [true, false] {
                for strong in [true, false] {
                    for k in 0..KNOWN_PATTERNS {
                        let refs = known_refs(k, 1 << log2, &mut rng);
                        v.push(Job { mode, log2, luma, strong, refs });
                    }
                }
            }
        }
    }
    v
}

/// `count` random jobs of size `log2` (all sizes when None), interleaved.
pub fn random_jobs(count: u64, log2: Option<u32>, rng: &mut Rng) -> Vec<Job> {
    (0..count)
        .map(|_| {
            let log2 = log2.unwrap_or_else(|| 2 + (rng.next() % 4) as u32);
            let kind = rng.next() % 4;
            Job {
                mode: (rng.next() % 35) as u8,
                log2,
                luma: !rng.next().is_multiple_of(4),
                strong: !rng.next().is_multiple_of(4),
                refs: random_refs(kind, rng),
            }
        })
        .collect()
}

/// Jobs from blocks of int8 frames: N x N blocks at random aligned positions (the
/// frame's first row and column included), references gathered with
/// `golden::predict::gather`; availability alternates between every in-frame sample
/// and the raster order of N x N blocks (above rows and the block to the left
/// decoded, below-left not), so substitution is exercised at every frame edge.
pub fn tensor_jobs(frames: &[(usize, usize, Vec<u8>)], limit: u64, rng: &mut Rng) -> Vec<Job> {
    let mut v = Vec::new();
    if frames.is_empty() {
        return v;
    }
    for log2 in 2..=5u32 {
        let n = 1usize << log2;
        let mut count = 0u64;
        let mut k = 0usize;
        let mut tries = 0;
        while count < limit && tries < 4 * limit + 16 {
            tries += 1;
            let (w, h, px) = &frames[k % frames.len()];
            k += 1;
            let (w, h) = (*w, *h);
            if w < n || h < n {
                continue;
            }
            let pick = |rng: &mut Rng, size: usize| match rng.next() % 8 {
                0 => 0,
                1 => (size / n - 1) * n,
                _ => (rng.next() as usize % (size / n)) * n,
            };
            let bx = pick(rng, w);
            let by = pick(rng, h);
            let raster = count % 2 == 1;
            let (wi, hi, bxi, byi, ni) = (w as i32, h as i32, bx as i32, by as i32, n as i32);
            let avail = |x: i32, y: i32| {
                let inside = x >= 0 && y >= 0 && x < wi && y < hi;
                inside && (!raster || y < byi || (x < bxi && y < byi + ni))
            };
            let luma = count % 4 != 3;
            let refs = predict::gather(px, w, bx, by, n, if luma { 4 } else { 2 }, avail);
            let mode = ((count * 13 + rng.next() % 3) % 35) as u8;
            v.push(Job { mode, log2, luma, strong: count % 8 != 5, refs });
            count += 1;
        }
    }
    v
}

/// Jobs of a stimulus set: KnownAnswer (see [`known_answer_jobs`]); Random
/// { per_size, only }: `per_size` random jobs of each N (only N = 2^log2 of `only`
/// when given), sizes interleaved; Tensor { frames, limit }: up to `limit` blocks per
/// size (see [`tensor_jobs`]).
pub fn jobs(set: &StimSet, seed: u64) -> Vec<Job> {
    let mut rng = Rng(seed ^ 0x69_6e74_7261);
    match set {
        StimSet::KnownAnswer => known_answer_jobs(seed),
        StimSet::Random { per_size, only } => match only {
            Some((log2, _)) => random_jobs(*per_size, Some(*log2), &mut rng),
            None => {
                let mut v = Vec::new();
                for log2 in 2..=5u32 {
                    v.extend(random_jobs(*per_size, Some(log2), &mut rng));
                }
                // interleave the sizes
                for i in (1..v.len()).rev() {
                    let j = (rng.next() % (i as u64 + 1)) as usize;
                    v.swap(i, j);
                }
                v
            }
        },
        StimSet::Tensor { frames, limit } => tensor_jobs(frames, *limit, &mut rng),
    }
}
