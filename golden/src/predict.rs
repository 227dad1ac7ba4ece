//! Intra sample prediction (H.265 8.4.4.2): reference sample gathering with
//! availability and substitution, [1 2 1] filtering and strong intra smoothing,
//! planar, DC (with edge filters) and the 33 angular modes (with the mode 10/26
//! boundary filters). 8-bit samples.

/// Reference samples of an NxN block: `left[y]` = p[-1][y], `top[x]` = p[x][-1] for
/// 0..2N, `corner` = p[-1][-1].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refs {
    pub corner: i32,
    pub left: [i32; 64],
    pub top: [i32; 64],
}

impl Refs {
    pub fn flat(v: i32) -> Refs {
        Refs { corner: v, left: [v; 64], top: [v; 64] }
    }
}

/// intraPredAngle for modes 2..=34 (Table 8-5), index mode-2.
pub const INTRA_PRED_ANGLE: [i32; 33] =
    [32, 26, 21, 17, 13, 9, 5, 2, 0, -2, -5, -9, -13, -17, -21, -26, -32, -26, -21, -17, -13, -9, -5, -2, 0, 2, 5, 9, 13, 17, 21, 26, 32];

/// invAngle for modes 11..=25 (Table 8-6), index mode-11.
pub const INV_ANGLE: [i32; 15] =
    [-4096, -1638, -910, -630, -482, -390, -315, -256, -315, -390, -482, -630, -910, -1638, -4096];

/// Gather the 4N+1 reference samples of the NxN block at (x0, y0) of `plane`
/// (8.4.4.2.2). `avail(x, y)` says whether the sample at (x, y) is available for
/// intra prediction (inside the picture, already decoded, same slice); it is asked
/// once per `unit` samples (the minimum block size in this plane).
pub fn gather(plane: &[u8], stride: usize, x0: usize, y0: usize, n: usize, unit: usize, avail: impl Fn(i32, i32) -> bool) -> Refs {
    let mut r = Refs::flat(128);
    // availability per sample, in the search order of the substitution process:
    // p[-1][2N-1] .. p[-1][0], p[-1][-1], p[0][-1] .. p[2N-1][-1]
    let mut av_left = [false; 64];
    let mut av_top = [false; 64];
    let (xi, yi) = (x0 as i32, y0 as i32);
    let mut any = false;
    let mut k = 0;
    while k < 2 * n {
        let a = avail(xi - 1, yi + k as i32);
        for j in 0..unit.min(2 * n - k) {
            av_left[k + j] = a;
            if a {
                r.left[k + j] = plane[(y0 + k + j) * stride + x0 - 1] as i32;
            }
        }
        any |= a;
        k += unit;
    }
    let mut k = 0;
    while k < 2 * n {
        let a = avail(xi + k as i32, yi - 1);
        for j in 0..unit.min(2 * n - k) {
            av_top[k + j] = a;
            if a {
                r.top[k + j] = plane[(y0 - 1) * stride + x0 + k + j] as i32;
            }
        }
        any |= a;
        k += unit;
    }
    let av_corner = avail(xi - 1, yi - 1);
    if av_corner {
        r.corner = plane[(y0 - 1) * stride + x0 - 1] as i32;
    }
    any |= av_corner;
    if !any {
        return Refs::flat(128);
    }
    // substitution
    if !av_left[2 * n - 1] {
        // first available in order
        let mut v = None;
        for y in (0..2 * n).rev() {
            if av_left[y] {
                v = Some(r.left[y]);
                break;
            }
        }
        if v.is_none() && av_corner {
            v = Some(r.corner);
        }
        if v.is_none() {
            v = (0..2 * n).find(|&x| av_top[x]).map(|x| r.top[x]);
        }
        r.left[2 * n - 1] = v.unwrap();
    }
    for y in (0..2 * n - 1).rev() {
        if !av_left[y] {
            r.left[y] = r.left[y + 1];
        }
    }
    if !av_corner {
        r.corner = r.left[0];
    }
    if !av_top[0] {
        r.top[0] = r.corner;
    }
    for x in 1..2 * n {
        if !av_top[x] {
            r.top[x] = r.top[x - 1];
        }
    }
    r
}

/// Whether the [1 2 1] / strong filter applies (8.4.4.2.3), luma (or 4:4:4 chroma).
pub fn filter_flag(mode: u8, n: usize) -> bool {
    if mode == 1 || n == 4 {
        return false;
    }
    let min_dist = (mode as i32 - 26).abs().min((mode as i32 - 10).abs());
    let thres = match n {
        8 => 7,
        16 => 1,
        _ => 0,
    };
    min_dist > thres
}

/// Whether the filtering of 8.4.4.2.3 is the strong intra smoothing (bilinear) for
/// these references (32x32, enabled, both sides flat enough), given that filtering
/// applies ([`filter_flag`]).
pub fn strong_applies(r: &Refs, n: usize, strong_enabled: bool) -> bool {
    let n2 = 2 * n;
    strong_enabled
        && n == 32
        && (r.corner + r.top[n2 - 1] - 2 * r.top[n - 1]).abs() < 8
        && (r.corner + r.left[n2 - 1] - 2 * r.left[n - 1]).abs() < 8
}

/// Filtering process of neighbouring samples (8.4.4.2.3).
pub fn filter(r: &Refs, n: usize, strong_enabled: bool) -> Refs {
    let n2 = 2 * n;
    if strong_applies(r, n, strong_enabled) {
        let mut f = r.clone();
        for i in 0..63 {
            f.left[i] = ((63 - i as i32) * r.corner + (i as i32 + 1) * r.left[63] + 32) >> 6;
            f.top[i] = ((63 - i as i32) * r.corner + (i as i32 + 1) * r.top[63] + 32) >> 6;
        }
        return f;
    }
    let mut f = r.clone();
    f.corner = (r.left[0] + 2 * r.corner + r.top[0] + 2) >> 2;
    for i in 0..n2 - 1 {
        let prev_l = if i == 0 { r.corner } else { r.left[i - 1] };
        let prev_t = if i == 0 { r.corner } else { r.top[i - 1] };
        f.left[i] = (r.left[i + 1] + 2 * r.left[i] + prev_l + 2) >> 2;
        f.top[i] = (r.top[i + 1] + 2 * r.top[i] + prev_t + 2) >> 2;
    }
    f
}

/// Predict an NxN block (row-major into `out`) with `mode` from (already filtered,
/// if applicable) references. `edge_filters`: luma (cIdx 0) with N < 32 gets the DC
/// and mode 10/26 boundary filters.
pub fn predict(r: &Refs, n: usize, mode: u8, edge_filters: bool, out: &mut [i32]) {
    let log2 = n.trailing_zeros();
    match mode {
        0 => {
            for y in 0..n {
                for x in 0..n {
                    out[y * n + x] = ((n - 1 - x) as i32 * r.left[y]
                        + (x + 1) as i32 * r.top[n]
                        + (n - 1 - y) as i32 * r.top[x]
                        + (y + 1) as i32 * r.left[n]
                        + n as i32)
                        >> (log2 + 1);
                }
            }
        }
        1 => {
            let sum: i32 = r.top[..n].iter().sum::<i32>() + r.left[..n].iter().sum::<i32>();
            let dc = (sum + n as i32) >> (log2 + 1);
            out[..n * n].iter_mut().for_each(|o| *o = dc);
            if edge_filters && n < 32 {
                out[0] = (r.left[0] + 2 * dc + r.top[0] + 2) >> 2;
                for x in 1..n {
                    out[x] = (r.top[x] + 3 * dc + 2) >> 2;
                }
                for y in 1..n {
                    out[y * n] = (r.left[y] + 3 * dc + 2) >> 2;
                }
            }
        }
        _ => {
            let angle = INTRA_PRED_ANGLE[mode as usize - 2];
            // ref array with index offset: refm[k + 64] = ref[k], k in -32..=64
            let mut refm = [0i32; 3 * 64 + 1];
            let vertical = mode >= 18;
            let (main, side): (&[i32; 64], &[i32; 64]) = if vertical { (&r.top, &r.left) } else { (&r.left, &r.top) };
            refm[64] = r.corner;
            for k in 1..=n {
                refm[64 + k] = main[k - 1];
            }
            if angle < 0 {
                let lo = (n as i32 * angle) >> 5;
                if lo < -1 {
                    let inv = INV_ANGLE[mode as usize - 11];
                    for k in lo..=-1 {
                        let idx = -1 + ((k * inv + 128) >> 8); // into side: p[-1][idx] / p[idx][-1]
                        refm[(64 + k) as usize] = if idx < 0 { r.corner } else { side[idx as usize] };
                    }
                }
            } else {
                for k in n + 1..=2 * n {
                    refm[64 + k] = main[k - 1];
                }
            }
            for j in 0..n {
                // j is y for vertical modes, x for horizontal ones
                let pos = (j as i32 + 1) * angle;
                let idx = pos >> 5;
                let fact = pos & 31;
                for i in 0..n {
                    let base = (64 + i as i32 + idx + 1) as usize;
                    let v = if fact != 0 { ((32 - fact) * refm[base] + fact * refm[base + 1] + 16) >> 5 } else { refm[base] };
                    if vertical {
                        out[j * n + i] = v;
                    } else {
                        out[i * n + j] = v;
                    }
                }
            }
            if edge_filters && n < 32 {
                if mode == 26 {
                    for y in 0..n {
                        out[y * n] = (r.top[0] + ((r.left[y] - r.corner) >> 1)).clamp(0, 255);
                    }
                } else if mode == 10 {
                    for x in 0..n {
                        out[x] = (r.left[0] + ((r.top[x] - r.corner) >> 1)).clamp(0, 255);
                    }
                }
            }
        }
    }
}

/// Most probable modes (8.4.2) from the left (A) and above (B) candidates, already
/// replaced by DC where unavailable, not intra, or above outside the CTB.
pub fn mpm_list(a: u8, b: u8) -> [u8; 3] {
    if a == b {
        if a < 2 {
            [0, 1, 26]
        } else {
            [a, 2 + ((a + 29) % 32), 2 + ((a - 2 + 1) % 32)]
        }
    } else {
        let c = if a != 0 && b != 0 {
            0
        } else if a != 1 && b != 1 {
            1
        } else {
            26
        };
        [a, b, c]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_references_predict_flat() {
        let r = Refs::flat(77);
        for n in [4usize, 8, 16, 32] {
            for mode in 0..35u8 {
                let mut out = vec![0; n * n];
                let f = if filter_flag(mode, n) { filter(&r, n, true) } else { r.clone() };
                predict(&f, n, mode, true, &mut out);
                assert!(out.iter().all(|&v| v == 77), "n {n} mode {mode}");
            }
        }
    }

    #[test]
    fn pure_modes_copy_references() {
        let mut r = Refs::flat(0);
        for i in 0..64 {
            r.left[i] = i as i32;
            r.top[i] = 100 + i as i32;
        }
        r.corner = 50;
        let n = 8;
        let mut out = vec![0; 64];
        predict(&r, n, 26, false, &mut out); // vertical: copies top
        assert_eq!(&out[8..16], &r.top[..8]);
        predict(&r, n, 10, false, &mut out); // horizontal: copies left
        assert!((0..8).all(|y| out[y * 8 + 3] == r.left[y]));
        predict(&r, n, 34, false, &mut out); // diagonal down-left from top
        assert_eq!(out[0], r.top[1]);
        assert_eq!(out[7 * 8 + 7], r.top[15]);
        predict(&r, n, 2, false, &mut out); // diagonal from left
        assert_eq!(out[0], r.left[1]);
        predict(&r, n, 18, false, &mut out); // diagonal down-right
        assert_eq!(out[0], r.corner);
        assert_eq!(out[1], r.top[0]);
        assert_eq!(out[8], r.left[0]);
    }

    #[test]
    fn mpm_known_answers() {
        assert_eq!(mpm_list(1, 1), [0, 1, 26]);
        assert_eq!(mpm_list(10, 10), [10, 9, 11]);
        assert_eq!(mpm_list(2, 2), [2, 33, 3]);
        assert_eq!(mpm_list(34, 34), [34, 33, 3]);
        assert_eq!(mpm_list(0, 26), [0, 26, 1]);
        assert_eq!(mpm_list(0, 1), [0, 1, 26]);
        assert_eq!(mpm_list(5, 7), [5, 7, 0]);
    }
}
