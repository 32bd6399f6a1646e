//! Request shapes checked against what the official JS SDK 3.7.0 sent for the same
//! steps (`../shared/protocol/transcripts/auth.jsonl`): the signed-in user's bearer on
//! verification requests, the captcha `state`, the OAuth redirect URI, and
//! `response_type` on `genProviderRedirectUri` (issue 14, items 1-4).
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::{Duration, SystemTime};

use cloudbase_core::auth::{
    Contact, GenProviderRedirectUri, OAuthCallback, OAuthPurpose, SendVerification, StartOAuth,
    VerifyOAuth,
};
use cloudbase_core::session::TokenResponse;
use cloudbase_core::{Call, ClientState, Config, Credentials, HttpRequest, Operation, Step};
use rand::SeedableRng;
use serde_json::Value;

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

/// Every JS SDK request recorded under `label`, in order.
fn transcript(label: &str) -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/protocol/transcripts/auth.jsonl"
    );
    let text = std::fs::read_to_string(path).expect("../shared/protocol beside the checkout");
    let found: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["label"] == label)
        .collect();
    assert!(!found.is_empty(), "no transcript step {label}");
    found
}

fn state(signed_in: bool) -> ClientState {
    let config = Config::builder("demo-env")
        .publishable_key("pk_demo_publishable")
        .build()
        .unwrap();
    let mut st = ClientState::new(config, Box::new(rand::rngs::StdRng::seed_from_u64(3)));
    if signed_in {
        let token: TokenResponse = serde_json::from_value(serde_json::json!({
            "access_token": "user-at", "refresh_token": "rt", "expires_in": 7200,
            "scope": "user", "sub": "u-1"}))
        .unwrap();
        st.session_mut()
            .sign_in(Credentials::from_response(token, t0()).unwrap());
    }
    st
}

fn first_request<O: Operation>(st: &mut ClientState, op: O) -> (Call<O>, HttpRequest) {
    let mut call = Call::new(op);
    match call.poll(st, t0()) {
        Step::Send(req) => (call, req),
        _ => panic!("expected a request"),
    }
}

fn query_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn js_query(step: &Value) -> Vec<(String, String)> {
    step["query"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_owned(),
                p[1].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn body(req: &HttpRequest) -> Value {
    serde_json::from_slice(req.body()).unwrap()
}

#[test]
fn verification_while_signed_in_carries_the_users_bearer() {
    let js = &transcript("auth/getVerification/email.signed-in")[0];
    let mut st = state(true);
    let contact = Contact::parse("a@example.com").unwrap();
    let (_, req) = first_request(&mut st, SendVerification::new(contact));
    assert_eq!(req.uri().path(), js["path"]);
    assert_eq!(
        req.headers()["authorization"],
        "Bearer user-at",
        "JS: {}",
        js["headers"]["authorization"]
    );
    assert_eq!(
        query_pairs(&req),
        js_query(js),
        "no client_id beside the bearer"
    );

    // Signed out: today's form, `?client_id` and no bearer (documented difference:
    // the JS SDK sends the Publishable Key).
    let mut st = state(false);
    let contact = Contact::parse("a@example.com").unwrap();
    let (_, req) = first_request(&mut st, SendVerification::new(contact));
    assert!(req.headers().get("authorization").is_none());
    assert_eq!(
        query_pairs(&req),
        [("client_id".to_owned(), "demo-env".to_owned())]
    );
}

#[test]
fn the_captcha_state_names_the_path_without_the_auth_prefix() {
    let steps = transcript("auth/captcha/captcha_required.auto-replay");
    let js_captcha = steps
        .iter()
        .find(|s| s["path"] == "/auth/v1/captcha/data")
        .unwrap();
    let mut st = state(false);
    let contact = Contact::parse("+86 13800000000").unwrap();
    let (mut call, _) = first_request(&mut st, SendVerification::new(contact));
    let required = http::Response::builder()
        .status(400)
        .header("content-type", "application/json")
        .body(br#"{"error":"captcha_required","error_code":4001,"error_description":"captcha required"}"#.to_vec())
        .unwrap();
    call.on_response(t0(), required);
    let captcha = match call.poll(&mut st, t0()) {
        Step::Send(req) => req,
        _ => panic!("expected the captcha request"),
    };
    assert_eq!(captcha.uri().path(), js_captcha["path"]);
    assert_eq!(body(&captcha), js_captcha["body"]);
}

#[test]
fn oauth_registers_origin_and_path_and_keeps_the_full_return_url() {
    let js_start = &transcript("auth/signInWithOAuth")[0];
    let js_verify = &transcript("auth/verifyOAuth/sign_in")[0];
    let given = "https://app.example.com/auth/callback?tab=2#section";
    let mut st = state(false);
    let op = StartOAuth::new("github", given, "st-oauth-1", OAuthPurpose::SignIn);
    let (mut call, req) = first_request(&mut st, op);
    assert_eq!(query_pairs(&req), js_query(js_start));
    let answer = http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(br#"{"uri":"https://github.com/login/oauth/authorize?x=1"}"#.to_vec())
        .unwrap();
    call.on_response(t0(), answer);
    let flow = match call.poll(&mut st, t0()) {
        Step::Done(result) => result.unwrap(),
        _ => panic!("expected the flow"),
    };
    assert_eq!(flow.redirect_uri, "https://app.example.com/auth/callback");
    assert_eq!(flow.return_url, given, "the app can restore its query");
    let callback = OAuthCallback::new("oauth-code-1", "st-oauth-1");
    let (_, exchange) = first_request(&mut st, VerifyOAuth::new(&flow, callback));
    assert_eq!(body(&exchange), js_verify["body"]);
}

#[test]
fn gen_provider_redirect_uri_sends_response_type_code() {
    let js = &transcript("auth/genProviderRedirectUri(v2)")[0];
    let mut st = state(false);
    let op = GenProviderRedirectUri::new("github", "https://app.example.com/cb?x=1", "st-2")
        .scope("read:user user:email")
        .param("lang", "zh CN&x");
    let (_, req) = first_request(&mut st, op);
    assert_eq!(query_pairs(&req), js_query(js));
}

fn transcript_in(file: &str, label: &str) -> Vec<Value> {
    let path = format!(
        "{}/../../shared/protocol/transcripts/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).expect("../shared/protocol beside the checkout");
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["label"] == label)
        .collect()
}

#[test]
fn sign_out_with_redirect_and_get_functions_match_the_js_sdk() {
    let js = &transcript("auth/signOut/with-redirect-params")[0];
    let mut st = state(true);
    let op = cloudbase_core::auth::SignOutWithRedirect::new("https://app.example.com/bye", "bye-1");
    let (_, req) = first_request(&mut st, op);
    assert_eq!(
        (req.method().as_str(), req.uri().path()),
        ("POST", "/auth/v1/user/signout")
    );
    assert_eq!(js["path"], "/auth/v1/user/signout");
    assert_eq!(body(&req), js["body"]);
    assert_eq!(req.headers()["authorization"], "Bearer user-at");

    let js = &transcript_in(
        "functions.jsonl",
        "functions/callFunction/method-GET-with-data",
    )[0];
    let op = cloudbase_core::functions::CallFunction::new("echo")
        .unwrap()
        .method(http::Method::GET)
        .data(&serde_json::json!({"q": "a b", "c": null, "n": 1}))
        .unwrap();
    let (_, req) = first_request(&mut st, op);
    assert_eq!(req.method().as_str(), js["method"]);
    assert_eq!(req.uri().path(), js["path"]);
    assert!(req.body().is_empty());
    let mut ours = query_pairs(&req);
    let mut theirs = js_query(js);
    ours.sort();
    theirs.sort();
    assert_eq!(ours, theirs, "the same pairs (order carries no meaning)");
}
