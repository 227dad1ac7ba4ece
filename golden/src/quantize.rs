//! Flat quantization (no scaling lists), QP 0..51, 8-bit:
//! forward deadzone quantizer (HM's), the standard's dequantizer (8.6.3, bit-exact),
//! and sign data hiding parity adjustment (HM's rule).

pub const QUANT_SCALE: [i64; 6] = [26214, 23302, 20560, 18396, 16384, 14564];
pub const LEVEL_SCALE: [i64; 6] = [40, 45, 51, 57, 64, 72];

/// qBits of the forward quantizer for a TU of `log2` size at `qp` (8-bit).
pub fn qbits(qp: u8, log2: u32) -> i32 {
    let transform_shift = 15 - 8 - log2 as i32;
    14 + qp as i32 / 6 + transform_shift
}

/// Forward deadzone quantization. `offset512` is the rounding offset in 1/512 of a
/// step. Writes levels and, for sign hiding, `delta_u` (the rounding remainder in
/// 1/256 step units, HM's deltaU). Returns the number of non-zero levels.
pub fn quantize(coeffs: &[i32], log2: u32, qp: u8, offset512: u32, levels: &mut [i32], delta_u: &mut [i32]) -> usize {
    let qb = qbits(qp, log2);
    // 32-bit arithmetic is exact here: |coefficient| < 2^15 for 8-bit video, scale <
    // 2^15, offset < 2^(qb-1) <= 2^26.
    let scale = QUANT_SCALE[(qp % 6) as usize] as i32;
    let add = (offset512 as i32) << (qb - 9);
    let mut nz = 0;
    for ((&c, l), du) in coeffs.iter().zip(levels.iter_mut()).zip(delta_u.iter_mut()) {
        let c = c.clamp(-32768, 32767);
        let tmp = c.abs() * scale;
        let level = ((tmp + add) >> qb).min(32767);
        *du = (tmp - (level << qb)) >> (qb - 8);
        *l = if c < 0 { -level } else { level };
        nz += (level != 0) as usize;
    }
    nz
}

/// Scaling (dequantization) process 8.6.3 with flat m = 16, clipped to 16 bits.
pub fn dequantize(levels: &[i32], log2: u32, qp: u8, out: &mut [i32]) {
    let bd_shift = 8 + log2 as i32 - 5;
    let scale = LEVEL_SCALE[(qp % 6) as usize] << (qp / 6);
    let add = 1i64 << (bd_shift - 1);
    for (o, &l) in out.iter_mut().zip(levels) {
        *o = if l == 0 { 0 } else { ((l as i64 * 16 * scale + add) >> bd_shift).clamp(-32768, 32767) as i32 };
    }
}

/// Sign data hiding (HM's signBitHidingHDQ): for each 4x4 coefficient group whose
/// first and last non-zero scan positions are at least 4 apart, make the parity of
/// the sum of absolute levels equal the sign of the first non-zero level (odd =
/// negative) by changing one level by +-1 where the rounding remainder `delta_u`
/// makes that cheapest. `scan` maps scan position -> raster position in the TU;
/// `coeffs` are the unquantized coefficients (for signs of levels that become
/// non-zero).
pub fn sign_hide(levels: &mut [i32], coeffs: &[i32], delta_u: &[i32], scan: &[u16]) {
    let n = scan.len();
    // levels in scan order (gathered once); changes are written back to `levels`
    let mut ls = [0i32; 1024];
    for (d, &r) in ls.iter_mut().zip(scan) {
        *d = levels[r as usize];
    }
    let Some(last) = ls[..n].iter().rposition(|&v| v != 0) else { return };
    let last_cg = last / 16;
    for cg in (0..=last_cg).rev() {
        let sub = cg * 16;
        let g = &ls[sub..sub + 16];
        let Some(first) = g.iter().position(|&v| v != 0) else { continue };
        let lastk = g.iter().rposition(|&v| v != 0).unwrap();
        if lastk - first < 4 {
            continue;
        }
        let abs_sum: i32 = g.iter().map(|v| v.abs()).sum();
        let sign_bit = (g[first] < 0) as i32;
        if sign_bit == (abs_sum & 1) {
            continue;
        }
        let start = if cg == last_cg { lastk } else { 15 };
        let mut min_cost = i32::MAX;
        let mut min_k = usize::MAX;
        let mut final_change = 0;
        for k in (0..=start).rev() {
            let pos = scan[sub + k] as usize;
            let du = delta_u[pos];
            let (cost, change) = if g[k] != 0 {
                if du > 0 {
                    (-du, 1)
                } else if k == first && g[k].abs() == 1 {
                    (i32::MAX, -1)
                } else {
                    (du, -1)
                }
            } else {
                let mut c = -du;
                if k < first && ((coeffs[pos] < 0) as i32) != sign_bit {
                    c = i32::MAX;
                }
                (c, 1)
            };
            if cost < min_cost {
                min_cost = cost;
                min_k = k;
                final_change = change;
            }
        }
        if min_k == usize::MAX {
            continue;
        }
        let pos = scan[sub + min_k] as usize;
        let l = &mut ls[sub + min_k];
        if l.abs() >= 32767 {
            final_change = -1;
        }
        if *l == 0 {
            *l = if coeffs[pos] < 0 { -1 } else { 1 };
        } else if *l > 0 {
            *l += final_change;
        } else {
            *l -= final_change;
        }
        levels[pos] = *l;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dequant_known_answer() {
        // QP 22, 8x8 (log2 3): bdShift = 6, levelScale[22 % 6 = 4] = 64, << 22/6 = 3
        // -> 512; level 3 -> (3*16*512 + 32) >> 6 = 384
        let mut o = [0];
        dequantize(&[3], 3, 22, &mut o);
        assert_eq!(o[0], 384);
        dequantize(&[-3], 3, 22, &mut o);
        assert_eq!(o[0], -384);
        // QP 29, 4x4: levelScale[5] = 72 << 4 = 1152, bdShift 5: (1*16*1152 + 16) >> 5 = 576
        dequantize(&[1], 2, 29, &mut o);
        assert_eq!(o[0], 576);
    }

    #[test]
    fn quant_then_dequant_close() {
        for qp in [0u8, 12, 22, 37, 51] {
            let coeffs: Vec<i32> = (-50..50).map(|v| v * 97).collect();
            let mut l = vec![0; 100];
            let mut d = vec![0; 100];
            quantize(&coeffs, 3, qp, 256, &mut l, &mut d);
            let mut r = vec![0; 100];
            dequantize(&l, 3, qp, &mut r);
            let mut one = [0];
            dequantize(&[1], 3, qp, &mut one);
            let step = one[0] as f64;
            for (c, r) in coeffs.iter().zip(&r) {
                assert!(((c - r) as f64).abs() <= step * 0.5 + 2.0, "qp {qp}: {c} -> {r} step {step}");
            }
        }
    }
}
