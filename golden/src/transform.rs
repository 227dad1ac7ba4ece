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

fn matrix(size: usize, dst: bool) -> Vec<i32> {
    let mut m = vec![0i32; size * size];
    for k in 0..size {
        for n in 0..size {
            m[k * size + n] = coef(size, dst, k, n);
        }
    }
    m
}

fn matrices() -> &'static [Vec<i32>; 5] {
    use std::sync::OnceLock;
    static M: OnceLock<[Vec<i32>; 5]> = OnceLock::new();
    M.get_or_init(|| [matrix(4, true), matrix(4, false), matrix(8, false), matrix(16, false), matrix(32, false)])
}

#[inline]
fn mat(size: usize, dst: bool) -> &'static [i32] {
    let m = matrices();
    match (size, dst) {
        (4, true) => &m[0],
        (4, false) => &m[1],
        (8, _) => &m[2],
        (16, _) => &m[3],
        (32, _) => &m[4],
        _ => panic!("bad transform size {size}"),
    }
}

/// Forward 2-D transform of a residual block (row-major `size`x`size`, values within
/// +-255 for 8-bit video). Output coefficients row-major: `out[v*size+u]`, v vertical
/// frequency, u horizontal frequency.
pub fn forward(res: &[i32], size: usize, dst: bool, out: &mut [i32]) {
    let log2 = size.trailing_zeros() as i32;
    let m = mat(size, dst);
    let shift1 = log2 - 1; // log2N + BitDepth - 9 with BitDepth 8
    let shift2 = log2 + 6;
    let add1 = 1 << (shift1 - 1);
    let add2 = 1 << (shift2 - 1);
    // horizontal: tmp[y][u] = sum_x M[u][x] res[y][x]
    let mut tmp = [0i32; 32 * 32];
    for y in 0..size {
        let r = &res[y * size..y * size + size];
        for u in 0..size {
            let mr = &m[u * size..u * size + size];
            let s: i32 = r.iter().zip(mr).map(|(a, b)| a * b).sum();
            tmp[y * size + u] = (s + add1) >> shift1;
        }
    }
    // vertical: out[v][u] = sum_y M[v][y] tmp[y][u]
    for v in 0..size {
        let mr = &m[v * size..v * size + size];
        for u in 0..size {
            let mut s = 0i32;
            for y in 0..size {
                s += mr[y] * tmp[y * size + u];
            }
            out[v * size + u] = (s + add2) >> shift2;
        }
    }
}

/// Inverse 2-D transform (8.6.4.2), bit-exact: `coeffs` row-major as from
/// [`forward`], output residual row-major. BitDepth 8.
pub fn inverse(coeffs: &[i32], size: usize, dst: bool, out: &mut [i32]) {
    let m = mat(size, dst);
    // first stage: vertical, per column u: e[y][u] = sum_v M[v][y] c[v][u]
    let mut tmp = [0i32; 32 * 32];
    // find last non-zero row to skip work
    let mut rows = 0;
    for v in 0..size {
        if coeffs[v * size..v * size + size].iter().any(|&c| c != 0) {
            rows = v + 1;
        }
    }
    if rows == 0 {
        out[..size * size].iter_mut().for_each(|o| *o = 0);
        return;
    }
    for u in 0..size {
        for y in 0..size {
            let mut s: i64 = 0;
            for v in 0..rows {
                s += m[v * size + y] as i64 * coeffs[v * size + u] as i64;
            }
            tmp[y * size + u] = ((s + 64) >> 7).clamp(-32768, 32767) as i32;
        }
    }
    // second stage: horizontal, per row y: r[y][x] = sum_u M[u][x] g[y][u]
    for y in 0..size {
        let g = &tmp[y * size..y * size + size];
        for x in 0..size {
            let mut s: i64 = 0;
            for u in 0..size {
                s += m[u * size + x] as i64 * g[u] as i64;
            }
            out[y * size + x] = ((s + 2048) >> 12) as i32;
        }
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
