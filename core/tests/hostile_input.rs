//! Hostile input: names that could change a request's path or query are refused
//! before anything is sent, and broken answers (invalid UTF-8, truncated JSON) are
//! typed decode errors, never panics or wrong values.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::SystemTime;

use cloudbase_core::Operation;
use cloudbase_core::auth::{GetUser, SignInWithPassword};
use cloudbase_core::functions::{CallFunction, ServiceCall};
use cloudbase_core::models::{Model, Query};
use cloudbase_core::rdb::from;
use cloudbase_core::session::TokenResponse;
use cloudbase_core::storage::objects::Bucket;
use cloudbase_core::storage::{TempFileUrls, UploadFile};
use cloudbase_core::{BuildError, Call, ClientState, Config, Credentials, Error, Step};
use rand::SeedableRng;

const BAD_NAMES: [&str; 8] = [
    "a/b", "..", "a?b", "a#b", "a\u{0}b", "a\nb", "a\u{7f}b", "%2e%2e",
];

fn state() -> ClientState {
    let config = Config::builder("env")
        .publishable_key("pk")
        .build()
        .unwrap();
    ClientState::new(config, Box::new(rand::rngs::StdRng::seed_from_u64(9)))
}

/// Whether `op` is refused by the driver before it produces a request.
fn refused_unsent<O: Operation>(op: O) -> bool
where
    O::Output: std::fmt::Debug,
{
    matches!(
        Call::new(op).poll(&mut state(), SystemTime::UNIX_EPOCH),
        Step::Done(Err(Error::Build(_)))
    )
}

#[test]
fn names_that_could_change_the_request_are_refused_before_sending() {
    for name in BAD_NAMES {
        // Constructors that check the name at once.
        assert!(CallFunction::new(name).is_err(), "function {name:?}");
        assert!(ServiceCall::container(name).is_err(), "container {name:?}");
        assert!(
            ServiceCall::api(name, http::Method::GET).is_err(),
            "api {name:?}"
        );
        assert!(Model::new(name).is_err(), "model {name:?}");
        assert!(Bucket::new(name).is_err(), "bucket {name:?}");
        // Names checked when the request is built: the driver refuses unsent.
        assert!(
            refused_unsent(from(name).fetch::<serde_json::Value>()),
            "table {name:?}"
        );
        assert!(
            refused_unsent(from("t").eq(name, 1).fetch::<serde_json::Value>()),
            "column {name:?}"
        );
    }
    // Paths: traversal, query and fragment characters, control characters.
    for path in ["/a/../b", "/a?x=1", "/a#f", "/a\u{0}", "/a\r\nb"] {
        assert!(
            ServiceCall::container("svc").unwrap().path(path).is_err(),
            "container path {path:?}"
        );
    }
    for object in ["../x", "a/../../x", "a\u{0}b"] {
        let bucket = Bucket::new("bucket-a").unwrap();
        assert!(bucket.info(object).is_err(), "object {object:?}");
    }
    for cloud_path in ["bucket/../x", "bucket/a\u{0}", "no-bucket"] {
        assert!(
            UploadFile::new(cloud_path, 1).is_err(),
            "cloud path {cloud_path:?}"
        );
    }
    assert!(matches!(
        CallFunction::new("a/b"),
        Err(BuildError::InvalidName { .. })
    ));
}

/// Runs `op` once against `body` (status 200) and returns what the driver decided.
fn answer<O: Operation>(op: O, body: &[u8]) -> Result<O::Output, Error> {
    let mut st = state();
    let token: TokenResponse = serde_json::from_value(serde_json::json!({
        "access_token": "at", "expires_in": 7200, "scope": "user", "sub": "u-1",
    }))
    .unwrap();
    st.session_mut()
        .sign_in(Credentials::from_response(token, SystemTime::UNIX_EPOCH).unwrap());
    let mut call = Call::new(op);
    let now = SystemTime::UNIX_EPOCH;
    let Step::Send(_) = call.poll(&mut st, now) else {
        panic!("expected a request")
    };
    let response = http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(body.to_vec())
        .unwrap();
    call.on_response(now, response);
    match call.poll(&mut st, now) {
        Step::Done(result) => result,
        _ => panic!("expected the end"),
    }
}

#[test]
fn invalid_utf8_and_truncated_json_are_typed_decode_errors() {
    let broken: [&[u8]; 5] = [
        b"{\"access_token\":\"at\",\"expires_in\":72",
        b"\xff\xfe\x00{}",
        b"{\"data\":{\"records\":[{\"_id\":\"\xc3\x28\"}]}}",
        b"[",
        b"",
    ];
    for body in broken {
        let shown = String::from_utf8_lossy(body);
        let decode = |r: &Error| matches!(r, Error::Decode(_));
        let sign_in = SignInWithPassword::username("ann", "pw").unwrap();
        assert!(
            answer(sign_in, body).is_err_and(|e| decode(&e)),
            "sign-in {shown:?}"
        );
        assert!(
            answer(GetUser::new(), body).is_err_and(|e| decode(&e)),
            "user {shown:?}"
        );
        let list = Model::new("todo")
            .unwrap()
            .list::<serde_json::Value>(&Query::new())
            .unwrap();
        assert!(
            answer(list, body).is_err_and(|e| decode(&e)),
            "model list {shown:?}"
        );
        let rows = answer(from("t").fetch::<serde_json::Value>(), body);
        if body.is_empty() {
            // An empty body is no rows, as PostgREST answers HEAD and 204 (and the
            // JS SDK reads it as `data: null`).
            assert!(rows.unwrap().is_empty());
        } else {
            assert!(rows.is_err_and(|e| decode(&e)), "rows {shown:?}");
        }
        let urls = TempFileUrls::temp_urls(["cloud://e.1/b/a.txt"]).unwrap();
        assert!(
            answer(urls, body).is_err_and(|e| decode(&e)),
            "temp urls {shown:?}"
        );
        // A function result keeps the bytes; reading them as JSON is the typed error.
        let result = answer(CallFunction::new("echo").unwrap(), body).unwrap();
        assert!(
            result.json::<serde_json::Value>().is_err(),
            "function {shown:?}"
        );
    }
}

/// A server's `expires_in` meets the clock in every sign-in, refresh, verification,
/// captcha, provider and sudo answer, and a stored expiry when a session file is
/// loaded: `u64::MAX` and `i64::MAX` are typed decode errors (they panicked,
/// `SystemTime + Duration` overflowing), and nothing is stored.
#[test]
fn extreme_lifetimes_are_typed_decode_errors_not_panics() {
    use cloudbase_core::auth::{
        Contact, CreateCaptchaData, GrantProviderToken, SendVerification, SignInAnonymously, Sudo,
    };
    use cloudbase_core::error::DecodeError;
    let lifetime = |r: &Error| matches!(r, Error::Decode(DecodeError::Lifetime { .. }));
    for seconds in [u64::MAX, i64::MAX as u64, 20 * 365 * 24 * 3600] {
        let token =
            serde_json::json!({"access_token": "at", "refresh_token": "rt", "expires_in": seconds})
                .to_string();
        let sign_in = answer(SignInAnonymously::new(), token.as_bytes());
        assert!(sign_in.is_err_and(|e| lifetime(&e)), "sign-in {seconds}");
        let sent = serde_json::json!({"verification_id": "v", "expires_in": seconds}).to_string();
        let contact = Contact::parse("a@b.co").unwrap();
        let verification = answer(SendVerification::for_sign_in(contact), sent.as_bytes());
        assert!(
            verification.is_err_and(|e| lifetime(&e)),
            "verification {seconds}"
        );
        let challenge =
            serde_json::json!({"token": "c", "data": "", "expires_in": seconds}).to_string();
        let captcha = answer(CreateCaptchaData::new("s"), challenge.as_bytes());
        assert!(captcha.is_err_and(|e| lifetime(&e)), "captcha {seconds}");
        let provider =
            serde_json::json!({"provider_token": "p", "expires_in": seconds}).to_string();
        let grant = answer(
            GrantProviderToken::code("github", "code", "https://app.example/cb"),
            provider.as_bytes(),
        );
        assert!(grant.is_err_and(|e| lifetime(&e)), "provider {seconds}");
        let sudo = serde_json::json!({"sudo_token": "s", "expires_in": seconds}).to_string();
        let sudo = answer(Sudo::with_password("pw"), sudo.as_bytes());
        assert!(sudo.is_err_and(|e| lifetime(&e)), "sudo {seconds}");
    }
    let key = cloudbase_core::store::StoreKey {
        env_id: "env".into(),
        client_id: "env".into(),
    };
    for expires_at in [u64::MAX, i64::MAX as u64] {
        let file = serde_json::json!({"version": 1, "sessions": {"env:env": {
            "token_type": "Bearer", "access_token": "at", "expires_at": expires_at}}});
        let read = cloudbase_core::store::file_format::read(file.to_string().as_bytes(), &key);
        assert!(
            read.is_err(),
            "a stored expiry of {expires_at} is refused, not a panic"
        );
    }
}
