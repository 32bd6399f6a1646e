//! What an operation is: how it asks, and how it reads each answer.
//!
//! Most operations are one request ([`OneShot`]); a few are several (verify a code,
//! then sign in) and keep their stage in themselves ([`Operation::on_response`]
//! takes `&mut self`), so the driver that owns them needs no shared state.

use std::time::SystemTime;

use crate::captcha::{CaptchaCache, CaptchaChallenge};
use crate::config::Config;
use crate::error::{Error, ServerError};
use crate::request::{HttpResponse, RequestSpec};
use crate::session::Session;

/// One CloudBase operation: how to ask, and how to read the answer.
///
/// Implementations describe the request declaratively ([`RequestSpec`]); the shared
/// builder adds the origin, common headers, ids and credentials, and the driver checks
/// the error envelopes before [`Operation::on_response`] sees a response.
/// Single-request operations implement [`OneShot`] instead, which implements this.
pub trait Operation {
    /// What a successful call returns.
    type Output;

    /// The request of the current stage, or why the input cannot be sent. Most
    /// operations ignore `cx`; a few bodies repeat configuration (the refresh grant's
    /// `client_id`) or a session token (sign-out's `token`).
    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, Error>;

    /// Whether sending the current request twice has the same effect as once. Only
    /// idempotent requests are retried after they may have reached the server.
    /// Defaults to `false`.
    fn is_idempotent(&self) -> bool {
        false
    }

    /// Whether this operation renews the session itself (the refresh grant): it then
    /// takes the client's one refresh slot, so it never runs beside another refresh.
    fn renews_session(&self) -> bool {
        false
    }

    /// Whether this server error ends the session (credentials cleared,
    /// `SIGNED_OUT`). Defaults to `false`; the refresh grant says yes to
    /// `invalid_grant`.
    fn ends_session_on(&self, _error: &ServerError) -> bool {
        false
    }

    /// Whether a `captcha_required` / `captcha_invalid` answer to this auth call is
    /// met with the captcha flow and one replay (docs/protocol/auth.md, "Captcha").
    /// Defaults to `true`; the session's own renewals and the captcha calls
    /// themselves say no.
    fn captcha_protected(&self) -> bool {
        true
    }

    /// An answer the operation can give without sending its request: a cached
    /// captcha token, or the session itself once the driver has renewed it if it was
    /// about to expire. The driver asks each time the request would be sent, after
    /// the session rules ran, so a local answer follows the same renewal policy as a
    /// request. Defaults to `None`: send.
    fn finish_locally(
        &mut self,
        _cx: &mut ResponseContext<'_>,
    ) -> Option<Result<Self::Output, Error>> {
        None
    }

    /// The answer when the call failed with `error` (a transport failure after the
    /// retries, an error answer, or an error of this operation's own): by default
    /// the error. Token verification uses it to keep verifying with a cached key set
    /// when a refetch fails.
    fn recover(
        &mut self,
        error: Error,
        _cx: &mut ResponseContext<'_>,
    ) -> Result<Self::Output, Error> {
        Err(error)
    }

    /// Reads a successful (non-error) answer to the current request; may update the
    /// session. Says whether the operation is done or moves to its next stage, whose
    /// request [`Operation::request`] then builds. Each stage is a request of its own
    /// (own request id, own retries).
    fn on_response(
        &mut self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<Self::Output>, Error>;

    /// Reads a successful answer from the answer alone, when the operation's reading
    /// needs nothing of the client's state (the data operations): the driver then
    /// reads it outside the client's lock, so decoding a large answer never holds
    /// up the client's other calls. By default the answer is handed back
    /// ([`Detached::NeedsState`]) and read by [`Operation::on_response`] under the
    /// lock.
    fn read_detached(
        &mut self,
        response: HttpResponse,
        _cx: &AnswerContext<'_>,
    ) -> Detached<Self::Output> {
        Detached::NeedsState(response)
    }
}

/// What [`Operation::read_detached`] did with an answer.
#[derive(Debug)]
pub enum Detached<T> {
    /// Read: the call's result.
    Read(Result<T, Error>),
    /// Reading it needs the client's state: the answer, untouched.
    NeedsState(HttpResponse),
}

/// What [`Operation::read_detached`] may look at: nothing of the client's state.
#[non_exhaustive]
#[derive(Debug, Clone, Copy)]
pub struct AnswerContext<'a> {
    /// When the answer arrived.
    pub now: SystemTime,
    /// The request id this call sent.
    pub request_id: &'a str,
}

impl<'a> AnswerContext<'a> {
    /// A context for reading an answer outside the driver (tests, tools).
    pub fn new(now: SystemTime, request_id: &'a str) -> Self {
        Self { now, request_id }
    }
}

/// An operation of exactly one request: the majority. Implementing it implements
/// [`Operation`], with [`OneShot::parse`] as the whole of
/// [`Operation::on_response`]; the other methods mean the same as there.
pub trait OneShot {
    /// What a successful call returns.
    type Output;

    /// See [`Operation::request`].
    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, Error>;

    /// See [`Operation::is_idempotent`].
    fn is_idempotent(&self) -> bool {
        false
    }

    /// See [`Operation::renews_session`].
    fn renews_session(&self) -> bool {
        false
    }

    /// See [`Operation::ends_session_on`].
    fn ends_session_on(&self, _error: &ServerError) -> bool {
        false
    }

    /// See [`Operation::captcha_protected`].
    fn captcha_protected(&self) -> bool {
        true
    }

    /// Reads the successful (non-error) answer; may update the session. Operations
    /// that read the answer alone implement [`OneShot::parse_answer`] instead, which
    /// this defaults to.
    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Self::Output, Error> {
        let answer = AnswerContext::new(cx.now, cx.request_id);
        match self.parse_answer(response, &answer) {
            Detached::Read(result) => result,
            Detached::NeedsState(_) => Err(Error::Internal("an operation reads no answer")),
        }
    }

    /// Reads the successful answer from the answer alone (no session, configuration
    /// or caches), outside the client's lock; see [`Operation::read_detached`]. An
    /// operation implements this or [`OneShot::parse`].
    fn parse_answer(
        &self,
        response: HttpResponse,
        _cx: &AnswerContext<'_>,
    ) -> Detached<Self::Output> {
        Detached::NeedsState(response)
    }
}

impl<T: OneShot> Operation for T {
    type Output = T::Output;

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        OneShot::request(self, cx)
    }

    fn is_idempotent(&self) -> bool {
        OneShot::is_idempotent(self)
    }

    fn renews_session(&self) -> bool {
        OneShot::renews_session(self)
    }

    fn ends_session_on(&self, error: &ServerError) -> bool {
        OneShot::ends_session_on(self, error)
    }

    fn captcha_protected(&self) -> bool {
        OneShot::captcha_protected(self)
    }

    fn on_response(
        &mut self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<Self::Output>, Error> {
        self.parse(response, cx).map(Progress::Done)
    }

    fn read_detached(
        &mut self,
        response: HttpResponse,
        cx: &AnswerContext<'_>,
    ) -> Detached<Self::Output> {
        self.parse_answer(response, cx)
    }
}

/// What [`Operation::on_response`] found.
#[derive(Debug)]
pub enum Progress<T> {
    /// The operation is complete.
    Done(T),
    /// Send the operation's next request.
    Next,
    /// Have the client's captcha solver answer this challenge and verify the answer
    /// (which caches the token), then continue with the operation's next request;
    /// without a solver the call ends with [`Error::Captcha`].
    Captcha(CaptchaChallenge),
}

/// What [`Operation::request`] may look at.
#[non_exhaustive]
pub struct RequestContext<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// The session as it is when the request is built.
    pub session: &'a Session,
    /// The time the request is built (for expiry checks of typed flow state).
    pub now: SystemTime,
}

impl<'a> RequestContext<'a> {
    /// A context for building a request outside the driver (tests, tools).
    pub fn new(config: &'a Config, session: &'a Session, now: SystemTime) -> Self {
        Self {
            config,
            session,
            now,
        }
    }
}

/// What [`Operation::on_response`] may look at and change.
#[non_exhaustive]
pub struct ResponseContext<'a> {
    /// When the answer arrived.
    pub now: SystemTime,
    /// The request id this call sent (or generated, when none was sent).
    pub request_id: &'a str,
    /// The client's session, for operations that sign in or out.
    pub session: &'a mut Session,
    /// The configuration (e.g. for resolving relative URLs in an answer).
    pub config: &'a Config,
    /// The client's solved captcha, kept for later protected calls.
    pub captcha_cache: &'a mut CaptchaCache,
    /// The client's key set for verifying users' tokens.
    #[cfg(feature = "backend")]
    pub key_cache: &'a mut crate::backend::KeyCache,
}
