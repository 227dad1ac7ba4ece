//! Per-output-channel round-to-nearest (RTN) quantization to int8.
//!
//! A channel is a row of the `[rows, cols]` matrix (see the reshape rule in
//! [`crate::tensor`]). All arithmetic is IEEE f32 (bit-exact on every platform);
//! `round` is round-half-away-from-zero (`f32::round`). Inputs must be finite (check
//! with [`crate::tensor::Tensor::check_finite`] first).
//!
//! * [`RtnMode::Symmetric`]: `scale = max|x| / 127`, `q = clamp(round(x / scale), -127,
//!   127)`, `x' = q * scale`. A row of zeros gets `scale = 0`, `q = 0`, `x' = 0`.
//! * [`RtnMode::Asymmetric`]: the row range is widened to contain 0 (as PyTorch's min/max
//!   observers do, so that 0 is exact and the zero point fits int8):
//!   `lo = min(min x, 0)`, `hi = max(max x, 0)`, `scale = (hi - lo) / 255`,
//!   `zp = clamp(-128 - round(lo / scale), -128, 127)`,
//!   `q = clamp(round(x / scale) + zp, -128, 127)`, `x' = (q - zp) * scale` (the integer
//!   `q - zp` converted to f32, then one f32 multiply). A row of zeros gets `scale = 0`,
//!   `zp = 0`, `q = 0`.
//!
//! [`rtn_bits`] is the 2..8-bit symmetric RTN baseline (per channel or per group).

use serde::{Deserialize, Serialize};

/// Symmetric (no zero point) or asymmetric (min/max with zero point) RTN.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RtnMode {
    Symmetric,
    Asymmetric,
}

impl RtnMode {
    /// The mode selected by `quant.symmetric` of the configuration.
    pub fn from_symmetric(symmetric: bool) -> Self {
        if symmetric {
            RtnMode::Symmetric
        } else {
            RtnMode::Asymmetric
        }
    }
}

/// An int8-quantized matrix with its per-row parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Quantized {
    pub rows: usize,
    pub cols: usize,
    /// Row-major int8 values, `rows * cols`.
    pub q: Vec<i8>,
    /// One scale per row.
    pub scales: Vec<f32>,
    /// One zero point per row (asymmetric), empty (symmetric).
    pub zero_points: Vec<i32>,
    pub mode: RtnMode,
}

fn quantize_sym_row(row: &[f32], q: &mut [i8]) -> f32 {
    let amax = row.iter().fold(0f32, |a, &x| a.max(x.abs()));
    let scale = amax / 127.0;
    if scale == 0.0 {
        q.fill(0);
        return 0.0;
    }
    for (o, &x) in q.iter_mut().zip(row) {
        *o = (x / scale).round().clamp(-127.0, 127.0) as i8;
    }
    scale
}

fn quantize_asym_row(row: &[f32], q: &mut [i8]) -> (f32, i32) {
    let (lo, hi) = row.iter().fold((0f32, 0f32), |(lo, hi), &x| (lo.min(x), hi.max(x)));
    let scale = (hi - lo) / 255.0;
    if scale == 0.0 {
        q.fill(0);
        return (0.0, 0);
    }
    let zp = (-128 - (lo / scale).round() as i32).clamp(-128, 127);
    for (o, &x) in q.iter_mut().zip(row) {
        *o = ((x / scale).round() as i32).saturating_add(zp).clamp(-128, 127) as i8;
    }
    (scale, zp)
}

/// Quantize a row-major `[rows, cols]` matrix (module docs for the rules).
///
/// Panics if `data.len() != rows * cols`.
pub fn quantize(data: &[f32], rows: usize, cols: usize, mode: RtnMode) -> Quantized {
    assert_eq!(data.len(), rows * cols, "quantize: data length vs {rows}x{cols}");
    let mut q = vec![0i8; data.len()];
    let mut scales = Vec::with_capacity(rows);
    let mut zero_points = Vec::new();
    if cols > 0 {
        for (row, qrow) in data.chunks_exact(cols).zip(q.chunks_exact_mut(cols)) {
            match mode {
                RtnMode::Symmetric => scales.push(quantize_sym_row(row, qrow)),
                RtnMode::Asymmetric => {
                    let (s, zp) = quantize_asym_row(row, qrow);
                    scales.push(s);
                    zero_points.push(zp);
                }
            }
        }
    } else {
        scales.resize(rows, 0.0);
        if mode == RtnMode::Asymmetric {
            zero_points.resize(rows, 0);
        }
    }
    Quantized { rows, cols, q, scales, zero_points, mode }
}

/// Reconstruct values from int8 values `q` (e.g. the decoded ones; `&qz.q` for the
/// encoder's own) with the row parameters of `qz`.
///
/// Panics if `q.len() != qz.rows * qz.cols` or the parameter counts are inconsistent.
pub fn dequantize(qz: &Quantized, q: &[i8]) -> Vec<f32> {
    assert_eq!(q.len(), qz.rows * qz.cols, "dequantize: {} values for {}x{}", q.len(), qz.rows, qz.cols);
    assert_eq!(qz.scales.len(), qz.rows, "dequantize: one scale per row");
    let mut out = Vec::with_capacity(q.len());
    if qz.cols == 0 {
        return out;
    }
    match qz.mode {
        RtnMode::Symmetric => {
            for (qrow, &s) in q.chunks_exact(qz.cols).zip(&qz.scales) {
                out.extend(qrow.iter().map(|&v| v as f32 * s));
            }
        }
        RtnMode::Asymmetric => {
            assert_eq!(qz.zero_points.len(), qz.rows, "dequantize: one zero point per row");
            for ((qrow, &s), &zp) in q.chunks_exact(qz.cols).zip(&qz.scales).zip(&qz.zero_points) {
                out.extend(qrow.iter().map(|&v| (v as i32 - zp) as f32 * s));
            }
        }
    }
    out
}

/// Symmetric `bits`-bit RTN (2..=8) per row (`group = None`) or per group of `G`
/// consecutive values of a row (`Some(G)`, the last group of a row may be shorter):
/// `qmax = 2^(bits-1) - 1`, `scale = max|x| / qmax`, `x' = clamp(round(x / scale),
/// -qmax, qmax) * scale`.
///
/// Returns the reconstruction and the bits per value including the scales, each counted
/// as 16 bits (an fp16 scale): `bits + 16 * scales / (rows * cols)`.
/// Panics on `bits` outside 2..=8, `group == Some(0)` or a length mismatch.
pub fn rtn_bits(data: &[f32], rows: usize, cols: usize, bits: u32, group: Option<usize>) -> (Vec<f32>, f64) {
    assert!((2..=8).contains(&bits), "rtn_bits: bits {bits} must be 2..=8");
    assert_eq!(data.len(), rows * cols, "rtn_bits: data length vs {rows}x{cols}");
    let g = group.unwrap_or(cols.max(1));
    assert!(g > 0, "rtn_bits: group size must be positive");
    let qmax = ((1i32 << (bits - 1)) - 1) as f32;
    let mut out = Vec::with_capacity(data.len());
    let mut nscales = 0usize;
    if cols > 0 {
        for row in data.chunks_exact(cols) {
            for chunk in row.chunks(g) {
                nscales += 1;
                let amax = chunk.iter().fold(0f32, |a, &x| a.max(x.abs()));
                let scale = amax / qmax;
                if scale == 0.0 {
                    out.extend(std::iter::repeat_n(0.0, chunk.len()));
                } else {
                    out.extend(chunk.iter().map(|&x| (x / scale).round().clamp(-qmax, qmax) * scale));
                }
            }
        }
    }
    let n = (rows * cols).max(1) as f64;
    (out, bits as f64 + 16.0 * nscales as f64 / n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::synth;

    #[test]
    fn symmetric_known_values() {
        let row = [-127.0f32, 0.5, -0.5, 1.5, 2.5, 100.4, 0.0, 126.5];
        let qz = quantize(&row, 1, 8, RtnMode::Symmetric);
        assert_eq!(qz.scales, vec![1.0]);
        assert_eq!(qz.q, vec![-127, 1, -1, 2, 3, 100, 0, 127]);
        assert!(qz.zero_points.is_empty());
        assert_eq!(dequantize(&qz, &qz.q), vec![-127.0, 1.0, -1.0, 2.0, 3.0, 100.0, 0.0, 127.0]);
        // A decoded override is used instead of qz.q.
        assert_eq!(dequantize(&qz, &[0, 0, 0, 0, 0, 0, 0, -3]), vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -3.0]);
    }

    #[test]
    fn zero_rows() {
        for mode in [RtnMode::Symmetric, RtnMode::Asymmetric] {
            let qz = quantize(&[0.0, 0.0, 0.0, 1.0, -2.0, 3.0], 2, 3, mode);
            assert_eq!(qz.scales[0], 0.0);
            assert_eq!(&qz.q[..3], &[0, 0, 0]);
            let d = dequantize(&qz, &qz.q);
            assert_eq!(&d[..3], &[0.0, 0.0, 0.0]);
            assert!((d[5] - 3.0).abs() < 0.02);
        }
    }

    #[test]
    fn asymmetric_known_values() {
        let qz = quantize(&[0.0, 255.0, 100.0, 100.5], 1, 4, RtnMode::Asymmetric);
        assert_eq!((qz.scales[0], qz.zero_points[0]), (1.0, -128));
        assert_eq!(qz.q, vec![-128, 127, -28, -27]);
        assert_eq!(dequantize(&qz, &qz.q), vec![0.0, 255.0, 100.0, 101.0]);
        // Range widened to contain 0: [-51, 204] -> scale 1, zp = -128 + 51 = -77.
        let qz = quantize(&[-51.0, 204.0, 0.0], 1, 3, RtnMode::Asymmetric);
        assert_eq!((qz.scales[0], qz.zero_points[0]), (1.0, -77));
        assert_eq!(qz.q, vec![-128, 127, -77]);
        assert_eq!(dequantize(&qz, &qz.q)[2], 0.0);
        // All-negative row.
        let qz = quantize(&[-255.0, -1.0], 1, 2, RtnMode::Asymmetric);
        assert_eq!((qz.scales[0], qz.zero_points[0], qz.q.clone()), (1.0, 127, vec![-128, 126]));
    }

    #[test]
    fn error_bounds_on_synthetic() {
        let t = synth::row_scaled(37, 301, 5);
        for mode in [RtnMode::Symmetric, RtnMode::Asymmetric] {
            let qz = quantize(&t.data, 37, 301, mode);
            assert_eq!(qz.scales.len(), 37);
            let d = dequantize(&qz, &qz.q);
            for r in 0..37 {
                let s = qz.scales[r];
                for c in 0..301 {
                    let e = (d[r * 301 + c] - t.data[r * 301 + c]).abs();
                    assert!(e <= 0.5 * s * 1.0001 + 1e-30, "{mode:?} r{r} c{c}: err {e} scale {s}");
                }
            }
        }
    }

    #[test]
    fn rtn_bits_baseline() {
        let t = synth::gaussian(16, 256, 11);
        // 8-bit per channel is exactly the symmetric int8 quantizer.
        let (r8, b8) = rtn_bits(&t.data, 16, 256, 8, None);
        let qz = quantize(&t.data, 16, 256, RtnMode::Symmetric);
        assert_eq!(r8, dequantize(&qz, &qz.q));
        assert!((b8 - (8.0 + 16.0 / 256.0)).abs() < 1e-12);
        // Groups of 100 over 256 columns: 3 scales per row.
        let (_, b) = rtn_bits(&t.data, 16, 256, 4, Some(100));
        assert!((b - (4.0 + 16.0 * 3.0 / 256.0)).abs() < 1e-12);
        // Fewer bits -> larger error; groups -> smaller error.
        let mse = |r: &[f32]| r.iter().zip(&t.data).map(|(a, b)| ((a - b) as f64).powi(2)).sum::<f64>();
        let e = |bits, g| mse(&rtn_bits(&t.data, 16, 256, bits, g).0);
        assert!(e(2, None) > e(3, None) && e(3, None) > e(4, None) && e(4, None) > e(8, None));
        assert!(e(4, Some(32)) < e(4, None));
        // 2-bit is ternary.
        let (r2, _) = rtn_bits(&t.data, 16, 256, 2, None);
        let qz2 = quantize(&t.data, 16, 256, RtnMode::Symmetric);
        for (i, v) in r2.iter().enumerate() {
            let s = qz2.scales[i / 256] * 127.0;
            assert!(*v == 0.0 || (v.abs() - s).abs() <= s * 1e-6);
        }
    }
}
