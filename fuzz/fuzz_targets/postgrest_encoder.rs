//! Fuzz target `postgrest_encoder`: see `cloudbase_fuzz::postgrest_encoder`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cloudbase_fuzz::postgrest_encoder(data));
