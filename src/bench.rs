//! `tcgen bench`: encode and decode speed against x265, ffmpeg and libde265, measured
//! side by side in one run on the same int8 frames (one thread each), as ratios.

use anyhow::Result;
use golden::config::{Params, StrategyKind};
use golden::tools;
use std::time::Instant;

pub struct BenchResult {
    pub json: serde_json::Value,
    pub text: String,
}

fn mbps(bytes: usize, secs: f64) -> f64 {
    bytes as f64 / 1e6 / secs.max(1e-9)
}

/// CPU seconds used so far by this thread plus all waited-for child processes
/// (user + system). CPU time, unlike wall time, does not count the time a noisy
/// neighbour takes the core away.
fn cpu_seconds() -> f64 {
    // SAFETY: plain libc calls writing into zero-initialized structs we own.
    unsafe {
        let mut ts: libc::timespec = std::mem::zeroed();
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts);
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru);
        let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
        ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9 + tv(ru.ru_utime) + tv(ru.ru_stime)
    }
}

/// Run `f` `reps` times; return the best CPU seconds (this thread + child processes;
/// the ratios use these) and the best wall seconds.
fn best_of<T>(reps: usize, mut f: impl FnMut() -> Result<T>) -> Result<(f64, T)> {
    let mut best = f64::MAX;
    let mut last = None;
    for _ in 0..reps {
        let c = cpu_seconds();
        let t = Instant::now();
        let v = f()?;
        let _wall = t.elapsed().as_secs_f64();
        best = best.min(cpu_seconds() - c);
        last = Some(v);
    }
    Ok((best, last.unwrap()))
}

/// `frame`: largest frame (width, height); larger tensors become several frames.
pub fn run(input: &str, qp: u8, reps: usize, frame: (u32, u32), skip_rd: bool) -> Result<BenchResult> {
    let t = golden::sample::load(input, None)?;
    let mut p0 = Params::default();
    p0.tiling.max_frame_width = frame.0;
    p0.tiling.max_frame_height = frame.1;
    p0.validate()?;
    let prep = golden::pipeline::prepare(&t, &p0)?;
    let (w, h) = (prep.layout.frame_width as usize, prep.layout.frame_height as usize);
    let frames = &prep.frames;
    let int8_bytes = prep.rows * prep.cols;
    let dir = tools::scratch_dir("bench");
    let yuv = dir.join("in.yuv");
    std::fs::write(&yuv, tools::yuv420_flat(frames, w, h))?;
    let qps = vec![qp; frames.len()];
    let mut enc = serde_json::Map::new();
    let mut text = format!("bench on {input}: {} frame(s) {w}x{h}, {int8_bytes} int8 values, QP {qp}, one thread, best of {reps}, CPU time (user+system, child processes included)\n", frames.len());
    let mut streams = Vec::new();
    for (name, strat) in [("tcgen hw", StrategyKind::Hw), ("tcgen rd", StrategyKind::Rd)] {
        if skip_rd && strat == StrategyKind::Rd {
            continue;
        }
        let mut p = p0.clone();
        p.encoder.strategy = strat;
        let (s, e) = best_of(reps, || Ok(golden::encoder::encode(&p, w, h, frames, &qps)?))?;
        enc.insert(name.into(), serde_json::json!({"seconds": s, "mb_per_s": mbps(int8_bytes, s), "bytes": e.annexb.len()}));
        streams.push((name.to_string(), e.annexb));
    }
    for preset in if skip_rd { &["ultrafast"][..] } else { &["ultrafast", "medium"][..] } {
        let out = dir.join(format!("x265_{preset}.hevc"));
        let (s, st) = best_of(reps, || Ok(tools::x265_encode(&yuv, w, h, qp, preset, &out, &["--no-deblock", "--no-sao"])?))?;
        let name = format!("x265 {preset}");
        enc.insert(name.clone(), serde_json::json!({"seconds": s, "mb_per_s": mbps(int8_bytes, s), "bytes": st.len()}));
        streams.push((name, st));
    }
    let get = |m: &serde_json::Map<String, serde_json::Value>, k: &str| m[k]["mb_per_s"].as_f64().unwrap_or(0.0);
    text += "encode (MB of int8 per second):\n";
    for (k, v) in &enc {
        text += &format!("  {k:16} {:9.3}\n", v["mb_per_s"].as_f64().unwrap_or(0.0));
    }
    let enc_ratios = serde_json::json!({
        "hw_vs_x265_ultrafast": get(&enc, "tcgen hw") / get(&enc, "x265 ultrafast"),
        "rd_vs_x265_medium": if skip_rd { f64::NAN } else { get(&enc, "tcgen rd") / get(&enc, "x265 medium") },
    });
    text += &format!("  ratios: {enc_ratios}\n");
    // decode every stream with golden, ffmpeg and dec265
    let mut dec = serde_json::Map::new();
    text += "decode (MB of int8 per second):\n";
    for (name, s) in &streams {
        let path = dir.join("d.hevc");
        std::fs::write(&path, s)?;
        let (tg, _) = best_of(reps, || Ok(golden::decoder::decode(s)?))?;
        let (tf, _) = best_of(reps, || Ok(tools::ffmpeg_decode(&path, &dir.join("ff.yuv"), "yuv420p")?))?;
        let (td, _) = best_of(reps, || Ok(tools::dec265_decode(&path, &dir.join("de.yuv"))?))?;
        let row = serde_json::json!({
            "golden_mb_per_s": mbps(int8_bytes, tg), "ffmpeg_mb_per_s": mbps(int8_bytes, tf), "libde265_mb_per_s": mbps(int8_bytes, td),
            "golden_vs_ffmpeg": tf / tg, "golden_vs_libde265": td / tg,
        });
        text += &format!(
            "  {name:16} golden {:8.3}  ffmpeg {:8.3}  libde265 {:8.3}  (golden/ffmpeg {:.2}x, golden/libde265 {:.2}x)\n",
            mbps(int8_bytes, tg),
            mbps(int8_bytes, tf),
            mbps(int8_bytes, td),
            tf / tg,
            td / tg
        );
        dec.insert(name.clone(), row);
    }
    let _ = std::fs::remove_dir_all(&dir);
    let json = serde_json::json!({"input": input, "frames": frames.len(), "width": w, "height": h, "qp": qp, "encode": enc, "encode_ratios": enc_ratios, "decode": dec,
        "note": "CPU seconds (user+system) of this thread or of the external tool's process, best of reps; external tools timed as whole processes (startup included)"});
    Ok(BenchResult { json, text })
}
