//! `syn_enc`: the encoder core's slice-data writer: coding-unit decisions and levels
//! in, the slice segment's data bytes out (emulation prevention applied, substreams
//! marked). The CU-level state machine writes the coding quadtree (split_cu_flag with
//! contexts from neighbour depths), cu_transquant_bypass_flag, part_mode,
//! prev_intra_luma_pred_flag, mpm_idx / rem_intra_luma_pred_mode (the most-probable-mode
//! derivation of 8.4.2 from neighbour modes), intra_chroma_pred_mode, the transform
//! tree (split_transform_flag, cbf_cb, cbf_cr, cbf_luma), end_of_slice_segment_flag and,
//! with WPP, end_of_subset_one_bit, the context storage after each row's second CTB
//! and the sync at each row start; it drives an instance of [`crate::res_enc`]
//! (module `syn_enc_res_enc`), which owns the contexts, codes every residual and the
//! arithmetic engine. `golden::encoder::syntax` in hardware.
//!
//! Subset (golden's hardware strategy and any other decision rule inside it): 2Nx2N
//! intra CUs of 8 up to the largest TB, one TU per CU (no transform split), chroma
//! 4:2:0 with no chroma residual (cbf_cb = cbf_cr = 0, chroma mode 4) or 4:0:0, no PCM,
//! transform skip or cu_qp_delta. The CU size may vary CU to CU: the quadtree splits
//! while the node is larger than the next CU record (or crosses the picture edge).
//!
//! Ports (synchronous to `clock`; `reset` synchronous, active high):
//! - `sl_valid`, `sl_ready`: one slice segment: `sl_w`, `sl_h` (14: picture size in luma
//!   samples, multiples of 8), `sl_ctbx`, `sl_ctby` (10: its first CTB), `sl_addr` (19:
//!   that CTB's address), `sl_end` (19: the address after its last CTB), `sl_wctb` (10:
//!   CTBs per row), `sl_qp` (6: SliceQpY), `sl_sdh` (1: sign_data_hiding_enabled_flag),
//!   `sl_tqb` (1: transquant_bypass_enabled_flag), `sl_byp` (1: the
//!   cu_transquant_bypass_flag of every CU, lossless), `sl_chroma` (1: 4:2:0, else 4:0:0),
//!   `sl_maxtb` (3: log2 of the largest TB), `sl_tudepth` (3:
//!   max_transform_hierarchy_depth_intra), `sl_wpp` (1: entropy_coding_sync_enabled_flag).
//!   A command outside the subset (TB outside 8..=32 or larger than the generated one,
//!   an empty picture or slice) raises `err` and is dropped.
//! - `cu_valid`, `cu_ready`: the CU decisions in coding order: `cu_x`, `cu_y` (13: luma
//!   position), `cu_log2` (3), `cu_mode` (6: intra mode 0..34), `cu_cbf` (1: the CU's
//!   levels follow on `lv_*`). A record that does not match the quadtree position, or a
//!   CU outside the subset, raises `err`; from then on records are dropped until reset.
//! - `lv_valid`, `lv_ready`, `lv_data` (P x 16), `lv_log2` (3): the levels of each
//!   coded CU, as `res_enc` takes them (raster order, P per beat).
//! - `bs_valid`, `bs_ready`, `bs_byte` (8), `bs_sub` (1: the last byte of a substream),
//!   `bs_last` (1: the last byte of the slice data): the slice data as it goes into the
//!   NAL unit after the host's slice header (emulation prevention bytes inserted; the
//!   header's byte_alignment ends in a non-zero byte and so does every substream, so
//!   escaping the data alone is exact and an entry point offset is the byte count of
//!   its substream). `sl_ready` rises again after the slice's last byte.
//! - `err` (1): sticky (also `res_enc`'s error).
//!
//! Micro-architecture: every CU-level bin is one `res_enc` command (2 cycles); a
//! CU costs about 8 commands plus its residual at about one bin per cycle. Neighbour
//! state per 8 samples: intra modes and CU depths of the left column and top row of the
//! current CTU (modes reset to DC at each CTU; the left column carries to the next CTU)
//! and a line buffer of each CTU column's bottom-row depths for the next CTU row (a
//! `tcgen_ram` macro, [`crate::syn_dec::memories`]; it was 2,048 flip-flops at CTU 32).
//! Emulation prevention is a one-byte-state stage on `res_enc`'s output (an inserted
//! 0x03 holds the byte one cycle).
//!
//! A rust-hdl Verilog wrapper; Verilator is the proof.

use crate::common::Gen;
use rust_hdl_core::prelude::*;

/// Ports; `WL` = 16P. The configuration (CTU size, largest TU, lanes) is `cfg`.
#[derive(LogicBlock, Default)]
pub struct SynEnc<const WL: usize> {
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
    pub cu_valid: Signal<In, Bit>,
    pub cu_ready: Signal<Out, Bit>,
    pub cu_x: Signal<In, Bits<13>>,
    pub cu_y: Signal<In, Bits<13>>,
    pub cu_log2: Signal<In, Bits<3>>,
    pub cu_mode: Signal<In, Bits<6>>,
    pub cu_cbf: Signal<In, Bit>,
    pub lv_valid: Signal<In, Bit>,
    pub lv_ready: Signal<Out, Bit>,
    pub lv_data: Signal<In, Bits<WL>>,
    pub lv_log2: Signal<In, Bits<3>>,
    pub bs_valid: Signal<Out, Bit>,
    pub bs_ready: Signal<In, Bit>,
    pub bs_byte: Signal<Out, Bits<8>>,
    pub bs_sub: Signal<Out, Bit>,
    pub bs_last: Signal<Out, Bit>,
    pub err: Signal<Out, Bit>,
    pub cfg: Gen<golden::Params>,
}

impl<const WL: usize> Logic for SynEnc<WL> {
    /// No rust-hdl simulation model: Verilator runs the generated Verilog.
    fn update(&mut self) {}

    fn connect(&mut self) {
        self.sl_ready.connect();
        self.cu_ready.connect();
        self.lv_ready.connect();
        self.bs_valid.connect();
        self.bs_byte.connect();
        self.bs_sub.connect();
        self.bs_last.connect();
        self.err.connect();
    }

    fn hdl(&self) -> Verilog {
        let p = &self.cfg.0;
        Verilog::Wrapper(Wrapper { code: body(p), cores: res_enc_core(p) })
    }
}

/// Generate the writer for the configuration `p` (module `syn_enc`), or why it cannot be.
pub fn generate(p: &golden::Params) -> Result<crate::GeneratedModule, String> {
    let (lanes, _) = crate::tu_params(p)?;
    let c = p.bitstream.ctu_size;
    if !matches!(c, 16 | 32 | 64) {
        return Err(format!("bitstream.ctu_size = {c}: syn_enc is generated for 16, 32 or 64"));
    }
    let cfg = Gen(p.clone());
    Ok(match lanes {
        1 => crate::generate(&mut SynEnc::<16> { cfg, ..Default::default() }, "syn_enc"),
        2 => crate::generate(&mut SynEnc::<32> { cfg, ..Default::default() }, "syn_enc"),
        _ => crate::generate(&mut SynEnc::<64> { cfg, ..Default::default() }, "syn_enc"),
    })
}

/// The residual binarizer (with its engine and memory macro) as modules of this file.
fn res_enc_core(p: &golden::Params) -> String {
    let m = crate::block("res_enc", p).expect("parameters checked by generate");
    let v = crate::common::renamed(m, "syn_enc_res_enc");
    crate::common::in_file("the residual binarizer (hw/src/res_enc.rs) as a module of this file", &v)
}

fn body(p: &golden::Params) -> String {
    use golden::cabac::Contexts as C;
    let log2_ctb = p.bitstream.ctu_size.trailing_zeros();
    let log2nm = p.bitstream.max_tu_size.trailing_zeros();
    let n8 = 1usize << (log2_ctb - 3);
    let i8 = log2_ctb - 3;
    let mut masks = String::new();
    for i in 0..n8 {
        masks.push_str(&format!(
            "    assign l_we[{i}] = ({w}'d{i} >= {{1'b0, cy8}}) & ({w}'d{i} < {{1'b0, cy8}} + csz8);\n    assign t_we[{i}] = ({w}'d{i} >= {{1'b0, cx8}}) & ({w}'d{i} < {{1'b0, cx8}} + csz8);\n",
            w = i8 + 1
        ));
    }
    let vars = [
        ("LOG2CTB", log2_ctb.to_string()),
        ("LOG2NM", log2nm.to_string()),
        ("N8M1", (n8 - 1).to_string()),
        ("N8", n8.to_string()),
        ("I8", i8.to_string()),
        ("DW", (2 * n8).to_string()),
        ("AB", (13 - log2_ctb).to_string()),
        ("MASKS", masks),
        ("MPMDERIVE", crate::syn_dec::MPM_DERIVE.to_string()),
        ("TDEPCAT", (0..n8).rev().map(|i| format!("tdep[{i}]")).collect::<Vec<_>>().join(", ")),
        ("WL", (16 * p.rtl.samples_per_cycle).to_string()),
        ("C_SPLIT_CU", C::SPLIT_CU.to_string()),
        ("C_TQB", C::TRANSQUANT_BYPASS.to_string()),
        ("C_PART", C::PART_MODE.to_string()),
        ("C_PREV", C::PREV_INTRA.to_string()),
        ("C_CHROMA", C::CHROMA_PRED.to_string()),
        ("C_SPLIT_TU", C::SPLIT_TU.to_string()),
        ("C_CBF_LUMA", C::CBF_LUMA.to_string()),
        ("C_CBF_CHROMA", C::CBF_CHROMA.to_string()),
    ];
    let t = crate::common::subst(TEMPLATE, &vars);
    crate::common::expand_calls(
        &t,
        "send",
        "begin c_valid <= 1'b1; c_op <= $1; c_kind <= $2; c_ctx <= $3; c_val <= $4; c_n <= $5; st <= S_SEND; ret <= $6; end",
    )
}

const TEMPLATE: &str = r#"
    // syn_enc (hw/src/syn_enc.rs)
    localparam [4:0] S_IDLE = 5'd0, S_SEND = 5'd1, S_CTU = 5'd2, S_CQT = 5'd3, S_CU = 5'd4,
        S_TQB = 5'd5, S_PART = 5'd6, S_PREV = 5'd7, S_MPM = 5'd8, S_MODEW = 5'd9,
        S_TT = 5'd11, S_CBFC = 5'd12, S_CBFR = 5'd13, S_CBFL = 5'd14, S_RES = 5'd15, S_ADVC = 5'd16,
        S_CTUEND = 5'd17, S_NEXT = 5'd18, S_ROW = 5'd19, S_ROWFIN = 5'd20, S_SYNC = 5'd21,
        S_FIN = 5'd22, S_DRAIN = 5'd23, S_ERR = 5'd24;

    // ---- the residual binarizer ----
    reg c_valid;
    reg [1:0] c_op;
    reg [2:0] c_log2;
    reg [1:0] c_scan;
    reg c_sdh;
    reg [1:0] c_kind;
    reg [7:0] c_ctx;
    reg [4:0] c_val;
    reg [2:0] c_n;
    reg [5:0] qp;
    wire r_cmd_ready;
    wire r_out_valid;
    wire r_out_ready;
    wire [7:0] r_out_byte;
    wire r_out_last;
    wire r_err;
    syn_enc_res_enc u_res (
        .clock(clock), .reset(reset),
        .lv_valid(lv_valid), .lv_ready(lv_ready), .lv_data(lv_data), .lv_log2(lv_log2),
        .cmd_valid(c_valid), .cmd_ready(r_cmd_ready), .cmd_op(c_op), .cmd_qp(qp), .cmd_log2(c_log2),
        .cmd_chroma(1'b0), .cmd_scan(c_scan), .cmd_sdh(c_sdh), .cmd_kind(c_kind), .cmd_ctx(c_ctx),
        .cmd_val(c_val), .cmd_n(c_n),
        .out_valid(r_out_valid), .out_ready(r_out_ready), .out_byte(r_out_byte), .out_last(r_out_last),
        .err(r_err));

    // ---- slice configuration ----
    reg [13:0] pw;
    reg [13:0] ph;
    reg [9:0] ctbx;
    reg [9:0] ctby;
    reg [18:0] addr;
    reg [18:0] saddr;
    reg [18:0] eaddr;
    reg [9:0] wctb;
    reg sdh;
    reg tqb;
    reg byp;
    reg chroma;
    reg [2:0] maxtb;
    reg [2:0] tudepth;
    reg wpp;
    // at a WPP row start (addr already the row's first CTB): the CTB above-right in the slice
    wire tr_avail = (wctb > 10'd1) & (addr + 19'd1 >= {9'd0, wctb}) & (addr + 19'd1 - {9'd0, wctb} >= saddr);

    // ---- state ----
    reg [4:0] st;
    reg [4:0] ret;
    reg err_r;
    reg rowend;
    reg [9:0] nfin;
    reg [9:0] nout;
    reg fin_final;
    // coding quadtree: position (luma), size, depth, child index per depth
    reg [13:0] cx;
    reg [13:0] cy;
    reg [2:0] clog2;
    reg [1:0] cdepth;
    reg [1:0] ck1;
    reg [1:0] ck2;
    reg [1:0] ck3;
    // the coding unit
    reg [5:0] umode;
    reg ucbf;
    reg [5:0] mp0;
    reg [5:0] mp1;
    reg [5:0] mp2;
    // neighbours (per 8 samples)
    reg [5:0] lmode [0:$N8M1];
    reg [5:0] tmode [0:$N8M1];
    reg [1:0] ldep [0:$N8M1];
    reg [1:0] tdep [0:$N8M1];
    reg availl_ctu;
    reg availa_ctu;

    assign sl_ready = (st == S_IDLE);
    assign cu_ready = (st == S_CU) | (st == S_ERR);
    assign err = err_r | r_err;

    // ---- combinational helpers ----
    wire [13:0] csize = 14'd1 << clog2;
    wire in_pic = ({1'b0, cx} + {1'b0, csize} <= {1'b0, pw}) & ({1'b0, cy} + {1'b0, csize} <= {1'b0, ph});
    wire cx_edge = (cx[$LOG2CTB-1:0] == 0);
    wire cy_edge = (cy[$LOG2CTB-1:0] == 0);
    wire [$I8-1:0] cx8 = cx[$LOG2CTB-1:3];
    wire [$I8-1:0] cy8 = cy[$LOG2CTB-1:3];
    wire avl = (cx != 14'd0) & (cx_edge ? availl_ctu : 1'b1);
    wire ava = (cy != 14'd0) & (cy_edge ? availa_ctu : 1'b1);
    wire [1:0] split_inc = {1'b0, avl & (ldep[cy8] > cdepth)} + {1'b0, ava & (tdep[cx8] > cdepth)};
    // the current CQT child index and the next sibling
    wire [1:0] ckc = (cdepth == 2'd1) ? ck1 : (cdepth == 2'd2) ? ck2 : ck3;
    wire [13:0] cpx = cx - ({13'd0, ckc[0]} << clog2);
    wire [13:0] cpy = cy - ({13'd0, ckc[1]} << clog2);
    wire [1:0] ckn = ckc + 2'd1;
    wire [13:0] csx = cpx + ({13'd0, ckn[0]} << clog2);
    wire [13:0] csy = cpy + ({13'd0, ckn[1]} << clog2);
    wire sib_in = (csx < pw) & (csy < ph);
    // most probable modes (8.4.2) of the CU at (cx, cy)
    wire [5:0] ca = avl ? lmode[cy8] : 6'd1;
    wire [5:0] cb = cy_edge ? 6'd1 : tmode[cx8];
$MPMDERIVE
    // mpm_idx, or rem_intra_luma_pred_mode: the mode less the MPMs below it
    wire is_m0 = (umode == mp0);
    wire is_m1 = (umode == mp1);
    wire is_m2 = (umode == mp2);
    wire is_mpm = is_m0 | is_m1 | is_m2;
    wire [5:0] rem = umode - {5'd0, umode > mp0} - {5'd0, umode > mp1} - {5'd0, umode > mp2};
    wire [4:0] mval = is_m0 ? 5'd0 : is_m1 ? 5'd2 : is_m2 ? 5'd3 : rem[4:0];
    wire [2:0] mn = is_m0 ? 3'd1 : is_mpm ? 3'd2 : 3'd5;
    // scanIdx (7.4.9.11): mode-dependent for luma 8x8
    wire [1:0] rscan = (clog2 != 3'd3) ? 2'd0 : ((umode >= 6'd6) & (umode <= 6'd14)) ? 2'd2 : ((umode >= 6'd22) & (umode <= 6'd30)) ? 2'd1 : 2'd0;
    wire cu_ok = (cu_x == cx[12:0]) & (cu_y == cy[12:0]) & (cu_log2 == clog2) & (cu_mode <= 6'd34);
    // the CU's 8-sample rows / columns in the neighbour buffers
    wire [$I8:0] csz8 = csize[$LOG2CTB:3];
    wire [$N8-1:0] l_we;
    wire [$N8-1:0] t_we;
$MASKS
    wire [$DW-1:0] tdep_word = {$TDEPCAT};
    // the line buffer of each CTB column's bottom-row depths (a memory macro): written
    // at the CTB's end, read (registered) at the current column in the states S_CTU
    // follows (S_ROW, and S_SEND returning to it), so that S_CTU sees the word; S_CTU
    // never follows the state that moves to the next CTB (S_NEXT) directly. Read only
    // then (a read every cycle was 0.115 pJ of the encoder core's 0.517 pJ/value of
    // memory access energy)
    wire [$DW-1:0] aword;
    wire a_re = (st == S_ROW) | ((st == S_SEND) & (ret == S_CTU));
    tcgen_ram #(.W($DW), .A($AB)) u_abuf (.clock(clock), .re(a_re), .ra(ctbx[$AB-1:0]), .rd(aword),
        .we(st == S_CTUEND), .wa(ctbx[$AB-1:0]), .wd(tdep_word), .wm({$DW{1'b1}}));

    // ---- emulation prevention on the binarizer's bytes ----
    reg [1:0] zc;
    wire need_ep = (zc == 2'd2) & (r_out_byte <= 8'd3);
    assign bs_valid = r_out_valid;
    assign bs_byte = need_ep ? 8'h03 : r_out_byte;
    assign bs_sub = ~need_ep & r_out_last;
    assign bs_last = bs_sub & fin_final & (nout + 10'd1 == nfin);
    assign r_out_ready = bs_ready & ~need_ep;
    wire bs_fire = bs_valid & bs_ready;

    wire unused_ok = &{1'b1, cpx[13], cpy[13], ca_m[5], ca_p[5], csize[13], rem[5], cx[13], cy[13]};

    integer i;
    always @(posedge clock) begin
        if (reset) begin
            st <= S_IDLE;
            err_r <= 1'b0;
            c_valid <= 1'b0;
            zc <= 2'd0;
            nfin <= 10'd0;
            nout <= 10'd0;
            fin_final <= 1'b0;
        end else begin
            if (c_valid & r_cmd_ready) c_valid <= 1'b0;
            if (bs_fire) begin
                if (need_ep) zc <= 2'd0;
                else zc <= (r_out_byte != 8'd0) ? 2'd0 : (zc == 2'd2) ? 2'd2 : zc + 2'd1;
                if (bs_sub) nout <= nout + 10'd1;
            end
            case (st)
                S_IDLE: if (sl_valid) begin
                    pw <= sl_w;
                    ph <= sl_h;
                    ctbx <= sl_ctbx;
                    ctby <= sl_ctby;
                    addr <= sl_addr;
                    saddr <= sl_addr;
                    eaddr <= sl_end;
                    wctb <= sl_wctb;
                    qp <= sl_qp;
                    sdh <= sl_sdh;
                    tqb <= sl_tqb;
                    byp <= sl_tqb & sl_byp;
                    chroma <= sl_chroma;
                    maxtb <= sl_maxtb;
                    tudepth <= sl_tudepth;
                    wpp <= sl_wpp;
                    zc <= 2'd0;
                    nfin <= 10'd0;
                    nout <= 10'd0;
                    fin_final <= 1'b0;
                    if (sl_maxtb < 3'd3 || sl_maxtb > 3'd$LOG2NM || sl_w == 14'd0 || sl_h == 14'd0 || sl_wctb == 10'd0 || sl_end <= sl_addr)
                        err_r <= 1'b1;
                    else send(2'd0, 2'd0, 8'd0, 5'd0, 3'd0, S_CTU);
                end
                S_SEND: if (r_cmd_ready) st <= ret;
                S_CTU: begin
                    cx <= {4'd0, ctbx} << $LOG2CTB;
                    cy <= {4'd0, ctby} << $LOG2CTB;
                    clog2 <= 3'd$LOG2CTB;
                    cdepth <= 2'd0;
                    availl_ctu <= (ctbx != 10'd0) & (addr != 19'd0) & (addr - 19'd1 >= saddr);
                    availa_ctu <= (ctby != 10'd0) & (addr >= {9'd0, wctb}) & (addr - {9'd0, wctb} >= saddr);
                    for (i = 0; i < $N8; i = i + 1) tmode[i] <= 6'd1;
                    for (i = 0; i < $N8; i = i + 1) tdep[i] <= aword[2*i +: 2];
                    st <= S_CQT;
                end
                S_CQT: begin
                    if (clog2 > 3'd3 && !in_pic) begin
                        // implicit split across the picture edge; child 0 is inside
                        clog2 <= clog2 - 3'd1;
                        cdepth <= cdepth + 2'd1;
                        if (cdepth == 2'd0) ck1 <= 2'd0;
                        else if (cdepth == 2'd1) ck2 <= 2'd0;
                        else ck3 <= 2'd0;
                    end else if (clog2 > 3'd3) begin
                        // split_cu_flag: split while the next CU is smaller than the node
                        if (cu_valid) begin
                            if (cu_log2 < clog2) begin
                                clog2 <= clog2 - 3'd1;
                                cdepth <= cdepth + 2'd1;
                                if (cdepth == 2'd0) ck1 <= 2'd0;
                                else if (cdepth == 2'd1) ck2 <= 2'd0;
                                else ck3 <= 2'd0;
                                send(2'd2, 2'd0, 8'd$C_SPLIT_CU + {6'd0, split_inc}, 5'd1, 3'd0, S_CQT);
                            end else send(2'd2, 2'd0, 8'd$C_SPLIT_CU + {6'd0, split_inc}, 5'd0, 3'd0, S_CU);
                        end
                    end else st <= S_CU;
                end
                S_CU: if (cu_valid) begin
                    umode <= cu_mode;
                    ucbf <= cu_cbf;
                    mp0 <= mpa;
                    mp1 <= mpb;
                    mp2 <= mpc;
                    for (i = 0; i < $N8; i = i + 1) begin
                        if (l_we[i]) ldep[i] <= cdepth;
                        if (t_we[i]) tdep[i] <= cdepth;
                    end
                    if (!cu_ok || clog2 > maxtb) begin
                        err_r <= 1'b1;
                        st <= S_ERR;
                    end else st <= S_TQB;
                end
                S_TQB: if (tqb) send(2'd2, 2'd0, 8'd$C_TQB, {4'd0, byp}, 3'd0, S_PART);
                    else st <= S_PART;
                S_PART: if (clog2 == 3'd3) send(2'd2, 2'd0, 8'd$C_PART, 5'd1, 3'd0, S_PREV);
                    else st <= S_PREV;
                S_PREV: send(2'd2, 2'd0, 8'd$C_PREV, {4'd0, is_mpm}, 3'd0, S_MPM);
                S_MPM: send(2'd2, 2'd1, 8'd0, mval, mn, S_MODEW);
                S_MODEW: begin
                    for (i = 0; i < $N8; i = i + 1) begin
                        if (l_we[i]) lmode[i] <= umode;
                        if (t_we[i]) tmode[i] <= umode;
                    end
                    if (chroma) send(2'd2, 2'd0, 8'd$C_CHROMA, 5'd0, 3'd0, S_TT);
                    else st <= S_TT;
                end
                // split_transform_flag (coded: the CU is at most the largest TB and larger than 4)
                S_TT: if (tudepth != 3'd0) send(2'd2, 2'd0, 8'd$C_SPLIT_TU + {5'd0, 3'd5 - clog2}, 5'd0, 3'd0, S_CBFC);
                    else st <= S_CBFC;
                S_CBFC: if (chroma) send(2'd2, 2'd0, 8'd$C_CBF_CHROMA, 5'd0, 3'd0, S_CBFR);
                    else st <= S_CBFL;
                S_CBFR: send(2'd2, 2'd0, 8'd$C_CBF_CHROMA, 5'd0, 3'd0, S_CBFL);
                S_CBFL: send(2'd2, 2'd0, 8'd$C_CBF_LUMA + 8'd1, {4'd0, ucbf}, 3'd0, ucbf ? S_RES : S_ADVC);
                S_RES: begin
                    c_log2 <= clog2;
                    c_scan <= rscan;
                    c_sdh <= sdh & ~byp;
                    send(2'd1, 2'd0, 8'd0, 5'd0, 3'd0, S_ADVC);
                end
                S_ADVC: begin
                    if (cdepth == 2'd0) st <= S_CTUEND;
                    else if (ckc != 2'd3) begin
                        cx <= csx;
                        cy <= csy;
                        case (cdepth)
                            2'd1: ck1 <= ckn;
                            2'd2: ck2 <= ckn;
                            default: ck3 <= ckn;
                        endcase
                        if (sib_in) st <= S_CQT;
                    end else begin
                        cx <= cpx;
                        cy <= cpy;
                        clog2 <= clog2 + 3'd1;
                        cdepth <= cdepth - 2'd1;
                    end
                end
                // end_of_slice_segment_flag
                S_CTUEND: begin
                    if (addr + 19'd1 == eaddr) send(2'd2, 2'd2, 8'd0, 5'd1, 3'd0, S_FIN);
                    else send(2'd2, 2'd2, 8'd0, 5'd0, 3'd0, S_NEXT);
                end
                S_NEXT: begin
                    addr <= addr + 19'd1;
                    if (ctbx + 10'd1 == wctb) begin
                        ctbx <= 10'd0;
                        ctby <= ctby + 10'd1;
                    end else ctbx <= ctbx + 10'd1;
                    rowend <= wpp & (ctbx + 10'd1 == wctb);
                    // WPP storage after the second CTB of a row (9.3.2.3)
                    if (wpp & (ctbx == 10'd1)) send(2'd3, 2'd2, 8'd0, 5'd0, 3'd0, S_ROW);
                    else st <= S_ROW;
                end
                // end_of_subset_one_bit and the substream's end at a WPP row end
                S_ROW: if (rowend) send(2'd2, 2'd2, 8'd0, 5'd1, 3'd0, S_ROWFIN);
                    else st <= S_CTU;
                S_ROWFIN: begin
                    nfin <= nfin + 10'd1;
                    send(2'd3, 2'd0, 8'd0, 5'd0, 3'd0, S_SYNC);
                end
                // the next row's contexts: from the storage when the CTB above-right is in the slice
                S_SYNC: if (tr_avail) send(2'd3, 2'd1, 8'd0, 5'd0, 3'd0, S_CTU);
                    else send(2'd0, 2'd0, 8'd0, 5'd0, 3'd0, S_CTU);
                S_FIN: begin
                    nfin <= nfin + 10'd1;
                    fin_final <= 1'b1;
                    send(2'd3, 2'd0, 8'd0, 5'd0, 3'd0, S_DRAIN);
                end
                S_DRAIN: if (bs_fire & bs_last) st <= S_IDLE;
                S_ERR: st <= S_ERR;
                default: st <= S_ERR;
            endcase
        end
    end
"#;
