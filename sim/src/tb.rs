//! Testbench in cocotb's shape for valid/ready streams: a driver presents input beats
//! (with random idle cycles), an input monitor records every accepted beat and feeds
//! the reference model (golden/), an output monitor records every beat the block
//! emits (under random backpressure), and an in-order scoreboard compares the two and
//! reports the first mismatch with its coordinates.

use std::collections::VecDeque;

use crate::model::{Model, PortId, SimError};

/// A beat: one value per data port of the stream, in the stream's port order.
pub type Beat = Vec<u64>;

/// Ports of one valid/ready stream.
pub struct Stream {
    pub valid: PortId,
    pub ready: PortId,
    pub data: Vec<PortId>,
}

impl Stream {
    pub fn new(m: &Model, valid: &str, ready: &str, data: &[&str]) -> Result<Self, SimError> {
        Ok(Stream {
            valid: m.port(valid)?,
            ready: m.port(ready)?,
            data: data.iter().map(|d| m.port(d)).collect::<Result<_, _>>()?,
        })
    }
}

/// Expected output beat with the coordinates it belongs to.
pub struct Expected {
    pub beat: Beat,
    /// Transfer unit (TU) index and beat index inside it.
    pub unit: u64,
    pub index: u32,
}

/// The reference side: fed by the input monitor, produces expected output beats.
pub trait Reference {
    /// One accepted input beat; push the output beats it completes.
    fn accept(&mut self, beat: &Beat, out: &mut VecDeque<Expected>);
    /// Describe an output position for a mismatch report.
    fn locate(&self, unit: u64, index: u32, port: usize) -> String;
    /// Samples (values) carried by one input beat, for the samples/cycle figure.
    fn samples_per_beat(&self) -> usize;
}

/// Stimulus timing.
#[derive(Clone, Debug)]
pub struct Timing {
    /// Probability (in 1/256) that the driver presents a pending beat in a cycle.
    pub valid_256: u32,
    /// Probability (in 1/256) that the consumer is ready in a cycle.
    pub ready_256: u32,
    pub seed: u64,
    /// Give up after this many cycles without any transfer.
    pub stall_limit: u64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing { valid_256: 256, ready_256: 256, seed: 1, stall_limit: 100_000 }
    }
}

/// What a run measured.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Report {
    pub beats_in: u64,
    pub beats_out: u64,
    pub units: u64,
    /// Cycles of the whole run: reset, traffic, and the trailing check for extra beats.
    pub cycles: u64,
    /// Cycles from the first cycle after reset up to and including the last output beat
    /// (the convention of `area_energy::cycle`).
    pub busy_cycles: u64,
    pub mismatches: u64,
    pub first_mismatch: Option<String>,
    /// Input samples per cycle over the whole run.
    pub samples_per_cycle: f64,
    /// The block's own unit of work where it is not input samples (bins a parser
    /// decoded, samples a predictor produced); 0 otherwise.
    pub work: u64,
    /// Cycles from the first input beat to the first output beat.
    pub first_latency: Option<u64>,
    pub wall_seconds: f64,
    pub cycles_per_second: f64,
}

/// Hold `reset` high for two clock cycles, then release it.
pub fn pulse_reset(m: &mut Model, reset: PortId) {
    m.set(reset, 1);
    for _ in 0..2 {
        m.eval();
        m.tick();
    }
    m.set(reset, 0);
}

impl Report {
    /// Add a run of one more unit (substream) to this total: counts and cycles add,
    /// the first mismatch and first latency are kept. Rates are left to the caller.
    pub fn absorb(&mut self, r: Report) {
        self.beats_in += r.beats_in;
        self.beats_out += r.beats_out;
        self.units += 1;
        self.cycles += r.cycles;
        self.busy_cycles += r.busy_cycles;
        self.mismatches += r.mismatches;
        if self.first_mismatch.is_none() {
            self.first_mismatch = r.first_mismatch;
        }
        if self.first_latency.is_none() {
            self.first_latency = r.first_latency;
        }
    }
}

/// SplitMix64: the testbench's random source (deterministic per seed).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }
    /// Uniform in lo..=hi.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }
}

/// Run `inputs` through the block; returns the report (mismatches counted, not fatal).
pub fn run(
    m: &mut Model,
    input: &Stream,
    output: &Stream,
    inputs: impl IntoIterator<Item = Beat>,
    reference: &mut dyn Reference,
    timing: &Timing,
    reset: Option<PortId>,
) -> Result<Report, SimError> {
    run_aux(m, input, output, inputs, reference, timing, reset, None)
}

/// [`run`] with an auxiliary input stream (data the block pulls on its own, such as a
/// bitstream), driven whenever the block is ready and not seen by the reference.
#[allow(clippy::too_many_arguments)]
pub fn run_aux(
    m: &mut Model,
    input: &Stream,
    output: &Stream,
    inputs: impl IntoIterator<Item = Beat>,
    reference: &mut dyn Reference,
    timing: &Timing,
    reset: Option<PortId>,
    mut aux: Option<(&Stream, &mut dyn Iterator<Item = Beat>)>,
) -> Result<Report, SimError> {
    let t0 = std::time::Instant::now();
    let mut rng = Rng(timing.seed ^ 0x7463_6765_6e00);
    let start_cycles = m.cycles;
    if let Some((st, _)) = aux.as_ref() {
        m.set(st.valid, 0);
    }
    if let Some(r) = reset {
        m.set(input.valid, 0);
        pulse_reset(m, r);
    }
    let busy_from = m.cycles;
    let mut inputs = inputs.into_iter();
    let mut pending: Option<Beat> = None;
    let mut exhausted = false;
    let mut expected: VecDeque<Expected> = VecDeque::new();
    let mut rep = Report::default();
    let mut idle = 0u64;
    let mut first_in: Option<u64> = None;
    let mut got: Beat = vec![0; output.data.len()];
    let mut aux_pending: Option<Beat> = None;
    let mut early: VecDeque<(Beat, u64)> = VecDeque::new();
    loop {
        if let Some((st, it)) = aux.as_mut() {
            if aux_pending.is_none() {
                aux_pending = it.next();
                if let Some(b) = &aux_pending {
                    for (p, v) in st.data.iter().zip(b) {
                        m.set(*p, *v);
                    }
                }
            }
            m.set(st.valid, aux_pending.is_some() as u64);
        }
        // driver
        if pending.is_none() && !exhausted && (timing.valid_256 >= 256 || (rng.next() & 255) < timing.valid_256 as u64) {
            match inputs.next() {
                Some(b) => {
                    for (p, v) in input.data.iter().zip(&b) {
                        m.set(*p, *v);
                    }
                    pending = Some(b);
                }
                None => exhausted = true,
            }
        }
        m.set(input.valid, pending.is_some() as u64);
        let ready = timing.ready_256 >= 256 || (rng.next() & 255) < timing.ready_256 as u64;
        m.set(output.ready, ready as u64);
        m.eval();
        let mut moved = false;
        if let Some((st, _)) = aux.as_ref() {
            if aux_pending.is_some() && m.get(st.ready) != 0 {
                aux_pending = None;
                moved = true;
            }
        }
        // input monitor -> reference
        if pending.is_some() && m.get(input.ready) != 0 {
            let b = pending.take().unwrap();
            if first_in.is_none() {
                first_in = Some(m.cycles);
            }
            reference.accept(&b, &mut expected);
            rep.beats_in += 1;
            moved = true;
        }
        // output monitor -> scoreboard
        if ready && m.get(output.valid) != 0 {
            for (g, p) in got.iter_mut().zip(&output.data) {
                *g = m.get(*p);
            }
            if rep.beats_out == 0 {
                rep.first_latency = first_in.map(|f| m.cycles - f);
            }
            rep.beats_out += 1;
            rep.busy_cycles = m.cycles - busy_from + 1;
            moved = true;
            // outputs may run ahead of the reference (a block that streams what the
            // reference only knows at the end of a unit): hold them until expected
            early.push_back((got.clone(), m.cycles));
        }
        while !early.is_empty() && !expected.is_empty() {
            let (got, cycle) = early.pop_front().unwrap();
            let e = expected.pop_front().unwrap();
            if e.beat != got {
                rep.mismatches += 1;
                if rep.first_mismatch.is_none() {
                    let port = e.beat.iter().zip(&got).position(|(a, b)| a != b).unwrap_or(0);
                    rep.first_mismatch = Some(format!(
                        "cycle {cycle}: {}: got {:#x} want {:#x}",
                        reference.locate(e.unit, e.index, port),
                        got[port],
                        e.beat[port]
                    ));
                }
            }
            if e.index == 0 {
                rep.units += 1;
            }
        }
        m.tick();
        if exhausted && pending.is_none() && expected.is_empty() {
            if !early.is_empty() {
                rep.mismatches += early.len() as u64;
                let (b, c) = &early[0];
                rep.first_mismatch.get_or_insert_with(|| format!("unexpected output beat {b:x?} at cycle {c}"));
            }
            // let any unexpected extra output show up
            for _ in 0..4 {
                m.set(output.ready, 1);
                m.eval();
                if m.get(output.valid) != 0 {
                    rep.mismatches += 1;
                    rep.first_mismatch.get_or_insert_with(|| format!("extra output beat at cycle {}", m.cycles));
                }
                m.tick();
            }
            break;
        }
        idle = if moved { 0 } else { idle + 1 };
        if idle > timing.stall_limit {
            return Err(SimError::Other(format!(
                "{}: no transfer for {} cycles at cycle {} ({} beats in, {} out, {} expected pending, {} mismatches{}): deadlock",
                m.module,
                timing.stall_limit,
                m.cycles,
                rep.beats_in,
                rep.beats_out,
                expected.len(),
                rep.mismatches,
                rep.first_mismatch.as_ref().map(|f| format!(", first: {f}")).unwrap_or_default()
            )));
        }
    }
    rep.cycles = m.cycles - start_cycles;
    rep.wall_seconds = t0.elapsed().as_secs_f64();
    rep.cycles_per_second = rep.cycles as f64 / rep.wall_seconds.max(1e-9);
    rep.samples_per_cycle = (rep.beats_in as f64 * reference.samples_per_beat() as f64) / rep.cycles.max(1) as f64;
    Ok(rep)
}

/// Where the samples of `recon`'s CTU-order picture output go: for lines `y0..y1` of a
/// `w`-wide picture (`y0` at a CTU row, CTUs of `c`), the raster index of every output
/// sample in output order (CTU by CTU in raster order, each CTU line by line, cut at the
/// picture's right edge and at `y1`).
pub fn ctu_order(w: usize, y0: usize, y1: usize, c: usize) -> Vec<usize> {
    let mut v = Vec::with_capacity(w * (y1 - y0));
    for cy in (y0..y1).step_by(c) {
        for cx in (0..w).step_by(c) {
            for y in cy..(cy + c).min(y1) {
                v.extend(y * w + cx..y * w + (cx + c).min(w));
            }
        }
    }
    v
}

/// Put CTU-order samples (`recon`'s output, [`ctu_order`]) of lines `y0..y1` back in
/// raster order.
pub fn ctu_to_raster(out: &[u8], w: usize, y0: usize, y1: usize, c: usize) -> Vec<u8> {
    let mut r = vec![0u8; out.len()];
    for (&i, &v) in ctu_order(w, y0, y1, c).iter().zip(out) {
        r[i - y0 * w] = v;
    }
    r
}
