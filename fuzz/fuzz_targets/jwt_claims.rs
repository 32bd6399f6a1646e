//! Fuzz target `jwt_claims`: see `cloudbase_fuzz::jwt_claims`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cloudbase_fuzz::jwt_claims(data));
