//! The error layers: configuration, build, session, server, decode, transport,
//! store. This module depends on nothing in the crate but the server codes and the
//! captcha challenge an error carries.
//!
//! One [`Error`] type serves both adapters, so code written against the blocking
//! client handles errors exactly like code written against the async one.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;

use crate::captcha::CaptchaChallenge;
use crate::codes::{AuthErrorCode, GatewayErrorCode};

/// Everything a CloudBase call can fail with.
///
/// ```
/// use cloudbase_core::{Error, GatewayErrorCode};
///
/// fn describe(err: &Error) -> &'static str {
///     match err {
///         Error::Server(e) if e.code.gateway() == Some(&GatewayErrorCode::ResourceNotFound) => "no such function",
///         e if e.is_retryable() => "try again later",
///         _ => "failed",
///     }
/// }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request could not be built from the input; nothing was sent.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The session cannot make this call (nobody signed in, or the session is over);
    /// nothing was sent.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The server answered with an error.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The server's answer could not be read.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The request or response did not make it across the network.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The session store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The server wants a captcha solved before it accepts this call, and no
    /// [`CaptchaSolver`](crate::auth::CaptchaSolver) answered: show the image, pass
    /// the user's answer to `verify_captcha_data`, then make the call again (it is
    /// replayed with the cached captcha token).
    #[error("the server asks for a captcha: show the challenge, verify the answer, then retry")]
    Captcha(Box<CaptchaChallenge>),
    /// A local file of an upload or download could not be read or written.
    #[error("file {}: {source}", path.display())]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A user's access token did not pass verification, or a custom-login ticket
    /// could not be made (see [`TokenError`]); for verification nothing was sent
    /// unless the key set had to be fetched.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The call driver was used out of order: a bug in an adapter or in this SDK,
    /// never caused by input or by the server. Please report it.
    #[error("internal error (a bug in the SDK, please report it): {0}")]
    Internal(&'static str),
}

/// Why a token was refused or a ticket could not be made (the `backend` feature's
/// `verify_access_token` and `create_ticket`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Not three base64url JSON parts, or claims of the wrong types.
    #[error("the token is not a well-formed JWT: {0}")]
    Malformed(String),
    /// The header names an algorithm other than RS256 (`none`, `HS256`, …): refused
    /// before any key is used, so a public key can never act as an HMAC secret.
    #[error("the token is signed with {0}, only RS256 is accepted")]
    Algorithm(String),
    /// The header has no `kid`.
    #[error("the token's header names no key (kid)")]
    MissingKeyId,
    /// No key of the environment's key set has this `kid` (after one refetch).
    #[error("no key with kid {0:?} in the environment's key set")]
    UnknownKey(String),
    /// The signature does not match the payload.
    #[error("the token's signature is not valid")]
    Signature,
    /// `exp` passed (beyond the leeway).
    #[error("the token expired")]
    Expired,
    /// `nbf` is still ahead (beyond the leeway).
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `iat` is ahead (beyond the leeway).
    #[error("the token claims to be issued in the future")]
    IssuedInFuture,
    /// `iss`, `aud` or `project_id` names another environment or client.
    #[error("the token's {claim} is {found:?}, not this environment's")]
    WrongEnvironment {
        /// The claim checked.
        claim: &'static str,
        /// What it holds.
        found: String,
    },
    /// The key set could not be fetched and no usable cached one exists.
    #[error("the environment's key set is unavailable: {0}")]
    KeysUnavailable(String),
    /// A key (a JWKS document, a PEM, a custom-login key file) could not be read.
    #[error("the key is not usable: {0}")]
    InvalidKey(String),
    /// The custom-login key file is for another environment.
    #[error("the custom-login key is for environment {key_env:?}, the client for {env:?}")]
    KeyForAnotherEnvironment {
        /// The key file's `env_id`.
        key_env: String,
        /// The configured environment.
        env: String,
    },
    /// A ticket's uid does not match `^[a-zA-Z0-9_\-#@~=*(){}[\]:.,<>+]{4,32}$`.
    #[error("uid {0:?} must be 4-32 characters of a-z A-Z 0-9 _-#@~=*(){{}}[]:.,<>+")]
    InvalidUid(String),
    /// A ticket's times do not fit (an `expire` before now, or beyond the clock).
    #[error("the ticket's times are not usable: {0}")]
    InvalidTime(&'static str),
}

impl Error {
    /// Whether the same call may succeed if tried again later (after the retries the
    /// SDK already made): transport failures that are not the caller's doing,
    /// 429/502/503/504, and auth `unavailable`/`resource_exhausted`/`deadline_exceeded`.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport(t) => t.kind.is_transient(),
            Error::Server(s) => s.is_retryable(),
            Error::Token(t) => matches!(t, TokenError::KeysUnavailable(_)),
            Error::Build(_)
            | Error::Session(_)
            | Error::Internal(_)
            | Error::Decode(_)
            | Error::Store(_)
            | Error::Captcha(_)
            | Error::File { .. } => false,
        }
    }

    /// The auth code, when the server answered with an auth error.
    pub fn auth_code(&self) -> Option<&AuthErrorCode> {
        match self {
            Error::Server(s) => s.code.auth(),
            _ => None,
        }
    }

    /// The gateway code, when the server answered with a gateway error.
    pub fn gateway_code(&self) -> Option<&GatewayErrorCode> {
        match self {
            Error::Server(s) => s.code.gateway(),
            _ => None,
        }
    }

    /// A sign-in or sudo refused for a wrong login or password (every wording the
    /// service uses for it).
    pub fn is_invalid_credentials(&self) -> bool {
        matches!(
            self.auth_code(),
            Some(
                AuthErrorCode::InvalidUsernameOrPassword
                    | AuthErrorCode::InvalidPassword
                    | AuthErrorCode::WrongPassword
                    | AuthErrorCode::InvalidCredentials
                    | AuthErrorCode::PasswordNotSet
            )
        )
    }

    /// A verification code that is wrong, expired or used: the service answers
    /// `invalid_argument` (error_code 3) about the verification, or
    /// `invalid_verification_code`; an expired or spent handle is refused locally
    /// ([`BuildError::VerificationExpired`], [`BuildError::VerificationUsed`]).
    pub fn is_invalid_verification_code(&self) -> bool {
        match self {
            Error::Build(BuildError::VerificationExpired | BuildError::VerificationUsed) => true,
            Error::Server(s) => match s.code.auth() {
                Some(AuthErrorCode::InvalidVerificationCode) => true,
                Some(AuthErrorCode::InvalidArgument) => {
                    let m = s.message.to_ascii_lowercase();
                    m.contains("verif") || m.contains("code")
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// What was asked for does not exist: HTTP 404, or a not-found code (a user, a
    /// function, a service, a table, a file).
    pub fn is_not_found(&self) -> bool {
        match self {
            Error::Server(s) => {
                s.status == StatusCode::NOT_FOUND
                    || matches!(
                        s.code.auth(),
                        Some(AuthErrorCode::NotFound | AuthErrorCode::UserNotFound)
                    )
                    || matches!(
                        s.code.gateway(),
                        Some(
                            GatewayErrorCode::ResourceNotFound
                                | GatewayErrorCode::ServiceNotFound
                                | GatewayErrorCode::StorageBucketNotFound
                        )
                    )
            }
            _ => false,
        }
    }

    /// Refused for sending too much: a throttled call
    /// ([`ServerError::is_throttled`]) or an auth `resource_exhausted` (e.g. codes
    /// sent too often; [`ServerError::retry_after`] says when to try again).
    pub fn is_rate_limited(&self) -> bool {
        match self {
            Error::Server(s) => {
                s.is_throttled() || s.code.auth() == Some(&AuthErrorCode::ResourceExhausted)
            }
            _ => false,
        }
    }

    /// Took too long: a transport timeout, or a server that timed out waiting
    /// (`deadline_exceeded`, `SERVICE_TIMEOUT`, HTTP 504).
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Transport(t) => t.kind == TransportErrorKind::Timeout,
            Error::Server(s) => {
                s.status == StatusCode::GATEWAY_TIMEOUT
                    || s.code.auth() == Some(&AuthErrorCode::DeadlineExceeded)
                    || s.code.gateway() == Some(&GatewayErrorCode::ServiceTimeout)
            }
            _ => false,
        }
    }

    /// The server's request id, when the failure came from a server answer.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Server(s) => s.request_id.as_deref(),
            _ => None,
        }
    }
}

/// The input cannot become a valid request. Nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A name (function, model, table…) does not match what the service accepts.
    #[error("invalid {what} {value:?}: {rule}")]
    InvalidName {
        /// What kind of name.
        what: &'static str,
        /// The name given.
        value: String,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// A field value is not acceptable.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The input could not be serialized to JSON.
    #[error("could not serialize the request body: {0}")]
    Serialize(String),
    /// The verification code or token expired; request a new code.
    #[error("the verification expired; request a new code")]
    VerificationExpired,
    /// A code was already accepted for this verification; request a new code.
    #[error("this verification was already used; request a new code")]
    VerificationUsed,
    /// An update or delete of "every matching row" was given no filter, which would
    /// change every row; nothing was sent. Say what to match.
    #[error("{operation} needs a filter; without one it would change every row")]
    MissingFilter {
        /// The refused operation.
        operation: &'static str,
    },
    /// A header value contains characters HTTP does not allow.
    #[error("header {0} has a value HTTP does not allow")]
    InvalidHeader(String),
}

/// The session cannot make the call. Nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The call needs a signed-in user and there is none.
    #[error("this call needs a signed-in user; sign in first")]
    NotSignedIn,
    /// The session's access token expired and cannot be renewed (no refresh token,
    /// or renewals kept failing); sign in again.
    #[error("the session expired and cannot be refreshed; sign in again")]
    SessionExpired,
    /// The call needs a bearer token: no user is signed in and no key is configured.
    #[error("no credential: sign in, or configure a publishable key or API key")]
    MissingCredential,
}

/// The server's code, typed by the envelope it came in.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerCode {
    /// An auth envelope `{error, error_code, error_description}`.
    Auth(AuthErrorCode),
    /// A gateway envelope `{code, message, requestId}`.
    Gateway(GatewayErrorCode),
    /// No CloudBase envelope: only the HTTP status is known (e.g. a proxy's 502 page).
    HttpStatus,
}

impl ServerCode {
    /// The auth code, if this came in an auth envelope.
    pub fn auth(&self) -> Option<&AuthErrorCode> {
        match self {
            ServerCode::Auth(c) => Some(c),
            _ => None,
        }
    }

    /// The gateway code, if this came in a gateway envelope.
    pub fn gateway(&self) -> Option<&GatewayErrorCode> {
        match self {
            ServerCode::Gateway(c) => Some(c),
            _ => None,
        }
    }
}

impl std::fmt::Display for ServerCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServerCode::Auth(c) => f.write_str(c.as_str()),
            ServerCode::Gateway(c) => f.write_str(c.as_str()),
            ServerCode::HttpStatus => f.write_str("HTTP error"),
        }
    }
}

/// An error answer from CloudBase.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}{}{}: {message}", http_part(*status), request_id.as_deref().map(|r| format!(" [request {r}]")).unwrap_or_default())]
#[non_exhaustive]
pub struct ServerError {
    /// The HTTP status (auth errors may come with 200: the body decides).
    pub status: StatusCode,
    /// The typed code.
    pub code: ServerCode,
    /// The server's description (`error_description` or `message`).
    pub message: String,
    /// The request id from the body or the `X-Request-Id` header.
    pub request_id: Option<String>,
    /// The numeric `error_code` of auth errors, a hint only (docs/protocol/errors.md §3).
    pub numeric_code: Option<i32>,
    /// How long the server asked the client to wait (`Retry-After` or `retry_after`).
    pub retry_after: Option<Duration>,
    /// The `details` and `hint` of PostgREST-shaped errors (`/v1/rdb/rest`).
    pub postgrest: Option<Box<PostgrestDetails>>,
}

/// ` (HTTP 404 Not Found)` for a failed status; nothing for an error carried inside a
/// successful answer (an auth error in a 200, a storage item's failure).
fn http_part(status: StatusCode) -> String {
    if status.is_success() {
        String::new()
    } else {
        format!(" (HTTP {status})")
    }
}

/// The extra fields of a PostgREST error body `{code, message, details, hint}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PostgrestDetails {
    /// `details`, e.g. "The result contains 2 rows".
    pub details: Option<String>,
    /// `hint`.
    pub hint: Option<String>,
}

impl ServerError {
    /// Whether the gateway refused to run the call for now: `EXCEED_REQUEST_LIMIT`,
    /// `EXCEED_CONCURRENT_REQUEST_LIMIT` or `DATABASE_TRANSACTION_CONFLICT`. Such a
    /// call was not applied, so the driver retries it (with backoff, honouring
    /// `Retry-After`) whatever the operation, within the retry policy's attempts. An
    /// auth `resource_exhausted` (codes sent too often, with a `retry_after` of up to
    /// minutes) is not retried: it is for the app to show a countdown
    /// ([`Error::is_rate_limited`] covers both).
    pub fn is_throttled(&self) -> bool {
        matches!(
            self.code.gateway(),
            Some(
                GatewayErrorCode::ExceedRequestLimit
                    | GatewayErrorCode::ExceedConcurrentRequestLimit
                    | GatewayErrorCode::DatabaseTransactionConflict
            )
        )
    }

    /// See [`Error::is_retryable`].
    pub fn is_retryable(&self) -> bool {
        self.is_throttled()
            || matches!(self.status.as_u16(), 429 | 502 | 503 | 504)
            || matches!(
                self.code.auth(),
                Some(
                    AuthErrorCode::Unavailable
                        | AuthErrorCode::ResourceExhausted
                        | AuthErrorCode::DeadlineExceeded
                )
            )
    }
}

/// The answer could not be read as what the operation expects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The body is not the expected JSON.
    #[error(
        "unexpected response body at `{path}` (HTTP {status}): {message}; body starts {snippet:?}"
    )]
    Json {
        /// HTTP status of the answer.
        status: StatusCode,
        /// JSON path of the first mismatch (`.` for the whole body).
        path: String,
        /// What serde said, or what the protocol promised and the body lacks.
        message: String,
        /// The start of the body, with credential-looking values masked.
        snippet: String,
        /// serde's own error, when serde found the mismatch.
        #[source]
        source: Option<JsonError>,
    },
    /// The body is not UTF-8 text where text was expected.
    #[error("response body is not valid UTF-8 (HTTP {status})")]
    NotUtf8 {
        /// HTTP status of the answer.
        status: StatusCode,
    },
    /// A token could not be decoded.
    #[error("malformed token: {reason}")]
    Token {
        /// What is wrong.
        reason: String,
    },
    /// A lifetime (`expires_in`, or a stored expiry) that no clock can hold: more than
    /// ten years ([`crate::expiry::MAX_LIFETIME`]), e.g. `u64::MAX` from a broken server
    /// or a tampered session file. Nothing is stored when this happens.
    #[error("`{field}` of {seconds} s is not a meaningful lifetime")]
    Lifetime {
        /// The field that carried it.
        field: &'static str,
        /// The value sent.
        seconds: u64,
    },
    /// A streaming call was answered with something other than an event stream (and
    /// not with an error envelope).
    #[error("expected an event stream, got HTTP {status} with Content-Type {content_type:?}")]
    NotAnEventStream {
        /// HTTP status of the answer.
        status: StatusCode,
        /// Its `Content-Type`.
        content_type: String,
    },
    /// An event stream could not be read (a line or event over the size limit).
    #[error("unreadable event stream: {0}")]
    EventStream(String),
    /// The server answered with a redirect, which the SDK never follows (a redirect
    /// from an API gateway means a misconfigured base URL or a proxy in the way).
    #[error("unexpected redirect (HTTP {status}) to {location:?}; redirects are not followed")]
    Redirect {
        /// The 3xx status.
        status: StatusCode,
        /// The `Location` header, if any.
        location: Option<String>,
    },
}

/// serde's error behind a [`DecodeError::Json`], shared so the error stays `Clone`.
/// Two are equal when serde's messages and positions are.
#[derive(Debug, Clone)]
pub struct JsonError(Arc<serde_json::Error>);

impl JsonError {
    /// serde's error.
    pub fn inner(&self) -> &serde_json::Error {
        &self.0
    }
}

impl From<serde_json::Error> for JsonError {
    fn from(e: serde_json::Error) -> Self {
        Self(Arc::new(e))
    }
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for JsonError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

impl PartialEq for JsonError {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_string() == other.0.to_string()
    }
}

impl Eq for JsonError {}

/// What kind of network failure happened. Decides whether a retry is safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made (refused, DNS, connect timeout): the request was
    /// certainly not sent, so any operation may be retried.
    Connect,
    /// The attempt timed out after the connection was made: the server may have
    /// received the request.
    Timeout,
    /// The connection broke after the request may have been sent.
    ConnectionLost,
    /// The response body was larger than the configured limit.
    ResponseTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// An event stream broke after it had started: the call is not replayed (it may
    /// have run), and this says how far it got.
    StreamBroken {
        /// Body bytes received before the break.
        received_bytes: u64,
        /// Items (deltas, records) handed out before the break.
        received_items: u64,
    },
    /// Anything else the HTTP library reported (TLS, invalid URL…).
    Other,
}

impl TransportErrorKind {
    /// Whether the request certainly never reached the server.
    pub fn nothing_sent(self) -> bool {
        matches!(self, TransportErrorKind::Connect)
    }

    /// Whether trying again later may help.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            TransportErrorKind::Connect
                | TransportErrorKind::Timeout
                | TransportErrorKind::ConnectionLost
                | TransportErrorKind::StreamBroken { .. }
        )
    }
}

impl std::fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransportErrorKind::Connect => f.write_str("could not connect"),
            TransportErrorKind::Timeout => f.write_str("timed out"),
            TransportErrorKind::ConnectionLost => f.write_str("connection lost"),
            TransportErrorKind::StreamBroken {
                received_bytes,
                received_items,
            } => write!(
                f,
                "the stream broke after {received_bytes} bytes and {received_items} items"
            ),
            TransportErrorKind::ResponseTooLarge { limit } => {
                write!(f, "response larger than the {limit}-byte limit")
            }
            TransportErrorKind::Other => f.write_str("transport failure"),
        }
    }
}

/// A network failure, with the HTTP library's own error kept as the source.
#[derive(Debug, thiserror::Error)]
#[error("{}{kind} after {attempts} attempt(s)", target.as_deref().map(|t| format!("{t}: ")).unwrap_or_default())]
#[non_exhaustive]
pub struct TransportError {
    /// The classified failure.
    pub kind: TransportErrorKind,
    /// How many attempts the call made in all.
    pub attempts: u32,
    /// What failed: the operation, method and host (`GetUser GET env.api…`), once
    /// the call driver knows it.
    pub target: Option<String>,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl TransportError {
    /// A classified failure with the library error that caused it. Adapters build
    /// these; the call driver fills in the attempt count.
    pub fn new(
        kind: TransportErrorKind,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        Self {
            kind,
            attempts: 1,
            target: None,
            source: Some(source.into()),
        }
    }

    /// A classified failure with no underlying library error.
    pub fn without_source(kind: TransportErrorKind) -> Self {
        Self {
            kind,
            attempts: 1,
            target: None,
            source: None,
        }
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    pub(crate) fn with_kind(mut self, kind: TransportErrorKind) -> Self {
        self.kind = kind;
        self
    }

    pub(crate) fn with_target(mut self, target: Option<String>) -> Self {
        if self.target.is_none() {
            self.target = target;
        }
        self
    }
}

/// Why a [`Config`](crate::Config) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The environment id is empty.
    #[error("the environment id is empty")]
    EmptyEnvId,
    /// The environment id cannot be a host label.
    #[error("environment id {env_id:?} is not a valid host label: {reason}")]
    InvalidEnvId {
        /// The id given.
        env_id: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The region cannot be a host label.
    #[error("region {0:?} is not valid: use letters, digits and '-' (e.g. ap-shanghai)")]
    InvalidRegion(String),
    /// The client id is empty or not printable ASCII.
    #[error("client id {0:?} must be non-empty printable ASCII without spaces")]
    InvalidClientId(String),
    /// The device id is not 16–48 characters of letters, digits, `-` or `_`.
    #[error("device id must be 16 to 48 characters of letters, digits, '-' or '_'")]
    InvalidDeviceId,
    /// A key is empty or cannot go in an HTTP header.
    #[error("the key is empty or contains characters not allowed in an HTTP header")]
    InvalidKey,
    /// A server SecretId or SecretKey is empty, or cannot go in a Basic credential
    /// (not printable ASCII, or a SecretId containing `:`).
    #[error(
        "the server SecretId or SecretKey is empty or not printable ASCII (or the id contains ':')"
    )]
    InvalidServerSecret,
    /// The base URL cannot be used.
    #[error("base URL {url:?} is not usable: {reason}")]
    InvalidBaseUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Plain `http://` to a host that is not loopback.
    #[error(
        "base URL {0:?} uses plain http to a non-loopback host; use https (plain http is only for a local emulator)"
    )]
    InsecureBaseUrl(String),
    /// An environment variable [`Config::from_env`](crate::Config::from_env) reads is
    /// missing (`CLOUDBASE_ENV`) or unusable.
    #[error("environment variable {variable}: {reason}")]
    Env {
        /// The variable.
        variable: &'static str,
        /// What is wrong (the configuration's own error, or "not set").
        reason: String,
    },
}

/// A session store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Reading or writing failed.
    #[error("session store {path:?}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The stored data cannot be read; it is left as it is.
    #[error("session store {path:?} is corrupt ({message}); it was not overwritten")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Another process held the store's lock for longer than the lock timeout
    /// (`TransportOptions`' `store_lock_timeout`; 30 s by default). Nothing was sent.
    #[error("session store {path:?} stayed locked by another process for {waited:?}")]
    LockTimeout {
        /// The lock file.
        path: PathBuf,
        /// How long this process waited.
        waited: std::time::Duration,
    },
    /// The store does not offer what was asked (e.g. a lock).
    #[error("session store: {0}")]
    Unsupported(&'static str),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(status: u16, code: ServerCode, message: &str) -> Error {
        Error::Server(ServerError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            code,
            message: message.into(),
            request_id: None,
            numeric_code: None,
            retry_after: None,
            postgrest: None,
        })
    }

    #[test]
    fn helpers_classify_without_nested_matches() {
        let wrong = server(
            400,
            ServerCode::Auth(AuthErrorCode::InvalidUsernameOrPassword),
            "bad",
        );
        assert!(wrong.is_invalid_credentials() && !wrong.is_not_found());
        let code = server(
            400,
            ServerCode::Auth(AuthErrorCode::InvalidArgument),
            "verification code is invalid",
        );
        assert!(code.is_invalid_verification_code());
        assert!(
            !server(
                400,
                ServerCode::Auth(AuthErrorCode::InvalidArgument),
                "email"
            )
            .is_invalid_verification_code()
        );
        assert!(Error::Build(BuildError::VerificationExpired).is_invalid_verification_code());
        let missing = server(
            404,
            ServerCode::Gateway(GatewayErrorCode::ResourceNotFound),
            "no",
        );
        assert!(missing.is_not_found());
        assert_eq!(
            missing.gateway_code(),
            Some(&GatewayErrorCode::ResourceNotFound)
        );
        let limited = server(
            400,
            ServerCode::Auth(AuthErrorCode::ResourceExhausted),
            "slow",
        );
        assert!(limited.is_rate_limited() && limited.auth_code().is_some());
        let timed_out =
            Error::Transport(TransportError::without_source(TransportErrorKind::Timeout));
        assert!(timed_out.is_timeout());
        assert!(server(504, ServerCode::HttpStatus, "gw").is_timeout());
    }

    #[test]
    fn an_error_inside_a_200_answer_does_not_claim_http_200() {
        let item = server(
            200,
            ServerCode::Gateway(GatewayErrorCode::Unknown("STORAGE_FILE_NONEXIST".into())),
            "no such file",
        );
        assert_eq!(item.to_string(), "STORAGE_FILE_NONEXIST: no such file");
        let e = server(404, ServerCode::HttpStatus, "x");
        assert_eq!(e.to_string(), "HTTP error (HTTP 404 Not Found): x");
    }
}
