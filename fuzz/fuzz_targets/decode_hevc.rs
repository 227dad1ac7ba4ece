//! Fuzz golden's HEVC decoder: any byte string gives pictures or an error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = golden::decoder::decode(data);
});
