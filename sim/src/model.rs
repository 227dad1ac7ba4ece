//! A Verilator model of one generated module, loaded into this process.
//!
//! The module's port list is read from its Verilog header; an `extern "C"` shim (set,
//! get, eval, tick, VCD window, toggle counts) is generated for exactly those
//! ports and built together with the Verilated model and Verilator's runtime by
//! Verilator's own makefile (`verilator --cc --exe`, then `make`, linked `-shared`), then
//! loaded with `libloading`. The run-time library's objects are compiled once per
//! (options, Verilator version) and reused by every later build (they cost 6-10 s of
//! compilation per model), and so are Verilator's headers, precompiled
//! (`precompiled_header`: a model builds in about half the time); the construction
//! code is compiled at -O0. The build is cached per (Verilog, options) hash under
//! [`cache_dir`]; concurrent builds of the same model go to private directories and
//! the first to finish is renamed into place, so parallel tests never race.
//!
//! Why not a crate: `verilator`/`verilated` 0.1.x do not build against Verilator 5, and
//! `marlin` binds a Rust struct to a fixed Verilog file at compile time through a
//! proc macro, while our modules and port widths are generated from the run-time
//! config. Why not `cc` in build.rs: the model exists only at run time, so the shim is
//! compiled then, with the compiler and flags Verilator's makefile uses for the model.

use std::ffi::{c_char, c_int, c_void, CString};
use std::path::{Path, PathBuf};
use std::process::Command;

use hw::GeneratedModule;

/// Errors of building or driving a model.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("{0}")]
    MissingTool(String),
    #[error("verilator build of {module} failed (log {log}):\n{tail}")]
    Build { module: String, log: String, tail: String },
    #[error("loading {0}: {1}")]
    Load(String, String),
    #[error("module {module} has no port `{port}`")]
    NoPort { module: String, port: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Other(String),
}

/// Port direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    In,
    Out,
}

/// One port of a module.
#[derive(Clone, Debug)]
pub struct Port {
    pub name: String,
    pub width: usize,
    pub dir: Dir,
}

/// Ports of the first module in `verilog`, from its `input`/`output` declarations.
pub fn parse_ports(verilog: &str) -> Vec<Port> {
    let mut out = Vec::new();
    let mut in_module = false;
    for line in verilog.lines() {
        let t = line.trim();
        if t.starts_with("module ") {
            if in_module {
                break;
            }
            in_module = true;
            continue;
        }
        if !in_module {
            continue;
        }
        let dir = if t.starts_with("input ") {
            Dir::In
        } else if t.starts_with("output ") {
            Dir::Out
        } else {
            continue;
        };
        let t = t.trim_end_matches(';');
        let width = match (t.find('['), t.find(':')) {
            (Some(a), Some(b)) if b > a => t[a + 1..b].trim().parse::<usize>().map(|h| h + 1).unwrap_or(1),
            _ => 1,
        };
        let name = t.split_whitespace().last().unwrap_or("").to_string();
        out.push(Port { name, width, dir });
    }
    out
}

/// Options that change the built model.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BuildOptions {
    /// Build with `--trace` (VCD) support.
    pub trace: bool,
    /// Build with `--public-flat-rw` and count every signal's transitions after each
    /// evaluation (per-signal toggle counts).
    pub toggles: bool,
    /// Compile the per-cycle C++ at -O0 instead of -O1: less build time for a large
    /// netlist, slower simulation (for short gate-level checks).
    pub quick_compile: bool,
}

/// Where built models are cached: `$TCGEN_SIM_DIR`, else `target/tcgen-sim` of this
/// workspace.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("TCGEN_SIM_DIR") {
        return PathBuf::from(d);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("target").join("tcgen-sim")
}


/// `verilator --version` (part of the run-time library's cache key).
fn verilator_version(v: &Path) -> String {
    static V: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    V.get_or_init(|| Command::new(v).arg("--version").output().map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default()).clone()
}

fn fnv(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for p in parts {
        for &b in *p {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

fn shim(module: &str, ports: &[Port], toggles: bool) -> String {
    let mut set = String::new();
    let mut get = String::new();
    for (i, p) in ports.iter().enumerate() {
        let n = &p.name;
        let words = p.width.div_ceil(32);
        match p.dir {
            Dir::In => {
                let body = if p.width <= 32 {
                    format!("s->m->{n} = w[0];")
                } else if p.width <= 64 {
                    format!("s->m->{n} = (QData)w[0] | ((QData)w[1] << 32);")
                } else {
                    format!("for (int i = 0; i < {words}; i++) s->m->{n}[i] = w[i];")
                };
                set.push_str(&format!("        case {i}: {body} break;\n"));
            }
            Dir::Out => {}
        }
        let body = if p.width <= 32 {
            format!("w[0] = s->m->{n};")
        } else if p.width <= 64 {
            format!("w[0] = (uint32_t)s->m->{n}; w[1] = (uint32_t)(s->m->{n} >> 32);")
        } else {
            format!("for (int i = 0; i < {words}; i++) w[i] = s->m->{n}[i];")
        };
        get.push_str(&format!("        case {i}: {body} break;\n"));
    }
    let toggles = toggles as u8;
    format!(
        r#"// generated by sim/src/model.rs for module {module}
#define TCGEN_TOGGLES {toggles}
#include "V{module}.h"
#include "verilated.h"
#if VM_TRACE
#include "verilated_vcd_c.h"
#endif
#include <cstdint>
#if TCGEN_TOGGLES
#include "verilated_syms.h"
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

// One signal of the design (`--public-flat-rw` lists them all, per scope) and its
// transitions: after every evaluation the bits that differ from the last evaluation
// are counted. Verilator's `--coverage-toggle`, which this replaced, generates C++ per
// bit (11 MB for inv_tq at TU 8) and counted the same: equal totals over every signal
// of dequant, cabac_dec, intra_pred and res_dec (`tcgen cosim --block B --vectors 100
// --toggles F`, P 1, TU 4), and 1.2% more on inv_tq, all of it on five combinational
// signals that coverage also counted when they changed inside one evaluation.
struct Tog {{
    std::string name;
    const unsigned char* data;
    size_t bytes;
    uint64_t bits;
    uint64_t count;
    std::vector<unsigned char> last;
}};
// A watched bit: rising clock edges at which it is 1 (sampled before the edge, after
// the inputs have settled: what a flop's enable or a clock gate sees).
struct Watch {{
    const unsigned char* data;
    size_t byte;
    unsigned char mask;
    uint64_t count;
}};
#endif

struct Sim {{
    VerilatedContext* ctx;
    V{module}* m;
#if VM_TRACE
    VerilatedVcdC* vcd;
#endif
    uint64_t t;
    int dump;
#if TCGEN_TOGGLES
    std::vector<Tog> togs;
    std::vector<Watch> watches;
    uint64_t edges;
#endif
}};

#if TCGEN_TOGGLES
// The design's signals: every scope below the model's own (`top` or `top.TOP`, which
// only repeats the top module's ports), parameters left out; named as toggle coverage names them
// (`top.MODULE.signal`).
static void tog_init(Sim* s) {{
    const VerilatedScopeNameMap* scopes = s->ctx->scopeNameMap();
    if (!scopes) return;
    const std::string top = s->m->name();
    for (const auto& sc : *scopes) {{
        const std::string scope = sc.first;
        if (scope == top || scope == top + ".TOP") continue;
        const VerilatedVarNameMap* vars = sc.second->varsp();
        if (!vars) continue;
        for (const auto& v : *vars) {{
            const VerilatedVar& var = v.second;
            if (var.isParam()) continue;
            uint64_t bits = (uint64_t)var.elements(0);
            for (int d = 1; d <= var.udims(); ++d) bits *= (uint64_t)var.elements(d);
            std::string name = scope + "." + v.first;
            for (size_t at; (at = name.find("__DOT__")) != std::string::npos;) name.replace(at, 7, ".");
            const unsigned char* data = (const unsigned char*)var.datap();
            size_t bytes = var.totalSize();
            s->togs.push_back(Tog{{name, data, bytes, bits, 0, std::vector<unsigned char>(data, data + bytes)}});
        }}
    }}
}}
static void tog_step(Sim* s) {{
    for (Tog& t : s->togs) {{
        if (std::memcmp(t.data, t.last.data(), t.bytes) == 0) continue;
        for (size_t i = 0; i < t.bytes; i++) {{
            unsigned char x = t.data[i] ^ t.last[i];
            if (x) {{
                t.count += __builtin_popcount(x);
                t.last[i] = t.data[i];
            }}
        }}
    }}
}}
static void watch_edge(Sim* s) {{
    if (s->watches.empty()) return;
    // settle the inputs set since the last evaluation (no toggle step: the transitions
    // are counted against the last snapshot at the next one, so the totals are the same)
    s->m->eval();
    for (Watch& w : s->watches) w.count += (w.data[w.byte] & w.mask) != 0;
    s->edges++;
}}
#else
static void tog_init(Sim*) {{}}
static void tog_step(Sim*) {{}}
static void watch_edge(Sim*) {{}}
#endif

extern "C" {{
void* tcgen_sim_new() {{
    Sim* s = new Sim;
    s->ctx = new VerilatedContext;
#if VM_TRACE
    s->ctx->traceEverOn(true);
    s->vcd = nullptr;
#endif
    s->m = new V{module}(s->ctx, "top");
    s->t = 0;
    s->dump = 0;
#if TCGEN_TOGGLES
    s->edges = 0;
#endif
    tog_init(s);
    return s;
}}
void tcgen_sim_free(void* p) {{
    Sim* s = (Sim*)p;
#if VM_TRACE
    if (s->vcd) {{ s->vcd->close(); delete s->vcd; }}
#endif
    s->m->final();
    delete s->m;
    delete s->ctx;
    delete s;
}}
void tcgen_sim_set(void* p, int port, const uint32_t* w) {{
    Sim* s = (Sim*)p;
    switch (port) {{
{set}        default: break;
    }}
}}
void tcgen_sim_get(void* p, int port, uint32_t* w) {{
    Sim* s = (Sim*)p;
    switch (port) {{
{get}        default: break;
    }}
}}
void tcgen_sim_eval(void* p) {{
    Sim* s = (Sim*)p;
    s->m->eval();
    tog_step(s);
}}
void tcgen_sim_tick(void* p) {{
    Sim* s = (Sim*)p;
    watch_edge(s);
    s->m->clock = 1;
    s->m->eval();
    tog_step(s);
#if VM_TRACE
    if (s->dump && s->vcd) s->vcd->dump(s->t);
#endif
    s->t++;
    s->m->clock = 0;
    s->m->eval();
    tog_step(s);
#if VM_TRACE
    if (s->dump && s->vcd) s->vcd->dump(s->t);
#endif
    s->t++;
}}
int tcgen_sim_trace_open(void* p, const char* path) {{
#if VM_TRACE
    Sim* s = (Sim*)p;
    if (s->vcd) return 1;
    s->vcd = new VerilatedVcdC;
    s->m->trace(s->vcd, 99);
    s->vcd->open(path);
    return s->vcd->isOpen() ? 0 : 2;
#else
    (void)p; (void)path;
    return -1;
#endif
}}
void tcgen_sim_trace_enable(void* p, int on) {{
    Sim* s = (Sim*)p;
    s->dump = on;
#if VM_TRACE
    if (s->vcd) s->vcd->flush();
#endif
}}
// Watch bits: the file holds a line "name bit" per watch (names as in the toggle
// counts). Returns the number of watches read; a signal that is not there, or a bit
// beyond its width, is watched as never set and reported with count -1.
int tcgen_sim_watch_read(void* p, const char* path) {{
#if TCGEN_TOGGLES
    Sim* s = (Sim*)p;
    FILE* f = std::fopen(path, "r");
    if (!f) return -2;
    char name[4096];
    unsigned long long bit;
    int n = 0;
    static const unsigned char zero = 0;
    while (std::fscanf(f, "%4095s %llu", name, &bit) == 2) {{
        Watch w{{&zero, 0, 0, 0}};
        for (const Tog& t : s->togs) {{
            if (t.name == name && bit < t.bits) {{
                w = Watch{{t.data, (size_t)(bit / 8), (unsigned char)(1u << (bit % 8)), 0}};
                break;
            }}
        }}
        s->watches.push_back(w);
        n++;
    }}
    std::fclose(f);
    return n;
#else
    (void)p; (void)path;
    return -1;
#endif
}}
// The watches' counts: a first line "edges N", then a line per watch (in order) with
// its count, -1 for a watch that was not found.
int tcgen_sim_watch_write(void* p, const char* path) {{
#if TCGEN_TOGGLES
    Sim* s = (Sim*)p;
    FILE* f = std::fopen(path, "w");
    if (!f) return 2;
    std::fprintf(f, "edges %llu\n", (unsigned long long)s->edges);
    for (const Watch& w : s->watches) {{
        if (w.mask == 0) std::fprintf(f, "-1\n");
        else std::fprintf(f, "%llu\n", (unsigned long long)w.count);
    }}
    return std::fclose(f) == 0 ? 0 : 2;
#else
    (void)p; (void)path;
    return -1;
#endif
}}
// Per-signal toggle counts: a line "name bits transitions" per signal.
int tcgen_sim_toggles_write(void* p, const char* path) {{
#if TCGEN_TOGGLES
    Sim* s = (Sim*)p;
    FILE* f = std::fopen(path, "w");
    if (!f) return 2;
    for (const Tog& t : s->togs) std::fprintf(f, "%s %llu %llu\n", t.name.c_str(), (unsigned long long)t.bits, (unsigned long long)t.count);
    return std::fclose(f) == 0 ? 0 : 2;
#else
    (void)p; (void)path;
    return -1;
#endif
}}
}}
"#
    )
}

type FNew = unsafe extern "C" fn() -> *mut c_void;
type FFree = unsafe extern "C" fn(*mut c_void);
type FSet = unsafe extern "C" fn(*mut c_void, c_int, *const u32);
type FGet = unsafe extern "C" fn(*mut c_void, c_int, *mut u32);
type FEval = unsafe extern "C" fn(*mut c_void);
type FPath = unsafe extern "C" fn(*mut c_void, *const c_char) -> c_int;
type FOn = unsafe extern "C" fn(*mut c_void, c_int);

/// Index of a port in [`Model::ports`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortId(pub usize);

/// A loaded, running model.
pub struct Model {
    pub module: String,
    pub ports: Vec<Port>,
    pub dir: PathBuf,
    handle: *mut c_void,
    f_free: FFree,
    f_set: FSet,
    f_get: FGet,
    f_eval: FEval,
    f_tick: FEval,
    f_trace_open: FPath,
    f_trace_enable: FOn,
    f_toggles_write: FPath,
    f_watch_read: FPath,
    f_watch_write: FPath,
    /// Watches added so far ([`Model::watch`]).
    watched: usize,
    /// Rising edges so far.
    pub cycles: u64,
    trace: Option<(u64, u64)>,
    tracing: bool,
    _lib: libloading::Library,
}

impl Drop for Model {
    fn drop(&mut self) {
        // SAFETY: handle came from tcgen_sim_new of this library and is freed once.
        unsafe { (self.f_free)(self.handle) }
    }
}

/// A netlist written by yosys's `write_verilog` (its header line), as
/// `hw::yosys::generic_netlist` makes them.
fn is_yosys_netlist(verilog: &str) -> bool {
    verilog.trim_start().starts_with("/* Generated by Yosys")
}

/// Build (or reuse) the shared library of a module; returns its directory and ports.
pub fn build(m: &GeneratedModule, opts: &BuildOptions) -> Result<(PathBuf, Vec<Port>), SimError> {
    let verilator = hw::common::tool("verilator").map_err(SimError::MissingTool)?;
    let ports = parse_ports(&m.verilog);
    let shim_src = shim(&m.name, &ports, opts.toggles);
    let flags = format!("trace={} toggles={} public-flat-rw quick={} fast=O1", opts.trace, opts.toggles, opts.quick_compile);
    // A netlist yosys wrote (gate-level cosimulation) is verilated at -O0: Verilator
    // 5.006's optimizations mis-evaluate some of them. Found 2026-12-07 on `satd`'s
    // generic netlist (P = 1, TU 8): at -O3 a row of its band memory came out with bit
    // 11 of every lane inverted, XOR gates in the run's VCD disagreeing with their own
    // inputs, while yosys's `eval` of the same netlist file and Verilator at -O0 gave
    // the RTL's values (`-fno-gate` alone fixed that row but not the block's result).
    // The same cause was behind the gate-level failures earlier put down to yosys's
    // `alumacc`, `fsm` and `wreduce` (`hw::yosys::synth_cmd`). RTL models keep -O3.
    let vopt = if is_yosys_netlist(&m.verilog) { "-O0" } else { "-O3" };
    let h = fnv(&[m.verilog.as_bytes(), shim_src.as_bytes(), flags.as_bytes(), vopt.as_bytes()]);
    let root = cache_dir();
    let dir = root.join(format!("{}-{h:016x}", m.name));
    if dir.join("obj/libsim.so").is_file() {
        return Ok((dir, ports));
    }
    // one build per model at a time in this process: a test that needs a model another
    // test is building waits for it instead of compiling it again (other processes
    // still race harmlessly: the first finished build is renamed into place)
    let lock = {
        static BUILDS: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<u64, std::sync::Arc<std::sync::Mutex<()>>>>> = std::sync::OnceLock::new();
        let mut map = BUILDS.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
        map.entry(h).or_default().clone()
    };
    let _held = lock.lock().unwrap_or_else(|e| e.into_inner());
    if dir.join("obj/libsim.so").is_file() {
        return Ok((dir, ports));
    }
    std::fs::create_dir_all(&root)?;
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let tmp = root.join(format!(".{}-{h:016x}-{}-{nanos}", m.name, std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    std::fs::write(tmp.join(format!("{}.v", m.name)), &m.verilog)?;
    std::fs::write(tmp.join("shim.cpp"), &shim_src)?;
    // verilate, then make: Verilator's run-time library (verilated.o and friends, the
    // same for every model built with these options) is compiled once per cache and
    // copied in; its rule depends on the model's makefile, so the copies go in after
    // verilation (newer than it) and make skips them
    let mut cmd = Command::new(&verilator);
    cmd.current_dir(&tmp).args([
        "--cc", "--exe", vopt, "--x-assign", "fast", "--x-initial", "fast", "-Wno-fatal",
        "-CFLAGS", if opts.quick_compile { "-fPIC -O0" } else { "-fPIC -O2" }, "-LDFLAGS", "-shared", "-o", "libsim.so", "--Mdir", "obj", "--top-module",
    ]);
    cmd.arg(&m.name);
    if opts.trace {
        cmd.arg("--trace");
    }
    if opts.toggles {
        // every signal public, listed per scope for the shim's toggle counter (Verilator's
        // `--coverage-toggle` counts the same with C++ per bit: inv_tq at TU 8 made 11 MB
        // of it, 2 minutes to compile, against 0.4 MB with this)
        cmd.arg("--public-flat-rw");
    }
    cmd.arg(format!("{}.v", m.name)).arg("shim.cpp");
    let out = cmd.output()?;
    let log = tmp.join("build.log");
    let mut text = [&out.stdout[..], &out.stderr[..]].concat();
    let runtime = root.join(format!(".runtime-{:016x}", fnv(&[flags.as_bytes(), verilator_version(&verilator).as_bytes()])));
    let mut ok = out.status.success();
    if ok {
        if let Ok(rd) = std::fs::read_dir(&runtime) {
            for e in rd.flatten() {
                let _ = std::fs::copy(e.path(), tmp.join("obj").join(e.file_name()));
            }
        }
        // construction code (`__Slow`: initial values, symbol tables) runs once: -O0 (at
        // -O2 it took most of a toggle-coverage build); `quick` also the per-cycle code.
        // The per-cycle code at -O1, not Verilator's default -Os: -Os and -O2 compile
        // a large fast file in about 10 s, -O1 in 6 s (enc_core's largest, g++ 12);
        // builds are most of the tests' time: area_energy's cycle_model tests from a
        // cold cache 372 s at -O2, 322 s at -O1 (one at a time), while a cached
        // enc_core run of four streams went from 14 s to 17 s (golden's encodes
        // included); -O2 had made simulation 34% shorter than -Os. The precompiled
        // header is built at exactly these levels (GCC uses it only at its own).
        let (slow, fast) = ("O0", if opts.quick_compile { "O0" } else { "O1" });
        let variants: &[&str] = if slow == fast { &[slow] } else { &[slow, fast] };
        let pch = precompiled_header(&root, &flags, &verilator, &tmp.join("obj"), &m.name, variants, &mut text);
        let mut make = Command::new("make");
        make.current_dir(tmp.join("obj")).args(["-j", "2", "-f", &format!("V{}.mk", m.name)]);
        make.arg(format!("OPT_SLOW=-{slow}")).arg(format!("OPT_FAST=-{fast}"));
        if let Some(h) = &pch {
            make.arg(format!("USER_CPPFLAGS=-include {}", h.display()));
        }
        let out = make.output().map_err(|e| SimError::MissingTool(format!("make: {e} (install it: sudo apt-get install make)")))?;
        text.extend_from_slice(&out.stdout);
        text.extend_from_slice(&out.stderr);
        ok = out.status.success();
    }
    std::fs::write(&log, &text)?;
    if !ok || !tmp.join("obj/libsim.so").is_file() {
        let text = String::from_utf8_lossy(&text);
        let tail: String = text.lines().rev().take(30).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
        return Err(SimError::Build { module: m.name.clone(), log: log.display().to_string(), tail });
    }
    if !runtime.is_dir() {
        // first build with these options: keep its run-time objects for the next ones
        let staging = root.join(format!(".rt-{}-{nanos}", std::process::id()));
        if std::fs::create_dir_all(&staging).is_ok() {
            let mut copied = true;
            for e in std::fs::read_dir(tmp.join("obj"))?.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with("verilated") && name.ends_with(".o") {
                    copied &= std::fs::copy(e.path(), staging.join(&name)).is_ok();
                }
            }
            if !copied || std::fs::rename(&staging, &runtime).is_err() {
                let _ = std::fs::remove_dir_all(&staging);
            }
        }
    }
    match std::fs::rename(&tmp, &dir) {
        Ok(()) => Ok((dir, ports)),
        Err(_) if dir.join("obj/libsim.so").is_file() => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok((dir, ports))
        }
        Err(e) => Err(e.into()),
    }
}

/// Verilator's headers (`verilated.h` and what the shim adds), precompiled once per
/// (options, Verilator version) for every later model build: g++ spends about 1.4 s
/// parsing them in each of a model's ten or so translation units, and res_dec's build
/// went from 22.8 s to 11.9 s (`make -j1`, per-cycle code at -O1) with the header
/// precompiled. One `.gch` per optimization level the build uses (`O0` for
/// construction code, `O1` for per-cycle code; GCC rejects a header compiled at
/// another level), in a `tcgen_pch.h.gch` directory GCC searches; compiled with the
/// model makefile's own flags (a makefile that includes it), so every macro matches.
/// A header GCC finds invalid (another compiler) is silently parsed instead, and a
/// failed precompilation only costs the speed-up: `None`, the build goes on without.
/// Returns the header to `-include`.
fn precompiled_header(root: &Path, flags: &str, verilator: &Path, obj: &Path, name: &str, variants: &[&str], log: &mut Vec<u8>) -> Option<PathBuf> {
    let key = fnv(&[flags.as_bytes(), verilator_version(verilator).as_bytes(), variants.join(",").as_bytes()]);
    let dir = root.join(format!(".pch-{key:016x}"));
    let header = "tcgen_pch.h";
    let ready = |d: &Path| d.join(header).is_file() && variants.iter().all(|v| d.join(format!("{header}.gch/{v}")).is_file());
    // make splits its variables at white space: a cache path with any is built without
    let plain = |p: &Path| p.to_str().is_some_and(|s| !s.chars().any(|c| c.is_whitespace() || "\"'$#;&|".contains(c)));
    if !plain(&dir) {
        return None;
    }
    if ready(&dir) {
        return Some(dir.join(header));
    }
    let text = "// Verilator's headers, precompiled for every model (tcgen sim::model)\n#include \"verilated.h\"\n#include \"verilated_vcd_c.h\"\n#include \"verilated_syms.h\"\n";
    let mk = format!(
        "include V{name}.mk\n{header}.gch/%: {header}\n\t@mkdir -p {header}.gch\n\t$(CXX) $(CXXFLAGS) $(CPPFLAGS) -MF tcgen_pch-$*.d -$* -x c++-header {header} -o $@\n"
    );
    std::fs::write(obj.join(header), text).ok()?;
    std::fs::write(obj.join("tcgen_pch.mk"), mk).ok()?;
    let mut make = Command::new("make");
    make.current_dir(obj).args(["-j", "2", "-f", "tcgen_pch.mk"]);
    for v in variants {
        make.arg(format!("{header}.gch/{v}"));
    }
    let out = make.output().ok()?;
    log.extend_from_slice(&out.stdout);
    log.extend_from_slice(&out.stderr);
    if !out.status.success() || !ready(obj) {
        log.extend_from_slice(b"(precompiled header not built: the model builds without it)\n");
        return None;
    }
    // keep it for later builds: staged, then renamed into place (the first of racing
    // builds wins; the others use the winner's)
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let staging = root.join(format!(".pch-stage-{}-{nanos}", std::process::id()));
    let staged = std::fs::create_dir_all(staging.join(format!("{header}.gch"))).is_ok()
        && std::fs::copy(obj.join(header), staging.join(header)).is_ok()
        && variants.iter().all(|v| std::fs::rename(obj.join(format!("{header}.gch/{v}")), staging.join(format!("{header}.gch/{v}"))).is_ok());
    if staged && std::fs::rename(&staging, &dir).is_ok() {
        return Some(dir.join(header));
    }
    let _ = std::fs::remove_dir_all(&staging);
    ready(&dir).then(|| dir.join(header))
}

impl Model {
    /// Build (cached) and load a model of `m`.
    pub fn new(m: &GeneratedModule, opts: &BuildOptions) -> Result<Model, SimError> {
        let (dir, ports) = build(m, opts)?;
        let so = dir.join("obj/libsim.so");
        // SAFETY: the library is the shim built above; symbols have the declared types.
        unsafe {
            let lib = libloading::Library::new(&so).map_err(|e| SimError::Load(so.display().to_string(), e.to_string()))?;
            let sym = |n: &[u8]| -> Result<*const (), SimError> {
                lib.get::<*const ()>(n)
                    .map(|s| *s)
                    .map_err(|e| SimError::Load(so.display().to_string(), e.to_string()))
            };
            let f_new: FNew = std::mem::transmute(sym(b"tcgen_sim_new\0")?);
            let f_free: FFree = std::mem::transmute(sym(b"tcgen_sim_free\0")?);
            let f_set: FSet = std::mem::transmute(sym(b"tcgen_sim_set\0")?);
            let f_get: FGet = std::mem::transmute(sym(b"tcgen_sim_get\0")?);
            let f_eval: FEval = std::mem::transmute(sym(b"tcgen_sim_eval\0")?);
            let f_tick: FEval = std::mem::transmute(sym(b"tcgen_sim_tick\0")?);
            let f_trace_open: FPath = std::mem::transmute(sym(b"tcgen_sim_trace_open\0")?);
            let f_trace_enable: FOn = std::mem::transmute(sym(b"tcgen_sim_trace_enable\0")?);
            let f_toggles_write: FPath = std::mem::transmute(sym(b"tcgen_sim_toggles_write\0")?);
            let f_watch_read: FPath = std::mem::transmute(sym(b"tcgen_sim_watch_read\0")?);
            let f_watch_write: FPath = std::mem::transmute(sym(b"tcgen_sim_watch_write\0")?);
            let handle = f_new();
            Ok(Model {
                module: m.name.clone(),
                ports,
                dir,
                handle,
                f_free,
                f_set,
                f_get,
                f_eval,
                f_tick,
                f_trace_open,
                f_trace_enable,
                f_toggles_write,
                f_watch_read,
                f_watch_write,
                watched: 0,
                cycles: 0,
                trace: None,
                tracing: false,
                _lib: lib,
            })
        }
    }

    /// The id of a port by name.
    pub fn port(&self, name: &str) -> Result<PortId, SimError> {
        self.ports
            .iter()
            .position(|p| p.name == name)
            .map(PortId)
            .ok_or_else(|| SimError::NoPort { module: self.module.clone(), port: name.into() })
    }

    /// Drive an input port (value masked to its width; bits above 64 of a wider port
    /// are zero).
    pub fn set(&mut self, id: PortId, v: u64) {
        let w = self.ports[id.0].width;
        let v = if w >= 64 { v } else { v & ((1u64 << w) - 1) };
        if w <= 64 {
            let words = [v as u32, (v >> 32) as u32];
            // SAFETY: the shim reads at most the port's words (<= 2 for widths <= 64).
            unsafe { (self.f_set)(self.handle, id.0 as c_int, words.as_ptr()) }
        } else {
            let mut words = vec![0u32; w.div_ceil(32) as usize];
            words[0] = v as u32;
            words[1] = (v >> 32) as u32;
            self.set_words(id, &words);
        }
    }

    /// Drive an input port of any width from 32-bit words, least significant first
    /// (missing words are zero).
    pub fn set_words(&mut self, id: PortId, v: &[u32]) {
        let n = self.ports[id.0].width.div_ceil(32) as usize;
        let mut words = vec![0u32; n.max(2)];
        for (d, s) in words.iter_mut().zip(v) {
            *d = *s;
        }
        // SAFETY: the buffer holds every word of the port; the shim reads the port's words.
        unsafe { (self.f_set)(self.handle, id.0 as c_int, words.as_ptr()) }
    }

    /// Read a port of up to 64 bits.
    pub fn get(&self, id: PortId) -> u64 {
        let mut words = [0u32; 2];
        debug_assert!(self.ports[id.0].width <= 64);
        // SAFETY: the shim writes at most 2 words for ports <= 64 bits.
        unsafe { (self.f_get)(self.handle, id.0 as c_int, words.as_mut_ptr()) };
        words[0] as u64 | (words[1] as u64) << 32
    }

    /// Read a port of any width as 32-bit words, least significant first.
    pub fn get_words(&self, id: PortId) -> Vec<u32> {
        let mut words = vec![0u32; (self.ports[id.0].width.div_ceil(32) as usize).max(2)];
        // SAFETY: the buffer holds every word of the port; the shim writes the port's words.
        unsafe { (self.f_get)(self.handle, id.0 as c_int, words.as_mut_ptr()) };
        words
    }

    /// Settle combinational logic after inputs changed.
    pub fn eval(&mut self) {
        // SAFETY: valid handle.
        unsafe { (self.f_eval)(self.handle) }
    }

    /// One clock cycle (rising then falling edge); dumps VCD inside the trace window.
    pub fn tick(&mut self) {
        if let Some((from, to)) = self.trace {
            let on = self.cycles >= from && self.cycles < to;
            if on != self.tracing {
                // SAFETY: valid handle.
                unsafe { (self.f_trace_enable)(self.handle, on as c_int) };
                self.tracing = on;
            }
        }
        // SAFETY: valid handle.
        unsafe { (self.f_tick)(self.handle) }
        self.cycles += 1;
    }

    /// Record a VCD of cycles `from..to` into `path` (the model must be built with
    /// `trace`).
    pub fn trace_window(&mut self, path: &Path, from: u64, to: u64) -> Result<(), SimError> {
        let c = CString::new(path.display().to_string()).map_err(|e| SimError::Other(e.to_string()))?;
        // SAFETY: valid handle and C string.
        let r = unsafe { (self.f_trace_open)(self.handle, c.as_ptr()) };
        match r {
            0 => {
                self.trace = Some((from, to));
                Ok(())
            }
            -1 => Err(SimError::Other("model built without trace support".into())),
            _ => Err(SimError::Other(format!("cannot open VCD {}", path.display()))),
        }
    }

    /// Flush the VCD (if any) so far.
    pub fn trace_flush(&mut self) {
        // SAFETY: valid handle.
        unsafe { (self.f_trace_enable)(self.handle, 0) };
        self.tracing = false;
    }

    /// Watch single bits (signal names as in [`Model::toggles`], bit index): from the
    /// next cycle on, count the rising clock edges at which each is 1, sampled after the
    /// inputs have settled (what a flop's enable sees). The model must be built with
    /// `toggles`. Returns the index of the first watch added.
    pub fn watch(&mut self, bits: &[(String, u32)]) -> Result<usize, SimError> {
        let path = self.dir.join(format!("watch-{}-{:p}.txt", std::process::id(), self.handle));
        let text: String = bits.iter().map(|(n, b)| format!("{n} {b}\n")).collect();
        if bits.iter().any(|(n, _)| n.is_empty() || n.contains(char::is_whitespace)) {
            return Err(SimError::Other("watch: signal names must be non-empty, without spaces".into()));
        }
        std::fs::write(&path, text)?;
        let c = CString::new(path.display().to_string()).map_err(|e| SimError::Other(e.to_string()))?;
        // SAFETY: valid handle and C string.
        let r = unsafe { (self.f_watch_read)(self.handle, c.as_ptr()) };
        let _ = std::fs::remove_file(&path);
        match r {
            -1 => Err(SimError::Other("model built without toggle counting (needed to watch signals)".into())),
            n if n < 0 || n as usize != bits.len() => Err(SimError::Other(format!("watch: read {n} of {} bits", bits.len()))),
            _ => {
                let first = self.watched;
                self.watched += bits.len();
                Ok(first)
            }
        }
    }

    /// The signals of the model's top module by their Verilog names (escaped
    /// identifiers without the backslash, Verilator's `__0XX` character codes decoded),
    /// to the names [`Model::watch`] and [`Model::toggles`] use. Needs a `toggles` build.
    pub fn top_signals(&self) -> Result<std::collections::HashMap<String, String>, SimError> {
        let prefix = format!("top.{}.", self.module);
        let mut map = std::collections::HashMap::new();
        for t in self.toggles()? {
            if let Some(local) = t.signal.strip_prefix(&prefix) {
                map.insert(decode_verilator_name(local), t.signal.clone());
            }
        }
        Ok(map)
    }

    /// The memory macros (`tcgen_ram` instances) of the model: each scope whose signals
    /// are the macro's ports and array, with its words and bits per word (from the
    /// simulated array). Needs a `toggles` build.
    pub fn ram_instances(&self) -> Result<Vec<RamInstance>, SimError> {
        let mut scopes: std::collections::BTreeMap<String, std::collections::HashMap<String, u32>> = Default::default();
        for t in self.toggles()? {
            if let Some((scope, local)) = t.signal.rsplit_once('.') {
                scopes.entry(scope.to_string()).or_default().insert(local.to_string(), t.bits);
            }
        }
        Ok(scopes
            .into_iter()
            .filter(|(_, v)| ["clock", "re", "ra", "rd", "we", "wa", "wd", "wm", "mem"].iter().all(|k| v.contains_key(*k)) && v["re"] == 1 && v["we"] == 1 && v["rd"] > 0)
            .map(|(scope, v)| RamInstance { words: (v["mem"] / v["rd"]) as u64, width: v["rd"], scope })
            .collect())
    }

    /// The watches' counts so far: (rising edges sampled, count per watch in the order
    /// added; `None` for a signal or bit the model does not have).
    pub fn watch_counts(&self) -> Result<(u64, Vec<Option<u64>>), SimError> {
        let path = self.dir.join(format!("watched-{}-{:p}.txt", std::process::id(), self.handle));
        let c = CString::new(path.display().to_string()).map_err(|e| SimError::Other(e.to_string()))?;
        // SAFETY: valid handle and C string.
        let r = unsafe { (self.f_watch_write)(self.handle, c.as_ptr()) };
        match r {
            0 => {}
            -1 => return Err(SimError::Other("model built without toggle counting (needed to watch signals)".into())),
            _ => return Err(SimError::Other(format!("cannot write {}", path.display()))),
        }
        let text = std::fs::read_to_string(&path)?;
        let _ = std::fs::remove_file(&path);
        let mut lines = text.lines();
        let edges = lines
            .next()
            .and_then(|l| l.strip_prefix("edges "))
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| SimError::Other("watch counts: no edge count".into()))?;
        let counts = lines
            .map(|l| if l == "-1" { Ok(None) } else { l.parse().map(Some).map_err(|_| SimError::Other(format!("bad watch line {l:?}"))) })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((edges, counts))
    }

    /// Per-signal toggle counts so far (the model must be built with `toggles`).
    pub fn toggles(&self) -> Result<Vec<Toggle>, SimError> {
        let path = self.dir.join(format!("toggles-{}-{:p}.txt", std::process::id(), self.handle));
        let c = CString::new(path.display().to_string()).map_err(|e| SimError::Other(e.to_string()))?;
        // SAFETY: valid handle and C string.
        let r = unsafe { (self.f_toggles_write)(self.handle, c.as_ptr()) };
        match r {
            0 => {}
            -1 => return Err(SimError::Other("model built without toggle counting".into())),
            _ => return Err(SimError::Other(format!("cannot write {}", path.display()))),
        }
        let text = std::fs::read_to_string(&path)?;
        let _ = std::fs::remove_file(&path);
        parse_toggles(&text)
    }
}

/// A Verilator C++ name back to its Verilog name: `__0XX` (a character's hex code, how
/// Verilator spells characters an identifier cannot hold) becomes the character.
pub fn decode_verilator_name(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"__0") && i + 5 <= b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 3..i + 5], 16) {
                out.push(v as char);
                i += 5;
                continue;
            }
        }
        out.push(b[i] as char);
        i += 1;
    }
    out
}

/// A memory macro instance of a model ([`Model::ram_instances`]).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RamInstance {
    /// Its scope, as the toggle counts name it (`top.dec_core.u_recon.u_pix0`).
    pub scope: String,
    pub words: u64,
    pub width: u32,
}

/// Toggle count of one signal (summed over its bits).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Toggle {
    pub signal: String,
    pub bits: u32,
    pub toggles: u64,
}

/// Parse the shim's toggle counts (a line "name bits transitions" per signal).
pub fn parse_toggles(text: &str) -> Result<Vec<Toggle>, SimError> {
    text.lines()
        .map(|l| {
            let mut it = l.split(' ');
            match (it.next(), it.next().and_then(|b| b.parse().ok()), it.next().and_then(|t| t.parse().ok()), it.next()) {
                (Some(signal), Some(bits), Some(toggles), None) => Ok(Toggle { signal: signal.to_string(), bits, toggles }),
                _ => Err(SimError::Other(format!("bad toggle line {l:?}"))),
            }
        })
        .collect()
}
