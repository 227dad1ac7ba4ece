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
//! Not built yet: the decode wrapper (parser callbacks -> decoder -> map frame -> copy
//! planes) that decodes golden's and the RTL encoder core's streams and compares every
//! plane, the throughput sweep over concurrent sessions, and the NVENC comparison.

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
    // SAFETY: as above, NVIDIA's video decoder library.
    let cuvid = unsafe { libloading::Library::new("libnvcuvid.so.1") }.map_err(|e| format!("no NVDEC library (libnvcuvid.so.1: {e})"))?;
    type GetCaps = unsafe extern "C" fn(*mut CUVIDDECODECAPS) -> u32;
    // SAFETY: cuvidGetDecoderCaps has this signature in every Video Codec SDK since 8.1.
    let get_caps: libloading::Symbol<GetCaps> = unsafe { cuvid.get(b"cuvidGetDecoderCaps\0") }.map_err(|e| format!("libnvcuvid.so.1 has no cuvidGetDecoderCaps: {e}"))?;
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
            let r = unsafe { get_caps(&mut caps) };
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

/// `tcgen gpu check`: print the probe (JSON with `json`); an absent GPU is a report, not
/// an error.
pub fn check(json: bool) -> serde_json::Value {
    let p = probe();
    let j = serde_json::to_value(&p).unwrap_or_default();
    if json {
        println!("{j}");
        return j;
    }
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
                "NVENC library: {}",
                if p.nvenc_library == Some(true) { "present (an encode session tells whether this chip has NVENC)" } else { "absent: no NVENC" }
            );
        }
    }
    println!("stream decoding on NVDEC and its comparison with golden/: not built yet (issue 8)");
    j
}
