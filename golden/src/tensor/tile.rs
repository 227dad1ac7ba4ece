//! Laying an int8 `[rows, cols]` matrix out as 8-bit luma frames, and back.
//!
//! # Rule
//!
//! With `min = min_frame_side`, `max_w = max_frame_width`, `max_h = max_frame_height` of
//! [`TilingParams`] and `pad8(v)` = v rounded up to a multiple of 8:
//!
//! 1. **Fold.** A matrix narrower than the smallest frame is cut into `fold` bands of
//!    consecutive rows placed side by side. `f0` = the smallest f >= 1 with
//!    `pad8(f * cols) >= min` (so f0 = 1 unless cols < min - 7); then
//!    `band_rows = ceil(rows / min(f0, rows))` and `fold = ceil(rows / band_rows)` (the
//!    fewest bands of that height, so no band is empty).
//! 2. **Canvas.** The canvas is `W = fold * cols` wide and `H = band_rows` high. Canvas
//!    pixel (y, x) holds matrix element (`(x / cols) * band_rows + y`, `x % cols`); where
//!    that row is past the end (the tail of the last band) it holds row `rows - 1`
//!    (vertical edge replication).
//! 3. **Frames.** `frames_x = ceil(W / max_w)`,
//!    `frame_width = max(pad8(ceil(W / frames_x)), min)`, and likewise
//!    `frames_y = ceil(H / max_h)`, `frame_height = max(pad8(ceil(H / frames_y)), min)`:
//!    all frames have the same size, a multiple of 8 between `min` and the maximum, and
//!    the padding is spread as little as possible. Frame (fx, fy), index
//!    `fy * frames_x + fx` (row-major), covers canvas columns from `fx * frame_width` and
//!    rows from `fy * frame_height`.
//! 4. **Padding.** A frame position (y, x) outside the canvas replicates the nearest
//!    canvas edge: it holds canvas pixel (`min(y, H - 1)`, `min(x, W - 1)`). Replicated
//!    edges are cheaper to code than a step to a constant.
//! 5. **Pixel** = int8 value + 128 (0..=255).
//!
//! [`from_frames`] reads the real elements back; it is the exact inverse of [`to_frames`].

use super::TensorError;
use crate::config::TilingParams;
use serde::{Deserialize, Serialize};

/// Largest frame side accepted anywhere (the configuration's bound).
pub const MAX_SIDE: u32 = 8192;
/// Largest total number of pixels (and of matrix elements) a layout may describe: 2^34.
pub const MAX_PIXELS: u64 = 1 << 34;

/// Where every matrix element sits in which frame (module docs).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FrameLayout {
    /// Matrix rows.
    pub rows: usize,
    /// Matrix columns.
    pub cols: usize,
    /// Number of row bands placed side by side (1 = no folding).
    pub fold: u32,
    /// Rows per band: `ceil(rows / fold)`.
    pub band_rows: usize,
    /// Canvas width `fold * cols`.
    pub canvas_width: usize,
    /// Canvas height `band_rows`.
    pub canvas_height: usize,
    pub frame_width: u32,
    pub frame_height: u32,
    /// Frames across: `ceil(canvas_width / frame_width)`.
    pub frames_x: u32,
    /// Frames down: `ceil(canvas_height / frame_height)`.
    pub frames_y: u32,
    /// `frames_x * frames_y`.
    pub frames: u32,
}

fn pad8(v: u64) -> u64 {
    v.div_ceil(8) * 8
}

fn err(m: impl Into<String>) -> TensorError {
    TensorError::Layout(m.into())
}

/// Check that tiling parameters can be used (same bounds as the configuration).
pub fn check_params(t: &TilingParams) -> Result<(), TensorError> {
    let sides = [t.min_frame_side, t.max_frame_width, t.max_frame_height];
    if sides.iter().any(|&s| s == 0 || s % 8 != 0 || s > MAX_SIDE) {
        return Err(err(format!("tiling sides {sides:?} must be positive multiples of 8, at most {MAX_SIDE}")));
    }
    if t.min_frame_side > t.max_frame_width.min(t.max_frame_height) {
        return Err(err(format!("tiling min_frame_side {} exceeds a maximum side", t.min_frame_side)));
    }
    Ok(())
}

/// `(frames, frame side)` along one axis of length `len` (rule 3).
fn split_axis(len: u64, min: u32, max: u32) -> (u64, u64) {
    let n = len.div_ceil(max as u64);
    let side = pad8(len.div_ceil(n)).max(min as u64);
    (n, side)
}

/// The frame layout of a `[rows, cols]` matrix (module docs).
pub fn layout(rows: usize, cols: usize, t: &TilingParams) -> Result<FrameLayout, TensorError> {
    check_params(t)?;
    if rows == 0 || cols == 0 {
        return Err(TensorError::Empty { shape: vec![rows, cols] });
    }
    let (r, c) = (rows as u64, cols as u64);
    if r.checked_mul(c).is_none_or(|n| n > MAX_PIXELS) {
        return Err(err(format!("{rows}x{cols} matrix exceeds the limit of 2^34 elements")));
    }
    let min = t.min_frame_side as u64;
    let mut f0 = 1u64;
    while pad8(f0 * c) < min {
        f0 += 1;
    }
    let band_rows = r.div_ceil(f0.min(r));
    let fold = r.div_ceil(band_rows);
    let (w, h) = (fold * c, band_rows);
    let (fx, fw) = split_axis(w, t.min_frame_side, t.max_frame_width);
    let (fy, fh) = split_axis(h, t.min_frame_side, t.max_frame_height);
    let frames = fx * fy;
    if frames.checked_mul(fw * fh).is_none_or(|p| p > MAX_PIXELS) || frames > u32::MAX as u64 {
        return Err(err(format!("{rows}x{cols} matrix needs {frames} frames of {fw}x{fh}: too large")));
    }
    let l = FrameLayout {
        rows,
        cols,
        fold: fold as u32,
        band_rows: band_rows as usize,
        canvas_width: w as usize,
        canvas_height: h as usize,
        frame_width: fw as u32,
        frame_height: fh as u32,
        frames_x: fx as u32,
        frames_y: fy as u32,
        frames: frames as u32,
    };
    debug_assert!(l.validate().is_ok());
    Ok(l)
}

impl FrameLayout {
    /// Check the internal consistency of a layout (e.g. one read from a file) without
    /// ever panicking; [`to_frames`] and [`from_frames`] rely on it.
    pub fn validate(&self) -> Result<(), TensorError> {
        let l = self;
        if l.rows == 0 || l.cols == 0 {
            return Err(err(format!("layout of an empty {}x{} matrix", l.rows, l.cols)));
        }
        let (r, c) = (l.rows as u64, l.cols as u64);
        if r.checked_mul(c).is_none_or(|n| n > MAX_PIXELS) {
            return Err(err(format!("layout of {}x{} exceeds the limit of 2^34 elements", l.rows, l.cols)));
        }
        let fold = l.fold as u64;
        if fold == 0 || fold > r {
            return Err(err(format!("fold {} must be 1..=rows ({})", l.fold, l.rows)));
        }
        let band = r.div_ceil(fold);
        if l.band_rows as u64 != band || (fold - 1) * band >= r {
            return Err(err(format!(
                "band_rows {} does not fit {} rows in {} bands with none empty",
                l.band_rows, l.rows, l.fold
            )));
        }
        if l.canvas_width as u64 != fold * c || l.canvas_height as u64 != band {
            return Err(err(format!(
                "canvas {}x{} should be {}x{} (fold * cols x band_rows)",
                l.canvas_width,
                l.canvas_height,
                fold * c,
                band
            )));
        }
        for s in [l.frame_width, l.frame_height] {
            if s == 0 || s % 8 != 0 || s > MAX_SIDE {
                return Err(err(format!("frame side {s} must be a positive multiple of 8, at most {MAX_SIDE}")));
            }
        }
        let fx = (l.canvas_width as u64).div_ceil(l.frame_width as u64);
        let fy = (l.canvas_height as u64).div_ceil(l.frame_height as u64);
        if l.frames_x as u64 != fx || l.frames_y as u64 != fy || l.frames as u64 != fx * fy {
            return Err(err(format!(
                "{} frames ({}x{}) do not tile a {}x{} canvas with {}x{} frames",
                l.frames, l.frames_x, l.frames_y, l.canvas_width, l.canvas_height, l.frame_width, l.frame_height
            )));
        }
        if (l.frames as u64) * (l.frame_width as u64) * (l.frame_height as u64) > MAX_PIXELS {
            return Err(err("layout exceeds the limit of 2^34 pixels"));
        }
        Ok(())
    }

    /// Luma samples per frame.
    pub fn frame_pixels(&self) -> usize {
        self.frame_width as usize * self.frame_height as usize
    }
}

/// int8 value to pixel (+128).
#[inline]
pub fn to_pixel(q: i8) -> u8 {
    (q as u8) ^ 0x80
}

/// Pixel to int8 value (-128).
#[inline]
pub fn from_pixel(p: u8) -> i8 {
    (p ^ 0x80) as i8
}

/// The luma frames (each `frame_width * frame_height`, raster order) of int8 matrix `q`.
///
/// Panics if the layout is inconsistent or `q.len() != rows * cols`.
pub fn to_frames(q: &[i8], l: &FrameLayout) -> Vec<Vec<u8>> {
    l.validate().expect("to_frames: inconsistent layout");
    assert_eq!(q.len(), l.rows * l.cols, "to_frames: {} values for a {}x{} layout", q.len(), l.rows, l.cols);
    let (fw, fh) = (l.frame_width as usize, l.frame_height as usize);
    let mut out = Vec::with_capacity(l.frames as usize);
    // Matrix (band, column) of every clamped canvas column of the current frame.
    let mut colmap: Vec<(usize, usize)> = vec![(0, 0); fw];
    for fy in 0..l.frames_y as usize {
        for fx in 0..l.frames_x as usize {
            for (xx, m) in colmap.iter_mut().enumerate() {
                let x = (fx * fw + xx).min(l.canvas_width - 1);
                *m = (x / l.cols, x % l.cols);
            }
            let mut frame = vec![0u8; fw * fh];
            for (yy, line) in frame.chunks_exact_mut(fw).enumerate() {
                let y = (fy * fh + yy).min(l.canvas_height - 1);
                for (p, &(band, c)) in line.iter_mut().zip(&colmap) {
                    let r = (band * l.band_rows + y).min(l.rows - 1);
                    *p = to_pixel(q[r * l.cols + c]);
                }
            }
            out.push(frame);
        }
    }
    out
}

/// The int8 matrix (row-major) held by `frames`: the exact inverse of [`to_frames`].
/// Errors (never panics) on an inconsistent layout or wrong frame count or sizes.
pub fn from_frames(frames: &[Vec<u8>], l: &FrameLayout) -> Result<Vec<i8>, TensorError> {
    l.validate()?;
    if frames.len() != l.frames as usize {
        return Err(err(format!("{} frames given, the layout has {}", frames.len(), l.frames)));
    }
    let (fw, fh) = (l.frame_width as usize, l.frame_height as usize);
    if let Some((i, f)) = frames.iter().enumerate().find(|(_, f)| f.len() != fw * fh) {
        return Err(err(format!("frame {i} holds {} samples, expected {fw}x{fh} = {}", f.len(), fw * fh)));
    }
    let mut q = Vec::with_capacity(l.rows * l.cols);
    for r in 0..l.rows {
        let (band, y) = (r / l.band_rows, r % l.band_rows);
        let (fy, yy) = (y / fh, y % fh);
        for c in 0..l.cols {
            let x = band * l.cols + c;
            let (fx, xx) = (x / fw, x % fw);
            q.push(from_pixel(frames[fy * l.frames_x as usize + fx][yy * fw + xx]));
        }
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::synth::SplitMix64;

    fn params(min: u32, w: u32, h: u32) -> TilingParams {
        TilingParams { min_frame_side: min, max_frame_width: w, max_frame_height: h }
    }

    fn random_q(n: usize, seed: u64) -> Vec<i8> {
        let mut r = SplitMix64::new(seed);
        (0..n).map(|_| r.next_u64() as i8).collect()
    }

    /// The module-doc rule, written out pixel by pixel.
    fn reference_pixel(q: &[i8], l: &FrameLayout, f: usize, yy: usize, xx: usize) -> u8 {
        let (fx, fy) = (f % l.frames_x as usize, f / l.frames_x as usize);
        let y = (fy * l.frame_height as usize + yy).min(l.canvas_height - 1);
        let x = (fx * l.frame_width as usize + xx).min(l.canvas_width - 1);
        let r = ((x / l.cols) * l.band_rows + y).min(l.rows - 1);
        (q[r * l.cols + x % l.cols] as i16 + 128) as u8
    }

    #[test]
    fn documented_sizes() {
        let d = TilingParams::default();
        let l = layout(1000, 37, &d).unwrap();
        assert_eq!(
            (l.fold, l.band_rows, l.canvas_width, l.frame_width, l.frame_height, l.frames),
            (4, 250, 148, 152, 256, 1)
        );
        let l = layout(9000, 10, &d).unwrap();
        assert_eq!((l.fold, l.band_rows, l.canvas_width, l.frame_width, l.frame_height), (14, 643, 140, 144, 648));
        let l = layout(5, 10, &d).unwrap();
        assert_eq!((l.fold, l.band_rows, l.frame_width, l.frame_height), (5, 1, 144, 144));
        let l = layout(5, 30, &d).unwrap(); // f0 = 5 -> band 1, fold 5
        assert_eq!((l.fold, l.band_rows), (5, 1));
        let l = layout(7, 40, &d).unwrap(); // f0 = 4 -> band 2, fold 4 (no empty band)
        assert_eq!((l.fold, l.band_rows, l.canvas_width), (4, 2, 160));
        let l = layout(1, 1, &d).unwrap();
        assert_eq!((l.fold, l.frame_width, l.frame_height, l.frames), (1, 144, 144, 1));
        let l = layout(37, 1000, &d).unwrap();
        assert_eq!((l.fold, l.frame_width, l.frame_height), (1, 1000, 144));
        let l = layout(20000, 300, &d).unwrap();
        assert_eq!((l.frames_x, l.frames_y, l.frame_width, l.frame_height), (1, 3, 304, 6672));
        let l = layout(9000, 10000, &d).unwrap();
        assert_eq!((l.frames_x, l.frames_y, l.frame_width, l.frame_height), (2, 2, 5000, 4504));
        let l = layout(4096, 11008, &d).unwrap();
        assert_eq!((l.frames_x, l.frames_y, l.frame_width, l.frame_height), (2, 1, 5504, 4096));
        // cols within 7 of the minimum pads instead of folding.
        assert_eq!(layout(300, 140, &d).unwrap().fold, 1);
        assert_eq!(layout(300, 136, &d).unwrap().fold, 2);
    }

    #[test]
    fn roundtrip_odd_shapes() {
        let shapes =
            [(1, 1), (1000, 37), (37, 1000), (384, 1536), (9000, 10), (20000, 300), (7, 40), (3, 2), (1, 5000)];
        let ps = [TilingParams::default(), params(16, 64, 48), params(8, 8, 8), params(144, 1024, 512)];
        for (i, &(rows, cols)) in shapes.iter().enumerate() {
            let q = random_q(rows * cols, i as u64);
            for p in &ps {
                let l = layout(rows, cols, p).unwrap();
                l.validate().unwrap();
                assert!(l.frame_width <= p.max_frame_width && l.frame_height <= p.max_frame_height);
                assert!(l.frame_width >= p.min_frame_side && l.frame_height >= p.min_frame_side);
                assert!(l.frame_width.is_multiple_of(8) && l.frame_height.is_multiple_of(8));
                let frames = to_frames(&q, &l);
                assert_eq!(frames.len(), l.frames as usize);
                assert!(frames.iter().all(|f| f.len() == l.frame_pixels()));
                assert_eq!(from_frames(&frames, &l).unwrap(), q, "{rows}x{cols} {p:?}");
            }
        }
    }

    #[test]
    fn pixels_follow_the_documented_rule() {
        for (i, (rows, cols, p)) in [
            (7, 40, params(144, 8192, 8192)),
            (50, 9, params(16, 32, 24)),
            (13, 70, params(16, 64, 16)),
            (1, 3, params(8, 8, 8)),
        ]
        .into_iter()
        .enumerate()
        {
            let q = random_q(rows * cols, 100 + i as u64);
            let l = layout(rows, cols, &p).unwrap();
            let frames = to_frames(&q, &l);
            for (f, frame) in frames.iter().enumerate() {
                for yy in 0..l.frame_height as usize {
                    for xx in 0..l.frame_width as usize {
                        assert_eq!(
                            frame[yy * l.frame_width as usize + xx],
                            reference_pixel(&q, &l, f, yy, xx),
                            "{rows}x{cols} frame {f} ({xx},{yy})"
                        );
                    }
                }
            }
        }
        assert_eq!((to_pixel(-128), to_pixel(0), to_pixel(127)), (0, 128, 255));
        assert_eq!((from_pixel(0), from_pixel(128), from_pixel(255)), (-128, 0, 127));
    }

    #[test]
    fn errors() {
        let d = TilingParams::default();
        assert!(matches!(layout(0, 5, &d), Err(TensorError::Empty { .. })));
        assert!(layout(5, 5, &params(12, 64, 64)).is_err());
        assert!(layout(5, 5, &params(128, 64, 64)).is_err());
        assert!(layout(1 << 20, 1 << 20, &d).is_err());
        let l = layout(100, 100, &d).unwrap();
        let frames = to_frames(&random_q(10000, 1), &l);
        assert!(from_frames(&frames[..0], &l).is_err());
        let mut short = frames.clone();
        short[0].pop();
        assert!(from_frames(&short, &l).unwrap_err().to_string().contains("frame 0"));
        for bad in [
            FrameLayout { fold: 0, ..l.clone() },
            FrameLayout { fold: 101, ..l.clone() },
            FrameLayout { band_rows: 99, ..l.clone() },
            FrameLayout { canvas_width: 99, ..l.clone() },
            FrameLayout { frame_width: 100, ..l.clone() },
            FrameLayout { frames: 2, ..l.clone() },
            FrameLayout { frames_x: 2, ..l.clone() },
            FrameLayout { rows: usize::MAX, ..l.clone() },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
            assert!(from_frames(&frames, &bad).is_err());
        }
    }
}
