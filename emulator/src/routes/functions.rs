//! `POST /v1/functions/{name}`.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
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

pub(crate) async fn call(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let caller = match authorize_gateway(&shared, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let handler = shared
        .functions
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .get(&name)
        .cloned();
    // No documented code for "no such function"; RESOURCE_NOT_FOUND (404) is the
    // closest documented gateway code (errors.md §5).
    let Some(handler) = handler else {
        return gateway_error(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            &format!("function {name:?} does not exist"),
            &headers,
        );
    };
    if !body.is_empty() && serde_json::from_slice::<serde_json::Value>(&body).is_err() {
        return gateway_error(
            StatusCode::BAD_REQUEST,
            "FUNCTION_PARAM_INVALID",
            "request body must be JSON",
            &headers,
        );
    }
    let request = FunctionRequest {
        name,
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
