//! `.safetensors` files, through the `safetensors` crate.
//!
//! [`read`] returns one tensor by name (or the only tensor of a one-tensor file).
//! Stored dtypes F32, F16 and BF16 keep their [`DType`]; F64 is converted to f32 (dtype
//! `F32`); every other dtype (integers, bool, fp8) is rejected naming it. [`list`] gives
//! the tensor names, sorted. [`write()`] stores tensors in their own dtype (used by tests
//! and by tools that emit reconstructed weights).

use super::{DType, Tensor, TensorError};
use ::safetensors::tensor::{Dtype as StDtype, SafeTensors, TensorView};
use std::path::Path;

fn deserialize<'a>(bytes: &'a [u8], path: &Path) -> Result<SafeTensors<'a>, TensorError> {
    SafeTensors::deserialize(bytes).map_err(|e| TensorError::malformed(path, format!("safetensors: {e}")))
}

fn sorted_names(st: &SafeTensors) -> Vec<String> {
    let mut names: Vec<String> = st.names().into_iter().cloned().collect();
    names.sort();
    names
}

fn read_file(path: &Path) -> Result<Vec<u8>, TensorError> {
    std::fs::read(path).map_err(|e| TensorError::io(path, e))
}

/// Names of the tensors in the file, sorted.
pub fn list(path: impl AsRef<Path>) -> Result<Vec<String>, TensorError> {
    let path = path.as_ref();
    let bytes = read_file(path)?;
    Ok(sorted_names(&deserialize(&bytes, path)?))
}

/// Names, stored dtypes (safetensors spelling, e.g. "BF16") and shapes, sorted by name.
pub fn list_info(path: impl AsRef<Path>) -> Result<Vec<(String, String, Vec<usize>)>, TensorError> {
    let path = path.as_ref();
    let bytes = read_file(path)?;
    let st = deserialize(&bytes, path)?;
    let mut out: Vec<_> =
        st.iter().map(|(n, v)| (n.to_string(), format!("{:?}", v.dtype()), v.shape().to_vec())).collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Read one tensor of a `.safetensors` file (see the module docs).
pub fn read(path: impl AsRef<Path>, name: Option<&str>) -> Result<Tensor, TensorError> {
    let path = path.as_ref();
    parse(&read_file(path)?, name, path)
}

/// [`read`] on an in-memory file (`path` only names it in error messages).
pub fn parse(bytes: &[u8], name: Option<&str>, path: &Path) -> Result<Tensor, TensorError> {
    let st = deserialize(bytes, path)?;
    let names = sorted_names(&st);
    let name = match name {
        Some(n) => {
            if !names.iter().any(|x| x == n) {
                return Err(TensorError::NotFound { name: n.to_string(), path: path.to_path_buf(), available: names });
            }
            n.to_string()
        }
        None if names.len() == 1 => names[0].clone(),
        None => return Err(TensorError::NameRequired { path: path.to_path_buf(), available: names }),
    };
    let view = st.tensor(&name).map_err(|e| TensorError::malformed(path, format!("safetensors: {e}")))?;
    convert(&view, &name, path)
}

fn convert(view: &TensorView, name: &str, path: &Path) -> Result<Tensor, TensorError> {
    let b = view.data();
    let (data, dtype): (Vec<f32>, DType) = match view.dtype() {
        StDtype::F32 => (b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect(), DType::F32),
        StDtype::F64 => (
            b.chunks_exact(8)
                .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32)
                .collect(),
            DType::F32,
        ),
        StDtype::F16 => (
            b.chunks_exact(2).map(|c| half::f16::from_bits(u16::from_le_bytes([c[0], c[1]])).to_f32()).collect(),
            DType::F16,
        ),
        StDtype::BF16 => (
            b.chunks_exact(2).map(|c| half::bf16::from_bits(u16::from_le_bytes([c[0], c[1]])).to_f32()).collect(),
            DType::BF16,
        ),
        other => {
            return Err(TensorError::UnsupportedDtype {
                dtype: format!("{other:?}"),
                context: format!("tensor '{name}' in {}", path.display()),
                supported: "F32, F16, BF16, F64",
            })
        }
    };
    Tensor::new(view.shape().to_vec(), data, dtype)
}

/// In-memory `.safetensors` image of named tensors, each stored in its own dtype.
pub fn to_bytes(tensors: &[(&str, &Tensor)]) -> Result<Vec<u8>, TensorError> {
    let raw: Vec<(String, StDtype, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(n, t)| {
            let (dt, bytes): (StDtype, Vec<u8>) = match t.dtype {
                DType::F32 => (StDtype::F32, t.data.iter().flat_map(|v| v.to_le_bytes()).collect()),
                DType::F16 => (
                    StDtype::F16,
                    t.data.iter().flat_map(|&v| half::f16::from_f32(v).to_bits().to_le_bytes()).collect(),
                ),
                DType::BF16 => (
                    StDtype::BF16,
                    t.data.iter().flat_map(|&v| half::bf16::from_f32(v).to_bits().to_le_bytes()).collect(),
                ),
            };
            (n.to_string(), dt, t.shape.clone(), bytes)
        })
        .collect();
    let views = raw
        .iter()
        .map(|(n, dt, shape, bytes)| {
            TensorView::new(*dt, shape.clone(), bytes).map(|v| (n.clone(), v)).map_err(|e| TensorError::ShapeMismatch {
                shape: shape.clone(),
                expected: format!("a consistent tensor ({e})"),
                actual: bytes.len() / dt.size(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    ::safetensors::tensor::serialize(views, &None)
        .map_err(|e| TensorError::malformed(Path::new("<safetensors output>"), format!("serialization: {e}")))
}

/// Write named tensors to a `.safetensors` file.
pub fn write(path: impl AsRef<Path>, tensors: &[(&str, &Tensor)]) -> Result<(), TensorError> {
    let path = path.as_ref();
    std::fs::write(path, to_bytes(tensors)?).map_err(|e| TensorError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("m.safetensors")
    }

    fn t(shape: Vec<usize>, dtype: DType) -> Tensor {
        let n = shape.iter().product::<usize>();
        let data = (0..n).map(|i| dtype.round(i as f32 * 0.1 - 1.0)).collect();
        Tensor::new(shape, data, dtype).unwrap()
    }

    #[test]
    fn roundtrip_by_name_and_single() {
        let a = t(vec![4, 3], DType::F32);
        let b = t(vec![2, 2, 5], DType::BF16);
        let c = t(vec![7], DType::F16);
        let bytes = to_bytes(&[("layer.w", &a), ("b", &b), ("c", &c)]).unwrap();
        assert_eq!(parse(&bytes, Some("layer.w"), p()).unwrap(), a);
        assert_eq!(parse(&bytes, Some("b"), p()).unwrap(), b);
        assert_eq!(parse(&bytes, Some("c"), p()).unwrap(), c);
        let e = parse(&bytes, None, p()).unwrap_err().to_string();
        assert!(e.contains("3 tensors") && e.contains("b, c, layer.w"), "{e}");
        let e = parse(&bytes, Some("nope"), p()).unwrap_err().to_string();
        assert!(e.contains("'nope'") && e.contains("b, c, layer.w"), "{e}");
        let one = to_bytes(&[("only", &b)]).unwrap();
        assert_eq!(parse(&one, None, p()).unwrap(), b);
    }

    #[test]
    fn f64_and_unsupported() {
        let vals = [1.5f64, -0.25];
        let bytes: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
        let v = TensorView::new(StDtype::F64, vec![2], &bytes).unwrap();
        let file = ::safetensors::tensor::serialize(vec![("x", v)], &None).unwrap();
        let x = parse(&file, None, p()).unwrap();
        assert_eq!((x.dtype, x.data), (DType::F32, vec![1.5, -0.25]));
        let ib = [1u8, 2, 3, 4];
        let v = TensorView::new(StDtype::I32, vec![1], &ib).unwrap();
        let file = ::safetensors::tensor::serialize(vec![("i", v)], &None).unwrap();
        let e = parse(&file, None, p()).unwrap_err().to_string();
        assert!(e.contains("I32") && e.contains("'i'"), "{e}");
        let e = parse(b"garbage!garbage", None, p()).unwrap_err().to_string();
        assert!(e.contains("malformed"), "{e}");
    }

    #[test]
    fn files_and_list() {
        let dir = std::env::temp_dir().join(format!("golden_st_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.safetensors");
        let a = t(vec![3, 3], DType::F16);
        write(&path, &[("z", &a), ("a", &a)]).unwrap();
        assert_eq!(list(&path).unwrap(), vec!["a".to_string(), "z".to_string()]);
        assert_eq!(list_info(&path).unwrap()[0], ("a".to_string(), "F16".to_string(), vec![3, 3]));
        assert_eq!(super::super::load(&path, Some("z")).unwrap(), a);
        assert!(super::super::load(&path, None).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
