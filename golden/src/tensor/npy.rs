//! NumPy `.npy` files (format versions 1.0, 2.0 and 3.0).
//!
//! Read: descr `'<f4'` (f32), `'<f2'` (f16), `'<f8'` (f64, converted to f32; the tensor
//! dtype is then `F32`), `'|i1'` (int8, values converted to f32, dtype `F32`; see also
//! [`read_npy_i8`]) and `'|V2'` / `'<V2'` (bfloat16, see below). `'='` (native) is read
//! as little-endian; big-endian descrs (`'>f4'`, ...) are rejected with a clear error
//! (convert with `arr.astype('<f4')`). `fortran_order: True` arrays are transposed into
//! C order (the result is the same array NumPy would give). Structured dtypes, object
//! arrays and trailing bytes after the array data are rejected.
//!
//! Write: always format 1.0 (2.0 if the header would not fit), C order, header padded
//! with spaces to a multiple of 64 bytes and ended by `'\n'` (the layout `np.save` uses;
//! recent NumPy adds a few more spaces of growth room, which readers ignore).
//!
//! # bfloat16 convention
//!
//! NumPy has no bfloat16. `ml_dtypes` (JAX) bfloat16 arrays are saved by `np.save` as
//! two-byte opaque void items, and that is the convention here: a bf16 array is written
//! with descr `'|V2'` and each item holds the little-endian raw bfloat16 bits; `'|V2'`
//! and `'<V2'` are read back as bf16. In Python:
//! `np.load(p).view(np.uint16)` gives the bits, `.view(ml_dtypes.bfloat16)` the values.

use super::{numel, DType, Tensor, TensorError};
use std::path::Path;

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Element type of an `.npy` array that this module understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Elem {
    F32,
    F16,
    F64,
    BF16,
    I8,
}

impl Elem {
    fn size(self) -> usize {
        match self {
            Elem::I8 => 1,
            Elem::F16 | Elem::BF16 => 2,
            Elem::F32 => 4,
            Elem::F64 => 8,
        }
    }
}

const SUPPORTED: &str = "'<f4', '<f2', '<f8', '|i1', '|V2'/'<V2' (bfloat16 bits)";

fn parse_descr(descr: &str, path: &Path) -> Result<Elem, TensorError> {
    let unsupported = |context: &str| TensorError::UnsupportedDtype {
        dtype: descr.to_string(),
        context: format!("{context} in {}", path.display()),
        supported: SUPPORTED,
    };
    let (order, rest) = match descr.chars().next() {
        Some(c @ ('<' | '>' | '|' | '=')) => (c, &descr[1..]),
        _ => ('=', descr),
    };
    let elem = match rest {
        "f4" => Elem::F32,
        "f2" => Elem::F16,
        "f8" => Elem::F64,
        "i1" => Elem::I8,
        "V2" => Elem::BF16,
        _ => return Err(unsupported("npy descr")),
    };
    if order == '>' && elem.size() > 1 {
        return Err(unsupported("big-endian data is not supported, save it as little-endian"));
    }
    if order == '>' && elem == Elem::BF16 {
        return Err(unsupported("big-endian data is not supported"));
    }
    Ok(elem)
}

/// A Python literal as found in an `.npy` header.
#[derive(Debug, PartialEq)]
enum PyVal {
    Str(String),
    Bool(bool),
    Int(u64),
    Tuple(Vec<PyVal>),
    Other,
}

struct Lit<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Lit<'a> {
    fn ws(&mut self) {
        while self.pos < self.s.len() && (self.s[self.pos] as char).is_ascii_whitespace() {
            self.pos += 1;
        }
    }
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.pos).copied()
    }
    fn eat(&mut self, c: u8) -> Result<(), String> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(format!("expected '{}' at byte {} of the header", c as char, self.pos))
        }
    }
    fn value(&mut self, depth: usize) -> Result<PyVal, String> {
        if depth > 16 {
            return Err("header literal nested too deeply".into());
        }
        match self.peek() {
            Some(q @ (b'\'' | b'"')) => {
                self.pos += 1;
                let start = self.pos;
                while self.pos < self.s.len() && self.s[self.pos] != q {
                    self.pos += 1;
                }
                if self.pos >= self.s.len() {
                    return Err("unterminated string in header".into());
                }
                let v = String::from_utf8_lossy(&self.s[start..self.pos]).into_owned();
                self.pos += 1;
                Ok(PyVal::Str(v))
            }
            Some(open @ (b'(' | b'[')) => {
                let close = if open == b'(' { b')' } else { b']' };
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    if self.peek() == Some(close) {
                        self.pos += 1;
                        break;
                    }
                    items.push(self.value(depth + 1)?);
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(c) if c == close => {}
                        _ => return Err("malformed tuple in header".into()),
                    }
                }
                Ok(if open == b'(' { PyVal::Tuple(items) } else { PyVal::Other })
            }
            Some(b'{') => Err("nested dict in header".into()),
            Some(c) if c.is_ascii_alphanumeric() || c == b'-' => {
                let start = self.pos;
                while self.pos < self.s.len()
                    && (self.s[self.pos].is_ascii_alphanumeric()
                        || self.s[self.pos] == b'-'
                        || self.s[self.pos] == b'_')
                {
                    self.pos += 1;
                }
                let w = std::str::from_utf8(&self.s[start..self.pos]).unwrap_or("");
                Ok(match w {
                    "True" => PyVal::Bool(true),
                    "False" => PyVal::Bool(false),
                    _ => {
                        // Python 2 wrote long integers with an 'L' suffix.
                        let digits = w.strip_suffix('L').unwrap_or(w);
                        match digits.parse::<u64>() {
                            Ok(v) => PyVal::Int(v),
                            Err(_) => PyVal::Other,
                        }
                    }
                })
            }
            _ => Err(format!("unexpected character at byte {} of the header", self.pos)),
        }
    }
    fn dict(&mut self) -> Result<Vec<(String, PyVal)>, String> {
        self.eat(b'{')?;
        let mut out = Vec::new();
        loop {
            if self.peek() == Some(b'}') {
                self.pos += 1;
                break;
            }
            let key = match self.value(0)? {
                PyVal::Str(k) => k,
                _ => return Err("header dict key is not a string".into()),
            };
            self.eat(b':')?;
            out.push((key, self.value(0)?));
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {}
                _ => return Err("malformed header dict".into()),
            }
        }
        if self.peek().is_some() {
            return Err("trailing characters after the header dict".into());
        }
        Ok(out)
    }
}

struct Header {
    elem: Elem,
    fortran: bool,
    shape: Vec<usize>,
    data_offset: usize,
}

fn parse_header(bytes: &[u8], path: &Path) -> Result<Header, TensorError> {
    let bad = |r: String| TensorError::malformed(path, r);
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(bad("not a .npy file (missing \\x93NUMPY magic)".into()));
    }
    let major = bytes[6];
    let (len, start) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10usize),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err(bad("truncated header".into()));
            }
            (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12)
        }
        v => return Err(bad(format!("unsupported .npy format version {v}.{}", bytes[7]))),
    };
    let end = start
        .checked_add(len)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| bad(format!("header length {len} runs past the end of the file")))?;
    let text = &bytes[start..end];
    if major < 3 && text.iter().any(|&b| b >= 0x80) {
        // Version 1/2 headers are latin-1; every key and value we accept is ASCII.
        return Err(bad("non-ASCII characters in the header".into()));
    }
    let dict = Lit { s: text, pos: 0 }.dict().map_err(bad)?;
    let get = |k: &str| dict.iter().find(|(key, _)| key == k).map(|(_, v)| v);
    let descr = match get("descr") {
        Some(PyVal::Str(d)) => d.clone(),
        Some(_) => {
            return Err(TensorError::UnsupportedDtype {
                dtype: "structured".into(),
                context: format!("npy descr in {}", path.display()),
                supported: SUPPORTED,
            })
        }
        None => return Err(bad("header has no 'descr'".into())),
    };
    let elem = parse_descr(&descr, path)?;
    let fortran = match get("fortran_order") {
        Some(PyVal::Bool(b)) => *b,
        _ => return Err(bad("header has no boolean 'fortran_order'".into())),
    };
    let shape = match get("shape") {
        Some(PyVal::Tuple(items)) => items
            .iter()
            .map(|v| match v {
                PyVal::Int(d) => usize::try_from(*d).map_err(|_| bad("shape dimension too large".into())),
                _ => Err(bad("shape holds a non-integer".into())),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(bad("header has no tuple 'shape'".into())),
    };
    Ok(Header { elem, fortran, shape, data_offset: end })
}

/// Reorder Fortran-order (first axis fastest) data of `shape` into C order.
fn fortran_to_c<T: Copy + Default>(data: &[T], shape: &[usize]) -> Vec<T> {
    let k = shape.len();
    if k < 2 {
        return data.to_vec();
    }
    let mut cstride = vec![1usize; k];
    for i in (0..k - 1).rev() {
        cstride[i] = cstride[i + 1] * shape[i + 1];
    }
    let mut out = vec![T::default(); data.len()];
    let mut idx = vec![0usize; k];
    let mut off = 0usize;
    for &v in data {
        out[off] = v;
        // Increment the multi-index, first axis fastest.
        for a in 0..k {
            idx[a] += 1;
            off += cstride[a];
            if idx[a] < shape[a] {
                break;
            }
            off -= cstride[a] * shape[a];
            idx[a] = 0;
        }
    }
    out
}

/// The element payload of a parsed file (length-checked).
fn payload<'a>(bytes: &'a [u8], h: &Header, path: &Path) -> Result<(usize, &'a [u8]), TensorError> {
    let n = numel(&h.shape).ok_or_else(|| TensorError::malformed(path, "shape product overflows"))?;
    let need = n.checked_mul(h.elem.size()).ok_or_else(|| TensorError::malformed(path, "shape product overflows"))?;
    let have = bytes.len() - h.data_offset;
    if have < need {
        return Err(TensorError::malformed(
            path,
            format!("shape {:?} needs {need} data bytes but the file holds {have}", h.shape),
        ));
    }
    if have > need {
        return Err(TensorError::malformed(path, format!("{} trailing bytes after the array data", have - need)));
    }
    Ok((n, &bytes[h.data_offset..]))
}

/// Parse an in-memory `.npy` file (`path` only names it in error messages).
pub fn parse_npy(bytes: &[u8], path: &Path) -> Result<Tensor, TensorError> {
    let h = parse_header(bytes, path)?;
    let (_, p) = payload(bytes, &h, path)?;
    let (data, dtype): (Vec<f32>, DType) = match h.elem {
        Elem::F32 => (p.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect(), DType::F32),
        Elem::F64 => (
            p.chunks_exact(8)
                .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32)
                .collect(),
            DType::F32,
        ),
        Elem::F16 => (
            p.chunks_exact(2).map(|c| half::f16::from_bits(u16::from_le_bytes([c[0], c[1]])).to_f32()).collect(),
            DType::F16,
        ),
        Elem::BF16 => (
            p.chunks_exact(2).map(|c| half::bf16::from_bits(u16::from_le_bytes([c[0], c[1]])).to_f32()).collect(),
            DType::BF16,
        ),
        Elem::I8 => (p.iter().map(|&b| b as i8 as f32).collect(), DType::F32),
    };
    let data = if h.fortran { fortran_to_c(&data, &h.shape) } else { data };
    Ok(Tensor { shape: h.shape, data, dtype })
}

fn read_file(path: &Path) -> Result<Vec<u8>, TensorError> {
    std::fs::read(path).map_err(|e| TensorError::io(path, e))
}

/// Read an `.npy` file (see the module docs for the accepted dtypes).
pub fn read_npy(path: impl AsRef<Path>) -> Result<Tensor, TensorError> {
    let path = path.as_ref();
    parse_npy(&read_file(path)?, path)
}

/// Read an int8 (`'|i1'`) `.npy` file as `(shape, values)` in C order.
pub fn read_npy_i8(path: impl AsRef<Path>) -> Result<(Vec<usize>, Vec<i8>), TensorError> {
    let path = path.as_ref();
    let bytes = read_file(path)?;
    let h = parse_header(&bytes, path)?;
    if h.elem != Elem::I8 {
        return Err(TensorError::UnsupportedDtype {
            dtype: format!("{:?}", h.elem).to_lowercase(),
            context: format!("int8 array expected in {}", path.display()),
            supported: "'|i1'",
        });
    }
    let (_, p) = payload(&bytes, &h, path)?;
    let data: Vec<i8> = p.iter().map(|&b| b as i8).collect();
    let data = if h.fortran { fortran_to_c(&data, &h.shape) } else { data };
    Ok((h.shape, data))
}

fn shape_literal(shape: &[usize]) -> String {
    match shape {
        [] => "()".into(),
        [d] => format!("({d},)"),
        _ => format!("({})", shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    }
}

fn check_len(shape: &[usize], len: usize) -> Result<(), TensorError> {
    match numel(shape) {
        Some(n) if n == len => Ok(()),
        n => Err(TensorError::ShapeMismatch {
            shape: shape.to_vec(),
            expected: n.map_or("more than usize::MAX".into(), |n| n.to_string()),
            actual: len,
        }),
    }
}

/// A complete `.npy` file image: header (as `np.save` writes it) then `payload`.
fn encode(descr: &str, shape: &[usize], payload: &[u8]) -> Vec<u8> {
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {}, }}", shape_literal(shape));
    // Preamble: magic (6) + version (2) + length (2 in v1.0, 4 in v2.0).
    let v1_total = (10 + dict.len() + 1).div_ceil(64) * 64;
    let (major, pre) = if v1_total - 10 <= u16::MAX as usize { (1u8, 10) } else { (2u8, 12) };
    let total = (pre + dict.len() + 1).div_ceil(64) * 64;
    let hlen = total - pre;
    let mut out = Vec::with_capacity(total + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[major, 0]);
    if major == 1 {
        out.extend_from_slice(&(hlen as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(hlen as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out.resize(total - 1, b' ');
    out.push(b'\n');
    out.extend_from_slice(payload);
    out
}

/// In-memory `.npy` image of `data` stored as `dtype` (values rounded to nearest even).
pub fn npy_bytes(shape: &[usize], data: &[f32], dtype: DType) -> Result<Vec<u8>, TensorError> {
    check_len(shape, data.len())?;
    Ok(match dtype {
        DType::F32 => encode("<f4", shape, &data.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<_>>()),
        DType::F16 => encode(
            "<f2",
            shape,
            &data.iter().flat_map(|&v| half::f16::from_f32(v).to_bits().to_le_bytes()).collect::<Vec<_>>(),
        ),
        DType::BF16 => encode(
            "|V2",
            shape,
            &data.iter().flat_map(|&v| half::bf16::from_f32(v).to_bits().to_le_bytes()).collect::<Vec<_>>(),
        ),
    })
}

/// In-memory `.npy` image of int8 data (descr `'|i1'`).
pub fn npy_bytes_i8(shape: &[usize], data: &[i8]) -> Result<Vec<u8>, TensorError> {
    check_len(shape, data.len())?;
    Ok(encode("|i1", shape, &data.iter().map(|&v| v as u8).collect::<Vec<_>>()))
}

fn write_file(path: &Path, bytes: Vec<u8>) -> Result<(), TensorError> {
    std::fs::write(path, bytes).map_err(|e| TensorError::io(path, e))
}

/// Write `data` as an `'<f4'` array.
pub fn write_npy_f32(path: impl AsRef<Path>, shape: &[usize], data: &[f32]) -> Result<(), TensorError> {
    write_file(path.as_ref(), npy_bytes(shape, data, DType::F32)?)
}

/// Write `data` rounded to f16 as an `'<f2'` array.
pub fn write_npy_f16(path: impl AsRef<Path>, shape: &[usize], data: &[f32]) -> Result<(), TensorError> {
    write_file(path.as_ref(), npy_bytes(shape, data, DType::F16)?)
}

/// Write `data` rounded to bfloat16 as a `'|V2'` array of raw bf16 bits (module docs).
pub fn write_npy_bf16(path: impl AsRef<Path>, shape: &[usize], data: &[f32]) -> Result<(), TensorError> {
    write_file(path.as_ref(), npy_bytes(shape, data, DType::BF16)?)
}

/// Write int8 data as an `'|i1'` array.
pub fn write_npy_i8(path: impl AsRef<Path>, shape: &[usize], data: &[i8]) -> Result<(), TensorError> {
    write_file(path.as_ref(), npy_bytes_i8(shape, data)?)
}

/// Write a tensor in its own dtype.
pub fn write_npy(path: impl AsRef<Path>, t: &Tensor) -> Result<(), TensorError> {
    write_file(path.as_ref(), npy_bytes(&t.shape, &t.data, t.dtype)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("test.npy")
    }

    /// A file image with a hand-written header (as other writers may produce it).
    fn custom(header: &str, major: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[major, 0]);
        if major == 1 {
            out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        }
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn header_is_numpy_exact() {
        // The np.save layout: magic, version 1.0, u16 length, dict, space padding to 64, '\n'.
        let b = npy_bytes(&[2, 3], &[0.0; 6], DType::F32).unwrap();
        let hdr = &b[..128];
        assert_eq!(&hdr[..10], b"\x93NUMPY\x01\x00\x76\x00");
        let text = std::str::from_utf8(&hdr[10..]).unwrap();
        assert!(text.starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"));
        assert!(text.ends_with(" \n"));
        assert_eq!(b.len(), 128 + 24);
        let b = npy_bytes(&[5], &[0.0; 5], DType::F32).unwrap();
        assert!(std::str::from_utf8(&b[10..64]).unwrap().contains("'shape': (5,)"));
        assert_eq!(b.len() % 64, 20);
    }

    #[test]
    fn roundtrip_all_dtypes() {
        let shape = [3usize, 2, 5];
        let data: Vec<f32> = (0..30).map(|i| (i as f32 - 15.0) * 0.37).collect();
        for dt in [DType::F32, DType::F16, DType::BF16] {
            let t = parse_npy(&npy_bytes(&shape, &data, dt).unwrap(), p()).unwrap();
            assert_eq!(t.shape, shape.to_vec());
            assert_eq!(t.dtype, dt);
            let want: Vec<f32> = data.iter().map(|&v| dt.round(v)).collect();
            assert_eq!(t.data, want, "{dt}");
        }
        // 0-d and 1-d.
        let t = parse_npy(&npy_bytes(&[], &[2.5], DType::F32).unwrap(), p()).unwrap();
        assert_eq!((t.shape.len(), t.data[0]), (0, 2.5));
        let q: Vec<i8> = vec![-128, -1, 0, 1, 127];
        let t = parse_npy(&npy_bytes_i8(&[5], &q).unwrap(), p()).unwrap();
        assert_eq!(t.data, vec![-128.0, -1.0, 0.0, 1.0, 127.0]);
        assert!(npy_bytes(&[2, 2], &[0.0; 3], DType::F32).is_err());
    }

    #[test]
    fn bf16_descr_and_bits() {
        let b = npy_bytes(&[2], &[1.0, -2.0], DType::BF16).unwrap();
        let (hdr, data) = b.split_at(b.len() - 4);
        assert_eq!(hdr.len() % 64, 0);
        assert!(std::str::from_utf8(&hdr[10..]).unwrap().contains("'descr': '|V2'"));
        assert_eq!(data, &[0x80, 0x3f, 0x00, 0xc0]);
        // '<V2' (what np.save writes for ml_dtypes.bfloat16) reads as bf16 too.
        let t = parse_npy(&custom("{'descr': '<V2', 'fortran_order': False, 'shape': (2,)}\n", 1, data), p()).unwrap();
        assert_eq!((t.dtype, t.data.clone()), (DType::BF16, vec![1.0, -2.0]));
    }

    #[test]
    fn f64_versions_and_fortran() {
        // f64, version 2 and 3 headers, double-quoted keys, Python 2 'L' suffixes.
        let vals = [1.5f64, -2.25, 3.0, 4.0, 5.0, 6.0];
        let payload: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
        for major in [1, 2, 3] {
            let h = "{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (2L, 3L)}\n";
            let t = parse_npy(&custom(h, major, &payload), p()).unwrap();
            assert_eq!(t.shape, vec![2, 3]);
            assert_eq!(t.dtype, DType::F32);
            assert_eq!(t.data, vec![1.5, -2.25, 3.0, 4.0, 5.0, 6.0]);
        }
        // Fortran order: column-major storage of [[1,2,3],[4,5,6]] is 1,4,2,5,3,6.
        let f: Vec<u8> = [1.0f32, 4.0, 2.0, 5.0, 3.0, 6.0].iter().flat_map(|v| v.to_le_bytes()).collect();
        let t = parse_npy(&custom("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 1, &f), p()).unwrap();
        assert_eq!(t.data, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        // 3-D Fortran: element (i,j,k) stored at i + 2*(j + 3*k).
        let shape = [2usize, 3, 4];
        let mut fdata = [0f32; 24];
        for i in 0..2 {
            for j in 0..3 {
                for k in 0..4 {
                    fdata[i + 2 * (j + 3 * k)] = (i * 100 + j * 10 + k) as f32;
                }
            }
        }
        let fb: Vec<u8> = fdata.iter().flat_map(|v| v.to_le_bytes()).collect();
        let t =
            parse_npy(&custom("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3, 4), }", 1, &fb), p()).unwrap();
        assert_eq!(t.shape, shape.to_vec());
        for (n, v) in t.data.iter().enumerate() {
            let (i, j, k) = (n / 12, (n / 4) % 3, n % 4);
            assert_eq!(*v, (i * 100 + j * 10 + k) as f32);
        }
    }

    #[test]
    fn clear_errors() {
        let err = |h: &str, payload: &[u8]| parse_npy(&custom(h, 1, payload), p()).unwrap_err().to_string();
        let e = err("{'descr': '>f4', 'fortran_order': False, 'shape': (1,)}", &[0; 4]);
        assert!(e.contains(">f4") && e.contains("big-endian"), "{e}");
        let e = err("{'descr': '<i4', 'fortran_order': False, 'shape': (1,)}", &[0; 4]);
        assert!(e.contains("<i4") && e.contains("unsupported"), "{e}");
        let e = err("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}", &[0; 4]);
        assert!(e.contains("structured"), "{e}");
        let e = err("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", &[0; 4]);
        assert!(e.contains("needs 8"), "{e}");
        let e = err("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", &[0; 5]);
        assert!(e.contains("trailing"), "{e}");
        let e = err("{'descr': '<f4', 'shape': (1,)}", &[0; 4]);
        assert!(e.contains("fortran_order"), "{e}");
        let e = err("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)", &[0; 4]);
        assert!(e.contains("malformed"), "{e}");
        let e = err("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, 99999999999)}", &[]);
        assert!(e.contains("overflow"), "{e}");
        assert!(parse_npy(b"hello", p()).unwrap_err().to_string().contains("magic"));
        // Every truncation of a valid file is an error, never a panic.
        let good = npy_bytes(&[3, 3], &[1.0; 9], DType::F16).unwrap();
        for n in 0..good.len() {
            assert!(parse_npy(&good[..n], p()).is_err(), "truncated to {n}");
        }
    }

    #[test]
    fn files_roundtrip() {
        let dir = std::env::temp_dir().join(format!("golden_npy_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let q: Vec<i8> = (0..12).map(|i| (i * 23 - 128) as i8).collect();
        write_npy_i8(dir.join("q.npy"), &[3, 4], &q).unwrap();
        assert_eq!(read_npy_i8(dir.join("q.npy")).unwrap(), (vec![3, 4], q));
        let d: Vec<f32> = (0..6).map(|i| i as f32 / 3.0).collect();
        write_npy_f16(dir.join("h.npy"), &[6], &d).unwrap();
        write_npy_bf16(dir.join("b.npy"), &[2, 3], &d).unwrap();
        write_npy_f32(dir.join("f.npy"), &[3, 2], &d).unwrap();
        assert_eq!(read_npy(dir.join("h.npy")).unwrap().dtype, DType::F16);
        assert_eq!(read_npy(dir.join("b.npy")).unwrap().dtype, DType::BF16);
        let t = read_npy(dir.join("f.npy")).unwrap();
        assert_eq!(t.data, d);
        write_npy(dir.join("t.npy"), &t).unwrap();
        assert_eq!(read_npy(dir.join("t.npy")).unwrap(), t);
        assert!(read_npy_i8(dir.join("f.npy")).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
