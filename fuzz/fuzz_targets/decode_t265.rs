//! Fuzz the .t265 container reader and the whole tensor restore path.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = golden::container::read(data);
    let _ = golden::pipeline::decode_container(data);
});
