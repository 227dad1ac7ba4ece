//! `cabac_dec`: the CABAC arithmetic decoding engine (H.265 9.3.4.3):
//! `golden::decoder::cabac::CabacDecoder` in hardware, one bin per cycle. The decoder
//! core's parser keeps the context tables and asks this engine for bins.
//!
//! Ports (synchronous to `clock`; `reset` synchronous, active high: empties the bit
//! buffer and clears the end-of-stream flag, i.e. starts a new substream):
//! - `bs_valid`, `bs_ready`, `bs_byte` (8), `bs_last` (1): the substream's bytes
//!   (emulation prevention already removed), `bs_last` on its final byte; past it the
//!   engine reads zero bits, as the golden decoder does.
//! - `rq_valid`, `rq_ready`, `rq_kind` (2: 0 decision, 1 bypass, 2 terminate,
//!   3 initialization = range 510 and the next 9 bits), `rq_state` (7: {valMps,
//!   pStateIdx} of the context, decisions only).
//! - `rs_valid`, `rs_ready`, `rs_bin` (1), `rs_state` (7): the bin and the updated
//!   context (the request's state unchanged for bypass, terminate and init).
//!
//! Micro-architecture: range (9) and offset (9) registers; a 24-bit MSB-first bit buffer
//! refilled a byte per cycle while it holds at most 16 bits; a request is served when
//! 9 bits are buffered (the most any request consumes), the renormalization shift is a
//! priority encoder on the new range (at most 6 after an LPS); a 2-entry output FIFO.
//! `rq_ready` and `bs_ready` depend on registers only.
//!
//! Throughput: one bin per cycle while the byte supply keeps up (a decision consumes at
//! most 6 bits, a bypass 1); latency: the response is registered, 1 cycle.
//!
//! A rust-hdl Verilog wrapper (variable shifts, table functions); Verilator is the proof.

use rust_hdl_core::prelude::*;

#[derive(LogicBlock, Default)]
pub struct CabacDec {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub bs_valid: Signal<In, Bit>,
    pub bs_ready: Signal<Out, Bit>,
    pub bs_byte: Signal<In, Bits<8>>,
    pub bs_last: Signal<In, Bit>,
    pub rq_valid: Signal<In, Bit>,
    pub rq_ready: Signal<Out, Bit>,
    pub rq_kind: Signal<In, Bits<2>>,
    pub rq_state: Signal<In, Bits<7>>,
    pub rs_valid: Signal<Out, Bit>,
    pub rs_ready: Signal<In, Bit>,
    pub rs_bin: Signal<Out, Bit>,
    pub rs_state: Signal<Out, Bits<7>>,
}

impl Logic for CabacDec {
    /// No rust-hdl simulation model: Verilator runs the generated Verilog.
    fn update(&mut self) {}

    fn connect(&mut self) {
        self.bs_ready.connect();
        self.rq_ready.connect();
        self.rs_valid.connect();
        self.rs_bin.connect();
        self.rs_state.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Wrapper(Wrapper { code: body(), cores: String::new() })
    }
}

fn body() -> String {
    TEMPLATE
        .replace("$TABLES", &crate::common::cabac_tables())
        .replace("$ENGINE", &crate::common::cabac_engine("rq_state", "rq_kind"))
        .replace("$FIFODECL", &crate::common::out_fifo_decl("8", "rs_ready"))
        .replace("$FIFOUPD", &crate::common::out_fifo_update("fire", "{n_bin, n_state}"))
}

const TEMPLATE: &str = r#"
    // cabac_dec (hw/src/cabac_dec.rs)
$TABLES
    reg [8:0] rng;
    reg [8:0] off;
    reg [23:0] bbuf;
    reg [4:0] nb;
    reg eos;
$FIFODECL    assign rq_ready = (nb >= 5'd9) & o_room;
    wire fire = rq_valid & rq_ready;
    wire [8:0] top = bbuf[23:15];

$ENGINE
    // bit buffer: consume what the served request used, refill a byte when <= 16 bits
    wire [4:0] used = fire ? {1'b0, n_used} : 5'd0;
    wire [4:0] rem = nb - used;
    wire [23:0] shifted = bbuf << used;
    assign bs_ready = ~eos & (nb <= 5'd16);
    wire bs_fire = bs_valid & bs_ready;
    wire refill = (nb <= 5'd16) & (eos | bs_valid);
    wire [7:0] fill_byte = eos ? 8'd0 : bs_byte;
    wire [23:0] placed = {16'd0, fill_byte} << (5'd16 - rem);

    always @(posedge clock) begin
        if (reset) begin
            nb <= 5'd0;
            eos <= 1'b0;
            bbuf <= 24'd0;
            rng <= 9'd510;
            off <= 9'd0;
        end else begin
            bbuf <= refill ? (shifted | placed) : shifted;
            nb <= refill ? rem + 5'd8 : rem;
            if (bs_fire & bs_last) eos <= 1'b1;
            if (fire) begin
                rng <= n_rng;
                off <= n_off;
            end
        end
    end
$FIFOUPD    assign rs_valid = (o_count != 2'd0);
    assign rs_bin = o_d0[7];
    assign rs_state = o_d0[6:0];
"#;
