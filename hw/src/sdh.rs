//! `sdh`: sign data hiding (HM's signBitHidingHDQ, `golden::quantize::sign_hide`) on
//! `fwd_tq`'s output, the encoder's step between the quantizer and both the residual
//! coder and the reconstruction. It buffers a transform unit, and for each 4x4
//! coefficient group whose first and last non-zero levels (in scan order) are at least 4
//! apart and whose sum of absolute levels has the wrong parity for the first level's
//! sign, it changes the one level that costs least (by the quantizer's rounding
//! remainder) by one, as golden does. It also tells whether the TU has a non-zero level
//! (cbf), before the TU's first output beat.
//!
//! Ports (synchronous to `clock`; `reset` synchronous, active high, drops a TU):
//! - `in_valid`, `in_ready`, `in_level` (P x 16), `in_du` (P x 10), `in_neg` (P),
//!   `in_last`: `fwd_tq`'s output (raster, P per beat; `in_last` on the TU's last beat);
//!   sampled with a TU's first beat: `in_log2` (3, 2..=log2 NM), `in_scan` (2: scanIdx,
//!   0 diagonal, 1 horizontal, 2 vertical), `in_hide` (1: apply sign hiding; 0 passes
//!   the levels through, as for a lossless CU's residual or a PPS without
//!   sign_data_hiding_enabled_flag).
//! - `out_valid`, `out_ready`, `out_level` (P x 16), `out_last`: the TU's levels in
//!   raster order; `out_cbf` (1): with every beat, the TU has a non-zero level.
//!
//! Micro-architecture: one TU buffer (a `tcgen_ram`, NM^2/P words of 27P bits: levels,
//! remainders, coefficient signs); while a TU loads, a map of the non-zero coefficient
//! groups. Then a walk over the groups in reverse scan order (one cycle per all-zero
//! group; the first non-zero group met is the last one, where the search stops at the
//! last non-zero level): a group's 16 entries are read in 16/P cycles into registers,
//! permuted into scan order; one cycle evaluates first/last position, parity, the 16
//! costs and their minimum (ties: the highest scan position, as golden's descending
//! loop with a strict comparison; a tree of 15 pairwise choices, 4 deep: as a chain of
//! 16 compare-selects the block's critical path was 4,199 ps in ASAP7, as a tree 1,867
//! ps, `tcgen synth --block sdh --timing`), and writes the changed level back (a
//! masked lane write). Then the TU is read out through a 3-entry output FIFO
//! ([`OUT_FIFO`]): a read is issued while the FIFO and the read in flight leave room, so a
//! beat of P per cycle while the consumer takes one (a 2-entry FIFO gave 2 beats per 3
//! cycles until 2026-12-07). Cycles per N x N TU: N^2/P (load) + groups + (16/P + 2) per
//! non-zero group + N^2/P + 2 (out); the next TU loads when the last beat is out. Without hiding, or
//! for a TU of zeros, the walk is skipped (`area_energy::cycle::sdh_tu_cycles`, equal
//! to Verilator's count).
//!
//! A rust-hdl Verilog wrapper (memory, for-loops over the group's entries, tables
//! generated from `golden::residual::scan_order`); Verilator is the proof
//! (sim/src/sdh.rs).

use crate::common::{log2, subst};
use rust_hdl_core::prelude::*;

/// Ports; `WL` = 16P, `WD` = 10P, `NP` = P; `NM` = largest TU side.
#[derive(LogicBlock, Default)]
pub struct Sdh<const NM: usize, const WL: usize, const WD: usize, const NP: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub in_valid: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    pub in_level: Signal<In, Bits<WL>>,
    pub in_du: Signal<In, Bits<WD>>,
    pub in_neg: Signal<In, Bits<NP>>,
    pub in_last: Signal<In, Bit>,
    pub in_log2: Signal<In, Bits<3>>,
    pub in_scan: Signal<In, Bits<2>>,
    pub in_hide: Signal<In, Bit>,
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_level: Signal<Out, Bits<WL>>,
    pub out_last: Signal<Out, Bit>,
    pub out_cbf: Signal<Out, Bit>,
}

impl<const NM: usize, const WL: usize, const WD: usize, const NP: usize> Logic for Sdh<NM, WL, WD, NP> {
    /// No rust-hdl simulation model: Verilator runs the generated Verilog.
    fn update(&mut self) {}

    fn connect(&mut self) {
        self.in_ready.connect();
        self.out_valid.connect();
        self.out_level.connect();
        self.out_last.connect();
        self.out_cbf.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Wrapper(Wrapper { code: body(NM, NP), cores: crate::common::ram_module() })
    }
}

/// Verilog function `cgpos(log2, scan, i)` -> {cy, cx} (3 bits each): the i-th
/// coefficient group of an N x N TU in the scan (6.5.3-6.5.5); and `sc(scan, k)` -> the
/// raster index (4y + x) of the k-th position inside a group.
fn tables(nm: usize) -> String {
    let mut t = String::from("    function automatic [5:0] cgpos(input [2:0] lg, input [1:0] s, input [5:0] i);\n        case ({lg, s, i})\n");
    for l in 2..=log2(nm) as u32 {
        for s in 0..3u32 {
            for (i, &(x, y)) in golden::residual::scan_order(1 << (l - 2), s).iter().enumerate() {
                t.push_str(&format!("            11'd{}: cgpos = {{3'd{y}, 3'd{x}}};\n", (l << 8) | (s << 6) | i as u32));
            }
        }
    }
    t.push_str("            default: cgpos = 6'd0;\n        endcase\n    endfunction\n");
    t.push_str("    function automatic [3:0] sc(input [1:0] s, input [3:0] k);\n        case ({s, k})\n");
    for s in 0..3u32 {
        for (k, &(x, y)) in golden::residual::scan_order(4, s).iter().enumerate() {
            t.push_str(&format!("            6'd{}: sc = 4'd{};\n", (s << 4) | k as u32, 4 * y + x));
        }
    }
    t.push_str("            default: sc = 4'd0;\n        endcase\n    endfunction\n");
    t
}

fn body(nm: usize, p: usize) -> String {
    let lnm = log2(nm);
    let lp = log2(p);
    let aw = 2 * lnm - lp;
    let gw = (nm / 4).max(1);
    let lgw = log2(gw);
    // the lanes of a beat: non-zero flags; of a read word: into the group registers
    let mut lanes = String::new();
    for l in 0..p {
        lanes.push_str(&subst(
            "    wire lnz$L = |in_level[16*$L+15:16*$L];\n    wire [3:0] cri$L = {cv_dy, 2'd0} + {2'd0, cv_dx} + 4'd$L;\n",
            &[("L", l.to_string())],
        ));
    }
    let lnz = (0..p).map(|l| format!("lnz{l}")).collect::<Vec<_>>().join(" | ");
    let mut capture = String::new();
    for l in 0..p {
        capture.push_str(&subst(
            "                lvr[cri$L] <= rd[16*$L+15:16*$L];\n                dur[cri$L] <= rd[$WLP+10*$L+9:$WLP+10*$L];\n                ngr[cri$L] <= rd[$WDP+$L];\n",
            &[("L", l.to_string()), ("WLP", (16 * p).to_string()), ("WDP", (26 * p).to_string())],
        ));
    }
    // j = {dy, dxw}: 16/P reads per group, dxw = j mod (4/P)
    let (dy, dx) = match p {
        1 => ("$J[3:2]", "$J[1:0]"),
        2 => ("$J[2:1]", "{$J[0], 1'b0}"),
        _ => ("$J[1:0]", "2'd0"),
    };
    let jdx = |j: &str| (dy.replace("$J", j), dx.replace("$J", j));
    let rjw = 4 - lp; // bits of the read counter (16/P reads)
    let mut unused = vec!["1'b0".to_string(), "in_last".to_string(), "o_room".to_string(), "ba[15:$AW]".to_string(), "wa_full[15:$AW]".to_string()];
    unused.push(format!("ld_row[10:{lnm}]"));
    unused.push(format!("ld_col[10:{lnm}]"));
    unused.push("ld_row[1:0]".into());
    unused.push("ld_col[1:0]".into());
    let vars = [
        ("TABLES", tables(nm)),
        ("P", p.to_string()),
        ("LP", lp.to_string()),
        ("LNM", lnm.to_string()),
        ("AW", aw.to_string()),
        ("W", (27 * p).to_string()),
        ("WL", (16 * p).to_string()),
        ("GW", gw.to_string()),
        ("LGW", lgw.max(1).to_string()),
        ("NG", (gw * gw).to_string()),
        ("RJW", rjw.to_string()),
        ("RJLAST", format!("{rjw}'d{}", 16 / p - 1)),
        ("DY", jdx("rj").0),
        ("DX", jdx("rj").1),
        ("CDY", jdx("rjv").0),
        ("CDX", jdx("rjv").1),
        ("LANES", lanes),
        ("LNZ", lnz),
        ("CAPTURE", capture),
        ("LANESEL", match p { 1 => "2'd0".to_string(), 2 => "{1'b0, wcol[0]}".to_string(), _ => "wcol[1:0]".to_string() }),
        ("FIFODECL", fifo3_decl(16 * p + 2)),
        ("OFIFO", OUT_FIFO.to_string()),
        ("FIFOUPD", fifo3_update("o_inf", "{t_cbf, o_rl, rd[$WL-1:0]}")),
        ("GIDX", if lgw == 0 { "1'b0".to_string() } else { format!("{{gy[{m}:0], gx[{m}:0]}}", m = lgw - 1) }),
        ("LDGIDX", if lgw == 0 { "1'b0".to_string() } else { format!("{{ld_row[{h}:2], ld_col[{h}:2]}}", h = lgw + 1) }),
    ];
    let mut v = vars.to_vec();
    v.push(("UNUSED", unused.join(", ")));
    subst(&subst(TEMPLATE, &v), &v)
}

const TEMPLATE: &str = r#"
    // sdh (hw/src/sdh.rs)
$TABLES
    localparam [2:0] S_LOAD = 3'd0, S_WALK = 3'd1, S_READ = 3'd2, S_EVAL = 3'd3, S_OUT = 3'd4;
    reg [2:0] st;
    reg [2:0] t_log2;
    reg [1:0] t_scan;
    reg t_hide;
    reg t_cbf;
    reg t_first;
    reg [$AW-1:0] ld;
    reg [$NG-1:0] nzmap;
    // the walk
    reg [5:0] gi;
    reg seen_last;
    reg [2:0] cgc;
    reg [2:0] cgr;
    reg [$RJW-1:0] rj;
    reg rv;
    reg [$RJW-1:0] rjv;
    reg signed [15:0] lvr [0:15];
    reg signed [9:0] dur [0:15];
    reg ngr [0:15];
    // read-out
    reg [$AW-1:0] oa;
    reg o_inf;
    reg o_rl;
    reg o_done;
    reg rv_done;
$FIFODECL
    // ---- memory: {neg (P), du (10P), level (16P)} per word, raster ----
    wire [$W-1:0] rd;
    wire m_re;
    wire [$AW-1:0] m_ra;
    wire m_we;
    wire [$AW-1:0] m_wa;
    wire [$W-1:0] m_wd;
    wire [$W-1:0] m_wm;
    tcgen_ram #(.W($W), .A($AW)) u_buf (.clock(clock), .re(m_re), .ra(m_ra), .rd(rd),
        .we(m_we), .wa(m_wa), .wd(m_wd), .wm(m_wm));

    // ---- load ----
    assign in_ready = (st == S_LOAD);
    wire ld_fire = in_valid & in_ready;
    wire [2:0] e_log2 = t_first ? in_log2 : t_log2;
    wire [3:0] tsh = {1'b0, e_log2} - 4'd$LP;
    wire [10:0] ld_row = {{(11-$AW){1'b0}}, ld} >> tsh;
    wire [10:0] ld_col = ({{(11-$AW){1'b0}}, ld} << $LP) & ~(11'h7ff << e_log2);
    wire [$AW-1:0] nbeat = ~({$AW{1'b1}} << ({e_log2, 1'b0} - 4'd$LP));
    wire ld_end = ld == nbeat;
    wire [1:0] rj_dy = $DY;
    wire [1:0] rj_dx = $DX;
    wire [1:0] cv_dy = $CDY;
    wire [1:0] cv_dx = $CDX;
$LANES
    wire beat_nz = $LNZ;

    // ---- the walk over the groups, reverse scan order ----
    wire [5:0] glast = ~(6'h3f << ({t_log2, 1'b0} - 4'd4));
    wire [5:0] gpos = cgpos(t_log2, t_scan, gi);
    wire [2:0] gx = gpos[2:0];
    wire [2:0] gy = gpos[5:3];
    wire gnz = nzmap[$GIDX];
    // read j of the group: row 4 cgr + dy, words of 4/P
    wire [10:0] rrow = {6'd0, cgr, 2'd0} + {9'd0, rj_dy};
    wire [10:0] rcol = {6'd0, cgc, 2'd0} + {9'd0, rj_dx};
    wire [15:0] ba = ({5'd0, rrow} << (t_log2 - 3'd$LP)) | {5'd0, rcol >> $LP};

    // ---- evaluation of a group (scan order k) ----
    reg signed [15:0] g [0:15];
    reg signed [9:0] gd [0:15];
    reg gn_ [0:15];
    reg [4:0] first;
    reg [4:0] lastk;
    reg par;
    integer k;
    integer k2;
    always @* begin
        first = 5'd16;
        lastk = 5'd0;
        par = 1'b0;
        for (k = 0; k < 16; k = k + 1) begin
            g[k] = lvr[sc(t_scan, k[3:0])];
            gd[k] = dur[sc(t_scan, k[3:0])];
            gn_[k] = ngr[sc(t_scan, k[3:0])];
            par = par ^ g[k][0];
        end
        for (k = 15; k >= 0; k = k - 1) if (g[k] != 16'sd0) first = k[4:0];
        for (k = 0; k < 16; k = k + 1) if (g[k] != 16'sd0) lastk = k[4:0];
    end
    wire [3:0] f4 = first[3:0];
    wire sgn = g[f4][15];
    wire need = (first != 5'd16) & (lastk >= first + 5'd4) & (sgn != par);
    wire [4:0] start = seen_last ? 5'd15 : lastk;
    // cost of changing position k (lc) and whether it may change (lok: not excluded),
    // all 16 side by side; up = +1 in magnitude
    reg signed [11:0] lc [0:15];
    reg lok [0:15];
    always @* begin
        for (k2 = 0; k2 < 16; k2 = k2 + 1) begin
            lok[k2] = k2[4:0] <= start;
            if (g[k2] != 16'sd0) begin
                if (gd[k2] > 10'sd0) lc[k2] = -{{2{gd[k2][9]}}, gd[k2]};
                else begin
                    lc[k2] = {{2{gd[k2][9]}}, gd[k2]};
                    if ((k2[4:0] == first) & ((g[k2] == 16'sd1) | (g[k2] == -16'sd1))) lok[k2] = 1'b0;
                end
            end else begin
                lc[k2] = -{{2{gd[k2][9]}}, gd[k2]};
                if ((k2[4:0] < first) & (gn_[k2] != sgn)) lok[k2] = 1'b0;
            end
        end
    end
    // the cheapest allowed position: golden's descending loop with a strict comparison
    // (the least cost, ties to the highest position) as a tree of 15 pairwise choices,
    // 4 levels deep: a pair keeps its higher position unless the lower one is allowed
    // and strictly cheaper, or the higher one is not allowed
    reg signed [11:0] tc [0:30];
    reg [3:0] tk [0:30];
    reg to [0:30];
    integer n;
    always @* begin
        for (n = 0; n < 16; n = n + 1) begin
            tc[15 + n] = lc[n];
            tk[15 + n] = n[3:0];
            to[15 + n] = lok[n];
        end
        // node n's children: 2n + 1 (lower positions) and 2n + 2 (higher positions)
        for (n = 14; n >= 0; n = n - 1) begin
            if (to[2 * n + 2] & (~to[2 * n + 1] | ~(tc[2 * n + 1] < tc[2 * n + 2]))) begin
                tc[n] = tc[2 * n + 2];
                tk[n] = tk[2 * n + 2];
                to[n] = 1'b1;
            end else begin
                tc[n] = tc[2 * n + 1];
                tk[n] = tk[2 * n + 1];
                to[n] = to[2 * n + 1];
            end
        end
    end
    wire [3:0] bk = tk[0];
    wire found = to[0];
    wire signed [15:0] lb = g[bk];
    wire b_up = (lb == 16'sd0) | ((gd[bk] > 10'sd0) & (lb != 16'sd32767) & (lb != -16'sd32767) & (lb != -16'sd32768));
    wire signed [15:0] lnew = (lb == 16'sd0) ? (gn_[bk] ? -16'sd1 : 16'sd1)
        : (lb > 16'sd0) ? (b_up ? lb + 16'sd1 : lb - 16'sd1) : (b_up ? lb - 16'sd1 : lb + 16'sd1);
    wire [3:0] br = sc(t_scan, bk);
    wire [10:0] wrow = {6'd0, cgr, 2'd0} + {9'd0, br[3:2]};
    wire [10:0] wcol = {6'd0, cgc, 2'd0} + {9'd0, br[1:0]};
    wire [15:0] wa_full = ({5'd0, wrow} << (t_log2 - 3'd$LP)) | {5'd0, wcol >> $LP};
    wire [1:0] lane = $LANESEL;
    wire do_write = (st == S_EVAL) & need & found;

    // ---- memory ports ----
    wire rd_issue = (st == S_READ) & ~rv_done;
    wire o_issue = (st == S_OUT) & ~o_done & ({1'b0, o_count} + {2'd0, o_inf} < 3'd$OFIFO);
    assign m_re = rd_issue | o_issue;
    assign m_ra = rd_issue ? ba[$AW-1:0] : oa;
    assign m_we = ld_fire | do_write;
    assign m_wa = ld_fire ? ld : wa_full[$AW-1:0];
    assign m_wd = ld_fire ? {in_neg, in_du, in_level} : {{(27*$P-16){1'b0}}, lnew} << (16 * lane);
    assign m_wm = ld_fire ? {$W{1'b1}} : {{(27*$P-16){1'b0}}, 16'hffff} << (16 * lane);
    assign out_valid = o_count != 2'd0;
    assign out_level = o_d0[$WL-1:0];
    assign out_last = o_d0[$WL];
    assign out_cbf = o_d0[$WL+1];
$FIFOUPD
    wire unused_ok = &{$UNUSED};

    always @(posedge clock) begin
        if (reset) begin
            st <= S_LOAD;
            ld <= $AW'd0;
            t_first <= 1'b1;
            nzmap <= $NG'd0;
            t_cbf <= 1'b0;
            rv <= 1'b0;
            o_inf <= 1'b0;
        end else begin
            rv <= rd_issue;
            rjv <= rj;
            if (rv) begin
$CAPTURE            end
            o_inf <= o_issue;
            o_rl <= o_issue & (oa == nbeat);
            case (st)
                S_LOAD: if (ld_fire) begin
                    if (t_first) begin
                        t_log2 <= in_log2;
                        t_scan <= in_scan;
                        t_hide <= in_hide;
                    end
                    t_first <= 1'b0;
                    if (beat_nz) begin
                        t_cbf <= 1'b1;
                        nzmap[$LDGIDX] <= 1'b1;
                    end
                    ld <= ld + $AW'd1;
                    if (ld_end) begin
                        ld <= $AW'd0;
                        gi <= glast;
                        seen_last <= 1'b0;
                        oa <= $AW'd0;
                        o_done <= 1'b0;
                        st <= ((t_first ? in_hide : t_hide) & (t_cbf | beat_nz)) ? S_WALK : S_OUT;
                    end
                end
                S_WALK: begin
                    cgc <= gx;
                    cgr <= gy;
                    rj <= $RJW'd0;
                    rv_done <= 1'b0;
                    if (gnz) st <= S_READ;
                    else if (gi == 6'd0) st <= S_OUT;
                    else gi <= gi - 6'd1;
                end
                S_READ: begin
                    if (rd_issue) begin
                        rj <= rj + $RJW'd1;
                        if (rj == $RJLAST) rv_done <= 1'b1;
                    end
                    if (rv & (rjv == $RJLAST)) st <= S_EVAL;
                end
                S_EVAL: begin
                    seen_last <= 1'b1;
                    if (gi == 6'd0) st <= S_OUT;
                    else begin
                        gi <= gi - 6'd1;
                        st <= S_WALK;
                    end
                end
                S_OUT: begin
                    if (o_issue) begin
                        oa <= oa + $AW'd1;
                        if (oa == nbeat) o_done <= 1'b1;
                    end
                    if (o_done & ~o_inf & (o_count == 2'd0)) begin
                        st <= S_LOAD;
                        t_first <= 1'b1;
                        t_cbf <= 1'b0;
                        nzmap <= $NG'd0;
                    end
                end
                default: st <= S_LOAD;
            endcase
        end
    end
"#;

/// Entries of the read-out FIFO ([`golden::config::SDH_OUT_FIFO`], which the cycle
/// models read too): a read issues every cycle while the consumer takes a beat per cycle.
pub const OUT_FIFO: u32 = golden::config::SDH_OUT_FIFO;
const _: () = assert!(OUT_FIFO == 3, "fifo3_decl and fifo3_update write a 3-entry FIFO");

/// The read-out FIFO (`OUT_FIFO` entries, head `o_d0`): `o_count`, `o_room`, `o_pop`.
fn fifo3_decl(width: usize) -> String {
    format!(
        "    // output FIFO, 3 entries: nothing upstream depends on out_ready combinationally\n    reg [1:0] o_count;\n    reg [{width}-1:0] o_d0;\n    reg [{width}-1:0] o_d1;\n    reg [{width}-1:0] o_d2;\n    wire o_room = (o_count != 2'd3);\n    wire o_pop = out_ready & (o_count != 2'd0);\n    wire [1:0] o_wp = o_count - {{1'b0, o_pop}};\n"
    )
}

/// Its update: shift on a pop, `data` written behind the entries left when `push`.
fn fifo3_update(push: &str, data: &str) -> String {
    format!(
        "    always @(posedge clock) begin\n        if (reset) o_count <= 2'd0;\n        else o_count <= o_count + {{1'b0, {push}}} - {{1'b0, o_pop}};\n        if (o_pop) begin\n            o_d0 <= o_d1;\n            o_d1 <= o_d2;\n        end\n        if ({push}) begin\n            if (o_wp == 2'd0) o_d0 <= {data};\n            else if (o_wp == 2'd1) o_d1 <= {data};\n            else o_d2 <= {data};\n        end\n    end\n"
    )
}
