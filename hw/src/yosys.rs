//! yosys synthesis of a generated module: generic `synth -top NAME; stat` (cell
//! count), optionally mapped onto a liberty (ASAP7) for area and NAND2 equivalents.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What yosys reported.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Synth {
    pub module: String,
    /// Cells of the generic netlist (`synth; stat`).
    pub generic_cells: u64,
    /// With a liberty: mapped cells, area (um2) and NAND2x1 equivalents.
    pub mapped_cells: Option<u64>,
    pub area_um2: Option<f64>,
    pub nand2_eq: Option<f64>,
    /// Flip-flops of the mapped netlist (cells whose name starts with DFF).
    pub flops: Option<u64>,
    pub seconds: f64,
}

/// Area of ASAP7's NAND2x1 in um2 (the NAND2-equivalent unit).
pub const ASAP7_NAND2_UM2: f64 = 0.08748;

fn stat_cells(text: &str) -> Option<u64> {
    text.lines().filter_map(|l| l.trim().strip_prefix("Number of cells:")).last().and_then(|v| v.trim().parse().ok())
}

/// Synthesize `verilog` (module `name`) with yosys; `liberty` maps it onto cells.
pub fn synth(name: &str, verilog: &str, liberty: Option<&Path>, workdir: &Path) -> Result<Synth, String> {
    std::fs::create_dir_all(workdir).map_err(|e| e.to_string())?;
    let v = workdir.join(format!("{name}.v"));
    std::fs::write(&v, verilog).map_err(|e| e.to_string())?;
    let generic = workdir.join("generic.stat");
    let mapped = workdir.join("mapped.stat");
    let mut script = format!("read_verilog -sv {}; synth -top {name}; tee -q -o {} stat;", v.display(), generic.display());
    if let Some(lib) = liberty {
        let l = lib.display();
        script += &format!(" dfflibmap -liberty {l}; abc -liberty {l}; opt_clean; tee -q -o {} stat -liberty {l};", mapped.display());
    }
    let yosys = crate::common::tool("yosys")?;
    let t = std::time::Instant::now();
    let out = Command::new(yosys).args(["-q", "-p", &script]).output().map_err(|e| format!("yosys: {e}"))?;
    if !out.status.success() {
        return Err(format!("yosys failed on {name}:\n{}", String::from_utf8_lossy(&out.stderr)));
    }
    let g = std::fs::read_to_string(&generic).map_err(|e| e.to_string())?;
    let generic_cells = stat_cells(&g).ok_or("no cell count in yosys stat")?;
    let (mut mapped_cells, mut area, mut flops) = (None, None, None);
    if liberty.is_some() {
        let m = std::fs::read_to_string(&mapped).map_err(|e| e.to_string())?;
        mapped_cells = stat_cells(&m);
        area = m.lines().filter_map(|l| l.trim().strip_prefix("Chip area for module")).last().and_then(|l| l.rsplit(':').next()).and_then(|v| v.trim().parse::<f64>().ok());
        flops = Some(
            m.lines()
                .filter_map(|l| {
                    let mut it = l.split_whitespace();
                    match (it.next(), it.next()) {
                        (Some(c), Some(n)) if c.starts_with("DFF") || c.starts_with("DHL") || c.starts_with("DLL") => n.parse::<u64>().ok(),
                        _ => None,
                    }
                })
                .sum(),
        );
    }
    Ok(Synth {
        module: name.into(),
        generic_cells,
        mapped_cells,
        area_um2: area,
        nand2_eq: area.map(|a| a / ASAP7_NAND2_UM2),
        flops,
        seconds: t.elapsed().as_secs_f64(),
    })
}

/// The ASAP7 liberty of ../shared, unpacked once under `cache` (None when absent).
pub fn asap7_liberty(cache: &Path) -> Option<PathBuf> {
    let xz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/asap7/asap7sc7p5t_RVT_TT_merged.lib.xz");
    if !xz.is_file() {
        return None;
    }
    let lib = cache.join("asap7sc7p5t_RVT_TT_merged.lib");
    if lib.is_file() {
        return Some(lib);
    }
    std::fs::create_dir_all(cache).ok()?;
    let tmp = cache.join(format!(".lib-{}", std::process::id()));
    let out = Command::new("xz").arg("-dc").arg(&xz).output().ok()?;
    if !out.status.success() {
        return None;
    }
    std::fs::write(&tmp, &out.stdout).ok()?;
    std::fs::rename(&tmp, &lib).ok()?;
    Some(lib)
}
