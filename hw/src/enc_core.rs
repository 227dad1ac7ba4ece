//! `enc_core`: the T.265 encoder core. Original samples in, each slice segment's data
//! bytes out (escaped, substreams marked), bit-exact with golden's hardware strategy;
//! the reconstructed picture comes out too. It wires eight blocks, each a module of this
//! file:
//! - [`crate::search`] (`enc_core_search`): the CU walk, the mode decision, and the
//!   moves between the blocks;
//! - [`crate::recon`]'s probe variant (`enc_core_recon`, [`crate::recon::ReconProbe`]):
//!   reference gather, the probes' references, reconstruction, CTU banks and line buffer;
//! - [`crate::intra_pred`] (`enc_core_intra_pred`), [`crate::satd`] (`enc_core_satd`);
//! - [`crate::fwd_tq`] (`enc_core_fwd_tq`), [`crate::sdh`] (`enc_core_sdh`),
//!   [`crate::inv_tq`] (`enc_core_inv_tq`), P samples per cycle;
//! - [`crate::syn_enc`] (`enc_core_syn_enc`, with its `res_enc` and `cabac_enc`): the
//!   slice data; `rtl.cabac_engines` = K instances (1..=4), slice k of the stream on
//!   engine k mod K, so K slices are entropy coded at once while one search walks them
//!   (slices are independent for CABAC: each starts from initialized contexts).
//!
//! The core codes what golden's hardware strategy decides: 2Nx2N intra CUs of
//! `encoder.hw.cu_size` (smaller at the picture edge), one TU per CU (so the CU size is
//! at most `bitstream.max_tu_size`), the mode of `encoder.hw.modes` with the smallest
//! SATD, deadzone quantization with `encoder.hw.rounding_offset`, optional sign hiding,
//! lossless (cu_transquant_bypass) slices, flat chroma (4:2:0 with chroma cbf 0, or
//! 4:0:0), WPP and several slices per picture. Parameter sets and slice headers are the
//! host's; every byte of slice data is the core's.
//!
//! Ports (synchronous to `clock`; `reset` synchronous, active high, once before a
//! stream):
//! - `sl_valid`, `sl_ready`: one command per slice segment with the fields of
//!   [`crate::syn_enc`] (`sl_w` .. `sl_wpp`) plus `sl_strong` (1:
//!   strong_intra_smoothing_enabled_flag) and `sl_log2ctb` (3); taken when the slice
//!   before is written and reconstructed.
//! - `or_valid`, `or_ready`, `or_data` (32): the original samples, CU by CU in coding
//!   order, each CU in raster order, 4 samples per beat (see [`crate::search`]).
//! - `bs_valid`, `bs_ready` (K), `bs_byte` (8K), `bs_sub`, `bs_last` (K): each engine's
//!   slice data ([`crate::syn_enc`]), engine i on bit i (bits 8i+7..8i of `bs_byte`);
//!   the host puts slice k's bytes, from engine k mod K, into its NAL unit.
//! - `px_valid`, `px_ready`, `px_data` (32), `px_last`: the reconstructed picture CTU
//!   by CTU ([`crate::recon`]); the host must take it (a CTU bank is freed by it).
//! - `pic_open` (1), `err` (1, sticky): as in the decoder core.
//!
//! A rust-hdl Verilog wrapper around the generated blocks; Verilator is the proof
//! (sim/src/enc_core.rs).

use crate::common::{renamed, Gen};
use crate::recon::ReconParams;
use rust_hdl_core::prelude::*;

/// Ports; `K` = `rtl.cabac_engines` (1..=4), `K8` = 8K.
#[derive(LogicBlock, Default)]
pub struct EncCore<const K: usize, const K8: usize> {
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
    pub or_valid: Signal<In, Bit>,
    pub or_ready: Signal<Out, Bit>,
    pub or_data: Signal<In, Bits<32>>,
    pub bs_valid: Signal<Out, Bits<K>>,
    pub bs_ready: Signal<In, Bits<K>>,
    pub bs_byte: Signal<Out, Bits<K8>>,
    pub bs_sub: Signal<Out, Bits<K>>,
    pub bs_last: Signal<Out, Bits<K>>,
    pub px_valid: Signal<Out, Bit>,
    pub px_ready: Signal<In, Bit>,
    pub px_data: Signal<Out, Bits<32>>,
    pub px_last: Signal<Out, Bit>,
    pub pic_open: Signal<Out, Bit>,
    pub err: Signal<Out, Bit>,
    pub cfg: Gen<golden::Params>,
    /// One of several cores ([`crate::enc_multi`]): `recon` takes every slice on its own
    /// and reads no picture out.
    pub independent: Gen<bool>,
}

impl<const K: usize, const K8: usize> Logic for EncCore<K, K8> {
    /// No rust-hdl simulation model: Verilator runs the generated Verilog.
    fn update(&mut self) {}

    fn connect(&mut self) {
        self.sl_ready.connect();
        self.or_ready.connect();
        self.bs_valid.connect();
        self.bs_byte.connect();
        self.bs_sub.connect();
        self.bs_last.connect();
        self.px_valid.connect();
        self.px_data.connect();
        self.px_last.connect();
        self.pic_open.connect();
        self.err.connect();
    }

    fn hdl(&self) -> Verilog {
        let p = &self.cfg.0;
        let (lanes, _) = crate::tu_params(p).expect("checked by generate");
        let vars = [
            ("WL", (16 * lanes).to_string()),
            ("WR", (9 * lanes).to_string()),
            ("WD", (10 * lanes).to_string()),
            ("P", lanes.to_string()),
            ("K", K.to_string()),
            ("KM1", (K - 1).to_string()),
            ("ENGINES", engines(K)),
            ("SIDEWIRES", crate::recon::SIDE_WIRES.to_string()),
            ("SIDEPORTS", crate::recon::SIDE_PORTS.to_string()),
            ("SIDEITQ", crate::recon::SIDE_INV_TQ.to_string()),
            ("SIDEIPRED", crate::recon::SIDE_INTRA_PRED.to_string()),
            ("CORE", "enc_core".to_string()),
            ("SATD", if has_satd(p) { SATD_INSTANCE.to_string() } else { NO_SATD.to_string() }),
        ];
        let code = crate::common::subst(&crate::common::subst(TEMPLATE, &vars), &vars);
        Verilog::Wrapper(Wrapper { code, cores: cores(p, self.independent.0) })
    }
}

/// Whether the core has a `satd` block: only where `encoder.hw.modes` lists more than one
/// mode. With a single mode there is nothing to decide: `search` goes from the CU's
/// original samples straight to the final probe, and the core has no SATD.
pub fn has_satd(p: &golden::Params) -> bool {
    p.encoder.hw.modes.len() > 1
}

const SATD_INSTANCE: &str = r#"    enc_core_satd u_satd (
        .clock(clock), .reset(reset),
        .in_valid(sd_valid), .in_ready(sd_ready), .in_pred(sd_pred), .in_orig(sd_orig), .in_log2(sd_log2),
        .out_valid(sr_valid), .out_ready(sr_ready), .out_satd(sr_satd));
"#;

const NO_SATD: &str = r#"    // one mode: no SATD (search never probes)
    assign sd_ready = 1'b1;
    assign sr_valid = 1'b0;
    assign sr_satd = 24'd0;
    wire unused_sd = ^{sd_valid, sd_pred, sd_orig, sd_log2, sr_ready};
"#;

/// Why the encoder core cannot be generated for `p`, if it cannot.
pub fn check(p: &golden::Params) -> Result<(), String> {
    crate::search::check(p)?;
    ReconParams::of(p)?;
    Ok(())
}

/// Generate the core for the configuration `p` (module `enc_core`), or why it cannot be.
pub fn generate(p: &golden::Params) -> Result<crate::GeneratedModule, String> {
    generate_as(p, false)
}

/// [`generate`], for one of several cores when `independent` ([`crate::enc_multi`]).
pub fn generate_as(p: &golden::Params, independent: bool) -> Result<crate::GeneratedModule, String> {
    check(p)?;
    let cfg = Gen(p.clone());
    let independent = Gen(independent);
    Ok(match p.rtl.cabac_engines {
        1 => crate::generate(&mut EncCore::<1, 8> { cfg, independent, ..Default::default() }, "enc_core"),
        2 => crate::generate(&mut EncCore::<2, 16> { cfg, independent, ..Default::default() }, "enc_core"),
        3 => crate::generate(&mut EncCore::<3, 24> { cfg, independent, ..Default::default() }, "enc_core"),
        _ => crate::generate(&mut EncCore::<4, 32> { cfg, independent, ..Default::default() }, "enc_core"),
    })
}

/// The entropy engines: `syn_enc` instances, their slice, CU and level handshakes
/// routed by the slice's engine.
fn engines(k: usize) -> String {
    let sel = |v: &str, idx: &str| match k {
        1 => format!("{v}[0]"),
        2 => format!("{v}[{idx}[0]]"),
        _ => format!("{v}[{idx}]"),
    };
    let mut s = format!(
        "    assign w_ready_cur = {};\n    assign cu_ready = {};\n    assign lv_ready = {};\n",
        sel("w_sl_ready", "sl_eng"),
        sel("w_cu_ready", "fw_eng"),
        sel("w_lv_ready", "fw_eng")
    );
    let mut unused = vec!["1'b0".to_string()];
    match k {
        1 => unused.extend(["sl_eng".to_string(), "fw_eng".to_string()]),
        2 => unused.extend(["sl_eng[1]".to_string(), "fw_eng[1]".to_string()]),
        _ => {}
    }
    s += &format!("    wire unused_eng = &{{{}}};\n", unused.join(", "));
    for i in 0..k {
        s += &crate::common::subst(
            r#"    enc_core_syn_enc u_wr$I (
        .clock(clock), .reset(reset),
        .sl_valid(sl_fire & (sl_eng == 2'd$I)), .sl_ready(w_sl_ready[$I]), .sl_w(sl_w), .sl_h(sl_h), .sl_ctbx(sl_ctbx),
        .sl_ctby(sl_ctby), .sl_addr(sl_addr), .sl_end(sl_end), .sl_wctb(sl_wctb), .sl_qp(sl_qp),
        .sl_sdh(sl_sdh), .sl_tqb(sl_tqb), .sl_byp(sl_byp), .sl_chroma(sl_chroma), .sl_maxtb(sl_maxtb),
        .sl_tudepth(sl_tudepth), .sl_wpp(sl_wpp),
        .cu_valid(cu_valid & (fw_eng == 2'd$I)), .cu_ready(w_cu_ready[$I]), .cu_x(cu_x), .cu_y(cu_y), .cu_log2(cu_log2),
        .cu_mode(cu_mode), .cu_cbf(cu_cbf),
        .lv_valid(lv_valid & (fw_eng == 2'd$I)), .lv_ready(w_lv_ready[$I]), .lv_data(lv_data), .lv_log2(lv_log2),
        .bs_valid(bs_valid$B), .bs_ready(bs_ready$B), .bs_byte(bs_byte$BY), .bs_sub(bs_sub$B),
        .bs_last(bs_last$B), .err(w_err[$I]));
"#,
            // one engine: rust-hdl writes 1-bit ports as scalars
            &[("I", i.to_string()), ("BY", if k == 1 { String::new() } else { format!("[{}:{}]", 8 * i + 7, 8 * i) }), ("B", if k == 1 { String::new() } else { format!("[{i}]") })],
        );
    }
    s
}

/// The eight blocks as modules of this file, the memory macro once.
fn cores(p: &golden::Params, independent: bool) -> String {
    let blk = |n: &str| crate::block(n, p).expect("parameters checked by generate");
    // enc_multi's cores: independent (without a line buffer on one-row slices)
    let r = if independent { ReconParams { shared: false, ..ReconParams::multi(p).expect("checked by generate") } } else { ReconParams::of(p).expect("checked by generate") };
    let mut s = renamed(crate::search::generate(p).expect("checked"), "enc_core_search");
    s.push_str(&renamed(crate::recon::generate_probe(&r, "recon"), "enc_core_recon"));
    for b in ["intra_pred", "satd", "fwd_tq", "sdh", "inv_tq", "syn_enc"] {
        if b == "satd" && !has_satd(p) {
            continue;
        }
        s.push_str(&renamed(blk(b), &format!("enc_core_{b}")));
    }
    crate::common::ram_once(crate::common::in_file("the core's blocks (hw/src/{search,recon,intra_pred,satd,fwd_tq,sdh,inv_tq,syn_enc}.rs) as modules of this file", &s))
}

const TEMPLATE: &str = r#"
    // enc_core (hw/src/enc_core.rs)
    wire s_sl_ready;
    wire r_sl_ready;
    // the entropy engines: slice k on engine k mod $K (the search routes its CUs alike)
    reg [1:0] sl_eng;
    wire [$KM1:0] w_sl_ready;
    wire w_ready_cur;
    assign sl_ready = s_sl_ready & r_sl_ready & w_ready_cur;
    wire sl_fire = sl_valid & sl_ready;
    always @(posedge clock) begin
        if (reset) sl_eng <= 2'd0;
        else if (sl_fire) sl_eng <= (sl_eng == 2'd$KM1) ? 2'd0 : sl_eng + 2'd1;
    end
    wire s_err;
    wire r_err;
    wire [$KM1:0] w_err;
    assign err = s_err | r_err | (|w_err);
    // search <-> recon
    wire t_valid;
    wire t_ready;
    wire [1:0] t_kind;
    wire [12:0] t_x;
    wire [12:0] t_y;
    wire [2:0] t_log2;
    wire [5:0] t_qp;
    wire t_bypass;
    wire pb_valid;
    wire pb_ready;
    wire [5:0] pb_mode;
    wire pb_run;
    wire pb_cbf;
    wire po_valid;
    wire po_ready;
    wire [31:0] po_sample;
    wire po_last;
    wire c_valid;
    wire c_ready;
    wire signed [15:0] c_level;
    wire [9:0] c_pos;
    wire c_end;
    // search <-> satd, fwd_tq, sdh, syn_enc
    wire sd_valid;
    wire sd_ready;
    wire [31:0] sd_pred;
    wire [31:0] sd_orig;
    wire [2:0] sd_log2;
    wire sr_valid;
    wire sr_ready;
    wire [23:0] sr_satd;
    wire ft_valid;
    wire ft_ready;
    wire [$WR-1:0] ft_res;
    wire [2:0] ft_log2;
    wire ft_dst;
    wire [5:0] ft_qp;
    wire [8:0] ft_offset;
    wire fq_valid;
    wire fq_ready;
    wire [$WL-1:0] fq_level;
    wire [$WD-1:0] fq_du;
    wire [$P-1:0] fq_neg;
    wire fq_last;
    wire sh_valid;
    wire sh_ready;
    wire [$WL-1:0] sh_level;
    wire [$WD-1:0] sh_du;
    wire [$P-1:0] sh_neg;
    wire sh_last;
    wire [2:0] sh_log2;
    wire [1:0] sh_scan;
    wire sh_hide;
    wire so_valid;
    wire so_ready;
    wire [$WL-1:0] so_level;
    wire so_last;
    wire so_cbf;
    wire cu_valid;
    wire cu_ready;
    wire [12:0] cu_x;
    wire [12:0] cu_y;
    wire [2:0] cu_log2;
    wire [5:0] cu_mode;
    wire cu_cbf;
    wire [1:0] fw_eng;
    wire [$KM1:0] w_cu_ready;
    wire [$KM1:0] w_lv_ready;
    wire lv_valid;
    wire lv_ready;
    wire [$WL-1:0] lv_data;
    wire [2:0] lv_log2;
$SIDEWIRES
    enc_core_search u_srch (
        .clock(clock), .reset(reset),
        .sl_valid(sl_fire), .sl_ready(s_sl_ready), .sl_w(sl_w), .sl_h(sl_h), .sl_ctbx(sl_ctbx),
        .sl_ctby(sl_ctby), .sl_addr(sl_addr), .sl_end(sl_end), .sl_wctb(sl_wctb), .sl_qp(sl_qp),
        .sl_sdh(sl_sdh), .sl_byp(sl_byp),
        .or_valid(or_valid), .or_ready(or_ready), .or_data(or_data),
        .tu_valid(t_valid), .tu_ready(t_ready), .tu_kind(t_kind), .tu_x(t_x), .tu_y(t_y),
        .tu_log2(t_log2), .tu_qp(t_qp), .tu_bypass(t_bypass),
        .pb_valid(pb_valid), .pb_ready(pb_ready), .pb_mode(pb_mode), .pb_run(pb_run), .pb_cbf(pb_cbf),
        .po_valid(po_valid), .po_ready(po_ready), .po_sample(po_sample), .po_last(po_last),
        .sd_valid(sd_valid), .sd_ready(sd_ready), .sd_pred(sd_pred), .sd_orig(sd_orig), .sd_log2(sd_log2),
        .sr_valid(sr_valid), .sr_ready(sr_ready), .sr_satd(sr_satd),
        .ft_valid(ft_valid), .ft_ready(ft_ready), .ft_res(ft_res), .ft_log2(ft_log2), .ft_dst(ft_dst),
        .ft_qp(ft_qp), .ft_offset(ft_offset),
        .fq_valid(fq_valid), .fq_ready(fq_ready), .fq_level(fq_level), .fq_du(fq_du), .fq_neg(fq_neg),
        .fq_last(fq_last),
        .sh_valid(sh_valid), .sh_ready(sh_ready), .sh_level(sh_level), .sh_du(sh_du), .sh_neg(sh_neg),
        .sh_last(sh_last), .sh_log2(sh_log2), .sh_scan(sh_scan), .sh_hide(sh_hide),
        .so_valid(so_valid), .so_ready(so_ready), .so_level(so_level), .so_last(so_last), .so_cbf(so_cbf),
        .cu_valid(cu_valid), .cu_ready(cu_ready), .cu_x(cu_x), .cu_y(cu_y), .cu_log2(cu_log2),
        .cu_mode(cu_mode), .cu_cbf(cu_cbf), .fw_eng(fw_eng),
        .lv_valid(lv_valid), .lv_ready(lv_ready), .lv_data(lv_data), .lv_log2(lv_log2),
        .co_valid(c_valid), .co_ready(c_ready), .co_level(c_level), .co_pos(c_pos), .co_end(c_end),
        .err(s_err));
    enc_core_recon u_rec (
        .clock(clock), .reset(reset),
        .sl_valid(sl_fire), .sl_ready(r_sl_ready), .sl_w(sl_w), .sl_h(sl_h), .sl_ctbx(sl_ctbx),
        .sl_ctby(sl_ctby), .sl_strong(sl_strong), .sl_maxtb(sl_maxtb), .sl_log2ctb(sl_log2ctb),
        .tu_valid(t_valid), .tu_ready(t_ready), .tu_kind(t_kind), .tu_x(t_x), .tu_y(t_y),
        .tu_log2(t_log2), .tu_cidx(2'd0), .tu_mode(6'd0), .tu_qp(t_qp), .tu_bypass(t_bypass),
        .tu_cbf(1'b0), .co_valid(c_valid), .co_ready(c_ready), .co_level(c_level), .co_pos(c_pos),
        .co_end(c_end),
$SIDEPORTS,
        .pb_valid(pb_valid), .pb_ready(pb_ready), .pb_mode(pb_mode), .pb_run(pb_run), .pb_cbf(pb_cbf),
        .po_valid(po_valid), .po_ready(po_ready), .po_sample(po_sample), .po_last(po_last));
$SIDEIPRED$SATD    enc_core_fwd_tq u_ftq (
        .clock(clock), .reset(reset),
        .in_valid(ft_valid), .in_ready(ft_ready), .in_res(ft_res), .in_log2(ft_log2), .in_dst(ft_dst),
        .in_qp(ft_qp), .in_offset(ft_offset),
        .out_valid(fq_valid), .out_ready(fq_ready), .out_level(fq_level), .out_du(fq_du),
        .out_neg(fq_neg), .out_last(fq_last));
    enc_core_sdh u_sdh (
        .clock(clock), .reset(reset),
        .in_valid(sh_valid), .in_ready(sh_ready), .in_level(sh_level), .in_du(sh_du), .in_neg(sh_neg),
        .in_last(sh_last), .in_log2(sh_log2), .in_scan(sh_scan), .in_hide(sh_hide),
        .out_valid(so_valid), .out_ready(so_ready), .out_level(so_level), .out_last(so_last),
        .out_cbf(so_cbf));
$SIDEITQ$ENGINES"#;
