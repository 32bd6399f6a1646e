//! A declarative description of a request ([`RequestSpec`]) and the one place that
//! turns it into an `http::Request` with the common headers, credentials and ids.

use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{HeaderMap, Method};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::config::Config;
use crate::error::{BuildError, Error, SessionError};
use crate::secret::Secret;

/// The request type every adapter sends.
pub type HttpRequest = http::Request<Vec<u8>>;
/// The response type every adapter hands back.
pub type HttpResponse = http::Response<Vec<u8>>;

/// The SDK's `X-SDK-Version`. Deliberately not the JS SDK's value: the server sees
/// which client it is talking to.
pub const SDK_VERSION: &str = concat!("cloudbase-rust/", env!("CARGO_PKG_VERSION"));

/// What `encodeURIComponent` leaves alone; everything else is percent-encoded, so
/// query values can never change the query's structure.
pub(crate) const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Which family of API a request belongs to: decides the path prefix, the ids and
/// headers added, and how error answers are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Api {
    /// `/auth/v1/...`: auth envelope, `x-request-id` (32 hex) and `x-device-id`.
    AuthV1,
    /// `/auth/v2/...`: as v1.
    AuthV2,
    /// `/v1/...`: gateway envelope.
    Gateway,
    /// An absolute URL the service handed out (a storage upload or download URL):
    /// no credentials, no ids; see [`RequestSpec::external`].
    External,
}

impl Api {
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Api::AuthV1 => "auth/v1",
            Api::AuthV2 => "auth/v2",
            Api::Gateway => "v1",
            Api::External => "",
        }
    }

    /// Whether this is one of the auth APIs.
    pub fn is_auth(self) -> bool {
        matches!(self, Api::AuthV1 | Api::AuthV2)
    }
}

/// Which credential a request carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Access {
    /// No credential; auth calls get `?client_id=` instead (docs/protocol/auth.md §1).
    ClientId,
    /// The signed-in user's access token; without one, nothing is sent.
    User,
    /// The signed-in user's access token when there is one, else `?client_id=` as
    /// [`Access::ClientId`]: calls the JS SDK sends with the user's identity when it
    /// has one (docs/protocol/auth.md §5.2 "U if signed in": `/verification`).
    UserOrClientId,
    /// The user's access token, else the configured Publishable Key or API key.
    Bearer,
    /// `Basic base64("{client_id}:")` plus `?client_id=`: only the automatic anonymous
    /// re-sign-in uses it (docs/protocol/auth.md §1).
    BasicClient,
    /// `Basic base64("{SecretId}:{SecretKey}")` of the configured server credentials:
    /// only the server-token exchange (`/token/clientCredential`) uses it.
    ServerSecret,
    /// No credential at all (pre-signed storage URLs).
    None,
}

/// Which request id header the call carries (protocol README: auth calls, function
/// calls and storage carry one; models, MySQL, `apis` and `callContainer` do not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestIdStyle {
    /// `x-request-id`, 32 lower-case hex digits (auth calls).
    Hex32,
    /// `X-Request-Id`, a dashed UUID (function and storage gateway calls).
    Uuid,
    /// No request id header.
    None,
}

/// An operation's request, before the shared parts are added.
#[derive(Clone, Debug)]
#[must_use]
pub struct RequestSpec {
    pub(crate) api: Api,
    pub(crate) method: Method,
    pub(crate) path: String,
    /// The query, each pair percent-encoded as it is added (`a=1&b=2`, no `?`):
    /// one growing string rather than two owned strings per pair.
    pub(crate) query: String,
    pub(crate) headers: HeaderMap,
    /// The body's `Content-Type` when it is a fixed one (JSON bodies): kept apart from
    /// `headers`, so most requests carry no map of their own to build and drop.
    pub(crate) content_type: Option<&'static str>,
    pub(crate) body: Vec<u8>,
    pub(crate) access: Access,
    pub(crate) request_id: RequestIdStyle,
    /// The absolute URL of an [`Api::External`] request.
    pub(crate) url: Option<String>,
    /// A bearer the caller chose instead of the session's (`apis` `token`).
    pub(crate) bearer_override: Option<Secret>,
    /// The body comes from the caller's upload source; this is its length.
    pub(crate) streamed_body: Option<u64>,
    /// A successful body goes to the caller's download sink.
    pub(crate) streamed_response: bool,
    pub(crate) event_stream: bool,
}

impl RequestSpec {
    /// A request to `api` with `method`; the path starts empty.
    pub fn new(api: Api, method: Method, access: Access) -> Self {
        let request_id = if api.is_auth() {
            RequestIdStyle::Hex32
        } else {
            RequestIdStyle::None
        };
        Self {
            api,
            method,
            path: String::new(),
            query: String::new(),
            headers: HeaderMap::new(),
            content_type: None,
            body: Vec::new(),
            access,
            request_id,
            url: None,
            bearer_override: None,
            streamed_body: None,
            streamed_response: false,
            event_stream: false,
        }
    }

    /// A request to an absolute URL the service handed out (storage upload and
    /// download URLs): sent with no credential and no request id.
    pub fn external(method: Method, url: impl Into<String>) -> Self {
        let mut spec = Self::new(Api::External, method, Access::None);
        spec.url = Some(url.into());
        spec
    }

    /// Appends already-encoded path text verbatim (callers encode each segment).
    pub(crate) fn encoded_path(mut self, encoded: &str) -> Self {
        self.path.push_str(encoded);
        self
    }

    /// Sends `token` as the bearer instead of the session's; such calls are never
    /// refreshed or replayed (the token is not the session's to renew).
    pub fn bearer(mut self, token: Secret) -> Self {
        self.bearer_override = Some(token);
        self
    }

    /// Whether the bearer was chosen by the caller.
    pub fn has_bearer_override(&self) -> bool {
        self.bearer_override.is_some()
    }

    /// A body of `content_length` bytes taken from the caller's upload source when the
    /// request is sent (marked with [`StreamedBody`]); `content_type` describes it.
    pub fn streamed_body(mut self, content_length: u64, content_type: HeaderValue) -> Self {
        self.streamed_body = Some(content_length);
        self.content_type = None;
        self.headers.insert(CONTENT_TYPE, content_type);
        self
    }

    /// Asks the adapter to write a successful response body to the caller's download
    /// sink instead of memory (marked with [`StreamedResponse`]).
    pub fn streamed_response(mut self) -> Self {
        self.streamed_response = true;
        self
    }

    /// Asks for an event stream (`Accept: text/event-stream`, which also keeps the
    /// gateway from cutting long answers, ai.md §1): the adapter keeps a 2xx
    /// `text/event-stream` body for a [`StreamReader`](crate::stream::StreamReader)
    /// (marked with [`EventStreamResponse`](crate::stream::EventStreamResponse)).
    pub fn event_stream(mut self) -> Self {
        self.event_stream = true;
        self.headers.insert(
            http::header::ACCEPT,
            HeaderValue::from_static("text/event-stream"),
        );
        self
    }

    /// A body of any type.
    pub fn body(mut self, bytes: Vec<u8>, content_type: HeaderValue) -> Self {
        self.body = bytes;
        self.content_type = None;
        self.headers.insert(CONTENT_TYPE, content_type);
        self
    }

    /// Appends fixed path text such as `"signin/anonymously"` (written as is).
    pub fn path(mut self, fixed: &str) -> Self {
        // Room for it and a segment or two after, in one allocation.
        self.path.reserve(fixed.len() + 32);
        for part in fixed.split('/').filter(|p| !p.is_empty()) {
            self.path.push('/');
            self.path.push_str(part);
        }
        self
    }

    /// Appends one path segment from user input, percent-encoded so it cannot add
    /// segments, a query or a fragment.
    pub fn segment(mut self, value: &str) -> Self {
        self.path.push('/');
        if value == "." || value == ".." {
            // Dots are unreserved, so `..` would survive encoding and be resolved
            // away by URL normalisation; spell them out.
            self.path.push_str(&value.replace('.', "%2E"));
            return self;
        }
        self.path.extend(utf8_percent_encode(value, COMPONENT));
        self
    }

    /// Appends a query pair, percent-encoded (so a value cannot add pairs).
    pub fn query(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        push_query_pair(&mut self.query, name.as_ref(), value.as_ref());
        self
    }

    /// Sets a header.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// `value` as the JSON body (`Content-Type: application/json`).
    pub fn json<T: serde::Serialize + ?Sized>(self, value: &T) -> Result<Self, BuildError> {
        Ok(self.json_body(to_json(value)?, "application/json"))
    }

    /// A JSON body with the given `Content-Type`.
    pub fn json_body(mut self, bytes: Vec<u8>, content_type: &'static str) -> Self {
        self.body = bytes;
        self.headers.remove(CONTENT_TYPE);
        self.content_type = Some(content_type);
        self
    }

    /// Overrides which request id header is sent.
    pub fn request_id(mut self, style: RequestIdStyle) -> Self {
        self.request_id = style;
        self
    }

    /// Which credential this request needs.
    pub fn access(&self) -> Access {
        self.access
    }

    /// The API family.
    pub fn api(&self) -> Api {
        self.api
    }

    /// The request id style.
    pub fn request_id_style(&self) -> RequestIdStyle {
        self.request_id
    }
}

/// Request extension: the body is the caller's upload source, `len` bytes long; the
/// request's own body is empty. Adapters attach the source when sending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamedBody {
    /// The `Content-Length` to send.
    pub len: u64,
}

/// Request extension: write a 2xx response body to the caller's download sink and
/// hand the core an empty body with a [`StreamedBytes`] response extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamedResponse;

/// Response extension the adapters add after streaming a body to the sink.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamedBytes(pub u64);

/// The per-attempt values the shared builder needs.
pub(crate) struct Envelope<'a> {
    pub config: &'a Config,
    /// The client's device id as the `x-device-id` value (built once per client;
    /// `None` only if it were not a valid header value, which the config's and the
    /// generator's alphabets rule out).
    pub device_id: Option<&'a HeaderValue>,
    pub request_id: &'a str,
    pub user_token: Option<&'a Secret>,
    /// The admin token obtained with server credentials, if the config has them.
    pub server_token: Option<&'a Secret>,
}

/// `value` as JSON bytes; a value serde cannot write is a [`BuildError::Serialize`].
pub(crate) fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, BuildError> {
    serde_json::to_vec(value).map_err(|e| BuildError::Serialize(e.to_string()))
}

// Checked once, at compile time (`from_static` per call re-validated each one).
const X_SDK_VERSION: HeaderName = HeaderName::from_static("x-sdk-version");
pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const X_DEVICE_ID: HeaderName = HeaderName::from_static("x-device-id");
const SDK_VERSION_VALUE: HeaderValue = HeaderValue::from_static(SDK_VERSION);
const ZH_CN: HeaderValue = HeaderValue::from_static("zh-CN");
const EN_US: HeaderValue = HeaderValue::from_static("en-US");

fn header_value(name: &str, value: &str) -> Result<HeaderValue, BuildError> {
    HeaderValue::from_str(value).map_err(|_| BuildError::InvalidHeader(name.to_owned()))
}

/// Appends `name=value`, both percent-encoded, to an encoded query.
fn push_query_pair(query: &mut String, name: &str, value: &str) {
    // Room for the pair unencoded (most are), so the pieces do not regrow it.
    query.reserve(name.len() + value.len() + 2);
    if !query.is_empty() {
        query.push('&');
    }
    query.extend(utf8_percent_encode(name, COMPONENT));
    query.push('=');
    query.extend(utf8_percent_encode(value, COMPONENT));
}

/// Appends an already encoded `name=value` pair to an encoded query.
fn push_encoded_pair(query: &mut String, pair: &str) {
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str(pair);
}

/// Whether an encoded query has a pair named `name` (a name that encodes to itself).
fn has_query_pair(query: &str, name: &str) -> bool {
    query.split('&').any(|pair| {
        pair.strip_prefix(name)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('='))
    })
}

/// Assembles the final request: origin + prefix + path, encoded query (with
/// `client_id` for credential-less auth calls), common headers and credentials.
pub(crate) fn build(spec: &RequestSpec, env: &Envelope<'_>) -> Result<HttpRequest, Error> {
    let config = env.config;
    // Copied only when `client_id` is added (most calls send the query as given).
    let mut query = std::borrow::Cow::Borrowed(spec.query.as_str());
    let mut headers = HeaderMap::new();

    let bearer = match spec.access {
        Access::ClientId => {
            if spec.api.is_auth() && !has_query_pair(&query, "client_id") {
                push_encoded_pair(query.to_mut(), config.client_id_pair());
            }
            None
        }
        Access::BasicClient => {
            if !has_query_pair(&query, "client_id") {
                push_encoded_pair(query.to_mut(), config.client_id_pair());
            }
            use base64::Engine as _;
            let basic = base64::engine::general_purpose::STANDARD
                .encode(format!("{}:", config.client_id()));
            headers.insert(
                AUTHORIZATION,
                header_value("authorization", &format!("Basic {basic}"))?,
            );
            None
        }
        Access::ServerSecret => {
            let crate::config::Credential::ServerSecret {
                secret_id,
                secret_key,
            } = config.credential()
            else {
                return Err(SessionError::MissingCredential.into());
            };
            use base64::Engine as _;
            let basic = base64::engine::general_purpose::STANDARD
                .encode(format!("{secret_id}:{}", secret_key.expose()));
            let mut value = header_value("authorization", &format!("Basic {basic}"))?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
            None
        }
        Access::None => None,
        Access::UserOrClientId => match env.user_token {
            Some(token) => Some(token),
            None => {
                if !has_query_pair(&query, "client_id") {
                    push_encoded_pair(query.to_mut(), config.client_id_pair());
                }
                None
            }
        },
        Access::User | Access::Bearer if spec.bearer_override.is_some() => {
            spec.bearer_override.as_ref()
        }
        Access::User => Some(env.user_token.ok_or(SessionError::NotSignedIn)?),
        Access::Bearer => Some(
            env.user_token
                .or_else(|| config.credential().key())
                .or(env.server_token)
                .ok_or(SessionError::MissingCredential)?,
        ),
    };

    let mut url = match (&spec.url, spec.api) {
        (Some(absolute), Api::External) => absolute.clone(),
        (_, Api::External) => {
            return Err(Error::Internal("external request without a URL"));
        }
        _ => {
            let origin = config.gateway_origin().as_str();
            let mut url = String::with_capacity(
                origin.len() + spec.api.prefix().len() + spec.path.len() + 64,
            );
            url.push_str(origin);
            url.push_str(spec.api.prefix());
            url.push_str(&spec.path);
            url
        }
    };
    if !query.is_empty() {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&query);
    }

    headers.insert(X_SDK_VERSION, SDK_VERSION_VALUE);
    headers.insert(
        http::header::ACCEPT_LANGUAGE,
        match config.language() {
            crate::config::Language::ZhCn => ZH_CN,
            crate::config::Language::EnUs => EN_US,
        },
    );
    match spec.request_id {
        RequestIdStyle::Hex32 | RequestIdStyle::Uuid => {
            headers.insert(X_REQUEST_ID, header_value("x-request-id", env.request_id)?);
        }
        RequestIdStyle::None => {}
    }
    if spec.api.is_auth() {
        let device_id = env
            .device_id
            .ok_or_else(|| BuildError::InvalidHeader("x-device-id".to_owned()))?;
        headers.insert(X_DEVICE_ID, device_id.clone());
    }
    if let Some(token) = bearer {
        let v = token
            .bearer_header()
            .ok_or_else(|| BuildError::InvalidHeader("authorization".to_owned()))?;
        headers.insert(AUTHORIZATION, v);
    }
    if let Some(content_type) = spec.content_type {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    // Operation headers last, so a caller's explicit header wins over a default.
    for (name, value) in &spec.headers {
        headers.insert(name.clone(), value.clone());
    }

    if let Some(len) = spec.streamed_body {
        headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    // Assembled in place rather than through `http::request::Builder`, whose
    // by-value steps moved the request's parts at each one (bench/).
    let uri = http::Uri::try_from(url).map_err(|e| BuildError::InvalidInput {
        field: "request",
        reason: e.to_string(),
    })?;
    let mut request = http::Request::new(spec.body.clone());
    *request.method_mut() = spec.method.clone();
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    let extensions = request.extensions_mut();
    if let Some(len) = spec.streamed_body {
        extensions.insert(StreamedBody { len });
    }
    if spec.streamed_response {
        extensions.insert(StreamedResponse);
    }
    if spec.event_stream {
        extensions.insert(crate::stream::EventStreamResponse);
    }
    Ok(request)
}

/// The device id the request-shape tests send.
#[cfg(test)]
static DEVICE_ID_FOR_TEST: HeaderValue =
    HeaderValue::from_static("0123456789abcdef0123456789abcdef");

/// The final request an operation sends from a fresh `demo-env` client with
/// Publishable Key `pk` (for unit tests of request shapes).
#[cfg(test)]
pub(crate) fn request_for_test<O: crate::operation::Operation>(op: &O) -> HttpRequest {
    let config = Config::builder("demo-env")
        .publishable_key("pk")
        .build()
        .expect("config");
    let session = crate::session::Session::default();
    let cx =
        crate::operation::RequestContext::new(&config, &session, std::time::SystemTime::UNIX_EPOCH);
    let spec = op.request(&cx).expect("builds");
    let envelope = Envelope {
        config: &config,
        device_id: Some(&DEVICE_ID_FOR_TEST),
        request_id: "r",
        user_token: None,
        server_token: None,
    };
    build(&spec, &envelope).expect("request")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::builder("demo-env")
            .publishable_key("pk_demo_publishable")
            .build()
            .expect("valid config")
    }

    fn env<'a>(config: &'a Config, token: Option<&'a Secret>) -> Envelope<'a> {
        Envelope {
            config,
            device_id: Some(&DEVICE_ID_FOR_TEST),
            request_id: "fedcba9876543210fedcba9876543210",
            user_token: token,
            server_token: None,
        }
    }

    #[test]
    fn unauthenticated_auth_call_matches_the_transcript() {
        let c = config();
        let spec = RequestSpec::new(Api::AuthV1, Method::POST, Access::ClientId)
            .path("signin/anonymously")
            .json_body(b"{}".to_vec(), "application/json");
        let req = build(&spec, &env(&c, None)).expect("builds");
        assert_eq!(req.method(), Method::POST);
        assert_eq!(
            req.uri().to_string(),
            "https://demo-env.api.tcloudbasegateway.com/auth/v1/signin/anonymously?client_id=demo-env"
        );
        let h = req.headers();
        assert_eq!(h["x-sdk-version"], SDK_VERSION);
        assert_eq!(h["accept-language"], "zh-CN");
        assert_eq!(h["x-request-id"], "fedcba9876543210fedcba9876543210");
        assert_eq!(h["x-device-id"], "0123456789abcdef0123456789abcdef");
        assert_eq!(h["content-type"], "application/json");
        assert!(
            h.get("authorization").is_none(),
            "no bearer on client_id calls"
        );
        assert_eq!(req.body(), b"{}");
    }

    #[test]
    fn user_calls_carry_the_bearer_and_no_client_id() {
        let c = config();
        let token = Secret::new("tok");
        let spec = RequestSpec::new(Api::AuthV1, Method::GET, Access::User).path("user/me");
        let req = build(&spec, &env(&c, Some(&token))).expect("builds");
        assert_eq!(req.uri().query(), None);
        assert_eq!(req.headers()["authorization"], "Bearer tok");
        assert!(req.headers()["authorization"].is_sensitive());
        let none = build(&spec, &env(&c, None));
        assert!(matches!(
            none,
            Err(Error::Session(SessionError::NotSignedIn))
        ));
    }

    #[test]
    fn gateway_bearer_falls_back_to_the_configured_key() {
        let c = config();
        let spec = RequestSpec::new(Api::Gateway, Method::POST, Access::Bearer)
            .path("functions")
            .segment("echo")
            .request_id(RequestIdStyle::Uuid);
        let req = build(&spec, &env(&c, None)).expect("builds");
        assert_eq!(req.uri().path(), "/v1/functions/echo");
        assert_eq!(req.headers()["authorization"], "Bearer pk_demo_publishable");
        assert!(req.headers().get("x-device-id").is_none());
        let bare = Config::builder("e").build().expect("valid");
        assert!(matches!(
            build(&spec, &env(&bare, None)),
            Err(Error::Session(SessionError::MissingCredential))
        ));
    }

    #[test]
    fn segments_and_query_values_cannot_change_the_structure() {
        let c = config();
        let spec = RequestSpec::new(Api::Gateway, Method::GET, Access::Bearer)
            .path("x")
            .segment("a/b?c#d")
            .query("q", "a b&c=d#e")
            .query("ü", "+%");
        let req = build(&spec, &env(&c, None)).expect("builds");
        assert_eq!(req.uri().path(), "/v1/x/a%2Fb%3Fc%23d");
        let dots = RequestSpec::new(Api::Gateway, Method::GET, Access::Bearer)
            .path("x")
            .segment("..")
            .segment(".");
        let dotted = build(&dots, &env(&c, None)).expect("builds");
        assert_eq!(dotted.uri().path(), "/v1/x/%2E%2E/%2E");
        assert_eq!(req.uri().query(), Some("q=a%20b%26c%3Dd%23e&%C3%BC=%2B%25"));
    }

    #[test]
    fn a_client_id_already_in_the_query_is_not_added_again() {
        let c = config();
        for access in [
            Access::ClientId,
            Access::BasicClient,
            Access::UserOrClientId,
        ] {
            let spec = RequestSpec::new(Api::AuthV1, Method::GET, access)
                .path("x")
                .query("client_idx", "1")
                .query("client_id", "given");
            let req = build(&spec, &env(&c, None)).expect("builds");
            assert_eq!(req.uri().query(), Some("client_idx=1&client_id=given"));
            // A name that only starts with `client_id` does not count.
            let spec = RequestSpec::new(Api::AuthV1, Method::GET, access)
                .path("x")
                .query("client_idx", "1");
            let req = build(&spec, &env(&c, None)).expect("builds");
            assert_eq!(req.uri().query(), Some("client_idx=1&client_id=demo-env"));
        }
    }

    #[test]
    fn basic_client_auth_matches_the_transcript() {
        // auth.jsonl, auth/token/anonymous-expired.getUser-re-signs-in: `Basic ZGVtby1lbnY6`.
        let c = config();
        let spec = RequestSpec::new(Api::AuthV1, Method::POST, Access::BasicClient)
            .path("signin/anonymously");
        let req = build(&spec, &env(&c, Some(&Secret::new("ignored")))).expect("builds");
        assert_eq!(req.headers()["authorization"], "Basic ZGVtby1lbnY6");
        assert_eq!(req.uri().query(), Some("client_id=demo-env"));
    }

    #[test]
    fn base_url_override_keeps_its_path_prefix() {
        let c = Config::builder("e")
            .base_url("http://127.0.0.1:9/prefix")
            .build()
            .expect("valid");
        let spec = RequestSpec::new(Api::AuthV1, Method::POST, Access::ClientId).path("signin");
        let req = build(&spec, &env(&c, None)).expect("builds");
        assert_eq!(
            req.uri().to_string(),
            "http://127.0.0.1:9/prefix/auth/v1/signin?client_id=e"
        );
    }
}
