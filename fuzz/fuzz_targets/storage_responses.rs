//! Fuzz target `storage_responses`: see `cloudbase_fuzz::storage_responses`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cloudbase_fuzz::storage_responses(data));
