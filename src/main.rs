//! `tcgen`: the T.265 tensor-codec generator command line.

mod bench;
mod cosim;
mod gpu;
mod plot;
mod report;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use golden::config::{ChromaFormat, Params, StrategyKind};
use golden::eval;
use golden::pipeline::{self, RateTarget};
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
enum GpuCmd {
    /// List CUDA devices and NVDEC's HEVC capabilities (4:2:0, 4:4:4, 4:0:0 8-bit), decode
    /// streams on NVDEC against golden's decoder, sweep concurrent sessions for
    /// throughput; without a GPU or the feature, say why.
    Check(gpu::CheckArgs),
}

#[derive(Parser)]
#[command(name = "tcgen", version, about = "T.265 tensor-codec generator: golden HEVC-intra tensor codec and its hardware")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Encode a tensor (.npy, .safetensors, or a built-in: @minilm, @gauss:RxC:SEED, ...) to .t265.
    Encode(EncodeArgs),
    /// Bits/value and MSE of the codec against x265 intra and RTN baselines, with an SVG plot.
    Eval(EvalArgs),
    /// Decode a .t265 to .npy (exact shape), or a bare HEVC stream to raw YUV frames.
    Decode(DecodeArgs),
    /// Encode/decode speed against x265, ffmpeg and libde265 (one thread, same frames).
    Bench(BenchArgs),
    /// Generate the Verilog of every hardware block: one .v per block, a filelist, a manifest.
    Verilog(VerilogArgs),
    /// Cosimulate one block's Verilog in Verilator against golden/ (known answers, random TUs, tensor blocks).
    Cosim(cosim::CosimArgs),
    /// Synthesize blocks with yosys: generic cells, and ASAP7 area / NAND2 equivalents.
    Synth(cosim::SynthArgs),
    /// Area-energy report: synthesis, toggle activity, cycle/area/energy models, sizing, full-codec reference.
    Report(report::ReportArgs),
    /// Print the embedded default configuration (TOML).
    Config,
    /// The GPU reference path (build with --features nvdec): NVDEC / NVENC on this machine.
    #[command(subcommand)]
    Gpu(GpuCmd),
    /// The main job on the embedded default: encode, evaluate, generate Verilog, cosimulate it, write the report under --out.
    Run(RunArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum Strategy {
    Rd,
    Hw,
}

#[derive(Args, Clone)]
pub(crate) struct CodecArgs {
    /// Configuration file (TOML); missing fields take the embedded defaults.
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    /// Decision strategy (overrides the config).
    #[arg(long, value_enum)]
    pub(crate) strategy: Option<Strategy>,
    /// Randomized Hadamard rotation with this seed (overrides the config).
    #[arg(long)]
    pub(crate) rotate: Option<u64>,
    /// Tensor name inside a .safetensors file.
    #[arg(long)]
    pub(crate) tensor: Option<String>,
}

#[derive(Args, Clone)]
#[group(multiple = false)]
struct RateArgs {
    /// Slice QP 0..=51.
    #[arg(long)]
    qp: Option<u8>,
    /// Smallest QP whose stream needs at most this many bits per value.
    #[arg(long)]
    bits_per_value: Option<f64>,
    /// Largest QP whose int8-scale MSE is at most this.
    #[arg(long)]
    mse: Option<f64>,
}

#[derive(Args)]
struct EncodeArgs {
    /// Input tensor.
    input: String,
    /// Output .t265 container.
    #[arg(short, long)]
    output: PathBuf,
    #[command(flatten)]
    codec: CodecArgs,
    #[command(flatten)]
    rate: RateArgs,
    /// Also write the raw Annex-B HEVC stream.
    #[arg(long)]
    hevc: Option<PathBuf>,
    /// Also write the reconstruction, planar 8-bit YUV 4:2:0 (luma only for 4:0:0), decode order.
    #[arg(long)]
    recon: Option<PathBuf>,
    /// Print the metrics as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutDtype {
    F32,
    F16,
    Bf16,
}

#[derive(Args)]
struct DecodeArgs {
    /// Input: a .t265 container or an Annex-B HEVC stream.
    input: PathBuf,
    /// Output .npy (for .t265 input).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Output dtype (default: the tensor's original dtype).
    #[arg(long, value_enum)]
    dtype: Option<OutDtype>,
    /// Write the decoded frames as planar 8-bit YUV (4:2:0, or luma only for 4:0:0), decode order.
    #[arg(long)]
    yuv: Option<PathBuf>,
}

#[derive(Args)]
struct EvalArgs {
    /// Input tensor (default: the embedded @minilm).
    #[arg(default_value = "@minilm")]
    input: String,
    #[command(flatten)]
    codec: CodecArgs,
    #[command(flatten)]
    rate: RateArgs,
    /// QPs of the sweeps (ours and x265).
    #[arg(long, value_delimiter = ',', default_value = "12,17,22,27,32,37,42")]
    sweep: Vec<u8>,
    /// x265 preset for the reference curve.
    #[arg(long, default_value = "medium")]
    x265_preset: String,
    /// Extra x265 arguments for the reference curve (e.g. "--tune psnr").
    #[arg(long, default_value = "", allow_hyphen_values = true)]
    x265_args: String,
    /// Skip x265 (no reference curve).
    #[arg(long)]
    no_x265: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Write an SVG plot of bits/value against MSE.
    #[arg(long)]
    plot: Option<PathBuf>,
}

#[derive(Args)]
struct VerilogArgs {
    #[arg(long)]
    config: Option<PathBuf>,
    /// Output directory.
    #[arg(long, default_value = "target/verilog")]
    out: PathBuf,
}

#[derive(Args)]
struct BenchArgs {
    /// Input tensor.
    #[arg(default_value = "@gauss:4352x1920:1")]
    input: String,
    #[arg(long, default_value_t = 27)]
    qp: u8,
    /// Largest frame WxH (bigger tensors become several frames).
    #[arg(long, default_value = "1920x1088")]
    frame: String,
    /// Repetitions (the best time counts).
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// Skip the (slow) RD strategy and x265 medium.
    #[arg(long)]
    no_rd: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct RunArgs {
    #[arg(long)]
    config: Option<PathBuf>,
    /// Output directory.
    #[arg(long, default_value = "target/tcgen-run")]
    out: PathBuf,
    /// Input tensor.
    #[arg(long, default_value = "@minilm")]
    input: String,
    /// Random TUs per transform in the cosimulation step.
    #[arg(long, default_value_t = 200)]
    cosim_vectors: u64,
    /// Skip the cosimulation step (Verilator).
    #[arg(long)]
    no_cosim: bool,
    /// Skip the area-energy report (yosys synthesis: about an hour for the default config
    /// the first time, cached under target/tcgen-synth/cache).
    #[arg(long)]
    no_report: bool,
    /// Liberty for the area-energy report (default: ../shared/asap7 when present).
    #[arg(long)]
    liberty: Option<PathBuf>,
}

pub(crate) fn load_params(c: &CodecArgs) -> Result<Params> {
    let mut p = match &c.config {
        Some(f) => Params::from_toml_str(&std::fs::read_to_string(f).with_context(|| format!("reading config {}", f.display()))?)?,
        None => Params::default(),
    };
    if let Some(s) = c.strategy {
        p.encoder.strategy = match s {
            Strategy::Rd => StrategyKind::Rd,
            Strategy::Hw => StrategyKind::Hw,
        };
    }
    if let Some(seed) = c.rotate {
        p.quant.rotate_seed = Some(seed);
    }
    p.validate()?;
    Ok(p)
}

fn target(r: &RateArgs, p: &Params) -> RateTarget {
    if let Some(q) = r.qp {
        RateTarget::Qp(q)
    } else if let Some(b) = r.bits_per_value {
        RateTarget::BitsPerValue(b)
    } else if let Some(m) = r.mse {
        RateTarget::Mse(m)
    } else {
        RateTarget::Qp(p.encoder.qp)
    }
}

/// Write a file whole: to a temporary name beside it, then rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!("{}.tmp", path.extension().and_then(|e| e.to_str()).unwrap_or("")));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}

fn encode(a: EncodeArgs) -> Result<()> {
    let p = load_params(&a.codec)?;
    let t = golden::sample::load(&a.input, a.codec.tensor.as_deref()).with_context(|| format!("loading {}", a.input))?;
    let r = pipeline::encode_tensor(&t, &p, target(&a.rate, &p))?;
    // everything computed: now write the outputs
    let mut recon = Vec::new();
    if a.recon.is_some() {
        let (w, h) = (r.header.layout.frame_width as usize, r.header.layout.frame_height as usize);
        recon = match p.bitstream.chroma {
            ChromaFormat::Yuv420 => golden::tools::yuv420_flat(&r.encoded.recon, w, h),
            ChromaFormat::Yuv400 => r.encoded.recon.concat(),
        };
    }
    write_atomic(&a.output, &r.container)?;
    if let Some(h) = &a.hevc {
        write_atomic(h, &r.encoded.annexb)?;
    }
    if let Some(y) = &a.recon {
        write_atomic(y, &recon)?;
    }
    let m = &r.metrics;
    if a.json {
        let v = serde_json::json!({"metrics": m, "target_met": r.target_met, "layout": r.header.layout, "frames": r.encoded.frames});
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "{}: {} values, QP {}, {:.4} bits/value (stream), {:.4} (container), mse_int8 {:.4}, mse_float {:.3e}, max_abs_err {:.3e}{}",
            a.output.display(),
            m.values,
            m.qp,
            m.bits_per_value,
            m.bits_per_value_container,
            m.mse_int8,
            m.mse_float,
            m.max_abs_err,
            if r.target_met { "" } else { " (target not met)" }
        );
    }
    Ok(())
}

pub(crate) fn tool_version(cmd: &str, arg: &str) -> String {
    std::process::Command::new(cmd)
        .arg(arg)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or("").trim().to_string())
        .unwrap_or_else(|| "not found".into())
}

pub(crate) fn git_hash() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn verilog(a: VerilogArgs) -> Result<()> {
    let codec = CodecArgs { config: a.config.clone(), strategy: None, rotate: None, tensor: None };
    let p = load_params(&codec)?;
    let blocks = hw::all_modules(&p).map_err(|e| anyhow::anyhow!(e))?;
    if let Err(why) = hw::enc_core::check(&p) {
        eprintln!("note: no encoder core (search, enc_core) for this config: {why}");
    }
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let mut filelist = String::new();
    for b in &blocks {
        let f = a.out.join(format!("{}.v", b.name));
        write_atomic(&f, b.verilog.as_bytes())?;
        filelist += &format!("{}\n", std::fs::canonicalize(&f)?.display());
    }
    write_atomic(&a.out.join("tcgen.f"), filelist.as_bytes())?;
    let manifest = serde_json::json!({
        "tool": format!("tcgen {}", env!("CARGO_PKG_VERSION")),
        "git": git_hash(),
        "rust_hdl": "0.46.0",
        "verilator": tool_version("verilator", "--version"),
        "yosys": tool_version("yosys", "-V"),
        "blocks": blocks.iter().map(|b| b.name.clone()).collect::<Vec<_>>(),
        "config_toml": p.to_toml_string(),
    });
    write_atomic(&a.out.join("manifest.json"), serde_json::to_string_pretty(&manifest)?.as_bytes())?;
    println!("wrote {} block(s), tcgen.f and manifest.json to {}", blocks.len(), a.out.display());
    Ok(())
}

fn decode(a: DecodeArgs) -> Result<()> {
    use golden::tensor::{npy, DType};
    let bytes = std::fs::read(&a.input).with_context(|| format!("reading {}", a.input.display()))?;
    let is_container = bytes.starts_with(golden::container::MAGIC);
    if is_container {
        let r = golden::pipeline::decode_container(&bytes).with_context(|| format!("decoding {}", a.input.display()))?;
        let Some(out) = &a.output else { bail!("decoding a .t265 needs -o OUT.npy") };
        let dtype = match a.dtype {
            None => r.header.dtype,
            Some(OutDtype::F32) => DType::F32,
            Some(OutDtype::F16) => DType::F16,
            Some(OutDtype::Bf16) => DType::BF16,
        };
        let npy = npy::npy_bytes(&r.header.shape, &r.values, dtype)?;
        if let Some(y) = &a.yuv {
            // the frames as well, re-decoded from the container's stream
            let (_, stream) = golden::container::read(&bytes)?;
            let pics = golden::decoder::decode(stream)?;
            write_atomic(y, &pics.iter().flat_map(|p| p.to_yuv()).collect::<Vec<u8>>())?;
        }
        write_atomic(out, &npy)?;
        println!("{}: shape {:?}, {} -> {}", a.input.display(), r.header.shape, dtype.name(), out.display());
    } else {
        let pics = golden::decoder::decode(&bytes).with_context(|| format!("decoding {}", a.input.display()))?;
        let Some(y) = &a.yuv else { bail!("decoding a bare HEVC stream needs --yuv OUT.yuv") };
        write_atomic(y, &pics.iter().flat_map(|p| p.to_yuv()).collect::<Vec<u8>>())?;
        println!("{}: {} picture(s) {}x{} -> {}", a.input.display(), pics.len(), pics[0].width, pics[0].height, y.display());
    }
    Ok(())
}

struct EvalOut {
    json: serde_json::Value,
    text: String,
}

#[allow(clippy::too_many_arguments)]
fn eval_inner(input: &str, codec: &CodecArgs, rate: &RateArgs, sweep: &[u8], preset: &str, x265_args: &str, no_x265: bool, plot_path: Option<&Path>) -> Result<EvalOut> {
    let p = load_params(codec)?;
    let t = golden::sample::load(input, codec.tensor.as_deref()).with_context(|| format!("loading {input}"))?;
    let prep = pipeline::prepare(&t, &p)?;
    let r = pipeline::encode_prepared(&prep, &p, target(rate, &p))?;
    let strat = match p.encoder.strategy {
        StrategyKind::Rd => "rd",
        StrategyKind::Hw => "hw",
    };
    let ours = eval::our_sweep(&prep, &p, sweep, &format!("tcgen {strat}"))?;
    let mut curves = vec![ours.clone()];
    let mut ratio = serde_json::Value::Null;
    let mut text = format!(
        "{input}: {}x{} -> {} frame(s) of {}x{}\n{} at QP {}: {:.4} bits/value, mse_int8 {:.4}, mse_float {:.4e}, max_abs_err {:.4e}\n",
        prep.rows, prep.cols, prep.layout.frames, prep.layout.frame_width, prep.layout.frame_height, ours.name, r.metrics.qp, r.metrics.bits_per_value, r.metrics.mse_int8, r.metrics.mse_float, r.metrics.max_abs_err
    );
    if !no_x265 {
        let extra: Vec<&str> = x265_args.split_whitespace().collect();
        let x = eval::x265_sweep(&prep, sweep, preset, &extra)?;
        let (pts, gm) = eval::ratio_at_equal_mse(&ours, &x);
        text += &format!("bits ratio vs {} at equal MSE: {}\n", x.name, gm.map_or("n/a (no overlap)".into(), |g| format!("{g:.3}")));
        ratio = serde_json::json!({"reference": x.name, "geomean": gm, "points": pts});
        curves.push(x);
    }
    // the memoryless references: ideal ECSQ and the Gaussian R(D) at each point's MSE
    let ecsq = eval::ecsq_curve(&prep);
    let mut vs_ecsq = serde_json::Map::new();
    for c in &curves {
        let (pts, gm) = eval::ratio_at_equal_mse(c, &ecsq);
        text += &format!("bits ratio of {} vs {} at equal MSE: {}\n", c.name, ecsq.name, gm.map_or("n/a".into(), |g| format!("{g:.3}")));
        vs_ecsq.insert(c.name.clone(), serde_json::json!({"geomean": gm, "points": pts}));
    }
    text += &format!("  {} (its hull points in the JSON) and the Gaussian R(D), at {}'s MSEs:\n", ecsq.name, ours.name);
    let var = eval::int8_variance(&prep);
    for pt in &ours.points {
        if let Some(b) = eval::bits_at_mse(&ecsq, pt.mse_int8) {
            text += &format!(
                "    {:>5} mse_int8 {:.4}  ECSQ bits/value {:.4} (ours {:.3}x)  gaussian R(D) {:.4}\n",
                pt.qp.map_or("-".into(), |q| format!("QP{q}")),
                pt.mse_int8,
                b,
                pt.bits_per_value / b,
                eval::gaussian_rd_bits(var, pt.mse_int8)
            );
        }
    }
    // keep the hull over the codecs' MSE range (plus a point either side), so the
    // plot's axis stays on it
    let (lo, hi) = eval::mse_range(&curves);
    let ecsq = ecsq.around(lo, hi);
    let listed = curves.len();
    curves.push(ecsq);
    curves.extend(eval::rtn_baselines(&prep));
    for (ci, c) in curves.iter().enumerate() {
        if ci == listed {
            continue; // the ECSQ hull: summarized above
        }
        text += &format!("  {}:\n", c.name);
        for pt in &c.points {
            text += &format!(
                "    {:>5} bits/value {:.4}  mse_int8 {:.4}  mse_float {:.4e}\n",
                pt.qp.map_or("-".into(), |q| format!("QP{q}")),
                pt.bits_per_value,
                pt.mse_int8,
                pt.mse_float
            );
        }
    }
    if let Some(pp) = plot_path {
        let svg = plot::rd_plot(&format!("{input}: bits/value vs MSE"), &curves)?;
        write_atomic(pp, svg.as_bytes())?;
    }
    let json = serde_json::json!({
        "input": input,
        "shape": prep.shape,
        "layout": prep.layout,
        "bits_per_value": r.metrics.bits_per_value,
        "mse_int8": r.metrics.mse_int8,
        "mse_float": r.metrics.mse_float,
        "max_abs_err": r.metrics.max_abs_err,
        "metrics": r.metrics,
        "curves": curves,
        "ratio_vs_x265": ratio,
        "ratio_vs_ideal_ecsq": vs_ecsq,
    });
    Ok(EvalOut { json, text })
}

fn eval_cmd(a: EvalArgs) -> Result<()> {
    let o = eval_inner(&a.input, &a.codec, &a.rate, &a.sweep, &a.x265_preset, &a.x265_args, a.no_x265, a.plot.as_deref())?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&o.json)?);
    } else {
        print!("{}", o.text);
    }
    Ok(())
}

fn run(a: RunArgs) -> Result<()> {
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let mut report = serde_json::Map::new();
    report.insert("version".into(), 1.into());
    report.insert("tool".into(), format!("tcgen {}", env!("CARGO_PKG_VERSION")).into());
    for strat in [Strategy::Rd, Strategy::Hw] {
        let codec = CodecArgs { config: a.config.clone(), strategy: Some(strat), rotate: None, tensor: None };
        let name = match strat {
            Strategy::Rd => "rd",
            Strategy::Hw => "hw",
        };
        let rate = RateArgs { qp: None, bits_per_value: None, mse: None };
        let o = eval_inner(&a.input, &codec, &rate, &[17, 22, 27, 32, 37], "medium", "", false, Some(&a.out.join(format!("rd_curve_{name}.svg"))))?;
        print!("{}", o.text);
        report.insert(format!("eval_{name}"), o.json);
    }
    verilog(VerilogArgs { config: a.config.clone(), out: a.out.join("verilog") })?;
    report.insert("verilog_dir".into(), a.out.join("verilog").display().to_string().into());
    if !a.no_cosim {
        let p = load_params(&CodecArgs { config: a.config.clone(), strategy: None, rotate: None, tensor: None })?;
        let frames = sim::blocks::tensor_frames(&a.input, &p)?;
        let mut results = Vec::new();
        let mut bad = 0;
        for block in sim::blocks::BENCHED {
            let run = sim::CosimRun {
                sets: vec![
                    sim::StimSet::KnownAnswer,
                    sim::StimSet::Random { per_size: a.cosim_vectors, only: None },
                    sim::StimSet::Tensor { frames: frames.clone(), limit: a.cosim_vectors },
                ],
                timing: sim::tb::Timing::default(),
                build: sim::BuildOptions::default(),
                trace: None,
            };
            eprintln!("cosim {block} (Verilator build, cached under target/tcgen-sim) ...");
            let r = sim::cosim(block, &p, &run)?;
            for (name, s) in &r.sets {
                println!(
                    "cosim {block:<9} {name:<32} {} {} units, {} cycles, {:.3} samples/cycle, {} mismatches",
                    if s.mismatches == 0 { "PASS" } else { "FAIL" },
                    s.units,
                    s.cycles,
                    s.samples_per_cycle,
                    s.mismatches
                );
            }
            bad += r.mismatches();
            results.push(serde_json::to_value(&r)?);
        }
        report.insert("cosim".into(), results.into());
        // the decoder core on the input tensor, encoded with the config
        eprintln!("cosim the decoder core on {} (Verilator build, cached under target/tcgen-sim) ...", a.input);
        let core_args = cosim::CosimArgs {
            block: None,
            core: Some("decoder".into()),
            config: a.config.clone(),
            vectors: 0,
            seed: 1,
            tensor: a.input.clone(),
            no_known: true,
            backpressure: false,
            trace: None,
            vcd: None,
            toggles: None,
            json: false,
            input: None,
            engines: None,
            frames: None,
            qp: None,
        };
        report.insert("cosim_core".into(), cosim::run_core(&core_args, p.clone())?);
        // the encoder core on the input tensor (golden's hardware strategy)
        if hw::enc_core::check(&p).is_ok() {
            eprintln!("cosim the encoder core on {} (Verilator build, cached under target/tcgen-sim) ...", a.input);
            let enc_args = cosim::CosimArgs { core: Some("encoder".into()), frames: Some(1), ..core_args };
            report.insert("cosim_encoder_core".into(), cosim::run_core(&enc_args, p.clone())?);
        }
        if bad > 0 {
            let path = a.out.join("report.json");
            write_atomic(&path, serde_json::to_string_pretty(&serde_json::Value::Object(report))?.as_bytes())?;
            bail!("cosimulation: {bad} mismatches against golden/ (report {})", path.display());
        }
    }
    if !a.no_report {
        let ra = report::ReportArgs {
            config: a.config.clone(),
            liberty: a.liberty.clone(),
            no_liberty: false,
            node: "asap7".into(),
            input: a.input.clone(),
            vectors: a.cosim_vectors,
            qps: vec![17, 22, 27, 32, 37],
            gate_level_max_cells: 60_000,
            activity: "gate".into(),
            out: a.out.join("area_energy"),
            quick_build: false,
            core_parts: true,
            // the default config's transforms (P 4, TU 32: 565k cells) would add about
            // an hour of ABC the first time: `tcgen report --timing` on a smaller config
            timing: false,
        };
        report.insert("area_energy".into(), report::report(&ra)?);
    }
    let path = a.out.join("report.json");
    write_atomic(&path, serde_json::to_string_pretty(&serde_json::Value::Object(report))?.as_bytes())?;
    println!("wrote {}", path.display());
    Ok(())
}

/// Where synthesis results are kept between runs (`TCGEN_SYNTH_CACHE` overrides):
/// the default config's transform blocks take tens of minutes in yosys.
pub(crate) fn synth_cache() -> PathBuf {
    std::env::var_os("TCGEN_SYNTH_CACHE").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("target/tcgen-synth/cache"))
}

fn parse_wxh(s: &str) -> Result<(u32, u32)> {
    let (w, h) = s.split_once('x').ok_or_else(|| anyhow::anyhow!("expected WxH, got {s}"))?;
    Ok((w.parse()?, h.parse()?))
}

fn main() {
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::Encode(a) => encode(a),
        Cmd::Eval(a) => eval_cmd(a),
        Cmd::Decode(a) => decode(a),
        Cmd::Verilog(a) => verilog(a),
        Cmd::Cosim(a) => cosim::run(a),
        Cmd::Synth(a) => cosim::synth(a),
        Cmd::Bench(a) => parse_wxh(&a.frame).and_then(|f| bench::run(&a.input, a.qp, a.reps, f, a.no_rd)).and_then(|r| {
            if a.json {
                println!("{}", serde_json::to_string_pretty(&r.json)?);
            } else {
                print!("{}", r.text);
            }
            Ok(())
        }),
        Cmd::Config => {
            print!("{}", Params::default().to_toml_string());
            Ok(())
        }
        Cmd::Gpu(GpuCmd::Check(a)) => gpu::check(&a).map(|_| ()),
        Cmd::Run(a) => run(a),
        Cmd::Report(a) => report::report(&a).map(|_| ()),
    };
    if let Err(e) = r {
        eprintln!("tcgen: error: {e:#}");
        std::process::exit(1);
    }
}

#[allow(dead_code)]
fn _unused() -> Result<()> {
    bail!("")
}
