//! A sign-in answer of any shape, through the real call driver: a typed result or a
//! typed error, and credentials stored only on success.
#![no_main]

use std::time::SystemTime;

use cloudbase_core::auth::SignInAnonymously;
use cloudbase_core::{Call, ClientState, Config, Step};
use libfuzzer_sys::fuzz_target;
use rand::SeedableRng;

fuzz_target!(|body: &[u8]| {
    let Ok(config) = Config::builder("fuzz-env").build() else { return };
    let mut state = ClientState::new(config, Box::new(rand::rngs::StdRng::seed_from_u64(0)));
    let mut call = Call::new(SignInAnonymously::new());
    let now = SystemTime::UNIX_EPOCH;
    let Step::Send(_) = call.poll(&mut state, now) else { panic!("first step must send") };
    call.on_response(now, http::Response::new(body.to_vec()));
    match call.poll(&mut state, now) {
        Step::Done(Ok(_)) => assert!(state.session().credentials().is_some()),
        Step::Done(Err(_)) => assert!(state.session().credentials().is_none()),
        other => panic!("unexpected step {other:?}"),
    }
});
