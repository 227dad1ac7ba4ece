//! `enc_multi`: K whole encoder cores side by side (K = `rtl.encoder_cores`, 2..=4),
//! slice k of the stream on core k mod K. Slices share neither intra prediction nor
//! CABAC contexts, so the cores work at once and throughput scales with K (on pictures
//! cut into at least K slices). Each core is an [`crate::enc_core`] (module
//! `enc_multi_core`) with one entropy engine whose `recon` takes every slice on its own
//! and reads no picture out (the reconstruction stays inside the cores; the host
//! checks the stream).
//!
//! Ports (synchronous to `clock`; `reset` synchronous, active high):
//! - `sl_valid`, `sl_ready` and the slice fields of [`crate::enc_core`]: one command per
//!   slice in stream order; the command of slice k waits for core k mod K.
//! - `or_valid`, `or_ready` (K), `or_data` (32K): core i's original samples (bits
//!   32i+31..32i), the CUs of its slices in coding order.
//! - `bs_valid`, `bs_ready`, `bs_sub`, `bs_last` (K), `bs_byte` (8K): core i's slice data.
//! - `err` (1): any core's.
//!
//! A rust-hdl Verilog wrapper; Verilator is the proof (sim/src/enc_core.rs).

use crate::common::{in_file, renamed, round_robin, subst, Gen};
use rust_hdl_core::prelude::*;

/// Ports; `K` cores, `K8` = 8K, `K32` = 32K.
#[derive(LogicBlock, Default)]
pub struct EncMulti<const K: usize, const K8: usize, const K32: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub sl_valid: Signal<In, Bit>,
    pub sl_ready: Signal<Out, Bit>,
    pub sl_w: Signal<In, Bits<14>>,
    pub sl_h: Signal<In, Bits<14>>,
    pub sl_ctbx: Signal<In, Bits<10>>,
    pub sl_ctby: Signal<In, Bits<10>>,
    pub sl_addr: Signal<In, Bits<19>>,
    pub sl_end: Signal<In, Bits<19>>,
    pub sl_wctb: Signal<In, Bits<10>>,
    pub sl_qp: Signal<In, Bits<6>>,
    pub sl_sdh: Signal<In, Bit>,
    pub sl_tqb: Signal<In, Bit>,
    pub sl_byp: Signal<In, Bit>,
    pub sl_chroma: Signal<In, Bit>,
    pub sl_maxtb: Signal<In, Bits<3>>,
    pub sl_tudepth: Signal<In, Bits<3>>,
    pub sl_wpp: Signal<In, Bit>,
    pub sl_strong: Signal<In, Bit>,
    pub sl_log2ctb: Signal<In, Bits<3>>,
    pub or_valid: Signal<In, Bits<K>>,
    pub or_ready: Signal<Out, Bits<K>>,
    pub or_data: Signal<In, Bits<K32>>,
    pub bs_valid: Signal<Out, Bits<K>>,
    pub bs_ready: Signal<In, Bits<K>>,
    pub bs_byte: Signal<Out, Bits<K8>>,
    pub bs_sub: Signal<Out, Bits<K>>,
    pub bs_last: Signal<Out, Bits<K>>,
    pub err: Signal<Out, Bit>,
    pub cfg: Gen<golden::Params>,
}

impl<const K: usize, const K8: usize, const K32: usize> Logic for EncMulti<K, K8, K32> {
    /// No rust-hdl simulation model: Verilator runs the generated Verilog.
    fn update(&mut self) {}

    fn connect(&mut self) {
        self.sl_ready.connect();
        self.or_ready.connect();
        self.bs_valid.connect();
        self.bs_byte.connect();
        self.bs_sub.connect();
        self.bs_last.connect();
        self.err.connect();
    }

    fn hdl(&self) -> Verilog {
        let mut unit = self.cfg.0.clone();
        unit.rtl.cabac_engines = 1;
        let core = crate::enc_core::generate_as(&unit, true).expect("checked by generate");
        let cores = in_file("the cores (hw/src/enc_core.rs) as modules of this file", &renamed(core, "enc_multi_core"));
        Verilog::Wrapper(Wrapper { code: body(K), cores: crate::common::ram_once(cores) })
    }
}

/// Why `enc_multi` cannot be generated for `p`, if it cannot.
pub fn check(p: &golden::Params) -> Result<(), String> {
    let k = p.rtl.encoder_cores;
    if !(2..=4).contains(&k) {
        return Err(format!("rtl.encoder_cores = {k}: enc_multi is generated with 2..=4 cores (1 is enc_core)"));
    }
    if p.rtl.cabac_engines != 1 {
        return Err(format!("rtl.cabac_engines = {}: the cores of enc_multi have one entropy engine each", p.rtl.cabac_engines));
    }
    let mut unit = p.clone();
    unit.rtl.cabac_engines = 1;
    crate::enc_core::check(&unit)
}

/// Generate the cores for `p` (module `enc_multi`), or why they cannot be.
pub fn generate(p: &golden::Params) -> Result<crate::GeneratedModule, String> {
    check(p)?;
    let cfg = Gen(p.clone());
    Ok(match p.rtl.encoder_cores {
        2 => crate::generate(&mut EncMulti::<2, 16, 64> { cfg, ..Default::default() }, "enc_multi"),
        3 => crate::generate(&mut EncMulti::<3, 24, 96> { cfg, ..Default::default() }, "enc_multi"),
        _ => crate::generate(&mut EncMulti::<4, 32, 128> { cfg, ..Default::default() }, "enc_multi"),
    })
}

fn body(k: usize) -> String {
    let mut s = format!("\n    // enc_multi (hw/src/enc_multi.rs)\n{}", round_robin(k));
    s += &subst(
        r#"    wire [$KM1:0] u_px_valid;
    wire [$KM1:0] u_px_last;
    wire [$KM1:0] u_pic_open;
    wire [32*$K-1:0] u_px_data;
    wire unused_ok = &{1'b0, u_px_valid, u_px_last, u_pic_open, u_px_data$UNUSED};
"#,
        &[("K", k.to_string()), ("KM1", (k - 1).to_string()), ("UNUSED", if k == 2 { ", sl_k[1]".to_string() } else { String::new() })],
    );
    for i in 0..k {
        s += &subst(
            r#"    enc_multi_core u_c$I (
        .clock(clock), .reset(reset),
        .sl_valid(sl_valid & (sl_k == 2'd$I)), .sl_ready(u_sl_ready[$I]), .sl_w(sl_w), .sl_h(sl_h),
        .sl_ctbx(sl_ctbx), .sl_ctby(sl_ctby), .sl_addr(sl_addr), .sl_end(sl_end), .sl_wctb(sl_wctb),
        .sl_qp(sl_qp), .sl_sdh(sl_sdh), .sl_tqb(sl_tqb), .sl_byp(sl_byp), .sl_chroma(sl_chroma),
        .sl_maxtb(sl_maxtb), .sl_tudepth(sl_tudepth), .sl_wpp(sl_wpp), .sl_strong(sl_strong),
        .sl_log2ctb(sl_log2ctb),
        .or_valid(or_valid[$I]), .or_ready(or_ready[$I]), .or_data(or_data[32*$I+31:32*$I]),
        .bs_valid(bs_valid[$I]), .bs_ready(bs_ready[$I]), .bs_byte(bs_byte[8*$I+7:8*$I]),
        .bs_sub(bs_sub[$I]), .bs_last(bs_last[$I]),
        .px_valid(u_px_valid[$I]), .px_ready(1'b1), .px_data(u_px_data[32*$I+31:32*$I]),
        .px_last(u_px_last[$I]), .pic_open(u_pic_open[$I]), .err(u_err[$I]));
"#,
            &[("I", i.to_string())],
        );
    }
    s
}
