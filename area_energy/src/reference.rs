//! Parametric, sourced model of a full H.265 (HEVC) encoder and decoder ASIC, built from
//! parts taken from published HEVC hardware, to stand beside the tensor codec (T.265) in
//! the LLM.265 comparison. The paper's Table II ([`TABLE_II`]) is the validation target
//! only: no number below is derived from it.
//!
//! # Model
//!
//! * **Throughput.** `values_per_s` is luma samples per second (one int8/fp16 tensor value
//!   per sample). Every part is a published fixed-rate core replicated `values_per_s / rate`
//!   times (fractional instances allowed), so area and power are exactly linear in
//!   throughput. Cores keep their published clock: a design re-timed for 7 nm clocks would
//!   need proportionally fewer instances (see "why it misses").
//! * **Area at 7 nm.** Logic: NAND2-equivalent gate count x 0.08748 um2 (ASAP7
//!   `NAND2x1_ASAP7_75t_R`, [`NAND2_UM2`]) / 0.70 placement utilization
//!   ([`PLACEMENT_UTILIZATION`], an assumption). SRAM: bits x ASAP7 macro density from the
//!   `asap7_sram_0p0` LEFs: 0.0352 um2/bit for buffers >= 64 kbit per core
//!   ([`SRAM_LARGE_UM2_PER_BIT`], 81,920-bit macro), 0.0608 um2/bit below
//!   ([`SRAM_SMALL_UM2_PER_BIT`], 4,096-bit macro).
//! * **Node.** One rule, [`node_scale`]: Stillmaker & Baas (Integration 2017) area factors
//!   and energy polynomials at each node's nominal Vdd, log-log interpolated (40 -> 7 nm:
//!   area x0.0770, energy x0.0691; 28 -> 7 nm energy x0.1345; 65 -> 7 nm x0.0285). The whole
//!   model is computed at 7 nm and carried to `node_nm` with it.
//! * **Power.** Motion estimation (IME, search window, FME) uses the energy per sample of
//!   Zhou's ME chip (622 mW at 1592.5 Msamples/s, 40 nm) scaled to 7 nm and split by area.
//!   Every other part uses the power density of Tikekar's 4K30 decoder (76 mW core over
//!   1.77 mm2, both carried 40 -> 7 nm: 38.5 mW/mm2 at 7 nm), i.e. energy per sample
//!   proportional to silicon per sample. On-chip power only: DRAM is not counted.
//! * **Reference frame buffers** are off-chip DRAM, as in every cited chip (Tikekar: six 4K
//!   reference pictures in DDR3); the part is listed with zero on-chip area and power, and
//!   the on-chip cost of inter prediction is the search-window SRAM, MC fetch buffers and
//!   MC cache.
//! * **Chroma.** Published rates count luma pixels with 4:2:0 chroma processed by the same
//!   engines, so 1/3 of the sample work of the kept pixel blocks (intra, transform, entropy)
//!   plus the chroma line buffers form the dropped "chroma paths" part; chroma inside
//!   dropped blocks (MC, filters) stays in them.
//! * **Kept by a tensor codec:** intra prediction + mode decision, transform/quant,
//!   reconstruction, CABAC, luma intra line buffer, control/pipeline buffers. **Dropped:**
//!   IME, FME, search window, MC, reference frames, deblocking, SAO, filter line buffers,
//!   chroma.
//!
//! # Parts and sources ("corpus" = the project's search corpus)
//!
//! | part | published figure (rate in luma samples/s) | source | in corpus |
//! |---|---|---|---|
//! | IME logic | 2458 kgates (ME chip) minus FME below scaled to 1592.5 M = 913.2 kgates | Zhou et al. ME processor, JSSC 2014 / VLSI 2013, 40 nm, 7680x4320@48 | yes (authors' page) |
//! | search-window buffers | 552 kB on-chip memory | same | yes |
//! | FME | 976.5 kgates at 4096x4096x60 (H.264 FME; "4kx4k" read as 4096x4096) | Huang, Liu, Ikenaga, MMSP 2009, 0.18 um | yes |
//! | ME power | 622 mW (210 MHz core / 420 MHz DDR3) | Zhou | yes |
//! | MC / inter prediction | 69.4 kgates + 31.0 kbit at 4K30 (Table 10.8) | Tikekar et al., HEVC book ch. 10, 40 nm | yes |
//! | dequant + inverse transform | 104 kgates + 16.4 kbit (Table 10.3) | same | yes |
//! | encoder transform/quant | 2 x the inverse transform (forward core assumed equal) | same + assumption | yes / rule |
//! | decoder intra prediction | 27.0 kgates (Table 10.13) + 4864 bits (Table 10.12) | same | yes |
//! | encoder intra + mode decision | 77 kgates, 600 MHz, 8967 cycles per 32x32 treeblock (68.5 M) | C. Liu et al., ASICON 2013, 65 nm | second-hand only (review note in a GitHub repo) |
//! | CABAC (enc and dec) | proxy: 113,884 gates + 0.54 KB at HD1080@48 | Chu et al., multi-mode entropy decoder, ISOCC 2008, 0.13 um | yes (proxy; no HEVC CABAC gate count found) |
//! | deblocking | proxy: 21.1 kgates at 4e5 MB/s (102.4 M), H.264 | TCSVT 2007, doi:10.1109/TCSVT.2007.897467 | yes |
//! | SAO | assumed equal to deblocking per sample | assumption | no source found |
//! | line buffers | luma: 1 intra row; 4 deblocking + 1 SAO rows; chroma 2x1920 x 4 rows, at 3840 wide per 4K30 core | ITU-T H.265 filter neighbourhoods | from the standard |
//! | control + pipeline buffers (+ MC cache in the decoder) | Tikekar chip 1.77 mm2 at 40 nm (0.1363 mm2 at 7 nm per 4K30 core) minus the attributed decoder parts = 0.0474 mm2 per core; the encoder uses the same per-sample overhead | Tikekar et al., JSSC 2014 | yes (1.77 mm2, 4K30, 200 MHz) |
//! | power density | 76 mW core power at 0.9 V | Tikekar, ISSCC 2013 / JSSC 2014 | **no** (corpus has only 1.19 nJ/pixel normalized *system* power, DRAM included) |
//! | node scaling | area factors, energy polynomials | Stillmaker & Baas 2017 via wromaszkan/nodeScale | yes; nominal Vdd per node **not** verified |
//!
//! The decoder's parts sum, by construction, to Tikekar's 1.77 mm2 carried to 7 nm per
//! 249 Msamples/s. Consistency check: 715 kgates (recalled, not in corpus) + 119 kB SRAM
//! (derived from the corpus: 56 kB saved = 32%) gives 0.124-0.149 mm2 per core with the
//! rules above, against 0.136 mm2 from the Stillmaker area factor.
//!
//! # Result at Table II's operating point (7 nm, 6.25e9 values/s) and error
//!
//! | | model area | Table II | error | model power | Table II | error | model pJ/value |
//! |---|---|---|---|---|---|---|---|
//! | H.265 encoder | 6.39 mm2 | 11.7 | **-45.4%** | 0.344 W | 11.0 | **-96.9%** | 55.1 (paper 1707.5) |
//! | H.265 decoder | 3.42 mm2 | 2.1 | **+63.0%** | 0.132 W | 4.3 | **-96.9%** | 21.1 (paper 665.4) |
//! | encoder, kept parts | 2.90 mm2 | 2.4 (T.265) | +20.8% | 0.112 W | 2.3 | -95.1% | |
//! | decoder, kept parts | 2.14 mm2 | 0.5 (T.265) | +328% | 0.083 W | 0.9 | -90.8% | |
//!
//! Encoder dropped parts are 3.49 of 6.39 mm2 (54.6%), led by chroma (0.94), FME (0.76),
//! search window (0.62), IME (0.45); the decoder's dropped share is 37.5% (the MC cache sits
//! in its kept remainder). The Table II test therefore fails, on purpose: the numbers
//! above were not tuned.
//!
//! # Why it misses
//!
//! * **Power (-97% both):** node-scaled published silicon is 20-70 pJ per luma sample at
//!   7 nm; Table II implies ~690 (decoder) and ~1760 (encoder) pJ per value. Verified
//!   cross-checks agree with the model, not the table: the 0.5 nJ/pixel 4K HEVC codec
//!   (JSSC 2016, 28 nm) gives 67 pJ -> 0.42 W; the 0.76 mm2 0.22 nJ/pixel DL-assisted 4K
//!   encoder (10 nm letter) gives 150 pJ -> 0.94 W, DL accelerators included. Table II's
//!   decoder power is only reached by charging Tikekar's unscaled *system* energy including
//!   DRAM (1.19 nJ/pixel -> 7.4 W). So Table II's power is ~30x what published chips scaled
//!   by Stillmaker-Baas give; it likely includes off-chip traffic or unscaled energies.
//! * **Decoder area (+63%):** replicating a 200 MHz 40-nm core keeps its clock; at 7 nm the
//!   same RTL would close timing several times faster and need that many fewer instances.
//!   The NAND2xp33 cell (0.05832 um2) instead of NAND2x1 would cut logic area by a third.
//! * **Encoder area (-45%):** the encoder/decoder area ratio is 1.9 in the model but 5.6 in
//!   Table II. The research ME processor is very efficient per sample (1.54 kgates per
//!   Msample/s, against ~2.9 for the whole Tikekar decoder if its recalled 715 kgates are
//!   right), and the model omits inter mode
//!   decision/RDO beyond what the ME chip contains, rate control and bitstream packing. The
//!   scaled 10 nm commercial encoder (24.3 instances x 0.76 mm2 x 1/1.7) lands at 10.9 mm2,
//!   DL accelerators and dual H.264/H.265 support included, close to Table II.
//!
//! # Not verified in the search corpus
//!
//! Tikekar's 76 mW core power (and the 715 kgates consistency figure); the nominal Vdd per
//! node used with the Stillmaker-Baas energy polynomials (180: 1.8, 130: 1.3, 90: 1.2,
//! 65: 1.1, 45: 1.0, 32: 0.9, 14: 0.8, 10: 0.75, 7: 0.7 V); Liu et al.'s figures (seen only
//! in a third-party review note); the H.265 line-buffer row counts (from the standard);
//! the 0.70 utilization and the SAO-equals-deblocking and forward-equals-inverse-transform
//! rules are assumptions, not published numbers.

use serde::Serialize;

use crate::source::{Source, Sourced};

// ---------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------

/// One block of a full video codec, at the requested throughput and node.
#[derive(Clone, Debug, Serialize)]
pub struct Part {
    pub name: &'static str,
    /// Whether a tensor codec (video codec without inter prediction, in-loop filters
    /// and chroma) keeps this block.
    pub kept: bool,
    pub area_mm2: f64,
    pub power_w: f64,
    /// How the number was obtained (published figures, instance count, conversion).
    pub basis: String,
    pub source: Source,
}

/// A full-codec model: the sum of its parts.
#[derive(Clone, Debug, Serialize)]
pub struct CodecModel {
    pub codec: &'static str,
    /// Luma samples per second sustained (one tensor value per luma sample).
    pub values_per_s: f64,
    pub node_nm: f64,
    pub parts: Vec<Part>,
}

impl CodecModel {
    /// Sum of all parts.
    pub fn area_mm2(&self) -> f64 {
        self.parts.iter().map(|p| p.area_mm2).sum()
    }
    /// Sum of all parts (on-chip power; off-chip DRAM is not included).
    pub fn power_w(&self) -> f64 {
        self.parts.iter().map(|p| p.power_w).sum()
    }
    /// Area of the parts a tensor codec keeps.
    pub fn kept_area_mm2(&self) -> f64 {
        self.parts
            .iter()
            .filter(|p| p.kept)
            .map(|p| p.area_mm2)
            .sum()
    }
    /// Area of the parts a tensor codec drops.
    pub fn dropped_area_mm2(&self) -> f64 {
        self.parts
            .iter()
            .filter(|p| !p.kept)
            .map(|p| p.area_mm2)
            .sum()
    }
    /// Power of the parts a tensor codec keeps.
    pub fn kept_power_w(&self) -> f64 {
        self.parts
            .iter()
            .filter(|p| p.kept)
            .map(|p| p.power_w)
            .sum()
    }
    /// Energy per value (luma sample) in pJ: power / values_per_s.
    pub fn pj_per_value(&self) -> f64 {
        self.power_w() / self.values_per_s * 1e12
    }
}

/// One row of the paper's Table II.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PaperRow {
    pub codec: &'static str,
    pub area_mm2: f64,
    pub power_w: f64,
    /// The paper's "energy/bit" column, which behaves like energy per 16-bit element.
    pub pj_per_element: f64,
}

/// The paper's Table II (ASAP7, 100 Gbit/s of 16-bit elements). Validation target only:
/// no number of the model is derived from it.
pub const TABLE_II: [PaperRow; 4] = [
    PaperRow {
        codec: "H.265 encoder",
        area_mm2: 11.7,
        power_w: 11.0,
        pj_per_element: 1707.5,
    },
    PaperRow {
        codec: "H.265 decoder",
        area_mm2: 2.1,
        power_w: 4.3,
        pj_per_element: 665.4,
    },
    PaperRow {
        codec: "T.265 encoder",
        area_mm2: 2.4,
        power_w: 2.3,
        pj_per_element: 352.9,
    },
    PaperRow {
        codec: "T.265 decoder",
        area_mm2: 0.5,
        power_w: 0.9,
        pj_per_element: 144.4,
    },
];

/// Elements per second behind Table II (100e9 / 16).
pub const TABLE_II_VALUES_PER_S: f64 = 6.25e9;

// ---------------------------------------------------------------------------------
// Calibration constants (7 nm)
// ---------------------------------------------------------------------------------

/// Area of one NAND2-equivalent gate at 7 nm (ASAP7 NAND2x1).
pub const NAND2_UM2: Sourced = Sourced::new(
    0.08748,
    "um2 per NAND2-equivalent gate",
    "ASAP7 7.5-track library (asap7sc7p5t), NAND2x1_ASAP7_75t_R: 0.324 um x 0.270 um \
     (value supplied with the task; the smaller NAND2xp33 cell is 0.05832 um2 per a note in \
     the search corpus, which would make every logic area 33% smaller)",
    7.0,
    "none: used directly as the 7 nm gate-equivalent area",
);

/// Standard-cell placement utilization used to turn cell area into block area.
pub const PLACEMENT_UTILIZATION: Sourced = Sourced::new(
    0.70,
    "fraction of block area occupied by cells",
    "modelling assumption (typical place-and-route utilization target), not a published measurement",
    0.0,
    "none",
);

/// ASAP7 SRAM macro density for large arrays (>= 64 kbit per instance).
pub const SRAM_LARGE_UM2_PER_BIT: Sourced = Sourced::new(
    0.035_20,
    "um2 per bit, macro incl. periphery",
    "The-OpenROAD-Project/asap7_sram_0p0, generated/LEF/srambank_256x4x80_6t122.lef: \
     SIZE 30.348 x 95.04 um for 256x4x80 = 81,920 bits (arrays of Vashishtha et al., \
     'Robust 7-nm SRAM design on a predictive PDK', ISCAS 2017)",
    7.0,
    "none: 7 nm macro",
);

/// ASAP7 SRAM macro density for small arrays (< 64 kbit per instance).
pub const SRAM_SMALL_UM2_PER_BIT: Sourced = Sourced::new(
    0.060_82,
    "um2 per bit, macro incl. periphery",
    "The-OpenROAD-Project/asap7_sram_0p0, generated/LEF/srambank_64x4x16_6t122.lef: \
     SIZE 9.612 x 25.92 um for 64x4x16 = 4,096 bits",
    7.0,
    "none: 7 nm macro",
);

/// Buffers of at least this many bits per core instance use the large-macro density.
pub const SRAM_LARGE_MIN_BITS: f64 = 65_536.0;

fn logic_mm2(gates: f64) -> f64 {
    gates * NAND2_UM2.value / PLACEMENT_UTILIZATION.value * 1e-6
}

fn sram_mm2(bits_per_instance: f64) -> f64 {
    let d = if bits_per_instance >= SRAM_LARGE_MIN_BITS {
        SRAM_LARGE_UM2_PER_BIT.value
    } else {
        SRAM_SMALL_UM2_PER_BIT.value
    };
    bits_per_instance * d * 1e-6
}

// ---------------------------------------------------------------------------------
// Node scaling (Stillmaker & Baas)
// ---------------------------------------------------------------------------------

/// What [`node_scale`] scales.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Metric {
    Area,
    /// Energy per operation (so also power at a fixed operation rate).
    Energy,
}

/// Provenance of [`node_scale`].
pub const NODE_SCALING_SOURCE: Source = Source {
    reference: STILLMAKER,
    node_nm: 0.0,
    scaling:
        "area: tabulated area factor; energy: a*Vdd^2 + b*Vdd + c at each node's nominal Vdd; \
              log-log interpolation between tabulated nodes, clamped to 7..180 nm",
};

const STILLMAKER: &str = "A. Stillmaker, B. Baas, 'Scaling equations for the accurate prediction \
     of CMOS device performance from 180 nm to 7 nm', Integration 58:74-81, 2017; area factors \
     and energy polynomials as transcribed in wromaszkan/nodeScale (nodeScale.py)";

/// Stillmaker & Baas area factors: area at node / area at 7 nm (row '7' of the table).
const AREA_REL_7NM: [(f64, f64); 11] = [
    (180.0, 320.0),
    (130.0, 110.0),
    (90.0, 48.0),
    (65.0, 25.0),
    (45.0, 17.0),
    (32.0, 7.8),
    (20.0, 3.6),
    (16.0, 3.2),
    (14.0, 2.9),
    (10.0, 1.7),
    (7.0, 1.0),
];

/// Stillmaker & Baas energy polynomial a*V^2 + b*V + c (bulk for >= 65 nm, HP for <= 45 nm)
/// and the node's nominal supply V. The nominal voltages are the paper's (recalled; not
/// verified in the search corpus); 20 and 16 nm are left out because their nominal
/// voltage could not be confirmed, so 32 -> 14 nm is interpolated.
const ENERGY_POLY: [(f64, [f64; 3], f64); 9] = [
    (180.0, [0.0, 24.64, -17.98], 1.8),
    (130.0, [7.171, -6.709, 2.904], 1.3),
    (90.0, [4.762, -4.781, 2.092], 1.2),
    (65.0, [3.755, -4.398, 1.975], 1.1),
    (45.0, [1.018, -0.3107, 0.1539], 1.0),
    (32.0, [0.8367, -0.4341, 0.1701], 0.9),
    (14.0, [0.2363, -0.09675, 0.02239], 0.8),
    (10.0, [0.2068, -0.09311, 0.02375], 0.75),
    (7.0, [0.1776, -0.09097, 0.02447], 0.7),
];

/// Log-log piecewise-linear interpolation in a (node, value) table sorted by falling node;
/// clamped to the table's range (7..180 nm).
fn interp_loglog(table: &[(f64, f64)], node_nm: f64) -> f64 {
    let first = table[0];
    let last = table[table.len() - 1];
    if node_nm >= first.0 {
        return first.1;
    }
    if node_nm <= last.0 {
        return last.1;
    }
    for w in table.windows(2) {
        let (n0, v0) = w[0];
        let (n1, v1) = w[1];
        if node_nm <= n0 && node_nm >= n1 {
            let t = (node_nm / n0).ln() / (n1 / n0).ln();
            return (v0.ln() + t * (v1 / v0).ln()).exp();
        }
    }
    unreachable!("node inside table range")
}

fn area_factor(node_nm: f64) -> f64 {
    interp_loglog(&AREA_REL_7NM, node_nm)
}

fn energy_factor(node_nm: f64) -> f64 {
    let table: Vec<(f64, f64)> = ENERGY_POLY
        .iter()
        .map(|&(n, [a, b, c], v)| (n, a * v * v + b * v + c))
        .collect();
    interp_loglog(&table, node_nm)
}

/// The one node-scaling rule of this module: Stillmaker & Baas (2017) factors, log-log
/// interpolated between tabulated nodes, energies at each node's nominal supply.
/// Returns the multiplier taking a quantity at `from_nm` to `to_nm`.
pub fn node_scale(metric: Metric, from_nm: f64, to_nm: f64) -> f64 {
    match metric {
        Metric::Area => area_factor(to_nm) / area_factor(from_nm),
        Metric::Energy => energy_factor(to_nm) / energy_factor(from_nm),
    }
}

// ---------------------------------------------------------------------------------
// Published inputs
// ---------------------------------------------------------------------------------

const TIKEKAR_JSSC: &str = "M. Tikekar, C.-T. Huang, C. Juvekar, V. Sze, A. Chandrakasan, \
     'A 249-Mpixel/s HEVC Video-Decoder Chip for 4K Ultra-HD Applications', IEEE JSSC 49(1):61-72, 2014 (40 nm)";
const TIKEKAR_BOOK: &str = "M. Tikekar, C.-T. Huang, C. Juvekar, V. Sze, A. Chandrakasan, \
     'Decoder Hardware Architecture for HEVC', ch. 10 of High Efficiency Video Coding (HEVC): \
     Algorithms and Architectures, Springer 2014 (40 nm synthesis at 200 MHz)";
const ZHOU_ME: &str = "D. Zhou, J. Zhou et al., 7680x4320@48fps motion-estimation processor, \
     IEEE JSSC 2014 / Symp. VLSI Circuits 2013 (SMIC 40 nm), figures as listed on the authors' \
     page ja.zhou-lab.info/video-codec-vlsi";
const HUANG_FME: &str = "Y. Huang, Q. Liu, T. Ikenaga, 'Highly parallel fractional motion \
     estimation engine for Super Hi-Vision 4kx4k@60fps', IEEE MMSP 2009 (TSMC 0.18 um)";
const LIU_INTRA: &str = "C. Liu et al., 'A Highly Pipelined VLSI Architecture for All Modes and \
     Block Sizes Intra Prediction in HEVC Encoder', IEEE ASICON 2013 (TSMC 65 nm)";
const CHU_ENTROPY: &str = "J.-C. Chu, L.-F. Su, Y.-C. Yang, J.-I. Guo, C.-L. Su, 'A multi-mode \
     entropy decoder with a generic table partition strategy', ISOCC 2008 (TSMC 0.13 um)";
const DBF_2007: &str = "'An in/post-loop deblocking filter with hybrid filtering schedule', \
     IEEE TCSVT 2007, doi:10.1109/TCSVT.2007.897467 (0.18 um, H.264)";
const H265_SPEC: &str = "ITU-T H.265 (HEVC) deblocking (8.7.2) and SAO (8.7.3) neighbourhoods, \
     applied to a 3840-sample-wide picture (the Tikekar reference core)";

/// Luma samples per second of the 4K Ultra HD 30 fps reference decoder core.
pub const TIKEKAR_RATE: f64 = 3840.0 * 2160.0 * 30.0;
/// Core area of the Tikekar chip.
pub const TIKEKAR_AREA_MM2: Sourced = Sourced::new(
    1.77,
    "mm2",
    TIKEKAR_JSSC,
    40.0,
    "Stillmaker-Baas area factor",
);
/// Core power of the Tikekar chip at 4K30, 0.9 V (NOT verified in the search corpus; the
/// corpus only has 1.19 nJ/pixel of normalized *system* power, DRAM included).
pub const TIKEKAR_CORE_POWER_W: Sourced = Sourced::new(
    0.076,
    "W at 4K30 (0.9 V, 200 MHz)",
    "Tikekar et al., ISSCC 2013 / IEEE JSSC 2014: 76 mW core power; NOT verified in the search corpus",
    40.0,
    "Stillmaker-Baas energy polynomial, nominal Vdd",
);

/// Motion-estimation processor: luma samples/s, gates, on-chip memory, power.
pub const ZHOU_RATE: f64 = 7680.0 * 4320.0 * 48.0;
pub const ZHOU_GATES: f64 = 2_458_000.0;
pub const ZHOU_SRAM_BITS: f64 = 552.0 * 1024.0 * 8.0;
pub const ZHOU_POWER_W: Sourced = Sourced::new(
    0.622,
    "W at 210 MHz core / 420 MHz DDR3",
    ZHOU_ME,
    40.0,
    "Stillmaker-Baas energy polynomial",
);

/// Fractional ME engine: "4kx4k@60fps" read as 4096x4096 luma at 60 fps.
pub const HUANG_RATE: f64 = 4096.0 * 4096.0 * 60.0;
pub const HUANG_GATES: f64 = 976_500.0;

/// Intra prediction + mode decision: one 32x32 luma treeblock per 8967 cycles at 600 MHz.
pub const LIU_RATE: f64 = 1024.0 / 8967.0 * 600.0e6;
pub const LIU_GATES: f64 = 77_000.0;

/// Multi-mode entropy decoder: HD1080 at 48 fps.
pub const CHU_RATE: f64 = 1920.0 * 1080.0 * 48.0;
pub const CHU_GATES: f64 = 113_884.0;
pub const CHU_SRAM_BITS: f64 = 0.54 * 1024.0 * 8.0;

/// H.264 deblocking filter: 4e5 macroblocks/s of 256 luma samples.
pub const DBF_RATE: f64 = 4.0e5 * 256.0;
pub const DBF_GATES: f64 = 21_100.0;

/// Share of the 4:2:0 sample work that is chroma (0.5 of 1.5 samples per luma sample).
pub const CHROMA_SHARE: f64 = 1.0 / 3.0;

/// Line buffers of a 3840-wide core (bits per core instance), from the H.265 filter
/// neighbourhoods: luma intra 1 row; luma deblocking 4 rows + SAO 1 row; chroma (2
/// components of 1920) intra 1 + deblocking 2 + SAO 1 rows.
const LINE_LUMA_INTRA_BITS: f64 = 3840.0 * 8.0;
const LINE_LUMA_FILTER_BITS: f64 = 5.0 * 3840.0 * 8.0;
const LINE_CHROMA_BITS: f64 = 4.0 * 2.0 * 1920.0 * 8.0;

// ---------------------------------------------------------------------------------
// Model machinery
// ---------------------------------------------------------------------------------

/// A published block: logic gates and SRAM bits of one core instance sustaining `rate`
/// luma samples/s. Instances are replicated linearly to reach the requested throughput.
#[derive(Clone, Copy)]
struct Block {
    gates: f64,
    sram_bits: f64,
    rate: f64,
}

impl Block {
    /// 7 nm area of one instance.
    fn instance_mm2(&self) -> f64 {
        logic_mm2(self.gates) + sram_mm2(self.sram_bits)
    }
    /// 7 nm area at `v` luma samples/s.
    fn mm2_at(&self, v: f64) -> f64 {
        v / self.rate * self.instance_mm2()
    }
    fn describe(&self, v: f64) -> String {
        format!(
            "{:.1} kgates + {:.1} kbit SRAM per instance at {:.1} Msamples/s; {:.3} instances; \
             gates x {} um2 / {} utilization, SRAM x {} um2/bit",
            self.gates / 1e3,
            self.sram_bits / 1e3,
            self.rate / 1e6,
            v / self.rate,
            NAND2_UM2.value,
            PLACEMENT_UTILIZATION.value,
            if self.sram_bits >= SRAM_LARGE_MIN_BITS {
                SRAM_LARGE_UM2_PER_BIT.value
            } else {
                SRAM_SMALL_UM2_PER_BIT.value
            },
        )
    }
}

// Decoder blocks of the Tikekar reference core (and proxies at its rate).
const DEC_IT: Block = Block {
    gates: 104_000.0,
    sram_bits: 16_400.0,
    rate: TIKEKAR_RATE,
};
const DEC_INTER: Block = Block {
    gates: 69_400.0,
    sram_bits: 31_000.0,
    rate: TIKEKAR_RATE,
};
const DEC_INTRA: Block = Block {
    gates: 27_000.0,
    sram_bits: 4_864.0,
    rate: TIKEKAR_RATE,
};
const ENTROPY: Block = Block {
    gates: CHU_GATES,
    sram_bits: CHU_SRAM_BITS,
    rate: CHU_RATE,
};
const DEBLOCK: Block = Block {
    gates: DBF_GATES,
    sram_bits: 0.0,
    rate: DBF_RATE,
};
const LINE_LUMA_INTRA: Block = Block {
    gates: 0.0,
    sram_bits: LINE_LUMA_INTRA_BITS,
    rate: TIKEKAR_RATE,
};
const LINE_LUMA_FILTER: Block = Block {
    gates: 0.0,
    sram_bits: LINE_LUMA_FILTER_BITS,
    rate: TIKEKAR_RATE,
};
const LINE_CHROMA: Block = Block {
    gates: 0.0,
    sram_bits: LINE_CHROMA_BITS,
    rate: TIKEKAR_RATE,
};

// Encoder-only blocks.
const FME: Block = Block {
    gates: HUANG_GATES,
    sram_bits: 0.0,
    rate: HUANG_RATE,
};
/// Zhou's logic minus the FME gates that Huang's engine needs at Zhou's rate.
const IME_GATES: f64 = ZHOU_GATES - HUANG_GATES * ZHOU_RATE / HUANG_RATE;
const IME: Block = Block {
    gates: IME_GATES,
    sram_bits: 0.0,
    rate: ZHOU_RATE,
};
const SEARCH_WINDOW: Block = Block {
    gates: 0.0,
    sram_bits: ZHOU_SRAM_BITS,
    rate: ZHOU_RATE,
};
const ENC_INTRA: Block = Block {
    gates: LIU_GATES,
    sram_bits: 0.0,
    rate: LIU_RATE,
};
/// Forward + inverse: twice the inverse-transform core (same partial-butterfly structure).
const ENC_TQ: Block = Block {
    gates: 2.0 * 104_000.0,
    sram_bits: 2.0 * 16_400.0,
    rate: TIKEKAR_RATE,
};

/// The Tikekar chip at 7 nm (one instance).
fn tikekar_chip_mm2_7nm() -> f64 {
    TIKEKAR_AREA_MM2.value * node_scale(Metric::Area, TIKEKAR_AREA_MM2.source.node_nm, 7.0)
}

/// Area (7 nm, one 4K30 instance) of the Tikekar chip not attributed to a sourced block:
/// control, CTU pipeline buffers, coefficient FIFO, MC reference cache.
fn tikekar_remainder_mm2_7nm() -> f64 {
    let r = TIKEKAR_RATE;
    let attributed = ENTROPY.mm2_at(r)
        + DEC_IT.mm2_at(r)
        + DEC_INTRA.mm2_at(r)
        + DEC_INTER.mm2_at(r)
        + 2.0 * DEBLOCK.mm2_at(r) // deblocking + SAO (SAO assumed equal to deblocking)
        + LINE_LUMA_INTRA.mm2_at(r)
        + LINE_LUMA_FILTER.mm2_at(r)
        + LINE_CHROMA.mm2_at(r);
    tikekar_chip_mm2_7nm() - attributed
}

/// Power density (W/mm2 at 7 nm) of the Tikekar chip: core power and core area both
/// carried 40 -> 7 nm by Stillmaker-Baas. Used for every part without its own power figure.
fn tikekar_w_per_mm2_7nm() -> f64 {
    let p7 = TIKEKAR_CORE_POWER_W.value
        * node_scale(Metric::Energy, TIKEKAR_CORE_POWER_W.source.node_nm, 7.0);
    p7 / tikekar_chip_mm2_7nm()
}

/// Motion-estimation energy per luma sample at 7 nm (J), from the Zhou chip.
fn zhou_j_per_sample_7nm() -> f64 {
    ZHOU_POWER_W.value / ZHOU_RATE * node_scale(Metric::Energy, ZHOU_POWER_W.source.node_nm, 7.0)
}

/// A part before node scaling: 7 nm area and power at the requested rate.
struct Raw {
    name: &'static str,
    kept: bool,
    mm2_7: f64,
    w_7: f64,
    basis: String,
    source: Source,
}

fn src(reference: &'static str, node_nm: f64, scaling: &'static str) -> Source {
    Source {
        reference,
        node_nm,
        scaling,
    }
}

const SCALE_PD: &str = "gates x ASAP7 NAND2 / 0.7 + SRAM x ASAP7 macro density, linear in throughput; \
     other nodes by Stillmaker-Baas area; power = area x Tikekar power density (76 mW core power, NOT \
     verified in the search corpus, over 1.77 mm2, both carried 40 -> 7 nm by Stillmaker-Baas)";
const SCALE_ME: &str = "gates x ASAP7 NAND2 / 0.7 + SRAM x ASAP7 macro density, linear in throughput; \
     other nodes by Stillmaker-Baas area; power = Zhou ME-chip energy/sample (622 mW / 1592.5 Msamples/s, \
     40 -> 7 nm by Stillmaker-Baas energy) split over IME, search window and FME by area share";
const SCALE_NONE: &str = "none: off-chip, no on-chip area or power";

fn finish(codec: &'static str, v: f64, node_nm: f64, raws: Vec<Raw>) -> CodecModel {
    let a = node_scale(Metric::Area, 7.0, node_nm);
    let e = node_scale(Metric::Energy, 7.0, node_nm);
    let parts = raws
        .into_iter()
        .map(|r| Part {
            name: r.name,
            kept: r.kept,
            area_mm2: r.mm2_7 * a,
            power_w: r.w_7 * e,
            basis: r.basis,
            source: r.source,
        })
        .collect();
    CodecModel {
        codec,
        values_per_s: v,
        node_nm,
        parts,
    }
}

/// Splits a kept pixel block into its luma part (kept) and adds its chroma share to `chroma`.
fn luma_share(mm2: f64, chroma: &mut f64) -> f64 {
    *chroma += mm2 * CHROMA_SHARE;
    mm2 * (1.0 - CHROMA_SHARE)
}

fn dpb_part() -> Raw {
    Raw {
        name: "reference frame buffers (decoded picture buffer)",
        kept: false,
        mm2_7: 0.0,
        w_7: 0.0,
        basis: "Off-chip DRAM, as in every cited chip (Tikekar: six 4K reference pictures in two DDR3 \
                parts); on-chip cost is the fetch/search-window buffers and caches listed in other parts. \
                DRAM access power is not on-chip power and is not counted (for scale: Tikekar's MC cache \
                saves 122 mW of DRAM power per 4K30 core by cutting 67% of the traffic)."
            .to_string(),
        source: src(TIKEKAR_BOOK, 40.0, SCALE_NONE),
    }
}

// ---------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------

/// H.265 encoder at `values_per_s` luma samples/s (one tensor value per sample), `node_nm`.
/// Area and power are linear in throughput: the model replicates fixed-rate cores.
pub fn h265_encoder(values_per_s: f64, node_nm: f64) -> CodecModel {
    let v = values_per_s;
    let pd = tikekar_w_per_mm2_7nm();
    let mut chroma = 0.0;
    let mut raws = Vec::new();

    // Motion estimation (Zhou chip): IME logic, search-window SRAM, FME (Huang split).
    let ime = IME.mm2_at(v);
    let sw = SEARCH_WINDOW.mm2_at(v);
    let fme = FME.mm2_at(v);
    let me_total = ime + sw + fme;
    let me_w = zhou_j_per_sample_7nm() * v;
    raws.push(Raw {
        name: "integer motion estimation (IME) logic",
        kept: false,
        mm2_7: ime,
        w_7: me_w * ime / me_total,
        basis: format!(
            "Zhou ME processor (2458 kgates, 552 kB, 622 mW, 7680x4320@48 = {:.1} Msamples/s) minus the FME \
             gates Huang's engine needs at that rate ({:.1} kgates) = {:.1} kgates of IME; {}",
            ZHOU_RATE / 1e6,
            HUANG_GATES * ZHOU_RATE / HUANG_RATE / 1e3,
            IME_GATES / 1e3,
            IME.describe(v)
        ),
        source: src(ZHOU_ME, 40.0, SCALE_ME),
    });
    raws.push(Raw {
        name: "IME/FME search-window buffers",
        kept: false,
        mm2_7: sw,
        w_7: me_w * sw / me_total,
        basis: format!(
            "Zhou ME processor on-chip memory (552 kB for a -211..+211 search range); {}",
            SEARCH_WINDOW.describe(v)
        ),
        source: src(ZHOU_ME, 40.0, SCALE_ME),
    });
    raws.push(Raw {
        name: "fractional motion estimation (FME)",
        kept: false,
        mm2_7: fme,
        w_7: me_w * fme / me_total,
        basis: format!(
            "Huang FME engine, 976.5 kgates (H.264 6-tap FME; '4kx4k@60fps' read as 4096x4096x60); {}",
            FME.describe(v)
        ),
        source: src(HUANG_FME, 180.0, SCALE_ME),
    });
    let mc = DEC_INTER.mm2_at(v);
    raws.push(Raw {
        name: "motion compensation / inter prediction",
        kept: false,
        mm2_7: mc,
        w_7: mc * pd,
        basis: format!(
            "Tikekar inter-prediction block (dispatch, reference fetch 28.8 kbit, 2-D 8/4-tap filter, bi-pred; \
             Table 10.8) used for the encoder's final compensation; {}",
            DEC_INTER.describe(v)
        ),
        source: src(TIKEKAR_BOOK, 40.0, SCALE_PD),
    });
    raws.push(dpb_part());

    // Kept pixel pipeline (luma share kept, chroma share to the chroma part).
    let intra = luma_share(ENC_INTRA.mm2_at(v), &mut chroma);
    raws.push(Raw {
        name: "intra prediction + mode decision",
        kept: true,
        mm2_7: intra,
        w_7: intra * pd,
        basis: format!(
            "Liu intra predictor with full mode/size decision engine (77 kgates, 600 MHz, 8967 cycles per 32x32 \
             treeblock; figures found only second-hand in a GitHub review note, paper itself not in the corpus); \
             {}; luma share {:.3}",
            ENC_INTRA.describe(v),
            1.0 - CHROMA_SHARE
        ),
        source: src(LIU_INTRA, 65.0, SCALE_PD),
    });
    let tq = luma_share(ENC_TQ.mm2_at(v), &mut chroma);
    raws.push(Raw {
        name: "transform/quantization + inverse",
        kept: true,
        mm2_7: tq,
        w_7: tq * pd,
        basis: format!(
            "2 x Tikekar inverse transform incl. dequant scaling (104 kgates + 16.4 kbit each, Table 10.3): \
             forward core assumed equal to the inverse core (same partial butterflies); {}; luma share {:.3}",
            ENC_TQ.describe(v),
            1.0 - CHROMA_SHARE
        ),
        source: src(TIKEKAR_BOOK, 40.0, SCALE_PD),
    });
    raws.push(Raw {
        name: "reconstruction",
        kept: true,
        mm2_7: 0.0,
        w_7: 0.0,
        basis: "No separately published block: the prediction + residual adders and clipping sit inside the \
                transform output stage and prediction engine of the cited designs, and the reconstructed-CTU \
                buffers inside the control/pipeline-buffer part; counted there, 0 here."
            .to_string(),
        source: src(TIKEKAR_BOOK, 40.0, SCALE_PD),
    });
    let cabac = luma_share(ENTROPY.mm2_at(v), &mut chroma);
    raws.push(Raw {
        name: "entropy coding (CABAC)",
        kept: true,
        mm2_7: cabac,
        w_7: cabac * pd,
        basis: format!(
            "Proxy: Chu multi-standard entropy decoder (113,884 gates, 0.54 KB, HD1080@48fps), assumed \
             equal in cost per sample to a CABAC encoder (no HEVC CABAC gate count found in the corpus; \
             likely an over-estimate); {}; luma share {:.3}",
            ENTROPY.describe(v),
            1.0 - CHROMA_SHARE
        ),
        source: src(CHU_ENTROPY, 130.0, SCALE_PD),
    });

    // In-loop filters.
    let dbf = DEBLOCK.mm2_at(v);
    raws.push(Raw {
        name: "deblocking filter",
        kept: false,
        mm2_7: dbf,
        w_7: dbf * pd,
        basis: format!(
            "H.264 in/post-loop deblocking filter (21.1 kgates at 4e5 MB/s = 102.4 Msamples/s) as proxy for \
             the HEVC filter (8-sample grid, lighter); {}",
            DEBLOCK.describe(v)
        ),
        source: src(DBF_2007, 180.0, SCALE_PD),
    });
    raws.push(Raw {
        name: "sample adaptive offset (SAO)",
        kept: false,
        mm2_7: dbf,
        w_7: dbf * pd,
        basis: format!(
            "No published SAO gate count found in the corpus: assumed equal to the deblocking proxy per sample \
             (an assumption, not a measurement); {}",
            DEBLOCK.describe(v)
        ),
        source: src(DBF_2007, 180.0, SCALE_PD),
    });

    // Line buffers.
    let lb_intra = LINE_LUMA_INTRA.mm2_at(v);
    raws.push(Raw {
        name: "line buffers, luma (intra neighbours)",
        kept: true,
        mm2_7: lb_intra,
        w_7: lb_intra * pd,
        basis: format!(
            "1 luma row of a 3840-wide picture per 4K30 core; {}",
            LINE_LUMA_INTRA.describe(v)
        ),
        source: src(H265_SPEC, 7.0, SCALE_PD),
    });
    let lb_filter = LINE_LUMA_FILTER.mm2_at(v);
    raws.push(Raw {
        name: "line buffers, luma (deblocking + SAO rows)",
        kept: false,
        mm2_7: lb_filter,
        w_7: lb_filter * pd,
        basis: format!(
            "4 luma rows for deblocking across CTU rows + 1 for SAO, 3840-wide, per 4K30 core; {}",
            LINE_LUMA_FILTER.describe(v)
        ),
        source: src(H265_SPEC, 7.0, SCALE_PD),
    });
    let lb_chroma = LINE_CHROMA.mm2_at(v);
    chroma += lb_chroma;
    raws.push(Raw {
        name: "chroma paths",
        kept: false,
        mm2_7: chroma,
        w_7: chroma * pd,
        basis: format!(
            "4:2:0 chroma = 1/3 of the samples processed by the intra, transform and entropy blocks (their \
             published rates count luma pixels, chroma processed by the same engines) plus chroma line \
             buffers (2 x 1920 x 4 rows per core, {:.4} mm2 here); chroma inside dropped blocks (MC, filters) \
             stays in those blocks",
            lb_chroma
        ),
        source: src(TIKEKAR_BOOK, 40.0, SCALE_PD),
    });
    let ctrl = tikekar_remainder_mm2_7nm() * v / TIKEKAR_RATE;
    raws.push(Raw {
        name: "control + pipeline buffers",
        kept: true,
        mm2_7: ctrl,
        w_7: ctrl * pd,
        basis: format!(
            "Per-sample system overhead taken from the decoder: the part of Tikekar's 1.77 mm2 (40 nm -> {:.4} mm2 \
             at 7 nm) not attributed to sourced blocks = {:.4} mm2 per 4K30 core (control, CTU pipeline buffers, \
             coefficient FIFO, caches), {:.3} instances",
            tikekar_chip_mm2_7nm(),
            tikekar_remainder_mm2_7nm(),
            v / TIKEKAR_RATE
        ),
        source: src(TIKEKAR_JSSC, 40.0, SCALE_PD),
    });
    finish("H.265 encoder", v, node_nm, raws)
}

/// H.265 decoder at `values_per_s` luma samples/s (one tensor value per sample), `node_nm`.
/// Area and power are linear in throughput: the model replicates the 4K30 Tikekar core;
/// the parts sum to that chip's 1.77 mm2 (carried to 7 nm) per 249 Msamples/s.
pub fn h265_decoder(values_per_s: f64, node_nm: f64) -> CodecModel {
    let v = values_per_s;
    let pd = tikekar_w_per_mm2_7nm();
    let mut chroma = 0.0;
    let mut raws = Vec::new();

    let cabac = luma_share(ENTROPY.mm2_at(v), &mut chroma);
    raws.push(Raw {
        name: "CABAC decoding + parsing",
        kept: true,
        mm2_7: cabac,
        w_7: cabac * pd,
        basis: format!(
            "Proxy: Chu multi-standard entropy decoder (113,884 gates, 0.54 KB, HD1080@48fps; Tikekar's own \
             entropy-decoder gate count is not in the corpus); {}; luma share {:.3}",
            ENTROPY.describe(v),
            1.0 - CHROMA_SHARE
        ),
        source: src(CHU_ENTROPY, 130.0, SCALE_PD),
    });
    let it = luma_share(DEC_IT.mm2_at(v), &mut chroma);
    raws.push(Raw {
        name: "dequantization + inverse transform",
        kept: true,
        mm2_7: it,
        w_7: it * pd,
        basis: format!(
            "Tikekar inverse transform incl. scaling (Table 10.3); {}; luma share {:.3}",
            DEC_IT.describe(v),
            1.0 - CHROMA_SHARE
        ),
        source: src(TIKEKAR_BOOK, 40.0, SCALE_PD),
    });
    let intra = luma_share(DEC_INTRA.mm2_at(v), &mut chroma);
    raws.push(Raw {
        name: "intra prediction",
        kept: true,
        mm2_7: intra,
        w_7: intra * pd,
        basis: format!(
            "Tikekar intra prediction (27.0 kgates, Table 10.13; 4864-bit neighbour SRAM, Table 10.12); {}; luma share {:.3}",
            DEC_INTRA.describe(v),
            1.0 - CHROMA_SHARE
        ),
        source: src(TIKEKAR_BOOK, 40.0, SCALE_PD),
    });
    let mc = DEC_INTER.mm2_at(v);
    raws.push(Raw {
        name: "motion compensation + reference fetch",
        kept: false,
        mm2_7: mc,
        w_7: mc * pd,
        basis: format!(
            "Tikekar inter prediction: dispatch 4.7 kgates, fetch 12.0 kgates + 28.8 kbit, 2-D filter 50.0 kgates, \
             control 2.7 kgates (Table 10.8); the MC cache itself is in the remainder part; {}",
            DEC_INTER.describe(v)
        ),
        source: src(TIKEKAR_BOOK, 40.0, SCALE_PD),
    });
    raws.push(dpb_part());
    let dbf = DEBLOCK.mm2_at(v);
    raws.push(Raw {
        name: "deblocking filter",
        kept: false,
        mm2_7: dbf,
        w_7: dbf * pd,
        basis: format!(
            "H.264 deblocking filter proxy (21.1 kgates at 102.4 Msamples/s); {}",
            DEBLOCK.describe(v)
        ),
        source: src(DBF_2007, 180.0, SCALE_PD),
    });
    raws.push(Raw {
        name: "sample adaptive offset (SAO)",
        kept: false,
        mm2_7: dbf,
        w_7: dbf * pd,
        basis: format!(
            "No published SAO gate count found in the corpus: assumed equal to the deblocking proxy per sample; {}",
            DEBLOCK.describe(v)
        ),
        source: src(DBF_2007, 180.0, SCALE_PD),
    });
    let lb_intra = LINE_LUMA_INTRA.mm2_at(v);
    raws.push(Raw {
        name: "line buffers, luma (intra neighbours)",
        kept: true,
        mm2_7: lb_intra,
        w_7: lb_intra * pd,
        basis: format!(
            "1 luma row of a 3840-wide picture per 4K30 core; {}",
            LINE_LUMA_INTRA.describe(v)
        ),
        source: src(H265_SPEC, 7.0, SCALE_PD),
    });
    let lb_filter = LINE_LUMA_FILTER.mm2_at(v);
    raws.push(Raw {
        name: "line buffers, luma (deblocking + SAO rows)",
        kept: false,
        mm2_7: lb_filter,
        w_7: lb_filter * pd,
        basis: format!(
            "4 deblocking + 1 SAO luma rows, 3840-wide, per 4K30 core; {}",
            LINE_LUMA_FILTER.describe(v)
        ),
        source: src(H265_SPEC, 7.0, SCALE_PD),
    });
    let lb_chroma = LINE_CHROMA.mm2_at(v);
    chroma += lb_chroma;
    raws.push(Raw {
        name: "chroma paths",
        kept: false,
        mm2_7: chroma,
        w_7: chroma * pd,
        basis: format!(
            "4:2:0 chroma = 1/3 of the entropy, inverse-transform and intra work plus chroma line buffers \
             ({:.4} mm2 here); chroma inside MC and the filters stays in those parts",
            lb_chroma
        ),
        source: src(TIKEKAR_BOOK, 40.0, SCALE_PD),
    });
    let rest = tikekar_remainder_mm2_7nm() * v / TIKEKAR_RATE;
    raws.push(Raw {
        name: "control, pipeline buffers, MC reference cache (remainder)",
        kept: true,
        mm2_7: rest,
        w_7: rest * pd,
        basis: format!(
            "Tikekar chip 1.77 mm2 at 40 nm = {:.4} mm2 at 7 nm per 4K30 core, minus the sourced parts above = \
             {:.4} mm2 per core ({:.3} cores): control, CTU pipeline buffers, coefficient FIFO and the MC cache, \
             whose separate size is not in the corpus. Marked kept because most of it (control, pipeline \
             buffers) a tensor decoder still needs; the MC cache inside it is therefore not credited as dropped.",
            tikekar_chip_mm2_7nm(),
            tikekar_remainder_mm2_7nm(),
            v / TIKEKAR_RATE
        ),
        source: src(TIKEKAR_JSSC, 40.0, SCALE_PD),
    });
    finish("H.265 decoder", v, node_nm, raws)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel_err(model: f64, paper: f64) -> f64 {
        (model - paper) / paper
    }

    #[test]
    fn reference_report() {
        for m in [
            h265_encoder(TABLE_II_VALUES_PER_S, 7.0),
            h265_decoder(TABLE_II_VALUES_PER_S, 7.0),
        ] {
            println!(
                "== {} at {:.3e} values/s, {} nm",
                m.codec, m.values_per_s, m.node_nm
            );
            for p in &m.parts {
                println!(
                    "  {:<60} kept={:<5} {:>8.4} mm2 {:>8.4} W",
                    p.name, p.kept, p.area_mm2, p.power_w
                );
            }
            println!(
                "  total {:.3} mm2 (kept {:.3}, dropped {:.3}), {:.4} W (kept {:.4}), {:.1} pJ/value",
                m.area_mm2(),
                m.kept_area_mm2(),
                m.dropped_area_mm2(),
                m.power_w(),
                m.kept_power_w(),
                m.pj_per_value()
            );
        }
        println!("node_scale area 40->7 {:.5}, energy 40->7 {:.5}, 28->7 {:.5}, 10->7 {:.5}, 65->7 {:.5}",
            node_scale(Metric::Area, 40.0, 7.0), node_scale(Metric::Energy, 40.0, 7.0),
            node_scale(Metric::Energy, 28.0, 7.0), node_scale(Metric::Energy, 10.0, 7.0),
            node_scale(Metric::Energy, 65.0, 7.0));
    }

    /// The target. The sourced model misses it (module docs: power -97%,
    /// encoder area -45%, decoder area +63%); kept as the open target, run with
    /// `cargo test -p area_energy -- --ignored`.
    #[test]
    #[ignore = "open: the sourced model misses Table II by more than 20% (see the module docs)"]
    fn reference_reproduces_table_ii_within_20_percent() {
        let enc = h265_encoder(TABLE_II_VALUES_PER_S, 7.0);
        let dec = h265_decoder(TABLE_II_VALUES_PER_S, 7.0);
        let checks = [
            (
                "encoder area",
                rel_err(enc.area_mm2(), TABLE_II[0].area_mm2),
            ),
            ("encoder power", rel_err(enc.power_w(), TABLE_II[0].power_w)),
            (
                "decoder area",
                rel_err(dec.area_mm2(), TABLE_II[1].area_mm2),
            ),
            ("decoder power", rel_err(dec.power_w(), TABLE_II[1].power_w)),
        ];
        let misses: Vec<String> = checks
            .iter()
            .filter(|(_, e)| e.abs() > 0.20)
            .map(|(n, e)| format!("{n} {:+.1}%", e * 100.0))
            .collect();
        assert!(
            misses.is_empty(),
            "sourced model misses Table II by more than 20%: {}",
            misses.join(", ")
        );
    }

    /// Keeps the module docs honest: the errors quoted there are the model's current ones.
    #[test]
    fn reference_documented_errors_are_current() {
        let enc = h265_encoder(TABLE_II_VALUES_PER_S, 7.0);
        let dec = h265_decoder(TABLE_II_VALUES_PER_S, 7.0);
        let documented = [
            (rel_err(enc.area_mm2(), TABLE_II[0].area_mm2), -0.454),
            (rel_err(enc.power_w(), TABLE_II[0].power_w), -0.969),
            (rel_err(dec.area_mm2(), TABLE_II[1].area_mm2), 0.630),
            (rel_err(dec.power_w(), TABLE_II[1].power_w), -0.969),
        ];
        for (now, doc) in documented {
            assert!(
                (now - doc).abs() < 0.001,
                "docs say {doc:+.3}, model gives {now:+.4}"
            );
        }
    }

    #[test]
    fn reference_models_serialize() {
        let json = serde_json::to_string(&h265_encoder(TABLE_II_VALUES_PER_S, 7.0)).unwrap();
        assert!(json.contains("\"kept\":false") && json.contains("Stillmaker"));
        serde_json::to_string(&TABLE_II).unwrap();
    }

    #[test]
    fn reference_every_part_is_sourced() {
        for m in [
            h265_encoder(TABLE_II_VALUES_PER_S, 7.0),
            h265_decoder(TABLE_II_VALUES_PER_S, 7.0),
        ] {
            for p in &m.parts {
                assert!(
                    !p.source.reference.trim().is_empty(),
                    "{}: {} has no source",
                    m.codec,
                    p.name
                );
                assert!(
                    !p.source.scaling.trim().is_empty(),
                    "{}: {} has no scaling rule",
                    m.codec,
                    p.name
                );
                assert!(
                    !p.basis.trim().is_empty(),
                    "{}: {} has no basis",
                    m.codec,
                    p.name
                );
                assert!(
                    p.area_mm2 >= 0.0 && p.power_w >= 0.0,
                    "{}: {} is negative",
                    m.codec,
                    p.name
                );
            }
        }
    }

    #[test]
    fn reference_encoder_area_is_mostly_dropped_parts() {
        let enc = h265_encoder(TABLE_II_VALUES_PER_S, 7.0);
        assert!(
            enc.dropped_area_mm2() > enc.kept_area_mm2(),
            "dropped {:.3} mm2 vs kept {:.3} mm2",
            enc.dropped_area_mm2(),
            enc.kept_area_mm2()
        );
        let me_and_inter: f64 = enc
            .parts
            .iter()
            .filter(|p| p.name.contains("motion") || p.name.contains("search-window"))
            .map(|p| p.area_mm2)
            .sum();
        assert!(me_and_inter > 0.0);
    }

    #[test]
    fn reference_scales_linearly_with_throughput() {
        for (f, name) in [
            (h265_encoder as fn(f64, f64) -> CodecModel, "enc"),
            (h265_decoder, "dec"),
        ] {
            let a = f(1.0e9, 7.0);
            let b = f(3.0e9, 7.0);
            assert_eq!(a.parts.len(), b.parts.len());
            for (pa, pb) in a.parts.iter().zip(&b.parts) {
                assert!(
                    (pb.area_mm2 - 3.0 * pa.area_mm2).abs() <= 1e-12 * pb.area_mm2.max(1.0),
                    "{name} {}",
                    pa.name
                );
                assert!(
                    (pb.power_w - 3.0 * pa.power_w).abs() <= 1e-12 * pb.power_w.max(1.0),
                    "{name} {}",
                    pa.name
                );
            }
            assert!((a.pj_per_value() - b.pj_per_value()).abs() < 1e-9 * a.pj_per_value());
        }
    }

    #[test]
    fn reference_node_scaling_rule() {
        assert_eq!(node_scale(Metric::Area, 7.0, 7.0), 1.0);
        assert_eq!(node_scale(Metric::Energy, 40.0, 40.0), 1.0);
        // Tabulated points are reproduced exactly.
        assert!((node_scale(Metric::Area, 45.0, 7.0) - 1.0 / 17.0).abs() < 1e-12);
        // Smaller nodes are smaller and cheaper.
        for (hi, lo) in [(180.0, 130.0), (65.0, 40.0), (40.0, 28.0), (28.0, 7.0)] {
            assert!(node_scale(Metric::Area, hi, lo) < 1.0);
            assert!(node_scale(Metric::Energy, hi, lo) < 1.0);
        }
        // Node scaling commutes with the model.
        let e7 = h265_encoder(1e9, 7.0);
        let e28 = h265_encoder(1e9, 28.0);
        let ra = e28.area_mm2() / e7.area_mm2();
        assert!((ra - node_scale(Metric::Area, 7.0, 28.0)).abs() < 1e-9 * ra);
    }

    #[test]
    fn reference_table_ii_is_consistent() {
        for r in &TABLE_II {
            // The paper's pJ column is power over ~6.4e9 elements/s, within rounding of power.
            let implied = r.power_w / (r.pj_per_element * 1e-12);
            assert!(
                (implied / 6.4e9 - 1.0).abs() < 0.03,
                "{}: {implied:.3e}",
                r.codec
            );
        }
        assert_eq!(TABLE_II_VALUES_PER_S, 100e9 / 16.0);
    }
}
