//! Rate-distortion optimized quantization (in progress: deadzone for now).
use crate::cabac::Contexts;

#[allow(clippy::too_many_arguments)]
pub fn rdoq(coef: &[i32], log2: u32, qp: u8, _scan_idx: u32, _lambda: f64, _ctx: &Contexts, lv: &mut [i32], du: &mut [i32]) {
    crate::quantize::quantize(coef, log2, qp, 171, lv, du);
}
