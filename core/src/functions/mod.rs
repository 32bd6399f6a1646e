//! Compute: cloud functions (`/v1/functions/{name}`, docs/protocol/functions.md §1), CloudBase Run
//! containers (`/v1/cloudrun/{name}{path}`, §2–3) and HTTP APIs
//! (`/v1/apis/{name}{path}`, §5).

mod call_function;
mod service;

pub use call_function::{CallFunction, validate_function_name};
pub(crate) use service::checked_header;
pub use service::{OpenServiceStream, ServiceCall, validate_service_name};

use http::HeaderMap;
use http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;

use crate::error::DecodeError;
use crate::request::HttpResponse;
use crate::response::decode_json;

/// What a function, container or API answered: status, headers and the raw body,
/// with the request id.
///
/// ```
/// # fn show(result: cloudbase_core::functions::ServiceResponse) -> Result<(), Box<dyn std::error::Error>> {
/// if result.is_json() {
///     let value: serde_json::Value = result.json()?;
///     println!("{value} ({})", result.request_id);
/// } else {
///     println!("{}", result.text()?);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServiceResponse {
    /// The request id (the server's `X-Request-Id`, else the one this call sent).
    pub request_id: String,
    /// The HTTP status (always 2xx: other answers are errors).
    pub status: u16,
    /// The response `Content-Type`, if any.
    pub content_type: Option<String>,
    /// All response headers.
    pub headers: HeaderMap,
    /// The body exactly as returned.
    pub body: Vec<u8>,
}

/// The result of a cloud function call (the same shape as every compute answer).
pub type FunctionResult = ServiceResponse;

impl ServiceResponse {
    pub(crate) fn from_response(response: HttpResponse, sent_request_id: &str) -> Self {
        let (parts, body) = response.into_parts();
        let header = |name| {
            parts
                .headers
                .get(name)
                .and_then(|v: &http::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let request_id =
            header(crate::request::X_REQUEST_ID).unwrap_or_else(|| sent_request_id.to_owned());
        Self {
            request_id,
            status: parts.status.as_u16(),
            content_type: header(CONTENT_TYPE),
            headers: parts.headers,
            body,
        }
    }

    /// Whether the answer is JSON (by `Content-Type`), as the JS SDK decides.
    pub fn is_json(&self) -> bool {
        self.content_type
            .as_deref()
            .is_some_and(|c| c.to_ascii_lowercase().contains("application/json"))
    }

    /// Decodes the body as `T`; errors name the JSON path that did not fit.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, DecodeError> {
        decode_json(http::StatusCode::OK, &self.body)
    }

    /// The body as text.
    pub fn text(&self) -> Result<&str, DecodeError> {
        std::str::from_utf8(&self.body).map_err(|_| DecodeError::NotUtf8 {
            status: http::StatusCode::OK,
        })
    }
}
