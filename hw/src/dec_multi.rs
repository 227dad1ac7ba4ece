//! `dec_multi`: K whole decoder cores side by side (K = `rtl.decoder_cores`, 2..=4),
//! slice k of the stream on core k mod K. Slices share neither intra prediction nor
//! CABAC contexts, so the cores decode at once and throughput scales with K on
//! pictures cut into at least K slices. This is how the decoder runs several CABAC
//! engines: each core's engine parses its own slices, and each core reconstructs them.
//!
//! Each core is a [`crate::dec_core`] (module `dec_multi_core`) whose `recon` is the
//! independent variant: a slice must start a CTU row (slice_segment_address a multiple
//! of the picture width in CTUs, which `bitstream.ctus_per_slice` a multiple of that
//! width gives) and end one (or the picture); otherwise `err` rises. Each core reads its
//! slices' rows out when they are decoded, so the output is per slice, not per picture:
//! the host (a DMA) places slice k's rows, which start at its first CTU row, from core
//! k mod K's output lane.
//!
//! Ports (synchronous to `clock`; `reset` synchronous, active high, once before a
//! stream):
//! - `sl_valid`, `sl_ready` and the slice fields of [`crate::dec_core`] (`sl_w` ..
//!   `sl_wpp`): one command per slice segment in stream order; the command of slice k
//!   waits for core k mod K to have ended its slice before.
//! - `bs_valid`, `bs_ready`, `bs_last` (K), `bs_byte` (8K): core i's slice data (bits
//!   8i+7..8i), the bytes of its slices in order, `bs_last` on each slice's last byte.
//! - `px_valid`, `px_ready`, `px_last` (K), `px_data` (32K): core i's output, each of its
//!   slices' CTUs in order, each CTU line by line (cut at the picture's edges, as in
//!   [`crate::dec_core`]), `px_last` on each slice's last beat.
//! - `pic_open` (K): core i is inside a slice (with `sl_ready` and no slice left, the
//!   stream ended inside one).
//! - `err` (1): any core's.
//!
//! Cost: every core holds its own CTU banks (2 x CTU^2 bytes), line buffer
//! (`tiling.max_frame_width` bytes), coefficient memory and WPP context storage
//! ([`crate::memories`]).
//!
//! A rust-hdl Verilog wrapper; Verilator is the proof (sim/src/dec_core.rs).

use crate::common::{in_file, renamed, round_robin, subst, Gen};
use rust_hdl_core::prelude::*;

/// Ports; `K` cores, `K8` = 8K, `K32` = 32K.
#[derive(LogicBlock, Default)]
pub struct DecMulti<const K: usize, const K8: usize, const K32: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub sl_valid: Signal<In, Bit>,
    pub sl_ready: Signal<Out, Bit>,
    pub sl_w: Signal<In, Bits<14>>,
    pub sl_h: Signal<In, Bits<14>>,
    pub sl_ctbx: Signal<In, Bits<10>>,
    pub sl_ctby: Signal<In, Bits<10>>,
    pub sl_addr: Signal<In, Bits<19>>,
    pub sl_wctb: Signal<In, Bits<10>>,
    pub sl_nctb: Signal<In, Bits<19>>,
    pub sl_qp: Signal<In, Bits<6>>,
    pub sl_qpc: Signal<In, Bits<6>>,
    pub sl_sdh: Signal<In, Bit>,
    pub sl_tqb: Signal<In, Bit>,
    pub sl_chroma: Signal<In, Bit>,
    pub sl_maxtb: Signal<In, Bits<3>>,
    pub sl_tudepth: Signal<In, Bits<3>>,
    pub sl_log2ctb: Signal<In, Bits<3>>,
    pub sl_strong: Signal<In, Bit>,
    pub sl_wpp: Signal<In, Bit>,
    pub bs_valid: Signal<In, Bits<K>>,
    pub bs_ready: Signal<Out, Bits<K>>,
    pub bs_byte: Signal<In, Bits<K8>>,
    pub bs_last: Signal<In, Bits<K>>,
    pub px_valid: Signal<Out, Bits<K>>,
    pub px_ready: Signal<In, Bits<K>>,
    pub px_data: Signal<Out, Bits<K32>>,
    pub px_last: Signal<Out, Bits<K>>,
    pub pic_open: Signal<Out, Bits<K>>,
    pub err: Signal<Out, Bit>,
    pub cfg: Gen<golden::Params>,
}

impl<const K: usize, const K8: usize, const K32: usize> Logic for DecMulti<K, K8, K32> {
    /// No rust-hdl simulation model: Verilator runs the generated Verilog.
    fn update(&mut self) {}

    fn connect(&mut self) {
        self.sl_ready.connect();
        self.bs_ready.connect();
        self.px_valid.connect();
        self.px_data.connect();
        self.px_last.connect();
        self.pic_open.connect();
        self.err.connect();
    }

    fn hdl(&self) -> Verilog {
        let core = crate::dec_core::generate_as(&self.cfg.0, true).expect("checked by generate");
        let cores = in_file("the cores (hw/src/dec_core.rs) as modules of this file", &renamed(core, "dec_multi_core"));
        Verilog::Wrapper(Wrapper { code: body(K), cores: crate::common::ram_once(cores) })
    }
}

/// Why `dec_multi` cannot be generated for `p`, if it cannot.
pub fn check(p: &golden::Params) -> Result<(), String> {
    let k = p.rtl.decoder_cores;
    if !(2..=4).contains(&k) {
        return Err(format!("rtl.decoder_cores = {k}: dec_multi is generated with 2..=4 cores (1 is dec_core)"));
    }
    crate::recon::ReconParams::of(p).map(|_| ())
}

/// Generate the cores for `p` (module `dec_multi`), or why they cannot be.
pub fn generate(p: &golden::Params) -> Result<crate::GeneratedModule, String> {
    check(p)?;
    let cfg = Gen(p.clone());
    Ok(match p.rtl.decoder_cores {
        2 => crate::generate(&mut DecMulti::<2, 16, 64> { cfg, ..Default::default() }, "dec_multi"),
        3 => crate::generate(&mut DecMulti::<3, 24, 96> { cfg, ..Default::default() }, "dec_multi"),
        _ => crate::generate(&mut DecMulti::<4, 32, 128> { cfg, ..Default::default() }, "dec_multi"),
    })
}

fn body(k: usize) -> String {
    let mut s = format!("\n    // dec_multi (hw/src/dec_multi.rs)\n{}", round_robin(k));
    if k == 2 {
        s += "    wire unused_ok = sl_k[1];\n";
    }
    for i in 0..k {
        s += &subst(
            r#"    dec_multi_core u_c$I (
        .clock(clock), .reset(reset),
        .sl_valid(sl_valid & (sl_k == 2'd$I)), .sl_ready(u_sl_ready[$I]), .sl_w(sl_w), .sl_h(sl_h),
        .sl_ctbx(sl_ctbx), .sl_ctby(sl_ctby), .sl_addr(sl_addr), .sl_wctb(sl_wctb), .sl_nctb(sl_nctb),
        .sl_qp(sl_qp), .sl_qpc(sl_qpc), .sl_sdh(sl_sdh), .sl_tqb(sl_tqb), .sl_chroma(sl_chroma),
        .sl_maxtb(sl_maxtb), .sl_tudepth(sl_tudepth), .sl_log2ctb(sl_log2ctb), .sl_strong(sl_strong),
        .sl_wpp(sl_wpp),
        .bs_valid(bs_valid[$I]), .bs_ready(bs_ready[$I]), .bs_byte(bs_byte[8*$I+7:8*$I]), .bs_last(bs_last[$I]),
        .px_valid(px_valid[$I]), .px_ready(px_ready[$I]), .px_data(px_data[32*$I+31:32*$I]),
        .px_last(px_last[$I]), .pic_open(pic_open[$I]), .err(u_err[$I]));
"#,
            &[("I", i.to_string())],
        );
    }
    s
}
