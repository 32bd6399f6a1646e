//! What registered closures see and answer: function, container, API and
//! database-function handlers.

use std::sync::Arc;

/// Who called a function, from the bearer token.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Caller {
    /// A signed-in user.
    User {
        /// User id.
        sub: String,
        /// Token scope (`anonymous`, `user`…).
        scope: String,
    },
    /// A Publishable Key.
    PublishableKey,
    /// An API key (admin).
    ApiKey,
}

/// A function invocation as a registered closure sees it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FunctionRequest {
    /// The function, container service or API name.
    pub name: String,
    /// The HTTP method (`POST` for functions).
    pub method: http::Method,
    /// The path below the service (`/…`; `"/"` for functions, `""` when a container
    /// or API was called without a path).
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The body as sent (the caller's data as JSON, or empty).
    pub body: Vec<u8>,
    /// Request headers.
    pub headers: http::HeaderMap,
    /// Who called.
    pub caller: Caller,
}

/// What a function answers.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FunctionResponse {
    /// HTTP status (200 unless the function says otherwise).
    pub status: u16,
    /// `Content-Type`.
    pub content_type: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl FunctionResponse {
    /// A JSON answer.
    pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> Self {
        Self {
            status: 200,
            content_type: "application/json; charset=utf-8".to_owned(),
            headers: Vec::new(),
            body: serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec()),
        }
    }

    /// A `text/plain` answer.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            status: 200,
            content_type: "text/plain; charset=utf-8".to_owned(),
            headers: Vec::new(),
            body: text.into().into_bytes(),
        }
    }

    /// Raw bytes with a content type.
    pub fn bytes(content_type: impl Into<String>, body: Vec<u8>) -> Self {
        Self {
            status: 200,
            content_type: content_type.into(),
            headers: Vec::new(),
            body,
        }
    }

    /// Sets the status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Adds a header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A registered function.
pub type FunctionHandler = Arc<dyn Fn(&FunctionRequest) -> FunctionResponse + Send + Sync>;

/// A database function for `/v1/rdb/rest/rpc/{name}`: the named arguments (a JSON
/// object) in, the answer (any JSON) or an error message (answered 400, `P0001`) out.
pub type RdbFunction =
    Arc<dyn Fn(&serde_json::Value) -> Result<serde_json::Value, String> + Send + Sync>;
