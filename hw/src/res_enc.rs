//! `res_enc`: the encoder core's CABAC binarizer for residual_coding() (H.265 7.3.8.11)
//! and single syntax bins: the whole context memory (all 137 intra context variables,
//! initialized in hardware from the slice QP, updated per decision), the residual
//! state machine with every binarization and context selection of 9.3.3.10-9.3.3.11 and
//! 9.3.4.2.3-9.3.4.2.7, the WPP context storage, and [`crate::cabac_enc`]'s arithmetic
//! encoding engine as a module of this file. `golden::residual::code_residual` (with
//! `golden::cabac::CabacEncoder`) in hardware.
//!
//! Ports (synchronous to `clock`; `reset` synchronous, active high: empties both level
//! banks, re-initializes the engine, clears the error flag; the context memory keeps
//! its contents):
//! - `lv_valid`, `lv_ready`, `lv_data` (P x 16 signed, lane l in bits 16l..16l+15),
//!   `lv_log2` (3, sampled at a TU's first beat): the TU's levels (TransCoeffLevel, the
//!   output format of `fwd_tq`) in raster order, P per beat (P = `rtl.samples_per_cycle`),
//!   N^2/P beats per NxN TU, TUs in the order of the op-1 commands. Two banks: the next
//!   TU loads while the current one is coded. `lv_ready` depends on registers only.
//! - `cmd_valid`, `cmd_ready`, `cmd_op` (2), `cmd_qp` (6), `cmd_log2` (3), `cmd_chroma`
//!   (1), `cmd_scan` (2), `cmd_sdh` (1), `cmd_kind` (2), `cmd_ctx` (8), `cmd_val` (5),
//!   `cmd_n` (3):
//!   - op 0: initialize every context at slice QP `cmd_qp` (9.3.2.2, one per cycle);
//!   - op 1: residual_coding of the next loaded TU: size 2^`cmd_log2` (2..=log2 of the
//!     largest TU, and equal to the TU's `lv_log2`), luma or chroma, scanIdx `cmd_scan`,
//!     sign data hiding `cmd_sdh` (the PPS flag and not cu_transquant_bypass; the
//!     levels must already obey the parity rule, as `golden::quantize::sign_hide` makes
//!     them); the TU must have a non-zero level (cbf 1);
//!   - op 2: bins by `cmd_kind`: 0 one decision `cmd_val[0]` on context `cmd_ctx`
//!     (`golden::cabac::Contexts::flat` order), 1 `cmd_n` (1..=5) bypass bins, the low
//!     `cmd_n` bits of `cmd_val` most significant first, 2 one terminating bin
//!     `cmd_val[0]`;
//!   - op 3 by `cmd_kind`: 0 finish the substream (after a terminating bin 1: flush,
//!     stop bit, alignment; the engine starts the next substream), 1 restore the
//!     contexts from the WPP storage (9.3.2.4), 2 store them there (9.3.2.3), one per
//!     cycle. The storage is a `tcgen_ram` macro (137 x 7 bits, [`MEMORIES`]).
//! - `out_valid`, `out_ready`, `out_byte` (8), `out_last` (1, the last byte of a
//!   substream): the substream's bytes, emulation prevention not applied (the slice
//!   packer does that over the whole NAL unit).
//! - `err` (1): sticky: an op 1 whose TU is all zero, whose size is outside the
//!   subset or differs from the loaded TU's, scanIdx 3, a context index past the last,
//!   a bypass count outside 1..=5, op 3 kind 3. The offending op codes nothing (an
//!   op 1 still consumes its TU), so the block never hangs on bad commands.
//!
//! Micro-architecture: one engine request per cycle at most (the engine takes a bin, or
//! up to KE = [`golden::config::RES_ENC_BYPASS_BINS`] (4) bypass bins, per cycle); the
//! context read, the bin's context update and the
//! next context selection happen in that cycle. Levels sit in a `tcgen_ram` of two
//! banks of NM^2/4 words x 64 bits (a sub-block row per word, written P levels per
//! beat with the write mask); while loading, the block keeps per TU a 64-bit map of
//! non-zero sub-blocks and the last non-zero sub-block in each of the three scans,
//! so neither the last position nor coded_sub_block_flag needs a pass over the TU. A
//! sub-block with non-zero levels (and sub-block 0) is fetched in 5 cycles (4 reads)
//! into a 16-level register; its significance map in scan order, the greater1 /
//! greater2 flags, signs and remaining levels (Rice prefix and suffix, EGk) are coded
//! from there one bin per cycle, bypass bins KE per cycle: the signs of the next KE
//! coefficients (a chain of KE priority encoders over the coefficients left), the
//! bins of one coeff_abs_level_remaining codeword (prefix ones, the closing zero, the
//! suffix; the first KE in the coefficient's own cycle, from the level in hand), a
//! last-position suffix (at most 3 bins) whole, op-2 bypass runs. Cycles without a
//! bin: the fetches, one per sub-block check, one per coefficient of the first eight
//! without a remaining level, one per TU start and end. Until 2026-12-07 bypass bins
//! went two per cycle and a codeword's first bin alone (@minilm, default
//! configuration: `enc_core` 821,798 -> 623,686 cycles at QP 22).
//!
//! A rust-hdl Verilog wrapper (a state machine with tables generated from golden/,
//! shared with `res_dec`); Verilator is the proof.

use rust_hdl_core::prelude::*;

/// The binarizer's memory macros: the WPP context storage (as `res_dec`'s) and the
/// level banks (words, bits), for a largest TU of `nm`.
pub fn memories(nm: usize) -> Vec<(String, u64, u32)> {
    let mut v: Vec<(String, u64, u32)> = crate::res_dec::MEMORIES.iter().map(|(n, w, b)| (n.to_string(), *w, *b)).collect();
    v.push(("u_lv (level banks)".to_string(), (2 * nm * nm / 4) as u64, 64));
    v
}

/// Ports; `NM` = largest TU side, `WL` = 16P.
#[derive(LogicBlock, Default)]
pub struct ResEnc<const NM: usize, const WL: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub lv_valid: Signal<In, Bit>,
    pub lv_ready: Signal<Out, Bit>,
    pub lv_data: Signal<In, Bits<WL>>,
    pub lv_log2: Signal<In, Bits<3>>,
    pub cmd_valid: Signal<In, Bit>,
    pub cmd_ready: Signal<Out, Bit>,
    pub cmd_op: Signal<In, Bits<2>>,
    pub cmd_qp: Signal<In, Bits<6>>,
    pub cmd_log2: Signal<In, Bits<3>>,
    pub cmd_chroma: Signal<In, Bit>,
    pub cmd_scan: Signal<In, Bits<2>>,
    pub cmd_sdh: Signal<In, Bit>,
    pub cmd_kind: Signal<In, Bits<2>>,
    pub cmd_ctx: Signal<In, Bits<8>>,
    pub cmd_val: Signal<In, Bits<5>>,
    pub cmd_n: Signal<In, Bits<3>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_byte: Signal<Out, Bits<8>>,
    pub out_last: Signal<Out, Bit>,
    pub err: Signal<Out, Bit>,
}

impl<const NM: usize, const WL: usize> Logic for ResEnc<NM, WL> {
    /// No rust-hdl simulation model: Verilator runs the generated Verilog.
    fn update(&mut self) {}

    fn connect(&mut self) {
        self.lv_ready.connect();
        self.cmd_ready.connect();
        self.out_valid.connect();
        self.out_byte.connect();
        self.out_last.connect();
        self.err.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Wrapper(Wrapper { code: body(NM, WL / 16), cores: engine_core() })
    }
}

/// The arithmetic encoding engine as a module of this block's file, and the memory macro.
fn engine_core() -> String {
    let m = crate::generate(&mut crate::cabac_enc::CabacEnc::default(), "res_enc_cabac_enc");
    format!(
        "{}{}",
        crate::common::in_file("the arithmetic encoding engine (hw/src/cabac_enc.rs) as a module of this file", &m.verilog),
        crate::common::ram_module()
    )
}

fn body(nm: usize, lanes: usize) -> String {
    use golden::cabac::Contexts as C;
    let mut t = crate::res_dec::tables();
    t.push_str("    function automatic [3:0] grp(input [4:0] sel);\n        case (sel)\n");
    for (k, &v) in golden::residual::GROUP_IDX.iter().enumerate() {
        t.push_str(&format!("            5'd{k}: grp = 4'd{v};\n"));
    }
    t.push_str("            default: grp = 4'd0;\n        endcase\n    endfunction\n");
    let log2nm = crate::common::log2(nm);
    let wb = 2 * log2nm - 2; // word address bits of one bank
    let wl = 16 * lanes;
    let pad = |ones: bool| {
        let v = if ones { format!("{{{wl}{{1'b1}}}}") } else { "lv_data".to_string() };
        if wl < 64 {
            format!("{{{}'d0, {v}}}", 64 - wl)
        } else {
            v
        }
    };
    let mut unused = format!("frow[9:{wb}]");
    if wb + 2 <= 9 {
        unused.push_str(&format!(", lpos[9:{}]", wb + 2));
    }
    let vars = [
        ("TABLES", t),
        ("SIGFNS", crate::res_dec::SIG_FNS.to_string()),
        ("CTXINIT", crate::res_dec::CTX_INIT.to_string()),
        ("SBGEOM", crate::res_dec::SB_GEOM.to_string()),
        ("LPOSCTX", crate::res_dec::LAST_POS_CTX.to_string()),
        ("LASTCTX", (C::COUNT - 1).to_string()),
        ("C_LASTX", C::LAST_X.to_string()),
        ("C_LASTY", C::LAST_Y.to_string()),
        ("C_CSBF", C::CSBF.to_string()),
        ("C_SIG", C::SIG.to_string()),
        ("C_GT1", C::GT1.to_string()),
        ("C_GT2", C::GT2.to_string()),
        ("LOG2NM", log2nm.to_string()),
        ("LP", crate::common::log2(lanes).to_string()),
        ("LA", (wb + 1).to_string()),
        ("WBH", (wb + 1).to_string()),
        ("WBL", (wb - 1).to_string()),
        ("LVD", pad(false)),
        ("LVM", pad(true)),
        ("KE", crate::cabac_enc::KE.to_string()),
        ("UNUSED", unused),
    ];
    crate::common::subst(TEMPLATE, &vars)
}

const TEMPLATE: &str = r#"
    // res_enc (hw/src/res_enc.rs)
$TABLES
$SIGFNS
    function automatic [4:0] popc16(input [15:0] m);
        integer b;
        begin
            popc16 = 5'd0;
            for (b = 0; b < 16; b = b + 1) popc16 = popc16 + {4'd0, m[b]};
        end
    endfunction
    function automatic [5:0] max6(input [5:0] a, input [5:0] b);
        max6 = (a > b) ? a : b;
    endfunction

    localparam [4:0] PH_IDLE = 5'd0, PH_CINIT = 5'd1, PH_BIN = 5'd2, PH_TUW = 5'd3, PH_FETCH = 5'd4,
        PH_LAST = 5'd5, PH_LXP = 5'd6, PH_LYP = 5'd7, PH_LXS = 5'd8, PH_LYS = 5'd9, PH_CSBF = 5'd10,
        PH_SIG = 5'd11, PH_GT1 = 5'd12, PH_GT2 = 5'd13, PH_SIGN = 5'd14, PH_COEF = 5'd15,
        PH_REM = 5'd16, PH_END = 5'd18, PH_FIN = 5'd19, PH_SAVE = 5'd20,
        PH_REST = 5'd21, PH_RESTW = 5'd22;

    reg [4:0] ph;
    reg err_r;
    assign err = err_r;
    assign cmd_ready = (ph == PH_IDLE);
    wire cmd_fire = cmd_valid & cmd_ready;

    // ---- context memory and the WPP storage (as res_dec) ----
    reg [6:0] cm [0:$LASTCTX];
    reg [7:0] idx;
    reg [5:0] qp;
    wire [6:0] sv_rd;
    reg rv;
    reg [7:0] rv_a;
    tcgen_ram #(.W(7), .A(8)) u_wpp (.clock(clock), .re(ph == PH_REST), .ra(idx), .rd(sv_rd),
        .we(ph == PH_SAVE), .wa(idx), .wd(cm[idx]), .wm(7'h7f));

    // ---- level banks: loader ----
    reg [1:0] bfull;
    reg wb;
    reg rb;
    reg [9:0] lcnt;
    reg [2:0] l_log2;
    reg [2:0] bk_log2 [0:1];
    reg [63:0] bk_nzr [0:1];
    reg [17:0] bk_ls [0:1];
    reg [1:0] bk_any;
    assign lv_ready = ~bfull[wb];
    wire lv_fire = lv_valid & lv_ready;
    wire lfirst = (lcnt == 10'd0);
    wire [2:0] llg = lfirst ? lv_log2 : l_log2;
    wire lbad = (llg < 3'd2) | (llg > 3'd$LOG2NM);
    wire [1:0] llgs = llg[1:0] - 2'd2;
    wire [9:0] lpos = lcnt << $LP;
    wire [5:0] lnn = 6'd1 << llg;
    wire [4:0] lxp = lpos[4:0] & (lnn[4:0] - 5'd1);
    wire [9:0] lyw = lpos >> llg;
    wire [2:0] lxs = lxp[4:2];
    wire [2:0] lys = lyw[4:2];
    wire lnz = |lv_data;
    wire [5:0] lsb0 = sbidx({llgs, 2'd0, lxs, lys});
    wire [5:0] lsb1 = sbidx({llgs, 2'd1, lxs, lys});
    wire [5:0] lsb2 = sbidx({llgs, 2'd2, lxs, lys});
    wire [10:0] lbeats = 11'd1 << ({1'b0, llg, 1'b0} - 4'd$LP);
    wire lend = lbad | (({1'b0, lcnt} + 11'd1) == lbeats);
    wire [63:0] nzr_base = lfirst ? 64'd0 : bk_nzr[wb];
    wire [17:0] ls_base = lfirst ? 18'd0 : bk_ls[wb];
    wire any_base = lfirst ? 1'b0 : bk_any[wb];
    wire [17:0] ls_new = lnz ? {max6(ls_base[17:12], lsb2), max6(ls_base[11:6], lsb1), max6(ls_base[5:0], lsb0)} : ls_base;
    wire [63:0] lw_d = $LVD << {lpos[1:0], 4'd0};
    wire [63:0] lw_m = $LVM << {lpos[1:0], 4'd0};
    wire [63:0] lm_rd;
    wire lm_re;
    wire [$WBL:0] lm_rw;
    tcgen_ram #(.W(64), .A($LA)) u_lv (.clock(clock), .re(lm_re), .ra({rb, lm_rw}), .rd(lm_rd),
        .we(lv_fire), .wa({wb, lpos[$WBH:2]}), .wd(lw_d), .wm(lw_m));

    // ---- coder state ----
    reg [2:0] t_log2;
    reg t_ch;
    reg [1:0] t_scan;
    reg t_sdh;
    reg [1:0] b_kind;
    reg [7:0] b_ctx;
    reg [4:0] b_val;
    reg [2:0] b_n;
    reg [3:0] pcnt;
    reg [3:0] px;
    reg [3:0] py;
    reg [4:0] lx;
    reg [4:0] ly;
    reg [2:0] scnt;
    reg [5:0] sb;
    reg [5:0] last_sb;
    reg [3:0] last_k;
    reg [63:0] csbf;
    reg [1:0] prevc;
    reg [3:0] k;
    reg infer_dc;
    reg [2:0] fr;
    reg fetched;
    reg ffirst;
    reg [255:0] sbr;
    reg [1:0] c1;
    reg [1:0] cset;
    reg [4:0] j;
    reg [15:0] itm;
    reg hasg2;
    reg g2v;
    reg [2:0] rice;
    reg fc2;
    reg [4:0] rcnt;
    reg rz;
    reg [5:0] rn;
    reg nr;
    reg [15:0] cab;
    reg [15:0] rsuf;
    reg [3:0] rk;

    // ---- derived values of the current TU / sub-block ----
$SBGEOM
    wire [63:0] c_nzr = bk_nzr[rb];
    wire nzbit = c_nzr[sb_bit];
    wire csbf_coded = (sb < last_sb) & (sb != 6'd0);
    wire needf = ~fetched & (nzbit | (sb == 6'd0));
    wire [3:0] ixy = inxy({t_scan, k});
    wire [5:0] sctx = sigctx(t_log2, t_ch, t_scan, ixy[3:2], ixy[1:0], sb == 6'd0, prevc);
$LPOSCTX
    wire [4:0] lxr = lx - mig(px);
    wire [4:0] lyr = ly - mig(py);
    // fetch: row fr of the sub-block (reads at fr 0..3, data one cycle later)
    assign lm_re = (ph == PH_FETCH) & ~fr[2];
    wire [9:0] frow = ({5'd0, ys, fr[1:0]} << lg) + {7'd0, xs};
    assign lm_rw = frow[$WBL:0];
    wire [1:0] frw = fr[1:0] - 2'd1;

    // the sub-block's levels: non-zero flags (raster) and the significance map in scan order
    reg [15:0] nzf;
    reg [15:0] sigs;
    reg [3:0] tq;
    integer q;
    always @(*) begin
        for (q = 0; q < 16; q = q + 1) nzf[q] = |sbr[q * 16 +: 16];
        sigs = 16'd0;
        tq = 4'd0;
        for (q = 0; q < 16; q = q + 1) begin
            tq = inxy({t_scan, q[3:0]});
            sigs[q] = nzf[{tq[1:0], tq[3:2]}];
        end
    end
    wire [4:0] nsig = popc16(sigs);
    wire [4:0] ngt1 = (nsig > 5'd8) ? 5'd8 : nsig;
    wire [3:0] smax = msb16(sigs);
    wire [3:0] smin = lsb16(sigs);
    wire hidden = t_sdh & ((smax - smin) > 4'd3) & (smax > smin);
    wire [4:0] nsign = hidden ? nsig - 5'd1 : nsig;
    // the coefficient in hand: the highest scan position left in itm
    wire [3:0] cpos = msb16(itm);
    wire [3:0] cxy = inxy({t_scan, cpos});
    wire [15:0] clev = sbr[{cxy[1:0], cxy[3:2], 4'd0} +: 16];
    wire [15:0] cabs = clev[15] ? (16'd0 - clev) : clev;
    // the signs of the next KE coefficients (highest scan positions left in itm), the
    // first in bit KE-1; sg_m: itm without the first u of them at 16u
    reg [16 * ($KE + 1) - 1:0] sg_m;
    reg [$KE-1:0] sg_b;
    reg [3:0] sg_p;
    reg [3:0] sg_xy;
    integer u;
    always @(*) begin
        sg_m[15:0] = itm;
        for (u = 0; u < $KE; u = u + 1) begin
            sg_p = msb16(sg_m[16 * u +: 16]);
            sg_xy = inxy({t_scan, sg_p});
            sg_b[$KE - 1 - u] = sbr[{sg_xy[1:0], sg_xy[3:2], 4'd15}];
            sg_m[16 * (u + 1) +: 16] = sg_m[16 * u +: 16] & ~(16'd1 << sg_p);
        end
    end
    wire [4:0] sg_left = nsign - j;
    wire [3:0] sg_nb = (sg_left > 5'd$KE) ? 4'd$KE : sg_left[3:0];
    reg [15:0] sg_next;
    integer v;
    always @(*) begin
        sg_next = sg_m[16 +: 16];
        for (v = 2; v <= $KE; v = v + 1) if ({28'd0, sg_nb} == v) sg_next = sg_m[16 * v +: 16];
    end
    // the next coefficient's coeff_abs_level_remaining (9.3.3.11), worked out a cycle
    // ahead (when PH_SIGN ends, and when a coefficient finishes): its position (the
    // first in sigs, or the one after the coefficient in hand), level, base, Rice
    // parameter; a prefix of p_ones ones and a zero, then p_slen suffix bits
    wire [4:0] nxt_j = (ph == PH_SIGN) ? 5'd0 : j + 5'd1;
    wire nxt_fc2 = (ph == PH_SIGN) | (fc2 & (cab < 16'd2));
    // (a coefficient without a remaining level is at most 2 < 3 << rice: rice stays)
    wire [2:0] rice_n = ((cab > (16'd3 << rice)) && (rice < 3'd4)) ? rice + 3'd1 : rice;
    wire [2:0] nxt_rice = (ph == PH_SIGN) ? 3'd0 : rice_n;
    wire [3:0] nxt_pos = msb16((ph == PH_SIGN) ? sigs : sg_m[31:16]);
    wire [3:0] nxt_xy = inxy({t_scan, nxt_pos});
    wire [15:0] nxt_lev = sbr[{nxt_xy[1:0], nxt_xy[3:2], 4'd0} +: 16];
    wire [15:0] nxt_abs = nxt_lev[15] ? (16'd0 - nxt_lev) : nxt_lev;
    wire [1:0] base = (nxt_j < 5'd8) ? (2'd2 + {1'b0, nxt_fc2}) : 2'd1;
    wire p_need = (nxt_abs >= {14'd0, base});
    wire [15:0] rval = nxt_abs - {14'd0, base};
    wire [15:0] rvsh = rval >> nxt_rice;
    wire rtr = (rvsh < 16'd3);
    wire [15:0] ru = rval - (16'd2 << nxt_rice);
    wire [3:0] rlen = msb16(ru);
    wire [4:0] p_ones = rtr ? rvsh[4:0] : (5'd3 + {1'b0, rlen} - {2'd0, nxt_rice});
    wire [15:0] p_suf = rtr ? (rval & ~(16'hffff << nxt_rice)) : (ru & ~(16'hffff << rlen));
    wire [3:0] p_slen = rtr ? {1'b0, nxt_rice} : rlen;
    // the codeword in hand (registers): rcnt ones, the closing zero (rz), rk suffix bits
    // (the low bits of rsuf, most significant first); rn = rcnt + rz + rk, kept as a
    // register of its own so that no adder sits in front of the request
    wire [5:0] cw_pre = {1'b0, rcnt} + {5'd0, rz};
    wire cw_last = (rn <= 6'd$KE);
    wire [3:0] cw_nb = cw_last ? rn[3:0] : 4'd$KE;
    reg [$KE-1:0] cw_b;
    reg [3:0] cw_i;
    integer w;
    always @(*) begin
        cw_i = 4'd0;
        for (w = 0; w < $KE; w = w + 1) begin
            cw_i = rn[3:0] - 4'd1 - w[3:0];
            if (w[5:0] < {1'b0, rcnt}) cw_b[$KE - 1 - w] = 1'b1;
            else if (rz && (w[5:0] == {1'b0, rcnt})) cw_b[$KE - 1 - w] = 1'b0;
            else cw_b[$KE - 1 - w] = rsuf[cw_i];
        end
    end
    // what is left after this request
    wire [4:0] cw_c2 = (rcnt > 5'd$KE) ? rcnt - 5'd$KE : 5'd0;
    wire cw_z2 = rz & (rcnt >= 5'd$KE);
    wire [5:0] cw_room = (cw_pre >= 6'd$KE) ? 6'd0 : 6'd$KE - cw_pre;
    wire [3:0] cw_k2 = ({2'd0, rk} > cw_room) ? rk - cw_room[3:0] : 4'd0;
    // an op-2 bypass run: its first KE bins
    wire [2:0] bb_nb = (b_n > 3'd$KE) ? 3'd$KE : b_n;
    // the last position of the TU, from the first fetched sub-block
    wire [3:0] lk = msb16(sigs);
    wire [3:0] lkxy = inxy({t_scan, lk});
    wire [4:0] lxa = {xs, lkxy[3:2]};
    wire [4:0] lya = {ys, lkxy[1:0]};
    wire [4:0] lxn = (t_scan == 2'd2) ? lya : lxa;
    wire [4:0] lyn = (t_scan == 2'd2) ? lxa : lya;
    wire [4:0] ls_sel = (t_scan == 2'd0) ? 5'd0 : (t_scan == 2'd1) ? 5'd6 : 5'd12;
    wire [17:0] c_ls = bk_ls[rb];
    wire [5:0] c_last_sb = c_ls[ls_sel +: 6];
    wire tu_bad = (t_log2 < 3'd2) | (t_log2 > 3'd$LOG2NM) | (t_scan == 2'd3) | (bk_log2[rb] != t_log2) | ~bk_any[rb];

    // ---- the engine request of this cycle ----
    reg rq;
    reg [1:0] rkind;
    reg rbin;
    reg [3:0] rnb;
    reg [7:0] rbins;
    reg [7:0] rctx;
    wire skip = (k == 4'd0) & infer_dc;
    always @(*) begin
        rq = 1'b0;
        rkind = 2'd1;
        rbin = 1'b0;
        rnb = 4'd0;
        rbins = 8'd0;
        rctx = 8'd0;
        case (ph)
            PH_LXP: begin rq = 1'b1; rkind = 2'd0; rctx = 8'd$C_LASTX + {3'd0, lsel}; rbin = (pcnt < px); end
            PH_LYP: begin rq = 1'b1; rkind = 2'd0; rctx = 8'd$C_LASTY + {3'd0, lsel}; rbin = (pcnt < py); end
            // a last-position suffix (at most 3 bins) in one request
            PH_LXS: begin rq = 1'b1; rnb = {1'b0, scnt}; rbins = {3'd0, lxr}; end
            PH_LYS: begin rq = 1'b1; rnb = {1'b0, scnt}; rbins = {3'd0, lyr}; end
            PH_CSBF: begin rq = ~needf & csbf_coded; rkind = 2'd0; rctx = 8'd$C_CSBF + {6'd0, t_ch, right | below}; rbin = nzbit; end
            PH_SIG: begin rq = ~skip; rkind = 2'd0; rctx = 8'd$C_SIG + {2'd0, sctx}; rbin = sigs[k]; end
            PH_GT1: begin rq = 1'b1; rkind = 2'd0; rctx = 8'd$C_GT1 + {3'd0, t_ch, cset, c1}; rbin = (cabs > 16'd1); end
            PH_GT2: begin rq = 1'b1; rkind = 2'd0; rctx = 8'd$C_GT2 + {5'd0, t_ch, cset}; rbin = g2v; end
            PH_SIGN: begin rq = 1'b1; rnb = sg_nb; rbins = {{(8 - $KE){1'b0}}, sg_b >> ($KE - sg_nb)}; end
            // the remaining level's codeword, KE bins per request
            PH_COEF, PH_REM: begin rq = (ph == PH_REM) | nr; rnb = cw_nb; rbins = {{(8 - $KE){1'b0}}, cw_b >> ($KE - cw_nb)}; end
            PH_BIN: begin
                rq = 1'b1;
                rkind = b_kind;
                rctx = b_ctx;
                rbin = b_val[0];
                rnb = {1'b0, bb_nb};
                rbins = {3'd0, b_val >> (b_n - bb_nb)};
            end
            PH_FIN: begin rq = 1'b1; rkind = 2'd3; end
            default: rq = 1'b0;
        endcase
    end
    wire e_ready;
    wire fire = rq & e_ready;
    wire [6:0] cst = (rctx <= 8'd$LASTCTX) ? cm[rctx] : 7'd0;
    wire [5:0] ps = cst[5:0];
    wire mps = cst[6];
    wire [6:0] n_state = (rbin == mps) ? {mps, tmps(ps)} : {((ps == 6'd0) ? ~mps : mps), tlps(ps)};

    res_enc_cabac_enc u_eng (
        .clock(clock), .reset(reset),
        .rq_valid(rq), .rq_ready(e_ready), .rq_kind(rkind), .rq_bin(rbin), .rq_state(cst),
        .rq_nb(rnb), .rq_bins(rbins),
        .out_valid(out_valid), .out_ready(out_ready), .out_byte(out_byte), .out_last(out_last));

$CTXINIT
    // one write port: context initialization, restore, or the decision's update
    wire cm_we = (ph == PH_CINIT) | rv | (fire & (rkind == 2'd0));
    wire [7:0] cm_wa = (ph == PH_CINIT) ? idx : rv ? rv_a : rctx;
    wire [6:0] cm_wd = (ph == PH_CINIT) ? init_state : rv ? sv_rd : n_state;

    // a TU ends (its bank is freed)
    wire tu_free = ((ph == PH_TUW) & bfull[rb] & tu_bad) | (ph == PH_END);
    // the coefficient finishes: no remaining level, or its remaining level's last bin
    wire cfin = ((ph == PH_COEF) & ~nr) | (fire & ((ph == PH_COEF) | (ph == PH_REM)) & cw_last);
    // the next coefficient's codeword goes into the registers
    wire cw_load = ((ph == PH_SIGN) & fire & (sg_left <= 5'd$KE)) | (cfin & (j + 5'd1 != nsig));

    wire unused_ok = &{1'b1, prod[15:13], pre0[15:7], lyw[9:5], lyw[1:0], lxp[1:0], lnn[5], sbw[3], $UNUSED};

    always @(posedge clock) begin
        if (reset) begin
            rv <= 1'b0;
            ph <= PH_IDLE;
            err_r <= 1'b0;
            bfull <= 2'd0;
            wb <= 1'b0;
            rb <= 1'b0;
            lcnt <= 10'd0;
            fr <= 3'd0;
        end else begin
            // loader
            if (lv_fire) begin
                bk_nzr[wb] <= nzr_base | (lnz ? (64'd1 << {lys, lxs}) : 64'd0);
                bk_ls[wb] <= ls_new;
                bk_any[wb] <= any_base | lnz;
                if (lfirst) begin
                    l_log2 <= lv_log2;
                    bk_log2[wb] <= lv_log2;
                end
                if (lend) begin
                    lcnt <= 10'd0;
                    bfull[wb] <= 1'b1;
                    wb <= ~wb;
                end else lcnt <= lcnt + 10'd1;
            end
            if (tu_free) begin
                bfull[rb] <= 1'b0;
                rb <= ~rb;
            end
            if (cm_we) cm[cm_wa] <= cm_wd;
            rv <= ph == PH_REST;
            rv_a <= idx;
            if (cw_load) begin
                nr <= p_need;
                cab <= nxt_abs;
                rcnt <= p_ones;
                rz <= 1'b1;
                rk <= p_slen;
                rsuf <= p_suf;
                rn <= {1'b0, p_ones} + 6'd1 + {2'd0, p_slen};
            end
            if (ph == PH_FETCH) begin
                fr <= fr[2] ? 3'd0 : fr + 3'd1;
                if (fr != 3'd0) sbr[{frw, 6'd0} +: 64] <= lm_rd;
            end
            case (ph)
                PH_IDLE: if (cmd_fire) begin
                    t_log2 <= cmd_log2;
                    t_ch <= cmd_chroma;
                    t_scan <= cmd_scan;
                    t_sdh <= cmd_sdh;
                    b_kind <= cmd_kind;
                    b_ctx <= cmd_ctx;
                    b_val <= cmd_val;
                    b_n <= cmd_n;
                    qp <= cmd_qp;
                    idx <= 8'd0;
                    case (cmd_op)
                        2'd0: ph <= PH_CINIT;
                        2'd1: ph <= PH_TUW;
                        2'd2: begin
                            if ((cmd_kind == 2'd3) | ((cmd_kind == 2'd0) & (cmd_ctx > 8'd$LASTCTX))
                                | ((cmd_kind == 2'd1) & ((cmd_n == 3'd0) | (cmd_n > 3'd5)))) err_r <= 1'b1;
                            else ph <= PH_BIN;
                        end
                        default: begin
                            case (cmd_kind)
                                2'd0: ph <= PH_FIN;
                                2'd1: ph <= PH_REST;
                                2'd2: ph <= PH_SAVE;
                                default: err_r <= 1'b1;
                            endcase
                        end
                    endcase
                end
                PH_CINIT, PH_SAVE: begin
                    idx <= idx + 8'd1;
                    if (idx == 8'd$LASTCTX) ph <= PH_IDLE;
                end
                PH_REST: begin
                    idx <= idx + 8'd1;
                    if (idx == 8'd$LASTCTX) ph <= PH_RESTW;
                end
                PH_RESTW: ph <= PH_IDLE;
                PH_BIN: if (fire) begin
                    if ((b_kind == 2'd1) && (b_n > 3'd$KE)) b_n <= b_n - 3'd$KE;
                    else ph <= PH_IDLE;
                end
                PH_FIN: if (fire) ph <= PH_IDLE;
                PH_TUW: if (bfull[rb]) begin
                    if (tu_bad) begin
                        err_r <= 1'b1;
                        ph <= PH_IDLE;
                    end else begin
                        last_sb <= c_last_sb;
                        sb <= c_last_sb;
                        fetched <= 1'b0;
                        ffirst <= 1'b1;
                        csbf <= 64'd0;
                        c1 <= 2'd1;
                        pcnt <= 4'd0;
                        ph <= PH_FETCH;
                    end
                end
                PH_FETCH: if (fr[2]) begin
                    fetched <= 1'b1;
                    ffirst <= 1'b0;
                    ph <= ffirst ? PH_LAST : PH_CSBF;
                end
                PH_LAST: begin
                    last_k <= lk;
                    lx <= lxn;
                    ly <= lyn;
                    px <= grp(lxn);
                    py <= grp(lyn);
                    ph <= PH_LXP;
                end
                PH_LXP, PH_LYP: if (fire) begin
                    if (rbin && (pcnt + 4'd1 != cmax)) pcnt <= pcnt + 4'd1;
                    else begin
                        pcnt <= 4'd0;
                        if (ph == PH_LXP) ph <= PH_LYP;
                        else if (px > 4'd3) begin
                            ph <= PH_LXS;
                            scnt <= px[3:1] - 3'd1;
                        end else if (py > 4'd3) begin
                            ph <= PH_LYS;
                            scnt <= py[3:1] - 3'd1;
                        end else ph <= PH_CSBF;
                    end
                end
                PH_LXS: if (fire) begin
                    if (py > 4'd3) begin
                        ph <= PH_LYS;
                        scnt <= py[3:1] - 3'd1;
                    end else ph <= PH_CSBF;
                end
                PH_LYS: if (fire) ph <= PH_CSBF;
                PH_CSBF: begin
                    if (needf) ph <= PH_FETCH;
                    else begin
                        prevc <= {below, right};
                        if (csbf_coded) begin
                            if (fire) begin
                                csbf[sb_bit] <= nzbit;
                                if (nzbit) begin
                                    infer_dc <= 1'b1;
                                    k <= 4'd15;
                                    ph <= PH_SIG;
                                end else begin
                                    sb <= sb - 6'd1;
                                    fetched <= 1'b0;
                                end
                            end
                        end else begin
                            csbf[sb_bit] <= 1'b1;
                            infer_dc <= 1'b0;
                            if (sb == last_sb) begin
                                k <= last_k - 4'd1;
                                if (last_k == 4'd0) begin
                                    // no flags to code: straight to greater1
                                    cset <= ((sb == 6'd0) | t_ch) ? {1'b0, c1 == 2'd0} : {1'b1, c1 == 2'd0};
                                    c1 <= 2'd1;
                                    j <= 5'd0;
                                    itm <= sigs;
                                    hasg2 <= 1'b0;
                                    g2v <= 1'b0;
                                    ph <= PH_GT1;
                                end else ph <= PH_SIG;
                            end else begin
                                k <= 4'd15;
                                ph <= PH_SIG;
                            end
                        end
                    end
                end
                PH_SIG: if (fire || skip) begin
                    if (fire && rbin) infer_dc <= 1'b0;
                    k <= k - 4'd1;
                    if (k == 4'd0) begin
                        if (nsig == 5'd0) begin
                            if (sb == 6'd0) ph <= PH_END;
                            else begin
                                sb <= sb - 6'd1;
                                fetched <= 1'b0;
                                ph <= PH_CSBF;
                            end
                        end else begin
                            cset <= ((sb == 6'd0) | t_ch) ? {1'b0, c1 == 2'd0} : {1'b1, c1 == 2'd0};
                            c1 <= 2'd1;
                            j <= 5'd0;
                            itm <= sigs;
                            hasg2 <= 1'b0;
                            g2v <= 1'b0;
                            ph <= PH_GT1;
                        end
                    end
                end
                PH_GT1: if (fire) begin
                    if (rbin) c1 <= 2'd0;
                    else if (c1 != 2'd0 && c1 != 2'd3) c1 <= c1 + 2'd1;
                    if (rbin && !hasg2) begin
                        hasg2 <= 1'b1;
                        g2v <= (cabs > 16'd2);
                    end
                    itm[cpos] <= 1'b0;
                    j <= j + 5'd1;
                    if (j + 5'd1 == ngt1) begin
                        if (rbin | hasg2) ph <= PH_GT2;
                        else begin
                            j <= 5'd0;
                            itm <= sigs;
                            ph <= PH_SIGN;
                        end
                    end
                end
                PH_GT2: if (fire) begin
                    j <= 5'd0;
                    itm <= sigs;
                    ph <= PH_SIGN;
                end
                PH_SIGN: if (fire) begin
                    itm <= sg_next;
                    j <= j + {1'b0, sg_nb};
                    if (sg_left <= 5'd$KE) begin
                        j <= 5'd0;
                        itm <= sigs;
                        rice <= 3'd0;
                        fc2 <= 1'b1;
                        ph <= PH_COEF;
                    end
                end
                PH_COEF, PH_REM: begin
                    if (cfin) begin
                        rice <= nxt_rice;
                        fc2 <= nxt_fc2;
                        itm[cpos] <= 1'b0;
                        j <= j + 5'd1;
                        if (j + 5'd1 == nsig) begin
                            if (sb == 6'd0) ph <= PH_END;
                            else begin
                                sb <= sb - 6'd1;
                                fetched <= 1'b0;
                                ph <= PH_CSBF;
                            end
                        end else ph <= PH_COEF;
                    end else if (fire) begin
                        rcnt <= cw_c2;
                        rz <= cw_z2;
                        rk <= cw_k2;
                        rn <= rn - 6'd$KE;
                        ph <= PH_REM;
                    end
                end
                PH_END: ph <= PH_IDLE;
                default: ph <= PH_IDLE;
            endcase
        end
    end
"#;
