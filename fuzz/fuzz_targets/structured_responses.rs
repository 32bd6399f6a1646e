//! Fuzz target `structured_responses`: see `cloudbase_fuzz::structured::structured_responses`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cloudbase_fuzz::structured::structured_responses(data));
