//! Fuzz target `function_results`: see `cloudbase_fuzz::function_results`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cloudbase_fuzz::function_results(data));
