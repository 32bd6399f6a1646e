//! Fuzz target `token_response`: see `cloudbase_fuzz::token_response`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cloudbase_fuzz::token_response(data));
