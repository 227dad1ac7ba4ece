//! The `tcgen` command line as users call it: outputs, and bad input that gives a
//! clear error and writes nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

fn tcgen(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tcgen")).args(args).output().expect("run tcgen");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// `tcgen` with the synthesis cache the hw and area_energy tests fill (blocks whose
/// Verilog does not depend on the configuration are synthesized once per CI run).
fn tcgen_shared_synth(args: &[&str]) -> (bool, String, String) {
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tcgen-synth/cache");
    let out = Command::new(env!("CARGO_BIN_EXE_tcgen")).env("TCGEN_SYNTH_CACHE", cache).args(args).output().expect("run tcgen");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

fn dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tcgen-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

#[test]
fn encode_writes_container_stream_and_recon() {
    let d = dir("enc");
    let (o, h, y) = (d.join("a.t265"), d.join("a.hevc"), d.join("a.yuv"));
    let (ok, out, err) = tcgen(&["encode", "@gauss:200x300:3", "-o", &s(&o), "--qp", "27", "--hevc", &s(&h), "--recon", &s(&y), "--strategy", "hw", "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["metrics"]["qp"], 27);
    let c = std::fs::read(&o).unwrap();
    let (hdr, stream) = golden::container::read(&c).unwrap();
    assert_eq!(hdr.shape, vec![200, 300]);
    assert_eq!(stream, &std::fs::read(&h).unwrap()[..]);
    let (w, hh) = (hdr.layout.frame_width as usize, hdr.layout.frame_height as usize);
    assert_eq!(std::fs::read(&y).unwrap().len(), w * hh * 3 / 2 * hdr.layout.frames as usize);
}

#[test]
fn rate_targets() {
    let d = dir("rate");
    let o = d.join("b.t265");
    let (ok, out, err) = tcgen(&["encode", "@laplace:256x256:1", "-o", &s(&o), "--bits-per-value", "2.5", "--strategy", "hw", "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let bpv = v["metrics"]["bits_per_value"].as_f64().unwrap();
    assert!(bpv <= 2.5, "{bpv}");
    // one QP lower would exceed the budget
    let qp = v["metrics"]["qp"].as_u64().unwrap();
    let (ok, out, _) = tcgen(&["encode", "@laplace:256x256:1", "-o", &s(&o), "--qp", &(qp - 1).to_string(), "--strategy", "hw", "--json"]);
    assert!(ok);
    let v2: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v2["metrics"]["bits_per_value"].as_f64().unwrap() > 2.5);
    let (ok, out, err) = tcgen(&["encode", "@laplace:256x256:1", "-o", &s(&o), "--mse", "10", "--strategy", "hw", "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["metrics"]["mse_int8"].as_f64().unwrap() <= 10.0);
}

/// `tcgen eval`: our sweep, x265's on the same frames, the ideal-ECSQ reference and the
/// ratios at equal MSE. On iid Gaussian data no scalar-quantizing codec beats an ideal
/// entropy coder, so both codecs sit above the ECSQ curve.
#[test]
fn eval_compares_with_x265_and_the_ideal_ecsq_reference() {
    let d = dir("eval");
    let svg = d.join("rd.svg");
    let (ok, out, err) = tcgen(&["eval", "@gauss:256x256:1", "--sweep", "22,32", "--json", "--plot", &s(&svg)]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = v["curves"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names[..3], ["tcgen rd", "x265 medium", "ideal ECSQ on the samples"], "{names:?}");
    let gm = v["ratio_vs_x265"]["geomean"].as_f64().unwrap();
    assert!(gm > 0.8 && gm < 1.2, "vs x265 {gm}");
    for c in ["tcgen rd", "x265 medium"] {
        let r = v["ratio_vs_ideal_ecsq"][c]["geomean"].as_f64().unwrap();
        assert!(r > 1.0 && r < 1.3, "{c} vs ideal ECSQ: {r}");
    }
    assert!(std::fs::read_to_string(&svg).unwrap().contains("ideal ECSQ"));
    let _ = std::fs::remove_dir_all(&d);
}

fn assert_fails_clean(args: &[&str], out: &Path, msg: &str) {
    let (ok, _, err) = tcgen(args);
    assert!(!ok, "expected failure for {args:?}");
    assert!(err.contains(msg), "stderr {err:?} lacks {msg:?}");
    assert!(!out.exists(), "{} was written", out.display());
}

#[test]
fn bad_input_gives_clear_error_and_writes_nothing() {
    let d = dir("bad");
    let o = d.join("x.t265");
    let os = s(&o);
    // NaN, with its position
    let nan = d.join("nan.npy");
    let mut v = vec![0.5f32; 12];
    v[7] = f32::NAN;
    golden::tensor::npy::write_npy_f32(&nan, &[3, 4], &v).unwrap();
    assert_fails_clean(&["encode", &s(&nan), "-o", &os], &o, "NaN");
    assert_fails_clean(&["encode", &s(&nan), "-o", &os], &o, "[1, 3]");
    // Inf
    let inf = d.join("inf.npy");
    v[7] = f32::INFINITY;
    golden::tensor::npy::write_npy_f32(&inf, &[3, 4], &v).unwrap();
    assert_fails_clean(&["encode", &s(&inf), "-o", &os], &o, "Inf");
    // empty tensor
    let empty = d.join("empty.npy");
    golden::tensor::npy::write_npy_f32(&empty, &[0, 4], &[]).unwrap();
    assert_fails_clean(&["encode", &s(&empty), "-o", &os], &o, "empty");
    // missing file, unknown extension, garbage
    assert_fails_clean(&["encode", &s(&d.join("none.npy")), "-o", &os], &o, "none.npy");
    let txt = d.join("a.txt");
    std::fs::write(&txt, "hello").unwrap();
    assert_fails_clean(&["encode", &s(&txt), "-o", &os], &o, "extension");
    let garbage = d.join("g.npy");
    std::fs::write(&garbage, b"\x93NUMPY garbage").unwrap();
    assert_fails_clean(&["encode", &s(&garbage), "-o", &os], &o, "g.npy");
    // tensor name not in a safetensors file
    let st = d.join("m.safetensors");
    let t = golden::tensor::synth::gaussian(8, 8, 1);
    golden::tensor::safetensors::write(&st, &[("w1", &t), ("w2", &t)]).unwrap();
    assert_fails_clean(&["encode", &s(&st), "--tensor", "nope", "-o", &os], &o, "w1");
    assert_fails_clean(&["encode", &s(&st), "-o", &os], &o, "w2");
    // bad QP, bad config, frames below 144 for 4:2:0 via a config that allows them
    assert_fails_clean(&["encode", "@gauss:8x8", "--qp", "60", "-o", &os], &o, "QP");
    let cfg = d.join("c.toml");
    std::fs::write(&cfg, "[bitstream]\nctu_size = 128\n").unwrap();
    assert_fails_clean(&["encode", "@gauss:8x8", "--config", &s(&cfg), "-o", &os], &o, "ctu_size");
    std::fs::write(&cfg, "[tiling]\nmin_frame_side = 64\n").unwrap();
    assert_fails_clean(&["encode", "@gauss:8x8", "--config", &s(&cfg), "-o", &os], &o, "at least 144");
    // an unwritable output leaves nothing behind either
    let (ok, _, err) = tcgen(&["encode", "@gauss:8x8", "-o", &s(&d.join("no/such/dir/x.t265"))]);
    assert!(!ok && err.contains("writing"), "{err}");
}

#[test]
fn config_prints_valid_toml() {
    let (ok, out, _) = tcgen(&["config"]);
    assert!(ok);
    assert_eq!(golden::config::Params::from_toml_str(&out).unwrap(), golden::config::Params::default());
}

#[test]
fn verilog_writes_every_block_and_refuses_unsupported_lanes() {
    let d = dir("verilog");
    let out = d.join("v");
    let (ok, _, err) = tcgen(&["verilog", "--out", &s(&out)]);
    assert!(ok, "{err}");
    let list = std::fs::read_to_string(out.join("tcgen.f")).unwrap();
    for b in hw::BLOCKS.iter().chain(&hw::COMPOSITES).chain(&hw::ENCODER) {
        let f = out.join(format!("{b}.v"));
        assert!(std::fs::read_to_string(&f).unwrap().contains(&format!("module {b}(")), "{b}");
        assert!(list.contains(&format!("{b}.v")), "{b} not in tcgen.f");
    }
    let m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert!(m["verilator"].as_str().unwrap().contains("Verilator"), "{m}");
    let cfg = d.join("c.toml");
    std::fs::write(&cfg, "[rtl]\nsamples_per_cycle = 8\n").unwrap();
    let bad = d.join("bad");
    assert_fails_clean(&["verilog", "--config", &s(&cfg), "--out", &s(&bad)], &bad, "samples_per_cycle = 8");
}

#[test]
fn cosim_passes_on_a_small_config_and_reports_bad_arguments() {
    let d = dir("cosim");
    let cfg = d.join("c.toml");
    std::fs::write(&cfg, "[bitstream]\nmax_tu_size = 4\n[rtl]\nsamples_per_cycle = 1\n").unwrap();
    let vcd = d.join("w.vcd");
    let (ok, out, err) = tcgen(&[
        "cosim", "--block", "inv_tq", "--config", &s(&cfg), "--vectors", "30", "--backpressure", "--trace", "0..40", "--vcd", &s(&vcd),
    ]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("PASS") && !out.contains("FAIL") && out.contains("samples/cycle"), "{out}");
    assert!(std::fs::read_to_string(&vcd).unwrap().contains("$enddefinitions"));
    let (ok, _, err) = tcgen(&["cosim", "--block", "nope"]);
    assert!(!ok && err.contains("fwd_tq"), "{err}");
    let (ok, _, err) = tcgen(&["cosim", "--block", "fwd_tq", "--trace", "9..3"]);
    assert!(!ok && err.contains("TO must be after FROM"), "{err}");
}

#[test]
fn cosim_decodes_a_stream_with_the_syntax_decoder_and_the_decoder_core() {
    let d = dir("cosim-stream");
    let (o, h) = (d.join("a.t265"), d.join("a.hevc"));
    let (ok, _, err) = tcgen(&["encode", "@gauss:150x160:5", "-o", &s(&o), "--qp", "32", "--hevc", &s(&h)]);
    assert!(ok, "{err}");
    for f in [&o, &h] {
        let (ok, out, err) = tcgen(&["cosim", "--block", "syn_dec", "--input", &s(f)]);
        assert!(ok, "{out}\n{err}");
        assert!(out.contains("PASS") && out.contains("records"), "{out}");
    }
    for f in [&o, &h] {
        let (ok, out, err) = tcgen(&["cosim", "--core", "decoder", "--input", &s(f)]);
        assert!(ok, "{out}\n{err}");
        assert!(out.contains("PASS") && out.contains("samples/cycle") && out.contains("bins/sample"), "{out}");
    }
    let (ok, out, err) = tcgen(&["cosim", "--core", "decoder", "--tensor", "@gauss:150x160:7", "--json"]);
    assert!(ok, "{out}\n{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["pass"], true, "{j}");
    let (ok, _, err) = tcgen(&["cosim", "--block", "inv_tq", "--input", &s(&o)]);
    assert!(!ok && err.contains("only the syntax decoder"), "{err}");
    // several decoder cores take slices of whole CTU rows only: refused with the reason
    let multi = d.join("multi.toml");
    std::fs::write(&multi, "[bitstream]\nctus_per_slice = 3\n[rtl]\ndecoder_cores = 2\n").unwrap();
    let (ok, _, err) = tcgen(&["cosim", "--core", "decoder", "--tensor", "@gauss:150x160:7", "--config", &s(&multi)]);
    assert!(!ok && err.contains("whole CTU rows") && err.contains("slice 1"), "{err}");
    // the encoder's slice-data writer on a hardware-strategy stream; an RD stream is
    // outside its subset (NxN CUs, split transform trees) and refused with the reason
    let hw_s = d.join("hw.t265");
    let (ok, _, err) = tcgen(&["encode", "@gauss:150x160:5", "-o", &s(&hw_s), "--qp", "32", "--strategy", "hw"]);
    assert!(ok, "{err}");
    let (ok, out, err) = tcgen(&["cosim", "--block", "syn_enc", "--input", &s(&hw_s)]);
    assert!(ok && out.contains("PASS") && out.contains("bins/cycle"), "{out}\n{err}");
    let (ok, _, err) = tcgen(&["cosim", "--block", "syn_enc", "--input", &s(&o)]);
    assert!(!ok && err.contains("outside the writer's subset"), "{err}");
    let (ok, _, err) = tcgen(&["cosim", "--block", "inv_tq", "--core", "decoder"]);
    assert!(!ok && err.contains("cannot be used with"), "{err}");
    // the encoder core on a tensor: golden's bytes and reconstruction, ffmpeg on its stream
    let (ok, out, err) = tcgen(&["cosim", "--core", "encoder", "--tensor", "@gauss:150x160:7", "--qp", "32", "--json"]);
    assert!(ok, "{out}\n{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(j["pass"] == true && j["ffmpeg"]["decodes_to_golden_reconstruction"] == true, "{j}");
    assert!(j["samples_per_cycle"].as_f64().unwrap() > 0.0, "{j}");
    let (ok, _, err) = tcgen(&["cosim", "--core", "encoder", "--input", &s(&d.join("missing.npy"))]);
    assert!(!ok && err.contains("missing.npy"), "{err}");
    let (ok, _, err) = tcgen(&["cosim", "--core", "decoder", "--frames", "2", "--input", &s(&o)]);
    assert!(!ok && err.contains("--frames is for --core encoder"), "{err}");
    let big_cu = d.join("big_cu.toml");
    std::fs::write(&big_cu, "[bitstream]\nmax_tu_size = 8\n[encoder.hw]\ncu_size = 16\n").unwrap();
    let (ok, _, err) = tcgen(&["cosim", "--core", "encoder", "--config", &s(&big_cu)]);
    assert!(!ok && err.contains("cannot be generated") && err.contains("cu_size = 16"), "{err}");
    let bad = d.join("bad.hevc");
    std::fs::write(&bad, b"\x00\x00\x01garbage").unwrap();
    let (ok, _, err) = tcgen(&["cosim", "--block", "syn_dec", "--input", &s(&bad)]);
    assert!(!ok && err.contains("bad.hevc"), "{err}");
}

/// `--core-parts` (TCGEN_LONG: a few minutes of yosys more): the whole-core rows count
/// every part's logic, more than the blocks-only rows.
#[test]
fn report_core_parts_count_every_part_when_long() {
    if std::env::var_os("TCGEN_LONG").is_none() {
        eprintln!("skipped: --core-parts synthesizes syn_dec, syn_enc, search, satd, sdh and recon (minutes); TCGEN_LONG=1 runs it");
        return;
    }
    let d = dir("core-parts");
    let cfg = d.join("c.toml");
    std::fs::write(&cfg, "[bitstream]\nmax_tu_size = 8\n[encoder.hw]\ncu_size = 8\n[rtl]\nsamples_per_cycle = 1\n").unwrap();
    let mut cores = Vec::new();
    for (tag, parts) in [("blocks", false), ("parts", true)] {
        let out_dir = d.join(tag);
        let mut args = vec!["report", "--activity", "rtl", "--config", cfg.to_str().unwrap(), "--vectors", "40", "--qps", "22", "--out", out_dir.to_str().unwrap(), "--quick-build"];
        if parts {
            // and every counted part's critical path, the cores sized at the clock it allows
            args.extend(["--core-parts", "--timing"]);
        }
        let (ok, out, err) = tcgen_shared_synth(&args);
        assert!(ok, "{out}\n{err}");
        let j: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out_dir.join("report.json")).unwrap()).unwrap();
        if parts {
            let tm = &j["timing"];
            let timed = tm["parts"].as_array().unwrap();
            for n in ["syn_dec", "recon", "inv_tq", "intra_pred", "syn_enc", "search", "satd", "sdh", "fwd_tq"] {
                let t = timed.iter().find(|t| t["module"] == n).unwrap_or_else(|| panic!("{n} not timed: {tm}"));
                assert!(t["delay_ps"].as_f64().unwrap() > 100.0 && t["cells"].as_u64().unwrap() >= 8, "{t}");
            }
            for core in ["decoder", "encoder"] {
                let clock = tm[format!("{core}_clock_mhz")].as_f64().unwrap();
                let counted: &[&str] = if core == "decoder" { &["syn_dec", "recon", "inv_tq", "intra_pred"] } else { &["syn_enc", "search", "satd", "sdh", "recon", "fwd_tq", "inv_tq", "intra_pred"] };
                let slowest = timed.iter().filter(|t| counted.contains(&t["module"].as_str().unwrap())).map(|t| t["fmax_mhz"].as_f64().unwrap()).fold(1000.0, f64::min);
                assert_eq!(clock, slowest, "{core}: the clock of its slowest counted part");
                let rows: Vec<&serde_json::Value> = j["sizing"].as_array().unwrap().iter().filter(|z| z["target"] == "100 Gbit/s int8 output" && z["core"].as_str().unwrap().starts_with(&format!("{core} core"))).collect();
                assert_eq!(rows.len(), 2, "{core}: {rows:?}");
                // at a slower clock, at least as many cores
                assert!(rows[1]["blocks"][0][2].as_u64().unwrap() >= rows[0]["blocks"][0][2].as_u64().unwrap(), "{rows:?}");
                assert!(std::fs::read_to_string(out_dir.join("report.md")).unwrap().contains("## Timing (estimate)"));
            }
        } else {
            assert!(j["timing"].is_null(), "{}", j["timing"]);
        }
        cores.push((j["decoder_core_model"].clone(), j["encoder_core_model"].clone()));
    }
    for (k, what) in [(0, "decoder"), (1, "encoder")] {
        let get = |i: usize| if k == 0 { cores[i].0.clone() } else { cores[i].1.clone() };
        let (b, p) = (get(0), get(1));
        assert!(p["area_scope"].as_str().unwrap().contains("every part"), "{what}: {p}");
        assert!(!b["area_scope"].as_str().unwrap().contains("every part"), "{what}: {b}");
        assert_eq!(b["memory_um2"], p["memory_um2"], "{what}");
        assert!(p["area_um2"].as_f64().unwrap() > b["area_um2"].as_f64().unwrap() * 1.1, "{what}: {} vs {}", p["area_um2"], b["area_um2"]);
    }
}

/// Gate-level activity (TCGEN_LONG: a gate-level toggle build per block) gates the
/// clock: every block's energy carries its clock gating (the enables of its generic
/// netlist, all found in the run), a duty in (0, 1], and pJ/unit at most the ungated
/// figure plus the gates' own cost.
#[test]
fn report_gate_level_activity_gates_the_clock_when_long() {
    if std::env::var_os("TCGEN_LONG").is_none() {
        eprintln!("skipped: gate-level toggle builds of every block (minutes); TCGEN_LONG=1 runs it");
        return;
    }
    let d = dir("gating");
    let cfg = d.join("c.toml");
    std::fs::write(&cfg, "[bitstream]\nmax_tu_size = 8\n[encoder.hw]\ncu_size = 8\n[rtl]\nsamples_per_cycle = 1\n").unwrap();
    let out_dir = d.join("r");
    let (ok, out, err) = tcgen_shared_synth(&["report", "--config", &s(&cfg), "--vectors", "40", "--qps", "22", "--out", &s(&out_dir), "--quick-build"]);
    assert!(ok, "{out}\n{err}");
    let j: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out_dir.join("report.json")).unwrap()).unwrap();
    if j["manifest"]["liberty"].is_null() {
        eprintln!("SKIPPED the gating checks: no liberty (../shared/asap7 absent)");
        return;
    }
    for b in j["blocks"].as_array().unwrap() {
        let g = &b["energy"]["clock_gating"];
        assert!(g.is_object(), "{}: no clock gating with gate-level activity", b["block"]);
        let duty = g["gating"]["duty"].as_f64().unwrap();
        assert!(duty > 0.0 && duty <= 1.0, "{b}");
        assert_eq!(g["gating"]["unresolved"], 0, "{}: every enable found in the run", b["block"]);
        assert_eq!(g["gating"]["unparsed"], 0, "{}", b["block"]);
        let (gated, ungated) = (b["energy"]["pj_per_unit"].as_f64().unwrap(), g["pj_per_unit_ungated"].as_f64().unwrap());
        assert!(gated <= ungated * 1.05, "{}: {gated} vs {ungated}", b["block"]);
    }
    assert!(std::fs::read_to_string(out_dir.join("report.md")).unwrap().contains("pJ/unit ungated"));
}

#[test]
// named to sort first: libtest starts tests in name order, and this one (the longest
// of the file) would otherwise start last and run alone. Its blocks are the ones
// area_energy's calibration tests synthesize (P = 1, TU 8), so in `cargo test
// --workspace` their syntheses come from the shared cache.
fn a_report_on_a_small_config_writes_json_markdown_and_plots() {
    let d = dir("report");
    let cfg = d.join("c.toml");
    std::fs::write(
        &cfg,
        "[bitstream]\nmax_tu_size = 8\n[encoder.hw]\ncu_size = 8\n[rtl]\nsamples_per_cycle = 1\n",
    )
    .unwrap();
    let out_dir = d.join("r");
    let (ok, out, err) = tcgen_shared_synth(&[
        "report",
        "--activity",
        "rtl",
        "--config",
        &s(&cfg),
        // a short toggle run: the test is of the report, not of the activity figures
        "--vectors",
        "40",
        "--qps",
        "22,32",
        "--out",
        &s(&out_dir),
        "--quick-build",
    ]);
    assert!(ok, "{out}\n{err}");
    assert!(
        out.contains("## Sizing") && out.contains("Table II"),
        "{out}"
    );
    for f in [
        "area.svg",
        "energy.svg",
        "bits_vs_mse.svg",
        "throughput.svg",
    ] {
        assert!(
            std::fs::read_to_string(out_dir.join(f))
                .unwrap()
                .contains("<svg"),
            "{f}"
        );
    }
    assert!(std::fs::read_to_string(out_dir.join("report.md"))
        .unwrap()
        .contains("| fwd_tq |"));
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("report.json")).unwrap())
            .unwrap();
    assert_eq!(j["version"], 1);
    assert!(j["manifest"]["config_toml"]
        .as_str()
        .unwrap()
        .contains("samples_per_cycle = 1"));
    let blocks = j["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), hw::BLOCKS.len());
    let mapped = !j["manifest"]["liberty"].is_null();
    for b in blocks {
        assert!(b["energy"]["pj_per_unit"].as_f64().unwrap() > 0.0, "{b}");
        // RTL activity: no gate-level run to measure the enables in, so no clock gating
        assert!(b["energy"]["clock_gating"].is_null(), "{b}");
        assert!(b["area"]["cell_um2"].as_f64().unwrap() > 0.0, "{b}");
        if mapped {
            let e = b["area"]["nand2_path_error"].as_f64().unwrap();
            assert!(
                e.abs() <= 0.15,
                "{}: NAND2 path {e:+.3} off the liberty-mapped area",
                b["block"]
            );
        }
    }
    // 4 targets x (decoder blocks, encoder blocks, whole decoder cores, whole encoder cores)
    assert_eq!(j["sizing"].as_array().unwrap().len(), 16);
    let dc = &j["decoder_core_model"];
    assert!(dc["cycles"].as_u64().unwrap() > 0 && dc["values_per_cycle"].as_f64().unwrap() > 0.0, "{dc}");
    assert!(dc["area_um2"].as_f64().unwrap() > dc["memory_um2"].as_f64().unwrap(), "{dc}");
    assert!(j["sizing"].as_array().unwrap().iter().any(|z| z["core"] == "decoder core (cycle model)" && z["blocks"][0][2].as_u64().unwrap() >= 1));
    assert!(std::fs::read_to_string(out_dir.join("report.md")).unwrap().contains("## Decoder core (cycle model)"));
    let ec = &j["encoder_core_model"];
    assert!(ec["cycles"].as_u64().unwrap() > 0 && ec["values_per_cycle"].as_f64().unwrap() > 0.0, "{ec}");
    assert!(ec["area_um2"].as_f64().unwrap() > ec["memory_um2"].as_f64().unwrap(), "{ec}");
    assert!(j["sizing"].as_array().unwrap().iter().any(|z| z["core"] == "encoder core (cycle model)" && z["blocks"][0][2].as_u64().unwrap() >= 1));
    assert!(std::fs::read_to_string(out_dir.join("report.md")).unwrap().contains("## Encoder core (cycle model)"));
    assert_eq!(j["hw_strategy"].as_array().unwrap().len(), 2);
    // both strategies above the ideal entropy-coded scalar quantizer, the RTL's rule more
    for (k, lo) in [("rd_strategy_ratio", 1.0), ("hw_strategy_ratio", j["ideal_ecsq"]["rd_strategy_ratio"].as_f64().unwrap())] {
        let r = j["ideal_ecsq"][k].as_f64().unwrap();
        assert!(r > lo && r < 1.5, "{k} {r}");
    }
    assert!(std::fs::read_to_string(out_dir.join("bits_vs_mse.svg")).unwrap().contains("ideal ECSQ"));
    assert!(
        j["reference"]["h265_decoder"]["parts"]
            .as_array()
            .unwrap()
            .len()
            > 5
    );
    // three decoder fronts sharing one inv_tq and intra_pred on one-row slices (no line
    // buffers): the row is dec_multi's, about three cores' rate for less than three
    // cores' area and fewer memories than one core's
    let cfg3 = d.join("c3.toml");
    std::fs::write(&cfg3, "[bitstream]\nmax_tu_size = 8\nslice_rows = 1\n[encoder.hw]\ncu_size = 8\n[rtl]\nsamples_per_cycle = 1\ndecoder_cores = 3\ndecoder_shared_backend = true\nencoder_cores = 3\n").unwrap();
    let out3 = d.join("r3");
    let (ok, out, err) = tcgen_shared_synth(&["report", "--activity", "rtl", "--config", &s(&cfg3), "--vectors", "40", "--qps", "22", "--out", &s(&out3), "--quick-build"]);
    assert!(ok, "{out}\n{err}");
    let j3: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out3.join("report.json")).unwrap()).unwrap();
    let d3 = &j3["decoder_core_model"];
    assert!(d3["unit"] == "dec_multi" && d3["cores"] == 3 && d3["shared_backend"] == true, "{d3}");
    let ratio = d3["values_per_cycle"].as_f64().unwrap() / dc["values_per_cycle"].as_f64().unwrap();
    assert!(ratio > 2.7 && ratio < 3.1, "three fronts at {ratio:.3}x one core's rate");
    assert!(d3["area_um2"].as_f64().unwrap() < 2.5 * dc["area_um2"].as_f64().unwrap(), "{d3} vs {dc}");
    assert!(d3["memory_um2"].as_f64().unwrap() < dc["memory_um2"].as_f64().unwrap(), "{d3} vs {dc}");
    assert!(j3["sizing"].as_array().unwrap().iter().any(|z| z["core"] == "decoder core (cycle model)" && z["blocks"][0][0] == "dec_multi"));
    assert!(std::fs::read_to_string(out3.join("report.md")).unwrap().contains("3 fronts sharing one `inv_tq` and one `intra_pred`"));
    // and three whole encoder cores (enc_multi) without line buffers: three cores' rate,
    // less than three cores' memories
    let e3 = &j3["encoder_core_model"];
    assert!(e3["unit"] == "enc_multi" && e3["cores"] == 3, "{e3}");
    let ratio = e3["values_per_cycle"].as_f64().unwrap() / ec["values_per_cycle"].as_f64().unwrap();
    assert!(ratio > 2.5 && ratio < 3.1, "three encoder cores at {ratio:.3}x one core's rate");
    assert!(e3["memory_um2"].as_f64().unwrap() < 2.0 * ec["memory_um2"].as_f64().unwrap(), "{e3} vs {ec}");
    let (ok, _, err) = tcgen(&["report", "--node", "tsmc3", "--out", &s(&d.join("x"))]);
    assert!(!ok && err.contains("unknown node"), "{err}");
    let (ok, _, err) = tcgen(&[
        "report",
        "--liberty",
        "/nonexistent.lib",
        "--out",
        &s(&d.join("y")),
    ]);
    assert!(!ok && err.contains("not found"), "{err}");
}
