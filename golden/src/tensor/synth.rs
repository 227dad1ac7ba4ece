//! Deterministic synthetic tensors (for tests, benchmarks and `tcgen eval`).
//!
//! # Algorithm (so results can be reproduced elsewhere)
//!
//! * Random bits: SplitMix64 (Steele, Lea, Flood 2014): `state += 0x9E3779B97F4A7C15;
//!   z = state; z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9; z = (z ^ (z >> 27)) *
//!   0x94D049BB133111EB; return z ^ (z >> 31)` (wrapping arithmetic), the state starting
//!   at the seed.
//! * Uniform in the open interval (0, 1): `((next >> 11) + 0.5) * 2^-53` (f64).
//! * Standard normal: Box-Muller on two consecutive uniforms u1, u2:
//!   `r = sqrt(-2 ln u1)`, first `r cos(2 pi u2)`, then `r sin(2 pi u2)` (f64, rounded
//!   to f32 when stored).
//! * Values are generated row-major. Results are identical on any one platform; `ln`,
//!   `cos`, `sin` and `exp` come from the platform's libm, which may differ in the last
//!   f64 bit between platforms (after rounding to f32 this almost never shows).
//!
//! Generators (all return shape `[rows, cols]`, dtype F32):
//! * [`gaussian`]: N(0, 1).
//! * [`laplacian`]: Laplace with unit variance (scale b = 1/sqrt 2), one uniform u per
//!   value: `b ln(2u)` if u < 1/2, else `-b ln(2(1 - u))`.
//! * [`gaussian_outliers`]: [`gaussian`], then `ceil(n / 1000)` (0.1 %) distinct positions
//!   are set to +-20 (20 sigma). Positions and signs come from a second SplitMix64 stream
//!   seeded `seed ^ 0x4F55544C49455253`: per outlier, position = `next % n` (redrawn while
//!   it is already an outlier), then the sign is negative iff bit 63 of the next output is
//!   set.
//! * [`row_scaled`]: per-row scales `s_r = exp(z_r)` from the first `rows` normals of the
//!   stream, then value `(r, c) = s_r * z` from the following normals, row-major.

use super::{DType, Tensor};

/// The SplitMix64 generator (module docs).
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in the open interval (0, 1).
    pub fn next_f64(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
    }
}

/// Standard normal variates by Box-Muller (module docs).
#[derive(Clone, Debug)]
pub struct Normal {
    rng: SplitMix64,
    spare: Option<f64>,
}

impl Normal {
    pub fn new(seed: u64) -> Self {
        Self { rng: SplitMix64::new(seed), spare: None }
    }

    pub fn sample(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let u1 = self.rng.next_f64();
        let u2 = self.rng.next_f64();
        let r = (-2.0 * u1.ln()).sqrt();
        let t = 2.0 * std::f64::consts::PI * u2;
        self.spare = Some(r * t.sin());
        r * t.cos()
    }
}

/// Stream tweak of the outlier positions of [`gaussian_outliers`] ("OUTLIERS").
pub const OUTLIER_STREAM: u64 = 0x4F55_544C_4945_5253;

fn matrix(rows: usize, cols: usize, data: Vec<f32>) -> Tensor {
    Tensor { shape: vec![rows, cols], data, dtype: DType::F32 }
}

/// N(0, 1) values.
pub fn gaussian(rows: usize, cols: usize, seed: u64) -> Tensor {
    let mut g = Normal::new(seed);
    matrix(rows, cols, (0..rows * cols).map(|_| g.sample() as f32).collect())
}

/// Unit-variance Laplace values.
pub fn laplacian(rows: usize, cols: usize, seed: u64) -> Tensor {
    let mut rng = SplitMix64::new(seed);
    let b = std::f64::consts::FRAC_1_SQRT_2;
    let data = (0..rows * cols)
        .map(|_| {
            let u = rng.next_f64();
            let x = if u < 0.5 { b * (2.0 * u).ln() } else { -b * (2.0 * (1.0 - u)).ln() };
            x as f32
        })
        .collect();
    matrix(rows, cols, data)
}

/// [`gaussian`] with 0.1 % of the values replaced by +-20 (module docs).
pub fn gaussian_outliers(rows: usize, cols: usize, seed: u64) -> Tensor {
    let mut t = gaussian(rows, cols, seed);
    let n = t.data.len();
    if n == 0 {
        return t;
    }
    let k = n.div_ceil(1000);
    let mut rng = SplitMix64::new(seed ^ OUTLIER_STREAM);
    let mut is_outlier = vec![false; n];
    for _ in 0..k {
        let mut pos = (rng.next_u64() % n as u64) as usize;
        while is_outlier[pos] {
            pos = (rng.next_u64() % n as u64) as usize;
        }
        is_outlier[pos] = true;
        t.data[pos] = if rng.next_u64() >> 63 == 1 { -20.0 } else { 20.0 };
    }
    t
}

/// Rows with log-normal scales: `s_r * N(0, 1)` with `s_r = exp(N(0, 1))` (module docs).
pub fn row_scaled(rows: usize, cols: usize, seed: u64) -> Tensor {
    let mut g = Normal::new(seed);
    let scales: Vec<f64> = (0..rows).map(|_| g.sample().exp()).collect();
    let mut data = Vec::with_capacity(rows * cols);
    for s in &scales {
        for _ in 0..cols {
            data.push((s * g.sample()) as f32);
        }
    }
    matrix(rows, cols, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_reference_values() {
        // Reference outputs of splitmix64.c (Vigna) with the state starting at 0.
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(r.next_u64(), 0x06C4_5D18_8009_454F);
        let u = SplitMix64::new(7).next_f64();
        assert!(u > 0.0 && u < 1.0);
    }

    fn moments(v: &[f32]) -> (f64, f64) {
        let n = v.len() as f64;
        let m = v.iter().map(|&x| x as f64).sum::<f64>() / n;
        let var = v.iter().map(|&x| (x as f64 - m).powi(2)).sum::<f64>() / n;
        (m, var)
    }

    #[test]
    fn deterministic_and_distributed() {
        let a = gaussian(64, 128, 1);
        assert_eq!(a, gaussian(64, 128, 1));
        assert_ne!(a.data, gaussian(64, 128, 2).data);
        assert_eq!(a.shape, vec![64, 128]);
        let (m, v) = moments(&a.data);
        assert!(m.abs() < 0.05 && (v - 1.0).abs() < 0.05, "{m} {v}");
        let l = laplacian(64, 128, 1);
        let (m, v) = moments(&l.data);
        assert!(m.abs() < 0.05 && (v - 1.0).abs() < 0.1, "{m} {v}");
        // Laplace: E|x| = b = 0.7071 (vs 0.798 for a unit Gaussian).
        let mabs = l.data.iter().map(|x| x.abs() as f64).sum::<f64>() / l.data.len() as f64;
        assert!((mabs - std::f64::consts::FRAC_1_SQRT_2).abs() < 0.03, "{mabs}");
        assert!(l.data.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn outliers_count_and_magnitude() {
        let t = gaussian_outliers(100, 250, 3);
        let n = t.data.iter().filter(|x| x.abs() == 20.0).count();
        assert_eq!(n, 25);
        assert!(t.data.contains(&20.0) && t.data.contains(&-20.0));
        let t = gaussian_outliers(1, 3, 3);
        assert_eq!(t.data.iter().filter(|x| x.abs() == 20.0).count(), 1);
        assert_eq!(gaussian_outliers(0, 5, 1).data.len(), 0);
    }

    #[test]
    fn row_scales_vary() {
        let t = row_scaled(50, 400, 9);
        let amax: Vec<f32> = t.data.chunks(400).map(|r| r.iter().fold(0f32, |a, &x| a.max(x.abs()))).collect();
        let lo = amax.iter().cloned().fold(f32::MAX, f32::min);
        let hi = amax.iter().cloned().fold(0f32, f32::max);
        assert!(hi / lo > 5.0, "{lo} {hi}");
        assert_eq!(t, row_scaled(50, 400, 9));
    }
}
