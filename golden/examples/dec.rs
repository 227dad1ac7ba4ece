//! Decode an Annex-B HEVC stream with golden and write planar YUV: `cargo run --release -p golden --example dec -- IN.hevc OUT.yuv` (prints the decode time).
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let data = std::fs::read(&a[1]).unwrap();
    let t = std::time::Instant::now();
    match golden::decoder::decode(&data) {
        Ok(p) => {
            let el = t.elapsed();
            let yuv: Vec<u8> = p.iter().flat_map(|p| p.to_yuv()).collect();
            std::fs::write(&a[2], &yuv).unwrap();
            eprintln!("{} pictures {}x{} in {:?}", p.len(), p[0].width, p[0].height, el);
        }
        Err(e) => { eprintln!("error: {e}"); std::process::exit(1) }
    }
}
