//! Fuzz target `sse_stream`: see `cloudbase_fuzz::sse_stream`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cloudbase_fuzz::sse_stream::sse_stream(data));
