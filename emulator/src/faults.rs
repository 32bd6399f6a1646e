//! Fault injection and request recording.

use std::time::{Duration, SystemTime};

use http::Method;
use serde::{Deserialize, Serialize};

/// What a matching request gets instead of (or before) the normal answer.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultAction {
    /// Answer with this status, an optional `Retry-After` (seconds) and an optional
    /// JSON body (default: the documented envelope of the path's API).
    Status {
        /// The HTTP status.
        status: u16,
        /// `Retry-After` in seconds.
        retry_after: Option<u64>,
        /// The body; `None` uses `{code: "RESOURCE_UNAVAILABLE"…}` or the auth envelope.
        body: Option<serde_json::Value>,
    },
    /// Read the whole request, then close the connection without answering.
    Drop,
    /// Handle the request normally (a write is applied), then close the connection
    /// instead of sending the answer: the client cannot tell whether it happened,
    /// which is what catches a non-idempotent write being retried.
    LoseResponse,
    /// Only apply the delay, then answer normally.
    Pass,
}

/// A fault for the next `times` requests matching a path.
///
/// ```
/// use std::time::Duration;
/// use cloudbase_emulator::FaultRule;
///
/// let busy = FaultRule::path("/v1/functions/echo").status(503).retry_after(1);
/// let flaky = FaultRule::path("/auth/v1/").prefix().times(3).drop_connection();
/// let slow = FaultRule::path("/v1/functions/echo").delay(Duration::from_millis(50));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct FaultRule {
    pub(crate) path: String,
    pub(crate) prefix: bool,
    pub(crate) method: Option<Method>,
    pub(crate) times: u32,
    pub(crate) delay: Option<Duration>,
    pub(crate) action: FaultAction,
}

impl FaultRule {
    /// Matches requests whose path is exactly `path` (see [`FaultRule::prefix`]).
    /// Applies once, with no action until one is chosen.
    pub fn path(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            prefix: false,
            method: None,
            times: 1,
            delay: None,
            action: FaultAction::Pass,
        }
    }

    /// Match every path that starts with the rule's path.
    pub fn prefix(mut self) -> Self {
        self.prefix = true;
        self
    }

    /// Match only this method.
    pub fn method(mut self, method: Method) -> Self {
        self.method = Some(method);
        self
    }

    /// Apply to the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Self {
        self.times = n;
        self
    }

    /// Wait this long before acting.
    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = Some(d);
        self
    }

    /// Answer with `status`.
    pub fn status(mut self, status: u16) -> Self {
        let (retry_after, body) = match self.action {
            FaultAction::Status {
                retry_after, body, ..
            } => (retry_after, body),
            _ => (None, None),
        };
        self.action = FaultAction::Status {
            status,
            retry_after,
            body,
        };
        self
    }

    /// Add `Retry-After: secs` (implies a status answer, 503 unless set).
    pub fn retry_after(mut self, secs: u64) -> Self {
        let (status, body) = match self.action {
            FaultAction::Status { status, body, .. } => (status, body),
            _ => (503, None),
        };
        self.action = FaultAction::Status {
            status,
            retry_after: Some(secs),
            body,
        };
        self
    }

    /// Answer with this JSON body (implies a status answer, 503 unless set).
    pub fn body(mut self, body: serde_json::Value) -> Self {
        let (status, retry_after) = match self.action {
            FaultAction::Status {
                status,
                retry_after,
                ..
            } => (status, retry_after),
            _ => (503, None),
        };
        self.action = FaultAction::Status {
            status,
            retry_after,
            body: Some(body),
        };
        self
    }

    /// Close the connection after reading the request, without answering.
    pub fn drop_connection(mut self) -> Self {
        self.action = FaultAction::Drop;
        self
    }

    /// Handle the request (apply it), then close the connection without answering.
    ///
    /// ```
    /// use cloudbase_emulator::FaultRule;
    /// let lost = FaultRule::path("/v1/model/prod/todo/create").lose_response();
    /// ```
    pub fn lose_response(mut self) -> Self {
        self.action = FaultAction::LoseResponse;
        self
    }

    pub(crate) fn matches(&self, method: &Method, path: &str) -> bool {
        let path_ok = if self.prefix {
            path.starts_with(&self.path)
        } else {
            path == self.path
        };
        path_ok && self.method.as_ref().is_none_or(|m| m == method)
    }
}

/// The JSON form of a [`FaultRule`] for `POST /__emulator/faults`.
#[derive(Debug, Deserialize)]
pub(crate) struct FaultRuleJson {
    path: String,
    #[serde(default)]
    prefix: bool,
    #[serde(default)]
    method: Option<String>,
    #[serde(default = "one")]
    times: u32,
    #[serde(default)]
    delay_ms: Option<u64>,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    retry_after: Option<u64>,
    #[serde(default)]
    body: Option<serde_json::Value>,
    #[serde(default)]
    drop: bool,
    #[serde(default)]
    lose_response: bool,
}

fn one() -> u32 {
    1
}

impl FaultRuleJson {
    pub fn into_rule(self) -> Result<FaultRule, String> {
        let mut rule = FaultRule::path(self.path).times(self.times);
        if self.prefix {
            rule = rule.prefix();
        }
        if let Some(m) = self.method {
            rule = rule
                .method(Method::from_bytes(m.as_bytes()).map_err(|_| format!("bad method {m:?}"))?);
        }
        if let Some(ms) = self.delay_ms {
            rule = rule.delay(Duration::from_millis(ms));
        }
        if self.drop {
            return Ok(rule.drop_connection());
        }
        if self.lose_response {
            return Ok(rule.lose_response());
        }
        if let Some(s) = self.status {
            if http::StatusCode::from_u16(s).is_err() {
                return Err(format!("bad status {s}"));
            }
            rule = rule.status(s);
        }
        if let Some(secs) = self.retry_after {
            rule = rule.retry_after(secs);
        }
        if let Some(body) = self.body {
            rule = rule.body(body);
        }
        Ok(rule)
    }
}

/// A request as the emulator received it (admin routes are not recorded).
///
/// Served by `GET /__emulator/requests` as JSON, the body as
/// `{"encoding": "utf8", "data": "…text…"}`, or `"base64"` when it is not UTF-8 (or
/// holds control characters other than tab and line breaks).
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The method.
    pub method: String,
    /// The path.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// Headers, lower-cased names, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body as received, cut to its first [`RECORDED_BODY_LIMIT`] bytes (file
    /// uploads are streamed to disk and recorded empty).
    #[serde(serialize_with = "text_or_base64")]
    pub body: Vec<u8>,
    /// How many bytes the body had; more than `body.len()` when it was cut.
    pub body_len: u64,
    /// When it arrived (emulator clock, without offset).
    #[serde(with = "millis")]
    pub received_at: SystemTime,
}

/// Bytes of a body kept in the request log; the rest is counted, not kept.
pub const RECORDED_BODY_LIMIT: usize = 64 * 1024;

/// The body and how it is encoded, as two fields of the JSON record.
fn text_or_base64<S: serde::Serializer>(body: &[u8], s: S) -> Result<S::Ok, S::Error> {
    use base64::Engine as _;
    use serde::ser::SerializeStruct as _;
    let mut st = s.serialize_struct("Body", 2)?;
    // Text only when it stays compact in JSON: control characters would each be
    // escaped to six bytes, so such bodies go as base64 (a third larger at most).
    let text = std::str::from_utf8(body).ok().filter(|t| {
        !t.chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    });
    match text {
        Some(text) => {
            st.serialize_field("encoding", "utf8")?;
            st.serialize_field("data", text)?;
        }
        None => {
            st.serialize_field("encoding", "base64")?;
            st.serialize_field(
                "data",
                &base64::engine::general_purpose::STANDARD.encode(body),
            )?;
        }
    }
    st.end()
}

impl RecordedRequest {
    /// Bytes this record holds (what the log's bound counts).
    pub(crate) fn held_bytes(&self) -> usize {
        let headers: usize = self.headers.iter().map(|(k, v)| k.len() + v.len()).sum();
        self.method.len()
            + self.path.len()
            + self.query.as_ref().map_or(0, String::len)
            + headers
            + self.body.len()
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

mod millis {
    use std::time::SystemTime;

    pub fn serialize<S: serde::Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        let ms = t
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        s.serialize_u64(ms)
    }
}
