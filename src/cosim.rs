//! `tcgen cosim`: one block's Verilog in Verilator against golden/.

use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct CosimArgs {
    /// Block (module and file name that `tcgen verilog` writes): dequant, fwd_tq, inv_tq,
    /// cabac_dec, cabac_enc, res_dec, intra_pred, syn_dec, res_enc, satd, syn_enc (the
    /// encoder's slice-data writer, on the CU decisions of --input or of --tensor
    /// encoded with the hardware strategy).
    #[arg(long, required_unless_present = "core", conflicts_with = "core")]
    pub block: Option<String>,
    /// A whole core instead of a block: `decoder` (dec_core: slice data in, pictures
    /// out) on --input, or on --tensor encoded with the config's encoder and QP; every
    /// picture is compared with golden's decoder. `encoder` (enc_core: original samples
    /// in, slice data and reconstruction out) on the tensor --input (or --tensor) at the
    /// config's QP: every byte against golden's hardware strategy, every reconstructed
    /// sample against golden's, and the stream with the core's slice data decoded by
    /// ffmpeg.
    #[arg(long, value_parser = ["decoder", "encoder"])]
    pub core: Option<String>,
    /// --core encoder: code at most N pictures of the tensor.
    #[arg(long)]
    pub frames: Option<usize>,
    /// --core decoder / encoder: the QP (default: encoder.qp of the config).
    #[arg(long)]
    pub qp: Option<u8>,
    /// Configuration file (TOML); missing fields take the embedded defaults.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Random TUs per transform (DST 4x4, DCT 4..max TU); dequant: random TUs of levels;
    /// cabac_dec, cabac_enc: random substreams of up to 3000 bins; res_dec: random TUs
    /// per size 4..32 with single bins between them (samples/cycle = bins/cycle);
    /// syn_dec: up to 4 random matrices (streams of golden's encoder; tensor frames up
    /// to this many).
    #[arg(long, default_value_t = 1000)]
    pub vectors: u64,
    /// Seed of the random stimulus and of the handshake timing.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Tensor whose int8 frames give real blocks (path or built-in); "none" to skip.
    #[arg(long, default_value = "@minilm")]
    pub tensor: String,
    /// Skip the known-answer set.
    #[arg(long)]
    pub no_known: bool,
    /// Random idle input cycles and output backpressure (each 1/4 of cycles).
    #[arg(long)]
    pub backpressure: bool,
    /// Record a VCD of cycles FROM..TO (to --vcd, default target/tcgen-cosim/<block>.vcd).
    #[arg(long, value_name = "FROM..TO")]
    pub trace: Option<String>,
    #[arg(long)]
    pub vcd: Option<PathBuf>,
    /// Write per-signal toggle counts (transitions summed over each signal's bits) as JSON to this file.
    #[arg(long)]
    pub toggles: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// A stream to decode instead of the stimulus sets (syn_dec, syn_enc and --core decoder):
    /// FILE.t265 (tcgen's container) or FILE.hevc (Annex-B); the block or core is
    /// generated for the stream's CTU size (and the core for its largest TB and width).
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// With --input: also report K syntax decoders working on the stream's slices
    /// (default: rtl.cabac_engines of the config).
    #[arg(long)]
    pub engines: Option<usize>,
}

/// The Annex-B stream of FILE.t265 or FILE.hevc.
fn read_stream(input: &std::path::Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(input).with_context(|| format!("reading {}", input.display()))?;
    Ok(if bytes.starts_with(golden::container::MAGIC) { golden::container::read(&bytes).with_context(|| format!("{}", input.display()))?.1.to_vec() } else { bytes })
}

/// `--block syn_enc`: the encoder core's slice-data writer on the CU decisions of a
/// stream of golden's hardware strategy (--input, or --tensor encoded with the config,
/// strategy hw): every byte of every slice's data against golden's.
fn run_writer(a: &CosimArgs, mut p: golden::Params) -> Result<()> {
    if a.engines.is_some() || a.trace.is_some() || a.toggles.is_some() {
        bail!("--block syn_enc takes --input or --tensor, --config, --seed, --backpressure and --json (not --engines, --trace, --toggles)");
    }
    p.encoder.strategy = golden::config::StrategyKind::Hw;
    let (name, annexb) = match &a.input {
        Some(input) => (input.display().to_string(), read_stream(input)?),
        None => {
            if a.tensor == "none" {
                bail!("--block syn_enc needs --input FILE or a --tensor to encode");
            }
            let t = golden::sample::load(&a.tensor, None).with_context(|| format!("tensor {}", a.tensor))?;
            let enc = golden::pipeline::encode_tensor(&t, &p, golden::pipeline::RateTarget::Qp(p.encoder.qp)).with_context(|| format!("encoding {}", a.tensor))?;
            (format!("{} (hw QP {})", a.tensor, p.encoder.qp), enc.encoded.annexb)
        }
    };
    let sl = golden::decoder::slices(&annexb).with_context(|| format!("{name}: not a decodable HEVC stream"))?;
    let first = sl.first().ok_or_else(|| anyhow::anyhow!("{name}: no slices"))?;
    p.bitstream.ctu_size = 1 << first.sps.log2_ctb;
    p.bitstream.max_tu_size = 1 << first.sps.log2_max_tb;
    let (slices, bins) = sim::syn_enc::slices(&annexb).with_context(|| format!("{name}: not a stream the slice-data writer takes"))?;
    let m = hw::block("syn_enc", &p).map_err(|e| anyhow::anyhow!(e))?;
    let mut model = sim::Model::new(&m, &sim::BuildOptions::default())?;
    let samples: u64 = slices.iter().flat_map(|s| s.cus.iter()).map(|c| 1u64 << (2 * c.log2)).sum();
    let r = sim::syn_enc::run(&mut model, &slices, p.rtl.samples_per_cycle as usize, if a.backpressure { 64 } else { 0 }, a.seed, 1_000_000 + 400 * samples)?;
    let ok = r.mismatches == 0 && !r.errored;
    if a.json {
        println!("{}", serde_json::json!({ "block": "syn_enc", "input": name, "pass": ok, "ctu_size": p.bitstream.ctu_size, "max_tu_size": p.bitstream.max_tu_size, "report": r, "bins": bins, "samples_per_cycle": r.samples_per_cycle(), "bins_per_cycle": bins as f64 / r.cycles.max(1) as f64 }));
    } else {
        println!(
            "syn_enc (CTU {}, TU up to {}, {} level lane(s)): {name}: {} {} slice(s), {} CUs, {} samples, {} bytes, {} cycles: {:.3} samples/cycle, {} bins = {:.3} bins/cycle, mismatches {}{}, {:.2} M cycles/s",
            p.bitstream.ctu_size,
            p.bitstream.max_tu_size,
            p.rtl.samples_per_cycle,
            if ok { "PASS" } else { "FAIL" },
            r.slices,
            r.cus,
            r.samples,
            r.bytes,
            r.cycles,
            r.samples_per_cycle(),
            bins,
            bins as f64 / r.cycles.max(1) as f64,
            r.mismatches,
            if r.errored { ", err raised" } else { "" },
            r.cycles as f64 / r.wall_seconds.max(1e-9) / 1e6
        );
        if let Some(m) = &r.first_mismatch {
            println!("    first mismatch: {m}");
        }
    }
    if !ok {
        bail!("syn_enc: {name}: {} mismatches against golden/{}", r.mismatches, if r.errored { ", err raised" } else { "" });
    }
    Ok(())
}

/// `--core decoder`: a stream through the decoder core against golden's pictures;
/// prints the result (JSON with `--json`), returns it as JSON, fails on any mismatch.
pub fn run_core(a: &CosimArgs, mut p: golden::Params) -> Result<serde_json::Value> {
    if let Some(q) = a.qp {
        p.encoder.qp = q;
    }
    if a.core.as_deref() == Some("encoder") {
        return run_enc_core(a, p);
    }
    if a.frames.is_some() {
        bail!("--frames is for --core encoder");
    }
    if a.engines.is_some() || a.trace.is_some() || a.toggles.is_some() {
        bail!("--core decoder takes --input or --tensor, --config, --seed, --backpressure and --json (not --engines, --trace, --toggles)");
    }
    let (name, annexb) = match &a.input {
        Some(input) => (input.display().to_string(), read_stream(input)?),
        None => {
            if a.tensor == "none" {
                bail!("--core decoder needs --input FILE or a --tensor to encode");
            }
            let t = golden::sample::load(&a.tensor, None).with_context(|| format!("tensor {}", a.tensor))?;
            let enc = golden::pipeline::encode_tensor(&t, &p, golden::pipeline::RateTarget::Qp(p.encoder.qp)).with_context(|| format!("encoding {}", a.tensor))?;
            (format!("{} ({:?} QP {})", a.tensor, p.encoder.strategy, p.encoder.qp), enc.encoded.annexb)
        }
    };
    let s = sim::dec_core::stream(&annexb).with_context(|| format!("{name}: not a stream the decoder core takes"))?;
    p.bitstream.ctu_size = 1 << s.log2_ctb;
    p.bitstream.max_tu_size = p.bitstream.max_tu_size.max(1 << s.log2_max_tb).min(p.bitstream.ctu_size);
    let widest = s.geometry.iter().map(|g| g.0 as u32).max().unwrap_or(0);
    p.tiling.max_frame_width = p.tiling.max_frame_width.max(widest);
    // several cores (rtl.decoder_cores > 1): dec_multi, slices of whole CTU rows
    let multi = p.rtl.decoder_cores > 1;
    if multi {
        sim::dec_core::multi_check(&s).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    }
    let top = if multi { "dec_multi" } else { "dec_core" };
    let m = hw::block(top, &p).map_err(|e| anyhow::anyhow!(e))?;
    let mut model = sim::Model::new(&m, &sim::BuildOptions::default())?;
    let samples: u64 = s.geometry.iter().map(|g| (g.0 * g.1) as u64).sum();
    let stall = if a.backpressure { 64 } else { 0 };
    let r = if multi { sim::dec_core::run_multi(&mut model, &s, stall, a.seed, 1_000_000 + 400 * samples)? } else { sim::dec_core::run(&mut model, &s, stall, a.seed, 1_000_000 + 400 * samples)? };
    let ok = r.mismatches == 0 && !r.errored && !r.truncated && r.pictures as usize == s.pictures.len();
    let spc = r.samples_per_cycle();
    let rate = r.cycles as f64 / r.wall_seconds.max(1e-9);
    let j = serde_json::json!({ "core": "decoder", "input": name, "pass": ok, "ctu_size": p.bitstream.ctu_size, "max_tu_size": p.bitstream.max_tu_size, "samples_per_cycle_rtl": p.rtl.samples_per_cycle, "max_frame_width": p.tiling.max_frame_width, "decoder_cores": p.rtl.decoder_cores, "report": r, "samples_per_cycle": spc, "bins_per_sample": r.bins as f64 / r.samples.max(1) as f64, "bins_per_cycle": r.bins as f64 / r.cycles.max(1) as f64, "verilator_cycles_per_second": rate, "verilator_values_per_second": rate * spc });
    if a.json {
        println!("{j}");
    } else {
        println!(
            "{top} (CTU {}, TU up to {}, {} residual lane(s), width up to {}{}): {name}: {} {} slice(s), {} picture(s), {} samples, {} cycles: {:.3} samples/cycle, {} bins = {:.2} bins/sample, {:.3} bins/cycle, mismatches {}{}{}",
            p.bitstream.ctu_size,
            p.bitstream.max_tu_size,
            p.rtl.samples_per_cycle,
            p.tiling.max_frame_width,
            match (multi, p.rtl.decoder_shared_backend) {
                (false, _) => String::new(),
                (true, false) => format!(", {} cores", p.rtl.decoder_cores),
                (true, true) => format!(", {} fronts sharing one inv_tq and intra_pred{}", p.rtl.decoder_cores, if p.bitstream.slice_rows == 1 { ", no line buffers" } else { "" }),
            },
            if ok { "PASS" } else { "FAIL" },
            r.slices,
            r.pictures,
            r.samples,
            r.cycles,
            spc,
            r.bins,
            r.bins as f64 / r.samples.max(1) as f64,
            r.bins as f64 / r.cycles.max(1) as f64,
            r.mismatches,
            if r.errored { ", err raised" } else { "" },
            if r.truncated { ", stream ended inside a picture" } else { "" }
        );
        if let Some(m) = &r.first_mismatch {
            println!("    first mismatch: {m}");
        }
        let per_pic: Vec<u64> = r.picture_done.iter().scan(0, |prev, &c| { let d = c - *prev; *prev = c; Some(d) }).collect();
        println!("  cycles per picture {per_pic:?}; Verilator {:.2} M cycles/s = {:.2} M values/s", rate / 1e6, rate * spc / 1e6);
    }
    if !ok {
        bail!("{top}: {name}: {} mismatches against golden/{}{}", r.mismatches, if r.errored { ", err raised" } else { "" }, if r.truncated { ", stream ended inside a picture" } else { "" });
    }
    Ok(j)
}

/// `--core encoder`: a tensor through the encoder core against golden's hardware
/// strategy; prints the result (JSON with `--json`), returns it as JSON, fails on any
/// mismatch.
pub fn run_enc_core(a: &CosimArgs, p: golden::Params) -> Result<serde_json::Value> {
    if a.engines.is_some() || a.trace.is_some() || a.toggles.is_some() {
        bail!("--core encoder takes --input TENSOR or --tensor, --frames, --qp, --config, --seed, --backpressure and --json (not --engines, --trace, --toggles)");
    }
    let spec = match &a.input {
        Some(i) => i.display().to_string(),
        None if a.tensor != "none" => a.tensor.clone(),
        None => bail!("--core encoder needs a tensor: --input TENSOR (.npy, .safetensors) or --tensor"),
    };
    let multi = p.rtl.encoder_cores > 1;
    let (top, lanes) = if multi { ("enc_multi", p.rtl.encoder_cores) } else { ("enc_core", p.rtl.cabac_engines) };
    if multi {
        hw::enc_multi::check(&p)
    } else {
        hw::enc_core::check(&p)
    }
    .map_err(|e| anyhow::anyhow!("the encoder core cannot be generated for this config: {e}"))?;
    let t = golden::sample::load(&spec, None).with_context(|| format!("tensor {spec}"))?;
    let qp = p.encoder.qp;
    let job = sim::enc_core::job(&t, &p, qp, a.frames).with_context(|| format!("{spec}: golden's hardware strategy"))?;
    let m = hw::block(top, &p).map_err(|e| anyhow::anyhow!(e))?;
    let mut model = sim::Model::new(&m, &sim::BuildOptions::default())?;
    let samples = (job.width * job.height * job.frames.len()) as u64;
    let r = sim::enc_core::run(&mut model, &job, lanes as usize, if a.backpressure { 64 } else { 0 }, a.seed, 2_000_000 + 2_000 * samples)?;
    let mut ok = r.mismatches == 0 && !r.errored;
    // the stream with the core's slice data, decoded by ffmpeg
    let mut ffmpeg = serde_json::Value::Null;
    if ok {
        let stream = sim::enc_core::assemble(&job, &r.slice_bytes)?;
        let chroma = p.bitstream.chroma == golden::config::ChromaFormat::Yuv420;
        let same = sim::enc_core::decodes_to_golden(&job, &stream, chroma, false)?;
        ok &= same;
        ffmpeg = serde_json::json!({ "stream_bytes": stream.len(), "decodes_to_golden_reconstruction": same });
    }
    let spc = r.samples_per_cycle();
    let rate = r.cycles as f64 / r.wall_seconds.max(1e-9);
    let name = format!("{spec} (hw QP {qp})");
    let j = serde_json::json!({ "core": "encoder", "input": name, "pass": ok, "ctu_size": p.bitstream.ctu_size, "cu_size": p.encoder.hw.cu_size, "modes": p.encoder.hw.modes, "max_tu_size": p.bitstream.max_tu_size, "samples_per_cycle_rtl": p.rtl.samples_per_cycle, "cabac_engines": p.rtl.cabac_engines, "encoder_cores": p.rtl.encoder_cores, "report": r, "samples_per_cycle": spc, "bits_per_sample": 8.0 * r.bytes as f64 / r.samples.max(1) as f64, "bins_per_sample": r.bins as f64 / r.samples.max(1) as f64, "bins_per_cycle": r.bins as f64 / r.cycles.max(1) as f64, "ffmpeg": ffmpeg, "verilator_cycles_per_second": rate, "verilator_values_per_second": rate * spc });
    if a.json {
        println!("{j}");
    } else {
        println!(
            "{top} (CTU {}, CUs of {}, {} mode(s), TU up to {}, {} lane(s), {} entropy engine(s), {} core(s)): {name}: {} {} picture(s), {} slice(s), {} CUs, {} samples, {} bytes ({:.3} bits/sample), {} cycles: {:.3} samples/cycle, {} bins = {:.3} bins/cycle, mismatches {}{}",
            p.bitstream.ctu_size,
            p.encoder.hw.cu_size,
            p.encoder.hw.modes.len(),
            p.bitstream.max_tu_size,
            p.rtl.samples_per_cycle,
            p.rtl.cabac_engines,
            p.rtl.encoder_cores,
            if ok { "PASS" } else { "FAIL" },
            r.pictures,
            r.slices,
            r.cus,
            r.samples,
            r.bytes,
            8.0 * r.bytes as f64 / r.samples.max(1) as f64,
            r.cycles,
            spc,
            r.bins,
            r.bins as f64 / r.cycles.max(1) as f64,
            r.mismatches,
            if r.errored { ", err raised" } else { "" }
        );
        if let Some(m) = &r.first_mismatch {
            println!("    first mismatch: {m}");
        }
        if !ffmpeg.is_null() {
            println!("  ffmpeg decodes the stream with the core's slice data to golden's reconstruction: {}", ffmpeg["decodes_to_golden_reconstruction"]);
        }
        println!("  Verilator {:.2} M cycles/s = {:.2} M values/s", rate / 1e6, rate * spc / 1e6);
    }
    if !ok {
        bail!("enc_core: {name}: {} mismatches against golden/{}", r.mismatches, if r.errored { ", err raised" } else { "" });
    }
    Ok(j)
}

/// `--input`: one stream through the syntax decoder against golden's records.
fn run_stream(a: &CosimArgs, mut p: golden::Params, block: &str, input: &std::path::Path) -> Result<()> {
    if block != "syn_dec" {
        bail!("--input takes a stream: only the syntax decoder (--block syn_dec) and the decoder core (--core decoder) decode streams; `{block}` runs on stimulus sets");
    }
    let bytes = read_stream(input)?;
    let stream: &[u8] = &bytes;
    let sl = golden::decoder::slices(stream).with_context(|| format!("{}: not a decodable HEVC stream", input.display()))?;
    let first = sl.first().ok_or_else(|| anyhow::anyhow!("{}: no slices", input.display()))?;
    p.bitstream.ctu_size = 1 << first.sps.log2_ctb;
    let m = hw::block("syn_dec", &p).map_err(|e| anyhow::anyhow!(e))?;
    let mut model = sim::Model::new(&m, &sim::BuildOptions::default())?;
    let name = input.display().to_string();
    let (r, bins, samples, slice_cycles) = sim::syn_dec::run_streams_sliced(&mut model, &[(name.clone(), stream.to_vec())], a.seed)?;
    let k = a.engines.unwrap_or(p.rtl.cabac_engines as usize).max(1);
    let span = sim::syn_dec::makespan(&slice_cycles, k);
    if a.json {
        println!(
            "{}",
            serde_json::json!({ "report": r, "bins": bins, "samples": samples, "ctu_size": p.bitstream.ctu_size, "slice_cycles": slice_cycles, "engines": k, "makespan_cycles": span, "samples_per_cycle_engines": samples as f64 / span.max(1) as f64 })
        );
    } else {
        println!(
            "syn_dec (CTU {}): {name}: {} {} slices, {} records, {} levels, {} cycles, {:.3} samples/cycle, {} bins = {:.2} bins/sample, {:.3} bins/cycle, mismatches {}, {:.2} M cycles/s",
            p.bitstream.ctu_size,
            if r.mismatches == 0 { "PASS" } else { "FAIL" },
            r.units,
            r.beats_in,
            r.beats_out,
            r.cycles,
            r.samples_per_cycle,
            bins,
            bins as f64 / samples.max(1) as f64,
            bins as f64 / r.cycles.max(1) as f64,
            r.mismatches,
            r.cycles_per_second / 1e6
        );
        if let Some(m) = &r.first_mismatch {
            println!("    first mismatch: {m}");
        }
        println!(
            "  {k} engine(s) on {} slice(s): {span} cycles, {:.3} samples/cycle ({:.2}x one engine)",
            slice_cycles.len(),
            samples as f64 / span.max(1) as f64,
            slice_cycles.iter().sum::<u64>() as f64 / span.max(1) as f64
        );
    }
    if r.mismatches > 0 {
        bail!("syn_dec: {} mismatches against golden/ on {name}", r.mismatches);
    }
    Ok(())
}

pub fn run(a: CosimArgs) -> Result<()> {
    let p = crate::load_params(&crate::CodecArgs { config: a.config.clone(), strategy: None, rotate: None, tensor: None })?;
    if a.core.is_some() {
        return run_core(&a, p).map(|_| ());
    }
    let block = a.block.clone().unwrap_or_default();
    if block == "syn_enc" {
        return run_writer(&a, p);
    }
    if !sim::blocks::BENCHED.contains(&block.as_str()) {
        bail!("unknown block `{block}`: the blocks are {}, syn_enc", sim::blocks::BENCHED.join(", "));
    }
    if let Some(input) = &a.input {
        return run_stream(&a, p, &block, input);
    }
    let mut sets = Vec::new();
    if !a.no_known {
        sets.push(sim::StimSet::KnownAnswer);
    }
    if a.vectors > 0 {
        sets.push(sim::StimSet::Random { per_size: a.vectors, only: None });
    }
    if a.tensor != "none" {
        let frames = sim::blocks::tensor_frames(&a.tensor, &p).with_context(|| format!("tensor {}", a.tensor))?;
        sets.push(sim::StimSet::Tensor { frames, limit: a.vectors.max(1) });
    }
    let trace = match &a.trace {
        None => None,
        Some(t) => {
            let (f, to) = t.split_once("..").ok_or_else(|| anyhow::anyhow!("--trace wants FROM..TO, got {t}"))?;
            let (f, to): (u64, u64) = (f.parse().context("--trace FROM")?, to.parse().context("--trace TO")?);
            if to <= f {
                bail!("--trace {t}: TO must be after FROM");
            }
            let path = a.vcd.clone().unwrap_or_else(|| PathBuf::from(format!("target/tcgen-cosim/{block}.vcd")));
            if let Some(d) = path.parent() {
                std::fs::create_dir_all(d)?;
            }
            Some((path, f, to))
        }
    };
    let timing = sim::tb::Timing {
        valid_256: if a.backpressure { 192 } else { 256 },
        ready_256: if a.backpressure { 192 } else { 256 },
        seed: a.seed,
        ..Default::default()
    };
    let build = sim::BuildOptions { trace: trace.is_some(), toggles: a.toggles.is_some(), quick_compile: false };
    let r = sim::cosim(&block, &p, &sim::CosimRun { sets, timing, build, trace: trace.clone() })?;
    if let Some(f) = &a.toggles {
        std::fs::write(f, serde_json::to_string_pretty(&r.toggles)?).with_context(|| format!("writing {}", f.display()))?;
    }
    let bad = r.mismatches();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        println!("{}: {} lane(s), TU up to {}x{}", r.block, r.lanes, r.max_tu, r.max_tu);
        for (name, s) in &r.sets {
            println!(
                "  {:<32} {} {:>9} units {:>10} beats {:>11} cycles  {:.3} samples/cycle  latency {}  mismatches {}  {:.2} M cycles/s",
                name,
                if s.mismatches == 0 { "PASS" } else { "FAIL" },
                s.units,
                s.beats_in,
                s.cycles,
                s.samples_per_cycle,
                s.first_latency.map(|l| l.to_string()).unwrap_or("-".into()),
                s.mismatches,
                s.cycles_per_second / 1e6
            );
            if let Some(m) = &s.first_mismatch {
                println!("    first mismatch: {m}");
            }
        }
        if let Some((path, f, t)) = &trace {
            println!("  VCD of cycles {f}..{t}: {}", path.display());
        }
        if let Some(f) = &a.toggles {
            println!("  toggle counts of {} signals: {}", r.toggles.len(), f.display());
        }
    }
    if bad > 0 {
        bail!("{block}: {bad} mismatches against golden/");
    }
    Ok(())
}

#[derive(Args)]
pub struct SynthArgs {
    /// Block name, or `all`.
    #[arg(long, default_value = "all")]
    pub block: String,
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Liberty for cell mapping (default: ../shared/asap7 when present).
    #[arg(long)]
    pub liberty: Option<PathBuf>,
    /// Generic synthesis only (cell count, no area).
    #[arg(long)]
    pub no_liberty: bool,
    /// Work directory.
    #[arg(long, default_value = "target/tcgen-synth")]
    pub out: PathBuf,
    #[arg(long)]
    pub json: bool,
    /// Also estimate each block's critical path on the liberty (ABC's static timing
    /// after delay-oriented mapping, buffering and sizing to the config's
    /// `rtl.clock_mhz`; no wires, no register overhead): the clock the logic allows.
    #[arg(long)]
    pub timing: bool,
}

/// `tcgen synth`: yosys on generated blocks, cells and (with a liberty) area / NAND2-eq.
pub fn synth(a: SynthArgs) -> Result<()> {
    let p = crate::load_params(&crate::CodecArgs { config: a.config.clone(), strategy: None, rotate: None, tensor: None })?;
    let blocks: Vec<hw::GeneratedModule> = if a.block == "all" {
        hw::all_blocks(&p).map_err(|e| anyhow::anyhow!(e))?
    } else {
        vec![hw::block(&a.block, &p).map_err(|e| anyhow::anyhow!(e))?]
    };
    let lib = if a.no_liberty {
        None
    } else {
        match &a.liberty {
            Some(l) => Some(l.clone()),
            None => hw::yosys::asap7_liberty(&a.out),
        }
    };
    let mut all = Vec::new();
    for b in &blocks {
        let r = hw::yosys::synth_cached(&b.name, &b.verilog, lib.as_deref(), &a.out.join(&b.name), &crate::synth_cache()).map_err(|e| anyhow::anyhow!(e))?;
        if !a.json {
            println!(
                "{:<10} generic cells {:>8}  mapped cells {:>8}  flops {:>7}  area {:>10} um2  NAND2-eq {:>9}  ({:.0} s)",
                r.module,
                r.generic_cells,
                r.mapped_cells.map(|v| v.to_string()).unwrap_or("-".into()),
                r.flops.map(|v| v.to_string()).unwrap_or("-".into()),
                r.area_um2.map(|v| format!("{v:.1}")).unwrap_or("-".into()),
                r.nand2_eq.map(|v| format!("{v:.0}")).unwrap_or("-".into()),
                r.seconds
            );
        }
        let t = match (&lib, a.timing) {
            (Some(l), true) => {
                let t = hw::yosys::timing_cached(&b.name, &b.verilog, l, &a.out.join(&b.name), &crate::synth_cache(), 1e6 / p.rtl.clock_mhz).map_err(|e| anyhow::anyhow!(e))?;
                if !a.json {
                    println!(
                        "{:<10} critical path {:>7.1} ps ({} cells): at most {:.0} MHz from logic alone (target {:.0} ps: {})",
                        t.module,
                        t.delay_ps,
                        t.cells,
                        t.fmax_mhz(),
                        t.target_ps,
                        if t.delay_ps <= t.target_ps { "met" } else { "NOT met" }
                    );
                }
                Some(t)
            }
            (None, true) => anyhow::bail!("--timing needs a liberty (--liberty FILE, or ../shared/asap7)"),
            _ => None,
        };
        // the synthesis result's fields, plus `timing` with --timing
        let mut v = serde_json::to_value(&r)?;
        if let (Some(t), Some(o)) = (t, v.as_object_mut()) {
            o.insert("timing".into(), serde_json::to_value(t)?);
        }
        all.push(v);
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&all)?);
    }
    Ok(())
}
