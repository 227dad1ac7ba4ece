//! Randomized Hadamard rotation (QuaRot style) on both sides of a matrix.
//!
//! `W' = Rr * W * Rc^T` with, for a side of length n,
//! `R = (1 / sqrt b) * blockdiag(H_b, .., H_b) * diag(s)`:
//!
//! * `H_b` is the Sylvester Hadamard matrix (`H_1 = [1]`, `H_2k = [[H_k, H_k],
//!   [H_k, -H_k]]`) of size `b` = the largest power of two that divides n, at most
//!   [`MAX_BLOCK`] (4096). n = 11008 gives b = 256; an odd n gives b = 1 (sign flips only).
//! * `s` is a vector of +-1 signs from SplitMix64 (see [`crate::tensor::synth`]) with the
//!   state starting at `seed ^ ROW_STREAM` (rows side, length `rows`) or
//!   `seed ^ COL_STREAM` (columns side, length `cols`); sign i is -1 iff bit 63 of the
//!   i-th output is set.
//!
//! R is orthogonal, so the rotation preserves the Frobenius norm and [`unrotate`]
//! (`W = Rr^T W' Rc`) is its exact inverse up to rounding. The transform is a fast
//! Walsh-Hadamard transform (O(n log b) per vector) in f64; each side's result is rounded
//! to f32 (IEEE arithmetic only, so the result is bit-exact on every platform). The
//! columns side is applied first, then the rows side.

use super::synth::SplitMix64;

/// Largest Hadamard block.
pub const MAX_BLOCK: usize = 4096;
/// Stream tweak of the rows-side signs ("ROWSIDE_").
pub const ROW_STREAM: u64 = 0x524F_5753_4944_455F;
/// Stream tweak of the columns-side signs ("COLSIDE_").
pub const COL_STREAM: u64 = 0x434F_4C53_4944_455F;

/// Hadamard block size for a side of length `n` (module docs).
pub fn block_size(n: usize) -> usize {
    if n == 0 {
        return 1;
    }
    (1usize << n.trailing_zeros()).min(MAX_BLOCK)
}

/// The +-1 signs of a side of length `n` for `stream` ([`ROW_STREAM`] or [`COL_STREAM`]).
pub fn signs(n: usize, seed: u64, stream: u64) -> Vec<f64> {
    let mut rng = SplitMix64::new(seed ^ stream);
    (0..n).map(|_| if rng.next_u64() >> 63 == 1 { -1.0 } else { 1.0 }).collect()
}

/// In-place unnormalized Walsh-Hadamard transform (Sylvester order) of each block of `b`.
fn fwht_blocks(x: &mut [f64], b: usize) {
    for blk in x.chunks_exact_mut(b) {
        let mut h = 1;
        while h < b {
            for i in (0..b).step_by(2 * h) {
                for j in i..i + h {
                    let (a, c) = (blk[j], blk[j + h]);
                    blk[j] = a + c;
                    blk[j + h] = a - c;
                }
            }
            h *= 2;
        }
    }
}

/// Columns processed together on the rows side (cache-friendly butterflies on row slices).
const STRIP: usize = 64;

/// Apply `R` (forward) or `R^T` (inverse) of each side with the given signs.
fn apply(data: &[f32], rows: usize, cols: usize, sr: &[f64], sc: &[f64], inverse: bool) -> Vec<f32> {
    assert_eq!(data.len(), rows * cols, "rotate: data length vs {rows}x{cols}");
    let mut out = vec![0f32; data.len()];
    if data.is_empty() {
        return out;
    }
    // Columns side: every row vector x becomes R x (forward) or R^T x (inverse).
    let bc = block_size(cols);
    let nc = 1.0 / (bc as f64).sqrt();
    let mut buf = vec![0f64; cols];
    for (row, orow) in data.chunks_exact(cols).zip(out.chunks_exact_mut(cols)) {
        for ((b, &x), &s) in buf.iter_mut().zip(row).zip(sc) {
            *b = if inverse { x as f64 } else { x as f64 * s };
        }
        fwht_blocks(&mut buf, bc);
        for ((o, &b), &s) in orow.iter_mut().zip(&buf).zip(sc) {
            *o = if inverse { (b * nc * s) as f32 } else { (b * nc) as f32 };
        }
    }
    // Rows side: every column vector likewise, STRIP columns at a time.
    let br = block_size(rows);
    let nr = 1.0 / (br as f64).sqrt();
    let mut strip = vec![0f64; rows * STRIP.min(cols)];
    for c0 in (0..cols).step_by(STRIP) {
        let w = STRIP.min(cols - c0);
        for r in 0..rows {
            let s = if inverse { 1.0 } else { sr[r] };
            for j in 0..w {
                strip[r * w + j] = out[r * cols + c0 + j] as f64 * s;
            }
        }
        for blk in (0..rows).step_by(br) {
            let mut h = 1;
            while h < br {
                for i in (blk..blk + br).step_by(2 * h) {
                    for j in i..i + h {
                        let (top, bottom) = strip.split_at_mut((j + h) * w);
                        let a = &mut top[j * w..(j + 1) * w];
                        let c = &mut bottom[..w];
                        for k in 0..w {
                            let (x, y) = (a[k], c[k]);
                            a[k] = x + y;
                            c[k] = x - y;
                        }
                    }
                }
                h *= 2;
            }
        }
        for r in 0..rows {
            let s = if inverse { sr[r] * nr } else { nr };
            for j in 0..w {
                out[r * cols + c0 + j] = (strip[r * w + j] * s) as f32;
            }
        }
    }
    out
}

/// `Rr * W * Rc^T` of the row-major `[rows, cols]` matrix `data` (module docs).
pub fn rotate(data: &[f32], rows: usize, cols: usize, seed: u64) -> Vec<f32> {
    apply(data, rows, cols, &signs(rows, seed, ROW_STREAM), &signs(cols, seed, COL_STREAM), false)
}

/// `Rr^T * W' * Rc`: the inverse of [`rotate`] with the same seed.
pub fn unrotate(data: &[f32], rows: usize, cols: usize, seed: u64) -> Vec<f32> {
    apply(data, rows, cols, &signs(rows, seed, ROW_STREAM), &signs(cols, seed, COL_STREAM), true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::synth;

    #[test]
    fn block_rule() {
        assert_eq!(block_size(1), 1);
        assert_eq!(block_size(7), 1);
        assert_eq!(block_size(12), 4);
        assert_eq!(block_size(4096), 4096);
        assert_eq!(block_size(8192), 4096);
        assert_eq!(block_size(3 * 4096), 4096);
        assert_eq!(block_size(11008), 256);
    }

    #[test]
    fn known_answer_4x4() {
        // Row signs all +1, column signs (+, -, +, -); W = e_{0,1}.
        // Rr e0 = 1/2 (1, 1, 1, 1); Rc e1 = 1/2 H4 (-e1) = -1/2 (1, -1, 1, -1), so
        // W' = (Rr e0)(Rc e1)^T has every row equal to -1/4 (1, -1, 1, -1).
        let mut w = vec![0f32; 16];
        w[1] = 1.0;
        let sr = [1.0; 4];
        let sc = [1.0, -1.0, 1.0, -1.0];
        let r = apply(&w, 4, 4, &sr, &sc, false);
        let want: Vec<f32> = (0..16).map(|i| if i % 2 == 0 { -0.25 } else { 0.25 }).collect();
        assert_eq!(r, want);
        assert_eq!(apply(&r, 4, 4, &sr, &sc, true), w);
        // The identity: Rr I Rc^T with Rr = Rc is I.
        let eye: Vec<f32> = (0..16).map(|i| if i % 5 == 0 { 1.0 } else { 0.0 }).collect();
        assert_eq!(apply(&eye, 4, 4, &sc, &sc, false), eye);
    }

    /// Dense R for a side (reference implementation of the module-doc formula).
    fn dense(n: usize, s: &[f64]) -> Vec<f64> {
        let b = block_size(n);
        let mut r = vec![0f64; n * n];
        for i in 0..n {
            for j in 0..n {
                if i / b == j / b {
                    let h = if ((i % b) & (j % b)).count_ones() & 1 == 0 { 1.0 } else { -1.0 };
                    r[i * n + j] = h * s[j] / (b as f64).sqrt();
                }
            }
        }
        r
    }

    #[test]
    fn matches_dense_reference() {
        let (rows, cols, seed) = (12, 8, 42);
        let w = synth::gaussian(rows, cols, 1).data;
        let rr = dense(rows, &signs(rows, seed, ROW_STREAM));
        let rc = dense(cols, &signs(cols, seed, COL_STREAM));
        let got = rotate(&w, rows, cols, seed);
        for i in 0..rows {
            for j in 0..cols {
                // (Rr W Rc^T)_ij = sum_k sum_l Rr_ik W_kl Rc_jl
                let mut acc = 0f64;
                for k in 0..rows {
                    for l in 0..cols {
                        acc += rr[i * rows + k] * w[k * cols + l] as f64 * rc[j * cols + l];
                    }
                }
                assert!((acc - got[i * cols + j] as f64).abs() < 1e-5, "{i},{j}: {acc} vs {}", got[i * cols + j]);
            }
        }
        // Signs actually differ between the sides and seeds.
        assert_ne!(signs(64, 1, ROW_STREAM), signs(64, 1, COL_STREAM));
        assert_ne!(signs(64, 1, ROW_STREAM), signs(64, 2, ROW_STREAM));
    }

    #[test]
    fn inverse_and_norm() {
        for &(rows, cols) in &[(1, 1), (1, 7), (7, 1), (13, 12), (48, 40), (64, 256), (200, 96), (33, 130)] {
            for seed in [0u64, 1, 0xDEAD_BEEF] {
                let w = synth::gaussian_outliers(rows, cols, seed + 3).data;
                let r = rotate(&w, rows, cols, seed);
                let back = unrotate(&r, rows, cols, seed);
                let norm = |v: &[f32]| v.iter().map(|&x| (x as f64).powi(2)).sum::<f64>().sqrt();
                let (n0, n1) = (norm(&w), norm(&r));
                assert!((n0 - n1).abs() <= 1e-5 * n0, "{rows}x{cols}: norm {n0} -> {n1}");
                let amax = w.iter().fold(0f32, |a, &x| a.max(x.abs()));
                for (a, b) in w.iter().zip(&back) {
                    assert!((a - b).abs() <= 1e-5 * amax, "{rows}x{cols} seed {seed}: {a} vs {b}");
                }
            }
        }
    }

    #[test]
    fn spreads_outliers() {
        // A single spike spreads over a whole b x b block: max |x| drops by b.
        let mut w = vec![0f32; 64 * 64];
        w[5 * 64 + 9] = 64.0;
        let r = rotate(&w, 64, 64, 7);
        assert!(r.iter().all(|&x| (x.abs() - 1.0).abs() < 1e-6));
    }
}
