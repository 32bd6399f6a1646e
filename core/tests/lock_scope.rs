//! What runs under the client's lock: a data answer is decoded outside it, so a
//! large answer never holds up the client's other calls.
#![allow(clippy::unwrap_used, missing_docs)]

use std::cell::{Cell, RefCell};
use std::sync::{Arc, mpsc};
use std::time::{Duration, SystemTime};

use cloudbase_core::models::{Model, Query};
use cloudbase_core::rdb::from;
use cloudbase_core::{ClientState, Config, Operation, SharedState, Step};
use rand::SeedableRng;
use serde::Deserialize;

thread_local! {
    /// The state the probe checks, for the test running on this thread.
    static SHARED: RefCell<Option<Arc<SharedState>>> = const { RefCell::new(None) };
    /// Whether the probe found the lock free while it was being decoded.
    static FREE: Cell<Option<bool>> = const { Cell::new(None) };
}

/// A row whose decoding checks, from another thread, that the client's lock is free.
#[derive(Debug)]
struct Probe;

impl<'de> Deserialize<'de> for Probe {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d)?;
        let shared = SHARED.with(|s| s.borrow().clone()).unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _guard = shared.lock();
            let _ = tx.send(());
        });
        // Held by this thread, the lock comes free only after the decode: no answer.
        let free = rx.recv_timeout(Duration::from_secs(10)).is_ok();
        FREE.with(|f| f.set(Some(free)));
        Ok(Probe)
    }
}

fn shared() -> Arc<SharedState> {
    let config = Config::builder("demo-env")
        .api_key("server-key")
        .build()
        .unwrap();
    let state = ClientState::new(config, Box::new(rand::rngs::StdRng::seed_from_u64(7)));
    Arc::new(SharedState::new(state, |_| {}))
}

/// Drives `op` through one answer `body` and says whether the probe found the lock
/// free.
fn lock_was_free_while_decoding<O: Operation>(op: O, body: &str) -> bool
where
    O::Output: std::fmt::Debug,
{
    let shared = shared();
    SHARED.with(|s| *s.borrow_mut() = Some(shared.clone()));
    FREE.with(|f| f.set(None));
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut call = shared.start(op);
    let Step::Send(_) = call.poll(now) else {
        panic!("expected a request")
    };
    let response = http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .unwrap();
    call.on_response(now, response);
    match call.poll(now) {
        Step::Done(Ok(_)) => {}
        other => panic!("expected a result, got {other:?}"),
    }
    FREE.with(Cell::get).expect("the probe ran")
}

#[test]
fn a_mysql_query_answer_is_decoded_outside_the_lock() {
    let op = from("course").select("id").fetch::<Probe>();
    assert!(lock_was_free_while_decoding(op, r#"[{"id":1}]"#));
}

#[test]
fn a_model_list_answer_is_decoded_outside_the_lock() {
    let op = Model::new("todo")
        .unwrap()
        .list::<Probe>(&Query::new())
        .unwrap();
    let body = r#"{"data":{"records":[{"_id":"a"}],"total":1},"requestId":"r"}"#;
    assert!(lock_was_free_while_decoding(op, body));
}
