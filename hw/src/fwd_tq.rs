//! `fwd_tq`: forward 2-D transform (DST-VII 4x4, DCT-II 4..32) and flat quantizer, the
//! encoder's residual path: `golden::transform::forward` then `golden::quantize::quantize`.
//!
//! Ports (synchronous to `clock`; `reset` synchronous, active high, clears the valids):
//! - `in_valid`, `in_ready`; `in_res` (P x 9, lane l in bits 9l..9l+8): residual
//!   samples -256..255 of one TU in raster order, P per beat (P = `rtl.samples_per_cycle`,
//!   1, 2 or 4, so a beat never spans two rows).
//! - per TU, sampled at its first beat: `in_log2` (3, 2..=log2 max TU), `in_dst` (1, DST
//!   for a 4x4 luma TU), `in_qp` (6, 0..=51), `in_offset` (9, rounding offset in 1/512 of
//!   a step: 171 = HM intra).
//! - `out_valid`, `out_ready`; `out_level` (P x 16 signed): TransCoeffLevel in raster
//!   order (row = vertical frequency); `out_du` (P x 10 signed): the rounding remainder
//!   in 1/256 step (HM's deltaU, for sign data hiding); `out_neg` (P x 1): the
//!   coefficient before quantization is negative (sign data hiding gives a zero level
//!   that becomes +-1 this sign); `out_last`: last beat of a TU.
//!
//! Micro-architecture (all boundaries registered; `in_ready` depends on registers only):
//! 1. input register;
//! 2. row stage: NM x P multipliers (9 x 8 bit) accumulate the horizontal transform of
//!    the current row; at the row's last beat T1 = (sum + rnd) >> (log2 - 1) (17 bit)
//!    goes to the row register;
//! 3. column sweep: over N/P cycles, NM x P multipliers (17 x 8 bit) add M[v][y] * T1[y][u]
//!    into an NM x NM accumulator array (v all rows, u the P columns of the cycle); the
//!    last row writes (acc + rnd) >> (log2 + 6), clipped to 16 bits, to the output buffer;
//! 4. drain: P coefficients per cycle in raster order through P quantizers (16 x 15 bit
//!    multiply, variable shifts) into the output register.
//!
//! 5. a 2-entry output FIFO, so that nothing upstream depends on `out_ready`
//!    combinationally.
//!
//! Throughput: on a stream of one TU size, one N x N TU per N^2/P + N/P - 1 cycles
//! (the last row's sweep waits for the previous TU's final drain beat, and the drain
//! waits for that sweep: the single output buffer), i.e. P samples per cycle for 4x4
//! and 0.89 P, 0.94 P, 0.97 P for 8x8, 16x16, 32x32; after a size change a TU waits
//! while the output buffer still drains a larger one. Latency from the last input beat
//! of an N x N TU to its first output beat: N/P + 3 cycles.
//!
//! This block is a rust-hdl Verilog wrapper (the escape hatch) from port list to
//! body: rust-hdl's kernel language has no register arrays, no wide signed multiplies
//! and no arithmetic shifts on `Signed`; every intermediate has an exact width derived
//! from golden's matrices (`common::max_abs_sum`). Verilator is the proof (sim/).

use crate::common::{log2, max_abs_sum, sbits, subst, tcoef_function};
use rust_hdl_core::prelude::*;

/// Ports; `WR` = 9P, `WL` = 16P, `WD` = 10P, `NP` = P, `NM` = largest TU side.
#[derive(LogicBlock, Default)]
pub struct FwdTq<const NM: usize, const WR: usize, const WL: usize, const WD: usize, const NP: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub in_valid: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    pub in_res: Signal<In, Bits<WR>>,
    pub in_log2: Signal<In, Bits<3>>,
    pub in_dst: Signal<In, Bit>,
    pub in_qp: Signal<In, Bits<6>>,
    pub in_offset: Signal<In, Bits<9>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_level: Signal<Out, Bits<WL>>,
    pub out_du: Signal<Out, Bits<WD>>,
    pub out_neg: Signal<Out, Bits<NP>>,
    pub out_last: Signal<Out, Bit>,
}

impl<const NM: usize, const WR: usize, const WL: usize, const WD: usize, const NP: usize> Logic for FwdTq<NM, WR, WL, WD, NP> {
    /// No rust-hdl simulation model: Verilator runs the generated Verilog.
    fn update(&mut self) {}

    fn connect(&mut self) {
        self.in_ready.connect();
        self.out_valid.connect();
        self.out_level.connect();
        self.out_du.connect();
        self.out_neg.connect();
        self.out_last.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Wrapper(Wrapper { code: body(WR / 9, NM), cores: String::new() })
    }
}

/// Exact widths: (row accumulator, T1, column accumulator).
pub fn widths(nm: usize) -> (usize, usize, usize) {
    let row = max_abs_sum(nm, true);
    let col = max_abs_sum(nm, false);
    // |T1| <= (256 * row + 2^(s1-1)) >> s1 with s1 >= 1
    let wra = sbits(256 * row + 8);
    let tmax = (256 * row + 1) / 2 + 1;
    let wt = sbits(tmax);
    let wa2 = sbits(tmax * col + (1 << 10));
    (wra, wt, wa2)
}

/// Quantizer constants: case table qp -> (qp / 6, QUANT_SCALE[qp % 6]).
pub(crate) fn qp_table(scale: &[i64; 6], sig: &str, dst_div: &str, dst_scale: &str, scale_bits: usize) -> String {
    let mut s = format!("    always @(*) begin\n        case ({sig})\n");
    for qp in 0..52u32 {
        s.push_str(&format!(
            "            6'd{qp}: begin {dst_div} = 4'd{}; {dst_scale} = {scale_bits}'d{}; end\n",
            qp / 6,
            scale[(qp % 6) as usize]
        ));
    }
    s.push_str(&format!(
        "            default: begin {dst_div} = 4'd8; {dst_scale} = {scale_bits}'d{}; end\n        endcase\n    end\n",
        scale[5]
    ));
    s
}

fn body(p: usize, nm: usize) -> String {
    let (wra, wt, wa2) = widths(nm);
    let ln = log2(nm);
    let lp = log2(p);
    let lg = ln - lp; // bits of the group counter (0 when P == NM)
    let mut v: Vec<(&str, String)> = vec![
        ("P", p.to_string()),
        ("NM", nm.to_string()),
        ("LN", ln.to_string()),
        ("WRA", wra.to_string()),
        ("WT", wt.to_string()),
        ("WA2", wa2.to_string()),
        ("WR", (9 * p).to_string()),
        ("WL", (16 * p).to_string()),
        ("WD", (10 * p).to_string()),
        ("PM1", (p - 1).to_string()),
    ];
    let pad = |bits: usize, e: &str| if bits >= 5 { e.to_string() } else { format!("{{{}'d0, {e}}}", 5 - bits) };
    // column advance
    let col_inc = if p < nm { format!("pos_col + {ln}'d{p}") } else { format!("{ln}'d0") };
    v.push(("COLINC", col_inc));
    // group counters
    let (g_decl, sw_last_g, dr_row_end, sw_g_next, dr_g_next, lane_u_sw, lane_u_dr) = if lg == 0 {
        (
            String::new(),
            "1'b1".to_string(),
            "1'b1".to_string(),
            String::new(),
            String::new(),
            (0..p).map(|l| format!("{ln}'d{l}")).collect::<Vec<_>>(),
            (0..p).map(|l| format!("{ln}'d{l}")).collect::<Vec<_>>(),
        )
    } else {
        let ones = if lp == 0 { String::new() } else { format!(", {lp}'d{}", p - 1) };
        let lane = |g: &str, l: usize| if lp == 0 { g.to_string() } else { format!("{{{g}, {lp}'d{l}}}") };
        (
            format!("    reg [{}:0] sw_g;\n    reg [{}:0] dr_g;\n", lg - 1, lg - 1),
            format!("({{sw_g{ones}}} == tr_nm1)"),
            format!("({{dr_g{ones}}} == ob_nm1)"),
            format!("            if (sw_adv) sw_g <= sw_last_g ? {lg}'d0 : sw_g + {lg}'d1;\n"),
            format!("            if (dr_adv) dr_g <= dr_row_end ? {lg}'d0 : dr_g + {lg}'d1;\n"),
            (0..p).map(|l| lane("sw_g", l)).collect(),
            (0..p).map(|l| lane("dr_g", l)).collect(),
        )
    };
    let g_reset = if lg == 0 { String::new() } else { format!("            sw_g <= {lg}'d0;\n            dr_g <= {lg}'d0;\n") };

    // row stage: lanes
    let mut lanes = String::new();
    for l in 0..p {
        lanes.push_str(&format!("    wire signed [8:0] x_{l} = s0_res[{}:{}];\n", 9 * l + 8, 9 * l));
        let col = if p == 1 { "pos_col".to_string() } else { format!("(pos_col | {ln}'d{l})") };
        lanes.push_str(&format!("    wire [4:0] j_{l} = {};\n", pad(ln, &col)));
    }
    let mut rmac = String::new();
    for l in 0..p {
        rmac.push_str(&format!("        wire signed [7:0] c_{l} = tcoef(e_dst, e_log2, 5'(gk), j_{l});\n"));
        rmac.push_str(&format!("        wire signed [$WRA-1:0] p_{l} = $WRA'(c_{l}) * $WRA'(x_{l});\n"));
    }
    let psum = (0..p).map(|l| format!("p_{l}")).collect::<Vec<_>>().join(" + ");
    rmac.push_str(&format!("        wire signed [$WRA-1:0] s = {psum};\n"));

    // column sweep lanes
    let mut cmac = String::new();
    for l in 0..p {
        let u = &lane_u_sw[l];
        cmac.push_str(&format!(
            "        wire signed [$WA2-1:0] p_{l} = ce * $WA2'(trow[{u}]);\n\
             \x20       wire signed [$WA2-1:0] a_{l} = (tr_y == $LN'd0) ? p_{l} : acc[{u}] + p_{l};\n\
             \x20       wire signed [$WA2-1:0] f_{l} = (a_{l} + rnd2) >>> sh2;\n\
             \x20       wire signed [15:0] q_{l} = (f_{l} > $WA2'sd32767) ? 16'sd32767 : (f_{l} < -$WA2'sd32768) ? -16'sd32768 : f_{l}[15:0];\n"
        ));
    }
    let mut cwrite = String::new();
    for (l, u) in lane_u_sw.iter().enumerate() {
        cwrite.push_str(&format!("                if (tr_last) ob[{u}] <= q_{l}; else acc[{u}] <= a_{l};\n"));
    }
    let obrow = lane_u_dr.iter().rev().map(|u| format!("ob[{u}]")).collect::<Vec<_>>().join(", ");
    // unused high bits of the shifted sums (their range is below the width by design)
    let mut unused = Vec::new();
    for l in 0..p {
        unused.push(format!("f_{l}[$WA2-1:16]"));
    }
    let cmac_unused = format!("        wire unused_f = ^{{{}}};\n", unused.join(", "));

    // quantizer lanes
    let mut quant = String::new();
    let mut outs_l = Vec::new();
    let mut outs_d = Vec::new();
    let mut outs_n = Vec::new();
    for l in 0..p {
        quant.push_str(&format!(
            "    wire signed [15:0] qc_{l} = dsel[{hi}:{lo}];\n\
             \x20   wire [15:0] qm_{l} = qc_{l}[15] ? 16'(-qc_{l}) : qc_{l};\n\
             \x20   wire [30:0] qt_{l} = 31'(qm_{l}) * 31'(qscale);\n\
             \x20   wire [31:0] qs_{l} = (32'(qt_{l}) + qadd) >> qb;\n\
             \x20   wire [14:0] ql_{l} = (qs_{l} > 32'd32767) ? 15'h7fff : qs_{l}[14:0];\n\
             \x20   wire signed [32:0] qr_{l} = $signed({{2'b0, qt_{l}}}) - $signed(33'(ql_{l}) << qb);\n\
             \x20   wire signed [32:0] qd_{l} = qr_{l} >>> (qb - 5'd8);\n\
             \x20   wire signed [15:0] qv_{l} = qc_{l}[15] ? -$signed({{1'b0, ql_{l}}}) : $signed({{1'b0, ql_{l}}});\n",
            hi = 16 * l + 15,
            lo = 16 * l
        ));
        outs_l.push(format!("qv_{l}"));
        outs_d.push(format!("qd_{l}[9:0]"));
        outs_n.push(format!("qc_{l}[15]"));
        unused.push(format!("qd_{l}[32:10]"));
    }
    outs_l.reverse();
    outs_d.reverse();
    outs_n.reverse();
    let q_unused: Vec<String> = (0..p).map(|l| format!("qd_{l}[32:10]")).collect();

    let tr_nm1 = if lg == 0 { String::new() } else { format!("    wire [{}:0] tr_nm1 = ~({{{ln}{{1'b1}}}} << tr_log2);\n", ln - 1) };
    v.push(("TRNM1", tr_nm1));
    v.push(("GDECL", g_decl));
    v.push(("GRESET", g_reset));
    v.push(("SWLASTG", sw_last_g));
    v.push(("DRROWEND", dr_row_end));
    v.push(("SWGNEXT", sw_g_next));
    v.push(("DRGNEXT", dr_g_next));
    v.push(("LANES", lanes));
    v.push(("RMAC", rmac));
    v.push(("CMACUNUSED", cmac_unused));
    v.push(("CMAC", cmac));
    v.push(("CWRITE", cwrite));
    v.push(("OBROW", obrow));
    v.push(("QUANT", quant));
    v.push(("OUTL", outs_l.join(", ")));
    v.push(("OUTD", outs_d.join(", ")));
    v.push(("OUTN", outs_n.join(", ")));
    v.push(("QUNUSED", q_unused.join(", ")));
    v.push(("TROWY", pad(ln, "tr_y")));
    v.push(("QPTAB", qp_table(&golden::quantize::QUANT_SCALE, "ob_qp", "qdiv", "qscale", 15)));
    v.push(("TCOEF", tcoef_function()));
    v.push(("FIFODECL", crate::common::out_fifo_decl(&format!("{}", 27 * p + 1), "out_ready")));
    v.push(("FIFOUPD", crate::common::out_fifo_update("dr_adv", "o_new")));
    crate::common::unroll_generates(&subst(TEMPLATE, &v))
}

const TEMPLATE: &str = r#"
    // fwd_tq (hw/src/fwd_tq.rs): P = $P lanes, largest TU $NM x $NM
$TCOEF
    // ---- 1. input register ----
    reg s0_valid;
    reg [$WR-1:0] s0_res;
    reg [2:0] s0_log2;
    reg s0_dst;
    reg [5:0] s0_qp;
    reg [8:0] s0_off;
    wire s0_fire;
    assign in_ready = ~s0_valid | s0_fire;
    always @(posedge clock) begin
        if (reset) s0_valid <= 1'b0;
        else if (in_ready) s0_valid <= in_valid;
        if (in_ready & in_valid) begin
            s0_res <= in_res;
            s0_log2 <= in_log2;
            s0_dst <= in_dst;
            s0_qp <= in_qp;
            s0_off <= in_offset;
        end
    end

    // position of the beat in s0 and the TU's parameters (latched at its first beat)
    reg [$LN-1:0] pos_row;
    reg [$LN-1:0] pos_col;
    reg [2:0] tu_log2;
    reg tu_dst;
    reg [5:0] tu_qp;
    reg [8:0] tu_off;
    wire first = (pos_row == $LN'd0) & (pos_col == $LN'd0);
    wire [2:0] e_log2 = first ? s0_log2 : tu_log2;
    wire e_dst = first ? s0_dst : tu_dst;
    wire [5:0] e_qp = first ? s0_qp : tu_qp;
    wire [8:0] e_off = first ? s0_off : tu_off;
    wire [$LN-1:0] e_nm1 = ~({$LN{1'b1}} << e_log2);
    wire row_end = ((pos_col | $LN'd$PM1) == e_nm1);
    wire tu_end = row_end & (pos_row == e_nm1);

    // ---- 2. row stage ----
    reg tr_busy;
    wire sw_done;
    wire tr_free = ~tr_busy | sw_done;
    assign s0_fire = s0_valid & (~row_end | tr_free);
    wire tr_load = s0_fire & row_end;
$LANES
    wire [2:0] sh1 = e_log2 - 3'd1;
    wire signed [$WRA-1:0] rnd1 = $WRA'sd1 <<< (sh1 - 3'd1);
    wire signed [$WT-1:0] trow_in [0:$NM-1];
    genvar gk;
    generate for (gk = 0; gk < $NM; gk = gk + 1) begin : rmac
$RMAC
        reg signed [$WRA-1:0] acc;
        wire signed [$WRA-1:0] tot = ((pos_col == $LN'd0) ? $WRA'sd0 : acc) + s;
        wire signed [$WRA-1:0] sh = (tot + rnd1) >>> sh1;
        always @(posedge clock) if (s0_fire) acc <= tot;
        assign trow_in[gk] = sh[$WT-1:0];
        wire unused_sh = ^sh[$WRA-1:$WT];
    end endgenerate

    // row register (T1 of one row) and its TU parameters
    reg signed [$WT-1:0] trow [0:$NM-1];
    reg [$LN-1:0] tr_y;
    reg tr_last;
    reg [2:0] tr_log2;
    reg tr_dst;
    reg [5:0] tr_qp;
    reg [8:0] tr_off;
    integer ti;
    always @(posedge clock) begin
        if (tr_load) begin
            for (ti = 0; ti < $NM; ti = ti + 1) trow[ti] <= trow_in[ti];
            tr_y <= pos_row;
            tr_last <= tu_end;
            tr_log2 <= e_log2;
            tr_dst <= e_dst;
            tr_qp <= e_qp;
            tr_off <= e_off;
        end
    end

    // ---- 3. column sweep ----
$GDECL
    reg ob_full;
$TRNM1    wire sw_last_g = $SWLASTG;
    wire dr_adv;
    wire dr_fin;
    wire sw_stall = tr_last & ob_full & ~dr_fin;
    wire sw_adv = tr_busy & ~sw_stall;
    assign sw_done = sw_adv & sw_last_g;
    wire [4:0] sy = $TROWY;
    wire [3:0] sh2 = {1'b0, tr_log2} + 4'd6;
    wire signed [$WA2-1:0] rnd2 = $WA2'sd1 <<< (sh2 - 4'd1);

    reg [$LN-1:0] dr_v;
    wire [16*$P-1:0] obrow [0:$NM-1];
    genvar gv;
    generate for (gv = 0; gv < $NM; gv = gv + 1) begin : cmac
        wire signed [7:0] c = tcoef(tr_dst, tr_log2, 5'(gv), sy);
        wire signed [$WA2-1:0] ce = $WA2'(c);
        reg signed [$WA2-1:0] acc [0:$NM-1];
        reg signed [15:0] ob [0:$NM-1];
$CMAC$CMACUNUSED
        always @(posedge clock) begin
            if (sw_adv) begin
$CWRITE            end
        end
        assign obrow[gv] = {$OBROW};
    end endgenerate

    // ---- 4. drain through the quantizers ----
    reg [2:0] ob_log2;
    reg [5:0] ob_qp;
    reg [8:0] ob_off;
$FIFODECL    wire [27*$P:0] o_new;
    wire [$LN-1:0] ob_nm1 = ~({$LN{1'b1}} << ob_log2);
    assign dr_adv = ob_full & o_room;
    wire dr_row_end = $DRROWEND;
    wire dr_end = dr_row_end & (dr_v == ob_nm1);
    assign dr_fin = dr_adv & dr_end;
    always @(posedge clock) begin
        if (reset) begin
            tr_busy <= 1'b0;
            ob_full <= 1'b0;
            pos_row <= $LN'd0;
            pos_col <= $LN'd0;
            dr_v <= $LN'd0;
$GRESET        end else begin
            if (s0_fire) begin
                if (first) begin
                    tu_log2 <= s0_log2;
                    tu_dst <= s0_dst;
                    tu_qp <= s0_qp;
                    tu_off <= s0_off;
                end
                if (row_end) begin
                    pos_col <= $LN'd0;
                    pos_row <= tu_end ? $LN'd0 : pos_row + $LN'd1;
                end else pos_col <= $COLINC;
            end
            if (tr_load) tr_busy <= 1'b1;
            else if (sw_done) tr_busy <= 1'b0;
$SWGNEXT$DRGNEXT            if (sw_done & tr_last) ob_full <= 1'b1;
            else if (dr_adv & dr_end) ob_full <= 1'b0;
            if (dr_adv & dr_row_end) dr_v <= dr_end ? $LN'd0 : dr_v + $LN'd1;
        end
        if (sw_done & tr_last) begin
            ob_log2 <= tr_log2;
            ob_qp <= tr_qp;
            ob_off <= tr_off;
        end
    end
    wire [16*$P-1:0] dsel = obrow[dr_v];
    reg [3:0] qdiv;
    reg [14:0] qscale;
$QPTAB
    wire [4:0] qb = 5'd21 + {1'b0, qdiv} - {2'b0, ob_log2};
    wire [31:0] qadd = 32'(ob_off) << (qb - 5'd9);
$QUANT
    wire unused_q = ^{$QUNUSED};
$FIFOUPD    assign o_new = {dr_end, $OUTN, $OUTD, $OUTL};
    assign out_valid = (o_count != 2'd0);
    assign out_level = o_d0[16*$P-1:0];
    assign out_du = o_d0[26*$P-1:16*$P];
    assign out_neg = o_d0[27*$P-1:26*$P];
    assign out_last = o_d0[27*$P];
"#;
