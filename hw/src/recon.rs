//! `recon`: the decoder core's reconstruction path. It takes `syn_dec`'s transform-block
//! records and level groups and returns the picture's luma samples CTU by CTU. Per
//! luma block it:
//! - scatters the levels into a coefficient memory;
//! - gathers the 4N+1 reference samples with their availability (6.4.1: inside the
//!   picture, same slice, earlier in z-scan order) and the substitution of 8.4.4.2.2;
//! - hands the references to `intra_pred` and the levels (raster, P per beat) to
//!   `inv_tq`, or for cu_transquant_bypass takes the levels as the residual;
//! - adds prediction and residual, clips to 8 bits, and writes the block into a CTU
//!   bank (and its CTU's bottom line into a line buffer).
//!
//! Memories: two CTU banks of C x C samples and a line buffer of the largest picture
//! width. A CTU is decoded into one bank while the CTU before is read out of the other,
//! line by line; that other bank also holds the left references of the CTU's left
//! column. Every CTU's bottom line is written into the line buffer as it is
//! reconstructed, over the row above's. That is safe because a CTU's blocks on its top
//! edge (which read the row above, columns xC-1 .. xC+2C-1) all come before its bottom
//! half in z-order; the one sample overwritten too early is the corner of a CTU's
//! first block (column xC-1, written by the CTU to the left), which the CTU to the left
//! kept in a register when it read it as a top reference. The memory grows with the
//! picture width by one line, not by a CTU row: an earlier version read the picture
//! out in raster order from two banks of C lines x the picture width (2 x 32 x 8192
//! samples at CTU 32, 96% of the core's area). The consumer of a tensor takes CTUs
//! (a 2-D strided write), and the read-out of a CTU takes C^2/4 cycles against about
//! 5 C^2 to decode it. `golden::decoder` (`recon_block`, `predict::gather`) is the
//! reference.
//!
//! Subset: luma only (the tensor's plane). A chroma block must have cbf = 0: a flat
//! (128) chroma plane predicts 128 everywhere and needs no samples. A chroma residual,
//! a luma block larger than the generated `inv_tq`, a picture wider than the memory,
//! and a slice that does not continue the picture all raise `err`.
//!
//! Ports (synchronous to `clock`; `reset` synchronous, active high; after reset the
//! block clears its coefficient memory, NM^2/P cycles, before it takes a slice):
//! - `sl_valid`, `sl_ready`: a slice command, taken before the slice's records:
//!   `sl_w`, `sl_h` (14), `sl_ctbx`, `sl_ctby` (10: the slice's first CTB; 0, 0 starts
//!   a picture), `sl_strong` (1: strong_intra_smoothing_enabled_flag), `sl_maxtb`
//!   (3), `sl_log2ctb` (3).
//! - `tu_*`, `co_*`: `syn_dec`'s record and level streams (see [`crate::syn_dec`]);
//!   a kind-1 record ends the slice, a kind-2 record raises `err`.
//! - `it_valid`, `it_ready`, `it_level` (16P), `it_log2`, `it_dst`, `it_qp`: to
//!   `inv_tq`'s input; `ir_valid`, `ir_ready`, `ir_res` (16P), `ir_last`: its output.
//! - `ip_valid`, `ip_ready`, `ip_data` (32), `ip_mode`, `ip_log2`, `ip_luma`,
//!   `ip_strong`, `ip_corner`: to `intra_pred`'s reference input; `pp_valid`,
//!   `pp_ready`, `pp_sample` (32), `pp_last`: its prediction.
//! - `px_valid`, `px_ready`, `px_data` (32: 4 samples, sample k in bits 8k+7..8k):
//!   the picture CTU by CTU in raster order, each CTU line by line, cut at the decoded
//!   size (`sl_w` x `sl_h`: min(C, `sl_w` - CTU x) / 4 beats per line; the host applies
//!   the conformance window, `sim::tb::ctu_order` places the samples); `px_last` on the
//!   picture's last beat.
//! - `pic_open` (1): a picture has started and not all of its blocks are decoded
//!   (with `sl_ready` and no slice left, the host knows the stream ended inside a
//!   picture).
//! - `err` (1): sticky.
//!
//! Micro-architecture and timing, per luma N x N block (blocks are reconstructed one
//! after another: each block's references may come from the block before):
//! 0. the levels of each coded block are written into the coefficient memory as
//!    `syn_dec` delivers them (one per cycle), as soon as the block before has read its
//!    own levels out (early in its step 3). A second bank (levels of the next block
//!    while the block before is still being read) was measured at 1.2-1.6% fewer
//!    cycles (MiniLM, rd, QP 22/37) for twice the memory: not taken;
//! 1. a record from a 4-entry queue (syn_dec emits records ahead);
//! 2. the gather reads one reference slot per cycle: 2N left samples (one memory word
//!    each, from the bottom up), the corner, N/2 words of 4 top samples, 2N + 1 + N/2
//!    cycles + 2, into a register file, each from the current CTU's bank, the left
//!    CTU's bank or the row above's line buffer; the substitution runs in the same
//!    pass, the samples before the first available one take its value when they are
//!    sent;
//! 3. N reference beats to `intra_pred`; meanwhile the coefficient memory is read in
//!    raster order (P per cycle, clearing it) into `inv_tq`; the sums are written 4
//!    samples per cycle as the prediction comes out (N + 1 + N^2/4 cycles).
//!
//! The two banks alternate by CTU; a CTU is read out (4 samples per cycle, the
//! gather's reads of the left CTU take precedence) while the next one is decoded,
//! and decoding waits for a bank that has been read out.
//!
//! Memories are `tcgen_ram` macros ([`crate::common::ram_module`], [`memories`]).
//! A rust-hdl Verilog wrapper; Verilator is the proof (sim/src/dec_core.rs).

use crate::common::{log2, subst, Gen};
use rust_hdl_core::prelude::*;

/// What a reconstruction path is generated for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReconParams {
    /// log2 of the CTU size (4..=6).
    pub log2_ctb: u32,
    /// Residual samples per cycle of `inv_tq` (1, 2, 4).
    pub lanes: usize,
    /// Largest transform block (4..=32).
    pub max_tu: usize,
    /// Largest picture width in luma samples (the line buffer is this wide, rounded up
    /// to a power of two).
    pub max_width: usize,
    /// One of several cores: every slice stands alone (it need not continue a picture
    /// this block has seen: other cores code the slices between; the references of a
    /// slice come from the slice itself). In the probe variant of [`crate::enc_multi`]'s
    /// cores no picture is read out (`px_valid` stays low); in the decoder variant of
    /// [`crate::dec_multi`]'s cores slices must be whole CTU rows and each slice's rows
    /// are read out CTU by CTU, `px_last` on the slice's last beat.
    pub independent: bool,
    /// Its block runs wait for a grant ([`ReconShared`]: the cores of
    /// [`crate::dec_multi`] with `rtl.decoder_shared_backend` share `inv_tq` and
    /// `intra_pred`); implies `independent`.
    pub shared: bool,
    /// The line buffer (the CTU row above's bottom line). Without it (the independent
    /// variant when `bitstream.slice_rows` is 1: every slice is one CTU row, and intra
    /// prediction never reads across a slice) a slice that goes on into a second CTU
    /// row raises `err`.
    pub line_buffer: bool,
}

impl ReconParams {
    pub fn of(p: &golden::Params) -> Result<Self, String> {
        let (lanes, max_tu) = crate::tu_params(p)?;
        let c = p.bitstream.ctu_size;
        if !matches!(c, 16 | 32 | 64) {
            return Err(format!("bitstream.ctu_size = {c}: the decoder core is generated for 16, 32 or 64"));
        }
        let w = p.tiling.max_frame_width as usize;
        if !(64..=8192).contains(&w) {
            return Err(format!("tiling.max_frame_width = {w}: the decoder core takes 64..=8192"));
        }
        Ok(ReconParams { log2_ctb: c.trailing_zeros(), lanes, max_tu, max_width: w, independent: false, shared: false, line_buffer: true })
    }

    /// The variant of [`crate::dec_multi`]'s cores (or fronts, with
    /// `rtl.decoder_shared_backend`): independent, and without a line buffer when
    /// `bitstream.slice_rows` is 1.
    pub fn multi(p: &golden::Params) -> Result<Self, String> {
        Ok(ReconParams { independent: true, shared: p.rtl.decoder_shared_backend, line_buffer: p.bitstream.slice_rows != 1, ..Self::of(p)? })
    }

    /// Memory width in samples: a power of two.
    pub fn mem_width(&self) -> usize {
        self.max_width.next_power_of_two()
    }
}

/// One memory macro of a block: instance name, words, bits per word.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Memory {
    pub name: String,
    pub words: u64,
    pub bits: u32,
}

/// The memory macros of the reconstruction path.
pub fn memories(r: &ReconParams) -> Vec<Memory> {
    let line_words = (r.mem_width() / 4) as u64;
    let c = 1u64 << r.log2_ctb;
    let pix = Memory { name: String::new(), words: c * c / 4, bits: 32 };
    let lb = Memory { name: String::new(), words: line_words, bits: 32 };
    let mut v = vec![
        Memory { name: "u_pix0 (CTU bank 0)".into(), ..pix.clone() },
        Memory { name: "u_pix1 (CTU bank 1)".into(), ..pix },
        Memory { name: "u_lb (line buffer)".into(), ..lb },
        Memory { name: "u_coef (coefficient memory)".into(), words: (r.max_tu * r.max_tu / r.lanes) as u64, bits: 16 * r.lanes as u32 },
    ];
    if !r.line_buffer {
        v.remove(2);
    }
    v
}

/// The wires between `recon` and its `inv_tq` and `intra_pred` in a core's template.
pub const SIDE_WIRES: &str = r#"    // recon <-> inv_tq, intra_pred
    wire it_valid;
    wire it_ready;
    wire [$WL-1:0] it_level;
    wire [2:0] it_log2;
    wire it_dst;
    wire [5:0] it_qp;
    wire ir_valid;
    wire ir_ready;
    wire [$WL-1:0] ir_res;
    wire ir_last;
    wire ip_valid;
    wire ip_ready;
    wire [31:0] ip_data;
    wire [5:0] ip_mode;
    wire [2:0] ip_log2;
    wire ip_luma;
    wire ip_strong;
    wire [7:0] ip_corner;
    wire pp_valid;
    wire pp_ready;
    wire [31:0] pp_sample;
    wire pp_last;
"#;

/// `recon`'s ports to `inv_tq` and `intra_pred`, the picture output and `err` in a
/// core's instance of it (no closing parenthesis).
pub const SIDE_PORTS: &str = r#"        .it_valid(it_valid), .it_ready(it_ready), .it_level(it_level), .it_log2(it_log2),
        .it_dst(it_dst), .it_qp(it_qp),
        .ir_valid(ir_valid), .ir_ready(ir_ready), .ir_res(ir_res), .ir_last(ir_last),
        .ip_valid(ip_valid), .ip_ready(ip_ready), .ip_data(ip_data), .ip_mode(ip_mode),
        .ip_log2(ip_log2), .ip_luma(ip_luma), .ip_strong(ip_strong), .ip_corner(ip_corner),
        .pp_valid(pp_valid), .pp_ready(pp_ready), .pp_sample(pp_sample), .pp_last(pp_last),
        .px_valid(px_valid), .px_ready(px_ready), .px_data(px_data), .px_last(px_last),
        .pic_open(pic_open), .err(r_err)"#;

/// A core's `inv_tq` and `intra_pred` instances (`$CORE`: the core's module prefix).
pub const SIDE_INV_TQ: &str = r#"    $CORE_inv_tq u_itq (
        .clock(clock), .reset(reset),
        .in_valid(it_valid), .in_ready(it_ready), .in_level(it_level), .in_log2(it_log2),
        .in_dst(it_dst), .in_qp(it_qp),
        .out_valid(ir_valid), .out_ready(ir_ready), .out_res(ir_res), .out_last(ir_last));
"#;
pub const SIDE_INTRA_PRED: &str = r#"    $CORE_intra_pred u_ip (
        .clock(clock), .reset(reset),
        .ref_valid(ip_valid), .ref_ready(ip_ready), .ref_data(ip_data), .in_mode(ip_mode),
        .in_log2(ip_log2), .in_luma(ip_luma), .in_strong(ip_strong), .in_corner(ip_corner),
        .out_valid(pp_valid), .out_ready(pp_ready), .out_sample(pp_sample), .out_last(pp_last));
"#;

/// The reconstruction path's structs: its ports (the decoder's), any more (the
/// encoder's probe port), and the body generator.
macro_rules! recon_block {
    ($(#[$doc:meta])* $name:ident, $body:ident, [$($extra:ident: $dir:ident $ty:ty),*], [$($out:ident),*]) => {
        $(#[$doc])*
        #[derive(LogicBlock, Default)]
        pub struct $name<const WL: usize> {
            pub clock: Signal<In, Clock>,
            pub reset: Signal<In, Bit>,
            pub sl_valid: Signal<In, Bit>,
            pub sl_ready: Signal<Out, Bit>,
            pub sl_w: Signal<In, Bits<14>>,
            pub sl_h: Signal<In, Bits<14>>,
            pub sl_ctbx: Signal<In, Bits<10>>,
            pub sl_ctby: Signal<In, Bits<10>>,
            pub sl_strong: Signal<In, Bit>,
            pub sl_maxtb: Signal<In, Bits<3>>,
            pub sl_log2ctb: Signal<In, Bits<3>>,
            pub tu_valid: Signal<In, Bit>,
            pub tu_ready: Signal<Out, Bit>,
            pub tu_kind: Signal<In, Bits<2>>,
            pub tu_x: Signal<In, Bits<13>>,
            pub tu_y: Signal<In, Bits<13>>,
            pub tu_log2: Signal<In, Bits<3>>,
            pub tu_cidx: Signal<In, Bits<2>>,
            pub tu_mode: Signal<In, Bits<6>>,
            pub tu_qp: Signal<In, Bits<6>>,
            pub tu_bypass: Signal<In, Bit>,
            pub tu_cbf: Signal<In, Bit>,
            pub co_valid: Signal<In, Bit>,
            pub co_ready: Signal<Out, Bit>,
            pub co_level: Signal<In, Signed<16>>,
            pub co_pos: Signal<In, Bits<10>>,
            pub co_end: Signal<In, Bit>,
            pub it_valid: Signal<Out, Bit>,
            pub it_ready: Signal<In, Bit>,
            pub it_level: Signal<Out, Bits<WL>>,
            pub it_log2: Signal<Out, Bits<3>>,
            pub it_dst: Signal<Out, Bit>,
            pub it_qp: Signal<Out, Bits<6>>,
            pub ir_valid: Signal<In, Bit>,
            pub ir_ready: Signal<Out, Bit>,
            pub ir_res: Signal<In, Bits<WL>>,
            pub ir_last: Signal<In, Bit>,
            pub ip_valid: Signal<Out, Bit>,
            pub ip_ready: Signal<In, Bit>,
            pub ip_data: Signal<Out, Bits<32>>,
            pub ip_mode: Signal<Out, Bits<6>>,
            pub ip_log2: Signal<Out, Bits<3>>,
            pub ip_luma: Signal<Out, Bit>,
            pub ip_strong: Signal<Out, Bit>,
            pub ip_corner: Signal<Out, Bits<8>>,
            pub pp_valid: Signal<In, Bit>,
            pub pp_ready: Signal<Out, Bit>,
            pub pp_sample: Signal<In, Bits<32>>,
            pub pp_last: Signal<In, Bit>,
            pub px_valid: Signal<Out, Bit>,
            pub px_ready: Signal<In, Bit>,
            pub px_data: Signal<Out, Bits<32>>,
            pub px_last: Signal<Out, Bit>,
            pub pic_open: Signal<Out, Bit>,
            pub err: Signal<Out, Bit>,
            $(pub $extra: Signal<$dir, $ty>,)*
            pub cfg: Gen<ReconParams>,
        }

        impl<const WL: usize> Logic for $name<WL> {
            /// No rust-hdl simulation model: Verilator runs the generated Verilog.
            fn update(&mut self) {}

            fn connect(&mut self) {
                self.sl_ready.connect();
                self.tu_ready.connect();
                self.co_ready.connect();
                self.it_valid.connect();
                self.it_level.connect();
                self.it_log2.connect();
                self.it_dst.connect();
                self.it_qp.connect();
                self.ir_ready.connect();
                self.ip_valid.connect();
                self.ip_data.connect();
                self.ip_mode.connect();
                self.ip_log2.connect();
                self.ip_luma.connect();
                self.ip_strong.connect();
                self.ip_corner.connect();
                self.pp_ready.connect();
                self.px_valid.connect();
                self.px_data.connect();
                self.px_last.connect();
                self.pic_open.connect();
                self.err.connect();
                $(self.$out.connect();)*
            }

            fn hdl(&self) -> Verilog {
                Verilog::Wrapper(Wrapper { code: $body(&self.cfg.0), cores: crate::common::ram_module() })
            }
        }
    };
}

recon_block!(
    /// Ports; `WL` = 16P.
    Recon,
    dec_body,
    [],
    []
);

/// Generate the block for `r` under the module name `name`.
pub fn generate(r: &ReconParams, name: &str) -> crate::GeneratedModule {
    generate_as(r, name, false)
}

recon_block!(
    /// `recon` behind a backend shared by several cores ([`crate::dec_multi`] with
    /// `rtl.decoder_shared_backend`): the independent decoder variant whose block runs
    /// (step 3: references to `intra_pred`, levels to `inv_tq`, the sums) wait for a
    /// grant. Ports: those of [`Recon`] plus `bk_req` (out: the block's gather is done
    /// and its levels are in, it asks for the backend), `bk_gnt` (in: the run starts in
    /// this cycle if asked; the arbiter holds it until `bk_done`), `bk_done` (out, in
    /// the run: its inputs to the backend, the references and any levels, have all
    /// been taken; its outputs may still be coming), `bk_tq` (out: the block asking
    /// or running sends levels to `inv_tq`: cbf and not cu_transquant_bypass). The
    /// backend's outputs reach the block while it runs, in the order the runs were
    /// granted. A grant costs no cycle when the backend is free: with `bk_gnt` tied
    /// high the block is [`Recon`]'s independent variant cycle for cycle.
    ReconShared,
    shared_body,
    [bk_req: Out Bit, bk_gnt: In Bit, bk_done: Out Bit, bk_tq: Out Bit],
    [bk_req, bk_done, bk_tq]
);

/// The independent decoder body with the grant of [`ReconShared`].
fn shared_body(r: &ReconParams) -> String {
    let mut b = dec_body(&ReconParams { independent: true, ..r.clone() });
    let mut edit = |from: &str, to: &str| {
        assert_eq!(b.matches(from).count(), 1, "recon template changed: {from}");
        b = b.replace(from, to);
    };
    edit("R_GATH: if (gdone & (~cbf | cfull)) st <= R_RUN;", "R_GATH: if (bk_req & bk_gnt) st <= R_RUN;");
    edit(
        "    wire tu_done = add_fire & pp_last;\n",
        "    wire tu_done = add_fire & pp_last;\n    // the shared backend (dec_multi): ask for it once gathered, run when granted, say\n    // when the run's inputs (references, levels) have all been taken\n    assign bk_req = (st == R_GATH) & gdone & (~cbf | cfull);\n    assign bk_done = (st == R_RUN) & rdone & (~cbf | byp | (~cr_more & ~cr_dv));\n    assign bk_tq = cbf & ~byp;\n",
    );
    b
}

recon_block!(
    /// `recon` in the encoder core (module `enc_core_recon`): the same block with a probe
    /// port. After a block's gather it waits in a probe state: each probe (`pb_run` = 0)
    /// sends the gathered references to `intra_pred` with `pb_mode`, and the prediction
    /// comes out on `po_*` instead of going to the adder; the decision (`pb_run` = 1) sets
    /// the block's mode and cbf, and the block is reconstructed as in the decoder (levels
    /// from the coefficient port). The record's mode and cbf are not used. Ports: those of
    /// [`Recon`] plus `pb_valid`, `pb_ready`, `pb_mode` (6), `pb_run`, `pb_cbf`,
    /// `po_valid`, `po_ready`, `po_sample` (32), `po_last`. `pb_ready` is high in the probe
    /// state when the references of the probe before have been sent; a decision must come
    /// after the last probe's prediction is out.
    ReconProbe,
    probe_body,
    [pb_valid: In Bit, pb_ready: Out Bit, pb_mode: In Bits<6>, pb_run: In Bit, pb_cbf: In Bit, po_valid: Out Bit, po_ready: In Bit, po_sample: Out Bits<32>, po_last: Out Bit],
    [pb_ready, po_valid, po_sample, po_last]
);

/// Generate the encoder's variant for `r` under the module name `name`.
pub fn generate_probe(r: &ReconParams, name: &str) -> crate::GeneratedModule {
    generate_as(r, name, true)
}

fn generate_as(r: &ReconParams, name: &str, probe: bool) -> crate::GeneratedModule {
    macro_rules! g {
        ($wl:expr) => {{
            if probe {
                crate::generate(&mut ReconProbe::<$wl> { cfg: Gen(r.clone()), ..Default::default() }, name)
            } else if r.shared {
                crate::generate(&mut ReconShared::<$wl> { cfg: Gen(r.clone()), ..Default::default() }, name)
            } else {
                crate::generate(&mut Recon::<$wl> { cfg: Gen(r.clone()), ..Default::default() }, name)
            }
        }};
    }
    match r.lanes {
        1 => g!(16),
        2 => g!(32),
        _ => g!(64),
    }
}

/// The decoder's body; with `independent`, the variant for one of several decoder cores
/// ([`crate::dec_multi`]): every slice starts a CTU row and stands alone (the slices
/// between belong to other cores), and each slice's CTUs are read out as in the single
/// core, `px_last` on the slice's last beat. A slice that does not start at CTU column 0
/// or does not end a CTU row raises `err`.
fn dec_body(r: &ReconParams) -> String {
    let mut b = body(r);
    if !r.independent {
        return b;
    }
    let (c, lw) = ((1u32 << r.log2_ctb).to_string(), (r.log2_ctb + 1).to_string());
    let mut edit = |from: &str, to: &str| {
        assert_eq!(b.matches(from).count(), 1, "recon template changed: {from}");
        b = b.replace(from, &to.replace("$C", &c).replace("$LW", &lw));
    };
    edit(
        "if (sl_bad | (sl_new & pic_o) | (~sl_new & ~pic_o)\n                        | (~sl_new & ((sl_w != pw) | (sl_h != ph)))) begin",
        "if (sl_bad | pic_o | (sl_ctbx != 10'd0)) begin",
    );
    edit(
        "                        if (sl_new) begin\n                            pic_o <= 1'b1;\n                            row <= 10'd0;\n                            col <= 10'd0;\n                            need_bank <= 1'b1;\n                        end\n",
        "                        // every slice starts a CTU row and stands alone (dec_multi)\n                        pic_o <= 1'b1;\n                        row <= sl_ctby;\n                        col <= sl_ctbx;\n                        need_bank <= 1'b1;\n",
    );
    edit("    wire unused_ok = &{", "    wire unused_ind = sl_new;\n    // the last luma block reconstructed closes a CTU row (dec_multi)\n    reg closed;\n    wire row_closed = ({1'b0, x0} + {7'd0, n} >= pw) & ({3'd0, y0} + {9'd0, n} == row_top + 16'd$C);\n    wire unused_ok = &{");
    edit("                R_RUN: if (tu_done) begin\n", "                R_RUN: if (tu_done) begin\n                    closed <= row_closed;\n");
    edit(
        "                    if (h_kind == 2'd1) st <= R_SLICE;\n",
        "                    if (h_kind == 2'd1) begin
                        st <= R_SLICE;
                        if (pic_o & (need_bank | ~closed)) begin
                            // an empty slice, or one that ends inside a CTU row
                            err_r <= 1'b1;
                            st <= R_ERR;
                        end else if (pic_o) begin
                            // the slice ends before the picture does: read its last CTU out
                            full[cur] <= 1'b1;
                            lastp[cur] <= 1'b1;
                            if (cur) begin
                                lines1 <= c_lines;
                                bw1 <= c_words;
                            end else begin
                                lines0 <= c_lines;
                                bw0 <= c_words;
                            end
                            cur <= ~cur;
                            pic_o <= 1'b0;
                            need_bank <= 1'b1;
                        end
                    end\n",
    );
    if !r.line_buffer {
        b = without_line_buffer(b, r);
    }
    b
}

/// An independent body without the line buffer ([`ReconParams::line_buffer`]): the
/// row above is never read, and a slice that goes on into a second CTU row raises err.
fn without_line_buffer(mut b: String, r: &ReconParams) -> String {
    let mut edit = |from: &str, to: &str| {
        assert_eq!(b.matches(from).count(), 1, "recon template changed: {from}");
        b = b.replace(from, to);
    };
    let lb = format!(
        "    tcgen_ram #(.W(32), .A({})) u_lb (.clock(clock), .re(l_re), .ra(l_ra), .rd(lrd),\n        .we(l_we), .wa(l_wa), .wd(p_wd), .wm(32'hffffffff));\n",
        log2(r.mem_width() / 4)
    );
    edit(
        &lb,
        "    // no line buffer: every slice is one CTU row (bitstream.slice_rows = 1), and the\n    // row above belongs to another slice (never available)\n    assign lrd = 32'd0;\n    wire unused_lb = &{1'b1, l_re, l_ra, l_we, l_wa};\n",
    );
    edit("                    else if (next_ctu) begin\n", "                    else if (next_ctu & (trow == row)) begin\n                        // (one CTU row per slice: a slice that goes on into the next row raises err)\n");
    b
}

/// The decoder's body with the probe state (see [`ReconProbe`]).
fn probe_body(r: &ReconParams) -> String {
    let mut b = body(r);
    let mut edit = |from: &str, to: &str| {
        assert_eq!(b.matches(from).count(), 1, "recon template changed: {from}");
        b = b.replace(from, to);
    };
    edit("R_RUN = 3'd5, R_ERR = 3'd6;", "R_RUN = 3'd5, R_ERR = 3'd6, R_PROBE = 3'd7;\n    // probes (hw/src/recon.rs, ReconProbe)\n    reg decided;\n    reg pact;\n    wire pb_fire = pb_valid & pb_ready;\n    assign pb_ready = (st == R_PROBE) & ~pact;");
    edit("assign ip_valid = (st == R_RUN) & ~rdone;", "assign ip_valid = ((st == R_RUN) | ((st == R_PROBE) & pact)) & ~rdone;");
    edit(
        "assign pp_ready = (st == R_RUN) & res_ok;",
        "assign pp_ready = (st == R_RUN) ? res_ok : ((st == R_PROBE) & po_ready);\n    assign po_valid = pp_valid & (st == R_PROBE);\n    assign po_sample = pp_sample;\n    assign po_last = pp_last;",
    );
    edit(
        "R_GATH: if (gdone & (~cbf | cfull)) st <= R_RUN;",
        "R_GATH: if (gdone & ~decided) st <= R_PROBE;\n                else if (gdone & (~cbf | cfull)) st <= R_RUN;\n                R_PROBE: if (pb_fire) begin\n                    mode <= pb_mode;\n                    rb <= 5'd0;\n                    rdone <= 1'b0;\n                    if (pb_run) begin\n                        cbf <= pb_cbf;\n                        decided <= 1'b1;\n                        st <= R_GATH;\n                    end else pact <= 1'b1;\n                end else if (pact & rdone) pact <= 1'b0;",
    );
    edit("                    cr_n <= 11'd0;\n", "                    cr_n <= 11'd0;\n                    decided <= 1'b0;\n                    pact <= 1'b0;\n");
    edit("            gbc <= 3'd0;\n        end else begin", "            gbc <= 3'd0;\n            decided <= 1'b0;\n            pact <= 1'b0;\n        end else begin");
    if r.independent {
        edit(
            "if (sl_bad | (sl_new & pic_o) | (~sl_new & ~pic_o)\n                        | (~sl_new & ((sl_w != pw) | (sl_h != ph)))) begin",
            "if (sl_bad) begin",
        );
        edit(
            "                        if (sl_new) begin\n                            pic_o <= 1'b1;\n                            row <= 10'd0;\n                            col <= 10'd0;\n                            need_bank <= 1'b1;\n                        end\n",
            "                        // every slice stands alone (ReconProbe, independent)\n                        pic_o <= 1'b1;\n                        row <= sl_ctby;\n                        col <= sl_ctbx;\n                        need_bank <= 1'b1;\n",
        );
        edit("    wire unused_ok = &{", "    wire unused_ind = sl_new;\n    wire unused_ok = &{");
        // no read-out: a finished CTU row's bank is free at once
        assert_eq!(b.matches("full[cur] <= 1'b1;").count(), 2, "recon template changed: the read-out hand-over");
        b = b.replace("                        full[cur] <= 1'b1;\n", "");
    }
    if r.independent && !r.line_buffer {
        b = without_line_buffer(b, r);
    }
    b
}

fn body(r: &ReconParams) -> String {
    let l = r.log2_ctb as usize;
    let p = r.lanes;
    let lp = log2(p);
    let lnm = log2(r.max_tu);
    let lww = log2(r.mem_width() / 4);
    let caw = 2 * lnm - lp;
    let wl = 16 * p;
    let k = 4 / p;
    // gearbox: P-lane beats into 4-lane words, the first beat in the low lanes
    let gb_shift = if p == 4 { "gb <= src;".to_string() } else { format!("gb <= {{src, gb[63:{wl}]}};") };
    let mut lanes = String::new();
    for j in 0..4 {
        lanes.push_str(&subst(
            r#"
    // reference beat lane $J: top[4rb + $J] or left[4(rb - N/2) + $J]; the samples before the first available one take its value
    wire [6:0] ti$J = {rb, 2'd$J};
    wire [6:0] li$J = {rb - nh[4:0], 2'd$J};
    wire [6:0] lg$J = n2 - 7'd1 - li$J;
    wire [7:0] rs$J = rtop ? ((tslot < first) ? lead : topr[ti$J[$R2B-1:0]]) : ((lg$J < first) ? lead : leftr[li$J[$R2B-1:0]]);
    assign ip_data[8*$J+7:8*$J] = rs$J;
    // sum lane $J
    wire signed [16:0] s$J = $signed({9'd0, pp_sample[8*$J+7:8*$J]}) + $signed({res4[16*$J+15], res4[16*$J+15:16*$J]});
    wire [7:0] c$J = s$J[16] ? 8'd0 : ((|s$J[15:8]) ? 8'd255 : s$J[7:0]);
"#,
            &[("J", j.to_string())],
        ));
    }
    let zc = |a: &str, b: &str| -> String {
        // z-order of the 4x4 unit (a = x, b = y) inside the CTU: {y[L-1], x[L-1], ..., y[2], x[2]}
        (2..l).rev().map(|i| format!("{b}[{i}], {a}[{i}]")).collect::<Vec<_>>().join(", ")
    };
    let mut unused: Vec<String> = ["1'b1", "ir_last", "xn[1:0]", "yn[1:0]", "rem_lines[15:$LW]", "rem_cols[15:$LW]", "c_cols[1:0]"].map(String::from).to_vec();
    for j in 0..4 {
        if lnm + 1 < 7 {
            unused.push(format!("li{j}[6:$R2B]"));
            unused.push(format!("ti{j}[6:$R2B]"));
        }
        if lnm + 1 < 6 {
            unused.push(format!("tw{j}[5:$R2B]"));
        }
    }
    unused.extend(["g_tk[6:4]", "g_ly[6]"].map(String::from));
    if lnm + 1 < 6 {
        unused.push("g1_ly[5:$R2B]".into());
    }
    if 2 * lnm < 10 {
        unused.push(format!("co_pos[9:{}]", 2 * lnm));
    }
    unused.push(format!("cr_n[10:{caw}]"));
    if l < 10 {
        unused.push("trow13[12:10]".into());
        unused.push("tcol13[12:10]".into());
    }
    if l == 4 {
        unused.push("ar[4]".into());
    }
    if lww < 11 {
        unused.push(format!("a_word[10:{lww}]"));
    }
    let lane_mask = (0..p).rev().map(|i| format!("{{16{{co_lane == 10'd{i}}}}}")).collect::<Vec<_>>().join(", ");
    let vars = [
        ("L", l.to_string()),
        ("C", (1usize << l).to_string()),
        ("LP", lp.to_string()),
        ("LNM", lnm.to_string()),
        ("NMNM", (r.max_tu * r.max_tu).to_string()),
        ("LWW", lww.to_string()),
        ("AW", (2 * l - 2).to_string()),
        ("CAW", caw.to_string()),
        ("WL", wl.to_string()),
        ("PM1", (p - 1).to_string()),
        ("K", k.to_string()),
        ("WMAX", r.mem_width().to_string()),
        ("R2B", (lnm + 1).to_string()),
        ("R2M1", (2 * r.max_tu - 1).to_string()),
        ("GBSHIFT", gb_shift),
        ("LANES", lanes),
        ("ZN", zc("xn", "yn")),
        ("ZC", zc("x0", "y0")),
        ("LANEMASK", lane_mask),
        ("LW", (l + 1).to_string()),
        ("P", p.to_string()),
        ("AR", match l { 4 => "ar[3:0]".to_string(), 5 => "ar".to_string(), _ => format!("{{{}'d0, ar}}", l - 5) }),
        ("UNUSED", unused.join(", ")),
    ];
    // twice: $UNUSED and $LANES hold placeholders of their own
    subst(&subst(TEMPLATE, &vars), &vars)
}

const TEMPLATE: &str = r#"
    // recon (hw/src/recon.rs)
    localparam [2:0] R_INIT = 3'd0, R_SLICE = 3'd1, R_REC = 3'd2, R_ROW = 3'd3, R_GATH = 3'd4,
        R_RUN = 3'd5, R_ERR = 3'd6;
    reg [2:0] st;
    reg err_r;
    assign err = err_r;
    // slice and picture
    reg [13:0] pw;
    reg [13:0] ph;
    reg [9:0] sx;
    reg [9:0] sy;
    reg strg;
    reg pic_o;
    assign pic_open = pic_o;
    reg need_bank;
    reg cur;
    reg [9:0] row;
    reg [9:0] col;
    reg [1:0] full;
    reg [1:0] lastp;
    reg [$L:0] lines0;
    reg [$L:0] lines1;
    reg [$L-2:0] bw0;
    reg [$L-2:0] bw1;
    // the block
    reg [12:0] x0;
    reg [12:0] y0;
    reg [2:0] lg;
    reg [5:0] mode;
    reg [5:0] qp;
    reg byp;
    reg cbf;
    wire [6:0] n = 7'd1 << lg;
    wire [6:0] n2 = {n[5:0], 1'b0};
    wire [6:0] nh = {1'b0, n[6:1]};
    // gather
    reg [6:0] g;
    reg gi_done;
    reg gdone;
    reg cfull;
    reg g1v;
    reg g1_top;
    reg g1_left;
    reg g1_av;
    reg g1_lb;
    reg g1_sel;
    reg g1_ck;
    reg g1_cl;
    reg [7:0] ckeep;
    reg g1_last;
    reg [5:0] g1_ly;
    reg [3:0] g1_tk;
    reg [6:0] g1_g;
    reg seen;
    reg [7:0] prev;
    reg [7:0] lead;
    reg [6:0] first;
    reg [7:0] topr [0:$R2M1];
    reg [7:0] leftr [0:$R2M1];
    reg [7:0] cornr;
    // run
    reg [4:0] rb;
    reg rdone;
    reg [10:0] cr_n;
    reg cr_dv;
    reg [63:0] gb;
    reg [2:0] gbc;
    reg [2:0] ac;
    reg [4:0] ar;
    // read-out
    reg ob;
    reg [$L:0] ol;
    reg [$L-2:0] ow;
    reg o_inf;
    reg o_ib;
    reg o_il;
    reg [32:0] ofifo [0:3];
    reg [1:0] o_wp;
    reg [1:0] o_rp;
    reg [2:0] o_cnt;
    reg [$CAW-1:0] ia;

    // ---- memories ----
    wire [31:0] rd0;
    wire [31:0] rd1;
    wire p0_re;
    wire p1_re;
    wire [$AW-1:0] p0_ra;
    wire [$AW-1:0] p1_ra;
    wire p_we0;
    wire p_we1;
    wire [$AW-1:0] p_wa;
    wire [31:0] p_wd;
    wire [31:0] lrd;
    wire l_re;
    wire [$LWW-1:0] l_ra;
    wire l_we;
    wire [$LWW-1:0] l_wa;
    wire [$WL-1:0] c_rd;
    wire c_re;
    wire [$CAW-1:0] c_ra;
    wire c_we;
    wire [$CAW-1:0] c_wa;
    wire [$WL-1:0] c_wd;
    wire [$WL-1:0] c_wm;
    tcgen_ram #(.W(32), .A($AW)) u_pix0 (.clock(clock), .re(p0_re), .ra(p0_ra), .rd(rd0),
        .we(p_we0), .wa(p_wa), .wd(p_wd), .wm(32'hffffffff));
    tcgen_ram #(.W(32), .A($AW)) u_pix1 (.clock(clock), .re(p1_re), .ra(p1_ra), .rd(rd1),
        .we(p_we1), .wa(p_wa), .wd(p_wd), .wm(32'hffffffff));
    // the line buffer: the bottom line of the CTU row above, overwritten CTU by CTU
    tcgen_ram #(.W(32), .A($LWW)) u_lb (.clock(clock), .re(l_re), .ra(l_ra), .rd(lrd),
        .we(l_we), .wa(l_wa), .wd(p_wd), .wm(32'hffffffff));
    tcgen_ram #(.W($WL), .A($CAW)) u_coef (.clock(clock), .re(c_re), .ra(c_ra), .rd(c_rd),
        .we(c_we), .wa(c_wa), .wd(c_wd), .wm(c_wm));

    // ---- records and levels ----
    assign sl_ready = (st == R_SLICE);
    // records wait in a 4-entry queue, so that syn_dec can emit the next blocks' (and
    // the chroma blocks') records and parse ahead while a block is reconstructed
    reg [46:0] rq [0:3];
    reg [1:0] rq_wp;
    reg [1:0] rq_rp;
    reg [2:0] rq_n;
    assign tu_ready = (rq_n != 3'd4) | (st == R_ERR);
    wire rq_push = tu_valid & tu_ready & (st != R_ERR);
    wire rq_pop = (st == R_REC) & (rq_n != 3'd0);
    wire [46:0] rq_h = rq[rq_rp];
    wire [1:0] h_kind = rq_h[46:45];
    wire [12:0] h_x = rq_h[44:32];
    wire [12:0] h_y = rq_h[31:19];
    wire [2:0] h_log2 = rq_h[18:16];
    wire [1:0] h_cidx = rq_h[15:14];
    wire [5:0] h_mode = rq_h[13:8];
    wire [5:0] h_qp = rq_h[7:2];
    wire h_bypass = rq_h[1];
    wire h_cbf = rq_h[0];
    // a coded block's levels go into the coefficient memory as soon as the block before
    // has read its own out of it (early in its reconstruction)
    assign co_ready = ((st != R_INIT) & ~cfull) | (st == R_ERR);
    wire co_fire = co_valid & co_ready;
    wire [9:0] co_lane = co_pos & 10'd$PM1;
    wire [$CAW-1:0] co_word = co_pos[2*$LNM-1:$LP];
    wire [12:0] trow13 = h_y >> $L;
    wire [9:0] trow = trow13[9:0];
    wire [12:0] tcol13 = h_x >> $L;
    wire [9:0] tcol = tcol13[9:0];
    wire same_ctu = (trow == row) & (tcol == col);
    // the next CTU in raster order (syn_dec emits the picture's CTUs in order)
    wire next_ctu = ((trow == row) & (tcol == col + 10'd1)) | ((trow == row + 10'd1) & (tcol == 10'd0));
    wire sl_bad = (sl_log2ctb != 3'd$L) | (sl_maxtb > 3'd$LNM) | (sl_w > 14'd$WMAX) | (sl_w == 14'd0)
        | (sl_h == 14'd0) | (sl_w[2:0] != 3'd0) | (sl_h[2:0] != 3'd0);
    wire sl_new = (sl_ctbx == 10'd0) & (sl_ctby == 10'd0);

    // ---- gather: slot g, its neighbour sample (xn, yn) and availability ----
    wire g_left = g < n2;
    wire g_top = g > n2;
    wire [6:0] g_ly = n2 - 7'd1 - g;
    wire [6:0] g_tk = g - n2 - 7'd1;
    wire g_last = g == (n2 + nh);
    wire g_act = (st == R_GATH) & ~gi_done;
    wire [13:0] xn = g_top ? ({1'b0, x0} + {7'd0, g_tk[4:0], 2'd0}) : ({1'b0, x0} - 14'd1);
    wire [13:0] yn = g_left ? ({1'b0, y0} + {8'd0, g_ly[5:0]}) : ({1'b0, y0} - 14'd1);
    wire [13:0] cxn = xn >> $L;
    wire [13:0] cyn = yn >> $L;
    wire [13:0] cxc = {1'b0, x0} >> $L;
    wire [13:0] cyc = {1'b0, y0} >> $L;
    wire inpic = (xn < pw) & (yn < ph);
    wire same_slice = (cyn > {4'd0, sy}) | ((cyn == {4'd0, sy}) & (cxn >= {4'd0, sx}));
    wire same_ctb = (cxn == cxc) & (cyn == cyc);
    wire earlier_ctb = (cyn < cyc) | ((cyn == cyc) & (cxn < cxc));
    wire [2*$L-5:0] zn = {$ZN};
    wire [2*$L-5:0] zc = {$ZC};
    wire gav = inpic & same_slice & (same_ctb ? (zn < zc) : earlier_ctb);
    // the sample is in this CTU (bank cur), the CTU to its left (the other bank) or the
    // CTU row above (the line buffer)
    wire g_lb = cyn != cyc;
    wire g_bank = (cxn == cxc) ? cur : ~cur;
    wire g_re = g_act & gav;
    wire g_bre = g_re & ~g_lb;
    wire [$AW-1:0] g_addr = {yn[$L-1:0], xn[$L-1:2]};
    assign l_ra = xn[$LWW+1:2];
    // A CTU reads the row above (its top-edge blocks, z-order: all before its bottom
    // half writes its own bottom line over the same columns) at columns xC-1 ..
    // xC+2C-1. Only column xC-1, the corner of its first block, has been overwritten
    // by then (by the CTU to the left): the CTU before kept it in ckeep when its
    // top-edge blocks read their top references (column xC+C-1 of that CTU).
    wire g_ck = ~g_left & ~g_top & g_lb & (cxn != cxc);
    wire g_cl = g_top & g_lb & (cxn == cxc) & (&xn[$L-1:2]);
    assign l_re = g_re & g_lb & ~g_ck;
    wire [31:0] gd = g1_ck ? {ckeep, 24'd0} : (g1_lb ? lrd : (g1_sel ? rd1 : rd0));
    wire [5:0] tw0 = {g1_tk, 2'd0};
    wire [5:0] tw1 = {g1_tk, 2'd1};
    wire [5:0] tw2 = {g1_tk, 2'd2};
    wire [5:0] tw3 = {g1_tk, 2'd3};
    wire [6:0] tslot = n2 + 7'd1 + {2'd0, rb};
    wire rtop = {2'd0, rb} < nh;

    // ---- run: references out, levels to inv_tq, residual gearbox, sums ----
    assign ip_valid = (st == R_RUN) & ~rdone;
    assign ip_mode = mode;
    assign ip_log2 = lg;
    assign ip_luma = 1'b1;
    assign ip_strong = strg;
    assign ip_corner = (n2 < first) ? lead : cornr;
    wire [10:0] nn = 11'd1 << {lg, 1'b0};
    wire [10:0] cr_words = nn >> $LP;
    wire gb_full = gbc == 3'd$K;
    wire res_ok = ~cbf | gb_full;
    wire add_fire = (st == R_RUN) & pp_valid & res_ok;
    assign pp_ready = (st == R_RUN) & res_ok;
    wire acc_ok = ~gb_full | add_fire;
    wire [$WL-1:0] src = byp ? c_rd : ir_res;
    wire src_valid = byp ? cr_dv : ir_valid;
    wire acc = (st == R_RUN) & cbf & src_valid & acc_ok;
    assign ir_ready = (st == R_RUN) & cbf & ~byp & acc_ok;
    wire cr_take = cr_dv & (byp ? acc_ok : it_ready);
    wire cr_more = cr_n < cr_words;
    wire cr_re = (st == R_RUN) & cbf & cr_more & (~cr_dv | cr_take);
    assign it_valid = (st == R_RUN) & cbf & ~byp & cr_dv;
    assign it_level = c_rd;
    assign it_log2 = lg;
    assign it_dst = (lg == 3'd2);
    assign it_qp = qp;
    wire [63:0] res4 = cbf ? gb : 64'd0;
$LANES
    wire [$L-1:0] a_line = y0[$L-1:0] + $AR;
    wire [10:0] a_word = x0[12:2] + {8'd0, ac};
    assign p_wa = {a_line, a_word[$L-3:0]};
    wire [15:0] row_top = {6'd0, row} << $L;
    wire [15:0] rem_lines = {2'd0, ph} - row_top;
    wire [15:0] col_left = {6'd0, col} << $L;
    wire [15:0] rem_cols = {2'd0, pw} - col_left;
    // the current CTU's lines and 4-sample words per line inside the picture
    wire [$L:0] c_lines = (rem_lines >= 16'd$C) ? $LW'd$C : rem_lines[$L:0];
    wire [$L:0] c_cols = (rem_cols >= 16'd$C) ? $LW'd$C : rem_cols[$L:0];
    wire [$L-2:0] c_words = c_cols[$L:2];
    assign p_wd = {c3, c2, c1, c0};
    assign p_we0 = add_fire & ~cur;
    assign p_we1 = add_fire & cur;
    // the CTU's bottom line also goes into the line buffer
    assign l_wa = a_word[$LWW-1:0];
    assign l_we = add_fire & (&a_line);
    wire tu_done = add_fire & pp_last;
    wire pic_end = ({1'b0, x0} + {7'd0, n} >= pw) & ({1'b0, y0} + {7'd0, n} >= ph);

    // ---- read-out of a finished CTU, line by line ----
    wire [$L:0] olines = ob ? lines1 : lines0;
    wire [$L-2:0] owords = ob ? bw1 : bw0;
    wire o_busy = g_bre & (g_bank == ob);
    wire o_issue = full[ob] & ({1'b0, o_cnt} + {3'd0, o_inf} < 4'd4) & ~o_busy;
    wire o_eol = ow + 1'b1 == owords;
    wire o_fin = o_issue & o_eol & (ol + $LW'd1 == olines);
    wire [$AW-1:0] o_addr = {ol[$L-1:0], ow[$L-3:0]};
    assign p0_re = (g_bre & ~g_bank) | (o_issue & ~ob);
    assign p1_re = (g_bre & g_bank) | (o_issue & ob);
    assign p0_ra = (g_bre & ~g_bank) ? g_addr : o_addr;
    assign p1_ra = (g_bre & g_bank) ? g_addr : o_addr;
    wire o_pop = px_ready & (o_cnt != 3'd0);
    assign px_valid = o_cnt != 3'd0;
    wire [32:0] o_head = ofifo[o_rp];
    assign px_data = o_head[31:0];
    assign px_last = o_head[32];

    // ---- coefficient memory: cleared after reset, scattered into, read (and cleared) in raster ----
    wire co_wr = co_fire & ~co_end & (st != R_ERR);
    wire c_all = (st == R_INIT) | cr_re;
    assign c_we = c_all | co_wr;
    assign c_wa = (st == R_INIT) ? ia : (cr_re ? cr_n[$CAW-1:0] : co_word);
    assign c_wd = c_all ? $WL'd0 : {$P{co_level}};
    assign c_wm = c_all ? {$WL{1'b1}} : {$LANEMASK};
    assign c_re = cr_re;
    assign c_ra = cr_n[$CAW-1:0];

    wire unused_ok = &{$UNUSED};

    always @(posedge clock) begin
        if (reset) begin
            st <= R_INIT;
            ia <= $CAW'd0;
            err_r <= 1'b0;
            pic_o <= 1'b0;
            need_bank <= 1'b1;
            cur <= 1'b0;
            row <= 10'd0;
            full <= 2'd0;
            ob <= 1'b0;
            ol <= $LW'd0;
            ow <= 0;
            o_inf <= 1'b0;
            o_wp <= 2'd0;
            o_rp <= 2'd0;
            o_cnt <= 3'd0;
            g1v <= 1'b0;
            rq_wp <= 2'd0;
            rq_rp <= 2'd0;
            rq_n <= 3'd0;
            cr_dv <= 1'b0;
            cfull <= 1'b0;
            gbc <= 3'd0;
        end else begin
            if (rq_push) begin
                rq[rq_wp] <= {tu_kind, tu_x, tu_y, tu_log2, tu_cidx, tu_mode, tu_qp, tu_bypass, tu_cbf};
                rq_wp <= rq_wp + 2'd1;
            end
            if (rq_pop) rq_rp <= rq_rp + 2'd1;
            rq_n <= rq_n + {2'd0, rq_push} - {2'd0, rq_pop};
            // read-out
            o_inf <= o_issue;
            o_ib <= ob;
            o_il <= o_fin & (ob ? lastp[1] : lastp[0]);
            if (o_inf) begin
                ofifo[o_wp] <= {o_il, o_ib ? rd1 : rd0};
                o_wp <= o_wp + 2'd1;
            end
            if (o_pop) o_rp <= o_rp + 2'd1;
            o_cnt <= o_cnt + {2'd0, o_inf} - {2'd0, o_pop};
            if (o_issue) begin
                if (o_eol) begin
                    ow <= 0;
                    if (o_fin) begin
                        ol <= $LW'd0;
                        full[ob] <= 1'b0;
                        ob <= ~ob;
                    end else ol <= ol + $LW'd1;
                end else ow <= ow + 1'b1;
            end
            // gather pipeline: stage 1 registers the slot, stage 2 stores the sample(s)
            g1v <= g_act;
            g1_top <= g_top;
            g1_left <= g_left;
            g1_av <= gav;
            g1_lb <= g_lb;
            g1_sel <= g_bank;
            g1_ck <= g_ck;
            g1_cl <= g_cl;
            if (g1v & g1_av & g1_cl) ckeep <= gd[31:24];
            g1_last <= g_last;
            g1_ly <= g_ly[5:0];
            g1_tk <= g_tk[3:0];
            g1_g <= g;
            if (g_act) begin
                g <= g + 7'd1;
                if (g_last) gi_done <= 1'b1;
            end
            if (g1v) begin
                if (g1_av) begin
                    if (g1_top) begin
                        topr[tw0[$R2B-1:0]] <= gd[7:0];
                        topr[tw1[$R2B-1:0]] <= gd[15:8];
                        topr[tw2[$R2B-1:0]] <= gd[23:16];
                        topr[tw3[$R2B-1:0]] <= gd[31:24];
                    end else if (g1_left) leftr[g1_ly[$R2B-1:0]] <= gd[31:24];
                    else cornr <= gd[31:24];
                    prev <= gd[31:24];
                    if (~seen) begin
                        seen <= 1'b1;
                        lead <= g1_top ? gd[7:0] : gd[31:24];
                        first <= g1_g;
                    end
                end else if (seen) begin
                    if (g1_top) begin
                        topr[tw0[$R2B-1:0]] <= prev;
                        topr[tw1[$R2B-1:0]] <= prev;
                        topr[tw2[$R2B-1:0]] <= prev;
                        topr[tw3[$R2B-1:0]] <= prev;
                    end else if (g1_left) leftr[g1_ly[$R2B-1:0]] <= prev;
                    else cornr <= prev;
                end
                if (g1_last) gdone <= 1'b1;
            end
            // run
            if (ip_valid & ip_ready) begin
                rb <= rb + 5'd1;
                if ({2'd0, rb} == n - 7'd1) rdone <= 1'b1;
            end
            if (cr_re) cr_n <= cr_n + 11'd1;
            if (co_fire & co_end & (st != R_ERR)) cfull <= 1'b1;
            if (cr_re & (cr_n + 11'd1 == cr_words)) cfull <= 1'b0;
            cr_dv <= cr_re | (cr_dv & ~cr_take);
            if (acc) $GBSHIFT
            gbc <= (add_fire ? 3'd0 : gbc) + {2'd0, acc};
            if (add_fire) begin
                if ({4'd0, ac} == {2'd0, n[6:2]} - 7'd1) begin
                    ac <= 3'd0;
                    ar <= ar + 5'd1;
                end else ac <= ac + 3'd1;
            end
            // the state machine
            case (st)
                R_INIT: begin
                    ia <= ia + $CAW'd1;
                    if (&ia) st <= R_SLICE;
                end
                R_SLICE: if (sl_valid) begin
                    if (sl_bad | (sl_new & pic_o) | (~sl_new & ~pic_o)
                        | (~sl_new & ((sl_w != pw) | (sl_h != ph)))) begin
                        err_r <= 1'b1;
                        st <= R_ERR;
                    end else begin
                        pw <= sl_w;
                        ph <= sl_h;
                        sx <= sl_ctbx;
                        sy <= sl_ctby;
                        strg <= sl_strong;
                        if (sl_new) begin
                            pic_o <= 1'b1;
                            row <= 10'd0;
                            col <= 10'd0;
                            need_bank <= 1'b1;
                        end
                        st <= R_REC;
                    end
                end
                R_REC: if (rq_pop) begin
                    x0 <= h_x;
                    y0 <= h_y;
                    lg <= h_log2;
                    mode <= h_mode;
                    qp <= h_qp;
                    byp <= h_bypass;
                    cbf <= h_cbf;
                    g <= 7'd0;
                    gi_done <= 1'b0;
                    gdone <= 1'b0;
                    seen <= 1'b0;
                    first <= 7'h7f;
                    lead <= 8'd128;
                    rb <= 5'd0;
                    rdone <= 1'b0;
                    cr_n <= 11'd0;
                    ac <= 3'd0;
                    ar <= 5'd0;
                    if (h_kind == 2'd1) st <= R_SLICE;
                    else if (h_kind != 2'd0) begin
                        err_r <= 1'b1;
                        st <= R_ERR;
                    end else if (h_cidx != 2'd0) begin
                        if (h_cbf) begin
                            err_r <= 1'b1;
                            st <= R_ERR;
                        end
                    end else if (~pic_o | (h_log2 > 3'd$LNM) | (h_log2 < 3'd2)) begin
                        err_r <= 1'b1;
                        st <= R_ERR;
                    end else if (need_bank) begin
                        if (~same_ctu) begin
                            err_r <= 1'b1;
                            st <= R_ERR;
                        end else st <= R_ROW;
                    end else if (same_ctu) st <= R_GATH;
                    else if (next_ctu) begin
                        // the CTU before is complete: read it out, decode into the other bank
                        full[cur] <= 1'b1;
                        lastp[cur] <= 1'b0;
                        if (cur) begin
                            lines1 <= c_lines;
                            bw1 <= c_words;
                        end else begin
                            lines0 <= c_lines;
                            bw0 <= c_words;
                        end
                        cur <= ~cur;
                        row <= trow;
                        col <= tcol;
                        st <= R_ROW;
                    end else begin
                        err_r <= 1'b1;
                        st <= R_ERR;
                    end
                end
                R_ROW: if (~full[cur]) begin
                    need_bank <= 1'b0;
                    st <= R_GATH;
                end
                R_GATH: if (gdone & (~cbf | cfull)) st <= R_RUN;
                R_RUN: if (tu_done) begin
                    st <= R_REC;
                    if (pic_end) begin
                        // the picture's last CTU: read it out; the next picture starts in the other bank
                        full[cur] <= 1'b1;
                        lastp[cur] <= 1'b1;
                        if (cur) begin
                            lines1 <= c_lines;
                            bw1 <= c_words;
                        end else begin
                            lines0 <= c_lines;
                            bw0 <= c_words;
                        end
                        cur <= ~cur;
                        pic_o <= 1'b0;
                        need_bank <= 1'b1;
                    end
                end
                R_ERR: st <= R_ERR;
                default: begin
                    err_r <= 1'b1;
                    st <= R_ERR;
                end
            endcase
        end
    end
"#;
