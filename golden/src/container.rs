//! The `.t265` container: what a decoder needs besides the HEVC stream to rebuild the
//! tensor.
//!
//! # Format (version 1, all integers little-endian)
//!
//! | offset      | size | content                                              |
//! |-------------|------|------------------------------------------------------|
//! | 0           | 4    | magic `b"T265"`                                       |
//! | 4           | 2    | u16 format version (1)                                |
//! | 6           | 4    | u32 `J`, length of the JSON header                    |
//! | 10          | 8    | u64 `S`, length of the Annex-B stream                 |
//! | 18          | J    | [`T265Header`] as UTF-8 JSON (serde_json)             |
//! | 18 + J      | S    | HEVC Annex-B byte stream (one picture per frame)      |
//!
//! The file ends exactly after the stream, so any truncation or extension is detected.
//! Scales are stored as their IEEE-754 bit patterns (`u32`), so they round-trip
//! bit-exactly. [`read`] validates everything it can without decoding (see
//! [`T265Header::validate`]) and never panics, whatever the bytes.

use crate::tensor::rtn::RtnMode;
use crate::tensor::tile::{FrameLayout, MAX_PIXELS};
use crate::tensor::DType;
use serde::{Deserialize, Serialize};

/// File magic.
pub const MAGIC: &[u8; 4] = b"T265";
/// The format version this code writes and reads.
pub const VERSION: u16 = 1;
/// Fixed part before the JSON header.
pub const PREAMBLE_LEN: usize = 18;
/// Profile name of HEVC Main 4:2:0 8-bit streams (flat chroma).
pub const PROFILE_MAIN_420: &str = "main-420";
/// Profile name of 4:0:0 monochrome streams.
pub const PROFILE_MONO_400: &str = "mono-400";
/// Every profile name a version 1 container may carry.
pub const PROFILES: [&str; 2] = [PROFILE_MAIN_420, PROFILE_MONO_400];

/// Everything about the coded tensor except the HEVC stream.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct T265Header {
    /// Original tensor shape.
    pub shape: Vec<usize>,
    /// Original storage dtype (the decoder rounds to it).
    pub dtype: DType,
    pub rtn: RtnMode,
    /// One per matrix row; serialized as u32 bit patterns (exact).
    #[serde(with = "f32_bits")]
    pub scales: Vec<f32>,
    /// One per matrix row (asymmetric), empty (symmetric).
    pub zero_points: Vec<i32>,
    /// Hadamard rotation seed, if the matrix was rotated before quantization.
    pub rotate_seed: Option<u64>,
    pub layout: FrameLayout,
    /// [`PROFILE_MAIN_420`] or [`PROFILE_MONO_400`].
    pub profile: String,
    /// Slice QP of each frame.
    pub qps: Vec<u8>,
    /// The encoder configuration (TOML), for the record.
    pub params_toml: String,
}

mod f32_bits {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &[f32], s: S) -> Result<S::Ok, S::Error> {
        v.iter().map(|x| x.to_bits()).collect::<Vec<u32>>().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f32>, D::Error> {
        Ok(Vec::<u32>::deserialize(d)?.into_iter().map(f32::from_bits).collect())
    }
}

/// Why a byte string is not a usable `.t265` container.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ContainerError {
    #[error("not a .t265 container: {len} bytes, shorter than the {PREAMBLE_LEN}-byte preamble")]
    TooShort { len: usize },
    #[error("not a .t265 container: magic {found:02x?}, expected \"T265\"")]
    BadMagic { found: [u8; 4] },
    #[error(".t265 format version {found} is not supported (this build reads version {VERSION})")]
    UnsupportedVersion { found: u16 },
    #[error(
        ".t265 size mismatch: the preamble announces {json_len} header bytes and {stream_len} stream bytes \
         ({expected} in all) but the file has {actual} bytes (truncated or extended?)"
    )]
    SizeMismatch { json_len: u64, stream_len: u64, expected: u128, actual: usize },
    #[error(".t265 header JSON is invalid: {0}")]
    Json(String),
    #[error(".t265 header is inconsistent: {0}")]
    Inconsistent(String),
}

impl T265Header {
    /// `(rows, cols)` of the coded matrix (reshape rule of [`crate::tensor`]).
    pub fn matrix_shape(&self) -> Result<(usize, usize), ContainerError> {
        let bad = |m: String| Err(ContainerError::Inconsistent(m));
        if self.shape.is_empty() {
            return bad("shape is empty (0-dimensional tensor)".into());
        }
        let n = self.shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d as u64));
        match n {
            None => bad(format!("shape {:?} overflows", self.shape)),
            Some(0) => bad(format!("shape {:?} has no elements", self.shape)),
            Some(n) if n > MAX_PIXELS => bad(format!("shape {:?} holds {n} values, more than 2^34", self.shape)),
            Some(n) => {
                let cols = self.shape[self.shape.len() - 1];
                Ok(((n / cols as u64) as usize, cols))
            }
        }
    }

    /// Every check that needs no decoding: shape vs layout, one scale (and zero point)
    /// per row, finite non-negative scales, zero points in int8 range, one QP (0..=51)
    /// per frame, a known profile and a self-consistent layout. Never panics.
    pub fn validate(&self) -> Result<(), ContainerError> {
        let bad = |m: String| Err(ContainerError::Inconsistent(m));
        let (rows, cols) = self.matrix_shape()?;
        self.layout.validate().map_err(|e| ContainerError::Inconsistent(e.to_string()))?;
        if (self.layout.rows, self.layout.cols) != (rows, cols) {
            return bad(format!(
                "shape {:?} is a {rows}x{cols} matrix but the layout is {}x{}",
                self.shape, self.layout.rows, self.layout.cols
            ));
        }
        if self.scales.len() != rows {
            return bad(format!("{} scales for {rows} rows", self.scales.len()));
        }
        if let Some(i) = self.scales.iter().position(|s| !(s.is_finite() && *s >= 0.0)) {
            return bad(format!("scale {i} is {} (must be finite and >= 0)", self.scales[i]));
        }
        match self.rtn {
            RtnMode::Symmetric if !self.zero_points.is_empty() => {
                return bad(format!("symmetric quantization with {} zero points", self.zero_points.len()))
            }
            RtnMode::Asymmetric if self.zero_points.len() != rows => {
                return bad(format!("{} zero points for {rows} rows", self.zero_points.len()))
            }
            _ => {}
        }
        if let Some(i) = self.zero_points.iter().position(|z| !(-128..=127).contains(z)) {
            return bad(format!("zero point {i} is {} (must be -128..=127)", self.zero_points[i]));
        }
        if self.qps.len() != self.layout.frames as usize {
            return bad(format!("{} QPs for {} frames", self.qps.len(), self.layout.frames));
        }
        if let Some(i) = self.qps.iter().position(|&q| q > 51) {
            return bad(format!("QP {} of frame {i} is above 51", self.qps[i]));
        }
        if !PROFILES.contains(&self.profile.as_str()) {
            return bad(format!("unknown profile {:?} (known: {})", self.profile, PROFILES.join(", ")));
        }
        Ok(())
    }
}

/// The container bytes of `header` and the Annex-B stream. The header is written as
/// given; call [`T265Header::validate`] first to be sure [`read`] accepts it.
pub fn write(header: &T265Header, annexb: &[u8]) -> Vec<u8> {
    let json = serde_json::to_vec(header).expect("T265Header serializes to JSON");
    let mut out = Vec::with_capacity(PREAMBLE_LEN + json.len() + annexb.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&(annexb.len() as u64).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(annexb);
    out
}

/// Parse and validate a container: the header and the Annex-B stream (borrowed).
/// Never panics, whatever the bytes.
pub fn read(bytes: &[u8]) -> Result<(T265Header, &[u8]), ContainerError> {
    if bytes.len() >= 4 && &bytes[..4] != MAGIC {
        return Err(ContainerError::BadMagic { found: [bytes[0], bytes[1], bytes[2], bytes[3]] });
    }
    if bytes.len() < PREAMBLE_LEN {
        return Err(ContainerError::TooShort { len: bytes.len() });
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if version != VERSION {
        return Err(ContainerError::UnsupportedVersion { found: version });
    }
    let json_len = u32::from_le_bytes([bytes[6], bytes[7], bytes[8], bytes[9]]) as u64;
    let mut s = [0u8; 8];
    s.copy_from_slice(&bytes[10..18]);
    let stream_len = u64::from_le_bytes(s);
    let expected = PREAMBLE_LEN as u128 + json_len as u128 + stream_len as u128;
    if expected != bytes.len() as u128 {
        return Err(ContainerError::SizeMismatch { json_len, stream_len, expected, actual: bytes.len() });
    }
    let json_end = PREAMBLE_LEN + json_len as usize;
    let header: T265Header =
        serde_json::from_slice(&bytes[PREAMBLE_LEN..json_end]).map_err(|e| ContainerError::Json(e.to_string()))?;
    header.validate()?;
    let stream = &bytes[json_end..];
    if stream.is_empty() {
        return Err(ContainerError::Inconsistent("the HEVC stream is empty".into()));
    }
    Ok((header, stream))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TilingParams;
    use crate::tensor::synth::SplitMix64;
    use crate::tensor::tile;

    fn header(shape: Vec<usize>, rtn: RtnMode) -> T265Header {
        let cols = *shape.last().unwrap();
        let rows = shape.iter().product::<usize>() / cols;
        let layout = tile::layout(rows, cols, &TilingParams::default()).unwrap();
        let frames = layout.frames as usize;
        T265Header {
            shape,
            dtype: DType::BF16,
            rtn,
            // Values whose decimal forms would not survive a float round trip in every
            // JSON library, plus subnormals, zero and a large value.
            scales: (0..rows)
                .map(|i| match i % 4 {
                    0 => 0.1f32 + i as f32 * 1e-7,
                    1 => f32::from_bits(1 + i as u32),
                    2 => 0.0,
                    _ => 3.4e38,
                })
                .collect(),
            zero_points: if rtn == RtnMode::Asymmetric {
                (0..rows).map(|i| (i % 256) as i32 - 128).collect()
            } else {
                vec![]
            },
            rotate_seed: Some(u64::MAX - 5),
            layout,
            profile: PROFILE_MAIN_420.into(),
            qps: (0..frames).map(|i| (20 + i % 30) as u8).collect(),
            params_toml: "[encoder]\nqp = 22\n".into(),
        }
    }

    fn stream() -> Vec<u8> {
        vec![0, 0, 0, 1, 0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0, 0, 1, 0x26, 0x01, 0xaf]
    }

    #[test]
    fn roundtrip_bit_exact() {
        for (shape, rtn) in [
            (vec![300, 40], RtnMode::Asymmetric),
            (vec![2, 3, 9000], RtnMode::Symmetric),
            (vec![7], RtnMode::Symmetric),
        ] {
            let h = header(shape, rtn);
            h.validate().unwrap();
            let bytes = write(&h, &stream());
            let (h2, s) = read(&bytes).unwrap();
            assert_eq!(s, &stream()[..]);
            assert_eq!(h2, h);
            let b1: Vec<u32> = h.scales.iter().map(|x| x.to_bits()).collect();
            let b2: Vec<u32> = h2.scales.iter().map(|x| x.to_bits()).collect();
            assert_eq!(b1, b2);
        }
    }

    #[test]
    fn every_truncation_and_extension_errors() {
        let bytes = write(&header(vec![50, 30], RtnMode::Symmetric), &stream());
        for n in 0..bytes.len() {
            assert!(read(&bytes[..n]).is_err(), "truncated to {n}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(read(&longer), Err(ContainerError::SizeMismatch { .. })));
    }

    #[test]
    fn clear_errors() {
        let h = header(vec![50, 30], RtnMode::Symmetric);
        let good = write(&h, &stream());
        let mut b = good.clone();
        b[0] = b'X';
        let e = read(&b).unwrap_err();
        assert!(matches!(e, ContainerError::BadMagic { .. }) && e.to_string().contains("magic"), "{e}");
        let mut b = good.clone();
        b[4] = 2;
        assert_eq!(read(&b).unwrap_err(), ContainerError::UnsupportedVersion { found: 2 });
        let mut b = good.clone();
        b[6..10].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(read(&b).unwrap_err().to_string().contains("truncated"));
        let mut b = good.clone();
        b[10..18].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(read(&b), Err(ContainerError::SizeMismatch { .. })));
        let mut b = good.clone();
        b[PREAMBLE_LEN] = b'[';
        assert!(matches!(read(&b), Err(ContainerError::Json(_))));
        assert!(matches!(read(&write(&h, &[])), Err(ContainerError::Inconsistent(_))));

        let inconsistent = |f: &dyn Fn(&mut T265Header), what: &str| {
            let mut h = header(vec![50, 30], RtnMode::Symmetric);
            f(&mut h);
            let e = read(&write(&h, &stream())).unwrap_err();
            assert!(matches!(e, ContainerError::Inconsistent(_)), "{what}: {e}");
            assert!(e.to_string().contains(what), "{what}: {e}");
        };
        inconsistent(&|h| h.shape = vec![51, 30], "layout");
        inconsistent(&|h| h.shape = vec![50, 6, 5], "layout");
        inconsistent(&|h| h.shape = vec![], "0-dimensional");
        inconsistent(&|h| h.shape = vec![0, 30], "no elements");
        inconsistent(&|h| h.shape = vec![1 << 20, 1 << 20], "2^34");
        inconsistent(&|h| h.shape = vec![usize::MAX, 3], "overflows");
        inconsistent(&|h| h.scales.truncate(49), "49 scales");
        inconsistent(&|h| h.scales[3] = f32::NAN, "scale 3");
        inconsistent(&|h| h.scales[3] = -1.0, "scale 3");
        inconsistent(&|h| h.zero_points = vec![0; 50], "zero points");
        inconsistent(&|h| h.qps.push(22), "QPs");
        inconsistent(&|h| h.qps[0] = 52, "QP 52");
        inconsistent(&|h| h.profile = "main10".into(), "profile");
        inconsistent(&|h| h.layout.frames = 7, "frames");
        inconsistent(&|h| h.layout.fold = 0, "fold");
        let mut h = header(vec![50, 30], RtnMode::Asymmetric);
        h.zero_points[2] = 128;
        assert!(read(&write(&h, &stream())).unwrap_err().to_string().contains("zero point 2"));
        h.zero_points.pop();
        assert!(read(&write(&h, &stream())).unwrap_err().to_string().contains("49 zero points"));
    }

    #[test]
    fn mutations_never_panic() {
        let good = write(&header(vec![20, 64], RtnMode::Asymmetric), &stream());
        let mut rng = SplitMix64::new(0x7265);
        let mut accepted = 0;
        for i in 0..4000 {
            let mut b = good.clone();
            let flips = 1 + (rng.next_u64() % 4) as usize;
            for _ in 0..flips {
                let pos = (rng.next_u64() % b.len() as u64) as usize;
                match rng.next_u64() % 3 {
                    0 => b[pos] ^= 1 << (rng.next_u64() % 8),
                    1 => b[pos] = rng.next_u64() as u8,
                    // Digits keep the JSON parseable more often, reaching validate().
                    _ => b[pos] = b'0' + (rng.next_u64() % 10) as u8,
                }
            }
            if i % 10 == 0 {
                b.truncate((rng.next_u64() % (b.len() as u64 + 1)) as usize);
            }
            if read(&b).is_ok() {
                accepted += 1;
            }
        }
        // Flips inside the stream or in harmless JSON digits still read; most do not.
        assert!(accepted < 4000);
        // Random garbage of every small length.
        for len in 0..64 {
            let b: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
            assert!(read(&b).is_err());
            let mut m = MAGIC.to_vec();
            m.extend_from_slice(&b);
            let _ = read(&m);
        }
    }
}
