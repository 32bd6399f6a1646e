//! Fuzz target `error_envelope`: see `cloudbase_fuzz::error_envelope`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cloudbase_fuzz::error_envelope(data));
