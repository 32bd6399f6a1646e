//! What every request passes before any route: a `Host` this emulator answers to
//! (DNS rebinding), and for admin routes the admin token (CSRF, other local users).

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;

use super::json_response;
use crate::{ADMIN_PREFIX, Shared};

/// The header every admin route requires. A custom header: a web page cannot send it
/// cross-origin without a CORS preflight, which the emulator never grants.
pub const ADMIN_TOKEN_HEADER: &str = "x-emulator-admin-token";

/// Logs one line per request (method, path — never the query or headers, which may
/// hold secrets —, status, time) around [`check`].
pub(crate) async fn guard(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let origin = super::cors::allowed_origin(req.headers(), &path).cloned();
    let response = if !host_allowed(&shared, req.headers()) {
        check(&shared, req, next).await
    } else if let Some(answer) = super::cors::preflight(&method, req.headers(), &path) {
        answer
    } else {
        let mut response = check(&shared, req, next).await;
        if let Some(origin) = origin {
            super::cors::allow(&mut response, origin);
        }
        response
    };
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}

async fn check(shared: &Shared, req: Request, next: Next) -> Response {
    if !host_allowed(shared, req.headers()) {
        return json_response(
            StatusCode::MISDIRECTED_REQUEST,
            &json!({"code": "INVALID_HOST", "message": "this emulator answers only to loopback names and its bound address"}),
        );
    }
    let path = req.uri().path();
    if path.starts_with(ADMIN_PREFIX)
        && !admin_token_matches(&shared.site.admin_token, req.headers())
    {
        return json_response(
            StatusCode::UNAUTHORIZED,
            &json!({"code": "ADMIN_TOKEN_REQUIRED", "message": format!("admin routes need the {ADMIN_TOKEN_HEADER} header the emulator printed at start")}),
        );
    }
    next.run(req).await
}

fn admin_token_matches(expected: &str, headers: &HeaderMap) -> bool {
    let Some(given) = headers.get(ADMIN_TOKEN_HEADER) else {
        return false;
    };
    // Compared in time independent of where they differ (the length is not secret).
    let given = given.as_bytes();
    let expected = expected.as_bytes();
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// A request without `Host` (HTTP/1.0 tools) is let through: browsers always send one,
/// and rebinding needs a browser.
fn host_allowed(shared: &Shared, headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST) else {
        return true;
    };
    let Ok(host) = host.to_str() else {
        return false;
    };
    let Some(name) = host_name(host) else {
        return false;
    };
    let lower = name.to_ascii_lowercase();
    if lower == "localhost" || lower.ends_with(".localhost") {
        return true;
    }
    let Ok(ip) = name.parse::<IpAddr>() else {
        return false;
    };
    let bound = shared.site.addr.ip();
    ip.is_loopback() || ip == bound || bound.is_unspecified()
}

/// The host part of a `Host` value: `name`, `name:port`, `[v6]` or `[v6]:port`.
fn host_name(host: &str) -> Option<&str> {
    if let Some(rest) = host.strip_prefix('[') {
        let (ip, tail) = rest.split_once(']')?;
        return (tail.is_empty() || tail.starts_with(':')).then_some(ip);
    }
    Some(host.split_once(':').map_or(host, |(name, _)| name)).filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::host_name;

    #[test]
    fn host_names_are_cut_from_their_port() {
        assert_eq!(host_name("127.0.0.1:8787"), Some("127.0.0.1"));
        assert_eq!(host_name("localhost"), Some("localhost"));
        assert_eq!(host_name("[::1]:80"), Some("::1"));
        assert_eq!(host_name("[::1]x"), None);
        assert_eq!(host_name(":80"), None);
    }
}
