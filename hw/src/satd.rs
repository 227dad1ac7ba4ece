//! `satd`: the Hadamard SATD of a prediction error, the hardware strategy's intra mode
//! cost (`golden::encoder::search::satd`, HM's normalization): 4x4 blocks as one 4x4
//! Hadamard, (sum + 1) >> 1; larger blocks as 8x8 tiles, (sum + 2) >> 2 per tile,
//! summed. It sits beside `intra_pred`, whose 4 samples per cycle it takes with the
//! original samples of the same positions.
//!
//! Ports (synchronous to `clock`; `reset` synchronous, active high):
//! - `in_valid`, `in_ready`; `in_pred`, `in_orig` (4 x 8, sample k in bits 8k..8k+7):
//!   one NxN block in raster order, 4 samples per beat, N^2/4 beats; `in_log2` (3,
//!   2..=log2 of the largest TU) sampled at a block's first beat.
//! - `out_valid`, `out_ready`, `out_satd` (24): the block's SATD, one beat per block.
//!
//! Micro-architecture: the difference of each beat goes through an 8-point Hadamard
//! butterfly of the row (with the previous beat's half row; a 4x4 block's row padded with
//! zeros, which gives the 4-point transform on lanes 0..3), into
//! one of two band banks (a band: the 8 transformed rows of the NM/8 tiles side by side,
//! or the 4 rows of a 4x4 block; 2 x NM/8 x 8 x 96 bits). A finished band is a job for
//! the column unit, which transforms one column of one tile per cycle (one 8-point
//! butterfly, 8 absolute values), normalizes each tile's sum and adds it to the block's
//! total; the next band fills the other bank meanwhile (a band of an NxN block arrives in
//! 2N cycles, its columns take N). One job can wait for the unit. The input stalls only
//! when a band would start in a bank whose job is not done, which happens when a small
//! block follows a large one; `in_ready` depends on registers only. One fixed 8-point
//! butterfly serves both sizes (a runtime 4/8-point switch made ABC's SAT sweeping run
//! for many minutes). A 2-entry output
//! FIFO. Throughput: 4 samples per cycle on a stream of one block size; latency: the
//! SATD is out N cycles after an NxN block's last beat (4 for 4x4). An earlier version
//! transformed a tile's eight columns in one cycle: 8x the arithmetic this rate needs,
//! and ABC took over 4 minutes on it.
//!
//! Every intermediate has an exact width: differences 9 bits, 8-point row coefficients
//! 12 bits, column coefficients 15 bits (within the 16-bit lanes of the butterfly
//! function), a tile's sum 20 bits, a 32x32 block's total 22 bits (the port has 24).
//!
//! A rust-hdl Verilog wrapper; Verilator is the proof.

use rust_hdl_core::prelude::*;

/// Ports; `NM` = largest block side (the largest TU).
#[derive(LogicBlock, Default)]
pub struct Satd<const NM: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub in_valid: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    pub in_pred: Signal<In, Bits<32>>,
    pub in_orig: Signal<In, Bits<32>>,
    pub in_log2: Signal<In, Bits<3>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_satd: Signal<Out, Bits<24>>,
}

impl<const NM: usize> Logic for Satd<NM> {
    /// No rust-hdl simulation model: Verilator runs the generated Verilog.
    fn update(&mut self) {}

    fn connect(&mut self) {
        self.in_ready.connect();
        self.out_valid.connect();
        self.out_satd.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Wrapper(Wrapper { code: body(NM), cores: String::new() })
    }
}

fn body(nm: usize) -> String {
    let tiles = (nm / 8).max(1);
    // the band banks' index: {bank, tile, row}
    let tb = crate::common::log2(tiles);
    let idx = |bank: &str, tile: &str, row: &str| {
        if tiles > 1 {
            let t = if tile.starts_with("xb") { tile.to_string() } else if tile == "3'd0" { format!("{tb}'d0") } else { format!("{tile}[{}:0]", tb - 1) };
            format!("{{{bank}, {t}, {row}}}")
        } else {
            format!("{{{bank}, {row}}}")
        }
    };
    let vars = [
        ("FIFODECL", crate::common::out_fifo_decl("24", "out_ready")),
        ("FIFOUPD", crate::common::out_fifo_update("push", "push_data")),
        ("LOG2NM", crate::common::log2(nm).to_string()),
        ("BBN", (2 * tiles * 8 - 1).to_string()),
        ("PIDX", idx("p_bank", "p_tile", "r[2:0]")),
        ("WIDX8", idx("wbank", &format!("xb[{}:1]", crate::common::log2(tiles).max(1)), "row[2:0]")),
        ("WIDX4", idx("wbank", "3'd0", "{1'b0, row[1:0]}")),
        ("UNUSED_XB", format!("xb[7:{}]", crate::common::log2(tiles) + 1)),
    ];
    crate::common::subst(TEMPLATE, &vars)
}

const TEMPLATE: &str = r#"
    // satd (hw/src/satd.rs)
    // the 8-point Hadamard butterfly on 16-bit signed lanes. On a 4-point input (lanes
    // 4..7 zero) it gives the 4-point transform on lanes 0..3 and again on 4..7.
    function automatic [127:0] hbf(input [127:0] v);
        reg signed [15:0] a [0:7];
        reg signed [15:0] t;
        integer i;
        integer len;
        integer j;
        begin
            for (i = 0; i < 8; i = i + 1) a[i] = v[16*i +: 16];
            for (len = 1; len < 8; len = len * 2) begin
                for (i = 0; i < 8; i = i + 1) begin
                    j = i ^ len;
                    if (j > i) begin
                        t = a[i];
                        a[i] = t + a[j];
                        a[j] = t - a[j];
                    end
                end
            end
            for (i = 0; i < 8; i = i + 1) hbf[16*i +: 16] = a[i];
        end
    endfunction
    // the sum of 8 absolute values: |x| = (x ^ s) + s with s the sign, the signs added once
    function automatic [18:0] abs8(input [127:0] v);
        reg [15:0] x;
        reg [3:0] ns;
        integer i;
        begin
            abs8 = 19'd0;
            ns = 4'd0;
            for (i = 0; i < 8; i = i + 1) begin
                x = v[16*i +: 16];
                abs8 = abs8 + {3'd0, x ^ {16{x[15]}}};
                ns = ns + {3'd0, x[15]};
            end
            abs8 = abs8 + {15'd0, ns};
        end
    endfunction
    // lane c of 8 x 12 bits, sign-extended to 16 (an 8:1 multiplexer, not a shifter)
    function automatic [15:0] lane(input [95:0] w, input [2:0] c);
        reg [11:0] v;
        begin
            case (c)
                3'd0: v = w[11:0];
                3'd1: v = w[23:12];
                3'd2: v = w[35:24];
                3'd3: v = w[47:36];
                3'd4: v = w[59:48];
                3'd5: v = w[71:60];
                3'd6: v = w[83:72];
                default: v = w[95:84];
            endcase
            lane = {{4{v[11]}}, v};
        end
    endfunction

$FIFODECL
    // ---- input: row transforms into the band banks ----
    reg [7:0] bcnt;
    reg [2:0] lg_r;
    reg wbank;
    reg [1:0] busy;
    reg [35:0] half;                 // the first half row of an 8-wide tile row (4 x 9 bits)
    reg [95:0] bb [0:$BBN];          // [bank, tile, row]: 8 coefficients x 12 bits (4 for 4x4)
    wire first = (bcnt == 8'd0);
    // sizes outside 4..NM are taken as the nearest one (the block never hangs)
    wire [2:0] lg_in = (in_log2 < 3'd2) ? 3'd2 : (in_log2 > 3'd$LOG2NM) ? 3'd$LOG2NM : in_log2;
    wire [2:0] lg = first ? lg_in : lg_r;
    wire [2:0] lgb = lg - 3'd2;                      // beats per row = 2^lgb
    wire [7:0] xb = bcnt & ((8'd1 << lgb) - 8'd1);   // beat within the row
    wire [7:0] row = bcnt >> lgb;
    wire [8:0] nbeats = 9'd1 << ({lgb, 1'b0} + 4'd2);
    wire last = ({1'b0, bcnt} + 9'd1 == nbeats);
    wire is4 = (lg == 3'd2);
    wire row_end = (xb == ((8'd1 << lgb) - 8'd1));
    // a band of rows starts (it writes bank wbank, which its previous job must have left)
    wire band_start = first | (~is4 & (row[2:0] == 3'd0) & (xb == 8'd0));
    wire band_end = is4 ? (row[1:0] == 2'd3) : ((row[2:0] == 3'd7) & row_end);
    assign in_ready = ~(band_start & busy[wbank]);
    wire fire = in_valid & in_ready;

    // this beat's differences, 16-bit lanes
    reg [127:0] dv;
    integer k;
    always @(*) begin
        dv = 128'd0;
        for (k = 0; k < 4; k = k + 1)
            dv[16*k +: 16] = {8'd0, in_orig[8*k +: 8]} - {8'd0, in_pred[8*k +: 8]};
    end
    // the row transform: 4 points (4x4), or 8 points with the held half row
    reg [127:0] rin;
    always @(*) begin
        rin = 128'd0;
        if (is4) rin = dv;
        else begin
            for (k = 0; k < 4; k = k + 1) begin
                rin[16*k +: 16] = {{7{half[9*k+8]}}, half[9*k +: 9]};
                rin[16*(k+4) +: 16] = dv[16*k +: 16];
            end
        end
    end
    wire [127:0] rt = hbf(rin);
    wire [95:0] rt12 = {rt[112 +: 12], rt[96 +: 12], rt[80 +: 12], rt[64 +: 12], rt[48 +: 12], rt[32 +: 12], rt[16 +: 12], rt[0 +: 12]};
    // the band's tiles (N/8, or one 4x4)
    wire [2:0] ntiles_m1 = is4 ? 3'd0 : ((3'd1 << (lg - 3'd3)) - 3'd1);

    // ---- the column unit: one column of one tile per cycle ----
    reg p_act;
    reg p_bank;
    reg p_is4;
    reg p_last;
    reg [2:0] p_tiles;
    reg [2:0] p_tile;
    reg [2:0] p_col;
    reg [19:0] tacc;
    reg [21:0] btot;
    reg q_v;                          // one job waiting for the unit
    reg q_bank;
    reg q_is4;
    reg q_last;
    reg [2:0] q_tiles;
    reg [127:0] pcol;
    reg [95:0] pw;
    integer r;
    always @(*) begin
        pcol = 128'd0;
        pw = 96'd0;
        for (r = 0; r < 8; r = r + 1) begin
            pw = bb[$PIDX];
            if (!p_is4 || r < 4) pcol[16*r +: 16] = lane(pw, p_col);
        end
    end
    wire [18:0] pcs = abs8(hbf(pcol));
    wire [19:0] tacc_n = tacc + {1'b0, pcs};
    wire p_lastcol = p_is4 ? (p_col == 3'd3) : (p_col == 3'd7);
    wire p_end = p_act & p_lastcol & (p_tile == p_tiles);
    // (sum + 2) >> 2 per 8x8 tile; a 4x4 block's columns went through the 8-point
    // butterfly with zero padding, which doubles its sum: (sum/2 + 1) >> 1 is the same
    wire [19:0] tcost = (tacc_n + 20'd2) >> 2;
    wire [21:0] btot_n = btot + (p_lastcol ? {2'd0, tcost} : 22'd0);
    // the block's last job ends by pushing its total (it waits for room)
    wire push = p_end & p_last & o_room;
    wire p_step = p_act & ~(p_end & p_last & ~o_room);
    wire p_free = ~p_act | (p_end & p_step);
    wire [23:0] push_data = {2'd0, btot_n};
    wire job_in = fire & band_end;
$FIFOUPD    assign out_valid = (o_count != 2'd0);
    assign out_satd = o_d0;
    wire unused_ok = &{1'b1, $UNUSED_XB, row[7:3], tcost[19:18], rt[127:124], rt[111:108], rt[95:92], rt[79:76], rt[63:60], rt[47:44], rt[31:28], rt[15:12]};

    always @(posedge clock) begin
        if (reset) begin
            bcnt <= 8'd0;
            wbank <= 1'b0;
            busy <= 2'd0;
            p_act <= 1'b0;
            q_v <= 1'b0;
            btot <= 22'd0;
            tacc <= 20'd0;
        end else begin
            if (fire) begin
                bcnt <= last ? 8'd0 : bcnt + 8'd1;
                if (first) lg_r <= lg_in;
                if (is4) bb[$WIDX4] <= {48'd0, rt12[47:0]};
                else if (!xb[0]) half <= {dv[48 +: 9], dv[32 +: 9], dv[16 +: 9], dv[0 +: 9]};
                else bb[$WIDX8] <= rt12;
                if (band_end) begin
                    wbank <= ~wbank;
                    busy[wbank] <= 1'b1;
                end
            end
            if (p_step) begin
                tacc <= p_lastcol ? 20'd0 : tacc_n;
                btot <= (p_end & p_last) ? 22'd0 : btot_n;
                if (p_lastcol) begin
                    p_col <= 3'd0;
                    p_tile <= p_tile + 3'd1;
                end else p_col <= p_col + 3'd1;
                if (p_end) busy[p_bank] <= 1'b0;
            end
            // the next job: the waiting one first, else the band that ends now
            if (p_free) begin
                if (q_v) begin
                    p_act <= 1'b1;
                    {p_bank, p_is4, p_last, p_tiles} <= {q_bank, q_is4, q_last, q_tiles};
                    p_tile <= 3'd0;
                    p_col <= 3'd0;
                    q_v <= job_in;
                end else if (job_in) begin
                    p_act <= 1'b1;
                    {p_bank, p_is4, p_last, p_tiles} <= {wbank, is4, last, ntiles_m1};
                    p_tile <= 3'd0;
                    p_col <= 3'd0;
                end else p_act <= 1'b0;
            end else if (job_in) q_v <= 1'b1;
            if (job_in) {q_bank, q_is4, q_last, q_tiles} <= {wbank, is4, last, ntiles_m1};
        end
    end
"#;
