//! `res_dec`: the decoder core's CABAC parser for residual_coding() (H.265 7.3.8.11):
//! the arithmetic decoding engine of [`crate::cabac_dec`], the whole context memory
//! (all 137 intra context variables, initialized in hardware from the slice QP) and
//! the residual syntax state machine with every context selection of 9.3.4.2.3-9.3.4.2.7.
//! `golden::decoder::slice::parse_residual` in hardware; the CU-level parser asks it
//! for single bins on any context (op 2).
//!
//! Ports (synchronous to `clock`; `reset` synchronous, active high: empties the bit
//! buffer, clears the error flag, starts a new substream):
//! - `bs_valid`, `bs_ready`, `bs_byte` (8), `bs_last` (1): the substream's bytes
//!   (emulation prevention removed); past `bs_last` the engine reads zero bits.
//! - `cmd_valid`, `cmd_ready`, `cmd_op` (2), `cmd_qp` (6), `cmd_log2` (3),
//!   `cmd_chroma` (1), `cmd_scan` (2), `cmd_sdh` (1), `cmd_kind` (2), `cmd_ctx` (8):
//!   - op 0: initialize every context at slice QP `cmd_qp` (9.3.2.2, one context per
//!     cycle) then the engine (range 510, 9 bits); no output;
//!   - op 1: residual_coding of one TU of size 2^`cmd_log2` (2..=5), luma or chroma,
//!     scanIdx `cmd_scan`, sign data hiding allowed `cmd_sdh` (the PPS flag and not
//!     cu_transquant_bypass); transform_skip_flag is outside the subset (tcgen's PPS
//!     disables it);
//!   - op 2: one bin of kind `cmd_kind` (0 decision on context `cmd_ctx` of
//!     `golden::cabac::Contexts::flat` order, 1 bypass, 2 terminate);
//!   - op 3: a new substream in the same byte stream (WPP, 9.3.1): by `cmd_kind`,
//!     0: drop the rest of the current byte (the alignment bits after
//!     end_of_subset_one_bit's stop bit) and initialize the engine, contexts kept;
//!     1: the same, the contexts initialized at `cmd_qp` first; 2: the same, the
//!     contexts restored from the WPP storage first (9.3.2.4, one per cycle);
//!     3: store the contexts into the WPP storage (9.3.2.3, one per cycle), engine
//!     untouched. No output beat. The storage is a `tcgen_ram` macro (137 x 7 bits,
//!     [`MEMORIES`]): as flip-flops it measured +764 um2 (ASAP7), 64% of the parser.
//! - `out_valid`, `out_ready`, `out_kind` (2), `out_level` (signed 16), `out_pos` (10):
//!   kind 0 a non-zero coefficient (level, raster position y*N+x), in decoding order
//!   (descending scan position); kind 1 the end of a TU; kind 2 the bin of an op 2
//!   (in `out_level`); kind 3 an error: the TU (or bin) was cut short.
//! - `err` (1): sticky, set with the first kind-3 beat. Errors: a
//!   coeff_abs_level_remaining prefix of more than 32 ones or a suffix longer than 24
//!   bits, a level outside -32768..32767, an engine initialized with offset 510 or 511
//!   (9.3.2.5; no beat, op 0 and 3 have none), a TU size outside 2..=5 or a context
//!   index past the last (out of subset).
//!   After an error every op 1 or 2 answers one kind-3 beat until `reset`: the parser
//!   never hangs on a corrupt stream (it only waits for bytes or for `out_ready`).
//!
//! Micro-architecture: one engine request per cycle at most, its bins used in the same
//! cycle by the state machine (context update written back to the context memory,
//! next context selected from registers): decisions at one bin per cycle while 9 bits
//! are buffered; bypass bins of signs and of coeff_abs_level_remaining up to
//! KB = [`golden::config::RES_DEC_BYPASS_BINS`] (4) per cycle, a chain of KB
//! restoring-division steps of the offset by the range on the next KB buffered bits:
//! the signs of a sub-block KB per cycle, and a coefficient's whole codeword (prefix
//! ones, the 0 that ends them, the suffix whose length the prefix gives) KB bins per
//! cycle, the chain's stages telling prefix from suffix and stopping where the
//! codeword ends (one codeword per cycle at most). A coefficient with a remaining
//! level goes out in the cycle of its last bin. Cycles without a bin: one per
//! sub-block without a coded flag, one per coefficient without a remaining level (its
//! output beat), one for the last position, one per TU end. On tensor blocks
//! (sim/tests/sim/res_dec.rs) this runs 1.77-1.80 bins per cycle (1.13-1.18 with two
//! bypass bins per cycle for signs and suffixes and one per prefix bin).
//! Output through a 2-entry FIFO; `cmd_ready` depends on registers only.
//!
//! A rust-hdl Verilog wrapper (a state machine with tables generated from golden/);
//! Verilator is the proof.

use rust_hdl_core::prelude::*;

/// The parser's memory macro: the WPP context storage (words, bits).
pub const MEMORIES: [(&str, u64, u32); 1] = [("u_wpp (WPP context storage)", golden::cabac::Contexts::COUNT as u64, 7)];

#[derive(LogicBlock, Default)]
pub struct ResDec {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub bs_valid: Signal<In, Bit>,
    pub bs_ready: Signal<Out, Bit>,
    pub bs_byte: Signal<In, Bits<8>>,
    pub bs_last: Signal<In, Bit>,
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
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_kind: Signal<Out, Bits<2>>,
    pub out_level: Signal<Out, Signed<16>>,
    pub out_pos: Signal<Out, Bits<10>>,
    pub err: Signal<Out, Bit>,
}

impl Logic for ResDec {
    /// No rust-hdl simulation model: Verilator runs the generated Verilog.
    fn update(&mut self) {}

    fn connect(&mut self) {
        self.bs_ready.connect();
        self.cmd_ready.connect();
        self.out_valid.connect();
        self.out_kind.connect();
        self.out_level.connect();
        self.out_pos.connect();
        self.err.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Wrapper(Wrapper { code: body(), cores: crate::common::ram_module() })
    }
}

/// Tables of the state machine, generated from golden/: state transitions, the
/// context initValues, sub-block and 4x4 scans (forward and inverse).
pub(crate) fn tables() -> String {
    use golden::cabac::Contexts;
    use golden::residual::scan_order;
    let mut t = crate::common::cabac_tables();
    let case_fn = |t: &mut String, head: &str, name: &str, width: usize, sel: usize, rows: &[(usize, usize)]| {
        t.push_str(&format!("    function automatic [{}:0] {head};\n        case (sel)\n", width - 1));
        for &(k, v) in rows {
            t.push_str(&format!("            {sel}'d{k}: {name} = {width}'d{v};\n"));
        }
        t.push_str(&format!("            default: {name} = {width}'d0;\n        endcase\n    endfunction\n"));
    };
    let iv = golden::cabac::init_values();
    assert_eq!(iv.len(), Contexts::COUNT);
    let ivr: Vec<_> = iv.iter().enumerate().map(|(i, &v)| (i, v as usize)).collect();
    case_fn(&mut t, "initval(input [7:0] sel)", "initval", 8, 8, &ivr);
    // sub-block scans: sel = {lg (2), scan (2), i (6)} -> {xs, ys}; inverse sel = {lg, scan, xs, ys} -> i
    let (mut fwd, mut inv) = (Vec::new(), Vec::new());
    for lg in 0..4usize {
        for scan in 0..3usize {
            for (i, &(x, y)) in scan_order(1 << lg, scan as u32).iter().enumerate() {
                let (x, y) = (x as usize, y as usize);
                fwd.push(((lg << 8) | (scan << 6) | i, (x << 3) | y));
                inv.push(((lg << 8) | (scan << 6) | (x << 3) | y, i));
            }
        }
    }
    case_fn(&mut t, "sbxy(input [9:0] sel)", "sbxy", 6, 10, &fwd);
    case_fn(&mut t, "sbidx(input [9:0] sel)", "sbidx", 6, 10, &inv);
    // 4x4 scans: sel = {scan (2), k (4)} -> {xp, yp}; inverse {scan, xp, yp} -> k
    let (mut fwd, mut inv) = (Vec::new(), Vec::new());
    for scan in 0..3usize {
        for (k, &(x, y)) in scan_order(4, scan as u32).iter().enumerate() {
            let (x, y) = (x as usize, y as usize);
            fwd.push(((scan << 4) | k, (x << 2) | y));
            inv.push(((scan << 4) | (x << 2) | y, k));
        }
    }
    case_fn(&mut t, "inxy(input [5:0] sel)", "inxy", 4, 6, &fwd);
    case_fn(&mut t, "inidx(input [5:0] sel)", "inidx", 4, 6, &inv);
    let map: Vec<_> = [0, 1, 4, 5, 2, 3, 4, 5, 6, 6, 8, 8, 7, 7, 8, 8].iter().enumerate().map(|(i, &v)| (i, v)).collect();
    case_fn(&mut t, "map4(input [3:0] sel)", "map4", 6, 4, &map);
    let mig: Vec<_> = golden::residual::MIN_IN_GROUP.iter().enumerate().map(|(i, &v)| (i, v as usize)).collect();
    case_fn(&mut t, "mig(input [3:0] sel)", "mig", 5, 4, &mig);
    t
}

/// Bypass bins per cycle ([`golden::config::RES_DEC_BYPASS_BINS`]).
const KB: u32 = golden::config::RES_DEC_BYPASS_BINS;

/// The bypass chain of a cycle: `kb` restoring-division steps of the offset by the
/// range on the next buffered bits (`mb_o{i}` bin i, `mb_v{i}` the offset after i
/// bins); the sign bins taken this cycle (`mb_nsg`); the remaining-level codeword's
/// stages (`rs_*{i}`: done, error, in the suffix, prefix ones, suffix bits left, suffix
/// value) and the bins it takes (`mb_nrem`); the offset after this cycle's bins.
fn bypass_chain(kb: u32) -> String {
    assert!((1..=8).contains(&kb), "bypass bins per cycle {kb}: 1..=8 (9 bits are buffered)");
    let mut s = String::from("    // ---- bypass bins of this cycle: a chain of restoring-division steps ----\n    wire [8:0] mb_v0 = off;\n");
    for i in 0..kb {
        let n = i + 1;
        s.push_str(&format!(
            "    wire [9:0] mb_t{i} = {{mb_v{i}, top[{b}]}};\n    wire mb_o{i} = (mb_t{i} >= {{1'b0, rng}});\n    wire [9:0] mb_d{i} = mb_t{i} - {{1'b0, rng}};\n    wire [8:0] mb_v{n} = mb_o{i} ? mb_d{i}[8:0] : mb_t{i}[8:0];\n",
            b = 8 - i
        ));
    }
    s.push_str(&format!(
        "    wire [4:0] mb_left = nsign - j;\n    wire [4:0] mb_nsg = (mb_left > 5'd{kb}) ? 5'd{kb} : mb_left;\n"
    ));
    s.push_str(
        "    // coeff_abs_level_remaining (9.3.3.11): prefix ones, the 0 that ends them, the\n    // suffix (cRiceParam bits, or prefix - 3 + cRiceParam after more than 3 ones)\n    wire rs_dn0 = 1'b0;\n    wire rs_er0 = 1'b0;\n    wire rs_sf0 = (ph == PH_REMS);\n    wire [5:0] rs_p0 = (ph == PH_COEF) ? 6'd0 : rpre;\n    wire [4:0] rs_k0 = rk;\n    wire [23:0] rs_s0 = (ph == PH_REMS) ? {1'b0, rsuf} : 24'd0;\n",
    );
    for i in 0..kb {
        let n = i + 1;
        s.push_str(&format!(
            "    wire rs_a{i} = ~rs_dn{i} & ~rs_er{i};
    wire [5:0] rs_l{i} = (rs_p{i} <= 6'd3) ? {{3'd0, rice}} : (rs_p{i} - 6'd3 + {{3'd0, rice}});
    wire rs_dn{n} = rs_dn{i} | (rs_a{i} & (rs_sf{i} ? (rs_k{i} == 5'd1) : (~mb_o{i} & (rs_l{i} == 6'd0))));
    wire rs_er{n} = rs_er{i} | (rs_a{i} & ~rs_sf{i} & (mb_o{i} ? (rs_p{i} == 6'd32) : ((rs_p{i} > 6'd3) & (rs_l{i} > 6'd24))));
    wire rs_sf{n} = rs_sf{i} | (rs_a{i} & ~mb_o{i});
    wire [5:0] rs_p{n} = (rs_a{i} & ~rs_sf{i} & mb_o{i}) ? (rs_p{i} + 6'd1) : rs_p{i};
    wire [4:0] rs_k{n} = ~rs_a{i} ? rs_k{i} : rs_sf{i} ? (rs_k{i} - 5'd1) : ~mb_o{i} ? rs_l{i}[4:0] : rs_k{i};
    wire [23:0] rs_s{n} = (rs_a{i} & rs_sf{i}) ? {{rs_s{i}[22:0], mb_o{i}}} : rs_s{i};
"
        ));
    }
    let acts: Vec<String> = (0..kb).map(|i| format!("{{3'd0, rs_a{i}}}")).collect();
    s.push_str(&format!("    wire [3:0] mb_nrem = {};\n", acts.join(" + ")));
    s.push_str("    wire mb_sign = (ph == PH_SIGN);\n    wire mb_rem = (ph == PH_COEF) | (ph == PH_REMP) | (ph == PH_REMS);\n");
    s.push_str("    wire [3:0] mb_n = mb_sign ? mb_nsg[3:0] : mb_nrem;\n    reg [8:0] mb_off;\n    always @(*) begin\n        case (mb_n)\n");
    for i in 0..=kb {
        s.push_str(&format!("            4'd{i}: mb_off = mb_v{i};\n"));
    }
    s.push_str("            default: mb_off = off;\n        endcase\n    end\n");
    let unused: Vec<String> = (0..kb).flat_map(|i| [format!("mb_t{i}[9]"), format!("mb_d{i}[9]")]).collect();
    s.push_str(&format!("    wire unused_mb = &{{1'b1, mb_nsg[4], {}}};\n", unused.join(", ")));
    s
}

fn body() -> String {
    use golden::cabac::Contexts as C;
    let vars = [
        ("TABLES", tables()),
        ("SIGFNS", SIG_FNS.to_string()),
        ("CTXINIT", CTX_INIT.to_string()),
        ("SBGEOM", SB_GEOM.to_string()),
        ("LPOSCTX", LAST_POS_CTX.to_string()),
        ("ENGINE", crate::common::cabac_engine("cst", "rkind")),
        ("FIFODECL", crate::common::out_fifo_decl("28", "out_ready")),
        ("FIFOUPD", crate::common::out_fifo_update("push", "push_data")),
        ("NCTX", C::COUNT.to_string()),
        ("LASTCTX", (C::COUNT - 1).to_string()),
        ("MBYPASS", bypass_chain(KB)),
        ("SGNSET", (0..KB).map(|i| format!("                    if (5'd{i} < mb_nsg) sgn[j[3:0] + 4'd{i}] <= mb_o{i};\n")).collect()),
        ("KB", KB.to_string()),
        ("C_LASTX", C::LAST_X.to_string()),
        ("C_LASTY", C::LAST_Y.to_string()),
        ("C_CSBF", C::CSBF.to_string()),
        ("C_SIG", C::SIG.to_string()),
        ("C_GT1", C::GT1.to_string()),
        ("C_GT2", C::GT2.to_string()),
    ];
    crate::common::subst(TEMPLATE, &vars)
}

const TEMPLATE: &str = r#"
    // res_dec (hw/src/res_dec.rs)
$TABLES
$SIGFNS
    localparam [4:0] PH_IDLE = 5'd0, PH_CINIT = 5'd1, PH_EINIT = 5'd2, PH_LXP = 5'd3, PH_LYP = 5'd4,
        PH_LXS = 5'd5, PH_LYS = 5'd6, PH_LAST = 5'd7, PH_CSBF = 5'd8, PH_SIG = 5'd9, PH_GT1 = 5'd10,
        PH_GT2 = 5'd11, PH_SIGN = 5'd12, PH_COEF = 5'd13, PH_REMP = 5'd14, PH_REMS = 5'd15,
        PH_END = 5'd17, PH_BIN = 5'd18, PH_ERR = 5'd19, PH_ERRB = 5'd20, PH_ALIGN = 5'd21,
        PH_SAVE = 5'd22, PH_REST = 5'd23, PH_RESTW = 5'd24;

    // ---- engine: range, offset, bit buffer (as cabac_dec) ----
    reg [8:0] rng;
    reg [8:0] off;
    reg [23:0] bbuf;
    reg [4:0] nb;
    reg eos;
    wire [8:0] top = bbuf[23:15];

    // ---- context memory and the WPP storage ----
    reg [6:0] cm [0:$LASTCTX];
    // the WPP storage: a 7-bit x 137 memory macro (tcgen_ram), written while saving,
    // read one cycle ahead of the context write while restoring
    wire [6:0] sv_rd;
    reg rv;
    reg [7:0] rv_a;
    tcgen_ram #(.W(7), .A(8)) u_wpp (.clock(clock), .re(ph == PH_REST), .ra(idx), .rd(sv_rd),
        .we(ph == PH_SAVE), .wa(idx), .wd(cm[idx]), .wm(7'h7f));
    reg al_ctx;
    reg al_rest;

    // ---- parser state ----
    reg [4:0] ph;
    reg err_r;
    reg [2:0] t_log2;
    reg t_ch;
    reg [1:0] t_scan;
    reg t_sdh;
    reg [1:0] b_kind;
    reg [7:0] b_ctx;
    reg [7:0] idx;
    reg [5:0] qp;
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
    reg [15:0] sigm;
    reg [4:0] nsig;
    reg [1:0] c1;
    reg [1:0] cset;
    reg [4:0] j;
    reg [15:0] itm;
    reg [7:0] g1m;
    reg [2:0] fg2;
    reg hasg2;
    reg g2;
    reg [15:0] sgn;
    reg [2:0] rice;
    reg fc2;
    reg par;
    reg [5:0] rpre;
    reg [22:0] rsuf;
    reg [4:0] rk;

$FIFODECL
    assign cmd_ready = ((ph == PH_IDLE) | (ph == PH_ERR)) & o_room;
    wire cmd_fire = cmd_valid & cmd_ready;
    assign err = err_r;

    // ---- derived values of the current TU / sub-block ----
$SBGEOM
    wire csbf_coded = (sb < last_sb) & (sb != 6'd0);
    wire [3:0] ixy = inxy({t_scan, k});
    wire [5:0] sctx = sigctx(t_log2, t_ch, t_scan, ixy[3:2], ixy[1:0], sb == 6'd0, prevc);
$LPOSCTX
    // the last position: scanIdx 2 codes (y, x); its sub-block and place in it
    wire [4:0] lpx = (t_scan == 2'd2) ? ly : lx;
    wire [4:0] lpy = (t_scan == 2'd2) ? lx : ly;
    wire [5:0] last_sbi = sbidx({lg, t_scan, lpx[4:2], lpy[4:2]});
    wire [3:0] last_ki = inidx({t_scan, lpx[1:0], lpy[1:0]});
    wire [4:0] ngt1 = (nsig > 5'd8) ? 5'd8 : nsig;
    wire [3:0] smax = msb16(sigm);
    wire [3:0] smin = lsb16(sigm);
    wire hidden = t_sdh & ((smax - smin) > 4'd3) & (smax > smin);
    wire [4:0] nsign = hidden ? nsig - 5'd1 : nsig;

    // ---- the engine request of this cycle ----
    reg rq;
    reg [1:0] rkind;
    reg [7:0] rctx;
    always @(*) begin
        rq = 1'b0;
        rkind = 2'd1;
        rctx = 8'd0;
        case (ph)
            PH_LXP: begin rq = 1'b1; rkind = 2'd0; rctx = 8'd$C_LASTX + {3'd0, lsel}; end
            PH_LYP: begin rq = 1'b1; rkind = 2'd0; rctx = 8'd$C_LASTY + {3'd0, lsel}; end
            PH_LXS, PH_LYS, PH_SIGN: rq = 1'b1;
            // a remaining-level bin may finish the coefficient: room for its beat first
            PH_REMP, PH_REMS: rq = o_room;
            PH_COEF: rq = need_rem & o_room;
            PH_CSBF: begin rq = csbf_coded; rkind = 2'd0; rctx = 8'd$C_CSBF + {6'd0, t_ch, right | below}; end
            PH_SIG: begin rq = ~((k == 4'd0) & infer_dc); rkind = 2'd0; rctx = 8'd$C_SIG + {2'd0, sctx}; end
            PH_GT1: begin rq = 1'b1; rkind = 2'd0; rctx = 8'd$C_GT1 + {3'd0, t_ch, cset, c1}; end
            PH_GT2: begin rq = 1'b1; rkind = 2'd0; rctx = 8'd$C_GT2 + {5'd0, t_ch, cset}; end
            PH_BIN: begin rq = o_room; rkind = b_kind; rctx = b_ctx; end
            default: rq = 1'b0;
        endcase
    end
    wire fire = rq & (nb >= 5'd9);
    wire [6:0] cst = (rctx <= 8'd$LASTCTX) ? cm[rctx] : 7'd0;

$ENGINE    wire bin = n_bin;
$MBYPASS
    // engine init consumes 9 bits
    wire einit = (ph == PH_EINIT) & (nb >= 5'd9);
    // byte alignment: the bits left of the current byte
    wire align = ph == PH_ALIGN;
    wire [4:0] used = einit ? 5'd9 : align ? {2'd0, nb[2:0]} : fire ? ((mb_sign | mb_rem) ? {1'b0, mb_n} : {1'b0, n_used}) : 5'd0;
    wire [4:0] rem = nb - used;
    wire [23:0] shifted = bbuf << used;
    assign bs_ready = ~eos & (nb <= 5'd16);
    wire bs_fire = bs_valid & bs_ready;
    wire refill = (nb <= 5'd16) & (eos | bs_valid);
    wire [7:0] fill_byte = eos ? 8'd0 : bs_byte;
    wire [23:0] placed = {16'd0, fill_byte} << (5'd16 - rem);

$CTXINIT
    // ---- the coefficient being finished (j-th significant, scan position cpos) ----
    wire [3:0] cpos = msb16(itm);
    wire [3:0] cxy = inxy({t_scan, cpos});
    wire [4:0] cx = {xs, cxy[3:2]};
    wire [4:0] cy = {ys, cxy[1:0]};
    wire [9:0] craster = ({5'd0, cy} << t_log2) | {5'd0, cx};
    wire jlow = (j < 5'd8);
    wire [1:0] absinit = jlow ? (2'd1 + {1'b0, g1m[j[2:0]]} + {1'b0, hasg2 & g2 & (fg2 == j[2:0])}) : 2'd1;
    wire [1:0] base = jlow ? (2'd2 + {1'b0, fc2}) : 2'd1;
    wire need_rem = (absinit >= base);
    // coeff_abs_level_remaining value (9.3.3.11) and the level
    // this cycle's bins finish a remaining level: its last suffix bin, or the
    // prefix-ending 0 when no suffix follows, is among them
    wire [5:0] rpre_e = rs_p$KB;
    wire [23:0] rsuf_e = rs_s$KB;
    wire fin_rem = fire & mb_rem & rs_dn$KB & ~rs_er$KB;
    wire [5:0] rp3 = rpre_e - 6'd3;
    wire [26:0] big = ((27'd1 << rp3[4:0]) + 27'd2) << rice;
    wire [26:0] remv = (rpre_e <= 6'd3) ? (({21'd0, rpre_e} << rice) + {3'd0, rsuf_e}) : (big + {3'd0, rsuf_e});
    wire [26:0] av = fin_rem ? (remv + {25'd0, base}) : {25'd0, absinit};
    wire av_big = (av > 27'd32768);
    wire neg = (j < nsign) ? sgn[j[3:0]] : (par ^ av[0]);
    wire lvl_bad = av_big | (~neg & (av[15:0] == 16'd32768));
    wire [15:0] lvl = neg ? (16'd0 - av[15:0]) : av[15:0];
    wire [26:0] rthr = 27'd3 << rice;
    wire [2:0] rice_n = ((av > rthr) && (rice < 3'd4)) ? rice + 3'd1 : rice;
    // a coefficient finishes: without a remaining level (a cycle without a bin), or on
    // its remaining level's last bin
    wire emitting = ((ph == PH_COEF) & ~need_rem & o_room) | fin_rem;

    // ---- outputs ----
    reg push;
    reg [27:0] push_data;
    always @(*) begin
        push = 1'b0;
        push_data = 28'd0;
        if (ph == PH_BIN && fire) begin
            push = 1'b1;
            push_data = {2'd2, 15'd0, bin, 10'd0};
        end else if (emitting && !lvl_bad) begin
            push = 1'b1;
            push_data = {2'd0, lvl, craster};
        end else if (ph == PH_END && o_room) begin
            push = 1'b1;
            push_data = {2'd1, 26'd0};
        end else if (ph == PH_ERRB && o_room) begin
            push = 1'b1;
            push_data = {2'd3, 26'd0};
        end
    end
$FIFOUPD    assign out_valid = (o_count != 2'd0);
    assign out_kind = o_d0[27:26];
    assign out_level = o_d0[25:10];
    assign out_pos = o_d0[9:0];

    // ---- sig phase: the flag just decided (or inferred) ----
    wire sig_now = ((k == 4'd0) & infer_dc) ? 1'b1 : bin;
    wire [15:0] sigm_n = sigm | ({15'd0, sig_now} << k);
    wire [4:0] nsig_n = nsig + {4'd0, sig_now};
    // last prefix value when its bins end
    wire [3:0] pv = pcnt + {3'd0, bin};

    // one write port: context initialization or the decision's update
    wire cm_we = (ph == PH_CINIT) | rv | (fire & (rkind == 2'd0));
    wire [7:0] cm_wa = (ph == PH_CINIT) ? idx : rv ? rv_a : rctx;
    wire [6:0] cm_wd = (ph == PH_CINIT) ? init_state : rv ? sv_rd : n_state;

    wire unused_ok = &{1'b1, prod[15:13], pre0[15:7], rp3[5], remv[26:17], av[26:17], rthr[26:0] == 27'd0, sbw[3]};

    always @(posedge clock) begin
        if (reset) begin
            rv <= 1'b0;
            nb <= 5'd0;
            eos <= 1'b0;
            bbuf <= 24'd0;
            rng <= 9'd510;
            off <= 9'd0;
            ph <= PH_IDLE;
            err_r <= 1'b0;
        end else begin
            bbuf <= refill ? (shifted | placed) : shifted;
            nb <= refill ? rem + 5'd8 : rem;
            if (bs_fire & bs_last) eos <= 1'b1;
            if (fire) begin
                rng <= n_rng;
                off <= (mb_sign | mb_rem) ? mb_off : n_off;
            end
            if (cm_we) cm[cm_wa] <= cm_wd;
            rv <= ph == PH_REST;
            rv_a <= idx;
            if (einit) begin
                rng <= 9'd510;
                off <= top;
            end
            case (ph)
                PH_IDLE: if (cmd_fire) begin
                    t_log2 <= cmd_log2;
                    t_ch <= cmd_chroma;
                    t_scan <= (cmd_scan == 2'd3) ? 2'd0 : cmd_scan;
                    t_sdh <= cmd_sdh;
                    b_kind <= cmd_kind;
                    b_ctx <= cmd_ctx;
                    qp <= cmd_qp;
                    idx <= 8'd0;
                    pcnt <= 4'd0;
                    csbf <= 64'd0;
                    c1 <= 2'd1;
                    case (cmd_op)
                        2'd0: ph <= PH_CINIT;
                        2'd1: ph <= ((cmd_log2 < 3'd2) | (cmd_log2 > 3'd5) | (cmd_scan == 2'd3)) ? PH_ERRB : PH_LXP;
                        2'd2: ph <= ((cmd_kind == 2'd3) | ((cmd_kind == 2'd0) & (cmd_ctx > 8'd$LASTCTX))) ? PH_ERRB : PH_BIN;
                        default: begin
                            al_ctx <= cmd_kind == 2'd1;
                            al_rest <= cmd_kind == 2'd2;
                            ph <= (cmd_kind == 2'd3) ? PH_SAVE : PH_ALIGN;
                        end
                    endcase
                end
                PH_ALIGN: ph <= al_ctx ? PH_CINIT : al_rest ? PH_REST : PH_EINIT;
                PH_SAVE: begin
                    idx <= idx + 8'd1;
                    if (idx == 8'd$LASTCTX) ph <= PH_IDLE;
                end
                PH_REST: begin
                    idx <= idx + 8'd1;
                    if (idx == 8'd$LASTCTX) ph <= PH_RESTW;
                end
                PH_RESTW: ph <= PH_EINIT;
                PH_ERR: if (cmd_fire && (cmd_op == 2'd1 || cmd_op == 2'd2)) ph <= PH_ERRB;
                PH_ERRB: if (o_room) begin
                    ph <= PH_ERR;
                    err_r <= 1'b1;
                end
                PH_CINIT: begin
                    idx <= idx + 8'd1;
                    if (idx == 8'd$LASTCTX) ph <= PH_EINIT;
                end
                PH_EINIT: if (einit) begin
                    // 9.3.2.5: an offset of 510 or 511 is not a stream (the 9-bit
                    // engine relies on offset < range from here on)
                    if (top >= 9'd510) begin
                        err_r <= 1'b1;
                        ph <= PH_ERR;
                    end else ph <= PH_IDLE;
                end
                PH_BIN: if (fire) ph <= PH_IDLE;
                PH_LXP, PH_LYP: if (fire) begin
                    if (bin && (pcnt + 4'd1 != cmax)) pcnt <= pcnt + 4'd1;
                    else begin
                        pcnt <= 4'd0;
                        if (ph == PH_LXP) begin
                            px <= pv;
                            ph <= PH_LYP;
                        end else begin
                            py <= pv;
                            lx <= (px > 4'd3) ? mig(px) : {1'b0, px};
                            ly <= (pv > 4'd3) ? mig(pv) : {1'b0, pv};
                            if (px > 4'd3) begin
                                ph <= PH_LXS;
                                scnt <= px[3:1] - 3'd1;
                            end else if (pv > 4'd3) begin
                                ph <= PH_LYS;
                                scnt <= pv[3:1] - 3'd1;
                            end else ph <= PH_LAST;
                        end
                    end
                end
                PH_LXS: if (fire) begin
                    lx <= lx + ({4'd0, bin} << (scnt - 3'd1));
                    scnt <= scnt - 3'd1;
                    if (scnt == 3'd1) begin
                        if (py > 4'd3) begin
                            ph <= PH_LYS;
                            scnt <= py[3:1] - 3'd1;
                        end else ph <= PH_LAST;
                    end
                end
                PH_LYS: if (fire) begin
                    ly <= ly + ({4'd0, bin} << (scnt - 3'd1));
                    scnt <= scnt - 3'd1;
                    if (scnt == 3'd1) ph <= PH_LAST;
                end
                PH_LAST: begin
                    last_sb <= last_sbi;
                    sb <= last_sbi;
                    last_k <= last_ki;
                    ph <= PH_CSBF;
                end
                PH_CSBF: begin
                    prevc <= {below, right};
                    if (csbf_coded) begin
                        if (fire) begin
                            csbf[sb_bit] <= bin;
                            if (bin) begin
                                infer_dc <= 1'b1;
                                k <= 4'd15;
                                sigm <= 16'd0;
                                nsig <= 5'd0;
                                ph <= PH_SIG;
                            end else sb <= sb - 6'd1;
                        end
                    end else begin
                        csbf[sb_bit] <= 1'b1;
                        infer_dc <= 1'b0;
                        if (sb == last_sb) begin
                            sigm <= 16'd1 << last_k;
                            nsig <= 5'd1;
                            k <= last_k - 4'd1;
                            if (last_k == 4'd0) begin
                                // no flags to decode: straight to greater1
                                cset <= ((sb == 6'd0) | t_ch) ? {1'b0, c1 == 2'd0} : {1'b1, c1 == 2'd0};
                                c1 <= 2'd1;
                                j <= 5'd0;
                                g1m <= 8'd0;
                                hasg2 <= 1'b0;
                                g2 <= 1'b0;
                                ph <= PH_GT1;
                            end else ph <= PH_SIG;
                        end else begin
                            sigm <= 16'd0;
                            nsig <= 5'd0;
                            k <= 4'd15;
                            ph <= PH_SIG;
                        end
                    end
                end
                PH_SIG: if (fire || ((k == 4'd0) && infer_dc)) begin
                    sigm <= sigm_n;
                    nsig <= nsig_n;
                    if (bin && fire) infer_dc <= 1'b0;
                    k <= k - 4'd1;
                    if (k == 4'd0) begin
                        if (nsig_n == 5'd0) begin
                            if (sb == 6'd0) ph <= PH_END;
                            else begin
                                sb <= sb - 6'd1;
                                ph <= PH_CSBF;
                            end
                        end else begin
                            cset <= ((sb == 6'd0) | t_ch) ? {1'b0, c1 == 2'd0} : {1'b1, c1 == 2'd0};
                            c1 <= 2'd1;
                            j <= 5'd0;
                            g1m <= 8'd0;
                            hasg2 <= 1'b0;
                            g2 <= 1'b0;
                            ph <= PH_GT1;
                        end
                    end
                end
                PH_GT1: if (fire) begin
                    g1m[j[2:0]] <= bin;
                    if (bin) c1 <= 2'd0;
                    else if (c1 != 2'd0 && c1 != 2'd3) c1 <= c1 + 2'd1;
                    if (bin && !hasg2) begin
                        hasg2 <= 1'b1;
                        fg2 <= j[2:0];
                    end
                    j <= j + 5'd1;
                    if (j + 5'd1 == ngt1) begin
                        ph <= (bin | hasg2) ? PH_GT2 : PH_SIGN;
                        if (!(bin | hasg2)) j <= 5'd0;
                    end
                end
                PH_GT2: if (fire) begin
                    g2 <= bin;
                    j <= 5'd0;
                    ph <= PH_SIGN;
                end
                PH_SIGN: if (fire) begin
$SGNSET                    j <= j + mb_nsg;
                    if (j + mb_nsg == nsign) begin
                        j <= 5'd0;
                        itm <= sigm;
                        rice <= 3'd0;
                        fc2 <= 1'b1;
                        par <= 1'b0;
                        ph <= PH_COEF;
                    end
                end
                PH_COEF, PH_REMP, PH_REMS: begin
                    if (fire && rs_er$KB) ph <= PH_ERRB;
                    else if (fire && !fin_rem) begin
                        // the codeword goes on next cycle
                        rpre <= rs_p$KB;
                        rk <= rs_k$KB;
                        rsuf <= rs_s$KB[22:0];
                        ph <= rs_sf$KB ? PH_REMS : PH_REMP;
                    end else if (emitting && lvl_bad) ph <= PH_ERRB;
                    else if (emitting) begin
                        if (fin_rem) rice <= rice_n;
                        if (av[15:0] >= 16'd2) fc2 <= 1'b0;
                        par <= par ^ av[0];
                        itm[cpos] <= 1'b0;
                        j <= j + 5'd1;
                        if (j + 5'd1 == nsig) begin
                            if (sb == 6'd0) ph <= PH_END;
                            else begin
                                sb <= sb - 6'd1;
                                ph <= PH_CSBF;
                            end
                        end else ph <= PH_COEF;
                    end
                end
                PH_END: if (o_room) ph <= PH_IDLE;
                default: ph <= PH_ERRB;
            endcase
        end
    end
"#;

/// Shared with `res_enc`: sigctx (9.3.4.2.5 ctxInc of sig_coeff_flag), msb16, lsb16.
pub(crate) const SIG_FNS: &str = r#"    function automatic [5:0] sigctx(input [2:0] lg, input ch, input [1:0] sc, input [1:0] xp, input [1:0] yp, input first, input [1:0] prev);
        reg [5:0] s;
        reg [2:0] d;
        begin
            d = {1'b0, xp} + {1'b0, yp};
            if (lg == 3'd2) s = map4({yp, xp});
            else if (first && (d == 3'd0)) s = 6'd0;
            else begin
                case (prev)
                    2'd0: s = (d == 3'd0) ? 6'd2 : (d < 3'd3) ? 6'd1 : 6'd0;
                    2'd1: s = (yp == 2'd0) ? 6'd2 : (yp == 2'd1) ? 6'd1 : 6'd0;
                    2'd2: s = (xp == 2'd0) ? 6'd2 : (xp == 2'd1) ? 6'd1 : 6'd0;
                    default: s = 6'd2;
                endcase
                if (!ch) begin
                    if (!first) s = s + 6'd3;
                    if (lg == 3'd3) s = s + ((sc == 2'd0) ? 6'd9 : 6'd15);
                    else s = s + 6'd21;
                end else if (lg == 3'd3) s = s + 6'd9;
                else s = s + 6'd12;
            end
            sigctx = ch ? s + 6'd27 : s;
        end
    endfunction
    function automatic [3:0] msb16(input [15:0] m);
        integer b;
        begin
            msb16 = 4'd0;
            for (b = 0; b < 16; b = b + 1) if (m[b]) msb16 = b[3:0];
        end
    endfunction
    function automatic [3:0] lsb16(input [15:0] m);
        integer b;
        begin
            lsb16 = 4'd0;
            for (b = 15; b >= 0; b = b - 1) if (m[b]) lsb16 = b[3:0];
        end
    endfunction
"#;

/// Shared with `res_enc`: the context initialization (9.3.2.2) of context `idx` at
/// `qp` (`init_state`).
pub(crate) const CTX_INIT: &str = r#"    // ---- context initialization (9.3.2.2) ----
    wire [7:0] iv = initval(idx);
    wire [5:0] qpc = (qp > 6'd51) ? 6'd51 : qp;
    wire signed [8:0] slope = $signed({3'd0, iv[7:4], 2'd0}) + $signed({5'd0, iv[7:4]}) - 9'sd45;
    wire signed [15:0] prod = slope * $signed({1'b0, qpc});
    wire signed [15:0] pre0 = (prod >>> 4) + $signed({9'd0, iv[3:0], 3'd0}) - 16'sd16;
    wire [6:0] pre = (pre0 < 16'sd1) ? 7'd1 : (pre0 > 16'sd126) ? 7'd126 : pre0[6:0];
    wire [6:0] init_state = (pre <= 7'd63) ? {1'b0, 6'd63 - pre[5:0]} : {1'b1, pre[5:0]};
"#;

/// Shared with `res_enc`: the current sub-block's position in the TU (from `sb` in
/// scan order) and its right/below coded_sub_block_flag neighbours (9.3.4.2.4).
pub(crate) const SB_GEOM: &str = r#"    wire [1:0] lg = t_log2[1:0] - 2'd2;
    wire [3:0] sbw = 4'd1 << lg;
    wire [5:0] sxy = sbxy({lg, t_scan, sb});
    wire [2:0] xs = sxy[5:3];
    wire [2:0] ys = sxy[2:0];
    wire [3:0] xs1 = {1'b0, xs} + 4'd1;
    wire [3:0] ys1 = {1'b0, ys} + 4'd1;
    wire right = (xs1 < sbw) ? csbf[{ys, 3'd0} + {3'd0, xs} + 6'd1] : 1'b0;
    wire below = (ys1 < sbw) ? csbf[{ys, 3'd0} + {3'd0, xs} + 6'd8] : 1'b0;
    wire [5:0] sb_bit = {ys, xs};"#;

/// Shared with `res_enc`: the last-position prefix contexts (9.3.4.2.3) and cMax.
pub(crate) const LAST_POS_CTX: &str = r#"    // last position contexts (9.3.4.2.3)
    wire [3:0] loff = t_ch ? 4'd15 : ({2'd0, lg} + {lg, 1'b0} + {3'd0, (t_log2 == 3'd5)});
    wire [1:0] lsh = t_ch ? lg : {1'b0, t_log2 != 3'd2};
    wire [4:0] lsel = {1'b0, loff} + {1'b0, pcnt >> lsh};
    wire [3:0] cmax = {t_log2, 1'b0} - 4'd1;"#;
