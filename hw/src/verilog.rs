//! Verilog generation: rust-hdl's output with its fixed `top` module renamed to the
//! block's name, one file per block.

use rust_hdl_core::prelude::*;

/// One generated module: its name and Verilog text.
#[derive(Clone, Debug)]
pub struct GeneratedModule {
    pub name: String,
    pub verilog: String,
}

/// Generate the Verilog of `uut` with the top module renamed to `name`; every inner
/// module rust-hdl emits gets `name` as a prefix so files never collide.
pub fn generate<U: Block>(uut: &mut U, name: &str) -> GeneratedModule {
    uut.connect_all();
    let v = generate_verilog(uut);
    let mut out = String::with_capacity(v.len());
    for line in v.lines() {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("module top") {
            out.push_str(&format!("module {name}{rest}\n"));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    // instances of inner modules are named top$...; make them unique per block
    let out = out.replace("top$", &format!("{name}$"));
    GeneratedModule { name: name.to_string(), verilog: out }
}
