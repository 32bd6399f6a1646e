//! Fuzz target `token_verifier`: see `cloudbase_fuzz::token_verifier`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cloudbase_fuzz::token_verifier::token_verifier(data));
