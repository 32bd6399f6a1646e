//! `POST /v1/functions/{name}`.

use http::Method;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::call::{Operation, RequestContext, ResponseContext};
use crate::error::{BuildError, DecodeError, Error};
use crate::request::{Access, Api, HttpResponse, RequestIdStyle, RequestSpec};
use crate::response::decode_json;

/// Checks a function name against `^[a-zA-Z][a-zA-Z0-9_-]{0,58}[a-zA-Z0-9]$`
/// (functions.md §1), so a bad name is refused before anything is sent.
///
/// ```
/// use cloudbase_core::functions::validate_function_name;
/// assert!(validate_function_name("echo").is_ok());
/// assert!(validate_function_name("../admin").is_err());
/// ```
pub fn validate_function_name(name: &str) -> Result<(), BuildError> {
    let bytes = name.as_bytes();
    let invalid = |rule| BuildError::InvalidName {
        what: "function name",
        value: name.to_owned(),
        rule,
    };
    if !(2..=60).contains(&bytes.len()) {
        return Err(invalid("must be 2 to 60 characters long"));
    }
    if !bytes[0].is_ascii_alphabetic() {
        return Err(invalid("must start with a letter"));
    }
    if !bytes[bytes.len() - 1].is_ascii_alphanumeric() {
        return Err(invalid("must end with a letter or digit"));
    }
    if !bytes
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
    {
        return Err(invalid("may contain only letters, digits, '_' and '-'"));
    }
    Ok(())
}

/// Calls a cloud function through the gateway.
///
/// Wire (matches the JS SDK's gateway route): `POST /v1/functions/{name}`, body = the
/// data as JSON with no envelope (empty when there is no data),
/// `Content-Type: application/json; charset=utf-8`, a dashed-UUID `X-Request-Id`,
/// `Authorization: Bearer` (the user's token, else the configured key).
///
/// Function calls are not idempotent unless you say so with
/// [`CallFunction::idempotent`]; only then are they retried after a timeout, a broken
/// connection or a 502/503/504.
///
/// ```
/// use cloudbase_core::functions::CallFunction;
///
/// let call = CallFunction::new("sum")?.data(&serde_json::json!({"a": 1, "b": 2}))?.idempotent(true);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct CallFunction {
    name: String,
    body: Vec<u8>,
    idempotent: bool,
    qualifier: Option<String>,
}

impl CallFunction {
    /// A call of function `name` with no data; the name is checked here.
    pub fn new(name: impl Into<String>) -> Result<Self, BuildError> {
        let name = name.into();
        validate_function_name(&name)?;
        Ok(Self {
            name,
            body: Vec::new(),
            idempotent: false,
            qualifier: None,
        })
    }

    /// The function's input, serialized as JSON.
    pub fn data<T: Serialize + ?Sized>(mut self, data: &T) -> Result<Self, BuildError> {
        self.body = serde_json::to_vec(data).map_err(|e| BuildError::Serialize(e.to_string()))?;
        Ok(self)
    }

    /// Marks the call safe to repeat, which allows retries after the request may have
    /// reached the server.
    pub fn idempotent(mut self, yes: bool) -> Self {
        self.idempotent = yes;
        self
    }

    /// Selects a function version (`X-Qualifier`); without it, traffic rules decide.
    pub fn qualifier(mut self, version: impl Into<String>) -> Self {
        self.qualifier = Some(version.into());
        self
    }

    /// The function name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// A function's answer: the raw body and the request id.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FunctionResult {
    /// The request id (the server's `X-Request-Id`, else the one this call sent).
    pub request_id: String,
    /// The response `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body exactly as returned.
    pub body: Vec<u8>,
}

impl FunctionResult {
    /// Whether the function answered JSON (by `Content-Type`).
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

impl Operation for CallFunction {
    type Output = FunctionResult;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        let mut spec = RequestSpec::new(Api::Gateway, Method::POST, Access::Bearer)
            .path("functions")
            .segment(&self.name)
            .request_id(RequestIdStyle::Uuid)
            .json_body(self.body.clone(), "application/json; charset=utf-8");
        if let Some(q) = &self.qualifier {
            let v = HeaderValue::from_str(q)
                .map_err(|_| BuildError::InvalidHeader("x-qualifier".into()))?;
            spec = spec.header(HeaderName::from_static("x-qualifier"), v);
        }
        Ok(spec)
    }

    fn is_idempotent(&self) -> bool {
        self.idempotent
    }

    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<FunctionResult, Error> {
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let request_id = header(HeaderName::from_static("x-request-id"))
            .unwrap_or_else(|| cx.request_id.to_owned());
        let content_type = header(CONTENT_TYPE);
        Ok(FunctionResult {
            request_id,
            content_type,
            body: response.into_body(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_documented_pattern() {
        for ok in ["ab", "echo", "my_fn-2", &format!("a{}", "b".repeat(59))] {
            assert!(validate_function_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a",
            "1abc",
            "ab-",
            "a/b",
            "a b",
            "a..b",
            "ä1",
            "a?x",
            "a#b",
            "a\nb",
            &"a".repeat(61),
        ] {
            assert!(validate_function_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn qualifier_with_newline_is_refused() {
        let call = CallFunction::new("echo").map(|c| c.qualifier("1\n2"));
        assert!(matches!(
            call.and_then(|c| {
                let config = crate::Config::builder("e").build().expect("valid");
                c.request(&RequestContext::new(
                    &config,
                    &Default::default(),
                    std::time::SystemTime::UNIX_EPOCH,
                ))
            }),
            Err(BuildError::InvalidHeader(_))
        ));
    }
}
