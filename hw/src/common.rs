//! Shared pieces of the generated Verilog: the transform-coefficient ROM function,
//! exact-width bounds computed from golden's matrices, and template substitution.

use golden::transform::coef;

/// Verilog function `tcoef(dst, log2, k, n)`: coefficient of basis `k`, sample `n` of
/// the 2^log2-point transform (DST-VII 4x4 when `dst`), 0 when `k` or `n` is outside
/// the transform. The 32-point DCT holds every smaller one: C_N[k][n] = C_32[k*32/N][n].
pub fn tcoef_function() -> String {
    // The matrices are constant arrays read by index: a case statement in the function
    // would be inlined at every call site (megabytes of C++ from Verilator).
    let mut s = String::new();
    s.push_str("    wire signed [7:0] tc_dct [0:1023];\n    wire signed [7:0] tc_dst [0:15];\n");
    for k in 0..32 {
        for n in 0..32 {
            s.push_str(&format!("    assign tc_dct[{}] = {};\n", k * 32 + n, lit8(coef(32, false, k, n))));
        }
    }
    for k in 0..4 {
        for n in 0..4 {
            s.push_str(&format!("    assign tc_dst[{}] = {};\n", k * 4 + n, lit8(coef(4, true, k, n))));
        }
    }
    s.push_str("    function automatic signed [7:0] tcoef(input dst_i, input [2:0] lg, input [4:0] k, input [4:0] n);\n");
    s.push_str("        reg [4:0] kk;\n        begin\n");
    s.push_str("            kk = k << (3'd5 - lg);\n");
    s.push_str("            if (((k >> lg) != 5'd0) || ((n >> lg) != 5'd0)) tcoef = 8'sd0;\n");
    s.push_str("            else if (dst_i) tcoef = tc_dst[{k[1:0], n[1:0]}];\n");
    s.push_str("            else tcoef = tc_dct[{kk, n}];\n");
    s.push_str("        end\n    endfunction\n");
    s
}

fn lit8(v: i32) -> String {
    if v < 0 {
        format!("-8'sd{}", -v)
    } else {
        format!("8'sd{v}")
    }
}

/// Bits of a two's-complement signal holding every value in -m..=m.
pub fn sbits(m: i64) -> usize {
    let mut b = 1;
    while (1i64 << (b - 1)) - 1 < m {
        b += 1;
    }
    b
}

/// Largest sum of |coefficient| over one basis function (`by_row`: sum over n of
/// |C[k][n]|, else over k of |C[k][n]|), over every transform size up to `nmax`.
pub fn max_abs_sum(nmax: usize, by_row: bool) -> i64 {
    let mut best = 0i64;
    let mut sizes = vec![(4usize, true)];
    let mut n = 4;
    while n <= nmax {
        sizes.push((n, false));
        n *= 2;
    }
    for (n, dst) in sizes {
        for a in 0..n {
            let s: i64 = (0..n).map(|b| if by_row { coef(n, dst, a, b) } else { coef(n, dst, b, a) }.abs() as i64).sum();
            best = best.max(s);
        }
    }
    best
}

/// Replace `$NAME` placeholders (longest names first, so `$WA2` wins over `$WA`).
pub fn subst(template: &str, vars: &[(&str, String)]) -> String {
    let mut v: Vec<_> = vars.to_vec();
    v.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
    let mut s = template.to_string();
    for (k, val) in v {
        s = s.replace(&format!("${k}"), &val);
    }
    s
}

/// `ceil(log2(x))` for a power of two.
pub fn log2(x: usize) -> usize {
    x.trailing_zeros() as usize
}

/// A check of the transform-unit parameters shared by the blocks: lanes 1, 2 or 4 (a
/// beat never spans two rows of a 4x4 TU) and a largest TU of 4..32.
pub fn check_lanes(p: usize, nmax: usize) -> Result<(), String> {
    if !matches!(p, 1 | 2 | 4) {
        return Err(format!(
            "rtl.samples_per_cycle = {p}: one transform unit takes 1, 2 or 4 samples per cycle \
             (a beat stays within one row of a 4x4 TU); scale throughput with more units"
        ));
    }
    if !matches!(nmax, 4 | 8 | 16 | 32) {
        return Err(format!("bitstream.max_tu_size = {nmax}: must be 4, 8, 16 or 32"));
    }
    Ok(())
}

/// Unroll every `generate for (g = 0; g < N; g = g + 1) begin : NAME ... end endgenerate`
/// of `text` into N copies at module scope, the genvar replaced by its value and every
/// wire/reg declared inside renamed `<name>_<NAME><i>`. The templates are written with
/// generate loops for readability; the emitted Verilog is flat because Verilator
/// (5.006) left signals inside generate scopes out of toggle coverage, which the
/// energy model used at first (the toggle counter that replaced it reads every scope).
pub fn unroll_generates(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 4);
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim();
        if t.starts_with("genvar ") {
            continue;
        }
        let Some(rest) = t.strip_prefix("generate for (") else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        // "g = 0; g < N; g = g + 1) begin : NAME"
        let var = rest.split_whitespace().next().unwrap_or("").to_string();
        let n: usize = rest
            .split(';')
            .nth(1)
            .and_then(|c| c.split('<').nth(1))
            .and_then(|v| v.trim().parse().ok())
            .expect("generate bound");
        let name = rest.rsplit(':').next().unwrap_or("").trim().to_string();
        let mut body = Vec::new();
        for l in lines.by_ref() {
            if l.trim() == "end endgenerate" {
                break;
            }
            // a line may end the block after its statement ("$HMAC    end endgenerate")
            if let Some(pre) = l.strip_suffix("end endgenerate") {
                if !pre.trim().is_empty() {
                    body.push(pre.to_string());
                }
                break;
            }
            body.push(l.to_string());
        }
        let mut locals = Vec::new();
        for l in &body {
            let t = l.trim_start();
            if t.starts_with("wire ") || t.starts_with("reg ") {
                let decl = t.split(['=', ';']).next().unwrap_or("");
                let mut s = String::new();
                let mut depth = 0;
                for c in decl.chars() {
                    match c {
                        '[' => depth += 1,
                        ']' => depth -= 1,
                        _ if depth == 0 => s.push(c),
                        _ => {}
                    }
                }
                if let Some(id) = s.split_whitespace().last() {
                    locals.push(id.to_string());
                }
            }
        }
        for i in 0..n {
            let mut map: std::collections::HashMap<&str, String> = Default::default();
            map.insert(var.as_str(), i.to_string());
            for id in &locals {
                map.insert(id.as_str(), format!("{id}_{name}{i}"));
            }
            for l in &body {
                out.push_str(&rename_idents(l, &map));
                out.push('\n');
            }
        }
    }
    out
}

/// Replace whole identifiers (not inside based literals such as 8'sd5).
fn rename_idents(line: &str, map: &std::collections::HashMap<&str, String>) -> String {
    let b = line.as_bytes();
    let mut out = String::with_capacity(line.len() + 16);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$') {
                i += 1;
            }
            let id = &line[start..i];
            let after_quote = start > 0 && b[start - 1] == b'\'';
            match map.get(id) {
                Some(r) if !after_quote => out.push_str(r),
                _ => out.push_str(id),
            }
        } else if c.is_ascii_digit() {
            // numbers and based literals: copy through the digits/letters
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push_str(&line[start..i]);
        } else {
            out.push(c as char);
            i += 1;
        }
    }
    out
}

/// Declarations of the 2-entry output FIFO every streaming block ends in: `o_count`,
/// `o_d0` (head, drives the outputs), `o_d1`, `o_room` (registered: a push may go in)
/// and `o_pop` (the consumer, whose ready port is `ready`, takes the head).
pub fn out_fifo_decl(width: &str, ready: &str) -> String {
    format!(
        "    // output FIFO, 2 entries: nothing upstream depends on {ready} combinationally\n\
         \x20   reg [1:0] o_count;\n\
         \x20   reg [{width}-1:0] o_d0;\n\
         \x20   reg [{width}-1:0] o_d1;\n\
         \x20   wire o_room = (o_count != 2'd2);\n\
         \x20   wire o_pop = {ready} & (o_count != 2'd0);\n"
    )
}

/// The FIFO's update: push `data` when `push` (which must imply `o_room`).
pub fn out_fifo_update(push: &str, data: &str) -> String {
    format!(
        "    always @(posedge clock) begin\n\
         \x20       if (reset) o_count <= 2'd0;\n\
         \x20       else o_count <= o_count + {{1'b0, {push}}} - {{1'b0, o_pop}};\n\
         \x20       if ({push} & ((o_count == 2'd0) | ((o_count == 2'd1) & o_pop))) o_d0 <= {data};\n\
         \x20       else if (o_pop) o_d0 <= o_d1;\n\
         \x20       if ({push} & (o_count == 2'd1) & ~o_pop) o_d1 <= {data};\n\
         \x20   end\n"
    )
}

/// Verilog function `rlps(pStateIdx, qRangeIdx)`: rangeTabLps (Table 9-52).
pub fn rlps_function() -> String {
    let mut t = String::new();
    t.push_str("    function automatic [7:0] rlps(input [5:0] s, input [1:0] q);\n        case ({s, q})\n");
    for s in 0..64 {
        for q in 0..4 {
            t.push_str(&format!("            8'd{}: rlps = 8'd{};\n", s * 4 + q, golden::cabac::RANGE_TAB_LPS[s][q]));
        }
    }
    t.push_str("            default: rlps = 8'd0;\n        endcase\n    endfunction\n");
    t
}

/// Verilog functions `rlps`, `tlps` and `tmps` (Tables 9-52, 9-53): the context state
/// tables of the CABAC engines.
pub fn cabac_tables() -> String {
    use golden::cabac::{trans_idx_mps, TRANS_IDX_LPS};
    let mut t = rlps_function();
    for (name, f) in [("tlps", TRANS_IDX_LPS.to_vec()), ("tmps", (0..64u8).map(trans_idx_mps).collect::<Vec<_>>())] {
        t.push_str(&format!("    function automatic [5:0] {name}(input [5:0] s);\n        case (s)\n"));
        for (k, v) in f.iter().enumerate() {
            t.push_str(&format!("            6'd{k}: {name} = 6'd{v};\n"));
        }
        t.push_str(&format!("            default: {name} = 6'd0;\n        endcase\n    endfunction\n"));
    }
    t
}

/// The CABAC arithmetic decoding engine's next state (9.3.4.3), shared by `cabac_dec`
/// and `res_dec`: from registers `rng`, `off` (9 bits each) and the next 9 buffered
/// bits `top`, for a request of kind `kind` (0 decision on context state `state`
/// = {valMps, pStateIdx}, 1 bypass, 2 terminate, 3 initialization) it drives `n_rng`,
/// `n_off`, `n_used` (bits consumed), `n_bin` and `n_state` (the updated context).
pub fn cabac_engine(state: &str, kind: &str) -> String {
    subst(ENGINE, &[("STATE", state.to_string()), ("KIND", kind.to_string())])
}

const ENGINE: &str = r#"    // engine (hw/src/common.rs cabac_engine): decision
    wire [5:0] ps = $STATE[5:0];
    wire mps = $STATE[6];
    wire [7:0] lp = rlps(ps, rng[7:6]);
    wire [8:0] rm = rng - {1'b0, lp};
    wire is_lps = (off >= rm);
    wire [8:0] d_off1 = is_lps ? (off - rm) : off;
    wire [8:0] d_rng1 = is_lps ? {1'b0, lp} : rm;
    wire [3:0] d_n = d_rng1[8] ? 4'd0 : d_rng1[7] ? 4'd1 : d_rng1[6] ? 4'd2 : d_rng1[5] ? 4'd3
        : d_rng1[4] ? 4'd4 : d_rng1[3] ? 4'd5 : 4'd6;
    wire [8:0] d_rng = d_rng1 << d_n;
    wire [8:0] d_off = (d_off1 << d_n) | (top >> (4'd9 - d_n));
    wire d_bin = is_lps ? ~mps : mps;
    wire [6:0] d_state = is_lps ? {((ps == 6'd0) ? ~mps : mps), tlps(ps)} : {mps, tmps(ps)};
    // bypass
    wire [9:0] b_off1 = {off, top[8]};
    wire b_one = (b_off1 >= {1'b0, rng});
    wire [9:0] b_off2 = b_one ? (b_off1 - {1'b0, rng}) : b_off1;
    wire unused_b_off2 = b_off2[9];
    // terminate
    wire [8:0] t_rng1 = rng - 9'd2;
    wire t_one = (off >= t_rng1);
    wire t_renorm = ~t_one & ~t_rng1[8];

    reg [8:0] n_rng;
    reg [8:0] n_off;
    reg [3:0] n_used;
    reg n_bin;
    reg [6:0] n_state;
    always @(*) begin
        n_rng = rng;
        n_off = off;
        n_used = 4'd0;
        n_bin = 1'b0;
        n_state = $STATE;
        case ($KIND)
            2'd0: begin
                n_rng = d_rng;
                n_off = d_off;
                n_used = d_n;
                n_bin = d_bin;
                n_state = d_state;
            end
            2'd1: begin
                n_off = b_off2[8:0];
                n_used = 4'd1;
                n_bin = b_one;
            end
            2'd2: begin
                n_bin = t_one;
                n_rng = t_renorm ? {t_rng1[7:0], 1'b0} : t_rng1;
                n_off = t_renorm ? {off[7:0], top[8]} : off;
                n_used = t_renorm ? 4'd1 : 4'd0;
            end
            default: begin
                n_rng = 9'd510;
                n_off = top;
                n_used = 4'd9;
            end
        endcase
    end
"#;

/// Path of a tool on PATH, or the install hint (`bash scripts/setup.sh`).
pub fn tool(name: &str) -> Result<std::path::PathBuf, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for d in std::env::split_paths(&path) {
        if d.join(name).is_file() {
            return Ok(d.join(name));
        }
    }
    Err(format!("{name} not found on PATH: install it with `bash scripts/setup.sh` (Debian package {name})"))
}

/// Generation parameters a block carries for its `hdl()` (rust-hdl's `LogicBlock`
/// derive takes only sub-blocks as fields): a sub-block with no ports, no logic and
/// nothing for a probe to see, so the generated Verilog is the wrapper's alone.
#[derive(Clone, Debug, Default)]
pub struct Gen<T>(pub T);

impl<T> rust_hdl_core::prelude::Logic for Gen<T> {
    fn update(&mut self) {}
}

impl<T> rust_hdl_core::prelude::Block for Gen<T> {
    fn connect_all(&mut self) {}
    fn update_all(&mut self) {}
    fn has_changed(&self) -> bool {
        false
    }
    fn accept(&self, _name: &str, _probe: &mut dyn rust_hdl_core::prelude::Probe) {}
}

/// The memory macro of the design (`tcgen_ram`): one synchronous read port (`re`,
/// `ra`, registered `rd`, read-before-write), one write port with a bit mask (`we`,
/// `wa`, `wd`, `wm`); parameters `W` (bits per word) and `A` (address bits). yosys
/// (which defines `SYNTHESIS`) sees a black box, so synthesis counts logic only and
/// the area model adds the macro's bits as SRAM ([`crate::recon::memories`]);
/// Verilator simulates the behavioural model. Power-up contents are undefined: the
/// blocks that need zeros clear it after reset.
pub fn ram_module() -> String {
    r#"/* verilator lint_off DECLFILENAME */
`ifdef SYNTHESIS
(* blackbox *)
module tcgen_ram #(parameter W = 32, parameter A = 4) (
    input clock, input re, input [A-1:0] ra, output [W-1:0] rd,
    input we, input [A-1:0] wa, input [W-1:0] wd, input [W-1:0] wm);
endmodule
`else
module tcgen_ram #(parameter W = 32, parameter A = 4) (
    input clock, input re, input [A-1:0] ra, output [W-1:0] rd,
    input we, input [A-1:0] wa, input [W-1:0] wd, input [W-1:0] wm);
    reg [W-1:0] mem [0:(1<<A)-1];
    reg [W-1:0] rd_r;
    assign rd = rd_r;
    always @(posedge clock) begin
        if (we) mem[wa] <= (mem[wa] & ~wm) | (wd & wm);
        if (re) rd_r <= mem[ra];
    end
endmodule
`endif
/* verilator lint_on DECLFILENAME */
"#
    .to_string()
}

/// Expand every `NAME(a1, a2, ...);` statement of a template into `body` with `$1`,
/// `$2`, ... replaced by the arguments (split at top-level commas; braces and
/// parentheses nest). The state-machine templates use it for their "issue a command
/// and continue at state S" statements.
pub fn expand_calls(t: &str, name: &str, body: &str) -> String {
    let pat = format!("{name}(");
    let mut out = String::with_capacity(t.len() * 2);
    let mut rest = t;
    while let Some(i) = rest.find(&pat) {
        // a whole identifier only
        if i > 0 && rest.as_bytes()[i - 1].is_ascii_alphanumeric() || i > 0 && rest.as_bytes()[i - 1] == b'_' {
            out.push_str(&rest[..i + pat.len()]);
            rest = &rest[i + pat.len()..];
            continue;
        }
        out.push_str(&rest[..i]);
        let s = &rest[i + pat.len()..];
        let (mut depth, mut last, mut end) = (0i32, 0usize, None);
        let mut args = Vec::new();
        for (k, c) in s.char_indices() {
            match c {
                '(' | '{' | '[' => depth += 1,
                ')' if depth == 0 => {
                    args.push(s[last..k].trim().to_string());
                    end = Some(k);
                    break;
                }
                ')' | '}' | ']' => depth -= 1,
                ',' if depth == 0 => {
                    args.push(s[last..k].trim().to_string());
                    last = k + 1;
                }
                _ => {}
            }
        }
        let end = end.unwrap_or_else(|| panic!("unterminated {name}( in template"));
        let mut b = body.to_string();
        for (n, a) in args.iter().enumerate().rev() {
            b = b.replace(&format!("${}", n + 1), a);
        }
        out.push_str(&b);
        rest = &s[end + 1..];
        rest = rest.strip_prefix(';').unwrap_or(rest);
    }
    out.push_str(rest);
    out
}

/// A generated module renamed to `to`: its top module and rust-hdl's instance prefixes
/// (a core holds its blocks as modules of its file).
pub fn renamed(m: crate::GeneratedModule, to: &str) -> String {
    let from = &m.name;
    m.verilog.replace(&format!("module {from}("), &format!("module {to}(")).replace(&format!("{from}$"), &format!("{to}$"))
}

/// `text` (a file of modules) with every copy of the memory macro removed and one
/// appended: a core holds blocks that each carry it.
pub fn ram_once(text: String) -> String {
    let ram = ram_module();
    let mut s = text.replace(&ram, "");
    s.push_str(&ram);
    s
}

/// The slice dispatcher of several whole cores ([`crate::enc_multi`],
/// [`crate::dec_multi`]): one command port (`sl_valid`, `sl_ready`), slice k to core
/// k mod K (`sl_k`, 2 bits: K <= 4), the cores' `u_sl_ready` and `u_err` (K bits), `err`
/// the OR of theirs. Core i takes `sl_valid & (sl_k == i)`. For K = 2, `sl_k[1]` is
/// unused: the caller lists it.
pub fn round_robin(k: usize) -> String {
    let sel = if k == 2 { "u_sl_ready[sl_k[0]]" } else { "u_sl_ready[sl_k]" };
    subst(
        r#"    reg [1:0] sl_k;
    wire [$KM1:0] u_sl_ready;
    wire [$KM1:0] u_err;
    assign sl_ready = $SEL;
    wire sl_fire = sl_valid & sl_ready;
    assign err = |u_err;
    always @(posedge clock) begin
        if (reset) sl_k <= 2'd0;
        else if (sl_fire) sl_k <= (sl_k == 2'd$KM1) ? 2'd0 : sl_k + 2'd1;
    end
"#,
        &[("KM1", (k - 1).to_string()), ("SEL", sel.to_string())],
    )
}

/// Other modules inside a block's file (its sub-blocks, or its cores), after a comment
/// saying which: the design's one lint waiver (DECLFILENAME) wraps them.
pub fn in_file(comment: &str, verilog: &str) -> String {
    format!("// {comment}\n/* verilator lint_off DECLFILENAME */\n{verilog}/* verilator lint_on DECLFILENAME */\n")
}
