//! Both error envelopes: any status and body must give Ok or a typed error, never a
//! panic, for the auth and gateway APIs alike.
#![no_main]

use std::time::SystemTime;

use cloudbase_core::request::Api;
use cloudbase_core::response::check_status;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u16, Vec<u8>)| {
    let (status, body) = input;
    let status = 100 + status % 500;
    let Ok(response) = http::Response::builder().status(status).header("retry-after", "3").body(body) else {
        return;
    };
    for api in [Api::AuthV1, Api::Gateway] {
        let _ = check_status(api, &response, SystemTime::UNIX_EPOCH);
    }
});
