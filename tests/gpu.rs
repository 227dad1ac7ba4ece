//! The GPU reference path (`--features nvdec`): `tcgen gpu check` lists NVDEC's HEVC
//! capabilities, decodes golden's streams on NVDEC bit-exactly and sweeps sessions
//! where there is a GPU, and says why not where there is none. Without a GPU (or
//! without the feature) the test skips and says so.

use std::process::Command;

#[test]
fn gpu_check_lists_nvdec_or_says_why_not() {
    let out = Command::new(env!("CARGO_BIN_EXE_tcgen")).args(["gpu", "check", "--json", "--sessions", "1,4", "--reps", "8"]).output().expect("run tcgen");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    if let Some(why) = j["probe"]["no_nvdec"].as_str() {
        if cfg!(feature = "nvdec") {
            assert!(why.contains("driver") || why.contains("NVDEC") || why.contains("device"), "{why}");
        } else {
            assert!(why.contains("--features nvdec"), "{why}");
        }
        eprintln!("skipped: no GPU to test ({why})");
        return;
    }
    // a GPU: every device decodes HEVC 4:2:0 8-bit (the default profile) at tcgen's frame sizes
    let devices = j["probe"]["devices"].as_array().expect("devices");
    assert!(!devices.is_empty(), "{j}");
    for d in devices {
        let c = d["hevc"].as_array().unwrap().iter().find(|c| c["format"] == "4:2:0 8-bit").expect("4:2:0 caps");
        assert_eq!(c["supported"], true, "{d}");
        assert!(c["min_width"].as_u64().unwrap() <= 144 && c["max_width"].as_u64().unwrap() >= 4096, "{d}");
        eprintln!("{d}");
    }
    // golden's streams decode bit-exactly (the command fails otherwise) and the sweep ran
    let streams = j["streams"].as_array().expect("streams");
    assert!(streams.len() >= 3 && streams.iter().all(|c| c["bit_exact"] == true), "{j}");
    assert_eq!(j["throughput"].as_array().map(|t| t.len()), Some(2), "{j}");
    eprintln!("{}", j["throughput"]);
}
