//! Tensor -> int8 -> frames -> HEVC -> .t265, with rate control and metrics.
//!
//! Rate control (documented rule): one QP per tensor. `--qp Q` uses Q for every
//! frame; `--bits-per-value B` picks the smallest QP whose stream needs at most B bits
//! per tensor value (binary search, bits fall as QP rises); `--mse M` picks the largest
//! QP whose int8-scale MSE is at most M. If no QP meets the target, the closest one is
//! used (QP 51 for a bit budget, QP 0 for an MSE ceiling) and `target_met` says so.

use crate::config::{ChromaFormat, Params};
use crate::container::{self, T265Header, PROFILE_MAIN_420, PROFILE_MONO_400};
use crate::encoder::{self, EncodeError, Encoded};
use crate::tensor::rtn::{self, Quantized, RtnMode};
use crate::tensor::tile::{self, FrameLayout};
use crate::tensor::{rotate, Tensor, TensorError};

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Tensor(#[from] TensorError),
    #[error(transparent)]
    Encode(#[from] EncodeError),
    #[error(transparent)]
    Container(#[from] crate::container::ContainerError),
    #[error("rate target: {0}")]
    Target(String),
}

/// What to aim the QP at.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateTarget {
    Qp(u8),
    BitsPerValue(f64),
    Mse(f64),
}

/// A tensor made ready for the codec: (rotated) matrix, int8, frames.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub shape: Vec<usize>,
    pub dtype: crate::tensor::DType,
    pub rows: usize,
    pub cols: usize,
    /// Original values (row-major matrix).
    pub original: Vec<f32>,
    pub quantized: Quantized,
    pub rotate_seed: Option<u64>,
    pub layout: FrameLayout,
    pub frames: Vec<Vec<u8>>,
}

/// Quality and size figures of one encode.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Metrics {
    pub qp: u8,
    pub values: usize,
    /// Annex-B stream bits per tensor value.
    pub bits_per_value: f64,
    /// Whole .t265 container (stream + header with scales) bits per value.
    pub bits_per_value_container: f64,
    /// MSE between the int8 tensor and its reconstruction (real values only).
    pub mse_int8: f64,
    /// MSE between the original floats and the decoded floats.
    pub mse_float: f64,
    /// Largest absolute float error.
    pub max_abs_err: f64,
    /// MSE of plain int8 RTN (the floor set by the front end), float scale.
    pub mse_float_rtn8: f64,
    pub stream_bytes: usize,
    pub container_bytes: usize,
}

/// The result of encoding a tensor.
#[derive(Clone, Debug)]
pub struct TensorEncoded {
    pub prepared: Prepared,
    pub header: T265Header,
    pub container: Vec<u8>,
    pub encoded: Encoded,
    /// Decoded int8 matrix (from the reconstruction).
    pub q_recon: Vec<i8>,
    pub metrics: Metrics,
    pub target_met: bool,
}

/// Check, rotate, quantize and tile a tensor.
pub fn prepare(t: &Tensor, p: &Params) -> Result<Prepared, PipelineError> {
    p.validate().map_err(EncodeError::from)?;
    t.check_finite()?;
    let (rows, cols) = t.as_matrix()?;
    let data = match p.quant.rotate_seed {
        Some(seed) => rotate::rotate(&t.data, rows, cols, seed),
        None => t.data.clone(),
    };
    let quantized = rtn::quantize(&data, rows, cols, RtnMode::from_symmetric(p.quant.symmetric));
    let layout = tile::layout(rows, cols, &p.tiling)?;
    let frames = tile::to_frames(&quantized.q, &layout);
    encoder::check_geometry(p, layout.frame_width as usize, layout.frame_height as usize)?;
    Ok(Prepared { shape: t.shape.clone(), dtype: t.dtype, rows, cols, original: t.data.clone(), quantized, rotate_seed: p.quant.rotate_seed, layout, frames })
}

/// Float values from decoded int8 (dequantize, then undo the rotation).
pub fn restore_floats(q: &Quantized, q_recon: &[i8], rotate_seed: Option<u64>) -> Vec<f32> {
    let deq = rtn::dequantize(q, q_recon);
    match rotate_seed {
        Some(seed) => rotate::unrotate(&deq, q.rows, q.cols, seed),
        None => deq,
    }
}

fn mse_i8(a: &[i8], b: &[i8]) -> f64 {
    a.iter().zip(b).map(|(&x, &y)| ((x as i32 - y as i32) as f64).powi(2)).sum::<f64>() / a.len().max(1) as f64
}

/// MSE and max abs error of floats.
pub fn float_errors(a: &[f32], b: &[f32]) -> (f64, f64) {
    let mut s = 0.0;
    let mut m = 0.0f64;
    for (&x, &y) in a.iter().zip(b) {
        let d = (x as f64 - y as f64).abs();
        s += d * d;
        m = m.max(d);
    }
    (s / a.len().max(1) as f64, m)
}

fn profile_name(p: &Params) -> &'static str {
    match p.bitstream.chroma {
        ChromaFormat::Yuv420 => PROFILE_MAIN_420,
        ChromaFormat::Yuv400 => PROFILE_MONO_400,
    }
}

/// Encode prepared frames at one QP, with container and metrics.
pub fn encode_at(prep: &Prepared, p: &Params, qp: u8) -> Result<TensorEncoded, PipelineError> {
    let l = &prep.layout;
    let qps = vec![qp; prep.frames.len()];
    let encoded = encoder::encode(p, l.frame_width as usize, l.frame_height as usize, &prep.frames, &qps)?;
    let q_recon = tile::from_frames(&encoded.recon, l)?;
    let header = T265Header {
        shape: prep.shape.clone(),
        dtype: prep.dtype,
        rtn: prep.quantized.mode,
        scales: prep.quantized.scales.clone(),
        zero_points: prep.quantized.zero_points.clone(),
        rotate_seed: prep.rotate_seed,
        layout: l.clone(),
        profile: profile_name(p).to_string(),
        qps,
        params_toml: p.to_toml_string(),
    };
    let container = container::write(&header, &encoded.annexb);
    let values = prep.rows * prep.cols;
    let recon_f = restore_floats(&prep.quantized, &q_recon, prep.rotate_seed);
    let (mse_float, max_abs_err) = float_errors(&prep.original, &recon_f);
    let rtn8 = restore_floats(&prep.quantized, &prep.quantized.q, prep.rotate_seed);
    let (mse_float_rtn8, _) = float_errors(&prep.original, &rtn8);
    let metrics = Metrics {
        qp,
        values,
        bits_per_value: encoded.annexb.len() as f64 * 8.0 / values as f64,
        bits_per_value_container: container.len() as f64 * 8.0 / values as f64,
        mse_int8: mse_i8(&prep.quantized.q, &q_recon),
        mse_float,
        max_abs_err,
        mse_float_rtn8,
        stream_bytes: encoded.annexb.len(),
        container_bytes: container.len(),
    };
    Ok(TensorEncoded { prepared: prep.clone(), header, container, encoded, q_recon, metrics, target_met: true })
}

/// Encode a tensor to a rate target.
pub fn encode_tensor(t: &Tensor, p: &Params, target: RateTarget) -> Result<TensorEncoded, PipelineError> {
    let prep = prepare(t, p)?;
    encode_prepared(&prep, p, target)
}

/// Rate control over QP (module docs).
pub fn encode_prepared(prep: &Prepared, p: &Params, target: RateTarget) -> Result<TensorEncoded, PipelineError> {
    match target {
        RateTarget::Qp(q) => {
            if q > 51 {
                return Err(PipelineError::Target(format!("QP {q} out of range 0..=51")));
            }
            encode_at(prep, p, q)
        }
        RateTarget::BitsPerValue(b) => {
            if !(b.is_finite() && b > 0.0) {
                return Err(PipelineError::Target(format!("bits per value {b} must be positive")));
            }
            // smallest QP with bpv <= b
            let (mut lo, mut hi) = (0u8, 51u8);
            let mut best: Option<TensorEncoded> = None;
            while lo <= hi {
                let mid = (lo + hi) / 2;
                let r = encode_at(prep, p, mid)?;
                if r.metrics.bits_per_value <= b {
                    best = Some(r);
                    if mid == 0 {
                        break;
                    }
                    hi = mid - 1;
                } else {
                    lo = mid + 1;
                }
            }
            match best {
                Some(r) => Ok(r),
                None => {
                    let mut r = encode_at(prep, p, 51)?;
                    r.target_met = false;
                    Ok(r)
                }
            }
        }
        RateTarget::Mse(m) => {
            if !(m.is_finite() && m >= 0.0) {
                return Err(PipelineError::Target(format!("MSE {m} must be >= 0")));
            }
            // largest QP with mse <= m
            let (mut lo, mut hi) = (0i32, 51i32);
            let mut best: Option<TensorEncoded> = None;
            while lo <= hi {
                let mid = (lo + hi) / 2;
                let r = encode_at(prep, p, mid as u8)?;
                if r.metrics.mse_int8 <= m {
                    best = Some(r);
                    lo = mid + 1;
                } else {
                    hi = mid - 1;
                }
            }
            match best {
                Some(r) => Ok(r),
                None => {
                    let mut r = encode_at(prep, p, 0)?;
                    r.target_met = false;
                    Ok(r)
                }
            }
        }
    }
}

/// Errors restoring a tensor from a .t265 container.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(transparent)]
    Container(#[from] crate::container::ContainerError),
    #[error(transparent)]
    Decode(#[from] crate::decoder::DecodeError),
    #[error(transparent)]
    Tensor(#[from] TensorError),
    #[error("container and stream disagree: {0}")]
    Mismatch(String),
}

/// Decoded tensor and its header.
#[derive(Debug)]
pub struct Restored {
    pub header: T265Header,
    /// Values in the original shape (row-major), not yet rounded to a dtype.
    pub values: Vec<f32>,
    /// The decoded int8 matrix.
    pub q: Vec<i8>,
}

/// Decode a .t265 container with golden's decoder: frames -> int8 -> dequantize ->
/// undo the rotation. Never panics on bad input.
pub fn decode_container(bytes: &[u8]) -> Result<Restored, RestoreError> {
    let (header, stream) = container::read(bytes)?;
    let pics = crate::decoder::decode(stream)?;
    let l = &header.layout;
    if pics.len() != l.frames as usize {
        return Err(RestoreError::Mismatch(format!("{} pictures decoded, the header says {}", pics.len(), l.frames)));
    }
    let want_chroma = if header.profile == PROFILE_MONO_400 { 0 } else { 1 };
    for p in &pics {
        if p.width != l.frame_width as usize || p.height != l.frame_height as usize || p.chroma_format_idc != want_chroma {
            return Err(RestoreError::Mismatch(format!(
                "picture {}x{} chroma_format_idc {} vs header {}x{} {}",
                p.width, p.height, p.chroma_format_idc, l.frame_width, l.frame_height, header.profile
            )));
        }
    }
    let luma: Vec<Vec<u8>> = pics.into_iter().map(|p| p.y).collect();
    let q = tile::from_frames(&luma, l)?;
    let (rows, cols) = header.matrix_shape()?;
    let qz = Quantized { rows, cols, q: q.clone(), scales: header.scales.clone(), zero_points: header.zero_points.clone(), mode: header.rtn };
    let values = restore_floats(&qz, &q, header.rotate_seed);
    Ok(Restored { header, values, q })
}
