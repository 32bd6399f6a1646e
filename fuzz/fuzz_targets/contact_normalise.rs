//! Fuzz target `contact_normalise`: see `cloudbase_fuzz::contact_normalise`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cloudbase_fuzz::contact_normalise(data));
