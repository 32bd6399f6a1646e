//! The fuzz targets' entry points, one function per target, each taking raw bytes.
//!
//! The cargo-fuzz binaries in `fuzz_targets/` are one line each around these; the
//! stable-toolchain test `core/tests/fuzz_corpus.rs` includes this very file and
//! replays every committed corpus file through [`TARGETS`], so CI exercises the
//! same code the fuzzer does. A panic anywhere is a finding: every parser must answer
//! with a value or a typed error, and the invariants below are asserted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use cloudbase_core::Operation;
use cloudbase_core::auth::{
    Contact, CreateCaptchaData, Email, GetProviders, GetUser, GrantProviderToken, Phone,
    SendVerification, SignInAnonymously, SignInWithPassword, Sudo, VerifyCaptchaData, VerifyCode,
    decode_claims,
};
use cloudbase_core::functions::{CallFunction, ServiceCall};
use cloudbase_core::models::{Model, Query};
use cloudbase_core::rdb::{Filter, IsValue, Op, from};
use cloudbase_core::request::Api;
use cloudbase_core::response::check_status;
use cloudbase_core::session::TokenResponse;
use cloudbase_core::storage::{DeleteFiles, TempFileUrls};
use cloudbase_core::{
    AuthEventKind, Call, ClientState, Config, Credentials, Error, HttpRequest, Step,
    TransportError, TransportErrorKind, http, serde_json,
};
use rand::SeedableRng;

/// A target's entry point.
pub type Entry = fn(&[u8]);

/// Every target: its name (the directory under `fuzz/corpus/`) and entry point.
pub const TARGETS: &[(&str, Entry)] = &[
    ("error_envelope", error_envelope),
    ("token_response", token_response),
    ("auth_responses", auth_responses),
    ("model_responses", model_responses),
    ("rdb_responses", rdb_responses),
    ("function_results", function_results),
    ("storage_responses", storage_responses),
    ("jwt_claims", jwt_claims),
    ("contact_normalise", contact_normalise),
    ("postgrest_encoder", postgrest_encoder),
    ("session_machine", session_machine_bytes),
    ("structured_responses", structured::structured_responses),
    ("token_verifier", token_verifier::token_verifier),
    ("sse_stream", sse_stream::sse_stream),
];

// Path relative to this file, so the same module resolves when core's corpus test
// includes this file under another name.
#[path = "sse_stream.rs"]
pub mod sse_stream;
#[path = "structured.rs"]
pub mod structured;
#[path = "token_verifier.rs"]
pub mod token_verifier;

// ---- input helpers ----

/// A cursor over the fuzzer's bytes; reading past the end gives zeros / empty.
pub struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    /// Wraps `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self(data)
    }
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn flag(&mut self) -> bool {
        self.byte() & 1 == 1
    }
    fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }
    /// A short string: a length byte, then that many bytes (lossy UTF-8).
    fn short_str(&mut self) -> String {
        let n = usize::from(self.byte() % 24);
        String::from_utf8_lossy(self.take(n)).into_owned()
    }
    fn rest(&mut self) -> &'a [u8] {
        self.take(self.0.len())
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn config() -> Config {
    Config::builder("fuzz-env")
        .publishable_key("pk_fuzz")
        .build()
        .expect("a valid config")
}

/// Client state, signed in with a fresh user token when `signed_in`.
fn state(signed_in: bool) -> ClientState {
    let mut st = ClientState::new(config(), Box::new(rand::rngs::StdRng::seed_from_u64(1)));
    if signed_in {
        st.session_mut()
            .sign_in(credentials("at-0", Some("rt-0"), "user", 3600, t0()));
        let _ = st.session_mut().take_events();
    }
    st
}

/// Credentials as a token answer with these values would give, received at `at`.
pub fn credentials(
    token: &str,
    refresh: Option<&str>,
    scope: &str,
    expires_in: u64,
    at: SystemTime,
) -> Credentials {
    let mut v = serde_json::json!({
        "access_token": token, "expires_in": expires_in, "scope": scope, "sub": "u-1",
    });
    if let Some(rt) = refresh {
        v["refresh_token"] = rt.into();
    }
    let r: TokenResponse = serde_json::from_value(v).expect("a token response");
    Credentials::from_response(r, at).expect("a lifetime the fuzz helpers choose")
}

const CONTENT_TYPES: [&str; 5] = [
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "application/octet-stream",
    "",
];

/// An HTTP answer read from the input: status, a few optional headers, the body.
#[derive(Clone)]
struct Answer {
    status: u16,
    content_type: &'static str,
    content_range: Option<String>,
    retry_after: Option<String>,
    body: Vec<u8>,
}

impl Answer {
    fn read(input: &mut Input<'_>) -> Self {
        let status = match input.byte() % 4 {
            0 | 1 => 200,
            2 => [201, 204, 206, 400, 401, 403, 404, 409, 429, 500, 502, 503]
                [usize::from(input.byte() % 12)],
            _ => 100 + u16::from_le_bytes([input.byte(), input.byte()]) % 500,
        };
        let content_type = CONTENT_TYPES[usize::from(input.byte()) % CONTENT_TYPES.len()];
        let content_range = input.flag().then(|| input.short_str());
        let retry_after = input.flag().then(|| input.short_str());
        Self {
            status,
            content_type,
            content_range,
            retry_after,
            body: input.rest().to_vec(),
        }
    }

    fn response(&self) -> http::Response<Vec<u8>> {
        let mut builder = http::Response::builder().status(self.status);
        if !self.content_type.is_empty() {
            builder = builder.header("content-type", self.content_type);
        }
        if let Some(range) = self.content_range.as_deref()
            && let Ok(value) = http::HeaderValue::from_str(range)
        {
            builder = builder.header("content-range", value);
        }
        if let Some(after) = self.retry_after.as_deref()
            && let Ok(value) = http::HeaderValue::from_str(after)
        {
            builder = builder.header("retry-after", value);
        }
        builder.body(self.body.clone()).expect("a valid response")
    }
}

/// Drives `op` to the end, answering every request it sends with `answer` and
/// jumping the clock over every sleep. `None` if the operation is refused unsent.
fn drive<O: Operation>(st: &mut ClientState, op: O, answer: &Answer) -> Result<O::Output, Error> {
    let mut call = Call::new(op);
    let mut now = t0();
    for _ in 0..16 {
        match call.poll(st, now) {
            Step::Send(_) => call.on_response(now, answer.response()),
            Step::Sleep(until) => now = now.max(until),
            Step::Wait { until, .. } => now = now.max(until),
            Step::Store(_) => panic!("no store is configured, so no store step"),
            Step::Done(result) => return result,
        }
    }
    panic!("a call did not finish within 16 steps");
}

// ---- targets ----

/// Both error envelopes: any status and body give `Ok` or a typed error.
pub fn error_envelope(data: &[u8]) {
    let mut input = Input::new(data);
    let answer = Answer::read(&mut input);
    for api in [Api::AuthV1, Api::Gateway] {
        let _ = check_status(api, &answer.response(), t0());
    }
}

/// A sign-in answer of any shape through the driver: credentials stored on success
/// only.
pub fn token_response(data: &[u8]) {
    let mut st = state(false);
    let answer = Answer {
        status: 200,
        content_type: "application/json",
        content_range: None,
        retry_after: None,
        body: data.to_vec(),
    };
    match drive(&mut st, SignInAnonymously::new(), &answer) {
        Ok(_) => assert!(st.session().credentials().is_some()),
        Err(_) => assert!(st.session().credentials().is_none()),
    }
}

/// Auth answers: credentials, the user profile, a verification, the provider list.
pub fn auth_responses(data: &[u8]) {
    let mut input = Input::new(data);
    let which = input.byte() % 4;
    let answer = Answer::read(&mut input);
    match which {
        0 => {
            let mut st = state(false);
            let op = SignInWithPassword::username("ann", "pw-fuzz").expect("valid input");
            let ok = drive(&mut st, op, &answer).is_ok();
            assert_eq!(ok, st.session().credentials().is_some());
        }
        1 => {
            let mut st = state(true);
            let _ = drive(&mut st, GetUser::new(), &answer);
            // A profile answer never signs anybody out unless the server said so.
            assert!(
                st.session().credentials().is_some()
                    || answer.status == 401
                    || answer.status == 400
                    || answer.status == 403
            );
        }
        2 => {
            let mut st = state(false);
            let contact = Contact::parse("a@b.co").expect("valid contact");
            if let Ok(handle) = drive(&mut st, SendVerification::for_sign_in(contact), &answer) {
                assert!(handle.expires_at >= t0());
            }
        }
        _ => {
            let mut st = state(true);
            let _ = drive(&mut st, GetProviders::new(), &answer);
        }
    }
}

#[derive(Debug, cloudbase_core::serde::Deserialize)]
#[serde(crate = "cloudbase_core::serde")]
struct Row {
    #[serde(rename = "_id")]
    _id: String,
    _title: Option<String>,
    _done: Option<bool>,
}

/// Data-model envelopes: list (typed and untyped), get, create, update.
pub fn model_responses(data: &[u8]) {
    let mut input = Input::new(data);
    let which = input.byte() % 5;
    let answer = Answer::read(&mut input);
    let model = Model::new("todo").expect("valid model");
    let query = Query::new().with_count();
    let mut st = state(true);
    match which {
        0 => {
            if let Ok(page) = drive(&mut st, model.list::<Row>(&query).expect("valid"), &answer) {
                let _ = page.records.len();
            }
        }
        1 => {
            let _ = drive(
                &mut st,
                model.list::<serde_json::Value>(&query).expect("valid"),
                &answer,
            );
        }
        2 => {
            let _ = drive(
                &mut st,
                model.get::<serde_json::Value>(&query).expect("valid"),
                &answer,
            );
        }
        3 => {
            let op = model
                .create(&serde_json::json!({"title": "t"}))
                .expect("valid");
            let _ = drive(&mut st, op, &answer);
        }
        _ => {
            let _ = drive(
                &mut st,
                model.get_by_id::<Row>("id-1").expect("valid"),
                &answer,
            );
        }
    }
}

/// MySQL REST answers together with `Content-Range`: rows, counted rows, a single
/// row, a bare count.
pub fn rdb_responses(data: &[u8]) {
    let mut input = Input::new(data);
    let which = input.byte() % 4;
    let answer = Answer::read(&mut input);
    let mut st = state(true);
    let query = from("course").select("id,name");
    match which {
        0 => {
            let _ = drive(&mut st, query.fetch::<serde_json::Value>(), &answer);
        }
        1 => {
            if let Ok(counted) = drive(&mut st, query.fetch_counted::<serde_json::Value>(), &answer)
                && let Some(total) = counted.total
            {
                let _ = total;
            }
        }
        2 => {
            let _ = drive(&mut st, query.single::<serde_json::Value>(), &answer);
        }
        _ => {
            let _ = drive(&mut st, query.count(), &answer);
        }
    }
}

/// Function, container and API results: JSON or text by content type, typed reads.
pub fn function_results(data: &[u8]) {
    let mut input = Input::new(data);
    let which = input.byte() % 3;
    let answer = Answer::read(&mut input);
    let mut st = state(true);
    let result = match which {
        0 => drive(&mut st, CallFunction::new("echo").expect("valid"), &answer),
        1 => drive(
            &mut st,
            ServiceCall::container("svc").expect("valid"),
            &answer,
        ),
        _ => drive(
            &mut st,
            ServiceCall::api("echo-api", http::Method::GET).expect("valid"),
            &answer,
        ),
    };
    if let Ok(result) = result {
        let _ = result.json::<serde_json::Value>();
        let _ = result.json::<HashMap<String, i64>>();
        let _ = result.text();
        assert!((200..300).contains(&result.status));
    }
}

/// Classic storage batch answers: per-item results, item count checked.
pub fn storage_responses(data: &[u8]) {
    let mut input = Input::new(data);
    let which = input.byte() % 2;
    let answer = Answer::read(&mut input);
    let mut st = state(true);
    let ids = [
        "cloud://env.6465-env-1/bucket/a.txt",
        "cloud://env.6465-env-1/bucket/b.txt",
    ];
    if which == 0 {
        if let Ok(items) = drive(
            &mut st,
            TempFileUrls::temp_urls(ids).expect("valid"),
            &answer,
        ) {
            assert_eq!(items.len(), ids.len());
        }
    } else if let Ok(items) = drive(&mut st, DeleteFiles::delete(ids).expect("valid"), &answer) {
        assert_eq!(items.len(), ids.len());
    }
}

/// The JWT claims decoder, on raw text and on well-formed tokens around arbitrary
/// payload bytes.
pub fn jwt_claims(data: &[u8]) {
    use base64::Engine;
    let mut input = Input::new(data);
    let token = if input.flag() {
        String::from_utf8_lossy(input.rest()).into_owned()
    } else {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(input.rest());
        format!("eyJhbGciOiJub25lIn0.{payload}.sig")
    };
    if let Ok(claims) = decode_claims(&token) {
        let _ = (claims.sub(), claims.exp(), claims.get_str("scope"));
    }
}

/// The phone and e-mail normalisers: whatever they accept, they accept again in
/// the normal form, unchanged (idempotent), and never with control characters.
pub fn contact_normalise(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(contact) = Contact::parse(&text) {
        let again = Contact::parse(contact.as_str()).expect("the normal form parses");
        assert_eq!(again.as_str(), contact.as_str());
        assert!(!contact.as_str().chars().any(char::is_control));
    }
    if let Ok(phone) = Phone::parse(&text) {
        let again = Phone::parse(phone.as_str()).expect("the normal form parses");
        assert_eq!(again.as_str(), phone.as_str());
        assert!(phone.as_str().starts_with('+'));
    }
    if let Ok(email) = Email::parse(&text) {
        let again = Email::parse(email.as_str()).expect("the normal form parses");
        assert_eq!(again.as_str(), email.as_str());
    }
}

/// The PostgREST value encoder: filters built from the input are sent through the
/// real driver, and the query decodes (by the independent parser below) to the
/// same filter tree.
pub fn postgrest_encoder(data: &[u8]) {
    let mut input = Input::new(data);
    let mut filters = Vec::new();
    while !input.is_empty() && filters.len() < 4 {
        filters.push(filter(&mut input, 0));
    }
    if filters.is_empty() {
        return;
    }
    if let Some(query) = encoded(&filters) {
        assert_eq!(postgrest::parse(&query), filters, "query {query:?}");
    }
}

const COLUMNS: [&str; 5] = ["id", "name", "课程", "a_b", "$x"];
const IS_VALUES: [IsValue; 4] = [
    IsValue::Null,
    IsValue::True,
    IsValue::False,
    IsValue::Unknown,
];

fn filter(input: &mut Input<'_>, depth: u8) -> Filter {
    let column = COLUMNS[usize::from(input.byte()) % COLUMNS.len()].to_owned();
    let negated = input.flag();
    match input.byte() % 4 {
        0 => Filter::In {
            column,
            negated,
            values: (0..input.byte() % 4).map(|_| input.short_str()).collect(),
        },
        1 => Filter::Is {
            column,
            negated,
            value: IS_VALUES[usize::from(input.byte()) % IS_VALUES.len()],
        },
        2 if depth < 3 => Filter::Group {
            any: input.flag(),
            negated,
            parts: (0..1 + input.byte() % 3)
                .map(|_| filter(input, depth + 1))
                .collect(),
        },
        _ => Filter::Cmp {
            column,
            negated,
            op: Op::ALL[usize::from(input.byte()) % Op::ALL.len()],
            value: input.short_str(),
        },
    }
}

/// The query string the real driver sends for `filters`; `None` if refused unsent.
pub fn encoded(filters: &[Filter]) -> Option<String> {
    let mut st = state(false);
    let mut query = from("t");
    for f in filters {
        query = query.filter(f.clone());
    }
    let mut call = Call::new(query.fetch::<serde_json::Value>());
    match call.poll(&mut st, t0()) {
        Step::Send(req) => Some(req.uri().query().unwrap_or("").to_owned()),
        Step::Done(Err(Error::Build(_))) => None,
        other => panic!("expected a request, got {other:?}"),
    }
}

/// A test-only parser of PostgREST's filter grammar (`pSingleVal`, `pListVal`,
/// `pLogicTree`), written independently of the encoder.
pub mod postgrest {
    use super::*;

    fn percent_decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ascii");
                out.push(u8::from_str_radix(hex, 16).expect("hex"));
                i += 3;
            } else {
                assert!(
                    bytes[i] != b'&' && bytes[i] != b'=' && bytes[i] != b'#' && bytes[i] != b'+',
                    "raw {:?} in a value",
                    bytes[i] as char
                );
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).expect("utf-8")
    }

    fn op_of(name: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|o| o.as_str() == name)
    }

    fn is_of(name: &str) -> IsValue {
        match name {
            "null" => IsValue::Null,
            "true" => IsValue::True,
            "false" => IsValue::False,
            "unknown" => IsValue::Unknown,
            other => panic!("bad is operand {other:?}"),
        }
    }

    struct P<'a> {
        s: &'a [char],
        i: usize,
    }

    impl P<'_> {
        fn peek(&self) -> Option<char> {
            self.s.get(self.i).copied()
        }
        fn eat(&mut self, text: &str) -> bool {
            let t: Vec<char> = text.chars().collect();
            if self.s[self.i..].starts_with(&t) {
                self.i += t.len();
                true
            } else {
                false
            }
        }
        fn expect(&mut self, text: &str) {
            assert!(self.eat(text), "expected {text:?} at {}", self.i);
        }
        fn word(&mut self) -> String {
            let start = self.i;
            while let Some(c) = self.peek() {
                if c == '.' || c == ',' || c == '(' || c == ')' {
                    break;
                }
                self.i += 1;
            }
            self.s[start..self.i].iter().collect()
        }
        /// A value inside a list or tree: quoted with escapes, or a bare run.
        fn value(&mut self) -> String {
            if self.eat("\"") {
                let mut out = String::new();
                loop {
                    match self.peek().expect("unterminated quote") {
                        '"' => {
                            self.i += 1;
                            return out;
                        }
                        '\\' => {
                            out.push(self.s[self.i + 1]);
                            self.i += 2;
                        }
                        c => {
                            out.push(c);
                            self.i += 1;
                        }
                    }
                }
            }
            let start = self.i;
            while let Some(c) = self.peek() {
                if c == ',' || c == ')' {
                    break;
                }
                self.i += 1;
            }
            self.s[start..self.i].iter().collect()
        }
        fn list(&mut self) -> Vec<String> {
            self.expect("(");
            let mut out = Vec::new();
            if self.eat(")") {
                return out;
            }
            loop {
                out.push(self.value());
                if self.eat(")") {
                    return out;
                }
                self.expect(",");
            }
        }
        fn members(&mut self) -> Vec<Filter> {
            self.expect("(");
            let mut out = Vec::new();
            loop {
                out.push(self.member());
                if self.eat(")") {
                    return out;
                }
                self.expect(",");
            }
        }
        fn member(&mut self) -> Filter {
            let negated = self.eat("not.");
            for (word, any) in [("or(", true), ("and(", false)] {
                if self.eat(word) {
                    self.i -= 1;
                    return Filter::Group {
                        any,
                        negated,
                        parts: self.members(),
                    };
                }
            }
            assert!(!negated, "not. before a column inside a group");
            let column = self.word();
            self.expect(".");
            self.condition(column, |p| p.value())
        }
        fn condition(&mut self, column: String, value: impl Fn(&mut Self) -> String) -> Filter {
            let negated = self.eat("not.");
            let op = self.word();
            self.expect(".");
            match op.as_str() {
                "in" => Filter::In {
                    column,
                    negated,
                    values: self.list(),
                },
                "is" => Filter::Is {
                    column,
                    negated,
                    value: is_of(&self.word()),
                },
                other => Filter::Cmp {
                    column,
                    negated,
                    op: op_of(other).expect("known operator"),
                    value: value(self),
                },
            }
        }
    }

    /// The filters in a query string (`select` skipped); panics on anything the
    /// grammar does not allow.
    pub fn parse(query: &str) -> Vec<Filter> {
        let mut out = Vec::new();
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').expect("k=v");
            let (k, v) = (percent_decode(k), percent_decode(v));
            if k == "select" {
                continue;
            }
            let chars: Vec<char> = v.chars().collect();
            let mut p = P { s: &chars, i: 0 };
            let group = match k.as_str() {
                "or" | "and" | "not.or" | "not.and" => {
                    Some((k.ends_with("or"), k.starts_with("not.")))
                }
                _ => None,
            };
            let f = match group {
                Some((any, negated)) => Filter::Group {
                    any,
                    negated,
                    parts: p.members(),
                },
                // Top level: the value after `op.` is the rest of the string, verbatim.
                None => p.condition(k, |p| {
                    let rest: String = p.s[p.i..].iter().collect();
                    p.i = p.s.len();
                    rest
                }),
            };
            assert_eq!(p.i, chars.len(), "trailing input in {v:?}");
            out.push(f);
        }
        out
    }
}

// ---- the session machine ----

/// One step of the session-machine exercise.
#[derive(Clone, Debug)]
pub enum Action {
    /// Poll call `i` (of 4).
    Poll(usize),
    /// Answer call `i`'s outstanding request.
    Answer(usize, Reply),
    /// Move the clock forward by this many seconds.
    Advance(u64),
}

/// How an outstanding request is answered.
#[derive(Clone, Copy, Debug)]
pub enum Reply {
    /// 200 (a new token for a refresh).
    Ok,
    /// The connection dropped.
    Lost,
    /// 401 `ACCESS_TOKEN_EXPIRED` (function calls only; a refresh gets a token).
    Rejected,
    /// 400 `invalid_grant` (refreshes only; a function call gets 200).
    InvalidGrant,
    /// 503.
    Unavailable,
}

pub fn session_machine_bytes(data: &[u8]) {
    let mut input = Input::new(data);
    let anonymous = input.flag();
    let mut actions = Vec::new();
    while !input.is_empty() && actions.len() < 200 {
        let b = input.byte();
        let i = usize::from(b >> 6);
        actions.push(match b & 0x0f {
            0..=5 => Action::Poll(i),
            6..=13 => Action::Answer(
                i,
                [
                    Reply::Ok,
                    Reply::Ok,
                    Reply::Lost,
                    Reply::Rejected,
                    Reply::InvalidGrant,
                    Reply::Unavailable,
                ][usize::from(input.byte()) % 6],
            ),
            _ => Action::Advance(u64::from(input.byte() % 120)),
        });
    }
    session_machine(&actions, anonymous);
}

fn bearer(req: &HttpRequest) -> String {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim_start_matches("Bearer ")
        .to_owned()
}

fn answer(status: u16, body: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(status)
        .body(body.as_bytes().to_vec())
        .expect("a valid response")
}

/// Four function calls share one session (token valid 100 s) while the actions
/// interleave polls, answers, failures and clock jumps. Asserts: never a request
/// with an expired access token, at most one refresh in flight, no sign-out
/// without an `invalid_grant`.
pub fn session_machine(actions: &[Action], anonymous: bool) {
    const CALL_PATH: &str = "/v1/functions/echo";
    let scope = if anonymous { "anonymous" } else { "user" };
    // No publishable key: after a sign-out a call must have no bearer to fall back on.
    let config = Config::builder("fuzz-env").build().expect("a valid config");
    let mut st = ClientState::new(config, Box::new(rand::rngs::StdRng::seed_from_u64(3)));
    st.session_mut()
        .sign_in(credentials("at-0", Some("rt-0"), scope, 100, t0()));
    let _ = st.session_mut().take_events();
    let mut expiry: HashMap<String, SystemTime> =
        HashMap::from([("at-0".to_owned(), t0() + Duration::from_secs(100))]);
    let mut issued = 0u32;
    let mut now = t0();
    let mut calls: Vec<Call<CallFunction>> = (0..4)
        .map(|_| Call::new(CallFunction::new("echo").expect("valid")))
        .collect();
    let mut outstanding: Vec<Option<HttpRequest>> = vec![None; 4];
    let mut done_calls = [false; 4];
    let mut invalid_grant_sent = false;

    for action in actions {
        match *action {
            Action::Advance(s) => now += Duration::from_secs(s),
            Action::Poll(i) if outstanding[i].is_none() && !done_calls[i] => {
                match calls[i].poll(&mut st, now) {
                    Step::Send(req) => {
                        if req.uri().path() == CALL_PATH {
                            let token = bearer(&req);
                            let exp = expiry.get(&token).copied();
                            assert!(
                                exp.is_some_and(|e| e > now),
                                "sent {token} at {now:?}, expires {exp:?}"
                            );
                        } else {
                            let refreshing = outstanding
                                .iter()
                                .flatten()
                                .filter(|r| r.uri().path() != CALL_PATH)
                                .count();
                            assert_eq!(refreshing, 0, "a second refresh was sent");
                        }
                        outstanding[i] = Some(req);
                    }
                    Step::Done(_) => done_calls[i] = true,
                    Step::Sleep(_) | Step::Wait { .. } => {}
                    Step::Store(_) => panic!("no store is configured, so no store step"),
                }
            }
            Action::Poll(_) => {}
            Action::Answer(i, reply) => {
                let Some(req) = outstanding[i].take() else {
                    continue;
                };
                let renewal = req.uri().path() != CALL_PATH;
                match (renewal, reply) {
                    (_, Reply::Lost) => calls[i].on_failure(TransportError::without_source(
                        TransportErrorKind::ConnectionLost,
                    )),
                    (_, Reply::Unavailable) => calls[i].on_response(
                        now,
                        answer(
                            503,
                            r#"{"error":"unavailable","code":"RESOURCE_UNAVAILABLE"}"#,
                        ),
                    ),
                    (true, Reply::InvalidGrant) => {
                        invalid_grant_sent = true;
                        calls[i].on_response(now, answer(400, r#"{"error":"invalid_grant"}"#));
                    }
                    (true, _) => {
                        issued += 1;
                        let token = format!("at-{issued}");
                        expiry.insert(token.clone(), now + Duration::from_secs(100));
                        let body = serde_json::json!({
                            "token_type": "Bearer", "access_token": token,
                            "refresh_token": format!("rt-{issued}"),
                            "expires_in": 100, "scope": scope, "sub": "u-1",
                        });
                        calls[i].on_response(now, answer(200, &body.to_string()));
                    }
                    (false, Reply::Rejected) => {
                        calls[i].on_response(now, answer(401, r#"{"code":"ACCESS_TOKEN_EXPIRED"}"#))
                    }
                    (false, _) => calls[i].on_response(now, answer(200, "{}")),
                }
            }
        }
        let signed_out = st
            .session_mut()
            .take_events()
            .iter()
            .any(|e| e.kind == AuthEventKind::SignedOut);
        assert!(
            !signed_out || invalid_grant_sent,
            "signed out without invalid_grant"
        );
    }
}
