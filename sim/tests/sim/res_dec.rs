//! `res_dec`, the decoder core's residual_coding parser, in Verilator against golden's
//! decoder (`golden::decoder::slice::parse_residual`): known answers (an impulse at
//! every position of every TU size, luma and chroma, all three scans, dense and extreme
//! patterns, every context decided both ways), random TUs with single bins between
//! them, levels of real tensor blocks; with and without backpressure; substreams that
//! continue the previous one's contexts (op 3). Corrupt substreams: the error flag is
//! raised on the TU where golden reports an error, and the parser never hangs.
//! Needs verilator (`bash scripts/setup.sh`).

use sim::blocks::{cosim, tensor_frames, CosimRun, StimSet};
use sim::res_dec::{commands, corrupt_check, Op};
use sim::tb::{Rng, Timing};
use sim::{BuildOptions, Model};

fn timing(seed: u64, pressure: bool) -> Timing {
    Timing { valid_256: if pressure { 160 } else { 256 }, ready_256: if pressure { 160 } else { 256 }, seed, ..Default::default() }
}

#[test]
fn res_dec_matches_golden_parser() {
    let p = golden::Params::default();
    let mut sets = vec![StimSet::KnownAnswer, StimSet::Random { per_size: 300, only: None }];
    sets.push(StimSet::Tensor { frames: tensor_frames("@minilm", &p).unwrap(), limit: 300 });
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/tensors/smol_L15_q.npy");
    if shared.exists() {
        sets.push(StimSet::Tensor { frames: tensor_frames(shared.to_str().unwrap(), &p).unwrap(), limit: 300 });
    }
    for (k, pressure) in [(0u64, false), (1, true)] {
        let sets = if pressure { vec![StimSet::Random { per_size: 60, only: None }] } else { sets.clone() };
        let r = cosim("res_dec", &p, &CosimRun { sets: sets.clone(), timing: timing(81 + k, pressure), build: BuildOptions::default(), trace: None }).unwrap();
        for (name, s) in &r.sets {
            let bins = s.work;
            eprintln!(
                "res_dec{}: {name}: {} substreams, {} commands, {} beats out, {} bins in {} busy cycles = {:.3} bins/cycle, {:.2} M cycles/s, {} mismatches",
                if pressure { " (backpressure)" } else { "" },
                s.units,
                s.beats_in,
                s.beats_out,
                bins,
                s.busy_cycles,
                bins as f64 / s.busy_cycles.max(1) as f64,
                s.cycles_per_second / 1e6,
                s.mismatches
            );
            assert_eq!(s.mismatches, 0, "res_dec {name}: {}", s.first_mismatch.clone().unwrap_or_default());
            assert!(s.units > 0 && s.beats_out > s.beats_in, "res_dec {name}: {s:?}");
        }
    }
}

#[test]
fn corrupt_streams_raise_the_error_flag_and_never_hang() {
    let m = hw::block("res_dec", &golden::Params::default()).unwrap();
    let mut model = Model::new(&m, &BuildOptions::default()).unwrap();
    let mut rng = Rng(0xbad5);
    let (mut golden_errors, mut level_errors) = (0, 0);
    for case in 0..50u64 {
        // TU commands of random shapes after a context initialization
        let ops: Vec<Op> = (0..30)
            .map(|_| {
                let log2 = 2 + (rng.next() % 4) as u32;
                Op::Tu { log2, chroma: rng.next() & 1 == 1, scan: (rng.next() % 3) as u32, sdh: rng.next() & 1 == 1, levels: vec![] }
            })
            .collect();
        let s = sim::res_dec::ResStream { qp: (rng.next() % 52) as u8, init: true, ops, bytes: vec![] };
        let mut cmds = commands(&s);
        cmds.pop();
        let len = 1 + (rng.next() % 600) as usize;
        let bytes: Vec<u8> = match case % 5 {
            0 => vec![0xff; len],
            4 => (0..len).map(|i| if i == 0 { (rng.next() % 0xf0) as u8 } else { 0xff }).collect(),
            1 => (0..len).map(|_| rng.next() as u8).collect(),
            2 => (0..len).map(|_| if rng.next() % 3 == 0 { 0xff } else { rng.next() as u8 }).collect(),
            _ => vec![0; len],
        };
        if case == 7 {
            // an out-of-subset command: TU size 64
            cmds.insert(3, vec![1, 0, 6, 0, 0, 0, 0, 0]);
        }
        let o = corrupt_check(&mut model, &bytes, &cmds, 2_000_000).unwrap();
        eprintln!("case {case}: {} bytes: golden error at {:?}, RTL error at {:?}, err {}, {} cycles", bytes.len(), o.golden_error, o.rtl_error, o.err_flag, o.cycles);
        assert_eq!(o.mismatches, 0, "case {case}: answers differ before the error: {o:?}");
        if o.rtl_error != o.golden_error {
            let g = o.golden_error.unwrap_or(0).min(o.rtl_error.unwrap_or(0));
            panic!("case {case}: RTL error at {:?}, golden at {:?}; command {g}: {:?}, RTL answer {:?}", o.rtl_error, o.golden_error, cmds[g], o.answers[g]);
        }
        assert_eq!(o.err_flag, o.golden_error.is_some(), "case {case}: {o:?}");
        golden_errors += o.golden_error.is_some() as u32;
        level_errors += o.golden_error.is_some_and(|g| g > 1) as u32;
    }
    assert!(golden_errors >= 5, "only {golden_errors} corrupt cases made golden report an error");
    // errors inside the residual syntax (not only at the engine's initialization)
    assert!(level_errors >= 3, "only {level_errors} corrupt cases failed past the first TU");
}

/// The memory macro (`tcgen_ram`, the WPP context storage) is found in a toggle build
/// with the size `hw::memories` declares, and its enables can be watched (the report's
/// count of memory accesses, `sim::Model::ram_instances` and `watch`).
#[test]
fn the_wpp_storage_macro_is_found_and_watched() {
    let p = golden::Params::default();
    let m = hw::block("res_dec", &p).unwrap();
    let mut model = Model::new(&m, &BuildOptions { trace: false, toggles: true, quick_compile: true }).unwrap();
    let rams = model.ram_instances().unwrap();
    let decl = hw::memories("res_dec", &p).unwrap();
    assert_eq!(rams.len(), decl.len(), "{rams:?} vs {decl:?}");
    let (_, words, width) = &decl[0];
    assert_eq!(rams[0].width, *width, "{rams:?}");
    // the simulated array is the macro's depth rounded up to a power of two
    assert_eq!(rams[0].words, words.next_power_of_two(), "{rams:?}");
    let watch = vec![(format!("{}.re", rams[0].scope), 0), (format!("{}.we", rams[0].scope), 0), ("top.res_dec.no_such_signal".to_string(), 0)];
    model.watch(&watch).unwrap();
    let streams = sim::res_dec::streams(&StimSet::Random { per_size: 5, only: None }, 3);
    let r = sim::res_dec::run(&mut model, &streams, &timing(3, false)).unwrap();
    assert_eq!(r.mismatches, 0);
    let (edges, counts) = model.watch_counts().unwrap();
    assert!(edges >= r.cycles, "{edges} edges, {} cycles", r.cycles);
    assert!(counts[0].is_some() && counts[1].is_some() && counts[0].unwrap() <= edges && counts[1].unwrap() <= edges, "{counts:?}");
    assert_eq!(counts[2], None, "an unknown signal is reported as not found");
}
