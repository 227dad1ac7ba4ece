//! `cabac_enc`: the CABAC arithmetic encoding engine (H.265 9.3.4.3 with HM's
//! carry-buffered byte output): `golden::cabac::CabacEncoder` in hardware. The encoder
//! core's binarizer keeps the context tables (the state update is
//! `golden::cabac::Ctx::update`) and hands this engine one bin per request.
//!
//! Ports (synchronous to `clock`; `reset` synchronous, active high):
//! - `rq_valid`, `rq_ready`, `rq_kind` (2: 0 decision, 1 bypass, 2 terminate, 3 finish),
//!   `rq_bin` (1, decisions and terminating bins), `rq_state` (7: {valMps, pStateIdx}
//!   before the bin, decisions only), `rq_nb` (4) and `rq_bins` (8): a bypass request
//!   carries `rq_nb` bins (1..=KE; 0 reads as 1), the first the most significant, in
//!   `rq_bins[rq_nb-1:0]` (bits at and above KE are ignored), folded into low in one
//!   step as HM's encodeBinsEP does (golden's `CabacEncoder::bypass_bits`). KE =
//!   [`golden::config::RES_ENC_BYPASS_BINS`] (4).
//!   `finish` follows the terminating bin 1: it flushes the engine, appends the stop
//!   bit and byte alignment, and re-initializes the engine for the next substream.
//! - `out_valid`, `out_ready`, `out_byte` (8), `out_last` (1, last byte of a substream).
//!
//! Micro-architecture: low (32, as HM), range (9), bits-left (5), the buffered byte
//! and a 16-bit count of buffered bytes (carry resolution); one bin is folded into
//! low/range per cycle and at most one byte leaves the window per bin. Bytes go
//! through an emission queue (the resolved byte, a run of 0xff/0x00 bytes after a
//! carry resolves, the flush tail) at one byte per cycle into a 2-entry output FIFO;
//! a bin is accepted while that queue is empty or holds a single resolved byte that
//! leaves for the FIFO in the same cycle.
//!
//! Throughput: one request (a bin, or up to KE bypass bins) per cycle while the output
//! is taken; a request
//! whose write-out resolves k > 1 bytes (the buffered byte and its run of 0xff or 0x00
//! bytes) holds the next one k cycles, a finish until its bytes are out
//! (`area_energy::cycle::cabac_enc_run`, equal to Verilator's count). `rq_ready`
//! depends on registers only.
//!
//! A rust-hdl Verilog wrapper (variable shifts, tables); Verilator is the proof.

use rust_hdl_core::prelude::*;

#[derive(LogicBlock, Default)]
pub struct CabacEnc {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub rq_valid: Signal<In, Bit>,
    pub rq_ready: Signal<Out, Bit>,
    pub rq_kind: Signal<In, Bits<2>>,
    pub rq_bin: Signal<In, Bit>,
    pub rq_state: Signal<In, Bits<7>>,
    pub rq_nb: Signal<In, Bits<4>>,
    pub rq_bins: Signal<In, Bits<8>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_byte: Signal<Out, Bits<8>>,
    pub out_last: Signal<Out, Bit>,
}

impl Logic for CabacEnc {
    /// No rust-hdl simulation model: Verilator runs the generated Verilog.
    fn update(&mut self) {}

    fn connect(&mut self) {
        self.rq_ready.connect();
        self.out_valid.connect();
        self.out_byte.connect();
        self.out_last.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Wrapper(Wrapper { code: body(), cores: String::new() })
    }
}

/// Bypass bins per request ([`golden::config::RES_ENC_BYPASS_BINS`]).
pub const KE: u32 = golden::config::RES_ENC_BYPASS_BINS;
const _: () = assert!(KE >= 3 && KE <= 8, "one byte at most leaves per request (KE <= 8); res_enc codes a last-position suffix (up to 3 bins) in one request");

/// `low`'s increment of a bypass request: the bins' value times the range, as a sum of
/// shifted ranges (`b_v`, KE bits).
fn bypass_product() -> String {
    let w = KE + 9;
    let terms: Vec<String> = (0..KE)
        .map(|i| {
            let hi = w - 9 - i;
            let lo = if i > 0 { format!(", {i}'d0") } else { String::new() };
            format!("{{{hi}'d0, b_v[{i}] ? rng : 9'd0{lo}}}")
        })
        .collect();
    format!("    wire [{}:0] b_prod = {};\n", w - 1, terms.join("\n        + "))
}

fn body() -> String {
    TEMPLATE
        .replace("$KE", &KE.to_string())
        .replace("$BPROD", &bypass_product())
        .replace("$TABLES", &crate::common::rlps_function())
        .replace("$FIFODECL", &crate::common::out_fifo_decl("9", "out_ready"))
        .replace("$FIFOUPD", &crate::common::out_fifo_update("q_push", "q_head"))
}

const TEMPLATE: &str = r#"
    // cabac_enc (hw/src/cabac_enc.rs)
$TABLES
    reg [31:0] low;
    reg [8:0] rng;
    reg [4:0] bl;
    reg [15:0] nbuf;
    reg [7:0] bbyte;
    // emission queue: one byte, a run of bytes, a tail of up to 2 bytes
    reg q1_v;
    reg [7:0] q1_b;
    reg [15:0] qr_n;
    reg [7:0] qr_b;
    reg [1:0] qt_n;
    reg [15:0] qt_b;
    reg qt_last;
$FIFODECL    wire q_empty = ~q1_v & (qr_n == 16'd0) & (qt_n == 2'd0);
    // a bin goes in while the queue is empty, or holds one resolved byte that leaves
    // for the output FIFO in this cycle
    assign rq_ready = q_empty | (q1_v & (qr_n == 16'd0) & (qt_n == 2'd0) & o_room);
    wire fire = rq_valid & rq_ready;

    // ---- one bin ----
    wire [5:0] ps = rq_state[5:0];
    wire mps = rq_state[6];
    wire [7:0] lp = rlps(ps, rng[7:6]);
    wire [8:0] rm = rng - {1'b0, lp};
    wire [2:0] lz = lp[7] ? 3'd1 : lp[6] ? 3'd2 : lp[5] ? 3'd3 : lp[4] ? 3'd4 : lp[3] ? 3'd5 : 3'd6;
    wire [8:0] t_rng = rng - 9'd2;
    // a bypass request: rq_nb bins (0 reads as 1), the first the most significant
    wire [3:0] b_nb = (rq_nb == 4'd0) ? 4'd1 : rq_nb;
    wire [$KE-1:0] b_v = rq_bins[$KE-1:0] & ~({$KE{1'b1}} << b_nb);
$BPROD    wire unused_bins = ^{1'b0, rq_bins};
    reg [31:0] n_low;
    reg [8:0] n_rng;
    reg [4:0] n_bl;
    always @(*) begin
        n_low = low;
        n_rng = rng;
        n_bl = bl;
        case (rq_kind)
            2'd0: begin
                if (rq_bin != mps) begin
                    n_low = (low + {23'd0, rm}) << lz;
                    n_rng = {1'b0, lp} << lz;
                    n_bl = bl - {2'd0, lz};
                end else if (~rm[8]) begin
                    n_low = low << 1;
                    n_rng = rm << 1;
                    n_bl = bl - 5'd1;
                end else n_rng = rm;
            end
            2'd1: begin
                n_low = (low << b_nb) + {{(32 - $KE - 9){1'b0}}, b_prod};
                n_bl = bl - {1'b0, b_nb};
            end
            2'd2: begin
                if (rq_bin) begin
                    n_low = (low + {23'd0, t_rng}) << 7;
                    n_rng = 9'd256;
                    n_bl = bl - 5'd7;
                end else if (~t_rng[8]) begin
                    n_low = low << 1;
                    n_rng = t_rng << 1;
                    n_bl = bl - 5'd1;
                end else n_rng = t_rng;
            end
            default: ;
        endcase
    end
    // write-out when fewer than 12 bits are left
    wire wo = (n_bl < 5'd12);
    wire [4:0] sh_lead = 5'd24 - n_bl;
    wire [31:0] lead_w = n_low >> sh_lead;
    wire [8:0] lead = lead_w[8:0];
    wire [4:0] bl8 = n_bl + 5'd8;
    wire [31:0] low_masked = n_low & (32'hffffffff >> bl8);
    wire carry = lead[8];
    wire [7:0] res_byte = bbyte + {7'd0, carry};
    wire [7:0] run_byte = carry ? 8'h00 : 8'hff;
    // finish: conditional carry into the buffered bytes, then the tail of low
    wire [4:0] sh_fin = 5'd0 - bl;   // 32 - bl (mod 32)
    wire fin_carry = (bl == 5'd0) ? 1'b0 : ((low >> sh_fin) != 32'd0);
    wire [31:0] low_fin = fin_carry ? (low - (32'd1 << sh_fin)) : low;
    wire [4:0] tail_n = 5'd24 - bl;                     // bits of low >> 8 still to write
    wire [23:0] tail_bits = low_fin[31:8] & ~(24'hffffff << tail_n);
    wire [4:0] tail_len = tail_n + 5'd1;                // with the stop bit
    wire [25:0] tail_v = {1'b0, tail_bits, 1'b1};       // value, tail_len bits
    wire [1:0] tail_bytes = (tail_len > 5'd8) ? 2'd2 : 2'd1;
    wire [4:0] pad = (tail_bytes == 2'd2) ? (5'd16 - tail_len) : (5'd8 - tail_len);
    wire [25:0] tail_al = tail_v << pad;
    wire unused_tail = ^{tail_al[25:16], lead_w[31:9], low_fin[7:0]};

    // emission queue -> output FIFO, one byte per cycle, first, run, tail in order
    wire [8:0] q_head = q1_v ? {1'b0, q1_b} : (qr_n != 16'd0) ? {1'b0, qr_b}
        : {qt_last & (qt_n == 2'd1), qt_b[15:8]};
    wire q_push = ~q_empty & o_room;

    always @(posedge clock) begin
        if (reset) begin
            low <= 32'd0;
            rng <= 9'd510;
            bl <= 5'd23;
            nbuf <= 16'd0;
            bbyte <= 8'hff;
            q1_v <= 1'b0;
            qr_n <= 16'd0;
            qt_n <= 2'd0;
        end else begin
            if (q_push) begin
                if (q1_v) q1_v <= 1'b0;
                else if (qr_n != 16'd0) qr_n <= qr_n - 16'd1;
                else begin
                    qt_n <= qt_n - 2'd1;
                    qt_b <= {qt_b[7:0], 8'd0};
                end
            end
            if (fire & (rq_kind == 2'd3)) begin
                // flush (golden CabacEncoder::finish) and re-initialize
                q1_v <= fin_carry | (nbuf != 16'd0);
                q1_b <= fin_carry ? (bbyte + 8'd1) : bbyte;
                qr_n <= (nbuf == 16'd0) ? 16'd0 : nbuf - 16'd1;
                qr_b <= fin_carry ? 8'h00 : 8'hff;
                qt_n <= tail_bytes;
                qt_b <= tail_al[15:0] << ((tail_bytes == 2'd1) ? 4'd8 : 4'd0);
                qt_last <= 1'b1;
                low <= 32'd0;
                rng <= 9'd510;
                bl <= 5'd23;
                nbuf <= 16'd0;
                bbyte <= 8'hff;
            end else if (fire) begin
                rng <= n_rng;
                if (!wo) begin
                    low <= n_low;
                    bl <= n_bl;
                end else begin
                    low <= low_masked;
                    bl <= bl8;
                    if (lead == 9'h0ff) nbuf <= nbuf + 16'd1;
                    else if (nbuf != 16'd0) begin
                        q1_v <= 1'b1;
                        q1_b <= res_byte;
                        qr_n <= nbuf - 16'd1;
                        qr_b <= run_byte;
                        qt_last <= 1'b0;
                        bbyte <= lead[7:0];
                        nbuf <= 16'd1;
                    end else begin
                        nbuf <= 16'd1;
                        bbyte <= lead[7:0];
                    end
                end
            end
        end
    end
$FIFOUPD    assign out_valid = (o_count != 2'd0);
    assign out_byte = o_d0[7:0];
    assign out_last = o_d0[8];
"#;
