//! Both adapters against the in-process emulator: every scenario in
//! `common/scenarios.rs` runs once per adapter.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

macro_rules! for_both_adapters {
    ($($name:ident),* $(,)?) => {
        mod blocking {
            $(#[test] fn $name() { super::common::scenarios::$name::<cloudbase_blocking::Client>() })*
        }
        mod async_reqwest {
            $(#[test] fn $name() { super::common::scenarios::$name::<super::common::AsyncClient>() })*
        }
    };
}

for_both_adapters!(
    functions_text_json_typed_and_errors,
    containers_methods_queries_and_errors,
    apis_every_method_and_token_override,
    classic_storage_round_trip,
    storage_names_with_reserved_and_non_ascii_characters,
    bucket_storage_round_trip,
    model_crud_with_typed_records,
    model_filters_and_refusals,
    pager_walks_a_thousand_records,
    mysql_command_and_sql_templates,
    data_source_queries,
    mysql_rest_builder_end_to_end,
    mysql_rest_hostile_values_round_trip,
    mysql_flutter_style_calls,
    rdb_rpc_functions_and_schemas,
    anonymous_sign_in_then_echo,
    the_same_device_gets_the_same_anonymous_user,
    idempotent_503_with_retry_after_is_retried_after_the_delay,
    non_idempotent_503_is_a_typed_retryable_error_without_retry,
    connection_refused_is_retried_even_for_non_idempotent_calls,
    a_dropped_connection_is_not_retried_for_non_idempotent_calls,
    a_dropped_connection_is_retried_for_idempotent_calls,
    redirects_are_not_followed,
    an_oversized_response_is_a_typed_error,
    an_unknown_function_is_the_typed_server_error,
    an_invalid_name_is_refused_before_sending,
    keys_and_bad_tokens,
    an_expired_token_is_refreshed_and_the_call_replayed_once,
    a_token_near_expiry_is_refreshed_before_the_call,
    short_lived_tokens_refresh_once_per_call_without_looping,
    a_refresh_that_meets_a_dropped_connection_keeps_the_session,
    an_anonymous_session_whose_refresh_token_was_revoked_signs_in_again,
    invalid_grant_signs_out_once,
    get_user_refresh_session_and_sign_out,
    a_restart_restores_the_session_from_the_file_store,
    otp_sign_up_then_password_sign_in,
    otp_sign_in_of_an_existing_user_by_phone,
    otp_error_paths,
    debug_output_never_shows_tokens_or_keys,
    profile_update_and_contact_change,
    passwords_sudo_queries_and_deletion,
    account_security_history_and_revocation,
    http_method_functions_redirect_sign_out_and_provider_patch,
    password_recovery_flows,
    reauthentication_and_contact_binding,
    oauth_sign_in_link_and_unlink,
    id_token_and_custom_ticket_sign_in,
    captcha_after_failed_passwords_with_a_solver,
    captcha_without_a_solver_returns_the_challenge,
    set_session_get_session_and_scope,
    resend_replaces_the_previous_code,
);

/// Many concurrent calls through one async client (one shared connection pool).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_async_calls_share_one_client() {
    let emu = common::emulator();
    let client = std::sync::Arc::new(
        cloudbase_async::Client::new(common::config_for(emu.base_url()).build().unwrap()).unwrap(),
    );
    client.sign_in_anonymously().await.unwrap();
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .call_function("echo", &serde_json::json!({"i": i}))
                    .await
            })
        })
        .collect();
    for (i, task) in tasks.into_iter().enumerate() {
        let out = task.await.unwrap().unwrap();
        assert_eq!(out.json::<serde_json::Value>().unwrap()["i"], i);
    }
    assert_eq!(emu.requests_to("/v1/functions/echo").len(), 64);
}

/// Threads share one blocking client.
#[test]
fn concurrent_blocking_calls_share_one_client() {
    let emu = common::emulator();
    let client =
        cloudbase_blocking::Client::new(common::config_for(emu.base_url()).build().unwrap())
            .unwrap();
    client.sign_in_anonymously().unwrap();
    std::thread::scope(|s| {
        for i in 0..16 {
            let client = &client;
            s.spawn(move || {
                let out = client
                    .call_function("echo", &serde_json::json!({"i": i}))
                    .unwrap();
                assert_eq!(out.json::<serde_json::Value>().unwrap()["i"], i);
            });
        }
    });
    assert_eq!(emu.requests_to("/v1/functions/echo").len(), 16);
}

/// The blocking client's event receiver: `INITIAL_SESSION`, then each change in
/// order; a dropped receiver ends the subscription without disturbing calls.
#[test]
fn blocking_auth_events_arrive_in_order_on_a_channel() {
    use cloudbase_core::AuthEventKind::*;
    let emu = common::emulator();
    let client =
        cloudbase_blocking::Client::new(common::config_for(emu.base_url()).build().unwrap())
            .unwrap();
    let mut events = client.auth_events();
    let dropped = client.auth_events();
    drop(dropped);
    client.sign_in_anonymously().unwrap();
    client.refresh_session().unwrap();
    client.sign_out().unwrap();
    let kinds: Vec<_> = std::iter::from_fn(|| events.try_next())
        .map(|item| match item {
            cloudbase_blocking::AuthEventItem::Event(e) => e.kind,
            lagged => panic!("{lagged:?}"),
        })
        .collect();
    assert_eq!(kinds, [InitialSession, SignedIn, TokenRefreshed, SignedOut]);
}

/// The async client's event channel, read while calls run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_auth_events_arrive_in_order_on_a_channel() {
    use cloudbase_core::AuthEventKind::*;
    let emu = common::emulator();
    let client =
        cloudbase_async::Client::new(common::config_for(emu.base_url()).build().unwrap()).unwrap();
    let mut events = client.auth_events();
    client.sign_in_anonymously().await.unwrap();
    client.refresh_session().await.unwrap();
    client.sign_out().await.unwrap();
    let mut kinds = Vec::new();
    for _ in 0..4 {
        match futures_util::StreamExt::next(&mut events).await {
            Some(cloudbase_async::AuthEventItem::Event(e)) => kinds.push(e.kind),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(kinds, [InitialSession, SignedIn, TokenRefreshed, SignedOut]);
    assert!(events.try_next().is_none(), "nothing more");
}

/// JSON answers come gzip-compressed when asked for (the emulator compresses as the
/// gateway does); both adapters ask by default (`gzip` feature) and decode them.
#[test]
fn gzip_answers_decode_in_both_adapters() {
    use std::io::{Read, Write};
    let big = serde_json::json!({ "rows": vec!["the same row, over and over"; 200] });
    let answer = big.clone();
    let emu = cloudbase_emulator::Emulator::builder()
        .env_id(common::ENV)
        .publishable_key("pk_gzip")
        .function("big", move |_| {
            cloudbase_emulator::FunctionResponse::json(&answer)
        })
        .start()
        .unwrap();
    let config = || {
        common::config_for(emu.base_url())
            .publishable_key("pk_gzip")
            .build()
            .unwrap()
    };
    let blocking = cloudbase_blocking::Client::new(config()).unwrap();
    let value: serde_json::Value = blocking
        .call_function("big", &serde_json::json!({}))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(value, big);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let async_client = cloudbase_async::Client::new(config()).unwrap();
    let value: serde_json::Value = runtime
        .block_on(async_client.call_function("big", &serde_json::json!({})))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(value, big);
    // Both asked for gzip.
    for request in emu.requests_to("/v1/functions/big") {
        let encoding = request.header("accept-encoding").unwrap_or_default();
        assert!(encoding.contains("gzip"), "{encoding:?}");
    }
    // And the answer to such a request is compressed on the wire.
    let addr = emu.base_url().trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "POST /v1/functions/big HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer pk_gzip\r\n\
         Accept-Encoding: gzip\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\
         Connection: close\r\n\r\n{{}}"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let head = String::from_utf8_lossy(&raw[..raw.len().min(1024)]).to_ascii_lowercase();
    assert!(head.contains("content-encoding: gzip"), "{head}");
}

/// An async client on a caller's own reqwest client (its defaults: redirects
/// followed), signed in, and a runtime to drive it.
fn signed_in_with_callers_reqwest(
    emu: &cloudbase_emulator::Emulator,
) -> (tokio::runtime::Runtime, cloudbase_async::Client) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let http = cloudbase_async::reqwest::Client::builder().build().unwrap();
    let client = cloudbase_async::Client::with_http_client(
        common::config_for(emu.base_url()).build().unwrap(),
        http,
    )
    .unwrap();
    runtime.block_on(client.sign_in_anonymously()).unwrap();
    (runtime, client)
}

/// A caller's own HTTP client keeps the SDK's rules: error statuses stay typed server
/// errors (the blocking agent here is set to turn them into transport errors), and
/// calls work as with the SDK's own client.
#[test]
fn a_callers_own_http_client_keeps_the_sdks_rules() {
    let emu = common::emulator();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(true)
        .max_redirects(5)
        .build()
        .into();
    let blocking = cloudbase_blocking::Client::with_http_client(
        common::config_for(emu.base_url()).build().unwrap(),
        agent,
    )
    .unwrap();
    blocking.sign_in_anonymously().unwrap();
    let err = blocking
        .call_function("no-such-function", &serde_json::json!({}))
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");

    let (runtime, client) = signed_in_with_callers_reqwest(&emu);
    let err = runtime
        .block_on(client.call_function("no-such-function", &serde_json::json!({})))
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

/// A caller's reqwest client that follows redirects: the call that was redirected is
/// refused (the SDK never takes a redirect), not answered from where it led.
#[test]
fn a_callers_client_that_follows_a_redirect_is_caught() {
    let emu = common::emulator();
    let (runtime, client) = signed_in_with_callers_reqwest(&emu);
    let err = runtime
        .block_on(client.call_function("redirect", &serde_json::json!({})))
        .unwrap_err();
    let source = std::error::Error::source(&err).map(|e| e.to_string());
    assert!(
        matches!(err, cloudbase_async::Error::Transport(_))
            && source.as_deref().is_some_and(|s| s.contains("redirect")),
        "a redirect taken by the caller's client is an error: {err} ({source:?})"
    );
}
