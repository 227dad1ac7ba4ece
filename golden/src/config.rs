//! The one parameter struct of tcgen.
//!
//! [`Params`] is read from TOML (serde) and feeds the golden codec, the RTL generator,
//! the cycle model and the area model alike, so that a configuration means the same
//! thing everywhere. Every field has a default; `Params::default()` is the embedded
//! default configuration that `tcgen` uses when no `--config` is given.

use serde::{Deserialize, Serialize};

/// Chroma format of the emitted HEVC stream.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ChromaFormat {
    /// Main profile 4:2:0 8-bit, chroma planes flat at 128 (decodable by NVDEC).
    Yuv420,
    /// 4:0:0 monochrome (smaller streams; CPU decoders only, NVDEC rejects it).
    Yuv400,
}

/// Which encoder decision strategy to use.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StrategyKind {
    /// Rate-distortion optimized (MSE + lambda * bits) decisions: best bits.
    Rd,
    /// Fixed-function decisions that the RTL encoder core implements bit for bit.
    Hw,
}

/// Bitstream (syntax) parameters: what the parameter sets declare.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BitstreamParams {
    pub chroma: ChromaFormat,
    /// CTU size in luma samples: 16, 32 or 64.
    pub ctu_size: u32,
    /// Smallest CU size: 8 (the only value tcgen uses; NxN intra below it gives 4x4 TUs).
    pub min_cu_size: u32,
    /// Largest TU size: 4, 8, 16 or 32 (at most the CTU size).
    pub max_tu_size: u32,
    /// max_transform_hierarchy_depth_intra of the SPS.
    pub max_tu_depth_intra: u32,
    /// Sign data hiding (PPS sign_data_hiding_enabled_flag).
    pub sign_data_hiding: bool,
    /// Transform skip for 4x4 luma TUs (PPS transform_skip_enabled_flag): the RD
    /// strategy codes a 4x4 TU's residual in the sample domain where that costs less.
    pub transform_skip: bool,
    /// Strong intra smoothing for 32x32 luma (SPS flag).
    pub strong_intra_smoothing: bool,
    /// Wavefront parallel processing (entropy_coding_sync_enabled_flag).
    pub wpp: bool,
    /// CTUs per slice; 0 means one slice per frame.
    pub ctus_per_slice: u32,
    /// Slices of this many whole CTU rows, whatever the frame's width (0: off, then
    /// `ctus_per_slice` applies; setting both is an error). Several decoder cores
    /// (`rtl.decoder_cores`) need whole-row slices; with one row per slice their
    /// `recon` needs no line buffer (intra prediction never crosses a slice).
    pub slice_rows: u32,
}

impl Default for BitstreamParams {
    fn default() -> Self {
        Self {
            chroma: ChromaFormat::Yuv420,
            ctu_size: 32,
            min_cu_size: 8,
            max_tu_size: 32,
            max_tu_depth_intra: 2,
            sign_data_hiding: true,
            transform_skip: false,
            strong_intra_smoothing: true,
            wpp: false,
            ctus_per_slice: 0,
            slice_rows: 0,
        }
    }
}

/// How a tensor becomes luma frames.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TilingParams {
    /// Smallest frame side (NVDEC: 144).
    pub min_frame_side: u32,
    /// Largest frame width (NVDEC: 8192).
    pub max_frame_width: u32,
    /// Largest frame height (NVDEC: 8192).
    pub max_frame_height: u32,
}

impl Default for TilingParams {
    fn default() -> Self {
        Self { min_frame_side: 144, max_frame_width: 8192, max_frame_height: 8192 }
    }
}

/// Tensor quantization front end (float -> int8).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct QuantParams {
    /// Symmetric (zero point 0) per-output-channel RTN; false = asymmetric (min/max).
    pub symmetric: bool,
    /// Randomized Hadamard rotation seed (None = no rotation).
    pub rotate_seed: Option<u64>,
}

impl Default for QuantParams {
    fn default() -> Self {
        Self { symmetric: true, rotate_seed: None }
    }
}

/// Parameters of the rate-distortion optimized strategy.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RdParams {
    /// Multiplier on the HM-style lambda 0.57 * 2^((QP-12)/3).
    pub lambda_scale: f64,
    /// Rate-distortion optimized quantization.
    pub rdoq: bool,
    /// Number of intra modes (after a SATD pre-selection) evaluated with full RD cost.
    pub rd_mode_candidates: usize,
    /// Largest CU size tried (<= CTU size).
    pub max_cu_size: u32,
}

impl Default for RdParams {
    fn default() -> Self {
        Self { lambda_scale: 1.0, rdoq: true, rd_mode_candidates: 4, max_cu_size: 32 }
    }
}

/// Parameters of the hardware strategy (the RTL encoder implements exactly this).
///
/// Decision rule: every CTU is split into CUs of `cu_size` (CUs across the picture edge
/// split further as the syntax requires); each CU is one TU of the same size (or the
/// largest TU, if smaller); the intra mode is the one of `modes` with the smallest
/// Hadamard SATD of the prediction error (ties: first in `modes`); quantization is
/// deadzone rounding with offset `rounding_offset`/512 of a step.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HwParams {
    /// CU (and TU) size: 8, 16 or 32.
    pub cu_size: u32,
    /// Intra modes searched, 0 (planar), 1 (DC), 2..34 (angular).
    pub modes: Vec<u8>,
    /// Quantizer rounding offset in 1/512 of a step (171 = 1/3, HM's intra default).
    pub rounding_offset: u32,
}

impl Default for HwParams {
    fn default() -> Self {
        Self { cu_size: 16, modes: vec![0, 1, 10, 26], rounding_offset: 171 }
    }
}

/// Encoder decisions.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EncoderParams {
    pub strategy: StrategyKind,
    /// Slice QP (0..=51).
    pub qp: u8,
    pub rd: RdParams,
    pub hw: HwParams,
    /// Code frames at QP 0 losslessly (cu_transquant_bypass): the int8 tensor comes
    /// back exactly, at fewer bits than lossy QP 0. False: QP 0 is lossy like any QP.
    pub lossless_qp0: bool,
}

impl Default for EncoderParams {
    fn default() -> Self {
        Self { strategy: StrategyKind::Rd, qp: 22, rd: RdParams::default(), hw: HwParams::default(), lossless_qp0: true }
    }
}

/// Bypass bins the decoder's residual parser (`hw::res_dec`) decodes per cycle: sign
/// bins, and the prefix and suffix bins of one coeff_abs_level_remaining codeword, by a
/// chain of this many bypass steps (a restoring division of the offset by the range).
/// A design constant shared by the RTL generator and the cycle models.
pub const RES_DEC_BYPASS_BINS: u32 = 4;

/// Bypass bins the encoder's binarizer (`hw::res_enc`) hands its arithmetic engine
/// (`hw::cabac_enc`) in one request, folded into low in one step as HM's
/// `encodeBinsEP` does (at most 8, so one byte at most leaves per request): sign bins,
/// the bins of one coeff_abs_level_remaining codeword, a last-position suffix, an op-2
/// bypass run. A design constant shared by the RTL generator and the cycle models.
pub const RES_ENC_BYPASS_BINS: u32 = 4;

/// Entries of the encoder's sign-hiding block's read-out FIFO (`hw::sdh`): with its TU
/// memory's one cycle of read latency, three let it send a beat per cycle (two gave 2
/// beats per 3 cycles). A design constant shared by the RTL generator and the cycle
/// models.
pub const SDH_OUT_FIFO: u32 = 3;

/// Hardware micro-architecture parameters (RTL generator, cycle and area models).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RtlParams {
    /// Residual samples processed per cycle in the transform/quant datapath.
    pub samples_per_cycle: u32,
    /// Parallel CABAC engines (each on its own WPP row or slice).
    pub cabac_engines: u32,
    /// Whole encoder cores working side by side, slice k of the stream on core k mod
    /// this (the RTL's `enc_multi`; each core has `cabac_engines` engines).
    pub encoder_cores: u32,
    /// Whole decoder cores working side by side, slice k of the stream on core k mod
    /// this (the RTL's `dec_multi`; slices must be whole CTU rows).
    pub decoder_cores: u32,
    /// `dec_multi`'s cores share one `inv_tq` and one `intra_pred` (a round-robin
    /// arbiter grants a block's run to one core at a time): each core keeps its parser
    /// and its reconstruction state, the backend that a core uses a third of the time
    /// is paid for once (`hw::dec_multi`).
    pub decoder_shared_backend: bool,
    /// Clock frequency assumed by the cycle and sizing models, in MHz.
    pub clock_mhz: f64,
}

impl Default for RtlParams {
    fn default() -> Self {
        Self { samples_per_cycle: 4, cabac_engines: 1, encoder_cores: 1, decoder_cores: 1, decoder_shared_backend: false, clock_mhz: 1000.0 }
    }
}

/// The one parameter struct (see module docs).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    pub bitstream: BitstreamParams,
    pub tiling: TilingParams,
    pub quant: QuantParams,
    pub encoder: EncoderParams,
    pub rtl: RtlParams,
}

/// A configuration that cannot be used, with the reason.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("config: {0}")]
    Invalid(String),
    #[error("config TOML: {0}")]
    Toml(String),
}

fn pow2_in(v: u32, lo: u32, hi: u32) -> bool {
    v.is_power_of_two() && v >= lo && v <= hi
}

impl Params {
    /// Parse a TOML configuration (missing fields take their defaults) and validate it.
    pub fn from_toml_str(s: &str) -> Result<Self, ConfigError> {
        let p: Params = toml::from_str(s).map_err(|e| ConfigError::Toml(e.to_string()))?;
        p.validate()?;
        Ok(p)
    }

    /// Serialize to TOML.
    pub fn to_toml_string(&self) -> String {
        toml::to_string(self).expect("Params serializes")
    }

    /// Check every constraint the codec and the RTL rely on.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        let b = &self.bitstream;
        if !pow2_in(b.ctu_size, 16, 64) {
            return bad(format!("bitstream.ctu_size {} must be 16, 32 or 64", b.ctu_size));
        }
        if b.min_cu_size != 8 {
            return bad(format!("bitstream.min_cu_size {} must be 8", b.min_cu_size));
        }
        if !pow2_in(b.max_tu_size, 4, 32) || b.max_tu_size > b.ctu_size {
            return bad(format!("bitstream.max_tu_size {} must be 4..32 and <= ctu_size", b.max_tu_size));
        }
        if b.max_tu_depth_intra > 4 {
            return bad(format!("bitstream.max_tu_depth_intra {} must be <= 4", b.max_tu_depth_intra));
        }
        if b.slice_rows > 0 && b.ctus_per_slice > 0 {
            return bad(format!("bitstream.slice_rows = {} and ctus_per_slice = {}: set one of them", b.slice_rows, b.ctus_per_slice));
        }
        if b.slice_rows > 512 {
            return bad(format!("bitstream.slice_rows {} must be <= 512 (8192 / 16)", b.slice_rows));
        }
        let t = &self.tiling;
        if t.min_frame_side % 8 != 0 || t.max_frame_width % 8 != 0 || t.max_frame_height % 8 != 0 {
            return bad("tiling sides must be multiples of 8".into());
        }
        if t.min_frame_side == 0 || t.min_frame_side > t.max_frame_width.min(t.max_frame_height) {
            return bad("tiling.min_frame_side must be >0 and <= the maximum sides".into());
        }
        if b.chroma == ChromaFormat::Yuv420 && t.min_frame_side < 144 {
            return bad(format!(
                "tiling.min_frame_side {}: 4:2:0 frames must be at least 144x144 (the NVDEC minimum); use bitstream.chroma = \"yuv400\" for smaller frames",
                t.min_frame_side
            ));
        }
        if t.max_frame_width > 8192 || t.max_frame_height > 8192 {
            return bad("tiling maximum frame sides are at most 8192".into());
        }
        let e = &self.encoder;
        if e.qp > 51 {
            return bad(format!("encoder.qp {} must be 0..=51", e.qp));
        }
        if !pow2_in(e.hw.cu_size, 8, 64) || e.hw.cu_size > b.ctu_size {
            return bad(format!("encoder.hw.cu_size {} must be 8..=ctu_size, a power of two", e.hw.cu_size));
        }
        if e.hw.cu_size > b.max_tu_size && b.max_tu_depth_intra == 0 {
            // A CU larger than the largest TU is split implicitly; that is always allowed.
        }
        if e.hw.modes.is_empty() || e.hw.modes.iter().any(|&m| m > 34) {
            return bad("encoder.hw.modes must be a non-empty list of modes 0..=34".into());
        }
        if e.hw.rounding_offset > 256 {
            return bad("encoder.hw.rounding_offset must be <= 256 (half a step)".into());
        }
        if !pow2_in(e.rd.max_cu_size, 8, 64) || e.rd.max_cu_size > b.ctu_size {
            return bad(format!("encoder.rd.max_cu_size {} must be 8..=ctu_size", e.rd.max_cu_size));
        }
        if e.rd.rd_mode_candidates == 0 || e.rd.rd_mode_candidates > 35 {
            return bad("encoder.rd.rd_mode_candidates must be 1..=35".into());
        }
        if !(e.rd.lambda_scale > 0.0 && e.rd.lambda_scale.is_finite()) {
            return bad("encoder.rd.lambda_scale must be positive".into());
        }
        let r = &self.rtl;
        if !pow2_in(r.samples_per_cycle, 1, 32) {
            return bad("rtl.samples_per_cycle must be a power of two 1..=32".into());
        }
        if r.cabac_engines == 0 || r.cabac_engines > 64 {
            return bad("rtl.cabac_engines must be 1..=64".into());
        }
        if r.encoder_cores == 0 || r.encoder_cores > 64 {
            return bad("rtl.encoder_cores must be 1..=64".into());
        }
        if r.decoder_cores == 0 || r.decoder_cores > 64 {
            return bad("rtl.decoder_cores must be 1..=64".into());
        }
        if r.decoder_shared_backend && r.decoder_cores < 2 {
            return bad("rtl.decoder_shared_backend: several decoder fronts share one backend; set rtl.decoder_cores to 2..=4".into());
        }
        if !(r.clock_mhz > 0.0 && r.clock_mhz.is_finite()) {
            return bad("rtl.clock_mhz must be positive".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_roundtrips_through_toml() {
        let p = Params::default();
        p.validate().unwrap();
        let s = p.to_toml_string();
        assert_eq!(Params::from_toml_str(&s).unwrap(), p);
    }

    #[test]
    fn partial_toml_takes_defaults_and_rejects_unknown() {
        let p = Params::from_toml_str("[encoder]\nqp = 30\n").unwrap();
        assert_eq!(p.encoder.qp, 30);
        assert_eq!(p.bitstream, BitstreamParams::default());
        assert!(Params::from_toml_str("[encoder]\nqpp = 30\n").is_err());
        assert!(Params::from_toml_str("[encoder]\nqp = 52\n").is_err());
        assert!(Params::from_toml_str("[bitstream]\nctu_size = 128\n").is_err());
    }

    #[test]
    fn slice_rows_are_whole_rows_and_exclude_ctus_per_slice() {
        let e = Params::from_toml_str("[bitstream]\nslice_rows = 1\nctus_per_slice = 12\n").unwrap_err();
        assert!(e.to_string().contains("set one of them"), "{e}");
        let p = Params::from_toml_str("[bitstream]\nslice_rows = 2\n").unwrap();
        assert_eq!(p.bitstream.slice_rows, 2);
        let e = Params::from_toml_str("[rtl]\ndecoder_shared_backend = true\n").unwrap_err();
        assert!(e.to_string().contains("decoder_cores"), "{e}");
        // slice_rows rows of the frame's width in CTUs: whole rows for any width
        for cw in [5usize, 12, 256] {
            let starts = crate::encoder::slice_starts(cw * 7, cw, 2 * cw as u32, false);
            assert_eq!(starts, (0..4).map(|i| 2 * i * cw).collect::<Vec<_>>());
        }
    }
}
