//! Where the bits go: re-code a frame's decisions with a classifying bit counter.
use golden::cabac::{bin_cost, BinSink, Contexts, Ctx, ONE_BIT};
use golden::config::{Params, StrategyKind};
use golden::encoder::frame::FrameState;
use std::collections::BTreeMap;

struct Classify {
    base: usize,
    fields: Vec<(&'static str, usize, usize)>,
    bits: BTreeMap<&'static str, f64>,
    bypass: f64,
}
impl BinSink for Classify {
    fn bin(&mut self, ctx: &mut Ctx, bin: u32) {
        let a = ctx as *mut Ctx as usize - self.base;
        let name = self.fields.iter().find(|(_, s, e)| a >= *s && a < *e).map(|f| f.0).unwrap_or("?");
        *self.bits.entry(name).or_default() += bin_cost(ctx, bin) as f64 / ONE_BIT as f64;
        ctx.update(bin);
    }
    fn bypass(&mut self, _b: u32) { self.bypass += 1.0; }
    fn terminate(&mut self, _b: u32) {}
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let qp: u8 = args.get(1).map(|s| s.parse().unwrap()).unwrap_or(22);
    let mut p = Params::default();
    p.encoder.strategy = if args.get(2).map(|s| s.as_str()) == Some("hw") { StrategyKind::Hw } else { StrategyKind::Rd };
    let t = golden::sample::load(args.get(3).map(|s| s.as_str()).unwrap_or("@minilm"), None).unwrap();
    let prep = golden::pipeline::prepare(&t, &p).unwrap();
    let (w, h) = (prep.layout.frame_width as usize, prep.layout.frame_height as usize);
    let frame = &prep.frames[0];
    let mut st = FrameState::new(&p, w, h, frame, qp, vec![0; w.div_ceil(32) * h.div_ceil(32)]);
    let mut ctx = Contexts::new(qp as i32);
    let base = &ctx as *const Contexts as usize;
    macro_rules! f { ($n:ident) => { (stringify!($n), ctx.$n.as_ptr() as usize - base, ctx.$n.as_ptr() as usize - base + std::mem::size_of_val(&ctx.$n)) } }
    let fields = vec![f!(split_cu), f!(part_mode), f!(prev_intra_luma_pred), f!(chroma_pred_mode), f!(split_tu), f!(cbf_luma), f!(cbf_chroma), f!(last_x), f!(last_y), f!(csbf), f!(sig), f!(gt1), f!(gt2)];
    let mut cl = Classify { base: 0, fields, bits: BTreeMap::new(), bypass: 0.0 };
    let mut lv = vec![0i32; 1024];
    let mut sizes = BTreeMap::new();
    for cy in 0..h.div_ceil(32) {
        for cx in 0..w.div_ceil(32) {
            let (x0, y0) = (cx * 32, cy * 32);
            match p.encoder.strategy {
                StrategyKind::Hw => golden::encoder::search::hw_ctu(&mut st, x0, y0),
                StrategyKind::Rd => golden::encoder::search::rd_ctu(&mut st, &ctx, x0, y0),
            }
            cl.base = &ctx as *const Contexts as usize;
            golden::encoder::syntax::code_quadtree(&mut cl, &mut ctx, &st, x0, y0, 5, 0, &mut lv);
        }
    }
    for u in 0..st.tu_log2.len() { *sizes.entry((st.cu_log2[u], st.tu_log2[u], st.mode[u])).or_insert(0usize) += 16; }
    let n = (w * h) as f64;
    let total: f64 = cl.bits.values().sum::<f64>() + cl.bypass;
    println!("QP {qp}: total {:.4} bits/sample", total / n);
    for (k, v) in &cl.bits { println!("  {k:24} {:.4}", v / n); }
    println!("  {:24} {:.4}", "bypass", cl.bypass / n);
    let mut by_tu = BTreeMap::new();
    let mut by_mode = BTreeMap::new();
    for ((c, t, m), s) in sizes { *by_tu.entry((c, t)).or_insert(0usize) += s; *by_mode.entry(m).or_insert(0usize) += s; }
    println!("(cu_log2, tu_log2) share: {:?}", by_tu.iter().map(|(k, v)| (k, format!("{:.3}", *v as f64 / n))).collect::<Vec<_>>());
    println!("mode share: {:?}", by_mode.iter().map(|(k, v)| (k, format!("{:.3}", *v as f64 / n))).collect::<Vec<_>>());
}
