//! Fuzz target `session_machine`: see `cloudbase_fuzz::session_machine_bytes`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cloudbase_fuzz::session_machine_bytes(data));
