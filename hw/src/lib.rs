//! hw: the tensor-codec blocks in rust-hdl 0.46, generating Verilog.
//!
//! One block per file; each file's docs state ports, widths, latency and throughput.
//! rust-hdl's own simulator is not trusted for arithmetic (it wraps `Signed` sums at
//! the operand width where its Verilog evaluates at 32 bits, and casts differ):
//! Verilator is the truth, and arithmetic leaves are written as Verilog wrappers
//! (rust-hdl's escape hatch) where the kernel language cannot express them cleanly.
//!
//! Blocks (name = module name = file stem of `tcgen verilog`):
//! - [`dequant`]: the 8.6.3 scaling process, one coefficient per cycle;
//! - [`fwd_tq`]: forward 2-D transform + quantizer, P samples per cycle;
//! - [`inv_tq`]: dequantizer + inverse 2-D transform, P samples per cycle;
//! - [`cabac_dec`]: the CABAC arithmetic decoding engine, one bin per cycle;
//! - [`cabac_enc`]: the CABAC arithmetic encoding engine with byte output and flush;
//! - [`res_dec`]: the decoder core's residual_coding parser (engine, context memory,
//!   context selection), one bin per cycle;
//! - [`intra_pred`]: intra sample prediction (filtering, planar, DC, 33 angles), 4
//!   samples per cycle;
//! - [`syn_dec`] (not in [`BLOCKS`]: it contains `res_dec`): the decoder core's syntax
//!   decoder, slice data in, transform-block records and levels out;
//! - [`recon`] (not in [`BLOCKS`]: it needs `inv_tq` and `intra_pred` beside it): the
//!   decoder core's reconstruction path, CTU banks and line buffer;
//! - [`ENCODER`], the encoder core's blocks so far: [`res_enc`] (it contains
//!   `cabac_enc`), the residual_coding binarizer and context memory, levels in,
//!   substream bytes out; [`syn_enc`] (it contains `res_enc`), the slice-data writer,
//!   CU decisions and levels in, escaped slice data out; [`satd`], the Hadamard SATD
//!   of a prediction error (the hardware strategy's mode cost); [`sdh`], sign data
//!   hiding between `fwd_tq` and the level consumers; [`search`], the CU walk and
//!   mode decision; [`enc_core`], the encoder core (search + `recon`'s probe variant +
//!   `intra_pred` + `satd` + `fwd_tq` + `sdh` + `inv_tq` + `syn_enc`); [`enc_multi`],
//!   K encoder cores on the stream's slices (`rtl.encoder_cores`);
//! - [`dec_core`] (not in [`BLOCKS`]): the decoder core, syntax decoder +
//!   reconstruction + `inv_tq` + `intra_pred`, slice data in, luma out CTU by CTU;
//!   [`dec_multi`], K decoder cores on the stream's slices (`rtl.decoder_cores`).

pub mod cabac_dec;
pub mod cabac_enc;
pub mod common;
pub mod dec_core;
pub mod dec_multi;
pub mod dequant;
pub mod enc_core;
pub mod enc_multi;
pub mod fwd_tq;
pub mod inv_tq;
pub mod intra_pred;
pub mod recon;
pub mod res_dec;
pub mod res_enc;
pub mod satd;
pub mod sdh;
pub mod search;
pub mod syn_dec;
pub mod syn_enc;
pub mod verilog;
pub mod yosys;

pub use verilog::{generate, GeneratedModule};

/// Names of the blocks [`block`] can generate, in the order `tcgen verilog` writes them.
pub const BLOCKS: [&str; 7] = ["dequant", "fwd_tq", "inv_tq", "cabac_dec", "cabac_enc", "res_dec", "intra_pred"];

/// Composite modules (`tcgen verilog` writes them after [`BLOCKS`]; each holds blocks
/// of its own as modules of its file): the syntax decoder, the reconstruction path and
/// the decoder core.
pub const COMPOSITES: [&str; 3] = ["syn_dec", "recon", "dec_core"];

/// The encoder core's blocks built so far (issue 5; `tcgen verilog` writes them after
/// [`COMPOSITES`]): the residual binarizer (it holds `cabac_enc`), the slice-data
/// writer (it holds `res_enc`), the SATD unit, sign data hiding, the control (CU walk
/// and mode decision) and the encoder core that wires them. `search` and `enc_core`
/// need a config the core supports ([`enc_core::check`]); [`all_modules`] leaves them
/// out otherwise.
pub const ENCODER: [&str; 6] = ["res_enc", "syn_enc", "satd", "sdh", "search", "enc_core"];

/// Transform-unit parameters of a config: (samples per cycle, largest TU side).
pub fn tu_params(p: &golden::Params) -> Result<(usize, usize), String> {
    let lanes = p.rtl.samples_per_cycle as usize;
    let nm = p.bitstream.max_tu_size as usize;
    common::check_lanes(lanes, nm)?;
    Ok((lanes, nm))
}

macro_rules! by_params {
    ($lanes:expr, $nm:expr, |$n:ident, $p:ident| $body:expr) => {
        match ($lanes, $nm) {
            (1, 4) => { const $n: usize = 4; const $p: usize = 1; $body }
            (2, 4) => { const $n: usize = 4; const $p: usize = 2; $body }
            (4, 4) => { const $n: usize = 4; const $p: usize = 4; $body }
            (1, 8) => { const $n: usize = 8; const $p: usize = 1; $body }
            (2, 8) => { const $n: usize = 8; const $p: usize = 2; $body }
            (4, 8) => { const $n: usize = 8; const $p: usize = 4; $body }
            (1, 16) => { const $n: usize = 16; const $p: usize = 1; $body }
            (2, 16) => { const $n: usize = 16; const $p: usize = 2; $body }
            (4, 16) => { const $n: usize = 16; const $p: usize = 4; $body }
            (1, 32) => { const $n: usize = 32; const $p: usize = 1; $body }
            (2, 32) => { const $n: usize = 32; const $p: usize = 2; $body }
            (4, 32) => { const $n: usize = 32; const $p: usize = 4; $body }
            (l, n) => unreachable!("unchecked transform parameters {l} lanes, {n} max TU"),
        }
    };
}

/// Generate one block by name for a config.
pub fn block(name: &str, p: &golden::Params) -> Result<GeneratedModule, String> {
    match name {
        "dequant" => Ok(generate(&mut dequant::Dequant::default(), "dequant")),
        "cabac_dec" => Ok(generate(&mut cabac_dec::CabacDec::default(), "cabac_dec")),
        "cabac_enc" => Ok(generate(&mut cabac_enc::CabacEnc::default(), "cabac_enc")),
        "res_dec" => Ok(generate(&mut res_dec::ResDec::default(), "res_dec")),
        "intra_pred" => Ok(generate(&mut intra_pred::IntraPred::default(), "intra_pred")),
        "syn_dec" => {
            let c = p.bitstream.ctu_size;
            if !matches!(c, 16 | 32 | 64) {
                return Err(format!("bitstream.ctu_size = {c}: syn_dec is generated for 16, 32 or 64"));
            }
            Ok(match c {
                16 => generate(&mut syn_dec::SynDec::<4>::default(), "syn_dec"),
                32 => generate(&mut syn_dec::SynDec::<5>::default(), "syn_dec"),
                _ => generate(&mut syn_dec::SynDec::<6>::default(), "syn_dec"),
            })
        }
        "recon" => Ok(recon::generate(&recon::ReconParams::of(p)?, "recon")),
        "dec_core" => dec_core::generate(p),
        "dec_multi" => dec_multi::generate(p),
        "satd" => {
            let (_, nm) = tu_params(p)?;
            Ok(match nm {
                4 => generate(&mut satd::Satd::<4>::default(), "satd"),
                8 => generate(&mut satd::Satd::<8>::default(), "satd"),
                16 => generate(&mut satd::Satd::<16>::default(), "satd"),
                _ => generate(&mut satd::Satd::<32>::default(), "satd"),
            })
        }
        "syn_enc" => syn_enc::generate(p),
        "search" => search::generate(p),
        "enc_core" => enc_core::generate(p),
        "enc_multi" => enc_multi::generate(p),
        "fwd_tq" => {
            let (lanes, nm) = tu_params(p)?;
            Ok(by_params!(lanes, nm, |NM, P| generate(
                &mut fwd_tq::FwdTq::<NM, { 9 * P }, { 16 * P }, { 10 * P }, P>::default(),
                "fwd_tq"
            )))
        }
        "sdh" => {
            let (lanes, nm) = tu_params(p)?;
            Ok(by_params!(lanes, nm, |NM, P| generate(&mut sdh::Sdh::<NM, { 16 * P }, { 10 * P }, P>::default(), "sdh")))
        }
        "res_enc" => {
            let (lanes, nm) = tu_params(p)?;
            Ok(by_params!(lanes, nm, |NM, P| generate(&mut res_enc::ResEnc::<NM, { 16 * P }>::default(), "res_enc")))
        }
        "inv_tq" => {
            let (lanes, nm) = tu_params(p)?;
            Ok(by_params!(lanes, nm, |NM, P| generate(&mut inv_tq::InvTq::<NM, { 16 * P }>::default(), "inv_tq")))
        }
        other => Err(format!("unknown block `{other}`: the blocks are {}, {}, {}", BLOCKS.join(", "), COMPOSITES.join(", "), ENCODER.join(", "))),
    }
}

/// The memory macros (`tcgen_ram`, costed as SRAM) of a block or composite: (instance,
/// words, bits per word).
pub fn memories(name: &str, p: &golden::Params) -> Result<Vec<(String, u64, u32)>, String> {
    let wpp = || res_dec::MEMORIES.iter().map(|(n, w, b)| (n.to_string(), *w, *b));
    Ok(match name {
        "res_dec" => wpp().collect(),
        "syn_dec" => wpp().chain(syn_dec::memories(p.bitstream.ctu_size.trailing_zeros())).collect(),
        "res_enc" => res_enc::memories(tu_params(p)?.1),
        "syn_enc" => {
            let mut v = res_enc::memories(tu_params(p)?.1);
            // the same depth line buffer as syn_dec's
            v.extend(syn_dec::memories(p.bitstream.ctu_size.trailing_zeros()));
            v
        }
        "enc_core" => {
            let mut v = memories("recon", p)?;
            for i in 0..p.rtl.cabac_engines {
                v.extend(memories("syn_enc", p)?.into_iter().map(|(n, w, b)| (format!("engine {i}: {n}"), w, b)));
            }
            v.extend(memories("sdh", p)?);
            v.extend(memories("search", p)?);
            v
        }
        "dec_multi" => {
            let mut one: Vec<_> = recon::memories(&recon::ReconParams::multi(p)?).into_iter().map(|m| (m.name, m.words, m.bits)).collect();
            one.extend(memories("syn_dec", p)?);
            (0..p.rtl.decoder_cores).flat_map(|i| one.iter().map(move |(n, w, b)| (format!("core {i}: {n}"), *w, *b))).collect()
        }
        "enc_multi" => {
            let mut unit = p.clone();
            unit.rtl.cabac_engines = 1;
            let mut one = memories("enc_core", &unit)?;
            // one-row slices: the cores' recon has no line buffer
            one.retain(|(n, _, _)| p.bitstream.slice_rows != 1 || !n.starts_with("u_lb "));
            (0..p.rtl.encoder_cores).flat_map(|i| one.iter().map(move |(n, w, b)| (format!("core {i}: {n}"), *w, *b))).collect()
        }
        "search" => vec![("u_orig (original CU buffer)".into(), (tu_params(p)?.1.pow(2) / 4) as u64, 32)],
        "sdh" => {
            let (lanes, nm) = tu_params(p)?;
            vec![("u_buf (TU buffer: levels, remainders, signs)".into(), (nm * nm / lanes) as u64, 27 * lanes as u32)]
        }
        "recon" | "dec_core" => {
            let mut v: Vec<_> = recon::memories(&recon::ReconParams::of(p)?).into_iter().map(|m| (m.name, m.words, m.bits)).collect();
            if name == "dec_core" {
                v.extend(memories("syn_dec", p)?);
            }
            v
        }
        _ => Vec::new(),
    })
}

/// Every block of the design, generated.
pub fn all_blocks(p: &golden::Params) -> Result<Vec<GeneratedModule>, String> {
    BLOCKS.iter().map(|b| block(b, p)).collect()
}

/// Every module of the design ([`BLOCKS`], [`COMPOSITES`], then [`ENCODER`], and
/// `enc_multi` when `rtl.encoder_cores` > 1, `dec_multi` when `rtl.decoder_cores` > 1),
/// generated.
pub fn all_modules(p: &golden::Params) -> Result<Vec<GeneratedModule>, String> {
    let core = enc_core::check(p).is_ok();
    let mut v: Vec<GeneratedModule> = BLOCKS.iter().chain(COMPOSITES.iter()).chain(ENCODER.iter()).filter(|b| core || !matches!(**b, "search" | "enc_core")).map(|b| block(b, p)).collect::<Result<_, _>>()?;
    // several encoder cores (rtl.encoder_cores > 1)
    if p.rtl.encoder_cores > 1 {
        v.push(block("enc_multi", p)?);
    }
    if p.rtl.decoder_cores > 1 {
        v.push(block("dec_multi", p)?);
    }
    Ok(v)
}
