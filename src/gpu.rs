//! `tcgen gpu check`: the GPU reference path (issue 8), behind the `nvdec` feature.
//!
//! What it does so far: finds the NVIDIA driver at run time (libcuda.so.1 through
//! cudarc's dynamic loading, libnvcuvid.so.1 and libnvidia-encode.so.1 through
//! libloading), lists the CUDA devices, and asks NVDEC (`cuvidGetDecoderCaps`, types
//! from nvidia-video-codec-sdk's bindings) which HEVC formats it decodes and at what
//! sizes: 4:2:0 and 4:4:4 8-bit (tcgen's profiles) and 4:0:0 (which an H100 refuses).
//! Without a driver it says so and why; nothing is linked against NVIDIA libraries, so
//! the same binary runs on machines without a GPU.
//!
//! With streams (`--input`, or golden's encodes of built-in tensors), it decodes them on
//! NVDEC through a small safe wrapper of the parser API (`nvdec::decode`: parser
//! callbacks -> decoder -> mapped frame -> planes copied to the host) and compares every
//! plane with golden's decoder; then it measures NVDEC throughput with 1..N concurrent
//! sessions (threads, each its own parser and decoder) on the same stream, next to
//! golden's decoder in this process.
//!
//! Written and compiled without a GPU (none was lent to the session that wrote it): the
//! no-driver path is tested, the decode path waits for a GPU machine
//! (scripts/gpu-check.sh). NVENC: not built yet.

use serde::Serialize;

/// One HEVC format's NVDEC capabilities.
#[derive(Serialize, Clone, Debug)]
pub struct DecodeCaps {
    pub format: String,
    pub supported: bool,
    pub engines: u32,
    pub max_width: u32,
    pub max_height: u32,
    pub min_width: u32,
    pub min_height: u32,
}

/// One CUDA device.
#[derive(Serialize, Clone, Debug)]
pub struct Device {
    pub ordinal: usize,
    pub name: String,
    pub hevc: Vec<DecodeCaps>,
}

/// What the machine offers.
#[derive(Serialize, Clone, Debug, Default)]
pub struct Probe {
    /// Why there is no usable NVDEC here, if there is none.
    pub no_nvdec: Option<String>,
    pub devices: Vec<Device>,
    /// Whether libnvidia-encode.so.1 loads (an encode session is what tells whether the
    /// chip has NVENC: an H100 returns NV_ENC_ERR_NO_ENCODE_DEVICE).
    pub nvenc_library: Option<bool>,
}

/// Probe the driver, the devices and NVDEC's HEVC capabilities.
#[cfg(feature = "nvdec")]
pub fn probe() -> Probe {
    match probe_nvdec() {
        Ok(p) => p,
        Err(why) => Probe { no_nvdec: Some(why), ..Default::default() },
    }
}

#[cfg(feature = "nvdec")]
fn probe_nvdec() -> Result<Probe, String> {
    use nvidia_video_codec_sdk::sys::cuviddec::{cudaVideoChromaFormat_enum as Chroma, cudaVideoCodec_enum as Codec, CUVIDDECODECAPS};
    // cudarc's dynamic loading panics when the library is missing: look first
    // SAFETY: loading a system library runs its initializers; libcuda's are the driver's.
    unsafe { libloading::Library::new("libcuda.so.1") }.map_err(|e| format!("no NVIDIA driver (libcuda.so.1: {e})"))?;
    let api = nvdec::Api::load().map_err(|e| format!("no NVDEC library ({e})"))?;
    let n = cudarc::driver::result::init()
        .and_then(|_| cudarc::driver::result::device::get_count())
        .map_err(|e| format!("CUDA driver present but not usable: {e:?}"))?;
    if n <= 0 {
        return Err("CUDA driver present, no device".into());
    }
    let mut devices = Vec::new();
    for ordinal in 0..n as usize {
        // the primary context, current on this thread while NVDEC is asked
        let ctx = cudarc::driver::CudaContext::new(ordinal).map_err(|e| format!("device {ordinal}: {e:?}"))?;
        let name = ctx.name().unwrap_or_else(|e| format!("(name: {e:?})"));
        ctx.bind_to_thread().map_err(|e| format!("device {ordinal}: {e:?}"))?;
        let mut hevc = Vec::new();
        for (format, chroma) in [("4:2:0 8-bit", Chroma::cudaVideoChromaFormat_420), ("4:4:4 8-bit", Chroma::cudaVideoChromaFormat_444), ("4:0:0 8-bit", Chroma::cudaVideoChromaFormat_Monochrome)] {
            // SAFETY: a zeroed CUVIDDECODECAPS is valid input (plain integers and enums whose 0 is a variant).
            let mut caps: CUVIDDECODECAPS = unsafe { std::mem::zeroed() };
            caps.eCodecType = Codec::cudaVideoCodec_HEVC;
            caps.eChromaFormat = chroma;
            caps.nBitDepthMinus8 = 0;
            // SAFETY: caps is a valid, writable CUVIDDECODECAPS; a context is current.
            let r = unsafe { (api.get_caps)(&mut caps) };
            if r != 0 {
                return Err(format!("device {ordinal}: cuvidGetDecoderCaps failed (CUresult {r})"));
            }
            hevc.push(DecodeCaps {
                format: format.into(),
                supported: caps.bIsSupported != 0,
                engines: caps.nNumNVDECs as u32,
                max_width: caps.nMaxWidth,
                max_height: caps.nMaxHeight,
                min_width: caps.nMinWidth as u32,
                min_height: caps.nMinHeight as u32,
            });
        }
        devices.push(Device { ordinal, name, hevc });
    }
    // SAFETY: loading NVIDIA's encoder library runs only its initializers.
    let nvenc = unsafe { libloading::Library::new("libnvidia-encode.so.1") }.is_ok();
    Ok(Probe { no_nvdec: None, devices, nvenc_library: Some(nvenc) })
}

/// Without the feature: the path is not built in.
#[cfg(not(feature = "nvdec"))]
pub fn probe() -> Probe {
    Probe { no_nvdec: Some("built without the GPU path: cargo build --release --features nvdec".into()), ..Default::default() }
}

/// `tcgen gpu check` arguments.
#[derive(clap::Args, Clone, Debug)]
pub struct CheckArgs {
    /// Streams to decode on NVDEC and compare with golden's decoder (.t265 or Annex-B
    /// .hevc); default: golden's encodes of @minilm (both strategies, QP 27) and of a
    /// 1920x1088 Laplacian frame (hardware strategy, QP 27).
    #[arg(long, num_args = 1..)]
    pub input: Vec<std::path::PathBuf>,
    /// Concurrent NVDEC sessions (threads) of the throughput sweep.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4,8,16")]
    pub sessions: Vec<usize>,
    /// Pictures per session in the sweep (the throughput stream repeated).
    #[arg(long, default_value_t = 60)]
    pub reps: usize,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write the result as JSON to this file (one run for both forms).
    #[arg(long)]
    pub json_out: Option<std::path::PathBuf>,
}

/// One stream decoded on NVDEC against golden's decoder.
#[cfg(feature = "nvdec")]
#[derive(Serialize, Clone, Debug)]
pub struct StreamCheck {
    pub name: String,
    pub pictures: usize,
    pub bit_exact: bool,
    pub detail: String,
}

/// One point of the throughput sweep.
#[cfg(feature = "nvdec")]
#[derive(Serialize, Clone, Debug)]
pub struct Throughput {
    pub sessions: usize,
    pub pictures: u64,
    pub seconds: f64,
    /// Luma bytes (int8 values) per second, all sessions together.
    pub luma_mb_per_s: f64,
}

/// The streams of the check: (name, Annex-B); `sweep` is the throughput stream,
/// checked too when no `--input` is given.
#[cfg(feature = "nvdec")]
fn streams(a: &CheckArgs, sweep: &[u8]) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    use anyhow::Context;
    if !a.input.is_empty() {
        return a
            .input
            .iter()
            .map(|f| {
                let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
                let annexb = if bytes.starts_with(golden::container::MAGIC) { golden::container::read(&bytes).with_context(|| f.display().to_string())?.1.to_vec() } else { bytes };
                Ok((f.display().to_string(), annexb))
            })
            .collect();
    }
    let mut out = Vec::new();
    let minilm = golden::sample::load("@minilm", None).map_err(|e| anyhow::anyhow!("@minilm: {e}"))?;
    for strategy in [golden::config::StrategyKind::Hw, golden::config::StrategyKind::Rd] {
        let mut p = golden::Params::default();
        p.encoder.strategy = strategy;
        let e = golden::pipeline::encode_tensor(&minilm, &p, golden::pipeline::RateTarget::Qp(27)).map_err(|e| anyhow::anyhow!("@minilm: {e}"))?;
        out.push((format!("@minilm {strategy:?} QP 27"), e.encoded.annexb));
    }
    out.push(("@laplace:1088x1920 Hw QP 27".into(), sweep.to_vec()));
    Ok(out)
}

/// The throughput sweep's picture: one 1920x1088 frame of the hardware strategy.
#[cfg(feature = "nvdec")]
fn throughput_stream() -> anyhow::Result<Vec<u8>> {
    let t = golden::sample::load("@laplace:1088x1920:5", None).map_err(|e| anyhow::anyhow!("@laplace: {e}"))?;
    let mut p = golden::Params::default();
    p.encoder.strategy = golden::config::StrategyKind::Hw;
    Ok(golden::pipeline::encode_tensor(&t, &p, golden::pipeline::RateTarget::Qp(27)).map_err(|e| anyhow::anyhow!("@laplace: {e}"))?.encoded.annexb)
}

/// Decode the streams on NVDEC, compare with golden, sweep sessions.
#[cfg(feature = "nvdec")]
fn decode_checks(a: &CheckArgs) -> anyhow::Result<(Vec<StreamCheck>, Vec<Throughput>, f64)> {
    let ctx = cudarc::driver::CudaContext::new(0).map_err(|e| anyhow::anyhow!("device 0: {e:?}"))?;
    ctx.bind_to_thread().map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let api = nvdec::Api::load().map_err(|e| anyhow::anyhow!(e))?;
    let one = throughput_stream()?;
    let mut checks = Vec::new();
    for (name, annexb) in streams(a, &one)? {
        let want = golden::decoder::decode(&annexb).map_err(|e| anyhow::anyhow!("{name}: golden decoder: {e}"))?;
        let (bit_exact, detail, pictures) = match nvdec::decode(&api, &annexb, true) {
            Err(e) => (false, format!("NVDEC: {e}"), 0),
            Ok((frames, _)) => {
                let got: Vec<u8> = frames.iter().flat_map(|f| f.planes.iter().copied()).collect();
                let want_bytes: Vec<u8> = want.iter().flat_map(|p| p.to_yuv()).collect();
                if frames.len() != want.len() {
                    (false, format!("{} pictures from NVDEC, {} from golden", frames.len(), want.len()), frames.len())
                } else if got != want_bytes {
                    let i = got.iter().zip(&want_bytes).position(|(x, y)| x != y).unwrap_or(got.len().min(want_bytes.len()));
                    (false, format!("first difference at byte {i} of the planar YUV ({} vs {} bytes)", got.len(), want_bytes.len()), frames.len())
                } else {
                    (true, "every plane of every picture equals golden's".into(), frames.len())
                }
            }
        };
        checks.push(StreamCheck { name, pictures, bit_exact, detail });
    }
    // throughput: every session decodes the 1920x1088 picture `reps` times (map, no copy)
    let big: Vec<u8> = (0..a.reps.max(1)).flat_map(|_| one.iter().copied()).collect();
    let luma = 1920.0 * 1088.0;
    let mut sweep = Vec::new();
    for &n in &a.sessions {
        let t0 = std::time::Instant::now();
        let counts: Vec<Result<u64, String>> = std::thread::scope(|sc| {
            let hs: Vec<_> = (0..n.max(1))
                .map(|_| {
                    let (ctx, big, api) = (ctx.clone(), &big, &api);
                    sc.spawn(move || {
                        ctx.bind_to_thread().map_err(|e| format!("{e:?}"))?;
                        nvdec::decode(api, big, false).map(|(_, n)| n)
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("session panicked".into()))).collect()
        });
        let seconds = t0.elapsed().as_secs_f64();
        let pictures = counts.into_iter().collect::<Result<Vec<u64>, String>>().map_err(|e| anyhow::anyhow!("{n} sessions: {e}"))?.iter().sum::<u64>();
        sweep.push(Throughput { sessions: n, pictures, seconds, luma_mb_per_s: pictures as f64 * luma / seconds / 1e6 });
    }
    // golden's decoder on one thread, same stream (a tenth of the pictures)
    let part: Vec<u8> = (0..(a.reps / 10).max(1)).flat_map(|_| one.iter().copied()).collect();
    let t0 = std::time::Instant::now();
    let n = golden::decoder::decode(&part).map_err(|e| anyhow::anyhow!("golden decoder: {e}"))?.len();
    let golden_mb_s = n as f64 * luma / t0.elapsed().as_secs_f64() / 1e6;
    Ok((checks, sweep, golden_mb_s))
}

/// `tcgen gpu check`: print the probe, and where NVDEC is present decode the streams,
/// compare, and sweep sessions (JSON with `--json`). An absent GPU is a report, not an
/// error; a stream NVDEC decodes differently from golden is an error.
pub fn check(a: &CheckArgs) -> anyhow::Result<serde_json::Value> {
    let p = probe();
    #[cfg_attr(not(feature = "nvdec"), allow(unused_mut))]
    let mut j = serde_json::json!({ "probe": &p });
    #[cfg(feature = "nvdec")]
    if p.no_nvdec.is_none() {
        let (checks, sweep, golden_mb_s) = decode_checks(a)?;
        j["streams"] = serde_json::to_value(&checks)?;
        j["throughput"] = serde_json::to_value(&sweep)?;
        j["golden_cpu_luma_mb_per_s"] = serde_json::json!(golden_mb_s);
    }
    if let Some(f) = &a.json_out {
        std::fs::write(f, j.to_string()).map_err(|e| anyhow::anyhow!("writing {}: {e}", f.display()))?;
    }
    if a.json {
        println!("{j}");
    } else {
        match &p.no_nvdec {
            Some(why) => println!("no NVDEC: {why}"),
            None => {
                for d in &p.devices {
                    println!("device {}: {}", d.ordinal, d.name);
                    for c in &d.hevc {
                        if c.supported {
                            println!("  NVDEC HEVC {}: yes, {} engine(s), {}x{} .. {}x{}", c.format, c.engines, c.min_width, c.min_height, c.max_width, c.max_height);
                        } else {
                            println!("  NVDEC HEVC {}: no", c.format);
                        }
                    }
                }
                println!(
                    "NVENC library: {} (NVENC encoding is not built yet)",
                    if p.nvenc_library == Some(true) { "present (an encode session tells whether this chip has NVENC)" } else { "absent: no NVENC" }
                );
                for c in j["streams"].as_array().into_iter().flatten() {
                    println!("  {}: {} pictures, {}: {}", c["name"].as_str().unwrap_or(""), c["pictures"], if c["bit_exact"] == true { "BIT-EXACT" } else { "MISMATCH" }, c["detail"].as_str().unwrap_or(""));
                }
                println!("  | sessions | pictures | seconds | luma MB/s |");
                for t in j["throughput"].as_array().into_iter().flatten() {
                    println!("  | {} | {} | {:.3} | {:.1} |", t["sessions"], t["pictures"], t["seconds"].as_f64().unwrap_or(0.0), t["luma_mb_per_s"].as_f64().unwrap_or(0.0));
                }
                if let Some(g) = j["golden_cpu_luma_mb_per_s"].as_f64() {
                    println!("  golden's decoder, one thread: {g:.1} luma MB/s");
                }
            }
        }
    }
    let bad: Vec<&str> = j["streams"].as_array().into_iter().flatten().filter(|c| c["bit_exact"] != true).filter_map(|c| c["name"].as_str()).collect();
    if !bad.is_empty() {
        anyhow::bail!("NVDEC's pictures differ from golden's on: {}", bad.join(", "));
    }
    Ok(j)
}

/// NVDEC through the parser API, symbols loaded at run time.
#[cfg(feature = "nvdec")]
pub mod nvdec {
    use nvidia_video_codec_sdk::sys::cuviddec::{
        cudaVideoChromaFormat_enum as Chroma, cudaVideoCodec_enum as Codec, cudaVideoCreateFlags_enum as CreateFlags, cudaVideoDeinterlaceMode_enum as Deint,
        cudaVideoSurfaceFormat_enum as Surface, CUvideodecoder, CUVIDDECODECAPS, CUVIDDECODECREATEINFO, CUVIDPICPARAMS, CUVIDPROCPARAMS,
    };
    use nvidia_video_codec_sdk::sys::nvcuvid::{CUvideopacketflags, CUvideoparser, CUVIDEOFORMAT, CUVIDPARSERDISPINFO, CUVIDPARSERPARAMS, CUVIDSOURCEDATAPACKET};
    use std::ffi::{c_int, c_uint, c_ulonglong, c_void};

    type GetCaps = unsafe extern "C" fn(*mut CUVIDDECODECAPS) -> u32;
    type CreateParser = unsafe extern "C" fn(*mut CUvideoparser, *mut CUVIDPARSERPARAMS) -> u32;
    type ParseData = unsafe extern "C" fn(CUvideoparser, *mut CUVIDSOURCEDATAPACKET) -> u32;
    type DestroyParser = unsafe extern "C" fn(CUvideoparser) -> u32;
    type CreateDecoder = unsafe extern "C" fn(*mut CUvideodecoder, *mut CUVIDDECODECREATEINFO) -> u32;
    type DestroyDecoder = unsafe extern "C" fn(CUvideodecoder) -> u32;
    type DecodePicture = unsafe extern "C" fn(CUvideodecoder, *mut CUVIDPICPARAMS) -> u32;
    type MapFrame = unsafe extern "C" fn(CUvideodecoder, c_int, *mut c_ulonglong, *mut c_uint, *mut CUVIDPROCPARAMS) -> u32;
    type UnmapFrame = unsafe extern "C" fn(CUvideodecoder, c_ulonglong) -> u32;

    /// libnvcuvid's entry points.
    pub struct Api {
        _lib: libloading::Library,
        pub(super) get_caps: GetCaps,
        create_parser: CreateParser,
        parse: ParseData,
        destroy_parser: DestroyParser,
        create_decoder: CreateDecoder,
        destroy_decoder: DestroyDecoder,
        decode_picture: DecodePicture,
        map: MapFrame,
        unmap: UnmapFrame,
    }

    impl Api {
        /// Load libnvcuvid.so.1 (the CUDA driver must be initialized and a context current
        /// on the threads that decode).
        pub fn load() -> Result<Api, String> {
            // SAFETY: NVIDIA's decoder library; its initializers are the driver's.
            let lib = unsafe { libloading::Library::new("libnvcuvid.so.1") }.map_err(|e| format!("libnvcuvid.so.1: {e}"))?;
            macro_rules! sym {
                ($name:literal, $t:ty) => {{
                    // SAFETY: the Video Codec SDK (11.0 and later) declares the symbol with this type.
                    let s: libloading::Symbol<$t> = unsafe { lib.get(concat!($name, "\0").as_bytes()) }.map_err(|e| format!("libnvcuvid.so.1: {}: {e}", $name))?;
                    *s
                }};
            }
            Ok(Api {
                get_caps: sym!("cuvidGetDecoderCaps", GetCaps),
                create_parser: sym!("cuvidCreateVideoParser", CreateParser),
                parse: sym!("cuvidParseVideoData", ParseData),
                destroy_parser: sym!("cuvidDestroyVideoParser", DestroyParser),
                create_decoder: sym!("cuvidCreateDecoder", CreateDecoder),
                destroy_decoder: sym!("cuvidDestroyDecoder", DestroyDecoder),
                decode_picture: sym!("cuvidDecodePicture", DecodePicture),
                map: sym!("cuvidMapVideoFrame64", MapFrame),
                unmap: sym!("cuvidUnmapVideoFrame64", UnmapFrame),
                _lib: lib,
            })
        }
    }

    /// A decoded picture, planar 8-bit (Y, then Cb and Cr at the chroma format's size),
    /// cropped to the display area (the conformance window).
    #[derive(Clone, Debug, PartialEq)]
    pub struct Frame {
        pub width: usize,
        pub height: usize,
        /// 1: 4:2:0, 3: 4:4:4.
        pub chroma_format: u32,
        pub planes: Vec<u8>,
    }

    struct Session<'a> {
        api: &'a Api,
        decoder: CUvideodecoder,
        /// (display width, display height, crop left, crop top, surface height, chroma format)
        geometry: (usize, usize, usize, usize, usize, u32),
        /// (coded width, coded height, chroma format) the decoder was created for.
        coded: (usize, usize, u32),
        frames: Vec<Frame>,
        /// Copy the planes to the host (else map and unmap only: throughput of the engines).
        copy: bool,
        pictures: u64,
        error: Option<String>,
    }

    unsafe extern "C" fn on_sequence(user: *mut c_void, f: *mut CUVIDEOFORMAT) -> c_int {
        // SAFETY: the parser hands back the Session pointer it was created with, and a valid format.
        let (s, f) = unsafe { (&mut *(user as *mut Session), &*f) };
        if f.codec != Codec::cudaVideoCodec_HEVC || f.bit_depth_luma_minus8 != 0 {
            s.error = Some(format!("stream is {:?} with {}-bit luma: tcgen decodes 8-bit HEVC", f.codec, 8 + f.bit_depth_luma_minus8 as u32));
            return 0;
        }
        let chroma = match f.chroma_format {
            Chroma::cudaVideoChromaFormat_420 => 1,
            Chroma::cudaVideoChromaFormat_444 => 3,
            other => {
                s.error = Some(format!("chroma format {other:?}: NVDEC decodes HEVC 4:2:0 and 4:4:4 (not 4:0:0)"));
                return 0;
            }
        };
        let surfaces = (f.min_num_decode_surfaces as u32).max(1) + 2;
        let coded = (f.coded_width as usize, f.coded_height as usize, chroma);
        let (l, t, r, b) = (f.display_area.left.max(0) as usize, f.display_area.top.max(0) as usize, f.display_area.right.max(0) as usize, f.display_area.bottom.max(0) as usize);
        s.geometry = (r.saturating_sub(l), b.saturating_sub(t), l, t, f.coded_height as usize, chroma);
        if !s.decoder.is_null() {
            if s.coded == coded {
                // a repeated sequence header (every picture of tcgen's streams is an IDR
                // with its parameter sets): keep the decoder and its pending pictures
                return surfaces as c_int;
            }
            // SAFETY: the decoder was created by this session; the parser has flushed
            // its pictures before a format change.
            unsafe { (s.api.destroy_decoder)(s.decoder) };
            s.decoder = std::ptr::null_mut();
        }
        s.coded = coded;
        // SAFETY: a zeroed create-info is the documented starting point (all fields plain data or null).
        let mut ci: CUVIDDECODECREATEINFO = unsafe { std::mem::zeroed() };
        ci.CodecType = f.codec;
        ci.ChromaFormat = f.chroma_format;
        ci.OutputFormat = if chroma == 3 { Surface::cudaVideoSurfaceFormat_YUV444 } else { Surface::cudaVideoSurfaceFormat_NV12 };
        ci.bitDepthMinus8 = 0;
        ci.DeinterlaceMode = Deint::cudaVideoDeinterlaceMode_Weave;
        ci.ulNumOutputSurfaces = 2;
        ci.ulCreationFlags = CreateFlags::cudaVideoCreate_PreferCUVID as _;
        ci.ulNumDecodeSurfaces = surfaces as _;
        ci.ulIntraDecodeOnly = 1;
        ci.ulWidth = f.coded_width as _;
        ci.ulHeight = f.coded_height as _;
        ci.ulMaxWidth = f.coded_width as _;
        ci.ulMaxHeight = f.coded_height as _;
        ci.ulTargetWidth = f.coded_width as _;
        ci.ulTargetHeight = f.coded_height as _;
        // SAFETY: ci is filled as the SDK's samples fill it; a context is current.
        let e = unsafe { (s.api.create_decoder)(&mut s.decoder, &mut ci) };
        if e != 0 {
            s.error = Some(format!("cuvidCreateDecoder: CUresult {e} ({}x{}, chroma {chroma})", f.coded_width, f.coded_height));
            return 0;
        }
        surfaces as c_int
    }

    unsafe extern "C" fn on_decode(user: *mut c_void, p: *mut CUVIDPICPARAMS) -> c_int {
        // SAFETY: as in on_sequence.
        let s = unsafe { &mut *(user as *mut Session) };
        if s.decoder.is_null() {
            s.error.get_or_insert_with(|| "picture before a sequence header".into());
            return 0;
        }
        // SAFETY: the parser's picture parameters, for the decoder it configured.
        let e = unsafe { (s.api.decode_picture)(s.decoder, p) };
        if e != 0 {
            s.error.get_or_insert_with(|| format!("cuvidDecodePicture: CUresult {e}"));
            return 0;
        }
        1
    }

    unsafe extern "C" fn on_display(user: *mut c_void, d: *mut CUVIDPARSERDISPINFO) -> c_int {
        // SAFETY: as in on_sequence.
        let (s, d) = unsafe { (&mut *(user as *mut Session), &*d) };
        // SAFETY: zeroed processing parameters: progressive frame, default stream.
        let mut pp: CUVIDPROCPARAMS = unsafe { std::mem::zeroed() };
        pp.progressive_frame = d.progressive_frame;
        pp.top_field_first = d.top_field_first;
        let (mut dptr, mut pitch): (c_ulonglong, c_uint) = (0, 0);
        // SAFETY: the picture index comes from the parser for this decoder.
        let e = unsafe { (s.api.map)(s.decoder, d.picture_index, &mut dptr, &mut pitch, &mut pp) };
        if e != 0 {
            s.error.get_or_insert_with(|| format!("cuvidMapVideoFrame64: CUresult {e}"));
            return 0;
        }
        s.pictures += 1;
        let mut r = Ok(());
        if s.copy {
            r = copy_planes(s, dptr, pitch as usize);
        }
        // SAFETY: unmapping the frame mapped above.
        unsafe { (s.api.unmap)(s.decoder, dptr) };
        match r {
            Ok(()) => 1,
            Err(e) => {
                s.error.get_or_insert(e);
                0
            }
        }
    }

    /// Copy the mapped surface's planes (cropped) into a planar frame.
    fn copy_planes(s: &mut Session, dptr: c_ulonglong, pitch: usize) -> Result<(), String> {
        let (w, h, l, t, surface_h, cf) = s.geometry;
        let (cw, ch) = if cf == 3 { (w, h) } else { (w.div_ceil(2), h.div_ceil(2)) };
        // the surface: luma rows, then (NV12) interleaved CbCr rows at half height, or
        // (YUV444) the Cb and Cr planes at full height, each `pitch` apart
        let rows = |plane: u64, x_bytes: usize, src_y: usize, width_bytes: usize, height: usize| -> Result<Vec<u8>, String> {
            let mut out = vec![0u8; width_bytes * height];
            let m = cudarc::driver::sys::CUDA_MEMCPY2D {
                srcXInBytes: x_bytes,
                srcY: src_y,
                srcMemoryType: cudarc::driver::sys::CUmemorytype::CU_MEMORYTYPE_DEVICE,
                srcHost: std::ptr::null(),
                srcDevice: plane,
                srcArray: std::ptr::null_mut(),
                srcPitch: pitch,
                dstXInBytes: 0,
                dstY: 0,
                dstMemoryType: cudarc::driver::sys::CUmemorytype::CU_MEMORYTYPE_HOST,
                dstHost: out.as_mut_ptr() as *mut c_void,
                dstDevice: 0,
                dstArray: std::ptr::null_mut(),
                dstPitch: width_bytes,
                WidthInBytes: width_bytes,
                Height: height,
            };
            // SAFETY: the source rectangle lies inside the mapped surface; the destination holds width x height bytes.
            let e = unsafe { cudarc::driver::sys::cuMemcpy2D_v2(&m) };
            if e != cudarc::driver::sys::CUresult::CUDA_SUCCESS {
                return Err(format!("cuMemcpy2D: {e:?}"));
            }
            Ok(out)
        };
        let mut planes = rows(dptr, l, t, w, h)?;
        if cf == 3 {
            for k in 1..3u64 {
                planes.extend(rows(dptr + k * (pitch * surface_h) as u64, l, t, w, h)?);
            }
        } else {
            // NV12: the interleaved CbCr plane starts one (even) surface height below the luma
            let uv = rows(dptr + (pitch * ((surface_h + 1) & !1)) as u64, l & !1, t / 2, 2 * cw, ch)?;
            planes.extend(uv.iter().step_by(2));
            planes.extend(uv.iter().skip(1).step_by(2));
        }
        s.frames.push(Frame { width: w, height: h, chroma_format: cf, planes });
        Ok(())
    }

    /// Decode an Annex-B HEVC stream on NVDEC (a CUDA context must be current on this
    /// thread). With `copy`, the pictures come back cropped and planar; without, they are
    /// decoded and mapped only (for throughput), and the count comes back.
    pub fn decode(api: &Api, annexb: &[u8], copy: bool) -> Result<(Vec<Frame>, u64), String> {
        let mut s = Session { api, decoder: std::ptr::null_mut(), geometry: (0, 0, 0, 0, 0, 1), coded: (0, 0, 0), frames: Vec::new(), copy, pictures: 0, error: None };
        // SAFETY: zeroed parser parameters are the documented starting point.
        let mut pp: CUVIDPARSERPARAMS = unsafe { std::mem::zeroed() };
        pp.CodecType = Codec::cudaVideoCodec_HEVC;
        pp.ulMaxNumDecodeSurfaces = 1;
        pp.ulMaxDisplayDelay = 0;
        pp.pUserData = &mut s as *mut Session as *mut c_void;
        pp.pfnSequenceCallback = Some(on_sequence);
        pp.pfnDecodePicture = Some(on_decode);
        pp.pfnDisplayPicture = Some(on_display);
        let mut parser: CUvideoparser = std::ptr::null_mut();
        // SAFETY: pp outlives the parser (destroyed below, before s and pp go out of scope).
        let e = unsafe { (api.create_parser)(&mut parser, &mut pp) };
        if e != 0 {
            return Err(format!("cuvidCreateVideoParser: CUresult {e}"));
        }
        let mut packet = CUVIDSOURCEDATAPACKET { flags: 0, payload_size: annexb.len() as _, payload: annexb.as_ptr(), timestamp: 0 };
        // SAFETY: the payload is valid for the call; callbacks run inside it on this thread.
        let e1 = unsafe { (api.parse)(parser, &mut packet) };
        let mut eos = CUVIDSOURCEDATAPACKET { flags: CUvideopacketflags::CUVID_PKT_ENDOFSTREAM as _, payload_size: 0, payload: std::ptr::null(), timestamp: 0 };
        // SAFETY: end of stream flushes the remaining pictures through the callbacks.
        let e2 = unsafe { (api.parse)(parser, &mut eos) };
        // SAFETY: the parser and decoder were created above and are idle.
        unsafe {
            (api.destroy_parser)(parser);
            if !s.decoder.is_null() {
                (api.destroy_decoder)(s.decoder);
            }
        }
        if let Some(e) = s.error {
            return Err(e);
        }
        if e1 != 0 || e2 != 0 {
            return Err(format!("cuvidParseVideoData: CUresult {e1} / {e2}"));
        }
        Ok((s.frames, s.pictures))
    }
}

#[cfg(all(test, feature = "nvdec"))]
mod tests {
    use super::*;

    /// The check's streams without a GPU: the built-in ones and `--input` files (.t265
    /// and .hevc) all decode in golden, and the sweep's stream is one 1920x1088 picture.
    #[test]
    fn streams_of_the_check_decode_in_golden() {
        let a = CheckArgs { input: vec![], sessions: vec![1], reps: 1, json: true, json_out: None };
        let sweep = throughput_stream().unwrap();
        let s = streams(&a, &sweep).unwrap();
        assert_eq!(s.len(), 3);
        for (name, annexb) in &s {
            assert!(!golden::decoder::decode(annexb).unwrap().is_empty(), "{name}");
        }
        let big = golden::decoder::decode(&sweep).unwrap();
        assert_eq!((big.len(), big[0].width, big[0].height), (1, 1920, 1088));
        let dir = std::env::temp_dir().join(format!("tcgen-gpu-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (h, c) = (dir.join("a.hevc"), dir.join("a.t265"));
        std::fs::write(&h, &s[0].1).unwrap();
        let t = golden::sample::load("@minilm", None).unwrap();
        let e = golden::pipeline::encode_tensor(&t, &golden::Params::default(), golden::pipeline::RateTarget::Qp(30)).unwrap();
        std::fs::write(&c, &e.container).unwrap();
        let from_files = streams(&CheckArgs { input: vec![h, c], ..a }, &sweep).unwrap();
        assert_eq!(from_files[0].1, s[0].1);
        assert_eq!(from_files[1].1, e.encoded.annexb);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
