//! `syn_dec`: the decoder core's syntax decoder: slice data of one slice segment in,
//! one record per transform block and the levels of each coded block out. The
//! CU-level state machine (coding quadtree with split_cu_flag contexts from neighbour
//! depths, cu_transquant_bypass_flag, part_mode, prev_intra_luma_pred_flag, mpm_idx and
//! rem_intra_luma_pred_mode with the most-probable-mode derivation of 8.4.2,
//! intra_chroma_pred_mode, transform tree with split_transform_flag and cbf_cb /
//! cbf_cr / cbf_luma, end_of_slice_segment_flag) drives an instance of
//! [`crate::res_dec`] (module `syn_dec_res_dec`), which parses every residual and owns
//! the engine and the context memory. golden/'s `decode_traced` records are the
//! reference, record for record and level for level.
//!
//! Subset (the host checks the parameter sets and refuses other streams; the core
//! raises `err` on what it can see): intra slices, min CB 8, min TB 4, CTU size fixed
//! by the configuration, no PCM, no transform skip, no cu_qp_delta, 4:2:0 or 4:0:0,
//! 8-bit; WPP or not. With WPP the one parser decodes the rows in order: it stores the
//! contexts after each row's second CTB and restores them at the next row's start
//! (res_dec op 3), 2 x 137 cycles per row. The host parses parameter sets and the
//! slice header (golden::decoder::slices) and hands the core the slice's fields below
//! and its slice data bytes (emulation prevention removed).
//!
//! Ports (synchronous to `clock`; `reset` synchronous, active high, before each slice):
//! - `sl_valid`, `sl_ready`: one slice command: `sl_w`, `sl_h` (14: picture size in
//!   luma samples, multiples of 8), `sl_ctbx`, `sl_ctby` (10: the slice's first CTB),
//!   `sl_addr` (19: its address), `sl_wctb` (10: CTBs per row), `sl_nctb` (19: CTBs per
//!   picture), `sl_qp` (6: SliceQpY), `sl_qpc` (6: the chroma QP, table 8-10 applied),
//!   `sl_sdh` (1: sign_data_hiding_enabled_flag), `sl_tqb` (1:
//!   transquant_bypass_enabled_flag), `sl_chroma` (1: 4:2:0, else 4:0:0), `sl_maxtb`
//!   (3: log2 of the largest TB), `sl_tudepth` (3: max_transform_hierarchy_depth_intra),
//!   `sl_log2ctb` (3: must equal the generated CTU size, else `err`), `sl_wpp` (1:
//!   entropy_coding_sync_enabled_flag: the slice data holds one substream per CTU row,
//!   back to back; the core finds each start itself, after end_of_subset_one_bit and
//!   the alignment bits, as golden/ does, so the entry points are not needed).
//! - `bs_valid`, `bs_ready`, `bs_byte` (8), `bs_last`: the slice data bytes.
//! - `tu_valid`, `tu_ready`, `tu_kind` (2: 0 a transform block, 1 the end of the slice,
//!   2 an error), `tu_x`, `tu_y` (13: position in its component's samples), `tu_log2`
//!   (3), `tu_cidx` (2), `tu_mode` (6: intra prediction mode), `tu_qp` (6), `tu_bypass`
//!   (1: cu_transquant_bypass), `tu_cbf` (1: a group of levels follows on `co_*`).
//! - `co_valid`, `co_ready`, `co_level` (signed 16), `co_pos` (10: raster y*N+x),
//!   `co_end` (1: the end of a block's group; no level): the levels of each coded block
//!   in decoding order, in the order of the records.
//! - `err` (1): sticky; set with the one kind-2 record that ends the output.
//!
//! Micro-architecture: the state machine issues single-bin commands to the parser and
//! waits for each bin (3 cycles per CU-level bin); residuals run at the parser's speed
//! (about one bin per cycle) while the state machine waits for the next command slot.
//! Neighbour state: intra modes of the left column and the top row of the current CTU
//! (per 4 samples; the top row reset to DC at each CTU, the left column carried to the
//! next CTU), CU depths of the left column and the top row (per 8 samples), and a line
//! buffer of the bottom-row depths of each CTU column for the next CTU row (a
//! `tcgen_ram` macro, [`memories`], read one cycle ahead of S_CTU: no extra cycle; it
//! was 2,048 flip-flops at CTU 32).
//!
//! A rust-hdl Verilog wrapper; Verilator is the proof.

use rust_hdl_core::prelude::*;

/// The syntax decoder for a CTU of 2^`L` luma samples (4..=6).
#[derive(LogicBlock, Default)]
pub struct SynDec<const L: u32> {
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
    pub sl_wpp: Signal<In, Bit>,
    pub bs_valid: Signal<In, Bit>,
    pub bs_ready: Signal<Out, Bit>,
    pub bs_byte: Signal<In, Bits<8>>,
    pub bs_last: Signal<In, Bit>,
    pub tu_valid: Signal<Out, Bit>,
    pub tu_ready: Signal<In, Bit>,
    pub tu_kind: Signal<Out, Bits<2>>,
    pub tu_x: Signal<Out, Bits<13>>,
    pub tu_y: Signal<Out, Bits<13>>,
    pub tu_log2: Signal<Out, Bits<3>>,
    pub tu_cidx: Signal<Out, Bits<2>>,
    pub tu_mode: Signal<Out, Bits<6>>,
    pub tu_qp: Signal<Out, Bits<6>>,
    pub tu_bypass: Signal<Out, Bit>,
    pub tu_cbf: Signal<Out, Bit>,
    pub co_valid: Signal<Out, Bit>,
    pub co_ready: Signal<In, Bit>,
    pub co_level: Signal<Out, Signed<16>>,
    pub co_pos: Signal<Out, Bits<10>>,
    pub co_end: Signal<Out, Bit>,
    pub err: Signal<Out, Bit>,
}

impl<const L: u32> Logic for SynDec<L> {
    /// No rust-hdl simulation model: Verilator runs the generated Verilog.
    fn update(&mut self) {}

    fn connect(&mut self) {
        self.sl_ready.connect();
        self.bs_ready.connect();
        self.tu_valid.connect();
        self.tu_kind.connect();
        self.tu_x.connect();
        self.tu_y.connect();
        self.tu_log2.connect();
        self.tu_cidx.connect();
        self.tu_mode.connect();
        self.tu_qp.connect();
        self.tu_bypass.connect();
        self.tu_cbf.connect();
        self.co_valid.connect();
        self.co_level.connect();
        self.co_pos.connect();
        self.co_end.connect();
        self.err.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Wrapper(Wrapper { code: body(L), cores: res_dec_core() })
    }
}

/// The memory macro of `syn_dec` itself (beside its `res_dec`'s): the CU depths of
/// each CTB column's bottom row for the CTB row below, 2 bits per 8 samples, for
/// pictures up to 8192 wide: (instance, words, bits per word).
pub fn memories(log2_ctb: u32) -> Vec<(String, u64, u32)> {
    vec![("u_abuf (bottom-row CU depths per CTB column)".into(), 8192u64 >> log2_ctb, 2 << log2_ctb.saturating_sub(3))]
}

/// The residual parser as a module of its own name inside this block's file.
fn res_dec_core() -> String {
    let m = crate::generate(&mut crate::res_dec::ResDec::default(), "syn_dec_res_dec");
    // a second module in this block's file: the one lint waiver of the design
    crate::common::in_file("the residual parser (hw/src/res_dec.rs) as a module of this file", &m.verilog)
}

fn body(log2_ctb: u32) -> String {
    use golden::cabac::Contexts as C;
    let n4 = 1usize << (log2_ctb - 2);
    let n8 = 1usize << (log2_ctb - 3);
    let vars = [
        ("TUFIFODECL", crate::common::out_fifo_decl("47", "tu_ready")),
        ("TUFIFOUPD", crate::common::out_fifo_update("tpush", "tpush_data")),
        ("LOG2CTB", log2_ctb.to_string()),
        ("N4M1", (n4 - 1).to_string()),
        ("N8M1", (n8 - 1).to_string()),
        ("N4", n4.to_string()),
        ("N8", n8.to_string()),
        ("I4", (log2_ctb - 2).to_string()),
        ("I8", (log2_ctb - 3).to_string()),
        ("DW", (2 * n8).to_string()),
        ("AB", (13 - log2_ctb).to_string()),
        ("MASKS", masks(n4, n8, log2_ctb)),
        ("MPMDERIVE", MPM_DERIVE.to_string()),
        ("TDEPCAT", (0..n8).rev().map(|i| format!("tdep[{i}]")).collect::<Vec<_>>().join(", ")),
        ("C_SPLIT_CU", C::SPLIT_CU.to_string()),
        ("C_TQB", C::TRANSQUANT_BYPASS.to_string()),
        ("C_PART", C::PART_MODE.to_string()),
        ("C_PREV", C::PREV_INTRA.to_string()),
        ("C_CHROMA", C::CHROMA_PRED.to_string()),
        ("C_SPLIT_TU", C::SPLIT_TU.to_string()),
        ("C_CBF_LUMA", C::CBF_LUMA.to_string()),
        ("C_CBF_CHROMA", C::CBF_CHROMA.to_string()),
    ];
    expand_ask(&crate::common::subst(TEMPLATE, &vars))
}

/// Per-entry write enables of the neighbour buffers (an entry is written when its
/// index lies in [start, start + size) of the CU or PU).
fn masks(n4: usize, n8: usize, log2_ctb: u32) -> String {
    let (i4, i8) = (log2_ctb - 2, log2_ctb - 3);
    let mut s = String::new();
    for i in 0..n8 {
        s.push_str(&format!(
            "    assign ldep_we[{i}] = ({w}'d{i} >= {{1'b0, cy8}}) & ({w}'d{i} < {{1'b0, cy8}} + csz8);\n    assign tdep_we[{i}] = ({w}'d{i} >= {{1'b0, cx8}}) & ({w}'d{i} < {{1'b0, cx8}} + csz8);\n",
            w = i8 + 1
        ));
    }
    for i in 0..n4 {
        s.push_str(&format!(
            "    assign lmode_we[{i}] = ({w}'d{i} >= {{1'b0, py4}}) & ({w}'d{i} < {{1'b0, py4}} + psz4);\n    assign tmode_we[{i}] = ({w}'d{i} >= {{1'b0, px4}}) & ({w}'d{i} < {{1'b0, px4}} + psz4);\n",
            w = i4 + 1
        ));
    }
    s
}

/// `ask(E, K, C);` in the template: request one bin of element E, kind K on context C
/// and wait for it (expanded here: yosys and Verilator both take the plain statements).
fn expand_ask(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut rest = t;
    while let Some(i) = rest.find("ask(") {
        out.push_str(&rest[..i]);
        let args_start = i + 4;
        let mut depth = 0;
        let mut end = args_start;
        let mut args = Vec::new();
        let mut last = args_start;
        for (k, c) in rest[args_start..].char_indices() {
            let k = k + args_start;
            match c {
                '(' | '{' => depth += 1,
                '}' => depth -= 1,
                ')' if depth == 0 => {
                    args.push(rest[last..k].trim().to_string());
                    end = k;
                    break;
                }
                ')' => depth -= 1,
                ',' if depth == 0 => {
                    args.push(rest[last..k].trim().to_string());
                    last = k + 1;
                }
                _ => {}
            }
        }
        assert_eq!(args.len(), 3, "ask() takes 3 arguments");
        out.push_str(&format!(
            "begin el <= {}; c_valid <= 1'b1; c_op <= 2'd2; c_kind <= {}; c_ctx <= {}; st <= S_SEND; ret <= S_WAIT; end",
            args[0], args[1], args[2]
        ));
        // skip ");"
        rest = &rest[end + 1..];
        rest = rest.strip_prefix(';').unwrap_or(rest);
    }
    out.push_str(rest);
    out
}

const TEMPLATE: &str = r#"
    // syn_dec (hw/src/syn_dec.rs)
    localparam [4:0] S_IDLE = 5'd0, S_SEND = 5'd1, S_WAIT = 5'd2, S_CTU = 5'd3, S_CQT = 5'd4,
        S_CU = 5'd5, S_PART = 5'd6, S_PREV = 5'd7, S_PU = 5'd8, S_PUW = 5'd9, S_CHR = 5'd10,
        S_TT = 5'd11, S_CBFC = 5'd12, S_LEAF = 5'd13, S_REC = 5'd14, S_RNEXT = 5'd15,
        S_ADVT = 5'd16, S_ADVC = 5'd17, S_ENDB = 5'd19, S_ERRB = 5'd20,
        S_ERR = 5'd21, S_CTUEND = 5'd22, S_REMFIX = 5'd23, S_WEOSS = 5'd24;
    // syntax elements awaiting a bin
    localparam [3:0] E_SPLIT_CU = 4'd0, E_TQB = 4'd1, E_PART = 4'd2, E_PREV = 4'd3, E_MPM = 4'd4,
        E_REM = 4'd5, E_CHR0 = 4'd6, E_CHRB = 4'd7, E_SPLIT_TU = 4'd8, E_CBF_CB = 4'd9,
        E_CBF_CR = 4'd10, E_CBF_L = 4'd11, E_EOS = 4'd12, E_EOSS = 4'd13;

    // ---- the residual parser ----
    reg c_valid;
    reg [1:0] c_op;
    reg [2:0] c_log2;
    reg c_chroma;
    reg [1:0] c_scan;
    reg c_sdh;
    reg [1:0] c_kind;
    reg [7:0] c_ctx;
    wire r_cmd_ready;
    wire r_out_valid;
    wire r_out_ready;
    wire [1:0] r_out_kind;
    wire [15:0] r_out_level;
    wire [9:0] r_out_pos;
    wire r_err;
    reg [5:0] qp;
    syn_dec_res_dec u_res (
        .clock(clock), .reset(reset),
        .bs_valid(bs_valid), .bs_ready(bs_ready), .bs_byte(bs_byte), .bs_last(bs_last),
        .cmd_valid(c_valid), .cmd_ready(r_cmd_ready), .cmd_op(c_op), .cmd_qp(qp), .cmd_log2(c_log2),
        .cmd_chroma(c_chroma), .cmd_scan(c_scan), .cmd_sdh(c_sdh), .cmd_kind(c_kind), .cmd_ctx(c_ctx),
        .out_valid(r_out_valid), .out_ready(r_out_ready), .out_kind(r_out_kind), .out_level(r_out_level),
        .out_pos(r_out_pos), .err(r_err));
    // levels and group ends go out; bins and errors come to the state machine
    assign co_valid = r_out_valid & ~r_out_kind[1];
    assign co_level = r_out_level;
    assign co_pos = r_out_pos;
    assign co_end = r_out_kind[0];
    assign r_out_ready = r_out_kind[1] ? 1'b1 : co_ready;
    wire bin_in = r_out_valid & (r_out_kind == 2'd2);
    wire bin = r_out_level[0];
    wire res_bad = r_out_valid & (r_out_kind == 2'd3);

    // ---- slice configuration ----
    reg [13:0] pw;
    reg [13:0] ph;
    reg [9:0] ctbx;
    reg [9:0] ctby;
    reg [18:0] addr;
    reg [18:0] saddr;
    reg [9:0] wctb;
    reg [18:0] nctb;
    reg [5:0] qpc;
    reg sdh;
    reg tqb;
    reg chroma;
    reg [2:0] maxtb;
    reg [2:0] tudepth;
    reg wpp;
    // at a WPP row start (addr already the row's first CTB): the CTB above-right in the slice
    wire tr_avail = (wctb > 10'd1) & (addr + 19'd1 >= {9'd0, wctb}) & (addr + 19'd1 - {9'd0, wctb} >= saddr);

    // ---- state ----
    reg [4:0] st;
    reg [4:0] ret;
    reg [3:0] el;
    reg err_r;
    reg [1:0] ebit;
    // coding quadtree: position (luma), size, depth, child index per depth
    reg [13:0] cx;
    reg [13:0] cy;
    reg [2:0] clog2;
    reg [1:0] cdepth;
    reg [1:0] ck1;
    reg [1:0] ck2;
    reg [1:0] ck3;
    // coding unit
    reg [13:0] ux;
    reg [13:0] uy;
    reg [2:0] ulog2;
    reg nxn;
    reg byp;
    reg [3:0] prevf;
    reg [1:0] pu;
    reg [5:0] m0;
    reg [5:0] m1;
    reg [5:0] m2;
    reg [5:0] m3;
    reg [5:0] mcur;
    reg [5:0] mp0;
    reg [5:0] mp1;
    reg [5:0] mp2;
    reg [2:0] nbit;
    reg [5:0] cmode;
    // transform tree
    reg [13:0] tx;
    reg [13:0] ty;
    reg [2:0] tlog2;
    reg [2:0] tdepth;
    reg [1:0] tk1;
    reg [1:0] tk2;
    reg [1:0] tk3;
    reg [1:0] tk4;
    reg [1:0] cb0;
    reg [1:0] cb1;
    reg [1:0] cb2;
    reg [1:0] cb3;
    reg [1:0] cbc;
    reg tsplit;
    reg cbfl;
    reg [1:0] comp;
    // neighbours
    reg [5:0] lmode [0:$N4M1];
    reg [5:0] tmode [0:$N4M1];
    reg [1:0] ldep [0:$N8M1];
    reg [1:0] tdep [0:$N8M1];
    reg availl_ctu;
    reg availa_ctu;

$TUFIFODECL
    assign sl_ready = (st == S_IDLE);
    assign err = err_r;

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
    // the current CQT child index
    wire [1:0] ckc = (cdepth == 2'd1) ? ck1 : (cdepth == 2'd2) ? ck2 : ck3;
    wire [13:0] cpx = cx - ({13'd0, ckc[0]} << clog2);
    wire [13:0] cpy = cy - ({13'd0, ckc[1]} << clog2);
    wire [1:0] ckn = ckc + 2'd1;
    wire [13:0] csx = cpx + ({13'd0, ckn[0]} << clog2);
    wire [13:0] csy = cpy + ({13'd0, ckn[1]} << clog2);
    wire sib_in = (csx < pw) & (csy < ph);
    // prediction unit of the CU
    wire [13:0] usize = 14'd1 << ulog2;
    wire [13:0] psz = nxn ? 14'd4 : usize;
    wire [13:0] px = ux + (nxn & pu[0] ? 14'd4 : 14'd0);
    wire [13:0] py = uy + (nxn & pu[1] ? 14'd4 : 14'd0);
    wire px_edge = (px[$LOG2CTB-1:0] == 0);
    wire py_edge = (py[$LOG2CTB-1:0] == 0);
    wire [$I4-1:0] px4 = px[$LOG2CTB-1:2];
    wire [$I4-1:0] py4 = py[$LOG2CTB-1:2];
    wire pavl = (px != 14'd0) & (px_edge ? availl_ctu : 1'b1);
    wire [5:0] ca = pavl ? lmode[py4] : 6'd1;
    wire [5:0] cb = py_edge ? 6'd1 : tmode[px4];
    // most probable modes (8.4.2)
$MPMDERIVE
    // rem_intra_luma_pred_mode: add one for each MPM at or below (ascending order)
    wire [5:0] s0 = (mp0 < mp1) ? ((mp0 < mp2) ? mp0 : mp2) : ((mp1 < mp2) ? mp1 : mp2);
    wire [5:0] s2 = (mp0 > mp1) ? ((mp0 > mp2) ? mp0 : mp2) : ((mp1 > mp2) ? mp1 : mp2);
    wire [5:0] s1 = mp0 + mp1 + mp2 - s0 - s2;
    wire [5:0] r1 = (mcur >= s0) ? mcur + 6'd1 : mcur;
    wire [5:0] r2 = (r1 >= s1) ? r1 + 6'd1 : r1;
    wire [5:0] r3 = (r2 >= s2) ? r2 + 6'd1 : r2;
    // transform tree
    wire [2:0] tmax = tudepth + {2'd0, nxn};
    wire tsplit_coded = (tlog2 <= maxtb) & (tlog2 > 3'd2) & (tdepth < tmax) & ~(nxn & (tdepth == 3'd0));
    wire tsplit_inf = (tlog2 > maxtb) | (nxn & (tdepth == 3'd0));
    wire [1:0] tkc = (tdepth == 3'd1) ? tk1 : (tdepth == 3'd2) ? tk2 : (tdepth == 3'd3) ? tk3 : tk4;
    wire [1:0] pcbf = (tdepth == 3'd1) ? cb0 : (tdepth == 3'd2) ? cb1 : (tdepth == 3'd3) ? cb2 : cb3;
    wire [13:0] tpx = tx - ({13'd0, tkc[0]} << tlog2);
    wire [13:0] tpy = ty - ({13'd0, tkc[1]} << tlog2);
    wire [1:0] tkn = tkc + 2'd1;
    wire chroma_here = chroma & ((tlog2 > 3'd2) | (tkc == 2'd3));
    // luma mode of the TU: its PU's
    wire [1:0] tpu = nxn ? {ty[2], tx[2]} : 2'd0;
    wire [5:0] lmode_t = (tpu == 2'd0) ? m0 : (tpu == 2'd1) ? m1 : (tpu == 2'd2) ? m2 : m3;
    // the record of component comp
    wire [13:0] rx = (comp == 2'd0) ? tx : (tlog2 > 3'd2) ? {1'b0, tx[13:1]} : {1'b0, tpx[13:1]};
    wire [13:0] ry = (comp == 2'd0) ? ty : (tlog2 > 3'd2) ? {1'b0, ty[13:1]} : {1'b0, tpy[13:1]};
    wire [2:0] rlog2 = (comp == 2'd0) ? tlog2 : (tlog2 > 3'd2) ? tlog2 - 3'd1 : 3'd2;
    wire [5:0] rmode = (comp == 2'd0) ? lmode_t : cmode;
    wire rcbf = (comp == 2'd0) ? cbfl : (comp == 2'd1) ? cbc[0] : cbc[1];
    // scanIdx (7.4.9.11): mode-dependent for 4x4 and luma 8x8
    wire scan_md = (rlog2 == 3'd2) | ((rlog2 == 3'd3) & (comp == 2'd0));
    wire [1:0] rscan = ~scan_md ? 2'd0 : ((rmode >= 6'd6) & (rmode <= 6'd14)) ? 2'd2 : ((rmode >= 6'd22) & (rmode <= 6'd30)) ? 2'd1 : 2'd0;

    // neighbour-buffer write masks: the 8-sample rows/columns of the CU, the 4-sample
    // rows/columns of the PU (inside the CTU)
    wire [$I8:0] csz8 = csize[$LOG2CTB:3];
    wire [$I4:0] psz4 = psz[$LOG2CTB:2];
    wire [$N8-1:0] ldep_we;
    wire [$N8-1:0] tdep_we;
    wire [$N4-1:0] lmode_we;
    wire [$N4-1:0] tmode_we;
$MASKS
    wire [$DW-1:0] tdep_word = {$TDEPCAT};
    // the line buffer of each CTB column's bottom-row depths (a memory macro): written
    // at the CTB's end, read (registered) in the states S_CTU follows, at the column it
    // will take: the next one while the end_of_slice_segment_flag bin is awaited
    // (S_WAIT), else the current one (S_SEND returning to S_CTU). Read only then (a
    // read every cycle was 0.045 pJ of the decoder core's 0.172 pJ/value of memory
    // access energy)
    wire [$DW-1:0] aword;
    wire [9:0] ctbx_inc = (ctbx + 10'd1 == wctb) ? 10'd0 : ctbx + 10'd1;
    wire [9:0] a_ra = (st == S_WAIT) ? ctbx_inc : ctbx;
    wire a_re = ((st == S_WAIT) & (el == E_EOS)) | ((st == S_SEND) & (ret == S_CTU));
    tcgen_ram #(.W($DW), .A($AB)) u_abuf (.clock(clock), .re(a_re), .ra(a_ra[$AB-1:0]), .rd(aword),
        .we(st == S_CTUEND), .wa(ctbx[$AB-1:0]), .wd(tdep_word), .wm({$DW{1'b1}}));

    // ---- outputs ----
    reg tpush;
    reg [46:0] tpush_data;
    always @(*) begin
        tpush = 1'b0;
        tpush_data = 47'd0;
        if (st == S_REC && o_room) begin
            tpush = 1'b1;
            tpush_data = {2'd0, rx[12:0], ry[12:0], rlog2, comp, rmode, (comp == 2'd0) ? qp : qpc, byp, rcbf};
        end else if (st == S_ENDB && o_room) begin
            tpush = 1'b1;
            tpush_data = {2'd1, 45'd0};
        end else if (st == S_ERRB && o_room) begin
            tpush = 1'b1;
            tpush_data = {2'd2, 45'd0};
        end
    end
$TUFIFOUPD    assign tu_valid = (o_count != 2'd0);
    assign tu_kind = o_d0[46:45];
    assign tu_x = o_d0[44:32];
    assign tu_y = o_d0[31:19];
    assign tu_log2 = o_d0[18:16];
    assign tu_cidx = o_d0[15:14];
    assign tu_mode = o_d0[13:8];
    assign tu_qp = o_d0[7:2];
    assign tu_bypass = o_d0[1];
    assign tu_cbf = o_d0[0];
    wire unused_ok = &{1'b1, a_ra[9:$AB], psz, py, rx[13], ry[13], cpx[13], cpy[13], tpx[0], tpy[0], ca_m[5], ca_p[5], csize[13], usize[13], psz[13]};


    integer i;
    always @(posedge clock) begin
        if (reset) begin
            st <= S_IDLE;
            err_r <= 1'b0;
            c_valid <= 1'b0;
        end else begin
            if (c_valid & r_cmd_ready) c_valid <= 1'b0;
            if ((res_bad | r_err) && st != S_ERR && st != S_ERRB) begin
                st <= S_ERRB;
            end else case (st)
                S_IDLE: if (sl_valid) begin
                    pw <= sl_w;
                    ph <= sl_h;
                    ctbx <= sl_ctbx;
                    ctby <= sl_ctby;
                    addr <= sl_addr;
                    saddr <= sl_addr;
                    wctb <= sl_wctb;
                    nctb <= sl_nctb;
                    qp <= sl_qp;
                    qpc <= sl_qpc;
                    sdh <= sl_sdh;
                    tqb <= sl_tqb;
                    chroma <= sl_chroma;
                    maxtb <= sl_maxtb;
                    tudepth <= sl_tudepth;
                    wpp <= sl_wpp;
                    if (sl_log2ctb != 3'd$LOG2CTB || sl_maxtb < 3'd2 || sl_maxtb > 3'd5 || sl_w == 14'd0 || sl_h == 14'd0) st <= S_ERRB;
                    else begin
                        c_valid <= 1'b1;
                        c_op <= 2'd0;
                        st <= S_SEND;
                        ret <= S_CTU;
                    end
                end
                S_SEND: if (r_cmd_ready) st <= ret;
                S_CTU: begin
                    cx <= {4'd0, ctbx} << $LOG2CTB;
                    cy <= {4'd0, ctby} << $LOG2CTB;
                    clog2 <= 3'd$LOG2CTB;
                    cdepth <= 2'd0;
                    availl_ctu <= (ctbx != 10'd0) & (addr != 19'd0) & (addr - 19'd1 >= saddr);
                    availa_ctu <= (ctby != 10'd0) & (addr >= {9'd0, wctb}) & (addr - {9'd0, wctb} >= saddr);
                    for (i = 0; i < $N4; i = i + 1) tmode[i] <= 6'd1;
                    for (i = 0; i < $N8; i = i + 1) tdep[i] <= aword[2*i +: 2];
                    st <= S_CQT;
                end
                S_CQT: begin
                    if (in_pic && clog2 > 3'd3) ask(E_SPLIT_CU, 2'd0, 8'd$C_SPLIT_CU + {6'd0, split_inc});
                    else if (clog2 > 3'd3) begin
                        // implicit split across the picture edge; child 0 is inside
                        clog2 <= clog2 - 3'd1;
                        cdepth <= cdepth + 2'd1;
                        if (cdepth == 2'd0) ck1 <= 2'd0;
                        else if (cdepth == 2'd1) ck2 <= 2'd0;
                        else ck3 <= 2'd0;
                    end else st <= S_CU;
                end
                S_CU: begin
                    ux <= cx;
                    uy <= cy;
                    ulog2 <= clog2;
                    nxn <= 1'b0;
                    byp <= 1'b0;
                    pu <= 2'd0;
                    // CU depth into the neighbour buffers
                    for (i = 0; i < $N8; i = i + 1) begin
                        if (ldep_we[i]) ldep[i] <= cdepth;
                        if (tdep_we[i]) tdep[i] <= cdepth;
                    end
                    if (tqb) ask(E_TQB, 2'd0, 8'd$C_TQB);
                    else st <= S_PART;
                end
                S_PART: if (ulog2 == 3'd3) ask(E_PART, 2'd0, 8'd$C_PART);
                    else begin
                        st <= S_PREV;
                        pu <= 2'd0;
                    end
                S_PREV: ask(E_PREV, 2'd0, 8'd$C_PREV);
                S_PU: begin
                    mp0 <= mpa;
                    mp1 <= mpb;
                    mp2 <= mpc;
                    mcur <= 6'd0;
                    nbit <= 3'd0;
                    if (prevf[pu]) ask(E_MPM, 2'd1, 8'd0);
                    else ask(E_REM, 2'd1, 8'd0);
                end
                S_PUW: begin
                    // the PU's mode into the neighbour buffers, then the next PU
                    for (i = 0; i < $N4; i = i + 1) begin
                        if (lmode_we[i]) lmode[i] <= mcur;
                        if (tmode_we[i]) tmode[i] <= mcur;
                    end
                    case (pu)
                        2'd0: m0 <= mcur;
                        2'd1: m1 <= mcur;
                        2'd2: m2 <= mcur;
                        default: m3 <= mcur;
                    endcase
                    if (!nxn) begin
                        m1 <= mcur;
                        m2 <= mcur;
                        m3 <= mcur;
                    end
                    if (nxn && pu != 2'd3) begin
                        pu <= pu + 2'd1;
                        st <= S_PU;
                    end else if (chroma) ask(E_CHR0, 2'd0, 8'd$C_CHROMA);
                    else begin
                        cmode <= 6'd0;
                        st <= S_TT;
                        tx <= ux;
                        ty <= uy;
                        tlog2 <= ulog2;
                        tdepth <= 3'd0;
                    end
                end
                S_TT: begin
                    if (tsplit_coded) ask(E_SPLIT_TU, 2'd0, 8'd$C_SPLIT_TU + {5'd0, 3'd5 - tlog2});
                    else begin
                        tsplit <= tsplit_inf;
                        st <= S_CBFC;
                        cbc <= 2'd0;
                    end
                end
                S_CBFC: begin
                    // cbf_cb then cbf_cr (ebit), where coded; 4x4 luma inherits the parent's
                    if (!chroma) begin
                        cbc <= 2'd0;
                        st <= S_LEAF;
                    end else if (tlog2 == 3'd2) begin
                        cbc <= pcbf;
                        st <= S_LEAF;
                    end else if (ebit == 2'd0) begin
                        if (tdepth == 3'd0 || pcbf[0]) ask(E_CBF_CB, 2'd0, 8'd$C_CBF_CHROMA + {5'd0, tdepth});
                        else ebit <= 2'd1;
                    end else begin
                        if (tdepth == 3'd0 || pcbf[1]) ask(E_CBF_CR, 2'd0, 8'd$C_CBF_CHROMA + {5'd0, tdepth});
                        else begin
                            ebit <= 2'd0;
                            st <= S_LEAF;
                        end
                    end
                end
                S_LEAF: begin
                    ebit <= 2'd0;
                    // the chroma cbfs of this node are the parent's of its children
                    case (tdepth)
                        3'd0: cb0 <= cbc;
                        3'd1: cb1 <= cbc;
                        3'd2: cb2 <= cbc;
                        3'd3: cb3 <= cbc;
                        default: ;
                    endcase
                    if (tsplit) begin
                        tlog2 <= tlog2 - 3'd1;
                        tdepth <= tdepth + 3'd1;
                        case (tdepth)
                            3'd0: tk1 <= 2'd0;
                            3'd1: tk2 <= 2'd0;
                            3'd2: tk3 <= 2'd0;
                            default: tk4 <= 2'd0;
                        endcase
                        st <= S_TT;
                    end else ask(E_CBF_L, 2'd0, 8'd$C_CBF_LUMA + {7'd0, tdepth == 3'd0});
                end
                S_REC: if (o_room) begin
                    if (rcbf) begin
                        c_valid <= 1'b1;
                        c_op <= 2'd1;
                        c_log2 <= rlog2;
                        c_chroma <= (comp != 2'd0);
                        c_scan <= rscan;
                        c_sdh <= sdh & ~byp;
                        st <= S_SEND;
                        ret <= S_RNEXT;
                    end else st <= S_RNEXT;
                end
                S_RNEXT: begin
                    if (comp == 2'd0 && chroma_here) begin
                        comp <= 2'd1;
                        st <= S_REC;
                    end else if (comp == 2'd1) begin
                        comp <= 2'd2;
                        st <= S_REC;
                    end else st <= S_ADVT;
                end
                S_ADVT: begin
                    if (tdepth == 3'd0) st <= S_ADVC;
                    else if (tkc != 2'd3) begin
                        tx <= tpx + ({13'd0, tkn[0]} << tlog2);
                        ty <= tpy + ({13'd0, tkn[1]} << tlog2);
                        case (tdepth)
                            3'd1: tk1 <= tkn;
                            3'd2: tk2 <= tkn;
                            3'd3: tk3 <= tkn;
                            default: tk4 <= tkn;
                        endcase
                        st <= S_TT;
                    end else begin
                        tx <= tpx;
                        ty <= tpy;
                        tlog2 <= tlog2 + 3'd1;
                        tdepth <= tdepth - 3'd1;
                    end
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
                S_CTUEND: begin
                    ask(E_EOS, 2'd2, 8'd0);
                end
                S_WAIT: if (bin_in) begin
                    case (el)
                        E_SPLIT_CU: begin
                            if (bin) begin
                                clog2 <= clog2 - 3'd1;
                                cdepth <= cdepth + 2'd1;
                                if (cdepth == 2'd0) ck1 <= 2'd0;
                                else if (cdepth == 2'd1) ck2 <= 2'd0;
                                else ck3 <= 2'd0;
                                st <= S_CQT;
                            end else st <= S_CU;
                        end
                        E_TQB: begin
                            byp <= bin;
                            st <= S_PART;
                        end
                        E_PART: begin
                            nxn <= ~bin;
                            st <= S_PREV;
                            pu <= 2'd0;
                        end
                        E_PREV: begin
                            prevf[pu] <= bin;
                            if (nxn && pu != 2'd3) begin
                                pu <= pu + 2'd1;
                                st <= S_PREV;
                            end else begin
                                pu <= 2'd0;
                                st <= S_PU;
                            end
                        end
                        E_MPM: begin
                            // mpm_idx: truncated unary, at most 2 bins
                            if (!bin || nbit == 3'd1) begin
                                mcur <= (nbit == 3'd0) ? mp0 : bin ? mp2 : mp1;
                                st <= S_PUW;
                            end else begin
                                nbit <= nbit + 3'd1;
                                ask(E_MPM, 2'd1, 8'd0);
                            end
                        end
                        E_REM: begin
                            mcur <= {mcur[4:0], bin};
                            if (nbit == 3'd4) st <= S_REMFIX;
                            else begin
                                nbit <= nbit + 3'd1;
                                ask(E_REM, 2'd1, 8'd0);
                            end
                        end
                        E_CHR0: begin
                            if (bin) begin
                                nbit <= 3'd0;
                                mcur <= 6'd0;
                                ask(E_CHRB, 2'd1, 8'd0);
                            end else begin
                                cmode <= m0;
                                st <= S_TT;
                                tx <= ux;
                                ty <= uy;
                                tlog2 <= ulog2;
                                tdepth <= 3'd0;
                            end
                        end
                        E_CHRB: begin
                            if (nbit == 3'd0) begin
                                mcur <= {5'd0, bin};
                                nbit <= 3'd1;
                                ask(E_CHRB, 2'd1, 8'd0);
                            end else begin
                                st <= S_CHR;
                                mcur <= {mcur[4:0], bin};
                            end
                        end
                        E_SPLIT_TU: begin
                            tsplit <= bin;
                            cbc <= 2'd0;
                            st <= S_CBFC;
                        end
                        E_CBF_CB: begin
                            cbc[0] <= bin;
                            ebit <= 2'd1;
                            st <= S_CBFC;
                        end
                        E_CBF_CR: begin
                            cbc[1] <= bin;
                            ebit <= 2'd0;
                            st <= S_LEAF;
                        end
                        E_CBF_L: begin
                            cbfl <= bin;
                            comp <= 2'd0;
                            st <= S_REC;
                        end
                        E_EOSS: begin
                            // end_of_subset_one_bit, then the next substream: contexts
                            // from the storage when the CTB above-right is in the slice
                            if (~bin) st <= S_ERRB;
                            else begin
                                c_valid <= 1'b1;
                                c_op <= 2'd3;
                                c_kind <= tr_avail ? 2'd2 : 2'd1;
                                st <= S_SEND;
                                ret <= S_CTU;
                            end
                        end
                        default: begin
                            // end_of_slice_segment_flag
                            if (bin) st <= S_ENDB;
                            else if (addr + 19'd1 >= nctb) st <= S_ERRB;
                            else begin
                                addr <= addr + 19'd1;
                                if (ctbx + 10'd1 == wctb) begin
                                    ctbx <= 10'd0;
                                    ctby <= ctby + 10'd1;
                                end else ctbx <= ctbx + 10'd1;
                                if (wpp & (ctbx == 10'd1)) begin
                                    // WPP storage after the second CTB of a row (9.3.2.3)
                                    c_valid <= 1'b1;
                                    c_op <= 2'd3;
                                    c_kind <= 2'd3;
                                    st <= S_SEND;
                                    ret <= (ctbx + 10'd1 == wctb) ? S_WEOSS : S_CTU;
                                end else st <= (wpp & (ctbx + 10'd1 == wctb)) ? S_WEOSS : S_CTU;
                            end
                        end
                    endcase
                end
                S_CHR: begin
                    // intra_chroma_pred_mode 0..3 -> planar, vertical, horizontal, DC; 34 if equal to luma
                    case (mcur[1:0])
                        2'd0: cmode <= (m0 == 6'd0) ? 6'd34 : 6'd0;
                        2'd1: cmode <= (m0 == 6'd26) ? 6'd34 : 6'd26;
                        2'd2: cmode <= (m0 == 6'd10) ? 6'd34 : 6'd10;
                        default: cmode <= (m0 == 6'd1) ? 6'd34 : 6'd1;
                    endcase
                    st <= S_TT;
                    tx <= ux;
                    ty <= uy;
                    tlog2 <= ulog2;
                    tdepth <= 3'd0;
                end
                S_WEOSS: ask(E_EOSS, 2'd2, 8'd0);
                S_REMFIX: begin
                    mcur <= r3;
                    st <= S_PUW;
                end
                S_ENDB: if (o_room) st <= S_IDLE;
                S_ERRB: if (o_room) begin
                    err_r <= 1'b1;
                    st <= S_ERR;
                end
                S_ERR: st <= S_ERR;
                default: st <= S_ERRB;
            endcase
        end
    end
"#;

/// Shared with `syn_enc`: the most probable modes (8.4.2) `mpa`, `mpb`, `mpc` from the
/// neighbour candidates `ca`, `cb`.
pub(crate) const MPM_DERIVE: &str = r#"    wire [5:0] ca_m = ca + 6'd29;
    wire [5:0] ca_p = ca - 6'd1;
    reg [5:0] mpa;
    reg [5:0] mpb;
    reg [5:0] mpc;
    always @(*) begin
        if (ca == cb) begin
            if (ca < 6'd2) begin
                mpa = 6'd0; mpb = 6'd1; mpc = 6'd26;
            end else begin
                mpa = ca;
                mpb = 6'd2 + {1'b0, ca_m[4:0]};
                mpc = 6'd2 + {1'b0, ca_p[4:0]};
            end
        end else begin
            mpa = ca;
            mpb = cb;
            mpc = ((ca != 6'd0) & (cb != 6'd0)) ? 6'd0 : ((ca != 6'd1) & (cb != 6'd1)) ? 6'd1 : 6'd26;
        end
    end"#;
