//! Core transforms (H.265 8.6.4): the 4x4 DST-VII for intra luma and DCT-II 4..32.
//!
//! The inverse is bit-exact with the standard (two stages, clip to 16 bits after the
//! first, bdShift = 20 - BitDepth after the second). The forward transform is tcgen's
//! own definition (the HM one: horizontal then vertical with shifts log2N+BitDepth-9
//! and log2N+6); the RTL forward transform implements exactly this.

/// DST-VII 4x4 matrix, rows are basis functions.
pub const DST4: [[i32; 4]; 4] = [[29, 55, 74, 84], [74, 74, 0, -74], [84, -29, -74, 55], [55, -84, 74, -29]];

/// Unique magnitudes of the 32-point DCT: C[j] ~ 64*sqrt(2)*cos(pi*j/64), C[0]=64.
const C: [i32; 33] = [
    64, 90, 90, 90, 89, 88, 87, 85, 83, 82, 80, 78, 75, 73, 70, 67, 64, 61, 57, 54, 50, 46, 43, 38, 36, 31, 25, 22,
    18, 13, 9, 4, 0,
];

/// The 32x32 DCT matrix of the standard, rows are basis functions.
pub fn dct32() -> &'static [[i32; 32]; 32] {
    use std::sync::OnceLock;
    static M: OnceLock<[[i32; 32]; 32]> = OnceLock::new();
    M.get_or_init(|| {
        let mut m = [[0i32; 32]; 32];
        for (k, row) in m.iter_mut().enumerate() {
            for (n, v) in row.iter_mut().enumerate() {
                let a = ((2 * n + 1) * k) % 128;
                *v = match a {
                    0..=32 => C[a],
                    33..=64 => -C[64 - a],
                    65..=96 => -C[a - 64],
                    _ => C[128 - a],
                };
            }
        }
        m
    })
}

/// Coefficient of basis `k`, sample `n`, for an `size`-point transform.
#[inline]
pub fn coef(size: usize, dst: bool, k: usize, n: usize) -> i32 {
    if dst {
        DST4[k][n]
    } else {
        dct32()[k * (32 / size)][n]
    }
}

#[inline(always)]
fn forward_n<const N: usize>(res: &[i32], m: &[i32], mt: &[i32], shift1: u32, shift2: u32, out: &mut [i32]) {
    // horizontal: T1[y][u] = (sum_x R[y][x] M[u][x] + add1) >> shift1
    let mut t1 = [[0i32; N]; N];
    let t1 = t1.as_flattened_mut();
    stage::<N>(|y, x| res[y * N + x], mt, N, 1 << (shift1 - 1), shift1, false, t1);
    // vertical: C[v][u] = (sum_y M[v][y] T1[y][u] + add2) >> shift2
    stage::<N>(|v, y| m[v * N + y], t1, N, 1 << (shift2 - 1), shift2, false, out);
}

/// Forward 2-D transform of a residual block (row-major `size`x`size`, values within
/// +-255 for 8-bit video). Output coefficients row-major: `out[v*size+u]`, v vertical
/// frequency, u horizontal frequency. Horizontal stage first, shift log2N + BitDepth
/// - 9, then vertical, shift log2N + 6 (HM's definition), as exact matrix products.
pub fn forward(res: &[i32], size: usize, dst: bool, out: &mut [i32]) {
    let log2 = size.trailing_zeros();
    let (m, mt) = basis_tables(size, dst);
    let (s1, s2) = (log2 - 1, log2 + 6);
    let out = &mut out[..size * size];
    dispatch::forward(size, res, m, mt, s1, s2, out);
}

/// Row-major `size`x`size` matrix of the transform (rows are basis functions).
fn basis(size: usize, dst: bool) -> &'static [i32] {
    basis_tables(size, dst).0
}

/// (M, M^T) row-major for a transform size.
fn basis_tables(size: usize, dst: bool) -> (&'static [i32], &'static [i32]) {
    use std::sync::OnceLock;
    static M: OnceLock<[(Vec<i32>, Vec<i32>); 5]> = OnceLock::new();
    let m = M.get_or_init(|| {
        let mk = |n: usize, d: bool| {
            let mut v = vec![0i32; n * n];
            let mut t = vec![0i32; n * n];
            for k in 0..n {
                for i in 0..n {
                    v[k * n + i] = coef(n, d, k, i);
                    t[i * n + k] = coef(n, d, k, i);
                }
            }
            (v, t)
        };
        [mk(4, true), mk(4, false), mk(8, false), mk(16, false), mk(32, false)]
    });
    let e = match (size, dst) {
        (4, true) => &m[0],
        (4, false) => &m[1],
        (8, _) => &m[2],
        (16, _) => &m[3],
        _ => &m[4],
    };
    (&e.0, &e.1)
}

/// One stage of the inverse as a matrix product over fixed-size rows (vectorizes):
/// dst[y][:] = (sum_{k < kmax} a(y, k) * b[k][:] + add) >> shift, clipped if `clip`.
#[inline(always)]
fn stage<const N: usize>(a: impl Fn(usize, usize) -> i32, b: &[i32], kmax: usize, add: i32, shift: u32, clip: bool, dst: &mut [i32]) {
    for y in 0..N {
        let mut acc = [add; N];
        for k in 0..kmax {
            let s = a(y, k);
            if s == 0 {
                continue;
            }
            let row: &[i32; N] = b[k * N..k * N + N].try_into().unwrap();
            for x in 0..N {
                acc[x] += s * row[x];
            }
        }
        let d: &mut [i32; N] = (&mut dst[y * N..y * N + N]).try_into().unwrap();
        for x in 0..N {
            let v = acc[x] >> shift;
            d[x] = if clip { v.clamp(-32768, 32767) } else { v };
        }
    }
}

#[inline(always)]
fn inverse_n<const N: usize>(coeffs: &[i32], m: &[i32], rows: usize, cols: usize, out: &mut [i32]) {
    // first stage (vertical): G[y][u] = clip((sum_v M[v][y] C[v][u] + 64) >> 7)
    let mut g = [[0i32; N]; N];
    let g = g.as_flattened_mut();
    stage::<N>(|y, v| m[v * N + y], coeffs, rows, 64, 7, true, g);
    // second stage (horizontal): R[y][x] = (sum_u G[y][u] M[u][x] + 2048) >> 12
    stage::<N>(|y, u| g[y * N + u], m, cols, 2048, 12, false, out);
}

/// Inverse 2-D transform (8.6.4.2), bit-exact: `coeffs` row-major as from
/// [`forward`], output residual row-major. BitDepth 8.
///
/// Computed as two matrix products restricted to the non-zero extent of the
/// coefficients (exact integer arithmetic, so equal to the standard's butterflies),
/// with fixed-size inner loops over contiguous rows so that they vectorize.
pub fn inverse(coeffs: &[i32], size: usize, dst: bool, out: &mut [i32]) {
    let mut rows = 0;
    let mut cols = 0;
    for v in 0..size {
        let r = &coeffs[v * size..v * size + size];
        if let Some(last) = r.iter().rposition(|&c| c != 0) {
            rows = v + 1;
            cols = cols.max(last + 1);
        }
    }
    let out = &mut out[..size * size];
    if rows == 0 {
        out.iter_mut().for_each(|o| *o = 0);
        return;
    }
    dispatch::inverse(size, coeffs, basis(size, dst), rows, cols, out);
}

/// Runtime CPU-feature dispatch: the same generic code compiled once for the
/// baseline target and once with AVX2 (i32 multiplies vectorize there).
mod dispatch {
    use super::{forward_n, inverse_n};

    macro_rules! sized {
        ($f:ident, $size:expr, $($a:expr),*) => {
            match $size {
                4 => $f::<4>($($a),*),
                8 => $f::<8>($($a),*),
                16 => $f::<16>($($a),*),
                _ => $f::<32>($($a),*),
            }
        };
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn inverse_avx2(size: usize, c: &[i32], m: &[i32], rows: usize, cols: usize, out: &mut [i32]) {
        sized!(inverse_n, size, c, m, rows, cols, out)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn forward_avx2(size: usize, r: &[i32], m: &[i32], mt: &[i32], s1: u32, s2: u32, out: &mut [i32]) {
        sized!(forward_n, size, r, m, mt, s1, s2, out)
    }

    pub fn inverse(size: usize, c: &[i32], m: &[i32], rows: usize, cols: usize, out: &mut [i32]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 is present (checked above).
            return unsafe { inverse_avx2(size, c, m, rows, cols, out) };
        }
        sized!(inverse_n, size, c, m, rows, cols, out)
    }

    pub fn forward(size: usize, r: &[i32], m: &[i32], mt: &[i32], s1: u32, s2: u32, out: &mut [i32]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 is present (checked above).
            return unsafe { forward_avx2(size, r, m, mt, s1, s2, out) };
        }
        sized!(forward_n, size, r, m, mt, s1, s2, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dct_matrix_known_answers() {
        let m = dct32();
        assert_eq!(m[0], [64; 32]);
        assert_eq!(&m[1][..16], &[90, 90, 88, 85, 82, 78, 73, 67, 61, 54, 46, 38, 31, 22, 13, 4]);
        assert_eq!(&m[2][..8], &[90, 87, 80, 70, 57, 43, 25, 9]);
        assert_eq!(&m[4][..4], &[89, 75, 50, 18]);
        assert_eq!(&m[8][..4], &[83, 36, -36, -83]);
        assert_eq!(&m[16][..4], &[64, -64, -64, 64]);
        assert_eq!(&m[31][..4], &[4, -13, 22, -31]);
        // 8-point matrix row 3 (standard): 75 -18 -89 -50 50 89 18 -75
        let r: Vec<i32> = (0..8).map(|n| coef(8, false, 3, n)).collect();
        assert_eq!(r, vec![75, -18, -89, -50, 50, 89, 18, -75]);
    }

    /// The butterflies equal the plain integer matrix products of the standard's
    /// definition, for dense and sparse inputs (exercises the zero-extent shortcuts).
    #[test]
    fn butterflies_equal_matrix_products() {
        let mut seed = 99u64;
        let mut rnd = |m: i64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((seed >> 33) as i64 % (2 * m + 1) - m) as i32
        };
        for &size in &[4usize, 8, 16, 32] {
            for dst in [false, true] {
                if dst && size != 4 {
                    continue;
                }
                let log2 = size.trailing_zeros() as i32;
                for trial in 0..200 {
                    let res: Vec<i32> = (0..size * size).map(|_| rnd(255)).collect();
                    let mut c = vec![0; size * size];
                    forward(&res, size, dst, &mut c);
                    // naive forward
                    let (s1, s2) = (log2 - 1, log2 + 6);
                    let mut tmp = vec![0i64; size * size];
                    for y in 0..size {
                        for u in 0..size {
                            let s: i64 = (0..size).map(|x| coef(size, dst, u, x) as i64 * res[y * size + x] as i64).sum();
                            tmp[y * size + u] = (s + (1 << (s1 - 1))) >> s1;
                        }
                    }
                    for v in 0..size {
                        for u in 0..size {
                            let s: i64 = (0..size).map(|y| coef(size, dst, v, y) as i64 * tmp[y * size + u]).sum();
                            assert_eq!(c[v * size + u] as i64, (s + (1 << (s2 - 1))) >> s2, "fwd size {size}");
                        }
                    }
                    // sparse coefficient blocks of varying extent, full 16-bit range
                    let (er, ec) = (1 + trial % size, 1 + (trial / 3) % size);
                    let mut cf = vec![0i32; size * size];
                    for v in 0..er {
                        for u in 0..ec {
                            cf[v * size + u] = if trial % 5 == 0 { rnd(32767) } else { rnd(300) };
                        }
                    }
                    let mut r = vec![0; size * size];
                    inverse(&cf, size, dst, &mut r);
                    let mut g = vec![0i64; size * size];
                    for y in 0..size {
                        for u in 0..size {
                            let s: i64 = (0..size).map(|v| coef(size, dst, v, y) as i64 * cf[v * size + u] as i64).sum();
                            g[y * size + u] = ((s + 64) >> 7).clamp(-32768, 32767);
                        }
                    }
                    for y in 0..size {
                        for x in 0..size {
                            let s: i64 = (0..size).map(|u| coef(size, dst, u, x) as i64 * g[y * size + u]).sum();
                            assert_eq!(r[y * size + x] as i64, (s + 2048) >> 12, "inv size {size} dst {dst}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn dc_only_inverse() {
        // A DC coefficient of 64 at size 4: first stage (64*64+64)>>7 = 32, second
        // stage (32*64 + 2048)>>12 = 1.
        let mut c = vec![0; 16];
        c[0] = 64;
        let mut r = vec![0; 16];
        inverse(&c, 4, false, &mut r);
        assert!(r.iter().all(|&v| v == 1), "{r:?}");
    }

    /// Both directions against a floating-point evaluation of the same matrix
    /// products (with the stage scalings): they may differ only by the integer
    /// rounding of the stages. Round trip: near identity on average.
    #[test]
    fn forward_inverse_match_float_and_round_trip() {
        let mut seed = 12345u64;
        for &size in &[4usize, 8, 16, 32] {
            for dst in [false, true] {
                if dst && size != 4 {
                    continue;
                }
                let log2 = size.trailing_zeros() as i32;
                for _ in 0..50 {
                    let res: Vec<i32> = (0..size * size)
                        .map(|_| {
                            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                            ((seed >> 33) % 511) as i32 - 255
                        })
                        .collect();
                    let mut c = vec![0; size * size];
                    forward(&res, size, dst, &mut c);
                    // float forward: C = M R M^T / 2^(shift1 + shift2)
                    let scale = 2f64.powi((log2 - 1) + (log2 + 6));
                    for v in 0..size {
                        for u in 0..size {
                            let mut s = 0f64;
                            for y in 0..size {
                                for x in 0..size {
                                    s += (coef(size, dst, v, y) * coef(size, dst, u, x) * res[y * size + x]) as f64;
                                }
                            }
                            let f = s / scale;
                            assert!((f - c[v * size + u] as f64).abs() <= 1.0 + size as f64 / 64.0 * 2.0, "fwd {size}: {f} vs {}", c[v * size + u]);
                        }
                    }
                    let mut r = vec![0; size * size];
                    inverse(&c, size, dst, &mut r);
                    // float inverse: R = M^T C M / 2^(7 + 12)
                    let mut abs_sum = 0.0;
                    for y in 0..size {
                        for x in 0..size {
                            let mut s = 0f64;
                            for v in 0..size {
                                for u in 0..size {
                                    s += (coef(size, dst, v, y) * coef(size, dst, u, x) * c[v * size + u]) as f64;
                                }
                            }
                            let f = s / 2f64.powi(19);
                            assert!((f - r[y * size + x] as f64).abs() <= 1.5, "inv {size}: {f} vs {}", r[y * size + x]);
                            abs_sum += (r[y * size + x] - res[y * size + x]).abs() as f64;
                        }
                    }
                    assert!(abs_sum / ((size * size) as f64) < 1.5, "size {size}: round trip mean error {}", abs_sum / ((size * size) as f64));
                }
            }
        }
    }
}
