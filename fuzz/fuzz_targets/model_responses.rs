//! Fuzz target `model_responses`: see `cloudbase_fuzz::model_responses`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cloudbase_fuzz::model_responses(data));
