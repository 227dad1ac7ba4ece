//! `dec_core`: the T.265 decoder core. Slice data in, the picture's luma samples out
//! CTU by CTU. It wires four blocks, each a module of this file:
//! - [`crate::syn_dec`] (`dec_core_syn_dec`, with its `res_dec`): CABAC and syntax;
//! - [`crate::recon`] (`dec_core_recon`): coefficient scatter, reference gather,
//!   reconstruction, the CTU banks and the line buffer;
//! - [`crate::inv_tq`] (`dec_core_inv_tq`): dequantizer and inverse transform, P
//!   samples per cycle (`rtl.samples_per_cycle`), up to `bitstream.max_tu_size`;
//! - [`crate::intra_pred`] (`dec_core_intra_pred`): 4 samples per cycle.
//!
//! It decodes the subset of `syn_dec` (intra, min CB 8, min TB 4, no PCM / transform
//! skip / cu_qp_delta, 8-bit, 4:2:0 or 4:0:0, with or without WPP) with the CTU size it is generated
//! for, flat chroma (every chroma cbf 0; the core outputs luma), transform blocks up to
//! the generated `inv_tq` and pictures up to `tiling.max_frame_width` wide. Outside it,
//! `err` rises (the host refuses what it can see in the parameter sets first).
//!
//! Ports (synchronous to `clock`; `reset` synchronous, active high, once before a
//! stream; the core then takes slice after slice, picture after picture):
//! - `sl_valid`, `sl_ready`: one slice command per slice segment, the fields of
//!   [`crate::syn_dec`] (`sl_w` .. `sl_log2ctb`, `sl_wpp`) plus `sl_strong` (1:
//!   strong_intra_smoothing_enabled_flag). Taken when the slice before has ended.
//! - `bs_valid`, `bs_ready`, `bs_byte` (8), `bs_last` (1): the slice data bytes of each
//!   slice (emulation prevention removed), `bs_last` on its last byte. Bytes the
//!   parser leaves after end_of_slice_segment_flag (trailing bits, cabac_zero_words)
//!   are taken and dropped.
//! - `px_valid`, `px_ready`, `px_data` (32: 4 samples), `px_last`: each picture at
//!   its decoded size (`sl_w` x `sl_h`; the host applies the conformance window), CTU
//!   by CTU in raster order, each CTU line by line and cut at the picture's edges
//!   ([`crate::recon`]), `px_last` on its last beat.
//! - `pic_open` (1): a picture is being decoded (it has started and not all of its
//!   blocks are decoded): with `sl_ready` and no slice left, the stream ended inside a
//!   picture.
//! - `err` (1): sticky: a corrupt or out-of-subset stream. The core never waits
//!   forever on its own: with `err` the host stops feeding it.
//!
//! Between slices the core resets `syn_dec` for one cycle (its parser state and byte
//! buffer are per slice; `recon` keeps the picture). Throughput and what bounds it are
//! in sim/src/dec_core.rs's report (`tcgen cosim --core decoder`).
//!
//! A rust-hdl Verilog wrapper around the generated blocks; Verilator is the proof.

use crate::common::{renamed, Gen};
use crate::recon::ReconParams;
use rust_hdl_core::prelude::*;

/// The core's structs: its ports, any more (the front's side ports), and the hdl.
macro_rules! dec_core_block {
    ($(#[$doc:meta])* $name:ident, [$($g:tt)*], [$($gu:tt)*], [$($extra:ident: $dir:ident $ty:ty),*], [$($out:ident),*], $hdl:ident) => {
        $(#[$doc])*
        #[derive(LogicBlock, Default)]
        pub struct $name<$($g)*> {
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
            pub bs_valid: Signal<In, Bit>,
            pub bs_ready: Signal<Out, Bit>,
            pub bs_byte: Signal<In, Bits<8>>,
            pub bs_last: Signal<In, Bit>,
            pub px_valid: Signal<Out, Bit>,
            pub px_ready: Signal<In, Bit>,
            pub px_data: Signal<Out, Bits<32>>,
            pub px_last: Signal<Out, Bit>,
            pub pic_open: Signal<Out, Bit>,
            pub err: Signal<Out, Bit>,
            $(pub $extra: Signal<$dir, $ty>,)*
            pub cfg: Gen<golden::Params>,
            /// One of several cores ([`crate::dec_multi`]): `recon`'s independent variant.
            pub independent: Gen<bool>,
        }

        impl<$($g)*> Logic for $name<$($gu)*> {
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
                $(self.$out.connect();)*
            }

            fn hdl(&self) -> Verilog {
                $hdl(&self.cfg.0, self.independent.0)
            }
        }
    };
}

dec_core_block!(
    /// Ports (module docs).
    DecCore,
    [],
    [],
    [],
    [],
    core_hdl
);

dec_core_block!(
    /// A core without its backend, for [`crate::dec_multi`] with
    /// `rtl.decoder_shared_backend` (module `dec_multi_front`): `syn_dec` and `recon`'s
    /// shared variant ([`crate::recon::ReconShared`]), the ports of [`DecCore`] plus
    /// `recon`'s ports to `inv_tq` and `intra_pred` (`it_*`, `ir_*`, `ip_*`, `pp_*`, see
    /// [`crate::recon`]) and its grant (`bk_req`, `bk_gnt`, `bk_done`, `bk_tq`). `WL` = 16P.
    DecFront,
    [const WL: usize],
    [WL],
    [it_valid: Out Bit, it_ready: In Bit, it_level: Out Bits<WL>, it_log2: Out Bits<3>, it_dst: Out Bit, it_qp: Out Bits<6>,
     ir_valid: In Bit, ir_ready: Out Bit, ir_res: In Bits<WL>, ir_last: In Bit,
     ip_valid: Out Bit, ip_ready: In Bit, ip_data: Out Bits<32>, ip_mode: Out Bits<6>, ip_log2: Out Bits<3>, ip_luma: Out Bit,
     ip_strong: Out Bit, ip_corner: Out Bits<8>, pp_valid: In Bit, pp_ready: Out Bit, pp_sample: In Bits<32>, pp_last: In Bit,
     bk_req: Out Bit, bk_gnt: In Bit, bk_done: Out Bit, bk_tq: Out Bit],
    [it_valid, it_level, it_log2, it_dst, it_qp, ir_ready, ip_valid, ip_data, ip_mode, ip_log2, ip_luma, ip_strong, ip_corner, pp_ready, bk_req, bk_done, bk_tq],
    front_hdl
);

fn core_hdl(p: &golden::Params, independent: bool) -> Verilog {
    let r = if independent { ReconParams::multi(p) } else { ReconParams::of(p) }.expect("checked by generate");
    let r = ReconParams { shared: false, ..r };
    let vars = [
        ("WL", (16 * r.lanes).to_string()),
        ("SIDEWIRES", crate::recon::SIDE_WIRES.to_string()),
        ("SIDEPORTS", crate::recon::SIDE_PORTS.to_string()),
        ("SIDEITQ", crate::recon::SIDE_INV_TQ.to_string()),
        ("SIDEIPRED", crate::recon::SIDE_INTRA_PRED.to_string()),
        ("CORE", "dec_core".to_string()),
    ];
    Verilog::Wrapper(Wrapper { code: crate::common::subst(TEMPLATE, &vars), cores: cores(p, &r, true) })
}

fn front_hdl(p: &golden::Params, _independent: bool) -> Verilog {
    let r = ReconParams { shared: true, ..ReconParams::multi(p).expect("checked by generate") };
    let ports = format!("{},\n        .bk_req(bk_req), .bk_gnt(bk_gnt), .bk_done(bk_done), .bk_tq(bk_tq)", crate::recon::SIDE_PORTS);
    let vars = [("SIDEWIRES", String::new()), ("SIDEPORTS", ports), ("SIDEITQ", String::new()), ("SIDEIPRED", String::new())];
    Verilog::Wrapper(Wrapper { code: crate::common::subst(TEMPLATE, &vars), cores: cores(p, &r, false) })
}

/// Generate the core for the configuration `p` (module `dec_core`), or why it cannot be.
pub fn generate(p: &golden::Params) -> Result<crate::GeneratedModule, String> {
    generate_as(p, false)
}

/// The core; with `independent`, the variant of [`crate::dec_multi`]'s cores: every
/// slice starts a CTU row and stands alone, and its rows come out when it ends
/// (`px_last` on its last beat).
pub fn generate_as(p: &golden::Params, independent: bool) -> Result<crate::GeneratedModule, String> {
    ReconParams::of(p)?;
    let mut b = DecCore { cfg: Gen(p.clone()), independent: Gen(independent), ..Default::default() };
    Ok(crate::generate(&mut b, "dec_core"))
}

/// [`DecFront`] for `p` (module `dec_core`, to be renamed by its user).
pub fn generate_front(p: &golden::Params) -> Result<crate::GeneratedModule, String> {
    let r = ReconParams::of(p)?;
    let cfg = Gen(p.clone());
    Ok(match r.lanes {
        1 => crate::generate(&mut DecFront::<16> { cfg, ..Default::default() }, "dec_core"),
        2 => crate::generate(&mut DecFront::<32> { cfg, ..Default::default() }, "dec_core"),
        _ => crate::generate(&mut DecFront::<64> { cfg, ..Default::default() }, "dec_core"),
    })
}

/// The four blocks (two without `backend`: `syn_dec` and `recon`) as modules of this
/// file.
fn cores(p: &golden::Params, r: &ReconParams, backend: bool) -> String {
    let blk = |n: &str| crate::block(n, p).expect("parameters checked by ReconParams::of");
    let mut s = renamed(blk("syn_dec"), "dec_core_syn_dec");
    s.push_str(&renamed(crate::recon::generate(r, "recon"), "dec_core_recon"));
    if backend {
        s.push_str(&renamed(blk("inv_tq"), "dec_core_inv_tq"));
        s.push_str(&renamed(blk("intra_pred"), "dec_core_intra_pred"));
    }
    crate::common::ram_once(crate::common::in_file("the core's blocks (hw/src/{syn_dec,recon,inv_tq,intra_pred}.rs) as modules of this file", &s))
}

const TEMPLATE: &str = r#"
    // dec_core (hw/src/dec_core.rs)
    localparam [1:0] D_IDLE = 2'd0, D_RUN = 2'd1, D_DRAIN = 2'd2, D_SRST = 2'd3;
    reg [1:0] dst;
    reg seen_last;
    wire s_sl_ready;
    wire r_sl_ready;
    wire s_err;
    wire r_err;
    assign err = s_err | r_err;
    assign sl_ready = (dst == D_IDLE) & s_sl_ready & r_sl_ready;
    wire sl_fire = sl_valid & sl_ready;
    // syn_dec runs one slice between resets
    wire s_reset = reset | (dst == D_SRST);
    wire s_bs_ready;
    wire s_bs_valid = bs_valid & (dst == D_RUN) & ~seen_last;
    assign bs_ready = (dst == D_RUN) ? (~seen_last & s_bs_ready) : ((dst == D_DRAIN) & ~seen_last);
    wire bs_end = bs_valid & bs_ready & bs_last;
    // records and levels, syn_dec -> recon
    wire t_valid;
    wire t_ready;
    wire [1:0] t_kind;
    wire [12:0] t_x;
    wire [12:0] t_y;
    wire [2:0] t_log2;
    wire [1:0] t_cidx;
    wire [5:0] t_mode;
    wire [5:0] t_qp;
    wire t_bypass;
    wire t_cbf;
    wire c_valid;
    wire c_ready;
    wire signed [15:0] c_level;
    wire [9:0] c_pos;
    wire c_end;
    wire t_end = t_valid & t_ready & (t_kind == 2'd1);
$SIDEWIRES
    dec_core_syn_dec u_syn (
        .clock(clock), .reset(s_reset),
        .sl_valid(sl_fire), .sl_ready(s_sl_ready), .sl_w(sl_w), .sl_h(sl_h), .sl_ctbx(sl_ctbx),
        .sl_ctby(sl_ctby), .sl_addr(sl_addr), .sl_wctb(sl_wctb), .sl_nctb(sl_nctb), .sl_qp(sl_qp),
        .sl_qpc(sl_qpc), .sl_sdh(sl_sdh), .sl_tqb(sl_tqb), .sl_chroma(sl_chroma), .sl_maxtb(sl_maxtb),
        .sl_tudepth(sl_tudepth), .sl_log2ctb(sl_log2ctb), .sl_wpp(sl_wpp),
        .bs_valid(s_bs_valid), .bs_ready(s_bs_ready), .bs_byte(bs_byte), .bs_last(bs_last),
        .tu_valid(t_valid), .tu_ready(t_ready), .tu_kind(t_kind), .tu_x(t_x), .tu_y(t_y),
        .tu_log2(t_log2), .tu_cidx(t_cidx), .tu_mode(t_mode), .tu_qp(t_qp), .tu_bypass(t_bypass),
        .tu_cbf(t_cbf), .co_valid(c_valid), .co_ready(c_ready), .co_level(c_level), .co_pos(c_pos),
        .co_end(c_end), .err(s_err));
    dec_core_recon u_rec (
        .clock(clock), .reset(reset),
        .sl_valid(sl_fire), .sl_ready(r_sl_ready), .sl_w(sl_w), .sl_h(sl_h), .sl_ctbx(sl_ctbx),
        .sl_ctby(sl_ctby), .sl_strong(sl_strong), .sl_maxtb(sl_maxtb), .sl_log2ctb(sl_log2ctb),
        .tu_valid(t_valid), .tu_ready(t_ready), .tu_kind(t_kind), .tu_x(t_x), .tu_y(t_y),
        .tu_log2(t_log2), .tu_cidx(t_cidx), .tu_mode(t_mode), .tu_qp(t_qp), .tu_bypass(t_bypass),
        .tu_cbf(t_cbf), .co_valid(c_valid), .co_ready(c_ready), .co_level(c_level), .co_pos(c_pos),
        .co_end(c_end),
$SIDEPORTS);
$SIDEITQ$SIDEIPRED
    always @(posedge clock) begin
        if (reset) begin
            dst <= D_IDLE;
            seen_last <= 1'b0;
        end else begin
            if (bs_end) seen_last <= 1'b1;
            case (dst)
                D_IDLE: if (sl_fire) begin
                    dst <= D_RUN;
                    seen_last <= 1'b0;
                end
                D_RUN: if (t_end) dst <= D_DRAIN;
                // syn_dec is reset once recon has taken every record and level of the slice
                D_DRAIN: if ((seen_last | bs_end) & r_sl_ready) dst <= D_SRST;
                default: dst <= D_IDLE;
            endcase
        end
    end
"#;
