//! Tensor front end: loading tensors, reshaping them to matrices, quantizing them to
//! int8 and laying the int8 matrix out as luma frames.
//!
//! * [`npy`] and [`safetensors`] read (and write) the two supported file formats;
//!   [`load`] dispatches on the file extension. Whatever the stored dtype, values are
//!   held as `f32` in [`Tensor::data`]; [`Tensor::dtype`] records the stored dtype.
//! * [`rotate`] is the optional randomized Hadamard rotation (QuaRot style),
//!   [`rtn`] the per-output-channel round-to-nearest int8 quantizer,
//!   [`tile`] turns the int8 matrix into frames, [`synth`] makes synthetic test tensors.
//!
//! # Reshape rule
//!
//! The codec works on matrices. [`Tensor::as_matrix`] views a tensor of shape
//! `[d0, .., dk]` (k >= 1, i.e. at least 2-D) as `[d0 * .. * d(k-1), dk]`: the last axis
//! is the column (input) axis, every other axis is folded into rows (output channels),
//! which is the C-order (row-major) memory layout unchanged. A 1-D tensor `[n]` is the
//! single-row matrix `[1, n]`. A 0-D (scalar) tensor and a tensor with no elements are
//! errors.

pub mod npy;
pub mod rotate;
pub mod rtn;
pub mod safetensors;
pub mod synth;
pub mod tile;

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Storage dtype of a tensor (the values themselves are always held as `f32`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum DType {
    F32,
    F16,
    BF16,
}

impl DType {
    /// The lowercase name ("f32", "f16", "bf16"), as in serde.
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::F16 => "f16",
            DType::BF16 => "bf16",
        }
    }

    /// Bytes per stored element.
    pub fn size_bytes(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F16 | DType::BF16 => 2,
        }
    }

    /// Round an `f32` value to this dtype and back (identity for `F32`).
    pub fn round(self, v: f32) -> f32 {
        match self {
            DType::F32 => v,
            DType::F16 => half::f16::from_f32(v).to_f32(),
            DType::BF16 => half::bf16::from_f32(v).to_f32(),
        }
    }
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for DType {
    type Err = TensorError;
    fn from_str(s: &str) -> Result<Self, TensorError> {
        match s.to_ascii_lowercase().as_str() {
            "f32" | "float32" => Ok(DType::F32),
            "f16" | "float16" => Ok(DType::F16),
            "bf16" | "bfloat16" => Ok(DType::BF16),
            _ => Err(TensorError::UnsupportedDtype {
                dtype: s.to_string(),
                context: "dtype name".into(),
                supported: "f32, f16, bf16",
            }),
        }
    }
}

/// Everything that can go wrong in the tensor front end.
#[derive(Debug, thiserror::Error)]
pub enum TensorError {
    #[error(
        "tensor{} contains {count} non-finite value(s); the first is {kind} at flat index {flat} \
         = index {index:?} of shape {shape:?}",
        name_suffix(.name)
    )]
    NonFinite {
        name: Option<String>,
        /// "NaN", "+Inf" or "-Inf".
        kind: &'static str,
        flat: usize,
        index: Vec<usize>,
        shape: Vec<usize>,
        count: usize,
    },
    #[error("tensor is empty (shape {shape:?} has no elements)")]
    Empty { shape: Vec<usize> },
    #[error("a 0-dimensional (scalar) tensor cannot be coded as a matrix")]
    Scalar,
    #[error("shape {shape:?} holds {expected} elements but {actual} values were given")]
    ShapeMismatch { shape: Vec<usize>, expected: String, actual: usize },
    #[error("unsupported dtype '{dtype}' ({context}); supported: {supported}")]
    UnsupportedDtype { dtype: String, context: String, supported: &'static str },
    #[error("tensor '{name}' not found in {}; available tensors: {}", .path.display(), list_names(.available))]
    NotFound { name: String, path: PathBuf, available: Vec<String> },
    #[error(
        "{} holds {} tensors, name the one to use; available tensors: {}",
        .path.display(), .available.len(), list_names(.available)
    )]
    NameRequired { path: PathBuf, available: Vec<String> },
    #[error("unsupported tensor file '{}': the extension must be .npy or .safetensors", .path.display())]
    UnknownFormat { path: PathBuf },
    #[error("malformed file {}: {reason}", .path.display())]
    Malformed { path: PathBuf, reason: String },
    #[error("I/O error on {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("frame layout: {0}")]
    Layout(String),
}

fn name_suffix(name: &Option<String>) -> String {
    match name {
        Some(n) => format!(" '{n}'"),
        None => String::new(),
    }
}

fn list_names(names: &[String]) -> String {
    if names.is_empty() {
        "(none)".into()
    } else {
        names.join(", ")
    }
}

impl TensorError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        TensorError::Io { path: path.to_path_buf(), source }
    }
    pub(crate) fn malformed(path: &Path, reason: impl Into<String>) -> Self {
        TensorError::Malformed { path: path.to_path_buf(), reason: reason.into() }
    }
}

/// A tensor: C-order (row-major) values held as `f32`, and the dtype it was stored in.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
    pub dtype: DType,
}

/// Product of the dimensions, `None` on overflow.
pub fn numel(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))
}

/// The multi-dimensional (C-order) index of flat index `flat` in `shape`.
pub fn unravel_index(shape: &[usize], mut flat: usize) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for (i, &d) in shape.iter().enumerate().rev() {
        if d == 0 {
            continue;
        }
        idx[i] = flat % d;
        flat /= d;
    }
    idx
}

/// The documented reshape rule (module docs) on a bare shape: `[rows, cols]`.
pub fn matrix_shape(shape: &[usize]) -> Result<(usize, usize), TensorError> {
    if shape.is_empty() {
        return Err(TensorError::Scalar);
    }
    let n = numel(shape).ok_or_else(|| TensorError::ShapeMismatch {
        shape: shape.to_vec(),
        expected: "more than usize::MAX".into(),
        actual: 0,
    })?;
    if n == 0 {
        return Err(TensorError::Empty { shape: shape.to_vec() });
    }
    let cols = shape[shape.len() - 1];
    Ok((n / cols, cols))
}

impl Tensor {
    /// A tensor from its parts; checks that `data.len()` is the product of `shape`.
    pub fn new(shape: Vec<usize>, data: Vec<f32>, dtype: DType) -> Result<Self, TensorError> {
        match numel(&shape) {
            Some(n) if n == data.len() => Ok(Tensor { shape, data, dtype }),
            n => Err(TensorError::ShapeMismatch {
                expected: n.map_or("more than usize::MAX".into(), |n| n.to_string()),
                shape,
                actual: data.len(),
            }),
        }
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.data.len()
    }

    /// Error on the first NaN or infinity (reporting flat and multi-dimensional index and
    /// how many non-finite values there are).
    pub fn check_finite(&self) -> Result<(), TensorError> {
        self.check_finite_named(None)
    }

    /// [`Tensor::check_finite`] naming the tensor in the message.
    pub fn check_finite_named(&self, name: Option<&str>) -> Result<(), TensorError> {
        let Some(first) = self.data.iter().position(|v| !v.is_finite()) else {
            return Ok(());
        };
        let v = self.data[first];
        let kind = if v.is_nan() {
            "NaN"
        } else if v > 0.0 {
            "+Inf"
        } else {
            "-Inf"
        };
        let count = self.data[first..].iter().filter(|v| !v.is_finite()).count();
        Err(TensorError::NonFinite {
            name: name.map(str::to_string),
            kind,
            flat: first,
            index: unravel_index(&self.shape, first),
            shape: self.shape.clone(),
            count,
        })
    }

    /// `(rows, cols)` of the matrix view (reshape rule in the module docs).
    pub fn as_matrix(&self) -> Result<(usize, usize), TensorError> {
        matrix_shape(&self.shape)
    }
}

/// Load a tensor from a `.npy` or `.safetensors` file (extension, case-insensitive).
///
/// For `.safetensors`, `tensor_name` selects the tensor; without it the file must hold
/// exactly one tensor (otherwise the error lists the names). For `.npy` (one array per
/// file) `tensor_name` is ignored. Values are not checked here: call
/// [`Tensor::check_finite`].
pub fn load(path: impl AsRef<Path>, tensor_name: Option<&str>) -> Result<Tensor, TensorError> {
    let path = path.as_ref();
    let ext = path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("npy") => npy::read_npy(path),
        Some("safetensors") => safetensors::read(path, tensor_name),
        _ => Err(TensorError::UnknownFormat { path: path.to_path_buf() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reshape_rule() {
        let t = |shape: Vec<usize>| {
            let n = numel(&shape).unwrap();
            Tensor::new(shape, vec![0.5; n], DType::F32).unwrap()
        };
        assert_eq!(t(vec![3, 4]).as_matrix().unwrap(), (3, 4));
        assert_eq!(t(vec![2, 3, 4]).as_matrix().unwrap(), (6, 4));
        assert_eq!(t(vec![2, 1, 3, 5]).as_matrix().unwrap(), (6, 5));
        assert_eq!(t(vec![7]).as_matrix().unwrap(), (1, 7));
        assert!(matches!(t(vec![]).as_matrix(), Err(TensorError::Scalar)));
        assert!(matches!(t(vec![3, 0]).as_matrix(), Err(TensorError::Empty { .. })));
        assert!(matches!(t(vec![0, 3]).as_matrix(), Err(TensorError::Empty { .. })));
        assert!(matrix_shape(&[usize::MAX, 3]).is_err());
    }

    #[test]
    fn new_checks_length() {
        assert!(Tensor::new(vec![2, 3], vec![0.0; 5], DType::F32).is_err());
        assert!(Tensor::new(vec![2, 3], vec![0.0; 6], DType::F32).is_ok());
        assert!(Tensor::new(vec![], vec![1.0], DType::F32).is_ok());
    }

    #[test]
    fn non_finite_reports_indices() {
        let mut data = vec![1.0f32; 24];
        data[17] = f32::NAN;
        data[20] = f32::NEG_INFINITY;
        let t = Tensor::new(vec![2, 3, 4], data, DType::F16).unwrap();
        let e = t.check_finite_named(Some("w")).unwrap_err();
        match &e {
            TensorError::NonFinite { flat, index, kind, count, .. } => {
                assert_eq!(*flat, 17);
                assert_eq!(index, &vec![1, 1, 1]);
                assert_eq!(*kind, "NaN");
                assert_eq!(*count, 2);
            }
            _ => panic!("{e}"),
        }
        let msg = e.to_string();
        assert!(msg.contains("'w'") && msg.contains("17") && msg.contains("[1, 1, 1]"), "{msg}");
        let mut d = vec![0.0f32; 4];
        d[3] = f32::INFINITY;
        let msg = Tensor::new(vec![4], d, DType::F32).unwrap().check_finite().unwrap_err().to_string();
        assert!(msg.contains("+Inf") && msg.contains("[3]"), "{msg}");
        assert!(Tensor::new(vec![2], vec![1.0, -2.0], DType::F32).unwrap().check_finite().is_ok());
    }

    #[test]
    fn dtype_names() {
        assert_eq!(serde_json::to_string(&DType::BF16).unwrap(), "\"bf16\"");
        assert_eq!(serde_json::from_str::<DType>("\"f16\"").unwrap(), DType::F16);
        assert_eq!("F32".parse::<DType>().unwrap(), DType::F32);
        let e = "int4".parse::<DType>().unwrap_err().to_string();
        assert!(e.contains("int4"), "{e}");
        assert_eq!(DType::BF16.round(1.0 + 1.0 / 512.0), 1.0);
    }

    #[test]
    fn load_dispatch_and_errors() {
        let dir = std::env::temp_dir().join(format!("golden_tensor_load_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = load(dir.join("x.bin"), None).unwrap_err();
        assert!(matches!(e, TensorError::UnknownFormat { .. }), "{e}");
        let missing = dir.join("missing.npy");
        let e = load(&missing, None).unwrap_err();
        assert!(matches!(e, TensorError::Io { .. }) && e.to_string().contains("missing.npy"), "{e}");
        let p = dir.join("a.NPY");
        npy::write_npy_f32(&p, &[2, 2], &[1.0, 2.0, 3.0, 4.0]).unwrap();
        let t = load(&p, None).unwrap();
        assert_eq!(t.shape, vec![2, 2]);
        assert_eq!(t.data, vec![1.0, 2.0, 3.0, 4.0]);
        std::fs::remove_dir_all(&dir).ok();
    }
}
