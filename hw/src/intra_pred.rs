//! `intra_pred`: H.265 intra sample prediction for 8-bit samples: the filtering of
//! neighbouring samples (8.4.4.2.3: [1 2 1] filter and strong intra smoothing) and the
//! planar, DC (with its edge filters) and 33 angular modes (with the mode 10/26
//! boundary filters) of 8.4.4.2.6. Bit-exact with golden's `golden::predict::{filter_flag,
//! filter, predict}` as the decoder calls them (`recon_block`): luma filters when
//! `filter_flag(mode, N)` and uses the edge filters for N < 32; chroma does neither.
//! The reference samples arrive already gathered and substituted (8.4.4.2.2,
//! `golden::predict::gather`).
//!
//! Ports (synchronous to `clock`; `reset` synchronous, active high: drops a partly
//! loaded job and empties the output):
//! - `ref_valid`, `ref_ready`, `ref_data` (32: 4 samples, sample k in bits 8k+7..8k):
//!   the 4N reference samples of one N x N block in N beats, top[0..2N) (p[x][-1])
//!   then left[0..2N) (p[-1][y]), ascending.
//! - per block, sampled with its first beat: `in_mode` (6: intra mode 0..34), `in_log2`
//!   (3: log2 N, 2..5), `in_luma` (1: cIdx 0, i.e. filtering allowed and edge filters
//!   for N < 32), `in_strong` (1: strong_intra_smoothing_enabled_flag), `in_corner` (8:
//!   p[-1][-1]).
//! - `out_valid`, `out_ready`, `out_sample` (32: 4 predicted samples, sample k in bits
//!   8k+7..8k, k = x mod 4), `out_last` (1): the N x N prediction in raster order, 4
//!   samples of one row per beat (N^2/4 beats), `out_last` on the block's last beat.
//!
//! Out of the subset: `in_log2` outside 2..5 is clamped into it; modes 35..63 predict
//! as an unfiltered vertical copy. Neither hangs the block.
//!
//! Micro-architecture: one register file of the references in a line, left[32..0],
//! corner, top[0..63] at positions 31..128 (98 x 8 bits; left[33..63] never reach a
//! prediction: the filter sees them in passing, and the raw p[31], p[63] of each side
//! are kept for the strong filter's decision and interpolation). Horizontal angular
//! modes (2..17 but 10) load it mirrored (top[32..0], corner, left[0..63]), so every
//! angular mode finds its reference array ref[k] (8.4.4.2.6) at position 64 + k.
//! 1. load, one beat per cycle (`ref_ready` high in this phase only): the [1 2 1]
//!    filter runs on the stream (a beat is written when its successor arrives), the DC
//!    sum accumulates; 1 flush cycle writes the last beat;
//! 2. strong intra smoothing, when it applies (32 x 32 luma): 16 cycles, 4 samples per
//!    side per cycle, from linear accumulators;
//! 3. projection of the side references for the negative angles (modes 11..17,
//!    19..25, where lo = (N * intraPredAngle) >> 5 < -1): ref[-m] = side[((m *
//!    -invAngle + 128) >> 8) - 1] for m = 1..-lo-1 (ref[lo] is never read) written in
//!    place over the side, 4 per cycle, at most 7 cycles;
//! 4. prediction, 4 samples per cycle: the angular positions (y + 1) * angle and
//!    (x + 1) * angle are running sums stepped with the row and the beat (no multiplier
//!    in front of the read ports: the critical path fell from 2,474 to 2,035 ps in
//!    ASAP7, `tcgen synth --block intra_pred --timing`); five read ports on the register file (a window
//!    ref[b..b+4] covers the 4 lanes of an angular row; planar, DC and the modes 10/26
//!    read top[x..x+3] and left[y]), one interpolator, planar and DC/edge unit per lane,
//!    into a 2-entry output FIFO (nothing upstream depends on `out_ready`
//!    combinationally; `ref_ready` depends on registers only).
//!
//! Latency: the first output beat is valid 3 cycles after the cycle the last
//! reference beat is accepted (+16 with strong smoothing, + 1..7 projection cycles).
//! Throughput: 4 samples per cycle after loading (without backpressure); one block
//! per N (load) + 1 (flush) + [16 strong] + [projection] + N^2/4 cycles: 9, 25, 81,
//! 289 cycles for N = 4, 8, 16, 32 (1.8, 2.6, 3.2, 3.5 samples per cycle). Loading
//! does not overlap the prediction of the block before (one register file).
//!
//! A rust-hdl Verilog wrapper (variable part-selects, signed arithmetic, tables
//! generated from golden::predict); Verilator is the proof (sim/src/intra_pred.rs).

use crate::common::subst;
use rust_hdl_core::prelude::*;

/// Samples per output beat (and per input beat).
pub const LANES: usize = 4;

#[derive(LogicBlock, Default)]
pub struct IntraPred {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub ref_valid: Signal<In, Bit>,
    pub ref_ready: Signal<Out, Bit>,
    pub ref_data: Signal<In, Bits<32>>,
    pub in_mode: Signal<In, Bits<6>>,
    pub in_log2: Signal<In, Bits<3>>,
    pub in_luma: Signal<In, Bit>,
    pub in_strong: Signal<In, Bit>,
    pub in_corner: Signal<In, Bits<8>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_sample: Signal<Out, Bits<32>>,
    pub out_last: Signal<Out, Bit>,
}

impl Logic for IntraPred {
    /// No rust-hdl simulation model: Verilator runs the generated Verilog.
    fn update(&mut self) {}

    fn connect(&mut self) {
        self.ref_ready.connect();
        self.out_valid.connect();
        self.out_sample.connect();
        self.out_last.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Wrapper(Wrapper { code: body(), cores: String::new() })
    }
}

/// Lowest and highest register-file position (64 is the corner).
const POS_LO: usize = 31;
const POS_HI: usize = 128;

/// Tables from golden::predict: intraPredAngle, |invAngle| and filter_flag.
fn tables() -> String {
    use golden::predict::{filter_flag, INTRA_PRED_ANGLE, INV_ANGLE};
    let mut t = String::new();
    t.push_str("    function automatic signed [6:0] angle_of(input [5:0] m);\n        case (m)\n");
    for m in 2..35usize {
        let a = INTRA_PRED_ANGLE[m - 2];
        let lit = if a < 0 { format!("-7'sd{}", -a) } else { format!("7'sd{a}") };
        t.push_str(&format!("            6'd{m}: angle_of = {lit};\n"));
    }
    t.push_str("            default: angle_of = 7'sd0;\n        endcase\n    endfunction\n");
    t.push_str("    function automatic [12:0] inv_of(input [5:0] m);\n        case (m)\n");
    for m in 11..=25usize {
        let v = INV_ANGLE[m - 11];
        assert!(v < 0 && -v < 8192);
        t.push_str(&format!("            6'd{m}: inv_of = 13'd{};\n", -v));
    }
    t.push_str("            default: inv_of = 13'd0;\n        endcase\n    endfunction\n");
    t.push_str("    function automatic fflag(input [5:0] m, input [2:0] l);\n        case ({m, l})\n");
    for m in 0..35u8 {
        for l in 2..=5usize {
            if filter_flag(m, 1 << l) {
                t.push_str(&format!("            9'd{}: fflag = 1'b1;\n", (m as usize) << 3 | l));
            }
        }
    }
    t.push_str("            default: fflag = 1'b0;\n        endcase\n    endfunction\n");
    t
}

/// The projection reads side[proj - 1] at position 64 - proj: check that every read
/// golden makes stays inside the register file (proj <= 33) and that ref[lo] (which
/// golden fills but never reads) is the only entry left out.
fn check_projection() {
    use golden::predict::{INTRA_PRED_ANGLE, INV_ANGLE};
    for mode in 11..=25usize {
        let a = INTRA_PRED_ANGLE[mode - 2];
        for n in [4i32, 8, 16, 32] {
            let lo = (n * a) >> 5;
            for k in lo + 1..0 {
                let proj = (k * INV_ANGLE[mode - 11] + 128) >> 8;
                assert!(proj >= -k && proj <= 64 - POS_LO as i32, "mode {mode} N {n} k {k}: projection {proj}");
            }
        }
    }
}

fn body() -> String {
    check_projection();
    let bits = |p: usize| 8 * (p - POS_LO);
    // ---- register-file writes, one line per position ----
    let mut writes = String::new();
    for p in POS_LO..=POS_HI {
        if p == 64 {
            continue;
        }
        let (side, i) = if p > 64 { ("hi", p - 65) } else { ("lo", 63 - p) };
        let (g, l) = (i / 4, i % 4);
        let lane_en = if side == "lo" { format!(" & lo_len[{l}]") } else { String::new() };
        writes.push_str(&format!(
            "        if ({side}_we & gdec[{g}]{lane_en}) arr[{} +: 8] <= {side}_d[{} +: 8];\n",
            bits(p),
            8 * l
        ));
    }
    // ---- per-lane datapath ----
    let mut lanes = String::new();
    let mut outs = Vec::new();
    let mut unused = Vec::new();
    for l in 0..LANES {
        let first = if l == 0 { "(px == 3'd0)" } else { "1'b0" };
        lanes.push_str(&format!(
            r#"    // lane {l}: x = x0 + {l}
    wire signed [12:0] posh_{l} = xa4_r + ang{j1};
    wire signed [7:0] idxh_{l} = posh_{l}[12:5];
    wire [7:0] od_{l} = idxh_{l} - idxhm;
    wire [2:0] o_{l} = vert ? 3'd{l} : {{1'b0, od_{l}[1:0]}};
    wire [4:0] fa_{l} = vert ? factv : posh_{l}[4:0];
    wire [7:0] w0_{l} = pr[o_{l}];
    wire [7:0] w1_{l} = pr[o_{l} + 3'd1];
    wire [5:0] fb_{l} = 6'd32 - {{1'b0, fa_{l}}};
    wire [13:0] is_{l} = 14'(fb_{l}) * 14'(w0_{l}) + 14'(fa_{l}) * 14'(w1_{l}) + 14'd16;
    wire [5:0] xa_{l} = {{1'b0, x0}} + 6'd{l};
    wire [5:0] xb_{l} = nn - 6'd1 - xa_{l};
    wire [5:0] xc_{l} = xa_{l} + 6'd1;
    wire [15:0] ps_{l} = 16'(xb_{l}) * 16'(pr[4]) + 16'(xc_{l}) * 16'(tn)
        + 16'(yb) * 16'(pr[{l}]) + 16'(y1) * 16'(ln) + 16'(nn);
    wire [15:0] psr_{l} = ps_{l} >> (lg + 3'd1);
    wire [9:0] dct_{l} = {{2'd0, pr[{l}]}} + {{2'd0, dc}} + {{1'b0, dc, 1'b0}} + 10'd2;
    wire xz_{l} = {first};
    wire [7:0] dcv_{l} = ~edge_f ? dc : (xz_{l} & yz) ? dcc[9:2] : yz ? dct_{l}[9:2] : xz_{l} ? dcl[9:2] : dc;
    wire signed [9:0] e10_{l} = $signed({{2'd0, pr[4]}}) + (($signed({{2'd0, pr[{l}]}}) - $signed({{2'd0, cor}})) >>> 1);
    wire [7:0] e10c_{l} = e10_{l}[9] ? 8'd0 : (e10_{l}[8] ? 8'd255 : e10_{l}[7:0]);
    wire [7:0] v_{l} = (mode == 6'd0) ? psr_{l}[7:0]
        : (mode == 6'd1) ? dcv_{l}
        : (mode == 6'd26) ? ((edge_f & xz_{l}) ? e26c : pr[{l}])
        : (mode == 6'd10) ? ((edge_f & yz) ? e10c_{l} : pr[4])
        : is_{l}[12:5];
"#,
            j1 = l + 1
        ));
        outs.push(format!("v_{l}"));
        unused.push(format!("od_{l}[7:2], is_{l}[13], is_{l}[4:0], psr_{l}[15:8], dct_{l}[1:0]"));
    }
    outs.reverse();
    // ---- read ports: position -> register-file index, clamped into 31..128 ----
    let mut ports = String::from("    wire [7:0] pr [0:4];\n");
    for q in 0..=LANES {
        ports.push_str(&format!(
            "    wire signed [12:0] ao_{q} = ap{q} - 13'sd{POS_LO};\n\
             \x20   wire [6:0] ai_{q} = (ao_{q} < 13'sd0) ? 7'd0 : (ao_{q} > 13'sd{top}) ? 7'd{top} : ao_{q}[6:0];\n\
             \x20   assign pr[{q}] = arr[{{ai_{q}, 3'b000}} +: 8];\n",
            top = POS_HI - POS_LO
        ));
        unused.push(format!("ao_{q}[12:7]"));
    }
    let vars = [
        ("PORTS", ports),
        ("TABLES", tables()),
        ("WRITES", writes),
        ("LANES", lanes),
        ("OUTS", outs.join(", ")),
        ("LUNUSED", unused.join(", ")),
        ("ARRW", (8 * (POS_HI - POS_LO + 1)).to_string()),
        ("CORBIT", bits(64).to_string()),
        ("FIFODECL", crate::common::out_fifo_decl("33", "out_ready")),
        ("FIFOUPD", crate::common::out_fifo_update("push", "push_data")),
    ];
    subst(TEMPLATE, &vars)
}

const TEMPLATE: &str = r#"
    // intra_pred (hw/src/intra_pred.rs)
$TABLES
    localparam [2:0] PH_LOAD = 3'd0, PH_FLUSH = 3'd1, PH_STRONG = 3'd2, PH_PROJ = 3'd3, PH_PRED = 3'd4;

    // ---- state ----
    reg [2:0] ph;
    reg [4:0] cnt;
    reg [3:0] gt;
    reg [2:0] px;
    reg [4:0] py;
    reg signed [12:0] posv_r;
    reg signed [12:0] xa4_r;
    // job header
    reg [5:0] mode;
    reg [2:0] lg;
    reg luma;
    reg strong_en;
    reg [7:0] c_raw;
    reg [7:0] top0;
    // references at positions 31..128: left[32..0], corner (64), top[0..63]
    reg [$ARRW-1:0] arr;
    // raw samples for the strong filter decision (by run: t* top, l* left)
    reg [7:0] t31;
    reg [7:0] t63;
    reg [7:0] l31;
    reg [7:0] l63;
    reg [13:0] dsum;
    // the beat waiting for its successor (the [1 2 1] filter's next sample)
    reg [31:0] pv;
    reg [7:0] pp;
    reg pv_valid;
    reg pv_run;
    reg [3:0] pv_t;
    reg pv_last;
    // strong filter accumulators (64 c + 32 + (i + 1) d), projection accumulator
    reg signed [15:0] acc_hi;
    reg signed [15:0] acc_lo;
    reg [18:0] pa;
$FIFODECL
    // ---- derived from the header ----
    wire [2:0] in_lg = (in_log2 < 3'd2) ? 3'd2 : (in_log2 > 3'd5) ? 3'd5 : in_log2;
    wire [5:0] nn = 6'd1 << lg;
    wire signed [6:0] ang = angle_of(mode);
    wire ang_neg = ang[6];
    wire [6:0] ang_m = -ang;
    wire [5:0] aabs = ang_neg ? ang_m[5:0] : ang[5:0];
    wire vert = (mode >= 6'd18);
    // planar, DC and the pure horizontal/vertical modes read top[x] and left[y]
    wire pdm = (mode == 6'd0) | (mode == 6'd1) | (mode == 6'd10) | (mode == 6'd26);
    wire swap = ~pdm & ~vert;
    wire filt = luma & fflag(mode, lg);
    wire edge_f = luma & (lg != 3'd5);

    // ---- 1. load ----
    assign ref_ready = (ph == PH_LOAD);
    wire in_fire = ref_valid & ref_ready;
    wire first = (cnt == 5'd0);
    wire [4:0] half = 5'd1 << (lg - 3'd1);
    wire [4:0] quarter = half >> 1;
    wire run_in = ((cnt & half) != 5'd0);
    wire [4:0] t_in5 = cnt & (half - 5'd1);
    wire [3:0] t_in = t_in5[3:0];
    wire [5:0] nm1_6 = nn - 6'd1;
    wire last_beat = ~first & (cnt == nm1_6[4:0]);
    wire run_end = (t_in5 == (half - 5'd1));
    wire dc_beat = first | (t_in5 < quarter);
    wire [9:0] beat_sum = {2'd0, ref_data[7:0]} + {2'd0, ref_data[15:8]} + {2'd0, ref_data[23:16]} + {2'd0, ref_data[31:24]};
    wire wpv = pv_valid & (in_fire | pv_last);
    wire pv_hi = ~(pv_run ^ swap);
    wire [7:0] s0 = pv[7:0];
    wire [7:0] s1 = pv[15:8];
    wire [7:0] s2 = pv[23:16];
    wire [7:0] s3 = pv[31:24];
    wire [9:0] f0 = {2'd0, pp} + {1'b0, s0, 1'b0} + {2'd0, s1} + 10'd2;
    wire [9:0] f1 = {2'd0, s0} + {1'b0, s1, 1'b0} + {2'd0, s2} + 10'd2;
    wire [9:0] f2 = {2'd0, s1} + {1'b0, s2, 1'b0} + {2'd0, s3} + 10'd2;
    wire [9:0] f3 = {2'd0, s2} + {1'b0, s3, 1'b0} + {2'd0, ref_data[7:0]} + 10'd2;
    wire [31:0] wl = {(filt & ~pv_last) ? f3[9:2] : s3, filt ? f2[9:2] : s2, filt ? f1[9:2] : s1, filt ? f0[9:2] : s0};
    wire [9:0] cf = {2'd0, top0} + {1'b0, c_raw, 1'b0} + {2'd0, ref_data[7:0]} + 10'd2;

    // ---- 2. strong intra smoothing ----
    wire signed [10:0] st_dt = $signed({3'd0, c_raw}) + $signed({3'd0, t63}) - $signed({2'd0, t31, 1'b0});
    wire signed [10:0] st_dl = $signed({3'd0, c_raw}) + $signed({3'd0, l63}) - $signed({2'd0, l31, 1'b0});
    wire strong_go = strong_en & filt & (lg == 3'd5) & (st_dt > -11'sd8) & (st_dt < 11'sd8)
        & (st_dl > -11'sd8) & (st_dl < 11'sd8);
    wire [7:0] r_hi = swap ? l63 : t63;
    wire [7:0] r_lo = swap ? t63 : l63;
    wire signed [15:0] d_hi = $signed({8'd0, r_hi}) - $signed({8'd0, c_raw});
    wire signed [15:0] d_lo = $signed({8'd0, r_lo}) - $signed({8'd0, c_raw});
    wire signed [15:0] acc0 = $signed({2'd0, c_raw, 6'd0}) + 16'sd32;
    wire signed [15:0] sh1 = acc_hi + d_hi;
    wire signed [15:0] sh2 = acc_hi + (d_hi <<< 1);
    wire signed [15:0] sh3 = sh2 + d_hi;
    wire signed [15:0] sl1 = acc_lo + d_lo;
    wire signed [15:0] sl2 = acc_lo + (d_lo <<< 1);
    wire signed [15:0] sl3 = sl2 + d_lo;
    wire [31:0] sh = {sh3[13:6], sh2[13:6], sh1[13:6], acc_hi[13:6]};
    wire [31:0] sl = {sl3[13:6], sl2[13:6], sl1[13:6], acc_lo[13:6]};

    // ---- 3. projection of the side references (negative angles) ----
    wire [12:0] invm = inv_of(mode);
    wire [10:0] na = {5'd0, aabs} << lg;
    wire [10:0] nas = na + 11'd31;
    wire [5:0] nlo = nas[10:5];
    wire proj_go = ~pdm & ang_neg & (mode != 6'd18) & (nlo >= 6'd2);
    wire [18:0] pa1 = pa + {6'd0, invm};
    wire [18:0] pa2 = pa + {5'd0, invm, 1'b0};
    wire [18:0] pa3 = pa2 + {6'd0, invm};
    wire [3:0] pj_en = {({gt, 2'd3} + 6'd1) < nlo, ({gt, 2'd2} + 6'd1) < nlo, ({gt, 2'd1} + 6'd1) < nlo, ({gt, 2'd0} + 6'd1) < nlo};
    wire proj_end = (({gt, 2'd3} + 6'd2) >= nlo);

    // ---- 4. prediction: geometry of the row segment (x0..x0+3, y) ----
    wire [4:0] x0 = {px, 2'b00};
    wire [5:0] y1 = {1'b0, py} + 6'd1;
    // the products (y + 1) * angle and (x0 + l + 1) * angle, kept as running sums
    // (posv_r, xa4_r = x0 * angle) that step with the row and the beat: no multiplier
    // between the row/column counters and the reference read ports
    wire signed [12:0] ang1 = 13'(ang);
    wire signed [12:0] ang2 = ang1 <<< 1;
    wire signed [12:0] ang3 = ang1 + ang2;
    wire signed [12:0] ang4 = ang1 <<< 2;
    wire signed [12:0] posv = posv_r;
    wire signed [7:0] idxv = posv[12:5];
    wire [4:0] factv = posv[4:0];
    wire [5:0] yb = nn - 6'd1 - {1'b0, py};
    wire signed [12:0] posh0 = xa4_r + ang1;
    wire signed [12:0] posh3 = xa4_r + ang4;
    wire signed [7:0] idxhm = ang_neg ? posh3[12:5] : posh0[12:5];
    // the window ref[bmin..bmin+4] holds every sample the 4 lanes interpolate from
    wire signed [8:0] bmin = vert ? ($signed({4'd0, x0}) + 9'(idxv) + 9'sd1) : ($signed({4'd0, py}) + 9'(idxhm) + 9'sd1);
    wire signed [12:0] pl0 = $signed({1'b0, pa[18:8]}) + 13'sd0;
    wire signed [12:0] pl1 = $signed({1'b0, pa1[18:8]}) + 13'sd0;
    wire signed [12:0] pl2 = $signed({1'b0, pa2[18:8]}) + 13'sd0;
    wire signed [12:0] pl3 = $signed({1'b0, pa3[18:8]}) + 13'sd0;
    wire is_proj = (ph == PH_PROJ);
    wire signed [12:0] ap0 = is_proj ? (13'sd64 - pl0) : pdm ? (13'sd65 + $signed({8'd0, x0})) : (13'sd64 + 13'(bmin));
    wire signed [12:0] ap1 = is_proj ? (13'sd64 - pl1) : pdm ? (13'sd66 + $signed({8'd0, x0})) : (13'sd65 + 13'(bmin));
    wire signed [12:0] ap2 = is_proj ? (13'sd64 - pl2) : pdm ? (13'sd67 + $signed({8'd0, x0})) : (13'sd66 + 13'(bmin));
    wire signed [12:0] ap3 = is_proj ? (13'sd64 - pl3) : pdm ? (13'sd68 + $signed({8'd0, x0})) : (13'sd67 + 13'(bmin));
    wire signed [12:0] ap4 = pdm ? (13'sd63 - $signed({8'd0, py})) : (13'sd68 + 13'(bmin));
$PORTS    // top[N], left[N] (planar) and the corner
    wire [6:0] tn_i = 7'd34 + {1'b0, nn};
    wire [6:0] ln_i = 7'd32 - {1'b0, nn};
    wire [7:0] tn = arr[{tn_i, 3'b000} +: 8];
    wire [7:0] ln = arr[{ln_i, 3'b000} +: 8];
    wire [7:0] cor = arr[$CORBIT +: 8];
    // DC value and edge filters
    wire [13:0] dcs = dsum + {8'd0, nn};
    wire [13:0] dcr = dcs >> (lg + 3'd1);
    wire [7:0] dc = dcr[7:0];
    wire yz = (py == 5'd0);
    wire [9:0] dcc = {2'd0, pr[4]} + {1'b0, dc, 1'b0} + {2'd0, pr[0]} + 10'd2;
    wire [9:0] dcl = {2'd0, pr[4]} + {2'd0, dc} + {1'b0, dc, 1'b0} + 10'd2;
    wire signed [9:0] e26 = $signed({2'd0, pr[0]}) + (($signed({2'd0, pr[4]}) - $signed({2'd0, cor})) >>> 1);
    wire [7:0] e26c = e26[9] ? 8'd0 : (e26[8] ? 8'd255 : e26[7:0]);
$LANES
    // ---- output ----
    wire [2:0] pxm = 3'((nn >> 2) - 6'd1);
    wire row_end = (px == pxm);
    wire blk_end = row_end & (py == nm1_6[4:0]);
    wire push = (ph == PH_PRED) & o_room;
    wire [32:0] push_data = {blk_end, $OUTS};

    // ---- register-file write ports: load (one side per beat), strong (both sides),
    // projection (the side, lanes below the count) ----
    wire [3:0] grp = ((ph == PH_STRONG) | is_proj) ? gt : pv_t;
    wire [15:0] gdec = 16'd1 << grp;
    wire hi_we = (wpv & pv_hi) | (ph == PH_STRONG);
    wire lo_we = (wpv & ~pv_hi) | (ph == PH_STRONG) | is_proj;
    wire [31:0] hi_d = (ph == PH_STRONG) ? sh : wl;
    wire [31:0] lo_d = (ph == PH_STRONG) ? sl : is_proj ? {pr[3], pr[2], pr[1], pr[0]} : wl;
    wire [3:0] lo_len = is_proj ? pj_en : 4'hf;

    wire unused_ok = &{1'b1, ang_m[6], nm1_6[5], t_in5[4], f0[1:0], f1[1:0], f2[1:0], f3[1:0], cf[1:0],
        sh1[15:14], sh1[5:0], sh2[15:14], sh2[5:0], sh3[15:14], sh3[5:0], acc_hi[15:14], acc_hi[5:0],
        sl1[15:14], sl1[5:0], sl2[15:14], sl2[5:0], sl3[15:14], sl3[5:0], acc_lo[15:14], acc_lo[5:0],
        nas[4:0], posh0[4:0], posh3[4:0], pa[7:0], pa1[7:0], pa2[7:0], pa3[7:0], dcr[13:8], dcc[1:0], dcl[1:0],
        $LUNUSED};

    always @(posedge clock) begin
$WRITES        if (in_fire & run_in & (t_in == 4'd0)) arr[$CORBIT +: 8] <= filt ? cf[9:2] : c_raw;
        else if (ph == PH_STRONG) arr[$CORBIT +: 8] <= c_raw;
        if (in_fire) begin
            if (first) begin
                mode <= in_mode;
                lg <= in_lg;
                luma <= in_luma;
                strong_en <= in_strong;
                c_raw <= in_corner;
                top0 <= ref_data[7:0];
            end
            dsum <= (first ? 14'd0 : dsum) + (dc_beat ? {4'd0, beat_sum} : 14'd0);
            if (t_in == 4'd7) begin
                if (run_in) l31 <= ref_data[31:24];
                else t31 <= ref_data[31:24];
            end
            if (t_in == 4'd15) begin
                if (run_in) l63 <= ref_data[31:24];
                else t63 <= ref_data[31:24];
            end
            pv <= ref_data;
            pp <= first ? in_corner : (t_in == 4'd0) ? c_raw : pv[31:24];
            pv_run <= run_in;
            pv_t <= t_in;
            pv_last <= run_end;
        end
        if (reset) begin
            ph <= PH_LOAD;
            cnt <= 5'd0;
            gt <= 4'd0;
            px <= 3'd0;
            py <= 5'd0;
            lg <= 3'd2;
            pv_valid <= 1'b0;
        end else begin
            pv_valid <= in_fire | (pv_valid & ~wpv);
            case (ph)
                PH_LOAD: if (in_fire) begin
                    cnt <= last_beat ? 5'd0 : cnt + 5'd1;
                    if (last_beat) ph <= PH_FLUSH;
                end
                PH_FLUSH: begin
                    gt <= 4'd0;
                    acc_hi <= acc0 + d_hi;
                    acc_lo <= acc0 + d_lo;
                    pa <= {6'd0, invm} + 19'd128;
                    posv_r <= ang1;
                    xa4_r <= 13'sd0;
                    ph <= strong_go ? PH_STRONG : proj_go ? PH_PROJ : PH_PRED;
                end
                PH_STRONG: begin
                    gt <= gt + 4'd1;
                    acc_hi <= acc_hi + (d_hi <<< 2);
                    acc_lo <= acc_lo + (d_lo <<< 2);
                    if (gt == 4'd15) ph <= proj_go ? PH_PROJ : PH_PRED;
                end
                PH_PROJ: begin
                    gt <= gt + 4'd1;
                    pa <= pa + {4'd0, invm, 2'b00};
                    if (proj_end) ph <= PH_PRED;
                end
                PH_PRED: if (push) begin
                    px <= row_end ? 3'd0 : px + 3'd1;
                    xa4_r <= row_end ? 13'sd0 : xa4_r + ang4;
                    if (row_end) posv_r <= posv_r + ang1;
                    if (row_end) py <= blk_end ? 5'd0 : py + 5'd1;
                    if (blk_end) ph <= PH_LOAD;
                end
                default: ph <= PH_LOAD;
            endcase
        end
    end
$FIFOUPD    assign out_valid = (o_count != 2'd0);
    assign out_sample = o_d0[31:0];
    assign out_last = o_d0[32];
"#;
