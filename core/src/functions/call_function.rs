//! `POST /v1/functions/{name}`.

use http::Method;
use http::header::{HeaderName, HeaderValue};
use serde::Serialize;

use super::ServiceResponse;
use crate::error::{BuildError, Error};
use crate::operation::{AnswerContext, Detached, OneShot, RequestContext};
use crate::request::{Access, Api, HttpResponse, RequestIdStyle, RequestSpec};

/// Checks a function name against `^[a-zA-Z][a-zA-Z0-9_-]{0,58}[a-zA-Z0-9]$`
/// (docs/protocol/functions.md §1), so a bad name is refused before anything is sent.
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
/// let call = CallFunction::new("sum")?.data(&serde_json::json!({"a": 1, "b": 2}))?.idempotent();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct CallFunction {
    name: String,
    body: Vec<u8>,
    idempotent: bool,
    qualifier: Option<String>,
    web: bool,
    headers: http::HeaderMap,
    method: Method,
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
            web: false,
            headers: http::HeaderMap::new(),
            method: Method::POST,
        })
    }

    /// The function's input, serialized as JSON.
    pub fn data<T: Serialize + ?Sized>(mut self, data: &T) -> Result<Self, BuildError> {
        self.body = crate::request::to_json(data)?;
        Ok(self)
    }

    /// Marks the call safe to repeat, which allows retries after the request may have
    /// reached the server.
    pub fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }

    /// Selects a function version (`X-Qualifier`); without it, traffic rules decide.
    pub fn qualifier(mut self, version: impl Into<String>) -> Self {
        self.qualifier = Some(version.into());
        self
    }

    /// Marks the target as an HTTP ("web") function: sends the documented
    /// `X-Tcb-Webfn: true` header (the docs allow it or the `webfn=true` query; the
    /// header keeps the URL identical for both kinds).
    pub fn web(mut self, yes: bool) -> Self {
        self.web = yes;
        self
    }

    /// Adds a request header (the JS SDK's `header` option); refused if the name or
    /// value is not a valid header.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, BuildError> {
        let (name, value) = super::service::checked_header(name, value)?;
        self.headers.insert(name, value);
        Ok(self)
    }

    /// Calls an HTTP function with `method` instead of POST (the JS SDK's
    /// `callFunction({method})`); with GET or HEAD the data (a JSON object) goes as
    /// percent-encoded query parameters — strings as they are, `null` as an empty
    /// value, other values as JSON — and no body is sent (docs/protocol/functions.md, transcript
    /// `callFunction/method-GET-with-data`).
    ///
    /// ```
    /// use cloudbase_core::functions::CallFunction;
    /// use cloudbase_core::http::Method;
    /// let op = CallFunction::new("items")?.method(Method::GET).data(&serde_json::json!({"q": "a b"}))?;
    /// # Ok::<(), cloudbase_core::BuildError>(())
    /// ```
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// The function name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl OneShot for CallFunction {
    type Output = ServiceResponse;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        let in_query = matches!(self.method, Method::GET | Method::HEAD);
        let body = if in_query {
            Vec::new()
        } else {
            self.body.clone()
        };
        let mut spec = RequestSpec::new(Api::Gateway, self.method.clone(), Access::Bearer)
            .path("functions")
            .segment(&self.name)
            .request_id(RequestIdStyle::Uuid)
            .json_body(body, "application/json; charset=utf-8");
        if in_query && !self.body.is_empty() {
            let data: serde_json::Value = serde_json::from_slice(&self.body)
                .map_err(|e| BuildError::Serialize(e.to_string()))?;
            for (k, v) in super::service::data_to_query(&data)? {
                spec = spec.query(k, v);
            }
        }
        if let Some(q) = &self.qualifier {
            let v = HeaderValue::from_str(q)
                .map_err(|_| BuildError::InvalidHeader("x-qualifier".into()))?;
            spec = spec.header(HeaderName::from_static("x-qualifier"), v);
        }
        if self.web {
            spec = spec.header(
                HeaderName::from_static("x-tcb-webfn"),
                HeaderValue::from_static("true"),
            );
        }
        for (name, value) in &self.headers {
            spec = spec.header(name.clone(), value.clone());
        }
        Ok(spec)
    }

    fn is_idempotent(&self) -> bool {
        self.idempotent
    }

    fn parse_answer(
        &self,
        response: HttpResponse,
        cx: &AnswerContext<'_>,
    ) -> Detached<ServiceResponse> {
        Detached::Read(Ok(ServiceResponse::from_response(response, cx.request_id)))
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
        let config = crate::Config::builder("e").build().expect("valid");
        let built = call.map_err(Error::from).and_then(|c| {
            c.request(&RequestContext::new(
                &config,
                &Default::default(),
                std::time::SystemTime::UNIX_EPOCH,
            ))
        });
        assert!(matches!(
            built,
            Err(Error::Build(BuildError::InvalidHeader(_)))
        ));
    }
}
