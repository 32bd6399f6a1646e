//! Test hooks under `/__emulator/`, for clients in other languages.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::{FaultRuleJson, Shared, lock};

pub(crate) async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({"ok": true}))
}

/// `POST /__emulator/faults` `{path, prefix?, method?, times?, delay_ms?, status?,
/// retry_after?, body?, drop?, lose_response?}`; the body is read as JSON whatever its
/// `Content-Type`, so any HTTP client can call it.
pub(crate) async fn add_fault(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let parsed = serde_json::from_slice::<FaultRuleJson>(&body)
        .map_err(|e| format!("invalid fault rule: {e}"))
        .and_then(FaultRuleJson::into_rule);
    match parsed {
        Ok(rule) => {
            lock(&shared.faults).push(rule);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(message) => (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"message": message})),
        )
            .into_response(),
    }
}

pub(crate) async fn clear_faults(State(shared): State<Arc<Shared>>) -> StatusCode {
    lock(&shared.faults).clear();
    StatusCode::NO_CONTENT
}

pub(crate) async fn requests(State(shared): State<Arc<Shared>>) -> Response {
    // Serialized under the lock rather than cloned first: the log may be large.
    let body = serde_json::to_vec(&lock(&shared.requests).iter().collect::<Vec<_>>());
    match body {
        Ok(bytes) => (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            bytes,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

pub(crate) async fn reset(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.reset();
    StatusCode::NO_CONTENT
}

/// `GET /__emulator/outbox`: every code sent, oldest first.
pub(crate) async fn outbox(State(shared): State<Arc<Shared>>) -> Response {
    match lock(&shared.store).outbox() {
        Ok(list) => Json(list).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// `POST /__emulator/sql` with the SQL as the body: runs statements against the data
/// database (tables for `/v1/rdb/rest`).
pub(crate) async fn sql(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let text = String::from_utf8_lossy(&body);
    match lock(&shared.data).conn.execute_batch(&text) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

/// `POST /__emulator/models/{name}`: creates a model.
pub(crate) async fn create_model(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Response {
    if !crate::data::models::valid_model_name(&name) {
        return (StatusCode::BAD_REQUEST, "invalid model name").into_response();
    }
    match lock(&shared.data).create_model(&name) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// `POST /__emulator/clock {offset_secs}`: shifts the emulator's clock (token expiry,
/// code and URL lifetimes) by `offset_secs` from real time; `GET` answers
/// `{offset_secs, now}` (Unix seconds on the emulator's clock).
pub(crate) async fn set_clock(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    #[derive(serde::Deserialize)]
    struct Clock {
        offset_secs: i64,
    }
    match serde_json::from_slice::<Clock>(&body) {
        Ok(c) => {
            lock(&shared.settings).clock_offset_secs = c.offset_secs;
            clock_answer(&shared)
        }
        Err(e) => bad_request(format!("expected {{\"offset_secs\": <integer>}}: {e}")),
    }
}

pub(crate) async fn clock(State(shared): State<Arc<Shared>>) -> Response {
    clock_answer(&shared)
}

fn clock_answer(shared: &Shared) -> Response {
    Json(serde_json::json!({
        "offset_secs": lock(&shared.settings).clock_offset_secs,
        "now": shared.now(),
    }))
    .into_response()
}

fn bad_request(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(serde_json::json!({ "message": message })),
    )
        .into_response()
}

/// `POST /__emulator/containers/{name} {url}`: registers (or replaces) a CloudBase Run
/// service that forwards every request to `url` (which must be a loopback `http`
/// URL: the emulator proxies to the developer's own server, never elsewhere).
pub(crate) async fn register_container(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path(name): axum::extract::Path<String>,
    body: Bytes,
) -> Response {
    #[derive(serde::Deserialize)]
    struct Target {
        url: String,
    }
    let target = match serde_json::from_slice::<Target>(&body) {
        Ok(t) => t.url,
        Err(e) => {
            return bad_request(format!(
                "expected {{\"url\": \"http://127.0.0.1:PORT\"}}: {e}"
            ));
        }
    };
    if !crate::files::safe_segment(&name) {
        return bad_request(format!("{name:?} is not a service name"));
    }
    let base = match crate::proxy::loopback_base(&target) {
        Ok(base) => base,
        Err(message) => return bad_request(message),
    };
    let handler = crate::proxy::forwarder(base);
    shared.handlers_mut().containers.insert(name, handler);
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /__emulator/rpc/{name}` with one SQL statement as the body: declares a
/// database function for `/v1/rdb/rest/rpc/{name}` (`schema.name` for another
/// schema); the statement is checked now (it must prepare on the data database).
pub(crate) async fn sql_function(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path(name): axum::extract::Path<String>,
    body: Bytes,
) -> Response {
    let sql = String::from_utf8_lossy(&body).into_owned();
    if let Err(e) = lock(&shared.data).conn.prepare(&sql) {
        return bad_request(format!("the statement does not prepare: {e}"));
    }
    shared
        .handlers_mut()
        .rdb_functions
        .insert(name, crate::routes::rpc::Function::Sql(sql));
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /__emulator/keys/rotate` → `{"kid"}`: a new access-token signing key.
pub(crate) async fn rotate_keys(State(shared): State<Arc<Shared>>) -> Response {
    match shared.keys.access.rotate() {
        Ok(kid) => Json(serde_json::json!({ "kid": kid })).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
    }
}

/// `POST /__emulator/keys/retire` → `{"retired": n}`: every signing key but the
/// newest leaves the JWKS; tokens they signed are refused.
pub(crate) async fn retire_keys(State(shared): State<Arc<Shared>>) -> Response {
    match shared.keys.access.retire_old() {
        Ok(n) => Json(serde_json::json!({ "retired": n })).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
    }
}

/// `GET /__emulator/custom-login-key`: the custom-login private key file
/// (`{private_key_id, private_key, env_id}`), for servers in other languages that
/// mint tickets.
pub(crate) async fn custom_login_key(State(shared): State<Arc<Shared>>) -> Response {
    match crate::routes::identity::custom_login_key_file(&shared) {
        Ok(file) => (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            file,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
    }
}

/// `GET /__emulator/server-secret` → `{"secret_id", "secret_key"}`: a pair
/// `/auth/v1/token/clientCredential` accepts.
pub(crate) async fn server_secret(State(shared): State<Arc<Shared>>) -> Response {
    let (id, key) = shared
        .site
        .server_secrets
        .first()
        .cloned()
        .unwrap_or_default();
    Json(serde_json::json!({ "secret_id": id, "secret_key": key })).into_response()
}

fn script_from(body: &Bytes) -> Result<crate::ai_script::ModelScript, Response> {
    serde_json::from_slice(body).map_err(|e| {
        (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "message": format!("invalid script: {e}") })),
        )
            .into_response()
    })
}

/// `POST /__emulator/ai/models/{name}` with a script `{error?: {status, code,
/// message}, steps: [{kind: "text", text} | {kind: "tool_call", id, name, arguments}
/// | {kind: "error_event", code, message} | {kind: "raw", data} | {kind: "stall", ms}
/// | {kind: "break"}]}`: the model `name` answers it.
pub(crate) async fn register_model(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path(name): axum::extract::Path<String>,
    body: Bytes,
) -> Response {
    match script_from(&body) {
        Ok(script) => {
            lock(&shared.ai).models.insert(name, script);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(r) => r,
    }
}

/// `POST /__emulator/ai/agents/{botId}` with a script (as for models): the agent
/// `botId` answers it.
pub(crate) async fn register_agent(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path(bot_id): axum::extract::Path<String>,
    body: Bytes,
) -> Response {
    match script_from(&body) {
        Ok(script) => {
            let info = serde_json::json!({"botId": bot_id, "name": bot_id, "introduction": "scripted", "type": "text"});
            lock(&shared.ai).agents.insert(
                bot_id,
                crate::routes::aibot::Agent {
                    info,
                    script: Some(script),
                },
            );
            StatusCode::NO_CONTENT.into_response()
        }
        Err(r) => r,
    }
}
