//! Rate-distortion evaluation: our codec's QP sweep, x265 intra-only on the same int8
//! frames, and plain RTN 2/3/4-bit baselines; bits/value at equal MSE.

use crate::config::Params;
use crate::pipeline::{encode_at, float_errors, restore_floats, PipelineError, Prepared};
use crate::tensor::{rotate, rtn, tile};
use crate::tools::{self, ToolError};

/// One operating point.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Point {
    pub qp: Option<u8>,
    pub bits_per_value: f64,
    pub mse_int8: f64,
    pub mse_float: f64,
}

/// A named rate-distortion curve (points in QP order).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Curve {
    pub name: String,
    pub points: Vec<Point>,
}

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Tool(#[from] ToolError),
    #[error("x265/ffmpeg output has an unexpected size ({0} bytes)")]
    Size(usize),
}

/// Our codec at each QP.
pub fn our_sweep(prep: &Prepared, p: &Params, qps: &[u8], name: &str) -> Result<Curve, EvalError> {
    let mut points = Vec::new();
    for &qp in qps {
        let r = encode_at(prep, p, qp)?;
        points.push(Point { qp: Some(qp), bits_per_value: r.metrics.bits_per_value, mse_int8: r.metrics.mse_int8, mse_float: r.metrics.mse_float });
    }
    Ok(Curve { name: name.into(), points })
}

/// x265 intra-only (`--keyint 1 --ipratio 1`, one thread, given preset) on the same
/// 4:2:0 frames; bits are the whole stream (with `--no-info`), errors on real values.
pub fn x265_sweep(prep: &Prepared, qps: &[u8], preset: &str, extra: &[&str]) -> Result<Curve, EvalError> {
    let l = &prep.layout;
    let (w, h) = (l.frame_width as usize, l.frame_height as usize);
    let dir = tools::scratch_dir("x265");
    let yuv = dir.join("in.yuv");
    std::fs::write(&yuv, tools::yuv420_flat(&prep.frames, w, h)).map_err(|e| ToolError::Io { tool: "x265".into(), source: e })?;
    let values = prep.rows * prep.cols;
    let mut points = Vec::new();
    for &qp in qps {
        let hevc = dir.join(format!("x265_{qp}.hevc"));
        let stream = tools::x265_encode(&yuv, w, h, qp, preset, &hevc, extra)?;
        let dec = tools::ffmpeg_decode(&hevc, &dir.join("dec.yuv"), "yuv420p")?;
        let luma = tools::luma_of_yuv420(&dec, w, h, false).ok_or(EvalError::Size(dec.len()))?;
        if luma.len() != prep.frames.len() {
            return Err(EvalError::Size(dec.len()));
        }
        let q_recon = tile::from_frames(&luma, l).map_err(PipelineError::from)?;
        let mse_int8 = prep.quantized.q.iter().zip(&q_recon).map(|(&a, &b)| ((a as i32 - b as i32) as f64).powi(2)).sum::<f64>() / values as f64;
        let recon_f = restore_floats(&prep.quantized, &q_recon, prep.rotate_seed);
        let (mse_float, _) = float_errors(&prep.original, &recon_f);
        points.push(Point { qp: Some(qp), bits_per_value: stream.len() as f64 * 8.0 / values as f64, mse_int8, mse_float });
    }
    let _ = std::fs::remove_dir_all(&dir);
    let name = if extra.is_empty() { format!("x265 {preset}") } else { format!("x265 {preset} {}", extra.join(" ")) };
    Ok(Curve { name, points })
}

/// Plain symmetric RTN at 2, 3, 4 bits, per channel and per group of 128, scale
/// overhead counted (16 bits per scale). MSE in int8 units divides each row's error
/// by that row's int8 step.
pub fn rtn_baselines(prep: &Prepared) -> Vec<Curve> {
    let data = match prep.rotate_seed {
        Some(s) => rotate::rotate(&prep.original, prep.rows, prep.cols, s),
        None => prep.original.clone(),
    };
    let mut out = Vec::new();
    for (name, group) in [("RTN per channel", None), ("RTN group 128", Some(128usize))] {
        let mut points = Vec::new();
        for bits in [2u32, 3, 4] {
            let (recon, bpv) = rtn::rtn_bits(&data, prep.rows, prep.cols, bits, group);
            let mut s_f = 0.0;
            let mut s_i = 0.0;
            for r in 0..prep.rows {
                let sc = prep.quantized.scales[r] as f64;
                for c in 0..prep.cols {
                    let d = data[r * prep.cols + c] as f64 - recon[r * prep.cols + c] as f64;
                    s_f += d * d;
                    if sc > 0.0 {
                        s_i += (d / sc) * (d / sc);
                    }
                }
            }
            let n = (prep.rows * prep.cols) as f64;
            points.push(Point { qp: None, bits_per_value: bpv, mse_int8: s_i / n, mse_float: s_f / n });
        }
        out.push(Curve { name: name.into(), points });
    }
    out
}

/// log(bits) of `reference` interpolated at `mse` (piecewise linear in log MSE);
/// None outside its range.
pub fn bits_at_mse(reference: &Curve, mse: f64) -> Option<f64> {
    let mut pts: Vec<(f64, f64)> =
        reference.points.iter().filter(|p| p.mse_int8 > 0.0 && p.bits_per_value > 0.0).map(|p| (p.mse_int8.ln(), p.bits_per_value.ln())).collect();
    pts.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
    let x = mse.ln();
    for w in pts.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if x >= x0 && x <= x1 {
            let t = if x1 > x0 { (x - x0) / (x1 - x0) } else { 0.0 };
            return Some((y0 + t * (y1 - y0)).exp());
        }
    }
    None
}

/// For each of `ours`' points inside the reference's MSE range: (mse, our bits /
/// reference bits). Plus the geometric mean of the ratios.
pub fn ratio_at_equal_mse(ours: &Curve, reference: &Curve) -> (Vec<(f64, f64)>, Option<f64>) {
    let mut v = Vec::new();
    for p in &ours.points {
        if p.mse_int8 <= 0.0 {
            continue;
        }
        if let Some(b) = bits_at_mse(reference, p.mse_int8) {
            v.push((p.mse_int8, p.bits_per_value / b));
        }
    }
    let gm = if v.is_empty() { None } else { Some((v.iter().map(|(_, r)| r.ln()).sum::<f64>() / v.len() as f64).exp()) };
    (v, gm)
}
