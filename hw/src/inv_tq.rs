//! `inv_tq`: dequantizer and inverse 2-D transform, the residual reconstruction shared
//! by the encoder and decoder cores: `golden::quantize::dequantize` then
//! `golden::transform::inverse` (H.265 8.6.3 flat scaling and 8.6.4.2, bit-exact).
//!
//! Ports (synchronous to `clock`; `reset` synchronous, active high, clears the valids):
//! - `in_valid`, `in_ready`; `in_level` (P x 16 signed, lane l in bits 16l..16l+15):
//!   TransCoeffLevel of one TU in raster order (row = vertical frequency), P per beat
//!   (P = `rtl.samples_per_cycle`: 1, 2 or 4).
//! - per TU, sampled at its first beat: `in_log2` (3), `in_dst` (1), `in_qp` (6, 0..=51).
//! - `out_valid`, `out_ready`; `out_res` (P x 16 signed): residual samples in raster
//!   order; `out_last`: last beat of a TU.
//!
//! Micro-architecture (all boundaries registered; `in_ready` depends on registers only):
//! 1. P dequantizers (16 x 7 bit multiply, shift by qp/6 + 1 - log2 with rounding,
//!    clip to 16 bits) on the port's levels, in front of the input register, which
//!    holds the dequantized coefficients (the TU's size and QP, sampled at its first
//!    beat, are tracked at the input by a beat counter over its N^2/P beats). In the
//!    cores the levels come straight from `recon`'s coefficient memory. With the
//!    dequantizer behind the register, its multiply and the vertical stage's were one
//!    path: 2,092 ps, now 1,473 ps (TU 8, P = 1, ASAP7, `tcgen synth --timing`);
//! 2. K x P multipliers (16 x 8 bit; K = [`vertical_products`],
//!    NM/2 from NM = 8 on) that accumulate the vertical stage M[v][y] * D[v][u] into an
//!    NM x NM array (y all rows, u the beat's P columns): the DCT's basis is even or odd
//!    about its middle (M[v][N-1-y] = (-1)^v M[v][y], checked for every size by a test),
//!    so rows N/2..N-1 take the products of rows N/2-1..0, subtracted for odd v, and only
//!    the 4-point DST needs 4 products of its own; the last coefficient row writes
//!    clip16((acc + 64) >> 7) to the G buffer;
//! 3. drain: per cycle, P outputs of one row, each an NM-term dot product (NM x P
//!    multipliers, 16 x 8 bit) of a G row with a basis column, (sum + 2048) >> 12, into
//!    the output register. The sum is taken as E + O (E over even basis rows u, O over
//!    odd), and for a DCT row the same products give column N-1-x as (E - O + 2048) >>
//!    12: while the first half of a row drains, those go into N/2 slots (NM/2 x 16
//!    bits), and the second half is sent from the slots with the multipliers' inputs
//!    held (no switching for half the drain cycles); a row of one beat (N = P = 4) takes
//!    its lanes 2 and 3 from lanes 1 and 0. The 4-point DST (no symmetry) is summed
//!    directly.
//!
//! 4. a 2-entry output FIFO, so that nothing upstream depends on `out_ready`
//!    combinationally.
//!
//! Throughput: on a stream of one TU size, one N x N TU per N^2/P + N/P - 1 cycles (a
//! TU's last coefficient row waits for the G buffer's final drain beat of the TU before,
//! and its drain for that row: the single G buffer), i.e. P samples per cycle for 4x4
//! and 0.89 P, 0.94 P, 0.97 P for 8x8, 16x16, 32x32; after a size change a TU's last row
//! waits while the G buffer still drains a larger TU. Latency from the last input beat
//! of a TU to its first output beat: 3 cycles.
//!
//! A rust-hdl Verilog wrapper (the escape hatch), for the same reasons as `fwd_tq`;
//! widths are exact bounds from golden's matrices. Verilator is the proof (sim/).

use crate::common::{log2, max_abs_sum, sbits, subst, tcoef_function};
use rust_hdl_core::prelude::*;

/// Ports; `WL` = 16P, `NM` = largest TU side.
#[derive(LogicBlock, Default)]
pub struct InvTq<const NM: usize, const WL: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub in_valid: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    pub in_level: Signal<In, Bits<WL>>,
    pub in_log2: Signal<In, Bits<3>>,
    pub in_dst: Signal<In, Bit>,
    pub in_qp: Signal<In, Bits<6>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_res: Signal<Out, Bits<WL>>,
    pub out_last: Signal<Out, Bit>,
}

impl<const NM: usize, const WL: usize> Logic for InvTq<NM, WL> {
    /// No rust-hdl simulation model: Verilator runs the generated Verilog.
    fn update(&mut self) {}

    fn connect(&mut self) {
        self.in_ready.connect();
        self.out_valid.connect();
        self.out_res.connect();
        self.out_last.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Wrapper(Wrapper { code: body(WL / 16, NM), cores: String::new() })
    }
}

/// Multipliers per lane in the vertical stage: `NM`/2 (the DCT's even/odd symmetry
/// gives the other half of a column's products by sign), at least 4 (the 4-point DST
/// has no symmetry), at most `NM`.
pub fn vertical_products(nm: usize) -> usize {
    (nm / 2).max(4).min(nm)
}

/// Exact widths: (vertical accumulator, horizontal dot product).
pub fn widths(nm: usize) -> (usize, usize) {
    let col = max_abs_sum(nm, false); // sum over v of |M[v][y]|
    let wa1 = sbits(32768 * col + 64);
    let wh = sbits(32768 * col + 2048);
    (wa1, wh)
}

fn body(p: usize, nm: usize) -> String {
    let (wa1, wh) = widths(nm);
    let ln = log2(nm);
    let lp = log2(p);
    let lg = ln - lp;
    let pad = |bits: usize, e: &str| if bits >= 5 { e.to_string() } else { format!("{{{}'d0, {e}}}", 5 - bits) };
    let mut v: Vec<(&str, String)> = vec![
        ("P", p.to_string()),
        ("NM", nm.to_string()),
        ("LN", ln.to_string()),
        ("WA1", wa1.to_string()),
        ("WH", wh.to_string()),
        ("WL", (16 * p).to_string()),
        ("PM1", (p - 1).to_string()),
    ];
    v.push(("COLINC", if p < nm { format!("pos_col + {ln}'d{p}") } else { format!("{ln}'d0") }));
    let (g_decl, dr_row_end, dr_g_next, g_reset, lane_x) = if lg == 0 {
        (String::new(), "1'b1".to_string(), String::new(), String::new(), (0..p).map(|l| format!("{ln}'d{l}")).collect::<Vec<_>>())
    } else {
        let ones = if lp == 0 { String::new() } else { format!(", {lp}'d{}", p - 1) };
        (
            format!("    reg [{}:0] dr_g;\n", lg - 1),
            format!("({{dr_g{ones}}} == gb_nm1)"),
            format!("            if (dr_adv) dr_g <= dr_row_end ? {lg}'d0 : dr_g + {lg}'d1;\n"),
            format!("            dr_g <= {lg}'d0;\n"),
            (0..p).map(|l| if lp == 0 { "dr_g".to_string() } else { format!("{{dr_g, {lp}'d{l}}}") }).collect(),
        )
    };
    // dequantizers
    let mut deq = String::new();
    for l in 0..p {
        deq.push_str(&format!(
            "    wire signed [15:0] lv_{l} = in_level[{hi}:{lo}];\n\
             \x20   wire signed [22:0] dp_{l} = 23'(lv_{l}) * $signed({{16'd0, dls}});\n\
             \x20   wire signed [30:0] dw_{l} = 31'(dp_{l});\n\
             \x20   wire signed [30:0] ds_{l} = dneg ? ((dw_{l} + (31'sd1 <<< (dright - 3'd1))) >>> dright) : (dw_{l} <<< dleft);\n\
             \x20   wire signed [15:0] d_{l} = (ds_{l} > 31'sd32767) ? 16'sd32767 : (ds_{l} < -31'sd32768) ? -16'sd32768 : ds_{l}[15:0];\n",
            hi = 16 * l + 15,
            lo = 16 * l
        ));
    }
    let mut lanes = String::new();
    for l in 0..p {
        let col = if p == 1 { "pos_col".to_string() } else { format!("(pos_col | {ln}'d{l})") };
        lanes.push_str(&format!("    wire [$LN-1:0] u_{l} = {col};\n    wire signed [15:0] dq_{l} = s0_lv[{hi}:{lo}];\n", hi = 16 * l + 15, lo = 16 * l));
    }
    // the vertical products: K per lane, each row's from one of them (the symmetry)
    let k = vertical_products(nm);
    let lk = log2(k);
    v.push(("K", k.to_string()));
    v.push(("LK", lk.to_string()));
    let mut vprod = String::new();
    let mut vprod_decl = String::new();
    for l in 0..p {
        vprod_decl.push_str(&format!("    wire signed [$WA1-1:0] pr_{l} [0:$K-1];\n"));
        vprod.push_str(&format!("        assign pr_{l}[gk] = ce * $WA1'(dq_{l});\n"));
    }
    v.push(("VPRODDECL", vprod_decl));
    v.push(("VPROD", vprod));
    let mut vmac = String::new();
    let mut vwrite = String::new();
    for l in 0..p {
        vmac.push_str(&format!(
            "        wire signed [$WA1-1:0] p_{l} = live ? pr_{l}[src] : $WA1'sd0;\n\
             \x20       wire signed [$WA1-1:0] a_{l} = (pos_row == $LN'd0) ? p_{l} : neg ? acc[u_{l}] - p_{l} : acc[u_{l}] + p_{l};\n\
             \x20       wire signed [$WA1-1:0] f_{l} = (a_{l} + $WA1'sd64) >>> 7;\n\
             \x20       wire signed [15:0] g_{l} = (f_{l} > $WA1'sd32767) ? 16'sd32767 : (f_{l} < -$WA1'sd32768) ? -16'sd32768 : f_{l}[15:0];\n"
        ));
        vwrite.push_str(&format!("                if (last_row) gb[u_{l}] <= g_{l}; else acc[u_{l}] <= a_{l};\n"));
    }
    let vunused = format!("        wire unused_f = ^{{{}}};\n", (0..p).map(|l| format!("f_{l}[$WA1-1:16]")).collect::<Vec<_>>().join(", "));
    let gbrow = (0..nm).rev().map(|u| format!("gb[{u}]")).collect::<Vec<_>>().join(", ");
    // drain: per lane, the even-u and odd-u halves of the dot product over u; a DCT
    // row's columns N-1-x come from the same products (E - O), kept in slots while the
    // first half drains and sent in the second with the multipliers' inputs held
    let lh = ln - 1;
    let mut hsel = String::from(
        "    wire [5:0] gn = 6'd1 << gb_log2;\n    wire [5:0] gh = gn >> 1;\n    // a row in one beat (N = P): its second half from this beat's lanes\n    wire gsame = gn <= 6'd$P;\n",
    );
    for (l, x) in lane_x.iter().enumerate() {
        hsel.push_str(&format!(
            "    wire [$LN-1:0] xr_{l} = {x};\n\
             \x20   wire sec_{l} = ~gb_dst & (6'(xr_{l}) >= gh);\n\
             \x20   wire [5:0] xh_{l} = (sec_{l} & ~gsame) ? gh - 6'd$P + 6'd{l} : 6'(xr_{l});\n\
             \x20   wire [$LN-1:0] xe_{l} = xh_{l}[$LN-1:0];\n\
             \x20   wire [5:0] xs_{l} = gn - 6'd1 - 6'(xr_{l});\n"
        ));
    }
    let mut hmac = String::new();
    for l in 0..p {
        hmac.push_str(&format!("        wire signed [7:0] hc_{l} = tcoef(gb_dst, gb_log2, 5'(gu), {});\n", pad(ln, &format!("xe_{l}"))));
        hmac.push_str(&format!("        assign hp_{l}[gu] = $WH'(hc_{l}) * $WH'($signed(grow[16*gu+15:16*gu]));\n"));
    }
    let mut hsum = String::new();
    for l in 0..p {
        hsum.push_str(&format!("    wire signed [$WH-1:0] hp_{l} [0:$NM-1];\n"));
    }
    hsum.push_str(&format!("    reg [15:0] hslot [0:{}];\n", nm / 2 - 1));
    let mut hout = String::new();
    let mut hslot_w = String::new();
    let mut hunused = Vec::new();
    for l in 0..p {
        let even = (0..nm).step_by(2).map(|u| format!("hp_{l}[{u}]")).collect::<Vec<_>>().join(" + ");
        let odd = (1..nm).step_by(2).map(|u| format!("hp_{l}[{u}]")).collect::<Vec<_>>().join(" + ");
        // lanes of the second half of a one-beat row take the mirror of lane P-1-l
        let same = if p == 4 && l >= p / 2 { format!("gsame ? hm_{}[15:0] : ", p - 1 - l) } else { String::new() };
        hout.push_str(&format!(
            "    wire signed [$WH-1:0] he_{l} = {even};\n\
             \x20   wire signed [$WH-1:0] ho_{l} = {odd};\n\
             \x20   wire signed [$WH-1:0] hd_{l} = (he_{l} + ho_{l} + $WH'sd2048) >>> 12;\n\
             \x20   wire signed [$WH-1:0] hm_{l} = (he_{l} - ho_{l} + $WH'sd2048) >>> 12;\n\
             \x20   wire [15:0] hr_{l} = ~sec_{l} ? hd_{l}[15:0] : {same}hslot[xs_{l}[{lh1}:0]];\n",
            lh1 = lh - 1
        ));
        hslot_w.push_str(&format!("            if (~sec_{l}) hslot[xr_{l}[{lh1}:0]] <= hm_{l}[15:0];\n", lh1 = lh - 1));
        hunused.push(format!("hd_{l}[$WH-1:16], hm_{l}[$WH-1:16], xh_{l}, xs_{l}, xr_{l}"));
    }
    let ores = (0..p).rev().map(|l| format!("hr_{l}")).collect::<Vec<_>>().join(", ");
    let hunused = hunused.join(", ");
    v.push(("HSEL", hsel));
    v.push(("HSLOTW", hslot_w));

    v.push(("GDECL", g_decl));
    v.push(("DRROWEND", dr_row_end));
    v.push(("DRGNEXT", dr_g_next));
    v.push(("GRESET", g_reset));
    v.push(("DEQ", deq));
    v.push(("DCAT", (0..p).rev().map(|l| format!("d_{l}")).collect::<Vec<_>>().join(", ")));
    // beats per TU of side 2^L: 2^(2L - log2 P)
    let wb = 2 * ln - lp;
    v.push(("WB", wb.to_string()));
    v.push(("LP", lp.to_string()));
    v.push(("LANES", lanes));
    v.push(("VMAC", vmac));
    v.push(("VWRITE", vwrite));
    v.push(("VUNUSED", vunused));
    v.push(("GBROW", gbrow));
    v.push(("HDECL", hsum));
    v.push(("HMAC", hmac));
    v.push(("HOUT", hout));
    v.push(("ORES", ores));
    v.push(("HUNUSED", hunused));
    v.push(("PROW", pad(ln, "pos_row")));
    v.push(("LSTAB", ls_table()));
    v.push(("TCOEF", tcoef_function()));
    v.push(("FIFODECL", crate::common::out_fifo_decl(&format!("{}", 16 * p + 1), "out_ready")));
    v.push(("FIFOUPD", crate::common::out_fifo_update("dr_adv", "o_new")));
    crate::common::unroll_generates(&subst(TEMPLATE, &v))
}

fn ls_table() -> String {
    let mut s = "    always @(*) begin\n        case (i_qp)\n".to_string();
    for qp in 0..52u32 {
        s.push_str(&format!(
            "            6'd{qp}: begin dls = 7'd{}; ddiv = 4'd{}; end\n",
            golden::quantize::LEVEL_SCALE[(qp % 6) as usize],
            qp / 6
        ));
    }
    s.push_str("            default: begin dls = 7'd72; ddiv = 4'd8; end\n        endcase\n    end\n");
    s
}


const TEMPLATE: &str = r#"
    // inv_tq (hw/src/inv_tq.rs): P = $P lanes, largest TU $NM x $NM
$TCOEF
    // ---- 1. dequantizers in front of the input register ----
    // The level's TU (its size and QP, sampled at its first beat) is tracked at the
    // input: a beat counter over the TU's N^2/P beats.
    reg [$WB-1:0] i_cnt;
    reg [2:0] i_log2h;
    reg [5:0] i_qph;
    wire i_first = (i_cnt == $WB'd0);
    wire [2:0] i_log2 = i_first ? in_log2 : i_log2h;
    wire [5:0] i_qp = i_first ? in_qp : i_qph;
    wire [4:0] i_sh = {i_log2, 1'b0} - 5'd$LP;
    wire i_last = (i_cnt == $WB'(~({$WB{1'b1}} << i_sh)));
    reg [6:0] dls;
    reg [3:0] ddiv;
$LSTAB
    // out = l * LS * 2^(qp/6 + 1 - log2), rounded when the exponent is negative
    wire signed [4:0] dexp = $signed({1'b0, ddiv}) + 5'sd1 - $signed({2'b0, i_log2});
    wire dneg = dexp[4];
    wire [2:0] dright = 3'(-dexp);
    wire [2:0] dleft = dexp[2:0];
$DEQ
    // the input register: the dequantized coefficients
    reg s0_valid;
    reg [$WL-1:0] s0_lv;
    reg [2:0] s0_log2;
    reg s0_dst;
    wire s0_fire;
    assign in_ready = ~s0_valid | s0_fire;
    always @(posedge clock) begin
        if (reset) begin
            s0_valid <= 1'b0;
            i_cnt <= $WB'd0;
        end else begin
            if (in_ready) s0_valid <= in_valid;
            if (in_ready & in_valid) i_cnt <= i_last ? $WB'd0 : i_cnt + $WB'd1;
        end
        if (in_ready & in_valid) begin
            s0_lv <= {$DCAT};
            s0_log2 <= in_log2;
            s0_dst <= in_dst;
            if (i_first) begin
                i_log2h <= in_log2;
                i_qph <= in_qp;
            end
        end
    end
    reg [$LN-1:0] pos_row;
    reg [$LN-1:0] pos_col;
    reg [2:0] tu_log2;
    reg tu_dst;
    wire first = (pos_row == $LN'd0) & (pos_col == $LN'd0);
    wire [2:0] e_log2 = first ? s0_log2 : tu_log2;
    wire e_dst = first ? s0_dst : tu_dst;
    wire [$LN-1:0] e_nm1 = ~({$LN{1'b1}} << e_log2);
    wire row_end = ((pos_col | $LN'd$PM1) == e_nm1);
    wire last_row = (pos_row == e_nm1);
    wire tu_end = row_end & last_row;
    reg gb_full;
    wire dr_fin;
    assign s0_fire = s0_valid & ~(last_row & gb_full & ~dr_fin);

    // ---- 2. the vertical stage ----
$LANES
    wire [4:0] sv = $PROW;
    // K products per lane: coefficient x basis entry M[v][k], k < K
$VPRODDECL    genvar gk;
    generate for (gk = 0; gk < $K; gk = gk + 1) begin : vprod
        wire signed [7:0] c = tcoef(e_dst, e_log2, sv, 5'(gk));
        wire signed [$WA1-1:0] ce = $WA1'(c);
$VPROD    end endgenerate
    // row y of an N-point DCT takes product y in its first half, and M[v][N-1-y] =
    // (-1)^v M[v][y] in its second: product N-1-y, subtracted for odd v; the 4-point
    // DST (no symmetry) takes product y; rows past N add nothing
    wire [5:0] vn = 6'd1 << e_log2;
    wire [16*$NM-1:0] gbrow [0:$NM-1];
    genvar gy;
    generate for (gy = 0; gy < $NM; gy = gy + 1) begin : vmac
        wire live = 6'(gy) < vn;
        wire mir = ~e_dst & (6'(gy) >= (vn >> 1));
        wire [5:0] src6 = mir ? vn - 6'd1 - 6'(gy) : 6'(gy);
        wire [$LK-1:0] src = src6[$LK-1:0];
        wire neg = mir & sv[0];
        wire unused_src = ^src6;
        reg signed [$WA1-1:0] acc [0:$NM-1];
        reg signed [15:0] gb [0:$NM-1];
$VMAC$VUNUSED
        always @(posedge clock) begin
            if (s0_fire) begin
$VWRITE            end
        end
        assign gbrow[gy] = {$GBROW};
    end endgenerate

    // ---- 3. horizontal stage, drained P samples per cycle ----
$GDECL
    reg [$LN-1:0] dr_y;
    reg [2:0] gb_log2;
    reg gb_dst;
$FIFODECL    wire [$WL:0] o_new;
    wire [$LN-1:0] gb_nm1 = ~({$LN{1'b1}} << gb_log2);
    wire dr_adv = gb_full & o_room;
    wire dr_row_end = $DRROWEND;
    wire dr_end = dr_row_end & (dr_y == gb_nm1);
    assign dr_fin = dr_adv & dr_end;
    wire [16*$NM-1:0] grow = gbrow[dr_y];
$HSEL$HDECL
    genvar gu;
    generate for (gu = 0; gu < $NM; gu = gu + 1) begin : hmac
$HMAC    end endgenerate
$HOUT
    wire unused_h = ^{$HUNUSED};
    // the mirrored columns of a DCT row's first half (not for a one-beat row)
    always @(posedge clock) begin
        if (dr_adv & ~gb_dst & ~gsame) begin
$HSLOTW        end
    end
    always @(posedge clock) begin
        if (reset) begin
            gb_full <= 1'b0;
            pos_row <= $LN'd0;
            pos_col <= $LN'd0;
            dr_y <= $LN'd0;
$GRESET        end else begin
            if (s0_fire) begin
                if (first) begin
                    tu_log2 <= s0_log2;
                    tu_dst <= s0_dst;
                end
                if (row_end) begin
                    pos_col <= $LN'd0;
                    pos_row <= tu_end ? $LN'd0 : pos_row + $LN'd1;
                end else pos_col <= $COLINC;
            end
            if (s0_fire & tu_end) gb_full <= 1'b1;
            else if (dr_adv & dr_end) gb_full <= 1'b0;
$DRGNEXT            if (dr_adv & dr_row_end) dr_y <= dr_end ? $LN'd0 : dr_y + $LN'd1;
        end
        if (s0_fire & tu_end) begin
            gb_log2 <= e_log2;
            gb_dst <= e_dst;
        end
    end
$FIFOUPD    assign o_new = {dr_end, $ORES};
    assign out_valid = (o_count != 2'd0);
    assign out_res = o_d0[$WL-1:0];
    assign out_last = o_d0[$WL];
"#;

#[cfg(test)]
mod tests {
    use golden::transform::coef;

    /// The symmetry the vertical stage relies on, for every DCT size and basis row.
    #[test]
    fn dct_basis_is_even_or_odd_about_its_middle() {
        for n in [4, 8, 16, 32] {
            for v in 0..n {
                for y in 0..n {
                    let sign = if v % 2 == 1 { -1 } else { 1 };
                    assert_eq!(coef(n, false, v, n - 1 - y), sign * coef(n, false, v, y), "N {n} v {v} y {y}");
                }
            }
        }
    }

    #[test]
    fn vertical_products_cover_the_dst() {
        assert_eq!([4, 8, 16, 32].map(super::vertical_products), [4, 4, 8, 16]);
    }
}
