//! `search`: the encoder core's control: it walks the slice's CUs, decides each CU's
//! intra mode as golden's hardware strategy does (`golden::encoder::search::hw_ctu`),
//! and moves samples and levels between the core's blocks. Per CU:
//! 1. the walk: CTUs of the slice in raster order, in each CTU the 8x8 units in z-scan
//!    order; a unit inside the picture starts a CU of the largest size up to
//!    `encoder.hw.cu_size` that is aligned there and fits in the picture (golden's
//!    quadtree: split while larger than the CU size or across the picture edge);
//! 2. the CU's record to `recon` (which gathers its references), and its original
//!    samples from `or_*` into the original buffer;
//! 3. one probe per mode of `encoder.hw.modes`: `recon` sends the references to
//!    `intra_pred`, the prediction comes back on `po_*` and goes with the original
//!    samples to `satd`; the next probe starts while `satd` finishes the last one; the
//!    mode with the smallest SATD wins (ties: the first); with a single mode there
//!    is no probe (and the core no `satd`, [`crate::enc_core::has_satd`]);
//! 4. a last probe with that mode: original minus prediction, P per beat, to `fwd_tq`
//!    (or for a lossless CU as levels straight to `sdh`), `fwd_tq`'s levels to `sdh`
//!    (sign hiding with the mode's scan);
//! 5. the forwarder, while the next CU starts: with `sdh`'s first beat (which carries
//!    cbf) it gives the CU decision to `syn_enc` (`cu_*`) and to `recon` (a probe with
//!    `pb_run`), then every level beat to `syn_enc` (`lv_*`) and the non-zero levels
//!    to `recon`'s coefficient memory (`co_*`, one per cycle, then an end mark); a
//!    beat per cycle when it has at most one non-zero level;
//!    `recon` reconstructs the CU before it gathers the next one.
//!
//! Ports (synchronous to `clock`; `reset` synchronous, active high):
//! - `sl_valid`, `sl_ready`, `sl_w`, `sl_h` (14), `sl_ctbx`, `sl_ctby` (10), `sl_addr`,
//!   `sl_end` (19: the slice's first CTB address and the one after its last),
//!   `sl_wctb` (10), `sl_qp` (6), `sl_sdh` (1), `sl_byp` (1: every CU lossless): the
//!   fields of [`crate::syn_enc`]'s slice command. A picture size that is zero or not
//!   a multiple of 8, or an empty slice, raises `err`.
//! - `or_valid`, `or_ready`, `or_data` (32: 4 samples, sample k in bits 8k+7..8k): the
//!   original samples, CU by CU in coding order, each CU in raster order (N^2/4 beats).
//!   The memory side's DMA reads the tensor's frame by CU (the walk is deterministic:
//!   golden's `hw_quadtree`).
//! - `tu_*` (kind, x, y, log2, qp, bypass): records to `recon` (kind 1 ends the slice).
//! - `pb_valid`, `pb_ready`, `pb_mode` (6), `pb_run`, `pb_cbf`: probes and decisions
//!   to `recon`; `po_valid`, `po_ready`, `po_sample` (32), `po_last`: a probe's
//!   prediction.
//! - `sd_*` to and `sr_*` from `satd`; `ft_*` to and `fq_*` from `fwd_tq`; `sh_*` to
//!   and `so_*` from `sdh`; `cu_*`, `lv_*` to `syn_enc`; `co_*` to `recon`.
//! - `fw_eng` (2): the entropy engine of the CU on `cu_*` and `lv_*`: slice k of the
//!   stream goes to engine k mod `rtl.cabac_engines` (the core routes the handshakes).
//! - `err` (1): sticky.
//!
//! Cycles per N x N CU with M modes (no stalls): the record and N^2/4 original beats,
//! M x (N reference beats + 1 + N^2/4 prediction beats + a few) + the last SATD (about N),
//! the last probe (N + N^2/4, or N^2/P with P < 4 lanes), and `recon`'s reconstruction
//! (it overlaps the next CU's original load). Memory: the original buffer
//! (`tcgen_ram`, NM^2/4 x 32 bits).
//!
//! A rust-hdl Verilog wrapper; Verilator is the proof (sim/src/enc_core.rs).

use crate::common::{log2, subst, Gen};
use rust_hdl_core::prelude::*;

/// Ports; `WL` = 16P, `WR` = 9P, `WD` = 10P, `NP` = P. The configuration is `cfg`.
#[derive(LogicBlock, Default)]
pub struct Search<const WL: usize, const WR: usize, const WD: usize, const NP: usize> {
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
    pub sl_byp: Signal<In, Bit>,
    pub or_valid: Signal<In, Bit>,
    pub or_ready: Signal<Out, Bit>,
    pub or_data: Signal<In, Bits<32>>,
    pub tu_valid: Signal<Out, Bit>,
    pub tu_ready: Signal<In, Bit>,
    pub tu_kind: Signal<Out, Bits<2>>,
    pub tu_x: Signal<Out, Bits<13>>,
    pub tu_y: Signal<Out, Bits<13>>,
    pub tu_log2: Signal<Out, Bits<3>>,
    pub tu_qp: Signal<Out, Bits<6>>,
    pub tu_bypass: Signal<Out, Bit>,
    pub pb_valid: Signal<Out, Bit>,
    pub pb_ready: Signal<In, Bit>,
    pub pb_mode: Signal<Out, Bits<6>>,
    pub pb_run: Signal<Out, Bit>,
    pub pb_cbf: Signal<Out, Bit>,
    pub po_valid: Signal<In, Bit>,
    pub po_ready: Signal<Out, Bit>,
    pub po_sample: Signal<In, Bits<32>>,
    pub po_last: Signal<In, Bit>,
    pub sd_valid: Signal<Out, Bit>,
    pub sd_ready: Signal<In, Bit>,
    pub sd_pred: Signal<Out, Bits<32>>,
    pub sd_orig: Signal<Out, Bits<32>>,
    pub sd_log2: Signal<Out, Bits<3>>,
    pub sr_valid: Signal<In, Bit>,
    pub sr_ready: Signal<Out, Bit>,
    pub sr_satd: Signal<In, Bits<24>>,
    pub ft_valid: Signal<Out, Bit>,
    pub ft_ready: Signal<In, Bit>,
    pub ft_res: Signal<Out, Bits<WR>>,
    pub ft_log2: Signal<Out, Bits<3>>,
    pub ft_dst: Signal<Out, Bit>,
    pub ft_qp: Signal<Out, Bits<6>>,
    pub ft_offset: Signal<Out, Bits<9>>,
    pub fq_valid: Signal<In, Bit>,
    pub fq_ready: Signal<Out, Bit>,
    pub fq_level: Signal<In, Bits<WL>>,
    pub fq_du: Signal<In, Bits<WD>>,
    pub fq_neg: Signal<In, Bits<NP>>,
    pub fq_last: Signal<In, Bit>,
    pub sh_valid: Signal<Out, Bit>,
    pub sh_ready: Signal<In, Bit>,
    pub sh_level: Signal<Out, Bits<WL>>,
    pub sh_du: Signal<Out, Bits<WD>>,
    pub sh_neg: Signal<Out, Bits<NP>>,
    pub sh_last: Signal<Out, Bit>,
    pub sh_log2: Signal<Out, Bits<3>>,
    pub sh_scan: Signal<Out, Bits<2>>,
    pub sh_hide: Signal<Out, Bit>,
    pub so_valid: Signal<In, Bit>,
    pub so_ready: Signal<Out, Bit>,
    pub so_level: Signal<In, Bits<WL>>,
    pub so_last: Signal<In, Bit>,
    pub so_cbf: Signal<In, Bit>,
    pub cu_valid: Signal<Out, Bit>,
    pub cu_ready: Signal<In, Bit>,
    pub cu_x: Signal<Out, Bits<13>>,
    pub cu_y: Signal<Out, Bits<13>>,
    pub cu_log2: Signal<Out, Bits<3>>,
    pub cu_mode: Signal<Out, Bits<6>>,
    pub cu_cbf: Signal<Out, Bit>,
    pub fw_eng: Signal<Out, Bits<2>>,
    pub lv_valid: Signal<Out, Bit>,
    pub lv_ready: Signal<In, Bit>,
    pub lv_data: Signal<Out, Bits<WL>>,
    pub lv_log2: Signal<Out, Bits<3>>,
    pub co_valid: Signal<Out, Bit>,
    pub co_ready: Signal<In, Bit>,
    pub co_level: Signal<Out, Signed<16>>,
    pub co_pos: Signal<Out, Bits<10>>,
    pub co_end: Signal<Out, Bit>,
    pub err: Signal<Out, Bit>,
    pub cfg: Gen<golden::Params>,
}

impl<const WL: usize, const WR: usize, const WD: usize, const NP: usize> Logic for Search<WL, WR, WD, NP> {
    /// No rust-hdl simulation model: Verilator runs the generated Verilog.
    fn update(&mut self) {}

    fn connect(&mut self) {
        self.sl_ready.connect();
        self.or_ready.connect();
        self.tu_valid.connect();
        self.tu_kind.connect();
        self.tu_x.connect();
        self.tu_y.connect();
        self.tu_log2.connect();
        self.tu_qp.connect();
        self.tu_bypass.connect();
        self.pb_valid.connect();
        self.pb_mode.connect();
        self.pb_run.connect();
        self.pb_cbf.connect();
        self.po_ready.connect();
        self.sd_valid.connect();
        self.sd_pred.connect();
        self.sd_orig.connect();
        self.sd_log2.connect();
        self.sr_ready.connect();
        self.ft_valid.connect();
        self.ft_res.connect();
        self.ft_log2.connect();
        self.ft_dst.connect();
        self.ft_qp.connect();
        self.ft_offset.connect();
        self.fq_ready.connect();
        self.sh_valid.connect();
        self.sh_level.connect();
        self.sh_du.connect();
        self.sh_neg.connect();
        self.sh_last.connect();
        self.sh_log2.connect();
        self.sh_scan.connect();
        self.sh_hide.connect();
        self.so_ready.connect();
        self.cu_valid.connect();
        self.cu_x.connect();
        self.cu_y.connect();
        self.cu_log2.connect();
        self.cu_mode.connect();
        self.cu_cbf.connect();
        self.fw_eng.connect();
        self.lv_valid.connect();
        self.lv_data.connect();
        self.lv_log2.connect();
        self.co_valid.connect();
        self.co_level.connect();
        self.co_pos.connect();
        self.co_end.connect();
        self.err.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Wrapper(Wrapper { code: body(&self.cfg.0), cores: crate::common::ram_module() })
    }
}

/// Why the encoder core cannot be generated for `p`, if it cannot.
pub fn check(p: &golden::Params) -> Result<(), String> {
    let (_, nm) = crate::tu_params(p)?;
    let c = p.bitstream.ctu_size;
    if !matches!(c, 16 | 32 | 64) {
        return Err(format!("bitstream.ctu_size = {c}: the encoder core is generated for 16, 32 or 64"));
    }
    let cu = p.encoder.hw.cu_size as usize;
    if !(8..=nm).contains(&cu) || !cu.is_power_of_two() || cu > c as usize {
        return Err(format!("encoder.hw.cu_size = {cu}: the encoder core codes one TU per CU, so the CU size must be 8..=bitstream.max_tu_size ({nm}) and at most the CTU"));
    }
    let h = &p.encoder.hw;
    if h.modes.is_empty() || h.modes.len() > 35 || h.modes.iter().any(|&m| m > 34) {
        return Err("encoder.hw.modes must be 1..=35 modes of 0..=34".into());
    }
    if !(1..=4).contains(&p.rtl.cabac_engines) {
        return Err(format!("rtl.cabac_engines = {}: the encoder core is generated with 1..=4 entropy engines", p.rtl.cabac_engines));
    }
    if h.rounding_offset > 511 {
        return Err(format!("encoder.hw.rounding_offset = {}: the quantizer takes 0..=511", h.rounding_offset));
    }
    Ok(())
}

/// Generate the control for `p` (module `search`), or why it cannot be.
pub fn generate(p: &golden::Params) -> Result<crate::GeneratedModule, String> {
    check(p)?;
    let (lanes, _) = crate::tu_params(p)?;
    let cfg = Gen(p.clone());
    Ok(match lanes {
        1 => crate::generate(&mut Search::<16, 9, 10, 1> { cfg, ..Default::default() }, "search"),
        2 => crate::generate(&mut Search::<32, 18, 20, 2> { cfg, ..Default::default() }, "search"),
        _ => crate::generate(&mut Search::<64, 36, 40, 4> { cfg, ..Default::default() }, "search"),
    })
}

fn body(p: &golden::Params) -> String {
    let (lanes, nm) = crate::tu_params(p).expect("checked by generate");
    let lp = log2(lanes);
    let lnm = log2(nm);
    let l = p.bitstream.ctu_size.trailing_zeros() as usize;
    let lcu = p.encoder.hw.cu_size.trailing_zeros() as usize;
    let modes = &p.encoder.hw.modes;
    let uw = 2 * (l - 3);
    let ow = 2 * lnm - 2;
    // the unit's x and y inside the CTU: z-order, x in the even bits
    let bits = |odd: usize| (0..l - 3).rev().map(|i| format!("u[{}]", 2 * i + odd)).collect::<Vec<_>>().join(", ");
    // the CU size: the largest aligned size that fits, lcu down to 3
    let mut csz = String::from("3'd3");
    for s in 4..=lcu {
        let al = format!("(ux[{m}:0] == {w}'d0) & (uy[{m}:0] == {w}'d0)", m = s - 4, w = s - 3);
        csz = format!("(({al}) & (xx + 17'd{n} <= {{3'd0, pw}}) & (yy + 17'd{n} <= {{3'd0, ph}})) ? 3'd{s} : {csz}", n = 1 << s);
    }
    let mut mtab = String::from("    function automatic [5:0] mode_at(input [5:0] i);\n        case (i)\n");
    for (i, m) in modes.iter().enumerate() {
        mtab.push_str(&format!("            6'd{i}: mode_at = 6'd{m};\n"));
    }
    mtab.push_str("            default: mode_at = 6'd0;\n        endcase\n    endfunction\n");
    // residual lanes of the gearbox: sub-beat gsub of 4/P, lanes gsub*P + j
    let mut res = Vec::new();
    let mut lvl = Vec::new();
    for j in (0..lanes).rev() {
        res.push(format!("rl[gsel + {j}]"));
        lvl.push(format!("{{{{7{{rl[gsel + {j}][8]}}}}, rl[gsel + {j}]}}"));
    }
    let gsel = match lanes {
        1 => "{1'b0, gsub}",
        2 => "{1'b0, gsub, 1'b0}",
        _ => "3'd0",
    };
    let gsw = if lanes == 4 { 1 } else { 2 - lp };
    // lowest set lane of the scatter mask
    let mut low = String::from("2'd0");
    for j in (0..lanes).rev() {
        low = format!("h_mask[{j}] ? 2'd{j} : {low}");
    }
    let co_lane = match lanes {
        1 => "h_level[15:0]".to_string(),
        2 => "lo[0] ? h_level[31:16] : h_level[15:0]".to_string(),
        _ => "(lo == 2'd0) ? h_level[15:0] : (lo == 2'd1) ? h_level[31:16] : (lo == 2'd2) ? h_level[47:32] : h_level[63:48]".to_string(),
    };
    let mask_nz = (0..lanes).rev().map(|j| format!("|so_level[{}:{}]", 16 * j + 15, 16 * j)).collect::<Vec<_>>().join(", ");
    let unused = vec!["1'b0".to_string()];
    let vars = [
        ("L", l.to_string()),
        ("UW", uw.to_string()),
        ("UXB", bits(0)),
        ("UYB", bits(1)),
        ("UXW", (l - 3).to_string()),
        ("CSZ", csz),
        ("MODES", mtab),
        ("NMODES1", (modes.len() - 1).to_string()),
        ("NMODES", modes.len().to_string()),
        (
            "PWAITNEXT",
            if modes.len() == 1 {
                // one mode: nothing to decide, straight to the final probe
                format!("                    bmode <= 6'd{};\n                    st <= M_FINAL;\n", modes[0])
            } else {
                "                    st <= M_PROBE;\n".to_string()
            },
        ),
        ("OW", ow.to_string()),
        ("P", lanes.to_string()),
        ("LP", lp.to_string()),
        ("WL", (16 * lanes).to_string()),
        ("WD", (10 * lanes).to_string()),
        ("RES", res.join(", ")),
        ("LVL", lvl.join(", ")),
        ("GSEL", gsel.to_string()),
        ("GSW", gsw.to_string()),
        ("GLAST", if lanes == 4 { "1'b1".to_string() } else { format!("(gsub == {gsw}'d{})", 4 / lanes - 1) }),
        ("LOW", low),
        ("COLANE", co_lane),
        ("MASKNZ", mask_nz),
        ("OFFSET", p.encoder.hw.rounding_offset.to_string()),
        ("KM1", (p.rtl.cabac_engines - 1).to_string()),
        ("UNUSED", unused.join(", ")),
    ];
    subst(TEMPLATE, &vars)
}

const TEMPLATE: &str = r#"
    // search (hw/src/search.rs)
$MODES
    localparam [3:0] M_SLICE = 4'd0, M_WALK = 4'd1, M_REC = 4'd2, M_ORIG = 4'd3, M_PWAIT = 4'd4,
        M_PROBE = 4'd5, M_PAIR = 4'd6, M_SWAIT = 4'd7, M_FINAL = 4'd8, M_RES = 4'd9, M_END = 4'd10,
        M_ERR = 4'd11;
    localparam [1:0] F_IDLE = 2'd0, F_CMD = 2'd1, F_LV = 2'd2, F_DROP = 2'd3;
    reg [3:0] st;
    reg [1:0] fst;
    reg err_r;
    assign err = err_r;
    // slice
    reg [13:0] pw;
    reg [13:0] ph;
    reg [9:0] cx;
    reg [9:0] cy;
    reg [9:0] wctb;
    reg [18:0] addr;
    reg [18:0] aend;
    reg [5:0] qp;
    reg sdh_en;
    reg byp;
    // the entropy engine of the slice being walked, and of the CU in the back end
    reg [1:0] eng;
    reg [1:0] f_eng;
    reg eng_started;
    // the walk
    reg [$UW-1:0] u;
    wire [$UXW-1:0] ux = {$UXB};
    wire [$UXW-1:0] uy = {$UYB};
    wire [16:0] xx = ({7'd0, cx} << $L) | {{(14-$UXW){1'b0}}, ux, 3'd0};
    wire [16:0] yy = ({7'd0, cy} << $L) | {{(14-$UXW){1'b0}}, uy, 3'd0};
    wire inpic = (xx < {3'd0, pw}) & (yy < {3'd0, ph});
    wire [2:0] csz = $CSZ;
    wire [$UW:0] step = inpic ? ({{$UW{1'b0}}, 1'b1} << {csz - 3'd3, 1'b0}) : {{$UW{1'b0}}, 1'b1};
    wire [$UW:0] u_n = {1'b0, u} + step;
    // the CU
    reg [12:0] x0;
    reg [12:0] y0;
    reg [2:0] lg;
    wire [$OW-1:0] nw1 = ~({$OW{1'b1}} << ({lg, 1'b0} - 4'd2));
    reg [$OW-1:0] oi;
    reg [5:0] mi;
    reg [5:0] ri;
    reg [23:0] best;
    reg [5:0] bmode;
    reg dec_pending;
    // the CU in the back end (fwd_tq, sdh, the forwarder)
    reg [12:0] f_x;
    reg [12:0] f_y;
    reg [2:0] f_lg;
    reg [5:0] f_mode;

    // the forwarder's handshake state
    reg pd_done;
    reg cu_done;
    reg fcbf;
    wire f_pb = (fst == F_CMD) & ~pd_done;

    // ---- original buffer ----
    wire [31:0] rd;
    reg ob_v;
    reg [$OW-1:0] ok;
    wire o_we = or_valid & or_ready;
    wire pair = po_valid & ob_v;
    wire consume = po_valid & po_ready;
    wire o_next = consume & (ok != nw1);
    wire pb_main = pb_valid & pb_ready & ~f_pb;
    wire o_start = pb_main & ((st == M_PROBE) | (st == M_FINAL));
    tcgen_ram #(.W(32), .A($OW)) u_orig (.clock(clock), .re(o_start | o_next),
        .ra(o_start ? $OW'd0 : ok + $OW'd1), .rd(rd), .we(o_we), .wa(oi), .wd(or_data),
        .wm(32'hffffffff));
    assign or_ready = (st == M_ORIG);

    // ---- slice and records ----
    assign sl_ready = (st == M_SLICE);
    wire sl_bad = (sl_w == 14'd0) | (sl_h == 14'd0) | (sl_w[2:0] != 3'd0) | (sl_h[2:0] != 3'd0)
        | (sl_end <= sl_addr) | (sl_wctb == 10'd0);
    assign tu_valid = (st == M_REC) | (st == M_END);
    assign tu_kind = (st == M_END) ? 2'd1 : 2'd0;
    assign tu_x = x0;
    assign tu_y = y0;
    assign tu_log2 = lg;
    assign tu_qp = qp;
    assign tu_bypass = byp;

    // ---- probes: the main state machine's, or the forwarder's decision ----
    assign pb_valid = f_pb | (st == M_PROBE) | ((st == M_FINAL) & (fst == F_IDLE));
    assign pb_mode = f_pb ? f_mode : (st == M_FINAL) ? bmode : mode_at(mi);
    assign pb_run = f_pb;
    assign pb_cbf = fcbf;

    // ---- SATD of a probe's prediction ----
    assign sd_valid = (st == M_PAIR) & pair;
    assign sd_pred = po_sample;
    assign sd_orig = rd;
    assign sd_log2 = lg;
    assign sr_ready = 1'b1;

    // ---- the last probe: residual, P per beat, to fwd_tq (or sdh, lossless) ----
    wire signed [8:0] rl [0:3];
    assign rl[0] = $signed({1'b0, rd[7:0]}) - $signed({1'b0, po_sample[7:0]});
    assign rl[1] = $signed({1'b0, rd[15:8]}) - $signed({1'b0, po_sample[15:8]});
    assign rl[2] = $signed({1'b0, rd[23:16]}) - $signed({1'b0, po_sample[23:16]});
    assign rl[3] = $signed({1'b0, rd[31:24]}) - $signed({1'b0, po_sample[31:24]});
    reg [$GSW-1:0] gsub;
    wire [2:0] gsel = $GSEL;
    wire glast = $GLAST;
    wire r_act = (st == M_RES) & pair;
    wire r_dst_ready = byp ? sh_ready : ft_ready;
    assign po_ready = ((st == M_PAIR) & ob_v & sd_ready) | ((st == M_RES) & ob_v & glast & r_dst_ready);
    assign ft_valid = r_act & ~byp;
    assign ft_res = {$RES};
    assign ft_log2 = lg;
    assign ft_dst = (lg == 3'd2);
    assign ft_qp = qp;
    assign ft_offset = 9'd$OFFSET;
    // sdh's input: fwd_tq's levels, or a lossless CU's residual
    wire [$WL-1:0] b_level = {$LVL};
    assign sh_valid = byp ? r_act : fq_valid;
    assign sh_level = byp ? b_level : fq_level;
    assign sh_du = byp ? $WD'd0 : fq_du;
    assign sh_neg = byp ? $P'd0 : fq_neg;
    assign sh_last = byp ? (po_last & glast) : fq_last;
    assign sh_log2 = f_lg;
    assign sh_scan = ((f_lg == 3'd2) | (f_lg == 3'd3)) ? (((f_mode >= 6'd6) & (f_mode <= 6'd14)) ? 2'd2
        : ((f_mode >= 6'd22) & (f_mode <= 6'd30)) ? 2'd1 : 2'd0) : 2'd0;
    assign sh_hide = sdh_en & ~byp;
    assign fq_ready = ~byp & sh_ready;

    // ---- the forwarder: sdh's levels to syn_enc and recon ----
    reg h_v;
    reg [$WL-1:0] h_level;
    reg h_last;
    reg [$P-1:0] h_mask;
    reg h_lv;
    reg h_end;
    reg [9:0] h_base;
    reg [9:0] f_pos;
    wire h_free;
    assign so_ready = ((fst == F_LV) & (~h_v | (h_free & ~h_last))) | (fst == F_DROP);
    wire so_fire = so_valid & so_ready;
    assign cu_valid = (fst == F_CMD) & ~cu_done;
    assign cu_x = f_x;
    assign cu_y = f_y;
    assign cu_log2 = f_lg;
    assign cu_mode = f_mode;
    assign cu_cbf = fcbf;
    assign fw_eng = f_eng;
    assign lv_valid = h_v & h_lv;
    assign lv_data = h_level;
    assign lv_log2 = f_lg;
    wire [1:0] lo = $LOW;
    wire h_scat = h_mask != $P'd0;
    assign co_valid = h_v & (h_scat | (h_last & ~h_end));
    assign co_level = $COLANE;
    assign co_pos = h_base + {8'd0, lo};
    assign co_end = ~h_scat;
    wire co_fire = co_valid & co_ready;
    wire [$P-1:0] h_mask_n = (co_fire & h_scat) ? (h_mask & ~($P'd1 << lo)) : h_mask;
    wire h_lv_n = h_lv & ~(lv_valid & lv_ready);
    wire h_end_n = h_end | (co_fire & ~h_scat);
    assign h_free = h_v & ~h_lv_n & (h_mask_n == $P'd0) & (~h_last | h_end_n);
    wire unused_ok = &{$UNUSED};

    always @(posedge clock) begin
        if (reset) begin
            st <= M_SLICE;
            fst <= F_IDLE;
            err_r <= 1'b0;
            ob_v <= 1'b0;
            dec_pending <= 1'b0;
            h_v <= 1'b0;
            gsub <= $GSW'd0;
            eng <= 2'd0;
            f_eng <= 2'd0;
            eng_started <= 1'b0;
        end else begin
            // the original buffer's read port
            if (o_start) begin
                ok <= $OW'd0;
                ob_v <= 1'b1;
            end else if (consume) begin
                if (o_next) ok <= ok + $OW'd1;
                else ob_v <= 1'b0;
            end
            if (r_act & r_dst_ready) gsub <= glast ? $GSW'd0 : gsub + $GSW'd1;
            // SATD results, in probe order, while the next probe runs
            if (sr_valid) begin
                if ((ri == 6'd0) | (sr_satd < best)) begin
                    best <= sr_satd;
                    bmode <= mode_at(ri);
                end
                ri <= ri + 6'd1;
            end
            // the forwarder
            case (fst)
                F_IDLE: if (so_valid) begin
                    fcbf <= so_cbf;
                    cu_done <= 1'b0;
                    pd_done <= 1'b0;
                    fst <= F_CMD;
                end
                F_CMD: begin
                    if (cu_valid & cu_ready) cu_done <= 1'b1;
                    if (f_pb & pb_ready) begin
                        pd_done <= 1'b1;
                        dec_pending <= 1'b0;
                    end
                    if ((cu_done | cu_ready) & (pd_done | pb_ready)) begin
                        fst <= fcbf ? F_LV : F_DROP;
                        f_pos <= 10'd0;
                    end
                end
                F_LV: begin
                    if (h_v) begin
                        h_mask <= h_mask_n;
                        h_lv <= h_lv_n;
                        h_end <= h_end_n;
                        if (h_free) begin
                            h_v <= 1'b0;
                            if (h_last) fst <= F_IDLE;
                        end
                    end
                    // a beat is taken as the one before leaves (one per cycle)
                    if (so_fire) begin
                        h_v <= 1'b1;
                        h_level <= so_level;
                        h_last <= so_last;
                        h_mask <= {$MASKNZ};
                        h_lv <= 1'b1;
                        h_end <= 1'b0;
                        h_base <= f_pos;
                        f_pos <= f_pos + 10'd$P;
                    end
                end
                F_DROP: if (so_fire & so_last) fst <= F_IDLE;
                default: fst <= F_IDLE;
            endcase
            // the main state machine
            case (st)
                M_SLICE: if (sl_valid) begin
                    if (sl_bad) begin
                        err_r <= 1'b1;
                        st <= M_ERR;
                    end else begin
                        pw <= sl_w;
                        ph <= sl_h;
                        cx <= sl_ctbx;
                        cy <= sl_ctby;
                        wctb <= sl_wctb;
                        addr <= sl_addr;
                        aend <= sl_end;
                        qp <= sl_qp;
                        sdh_en <= sl_sdh;
                        byp <= sl_byp;
                        u <= $UW'd0;
                        // slice k on engine k mod K
                        eng_started <= 1'b1;
                        if (eng_started) eng <= (eng == 2'd$KM1) ? 2'd0 : eng + 2'd1;
                        st <= M_WALK;
                    end
                end
                M_WALK: if (addr == aend) st <= M_END;
                else begin
                    if (inpic) begin
                        x0 <= xx[12:0];
                        y0 <= yy[12:0];
                        lg <= csz;
                        st <= M_REC;
                    end
                    u <= u_n[$UW-1:0];
                    if (u_n[$UW]) begin
                        addr <= addr + 19'd1;
                        if (cx + 10'd1 == wctb) begin
                            cx <= 10'd0;
                            cy <= cy + 10'd1;
                        end else cx <= cx + 10'd1;
                    end
                end
                M_REC: if (tu_ready) begin
                    oi <= $OW'd0;
                    st <= M_ORIG;
                end
                M_ORIG: if (o_we) begin
                    oi <= oi + $OW'd1;
                    if (oi == nw1) st <= M_PWAIT;
                end
                M_PWAIT: if (~dec_pending) begin
                    mi <= 6'd0;
                    ri <= 6'd0;
$PWAITNEXT                end
                M_PROBE: if (pb_main) st <= M_PAIR;
                // the next probe starts as soon as this one's prediction is in satd
                M_PAIR: if (consume & po_last) begin
                    if (mi == 6'd$NMODES1) st <= M_SWAIT;
                    else begin
                        mi <= mi + 6'd1;
                        st <= M_PROBE;
                    end
                end
                M_SWAIT: if (ri == 6'd$NMODES) st <= M_FINAL;
                M_FINAL: if (pb_main) begin
                    f_x <= x0;
                    f_y <= y0;
                    f_lg <= lg;
                    f_mode <= bmode;
                    f_eng <= eng;
                    dec_pending <= 1'b1;
                    st <= M_RES;
                end
                M_RES: if (consume & po_last) st <= M_WALK;
                M_END: if (tu_ready) st <= M_SLICE;
                M_ERR: st <= M_ERR;
                default: begin
                    err_r <= 1'b1;
                    st <= M_ERR;
                end
            endcase
        end
    end
"#;
