//! HTTP routes and the middleware that records requests and applies faults.

pub(crate) mod account;
pub(crate) mod admin;
pub(crate) mod ai;
pub(crate) mod aibot;
pub(crate) mod auth;
pub(crate) mod auth_wire;
pub(crate) mod captcha;
pub(crate) mod cors;
pub(crate) mod data;
pub(crate) mod functions;
pub(crate) mod guard;
pub(crate) mod identity;
pub(crate) mod rpc;
pub(crate) mod security;
pub(crate) mod server_auth;
pub(crate) mod storage;
pub(crate) mod uploads;
pub(crate) mod verification;

use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get, patch, post, put};
use serde_json::json;

use auth_wire::AuthError;

use crate::faults::{FaultAction, RecordedRequest};
use crate::{ADMIN_PREFIX, Caller, ConnectionKill, MAX_BODY, Shared};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/auth/v1/signin/anonymously",
            post(auth::sign_in_anonymously),
        )
        .route(
            "/auth/v1/user/me",
            get(auth::user_me).delete(account::delete_me),
        )
        .route("/auth/v1/user/basic/edit", post(account::edit))
        .route("/auth/v1/user/security/history", get(security::history))
        .route("/auth/v1/user/revoke/all", delete(security::revoke_all))
        .route(
            "/auth/v1/user/authorized/devices/{device_id}",
            delete(security::revoke_device),
        )
        .route("/auth/v1/user/query", get(account::query))
        .route("/auth/v1/checkIfUserExist", get(account::exists))
        .route("/auth/v1/user/sudo", post(account::sudo))
        .route("/auth/v1/user/password", patch(account::set_password))
        .route("/auth/v1/user/contact", patch(account::bind_contact))
        .route("/auth/v1/reset", post(account::reset))
        .route("/auth/v1/captcha/data", post(captcha::create))
        .route("/auth/v1/captcha/data/verify", post(captcha::verify))
        .route("/auth/v1/provider/uri", get(identity::provider_uri))
        .route(
            "/auth/v1/provider/token",
            post(identity::provider_token).patch(identity::patch_provider_token),
        )
        .route(
            "/auth/v1/signin/with/provider",
            post(identity::sign_in_with_provider),
        )
        .route("/auth/v1/signin/custom", post(identity::sign_in_custom))
        .route("/auth/v1/user/provider", get(identity::list_providers))
        .route("/auth/v1/user/provider/bind", post(identity::bind_provider))
        .route(
            "/auth/v1/user/provider/{provider_id}",
            delete(identity::unbind_provider),
        )
        .route(identity::PROVIDER_AUTHORIZE_PATH, get(identity::authorize))
        .route(&format!("{ADMIN_PREFIX}/captcha"), get(captcha::answer))
        .route("/auth/v1/token", post(auth::token))
        .route(
            "/auth/v1/token/clientCredential",
            post(server_auth::client_credential),
        )
        .route("/auth/v1/token/introspect", get(server_auth::introspect))
        .route("/auth/v1/certs", get(server_auth::certs))
        .route(
            &format!("{ADMIN_PREFIX}/keys/rotate"),
            post(admin::rotate_keys),
        )
        .route(
            &format!("{ADMIN_PREFIX}/keys/retire"),
            post(admin::retire_keys),
        )
        .route(
            &format!("{ADMIN_PREFIX}/custom-login-key"),
            get(admin::custom_login_key),
        )
        .route(
            &format!("{ADMIN_PREFIX}/server-secret"),
            get(admin::server_secret),
        )
        .route(
            "/auth/v1/verification",
            post(verification::send_verification),
        )
        .route("/auth/v1/verification/verify", post(verification::verify))
        .route("/auth/v1/signin", post(verification::sign_in))
        .route("/auth/v1/signup", post(verification::sign_up))
        .route(&format!("{ADMIN_PREFIX}/outbox"), get(admin::outbox))
        .route("/auth/v1/revoke", post(auth::revoke))
        .route("/auth/v1/user/signout", post(auth::sign_out_with_redirect))
        .route("/v1/functions/{name}", any(functions::call))
        .route("/v1/ai/{*rest}", post(ai::chat))
        .route("/__ai/images/{name}", get(ai::image_file))
        .route("/v1/aibot/bots", get(aibot::bots).post(aibot::bots))
        .route(
            "/v1/aibot/bots/{bot_id}",
            get(aibot::bot).patch(aibot::bot).delete(aibot::bot),
        )
        .route(
            "/v1/aibot/bots/{bot_id}/conversation",
            get(aibot::conversations).post(aibot::conversations),
        )
        .route(
            "/v1/aibot/bots/{bot_id}/conversation/{conversation_id}",
            delete(aibot::conversations),
        )
        .route(
            "/v1/aibot/bots/{bot_id}/{action}",
            post(aibot::send_message),
        )
        .route(
            &format!("{ADMIN_PREFIX}/ai/models/{{name}}"),
            post(admin::register_model),
        )
        .route(
            &format!("{ADMIN_PREFIX}/ai/agents/{{bot_id}}"),
            post(admin::register_agent),
        )
        .route("/v1/cloudrun/{*rest}", any(functions::service))
        .route("/v1/apis/{*rest}", any(functions::service))
        .route("/v1/storages/{op}", post(storage::classic))
        .route(
            "/cos/{*key}",
            put(storage::cos_put)
                .get(storage::cos_get)
                .post(storage::cos_post),
        )
        .route(
            "/v1/storages/object/{bucket}",
            delete(storage::remove).post(storage::copy_or_move),
        )
        .route(
            "/v1/storages/object/{bucket}/{*name}",
            post(storage::object)
                .put(storage::object)
                .get(storage::object),
        )
        .route(
            "/v1/storages/object/sign/{bucket}",
            post(storage::sign_many),
        )
        .route(
            "/v1/storages/object/sign/{bucket}/{*name}",
            post(storage::sign).get(storage::sign),
        )
        .route(
            "/v1/storages/object/info/{bucket}/{*name}",
            get(storage::info),
        )
        .route("/v1/storages/object/list/{bucket}", post(storage::list))
        .route("/v1/model/{a}/{b}/{c}", any(data::model3))
        .route("/v1/model/{env}/{model}/{id}/{op}", any(data::model4))
        .route("/v1/sql/{env}/{name}/run", post(data::sql_run))
        .route("/v1/rdb/rest/rpc/{name}", any(rpc::call))
        .route("/v1/rdb/rest/{*path}", any(data::rdb))
        .route(
            &format!("{ADMIN_PREFIX}/rpc/{{name}}"),
            post(admin::sql_function),
        )
        .route(&format!("{ADMIN_PREFIX}/health"), get(admin::health))
        .route(
            &format!("{ADMIN_PREFIX}/faults"),
            post(admin::add_fault).delete(admin::clear_faults),
        )
        .route(&format!("{ADMIN_PREFIX}/requests"), get(admin::requests))
        .route(&format!("{ADMIN_PREFIX}/reset"), post(admin::reset))
        .route(&format!("{ADMIN_PREFIX}/sql"), post(admin::sql))
        .route(
            &format!("{ADMIN_PREFIX}/models/{{name}}"),
            post(admin::create_model),
        )
        .route(
            &format!("{ADMIN_PREFIX}/clock"),
            get(admin::clock).post(admin::set_clock),
        )
        .route(
            &format!("{ADMIN_PREFIX}/containers/{{name}}"),
            post(admin::register_container),
        )
        .fallback(not_implemented)
        .layer(middleware::from_fn_with_state(shared.clone(), intercept))
        // JSON answers are gzip-compressed for clients that ask (Accept-Encoding), as
        // the gateway's are; file bodies and event streams are left as they are.
        .layer(
            tower_http::compression::CompressionLayer::new().compress_when(
                tower_http::compression::Predicate::and(
                    tower_http::compression::predicate::SizeAbove::new(256),
                    |_: axum::http::StatusCode,
                     _: axum::http::Version,
                     headers: &axum::http::HeaderMap,
                     _: &axum::http::Extensions| {
                        headers
                            .get(axum::http::header::CONTENT_TYPE)
                            .and_then(|v| v.to_str().ok())
                            .is_some_and(|t| t.starts_with("application/json"))
                    },
                ),
            ),
        )
        .layer(middleware::from_fn_with_state(shared.clone(), guard::guard))
        .with_state(shared)
}

/// A JSON answer with `application/json; charset=utf-8`, as the gateway sends.
pub(crate) fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

/// The gateway envelope `{code, message, requestId}` (docs/protocol/errors.md §1).
pub(crate) fn gateway_error(
    status: StatusCode,
    code: &str,
    message: &str,
    headers: &HeaderMap,
) -> Response {
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    json_response(
        status,
        &json!({"code": code, "message": message, "requestId": request_id}),
    )
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Checks a gateway call's bearer: an API key, a Publishable Key or one of this
/// emulator's unexpired access tokens.
pub(crate) fn authorize_gateway(shared: &Shared, headers: &HeaderMap) -> Result<Caller, Response> {
    let Some(token) = bearer(headers) else {
        return Err(gateway_error(
            StatusCode::UNAUTHORIZED,
            "INVALID_ACCESS_TOKEN",
            "Authorization header is missing or malformed",
            headers,
        ));
    };
    if shared.site.api_keys.iter().any(|k| k == token) {
        return Ok(Caller::ApiKey);
    }
    if shared.site.publishable_keys.iter().any(|k| k == token) {
        return Ok(Caller::PublishableKey);
    }
    match shared.authenticate(token) {
        // A server-credential token acts with admin rights, as an API key does.
        Ok(claims) if claims.scope == "admin" => Ok(Caller::ApiKey),
        Ok(claims) => Ok(Caller::User {
            sub: claims.sub,
            scope: claims.scope,
        }),
        Err(crate::tokens::TokenError::Expired) => Err(gateway_error(
            StatusCode::UNAUTHORIZED,
            "ACCESS_TOKEN_EXPIRED",
            "access token expired",
            headers,
        )),
        Err(crate::tokens::TokenError::Invalid) => Err(gateway_error(
            StatusCode::UNAUTHORIZED,
            "INVALID_ACCESS_TOKEN",
            "access token is not valid",
            headers,
        )),
    }
}

/// Uploads of file bytes: to the signed COS URL, or raw bodies to the object API.
fn is_file_upload(method: &axum::http::Method, path: &str, headers: &HeaderMap) -> bool {
    let json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    path.starts_with("/cos/")
        || (path.starts_with("/v1/storages/object/")
            && !json
            && matches!(*method, axum::http::Method::POST | axum::http::Method::PUT))
}

async fn not_implemented(req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let message = format!(
        "{} {path} is not implemented by cloudbase-emulator",
        req.method()
    );
    if path.starts_with("/auth/") {
        AuthError::NotFound.answer(&message)
    } else {
        gateway_error(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            &message,
            req.headers(),
        )
    }
}

/// Records every non-admin request, applies a matching fault, and makes sure every
/// answer carries `X-Request-Id` (the caller's, else a fresh one).
async fn intercept(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    if req.uri().path().starts_with(ADMIN_PREFIX) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    // File bodies go to disk as they arrive; they are recorded without their bytes.
    let (bytes, file_body) = if is_file_upload(&parts.method, parts.uri.path(), &parts.headers) {
        (axum::body::Bytes::new(), Some(body))
    } else {
        // A body must arrive whole within the body timeout of its headers.
        match tokio::time::timeout(
            shared.site.timeouts.body,
            axum::body::to_bytes(body, MAX_BODY),
        )
        .await
        {
            Ok(Ok(bytes)) => (bytes, None),
            Ok(Err(_)) => {
                return gateway_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "INVALID_REQUEST",
                    "request body too large",
                    &parts.headers,
                );
            }
            Err(_) => {
                let mut answer = gateway_error(
                    StatusCode::REQUEST_TIMEOUT,
                    "REQUEST_TIMEOUT",
                    "the request body did not arrive in time",
                    &parts.headers,
                );
                answer.headers_mut().insert(
                    axum::http::header::CONNECTION,
                    HeaderValue::from_static("close"),
                );
                return answer;
            }
        }
    };
    // What the route gets: the file stream, or the bytes read for the log.
    let forward = file_body.unwrap_or_else(|| Body::from(bytes.clone()));
    let request_id = parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| crate::ids::random_hex(16));
    let path = parts.uri.path().to_owned();
    shared.record(RecordedRequest {
        method: parts.method.to_string(),
        path: path.clone(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        // A copy of the head only: a slice of `bytes` would keep the whole body alive.
        body: bytes[..bytes.len().min(crate::RECORDED_BODY_LIMIT)].to_vec(),
        body_len: bytes.len() as u64,
        received_at: SystemTime::now(),
    });

    // Handlers see the id too, so error envelopes carry the one the header answers.
    if !parts.headers.contains_key("x-request-id")
        && let Ok(v) = HeaderValue::from_str(&request_id)
    {
        parts.headers.insert("x-request-id", v);
    }
    let mut response = match shared.take_fault(&parts.method, &path) {
        Some(rule) => {
            if let Some(d) = rule.delay {
                tokio::time::sleep(d).await;
            }
            match rule.action {
                FaultAction::Drop => {
                    if let Some(kill) = parts.extensions.get::<ConnectionKill>() {
                        kill.0.notify_one();
                    }
                    // The connection task drops this future when it closes the socket.
                    return std::future::pending::<Response>().await;
                }
                FaultAction::LoseResponse => {
                    let kill = parts.extensions.get::<ConnectionKill>().cloned();
                    let _applied = next.run(Request::from_parts(parts, forward)).await;
                    if let Some(kill) = kill {
                        kill.0.notify_one();
                    }
                    return std::future::pending::<Response>().await;
                }
                FaultAction::Status {
                    status,
                    retry_after,
                    body,
                } => {
                    let status =
                        StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                    let body = body.unwrap_or_else(|| {
                        if path.starts_with("/auth/") {
                            json!({"error": "unavailable", "error_code": 14, "error_description": "injected fault"})
                        } else {
                            json!({"code": "RESOURCE_UNAVAILABLE", "message": "injected fault", "requestId": request_id})
                        }
                    });
                    let mut r = json_response(status, &body);
                    if let Some(secs) = retry_after {
                        r.headers_mut()
                            .insert(axum::http::header::RETRY_AFTER, HeaderValue::from(secs));
                    }
                    r
                }
                FaultAction::Pass => next.run(Request::from_parts(parts, forward)).await,
            }
        }
        None => next.run(Request::from_parts(parts, forward)).await,
    };
    if !response.headers().contains_key("x-request-id")
        && let Ok(v) = HeaderValue::from_str(&request_id)
    {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}
