//! Fuzz target `auth_responses`: see `cloudbase_fuzz::auth_responses`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cloudbase_fuzz::auth_responses(data));
