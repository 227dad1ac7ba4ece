//! External reference tools (x265, ffmpeg, libde265): locating them, running them,
//! and a clear error with the install command when one is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("{tool} not found on PATH: install it with `bash scripts/setup.sh` (Debian package {package})")]
    Missing { tool: &'static str, package: &'static str },
    #[error("{tool} failed ({status}): {stderr}")]
    Failed { tool: String, status: String, stderr: String },
    #[error("I/O with {tool}: {source}")]
    Io { tool: String, source: std::io::Error },
}

/// A reference tool: its executable names and the Debian package that installs it.
#[derive(Clone, Copy, Debug)]
pub struct Tool {
    pub name: &'static str,
    pub exes: &'static [&'static str],
    pub package: &'static str,
}

pub const X265: Tool = Tool { name: "x265", exes: &["x265"], package: "x265" };
pub const FFMPEG: Tool = Tool { name: "ffmpeg", exes: &["ffmpeg"], package: "ffmpeg" };
pub const DEC265: Tool = Tool { name: "libde265 dec265", exes: &["dec265", "libde265-dec265"], package: "libde265-examples" };

impl Tool {
    /// The executable's path, or the install hint.
    pub fn find(&self) -> Result<PathBuf, ToolError> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        for dir in std::env::split_paths(&path) {
            for exe in self.exes {
                let p = dir.join(exe);
                if p.is_file() {
                    return Ok(p);
                }
            }
        }
        Err(ToolError::Missing { tool: self.name, package: self.package })
    }

    /// Run with arguments; error with its stderr on failure.
    pub fn run(&self, args: &[&str]) -> Result<std::process::Output, ToolError> {
        let exe = self.find()?;
        let out = Command::new(&exe).args(args).output().map_err(|e| ToolError::Io { tool: self.name.into(), source: e })?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let tail: String = stderr.chars().rev().take(2000).collect::<Vec<_>>().into_iter().rev().collect();
            return Err(ToolError::Failed { tool: self.name.into(), status: out.status.to_string(), stderr: tail });
        }
        Ok(out)
    }
}

/// Decode an HEVC stream with ffmpeg to planar 8-bit YUV (`pix_fmt` yuv420p or gray).
pub fn ffmpeg_decode(stream: &Path, out_yuv: &Path, pix_fmt: &str) -> Result<Vec<u8>, ToolError> {
    FFMPEG.run(&[
        "-v", "error", "-nostdin", "-y", "-threads", "1", "-i", &stream.to_string_lossy(), "-f", "rawvideo", "-pix_fmt", pix_fmt, &out_yuv.to_string_lossy(),
    ])?;
    std::fs::read(out_yuv).map_err(|e| ToolError::Io { tool: "ffmpeg".into(), source: e })
}

/// Decode an HEVC stream with libde265's dec265 to planar YUV.
pub fn dec265_decode(stream: &Path, out_yuv: &Path) -> Result<Vec<u8>, ToolError> {
    DEC265.run(&["-q", "-t", "0", "-o", &out_yuv.to_string_lossy(), &stream.to_string_lossy()])?;
    std::fs::read(out_yuv).map_err(|e| ToolError::Io { tool: "dec265".into(), source: e })
}

/// Encode planar 4:2:0 frames with x265, intra only, one thread.
pub fn x265_encode(yuv: &Path, w: usize, h: usize, qp: u8, preset: &str, out: &Path, extra: &[&str]) -> Result<Vec<u8>, ToolError> {
    let res = format!("{w}x{h}");
    let qps = qp.to_string();
    let mut args = vec![
        "--input", &*yuv.to_str().unwrap_or_default(), "--input-res", &res, "--input-csp", "i420", "--fps", "1", "--preset", preset, "--keyint", "1",
        "--ipratio", "1", "--qp", &qps, "--frame-threads", "1", "--pools", "1", "--no-wpp", "--no-info", "--log-level", "error", "-o",
        &*out.to_str().unwrap_or_default(),
    ];
    args.extend_from_slice(extra);
    X265.run(&args)?;
    std::fs::read(out).map_err(|e| ToolError::Io { tool: "x265".into(), source: e })
}

/// A fresh scratch directory under the system temp dir.
pub fn scratch_dir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let d = std::env::temp_dir().join(format!("tcgen-{tag}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
    std::fs::create_dir_all(&d).expect("create scratch dir");
    d
}

/// Planar YUV 4:2:0 of luma frames with flat chroma 128.
pub fn yuv420_flat(frames: &[Vec<u8>], w: usize, h: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(frames.len() * w * h * 3 / 2);
    for f in frames {
        out.extend_from_slice(f);
        out.resize(out.len() + w * h / 2, 128);
    }
    out
}

/// Split planar YUV 4:2:0 into luma planes (checking the chroma is flat 128 when
/// `check_flat_chroma`). Returns None if sizes disagree or chroma is not flat.
pub fn luma_of_yuv420(yuv: &[u8], w: usize, h: usize, check_flat_chroma: bool) -> Option<Vec<Vec<u8>>> {
    let fs = w * h * 3 / 2;
    if fs == 0 || yuv.len() % fs != 0 {
        return None;
    }
    let mut out = Vec::new();
    for f in yuv.chunks(fs) {
        if check_flat_chroma && f[w * h..].iter().any(|&c| c != 128) {
            return None;
        }
        out.push(f[..w * h].to_vec());
    }
    Some(out)
}
