//! `dequant`: the scaling process of H.265 8.6.3 for flat quantization, 8-bit video,
//! one coefficient per cycle: `golden::quantize::dequantize` in hardware.
//!
//! Ports (all synchronous to `clock`; `reset` synchronous, active high, clears the valids):
//! - `in_valid` (1), `in_level` (signed 16): TransCoeffLevel
//! - `in_qp` (6): QP 0..=51; `in_log2` (3): TU size log2 2..=5 (held with each sample)
//! - `out_valid` (1), `out_coeff` (signed 16): the scaled, clipped coefficient
//! - `in_ready` = `out_ready`: the pipeline advances only when the consumer takes data
//!
//! Latency 2 cycles (registered inputs to a multiplier stage, then the shift/round/clip
//! stage registered at the output); throughput 1 coefficient per cycle.
//!
//! Arithmetic: out = clip16((level * LS[qp % 6] * 2^(4 + qp / 6) + 2^(bd - 1)) >> bd),
//! bd = log2 + 3, computed as a left shift by e = 1 + qp / 6 - log2 when e >= 0 and a
//! rounded arithmetic right shift by -e otherwise (exactly equal). This leaf is a
//! Verilog wrapper: rust-hdl's kernel language cannot express the signed multiply
//! and variable arithmetic shifts cleanly (see the crate docs).

use rust_hdl_core::prelude::*;

#[derive(LogicBlock, Default)]
pub struct Dequant {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub in_valid: Signal<In, Bit>,
    pub in_level: Signal<In, Signed<16>>,
    pub in_qp: Signal<In, Bits<6>>,
    pub in_log2: Signal<In, Bits<3>>,
    pub in_ready: Signal<Out, Bit>,
    pub out_valid: Signal<Out, Bit>,
    pub out_coeff: Signal<Out, Signed<16>>,
    pub out_ready: Signal<In, Bit>,
}

/// The Verilog body (the wrapper's glue code).
fn body() -> String {
    let mut lut = String::new();
    for qp in 0..64u32 {
        let (div, rem) = if qp <= 51 { (qp / 6, qp % 6) } else { (8, 5) };
        let ls = golden::quantize::LEVEL_SCALE[rem as usize];
        lut.push_str(&format!("            6'd{qp}: begin ls = 7'd{ls}; qdiv = 4'd{div}; end\n"));
    }
    format!(
        r#"
    // dequant: see hw/src/dequant.rs
    reg [6:0] ls;
    reg [3:0] qdiv;
    always @(*) begin
        case (in_qp)
{lut}        endcase
    end
    wire advance = out_ready | ~out_valid;
    assign in_ready = advance;
    // stage 1: level * LS, shift amount
    reg s1_valid;
    reg signed [22:0] s1_prod;
    reg signed [4:0] s1_e;
    always @(posedge clock) begin
        if (reset) s1_valid <= 1'b0;
        else if (advance) s1_valid <= in_valid;
        if (advance) begin
            s1_prod <= $signed(in_level) * $signed({{1'b0, ls}});
            s1_e <= $signed({{1'b0, qdiv}}) + 5'sd1 - $signed({{2'b0, in_log2}});
        end
    end
    // stage 2: shift / round / clip
    wire signed [30:0] s1_wide = {{{{8{{s1_prod[22]}}}}, s1_prod}};
    wire [2:0] s1_right = 3'(-s1_e);
    wire signed [30:0] shifted = (s1_e >= 0) ? (s1_wide <<< s1_e[2:0])
        : ((s1_wide + (31'sd1 <<< (s1_right - 3'd1))) >>> s1_right);
    wire signed [15:0] clipped = (shifted > 31'sd32767) ? 16'sd32767
        : (shifted < -31'sd32768) ? -16'sd32768 : shifted[15:0];
    reg v2;
    reg signed [15:0] c2;
    always @(posedge clock) begin
        if (reset) v2 <= 1'b0;
        else if (advance) v2 <= s1_valid;
        if (advance) begin
            c2 <= clipped;
        end
    end
    assign out_valid = v2;
    assign out_coeff = c2;
"#
    )
}

impl Logic for Dequant {
    /// rust-hdl simulation model (not the proof; Verilator is): a 2-deep pipeline of
    /// the golden function.
    fn update(&mut self) {}

    fn connect(&mut self) {
        self.in_ready.connect();
        self.out_valid.connect();
        self.out_coeff.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Wrapper(Wrapper { code: body(), cores: String::new() })
    }
}
