//! Containers registered by other languages through the admin route: each request to
//! `/v1/cloudrun/{name}{path}` is forwarded to a loopback server the developer runs.

use std::sync::Arc;
use std::time::Duration;

use crate::{FunctionHandler, FunctionRequest, FunctionResponse};

/// Largest answer forwarded back (as any request body the emulator reads).
const MAX_FORWARDED: u64 = crate::MAX_BODY as u64;

/// `url` without a trailing `/`, if it is an `http` URL on a loopback host.
pub(crate) fn loopback_base(url: &str) -> Result<String, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if parsed.scheme() != "http" || !loopback || parsed.query().is_some() {
        return Err(format!(
            "{url:?}: containers proxy only to http URLs on this machine (127.0.0.1, ::1, localhost), without a query"
        ));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

/// Headers that belong to one hop, not to the request being forwarded.
fn hop_by_hop(name: &str) -> bool {
    matches!(
        name,
        "host" | "connection" | "content-length" | "transfer-encoding" | "keep-alive" | "upgrade"
    )
}

/// A handler forwarding to `base`: method, path, query, headers and body as received;
/// the server's status, content type, headers and body as the answer. An unreachable
/// server is a 502.
pub(crate) fn forwarder(base: String) -> FunctionHandler {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(Some(Duration::from_secs(5)))
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    Arc::new(move |req: &FunctionRequest| forward(&agent, &base, req))
}

fn forward(agent: &ureq::Agent, base: &str, req: &FunctionRequest) -> FunctionResponse {
    let path = if req.path.is_empty() { "/" } else { &req.path };
    let mut url = format!("{base}{path}");
    if let Some(q) = &req.query {
        url.push('?');
        url.push_str(q);
    }
    let mut builder = http::Request::builder()
        .method(req.method.clone())
        .uri(&url);
    for (name, value) in &req.headers {
        if !hop_by_hop(name.as_str()) {
            builder = builder.header(name, value);
        }
    }
    let Ok(request) = builder.body(req.body.clone()) else {
        return failed("the request could not be forwarded");
    };
    let mut answer = match agent.run(request) {
        Ok(a) => a,
        Err(e) => return failed(&format!("the container at {base} did not answer: {e}")),
    };
    let status = answer.status().as_u16();
    let content_type = answer
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let headers: Vec<(String, String)> = answer
        .headers()
        .iter()
        .filter(|(k, _)| !hop_by_hop(k.as_str()) && *k != http::header::CONTENT_TYPE)
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let body = match answer
        .body_mut()
        .with_config()
        .limit(MAX_FORWARDED)
        .read_to_vec()
    {
        Ok(b) => b,
        Err(e) => return failed(&format!("the container's answer could not be read: {e}")),
    };
    let mut out = FunctionResponse::bytes(content_type, body).with_status(status);
    out.headers = headers;
    out
}

fn failed(message: &str) -> FunctionResponse {
    FunctionResponse::json(&serde_json::json!({"code": "SERVICE_UNAVAILABLE", "message": message}))
        .with_status(502)
}
