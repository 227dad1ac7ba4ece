//! `dec_multi`: K whole decoder cores side by side (K = `rtl.decoder_cores`, 2..=4),
//! slice k of the stream on core k mod K. Slices share neither intra prediction nor
//! CABAC contexts, so the cores decode at once and throughput scales with K on
//! pictures cut into at least K slices. This is how the decoder runs several CABAC
//! engines: each core's engine parses its own slices, and each core reconstructs them.
//!
//! Each core is a [`crate::dec_core`] (module `dec_multi_core`) whose `recon` is the
//! independent variant: a slice must start a CTU row (slice_segment_address a multiple
//! of the picture width in CTUs, which `bitstream.slice_rows`, or
//! `bitstream.ctus_per_slice` a multiple of that width, gives) and end one (or the
//! picture); otherwise `err` rises. With `bitstream.slice_rows` = 1 the cores have no
//! line buffer (the row above is another slice's, never a reference) and a slice that
//! goes on into a second CTU row raises `err`. Each core reads its slices' rows out
//! when they are decoded, so the output is per slice, not per picture: the host (a DMA)
//! places slice k's rows, which start at its first CTU row, from core k mod K's output
//! lane.
//!
//! Shared backend (`rtl.decoder_shared_backend`): a core keeps `inv_tq` and
//! `intra_pred` busy a third of the time or less (its parser bounds it), so the K
//! cores become K fronts (module `dec_multi_front`: `syn_dec` and `recon`'s shared
//! variant, [`crate::recon::ReconShared`]) around one `inv_tq` and one `intra_pred`.
//! A round-robin arbiter grants the backend to one front's block run at a time: in the
//! cycle a front asks when the backend is free (the first asking front after the last
//! owner), held until the owner's inputs (its references and levels) have all been
//! taken, free from the next cycle. The units' outputs go back in grant order through
//! a 4-entry tag FIFO per unit (each front has at most one block in flight), so the
//! next block's inputs enter while the block before drains. Cost: the arbiter and tag
//! FIFOs (a few dozen flops) and the wait for the backend (measured against K whole
//! cores: sim/tests/sim/dec_core.rs, area_energy's `dec_multi_shared_whole_streams`).
//!
//! Ports (synchronous to `clock`; `reset` synchronous, active high, once before a
//! stream):
//! - `sl_valid`, `sl_ready` and the slice fields of [`crate::dec_core`] (`sl_w` ..
//!   `sl_wpp`): one command per slice segment in stream order; the command of slice k
//!   waits for core k mod K to have ended its slice before.
//! - `bs_valid`, `bs_ready`, `bs_last` (K), `bs_byte` (8K): core i's slice data (bits
//!   8i+7..8i), the bytes of its slices in order, `bs_last` on each slice's last byte.
//! - `px_valid`, `px_ready`, `px_last` (K), `px_data` (32K): core i's output, each of its
//!   slices' CTUs in order, each CTU line by line (cut at the picture's edges, as in
//!   [`crate::dec_core`]), `px_last` on each slice's last beat.
//! - `pic_open` (K): core i is inside a slice (with `sl_ready` and no slice left, the
//!   stream ended inside one).
//! - `err` (1): any core's.
//!
//! Cost: every core holds its own CTU banks (2 x CTU^2 bytes), line buffer
//! (`tiling.max_frame_width` bytes), coefficient memory and WPP context storage
//! ([`crate::memories`]).
//!
//! A rust-hdl Verilog wrapper; Verilator is the proof (sim/src/dec_core.rs).

use crate::common::{in_file, renamed, round_robin, subst, Gen};
use rust_hdl_core::prelude::*;

/// Ports; `K` cores, `K8` = 8K, `K32` = 32K.
#[derive(LogicBlock, Default)]
pub struct DecMulti<const K: usize, const K8: usize, const K32: usize> {
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
    pub sl_strong: Signal<In, Bit>,
    pub sl_wpp: Signal<In, Bit>,
    pub bs_valid: Signal<In, Bits<K>>,
    pub bs_ready: Signal<Out, Bits<K>>,
    pub bs_byte: Signal<In, Bits<K8>>,
    pub bs_last: Signal<In, Bits<K>>,
    pub px_valid: Signal<Out, Bits<K>>,
    pub px_ready: Signal<In, Bits<K>>,
    pub px_data: Signal<Out, Bits<K32>>,
    pub px_last: Signal<Out, Bits<K>>,
    pub pic_open: Signal<Out, Bits<K>>,
    pub err: Signal<Out, Bit>,
    pub cfg: Gen<golden::Params>,
}

impl<const K: usize, const K8: usize, const K32: usize> Logic for DecMulti<K, K8, K32> {
    /// No rust-hdl simulation model: Verilator runs the generated Verilog.
    fn update(&mut self) {}

    fn connect(&mut self) {
        self.sl_ready.connect();
        self.bs_ready.connect();
        self.px_valid.connect();
        self.px_data.connect();
        self.px_last.connect();
        self.pic_open.connect();
        self.err.connect();
    }

    fn hdl(&self) -> Verilog {
        let p = &self.cfg.0;
        if p.rtl.decoder_shared_backend {
            let blk = |n: &str| crate::block(n, p).expect("checked by generate");
            let mut m = renamed(crate::dec_core::generate_front(p).expect("checked by generate"), "dec_multi_front");
            m.push_str(&renamed(blk("inv_tq"), "dec_multi_inv_tq"));
            m.push_str(&renamed(blk("intra_pred"), "dec_multi_intra_pred"));
            let cores = in_file("the fronts (hw/src/dec_core.rs) and the shared backend as modules of this file", &m);
            let wl = 16 * crate::tu_params(p).expect("checked by generate").0;
            return Verilog::Wrapper(Wrapper { code: shared_body(K, wl), cores: crate::common::ram_once(cores) });
        }
        let core = crate::dec_core::generate_as(p, true).expect("checked by generate");
        let cores = in_file("the cores (hw/src/dec_core.rs) as modules of this file", &renamed(core, "dec_multi_core"));
        Verilog::Wrapper(Wrapper { code: body(K), cores: crate::common::ram_once(cores) })
    }
}

/// Why `dec_multi` cannot be generated for `p`, if it cannot.
pub fn check(p: &golden::Params) -> Result<(), String> {
    let k = p.rtl.decoder_cores;
    if !(2..=4).contains(&k) {
        return Err(format!("rtl.decoder_cores = {k}: dec_multi is generated with 2..=4 cores (1 is dec_core)"));
    }
    crate::recon::ReconParams::of(p).map(|_| ())
}

/// Generate the cores for `p` (module `dec_multi`), or why they cannot be.
pub fn generate(p: &golden::Params) -> Result<crate::GeneratedModule, String> {
    check(p)?;
    let cfg = Gen(p.clone());
    Ok(match p.rtl.decoder_cores {
        2 => crate::generate(&mut DecMulti::<2, 16, 64> { cfg, ..Default::default() }, "dec_multi"),
        3 => crate::generate(&mut DecMulti::<3, 24, 96> { cfg, ..Default::default() }, "dec_multi"),
        _ => crate::generate(&mut DecMulti::<4, 32, 128> { cfg, ..Default::default() }, "dec_multi"),
    })
}

fn body(k: usize) -> String {
    let mut s = format!(
        "\n    // dec_multi (hw/src/dec_multi.rs)\n{}",
        round_robin(k)
    );
    if k == 2 {
        s += "    wire unused_ok = sl_k[1];\n";
    }
    for i in 0..k {
        s += &subst(
            CORE_INSTANCE,
            &[
                ("I", i.to_string()),
                ("MOD", "dec_multi_core".into()),
                ("SIDE", String::new()),
            ],
        );
    }
    s
}

/// Core (or front) `$I` of module `$MOD`, with more ports `$SIDE`.
const CORE_INSTANCE: &str = r#"    $MOD u_c$I (
        .clock(clock), .reset(reset),
        .sl_valid(sl_valid & (sl_k == 2'd$I)), .sl_ready(u_sl_ready[$I]), .sl_w(sl_w), .sl_h(sl_h),
        .sl_ctbx(sl_ctbx), .sl_ctby(sl_ctby), .sl_addr(sl_addr), .sl_wctb(sl_wctb), .sl_nctb(sl_nctb),
        .sl_qp(sl_qp), .sl_qpc(sl_qpc), .sl_sdh(sl_sdh), .sl_tqb(sl_tqb), .sl_chroma(sl_chroma),
        .sl_maxtb(sl_maxtb), .sl_tudepth(sl_tudepth), .sl_log2ctb(sl_log2ctb), .sl_strong(sl_strong),
        .sl_wpp(sl_wpp),
        .bs_valid(bs_valid[$I]), .bs_ready(bs_ready[$I]), .bs_byte(bs_byte[8*$I+7:8*$I]), .bs_last(bs_last[$I]),
        .px_valid(px_valid[$I]), .px_ready(px_ready[$I]), .px_data(px_data[32*$I+31:32*$I]),
        .px_last(px_last[$I]), .pic_open(pic_open[$I]),$SIDE .err(u_err[$I]));
"#;

/// How a front's side port reaches the shared backend: muxed into the unit by the
/// owner (`Mux`), OR-reduced into the unit from the front at the head of a tag FIFO
/// (`Reduce`), back to the front selected (`Back`), or to every front (`All`).
#[derive(Clone, Copy)]
enum Route {
    Mux(&'static str),
    Reduce(&'static str),
    Back(&'static str),
    All,
}

/// The fronts' grant ports (name, width).
const BK: [(&str, usize); 4] = [("bk_req", 1), ("bk_gnt", 1), ("bk_done", 1), ("bk_tq", 1)];

/// The shared-backend variant: K fronts, the arbiter, one `inv_tq` and one
/// `intra_pred` (`wl` = 16P).
fn shared_body(k: usize, wl: usize) -> String {
    let km1 = k - 1;
    let mut s = format!(
        "\n    // dec_multi with a shared backend (hw/src/dec_multi.rs)\n{}",
        round_robin(k)
    );
    if k == 2 {
        s += "    wire unused_ok = sl_k[1];\n";
    }
    s += &subst(crate::recon::SIDE_WIRES, &[("WL", wl.to_string())]);
    // the fronts' side ports, K wide, and how each reaches the backend
    use Route::*;
    let ports: [(&str, usize, Route); 22] = [
        ("it_valid", 1, Mux("bk_sel")),
        ("it_ready", 1, Back("bk_sel")),
        ("it_level", wl, Mux("bk_sel")),
        ("it_log2", 3, Mux("bk_sel")),
        ("it_dst", 1, Mux("bk_sel")),
        ("it_qp", 6, Mux("bk_sel")),
        ("ir_valid", 1, Back("t_at")),
        ("ir_ready", 1, Reduce("t_at")),
        ("ir_res", wl, All),
        ("ir_last", 1, All),
        ("ip_valid", 1, Mux("bk_sel")),
        ("ip_ready", 1, Back("bk_sel")),
        ("ip_data", 32, Mux("bk_sel")),
        ("ip_mode", 6, Mux("bk_sel")),
        ("ip_log2", 3, Mux("bk_sel")),
        ("ip_luma", 1, Mux("bk_sel")),
        ("ip_strong", 1, Mux("bk_sel")),
        ("ip_corner", 8, Mux("bk_sel")),
        ("pp_valid", 1, Back("p_at")),
        ("pp_ready", 1, Reduce("p_at")),
        ("pp_sample", 32, All),
        ("pp_last", 1, All),
    ];
    let ports_bk: Vec<(&str, usize)> = ports.iter().map(|(n, w, _)| (*n, *w)).chain(BK).collect();
    for (n, w) in &ports_bk {
        s += &format!("    wire [{}:0] f_{n};\n", w * k - 1);
    }
    // the arbiter: a free backend goes to the first asking front after the last owner
    s += "    // arbiter: one front at a time sends a block's inputs (references, levels); the
    // backend is granted in the cycle a front asks (the first asking after the last
    // owner) and held until the owner's inputs have all been taken (bk_done); the
    // outputs go back in grant order (a tag FIFO per unit: at most one block per front
    // in flight, so K <= 4 entries)
    reg bk_held;
    reg [1:0] bk_own;
    reg [1:0] bk_pick;
    wire bk_any = |f_bk_req;
    always @(*) begin
        case (bk_own)\n";
    for o in 0..k {
        let mut e = format!("2'd{o}");
        for j in (1..k).rev() {
            let c = (o + j) % k;
            e = format!("f_bk_req[{c}] ? 2'd{c} : {e}");
        }
        s += &format!("            2'd{o}: bk_pick = {e};\n");
    }
    s += &format!(
        "            default: bk_pick = 2'd0;
        endcase
    end
    wire [{km1}:0] bk_sel;
    wire [{km1}:0] p_at;
    wire [{km1}:0] t_at;
    reg [1:0] p_tag [0:3];
    reg [1:0] t_tag [0:3];
    reg [1:0] p_wp;
    reg [1:0] p_rp;
    reg [1:0] t_wp;
    reg [1:0] t_rp;
    wire [1:0] p_head = p_tag[p_rp];
    wire [1:0] t_head = t_tag[t_rp];
    wire bk_start = ~bk_held & bk_any;
    wire bk_start_tq = bk_start & |(f_bk_gnt & f_bk_tq);
"
    );
    for i in 0..k {
        s += &format!(
            "    assign bk_sel[{i}] = bk_held & (bk_own == 2'd{i});
    assign f_bk_gnt[{i}] = bk_held ? (bk_own == 2'd{i}) : (bk_any & (bk_pick == 2'd{i}));
    assign p_at[{i}] = p_head == 2'd{i};
    assign t_at[{i}] = t_head == 2'd{i};
"
        );
    }
    s += "    always @(posedge clock) begin
        if (reset) begin
            bk_held <= 1'b0;
            bk_own <= 2'd$KM1;
            p_wp <= 2'd0;
            p_rp <= 2'd0;
            t_wp <= 2'd0;
            t_rp <= 2'd0;
        end else begin
            if (bk_held) begin
                if (|(f_bk_done & bk_sel)) bk_held <= 1'b0;
            end else if (bk_any) begin
                bk_held <= 1'b1;
                bk_own <= bk_pick;
            end
            if (bk_start) begin
                p_tag[p_wp] <= bk_pick;
                p_wp <= p_wp + 2'd1;
            end
            if (bk_start_tq) begin
                t_tag[t_wp] <= bk_pick;
                t_wp <= t_wp + 2'd1;
            end
            if (pp_valid & pp_ready & pp_last) p_rp <= p_rp + 2'd1;
            if (ir_valid & ir_ready & ir_last) t_rp <= t_rp + 2'd1;
        end
    end
    // the owner's inputs to the backend; the backend's outputs to the block at the
    // head of its unit's tag FIFO
"
    .replace("$KM1", &km1.to_string())
    .as_str();
    let mask = |n: &str, w: usize, sel: &str| -> String {
        (0..k)
            .map(|i| {
                format!(
                    "({{{w}{{{sel}[{i}]}}}} & f_{n}[{}:{}])",
                    w * i + w - 1,
                    w * i
                )
            })
            .collect::<Vec<_>>()
            .join(" | ")
    };
    for (n, w, route) in ports {
        s += &match route {
            Mux(sel) => format!("    assign {n} = {};\n", mask(n, w, sel)),
            Reduce(sel) => format!("    assign {n} = |({sel} & f_{n});\n"),
            Back(sel) => format!("    assign f_{n} = {sel} & {{{k}{{{n}}}}};\n"),
            All => format!("    assign f_{n} = {{{k}{{{n}}}}};\n"),
        };
    }
    for i in 0..k {
        let side: String = ports_bk
            .iter()
            .map(|(n, w)| format!(" .{n}(f_{n}[{}:{}]),", w * i + w - 1, w * i))
            .collect::<Vec<_>>()
            .chunks(4)
            .map(|c| format!("\n       {}", c.concat()))
            .collect();
        s += &subst(
            CORE_INSTANCE,
            &[
                ("I", i.to_string()),
                ("MOD", "dec_multi_front".into()),
                ("SIDE", side),
            ],
        );
    }
    s += &subst(
        &format!(
            "{}{}",
            crate::recon::SIDE_INV_TQ,
            crate::recon::SIDE_INTRA_PRED
        ),
        &[("CORE", "dec_multi".into())],
    );
    s
}
