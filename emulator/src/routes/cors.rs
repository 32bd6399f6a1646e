//! CORS for pages the developer serves on this machine: a browser app on
//! `http://localhost:3000` (or `127.0.0.1`, `[::1]`) may call the CloudBase routes, as
//! the real service allows an environment's registered web origins. Nothing else gets
//! CORS: no other origin, and never an admin route (so a page can still not send the
//! admin header, whatever its origin).

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::guard::ADMIN_TOKEN_HEADER;
use crate::ADMIN_PREFIX;

/// Answer headers a page may read (request ids, PostgREST counts, file metadata).
const EXPOSED: &str = "x-request-id, content-range, content-length, content-type, etag, last-modified, cache-control, retry-after";

/// The request's `Origin`, if it is a loopback `http` origin and `path` may be called
/// cross-origin.
pub(crate) fn allowed_origin<'a>(headers: &'a HeaderMap, path: &str) -> Option<&'a HeaderValue> {
    if path.starts_with(ADMIN_PREFIX) {
        return None;
    }
    let origin = headers.get(header::ORIGIN)?;
    let url = url::Url::parse(origin.to_str().ok()?).ok()?;
    let loopback = match url.host()? {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    };
    (matches!(url.scheme(), "http" | "https") && loopback).then_some(origin)
}

/// The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`), or
/// `None` when the request is not one.
pub(crate) fn preflight(method: &Method, headers: &HeaderMap, path: &str) -> Option<Response> {
    if method != Method::OPTIONS || !headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) {
        return None;
    }
    let Some(origin) = allowed_origin(headers, path) else {
        // No CORS headers: the browser refuses the real request.
        return Some(StatusCode::FORBIDDEN.into_response());
    };
    let asked = headers
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if asked
        .split(',')
        .any(|h| h.trim().eq_ignore_ascii_case(ADMIN_TOKEN_HEADER))
    {
        return Some(StatusCode::FORBIDDEN.into_response());
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    let h = response.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, HEAD, POST, PUT, PATCH, DELETE"),
    );
    if let Ok(v) = HeaderValue::from_str(asked) {
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v);
    }
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    Some(response)
}

/// Marks an answer readable by `origin`.
pub(crate) fn allow(response: &mut Response, origin: HeaderValue) {
    let h = response.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSED),
    );
    h.append(header::VARY, HeaderValue::from_static("Origin"));
}
