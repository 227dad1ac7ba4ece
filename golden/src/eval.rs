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

impl Curve {
    /// The points (in MSE order) with MSE in `lo..=hi`, plus the nearest one outside
    /// either end, so that interpolation still covers the range: a reference curve cut
    /// to the codecs' range for a plot.
    pub fn around(&self, lo: f64, hi: f64) -> Curve {
        let mut pts = self.points.clone();
        pts.sort_by(|a, b| a.mse_int8.total_cmp(&b.mse_int8));
        let first = pts.iter().rposition(|p| p.mse_int8 < lo).unwrap_or(0);
        let last = pts.iter().position(|p| p.mse_int8 > hi).unwrap_or(pts.len().saturating_sub(1));
        let points = if pts.is_empty() || first > last { Vec::new() } else { pts[first..=last].to_vec() };
        Curve { name: self.name.clone(), points }
    }
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

/// Variance of the int8 values (the Gaussian R(D)'s `var`).
pub fn int8_variance(prep: &Prepared) -> f64 {
    let q = &prep.quantized.q;
    let n = q.len().max(1) as f64;
    let mean = q.iter().map(|&v| v as f64).sum::<f64>() / n;
    q.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n
}

/// Gaussian rate-distortion function 0.5*log2(var/mse) (bits/value, 0 where mse >= var)
/// for a variance `var` (the int8 values', [`int8_variance`]): the reference the
/// mission's "bits above the bound" figures use. (For a given variance the Gaussian is
/// the hardest source, so for other distributions this is not a lower bound.)
pub fn gaussian_rd_bits(var: f64, mse: f64) -> f64 {
    if mse <= 0.0 || mse >= var {
        return 0.0;
    }
    0.5 * (var / mse).log2()
}

/// The smallest and largest MSE of the curves' points (what a reference curve is cut
/// to with [`Curve::around`]).
pub fn mse_range(curves: &[Curve]) -> (f64, f64) {
    curves.iter().flat_map(|c| &c.points).fold((f64::MAX, 0.0f64), |(lo, hi), p| (lo.min(p.mse_int8), hi.max(p.mse_int8)))
}

/// "A uniform quantizer with ideal entropy coding" on the int8 samples: every value
/// is coded as an index i of the grid i*step (the reconstruction HEVC's levels have,
/// here in the sample domain, clipped to int8), at the zeroth-order entropy of the
/// indices, with entropy-constrained thresholds (each value takes the index with the
/// least (v - i*step)^2 + lambda * -log2 p(i), p iterated to a fixed point, as RDOQ
/// trades distortion for rate). Swept over step (2^(k/8), 0.5..256) and lambda
/// (0..0.6 step^2); the curve is the lower convex hull of (MSE, bits). Memoryless: it
/// ignores correlation between values, which a codec's prediction and transform can
/// use; on near-white data such as most weight matrices it is what a scalar-quantizing
/// codec with a perfect entropy coder would reach, 1.53 dB (0.254 bits) short of the
/// rate-distortion bound at high rate.
pub fn ecsq_curve(prep: &Prepared) -> Curve {
    let mut hist = [0u64; 256];
    for &v in &prep.quantized.q {
        hist[(v as i32 + 128) as usize] += 1;
    }
    let n = prep.quantized.q.len().max(1) as f64;
    let vals: Vec<(f64, f64)> = (0..256).filter(|&k| hist[k] > 0).map(|k| (k as f64 - 128.0, hist[k] as f64)).collect();
    let mut pts: Vec<(f64, f64)> = Vec::new();
    for k in -8..=64 {
        let step = 2f64.powf(k as f64 / 8.0);
        let imax = (128.0 / step).ceil() as i64 + 1;
        let m = (2 * imax + 1) as usize;
        let recon = |i: i64| (i as f64 * step).clamp(-128.0, 127.0);
        for c in [0.0, 0.03, 0.06, 0.1, 0.15, 0.2, 0.3, 0.45, 0.6] {
            let lambda = c * step * step;
            // start from plain rounding
            let mut idx: Vec<i64> = vals.iter().map(|&(v, _)| (v / step).round() as i64).collect();
            let mut bits_of = vec![0.0f64; m];
            for _ in 0..12 {
                let mut cnt = vec![0.0f64; m];
                for (&i, &(_, w)) in idx.iter().zip(&vals) {
                    cnt[(i + imax) as usize] += w;
                }
                for (b, &c) in bits_of.iter_mut().zip(&cnt) {
                    *b = if c > 0.0 { -(c / n).log2() } else { 64.0 };
                }
                let mut changed = false;
                for (i, &(v, _)) in idx.iter_mut().zip(&vals) {
                    let r = (v / step).round() as i64;
                    let mut best = (f64::MAX, *i);
                    for cand in (r - 2).max(-imax)..=(r + 2).min(imax) {
                        let j = (v - recon(cand)).powi(2) + lambda * bits_of[(cand + imax) as usize];
                        if j < best.0 {
                            best = (j, cand);
                        }
                    }
                    changed |= best.1 != *i;
                    *i = best.1;
                }
                if !changed {
                    break;
                }
            }
            let mut cnt = vec![0.0f64; m];
            let mut d = 0.0;
            for (&i, &(v, w)) in idx.iter().zip(&vals) {
                cnt[(i + imax) as usize] += w;
                d += w * (v - recon(i)).powi(2);
            }
            let h: f64 = cnt.iter().filter(|&&c| c > 0.0).map(|&c| -(c / n) * (c / n).log2()).sum();
            pts.push((d / n, h));
        }
    }
    // lower convex hull in (mse, bits), mse ascending
    pts.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap().then(a.1.partial_cmp(&b.1).unwrap()));
    let mut hull: Vec<(f64, f64)> = Vec::new();
    for p in pts {
        if hull.last().is_some_and(|l| p.1 >= l.1) {
            continue; // not lower than a point with less distortion
        }
        while hull.len() >= 2 {
            let (a, b) = (hull[hull.len() - 2], hull[hull.len() - 1]);
            // b above the segment a-p: drop it
            if (b.1 - a.1) * (p.0 - a.0) >= (p.1 - a.1) * (b.0 - a.0) {
                hull.pop();
            } else {
                break;
            }
        }
        hull.push(p);
    }
    Curve {
        name: "ideal ECSQ on the samples".into(),
        points: hull.into_iter().map(|(d, b)| Point { qp: None, bits_per_value: b, mse_int8: d, mse_float: f64::NAN }).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepared(t: &crate::tensor::Tensor) -> Prepared {
        crate::pipeline::prepare(t, &Params::default()).unwrap()
    }

    fn curve(pts: &[(f64, f64)]) -> Curve {
        Curve { name: "c".into(), points: pts.iter().map(|&(m, b)| Point { qp: None, bits_per_value: b, mse_int8: m, mse_float: 0.0 }).collect() }
    }

    #[test]
    fn bits_at_mse_interpolates_in_log_log() {
        let c = curve(&[(1.0, 8.0), (4.0, 2.0)]);
        // halfway in log MSE: the geometric mean of the bits
        assert!((bits_at_mse(&c, 2.0).unwrap() - 4.0).abs() < 1e-12);
        assert_eq!(bits_at_mse(&c, 0.5), None);
        assert_eq!(bits_at_mse(&c, 5.0), None);
        let ours = curve(&[(2.0, 2.0), (8.0, 1.0)]);
        let (pts, gm) = ratio_at_equal_mse(&ours, &c);
        assert_eq!(pts.len(), 1);
        assert!((gm.unwrap() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn around_keeps_one_point_beyond_each_end() {
        let c = curve(&[(4.0, 1.0), (1.0, 3.0), (2.0, 2.0), (8.0, 0.5), (16.0, 0.2)]);
        let mse = |c: &Curve| c.points.iter().map(|p| p.mse_int8).collect::<Vec<_>>();
        assert_eq!(mse(&c.around(1.5, 5.0)), [1.0, 2.0, 4.0, 8.0]);
        assert_eq!(mse(&c.around(0.5, 100.0)), [1.0, 2.0, 4.0, 8.0, 16.0]);
        assert_eq!(mse(&c.around(2.0, 2.0)), [1.0, 2.0, 4.0]);
    }

    /// The ideal-ECSQ reference: a monotone convex hull; lossless at the entropy of the
    /// int8 values; on Gaussian data about 0.254 bits above the Gaussian R(D) at high
    /// rate (the scalar quantizer's space-filling loss) and close to it at low rate.
    #[test]
    fn ecsq_reference_on_gaussian_data() {
        let prep = prepared(&crate::tensor::synth::gaussian(256, 256, 5));
        let c = ecsq_curve(&prep);
        let pts: Vec<(f64, f64)> = c.points.iter().map(|p| (p.mse_int8, p.bits_per_value)).collect();
        assert!(pts.len() > 20, "{} hull points", pts.len());
        for w in pts.windows(3) {
            let ((x0, y0), (x1, y1), (x2, y2)) = (w[0], w[1], w[2]);
            assert!(x0 < x1 && x1 < x2 && y0 > y1 && y1 > y2, "not monotone: {w:?}");
            assert!((y1 - y0) * (x2 - x0) < (y2 - y0) * (x1 - x0) + 1e-9, "not convex: {w:?}");
        }
        // lossless end: the zeroth-order entropy of the int8 values
        let mut hist = [0f64; 256];
        for &v in &prep.quantized.q {
            hist[(v as i32 + 128) as usize] += 1.0;
        }
        let n = prep.quantized.q.len() as f64;
        let h: f64 = hist.iter().filter(|&&c| c > 0.0).map(|&c| -(c / n) * (c / n).log2()).sum();
        assert_eq!(pts[0].0, 0.0);
        assert!((pts[0].1 - h).abs() < 1e-9, "lossless {} vs entropy {h}", pts[0].1);
        for (mse, lo, hi) in [(4.0, 0.22, 0.28), (16.0, 0.22, 0.28), (60.0, 0.22, 0.28)] {
            let gap = bits_at_mse(&c, mse).unwrap() - gaussian_rd_bits(int8_variance(&prep), mse);
            assert!(gap > lo && gap < hi, "ECSQ - R(D) at MSE {mse}: {gap}");
        }
    }
}
