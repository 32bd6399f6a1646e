//! `POST /v1/functions/{name}`.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;

use super::{authorize_gateway, gateway_error};
use crate::{FunctionRequest, FunctionResponse, Shared};

/// The built-in `echo`: answers with the body it got (`application/json` when that
/// body is JSON, else `text/plain`).
pub(crate) fn echo(req: &FunctionRequest) -> FunctionResponse {
    if !req.body.is_empty() && serde_json::from_slice::<serde_json::Value>(&req.body).is_ok() {
        FunctionResponse::bytes("application/json; charset=utf-8", req.body.clone())
    } else {
        FunctionResponse::bytes("text/plain; charset=utf-8", req.body.clone())
    }
}

/// The built-in `sleep`: waits `{"ms": n}` milliseconds (at most 60 s), then answers
/// `{"slept_ms": n}`, for timeout tests.
pub(crate) fn sleep(req: &FunctionRequest) -> FunctionResponse {
    let v: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
    let ms = v["ms"].as_u64().unwrap_or(0).min(60_000);
    std::thread::sleep(std::time::Duration::from_millis(ms));
    FunctionResponse::json(&serde_json::json!({ "slept_ms": ms }))
}

/// The built-in `fail`: answers the gateway error envelope with `{"status", "code",
/// "message"}` from the input (default 400 `FUNCTION_PARAM_INVALID`).
pub(crate) fn fail(req: &FunctionRequest) -> FunctionResponse {
    let v: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
    let status = v["status"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .unwrap_or(400);
    let code = v["code"].as_str().unwrap_or("FUNCTION_PARAM_INVALID");
    let message = v["message"]
        .as_str()
        .unwrap_or("the function failed on purpose");
    FunctionResponse::json(&serde_json::json!({ "code": code, "message": message }))
        .with_status(status)
}

/// Which registry a compute route serves.
#[derive(Clone, Copy)]
pub(crate) enum Registry {
    Functions,
    Containers,
    Apis,
}

pub(crate) async fn call(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    method: axum::http::Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // HTTP functions may be called with any method (the JS SDK's `callFunction({method})`);
    // GET and HEAD carry the data as query parameters.
    let request = ServiceCall {
        registry: Registry::Functions,
        name,
        method,
        path: "/".into(),
        query,
    };
    dispatch(shared, request, headers, body).await
}

/// `/v1/cloudrun/{name}{path}` and `/v1/apis/{name}{path}`, any method.
pub(crate) async fn service(
    State(shared): State<Arc<Shared>>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let full = uri.path();
    let (registry, rest) = if let Some(rest) = full.strip_prefix("/v1/cloudrun/") {
        (Registry::Containers, rest)
    } else {
        (
            Registry::Apis,
            full.strip_prefix("/v1/apis/").unwrap_or(full),
        )
    };
    let (name, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let request = ServiceCall {
        registry,
        name: name.to_owned(),
        method,
        path: path.to_owned(),
        query: uri.query().map(str::to_owned),
    };
    dispatch(shared, request, headers, body).await
}

pub(crate) struct ServiceCall {
    registry: Registry,
    name: String,
    method: axum::http::Method,
    path: String,
    query: Option<String>,
}

async fn dispatch(
    shared: Arc<Shared>,
    call: ServiceCall,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let caller = match authorize_gateway(&shared, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let handler = {
        let handlers = shared.handlers();
        let registry = match call.registry {
            Registry::Functions => &handlers.functions,
            Registry::Containers => &handlers.containers,
            Registry::Apis => &handlers.apis,
        };
        registry.get(&call.name).cloned()
    };
    let name = call.name;
    // Unknown names: containers have SERVICE_NOT_FOUND (documented); functions and
    // APIs have no documented code, so RESOURCE_NOT_FOUND (404), the closest one.
    let Some(handler) = handler else {
        let (code, what) = match call.registry {
            Registry::Functions => ("RESOURCE_NOT_FOUND", "function"),
            Registry::Containers => ("SERVICE_NOT_FOUND", "CloudBase Run service"),
            Registry::Apis => ("RESOURCE_NOT_FOUND", "API"),
        };
        return gateway_error(
            StatusCode::NOT_FOUND,
            code,
            &format!("{what} {name:?} does not exist"),
            &headers,
        );
    };
    if matches!(call.registry, Registry::Functions)
        && !body.is_empty()
        && serde_json::from_slice::<serde_json::Value>(&body).is_err()
    {
        return gateway_error(
            StatusCode::BAD_REQUEST,
            "FUNCTION_PARAM_INVALID",
            "request body must be JSON",
            &headers,
        );
    }
    let request = FunctionRequest {
        name,
        method: call.method,
        path: call.path,
        query: call.query,
        body: body.to_vec(),
        headers: headers.clone(),
        caller,
    };
    // User closures may block; keep them off the async workers.
    let Ok(out) = tokio::task::spawn_blocking(move || handler(&request)).await else {
        return gateway_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "SYS_ERR",
            "function panicked",
            &headers,
        );
    };
    let mut response = Response::new(Body::from(out.body));
    *response.status_mut() = StatusCode::from_u16(out.status).unwrap_or(StatusCode::OK);
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&out.content_type) {
        h.insert(axum::http::header::CONTENT_TYPE, v);
    }
    for (k, v) in out.headers {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            h.insert(k, v);
        }
    }
    response
}
