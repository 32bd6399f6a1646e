//! Fuzz target `rdb_responses`: see `cloudbase_fuzz::rdb_responses`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cloudbase_fuzz::rdb_responses(data));
