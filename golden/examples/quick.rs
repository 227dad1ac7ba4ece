use golden::config::{Params, StrategyKind};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let w: usize = args[1].parse().unwrap();
    let h: usize = args[2].parse().unwrap();
    let qp: u8 = args[3].parse().unwrap();
    let strat = &args[4];
    let mut p = Params::default();
    p.encoder.strategy = if strat == "hw" { StrategyKind::Hw } else { StrategyKind::Rd };
    if args.len() > 5 { p = Params::from_toml_str(&std::fs::read_to_string(&args[5]).unwrap()).unwrap(); p.encoder.strategy = if strat == "hw" { StrategyKind::Hw } else { StrategyKind::Rd }; }
    let mut s = 1u64;
    let f: Vec<u8> = (0..w * h).map(|i| { s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); let x = (i % w) as i64; let y = (i / w) as i64; (128 + ((x * 3 + y) % 40) - 20 + ((s >> 60) as i64) - 8).clamp(0,255) as u8 }).collect();
    let t = std::time::Instant::now();
    let e = golden::encoder::encode(&p, w, h, &[f.clone()], &[qp]).unwrap();
    eprintln!("{} bytes in {:?}", e.annexb.len(), t.elapsed());
    std::fs::write("/tmp/q.hevc", &e.annexb).unwrap();
    let mut y = e.recon[0].clone();
    y.extend(std::iter::repeat(128u8).take(w * h / 2));
    std::fs::write("/tmp/q_recon.yuv", &y).unwrap();
}
