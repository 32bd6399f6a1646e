//! CloudBase Run containers (`/v1/cloudrun/{name}{path}`) and HTTP APIs
//! (`/v1/apis/{name}{path}`): the same request shape, one type.

use http::header::{AUTHORIZATION, HeaderName, HeaderValue};
use http::{HeaderMap, Method};
use percent_encoding::{AsciiSet, utf8_percent_encode};
use serde::Serialize;

use super::ServiceResponse;
use crate::error::{BuildError, Error};
use crate::operation::{AnswerContext, Detached, OneShot, RequestContext};
use crate::request::{Access, Api, COMPONENT, HttpResponse, RequestIdStyle, RequestSpec};
use crate::secret::Secret;

/// What stays unencoded in a path segment: `encodeURIComponent`'s set (the query
/// encoding's) plus the sub-delimiters RFC 3986 allows in segments (`:@$&+,;=`), so
/// `items:batch` or `a=b` reach the service as written.
const SEGMENT: &AsciiSet = &COMPONENT
    .remove(b':')
    .remove(b'@')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=');

/// Checks a container service or API name (`what` names it in the error): it becomes one path segment, so
/// letters, digits, `_` and `-`, 1–64 characters, starting with a letter or digit.
/// (The service's own naming rule is not documented; this refuses anything that
/// could change the path and accepts every name the console allows.)
///
/// ```
/// use cloudbase_core::functions::validate_service_name;
/// assert!(validate_service_name("API name", "echo-api").is_ok());
/// assert!(validate_service_name("API name", "a/b").is_err());
/// ```
pub fn validate_service_name(what: &'static str, name: &str) -> Result<(), BuildError> {
    let invalid = |rule| BuildError::InvalidName {
        what,
        value: name.to_owned(),
        rule,
    };
    if name.is_empty() || name.len() > 64 {
        return Err(invalid("must be 1 to 64 characters long"));
    }
    if !name.as_bytes()[0].is_ascii_alphanumeric() {
        return Err(invalid("must start with a letter or digit"));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(invalid("may contain only letters, digits, '_' and '-'"));
    }
    Ok(())
}

/// A header from user input, or why it cannot be one.
pub(crate) fn checked_header(
    name: &str,
    value: &str,
) -> Result<(HeaderName, HeaderValue), BuildError> {
    let header_name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| BuildError::InvalidHeader(name.to_owned()))?;
    let header_value =
        HeaderValue::from_str(value).map_err(|_| BuildError::InvalidHeader(name.to_owned()))?;
    Ok((header_name, header_value))
}

/// Encodes a caller's path: a leading `/` is added (an empty path is `/`, as in the
/// JS SDK), each segment is percent-encoded as written (`%` included, so it is
/// never decoded twice), and `.`/`..` segments, `?`, `#` and control characters are
/// refused (use [`ServiceCall::query`] for query parameters).
fn encode_path(path: &str) -> Result<String, BuildError> {
    let refuse = |reason: &str| BuildError::InvalidInput {
        field: "path",
        reason: reason.to_owned(),
    };
    if path.chars().any(char::is_control) {
        return Err(refuse("must not contain control characters"));
    }
    if path.contains(['?', '#']) {
        return Err(refuse(
            "must not contain '?' or '#'; pass query parameters with .query()",
        ));
    }
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let mut out = String::with_capacity(path.len() + 1);
    for segment in trimmed.split('/') {
        if segment == "." || segment == ".." {
            return Err(refuse("must not contain '.' or '..' segments"));
        }
        out.push('/');
        out.extend(utf8_percent_encode(segment, SEGMENT));
    }
    Ok(out)
}

/// Turns GET/HEAD data (a JSON object) into query pairs: strings as they are, other
/// values as JSON text, `null` as an empty value. The JS SDK appends them unencoded
/// (`k=v` pasted into the URL); here they are percent-encoded like every query.
pub(super) fn data_to_query(data: &serde_json::Value) -> Result<Vec<(String, String)>, BuildError> {
    let object = data.as_object().ok_or_else(|| BuildError::InvalidInput {
        field: "data",
        reason: "GET and HEAD send data as query parameters, so it must be a JSON object".into(),
    })?;
    Ok(object
        .iter()
        .map(|(k, v)| {
            let value = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            (k.clone(), value)
        })
        .collect())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// `callContainer`: no request id, no body when there is no data.
    Container,
    /// `callFunction({type: "cloudrun"})`: as a container call, plus `X-Request-Id`.
    ContainerFunction,
    /// `apis[name]`: `{}` when there is no body.
    Api,
}

/// A call to a CloudBase Run container or an HTTP API: any method, a path below the
/// service, headers, JSON data, and (APIs) a bearer of the caller's choosing.
///
/// Wire (docs/protocol/functions.md §2, §3, §5): `{METHOD} /v1/cloudrun/{name}{path}` or
/// `/v1/apis/{name}{path}`, `Content-Type: application/json; charset=utf-8`, the data
/// as a JSON body — or, for GET and HEAD, as percent-encoded query parameters (the
/// JS SDK does not encode them). The answer is returned as is ([`ServiceResponse`]);
/// non-2xx answers are errors, with the documented `SERVICE_*` codes typed
/// ([`GatewayErrorCode`](crate::GatewayErrorCode)).
///
/// The default method of containers is **POST**: it is what the documented HTTP API
/// shows (`POST /v1/cloudrun/:name/:anyPath`) and what the JS SDK sends, and it keeps
/// data in the body rather than moving it into URLs (and logs) unasked. Flutter's
/// default is GET; pass `Method::GET` for that.
///
/// Calls are retried only when their method is idempotent (GET, HEAD, PUT, DELETE,
/// OPTIONS), unless [`ServiceCall::idempotent`] says otherwise.
///
/// ```
/// use cloudbase_core::functions::ServiceCall;
/// use http::Method;
///
/// let get = ServiceCall::container("shop")?
///     .method(Method::GET)
///     .path("/items/42")?
///     .data(&serde_json::json!({"fields": "name,price"}))?;
/// let post = ServiceCall::api("orders", Method::POST)?
///     .path("/orders")?
///     .data(&serde_json::json!({"item": 42}))?;
/// # Ok::<(), cloudbase_core::BuildError>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct ServiceCall {
    target: Target,
    name: String,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    data: Option<serde_json::Value>,
    token: Option<Secret>,
    idempotent: Option<bool>,
}

impl ServiceCall {
    fn new(target: Target, name: &str, method: Method) -> Result<Self, BuildError> {
        let what = match target {
            Target::Api => "API name",
            _ => "CloudBase Run service name",
        };
        validate_service_name(what, name)?;
        Ok(Self {
            target,
            name: name.to_owned(),
            method,
            path: "/".to_owned(),
            query: Vec::new(),
            headers: HeaderMap::new(),
            data: None,
            token: None,
            idempotent: None,
        })
    }

    /// `callContainer` of service `name`: POST to `/` unless changed.
    pub fn container(name: &str) -> Result<Self, BuildError> {
        Self::new(Target::Container, name, Method::POST)
    }

    /// The function-type CloudBase Run variant of `callFunction` (`type: "cloudrun"`):
    /// as [`ServiceCall::container`], plus an `X-Request-Id` returned in the result.
    pub fn container_function(name: &str) -> Result<Self, BuildError> {
        Self::new(Target::ContainerFunction, name, Method::POST)
    }

    /// A call of HTTP API `name` with `method` (`apis[name].get/post/...`).
    pub fn api(name: &str, method: Method) -> Result<Self, BuildError> {
        Self::new(Target::Api, name, method)
    }

    /// The HTTP method.
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// The path below the service (see the type docs for the encoding rules).
    pub fn path(mut self, path: &str) -> Result<Self, BuildError> {
        self.path = encode_path(path)?;
        Ok(self)
    }

    /// Adds a query parameter (percent-encoded).
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Adds a header. For APIs an `Authorization: Bearer <t>` header sets the token
    /// (as in the JS SDK); any other `Authorization` is refused.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, BuildError> {
        let (name, value) = checked_header(name, value)?;
        if name == AUTHORIZATION {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| {
                    v.strip_prefix("Bearer ")
                        .or_else(|| v.strip_prefix("bearer "))
                })
                .ok_or_else(|| BuildError::InvalidInput {
                    field: "authorization",
                    reason: "only a Bearer token can be passed; use .token()".into(),
                })?;
            return Ok(self.token(Secret::new(token.trim())));
        }
        self.headers.insert(name, value);
        Ok(self)
    }

    /// Sends `token` as the bearer instead of the session's; such a call is never
    /// refreshed or replayed.
    pub fn token(mut self, token: impl Into<Secret>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The data: the JSON body, or the query of GET and HEAD (then it must be an
    /// object).
    pub fn data<T: Serialize + ?Sized>(mut self, data: &T) -> Result<Self, BuildError> {
        self.data =
            Some(serde_json::to_value(data).map_err(|e| BuildError::Serialize(e.to_string()))?);
        Ok(self)
    }

    /// Marks the call safe to retry after it may have reached the service (by
    /// default only idempotent methods are).
    pub fn idempotent(mut self) -> Self {
        self.idempotent = Some(true);
        self
    }

    /// Marks the call unsafe to retry once it may have reached the service, even for
    /// a method that is idempotent by definition (a PUT with side effects).
    pub fn not_idempotent(mut self) -> Self {
        self.idempotent = Some(false);
        self
    }

    fn sends_query(&self) -> bool {
        self.method == Method::GET || self.method == Method::HEAD
    }
}

impl OneShot for ServiceCall {
    type Output = ServiceResponse;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        let prefix = match self.target {
            Target::Api => "apis",
            Target::Container | Target::ContainerFunction => "cloudrun",
        };
        let mut spec = RequestSpec::new(Api::Gateway, self.method.clone(), Access::Bearer)
            .path(prefix)
            .segment(&self.name)
            .encoded_path(&self.path);
        if self.target == Target::ContainerFunction {
            spec = spec.request_id(RequestIdStyle::Uuid);
        }
        let body = match (&self.data, self.sends_query()) {
            (Some(data), true) => {
                for (k, v) in data_to_query(data)? {
                    spec = spec.query(k, v);
                }
                Vec::new()
            }
            (_, true) => Vec::new(),
            (Some(data), false) => crate::request::to_json(data)?,
            (None, false) if self.target == Target::Api => b"{}".to_vec(),
            (None, false) => Vec::new(),
        };
        for (k, v) in &self.query {
            spec = spec.query(k.clone(), v.clone());
        }
        spec = spec.json_body(body, "application/json; charset=utf-8");
        for (name, value) in &self.headers {
            spec = spec.header(name.clone(), value.clone());
        }
        if let Some(token) = &self.token {
            spec = spec.bearer(token.clone());
        }
        Ok(spec)
    }

    fn is_idempotent(&self) -> bool {
        self.idempotent
            .unwrap_or_else(|| self.method.is_idempotent())
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
    use crate::request::request_for_test;

    #[test]
    fn container_calls_match_the_transcripts() {
        // functions.jsonl callContainer/default-POST: POST /v1/cloudrun/svc/ {"a":1}
        let req = request_for_test(
            &ServiceCall::container("svc")
                .and_then(|c| c.data(&serde_json::json!({"a": 1})))
                .expect("valid"),
        );
        assert_eq!(req.method(), Method::POST);
        assert_eq!(req.uri().path(), "/v1/cloudrun/svc/");
        assert_eq!(
            req.headers()["content-type"],
            "application/json; charset=utf-8"
        );
        assert!(req.headers().get("x-request-id").is_none());
        assert_eq!(req.body(), br#"{"a":1}"#);

        // GET-with-data: query pairs, encoded; no body.
        let get = ServiceCall::container("svc")
            .map(|c| c.method(Method::GET))
            .and_then(|c| c.path("api/items"))
            .and_then(|c| c.data(&serde_json::json!({"q": "a b&c=d", "n": 2})))
            .expect("valid");
        let req = request_for_test(&get);
        assert_eq!(req.uri().path(), "/v1/cloudrun/svc/api/items");
        assert_eq!(req.uri().query(), Some("n=2&q=a%20b%26c%3Dd"));
        assert!(req.body().is_empty());

        // type-cloudrun: a request id.
        let req = request_for_test(&ServiceCall::container_function("svc").expect("valid"));
        assert!(req.headers().get("x-request-id").is_some());
    }

    #[test]
    fn api_calls_match_the_transcripts() {
        // apis.delete: DELETE /v1/apis/echo-api/items/1 with body {}
        let del = ServiceCall::api("echo-api", Method::DELETE)
            .and_then(|c| c.path("/items/1"))
            .expect("valid");
        let req = request_for_test(&del);
        assert_eq!(req.uri().path(), "/v1/apis/echo-api/items/1");
        assert_eq!(req.body(), b"{}");
        assert_eq!(req.headers()["authorization"], "Bearer pk");
        // apis.get/no-path: trailing slash.
        let req = request_for_test(&ServiceCall::api("echo-api", Method::GET).expect("valid"));
        assert_eq!(req.uri().path(), "/v1/apis/echo-api/");
        assert!(req.body().is_empty());
        // An explicit token wins and is marked sensitive.
        let tok = ServiceCall::api("echo-api", Method::GET)
            .and_then(|c| c.header("Authorization", "Bearer other"))
            .expect("valid");
        let req = request_for_test(&tok);
        assert_eq!(req.headers()["authorization"], "Bearer other");
        assert!(req.headers()["authorization"].is_sensitive());
    }

    #[test]
    fn bad_input_is_refused() {
        for bad in ["", "a/b", "a b", "../x", "-x", "a?b", &"x".repeat(65)] {
            assert!(ServiceCall::container(bad).is_err(), "{bad:?}");
        }
        for bad in ["/a/../b", "/.", "/a?b=1", "/a#f", "/a\nb"] {
            assert!(
                ServiceCall::container("svc")
                    .and_then(|c| c.path(bad))
                    .is_err(),
                "{bad:?}"
            );
        }
        let weird = ServiceCall::container("svc")
            .and_then(|c| c.path("/a b/100%/é/x:y"))
            .expect("valid");
        assert_eq!(
            request_for_test(&weird).uri().path(),
            "/v1/cloudrun/svc/a%20b/100%25/%C3%A9/x:y"
        );
        let get_array = ServiceCall::container("svc")
            .map(|c| c.method(Method::GET))
            .and_then(|c| c.data(&[1, 2]))
            .expect("valid");
        let config = crate::Config::builder("e").build().expect("valid");
        let session = crate::Session::default();
        let cx = RequestContext::new(&config, &session, std::time::SystemTime::UNIX_EPOCH);
        assert!(matches!(
            get_array.request(&cx),
            Err(Error::Build(BuildError::InvalidInput { field: "data", .. }))
        ));
        assert!(
            ServiceCall::api("a", Method::GET)
                .and_then(|c| c.header("authorization", "Basic x"))
                .is_err()
        );
    }

    #[test]
    fn retries_follow_the_method() {
        let post = ServiceCall::container("svc").expect("valid");
        assert!(!post.is_idempotent());
        assert!(post.clone().method(Method::PUT).is_idempotent());
        assert!(post.idempotent().is_idempotent());
    }
}

/// Opens a Cloud Run service's (or HTTP API's) streamed answer: the same request as
/// [`ServiceCall`] with `Accept: text/event-stream`; the adapter reads the events.
/// Retried only as the call's own method allows, and never after the stream began.
#[derive(Clone, Debug)]
#[must_use]
pub struct OpenServiceStream(ServiceCall);

impl OpenServiceStream {
    /// Streams `call`'s answer.
    pub fn new(call: ServiceCall) -> Self {
        Self(call)
    }
}

crate::stream::opens_event_stream!(
    OpenServiceStream,
    |op, cx| Ok(OneShot::request(&op.0, cx)?.event_stream()),
    idempotent: |op| OneShot::is_idempotent(&op.0),
);
