//! `dequant` through the tools that matter: Verilator lint (-Wall, zero warnings),
//! exhaustive cosimulation against golden::quantize::dequantize in Verilator (every
//! 16-bit level x QP 0..51 x TU size 4..32); yosys synthesis is in tests/synth.rs.
//!
//! Needs verilator and yosys: missing tools fail with `bash scripts/setup.sh`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn tool(name: &str) -> PathBuf {
    hw::common::tool(name).unwrap_or_else(|e| panic!("{e}"))
}

fn workdir(tag: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hw").join(tag);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn generated(dir: &Path) -> PathBuf {
    let mut d = hw::dequant::Dequant::default();
    let g = hw::generate(&mut d, "dequant");
    let f = dir.join("dequant.v");
    std::fs::write(&f, g.verilog).unwrap();
    f
}

#[test]
fn lint_clean() {
    let dir = workdir("lint");
    let v = generated(&dir);
    let out = Command::new(tool("verilator")).args(["--lint-only", "-Wall"]).arg(&v).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.trim().is_empty(), "verilator lint:\n{stderr}");
}

const TB: &str = r#"
#include "Vdequant.h"
#include "verilated.h"
#include <cstdio>
#include <cstdint>
int main(int argc, char** argv) {
    Verilated::commandArgs(argc, argv);
    Vdequant* m = new Vdequant;
    FILE* f = fopen(argv[1], "wb");
    m->out_ready = 1; m->clock = 0; m->in_valid = 0; m->reset = 1; m->eval();
    for (int i = 0; i < 2; i++) { m->clock = 1; m->eval(); m->clock = 0; m->eval(); }
    m->reset = 0; m->eval();
    unsigned long long cycles = 0, outs = 0, first_out = 0;
    auto tick = [&]() {
        m->clock = 1; m->eval(); m->clock = 0; m->eval(); cycles++;
        if (m->out_valid) {
            int16_t o = (int16_t)m->out_coeff;
            fwrite(&o, 2, 1, f);
            if (outs == 0) first_out = cycles;
            outs++;
        }
    };
    for (int log2 = 2; log2 <= 5; log2++)
        for (int qp = 0; qp <= 51; qp++)
            for (int lv = -32768; lv <= 32767; lv++) {
                m->in_valid = 1; m->in_level = (uint16_t)lv; m->in_qp = qp; m->in_log2 = log2;
                tick();
            }
    m->in_valid = 0;
    for (int i = 0; i < 4; i++) tick();
    fclose(f);
    printf("cycles %llu outputs %llu latency %llu\n", cycles, outs, first_out);
    delete m;
    return 0;
}
"#;

#[test]
fn cosim_exhaustive_against_golden() {
    let dir = workdir("cosim");
    let v = generated(&dir);
    std::fs::write(dir.join("tb.cpp"), TB).unwrap();
    let out = Command::new(tool("verilator"))
        .current_dir(&dir)
        .args(["--cc", "--exe", "--build", "-O2", "-j", "2", "-Wno-fatal", "--Mdir", "obj_dir", "tb.cpp"])
        .arg(&v)
        .output()
        .unwrap();
    assert!(out.status.success(), "verilator build:\n{}", String::from_utf8_lossy(&out.stderr));
    let t = std::time::Instant::now();
    let run = Command::new(dir.join("obj_dir/Vdequant")).arg(dir.join("out.bin")).output().unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert!(run.status.success());
    let summary = String::from_utf8_lossy(&run.stdout).to_string();
    let got = std::fs::read(dir.join("out.bin")).unwrap();
    let n = 4 * 52 * 65536;
    assert_eq!(got.len(), 2 * n, "{summary}");
    let mut i = 0;
    for log2 in 2..=5u32 {
        for qp in 0..=51u8 {
            let levels: Vec<i32> = (-32768..=32767).collect();
            let mut want = vec![0i32; levels.len()];
            golden::quantize::dequantize(&levels, log2, qp, &mut want);
            for (k, &w) in want.iter().enumerate() {
                let g = i16::from_le_bytes([got[2 * i], got[2 * i + 1]]) as i32;
                assert_eq!(g, w, "mismatch: log2 {log2} QP {qp} level {}", levels[k]);
                i += 1;
            }
        }
    }
    eprintln!("dequant cosim: {n} vectors, 0 mismatches; {summary} ({:.1} M cycles/s in Verilator)", (n as f64 + 4.0) / secs / 1e6);
}
