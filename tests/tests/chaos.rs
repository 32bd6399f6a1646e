//! Concurrency and chaos: a refresh storm on an expired token, refresh-token
//! rotation under concurrency, and a soak of mixed operations with injected faults.
//!
//! The soak runs 1,000 operations per adapter; set `CLOUDBASE_SOAK_OPS` (e.g.
//! `CLOUDBASE_SOAK_OPS=10000 cargo test --test chaos soak`) for a longer one.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cloudbase_core::auth::GetUser;
use cloudbase_core::functions::CallFunction;
use cloudbase_core::models::{Model, Query};
use cloudbase_core::rdb::from;
use cloudbase_core::{AuthEventKind, Error, RetryPolicy, TransportOptions};
use cloudbase_emulator::{Emulator, FaultRule, FunctionResponse};
use common::TestClient;
use serde_json::json;

// ---- refresh storm ----

/// 1,000 concurrent async calls on an already expired token: exactly one refresh
/// reaches the emulator, no call is sent with the expired token, all succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_async_calls_on_an_expired_token_cause_one_refresh() {
    let emu = common::emulator();
    emu.set_token_lifetime(Duration::ZERO);
    let client = Arc::new(
        cloudbase_async::Client::new(common::config_for(emu.base_url()).build().unwrap()).unwrap(),
    );
    let expired = client.sign_in_anonymously().await.unwrap();
    emu.set_token_lifetime(Duration::from_secs(7200));
    let tasks: Vec<_> = (0..1000)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { client.call_function("echo", &json!({ "i": i })).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(emu.requests_to("/auth/v1/token").len(), 1);
    let calls = emu.requests_to("/v1/functions/echo");
    assert_eq!(calls.len(), 1000);
    let stale = format!("Bearer {}", expired.access_token.expose());
    assert!(
        calls
            .iter()
            .all(|r| r.header("authorization") != Some(stale.as_str()))
    );
}

/// The same with 32 threads on the blocking client.
#[test]
fn thirty_two_threads_on_an_expired_token_cause_one_refresh() {
    let emu = common::emulator();
    emu.set_token_lifetime(Duration::ZERO);
    let client =
        cloudbase_blocking::Client::new(common::config_for(emu.base_url()).build().unwrap())
            .unwrap();
    let expired = client.sign_in_anonymously().unwrap();
    emu.set_token_lifetime(Duration::from_secs(7200));
    std::thread::scope(|s| {
        for i in 0..32 {
            let client = &client;
            s.spawn(move || client.call_function("echo", &json!({ "i": i })).unwrap());
        }
    });
    assert_eq!(emu.requests_to("/auth/v1/token").len(), 1);
    let calls = emu.requests_to("/v1/functions/echo");
    assert_eq!(calls.len(), 32);
    let stale = format!("Bearer {}", expired.access_token.expose());
    assert!(
        calls
            .iter()
            .all(|r| r.header("authorization") != Some(stale.as_str()))
    );
}

// ---- rotation with reuse detection ----

/// The emulator rotates refresh tokens and revokes them all when a used one comes
/// back. Explicit refreshes racing automatic ones (short-lived tokens) must never
/// present a used token: no `invalid_grant`, no sign-out, every call succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_under_concurrency_never_presents_a_used_refresh_token() {
    let emu = common::emulator();
    // Two seconds, not one: the emulator counts whole seconds, so a 1 s token may
    // arrive already expired on a loaded machine (and fail after two renewals). Every
    // call still renews, these tokens being always within the refresh margin.
    emu.set_token_lifetime(Duration::from_secs(2));
    let client = Arc::new(
        cloudbase_async::Client::new(common::config_for(emu.base_url()).build().unwrap()).unwrap(),
    );
    let mut events = client.auth_events();
    client.sign_in_anonymously().await.unwrap();
    for round in 0..10 {
        let mut tasks = Vec::new();
        for i in 0..40 {
            let client = client.clone();
            tasks.push(tokio::spawn(async move {
                if i % 8 == 0 {
                    client.refresh_session().await.map(|_| ())
                } else {
                    client
                        .call_function("echo", &json!({ "round": round, "i": i }))
                        .await
                        .map(|_| ())
                }
            }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
    }
    let refreshes = emu.requests_to("/auth/v1/token");
    // Explicit refreshes may join one already in flight; many rotations happen anyway.
    assert!(refreshes.len() >= 10, "{} refreshes", refreshes.len());
    let presented: Vec<String> = refreshes
        .iter()
        .map(|r| {
            let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            body["refresh_token"].as_str().unwrap().to_owned()
        })
        .collect();
    let mut unique = presented.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        presented.len(),
        "a refresh token was presented twice"
    );
    while let Some(item) = events.try_next() {
        if let cloudbase_async::AuthEventItem::Event(event) = item {
            assert_ne!(event.kind, AuthEventKind::SignedOut);
        }
    }
    client.get_user().await.unwrap();
}

/// Blocking threads racing explicit refreshes against calls: the same guarantee.
#[test]
fn blocking_rotation_under_concurrency_never_presents_a_used_refresh_token() {
    let emu = common::emulator();
    // Two seconds, not one: the emulator counts whole seconds, so a 1 s token may
    // arrive already expired on a loaded machine (and fail after two renewals). Every
    // call still renews, these tokens being always within the refresh margin.
    emu.set_token_lifetime(Duration::from_secs(2));
    let client =
        cloudbase_blocking::Client::new(common::config_for(emu.base_url()).build().unwrap())
            .unwrap();
    let mut events = client.auth_events();
    client.sign_in_anonymously().unwrap();
    std::thread::scope(|s| {
        for t in 0..16 {
            let client = &client;
            s.spawn(move || {
                for i in 0..20 {
                    if (t + i) % 5 == 0 {
                        client.refresh_session().unwrap();
                    } else {
                        client
                            .call_function("echo", &json!({ "t": t, "i": i }))
                            .unwrap();
                    }
                }
            });
        }
    });
    let refreshes = emu.requests_to("/auth/v1/token");
    let mut presented: Vec<String> = refreshes
        .iter()
        .map(|r| {
            let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            body["refresh_token"].as_str().unwrap().to_owned()
        })
        .collect();
    let all = presented.len();
    assert!(all >= 10, "{all} refreshes");
    presented.sort();
    presented.dedup();
    assert_eq!(presented.len(), all, "a refresh token was presented twice");
    assert!(
        std::iter::from_fn(|| events.try_next()).all(|item| !matches!(
            item,
            cloudbase_blocking::AuthEventItem::Event(e) if e.kind == AuthEventKind::SignedOut
        ))
    );
    client.get_user().unwrap();
}

// ---- soak ----

/// A small deterministic generator (xorshift64*), so a failing soak can be rerun.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Fault {
    /// 503 with `Retry-After: 1`.
    Busy,
    /// 502.
    BadGateway,
    /// The connection closes before the request is handled.
    Dropped,
    /// The request is handled, then the connection closes without an answer.
    Lost,
    /// The answer comes after the client's timeout (the request is still handled).
    Stalled,
}

const FAULTS: [Fault; 5] = [
    Fault::Busy,
    Fault::BadGateway,
    Fault::Dropped,
    Fault::Lost,
    Fault::Stalled,
];

const CLIENT_TIMEOUT: Duration = Duration::from_millis(300);

fn rule(path: &str, fault: Fault) -> FaultRule {
    let rule = FaultRule::path(path);
    match fault {
        Fault::Busy => rule.status(503).retry_after(1),
        Fault::BadGateway => rule.status(502),
        Fault::Dropped => rule.drop_connection(),
        Fault::Lost => rule.lose_response(),
        Fault::Stalled => rule.delay(CLIENT_TIMEOUT * 2),
    }
}

#[derive(Default, Debug)]
struct Tally {
    ops: usize,
    faults: HashMap<Fault, usize>,
    ok: usize,
    retryable_errors: usize,
    /// Non-idempotent writes the client reported as done, by key.
    confirmed: Vec<String>,
}

fn soak_ops() -> usize {
    std::env::var("CLOUDBASE_SOAK_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

fn soak_emulator(bumps: Arc<Mutex<HashMap<String, u32>>>) -> Emulator {
    let emu = Emulator::builder()
        .env_id(common::ENV)
        .function("bump", move |req| {
            let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
            let key = body["key"].as_str().unwrap_or_default().to_owned();
            *bumps.lock().unwrap().entry(key).or_default() += 1;
            FunctionResponse::json(&json!({"ok": true}))
        })
        .start()
        .unwrap();
    emu.create_model("todo").unwrap();
    emu.execute_sql("CREATE TABLE course (id INTEGER PRIMARY KEY, name TEXT)")
        .unwrap();
    emu
}

/// The workload's operations, by kind: the path each hits (where its fault is
/// injected) and whether it is idempotent (retried by the SDK).
const OPS: [(&str, bool); 7] = [
    ("/auth/v1/user/me", true),
    ("/v1/model/prod/todo/list", true),
    ("/v1/model/prod/todo/create", false),
    ("/v1/rdb/rest/course", true),
    ("/v1/rdb/rest/course", false),
    ("/v1/functions/bump", false),
    ("/v1/functions/echo", true),
];

/// Runs operation `kind` (an index into [`OPS`]); returns the key of a
/// non-idempotent write when the client reports it done.
fn one_op<C: TestClient>(c: &C, kind: usize, n: usize) -> Result<Option<String>, Error> {
    let todo = Model::new("todo").unwrap();
    match kind {
        0 => c.execute(GetUser::new()).map(|_| None),
        1 => c
            .execute(
                todo.list::<serde_json::Value>(&Query::new().page(1, 5))
                    .unwrap(),
            )
            .map(|_| None),
        2 => {
            let key = format!("todo-{n}");
            let op = todo.create(&json!({ "title": key })).unwrap();
            c.execute(op).map(|_| Some(key))
        }
        3 => c
            .execute(
                from("course")
                    .select("id,name")
                    .limit(5)
                    .fetch::<serde_json::Value>(),
            )
            .map(|_| None),
        4 => {
            let key = format!("course-{n}");
            let op = from("course").insert(&json!([{ "id": n, "name": key }]));
            c.execute(op).map(|_| Some(key))
        }
        5 => {
            let key = format!("bump-{n}");
            let op = CallFunction::new("bump")
                .unwrap()
                .data(&json!({ "key": key }))
                .unwrap();
            c.execute(op).map(|_| Some(key))
        }
        _ => {
            let op = CallFunction::new("echo")
                .unwrap()
                .data(&json!({ "n": n }))
                .unwrap()
                .idempotent();
            c.execute(op).map(|_| None)
        }
    }
}

fn soak<C: TestClient>(seed: u64) {
    let bumps = Arc::new(Mutex::new(HashMap::new()));
    let emu = soak_emulator(bumps.clone());
    let mut transport = TransportOptions::default();
    transport.request_timeout = CLIENT_TIMEOUT;
    let retry = RetryPolicy::default()
        .initial_backoff(Duration::from_millis(2))
        .max_backoff(Duration::from_millis(10))
        .max_retry_after(Duration::from_millis(10));
    let c = C::connect(
        common::config_for(emu.base_url())
            .transport(transport)
            .retry(retry),
    );
    let events = c.record_events();
    c.sign_in_anonymously().unwrap();

    let mut rng = Rng(seed);
    let mut tally = Tally::default();
    for n in 0..soak_ops() {
        let kind = rng.below(OPS.len() as u64) as usize;
        // Every 16th operation also refreshes the session, through the same faults
        // except those that apply a rotation the client never hears of (see below).
        if n % 16 == 15 {
            if rng.below(10) == 0 {
                let fault = FAULTS[rng.below(3) as usize];
                emu.inject(rule("/auth/v1/token", fault));
                *tally.faults.entry(fault).or_default() += 1;
            }
            match c.refresh_session() {
                Ok(_) => tally.ok += 1,
                Err(e) => {
                    assert!(e.is_retryable(), "refresh: {e:?}");
                    tally.retryable_errors += 1;
                }
            }
            emu.clear_faults();
        }
        let faulted = rng.below(10) == 0;
        let fault = FAULTS[rng.below(FAULTS.len() as u64) as usize];
        let (path, idempotent) = OPS[kind];
        if faulted {
            emu.inject(rule(path, fault));
            *tally.faults.entry(fault).or_default() += 1;
        }
        let outcome = one_op(&c, kind, n);
        tally.ops += 1;
        match outcome {
            Ok(Some(key)) => {
                tally.ok += 1;
                tally.confirmed.push(key);
            }
            Ok(None) => tally.ok += 1,
            Err(e) => {
                // Idempotent calls were retried past one fault, so they succeed;
                // a non-idempotent call may fail, but only with a retryable error.
                assert!(!idempotent, "idempotent op {kind} failed: {e:?}");
                assert!(e.is_retryable(), "op {kind} failed with {e:?}");
                tally.retryable_errors += 1;
            }
        }
        // A stalled request may still be in the emulator's hands: clear leftovers so
        // the next operation's fault is the only one.
        emu.clear_faults();
    }

    // No non-idempotent write applied twice; every confirmed one applied once.
    let table = emu
        .query_sql("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%prod_todo'")
        .unwrap()[0]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut applied: HashMap<String, u64> = HashMap::new();
    for row in emu
        .query_sql(&format!(
            "SELECT json_extract(doc, '$.title') AS k, COUNT(*) AS n FROM \"{table}\" GROUP BY k"
        ))
        .unwrap()
        .into_iter()
        .chain(
            emu.query_sql("SELECT name AS k, COUNT(*) AS n FROM course GROUP BY k")
                .unwrap(),
        )
    {
        applied.insert(
            row["k"].as_str().unwrap().to_owned(),
            row["n"].as_u64().unwrap(),
        );
    }
    // A stalled write may still land after this count; that can only raise a key
    // from 0 to 1, never hide a second application of an earlier one.
    for (key, n) in bumps.lock().unwrap().iter() {
        applied.insert(key.clone(), u64::from(*n));
    }
    for (key, n) in &applied {
        assert_eq!(*n, 1, "{key} applied {n} times");
    }
    for key in &tally.confirmed {
        assert!(applied.contains_key(key), "{key} confirmed but not applied");
    }
    let signed_out = events.lock().unwrap().contains(&AuthEventKind::SignedOut);
    assert!(!signed_out, "signed out without an invalid_grant");
    let faults: usize = tally.faults.values().sum();
    assert!(
        faults * 20 >= tally.ops,
        "too few faults injected: {tally:?}"
    );
    eprintln!(
        "soak: {} ops, {} ok, {} retryable errors, faults {:?}, {} confirmed writes, {} applied",
        tally.ops,
        tally.ok,
        tally.retryable_errors,
        tally.faults,
        tally.confirmed.len(),
        applied.len()
    );
}

#[test]
fn soak_blocking() {
    soak::<cloudbase_blocking::Client>(0x5eed_0001);
}

#[test]
fn soak_async() {
    soak::<common::AsyncClient>(0x5eed_0002);
}
